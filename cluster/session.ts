// A durable ZooKeeper session: wraps the current ZkConnection and replaces it when the server expires it.
//
// - Connection loss inside a session is handled by the client library (it reconnects to any server of
//   the connect string and re-sends its watches); we only wait for the 'connected' state again.
// - Session expiry is terminal for a connection: we open a new one (same connect string and auth),
//   bump `generation`, re-create every registered ephemeral node (EphemeralSet) and emit 'session' so
//   watchers re-read and re-arm. Every ephemeral node is created with an ownership check so an agent
//   never holds two registrations and never steals a node another live session still owns.
import { EventEmitter } from 'node:events';
import { isZkError, ZkError, ZK_RC } from './errors.js';
import { defaultConnector, type Acl, type ConnectionState, type ConnectOptions, type ZkConnection, type ZkConnector } from './zk.js';

export interface SessionOptions {
  connectString: string;
  sessionTimeoutMs: number;
  connectTimeoutMs?: number;
  /** e.g. [{ scheme: 'digest', auth: 'user:password' }] — re-added to every new connection. */
  auth?: { scheme: string; auth: string }[];
  connector?: ZkConnector;
  /** Called on background errors (re-registration, watch re-arm) instead of throwing. */
  onError?: (e: unknown) => void;
}

export interface SessionEvents {
  /** A new session replaced an expired one (generation > 1). Ephemerals are already re-created. */
  session: [generation: number];
  /** Connection state of the current session ('expired' is followed by a new session). */
  state: [ConnectionState];
  expired: [generation: number];
}

export class ZkSession extends EventEmitter<SessionEvents> {
  private current: ZkConnection;
  private gen = 1;
  private closed = false;
  private replacing: Promise<ZkConnection> | undefined;
  private readonly hooks: ((conn: ZkConnection, generation: number) => Promise<void>)[] = [];
  readonly opts: SessionOptions;
  private readonly connector: ZkConnector;

  private constructor(opts: SessionOptions, conn: ZkConnection, connector: ZkConnector) {
    super();
    this.opts = opts;
    this.connector = connector;
    this.current = conn;
    this.attach(conn);
  }

  static async open(opts: SessionOptions): Promise<ZkSession> {
    const connector = opts.connector ?? defaultConnector();
    const deadline = Date.now() + (opts.connectTimeoutMs ?? Math.max(10_000, 2 * opts.sessionTimeoutMs));
    for (;;) {
      try {
        const conn = await connector.connect({ ...ZkSession.connectOpts(opts), connectTimeoutMs: Math.max(1000, deadline - Date.now()) });
        return new ZkSession(opts, conn, connector);
      } catch (e) {
        // A handle that died during its first connect is retried with a fresh one until the deadline.
        if (!isZkError(e, 'SESSION_EXPIRED') || Date.now() > deadline) throw e;
        await sleep(100);
      }
    }
  }

  private static connectOpts(opts: SessionOptions): ConnectOptions {
    return { connectString: opts.connectString, sessionTimeoutMs: opts.sessionTimeoutMs, connectTimeoutMs: opts.connectTimeoutMs, auth: opts.auth };
  }

  get generation(): number { return this.gen; }
  get conn(): ZkConnection { return this.current; }
  get isClosed(): boolean { return this.closed; }
  get sessionId(): string { return this.current.sessionId; }

  /** Registers a hook run (in order) after every session replacement, before 'session' is emitted. */
  onNewSession(fn: (conn: ZkConnection, generation: number) => Promise<void>): void { this.hooks.push(fn); }

  private reportError(e: unknown): void {
    if (this.opts.onError) this.opts.onError(e);
  }

  private attach(conn: ZkConnection): void {
    const onState = (s: ConnectionState): void => {
      if (conn !== this.current) return;
      this.emit('state', s);
      if (s === 'expired' && !this.closed) {
        this.emit('expired', this.gen);
        void this.replace().catch((e) => this.reportError(e));
      }
    };
    conn.on('state', onState);
  }

  /** Opens a replacement session (retrying until it succeeds or the session is closed). */
  private replace(): Promise<ZkConnection> {
    if (this.replacing) return this.replacing;
    this.replacing = (async () => {
      let delay = 100;
      for (;;) {
        if (this.closed) throw new ZkError(ZK_RC.CLOSING, '/', 'session');
        try {
          const conn = await this.connector.connect(ZkSession.connectOpts(this.opts));
          if (this.closed) { await conn.close(); throw new ZkError(ZK_RC.CLOSING, '/', 'session'); }
          this.current = conn;
          this.gen += 1;
          this.attach(conn);
          for (const hook of this.hooks) {
            try { await hook(conn, this.gen); } catch (e) { this.reportError(e); }
          }
          this.emit('session', this.gen);
          return conn;
        } catch (e) {
          if (isZkError(e, 'CLOSED')) throw e;
          this.reportError(e);
          await sleep(delay);
          delay = Math.min(delay * 2, 2000);
        }
      }
    })().finally(() => { this.replacing = undefined; });
    return this.replacing;
  }

  /** A connection that is connected (waits through reconnects and session replacement). */
  async ready(timeoutMs = Math.max(10_000, 3 * this.opts.sessionTimeoutMs)): Promise<ZkConnection> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.closed) throw new ZkError(ZK_RC.CLOSING, '/', 'session');
      const c = this.current;
      if (c.state === 'connected') return c;
      if (c.state === 'expired' || c.state === 'auth_failed') {
        if (c.state === 'auth_failed') throw new ZkError(ZK_RC.AUTHFAILED, '/', 'session');
        await this.replace();
        continue;
      }
      if (c.state === 'closed') throw new ZkError(ZK_RC.CLOSING, '/', 'session');
      const left = deadline - Date.now();
      if (left <= 0) throw new ZkError(ZK_RC.CONNECTIONLOSS, '/', 'session', '(not reconnected in time)');
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, Math.min(left, 250));
        function done(): void { clearTimeout(t); c.off('state', done); resolve(); }
        c.on('state', done);
      });
    }
  }

  /**
   * Runs `op` on a connected connection, retrying on connection loss and session expiry.
   * Only for idempotent operations (reads, unconditional sets, creates that tolerate NODE_EXISTS).
   */
  async retry<T>(op: (conn: ZkConnection) => Promise<T>, attempts = 20): Promise<T> {
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      const conn = await this.ready();
      try {
        return await op(conn);
      } catch (e) {
        if (!(e instanceof ZkError) || !e.retryable || this.closed) throw e;
        last = e;
        await sleep(Math.min(50 * (i + 1), 500));
      }
    }
    throw last;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.current.close();
  }

  /**
   * Forces the server to expire the current session (tests): resumes it on a second handle and closes
   * that. The original handle may win the session back (it reconnects at once when the server moves the
   * session away from it) before the close goes out, so this repeats until the session really expired.
   */
  async expireForTest(): Promise<void> {
    const victim = this.current;
    const creds = victim.credentials();
    for (let i = 0; i < 20; i++) {
      try {
        const other = await this.connector.connect({ ...ZkSession.connectOpts(this.opts), resume: creds, connectTimeoutMs: 3000 });
        await other.close();
      } catch (e) {
        if (isZkError(e, 'SESSION_EXPIRED')) return; // already gone
      }
      const deadline = Date.now() + 1000;
      while (Date.now() < deadline) {
        if (victim.state === 'expired' || this.current !== victim) return;
        await sleep(20);
      }
    }
    throw new Error('could not expire the session');
  }
}

/** Ephemeral nodes kept alive across session expiry: re-created, with an ownership check, on every new session. */
export class EphemeralSet {
  private readonly nodes = new Map<string, { data: () => Buffer; acl?: Acl[] }>();
  private readonly session: ZkSession;

  constructor(session: ZkSession) {
    this.session = session;
    session.onNewSession(async (conn) => {
      for (const [path, n] of this.nodes) {
        try {
          await this.createOwned(conn, path, n.data(), n.acl);
        } catch (e) {
          session.opts.onError?.(e);
        }
      }
    });
  }

  has(path: string): boolean { return this.nodes.has(path); }
  paths(): string[] { return [...this.nodes.keys()]; }

  /**
   * Creates (or adopts, if this session already owns it) the ephemeral node and keeps it registered.
   * If another live session owns the path (e.g. the previous incarnation of this agent that has not
   * expired yet), waits until that node disappears (at most `waitMs`), then creates it.
   */
  async register(path: string, data: () => Buffer, opts: { waitMs?: number; acl?: Acl[] } = {}): Promise<void> {
    this.nodes.set(path, { data, acl: opts.acl });
    try {
      await this.session.retry((conn) => this.createOwned(conn, path, data(), opts.acl, opts.waitMs));
    } catch (e) {
      this.nodes.delete(path);
      throw e;
    }
  }

  /** Updates the data of a registered node (and of what a future re-registration writes). */
  async update(path: string, data: () => Buffer): Promise<void> {
    const n = this.nodes.get(path);
    if (!n) throw new ZkError(ZK_RC.NONODE, path, 'update', '(not registered)');
    n.data = data;
    await this.session.retry((conn) => conn.set(path, data(), -1));
  }

  async unregister(path: string): Promise<void> {
    if (!this.nodes.delete(path)) return;
    await this.session.retry(async (conn) => {
      const st = await conn.exists(path);
      if (st && st.ephemeralOwner === conn.sessionId) {
        await conn.delete(path, -1).catch((e) => { if (!isZkError(e, 'NO_NODE')) throw e; });
      }
    });
  }

  private async createOwned(conn: ZkConnection, path: string, data: Buffer, acl?: Acl[],
    waitMs = Math.max(3 * this.session.opts.sessionTimeoutMs, 5000)): Promise<void> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      try {
        await conn.create(path, data, 'ephemeral', acl);
        return;
      } catch (e) {
        if (!isZkError(e, 'NODE_EXISTS')) throw e;
      }
      // Exists: ours (a retried create after connection loss) → just refresh the data.
      let gone!: Promise<void>;
      const st = await new Promise<Awaited<ReturnType<ZkConnection['exists']>>>((resolve, reject) => {
        gone = new Promise<void>((res) => {
          conn.exists(path, (ev) => { if (ev.type === 'deleted') res(); }).then(resolve, reject);
        });
      });
      if (st === null) continue; // deleted between create and exists
      if (st.ephemeralOwner === conn.sessionId) {
        await conn.set(path, data, -1);
        return;
      }
      // Owned by another session: wait for it to go away (it expires within its session timeout).
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ZkError(ZK_RC.NODEEXISTS, path, 'register', `(owned by live session 0x${st.ephemeralOwner})`);
      }
      await Promise.race([gone, sleep(Math.min(left, 1000))]);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
