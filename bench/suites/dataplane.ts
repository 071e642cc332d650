// Suite `dataplane`: the host manager's NF chains measured with the speed tester (native chains of
// 1..5 NFs, a TypeScript NF vs the same chain with a native NF) against dpdk-testpmd io-fwd over two
// net_null ports, interleaved in the same run (the machine is shared and noisy: each run measures
// testpmd right before our chains so both see similar load).
//
// Core layout (2 CPUs, everything floats over both — nothing is pinned, as other work shares them):
//  - our manager: Node's main thread = EAL main lcore 0 (control only, idle); ONE worker lcore runs the
//    manager's RX+TX loop (port RX, NF TX rings -> routing -> NF RX rings / port TX);
//  - every NF is a process with one thread; the speed tester busy-polls (sched_yield when idle), the
//    other NFs and the manager loop run in shared-core mode: when idle they sleep on a futex in shared
//    memory and the producer wakes them (batched: 64 packets waiting, or the manager is out of work);
//  - k-NF chain = k+1 data-plane threads on 2 CPUs (1-NF: manager loop + speed tester).
//  - testpmd: main lcore 0 (idle) + ONE forwarding lcore (io fwd between net_null0 and net_null1).
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { result, stats, type BenchResult, type BenchSuite } from '../harness.js';

const here = fileURLToPath(import.meta.url);
const compiled = here.endsWith('.js');
const root = compiled ? join(dirname(here), '..', '..', '..') : join(dirname(here), '..', '..');
const worker = compiled ? join(root, 'dist', 'native', 'bench', 'chain-bench.js') : join(root, 'native', 'bench', 'chain-bench.ts');
const nodeArgs = compiled ? [] : ['--import', 'tsx'];
const LENGTHS = [1, 2, 3, 4, 5];

interface WorkerOut { chains: Record<string, number>; ts?: number; native2?: number; layout: string; drops: Record<string, number> }

function runProc(cmd: string, args: string[], timeoutMs: number, signalAfterMs?: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const sig = signalAfterMs ? setTimeout(() => p.kill('SIGINT'), signalAfterMs) : undefined;
    const kill = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => { clearTimeout(kill); if (sig) clearTimeout(sig); reject(e); });
    p.on('exit', (code) => { clearTimeout(kill); if (sig) clearTimeout(sig); resolve({ code, out }); });
  });
}

async function ourChains(duration: number): Promise<WorkerOut> {
  const r = await runProc(process.execPath, [...nodeArgs, worker, '--lengths', LENGTHS.join(','), '--duration', String(duration), '--ts'], 300000);
  const last = r.out.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !last.startsWith('{')) throw new Error(`chain-bench failed (${r.code}): ${r.out.slice(-1500)}`);
  return JSON.parse(last) as WorkerOut;
}

/** dpdk-testpmd io-fwd net_null0 <-> net_null1, one forwarding lcore; returns total forwarded Mpps (median of 1 s periods). */
async function testpmd(seconds: number): Promise<number> {
  const prefix = `rvtpmd${process.pid}`;
  const huge = `/tmp/rv-huge-${prefix}`;
  mkdirSync(huge, { recursive: true });
  execFileSync('mount', ['-t', 'hugetlbfs', '-o', 'pagesize=2M,size=256M', 'nodev', huge]);
  try {
    const r = await runProc('dpdk-testpmd', ['--lcores', '0@(0-1),1@(0-1)', '--no-pci', '--vdev', 'net_null0', '--vdev', 'net_null1',
      '--file-prefix', prefix, '--huge-dir', huge, '--no-telemetry', '--log-level=lib.eal:warning', '--',
      '--forward-mode=io', '--stats-period', '1', '--total-num-mbufs=16384'], (seconds + 20) * 1000, (seconds + 1.5) * 1000);
    // "Port statistics" blocks, each with Rx-pps of port 0 and port 1
    const blocks = r.out.split('Port statistics').slice(1);
    const totals = blocks.map((b) => [...b.matchAll(/Rx-pps:\s+(\d+)/g)].slice(0, 2).reduce((s, m) => s + Number(m[1]), 0)).filter((v) => v > 0);
    if (totals.length < 2) throw new Error(`testpmd gave no stats: ${r.out.slice(-1500)}`);
    return stats(totals.slice(1)).median / 1e6; // the first period includes start-up
  } finally {
    try { execFileSync('umount', [huge]); } catch { /* not mounted */ }
    rmSync(huge, { recursive: true, force: true });
    rmSync(`/var/run/dpdk/${prefix}`, { recursive: true, force: true });
  }
}

const suite: BenchSuite = {
  name: 'dataplane',
  description: 'Host manager NF chains (speed tester; native 1..5 NFs, TypeScript NF) vs dpdk-testpmd io-fwd on net_null',
  async run(ctx) {
    if (!existsSync('/usr/bin/dpdk-testpmd')) throw new Error('dpdk-testpmd not installed (Debian package dpdk)');
    const tp: number[] = [];
    const ch: Record<number, number[]> = {};
    const ts: number[] = [];
    const n2: number[] = [];
    let layout = '';
    for (let i = 0; i < ctx.runs; i++) {
      const t = await testpmd(4);
      tp.push(t);
      ctx.log(`run ${i + 1}: testpmd ${t.toFixed(2)} Mpps`);
      const w = await ourChains(2);
      layout = w.layout;
      for (const k of LENGTHS) (ch[k] ??= []).push(w.chains[String(k)]);
      if (w.ts !== undefined) ts.push(w.ts);
      if (w.native2 !== undefined) n2.push(w.native2);
      ctx.log(`run ${i + 1}: chains ${LENGTHS.map((k) => `${k}:${w.chains[String(k)].toFixed(2)}`).join(' ')} Mpps; TS ${w.ts?.toFixed(2)} vs native ${w.native2?.toFixed(2)}`);
    }
    const tpS = stats(tp);
    const one = stats(ch[1]);
    const cores = `manager: 1 worker lcore (${layout}) + Node main thread (control only); each NF = 1 process thread (speed tester busy-polls, others sleep on a futex when idle); all threads float over 2 shared CPUs; testpmd: 1 forwarding lcore`;
    const out: BenchResult[] = [];
    out.push(result('dpdk-testpmd io-fwd (net_null0<->net_null1)', tpS, 'Mpps', { note: 'peer: 1 forwarding lcore, sum of both ports' }));
    const ratio1 = one.median / tpS.median;
    // the load on this shared machine changes between runs: also give each run's paired ratio
    const paired = ch[1].map((v, i) => v / tp[i]);
    out.push(result('native chain, 1 NF (speed tester loop)', one, 'Mpps', {
      peer: { name: 'dpdk-testpmd io-fwd', value: tpS.median }, target: '≥ 25 Mpps and ≥ 0.6× testpmd',
      met: one.median >= 25 && ratio1 >= 0.6,
      note: `${cores}; per-run ratios ${paired.map((r) => r.toFixed(2)).join(', ')} (median ${stats(paired).median.toFixed(2)})`,
    }));
    for (const k of LENGTHS.slice(1)) {
      const s = stats(ch[k]);
      out.push(result(`native chain, ${k} NFs`, s, 'Mpps', k === 5
        ? { peer: { name: 'native chain, 1 NF', value: one.median }, target: '≥ 0.5× the 1-NF chain', met: s.median >= 0.5 * one.median,
          note: `${k + 1} data-plane threads on 2 CPUs` }
        : { note: `${k + 1} data-plane threads on 2 CPUs` }));
    }
    if (ts.length && n2.length) {
      const tsS = stats(ts);
      const n2S = stats(n2);
      out.push(result('TypeScript NF (flow tracker) in a 2-NF chain', tsS, 'Mpps', {
        peer: { name: 'native monitor in the same 2-NF chain', value: n2S.median }, target: '≥ 0.2× native', met: tsS.median >= 0.2 * n2S.median,
        note: 'speed tester -> NF -> speed tester; the TS NF reads every packet\'s 5-tuple through zero-copy views',
      }));
    }
    return out;
  },
};
export default suite;
