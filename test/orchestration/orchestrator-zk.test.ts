// The orchestrator against a REAL ZooKeeper (private server): path ids allocated, assignments written from
// placement, REST override, host loss by port status (immediate) and by session loss, automatic scale-out from
// published stats. The OpenFlow side is a scripted ControllerHandle (no switch here; see pipeline-ovs.test.ts
// and orchestrator-ovs.test.ts for the switch side).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ClusterStore } from '../../cluster/store.js';
import type { ControllerEvent, ControllerHandle } from '../../controller/api.js';
import { ControllerClusterView } from '../../controller/cluster-view.js';
import { Orchestrator, type OrchestratorEvent } from '../../controller/orchestrator.js';
import { Ledger } from '../../labs/lib/ledger.js';
import { startZooKeeper } from '../../labs/lib/zookeeper.js';
import { waitFor } from '../../labs/lib/exec.js';

class ScriptedOf implements ControllerHandle {
  readonly listenAddress = 'none';
  private readonly subs = new Set<(ev: ControllerEvent) => void>();
  switches() { return []; }
  session() { return undefined; }
  subscribe(fn: (ev: ControllerEvent) => void): () => void {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  }
  emit(ev: ControllerEvent): void {
    for (const s of this.subs) s(ev);
  }
}

const DPID = '00000000000000a1';
const hostRec = (id: string, port: number) => ({
  id,
  mac: `02:00:00:00:00:0${port}`,
  tunnelIp: `10.99.0.${port}`,
  switch: { dpid: DPID, port },
  cores: 2,
  capacity: { maxInstances: 4 },
  startedAt: Date.now(),
});
const swPort = (port_no: number, state: number) => ({ port_no, hw_addr: '02:00:00:00:00:99', name: `p${port_no}`, config: 0, state, curr: 0, advertised: 0, supported: 0, peer: 0, curr_speed: 0, max_speed: 0 });

test('orchestrator on a real ZooKeeper: place, override, failover (port + session), autoscale', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rvt-orch-'));
  const ledger = Ledger.open(join(dir, 'state.json'));
  const root = `/rvt${randomBytes(3).toString('hex')}`;
  const stores: ClusterStore[] = [];
  let cluster: ControllerClusterView | undefined;
  let orch: Orchestrator | undefined;
  try {
    const zk = await startZooKeeper({ dir: join(dir, 'zk'), ledger });
    const open = async (): Promise<ClusterStore> => {
      const s = await ClusterStore.open({ connectString: zk.connectString, sessionTimeoutMs: 4000, root });
      stores.push(s);
      return s;
    };
    const admin = await open();
    await admin.ensureLayout();
    for (const [name, id] of [['fw', 1], ['mon', 2]] as const) await admin.putService({ name, id, kind: 'native', limits: { minInstances: 1, maxInstances: 4 } });
    await admin.putTenants({ tenants: [{ id: 't1', name: 'tenant one', ports: [1, 2] }] }, 'any');
    await admin.putChains({ chains: [{ id: 'web', tenant: 't1', services: ['fw', 'mon'], match: { inPort: 1, ipDst: '10.0.2.0/24' } }] }, 'any');
    const h1 = await open();
    await h1.registerHost(hostRec('h1', 3));
    const h2 = await open();
    await h2.registerHost(hostRec('h2', 4));

    const of = new ScriptedOf();
    cluster = await ControllerClusterView.open({ connectString: zk.connectString, sessionTimeoutMs: 4000, root });
    const events: Array<{ at: number; ev: OrchestratorEvent }> = [];
    orch = new Orchestrator({
      of,
      cluster,
      debounceMs: 10,
      auditMs: 0,
      scaling: { sustainMs: 300, outCooldownMs: 600, inCooldownMs: 60_000, staleMs: 5000 },
    });
    orch.subscribe((ev) => events.push({ at: Date.now(), ev }));
    await orch.start();
    const c = cluster;
    // read from ZooKeeper itself (the live view has been seen lagging on re-created nodes)
    let zkAssign = new Map<string, string[]>();
    const refresh = async (): Promise<void> => {
      zkAssign = new Map([...(await admin.listAssignments())].map(([h, d]) => [h, d.value.instances.map((a) => `${a.service}:${a.index}${a.config?.draining ? '(draining)' : ''}`).sort()]));
    };
    const assigned = (host: string): string[] => zkAssign.get(host) ?? [];
    const until = (pred: () => boolean, ms: number, step: number): Promise<boolean> => waitFor(async () => { await refresh(); return pred(); }, ms, step);

    // ---- initial placement: path id allocated, both hops co-located on one host
    t.true(await waitFor(() => c.chains()[0]?.pathId === 1, 10_000, 20), 'service path id allocated and written to the chain');
    t.true(await until(() => assigned('h1').join() === 'fw:0,mon:0', 10_000, 20), `h1: ${assigned('h1').join()}`);
    t.deepEqual(assigned('h2'), []);
    t.deepEqual(orch.last!.placement.paths[0]!.hops.map((h) => h.vni), [(1 << 8) | 0, (1 << 8) | 1]);

    // ---- REST override: 2 firewalls → the second one on the other host
    await orch.setDesiredCount('fw', 2);
    t.true(await until(() => assigned('h2').join() === 'fw:0', 10_000, 20), `h2: ${assigned('h2').join()}`);
    t.deepEqual(assigned('h1'), ['fw:0', 'mon:0'], 'nothing moved');

    // ---- host h1 loses its switch port: immediate re-placement of its instances on h2
    const tDown = Date.now();
    of.emit({ type: 'port-status', dpid: BigInt('0x' + DPID), reason: 'MODIFY', port: swPort(3, 1) });
    t.true(await until(() => assigned('h2').join() === 'fw:0,fw:1,mon:0', 10_000, 5), `h2 after h1 down: ${assigned('h2').join()}`);
    const reactMs = Date.now() - tDown;
    t.deepEqual(assigned('h1'), [], 'the unreachable host is told to stop its instances');
    const live = events.find((e) => e.ev.type === 'liveness');
    t.truthy(live);
    t.is(live?.ev.type === 'liveness' ? live.ev.transition.cause : undefined, 'port-down', `re-placement written ${reactMs} ms after the port went down`);
    t.log(`port down → assignments rewritten in ${reactMs} ms`);

    // ---- port back: h1 alive again, nothing moves back (minimal movement)
    of.emit({ type: 'port-status', dpid: BigInt('0x' + DPID), reason: 'MODIFY', port: swPort(3, 4) });
    t.true(await waitFor(() => orch!.livenessState().portDown.h1 === undefined, 5000, 10));
    await orch.runPass('test');
    await refresh();
    t.deepEqual(assigned('h2'), ['fw:0', 'fw:1', 'mon:0']);
    t.deepEqual(assigned('h1'), []);

    // ---- h2's agent dies (ZooKeeper session closed → ephemeral host record gone): everything back on h1
    await h2.close();
    stores.splice(stores.indexOf(h2), 1);
    t.true(await until(() => assigned('h1').join() === 'fw:0,fw:1,mon:0', 15_000, 10), `h1 after h2 session loss: ${assigned('h1').join()}`);
    t.deepEqual(assigned('h2'), []);

    // ---- automatic scale-out: back to automatic for fw, overloaded fw:0 on h1
    await orch.setDesiredCount('fw', null);
    for (const idx of [0, 1]) await h1.registerInstance({ service: 'fw', serviceId: 1, host: 'h1', index: idx, state: 'running', startedAt: Date.now() });
    const tLoad = Date.now();
    let seq = 0;
    const pub = setInterval(() => {
      seq++;
      void h1.publishStats('h1', [0, 1].map((idx) => ({ instance: `fw:${idx}`, t: Date.now(), seq, rxPkts: seq * 1000, txPkts: seq * 1000, dropPkts: 0, rxBytes: 0, txBytes: 0, pps: 90000, ringFill: 0.9 }))).catch(() => undefined);
    }, 100);
    try {
      t.true(await until(() => assigned('h1').filter((x) => x.startsWith('fw:')).length >= 3, 10_000, 20), `h1 after overload: ${assigned('h1').join()}`);
    } finally {
      clearInterval(pub);
    }
    const outMs = Date.now() - tLoad;
    const dec = events.find((e) => e.ev.type === 'scaling' && e.ev.decision.kind === 'scale-out' && e.ev.decision.reason !== 'override');
    t.truthy(dec, 'an automatic scale-out decision was made');
    t.true(outMs >= 300, `scale-out assignment ${outMs} ms after the overload began, not before the 300 ms sustain`);
    t.log(`overload → extra instance assigned in ${outMs} ms (sustain 300 ms)`);

    // ---- the chain is deleted: its path id is released and its instances unassigned
    await admin.putChains({ chains: [] }, 'any');
    t.true(await waitFor(async () => (await admin.listPaths()).length === 0, 10_000, 20), 'service path released');
    t.true(await until(() => assigned('h1').length === 0, 10_000, 20), `h1 after the chain is gone: ${assigned('h1').join()}`);
  } finally {
    await orch?.stop();
    await cluster?.close();
    for (const s of stores) await s.close().catch(() => undefined);
    await ledger.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
});
