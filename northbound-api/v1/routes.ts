// /api/v1: the platform's own API over cluster desired state (ZooKeeper, through ClusterPort), the
// controller's switches (SwitchPort) and the compiled pipeline (PipelinePort). Writes only change
// desired state; the controller and host agents act on it — nothing here talks to a switch.
import express, { type Request, type Response, type Router } from 'express';
import type { ApiDeps, AutoscaleSettings, Chain, ClusterPort, Service, Tenant, SwitchInfo, InstanceStats } from '../ports.js';
import type { FirewallConfig } from '../../cluster/schemas.js';
import { HttpProblem } from '../problem.js';
import { sendJson } from '../json.js';

function clusterOf(deps: ApiDeps): ClusterPort {
  if (!deps.cluster) throw new HttpProblem(503, 'Service Unavailable', 'the API was started without cluster state (ZooKeeper) attached');
  return deps.cluster;
}

function notFound(what: string, name: string): never {
  throw new HttpProblem(404, 'Not Found', `${what} "${name}" does not exist`);
}

function param(req: Request, name: string): string {
  const v = req.params[name];
  return Array.isArray(v) ? v.join('/') : String(v);
}

function sameName(bodyName: string | undefined, param: string): void {
  if (bodyName !== undefined && bodyName !== param) {
    throw new HttpProblem(400, 'Bad Request', `the body's name "${bodyName}" differs from the path's "${param}"`);
  }
}

export function dpidHex(d: bigint): string {
  return '0x' + d.toString(16).padStart(16, '0');
}

function parseDpidParam(s: string): bigint {
  try {
    const v = /^0[xX]/.test(s) ? BigInt(s) : /^[0-9a-fA-F]{16}$/.test(s) ? BigInt('0x' + s) : BigInt(s);
    if (v < 0n || v >= 1n << 64n) throw new Error('range');
    return v;
  } catch {
    throw new HttpProblem(400, 'Bad Request', `"${s}" is not a datapath id (decimal, 0x-hex, or 16 hex digits)`);
  }
}

function switchJson(s: SwitchInfo): Record<string, unknown> {
  return {
    dpid: dpidHex(s.dpid),
    dpidDecimal: s.dpid.toString(),
    address: s.address ?? null,
    version: s.version,
    role: s.role ?? null,
    nTables: s.nTables ?? null,
    capabilities: s.capabilities ?? null,
    connectedAt: s.connectedAt ? new Date(s.connectedAt).toISOString() : null,
    ports: s.ports.map((p) => ({ ...p })),
  };
}

function totals(stats: InstanceStats[]): { instances: number; pps: number; rxPkts: number; txPkts: number; dropPkts: number } {
  const sum = (k: 'pps' | 'rxPkts' | 'txPkts' | 'dropPkts'): number => stats.reduce((a, s) => a + s[k], 0);
  return { instances: stats.length, pps: sum('pps'), rxPkts: sum('rxPkts'), txPkts: sum('txPkts'), dropPkts: sum('dropPkts') };
}

export const DEFAULT_LIMITS = { minInstances: 1, maxInstances: 4 };

export function v1Router(deps: ApiDeps): Router {
  const r = express.Router();
  const base = '/api/v1';
  const decorate = (s: Service): Service => {
    const st = deps.scaling?.state(s.name);
    const held = s.autoscale?.override;
    return held !== undefined ? { ...s, desiredInstances: held } : st ? { ...s, desiredInstances: st.override ?? st.target } : s;
  };
  r.get(`${base}/health`, (_req, res) => {
    sendJson(res, 200, { status: 'ok', controller: deps.switches !== undefined, cluster: deps.cluster !== undefined, pipeline: deps.pipeline !== undefined, scaling: deps.scaling !== undefined });
  });

  // ---------------------------------------------------------------------------------- tenants
  r.get(`${base}/tenants`, async (_req, res) => sendJson(res, 200, await clusterOf(deps).listTenants()));
  r.post(`${base}/tenants`, async (req: Request, res: Response) => {
    const t = req.body as Tenant;
    const out = await clusterOf(deps).putTenant(t, { create: true });
    res.location(`${base}/tenants/${encodeURIComponent(out.name)}`);
    sendJson(res, 201, out);
  });
  r.get(`${base}/tenants/:name`, async (req, res) => {
    const t = await clusterOf(deps).getTenant(param(req, 'name'));
    if (!t) notFound('tenant', param(req, 'name'));
    sendJson(res, 200, t);
  });
  r.put(`${base}/tenants/:name`, async (req, res) => {
    const body = req.body as Tenant;
    sameName(body.name, param(req, 'name'));
    sendJson(res, 200, await clusterOf(deps).putTenant({ ...body, name: param(req, 'name') }, { create: false }));
  });
  r.delete(`${base}/tenants/:name`, async (req, res) => {
    const c = clusterOf(deps);
    const name = param(req, 'name');
    if (!(await c.getTenant(name))) notFound('tenant', name);
    const users = (await c.listChains()).filter((ch) => ch.tenant === name).map((ch) => ch.name);
    if (users.length) throw new HttpProblem(409, 'Conflict', `tenant "${name}" is used by chains: ${users.join(', ')}`);
    await c.deleteTenant(name);
    res.status(204).end();
  });

  // ---------------------------------------------------------------------------------- services
  r.get(`${base}/services`, async (_req, res) => sendJson(res, 200, (await clusterOf(deps).listServices()).map(decorate)));
  r.post(`${base}/services`, async (req, res) => {
    const s = withConfigDefaults(req.body as Service);
    checkLimits(s);
    checkConfigKind(s);
    const out = await clusterOf(deps).putService({ ...s, limits: s.limits ?? DEFAULT_LIMITS }, { create: true });
    res.location(`${base}/services/${encodeURIComponent(out.name)}`);
    sendJson(res, 201, decorate(out));
  });
  r.get(`${base}/services/:name`, async (req, res) => {
    const s = await clusterOf(deps).getService(param(req, 'name'));
    if (!s) notFound('service', param(req, 'name'));
    sendJson(res, 200, decorate(s));
  });
  r.put(`${base}/services/:name`, async (req, res) => {
    const body = withConfigDefaults(req.body as Service);
    sameName(body.name, param(req, 'name'));
    checkLimits(body);
    const c = clusterOf(deps);
    const cur = await c.getService(param(req, 'name'));
    if (!cur) notFound('service', param(req, 'name'));
    if (body.id !== undefined && cur.id !== undefined && body.id !== cur.id) {
      throw new HttpProblem(409, 'Conflict', `the service id of "${cur.name}" is ${cur.id}; it cannot change (${body.id})`);
    }
    // limits and config kept when the body leaves them out; autoscale is set through /autoscale only
    const next: Service = { ...body, name: cur.name, id: cur.id, limits: body.limits ?? cur.limits ?? DEFAULT_LIMITS, config: body.config ?? cur.config, autoscale: cur.autoscale };
    checkConfigKind(next);
    sendJson(res, 200, decorate(await c.putService(next, { create: false })));
  });
  r.delete(`${base}/services/:name`, async (req, res) => {
    const c = clusterOf(deps);
    const name = param(req, 'name');
    if (!(await c.getService(name))) notFound('service', name);
    const users = (await c.listChains()).filter((ch) => ch.services.includes(name)).map((ch) => ch.name);
    if (users.length) throw new HttpProblem(409, 'Conflict', `service "${name}" is used by chains: ${users.join(', ')}`);
    await c.deleteService(name);
    res.status(204).end();
  });
  r.post(`${base}/services/:name/scale`, async (req, res) => {
    const c = clusterOf(deps);
    const name = param(req, 'name');
    const s = await c.getService(name);
    if (!s) notFound('service', name);
    const n = (req.body as { instances: number }).instances;
    const min = s.limits?.minInstances ?? 0;
    const max = s.limits?.maxInstances;
    if (n < min || (max !== undefined && n > max)) {
      throw new HttpProblem(400, 'Bad Request', `service "${name}" allows ${min}..${max ?? '∞'} instances (its limits), asked for ${n}`);
    }
    // desired state first (ZooKeeper: any leader, also after a restart, holds it), then the local scaler at once
    await c.putService({ ...s, autoscale: { ...(s.autoscale ?? {}), override: n } }, { create: false });
    await deps.scaling?.setDesired(name, n);
    sendJson(res, 202, { service: name, desiredInstances: n });
  });
  const autoscaleOut = (s: Service): AutoscaleSettings => {
    const limits = s.limits ?? DEFAULT_LIMITS;
    const { override, ...knobs } = s.autoscale ?? {};
    const out: AutoscaleSettings = { enabled: override === undefined, minInstances: limits.minInstances, maxInstances: limits.maxInstances, ...knobs };
    const st = deps.scaling?.state(s.name);
    if (override !== undefined) out.desiredInstances = override;
    else if (st) out.desiredInstances = st.override ?? st.target;
    const eff = deps.scaling?.policy?.(s.name);
    if (eff) out.effective = eff;
    return out;
  };
  r.get(`${base}/services/:name/autoscale`, async (req, res) => {
    const name = param(req, 'name');
    const s = await clusterOf(deps).getService(name);
    if (!s) notFound('service', name);
    sendJson(res, 200, autoscaleOut(s));
  });
  r.put(`${base}/services/:name/autoscale`, async (req, res) => {
    const c = clusterOf(deps);
    const name = param(req, 'name');
    const s = await c.getService(name);
    if (!s) notFound('service', name);
    const { enabled, minInstances, maxInstances, desiredInstances: _d, effective: _e, ...knobs } = req.body as AutoscaleSettings;
    if (minInstances > maxInstances) {
      throw new HttpProblem(400, 'Bad Request', `minInstances (${minInstances}) is greater than maxInstances (${maxInstances})`);
    }
    // thresholds against each other, missing ones taken from what the controller applies now
    const eff = deps.scaling?.policy?.(name);
    const pick = (k: 'outFill' | 'inFill' | 'outPps' | 'inPps'): number | undefined => knobs[k] ?? eff?.[k];
    const [outFill, inFill, outPps, inPps] = [pick('outFill'), pick('inFill'), pick('outPps'), pick('inPps')];
    if (outFill !== undefined && inFill !== undefined && inFill >= outFill) {
      throw new HttpProblem(400, 'Bad Request', `inFill (${inFill}) must be below outFill (${outFill}), else the service would scale in and out in turn`);
    }
    if (outPps !== undefined && inPps !== undefined && inPps >= outPps) {
      throw new HttpProblem(400, 'Bad Request', `inPps (${inPps}) must be below outPps (${outPps}), else the service would scale in and out in turn`);
    }
    const st = deps.scaling?.state(name);
    const current = s.autoscale?.override ?? (st ? (st.override ?? st.target) : minInstances);
    const held = Math.min(maxInstances, Math.max(minInstances, current));
    // min/max live in the service's limits, the knobs and the held count in its autoscale settings (ZooKeeper);
    // the controller reads both on every evaluation, no restart
    const saved = await c.putService(
      { ...s, limits: { ...(s.limits ?? DEFAULT_LIMITS), minInstances, maxInstances }, autoscale: enabled ? knobs : { ...knobs, override: held } },
      { create: false },
    );
    await deps.scaling?.setDesired(name, enabled ? null : held);
    sendJson(res, 200, autoscaleOut(saved));
  });
  r.get(`${base}/services/:name/instances`, async (req, res) => {
    const c = clusterOf(deps);
    const name = param(req, 'name');
    if (!(await c.getService(name))) notFound('service', name);
    sendJson(res, 200, await c.listInstances({ service: name }));
  });

  // ---------------------------------------------------------------------------------- chains
  r.get(`${base}/chains`, async (_req, res) => sendJson(res, 200, await clusterOf(deps).listChains()));
  const checkChain = async (c: ClusterPort, ch: Chain): Promise<void> => {
    if (!(await c.getTenant(ch.tenant))) throw new HttpProblem(422, 'Unprocessable Content', `tenant "${ch.tenant}" does not exist`);
    const services = new Set((await c.listServices()).map((s) => s.name));
    const missing = ch.services.filter((s) => !services.has(s));
    if (missing.length) throw new HttpProblem(422, 'Unprocessable Content', `unknown services in chain: ${missing.join(', ')}`);
  };
  r.post(`${base}/chains`, async (req, res) => {
    const c = clusterOf(deps);
    const ch = req.body as Chain;
    await checkChain(c, ch);
    const out = await c.putChain(ch, { create: true });
    res.location(`${base}/chains/${encodeURIComponent(out.name)}`);
    sendJson(res, 201, out);
  });
  r.get(`${base}/chains/:name`, async (req, res) => {
    const ch = await clusterOf(deps).getChain(param(req, 'name'));
    if (!ch) notFound('chain', param(req, 'name'));
    sendJson(res, 200, ch);
  });
  r.put(`${base}/chains/:name`, async (req, res) => {
    const c = clusterOf(deps);
    const body = req.body as Chain;
    sameName(body.name, param(req, 'name'));
    const ch = { ...body, name: param(req, 'name') };
    await checkChain(c, ch);
    sendJson(res, 200, await c.putChain(ch, { create: false }));
  });
  r.delete(`${base}/chains/:name`, async (req, res) => {
    const c = clusterOf(deps);
    if (!(await c.getChain(param(req, 'name')))) notFound('chain', param(req, 'name'));
    await c.deleteChain(param(req, 'name'));
    res.status(204).end();
  });

  // ---------------------------------------------------------------------------------- hosts, instances, stats
  r.get(`${base}/hosts`, async (_req, res) => sendJson(res, 200, await clusterOf(deps).listHosts()));
  r.get(`${base}/hosts/:id`, async (req, res) => {
    const h = await clusterOf(deps).getHost(param(req, 'id'));
    if (!h) notFound('host', param(req, 'id'));
    sendJson(res, 200, h);
  });
  r.get(`${base}/instances`, async (req, res) => {
    const filter: { service?: string; host?: string } = {};
    if (typeof req.query.service === 'string') filter.service = req.query.service;
    if (typeof req.query.host === 'string') filter.host = req.query.host;
    sendJson(res, 200, await clusterOf(deps).listInstances(filter));
  });
  r.get(`${base}/stats/instances`, async (req, res) => {
    const filter: { host?: string; instance?: string } = {};
    if (typeof req.query.host === 'string') filter.host = req.query.host;
    if (typeof req.query.instance === 'string') filter.instance = req.query.instance;
    let stats = await clusterOf(deps).listStats(filter);
    if (typeof req.query.service === 'string') stats = stats.filter((s) => s.service === req.query.service);
    sendJson(res, 200, stats);
  });
  r.get(`${base}/stats/hosts`, async (_req, res) => {
    const c = clusterOf(deps);
    const [hosts, stats] = await Promise.all([c.listHosts(), c.listStats()]);
    const ids = new Set([...hosts.map((h) => h.id), ...stats.map((s) => s.host)]);
    sendJson(
      res,
      200,
      [...ids].sort().map((id) => {
        return { host: id, ...totals(stats.filter((s) => s.host === id)) };
      }),
    );
  });
  r.get(`${base}/stats/hosts/:host`, async (req, res) => {
    const c = clusterOf(deps);
    const id = param(req, 'host');
    const mine = await c.listStats({ host: id });
    if (!mine.length && !(await c.getHost(id))) notFound('host', id);
    sendJson(res, 200, {
      host: id,
      totals: totals(mine),
      instances: mine,
    });
  });

  // ---------------------------------------------------------------------------------- switches, pipeline
  r.get(`${base}/switches`, (_req, res) => {
    sendJson(res, 200, (deps.switches?.switches() ?? []).map(switchJson));
  });
  r.get(`${base}/switches/:dpid`, (req, res) => {
    const dpid = parseDpidParam(param(req, 'dpid'));
    const s = deps.switches?.get(dpid);
    if (!s) notFound('switch', param(req, 'dpid'));
    sendJson(res, 200, switchJson(s));
  });
  r.get(`${base}/switches/:dpid/pipeline`, async (req, res) => {
    const dpid = parseDpidParam(param(req, 'dpid'));
    if (!deps.pipeline) throw new HttpProblem(503, 'Service Unavailable', 'no pipeline compiler attached to the API');
    if (deps.switches && !deps.switches.get(dpid)) notFound('switch', param(req, 'dpid'));
    const flows = await deps.pipeline.compiled(dpid);
    const report = (await deps.pipeline.report?.(dpid)) ?? { offloads: [], problems: [] };
    sendJson(res, 200, { dpid: dpidHex(dpid), flows, offloads: report.offloads, problems: report.problems });
  });
  return r;
}

/** Firewall config defaults (stateless, no offload, default allow) and the rule checks the schema cannot express. */
function withConfigDefaults(s: Service): Service {
  // the request may leave out what has a default
  const fw = s.config?.firewall as (Pick<FirewallConfig, 'rules'> & Partial<FirewallConfig>) | undefined;
  if (!fw) return s;
  fw.rules.forEach((r, i) => {
    if ((r.tpSrc !== undefined || r.tpDst !== undefined) && r.ipProto !== 6 && r.ipProto !== 17) {
      throw new HttpProblem(400, 'Bad Request', `config.firewall.rules[${i}]: L4 ports (tpSrc/tpDst) need ipProto 6 (TCP) or 17 (UDP)`);
    }
  });
  return { ...s, config: { ...s.config, firewall: { rules: fw.rules, defaultAction: fw.defaultAction ?? 'allow', stateless: fw.stateless ?? true, offload: fw.offload ?? false } } };
}

/** Firewall rules go to the native firewall NF (rendered to its rules file): other kinds cannot take them. */
function checkConfigKind(s: Service): void {
  if (s.config?.firewall && s.kind !== 'native') {
    throw new HttpProblem(400, 'Bad Request', `config.firewall: only a native service (the firewall NF) takes firewall rules; "${s.name}" is kind ${s.kind}`);
  }
}

function checkLimits(s: Service): void {
  const l = s.limits;
  if (l && l.minInstances !== undefined && l.maxInstances !== undefined && l.minInstances > l.maxInstances) {
    throw new HttpProblem(400, 'Bad Request', `limits.minInstances (${l.minInstances}) is greater than limits.maxInstances (${l.maxInstances})`);
  }
}
