// Host agents: one `rackvisor host run --config F` per host namespace (`ip netns exec <ns>`): a DPDK manager on
// net_af_packet over the namespace's eth0, its own hugetlbfs mount and --file-prefix, registered in the lab's
// ZooKeeper (cluster section: MAC, tunnel IP, ToR port) so the controller places NFs on it and programs its paths and
// tunnels. Config files go to <state>/agents/; processes, mounts and DPDK runtime dirs are recorded in the ledger.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.js';
import { isAlive } from '../lib/proc.js';
import { projectRoot, rackvisorCommand } from '../lab/config.js';
import type { LabNode } from '../lab/topology.js';
import type { LabContext, LabStep, StatusLine } from '../lab/context.js';
import { restOf, zkRootOf } from './controller.js';
import type { ApiHost } from '../lab/rest.js';

export interface AgentFacts { host: string; netns: string; config: string; log: string; socket: string; filePrefix: string; pid: number; startTime: number }

export function agentFacts(ctx: LabContext): AgentFacts[] {
  const raw = ctx.info.extra['agents.facts'];
  return raw ? (JSON.parse(raw) as AgentFacts[]) : [];
}

/** The host agent config of one lab host (see host/README.md). */
export function agentConfig(ctx: LabContext, n: LabNode): Record<string, unknown> {
  const dir = join(ctx.config.stateDir, 'agents');
  const zk = ctx.info.zookeeper;
  if (!zk) throw new Error('the zookeeper step must run first');
  return {
    hostId: n.node,
    filePrefix: `${ctx.config.name}-${n.node}`,
    ports: [`net_af_packet0,iface=${n.ifname}`],
    hugepages: { dir: join(dir, `${n.node}-huge`), sizeMb: 256 },
    heartbeatTimeoutMs: 3000,
    controlSocket: join(dir, `${n.node}.sock`),
    cluster: {
      connectString: zk.connectString, root: zkRootOf(ctx), sessionTimeoutMs: 4000, statsIntervalMs: 1000,
      mac: n.tunnelMac ?? n.mac, tunnelIp: n.ip, switch: { dpid: ctx.info.topology.dpid, port: n.ofport }, cores: 2, maxInstances: 8,
    },
  };
}

/** Starts (or restarts, same ledger ids) the agent of one host; resolves when its manager is up and the host is
 * registered (seen through the REST API). */
export async function startAgent(ctx: LabContext, n: LabNode): Promise<AgentFacts> {
  const dir = join(ctx.config.stateDir, 'agents');
  mkdirSync(dir, { recursive: true });
  const cfg = agentConfig(ctx, n);
  const file = join(dir, `${n.node}.json`);
  writeFileSync(file, JSON.stringify(cfg, null, 2) + '\n');
  const prefix = cfg['filePrefix'] as string;
  const huge = (cfg['hugepages'] as { dir: string }).dir;
  // Recorded before the process: teardown (newest first) stops the agent, then removes what it may have left.
  ctx.ledger.record({ kind: 'dir', path: `/var/run/dpdk/${prefix}`, id: `agent-${n.node}-dpdk`, label: `DPDK runtime dir of ${n.node}` });
  ctx.ledger.record({ kind: 'dir', path: huge, id: `agent-${n.node}-hugedir` });
  ctx.ledger.record({ kind: 'mount', path: huge, id: `agent-${n.node}-huge`, label: `hugetlbfs of ${n.node}'s manager` });
  ctx.ledger.record({ kind: 'file', path: cfg['controlSocket'] as string, id: `agent-${n.node}-sock` });
  const log = join(dir, `${n.node}.log`);
  const logStart = (() => { try { return readFileSync(log, 'utf8').length; } catch { return 0; } })();
  const [cmd, ...args] = [...rackvisorCommand(), 'host', 'run', '--config', file];
  const rest = restOf(ctx);
  const h = await startDaemon({
    cmd: cmd!, args, netns: n.netns, logFile: log, label: `host agent ${n.node} (netns ${n.netns})`, ledger: ctx.ledger, id: `agent-${n.node}`,
    readyTimeoutMs: 120_000,
    ready: async () => {
      let text = '';
      try { text = readFileSync(log, 'utf8').slice(logStart); } catch { return false; }
      if (!text.includes('manager up')) return false;
      try { return (await rest.get<ApiHost[]>('/api/v1/hosts')).some((x) => x.id === n.node); } catch { return false; }
    },
  });
  return { host: n.node, netns: n.netns, config: file, log, socket: cfg['controlSocket'] as string, filePrefix: prefix, pid: h.pid, startTime: h.startTime };
}

export function saveAgentFacts(ctx: LabContext, facts: AgentFacts[]): void {
  const all = new Map(agentFacts(ctx).map((f) => [f.host, f]));
  for (const f of facts) all.set(f.host, f);
  ctx.info.extra['agents.facts'] = JSON.stringify([...all.values()]);
}

export const agents: LabStep = {
  name: 'agents',
  title: 'start one host agent per host namespace (DPDK manager on eth0, registered in ZooKeeper)',
  fix: 'see <state dir>/agents/<host>.log; hugepages free (`grep Huge /proc/meminfo`)? native addon built (`npm run build:native`)?',
  async up(ctx) {
    const hosts = ctx.info.topology.nodes.filter((n) => n.role === 'host');
    const zk = ctx.info.zookeeper;
    if (!zk) throw new Error('the zookeeper step must run first');
    // The agents run inside the host namespaces; ZooKeeper listens on the root namespace's loopback only. A
    // forwarder binds 127.0.0.1:<zk port> inside each host namespace and relays to the root's ZooKeeper.
    const fwdLog = join(ctx.config.stateDir, 'agents', 'zk-forwarder.log');
    mkdirSync(join(ctx.config.stateDir, 'agents'), { recursive: true });
    await startDaemon({
      cmd: '/usr/bin/python3', args: [join(projectRoot(), 'labs', 'lib', 'nsfwd.py'), '--port', String(zk.port), '--target-port', String(zk.port), ...hosts.map((n) => n.netns)],
      logFile: fwdLog, label: `ZooKeeper forwarder (127.0.0.1:${zk.port} in ${hosts.map((n) => n.node).join(', ')})`, ledger: ctx.ledger, id: 'zk-forwarder',
      ready: () => { try { return readFileSync(fwdLog, 'utf8').includes('forwarding'); } catch { return false; } },
    });
    const facts = await Promise.all(hosts.map((n) => startAgent(ctx, n)));
    saveAgentFacts(ctx, facts);
    return facts.map((f) => `${f.host} pid ${f.pid}`).join(', ') + ' — managers up, hosts registered';
  },
  async status(ctx) {
    const lines: StatusLine[] = [];
    let registered: ApiHost[] | undefined;
    try { registered = await restOf(ctx).get<ApiHost[]>('/api/v1/hosts'); } catch { registered = undefined; }
    for (const f of agentFacts(ctx)) {
      const alive = isAlive(f.pid, f.startTime);
      const reg = registered?.some((h) => h.id === f.host);
      lines.push({ resource: `host agent ${f.host} (netns ${f.netns})`, health: alive && reg ? 'ok' : 'fail',
        detail: `${alive ? `pid ${f.pid}` : 'NOT RUNNING'}, ${reg ? 'registered' : registered ? 'NOT registered' : 'registration unknown (API down)'}, log ${f.log}` });
    }
    return lines;
  },
};
