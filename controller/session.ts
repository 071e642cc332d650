// One OpenFlow 1.3 datapath session over a TCP or TLS socket:
//   HELLO (version bitmap negotiation, OF1.3 only) → FEATURES_REQUEST → PORT_DESC multipart → up.
// Afterwards: echo keepalive with a timeout, request/reply correlation (multipart reassembled), barrier-confirmed
// batches, role requests, port status tracking, packet_in fast path, and a bounded write queue flushed once per
// event-loop turn. Malformed input gets an OFPT_ERROR and a disconnect; nothing a switch sends can throw out of
// the socket callbacks.
import type { Socket } from 'node:net';
import {
  decodeMessage, encodeMessage, errorName,
  type OfMessage, type OFPPort, type OFPSwitchFeatures, type OFPRoleReply,
} from '../openflow/index.js';
import type { BatchOptions, ControllerRole, RequestOptions, SwitchHandle, SwitchInfo, SwitchPort } from './api.js';
import { SessionClosedError, WriteQueueFullError } from './errors.js';
import { FrameReader, type FrameSink } from './framing.js';
import { PacketIn } from './packet-in.js';
import { PendingTable, XidAllocator } from './xid/pending.js';
import {
  BRC, ET, HFC_INCOMPATIBLE, OFP_VERSION, OFPMPF_REPLY_MORE, SWITCH_TO_CONTROLLER, T,
  buildError, buildHeaderOnly, buildHello, buildPortDescRequest, helloVersions, parsePacketIn,
  type PacketInFields,
} from './wire.js';

export interface SessionOptions {
  /** send ECHO_REQUEST after this long without receiving anything (ms) */
  echoIntervalMs: number;
  /** disconnect if the ECHO_REPLY has not arrived this long after the request (ms) */
  echoTimeoutMs: number;
  /** disconnect if the handshake (hello, features, port desc) is not done within (ms) */
  handshakeTimeoutMs: number;
  /** default timeout of request()/sendBatch() (ms) */
  requestTimeoutMs: number;
  /** bound of the per-switch write queue (bytes not yet taken by the kernel) */
  maxQueueBytes: number;
}

export const DEFAULT_SESSION_OPTIONS: SessionOptions = {
  echoIntervalMs: 5000,
  echoTimeoutMs: 5000,
  handshakeTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
  maxQueueBytes: 8 << 20,
};

/** What the session reports to its owner (the Controller). Exceptions thrown here are caught and logged. */
export interface SessionHooks {
  up(s: Session): void;
  down(s: Session, reason: string, wasUp: boolean): void;
  packetIn(s: Session, pi: PacketIn): void;
  portStatus(s: Session, reason: 'ADD' | 'DELETE' | 'MODIFY', port: SwitchPort): void;
  /** asynchronous messages nobody waited for: flow_removed, experimenter, errors with unknown xid, late replies */
  message(s: Session, msg: OfMessage): void;
  log(level: 'info' | 'warn', text: string): void;
}

export type SessionState = 'hello' | 'features' | 'ports' | 'up' | 'closed';

const ROLE_NAMES: ControllerRole[] = ['NOCHANGE', 'EQUAL', 'MASTER', 'SLAVE'];
/** messages a switch answers (besides every multipart *StatsRequest): the only ones request() accepts */
const REQUEST_KINDS = new Set<string>([
  'OFPEchoRequest', 'OFPFeaturesRequest', 'OFPGetConfigRequest', 'OFPBarrierRequest', 'OFPQueueGetConfigRequest',
  'OFPRoleRequest', 'OFPGetAsyncRequest',
]);
const PORT_REASONS = ['ADD', 'DELETE', 'MODIFY'] as const;
const CHUNK = 64 * 1024;

const DECODE_TO_BRC: Record<string, number> = {
  bad_version: BRC.BAD_VERSION, bad_type: BRC.BAD_TYPE, bad_multipart: BRC.BAD_MULTIPART,
};

export function dpidHex(dpid: bigint): string {
  return dpid.toString(16).padStart(16, '0');
}

function toSwitchPort(p: OFPPort): SwitchPort {
  return {
    port_no: p.port_no, hw_addr: p.hw_addr, name: p.name, config: p.config, state: p.state, curr: p.curr,
    advertised: p.advertised, supported: p.supported, peer: p.peer, curr_speed: p.curr_speed, max_speed: p.max_speed,
  };
}

export class Session implements SwitchHandle, FrameSink {
  state: SessionState = 'hello';
  dpid = -1n;
  features: OFPSwitchFeatures | null = null;
  readonly ports = new Map<number, SwitchPort>();
  role: ControllerRole = 'EQUAL';
  generationId: bigint | undefined;
  connectedAt = new Date();
  readonly remote: string;
  /** counters */
  readonly stats = { rxMsgs: 0, txMsgs: 0, packetIns: 0, queueFullDrops: 0, echoRequests: 0, echoReplies: 0 };

  private readonly reader = new FrameReader();
  private readonly xids = new XidAllocator(1);
  private readonly pending: PendingTable;
  private readonly timer: NodeJS.Timeout;
  private readonly createdAt = Date.now();
  private lastRx = Date.now();
  private echoXid = 0;
  private echoDeadline = 0;
  private closeReason = '';
  // output: messages are written into `chunk` at [start, pos); sealed parts wait in `outq` until the flush
  private chunk = Buffer.allocUnsafe(CHUNK);
  private start = 0;
  private pos = 0;
  private readonly outq: Buffer[] = [];
  private outqBytes = 0;
  private flushScheduled = false;
  private readonly pif: PacketInFields = { bufferId: 0, totalLen: 0, reason: 0, tableId: 0, inPort: -1, dataOff: 0, dataLen: 0 };

  constructor(
    private readonly socket: Socket,
    private readonly hooks: SessionHooks,
    readonly opts: SessionOptions = DEFAULT_SESSION_OPTIONS,
  ) {
    this.remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.pending = new PendingTable(() => this.label);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => { if (!this.closeReason) this.closeReason = `socket error: ${err.message}`; });
    socket.on('close', () => this.onClose());
    socket.on('drain', () => { /* queued bytes fall with writableLength; nothing to do */ });
    const tick = Math.max(5, Math.min(1000, Math.floor(Math.min(opts.echoIntervalMs, opts.echoTimeoutMs) / 4)));
    this.timer = setInterval(() => this.onTick(), tick);
    this.timer.unref();
    this.enqueue(buildHello(this.xids.next()));
  }

  get label(): string {
    return this.dpid >= 0n ? dpidHex(this.dpid) : this.remote;
  }

  isClosed(): boolean {
    return this.state === 'closed';
  }

  get isUp(): boolean {
    return this.state === 'up';
  }

  /** bytes waiting to be written to this switch (ours + the socket's) */
  get queuedBytes(): number {
    return this.socket.writableLength + this.outqBytes + (this.pos - this.start);
  }

  info(): SwitchInfo {
    const f = this.features;
    return {
      dpid: this.dpid,
      ports: [...this.ports.values()].sort((a, b) => a.port_no - b.port_no),
      role: this.role,
      ...(this.generationId !== undefined ? { generationId: this.generationId } : {}),
      connectedAt: this.connectedAt,
      remote: this.remote,
      nBuffers: f?.n_buffers ?? 0,
      nTables: f?.n_tables ?? 0,
      capabilities: f?.capabilities ?? 0,
    };
  }

  // ------------------------------------------------------------------------------------------ sending (public)

  nextXid(): number {
    return this.xids.next();
  }

  send(msg: OfMessage): number {
    this.assertOpen();
    const xid = this.xids.next();
    const buf = this.encode(msg, xid);
    this.checkRoom(buf.length);
    this.enqueue(buf);
    return xid;
  }

  request(msg: OfMessage, opts?: RequestOptions): Promise<OfMessage[]> {
    try {
      this.assertUp();
      if (!REQUEST_KINDS.has(msg.kind) && !msg.kind.endsWith('StatsRequest')) {
        throw new TypeError(`request(${msg.kind}): the switch sends no reply to it; use sendBatch() (barrier-confirmed) or send()`);
      }
      return this.requestRaw(msg, opts?.timeoutMs ?? this.opts.requestTimeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  sendBatch(msgs: OfMessage[], opts?: BatchOptions): Promise<void> {
    try {
      this.assertUp();
      const xids: number[] = [];
      const bufs: Buffer[] = [];
      let total = 0;
      for (const m of msgs) {
        const xid = this.xids.next();
        const b = this.encode(m, xid);
        xids.push(xid);
        bufs.push(b);
        total += b.length;
      }
      const barrier = opts?.barrier ?? true;
      this.checkRoom(total + (barrier ? 8 : 0));
      if (!barrier) {
        for (const b of bufs) this.enqueue(b);
        return Promise.resolve();
      }
      const bx = this.xids.next();
      const p = this.pending.addBatch(xids, msgs.map((m) => m.kind), bx, opts?.timeoutMs ?? this.opts.requestTimeoutMs);
      for (const b of bufs) this.enqueue(b);
      this.enqueue(buildHeaderOnly(T.BARRIER_REQUEST, bx));
      return p;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async requestRole(role: ControllerRole, generationId?: bigint): Promise<{ role: ControllerRole; generationId: bigint }> {
    const r = ROLE_NAMES.indexOf(role);
    const [reply] = await this.request({ kind: 'OFPRoleRequest', role: r, generation_id: generationId ?? 0n });
    if (reply?.kind !== 'OFPRoleReply') throw new Error(`switch ${this.label}: unexpected reply ${reply?.kind} to a role request`);
    const rr = reply as OFPRoleReply;
    const name = ROLE_NAMES[rr.role] ?? 'NOCHANGE';
    if (name !== 'NOCHANGE') this.role = name;
    if (role === 'MASTER' || role === 'SLAVE') this.generationId = rr.generation_id;
    return { role: name, generationId: rr.generation_id };
  }

  /** Hot-path output for apps: reserve n bytes in the write buffer and fill them at `wbuf[off]`. Throws
   *  WriteQueueFullError / SessionClosedError. The bytes go out at the end of this event-loop turn. */
  reserve(n: number): number {
    if (this.isClosed()) throw new SessionClosedError(this.label, this.closeReason || 'closed');
    const queued = this.socket.writableLength + this.outqBytes + (this.pos - this.start);
    if (queued + n > this.opts.maxQueueBytes) {
      this.stats.queueFullDrops++;
      throw new WriteQueueFullError(this.label, queued, this.opts.maxQueueBytes);
    }
    if (this.pos + n > this.chunk.length) {
      this.seal();
      this.chunk = Buffer.allocUnsafe(Math.max(CHUNK, n));
      this.start = this.pos = 0;
    }
    const off = this.pos;
    this.pos += n;
    this.stats.txMsgs++;
    this.scheduleFlush();
    return off;
  }

  /** the buffer `reserve` offsets point into (valid until the next reserve) */
  get wbuf(): Buffer {
    return this.chunk;
  }

  /** Disconnect (idempotent). */
  close(reason: string): void {
    if (this.isClosed()) return;
    this.markClosed(reason);
    this.flush();
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), 1000);
    t.unref();
  }

  // ------------------------------------------------------------------------------------------ internals: output

  private assertOpen(): void {
    if (this.isClosed()) throw new SessionClosedError(this.label, this.closeReason || 'closed');
  }

  private assertUp(): void {
    this.assertOpen();
    if (this.state !== 'up') throw new SessionClosedError(this.label, `handshake not finished (state ${this.state})`);
  }

  private checkRoom(n: number): void {
    const queued = this.queuedBytes;
    if (queued + n > this.opts.maxQueueBytes) {
      this.stats.queueFullDrops++;
      throw new WriteQueueFullError(this.label, queued, this.opts.maxQueueBytes);
    }
  }

  private encode(msg: OfMessage, xid: number): Buffer {
    const b = encodeMessage(msg);
    b.writeUInt32BE(xid >>> 0, 4);
    return b;
  }

  private requestRaw(msg: OfMessage, timeoutMs: number): Promise<OfMessage[]> {
    const xid = this.xids.next();
    const buf = this.encode(msg, xid);
    this.checkRoom(buf.length);
    const p = this.pending.addRequest(xid, msg.kind, timeoutMs);
    this.enqueue(buf);
    return p;
  }

  /** queue a whole prebuilt message (not subject to the bound: used for protocol replies and after checkRoom) */
  private enqueue(buf: Buffer): void {
    if (this.isClosed()) return;
    this.seal();
    this.outq.push(buf);
    this.outqBytes += buf.length;
    this.stats.txMsgs++;
    this.scheduleFlush();
  }

  private seal(): void {
    if (this.pos > this.start) {
      const part = this.chunk.subarray(this.start, this.pos);
      this.outq.push(part);
      this.outqBytes += part.length;
      this.start = this.pos;
    }
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushNow);
    }
  }

  private readonly flushNow = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private flush(): void {
    this.seal();
    if (this.outq.length === 0 || this.socket.destroyed) {
      this.outq.length = 0;
      this.outqBytes = 0;
      return;
    }
    if (this.outq.length === 1) {
      this.socket.write(this.outq[0]);
    } else {
      this.socket.cork();
      for (const b of this.outq) this.socket.write(b);
      this.socket.uncork();
    }
    this.outq.length = 0;
    this.outqBytes = 0;
    // the rest of the chunk is still ours; start a new one when little is left
    if (this.chunk.length - this.pos < 2048) {
      this.chunk = Buffer.allocUnsafe(CHUNK);
      this.start = this.pos = 0;
    }
  }

  // ------------------------------------------------------------------------------------------ internals: input

  private onData(chunk: Buffer): void {
    if (this.isClosed()) return;
    this.lastRx = Date.now();
    try {
      // a peer that does not even start with an OpenFlow version byte (TLS to a TCP port, HTTP, ...) is told so at
      // once instead of after the handshake timeout while we wait for its "length" worth of bytes
      if (this.state === 'hello' && this.stats.rxMsgs === 0 && this.reader.pending === 0 && chunk.length > 0 && (chunk[0] < 1 || chunk[0] > 6)) {
        this.protocolError(0, ET.BAD_REQUEST, BRC.BAD_VERSION, chunk.subarray(0, 8), `first byte 0x${chunk[0].toString(16)} is not an OpenFlow version`);
        return;
      }
      const err = this.reader.push(chunk, this);
      if (err) this.protocolError(0, ET.BAD_REQUEST, BRC.BAD_LEN, err.header, err.message);
    } catch (err) {
      // a bug in our handling must not take the process down; drop this switch
      this.hooks.log('warn', `switch ${this.label}: internal error handling input: ${err instanceof Error ? err.stack : String(err)}`);
      this.close(`internal error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** FrameSink: one complete message. */
  frame(buf: Buffer, off: number, len: number): boolean {
    if (this.isClosed()) return false;
    this.stats.rxMsgs++;
    const type = buf[off + 1];
    if (this.state === 'hello') {
      this.onHelloState(buf, off, len, type);
      return !this.isClosed();
    }
    if (buf[off] !== OFP_VERSION) {
      this.protocolError(buf.readUInt32BE(off + 4), ET.BAD_REQUEST, BRC.BAD_VERSION, buf.subarray(off, off + len),
        `message version ${buf[off]} after negotiating OpenFlow 1.3`);
      return false;
    }
    if (type === T.PACKET_IN) {
      if (parsePacketIn(buf, off, len, this.pif)) {
        if (this.state === 'up') {
          this.stats.packetIns++;
          try {
            this.hooks.packetIn(this, new PacketIn(buf, off, len, this.pif));
          } catch (err) {
            this.hooks.log('warn', `switch ${this.label}: app error: ${err instanceof Error ? err.stack : String(err)}`);
          }
        }
        return !this.isClosed();
      }
      // fall through: the codec says precisely what is wrong
    } else if (type === T.ECHO_REQUEST) {
      const reply = Buffer.from(buf.subarray(off, off + len));
      reply[1] = T.ECHO_REPLY;
      this.enqueue(reply);
      return true;
    } else if (type === T.ECHO_REPLY) {
      if (buf.readUInt32BE(off + 4) === this.echoXid) {
        this.echoXid = 0;
        this.stats.echoReplies++;
      }
      return true;
    } else if (!SWITCH_TO_CONTROLLER.has(type)) {
      this.protocolError(buf.readUInt32BE(off + 4), ET.BAD_REQUEST, BRC.BAD_TYPE, buf.subarray(off, off + len),
        `message type ${type} is not one a switch sends`);
      return false;
    }
    const r = decodeMessage(buf.subarray(off, off + len));
    if (!r.ok) {
      this.protocolError(buf.readUInt32BE(off + 4), ET.BAD_REQUEST, DECODE_TO_BRC[r.error.code] ?? BRC.BAD_LEN,
        buf.subarray(off, off + len), `malformed ${type === T.PACKET_IN ? 'packet_in' : `message type ${type}`}: ${r.error.message} (offset ${r.error.offset})`);
      return false;
    }
    this.dispatch(r.msg, buf.readUInt32BE(off + 4), buf, off);
    return !this.isClosed();
  }

  private onHelloState(buf: Buffer, off: number, len: number, type: number): void {
    const xid = buf.readUInt32BE(off + 4);
    if (type === T.ERROR) {
      const r = decodeMessage(buf.subarray(off, off + len));
      this.close(r.ok && r.msg.kind === 'OFPErrorMsg'
        ? `switch refused our hello: ${errorName(r.msg.type, r.msg.code)}` : 'switch sent an error before hello');
      return;
    }
    if (type !== T.HELLO) {
      this.protocolError(xid, ET.BAD_REQUEST, BRC.BAD_TYPE, buf.subarray(off, off + len), `expected HELLO, got message type ${type}`);
      return;
    }
    const versions = helloVersions(buf, off, len);
    if (versions === null) {
      this.protocolError(xid, ET.BAD_REQUEST, BRC.BAD_LEN, buf.subarray(off, off + len), 'malformed HELLO elements');
      return;
    }
    if (!versions.has(OFP_VERSION)) {
      const offered = [...versions].sort((a, b) => a - b).map((v) => `0x${v.toString(16).padStart(2, '0')}`).join(',');
      const text = `no common OpenFlow version: controller supports 0x04 (1.3) only, switch offered ${offered}`;
      this.protocolError(xid, ET.HELLO_FAILED, HFC_INCOMPATIBLE, Buffer.from(text, 'ascii'), text);
      return;
    }
    this.state = 'features';
    void this.handshake();
  }

  private async handshake(): Promise<void> {
    try {
      const [f] = await this.requestRawBuilt(buildHeaderOnly(T.FEATURES_REQUEST, 0), 'OFPFeaturesRequest');
      if (f?.kind !== 'OFPSwitchFeatures') throw new Error(`unexpected ${f?.kind} to FEATURES_REQUEST`);
      this.features = f;
      this.dpid = f.datapath_id;
      if (this.isClosed()) return;
      this.state = 'ports';
      const parts = await this.requestRawBuilt(buildPortDescRequest(0), 'OFPPortDescStatsRequest');
      for (const p of parts) {
        if (p.kind !== 'OFPPortDescStatsReply') throw new Error(`unexpected ${p.kind} to PORT_DESC request`);
        for (const port of p.body) this.ports.set(port.port_no, toSwitchPort(port));
      }
      if (this.isClosed()) return;
      this.state = 'up';
      this.connectedAt = new Date();
      this.callHook(() => this.hooks.up(this));
    } catch (err) {
      if (!this.isClosed()) this.close(`handshake failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private requestRawBuilt(buf: Buffer, what: string): Promise<OfMessage[]> {
    const xid = this.xids.next();
    buf.writeUInt32BE(xid, 4);
    const p = this.pending.addRequest(xid, what, this.opts.handshakeTimeoutMs);
    this.enqueue(buf);
    return p;
  }

  private dispatch(msg: OfMessage, xid: number, buf: Buffer, off: number): void {
    switch (msg.kind) {
      case 'OFPErrorMsg': {
        const code = msg.code ?? msg.exp_type ?? 0;
        const matched = this.pending.onError(xid, { type: msg.type, code, name: errorName(msg.type, msg.code), data: msg.data });
        if (!matched) {
          this.hooks.log('warn', `switch ${this.label}: OFPT_ERROR ${errorName(msg.type, msg.code)} for xid ${xid} (no request waiting)`);
          this.callHook(() => this.hooks.message(this, msg));
        }
        return;
      }
      case 'OFPPortStatus': {
        const port = toSwitchPort(msg.desc);
        const reason = PORT_REASONS[msg.reason] ?? 'MODIFY';
        if (reason === 'DELETE') this.ports.delete(port.port_no);
        else this.ports.set(port.port_no, port);
        if (this.state === 'up') this.callHook(() => this.hooks.portStatus(this, reason, port));
        return;
      }
      case 'OFPHello':
        return; // a repeated hello is harmless
      case 'OFPFlowRemoved':
      case 'OFPExperimenter':
      case 'OFPPacketIn':
        this.callHook(() => this.hooks.message(this, msg));
        return;
      default: {
        const more = buf[off + 1] === T.MULTIPART_REPLY && (buf.readUInt16BE(off + 10) & OFPMPF_REPLY_MORE) !== 0;
        if (!this.pending.onReply(xid, msg, more)) this.callHook(() => this.hooks.message(this, msg));
      }
    }
  }

  private protocolError(xid: number, type: number, code: number, data: Uint8Array, why: string): void {
    this.hooks.log('warn', `switch ${this.label}: ${why}; sending ${errorName(type, code)} and disconnecting`);
    this.enqueue(buildError(xid, type, code, data));
    this.close(`protocol error: ${why}`);
  }

  private callHook(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.hooks.log('warn', `switch ${this.label}: app error: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }

  private onTick(): void {
    if (this.isClosed()) return;
    const now = Date.now();
    if (this.state !== 'up' && now - this.createdAt > this.opts.handshakeTimeoutMs) {
      this.close(`handshake timeout (${this.opts.handshakeTimeoutMs} ms, state ${this.state})`);
      return;
    }
    if (this.echoXid !== 0) {
      if (now > this.echoDeadline) this.close(`echo timeout: no ECHO_REPLY within ${this.opts.echoTimeoutMs} ms`);
      return;
    }
    if (this.state === 'up' && now - this.lastRx >= this.opts.echoIntervalMs) {
      this.echoXid = this.xids.next();
      this.echoDeadline = now + this.opts.echoTimeoutMs;
      this.stats.echoRequests++;
      this.enqueue(buildHeaderOnly(T.ECHO_REQUEST, this.echoXid));
    }
  }

  private markClosed(reason: string): void {
    const wasUp = this.state === 'up';
    this.state = 'closed';
    if (!this.closeReason) this.closeReason = reason;
    clearInterval(this.timer);
    this.pending.failAll(this.closeReason);
    this.callHook(() => this.hooks.down(this, this.closeReason, wasUp));
  }

  private onClose(): void {
    if (!this.isClosed()) this.markClosed(this.closeReason || 'connection closed by the switch');
    this.outq.length = 0;
    this.outqBytes = 0;
  }
}
