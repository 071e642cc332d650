// Live: /api/v1 over a real ZooKeeper server (private, loopback, free port) through the cluster store,
// and the `rackvisor controller --api-port` hook (startNorthbound) on a real controller. Writes made
// through the API are read back from ZooKeeper with the store; hosts/instances/stats published the
// way a host agent does are served by the API. Everything started is in a Ledger and torn down.
import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Ledger } from '../../labs/lib/ledger.js';
import { startZooKeeper, type ZooKeeperServer } from '../../labs/lib/zookeeper.js';
import { ClusterStore } from '../../cluster/store.js';
import { Controller } from '../../controller/index.js';
import { zkClusterPort } from '../../northbound-api/adapters/cluster.js';
import { startNorthbound } from '../../northbound-api/index.js';
import type { RunningApi } from '../../northbound-api/server.js';
import { FakeScaling, start, http, TOKEN } from './support.js';

const id = randomBytes(2).toString('hex');
const ROOT = `/rackvisor-nbt-${id}`;
let ledger: Ledger;
let zk: ZooKeeperServer;
let store: ClusterStore;
let agent: ClusterStore;
let api: RunningApi;

test.before(async () => {
  const dir = mkdtempSync(join(tmpdir(), `rvnz-${id}-`));
  ledger = Ledger.open(join(dir, 'state.json'));
  ledger.record({ kind: 'dir', id: `testdir:${dir}`, path: dir, label: 'northbound ZooKeeper test dir' });
  zk = await startZooKeeper({ dir: join(dir, 'zk'), ledger });
  store = await ClusterStore.open({ connectString: zk.connectString, sessionTimeoutMs: 4000, root: ROOT });
  agent = await ClusterStore.open({ connectString: zk.connectString, sessionTimeoutMs: 4000, root: ROOT });
  api = await start({ cluster: zkClusterPort(store), scaling: new FakeScaling() });
});

test.after.always(async () => {
  await api?.close().catch(() => undefined);
  await agent?.close().catch(() => undefined);
  await store?.close().catch(() => undefined);
  await zk?.stop().catch(() => undefined);
  await ledger?.teardown();
});

test.serial('tenants, services, chains written through the API land in ZooKeeper (CAS documents, records)', async (t) => {
  t.is((await http(api, 'POST', '/api/v1/tenants', { name: 'acme', displayName: 'ACME Inc.', vlan: 10, ports: [3, 4] })).status, 201);
  t.is((await http(api, 'POST', '/api/v1/tenants', { name: 'acme' })).status, 409);
  t.deepEqual((await store.getTenants())?.value.tenants, [{ id: 'acme', name: 'ACME Inc.', vlan: 10, ports: [3, 4] }]);
  const fw = await http(api, 'POST', '/api/v1/services', { name: 'fw', kind: 'native', image: 'firewall', limits: { minInstances: 1, maxInstances: 3 } });
  t.is(fw.status, 201, fw.text);
  t.like(fw.json, { id: 1 });
  t.like((await http(api, 'POST', '/api/v1/services', { name: 'dpi', kind: 'process' })).json, { id: 2 });
  t.like((await store.getService('fw'))?.value, { id: 1, kind: 'native', image: 'firewall', limits: { minInstances: 1, maxInstances: 3 } });
  const chain = { name: 'web', tenant: 'acme', match: { ipDst: '10.0.0.0/24', tpDst: 80, ipProto: 6 }, services: ['fw', 'dpi'], priority: 200 };
  t.is((await http(api, 'POST', '/api/v1/chains', chain)).status, 201);
  t.deepEqual((await store.getChains())?.value.chains, [{ id: 'web', tenant: 'acme', services: ['fw', 'dpi'], match: chain.match, priority: 200 }]);
  // the controller allocates the path id; a PUT through the API keeps it
  await store.modify('chains', store.layout.chains, (cur) => ({ v: 1, chains: cur!.chains.map((c) => ({ ...c, pathId: 7 })) }));
  const put = await http(api, 'PUT', '/api/v1/chains/web', { ...chain, services: ['fw'] });
  t.is(put.status, 200, put.text);
  t.like(put.json, { pathId: 7, services: ['fw'] });
  t.like((await store.getChains())?.value.chains[0], { pathId: 7, services: ['fw'] });
  t.is((await http(api, 'PUT', '/api/v1/services/fw/autoscale', { enabled: false, minInstances: 1, maxInstances: 2 })).status, 200);
  t.like((await store.getService('fw'))?.value.limits, { minInstances: 1, maxInstances: 2 });
});

test.serial('hosts, instances and stats published by an agent are served by the API', async (t) => {
  await agent.registerHost({ id: 'h1', mac: '02:00:00:00:01:01', tunnelIp: '10.0.0.1', switch: { dpid: '0000000000000001', port: 1 }, cores: 4, capacity: { maxInstances: 8 }, startedAt: 1000 });
  await agent.registerInstance({ service: 'fw', serviceId: 1, host: 'h1', index: 0, state: 'running', startedAt: 1001 });
  await agent.publishStats('h1', [{ instance: 'fw:0', t: 2000, seq: 3, rxPkts: 100, txPkts: 90, dropPkts: 10, rxBytes: 6400, txBytes: 5760, pps: 50, ringFill: 0.1 }]);
  t.like((await http(api, 'GET', '/api/v1/hosts/h1')).json, { tunnelIp: '10.0.0.1', switch: { port: 1 } });
  t.is(((await http(api, 'GET', '/api/v1/hosts')).json as unknown[]).length, 1);
  t.deepEqual((await http(api, 'GET', '/api/v1/instances?service=fw')).json, [{ id: 'fw/h1:0', service: 'fw', serviceId: 1, host: 'h1', index: 0, state: 'running', startedAt: 1001 }]);
  t.like(((await http(api, 'GET', '/api/v1/services/fw/instances')).json as unknown[])[0], { host: 'h1' });
  t.like(((await http(api, 'GET', '/api/v1/stats/instances')).json as unknown[])[0], { host: 'h1', instance: 'fw:0', service: 'fw', pps: 50 });
  t.deepEqual((await http(api, 'GET', '/api/v1/stats/hosts')).json, [{ host: 'h1', instances: 1, pps: 50, rxPkts: 100, txPkts: 90, dropPkts: 10 }]);
  // a service with a running instance cannot be deleted
  await http(api, 'DELETE', '/api/v1/chains/web');
  const del = await http(api, 'DELETE', '/api/v1/services/fw');
  t.is(del.status, 409, del.text);
  await agent.unregisterInstance('fw', 'h1', 0);
  t.is((await http(api, 'DELETE', '/api/v1/services/fw')).status, 204);
  t.is(await store.getService('fw'), null);
  t.is((await http(api, 'DELETE', '/api/v1/tenants/acme')).status, 204);
  t.deepEqual((await store.getTenants())?.value.tenants, []);
});

test.serial('startNorthbound (the controller --api-port hook) serves /api/v1 from ZooKeeper and /stats from the controller', async (t) => {
  const ctrl = new Controller({ host: '127.0.0.1', port: 0, apps: [], log: () => undefined });
  await ctrl.start();
  const logs: string[] = [];
  try {
    const nb = await startNorthbound({ controller: ctrl, port: 0, zookeeper: zk.connectString, root: ROOT, token: TOKEN, log: (_l, m) => logs.push(m) });
    try {
      const fake = { url: nb.url } as RunningApi;
      t.like((await http(fake, 'GET', '/api/v1/health')).json, { controller: true, cluster: true, scaling: false });
      t.like(((await http(fake, 'GET', '/api/v1/services')).json as unknown[])[0], { name: 'dpi' });
      t.deepEqual((await http(fake, 'GET', '/stats/switches')).json, []);
      // no orchestrator in this process: the desired count is still written to ZooKeeper, where the leader reads it
      t.is((await http(fake, 'POST', '/api/v1/services/dpi/scale', { instances: 1 })).status, 202);
      t.is((await store.getService('dpi'))?.value.autoscale?.override, 1);
      t.like((await http(fake, 'GET', '/api/v1/services/dpi/autoscale')).json, { enabled: false, desiredInstances: 1 });
      const m = await (await fetch(nb.url + '/metrics')).text();
      t.regex(m, /rackvisor_openflow_sessions 0/);
      t.true(logs.some((l) => l.includes(nb.url)));
    } finally {
      await nb.stop();
    }
  } finally {
    await ctrl.stop();
  }
});
