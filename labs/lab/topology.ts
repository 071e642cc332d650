// The lab's topology plan: which namespaces, links, addresses, MACs and OpenFlow ports exist.
// Pure: computed from the config, stored in the state file, read by status and by later steps
// (controller, host agents, demo) to find hosts and edges.
import { BRIDGE, type LabConfig } from './config.js';

export type NodeRole = 'host' | 'client' | 'server';

export interface LabNode {
  /** h1, h2, ..., c1, s1 */
  node: string;
  role: NodeRole;
  netns: string;
  /** Interface inside the namespace. */
  ifname: string;
  /** Peer interface in the root namespace, attached to tor0. */
  switchIf: string;
  ofport: number;
  ip: string;
  prefixLen: number;
  mac: string;
  /** Hosts: the MAC the host's DPDK manager registers (VXLAN endpoint, the ToR's L2 entry for the host). Not the
   *  interface's own MAC, so the namespace kernel drops its copy of every VXLAN frame as "other host" on entry instead
   *  of taking it up to UDP (and answering ICMP port unreachable). Older state files lack it: use `mac`. */
  tunnelMac?: string;
}

export interface Topology {
  name: string;
  bridge: string;
  dpid: string;
  controller: string;
  subnet: string;
  nodes: LabNode[];
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

export function planTopology(c: LabConfig): Topology {
  const nodes: LabNode[] = [];
  const mk = (node: string, role: NodeRole, ofport: number, hostOctet: number, macTail: number): LabNode => ({
    node, role, netns: `${c.name}-${node}`, ifname: 'eth0', switchIf: `${c.name}-${node}`, ofport,
    ip: `${c.subnet}.${hostOctet}`, prefixLen: 24, mac: `02:72:76:00:${hex2(macTail >> 8)}:${hex2(macTail & 0xff)}`,
  });
  for (let i = 1; i <= c.hosts; i++) nodes.push({ ...mk(`h${i}`, 'host', i, 10 + i, 0x100 + i), tunnelMac: `02:72:77:00:${hex2((0x100 + i) >> 8)}:${hex2((0x100 + i) & 0xff)}` });
  nodes.push(mk('c1', 'client', 101, 101, 0x201));
  nodes.push(mk('s1', 'server', 201, 201, 0x301));
  return { name: c.name, bridge: BRIDGE, dpid: '0000000000007277', controller: c.controller, subnet: `${c.subnet}.0/24`, nodes };
}

export function nodeByName(t: Topology, node: string): LabNode {
  const n = t.nodes.find((x) => x.node === node);
  if (!n) throw new Error(`no node ${node} in lab ${t.name}`);
  return n;
}
