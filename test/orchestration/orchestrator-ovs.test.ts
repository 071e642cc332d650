// End to end on the control plane: real ZooKeeper + real OVS + our OpenFlow controller + the orchestrator.
// Hosts and NF instances are registered in ZooKeeper as host agents would; the orchestrator programs the switch.
// Measured: failover (host port link down → steering rewritten on the switch) and controller restart (no flow
// changes, counters kept).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ClusterStore } from '../../cluster/store.js';
import { Controller } from '../../controller/index.js';
import { ControllerClusterView } from '../../controller/cluster-view.js';
import { Orchestrator, type OrchestratorEvent } from '../../controller/orchestrator.js';
import { TABLE } from '../../controller/pipeline/compile.js';
import { Ledger } from '../../labs/lib/ledger.js';
import { startOvs, type OvsInstance } from '../../labs/lib/ovs.js';
import { startZooKeeper } from '../../labs/lib/zookeeper.js';
import { freePort } from '../../labs/lib/ports.js';
import { sleep, waitFor } from '../../labs/lib/exec.js';

async function steering(ovs: OvsInstance, br: string): Promise<Array<{ rest: string; packets: number; duration: number }>> {
  const out = await ovs.ofctl('dump-flows', br, `table=${TABLE.STEER}`);
  return out
    .split('\n')
    .filter((l) => l.includes('cookie=') && !l.includes('priority=0 '))
    .map((l) => ({
      rest: l.replace(/^.*priority=/, 'priority=').trim(),
      packets: Number(/n_packets=(\d+)/.exec(l)?.[1] ?? NaN),
      duration: Number(/duration=([\d.]+)s/.exec(l)?.[1] ?? NaN),
    }));
}

test('orchestrator + OVS: chain steered to its ingress host, link loss re-steers fast, controller restart changes nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rvt-oovs-'));
  const ledger = Ledger.open(join(dir, 'state.json'));
  const root = `/rvt${randomBytes(3).toString('hex')}`;
  const br = `rvo${randomBytes(2).toString('hex')}`;
  const dpidHex = randomBytes(8).toString('hex').replace(/^./, '0');
  const stores: ClusterStore[] = [];
  const port = await freePort();
  let ctrl: Controller | undefined;
  let cluster: ControllerClusterView | undefined;
  let orch: Orchestrator | undefined;
  let zk: Awaited<ReturnType<typeof startZooKeeper>> | undefined;
  const startControl = async (): Promise<void> => {
    ctrl = new Controller({ host: '127.0.0.1', port, apps: [], log: () => undefined });
    await ctrl.start();
    cluster = await ControllerClusterView.open({ connectString: zk!.connectString, sessionTimeoutMs: 4000, root });
    orch = new Orchestrator({ of: ctrl, cluster, debounceMs: 10, auditMs: 0 });
    await orch.start();
  };
  const stopControl = async (): Promise<void> => {
    await orch?.stop();
    await cluster?.close();
    await ctrl?.stop();
  };
  try {
    zk = await startZooKeeper({ dir: join(dir, 'zk'), ledger });
    const ovs = await startOvs({ ledger });
    await ovs.addBridge(br, { controller: `tcp:127.0.0.1:${port}`, failMode: 'secure', dpid: dpidHex });
    // max_backoff 1 s: the switch reconnects quickly after the controller restart
    await ovs.vsctl('set', 'controller', br, 'max_backoff=1000');
    for (let p = 1; p <= 4; p++) await ovs.vsctl('add-port', br, `${br}-p${p}`, '--', 'set', 'interface', `${br}-p${p}`, 'type=dummy', `ofport_request=${p}`);

    const admin = await ClusterStore.open({ connectString: zk!.connectString, sessionTimeoutMs: 4000, root });
    stores.push(admin);
    await admin.ensureLayout();
    await admin.putService({ name: 'fw', id: 1, kind: 'native', limits: { minInstances: 2, maxInstances: 4 } });
    await admin.putService({ name: 'mon', id: 2, kind: 'native', limits: { minInstances: 1, maxInstances: 4 } });
    await admin.putTenants({ tenants: [{ id: 't1', name: 't1', ports: [1, 2] }] }, 'any');
    await admin.putChains({ chains: [{ id: 'web', tenant: 't1', services: ['fw', 'mon'], match: { inPort: 1, ipDst: '10.0.2.0/24' } }] }, 'any');
    for (const [id, p] of [['h1', 3], ['h2', 4]] as const) {
      const s = await ClusterStore.open({ connectString: zk!.connectString, sessionTimeoutMs: 4000, root });
      stores.push(s);
      await s.registerHost({ id, mac: `02:00:00:00:00:0${p}`, tunnelIp: `10.99.0.${p}`, switch: { dpid: dpidHex, port: p }, cores: 2, capacity: { maxInstances: 4 }, startedAt: Date.now() });
      // the host agent runs what it was assigned: here we register fw:0 on each host as running
      await s.registerInstance({ service: 'fw', serviceId: 1, host: id, index: 0, state: 'running', startedAt: Date.now() });
    }

    await startControl();
    const events: Array<{ at: number; ev: OrchestratorEvent }> = [];
    orch!.subscribe((ev) => events.push({ at: performance.now(), ev }));
    const dpid = BigInt('0x' + dpidHex);
    t.true(await waitFor(() => ctrl!.session(dpid) !== undefined, 15_000, 50), 'switch connected');
    t.true(
      await waitFor(async () => (await steering(ovs, br)).some((f) => /group:\d+/.test(f.rest)), 15_000, 50),
      'steering flow through a select group over h1 and h2',
    );
    t.regex(await ovs.ofctl('dump-groups', br), /type=select.*output:3.*output:4/);
    t.deepEqual(
      (cluster!.assignments().get('h1')?.instances ?? []).map((a) => a.service).sort(),
      ['fw', 'mon'],
    );

    // ---- link loss on h2's port → the switch steers to h1 only
    const t0 = performance.now();
    await ovs.appctl('netdev-dummy/set-admin-state', `${br}-p4`, 'down');
    t.true(await waitFor(async () => (await steering(ovs, br)).some((f) => /actions=output:3$/.test(f.rest)), 10_000, 5), 'steering rewritten to h1');
    const failoverMs = performance.now() - t0;
    const live = events.find((e) => e.ev.type === 'liveness');
    t.truthy(live, 'port status seen');
    t.log(`link down → steering on the switch rewritten in ${failoverMs.toFixed(0)} ms (incl. ovs-ofctl polling)`);
    t.is(live?.ev.type === 'liveness' ? live.ev.transition.cause : undefined, 'port-down', 'the port status drove it (the ZooKeeper sessions are alive)');
    t.notRegex(await ovs.ofctl('dump-groups', br), /type=select/);
    t.deepEqual(cluster!.assignments().get('h2')?.instances ?? [], [], 'the unreachable host is emptied');

    // ---- traffic counters, then a controller restart: nothing changes on the switch
    const frame = 'in_port(1),eth(src=02:00:00:00:00:01,dst=02:00:00:00:00:02),eth_type(0x0800),ipv4(src=10.0.1.5,dst=10.0.2.7,proto=17,tos=0,ttl=64,frag=no),udp(src=1000,dst=80)';
    for (let i = 0; i < 3; i++) await ovs.appctl('netdev-dummy/receive', `${br}-p1`, frame);
    t.true(await waitFor(async () => (await steering(ovs, br))[0]!.packets === 3, 5000, 50));
    const before = await steering(ovs, br);
    await stopControl();
    await sleep(1100);
    await startControl();
    t.true(await waitFor(() => ctrl!.session(dpid) !== undefined, 15_000, 50), 'switch reconnected to the restarted controller');
    t.true(await waitFor(() => (orch!.last?.installs.length ?? 0) > 0, 10_000, 20), 'restarted orchestrator reconciled the switch');
    const inst = orch!.last!.installs[0]!;
    t.is(inst.error, undefined);
    t.true(inst.result!.readSwitch);
    t.is(inst.result!.changes, 0, 'restart: empty diff, nothing sent');
    const after = await steering(ovs, br);
    t.deepEqual(after.map((f) => f.rest), before.map((f) => f.rest));
    t.is(after[0]!.packets, 3, 'counters kept across the controller restart');
    t.true(after[0]!.duration >= before[0]!.duration + 1, 'flow not re-created');
  } finally {
    await stopControl().catch(() => undefined);
    for (const s of stores) await s.close().catch(() => undefined);
    await ledger.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
});
