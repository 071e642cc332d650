// An in-memory ZooKeeper behind the same ZkConnector/ZkConnection adapter, for fast unit tests of
// code built on cluster/ (store, view, election, cluster-sync, orchestration) without a JVM.
// Semantics kept: hierarchical znodes, versions (version/cversion/aversion), zxids, ephemeral and
// sequential nodes, one-shot data/exists/child watches fired after the change, multi (atomic),
// session expiry (ephemerals deleted, watches fire, the connection turns 'expired'), resume by
// session id. Not modelled: ACL enforcement (ACLs are stored and returned), connection loss, quotas.
import { EventEmitter } from 'node:events';
import { ZkError, ZK_RC } from './errors.js';
import { OPEN_ACL, type Acl, type ConnectionState, type ConnectOptions, type CreateMode, type MultiOp, type Watcher, type ZkConnection,
  type ZkConnector, type ZkStat } from './zk.js';

interface MemNode {
  data: Buffer; version: number; cversion: number; aversion: number;
  czxid: number; mzxid: number; pzxid: number; ctime: number; mtime: number;
  owner: string; acl: Acl[]; children: Set<string>; seq: number;
}

type WatchKind = 'data' | 'exist' | 'child';
interface PendingFire { w: Watcher; type: 'created' | 'deleted' | 'changed' | 'child'; path: string; session: string }

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}
function validPath(path: string): boolean {
  return path === '/' || (/^\/[^\0]*$/.test(path) && !path.endsWith('/') && !path.includes('//'));
}

/** The in-memory server. `connector()` hands out sessions on it. */
export class MemoryZk {
  private readonly nodes = new Map<string, MemNode>();
  private zxid = 0;
  private nextSession = 1;
  private readonly sessions = new Map<string, { password: string; conns: Set<MemoryZkConnection> }>();
  private readonly watches = new Map<string, Map<WatchKind, Set<{ w: Watcher; session: string }>>>();

  constructor() {
    this.nodes.set('/', this.newNode(Buffer.alloc(0), '0', OPEN_ACL));
  }

  connector(): ZkConnector {
    return { connect: (opts) => this.connect(opts) };
  }

  /** Expires a session as the server would (ephemerals deleted, watches fired, connections terminal). */
  expire(sessionId: string): void {
    const s = this.sessions.get(sessionId);
    if (!s) return;
    this.sessions.delete(sessionId);
    this.dropSession(sessionId);
    for (const c of s.conns) c.setState('expired');
  }

  /** Number of live sessions (tests). */
  get sessionCount(): number { return this.sessions.size; }

  private newNode(data: Buffer, owner: string, acl: Acl[]): MemNode {
    const z = ++this.zxid;
    const now = Date.now();
    return { data: Buffer.from(data), version: 0, cversion: 0, aversion: 0, czxid: z, mzxid: z, pzxid: z, ctime: now, mtime: now, owner, acl, children: new Set(), seq: 0 };
  }

  private async connect(opts: ConnectOptions): Promise<ZkConnection> {
    await Promise.resolve();
    let id: string;
    if (opts.resume) {
      const s = this.sessions.get(opts.resume.sessionId);
      if (!s || s.password !== opts.resume.password) throw new ZkError(ZK_RC.SESSIONEXPIRED, opts.connectString, 'connect');
      id = opts.resume.sessionId;
    } else {
      id = (this.nextSession++).toString(16);
      this.sessions.set(id, { password: Math.random().toString(16).slice(2).padEnd(32, '0').slice(0, 32), conns: new Set() });
    }
    const conn = new MemoryZkConnection(this, id);
    this.sessions.get(id)?.conns.add(conn);
    return conn;
  }

  /** @internal */ password(id: string): string { return this.sessions.get(id)?.password ?? ''; }
  /** @internal */ alive(id: string): boolean { return this.sessions.has(id); }

  /** @internal closeSession: ephemerals go at once. */
  closeSession(id: string, conn: MemoryZkConnection): void {
    const s = this.sessions.get(id);
    if (!s) return;
    s.conns.delete(conn);
    this.sessions.delete(id);
    this.dropSession(id);
    for (const c of s.conns) c.setState('expired');
  }

  private dropSession(id: string): void {
    const fires: PendingFire[] = [];
    for (const [path, n] of [...this.nodes].sort((a, b) => b[0].length - a[0].length)) {
      if (n.owner === id && this.nodes.has(path)) this.removeNode(path, fires);
    }
    for (const m of this.watches.values()) for (const set of m.values()) for (const x of [...set]) if (x.session === id) set.delete(x);
    this.fire(fires);
  }

  private stat(n: MemNode): ZkStat {
    return { czxid: n.czxid, mzxid: n.mzxid, pzxid: n.pzxid, version: n.version, cversion: n.cversion, aversion: n.aversion,
      ephemeralOwner: n.owner, dataLength: n.data.length, numChildren: n.children.size, ctime: n.ctime, mtime: n.mtime };
  }

  private addWatch(path: string, kind: WatchKind, w: Watcher, session: string): void {
    let m = this.watches.get(path);
    if (!m) { m = new Map(); this.watches.set(path, m); }
    let set = m.get(kind);
    if (!set) { set = new Set(); m.set(kind, set); }
    set.add({ w, session });
  }

  private take(path: string, kinds: WatchKind[], type: PendingFire['type'], out: PendingFire[]): void {
    const m = this.watches.get(path);
    if (!m) return;
    for (const k of kinds) {
      const set = m.get(k);
      if (!set) continue;
      for (const x of set) out.push({ w: x.w, type, path, session: x.session });
      m.delete(k);
    }
  }

  private fire(fires: PendingFire[]): void {
    if (fires.length === 0) return;
    // Notifications follow the reply of the request that caused them (as on the wire).
    setImmediate(() => { for (const f of fires) if (this.sessions.has(f.session)) f.w({ type: f.type, path: f.path }); });
  }

  private removeNode(path: string, fires: PendingFire[]): void {
    const n = this.nodes.get(path);
    if (!n) return;
    this.nodes.delete(path);
    const p = this.nodes.get(parentOf(path));
    const z = ++this.zxid;
    if (p) { p.children.delete(path.slice(path.lastIndexOf('/') + 1)); p.cversion++; p.pzxid = z; }
    this.take(path, ['data', 'exist', 'child'], 'deleted', fires);
    this.take(parentOf(path), ['child'], 'child', fires);
  }

  // ---------------------------------------------------------------- operations (session-checked by the connection)

  /** @internal */
  apply(session: string, op: MultiOp, fires: PendingFire[]): string {
    const path = op.path;
    if (!validPath(path)) throw new ZkError(ZK_RC.BADARGUMENTS, path, op.op);
    if (op.op === 'create') {
      const parentPath = parentOf(path);
      const parent = this.nodes.get(parentPath);
      if (!parent) throw new ZkError(ZK_RC.NONODE, path, 'create');
      if (parent.owner !== '0') throw new ZkError(ZK_RC.NOCHILDRENFOREPHEMERALS, path, 'create');
      let full = path;
      if (op.mode === 'persistent_sequential' || op.mode === 'ephemeral_sequential') {
        full = `${path}${String(parent.cversion).padStart(10, '0')}`;
      }
      if (this.nodes.has(full)) throw new ZkError(ZK_RC.NODEEXISTS, full, 'create');
      const owner = op.mode === 'ephemeral' || op.mode === 'ephemeral_sequential' ? session : '0';
      const n = this.newNode(op.data, owner, op.acl ?? OPEN_ACL);
      this.nodes.set(full, n);
      parent.children.add(full.slice(full.lastIndexOf('/') + 1));
      parent.cversion++;
      parent.pzxid = n.czxid;
      this.take(full, ['data', 'exist'], 'created', fires);
      this.take(parentPath, ['child'], 'child', fires);
      return full;
    }
    const n = this.nodes.get(path);
    if (!n) throw new ZkError(ZK_RC.NONODE, path, op.op);
    if (op.version !== -1 && op.version !== n.version) throw new ZkError(ZK_RC.BADVERSION, path, op.op);
    if (op.op === 'check') return path;
    if (op.op === 'set') {
      n.data = Buffer.from(op.data);
      n.version++;
      n.mzxid = ++this.zxid;
      n.mtime = Date.now();
      this.take(path, ['data', 'exist'], 'changed', fires);
      return path;
    }
    if (n.children.size > 0) throw new ZkError(ZK_RC.NOTEMPTY, path, 'delete');
    this.removeNode(path, fires);
    return path;
  }

  /** @internal */ create(session: string, path: string, data: Buffer, mode: CreateMode, acl?: Acl[]): string {
    const fires: PendingFire[] = [];
    const p = this.apply(session, { op: 'create', path, data, mode, acl }, fires);
    this.fire(fires);
    return p;
  }
  /** @internal */ mutate(session: string, op: MultiOp): ZkStat | undefined {
    const fires: PendingFire[] = [];
    this.apply(session, op, fires);
    this.fire(fires);
    const n = this.nodes.get(op.path);
    return n ? this.stat(n) : undefined;
  }
  /** @internal */ multi(session: string, ops: MultiOp[]): void {
    // Validate everything against a scratch copy first: all or nothing.
    const snapshot = new Map([...this.nodes].map(([k, n]) => [k, { ...n, children: new Set(n.children) }]));
    const watches = new Map([...this.watches].map(([k, m]) => [k, new Map([...m].map(([kind, set]) => [kind, new Set(set)]))]));
    const zxid = this.zxid;
    const fires: PendingFire[] = [];
    try {
      for (const op of ops) this.apply(session, op, fires);
    } catch (e) {
      this.nodes.clear();
      for (const [k, n] of snapshot) this.nodes.set(k, n);
      this.watches.clear();
      for (const [k, m] of watches) this.watches.set(k, m);
      this.zxid = zxid;
      throw e;
    }
    this.fire(fires);
  }
  /** @internal */ get(session: string, path: string, w?: Watcher): { data: Buffer; stat: ZkStat } {
    const n = this.nodes.get(path);
    if (!n) throw new ZkError(ZK_RC.NONODE, path, 'get');
    if (w) this.addWatch(path, 'data', w, session);
    return { data: Buffer.from(n.data), stat: this.stat(n) };
  }
  /** @internal */ children(session: string, path: string, w?: Watcher): string[] {
    const n = this.nodes.get(path);
    if (!n) throw new ZkError(ZK_RC.NONODE, path, 'getChildren');
    if (w) this.addWatch(path, 'child', w, session);
    return [...n.children];
  }
  /** @internal */ exists(session: string, path: string, w?: Watcher): ZkStat | null {
    const n = this.nodes.get(path);
    if (w) this.addWatch(path, n ? 'data' : 'exist', w, session);
    return n ? this.stat(n) : null;
  }
  /** @internal */ getAcl(path: string): { acl: Acl[]; stat: ZkStat } {
    const n = this.nodes.get(path);
    if (!n) throw new ZkError(ZK_RC.NONODE, path, 'getAcl');
    return { acl: n.acl.map((a) => ({ ...a })), stat: this.stat(n) };
  }
  /** @internal */ setAcl(path: string, aversion: number, acl: Acl[]): void {
    const n = this.nodes.get(path);
    if (!n) throw new ZkError(ZK_RC.NONODE, path, 'setAcl');
    if (aversion !== -1 && aversion !== n.aversion) throw new ZkError(ZK_RC.BADVERSION, path, 'setAcl');
    n.acl = acl.map((a) => ({ ...a }));
    n.aversion++;
  }
}

class MemoryZkConnection extends EventEmitter implements ZkConnection {
  private _state: ConnectionState = 'connected';

  constructor(private readonly server: MemoryZk, readonly sessionId: string) {
    super();
  }

  get state(): ConnectionState { return this._state; }
  private get terminal(): boolean { return this._state === 'expired' || this._state === 'closed' || this._state === 'auth_failed'; }

  /** @internal */
  setState(s: ConnectionState): void {
    if (this.terminal || s === this._state) return;
    this._state = s;
    setImmediate(() => this.emit('state', s));
  }

  credentials(): { sessionId: string; password: string } {
    return { sessionId: this.sessionId, password: this.server.password(this.sessionId) };
  }

  private async run<T>(op: string, path: string, fn: () => T): Promise<T> {
    await Promise.resolve();
    if (this.terminal || !this.server.alive(this.sessionId)) {
      throw new ZkError(this._state === 'closed' ? ZK_RC.CLOSING : ZK_RC.SESSIONEXPIRED, path, op);
    }
    return fn();
  }

  create(path: string, data: Buffer, mode: CreateMode, acl?: Acl[]): Promise<string> {
    return this.run('create', path, () => this.server.create(this.sessionId, path, data, mode, acl));
  }
  get(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: ZkStat }> {
    return this.run('get', path, () => this.server.get(this.sessionId, path, watcher));
  }
  getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    return this.run('getChildren', path, () => this.server.children(this.sessionId, path, watcher));
  }
  exists(path: string, watcher?: Watcher): Promise<ZkStat | null> {
    return this.run('exists', path, () => this.server.exists(this.sessionId, path, watcher));
  }
  set(path: string, data: Buffer, version: number): Promise<ZkStat> {
    return this.run('set', path, () => this.server.mutate(this.sessionId, { op: 'set', path, data, version }) as ZkStat);
  }
  delete(path: string, version: number): Promise<void> {
    return this.run('delete', path, () => { this.server.mutate(this.sessionId, { op: 'delete', path, version }); });
  }
  multi(ops: MultiOp[]): Promise<void> {
    return this.run('multi', ops[0]?.path ?? '/', () => this.server.multi(this.sessionId, ops));
  }
  getAcl(path: string): Promise<{ acl: Acl[]; stat: ZkStat }> {
    return this.run('getAcl', path, () => this.server.getAcl(path));
  }
  setAcl(path: string, aversion: number, acl: Acl[]): Promise<void> {
    return this.run('setAcl', path, () => this.server.setAcl(path, aversion, acl));
  }
  addAuth(): Promise<void> { return Promise.resolve(); }
  async close(): Promise<void> {
    if (this.terminal) return;
    this._state = 'closed';
    this.server.closeSession(this.sessionId, this);
    this.emit('state', 'closed');
  }
}
