// Message-level encode/decode over the compiled descriptions.
import type { DecodeResult, OfDecodeError, OfMessage } from './types.js';
import { OfEncodeError } from './errors.js';
import { DecodeFail } from './runtime.js';
import { compile, type CompiledCodecs } from './compile.js';
import { helpers } from './helpers.js';
import { customs } from './customs.js';
import { actionFamilies, actionStructs } from './actions.js';
import { instructionFamilies, instructionStructs } from './instructions.js';
import { commonFamilies, commonStructs } from './structs.js';
import { multipartBodies, multipartFamilies, multipartMessages } from './multipart.js';
import { messageFamilies, messageStructs } from './messages.js';

/** All descriptions compiled once at module load. */
export const codecs: CompiledCodecs = compile(
  [...actionStructs, ...instructionStructs, ...commonStructs, ...multipartBodies, ...multipartMessages, ...messageStructs],
  [...actionFamilies, ...instructionFamilies, ...commonFamilies, ...multipartFamilies, ...messageFamilies],
  customs, helpers,
);
const decMessage = codecs.dec.Message!;
const encMessage = codecs.enc.Message!;

const DecodeFailC = DecodeFail;
const EncodeErrorC = OfEncodeError;

// Decode: one DataView per underlying ArrayBuffer (cached), offsets absolute, errors reported relative to `buf`.
let lastAb: ArrayBufferLike | null = null;
let lastDv: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
let lastU8: Uint8Array<ArrayBufferLike> = new Uint8Array(0);

const DEC_SCRATCH_SIZE = 4096;
const DEC_SCRATCH = new Uint8Array(DEC_SCRATCH_SIZE);
const DEC_SCRATCH_DV = new DataView(DEC_SCRATCH.buffer);

function err(code: OfDecodeError['code'], message: string, offset: number): DecodeResult {
  return { ok: false, error: { code, message, offset } };
}

/** Decodes the message at the start of `buf`. NEVER throws. `length` = bytes consumed (the header length). */
export function decodeMessage(buf: Uint8Array): DecodeResult {
  if (!(buf instanceof Uint8Array)) return err('bad_value', 'input is not a Uint8Array', 0);
  const n = buf.length;
  if (n < 8) return err('truncated', `need 8 bytes for the OpenFlow header, have ${n}`, 0);
  const len = (buf[2]! << 8) | buf[3]!;
  if (len < 8) return err('bad_length', `header length ${len} is less than 8`, 2);
  if (n < len) return err('truncated', `header length ${len} but only ${n} bytes`, 2);
  const version = buf[0]!, type = buf[1]!;
  // hello, error and echo keep their layout across versions (needed for version negotiation)
  if (version !== 4 && type > 3) return err('bad_version', `version ${version} is not OpenFlow 1.3 (4)`, 0);
  let dv: DataView<ArrayBufferLike>, u8: Uint8Array<ArrayBufferLike>, base: number;
  if (n === len && len <= DEC_SCRATCH_SIZE) {
    // the common case (a buffer holding exactly one message): copy it into a fixed scratch area (one memcpy), which
    // is cheaper than reading `buf.buffer`/`buf.byteOffset` (C++ getters) and keeps one DataView for every decode
    DEC_SCRATCH.set(buf);
    dv = DEC_SCRATCH_DV; u8 = DEC_SCRATCH; base = 0;
  } else {
    const ab = buf.buffer;
    if (ab !== lastAb) {
      lastAb = ab;
      lastDv = new DataView(ab);
      lastU8 = new Uint8Array(ab);
    }
    dv = lastDv; u8 = lastU8; base = buf.byteOffset;
  }
  try {
    const msg = decMessage(dv, u8, base, base + len) as OfMessage;
    return { ok: true, msg, length: len };
  } catch (e) {
    if (e instanceof DecodeFailC) return err(e.code, e.message, e.offset - base);
    // a DataView range error would be a bug in a bound check: still never escape
    return err('bad_length', `internal decoder error: ${e instanceof Error ? e.message : String(e)}`, 0);
  }
}

// Encode: straight into a 64 KiB slab; the result is a view of it (like Node's 8 KiB Buffer pool), so no copy.
// A message that does not fit the slab's remainder is encoded in a scratch area and copied out instead.
const SLAB_SIZE = 64 * 1024;
const SLAB_MIN_FREE = 2048;
// Node's Buffer class proper (`Buffer[Symbol.species]`, internally FastBuffer): constructing a view with it directly
// costs half of `slab.subarray()`, which looks the species up on every call. Same map and prototype as any Buffer.
type BufferCtor = new (ab: ArrayBuffer, off: number, len: number) => Buffer;
const FastBuffer: BufferCtor = (() => {
  const c = (Buffer as unknown as Record<symbol, BufferCtor | undefined>)[Symbol.species];
  if (typeof c === 'function') {
    const probe = new c(new ArrayBuffer(8), 2, 4);
    if (probe instanceof Buffer && Object.getPrototypeOf(probe) === Buffer.prototype && probe.length === 4) return c;
  }
  return function FastBufferFallback(ab: ArrayBuffer, off: number, len: number) { return Buffer.from(ab, off, len); } as unknown as BufferCtor;
})();
// Slabs are uninitialised memory (like Buffer.allocUnsafe; a zero-filled ArrayBuffer spent ~2 % of encode in memset):
// every encoder writes every byte of its message, padding included — test/openflow/fastpath.test.ts encodes every
// vector into slabs poisoned with poisonNewSlabs() and compares bytes. (The scratch fallback below always relied on it.)
let slabPoison = -1;
function newSlab(): ArrayBuffer {
  const b = Buffer.allocUnsafeSlow(SLAB_SIZE);
  if (slabPoison >= 0) b.fill(slabPoison);
  return b.buffer as ArrayBuffer; // allocUnsafeSlow: its own ArrayBuffer of exactly SLAB_SIZE bytes, byteOffset 0
}
/** Test hook: fill every slab created from now on with `byte` (-1: leave uninitialised) and start a new one. */
export function poisonNewSlabs(byte: number): void {
  slabPoison = byte;
  slabOff = SLAB_SIZE;
}
let slabAb = newSlab();
let slab = new FastBuffer(slabAb, 0, SLAB_SIZE);
let slabDv = new DataView(slabAb);
let slabOff = 0;
const SCRATCH = Buffer.allocUnsafe(256 * 1024);
const SCRATCH_DV = new DataView(SCRATCH.buffer, SCRATCH.byteOffset, SCRATCH.length);

function encodeInto(dv: DataView, u8: Uint8Array, start: number, msg: OfMessage): number {
  try {
    const kind: unknown = msg === null || typeof msg !== 'object' ? 'message' : msg.kind;
    return encMessage(dv, u8, start, msg, typeof kind === 'string' ? kind : String(kind));
  } catch (e) {
    if (e instanceof EncodeErrorC) throw e;
    if (e instanceof RangeError) return Infinity; // ran past the end of the area
    throw new OfEncodeError(e instanceof Error ? e.message : String(e));
  }
}

/** Encodes one message; computes every length and padding. Throws OfEncodeError on invalid input. */
export function encodeMessage(msg: OfMessage): Buffer {
  if (SLAB_SIZE - slabOff < SLAB_MIN_FREE) {
    slabAb = newSlab();
    slab = new FastBuffer(slabAb, 0, SLAB_SIZE);
    slabDv = new DataView(slabAb);
    slabOff = 0;
  }
  const start = slabOff;
  const end = encodeInto(slabDv, slab, start, msg);
  if (end <= SLAB_SIZE) {
    slabOff = (end + 7) & ~7;
    return new FastBuffer(slabAb, start, end - start);
  }
  const n = encodeInto(SCRATCH_DV, SCRATCH, 0, msg);
  if (n > SCRATCH.length) throw new OfEncodeError('message larger than 65535 bytes');
  return Buffer.from(SCRATCH.subarray(0, n));
}

/** Decodes every message of a concatenation; stops at the first error (returned with the messages before it,
 *  its offset relative to the whole input). */
export function decodeAll(buf: Uint8Array): { msgs: OfMessage[]; error?: OfDecodeError } {
  const msgs: OfMessage[] = [];
  let off = 0;
  while (off < buf.length) {
    const r = decodeMessage(buf.subarray(off));
    if (!r.ok) return { msgs, error: { ...r.error, offset: r.error.offset + off } };
    msgs.push(r.msg);
    off += r.length;
  }
  return { msgs };
}
