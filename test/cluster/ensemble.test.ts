// A 3-node loopback ZooKeeper ensemble: the server a client uses is stopped (the client moves, same
// session); the leader is killed under write load (no acknowledged write lost, clients continue).
import test from 'ava';
import { fourLetter } from '../../labs/lib/zookeeper.js';
import { ClusterStore } from '../../cluster/store.js';
import { LiveView } from '../../cluster/view.js';
import { isZkError } from '../../cluster/errors.js';
import { JsZkConnector } from '../../cluster/zk.js';
import { ensemble, uniqueRoot, waitUntil, hostRec, sleep, type EnsembleFixture } from './helpers.js';

let ens: EnsembleFixture;
const SESSION_MS = 6000;

test.before(async () => { ens = await ensemble(3); });
test.after.always(async () => { await ens?.teardown(); });

/** Client connections of each server (srvr counts the 4lw connection itself). */
async function connections(): Promise<number[]> {
  return Promise.all(ens.servers.map(async (s) => {
    const m = /Connections: (\d+)/.exec(await fourLetter(s.port, 'srvr'));
    return m ? Number(m[1]) - 1 : -1;
  }));
}
async function modes(): Promise<string[]> {
  return Promise.all(ens.servers.map(async (s) => /Mode: (\w+)/.exec(await fourLetter(s.port, 'srvr'))?.[1] ?? 'down'));
}

test.serial('the server a client uses is stopped: the client moves to another server in the same session', async (t) => {
  const before = await connections();
  const store = await ClusterStore.open({ connectString: ens.connectString, sessionTimeoutMs: SESSION_MS, root: uniqueRoot() });
  try {
    await store.registerHost(hostRec('h1', 1));
    let used = -1;
    await waitUntil(async () => {
      const now = await connections();
      used = now.findIndex((n, i) => n === (before[i] ?? 0) + 1);
      return used >= 0;
    }, 3000, 'the server our client is connected to');
    const sid = store.session.sessionId;
    const server = ens.servers[used]!;
    t.log(`client on server ${used + 1} (${server.connectString}); stopping it`);
    const states: string[] = [];
    store.session.on('state', (s) => states.push(s));
    await server.stop();
    await store.session.ready(SESSION_MS);
    t.is(store.session.sessionId, sid, 'same session');
    t.is(store.session.generation, 1, 'no session replacement');
    t.deepEqual(states.slice(0, 2), ['connecting', 'connected']);
    // Our ephemeral survived and new writes work through another server.
    await store.putService({ name: 'fw', id: 1, kind: 'native', limits: { minInstances: 0, maxInstances: 1 } }, 'absent');
    const h = await store.getHost('h1');
    t.is(h?.value.id, 'h1');
    const now = await connections();
    t.is(now[used], -1, 'the stopped server does not answer');
    t.true(now.some((n, i) => i !== used && n >= 1), 'connected to a surviving server');
    await server.start();
  } finally {
    await store.close();
  }
});

test.serial('the leader killed under write load: no acknowledged write lost, clients continue', async (t) => {
  await waitUntil(async () => (await modes()).filter((m) => m === 'leader' || m === 'follower').length === 3, 20_000, 'full ensemble');
  const root = uniqueRoot();
  const writer = await ClusterStore.open({ connectString: ens.connectString, sessionTimeoutMs: SESSION_MS, root });
  const watcherStore = await ClusterStore.open({ connectString: ens.connectString, sessionTimeoutMs: SESSION_MS, root });
  const view = new LiveView(watcherStore, { stats: false, assignments: false, policy: false, services: false });
  await view.start();
  const dir = `${root}/load`;
  await (await writer.session.ready()).create(dir, Buffer.alloc(0), 'persistent');
  const acked: number[] = [];
  const failed: string[] = [];
  let next = 0;
  let stop = false;
  let killedAt = 0;
  let ackedAfterKill = 0;
  const worker = async (): Promise<void> => {
    while (!stop) {
      const i = next++;
      try {
        const conn = await writer.session.ready(SESSION_MS * 2);
        await conn.create(`${dir}/w-${String(i).padStart(6, '0')}`, Buffer.from(String(i)), 'persistent');
        acked.push(i);
        if (killedAt) ackedAfterKill++;
      } catch (e) {
        // Unacknowledged (connection loss mid-flight): the write may or may not have happened.
        if (!isZkError(e)) throw e;
        failed.push(e.code);
        await sleep(20);
      }
    }
  };
  const workers = Array.from({ length: 4 }, () => worker());
  await waitUntil(() => acked.length >= 200, 20_000, '200 writes before the kill');
  const leaderIdx = (await modes()).indexOf('leader');
  t.true(leaderIdx >= 0, 'there is a leader');
  const leader = ens.servers[leaderIdx]!;
  killedAt = Date.now();
  await leader.stop('SIGKILL');
  t.log(`killed leader server ${leaderIdx + 1} after ${acked.length} acknowledged writes`);
  await waitUntil(() => ackedAfterKill >= 200, 30_000, '200 acknowledged writes after the kill');
  const resumedMs = Date.now() - killedAt;
  stop = true;
  await Promise.all(workers);
  const newModes = await modes();
  t.log(`modes after kill: ${newModes.join(', ')}; writes resumed, 200 more acked within ${resumedMs} ms; ${failed.length} unacknowledged attempts (${[...new Set(failed)].join(', ')})`);
  t.true(newModes.includes('leader'), 'a new leader was elected');
  t.is(writer.session.generation, 1, 'the writer kept its session');

  // Every acknowledged write is there, read through a fresh client on a surviving server.
  const survivor = ens.servers.find((_, i) => i !== leaderIdx)!;
  const check = await new JsZkConnector().connect({ connectString: survivor.connectString, sessionTimeoutMs: SESSION_MS });
  try {
    // A write through this client first: its later reads then see everything committed before it.
    await check.create(`${dir}-sync`, Buffer.alloc(0), 'ephemeral');
    const present = new Set((await check.getChildren(dir)).map((n) => Number(n.slice(2))));
    const lost = acked.filter((i) => !present.has(i));
    t.deepEqual(lost, [], 'no acknowledged write lost');
    t.true(acked.length >= 400);
  } finally {
    await check.close();
  }
  // Watches keep working after the leader change.
  await writer.registerHost(hostRec('after', 9));
  await waitUntil(() => view.hosts().has('after'), 5000, 'view sees a change made after the leader change');
  view.close();
  await writer.close();
  await watcherStore.close();
  await leader.start();
});
