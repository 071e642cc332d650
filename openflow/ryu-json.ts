// Ryu's to_jsondict shape ({"OFPFlowMod": {...}}, OXMs as {"OXMTlv": {field, mask, value}}, bytes as base64)
// ⇄ in-memory messages, plus a lossless JSON reader/writer (integers beyond 2^53 as bigint).
import type { OfMessage } from './types.js';
import { OfEncodeError } from './errors.js';
import { decodeMessage, encodeMessage } from './codec.js';
import { fromBase64, toBase64 } from './addr.js';
import { packetFromRyuJson } from './packet-lib.js';

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** Re-encodes and decodes a message: fills every computed field (len/length/type, kind of nested structures)
 *  and converts numbers to the model's types (bigint for 64-bit). Throws OfEncodeError if it cannot be encoded. */
export function canonicalize(msg: OfMessage): OfMessage {
  const r = decodeMessage(encodeMessage(msg));
  if (!r.ok) throw new OfEncodeError(`re-decode failed: ${r.error.message}`);
  return r.msg;
}

function toJ(v: unknown, top: boolean): unknown {
  if (v instanceof Uint8Array) return toBase64(v);
  if (Array.isArray(v)) return v.map((x) => toJ(x, false));
  if (!isObj(v)) return v;
  if (typeof v.kind === 'string') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      if (k === 'kind') continue;
      if (top && ((k === 'version' && v.version === 4) || (k === 'xid' && v.xid === 0))) continue;
      out[k] = toJ(v[k], false);
    }
    return { [v.kind]: out };
  }
  if ('field' in v && 'value' in v) {
    return { OXMTlv: { field: v.field, mask: toJ(v.mask ?? null, false), value: toJ(v.value, false) } };
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = toJ(v[k], false);
  return out;
}

/** Exactly the vectors' JSON shape: {"OFPFlowMod": {...}} with sorted keys, bytes as base64, 64-bit as bigint,
 *  every len/length filled; top-level type/length left out, version only when not 4 and xid only when non-zero
 *  (so that decode → JSON → encode is exact for any message). */
export function toRyuJson(msg: OfMessage): unknown {
  return toJ(canonicalize(msg), true);
}

function fromJ(v: unknown, key: string | null): unknown {
  if (Array.isArray(v)) return v.map((x) => fromJ(x, null));
  if (typeof v === 'string' && key === 'data') return fromBase64(v, 'data');
  if (!isObj(v)) return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && /^[A-Z]/.test(keys[0]!) && isObj(v[keys[0]!])) {
    const cls = keys[0]!;
    const inner = v[cls] as Record<string, unknown>;
    if (cls === 'OFPTruncatedMessage') throw new OfEncodeError('a truncated message cannot be encoded');
    if (cls === 'Packet') return packetFromRyuJson(inner);
    if (cls === 'OXMTlv') {
      const field = inner.field;
      const raw = typeof field === 'string' && field.startsWith('field_');
      const conv = (x: unknown): unknown => (raw && typeof x === 'string' ? fromBase64(x, `${field}`) : x);
      const t: Record<string, unknown> = { field, value: conv(inner.value) };
      if (inner.mask !== null && inner.mask !== undefined) t.mask = conv(inner.mask);
      return t;
    }
    const out: Record<string, unknown> = { kind: cls };
    for (const k of Object.keys(inner)) out[k] = fromJ(inner[k], k);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = fromJ(v[k], k);
  return out;
}

/** Inverse of toRyuJson: accepts numbers or bigints for integer fields, len/length keys optional (computed).
 *  Returns a canonical message (lengths filled, bigint for 64-bit fields). Throws OfEncodeError. */
export function fromRyuJson(json: unknown): OfMessage {
  if (!isObj(json) || Object.keys(json).length !== 1) {
    throw new OfEncodeError('expected {"OFPClassName": {...}} (one key, the Ryu class name)');
  }
  const msg = fromJ(json, null) as OfMessage;
  return canonicalize(msg);
}

// ------------------------------------------------------------------ lossless JSON
/** JSON with bigint printed as plain integers; `indent` spaces (0 = compact). */
export function stringifyJson(value: unknown, indent = 3): string {
  const nl = indent > 0 ? '\n' : '';
  const sep = indent > 0 ? ': ' : ':';
  const w = (v: unknown, pre: string): string => {
    if (typeof v === 'bigint') return v.toString();
    if (v === undefined) return 'null';
    if (v instanceof Uint8Array) return JSON.stringify(toBase64(v));
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      const p2 = pre + ' '.repeat(indent);
      return `[${nl}${v.map((x) => p2 + w(x, p2)).join(`,${nl}`)}${nl}${pre}]`;
    }
    if (v !== null && typeof v === 'object') {
      const ks = Object.keys(v).filter((k) => (v as Record<string, unknown>)[k] !== undefined);
      if (ks.length === 0) return '{}';
      const p2 = pre + ' '.repeat(indent);
      return `{${nl}${ks.map((k) => `${p2}${JSON.stringify(k)}${sep}${w((v as Record<string, unknown>)[k], p2)}`).join(`,${nl}`)}${nl}${pre}}`;
    }
    return JSON.stringify(v);
  };
  return w(value, '');
}

/** JSON.parse that keeps integers beyond 2^53 exact (as bigint); other numbers as number. */
export function parseJsonLossless(text: string): unknown {
  let i = 0;
  const n = text.length;
  const ws = (): void => { while (i < n && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++; };
  const bad = (what: string): never => { throw new SyntaxError(`JSON: ${what} at offset ${i}`); };
  const val = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws();
        if (text[i] !== '"') bad('expected a key');
        const k = strTok();
        ws();
        if (text[i] !== ':') bad('expected :');
        i++;
        o[k] = val();
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return o; }
        bad('expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const a: unknown[] = [];
      ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(val());
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return a; }
        bad('expected , or ]');
      }
    }
    if (c === '"') return strTok();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return bad('unexpected character');
    i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) {
      const num = Number(m[0]);
      return Number.isSafeInteger(num) ? num : BigInt(m[0]);
    }
    return Number(m[0]);
  };
  const strTok = (): string => {
    const s = i;
    i++;
    while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= n) bad('unterminated string');
    i++;
    return JSON.parse(text.slice(s, i)) as string;
  };
  const v = val();
  ws();
  if (i !== n) bad('trailing characters');
  return v;
}
