// Controller leader election on a real ZooKeeper: predecessor-only watching, takeover within the
// session timeout + 1 s after the leader is SIGKILLed, graceful hand-over, and the OpenFlow role on a
// real Open vSwitch (two controllers on one bridge; `ovs-vsctl list controller` role column).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ClusterStore } from '../../cluster/store.js';
import { LeaderElection, type RoleChange } from '../../cluster/election.js';
import { Ledger } from '../../labs/lib/ledger.js';
import { startOvs } from '../../labs/lib/ovs.js';
import { killAll, spawnFixture, type Child } from './fixtures/child.js';
import { standalone, uniqueRoot, waitUntil, tag, type ZkFixture } from './helpers.js';

let zk: ZkFixture;
const SESSION_MS = 2000;
const stores: ClusterStore[] = [];

test.before(async () => { zk = await standalone(); });
test.after.always(async () => {
  await killAll();
  for (const s of stores) await s.close().catch(() => undefined);
  await zk?.teardown();
});

function controllerChild(root: string, controllerId: string, openflow = false): Child {
  return spawnFixture('controller-child.ts', { connectString: zk.connectString, root, controllerId, sessionTimeoutMs: SESSION_MS, openflow });
}
const lastRole = (c: Child): string | undefined => [...c.lines].reverse().find((l) => typeof l.role === 'string')?.role as string | undefined;

test.serial('three controllers: the first leads; killing a follower changes nothing; killing the leader elects the next within timeout + 1 s', async (t) => {
  const root = uniqueRoot();
  const c1 = controllerChild(root, 'c1');
  await c1.waitLine((l) => l.ready === true);
  const c2 = controllerChild(root, 'c2');
  await c2.waitLine((l) => l.ready === true);
  const c3 = controllerChild(root, 'c3');
  await c3.waitLine((l) => l.ready === true);
  t.is(lastRole(c1), 'MASTER');
  t.is(lastRole(c2), 'SLAVE');
  t.is(lastRole(c3), 'SLAVE');
  const gen1 = BigInt(c1.lines.find((l) => l.role === 'MASTER')?.generation as string);

  // Kill the middle one: c3 now watches c1; nobody's role changes.
  await c2.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, SESSION_MS + 1000));
  t.is(lastRole(c1), 'MASTER');
  t.is(lastRole(c3), 'SLAVE');
  t.is(c3.lines.filter((l) => l.role === 'MASTER').length, 0, 'a follower whose predecessor died does not take over while the leader lives');

  const killedAt = Date.now();
  await c1.kill('SIGKILL');
  const m = await c3.waitLine((l) => l.role === 'MASTER', SESSION_MS + 5000);
  const takeover = (m.t as number) - killedAt;
  t.log(`takeover ${takeover} ms after SIGKILL of the leader (session timeout ${SESSION_MS} ms)`);
  t.true(takeover <= SESSION_MS + 1000, `took ${takeover} ms`);
  t.true(BigInt(m.generation as string) > gen1, 'the new leader has a larger generation id');
});

test.serial('graceful hand-over: a leader that stops is replaced at once; a re-joining candidate queues behind', async (t) => {
  const root = uniqueRoot();
  const a = await ClusterStore.open({ connectString: zk.connectString, sessionTimeoutMs: SESSION_MS, root });
  const b = await ClusterStore.open({ connectString: zk.connectString, sessionTimeoutMs: SESSION_MS, root });
  stores.push(a, b);
  const ea = new LeaderElection(a, { controllerId: 'a' });
  const eb = new LeaderElection(b, { controllerId: 'b' });
  const bRoles: (RoleChange & { t: number })[] = [];
  eb.on('role', (r) => bRoles.push({ ...r, t: Date.now() }));
  await ea.start();
  await eb.start();
  t.true(ea.isLeader);
  t.false(eb.isLeader);
  const cands = await ea.candidates();
  t.deepEqual(cands.map((c) => c.controllerId), ['a', 'b']);
  const t0 = Date.now();
  await ea.stop();
  await waitUntil(() => eb.isLeader, 2000, 'b leads');
  t.true(Date.now() - t0 < SESSION_MS, 'at once: the leader deleted its node, no session expiry was waited for');
  t.is(bRoles.at(-1)?.reason, 'predecessor-gone');
  // Session expiry of the leader: b steps down... no: b is leader; expire b → it re-joins and, alone, leads again.
  await b.session.expireForTest();
  await waitUntil(() => b.session.generation === 2 && eb.isLeader, 5000, 'b re-elected on its new session');
  t.true(bRoles.some((r) => r.role === 'follower' && r.reason === 'session-expired'), 'stepped down when its session expired');
  await eb.stop();
});

test.serial('OpenFlow role on a real Open vSwitch: leader MASTER, follower SLAVE; after SIGKILL of the leader the follower is MASTER', async (t) => {
  const root = uniqueRoot();
  const dir = mkdtempSync(join(tmpdir(), 'rvt-clovs-'));
  const ledger = Ledger.open(join(dir, 'ledger.json'));
  try {
    const ovs = await startOvs({ dir: join(dir, 'ovs'), ledger });
    const c1 = controllerChild(root, 'c1', true);
    const r1 = await c1.waitLine((l) => l.ready === true);
    const c2 = controllerChild(root, 'c2', true);
    const r2 = await c2.waitLine((l) => l.ready === true);
    const br = `rvc${tag()}`;
    const [t1, t2] = [`tcp:127.0.0.1:${r1.ofPort as number}`, `tcp:127.0.0.1:${r2.ofPort as number}`];
    await ovs.addBridge(br, { dpid: '00000000000000c1' });
    await ovs.vsctl('set-controller', br, t1, t2);
    const roles = async (): Promise<Record<string, string>> => {
      const outp = await ovs.vsctl('--format=json', '--columns=target,role,is_connected', 'list', 'controller');
      const j = JSON.parse(outp) as { data: [string, string | [string, unknown[]], boolean][] };
      const res: Record<string, string> = {};
      for (const [target, role, connected] of j.data) res[target] = `${typeof role === 'string' ? role : 'none'}${connected ? '' : '(down)'}`;
      return res;
    };
    await waitUntil(async () => { const r = await roles(); return r[t1] === 'master' && r[t2] === 'slave'; }, 15_000, 'c1 master, c2 slave on OVS');
    t.deepEqual(await roles(), { [t1]: 'master', [t2]: 'slave' });
    const killedAt = Date.now();
    await c1.kill('SIGKILL');
    const m = await c2.waitLine((l) => l.role === 'MASTER', SESSION_MS + 5000);
    const applied = await c2.waitLine((l) => (l.applied as { role?: string } | undefined)?.role === 'MASTER', 5000);
    // ovs-vswitchd refreshes the Controller table's status columns periodically (~5 s), so the
    // database lags the switch; the role reply above is the switch's own confirmation.
    const ms = await waitUntil(async () => (await roles())[t2] === 'master', SESSION_MS + 10_000, 'c2 master in the OVS database', 100);
    t.log(`c2 elected ${(m.t as number) - killedAt} ms, switch confirmed MASTER ${(applied.t as number) - killedAt} ms, ` +
      `ovsdb role column ${ms} ms after SIGKILL of c1 (session timeout ${SESSION_MS} ms)`);
    t.true((m.t as number) - killedAt <= SESSION_MS + 1000, 'elected within the session timeout + 1 s');
    t.true((applied.t as number) - killedAt <= SESSION_MS + 1000, 'MASTER on the switch within the session timeout + 1 s');
    t.is((await roles())[t2], 'master');
    await c2.kill('SIGKILL');
  } finally {
    await killAll();
    await ledger.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
});
