// Public API of the OpenFlow 1.3 codec. Pure: no I/O. See README.md.
export type * from './types.js';
export * from './constants.js';
export { OFPET, OFP_ERROR_CODES, errorName, errorTypeName, ofErrorFor, OfEncodeError } from './errors.js';
export { readHeader, frameLength } from './header.js';
export { encodeMessage, decodeMessage, decodeAll } from './codec.js';
export { toRyuJson, fromRyuJson, canonicalize, stringifyJson, parseJsonLossless } from './ryu-json.js';
export { packetFromRyuJson } from './packet-lib.js';
