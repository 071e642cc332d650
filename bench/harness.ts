// The benchmark harness: suites (bench/suites/<name>.ts, `export default` a BenchSuite) report
// results measured as the median of N runs with min/max, and — where a peer exists — the peer's
// figure measured in the same run and the ratio. `rackvisor bench` (cli/commands/bench.ts) drives it.
import { readdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchResult {
  metric: string;
  value: number;
  unit: string;
  min: number;
  max: number;
  peer?: { name: string; value: number };
  /** value/peer when higher is better, peer/value when lower is better: > 1 means we beat the peer. */
  ratio?: number;
  /** Which direction is good (default 'higher'). */
  better?: 'higher' | 'lower';
  /** e.g. "≥ 25 Mpps" or "≥ 0.6× testpmd". */
  target?: string;
  met?: boolean;
  note?: string;
}

export interface BenchContext {
  /** Runs per measurement (the result is their median). */
  runs: number;
  log(msg: string): void;
  /** Calls `fn` `runs` times (each call returns one sample) and returns median, min and max. */
  measure(fn: () => Promise<number>, runs?: number): Promise<{ median: number; min: number; max: number }>;
}

export interface BenchSuite {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}

/** The JSON shape other checks read: one object per suite. */
export interface SuiteReport { suite: string; results: BenchResult[] }

export interface Stats { median: number; min: number; max: number }

export function stats(samples: readonly number[]): Stats {
  if (samples.length === 0) throw new Error('no samples');
  if (samples.some((s) => !Number.isFinite(s))) throw new Error(`non-finite sample in [${samples.join(', ')}]`);
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}

export function createContext(runs: number, log: (msg: string) => void = () => undefined): BenchContext {
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`runs must be a positive integer (got ${runs})`);
  return {
    runs,
    log,
    async measure(fn, n = runs) {
      const samples: number[] = [];
      for (let i = 0; i < n; i++) samples.push(await fn());
      return stats(samples);
    },
  };
}

/** Builds a result from our stats and (optionally) the peer's, computing the ratio. */
export function result(metric: string, ours: Stats, unit: string, opts: {
  peer?: { name: string; value: number }; better?: 'higher' | 'lower'; target?: string; met?: boolean; note?: string;
} = {}): BenchResult {
  const r: BenchResult = { metric, value: ours.median, unit, min: ours.min, max: ours.max };
  if (opts.peer) {
    r.peer = opts.peer;
    r.ratio = ratioOf(ours.median, opts.peer.value, opts.better ?? 'higher');
  }
  if (opts.better) r.better = opts.better;
  if (opts.target !== undefined) r.target = opts.target;
  if (opts.met !== undefined) r.met = opts.met;
  if (opts.note !== undefined) r.note = opts.note;
  return r;
}

export function ratioOf(value: number, peer: number, better: 'higher' | 'lower'): number {
  const [num, den] = better === 'lower' ? [peer, value] : [value, peer];
  return den === 0 ? (num === 0 ? 1 : Infinity) : num / den;
}

/** Checks a suite's results are well formed (finite numbers, min ≤ value ≤ max, ratio consistent). */
export function validateResults(suite: string, results: readonly BenchResult[]): void {
  if (!Array.isArray(results) || results.length === 0) throw new Error(`suite ${suite} returned no results`);
  for (const r of results) {
    const where = `suite ${suite}, metric "${r.metric}"`;
    if (typeof r.metric !== 'string' || !r.metric) throw new Error(`suite ${suite}: a result has no metric name`);
    for (const k of ['value', 'min', 'max'] as const) {
      if (typeof r[k] !== 'number' || !Number.isFinite(r[k])) throw new Error(`${where}: ${k} is not a finite number`);
    }
    if (r.min > r.value || r.value > r.max) throw new Error(`${where}: expected min ≤ value ≤ max, got ${r.min} ≤ ${r.value} ≤ ${r.max}`);
    if (r.peer && (typeof r.peer.value !== 'number' || !r.peer.name)) throw new Error(`${where}: malformed peer`);
  }
}

// ── discovery ──────────────────────────────────────────────────────────────────────────────────────

export const SUITES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'suites');

function isSuite(x: unknown): x is BenchSuite {
  const s = x as Partial<BenchSuite> | undefined;
  return !!s && typeof s.name === 'string' && typeof s.description === 'string' && typeof s.run === 'function';
}

/** Suite files in `dir`: *.js next to the compiled harness, *.ts when run from sources (tsx). */
export function suiteFiles(dir = SUITES_DIR): string[] {
  let names: string[];
  try { names = readdirSync(dir); } catch { return []; }
  const ext = fileURLToPath(import.meta.url).endsWith('.ts') ? '.ts' : '.js';
  return names.filter((n) => n.endsWith(ext) && !n.endsWith('.d.ts') && !n.includes('.test.') && !n.startsWith('_'))
    .sort().map((n) => join(dir, n));
}

/** Loads every suite. A file that fails to load becomes a suite (named after the file) whose run
 * throws the load error, so one broken suite does not hide the others. */
export async function loadSuites(dir = SUITES_DIR): Promise<BenchSuite[]> {
  const suites: BenchSuite[] = [];
  for (const f of suiteFiles(dir)) {
    let suite: BenchSuite;
    try {
      const mod = (await import(pathToFileURL(f).href)) as { default?: unknown };
      if (!isSuite(mod.default)) throw new Error(`${f} does not export default a BenchSuite {name, description, run}`);
      suite = mod.default;
    } catch (err) {
      const msg = `could not load ${f}: ${(err as Error).message}`;
      suite = { name: basename(f).replace(/\.(ts|js)$/, ''), description: `(broken: ${msg.split('\n')[0]})`, run: async () => { throw new Error(msg); } };
    }
    if (suites.some((s) => s.name === suite.name)) throw new Error(`two suites are named ${suite.name} (${f})`);
    suites.push(suite);
  }
  return suites;
}

export function selectSuites(all: readonly BenchSuite[], names: readonly string[]): BenchSuite[] {
  if (names.length === 0) return [...all];
  return names.map((n) => {
    const s = all.find((x) => x.name === n || basename(n, '.ts') === x.name);
    if (!s) throw new Error(`unknown suite "${n}"; available: ${all.map((x) => x.name).join(', ') || '(none)'} (rackvisor bench --list)`);
    return s;
  });
}

/** Runs the suites one after another; a failing suite is reported and the others still run. */
export async function runSuites(suites: readonly BenchSuite[], opts: { runs: number; log?: (msg: string) => void }):
  Promise<{ reports: SuiteReport[]; failures: { suite: string; error: string }[] }> {
  const log = opts.log ?? (() => undefined);
  const reports: SuiteReport[] = [];
  const failures: { suite: string; error: string }[] = [];
  for (const s of suites) {
    const t0 = Date.now();
    log(`suite ${s.name}: ${s.description} (median of ${opts.runs})`);
    try {
      const results = await s.run(createContext(opts.runs, (m) => log(`  ${s.name}: ${m}`)));
      validateResults(s.name, results);
      reports.push({ suite: s.name, results });
      log(`suite ${s.name}: ${results.length} result(s) in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    } catch (err) {
      failures.push({ suite: s.name, error: (err as Error).message });
      log(`suite ${s.name}: FAILED: ${(err as Error).message}`);
    }
  }
  return { reports, failures };
}
