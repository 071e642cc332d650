// Helpers called by the generated codecs (kept tiny and monomorphic so V8 inlines them).
import { OfEncodeError } from './errors.js';
import { fail, st } from './runtime.js';
import { fixedString, ipv4ToString, macToString, writeFixedString, writeIpv4, writeMac } from './addr.js';
import { toBig } from './oxm.js';

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  return String(v);
}

// Decoded byte fields are copies (decoded messages never alias the input), carved from an 8 KiB pool like Node's
// own Buffer.from does for small sizes, but without `subarray` (a species lookup) and without the pool's
// alignment bookkeeping: one Buffer view + one memcpy (`set` from a view of the source ArrayBuffer).
type BufferCtor = new (ab: ArrayBufferLike, off: number, len: number) => Buffer;
const FastBuffer = (Buffer as unknown as Record<symbol, BufferCtor | undefined>)[Symbol.species];
const POOL_SIZE = 8192;
let pool = new ArrayBuffer(POOL_SIZE);
let poolOff = 0;
let srcU8: Uint8Array | null = null;
let srcAb: ArrayBufferLike = pool;
let srcBase = 0;
function copyBytes(u8: Uint8Array, p: number, e: number): Buffer {
  const n = e - p;
  if (FastBuffer === undefined || n > POOL_SIZE >> 2) return Buffer.from(u8.subarray(p, e));
  if (u8 !== srcU8) { srcU8 = u8; srcAb = u8.buffer; srcBase = u8.byteOffset; }
  if (poolOff + n > POOL_SIZE) { pool = new ArrayBuffer(POOL_SIZE); poolOff = 0; }
  const b = new FastBuffer(pool, poolOff, n);
  poolOff = (poolOff + n + 7) & ~7;
  if (n > 16) b.set(new Uint8Array(srcAb, srcBase + p, n));
  else for (let i = 0; i < n; i++) b[i] = u8[p + i]!;
  return b;
}

export const helpers = {
  F: fail,
  st,
  Hmac: macToString,
  Hipv4: ipv4ToString,
  Hstr: fixedString,
  Hbytes: copyBytes,
  Hu8list(u8: Uint8Array, p: number, e: number): number[] {
    return Array.from(u8.subarray(p, e));
  },
  Hu32list(dv: DataView, p: number, e: number): number[] {
    if ((e - p) & 3) throw fail('bad_length', `list of u32 has ${e - p} bytes, not a multiple of 4`, p);
    const out: number[] = [];
    for (; p < e; p += 4) out.push(dv.getUint32(p));
    return out;
  },
  Hbad(path: string, v: unknown, what: string): never {
    throw new OfEncodeError(`expected ${what}, got ${describe(v)}`, path);
  },
  Hkind(path: string, v: unknown, what: string): OfEncodeError {
    const k = v !== null && typeof v === 'object' ? (v as { kind?: unknown }).kind : undefined;
    return new OfEncodeError(`not a valid ${what}: kind ${describe(k)}`, path);
  },
  Hbig(v: unknown, path: string): bigint {
    return toBig(v, 64, path);
  },
  Hwmac: writeMac,
  Hwipv4: writeIpv4,
  Hwstr: writeFixedString,
  Hwu32arr(dv: DataView, p: number, n: number, v: unknown, path: string): void {
    if (!Array.isArray(v) || v.length !== n) throw new OfEncodeError(`expected an array of ${n} u32`, path);
    for (let i = 0; i < n; i++) {
      const x: unknown = v[i];
      if (typeof x !== 'number' || (x >>> 0) !== x) throw new OfEncodeError(`element ${i} is not a u32: ${describe(x)}`, path);
      dv.setUint32(p + 4 * i, x);
    }
  },
  Hwbytes(u8: Uint8Array, p: number, v: unknown, path: string, optional: number): number {
    if (v === undefined && optional) return p;
    if (!(v instanceof Uint8Array)) throw new OfEncodeError(`expected bytes (Uint8Array), got ${describe(v)}`, path);
    u8.set(v, p);
    return p + v.length;
  },
  Hwu8list(u8: Uint8Array, p: number, v: unknown, path: string): number {
    if (!Array.isArray(v)) throw new OfEncodeError('expected a list of bytes', path);
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x !== 'number' || (x & 255) !== x) throw new OfEncodeError(`element ${i} is not a byte`, path);
      u8[p + i] = x;
    }
    return p + v.length;
  },
  Hwu32list(dv: DataView, p: number, v: unknown, path: string): number {
    if (!Array.isArray(v)) throw new OfEncodeError('expected a list of u32', path);
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x !== 'number' || (x >>> 0) !== x) throw new OfEncodeError(`element ${i} is not a u32`, path);
      dv.setUint32(p + 4 * i, x);
    }
    return p + 4 * v.length;
  },
};
