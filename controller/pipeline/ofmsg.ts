// Conversion between the pipeline's entries and the codec's OpenFlow 1.3 messages, plus the request messages the
// reconciler needs. Pure.
import {
  OFPFC,
  OFPG,
  OFPGC,
  OFPGT,
  OFPIT,
  OFPP,
  OFPTT_ALL,
  OFP_NO_BUFFER,
  OFPCML_NO_BUFFER,
  type OFPBucket,
  type OFPFlowMod,
  type OFPFlowStats,
  type OFPFlowStatsRequest,
  type OFPGroupDescStats,
  type OFPGroupDescStatsRequest,
  type OFPGroupMod,
  type OFPMatch,
  type OfAction,
  type OfInstruction,
  type OfMessage,
} from '../../openflow/index.js';
import type { Action, FieldMatch, FlowEntry, GroupEntry, GroupType, Instruction } from './flows.js';
import type { PipelineDiff } from './reconcile.js';

const GROUP_TYPE: Record<GroupType, number> = { all: OFPGT.ALL, select: OFPGT.SELECT, indirect: OFPGT.INDIRECT, ff: OFPGT.FF };

export function toOfMatch(match: FieldMatch[]): OFPMatch {
  return {
    kind: 'OFPMatch',
    oxm_fields: match.map((f) => (f.mask === undefined ? { field: f.field, value: f.value } : { field: f.field, value: f.value, mask: f.mask })),
  };
}

function toOfAction(a: Action): OfAction {
  switch (a.type) {
    case 'output':
      return { kind: 'OFPActionOutput', port: a.port, max_len: a.port === OFPP.CONTROLLER ? OFPCML_NO_BUFFER : 0 };
    case 'group':
      return { kind: 'OFPActionGroup', group_id: a.groupId };
    case 'opaque':
      throw new Error(`cannot encode an opaque action (${a.text})`);
  }
}

function toOfInstructions(ins: Instruction[]): OfInstruction[] {
  const out: OfInstruction[] = [];
  for (const i of ins) {
    if (i.type === 'apply') {
      if (i.actions.length > 0) out.push({ kind: 'OFPInstructionActions', type: OFPIT.APPLY_ACTIONS as 4, actions: i.actions.map(toOfAction) });
    } else if (i.type === 'goto') out.push({ kind: 'OFPInstructionGotoTable', table_id: i.table });
    else throw new Error(`cannot encode an opaque instruction (${i.text})`);
  }
  return out;
}

export function toFlowMod(f: FlowEntry, command: number): OFPFlowMod {
  const del = command === OFPFC.DELETE || command === OFPFC.DELETE_STRICT;
  return {
    kind: 'OFPFlowMod',
    cookie: f.cookie,
    cookie_mask: 0n,
    table_id: f.table,
    command,
    idle_timeout: f.idleTimeout ?? 0,
    hard_timeout: f.hardTimeout ?? 0,
    priority: f.priority,
    buffer_id: OFP_NO_BUFFER,
    out_port: OFPP.ANY,
    out_group: OFPG.ANY,
    flags: 0,
    match: toOfMatch(f.match),
    instructions: del ? [] : toOfInstructions(f.instructions),
  };
}

function toBucket(type: GroupType, b: GroupEntry['buckets'][number]): OFPBucket {
  return { kind: 'OFPBucket', weight: type === 'select' ? b.weight : 0, watch_port: OFPP.ANY, watch_group: OFPG.ANY, actions: b.actions.map(toOfAction) };
}

export function toGroupMod(g: GroupEntry, command: number): OFPGroupMod {
  return {
    kind: 'OFPGroupMod',
    command,
    type: GROUP_TYPE[g.type],
    group_id: g.groupId,
    buckets: command === OFPGC.DELETE ? [] : g.buckets.map((b) => toBucket(g.type, b)),
  };
}

function fromOfAction(a: OfAction): Action {
  if (a.kind === 'OFPActionOutput') return { type: 'output', port: a.port };
  if (a.kind === 'OFPActionGroup') return { type: 'group', groupId: a.group_id };
  return { type: 'opaque', text: JSON.stringify(a, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)) };
}

function fromOfInstruction(i: OfInstruction): Instruction {
  if (i.kind === 'OFPInstructionGotoTable') return { type: 'goto', table: i.table_id };
  if (i.kind === 'OFPInstructionActions' && i.type === OFPIT.APPLY_ACTIONS) return { type: 'apply', actions: i.actions.map(fromOfAction) };
  return {
    type: 'opaque',
    text: JSON.stringify(i, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)),
  };
}

export function fromOfMatch(m: OFPMatch): FieldMatch[] {
  return m.oxm_fields.map((f) => (f.mask === undefined || f.mask === null ? { field: f.field, value: f.value } : { field: f.field, value: f.value, mask: f.mask }));
}

export function fromFlowStats(s: OFPFlowStats): FlowEntry {
  return {
    table: s.table_id,
    priority: s.priority,
    match: fromOfMatch(s.match),
    instructions: s.instructions.map(fromOfInstruction),
    cookie: s.cookie,
    idleTimeout: s.idle_timeout,
    hardTimeout: s.hard_timeout,
  };
}

export function fromGroupDesc(g: OFPGroupDescStats): GroupEntry {
  const type = (Object.entries(GROUP_TYPE).find(([, v]) => v === g.type)?.[0] ?? 'indirect') as GroupType;
  return { groupId: g.group_id, type, buckets: g.buckets.map((b) => ({ weight: b.weight, actions: b.actions.map(fromOfAction) })) };
}

export function flowStatsRequest(tableId: number = OFPTT_ALL): OFPFlowStatsRequest {
  return {
    kind: 'OFPFlowStatsRequest',
    flags: 0,
    table_id: tableId,
    out_port: OFPP.ANY,
    out_group: OFPG.ANY,
    cookie: 0n,
    cookie_mask: 0n,
    match: { kind: 'OFPMatch', oxm_fields: [] },
  };
}

export function groupDescRequest(): OFPGroupDescStatsRequest {
  return { kind: 'OFPGroupDescStatsRequest', flags: 0 };
}

/** The diff as ordered batches; send each with a barrier before the next:
 *  1. groups added/modified (flows may reference them), 2. flows added/replaced/modified, then stale flows deleted
 *  (make before break), 3. groups deleted (OVS would delete flows still pointing at them). Empty batches omitted. */
export function diffToBatches(d: PipelineDiff): OfMessage[][] {
  const b1: OfMessage[] = [...d.groupAdds.map((g) => toGroupMod(g, OFPGC.ADD)), ...d.groupMods.map((g) => toGroupMod(g, OFPGC.MODIFY))];
  const b2: OfMessage[] = [
    ...d.flowAdds.map((f) => toFlowMod(f, OFPFC.ADD)),
    ...d.flowReplaces.map((f) => toFlowMod(f, OFPFC.ADD)),
    ...d.flowMods.map((f) => toFlowMod(f, OFPFC.MODIFY_STRICT)),
    ...d.flowDeletes.map((f) => toFlowMod(f, OFPFC.DELETE_STRICT)),
  ];
  const b3: OfMessage[] = d.groupDeletes.map((g) => toGroupMod(g, OFPGC.DELETE));
  return [b1, b2, b3].filter((b) => b.length > 0);
}
