// The benchmark harness: statistics, ratios, validation, suite discovery, JSON files, the report
// (Markdown + well-formed SVG) and the CLI end to end on the self-check suite.
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { createContext, loadSuites, ratioOf, result, runSuites, selectSuites, stats, validateResults, type BenchSuite, type SuiteReport } from '../../bench/harness.js';
import { reportMarkdown, writeReport } from '../../bench/report.js';
import { barChart } from '../../bench/svg.js';
import { readReports, writeJson } from '../../cli/commands/bench.js';

const pexec = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), 'rvt-bench-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));

const sample: SuiteReport = {
  suite: 'demo',
  results: [
    result('pps <&>', { median: 10, min: 9, max: 12 }, 'Mpps', { peer: { name: 'testpmd', value: 20 }, target: '≥ 0.6×', met: false }),
    result('latency', { median: 2, min: 1, max: 3 }, 'ms', { peer: { name: 'os-ken', value: 8 }, better: 'lower' }),
    result('alone', { median: 5, min: 5, max: 5 }, 'ops'),
  ],
};

test('stats: median of odd and even sample counts, min and max', (t) => {
  t.deepEqual(stats([3, 1, 2]), { median: 2, min: 1, max: 3 });
  t.deepEqual(stats([4, 1, 3, 2]), { median: 2.5, min: 1, max: 4 });
  t.throws(() => stats([]), { message: /no samples/ });
  t.throws(() => stats([1, NaN]), { message: /non-finite/ });
});

test('ratio: value/peer when higher is better, peer/value when lower is better', (t) => {
  t.is(ratioOf(10, 20, 'higher'), 0.5);
  t.is(ratioOf(2, 8, 'lower'), 4);
  t.is(sample.results[0]!.ratio, 0.5);
  t.is(sample.results[1]!.ratio, 4);
  t.is(sample.results[1]!.better, 'lower');
  t.is(sample.results[2]!.ratio, undefined);
  t.is(sample.results[2]!.peer, undefined);
});

test('measure calls the function runs times and takes the median', async (t) => {
  let calls = 0;
  const ctx = createContext(5);
  const s = await ctx.measure(async () => ++calls * 10);
  t.is(calls, 5);
  t.deepEqual(s, { median: 30, min: 10, max: 50 });
  t.deepEqual(await ctx.measure(async () => 7, 2), { median: 7, min: 7, max: 7 });
  t.throws(() => createContext(0), { message: /positive integer/ });
});

test('validateResults rejects empty, non-finite and inconsistent results', (t) => {
  t.notThrows(() => validateResults('demo', sample.results));
  t.throws(() => validateResults('x', []), { message: /no results/ });
  t.throws(() => validateResults('x', [{ metric: 'm', value: Infinity, unit: 'u', min: 0, max: 1 }]), { message: /value is not a finite/ });
  t.throws(() => validateResults('x', [{ metric: 'm', value: 5, unit: 'u', min: 6, max: 7 }]), { message: /min ≤ value ≤ max/ });
});

test('suites are discovered from bench/suites and selected by name', async (t) => {
  const all = await loadSuites();
  t.true(all.some((s) => s.name === 'harness'));
  t.deepEqual(selectSuites(all, ['harness']).map((s) => s.name), ['harness']);
  t.throws(() => selectSuites(all, ['nope']), { message: /unknown suite "nope"; available: .*harness/ });
});

test('runSuites reports a failing suite and still runs the others', async (t) => {
  const ok: BenchSuite = { name: 'ok', description: '', run: async (ctx) => [result('x', await ctx.measure(async () => 1), 'u')] };
  const bad: BenchSuite = { name: 'bad', description: '', run: async () => { throw new Error('no DPDK here'); } };
  const { reports, failures } = await runSuites([bad, ok], { runs: 2 });
  t.deepEqual(reports.map((r) => r.suite), ['ok']);
  t.deepEqual(failures, [{ suite: 'bad', error: 'no DPDK here' }]);
});

test('JSON: one suite → object, several → array, a dir → one file per suite; readable back', (t) => {
  const one = join(tmp, 'one.json');
  writeJson(one, [sample]);
  const parsed = JSON.parse(readFileSync(one, 'utf8')) as SuiteReport;
  t.is(parsed.suite, 'demo');
  t.deepEqual(Object.keys(parsed.results[0]!).slice(0, 7), ['metric', 'value', 'unit', 'min', 'max', 'peer', 'ratio']);
  const many = join(tmp, 'many.json');
  writeJson(many, [sample, { ...sample, suite: 'demo2' }]);
  t.is((JSON.parse(readFileSync(many, 'utf8')) as unknown[]).length, 2);
  const files = writeJson(join(tmp, 'per-suite') + '/', [sample, { ...sample, suite: 'demo2' }]);
  t.deepEqual(files.map((f) => f.split('/').pop()), ['demo.json', 'demo2.json']);
  t.deepEqual(readReports([one, many]).map((r) => r.suite), ['demo', 'demo2'], 'a suite found again is not duplicated');
  const newer = join(tmp, 'newer.json');
  writeJson(newer, [{ ...sample, results: sample.results.map((r) => ({ ...r, value: r.value + 1, max: r.value + 1 })) }]);
  const merged = readReports([many, newer]);
  t.deepEqual(merged.map((r) => r.suite), ['demo', 'demo2'], 'the later file replaces the suite in place');
  t.is(merged[0]!.results[0]!.value, sample.results[0]!.value + 1);
  t.throws(() => readReports([join(tmp, 'per-suite')]), { code: 'EISDIR' });
});

test('report: Markdown table per suite and a well-formed SVG with our and the peer bars', async (t) => {
  const md = reportMarkdown([sample], { runs: 5, svgFiles: { demo: 'demo.svg' } });
  t.regex(md, /## demo\n\n!\[demo\]\(demo\.svg\)/);
  t.regex(md, /\| pps <&> \| 10\.00 \| Mpps \| 9\.00 – 12\.00 \| testpmd \| 20\.00 \| 0\.500× \| ≥ 0\.6× \| \*\*no\*\* \|/);
  t.regex(md, /median of 5 runs/);
  const svg = barChart(sample);
  t.is((svg.match(/<rect x="230"/g) ?? []).length, 5, '3 own bars + 2 peer bars');
  t.true(svg.includes('pps &lt;&amp;&gt;'));
  const dir = join(tmp, 'report');
  writeReport(dir, [sample]);
  for (const f of ['README.md', 'demo.svg', 'results.json']) t.true(existsSync(join(dir, f)), f);
  // A real XML parser must accept the SVG.
  await t.notThrowsAsync(pexec('/usr/bin/python3', ['-c', 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); assert r.tag.endswith("svg")', join(dir, 'demo.svg')]));
});

test('CLI: `bench harness --runs 1 --json F --report D` runs the self-check suite', async (t) => {
  const json = join(tmp, 'cli.json');
  const dir = join(tmp, 'cli-report');
  const { stdout } = await pexec(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'bench', 'harness', '--runs', '1', '--json', json, '--report', dir], { timeout: 60_000 });
  t.regex(stdout, /Buffer\.copy 1 MiB/);
  const rep = JSON.parse(readFileSync(json, 'utf8')) as SuiteReport;
  t.is(rep.suite, 'harness');
  const copy = rep.results.find((r) => r.metric === 'Buffer.copy 1 MiB');
  t.truthy(copy?.peer);
  t.true((copy?.value ?? 0) > 0 && (copy?.ratio ?? 0) > 0);
  t.true(existsSync(join(dir, 'harness.svg')));
  const list = await pexec(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'bench', '--list']);
  t.regex(list.stdout, /^harness\s+self-check/m);
  const err = await t.throwsAsync(pexec(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'bench', 'nope']));
  t.regex((err as Error & { stderr?: string })?.stderr ?? '', /unknown suite "nope"/);
});

test('a suite file that fails to load is listed as broken and fails alone', async (t) => {
  const dir = join(tmp, 'suites');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'broken.ts'), 'throw new Error("missing addon");\n');
  writeFileSync(join(dir, 'good.ts'), 'export default { name: "good", description: "d", run: async () => [{ metric: "m", value: 1, unit: "u", min: 1, max: 1 }] };\n');
  writeFileSync(join(dir, '_helper.ts'), 'throw new Error("never loaded");\n');
  const suites = await loadSuites(dir);
  t.deepEqual(suites.map((s) => s.name), ['broken', 'good']);
  t.regex(suites[0]!.description, /broken: could not load .*missing addon/);
  const { reports, failures } = await runSuites(suites, { runs: 1 });
  t.deepEqual(reports.map((r) => r.suite), ['good']);
  t.regex(failures[0]!.error, /missing addon/);
});
