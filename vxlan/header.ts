// RFC 7348 VXLAN header codec and full-frame encapsulation/decapsulation (outer Ethernet/IPv4/UDP).
// Pure: no I/O. One DataView per frame; no BigInt.
//
//  VXLAN header (8 bytes):  |R|R|R|R|I|R|R|R|  reserved (24)  |  VNI (24)  | reserved (8) |
//
// The verdict names of decapsulate() errors are the same as the native fast path's
// (native/src/vxlan.h rv_vxlan_verdict_name), so a test can compare both.

import { formatMac, parseIpv4, parseMac, formatIpv4 } from './addr.js';

export const VXLAN_UDP_PORT = 4789;
export const VXLAN_HEADER_LEN = 8;
export const VXLAN_FLAG_I = 0x08;
/** Bytes encapsulation adds: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8. */
export const VXLAN_OVERHEAD = 50;
export const VNI_MAX = 0xffffff;
export const VXLAN_SPORT_MIN = 49152;
export const VXLAN_TTL = 64;
const ETH_LEN = 14;
const IP_LEN = 20;
const UDP_LEN = 8;
const ETHERTYPE_IPV4 = 0x0800;
const IPPROTO_UDP = 17;

/** Reasons a frame is not decapsulated; same names as the native verdicts. */
export type VxlanDropReason =
  | 'truncated' | 'dst_mac' | 'ip_header' | 'ip_checksum' | 'ip_length' | 'fragment'
  | 'udp_length' | 'udp_checksum' | 'flags' | 'reserved' | 'unknown_source' | 'unknown_vni'
  | 'inner_short';

export class VxlanError extends Error {
  constructor(readonly reason: VxlanDropReason | 'not_vxlan' | 'invalid_argument', message: string) {
    super(message);
    this.name = 'VxlanError';
  }
}

export interface VxlanHeader {
  /** The whole flags byte (0x08 in a valid header). */
  flags: number;
  vni: number;
}

function checkVni(vni: number): void {
  if (!Number.isInteger(vni) || vni < 0 || vni > VNI_MAX) {
    throw new VxlanError('invalid_argument', `VNI ${vni} out of range 0..${VNI_MAX}`);
  }
}

/** Writes the 8-byte VXLAN header (flags 0x08, reserved 0) at `offset` of `out` (or a new array). */
export function encodeVxlanHeader(vni: number, out?: Uint8Array, offset = 0): Uint8Array {
  checkVni(vni);
  const buf = out ?? new Uint8Array(VXLAN_HEADER_LEN);
  if (offset < 0 || offset + VXLAN_HEADER_LEN > buf.length) {
    throw new VxlanError('invalid_argument', 'buffer too small for a VXLAN header');
  }
  buf[offset] = VXLAN_FLAG_I;
  buf[offset + 1] = 0;
  buf[offset + 2] = 0;
  buf[offset + 3] = 0;
  buf[offset + 4] = (vni >>> 16) & 0xff;
  buf[offset + 5] = (vni >>> 8) & 0xff;
  buf[offset + 6] = vni & 0xff;
  buf[offset + 7] = 0;
  return buf;
}

/**
 * Decodes and validates an 8-byte VXLAN header. Strict like Linux: the I flag must be set, every
 * other flag bit and every reserved bit must be zero (RFC 7348 says "ignore" reserved bits on
 * receipt; Linux and we drop them, which keeps room for extensions such as GBP/GPE safe).
 */
export function decodeVxlanHeader(buf: Uint8Array, offset = 0): VxlanHeader {
  if (offset < 0 || buf.length - offset < VXLAN_HEADER_LEN) {
    throw new VxlanError('truncated', `VXLAN header needs 8 bytes, have ${Math.max(0, buf.length - offset)}`);
  }
  const flags = buf[offset];
  if (flags !== VXLAN_FLAG_I) {
    throw new VxlanError('flags', `VXLAN flags 0x${flags.toString(16).padStart(2, '0')}, expected 0x08`);
  }
  if ((buf[offset + 1] | buf[offset + 2] | buf[offset + 3] | buf[offset + 7]) !== 0) {
    throw new VxlanError('reserved', 'VXLAN reserved bits set');
  }
  const vni = (buf[offset + 4] << 16) | (buf[offset + 5] << 8) | buf[offset + 6];
  return { flags, vni };
}

/** UDP source port for an inner flow hash: 49152 + 14 bits of the hash (same as the native path). */
export function sourcePortForHash(flowHash: number): number {
  const h = (flowHash ^ (flowHash >>> 16)) >>> 0;
  return VXLAN_SPORT_MIN + (h & 0x3fff);
}

/** RFC 1071 one's-complement checksum of buf[start, start+len). */
export function internetChecksum(buf: Uint8Array, start: number, len: number): number {
  let sum = 0;
  const end = start + len;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface EncapParams {
  /** This host: outer source. MAC as "aa:bb:.." or 6 bytes; IPv4 dotted quad. */
  srcMac: string | Uint8Array;
  srcIp: string;
  /** Next host: outer destination. */
  dstMac: string | Uint8Array;
  dstIp: string;
  vni: number;
  /** Inner flow hash → UDP source port; or give srcPort directly. Default: hash 0. */
  flowHash?: number;
  srcPort?: number;
  dstPort?: number;
  ttl?: number;
}

function macBytes(m: string | Uint8Array): Uint8Array {
  if (typeof m === 'string') return parseMac(m);
  if (m.length !== 6) throw new VxlanError('invalid_argument', 'MAC must be 6 bytes');
  return m;
}

/** Encapsulates an inner Ethernet frame (not modified) into a new VXLAN frame. */
export function encapsulate(inner: Uint8Array, p: EncapParams): Uint8Array {
  checkVni(p.vni);
  if (inner.length < ETH_LEN) throw new VxlanError('invalid_argument', 'inner frame shorter than 14 bytes');
  const total = inner.length + VXLAN_OVERHEAD;
  if (total - ETH_LEN > 0xffff) throw new VxlanError('invalid_argument', 'inner frame too large');
  const srcPort = p.srcPort ?? sourcePortForHash(p.flowHash ?? 0);
  const dstPort = p.dstPort ?? VXLAN_UDP_PORT;
  for (const port of [srcPort, dstPort]) {
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new VxlanError('invalid_argument', `bad UDP port ${port}`);
    }
  }
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out.set(macBytes(p.dstMac), 0);
  out.set(macBytes(p.srcMac), 6);
  dv.setUint16(12, ETHERTYPE_IPV4);
  const ip = ETH_LEN;
  dv.setUint8(ip, 0x45);
  dv.setUint8(ip + 1, 0);
  dv.setUint16(ip + 2, total - ETH_LEN);
  dv.setUint16(ip + 4, 0);
  dv.setUint16(ip + 6, 0x4000); // DF
  dv.setUint8(ip + 8, p.ttl ?? VXLAN_TTL);
  dv.setUint8(ip + 9, IPPROTO_UDP);
  dv.setUint32(ip + 12, parseIpv4(p.srcIp));
  dv.setUint32(ip + 16, parseIpv4(p.dstIp));
  dv.setUint16(ip + 10, internetChecksum(out, ip, IP_LEN));
  const udp = ip + IP_LEN;
  dv.setUint16(udp, srcPort);
  dv.setUint16(udp + 2, dstPort);
  dv.setUint16(udp + 4, total - ETH_LEN - IP_LEN);
  dv.setUint16(udp + 6, 0);
  encodeVxlanHeader(p.vni, out, udp + UDP_LEN);
  out.set(inner, VXLAN_OVERHEAD);
  return out;
}

export interface Decapsulated {
  vni: number;
  /** View of the inner frame inside the input (no copy). */
  inner: Uint8Array;
  outer: {
    srcMac: string; dstMac: string; srcIp: string; dstIp: string;
    srcPort: number; dstPort: number; ttl: number; df: boolean; udpChecksum: number;
  };
}

export interface DecapOptions {
  /** When given, the outer destination must be this host. */
  localMac?: string;
  localIp?: string;
  /** When given, the outer source IP must be one of these (registered hosts). */
  isRegisteredSource?: (ip: string) => boolean;
  /** When given, the VNI must be accepted. */
  acceptsVni?: (vni: number) => boolean;
  udpPort?: number;
}

/**
 * Validates and decapsulates a VXLAN frame with the same rules and order as the native fast path.
 * Throws VxlanError('not_vxlan') for frames that are not Ethernet/IPv4/UDP to the VXLAN port
 * (and to localIp, when given), VxlanError(<drop reason>) for bad ones.
 */
export function decapsulate(frame: Uint8Array, opts: DecapOptions = {}): Decapsulated {
  const port = opts.udpPort ?? VXLAN_UDP_PORT;
  if (frame.length < ETH_LEN + IP_LEN) throw new VxlanError('not_vxlan', 'too short for Ethernet/IPv4');
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (dv.getUint16(12) !== ETHERTYPE_IPV4) throw new VxlanError('not_vxlan', 'not IPv4');
  const ip = ETH_LEN;
  const dstIp = formatIpv4(dv.getUint32(ip + 16));
  if (opts.localIp !== undefined && dstIp !== opts.localIp) throw new VxlanError('not_vxlan', 'not to this host');
  if (dv.getUint8(ip + 9) !== IPPROTO_UDP) throw new VxlanError('not_vxlan', 'not UDP');
  const vihl = dv.getUint8(ip);
  const ihl = (vihl & 0x0f) * 4;
  if (vihl >> 4 !== 4 || ihl < IP_LEN) throw new VxlanError('ip_header', `bad version/IHL 0x${vihl.toString(16)}`);
  const frag = dv.getUint16(ip + 6);
  if ((frag & 0x1fff) !== 0) throw new VxlanError('fragment', 'non-first fragment');
  if (frame.length < ETH_LEN + ihl + 4) throw new VxlanError('truncated', 'no UDP ports');
  const udp = ip + ihl;
  if (dv.getUint16(udp + 2) !== port) throw new VxlanError('not_vxlan', 'not the VXLAN port');
  const dstMac = formatMac(frame.subarray(0, 6));
  if (opts.localMac !== undefined && dstMac !== formatMac(parseMac(opts.localMac))) {
    throw new VxlanError('dst_mac', `outer destination MAC ${dstMac} is not this host's`);
  }
  if (frame.length < udp + UDP_LEN + VXLAN_HEADER_LEN) throw new VxlanError('truncated', 'headers truncated');
  if (internetChecksum(frame, ip, ihl) !== 0) throw new VxlanError('ip_checksum', 'bad IPv4 header checksum');
  const tot = dv.getUint16(ip + 2);
  if (tot < ihl + UDP_LEN + VXLAN_HEADER_LEN) throw new VxlanError('ip_length', `IPv4 total length ${tot} too small`);
  if (ETH_LEN + tot > frame.length) throw new VxlanError('truncated', 'IPv4 total length beyond the frame');
  if (frag & 0x2000) throw new VxlanError('fragment', 'first fragment (MF)');
  const ulen = dv.getUint16(udp + 4);
  if (ulen !== tot - ihl) throw new VxlanError('udp_length', `UDP length ${ulen} != ${tot - ihl}`);
  const { vni } = decodeVxlanHeader(frame, udp + UDP_LEN);
  if (ulen - UDP_LEN - VXLAN_HEADER_LEN < ETH_LEN) throw new VxlanError('inner_short', 'inner frame < 14 bytes');
  const udpChecksum = dv.getUint16(udp + 6);
  if (udpChecksum !== 0) {
    // pseudo-header + UDP datagram
    const pseudo = new Uint8Array(12 + ulen);
    pseudo.set(frame.subarray(ip + 12, ip + 20), 0);
    pseudo[9] = IPPROTO_UDP;
    pseudo[10] = ulen >> 8;
    pseudo[11] = ulen & 0xff;
    pseudo.set(frame.subarray(udp, udp + ulen), 12);
    if (internetChecksum(pseudo, 0, pseudo.length) !== 0) throw new VxlanError('udp_checksum', 'bad UDP checksum');
  }
  const srcIp = formatIpv4(dv.getUint32(ip + 12));
  if (opts.isRegisteredSource && !opts.isRegisteredSource(srcIp)) {
    throw new VxlanError('unknown_source', `outer source ${srcIp} is not a registered host`);
  }
  if (opts.acceptsVni && !opts.acceptsVni(vni)) throw new VxlanError('unknown_vni', `VNI ${vni} not accepted`);
  return {
    vni,
    inner: frame.subarray(udp + UDP_LEN + VXLAN_HEADER_LEN, ETH_LEN + tot),
    outer: {
      srcMac: formatMac(frame.subarray(6, 12)), dstMac, srcIp, dstIp,
      srcPort: dv.getUint16(udp), dstPort: dv.getUint16(udp + 2), ttl: dv.getUint8(ip + 8),
      df: (frag & 0x4000) !== 0, udpChecksum,
    },
  };
}
