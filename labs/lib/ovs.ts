// A private Open vSwitch: own ovsdb-server + ovs-vswitchd with their sockets, db, logs and pidfiles
// in one private dir; PIDs recorded so teardown kills exactly these.
//
// Datapath: bridges default to datapath_type=dummy with ovs-vswitchd --enable-dummy. That is the
// same userspace datapath (dpif-netdev) as `netdev`, with real veth ports (af_packet), but its
// internal ports (the bridge's LOCAL port and the datapath port) are not kernel tap devices. With
// `netdev` every ovs-vswitchd creates a kernel tap called `ovs-netdev` (+ one per bridge) in the
// root namespace, so a second private OVS fails ("ovs-netdev: creating tap device failed: Device or
// resource busy") and a killed one leaves the taps behind. See labs/README.md.
import * as fs from 'node:fs';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { run, waitFor } from './exec.js';
import { isAlive, killProcess, processStartTime as procStart, spawnDaemon, type ProcessHandle } from './proc.js';

import type { Ledger } from './ledger.js';

export type DatapathType = 'dummy' | 'netdev';

export interface BridgeOptions {
  /** e.g. tcp:127.0.0.1:6653 */
  controller?: string;
  failMode?: 'secure' | 'standalone';
  /** 16 hex digits */
  dpid?: string;
  /** Default 'dummy' (see the header comment); 'netdev' creates kernel taps. */
  datapathType?: DatapathType;
  /** Default OpenFlow13. */
  protocols?: string;
}

export interface OvsInstance {
  readonly dir: string;
  /** OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR/... pointing at `dir`: run ovs-vsctl/ofctl/appctl with it. */
  readonly env: Record<string, string>;
  /** unix:DIR/db.sock */
  readonly db: string;
  readonly pids: { ovsdb: number; vswitchd: number };
  vsctl(...args: string[]): Promise<string>;
  /** ovs-ofctl -O OpenFlow13 ... */
  ofctl(...args: string[]): Promise<string>;
  /** ovs-appctl -t DIR/ovs-vswitchd.ctl ... */
  appctl(...args: string[]): Promise<string>;
  addBridge(name: string, opts?: BridgeOptions): Promise<void>;
  /** Adds a port (an existing link in the root namespace); returns its OpenFlow port number. */
  addPort(bridge: string, iface: string, ofport?: number): Promise<number>;
  /** Restarts ovs-vswitchd keeping the database (bridges, ports, controller targets). */
  restart(): Promise<void>;
  /** Stops both daemons (and removes the dir if startOvs created it). */
  stop(): Promise<void>;
  /** Both daemons alive. */
  alive(): boolean;
}

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

class Ovs implements OvsInstance {
  readonly db: string;
  readonly env: Record<string, string>;
  private ovsdb: ProcessHandle | undefined;
  private vswitchd: ProcessHandle | undefined;

  constructor(readonly dir: string, private readonly ledger: Ledger | undefined, private readonly ownsDir: boolean) {
    this.db = `unix:${join(dir, 'db.sock')}`;
    this.env = { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir, OVS_PKGDATADIR: '/usr/share/openvswitch' };
  }

  get pids(): { ovsdb: number; vswitchd: number } { return { ovsdb: this.ovsdb?.pid ?? -1, vswitchd: this.vswitchd?.pid ?? -1 }; }

  adopt(ovsdb: ProcessHandle | undefined, vswitchd: ProcessHandle | undefined): void {
    this.ovsdb = ovsdb;
    this.vswitchd = vswitchd;
  }

  async start(): Promise<void> {
    await run('ovsdb-tool', ['create', join(this.dir, 'conf.db'), SCHEMA], { env: this.env });
    this.ovsdb = spawnDaemon('ovsdb-server', [join(this.dir, 'conf.db'), `--remote=p${this.db}`,
      `--unixctl=${join(this.dir, 'ovsdb-server.ctl')}`, `--pidfile=${join(this.dir, 'ovsdb-server.pid')}`,
      `--log-file=${join(this.dir, 'ovsdb-server.log')}`], { logFile: join(this.dir, 'ovsdb-server.out'), env: this.env });
    this.ledger?.record({ kind: 'process', id: `ovsdb:${this.dir}`, pid: this.ovsdb.pid, startTime: this.ovsdb.startTime, label: 'ovsdb-server' });
    if (!(await waitFor(() => existsSync(join(this.dir, 'db.sock')), 10_000, 50))) {
      throw new Error(`ovsdb-server did not create ${join(this.dir, 'db.sock')}; see ${join(this.dir, 'ovsdb-server.log')}`);
    }
    await run('ovs-vsctl', [`--db=${this.db}`, '--no-wait', 'init'], { env: this.env });
    await this.startVswitchd();
  }

  private async startVswitchd(): Promise<void> {
    this.vswitchd = spawnDaemon('ovs-vswitchd', [this.db, '--enable-dummy', `--unixctl=${join(this.dir, 'ovs-vswitchd.ctl')}`,
      `--pidfile=${join(this.dir, 'ovs-vswitchd.pid')}`, `--log-file=${join(this.dir, 'ovs-vswitchd.log')}`],
    { logFile: join(this.dir, 'ovs-vswitchd.out'), env: this.env });
    this.ledger?.record({ kind: 'process', id: `vswitchd:${this.dir}`, pid: this.vswitchd.pid, startTime: this.vswitchd.startTime, label: 'ovs-vswitchd', exitWaitMs: 3000 });
    // Teardown asks vswitchd to exit with --cleanup first (removes `netdev` taps); harmless if it is gone.
    this.ledger?.record({ kind: 'command', id: `vswitchd-exit:${this.dir}`, optional: true, label: 'ovs-vswitchd exit --cleanup',
      argv: ['ovs-appctl', '-t', join(this.dir, 'ovs-vswitchd.ctl'), '--timeout=5', 'exit', '--cleanup'] });
    const vs = this.vswitchd;
    const ok = await waitFor(() => {
      if (!isAlive(vs.pid, vs.startTime)) throw new Error(`ovs-vswitchd exited during start; see ${join(this.dir, 'ovs-vswitchd.log')}`);
      return existsSync(join(this.dir, 'ovs-vswitchd.ctl'));
    }, 10_000, 50);
    if (!ok) throw new Error(`ovs-vswitchd did not come up; see ${join(this.dir, 'ovs-vswitchd.log')}`);
    // Waits until vswitchd has read the database and applied it.
    // (a change without --no-wait returns only when vswitchd's cur_cfg caught up).
    await this.vsctl('set', 'Open_vSwitch', '.', `external_ids:rackvisor-started=${Date.now()}`);
  }

  vsctl(...args: string[]): Promise<string> {
    return run('ovs-vsctl', [`--db=${this.db}`, '--timeout=15', ...args], { env: this.env, timeoutMs: 20_000 });
  }
  ofctl(...args: string[]): Promise<string> {
    return run('ovs-ofctl', ['-O', 'OpenFlow13', ...args], { env: this.env, timeoutMs: 20_000 });
  }
  appctl(...args: string[]): Promise<string> {
    return run('ovs-appctl', ['-t', join(this.dir, 'ovs-vswitchd.ctl'), ...args], { env: this.env, timeoutMs: 20_000 });
  }

  async addBridge(name: string, opts: BridgeOptions = {}): Promise<void> {
    const args = ['add-br', name, '--', 'set', 'bridge', name, `datapath_type=${opts.datapathType ?? 'dummy'}`,
      `protocols=${opts.protocols ?? 'OpenFlow13'}`, `fail-mode=${opts.failMode ?? 'secure'}`];
    if (opts.dpid) args.push(`other-config:datapath-id=${opts.dpid.replace(/^0x/, '').padStart(16, '0')}`);
    if (opts.controller) args.push('--', 'set-controller', name, opts.controller);
    await this.vsctl(...args);
  }

  async addPort(bridge: string, iface: string, ofport?: number): Promise<number> {
    const args = ['add-port', bridge, iface];
    if (ofport !== undefined) args.push('--', 'set', 'interface', iface, `ofport_request=${ofport}`);
    await this.vsctl(...args);
    const out = (await this.vsctl('get', 'interface', iface, 'ofport')).trim();
    const n = Number(out);
    if (!Number.isInteger(n) || n <= 0) {
      const err = (await this.vsctl('get', 'interface', iface, 'error').catch(() => '')).trim();
      throw new Error(`port ${iface} on ${bridge} has no OpenFlow port number (ofport=${out}, error=${err})`);
    }
    return n;
  }

  alive(): boolean {
    return !!this.ovsdb && !!this.vswitchd && isAlive(this.ovsdb.pid, this.ovsdb.startTime) && isAlive(this.vswitchd.pid, this.vswitchd.startTime);
  }

  async restart(): Promise<void> {
    await this.stopVswitchd();
    await this.startVswitchd();
  }

  private async stopVswitchd(cleanup = false): Promise<void> {
    const vs = this.vswitchd;
    if (!vs || !isAlive(vs.pid, vs.startTime)) return;
    await this.appctl('exit', ...(cleanup ? ['--cleanup'] : [])).catch(() => undefined);
    if (!(await waitFor(() => !isAlive(vs.pid, vs.startTime), 5000, 50))) await killProcess(vs.pid, vs.startTime);
  }

  async stop(): Promise<void> {
    await this.stopVswitchd(true);
    if (this.ovsdb) await killProcess(this.ovsdb.pid, this.ovsdb.startTime);
    this.ledger?.forget(`vswitchd-exit:${this.dir}`);
    this.ledger?.forget(`vswitchd:${this.dir}`);
    this.ledger?.forget(`ovsdb:${this.dir}`);
    if (this.ownsDir) {
      fs.rmSync(this.dir, { recursive: true, force: true });
      this.ledger?.forget(`ovsdir:${this.dir}`);
    }
  }
}

/** Starts a private OVS in `dir` (a fresh temp dir unless given); resolves once vswitchd runs. */
export async function startOvs(opts: { dir?: string; ledger?: Ledger } = {}): Promise<OvsInstance> {
  let dir = opts.dir;
  let owns = false;
  if (dir) {
    if (existsSync(join(dir, 'conf.db'))) throw new Error(`${dir} already holds an OVS database (left by an earlier run? bring that down, or remove the dir if nothing runs from it); use a fresh dir`);
    owns = !existsSync(dir);
    mkdirSync(dir, { recursive: true });
  } else {
    dir = mkdtempSync(join(tmpdir(), 'rv-ovs-'));
    owns = true;
  }
  // Unix socket paths are limited to 107 bytes.
  if (join(dir, 'ovs-vswitchd.ctl').length > 100) throw new Error(`OVS dir path too long for unix sockets: ${dir}`);
  if (owns) opts.ledger?.record({ kind: 'dir', id: `ovsdir:${dir}`, path: dir, label: 'OVS run/db/log dir' });
  const ovs = new Ovs(dir, opts.ledger, owns);
  try {
    await ovs.start();
  } catch (err) {
    if (!opts.ledger) await ovs.stop().catch(() => undefined);
    throw err;
  }
  return ovs;
}

/** A handle on an OVS already running in `dir` (e.g. started by an earlier `lab up`): commands
 * work; restart/stop use the PIDs from its pidfiles. */
export function attachOvs(dir: string): OvsInstance {
  const { readFileSync } = fs;
  const pidOf = (f: string): ProcessHandle | undefined => {
    try {
      const pid = Number(readFileSync(join(dir, f), 'utf8').trim());
      const st = procStart(pid);
      return st === undefined ? undefined : { pid, startTime: st };
    } catch { return undefined; }
  };
  const ovs = new Ovs(dir, undefined, false);
  ovs.adopt(pidOf('ovsdb-server.pid'), pidOf('ovs-vswitchd.pid'));
  return ovs;
}
