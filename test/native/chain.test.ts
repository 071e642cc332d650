// Manager (DPDK primary, own hugetlbfs mount) + NF processes (DPDK secondaries): native monitor
// chain with exact counts, the TypeScript flow-tracker NF as a process, the speed tester loop, an
// NF frozen then killed mid-traffic (manager survives, reports, drains and counts its ring), and the
// NF -> NF direct hand-off (counts, no grant with two upstream instances, scale-down, a dead NF in the
// middle of a direct chain revoked, drained and replaced).
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataplaneManager, NF_BIN_DIR, MsgType, nativeDir, type ManagerStats, type NfStats } from '../../native/index.js';
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
  const routed0 = m.stats().lcores.routed;
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
  // port -> mon-a by the manager, mon-a -> mon-b handed off directly, mon-b -> port by the manager
  const [na, nb] = [2, 3].map((id) => s.nfs.find((x) => x.instance === id)!);
  t.is(nb.directFrom, 2);
  t.is(na.directFrom, 0, 'the first hop always comes from the manager');
  t.is(na.directOut, N);
  t.is(nb.directIn, N);
  t.is(nb.directOut, 0, 'the end of the path goes back to the manager');
  t.is(s.lcores.routed - routed0, N, 'the manager routed only the first hop');
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
  t.is(n4.directIn, 0, 'a TypeScript NF is fed by the manager, never through a dx ring');
  t.is(s.nfs.find((x) => x.instance === 5)!.directOut, 0, 'so its native upstream sends through the manager');
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
  const f1 = s1.nfs.find((n) => n.instance === 10)!;
  t.true(f1.rxRing > 0, 'frozen NF holds packets at its input (RX and direct rings)');
  t.is(f1.directFrom, 0, 'its direct hand-off grant is revoked');
  const rx9 = s1.nfs.find((n) => n.instance === 9)!.rx;
  // kill it: the manager notices (pid gone), drains its rings and counts them
  y.p.kill('SIGKILL');
  await m.waitFor(() => m.events.some((e) => e.instance === 10 && e.type === 'dead'), 5000, 'dead');
  const s2 = await m.waitFor((s) => s.drops.nf_dead > 0, 3000, 'nf_dead counted');
  t.is(s2.nfs.find((n) => n.instance === 10)!.state, 'dead');
  t.is(s2.nfs.find((n) => n.instance === 10)!.rxRing, 0, 'drained');
  t.is(s2.nfs.find((n) => n.instance === 10)!.dxRing, 0, 'drained (direct ring)');
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

const nfOf = (s: ManagerStats, id: number): NfStats => {
  const n = s.nfs.find((x) => x.instance === id);
  if (!n) throw new Error(`instance ${id} not in stats`);
  return n;
};

test.serial('direct hand-off: no grant while two instances feed a service; after a scale-down the survivor hands off directly, counts exact', async (t) => {
  m.createInstance(16, 16, 'up-a');
  m.createInstance(17, 16, 'up-b');
  m.createInstance(18, 18, 'down');
  const ups = [startNf('monitor', 16), startNf('monitor', 17)];
  const down = startNf('monitor', 18);
  for (const id of [16, 17, 18]) await m.waitState(id, 'running', 20000);
  m.setPath(6, [16, 18], OUT);
  m.setDefaultPath(6);
  const dropsSum = (x: ManagerStats): number => Object.values(x.drops).reduce((a, v) => a + v, 0);
  const drops0 = dropsSum(m.stats());
  const N = 4000;
  const mk = (salt: number): Buffer[] => Array.from({ length: N }, (_, i) => frame({ src: `10.7.${salt}.${1 + (i % 200)}`, dst: '10.7.9.9', sport: 2000 + (i % 97), dport: 80 }));
  let bt = batch(mk(1));
  t.is(m.native.ringInject(IN, bt.data, bt.lens), N);
  t.is((await collect(OUT, N)).length, N);
  let s = m.stats();
  t.is(nfOf(s, 18).directFrom, 0, 'two upstream instances: every hop through the manager');
  t.true(nfOf(s, 16).rx > 0 && nfOf(s, 17).rx > 0, 'Maglev spread the flows over both');
  t.is(nfOf(s, 16).directOut + nfOf(s, 17).directOut, 0);
  t.is(nfOf(s, 18).rx, N);
  // scale down: instance 17 leaves; 16 becomes the only upstream of 18 and gets its ring
  m.stopInstance(17);
  t.is(await ups[1].exited, 0);
  s = await m.waitFor((x) => nfOf(x, 18).directFrom === 16, 5000, 'grant to the survivor');
  const out16 = nfOf(s, 16).directOut;
  bt = batch(mk(2));
  t.is(m.native.ringInject(IN, bt.data, bt.lens), N);
  t.is((await collect(OUT, N)).length, N);
  s = m.stats();
  t.is(nfOf(s, 16).directOut - out16, N, 'every packet of the second batch handed straight to 18');
  t.is(nfOf(s, 18).rx, 2 * N);
  t.is(nfOf(s, 18).rxEnqueued, 2 * N);
  t.is(nfOf(s, 18).directIn, N);
  t.is(nfOf(s, 16).txDequeued, nfOf(s, 16).tx);
  t.is(dropsSum(s) - drops0, 0, JSON.stringify(s.drops));
  m.stopInstance(16);
  m.stopInstance(18);
  t.is(await ups[0].exited, 0);
  t.is(await down.exited, 0);
  m.setDefaultPath(0);
});

test.serial('direct hand-off: an NF killed in the middle of a direct chain is revoked and drained; its replacement gets the ring', async (t) => {
  // gen(19) -> mon(20) -> mon(21) -> mon(22) -> sink port, every hop after the first NF direct
  m.createInstance(19, 19, 'gen');
  m.createInstance(20, 20, 'm1');
  m.createInstance(21, 21, 'm2');
  m.createInstance(22, 22, 'm3');
  const m1 = startNf('monitor', 20);
  const m2 = startNf('monitor', 21);
  const m3 = startNf('monitor', 22);
  for (const id of [20, 21, 22]) await m.waitState(id, 'running', 20000);
  m.setPath(7, [19, 20, 21, 22], SINK);
  const gen = startNf('speed_tester', 19, ['--path', '7', '--total', '4000000', '--rate', '400000', '--flows', '64', '--print-every', '0']);
  let s = await m.waitFor((x) => nfOf(x, 22).directIn > 20000, 15000, 'traffic through the direct chain');
  t.deepEqual([20, 21, 22].map((id) => nfOf(s, id).directFrom), [19, 20, 21]);
  const routed0 = s.lcores.routed;
  const rx22 = nfOf(s, 22).rx;
  const sumOf = (x: ManagerStats, f: (n: NfStats) => number): number => [19, 20, 21].reduce((a, id) => a + f(nfOf(x, id)), 0);
  const out0 = sumOf(s, (n) => n.directOut);
  const full0 = sumOf(s, (n) => n.directFull);
  s = await m.waitFor((x) => nfOf(x, 22).rx > rx22 + 20000, 10000, 'more traffic');
  // every hop direct; the manager routes only what a full dx ring refused (a starved NF on a loaded
  // machine: the producer never waits on another NF), give or take what was in flight at the edges
  const routed = s.lcores.routed - routed0;
  const direct = sumOf(s, (n) => n.directOut) - out0;
  const refused = sumOf(s, (n) => n.directFull) - full0;
  t.log(`hops in the window: ${direct} direct, ${routed} through the manager, ${refused} refused by a full dx ring`);
  t.true(direct >= 20000, `${direct} direct hand-offs`);
  t.true(routed <= refused + 8192, `${routed} routed by the manager, ${refused} refused by full dx rings`);
  const dead0 = s.drops.nf_dead;
  const noInst0 = s.drops.no_instance;
  // kill the middle NF
  m2.p.kill('SIGKILL');
  await m.waitFor(() => m.events.some((e) => e.instance === 21 && e.type === 'dead'), 5000, 'dead');
  s = await m.waitFor((x) => nfOf(x, 21).directFrom === 0 && nfOf(x, 22).directFrom === 0, 5000, 'grants revoked');
  t.is(nfOf(s, 21).state, 'dead');
  // its upstream now hands its packets to the manager, which has no instance of the service left
  s = await m.waitFor((x) => x.drops.no_instance > noInst0 + 1000, 10000, 'upstream falls back to the manager');
  t.is(nfOf(s, 21).dxRing, 0, 'its direct ring is drained');
  t.is(nfOf(s, 21).rxRing, 0);
  t.true(s.drops.nf_dead >= dead0, 'drained packets are counted as nf_dead');
  // a replacement instance of the middle service gets both grants back
  m.createInstance(23, 21, 'm2b');
  const m2b = startNf('monitor', 23);
  await m.waitState(23, 'running', 20000);
  s = await m.waitFor((x) => nfOf(x, 23).directFrom === 20 && nfOf(x, 22).directFrom === 23, 5000, 'grants to the replacement');
  const in22 = nfOf(s, 22).directIn;
  s = await m.waitFor((x) => nfOf(x, 22).directIn > in22 + 20000, 10000, 'the chain flows again, directly');
  t.true(nfOf(s, 23).directOut > 20000);
  m.stopInstance(19);
  t.is(await gen.exited, 0);
  // once idle, every NF's input and output counts agree (direct + manager)
  s = await m.waitFor((x) => [20, 22, 23].every((id) => nfOf(x, id).rx === nfOf(x, id).rxEnqueued && nfOf(x, id).dxRing === 0 && nfOf(x, id).rxRing === 0), 5000, 'settled');
  for (const id of [20, 22, 23]) t.is(nfOf(s, id).tx + nfOf(s, id).dropped, nfOf(s, id).rx);
  for (const id of [20, 22, 23]) m.stopInstance(id);
  for (const p of [m1, m3, m2b]) t.is(await p.exited, 0);
});
