// Alternative backend over the `zookeeper` npm package (binding of the official C client). NOT the
// default: after the C client reconnects (server restart, ensemble failover) the binding leaks a libuv
// poll registration for the old socket's fd number; every later socket that gets the same fd number
// busy-loops and never connects (reproduced with a 3-node ensemble; see cluster/README.md). Kept for
// comparison and for environments where no server ever restarts.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { ZkError, ZK_RC } from './errors.js';
import type { Acl, ConnectionState, ConnectOptions, CreateMode, MultiOp, Watcher, WatchEventType, ZkConnection, ZkConnector, ZkStat } from './zk.js';


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

const FLAGS: Record<CreateMode, number> = { persistent: 0, ephemeral: 1, persistent_sequential: 2, ephemeral_sequential: 3 };
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

  create(path: string, data: Buffer, mode: CreateMode, acl?: Acl[]): Promise<string> {
    const created = this.call<string>('create', path, (done) => this.zk.a_create(path, data, FLAGS[mode], (rc, _e, p) => done(rc, p)));
    if (!acl) return created;
    // The binding always creates with the open ACL: the ACL follows in a second request (not atomic).
    return created.then(async (p) => { await this.setAcl(p, 0, acl); return p; });
  }
  multi(_ops: MultiOp[]): Promise<void> {
    return Promise.reject(new ZkError(ZK_RC.UNIMPLEMENTED, '/', 'multi', '(the zookeeper binding has no multi)'));
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
  close(): Promise<void> {
    if (!this.terminal) {
      this.closing = true;
      // zookeeper_close() is synchronous in the single-threaded C client and emits 'close' (code 0);
      // the native handle must never be used afterwards (the binding would crash).
      try { this.zk.close(); } catch { /* already closed natively */ }
      this.setState('closed');
    }
    return afterPollHandlesClosed();
  }
}

/**
 * zookeeper_close() closes the socket at once but the binding's libuv poll handle for it is closed
 * asynchronously; a socket opened before that gets the same fd number and libuv then malfunctions (the new
 * handle busy-loops and never connects). Waiting for two loop turns lets the old handle finish closing.
 */
function afterPollHandlesClosed(): Promise<void> {
  return new Promise((resolve) => setImmediate(() => setTimeout(resolve, 1)));
}

/** Sessions over the official C client (npm `zookeeper`). */
export class NativeZkConnector implements ZkConnector {
  /** C client log level (to stderr); default from RACKVISOR_ZK_LOG, else 'none'. */
  constructor(private readonly logLevel: 'none' | 'error' | 'warn' | 'info' | 'debug' =
    (process.env.RACKVISOR_ZK_LOG as 'none' | 'error' | 'warn' | 'info' | 'debug' | undefined) ?? 'none') {}

  async connect(opts: ConnectOptions): Promise<ZkConnection> {
    const Ctor = loadNative();
    await afterPollHandlesClosed(); // a handle closed natively just before (session expiry) must be gone
    const level = { none: 0, error: 1, warn: 2, info: 3, debug: 4 }[this.logLevel] ?? 0;
    const config: Record<string, unknown> = {
      connect: opts.connectString,
      timeout: opts.sessionTimeoutMs,
      debug_level: level,
      host_order_deterministic: false,
      data_as_buffer: true,
      // The binding closes the handle (reported like an expiry) after N consecutive zookeeper_process()
      // calls without a response (default 10), which trips while an ensemble member restarts or a
      // leader is being elected. Real expiry comes from the server through the session watcher.
      response_counter_limit: 100_000,
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
