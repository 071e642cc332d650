// OXM TLVs (OpenFlow 1.3 §7.2.3): the field table (declarative: name, class, number, value type) and the
// codec of one TLV and of a TLV list. Covers every OpenFlow-basic field, the ONF/Nicira extension fields Ryu
// names (pbb_uca, tun_ipv4_*, conj_id, reg0-15, pkt_mark, ct_*, xreg*…) and `field_<n>` for unknown headers.
import type { OxmTlv, OxmValue } from './types.js';
import { OfEncodeError } from './errors.js';
import { fail, st } from './runtime.js';
import { ipv4ToString, ipv6ToString, macToString, writeIpv4, writeIpv6, writeMac } from './addr.js';
import { NX_EXPERIMENTER_ID, ONF_EXPERIMENTER_ID, OFPXMC } from './constants.js';

// Hot-path aliases: local bindings (no live-binding indirection when run through a transpiling loader).
const ST = st;
const macStr = macToString, ip4Str = ipv4ToString, ip6Str = ipv6ToString;
const wMac = writeMac, wIp4 = writeIpv4, wIp6 = writeIpv6;
const CLS_OFB = 0x8000, CLS_EXP = 0xffff, ONF_ID = 0x4f4e4600;

export type OxmType = 'u8' | 'u16' | 'u24' | 'u32' | 'u64' | 'u128' | 'mac' | 'ipv4' | 'ipv6';
const SIZE: Record<OxmType, number> = { u8: 1, u16: 2, u24: 3, u32: 4, u64: 8, u128: 16, mac: 6, ipv4: 4, ipv6: 16 };
const T_CODE: Record<OxmType, number> = { u8: 0, u16: 1, u24: 2, u32: 3, u64: 4, u128: 5, mac: 6, ipv4: 7, ipv6: 8 };

export interface OxmDesc {
  name: string; cls: number; field: number; type: OxmType; size: number; tc: number;
  /** experimenter id for class 0xffff fields */ exp?: number;
  /** old ONF EXT-256 style exp_type (pbb_uca = 2560) */ expType?: number;
  /** class<<16 | field<<9 (as int32; OR the mask bit and length in) */ hdr: number;
}

// [name, number, type] per class
const OFB: Array<[string, OxmType]> = [
  ['in_port', 'u32'], ['in_phy_port', 'u32'], ['metadata', 'u64'], ['eth_dst', 'mac'], ['eth_src', 'mac'],
  ['eth_type', 'u16'], ['vlan_vid', 'u16'], ['vlan_pcp', 'u8'], ['ip_dscp', 'u8'], ['ip_ecn', 'u8'],
  ['ip_proto', 'u8'], ['ipv4_src', 'ipv4'], ['ipv4_dst', 'ipv4'], ['tcp_src', 'u16'], ['tcp_dst', 'u16'],
  ['udp_src', 'u16'], ['udp_dst', 'u16'], ['sctp_src', 'u16'], ['sctp_dst', 'u16'], ['icmpv4_type', 'u8'],
  ['icmpv4_code', 'u8'], ['arp_op', 'u16'], ['arp_spa', 'ipv4'], ['arp_tpa', 'ipv4'], ['arp_sha', 'mac'],
  ['arp_tha', 'mac'], ['ipv6_src', 'ipv6'], ['ipv6_dst', 'ipv6'], ['ipv6_flabel', 'u32'], ['icmpv6_type', 'u8'],
  ['icmpv6_code', 'u8'], ['ipv6_nd_target', 'ipv6'], ['ipv6_nd_sll', 'mac'], ['ipv6_nd_tll', 'mac'],
  ['mpls_label', 'u32'], ['mpls_tc', 'u8'], ['mpls_bos', 'u8'], ['pbb_isid', 'u24'], ['tunnel_id', 'u64'],
  ['ipv6_exthdr', 'u16'],
];
const NXM0: Array<[string, number, OxmType]> = [
  ['in_port_nxm', 0, 'u16'], ['eth_dst_nxm', 1, 'mac'], ['eth_src_nxm', 2, 'mac'], ['eth_type_nxm', 3, 'u16'],
  ['vlan_tci', 4, 'u16'], ['nw_tos', 5, 'u8'], ['ip_proto_nxm', 6, 'u8'], ['ipv4_src_nxm', 7, 'ipv4'],
  ['ipv4_dst_nxm', 8, 'ipv4'], ['tcp_src_nxm', 9, 'u16'], ['tcp_dst_nxm', 10, 'u16'], ['udp_src_nxm', 11, 'u16'],
  ['udp_dst_nxm', 12, 'u16'], ['icmpv4_type_nxm', 13, 'u8'], ['icmpv4_code_nxm', 14, 'u8'], ['arp_op_nxm', 15, 'u16'],
  ['arp_spa_nxm', 16, 'ipv4'], ['arp_tpa_nxm', 17, 'ipv4'],
];
const NXM1: Array<[string, number, OxmType]> = [
  ['tunnel_id_nxm', 16, 'u64'], ['arp_sha_nxm', 17, 'mac'], ['arp_tha_nxm', 18, 'mac'], ['ipv6_src_nxm', 19, 'ipv6'],
  ['ipv6_dst_nxm', 20, 'ipv6'], ['icmpv6_type_nxm', 21, 'u8'], ['icmpv6_code_nxm', 22, 'u8'], ['nd_target', 23, 'ipv6'],
  ['nd_sll', 24, 'mac'], ['nd_tll', 25, 'mac'], ['ip_frag', 26, 'u8'], ['ipv6_label', 27, 'u32'],
  ['ip_ecn_nxm', 28, 'u8'], ['nw_ttl', 29, 'u8'], ['mpls_ttl', 30, 'u8'], ['tun_ipv4_src', 31, 'ipv4'],
  ['tun_ipv4_dst', 32, 'ipv4'], ['pkt_mark', 33, 'u32'], ['tcp_flags_nxm', 34, 'u16'], ['_recirc_id', 36, 'u32'],
  ['conj_id', 37, 'u32'], ['tun_gbp_id', 38, 'u16'], ['tun_gbp_flags', 39, 'u8'], ['tun_flags', 104, 'u16'],
  ['ct_state', 105, 'u32'], ['ct_zone', 106, 'u16'], ['ct_mark', 107, 'u32'], ['ct_label', 108, 'u128'],
  ['tun_ipv6_src', 109, 'ipv6'], ['tun_ipv6_dst', 110, 'ipv6'],
  ...Array.from({ length: 16 }, (_, i) => [`reg${i}`, i, 'u32'] as [string, number, OxmType]),
];

function desc(name: string, cls: number, field: number, type: OxmType, exp?: number, expType?: number): OxmDesc {
  return { name, cls, field, type, size: SIZE[type], tc: T_CODE[type], exp, expType, hdr: (cls << 16) | (field << 9) };
}
export const OXM_FIELDS: OxmDesc[] = [
  ...OFB.map(([n, t], i) => desc(n, OFPXMC.OPENFLOW_BASIC, i, t)),
  ...NXM0.map(([n, f, t]) => desc(n, OFPXMC.NXM_0, f, t)),
  ...NXM1.map(([n, f, t]) => desc(n, OFPXMC.NXM_1, f, t)),
  ...Array.from({ length: 8 }, (_, i) => desc(`xreg${i}`, OFPXMC.PACKET_REGS, i, 'u64')),
  desc('pbb_uca', OFPXMC.EXPERIMENTER, 0, 'u8', ONF_EXPERIMENTER_ID, 2560),
  desc('tcp_flags', OFPXMC.EXPERIMENTER, 42, 'u16', ONF_EXPERIMENTER_ID),
  desc('actset_output', OFPXMC.EXPERIMENTER, 43, 'u32', ONF_EXPERIMENTER_ID),
  desc('_dp_hash', OFPXMC.EXPERIMENTER, 0, 'u32', NX_EXPERIMENTER_ID),
];
const OFB_BY_FIELD: OxmDesc[] = OXM_FIELDS.filter((d) => d.cls === OFPXMC.OPENFLOW_BASIC);
const BY_NUM = new Map<number, OxmDesc>();
const BY_EXP = new Map<string, OxmDesc>();
const BY_NAME = new Map<string, OxmDesc>();
for (const d of OXM_FIELDS) {
  BY_NAME.set(d.name, d);
  if (d.cls === OFPXMC.EXPERIMENTER) BY_EXP.set(`${d.exp}:${d.expType ?? d.field}`, d);
  else BY_NUM.set((d.cls << 7) | d.field, d);
}
export function oxmDescByName(name: string): OxmDesc | undefined { return BY_NAME.get(name); }
/** Field name for a 32-bit OXM header (class|field), Ryu's spelling; `field_<n>` when unknown. */
export function oxmNameOf(cls: number, field: number): string {
  const d = cls === OFPXMC.OPENFLOW_BASIC ? OFB_BY_FIELD[field] : BY_NUM.get((cls << 7) | field);
  return d ? d.name : `field_${(cls << 7) | field}`;
}

function readValue(dv: DataView, u8: Uint8Array, p: number, tc: number): OxmValue {
  switch (tc) {
    case 0: return u8[p]!;
    case 1: return (u8[p]! << 8) | u8[p + 1]!;
    case 2: return (u8[p]! << 16) | (u8[p + 1]! << 8) | u8[p + 2]!;
    case 3: return ((u8[p]! << 24) | (u8[p + 1]! << 16) | (u8[p + 2]! << 8) | u8[p + 3]!) >>> 0;
    case 4: return dv.getBigUint64(p);
    case 5: return (dv.getBigUint64(p) << 64n) | dv.getBigUint64(p + 8);
    case 6: return macStr(u8, p);
    case 7: return ip4Str(u8, p);
    default: return ip6Str(dv, p);
  }
}

function dOxmSlow(dv: DataView, u8: Uint8Array, p: number, hdr: number, e: number): OxmTlv {
  const cls = hdr >>> 16, fld = (hdr >>> 9) & 0x7f, hasmask = (hdr >>> 8) & 1, len = hdr & 0xff;
  let d: OxmDesc | undefined;
  let vo = p + 4;
  if (cls === CLS_EXP) {
    if (len >= 4) {
      const exp = dv.getUint32(p + 4);
      if (exp === ONF_ID && fld === 0 && len >= 6) {
        d = BY_EXP.get(`${exp}:${dv.getUint16(p + 8)}`);
        if (d) vo = p + 10;
      } else {
        d = BY_EXP.get(`${exp}:${fld}`);
        if (d) vo = p + 8;
      }
    }
  } else d = BY_NUM.get((cls << 7) | fld);
  if (d === undefined) {
    const name = `field_${(cls << 7) | fld}`;
    if (hasmask) {
      if (len & 1) throw fail('bad_oxm', `masked OXM ${name} has odd length ${len}`, p);
      return { field: name, value: Buffer.from(u8.subarray(p + 4, p + 4 + len / 2)), mask: Buffer.from(u8.subarray(p + 4 + len / 2, e)) };
    }
    return { field: name, value: Buffer.from(u8.subarray(p + 4, e)), mask: null };
  }
  return dOxmValue(dv, u8, p, d, vo, e, hasmask);
}

function dOxmValue(dv: DataView, u8: Uint8Array, p: number, d: OxmDesc, vo: number, e: number, hasmask: number): OxmTlv {
  const sz = d.size;
  if (e - vo !== (hasmask ? 2 * sz : sz)) {
    throw fail('bad_oxm', `OXM ${d.name}${hasmask ? ' (masked)' : ''} has payload length ${e - vo}, expected ${hasmask ? 2 * sz : sz}`, p);
  }
  return { field: d.name, value: readValue(dv, u8, vo, d.tc), mask: hasmask ? readValue(dv, u8, vo + sz, d.tc) : null };
}

/** Decodes one OXM TLV at p (bounded by le); st.nx = offset after it. Generic path (oxm-fast.ts is the hot one). */
export function dOxmGeneric(dv: DataView, u8: Uint8Array, p: number, le: number): OxmTlv {
  if (p + 4 > le) throw fail('bad_length', `OXM header needs 4 bytes, ${le - p} left`, p);
  const hdr = dv.getUint32(p);
  const e = p + 4 + (hdr & 0xff);
  if (e > le) throw fail('bad_length', `OXM length ${hdr & 0xff} runs past its container`, p);
  ST.nx = e;
  if (hdr >>> 16 === CLS_OFB) {
    const d = OFB_BY_FIELD[(hdr >>> 9) & 0x7f];
    if (d !== undefined) {
      const hasmask = hdr & 0x100;
      if (hasmask === 0) {
        if (e - p - 4 !== d.size) return dOxmValue(dv, u8, p, d, p + 4, e, 0); // reports the length error
        return { field: d.name, value: readValue(dv, u8, p + 4, d.tc), mask: null };
      }
      return dOxmValue(dv, u8, p, d, p + 4, e, 1);
    }
  }
  return dOxmSlow(dv, u8, p, hdr, e);
}

const MAX: Record<number, number> = { 0: 0xff, 1: 0xffff, 2: 0xffffff, 3: 0xffffffff };
function badValue(d: OxmDesc, v: unknown, path: string, isMask: boolean): never {
  throw new OfEncodeError(`expected an integer 0..${MAX[d.tc]}, got ${typeof v === 'bigint' ? `${v}n` : String(v)}`,
    `${path}.${d.name}${isMask ? '.mask' : ''}`);
}
function writeValue(dv: DataView, u8: Uint8Array, p: number, d: OxmDesc, v: unknown, path: string, isMask: boolean): void {
  switch (d.tc) {
    case 0: if (typeof v !== 'number' || (v & 0xff) !== v) badValue(d, v, path, isMask); dv.setUint8(p, v); return;
    case 1: if (typeof v !== 'number' || (v & 0xffff) !== v) badValue(d, v, path, isMask); dv.setUint16(p, v); return;
    case 2: if (typeof v !== 'number' || (v & 0xffffff) !== v) badValue(d, v, path, isMask);
      dv.setUint16(p, v >>> 8); dv.setUint8(p + 2, v & 0xff); return;
    case 3: if (typeof v !== 'number' || (v >>> 0) !== v) badValue(d, v, path, isMask); dv.setUint32(p, v); return;
    case 4: dv.setBigUint64(p, toBig(v, 64, `${path}.${d.name}`)); return;
    case 5: {
      const big = toBig(v, 128, `${path}.${d.name}`);
      dv.setBigUint64(p, big >> 64n); dv.setBigUint64(p + 8, big & 0xffffffffffffffffn);
      return;
    }
    case 6: wMac(u8, p, v, path); return;
    case 7: wIp4(dv, p, v, path); return;
    default: wIp6(dv, p, v, path);
  }
}

export function toBig(v: unknown, bits: number, path: string): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) b = BigInt(v);
  else if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) b = BigInt(v);
  else throw new OfEncodeError(`expected a ${bits}-bit integer (bigint), got ${String(v)}`, path);
  if (b < 0n || b >> BigInt(bits) !== 0n) throw new OfEncodeError(`${b} out of range for ${bits} bits`, path);
  return b;
}

function eOxmUnknown(dv: DataView, u8: Uint8Array, p: number, t: OxmTlv, path: string): number {
  const name = t.field;
  const hasMask = t.mask !== undefined && t.mask !== null;
  const m = typeof name === 'string' ? /^field_(\d+)$/.exec(name) : null;
  if (!m) throw new OfEncodeError(`unknown OXM field ${String(name)}`, path);
  const n = Number(m[1]);
  const val = t.value, mask = t.mask;
  if (!(val instanceof Uint8Array) || (hasMask && !(mask instanceof Uint8Array))) {
    throw new OfEncodeError(`value of unknown field ${name} must be bytes`, path);
  }
  const len = val.length + (hasMask ? (mask as Uint8Array).length : 0);
  if (len > 255 || n > 0x7fffff) throw new OfEncodeError(`OXM ${name} too long`, path);
  dv.setUint32(p, ((n << 9) | (hasMask ? 0x100 : 0) | len) >>> 0);
  u8.set(val, p + 4);
  if (hasMask) u8.set(mask as Uint8Array, p + 4 + val.length);
  return p + 4 + len;
}

/** Encodes one OXM TLV at p; returns the offset after it. Generic path (oxm-fast.ts is the hot one). */
export function eOxmGeneric(dv: DataView, u8: Uint8Array, p: number, t: OxmTlv, path: string): number {
  if (t === null || typeof t !== 'object') throw new OfEncodeError('expected an OXM {field, value, mask?}', path);
  const d = BY_NAME.get(t.field);
  if (d === undefined) return eOxmUnknown(dv, u8, p, t, path);
  const m = t.mask;
  const hasMask = m !== undefined && m !== null;
  const sz = d.size;
  if (d.exp === undefined) {
    const len = hasMask ? 2 * sz : sz;
    dv.setUint32(p, d.hdr | (hasMask ? 0x100 : 0) | len);
    writeValue(dv, u8, p + 4, d, t.value, path, false);
    if (hasMask) writeValue(dv, u8, p + 4 + sz, d, m, path, true);
    return p + 4 + len;
  }
  const extra = d.expType !== undefined ? 6 : 4;
  const len = extra + (hasMask ? 2 * sz : sz);
  dv.setUint32(p, d.hdr | (hasMask ? 0x100 : 0) | len);
  dv.setUint32(p + 4, d.exp);
  if (d.expType !== undefined) dv.setUint16(p + 8, d.expType);
  const vo = p + 4 + extra;
  writeValue(dv, u8, vo, d, t.value, path, false);
  if (hasMask) writeValue(dv, u8, vo + sz, d, m, path, true);
  return p + 4 + len;
}

/** 32-bit OXM header of a field name (for table-features OXM ids and NX field references). */
export function oxmHeaderOf(name: string, hasmask: number, length: number, path: string): { hdr: number; exp?: number } {
  const d = BY_NAME.get(name);
  if (d) return { hdr: ((d.cls << 16) | (d.field << 9) | (hasmask ? 0x100 : 0) | length) >>> 0, exp: d.exp };
  const m = /^field_(\d+)$/.exec(name);
  if (!m) throw new OfEncodeError(`unknown OXM field ${name}`, path);
  return { hdr: ((Number(m[1]) << 9) | (hasmask ? 0x100 : 0) | length) >>> 0 };
}
