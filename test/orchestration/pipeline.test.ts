// Unit tests of the pipeline compiler and the reconciler (pure parts).
import test from 'ava';
import { compilePipeline, effectiveHops, PRIO, TABLE } from '../../controller/pipeline/compile.js';
import { cookieKind, isOurCookie, makeCookie, assignGroupIds } from '../../controller/pipeline/cookie.js';
import { canonMatch, flowKey, flowToString, type FlowEntry } from '../../controller/pipeline/flows.js';
import type { ChainSpec, PipelineModel } from '../../controller/pipeline/model.js';
import { diffPipeline, diffSize, emptyDiff } from '../../controller/pipeline/reconcile.js';
import { assignSlots, prefixSplit } from '../../controller/pipeline/split.js';

const chain = (over: Partial<ChainSpec> = {}): ChainSpec => ({
  id: 'web',
  tenant: 't1',
  match: { ipv4Dst: '10.0.2.0/24' },
  hops: [{ service: 'firewall' }, { service: 'monitor' }, { service: 'lb' }],
  ...over,
});

function model(over: Partial<PipelineModel> = {}): PipelineModel {
  return {
    tenants: [{ id: 't1', ports: [1, 2] }],
    hosts: [
      { id: 'h1', port: 3, mac: '02:00:00:00:00:03' },
      { id: 'h2', port: 4, mac: '02:00:00:00:00:04' },
    ],
    endpoints: [
      { mac: '02:00:00:00:00:01', port: 1 },
      { mac: '02:00:00:00:00:02', port: 2 },
    ],
    chains: [chain()],
    instances: [
      { id: 'fw-1', service: 'firewall', host: 'h1' },
      { id: 'mon-1', service: 'monitor', host: 'h1' },
      { id: 'lb-1', service: 'lb', host: 'h2' },
    ],
    ...over,
  };
}

const inTable = (flows: FlowEntry[], t: number): FlowEntry[] => flows.filter((f) => f.table === t);
const text = (flows: FlowEntry[]): string[] => flows.map(flowToString);

test('table 0: host ports go straight to L2, everything else to the ACL/steering tables', (t) => {
  const p = compilePipeline(model());
  const t0 = inTable(p.flows, TABLE.CLASSIFY);
  const host = t0.filter((f) => f.priority === PRIO.HOST_PORT);
  t.deepEqual(
    host.map((f) => canonMatch(f.match)),
    ['in_port=3', 'in_port=4'],
  );
  for (const f of host) t.deepEqual(f.instructions, [{ type: 'goto', table: TABLE.L2 }]);
  const miss = t0.find((f) => f.priority === 0)!;
  t.deepEqual(miss.instructions, [{ type: 'goto', table: TABLE.ACL }]);
  t.deepEqual(p.problems, []);
});

test('steering: one ingress host → output to its port for each tenant port, IPv4 only, cookie of the chain', (t) => {
  const p = compilePipeline(model());
  const steer = inTable(p.flows, TABLE.STEER).filter((f) => f.priority > 0);
  t.is(steer.length, 2, text(steer).join('\n'));
  t.deepEqual(steer.map((f) => canonMatch(f.match)).sort(), [
    'eth_type=2048,in_port=1,ipv4_dst=10.0.2.0/24',
    'eth_type=2048,in_port=2,ipv4_dst=10.0.2.0/24',
  ]);
  for (const f of steer) {
    t.deepEqual(f.instructions, [{ type: 'apply', actions: [{ type: 'output', port: 3 }] }]);
    t.is(f.cookie, makeCookie('steering', 'web'));
    t.is(cookieKind(f.cookie), 'steering');
  }
  t.deepEqual(p.ingress[0]?.targets, { h1: 1 });
  t.is(p.ingress[0]?.mode, 'single');
  // steering miss continues to L2 (non-IP like ARP, and unmatched traffic)
  t.deepEqual(inTable(p.flows, TABLE.STEER).find((f) => f.priority === 0)?.instructions, [{ type: 'goto', table: TABLE.L2 }]);
});

test('L2 table: registered MACs to ports; misses flood only to edge ports (hosts never get flooded frames)', (t) => {
  const p = compilePipeline(model());
  const l2 = inTable(p.flows, TABLE.L2);
  const macs = l2.filter((f) => f.priority === PRIO.L2_MAC).map((f) => `${canonMatch(f.match)}>${JSON.stringify(f.instructions)}`);
  t.is(macs.length, 4);
  t.true(macs.some((m) => m.startsWith('eth_dst=02:00:00:00:00:04>') && m.includes('"port":4')));
  const miss = l2.find((f) => f.priority === 0)!;
  const gAction = miss.instructions[0]!;
  t.is(gAction.type, 'apply');
  const gid = gAction.type === 'apply' && gAction.actions[0]?.type === 'group' ? gAction.actions[0].groupId : -1;
  const g = p.groups.find((x) => x.groupId === gid)!;
  t.is(g.type, 'all');
  t.deepEqual(
    g.buckets.map((b) => b.actions),
    [[{ type: 'output', port: 1 }], [{ type: 'output', port: 2 }]],
  );
});

test('several ingress hosts: select group weighted by ready instances', (t) => {
  const m = model({
    instances: [
      { id: 'fw-1', service: 'firewall', host: 'h1' },
      { id: 'fw-2', service: 'firewall', host: 'h2' },
      { id: 'fw-3', service: 'firewall', host: 'h2' },
      { id: 'fw-4', service: 'firewall', host: 'h2', ready: false },
    ],
  });
  const p = compilePipeline(m);
  const steer = inTable(p.flows, TABLE.STEER).filter((f) => f.priority > 0);
  t.is(steer.length, 2);
  const sel = p.groups.find((g) => g.type === 'select')!;
  t.deepEqual(sel.buckets, [
    { weight: 1, actions: [{ type: 'output', port: 3 }] },
    { weight: 2, actions: [{ type: 'output', port: 4 }] },
  ]);
  for (const f of steer) t.deepEqual(f.instructions, [{ type: 'apply', actions: [{ type: 'group', groupId: sel.groupId }] }]);
});

test('Flowstream prefix split: two hosts get 0/1 and 128/1 of the source space', (t) => {
  const m = model({
    tenants: [{ id: 't1', ports: [1] }],
    chains: [chain({ split: 'prefix', match: {} })],
    instances: [
      { id: 'fw-1', service: 'firewall', host: 'h1' },
      { id: 'fw-2', service: 'firewall', host: 'h2' },
    ],
  });
  const p = compilePipeline(m);
  const steer = inTable(p.flows, TABLE.STEER).filter((f) => f.priority > 0);
  const got = steer.map((f) => `${canonMatch(f.match)} -> ${JSON.stringify(f.instructions[0])}`).sort();
  t.is(got.length, 2);
  t.regex(got[0]!, /ipv4_src=0\.0\.0\.0\/1 -> .*"port":[34]/);
  t.regex(got[1]!, /ipv4_src=128\.0\.0\.0\/1 -> .*"port":[34]/);
  t.not(got[0]!.slice(-4), got[1]!.slice(-4), 'the halves go to different hosts');
  t.is(p.groups.filter((g) => g.type === 'select').length, 0);
});

test('prefix split inside the policy prefix, on the destination field', (t) => {
  const slots = prefixSplit({ net: (10 << 24) >>> 0, len: 8 }, [{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }, { id: 'c', weight: 1 }, { id: 'd', weight: 1 }], 4);
  t.deepEqual(
    slots.map((s) => `${s.net >>> 24}.${(s.net >>> 16) & 255}/${s.len}`),
    ['10.0/10', '10.64/10', '10.128/10', '10.192/10'],
  );
  t.deepEqual([...new Set(slots.map((s) => s.target))].sort(), ['a', 'b', 'c', 'd']);
});

test('prefix split: quotas by weight, and adding a host moves few slots (bounded-load rendezvous)', (t) => {
  const three = assignSlots([{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }, { id: 'c', weight: 1 }], 4);
  const count = (xs: string[], id: string): number => xs.filter((x) => x === id).length;
  t.is(three.length, 16);
  for (const id of ['a', 'b', 'c']) t.true(count(three, id) >= 5 && count(three, id) <= 6, `${id}: ${count(three, id)}`);
  const four = assignSlots([{ id: 'a', weight: 1 }, { id: 'b', weight: 1 }, { id: 'c', weight: 1 }, { id: 'd', weight: 1 }], 4);
  for (const id of ['a', 'b', 'c', 'd']) t.is(count(four, id), 4);
  let moved = 0;
  for (let i = 0; i < 16; i++) if (three[i] !== four[i]) moved++;
  // the minimum is 4 (d's share); a stateless scheme with exact quotas shuffles a few more
  t.true(moved >= 4 && moved <= 8, `moved ${moved}`);
  const naive = Array.from({ length: 16 }, (_, i) => ['a', 'b', 'c', 'd'][i % 4]);
  const naive3 = Array.from({ length: 16 }, (_, i) => ['a', 'b', 'c'][i % 3]);
  t.true(naive.filter((x, i) => x !== naive3[i]).length > moved, 'better than modulo dealing');
  const weighted = assignSlots([{ id: 'a', weight: 3 }, { id: 'b', weight: 1 }], 4);
  t.is(count(weighted, 'a'), 12);
});

test('no ready ingress instance: fail closed drops, fail open bypasses to L2', (t) => {
  const closed = compilePipeline(model({ instances: [] }));
  const s1 = inTable(closed.flows, TABLE.STEER).filter((f) => f.priority > 0);
  t.is(s1.length, 2);
  for (const f of s1) t.deepEqual(f.instructions, []);
  const open = compilePipeline(model({ instances: [], chains: [chain({ failMode: 'open' })] }));
  for (const f of inTable(open.flows, TABLE.STEER).filter((x) => x.priority > 0)) t.deepEqual(f.instructions, [{ type: 'goto', table: TABLE.L2 }]);
  // a dead host is not a target either
  const dead = compilePipeline(model({ hosts: [{ id: 'h1', port: 3, mac: '02:00:00:00:00:03', alive: false }, { id: 'h2', port: 4, mac: '02:00:00:00:00:04' }] }));
  t.is(dead.ingress[0]?.mode, 'drop');
});

test('stateless firewall offload: drop rules become ACL flows, the hop is skipped, steering goes to the next service', (t) => {
  const fwChain = chain({
    offloadFirewall: true,
    hops: [
      {
        service: 'firewall',
        firewall: {
          stateless: true,
          defaultAction: 'allow',
          rules: [
            { action: 'allow', ipv4Src: '10.0.1.10', ipProto: 6, dstPort: 22 },
            { action: 'drop', ipProto: 6, dstPort: 22 },
            { action: 'drop', ipv4Dst: '192.168.0.0/16' }, // disjoint from the chain's 10.0.2.0/24: no flow
          ],
        },
      },
      { service: 'monitor' },
    ],
  });
  t.deepEqual(effectiveHops(fwChain).map((h) => h.service), ['monitor']);
  const p = compilePipeline(model({ chains: [fwChain], tenants: [{ id: 't1', ports: [1] }] }));
  t.deepEqual(p.problems, []);
  const acl = inTable(p.flows, TABLE.ACL).filter((f) => f.priority > 0).sort((a, b) => b.priority - a.priority);
  t.deepEqual(
    acl.map((f) => `${f.priority} ${canonMatch(f.match)} ${f.instructions.length ? 'steer' : 'drop'}`),
    [
      `${PRIO.ACL_BASE + 100 * PRIO.ACL_BLOCK + 49} eth_type=2048,in_port=1,ip_proto=6,ipv4_dst=10.0.2.0/24,ipv4_src=10.0.1.10/32,tcp_dst=22 steer`,
      `${PRIO.ACL_BASE + 100 * PRIO.ACL_BLOCK + 48} eth_type=2048,in_port=1,ip_proto=6,ipv4_dst=10.0.2.0/24,tcp_dst=22 drop`,
      `${PRIO.ACL_BASE + 100 * PRIO.ACL_BLOCK} eth_type=2048,in_port=1,ipv4_dst=10.0.2.0/24 steer`,
    ],
  );
  for (const f of acl) t.is(cookieKind(f.cookie), 'acl');
  t.is(p.ingress[0]?.service, 'monitor');
  const steer = inTable(p.flows, TABLE.STEER).filter((f) => f.priority > 0);
  t.deepEqual(steer[0]?.instructions, [{ type: 'apply', actions: [{ type: 'output', port: 3 }] }]); // monitor on h1
});

test('a stateful firewall or inexpressible rules are not offloaded (reported)', (t) => {
  const c = chain({ offloadFirewall: true, hops: [{ service: 'firewall', firewall: { stateless: false, defaultAction: 'allow', rules: [] } }] });
  t.is(effectiveHops(c).length, 1);
  const p = compilePipeline(model({ chains: [c] }));
  t.true(p.problems.some((x) => x.includes('not offloaded: stateful')));
  t.like(p.offloads, [{ chain: c.id, service: 'firewall', offloaded: false, rules: 0 }]);
  t.regex(p.offloads[0]!.reason!, /stateful/);
  t.is(inTable(p.flows, TABLE.ACL).length, 1); // only the miss
  // rules with L4 ports but no TCP/UDP protocol, too many rules, a firewall that is not the first hop: each says why
  const fw = (rules: Array<{ action: 'drop' | 'allow'; ipProto?: number; dstPort?: number }>) => ({ stateless: true, defaultAction: 'allow' as const, rules });
  const reasons = compilePipeline(model({
    chains: [
      chain({ id: 'l4', offloadFirewall: true, hops: [{ service: 'fw', firewall: fw([{ action: 'drop', dstPort: 53 }]) }, { service: 'monitor' }] }),
      chain({ id: 'many', offloadFirewall: true, hops: [{ service: 'fw', firewall: fw(Array.from({ length: 50 }, (_, i) => ({ action: 'drop' as const, ipProto: 6, dstPort: i + 1 }))) }, { service: 'monitor' }] }),
      chain({ id: 'second', offloadFirewall: true, hops: [{ service: 'monitor' }, { service: 'fw', firewall: fw([]) }] }),
    ],
  })).offloads;
  t.deepEqual(reasons.map((o) => [o.chain, o.offloaded]), [['l4', false], ['many', false], ['second', false]]);
  t.regex(reasons[0]!.reason!, /rule 1: L4 ports need ipProto/);
  t.regex(reasons[1]!.reason!, /50 rules > 49/);
  t.regex(reasons[2]!.reason!, /hop 2 of the chain/);
});

test('VLAN tenants match vlan_vid with OFPVID_PRESENT; bad matches are reported, not compiled', (t) => {
  const p = compilePipeline(model({ tenants: [{ id: 't1', ports: [1], vlan: 10 }], chains: [chain(), chain({ id: 'bad', match: { dstPort: 80 } })] }));
  const steer = inTable(p.flows, TABLE.STEER).filter((f) => f.priority > 0);
  t.is(steer.length, 1);
  t.true(canonMatch(steer[0]!.match).includes(`vlan_vid=${0x1000 | 10}`));
  t.true(p.problems.some((x) => x.startsWith('chain bad')));
});

test('deterministic: same model in any order → identical flows and groups; flow keys unique', (t) => {
  const m = model({
    chains: [chain(), chain({ id: 'b', priority: 200, match: { ipv4Src: '10.9.0.0/16' } })],
    instances: [
      { id: 'fw-1', service: 'firewall', host: 'h1' },
      { id: 'fw-2', service: 'firewall', host: 'h2' },
    ],
  });
  const a = compilePipeline(m);
  const shuffled: PipelineModel = { ...m, chains: [...m.chains].reverse(), hosts: [...m.hosts].reverse(), instances: [...m.instances].reverse(), endpoints: [...m.endpoints!].reverse() };
  const b = compilePipeline(shuffled);
  t.deepEqual(text(a.flows).sort(), text(b.flows).sort());
  t.deepEqual(a.groups, b.groups);
  t.is(new Set(a.flows.map(flowKey)).size, a.flows.length);
  // higher chain priority → higher steering priority
  const pw = inTable(a.flows, TABLE.STEER).find((f) => f.cookie === makeCookie('steering', 'web'))!.priority;
  const pb = inTable(a.flows, TABLE.STEER).find((f) => f.cookie === makeCookie('steering', 'b'))!.priority;
  t.true(pb > pw);
});

test('cookies and group ids: deterministic, namespaced, distinct', (t) => {
  t.is(makeCookie('steering', 'x'), makeCookie('steering', 'x'));
  t.not(makeCookie('steering', 'x'), makeCookie('steering', 'y'));
  t.not(makeCookie('steering', 'x'), makeCookie('acl', 'x'));
  t.true(isOurCookie(makeCookie('infra', 'pipeline')));
  t.false(isOurCookie(0n));
  const g1 = assignGroupIds(['a', 'b', 'c']);
  const g2 = assignGroupIds(['c', 'a', 'b', 'd']);
  t.is(g1.get('a'), g2.get('a'));
  t.is(new Set(g2.values()).size, 4);
});

// ---------------- reconciliation ----------------

test('reconcile: the same desired state against itself is an empty diff (controller restart)', (t) => {
  const p = compilePipeline(model());
  const d = diffPipeline(p, { flows: p.flows.map((f) => ({ ...f })), groups: p.groups });
  t.true(emptyDiff(d));
});

test('reconcile: switch-normalised matches (full masks, host bits, field order) compare equal', (t) => {
  const p = compilePipeline(model());
  const normalised = p.flows.map((f) => ({
    ...f,
    match: [...f.match].reverse().map((x) => (x.field === 'ipv4_dst' ? { field: 'ipv4_dst', value: '10.0.2.77', mask: '255.255.255.0' } : x)),
    owner: undefined,
  }));
  t.true(emptyDiff(diffPipeline(p, { flows: normalised, groups: p.groups })));
});

test('reconcile: an instance moving host modifies only the steering flows (MODIFY_STRICT keeps counters)', (t) => {
  const before = compilePipeline(model());
  const after = compilePipeline(model({ instances: [{ id: 'fw-1', service: 'firewall', host: 'h2' }] }));
  const d = diffPipeline(after, before);
  t.is(d.flowMods.length, 2);
  t.is(diffSize(d), 2);
  for (const f of d.flowMods) t.is(f.table, TABLE.STEER);
});

test('reconcile: deleted chain → DELETE_STRICT of its flows; foreign flows removed unless ownedOnly', (t) => {
  const before = compilePipeline(model());
  const after = compilePipeline(model({ chains: [] }));
  const foreign: FlowEntry = { table: TABLE.L2, priority: 5, match: [{ field: 'eth_dst', value: '02:aa:00:00:00:01' }], instructions: [], cookie: 0x1234n };
  const otherTable: FlowEntry = { table: 9, priority: 5, match: [], instructions: [], cookie: 0n };
  const d = diffPipeline(after, { flows: [...before.flows, foreign, otherTable], groups: before.groups });
  t.is(d.flowDeletes.length, 3);
  t.true(d.flowDeletes.some((f) => f.cookie === 0x1234n));
  t.false(d.flowDeletes.some((f) => f.table === 9));
  t.is(d.flowAdds.length + d.flowMods.length + d.flowReplaces.length, 0);
  const owned = diffPipeline(after, { flows: [...before.flows, foreign], groups: before.groups }, { ownedOnly: true });
  t.is(owned.flowDeletes.length, 2);
});

test('reconcile: cookie change → ADD replace; group bucket change → group MODIFY; vanished group → delete', (t) => {
  const two = model({
    instances: [
      { id: 'fw-1', service: 'firewall', host: 'h1' },
      { id: 'fw-2', service: 'firewall', host: 'h2' },
    ],
  });
  const p = compilePipeline(two);
  const wrongCookie = p.flows.map((f) => (f.table === TABLE.CLASSIFY && f.priority === 0 ? { ...f, cookie: 7n } : f));
  const d1 = diffPipeline(p, { flows: wrongCookie, groups: p.groups });
  t.is(d1.flowReplaces.length, 1);
  t.is(diffSize(d1), 1);
  const three = compilePipeline({ ...two, instances: [...two.instances, { id: 'fw-3', service: 'firewall', host: 'h1' }] });
  const d2 = diffPipeline(three, p);
  t.is(d2.groupMods.length, 1);
  t.is(diffSize(d2), 1, 'weights changed, flows untouched');
  const one = compilePipeline(model());
  const d3 = diffPipeline(one, p);
  t.is(d3.groupDeletes.length, 1);
  t.is(d3.flowMods.length, 2);
});

test('reconcile: duplicated desired keys are a compiler bug and throw', (t) => {
  const f: FlowEntry = { table: 0, priority: 1, match: [], instructions: [], cookie: 1n };
  t.throws(() => diffPipeline({ flows: [f, { ...f }], groups: [] }, { flows: [], groups: [] }));
});
