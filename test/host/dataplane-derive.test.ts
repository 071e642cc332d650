// deriveDataplane (pure): what a host's manager must hold, from the cluster records the controller writes.
import test from 'ava';
import { deriveDataplane, type ClusterInputs } from '../../host/dataplane-derive.js';
import type { AssignmentDoc, Chain, HostRecord, InstanceRecord, ServiceRecord } from '../../cluster/schemas.js';

const host = (id: string, n: number): HostRecord => ({ v: 1, id, mac: `02:00:00:00:00:0${n}`, tunnelIp: `10.99.0.${n}`, switch: { dpid: '0000000000000001', port: n }, cores: 2, capacity: { maxInstances: 4 }, startedAt: 0 });
const svc = (name: string, id: number): ServiceRecord => ({ v: 1, name, id, kind: 'native', limits: { minInstances: 1, maxInstances: 4 } });
const inst = (service: string, h: string, state: InstanceRecord['state'] = 'running', index = 0): InstanceRecord => ({ v: 1, service, serviceId: 0, host: h, index, state, startedAt: 0 });
const assign = (h: string, ...services: string[]): [string, AssignmentDoc] => [h, { v: 1, host: h, instances: services.map((s) => ({ service: s, index: 0 })) }];

function inputs(self: string, over: Partial<ClusterInputs> = {}): ClusterInputs {
  const hosts = new Map([['h1', host('h1', 1)], ['h2', host('h2', 2)], ['h3', host('h3', 3)]]);
  const chains: Chain[] = [{ id: 'web', tenant: 't1', pathId: 7, services: ['fw', 'mon'], match: { inPort: 1, ipDst: '10.0.0.0/24', ipProto: 17, tpDst: 53 } }];
  return {
    self: { id: self, mac: hosts.get(self)!.mac, tunnelIp: hosts.get(self)!.tunnelIp },
    hosts, services: new Map([['fw', svc('fw', 1)], ['mon', svc('mon', 2)]]), chains,
    instances: [inst('fw', 'h1'), inst('mon', 'h2')],
    assignments: new Map([assign('h1', 'fw'), assign('h2', 'mon')]),
    ...over,
  };
}

test('ingress host: path, tunnels to the others, next hop remote, chain rule, default path 0', (t) => {
  const c = deriveDataplane(inputs('h1'));
  t.deepEqual(c.local, { mac: '02:00:00:00:00:01', ip: '10.99.0.1' });
  t.deepEqual([...c.tunnels], [['10.99.0.2', '02:00:00:00:00:02'], ['10.99.0.3', '02:00:00:00:00:03']]);
  t.deepEqual([...c.paths], [[7, [1, 2]]]);
  t.deepEqual([...c.remote], [[2, { host: 'h2', mac: '02:00:00:00:00:02', ip: '10.99.0.2' }]]);
  t.deepEqual(c.rules, [{ path: 7, dst: '10.0.0.0', dstPrefix: 24, proto: 17, dportLo: 53, dportHi: 53 }]);
  t.is(c.defaultPath, 0, 'IP-matched chain: a rule miss is not chain traffic');
  t.deepEqual(c.ingress, ['web']);
  t.deepEqual(c.problems, []);
});

test('second hop host: same path (VNIs accepted), no classifier, first hop remote', (t) => {
  const c = deriveDataplane(inputs('h2'));
  t.deepEqual([...c.paths], [[7, [1, 2]]]);
  t.is(c.remote.get(1)?.host, 'h1');
  t.false(c.remote.has(2), 'mon only runs here');
  t.deepEqual(c.rules, []);
  t.is(c.defaultPath, 0);
});

test('remote choice: running non-draining first, then assignments; unknown or draining skipped', (t) => {
  const base = inputs('h1');
  // mon on h2 (draining) and h3 (running): h3 wins
  const a = deriveDataplane({ ...base, instances: [inst('fw', 'h1'), inst('mon', 'h2'), inst('mon', 'h3')],
    assignments: new Map([assign('h1', 'fw'), ['h2', { v: 1, host: 'h2', instances: [{ service: 'mon', index: 0, config: { draining: true } }] }], assign('h3', 'mon')]) });
  t.is(a.remote.get(2)?.host, 'h3');
  // nothing running yet: the assignment decides
  const b = deriveDataplane({ ...base, instances: [] });
  t.is(b.remote.get(2)?.host, 'h2');
  t.deepEqual(b.ingress, ['web'], 'ingress by assignment');
  // the host running it is not registered (gone): no remote
  const hosts = new Map(base.hosts);
  hosts.delete('h2');
  const c = deriveDataplane({ ...base, hosts });
  t.false(c.remote.has(2));
  t.false(c.tunnels.has('10.99.0.2'));
});

test('several chains: rules by priority (no IP field = catch-all IPv4 rule), default path 0; unplaced paths skipped with problems', (t) => {
  const chains: Chain[] = [
    { id: 'a', tenant: 't1', pathId: 1, services: ['fw'], match: { ipSrc: '10.1.0.0/16' }, priority: 10 },
    { id: 'p', tenant: 't1', pathId: 9, services: ['fw'], match: { inPort: 4 }, priority: 5 },
    { id: 'q', tenant: 't1', pathId: 8, services: ['fw'], match: { inPort: 5 }, priority: 1 },
    { id: 'b', tenant: 't1', pathId: 2, services: ['fw', 'mon'], match: { ipSrc: '10.1.2.3' }, priority: 200 },
    { id: 'c', tenant: 't1', services: ['fw'], match: {} },
    { id: 'd', tenant: 't1', pathId: 3, services: ['nope'], match: {} },
    { id: 'e', tenant: 't1', pathId: 4, services: ['fw'], match: { ipDst: 'not-an-ip' } },
  ];
  const c = deriveDataplane({ ...inputs('h1'), chains });
  t.deepEqual(c.rules.map((r) => r.path), [2, 1, 9, 8]);
  t.deepEqual(c.rules[0], { path: 2, src: '10.1.2.3', srcPrefix: 32 });
  t.deepEqual(c.rules[2], { path: 9 }, 'a chain matching only its in-port: every IPv4 frame the switch steers here');
  t.is(c.defaultPath, 0, 'the switch steers IPv4 only: non-IP and rule misses are not chain traffic');
  t.deepEqual([...c.paths.keys()].sort((a, b) => a - b), [1, 2, 4, 8, 9]);
  t.true(c.problems.some((p) => p.includes('nope')));
  t.true(c.problems.some((p) => p.includes('not-an-ip')));
});

test('limits of the manager are reported, not programmed', (t) => {
  const c = deriveDataplane({ ...inputs('h1'), services: new Map([['fw', svc('fw', 300)], ['mon', svc('mon', 2)]]),
    chains: [{ id: 'x', tenant: 't1', pathId: 2000, services: ['mon'], match: {} }, { id: 'y', tenant: 't1', pathId: 5, services: ['fw'], match: {} }] });
  t.is(c.paths.size, 0);
  t.is(c.problems.length, 2);
});

test('an offloaded firewall (offloadedHops, written by the controller) is not part of the path; the next hop is the ingress', (t) => {
  const chains: Chain[] = [{ id: 'web', tenant: 't1', pathId: 7, services: ['fw', 'mon'], offloadedHops: 1, match: { ipDst: '10.0.0.0/24' } }];
  // the controller placed no firewall: mon on h2 only
  const base = { chains, instances: [inst('mon', 'h2')], assignments: new Map([assign('h2', 'mon')]) };
  const h2 = deriveDataplane(inputs('h2', base));
  t.deepEqual([...h2.paths], [[7, [2]]], 'path = mon only (VNI index 0 is mon)');
  t.deepEqual(h2.ingress, ['web'], 'the host of the first remaining hop classifies the chain');
  t.deepEqual(h2.rules, [{ path: 7, dst: '10.0.0.0', dstPrefix: 24 }]);
  const h1 = deriveDataplane(inputs('h1', base));
  t.deepEqual(h1.ingress, []);
  t.false(h1.remote.has(1), 'no remote firewall is looked for');
  // everything offloaded: no path at all (the switch forwards by L2)
  const all = deriveDataplane(inputs('h2', { ...base, chains: [{ ...chains[0]!, services: ['fw'], offloadedHops: 1 }] }));
  t.deepEqual([...all.paths], []);
  t.deepEqual(all.problems, []);
});
