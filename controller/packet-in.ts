// The packet_in event handed to apps. Fields are read straight from the wire bytes (controller/wire.ts); the full
// codec object is built only if an app asks for it (decode()).
import { decodeMessage, type OFPPacketIn } from '../openflow/index.js';
import type { PacketInFields } from './wire.js';

export class PacketIn {
  readonly bufferId: number;
  readonly totalLen: number;
  /** OFPR_* */
  readonly reason: number;
  readonly tableId: number;
  /** OXM in_port, -1 if absent */
  readonly inPort: number;
  /** the frame is raw[dataOff, dataOff + dataLen) */
  readonly dataOff: number;
  readonly dataLen: number;

  constructor(readonly raw: Buffer, readonly off: number, readonly len: number, f: PacketInFields) {
    this.bufferId = f.bufferId;
    this.totalLen = f.totalLen;
    this.reason = f.reason;
    this.tableId = f.tableId;
    this.inPort = f.inPort;
    this.dataOff = f.dataOff;
    this.dataLen = f.dataLen;
  }

  get xid(): number {
    return this.raw.readUInt32BE(this.off + 4);
  }

  /** the (possibly truncated) frame, a view into the received chunk */
  data(): Buffer {
    return this.raw.subarray(this.dataOff, this.dataOff + this.dataLen);
  }

  /** the whole message as the codec's object (cookie, full match, ...) */
  decode(): OFPPacketIn {
    const r = decodeMessage(this.raw.subarray(this.off, this.off + this.len));
    if (!r.ok || r.msg.kind !== 'OFPPacketIn') throw new Error(`packet_in does not decode: ${r.ok ? r.msg.kind : r.error.message}`);
    return r.msg;
  }
}
