// Conversion between in-memory messages and Ryu's to_jsondict shape (placeholder; implementation lands next).
import type { OfMessage } from './types.js';
import { OfEncodeError } from './errors.js';

/** Exactly the vectors' JSON shape: {"OFPFlowMod": {...}}, bytes as base64, bigint kept as bigint. */
export function toRyuJson(msg: OfMessage): unknown {
  throw new OfEncodeError(`toRyuJson of ${msg.kind} not implemented yet`);
}
/** Inverse of toRyuJson; accepts numbers or bigints for integer fields, len/length keys optional. */
export function fromRyuJson(json: unknown): OfMessage {
  throw new OfEncodeError(`fromRyuJson not implemented yet: ${typeof json}`);
}
/** JSON.stringify that prints bigint as plain integers (lossless). */
export function stringifyJson(value: unknown, indent = 3): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), indent);
}
/** JSON.parse that keeps integers beyond 2^53 exact (as bigint). */
export function parseJsonLossless(text: string): unknown {
  return JSON.parse(text);
}
