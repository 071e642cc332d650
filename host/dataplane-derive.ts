// What this host's manager must hold, derived from the cluster state (pure; host/dataplane-sync.ts applies it).
//
//  - VXLAN local endpoint: this host's registered MAC and tunnel IP.
//  - Tunnel table: every other registered host (tunnel IP → MAC): outer destination of our encapsulated frames and
//    the only accepted sources of decapsulated ones.
//  - Service paths: one per chain with a pathId: the chain's services (their numeric ids, in order), without the
//    leading hops the switch enforces (offloadedHops, an offloaded firewall). The path id is
//    also the VNI's upper part, so every host agrees on it without talking to the others.
//  - Remote services: for every service of a path that another host runs, that host's MAC + tunnel IP. The manager
//    uses a remote service only while it has no local routed instance, so a locally-run service stays local and
//    falls back to the remote host if its local instances die.
//  - Classifier: on an ingress host (the chain's first service is assigned here) frames from the switch that match
//    the chain (IPv4 src/dst prefix, protocol, ports) go onto the chain's path; rules ordered by chain priority
//    (higher first; a chain without IP fields is a catch-all IPv4 rule). The default path (rule misses, non-IP) is 0:
//    the compiled pipeline only steers IPv4 frames matching a chain (eth_type is part of every steering flow), and
//    those match a rule here, so a miss is a frame addressed to this host itself (ARP, a kernel's ICMP about a tunnel
//    address, ...) and is dropped (counted no_path) instead of entering a chain.
import type { AssignmentDoc, Chain, HostRecord, InstanceRecord, ServiceRecord } from '../cluster/schemas.js';
import type { ClassifierRule } from '../native/index.js';

/** Limits of the native manager (native/src/shared.h). */
export const MAX_SERVICE_ID = 255;
export const MAX_PATH_ID = 1023;
export const MAX_PATH_LEN = 16;
export const MAX_RULES = 64;

export interface ClusterInputs {
  self: { id: string; mac: string; tunnelIp: string };
  hosts: Map<string, HostRecord>;
  services: Map<string, ServiceRecord>;
  chains: Chain[];
  /** Registered NF instances (any service). */
  instances: InstanceRecord[];
  assignments: Map<string, AssignmentDoc>;
}

export interface DataplaneConfig {
  local: { mac: string; ip: string };
  /** tunnel IP → MAC of every other registered host */
  tunnels: Map<string, string>;
  /** path id → service ids */
  paths: Map<number, number[]>;
  /** service id → the host that serves it remotely */
  remote: Map<number, { host: string; mac: string; ip: string }>;
  rules: ClassifierRule[];
  defaultPath: number;
  /** chains this host is an ingress of (ids) */
  ingress: string[];
  problems: string[];
}

/** FNV-1a, to spread ingress hosts over the remote hosts of a service deterministically. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function prefix(s: string): { ip: string; len: number } | null {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?$/.exec(s.trim());
  if (!m) return null;
  const len = m[2] === undefined ? 32 : Number(m[2]);
  if (len > 32 || m[1]!.split('.').some((o) => Number(o) > 255)) return null;
  return { ip: m[1]!, len };
}

/** Chain match → classifier rule (null + problem when it has no host-side equivalent). */
export function ruleOf(c: Chain, path: number, problems: string[]): ClassifierRule | null {
  const r: ClassifierRule = { path };
  const m = c.match;
  for (const [field, v] of [['src', m.ipSrc], ['dst', m.ipDst]] as const) {
    if (v === undefined) continue;
    const p = prefix(v);
    if (!p) {
      problems.push(`chain ${c.id}: ${field === 'src' ? 'ipSrc' : 'ipDst'} ${v} is not an IPv4 address/prefix`);
      return null;
    }
    if (field === 'src') { r.src = p.ip; r.srcPrefix = p.len; } else { r.dst = p.ip; r.dstPrefix = p.len; }
  }
  if (m.ipProto !== undefined) r.proto = m.ipProto;
  if (m.tpSrc !== undefined) { r.sportLo = m.tpSrc; r.sportHi = m.tpSrc; }
  if (m.tpDst !== undefined) { r.dportLo = m.tpDst; r.dportHi = m.tpDst; }
  // inPort / vlan are the switch's business (it steered the frame here); the host cannot see them
  return r;
}

/** Hosts (other than self) that serve `service`, best first: running and not draining, then running, then assigned. */
function remoteHostsOf(service: string, inp: ClusterInputs): string[] {
  const draining = (host: string, index: number): boolean =>
    inp.assignments.get(host)?.instances.some((a) => a.service === service && a.index === index && a.config?.draining === true) ?? false;
  const ok = (h: string): boolean => h !== inp.self.id && inp.hosts.has(h);
  const running = inp.instances.filter((i) => i.service === service && i.state === 'running' && ok(i.host));
  const tiers = [
    running.filter((i) => !draining(i.host, i.index)).map((i) => i.host),
    running.map((i) => i.host),
    [...inp.assignments].filter(([h, d]) => ok(h) && d.instances.some((a) => a.service === service && a.config?.draining !== true)).map(([h]) => h),
  ];
  for (const t of tiers) if (t.length > 0) return [...new Set(t)].sort();
  return [];
}

function runsLocally(service: string, inp: ClusterInputs): boolean {
  const mine = inp.assignments.get(inp.self.id);
  if (mine?.instances.some((a) => a.service === service && a.config?.draining !== true)) return true;
  return inp.instances.some((i) => i.service === service && i.host === inp.self.id && i.state === 'running');
}

export function deriveDataplane(inp: ClusterInputs): DataplaneConfig {
  const problems: string[] = [];
  const tunnels = new Map<string, string>();
  for (const h of [...inp.hosts.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (h.id === inp.self.id) continue;
    if (h.tunnelIp === inp.self.tunnelIp) { problems.push(`host ${h.id} has this host's tunnel IP ${h.tunnelIp}`); continue; }
    if (tunnels.has(h.tunnelIp)) { problems.push(`hosts share tunnel IP ${h.tunnelIp}; ${h.id} ignored`); continue; }
    tunnels.set(h.tunnelIp, h.mac);
  }
  const paths = new Map<number, number[]>();
  const remote = new Map<number, { host: string; mac: string; ip: string }>();
  const ingress: Array<{ chain: Chain; path: number }> = [];
  for (const c of inp.chains) {
    if (c.pathId === undefined) continue; // the controller has not allocated its path yet
    if (c.pathId > MAX_PATH_ID) { problems.push(`chain ${c.id}: path id ${c.pathId} > ${MAX_PATH_ID} (manager limit)`); continue; }
    // leading hops the switch enforces (an offloaded firewall, written by the controller) are not part of the path
    const services = c.services.slice(Math.min(c.offloadedHops ?? 0, c.services.length));
    if (services.length === 0) continue; // the switch does it all: nothing reaches a host
    if (services.length > MAX_PATH_LEN) { problems.push(`chain ${c.id}: ${services.length} services > ${MAX_PATH_LEN}`); continue; }
    const ids: number[] = [];
    for (const s of services) {
      const rec = inp.services.get(s);
      if (!rec) { problems.push(`chain ${c.id}: service ${s} is not defined`); break; }
      if (rec.id > MAX_SERVICE_ID) { problems.push(`chain ${c.id}: service ${s} id ${rec.id} > ${MAX_SERVICE_ID} (manager limit)`); break; }
      ids.push(rec.id);
    }
    if (ids.length !== services.length) continue;
    paths.set(c.pathId, ids);
    services.forEach((s, i) => {
      const id = ids[i]!;
      if (remote.has(id)) return;
      const hs = remoteHostsOf(s, inp);
      if (hs.length === 0) return;
      const h = inp.hosts.get(hs[hash(`${inp.self.id}/${s}`) % hs.length]!)!;
      remote.set(id, { host: h.id, mac: h.mac, ip: h.tunnelIp });
    });
    if (runsLocally(services[0]!, inp)) ingress.push({ chain: c, path: c.pathId });
  }
  ingress.sort((a, b) => (b.chain.priority ?? 100) - (a.chain.priority ?? 100) || a.path - b.path);
  const rules: ClassifierRule[] = [];
  for (const { chain, path } of ingress) {
    const r = ruleOf(chain, path, problems);
    if (!r) continue;
    if (rules.length >= MAX_RULES) { problems.push(`chain ${chain.id}: more than ${MAX_RULES} classifier rules`); continue; }
    rules.push(r);
  }
  return {
    local: { mac: inp.self.mac, ip: inp.self.tunnelIp },
    tunnels, paths, remote, rules,
    defaultPath: 0,
    ingress: ingress.map((x) => x.chain.id),
    problems,
  };
}
