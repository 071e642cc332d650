// Data plane through the COMPILED pipeline: the ToR (private OVS, userspace datapath) is programmed by our
// OpenFlow controller with compilePipeline() + PipelineInstaller (no static flows), two real host agents
// (`rackvisor host run`, DPDK managers on af_packet ports, native monitor / firewall NFs), chain
// monitor@h1 → firewall@h2 in VXLAN, client c1 → server s1 (rig: bench/suites/system.ts DataplaneRig; the agents
// program their managers from ZooKeeper records — host/dataplane-sync.ts — nothing is configured by hand).
// Checks: c1's IP traffic is steered to h1 (table 2), VXLAN between the hosts crosses the switch by host MAC
// (table 3, never re-steered), the end of the chain reaches s1 by L2, payloads arrive intact, the firewall drops
// at h2, ARP and the replies s1 → c1 are plain L2; removing the chain is a one-flow change to the ToR-only path.
import test from 'ava';
import { TABLE } from '../../controller/pipeline/compile.js';
import { DataplaneRig } from '../../bench/suites/system.js';
import { nsExec } from '../../labs/lib/netns.js';
import { startUdpEcho, udpRoundTrips } from '../support/udp.js';
import { waitFor } from '../../labs/lib/exec.js';

let rig: DataplaneRig | undefined;

test.before(async () => {
  rig = await DataplaneRig.start();
});

test.after.always(async () => {
  await rig?.stop();
});

test.serial('compiled pipeline on the ToR: c1 → monitor@h1 → VXLAN → firewall@h2 → s1, intact; firewall drops; L2 for the rest', async (t) => {
  const r = rig!;
  const server = startUdpEcho(r.ledger, r.ns.s1, '10.0.0.2', { echoes: 3, reply: 'reverse', probePort: 9999 });
  t.true(await server.ready(10_000));

  const ping = await nsExec(r.ns.c1, ['ping', '-c', '5', '-i', '0.2', '-W', '3', '10.0.0.2'], { timeoutMs: 30_000 });
  t.is(ping.code, 0, `ping c1 → s1 through the chain: ${ping.stdout}${ping.stderr}`);
  const msgs = ['steered by the compiled pipeline', 'z'.repeat(1300), 'done'];
  const client = await udpRoundTrips(r.ns.c1, '10.0.0.2', server.port, msgs,
    { recvTimeoutS: 8, timeoutMs: 40_000, probe: { port: 9999, count: 5 } });
  t.is(client.code, 0, client.stderr);
  t.deepEqual(client.stdout.trim().split('\n'), msgs.map((m) => [...m].reverse().join('')), 'UDP payloads arrive intact (echoed reversed)');
  await waitFor(() => server.output().includes('9999:'), 5000);
  t.regex(server.output(), /9999: 0/, 'the firewall on h2 dropped the blocked port');

  // the NFs saw the traffic in order across hosts
  const s1 = await r.hostStats(r.agents[0]!.sock);
  const s2 = await r.hostStats(r.agents[1]!.sock);
  const mon = s1.nfs.find((n) => n.service === 'monitor')!;
  const fw = s2.nfs.find((n) => n.service === 'firewall')!;
  t.true(mon.rx >= 13, `monitor@h1 saw ${mon.rx}`);
  t.true(fw.rx >= 13, `firewall@h2 saw ${fw.rx}`);
  t.is(fw.dropped, 5);
  t.true(s1.vxlan.encapOk >= 13, `h1 encapsulated ${s1.vxlan.encapOk}`);
  t.true((s2.vxlan.decap['ok'] ?? 0) >= 13);

  // ... and the switch did it with the compiled tables
  const { ports, macs } = r;
  const dump = await r.ovs.ofctl('dump-flows', r.br);
  const count = (re: RegExp): number => Number(re.exec(dump)?.[1] ?? NaN);
  const steered = count(new RegExp(`table=${TABLE.STEER}, n_packets=(\\d+), .*in_port=${ports['c1']},nw_dst=10\\.0\\.0\\.2 actions=output:${ports['h1']}`));
  t.true(steered >= 13, `steering flow c1 → h1 counted ${steered}\n${dump}`);
  const toH2 = count(new RegExp(`table=${TABLE.L2}, n_packets=(\\d+), .*dl_dst=${r.hostMac('h2')} actions=output:${ports['h2']}`));
  t.true(toH2 >= 13, `VXLAN h1 → h2 switched by h2's MAC: ${toH2}`);
  // 13 frames entered the chain, the firewall dropped 5: 8 leave h2 (5 pings + 3 datagrams)
  const hostIn = count(new RegExp(`table=${TABLE.CLASSIFY}, n_packets=(\\d+), .*in_port=${ports['h2']} actions=goto_table:${TABLE.L2}`));
  t.true(hostIn >= 8, `frames from h2 (end of chain) skip steering: ${hostIn}`);
  const toS1 = count(new RegExp(`table=${TABLE.L2}, n_packets=(\\d+), .*dl_dst=${macs['s1']} actions=output:${ports['s1']}`));
  t.true(toS1 >= 8, `end of chain → s1 by L2: ${toS1}`);
  const toC1 = count(new RegExp(`table=${TABLE.L2}, n_packets=(\\d+), .*dl_dst=${macs['c1']} actions=output:${ports['c1']}`));
  t.true(toC1 >= 8, `replies s1 → c1 by plain L2: ${toC1}`);

  // the ToR-only path is the same pipeline minus the chain: one flow deleted
  const off = await r.install(false);
  t.is(off.changes, 1);
  t.is(off.diff.flowDeletes.length, 1);
  const monBefore = mon.rx;
  const ping2 = await nsExec(r.ns.c1, ['ping', '-c', '3', '-i', '0.2', '-W', '3', '10.0.0.2'], { timeoutMs: 30_000 });
  t.is(ping2.code, 0);
  const mon2 = (await r.hostStats(r.agents[0]!.sock)).nfs.find((n) => n.service === 'monitor')!;
  t.is(mon2.rx, monBefore, 'without the chain, traffic no longer visits the monitor');
});
