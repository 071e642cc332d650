// Ryu ofctl_v1_3 reply → REST JSON, one function per reply type (the body of each list; the routes
// wrap it as {"<dpid decimal>": ...}). Replies may arrive as several multipart parts: every function
// takes the list of reply messages and walks all their bodies, as Ryu does.
import type {
  OfMessage, OFPFlowStats, OFPTableFeaturesStats, OfTableFeatureProp, OfQueueProp, OFPPort,
} from '../../openflow/types.js';
import { instructionsToStr, actionToStr } from './actions.js';
import { matchToStr } from './match.js';
import { groupToUser, meterToUser, portToUser, queueToUser, roleToUser, tableToUser, type Json } from './util.js';

type Obj = { [k: string]: Json };

function bodies<K extends OfMessage['kind']>(msgs: OfMessage[], kind: K): Array<Extract<OfMessage, { kind: K }>> {
  return msgs.filter((m): m is Extract<OfMessage, { kind: K }> => m.kind === kind);
}

export function descToJson(msgs: OfMessage[]): Obj {
  let s: Obj = {};
  for (const m of bodies(msgs, 'OFPDescStatsReply')) {
    const b = m.body;
    s = { mfr_desc: b.mfr_desc, hw_desc: b.hw_desc, sw_desc: b.sw_desc, serial_num: b.serial_num, dp_desc: b.dp_desc };
  }
  return s;
}

function flowStatsToJson(st: OFPFlowStats): Obj {
  return {
    priority: st.priority,
    cookie: st.cookie,
    idle_timeout: st.idle_timeout,
    hard_timeout: st.hard_timeout,
    byte_count: st.byte_count,
    duration_sec: st.duration_sec,
    duration_nsec: st.duration_nsec,
    packet_count: st.packet_count,
    length: st.length ?? 0,
    flags: st.flags,
    actions: instructionsToStr(st.instructions),
    match: matchToStr(st.match),
    table_id: tableToUser(st.table_id),
  };
}

/** priority: Ryu's extra filter (flow entries of that priority only; < 0 = all). */
export function flowsToJson(msgs: OfMessage[], priority = -1): Obj[] {
  const out: Obj[] = [];
  for (const m of bodies(msgs, 'OFPFlowStatsReply')) {
    for (const st of m.body) {
      if (priority >= 0 && st.priority !== priority) continue;
      out.push(flowStatsToJson(st));
    }
  }
  return out;
}

export function aggregateToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPAggregateStatsReply').map((m) => ({
    packet_count: m.body.packet_count,
    byte_count: m.body.byte_count,
    flow_count: m.body.flow_count,
  }));
}

export function tablesToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPTableStatsReply').flatMap((m) =>
    m.body.map((t) => ({
      active_count: t.active_count,
      lookup_count: t.lookup_count,
      matched_count: t.matched_count,
      table_id: tableToUser(t.table_id),
    })),
  );
}

const TFPT_NAMES: Record<number, string> = {
  0: 'INSTRUCTIONS', 1: 'INSTRUCTIONS_MISS', 2: 'NEXT_TABLES', 3: 'NEXT_TABLES_MISS', 4: 'WRITE_ACTIONS',
  5: 'WRITE_ACTIONS_MISS', 6: 'APPLY_ACTIONS', 7: 'APPLY_ACTIONS_MISS', 8: 'MATCH', 10: 'WILDCARDS',
  12: 'WRITE_SETFIELD', 13: 'WRITE_SETFIELD_MISS', 14: 'APPLY_SETFIELD', 15: 'APPLY_SETFIELD_MISS',
  0xfffe: 'EXPERIMENTER', 0xffff: 'EXPERIMENTER_MISS',
};

function tablePropToJson(p: OfTableFeatureProp): Obj {
  const o: Obj = { type: TFPT_NAMES[p.type ?? -1] ?? 'UNKNOWN' };
  switch (p.kind) {
    case 'OFPTableFeaturePropInstructions':
      o.instruction_ids = p.instruction_ids.map((i) => ({ len: i.len ?? 4, type: i.type }));
      break;
    case 'OFPTableFeaturePropNextTables':
      o.table_ids = [...p.table_ids];
      break;
    case 'OFPTableFeaturePropActions':
      o.action_ids = p.action_ids.map((i) => ({ len: i.len ?? 4, type: i.type }));
      break;
    case 'OFPTableFeaturePropOxm':
      o.oxm_ids = p.oxm_ids.map((i) => ({ hasmask: i.hasmask, length: i.length, type: i.type }));
      break;
    default:
      break;
  }
  return o;
}

function tableFeaturesToJsonOne(t: OFPTableFeaturesStats): Obj {
  return {
    name: t.name,
    metadata_match: t.metadata_match,
    metadata_write: t.metadata_write,
    config: t.config,
    max_entries: t.max_entries,
    properties: t.properties.map(tablePropToJson),
    table_id: tableToUser(t.table_id),
  };
}

export function tableFeaturesToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPTableFeaturesStatsReply').flatMap((m) => m.body.map(tableFeaturesToJsonOne));
}

export function portStatsToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPPortStatsReply').flatMap((m) =>
    m.body.map((s) => ({
      rx_packets: s.rx_packets,
      tx_packets: s.tx_packets,
      rx_bytes: s.rx_bytes,
      tx_bytes: s.tx_bytes,
      rx_dropped: s.rx_dropped,
      tx_dropped: s.tx_dropped,
      rx_errors: s.rx_errors,
      tx_errors: s.tx_errors,
      rx_frame_err: s.rx_frame_err,
      rx_over_err: s.rx_over_err,
      rx_crc_err: s.rx_crc_err,
      collisions: s.collisions,
      duration_sec: s.duration_sec,
      duration_nsec: s.duration_nsec,
      port_no: portToUser(s.port_no),
    })),
  );
}

export function queueStatsToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPQueueStatsReply').flatMap((m) =>
    m.body.map((s) => ({
      duration_nsec: s.duration_nsec,
      duration_sec: s.duration_sec,
      port_no: s.port_no,
      queue_id: s.queue_id,
      tx_bytes: s.tx_bytes,
      tx_errors: s.tx_errors,
      tx_packets: s.tx_packets,
    })),
  );
}

function queuePropToJson(p: OfQueueProp): Obj {
  switch (p.kind) {
    case 'OFPQueuePropMinRate':
      return { property: 'MIN_RATE', rate: p.rate };
    case 'OFPQueuePropMaxRate':
      return { property: 'MAX_RATE', rate: p.rate };
    case 'OFPQueuePropExperimenter':
      return { property: 'EXPERIMENTER', experimenter: p.experimenter, data: [...p.data] };
    default:
      return { property: 'UNKNOWN' };
  }
}

export function queueConfigToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPQueueGetConfigReply').map((c) => ({
    queues: c.queues.map((q) => ({
      properties: q.properties.map(queuePropToJson),
      port: portToUser(q.port),
      queue_id: queueToUser(q.queue_id),
    })),
    port: portToUser(c.port),
  }));
}

export function meterStatsToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPMeterStatsReply').flatMap((m) =>
    m.body.map((s) => ({
      len: s.len ?? 0,
      flow_count: s.flow_count,
      packet_in_count: s.packet_in_count,
      byte_in_count: s.byte_in_count,
      duration_sec: s.duration_sec,
      duration_nsec: s.duration_nsec,
      band_stats: s.band_stats.map((b) => ({ packet_band_count: b.packet_band_count, byte_band_count: b.byte_band_count })),
      meter_id: meterToUser(s.meter_id),
    })),
  );
}

const MF_FLAGS: Array<[number, string]> = [[1, 'KBPS'], [2, 'PKTPS'], [4, 'BURST'], [8, 'STATS']];

export function meterFeaturesToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPMeterFeaturesStatsReply').flatMap((m) =>
    m.body.map((f) => ({
      max_meter: f.max_meter,
      band_types: ([[1, 'DROP'], [2, 'DSCP_REMARK']] as Array<[number, string]>)
        .filter(([k]) => (1 << k) & f.band_types)
        .map(([, v]) => v),
      capabilities: MF_FLAGS.filter(([k]) => k & f.capabilities).map(([, v]) => v),
      max_bands: f.max_bands,
      max_color: f.max_color,
    })),
  );
}

export function meterConfigToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPMeterConfigStatsReply').flatMap((m) =>
    m.body.map((c) => ({
      flags: MF_FLAGS.filter(([k]) => k & c.flags).map(([, v]) => v),
      bands: c.bands.map((b) => {
        const o: Obj = { rate: b.rate, burst_size: b.burst_size };
        if (b.kind === 'OFPMeterBandDrop') o.type = 'DROP';
        else if (b.kind === 'OFPMeterBandDscpRemark') {
          o.type = 'DSCP_REMARK';
          o.prec_level = b.prec_level;
        } else if (b.kind === 'OFPMeterBandExperimenter') {
          o.type = 'EXPERIMENTER';
          o.experimenter = b.experimenter;
        } else o.type = '';
        return o;
      }),
      meter_id: meterToUser(c.meter_id),
    })),
  );
}

export function groupStatsToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPGroupStatsReply').flatMap((m) =>
    m.body.map((s) => ({
      length: s.length ?? 0,
      ref_count: s.ref_count,
      packet_count: s.packet_count,
      byte_count: s.byte_count,
      duration_sec: s.duration_sec,
      duration_nsec: s.duration_nsec,
      bucket_stats: s.bucket_stats.map((b) => ({ packet_count: b.packet_count, byte_count: b.byte_count })),
      group_id: groupToUser(s.group_id),
    })),
  );
}

const GT: Array<[number, string]> = [[0, 'ALL'], [1, 'SELECT'], [2, 'INDIRECT'], [3, 'FF']];
const GFC: Array<[number, string]> = [[1, 'SELECT_WEIGHT'], [2, 'SELECT_LIVENESS'], [4, 'CHAINING'], [8, 'CHAINING_CHECKS']];
const AT: Array<[number, string]> = [
  [0, 'OUTPUT'], [11, 'COPY_TTL_OUT'], [12, 'COPY_TTL_IN'], [15, 'SET_MPLS_TTL'], [16, 'DEC_MPLS_TTL'],
  [17, 'PUSH_VLAN'], [18, 'POP_VLAN'], [19, 'PUSH_MPLS'], [20, 'POP_MPLS'], [21, 'SET_QUEUE'], [22, 'GROUP'],
  [23, 'SET_NW_TTL'], [24, 'DEC_NW_TTL'], [25, 'SET_FIELD'], [26, 'PUSH_PBB'], [27, 'POP_PBB'],
];

export function groupFeaturesToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPGroupFeaturesStatsReply').map((m) => {
    const f = m.body;
    return {
      types: GT.filter(([k]) => (1 << k) & f.types).map(([, v]) => v),
      capabilities: GFC.filter(([k]) => k & f.capabilities).map(([, v]) => v),
      max_groups: GT.map(([k, v]) => ({ [v]: f.max_groups[k] })),
      actions: GT.map(([k1, v1]) => ({
        [v1]: AT.filter(([k2]) => Number((1n << BigInt(k2)) & BigInt(f.actions[k1] >>> 0))).map(([, v2]) => v2),
      })),
    };
  });
}

export function groupDescToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPGroupDescStatsReply').flatMap((m) =>
    m.body.map((d) => ({
      buckets: d.buckets.map((b) => ({
        weight: b.weight,
        watch_port: b.watch_port,
        watch_group: b.watch_group,
        actions: b.actions.map(actionToStr),
      })),
      group_id: groupToUser(d.group_id),
      type: GT.find(([k]) => k === d.type)?.[1] ?? null,
    })),
  );
}

export function portToJson(p: OFPPort): Obj {
  return {
    hw_addr: p.hw_addr,
    name: p.name,
    config: p.config,
    state: p.state,
    curr: p.curr,
    advertised: p.advertised,
    supported: p.supported,
    peer: p.peer,
    curr_speed: p.curr_speed,
    max_speed: p.max_speed,
    port_no: portToUser(p.port_no),
  };
}

export function portDescToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPPortDescStatsReply').flatMap((m) => m.body.map(portToJson));
}

export function roleToJson(msgs: OfMessage[]): Obj[] {
  return bodies(msgs, 'OFPRoleReply').map((m) => ({ generation_id: m.generation_id, role: roleToUser(m.role) }));
}
