// Live: the real controller (controller/) + a private Open vSwitch 3.1 + the northbound API on a free port.
// A flow added through POST /stats/flowentry/add appears in `ovs-ofctl -O OpenFlow13 dump-flows` and in
// GET /stats/flow/<dpid>; ?wait=barrier reports the switch's OFPT_ERROR; clear removes flows; other Ryu
// stats endpoints and /api/v1/switches answer from the real switch. Everything created is in a Ledger.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Ledger } from '../../labs/lib/ledger.js';
import { startOvs, type OvsInstance } from '../../labs/lib/ovs.js';
import { Controller } from '../../controller/index.js';
import { controllerSwitchPort } from '../../northbound-api/adapters/controller.js';
import type { RunningApi } from '../../northbound-api/server.js';
import { start, http } from './support.js';

const id = randomBytes(2).toString('hex');
const BR = `rvn${id}`;
const DPID = 0x00004e4e00000000n + BigInt(parseInt(id, 16));
const D = DPID.toString();

interface Ctx { ledger: Ledger; ovs?: OvsInstance; ctrl: Controller; api: RunningApi }
let ctx: Ctx;

test.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), `rvn-${id}-`));
  const ledger = Ledger.open(join(dir, 'state.json'));
  ledger.record({ kind: 'dir', id: `testdir:${dir}`, path: dir, label: 'northbound OVS test dir' });
  const ctrl = new Controller({ host: '127.0.0.1', port: 0, apps: [], log: () => undefined });
  await ctrl.start();
  const api = await start({ switches: controllerSwitchPort(ctrl) });
  ctx = { ledger, ctrl, api };
  ctx.ovs = await startOvs({ ledger });
  const up = ctrl.waitFor('switch-up', (s) => s.dpid === DPID, 20_000);
  await ctx.ovs.addBridge(BR, { controller: `tcp:127.0.0.1:${ctrl.port}`, dpid: DPID.toString(16).padStart(16, '0') });
  await up;
});

test.after.always(async () => {
  await ctx?.api?.close().catch(() => undefined);
  await ctx?.ctrl?.stop().catch(() => undefined);
  await ctx?.ovs?.stop().catch(() => undefined);
  await ctx?.ledger?.teardown();
});

async function dump(): Promise<string> {
  return ctx.ovs!.ofctl('dump-flows', BR);
}

async function waitFor(pred: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return pred();
}

test.serial('GET /stats/switches lists the OVS bridge; /api/v1/switches shows it', async (t) => {
  const r = await http(ctx.api, 'GET', '/stats/switches');
  t.is(r.status, 200);
  t.true((r.json as number[]).map(String).includes(D) || r.text.includes(D), r.text);
  const s = await http(ctx.api, 'GET', `/api/v1/switches/${D}`);
  t.is(s.status, 200, s.text);
  t.is((s.json as { dpidDecimal: string }).dpidDecimal, D);
});

test.serial('POST /stats/flowentry/add (wait=barrier) → in ovs-ofctl dump-flows and in GET /stats/flow/<dpid>', async (t) => {
  const body = {
    dpid: D, table_id: 0, priority: 1234, cookie: 0x77, idle_timeout: 0,
    match: { in_port: 1, dl_type: 2048, nw_dst: '10.1.0.0/16', nw_proto: 6, tp_dst: 80 },
    actions: [{ type: 'SET_FIELD', field: 'eth_dst', value: '02:00:00:00:00:99' }, { type: 'OUTPUT', port: 2 }],
  };
  const r = await http(ctx.api, 'POST', '/stats/flowentry/add?wait=barrier', body);
  t.is(r.status, 200, r.text);
  const d = await dump();
  t.regex(d, /cookie=0x77, .*priority=1234,tcp,in_port=1,nw_dst=10\.1\.0\.0\/16,tp_dst=80 actions=(mod_dl_dst|set_field):02:00:00:00:00:99(->eth_dst)?,output:2/, d);
  const f = await http(ctx.api, 'GET', `/stats/flow/${D}`);
  t.is(f.status, 200, f.text);
  const flows = (f.json as Record<string, Array<Record<string, unknown>>>)[D];
  const mine = flows.find((x) => x.priority === 1234);
  t.truthy(mine, f.text);
  t.is(mine!.cookie, 0x77);
  t.deepEqual(mine!.match, { in_port: 1, dl_type: 2048, nw_proto: 6, nw_dst: '10.1.0.0/255.255.0.0', tp_dst: 80 });
  t.deepEqual(mine!.actions, ['SET_FIELD: {eth_dst:02:00:00:00:00:99}', 'OUTPUT:2']);
  // the filtered POST form
  const pf = await http(ctx.api, 'POST', `/stats/flow/${D}`, { cookie: 0x77, cookie_mask: -1 >>> 0, table_id: 0 });
  t.is(pf.status, 200, pf.text);
  const agg = await http(ctx.api, 'GET', `/stats/aggregateflow/${D}`);
  t.is(agg.status, 200, agg.text);
  t.true((agg.json as Record<string, Array<{ flow_count: number }>>)[D][0].flow_count >= 1);
});

test.serial('fire-and-forget add (curl -d style form content type) reaches the switch; delete_strict removes it', async (t) => {
  const raw = `{"dpid": ${D}, "priority": 77, "match": {"dl_src": "02:00:00:00:00:01"}, "actions": [{"type": "OUTPUT", "port": "CONTROLLER"}]}`;
  const r = await http(ctx.api, 'POST', '/stats/flowentry/add', undefined, { raw, contentType: 'application/x-www-form-urlencoded' });
  t.is(r.status, 200, r.text);
  t.true(await waitFor(async () => /priority=77,dl_src=02:00:00:00:00:01 actions=CONTROLLER:65509/.test(await dump()), 5000), await dump());
  const del = await http(ctx.api, 'POST', '/stats/flowentry/delete_strict?wait=barrier', { dpid: D, priority: 77, match: { dl_src: '02:00:00:00:00:01' } });
  t.is(del.status, 200, del.text);
  t.notRegex(await dump(), /priority=77,/);
});

test.serial('wait=barrier reports the switch error (OFPT_ERROR) as 502 problem+json', async (t) => {
  const r = await http(ctx.api, 'POST', '/stats/flowentry/add?wait=barrier', { dpid: D, priority: 5, actions: [{ type: 'GROUP', group_id: 4242 }] });
  t.is(r.status, 502, r.text);
  t.is(r.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  const p = r.json as { detail: string; ofp_error: { type: number; name: string } };
  t.regex(p.detail, /GROUP|group/i);
  t.is(typeof p.ofp_error.type, 'number');
});

test.serial('groups and meters through /stats/groupentry and /stats/meterentry, read back via groupdesc / meterconfig', async (t) => {
  const g = await http(ctx.api, 'POST', '/stats/groupentry/add?wait=barrier', { dpid: D, type: 'ALL', group_id: 7, buckets: [{ actions: [{ type: 'OUTPUT', port: 2 }] }] });
  t.is(g.status, 200, g.text);
  const gd = await http(ctx.api, 'GET', `/stats/groupdesc/${D}`);
  t.is(gd.status, 200, gd.text);
  t.deepEqual((gd.json as Record<string, unknown[]>)[D], [{ buckets: [{ weight: 0, watch_port: 4294967295, watch_group: 4294967295, actions: ['OUTPUT:2'] }], group_id: 7, type: 'ALL' }]);
  const m = await http(ctx.api, 'POST', '/stats/meterentry/add?wait=barrier', { dpid: D, meter_id: 3, flags: 'KBPS', bands: [{ type: 'DROP', rate: 1000 }] });
  t.is(m.status, 200, m.text);
  const mc = await http(ctx.api, 'GET', `/stats/meterconfig/${D}/3`);
  t.is(mc.status, 200, mc.text);
  t.like((mc.json as Record<string, Array<Record<string, unknown>>>)[D][0], { meter_id: 3, flags: ['KBPS'] });
  for (const p of ['desc', 'portdesc', 'table', 'port', 'group', 'groupfeatures', 'meter', 'meterfeatures', 'queue', 'role', 'tablefeatures']) {
    const r = await http(ctx.api, 'GET', `/stats/${p}/${D}`);
    t.is(r.status, 200, `${p}: ${r.text.slice(0, 300)}`);
    t.true(D in (r.json as object), p);
  }
});

test.serial('role: POST /stats/role through the controller, read back with GET /stats/role; portdesc/modify reaches the port', async (t) => {
  const r = await http(ctx.api, 'POST', '/stats/role?wait=barrier', { dpid: D, role: 'MASTER' });
  t.is(r.status, 200, r.text);
  const g = await http(ctx.api, 'GET', `/stats/role/${D}`);
  t.is(g.status, 200, g.text);
  t.is((g.json as Record<string, Array<{ role: string }>>)[D][0].role, 'MASTER');
  t.is(ctx.ctrl.switches().find((s) => s.dpid === DPID)?.role, 'MASTER', 'the controller knows its new role');
  await http(ctx.api, 'POST', '/stats/role?wait=barrier', { dpid: D, role: 'EQUAL' });
  // the bridge's LOCAL port: administratively down, then up again
  const down = await http(ctx.api, 'POST', '/stats/portdesc/modify?wait=barrier', { dpid: D, port_no: 4294967294, config: 1, mask: 1 });
  t.is(down.status, 200, down.text);
  t.regex(await ctx.ovs!.ofctl('show', BR), /LOCAL\([^)]*\): addr:[^\n]*\n\s+config:\s+PORT_DOWN/);
  const pd = await http(ctx.api, 'GET', `/stats/portdesc/${D}`);
  t.like((pd.json as Record<string, Array<Record<string, unknown>>>)[D].find((p) => p.port_no === 'LOCAL'), { config: 1 });
  const up = await http(ctx.api, 'POST', '/stats/portdesc/modify?wait=barrier', { dpid: D, port_no: 4294967294, config: 0, mask: 1 });
  t.is(up.status, 200, up.text);
  t.notRegex(await ctx.ovs!.ofctl('show', BR), /LOCAL\([^)]*\): addr:[^\n]*\n\s+config:\s+PORT_DOWN/);
});

test.serial('DELETE /stats/flowentry/clear/<dpid> empties every table', async (t) => {
  const r = await http(ctx.api, 'DELETE', `/stats/flowentry/clear/${D}?wait=barrier`);
  t.is(r.status, 200, r.text);
  t.notRegex(await dump(), /priority=/);
  const f = await http(ctx.api, 'GET', `/stats/flow/${D}`);
  t.deepEqual((f.json as Record<string, unknown[]>)[D], []);
});
