// The controller: `rackvisor controller` in the root namespace — OpenFlow on the lab's controller address,
// orchestration (pipeline, placement, scaling, failover, election) from the lab's ZooKeeper, the northbound REST API
// on a free (or --api-port) loopback port with a bearer token. Recorded in the ledger; `lab down` stops it.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.js';
import { isAlive } from '../lib/proc.js';
import { freePort } from '../lib/ports.js';
import { rackvisorCommand } from '../lab/config.js';
import { nodeByName } from '../lab/topology.js';
import { RestClient, type ApiSwitch } from '../lab/rest.js';
import type { LabContext, LabStep } from '../lab/context.js';

/** What later steps, `lab status` and the tests need to reach the controller (ctx.info.extra holds it as text). */
export interface ControllerFacts { api: string; token: string; zkRoot: string; listen: string; pid: number; startTime: number; log: string; argv: string[]; env: Record<string, string> }

export const zkRootOf = (ctx: LabContext): string => `/rackvisor/${ctx.config.name}`;

export function controllerFacts(ctx: LabContext): ControllerFacts {
  const raw = ctx.info.extra['controller.facts'];
  if (!raw) throw new Error('the controller step has not run (no controller facts in the lab state)');
  return JSON.parse(raw) as ControllerFacts;
}

export function restOf(ctx: LabContext): RestClient {
  const f = controllerFacts(ctx);
  return new RestClient(f.api, f.token);
}

/** The controller's argv and environment for this lab (also used to restart it, e.g. in tests). */
export function controllerLaunch(ctx: LabContext, apiPort: number, token: string): { argv: string[]; env: Record<string, string>; listen: string } {
  const t = ctx.info.topology;
  const zk = ctx.info.zookeeper;
  if (!zk) throw new Error('the zookeeper step must run first');
  const listen = ctx.config.controller.replace(/^tcp:/, '');
  const c1 = nodeByName(t, 'c1');
  const s1 = nodeByName(t, 's1');
  // Edge endpoints (client and server) are registered with the orchestrator so replies and chain output reach them
  // by L2 without learning; hops of a chain are spread over the hosts so the demo crosses hosts in VXLAN.
  const orchestrator = { ...(ctx.config.orchestrator ?? {}), hopAffinity: 'spread', endpoints: [{ mac: c1.mac, port: c1.ofport }, { mac: s1.mac, port: s1.ofport }] };
  const argv = [...rackvisorCommand(), 'controller', '--listen', listen, '--zookeeper', zk.connectString, '--zk-root', zkRootOf(ctx),
    '--api-port', String(apiPort), '--api-host', '127.0.0.1', '--api-token', token, '--no-l2'];
  return { argv, env: { RACKVISOR_ORCHESTRATOR: JSON.stringify(orchestrator) }, listen };
}

/** Starts (or restarts) the lab's controller process with the recorded launch facts and waits until the API answers
 * and tor0 is connected. */
export async function startController(ctx: LabContext, apiPort: number, token: string): Promise<ControllerFacts> {
  const { argv, env, listen } = controllerLaunch(ctx, apiPort, token);
  const log = join(ctx.config.stateDir, 'controller.log');
  const api = `http://127.0.0.1:${apiPort}`;
  const rest = new RestClient(api, token);
  const dpid = ctx.info.topology.dpid;
  const h = await startDaemon({
    cmd: argv[0]!, args: argv.slice(1), env, logFile: log, label: `rackvisor controller (OpenFlow ${listen}, API ${api})`, ledger: ctx.ledger, id: 'controller',
    readyTimeoutMs: 60_000,
    ready: async () => {
      try {
        const sw = await rest.get<ApiSwitch[]>('/api/v1/switches');
        return sw.some((s) => s.dpid.replace(/^0x/, '').padStart(16, '0') === dpid);
      } catch { return false; }
    },
  });
  const facts: ControllerFacts = { api, token, zkRoot: zkRootOf(ctx), listen, pid: h.pid, startTime: h.startTime, log, argv, env };
  ctx.info.extra['controller.facts'] = JSON.stringify(facts);
  ctx.info.extra['REST API'] = `${api}/api/v1  (token: ${token})`;
  ctx.info.extra['API docs'] = `${api}/docs  ·  metrics ${api}/metrics`;
  return facts;
}

export const controller: LabStep = {
  name: 'controller',
  title: 'start `rackvisor controller` (OpenFlow on the lab address, orchestration from ZooKeeper, REST API with a token)',
  fix: 'see <state dir>/controller.log; is the OpenFlow port free (`--controller tcp:127.0.0.1:PORT`) and the API port (`--api-port 0` picks a free one)? is dist/ built (`npm run build:ts`)?',
  async up(ctx) {
    const apiPort = ctx.config.apiPort || (await freePort());
    const token = process.env.RACKVISOR_API_TOKEN || randomBytes(12).toString('hex');
    const f = await startController(ctx, apiPort, token);
    return `pid ${f.pid}, OpenFlow ${f.listen}, tor0 connected; API ${f.api}/api/v1 (docs ${f.api}/docs), token ${f.token}`;
  },
  async status(ctx) {
    let f: ControllerFacts;
    try { f = controllerFacts(ctx); } catch { return [{ resource: 'controller', health: 'fail', detail: 'not started' }]; }
    const alive = isAlive(f.pid, f.startTime);
    let detail = alive ? `pid ${f.pid}` : `pid ${f.pid} NOT RUNNING (log ${f.log})`;
    let ok = alive;
    if (alive) {
      try {
        const rest = new RestClient(f.api, f.token);
        const health = await rest.get<{ status: string; cluster?: boolean; pipeline?: boolean }>('/api/v1/health');
        const sw = await rest.get<ApiSwitch[]>('/api/v1/switches');
        detail += `, API ${f.api} ${health.status}, ${sw.length} switch(es) connected${sw[0]?.role ? ` (role ${sw[0].role})` : ''}`;
        ok = health.status === 'ok' && sw.length > 0;
      } catch (e) { ok = false; detail += `, API not answering: ${(e as Error).message}`; }
    }
    return [{ resource: `rackvisor controller ${f.listen}`, health: ok ? 'ok' : 'fail', detail }];
  },
};
