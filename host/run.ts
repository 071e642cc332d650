// `rackvisor host run`: the agent (manager + NFs) plus, when the config has a `cluster` section, the
// ZooKeeper side (cluster-sync.ts: host registration, assignments -> startNf/stopNf, stats), plus the
// local control socket. One object to stop it all cleanly.
import { hostname } from 'node:os';
import { HostAgent, type HostConfig } from './agent.js';
import { ClusterStore } from '../cluster/store.js';
import { ClusterSync } from './cluster-sync.js';
import { DataplaneSync, managerTarget } from './dataplane-sync.js';
import { defaultSocketPath, serveControl } from './control.js';

export interface ClusterConfig {
  connectString: string;
  cluster?: string;
  root?: string;
  sessionTimeoutMs?: number;
  /** This host's data-plane MAC / tunnel IPv4 / switch attachment, as registered in ZooKeeper. */
  mac: string;
  tunnelIp: string;
  switch: { dpid: string; port: number };
  cores?: number;
  maxInstances?: number;
  statsIntervalMs?: number;
  /** Program the manager's data plane (paths, tunnels, remote services, classifier) from ZooKeeper (default true). */
  dataplane?: boolean;
}

export interface RunningHost {
  agent: HostAgent;
  sync?: ClusterSync;
  dataplane?: DataplaneSync;
  socket?: string;
  stop(): Promise<void>;
}

export async function runHost(config: HostConfig & { cluster?: ClusterConfig }, opts: { socket?: string | null; onShutdown?: () => void; log?: (m: string) => void } = {}): Promise<RunningHost> {
  const agent = await HostAgent.start({ ...config, hostId: config.hostId ?? hostname() });
  let sync: ClusterSync | undefined;
  let dataplane: DataplaneSync | undefined;
  let store: ClusterStore | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    dataplane?.stop();
    if (sync) await sync.stop({ stopNfs: false }).catch(() => undefined);
    if (store) await store.close().catch(() => undefined);
    await agent.stop();
  };
  try {
    const c = config.cluster;
    if (c) {
      store = await ClusterStore.open({
        connectString: c.connectString, sessionTimeoutMs: c.sessionTimeoutMs ?? 6000, cluster: c.cluster, root: c.root,
        onError: (e) => opts.log?.(`cluster store: ${e instanceof Error ? e.message : String(e)}`),
      });
      await store.ensureLayout();
      if (c.dataplane !== false) {
        // program the data plane first: NFs the cluster-sync starts next find their paths and tunnels ready
        dataplane = new DataplaneSync({
          store, self: { id: agent.hostId, mac: c.mac, tunnelIp: c.tunnelIp }, target: managerTarget(agent.manager),
          classifier: config.rules === undefined && config.defaultPath === undefined,
          log: (level, msg) => opts.log?.(`${level}: ${msg}`),
        });
        dataplane.on('error', (e) => opts.log?.(`dataplane-sync: ${e.message}`));
        await dataplane.start();
      }
      sync = new ClusterSync({
        store,
        host: { id: agent.hostId, mac: c.mac, tunnelIp: c.tunnelIp, switch: c.switch, cores: c.cores ?? 2, capacity: { maxInstances: c.maxInstances ?? 16 } },
        runner: agent,
        statsIntervalMs: c.statsIntervalMs,
        log: (level, msg) => opts.log?.(`${level}: ${msg}`),
      });
      sync.on('error', (e) => opts.log?.(`cluster-sync: ${e.message}`));
      await sync.start();
    }
    const sock = opts.socket === null ? undefined : opts.socket ?? (config.controlSocket === null ? undefined : config.controlSocket ?? defaultSocketPath(agent.hostId));
    if (sock) await serveControl(agent, sock, () => opts.onShutdown?.());
    return { agent, sync, dataplane, socket: sock, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
