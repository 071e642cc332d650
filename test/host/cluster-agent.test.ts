// The real host agent driven by ZooKeeper (host/run.ts = HostAgent + cluster-sync): a private
// ZooKeeper server, a service record and an assignment written like the controller does; the agent
// registers the host, starts the assigned native NF (a DPDK secondary), registers the instance,
// publishes its stats, and stops it when the assignment drops it.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Ledger } from '../../labs/lib/ledger.js';
import { startZooKeeper, type ZooKeeperServer } from '../../labs/lib/zookeeper.js';
import { ClusterStore } from '../../cluster/store.js';
import { runHost, type RunningHost } from '../../host/run.js';
import { sleep, uniquePrefix } from '../native/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rvhc-'));
const ledger = Ledger.open(join(dir, 'state.json'));
let zk: ZooKeeperServer;
let store: ClusterStore;
let host: RunningHost | undefined;
const root = `/rvt-${Math.random().toString(36).slice(2, 8)}`;
const hostId = uniquePrefix('hc');

test.before(async () => {
  zk = await startZooKeeper({ dir: join(dir, 'zk'), ledger });
  store = await ClusterStore.open({ connectString: zk.connectString, sessionTimeoutMs: 6000, root });
  await store.ensureLayout();
});

test.after.always(async () => {
  if (host) await host.stop().catch(() => undefined);
  if (store) await store.close().catch(() => undefined);
  await ledger.teardown().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await sleep(100);
  }
}

test('assignment in ZooKeeper -> the agent runs the NF, registers it, publishes stats; unassigned -> stopped', async (t) => {
  await store.putService({ name: 'mon', id: 2, kind: 'native', image: 'monitor', limits: { minInstances: 0, maxInstances: 4 } });
  host = await runHost({
    hostId, filePrefix: hostId, ports: ['net_null0'], hugepages: { sizeMb: 64 }, controlSocket: null,
    paths: [{ id: 1, services: [2] }], defaultPath: 1,
    cluster: { connectString: zk.connectString, root, mac: '02:00:00:00:00:0a', tunnelIp: '10.99.0.10', switch: { dpid: '0000000000000001', port: 3 }, statsIntervalMs: 300 },
  }, { socket: null });
  const hosts = await store.listHosts();
  t.is(hosts.get(hostId)?.tunnelIp, '10.99.0.10');

  await store.putAssignment(hostId, [{ service: 'mon', index: 0 }], 'any');
  const running = await until('NF running', async () => (await host!.agent.listNfs()).find((n) => n.service === 'mon' && n.state === 'running'));
  t.true((running.pid ?? 0) > 0);
  const inst = await until('instance registered', async () => { const m = await store.listInstances('mon'); return m.size > 0 ? m : undefined; });
  t.is([...inst.values()][0].host, hostId);
  // net_null0 feeds the manager (default path 1 = [mon]): the published stats count packets
  const stats = await until('stats published', async () => {
    const s = await store.readStats(hostId);
    const r = [...s.values()][0];
    return r && r.rxPkts > 0 ? r : undefined;
  });
  t.true(stats.rxPkts > 0);

  await store.putAssignment(hostId, [], 'any');
  await until('NF stopped', async () => (await host!.agent.listNfs()).length === 0);
  let alive = true;
  try { process.kill(running.pid!, 0); } catch { alive = false; }
  t.false(alive);
  await until('instance unregistered', async () => (await store.listInstances('mon')).size === 0);
  await host.stop();
  host = undefined;
  t.true(await until('host unregistered', async () => !(await store.listHosts()).has(hostId)));
});
