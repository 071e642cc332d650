// The Markdown report: one section per suite with a table (value, min–max, peer, ratio, target) and
// an SVG bar plot (bench/svg.ts), plus the JSON it was made from. Pure apart from writeReport().
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult, SuiteReport } from './harness.js';
import { fmt, fmtRatio } from './format.js';
import { barChart } from './svg.js';

const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function resultRow(r: BenchResult): string {
  const met = r.met === undefined ? '' : r.met ? 'yes' : '**no**';
  return `| ${esc(r.metric)} | ${fmt(r.value)} | ${esc(r.unit)} | ${fmt(r.min)} – ${fmt(r.max)} | ${r.peer ? esc(r.peer.name) : ''} | ` +
    `${r.peer ? fmt(r.peer.value) : ''} | ${fmtRatio(r.ratio)} | ${esc(r.target ?? '')} | ${met} | ${esc(r.note ?? '')} |`;
}

export function suiteMarkdown(rep: SuiteReport, svgFile?: string): string {
  const lines = [`## ${rep.suite}`, ''];
  if (svgFile) lines.push(`![${rep.suite}](${svgFile})`, '');
  lines.push('| metric | value | unit | min – max | peer | peer value | ratio | target | met | note |',
    '|---|---:|---|---|---|---:|---:|---|---|---|', ...rep.results.map(resultRow), '');
  return lines.join('\n');
}

export function reportMarkdown(reports: readonly SuiteReport[], opts: { runs?: number; when?: Date; svgFiles?: Record<string, string> } = {}): string {
  const when = (opts.when ?? new Date()).toISOString();
  const head = ['# rackvisor benchmark report', '',
    `Generated ${when}; each value is the median of ${opts.runs ? `${opts.runs} runs` : 'its suite\'s runs'} (min – max shown). ` +
    'Peers are measured in the same run; ratio > 1 means rackvisor beats the peer ' +
    '(value/peer when higher is better, peer/value when lower is better).', ''];
  return [...head, ...reports.map((r) => suiteMarkdown(r, opts.svgFiles?.[r.suite]))].join('\n');
}

/** Writes DIR/README.md, DIR/<suite>.svg and DIR/results.json; returns the Markdown path. */
export function writeReport(dir: string, reports: readonly SuiteReport[], opts: { runs?: number } = {}): string {
  mkdirSync(dir, { recursive: true });
  const svgFiles: Record<string, string> = {};
  for (const r of reports) {
    const file = `${r.suite.replace(/[^A-Za-z0-9_.-]/g, '_')}.svg`;
    writeFileSync(join(dir, file), barChart(r));
    svgFiles[r.suite] = file;
  }
  writeFileSync(join(dir, 'results.json'), JSON.stringify(reports, null, 2) + '\n');
  const md = join(dir, 'README.md');
  writeFileSync(md, reportMarkdown(reports, { ...opts, svgFiles }));
  return md;
}
