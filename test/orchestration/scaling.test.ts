// Auto-scaler state machine driven by synthetic stat streams (pure).
import test from 'ava';
import { DEFAULT_POLICY, evaluate, initialState, setOverride, type ScalerState, type ScalingDecision, type ScalingPolicy } from '../../controller/scaling/autoscaler.js';

const policy: ScalingPolicy = { ...DEFAULT_POLICY, min: 1, max: 4, outFill: 0.6, inFill: 0.05, sustainMs: 1000, outCooldownMs: 2000, inCooldownMs: 5000, quietMs: 1000, drainTimeoutMs: 8000, staleMs: 3000 };

/** Closed-loop simulation: offered load split evenly over active instances, each serving capPps;
 *  ring fill grows with the excess. New instances become active startMs after a scale-out. */
function simulate(offered: (t: number) => number, opts: { until: number; capPps?: number; startMs?: number; tick?: number; p?: ScalingPolicy; state?: ScalerState }) {
  const p = opts.p ?? policy;
  const cap = opts.capPps ?? 1000;
  const tick = opts.tick ?? 250;
  let state = opts.state ?? initialState('fw', 1);
  let next = 0;
  let active: string[] = Array.from({ length: state.target }, () => `fw:${next++}`);
  const pending: Array<{ at: number; id: string }> = [];
  const log: Array<{ t: number; d: ScalingDecision }> = [];
  const counts: Array<{ t: number; n: number }> = [];
  for (let t = 0; t <= opts.until; t += tick) {
    while (pending.length && pending[0]!.at <= t) active.push(pending.shift()!.id);
    const draining = new Set(state.draining.map((d) => d.instance));
    const serving = active.filter((i) => !draining.has(i));
    const per = offered(t) / Math.max(1, serving.length);
    const samples = active.map((i) => (draining.has(i) ? { instance: i, t, pps: 0, ringFill: 0 } : { instance: i, t, pps: Math.min(per, cap), ringFill: Math.min(1, Math.max(0, (per - cap * 0.5) / cap)) }));
    const r = evaluate(state, p, { now: t, instances: [...active], samples });
    state = r.state;
    for (const d of r.decisions) {
      log.push({ t, d });
      if (d.kind === 'scale-out') for (let k = 0; k < d.to - d.from; k++) pending.push({ at: t + (opts.startMs ?? 500), id: `fw:${next++}` });
      if (d.kind === 'stop') active = active.filter((i) => i !== d.instance);
    }
    counts.push({ t, n: active.filter((i) => !state.draining.some((d) => d.instance === i)).length });
  }
  return { state, log, counts, active };
}

test('sustained overload scales out after sustainMs, then again only after the cooldown', (t) => {
  const { log } = simulate(() => 3500, { until: 6000 });
  const outs = log.filter((x) => x.d.kind === 'scale-out');
  t.true(outs.length >= 2, JSON.stringify(log));
  t.is(outs[0]!.t, 1000, 'first decision exactly when the overload has lasted sustainMs');
  t.true(outs[1]!.t - outs[0]!.t >= policy.outCooldownMs);
  t.deepEqual(outs.map((x) => (x.d.kind === 'scale-out' ? x.d.to : 0)).slice(0, 2), [2, 3]);
  t.false(log.some((x) => x.d.kind === 'scale-in'));
});

test('a spike shorter than sustainMs and a load oscillating around the threshold do nothing (hysteresis)', (t) => {
  const spike = simulate((tm) => (tm >= 1000 && tm < 1750 ? 5000 : 300), { until: 4000 });
  t.deepEqual(spike.log.filter((x) => x.d.kind === 'scale-out'), []);
  const osc = simulate((tm) => ((tm / 250) % 2 === 0 ? 1200 : 1000), { until: 6000 });
  // 1200 pps → fill 0.7 (high), 1000 pps → fill 0.5 (not high): never high for 1 s in a row
  t.deepEqual(osc.log, []);
});

test('overload then idle: out to the load, back in to min, draining the least loaded instance before stopping it', (t) => {
  const { log, counts } = simulate((tm) => (tm < 8000 ? 2800 : 0), { until: 30000 });
  const maxN = Math.max(...counts.map((c) => c.n));
  t.is(maxN, 3, JSON.stringify(log.map((x) => [x.t, x.d])));
  const ins = log.filter((x) => x.d.kind === 'scale-in');
  t.is(ins.length, 2);
  t.true(ins[0]!.t >= 8000 + policy.sustainMs);
  t.true(ins[1]!.t - ins[0]!.t >= policy.inCooldownMs, 'scale-in respects its cooldown');
  const stops = log.filter((x) => x.d.kind === 'stop');
  t.is(stops.length, 2);
  for (const s of stops) t.is(s.d.kind === 'stop' ? s.d.reason : '', 'drained');
  // each stop follows its drain by at least quietMs
  for (const s of stops) {
    const inst = s.d.kind === 'stop' ? s.d.instance : '';
    const drainedAt = ins.find((x) => x.d.kind === 'scale-in' && x.d.drain === inst)!.t;
    t.true(s.t - drainedAt >= policy.quietMs);
  }
  t.is(counts.at(-1)!.n, 1);
});

test('max and min bound automatic scaling', (t) => {
  const { counts } = simulate(() => 100000, { until: 20000 });
  t.is(Math.max(...counts.map((c) => c.n)), policy.max);
  const idle = simulate(() => 0, { until: 20000 });
  t.deepEqual(idle.log, []);
});

test('pps thresholds: scale out on rate per instance, scale in only if the rest can absorb the rate', (t) => {
  const p: ScalingPolicy = { ...policy, outFill: 1.1, inFill: 1, outPps: 800, inPps: 500 };
  let s = initialState('fw', 2);
  const feed = (now: number, pps: number) => {
    const r = evaluate(s, p, { now, instances: ['a', 'b'], samples: [{ instance: 'a', t: now, pps, ringFill: 0 }, { instance: 'b', t: now, pps, ringFill: 0 }] });
    s = r.state;
    return r.decisions;
  };
  t.deepEqual(feed(0, 300), []);
  // 2 × 300 = 600 total: does not fit in one instance under 500 → no scale-in, ever
  for (let now = 250; now <= 20000; now += 250) t.deepEqual(feed(now, 300), []);
  s = initialState('fw', 2);
  const d: ScalingDecision[] = [];
  for (let now = 0; now <= 3000; now += 250) d.push(...feed(now, 200));
  t.is(d.filter((x) => x.kind === 'scale-in').length, 1);
  s = initialState('fw', 2);
  const o: ScalingDecision[] = [];
  for (let now = 0; now <= 1500; now += 250) o.push(...feed(now, 900));
  t.deepEqual(o.map((x) => x.kind), ['scale-out']);
});

test('REST override wins immediately (no sustain/cooldown), suspends auto decisions, and clearing it resumes', (t) => {
  let s = setOverride(initialState('fw', 1), 3);
  const idle = (now: number, inst: string[]) => ({ now, instances: inst, samples: inst.map((i) => ({ instance: i, t: now, pps: 0, ringFill: 0 })) });
  let r = evaluate(s, policy, idle(0, ['fw:0']));
  t.deepEqual(r.decisions.map((d) => `${d.kind}:${d.kind === 'scale-out' ? d.to : ''}`), ['scale-out:3']);
  s = r.state;
  for (let now = 250; now <= 20000; now += 250) {
    r = evaluate(s, policy, idle(now, ['fw:0', 'fw:1', 'fw:2']));
    t.deepEqual(r.decisions, [], `no auto scale-in under an override (t=${now})`);
    s = r.state;
  }
  s = setOverride(s, 1);
  r = evaluate(s, policy, { now: 20250, instances: ['fw:0', 'fw:1', 'fw:2'], samples: [{ instance: 'fw:0', t: 20250, pps: 50, ringFill: 0 }, { instance: 'fw:1', t: 20250, pps: 10, ringFill: 0 }, { instance: 'fw:2', t: 20250, pps: 20, ringFill: 0 }] });
  t.deepEqual(r.decisions.map((d) => (d.kind === 'scale-in' ? d.drain : d.kind)), ['fw:1', 'fw:2'], 'least loaded drained first');
  s = setOverride(r.state, null);
  t.is(s.target, 1);
  r = evaluate(s, policy, { now: 20500, instances: ['fw:0', 'fw:1', 'fw:2'], samples: [{ instance: 'fw:0', t: 20500, pps: 10, ringFill: 0.9 }] });
  t.deepEqual(r.decisions, []);
});

test('stale samples are ignored; a draining instance that vanishes is reported gone; drain timeout stops a busy one', (t) => {
  let s = initialState('fw', 1);
  for (let now = 0; now <= 3000; now += 250) {
    const r = evaluate(s, policy, { now, instances: ['fw:0'], samples: [{ instance: 'fw:0', t: 0, pps: 5000, ringFill: 1 }] });
    s = r.state;
    if (now > policy.staleMs) t.deepEqual(r.decisions, []);
  }
  s = { ...initialState('fw', 1), draining: [{ instance: 'fw:9', since: 0, quietSince: null }, { instance: 'fw:8', since: 0, quietSince: null }] };
  const r = evaluate(s, policy, { now: policy.drainTimeoutMs, instances: ['fw:0', 'fw:8'], samples: [{ instance: 'fw:8', t: policy.drainTimeoutMs, pps: 10, ringFill: 0 }] });
  t.deepEqual(
    r.decisions.map((d) => (d.kind === 'stop' ? `${d.instance}:${d.reason}` : d.kind)),
    ['fw:9:gone', 'fw:8:drain-timeout'],
  );
});
