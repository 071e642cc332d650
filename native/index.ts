// TypeScript side of the native data plane: loads the addon, starts the manager (DPDK primary) and
// offers the TypeScript NF API (zero-copy batches over the packet mempool). See native/README.md.
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventEmitter } from 'node:events';
import { cpus } from 'node:os';

// ----------------------------------------------------------------------------- the addon

export interface NativePortInfo { id: number; name: string }
export interface NativeEvent { instance: number; type: string; args: number[]; text: string }
export interface FlowTuple { src: string | number; dst: string | number; sport?: number; dport?: number; proto?: number }
export interface ClassifierRule {
  src?: string; srcPrefix?: number; dst?: string; dstPrefix?: number; proto?: number;
  sportLo?: number; sportHi?: number; dportLo?: number; dportHi?: number; path: number;
}
export interface PacketMeta {
  action: number; index: number; destination: number; pathId: number; flags: number; flowHash: number; inPort: number; hops: number;
}
export interface NfStats {
  instance: number; service: number; name: string; state: string; pid: number;
  rx: number; tx: number; dropped: number; txRetry: number; rxBytes: number; txBytes: number;
  /** packets put on its input: by the manager (RX ring) plus direct hand-offs (directIn) */
  rxEnqueued: number; rxRingFull: number;
  /** packets taken from its output: by the manager (TX ring) plus its direct hand-offs (directOut) */
  txDequeued: number;
  /** direct hand-off (NF -> NF, see native/README.md): received from / sent to the next NF, refused by a full dx ring */
  directIn: number; directOut: number; directFull: number;
  /** the instance allowed to hand packets straight to this one (0 = none: all come through the manager) */
  directFrom: number;
  /** packets waiting at its input (RX ring + direct ring); dxRing: of them, on the direct ring */
  rxRing: number; txRing: number; dxRing: number; ringSize: number; heartbeatAgeMs: number; routed: boolean; unresponsive: boolean;
}
export interface PortStats { id: number; name: string; rx: number; tx: number; imissed?: number; ierrors?: number; oerrors?: number; rxNoMbuf?: number }
export interface ManagerStats {
  tsc: number; timeNs: number;
  drops: Record<string, number>;
  nfs: NfStats[];
  ports: PortStats[];
  flows: { active: number; inserted: number; expired: number; tableFull: number };
  vxlan: { encapOk: number; encapNoHeadroom: number; sent: number; decap: Record<string, number> };
  lcores: { layout: string; loops: number; busyLoops: number; naps: number; routed: number; classified: number };
  pool: { size: number; available: number };
}
export interface NfHandleInfo { handle: number; instance: number; service: number; metaOffset: number }
export interface NfMessage { type: number; args: number[]; text: string }

export interface NativeAddon {
  ealInit(args: string[]): number;
  ealCleanup(): number;
  managerStart(cfg: {
    ports: string[]; mbufs?: number; ringSize?: number; flowEntries?: number; flowIdleMs?: number; lcores?: number;
    heartbeatTimeoutMs?: number; busyPoll?: boolean; directHandoff?: boolean;
  }): { ports: NativePortInfo[]; lcores: string; metaOffset: number };
  managerStop(): void;
  createInstance(id: number, service: number, name?: string, ringSize?: number): void;
  destroyInstance(id: number): number;
  sendMessage(id: number, type: number, args?: number[], text?: string): number;
  instanceExited(id: number, pid?: number): void;
  pollControl(): NativeEvent[];
  setPath(id: number, services: number[], outPort?: number): void;
  deletePath(id: number): number;
  setDefaultPath(id: number): void;
  setRules(rules: ClassifierRule[]): void;
  setVxlanLocal(mac: string | null, ip?: string): void;
  setTunnel(ip: string, mac: string | null, remove?: boolean): number;
  setRemoteService(service: number, enable: boolean, mac?: string, ip?: string): number;
  pickInstance(service: number, flowHash: number): number;
  flowHash(t: FlowTuple): number;
  flowAdd(t: FlowTuple, path: number): number;
  flowDel(t: FlowTuple): number;
  flowLookup(t: FlowTuple): { path: number; pkts: number } | null;
  flowClear(): number;
  flowCount(): number;
  ringInject(port: number, data: Buffer, lens: Uint32Array): number;
  ringCollect(port: number, max?: number): { frames: Buffer[]; metas: PacketMeta[] };
  stats(): ManagerStats;
  nfInit(args: string[]): NfHandleInfo;
  nfAttach(instance: number): NfHandleInfo;
  nfPoolView(h: number): ArrayBuffer;
  nfRecv(h: number, offs: Uint32Array, lens: Uint16Array, metaOffs: Uint32Array, waitUs?: number): number;
  nfSend(h: number, actions?: Uint8Array | null, dests?: Uint16Array | null): number;
  nfReady(h: number): void;
  nfHeartbeat(h: number): void;
  nfStopping(h: number): boolean;
  nfPollMsg(h: number): NfMessage | null;
  nfSendMsg(h: number, type: number, args?: number[], text?: string): number;
  nfStats(h: number): { rx: number; tx: number; dropped: number };
  nfClose(h: number, cleanupEal?: boolean): void;
}

/** native/ (the folder holding binding.gyp), found from this file in the source tree or in dist/. */
export function nativeDir(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(d, 'binding.gyp'))) return d;
    if (existsSync(join(d, 'native', 'binding.gyp'))) return join(d, 'native');
    d = dirname(d);
  }
  throw new Error('rackvisor native/ directory not found');
}

export const ADDON_PATH = (): string => join(nativeDir(), 'build', 'Release', 'rackvisor_native.node');
/** Directory of the native NF binaries (make -C native). */
export const NF_BIN_DIR = (): string => join(nativeDir(), 'build', 'bin');

let addon: NativeAddon | undefined;
export function loadAddon(): NativeAddon {
  if (!addon) {
    const p = ADDON_PATH();
    if (!existsSync(p)) throw new Error(`native addon not built: ${p} (run: npm run build:native)`);
    addon = createRequire(import.meta.url)(p) as NativeAddon;
  }
  return addon;
}

// ----------------------------------------------------------------------------- constants

export const Action = { NEXT: 1, TONF: 2, OUT: 3, DROP: 4 } as const;
export const MsgType = { STOP: 1, SCALE: 2, CONFIG: 3, STARTING: 16, READY: 17, STOPPING: 18, STATS: 19, LOG: 20 } as const;
/** Byte offsets inside the 16-byte metadata dynfield (native/src/meta.h). */
export const META = { action: 0, index: 1, destination: 2, pathId: 4, flags: 6, flowHash: 8, inPort: 12, hops: 14, size: 16 } as const;
export const MetaFlags = { CLASSIFIED: 1, FROM_VXLAN: 2, GENERATED: 4, NO_FLOW: 8 } as const;
export const DROP_REASONS = ['no_path', 'no_instance', 'ring_full', 'tx_full', 'bad_action', 'bad_port', 'loop', 'nf_dead', 'vxlan', 'encap', 'nf_drop'] as const;
/** Above V8's random mmap range (< 0x400000000000) and below the kernel's mmap area (0x7f..), so every
 *  secondary (native NF or a Node/TS NF, whose V8 heap lands at random addresses) can map the primary's memory at the same addresses. */
export const DEFAULT_BASE_VIRTADDR = '0x500000000000';

// ----------------------------------------------------------------------------- manager

export interface ManagerOptions {
  /** Unique per host manager: names its shared memory (/var/run/dpdk/<prefix>). */
  filePrefix: string;
  /** DPDK device strings: 'net_null0', 'net_ring0', 'net_af_packet0,iface=veth0', 'net_af_xdp0,iface=..',
   *  a PCI address (0000:03:00.0), or 'ring:NAME' (an rte_ring port the test/bench feeds: ringInject/ringCollect). */
  ports: string[];
  /** Hugepages: own hugetlbfs mount (default) — or false for --no-huge single-process mode (unit tests; no NFs in other processes). */
  hugepages?: false | { dir?: string; sizeMb?: number; mount?: boolean };
  /** Memory for --no-huge mode (MB). */
  noHugeMemMb?: number;
  /** Manager lcores: 1 = one lcore does RX+TX, 2 = RX lcore + TX lcore. */
  lcores?: 1 | 2;
  /** CPU set the EAL threads may run on (default: all CPUs, e.g. '0-1'); lcores float on it. */
  cpus?: string;
  mbufs?: number;
  ringSize?: number;
  flowEntries?: number;
  flowIdleMs?: number;
  heartbeatTimeoutMs?: number;
  busyPoll?: boolean;
  /** NF -> NF direct hand-off for local next hops (default true; false: every hop through the manager). */
  directHandoff?: boolean;
  baseVirtaddr?: string | null;
  extraEal?: string[];
  /** Control poll period (ms) for NF messages and liveness. */
  pollMs?: number;
  logLevel?: string;
}

export interface ManagerEvent extends NativeEvent { at: number }

function isPci(dev: string): boolean { return /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]/i.test(dev); }

export function allCpus(): string { const n = cpus().length; return n > 1 ? `0-${n - 1}` : '0'; }

let managerInProcess: DataplaneManager | undefined;

/**
 * The host manager: DPDK primary of this process (EAL init once per process), ports, mempool,
 * NF rings, flow table, service paths. Emits 'event' (NativeEvent) for NF messages and deaths.
 */
export class DataplaneManager extends EventEmitter {
  readonly native: NativeAddon;
  readonly ports: NativePortInfo[];
  readonly lcoreLayout: string;
  readonly hugeDir: string | null;
  private mounted = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly events: ManagerEvent[] = [];

  private constructor(readonly opts: ManagerOptions, native: NativeAddon, started: { ports: NativePortInfo[]; lcores: string },
    hugeDir: string | null, mounted: boolean) {
    super();
    this.native = native;
    this.ports = started.ports;
    this.lcoreLayout = started.lcores;
    this.hugeDir = hugeDir;
    this.mounted = mounted;
    const every = opts.pollMs ?? 50;
    this.timer = setInterval(() => this.pollControl(), every);
    this.timer.unref();
  }

  /** EAL arguments of the primary for these options. */
  static ealArgs(opts: ManagerOptions, hugeDir: string | null): string[] {
    const set = opts.cpus ?? allCpus();
    const n = opts.lcores ?? 1;
    const lc = [`0@(${set})`];
    for (let i = 1; i <= n; i++) lc.push(`${i}@(${set})`);
    const a = ['rackvisor-manager', '--file-prefix', opts.filePrefix, '--proc-type=primary', '--no-telemetry',
      '--lcores', lc.join(','), `--log-level=${opts.logLevel ?? 'lib.eal:warning'}`];
    if (hugeDir) {
      a.push('--huge-dir', hugeDir);
      if (opts.baseVirtaddr !== null) a.push('--base-virtaddr', opts.baseVirtaddr ?? DEFAULT_BASE_VIRTADDR);
    } else {
      a.push('--no-huge', '-m', String(opts.noHugeMemMb ?? 256));
    }
    const pci = opts.ports.filter(isPci);
    if (pci.length) for (const p of pci) a.push('-a', p);
    else a.push('--no-pci');
    for (const p of opts.ports) if (!p.startsWith('ring:') && !isPci(p)) a.push('--vdev', p);
    return [...a, ...(opts.extraEal ?? [])];
  }

  static async start(opts: ManagerOptions): Promise<DataplaneManager> {
    if (managerInProcess) throw new Error('a manager already ran in this process (rte_eal_init is once per process)');
    const native = loadAddon();
    let hugeDir: string | null = null;
    let mounted = false;
    if (opts.hugepages !== false) {
      const h = opts.hugepages ?? {};
      hugeDir = h.dir ?? `/tmp/rv-huge-${opts.filePrefix}`;
      if (h.mount !== false) {
        mkdirSync(hugeDir, { recursive: true });
        ensureHugepages(Math.ceil((h.sizeMb ?? 256) / 2));
        execFileSync('mount', ['-t', 'hugetlbfs', '-o', `pagesize=2M,size=${h.sizeMb ?? 256}M`, 'nodev', hugeDir]);
        mounted = true;
      }
    }
    const args = DataplaneManager.ealArgs(opts, hugeDir);
    try {
      native.ealInit(args);
    } catch (e) {
      if (mounted && hugeDir) cleanupMount(hugeDir);
      throw e;
    }
    let started;
    try {
      started = native.managerStart({
        ports: opts.ports.map((p) => (p.startsWith('ring:') || isPci(p) ? p : p.split(',')[0])),
        mbufs: opts.mbufs, ringSize: opts.ringSize, flowEntries: opts.flowEntries, flowIdleMs: opts.flowIdleMs,
        lcores: opts.lcores ?? 1, heartbeatTimeoutMs: opts.heartbeatTimeoutMs, busyPoll: opts.busyPoll,
        directHandoff: opts.directHandoff,
      });
    } catch (e) {
      try { native.ealCleanup(); } catch { /* best effort */ }
      if (mounted && hugeDir) cleanupMount(hugeDir);
      rmSync(`/var/run/dpdk/${opts.filePrefix}`, { recursive: true, force: true });
      throw e;
    }
    const m = new DataplaneManager(opts, native, started, hugeDir, mounted);
    managerInProcess = m;
    return m;
  }

  /** EAL arguments an NF process needs to attach to this manager (before its `--`). */
  nfEalArgs(): string[] {
    const a = ['--file-prefix', this.opts.filePrefix, '--proc-type=secondary', '--no-telemetry', '--no-pci',
      `--log-level=${this.opts.logLevel ?? 'lib.eal:warning'}`];
    return a;
  }

  portId(name: string): number {
    const p = this.ports.find((x) => x.name === name || x.name === name.split(',')[0]);
    if (!p) throw new Error(`no port ${name}`);
    return p.id;
  }

  pollControl(): NativeEvent[] {
    if (this.stopped) return [];
    const ev = this.native.pollControl();
    for (const e of ev) {
      const me = { ...e, at: Date.now() };
      this.events.push(me);
      if (this.events.length > 1000) this.events.shift();
      this.emit('event', me);
    }
    return ev;
  }

  createInstance(id: number, service: number, name = '', ringSize = 0): void { this.native.createInstance(id, service, name, ringSize); }
  destroyInstance(id: number): number { return this.native.destroyInstance(id); }
  sendMessage(id: number, type: number, args: number[] = [], text = ''): number { return this.native.sendMessage(id, type, args, text); }
  stopInstance(id: number): number { return this.sendMessage(id, MsgType.STOP); }
  /** The process of instance `id` exited (pid: only if it is still the slot's process, so a late notice never hits a restarted instance). */
  instanceExited(id: number, pid?: number): void { if (this.stopped) return; this.native.instanceExited(id, pid); this.pollControl(); }
  get isStopped(): boolean { return this.stopped; }
  setPath(id: number, services: number[], outPort?: number): void { this.native.setPath(id, services, outPort); }
  deletePath(id: number): number { return this.native.deletePath(id); }
  setDefaultPath(id: number): void { this.native.setDefaultPath(id); }
  setRules(rules: ClassifierRule[]): void { this.native.setRules(rules); }
  stats(): ManagerStats { return this.native.stats(); }

  /** Waits until `pred(stats)` holds (polls control too). */
  async waitFor(pred: (s: ManagerStats) => boolean, timeoutMs = 10000, what = 'condition'): Promise<ManagerStats> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      this.pollControl();
      const s = this.stats();
      if (pred(s)) return s;
      if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  waitState(id: number, state: string, timeoutMs = 10000): Promise<ManagerStats> {
    return this.waitFor((s) => s.nfs.some((n) => n.instance === id && n.state === state), timeoutMs, `instance ${id} ${state}`);
  }

  /** Stops the lcores and EAL, removes /var/run/dpdk/<prefix>, unmounts hugetlbfs. NF processes must be gone first. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.native.managerStop();
    this.native.ealCleanup();
    rmSync(`/var/run/dpdk/${this.opts.filePrefix}`, { recursive: true, force: true });
    if (this.mounted && this.hugeDir) cleanupMount(this.hugeDir);
  }
}

function cleanupMount(dir: string): void {
  try { execFileSync('umount', [dir]); } catch { /* not mounted */ }
  rmSync(dir, { recursive: true, force: true });
}

/** Raises (never lowers) the 2 MiB hugepage reservation so that `pages` more can be free. */
export function ensureHugepages(pages: number): void {
  const info = readFileSync('/proc/meminfo', 'utf8');
  const free = Number(/HugePages_Free:\s+(\d+)/.exec(info)?.[1] ?? 0);
  const total = Number(/HugePages_Total:\s+(\d+)/.exec(info)?.[1] ?? 0);
  if (free >= pages) return;
  try {
    execFileSync('sh', ['-c', `echo ${total + (pages - free)} > /proc/sys/vm/nr_hugepages`]);
  } catch { /* not root: mount will fail later with a clear error */ }
}

// ----------------------------------------------------------------------------- TypeScript NF API

/**
 * One batch, reused for every receive: zero-copy views over the packet mempool.
 *  packet i: bytes pool[off[i] .. off[i]+len[i]); its metadata at pool[metaOff[i] .. +16) (META offsets).
 *  Set actions[i] (Action.*; preset NEXT) and dests[i] (service for TONF, port for OUT) before send().
 */
export class NfBatch {
  n = 0;
  readonly pool: Uint8Array;
  readonly view: DataView;
  readonly off: Uint32Array;
  readonly len: Uint16Array;
  readonly metaOff: Uint32Array;
  readonly actions: Uint8Array;
  readonly dests: Uint16Array;
  constructor(buf: ArrayBuffer, size: number) {
    this.pool = new Uint8Array(buf);
    this.view = new DataView(buf);
    this.off = new Uint32Array(size);
    this.len = new Uint16Array(size);
    this.metaOff = new Uint32Array(size);
    this.actions = new Uint8Array(size);
    this.dests = new Uint16Array(size);
  }
  /** Flow hash of packet i (metadata). */
  flowHash(i: number): number { return this.view.getUint32(this.metaOff[i] + META.flowHash, true); }
  pathId(i: number): number { return this.view.getUint16(this.metaOff[i] + META.pathId, true); }
  index(i: number): number { return this.pool[this.metaOff[i] + META.index]; }
  inPort(i: number): number { return this.view.getUint16(this.metaOff[i] + META.inPort, true); }
}

export interface TsNfRunOptions {
  /** Batches handled per event-loop turn before yielding (default 64). */
  batchesPerTurn?: number;
  /** When the ring is empty, wait natively (spin, then sched_yield) up to this long before yielding to the event loop (default 1000 us). */
  idleWaitUs?: number;
  onMessage?: (m: NfMessage) => void;
  onTick?: () => void;
}

export class TsNf {
  readonly batch: NfBatch;
  readonly instance: number;
  readonly service: number;
  private closed = false;
  private constructor(private readonly native: NativeAddon, private readonly h: NfHandleInfo, private readonly ownEal: boolean, burst: number) {
    this.instance = h.instance;
    this.service = h.service;
    this.batch = new NfBatch(native.nfPoolView(h.handle), burst);
  }
  /** In an NF process: EAL secondary init + attach. argv: [EAL args..., '--', '--instance', N, ...]. */
  static init(argv: string[], burst = 256): TsNf {
    const n = loadAddon();
    return new TsNf(n, n.nfInit(['rackvisor-ts-nf', ...argv]), true, burst);
  }
  /** In a process whose EAL is already up (e.g. the manager's own process, in tests). */
  static attach(instance: number, burst = 256): TsNf {
    const n = loadAddon();
    return new TsNf(n, n.nfAttach(instance), false, burst);
  }
  ready(): void { this.native.nfReady(this.h.handle); }
  /** Receives up to `burst` packets into this.batch; returns n. Every packet received must be sent (send()) before the next recv. */
  recv(waitUs = 0): number {
    const b = this.batch;
    b.n = waitUs > 0 ? this.native.nfRecv(this.h.handle, b.off, b.len, b.metaOff, waitUs) : this.native.nfRecv(this.h.handle, b.off, b.len, b.metaOff);
    if (b.n) b.actions.fill(Action.NEXT, 0, b.n);
    return b.n;
  }
  /** Applies actions/dests of the current batch (DROP frees, others go back to the manager). */
  send(withDests = false): number {
    const b = this.batch;
    const n = this.native.nfSend(this.h.handle, b.actions, withDests ? b.dests : null);
    b.n = 0;
    return n;
  }
  stopping(): boolean { return this.native.nfStopping(this.h.handle); }
  heartbeat(): void { this.native.nfHeartbeat(this.h.handle); }
  pollMessage(): NfMessage | null { return this.native.nfPollMsg(this.h.handle); }
  sendMessage(type: number, args: number[] = [], text = ''): number { return this.native.nfSendMsg(this.h.handle, type, args, text); }
  stats(): { rx: number; tx: number; dropped: number } { return this.native.nfStats(this.h.handle); }

  /** Batch loop until STOP (message, SIGTERM) or stop(): handler(batch) sets batch.actions. Yields to the event loop regularly. */
  async run(handler: (b: NfBatch) => void, o: TsNfRunOptions = {}): Promise<void> {
    this.ready();
    const per = o.batchesPerTurn ?? 64;
    let idle = 0;
    let lastHb = 0;
    const waitUs = o.idleWaitUs ?? 1000;
    while (!this.closed && !this.stopping()) {
      let did = 0;
      for (let k = 0; k < per; k++) {
        const n = this.recv(k === 0 ? waitUs : 0);
        if (!n) break;
        handler(this.batch);
        this.send(true);
        did++;
      }
      const now = Date.now();
      if (now !== lastHb) {
        lastHb = now;
        this.heartbeat();
        for (let m = this.pollMessage(); m; m = this.pollMessage()) if (m.type !== MsgType.STOP) o.onMessage?.(m);
        o.onTick?.();
      }
      if (did) {
        idle = 0;
        await new Promise<void>((r) => setImmediate(r));
      } else {
        idle++;
        // nothing for waitUs: let the event loop run; after ~100 empty turns sleep 1 ms per turn
        await new Promise<void>((r) => (idle < 100 ? setImmediate(r) : setTimeout(r, 1)));
      }
    }
  }

  /** Detaches (sends STOPPING); `cleanupEal` also runs rte_eal_cleanup (NF processes). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.native.nfClose(this.h.handle, this.ownEal);
  }
}

export const repoRoot = (): string => resolve(nativeDir(), '..');
