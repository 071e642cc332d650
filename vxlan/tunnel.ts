// Tunnel endpoint table: which hosts exist on the VXLAN overlay (host id → MAC, tunnel IPv4).
// The controller/agent keep it from the host registry; the host agent pushes it to the native fast
// path (only frames whose outer source is a registered tunnel IP are decapsulated). Pure.

import { isMulticastMac, normalizeMac, parseIpv4, formatIpv4 } from './addr.js';

export interface TunnelEndpoint {
  hostId: string;
  /** MAC of the host's switch-facing port ("aa:bb:cc:dd:ee:ff"). */
  mac: string;
  /** The host's tunnel IPv4 (dotted quad). */
  tunnelIp: string;
}

export class TunnelTableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TunnelTableError';
  }
}

/** Validates and normalises an endpoint (lower-case MAC, canonical dotted quad). */
export function validateEndpoint(ep: TunnelEndpoint): TunnelEndpoint {
  if (typeof ep.hostId !== 'string' || ep.hostId.length === 0) throw new TunnelTableError('hostId must be a non-empty string');
  let mac: string;
  let ipv: number;
  try {
    mac = normalizeMac(ep.mac);
    ipv = parseIpv4(ep.tunnelIp);
  } catch (e) {
    throw new TunnelTableError(`host ${ep.hostId}: ${(e as Error).message}`);
  }
  if (isMulticastMac(mac)) throw new TunnelTableError(`host ${ep.hostId}: MAC ${mac} is multicast/broadcast`);
  if (mac === '00:00:00:00:00:00') throw new TunnelTableError(`host ${ep.hostId}: MAC is all zeros`);
  const first = ipv >>> 24;
  if (ipv === 0 || ipv === 0xffffffff || first === 0 || first >= 224 || first === 127) {
    throw new TunnelTableError(`host ${ep.hostId}: ${ep.tunnelIp} is not a unicast tunnel address`);
  }
  return { hostId: ep.hostId, mac, tunnelIp: formatIpv4(ipv) };
}

export interface TunnelTableDiff {
  added: TunnelEndpoint[];
  removed: TunnelEndpoint[];
  changed: TunnelEndpoint[];
}

export class TunnelTable {
  private readonly hosts = new Map<string, TunnelEndpoint>();
  private readonly ips = new Map<string, string>(); // tunnelIp → hostId

  constructor(endpoints: Iterable<TunnelEndpoint> = []) {
    for (const ep of endpoints) this.set(ep);
  }

  get size(): number {
    return this.hosts.size;
  }

  /** Adds or updates a host. A tunnel IP can belong to one host only. */
  set(ep: TunnelEndpoint): TunnelEndpoint {
    const n = validateEndpoint(ep);
    const owner = this.ips.get(n.tunnelIp);
    if (owner !== undefined && owner !== n.hostId) {
      throw new TunnelTableError(`tunnel IP ${n.tunnelIp} already belongs to host ${owner}`);
    }
    const old = this.hosts.get(n.hostId);
    if (old) this.ips.delete(old.tunnelIp);
    this.hosts.set(n.hostId, n);
    this.ips.set(n.tunnelIp, n.hostId);
    return { ...n };
  }

  remove(hostId: string): boolean {
    const old = this.hosts.get(hostId);
    if (!old) return false;
    this.hosts.delete(hostId);
    this.ips.delete(old.tunnelIp);
    return true;
  }

  get(hostId: string): TunnelEndpoint | undefined {
    const e = this.hosts.get(hostId);
    return e ? { ...e } : undefined;
  }

  byIp(tunnelIp: string): TunnelEndpoint | undefined {
    const id = this.ips.get(tunnelIp);
    return id === undefined ? undefined : this.get(id);
  }

  isRegisteredIp(tunnelIp: string): boolean {
    return this.ips.has(tunnelIp);
  }

  list(): TunnelEndpoint[] {
    return [...this.hosts.values()].sort((a, b) => (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0)).map((e) => ({ ...e }));
  }

  /** What to apply to go from this table to `next` (e.g. to update the native table incrementally). */
  diff(next: TunnelTable): TunnelTableDiff {
    const d: TunnelTableDiff = { added: [], removed: [], changed: [] };
    for (const e of next.list()) {
      const cur = this.hosts.get(e.hostId);
      if (!cur) d.added.push(e);
      else if (cur.mac !== e.mac || cur.tunnelIp !== e.tunnelIp) d.changed.push(e);
    }
    for (const e of this.list()) if (!next.hosts.has(e.hostId)) d.removed.push(e);
    return d;
  }

  toJSON(): TunnelEndpoint[] {
    return this.list();
  }

  static fromJSON(list: unknown): TunnelTable {
    if (!Array.isArray(list)) throw new TunnelTableError('tunnel table JSON must be an array');
    return new TunnelTable(list as TunnelEndpoint[]);
  }
}
