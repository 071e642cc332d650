// Cluster records → pipeline/placement models, and the orchestrator's environment options (pure).
import test from 'ava';
import { chainSpecOf, orchestratorOptionsFromEnv, pipelineModelOf, placementInputOf, tenantSpecsOf, type ClusterSnapshot } from '../../controller/orchestrator.js';
import { emptyLiveness } from '../../controller/failover/failover.js';

const snap: ClusterSnapshot = {
  hosts: new Map([
    ['h1', { v: 1, id: 'h1', mac: '02:00:00:00:00:0b', tunnelIp: '10.0.0.11', switch: { dpid: '00000000000000aa', port: 11 }, cores: 2, capacity: { maxInstances: 3 }, startedAt: 0 }],
  ]),
  services: new Map([['fw', { v: 1, name: 'fw', id: 1, kind: 'native' as const, limits: { minInstances: 1, maxInstances: 2 } }]]),
  tenants: [{ id: 't1', name: 'T', ports: [1, 2], vlan: 10 }],
  chains: [{ id: 'c', tenant: 't1', pathId: 7, services: ['fw'], match: { inPort: 1, vlan: 20, ipSrc: '10.1.0.0/16', ipProto: 6, tpDst: 443 }, priority: 5 }],
  instances: [
    { v: 1, service: 'fw', serviceId: 1, host: 'h1', index: 0, state: 'running', startedAt: 0 },
    { v: 1, service: 'fw', serviceId: 1, host: 'h1', index: 1, state: 'starting', startedAt: 0 },
  ],
  assignments: new Map([['h1', [{ service: 'fw', index: 0 }, { service: 'fw', index: 1 }, { service: 'fw', index: 2 }]]]),
};

test('chain record → pipeline chain (5-tuple, priority, chain VLAN as a tenant variant)', (t) => {
  const c = chainSpecOf(snap.chains[0]!);
  t.deepEqual(c, { id: 'c', tenant: 't1#vlan20', priority: 5, match: { inPorts: [1], ipv4Src: '10.1.0.0/16', ipProto: 6, dstPort: 443 }, hops: [{ service: 'fw' }] });
  t.deepEqual(tenantSpecsOf(snap.tenants, snap.chains), [
    { id: 't1', ports: [1, 2], vlan: 10 },
    { id: 't1#vlan20', ports: [1, 2], vlan: 20 },
  ]);
});

test('pipeline model: ready = running and not draining; host port/MAC/dpid from the host record', (t) => {
  const m = pipelineModelOf(snap, emptyLiveness(), new Set(['h1/fw:0']));
  t.deepEqual(m.hosts, [{ id: 'h1', port: 11, mac: '02:00:00:00:00:0b', dpid: 0xaan, alive: true }]);
  t.deepEqual(m.instances.map((i) => `${i.id}:${i.ready}`), ['h1/fw:0:false', 'h1/fw:1:false']);
  const m2 = pipelineModelOf(snap, { portDown: { h1: 1 }, sessionDown: {} }, new Set());
  t.false(m2.hosts[0]!.alive);
  t.deepEqual(m2.instances.map((i) => i.ready), [true, false]);
});

test('placement input: capacity from maxInstances, draining instances avoided not kept, path id carried', (t) => {
  const p = placementInputOf(snap, emptyLiveness(), { fw: 2 }, new Set(['h1/fw:2']), 'spread');
  t.deepEqual(p.hosts, [{ id: 'h1', capacity: 3, alive: true }]);
  t.deepEqual(p.current.map((c) => c.index), [0, 1]);
  t.deepEqual(p.avoid?.map((c) => c.index), [2]);
  t.deepEqual(p.chains, [{ id: 'c', tenant: 't1', hops: ['fw'], pathId: 7 }]);
  t.deepEqual(p.options, { hopAffinity: 'spread' });
});

test('RACKVISOR_ORCHESTRATOR: parsed, validated, bad JSON rejected', (t) => {
  t.deepEqual(orchestratorOptionsFromEnv({}), {});
  const o = orchestratorOptionsFromEnv({ RACKVISOR_ORCHESTRATOR: '{"hopAffinity":"spread","scaling":{"sustainMs":500},"endpoints":[{"mac":"02:00:00:00:00:01","port":101,"dpid":"7277"}],"resyncMs":0}' });
  t.is(o.hopAffinity, 'spread');
  t.deepEqual(o.scaling, { sustainMs: 500 });
  t.deepEqual(o.endpoints, [{ mac: '02:00:00:00:00:01', port: 101, dpid: 0x7277n }]);
  t.is(o.resyncMs, 0);
  t.throws(() => orchestratorOptionsFromEnv({ RACKVISOR_ORCHESTRATOR: '{nope' }), { message: /not valid JSON/ });
  t.throws(() => orchestratorOptionsFromEnv({ RACKVISOR_ORCHESTRATOR: '{"endpoints":[{"mac":1}]}' }), { message: /endpoints/ });
});
