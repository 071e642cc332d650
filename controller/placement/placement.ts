// Placement: NF instances → hosts, and each chain's service path (path id, per-hop VNI, where each hop runs,
// which transitions cross hosts in VXLAN). Pure: no I/O, no clock, no randomness; the same input always gives
// the same output, and feeding a result back as `current` gives no change (minimal movement).
import { VniAllocator, vniFor } from '../../vxlan/index.js';

export interface PlacementHost {
  id: string;
  /** Capacity in instance units (cluster HostRecord.capacity.maxInstances). */
  capacity: number;
  /** Current utilisation 0..1 reported by the host (tie-break only: prefer idle hosts). */
  load?: number;
  /** false: dead (port down / session lost); its instances are lost and re-placed. Default true. */
  alive?: boolean;
}

export interface PlacementService {
  name: string;
  /** Capacity units one instance takes (default 1). */
  cost?: number;
}

export interface PlacementChain {
  id: string;
  tenant: string;
  /** Service names the hosts run, in order (offloaded hops already removed). */
  hops: string[];
  /** Already allocated service path id (kept); absent: allocated here. */
  pathId?: number;
}

export interface InstanceRef {
  service: string;
  host: string;
  /** n in services/<name>/instances/<host>:<n> (per host, per service). */
  index: number;
}

export interface PlacementInput {
  hosts: PlacementHost[];
  services: PlacementService[];
  chains: PlacementChain[];
  /** Desired instance count per service (scaling / REST); services absent here get 1 if a chain uses them. */
  desired: Record<string, number>;
  /** What runs (or is assigned) now. */
  current: InstanceRef[];
  /** Instances still winding down (draining, stopping): not placed, but their (service, host, index) is not reused. */
  avoid?: InstanceRef[];
  /** Path ids in use by chains not in `chains` (never handed out again). */
  reservedPathIds?: number[];
  options?: {
    /** 'colocate' (default): consecutive hops of a chain on the same host where possible (fewer VXLAN hops).
     *  'spread': consecutive hops on different hosts (demo of cross-host chains). */
    hopAffinity?: 'colocate' | 'spread';
  };
}

export interface PathHop {
  index: number;
  service: string;
  /** VNI of a frame that is to be processed by this hop next: (pathId << 8) | index. */
  vni: number;
  /** Hosts with an instance of this hop's service (sorted), with their instance counts. */
  hosts: Array<{ host: string; instances: number }>;
}

export interface ServicePath {
  chain: string;
  tenant: string;
  pathId: number;
  hops: PathHop[];
  /** Transitions i → i+1 for which at least one host running hop i does not run hop i+1 (VXLAN needed). */
  remoteTransitions: number[];
  /** false: some hop has no instance (the chain cannot carry traffic yet). */
  complete: boolean;
}

/** What a host's manager does after hop `index` of a path. */
export interface HostRoute {
  host: string;
  chain: string;
  pathId: number;
  index: number;
  next:
    | { kind: 'local'; index: number; service: string }
    | { kind: 'remote'; index: number; service: string; vni: number; hosts: string[] }
    | { kind: 'egress' }
    | { kind: 'blackhole'; index: number; service: string };
}

export interface PlacementResult {
  instances: InstanceRef[];
  added: InstanceRef[];
  /** Instances on alive hosts that must go (scale-down, capacity shrink): drain, then stop. */
  removed: InstanceRef[];
  /** Instances that were on dead or vanished hosts (already gone; replaced in `added`). */
  lost: InstanceRef[];
  /** host → instances it must run (cluster assignments/<host>); every alive host present. */
  assignments: Record<string, Array<{ service: string; index: number }>>;
  usage: Record<string, { used: number; capacity: number }>;
  paths: ServicePath[];
  routes: HostRoute[];
  unplaced: Array<{ service: string; missing: number; reason: string }>;
}

export function instanceId(i: InstanceRef): string {
  return `${i.service}@${i.host}:${i.index}`;
}

const byStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortRefs(xs: InstanceRef[]): InstanceRef[] {
  return [...xs].sort((a, b) => byStr(a.service, b.service) || byStr(a.host, b.host) || a.index - b.index);
}

export function place(input: PlacementInput): PlacementResult {
  const hosts = [...input.hosts].filter((h) => h.alive !== false).sort((a, b) => byStr(a.id, b.id));
  const hostIds = new Set(hosts.map((h) => h.id));
  const cost = new Map(input.services.map((s) => [s.name, Math.max(0, s.cost ?? 1)]));
  const costOf = (svc: string): number => cost.get(svc) ?? 1;
  const chains = [...input.chains].sort((a, b) => byStr(a.id, b.id));
  const affinityMode = input.options?.hopAffinity ?? 'colocate';

  // service order: by first appearance walking chains in id order (earlier hops placed first, so later hops
  // can follow them), then any other desired service by name
  const order: string[] = [];
  for (const c of chains) for (const s of c.hops) if (!order.includes(s)) order.push(s);
  for (const s of Object.keys(input.desired).sort()) if (!order.includes(s)) order.push(s);
  const desired = new Map<string, number>();
  for (const s of order) desired.set(s, Math.max(0, Math.floor(input.desired[s] ?? 1)));

  // neighbours of each service along the chains
  const adjacent = new Map<string, Set<string>>();
  for (const c of chains) {
    c.hops.forEach((s, i) => {
      const set = adjacent.get(s) ?? new Set<string>();
      if (i > 0) set.add(c.hops[i - 1]!);
      if (i < c.hops.length - 1) set.add(c.hops[i + 1]!);
      set.delete(s);
      adjacent.set(s, set);
    });
  }

  const placed: InstanceRef[] = [];
  const removed: InstanceRef[] = [];
  const lost: InstanceRef[] = [];
  const used = new Map<string, number>(hosts.map((h) => [h.id, 0]));
  const countOn = (svc: string, host: string): number => placed.filter((p) => p.service === svc && p.host === host).length;
  const adjacentOn = (svc: string, host: string): number => {
    let n = 0;
    for (const a of adjacent.get(svc) ?? []) n += countOn(a, host);
    return n;
  };

  // 1. keep current instances on alive hosts, within desired counts and capacity (deterministic order)
  const currentSorted = sortRefs(input.current);
  const seen = new Set<string>();
  for (const inst of currentSorted) {
    const id = instanceId(inst);
    if (seen.has(id)) continue;
    seen.add(id);
    if (!hostIds.has(inst.host)) {
      lost.push(inst);
      continue;
    }
    if (!desired.has(inst.service)) {
      removed.push(inst);
      continue;
    }
    placed.push(inst);
  }
  // too many instances of a service: drop from the host holding most of them (keeps the spread), highest index
  for (const svc of order) {
    for (;;) {
      const mine = placed.filter((p) => p.service === svc);
      if (mine.length <= desired.get(svc)!) break;
      const victim = [...mine].sort(
        (a, b) => countOn(svc, b.host) - countOn(svc, a.host) || adjacentOn(svc, a.host) - adjacentOn(svc, b.host) || b.index - a.index || byStr(b.host, a.host),
      )[0]!;
      placed.splice(placed.indexOf(victim), 1);
      removed.push(victim);
    }
  }
  // capacity shrank: evict (last placed service first, highest index) until it fits
  for (const h of hosts) {
    const onHost = (): InstanceRef[] => placed.filter((p) => p.host === h.id);
    let u = onHost().reduce((s, p) => s + costOf(p.service), 0);
    while (u > h.capacity) {
      const victim = onHost().sort((a, b) => order.indexOf(b.service) - order.indexOf(a.service) || b.index - a.index)[0]!;
      placed.splice(placed.indexOf(victim), 1);
      removed.push(victim);
      u -= costOf(victim.service);
    }
    used.set(h.id, u);
  }

  // 2. place missing instances
  const added: InstanceRef[] = [];
  const unplaced: PlacementResult['unplaced'] = [];
  for (const svc of order) {
    let missing = desired.get(svc)! - placed.filter((p) => p.service === svc).length;
    while (missing > 0) {
      const c = costOf(svc);
      const cands = hosts.filter((h) => used.get(h.id)! + c <= h.capacity);
      if (cands.length === 0) {
        unplaced.push({ service: svc, missing, reason: hosts.length === 0 ? 'no alive host' : 'no host with free capacity' });
        break;
      }
      const key = (h: PlacementHost): number[] => {
        const same = countOn(svc, h.id);
        const adj = adjacentOn(svc, h.id);
        // colocate: an adjacent instance on this host not yet paired with one of ours; spread: avoid adjacent
        const aff = affinityMode === 'colocate' ? (adj > same ? 0 : 1) : adj;
        const util = (used.get(h.id)! + c) / Math.max(1, h.capacity) + (h.load ?? 0);
        return [same, aff, util];
      };
      const best = [...cands].sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! - kb[i]!;
        return byStr(a.id, b.id);
      })[0]!;
      const taken = new Set(placed.filter((p) => p.service === svc && p.host === best.id).map((p) => p.index));
      for (const r of [...removed, ...(input.avoid ?? [])]) if (r.service === svc && r.host === best.id) taken.add(r.index); // do not reuse a draining index
      let index = 0;
      while (taken.has(index)) index++;
      const inst = { service: svc, host: best.id, index };
      placed.push(inst);
      added.push(inst);
      used.set(best.id, used.get(best.id)! + c);
      missing--;
    }
  }

  // 3. service paths and per-host routes
  const alloc = new VniAllocator();
  const reserved = new Set(input.reservedPathIds ?? []);
  for (const id of [...reserved].sort((a, b) => a - b)) alloc.allocate('__reserved__', 1, id);
  for (const c of chains) if (c.pathId !== undefined && !reserved.has(c.pathId)) alloc.allocate(c.tenant, Math.max(1, c.hops.length), c.pathId);
  const hostsOf = (svc: string): Array<{ host: string; instances: number }> => {
    const m = new Map<string, number>();
    for (const p of placed) if (p.service === svc) m.set(p.host, (m.get(p.host) ?? 0) + 1);
    return [...m].sort((a, b) => byStr(a[0], b[0])).map(([host, instances]) => ({ host, instances }));
  };
  const paths: ServicePath[] = [];
  const routes: HostRoute[] = [];
  for (const c of chains) {
    const pathId = c.pathId !== undefined && !reserved.has(c.pathId) ? c.pathId : alloc.allocate(c.tenant, Math.max(1, c.hops.length)).pathId;
    const hops: PathHop[] = c.hops.map((service, index) => ({ index, service, vni: vniFor(pathId, index), hosts: hostsOf(service) }));
    const remoteTransitions: number[] = [];
    for (const hop of hops) {
      const nxt = hops[hop.index + 1];
      const nextHosts = nxt ? new Set(nxt.hosts.map((h) => h.host)) : null;
      let remote = false;
      for (const { host } of hop.hosts) {
        let next: HostRoute['next'];
        if (!nxt) next = { kind: 'egress' };
        else if (nextHosts!.has(host)) next = { kind: 'local', index: nxt.index, service: nxt.service };
        else if (nextHosts!.size > 0) {
          remote = true;
          next = { kind: 'remote', index: nxt.index, service: nxt.service, vni: nxt.vni, hosts: [...nextHosts!].sort(byStr) };
        } else next = { kind: 'blackhole', index: nxt.index, service: nxt.service };
        routes.push({ host, chain: c.id, pathId, index: hop.index, next });
      }
      if (remote) remoteTransitions.push(hop.index);
    }
    paths.push({ chain: c.id, tenant: c.tenant, pathId, hops, remoteTransitions, complete: hops.every((h) => h.hosts.length > 0) });
  }

  const assignments: PlacementResult['assignments'] = {};
  for (const h of hosts) assignments[h.id] = [];
  for (const p of sortRefs(placed)) assignments[p.host]!.push({ service: p.service, index: p.index });
  const usage: PlacementResult['usage'] = {};
  for (const h of hosts) usage[h.id] = { used: used.get(h.id)!, capacity: h.capacity };
  return { instances: sortRefs(placed), added: sortRefs(added), removed: sortRefs(removed), lost: sortRefs(lost), assignments, usage, paths, routes, unplaced };
}
