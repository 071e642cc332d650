// The live view: ZooKeeper watches turned into typed change streams and in-memory maps.
//
// Watch discipline (ZooKeeper watches are one-shot):
// - every directory has one children watch and every entry one data watch per session, re-armed by the
//   read that follows each fire (never duplicated: an "armed" set per session generation);
// - connection loss: the client library re-sends the watches when it reconnects (same session), and
//   the server fires those whose node changed meanwhile, so nothing is missed;
// - session expiry: all watches are gone; on the new session the view re-lists and re-reads
//   everything, arms new watches and emits the difference (e.g. hosts that vanished meanwhile) followed
//   by a 'resync' event;
// - ordering: an update is applied only if its mzxid is newer than what the view holds, so a slow read
//   never overwrites a newer one.
import { EventEmitter } from 'node:events';
import { isZkError } from './errors.js';
import { parseInstanceKey } from './layout.js';
import { decode, type AssignmentDoc, type ChainsDoc, type HostRecord, type InstanceRecord, type ServiceRecord, type StatsRecord,
  type TenantsDoc } from './schemas.js';
import type { ClusterStore } from './store.js';
import type { ZkSession } from './session.js';
import type { ZkConnection, ZkStat } from './zk.js';

export type ChangeOp = 'added' | 'updated' | 'removed';

export type ViewEvent =
  | { kind: 'host'; op: ChangeOp; id: string; record: HostRecord }
  | { kind: 'service'; op: ChangeOp; name: string; record: ServiceRecord; version: number }
  | { kind: 'instance'; op: ChangeOp; service: string; key: string; host: string; index: number; record: InstanceRecord }
  | { kind: 'stats'; op: ChangeOp; host: string; instance: string; record: StatsRecord }
  | { kind: 'assignment'; op: ChangeOp; host: string; record: AssignmentDoc; version: number }
  | { kind: 'tenants'; op: ChangeOp; record: TenantsDoc; version: number }
  | { kind: 'chains'; op: ChangeOp; record: ChainsDoc; version: number }
  | { kind: 'resync'; generation: number };

export type ViewEventKind = ViewEvent['kind'];
type EventOf<K extends ViewEventKind> = Extract<ViewEvent, { kind: K }>;

export interface ViewEvents {
  change: [ViewEvent];
  host: [EventOf<'host'>];
  service: [EventOf<'service'>];
  instance: [EventOf<'instance'>];
  stats: [EventOf<'stats'>];
  assignment: [EventOf<'assignment'>];
  tenants: [EventOf<'tenants'>];
  chains: [EventOf<'chains'>];
  resync: [EventOf<'resync'>];
  error: [Error];
}

interface Entry<T> { rec: T; version: number; mzxid: number }

interface DirListener<T> {
  decode(name: string, data: Buffer, path: string): T | null;
  change(op: ChangeOp, name: string, e: Entry<T>): void;
  childAdded?(name: string): void;
  childRemoved?(name: string): void;
}

/** Watches one directory: its children list and (optionally) each child's data. */
class DirWatch<T> {
  readonly entries = new Map<string, Entry<T>>();
  private names = new Set<string>();
  private armedData = new Set<string>();
  private dirArmed = false;
  private recheck = false;
  private gen = 0;
  private stopped = false;

  constructor(private readonly session: ZkSession, readonly dir: string, private readonly l: DirListener<T>,
    private readonly watchData: boolean, private readonly onError: (e: unknown) => void) {}

  stop(): void { this.stopped = true; }

  private alive(gen: number): boolean { return !this.stopped && gen === this.session.generation; }

  /** (Re)synchronises from scratch on the current session. */
  async sync(): Promise<void> {
    this.gen = this.session.generation;
    this.armedData.clear();
    this.dirArmed = false;
    await this.list(true);
  }

  private run(p: () => Promise<void>): void {
    p().catch((e) => { if (!this.stopped) this.onError(e); });
  }

  private async list(refetchAll: boolean): Promise<void> {
    const gen = this.gen;
    if (!this.alive(gen)) return;
    let children: string[] | null;
    try {
      children = await this.session.retry(async (conn) => {
        if (!this.alive(gen)) return null;
        // The flag is claimed BEFORE the request: the library may deliver our reply after the watch it set
        // has already fired (and cleared the flag); setting it after the await would then lose the watch.
        const arm = !this.dirArmed;
        if (arm) this.dirArmed = true;
        const w = arm ? (ev: { type: string }): void => this.onDirEvent(gen, ev.type) : undefined;
        try {
          return await conn.getChildren(this.dir, w);
        } catch (e) {
          if (!isZkError(e, 'NO_NODE')) {
            if (arm) this.dirArmed = false; // no watch was set
            throw e;
          }
        }
        // Directory absent (no watch was set by getChildren): watch for its creation.
        try {
          const st = await conn.exists(this.dir, w);
          // Created in between: the watch we just set is a data watch, not a children watch → list again, arming one.
          if (st) { this.dirArmed = false; this.recheck = true; return []; }
          return [];
        } catch (e) {
          if (arm) this.dirArmed = false;
          throw e;
        }
      });
    } catch (e) {
      if (this.alive(gen)) throw e;
      return;
    }
    if (children === null || !this.alive(gen)) return;
    if (this.recheck) {
      this.recheck = false;
      this.run(() => this.list(refetchAll));
    }
    const now = new Set(children);
    const old = this.names;
    this.names = now;
    for (const n of old) if (!now.has(n)) this.remove(n);
    const fetches: Promise<void>[] = [];
    for (const n of now) {
      if (!old.has(n)) this.l.childAdded?.(n);
      if (refetchAll || !old.has(n) || !this.entries.has(n)) fetches.push(this.fetch(n));
    }
    await Promise.all(fetches);
  }

  private onDirEvent(gen: number, type: string): void {
    if (!this.alive(gen)) return;
    this.dirArmed = false;
    if (type === 'child' || type === 'created' || type === 'deleted') this.run(() => this.list(false));
  }

  private remove(name: string): void {
    this.armedData.delete(name);
    const e = this.entries.get(name);
    if (e) {
      this.entries.delete(name);
      this.l.change('removed', name, e);
    }
    this.l.childRemoved?.(name);
  }

  private async fetch(name: string): Promise<void> {
    const gen = this.gen;
    const path = `${this.dir}/${name}`;
    let got: { data: Buffer; stat: ZkStat } | null;
    try {
      got = await this.session.retry(async (conn: ZkConnection) => {
        if (!this.alive(gen)) return null;
        const arm = this.watchData && !this.armedData.has(name);
        if (arm) this.armedData.add(name); // claimed before the request (see list())
        try {
          return await conn.get(path, arm ? (ev) => this.onDataEvent(gen, name, ev.type) : undefined);
        } catch (e) {
          if (arm) this.armedData.delete(name); // a failed get sets no watch
          if (isZkError(e, 'NO_NODE')) return null;
          throw e;
        }
      });
    } catch (e) {
      if (this.alive(gen)) throw e;
      return;
    }
    if (!this.alive(gen)) return;
    if (!got) {
      if (this.entries.has(name)) { this.names.delete(name); this.remove(name); }
      return;
    }
    if (!this.names.has(name)) return; // removed while the read was in flight
    let rec: T | null;
    try {
      rec = this.l.decode(name, got.data, path);
    } catch (e) {
      this.onError(e);
      return;
    }
    if (rec === null) return;
    const prev = this.entries.get(name);
    if (prev && prev.mzxid > got.stat.mzxid) return; // stale read
    if (prev && prev.mzxid === got.stat.mzxid) return; // nothing new
    const e: Entry<T> = { rec, version: got.stat.version, mzxid: got.stat.mzxid };
    this.entries.set(name, e);
    this.l.change(prev ? 'updated' : 'added', name, e);
  }

  private onDataEvent(gen: number, name: string, type: string): void {
    if (!this.alive(gen)) return;
    this.armedData.delete(name);
    if (type === 'deleted') {
      // The children watch will also fire; removing now keeps the view as fresh as possible.
      if (this.names.has(name)) { this.names.delete(name); this.remove(name); }
      return;
    }
    if (type === 'changed' || type === 'created') this.run(() => this.fetch(name));
  }
}

export interface LiveViewOptions {
  hosts?: boolean;
  services?: boolean;
  /** Instances of every service (needs services). */
  instances?: boolean;
  stats?: boolean;
  assignments?: boolean;
  policy?: boolean;
}

/** A live, typed view of the cluster; emits ViewEvents and keeps current maps. */
export class LiveView extends EventEmitter<ViewEvents> {
  private readonly store: ClusterStore;
  private readonly opts: Required<LiveViewOptions>;
  private readonly top: DirWatch<unknown>[] = [];
  private hostsW?: DirWatch<HostRecord>;
  private servicesW?: DirWatch<ServiceRecord>;
  private readonly instW = new Map<string, DirWatch<InstanceRecord>>();
  private readonly statsW = new Map<string, DirWatch<StatsRecord>>();
  private assignW?: DirWatch<AssignmentDoc>;
  private policyW?: DirWatch<TenantsDoc | ChainsDoc>;
  private started = false;
  private closed = false;
  private readonly onSession = (gen: number): void => { void this.resync(gen); };
  private readonly iterators = new Set<(ev: ViewEvent | null) => void>();

  constructor(store: ClusterStore, opts: LiveViewOptions = {}) {
    super();
    this.store = store;
    this.opts = { hosts: true, services: true, instances: true, stats: true, assignments: true, policy: true, ...opts };
    // Errors are reported through 'error' only if someone listens (an unhandled 'error' would throw).
  }

  private report(e: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', e instanceof Error ? e : new Error(String(e)));
  }

  private fire(ev: ViewEvent): void {
    this.emit('change', ev);
    switch (ev.kind) {
      case 'host': this.emit('host', ev); break;
      case 'service': this.emit('service', ev); break;
      case 'instance': this.emit('instance', ev); break;
      case 'stats': this.emit('stats', ev); break;
      case 'assignment': this.emit('assignment', ev); break;
      case 'tenants': this.emit('tenants', ev); break;
      case 'chains': this.emit('chains', ev); break;
      case 'resync': this.emit('resync', ev); break;
    }
    for (const push of this.iterators) push(ev);
  }

  private dir<T>(dir: string, l: DirListener<T>, watchData = true): DirWatch<T> {
    return new DirWatch<T>(this.store.session, dir, l, watchData, (e) => this.report(e));
  }

  /** Starts watching; resolves once the initial state is loaded (and its 'added' events emitted). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const L = this.store.layout;
    if (this.opts.hosts) {
      this.hostsW = this.dir<HostRecord>(L.hostsDir, {
        decode: (_n, d, p) => decode('host', d, p),
        change: (op, id, e) => this.fire({ kind: 'host', op, id, record: e.rec }),
      });
      this.top.push(this.hostsW as DirWatch<unknown>);
    }
    if (this.opts.services) {
      this.servicesW = this.dir<ServiceRecord>(L.servicesDir, {
        decode: (_n, d, p) => decode('service', d, p),
        change: (op, name, e) => this.fire({ kind: 'service', op, name, record: e.rec, version: e.version }),
        childAdded: (name) => { if (this.opts.instances) this.watchInstances(name); },
        childRemoved: (name) => this.unwatchInstances(name),
      });
      this.top.push(this.servicesW as DirWatch<unknown>);
    }
    if (this.opts.stats) {
      const w = this.dir<null>(L.statsDir, {
        decode: () => null,
        change: () => undefined,
        childAdded: (host) => this.watchStats(host),
        childRemoved: (host) => this.unwatchStats(host),
      }, false);
      this.top.push(w as DirWatch<unknown>);
    }
    if (this.opts.assignments) {
      this.assignW = this.dir<AssignmentDoc>(L.assignmentsDir, {
        decode: (_n, d, p) => decode('assignment', d, p),
        change: (op, host, e) => this.fire({ kind: 'assignment', op, host, record: e.rec, version: e.version }),
      });
      this.top.push(this.assignW as DirWatch<unknown>);
    }
    if (this.opts.policy) {
      this.policyW = this.dir<TenantsDoc | ChainsDoc>(L.policyDir, {
        decode: (n, d, p) => (n === 'tenants' ? decode('tenants', d, p) : n === 'chains' ? decode('chains', d, p) : null),
        change: (op, n, e) => {
          if (n === 'tenants') this.fire({ kind: 'tenants', op, record: e.rec as TenantsDoc, version: e.version });
          else this.fire({ kind: 'chains', op, record: e.rec as ChainsDoc, version: e.version });
        },
      });
      this.top.push(this.policyW as DirWatch<unknown>);
    }
    this.store.session.on('session', this.onSession);
    await Promise.all(this.top.map((w) => w.sync()));
    await Promise.all([...this.instW.values(), ...this.statsW.values()].map((w) => w.sync()));
  }

  private watchInstances(service: string): void {
    if (this.instW.has(service)) return;
    const w = this.dir<InstanceRecord>(this.store.layout.instancesDir(service), {
      decode: (n, d, p) => (parseInstanceKey(n) ? decode('instance', d, p) : null),
      change: (op, key, e) => {
        const k = parseInstanceKey(key);
        if (k) this.fire({ kind: 'instance', op, service, key, host: k.host, index: k.index, record: e.rec });
      },
    });
    this.instW.set(service, w);
    if (this.started) void w.sync().catch((e) => this.report(e));
  }
  private unwatchInstances(service: string): void {
    const w = this.instW.get(service);
    if (!w) return;
    w.stop();
    this.instW.delete(service);
    for (const [key, e] of w.entries) {
      const k = parseInstanceKey(key);
      if (k) this.fire({ kind: 'instance', op: 'removed', service, key, host: k.host, index: k.index, record: e.rec });
    }
  }
  private watchStats(host: string): void {
    if (this.statsW.has(host)) return;
    const w = this.dir<StatsRecord>(this.store.layout.statsHost(host), {
      decode: (_n, d, p) => decode('stats', d, p),
      change: (op, instance, e) => this.fire({ kind: 'stats', op, host, instance, record: e.rec }),
    });
    this.statsW.set(host, w);
    if (this.started) void w.sync().catch((e) => this.report(e));
  }
  private unwatchStats(host: string): void {
    const w = this.statsW.get(host);
    if (!w) return;
    w.stop();
    this.statsW.delete(host);
    for (const [instance, e] of w.entries) this.fire({ kind: 'stats', op: 'removed', host, instance, record: e.rec });
  }

  private async resync(gen: number): Promise<void> {
    if (this.closed) return;
    try {
      await Promise.all(this.top.map((w) => w.sync()));
      await Promise.all([...this.instW.values(), ...this.statsW.values()].map((w) => w.sync()));
      this.fire({ kind: 'resync', generation: gen });
    } catch (e) {
      this.report(e);
    }
  }

  // ---------------------------------------------------------------- snapshots

  hosts(): Map<string, HostRecord> { return new Map([...(this.hostsW?.entries ?? [])].map(([k, e]) => [k, e.rec])); }
  services(): Map<string, ServiceRecord> { return new Map([...(this.servicesW?.entries ?? [])].map(([k, e]) => [k, e.rec])); }
  instances(service?: string): InstanceRecord[] {
    const ws = service ? [this.instW.get(service)].filter((w): w is DirWatch<InstanceRecord> => !!w) : [...this.instW.values()];
    return ws.flatMap((w) => [...w.entries.values()].map((e) => e.rec));
  }
  stats(host?: string): StatsRecord[] {
    const ws = host ? [this.statsW.get(host)].filter((w): w is DirWatch<StatsRecord> => !!w) : [...this.statsW.values()];
    return ws.flatMap((w) => [...w.entries.values()].map((e) => e.rec));
  }
  assignments(): Map<string, AssignmentDoc> { return new Map([...(this.assignW?.entries ?? [])].map(([k, e]) => [k, e.rec])); }
  tenants(): TenantsDoc | undefined { return this.policyW?.entries.get('tenants')?.rec as TenantsDoc | undefined; }
  chains(): ChainsDoc | undefined { return this.policyW?.entries.get('chains')?.rec as ChainsDoc | undefined; }

  /** Async iterator over change events from now on (bounded buffer; the oldest events are dropped past `max`). */
  changes(max = 10_000): AsyncIterableIterator<ViewEvent> {
    const queue: ViewEvent[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const push = (ev: ViewEvent | null): void => {
      if (ev === null) done = true;
      else { queue.push(ev); if (queue.length > max) queue.shift(); }
      wake?.();
    };
    this.iterators.add(push);
    const it: AsyncIterableIterator<ViewEvent> = {
      next: async () => {
        while (queue.length === 0 && !done) await new Promise<void>((r) => { wake = r; });
        wake = undefined;
        if (queue.length > 0) return { value: queue.shift() as ViewEvent, done: false };
        return { value: undefined, done: true };
      },
      return: async () => { this.iterators.delete(push); done = true; return { value: undefined, done: true }; },
      [Symbol.asyncIterator]() { return it; },
    };
    return it;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.store.session.off('session', this.onSession);
    for (const w of [...this.top, ...this.instW.values(), ...this.statsW.values()]) w.stop();
    for (const push of this.iterators) push(null);
    this.iterators.clear();
  }
}

/**
 * Watches one node (data + existence) and calls `cb` with its current content, after every change, after
 * reconnects and after session replacement (re-armed every time, never twice per session). `null` = absent.
 * Returns a function that stops watching.
 */
export function watchNode(session: ZkSession, path: string, cb: (v: { data: Buffer; stat: ZkStat } | null) => void,
  onError: (e: unknown) => void = () => undefined): { stop(): void; ready: Promise<void> } {
  let stopped = false;
  let armedGen = 0;
  let running = false;
  let again = false;
  let lastZxid = -2;
  const trigger = (): void => {
    if (stopped) return;
    if (running) { again = true; return; }
    running = true;
    void (async () => {
      try {
        do {
          again = false;
          await readOnce();
        } while (again && !stopped);
      } catch (e) {
        if (!stopped) onError(e);
      } finally {
        running = false;
      }
    })();
  };
  const readOnce = async (): Promise<void> => {
    const got = await session.retry(async (conn) => {
      const gen = session.generation;
      const arm = armedGen !== gen;
      if (arm) armedGen = gen; // claimed before the request (see DirWatch.list)
      const w = arm
        ? (): void => { if (gen === session.generation && armedGen === gen) { armedGen = 0; trigger(); } }
        : undefined;
      try {
        return await conn.get(path, w);
      } catch (e) {
        if (!isZkError(e, 'NO_NODE')) { if (arm) armedGen = 0; throw e; }
      }
      try {
        const st = await conn.exists(path, w); // sets the watch whether or not the node exists
        if (st) { again = true; return undefined; }
        return null;
      } catch (e) {
        if (arm) armedGen = 0;
        throw e;
      }
    });
    if (stopped || got === undefined) return;
    const z = got ? got.stat.mzxid : -1;
    if (z === lastZxid) return;
    lastZxid = z;
    cb(got);
  };
  const onSession = (): void => { armedGen = 0; trigger(); };
  session.on('session', onSession);
  const ready = new Promise<void>((resolve) => {
    const first = async (): Promise<void> => {
      running = true;
      try { await readOnce(); } catch (e) { onError(e); } finally { running = false; }
      if (again) trigger();
      resolve();
    };
    void first();
  });
  return {
    ready,
    stop(): void { stopped = true; session.off('session', onSession); },
  };
}
