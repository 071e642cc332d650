// Hand-written byte-level builders and parsers for the handful of messages on the channel's hot path
// (hello, echo, error, barrier, packet_in parse, the L2 app's flow_mod and packet_out). Everything else goes
// through the codec (openflow/). test/controller/wire.test.ts checks every builder against the codec's encoder
// byte for byte, so the two cannot drift apart.

import { OFP_NO_BUFFER, OFP_VERSION, OFPCML_NO_BUFFER, OFPG, OFPMP, OFPMPF, OFPP, OFPT } from '../openflow/constants.js';

// The protocol numbers are the codec's (openflow/constants.ts); short local names for the hot path.
export { OFP_NO_BUFFER, OFP_VERSION, OFPCML_NO_BUFFER };
export const T = OFPT;

/** message types a switch may send to a controller */
export const SWITCH_TO_CONTROLLER = new Set<number>([
  T.HELLO, T.ERROR, T.ECHO_REQUEST, T.ECHO_REPLY, T.EXPERIMENTER, T.FEATURES_REPLY, T.GET_CONFIG_REPLY,
  T.PACKET_IN, T.FLOW_REMOVED, T.PORT_STATUS, T.MULTIPART_REPLY, T.BARRIER_REPLY, T.QUEUE_GET_CONFIG_REPLY,
  T.ROLE_REPLY, T.GET_ASYNC_REPLY,
]);

export const ET = { HELLO_FAILED: 0, BAD_REQUEST: 1 } as const;
export const HFC_INCOMPATIBLE = 0;
export const BRC = { BAD_VERSION: 0, BAD_TYPE: 1, BAD_MULTIPART: 2, BAD_LEN: 6 } as const;

export const OFPP_CONTROLLER = OFPP.CONTROLLER;
export const OFPP_FLOOD = OFPP.FLOOD;
export const OFPP_ANY = OFPP.ANY;
export const OFPG_ANY = OFPG.ANY;
export const OFPMPF_REPLY_MORE = OFPMPF.REPLY_MORE;
export const OFPMP_PORT_DESC = OFPMP.PORT_DESC;

export function writeHeader(b: Buffer, off: number, type: number, len: number, xid: number): void {
  b[off] = OFP_VERSION;
  b[off + 1] = type;
  b[off + 2] = len >>> 8;
  b[off + 3] = len & 0xff;
  b.writeUInt32BE(xid >>> 0, off + 4);
}

/** HELLO with a version-bitmap element announcing OpenFlow 1.3 only (16 bytes). */
export function buildHello(xid: number): Buffer {
  const b = Buffer.alloc(16);
  writeHeader(b, 0, T.HELLO, 16, xid);
  b.writeUInt16BE(1, 8); // OFPHET_VERSIONBITMAP
  b.writeUInt16BE(8, 10);
  b.writeUInt32BE(1 << OFP_VERSION, 12);
  return b;
}

/** Versions a peer's HELLO offers: the union of its version bitmaps, or 1..header version if it has none.
 *  Returns null when the hello elements are malformed. */
export function helloVersions(buf: Buffer, off: number, len: number): Set<number> | null {
  const versions = new Set<number>();
  let p = off + 8;
  const end = off + len;
  let sawBitmap = false;
  while (end - p >= 4) {
    const type = buf.readUInt16BE(p);
    const elen = buf.readUInt16BE(p + 2);
    if (elen < 4 || p + elen > end) return null;
    if (type === 1) {
      sawBitmap = true;
      for (let q = p + 4, word = 0; q + 4 <= p + elen; q += 4, word++) {
        const bits = buf.readUInt32BE(q);
        for (let i = 0; i < 32; i++) if (bits & (1 << i)) versions.add(word * 32 + i);
      }
    }
    p += (elen + 7) & ~7; // elements are padded to 8 bytes
  }
  // no bitmap: the peer's highest version is the header's; negotiation takes min(ours, theirs)
  if (!sawBitmap) for (let v = 1; v <= buf[off]; v++) versions.add(v);
  return versions;
}

/** OFPT_ERROR; data = up to 64 bytes of the offending message (as the spec asks). */
export function buildError(xid: number, type: number, code: number, data: Uint8Array): Buffer {
  const d = data.subarray(0, 64);
  const b = Buffer.alloc(12 + d.length);
  writeHeader(b, 0, T.ERROR, b.length, xid);
  b.writeUInt16BE(type, 8);
  b.writeUInt16BE(code, 10);
  b.set(d, 12);
  return b;
}

/** Message with only a header (features request, barrier request, get_config, get_async, ...). */
export function buildHeaderOnly(type: number, xid: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  writeHeader(b, 0, type, 8, xid);
  return b;
}

/** OFPMP_PORT_DESC multipart request (16 bytes). */
export function buildPortDescRequest(xid: number): Buffer {
  const b = Buffer.alloc(16);
  writeHeader(b, 0, T.MULTIPART_REQUEST, 16, xid);
  b.writeUInt16BE(OFPMP_PORT_DESC, 8);
  return b;
}

/** Fields of an OFPT_PACKET_IN read straight from the bytes (the hot path never builds the codec object). */
export interface PacketInFields {
  bufferId: number;
  totalLen: number;
  reason: number;
  tableId: number;
  /** OXM in_port, or -1 if the match has none */
  inPort: number;
  dataOff: number;
  dataLen: number;
}

/** Parse a packet_in in place: returns false if the structure does not fit in len (then the caller decodes it with
 *  the codec to get a precise error). */
export function parsePacketIn(b: Buffer, off: number, len: number, out: PacketInFields): boolean {
  if (len < 34) return false; // 24 fixed + 4 match header + pad to 8 + 2 pad
  out.bufferId = b.readUInt32BE(off + 8);
  out.totalLen = (b[off + 12] << 8) | b[off + 13];
  out.reason = b[off + 14];
  out.tableId = b[off + 15];
  const mStart = off + 24;
  if (((b[mStart] << 8) | b[mStart + 1]) !== 1) return false; // OFPMT_OXM
  const mLen = (b[mStart + 2] << 8) | b[mStart + 3];
  if (mLen < 4) return false;
  const mPadded = (mLen + 7) & ~7;
  const dataOff = mStart + mPadded + 2;
  const end = off + len;
  if (dataOff > end) return false;
  let inPort = -1;
  let p = mStart + 4;
  const mEnd = mStart + mLen;
  while (p < mEnd) {
    if (mEnd - p < 4) return false;
    const oxmLen = b[p + 3];
    if (p + 4 + oxmLen > mEnd) return false;
    // OFPXMC_OPENFLOW_BASIC (0x8000), field 0 (IN_PORT), no mask, length 4
    if (b[p] === 0x80 && b[p + 1] === 0 && b[p + 2] === 0 && oxmLen === 4) inPort = b.readUInt32BE(p + 4);
    p += 4 + oxmLen;
  }
  out.inPort = inPort;
  out.dataOff = dataOff;
  out.dataLen = end - dataOff;
  return true;
}

export const L2_FLOW_MOD_LEN = 104;

function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** the invariant bytes of the L2 flow_mod; per message only xid, timeouts, priority, buffer, ports and MACs change */
const L2_FLOW_MOD_TEMPLATE = ((): Buffer => {
  const b = Buffer.alloc(L2_FLOW_MOD_LEN);
  writeHeader(b, 0, T.FLOW_MOD, L2_FLOW_MOD_LEN, 0);
  b.writeUInt32BE(OFPP_ANY, 36); // out_port
  b.writeUInt32BE(OFPG_ANY, 40); // out_group
  b.writeUInt32BE(0x00010020, 48); // match OXM, length 4 + 8 + 10 + 10 = 32 (no padding needed)
  b.writeUInt32BE(0x80000004, 52); // in_port
  b.writeUInt32BE(0x80000606, 60); // eth_dst
  b.writeUInt32BE(0x80000806, 70); // eth_src
  b.writeUInt32BE(0x00040018, 80); // instruction APPLY_ACTIONS, len 24
  writeOutputAction(b, 88, 0);
  return b;
})();

/** The L2 app's flow_mod: ADD table 0, match {in_port, eth_dst, eth_src}, apply-actions output(port), writes
 *  L2_FLOW_MOD_LEN bytes at off. dst/src are the 6 MAC bytes at (frame, dstOff) / (frame, srcOff). */
export function writeL2FlowMod(
  b: Buffer, off: number, xid: number, priority: number, idleTimeout: number, bufferId: number,
  inPort: number, frame: Buffer, dstOff: number, srcOff: number, outPort: number,
): void {
  b.set(L2_FLOW_MOD_TEMPLATE, off);
  put32(b, off + 4, xid);
  b[off + 26] = idleTimeout >>> 8;
  b[off + 27] = idleTimeout & 0xff;
  b[off + 30] = priority >>> 8;
  b[off + 31] = priority & 0xff;
  put32(b, off + 32, bufferId);
  put32(b, off + 56, inPort);
  for (let i = 0; i < 6; i++) {
    b[off + 64 + i] = frame[dstOff + i];
    b[off + 74 + i] = frame[srcOff + i];
  }
  put32(b, off + 92, outPort);
}

/** OFPAT_OUTPUT action (16 bytes), max_len OFPCML_MAX (0xffe5) as Ryu's OFPActionOutput default. */
export function writeOutputAction(b: Buffer, off: number, port: number): void {
  b.writeUInt32BE(0x00000010, off);
  b.writeUInt32BE(port >>> 0, off + 4);
  b.writeUInt32BE(0xffe50000, off + 8);
  b.writeUInt32BE(0, off + 12);
}

/** Length of the L2 app's packet_out (one output action) carrying dataLen bytes of frame. */
export function l2PacketOutLen(dataLen: number): number {
  return 40 + dataLen;
}

const L2_PACKET_OUT_TEMPLATE = ((): Buffer => {
  const b = Buffer.alloc(40);
  writeHeader(b, 0, T.PACKET_OUT, 40, 0);
  b.writeUInt32BE(0x00100000, 16); // actions_len 16, pad
  writeOutputAction(b, 24, 0);
  return b;
})();

/** packet_out with one OUTPUT action; data copied from src[dataOff, dataOff+dataLen) (dataLen 0 with a buffer_id). */
export function writeL2PacketOut(
  b: Buffer, off: number, xid: number, bufferId: number, inPort: number, outPort: number,
  src: Buffer, dataOff: number, dataLen: number,
): void {
  b.set(L2_PACKET_OUT_TEMPLATE, off);
  const len = 40 + dataLen;
  b[off + 2] = len >>> 8;
  b[off + 3] = len & 0xff;
  put32(b, off + 4, xid);
  put32(b, off + 8, bufferId);
  put32(b, off + 12, inPort);
  put32(b, off + 28, outPort);
  if (dataLen > 0) src.copy(b, off + 40, dataOff, dataOff + dataLen);
}
