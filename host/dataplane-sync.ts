// The agent's data-plane side of ZooKeeper: watches hosts, services, instances, assignments and policy/chains and
// programs this host's manager with what host/dataplane-derive.ts computes from them (VXLAN endpoint, tunnel table,
// service paths, remote services, classifier rules + default path). Idempotent and incremental: every relevant
// change re-derives the whole configuration and applies only the difference to what was applied before; NFs are
// never restarted (they are cluster-sync's business), flows are only flushed when the classifier changed.
// Nothing on the packet path waits for this: the manager swaps an immutable routing snapshot.
import { EventEmitter } from 'node:events';
import type { ClusterStore } from '../cluster/store.js';
import { LiveView } from '../cluster/view.js';
import type { ClassifierRule } from '../native/index.js';
import { deriveDataplane, type DataplaneConfig } from './dataplane-derive.js';

/** The manager calls the sync needs (DataplaneManager + its native addon implement them; see managerTarget()). */
export interface DataplaneTarget {
  setVxlanLocal(mac: string | null, ip?: string): void;
  setTunnel(ip: string, mac: string | null, remove?: boolean): number;
  setPath(id: number, services: number[]): void;
  deletePath(id: number): number;
  setRemoteService(service: number, enable: boolean, mac?: string, ip?: string): number;
  setRules(rules: ClassifierRule[]): void;
  setDefaultPath(id: number): void;
  flowClear(): number;
}

export interface ManagerLike {
  setPath(id: number, services: number[], outPort?: number): void;
  deletePath(id: number): number;
  setRules(rules: ClassifierRule[]): void;
  setDefaultPath(id: number): void;
  native: Pick<DataplaneTarget, 'setVxlanLocal' | 'setTunnel' | 'setRemoteService' | 'flowClear'>;
}

export function managerTarget(m: ManagerLike): DataplaneTarget {
  return {
    setVxlanLocal: (mac, ip) => m.native.setVxlanLocal(mac, ip),
    setTunnel: (ip, mac, remove) => m.native.setTunnel(ip, mac, remove),
    setPath: (id, services) => m.setPath(id, services),
    deletePath: (id) => m.deletePath(id),
    setRemoteService: (s, on, mac, ip) => m.native.setRemoteService(s, on, mac, ip),
    setRules: (r) => m.setRules(r),
    setDefaultPath: (id) => m.setDefaultPath(id),
    flowClear: () => m.native.flowClear(),
  };
}

export interface DataplaneSyncOptions {
  store: ClusterStore;
  self: { id: string; mac: string; tunnelIp: string };
  target: DataplaneTarget;
  /** Program classifier rules + default path (default true). False when the host config sets them statically. */
  classifier?: boolean;
  /** Coalescing delay after a change (ms, default 10). */
  debounceMs?: number;
  log?: (level: 'info' | 'warn', msg: string) => void;
}

/** What one apply changed (counts of calls made on the manager). */
export interface ApplyResult {
  local: boolean;
  tunnels: { set: number; removed: number };
  paths: { set: number; deleted: number };
  remote: { set: number; disabled: number };
  classifier: boolean;
  config: DataplaneConfig;
}

export interface DataplaneView {
  local: { mac: string; ip: string };
  tunnels: Array<{ ip: string; mac: string }>;
  paths: Array<{ id: number; services: number[] }>;
  remoteServices: Array<{ service: number; host: string; mac: string; ip: string }>;
  rules: ClassifierRule[];
  defaultPath: number;
  ingress: string[];
  problems: string[];
  changes: number;
}

export interface DataplaneSyncEvents {
  applied: [ApplyResult];
  error: [Error];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export class DataplaneSync extends EventEmitter<DataplaneSyncEvents> {
  private view: LiveView | undefined;
  private last: DataplaneConfig | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly problemsSeen = new Set<string>();
  /** number of applies that changed something */
  changes = 0;

  constructor(private readonly opts: DataplaneSyncOptions) {
    super();
  }

  /** The configuration currently applied. */
  get applied(): DataplaneConfig | undefined { return this.last; }

  /** The applied configuration as plain JSON (control socket `dataplane`, `rackvisor host dataplane`). */
  describe(): DataplaneView | null {
    const c = this.last;
    if (!c) return null;
    return {
      local: c.local,
      tunnels: [...c.tunnels].map(([ip, mac]) => ({ ip, mac })),
      paths: [...c.paths].map(([id, services]) => ({ id, services })),
      remoteServices: [...c.remote].map(([service, r]) => ({ service, ...r })),
      rules: c.rules, defaultPath: c.defaultPath, ingress: c.ingress, problems: c.problems, changes: this.changes,
    };
  }

  private log(level: 'info' | 'warn', msg: string): void { this.opts.log?.(level, `[dataplane-sync ${this.opts.self.id}] ${msg}`); }

  private report(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    this.log('warn', err.message);
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  async start(): Promise<void> {
    const view = new LiveView(this.opts.store, { hosts: true, services: true, instances: true, assignments: true, policy: true, stats: false });
    this.view = view;
    view.on('error', (e) => this.report(e));
    view.on('change', (ev) => { if (ev.kind !== 'stats' && ev.kind !== 'tenants') this.schedule(); });
    await view.start();
    this.tryApply();
  }

  schedule(delay = this.opts.debounceMs ?? 10): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tryApply();
    }, delay);
  }

  /** applyNow(); a failure is reported and retried after a second (what was applied before stays in place). */
  private tryApply(): void {
    try {
      this.applyNow();
    } catch (e) {
      this.report(e);
      this.schedule(1000);
    }
  }

  /** Derives the configuration from the live view and applies the difference now. */
  applyNow(): ApplyResult | undefined {
    const v = this.view;
    if (!v || this.stopped) return undefined;
    const cfg = deriveDataplane({
      self: this.opts.self, hosts: v.hosts(), services: v.services(), chains: v.chains()?.chains ?? [],
      instances: v.instances(), assignments: v.assignments(),
    });
    for (const p of cfg.problems) if (!this.problemsSeen.has(p)) { this.problemsSeen.add(p); this.log('warn', p); }
    return this.apply(cfg);
  }

  private apply(cfg: DataplaneConfig): ApplyResult {
    const t = this.opts.target;
    const prev = this.last;
    const res: ApplyResult = { local: false, tunnels: { set: 0, removed: 0 }, paths: { set: 0, deleted: 0 }, remote: { set: 0, disabled: 0 }, classifier: false, config: cfg };
    if (!prev || !same(prev.local, cfg.local)) { t.setVxlanLocal(cfg.local.mac, cfg.local.ip); res.local = true; }
    for (const [ip, mac] of cfg.tunnels) {
      if (prev?.tunnels.get(ip) === mac) continue;
      const rc = t.setTunnel(ip, mac);
      if (rc < 0) this.report(new Error(`setTunnel ${ip} ${mac}: ${rc}`));
      else res.tunnels.set++;
    }
    for (const ip of prev?.tunnels.keys() ?? []) if (!cfg.tunnels.has(ip)) { t.setTunnel(ip, null, true); res.tunnels.removed++; }
    // paths before remote services and rules: the VNI table accepts a path's VNIs once it exists
    for (const [id, svcs] of cfg.paths) {
      if (prev && same(prev.paths.get(id), svcs)) continue;
      t.setPath(id, svcs);
      res.paths.set++;
    }
    for (const [s, r] of cfg.remote) {
      const p = prev?.remote.get(s);
      if (p && p.mac === r.mac && p.ip === r.ip) continue;
      const rc = t.setRemoteService(s, true, r.mac, r.ip);
      if (rc < 0) this.report(new Error(`setRemoteService ${s}: ${rc}`));
      else res.remote.set++;
    }
    for (const s of prev?.remote.keys() ?? []) if (!cfg.remote.has(s)) { t.setRemoteService(s, false); res.remote.disabled++; }
    if (this.opts.classifier !== false && (!prev || !same(prev.rules, cfg.rules) || prev.defaultPath !== cfg.defaultPath)) {
      t.setRules(cfg.rules);
      t.setDefaultPath(cfg.defaultPath);
      // cached flow → path decisions were taken under the old rules
      if (prev) t.flowClear();
      res.classifier = true;
    }
    // a path deleted last: nothing refers to it any more
    for (const id of prev?.paths.keys() ?? []) if (!cfg.paths.has(id)) { t.deletePath(id); res.paths.deleted++; }
    this.last = cfg;
    const changed = res.local || res.classifier || res.tunnels.set + res.tunnels.removed + res.paths.set + res.paths.deleted + res.remote.set + res.remote.disabled > 0;
    if (changed) {
      this.changes++;
      this.log('info', `applied: paths [${[...cfg.paths].map(([id, s]) => `${id}=${s.join('>')}`).join(' ')}] tunnels ${cfg.tunnels.size} ` +
        `remote [${[...cfg.remote].map(([s, r]) => `${s}@${r.host}`).join(' ')}] ingress [${cfg.ingress.join(' ')}] default ${cfg.defaultPath}`);
    }
    this.emit('applied', res);
    return res;
  }

  /** Stops watching. The manager keeps its configuration (the data plane keeps forwarding). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.view?.close();
  }
}
