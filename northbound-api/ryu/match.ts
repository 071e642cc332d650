// Ryu ofctl_v1_3 match conversions: REST match dict ⇄ codec OFPMatch.
// to_match: accepts OF1.3 names and the legacy OF1.0 names (dl_*, nw_*, tp_*), values as numbers or
// strings (any Python integer literal), "value/mask" for maskable fields, prefix or dotted netmasks,
// dl_vlan/vlan_vid with Ryu's OFPVID_PRESENT rule, nw_src/nw_dst → arp_spa/arp_tpa for ARP, and
// tp_src/tp_dst → tcp_* or udp_* by ip_proto. Masked values are normalised (value & mask) and fields
// are sorted by OXM field number, as Ryu's OFPMatch does.
// match_to_str: the reverse, with Ryu's legacy output names and formats.
import type { OFPMatch, OxmTlv, OxmValue } from '../../openflow/types.js';
import { andBytes, formatIpv4, formatIpv6, formatMac, parseIpv4, parseIpv6, parseMac, prefixMask } from './addr.js';
import { isObject, OFPVID_PRESENT, portFromUser, portToUser, RyuBadRequest, strToBig, strToUint, type Json } from './util.js';

type Kind = 'port' | 'int' | 'int64m' | 'intm' | 'mac' | 'ipv4' | 'ipv6' | 'vid';

/** OF1.3 OXM basic fields: [number, kind, byte width]. */
const FIELDS: Record<string, [number, Kind, number]> = {
  in_port: [0, 'port', 4],
  in_phy_port: [1, 'int', 4],
  metadata: [2, 'int64m', 8],
  eth_dst: [3, 'mac', 6],
  eth_src: [4, 'mac', 6],
  eth_type: [5, 'int', 2],
  vlan_vid: [6, 'vid', 2],
  vlan_pcp: [7, 'int', 1],
  ip_dscp: [8, 'int', 1],
  ip_ecn: [9, 'int', 1],
  ip_proto: [10, 'int', 1],
  ipv4_src: [11, 'ipv4', 4],
  ipv4_dst: [12, 'ipv4', 4],
  tcp_src: [13, 'int', 2],
  tcp_dst: [14, 'int', 2],
  udp_src: [15, 'int', 2],
  udp_dst: [16, 'int', 2],
  sctp_src: [17, 'int', 2],
  sctp_dst: [18, 'int', 2],
  icmpv4_type: [19, 'int', 1],
  icmpv4_code: [20, 'int', 1],
  arp_op: [21, 'int', 2],
  arp_spa: [22, 'ipv4', 4],
  arp_tpa: [23, 'ipv4', 4],
  arp_sha: [24, 'mac', 6],
  arp_tha: [25, 'mac', 6],
  ipv6_src: [26, 'ipv6', 16],
  ipv6_dst: [27, 'ipv6', 16],
  ipv6_flabel: [28, 'int', 4],
  icmpv6_type: [29, 'int', 1],
  icmpv6_code: [30, 'int', 1],
  ipv6_nd_target: [31, 'ipv6', 16],
  ipv6_nd_sll: [32, 'mac', 6],
  ipv6_nd_tll: [33, 'mac', 6],
  mpls_label: [34, 'int', 4],
  mpls_tc: [35, 'int', 1],
  mpls_bos: [36, 'int', 1],
  pbb_isid: [37, 'intm', 3],
  tunnel_id: [38, 'int64m', 8],
  ipv6_exthdr: [39, 'intm', 2],
};

export const MATCH_FIELDS = Object.keys(FIELDS);

/** Legacy (OF1.0) names accepted on input. */
const LEGACY_IN: Record<string, string> = {
  dl_dst: 'eth_dst',
  dl_src: 'eth_src',
  dl_type: 'eth_type',
  dl_vlan: 'vlan_vid',
  nw_src: 'ipv4_src',
  nw_dst: 'ipv4_dst',
  nw_proto: 'ip_proto',
};

/** Legacy names Ryu prints. */
const LEGACY_OUT: Record<string, string> = {
  eth_src: 'dl_src',
  eth_dst: 'dl_dst',
  eth_type: 'dl_type',
  vlan_vid: 'dl_vlan',
  ipv4_src: 'nw_src',
  ipv4_dst: 'nw_dst',
  ip_proto: 'nw_proto',
  tcp_src: 'tp_src',
  tcp_dst: 'tp_dst',
  udp_src: 'tp_src',
  udp_dst: 'tp_dst',
};

function splitMask(v: unknown): [unknown, unknown | undefined] {
  if (typeof v === 'string' && v.includes('/')) {
    const i = v.indexOf('/');
    return [v.slice(0, i), v.slice(i + 1)];
  }
  return [v, undefined];
}

function intField(v: unknown, bytes: number, what: string): number {
  return strToUint(v, bytes * 8, what);
}

function convertMac(v: unknown, what: string): Pick<OxmTlv, 'value' | 'mask'> {
  const [val, mask] = splitMask(v);
  const b = parseMac(val, what);
  if (mask === undefined) return { value: formatMac(b) };
  const m = parseMac(mask, `${what} mask`);
  return { value: formatMac(andBytes(b, m)), mask: formatMac(m) };
}

function convertIp(v: unknown, what: string, v6: boolean): Pick<OxmTlv, 'value' | 'mask'> {
  const parse = v6 ? parseIpv6 : parseIpv4;
  const format = v6 ? formatIpv6 : formatIpv4;
  const [val, mask] = splitMask(v);
  const b = parse(val, what);
  if (mask === undefined) return { value: format(b) };
  let m: Uint8Array;
  if (typeof mask === 'string' && /^\d+$/.test(mask)) {
    const bits = Number(mask);
    if (bits > b.length * 8) throw new RyuBadRequest(`${what}: prefix length /${mask} is too long`);
    m = prefixMask(bits, b.length);
  } else {
    m = parse(mask, `${what} mask`);
  }
  // Ryu keeps the address as given with a prefix length (netaddr's .ip) and lets OFPMatch mask it.
  return { value: format(andBytes(b, m)), mask: format(m) };
}

function convertMaskedInt(v: unknown, bytes: number, what: string, big: boolean): Pick<OxmTlv, 'value' | 'mask'> {
  const [val, mask] = splitMask(v);
  const bits = BigInt(bytes * 8);
  const check = (x: bigint, w: string): bigint => {
    if (x < 0n || x >= 1n << bits) throw new RyuBadRequest(`${w}: ${x} is out of range for a ${bytes * 8}-bit field`);
    return x;
  };
  const value = check(strToBig(val, what), what);
  const out = (x: bigint): OxmValue => (big ? x : Number(x));
  if (mask === undefined) return { value: out(value) };
  const m = check(strToBig(mask, `${what} mask`), `${what} mask`);
  return { value: out(value & m), mask: out(m) };
}

/** Ryu's to_match_vid. */
function convertVid(v: unknown, what: string): Pick<OxmTlv, 'value' | 'mask'> {
  const check = (n: bigint, w: string): number => {
    if (n < 0n || n > 0xffffn) throw new RyuBadRequest(`${w}: ${n} is out of range for vlan_vid`);
    return Number(n);
  };
  if (typeof v === 'number') {
    return { value: check(BigInt(strToBig(v, what)) | BigInt(OFPVID_PRESENT), what) };
  }
  if (typeof v === 'string') {
    if (v.includes('/')) {
      const [a, b] = splitMask(v);
      const value = check(strToBig(a, what), what);
      const mask = check(strToBig(b, `${what} mask`), `${what} mask`);
      return { value: value & mask, mask };
    }
    if (/^\d+$/.test(v)) return { value: check(BigInt(v) | BigInt(OFPVID_PRESENT), what) };
    return { value: check(strToBig(v, what), what) };
  }
  throw new RyuBadRequest(`${what}: ${JSON.stringify(v)} is not a VLAN id`);
}

function convert(field: string, v: unknown, what: string): Pick<OxmTlv, 'value' | 'mask'> {
  const [, kind, bytes] = FIELDS[field];
  switch (kind) {
    case 'port':
      return { value: portFromUser(v, what) };
    case 'int':
      return { value: intField(v, bytes, what) };
    case 'intm':
      return convertMaskedInt(v, bytes, what, false);
    case 'int64m':
      return convertMaskedInt(v, bytes, what, true);
    case 'mac':
      return convertMac(v, what);
    case 'ipv4':
      return convertIp(v, what, false);
    case 'ipv6':
      return convertIp(v, what, true);
    case 'vid':
      return convertVid(v, what);
  }
}

function asInt(v: unknown): number | undefined {
  try {
    return Number(strToBig(v));
  } catch {
    return undefined;
  }
}

/** Ryu's ofctl_v1_3.to_match. Unknown fields are rejected (Ryu logs and drops them). */
export function toMatch(attrsIn: unknown): OFPMatch {
  if (attrsIn === undefined || attrsIn === null) return { kind: 'OFPMatch', oxm_fields: [] };
  if (!isObject(attrsIn)) throw new RyuBadRequest(`match must be an object, got ${JSON.stringify(attrsIn)}`);
  const attrs: Record<string, Json> = { ...attrsIn };
  const ethType = asInt(attrs.dl_type ?? attrs.eth_type);
  if (ethType === 0x0806) {
    if ('nw_src' in attrs && !('arp_spa' in attrs)) {
      attrs.arp_spa = attrs.nw_src;
      delete attrs.nw_src;
    }
    if ('nw_dst' in attrs && !('arp_tpa' in attrs)) {
      attrs.arp_tpa = attrs.nw_dst;
      delete attrs.nw_dst;
    }
  }
  const fields = new Map<string, OxmTlv>();
  for (const [key0, raw] of Object.entries(attrs)) {
    let key = LEGACY_IN[key0] ?? key0;
    if (key === 'tp_src' || key === 'tp_dst') {
      const protoRaw = attrs.nw_proto ?? attrs.ip_proto ?? 0;
      const proto = asInt(protoRaw);
      if (proto === 6) key = key === 'tp_src' ? 'tcp_src' : 'tcp_dst';
      else if (proto === 17) key = key === 'tp_src' ? 'udp_src' : 'udp_dst';
      else {
        throw new RyuBadRequest(`match field ${key0} needs nw_proto/ip_proto 6 (TCP) or 17 (UDP), got ${JSON.stringify(protoRaw)}`);
      }
    }
    if (!(key in FIELDS)) {
      throw new RyuBadRequest(`unknown match field "${key0}" (known: ${[...MATCH_FIELDS, ...Object.keys(LEGACY_IN), 'tp_src', 'tp_dst'].join(', ')})`);
    }
    if (fields.has(key)) throw new RyuBadRequest(`match field ${key} given twice (${key0} and an alias)`);
    const tlv: OxmTlv = { field: key, ...convert(key, raw, `match ${key0}`) };
    if (tlv.mask === undefined) delete tlv.mask;
    fields.set(key, tlv);
  }
  const sorted = [...fields.values()].sort((a, b) => FIELDS[a.field][0] - FIELDS[b.field][0]);
  return { kind: 'OFPMatch', oxm_fields: sorted };
}

function valueToJson(v: OxmValue): Json {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return v;
}

function valueToStr(v: OxmValue): string {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return String(v);
}

function vidToStr(value: number, mask: OxmValue | null | undefined): string {
  const hex4 = (n: number): string => '0x' + n.toString(16).padStart(4, '0');
  if (mask !== undefined && mask !== null) return `${hex4(value)}/${hex4(Number(mask))}`;
  if (value & OFPVID_PRESENT) return String(value & ~OFPVID_PRESENT);
  return hex4(value);
}

/** Ryu's ofctl_v1_3.match_to_str. */
export function matchToStr(m: OFPMatch | undefined): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const f of m?.oxm_fields ?? []) {
    const key = LEGACY_OUT[f.field] ?? f.field;
    let value: Json;
    const masked = f.mask !== undefined && f.mask !== null;
    if (key === 'dl_vlan') value = vidToStr(Number(f.value), f.mask);
    else if (key === 'in_port') value = portToUser(Number(f.value));
    else if (masked) value = `${valueToStr(f.value)}/${valueToStr(f.mask as OxmValue)}`;
    else value = valueToJson(f.value);
    if (!(key in out)) out[key] = value;
  }
  return out;
}
