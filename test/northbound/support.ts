// Test doubles for the northbound API's ports: an in-process switch that records what the API sends
// and answers requests from a handler, and an in-memory ClusterPort with the same semantics as the
// ZooKeeper one (create conflicts, not-found). Plus a tiny HTTP client.
import type { OfMessage } from '../../openflow/index.js';
import {
  ClusterError, type Chain, type ClusterPort, type Host, type Instance, type InstanceStats,
  type EffectiveAutoscale, type ScalingPort, type Service, type SwitchInfo, type SwitchPort, type Tenant,
} from '../../northbound-api/ports.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLiteral } from '../../northbound-api/ryu/body.js';
import { startApi, type RunningApi, type StartApiOptions } from '../../northbound-api/server.js';
import { RYU_VECTORS } from '../support/vectors.js';

export type Replier = (msg: OfMessage) => OfMessage[] | Promise<OfMessage[]>;

export class FakeSwitch implements SwitchPort {
  readonly sent: OfMessage[] = [];
  readonly requests: OfMessage[] = [];
  roles: number[] = [];
  constructor(
    readonly infos: SwitchInfo[],
    public replier: Replier = () => [],
    public sendHook: (msgs: OfMessage[], barrier: boolean) => Promise<void> = async () => undefined,
  ) {}
  switches(): SwitchInfo[] {
    return this.infos;
  }
  get(dpid: bigint): SwitchInfo | undefined {
    return this.infos.find((s) => s.dpid === dpid);
  }
  async request(_dpid: bigint, msg: OfMessage): Promise<OfMessage[]> {
    this.requests.push(msg);
    return this.replier(msg);
  }
  async send(_dpid: bigint, msgs: OfMessage[], opts: { barrier: boolean }): Promise<void> {
    this.sent.push(...msgs);
    await this.sendHook(msgs, opts.barrier);
  }
  async setRole(_dpid: bigint, role: number): Promise<{ role: number; generationId: bigint }> {
    this.roles.push(role);
    return { role, generationId: 0n };
  }
}

export function switchInfo(dpid: bigint, ports = 2): SwitchInfo {
  return {
    dpid,
    version: 4,
    role: 'EQUAL',
    address: '127.0.0.1:40000',
    nTables: 254,
    capabilities: 0x4f,
    connectedAt: Date.UTC(2026, 0, 1),
    ports: Array.from({ length: ports }, (_, i) => ({
      port_no: i + 1, name: `p${i + 1}`, hw_addr: `02:00:00:00:00:0${i + 1}`, config: 0, state: 4, curr: 0x802,
      advertised: 0x802, supported: 0x802, peer: 0, curr_speed: 10000000, max_speed: 10000000,
    })),
  };
}

export class MemoryCluster implements ClusterPort {
  tenants = new Map<string, Tenant>();
  services = new Map<string, Service>();
  chains = new Map<string, Chain>();
  hosts: Host[] = [];
  instances: Instance[] = [];
  stats: InstanceStats[] = [];

  private put<T extends { name: string }>(m: Map<string, T>, v: T, create: boolean, what: string): T {
    if (create && m.has(v.name)) throw new ClusterError('conflict', `${what} "${v.name}" already exists`);
    if (!create && !m.has(v.name)) throw new ClusterError('not-found', `${what} "${v.name}" does not exist`);
    m.set(v.name, structuredClone(v));
    return structuredClone(v);
  }
  private del<T>(m: Map<string, T>, name: string, what: string): void {
    if (!m.delete(name)) throw new ClusterError('not-found', `${what} "${name}" does not exist`);
  }
  async listTenants() { return [...this.tenants.values()]; }
  async getTenant(n: string) { return this.tenants.get(n); }
  async putTenant(t: Tenant, o: { create: boolean }) { return this.put(this.tenants, t, o.create, 'tenant'); }
  async deleteTenant(n: string) { this.del(this.tenants, n, 'tenant'); }
  async listServices() { return [...this.services.values()]; }
  async getService(n: string) { return this.services.get(n); }
  async putService(s: Service, o: { create: boolean }) {
    const used = new Set([...this.services.values()].map((x) => x.id));
    let id = s.id ?? this.services.get(s.name)?.id ?? 1;
    if (s.id === undefined && o.create) while (used.has(id)) id++;
    return this.put(this.services, { ...s, id }, o.create, 'service');
  }
  async deleteService(n: string) { this.del(this.services, n, 'service'); }
  async listChains() { return [...this.chains.values()]; }
  async getChain(n: string) { return this.chains.get(n); }
  async putChain(c: Chain, o: { create: boolean }) { return this.put(this.chains, c, o.create, 'chain'); }
  async deleteChain(n: string) { this.del(this.chains, n, 'chain'); }
  async listHosts() { return this.hosts; }
  async getHost(id: string) { return this.hosts.find((h) => h.id === id); }
  async listInstances(f: { service?: string; host?: string } = {}) {
    return this.instances.filter((i) => (!f.service || i.service === f.service) && (!f.host || i.host === f.host));
  }
  async listStats(f: { host?: string; instance?: string } = {}) {
    return this.stats.filter((s) => (!f.host || s.host === f.host) && (!f.instance || s.instance === f.instance));
  }
}

/** A scaler double with the orchestrator's semantics: override wins, null returns to automatic. */
export class FakeScaling implements ScalingPort {
  readonly calls: Array<[string, number | null]> = [];
  readonly states = new Map<string, { target: number; override: number | null }>();
  async setDesired(service: string, count: number | null): Promise<void> {
    this.calls.push([service, count]);
    const s = this.states.get(service) ?? { target: count ?? 1, override: null };
    this.states.set(service, { target: count ?? s.target, override: count });
  }
  state(service: string) {
    return this.states.get(service);
  }
  /** The policy the controller would apply: defaults under the knobs stored with the service, if a cluster is given. */
  constructor(private readonly cluster?: MemoryCluster) {}
  policy(service: string): EffectiveAutoscale | undefined {
    const s = this.cluster?.services.get(service);
    if (!s) return undefined;
    const { override: _o, ...knobs } = s.autoscale ?? {};
    const d = { outFill: 0.6, inFill: 0.05, sustainMs: 1000, outCooldownMs: 2000, inCooldownMs: 10000, step: 1, quietMs: 1000, drainTimeoutMs: 15000, staleMs: 5000 };
    return { ...d, ...knobs, minInstances: s.limits?.minInstances ?? 1, maxInstances: s.limits?.maxInstances ?? 4 };
  }
}

export function statsRecord(host: string, service: string, n: number, pps: number): InstanceStats {
  return { host, instance: `${service}:${n}`, service, t: 1, seq: 1, rxPkts: pps * 10, txPkts: pps * 10 - 5, dropPkts: 5, rxBytes: pps * 640, txBytes: pps * 600, pps, ringFill: 0.25 };
}

export const TOKEN = 'test-token-0123456789';

export async function start(opts: Partial<StartApiOptions> = {}): Promise<RunningApi> {
  return startApi({ port: 0, host: '127.0.0.1', token: TOKEN, validateResponses: true, defaultMetrics: false, log: () => undefined, ...opts });
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export async function http(
  api: RunningApi,
  method: string,
  path: string,
  body?: unknown,
  opts: { token?: string | null; contentType?: string; raw?: string } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? TOKEN : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let payload: string | undefined;
  if (opts.raw !== undefined) payload = opts.raw;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
  const res = await fetch(api.url + path, { method, headers, body: payload });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

// ------------------------------------------------------------------ Ryu vectors
export const VEC = RYU_VECTORS;
export type J = unknown;

export const load = (dir: string, name: string): J => parseLiteral(readFileSync(join(VEC, dir, name), 'utf8'));

/** Ryu to_jsondict shape → the codec's in-memory shape ({"Cls": {...}} → {kind: "Cls", ...}). */
export function unwrap(v: J, key = ''): J {
  if (Array.isArray(v)) return v.map((x) => unwrap(x, key));
  if (v && typeof v === 'object') {
    const o = v as Record<string, J>;
    const keys = Object.keys(o);
    if (keys.length === 1 && /^[A-Z]/.test(keys[0]) && o[keys[0]] && typeof o[keys[0]] === 'object' && !Array.isArray(o[keys[0]])) {
      const inner = unwrap(o[keys[0]]) as Record<string, J>;
      if (keys[0] === 'OXMTlv') {
        const t: Record<string, J> = { field: inner.field, value: inner.value };
        if (inner.mask !== null && inner.mask !== undefined) t.mask = inner.mask;
        return t;
      }
      if (typeof inner.data === 'string') inner.data = new Uint8Array(Buffer.from(inner.data as string, 'base64'));
      return { kind: keys[0], ...inner };
    }
    const out: Record<string, J> = {};
    for (const [k, x] of Object.entries(o)) out[k] = unwrap(x, k);
    return out;
  }
  return v;
}


/** The vectors' reply for each request kind: a fake switch that answers like a real one. */
const REPLY_FILES: Record<string, string> = {
  OFPDescStatsRequest: '4-0-ofp_desc_reply.packet.json',
  OFPFlowStatsRequest: '4-12-ofp_flow_stats_reply.packet.json',
  OFPAggregateStatsRequest: '4-26-ofp_aggregate_stats_reply.packet.json',
  OFPTableStatsRequest: '4-28-ofp_table_stats_reply.packet.json',
  OFPTableFeaturesStatsRequest: '4-56-ofp_table_features_reply.packet.json',
  OFPPortStatsRequest: '4-30-ofp_port_stats_reply.packet.json',
  OFPQueueStatsRequest: '4-38-ofp_queue_stats_reply.packet.json',
  OFPQueueGetConfigRequest: '4-36-ofp_queue_get_config_reply.packet.json',
  OFPMeterStatsRequest: '4-50-ofp_meter_stats_reply.packet.json',
  OFPMeterFeaturesStatsRequest: '4-52-ofp_meter_features_reply.packet.json',
  OFPMeterConfigStatsRequest: '4-48-ofp_meter_config_reply.packet.json',
  OFPGroupStatsRequest: '4-58-ofp_group_stats_reply.packet.json',
  OFPGroupFeaturesStatsRequest: '4-32-ofp_group_features_reply.packet.json',
  OFPGroupDescStatsRequest: '4-34-ofp_group_desc_reply.packet.json',
  OFPPortDescStatsRequest: '4-54-ofp_port_desc_reply.packet.json',
  OFPRoleRequest: '4-20-ofp_role_reply.packet.json',
};

export const vectorReplier: Replier = (msg) => {
  const f = REPLY_FILES[msg.kind];
  if (!f) throw new Error(`fake switch: no reply for ${msg.kind}`);
  return [unwrap(load('json', f)) as OfMessage];
};

/** Comparable form: bigint → number, bytes → base64, no len/length, no numeric type codes the encoder computes. */
export function canon(v: J, parentKind = ''): J {
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map((x) => canon(x, parentKind));
  if (v && typeof v === 'object') {
    const o = v as Record<string, J>;
    const kind = typeof o.kind === 'string' ? o.kind : '';
    const out: Record<string, J> = {};
    for (const [k, x] of Object.entries(o)) {
      if (k === 'len' || k === 'length') continue;
      if (k === 'kind' && (x === 'OXMTlv')) continue;
      if (k === 'type' && (/StatsRequest$/.test(kind) || kind === 'OFPMatch' || /^OFPAction|^NXAction|^OFPMeterBand/.test(kind) ||
        (/^OFPInstruction/.test(kind) && kind !== 'OFPInstructionActions'))) continue;
      out[k] = canon(x, kind);
    }
    return out;
  }
  return v;
}

