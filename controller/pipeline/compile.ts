// Pipeline compiler: desired model → the ToR's flow tables and groups. Pure (no I/O, no clock, no randomness):
// the same model always yields the same entries, which is what makes restart reconciliation a no-op.
// Table layout: see README.md in this folder.
import type { ChainSpec, FirewallRule, FirewallSpec, HopSpec, PipelineModel, PolicyMatch, TenantSpec } from './model.js';
import {
  ETH_TYPE_IPV4,
  OFPVID_PRESENT,
  PORT,
  ipv4Field,
  parseCidr,
  type FieldMatch,
  type FlowEntry,
  type GroupEntry,
  type Instruction,
} from './flows.js';
import { assignGroupIds, makeCookie } from './cookie.js';
import { prefixSplit } from './split.js';

export const TABLE = { CLASSIFY: 0, ACL: 1, STEER: 2, L2: 3 } as const;
export const PIPELINE_TABLES: readonly number[] = [TABLE.CLASSIFY, TABLE.ACL, TABLE.STEER, TABLE.L2];

export const PRIO = {
  HOST_PORT: 1000,
  MISS: 0,
  /** table 1: 10000 + chainPriority*50 + slot (slot 0 = the chain's catch-all, 1..49 its rules, first rule highest) */
  ACL_BASE: 10000,
  ACL_BLOCK: 50,
  /** table 2: 10000 + chainPriority*10 */
  STEER_BASE: 10000,
  STEER_STEP: 10,
  L2_MAC: 1000,
  L2_FROM_HOST_MISS: 10,
} as const;

export const MAX_CHAIN_PRIORITY = 999;
export const MAX_OFFLOADED_RULES = PRIO.ACL_BLOCK - 1;

export interface IngressPlan {
  chain: string;
  /** service of the first hop the hosts process (after an offloaded firewall), null if nothing left to run */
  service: string | null;
  /** host id → weight (ready instances) */
  targets: Record<string, number>;
  mode: 'none' | 'drop' | 'bypass' | 'single' | 'select' | 'prefix';
  offloadedFirewall: boolean;
}

export interface CompiledPipeline {
  flows: FlowEntry[];
  groups: GroupEntry[];
  ingress: IngressPlan[];
  /** Every chain asking for a firewall offload: offloaded, or why not. */
  offloads: OffloadDecision[];
  /** Inconsistencies found in the model (the compiler still produces a best-effort pipeline). */
  problems: string[];
}

function owned<T extends { dpid?: bigint }>(items: T[], dpid: bigint | undefined): T[] {
  return dpid === undefined ? items : items.filter((i) => i.dpid === undefined || i.dpid === dpid);
}

function chainPriority(c: ChainSpec): number {
  const p = c.priority ?? 100;
  return Math.max(0, Math.min(MAX_CHAIN_PRIORITY, Math.floor(p)));
}

type Tuple = { src?: { net: number; len: number }; dst?: { net: number; len: number }; proto?: number; sport?: number; dport?: number };

function tupleOf(m: { ipv4Src?: string; ipv4Dst?: string; ipProto?: number; srcPort?: number; dstPort?: number }): Tuple {
  const t: Tuple = {};
  if (m.ipv4Src !== undefined) t.src = parseCidr(m.ipv4Src);
  if (m.ipv4Dst !== undefined) t.dst = parseCidr(m.ipv4Dst);
  if (m.ipProto !== undefined) t.proto = m.ipProto;
  if (m.srcPort !== undefined) t.sport = m.srcPort;
  if (m.dstPort !== undefined) t.dport = m.dstPort;
  return t;
}

function intersectPrefix(a?: { net: number; len: number }, b?: { net: number; len: number }): { net: number; len: number } | undefined | null {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const short = a.len <= b.len ? a : b;
  const long = a.len <= b.len ? b : a;
  const mask = short.len === 0 ? 0 : (0xffffffff << (32 - short.len)) >>> 0;
  return ((long.net & mask) >>> 0) === short.net ? long : null;
}

function intersectExact(a?: number, b?: number): number | undefined | null {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a === b ? a : null;
}

/** Intersection of two 5-tuple matches; null if disjoint. */
function intersectTuple(a: Tuple, b: Tuple): Tuple | null {
  const src = intersectPrefix(a.src, b.src);
  const dst = intersectPrefix(a.dst, b.dst);
  const proto = intersectExact(a.proto, b.proto);
  const sport = intersectExact(a.sport, b.sport);
  const dport = intersectExact(a.dport, b.dport);
  if (src === null || dst === null || proto === null || sport === null || dport === null) return null;
  const t: Tuple = {};
  if (src) t.src = src;
  if (dst) t.dst = dst;
  if (proto !== undefined) t.proto = proto;
  if (sport !== undefined) t.sport = sport;
  if (dport !== undefined) t.dport = dport;
  return t;
}

function l4Ok(t: Tuple): boolean {
  return (t.sport === undefined && t.dport === undefined) || t.proto === 6 || t.proto === 17;
}

/** OXM fields of an IPv4 5-tuple (with eth_type/ip_proto prerequisites), optionally overriding the split field. */
function tupleFields(t: Tuple): FieldMatch[] {
  const f: FieldMatch[] = [{ field: 'eth_type', value: ETH_TYPE_IPV4 }];
  if (t.src) {
    const s = ipv4Field('ipv4_src', t.src.net, t.src.len);
    if (s) f.push(s);
  }
  if (t.dst) {
    const d = ipv4Field('ipv4_dst', t.dst.net, t.dst.len);
    if (d) f.push(d);
  }
  if (t.proto !== undefined) f.push({ field: 'ip_proto', value: t.proto });
  const l4 = t.proto === 6 ? 'tcp' : 'udp';
  if (t.sport !== undefined) f.push({ field: `${l4}_src`, value: t.sport });
  if (t.dport !== undefined) f.push({ field: `${l4}_dst`, value: t.dport });
  return f;
}

function portVlanFields(port: number | null, tenant: TenantSpec | undefined): FieldMatch[] {
  const f: FieldMatch[] = [];
  if (port !== null) f.push({ field: 'in_port', value: port });
  if (tenant?.vlan !== undefined) f.push({ field: 'vlan_vid', value: OFPVID_PRESENT | tenant.vlan });
  return f;
}

/** Whether a chain's firewall is enforced by the switch, and why not when it is not. */
export interface OffloadDecision {
  chain: string;
  /** the firewall service (the chain's first hop, or the first hop asking for offload) */
  service: string;
  offloaded: boolean;
  rules: number;
  reason?: string;
}

/** Offload decision for a chain that asks for it (offloadFirewall); null when it does not ask. A leading stateless
 *  firewall hop with ≤ MAX_OFFLOADED_RULES rules, every one expressible as OXM within the chain's match, is enforced
 *  by the switch (ACL table) and the hop is skipped. */
export function firewallOffload(chain: ChainSpec): (OffloadDecision & { fw: FirewallSpec | null }) | null {
  if (chain.offloadFirewall !== true) return null;
  const first = chain.hops[0];
  const no = (service: string, rules: number, reason: string): OffloadDecision & { fw: null } => ({ chain: chain.id, service, offloaded: false, rules, reason, fw: null });
  if (!first?.firewall) {
    const i = chain.hops.findIndex((h) => h.firewall !== undefined);
    const h = i >= 0 ? chain.hops[i]! : first;
    return no(h?.service ?? '', h?.firewall?.rules.length ?? 0, i > 0 ? `firewall ${h!.service} is hop ${i + 1} of the chain: only a leading firewall sees the frames as the switch does` : 'the chain has no firewall hop with known rules');
  }
  const fw = first.firewall;
  if (!fw.stateless) return no(first.service, fw.rules.length, 'stateful firewall (connection tracking): the switch cannot let replies of allowed flows through');
  if (fw.rules.length > MAX_OFFLOADED_RULES) return no(first.service, fw.rules.length, `${fw.rules.length} rules > ${MAX_OFFLOADED_RULES} (the ACL priority block of a chain)`);
  for (const [i, r] of fw.rules.entries()) {
    let t: Tuple;
    try {
      t = tupleOf(r);
    } catch (e) {
      return no(first.service, fw.rules.length, `rule ${i + 1}: ${(e as Error).message}`);
    }
    if (!l4Ok(t) && !l4Ok(intersectTuple(t, tupleOf(chain.match)) ?? {})) return no(first.service, fw.rules.length, `rule ${i + 1}: L4 ports need ipProto 6 (TCP) or 17 (UDP)`);
  }
  return { chain: chain.id, service: first.service, offloaded: true, rules: fw.rules.length, fw };
}

/** A leading stateless firewall hop the switch can enforce by itself (every rule expressible as a flow). */
export function offloadableFirewall(chain: ChainSpec): FirewallSpec | null {
  return firewallOffload(chain)?.fw ?? null;
}

/** The hops the hosts actually run (an offloaded leading firewall is enforced by the switch instead). */
export function effectiveHops(chain: ChainSpec): HopSpec[] {
  return offloadableFirewall(chain) ? chain.hops.slice(1) : chain.hops;
}

function chainPorts(chain: ChainSpec, tenant: TenantSpec | undefined, problems: string[]): Array<number | null> {
  const tp = tenant?.ports ?? [];
  const cp = chain.match.inPorts ?? [];
  if (cp.length > 0 && tp.length > 0) {
    const bad = cp.filter((p) => !tp.includes(p));
    if (bad.length > 0) problems.push(`chain ${chain.id}: in ports ${bad.join(',')} are not ports of tenant ${chain.tenant}`);
    const ok = cp.filter((p) => tp.includes(p));
    return ok.length > 0 ? [...new Set(ok)].sort((a, b) => a - b) : [];
  }
  const ports = cp.length > 0 ? cp : tp;
  return ports.length > 0 ? [...new Set(ports)].sort((a, b) => a - b) : [null];
}

export function compilePipeline(model: PipelineModel): CompiledPipeline {
  const problems: string[] = [];
  const flows: FlowEntry[] = [];
  const groups: GroupEntry[] = [];
  const ingress: IngressPlan[] = [];
  const offloads: OffloadDecision[] = [];
  const opts = model.options ?? {};
  const maxSplitBits = Math.max(0, Math.min(8, opts.maxSplitBits ?? 4));
  const hosts = owned(model.hosts, model.dpid);
  const endpoints = owned(model.endpoints ?? [], model.dpid);
  const tenants = new Map(model.tenants.map((t) => [t.id, t]));
  const hostById = new Map(hosts.map((h) => [h.id, h]));
  const infra = makeCookie('infra', 'pipeline');
  const hostPorts = [...new Set(hosts.map((h) => h.port))].sort((a, b) => a - b);

  const chains = [...model.chains].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const groupIds = assignGroupIds([...chains.filter((c) => c.split !== 'prefix').map((c) => `chain:${c.id}`), 'infra:edge-flood']);

  // ---- table 0: classification ----
  for (const p of hostPorts) {
    flows.push({ table: TABLE.CLASSIFY, priority: PRIO.HOST_PORT, match: [{ field: 'in_port', value: p }], instructions: [{ type: 'goto', table: TABLE.L2 }], cookie: infra, owner: 'infra:host-port' });
  }
  flows.push({
    table: TABLE.CLASSIFY,
    priority: PRIO.MISS,
    match: [],
    instructions: [{ type: 'goto', table: opts.unknownPorts === 'host' ? TABLE.L2 : TABLE.ACL }],
    cookie: infra,
    owner: 'infra:classify-miss',
  });
  if (opts.unknownPorts === 'host') {
    const edgePorts = new Set<number>();
    for (const t of model.tenants) for (const p of t.ports ?? []) edgePorts.add(p);
    for (const e of endpoints) edgePorts.add(e.port);
    for (const p of [...edgePorts].sort((a, b) => a - b)) {
      if (hostPorts.includes(p)) continue;
      flows.push({ table: TABLE.CLASSIFY, priority: PRIO.HOST_PORT, match: [{ field: 'in_port', value: p }], instructions: [{ type: 'goto', table: TABLE.ACL }], cookie: infra, owner: 'infra:edge-port' });
    }
  }

  // ---- table 1 (ACL offload) and table 2 (steering) ----
  const offloadingPrios = chains.filter((c) => offloadableFirewall(c)).map(chainPriority);
  for (const chain of chains) {
    const tenant = tenants.get(chain.tenant);
    if (!tenant) problems.push(`chain ${chain.id}: unknown tenant ${chain.tenant}`);
    const prio = chainPriority(chain);
    let base: Tuple;
    try {
      base = tupleOf(chain.match);
    } catch (e) {
      problems.push(`chain ${chain.id}: ${(e as Error).message}`);
      continue;
    }
    if (!l4Ok(base)) {
      problems.push(`chain ${chain.id}: L4 ports need ipProto 6 or 17`);
      continue;
    }
    const ports = chainPorts(chain, tenant, problems);
    if (ports.length === 0) continue;
    const steerCookie = makeCookie('steering', chain.id);
    const aclCookie = makeCookie('acl', chain.id);
    const decision = firewallOffload(chain);
    const fw = decision?.fw ?? null;
    if (decision) {
      const { fw: _fw, ...d } = decision;
      offloads.push(d);
      if (!fw) problems.push(`chain ${chain.id}: firewall ${d.service} not offloaded: ${d.reason ?? ''}`);
    }

    // ACL block: rules, then the chain's catch-all (needed if it has rules or a lower-priority chain offloads)
    const aclBase = PRIO.ACL_BASE + prio * PRIO.ACL_BLOCK;
    const needCatchAll = fw !== null || offloadingPrios.some((p) => p < prio);
    for (const port of ports) {
      const pv = portVlanFields(port, tenant);
      if (fw) {
        fw.rules.forEach((r: FirewallRule, i) => {
          const t = intersectTuple(base, tupleOf(r));
          if (t === null) return; // rule cannot match this chain's traffic
          flows.push({
            table: TABLE.ACL,
            priority: aclBase + (MAX_OFFLOADED_RULES - i),
            match: [...pv, ...tupleFields(t)],
            instructions: r.action === 'drop' ? [] : [{ type: 'goto', table: TABLE.STEER }],
            cookie: aclCookie,
            owner: `acl:${chain.id}:rule${i}`,
          });
        });
      }
      if (needCatchAll) {
        const dropAll = fw !== null && fw.defaultAction === 'drop';
        flows.push({
          table: TABLE.ACL,
          priority: aclBase,
          match: [...pv, ...tupleFields(base)],
          instructions: dropAll ? [] : [{ type: 'goto', table: TABLE.STEER }],
          cookie: aclCookie,
          owner: `acl:${chain.id}:default`,
        });
      }
    }

    // steering
    const hops = effectiveHops(chain);
    const first = hops[0]?.service ?? null;
    const targets: Record<string, number> = {};
    if (first !== null) {
      for (const inst of model.instances) {
        if (inst.service !== first || inst.ready === false) continue;
        const h = hostById.get(inst.host);
        if (!h || h.alive === false) continue;
        targets[h.id] = (targets[h.id] ?? 0) + 1;
      }
    }
    const targetIds = Object.keys(targets).sort();
    const steerPrio = PRIO.STEER_BASE + prio * PRIO.STEER_STEP;
    const plan: IngressPlan = { chain: chain.id, service: first, targets, mode: 'none', offloadedFirewall: fw !== null };
    const push = (port: number | null, t: Tuple, instructions: Instruction[], owner: string): void => {
      flows.push({ table: TABLE.STEER, priority: steerPrio, match: [...portVlanFields(port, tenant), ...tupleFields(t)], instructions, cookie: steerCookie, owner });
    };
    if (first === null) {
      plan.mode = 'bypass';
      for (const port of ports) push(port, base, [{ type: 'goto', table: TABLE.L2 }], `steer:${chain.id}:bypass`);
    } else if (targetIds.length === 0) {
      const open = chain.failMode === 'open';
      plan.mode = open ? 'bypass' : 'drop';
      for (const port of ports) push(port, base, open ? [{ type: 'goto', table: TABLE.L2 }] : [], `steer:${chain.id}:${open ? 'fail-open' : 'fail-closed'}`);
    } else if (targetIds.length === 1) {
      plan.mode = 'single';
      const h = hostById.get(targetIds[0]!)!;
      for (const port of ports) push(port, base, [{ type: 'apply', actions: [{ type: 'output', port: h.port }] }], `steer:${chain.id}`);
    } else if (chain.split === 'prefix') {
      plan.mode = 'prefix';
      const field = chain.splitField ?? 'ipv4_src';
      const key = field === 'ipv4_src' ? 'src' : 'dst';
      const basePrefix = base[key] ?? { net: 0, len: 0 };
      const slots = prefixSplit(basePrefix, targetIds.map((id) => ({ id, weight: targets[id]! })), maxSplitBits);
      for (const port of ports) {
        for (const s of slots) {
          const h = hostById.get(s.target)!;
          push(port, { ...base, [key]: { net: s.net, len: s.len } }, [{ type: 'apply', actions: [{ type: 'output', port: h.port }] }], `steer:${chain.id}:${field}`);
        }
      }
    } else {
      plan.mode = 'select';
      const gid = groupIds.get(`chain:${chain.id}`)!;
      groups.push({
        groupId: gid,
        type: 'select',
        buckets: targetIds.map((id) => ({ weight: targets[id]!, actions: [{ type: 'output', port: hostById.get(id)!.port }] })),
        owner: `chain:${chain.id}`,
      });
      for (const port of ports) push(port, base, [{ type: 'apply', actions: [{ type: 'group', groupId: gid }] }], `steer:${chain.id}:group`);
    }
    ingress.push(plan);
  }
  flows.push({ table: TABLE.ACL, priority: PRIO.MISS, match: [], instructions: [{ type: 'goto', table: TABLE.STEER }], cookie: infra, owner: 'infra:acl-miss' });
  flows.push({ table: TABLE.STEER, priority: PRIO.MISS, match: [], instructions: [{ type: 'goto', table: TABLE.L2 }], cookie: infra, owner: 'infra:steer-miss' });

  // ---- table 3: L2 forwarding ----
  const macs = new Map<string, number>();
  for (const h of hosts) macs.set(h.mac.toLowerCase(), h.port);
  for (const e of endpoints) {
    const m = e.mac.toLowerCase();
    if (macs.has(m) && macs.get(m) !== e.port) problems.push(`MAC ${m} registered on ports ${macs.get(m)} and ${e.port}`);
    else macs.set(m, e.port);
  }
  for (const [mac, port] of [...macs].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    flows.push({ table: TABLE.L2, priority: PRIO.L2_MAC, match: [{ field: 'eth_dst', value: mac }], instructions: [{ type: 'apply', actions: [{ type: 'output', port }] }], cookie: infra, owner: 'infra:l2' });
  }
  // Unknown destinations are flooded to edge ports only: a frame never reaches a host port by flooding, so a
  // host never processes a frame twice.
  const edgePorts = new Set<number>();
  for (const t of model.tenants) for (const p of t.ports ?? []) edgePorts.add(p);
  for (const e of endpoints) edgePorts.add(e.port);
  for (const p of hostPorts) edgePorts.delete(p);
  const miss = opts.l2Miss ?? 'flood';
  let missIns: Instruction[];
  if (miss === 'drop') missIns = [];
  else if (miss === 'controller') missIns = [{ type: 'apply', actions: [{ type: 'output', port: PORT.CONTROLLER }] }];
  else if (edgePorts.size > 0) {
    const gid = groupIds.get('infra:edge-flood')!;
    groups.push({ groupId: gid, type: 'all', buckets: [...edgePorts].sort((a, b) => a - b).map((p) => ({ weight: 0, actions: [{ type: 'output', port: p }] })), owner: 'infra:edge-flood' });
    missIns = [{ type: 'apply', actions: [{ type: 'group', groupId: gid }] }];
  } else missIns = [{ type: 'apply', actions: [{ type: 'output', port: PORT.FLOOD }] }];
  flows.push({ table: TABLE.L2, priority: PRIO.MISS, match: [], instructions: missIns, cookie: infra, owner: 'infra:l2-miss' });

  return { flows, groups, ingress, offloads, problems };
}

/** Validate a policy match without compiling (for the REST layer). Returns problems, empty if fine. */
export function validatePolicyMatch(m: PolicyMatch): string[] {
  const out: string[] = [];
  try {
    const t = tupleOf(m);
    if (!l4Ok(t)) out.push('L4 ports need ipProto 6 (TCP) or 17 (UDP)');
  } catch (e) {
    out.push((e as Error).message);
  }
  for (const p of m.inPorts ?? []) if (!Number.isInteger(p) || p < 1 || p > 0xffffff00) out.push(`bad port ${p}`);
  return out;
}
