// A cbench-like OpenFlow 1.3 load generator: N emulated switches connect to a controller over TCP, do the
// handshake (HELLO, FEATURES, multipart/echo/barrier/role answers), teach the controller one destination MAC, then
// keep a window of packet_in messages in flight per switch (throughput mode) or exactly one (latency mode) and count
// what comes back: flow_mod and packet_out replies per second. Like cbench, packet_ins are raw byte templates with a
// few patched fields, and replies are parsed only as far as their 8-byte header (+ buffer_id for latency).
//
// Library: runCbench(opts). CLI (used by bench/suites/openflow.ts to run it as its own pinned process):
//   node --import tsx bench/cbench.ts --port P [--host H] [--switches 16] [--window 256] [--duration 5]
//        [--warmup 1] [--macs 1000] [--mode throughput|latency] [--json]
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface CbenchOptions {
  host?: string;
  port: number;
  /** emulated switches (default 16) */
  switches?: number;
  /** packet_ins in flight per switch in throughput mode (default 256) */
  window?: number;
  /** measured seconds (default 5), split into 1 s intervals */
  durationS?: number;
  /** unmeasured seconds after start (default 1) */
  warmupS?: number;
  /** distinct source MACs per switch (default 1000) */
  macs?: number;
  mode?: 'throughput' | 'latency';
  /** give up if the switches are not all handshaken + learned after this (default 15 s) */
  connectTimeoutS?: number;
}

export interface CbenchResult {
  mode: 'throughput' | 'latency';
  switches: number;
  window: number;
  /** responses (flow_mod + packet_out to our packet_ins) per second, each measured interval */
  intervals: number[];
  /** median / min / max of the intervals */
  median: number;
  min: number;
  max: number;
  flowMods: number;
  packetOuts: number;
  /** every reply to a packet_in since the load started (warmup included), and the seconds that took */
  totalResponses: number;
  totalSeconds: number;
  /** latency mode: round trip packet_in → reply, microseconds */
  latencyUs?: { p50: number; p99: number; mean: number };
}

const PI_FRAME_LEN = 60;
const PI_LEN = 24 + 16 + 2 + PI_FRAME_LEN; // header+fixed, match (in_port) padded, pad, frame
const DST_MAC = [0x02, 0xee, 0xee, 0x00, 0x00, 0x01];
const DST_PORT = 2;
const SRC_PORT = 1;

function header(b: Buffer, off: number, type: number, len: number, xid: number): void {
  b[off] = 4;
  b[off + 1] = type;
  b.writeUInt16BE(len, off + 2);
  b.writeUInt32BE(xid >>> 0, off + 4);
}

/** packet_in template: buffer_id/xid/src MAC patched per packet */
function packetInTemplate(inPort: number, src: number[], dst: number[]): Buffer {
  const b = Buffer.alloc(PI_LEN);
  header(b, 0, 10, PI_LEN, 0);
  b.writeUInt32BE(0, 8); // buffer_id
  b.writeUInt16BE(PI_FRAME_LEN, 12); // total_len
  b[14] = 0; // OFPR_NO_MATCH
  b[15] = 0; // table 0
  // cookie 0 (16..23); match OXM len 12: in_port
  b.writeUInt16BE(1, 24);
  b.writeUInt16BE(12, 26);
  b.writeUInt32BE(0x80000004, 28);
  b.writeUInt32BE(inPort, 32);
  // 4 bytes match padding (36..39) + 2 pad (40..41), frame at 42
  const f = 42;
  for (let i = 0; i < 6; i++) { b[f + i] = dst[i]; b[f + 6 + i] = src[i]; }
  // a well-formed IPv4/UDP frame (10.0.0.1 → 10.0.0.2, 18 bytes of payload) so packet parsers take their normal path
  b.writeUInt16BE(0x0800, f + 12);
  const ip = f + 14;
  b[ip] = 0x45;
  b.writeUInt16BE(PI_FRAME_LEN - 14, ip + 2); // total length 46
  b[ip + 8] = 64; // TTL
  b[ip + 9] = 17; // UDP
  b.writeUInt32BE(0x0a000001, ip + 12);
  b.writeUInt32BE(0x0a000002, ip + 16);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += b.readUInt16BE(ip + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, ip + 10);
  const udp = ip + 20;
  b.writeUInt16BE(12345, udp);
  b.writeUInt16BE(9, udp + 2);
  b.writeUInt16BE(PI_FRAME_LEN - 34, udp + 4); // UDP length 26, checksum 0 (none)
  return b;
}

class FakeSwitch {
  readonly socket: Socket;
  ready = false;
  learned = false;
  flowMods = 0;
  packetOuts = 0;
  answeredTotal = 0;
  counting = false;
  inflight = 0;
  private rest: Buffer | null = null;
  private seq = 0;
  private readonly block: Buffer;
  private readonly sentAt = new Map<number, bigint>();
  readonly rtts: number[] = [];
  private readonly macBase: number;

  constructor(
    readonly id: number, host: string, port: number, private readonly window: number,
    private readonly macs: number, private readonly latency: boolean,
    private readonly onErr: (e: Error) => void,
  ) {
    this.macBase = id * macs;
    const tpl = packetInTemplate(SRC_PORT, [0x02, 0, 0, 0, 0, 0], DST_MAC);
    this.block = Buffer.alloc(window * PI_LEN);
    for (let i = 0; i < window; i++) tpl.copy(this.block, i * PI_LEN);
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('connect', () => {
      const hello = Buffer.alloc(16);
      header(hello, 0, 0, 16, 1);
      hello.writeUInt32BE(0x00010008, 8);
      hello.writeUInt32BE(1 << 4, 12);
      this.socket.write(hello);
    });
    this.socket.on('data', (c: Buffer) => this.onData(c));
    this.socket.on('error', (e) => this.onErr(e));
  }

  /** teach the controller DST_MAC on DST_PORT (a broadcast frame from it) */
  learn(): void {
    const b = packetInTemplate(DST_PORT, DST_MAC, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    b.writeUInt32BE(0xfffffff0, 8);
    b.writeUInt32BE(0xfffffff0, 4);
    this.socket.write(b);
  }

  start(): void {
    this.fill();
  }

  private fill(): void {
    const n = this.window - this.inflight;
    if (n <= 0) return;
    // one copy of n ready-made packet_ins from the block, then a few byte patches per packet
    const out = Buffer.allocUnsafe(n * PI_LEN);
    this.block.copy(out, 0, 0, n * PI_LEN);
    for (let i = 0, off = 0; i < n; i++, off += PI_LEN) {
      const s = ++this.seq;
      const bid = s & 0x7fffffff;
      out[off + 4] = s >>> 24; out[off + 5] = (s >>> 16) & 0xff; out[off + 6] = (s >>> 8) & 0xff; out[off + 7] = s & 0xff;
      out[off + 8] = bid >>> 24; out[off + 9] = (bid >>> 16) & 0xff; out[off + 10] = (bid >>> 8) & 0xff; out[off + 11] = bid & 0xff;
      // src MAC 02:00:xx:xx:xx:xx, unique per switch and sequence slot
      const m = this.macBase + (s % this.macs);
      out[off + 50] = m >>> 24; out[off + 51] = (m >>> 16) & 0xff; out[off + 52] = (m >>> 8) & 0xff; out[off + 53] = m & 0xff;
      if (this.latency) this.sentAt.set(bid, process.hrtime.bigint());
    }
    this.inflight += n;
    this.socket.write(out);
  }

  private onData(chunk: Buffer): void {
    let buf = chunk;
    if (this.rest) {
      buf = Buffer.concat([this.rest, chunk]);
      this.rest = null;
    }
    let off = 0;
    let replies: Buffer[] | null = null;
    let answered = 0;
    while (buf.length - off >= 8) {
      const len = (buf[off + 2] << 8) | buf[off + 3];
      if (len < 8) {
        this.onErr(new Error(`switch ${this.id}: controller sent a message with length ${len}`));
        this.socket.destroy();
        return;
      }
      if (buf.length - off < len) break;
      const type = buf[off + 1];
      if (type === 14 || type === 13) { // FLOW_MOD / PACKET_OUT
        if (!this.ready) {
          if (type === 14) this.ready = true; // the table-miss flow
        } else if (!this.learned) {
          if (type === 13 && buf.readUInt32BE(off + 8) === 0xfffffff0) this.learned = true;
        } else if (buf.readUInt32BE(off + (type === 14 ? 32 : 8)) !== 0xffffffff || type === 13) {
          // a reply to one of our packet_ins (flow_mod with our buffer_id, or a packet_out)
          if (this.counting) {
            if (type === 14) this.flowMods++;
            else this.packetOuts++;
          }
          if (this.latency) {
            const bid = buf.readUInt32BE(off + (type === 14 ? 32 : 8));
            const t0 = this.sentAt.get(bid);
            if (t0 !== undefined) {
              this.sentAt.delete(bid);
              if (this.counting) this.rtts.push(Number(process.hrtime.bigint() - t0) / 1000);
            }
          }
          answered++;
        }
      } else {
        const r = this.answer(buf, off, len, type);
        if (r) (replies ??= []).push(r);
      }
      off += len;
    }
    if (off < buf.length) this.rest = buf.subarray(off);
    if (replies) for (const r of replies) this.socket.write(r);
    if (answered > 0) {
      this.answeredTotal += answered;
      this.inflight = Math.max(0, this.inflight - answered);
      this.fill();
    }
  }

  /** the handful of controller requests a switch must answer */
  private answer(buf: Buffer, off: number, len: number, type: number): Buffer | null {
    const xid = buf.readUInt32BE(off + 4);
    switch (type) {
      case 5: { // FEATURES_REQUEST
        const b = Buffer.alloc(32);
        header(b, 0, 6, 32, xid);
        b.writeUInt32BE(0, 8);
        b.writeUInt32BE(this.id + 1, 12); // datapath_id
        b.writeUInt32BE(256, 16); // n_buffers
        b[20] = 254; // n_tables
        b.writeUInt32BE(0x4f, 24); // capabilities
        return b;
      }
      case 2: { // ECHO_REQUEST
        const b = Buffer.from(buf.subarray(off, off + len));
        b[1] = 3;
        return b;
      }
      case 20: { // BARRIER_REQUEST
        const b = Buffer.alloc(8);
        header(b, 0, 21, 8, xid);
        return b;
      }
      case 7: { // GET_CONFIG_REQUEST
        const b = Buffer.alloc(12);
        header(b, 0, 8, 12, xid);
        b.writeUInt16BE(128, 10);
        return b;
      }
      case 24: { // ROLE_REQUEST → echo the role
        const b = Buffer.from(buf.subarray(off, off + len));
        b[1] = 25;
        return b;
      }
      case 18: { // MULTIPART_REQUEST: empty reply of the same type (desc gets its fixed body)
        const mpType = buf.readUInt16BE(off + 8);
        const bodyLen = mpType === 0 ? 1056 : 0;
        const b = Buffer.alloc(16 + bodyLen);
        header(b, 0, 19, 16 + bodyLen, xid);
        b.writeUInt16BE(mpType, 8);
        if (mpType === 0) b.write('cbench', 16);
        return b;
      }
      default:
        return null; // hello, set_config, ...
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function runCbench(o: CbenchOptions): Promise<CbenchResult> {
  const mode = o.mode ?? 'throughput';
  const n = o.switches ?? 16;
  const window = mode === 'latency' ? 1 : (o.window ?? 256);
  const durationS = o.durationS ?? 5;
  const warmupS = o.warmupS ?? 1;
  const macs = o.macs ?? 1000;
  const host = o.host ?? '127.0.0.1';
  let failure: Error | null = null;
  const sw: FakeSwitch[] = [];
  for (let i = 0; i < n; i++) sw.push(new FakeSwitch(i, host, o.port, window, macs, mode === 'latency', (e) => { failure ??= e; }));
  try {
    const deadline = Date.now() + (o.connectTimeoutS ?? 15) * 1000;
    const waitAll = async (pred: (s: FakeSwitch) => boolean, what: string): Promise<void> => {
      while (!sw.every(pred)) {
        if (failure) throw failure;
        if (Date.now() > deadline) throw new Error(`cbench: ${sw.filter((s) => !pred(s)).length}/${n} switches not ${what} in time`);
        await sleep(20);
      }
    };
    await waitAll((s) => s.ready, 'handshaken (no table-miss flow_mod seen)');
    for (const s of sw) s.learn();
    await waitAll((s) => s.learned, 'learned (no packet_out for the learning packet)');
    const tStart = process.hrtime.bigint();
    for (const s of sw) s.start();
    await sleep(warmupS * 1000);
    const intervals: number[] = [];
    for (const s of sw) s.counting = true;
    let prev = 0;
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < durationS; i++) {
      await sleep(1000);
      if (failure) throw failure;
      const now = process.hrtime.bigint();
      const total = sw.reduce((a, s) => a + s.flowMods + s.packetOuts, 0);
      intervals.push(((total - prev) * 1e9) / Number(now - t0));
      prev = total;
      t0 = now;
    }
    for (const s of sw) s.counting = false;
    const totalSeconds = Number(process.hrtime.bigint() - tStart) / 1e9;
    const res: CbenchResult = {
      totalResponses: sw.reduce((a, s) => a + s.answeredTotal, 0), totalSeconds,
      mode, switches: n, window, intervals,
      median: median(intervals), min: Math.min(...intervals), max: Math.max(...intervals),
      flowMods: sw.reduce((a, s) => a + s.flowMods, 0),
      packetOuts: sw.reduce((a, s) => a + s.packetOuts, 0),
    };
    if (mode === 'latency') {
      const all = sw.flatMap((s) => s.rtts).sort((a, b) => a - b);
      const pick = (q: number): number => (all.length ? all[Math.min(all.length - 1, Math.floor(q * all.length))] : 0);
      res.latencyUs = { p50: pick(0.5), p99: pick(0.99), mean: all.reduce((a, b) => a + b, 0) / Math.max(1, all.length) };
    }
    return res;
  } finally {
    for (const s of sw) s.socket.destroy();
  }
}

async function main(argv: string[]): Promise<void> {
  const get = (name: string, def?: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : def;
  };
  if (argv.includes('--help') || get('port') === undefined) {
    console.log('usage: cbench.ts --port P [--host H] [--switches 16] [--window 256] [--duration 5] [--warmup 1] [--macs 1000] [--mode throughput|latency] [--json]');
    process.exit(get('port') === undefined && !argv.includes('--help') ? 2 : 0);
  }
  const res = await runCbench({
    host: get('host', '127.0.0.1'), port: Number(get('port')), switches: Number(get('switches', '16')),
    window: Number(get('window', '256')), durationS: Number(get('duration', '5')), warmupS: Number(get('warmup', '1')),
    macs: Number(get('macs', '1000')), mode: get('mode', 'throughput') === 'latency' ? 'latency' : 'throughput',
  });
  if (argv.includes('--json')) console.log(JSON.stringify(res));
  else {
    console.log(`cbench ${res.mode}: ${res.switches} switches, window ${res.window}: ${Math.round(res.median)} responses/s (min ${Math.round(res.min)}, max ${Math.round(res.max)}); flow_mods ${res.flowMods}, packet_outs ${res.packetOuts}`);
    if (res.latencyUs) console.log(`latency us: p50 ${res.latencyUs.p50.toFixed(1)} p99 ${res.latencyUs.p99.toFixed(1)} mean ${res.latencyUs.mean.toFixed(1)}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error(`cbench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
