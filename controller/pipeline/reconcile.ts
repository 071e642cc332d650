// Reconciliation: desired pipeline vs what the switch reports (flow stats + group descriptions) → the minimal
// change. Identical flows are left alone (counters and durations keep running); a changed action is a
// MODIFY_STRICT (keeps counters); a changed cookie is an ADD over the existing entry (atomic replace in
// OpenFlow 1.3 — MODIFY cannot change a cookie); flows the desired set does not have are DELETE_STRICT.
import { PIPELINE_TABLES } from './compile.js';
import { isOurCookie } from './cookie.js';
import { flowBody, flowKey, groupBody, type FlowEntry, type GroupEntry } from './flows.js';

export interface SwitchPipelineState {
  flows: FlowEntry[];
  groups: GroupEntry[];
}

export interface ReconcileOptions {
  /** Tables the pipeline owns; flows in other tables are never touched. Default: the pipeline's tables. */
  tables?: readonly number[];
  /** true: only delete flows/groups that carry our cookie namespace (share the switch with another app).
   *  Default false: the pipeline owns its tables completely. */
  ownedOnly?: boolean;
}

export interface PipelineDiff {
  groupAdds: GroupEntry[];
  groupMods: GroupEntry[];
  flowAdds: FlowEntry[];
  /** ADD over an existing entry whose cookie differs (replaces it atomically). */
  flowReplaces: FlowEntry[];
  flowMods: FlowEntry[];
  flowDeletes: FlowEntry[];
  groupDeletes: GroupEntry[];
}

export function emptyDiff(d: PipelineDiff): boolean {
  return (
    d.groupAdds.length + d.groupMods.length + d.flowAdds.length + d.flowReplaces.length + d.flowMods.length + d.flowDeletes.length + d.groupDeletes.length ===
    0
  );
}

export function diffSize(d: PipelineDiff): number {
  return d.groupAdds.length + d.groupMods.length + d.flowAdds.length + d.flowReplaces.length + d.flowMods.length + d.flowDeletes.length + d.groupDeletes.length;
}

function groupRefs(flows: FlowEntry[]): Set<number> {
  const s = new Set<number>();
  for (const f of flows) for (const i of f.instructions) if (i.type === 'apply') for (const a of i.actions) if (a.type === 'group') s.add(a.groupId);
  return s;
}

export function diffPipeline(desired: SwitchPipelineState, current: SwitchPipelineState, opts: ReconcileOptions = {}): PipelineDiff {
  const tables = new Set(opts.tables ?? PIPELINE_TABLES);
  const d: PipelineDiff = { groupAdds: [], groupMods: [], flowAdds: [], flowReplaces: [], flowMods: [], flowDeletes: [], groupDeletes: [] };

  const cur = new Map<string, FlowEntry>();
  for (const f of current.flows) {
    if (!tables.has(f.table)) continue;
    const k = flowKey(f);
    if (!cur.has(k)) cur.set(k, f); // duplicates cannot happen on a conforming switch; keep the first
  }
  const want = new Map<string, FlowEntry>();
  for (const f of desired.flows) {
    const k = flowKey(f);
    if (want.has(k)) throw new Error(`pipeline has two flows with the same table/priority/match: ${k}`);
    want.set(k, f);
  }
  for (const [k, f] of want) {
    const c = cur.get(k);
    if (!c) d.flowAdds.push(f);
    else if (c.cookie !== f.cookie) d.flowReplaces.push(f);
    else if (flowBody(c) !== flowBody(f)) d.flowMods.push(f);
  }
  for (const [k, c] of cur) {
    if (want.has(k)) continue;
    if (opts.ownedOnly && !isOurCookie(c.cookie)) continue;
    d.flowDeletes.push(c);
  }

  const curG = new Map(current.groups.map((g) => [g.groupId, g]));
  const wantG = new Map(desired.groups.map((g) => [g.groupId, g]));
  for (const [id, g] of wantG) {
    const c = curG.get(id);
    if (!c) d.groupAdds.push(g);
    else if (groupBody(c) !== groupBody(g)) d.groupMods.push(g);
  }
  // A group still referenced by a flow we keep (foreign flow in ownedOnly mode, or a table we do not own) stays.
  const keptFlows = current.flows.filter((f) => !tables.has(f.table) || (opts.ownedOnly && !isOurCookie(f.cookie)));
  const stillUsed = groupRefs(keptFlows);
  for (const [id, c] of curG) {
    if (wantG.has(id) || stillUsed.has(id)) continue;
    d.groupDeletes.push(c);
  }
  const byKey = (a: FlowEntry, b: FlowEntry): number => {
    const ka = flowKey(a);
    const kb = flowKey(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };
  d.flowAdds.sort(byKey);
  d.flowReplaces.sort(byKey);
  d.flowMods.sort(byKey);
  d.flowDeletes.sort(byKey);
  for (const arr of [d.groupAdds, d.groupMods, d.groupDeletes]) arr.sort((a, b) => a.groupId - b.groupId);
  return d;
}
