// The cluster store against a real standalone ZooKeeper: typed records, CAS conflicts, live view
// streams, session expiry with re-registration, ownership of ephemerals, digest ACLs, reconnect.
import test from 'ava';
import { ClusterStore, digestAcl } from '../../cluster/store.js';
import { LiveView, type ViewEvent } from '../../cluster/view.js';
import { ConflictError, SchemaError, ZkError } from '../../cluster/errors.js';
import { JsZkConnector } from '../../cluster/zk.js';
import { standalone, uniqueRoot, waitUntil, hostRec, sleep, type ZkFixture } from './helpers.js';

let zk: ZkFixture;
const SESSION_MS = 2000;
const opened: ClusterStore[] = [];

test.before(async () => { zk = await standalone(); });
test.after.always(async () => {
  for (const s of opened) await s.close().catch(() => undefined);
  await zk?.teardown();
});

async function open(root: string, extra: Partial<Parameters<typeof ClusterStore.open>[0]> = {}): Promise<ClusterStore> {
  const s = await ClusterStore.open({ connectString: zk.connectString, sessionTimeoutMs: SESSION_MS, root, ...extra });
  opened.push(s);
  return s;
}

test('layout is created under the root; typed records round-trip; invalid writes are refused before ZooKeeper', async (t) => {
  const root = uniqueRoot();
  const s = await open(root);
  const conn = await s.session.ready();
  for (const d of s.layout.dirs()) t.not(await conn.exists(d), null, d);
  await s.registerHost(hostRec('h1', 1));
  const h = await s.getHost('h1');
  t.is(h?.value.tunnelIp, '10.0.0.1');
  const st = await conn.exists(s.layout.host('h1'));
  t.is(st?.ephemeralOwner, conn.sessionId, 'host node is ephemeral, owned by this session');
  await t.throwsAsync(s.putService({ name: 'fw', id: 0, kind: 'native', limits: { minInstances: 0, maxInstances: 1 } }), { instanceOf: SchemaError });
  t.is(await conn.exists(s.layout.service('fw')), null, 'nothing written');
  // A corrupted node is reported as a SchemaError on read, with its path.
  await conn.create(s.layout.service('bad'), Buffer.from('{"v":1}'), 'persistent');
  await t.throwsAsync(s.getService('bad'), { instanceOf: SchemaError, message: /services\/bad/ });
  // deleteService: one multi (instances dir + service), refused while an instance is registered.
  await s.putService({ name: 'fw', id: 1, kind: 'native', limits: { minInstances: 0, maxInstances: 1 } }, 'absent');
  await s.registerInstance({ service: 'fw', serviceId: 1, host: 'h1', index: 0, state: 'running', startedAt: Date.now() });
  await t.throwsAsync(s.deleteService('fw'), { message: /still has 1 running/ });
  await s.unregisterInstance('fw', 'h1', 0);
  await s.deleteService('fw', 0);
  t.is(await conn.exists(s.layout.service('fw')), null);
});

test('desired state: compare-and-set on the znode version, typed ConflictError, modify() loses no update', async (t) => {
  const root = uniqueRoot();
  const a = await open(root);
  const b = await open(root);
  const v0 = await a.putChains({ chains: [] }, 'absent');
  t.is(v0, 0);
  await t.throwsAsync(b.putChains({ chains: [] }, 'absent'), { instanceOf: ConflictError });
  const v1 = await b.putChains({ chains: [{ id: 'c1', tenant: 't1', services: ['fw'], match: {} }] }, 0);
  t.is(v1, 1);
  const err = await t.throwsAsync(a.putChains({ chains: [] }, 0), { instanceOf: ConflictError });
  t.is(err?.expectedVersion, 0);
  // 2 clients × 10 concurrent read-modify-write increments of the tenants list: all 20 must land.
  await a.putTenants({ tenants: [] }, 'absent');
  const bump = (s: ClusterStore, who: string, i: number): Promise<unknown> =>
    s.modify('tenants', s.layout.tenants, (cur) => ({ v: 1, tenants: [...(cur?.tenants ?? []), { id: `${who}${i}`, name: `${who} ${i}` }] }), 100);
  await Promise.all(Array.from({ length: 10 }, (_, i) => [bump(a, 'a', i), bump(b, 'b', i)]).flat());
  const final = await a.getTenants();
  t.is(final?.value.tenants.length, 20);
  t.is(final?.version, 20);
  // Assignments: CAS too.
  await a.putAssignment('h1', [{ service: 'fw', index: 0 }], 'absent');
  await t.throwsAsync(b.putAssignment('h1', [], 5), { instanceOf: ConflictError });
  t.deepEqual((await b.getAssignment('h1'))?.value.instances, [{ service: 'fw', index: 0 }]);
});

test('live view: typed events for hosts, services, instances, stats, assignments, policy; async iterator', async (t) => {
  const root = uniqueRoot();
  const agent = await open(root);
  const ctl = await open(root);
  const view = new LiveView(ctl);
  const events: ViewEvent[] = [];
  view.on('change', (e) => events.push(e));
  await view.start();
  const it = view.changes();
  await agent.registerHost(hostRec('h1', 1));
  await ctl.putService({ name: 'fw', id: 7, kind: 'native', limits: { minInstances: 1, maxInstances: 4 } }, 'absent');
  await agent.registerInstance({ service: 'fw', serviceId: 7, host: 'h1', index: 0, state: 'running', startedAt: Date.now() });
  await agent.publishStats('h1', [{ instance: 'fw:0', t: Date.now(), seq: 0, rxPkts: 10, txPkts: 9, dropPkts: 1, rxBytes: 600, txBytes: 540, pps: 0, ringFill: 0.1 }]);
  await ctl.putAssignment('h1', [{ service: 'fw', index: 0 }], 'absent');
  await ctl.putChains({ chains: [{ id: 'c1', tenant: 't1', services: ['fw'], match: { tpDst: 80 } }] }, 'absent');
  await waitUntil(() => view.stats('h1').length === 1 && view.chains() !== undefined && view.assignments().size === 1 && view.instances('fw').length === 1,
    3000, 'view populated');
  t.is(view.hosts().get('h1')?.mac, '02:00:00:00:00:01');
  t.is(view.services().get('fw')?.id, 7);
  t.is(view.instances('fw')[0]?.host, 'h1');
  t.is(view.stats('h1')[0]?.rxPkts, 10);
  // Updates and removals.
  await agent.publishStats('h1', [{ instance: 'fw:0', t: Date.now(), seq: 1, rxPkts: 20, txPkts: 19, dropPkts: 1, rxBytes: 1200, txBytes: 1140, pps: 10, ringFill: 0.2 }]);
  await waitUntil(() => view.stats('h1')[0]?.seq === 1, 2000, 'stats update');
  await agent.publishStats('h1', [{ instance: 'fw:0', t: Date.now(), seq: 2, rxPkts: 30, txPkts: 29, dropPkts: 1, rxBytes: 1800, txBytes: 1740, pps: 10, ringFill: 0.2 }]);
  await waitUntil(() => view.stats('h1')[0]?.seq === 2, 2000, 'second stats update (watch re-armed)');
  await agent.unregisterInstance('fw', 'h1', 0);
  await agent.unregisterHost('h1');
  await waitUntil(() => view.hosts().size === 0 && view.instances('fw').length === 0, 2000, 'removals');
  const kinds = new Set(events.map((e) => `${e.kind}:${'op' in e ? e.op : ''}`));
  for (const k of ['host:added', 'service:added', 'instance:added', 'stats:added', 'stats:updated', 'assignment:added', 'chains:added',
    'instance:removed', 'host:removed']) t.true(kinds.has(k), k);
  const first = await it.next();
  t.is(first.value?.kind, 'host', 'the iterator yields the same stream');
  await it.return?.();
  view.close();
});

test.serial('session expiry: ephemerals re-registered once on the new session, view resyncs, watches re-armed', async (t) => {
  const root = uniqueRoot();
  const agent = await open(root);
  const ctl = await open(root);
  const view = new LiveView(ctl);
  await view.start();
  await agent.registerHost(hostRec('h1', 1));
  await agent.putService({ name: 'fw', id: 1, kind: 'native', limits: { minInstances: 0, maxInstances: 4 } }, 'absent');
  await agent.registerInstance({ service: 'fw', serviceId: 1, host: 'h1', index: 0, state: 'running', startedAt: Date.now() });
  await waitUntil(() => view.hosts().has('h1') && view.instances('fw').length === 1, 2000, 'registered');
  const removed: string[] = [];
  view.on('host', (e) => { if (e.op === 'removed') removed.push(e.id); });
  const oldSid = agent.session.sessionId;
  await agent.session.expireForTest();
  await waitUntil(() => agent.session.generation === 2, 5000, 'new session');
  t.not(agent.session.sessionId, oldSid);
  await waitUntil(async () => (await ctl.session.conn.exists(agent.layout.host('h1')))?.ephemeralOwner === agent.session.sessionId, 3000, 're-registered host');
  const conn = await ctl.session.ready();
  const inst = await conn.getChildren(agent.layout.instancesDir('fw'));
  t.deepEqual(inst, ['h1:0'], 'exactly one instance registration');
  t.is((await conn.exists(agent.layout.instance('fw', 'h1', 0)))?.ephemeralOwner, agent.session.sessionId);
  await waitUntil(() => view.hosts().has('h1'), 2000, 'view sees the host again');
  t.deepEqual(removed, ['h1'], 'the view saw the expiry (host removed) and then the re-registration');
  // Expire the controller's session too: its view must re-arm its watches on the new session.
  await ctl.session.expireForTest();
  await waitUntil(() => ctl.session.generation === 2, 5000, 'controller new session');
  await agent.registerHost(hostRec('h2', 2));
  await waitUntil(() => view.hosts().has('h2'), 3000, 'view re-armed after its own expiry');
  await agent.updateHost({ ...hostRec('h1', 1), cores: 8 });
  await waitUntil(() => view.hosts().get('h1')?.cores === 8, 3000, 'data watch re-armed after expiry');
  view.close();
  t.pass();
});

test.serial('no duplicate registration: a second agent with the same host id waits for the first session to go', async (t) => {
  const root = uniqueRoot();
  const first = await open(root);
  const second = await open(root);
  await first.registerHost(hostRec('h1', 1));
  const e = await t.throwsAsync(second.registerHost(hostRec('h1', 1), { waitMs: 300 }), { instanceOf: ZkError });
  t.is(e?.code, 'NODE_EXISTS');
  const t0 = Date.now();
  const p = second.registerHost(hostRec('h1', 1), { waitMs: 10_000 });
  await sleep(300);
  await first.close(); // the old incarnation goes away
  await p;
  t.true(Date.now() - t0 < 3000);
  const st = await (await second.session.ready()).exists(second.layout.host('h1'));
  t.is(st?.ephemeralOwner, second.session.sessionId);
  // Registering again from the owner is idempotent.
  await second.registerHost(hostRec('h1', 1));
  t.deepEqual(await (await second.session.ready()).getChildren(second.layout.hostsDir), ['h1']);
});

test('digest ACL: nodes created by the store are writable only with the credentials, readable by all', async (t) => {
  const root = uniqueRoot();
  const acl = digestAcl('rv', 'sekret');
  const owner = await open(root, { auth: [{ scheme: 'digest', auth: 'rv:sekret' }], acl });
  await owner.putService({ name: 'fw', id: 1, kind: 'native', limits: { minInstances: 0, maxInstances: 1 } }, 'absent');
  await owner.registerHost(hostRec('h1', 1));
  const anon = await new JsZkConnector().connect({ connectString: zk.connectString, sessionTimeoutMs: SESSION_MS });
  const friend = await new JsZkConnector().connect({ connectString: zk.connectString, sessionTimeoutMs: SESSION_MS, auth: [{ scheme: 'digest', auth: 'rv:sekret' }] });
  try {
    for (const p of [owner.layout.service('fw'), owner.layout.host('h1'), owner.layout.hostsDir]) {
      const { acl: got } = await anon.getAcl(p);
      t.deepEqual(got.map((a) => a.scheme).sort(), ['digest', 'world'], p);
    }
    t.truthy((await anon.get(owner.layout.service('fw'))).data.length, 'world can read');
    const denied = await t.throwsAsync(anon.set(owner.layout.service('fw'), Buffer.from('{}'), -1), { instanceOf: ZkError });
    t.is(denied?.code, 'NO_AUTH');
    const denied2 = await t.throwsAsync(anon.create(`${owner.layout.hostsDir}/intruder`, Buffer.alloc(0), 'ephemeral'), { instanceOf: ZkError });
    t.is(denied2?.code, 'NO_AUTH');
    await t.notThrowsAsync(friend.set(owner.layout.service('fw'), (await friend.get(owner.layout.service('fw'))).data, -1));
  } finally {
    await anon.close();
    await friend.close();
  }
});

test('service path (VNI) allocation is unique under concurrency and idempotent per chain', async (t) => {
  const root = uniqueRoot();
  const a = await open(root);
  const b = await open(root);
  const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).allocatePath('t1', `c${i}`)));
  t.is(new Set(ids).size, 8);
  t.deepEqual([...ids].sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8]);
  t.is(await a.allocatePath('t1', 'c3'), ids[3]);
  await a.releasePath(ids[0] as number);
  t.is(await b.allocatePath('t2', 'new'), ids[0], 'lowest free id is reused');
});

test.serial('server restart inside the session timeout: same session, watches still fire', async (t) => {
  const root = uniqueRoot();
  const s = await open(root, { sessionTimeoutMs: 8000 });
  const w = await open(root, { sessionTimeoutMs: 8000 });
  const view = new LiveView(w, { stats: false, assignments: false, policy: false });
  await view.start();
  await s.registerHost(hostRec('h1', 1));
  await waitUntil(() => view.hosts().has('h1'), 2000, 'host seen');
  const sid = s.session.sessionId;
  const t0 = Date.now();
  await zk.server.stop();
  await sleep(300);
  await zk.server.start();
  const up = Date.now() - t0;
  await s.session.ready(20_000);
  t.log(`server back after ${up} ms, client reconnected after ${Date.now() - t0} ms`);
  t.is(s.session.sessionId, sid, 'session survived the server restart');
  t.is(s.session.generation, 1);
  await s.registerHost(hostRec('h2', 2));
  await waitUntil(() => view.hosts().has('h2'), 5000, 'children watch still armed after reconnect');
  t.is(w.session.generation, 1);
  view.close();
});

test('bursts: 4 agents register 16 instances and 16 stats each at once; the view misses none (watch re-arm race)', async (t) => {
  const root = uniqueRoot();
  const ctl = await open(root);
  const view = new LiveView(ctl);
  await view.start();
  await ctl.putService({ name: 'fw', id: 1, kind: 'native', limits: { minInstances: 0, maxInstances: 64 } }, 'absent');
  const agents = await Promise.all(Array.from({ length: 4 }, () => open(root)));
  await Promise.all(agents.map(async (a, h) => {
    await a.registerHost(hostRec(`b${h}`, h + 1));
    for (let i = 0; i < 16; i++) await a.registerInstance({ service: 'fw', serviceId: 1, host: `b${h}`, index: i, state: 'running', startedAt: Date.now() });
    await a.publishStats(`b${h}`, Array.from({ length: 16 }, (_, i) => ({ instance: `fw:${i}`, t: Date.now(), seq: 0, rxPkts: i, txPkts: i, dropPkts: 0,
      rxBytes: 0, txBytes: 0, pps: 0, ringFill: 0 })));
  }));
  await waitUntil(() => view.hosts().size === 4 && view.instances('fw').length === 64 && view.stats().length === 64, 5000,
    `all 64 instances and stats in the view (have ${view.instances('fw').length}, ${view.stats().length})`);
  // Steady state: one multi per host; every update reaches the view.
  await Promise.all(agents.map((a, h) => a.publishStats(`b${h}`, Array.from({ length: 16 }, (_, i) => ({ instance: `fw:${i}`, t: Date.now(), seq: 1,
    rxPkts: 100 + i, txPkts: i, dropPkts: 0, rxBytes: 0, txBytes: 0, pps: 0, ringFill: 0 })))));
  await waitUntil(() => view.stats().every((s) => s.seq === 1), 5000, 'every stats update seen');
  // A stats node deleted behind the publisher's back: the multi fails, the batch falls back and re-creates it.
  const conn = await ctl.session.ready();
  await conn.delete(ctl.layout.stats('b0', 'fw:3'), -1);
  await agents[0]!.publishStats('b0', Array.from({ length: 16 }, (_, i) => ({ instance: `fw:${i}`, t: Date.now(), seq: 2, rxPkts: 200 + i, txPkts: i,
    dropPkts: 0, rxBytes: 0, txBytes: 0, pps: 0, ringFill: 0 })));
  await waitUntil(() => view.stats('b0').length === 16 && view.stats('b0').every((s) => s.seq === 2), 5000, 'stats of b0 complete again');
  t.is(view.stats('b0').find((s) => s.instance === 'fw:3')?.rxPkts, 203);
  view.close();
});
