// Desired model the pipeline compiler consumes. Pure data, no I/O; the orchestrator builds it from the
// cluster view (tenants, chains, hosts, ready instances) and hands it to compilePipeline().

/** A tenant owns edge switch ports and optionally a VLAN; its chains match on those. */
export interface TenantSpec {
  id: string;
  /** Edge switch ports of this tenant (clients/servers). Empty or absent: any edge port. */
  ports?: number[];
  /** 802.1Q VLAN id (1..4095) the tenant's frames carry; absent: untagged or any. */
  vlan?: number;
}

/** A host of the rack: its manager's port on the ToR and its MAC (for L2 and VXLAN between hosts). */
export interface HostSpec {
  id: string;
  /** The ToR switch port the host is attached to. */
  port: number;
  mac: string;
  /** Datapath the host is attached to; absent: the (single) ToR being compiled. */
  dpid?: bigint;
  /** false: the host is down (port status or session loss): never a steering target. Default true. */
  alive?: boolean;
}

/** A registered L2 endpoint on an edge port (client, server, gateway). */
export interface EndpointSpec {
  mac: string;
  port: number;
  dpid?: bigint;
}

/** A running NF instance; only ready instances on alive hosts attract steering. */
export interface InstanceSpec {
  id: string;
  service: string;
  host: string;
  /** Default true. Draining or starting instances: false. */
  ready?: boolean;
}

/** Policy match (all present fields must match; absent = wildcard). IPv4 only. */
export interface PolicyMatch {
  /** Narrow the tenant's ports to these. */
  inPorts?: number[];
  /** CIDR "10.0.0.0/8" or a bare address (= /32). */
  ipv4Src?: string;
  ipv4Dst?: string;
  /** 6 = TCP, 17 = UDP, 1 = ICMP ... */
  ipProto?: number;
  /** L4 ports need ipProto 6 or 17. */
  srcPort?: number;
  dstPort?: number;
}

export interface FirewallRule {
  action: 'allow' | 'drop';
  ipv4Src?: string;
  ipv4Dst?: string;
  ipProto?: number;
  srcPort?: number;
  dstPort?: number;
}

/** A stateless ACL: first matching rule wins, else defaultAction. */
export interface FirewallSpec {
  stateless: boolean;
  rules: FirewallRule[];
  defaultAction: 'allow' | 'drop';
}

export interface HopSpec {
  /** Service name (instances of one service are interchangeable). */
  service: string;
  /** Present when the hop is a firewall whose rules are known to the controller. */
  firewall?: FirewallSpec;
}

export interface ChainSpec {
  id: string;
  tenant: string;
  /** 0..999, higher wins among overlapping chains. Default 100. */
  priority?: number;
  match: PolicyMatch;
  hops: HopSpec[];
  /** How traffic is spread when several hosts serve the ingress hop. Default 'select'. */
  split?: 'select' | 'prefix';
  /** Field a prefix split divides (Flowstream). Default 'ipv4_src'. */
  splitField?: 'ipv4_src' | 'ipv4_dst';
  /** No ready ingress instance: 'closed' drops (default), 'open' forwards by L2 unprocessed. */
  failMode?: 'closed' | 'open';
  /** Offload a leading stateless firewall hop to the switch (ACL table); the hop is then skipped. */
  offloadFirewall?: boolean;
}

export interface PipelineOptions {
  /** Frames from ports that are neither host nor known edge ports: treat as 'edge' (default) or 'host'. */
  unknownPorts?: 'edge' | 'host';
  /** L2 miss for frames from edge ports: 'flood' (default), 'controller' or 'drop'. */
  l2Miss?: 'flood' | 'controller' | 'drop';
  /** Maximum number of extra prefix bits a prefix split uses (2^bits flows per chain). Default 4. */
  maxSplitBits?: number;
}

export interface PipelineModel {
  /** Compile only hosts/endpoints of this datapath (entries without dpid belong to every datapath). */
  dpid?: bigint;
  tenants: TenantSpec[];
  hosts: HostSpec[];
  endpoints?: EndpointSpec[];
  chains: ChainSpec[];
  instances: InstanceSpec[];
  options?: PipelineOptions;
}
