// ScalingPort and PipelinePort over the controller's orchestrator (controller/orchestrator.ts), typed
// structurally so that this module only depends on the shapes it uses.
import type { FlowEntry } from '../../controller/pipeline/flows.js';
import { toFlowMod } from '../../controller/pipeline/ofmsg.js';
import type { FlowSpec, PipelinePort, ScalingPort } from '../ports.js';
import { instructionsToStr } from '../ryu/actions.js';
import { matchToStr } from '../ryu/match.js';

export interface OrchestratorLike {
  readonly last: { pipeline: { flows: FlowEntry[] } } | null;
  setDesiredCount(service: string, count: number | null): Promise<void>;
  scalingState(): Array<{ service: string; target: number; override: number | null }>;
}

export function orchestratorScaling(o: OrchestratorLike): ScalingPort {
  return {
    setDesired: (service, count) => o.setDesiredCount(service, count),
    state: (service) => {
      const s = o.scalingState().find((x) => x.service === service);
      return s ? { target: s.target, override: s.override } : undefined;
    },
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
    compiled: (dpid) => {
      const flows = o.last?.pipeline.flows ?? [];
      return flows.filter((f) => (f as FlowEntry & { dpid?: bigint }).dpid === undefined || (f as FlowEntry & { dpid?: bigint }).dpid === dpid).map(flowSpecOf);
    },
  };
}
