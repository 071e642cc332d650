// Plain-text table of a suite's results for the terminal.
import type { SuiteReport } from './harness.js';
import { fmt, fmtRatio } from './format.js';

export function consoleTable(rep: SuiteReport): string {
  const rows = [['metric', 'value', 'unit', 'min – max', 'peer', 'ratio', 'target']];
  for (const r of rep.results) {
    rows.push([r.metric, fmt(r.value), r.unit, `${fmt(r.min)} – ${fmt(r.max)}`, r.peer ? `${r.peer.name} ${fmt(r.peer.value)}` : '',
      fmtRatio(r.ratio), r.target ? `${r.target}${r.met === undefined ? '' : r.met ? ' (met)' : ' (MISSED)'}` : '']);
  }
  const w = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]): string => row.map((cell, c) => (c === 1 || c === 5 ? cell.padStart(w[c]!) : cell.padEnd(w[c]!))).join('  ').trimEnd();
  return [`${rep.suite}`, ...rows.map((r) => `  ${line(r)}`)].join('\n');
}
