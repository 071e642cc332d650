// The demo on Mininet: labs/mininet/rackvisor_topo.py --demo builds a single ToR with client c1, server s1 and
// rack hosts h1, h2 (Mininet Python API, private OVS, our own teardown); the ToR is programmed by our controller
// with the compiled pipeline; real host agents (DPDK managers, native monitor@h1 and firewall@h2, VXLAN between
// them) run inside the Mininet hosts h1 and h2. c1 → s1 traffic goes through the chain across the hosts.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Controller } from '../../controller/index.js';
import { compilePipeline, TABLE } from '../../controller/pipeline/compile.js';
import { PipelineInstaller } from '../../controller/pipeline/installer.js';
import type { HostStats } from '../../host/agent.js';
import { Ledger } from '../../labs/lib/ledger.js';
import { startOvs } from '../../labs/lib/ovs.js';
import { processStartTime } from '../../labs/lib/proc.js';
import { run, tryRun, waitFor } from '../../labs/lib/exec.js';

interface TopoHost { name: string; role: string; ip: string; mac: string; port: number; pid: number; intf: string }

test('Mininet demo: c1 → monitor@h1 → VXLAN → firewall@h2 → s1 through the compiled pipeline, agents inside Mininet hosts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rvt-mnd-'));
  const ledger = Ledger.open(join(dir, 'state.json'));
  const ctrl = new Controller({ host: '127.0.0.1', port: 0, apps: [], log: () => undefined });
  const prefix = `d${randomBytes(2).toString('hex')}`;
  const hold = join(dir, 'topo.json');
  let topo: ChildProcess | undefined;
  let topoOut = '';
  const agents: Array<{ name: string; p: ChildProcess; out: () => string; sock: string }> = [];
  const inNs = (h: TopoHost, cmd: string[]): string[] => ['nsenter', `--net=/proc/${h.pid}/ns/net`, '--', ...cmd];
  try {
    await ctrl.start();
    const ovs = await startOvs({ ledger });
    topo = spawn('/usr/bin/python3', ['labs/mininet/rackvisor_topo.py', '--controller', `127.0.0.1:${ctrl.port}`, '--ovs-rundir', ovs.dir, '--demo', '--prefix', prefix, '--hold', hold], { stdio: ['ignore', 'pipe', 'pipe'] });
    ledger.record({ kind: 'process', pid: topo.pid!, startTime: processStartTime(topo.pid!), label: 'mininet topology' });
    topo.stdout!.on('data', (d: Buffer) => (topoOut += d.toString()));
    topo.stderr!.on('data', (d: Buffer) => (topoOut += d.toString()));
    t.true(await waitFor(() => existsSync(hold) || topo!.exitCode !== null, 90_000, 100), topoOut);
    const info = JSON.parse(readFileSync(hold, 'utf8')) as { dpid: string; connected: boolean; hosts: TopoHost[] };
    t.true(info.connected, 'the Mininet ToR connected to our controller');
    const H = Object.fromEntries(info.hosts.map((h) => [h.role, h])) as Record<'c1' | 's1' | 'h1' | 'h2', TopoHost>;
    const dpid = BigInt('0x' + info.dpid);
    t.true(await waitFor(() => ctrl.session(dpid) !== undefined, 15_000, 50));
    const installed = await new PipelineInstaller(ctrl.session(dpid)!).install(compilePipeline({
      dpid,
      tenants: [{ id: 't1', ports: [H.c1.port, H.s1.port] }],
      hosts: [
        { id: 'h1', port: H.h1.port, mac: H.h1.mac },
        { id: 'h2', port: H.h2.port, mac: H.h2.mac },
      ],
      endpoints: [
        { mac: H.c1.mac, port: H.c1.port },
        { mac: H.s1.mac, port: H.s1.port },
      ],
      chains: [{ id: 'demo', tenant: 't1', match: { inPorts: [H.c1.port], ipv4Dst: '10.0.0.2/32' }, hops: [{ service: 'monitor' }, { service: 'firewall' }] }],
      instances: [
        { id: 'monitor@h1:0', service: 'monitor', host: 'h1' },
        { id: 'firewall@h2:0', service: 'firewall', host: 'h2' },
      ],
    }));
    t.true(installed.changes > 0);

    // host agents inside the Mininet hosts h1 and h2
    const rules = join(dir, 'fw.rules');
    writeFileSync(rules, 'default allow\ndrop proto udp dport 9999\n');
    const common = { services: { monitor: 1, firewall: 2 }, paths: [{ id: 1, services: [1, 2] }], defaultPath: 1, hugepages: { sizeMb: 256 }, heartbeatTimeoutMs: 3000 };
    const agentCfg = {
      h1: { nfs: [{ service: 'monitor', serviceId: 1, kind: 'native' }], vxlan: { mac: H.h1.mac, ip: H.h1.ip, tunnels: [{ ip: H.h2.ip, mac: H.h2.mac }], remoteServices: [{ service: 2, mac: H.h2.mac, ip: H.h2.ip }] } },
      h2: { nfs: [{ service: 'firewall', serviceId: 2, kind: 'native', args: ['--rules', rules] }], vxlan: { mac: H.h2.mac, ip: H.h2.ip, tunnels: [{ ip: H.h1.ip, mac: H.h1.mac }] } },
    };
    for (const role of ['h1', 'h2'] as const) {
      const h = H[role];
      const filePrefix = `${prefix}-${role}`;
      const cfg = { ...common, ...agentCfg[role], hostId: `${prefix}${role}`, filePrefix, ports: [`net_af_packet0,iface=${h.intf}`], controlSocket: join(dir, `${role}.sock`) };
      const file = join(dir, `${role}.json`);
      writeFileSync(file, JSON.stringify(cfg));
      ledger.record({ kind: 'mount', path: `/tmp/rv-huge-${filePrefix}` });
      ledger.record({ kind: 'dir', path: `/tmp/rv-huge-${filePrefix}` });
      ledger.record({ kind: 'dir', path: `/var/run/dpdk/${filePrefix}` });
      const [cmd, ...args] = inNs(h, [process.execPath, '--import', 'tsx', 'cli/main.ts', 'host', 'run', '-c', file]);
      const p = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      ledger.record({ kind: 'process', pid: p.pid!, startTime: processStartTime(p.pid!), label: `host agent ${role}` });
      let out = '';
      p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      agents.push({ name: role, p, out: () => out, sock: cfg.controlSocket });
      t.true(await waitFor(() => out.includes('manager up') || p.exitCode !== null, 90_000, 200), out);
      t.is(p.exitCode, null, out);
    }
    const stats = async (sock: string): Promise<HostStats> => {
      const r = await tryRun(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'host', 'stats', '--socket', sock, '--json', '--sample', '100'], { timeoutMs: 30_000 });
      if (r.code !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout) as HostStats;
    };
    for (const a of agents) t.true(await waitFor(async () => (await stats(a.sock)).nfs.some((n) => n.state === 'running'), 60_000, 500), a.out());

    // traffic c1 → s1
    const [pcmd, ...pargs] = inNs(H.c1, ['ping', '-c', '5', '-i', '0.2', '-W', '3', '10.0.0.2']);
    const ping = await tryRun(pcmd!, pargs, { timeoutMs: 30_000 });
    t.is(ping.code, 0, `ping c1 → s1 through the chain on Mininet: ${ping.stdout}${ping.stderr}`);
    const udp = await tryRun('nsenter', [`--net=/proc/${H.c1.pid}/ns/net`, '--', '/usr/bin/python3', '-c',
      'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\nfor i in range(4): s.sendto(b"blocked",("10.0.0.2",9999))\nfor i in range(6): s.sendto(b"pass",("10.0.0.2",7777))'], { timeoutMs: 20_000 });
    t.is(udp.code, 0, udp.stderr);
    const s1 = await stats(agents[0]!.sock);
    const s2 = await stats(agents[1]!.sock);
    const mon = s1.nfs.find((n) => n.service === 'monitor')!;
    const fw = s2.nfs.find((n) => n.service === 'firewall')!;
    t.true(mon.rx >= 15, `monitor@h1 saw ${mon.rx}`);
    t.true(fw.rx >= 15, `firewall@h2 saw ${fw.rx}`);
    t.is(fw.dropped, 4, 'the firewall dropped the 4 datagrams to port 9999');
    t.true(s1.vxlan.encapOk >= 15, `h1 → h2 in VXLAN: ${s1.vxlan.encapOk}`);
    const dump = await ovs.ofctl('dump-flows', `${prefix}s1`);
    const steered = Number(new RegExp(`table=${TABLE.STEER}, n_packets=(\\d+),.*actions=output:${H.h1.port}`).exec(dump)?.[1] ?? NaN);
    t.true(steered >= 15, `steered on the Mininet ToR: ${steered}\n${dump}`);
  } finally {
    for (const a of agents) {
      if (a.p.exitCode === null) {
        a.p.kill('SIGTERM');
        await waitFor(() => a.p.exitCode !== null, 20_000, 100);
      }
    }
    rmSync(hold, { force: true });
    if (topo && topo.exitCode === null) await waitFor(() => topo!.exitCode !== null, 60_000, 100);
    await ctrl.stop();
    await ledger.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
  t.notRegex(await run('ip', ['-o', 'link', 'show']), new RegExp(`${prefix}(s1|c1|s1|h\\d)-eth`), 'Mininet teardown left no interface');
});
