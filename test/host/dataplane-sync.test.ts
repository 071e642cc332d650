// Data plane from ZooKeeper, no hand programming: a private ZooKeeper, a private OVS ToR driven by our controller
// and the real orchestrator (placement → assignments, path ids, compiled pipeline), and two real host agents
// (`rackvisor host run -c F`, DPDK managers on af_packet veths) whose config files hold ONLY ports and the
// `cluster:` section. The operator's records (services, tenant, a 2-hop chain monitor → firewall) are written to
// ZooKeeper like the northbound API does; each agent runs what it is assigned and programs its manager (path,
// tunnel table, VXLAN endpoint, remote service, classifier) from ZooKeeper. Traffic c1 → s1 crosses the hosts in
// VXLAN; a later policy change re-programs the managers without restarting the NFs; deleting the chain
// removes the path.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Ledger } from '../../labs/lib/ledger.js';
import { startZooKeeper, type ZooKeeperServer } from '../../labs/lib/zookeeper.js';
import { startOvs, type OvsInstance } from '../../labs/lib/ovs.js';
import { createNetns, createVeth, nsExec, addAddress, txChecksumOff, linkMac } from '../../labs/lib/netns.js';
import { processStartTime } from '../../labs/lib/proc.js';
import { tryRun, waitFor } from '../../labs/lib/exec.js';
import { ClusterStore } from '../../cluster/store.js';
import type { Chain } from '../../cluster/schemas.js';
import { Controller } from '../../controller/index.js';
import { ControllerClusterView } from '../../controller/cluster-view.js';
import { Orchestrator } from '../../controller/orchestrator.js';
import type { HostStats } from '../../host/agent.js';
import type { DataplaneView } from '../../host/dataplane-sync.js';

const sfx = randomBytes(2).toString('hex');
const dir = mkdtempSync(join(tmpdir(), 'rvt-dps-'));
const ledger = Ledger.open(join(dir, 'ledger.json'));
const root = `/rvdps${sfx}`;
const ns = { c1: `rvs-${sfx}-c1`, s1: `rvs-${sfx}-s1` };
const br = `rvs${sfx}tor`;
const dpidHex = '00' + randomBytes(7).toString('hex');
const ports: Record<string, number> = {};
const macs: Record<string, string> = {};
const tunnelIps: Record<string, string> = { h1: '192.168.77.1', h2: '192.168.77.2' };
const agents: Record<string, { p: ChildProcess; out: () => string; sock: string; id: string }> = {};
let zk: ZooKeeperServer;
let ovs: OvsInstance;
let admin: ClusterStore;
let ctrl: Controller;
let cluster: ControllerClusterView | undefined;
let orch: Orchestrator | undefined;

async function must(n: string, cmd: string[]): Promise<void> {
  const r = await nsExec(n, cmd);
  if (r.code !== 0) throw new Error(`${n}: ${cmd.join(' ')}: ${r.stderr}`);
}

async function startAgent(name: 'h1' | 'h2'): Promise<void> {
  const id = `${name}-${sfx}`;
  const prefix = `rvs-${sfx}-${name}`;
  const sock = join(dir, `${name}.sock`);
  // nothing but the ports and the cluster section: everything else comes from ZooKeeper
  const cfg = {
    hostId: id, filePrefix: prefix, ports: [`net_af_packet0,iface=rv${sfx}i${name}`], hugepages: { sizeMb: 256 },
    heartbeatTimeoutMs: 3000, controlSocket: sock,
    cluster: { connectString: zk.connectString, root, mac: macs[name], tunnelIp: tunnelIps[name], switch: { dpid: dpidHex, port: ports[name] }, maxInstances: 1, statsIntervalMs: 500 },
  };
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  ledger.record({ kind: 'mount', path: `/tmp/rv-huge-${prefix}` });
  ledger.record({ kind: 'dir', path: `/tmp/rv-huge-${prefix}` });
  ledger.record({ kind: 'dir', path: `/var/run/dpdk/${prefix}` });
  const p = spawn(process.execPath, ['--import', 'tsx', join(process.cwd(), 'cli', 'main.ts'), 'host', 'run', '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  ledger.record({ kind: 'process', pid: p.pid!, startTime: processStartTime(p.pid!), label: `host agent ${name}` });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-50_000); });
  p.stderr!.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-50_000); });
  agents[name] = { p, out: () => out, sock, id };
}

async function dataplaneOf(name: string): Promise<DataplaneView> {
  const r = await tryRun(process.execPath, ['--import', 'tsx', join(process.cwd(), 'cli', 'main.ts'), 'host', 'dataplane', '--socket', agents[name]!.sock, '--json'], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`host dataplane: ${r.stderr}`);
  return JSON.parse(r.stdout) as DataplaneView;
}

async function hostStats(name: string): Promise<HostStats> {
  const r = await tryRun(process.execPath, ['--import', 'tsx', join(process.cwd(), 'cli', 'main.ts'), 'host', 'stats', '--socket', agents[name]!.sock, '--json', '--sample', '100'], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`host stats: ${r.stderr}`);
  return JSON.parse(r.stdout) as HostStats;
}

test.before(async () => {
  ctrl = new Controller({ host: '127.0.0.1', port: 0, apps: [], log: () => undefined });
  await ctrl.start();
  zk = await startZooKeeper({ dir: join(dir, 'zk'), ledger });
  ovs = await startOvs({ ledger });
  await ovs.addBridge(br, { failMode: 'secure', controller: `tcp:127.0.0.1:${ctrl.port}`, dpid: dpidHex });
  for (const n of Object.values(ns)) {
    await createNetns(n, ledger);
    await must(n, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
    await must(n, ['sysctl', '-q', '-w', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  // c1/s1: edge endpoints in namespaces; h1/h2: the hosts' data ports (the agent's af_packet end stays in this
  // namespace so the agent reaches ZooKeeper on loopback)
  for (const k of ['c1', 's1', 'h1', 'h2']) {
    const outer = `rv${sfx}o${k}`;
    const inner = `rv${sfx}i${k}`;
    const inNs = k === 'c1' || k === 's1' ? ns[k] : undefined;
    await createVeth({ name: outer }, { name: inner, ...(inNs ? { netns: inNs } : {}) }, ledger);
    await tryRun('sysctl', ['-q', '-w', `net.ipv6.conf.${outer}.disable_ipv6=1`]);
    if (!inNs) await tryRun('sysctl', ['-q', '-w', `net.ipv6.conf.${inner}.disable_ipv6=1`]);
    await txChecksumOff(inner, inNs);
    await txChecksumOff(outer);
    ports[k] = await ovs.addPort(br, outer);
    macs[k] = await linkMac(inner, inNs);
  }
  await addAddress(`rv${sfx}ic1`, '10.0.0.1/24', ns.c1);
  await addAddress(`rv${sfx}is1`, '10.0.0.2/24', ns.s1);
  if (!(await waitFor(() => ctrl.session(BigInt('0x' + dpidHex)) !== undefined, 20_000, 50))) throw new Error('ToR did not connect');

  // what an operator declares (the northbound API writes these same records)
  admin = await ClusterStore.open({ connectString: zk.connectString, sessionTimeoutMs: 6000, root });
  await admin.ensureLayout();
  await admin.putService({ name: 'monitor', id: 1, kind: 'native', image: 'monitor', limits: { minInstances: 1, maxInstances: 2 } });
  await admin.putService({ name: 'firewall', id: 2, kind: 'native', image: 'firewall', limits: { minInstances: 1, maxInstances: 2 } });
  await admin.putTenants({ tenants: [{ id: 't1', name: 't1', ports: [ports['c1']!, ports['s1']!] }] }, 'any');
  const chain: Chain = { id: 'web', tenant: 't1', services: ['monitor', 'firewall'], match: { inPort: ports['c1']!, ipDst: '10.0.0.2/32' } };
  await admin.putChains({ chains: [chain] }, 'any');

  // the controller side: orchestrator (placement, path ids, assignments, pipeline) on our OpenFlow controller
  cluster = await ControllerClusterView.open({ connectString: zk.connectString, sessionTimeoutMs: 6000, root });
  orch = new Orchestrator({
    of: ctrl, cluster, hopAffinity: 'spread', debounceMs: 5, auditMs: 0, resyncMs: 1000,
    endpoints: [{ mac: macs['c1']!, port: ports['c1']! }, { mac: macs['s1']!, port: ports['s1']! }],
  });
  await orch.start();

  await Promise.all([startAgent('h1'), startAgent('h2')]);
});

test.after.always(async () => {
  for (const a of Object.values(agents)) {
    if (a.p.exitCode === null) {
      a.p.kill('SIGTERM');
      await waitFor(() => a.p.exitCode !== null, 20_000, 100);
    }
  }
  await orch?.stop().catch(() => undefined);
  await cluster?.close().catch(() => undefined);
  await admin?.close().catch(() => undefined);
  await ctrl?.stop().catch(() => undefined);
  await ledger.teardown();
  rmSync(dir, { recursive: true, force: true });
});

test.serial('controller places a 2-hop chain on two hosts; the agents program their managers from ZooKeeper; c1 → s1 crosses in VXLAN', async (t) => {
  // both NFs running (started by the agents from their assignments) and steered by the switch
  const placed = await waitFor(async () => {
    const m = await admin.listInstances('monitor');
    const f = await admin.listInstances('firewall');
    return [...m.values()].some((i) => i.state === 'running') && [...f.values()].some((i) => i.state === 'running');
  }, 120_000, 500);
  t.true(placed, `NFs not running: ${agents['h1']!.out().slice(-3000)}\n${agents['h2']!.out().slice(-3000)}`);
  const monHost = [...(await admin.listInstances('monitor')).values()][0]!.host;
  const fwHost = [...(await admin.listInstances('firewall')).values()][0]!.host;
  t.not(monHost, fwHost, 'one hop per host (capacity 1 each)');
  const ing = monHost === agents['h1']!.id ? 'h1' : 'h2';
  const egr = ing === 'h1' ? 'h2' : 'h1';
  const pathId = (await admin.readRecord('chains', admin.layout.chains))!.value.chains[0]!.pathId;
  t.true(pathId !== undefined && pathId > 0);
  t.true(await waitFor(async () => (await ovs.ofctl('dump-flows', br, 'table=2')).includes(`output:${ports[ing]}`), 20_000, 200), 'switch steers c1 → the ingress host');
  // the agents logged what they derived
  t.true(await waitFor(() => agents[ing]!.out().includes(`paths [${pathId}=1>2]`) && agents[ing]!.out().includes('ingress [web]'), 20_000, 100), agents[ing]!.out().slice(-3000));
  t.true(await waitFor(() => agents[egr]!.out().includes(`paths [${pathId}=1>2]`), 20_000, 100));

  // what each agent programmed (rackvisor host dataplane --json)
  const di = await dataplaneOf(ing);
  const de = await dataplaneOf(egr);
  t.deepEqual(di.local, { mac: macs[ing], ip: tunnelIps[ing] });
  t.deepEqual(di.tunnels, [{ ip: tunnelIps[egr], mac: macs[egr] }]);
  t.deepEqual(de.tunnels, [{ ip: tunnelIps[ing], mac: macs[ing] }]);
  t.deepEqual(di.paths, [{ id: pathId!, services: [1, 2] }]);
  t.deepEqual(de.paths, di.paths);
  t.deepEqual(di.remoteServices, [{ service: 2, host: agents[egr]!.id, mac: macs[egr], ip: tunnelIps[egr] }]);
  t.deepEqual(di.rules, [{ path: pathId!, dst: '10.0.0.2', dstPrefix: 32 }]);
  t.deepEqual(di.ingress, ['web']);
  t.deepEqual(de.ingress, []);
  t.deepEqual(de.rules, []);

  const ping = await nsExec(ns.c1, ['ping', '-c', '5', '-i', '0.2', '-W', '3', '10.0.0.2'], { timeoutMs: 30_000 });
  t.is(ping.code, 0, `ping c1 → s1 through the chain: ${ping.stdout}${ping.stderr}\n${agents[ing]!.out().slice(-2000)}`);
  const udp = await nsExec(ns.c1, ['/usr/bin/python3', '-c',
    'import socket,subprocess\n' +
    's=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n' +
    'for i in range(10): s.sendto(b"x"*100,("10.0.0.2",7777))'], { timeoutMs: 20_000 });
  t.is(udp.code, 0, udp.stderr);

  const si = await hostStats(ing);
  const se = await hostStats(egr);
  const mon = si.nfs.find((n) => n.service === 'monitor');
  const fw = se.nfs.find((n) => n.service === 'firewall');
  t.truthy(mon);
  t.truthy(fw);
  t.true(mon!.rx >= 15, `monitor@${ing} saw ${mon!.rx}`);
  t.true(fw!.rx >= 15, `firewall@${egr} saw ${fw!.rx}`);
  t.true(si.vxlan.encapOk >= 15, `${ing} encapsulated ${si.vxlan.encapOk}`);
  t.true((se.vxlan.decap['ok'] ?? 0) >= 15, `${egr} decapsulated ${JSON.stringify(se.vxlan.decap)}`);
  // VXLAN crossed the switch by the egress host's registered MAC (L2 table), never re-steered
  const dump = await ovs.ofctl('dump-flows', br);
  const toEgr = Number(new RegExp(`n_packets=(\\d+), .*dl_dst=${macs[egr]} actions=output:${ports[egr]}`).exec(dump)?.[1] ?? NaN);
  t.true(toEgr >= 15, `VXLAN ${ing} → ${egr} by MAC: ${toEgr}\n${dump}`);

  // a policy change (the chain's match widens to the /24) re-programs the classifier; the NFs keep running (same pids)
  const pids = { mon: mon!.pid, fw: fw!.pid };
  const n0 = (agents[ing]!.out().match(/\[dataplane-sync [^\]]+\] applied/g) ?? []).length;
  await admin.modify('chains', admin.layout.chains, (cur) => ({ v: 1, chains: (cur?.chains ?? []).map((c) => ({ ...c, match: { ...c.match, ipDst: '10.0.0.0/24' } })) }));
  t.true(await waitFor(() => (agents[ing]!.out().match(/\[dataplane-sync [^\]]+\] applied/g) ?? []).length > n0, 10_000, 100), 'ingress re-applied after the chain changed');
  t.regex(agents[ing]!.out(), /applied: .* ingress \[web\] default 0/);
  t.regex(agents[egr]!.out(), /applied: .* ingress \[\] default 0/);
  const ping2 = await nsExec(ns.c1, ['ping', '-c', '3', '-i', '0.2', '-W', '3', '10.0.0.2'], { timeoutMs: 30_000 });
  t.is(ping2.code, 0);
  const si2 = await hostStats(ing);
  const se2 = await hostStats(egr);
  t.is(si2.nfs.find((n) => n.service === 'monitor')?.pid, pids.mon);
  t.is(se2.nfs.find((n) => n.service === 'firewall')?.pid, pids.fw);
  t.true(si2.nfs.find((n) => n.service === 'monitor')!.rx >= mon!.rx + 3, // 3 echo requests (replies go by L2)
    `monitor ${mon!.rx} → ${si2.nfs.find((n) => n.service === 'monitor')!.rx}; drops ${JSON.stringify(si2.drops)}\n${await ovs.ofctl('dump-flows', br)}\n${agents[ing]!.out().slice(-1500)}`);

  // deleting the chain: the path goes from both managers, the NFs are unassigned
  await admin.putChains({ chains: [] }, 'any');
  t.true(await waitFor(() => agents[ing]!.out().includes('paths [] ') && agents[egr]!.out().includes('paths [] '), 20_000, 100),
    `paths removed: ${agents[ing]!.out().slice(-1500)}`);
  t.true(await waitFor(async () => (await admin.listInstances('monitor')).size === 0 && (await admin.listInstances('firewall')).size === 0, 30_000, 200), 'NFs stopped');
});
