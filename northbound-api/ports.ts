// The northbound API's view of the rest of the system. Everything the API reads or writes goes
// through these small interfaces; `rackvisor controller` wires them to the real controller
// (controller/api.ts ControllerHandle) and the ZooKeeper store (cluster/), tests wire in-process
// fakes or the real things. Keeping them here (and minimal) lets the API be tested in isolation and
// keeps the import direction northbound-api → controller, cluster.
import type { OfMessage } from '../openflow/index.js';
import type { ControllerRole, SwitchPort as ControllerSwitchPort } from '../controller/api.js';
import type { AutoscaleSettings as AutoscaleRecord, ChainMatch, HostRecord, InstanceRecord, ServiceRecord, StatsRecord } from '../cluster/schemas.js';

// ---------------------------------------------------------------------------------------------
// Switches (OpenFlow side)

export type OfRole = ControllerRole;

/** A switch port (controller/api.ts), Ryu field names. */
export type SwitchPortInfo = ControllerSwitchPort;

export interface SwitchInfo {
  dpid: bigint;
  /** Remote address of the OpenFlow channel, e.g. "127.0.0.1:53122". */
  address?: string;
  /** OpenFlow version negotiated (4 = 1.3). */
  version: number;
  /** Role the controller holds towards this switch, as last known. */
  role?: OfRole;
  nTables?: number;
  capabilities?: number;
  /** Ports known from the features/port-desc reply and port-status messages. */
  ports: SwitchPortInfo[];
  connectedAt?: number;
}

/** The error a switch answered with (OFPT_ERROR), raised by SwitchPort calls. */
export class SwitchError extends Error {
  constructor(
    readonly errType: number,
    readonly code: number,
    readonly typeName: string,
    readonly codeName: string,
    readonly data?: Uint8Array,
  ) {
    super(`switch replied OFPT_ERROR ${typeName}/${codeName} (type ${errType}, code ${code})`);
    this.name = 'SwitchError';
  }
}

/** The switch did not answer in time. */
export class SwitchTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SwitchTimeoutError';
  }
}

export interface SwitchPort {
  /** Every switch currently connected. */
  switches(): SwitchInfo[];
  /** One switch or undefined when not connected. */
  get(dpid: bigint): SwitchInfo | undefined;
  /**
   * Send a request (multipart request, queue-get-config, role request...) and resolve with the
   * reply messages (a multipart reply may come as several parts, or as one reassembled message —
   * both are accepted). Rejects with SwitchError on OFPT_ERROR, SwitchTimeoutError on timeout.
   */
  request(dpid: bigint, msg: OfMessage, opts?: { timeoutMs?: number }): Promise<OfMessage[]>;
  /**
   * Send messages; with barrier: true, follow them with a barrier request and resolve once its reply
   * arrives, rejecting with the switch's first OFPT_ERROR for those messages (SwitchError).
   * With barrier: false resolve once written (Ryu's fire-and-forget).
   */
  send(dpid: bigint, msgs: OfMessage[], opts: { barrier: boolean; timeoutMs?: number }): Promise<void>;
  /** OFPT_ROLE_REQUEST through the controller (so that it keeps track of its role); role = OFPCR_ROLE_*. */
  setRole?(dpid: bigint, role: number): Promise<{ role: number; generationId: bigint }>;
}

// ---------------------------------------------------------------------------------------------
// Compiled pipeline (implemented by the orchestration / pipeline compiler)

export interface FlowSpec {
  table_id: number;
  priority: number;
  cookie?: string;
  /** Ryu ofctl-style match, e.g. {"in_port": 1, "eth_type": 2048}. */
  match: Record<string, string | number>;
  /** Ryu ofctl-style action strings, e.g. ["OUTPUT:2", "GOTO_TABLE:1"]. */
  actions: Array<string | Record<string, string[]>>;
  /** Which policy object produced it (chain, host, tenant...). */
  origin?: string;
}

/** A chain asking for its firewall to be offloaded: offloaded (ACL flows, hop skipped) or why not. */
export interface OffloadInfo {
  chain: string;
  service: string;
  offloaded: boolean;
  rules: number;
  reason?: string;
}

export interface PipelinePort {
  compiled(dpid: bigint): FlowSpec[] | Promise<FlowSpec[]>;
  /** Firewall offload decisions and the compiler's problems for `dpid` (when the compiler reports them). */
  report?(dpid: bigint): { offloads: OffloadInfo[]; problems: string[] } | Promise<{ offloads: OffloadInfo[]; problems: string[] }>;
}

// ---------------------------------------------------------------------------------------------
// Cluster state (ZooKeeper desired/observed state, through cluster/)

// The shapes below are the ZooKeeper records of cluster/schemas.ts without their format field `v`
// (reused, not redeclared), so that the ZooKeeper adapter stays a thin mapping.

export type ServiceLimits = ServiceRecord['limits'];

export type ServiceKind = ServiceRecord['kind'];

/** Kind-specific configuration (a firewall's rules, and whether the switch may enforce them). */
export type ServiceConfig = NonNullable<ServiceRecord['config']>;

/** The autoscaler knobs stored per service (without the override, which the API shows as enabled/desired). */
export type AutoscaleKnobs = Omit<AutoscaleRecord, 'override'>;

export interface Tenant {
  /** Identifier (path-safe). */
  name: string;
  /** Free-form display name (defaults to name). */
  displayName?: string;
  vlan?: number;
  /** Edge (client-facing) ToR ports of the tenant. */
  ports?: number[];
}

export interface Service {
  name: string;
  /** Numeric service id on the data plane (allocated when omitted on create). */
  id?: number;
  kind: ServiceKind;
  image?: string;
  limits?: ServiceLimits;
  config?: ServiceConfig;
  /** Read-only over REST (set through /autoscale): the stored autoscale settings. */
  autoscale?: AutoscaleRecord;
  /** Read-only: the scaler's current desired count, when a ScalingPort is attached. */
  desiredInstances?: number;
}

export type { ChainMatch };

export interface Chain {
  name: string;
  tenant: string;
  match: ChainMatch;
  services: string[];
  priority?: number;
  /** Read-only: service path id allocated by the controller (VNI = pathId << 8 | index). */
  pathId?: number;
  /** Read-only: leading hops the switch enforces (an offloaded firewall), skipped by the service path. */
  offloadedHops?: number;
}

export type Host = Omit<HostRecord, 'v'>;

export interface Instance extends Omit<InstanceRecord, 'v'> {
  /** "<service>/<host>:<index>" */
  id: string;
}

export interface InstanceStats extends Omit<StatsRecord, 'v'> {
  service: string;
}

/** The policy the controller's autoscaler applies to a service (controller/scaling ScalingPolicy). */
export interface EffectiveAutoscale extends Required<Omit<AutoscaleKnobs, 'outPps' | 'inPps'>> {
  minInstances: number;
  maxInstances: number;
  outPps?: number;
  inPps?: number;
  staleMs: number;
}

export interface AutoscaleSettings extends AutoscaleKnobs {
  /** true: the autoscaler decides; false: the count is held at `desiredInstances`. */
  enabled: boolean;
  minInstances: number;
  maxInstances: number;
  /** Read-only: current desired count. */
  desiredInstances?: number;
  /** Read-only: what the controller applies (stored knobs over its defaults), when a scaler is attached. */
  effective?: EffectiveAutoscale;
}

/** The controller's scaling (orchestrator): REST overrides of the desired count. */
export interface ScalingPort {
  /** Desired instance count of a service; null = back to automatic scaling. */
  setDesired(service: string, count: number | null): Promise<void>;
  /** Current scaler state of a service, if the scaler knows it. */
  state(service: string): { target: number; override: number | null } | undefined;
  /** The autoscale policy the controller applies to the service now. */
  policy?(service: string): EffectiveAutoscale | undefined;
}

/** Thrown by ClusterPort implementations; mapped to HTTP statuses by the API. */
export class ClusterError extends Error {
  constructor(
    readonly code: 'not-found' | 'conflict' | 'invalid' | 'unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'ClusterError';
  }
}

export interface ClusterPort {
  listTenants(): Promise<Tenant[]>;
  getTenant(name: string): Promise<Tenant | undefined>;
  /** Create (create: true → conflict if it exists) or replace. */
  putTenant(t: Tenant, opts: { create: boolean }): Promise<Tenant>;
  deleteTenant(name: string): Promise<void>;

  listServices(): Promise<Service[]>;
  getService(name: string): Promise<Service | undefined>;
  putService(s: Service, opts: { create: boolean }): Promise<Service>;
  deleteService(name: string): Promise<void>;

  listChains(): Promise<Chain[]>;
  getChain(name: string): Promise<Chain | undefined>;
  putChain(c: Chain, opts: { create: boolean }): Promise<Chain>;
  deleteChain(name: string): Promise<void>;

  listHosts(): Promise<Host[]>;
  getHost(id: string): Promise<Host | undefined>;

  listInstances(filter?: { service?: string; host?: string }): Promise<Instance[]>;

  listStats(filter?: { host?: string; instance?: string }): Promise<InstanceStats[]>;
}

// ---------------------------------------------------------------------------------------------
// Metrics fed by the controller / cluster (pulled at scrape time)

export interface MetricsFeed {
  /** Cumulative OpenFlow message counts by direction and message type name (e.g. "OFPT_FLOW_MOD"). */
  ofMessages?(): { in: Record<string, number>; out: Record<string, number> };
  /** Number of connected OpenFlow sessions. */
  ofSessions?(): number;
  /** Per-instance NF packet rates (packets/s), typically from the ZooKeeper stats nodes. */
  nfRates?(): Promise<InstanceStats[]> | InstanceStats[];
}

export interface ApiDeps {
  switches?: SwitchPort;
  cluster?: ClusterPort;
  pipeline?: PipelinePort;
  scaling?: ScalingPort;
  metrics?: MetricsFeed;
}
