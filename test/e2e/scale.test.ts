// End to end, through REST only: scaling. (1) POST /api/v1/services/firewall/scale 1 → 3: new instances start, the
// traffic of many flows spreads over the three instances (per-instance counters via REST), and established flows
// (running through the scale-out) lose nothing (per-flow counts at s1). (2) Automatic scaling: generated overload
// → an instance is added (time measured), the load stops → it is removed again (time measured).
import test from 'ava';
import { sleep, waitFor } from '../../labs/lib/exec.js';
import type { ApiInstance } from '../../labs/lab/rest.js';
import { declareChain, extraClientIps, freshStats, startLab, startSink, startSource, type E2eLab } from './lab.js';

let lab: E2eLab | undefined;
// autoscaler thresholds low enough for the lab's python traffic generator; quick hysteresis for a short test
const SCALING = { outPps: 400, inPps: 150, outFill: 0.9, sustainMs: 1000, outCooldownMs: 1500, inCooldownMs: 1500, quietMs: 1000, drainTimeoutMs: 4000, staleMs: 4000 };
test.before(async () => {
  lab = await startLab({ orchestrator: { scaling: SCALING } });
  await declareChain(lab);
  for (const s of ['monitor', 'lb']) await lab.rest.put(`/api/v1/services/${s}/autoscale`, { enabled: false, minInstances: 1, maxInstances: 4 });
});
test.after.always(async () => { await lab?.down(); });

const running = async (L: E2eLab, service: string): Promise<ApiInstance[]> =>
  (await L.rest.get<ApiInstance[]>(`/api/v1/services/${service}/instances`)).filter((i) => i.state === 'running');

test.serial('scale 1 → 3 over REST: traffic spreads over the three instances, established flows are not lost', async (t) => {
  const L = lab!;
  t.is((await running(L, 'firewall')).length, 1);
  const sink = await startSink(L, 90);
  // established flows: 16 flows at 150 pps that run before, during and after the scale-out
  const est = await startSource(L, { pps: 150, seconds: 16, flows: 16, sportBase: 43001 });
  t.true(await waitFor(() => sink.counts().total >= 50, 20_000, 50));
  const t0 = performance.now();
  const res = await L.rest.post<{ service?: string; desired?: number }>('/api/v1/services/firewall/scale', { instances: 3 });
  t.log(`POST scale → ${JSON.stringify(res)}`);
  let inst: ApiInstance[] = [];
  t.true(await waitFor(async () => { inst = await running(L, 'firewall'); return inst.length === 3; }, 30_000, 100), `3 firewalls running: ${JSON.stringify(inst)}`);
  const scaleMs = performance.now() - t0;
  t.log(`scale 1 → 3: ${scaleMs.toFixed(0)} ms until 3 instances running (${inst.map((i) => `${i.service}:${i.index}@${i.host}`).join(', ')})`);
  const estSent = await est.done();
  await sleep(1500);
  const c = sink.counts();
  const perFlow = Object.entries(estSent.flows).map(([sport, n]) => ({ sport, sent: n, got: c.flows[sport] ?? 0 }));
  const lost = perFlow.reduce((a, f) => a + f.sent - f.got, 0);
  t.log(`established flows: ${perFlow.length} flows, ${estSent.sent} sent, ${lost} lost; worst flow ${Math.min(...perFlow.map((f) => f.got / f.sent)).toFixed(3)}`);
  t.is(perFlow.length, 16);
  for (const f of perFlow) t.true(f.got >= f.sent * 0.97, `flow ${f.sport}: ${f.got}/${f.sent}`);
  t.true(lost <= estSent.sent * 0.01, `≤ 1 % lost across the scale-out (${lost})`);

  // new flows after the scale-out: spread over the three instances
  const before = await freshStats(L.rest, Date.now());
  // 48 flows from 16 client addresses (the ToR's select group spreads by address; each manager by 5-tuple)
  const spread = await startSource(L, { pps: 300, seconds: 4, flows: 48, sportBase: 44001, srcIps: await extraClientIps(L, 16) });
  const sent = await spread.done();
  await sleep(500);
  const after = await freshStats(L.rest, Date.now());
  const per = inst.map((i) => { const k = `firewall:${i.index}@${i.host}`; return { k, n: (after.get(k)?.rxPkts ?? 0) - (before.get(k)?.rxPkts ?? 0) }; });
  t.log(`48 new flows from 16 addresses, ${sent.sent} datagrams: per firewall instance ${per.map((p) => `${p.k}=${p.n}`).join(', ')}`);
  const total = per.reduce((a, p) => a + p.n, 0);
  t.true(total >= sent.sent * 0.97, `the firewalls saw the traffic (${total}/${sent.sent})`);
  for (const p of per) t.true(p.n >= sent.sent * 0.1, `${p.k} carries a share (${p.n} of ${sent.sent})`);
  await sink.stop();
  await L.rest.post('/api/v1/services/firewall/scale', { instances: 1 });
  t.true(await waitFor(async () => (await running(L, 'firewall')).length === 1, 30_000, 200), 'back to one firewall');
});

test.serial('overload → an instance is added (time measured); load stops → it is removed (time measured)', async (t) => {
  const L = lab!;
  await L.rest.put('/api/v1/services/firewall/autoscale', { enabled: true, minInstances: 1, maxInstances: 3 });
  t.true(await waitFor(async () => (await running(L, 'firewall')).length === 1, 30_000, 200), 'one firewall before the load');
  await sleep(2500);
  const sink = await startSink(L, 60);
  const t0 = performance.now();
  const load = await startSource(L, { pps: 1200, seconds: 12, flows: 32, sportBase: 45001 });
  let n = 1;
  const out = await waitFor(async () => { n = (await running(L, 'firewall')).length; return n >= 2; }, 15_000, 100);
  const outMs = performance.now() - t0;
  t.true(out, `an instance was added under ${'>'}${SCALING.outPps} pps per instance`);
  t.log(`scale-out: ${n} firewalls running ${outMs.toFixed(0)} ms after the overload started (sustainMs ${SCALING.sustainMs}, stats every 1 s)`);
  const sent = await load.done();
  const t1 = performance.now();
  const back = await waitFor(async () => (await running(L, 'firewall')).length === 1, 30_000, 200);
  const inMs = performance.now() - t1;
  t.true(back, 'back to one instance after the load stopped');
  t.log(`scale-in: one firewall again ${inMs.toFixed(0)} ms after the load stopped; overload ${sent.sent} datagrams, s1 got ${sink.counts().total}`);
  t.true(outMs <= 10_000, `scale-out within 10 s (${outMs.toFixed(0)} ms)`);
  t.true(inMs <= 25_000, `scale-in within 25 s (${inMs.toFixed(0)} ms)`);
  t.true(sink.counts().total >= sent.sent * 0.9, `the overload traffic was delivered (${sink.counts().total}/${sent.sent})`);
  await sink.stop();
});
