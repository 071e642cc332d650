// Host agent: `rackvisor host run --config F` as a process driven through its control socket by the
// CLI (stats, nf start/list/stop, shutdown with full cleanup), and the JS API in-process
// (startNf/stopNf/listNfs/stats, rates, NF death, clean stop).
import test from 'ava';
import { spawn, execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { HostAgent, withPortDefaults, type HostStats } from '../../host/agent.js';
import { repoRoot } from '../../native/index.js';
import { batch, frame, sleep, uniquePrefix } from '../native/helpers.js';

const execFileP = promisify(execFile);
const root = repoRoot();
const cli = (args: string[], timeout = 60000): Promise<{ stdout: string; stderr: string }> =>
  execFileP(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), ...args], { cwd: root, timeout });

const dir = mkdtempSync(join(tmpdir(), 'rvhost-'));
const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };
const mounted = (d: string): boolean => readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === d);

let agent: HostAgent | undefined;
const killList: number[] = [];

test('af_packet ports get the agent defaults for the keys they do not set; other ports are untouched', (t) => {
  t.is(withPortDefaults('net_af_packet0,iface=eth0'), 'net_af_packet0,iface=eth0,qdisc_bypass=1,framecnt=16384,blocksz=4096,framesz=2048');
  t.is(withPortDefaults('net_af_packet1,iface=v1,framecnt=512,qdisc_bypass=0'), 'net_af_packet1,iface=v1,framecnt=512,qdisc_bypass=0,blocksz=4096,framesz=2048');
  t.is(withPortDefaults('eth_af_packet0,iface=v'), 'eth_af_packet0,iface=v,qdisc_bypass=1,framecnt=16384,blocksz=4096,framesz=2048');
  for (const p of ['net_null0', 'ring:abc', '0000:03:00.0', 'net_af_xdp0,iface=eth0', 'net_ring0']) t.is(withPortDefaults(p), p);
});

test.after.always(async () => {
  if (agent) await agent.stop().catch(() => undefined);
  for (const pid of killList) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test.serial('rackvisor host run + CLI over the control socket: nf start/list/stats/stop, shutdown cleans up everything', async (t) => {
  const prefix = uniquePrefix('hr');
  const sock = join(dir, 'agent.sock');
  const cfgFile = join(dir, 'host.yaml');
  writeFileSync(cfgFile, [
    `hostId: ${prefix}`,
    `filePrefix: ${prefix}`,
    'ports: ["net_null0", "net_null1,no-rx=1"]',
    'hugepages: { sizeMb: 128 }',
    'services: { mon: 2 }',
    'paths: [{ id: 1, services: [mon], outPort: 1 }]',
    'defaultPath: 1',
    'nfs:',
    '  - { service: mon, serviceId: 2, kind: native, image: monitor }',
    '',
  ].join('\n'));
  const run = spawn(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'host', 'run', '--config', cfgFile, '--socket', sock], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  killList.push(run.pid!);
  let out = '';
  run.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  run.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => run.on('exit', (c) => r(c)));
  const end = Date.now() + 60000;
  while (!existsSync(sock) && Date.now() < end && run.exitCode === null) await sleep(100);
  t.true(existsSync(sock), out);
  t.true(existsSync(`/var/run/dpdk/${prefix}/config`));
  const hugeDir = `/tmp/rv-huge-${prefix}`;
  t.true(mounted(hugeDir));

  // net_null0 feeds the manager (empty frames -> not IP -> default path 1 -> mon -> port 1)
  const { stdout: js } = await cli(['host', 'stats', '--socket', sock, '--json', '--sample', '300']);
  const s = JSON.parse(js) as HostStats;
  t.is(s.hostId, prefix);
  t.is(s.ports.length, 2);
  t.true(s.ports[0].rx > 0);
  t.true(s.ports[0].rxPps > 0);
  const mon = s.nfs.find((n) => n.service === 'mon')!;
  t.is(mon.state, 'running');
  t.true(mon.rx > 0 && mon.rxPps > 0, JSON.stringify(mon));
  t.true(s.ports[1].tx > 0);
  const { stdout: table } = await cli(['host', 'stats', '--socket', sock, '--sample', '100']);
  t.regex(table, /mon:0\s+running/);

  // start a second NF (the TypeScript flow tracker), list, stop it
  const { stdout: started } = await cli(['host', 'nf', 'start', '--socket', sock, '--service', 'ft', '--service-id', '5', '--kind', 'typescript', '--image', 'native/ts-nf/flow-tracker.ts']);
  const st = JSON.parse(started) as { instanceId: number; state: string; pid: number };
  t.is(st.state, 'running');
  t.true(alive(st.pid));
  const { stdout: list } = await cli(['host', 'nf', 'list', '--socket', sock, '--json']);
  const l = JSON.parse(list) as { service: string; state: string }[];
  t.deepEqual(l.map((x) => `${x.service}:${x.state}`).sort(), ['ft:running', 'mon:running']);
  await cli(['host', 'nf', 'stop', '--socket', sock, 'ft', '0']);
  t.false(alive(st.pid));
  const { stdout: list2 } = await cli(['host', 'nf', 'list', '--socket', sock, '--json']);
  t.deepEqual((JSON.parse(list2) as { service: string }[]).map((x) => x.service), ['mon']);
  const monPid = (JSON.parse(list2) as { pid: number }[])[0].pid;

  // errors are reported, not fatal
  await t.throwsAsync(cli(['host', 'nf', 'start', '--socket', sock, '--service', 'nope', '--service-id', '9', '--image', 'no-such-nf']), { message: /not found/ });

  await cli(['host', 'shutdown', '--socket', sock]);
  t.is(await exited, 0, out);
  t.regex(out, /stopped/);
  t.false(alive(monPid));
  t.false(existsSync(`/var/run/dpdk/${prefix}`));
  t.false(mounted(hugeDir));
  t.false(existsSync(hugeDir));
  t.false(existsSync(sock));
});

test.serial('JS API: startNf/listNfs/stats/stopNf, rates, a crashed NF is reported failed and restartable', async (t) => {
  const prefix = uniquePrefix('ha');
  agent = await HostAgent.start({
    hostId: prefix, filePrefix: prefix, ports: ['ring:in', 'ring:out'], hugepages: { sizeMb: 128 },
    services: { mon: 2, ft: 3 }, paths: [{ id: 1, services: ['mon', 'ft'], outPort: 'ring:out' }], defaultPath: 1,
    controlSocket: null, heartbeatTimeoutMs: 2000, ringSize: 4096,
  });
  const a = agent;
  const r1 = await a.startNf({ service: 'mon', serviceId: 2, kind: 'native', image: 'monitor', index: 0 });
  const r2 = await a.startNf({ service: 'ft', serviceId: 3, kind: 'typescript', index: 0, args: ['--drop-dport', '9'] });
  t.is(r1.state, 'running');
  t.is(r2.state, 'running');
  // idempotent
  const again = await a.startNf({ service: 'mon', serviceId: 2, kind: 'native', image: 'monitor', index: 0 });
  t.is(again.instanceId, r1.instanceId);
  t.is((await a.listNfs()).length, 2);

  await a.hostStats();
  const IN = a.manager.portId('ring:in');
  const OUT = a.manager.portId('ring:out');
  const N = 2000;
  const b = batch(Array.from({ length: N }, (_, i) => frame({ src: '10.7.0.1', dst: '10.7.0.2', sport: i % 50, dport: i % 4 === 0 ? 9 : 80 })));
  t.is(a.manager.native.ringInject(IN, b.data, b.lens), N);
  let got = 0;
  const end = Date.now() + 10000;
  while (got < N * 3 / 4 && Date.now() < end) { got += a.manager.native.ringCollect(OUT).frames.length; await sleep(10); }
  t.is(got, N * 3 / 4);
  const hs = await a.hostStats();
  const ft = hs.nfs.find((n) => n.service === 'ft')!;
  t.is(ft.rx, N);
  t.is(ft.dropped, N / 4);
  t.true(ft.rxPps > 0);
  t.is(hs.drops.nf_drop, N / 4);
  const counters = await a.stats();
  t.deepEqual(counters.map((c) => `${c.service}:${c.rxPkts}:${c.txPkts}`).sort(), [`ft:${N}:${N * 3 / 4}`, `mon:${N}:${N}`]);
  t.is(counters.find((c) => c.service === 'mon')!.rxBytes, N * 64);

  // an NF that dies while starting fails fast with its output
  const t0 = Date.now();
  await t.throwsAsync(a.startNf({ service: 'bad', serviceId: 9, kind: 'typescript', image: 'native/ts-nf/no-such-nf.ts', index: 0 }), { message: /did not become ready: process exited/ });
  t.true(Date.now() - t0 < 20000, 'fails fast');
  t.false((await a.listNfs()).some((x) => x.service === 'bad'));

  // crash: the monitor is killed -> failed (reported by the manager), then restarted by startNf
  process.kill(r1.pid!, 'SIGKILL');
  const until = Date.now() + 5000;
  while ((await a.listNfs()).find((x) => x.service === 'mon')?.state !== 'failed' && Date.now() < until) await sleep(20);
  t.is((await a.listNfs()).find((x) => x.service === 'mon')?.state, 'failed');
  t.true(a.manager.events.some((e) => e.instance === r1.instanceId && e.type === 'dead'));
  const r3 = await a.startNf({ service: 'mon', serviceId: 2, kind: 'native', image: 'monitor', index: 0 });
  t.is(r3.state, 'running');
  t.not(r3.pid, r1.pid);

  await a.stopNf('ft', 0);
  t.false(alive(r2.pid!));
  t.deepEqual((await a.listNfs()).map((x) => x.service), ['mon']);
  await a.stop();
  agent = undefined;
  t.false(alive(r3.pid!));
  t.false(existsSync(`/var/run/dpdk/${prefix}`));
  t.false(mounted(`/tmp/rv-huge-${prefix}`));
});

test.serial('the manager process dies (SIGKILL): its NF processes notice and exit by themselves', async (t) => {
  const prefix = uniquePrefix('hk');
  const sock = join(dir, 'kill.sock');
  const cfgFile = join(dir, 'kill.yaml');
  writeFileSync(cfgFile, [`hostId: ${prefix}`, `filePrefix: ${prefix}`, 'ports: ["ring:x"]', 'hugepages: { sizeMb: 64 }',
    'nfs:', '  - { service: mon, serviceId: 2, kind: native, image: monitor }', ''].join('\n'));
  const run = spawn(process.execPath, ['--import', 'tsx', join(root, 'cli', 'main.ts'), 'host', 'run', '--config', cfgFile, '--socket', sock],
    { cwd: root, stdio: ['ignore', 'ignore', 'ignore'], detached: false });
  killList.push(run.pid!);
  const hugeDir = `/tmp/rv-huge-${prefix}`;
  try {
    const end = Date.now() + 60000;
    while (!existsSync(sock) && Date.now() < end && run.exitCode === null) await sleep(100);
    t.true(existsSync(sock));
    const list = (await JSON.parse((await cli(['host', 'nf', 'list', '--socket', sock, '--json'])).stdout)) as { pid: number }[];
    const nfPid = list[0].pid;
    killList.push(nfPid);
    t.true(alive(nfPid));
    run.kill('SIGKILL');
    const until = Date.now() + 5000;
    while (alive(nfPid) && Date.now() < until) await sleep(50);
    t.false(alive(nfPid), 'the NF left when its manager died');
  } finally {
    if (run.exitCode === null) run.kill('SIGKILL');
    await sleep(200);
    try { execFileSync('umount', [hugeDir]); } catch { /* not mounted */ }
    rmSync(hugeDir, { recursive: true, force: true });
    rmSync(`/var/run/dpdk/${prefix}`, { recursive: true, force: true });
    rmSync(sock, { force: true });
  }
});
