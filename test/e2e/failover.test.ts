// End to end, through REST only (plus observing at s1): the chain keeps working when the controller restarts (no
// policy lost, loss measured), when a host's link goes down (port status → re-place + re-steer, outage measured) and
// when a host agent is SIGKILLed (ZooKeeper session loss → re-place on the other host, outage measured).
import test from 'ava';
import { run, sleep, waitFor } from '../../labs/lib/exec.js';
import { isAlive, killProcess } from '../../labs/lib/proc.js';
import { controllerFacts, startController } from '../../labs/steps/controller.js';
import { persistInfo } from '../../labs/lab/lab.js';
import type { ApiInstance, ApiSwitch } from '../../labs/lab/rest.js';
import { declareChain, labProcess, outageOf, sampleSink, startLab, startSink, startSource, type E2eLab } from './lab.js';

let lab: E2eLab | undefined;
const PPS = 200;
test.before(async () => {
  lab = await startLab();
  await declareChain(lab);
});
test.after.always(async () => { await lab?.down(); });

const policy = async (L: E2eLab): Promise<unknown> => ({
  tenants: await L.rest.get('/api/v1/tenants'),
  services: ((await L.rest.get<Array<Record<string, unknown>>>('/api/v1/services')).map(({ desiredInstances: _d, ...s }) => s)),
  chains: await L.rest.get('/api/v1/chains'),
});

/** Steady traffic c1 → s1 until it reaches s1, then `event`, then keep going `afterS` seconds. */
async function during(L: E2eLab, seconds: number, event: () => Promise<void>): Promise<{ sent: number; received: number; t0: number; samples: Array<[number, number]> }> {
  const sink = await startSink(L, seconds + 30);
  const src = await startSource(L, { pps: PPS, seconds, flows: 8, sportBase: 42001 });
  if (!(await waitFor(() => sink.counts().total >= 50, 20_000, 50))) throw new Error('no traffic through the chain before the event');
  const s = sampleSink(sink, 50);
  await sleep(500);
  const t0 = performance.now();
  await event();
  const sent = await src.done();
  await sleep(1500);
  s.stop();
  const received = sink.counts().total;
  await sink.stop();
  return { sent: sent.sent, received, t0, samples: s.samples };
}

test.serial('controller restart: no policy lost, traffic keeps flowing (loss measured)', async (t) => {
  const L = lab!;
  const before = await policy(L);
  const f = controllerFacts(L.ctx);
  let apiBackMs = 0;
  const r = await during(L, 14, async () => {
    const t0 = performance.now();
    await killProcess(f.pid, f.startTime);
    t.false(isAlive(f.pid, f.startTime));
    await startController(L.ctx, Number(new URL(f.api).port), f.token);
    persistInfo(L.ctx);
    apiBackMs = performance.now() - t0;
  });
  const lost = r.sent - r.received;
  t.log(`controller restart: API + switch back after ${apiBackMs.toFixed(0)} ms; traffic ${r.received}/${r.sent} delivered, ${lost} lost (${(lost / PPS * 1000).toFixed(0)} ms at ${PPS} pps)`);
  t.deepEqual(await policy(L), before, 'tenants, services and chains unchanged after the restart');
  const sw = await L.rest.get<ApiSwitch[]>('/api/v1/switches');
  t.is(sw.length, 1, 'tor0 reconnected to the new controller');
  t.true(lost <= r.sent * 0.01, `at most 1 % lost across the restart (${lost}/${r.sent})`);
  t.true(apiBackMs < 30_000);
});

test.serial('a host link goes down: traffic restored through the other host (outage measured)', async (t) => {
  const L = lab!;
  const inst = (await L.rest.get<ApiInstance[]>('/api/v1/instances')).filter((i) => i.state === 'running');
  const ingress = inst.find((i) => i.service === 'firewall')!.host;
  const link = L.node(ingress).switchIf;
  const r = await during(L, 12, async () => { await run('ip', ['link', 'set', link, 'down']); });
  const o = outageOf(r.samples, r.t0, PPS);
  const lost = r.sent - r.received;
  t.log(`link ${link} (ingress host ${ingress}) down: delivery stopped at +${o.stoppedMs?.toFixed(0)} ms, restored at +${o.restoredMs?.toFixed(0)} ms; ${lost}/${r.sent} lost (${(lost / PPS * 1000).toFixed(0)} ms of traffic)`);
  const after = (await L.rest.get<ApiInstance[]>('/api/v1/instances')).filter((i) => i.state === 'running');
  t.log(`instances after: ${after.map((i) => `${i.service}:${i.index}@${i.host}`).join(', ')}`);
  t.true(r.received > 0.5 * r.sent, 'most traffic delivered');
  t.true(lost / PPS * 1000 <= 5000, `outage ≤ 5 s of traffic (${(lost / PPS * 1000).toFixed(0)} ms)`);
  // the tail of the run was delivered in full: restored
  const last = r.samples.at(-1)!;
  const mid = r.samples.find(([ts]) => ts >= last[0] - 3500)!;
  t.true(last[1] - mid[1] >= 0.8 * PPS * 2, `delivery restored at the end (${last[1] - mid[1]} in the last ~2 s of traffic)`);
  await run('ip', ['link', 'set', link, 'up']);
  t.true(await waitFor(async () => (await L.rest.get<unknown[]>('/api/v1/hosts')).length === L.ctx.info.topology.nodes.filter((n) => n.role === 'host').length, 20_000, 200));
});

test.serial('a host agent is SIGKILLed: ZooKeeper session loss → NFs re-placed, traffic restored (outage measured)', async (t) => {
  const L = lab!;
  await sleep(2000);
  const inst = (await L.rest.get<ApiInstance[]>('/api/v1/instances')).filter((i) => i.state === 'running');
  const victim = inst.find((i) => i.service === 'firewall')!.host;
  const p = labProcess(L, `agent-${victim}`);
  const r = await during(L, 20, async () => { process.kill(p.pid, 'SIGKILL'); });
  const o = outageOf(r.samples, r.t0, PPS);
  const lost = r.sent - r.received;
  const after = (await L.rest.get<ApiInstance[]>('/api/v1/instances')).filter((i) => i.state === 'running');
  t.log(`agent ${victim} SIGKILLed: delivery stopped at +${o.stoppedMs?.toFixed(0)} ms, restored at +${o.restoredMs?.toFixed(0)} ms; ${lost}/${r.sent} lost (${(lost / PPS * 1000).toFixed(0)} ms of traffic)`);
  t.log(`instances after: ${after.map((i) => `${i.service}:${i.index}@${i.host}`).join(', ')}`);
  t.false(isAlive(p.pid, p.startTime));
  t.false(after.some((i) => i.host === victim), 'no instance left on the dead host');
  t.true(['firewall', 'monitor', 'lb'].every((s) => after.some((i) => i.service === s)), 'every service runs again');
  t.true(o.restoredMs !== undefined && o.restoredMs <= 15_000, `restored within 15 s (${o.restoredMs?.toFixed(0)} ms)`);
  const last = r.samples.at(-1)!;
  const mid = r.samples.find(([ts]) => ts >= last[0] - 3500)!;
  t.true(last[1] - mid[1] >= 0.8 * PPS * 2, `delivery restored at the end (${last[1] - mid[1]} in the last ~2 s)`);
});
