// JSON responses that may carry 64-bit counters. JSON.stringify cannot write bigint; Ryu (Python)
// writes exact integers. Values that fit in a double go through res.json (so the OpenAPI response
// validator sees them); a body with an integer beyond 2^53 is serialised by hand, digits exact.
import type { Response } from 'express';

function hasUnsafe(v: unknown): boolean {
  if (typeof v === 'bigint') return v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER);
  if (Array.isArray(v)) return v.some(hasUnsafe);
  if (v && typeof v === 'object') return Object.values(v).some(hasUnsafe);
  return false;
}

/** bigint → number (only called when every bigint is safe). */
export function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = plain(x);
    return out;
  }
  return v;
}

/** JSON text with bigints as exact integer literals. */
export function stringifyExact(v: unknown, indent?: number): string {
  const marks: string[] = [];
  const text = JSON.stringify(
    v,
    (_k, x: unknown) => {
      if (typeof x === 'bigint') {
        marks.push(x.toString());
        return `\u0000BIG${marks.length - 1}\u0000`;
      }
      return x;
    },
    indent,
  );
  return text.replace(/"\\u0000BIG(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)]);
}

export function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status);
  if (hasUnsafe(body)) {
    res.type('application/json').send(stringifyExact(body));
  } else {
    res.json(plain(body));
  }
}
