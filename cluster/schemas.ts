// Record types and their JSON schemas, defined once and checked together: every schema is typed
// `JSONSchemaType<T>`, so tsc rejects a schema that drifts from its TypeScript type and ajv rejects
// data that drifts from the schema. Every record carries `v` (the record format version, currently 1);
// readers reject a newer major format instead of misreading it.
import { Ajv, type JSONSchemaType, type ValidateFunction } from 'ajv';
import { SchemaError } from './errors.js';

export const RECORD_VERSION = 1;

const MAC = '^[0-9a-f]{2}(:[0-9a-f]{2}){5}$';
const IPV4 = '^(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])){3}$';
const NAME = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$';
const DPID = '^[0-9a-f]{16}$';

/** A host (its agent) as registered: ephemeral, lives as long as the agent's session. */
export interface HostRecord {
  v: number;
  id: string;
  /** MAC of the host's data-plane port (outer source MAC of its VXLAN frames). */
  mac: string;
  /** IPv4 tunnel endpoint. */
  tunnelIp: string;
  /** Where the host's data port is attached on the ToR switch. */
  switch: { dpid: string; port: number };
  cores: number;
  capacity: { maxInstances: number; maxPps?: number };
  /** ms since epoch when this agent (process) started. */
  startedAt: number;
}

/** A service (kind of NF): persistent, written by the controller / operators. */
export interface ServiceRecord {
  v: number;
  name: string;
  /** Numeric service id used on the data plane. */
  id: number;
  kind: 'native' | 'typescript' | 'process';
  /** What to run (native NF name, module path, executable). */
  image?: string;
  limits: { minInstances: number; maxInstances: number; cpuShare?: number; memoryMb?: number };
  /** What the NF does (kind-specific settings the controller understands), e.g. a firewall's rules. */
  config?: ServiceConfig;
  /** Per-service autoscaler settings (absent fields: the controller's defaults) and the REST override. */
  autoscale?: AutoscaleSettings;
}

/** One stateless 5-tuple rule (absent field = any); L4 ports need ipProto 6 (TCP) or 17 (UDP). */
export interface FirewallRuleRecord {
  action: 'allow' | 'drop';
  ipSrc?: string;
  ipDst?: string;
  ipProto?: number;
  tpSrc?: number;
  tpDst?: number;
}

/** A firewall service's policy: first matching rule wins, else defaultAction. */
export interface FirewallConfig {
  rules: FirewallRuleRecord[];
  defaultAction: 'allow' | 'drop';
  /** false: the NF tracks connections (replies of allowed flows pass), so the switch cannot enforce it. */
  stateless: boolean;
  /** Ask the controller to enforce the rules on the ToR (ACL table) and skip this hop where it can. */
  offload: boolean;
}

export interface ServiceConfig {
  firewall?: FirewallConfig;
}

/** Autoscaler knobs of one service (controller/scaling/autoscaler.ts ScalingPolicy; min/max live in limits). */
export interface AutoscaleSettings {
  /** REST desired count: while set the autoscaler is suspended and the service held at this count. */
  override?: number;
  outFill?: number;
  inFill?: number;
  outPps?: number;
  inPps?: number;
  sustainMs?: number;
  outCooldownMs?: number;
  inCooldownMs?: number;
  step?: number;
  quietMs?: number;
  drainTimeoutMs?: number;
}

export type InstanceState = 'starting' | 'running' | 'stopping' | 'failed';

/** A running NF instance: ephemeral, owned by the session of the host agent that runs it. */
export interface InstanceRecord {
  v: number;
  service: string;
  serviceId: number;
  host: string;
  /** n in services/<name>/instances/<host>:<n>. */
  index: number;
  state: InstanceState;
  /** Manager-local instance id (ring index), if the data plane assigned one. */
  instanceId?: number;
  pid?: number;
  startedAt: number;
}

/** Per-instance counters, refreshed about once a second by the host agent (ephemeral). */
export interface StatsRecord {
  v: number;
  host: string;
  /** "<service>:<n>" */
  instance: string;
  /** ms since epoch when the agent sampled the counters (latency measurements use it). */
  t: number;
  /** Increments with each publication of this instance. */
  seq: number;
  rxPkts: number;
  txPkts: number;
  dropPkts: number;
  rxBytes: number;
  txBytes: number;
  /** Packets per second over the last interval. */
  pps: number;
  /** RX ring occupancy, 0..1. */
  ringFill: number;
}

export interface Tenant {
  id: string;
  name: string;
  vlan?: number;
  /** Edge (client-facing) switch ports of this tenant. */
  ports?: number[];
}
/** policy/tenants: desired state, persistent, updated with znode-version compare-and-set. */
export interface TenantsDoc { v: number; tenants: Tenant[] }

export interface ChainMatch {
  inPort?: number;
  vlan?: number;
  ipSrc?: string;
  ipDst?: string;
  ipProto?: number;
  tpSrc?: number;
  tpDst?: number;
}
export interface Chain {
  id: string;
  tenant: string;
  /** Service path id (VNI = pathId << 8 | index); allocated under vni/. */
  pathId?: number;
  services: string[];
  match: ChainMatch;
  priority?: number;
  /** Leading hops the ToR enforces itself (an offloaded stateless firewall), written by the controller: the
   *  service path (hosts, VNIs) is services.slice(offloadedHops). */
  offloadedHops?: number;
}
/** policy/chains: desired state, persistent, versioned. */
export interface ChainsDoc { v: number; chains: Chain[] }

export interface AssignedInstance {
  service: string;
  index: number;
  /** Free-form NF configuration, passed to the runner. */
  config?: Record<string, string | number | boolean>;
}
/** assignments/<host>: which NF instances the host must run (controller → agent), persistent. */
export interface AssignmentDoc { v: number; host: string; instances: AssignedInstance[] }

/** vni/<pathId>: one allocated service path. */
export interface VniAllocation { v: number; pathId: number; tenant: string; chain: string }

/** controller/election/n_<seq>: one candidate controller. */
export interface CandidateRecord { v: number; controllerId: string; startedAt: number; ofEndpoint?: string }

// ---------------------------------------------------------------------------------------------

const hostSchema: JSONSchemaType<HostRecord> = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'id', 'mac', 'tunnelIp', 'switch', 'cores', 'capacity', 'startedAt'],
  properties: {
    v: { type: 'integer', minimum: 1 },
    id: { type: 'string', pattern: NAME },
    mac: { type: 'string', pattern: MAC },
    tunnelIp: { type: 'string', pattern: IPV4 },
    switch: {
      type: 'object', additionalProperties: false, required: ['dpid', 'port'],
      properties: { dpid: { type: 'string', pattern: DPID }, port: { type: 'integer', minimum: 1, maximum: 0xffffff00 } },
    },
    cores: { type: 'integer', minimum: 1, maximum: 4096 },
    capacity: {
      type: 'object', additionalProperties: false, required: ['maxInstances'],
      properties: { maxInstances: { type: 'integer', minimum: 0 }, maxPps: { type: 'number', minimum: 0, nullable: true } },
    },
    startedAt: { type: 'number', minimum: 0 },
  },
};

const serviceSchema: JSONSchemaType<ServiceRecord> = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'name', 'id', 'kind', 'limits'],
  properties: {
    v: { type: 'integer', minimum: 1 },
    name: { type: 'string', pattern: NAME },
    id: { type: 'integer', minimum: 1, maximum: 65535 },
    kind: { type: 'string', enum: ['native', 'typescript', 'process'] },
    image: { type: 'string', nullable: true, maxLength: 4096 },
    limits: {
      type: 'object', additionalProperties: false, required: ['minInstances', 'maxInstances'],
      properties: {
        minInstances: { type: 'integer', minimum: 0 },
        maxInstances: { type: 'integer', minimum: 0 },
        cpuShare: { type: 'number', minimum: 0, nullable: true },
        memoryMb: { type: 'number', minimum: 0, nullable: true },
      },
    },
    config: {
      type: 'object', nullable: true, additionalProperties: false, required: [],
      properties: {
        firewall: {
          type: 'object', nullable: true, additionalProperties: false, required: ['rules', 'defaultAction', 'stateless', 'offload'],
          properties: {
            rules: {
              type: 'array', maxItems: 1024,
              items: {
                type: 'object', additionalProperties: false, required: ['action'],
                properties: {
                  action: { type: 'string', enum: ['allow', 'drop'] },
                  ipSrc: { type: 'string', maxLength: 64, nullable: true },
                  ipDst: { type: 'string', maxLength: 64, nullable: true },
                  ipProto: { type: 'integer', minimum: 0, maximum: 255, nullable: true },
                  tpSrc: { type: 'integer', minimum: 0, maximum: 65535, nullable: true },
                  tpDst: { type: 'integer', minimum: 0, maximum: 65535, nullable: true },
                },
              },
            },
            defaultAction: { type: 'string', enum: ['allow', 'drop'] },
            stateless: { type: 'boolean' },
            offload: { type: 'boolean' },
          },
        },
      },
    },
    autoscale: {
      type: 'object', nullable: true, additionalProperties: false, required: [],
      properties: {
        override: { type: 'integer', minimum: 0, nullable: true },
        outFill: { type: 'number', minimum: 0, maximum: 1, nullable: true },
        inFill: { type: 'number', minimum: 0, maximum: 1, nullable: true },
        outPps: { type: 'number', minimum: 0, nullable: true },
        inPps: { type: 'number', minimum: 0, nullable: true },
        sustainMs: { type: 'integer', minimum: 0, nullable: true },
        outCooldownMs: { type: 'integer', minimum: 0, nullable: true },
        inCooldownMs: { type: 'integer', minimum: 0, nullable: true },
        step: { type: 'integer', minimum: 1, nullable: true },
        quietMs: { type: 'integer', minimum: 0, nullable: true },
        drainTimeoutMs: { type: 'integer', minimum: 0, nullable: true },
      },
    },
  },
};

const instanceSchema: JSONSchemaType<InstanceRecord> = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'service', 'serviceId', 'host', 'index', 'state', 'startedAt'],
  properties: {
    v: { type: 'integer', minimum: 1 },
    service: { type: 'string', pattern: NAME },
    serviceId: { type: 'integer', minimum: 0, maximum: 65535 },
    host: { type: 'string', pattern: NAME },
    index: { type: 'integer', minimum: 0 },
    state: { type: 'string', enum: ['starting', 'running', 'stopping', 'failed'] },
    instanceId: { type: 'integer', minimum: 0, nullable: true },
    pid: { type: 'integer', minimum: 1, nullable: true },
    startedAt: { type: 'number', minimum: 0 },
  },
};

const statsSchema: JSONSchemaType<StatsRecord> = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'host', 'instance', 't', 'seq', 'rxPkts', 'txPkts', 'dropPkts', 'rxBytes', 'txBytes', 'pps', 'ringFill'],
  properties: {
    v: { type: 'integer', minimum: 1 },
    host: { type: 'string', pattern: NAME },
    instance: { type: 'string', minLength: 3, maxLength: 128 },
    t: { type: 'number', minimum: 0 },
    seq: { type: 'integer', minimum: 0 },
    rxPkts: { type: 'number', minimum: 0 },
    txPkts: { type: 'number', minimum: 0 },
    dropPkts: { type: 'number', minimum: 0 },
    rxBytes: { type: 'number', minimum: 0 },
    txBytes: { type: 'number', minimum: 0 },
    pps: { type: 'number', minimum: 0 },
    ringFill: { type: 'number', minimum: 0, maximum: 1 },
  },
};

const tenantsSchema: JSONSchemaType<TenantsDoc> = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'tenants'],
  properties: {
    v: { type: 'integer', minimum: 1 },
    tenants: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['id', 'name'],
        properties: {
          id: { type: 'string', pattern: NAME },
          name: { type: 'string', minLength: 1, maxLength: 256 },
          vlan: { type: 'integer', minimum: 0, maximum: 4095, nullable: true },
          ports: { type: 'array', items: { type: 'integer', minimum: 1 }, nullable: true },
        },
      },
    },
  },
};

const matchSchema: JSONSchemaType<ChainMatch> = {
  type: 'object',
  additionalProperties: false,
  required: [],
  properties: {
    inPort: { type: 'integer', minimum: 1, nullable: true },
    vlan: { type: 'integer', minimum: 0, maximum: 4095, nullable: true },
    ipSrc: { type: 'string', maxLength: 64, nullable: true },
    ipDst: { type: 'string', maxLength: 64, nullable: true },
    ipProto: { type: 'integer', minimum: 0, maximum: 255, nullable: true },
    tpSrc: { type: 'integer', minimum: 0, maximum: 65535, nullable: true },
    tpDst: { type: 'integer', minimum: 0, maximum: 65535, nullable: true },
  },
};

const chainsSchema: JSONSchemaType<ChainsDoc> = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'chains'],
  properties: {
    v: { type: 'integer', minimum: 1 },
    chains: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['id', 'tenant', 'services', 'match'],
        properties: {
          id: { type: 'string', pattern: NAME },
          tenant: { type: 'string', pattern: NAME },
          pathId: { type: 'integer', minimum: 1, maximum: 0xffff, nullable: true },
          services: { type: 'array', items: { type: 'string', pattern: NAME }, minItems: 1, maxItems: 255 },
          match: matchSchema,
          priority: { type: 'integer', minimum: 0, maximum: 65535, nullable: true },
          offloadedHops: { type: 'integer', minimum: 0, maximum: 255, nullable: true },
        },
      },
    },
  },
};

const assignmentSchema: JSONSchemaType<AssignmentDoc> = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'host', 'instances'],
  properties: {
    v: { type: 'integer', minimum: 1 },
    host: { type: 'string', pattern: NAME },
    instances: {
      type: 'array',
      items: {
        type: 'object', additionalProperties: false, required: ['service', 'index'],
        properties: {
          service: { type: 'string', pattern: NAME },
          index: { type: 'integer', minimum: 0 },
          config: {
            type: 'object', nullable: true, required: [],
            additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
          },
        },
      },
    },
  },
};

const vniSchema: JSONSchemaType<VniAllocation> = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'pathId', 'tenant', 'chain'],
  properties: {
    v: { type: 'integer', minimum: 1 },
    pathId: { type: 'integer', minimum: 1, maximum: 0xffff },
    tenant: { type: 'string', pattern: NAME },
    chain: { type: 'string', pattern: NAME },
  },
};

const candidateSchema: JSONSchemaType<CandidateRecord> = {
  type: 'object',
  additionalProperties: false,
  required: ['v', 'controllerId', 'startedAt'],
  properties: {
    v: { type: 'integer', minimum: 1 },
    controllerId: { type: 'string', pattern: NAME },
    startedAt: { type: 'number', minimum: 0 },
    ofEndpoint: { type: 'string', nullable: true, maxLength: 256 },
  },
};

export interface RecordTypes {
  host: HostRecord;
  service: ServiceRecord;
  instance: InstanceRecord;
  stats: StatsRecord;
  tenants: TenantsDoc;
  chains: ChainsDoc;
  assignment: AssignmentDoc;
  vni: VniAllocation;
  candidate: CandidateRecord;
}
export type RecordKind = keyof RecordTypes;

export const SCHEMAS: { [K in RecordKind]: JSONSchemaType<RecordTypes[K]> } = {
  host: hostSchema,
  service: serviceSchema,
  instance: instanceSchema,
  stats: statsSchema,
  tenants: tenantsSchema,
  chains: chainsSchema,
  assignment: assignmentSchema,
  vni: vniSchema,
  candidate: candidateSchema,
};

const ajv = new Ajv({ allErrors: true, strict: true });
const validators = new Map<RecordKind, ValidateFunction>();
function validator<K extends RecordKind>(kind: K): ValidateFunction<RecordTypes[K]> {
  let v = validators.get(kind);
  if (!v) {
    v = ajv.compile(SCHEMAS[kind]);
    validators.set(kind, v);
  }
  return v as ValidateFunction<RecordTypes[K]>;
}

/** Throws SchemaError unless `value` is a valid record of `kind` in a format this code understands. */
export function validate<K extends RecordKind>(kind: K, value: unknown, path = '(value)'): RecordTypes[K] {
  const v = validator(kind);
  if (!v(value)) {
    const errs = (v.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
    throw new SchemaError(path, kind, errs);
  }
  if (value.v > RECORD_VERSION) {
    throw new SchemaError(path, kind, [`record format v${value.v} is newer than this code (v${RECORD_VERSION})`]);
  }
  return value;
}

export function encode<K extends RecordKind>(kind: K, value: RecordTypes[K], path?: string): Buffer {
  validate(kind, value, path);
  return Buffer.from(JSON.stringify(value));
}

export function decode<K extends RecordKind>(kind: K, data: Buffer, path = '(value)'): RecordTypes[K] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch (e) {
    throw new SchemaError(path, kind, [`not JSON: ${(e as Error).message}`]);
  }
  return validate(kind, parsed, path);
}
