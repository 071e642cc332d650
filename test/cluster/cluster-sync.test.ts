// The host agent's cluster side against a real ZooKeeper: reconciliation of assignments, instance
// registration, stats publication seen by the controller's view, and an agent killed with SIGKILL.
import test from 'ava';
import { ClusterSync } from '../../host/cluster-sync.js';
import { ControllerClusterView } from '../../controller/cluster-view.js';
import { FakeRunner } from './fixtures/fake-runner.js';
import { killAll, spawnFixture } from './fixtures/child.js';
import { standalone, uniqueRoot, waitUntil, hostRec, sleep, type ZkFixture } from './helpers.js';

let zk: ZkFixture;
const SESSION_MS = 2000;
const closers: (() => Promise<void>)[] = [];

test.before(async () => { zk = await standalone(); });
test.after.always(async () => {
  await killAll();
  for (const c of closers.reverse()) await c().catch(() => undefined);
  await zk?.teardown();
});

async function controller(root: string): Promise<ControllerClusterView> {
  const v = await ControllerClusterView.open({ connectString: zk.connectString, sessionTimeoutMs: SESSION_MS, root });
  closers.push(() => v.close());
  return v;
}

async function agent(root: string, id: string, runner: FakeRunner, statsIntervalMs = 0): Promise<ClusterSync> {
  const { startedAt: _s, ...host } = hostRec(id, 1);
  const s = new ClusterSync({
    store: { connectString: zk.connectString, sessionTimeoutMs: SESSION_MS, root },
    host,
    runner, statsIntervalMs, retryDelayMs: 100,
  });
  closers.push(() => s.stop());
  await s.start();
  return s;
}

const svc = (name: string, id: number) => ({ name, id, kind: 'native' as const, limits: { minInstances: 0, maxInstances: 8 } });

test('reconciliation: the running set follows assignments/<host>; instances registered; idempotent', async (t) => {
  const root = uniqueRoot();
  const ctl = await controller(root);
  await ctl.putService(svc('fw', 1));
  await ctl.putService(svc('nat', 2));
  const runner = new FakeRunner();
  const a = await agent(root, 'h1', runner);
  await ctl.waitFor(() => ctl.hosts().has('h1'), 3000);
  t.is(runner.running.size, 0);

  await ctl.assign('h1', [{ service: 'fw', index: 0 }, { service: 'fw', index: 1 }, { service: 'nat', index: 0, config: { pool: '10.9.0.0/24' } }], 'absent');
  await ctl.waitFor(() => ctl.instances().length === 3, 5000);
  t.deepEqual([...runner.running.keys()].sort(), ['fw:0', 'fw:1', 'nat:0']);
  t.is(runner.running.get('nat:0')?.spec.serviceId, 2);
  t.deepEqual(runner.running.get('nat:0')?.spec.config, { pool: '10.9.0.0/24' });
  t.deepEqual(ctl.hostsOf('fw'), ['h1']);

  const calls = runner.calls.length;
  const again = await a.reconcileNow();
  t.deepEqual([again.started, again.stopped, again.failed], [[], [], []], 'a second pass changes nothing');
  t.is(runner.calls.length, calls);

  const cur = ctl.assignments().get('h1');
  t.truthy(cur);
  const ver = (await ctl.store.getAssignment('h1'))?.version ?? -1;
  await ctl.assign('h1', [{ service: 'fw', index: 1 }, { service: 'nat', index: 1 }], ver);
  await ctl.waitFor(() => ctl.instances().map((i) => `${i.service}:${i.index}`).sort().join() === 'fw:1,nat:1', 5000);
  t.deepEqual([...runner.running.keys()].sort(), ['fw:1', 'nat:1']);
  t.true(runner.calls.includes('stop fw:0') && runner.calls.includes('stop nat:0'));
});

test('reconciliation retries failures: a failing start and an undefined service converge later', async (t) => {
  const root = uniqueRoot();
  const ctl = await controller(root);
  await ctl.putService(svc('fw', 1));
  const runner = new FakeRunner();
  runner.failStarts.set('fw:0', 2);
  await agent(root, 'h1', runner);
  await ctl.assign('h1', [{ service: 'fw', index: 0 }, { service: 'ids', index: 0 }], 'absent');
  await ctl.waitFor(() => ctl.instances('fw').length === 1, 8000);
  t.is(runner.calls.filter((c) => c === 'start fw:0').length, 3, 'two injected failures, then success');
  t.false(runner.running.has('ids:0'), 'ids is not defined yet');
  await ctl.putService(svc('ids', 3));
  await ctl.waitFor(() => ctl.instances('ids').length === 1, 8000);
  t.true(runner.running.has('ids:0'));
});

test('stats: published about once a second in one batch and seen by the controller; removed with the instance', async (t) => {
  const root = uniqueRoot();
  const ctl = await controller(root);
  await ctl.putService(svc('fw', 1));
  const runner = new FakeRunner();
  const a = await agent(root, 'h1', runner, 250);
  await ctl.assign('h1', Array.from({ length: 4 }, (_, i) => ({ service: 'fw', index: i })), 'absent');
  await ctl.waitFor(() => ctl.stats('h1').length === 4 && ctl.stats('h1').every((s) => s.seq >= 2), 5000);
  const s0 = ctl.stats('h1').find((s) => s.instance === 'fw:0');
  t.truthy(s0);
  t.true((s0?.rxPkts ?? 0) >= 3000);
  t.true((s0?.pps ?? 0) > 0, 'rate computed from consecutive samples');
  t.true(Date.now() - (s0?.t ?? 0) < 2000);
  const seen: number[] = [];
  ctl.view.on('stats', (e) => { if (e.instance === 'fw:0' && e.op === 'updated') seen.push(e.record.seq); });
  await sleep(1100);
  t.true(seen.length >= 2 && seen.length <= 7, `~4 updates/s at 250 ms, saw ${seen.length}`);
  await ctl.updateAssignment('h1', (cur) => cur.filter((i) => i.index !== 3));
  await ctl.waitFor(() => ctl.stats('h1').length === 3 && ctl.instances('fw').length === 3, 5000);
  await waitUntil(() => !runner.running.has('fw:3'), 3000, 'fw:3 stopped');
  t.is(await a.publishStats(), 3);
  await sleep(600);
  t.deepEqual(ctl.stats('h1').map((s) => s.instance).sort(), ['fw:0', 'fw:1', 'fw:2'], 'the stopped instance\'s stats stay gone');
});

test.serial('agent session expiry: host and instances re-registered once, stats republished, assignment watch re-armed', async (t) => {
  const root = uniqueRoot();
  const ctl = await controller(root);
  await ctl.putService(svc('fw', 1));
  const runner = new FakeRunner();
  const a = await agent(root, 'he', runner, 200);
  await ctl.assign('he', [{ service: 'fw', index: 0 }, { service: 'fw', index: 1 }], 'absent');
  await ctl.waitFor(() => ctl.instances('fw').length === 2 && ctl.stats('he').length === 2, 5000);
  const old = a.clusterStore.session.sessionId;
  await a.clusterStore.session.expireForTest();
  await waitUntil(() => a.clusterStore.session.generation === 2, 8000, 'agent on a new session');
  const conn = await ctl.store.session.ready();
  await waitUntil(async () => (await conn.exists(ctl.store.layout.host('he')))?.ephemeralOwner === a.clusterStore.session.sessionId, 5000, 'host re-registered');
  await ctl.waitFor(() => ctl.hosts().has('he') && ctl.instances('fw').length === 2 && ctl.stats('he').length === 2, 5000);
  t.not(a.clusterStore.session.sessionId, old);
  t.deepEqual((await conn.getChildren(ctl.store.layout.instancesDir('fw'))).sort(), ['he:0', 'he:1'], 'no duplicates');
  for (const k of ['he:0', 'he:1']) {
    t.is((await conn.exists(`${ctl.store.layout.instancesDir('fw')}/${k}`))?.ephemeralOwner, a.clusterStore.session.sessionId);
  }
  t.is(runner.calls.filter((c) => c.startsWith('start')).length, 2, 'the NFs kept running: no restart');
  // The assignment watch lives on the new session.
  await ctl.updateAssignment('he', (cur) => [...cur, { service: 'fw', index: 2 }]);
  await ctl.waitFor(() => ctl.instances('fw').length === 3, 5000);
  t.true(runner.running.has('fw:2'));
});

test.serial('an agent killed with SIGKILL: its host, instances and stats vanish within the session timeout and the view updates', async (t) => {
  const root = uniqueRoot();
  const ctl = await controller(root);
  await ctl.putService(svc('fw', 1));
  await ctl.assign('hk', [{ service: 'fw', index: 0 }, { service: 'fw', index: 1 }], 'absent');
  const child = spawnFixture('agent-child.ts', { connectString: zk.connectString, root, hostId: 'hk', n: 5, sessionTimeoutMs: SESSION_MS, statsIntervalMs: 200 });
  await child.waitLine((l) => l.ready === true);
  await ctl.waitFor(() => ctl.hosts().has('hk') && ctl.instances('fw').length === 2 && ctl.stats('hk').length === 2, 8000);
  // Confirm the session timeout the server granted (so the bound below is meaningful).
  const removedAt: Record<string, number> = {};
  ctl.view.on('change', (e) => {
    if (e.kind === 'host' && e.op === 'removed') removedAt.host = Date.now();
    if (e.kind === 'instance' && e.op === 'removed') removedAt.instance = Date.now();
    if (e.kind === 'stats' && e.op === 'removed') removedAt.stats = Date.now();
  });
  const t0 = Date.now();
  await child.kill('SIGKILL');
  const ms = await waitUntil(() => !ctl.hosts().has('hk') && ctl.instances('fw').length === 0 && ctl.stats('hk').length === 0,
    SESSION_MS + 3000, 'ephemerals of the killed agent to vanish');
  t.log(`ephemerals gone ${ms} ms after SIGKILL (session timeout ${SESSION_MS} ms)`);
  t.true(ms <= SESSION_MS + 1000, `vanished in ${ms} ms`);
  t.true(ms >= SESSION_MS / 2, 'not before the server expired the session');
  t.truthy(removedAt.host && removedAt.instance && removedAt.stats);
  t.true((removedAt.host as number) - t0 <= SESSION_MS + 1000);
  // The persistent desired state survives the agent.
  t.is(ctl.assignments().get('hk')?.instances.length, 2);
  const conn = await ctl.store.session.ready();
  t.deepEqual(await conn.getChildren(ctl.store.layout.instancesDir('fw')), []);
  // The empty stats/<host> directory is garbage-collected by the controller view.
  await waitUntil(async () => (await conn.exists(ctl.store.layout.statsHost('hk'))) === null, 4000, 'stats/hk removed');
});

test.serial('an agent restarted under the same host id re-registers once the old session is gone', async (t) => {
  const root = uniqueRoot();
  const ctl = await controller(root);
  await ctl.putService(svc('fw', 1));
  await ctl.assign('hr', [{ service: 'fw', index: 0 }], 'absent');
  const first = spawnFixture('agent-child.ts', { connectString: zk.connectString, root, hostId: 'hr', n: 6, sessionTimeoutMs: SESSION_MS });
  const r1 = await first.waitLine((l) => l.ready === true);
  await first.kill('SIGKILL');
  const second = spawnFixture('agent-child.ts', { connectString: zk.connectString, root, hostId: 'hr', n: 6, sessionTimeoutMs: SESSION_MS });
  const r2 = await second.waitLine((l) => l.ready === true, 15_000);
  t.not(r2.sessionId, r1.sessionId);
  await ctl.waitFor(() => ctl.instances('fw').length === 1, 5000);
  const conn = await ctl.store.session.ready();
  const st = await conn.exists(ctl.store.layout.host('hr'));
  t.is(st?.ephemeralOwner, r2.sessionId as string, 'owned by the new incarnation');
  t.is((await conn.getChildren(ctl.store.layout.hostsDir)).filter((h) => h === 'hr').length, 1);
  await second.kill('SIGKILL');
});
