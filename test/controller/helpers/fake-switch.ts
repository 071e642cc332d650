// A scriptable fake OpenFlow 1.3 switch over TCP (or TLS) for the channel's unit tests. It speaks raw bytes so the
// tests do not depend on the code under test; by default it answers HELLO, FEATURES, PORT_DESC, ECHO and BARRIER.
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';

export interface RawMsg { version: number; type: number; xid: number; buf: Buffer }

export function header(type: number, len: number, xid: number, version = 4): Buffer {
  const b = Buffer.alloc(len);
  b[0] = version;
  b[1] = type;
  b.writeUInt16BE(len, 2);
  b.writeUInt32BE(xid >>> 0, 4);
  return b;
}

export function helloBitmap(versions: number[], headerVersion = 4): Buffer {
  const b = header(0, 16, 1, headerVersion);
  b.writeUInt16BE(1, 8);
  b.writeUInt16BE(8, 10);
  b.writeUInt32BE(versions.reduce((a, v) => a | (1 << v), 0) >>> 0, 12);
  return b;
}

/** 64-byte ofp_port */
export function portBytes(no: number, name: string, state = 4): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(no, 0);
  Buffer.from([0x02, 0, 0, 0, 0, no & 0xff]).copy(b, 8);
  b.write(name, 16, 15, 'ascii');
  b.writeUInt32BE(0, 32); // config
  b.writeUInt32BE(state, 36);
  b.writeUInt32BE(0x802, 40); // curr: 1GB_FD | COPPER
  b.writeUInt32BE(1_000_000, 56); // curr_speed kbps
  b.writeUInt32BE(1_000_000, 60);
  return b;
}

export function portDescReply(xid: number, ports: Buffer[], more = false): Buffer {
  const body = Buffer.concat(ports);
  const b = header(19, 16 + body.length, xid);
  b.writeUInt16BE(13, 8);
  b.writeUInt16BE(more ? 1 : 0, 10);
  body.copy(b, 16);
  return b;
}

export function portStatus(reason: number, port: Buffer): Buffer {
  const b = header(12, 16 + 64, 0);
  b[8] = reason;
  port.copy(b, 16);
  return b;
}

export function errorMsg(xid: number, type: number, code: number, data: Buffer): Buffer {
  const b = header(1, 12 + data.length, xid);
  b.writeUInt16BE(type, 8);
  b.writeUInt16BE(code, 10);
  data.copy(b, 12);
  return b;
}

/** packet_in with OXM in_port and an Ethernet frame dst/src (no buffer) */
export function packetIn(inPort: number, dst: string, src: string, bufferId = 0xffffffff, xid = 0): Buffer {
  const frame = Buffer.alloc(60);
  Buffer.from(dst.split(':').map((h) => parseInt(h, 16))).copy(frame, 0);
  Buffer.from(src.split(':').map((h) => parseInt(h, 16))).copy(frame, 6);
  frame.writeUInt16BE(0x0800, 12);
  const b = header(10, 42 + frame.length, xid);
  b.writeUInt32BE(bufferId, 8);
  b.writeUInt16BE(frame.length, 12);
  b.writeUInt16BE(1, 24);
  b.writeUInt16BE(12, 26);
  b.writeUInt32BE(0x80000004, 28);
  b.writeUInt32BE(inPort, 32);
  frame.copy(b, 42);
  return b;
}

export interface FakeSwitchOptions {
  port: number;
  host?: string;
  dpid?: bigint;
  tls?: ConnectionOptions;
  hello?: Buffer | null;
  ports?: Buffer[];
  /** answer ECHO_REQUEST (default true) */
  answerEcho?: boolean;
  /** answer BARRIER_REQUEST (default true) */
  answerBarrier?: boolean;
  /** custom handler; return true if it handled the message */
  onMessage?: (m: RawMsg, sw: FakeSwitch) => boolean | void;
}

export class FakeSwitch {
  readonly socket: Socket;
  readonly received: RawMsg[] = [];
  closed = false;
  private rest = Buffer.alloc(0);
  private waiters: Array<{ pred: (m: RawMsg) => boolean; resolve: (m: RawMsg) => void }> = [];
  private closeWaiters: Array<() => void> = [];

  constructor(readonly opts: FakeSwitchOptions) {
    const host = opts.host ?? '127.0.0.1';
    this.socket = opts.tls
      ? tlsConnect({ host, port: opts.port, ...opts.tls })
      : connect({ host, port: opts.port });
    this.socket.on(opts.tls ? 'secureConnect' : 'connect', () => {
      if (opts.hello !== null) this.socket.write(opts.hello ?? helloBitmap([4]));
    });
    this.socket.on('data', (c: Buffer) => this.onData(c));
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
      for (const w of this.closeWaiters) w();
      this.closeWaiters = [];
    });
  }

  write(b: Buffer): void {
    this.socket.write(b);
  }

  next(pred: (m: RawMsg) => boolean, timeoutMs = 5000): Promise<RawMsg> {
    const found = this.received.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`fake switch: no matching message within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => { clearTimeout(t); resolve(m); } });
    });
  }

  waitClosed(timeoutMs = 5000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`fake switch: still connected after ${timeoutMs} ms`)), timeoutMs);
      this.closeWaiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(c: Buffer): void {
    this.rest = Buffer.concat([this.rest, c]);
    while (this.rest.length >= 8) {
      const len = this.rest.readUInt16BE(2);
      if (len < 8 || this.rest.length < len) break;
      const buf = Buffer.from(this.rest.subarray(0, len));
      this.rest = this.rest.subarray(len);
      const m: RawMsg = { version: buf[0], type: buf[1], xid: buf.readUInt32BE(4), buf };
      this.received.push(m);
      this.handle(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    }
  }

  private handle(m: RawMsg): void {
    if (this.opts.onMessage?.(m, this)) return;
    switch (m.type) {
      case 5: { // FEATURES_REQUEST
        const b = header(6, 32, m.xid);
        b.writeBigUInt64BE(this.opts.dpid ?? 1n, 8);
        b.writeUInt32BE(0, 16);
        b[20] = 254;
        b.writeUInt32BE(0x47, 24);
        this.write(b);
        break;
      }
      case 18: // MULTIPART_REQUEST
        if (m.buf.readUInt16BE(8) === 13) this.write(portDescReply(m.xid, this.opts.ports ?? [portBytes(1, 'p1'), portBytes(2, 'p2')]));
        break;
      case 2: // ECHO_REQUEST
        if (this.opts.answerEcho ?? true) {
          const b = Buffer.from(m.buf);
          b[1] = 3;
          this.write(b);
        }
        break;
      case 20: // BARRIER_REQUEST
        if (this.opts.answerBarrier ?? true) this.write(header(21, 8, m.xid));
        break;
      case 24: { // ROLE_REQUEST: grant it
        const b = Buffer.from(m.buf);
        b[1] = 25;
        this.write(b);
        break;
      }
      default:
        break;
    }
  }
}
