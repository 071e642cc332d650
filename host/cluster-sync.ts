// The host agent's ZooKeeper side: registers the host (ephemeral), watches assignments/<host> and
// starts/stops NF instances through an NfRunner until the running set matches (idempotent
// reconciliation, retried on failure), registers every running instance (ephemeral) and publishes
// per-instance stats about once a second in one pipelined batch. It also watches the services it runs:
// a firewall service's REST rules (`config.firewall`) go to its instances at start (NfSpec.firewall) and,
// when they change, to the running instances without a restart (NfRunner.reconfigureNf).
//
// Nothing here is on the packet path: the runner (the native manager) never waits for ZooKeeper; this
// module only reads its counters and tells it what to run.
import { EventEmitter } from 'node:events';
import { ClusterStore, type StoreOptions } from '../cluster/store.js';
import { statsKey } from '../cluster/layout.js';
import { watchNode } from '../cluster/view.js';
import { decode, type AssignedInstance, type AssignmentDoc, type FirewallConfig, type HostRecord, type ServiceRecord } from '../cluster/schemas.js';
import { renderFirewallRules } from './firewall-rules.js';

/** What to start: one instance of a service. */
export interface NfSpec {
  service: string;
  serviceId: number;
  index: number;
  kind: ServiceRecord['kind'];
  image?: string;
  config?: Record<string, string | number | boolean>;
  /** The service's firewall rules (`config.firewall`), absent = the image's own rules. */
  firewall?: FirewallConfig;
}

/** One NF instance the runner has (running or starting). */
export interface RunningNf {
  service: string;
  index: number;
  instanceId?: number;
  pid?: number;
  state?: 'starting' | 'running' | 'stopping' | 'failed';
  /** The firewall rules it runs, as rendered by host/firewall-rules.ts; undefined = the image's own rules. */
  firewallRules?: string;
}

/** Counters of one NF instance (cumulative since it started). */
export interface NfCounters {
  service: string;
  index: number;
  rxPkts: number;
  txPkts: number;
  dropPkts: number;
  rxBytes: number;
  txBytes: number;
  /** RX ring occupancy 0..1 */
  ringFill: number;
}

/**
 * The agent's NF control surface (implemented by the host agent over the native manager; tests use a fake).
 * startNf/stopNf must be idempotent: starting a running instance or stopping an absent one succeeds.
 */
export interface NfRunner {
  startNf(spec: NfSpec): Promise<RunningNf>;
  stopNf(service: string, index: number): Promise<void>;
  listNfs(): Promise<RunningNf[]>;
  stats(): Promise<NfCounters[]>;
  /** Hands new firewall rules to a running instance (no restart). Without it, a change restarts the instance. */
  reconfigureNf?(service: string, index: number, firewall: FirewallConfig): Promise<RunningNf>;
}

export interface ClusterSyncOptions {
  /** An open store, or the options to open one. */
  store: ClusterStore | StoreOptions;
  host: Omit<HostRecord, 'v' | 'startedAt'>;
  runner: NfRunner;
  /** Stats publication period (default 1000 ms). 0 disables publication. */
  statsIntervalMs?: number;
  /** Delay before retrying a failed reconciliation (default 1000 ms, doubling up to 10 s). */
  retryDelayMs?: number;
  /** How long to wait for a previous registration of this host (older session) to expire. */
  registerWaitMs?: number;
  log?: (level: 'info' | 'warn', msg: string) => void;
}

export interface ReconcileResult {
  started: string[];
  stopped: string[];
  /** running instances given their service's new firewall rules (reloaded in place, or restarted) */
  reconfigured: string[];
  failed: { instance: string; error: string }[];
  running: string[];
}

export interface ClusterSyncEvents {
  reconciled: [ReconcileResult];
  stats: [count: number, ms: number];
  error: [Error];
}

const key = (service: string, index: number): string => `${service}:${index}`;

/** What to start for an assigned instance of a service. */
function specOf(d: AssignedInstance, svc: ServiceRecord): NfSpec {
  const spec: NfSpec = { service: d.service, serviceId: svc.id, index: d.index, kind: svc.kind, image: svc.image, config: d.config };
  if (svc.config?.firewall) spec.firewall = svc.config.firewall;
  return spec;
}

export class ClusterSync extends EventEmitter<ClusterSyncEvents> {
  readonly hostId: string;
  private store!: ClusterStore;
  private ownsStore = false;
  private readonly opts: ClusterSyncOptions;
  private readonly runner: NfRunner;
  private desired: AssignedInstance[] = [];
  private assignmentVersion = -1;
  private readonly registered = new Set<string>();
  private readonly lastCounters = new Map<string, { t: number; rx: number; seq: number }>();
  private statsTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private reconciling = false;
  private pending = false;
  private stopped = false;
  private watcher: { stop(): void; ready: Promise<void> } | undefined;
  /** One watch per service of the assignment: a change of its record (e.g. its firewall rules) re-reconciles. */
  private readonly serviceWatchers = new Map<string, { stop(): void }>();
  private readonly startedAt = Date.now();
  private publishing = false;
  private inflightPublish: Promise<unknown> = Promise.resolve();

  constructor(opts: ClusterSyncOptions) {
    super();
    this.opts = opts;
    this.runner = opts.runner;
    this.hostId = opts.host.id;
    this.retryDelay = opts.retryDelayMs ?? 1000;
  }

  get clusterStore(): ClusterStore { return this.store; }
  /** The assignment currently applied (znode version, -1 = none). */
  get assignment(): { version: number; instances: AssignedInstance[] } { return { version: this.assignmentVersion, instances: [...this.desired] }; }

  private log(level: 'info' | 'warn', msg: string): void { this.opts.log?.(level, `[cluster-sync ${this.hostId}] ${msg}`); }
  private report(e: unknown): void {
    const err = e instanceof Error ? e : new Error(String(e));
    this.log('warn', err.message);
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  async start(): Promise<void> {
    if (this.opts.store instanceof ClusterStore) {
      this.store = this.opts.store;
    } else {
      this.store = await ClusterStore.open({ ...this.opts.store, onError: (e) => this.report(e) });
      this.ownsStore = true;
    }
    await this.store.ensureLayout();
    await this.store.registerHost({ ...this.opts.host, startedAt: this.startedAt }, { waitMs: this.opts.registerWaitMs });
    this.log('info', `registered as ${this.store.layout.host(this.hostId)} (session 0x${this.store.session.sessionId})`);
    // After a session replacement the ephemerals are re-created by the store; re-check the running set too.
    this.store.session.on('session', () => this.schedule());
    this.watcher = watchNode(this.store.session, this.store.layout.assignment(this.hostId), (v) => {
      try {
        const doc: AssignmentDoc | null = v ? decode('assignment', v.data, this.store.layout.assignment(this.hostId)) : null;
        this.desired = doc ? doc.instances : [];
        this.assignmentVersion = v ? v.stat.version : -1;
        this.watchServices();
        this.schedule();
      } catch (e) {
        this.report(e); // an invalid assignment is ignored: keep running what runs
      }
    }, (e) => this.report(e));
    await this.watcher.ready;
    await this.reconcileNow();
    const period = this.opts.statsIntervalMs ?? 1000;
    if (period > 0) {
      this.statsTimer = setInterval(() => { void this.publishStats(); }, period);
      this.statsTimer.unref?.();
    }
  }

  /** Keeps one watch on each service the assignment names (the first read fires too: a harmless extra pass). */
  private watchServices(): void {
    if (this.stopped) return;
    const names = new Set(this.desired.map((d) => d.service));
    for (const [name, w] of this.serviceWatchers) if (!names.has(name)) { w.stop(); this.serviceWatchers.delete(name); }
    for (const name of names) {
      if (this.serviceWatchers.has(name)) continue;
      let path: string;
      try { path = this.store.layout.service(name); } catch (e) { this.report(e); continue; }
      this.serviceWatchers.set(name, watchNode(this.store.session, path, () => this.schedule(), (e) => this.report(e)));
    }
  }

  /** Requests a reconciliation (coalesced). */
  schedule(): void {
    if (this.stopped) return;
    if (this.reconciling) { this.pending = true; return; }
    void this.reconcileNow().catch((e) => this.report(e));
  }

  /** Runs one reconciliation pass (waits for a running one to finish first). Returns what it did. */
  async reconcileNow(): Promise<ReconcileResult> {
    while (this.reconciling) await new Promise((r) => setTimeout(r, 10));
    this.reconciling = true;
    let result: ReconcileResult;
    try {
      do {
        this.pending = false;
        result = await this.reconcileOnce();
      } while (this.pending && !this.stopped);
    } finally {
      this.reconciling = false;
    }
    if (result.failed.length > 0) {
      if (!this.retryTimer && !this.stopped) {
        this.retryTimer = setTimeout(() => { this.retryTimer = undefined; this.schedule(); }, this.retryDelay);
        this.retryDelay = Math.min(this.retryDelay * 2, 10_000);
      }
    } else {
      this.retryDelay = this.opts.retryDelayMs ?? 1000;
    }
    this.emit('reconciled', result);
    return result;
  }

  private async reconcileOnce(): Promise<ReconcileResult> {
    const res: ReconcileResult = { started: [], stopped: [], reconfigured: [], failed: [], running: [] };
    if (this.stopped) return res;
    const want = new Map(this.desired.map((d) => [key(d.service, d.index), d]));
    let have: RunningNf[];
    try {
      have = await this.runner.listNfs();
    } catch (e) {
      res.failed.push({ instance: '*', error: `listNfs: ${(e as Error).message}` });
      return res;
    }
    const haveMap = new Map(have.map((r) => [key(r.service, r.index), r]));

    // Stop what is not wanted any more.
    for (const [k, r] of haveMap) {
      if (want.has(k)) continue;
      try {
        await this.unregister(r.service, r.index);
        await this.runner.stopNf(r.service, r.index);
        haveMap.delete(k);
        res.stopped.push(k);
      } catch (e) {
        res.failed.push({ instance: k, error: `stop: ${(e as Error).message}` });
      }
    }
    // Start what is missing.
    const services = new Map<string, ServiceRecord | null>();
    for (const [k, d] of want) {
      if (haveMap.has(k) && haveMap.get(k)?.state !== 'failed') continue;
      try {
        let svc = services.get(d.service);
        if (svc === undefined) {
          svc = (await this.store.getService(d.service))?.value ?? null;
          services.set(d.service, svc);
        }
        if (!svc) throw new Error(`service ${d.service} is not defined`);
        const r = await this.runner.startNf(specOf(d, svc));
        haveMap.set(k, r);
        res.started.push(k);
      } catch (e) {
        res.failed.push({ instance: k, error: `start: ${(e as Error).message}` });
      }
    }
    // Firewall rules changed in ZooKeeper: reload them into the running instances (restart if the runner cannot).
    for (const [k, d] of want) {
      const r = haveMap.get(k);
      if (!r || r.state !== 'running' || res.started.includes(k)) continue;
      try {
        let svc = services.get(d.service);
        if (svc === undefined) {
          svc = (await this.store.getService(d.service))?.value ?? null;
          services.set(d.service, svc);
        }
        if (!svc) continue; // deleted: the controller unassigns it
        const fw = svc.config?.firewall ?? undefined;
        if ((fw ? renderFirewallRules(fw) : undefined) === r.firewallRules) continue;
        if (fw && this.runner.reconfigureNf) {
          haveMap.set(k, await this.runner.reconfigureNf(d.service, d.index, fw));
        } else {
          // back to the image's own rules (or a runner without reload): a new process
          await this.runner.stopNf(d.service, d.index);
          haveMap.set(k, await this.runner.startNf(specOf(d, svc)));
        }
        res.reconfigured.push(k);
      } catch (e) {
        res.failed.push({ instance: k, error: `reconfigure: ${(e as Error).message}` });
      }
    }
    // Register every running wanted instance (idempotent: updates data if already registered).
    for (const [k, r] of haveMap) {
      if (!want.has(k)) continue;
      try {
        let svc = services.get(r.service);
        if (svc === undefined) {
          svc = (await this.store.getService(r.service))?.value ?? null;
          services.set(r.service, svc);
        }
        await this.store.registerInstance({
          service: r.service, serviceId: svc?.id ?? 0, host: this.hostId, index: r.index, state: r.state ?? 'running',
          instanceId: r.instanceId, pid: r.pid, startedAt: Date.now(),
        });
        this.registered.add(k);
        res.running.push(k);
      } catch (e) {
        res.failed.push({ instance: k, error: `register: ${(e as Error).message}` });
      }
    }
    // Registrations left over (instance vanished from the runner, e.g. crashed).
    for (const k of [...this.registered]) {
      if (haveMap.has(k) && want.has(k)) continue;
      const [service, idx] = [k.slice(0, k.lastIndexOf(':')), Number(k.slice(k.lastIndexOf(':') + 1))];
      try { await this.unregister(service, idx); } catch (e) { res.failed.push({ instance: k, error: `unregister: ${(e as Error).message}` }); }
    }
    if (res.started.length || res.stopped.length || res.reconfigured.length || res.failed.length) {
      this.log('info', `reconciled: +[${res.started.join(' ')}] -[${res.stopped.join(' ')}]${res.reconfigured.length ? ` rules [${res.reconfigured.join(' ')}]` : ''} failed ${res.failed.length}`
        + res.failed.map((f) => `; ${f.instance}: ${f.error}`).join(''));
    }
    return res;
  }

  private async unregister(service: string, index: number): Promise<void> {
    const k = key(service, index);
    this.registered.delete(k); // later publications skip it
    await this.store.unregisterInstance(service, this.hostId, index);
    await this.inflightPublish; // a publication already under way must not re-create the stats node
    await this.store.removeStats(this.hostId, statsKey(service, index));
    this.lastCounters.delete(k);
  }

  /** Reads the runner's counters and publishes them (one pipelined batch). Returns the number published. */
  async publishStats(): Promise<number> {
    if (this.stopped || this.publishing) return 0;
    const p = this.publishOnce();
    this.inflightPublish = p;
    return p;
  }

  private async publishOnce(): Promise<number> {
    this.publishing = true;
    const t0 = performance.now();
    try {
      const counters = await this.runner.stats();
      const now = Date.now();
      const recs = counters.filter((c) => this.registered.has(key(c.service, c.index))).map((c) => {
        const k = key(c.service, c.index);
        const prev = this.lastCounters.get(k);
        const dt = prev ? (now - prev.t) / 1000 : 0;
        const pps = prev && dt > 0 ? Math.max(0, (c.rxPkts - prev.rx) / dt) : 0;
        const seq = prev ? prev.seq + 1 : 0;
        this.lastCounters.set(k, { t: now, rx: c.rxPkts, seq });
        return {
          instance: statsKey(c.service, c.index), t: now, seq, rxPkts: c.rxPkts, txPkts: c.txPkts, dropPkts: c.dropPkts,
          rxBytes: c.rxBytes, txBytes: c.txBytes, pps, ringFill: Math.min(1, Math.max(0, c.ringFill)),
        };
      });
      await this.store.publishStats(this.hostId, recs);
      this.emit('stats', recs.length, performance.now() - t0);
      return recs.length;
    } catch (e) {
      this.report(e);
      return 0;
    } finally {
      this.publishing = false;
    }
  }

  /** Stops syncing: unregisters the host and instances (the NFs keep running unless stopNfs). */
  async stop(opts: { stopNfs?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.statsTimer) clearInterval(this.statsTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.watcher?.stop();
    for (const w of this.serviceWatchers.values()) w.stop();
    this.serviceWatchers.clear();
    while (this.reconciling) await new Promise((r) => setTimeout(r, 10));
    if (opts.stopNfs) {
      for (const r of await this.runner.listNfs().catch(() => [])) await this.runner.stopNf(r.service, r.index).catch(() => undefined);
    }
    if (this.store) {
      if (this.ownsStore) await this.store.close(); // the session's ephemerals vanish with it
      else {
        for (const k of [...this.registered]) {
          const i = k.lastIndexOf(':');
          await this.unregister(k.slice(0, i), Number(k.slice(i + 1))).catch(() => undefined);
        }
        await this.store.unregisterHost(this.hostId).catch(() => undefined);
      }
    }
  }
}
