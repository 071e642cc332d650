// The controller against a real Open vSwitch 3.1 (private instance, userspace datapath): handshake, flows, groups,
// meters, every multipart stats type OVS answers, barrier ordering, the L2 app carrying a ping between two
// namespaces, port status on link down, reconnect after an OVS restart, a garbage-sending fake switch while OVS
// stays served. Everything created is recorded in a Ledger and removed in after.always.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Ledger } from '../../labs/lib/ledger.js';
import { startOvs, type OvsInstance } from '../../labs/lib/ovs.js';
import { createNetns, createVeth, nsExec, addAddress } from '../../labs/lib/netns.js';
import { run } from '../../labs/lib/exec.js';
import { OFPFC, OFPGC, OFPGT, OFPMC, OFPMF, type OfMessage, type OFPFlowMod, type OFPGroupMod } from '../../openflow/index.js';
import { Controller, L2LearningApp, OpenFlowError, type Session } from '../../controller/index.js';
import { FakeSwitch, header } from './helpers/fake-switch.js';

const id = randomBytes(2).toString('hex');
const BR = `rvc${id}`;
const DPID = 0x00005a5a00000000n + BigInt(parseInt(id, 16));
const NS1 = `rvt-${id}-h1`;
const NS2 = `rvt-${id}-h2`;
const V1 = `rvc${id}p1`; // root-side ends, attached to the bridge
const V2 = `rvc${id}p2`;
const COOKIE = 0x7e57n;

interface Ctx { ledger: Ledger; ovs: OvsInstance; ctrl: Controller; l2: L2LearningApp; downs: string[] }
let ctx: Ctx;

const ANY = 0xffffffff;
const out = (port: number) => ({ kind: 'OFPActionOutput' as const, port, max_len: 0xffe5 });
function flow(over: Partial<OFPFlowMod>): OFPFlowMod {
  return {
    kind: 'OFPFlowMod', cookie: COOKIE, cookie_mask: 0n, table_id: 1, command: OFPFC.ADD, idle_timeout: 0, hard_timeout: 0,
    priority: 100, buffer_id: ANY, out_port: ANY, out_group: ANY, flags: 0, match: { oxm_fields: [] }, instructions: [], ...over,
  };
}
function group(command: number, type: number, groupId: number, buckets: Array<{ weight?: number; watch?: number; port: number }>): OFPGroupMod {
  return {
    kind: 'OFPGroupMod', command, type, group_id: groupId,
    buckets: buckets.map((b) => ({ weight: b.weight ?? 0, watch_port: b.watch ?? ANY, watch_group: ANY, actions: [out(b.port)] })),
  };
}

function sw(): Session {
  const s = ctx.ctrl.sessionOf(DPID);
  if (!s) throw new Error(`OVS bridge ${BR} is not connected`);
  return s;
}

test.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), `rvc-${id}-`));
  const ledger = Ledger.open(join(dir, 'state.json'));
  ledger.record({ kind: 'dir', id: `testdir:${dir}`, path: dir, label: 'controller OVS test dir' });
  const l2 = new L2LearningApp({ idleTimeout: 60 });
  const ctrl = new Controller({ host: '127.0.0.1', port: 0, apps: [l2], echoIntervalMs: 300, echoTimeoutMs: 2000, log: () => undefined });
  const downs: string[] = [];
  ctx = { ledger, ovs: undefined as unknown as OvsInstance, ctrl, l2, downs };
  await ctrl.start();
  ctrl.on('switch-down', (s, reason) => { if (s.dpid === DPID) downs.push(reason); });
  ctx.ovs = await startOvs({ ledger });
  await createNetns(NS1, ledger);
  await createNetns(NS2, ledger);
  await createVeth({ name: V1 }, { name: 'eth0', netns: NS1 }, ledger);
  await createVeth({ name: V2 }, { name: 'eth0', netns: NS2 }, ledger);
  await addAddress('eth0', '10.77.0.1/24', NS1);
  await addAddress('eth0', '10.77.0.2/24', NS2);
  const up = ctrl.waitFor('switch-up', (s) => s.dpid === DPID, 20_000);
  await ctx.ovs.addBridge(BR, { controller: `tcp:127.0.0.1:${ctrl.port}`, dpid: DPID.toString(16) });
  await ctx.ovs.addPort(BR, V1, 1);
  await ctx.ovs.addPort(BR, V2, 2);
  await up;
});

test.after.always(async () => {
  await ctx?.ctrl.stop().catch(() => undefined);
  await ctx?.ovs?.stop().catch(() => undefined);
  await ctx?.ledger.teardown();
});

test.serial('handshake with OVS: dpid, ports from PORT_DESC, table-miss flow installed by the L2 app', async (t) => {
  const info = ctx.ctrl.switches().find((s) => s.dpid === DPID);
  t.truthy(info);
  await waitUntil(() => sw().ports.has(1) && sw().ports.has(2), 5000);
  t.deepEqual([...sw().ports.keys()].filter((p) => p < 0xffffff00).sort(), [1, 2]);
  t.is(sw().ports.get(1)?.name, V1);
  t.true(info!.nTables >= 200);
  const flows = await ctx.ovs.ofctl('dump-flows', BR, 'table=0');
  t.regex(flows, /priority=0 actions=CONTROLLER:65535/);
});

test.serial('flows: add, modify, delete verified with ovs-ofctl dump-flows; a bad flow rejects its batch', async (t) => {
  await sw().sendBatch([
    flow({ priority: 100, match: { oxm_fields: [{ field: 'in_port', value: 1 }] }, instructions: [{ kind: 'OFPInstructionActions', type: 4, actions: [out(2)] }] }),
    flow({ priority: 200, match: { oxm_fields: [{ field: 'eth_type', value: 0x0800 }, { field: 'ipv4_dst', value: '10.9.0.0', mask: '255.255.0.0' }] }, instructions: [{ kind: 'OFPInstructionActions', type: 4, actions: [out(1)] }] }),
  ]);
  let dump = await ctx.ovs.ofctl('dump-flows', BR, `cookie=0x${COOKIE.toString(16)}/-1`);
  t.regex(dump, /table=1, .*priority=100,in_port="?rvc\w+p1"?.* actions=output:"?rvc\w+p2"?|table=1, .*priority=100,in_port=1 actions=output:2/);
  t.regex(dump, /priority=200,ip,nw_dst=10\.9\.0\.0\/16/);
  // modify strict: the in_port flow now outputs to 1 and 2
  await sw().sendBatch([flow({ command: OFPFC.MODIFY_STRICT, priority: 100, match: { oxm_fields: [{ field: 'in_port', value: 1 }] }, instructions: [{ kind: 'OFPInstructionActions', type: 4, actions: [out(2), out(0xfffffffd)] }] })]);
  dump = await ctx.ovs.ofctl('--names', 'dump-flows', BR, `cookie=0x${COOKIE.toString(16)}/-1`);
  t.regex(dump, /priority=100,in_port=\S+ actions=output:\S+,CONTROLLER/);
  // delete by cookie
  await sw().sendBatch([flow({ command: OFPFC.DELETE, table_id: 0xff, cookie: COOKIE, cookie_mask: 0xffffffffffffffffn })]);
  dump = await ctx.ovs.ofctl('dump-flows', BR, `cookie=0x${COOKIE.toString(16)}/-1`);
  t.notRegex(dump, /priority=(100|200)/);
  // output to a group that does not exist: OVS rejects it, the batch names the message
  const e = await t.throwsAsync(sw().sendBatch([
    flow({ priority: 10 }),
    flow({ priority: 11, instructions: [{ kind: 'OFPInstructionActions', type: 4, actions: [{ kind: 'OFPActionGroup', group_id: 4242 }] }] }),
  ]), { instanceOf: OpenFlowError });
  t.regex(e!.message, /OFPFlowMod \(xid \d+, message 2 of 2 of the batch\): OFPET_BAD_ACTION\/OFPBAC_BAD_OUT_GROUP/);
  await sw().sendBatch([flow({ command: OFPFC.DELETE, table_id: 0xff, cookie: COOKIE, cookie_mask: 0xffffffffffffffffn })]);
});

test.serial('groups: all, select, indirect, fast-failover added, modified, deleted (dump-groups)', async (t) => {
  await sw().sendBatch([
    group(OFPGC.ADD, OFPGT.ALL, 1, [{ port: 1 }, { port: 2 }]),
    group(OFPGC.ADD, OFPGT.SELECT, 2, [{ weight: 30, port: 1 }, { weight: 70, port: 2 }]),
    group(OFPGC.ADD, OFPGT.INDIRECT, 3, [{ port: 2 }]),
    group(OFPGC.ADD, OFPGT.FF, 4, [{ watch: 1, port: 1 }, { watch: 2, port: 2 }]),
  ]);
  let dump = await ctx.ovs.ofctl('dump-groups', BR);
  t.regex(dump, /group_id=1,type=all,bucket=(bucket_id:\d+,)?actions=output:1,bucket=(bucket_id:\d+,)?actions=output:2/);
  t.regex(dump, /group_id=2,type=select,bucket=(bucket_id:\d+,)?weight:30,actions=output:1,bucket=(bucket_id:\d+,)?weight:70,actions=output:2/);
  t.regex(dump, /group_id=3,type=indirect,bucket=(bucket_id:\d+,)?actions=output:2/);
  t.regex(dump, /group_id=4,type=ff,bucket=(bucket_id:\d+,)?watch_port:1,actions=output:1,bucket=(bucket_id:\d+,)?watch_port:2,actions=output:2/);
  await sw().sendBatch([group(OFPGC.MODIFY, OFPGT.SELECT, 2, [{ weight: 90, port: 1 }, { weight: 10, port: 2 }])]);
  dump = await ctx.ovs.ofctl('dump-groups', BR);
  t.regex(dump, /group_id=2,type=select,bucket=(bucket_id:\d+,)?weight:90,actions=output:1,bucket=(bucket_id:\d+,)?weight:10/);
  // indirect with two buckets is invalid
  const e = await t.throwsAsync(sw().sendBatch([group(OFPGC.ADD, OFPGT.INDIRECT, 5, [{ port: 1 }, { port: 2 }])]), { instanceOf: OpenFlowError });
  t.regex(e!.message, /OFPGroupMod .*OFPET_GROUP_MOD_FAILED\/OFPGMFC_INVALID_GROUP/);
  await sw().sendBatch([group(OFPGC.DELETE, OFPGT.ALL, 0xfffffffc, [])]); // OFPG_ALL
  dump = await ctx.ovs.ofctl('dump-groups', BR);
  t.notRegex(dump, /group_id=/);
});

test.serial('meters: OVS userspace meters added and deleted (dump-meters)', async (t) => {
  const meter = (command: number, meterId: number, rate: number): OfMessage => ({
    kind: 'OFPMeterMod', command, flags: OFPMF.KBPS | OFPMF.STATS, meter_id: meterId,
    bands: [{ kind: 'OFPMeterBandDrop', rate, burst_size: 0 }],
  });
  await sw().sendBatch([meter(OFPMC.ADD, 7, 10_000)]);
  let dump = await ctx.ovs.ofctl('dump-meters', BR);
  t.regex(dump, /meter=7 kbps stats bands=\s*type=drop rate=10000/);
  await sw().sendBatch([meter(OFPMC.MODIFY, 7, 20_000)]);
  dump = await ctx.ovs.ofctl('dump-meters', BR);
  t.regex(dump, /meter=7 kbps stats bands=\s*type=drop rate=20000/);
  const e = await t.throwsAsync(sw().sendBatch([meter(OFPMC.ADD, 7, 1)]), { instanceOf: OpenFlowError });
  t.regex(e!.message, /OFPMeterMod .*OFPET_METER_MOD_FAILED\/OFPMMFC_METER_EXISTS/);
  await sw().sendBatch([{ kind: 'OFPMeterMod', command: OFPMC.DELETE, flags: 0, meter_id: 7, bands: [] }]);
  dump = await ctx.ovs.ofctl('dump-meters', BR);
  t.notRegex(dump, /meter=7/);
});

test.serial('every multipart stats type OVS answers, multipart replies reassembled', async (t) => {
  // something to report on
  await sw().sendBatch([
    group(OFPGC.ADD, OFPGT.ALL, 11, [{ port: 1 }]),
    { kind: 'OFPMeterMod', command: OFPMC.ADD, flags: OFPMF.PKTPS | OFPMF.STATS, meter_id: 3, bands: [{ kind: 'OFPMeterBandDrop', rate: 1000, burst_size: 0 }] },
    flow({ priority: 5, instructions: [{ kind: 'OFPInstructionActions', type: 4, actions: [out(1)] }] }),
  ]);
  const s = sw();
  const req = async (m: OfMessage, kind: OfMessage['kind']): Promise<OfMessage[]> => {
    const parts = await s.request(m);
    t.true(parts.length >= 1, kind);
    for (const p of parts) t.is(p.kind, kind);
    return parts;
  };
  const flowReq = { table_id: 0xff, out_port: ANY, out_group: ANY, cookie: 0n, cookie_mask: 0n, match: { oxm_fields: [] }, flags: 0 };
  const [desc] = await req({ kind: 'OFPDescStatsRequest', flags: 0 }, 'OFPDescStatsReply');
  t.true(desc.kind === 'OFPDescStatsReply' && /Nicira|Open vSwitch/.test(desc.body.mfr_desc + desc.body.sw_desc));
  const flows = await req({ kind: 'OFPFlowStatsRequest', ...flowReq }, 'OFPFlowStatsReply');
  t.true(flows.some((p) => p.kind === 'OFPFlowStatsReply' && p.body.some((f) => f.cookie === COOKIE && f.priority === 5)));
  const [agg] = await req({ kind: 'OFPAggregateStatsRequest', ...flowReq }, 'OFPAggregateStatsReply');
  t.true(agg.kind === 'OFPAggregateStatsReply' && agg.body.flow_count >= 2);
  const tables = await req({ kind: 'OFPTableStatsRequest', flags: 0 }, 'OFPTableStatsReply');
  t.true(tables.flatMap((p) => (p.kind === 'OFPTableStatsReply' ? p.body : [])).length >= 200);
  const ports = await req({ kind: 'OFPPortStatsRequest', flags: 0, port_no: ANY }, 'OFPPortStatsReply');
  t.true(ports.flatMap((p) => (p.kind === 'OFPPortStatsReply' ? p.body.map((x) => x.port_no) : [])).includes(1));
  const pdesc = await req({ kind: 'OFPPortDescStatsRequest', flags: 0 }, 'OFPPortDescStatsReply');
  t.true(pdesc.flatMap((p) => (p.kind === 'OFPPortDescStatsReply' ? p.body.map((x) => x.name) : [])).includes(V2));
  await req({ kind: 'OFPQueueStatsRequest', flags: 0, port_no: ANY, queue_id: ANY }, 'OFPQueueStatsReply');
  const gs = await req({ kind: 'OFPGroupStatsRequest', flags: 0, group_id: 0xfffffffc }, 'OFPGroupStatsReply');
  t.true(gs.some((p) => p.kind === 'OFPGroupStatsReply' && p.body.some((g) => g.group_id === 11)));
  const gd = await req({ kind: 'OFPGroupDescStatsRequest', flags: 0 }, 'OFPGroupDescStatsReply');
  t.true(gd.some((p) => p.kind === 'OFPGroupDescStatsReply' && p.body.some((g) => g.group_id === 11 && g.buckets.length === 1)));
  const [gf] = await req({ kind: 'OFPGroupFeaturesStatsRequest', flags: 0 }, 'OFPGroupFeaturesStatsReply');
  t.true(gf.kind === 'OFPGroupFeaturesStatsReply' && gf.body.types !== 0);
  const ms = await req({ kind: 'OFPMeterStatsRequest', flags: 0, meter_id: 0xffffffff }, 'OFPMeterStatsReply');
  t.true(ms.some((p) => p.kind === 'OFPMeterStatsReply' && p.body.some((m) => m.meter_id === 3)));
  const mc = await req({ kind: 'OFPMeterConfigStatsRequest', flags: 0, meter_id: 0xffffffff }, 'OFPMeterConfigStatsReply');
  t.true(mc.some((p) => p.kind === 'OFPMeterConfigStatsReply' && p.body.some((m) => m.meter_id === 3 && m.bands.length === 1)));
  const [mf] = await req({ kind: 'OFPMeterFeaturesStatsRequest', flags: 0 }, 'OFPMeterFeaturesStatsReply');
  t.true(mf.kind === 'OFPMeterFeaturesStatsReply' && mf.body.length === 1 && mf.body[0].max_meter > 0);
  const tf = await req({ kind: 'OFPTableFeaturesStatsRequest', flags: 0, body: [] }, 'OFPTableFeaturesStatsReply');
  const nTables = tf.flatMap((p) => (p.kind === 'OFPTableFeaturesStatsReply' ? p.body : [])).length;
  t.true(tf.length > 1, `table features came in ${tf.length} parts (REPLY_MORE reassembly)`);
  t.is(nTables, sw().info().nTables);
  await sw().sendBatch([
    flow({ command: OFPFC.DELETE, table_id: 0xff, cookie: COOKIE, cookie_mask: 0xffffffffffffffffn }),
    group(OFPGC.DELETE, OFPGT.ALL, 11, []),
    { kind: 'OFPMeterMod', command: OFPMC.DELETE, flags: 0, meter_id: 3, bands: [] },
  ]);
});

test.serial('barrier ordering: a batch is applied when its barrier reply arrives; later batches after earlier ones', async (t) => {
  const n = 300;
  const adds: OfMessage[] = [];
  for (let i = 0; i < n; i++) adds.push(flow({ table_id: 2, priority: 1000 + i, match: { oxm_fields: [{ field: 'eth_type', value: 0x0800 }, { field: 'ipv4_src', value: `10.1.${i >> 8}.${i & 0xff}` }] } }));
  const p1 = sw().sendBatch(adds);
  const p2 = sw().sendBatch([flow({ command: OFPFC.DELETE, table_id: 2, match: { oxm_fields: [{ field: 'eth_type', value: 0x0800 }, { field: 'ipv4_src', value: '10.1.0.0', mask: '255.255.255.128' }] } })]);
  let order = '';
  void p1.then(() => { order += '1'; });
  await p1;
  const afterFirst = (await ctx.ovs.ofctl('dump-flows', BR, 'table=2')).split('\n').filter((l) => l.includes('priority=')).length;
  await p2.then(() => { order += '2'; });
  t.is(order, '12', 'barrier replies arrive in order');
  t.true(afterFirst === n || afterFirst === n - 128, `after batch 1: ${afterFirst} flows`);
  const afterSecond = (await ctx.ovs.ofctl('dump-flows', BR, 'table=2')).split('\n').filter((l) => l.includes('priority=')).length;
  t.is(afterSecond, n - 128, 'the delete (sent after) removed exactly the 128 flows it matches');
  await sw().sendBatch([flow({ command: OFPFC.DELETE, table_id: 2 })]);
});

test.serial('L2 app: ping between two namespaces through the bridge, learned flows installed', async (t) => {
  const r = await nsExec(NS1, ['ping', '-c', '3', '-i', '0.2', '-W', '2', '10.77.0.2'], { timeoutMs: 15_000 });
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /3 received/);
  const dump = await ctx.ovs.ofctl('dump-flows', BR, 'table=0');
  t.regex(dump, /idle_timeout=60, .*priority=1,in_port=\S+,dl_src=[0-9a-f:]+,dl_dst=[0-9a-f:]+ actions=output:\S+/);
  t.true(ctx.l2.counters.packetIns >= 2);
  t.true((ctx.l2.table(sw())?.size ?? 0) >= 2);
});

test.serial('port status: link down on a bridge port raises port-status with LINK_DOWN', async (t) => {
  const ev = ctx.ctrl.waitFor('port-status', (s, _r, p) => s.dpid === DPID && p.port_no === 2 && (p.state & 1) === 1, 10_000);
  await run('ip', ['link', 'set', V2, 'down']);
  try {
    const [, reason, port] = await ev;
    t.is(reason, 'MODIFY');
    t.is(port.name, V2);
    t.is((sw().ports.get(2)?.state ?? 0) & 1, 1);
  } finally {
    const back = ctx.ctrl.waitFor('port-status', (s, _r, p) => s.dpid === DPID && p.port_no === 2 && (p.state & 1) === 0, 10_000);
    await run('ip', ['link', 'set', V2, 'up']);
    await back;
  }
});

/** Wait (up to 8 s: the box is shared and loaded) until OVS answered `n` more echo requests; [before, after]. */
async function echoRepliesAfter(n: number): Promise<[number, number]> {
  const before = sw().stats.echoReplies;
  const deadline = Date.now() + 8000;
  while (sw().stats.echoReplies < before + n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return [before, sw().stats.echoReplies];
}

test.serial('echo keepalive: OVS answers our echo requests and stays connected while idle', async (t) => {
  // Echo requests go out after an idle interval; OVS's own traffic resets it, so wait for two replies with a
  // deadline rather than counting them in a fixed window (the box is shared and loaded).
  const [before, after] = await echoRepliesAfter(2);
  t.true(after >= before + 2, `echo replies ${before} → ${after} within 8 s`);
  t.deepEqual(ctx.downs, []);
});

test.serial('a fake switch sending garbage is dropped while OVS stays served', async (t) => {
  const rejected = ctx.ctrl.waitFor('rejected', () => true, 10_000);
  const fake = new FakeSwitch({ port: ctx.ctrl.port, hello: null });
  const junk = Buffer.concat([header(0, 8, 1), Buffer.from('this is not OpenFlow at all, just garbage bytes!!')]);
  junk[10] = 0; // the second "message" (after the hello) claims length 3 < 8
  junk[11] = 3;
  fake.write(junk);
  const [, reason] = await rejected;
  t.regex(reason, /protocol error/);
  await fake.waitClosed();
  const err = fake.received.find((m) => m.type === 1);
  t.truthy(err, 'the fake switch got an OFPT_ERROR');
  t.is(err?.buf.readUInt16BE(8), 1);
  const [desc] = await sw().request({ kind: 'OFPDescStatsRequest', flags: 0 });
  t.is(desc.kind, 'OFPDescStatsReply');
  const [echoes, later] = await echoRepliesAfter(1);
  t.true(later > echoes, `OVS still answers our echoes (${echoes} → ${later} within 8 s)`);
  t.deepEqual(ctx.downs, []);
});

test.serial('roles: MASTER with a generation id, stale generation rejected, SLAVE cannot modify, back to EQUAL', async (t) => {
  const m = await sw().requestRole('MASTER', 10n);
  t.deepEqual(m, { role: 'MASTER', generationId: 10n });
  t.is(ctx.ctrl.switches().find((x) => x.dpid === DPID)?.role, 'MASTER');
  const stale = await t.throwsAsync(sw().requestRole('SLAVE', 9n), { instanceOf: OpenFlowError });
  t.regex(stale!.message, /OFPRoleRequest .*OFPET_ROLE_REQUEST_FAILED\/OFPRRFC_STALE/);
  t.deepEqual(await sw().requestRole('SLAVE', 11n), { role: 'SLAVE', generationId: 11n });
  const e = await t.throwsAsync(sw().sendBatch([flow({ priority: 3 })]), { instanceOf: OpenFlowError });
  t.regex(e!.message, /OFPET_BAD_REQUEST\/OFPBRC_IS_SLAVE/);
  const eq = await sw().requestRole('EQUAL');
  t.is(eq.role, 'EQUAL');
  await sw().sendBatch([flow({ priority: 3 }), flow({ command: OFPFC.DELETE, table_id: 0xff, cookie: COOKIE, cookie_mask: 0xffffffffffffffffn })]);
});

test.serial('reconnect after OVS restarts: switch down, then up again with table-miss reinstalled', async (t) => {
  const down = ctx.ctrl.waitFor('switch-down', (s) => s.dpid === DPID, 20_000);
  const up = ctx.ctrl.waitFor('switch-up', (s) => s.dpid === DPID, 30_000);
  await ctx.ovs.restart();
  await down;
  await up;
  t.true(sw().isUp);
  await waitUntil(async () => /priority=0 actions=CONTROLLER:65535/.test(await ctx.ovs.ofctl('dump-flows', BR, 'table=0')), 5000);
  const r = await nsExec(NS1, ['ping', '-c', '2', '-i', '0.2', '-W', '2', '10.77.0.2'], { timeoutMs: 15_000 });
  t.is(r.code, 0, r.stdout + r.stderr);
});

async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
