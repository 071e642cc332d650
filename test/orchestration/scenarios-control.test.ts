// Control-plane end-to-end scenarios: real ZooKeeper, real OVS ToR, our OpenFlow controller + orchestrator, and
// host agents running the real agent logic (host/cluster-sync.ts) over a scripted NF runner (no DPDK data plane:
// traffic through the NFs is covered by the lab scenarios). Every timing is measured and asserted.
import test from 'ava';
import { ControlPlaneRig } from './rig.js';
import { waitFor } from '../../labs/lib/exec.js';

const chain = { id: 'web', tenant: 't1', services: ['fw', 'mon'], match: { inPort: 1, ipDst: '10.0.2.0/24' } };
const base = { tenantPorts: [1, 2], chains: [chain], services: [{ name: 'fw', min: 1, max: 4 }, { name: 'mon', min: 1, max: 4 }] };

test.serial('chain → instances started by the agents → steering to the ingress host; REST scale 1 → 3 spreads and keeps the flow', async (t) => {
  const rig = await ControlPlaneRig.start({ ...base, hosts: 2 });
  try {
    t.true(await waitFor(async () => (await rig.running('fw')).length === 1 && (await rig.running('mon')).length === 1, 10_000, 10), 'agents run the placed instances');
    t.deepEqual(await rig.running('fw'), ['h1:0']);
    t.true(await waitFor(async () => (await rig.steering()).some((f) => /actions=output:11$/.test(f.rest)), 10_000, 10), 'steered to h1 (port 11)');
    const frame = 'in_port(1),eth(src=02:00:00:00:00:01,dst=02:00:00:00:00:02),eth_type(0x0800),ipv4(src=10.0.1.5,dst=10.0.2.7,proto=17,tos=0,ttl=64,frag=no),udp(src=1000,dst=80)';
    await rig.ovs.appctl('netdev-dummy/receive', `${rig.br}-p1`, frame);
    t.true(await waitFor(async () => (await rig.steering())[0]?.packets === 1, 5000, 20));

    const t0 = performance.now();
    await rig.orch!.setDesiredCount('fw', 3);
    t.true(await waitFor(async () => (await rig.running('fw')).length === 3, 10_000, 5), `fw running: ${(await rig.running('fw')).join()}`);
    const { at } = await rig.waitPass((p) => Object.values(p.pipeline.ingress[0]?.targets ?? {}).reduce((a, b) => a + b, 0) === 3 && p.installs.every((i) => !i.error), t0);
    t.log(`REST scale 1 → 3: instances running and steering weights installed in ${(at - t0).toFixed(0)} ms`);
    t.true(at - t0 < 3000);
    t.deepEqual([...new Set((await rig.running('fw')).map((x) => x.split(':')[0]))].sort(), ['h1', 'h2'], 'spread over both hosts');
    const groups = await rig.ovs.ofctl('dump-groups', rig.br);
    t.regex(groups, /type=select/);
    t.regex(groups, /weight:2.*output:11|output:11.*weight:2|weight:2,actions=output:11/);
    const after = await rig.steering();
    t.is(after.length, 1);
    t.regex(after[0]!.rest, /group:\d+/);
    t.is(after[0]!.packets, 1, 'the steering flow was modified in place (its counter survived): no traffic disturbance');
  } finally {
    await rig.stop();
  }
});

test.serial('overload → automatic scale-out (timed), load gone → scale-in drains the instance before stopping it', async (t) => {
  const rig = await ControlPlaneRig.start({
    ...base,
    hosts: 2,
    statsIntervalMs: 100,
    scaling: { sustainMs: 300, outCooldownMs: 1000, inCooldownMs: 1500, quietMs: 300, drainTimeoutMs: 5000, staleMs: 3000 },
  });
  try {
    t.true(await waitFor(async () => (await rig.running('fw')).length === 1, 10_000, 10));
    const t0 = performance.now();
    for (const a of rig.agents.values()) a.runner.load.set('fw', { pps: 900_000, ringFill: 0.95 });
    t.true(await waitFor(async () => (await rig.running('fw')).length >= 2, 10_000, 5), 'a second firewall runs');
    const { at } = await rig.waitPass((p) => Object.values(p.pipeline.ingress[0]?.targets ?? {}).reduce((a, b) => a + b, 0) >= 2 && p.installs.length > 0 && p.installs.every((i) => !i.error), t0);
    const outMs = at - t0;
    t.log(`overload → second instance running and steered in ${outMs.toFixed(0)} ms (300 ms sustain + 100 ms stats period)`);
    // the speed target (≤ 2 s) is judged in bench/ (suite system); here: the hysteresis held
    t.true(outMs >= 300, `scale-out after ${outMs} ms, not before the 300 ms sustain`);
    const outDecision = rig.events.find((e) => e.ev.type === 'scaling' && e.ev.decision.kind === 'scale-out');
    t.truthy(outDecision);

    // load stops: back to 1, through draining
    for (const a of rig.agents.values()) a.runner.load.set('fw', { pps: 0, ringFill: 0 });
    const drained = await waitFor(async () => (await Promise.all([...rig.agents.keys()].map((h) => rig.assigned(h)))).some((l) => l.some((x) => x.includes('(draining)'))), 15_000, 5);
    t.true(drained, 'an instance is marked draining in its assignment first');
    const nRunning = (await rig.running('fw')).length;
    const drainPass = await rig.waitPass((p) => p.placement.instances.filter((i) => i.service === 'fw').length === nRunning - 1, t0);
    t.is(Object.values(drainPass.pass.pipeline.ingress[0]!.targets).reduce((a, b) => a + b, 0), nRunning - 1, 'the draining instance no longer attracts steering');
    t.true(await waitFor(async () => (await rig.running('fw')).length === 1, 15_000, 10), `back to one firewall: ${(await rig.running('fw')).join()}`);
    const kinds = rig.events.filter((e) => e.ev.type === 'scaling').map((e) => (e.ev.type === 'scaling' ? e.ev.decision.kind : ''));
    t.true(kinds.indexOf('scale-in') >= 0 && kinds.indexOf('stop') > kinds.indexOf('scale-in'), `decisions: ${kinds.join(',')}`);
  } finally {
    await rig.stop();
  }
});

test.serial('host loss: link down re-steers at once (timed); agent death re-places its instances on the survivor', async (t) => {
  const rig = await ControlPlaneRig.start({ ...base, hosts: 2, services: [{ name: 'fw', min: 2, max: 4 }, { name: 'mon', min: 1, max: 4 }] });
  try {
    t.true(await waitFor(async () => (await rig.running('fw')).length === 2, 10_000, 10));
    t.true(await waitFor(async () => (await rig.steering()).some((f) => /group:/.test(f.rest)), 10_000, 10));
    // link loss on h2's port
    const t0 = performance.now();
    await rig.setLink('h2', false);
    const { at } = await rig.waitPass((p) => p.pipeline.ingress[0]?.targets.h2 === undefined && p.installs.length > 0 && p.installs.every((i) => i.result !== undefined), t0);
    const failMs = at - t0;
    t.log(`link down → steering away from h2 confirmed by barrier in ${failMs.toFixed(1)} ms`);
    // the speed target (≤ 0.5 s) is judged in bench/ (suite system); here: the port status drove it, not a timeout
    const down = rig.events.find((e) => e.ev.type === 'liveness' && e.ev.transition.host === 'h2' && !e.ev.transition.alive);
    t.is(down?.ev.type === 'liveness' ? down.ev.transition.cause : undefined, 'port-down', `failover in ${failMs} ms`);
    const st = await rig.steering();
    t.true(st.some((f) => /actions=output:11$/.test(f.rest)), JSON.stringify(st));
    t.true(await waitFor(async () => (await rig.running('fw')).length === 2 && (await rig.running('fw')).every((x) => x.startsWith('h1')), 10_000, 10), `fw re-placed on h1: ${(await rig.running('fw')).join()}`);
    await rig.setLink('h2', true);
    t.true(await waitFor(() => rig.orch!.livenessState().portDown.h2 === undefined, 5000, 10));

    // agent h1 dies: everything goes to h2
    const t1 = performance.now();
    await rig.killAgent('h1');
    t.true(await waitFor(async () => (await rig.running('fw')).length === 2 && (await rig.running('fw')).every((x) => x.startsWith('h2')) && (await rig.running('mon')).every((x) => x.startsWith('h2')), 15_000, 5), `after h1 died: fw ${(await rig.running('fw')).join()} mon ${(await rig.running('mon')).join()}`);
    t.true(await waitFor(async () => (await rig.steering()).some((f) => /actions=output:12$/.test(f.rest)), 10_000, 5));
    t.log(`agent session lost → instances running on the survivor and steered in ${(performance.now() - t1).toFixed(0)} ms`);
  } finally {
    await rig.stop();
  }
});

test.serial('controller restart: policy survives in ZooKeeper, reconciliation sends nothing, flows keep counters', async (t) => {
  const rig = await ControlPlaneRig.start({ ...base, hosts: 2 });
  try {
    t.true(await waitFor(async () => (await rig.steering()).some((f) => /actions=output:11$/.test(f.rest)), 10_000, 10));
    const frame = 'in_port(1),eth(src=02:00:00:00:00:01,dst=02:00:00:00:00:02),eth_type(0x0800),ipv4(src=10.0.1.5,dst=10.0.2.7,proto=17,tos=0,ttl=64,frag=no),udp(src=1000,dst=80)';
    for (let i = 0; i < 4; i++) await rig.ovs.appctl('netdev-dummy/receive', `${rig.br}-p1`, frame);
    t.true(await waitFor(async () => (await rig.steering())[0]?.packets === 4, 5000, 20));
    const before = await rig.steering();
    const assignmentsBefore = (await Promise.all(['h1', 'h2'].map((h) => rig.assigned(h)))).map((l) => l.join());
    await rig.stopControl();
    // while the controller is away the switch keeps forwarding (fail-mode secure keeps the flows)
    await rig.ovs.appctl('netdev-dummy/receive', `${rig.br}-p1`, frame);
    t.true(await waitFor(async () => (await rig.steering())[0]?.packets === 5, 5000, 20), 'traffic keeps being steered with no controller');
    const t0 = performance.now();
    await rig.startControl();
    const { pass, at } = await rig.waitPass((p) => p.installs.length > 0, t0 - 1);
    t.log(`controller restart → switch reconnected and reconciled in ${(at - t0).toFixed(0)} ms, ${pass.installs[0]!.result?.changes} changes`);
    t.is(pass.installs[0]!.result?.changes, 0);
    t.deepEqual(pass.assignmentsWritten, [], 'no assignment rewritten');
    t.deepEqual((await Promise.all(['h1', 'h2'].map((h) => rig.assigned(h)))).map((l) => l.join()), assignmentsBefore);
    t.is(rig.cluster!.chains()[0]?.id, 'web', 'policy still there');
    const after = await rig.steering();
    t.deepEqual(after.map((f) => f.rest), before.map((f) => f.rest));
    t.is(after[0]!.packets, 5, 'counters kept: flows never re-created');
  } finally {
    await rig.stop();
  }
});
