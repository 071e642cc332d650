// The OpenFlow channel server: accepts datapaths over TCP (or TLS), runs one Session per connection, keeps the
// handshaken sessions by datapath id, fans events out to apps and subscribers. Implements ControllerHandle.
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { errorName, type OfMessage } from '../openflow/index.js';
import type { ControllerEvent, ControllerHandle, SwitchHandle, SwitchInfo, SwitchPort } from './api.js';
import type { ControllerApp } from './apps/types.js';
import { TypedEmitter } from './events.js';
import type { PacketIn } from './packet-in.js';
import { DEFAULT_SESSION_OPTIONS, Session, dpidHex, type SessionHooks, type SessionOptions } from './session.js';

export interface TlsOptions {
  cert: string | Buffer;
  key: string | Buffer;
  /** CA bundle: when given, switches must present a certificate signed by it (mutual TLS) */
  ca?: string | Buffer;
}

export interface ControllerOptions extends Partial<SessionOptions> {
  /** default 0.0.0.0 */
  host?: string;
  /** default 6653; 0 = any free port (see .port after start) */
  port?: number;
  tls?: TlsOptions;
  apps?: ControllerApp[];
  /** log sink; default console.log / console.warn; pass () => {} to silence */
  log?: (level: 'info' | 'warn', text: string) => void;
}

export interface ControllerEvents {
  'switch-up': [sw: Session];
  'switch-down': [sw: Session, reason: string];
  'port-status': [sw: Session, reason: 'ADD' | 'DELETE' | 'MODIFY', port: SwitchPort];
  'packet-in': [sw: Session, pi: PacketIn];
  message: [sw: Session, msg: OfMessage];
  /** a connection that never finished its handshake went away */
  rejected: [remote: string, reason: string];
}

export class Controller extends TypedEmitter<ControllerEvents> implements ControllerHandle {
  /** registered apps, called in order; may be edited in place (push/splice) */
  readonly apps: ControllerApp[];
  private readonly server: Server;
  private readonly sessionOpts: SessionOptions;
  private readonly all = new Set<Session>();
  private readonly byDpid = new Map<bigint, Session>();
  private readonly subscribers = new Set<(ev: ControllerEvent) => void>();
  private readonly log: (level: 'info' | 'warn', text: string) => void;
  private address = '';

  constructor(private readonly opts: ControllerOptions = {}) {
    super();
    this.apps = [...(opts.apps ?? [])];
    this.log = opts.log ?? ((level, text) => (level === 'warn' ? console.warn(text) : console.log(text)));
    this.sessionOpts = {
      echoIntervalMs: opts.echoIntervalMs ?? DEFAULT_SESSION_OPTIONS.echoIntervalMs,
      echoTimeoutMs: opts.echoTimeoutMs ?? DEFAULT_SESSION_OPTIONS.echoTimeoutMs,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? DEFAULT_SESSION_OPTIONS.handshakeTimeoutMs,
      requestTimeoutMs: opts.requestTimeoutMs ?? DEFAULT_SESSION_OPTIONS.requestTimeoutMs,
      maxQueueBytes: opts.maxQueueBytes ?? DEFAULT_SESSION_OPTIONS.maxQueueBytes,
    };
    const onConn = (socket: Socket): void => this.accept(socket);
    this.server = opts.tls
      ? createTlsServer({
        cert: opts.tls.cert, key: opts.tls.key,
        ...(opts.tls.ca ? { ca: opts.tls.ca, requestCert: true, rejectUnauthorized: true } : {}),
      }, onConn)
      : createTcpServer({ noDelay: true }, onConn);
    if (opts.tls) {
      this.server.on('tlsClientError', (err: Error, sock: Socket) => {
        this.log('warn', `TLS handshake with ${sock.remoteAddress ?? '?'} failed: ${err.message}`);
      });
    }
    this.server.on('error', (err) => this.log('warn', `OpenFlow listener error: ${err.message}`));
  }

  /** Listen; resolves once bound (rejects if the address is taken). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.opts.port ?? 6653, this.opts.host ?? '0.0.0.0', () => {
        this.server.off('error', onError);
        const a = this.server.address();
        this.address = a && typeof a === 'object' ? `${a.address}:${a.port}` : String(a);
        resolve();
      });
    });
  }

  /** Stop listening and disconnect every switch. */
  async stop(): Promise<void> {
    for (const s of this.all) s.close('controller stopping');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get port(): number {
    const a = this.server.address();
    return a && typeof a === 'object' ? a.port : 0;
  }

  get listenAddress(): string {
    return this.address;
  }

  addApp(app: ControllerApp): void {
    this.apps.push(app);
    for (const s of this.byDpid.values()) if (app.switchUp) this.runApp(app, s, () => app.switchUp?.(s));
  }

  // ------------------------------------------------------------------------------------------ ControllerHandle

  switches(): SwitchInfo[] {
    return [...this.byDpid.values()].map((s) => s.info()).sort((a, b) => (a.dpid < b.dpid ? -1 : a.dpid > b.dpid ? 1 : 0));
  }

  session(dpid: bigint): SwitchHandle | undefined {
    return this.byDpid.get(dpid);
  }

  /** the Session object itself (apps and tests) */
  sessionOf(dpid: bigint): Session | undefined {
    return this.byDpid.get(dpid);
  }

  /** every connection, handshaken or not */
  get connectionCount(): number {
    return this.all.size;
  }

  subscribe(listener: (ev: ControllerEvent) => void): () => void {
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  // ------------------------------------------------------------------------------------------ internals

  private publish(ev: ControllerEvent): void {
    for (const l of this.subscribers) {
      try {
        l(ev);
      } catch (err) {
        this.log('warn', `event subscriber failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private runApp(app: ControllerApp, s: Session, fn: () => unknown): unknown {
    try {
      const r = fn();
      if (r instanceof Promise) {
        r.catch((err: unknown) => this.log('warn', `app ${app.name} on ${s.label}: ${err instanceof Error ? err.message : String(err)}`));
      }
      return r;
    } catch (err) {
      this.log('warn', `app ${app.name} on ${s.label}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return undefined;
    }
  }

  private emitSafe<K extends keyof ControllerEvents>(ev: K, ...args: ControllerEvents[K]): void {
    try {
      this.emit(ev, ...args);
    } catch (err) {
      this.log('warn', `listener of ${String(ev)} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private accept(socket: Socket): void {
    let session: Session;
    try {
      session = new Session(socket, this.hooks, this.sessionOpts);
    } catch (err) {
      this.log('warn', `cannot start a session: ${err instanceof Error ? err.message : String(err)}`);
      socket.destroy();
      return;
    }
    this.all.add(session);
  }

  private readonly hooks: SessionHooks = {
    up: (s) => {
      const old = this.byDpid.get(s.dpid);
      if (old && old !== s) old.close('replaced by a new connection from the same datapath');
      this.byDpid.set(s.dpid, s);
      this.log('info', `switch ${dpidHex(s.dpid)} connected from ${s.remote} (${s.ports.size} ports, ${s.features?.n_tables ?? 0} tables)`);
      for (const app of this.apps) if (app.switchUp) this.runApp(app, s, () => app.switchUp?.(s));
      this.emitSafe('switch-up', s);
      this.publish({ type: 'switch-up', dpid: s.dpid, info: s.info() });
    },
    down: (s, reason, wasUp) => {
      this.all.delete(s);
      if (!wasUp) {
        this.emitSafe('rejected', s.remote, reason);
        if (s.dpid >= 0n) this.log('info', `switch ${dpidHex(s.dpid)} (${s.remote}) dropped during handshake: ${reason}`);
        else this.log('info', `connection ${s.remote} closed before handshake: ${reason}`);
        return;
      }
      const current = this.byDpid.get(s.dpid) === s;
      if (current) this.byDpid.delete(s.dpid);
      this.log('info', `switch ${dpidHex(s.dpid)} disconnected: ${reason}`);
      for (const app of this.apps) if (app.switchDown) this.runApp(app, s, () => app.switchDown?.(s, reason));
      this.emitSafe('switch-down', s, reason);
      if (current) this.publish({ type: 'switch-down', dpid: s.dpid, reason });
    },
    packetIn: (s, pi) => {
      // hot path: no closures; `apps` is read each time because owners may splice it (orchestrator removes L2)
      const apps = this.apps;
      for (let i = 0; i < apps.length; i++) {
        const app = apps[i];
        if (typeof app.packetIn !== 'function') continue;
        let stop: boolean | void = false;
        try {
          stop = app.packetIn(s, pi);
        } catch (err) {
          this.log('warn', `app ${app.name} on ${s.label}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
        }
        if (stop === true) break;
      }
      if (this.listenerCount('packet-in') > 0) this.emitSafe('packet-in', s, pi);
    },
    portStatus: (s, reason, port) => {
      for (const app of this.apps) if (app.portStatus) this.runApp(app, s, () => app.portStatus?.(s, reason, port));
      this.emitSafe('port-status', s, reason, port);
      this.publish({ type: 'port-status', dpid: s.dpid, reason, port });
    },
    message: (s, msg) => {
      for (const app of this.apps) if (app.message) this.runApp(app, s, () => app.message?.(s, msg));
      this.emitSafe('message', s, msg);
      if (msg.kind === 'OFPFlowRemoved') this.publish({ type: 'flow-removed', dpid: s.dpid, msg });
      else if (msg.kind === 'OFPErrorMsg') this.publish({ type: 'error', dpid: s.dpid, message: `unsolicited OFPT_ERROR ${errorName(msg.type, msg.code)} (type ${msg.type}, code ${msg.code})` });
    },
    log: (level, text) => this.log(level, text),
  };
}
