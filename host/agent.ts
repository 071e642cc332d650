// The host agent: runs this host's data-plane manager (native/, DPDK primary) from a config, starts and
// stops NF processes (DPDK secondaries) on request, and reports stats per port and per NF instance.
// It implements the NfRunner surface that host/cluster-sync.ts drives from ZooKeeper assignments.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { hostname } from 'node:os';
import { EventEmitter } from 'node:events';
import YAML from 'yaml';
import {
  DataplaneManager, MsgType, NF_BIN_DIR, repoRoot,
  type ClassifierRule, type ManagerOptions, type ManagerStats, type NativeEvent,
} from '../native/index.js';
import type { NfCounters, NfRunner, NfSpec, RunningNf } from './cluster-sync.js';
import type { FirewallConfig } from '../cluster/schemas.js';
import { renderFirewallRules } from './firewall-rules.js';

export type NfKind = 'native' | 'typescript' | 'process';

/** What to start: NfSpec (cluster) plus local extras. */
export interface NfStartSpec {
  service: string;
  serviceId: number;
  index?: number;
  kind: NfKind;
  /** native: a binary name in native/build/bin (default: the service name) or a path; typescript: a .ts/.js file
   *  (default native/ts-nf/flow-tracker.ts); process: an executable path. */
  image?: string;
  /** NF arguments after `-- --instance N`. */
  args?: string[];
  /** Turned into `--key value` arguments (true → `--key`). */
  config?: Record<string, string | number | boolean>;
  /** The service's firewall rules (REST `config.firewall`): rendered into `<runDir>/fw-<instance>.rules`, passed as
   *  `--rules FILE` after every other argument, reloaded by `reconfigureNf`. Absent: the image's own rules. */
  firewall?: FirewallConfig;
  /** Force the instance id (1..127); default: lowest free. */
  instanceId?: number;
  ringSize?: number;
  /** How long to wait for the NF to report ready (default 30 s). */
  readyTimeoutMs?: number;
}

export interface PathConfig { id: number; services: (number | string)[]; outPort?: number | string }

/** The manager options a host config passes straight through (documented on ManagerOptions). `ports` are DPDK
 *  device strings, the first being the uplink to the switch: net_af_packet0,iface=veth0 / net_null0 / 0000:03:00.0 / ring:NAME. */
type ManagerPassThrough = Pick<ManagerOptions,
  'ports' | 'cpus' | 'lcores' | 'mbufs' | 'ringSize' | 'flowEntries' | 'flowIdleMs' | 'heartbeatTimeoutMs' | 'busyPoll'>;

export interface HostConfig extends ManagerPassThrough {
  hostId?: string;
  /** DPDK --file-prefix (default rv-<hostId>); unique per manager on a machine. */
  filePrefix?: string;
  hugepages?: false | { dir?: string; sizeMb?: number };
  /** service name → numeric id (ids also come with each NF spec). */
  services?: Record<string, number>;
  paths?: PathConfig[];
  defaultPath?: number;
  rules?: ClassifierRule[];
  /** NFs started at boot. */
  nfs?: NfStartSpec[];
  /** VXLAN: this host's MAC/tunnel IP and the registered peers (see vxlan/). */
  vxlan?: { mac: string; ip: string; tunnels?: { ip: string; mac: string }[]; remoteServices?: { service: number | string; mac: string; ip: string }[] };
  /** Unix socket of the local control API (JSON lines). Default /tmp/rackvisor-host-<hostId>.sock; null = none. */
  controlSocket?: string | null;
  /** The agent's own files (rendered firewall rules, one per instance, removed with it); created when first needed,
   *  removed at stop when empty. Default /tmp/rv-run-<filePrefix>. */
  runDir?: string;
}

export interface NfRecord {
  instanceId: number;
  service: string;
  serviceId: number;
  index: number;
  kind: NfKind;
  pid?: number;
  state: 'starting' | 'running' | 'stopping' | 'failed';
  startedAt: number;
  exitCode?: number | null;
  signal?: string | null;
  output: string[];
  cmd: string[];
  /** The rendered firewall rules this instance reads (removed with the instance). */
  rulesFile?: string;
  /** The firewall configuration it runs (JSON), undefined = the image's own rules. */
  firewall?: string;
}

export interface HostNfStats {
  instanceId: number; service: string; serviceId: number; index: number; kind: NfKind; state: string; pid: number;
  rx: number; tx: number; dropped: number; rxBytes: number; txBytes: number; rxPps: number; txPps: number;
  rxRing: number; txRing: number; ringSize: number; ringFill: number; rxRingFull: number; heartbeatAgeMs: number; routed: boolean;
}
export interface HostPortStats { id: number; name: string; rx: number; tx: number; rxPps: number; txPps: number; imissed: number; oerrors: number }
export interface HostStats {
  hostId: string; time: number; lcores: string;
  ports: HostPortStats[];
  drops: Record<string, number>;
  nfs: HostNfStats[];
  flows: ManagerStats['flows'];
  vxlan: ManagerStats['vxlan'];
  pool: ManagerStats['pool'];
}

/** af_packet socket options the agent gives a `net_af_packet` port unless its device string sets them: TX bypasses
 *  the qdisc layer, and 16384 frames of 2 KiB per ring (DPDK's default is 512) ride out the scheduling gaps of a
 *  shared machine — 32 MiB of kernel memory per ring, one RX and one TX ring per port. The `vxlan` benchmark
 *  measured its hop with these options (host/README.md, "Ports"). */
export const AF_PACKET_DEFAULTS: Readonly<Record<string, string>> = { qdisc_bypass: '1', framecnt: '16384', blocksz: '4096', framesz: '2048' };

/** A DPDK device string with the agent's defaults added: af_packet ports get AF_PACKET_DEFAULTS for every key the
 *  string does not give (`net_af_packet0,iface=eth0,framecnt=512` keeps its 512); other ports are returned as given. */
export function withPortDefaults(dev: string): string {
  if (!/^(net_|eth_)af_packet\d*(,|$)/.test(dev)) return dev;
  const keys = new Set(dev.split(',').slice(1).map((kv) => kv.split('=')[0]!.trim()));
  const add = Object.entries(AF_PACKET_DEFAULTS).filter(([k]) => !keys.has(k)).map(([k, v]) => `${k}=${v}`);
  return add.length ? `${dev},${add.join(',')}` : dev;
}

export function loadHostConfig(file: string): HostConfig {
  const text = readFileSync(file, 'utf8');
  const cfg = (file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text)) as HostConfig;
  if (!cfg || !Array.isArray(cfg.ports)) throw new Error(`${file}: "ports" (DPDK device strings) is required`);
  return cfg;
}

/** NF instance ids 1..125: each NF process runs as DPDK lcore 2 + id (native/nflib, RV_NF_LCORE_BASE), below RTE_MAX_LCORE 128. */
const MAX_INSTANCE_ID = 125;
const keyOf = (service: string, index: number): string => `${service}:${index}`;

export class HostAgent extends EventEmitter implements NfRunner {
  readonly hostId: string;
  readonly manager: DataplaneManager;
  /** The agent's own files (rendered firewall rules). */
  readonly runDir: string;
  private readonly nfs = new Map<number, NfRecord>();
  private readonly procs = new Map<number, ChildProcess>();
  private readonly exits = new Map<number, Promise<void>>();
  private readonly services = new Map<string, number>();
  private last: { t: number; s: ManagerStats } | undefined;
  private prev: { t: number; s: ManagerStats } | undefined;
  private stopping = false;
  server?: { close(): Promise<void>; path: string };

  private constructor(readonly config: HostConfig, manager: DataplaneManager, hostId: string) {
    super();
    this.manager = manager;
    this.hostId = hostId;
    this.runDir = config.runDir ?? `/tmp/rv-run-${config.filePrefix ?? `rv-${hostId}`}`;
    for (const [k, v] of Object.entries(config.services ?? {})) this.services.set(k, v);
    manager.on('event', (e: NativeEvent) => this.onEvent(e));
  }

  /** Starts the manager (DPDK primary) from the config, applies paths/rules, starts the configured NFs. */
  static async start(config: HostConfig): Promise<HostAgent> {
    const hostId = config.hostId ?? hostname();
    const manager = await DataplaneManager.start({
      filePrefix: config.filePrefix ?? `rv-${hostId}`,
      ports: config.ports.map(withPortDefaults),
      hugepages: config.hugepages === false ? false : { dir: config.hugepages?.dir, sizeMb: config.hugepages?.sizeMb },
      cpus: config.cpus, lcores: config.lcores, mbufs: config.mbufs, ringSize: config.ringSize,
      flowEntries: config.flowEntries, flowIdleMs: config.flowIdleMs, heartbeatTimeoutMs: config.heartbeatTimeoutMs,
      busyPoll: config.busyPoll,
    });
    const agent = new HostAgent(config, manager, hostId);
    try {
      for (const p of config.paths ?? []) agent.setPath(p);
      if (config.rules) manager.setRules(config.rules);
      if (config.defaultPath !== undefined) manager.setDefaultPath(config.defaultPath);
      if (config.vxlan) {
        manager.native.setVxlanLocal(config.vxlan.mac, config.vxlan.ip);
        for (const t of config.vxlan.tunnels ?? []) manager.native.setTunnel(t.ip, t.mac);
        for (const r of config.vxlan.remoteServices ?? []) manager.native.setRemoteService(agent.serviceId(r.service), true, r.mac, r.ip);
      }
      for (const nf of config.nfs ?? []) await agent.startNf(nf);
    } catch (e) {
      await agent.stop();
      throw e;
    }
    return agent;
  }

  serviceId(s: number | string): number {
    if (typeof s === 'number') return s;
    const id = this.services.get(s);
    if (id === undefined) throw new Error(`unknown service ${s} (declare it under "services" or start one of its NFs)`);
    return id;
  }

  setPath(p: PathConfig): void {
    const out = p.outPort === undefined ? undefined : typeof p.outPort === 'number' ? p.outPort : this.manager.portId(p.outPort);
    this.manager.setPath(p.id, p.services.map((s) => this.serviceId(s)), out);
  }

  private onEvent(e: NativeEvent): void {
    const r = this.nfs.get(e.instance);
    if (r) {
      if (e.type === 'ready' && r.state === 'starting') r.state = 'running';
      else if (e.type === 'stopping' && r.state !== 'failed') r.state = 'stopping';
      else if (e.type === 'dead' && r.state !== 'stopping') r.state = 'failed';
    }
    this.emit('nf-event', e);
  }

  private freeId(): number {
    for (let id = 1; id <= MAX_INSTANCE_ID; id++) if (!this.nfs.has(id)) return id;
    throw new Error(`no free NF instance id (${MAX_INSTANCE_ID} in use)`);
  }

  private command(spec: NfStartSpec, id: number, rulesFile?: string): string[] {
    const extra = [...(spec.args ?? [])];
    for (const [k, v] of Object.entries(spec.config ?? {})) {
      if (v === false) continue;
      extra.push(`--${k}`);
      if (v !== true) extra.push(String(v));
    }
    if (rulesFile) extra.push('--rules', rulesFile);
    const tail = [...this.manager.nfEalArgs(), '--', '--instance', String(id), ...extra];
    if (spec.kind === 'typescript') {
      const f = spec.image ?? 'native/ts-nf/flow-tracker.ts';
      const file = isAbsolute(f) ? f : join(repoRoot(), f);
      return [process.execPath, ...(file.endsWith('.ts') ? ['--import', 'tsx'] : []), file, ...tail];
    }
    const img = spec.image ?? spec.service;
    const bin = spec.kind === 'native' && !img.includes('/') ? join(NF_BIN_DIR(), img) : img;
    if (!existsSync(bin)) throw new Error(`NF binary not found: ${bin} (make -C native)`);
    return [bin, ...tail];
  }

  /** Starts one NF instance (idempotent on service:index while it runs); resolves when it reports ready. */
  async startNf(spec: NfSpec | NfStartSpec): Promise<RunningNf> {
    if (this.stopping) throw new Error('agent is stopping');
    const s = spec as NfStartSpec;
    const index = s.index ?? this.nextIndex(s.service);
    const existing = [...this.nfs.values()].find((r) => r.service === s.service && r.index === index);
    if (existing && existing.state !== 'failed') return this.running(existing);
    if (existing) await this.removeRecord(existing.instanceId);
    this.services.set(s.service, s.serviceId);
    const id = s.instanceId ?? this.freeId();
    if (this.nfs.has(id)) throw new Error(`instance id ${id} is in use`);
    const rules = s.firewall ? renderFirewallRules(s.firewall) : undefined;
    const rulesFile = rules === undefined ? undefined : this.rulesFile(id);
    const cmd = this.command(s, id, rulesFile);
    if (rulesFile) this.writeRules(rulesFile, rules!);
    this.manager.createInstance(id, s.serviceId, `${s.service}:${index}`, s.ringSize ?? 0);
    const rec: NfRecord = {
      instanceId: id, service: s.service, serviceId: s.serviceId, index, kind: s.kind, state: 'starting', startedAt: Date.now(), output: [], cmd,
      rulesFile, firewall: rules,
    };
    this.nfs.set(id, rec);
    const p = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    rec.pid = p.pid;
    this.procs.set(id, p);
    const keep = (d: Buffer): void => {
      for (const line of d.toString().split('\n')) if (line) rec.output.push(line);
      if (rec.output.length > 200) rec.output.splice(0, rec.output.length - 200);
    };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    this.exits.set(id, new Promise<void>((resolve) => {
      p.on('exit', (code, signal) => {
        rec.exitCode = code;
        rec.signal = signal;
        if (rec.state !== 'stopping') rec.state = 'failed';
        if (this.procs.get(id) === p) this.procs.delete(id);
        try { this.manager.instanceExited(id, p.pid); } catch { /* manager stopped */ }
        this.emit('nf-exit', { ...rec, output: [] });
        resolve();
      });
      p.on('error', (err) => { rec.output.push(String(err)); rec.state = 'failed'; resolve(); });
    }));
    try {
      const early = this.exits.get(id)!;
      await Promise.race([
        this.manager.waitState(id, 'running', s.readyTimeoutMs ?? 30000),
        early.then(() => { throw new Error(`process exited (code ${rec.exitCode ?? '-'}, signal ${rec.signal ?? '-'})`); }),
      ]);
      if (rec.state === 'starting') rec.state = 'running';
    } catch (e) {
      await this.stopNfById(id, 500).catch(() => undefined);
      throw new Error(`NF ${s.service}:${index} did not become ready: ${(e as Error).message}; output: ${rec.output.slice(-5).join(' | ')}`);
    }
    return this.running(rec);
  }

  private nextIndex(service: string): number {
    const used = new Set([...this.nfs.values()].filter((r) => r.service === service).map((r) => r.index));
    let i = 0;
    while (used.has(i)) i++;
    return i;
  }

  private running(r: NfRecord): RunningNf {
    return { service: r.service, index: r.index, instanceId: r.instanceId, pid: r.pid, state: r.state, firewallRules: r.firewall };
  }

  /** `<runDir>/fw-<instance>.rules`; short, because the reload message (`rules=PATH`) carries at most 87 bytes. */
  private rulesFile(id: number): string {
    const f = join(this.runDir, `fw-${id}.rules`);
    if (f.length > 80) throw new Error(`rules file path too long for the reload message: ${f} (set a shorter runDir)`);
    return f;
  }

  /** Written to a temporary file and renamed over: the NF never reads a half-written file. */
  private writeRules(file: string, text: string): void {
    mkdirSync(this.runDir, { recursive: true, mode: 0o755 });
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  }

  /**
   * Gives a running firewall instance new rules without a restart: the rendered file is replaced and a CONFIG
   * message `rules=FILE` makes the NF build a new ACL and swap it in (native/nfs/firewall); resolves when the NF
   * reported `rules reloaded`, throws with its reason otherwise (the NF keeps its previous rules then).
   * `firewall` undefined is refused: the image's own rules can only come back by restarting the instance.
   */
  async reconfigureNf(service: string, index: number, firewall: FirewallConfig | undefined, timeoutMs = 5000): Promise<RunningNf> {
    const r = [...this.nfs.values()].find((x) => x.service === service && x.index === index);
    if (!r || r.state !== 'running') throw new Error(`NF ${service}:${index} is not running`);
    if (!firewall) throw new Error(`NF ${service}:${index}: no firewall rules to reload (restart it for the image's own rules)`);
    const rules = renderFirewallRules(firewall);
    if (rules === r.firewall) return this.running(r);
    const file = r.rulesFile ?? this.rulesFile(r.instanceId);
    this.writeRules(file, rules);
    r.rulesFile = file;
    // the answer arrives with the manager's next control poll (a timer): listening after sending misses nothing
    const rc = this.configureNf(r.instanceId, `rules=${file}`);
    if (rc < 0) throw new Error(`NF ${service}:${index}: CONFIG message not sent (rc ${rc})`);
    const answer = new Promise<NativeEvent>((resolve, reject) => {
      const done = (e?: NativeEvent, err?: Error): void => {
        clearTimeout(timer);
        this.off('nf-event', on);
        this.off('nf-exit', gone);
        if (e) resolve(e); else reject(err!);
      };
      const on = (e: NativeEvent): void => { if (e.instance === r.instanceId && e.type === 'log' && e.text.startsWith('firewall: r')) done(e); };
      const gone = (x: NfRecord): void => { if (x.instanceId === r.instanceId) done(undefined, new Error('process exited')); };
      const timer = setTimeout(() => done(undefined, new Error(`no answer within ${timeoutMs} ms (not a firewall NF?)`)), timeoutMs);
      this.on('nf-event', on);
      this.on('nf-exit', gone);
    });
    const e = await answer.catch((err: Error) => { throw new Error(`NF ${service}:${index}: rules not reloaded: ${err.message}`); });
    if (!e.text.startsWith('firewall: rules reloaded')) throw new Error(`NF ${service}:${index}: ${e.text}`);
    r.firewall = rules;
    return this.running(r);
  }

  /** STOP over the message ring, wait for exit (graceMs), then SIGKILL; frees the instance's rings. */
  async stopNfById(id: number, graceMs = 3000): Promise<void> {
    const r = this.nfs.get(id);
    if (!r) return;
    const p = this.procs.get(id);
    if (p) {
      r.state = 'stopping';
      try { this.manager.stopInstance(id); } catch { /* ring gone */ }
      const exited = this.exits.get(id)!;
      const t = setTimeout(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM'); }, graceMs);
      const t2 = setTimeout(() => { if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL'); }, graceMs * 2);
      await exited;
      clearTimeout(t);
      clearTimeout(t2);
    }
    await this.removeRecord(id);
  }

  private async removeRecord(id: number): Promise<void> {
    this.manager.pollControl();
    const rc = this.manager.destroyInstance(id);
    if (rc !== 0 && rc !== -2 /* ENOENT */) {
      await new Promise((r) => setTimeout(r, 100));
      this.manager.pollControl();
      this.manager.destroyInstance(id);
    }
    const rec = this.nfs.get(id);
    if (rec?.rulesFile) rmSync(rec.rulesFile, { force: true });
    this.nfs.delete(id);
    this.exits.delete(id);
  }

  async stopNf(service: string, index: number): Promise<void> {
    const r = [...this.nfs.values()].find((x) => x.service === service && x.index === index);
    if (r) await this.stopNfById(r.instanceId);
  }

  async listNfs(): Promise<RunningNf[]> {
    this.manager.pollControl();
    return [...this.nfs.values()].map((r) => this.running(r));
  }

  records(): NfRecord[] { return [...this.nfs.values()].map((r) => ({ ...r, output: [...r.output] })); }

  /** Host stats with rates (pps from the previous call, or over `sampleMs` when given). */
  async hostStats(sampleMs = 0): Promise<HostStats> {
    this.manager.pollControl();
    if (sampleMs > 0) {
      this.prev = { t: performance.now(), s: this.manager.stats() };
      await new Promise((r) => setTimeout(r, sampleMs));
    }
    const now = performance.now();
    const s = this.manager.stats();
    const base = sampleMs > 0 ? this.prev : this.last;
    this.prev = this.last;
    this.last = { t: now, s };
    const dt = base ? (now - base.t) / 1000 : 0;
    const rate = (a: number, b: number | undefined): number => (dt > 0 && b !== undefined ? Math.max(0, (a - b) / dt) : 0);
    const nfs: HostNfStats[] = s.nfs.map((n) => {
      const r = this.nfs.get(n.instance);
      const b = base?.s.nfs.find((x) => x.instance === n.instance && x.pid === n.pid);
      return {
        instanceId: n.instance, service: r?.service ?? n.name, serviceId: n.service, index: r?.index ?? 0, kind: r?.kind ?? 'process',
        state: r?.state === 'failed' ? 'failed' : n.state, pid: n.pid, rx: n.rx, tx: n.tx, dropped: n.dropped, rxBytes: n.rxBytes, txBytes: n.txBytes,
        rxPps: rate(n.rx, b?.rx), txPps: rate(n.tx, b?.tx), rxRing: n.rxRing, txRing: n.txRing, ringSize: n.ringSize,
        ringFill: n.ringSize ? n.rxRing / (n.ringSize - 1) : 0, rxRingFull: n.rxRingFull, heartbeatAgeMs: n.heartbeatAgeMs, routed: n.routed,
      };
    });
    const ports: HostPortStats[] = s.ports.map((p) => {
      const b = base?.s.ports.find((x) => x.id === p.id);
      return { id: p.id, name: p.name, rx: p.rx, tx: p.tx, rxPps: rate(p.rx, b?.rx), txPps: rate(p.tx, b?.tx), imissed: p.imissed ?? 0, oerrors: p.oerrors ?? 0 };
    });
    return { hostId: this.hostId, time: Date.now(), lcores: s.lcores.layout, ports, drops: s.drops, nfs, flows: s.flows, vxlan: s.vxlan, pool: s.pool };
  }

  /** NfRunner.stats for cluster-sync: cumulative counters per instance. */
  async stats(): Promise<NfCounters[]> {
    const s = this.manager.stats();
    const out: NfCounters[] = [];
    for (const n of s.nfs) {
      const r = this.nfs.get(n.instance);
      if (!r) continue;
      out.push({ service: r.service, index: r.index, rxPkts: n.rx, txPkts: n.tx, dropPkts: n.dropped + n.rxRingFull,
        rxBytes: n.rxBytes, txBytes: n.txBytes, ringFill: n.ringSize ? n.rxRing / (n.ringSize - 1) : 0 });
    }
    return out;
  }

  /** Sends a CONFIG message (text) to an instance. */
  configureNf(id: number, text: string): number { return this.manager.sendMessage(id, MsgType.CONFIG, [], text); }

  /** Clean shutdown: STOP to every NF (then SIGKILL stragglers), manager + EAL stop, /var/run/dpdk/<prefix> removed, hugetlbfs unmounted. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await Promise.all([...this.nfs.keys()].map((id) => this.stopNfById(id, 2000).catch(() => undefined)));
    if (this.server) await this.server.close().catch(() => undefined);
    await this.manager.stop();
    try { rmdirSync(this.runDir); } catch { /* absent, or holds files that are not the agent's */ }
    this.emit('stopped');
  }

  keyOf(service: string, index: number): string { return keyOf(service, index); }
}
