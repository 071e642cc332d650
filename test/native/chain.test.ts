// Manager (DPDK primary, own hugetlbfs mount) + NF processes (DPDK secondaries): native monitor
// chain with exact counts, the TypeScript flow-tracker NF as a process, the speed tester loop, and an
// NF frozen then killed mid-traffic (manager survives, reports, drains and counts its ring).
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataplaneManager, NF_BIN_DIR, MsgType, nativeDir } from '../../native/index.js';
import { batch, frame, sleep, uniquePrefix } from './helpers.js';

let m: DataplaneManager;
const procs: ChildProcess[] = [];
const prefix = uniquePrefix('ch');
let IN = 0;
let OUT = 0;
let SINK = 0;

interface Proc { p: ChildProcess; out: string[]; exited: Promise<number | null> }

function startNf(bin: string, instance: number, extra: string[] = []): Proc {
  const isTs = bin.endsWith('.ts');
  const cmd = isTs ? process.execPath : join(NF_BIN_DIR(), bin);
  const args = [...(isTs ? ['--import', 'tsx', bin] : []), ...m.nfEalArgs(), '--', '--instance', String(instance), ...extra];
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  const out: string[] = [];
  p.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
  p.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => { m.instanceExited(instance, p.pid); r(code); }));
  return { p, out, exited };
}

test.before(async () => {
  m = await DataplaneManager.start({
    filePrefix: prefix, ports: ['ring:in', 'ring:out', 'net_null0,no-rx=1'], hugepages: { sizeMb: 256 },
    heartbeatTimeoutMs: 400, pollMs: 20, ringSize: 8192,
  });
  IN = m.portId('ring:in');
  OUT = m.portId('ring:out');
  SINK = m.portId('net_null0');
});

test.after.always(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await sleep(100);
  if (m) await m.stop();
});

async function collect(port: number, want: number, timeoutMs = 5000): Promise<Buffer[]> {
  const frames: Buffer[] = [];
  const end = Date.now() + timeoutMs;
  while (frames.length < want && Date.now() < end) {
    frames.push(...m.native.ringCollect(port).frames);
    if (frames.length < want) await sleep(10);
  }
  await sleep(100);
  frames.push(...m.native.ringCollect(port).frames);
  return frames;
}

test.serial('shared memory: the primary mounts its own hugetlbfs and names /var/run/dpdk/<prefix>', (t) => {
  t.true(existsSync(`/var/run/dpdk/${prefix}/config`));
  t.truthy(m.hugeDir);
  t.regex(m.lcoreLayout, /lcore 1: rx\+tx/);
});

test.serial('native chain: ring port -> monitor -> monitor -> ring port, every packet counted exactly', async (t) => {
  m.createInstance(2, 2, 'mon-a');
  m.createInstance(3, 3, 'mon-b');
  const a = startNf('monitor', 2);
  const b = startNf('monitor', 3);
  await m.waitState(2, 'running', 20000);
  await m.waitState(3, 'running', 20000);
  m.setPath(1, [2, 3], OUT);
  m.setDefaultPath(1);
  const N = 5000;
  const frames = Array.from({ length: N }, (_, i) => frame({ src: `10.9.${i % 16}.1`, dst: '10.9.0.2', sport: 1000 + (i % 64), dport: 80, size: 64 + (i % 3) * 100 }));
  const bt = batch(frames);
  t.is(m.native.ringInject(IN, bt.data, bt.lens), N);
  const got = await collect(OUT, N);
  t.is(got.length, N);
  const bytesIn = frames.reduce((s, f) => s + f.length, 0);
  t.is(got.reduce((s, f) => s + f.length, 0), bytesIn);
  const s = m.stats();
  for (const id of [2, 3]) {
    const n = s.nfs.find((x) => x.instance === id)!;
    t.is(n.rx, N);
    t.is(n.tx, N);
    t.is(n.rxEnqueued, N);
    t.is(n.txDequeued, N);
    t.is(n.rxRingFull, 0);
  }
  t.is(Object.entries(s.drops).reduce((x, [, v]) => x + v, 0), 0, JSON.stringify(s.drops));
  t.is(s.ports.find((p) => p.id === IN)!.rx, N);
  t.is(s.ports.find((p) => p.id === OUT)!.tx, N);
  // clean stop over the control channel: STOP -> stopping -> process exits 0 -> dead
  m.stopInstance(2);
  m.stopInstance(3);
  t.is(await a.exited, 0);
  t.is(await b.exited, 0);
  t.regex(a.out.join(''), new RegExp(`done ${N} pkts ${bytesIn} bytes`));
  const ev = m.events.filter((e) => e.instance === 2).map((e) => e.type);
  for (const k of ['starting', 'ready', 'stopping', 'dead']) t.true(ev.includes(k), `${k} in ${ev.join(',')}`);
});

test.serial('TypeScript NF process (flow tracker): zero-copy batches, actions from a typed array, CONFIG at run time', async (t) => {
  m.createInstance(4, 4, 'flow-tracker');
  m.createInstance(5, 2, 'mon');
  const mon = startNf('monitor', 5);
  const ts = startNf(join(nativeDir(), 'ts-nf', 'flow-tracker.ts'), 4, ['--drop-dport', '53']);
  await m.waitState(5, 'running', 20000);
  await m.waitState(4, 'running', 30000);
  m.setPath(2, [2, 4], OUT);
  m.setDefaultPath(2);
  const N = 3000;
  const frames = Array.from({ length: N }, (_, i) => frame({ src: `10.8.0.${1 + (i % 10)}`, dst: '10.8.1.1', sport: 3000 + (i % 5), dport: i % 3 === 0 ? 53 : 443 }));
  const bt = batch(frames);
  t.is(m.native.ringInject(IN, bt.data, bt.lens), N);
  const got = await collect(OUT, N - N / 3);
  t.is(got.length, N - N / 3);
  t.true(got.every((f) => f.readUInt16BE(36) === 443));
  const s = m.stats();
  const n4 = s.nfs.find((x) => x.instance === 4)!;
  t.is(n4.rx, N);
  t.is(n4.dropped, N / 3);
  t.is(n4.tx, N - N / 3);
  // change its drop port over the control channel, then 300 more packets to port 53 all pass
  t.is(m.sendMessage(4, MsgType.CONFIG, [], 'drop-dport=443'), 0);
  await m.waitFor(() => m.events.some((e) => e.instance === 4 && e.type === 'log' && e.text === 'drop-dport=443'), 5000, 'config ack');
  const more = batch(Array.from({ length: 300 }, () => frame({ src: '10.8.0.1', dst: '10.8.1.1', sport: 1, dport: 53 })));
  t.is(m.native.ringInject(IN, more.data, more.lens), 300);
  t.is((await collect(OUT, 300)).length, 300);
  m.stopInstance(4);
  m.stopInstance(5);
  t.is(await ts.exited, 0);
  await mon.exited;
  const summary = JSON.parse(ts.out.join('').trim().split('\n').pop()!) as { packets: number; flows: number; dropped: number };
  const distinct = new Set(frames.map((f) => f.subarray(26, 38).toString('hex')));
  distinct.add(more.data.subarray(26, 38).toString('hex'));
  t.deepEqual(summary, { packets: N + 300, flows: distinct.size, dropped: N / 3 });
});

test.serial('speed tester loop: manager + two NF processes (speed_tester -> monitor -> speed_tester)', async (t) => {
  m.createInstance(6, 6, 'st');
  m.createInstance(7, 7, 'mon');
  const mon = startNf('monitor', 7);
  await m.waitState(7, 'running', 20000);
  m.setPath(3, [6, 7, 6]);
  const st = startNf('speed_tester', 6, ['--path', '3', '--count', '512', '--duration', '1', '--print-every', '0']);
  t.is(await st.exited, 0);
  const res = JSON.parse(st.out.join('').trim().split('\n').pop()!) as { rx: number; mpps: number };
  t.true(res.rx > 10000, `looped ${res.rx}`);
  const s = m.stats();
  const n7 = s.nfs.find((x) => x.instance === 7)!;
  t.true(n7.rx >= res.rx, 'the monitor saw every packet the tester got back');
  m.stopInstance(7);
  await mon.exited;
  t.log(`speed tester loop (2 NFs, shared CPUs, not a benchmark): ${res.mpps} Mpps`);
});

test.serial('NF frozen then killed mid-traffic: flows move away, the manager reports it, drains and counts its ring, keeps forwarding', async (t) => {
  m.createInstance(8, 8, 'gen');
  m.createInstance(9, 9, 'mon-x');
  m.createInstance(10, 9, 'mon-y');
  const x = startNf('monitor', 9);
  const y = startNf('monitor', 10);
  await m.waitState(9, 'running', 20000);
  await m.waitState(10, 'running', 20000);
  m.setPath(4, [8, 9], SINK);
  const gen = startNf('speed_tester', 8, ['--path', '4', '--total', '3000000', '--rate', '400000', '--flows', '256', '--print-every', '0']);
  await m.waitFor((s) => (s.nfs.find((n) => n.instance === 10)?.rx ?? 0) > 20000 && (s.nfs.find((n) => n.instance === 9)?.rx ?? 0) > 20000, 15000, 'traffic on both');
  // freeze instance 10: its ring fills, heartbeat goes stale -> 'unresponsive', its flows move to 9
  y.p.kill('SIGSTOP');
  await m.waitFor(() => m.events.some((e) => e.instance === 10 && e.type === 'unresponsive'), 5000, 'unresponsive');
  const s1 = m.stats();
  t.false(s1.nfs.find((n) => n.instance === 10)!.routed);
  t.true(s1.nfs.find((n) => n.instance === 10)!.rxRing > 0, 'frozen NF holds packets in its ring');
  const rx9 = s1.nfs.find((n) => n.instance === 9)!.rx;
  // kill it: the manager notices (pid gone), drains its rings and counts them
  y.p.kill('SIGKILL');
  await m.waitFor(() => m.events.some((e) => e.instance === 10 && e.type === 'dead'), 5000, 'dead');
  const s2 = await m.waitFor((s) => s.drops.nf_dead > 0, 3000, 'nf_dead counted');
  t.is(s2.nfs.find((n) => n.instance === 10)!.state, 'dead');
  t.is(s2.nfs.find((n) => n.instance === 10)!.rxRing, 0, 'drained');
  // traffic keeps flowing through the survivor and out of the sink port
  const tx0 = s2.ports.find((p) => p.id === SINK)!.tx;
  const s3 = await m.waitFor((s) => s.nfs.find((n) => n.instance === 9)!.rx > rx9 + 50000 && s.ports.find((p) => p.id === SINK)!.tx > tx0 + 50000, 10000, 'survivor forwards');
  t.is(s3.nfs.find((n) => n.instance === 9)!.state, 'running');
  m.stopInstance(8);
  m.stopInstance(9);
  t.is(await gen.exited, 0);
  t.is(await x.exited, 0);
  // the instance id can be reused by a new process
  m.createInstance(10, 9, 'mon-y2');
  const y2 = startNf('monitor', 10);
  await m.waitState(10, 'running', 20000);
  m.stopInstance(10);
  t.is(await y2.exited, 0);
});
