// Hand-written SVG bar plots (no dependencies): one row per metric; our bar (with a min–max
// whisker) and, when there is a peer, the peer's bar. Rows with the same unit share one scale (so
// 29 Mpps is drawn shorter than 94 Mpps); rows of different units are scaled separately. The ratio
// and the target verdict sit in their own column at the right.
import type { SuiteReport } from './harness.js';
import { fmt, fmtRatio } from './format.js';

const xml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function barChart(rep: SuiteReport): string {
  const W = 900, labelW = 230, barW = 380, pad = 10, rowH = 44, top = 34;
  const unitMax = new Map<string, number>();
  for (const r of rep.results) {
    const m = Math.max(Math.abs(r.max), Math.abs(r.value), Math.abs(r.peer?.value ?? 0));
    unitMax.set(r.unit, Math.max(unitMax.get(r.unit) ?? 0, m));
  }
  const h = top + rep.results.length * rowH + 24;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${h}" fill="#fff"/>`,
    `<text x="${pad}" y="20" font-size="14" font-weight="bold">${xml(rep.suite)}</text>`,
    `<rect x="${W - 250}" y="10" width="12" height="10" fill="#2b6cb0"/><text x="${W - 234}" y="19">rackvisor</text>`,
    `<rect x="${W - 160}" y="10" width="12" height="10" fill="#a0aec0"/><text x="${W - 144}" y="19">peer</text>`,
  ];
  rep.results.forEach((r, i) => {
    const y = top + i * rowH;
    const scale = unitMax.get(r.unit) || 1;
    const len = (v: number): number => Math.max(1, (Math.abs(v) / scale) * barW);
    const x0 = labelW;
    const barH = r.peer ? 14 : 22;
    out.push(`<text x="${pad}" y="${y + 16}">${xml(truncate(r.metric, 34))}</text>`);
    out.push(`<text x="${pad}" y="${y + 31}" fill="#555">${xml(truncate(r.unit + (r.better === 'lower' ? ' (lower is better)' : ''), 36))}</text>`);
    out.push(`<rect x="${x0}" y="${y + 4}" width="${len(r.value).toFixed(1)}" height="${barH}" fill="#2b6cb0"><title>${xml(`${fmt(r.value)} ${r.unit} (min ${fmt(r.min)}, max ${fmt(r.max)})`)}</title></rect>`);
    const wy = y + 4 + barH / 2;
    out.push(`<line x1="${(x0 + len(r.min)).toFixed(1)}" x2="${(x0 + len(r.max)).toFixed(1)}" y1="${wy}" y2="${wy}" stroke="#1a202c" stroke-width="1.5"/>`);
    out.push(`<text x="${(x0 + len(Math.max(r.value, r.max)) + 4).toFixed(1)}" y="${y + 4 + barH - 3}">${xml(fmt(r.value))}</text>`);
    if (r.peer) {
      const py = y + 4 + barH + 3;
      out.push(`<rect x="${x0}" y="${py}" width="${len(r.peer.value).toFixed(1)}" height="${barH}" fill="#a0aec0"><title>${xml(`${r.peer.name}: ${fmt(r.peer.value)} ${r.unit}`)}</title></rect>`);
      out.push(`<text x="${(x0 + len(r.peer.value) + 4).toFixed(1)}" y="${py + barH - 3}" fill="#555">${xml(`${fmt(r.peer.value)} ${truncate(r.peer.name, 20)}`)}</text>`);
    }
    if (r.ratio !== undefined) {
      const good = r.met ?? r.ratio >= 1;
      out.push(`<text x="${W - pad}" y="${y + 20}" text-anchor="end" font-weight="bold" fill="${good ? '#276749' : '#9b2c2c'}">${xml(fmtRatio(r.ratio))}</text>`);
    }
    if (r.met !== undefined) out.push(`<text x="${W - pad}" y="${y + 35}" text-anchor="end" fill="${r.met ? '#276749' : '#9b2c2c'}">${r.met ? 'target met' : 'target missed'}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function truncate(s: string, n: number): string { return s.length > n ? `${s.slice(0, n - 1)}…` : s; }
