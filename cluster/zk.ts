// The thin ZooKeeper adapter. Everything else in cluster/ talks to `ZkConnection` (one ZooKeeper session)
// and `ZkConnector` (makes sessions), never to a client library, so the store runs unchanged on any
// backend and in unit tests.
//
// Default backend: `node-zookeeper-client` (pure JavaScript, ZooKeeper wire protocol over node:net).
// It creates nodes with their ACL in the same request, has multi (transactions), resumes sessions and
// re-sends watches after reconnecting. The `zookeeper` package (C client binding) was tried first and
// dropped: after a reconnect it leaks a libuv poll registration for the old socket's fd number, and every
// later socket that gets that number busy-loops and never connects (see cluster/README.md).
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import zookeeper from 'node-zookeeper-client';
import { ZkError, ZK_RC } from './errors.js';

export type CreateMode = 'persistent' | 'ephemeral' | 'persistent_sequential' | 'ephemeral_sequential';

/** One ACL entry. perms: bit set of PERM.*; scheme 'world' (id 'anyone'), 'digest' (id 'user:base64(sha1)'), 'auth', 'ip'. */
export interface Acl { perms: number; scheme: string; id: string }

export const PERM = { READ: 1, WRITE: 2, CREATE: 4, DELETE: 8, ADMIN: 16, ALL: 31 } as const;
export const OPEN_ACL: Acl[] = [{ perms: PERM.ALL, scheme: 'world', id: 'anyone' }];

export interface ZkStat {
  czxid: number; mzxid: number; pzxid: number;
  version: number; cversion: number; aversion: number;
  ephemeralOwner: string; // session id in hex, '0' for persistent nodes
  dataLength: number; numChildren: number;
  ctime: number; mtime: number; // ms since epoch
}

export type WatchEventType = 'created' | 'deleted' | 'changed' | 'child';
export interface WatchEvent { type: WatchEventType; path: string }
/** One-shot watcher (ZooKeeper semantics): fires at most once for a real change, never for connection state. */
export type Watcher = (ev: WatchEvent) => void;

export type ConnectionState = 'connecting' | 'connected' | 'expired' | 'auth_failed' | 'closed';

export interface ZkConnectionEvents {
  /** Connection state changed. 'expired', 'auth_failed' and 'closed' are terminal for this connection. */
  state: [ConnectionState];
}

/** One operation of an atomic multi (transaction). */
export type MultiOp =
  | { op: 'create'; path: string; data: Buffer; mode: CreateMode; acl?: Acl[] }
  | { op: 'set'; path: string; data: Buffer; version: number }
  | { op: 'check'; path: string; version: number }
  | { op: 'delete'; path: string; version: number };

/** One ZooKeeper session. After a terminal state every call rejects with ZkError CLOSED / SESSION_EXPIRED. */
export interface ZkConnection {
  readonly state: ConnectionState;
  /** Session id in hex (same format as ZkStat.ephemeralOwner). */
  readonly sessionId: string;
  /** Session id + password (hex), to resume the session from another handle (tests use it to force an expiry). */
  credentials(): { sessionId: string; password: string };
  on<K extends keyof ZkConnectionEvents>(ev: K, fn: (...a: ZkConnectionEvents[K]) => void): this;
  off<K extends keyof ZkConnectionEvents>(ev: K, fn: (...a: ZkConnectionEvents[K]) => void): this;
  /** Creates a node; `acl` (default open) is part of the same request. Returns the created path. */
  create(path: string, data: Buffer, mode: CreateMode, acl?: Acl[]): Promise<string>;
  get(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: ZkStat }>;
  getChildren(path: string, watcher?: Watcher): Promise<string[]>;
  /** null when the node does not exist (a watcher is still set: it fires on creation). */
  exists(path: string, watcher?: Watcher): Promise<ZkStat | null>;
  /** version -1 = unconditional. */
  set(path: string, data: Buffer, version: number): Promise<ZkStat>;
  delete(path: string, version: number): Promise<void>;
  /** All-or-nothing; rejects with the ZkError of the first failing operation. */
  multi(ops: MultiOp[]): Promise<void>;
  getAcl(path: string): Promise<{ acl: Acl[]; stat: ZkStat }>;
  setAcl(path: string, aversion: number, acl: Acl[]): Promise<void>;
  addAuth(scheme: string, auth: string): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** host:port[,host:port...][/chroot] */
  connectString: string;
  /** Requested session timeout (the server clamps it to its [min, max] session timeout). */
  sessionTimeoutMs: number;
  /** Give up when no server accepted us in this time (default: 2 × sessionTimeoutMs, at least 5 s). */
  connectTimeoutMs?: number;
  /** Resume an existing session instead of creating one. */
  resume?: { sessionId: string; password: string };
  /** Added on the new connection before it is handed out. */
  auth?: { scheme: string; auth: string }[];
}

export interface ZkConnector {
  connect(opts: ConnectOptions): Promise<ZkConnection>;
}

// ---------------------------------------------------------------------------------------------
// node-zookeeper-client backend

type Stat = zookeeper.Stat;

const DEBUG = process.env.RACKVISOR_ZK_DEBUG === '1';

function long(b: Buffer): number { return Number(b.readBigInt64BE(0)); }
function hexId(b: Buffer): string { return b.readBigUInt64BE(0).toString(16); }
function toStat(s: Stat): ZkStat {
  return {
    czxid: long(s.czxid), mzxid: long(s.mzxid), pzxid: long(s.pzxid), version: s.version, cversion: s.cversion, aversion: s.aversion,
    ephemeralOwner: hexId(s.ephemeralOwner), dataLength: s.dataLength, numChildren: s.numChildren, ctime: long(s.ctime), mtime: long(s.mtime),
  };
}
const MODES: Record<CreateMode, number> = { persistent: 0, ephemeral: 1, persistent_sequential: 2, ephemeral_sequential: 3 };
const EVENTS: Record<number, WatchEventType> = { 1: 'created', 2: 'deleted', 3: 'changed', 4: 'child' };

function toAcl(acl: Acl[]): zookeeper.ACL[] {
  return acl.map((a) => new zookeeper.ACL(a.perms, new zookeeper.Id(a.scheme, a.id)));
}

function errCode(e: unknown): number {
  if (e && typeof e === 'object' && 'getCode' in e && typeof (e as { getCode: unknown }).getCode === 'function') {
    return (e as { getCode(): number }).getCode();
  }
  return ZK_RC.SYSTEMERROR;
}

class JsZkConnection extends EventEmitter implements ZkConnection {
  private _state: ConnectionState = 'connecting';
  private closing = false;
  readonly client: zookeeper.Client;
  private readonly unharden: () => void;

  constructor(client: zookeeper.Client, unharden: () => void) {
    super();
    this.client = client;
    this.unharden = unharden;
    client.on('state', (s: zookeeper.State) => {
      if (DEBUG) console.error(`[zk ${new Date().toISOString()}] session 0x${this.sessionId} lib state ${String(s)}`);
      if (s === zookeeper.State.SYNC_CONNECTED || s === zookeeper.State.CONNECTED_READ_ONLY) this.setState('connected');
      else if (s === zookeeper.State.DISCONNECTED) this.setState(this.closing ? 'closed' : 'connecting');
      else if (s === zookeeper.State.EXPIRED) this.terminate('expired');
      else if (s === zookeeper.State.AUTH_FAILED) this.terminate('auth_failed');
    });
  }

  get state(): ConnectionState { return this._state; }
  get sessionId(): string { return hexId(this.client.getSessionId()); }
  private get terminal(): boolean { return this._state === 'expired' || this._state === 'closed' || this._state === 'auth_failed'; }

  private setState(s: ConnectionState): void {
    if (this.terminal || s === this._state) return;
    this._state = s;
    if (this.terminal) this.unharden();
    this.emit('state', s);
  }
  private terminate(s: ConnectionState): void {
    this.setState(s);
    // The library would keep reconnecting a dead session; stop it.
    try { this.client.close(); } catch { /* ignore */ }
  }

  credentials(): { sessionId: string; password: string } {
    return { sessionId: this.client.getSessionId().toString('hex'), password: this.client.getSessionPassword().toString('hex') };
  }

  private call<T>(op: string, path: string, start: (cb: (err: unknown, value?: T) => void) => void): Promise<T> {
    if (this.terminal) {
      return Promise.reject(new ZkError(this._state === 'expired' ? ZK_RC.SESSIONEXPIRED : ZK_RC.CLOSING, path, op));
    }
    return new Promise<T>((resolve, reject) => {
      try {
        start((err, value) => {
          if (err) reject(new ZkError(errCode(err), path, op, err instanceof Error ? '' : String(err)));
          else resolve(value as T);
        });
      } catch (e) {
        reject(new ZkError(ZK_RC.BADARGUMENTS, path, op, (e as Error).message));
      }
    });
  }

  private wrap(w: Watcher): (ev: zookeeper.Event) => void {
    return (ev) => {
      const t = EVENTS[ev.getType()];
      if (t && !this.terminal) w({ type: t, path: ev.getPath() });
    };
  }

  create(path: string, data: Buffer, mode: CreateMode, acl: Acl[] = OPEN_ACL): Promise<string> {
    return this.call('create', path, (cb) => this.client.create(path, data, toAcl(acl), MODES[mode], cb));
  }
  get(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: ZkStat }> {
    return this.call('get', path, (cb) => {
      const done = (err: unknown, data: Buffer, stat: Stat): void => cb(err, err ? undefined : { data: data ?? Buffer.alloc(0), stat: toStat(stat) });
      if (watcher) this.client.getData(path, this.wrap(watcher), done);
      else this.client.getData(path, done);
    });
  }
  getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    return this.call('getChildren', path, (cb) => {
      const done = (err: unknown, children: string[]): void => cb(err, children ?? []);
      if (watcher) this.client.getChildren(path, this.wrap(watcher), done);
      else this.client.getChildren(path, done);
    });
  }
  exists(path: string, watcher?: Watcher): Promise<ZkStat | null> {
    return this.call('exists', path, (cb) => {
      const done = (err: unknown, stat: Stat | null): void => cb(err, err ? undefined : stat ? toStat(stat) : null);
      if (watcher) this.client.exists(path, this.wrap(watcher), done);
      else this.client.exists(path, done);
    });
  }
  set(path: string, data: Buffer, version: number): Promise<ZkStat> {
    return this.call('set', path, (cb) => this.client.setData(path, data, version, (err, stat) => cb(err, err ? undefined : toStat(stat))));
  }
  delete(path: string, version: number): Promise<void> {
    return this.call('delete', path, (cb) => this.client.remove(path, version, (err) => cb(err)));
  }
  multi(ops: MultiOp[]): Promise<void> {
    return this.call('multi', ops[0]?.path ?? '/', (cb) => {
      const tx = this.client.transaction();
      for (const o of ops) {
        if (o.op === 'create') tx.create(o.path, o.data, toAcl(o.acl ?? OPEN_ACL), MODES[o.mode]);
        else if (o.op === 'set') tx.setData(o.path, o.data, o.version);
        else if (o.op === 'check') tx.check(o.path, o.version);
        else tx.remove(o.path, o.version);
      }
      tx.commit((err) => cb(err));
    });
  }
  getAcl(path: string): Promise<{ acl: Acl[]; stat: ZkStat }> {
    return this.call('getAcl', path, (cb) => this.client.getACL(path, (err, acls, stat) =>
      cb(err, err ? undefined : { acl: acls.map((a) => ({ perms: a.perms, scheme: a.id.scheme, id: a.id.id })), stat: toStat(stat) })));
  }
  setAcl(path: string, aversion: number, acl: Acl[]): Promise<void> {
    return this.call('setAcl', path, (cb) => this.client.setACL(path, toAcl(acl), aversion, (err) => cb(err)));
  }
  addAuth(scheme: string, auth: string): Promise<void> {
    // The wire protocol has no reply for auth; a bad credential shows up as AUTH_FAILED state.
    this.client.addAuthInfo(scheme, Buffer.from(auth));
    return Promise.resolve();
  }
  close(): Promise<void> {
    if (this.terminal) return Promise.resolve();
    this.closing = true;
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.setState('closed'); resolve(); }, 2000);
      this.client.once('disconnected', () => { clearTimeout(t); this.setState('closed'); resolve(); });
      this.client.close(); // sends closeSession: the server deletes our ephemerals at once
      if (this._state !== 'connected') { clearTimeout(t); this.setState('closed'); resolve(); }
    });
  }
}

/** The library's ConnectionManager internals we patch (see harden()). */
interface ConnectionManagerInternals {
  socket?: Socket;
  state: number;
  connectTimeout: number;
  sessionTimeout: number;
  connectTimeoutHandler: NodeJS.Timeout | null;
  pendingBuffer: Buffer | null;
  onSocketConnected(this: ConnectionManagerInternals): void;
  onSocketClosed(this: ConnectionManagerInternals, hasError: boolean): void;
  onSocketData(this: ConnectionManagerInternals, b: Buffer): void;
}
const CM_CONNECTING = 1;
const CM_CONNECTED = 2;
const CM_CONNECTED_RO = 3;

/**
 * Fixes three gaps of node-zookeeper-client 1.1.3 that stall or corrupt reconnection (found with
 * server restarts and ensemble failover in test/cluster):
 * 1. no timeout between TCP connect and the ConnectResponse: a server that accepts but never answers
 *    (starting up) stalled the client forever → destroy the socket after min(connectTimeout, 1.5 s);
 * 2. a partial frame left in pendingBuffer by the dead socket was prepended to the next socket's data
 *    → cleared on close; a stale connect timer could destroy the next socket → cleared on close;
 * 3. no read timeout once connected (a silent server was never detected) → like the Java client, the
 *    socket is dropped when nothing arrived for 2/3 of the session timeout (pings go every 1/3).
 */
function harden(client: zookeeper.Client): () => void {
  const cm = (client as unknown as { connectionManager?: ConnectionManagerInternals }).connectionManager;
  if (!cm || typeof cm.onSocketConnected !== 'function' || typeof cm.onSocketClosed !== 'function' || typeof cm.onSocketData !== 'function') {
    // A library version with different internals: run unpatched rather than break it.
    process.emitWarning('node-zookeeper-client internals changed: reconnect hardening disabled (cluster/zk.ts harden())');
    return () => undefined;
  }
  let lastRx = Date.now();
  const origConnected = cm.onSocketConnected;
  cm.onSocketConnected = function () {
    lastRx = Date.now();
    origConnected.call(this);
    const sock = this.socket;
    // A live server answers the handshake in milliseconds; waiting the whole connectTimeout
    // (sessionTimeout / #servers) for a server that is still starting delays failover needlessly.
    const t = setTimeout(() => { if (this.socket === sock && this.state === CM_CONNECTING) sock?.destroy(); }, Math.min(this.connectTimeout, 1500));
    sock?.once('close', () => clearTimeout(t));
  };
  const origClosed = cm.onSocketClosed;
  cm.onSocketClosed = function (hasError) {
    if (this.connectTimeoutHandler) { clearTimeout(this.connectTimeoutHandler); this.connectTimeoutHandler = null; }
    this.pendingBuffer = null;
    origClosed.call(this, hasError);
  };
  const origData = cm.onSocketData;
  cm.onSocketData = function (b) { lastRx = Date.now(); origData.call(this, b); };
  const watchdog = setInterval(() => {
    if ((cm.state === CM_CONNECTED || cm.state === CM_CONNECTED_RO) && Date.now() - lastRx > (cm.sessionTimeout * 2) / 3) {
      lastRx = Date.now();
      cm.socket?.destroy();
    }
  }, 250);
  watchdog.unref();
  return () => clearInterval(watchdog);
}

/** Sessions over node-zookeeper-client (the default backend). */
export class JsZkConnector implements ZkConnector {
  /** spinDelayMs: pause between trying servers of the connect string (library default 1000 ms). */
  constructor(private readonly spinDelayMs = 50) {}

  async connect(opts: ConnectOptions): Promise<ZkConnection> {
    const options: Record<string, unknown> = { sessionTimeout: opts.sessionTimeoutMs, spinDelay: this.spinDelayMs, retries: 0 };
    if (opts.resume) {
      options.sessionId = Buffer.from(opts.resume.sessionId, 'hex');
      options.sessionPassword = Buffer.from(opts.resume.password, 'hex');
    }
    const client = zookeeper.createClient(opts.connectString, options as Partial<zookeeper.Option>);
    const conn = new JsZkConnection(client, harden(client));
    const timeoutMs = opts.connectTimeoutMs ?? Math.max(5000, 2 * opts.sessionTimeoutMs);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        conn.off('state', onState);
        void conn.close();
        reject(new ZkError(ZK_RC.CONNECTIONLOSS, opts.connectString, 'connect', `(no server answered in ${timeoutMs} ms)`));
      }, timeoutMs);
      const onState = (s: ConnectionState): void => {
        if (s === 'connected') { clearTimeout(t); conn.off('state', onState); resolve(); }
        else if (s !== 'connecting') {
          clearTimeout(t); conn.off('state', onState);
          reject(new ZkError(s === 'expired' ? ZK_RC.SESSIONEXPIRED : s === 'auth_failed' ? ZK_RC.AUTHFAILED : ZK_RC.CLOSING, opts.connectString, 'connect'));
        }
      };
      conn.on('state', onState);
      client.connect();
    });
    for (const a of opts.auth ?? []) await conn.addAuth(a.scheme, a.auth);
    return conn;
  }
}

export function defaultConnector(): ZkConnector {
  return new JsZkConnector();
}
