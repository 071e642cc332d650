// Private ZooKeeper servers: a standalone server or a loopback ensemble, each with its own data dir,
// loopback client port, no admin server (it would take 8080), small heap and fast JVM start.
import { mkdirSync, mkdtempSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { isAlive, killProcess, spawnDaemon, type ProcessHandle } from './proc.js';
import { freePorts } from './ports.js';
import { waitFor } from './exec.js';
import type { Ledger } from './ledger.js';

export const ZK_CLASSPATH = '/etc/zookeeper/conf:/usr/share/java/zookeeper.jar';
const JVM_FLAGS = ['-Xmx256m', '-Xms32m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xss512k',
  '-Djava.net.preferIPv4Stack=true', '-Dzookeeper.root.logger=INFO,CONSOLE', '-Dzookeeper.jmx.log4j.disable=true'];

export interface ZooKeeperServer {
  readonly connectString: string; readonly port: number; readonly pid: number;
  /** Directory with zoo.cfg, data/ and zookeeper.log. */
  readonly dir: string;
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  start(): Promise<void>;
  ruok(): Promise<boolean>;
}

/** Sends a four-letter command (ruok, srvr, mntr) to 127.0.0.1:port; resolves with the reply or '' on error. */
export function fourLetter(port: number, cmd: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    const sock = connect({ host: '127.0.0.1', port });
    const done = (): void => { sock.destroy(); resolve(out); };
    sock.setTimeout(timeoutMs, done);
    sock.on('connect', () => sock.write(cmd));
    sock.on('data', (d) => { out += d.toString('utf8'); });
    sock.on('end', done);
    sock.on('error', () => { out = ''; done(); });
    sock.on('close', () => resolve(out));
  });
}

interface ServerSpec { dir: string; cfg: string; port: number; main: string; label: string; ledger?: Ledger; id: string; readyTimeoutMs: number }

class Server implements ZooKeeperServer {
  private proc: ProcessHandle | undefined;
  constructor(private readonly spec: ServerSpec) {}
  get connectString(): string { return `127.0.0.1:${this.spec.port}`; }
  get port(): number { return this.spec.port; }
  get dir(): string { return this.spec.dir; }
  get pid(): number { return this.proc?.pid ?? -1; }

  /** Spawns the JVM (no wait). */
  launch(): void {
    if (this.proc && isAlive(this.proc.pid, this.proc.startTime)) return;
    const logFile = join(this.spec.dir, 'zookeeper.log');
    this.proc = spawnDaemon('java', ['-cp', ZK_CLASSPATH, ...JVM_FLAGS, `-Dzookeeper.log.dir=${this.spec.dir}`,
      this.spec.main, this.spec.cfg], { logFile, cwd: this.spec.dir });
    this.spec.ledger?.record({ kind: 'process', id: this.spec.id, pid: this.proc.pid, startTime: this.proc.startTime, label: this.spec.label });
  }

  /** Waits until the server answers `srvr` with a mode (standalone, leader or follower). */
  async waitServing(timeoutMs = this.spec.readyTimeoutMs): Promise<void> {
    const ok = await waitFor(async () => {
      if (this.proc && !isAlive(this.proc.pid, this.proc.startTime)) throw new Error(`ZooKeeper ${this.spec.label} exited during start; see ${join(this.spec.dir, 'zookeeper.log')}:\n${logTail(this.spec.dir)}`);
      return /Mode: /.test(await fourLetter(this.spec.port, 'srvr', 1000));
    }, timeoutMs, 150);
    if (!ok) throw new Error(`ZooKeeper ${this.spec.label} on port ${this.spec.port} not serving after ${timeoutMs} ms; see ${join(this.spec.dir, 'zookeeper.log')}:\n${logTail(this.spec.dir)}`);
  }

  async start(): Promise<void> { this.launch(); await this.waitServing(); }

  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (!this.proc) return;
    await killProcess(this.proc.pid, this.proc.startTime, { signal, graceMs: 5000 });
  }

  async ruok(): Promise<boolean> { return (await fourLetter(this.spec.port, 'ruok')) === 'imok'; }
}

function logTail(dir: string, lines = 15): string {
  const f = join(dir, 'zookeeper.log');
  if (!existsSync(f)) return '(no log)';
  return readFileSync(f, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function baseConfig(dataDir: string, port: number): string[] {
  return ['tickTime=500', 'initLimit=20', 'syncLimit=10', `dataDir=${dataDir}`, `clientPort=${port}`,
    'clientPortAddress=127.0.0.1', 'admin.enableServer=false', '4lw.commands.whitelist=ruok,srvr,mntr,stat',
    'maxClientCnxns=200', 'autopurge.purgeInterval=0', 'minSessionTimeout=1000', 'maxSessionTimeout=30000'];
}

function prepareDir(dir: string | undefined, prefix: string, ledger?: Ledger): string {
  if (dir) {
    const created = !existsSync(dir);
    mkdirSync(dir, { recursive: true });
    if (created) ledger?.record({ kind: 'dir', path: dir, label: 'ZooKeeper dir' });
    return dir;
  }
  const d = mkdtempSync(join(tmpdir(), prefix));
  ledger?.record({ kind: 'dir', path: d, label: 'ZooKeeper dir' });
  return d;
}

/** A standalone server on 127.0.0.1 (port from the OS unless given); resolves once it serves. */
export async function startZooKeeper(opts: { dir?: string; port?: number; ledger?: Ledger; readyTimeoutMs?: number } = {}): Promise<ZooKeeperServer> {
  const dir = prepareDir(opts.dir, 'rv-zk-', opts.ledger);
  const port = opts.port ?? (await freePorts(1))[0]!;
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const cfg = join(dir, 'zoo.cfg');
  writeFileSync(cfg, baseConfig(dataDir, port).join('\n') + '\n');
  const server = new Server({ dir, cfg, port, main: 'org.apache.zookeeper.server.ZooKeeperServerMain',
    label: `zookeeper :${port}`, ledger: opts.ledger, id: `zk:${dir}`, readyTimeoutMs: opts.readyTimeoutMs ?? 30_000 });
  await server.start();
  return server;
}

/** A loopback ensemble of `size` servers (QuorumPeerMain, myid per server); resolves once every
 * server is leader or follower. */
export async function startEnsemble(opts: { size: number; dir?: string; ledger?: Ledger; readyTimeoutMs?: number }):
  Promise<{ servers: ZooKeeperServer[]; connectString: string; stop(): Promise<void> }> {
  if (opts.size < 1) throw new Error('ensemble size must be ≥ 1');
  const root = prepareDir(opts.dir, 'rv-zke-', opts.ledger);
  const ports = await freePorts(opts.size * 3);
  const peers = Array.from({ length: opts.size }, (_, i) => ({ id: i + 1, client: ports[3 * i]!, quorum: ports[3 * i + 1]!, election: ports[3 * i + 2]! }));
  const servers: Server[] = peers.map((p) => {
    const dir = join(root, `server${p.id}`);
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'myid'), `${p.id}\n`);
    const cfg = join(dir, 'zoo.cfg');
    const lines = [...baseConfig(dataDir, p.client), 'standaloneEnabled=false', 'reconfigEnabled=false',
      ...peers.map((q) => `server.${q.id}=127.0.0.1:${q.quorum}:${q.election}`)];
    writeFileSync(cfg, lines.join('\n') + '\n');
    return new Server({ dir, cfg, port: p.client, main: 'org.apache.zookeeper.server.quorum.QuorumPeerMain',
      label: `zookeeper ensemble member ${p.id} :${p.client}`, ledger: opts.ledger, id: `zk:${dir}`, readyTimeoutMs: opts.readyTimeoutMs ?? 45_000 });
  });
  const stop = async (): Promise<void> => { await Promise.all(servers.map((s) => s.stop())); };
  try {
    for (const s of servers) s.launch();
    await Promise.all(servers.map((s) => s.waitServing()));
  } catch (err) {
    await stop();
    throw err;
  }
  return { servers, connectString: servers.map((s) => s.connectString).join(','), stop };
}
