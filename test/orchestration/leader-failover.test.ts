// Two controllers on one ToR with ZooKeeper leader election (startOrchestration, as `rackvisor controller
// --zookeeper` runs it): only the leader programs the switch; when the leader goes away the follower is elected,
// takes the MASTER role and reconciles without flushing anything (flows keep counters and durations).
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ClusterStore } from '../../cluster/store.js';
import { Controller } from '../../controller/index.js';
import { startOrchestration } from '../../controller/orchestrator.js';
import { Ledger } from '../../labs/lib/ledger.js';
import { startOvs } from '../../labs/lib/ovs.js';
import { startZooKeeper } from '../../labs/lib/zookeeper.js';
import { sleep, waitFor } from '../../labs/lib/exec.js';
import { seedFwChain } from '../support/cluster-seed.js';

type Orch = Awaited<ReturnType<typeof startOrchestration>>;

test('leader controller lost → the follower takes over, MASTER, no flow flushed or re-created', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rvt-lead-'));
  const ledger = Ledger.open(join(dir, 'state.json'));
  const root = `/rvl${randomBytes(3).toString('hex')}`;
  const br = `rvl${randomBytes(2).toString('hex')}`;
  const dpidHex = '00' + randomBytes(7).toString('hex');
  const dpid = BigInt('0x' + dpidHex);
  const ctrls = [new Controller({ host: '127.0.0.1', port: 0, apps: [], log: () => undefined }), new Controller({ host: '127.0.0.1', port: 0, apps: [], log: () => undefined })];
  const orchs: Array<Orch | undefined> = [undefined, undefined];
  const stores: ClusterStore[] = [];
  try {
    const zk = await startZooKeeper({ dir: join(dir, 'zk'), ledger });
    const ovs = await startOvs({ ledger });
    for (const c of ctrls) await c.start();
    await ovs.addBridge(br, { failMode: 'secure', dpid: dpidHex });
    await ovs.vsctl('set-controller', br, `tcp:127.0.0.1:${ctrls[0]!.port}`, `tcp:127.0.0.1:${ctrls[1]!.port}`);
    for (const p of [1, 2, 11]) await ovs.vsctl('add-port', br, `${br}-p${p}`, '--', 'set', 'interface', `${br}-p${p}`, 'type=dummy', `ofport_request=${p}`);
    const admin = await ClusterStore.open({ connectString: zk.connectString, sessionTimeoutMs: 4000, root });
    stores.push(admin);
    await admin.ensureLayout();
    await seedFwChain(admin, admin, dpidHex);

    t.true(await waitFor(() => ctrls.every((c) => c.session(dpid) !== undefined), 20_000, 50), 'the ToR is connected to both controllers');
    orchs[0] = await startOrchestration({ controller: ctrls[0]!, zookeeper: zk.connectString, root, controllerId: 'ctl-a', log: () => undefined });
    orchs[1] = await startOrchestration({ controller: ctrls[1]!, zookeeper: zk.connectString, root, controllerId: 'ctl-b', log: () => undefined });
    t.true(orchs[0].election.isLeader);
    t.false(orchs[1].election.isLeader);
    const steer = (): Promise<string> => ovs.ofctl('dump-flows', br, 'table=2');
    t.true(await waitFor(async () => /in_port=1 actions=output:11/.test(await steer()), 15_000, 50), 'leader installed the pipeline');
    t.true(await waitFor(() => ctrls[0]!.switches()[0]?.role === 'MASTER' && ctrls[1]!.switches()[0]?.role === 'SLAVE', 10_000, 50), 'roles: leader MASTER, follower SLAVE');
    t.true((orchs[1].orchestrator.last?.installs.length ?? 0) === 0, 'the follower never installed anything');
    const frame = 'in_port(1),eth(src=02:00:00:00:00:01,dst=02:00:00:00:00:02),eth_type(0x0800),ipv4(src=10.0.1.5,dst=10.0.2.7,proto=17,tos=0,ttl=64,frag=no),udp(src=1000,dst=80)';
    for (let i = 0; i < 3; i++) await ovs.appctl('netdev-dummy/receive', `${br}-p1`, frame);
    t.true(await waitFor(async () => /n_packets=3,.*in_port=1 actions=output:11/.test(await steer()), 5000, 50));
    await sleep(1100);
    const dur = (s: string): number => Number(/duration=([\d.]+)s.*in_port=1 /.exec(s)?.[1] ?? NaN);
    const before = dur(await steer());

    // the leader goes away (its ZooKeeper session ends, its OpenFlow connection closes)
    const t0 = performance.now();
    await orchs[0].stop();
    orchs[0] = undefined;
    await ctrls[0]!.stop();
    t.true(await waitFor(() => orchs[1]!.election.isLeader, 15_000, 10), 'the follower is elected');
    t.true(await waitFor(() => ctrls[1]!.switches()[0]?.role === 'MASTER', 10_000, 10), 'and takes the MASTER role');
    t.true(await waitFor(() => (orchs[1]!.orchestrator.last?.installs.length ?? 0) > 0 && orchs[1]!.orchestrator.last!.leader, 10_000, 10), 'the new leader reconciled the switch');
    const takeover = performance.now() - t0;
    const inst = orchs[1].orchestrator.last!.installs[0]!;
    t.is(inst.error, undefined);
    t.true(inst.result!.readSwitch, 'read what the switch has');
    t.is(inst.result!.changes, 0, 'nothing to change: no flush, no re-install');
    t.log(`leader lost → follower MASTER and reconciled in ${takeover.toFixed(0)} ms, ${inst.result!.changes} flow changes`);
    const after = await steer();
    t.regex(after, /n_packets=3,.*in_port=1 actions=output:11/, 'counters kept');
    t.true(dur(after) >= before, `flow not re-created (duration ${before} → ${dur(after)})`);
  } finally {
    for (const o of orchs) await o?.stop().catch(() => undefined);
    for (const c of ctrls) await c.stop().catch(() => undefined);
    for (const s of stores) await s.close().catch(() => undefined);
    await ledger.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
});
