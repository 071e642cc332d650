// Failover: host liveness from two signals and the re-steer / re-place plan. Pure.
//
// A host is alive when its agent's ZooKeeper session holds its ephemeral host record AND its ToR port is up.
// - Port status (OFPT_PORT_STATUS: DELETE, or LINK_DOWN / PORT_DOWN) is seen by the controller immediately.
// - Session loss shows up when ZooKeeper expires the agent's session (within the session timeout).
// Either one makes the host dead. The plan has two phases:
//   1. immediately: recompile the pipeline without the dead host → steering moves to the hosts that still serve
//      each chain's ingress hop (or fails closed when none does);
//   2. re-place its instances on the surviving hosts (placement with the host dead); when those report ready,
//      the next recompile steers to them too.
import { compilePipeline, type CompiledPipeline } from '../pipeline/compile.js';
import type { PipelineModel } from '../pipeline/model.js';
import { place, type PlacementInput, type PlacementResult } from '../placement/placement.js';

export const OFPPS_LINK_DOWN = 1;
export const OFPPC_PORT_DOWN = 1;

export interface HostAttachment {
  id: string;
  port: number;
  dpid?: bigint;
}

export type LivenessEvent =
  | { kind: 'port-status'; at: number; dpid?: bigint; reason: 'ADD' | 'DELETE' | 'MODIFY'; port: { port_no: number; state: number; config: number } }
  | { kind: 'switch-down'; at: number; dpid?: bigint }
  | { kind: 'session-lost'; at: number; host: string }
  | { kind: 'session-up'; at: number; host: string };

export interface LivenessState {
  /** host → since when its port is down */
  portDown: Record<string, number>;
  /** host → since when its session is gone */
  sessionDown: Record<string, number>;
}

export interface LivenessTransition {
  host: string;
  alive: boolean;
  at: number;
  cause: 'port-down' | 'port-up' | 'session-lost' | 'session-up' | 'switch-down';
}

export function emptyLiveness(): LivenessState {
  return { portDown: {}, sessionDown: {} };
}

export function isAlive(s: LivenessState, host: string): boolean {
  return s.portDown[host] === undefined && s.sessionDown[host] === undefined;
}

export function portIsDown(reason: 'ADD' | 'DELETE' | 'MODIFY', port: { state: number; config: number }): boolean {
  return reason === 'DELETE' || (port.state & OFPPS_LINK_DOWN) !== 0 || (port.config & OFPPC_PORT_DOWN) !== 0;
}

/** Apply one event; returns the new state and the hosts whose liveness changed. */
export function applyLivenessEvent(prev: LivenessState, hosts: HostAttachment[], ev: LivenessEvent): { state: LivenessState; transitions: LivenessTransition[] } {
  const s: LivenessState = { portDown: { ...prev.portDown }, sessionDown: { ...prev.sessionDown } };
  const before = (h: string): boolean => isAlive(prev, h);
  const touched: Array<{ host: string; cause: LivenessTransition['cause'] }> = [];
  const onDp = (h: HostAttachment, dpid?: bigint): boolean => dpid === undefined || h.dpid === undefined || h.dpid === dpid;
  switch (ev.kind) {
    case 'port-status': {
      const down = portIsDown(ev.reason, ev.port);
      for (const h of hosts) {
        if (h.port !== ev.port.port_no || !onDp(h, ev.dpid)) continue;
        if (down) s.portDown[h.id] = s.portDown[h.id] ?? ev.at;
        else delete s.portDown[h.id];
        touched.push({ host: h.id, cause: down ? 'port-down' : 'port-up' });
      }
      break;
    }
    case 'switch-down':
      // the ToR itself is gone: every host behind it is unreachable until the switch (and its ports) come back
      for (const h of hosts) {
        if (!onDp(h, ev.dpid)) continue;
        s.portDown[h.id] = s.portDown[h.id] ?? ev.at;
        touched.push({ host: h.id, cause: 'switch-down' });
      }
      break;
    case 'session-lost':
      s.sessionDown[ev.host] = s.sessionDown[ev.host] ?? ev.at;
      touched.push({ host: ev.host, cause: 'session-lost' });
      break;
    case 'session-up':
      delete s.sessionDown[ev.host];
      touched.push({ host: ev.host, cause: 'session-up' });
      break;
  }
  const transitions: LivenessTransition[] = [];
  for (const { host, cause } of touched) {
    const now = isAlive(s, host);
    if (now !== before(host)) transitions.push({ host, alive: now, at: ev.at, cause });
  }
  return { state: s, transitions };
}

export interface FailoverPlan {
  dead: string[];
  /** Phase 1: pipeline without the dead hosts (install at once). */
  immediate: CompiledPipeline;
  /** Chains whose ingress changed because of the dead hosts. */
  resteered: string[];
  /** Chains with no ready ingress instance left (fail closed/open until re-placement is ready). */
  interrupted: string[];
  /** Phase 2: placement with the dead hosts' instances re-placed. */
  placement: PlacementResult;
}

/** Both phases for the current liveness. `model` and `placementInput` describe the cluster as known before the
 *  failure (instances on the dead hosts included); this marks the dead hosts and plans around them. */
export function planFailover(liveness: LivenessState, model: PipelineModel, placementInput: PlacementInput): FailoverPlan {
  const deadSet = new Set([...Object.keys(liveness.portDown), ...Object.keys(liveness.sessionDown)]);
  const dead = [...deadSet].sort();
  const before = compilePipeline(model);
  const immediate = compilePipeline({ ...model, hosts: model.hosts.map((h) => (deadSet.has(h.id) ? { ...h, alive: false } : h)) });
  const prevIngress = new Map(before.ingress.map((i) => [i.chain, JSON.stringify(i.targets)]));
  const resteered = immediate.ingress.filter((i) => prevIngress.get(i.chain) !== JSON.stringify(i.targets)).map((i) => i.chain).sort();
  const interrupted = immediate.ingress.filter((i) => i.mode === 'drop' || (i.mode === 'bypass' && i.service !== null)).map((i) => i.chain).sort();
  const placement = place({ ...placementInput, hosts: placementInput.hosts.map((h) => (deadSet.has(h.id) ? { ...h, alive: false } : h)) });
  return { dead, immediate, resteered, interrupted, placement };
}
