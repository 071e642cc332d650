// Number formatting shared by the console table and the Markdown/SVG report.
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  if (a !== 0 && (a >= 1e7 || a < 1e-3)) return n.toExponential(2);
  if (a >= 1000) return Math.round(n).toLocaleString('en-US');
  if (a >= 100) return n.toFixed(1);
  if (a >= 1) return n.toFixed(2);
  return n.toFixed(3);
}

export const fmtRatio = (r: number | undefined): string => (r === undefined ? '' : `${fmt(r)}×`);
