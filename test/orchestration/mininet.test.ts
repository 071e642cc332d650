// Mininet (Python API, labs/mininet/rackvisor_topo.py) on a private OVS, controlled by our OpenFlow controller
// with the L2 learning app: hosts ping each other through the controller; the script's own teardown leaves no
// bridge, no interface and no process behind.
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Controller, L2LearningApp } from '../../controller/index.js';
import { Ledger } from '../../labs/lib/ledger.js';
import { startOvs } from '../../labs/lib/ovs.js';
import { run } from '../../labs/lib/exec.js';

interface TopoResult {
  connected: boolean;
  dpid: string;
  hosts: Array<{ name: string; ip: string; port: number }>;
  ping?: Array<{ src: string; dst: string; sent: number; received: number; avg_rtt_ms: number | null }>;
  flows: string[];
}

function runTopo(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', ['labs/mininet/rackvisor_topo.py', ...args], { timeout: 120_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('Mininet single ToR, 3 hosts: pings through our controller (L2 app), own teardown leaves nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rvt-mn-'));
  const ledger = Ledger.open(join(dir, 'state.json'));
  const l2 = new L2LearningApp({ idleTimeout: 30 });
  const ctrl = new Controller({ host: '127.0.0.1', port: 0, apps: [l2], log: () => undefined });
  const prefix = `m${randomBytes(2).toString('hex')}`;
  try {
    await ctrl.start();
    const ovs = await startOvs({ ledger });
    const r = await runTopo(['--controller', `127.0.0.1:${ctrl.port}`, '--ovs-rundir', ovs.dir, '--hosts', '3', '--prefix', prefix, '--ping', '--ping-count', '3']);
    t.is(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as TopoResult;
    t.true(res.connected);
    t.is(res.hosts.length, 3);
    t.is(res.ping?.length, 6, 'every ordered pair');
    for (const p of res.ping ?? []) t.true(p.received >= p.sent - 1 && p.received > 0, `${p.src} → ${p.dst}: ${p.received}/${p.sent}`);
    t.true(l2.counters.packetIns > 0, 'the first packets went through our controller');
    t.true(l2.counters.flowMods > 0, 'and it installed L2 flows');
    t.true(res.flows.some((f) => /dl_dst=|eth_dst=/.test(f)), 'learned flows were on the Mininet switch');
    // teardown by the script itself: our bridge and interfaces are gone, the private OVS still runs
    t.notRegex(await ovs.vsctl('list-br'), new RegExp(prefix));
    const links = await run('ip', ['-o', 'link', 'show']);
    t.notRegex(links, new RegExp(`${prefix}(s1|h\\d)-eth`), 'no Mininet interface left in the root namespace');
    t.true(ovs.alive());
  } finally {
    await ctrl.stop();
    await ledger.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--private-ovs: the script starts its own OVS and removes exactly it (PIDs dead, dir gone)', async (t) => {
  const ctrl = new Controller({ host: '127.0.0.1', port: 0, apps: [new L2LearningApp()], log: () => undefined });
  try {
    await ctrl.start();
    const r = await runTopo(['--controller', `127.0.0.1:${ctrl.port}`, '--private-ovs', '--hosts', '2', '--prefix', `m${randomBytes(2).toString('hex')}`, '--ping', '--ping-count', '2']);
    t.is(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as TopoResult & { private_ovs: { dir: string; pids: number[] } };
    t.true(res.connected);
    t.true((res.ping ?? []).every((p) => p.received > 0));
    t.is(res.private_ovs.pids.length, 2);
    for (const pid of res.private_ovs.pids) t.throws(() => process.kill(pid, 0), undefined, `pid ${pid} still alive`);
    t.false(existsSync(res.private_ovs.dir));
  } finally {
    await ctrl.stop();
  }
});

test('the topology script refuses to run without a private OVS and never falls back to the system one', async (t) => {
  const r = await runTopo(['--controller', '127.0.0.1:1', '--hosts', '2']);
  t.not(r.code, 0);
  t.regex(r.stderr, /--ovs-rundir|--private-ovs/);
  const r2 = await runTopo(['--controller', '127.0.0.1:1', '--ovs-rundir', '/nonexistent-rv', '--hosts', '2']);
  t.not(r2.code, 0);
  t.regex(r2.stderr + r2.stdout, /no OVS database socket/);
});
