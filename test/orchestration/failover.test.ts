// Failover liveness state machine and plan (pure).
import test from 'ava';
import { applyLivenessEvent, emptyLiveness, isAlive, planFailover, type HostAttachment } from '../../controller/failover/failover.js';
import { TABLE } from '../../controller/pipeline/compile.js';
import type { PipelineModel } from '../../controller/pipeline/model.js';
import type { PlacementInput } from '../../controller/placement/placement.js';
import { diffPipeline } from '../../controller/pipeline/reconcile.js';

const hosts: HostAttachment[] = [
  { id: 'h1', port: 3, dpid: 1n },
  { id: 'h2', port: 4, dpid: 1n },
];
const port = (port_no: number, state = 0, config = 0) => ({ port_no, state, config });

test('port status: LINK_DOWN, PORT_DOWN and DELETE kill the host at once; MODIFY up revives it', (t) => {
  let s = emptyLiveness();
  let r = applyLivenessEvent(s, hosts, { kind: 'port-status', at: 10, dpid: 1n, reason: 'MODIFY', port: port(4, 1) });
  t.deepEqual(r.transitions, [{ host: 'h2', alive: false, at: 10, cause: 'port-down' }]);
  s = r.state;
  r = applyLivenessEvent(s, hosts, { kind: 'port-status', at: 11, dpid: 1n, reason: 'MODIFY', port: port(4, 1) });
  t.deepEqual(r.transitions, [], 'repeated down is not a new transition');
  t.is(r.state.portDown.h2, 10, 'keeps the first time');
  r = applyLivenessEvent(r.state, hosts, { kind: 'port-status', at: 12, dpid: 1n, reason: 'MODIFY', port: port(4, 4) });
  t.deepEqual(r.transitions, [{ host: 'h2', alive: true, at: 12, cause: 'port-up' }]);
  r = applyLivenessEvent(emptyLiveness(), hosts, { kind: 'port-status', at: 1, dpid: 1n, reason: 'MODIFY', port: port(3, 0, 1) });
  t.false(isAlive(r.state, 'h1'));
  r = applyLivenessEvent(emptyLiveness(), hosts, { kind: 'port-status', at: 1, dpid: 1n, reason: 'DELETE', port: port(3, 0, 0) });
  t.false(isAlive(r.state, 'h1'));
  r = applyLivenessEvent(emptyLiveness(), hosts, { kind: 'port-status', at: 1, dpid: 2n, reason: 'DELETE', port: port(3) });
  t.true(isAlive(r.state, 'h1'), 'another datapath');
  r = applyLivenessEvent(emptyLiveness(), hosts, { kind: 'port-status', at: 1, dpid: 1n, reason: 'MODIFY', port: port(9, 1) });
  t.deepEqual(r.transitions, [], 'not a host port');
});

test('both signals must be healthy: port up does not revive a host whose session is lost', (t) => {
  let r = applyLivenessEvent(emptyLiveness(), hosts, { kind: 'session-lost', at: 5, host: 'h1' });
  t.deepEqual(r.transitions, [{ host: 'h1', alive: false, at: 5, cause: 'session-lost' }]);
  r = applyLivenessEvent(r.state, hosts, { kind: 'port-status', at: 6, dpid: 1n, reason: 'MODIFY', port: port(3, 1) });
  t.deepEqual(r.transitions, []);
  r = applyLivenessEvent(r.state, hosts, { kind: 'port-status', at: 7, dpid: 1n, reason: 'MODIFY', port: port(3, 4) });
  t.deepEqual(r.transitions, []);
  t.false(isAlive(r.state, 'h1'));
  r = applyLivenessEvent(r.state, hosts, { kind: 'session-up', at: 8, host: 'h1' });
  t.deepEqual(r.transitions, [{ host: 'h1', alive: true, at: 8, cause: 'session-up' }]);
  const sw = applyLivenessEvent(emptyLiveness(), hosts, { kind: 'switch-down', at: 9, dpid: 1n });
  t.is(sw.transitions.length, 2);
});

const model: PipelineModel = {
  tenants: [{ id: 't1', ports: [1] }],
  hosts: [
    { id: 'h1', port: 3, mac: '02:00:00:00:00:03' },
    { id: 'h2', port: 4, mac: '02:00:00:00:00:04' },
  ],
  chains: [
    { id: 'web', tenant: 't1', match: {}, hops: [{ service: 'fw' }, { service: 'mon' }] },
    { id: 'db', tenant: 't1', priority: 200, match: { ipv4Dst: '10.0.9.0/24' }, hops: [{ service: 'mon' }] },
  ],
  instances: [
    { id: 'fw@h1:0', service: 'fw', host: 'h1' },
    { id: 'fw@h2:0', service: 'fw', host: 'h2' },
    { id: 'mon@h2:0', service: 'mon', host: 'h2' },
  ],
};
const pin: PlacementInput = {
  hosts: [
    { id: 'h1', capacity: 4 },
    { id: 'h2', capacity: 4 },
  ],
  services: [{ name: 'fw' }, { name: 'mon' }],
  chains: [
    { id: 'web', tenant: 't1', hops: ['fw', 'mon'], pathId: 1 },
    { id: 'db', tenant: 't1', hops: ['mon'], pathId: 2 },
  ],
  desired: { fw: 2, mon: 1 },
  current: [
    { service: 'fw', host: 'h1', index: 0 },
    { service: 'fw', host: 'h2', index: 0 },
    { service: 'mon', host: 'h2', index: 0 },
  ],
};

test('plan: immediate re-steer to the surviving ingress host, interrupted chains named, lost instances re-placed', (t) => {
  const r = applyLivenessEvent(emptyLiveness(), hosts, { kind: 'port-status', at: 1, dpid: 1n, reason: 'MODIFY', port: port(4, 1) });
  const plan = planFailover(r.state, model, pin);
  t.deepEqual(plan.dead, ['h2']);
  t.deepEqual(plan.resteered, ['db', 'web']);
  t.deepEqual(plan.interrupted, ['db'], 'mon only ran on h2');
  const web = plan.immediate.ingress.find((i) => i.chain === 'web')!;
  t.deepEqual(web.targets, { h1: 1 });
  const steerWeb = plan.immediate.flows.filter((f) => f.table === TABLE.STEER && f.owner?.startsWith('steer:web'));
  t.deepEqual(steerWeb.map((f) => f.instructions), [[{ type: 'apply', actions: [{ type: 'output', port: 3 }] }]]);
  t.deepEqual(plan.placement.lost.map((i) => `${i.service}@${i.host}`), ['fw@h2', 'mon@h2']);
  t.deepEqual(plan.placement.added.map((i) => `${i.service}@${i.host}:${i.index}`), ['fw@h1:1', 'mon@h1:0']);
  t.true(plan.placement.paths.every((p) => p.complete));
});

test('plan: the immediate phase changes only steering flows (and the ingress group) — a small batch', (t) => {
  const r = applyLivenessEvent(emptyLiveness(), hosts, { kind: 'session-lost', at: 1, host: 'h1' });
  const plan = planFailover(r.state, model, pin);
  const before = planFailover(emptyLiveness(), model, pin).immediate;
  const d = diffPipeline(plan.immediate, before);
  const touched = [...d.flowAdds, ...d.flowMods, ...d.flowDeletes, ...d.flowReplaces];
  t.true(touched.length > 0);
  for (const f of touched) t.is(f.table, TABLE.STEER);
  t.is(d.groupDeletes.length, 1, 'the two-host select group goes away');
});
