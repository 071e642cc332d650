// Unit and property tests of placement (pure).
import test from 'ava';
import { instanceId, place, type PlacementInput, type PlacementResult } from '../../controller/placement/placement.js';

const chain3 = { id: 'web', tenant: 't1', hops: ['fw', 'mon', 'lb'] };

function input(over: Partial<PlacementInput> = {}): PlacementInput {
  return {
    hosts: [
      { id: 'h1', capacity: 4 },
      { id: 'h2', capacity: 4 },
    ],
    services: [{ name: 'fw' }, { name: 'mon' }, { name: 'lb' }],
    chains: [chain3],
    desired: { fw: 1, mon: 1, lb: 1 },
    current: [],
    ...over,
  };
}

const where = (r: PlacementResult, svc: string): string[] => r.instances.filter((i) => i.service === svc).map((i) => i.host).sort();

test('one instance per hop: the whole chain on one host, no VXLAN transition, local routes', (t) => {
  const r = place(input());
  t.deepEqual(where(r, 'fw'), ['h1']);
  t.deepEqual(where(r, 'mon'), ['h1']);
  t.deepEqual(where(r, 'lb'), ['h1']);
  const p = r.paths[0]!;
  t.deepEqual(p.remoteTransitions, []);
  t.true(p.complete);
  t.deepEqual(
    r.routes.map((x) => `${x.host}:${x.index}:${x.next.kind}`),
    ['h1:0:local', 'h1:1:local', 'h1:2:egress'],
  );
});

test('two instances per hop: spread over both hosts (availability) and each host runs a full local chain', (t) => {
  const r = place(input({ desired: { fw: 2, mon: 2, lb: 2 } }));
  for (const s of ['fw', 'mon', 'lb']) t.deepEqual(where(r, s), ['h1', 'h2']);
  t.deepEqual(r.paths[0]!.remoteTransitions, []);
  t.deepEqual(r.assignments.h1, [
    { service: 'fw', index: 0 },
    { service: 'lb', index: 0 },
    { service: 'mon', index: 0 },
  ]);
});

test('capacity forces a split: remote transition with the next hop VNI', (t) => {
  const r = place(input({ hosts: [{ id: 'h1', capacity: 2 }, { id: 'h2', capacity: 2 }] }));
  t.deepEqual(where(r, 'fw'), ['h1']);
  t.deepEqual(where(r, 'mon'), ['h1']);
  t.deepEqual(where(r, 'lb'), ['h2']);
  const p = r.paths[0]!;
  t.deepEqual(p.remoteTransitions, [1]);
  const route = r.routes.find((x) => x.host === 'h1' && x.index === 1)!;
  t.deepEqual(route.next, { kind: 'remote', index: 2, service: 'lb', vni: (p.pathId << 8) | 2, hosts: ['h2'] });
  for (const hop of p.hops) t.is(hop.vni, (p.pathId << 8) | hop.index);
});

test('spread mode puts consecutive hops on different hosts (cross-host demo)', (t) => {
  const r = place(input({ options: { hopAffinity: 'spread' } }));
  t.deepEqual(where(r, 'fw'), ['h1']);
  t.deepEqual(where(r, 'mon'), ['h2']);
  t.deepEqual(where(r, 'lb'), ['h1']);
  t.deepEqual(r.paths[0]!.remoteTransitions, [0, 1]);
});

test('unplaceable instances are reported, capacity is never exceeded', (t) => {
  const r = place(input({ hosts: [{ id: 'h1', capacity: 2 }], desired: { fw: 2, mon: 1, lb: 1 } }));
  t.is(r.instances.length, 2);
  t.deepEqual(r.unplaced.map((u) => `${u.service}:${u.missing}`), ['mon:1', 'lb:1']);
  t.false(r.paths[0]!.complete);
  t.true(r.routes.some((x) => x.next.kind === 'blackhole'));
});

test('minimal movement: feeding the result back changes nothing; scale-up adds only the new instance', (t) => {
  const r1 = place(input({ desired: { fw: 2, mon: 1, lb: 1 } }));
  const r2 = place(input({ desired: { fw: 2, mon: 1, lb: 1 }, current: r1.instances }));
  t.deepEqual(r2.added, []);
  t.deepEqual(r2.removed, []);
  t.deepEqual(r2.instances, r1.instances);
  const r3 = place(input({ desired: { fw: 3, mon: 1, lb: 1 }, current: r1.instances }));
  t.is(r3.added.length, 1);
  t.is(r3.added[0]!.service, 'fw');
  t.deepEqual(r3.removed, []);
  for (const i of r1.instances) t.true(r3.instances.some((j) => instanceId(j) === instanceId(i)));
});

test('scale-down removes from the host holding most instances; the index of a draining instance is not reused', (t) => {
  const current = [
    { service: 'fw', host: 'h1', index: 0 },
    { service: 'fw', host: 'h1', index: 1 },
    { service: 'fw', host: 'h2', index: 0 },
    { service: 'mon', host: 'h1', index: 0 },
    { service: 'lb', host: 'h1', index: 0 },
  ];
  const r = place(input({ desired: { fw: 2, mon: 1, lb: 1 }, current }));
  t.deepEqual(r.removed, [{ service: 'fw', host: 'h1', index: 1 }]);
  t.deepEqual(r.added, []);
  const r2 = place(input({ desired: { fw: 3, mon: 1, lb: 1 }, current: [...r.instances, ...r.removed.map((x) => x)] }));
  t.deepEqual(r2.added, [], 'the draining instance is still current, so nothing is added');
});

test('host loss: only its instances are re-placed, on the surviving host', (t) => {
  const r1 = place(input({ desired: { fw: 2, mon: 2, lb: 2 } }));
  const r2 = place(input({ hosts: [{ id: 'h1', capacity: 8 }, { id: 'h2', capacity: 4, alive: false }], desired: { fw: 2, mon: 2, lb: 2 }, current: r1.instances }));
  t.deepEqual(r2.lost.map((i) => i.host), ['h2', 'h2', 'h2']);
  t.deepEqual(r2.removed, []);
  t.is(r2.added.length, 3);
  for (const a of r2.added) {
    t.is(a.host, 'h1');
    t.is(a.index, 1);
  }
  for (const i of r1.instances.filter((x) => x.host === 'h1')) t.true(r2.instances.some((j) => instanceId(j) === instanceId(i)));
  t.deepEqual(Object.keys(r2.assignments), ['h1']);
});

test('path ids: kept when allocated, new chains get free ids (never a reserved one), deterministic', (t) => {
  const chains = [
    { id: 'a', tenant: 't1', hops: ['fw'], pathId: 1 },
    { id: 'b', tenant: 't2', hops: ['mon'] },
    { id: 'c', tenant: 't1', hops: ['lb'] },
  ];
  const r = place(input({ chains, desired: {}, reservedPathIds: [2] }));
  t.deepEqual(r.paths.map((p) => `${p.chain}:${p.pathId}`), ['a:1', 'b:3', 'c:4']);
  const again = place(input({ chains: [...chains].reverse(), desired: {}, reservedPathIds: [2] }));
  t.deepEqual(again.paths, r.paths);
});

// --------- property test over seeded random inputs ---------
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('property: capacity never exceeded, deterministic under input order, idempotent, desired never exceeded', (t) => {
  for (let seed = 1; seed <= 200; seed++) {
    const r = rng(seed);
    const nh = 1 + Math.floor(r() * 5);
    const hosts = Array.from({ length: nh }, (_, i) => ({ id: `h${i}`, capacity: Math.floor(r() * 6), alive: r() > 0.15, load: Math.round(r() * 10) / 10 }));
    const svcs = ['a', 'b', 'c', 'd', 'e'];
    const services = svcs.map((name) => ({ name, cost: 1 + Math.floor(r() * 2) }));
    const chains = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, i) => ({ id: `c${i}`, tenant: 't', hops: svcs.filter(() => r() > 0.4) })).filter((c) => c.hops.length > 0);
    const desired: Record<string, number> = {};
    for (const s of svcs) desired[s] = Math.floor(r() * 4);
    const current = Array.from({ length: Math.floor(r() * 8) }, () => ({ service: svcs[Math.floor(r() * 5)]!, host: `h${Math.floor(r() * (nh + 1))}`, index: Math.floor(r() * 3) }));
    const inp: PlacementInput = { hosts, services, chains, desired, current };
    const res = place(inp);
    const cost = (s: string): number => services.find((x) => x.name === s)!.cost;
    for (const h of hosts.filter((x) => x.alive)) {
      const used = res.instances.filter((i) => i.host === h.id).reduce((s, i) => s + cost(i.service), 0);
      t.true(used <= h.capacity, `seed ${seed}: ${h.id} uses ${used} > ${h.capacity}`);
      t.is(res.usage[h.id]!.used, used);
    }
    for (const i of res.instances) t.true(hosts.find((h) => h.id === i.host)!.alive, `seed ${seed}: instance on a dead host`);
    for (const s of svcs) t.true(res.instances.filter((i) => i.service === s).length <= desired[s]!, `seed ${seed}: too many ${s}`);
    t.is(new Set(res.instances.map(instanceId)).size, res.instances.length, `seed ${seed}: duplicate instance ids`);
    const shuffled = place({ ...inp, hosts: [...hosts].reverse(), current: [...current].reverse(), chains: [...chains].reverse() });
    t.deepEqual(shuffled.instances, res.instances, `seed ${seed}: order-dependent`);
    const again = place({ ...inp, current: res.instances });
    t.deepEqual(again.added, [], `seed ${seed}: not idempotent (added)`);
    t.deepEqual(again.removed, [], `seed ${seed}: not idempotent (removed)`);
  }
});
