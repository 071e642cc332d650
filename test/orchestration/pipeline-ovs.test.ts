// Integration: the compiled pipeline installed on a REAL (private) Open vSwitch through our OpenFlow channel.
// Checks what OVS reports (dump-flows/dump-groups), what it does with packets (ofproto/trace, injected frames),
// and that re-installing the same desired state after a "restart" changes nothing (counters and durations run on).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Controller } from '../../controller/index.js';
import { compilePipeline, TABLE } from '../../controller/pipeline/compile.js';
import type { PipelineModel } from '../../controller/pipeline/model.js';
import { PipelineInstaller } from '../../controller/pipeline/installer.js';
import { Ledger } from '../../labs/lib/ledger.js';
import { startOvs, type OvsInstance } from '../../labs/lib/ovs.js';
import { sleep, waitFor } from '../../labs/lib/exec.js';

const MAC = { c1: '02:00:00:00:00:01', s1: '02:00:00:00:00:02', h1: '02:00:00:00:00:03', h2: '02:00:00:00:00:04' };

function model(fwHosts: string[]): PipelineModel {
  return {
    tenants: [{ id: 't1', ports: [1, 2] }],
    hosts: [
      { id: 'h1', port: 3, mac: MAC.h1 },
      { id: 'h2', port: 4, mac: MAC.h2 },
    ],
    endpoints: [
      { mac: MAC.c1, port: 1 },
      { mac: MAC.s1, port: 2 },
    ],
    chains: [
      { id: 'web', tenant: 't1', match: { inPorts: [1], ipv4Dst: '10.0.2.0/24' }, hops: [{ service: 'fw' }, { service: 'mon' }] },
      {
        id: 'guard',
        tenant: 't1',
        priority: 300,
        offloadFirewall: true,
        match: { inPorts: [1], ipv4Dst: '10.0.3.0/24' },
        hops: [{ service: 'acl', firewall: { stateless: true, defaultAction: 'allow', rules: [{ action: 'drop', ipProto: 17, dstPort: 53 }] } }, { service: 'mon' }],
      },
    ],
    instances: [...fwHosts.map((h, i) => ({ id: `fw${i}`, service: 'fw', host: h })), { id: 'mon0', service: 'mon', host: 'h2' }],
  };
}

interface FlowLine { text: string; packets: number; duration: number; cookie: string; table: number; priority: number; rest: string }

async function dumpFlows(ovs: OvsInstance, br: string): Promise<FlowLine[]> {
  const out = await ovs.ofctl('dump-flows', br);
  return out
    .split('\n')
    .filter((l) => l.includes('cookie='))
    .map((l) => {
      const num = (re: RegExp): number => Number(re.exec(l)?.[1] ?? NaN);
      const rest = l.replace(/duration=[^,]+, /, '').replace(/n_packets=\d+, /, '').replace(/n_bytes=\d+, /, '').replace(/idle_age=\d+, /, '').trim();
      return { text: l.trim(), packets: num(/n_packets=(\d+)/), duration: num(/duration=([\d.]+)s/), cookie: /cookie=(0x[0-9a-f]+)/.exec(l)?.[1] ?? '', table: num(/table=(\d+)/), priority: num(/priority=(\d+)/), rest };
    });
}

test('pipeline on a real OVS: installed as compiled, behaves as designed, restart reconciliation is a no-op', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'rvt-pipe-'));
  const ledger = Ledger.open(join(root, 'state.json'));
  const ctrl = new Controller({ host: '127.0.0.1', port: 0, apps: [], log: () => undefined });
  const br = `rvp${randomBytes(2).toString('hex')}`;
  const dpid = BigInt('0x' + randomBytes(6).toString('hex'));
  try {
    await ctrl.start();
    const ovs = await startOvs({ ledger });
    await ovs.addBridge(br, { controller: `tcp:127.0.0.1:${ctrl.port}`, failMode: 'secure', dpid: dpid.toString(16).padStart(16, '0') });
    for (let p = 1; p <= 4; p++) await ovs.vsctl('add-port', br, `${br}-p${p}`, '--', 'set', 'interface', `${br}-p${p}`, 'type=dummy', `ofport_request=${p}`);
    t.true(await waitFor(() => ctrl.session(dpid) !== undefined, 15_000, 50), 'switch connected to our controller');
    const sw = ctrl.session(dpid)!;

    // ---- first install: everything is added
    const compiled = compilePipeline({ ...model(['h1', 'h2']), dpid });
    t.deepEqual(compiled.problems, []);
    const installer = new PipelineInstaller(sw);
    const r1 = await installer.install(compiled);
    t.true(r1.readSwitch);
    t.is(r1.diff.flowAdds.length, compiled.flows.length);
    t.is(r1.diff.groupAdds.length, compiled.groups.length);
    const flows = await dumpFlows(ovs, br);
    t.is(flows.length, compiled.flows.length, flows.map((f) => f.text).join('\n'));
    t.true(flows.some((f) => f.table === TABLE.CLASSIFY && /priority=1000,in_port=3 actions=goto_table:3/.test(f.rest)), 'host port skips steering');
    t.true(flows.every((f) => f.cookie.startsWith('0x5256')), 'every flow carries our cookie namespace');
    const groups = await ovs.ofctl('dump-groups', br);
    t.regex(groups, /type=select.*bucket=.*actions=output:3.*bucket=.*actions=output:4/);
    t.regex(groups, /type=all.*bucket=actions=output:1,bucket=actions=output:2/);

    // ---- behaviour (ofproto/trace): steering, ACL offload, host frames never re-steered
    const trace = (flow: string): Promise<string> => ovs.appctl('ofproto/trace', br, flow);
    const web = await trace(`udp,in_port=1,dl_src=${MAC.c1},dl_dst=${MAC.s1},nw_src=10.0.1.5,nw_dst=10.0.2.7,udp_src=1000,udp_dst=80`);
    t.regex(web, /2\. ip,in_port=1,nw_dst=10\.0\.2\.0\/24, priority \d+, cookie 0x525602[0-9a-f]+\s+group:\d+/, 'edge IPv4 traffic of the chain hits its steering flow → select group');
    const dns = await trace(`udp,in_port=1,dl_src=${MAC.c1},dl_dst=${MAC.s1},nw_src=10.0.1.5,nw_dst=10.0.3.9,udp_src=1000,udp_dst=53`);
    t.regex(dns, /Datapath actions: drop/, 'offloaded firewall rule drops at the switch');
    const guarded = await trace(`udp,in_port=1,dl_src=${MAC.c1},dl_dst=${MAC.s1},nw_src=10.0.1.5,nw_dst=10.0.3.9,udp_src=1000,udp_dst=80`);
    t.regex(guarded, /output:4/, 'allowed traffic skips the offloaded hop, goes to the host of the next hop (mon on h2)');
    const back = await trace(`udp,in_port=3,dl_src=${MAC.h1},dl_dst=${MAC.s1},nw_src=10.0.1.5,nw_dst=10.0.2.7,udp_src=1000,udp_dst=80`);
    t.regex(back, /output:2/, 'a frame from a host goes to its destination by L2');
    t.notRegex(back, /group:/, 'and is never re-steered');
    const arp = await trace(`arp,in_port=1,dl_src=${MAC.c1},dl_dst=ff:ff:ff:ff:ff:ff,arp_spa=10.0.1.5,arp_tpa=10.0.2.7`);
    t.notRegex(arp, /output:[34]/, 'broadcasts are flooded to edge ports only');
    t.regex(arp, /output:2/);

    // ---- traffic: frames injected on port 1 hit the steering flow and leave on the ingress hosts' ports
    const txOf = async (port: number): Promise<number> => Number(/tx pkts=(\d+)/.exec(await ovs.ofctl('dump-ports', br, String(port)))?.[1] ?? NaN);
    const tx0 = (await txOf(3)) + (await txOf(4));
    const tx0edge = await txOf(2);
    const frame = `in_port(1),eth(src=${MAC.c1},dst=${MAC.s1}),eth_type(0x0800),ipv4(src=10.0.1.5,dst=10.0.2.7,proto=17,tos=0,ttl=64,frag=no),udp(src=1000,dst=80)`;
    for (let i = 0; i < 5; i++) await ovs.appctl('netdev-dummy/receive', `${br}-p1`, frame);
    const steerLine = async (): Promise<FlowLine> => (await dumpFlows(ovs, br)).find((f) => f.table === TABLE.STEER && f.rest.includes('nw_dst=10.0.2.0/24'))!;
    t.true(await waitFor(async () => (await steerLine()).packets >= 5, 5000, 100), 'steering flow counted the frames');
    t.true(await waitFor(async () => (await txOf(3)) + (await txOf(4)) - tx0 === 5, 5000, 100), 'all 5 frames went out to host ports');
    t.is(await txOf(2), tx0edge, 'none reached the server port directly');
    const before = await steerLine();
    await sleep(1100);

    // ---- "controller restart": a fresh installer reads the switch and finds nothing to do
    const restarted = new PipelineInstaller(sw);
    const r2 = await restarted.install(compilePipeline({ ...model(['h1', 'h2']), dpid }));
    t.true(r2.readSwitch);
    t.is(r2.changes, 0, JSON.stringify(r2.diff, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v)));
    const after = await steerLine();
    t.is(after.packets, before.packets, 'counters kept');
    t.true(after.duration >= before.duration + 1, `flow not re-created (duration ${before.duration} → ${after.duration})`);

    // ---- a change: fw only on h2 → steering flow modified (MODIFY_STRICT keeps its counters), select group gone
    const r3 = await restarted.install(compilePipeline({ ...model(['h2']), dpid }));
    t.false(r3.readSwitch, 'diffed against the cache');
    t.is(r3.diff.flowMods.length, 1);
    t.is(r3.diff.groupDeletes.length, 1);
    t.is(r3.changes, 2);
    const moved = await steerLine();
    t.regex(moved.rest, /actions=output:4/);
    t.is(moved.packets, before.packets, 'modify kept the counters');
    t.notRegex(await ovs.ofctl('dump-groups', br), /type=select/);
    const audit = await restarted.install(compilePipeline({ ...model(['h2']), dpid }), { audit: true });
    t.true(audit.readSwitch);
    t.is(audit.changes, 0, 'the switch agrees with the cache');

    // ---- a foreign flow in our tables is removed by the audit; one in another table is left alone
    await ovs.ofctl('add-flow', br, 'table=3,priority=7,dl_dst=02:aa:00:00:00:01,actions=drop');
    await ovs.ofctl('add-flow', br, 'table=9,priority=7,actions=drop');
    const r4 = await restarted.install(compilePipeline({ ...model(['h2']), dpid }), { audit: true });
    t.is(r4.diff.flowDeletes.length, 1);
    const final = await dumpFlows(ovs, br);
    t.false(final.some((f) => f.rest.includes('02:aa:00:00:00:01')));
    t.true(final.some((f) => f.table === 9));
  } finally {
    await ctrl.stop();
    await ledger.teardown();
    rmSync(root, { recursive: true, force: true });
  }
});
