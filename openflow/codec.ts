// Message-level encode/decode (placeholder signatures; the schema-driven implementation lands next).
import type { DecodeResult, OfMessage } from './types.js';
import { OfEncodeError } from './errors.js';

/** Encodes one message; computes every length and padding. Throws OfEncodeError on invalid input. */
export function encodeMessage(msg: OfMessage): Buffer {
  throw new OfEncodeError(`encode of ${msg.kind} not implemented yet`);
}

/** Decodes the message at the start of `buf`. NEVER throws. `length` = bytes consumed (the header length). */
export function decodeMessage(buf: Uint8Array): DecodeResult {
  return { ok: false, error: { code: 'bad_type', message: `decoder not implemented yet (${buf.length} bytes)`, offset: 0 } };
}

/** Decodes every message of a concatenation; stops at the first error (returned with the messages before it). */
export function decodeAll(buf: Uint8Array): { msgs: OfMessage[]; error?: DecodeResult & { ok: false } } {
  const msgs: OfMessage[] = [];
  let off = 0;
  while (off < buf.length) {
    const r = decodeMessage(buf.subarray(off));
    if (!r.ok) return { msgs, error: { ok: false, error: { ...r.error, offset: r.error.offset + off } } };
    msgs.push(r.msg);
    off += r.length;
  }
  return { msgs };
}
