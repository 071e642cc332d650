// Data plane through the COMPILED pipeline: the ToR (private OVS, userspace datapath) is programmed by our
// OpenFlow controller with compilePipeline() + PipelineInstaller (no static flows), two real host agents
// (`rackvisor host run`, DPDK managers on af_packet ports, native monitor / firewall NFs), chain
// monitor@h1 → firewall@h2 in VXLAN, client c1 → server s1.
// Checks: c1's IP traffic is steered to h1 (table 2), VXLAN between the hosts crosses the switch by host MAC
// (table 3, never re-steered), the end of the chain reaches s1 by L2, payloads arrive intact, the firewall drops
// at h2, ARP and the replies s1 → c1 are plain L2.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Controller } from '../../controller/index.js';
import { compilePipeline, TABLE } from '../../controller/pipeline/compile.js';
import { PipelineInstaller } from '../../controller/pipeline/installer.js';
import type { PipelineModel } from '../../controller/pipeline/model.js';
import { Ledger } from '../../labs/lib/ledger.js';
import { createNetns, createVeth, nsExec, addAddress, txChecksumOff, linkMac } from '../../labs/lib/netns.js';
import { startOvs, type OvsInstance } from '../../labs/lib/ovs.js';
import { processStartTime } from '../../labs/lib/proc.js';
import { waitFor, tryRun } from '../../labs/lib/exec.js';
import type { HostStats } from '../../host/agent.js';

const ROOT = process.cwd();
const sfx = randomBytes(2).toString('hex');
const NS = { c1: `rvo-${sfx}-c1`, s1: `rvo-${sfx}-s1`, h1: `rvo-${sfx}-h1`, h2: `rvo-${sfx}-h2` };
const dir = mkdtempSync(join(tmpdir(), 'rvt-dpp-'));
const ledger = Ledger.open(join(dir, 'ledger.json'));
const agents: { name: string; p: ChildProcess; out: () => string; sock: string }[] = [];
const ctrl = new Controller({ host: '127.0.0.1', port: 0, apps: [], log: () => undefined });
let ovs: OvsInstance | undefined;
const br = `rvo${sfx}tor`;
const dpid = BigInt('0x' + randomBytes(6).toString('hex'));
const ports: Record<string, number> = {};
const macs: Record<string, string> = {};
const H1_IP = '192.168.51.1';
const H2_IP = '192.168.51.2';

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

function model(): PipelineModel {
  return {
    dpid,
    tenants: [{ id: 't1', ports: [ports['c1']!, ports['s1']!] }],
    hosts: [
      { id: 'h1', port: ports['h1']!, mac: macs['h1']! },
      { id: 'h2', port: ports['h2']!, mac: macs['h2']! },
    ],
    endpoints: [
      { mac: macs['c1']!, port: ports['c1']! },
      { mac: macs['s1']!, port: ports['s1']! },
    ],
    chains: [{ id: 'web', tenant: 't1', match: { inPorts: [ports['c1']!], ipv4Dst: '10.0.0.2/32' }, hops: [{ service: 'monitor' }, { service: 'firewall' }] }],
    instances: [
      { id: 'monitor@h1:0', service: 'monitor', host: 'h1' },
      { id: 'firewall@h2:0', service: 'firewall', host: 'h2' },
    ],
  };
}

test.before(async () => {
  await ctrl.start();
  for (const ns of Object.values(NS)) {
    await createNetns(ns, ledger);
    await must(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
    await must(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  ovs = await startOvs({ ledger });
  await ovs.addBridge(br, { failMode: 'secure', controller: `tcp:127.0.0.1:${ctrl.port}`, dpid: dpid.toString(16).padStart(16, '0') });
  for (const [k, ns] of Object.entries(NS)) {
    const outer = `rv${sfx}o${k}`;
    const inner = `rv${sfx}i${k}`;
    await createVeth({ name: outer }, { name: inner, netns: ns }, ledger);
    await tryRun('sysctl', ['-q', '-w', `net.ipv6.conf.${outer}.disable_ipv6=1`]);
    await txChecksumOff(inner, ns);
    await txChecksumOff(outer);
    ports[k] = await ovs.addPort(br, outer);
    macs[k] = await linkMac(inner, ns);
  }
  await addAddress(`rv${sfx}ic1`, '10.0.0.1/24', NS.c1);
  await addAddress(`rv${sfx}is1`, '10.0.0.2/24', NS.s1);
  if (!(await waitFor(() => ctrl.session(dpid) !== undefined, 20_000, 50))) throw new Error('ToR did not connect to the controller');
  const r = await new PipelineInstaller(ctrl.session(dpid)!).install(compilePipeline(model()));
  if (r.changes === 0) throw new Error('pipeline not installed');

  const rules = join(dir, 'fw.rules');
  writeFileSync(rules, 'default allow\ndrop proto udp dport 9999\n');
  const common = { services: { monitor: 1, firewall: 2 }, paths: [{ id: 1, services: [1, 2] }], defaultPath: 1, hugepages: { sizeMb: 256 }, heartbeatTimeoutMs: 3000 };
  await startAgent('h1', NS.h1, {
    ...common, hostId: `h1-${sfx}`, filePrefix: `rvo-${sfx}-h1`, ports: [`net_af_packet0,iface=rv${sfx}ih1`], controlSocket: join(dir, 'h1.sock'),
    nfs: [{ service: 'monitor', serviceId: 1, kind: 'native' }],
    vxlan: { mac: macs['h1'], ip: H1_IP, tunnels: [{ ip: H2_IP, mac: macs['h2'] }], remoteServices: [{ service: 2, mac: macs['h2'], ip: H2_IP }] },
  });
  await startAgent('h2', NS.h2, {
    ...common, hostId: `h2-${sfx}`, filePrefix: `rvo-${sfx}-h2`, ports: [`net_af_packet0,iface=rv${sfx}ih2`], controlSocket: join(dir, 'h2.sock'),
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
  await ctrl.stop();
  await ledger.teardown();
  rmSync(dir, { recursive: true, force: true });
});

test.serial('compiled pipeline on the ToR: c1 → monitor@h1 → VXLAN → firewall@h2 → s1, intact; firewall drops; L2 for the rest', async (t) => {
  const server = spawn('ip', ['netns', 'exec', NS.s1, '/usr/bin/python3', '-c',
    'import socket,select;a=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);a.bind(("10.0.0.2",0));' +
    'b=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);b.bind(("10.0.0.2",9999));print(a.getsockname()[1],flush=True)\n' +
    'got9999=0\nn=0\nwhile n<3:\n r,_,_=select.select([a,b],[],[],15)\n if not r: break\n for s in r:\n  d,ad=s.recvfrom(4096)\n  if s is b: got9999+=1\n  else: n+=1; a.sendto(d[::-1],ad)\n' +
    'r,_,_=select.select([b],[],[],1)\nif r: got9999+=1\nprint("9999:",got9999,flush=True)'], { stdio: ['ignore', 'pipe', 'pipe'] });
  ledger.record({ kind: 'process', pid: server.pid!, startTime: processStartTime(server.pid!), label: 'udp server' });
  let serverOut = '';
  server.stdout!.on('data', (d: Buffer) => { serverOut += d.toString(); });
  t.true(await waitFor(() => /^\d+\n/.test(serverOut), 10_000));
  const port = Number(serverOut.split('\n')[0]);

  const ping = await nsExec(NS.c1, ['ping', '-c', '5', '-i', '0.2', '-W', '3', '10.0.0.2'], { timeoutMs: 30_000 });
  t.is(ping.code, 0, `ping c1 → s1 through the chain: ${ping.stdout}${ping.stderr}`);
  const msgs = ['steered by the compiled pipeline', 'z'.repeat(1300), 'done'];
  const client = await nsExec(NS.c1, ['/usr/bin/python3', '-c',
    `import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(8)\n` +
    `for i in range(5): s.sendto(b"blocked",("10.0.0.2",9999))\n` +
    `for m in ${JSON.stringify(msgs)}:\n s.sendto(m.encode(),("10.0.0.2",${port}));d,_=s.recvfrom(4096);print(d.decode())`], { timeoutMs: 40_000 });
  t.is(client.code, 0, client.stderr);
  t.deepEqual(client.stdout.trim().split('\n'), msgs.map((m) => [...m].reverse().join('')), 'UDP payloads arrive intact (echoed reversed)');
  await waitFor(() => serverOut.includes('9999:'), 5000);
  t.regex(serverOut, /9999: 0/, 'the firewall on h2 dropped the blocked port');

  // the NFs saw the traffic in order across hosts
  const s1 = await hostStats(agents[0]!.sock);
  const s2 = await hostStats(agents[1]!.sock);
  const mon = s1.nfs.find((n) => n.service === 'monitor')!;
  const fw = s2.nfs.find((n) => n.service === 'firewall')!;
  t.true(mon.rx >= 13, `monitor@h1 saw ${mon.rx}`);
  t.true(fw.rx >= 13, `firewall@h2 saw ${fw.rx}`);
  t.is(fw.dropped, 5);
  t.true(s1.vxlan.encapOk >= 13, `h1 encapsulated ${s1.vxlan.encapOk}`);
  t.true((s2.vxlan.decap['ok'] ?? 0) >= 13);

  // ... and the switch did it with the compiled tables
  const dump = await ovs!.ofctl('dump-flows', br);
  const count = (re: RegExp): number => Number(re.exec(dump)?.[1] ?? NaN);
  const steered = count(new RegExp(`table=${TABLE.STEER}, n_packets=(\\d+), .*in_port=${ports['c1']},nw_dst=10\\.0\\.0\\.2 actions=output:${ports['h1']}`));
  t.true(steered >= 13, `steering flow c1 → h1 counted ${steered}\n${dump}`);
  const toH2 = count(new RegExp(`table=${TABLE.L2}, n_packets=(\\d+), .*dl_dst=${macs['h2']} actions=output:${ports['h2']}`));
  t.true(toH2 >= 13, `VXLAN h1 → h2 switched by h2's MAC: ${toH2}`);
  const hostIn = count(new RegExp(`table=${TABLE.CLASSIFY}, n_packets=(\\d+), .*in_port=${ports['h2']} actions=goto_table:${TABLE.L2}`));
  // 13 frames entered the chain, the firewall dropped 5: 8 leave h2 (5 pings + 3 datagrams)
  t.true(hostIn >= 8, `frames from h2 (end of chain) skip steering: ${hostIn}`);
  const toS1 = count(new RegExp(`table=${TABLE.L2}, n_packets=(\\d+), .*dl_dst=${macs['s1']} actions=output:${ports['s1']}`));
  t.true(toS1 >= 8, `end of chain → s1 by L2: ${toS1}`);
  const toC1 = count(new RegExp(`table=${TABLE.L2}, n_packets=(\\d+), .*dl_dst=${macs['c1']} actions=output:${ports['c1']}`));
  t.true(toC1 >= 8, `replies s1 → c1 by plain L2: ${toC1}`);
});
