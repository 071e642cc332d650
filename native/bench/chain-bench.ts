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
import { readFileSync, readdirSync } from 'node:fs';
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

interface Detail {
  mgrStepsPerPkt: number; directShare: number; directFull: number; txRetry: number; mgrBusyShare: number;
  /** CPUs used (1 = one CPU busy) by the manager's worker lcore, the middle NFs together, the speed tester */
  cpu: { mgr: number; nfs: number; tester: number };
  /** context switches per second, all our data-plane threads together: voluntary (futex sleeps), involuntary (sched_yield, preemption) */
  ctxPerSec: { voluntary: number; involuntary: number };
}

interface TaskSample { ticks: number; vcs: number; ivcs: number }
/** utime+stime (clock ticks) and context switches of the given tasks (/proc/<pid>/task/<tid>). */
function sampleTasks(tasks: string[]): TaskSample {
  const out = { ticks: 0, vcs: 0, ivcs: 0 };
  for (const t of tasks) {
    try {
      const st = readFileSync(`${t}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.ticks += Number(f[11]) + Number(f[12]);
      const status = readFileSync(`${t}/status`, 'utf8');
      out.vcs += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
      out.ivcs += Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch { /* task gone */ }
  }
  return out;
}
const tasksOf = (pid: number): string[] => { try { return readdirSync(`/proc/${pid}/task`).map((t) => `/proc/${pid}/task/${t}`); } catch { return []; } };
/** the manager's worker lcore thread(s) of this process (EAL names them after the lcore) */
const workerTasks = (): string[] => tasksOf(process.pid).filter((t) => { try { return /worker|lcore/.test(readFileSync(`${t}/comm`, 'utf8')); } catch { return false; } });

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
      : nf(join(NF_BIN_DIR(), 'monitor'), [], id, [...(busyNfs ? ['--busy'] : []), '--burst', opt('--nf-burst', '32')]);
    mids.push({ id, h });
  }
  for (const x of mids) await m.waitState(x.id, 'running', 60000);
  m.setPath(pathId, [svcBase, ...middle.map((_, i) => svcBase + 1 + i), svcBase]);
  const before = m.stats().lcores;
  const t = nf(join(NF_BIN_DIR(), 'speed_tester'), [], st, ['--path', String(pathId), '--count', count, '--duration', String(duration),
    '--warmup', String(warmup), '--print-every', '0', '--burst', stBurst, ...(busyNfs || middle.length === 0 ? ['--busy'] : [])]);
  // CPU and context switches over a window inside the measured period (after the warm-up)
  const groups = (): TaskSample[] => [sampleTasks(workerTasks()), sampleTasks(mids.flatMap((x) => tasksOf(x.h.p.pid ?? 0))), sampleTasks(tasksOf(t.p.pid ?? 0))];
  await new Promise((r) => setTimeout(r, (warmup + 0.4) * 1000));
  const t0 = Date.now();
  const g0 = groups();
  await new Promise((r) => setTimeout(r, Math.max(0.5, duration - 0.8) * 1000));
  const g1 = groups();
  const secs = (Date.now() - t0) / 1000;
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
    cpu: { mgr: r2((g1[0].ticks - g0[0].ticks) / 100 / secs), nfs: r2((g1[1].ticks - g0[1].ticks) / 100 / secs), tester: r2((g1[2].ticks - g0[2].ticks) / 100 / secs) },
    ctxPerSec: {
      voluntary: Math.round(g1.reduce((a, g, i) => a + g.vcs - g0[i].vcs, 0) / secs),
      involuntary: Math.round(g1.reduce((a, g, i) => a + g.ivcs - g0[i].ivcs, 0) / secs),
    },
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
