// Shared helpers of the Ryu ofctl_rest compatibility layer: Python-like integer parsing, the
// reserved-number names Ryu accepts and prints (OFPP_*, OFPG_*, OFPM_*, ...), and the error
// classes the routes map to Ryu's status codes.

/** A bad request body or parameter: Ryu answers 400 (its ValueError path). */
export class RyuBadRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RyuBadRequest';
  }
}

/** Something OpenFlow 1.3 (or Ryu's ofctl_v1_3) does not have: Ryu answers 501. */
export class RyuNotImplemented extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RyuNotImplemented';
  }
}

/** Unknown command / port: Ryu answers 404. */
export class RyuNotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RyuNotFound';
  }
}

export type Json = null | boolean | number | bigint | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

const INT_RE = /^[+-]?(0[xX](_?[0-9a-fA-F])+|0[oO](_?[0-7])+|0[bB](_?[01])+|0(_?0)*|[1-9](_?[0-9])*)$/;

/**
 * Python's int(str(v), 0): decimal, 0x/0o/0b prefixes, underscores between digits, surrounding
 * whitespace; booleans, floats, null and anything else are rejected (RyuBadRequest).
 */
export function strToBig(v: unknown, what = 'value'): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return BigInt(v);
    throw new RyuBadRequest(`${what}: ${describe(v)} is not an integer`);
  }
  if (typeof v === 'string') {
    const s = v.trim();
    if (INT_RE.test(s)) {
      const neg = s.startsWith('-');
      const body = s.replace(/^[+-]/, '').replace(/_/g, '');
      const n = /^0[oO]/.test(body) ? BigInt('0o' + body.slice(2)) : BigInt(body);
      return neg ? -n : n;
    }
  }
  throw new RyuBadRequest(`${what}: ${describe(v)} is not an integer`);
}

/** strToBig limited to an unsigned range of `bits` bits. */
export function strToUint(v: unknown, bits: number, what = 'value'): number {
  const n = strToBig(v, what);
  if (n < 0n || n >= 1n << BigInt(bits)) {
    throw new RyuBadRequest(`${what}: ${n} is out of range for an unsigned ${bits}-bit field`);
  }
  return Number(n);
}

export function strToUint64(v: unknown, what = 'value'): bigint {
  const n = strToBig(v, what);
  if (n < 0n || n >= 1n << 64n) throw new RyuBadRequest(`${what}: ${n} is out of range for an unsigned 64-bit field`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Reserved numbers, in ofproto_v1_3 definition order (to_user returns the first name that matches).

type Reserved = ReadonlyArray<readonly [string, number]>;

export const OFPP: Reserved = [
  ['MAX', 0xffffff00], ['IN_PORT', 0xfffffff8], ['TABLE', 0xfffffff9], ['NORMAL', 0xfffffffa],
  ['FLOOD', 0xfffffffb], ['ALL', 0xfffffffc], ['CONTROLLER', 0xfffffffd], ['LOCAL', 0xfffffffe], ['ANY', 0xffffffff],
];
export const OFPQ: Reserved = [['ALL', 0xffffffff]];
export const OFPCML: Reserved = [['MAX', 0xffe5], ['NO_BUFFER', 0xffff]];
export const OFPTT: Reserved = [['MAX', 0xfe], ['ALL', 0xff]];
export const OFPG: Reserved = [['MAX', 0xffffff00], ['ALL', 0xfffffffc], ['ANY', 0xffffffff]];
export const OFPM: Reserved = [['MAX', 0xffff0000], ['SLOWPATH', 0xfffffffd], ['CONTROLLER', 0xfffffffe], ['ALL', 0xffffffff]];
export const OFPCR_ROLE: Reserved = [['NOCHANGE', 0], ['EQUAL', 1], ['MASTER', 2], ['SLAVE', 3]];

export const OFP_NO_BUFFER = 0xffffffff;
export const OFPVID_PRESENT = 0x1000;

/**
 * Ryu's OFCtlUtil._reserved_num_from_user: an integer (any Python literal base), or a reserved
 * name with or without its prefix, any case ("LOCAL", "ofpp_local", "controller").
 */
export function reservedFromUser(v: unknown, table: Reserved, prefix: string, bits: number, what: string): number {
  if (typeof v === 'string') {
    let s = v.trim();
    let isInt = true;
    try {
      strToBig(s);
    } catch {
      isInt = false;
    }
    if (!isInt) {
      s = s.toUpperCase();
      if (s.startsWith(prefix)) s = s.slice(prefix.length);
      const hit = table.find(([name]) => name === s);
      if (hit) return hit[1];
      throw new RyuBadRequest(`${what}: ${describe(v)} is neither an integer nor one of ${table.map(([n]) => n).join(', ')}`);
    }
  }
  return strToUint(v, bits, what);
}

/** Ryu's _reserved_num_to_user: the reserved name for a number, else the number. */
export function reservedToUser(n: number, table: Reserved): number | string {
  const hit = table.find(([, value]) => value === n);
  return hit ? hit[0] : n;
}

export const portFromUser = (v: unknown, what = 'port'): number => reservedFromUser(v, OFPP, 'OFPP_', 32, what);
export const portToUser = (n: number): number | string => reservedToUser(n, OFPP);
export const tableFromUser = (v: unknown, what = 'table_id'): number => reservedFromUser(v, OFPTT, 'OFPTT_', 8, what);
export const tableToUser = (n: number): number | string => reservedToUser(n, OFPTT);
export const groupFromUser = (v: unknown, what = 'group_id'): number => reservedFromUser(v, OFPG, 'OFPG_', 32, what);
export const groupToUser = (n: number): number | string => reservedToUser(n, OFPG);
export const meterFromUser = (v: unknown, what = 'meter_id'): number => reservedFromUser(v, OFPM, 'OFPM_', 32, what);
export const meterToUser = (n: number): number | string => reservedToUser(n, OFPM);
export const queueFromUser = (v: unknown, what = 'queue_id'): number => reservedFromUser(v, OFPQ, 'OFPQ_', 32, what);
export const queueToUser = (n: number): number | string => reservedToUser(n, OFPQ);
export const cmlFromUser = (v: unknown, what = 'max_len'): number => reservedFromUser(v, OFPCML, 'OFPCML_', 16, what);
export const roleFromUser = (v: unknown, what = 'role'): number => reservedFromUser(v, OFPCR_ROLE, 'OFPCR_ROLE_', 32, what);
export const roleToUser = (n: number): number | string => reservedToUser(n, OFPCR_ROLE);

/** Ryu's ofp_buffer_from_user: 'OFP_NO_BUFFER' / 'NO_BUFFER' or an integer. */
export function bufferFromUser(v: unknown): number {
  if (v === 'OFP_NO_BUFFER' || v === 'NO_BUFFER') return OFP_NO_BUFFER;
  return strToUint(v, 32, 'buffer_id');
}

/** Ryu's dpid parsing: int(str(dpid), 0), a 64-bit unsigned datapath id. */
export function parseDpid(v: unknown): bigint {
  try {
    return strToUint64(v, 'dpid');
  } catch {
    throw new RyuBadRequest(`dpid ${describe(v)} is not a datapath id (decimal, or 0x-prefixed hex, < 2^64)`);
  }
}

export function base64Decode(s: unknown, what: string): Uint8Array {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s.replace(/\s/g, '')) || s.replace(/\s/g, '').length % 4 !== 0) {
    throw new RyuBadRequest(`${what}: ${describe(s)} is not base64`);
  }
  return new Uint8Array(Buffer.from(s, 'base64'));
}

export function base64Encode(b: Uint8Array | undefined): string {
  return Buffer.from(b ?? new Uint8Array(0)).toString('base64');
}
