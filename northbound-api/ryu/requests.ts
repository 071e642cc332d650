// REST parameters/bodies → OpenFlow 1.3 messages, with Ryu's ofctl_v1_3 defaults.
import type {
  OfMessage, OFPBucket, OFPFlowMod, OFPGroupMod, OFPMeterMod, OfMeterBand, OFPPortMod,
  OFPFlowStatsRequest, OFPAggregateStatsRequest,
} from '../../openflow/types.js';
import { parseMac, formatMac } from './addr.js';
import { toAction, toInstructions } from './actions.js';
import { toMatch } from './match.js';
import {
  base64Decode, bufferFromUser, groupFromUser, isObject, meterFromUser, portFromUser, roleFromUser, RyuBadRequest,
  strToUint, strToUint64, tableFromUser, type Json, type JsonObject,
} from './util.js';

export const OFPP_ANY = 0xffffffff;
export const OFPG_ANY = 0xffffffff;
export const OFPG_ALL = 0xfffffffc;
export const OFPM_ALL = 0xffffffff;
export const OFPQ_ALL = 0xffffffff;
export const OFPTT_ALL = 0xff;

export function asBody(v: unknown, what: string): JsonObject {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw new RyuBadRequest(`${what} must be a JSON object`);
  return v;
}

/** Optional path parameter: undefined / "ALL" → the wildcard, else int(str(x), 0). */
function optParam(v: string | undefined, wildcard: number, what: string): number {
  if (v === undefined || v === 'ALL') return wildcard;
  return strToUint(v, 32, what);
}

function flowFilter(flow: JsonObject): Omit<OFPFlowStatsRequest, 'kind'> {
  return {
    flags: strToUint(flow.flags ?? 0, 16, 'flags'),
    table_id: tableFromUser(flow.table_id ?? OFPTT_ALL),
    out_port: portFromUser(flow.out_port ?? OFPP_ANY, 'out_port'),
    out_group: groupFromUser(flow.out_group ?? OFPG_ANY, 'out_group'),
    cookie: strToUint64(flow.cookie ?? 0, 'cookie'),
    cookie_mask: strToUint64(flow.cookie_mask ?? 0, 'cookie_mask'),
    match: toMatch(flow.match ?? {}),
  };
}

export function flowStatsRequest(flow: JsonObject): OFPFlowStatsRequest {
  return { kind: 'OFPFlowStatsRequest', ...flowFilter(flow) };
}

/** Ryu's extra priority filter on flow stats (-1 = none). */
export function flowPriorityFilter(flow: JsonObject): number {
  if (!('priority' in flow)) return -1;
  const p = flow.priority;
  const n = typeof p === 'number' ? p : Number(p);
  if (!Number.isInteger(n)) throw new RyuBadRequest('priority: not an integer');
  return n;
}

export function aggregateRequest(flow: JsonObject): OFPAggregateStatsRequest {
  return { kind: 'OFPAggregateStatsRequest', ...flowFilter(flow) };
}

export const descRequest = (): OfMessage => ({ kind: 'OFPDescStatsRequest', flags: 0 });
export const tableRequest = (): OfMessage => ({ kind: 'OFPTableStatsRequest', flags: 0 });
export const tableFeaturesRequest = (): OfMessage => ({ kind: 'OFPTableFeaturesStatsRequest', flags: 0, body: [] });
export const portDescRequest = (): OfMessage => ({ kind: 'OFPPortDescStatsRequest', flags: 0 });
export const meterFeaturesRequest = (): OfMessage => ({ kind: 'OFPMeterFeaturesStatsRequest', flags: 0 });
export const groupFeaturesRequest = (): OfMessage => ({ kind: 'OFPGroupFeaturesStatsRequest', flags: 0 });
export const groupDescRequest = (): OfMessage => ({ kind: 'OFPGroupDescStatsRequest', flags: 0 });
export const roleRequest = (): OfMessage => ({ kind: 'OFPRoleRequest', role: 0, generation_id: 0n });

export function portStatsRequest(port?: string): OfMessage {
  return { kind: 'OFPPortStatsRequest', flags: 0, port_no: optParam(port, OFPP_ANY, 'port') };
}

export function queueStatsRequest(port?: string, queueId?: string): OfMessage {
  return {
    kind: 'OFPQueueStatsRequest',
    flags: 0,
    port_no: optParam(port, OFPP_ANY, 'port'),
    queue_id: optParam(queueId, OFPQ_ALL, 'queue_id'),
  };
}

export function queueConfigRequest(port?: string): OfMessage {
  return { kind: 'OFPQueueGetConfigRequest', port: port === undefined || port === 'ALL' ? OFPP_ANY : portFromUser(strToUint(port, 32, 'port')) };
}

export function meterStatsRequest(meterId?: string): OfMessage {
  return { kind: 'OFPMeterStatsRequest', flags: 0, meter_id: optParam(meterId, OFPM_ALL, 'meter_id') };
}

export function meterConfigRequest(meterId?: string): OfMessage {
  return { kind: 'OFPMeterConfigStatsRequest', flags: 0, meter_id: optParam(meterId, OFPM_ALL, 'meter_id') };
}

export function groupStatsRequest(groupId?: string): OfMessage {
  return { kind: 'OFPGroupStatsRequest', flags: 0, group_id: optParam(groupId, OFPG_ALL, 'group_id') };
}

// ---------------------------------------------------------------------------------------------- commands

export const FLOW_COMMANDS: Record<string, number> = { add: 0, modify: 1, modify_strict: 2, delete: 3, delete_strict: 4 };
export const METER_COMMANDS: Record<string, number> = { add: 0, modify: 1, delete: 2 };
export const GROUP_COMMANDS: Record<string, number> = { add: 0, modify: 1, delete: 2 };

export function flowMod(flow: JsonObject, command: number): OFPFlowMod {
  return {
    kind: 'OFPFlowMod',
    cookie: strToUint64(flow.cookie ?? 0, 'cookie'),
    cookie_mask: strToUint64(flow.cookie_mask ?? 0, 'cookie_mask'),
    table_id: tableFromUser(flow.table_id ?? 0),
    command,
    idle_timeout: strToUint(flow.idle_timeout ?? 0, 16, 'idle_timeout'),
    hard_timeout: strToUint(flow.hard_timeout ?? 0, 16, 'hard_timeout'),
    priority: strToUint(flow.priority ?? 0, 16, 'priority'),
    buffer_id: bufferFromUser(flow.buffer_id ?? 0xffffffff),
    out_port: portFromUser(flow.out_port ?? OFPP_ANY, 'out_port'),
    out_group: groupFromUser(flow.out_group ?? OFPG_ANY, 'out_group'),
    flags: strToUint(flow.flags ?? 0, 16, 'flags'),
    match: toMatch(flow.match ?? {}),
    instructions: toInstructions(flow.actions ?? []),
  };
}

const METER_FLAGS: Record<string, number> = { KBPS: 1, PKTPS: 2, BURST: 4, STATS: 8 };

export function meterMod(meter: JsonObject, command: number): OFPMeterMod {
  let flags = 0;
  if ('flags' in meter) {
    const list = Array.isArray(meter.flags) ? meter.flags : [meter.flags];
    for (const f of list) {
      if (typeof f !== 'string' || !(f in METER_FLAGS)) {
        throw new RyuBadRequest(`unknown meter flag ${JSON.stringify(f)} (KBPS, PKTPS, BURST, STATS)`);
      }
      flags |= METER_FLAGS[f];
    }
  }
  const bandsIn = meter.bands ?? [];
  if (!Array.isArray(bandsIn)) throw new RyuBadRequest('bands must be a list');
  const bands: OfMeterBand[] = bandsIn.map((bIn: Json) => {
    const b = asBody(bIn, 'a meter band');
    const rate = strToUint(b.rate ?? 0, 32, 'band rate');
    const burst_size = strToUint(b.burst_size ?? 0, 32, 'band burst_size');
    switch (b.type) {
      case 'DROP':
        return { kind: 'OFPMeterBandDrop', rate, burst_size };
      case 'DSCP_REMARK':
        return { kind: 'OFPMeterBandDscpRemark', rate, burst_size, prec_level: strToUint(b.prec_level ?? 0, 8, 'prec_level') };
      case 'EXPERIMENTER':
        return { kind: 'OFPMeterBandExperimenter', rate, burst_size, experimenter: strToUint(b.experimenter ?? 0, 32, 'experimenter') };
      default:
        throw new RyuBadRequest(`unknown band type ${JSON.stringify(b.type)} (DROP, DSCP_REMARK, EXPERIMENTER)`);
    }
  });
  return { kind: 'OFPMeterMod', command, flags, meter_id: meterFromUser(meter.meter_id ?? 0), bands };
}

const GROUP_TYPES: Record<string, number> = { ALL: 0, SELECT: 1, INDIRECT: 2, FF: 3 };

export function groupMod(group: JsonObject, command: number): OFPGroupMod {
  const typeName = group.type ?? 'ALL';
  if (typeof typeName !== 'string' || !(typeName in GROUP_TYPES)) {
    throw new RyuBadRequest(`unknown group type ${JSON.stringify(typeName)} (ALL, SELECT, INDIRECT, FF)`);
  }
  const bucketsIn = group.buckets ?? [];
  if (!Array.isArray(bucketsIn)) throw new RyuBadRequest('buckets must be a list');
  const buckets: OFPBucket[] = bucketsIn.map((bIn: Json) => {
    const b = asBody(bIn, 'a bucket');
    const acts = b.actions ?? [];
    if (!Array.isArray(acts)) throw new RyuBadRequest('bucket actions must be a list');
    return {
      kind: 'OFPBucket',
      weight: strToUint(b.weight ?? 0, 16, 'weight'),
      watch_port: strToUint(b.watch_port ?? OFPP_ANY, 32, 'watch_port'),
      watch_group: strToUint(b.watch_group ?? OFPG_ANY, 32, 'watch_group'),
      actions: acts.map((a: Json) => {
        const act = toAction(a);
        if (!act) throw new RyuBadRequest(`a bucket cannot contain ${JSON.stringify((a as JsonObject).type)}`);
        return act;
      }),
    };
  });
  return { kind: 'OFPGroupMod', command, type: GROUP_TYPES[typeName], group_id: groupFromUser(group.group_id ?? 0), buckets };
}

export function portMod(cfg: JsonObject): OFPPortMod {
  if (cfg.hw_addr === undefined || cfg.advertise === undefined) throw new RyuBadRequest('hw_addr and advertise are required');
  return {
    kind: 'OFPPortMod',
    port_no: portFromUser(cfg.port_no ?? 0, 'port_no'),
    hw_addr: formatMac(parseMac(cfg.hw_addr, 'hw_addr')),
    config: strToUint(cfg.config ?? 0, 32, 'config'),
    mask: strToUint(cfg.mask ?? 0, 32, 'mask'),
    advertise: strToUint(cfg.advertise, 32, 'advertise'),
  };
}

export function experimenter(exp: JsonObject): OfMessage {
  const dataType = exp.data_type ?? 'ascii';
  const data = exp.data ?? '';
  let bytes: Uint8Array;
  if (dataType === 'base64') bytes = base64Decode(data, 'data');
  else if (dataType === 'ascii') {
    if (typeof data !== 'string' || !/^[\x00-\x7f]*$/.test(data)) throw new RyuBadRequest('data must be an ASCII string');
    bytes = new Uint8Array(Buffer.from(data, 'ascii'));
  } else throw new RyuBadRequest(`unknown data_type ${JSON.stringify(dataType)} (ascii or base64)`);
  return {
    kind: 'OFPExperimenter',
    experimenter: strToUint(exp.experimenter ?? 0, 32, 'experimenter'),
    exp_type: strToUint(exp.exp_type ?? 0, 32, 'exp_type'),
    data: bytes,
  };
}

/** Ryu's set_role: role name or number, default EQUAL. */
export function roleValue(body: JsonObject): number {
  const r = roleFromUser(body.role ?? 1);
  if (r > 3) throw new RyuBadRequest(`role ${r} is not one of NOCHANGE, EQUAL, MASTER, SLAVE`);
  return r;
}

/** Ryu's mod_port_behavior: int(str(port_no), 0). */
export function portNumber(v: unknown): number {
  return strToUint(v, 32, 'port_no');
}
