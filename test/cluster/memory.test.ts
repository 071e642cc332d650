// Unit tests on the in-memory ZooKeeper (cluster/memory-zk.ts): the same store, view, election and
// cluster-sync code paths as the integration tests, in milliseconds and deterministic (no server).
import test from 'ava';
import { MemoryZk } from '../../cluster/memory-zk.js';
import { ClusterStore } from '../../cluster/store.js';
import { LiveView } from '../../cluster/view.js';
import { LeaderElection } from '../../cluster/election.js';
import { ConflictError, ZkError } from '../../cluster/errors.js';
import { ClusterSync } from '../../host/cluster-sync.js';
import { FakeRunner } from './fixtures/fake-runner.js';
import { hostRec, waitUntil } from './helpers.js';

async function open(mem: MemoryZk, root = '/m'): Promise<ClusterStore> {
  return ClusterStore.open({ connectString: 'memory', sessionTimeoutMs: 1000, root, connector: mem.connector() });
}

test('memory backend: ZooKeeper semantics the store relies on', async (t) => {
  const mem = new MemoryZk();
  const c = await mem.connector().connect({ connectString: 'memory', sessionTimeoutMs: 1000 });
  await c.create('/a', Buffer.from('x'), 'persistent');
  await t.throwsAsync(c.create('/a', Buffer.alloc(0), 'persistent'), { instanceOf: ZkError, message: /NODE_EXISTS/ });
  await t.throwsAsync(c.create('/no/parent', Buffer.alloc(0), 'persistent'), { instanceOf: ZkError, message: /NO_NODE/ });
  const e = await c.create('/a/e', Buffer.alloc(0), 'ephemeral');
  await t.throwsAsync(c.create(`${e}/child`, Buffer.alloc(0), 'persistent'), { instanceOf: ZkError, message: /NO_CHILDREN_FOR_EPHEMERALS/ });
  const s1 = await c.create('/a/n_', Buffer.alloc(0), 'ephemeral_sequential');
  const s2 = await c.create('/a/n_', Buffer.alloc(0), 'ephemeral_sequential');
  t.true(s1 < s2 && /n_\d{10}$/.test(s2));
  const st = await c.set('/a', Buffer.from('y'), 0);
  t.is(st.version, 1);
  await t.throwsAsync(c.set('/a', Buffer.from('z'), 0), { instanceOf: ZkError, message: /BAD_VERSION/ });
  await t.throwsAsync(c.delete('/a', -1), { instanceOf: ZkError, message: /NOT_EMPTY/ });
  // multi is all-or-nothing
  await t.throwsAsync(c.multi([{ op: 'set', path: '/a', data: Buffer.from('m'), version: -1 }, { op: 'check', path: '/a', version: 99 }]));
  t.is((await c.get('/a')).data.toString(), 'y');
  // one-shot watches
  const seen: string[] = [];
  await c.get('/a', (ev) => seen.push(`${ev.type} ${ev.path}`));
  await c.getChildren('/a', (ev) => seen.push(`${ev.type} ${ev.path}`));
  await c.set('/a', Buffer.from('w'), -1);
  await c.set('/a', Buffer.from('v'), -1);
  await c.create('/a/k', Buffer.alloc(0), 'persistent');
  await new Promise((r) => setImmediate(r));
  t.deepEqual(seen, ['changed /a', 'child /a']);
  // closing the session removes its ephemerals
  const other = await mem.connector().connect({ connectString: 'memory', sessionTimeoutMs: 1000 });
  await c.close();
  t.deepEqual((await other.getChildren('/a')).sort(), ['k']);
  await other.close();
});

test('store on memory: CAS conflicts and lossless modify()', async (t) => {
  const mem = new MemoryZk();
  const a = await open(mem);
  const b = await open(mem);
  await a.putChains({ chains: [] }, 'absent');
  await t.throwsAsync(b.putChains({ chains: [] }, 'absent'), { instanceOf: ConflictError });
  await b.putChains({ chains: [] }, 0);
  await t.throwsAsync(a.putChains({ chains: [] }, 0), { instanceOf: ConflictError });
  await a.putTenants({ tenants: [] }, 'absent');
  await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).modify('tenants', a.layout.tenants,
    (cur) => ({ v: 1, tenants: [...(cur?.tenants ?? []), { id: `t${i}`, name: `t${i}` }] }), 50)));
  t.is((await a.getTenants())?.value.tenants.length, 10);
});

test('view + session expiry on memory: removal, re-registration, resync event', async (t) => {
  const mem = new MemoryZk();
  const agent = await open(mem);
  const ctl = await open(mem);
  const view = new LiveView(ctl);
  const kinds: string[] = [];
  view.on('change', (e) => kinds.push('op' in e ? `${e.kind}:${e.op}` : e.kind));
  await view.start();
  await agent.registerHost(hostRec('h1', 1));
  await waitUntil(() => view.hosts().has('h1'), 1000, 'host');
  mem.expire(agent.session.sessionId);
  await waitUntil(() => agent.session.generation === 2 && view.hosts().has('h1') && kinds.includes('host:removed'), 2000, 're-registered');
  t.deepEqual(kinds, ['host:added', 'host:removed', 'host:added']);
  mem.expire(ctl.session.sessionId);
  await waitUntil(() => kinds.includes('resync'), 2000, 'view resync after its own expiry');
  await agent.registerHost(hostRec('h2', 2));
  await waitUntil(() => view.hosts().has('h2'), 1000, 'watches re-armed');
  view.close();
  t.is(mem.sessionCount, 2);
});

test('election on memory: predecessor-only watching and immediate takeover on expiry', async (t) => {
  const mem = new MemoryZk();
  const stores = await Promise.all([0, 1, 2].map(() => open(mem)));
  const els = stores.map((s, i) => new LeaderElection(s, { controllerId: `c${i}` }));
  for (const e of els) await e.start();
  t.deepEqual(els.map((e) => e.role), ['leader', 'follower', 'follower']);
  const gen0 = els[0]!.generation;
  mem.expire(stores[1]!.session.sessionId); // middle dies
  await waitUntil(() => stores[1]!.session.generation === 2, 1000, 'c1 back');
  await new Promise((r) => setTimeout(r, 50));
  t.deepEqual(els.map((e) => e.role), ['leader', 'follower', 'follower'], 'no spurious leader');
  mem.expire(stores[0]!.session.sessionId); // leader dies
  await waitUntil(() => els[2]!.isLeader, 1000, 'c2 leads (it is now first in line)');
  t.true(els[2]!.generation > gen0);
  await waitUntil(() => stores[0]!.session.generation === 2 && !els[0]!.isLeader, 1000, 'c0 re-joined at the back');
  t.is(els.filter((e) => e.isLeader).length, 1);
});

test('cluster-sync on memory: assignments drive the runner; instances and stats registered', async (t) => {
  const mem = new MemoryZk();
  const ctl = await open(mem);
  const view = new LiveView(ctl);
  await view.start();
  await ctl.putService({ name: 'fw', id: 1, kind: 'native', limits: { minInstances: 0, maxInstances: 4 } });
  const runner = new FakeRunner();
  const store = await open(mem);
  const { startedAt: _s, ...host } = hostRec('h1', 1);
  const sync = new ClusterSync({ store, host, runner, statsIntervalMs: 0 });
  await sync.start();
  await ctl.putAssignment('h1', [{ service: 'fw', index: 0 }, { service: 'fw', index: 1 }], 'absent');
  await waitUntil(() => view.instances('fw').length === 2, 1000, 'instances');
  t.is(await sync.publishStats(), 2);
  await waitUntil(() => view.stats('h1').length === 2, 1000, 'stats');
  await ctl.putAssignment('h1', [{ service: 'fw', index: 1 }], 0);
  await waitUntil(() => view.instances('fw').length === 1 && view.stats('h1').length === 1, 1000, 'fw:0 gone');
  t.deepEqual([...runner.running.keys()], ['fw:1']);
  await sync.stop();
  view.close();
});

test('deleteService is atomic: refused while an instance runs, CAS on the version', async (t) => {
  const mem = new MemoryZk();
  const s = await open(mem);
  await s.putService({ name: 'fw', id: 1, kind: 'native', limits: { minInstances: 0, maxInstances: 1 } }, 'absent');
  await s.registerInstance({ service: 'fw', serviceId: 1, host: 'h1', index: 0, state: 'running', startedAt: Date.now() });
  await t.throwsAsync(s.deleteService('fw'), { message: /still has 1 running instance/ });
  t.truthy(await s.getService('fw'), 'nothing deleted');
  await s.unregisterInstance('fw', 'h1', 0);
  await t.throwsAsync(s.deleteService('fw', 7), { instanceOf: ConflictError });
  await s.deleteService('fw', 0);
  t.is(await s.getService('fw'), null);
  await s.deleteService('fw'); // idempotent with 'any'
});
