import type { Command } from 'commander';
import { hostname } from 'node:os';
import { loadHostConfig, type HostStats, type NfKind } from '../../host/agent.js';
import { controlRequest, defaultSocketPath } from '../../host/control.js';
import { runHost, type ClusterConfig } from '../../host/run.js';
import type { DataplaneView } from '../../host/dataplane-sync.js';

function socketOf(o: { socket?: string; hostId?: string }): string {
  return o.socket ?? process.env.RACKVISOR_HOST_SOCKET ?? defaultSocketPath(o.hostId ?? hostname());
}

const fmt = (n: number): string => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0));

export function printStats(s: HostStats): void {
  console.log(`host ${s.hostId}  lcores: ${s.lcores}  mbufs ${s.pool.available}/${s.pool.size} free  flows ${s.flows.active}`);
  console.log('PORT  NAME                         RX        TX     RX pps    TX pps  imissed');
  for (const p of s.ports) {
    console.log(`${String(p.id).padEnd(5)} ${p.name.padEnd(26).slice(0, 26)} ${fmt(p.rx).padStart(8)} ${fmt(p.tx).padStart(9)} ${fmt(p.rxPps).padStart(10)} ${fmt(p.txPps).padStart(9)} ${fmt(p.imissed).padStart(8)}`);
  }
  console.log('INST  SERVICE:IDX        STATE      PID       RX        TX   DROP   RX pps   TX pps  RING(rx/tx/size)');
  for (const n of s.nfs) {
    console.log(`${String(n.instanceId).padEnd(5)} ${`${n.service}:${n.index}`.padEnd(18).slice(0, 18)} ${n.state.padEnd(9)} ${String(n.pid).padStart(6)} ${fmt(n.rx).padStart(8)} ${fmt(n.tx).padStart(9)} ${fmt(n.dropped).padStart(6)} ${fmt(n.rxPps).padStart(8)} ${fmt(n.txPps).padStart(8)}  ${n.rxRing}/${n.txRing}/${n.ringSize}`);
  }
  const drops = Object.entries(s.drops).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`);
  console.log(`drops: ${drops.length ? drops.join(' ') : 'none'}`);
}

export function registerHost(program: Command): void {
  const host = program.command('host').description('Run or inspect a host agent and its DPDK manager (data plane, NF processes, stats)');

  host.command('run')
    .description('Run the host agent in the foreground: DPDK manager (primary) + NFs from a config file (YAML/JSON); SIGINT/SIGTERM shut it down cleanly')
    .requiredOption('-c, --config <file>', 'host config (ports, cpus, hugepages, filePrefix, services, paths, rules, nfs, vxlan, cluster: {connectString, root|cluster, mac, tunnelIp, switch: {dpid, port}}); with cluster: the host registers in ZooKeeper, runs its assigned NFs and programs paths, tunnels, remote services and classifier from the controller\'s chains (see host/README.md, host/examples/)')
    .option('-s, --socket <path>', 'control socket path (default /tmp/rackvisor-host-<hostId>.sock)')
    .action(async (o: { config: string; socket?: string }) => {
      const cfg = loadHostConfig(o.config) as ReturnType<typeof loadHostConfig> & { cluster?: ClusterConfig };
      let done = false;
      let shutdown: (why: string) => Promise<void> = async () => undefined;
      const h = await runHost(cfg, { socket: o.socket, onShutdown: () => void shutdown('control request'), log: (m) => console.log(m) });
      const agent = h.agent;
      shutdown = async (why: string): Promise<void> => {
        if (done) return;
        done = true;
        console.log(`host ${agent.hostId}: shutting down (${why})`);
        await h.stop();
        console.log(`host ${agent.hostId}: stopped`);
        process.exit(0);
      };
      process.on('SIGINT', () => void shutdown('SIGINT'));
      process.on('SIGTERM', () => void shutdown('SIGTERM'));
      agent.on('nf-event', (e: { instance: number; type: string; text: string }) => {
        if (e.type !== 'stats') console.log(`nf ${e.instance}: ${e.type}${e.text ? ` ${e.text}` : ''}`);
      });
      console.log(`host ${agent.hostId}: manager up (${agent.manager.lcoreLayout}), ports ${agent.manager.ports.map((p) => `${p.id}=${p.name}`).join(' ')}${h.socket ? `, control ${h.socket}` : ''}${h.sync ? ', cluster-sync on' : ''}${h.dataplane ? ', dataplane-sync on' : ''}`);
      await new Promise(() => undefined);
    });

  host.command('stats')
    .description('Stats of a running agent: per port and per NF instance (rx/tx, pps, drops by reason, ring occupancy)')
    .option('-s, --socket <path>', 'control socket of the agent')
    .option('--host-id <id>', 'agent host id (socket /tmp/rackvisor-host-<id>.sock)')
    .option('--sample <ms>', 'measure rates over this interval', '1000')
    .option('--json', 'print JSON')
    .action(async (o: { socket?: string; hostId?: string; sample: string; json?: boolean }) => {
      const s = (await controlRequest(socketOf(o), 'stats', { sampleMs: Number(o.sample) })) as HostStats;
      if (o.json) console.log(JSON.stringify(s, null, 2));
      else printStats(s);
    });

  host.command('dataplane')
    .description('What a cluster-mode agent programmed into its manager from ZooKeeper: VXLAN endpoint, tunnels, service paths, remote services, classifier rules, ingress chains')
    .option('-s, --socket <path>', 'control socket of the agent')
    .option('--host-id <id>', 'agent host id (socket /tmp/rackvisor-host-<id>.sock)')
    .option('--json', 'print JSON')
    .action(async (o: { socket?: string; hostId?: string; json?: boolean }) => {
      const d = (await controlRequest(socketOf(o), 'dataplane')) as DataplaneView | null;
      if (o.json) { console.log(JSON.stringify(d, null, 2)); return; }
      if (!d) { console.log('no data plane from ZooKeeper (no cluster section, or cluster.dataplane: false)'); return; }
      console.log(`VXLAN endpoint ${d.local.ip} (${d.local.mac}); ${d.changes} applied changes`);
      console.log(`tunnels: ${d.tunnels.map((x) => `${x.ip}=${x.mac}`).join(' ') || 'none'}`);
      console.log(`paths: ${d.paths.map((p) => `${p.id}=[${p.services.join(' > ')}]`).join(' ') || 'none'}`);
      console.log(`remote services: ${d.remoteServices.map((r) => `${r.service}@${r.host}(${r.ip})`).join(' ') || 'none'}`);
      console.log(`ingress of: ${d.ingress.join(' ') || 'none'}; rules: ${d.rules.length ? JSON.stringify(d.rules) : 'none'}; default path ${d.defaultPath}`);
      for (const p of d.problems) console.log(`problem: ${p}`);
    });

  const nf = host.command('nf').description('Start, stop, list and configure NF instances on a running agent');
  nf.command('start')
    .description('Start an NF instance (a DPDK secondary process attached to the manager); extra args after -- go to the NF')
    .requiredOption('--service <name>', 'service name')
    .requiredOption('--service-id <n>', 'numeric service id (1..255)')
    .option('--kind <kind>', 'native | typescript | process', 'native')
    .option('--image <x>', 'native: binary in native/build/bin (default: service name); typescript: .ts file; process: executable')
    .option('--index <n>', 'instance index within the service')
    .option('--instance-id <n>', 'force the manager instance id (1..127)')
    .option('-s, --socket <path>', 'control socket of the agent')
    .option('--host-id <id>', 'agent host id')
    .argument('[args...]', 'NF arguments')
    .action(async (args: string[], o: { service: string; serviceId: string; kind: string; image?: string; index?: string; instanceId?: string; socket?: string; hostId?: string }) => {
      const r = await controlRequest(socketOf(o), 'nf.start', {
        service: o.service, serviceId: Number(o.serviceId), kind: o.kind as NfKind, image: o.image, args,
        index: o.index === undefined ? undefined : Number(o.index), instanceId: o.instanceId === undefined ? undefined : Number(o.instanceId),
      });
      console.log(JSON.stringify(r));
    });
  nf.command('stop')
    .description('Stop an NF instance (STOP message, then SIGKILL after a grace period) and free its rings')
    .argument('[service]', 'service name')
    .argument('[index]', 'instance index', '0')
    .option('--instance-id <n>', 'manager instance id instead of service/index')
    .option('-s, --socket <path>', 'control socket of the agent')
    .option('--host-id <id>', 'agent host id')
    .action(async (service: string | undefined, index: string, o: { instanceId?: string; socket?: string; hostId?: string }) => {
      if (!service && o.instanceId === undefined) throw new Error('give <service> [index] or --instance-id');
      await controlRequest(socketOf(o), 'nf.stop', o.instanceId !== undefined ? { instanceId: Number(o.instanceId) } : { service, index: Number(index) });
      console.log('stopped');
    });
  nf.command('list')
    .description('List NF instances of a running agent')
    .option('-s, --socket <path>', 'control socket of the agent')
    .option('--host-id <id>', 'agent host id')
    .option('--json', 'print JSON')
    .action(async (o: { socket?: string; hostId?: string; json?: boolean }) => {
      const list = (await controlRequest(socketOf(o), 'nf.list')) as { instanceId: number; service: string; index: number; kind: string; state: string; pid?: number }[];
      if (o.json) console.log(JSON.stringify(list, null, 2));
      else for (const r of list) console.log(`${r.instanceId}\t${r.service}:${r.index}\t${r.kind}\t${r.state}\tpid ${r.pid ?? '-'}`);
    });
  nf.command('config')
    .description('Send a CONFIG message (text) to an NF instance over its message ring')
    .argument('<instanceId>', 'manager instance id')
    .argument('<text>', 'configuration text, e.g. drop-dport=53')
    .option('-s, --socket <path>', 'control socket of the agent')
    .option('--host-id <id>', 'agent host id')
    .action(async (id: string, text: string, o: { socket?: string; hostId?: string }) => {
      console.log(JSON.stringify(await controlRequest(socketOf(o), 'nf.config', { instanceId: Number(id), text })));
    });

  host.command('shutdown')
    .description('Cleanly stop a running agent (NFs, manager, EAL, hugetlbfs mount)')
    .option('-s, --socket <path>', 'control socket of the agent')
    .option('--host-id <id>', 'agent host id')
    .action(async (o: { socket?: string; hostId?: string }) => {
      await controlRequest(socketOf(o), 'shutdown');
      console.log('shutdown requested');
    });
}
