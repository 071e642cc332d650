// The 8-byte OpenFlow header (version, type, length, xid) and stream framing helpers.
import type { OfHeader } from './types.js';

/** Reads the header at `offset`; null if fewer than 8 bytes are available. Does not validate. */
export function readHeader(buf: Uint8Array, offset = 0): OfHeader | null {
  if (buf.length - offset < 8) return null;
  return {
    version: buf[offset]!,
    type: buf[offset + 1]!,
    length: (buf[offset + 2]! << 8) | buf[offset + 3]!,
    xid: ((buf[offset + 4]! << 24) | (buf[offset + 5]! << 16) | (buf[offset + 6]! << 8) | buf[offset + 7]!) >>> 0,
  };
}

/** Length of the complete message starting at `offset`, or 0 if more bytes are needed to know / have it.
 *  A header length < 8 is returned as is (the caller must treat it as a framing error). */
export function frameLength(buf: Uint8Array, offset = 0): number {
  if (buf.length - offset < 4) return 0;
  const len = (buf[offset + 2]! << 8) | buf[offset + 3]!;
  if (len < 8) return len;
  return buf.length - offset >= len ? len : 0;
}
