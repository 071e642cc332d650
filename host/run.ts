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

/** Checks the `cluster:` section and normalises it (MAC and dpid lower case, dpid padded to 16 hex digits, "0x" and
 *  ":" separators accepted in the dpid); throws a message naming the field. */
export function normalizeClusterConfig(c: ClusterConfig): ClusterConfig {
  const err = (f: string, why: string): never => { throw new Error(`cluster.${f}: ${why}`); };
  if (typeof c.connectString !== 'string' || !c.connectString) err('connectString', 'required (host:port[,host:port...])');
  const mac = String(c.mac ?? '').toLowerCase();
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(mac)) err('mac', `${String(c.mac)} is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(String(c.tunnelIp ?? ''))) err('tunnelIp', `${String(c.tunnelIp)} is not an IPv4 address`);
  if (!c.switch || typeof c.switch !== 'object') err('switch', 'required: { dpid, port }');
  const dpid = String(c.switch.dpid ?? '').toLowerCase().replace(/^0x/, '').replace(/:/g, '');
  if (!/^[0-9a-f]{1,16}$/.test(dpid)) err('switch.dpid', `${String(c.switch.dpid)} is not a datapath id (up to 16 hex digits)`);
  if (!Number.isInteger(c.switch.port) || c.switch.port < 1) err('switch.port', `${String(c.switch.port)} is not an OpenFlow port number`);
  return { ...c, mac, switch: { dpid: dpid.padStart(16, '0'), port: c.switch.port } };
}

export interface RunningHost {
  agent: HostAgent;
  sync?: ClusterSync;
  dataplane?: DataplaneSync;
  socket?: string;
  stop(): Promise<void>;
}

export async function runHost(config: HostConfig & { cluster?: ClusterConfig }, opts: { socket?: string | null; onShutdown?: () => void; log?: (m: string) => void } = {}): Promise<RunningHost> {
  const cc = config.cluster ? normalizeClusterConfig(config.cluster) : undefined; // before DPDK starts
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
    const c = cc;
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
    if (sock) await serveControl(agent, sock, () => opts.onShutdown?.(), { dataplane: () => dataplane?.describe() ?? null });
    return { agent, sync, dataplane, socket: sock, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
