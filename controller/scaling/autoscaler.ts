// Auto-scaling decisions for one service, as a pure state machine: (state, stats, clock) → (state, decisions).
// Off the packet path: the orchestrator feeds it the per-instance stats it reads from ZooKeeper (~1/s) and
// turns the decisions into a new desired count (placement) and drain/stop marks (assignments).
//
//   load high (ring fill ≥ outFill or pps/instance ≥ outPps) continuously for sustainMs → scale out (+step)
//   load low  (ring fill ≤ inFill and the load fits in n-1 instances under inPps) for sustainMs → scale in:
//       the least loaded instance is marked draining (no new flows), stopped when quiet or after drainTimeoutMs
//   after an action: no further scale-out for outCooldownMs, no scale-in for inCooldownMs
//   a REST override (desired count) wins immediately and suspends automatic decisions until cleared

export interface ScalingPolicy {
  min: number;
  max: number;
  /** RX ring fill (0..1) at or above which an instance is overloaded. */
  outFill: number;
  /** RX ring fill at or below which the service is idle. */
  inFill: number;
  /** Packets/s per instance at or above which the service needs more instances (optional). */
  outPps?: number;
  /** Scale in only if the total rate fits in n-1 instances at or below this many pps each (optional). */
  inPps?: number;
  /** A condition must hold this long before acting (hysteresis in time). */
  sustainMs: number;
  outCooldownMs: number;
  inCooldownMs: number;
  step: number;
  /** Samples older than this are ignored. */
  staleMs: number;
  /** A draining instance is stopped once its rate stayed 0 for quietMs ... */
  quietMs: number;
  /** ... or after this long anyway. */
  drainTimeoutMs: number;
}

export const DEFAULT_POLICY: ScalingPolicy = {
  min: 1,
  max: 8,
  outFill: 0.6,
  inFill: 0.05,
  sustainMs: 1000,
  outCooldownMs: 2000,
  inCooldownMs: 10000,
  step: 1,
  staleMs: 5000,
  quietMs: 1000,
  drainTimeoutMs: 15000,
};

export interface InstanceSample {
  instance: string;
  /** ms since epoch of the sample */
  t: number;
  pps: number;
  ringFill: number;
}

export interface ScalerState {
  service: string;
  /** Desired number of active (non-draining) instances. */
  target: number;
  override: number | null;
  highSince: number | null;
  lowSince: number | null;
  lastOutAt: number | null;
  lastInAt: number | null;
  draining: Array<{ instance: string; since: number; quietSince: number | null }>;
  /** Instances told to stop that may still be listed until the stop is applied (never counted again). */
  stopped: string[];
}

export type ScalingDecision =
  | { kind: 'scale-out'; service: string; from: number; to: number; reason: string }
  | { kind: 'scale-in'; service: string; from: number; to: number; drain: string; reason: string }
  | { kind: 'stop'; service: string; instance: string; reason: 'drained' | 'drain-timeout' | 'gone' };

export interface ScalerInput {
  now: number;
  /** Instances of the service that exist (running or starting), draining ones included. */
  instances: string[];
  samples: InstanceSample[];
}

export function initialState(service: string, target: number): ScalerState {
  return { service, target, override: null, highSince: null, lowSince: null, lastOutAt: null, lastInAt: null, draining: [], stopped: [] };
}

function clamp(n: number, p: ScalingPolicy): number {
  return Math.max(p.min, Math.min(p.max, n));
}

/** REST: set (number) or clear (null) the desired count. Takes effect at the next evaluate(). */
export function setOverride(s: ScalerState, desired: number | null): ScalerState {
  return { ...s, override: desired === null ? null : Math.max(0, Math.floor(desired)) };
}

export function evaluate(prev: ScalerState, policy: ScalingPolicy, input: ScalerInput): { state: ScalerState; decisions: ScalingDecision[] } {
  const { now } = input;
  const existing = new Set(input.instances);
  // forget stopped instances once they are gone from the list
  const s: ScalerState = { ...prev, draining: prev.draining.map((d) => ({ ...d })), stopped: (prev.stopped ?? []).filter((i) => existing.has(i)) };
  const decisions: ScalingDecision[] = [];
  const latest = new Map<string, InstanceSample>();
  for (const x of input.samples) {
    if (now - x.t > policy.staleMs) continue;
    const cur = latest.get(x.instance);
    if (!cur || x.t > cur.t) latest.set(x.instance, x);
  }

  // draining instances: stop when quiet long enough, on timeout, or when they vanished
  const stop = (instance: string): void => {
    if (existing.has(instance)) s.stopped.push(instance);
  };
  s.draining = s.draining.filter((d) => {
    if (!existing.has(d.instance)) {
      decisions.push({ kind: 'stop', service: s.service, instance: d.instance, reason: 'gone' });
      return false;
    }
    const x = latest.get(d.instance);
    if (x && x.pps === 0 && x.ringFill === 0) d.quietSince = d.quietSince ?? x.t;
    else if (x) d.quietSince = null;
    if (d.quietSince !== null && now - d.quietSince >= policy.quietMs) {
      decisions.push({ kind: 'stop', service: s.service, instance: d.instance, reason: 'drained' });
      stop(d.instance);
      return false;
    }
    if (now - d.since >= policy.drainTimeoutMs) {
      decisions.push({ kind: 'stop', service: s.service, instance: d.instance, reason: 'drain-timeout' });
      stop(d.instance);
      return false;
    }
    return true;
  });
  const drainingSet = new Set([...s.draining.map((d) => d.instance), ...s.stopped]);
  const active = input.instances.filter((i) => !drainingSet.has(i)).sort();

  const byLoad = (a: string, b: string): number => (latest.get(a)?.pps ?? 0) - (latest.get(b)?.pps ?? 0) || (a < b ? -1 : a > b ? 1 : 0);

  // REST override: converge to it immediately, no automatic decisions
  if (s.override !== null) {
    const want = s.override;
    s.highSince = null;
    s.lowSince = null;
    if (want > s.target) decisions.push({ kind: 'scale-out', service: s.service, from: s.target, to: want, reason: 'override' });
    let n = active.length;
    for (const inst of [...active].sort(byLoad)) {
      if (n <= want) break;
      decisions.push({ kind: 'scale-in', service: s.service, from: n, to: n - 1, drain: inst, reason: 'override' });
      s.draining.push({ instance: inst, since: now, quietSince: null });
      n--;
    }
    s.target = want;
    return { state: s, decisions };
  }

  // automatic
  const samples = active.map((i) => latest.get(i)).filter((x): x is InstanceSample => x !== undefined);
  if (active.length < s.target || samples.length === 0) {
    // instances still starting (or no fresh stats): do not judge the load yet
    s.highSince = null;
    s.lowSince = null;
    return { state: s, decisions };
  }
  const n = active.length;
  const totalPps = samples.reduce((a, x) => a + x.pps, 0);
  const maxFill = Math.max(...samples.map((x) => x.ringFill));
  const perInst = totalPps / n;
  const high = maxFill >= policy.outFill || (policy.outPps !== undefined && perInst >= policy.outPps);
  const low =
    maxFill <= policy.inFill && (policy.inPps === undefined || (n > 1 && totalPps / (n - 1) <= policy.inPps) || (n <= 1 && totalPps <= policy.inPps));

  s.highSince = high ? (s.highSince ?? now) : null;
  s.lowSince = low && !high ? (s.lowSince ?? now) : null;

  const lastAction = Math.max(s.lastOutAt ?? -Infinity, s.lastInAt ?? -Infinity);
  if (s.highSince !== null && now - s.highSince >= policy.sustainMs && (s.lastOutAt === null || now - s.lastOutAt >= policy.outCooldownMs)) {
    const to = clamp(n + policy.step, policy);
    if (to > n) {
      const why = maxFill >= policy.outFill ? `ring fill ${maxFill.toFixed(2)} ≥ ${policy.outFill}` : `${Math.round(perInst)} pps/instance ≥ ${policy.outPps}`;
      decisions.push({ kind: 'scale-out', service: s.service, from: n, to, reason: why });
      s.target = to;
      s.lastOutAt = now;
      s.highSince = null;
    }
  } else if (s.lowSince !== null && now - s.lowSince >= policy.sustainMs && (lastAction === -Infinity || now - lastAction >= policy.inCooldownMs)) {
    const to = clamp(n - policy.step, policy);
    if (to < n) {
      let cur = n;
      const victims = [...active].sort(byLoad).slice(0, n - to);
      for (const v of victims) {
        decisions.push({ kind: 'scale-in', service: s.service, from: cur, to: cur - 1, drain: v, reason: `idle: ring fill ${maxFill.toFixed(2)} ≤ ${policy.inFill}, ${Math.round(totalPps)} pps total` });
        s.draining.push({ instance: v, since: now, quietSince: null });
        cur--;
      }
      s.target = to;
      s.lastInAt = now;
      s.lowSince = null;
    }
  }
  return { state: s, decisions };
}
