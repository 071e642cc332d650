// ScalingPort and PipelinePort over the controller's orchestrator (controller/orchestrator.ts), typed
// structurally so that this module only depends on the shapes it uses.
import type { FlowEntry } from '../../controller/pipeline/flows.js';
import type { OffloadDecision } from '../../controller/pipeline/compile.js';
import type { ScalingPolicy } from '../../controller/scaling/autoscaler.js';
import { toFlowMod } from '../../controller/pipeline/ofmsg.js';
import type { EffectiveAutoscale, FlowSpec, PipelinePort, ScalingPort } from '../ports.js';
import { instructionsToStr } from '../ryu/actions.js';
import { matchToStr } from '../ryu/match.js';

export interface OrchestratorLike {
  readonly last: { pipeline: { flows: FlowEntry[] } } | null;
  setDesiredCount(service: string, count: number | null): Promise<void>;
  scalingState(): Array<{ service: string; target: number; override: number | null }>;
  scalingPolicy?(service: string): ScalingPolicy;
  compiledFor?(dpid: bigint): { flows: FlowEntry[]; offloads: OffloadDecision[]; problems: string[] } | null;
}

function effective(p: ScalingPolicy): EffectiveAutoscale {
  const out: EffectiveAutoscale = {
    minInstances: p.min, maxInstances: p.max, outFill: p.outFill, inFill: p.inFill, sustainMs: p.sustainMs,
    outCooldownMs: p.outCooldownMs, inCooldownMs: p.inCooldownMs, step: p.step, quietMs: p.quietMs,
    drainTimeoutMs: p.drainTimeoutMs, staleMs: p.staleMs,
  };
  if (p.outPps !== undefined) out.outPps = p.outPps;
  if (p.inPps !== undefined) out.inPps = p.inPps;
  return out;
}

export function orchestratorScaling(o: OrchestratorLike): ScalingPort {
  return {
    setDesired: (service, count) => o.setDesiredCount(service, count),
    state: (service) => {
      const s = o.scalingState().find((x) => x.service === service);
      return s ? { target: s.target, override: s.override } : undefined;
    },
    policy: (service) => (o.scalingPolicy ? effective(o.scalingPolicy(service)) : undefined),
  };
}

/** The last pass's compiled flows, rendered in Ryu's ofctl style (match names, action strings). */
export function flowSpecOf(f: FlowEntry): FlowSpec {
  const fm = toFlowMod(f, 0);
  const spec: FlowSpec = {
    table_id: f.table,
    priority: f.priority,
    cookie: '0x' + f.cookie.toString(16),
    match: matchToStr(fm.match) as Record<string, string | number>,
    actions: instructionsToStr(fm.instructions) as FlowSpec['actions'],
  };
  if (f.owner) spec.origin = f.owner;
  return spec;
}

export function orchestratorPipeline(o: OrchestratorLike): PipelinePort {
  return {
    compiled: (dpid) => (o.compiledFor ? (o.compiledFor(dpid)?.flows ?? []) : (o.last?.pipeline.flows ?? [])).map(flowSpecOf),
    report: (dpid) => {
      const p = o.compiledFor ? o.compiledFor(dpid) : (o.last?.pipeline as { offloads?: OffloadDecision[]; problems?: string[] } | undefined);
      return { offloads: (p?.offloads ?? []).map((d) => ({ ...d })), problems: [...(p?.problems ?? [])] };
    },
  };
}
