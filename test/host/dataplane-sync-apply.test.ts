// DataplaneSync's apply loop over the in-memory ZooKeeper (cluster/memory-zk.ts) with a recording target: the
// first apply programs everything, an unrelated change programs nothing, each change touches only what changed
// (a host leaving removes its tunnel and the remote service; a chain change re-programs the classifier and
// flushes the flow table; a deleted chain deletes its path). The real manager + ZooKeeper version of this is
// test/host/dataplane-sync.test.ts.
import test from 'ava';
import { MemoryZk } from '../../cluster/memory-zk.js';
import { ClusterStore } from '../../cluster/store.js';
import { DataplaneSync, type DataplaneTarget } from '../../host/dataplane-sync.js';
import type { ClassifierRule } from '../../native/index.js';

class Recorder implements DataplaneTarget {
  calls: string[] = [];
  setVxlanLocal(mac: string | null, ip?: string): void { this.calls.push(`local ${mac} ${ip}`); }
  setTunnel(ip: string, mac: string | null, remove?: boolean): number { this.calls.push(remove ? `tunnel- ${ip}` : `tunnel ${ip} ${mac}`); return 0; }
  setPath(id: number, services: number[]): void { this.calls.push(`path ${id} ${services.join('>')}`); }
  deletePath(id: number): number { this.calls.push(`path- ${id}`); return 0; }
  setRemoteService(s: number, on: boolean, mac?: string, ip?: string): number { this.calls.push(on ? `remote ${s} ${mac} ${ip}` : `remote- ${s}`); return 0; }
  setRules(rules: ClassifierRule[]): void { this.calls.push(`rules ${JSON.stringify(rules)}`); }
  setDefaultPath(id: number): void { this.calls.push(`default ${id}`); }
  flowClear(): number { this.calls.push('flowClear'); return 0; }
  take(): string[] { const c = this.calls; this.calls = []; return c; }
}

const host = (id: string, n: number): Parameters<ClusterStore['registerHost']>[0] => ({ id, mac: `02:00:00:00:00:0${n}`, tunnelIp: `10.99.0.${n}`, switch: { dpid: '0000000000000001', port: n }, cores: 2, capacity: { maxInstances: 4 }, startedAt: 0 });

test('incremental, idempotent programming from cluster changes', async (t) => {
  const mem = new MemoryZk();
  const open = async (): Promise<ClusterStore> => {
    const s = await ClusterStore.open({ connectString: 'memory', sessionTimeoutMs: 2000, root: '/rv', connector: mem.connector() });
    await s.ensureLayout();
    return s;
  };
  const admin = await open();
  const h1 = await open();
  const h2 = await open();
  t.teardown(async () => { await h2.close().catch(() => undefined); await h1.close(); await admin.close(); });
  await admin.putService({ name: 'fw', id: 1, kind: 'native', limits: { minInstances: 1, maxInstances: 2 } });
  await admin.putService({ name: 'mon', id: 2, kind: 'native', limits: { minInstances: 1, maxInstances: 2 } });
  await admin.putChains({ chains: [{ id: 'web', tenant: 't1', pathId: 3, services: ['fw', 'mon'], match: { ipDst: '10.0.0.2/32' } }] }, 'any');
  await admin.putAssignment('h1', [{ service: 'fw', index: 0 }], 'any');
  await admin.putAssignment('h2', [{ service: 'mon', index: 0 }], 'any');
  await h1.registerHost(host('h1', 1));
  await h2.registerHost(host('h2', 2));

  const rec = new Recorder();
  const sync = new DataplaneSync({ store: h1, self: { id: 'h1', mac: '02:00:00:00:00:01', tunnelIp: '10.99.0.1' }, target: rec, debounceMs: 5 });
  const applied: number[] = [];
  sync.on('applied', () => applied.push(Date.now()));
  await sync.start();
  t.teardown(() => sync.stop());
  t.deepEqual(rec.take(), [
    'local 02:00:00:00:00:01 10.99.0.1',
    'tunnel 10.99.0.2 02:00:00:00:00:02',
    'path 3 1>2',
    'remote 2 02:00:00:00:00:02 10.99.0.2',
    `rules ${JSON.stringify([{ path: 3, dst: '10.0.0.2', dstPrefix: 32 }])}`,
    'default 0',
  ]);
  const settle = async (): Promise<void> => {
    const n = applied.length;
    const end = Date.now() + 2000;
    while (applied.length === n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 30));
  };

  // unrelated: a tenant change (not watched) and an instance registration that changes no decision
  await admin.putTenants({ tenants: [{ id: 't1', name: 't1' }] }, 'any');
  await h2.registerInstance({ service: 'mon', serviceId: 2, host: 'h2', index: 0, state: 'running', startedAt: 0 });
  await settle();
  t.deepEqual(rec.take(), [], 'nothing re-programmed');

  // the chain's match changes: classifier re-programmed, cached flows flushed; path untouched
  await admin.putChains({ chains: [{ id: 'web', tenant: 't1', pathId: 3, services: ['fw', 'mon'], match: { ipDst: '10.0.0.0/24', ipProto: 17 } }] }, 'any');
  await settle();
  t.deepEqual(rec.take(), [`rules ${JSON.stringify([{ path: 3, dst: '10.0.0.0', dstPrefix: 24, proto: 17 }])}`, 'default 0', 'flowClear']);

  // h2 leaves (its session ends): tunnel and remote service go
  await h2.close();
  await settle();
  t.deepEqual(rec.take().sort(), ['remote- 2', 'tunnel- 10.99.0.2']);

  // the chain is deleted: rules emptied (flushed) and the path deleted last
  await admin.putChains({ chains: [] }, 'any');
  await settle();
  t.deepEqual(rec.take(), ['rules []', 'default 0', 'flowClear', 'path- 3']);
  t.is(sync.applied?.paths.size, 0);
});
