// Public surface of northbound-api/, and the hook `rackvisor controller --api-port P` calls.
import type { ControllerHandle } from '../controller/api.js';
import type { ClusterStore } from '../cluster/store.js';
import type { OfMessage } from '../openflow/types.js';
import { controllerSwitchPort } from './adapters/controller.js';
import { zkClusterPort } from './adapters/cluster.js';
import { orchestratorPipeline, orchestratorScaling, type OrchestratorLike } from './adapters/orchestrator.js';
import type { ClusterPort, MetricsFeed, SwitchPort } from './ports.js';
import { startApi } from './server.js';

export { createApp, findSpec, type ApiOptions, type App } from './app.js';
export { startApi, type StartApiOptions, type RunningApi } from './server.js';
export { controllerSwitchPort } from './adapters/controller.js';
export { zkClusterPort } from './adapters/cluster.js';
export { orchestratorPipeline, orchestratorScaling, type OrchestratorLike } from './adapters/orchestrator.js';
export * from './ports.js';

export interface NorthboundContext {
  controller: ControllerHandle;
  port: number;
  host?: string;
  /** ZooKeeper connect string: enables /api/v1 over the cluster store. */
  zookeeper?: string;
  root?: string;
  /** The orchestrator (from startOrchestration): enables scaling and the compiled pipeline. */
  orchestrator?: OrchestratorLike;
  /** Bearer token (default: RACKVISOR_API_TOKEN, else a generated one, printed). */
  token?: string;
  log?: (level: 'info' | 'warn', text: string) => void;
}

type Countable = ControllerHandle & {
  on?(ev: 'message', fn: (sw: unknown, msg: OfMessage) => void): unknown;
  off?(ev: 'message', fn: (sw: unknown, msg: OfMessage) => void): unknown;
  sessionOf?(dpid: bigint): { stats?: { rxMsgs: number; txMsgs: number } } | undefined;
};

/** Messages in by type (from the controller's message events) and out by type (sent through the API),
 *  plus all-sources totals from the sessions' counters (type="all"). */
function ofCounters(ctrl: Countable): { feed: MetricsFeed; wrap(sw: SwitchPort): SwitchPort; stop(): void } {
  const inBy: Record<string, number> = {};
  const outBy: Record<string, number> = {};
  const onMsg = (_sw: unknown, msg: OfMessage): void => {
    inBy[msg.kind] = (inBy[msg.kind] ?? 0) + 1;
  };
  ctrl.on?.('message', onMsg);
  const countOut = (msgs: OfMessage[]): void => {
    for (const m of msgs) outBy[m.kind] = (outBy[m.kind] ?? 0) + 1;
  };
  return {
    feed: {
      ofMessages: () => {
        let rx = 0;
        let tx = 0;
        for (const s of ctrl.switches()) {
          const st = ctrl.sessionOf?.(s.dpid)?.stats;
          if (st) {
            rx += st.rxMsgs;
            tx += st.txMsgs;
          }
        }
        return { in: { ...inBy, all: rx }, out: { ...outBy, all: tx } };
      },
      ofSessions: () => ctrl.switches().length,
    },
    wrap: (sw) => ({
      ...sw,
      request: (dpid, msg, opts) => {
        countOut([msg]);
        return sw.request(dpid, msg, opts);
      },
      send: (dpid, msgs, opts) => {
        countOut(msgs);
        return sw.send(dpid, msgs, opts);
      },
    }),
    stop: () => {
      ctrl.off?.('message', onMsg);
    },
  };
}

/** Hook for `rackvisor controller --api-port P` (cli/commands/controller.ts loads it by path). */
export async function startNorthbound(ctx: NorthboundContext): Promise<{ stop(): Promise<void>; url: string; token: string }> {
  const log = ctx.log ?? ((level, text) => (level === 'warn' ? console.error(text) : console.log(text)));
  let store: ClusterStore | undefined;
  let cluster: ClusterPort | undefined;
  if (ctx.zookeeper) {
    // loaded lazily: the ZooKeeper client is only needed with --zookeeper
    const { ClusterStore } = await import('../cluster/store.js');
    store = await ClusterStore.open({ connectString: ctx.zookeeper, sessionTimeoutMs: 4000, ...(ctx.root ? { root: ctx.root } : {}) });
    cluster = zkClusterPort(store);
  }
  const counters = ofCounters(ctx.controller as Countable);
  const switches = counters.wrap(controllerSwitchPort(ctx.controller));
  try {
    const api = await startApi({
      port: ctx.port,
      host: ctx.host ?? '127.0.0.1',
      ...(ctx.token ? { token: ctx.token } : {}),
      switches,
      cluster,
      scaling: ctx.orchestrator ? orchestratorScaling(ctx.orchestrator) : undefined,
      pipeline: ctx.orchestrator ? orchestratorPipeline(ctx.orchestrator) : undefined,
      metrics: { ...counters.feed, ...(cluster ? { nfRates: () => cluster!.listStats() } : {}) },
      log: (msg, err) => log('warn', `[api] ${msg}: ${err instanceof Error ? err.message : String(err)}`),
    });
    log('info', `[api] northbound API on ${api.url} (docs ${api.url}/docs, metrics ${api.url}/metrics)` +
      `${cluster ? '' : ' — no --zookeeper: /api/v1 cluster endpoints answer 503'}`);
    if (api.tokenGenerated) log('info', `[api] no RACKVISOR_API_TOKEN set: generated bearer token ${api.token}`);
    return {
      url: api.url,
      token: api.token,
      stop: async () => {
        counters.stop();
        await api.close();
        await store?.close();
      },
    };
  } catch (e) {
    counters.stop();
    await store?.close();
    throw e;
  }
}
