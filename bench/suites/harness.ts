// Self-check suite of the harness: small, quick, always available. Measures Buffer.copy (native
// memcpy) against a plain JavaScript byte loop as its peer, and setImmediate latency against
// setTimeout(0) — so `rackvisor bench harness` exercises medians, peers, ratios and both directions.
import { performance } from 'node:perf_hooks';
import { result, type BenchSuite } from '../harness.js';

const SIZE = 1 << 20;

function copyRate(copy: (dst: Buffer, src: Buffer) => void, iterations: number): number {
  const src = Buffer.alloc(SIZE, 7);
  const dst = Buffer.alloc(SIZE);
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) copy(dst, src);
  const s = (performance.now() - t0) / 1000;
  if (dst[SIZE - 1] !== 7) throw new Error('copy did not copy');
  return (SIZE * iterations) / s / 1e9;
}

const nativeCopy = (dst: Buffer, src: Buffer): void => { src.copy(dst); };
const loopCopy = (dst: Buffer, src: Buffer): void => { for (let i = 0; i < src.length; i++) dst[i] = src[i]!; };

async function latencyUs(schedule: (cb: () => void) => void, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await new Promise<void>((r) => schedule(r));
  return ((performance.now() - t0) * 1000) / n;
}

const suite: BenchSuite = {
  name: 'harness',
  description: 'self-check: Buffer.copy vs a JS byte loop, setImmediate vs setTimeout(0) latency',
  async run(ctx) {
    copyRate(nativeCopy, 20);
    copyRate(loopCopy, 2);
    const ours = await ctx.measure(async () => copyRate(nativeCopy, 200));
    const peer = await ctx.measure(async () => copyRate(loopCopy, 10));
    ctx.log(`Buffer.copy ${ours.median.toFixed(2)} GB/s, JS loop ${peer.median.toFixed(2)} GB/s`);
    const imm = await ctx.measure(() => latencyUs((cb) => setImmediate(cb), 2000));
    const tmo = await ctx.measure(() => latencyUs((cb) => setTimeout(cb, 0), 200));
    return [
      result('Buffer.copy 1 MiB', ours, 'GB/s', { peer: { name: 'JS byte loop', value: peer.median }, target: '≥ 1× JS loop', met: ours.median >= peer.median }),
      result('setImmediate round trip', imm, 'µs', { peer: { name: 'setTimeout(0)', value: tmo.median }, better: 'lower' }),
    ];
  },
};

export default suite;
