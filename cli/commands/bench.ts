// `rackvisor bench [SUITE...]`: runs benchmark suites (bench/suites/*) with the harness, prints a
// table, writes JSON (--json) and a Markdown/SVG report (--report).
import { Command, InvalidArgumentError } from 'commander';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadSuites, runSuites, selectSuites, validateResults, type SuiteReport } from '../../bench/harness.js';
import { consoleTable } from '../../bench/console.js';
import { writeReport } from '../../bench/report.js';

interface BenchOpts { runs: number; json?: string; list?: boolean; report?: string; from?: string[] }

/** One suite → FILE holds its object; several → FILE holds an array; FILE ending in / (or an existing dir) → DIR/<suite>.json each. */
export function writeJson(target: string, reports: readonly SuiteReport[]): string[] {
  const asDir = target.endsWith('/') || (existsSync(target) && statSync(target).isDirectory());
  if (asDir) {
    mkdirSync(target, { recursive: true });
    return reports.map((r) => { const f = join(target, `${r.suite}.json`); writeFileSync(f, JSON.stringify(r, null, 2) + '\n'); return f; });
  }
  mkdirSync(dirname(resolve(target)), { recursive: true });
  writeFileSync(target, JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) + '\n');
  return [target];
}

/** Reads --json files (or a report's results.json). A suite that appears again in a later file replaces the earlier
 *  one in place, so `--from bench/report/results.json new/openflow-codec.json --report bench/report` refreshes one
 *  suite's section and keeps every other suite's committed figures. */
export function readReports(files: readonly string[]): SuiteReport[] {
  const out: SuiteReport[] = [];
  for (const f of files) {
    const parsed = JSON.parse(readFileSync(f, 'utf8')) as SuiteReport | SuiteReport[];
    for (const r of Array.isArray(parsed) ? parsed : [parsed]) {
      if (typeof r?.suite !== 'string' || !Array.isArray(r.results)) throw new Error(`${f}: not a bench result file ({suite, results})`);
      validateResults(r.suite, r.results);
      const i = out.findIndex((x) => x.suite === r.suite);
      if (i >= 0) out[i] = r; else out.push(r);
    }
  }
  return out;
}

const positiveInt = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('--runs must be a positive integer');
  return n;
};

export function registerBench(program: Command): void {
  program.command('bench')
    .description('Run benchmark suites side by side with their peers (median of N runs, peer ratio, JSON + Markdown/SVG report)')
    .argument('[suites...]', 'suites to run (default: all; see --list)')
    .option('--runs <n>', 'runs per measurement (the median is reported)', positiveInt, 5)
    .option('--json <file>', 'write results as JSON: one suite → {suite, results}; several → an array; a path ending in / → one <suite>.json per suite')
    .option('--report <dir>', 'write a Markdown report with SVG bar plots to DIR (e.g. bench/report)')
    .option('--from <files...>', 'do not run anything: build the --report / print tables from earlier --json files')
    .option('--list', 'list the available suites and exit')
    .action(async (names: string[], o: BenchOpts) => {
      if (o.from) {
        const reports = readReports(o.from);
        for (const r of reports) console.log(consoleTable(r));
        if (o.report) console.log(`report: ${writeReport(o.report, reports)}`);
        return;
      }
      const all = await loadSuites();
      if (o.list) {
        if (all.length === 0) console.log('no suites found (build first: npm run build:ts)');
        for (const s of all) console.log(`${s.name.padEnd(16)} ${s.description}`);
        return;
      }
      const suites = selectSuites(all, names);
      if (suites.length === 0) throw new Error('no suites to run (build first: npm run build:ts)');
      const { reports, failures } = await runSuites(suites, { runs: o.runs, log: (m) => console.error(m) });
      for (const r of reports) console.log(consoleTable(r));
      if (o.json && reports.length) console.log(`json: ${writeJson(o.json, reports).join(', ')}`);
      if (o.report && reports.length) console.log(`report: ${writeReport(o.report, reports, { runs: o.runs })}`);
      if (failures.length) {
        process.exitCode = 1;
        console.error(`FAILED suites: ${failures.map((f) => `${f.suite} (${f.error.split('\n')[0]})`).join('; ')}`);
      }
    });
}
