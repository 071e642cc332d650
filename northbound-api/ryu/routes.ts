// Ryu ofctl_rest (OpenFlow 1.3) compatible routes under /stats. Same paths, bodies, JSON and status
// codes as Ryu 4.34's ofctl_rest.py + lib/ofctl_v1_3.py (400 bad dpid/body, 404 unknown dpid/command/
// port, 501 what OF1.3 lacks). Errors come back as application/problem+json (Ryu sends empty bodies).
// Deviations, all in the caller's favour: unknown match fields / action types / flags are 400 instead
// of being dropped with a log line; a switch OFPT_ERROR to a stats request is 502 and a timeout 504
// instead of an empty 200; commands accept ?wait=barrier (or header X-Rackvisor-Wait: barrier) to
// wait for the barrier and report the switch's error (502) — without it, Ryu's fire-and-forget 200.
import express, { type Request, type Response, type Router } from 'express';
import type { OfMessage } from '../../openflow/types.js';
import { encodeMessage } from '../../openflow/index.js';
import type { SwitchPort, SwitchInfo } from '../ports.js';
import { sendJson } from '../json.js';
import { HttpProblem } from '../problem.js';
import * as Q from './requests.js';
import * as S from './stats.js';
import { RyuBadRequest, RyuNotFound, RyuNotImplemented, parseDpid, type Json, type JsonObject } from './util.js';

export interface RyuOptions {
  /** Time to wait for a stats reply (Ryu: 1 s per part). */
  statsTimeoutMs?: number;
  /** Time to wait for a barrier reply when ?wait=barrier. */
  barrierTimeoutMs?: number;
}

type Ctx = { req: Request; sw: SwitchPort; dpid: bigint; info: SwitchInfo; body: JsonObject };

function switchesOf(getSw: () => SwitchPort | undefined): SwitchPort {
  const sw = getSw();
  if (!sw) throw new HttpProblem(503, 'No controller', 'the API was started without an OpenFlow controller attached');
  return sw;
}

function lookup(sw: SwitchPort, dpidRaw: unknown): { dpid: bigint; info: SwitchInfo } {
  const dpid = parseDpid(dpidRaw);
  const info = sw.get(dpid);
  if (!info) throw new RyuNotFound(`no such datapath: ${String(dpidRaw)} (dpid ${dpid}, 0x${dpid.toString(16).padStart(16, '0')})`);
  return { dpid, info };
}

function waitRequested(req: Request): boolean {
  const q = req.query.wait;
  const h = req.get('x-rackvisor-wait');
  return q === 'barrier' || h === 'barrier';
}

/** Encode once up front so that a message the codec refuses is a 400, not a failure on the channel. */
function checkEncodable(msgs: OfMessage[]): void {
  for (const m of msgs) {
    try {
      encodeMessage(m);
    } catch (e) {
      throw new RyuBadRequest(`cannot build ${m.kind}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

export function ryuRouter(getSw: () => SwitchPort | undefined, opts: RyuOptions = {}): Router {
  const r = express.Router();
  const statsTimeoutMs = opts.statsTimeoutMs ?? 5000;
  const barrierTimeoutMs = opts.barrierTimeoutMs ?? 5000;

  const ask = (c: Ctx, msg: OfMessage): Promise<OfMessage[]> => c.sw.request(c.dpid, msg, { timeoutMs: statsTimeoutMs });

  /** A stats endpoint: dpid in the path, result wrapped as {"<dpid>": result}. */
  const stats = (path: string | string[], fn: (c: Ctx) => Promise<Json>, methods: Array<'get' | 'post'> = ['get']): void => {
    for (const p of Array.isArray(path) ? path : [path]) {
      for (const m of methods) {
        r[m](p, async (req: Request, res: Response) => {
          const sw = switchesOf(getSw);
          const { dpid, info } = lookup(sw, req.params.dpid);
          const body = Q.asBody(req.body, 'the request body');
          const out = await fn({ req, sw, dpid, info, body });
          sendJson(res, 200, { [dpid.toString()]: out });
        });
      }
    }
  };

  /** A command endpoint: dpid in the body (or the path), 200 with an empty body. */
  const command = (
    path: string,
    method: 'post' | 'delete',
    build: (c: Ctx) => OfMessage[] | Promise<OfMessage[]>,
    opt: { dpidFromPath?: boolean; custom?: (c: Ctx, wait: boolean) => Promise<void> } = {},
  ): void => {
    r[method](path, async (req: Request, res: Response) => {
      const sw = switchesOf(getSw);
      const body = Q.asBody(req.body, 'the request body');
      let dpidRaw: unknown = body.dpid;
      if (dpidRaw === undefined || dpidRaw === null || dpidRaw === 0 || dpidRaw === '') {
        dpidRaw = opt.dpidFromPath ? req.params.dpid : undefined;
        if (dpidRaw === undefined) throw new RyuBadRequest('the body has no "dpid"');
      }
      const { dpid, info } = lookup(sw, dpidRaw);
      const ctx: Ctx = { req, sw, dpid, info, body };
      const wait = waitRequested(req);
      const msgs = await build(ctx);
      if (opt.custom) {
        await opt.custom(ctx, wait);
      } else {
        checkEncodable(msgs);
        await sw.send(dpid, msgs, { barrier: wait, timeoutMs: barrierTimeoutMs });
      }
      res.status(200).end();
    });
  };

  r.get('/stats/switches', (_req: Request, res: Response) => {
    const sw = getSw();
    sendJson(res, 200, (sw?.switches() ?? []).map((s) => s.dpid));
  });

  stats('/stats/desc/:dpid', async (c) => S.descToJson(await ask(c, Q.descRequest())));
  // Ryu 4.34 routes /stats/flowdesc to get_flow_stats as well.
  stats(['/stats/flow/:dpid', '/stats/flowdesc/:dpid'], async (c) => {
    const msg = Q.flowStatsRequest(c.body);
    return S.flowsToJson(await ask(c, msg), Q.flowPriorityFilter(c.body));
  }, ['get', 'post']);
  stats('/stats/aggregateflow/:dpid', async (c) => S.aggregateToJson(await ask(c, Q.aggregateRequest(c.body))), ['get', 'post']);
  stats('/stats/table/:dpid', async (c) => S.tablesToJson(await ask(c, Q.tableRequest())));
  stats('/stats/tablefeatures/:dpid', async (c) => S.tableFeaturesToJson(await ask(c, Q.tableFeaturesRequest())));
  stats(['/stats/port/:dpid', '/stats/port/:dpid/:port'], async (c) =>
    S.portStatsToJson(await ask(c, Q.portStatsRequest(c.req.params.port as string | undefined))),
  );
  stats(['/stats/queue/:dpid', '/stats/queue/:dpid/:port', '/stats/queue/:dpid/:port/:queue_id'], async (c) =>
    S.queueStatsToJson(await ask(c, Q.queueStatsRequest(c.req.params.port as string | undefined, c.req.params.queue_id as string | undefined))),
  );
  stats(['/stats/queueconfig/:dpid', '/stats/queueconfig/:dpid/:port'], async (c) =>
    S.queueConfigToJson(await ask(c, Q.queueConfigRequest(c.req.params.port as string | undefined))),
  );
  const notInOf13 = (what: string) => async (): Promise<Json> => {
    throw new RyuNotImplemented(`${what} is not in OpenFlow 1.3 (Ryu answers 501 for OF1.3 switches)`);
  };
  stats(['/stats/queuedesc/:dpid', '/stats/queuedesc/:dpid/:port', '/stats/queuedesc/:dpid/:port/:queue'], notInOf13('queue desc (OFPMP_QUEUE_DESC, OF1.4+)'));
  stats(['/stats/meterdesc/:dpid', '/stats/meterdesc/:dpid/:meter_id'], notInOf13('meter desc (OF1.5)'));
  stats('/stats/meterfeatures/:dpid', async (c) => S.meterFeaturesToJson(await ask(c, Q.meterFeaturesRequest())));
  stats(['/stats/meterconfig/:dpid', '/stats/meterconfig/:dpid/:meter_id'], async (c) =>
    S.meterConfigToJson(await ask(c, Q.meterConfigRequest(c.req.params.meter_id as string | undefined))),
  );
  stats(['/stats/meter/:dpid', '/stats/meter/:dpid/:meter_id'], async (c) =>
    S.meterStatsToJson(await ask(c, Q.meterStatsRequest(c.req.params.meter_id as string | undefined))),
  );
  stats('/stats/groupfeatures/:dpid', async (c) => S.groupFeaturesToJson(await ask(c, Q.groupFeaturesRequest())));
  // OF1.3: the group id (an OF1.5 filter) is accepted and ignored, as in Ryu.
  stats(['/stats/groupdesc/:dpid', '/stats/groupdesc/:dpid/:group_id'], async (c) => S.groupDescToJson(await ask(c, Q.groupDescRequest())));
  stats(['/stats/group/:dpid', '/stats/group/:dpid/:group_id'], async (c) =>
    S.groupStatsToJson(await ask(c, Q.groupStatsRequest(c.req.params.group_id as string | undefined))),
  );
  // OF1.3: the port number (an OF1.5 filter) is accepted and ignored, as in Ryu.
  stats(['/stats/portdesc/:dpid', '/stats/portdesc/:dpid/:port_no'], async (c) => S.portDescToJson(await ask(c, Q.portDescRequest())));
  stats('/stats/role/:dpid', async (c) => S.roleToJson(await ask(c, Q.roleRequest())));

  // ------------------------------------------------------------------------------------------ commands
  command('/stats/flowentry/clear/:dpid', 'delete', () => [Q.flowMod({ table_id: Q.OFPTT_ALL }, 3)], { dpidFromPath: true });
  r.post('/stats/flowentry/:cmd', (req, _res, next) => {
    if (!(req.params.cmd in Q.FLOW_COMMANDS)) throw new RyuNotFound(`no such command: ${req.params.cmd} (add, modify, modify_strict, delete, delete_strict)`);
    next();
  });
  command('/stats/flowentry/:cmd', 'post', (c) => [Q.flowMod(c.body, Q.FLOW_COMMANDS[c.req.params.cmd as string])]);
  r.post('/stats/meterentry/:cmd', (req, _res, next) => {
    if (!(req.params.cmd in Q.METER_COMMANDS)) throw new RyuNotFound(`no such command: ${req.params.cmd} (add, modify, delete)`);
    next();
  });
  command('/stats/meterentry/:cmd', 'post', (c) => [Q.meterMod(c.body, Q.METER_COMMANDS[c.req.params.cmd as string])]);
  r.post('/stats/groupentry/:cmd', (req, _res, next) => {
    if (!(req.params.cmd in Q.GROUP_COMMANDS)) throw new RyuNotFound(`no such command: ${req.params.cmd} (add, modify, delete)`);
    next();
  });
  command('/stats/groupentry/:cmd', 'post', (c) => [Q.groupMod(c.body, Q.GROUP_COMMANDS[c.req.params.cmd as string])]);
  command('/stats/portdesc/:cmd', 'post', (c) => {
    const cfg: JsonObject = { ...c.body };
    const portNo = Q.portNumber(cfg.port_no);
    const port = c.info.ports.find((p) => p.port_no === portNo);
    if (!port) throw new RyuNotFound(`no such port on datapath ${c.dpid}: ${String(cfg.port_no)}`);
    if (c.req.params.cmd !== 'modify') throw new RyuNotFound(`no such command: ${c.req.params.cmd} (modify)`);
    if (!('hw_addr' in cfg)) cfg.hw_addr = port.hw_addr;
    if (!('advertise' in cfg)) cfg.advertise = port.advertised;
    return [Q.portMod(cfg)];
  });
  command('/stats/experimenter/:dpid', 'post', (c) => [Q.experimenter(c.body)], { dpidFromPath: true });
  command('/stats/role', 'post', () => [], {
    custom: async (c, wait) => {
      const role = Q.roleValue(c.body);
      if (c.sw.setRole) {
        const p = c.sw.setRole(c.dpid, role);
        if (wait) await p;
        else p.catch(() => undefined);
        return;
      }
      const msg: OfMessage = { kind: 'OFPRoleRequest', role, generation_id: 0n };
      checkEncodable([msg]);
      if (wait) await c.sw.request(c.dpid, msg, { timeoutMs: barrierTimeoutMs });
      else await c.sw.send(c.dpid, [msg], { barrier: false });
    },
  });
  return r;
}
