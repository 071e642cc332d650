// The thin ZooKeeper adapter. Everything else in cluster/ talks to `ZkConnection` (one ZooKeeper session)
// and `ZkConnector` (makes sessions), never to the client library, so the store runs unchanged against
// the in-memory fake in unit tests and against real servers through `NativeZkConnector`.
//
// Backend: the `zookeeper` npm package (v7), a binding of the official ZooKeeper C client. We use its
// callback API (a_* / aw_*) because it hands us the numeric result code, which we map to ZkError.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { ZkError, ZK_RC } from './errors.js';

/** 'container': persistent, deleted by the server some time after its last child goes (ZooKeeper ≥ 3.5). */
export type CreateMode = 'persistent' | 'ephemeral' | 'persistent_sequential' | 'ephemeral_sequential' | 'container';

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

/** One ZooKeeper session. After a terminal state every call rejects with ZkError CLOSED / SESSION_EXPIRED. */
export interface ZkConnection {
  readonly state: ConnectionState;
  /** Session id in hex (same format as ZkStat.ephemeralOwner). */
  readonly sessionId: string;
  /** Session id + password, to resume the session from another handle (tests use it to force an expiry). */
  credentials(): { sessionId: string; password: string };
  on<K extends keyof ZkConnectionEvents>(ev: K, fn: (...a: ZkConnectionEvents[K]) => void): this;
  off<K extends keyof ZkConnectionEvents>(ev: K, fn: (...a: ZkConnectionEvents[K]) => void): this;
  create(path: string, data: Buffer, mode: CreateMode): Promise<string>;
  get(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: ZkStat }>;
  getChildren(path: string, watcher?: Watcher): Promise<string[]>;
  /** null when the node does not exist (a watcher is still set: it fires on creation). */
  exists(path: string, watcher?: Watcher): Promise<ZkStat | null>;
  /** version -1 = unconditional. */
  set(path: string, data: Buffer, version: number): Promise<ZkStat>;
  delete(path: string, version: number): Promise<void>;
  getAcl(path: string): Promise<{ acl: Acl[]; stat: ZkStat }>;
  setAcl(path: string, aversion: number, acl: Acl[]): Promise<void>;
  addAuth(scheme: string, auth: string): Promise<void>;
  sync(path: string): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** host:port[,host:port...][/chroot] */
  connectString: string;
  /** Requested session timeout (the server clamps it to [2, 20] × tickTime by default). */
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
// The native backend.

interface NativeStat {
  czxid: number; mzxid: number; pzxid: number; dataLength: number; numChildren: number;
  version: number; cversion: number; aversion: number; ctime: Date | number; mtime: Date | number; ephemeralOwner: string;
}
type WatchCb = (type: number, state: number, path: string) => void;
interface NativeClient {
  init(config: Record<string, unknown>): NativeClient;
  on(ev: string, fn: (...a: unknown[]) => void): void;
  close(): void;
  readonly client_id: string;
  readonly client_password: string;
  a_create(path: string, data: Buffer, flags: number, cb: (rc: number, err: string, path: string) => void): number;
  a_get(path: string, watch: boolean, cb: (rc: number, err: string, stat: NativeStat, data: Buffer | null) => void): number;
  aw_get(path: string, w: WatchCb, cb: (rc: number, err: string, stat: NativeStat, data: Buffer | null) => void): number;
  a_get_children(path: string, watch: boolean, cb: (rc: number, err: string, children: string[]) => void): number;
  aw_get_children(path: string, w: WatchCb, cb: (rc: number, err: string, children: string[]) => void): number;
  a_exists(path: string, watch: boolean, cb: (rc: number, err: string, stat: NativeStat) => void): number;
  aw_exists(path: string, w: WatchCb, cb: (rc: number, err: string, stat: NativeStat) => void): number;
  a_set(path: string, data: Buffer, version: number, cb: (rc: number, err: string, stat: NativeStat) => void): number;
  a_delete_(path: string, version: number, cb: (rc: number, err: string) => void): number;
  a_get_acl(path: string, cb: (rc: number, err: string, acl: { perms: number; scheme: string; auth: string }[], stat: NativeStat) => void): number;
  a_set_acl(path: string, version: number, acl: { perms: number; scheme: string; auth: string }[], cb: (rc: number, err: string) => void): number;
  add_auth(scheme: string, auth: string, cb: (rc: number, err: string) => void): number;
  a_sync(path: string, cb: (rc: number, err: string) => void): number;
}
type NativeCtor = new (config: Record<string, unknown>) => NativeClient;

const FLAGS: Record<CreateMode, number> = { persistent: 0, ephemeral: 1, persistent_sequential: 2, ephemeral_sequential: 3, container: 4 };
const EVENT_TYPES: Record<number, WatchEventType> = { 1: 'created', 2: 'deleted', 3: 'changed', 4: 'child' };

let nativeCtor: NativeCtor | undefined;
function loadNative(): NativeCtor {
  if (!nativeCtor) {
    const require = createRequire(import.meta.url);
    // The package's main export is the promise-enabled class; we only use its callback methods.
    nativeCtor = require('zookeeper') as NativeCtor;
  }
  return nativeCtor;
}

function toMs(v: Date | number): number { return v instanceof Date ? v.getTime() : Number(v); }
function toStat(s: NativeStat): ZkStat {
  return {
    czxid: s.czxid, mzxid: s.mzxid, pzxid: s.pzxid, version: s.version, cversion: s.cversion, aversion: s.aversion,
    ephemeralOwner: s.ephemeralOwner, dataLength: s.dataLength, numChildren: s.numChildren, ctime: toMs(s.ctime), mtime: toMs(s.mtime),
  };
}

class NativeZkConnection extends EventEmitter implements ZkConnection {
  private _state: ConnectionState = 'connecting';
  private readonly zk: NativeClient;
  private sid = '0';
  private closing = false;
  authFailed = false;

  constructor(zk: NativeClient) {
    super();
    this.zk = zk;
    zk.on('connect', () => {
      this.sid = zk.client_id;
      this.setState('connected');
    });
    zk.on('connecting', () => this.setState('connecting'));
    zk.on('close', () => {
      // The binding emits 'close' after zookeeper_close(); the native handle must not be used again.
      // Its JS wrapper replaces the close code by the client object, so the cause is inferred: a close
      // we did not ask for is the server expiring the session (or rejecting our auth, seen by addAuth).
      if (this.closing) this.setState('closed');
      else this.setState(this.authFailed ? 'auth_failed' : 'expired');
    });
  }

  get state(): ConnectionState { return this._state; }
  get sessionId(): string { return this.sid; }
  private get terminal(): boolean { return this._state === 'expired' || this._state === 'closed' || this._state === 'auth_failed'; }

  private setState(s: ConnectionState): void {
    if (this.terminal || s === this._state) return;
    this._state = s;
    this.emit('state', s);
  }

  credentials(): { sessionId: string; password: string } {
    return { sessionId: this.zk.client_id, password: this.zk.client_password };
  }

  /** Runs one asynchronous native call, rejecting with a ZkError on a non-zero result code. */
  private call<T>(op: string, path: string, start: (done: (rc: number, value?: T) => void) => number): Promise<T> {
    if (this.terminal) {
      return Promise.reject(new ZkError(this._state === 'expired' ? ZK_RC.SESSIONEXPIRED : ZK_RC.CLOSING, path, op));
    }
    return new Promise<T>((resolve, reject) => {
      const rc = start((code, value) => {
        if (code === ZK_RC.OK) resolve(value as T);
        else reject(new ZkError(code, path, op));
      });
      if (rc !== ZK_RC.OK) reject(new ZkError(rc, path, op, '(not sent)'));
    });
  }

  private wrapWatcher(w: Watcher): WatchCb {
    // The C client also delivers session events (type -1) to every watcher without consuming it;
    // those are connection-state noise for a data watcher, so only real node events pass.
    let fired = false;
    return (type, _state, path) => {
      const t = EVENT_TYPES[type];
      if (!t || fired || this.terminal) return;
      fired = true;
      w({ type: t, path });
    };
  }

  create(path: string, data: Buffer, mode: CreateMode): Promise<string> {
    return this.call<string>('create', path, (done) => this.zk.a_create(path, data, FLAGS[mode], (rc, _e, p) => done(rc, p)));
  }
  get(path: string, watcher?: Watcher): Promise<{ data: Buffer; stat: ZkStat }> {
    return this.call('get', path, (done) => {
      const cb = (rc: number, _e: string, stat: NativeStat, data: Buffer | null): void =>
        done(rc, rc === 0 ? { data: data ?? Buffer.alloc(0), stat: toStat(stat) } : undefined);
      return watcher ? this.zk.aw_get(path, this.wrapWatcher(watcher), cb) : this.zk.a_get(path, false, cb);
    });
  }
  getChildren(path: string, watcher?: Watcher): Promise<string[]> {
    return this.call('getChildren', path, (done) => {
      const cb = (rc: number, _e: string, children: string[]): void => done(rc, children ?? []);
      return watcher ? this.zk.aw_get_children(path, this.wrapWatcher(watcher), cb) : this.zk.a_get_children(path, false, cb);
    });
  }
  exists(path: string, watcher?: Watcher): Promise<ZkStat | null> {
    return this.call<ZkStat | null>('exists', path, (done) => {
      const cb = (rc: number, _e: string, stat: NativeStat): void => {
        if (rc === ZK_RC.NONODE) done(ZK_RC.OK, null);
        else done(rc, rc === 0 ? toStat(stat) : null);
      };
      return watcher ? this.zk.aw_exists(path, this.wrapWatcher(watcher), cb) : this.zk.a_exists(path, false, cb);
    });
  }
  set(path: string, data: Buffer, version: number): Promise<ZkStat> {
    return this.call('set', path, (done) => this.zk.a_set(path, data, version, (rc, _e, stat) => done(rc, rc === 0 ? toStat(stat) : undefined)));
  }
  delete(path: string, version: number): Promise<void> {
    return this.call('delete', path, (done) => this.zk.a_delete_(path, version, (rc) => done(rc)));
  }
  getAcl(path: string): Promise<{ acl: Acl[]; stat: ZkStat }> {
    return this.call('getAcl', path, (done) => this.zk.a_get_acl(path, (rc, _e, acl, stat) =>
      done(rc, rc === 0 ? { acl: acl.map((a) => ({ perms: a.perms, scheme: a.scheme, id: a.auth })), stat: toStat(stat) } : undefined)));
  }
  setAcl(path: string, aversion: number, acl: Acl[]): Promise<void> {
    const native = acl.map((a) => ({ perms: a.perms, scheme: a.scheme, auth: a.id }));
    return this.call('setAcl', path, (done) => this.zk.a_set_acl(path, aversion, native, (rc) => done(rc)));
  }
  addAuth(scheme: string, auth: string): Promise<void> {
    return this.call('addAuth', '/', (done) => this.zk.add_auth(scheme, auth, (rc) => {
      if (rc === ZK_RC.AUTHFAILED) this.authFailed = true;
      done(rc);
    }));
  }
  sync(path: string): Promise<void> {
    return this.call('sync', path, (done) => this.zk.a_sync(path, (rc: number) => done(rc)));
  }
  close(): Promise<void> {
    if (!this.terminal) {
      this.closing = true;
      // zookeeper_close() is synchronous in the single-threaded C client and emits 'close' (code 0);
      // the native handle must never be used afterwards (the binding would crash).
      try { this.zk.close(); } catch { /* already closed natively */ }
      this.setState('closed');
    }
    return Promise.resolve();
  }
}

/** Sessions over the official C client (npm `zookeeper`). */
export class NativeZkConnector implements ZkConnector {
  /** C client log level (to stderr); default from RACKVISOR_ZK_LOG, else 'none'. */
  constructor(private readonly logLevel: 'none' | 'error' | 'warn' | 'info' | 'debug' =
    (process.env.RACKVISOR_ZK_LOG as 'none' | 'error' | 'warn' | 'info' | 'debug' | undefined) ?? 'none') {}

  async connect(opts: ConnectOptions): Promise<ZkConnection> {
    const Ctor = loadNative();
    const level = { none: 0, error: 1, warn: 2, info: 3, debug: 4 }[this.logLevel] ?? 0;
    const config: Record<string, unknown> = {
      connect: opts.connectString,
      timeout: opts.sessionTimeoutMs,
      debug_level: level,
      host_order_deterministic: false,
      data_as_buffer: true,
    };
    if (opts.resume) {
      config.client_id = opts.resume.sessionId;
      config.client_password = opts.resume.password;
    }
    const zk = new Ctor(config);
    const conn = new NativeZkConnection(zk);
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
          reject(new ZkError(s === 'expired' ? ZK_RC.SESSIONEXPIRED : ZK_RC.AUTHFAILED, opts.connectString, 'connect'));
        }
      };
      conn.on('state', onState);
      zk.init({});
    });
    for (const a of opts.auth ?? []) await conn.addAuth(a.scheme, a.auth);
    return conn;
  }
}
