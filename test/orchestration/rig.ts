// A control-plane rig shared by the orchestration scenarios and the `system` bench suite: a private ZooKeeper,
// a private OVS (ToR bridge with dummy ports), our OpenFlow controller, the orchestrator, and one host agent per
// host running the real agent ZooKeeper logic (host/cluster-sync.ts) over a scripted NF runner that starts NFs at
// once and reports the load we set (the DPDK data plane is NOT part of this rig).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ClusterStore } from '../../cluster/store.js';
import type { Chain } from '../../cluster/schemas.js';
import { Controller } from '../../controller/index.js';
import { ControllerClusterView } from '../../controller/cluster-view.js';
import { Orchestrator, type OrchestratorEvent, type PassResult } from '../../controller/orchestrator.js';
import type { ScalingPolicy } from '../../controller/scaling/autoscaler.js';
import { ClusterSync, type NfCounters, type NfRunner, type NfSpec, type RunningNf } from '../../host/cluster-sync.js';
import { Ledger } from '../../labs/lib/ledger.js';
import { startOvs, type OvsInstance } from '../../labs/lib/ovs.js';
import { startZooKeeper, type ZooKeeperServer } from '../../labs/lib/zookeeper.js';
import { freePort } from '../../labs/lib/ports.js';
import { waitFor } from '../../labs/lib/exec.js';

/** NF runner stand-in: NFs "run" as soon as they are started; load (pps, ring fill) is set by the scenario. */
export class ScriptedRunner implements NfRunner {
  readonly nfs = new Map<string, RunningNf>();
  readonly counters = new Map<string, { rx: number }>();
  /** per service: packets per second each instance receives and its ring fill */
  load = new Map<string, { pps: number; ringFill: number }>();
  private last = Date.now();
  startNf(spec: NfSpec): Promise<RunningNf> {
    const r: RunningNf = { service: spec.service, index: spec.index, state: 'running' };
    this.nfs.set(`${spec.service}:${spec.index}`, r);
    return Promise.resolve(r);
  }
  stopNf(service: string, index: number): Promise<void> {
    this.nfs.delete(`${service}:${index}`);
    return Promise.resolve();
  }
  listNfs(): Promise<RunningNf[]> {
    return Promise.resolve([...this.nfs.values()]);
  }
  stats(): Promise<NfCounters[]> {
    const now = Date.now();
    const dt = (now - this.last) / 1000;
    this.last = now;
    return Promise.resolve(
      [...this.nfs.values()].map((n) => {
        const k = `${n.service}:${n.index}`;
        const l = this.load.get(n.service) ?? { pps: 0, ringFill: 0 };
        const c = this.counters.get(k) ?? { rx: 0 };
        c.rx += Math.round(l.pps * dt);
        this.counters.set(k, c);
        return { service: n.service, index: n.index, rxPkts: c.rx, txPkts: c.rx, dropPkts: 0, rxBytes: c.rx * 64, txBytes: c.rx * 64, ringFill: l.ringFill };
      }),
    );
  }
}

export interface RigOptions {
  hosts: number;
  services: Array<{ name: string; min: number; max: number }>;
  chains: Chain[];
  tenantPorts: number[];
  scaling?: Partial<ScalingPolicy>;
  statsIntervalMs?: number;
  log?: (msg: string) => void;
}

export interface RigAgent {
  id: string;
  port: number;
  store: ClusterStore;
  sync: ClusterSync;
  runner: ScriptedRunner;
}

export class ControlPlaneRig {
  readonly dir: string;
  readonly ledger: Ledger;
  readonly root = `/rvr${randomBytes(3).toString('hex')}`;
  readonly br = `rvr${randomBytes(2).toString('hex')}`;
  readonly dpidHex = '00' + randomBytes(7).toString('hex');
  zk!: ZooKeeperServer;
  ovs!: OvsInstance;
  admin!: ClusterStore;
  ctrl: Controller | undefined;
  cluster: ControllerClusterView | undefined;
  orch: Orchestrator | undefined;
  readonly agents = new Map<string, RigAgent>();
  readonly events: Array<{ at: number; ev: OrchestratorEvent }> = [];
  private port = 0;

  private constructor(readonly opts: RigOptions) {
    this.dir = mkdtempSync(join(tmpdir(), 'rvt-rig-'));
    this.ledger = Ledger.open(join(this.dir, 'state.json'));
  }

  get dpid(): bigint {
    return BigInt('0x' + this.dpidHex);
  }

  static async start(opts: RigOptions): Promise<ControlPlaneRig> {
    const rig = new ControlPlaneRig(opts);
    try {
      await rig.init();
      return rig;
    } catch (e) {
      await rig.stop().catch(() => undefined);
      throw e;
    }
  }

  private async init(): Promise<void> {
    this.port = await freePort();
    this.zk = await startZooKeeper({ dir: join(this.dir, 'zk'), ledger: this.ledger });
    this.ovs = await startOvs({ ledger: this.ledger });
    await this.ovs.addBridge(this.br, { controller: `tcp:127.0.0.1:${this.port}`, failMode: 'secure', dpid: this.dpidHex });
    await this.ovs.vsctl('set', 'controller', this.br, 'max_backoff=1000');
    const ports = [...this.opts.tenantPorts, ...Array.from({ length: this.opts.hosts }, (_, i) => 10 + i + 1)];
    for (const p of ports) await this.ovs.vsctl('add-port', this.br, `${this.br}-p${p}`, '--', 'set', 'interface', `${this.br}-p${p}`, 'type=dummy', `ofport_request=${p}`);
    this.admin = await ClusterStore.open({ connectString: this.zk.connectString, sessionTimeoutMs: 4000, root: this.root });
    await this.admin.ensureLayout();
    for (const [i, s] of this.opts.services.entries()) await this.admin.putService({ name: s.name, id: i + 1, kind: 'native', limits: { minInstances: s.min, maxInstances: s.max } });
    await this.admin.putTenants({ tenants: [{ id: 't1', name: 't1', ports: this.opts.tenantPorts }] }, 'any');
    await this.admin.putChains({ chains: this.opts.chains }, 'any');
    for (let i = 1; i <= this.opts.hosts; i++) await this.addAgent(`h${i}`, 10 + i);
    await this.startControl();
  }

  async addAgent(id: string, port: number): Promise<RigAgent> {
    const store = await ClusterStore.open({ connectString: this.zk.connectString, sessionTimeoutMs: 4000, root: this.root });
    const runner = new ScriptedRunner();
    const sync = new ClusterSync({
      store,
      runner,
      statsIntervalMs: this.opts.statsIntervalMs ?? 200,
      host: { id, mac: `02:00:00:00:01:${port.toString(16).padStart(2, '0')}`, tunnelIp: `10.99.0.${port}`, switch: { dpid: this.dpidHex, port }, cores: 2, capacity: { maxInstances: 4 } },
    });
    await sync.start();
    const a = { id, port, store, sync, runner };
    this.agents.set(id, a);
    return a;
  }

  /** The host agent dies (its ZooKeeper session ends; its ephemerals vanish). */
  async killAgent(id: string): Promise<void> {
    const a = this.agents.get(id);
    if (!a) return;
    this.agents.delete(id);
    await a.sync.stop().catch(() => undefined);
    await a.store.close().catch(() => undefined);
  }

  async startControl(): Promise<void> {
    this.ctrl = new Controller({ host: '127.0.0.1', port: this.port, apps: [], log: () => undefined });
    await this.ctrl.start();
    this.cluster = await ControllerClusterView.open({ connectString: this.zk.connectString, sessionTimeoutMs: 4000, root: this.root });
    this.orch = new Orchestrator({ of: this.ctrl, cluster: this.cluster, debounceMs: 5, auditMs: 0, ...(this.opts.scaling ? { scaling: this.opts.scaling } : {}) });
    this.orch.subscribe((ev) => this.events.push({ at: performance.now(), ev }));
    await this.orch.start();
    if (!(await waitFor(() => this.ctrl?.session(this.dpid) !== undefined, 20_000, 20))) throw new Error('the ToR did not connect to the controller');
  }

  async stopControl(): Promise<void> {
    await this.orch?.stop();
    await this.cluster?.close();
    await this.ctrl?.stop();
    this.orch = undefined;
    this.cluster = undefined;
    this.ctrl = undefined;
  }

  /** Link state of a host's ToR port (netdev-dummy admin state → OFPT_PORT_STATUS). */
  async setLink(host: string, up: boolean): Promise<void> {
    const a = this.agents.get(host);
    const port = a?.port ?? 10 + Number(host.replace(/\D/g, ''));
    await this.ovs.appctl('netdev-dummy/set-admin-state', `${this.br}-p${port}`, up ? 'up' : 'down');
  }

  /** Resolves with the first pass (after `since`) satisfying pred, with its completion time. */
  async waitPass(pred: (p: PassResult) => boolean, since: number, timeoutMs = 10_000): Promise<{ pass: PassResult; at: number }> {
    let found: { pass: PassResult; at: number } | undefined;
    const ok = await waitFor(() => {
      found = this.events.map((e) => (e.at >= since && e.ev.type === 'pass' && pred(e.ev.pass) ? { pass: e.ev.pass, at: e.at } : undefined)).find((x) => x !== undefined);
      return found !== undefined;
    }, timeoutMs, 2);
    if (!ok || !found) throw new Error(`no orchestrator pass matched within ${timeoutMs} ms`);
    return found;
  }

  /** Steering flows of table 2 as ovs-ofctl prints them (without the miss). */
  async steering(): Promise<Array<{ rest: string; packets: number; duration: number }>> {
    const out = await this.ovs.ofctl('dump-flows', this.br, 'table=2');
    return out
      .split('\n')
      .filter((l) => l.includes('cookie=') && !/priority=0[ ,]/.test(l))
      .map((l) => ({ rest: l.replace(/^.*priority=/, 'priority=').trim(), packets: Number(/n_packets=(\d+)/.exec(l)?.[1] ?? NaN), duration: Number(/duration=([\d.]+)s/.exec(l)?.[1] ?? NaN) }));
  }

  assigned(host: string): string[] {
    return (this.cluster?.assignments().get(host)?.instances ?? []).map((a) => `${a.service}:${a.index}${a.config?.draining ? '(draining)' : ''}`).sort();
  }

  async stop(): Promise<void> {
    await this.stopControl().catch(() => undefined);
    for (const id of [...this.agents.keys()]) await this.killAgent(id);
    await this.admin?.close().catch(() => undefined);
    await this.ledger.teardown();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
