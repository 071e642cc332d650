// `rackvisor controller`: runs the OpenFlow 1.3 controller. Without --zookeeper it is a plain OpenFlow controller
// with the L2 learning app (like ryu-manager simple_switch_13). With --zookeeper the orchestration layer and with
// --api-port the northbound REST API are started on top of the same controller.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Controller, L2LearningApp, dpidHex, type ControllerHandle } from '../../controller/index.js';

interface ControllerCliOptions {
  listen: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  zookeeper?: string;
  zkRoot: string;
  apiPort?: string;
  apiHost: string;
  apiToken?: string;
  echoInterval: string;
  echoTimeout: string;
  maxQueue: string;
  idleTimeout: string;
  l2: boolean;
  quiet: boolean;
}

/** Something started on top of the controller (orchestration, northbound API). */
interface Extension {
  stop(): Promise<void> | void;
}

function parseListen(s: string): { host: string; port: number } {
  const m = /^(?:\[?([^\]]*)\]?:)?(\d+)$/.exec(s);
  if (!m) throw new Error(`--listen ${s}: expected HOST:PORT or PORT`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`--listen ${s}: port out of range`);
  return { host: m[1] || '0.0.0.0', port };
}

function int(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} ${v}: expected a non-negative integer`);
  return n;
}

async function runController(o: ControllerCliOptions): Promise<void> {
  const { host, port } = parseListen(o.listen);
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new Error('--tls-cert and --tls-key go together');
  const log = (level: 'info' | 'warn', text: string): void => {
    if (level === 'warn') console.error(`${new Date().toISOString()} ${text}`);
    else if (!o.quiet) console.log(`${new Date().toISOString()} ${text}`);
  };
  const apps = o.l2 ? [new L2LearningApp({ idleTimeout: int('--idle-timeout', o.idleTimeout), log: (t) => log('warn', t) })] : [];
  const ctrl = new Controller({
    host, port, apps, log,
    echoIntervalMs: int('--echo-interval', o.echoInterval),
    echoTimeoutMs: int('--echo-timeout', o.echoTimeout),
    maxQueueBytes: int('--max-queue', o.maxQueue),
    ...(o.tlsCert && o.tlsKey ? {
      tls: { cert: readFileSync(o.tlsCert), key: readFileSync(o.tlsKey), ...(o.tlsCa ? { ca: readFileSync(o.tlsCa) } : {}) },
    } : {}),
  });
  await ctrl.start();
  console.log(`rackvisor controller: OpenFlow 1.3 ${o.tlsCert ? 'TLS' : 'TCP'} on ${ctrl.listenAddress}` +
    `${o.l2 ? ', L2 learning app' : ''}${o.zookeeper ? `, cluster ${o.zookeeper}${o.zkRoot}` : ' (no ZooKeeper: plain OpenFlow controller)'}`);

  const extensions: Extension[] = [];
  const handle: ControllerHandle = ctrl;
  try {
    // ---- orchestration (pipeline, placement, scaling, failover, leader election) when a cluster is given.
    // Loaded lazily: the ZooKeeper client is only needed in this mode.
    let orchestrator: Awaited<ReturnType<typeof import('../../controller/orchestrator.js').startOrchestration>>['orchestrator'] | undefined;
    if (o.zookeeper) {
      const { startOrchestration } = await import('../../controller/orchestrator.js');
      const orch = await startOrchestration({ controller: ctrl, handle, zookeeper: o.zookeeper, root: o.zkRoot, log });
      orchestrator = orch.orchestrator;
      extensions.push(orch);
    }
    // ---- the northbound REST API (Express) over the ControllerHandle (controller/api.ts), the cluster store
    // (with --zookeeper) and the orchestrator (scaling, compiled pipeline), plus /metrics.
    if (o.apiPort !== undefined) {
      const { startNorthbound } = await import('../../northbound-api/index.js');
      const api = await startNorthbound({
        controller: handle, port: int('--api-port', o.apiPort), host: o.apiHost, log,
        ...(o.zookeeper ? { zookeeper: o.zookeeper, root: o.zkRoot } : {}),
        ...(orchestrator ? { orchestrator } : {}),
        ...(o.apiToken ? { token: o.apiToken } : {}),
      });
      extensions.push(api);
    }
  } catch (err) {
    for (const e of extensions.reverse()) await Promise.resolve(e.stop()).catch(() => undefined);
    await ctrl.stop();
    throw err;
  }

  let stopping = false;
  const shutdown = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log('info', `${sig}: stopping (${ctrl.switches().length} switches connected)`);
    for (const e of extensions.reverse()) await Promise.resolve(e.stop()).catch(() => undefined);
    await ctrl.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  if (!o.quiet) {
    ctrl.on('port-status', (sw, reason, p) => log('info', `switch ${dpidHex(sw.dpid)} port ${p.port_no} (${p.name}) ${reason}${p.state & 1 ? ' link down' : ''}`));
  }
}

export function registerController(program: Command): void {
  program.command('controller')
    .description('Run the OpenFlow 1.3 controller (OF channel + L2 learning; with --zookeeper: orchestration; with --api-port: northbound API)')
    .option('--listen <host:port>', 'OpenFlow listen address', '0.0.0.0:6653')
    .option('--tls-cert <file>', 'serve OpenFlow over TLS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key of --tls-cert (PEM)')
    .option('--tls-ca <file>', 'CA bundle: require switch certificates signed by it (mutual TLS)')
    .option('--zookeeper <connect>', 'ZooKeeper connect string (host:port,...): run with cluster orchestration')
    .option('--zk-root <path>', 'ZooKeeper root of this cluster', '/rackvisor/default')
    .option('--api-port <port>', 'start the northbound REST API on this port')
    .option('--api-host <host>', 'northbound API listen host', '127.0.0.1')
    .option('--api-token <token>', 'bearer token for API mutations (default: $RACKVISOR_API_TOKEN, else generated and printed)')
    .option('--echo-interval <ms>', 'send ECHO_REQUEST after this long without traffic from a switch', '5000')
    .option('--echo-timeout <ms>', 'disconnect a switch whose ECHO_REPLY is this late', '5000')
    .option('--max-queue <bytes>', 'bound of each switch write queue', String(8 << 20))
    .option('--idle-timeout <s>', 'idle timeout of flows installed by the L2 app', '60')
    .option('--no-l2', 'do not run the L2 learning app')
    .option('-q, --quiet', 'do not print switch connect/disconnect lines', false)
    .action(async (o: ControllerCliOptions) => {
      await runController(o);
    });
}
