// Data-plane benchmark worker (run as its own process: EAL is once per process). Starts a manager
// (DPDK primary, own hugetlbfs mount, one manager lcore) and measures with the speed tester:
//   chain k (k = 1..5 NFs): path [speed_tester, monitor x (k-1), speed_tester]: every packet the
//     tester gets back crossed k NF hops and k manager routing steps;
//   ts: path [speed_tester, flow-tracker (TypeScript NF process), speed_tester] and the same with a
//     native monitor in the middle (the native 2-NF peer of the TS NF).
// Local next hops are handed NF -> NF directly (the manager's default); --no-direct sends every hop
// through the manager (the peer the direct hand-off is measured against).
// Prints one JSON line: {"chains":{"1":Mpps,...},"detail":{"1":{...}},"ts":Mpps,"native2":Mpps,"layout":...};
// detail per chain: manager routing steps per looped packet, share of NF sends handed off directly,
// direct hand-offs refused by a full ring, NF TX-ring waits, manager busy-loop share.
// Usage: node --import tsx native/bench/chain-bench.ts [--lengths 1,2,3,4,5] [--duration 2] [--ts] [--busy-nfs] [--no-direct]
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DataplaneManager, NF_BIN_DIR, nativeDir } from '../index.js';

const args = process.argv.slice(2);
const opt = (k: string, d: string): string => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
const lengths = opt('--lengths', '1,2,3,4,5').split(',').filter(Boolean).map(Number);
const duration = Number(opt('--duration', '2'));
const warmup = Number(opt('--warmup', '0.5'));
const withTs = args.includes('--ts');
const busyNfs = args.includes('--busy-nfs');
const count = opt('--count', '2048');
const stBurst = opt('--st-burst', '32');
const log = (m: string): void => { process.stderr.write(`[chain-bench] ${m}\n`); };

const prefix = `rvbench${process.pid}`;
const m = await DataplaneManager.start({
  filePrefix: prefix, ports: ['net_null0,no-rx=1'], hugepages: { sizeMb: 192 }, mbufs: 16383, ringSize: 4096,
  busyPoll: args.includes('--busy-mgr'), lcores: 1, pollMs: 100, directHandoff: !args.includes('--no-direct'),
});
const children: ChildProcess[] = [];
let nextId = 1;

function nf(cmd: string, pre: string[], id: number, extra: string[]): { p: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const p = spawn(cmd, [...pre, ...m.nfEalArgs(), '--', '--instance', String(id), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(p);
  let out = '';
  p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  p.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  return { p, out: () => out, exit: new Promise((r) => p.on('exit', (c) => { m.instanceExited(id, p.pid); r(c); })) };
}

interface Detail { mgrStepsPerPkt: number; directShare: number; directFull: number; txRetry: number; mgrBusyShare: number }

async function chain(middle: ('monitor' | 'ts')[], pathId: number, detail?: (d: Detail) => void): Promise<number> {
  const svcBase = pathId * 10;
  const st = nextId++;
  m.createInstance(st, svcBase, 'speed_tester');
  const mids: { id: number; h: ReturnType<typeof nf> }[] = [];
  for (let i = 0; i < middle.length; i++) {
    const id = nextId++;
    m.createInstance(id, svcBase + 1 + i, middle[i]);
    const h = middle[i] === 'ts'
      ? nf(process.execPath, ['--import', 'tsx', join(nativeDir(), 'ts-nf', 'flow-tracker.ts')], id, [])
      : nf(join(NF_BIN_DIR(), 'monitor'), [], id, busyNfs ? ['--busy'] : []);
    mids.push({ id, h });
  }
  for (const x of mids) await m.waitState(x.id, 'running', 60000);
  m.setPath(pathId, [svcBase, ...middle.map((_, i) => svcBase + 1 + i), svcBase]);
  const before = m.stats().lcores;
  const t = nf(join(NF_BIN_DIR(), 'speed_tester'), [], st, ['--path', String(pathId), '--count', count, '--duration', String(duration),
    '--warmup', String(warmup), '--print-every', '0', '--burst', stBurst, ...(busyNfs || middle.length === 0 ? ['--busy'] : [])]);
  const code = await t.exit;
  if (code !== 0) throw new Error(`speed_tester exited ${code}: ${t.out()}`);
  const res = JSON.parse(t.out().trim().split('\n').pop()!) as { mpps: number; rx: number };
  const s = m.stats();
  const ours = s.nfs.filter((n) => n.instance === st || mids.some((x) => x.id === n.instance));
  const sum = (f: (n: (typeof ours)[number]) => number): number => ours.reduce((a, n) => a + f(n), 0);
  const r2 = (v: number): number => Math.round(v * 100) / 100;
  detail?.({
    mgrStepsPerPkt: r2((s.lcores.routed - before.routed) / Math.max(1, res.rx)),
    directShare: r2(sum((n) => n.directOut) / Math.max(1, sum((n) => n.tx))),
    directFull: sum((n) => n.directFull), txRetry: sum((n) => n.txRetry),
    mgrBusyShare: r2((s.lcores.busyLoops - before.busyLoops) / Math.max(1, s.lcores.loops - before.loops)),
  });
  for (const x of mids) m.stopInstance(x.id);
  await Promise.all(mids.map((x) => x.h.exit));
  for (const x of [st, ...mids.map((y) => y.id)]) m.destroyInstance(x);
  return res.mpps;
}

const out: { chains: Record<string, number>; detail: Record<string, Detail>; ts?: number; native2?: number; layout: string; drops: Record<string, number> } = { chains: {}, detail: {}, layout: m.lcoreLayout, drops: {} };
try {
  let pid = 1;
  for (const k of lengths) {
    out.chains[String(k)] = await chain(Array.from({ length: k - 1 }, () => 'monitor' as const), pid++, (d) => { out.detail[String(k)] = d; });
    log(`chain ${k}: ${out.chains[String(k)]} Mpps ${JSON.stringify(out.detail[String(k)])}`);
  }
  if (withTs) {
    out.native2 = await chain(['monitor'], pid++);
    out.ts = await chain(['ts'], pid++);
    log(`native 2-NF ${out.native2} Mpps, TS NF 2-NF ${out.ts} Mpps`);
  }
  out.drops = m.stats().drops;
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 100));
  await m.stop();
}
console.log(JSON.stringify(out));
process.exit(0);
