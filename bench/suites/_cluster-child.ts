// Child process of the `cluster` suite (files starting with _ are not suites).
// argv[2]: JSON
//   { kind: 'agent', connectString, root, hostId, n, instances, sessionTimeoutMs, statsIntervalMs }
//     → a host agent (cluster-sync) whose synthetic runner "runs" whatever is assigned and counts packets;
//   { kind: 'controller', connectString, root, controllerId, sessionTimeoutMs }
//     → a controller candidate (election only).
// Prints JSON lines: {"ready":true,...}, {"role":"MASTER"|"SLAVE","t":ms}.
import { ClusterSync, type NfCounters, type NfRunner, type NfSpec, type RunningNf } from '../../host/cluster-sync.js';
import { ClusterStore } from '../../cluster/store.js';
import { ControllerElection } from '../../controller/election.js';

interface AgentCfg { kind: 'agent'; connectString: string; root: string; hostId: string; n: number; sessionTimeoutMs: number; statsIntervalMs: number }
interface ControllerCfg { kind: 'controller'; connectString: string; root: string; controllerId: string; sessionTimeoutMs: number }
const cfg = JSON.parse(process.argv[2] ?? '{}') as AgentCfg | ControllerCfg;
const out = (o: unknown): void => { process.stdout.write(JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) + '\n'); };

class SyntheticRunner implements NfRunner {
  private readonly nfs = new Map<string, RunningNf & { rx: number }>();
  async startNf(spec: NfSpec): Promise<RunningNf> {
    const k = `${spec.service}:${spec.index}`;
    const r = this.nfs.get(k) ?? { service: spec.service, index: spec.index, state: 'running' as const, rx: 0 };
    this.nfs.set(k, r);
    return r;
  }
  async stopNf(service: string, index: number): Promise<void> { this.nfs.delete(`${service}:${index}`); }
  async listNfs(): Promise<RunningNf[]> { return [...this.nfs.values()].map(({ service, index, state }) => ({ service, index, state })); }
  async stats(): Promise<NfCounters[]> {
    return [...this.nfs.values()].map((r) => {
      r.rx += 1_000_000;
      return { service: r.service, index: r.index, rxPkts: r.rx, txPkts: r.rx, dropPkts: 0, rxBytes: r.rx * 64, txBytes: r.rx * 64, ringFill: 0.1 };
    });
  }
}

if (cfg.kind === 'agent') {
  const sync = new ClusterSync({
    store: { connectString: cfg.connectString, sessionTimeoutMs: cfg.sessionTimeoutMs, root: cfg.root },
    host: { id: cfg.hostId, mac: `02:00:00:00:02:${cfg.n.toString(16).padStart(2, '0')}`, tunnelIp: `10.0.2.${cfg.n}`,
      switch: { dpid: '00000000000000b1', port: cfg.n }, cores: 2, capacity: { maxInstances: 64 } },
    runner: new SyntheticRunner(),
    statsIntervalMs: cfg.statsIntervalMs,
  });
  sync.on('error', (e) => process.stderr.write(`agent ${cfg.hostId}: ${e.message}\n`));
  sync.on('reconciled', (r) => out({ running: r.running.length }));
  sync.on('stats', (n, ms) => out({ pub: ms, n }));
  await sync.start();
  out({ ready: true, sessionId: sync.clusterStore.session.sessionId });
} else {
  const store = await ClusterStore.open({ connectString: cfg.connectString, sessionTimeoutMs: cfg.sessionTimeoutMs, root: cfg.root });
  const election = new ControllerElection(store, { controllerId: cfg.controllerId });
  election.on('role', (r) => out({ role: r.role, generation: r.generationId, t: Date.now() }));
  await election.start();
  out({ ready: true, sessionId: store.session.sessionId });
}
