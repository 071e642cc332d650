// Shared runtime of the compiled codecs: the decode-failure signal and the "next offset" register.
import type { OfDecodeErrorCode } from './types.js';

/** Internal: thrown inside decoders, caught by decodeMessage and turned into a DecodeResult. */
export class DecodeFail {
  constructor(readonly code: OfDecodeErrorCode, readonly message: string, readonly offset: number) {}
}
export function fail(code: OfDecodeErrorCode, message: string, offset: number): DecodeFail {
  return new DecodeFail(code, message, offset);
}
/** Every decoder leaves the offset just past what it consumed in `st.nx` (one shared, monomorphic register). */
export const st = { nx: 0 };
