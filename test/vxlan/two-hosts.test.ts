// (d) A chain across two hosts through a switch, in VXLAN: monitor@h1 → firewall@h2, client c1 →
// server s1. A mini lab built here (not `rackvisor lab`, no controller/ZooKeeper): a private Open
// vSwitch (userspace datapath) as the ToR with the steering the controller would install (static
// flows), four namespaces, and two real host agents (`rackvisor host run`, each its own DPDK manager
// on an af_packet port, the native monitor / firewall NF processes, VXLAN config from the host
// config). c1's IP traffic is steered to h1; h1 runs monitor, the next service (firewall) is on h2,
// so h1 encapsulates (VNI = path 1, index 1) and sends it to h2 through the switch; h2 decapsulates,
// runs the firewall, the path ends and the frame goes to s1. tshark on h1's link sees the VXLAN.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Ledger } from '../../labs/lib/ledger.js';
import { createNetns, createVeth, nsExec, addAddress, txChecksumOff, linkMac } from '../../labs/lib/netns.js';
import { startOvs, type OvsInstance } from '../../labs/lib/ovs.js';
import { processStartTime } from '../../labs/lib/proc.js';
import { startUdpEcho, udpRoundTrips } from '../support/udp.js';
import { sleep, waitFor, tryRun } from '../../labs/lib/exec.js';
import { ROOT, readPcap, tsharkJson } from './helpers.js';
import { decapsulate, vniFor } from '../../vxlan/index.js';
import type { HostStats } from '../../host/agent.js';

const sfx = randomBytes(2).toString('hex');
const NS = { c1: `rvt-${sfx}-c1`, s1: `rvt-${sfx}-s1`, h1: `rvt-${sfx}-h1`, h2: `rvt-${sfx}-h2` };
const dir = mkdtempSync(join(tmpdir(), 'rvt-2h-'));
const ledger = Ledger.open(join(dir, 'ledger.json'));
const agents: { name: string; p: ChildProcess; out: () => string; sock: string }[] = [];
let ovs: OvsInstance | undefined;
const H1_IP = '192.168.50.1';
const H2_IP = '192.168.50.2';
const VNI = vniFor(1, 1);

async function must(ns: string, cmd: string[]): Promise<string> {
  const r = await nsExec(ns, cmd);
  if (r.code !== 0) throw new Error(`${ns}: ${cmd.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function hostStats(sock: string): Promise<HostStats> {
  const r = await tryRun(process.execPath, ['--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'host', 'stats', '--socket', sock, '--json', '--sample', '100'], { timeoutMs: 30_000, cwd: ROOT });
  if (r.code !== 0) throw new Error(`host stats: ${r.stderr}`);
  return JSON.parse(r.stdout) as HostStats;
}

async function startAgent(name: string, ns: string, cfg: Record<string, unknown>): Promise<void> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(cfg, null, 2));
  const prefix = cfg['filePrefix'] as string;
  ledger.record({ kind: 'mount', path: `/tmp/rv-huge-${prefix}` });
  ledger.record({ kind: 'dir', path: `/tmp/rv-huge-${prefix}` });
  ledger.record({ kind: 'dir', path: `/var/run/dpdk/${prefix}` });
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '--import', 'tsx', join(ROOT, 'cli', 'main.ts'), 'host', 'run', '-c', file], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  ledger.record({ kind: 'process', pid: p.pid!, startTime: processStartTime(p.pid!), label: `host agent ${name}` });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  p.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  agents.push({ name, p, out: () => out, sock: cfg['controlSocket'] as string });
  const up = await waitFor(() => out.includes('manager up') || p.exitCode !== null, 90_000, 200);
  if (!up || p.exitCode !== null) throw new Error(`agent ${name} did not come up: ${out}`);
}

test.before(async () => {
  for (const ns of Object.values(NS)) {
    await createNetns(ns, ledger);
    await must(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
    await must(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  ovs = await startOvs({ ledger });
  const br = `rv${sfx}tor`;
  await ovs.addBridge(br, { failMode: 'secure' });
  const ports: Record<string, number> = {};
  const macs: Record<string, string> = {};
  for (const [k, ns] of Object.entries(NS)) {
    const outer = `rv${sfx}p${k}`;
    const inner = `rv${sfx}${k}`;
    await createVeth({ name: outer }, { name: inner, netns: ns }, ledger);
    await tryRun('sysctl', ['-q', '-w', `net.ipv6.conf.${outer}.disable_ipv6=1`]);
    await txChecksumOff(inner, ns);
    await txChecksumOff(outer);
    ports[k] = await ovs.addPort(br, outer);
    macs[k] = await linkMac(inner, ns);
  }
  await addAddress(`rv${sfx}c1`, '10.0.0.1/24', NS.c1);
  await addAddress(`rv${sfx}s1`, '10.0.0.2/24', NS.s1);
  // the ToR: what the controller's pipeline would install for this chain (static here)
  const flows = [
    `priority=100,in_port=${ports['c1']},ip,nw_dst=10.0.0.2,actions=output:${ports['h1']}`, // steering → ingress host h1
    `priority=50,in_port=${ports['c1']},actions=output:${ports['s1']}`,                      // ARP etc.
    `priority=50,in_port=${ports['s1']},actions=output:${ports['c1']}`,                      // replies: L2 back to c1
    `priority=60,dl_dst=${macs['h2']},actions=output:${ports['h2']}`,                        // VXLAN between hosts by host MAC
    `priority=60,dl_dst=${macs['h1']},actions=output:${ports['h1']}`,
    `priority=40,in_port=${ports['h2']},dl_dst=${macs['s1']},actions=output:${ports['s1']}`, // end of the chain → s1
  ];
  for (const f of flows) await ovs.ofctl('add-flow', br, f);
  const rules = join(dir, 'fw.rules');
  writeFileSync(rules, 'default allow\ndrop proto udp dport 9999\n');
  const common = {
    services: { monitor: 1, firewall: 2 }, paths: [{ id: 1, services: [1, 2] }], defaultPath: 1,
    hugepages: { sizeMb: 256 }, heartbeatTimeoutMs: 3000,
  };
  await startAgent('h1', NS.h1, {
    ...common, hostId: `h1-${sfx}`, filePrefix: `rvt-${sfx}-h1`, ports: [`net_af_packet0,iface=rv${sfx}h1`],
    controlSocket: join(dir, 'h1.sock'),
    nfs: [{ service: 'monitor', serviceId: 1, kind: 'native' }],
    vxlan: { mac: macs['h1'], ip: H1_IP, tunnels: [{ ip: H2_IP, mac: macs['h2'] }], remoteServices: [{ service: 2, mac: macs['h2'], ip: H2_IP }] },
  });
  await startAgent('h2', NS.h2, {
    ...common, hostId: `h2-${sfx}`, filePrefix: `rvt-${sfx}-h2`, ports: [`net_af_packet0,iface=rv${sfx}h2`],
    controlSocket: join(dir, 'h2.sock'),
    nfs: [{ service: 'firewall', serviceId: 2, kind: 'native', args: ['--rules', rules] }],
    vxlan: { mac: macs['h2'], ip: H2_IP, tunnels: [{ ip: H1_IP, mac: macs['h1'] }] },
  });
  for (const a of agents) {
    const ok = await waitFor(async () => (await hostStats(a.sock)).nfs.some((n) => n.state === 'running'), 60_000, 500);
    if (!ok) throw new Error(`NF on ${a.name} not running: ${a.out()}`);
  }
});

test.after.always(async () => {
  for (const a of agents) {
    if (a.p.exitCode === null) {
      a.p.kill('SIGTERM');
      await waitFor(() => a.p.exitCode !== null, 20_000, 100);
    }
  }
  await ledger.teardown();
  rmSync(dir, { recursive: true, force: true });
});

test.serial('(d) c1 → monitor@h1 → VXLAN through the switch → firewall@h2 → s1: traffic arrives intact, tshark sees VXLAN on h1\'s link', async (t) => {
  const pcap = join(dir, 'h1.pcap');
  // h1's link, at its switch end (the manager's af_packet port bypasses the qdisc, so a capture on
  // h1's own end would not see what the manager sends)
  const cap = spawn('tcpdump', ['-i', `rv${sfx}ph1`, '-U', '-n', '-s', '0', '-w', pcap, 'udp port 4789'], { stdio: ['ignore', 'ignore', 'pipe'] });
  ledger.record({ kind: 'process', pid: cap.pid!, startTime: processStartTime(cap.pid!), label: 'tcpdump' });
  let capErr = '';
  cap.stderr!.on('data', (d: Buffer) => { capErr += d.toString(); });
  t.true(await waitFor(() => capErr.includes('listening on'), 15_000), capErr);
  await sleep(300);
  // UDP server on s1 echoes (reversed) what it gets; it also counts what reaches port 9999
  const server = startUdpEcho(ledger, NS.s1, '10.0.0.2', { echoes: 3, reply: 'reverse', probePort: 9999 });
  t.true(await server.ready(10_000));
  const ping = await nsExec(NS.c1, ['ping', '-c', '5', '-i', '0.2', '-W', '3', '10.0.0.2'], { timeoutMs: 30_000 });
  t.is(ping.code, 0, `ping c1 → s1 through the chain: ${ping.stdout}${ping.stderr}`);
  const msgs = ['across two hosts', 'y'.repeat(1300), 'the end'];
  const client = await udpRoundTrips(NS.c1, '10.0.0.2', server.port, msgs,
    { recvTimeoutS: 8, timeoutMs: 40_000, probe: { port: 9999, count: 5 } });
  t.is(client.code, 0, client.stderr);
  t.deepEqual(client.stdout.trim().split('\n'), msgs.map((m) => [...m].reverse().join('')), 'UDP payloads arrive intact (echoed reversed)');
  await waitFor(() => server.output().includes('9999:'), 5000);
  t.regex(server.output(), /9999: 0/, 'the firewall on h2 dropped the blocked port');
  await sleep(300);
  const exited = new Promise<void>((r) => cap.once('exit', () => r()));
  cap.kill('SIGINT');
  await exited;

  const s1 = await hostStats(agents[0]!.sock);
  const s2 = await hostStats(agents[1]!.sock);
  t.log(`h1 vxlan ${JSON.stringify(s1.vxlan)} nfs ${JSON.stringify(s1.nfs.map((n) => [n.service, n.rx, n.dropped]))}`);
  t.log(`h2 vxlan ${JSON.stringify(s2.vxlan)} nfs ${JSON.stringify(s2.nfs.map((n) => [n.service, n.rx, n.dropped]))}`);
  t.true(s1.vxlan.encapOk >= 13, `h1 encapsulated ${s1.vxlan.encapOk}`);
  t.true((s2.vxlan.decap['ok'] ?? 0) >= 13, `h2 decapsulated ${s2.vxlan.decap['ok']}`);
  const mon = s1.nfs.find((n) => n.service === 'monitor')!;
  const fw = s2.nfs.find((n) => n.service === 'firewall')!;
  t.true(mon.rx >= 13, `monitor@h1 saw ${mon.rx}`);
  t.true(fw.rx >= 13, `firewall@h2 saw ${fw.rx}`);
  t.is(fw.dropped, 5, 'firewall@h2 dropped the 5 blocked datagrams');

  t.true(statSync(pcap).size > 24);
  const frames = readPcap(pcap);
  const pk = await tsharkJson(pcap);
  let seen = 0;
  pk.forEach((p, i) => {
    const l = p._source.layers;
    t.false(JSON.stringify(l).includes('_ws.malformed'));
    const vx = l['vxlan'] as Record<string, string>;
    t.is(vx['vxlan.vni'], String(VNI));
    const d = decapsulate(frames[i]!, { localIp: H2_IP });
    t.is(d.outer.srcIp, H1_IP);
    const inner = Buffer.from(d.inner);
    t.is(inner.readUInt16BE(12), 0x0800);
    if (inner.readUInt32BE(26) === 0x0a000001 && inner.readUInt32BE(30) === 0x0a000002) seen++;
  });
  t.true(seen >= 13, `${seen} c1→s1 frames in VXLAN on h1's link`);
});
