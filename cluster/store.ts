// The typed cluster store: every read decodes + validates, every write validates + encodes, desired
// state is written with compare-and-set on the znode version (ConflictError when another writer won).
import { createHash } from 'node:crypto';
import { ConflictError, isZkError } from './errors.js';
import { Layout, defaultRoot, instanceKey, parseInstanceKey } from './layout.js';
import { decode, encode, RECORD_VERSION, type AssignmentDoc, type ChainsDoc, type HostRecord, type InstanceRecord, type RecordKind,
  type RecordTypes, type ServiceRecord, type StatsRecord, type TenantsDoc, type VniAllocation } from './schemas.js';
import { EphemeralSet, ZkSession, type SessionOptions } from './session.js';
import { PERM, type Acl, type CreateMode, type ZkConnection } from './zk.js';

export interface Versioned<T> { value: T; version: number; mtime: number }

/** Expected state for a conditional write: a znode version, 'absent' (create only) or 'any' (upsert). */
export type Expect = number | 'absent' | 'any';

export interface StoreOptions extends SessionOptions {
  /** Root path (default /rackvisor/<cluster>). */
  root?: string;
  cluster?: string;
  /** ACL put on every node this store creates (default: open). See digestAcl(). */
  acl?: Acl[];
}

/** ZooKeeper digest id for user:password (what `digest` ACL entries name). */
export function digestId(user: string, password: string): string {
  return `${user}:${createHash('sha1').update(`${user}:${password}`).digest('base64')}`;
}

/** ACL: full rights for the digest user, read-only (or nothing) for everyone else. */
export function digestAcl(user: string, password: string, worldRead = true): Acl[] {
  const acl: Acl[] = [{ perms: PERM.ALL, scheme: 'digest', id: digestId(user, password) }];
  if (worldRead) acl.push({ perms: PERM.READ, scheme: 'world', id: 'anyone' });
  return acl;
}

export class ClusterStore {
  readonly session: ZkSession;
  readonly layout: Layout;
  readonly ephemerals: EphemeralSet;
  private readonly acl: Acl[] | undefined;
  /** Stats nodes created by this store, per session generation (publishing then is a plain set). */
  private statsNodes = new Set<string>();
  private statsGen = 0;

  constructor(session: ZkSession, opts: { root?: string; cluster?: string; acl?: Acl[] } = {}) {
    this.session = session;
    this.layout = new Layout(opts.root ?? defaultRoot(opts.cluster));
    this.acl = opts.acl;
    this.ephemerals = new EphemeralSet(session);
  }

  /** Opens a session and the store; creates the persistent layout. */
  static async open(opts: StoreOptions): Promise<ClusterStore> {
    const session = await ZkSession.open(opts);
    try {
      const store = new ClusterStore(session, opts);
      await store.ensureLayout();
      return store;
    } catch (e) {
      await session.close();
      throw e;
    }
  }

  async close(): Promise<void> { await this.session.close(); }

  // ------------------------------------------------------------------ low level

  /** Creates a node with the store's ACL (in the same request). */
  createNode(conn: ZkConnection, path: string, data: Buffer, mode: CreateMode): Promise<string> {
    return conn.create(path, data, mode, this.acl);
  }

  private async mkdir(conn: ZkConnection, path: string): Promise<void> {
    try {
      await this.createNode(conn, path, Buffer.alloc(0), 'persistent');
    } catch (e) {
      if (!isZkError(e, 'NODE_EXISTS')) throw e;
    }
  }

  /** Creates the persistent directories of the layout (idempotent). */
  async ensureLayout(): Promise<void> {
    await this.session.retry(async (conn) => {
      const parts = this.layout.root.split('/').filter(Boolean);
      for (let i = 1; i < parts.length; i++) await this.mkdir(conn, '/' + parts.slice(0, i).join('/'));
      for (const d of this.layout.dirs()) await this.mkdir(conn, d);
    });
  }

  async readRecord<K extends RecordKind>(kind: K, path: string): Promise<Versioned<RecordTypes[K]> | null> {
    return this.session.retry(async (conn) => {
      try {
        const { data, stat } = await conn.get(path);
        return { value: decode(kind, data, path), version: stat.version, mtime: stat.mtime };
      } catch (e) {
        if (isZkError(e, 'NO_NODE')) return null;
        throw e;
      }
    });
  }

  /** Conditional write of a persistent record. Returns the new znode version. */
  async writeRecord<K extends RecordKind>(kind: K, path: string, value: RecordTypes[K], expect: Expect): Promise<number> {
    const data = encode(kind, value, path);
    const conn = await this.session.ready();
    if (expect === 'absent') {
      try {
        await this.createNode(conn, path, data, 'persistent');
        return 0;
      } catch (e) {
        if (isZkError(e, 'NODE_EXISTS')) throw new ConflictError(path, -1);
        throw e;
      }
    }
    if (expect === 'any') {
      return this.session.retry(async (c) => {
        try {
          return (await c.set(path, data, -1)).version;
        } catch (e) {
          if (!isZkError(e, 'NO_NODE')) throw e;
        }
        try {
          await this.createNode(c, path, data, 'persistent');
          return 0;
        } catch (e) {
          if (isZkError(e, 'NODE_EXISTS')) return (await c.set(path, data, -1)).version;
          throw e;
        }
      });
    }
    try {
      return (await conn.set(path, data, expect)).version;
    } catch (e) {
      if (isZkError(e, 'BAD_VERSION') || isZkError(e, 'NO_NODE')) throw new ConflictError(path, expect);
      throw e;
    }
  }

  /**
   * Read-modify-write with compare-and-set, retried on conflict. `fn` gets the current value (null if
   * absent) and returns the new one. Returns the written value and version.
   */
  async modify<K extends RecordKind>(kind: K, path: string, fn: (cur: RecordTypes[K] | null) => RecordTypes[K], attempts = 10): Promise<Versioned<RecordTypes[K]>> {
    for (let i = 0; ; i++) {
      const cur = await this.readRecord(kind, path);
      const next = fn(cur ? cur.value : null);
      try {
        const version = await this.writeRecord(kind, path, next, cur ? cur.version : 'absent');
        return { value: next, version, mtime: Date.now() };
      } catch (e) {
        if (!(e instanceof ConflictError) || i + 1 >= attempts) throw e;
      }
    }
  }

  async deleteRecord(path: string, expect: number | 'any' = 'any'): Promise<boolean> {
    const conn = await this.session.ready();
    try {
      await conn.delete(path, expect === 'any' ? -1 : expect);
      return true;
    } catch (e) {
      if (isZkError(e, 'NO_NODE')) {
        if (expect === 'any') return false;
        throw new ConflictError(path, expect);
      }
      if (isZkError(e, 'BAD_VERSION')) throw new ConflictError(path, expect === 'any' ? -1 : expect);
      throw e;
    }
  }

  private async listChildren(dir: string): Promise<string[]> {
    return this.session.retry(async (conn) => {
      try {
        return (await conn.getChildren(dir)).sort();
      } catch (e) {
        if (isZkError(e, 'NO_NODE')) return [];
        throw e;
      }
    });
  }

  private async readAll<K extends RecordKind>(kind: K, dir: string): Promise<Map<string, Versioned<RecordTypes[K]>>> {
    const names = await this.listChildren(dir);
    const out = new Map<string, Versioned<RecordTypes[K]>>();
    const recs = await Promise.all(names.map((n) => this.readRecord(kind, `${dir}/${n}`)));
    names.forEach((n, i) => { const r = recs[i]; if (r) out.set(n, r); });
    return out;
  }

  // ------------------------------------------------------------------ hosts (ephemeral)

  /** Registers this process's host: ephemeral, re-created after session expiry, never duplicated. */
  async registerHost(host: Omit<HostRecord, 'v'>, opts: { waitMs?: number } = {}): Promise<void> {
    const rec: HostRecord = { v: RECORD_VERSION, ...host };
    const path = this.layout.host(rec.id);
    const data = encode('host', rec, path);
    await this.ephemerals.register(path, () => data, { waitMs: opts.waitMs, acl: this.acl });
  }
  async updateHost(host: Omit<HostRecord, 'v'>): Promise<void> {
    const rec: HostRecord = { v: RECORD_VERSION, ...host };
    const path = this.layout.host(rec.id);
    const data = encode('host', rec, path);
    await this.ephemerals.update(path, () => data);
  }
  async unregisterHost(id: string): Promise<void> { await this.ephemerals.unregister(this.layout.host(id)); }
  getHost(id: string): Promise<Versioned<HostRecord> | null> { return this.readRecord('host', this.layout.host(id)); }
  async listHosts(): Promise<Map<string, HostRecord>> {
    return new Map([...(await this.readAll('host', this.layout.hostsDir))].map(([k, v]) => [k, v.value]));
  }

  // ------------------------------------------------------------------ services (persistent) + instances (ephemeral)

  /** Creates or updates a service definition (conditional on `expect`), and its instances/ directory. */
  async putService(rec: Omit<ServiceRecord, 'v'>, expect: Expect = 'any'): Promise<number> {
    const value: ServiceRecord = { v: RECORD_VERSION, ...rec };
    const version = await this.writeRecord('service', this.layout.service(rec.name), value, expect);
    await this.session.retry((conn) => this.mkdir(conn, this.layout.instancesDir(rec.name)));
    return version;
  }
  getService(name: string): Promise<Versioned<ServiceRecord> | null> { return this.readRecord('service', this.layout.service(name)); }
  async listServices(): Promise<Map<string, Versioned<ServiceRecord>>> {
    return this.readAll('service', this.layout.servicesDir);
  }
  /** Deletes a service that has no running instance, atomically (one multi); ConflictError on version mismatch. */
  async deleteService(name: string, expect: number | 'any' = 'any'): Promise<void> {
    const conn = await this.session.ready();
    const svcPath = this.layout.service(name);
    const instDir = this.layout.instancesDir(name);
    const hasDir = (await conn.exists(instDir)) !== null;
    const version = expect === 'any' ? -1 : expect;
    try {
      await conn.multi([
        ...(hasDir ? [{ op: 'delete' as const, path: instDir, version: -1 }] : []),
        { op: 'delete' as const, path: svcPath, version },
      ]);
    } catch (e) {
      if (isZkError(e, 'NOT_EMPTY')) {
        const n = (await conn.getChildren(instDir).catch(() => [])).length;
        throw new Error(`service ${name} still has ${n} running instance(s)`);
      }
      if (isZkError(e, 'BAD_VERSION') || (isZkError(e, 'NO_NODE') && expect !== 'any')) throw new ConflictError(svcPath, version);
      if (isZkError(e, 'NO_NODE')) return;
      throw e;
    }
  }

  /** Registers a running NF instance (ephemeral, owned by this session). The service must exist. */
  async registerInstance(inst: Omit<InstanceRecord, 'v'>): Promise<void> {
    const rec: InstanceRecord = { v: RECORD_VERSION, ...inst };
    const path = this.layout.instance(rec.service, rec.host, rec.index);
    const data = encode('instance', rec, path);
    if (this.ephemerals.has(path)) {
      await this.ephemerals.update(path, () => data);
      return;
    }
    await this.session.retry((conn) => this.mkdir(conn, this.layout.instancesDir(rec.service)));
    await this.ephemerals.register(path, () => data, { acl: this.acl });
  }
  async unregisterInstance(service: string, host: string, index: number): Promise<void> {
    await this.ephemerals.unregister(this.layout.instance(service, host, index));
  }
  async listInstances(service: string): Promise<Map<string, InstanceRecord>> {
    const all = await this.readAll('instance', this.layout.instancesDir(service));
    return new Map([...all].filter(([k]) => parseInstanceKey(k) !== null).map(([k, v]) => [k, v.value]));
  }
  getInstance(service: string, host: string, index: number): Promise<Versioned<InstanceRecord> | null> {
    return this.readRecord('instance', this.layout.instance(service, host, index));
  }

  // ------------------------------------------------------------------ stats (ephemeral, batched)

  /**
   * Publishes a batch of per-instance stats of one host. Steady state: ONE multi (transaction) with a
   * setData per instance — one request, one round trip, applied atomically. Instances published for the
   * first time in this session (or whose node vanished) are created individually (pipelined), then join
   * the multi on the next round.
   */
  async publishStats(host: string, records: Omit<StatsRecord, 'v' | 'host'>[]): Promise<void> {
    if (records.length === 0) return;
    const conn = await this.session.ready();
    if (this.statsGen !== this.session.generation) {
      this.statsGen = this.session.generation;
      this.statsNodes = new Set();
    }
    const dir = this.layout.statsHost(host);
    const items = records.map((r) => {
      const rec: StatsRecord = { v: RECORD_VERSION, host, ...r };
      const path = this.layout.stats(host, r.instance);
      return { path, data: encode('stats', rec, path) };
    });
    const known = items.filter((it) => this.statsNodes.has(it.path));
    const fresh = items.filter((it) => !this.statsNodes.has(it.path));
    if (known.length > 0) {
      try {
        await conn.multi(known.map((it) => ({ op: 'set' as const, path: it.path, data: it.data, version: -1 })));
      } catch (e) {
        if (!isZkError(e, 'NO_NODE')) throw e;
        // One of them vanished (removed meanwhile): fall back to one-by-one for this round.
        for (const it of known) this.statsNodes.delete(it.path);
        fresh.push(...known);
      }
    }
    const createOne = async (path: string, data: Buffer): Promise<void> => {
      try {
        await this.createNode(conn, path, data, 'ephemeral');
      } catch (e) {
        if (isZkError(e, 'NODE_EXISTS')) await conn.set(path, data, -1);
        else if (isZkError(e, 'NO_NODE')) {
          await this.mkdir(conn, dir);
          await this.createNode(conn, path, data, 'ephemeral');
        } else throw e;
      }
      this.statsNodes.add(path);
    };
    const results = await Promise.allSettled(fresh.map((it) => createOne(it.path, it.data)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Deletes stats/<host> if it is empty (after the host is gone); returns whether it was removed. */
  async gcStats(host: string): Promise<boolean> {
    const conn = await this.session.ready();
    try {
      await conn.delete(this.layout.statsHost(host), -1);
      return true;
    } catch (e) {
      if (isZkError(e, 'NO_NODE') || isZkError(e, 'NOT_EMPTY')) return false;
      throw e;
    }
  }

  /** Removes the stats node of an instance that stopped. */
  async removeStats(host: string, instance: string): Promise<void> {
    const path = this.layout.stats(host, instance);
    this.statsNodes.delete(path);
    await this.deleteRecord(path).catch((e) => { if (!isZkError(e, 'NO_NODE')) throw e; });
  }

  async readStats(host: string): Promise<Map<string, StatsRecord>> {
    return new Map([...(await this.readAll('stats', this.layout.statsHost(host)))].map(([k, v]) => [k, v.value]));
  }

  // ------------------------------------------------------------------ policy (desired state, CAS)

  getTenants(): Promise<Versioned<TenantsDoc> | null> { return this.readRecord('tenants', this.layout.tenants); }
  putTenants(doc: Omit<TenantsDoc, 'v'>, expect: Expect): Promise<number> {
    return this.writeRecord('tenants', this.layout.tenants, { v: RECORD_VERSION, ...doc }, expect);
  }
  getChains(): Promise<Versioned<ChainsDoc> | null> { return this.readRecord('chains', this.layout.chains); }
  putChains(doc: Omit<ChainsDoc, 'v'>, expect: Expect): Promise<number> {
    return this.writeRecord('chains', this.layout.chains, { v: RECORD_VERSION, ...doc }, expect);
  }

  // ------------------------------------------------------------------ assignments (controller → agent, CAS)

  getAssignment(host: string): Promise<Versioned<AssignmentDoc> | null> { return this.readRecord('assignment', this.layout.assignment(host)); }
  putAssignment(host: string, instances: AssignmentDoc['instances'], expect: Expect): Promise<number> {
    return this.writeRecord('assignment', this.layout.assignment(host), { v: RECORD_VERSION, host, instances }, expect);
  }
  async listAssignments(): Promise<Map<string, Versioned<AssignmentDoc>>> { return this.readAll('assignment', this.layout.assignmentsDir); }

  // ------------------------------------------------------------------ VNI / service path allocation

  /** Allocates the lowest free service path id (1..65535) for a chain; idempotent per (tenant, chain). */
  async allocatePath(tenant: string, chain: string): Promise<number> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const all = await this.readAll('vni', this.layout.vniDir);
      for (const v of all.values()) if (v.value.tenant === tenant && v.value.chain === chain) return v.value.pathId;
      const used = new Set([...all.values()].map((v) => v.value.pathId));
      let id = 1;
      while (used.has(id)) id++;
      if (id > 0xffff) throw new Error('no free service path id');
      const rec: VniAllocation = { v: RECORD_VERSION, pathId: id, tenant, chain };
      try {
        await this.writeRecord('vni', this.layout.vni(id), rec, 'absent');
        return id;
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e; // another controller took it: re-read
      }
    }
    throw new Error('could not allocate a service path id (too much contention)');
  }
  async releasePath(pathId: number): Promise<void> { await this.deleteRecord(this.layout.vni(pathId)); }
  async listPaths(): Promise<VniAllocation[]> {
    return [...(await this.readAll('vni', this.layout.vniDir)).values()].map((v) => v.value).sort((a, b) => a.pathId - b.pathId);
  }
}

export { instanceKey };
