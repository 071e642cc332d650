// A firewall service's rules set over REST reach the firewall NF a host agent runs: a private ZooKeeper,
// the northbound API on it (the same adapter the controller serves), a real host agent (`runHost`: DPDK
// manager + cluster-sync) and the native firewall NF (a DPDK secondary). Frames go in on a ring port,
// through the firewall, out on another ring port: what arrives and the NF's counters show the REST rules,
// a PUT with new rules applies to the same process (no restart), removing them restarts the NF on its
// image's own (empty) policy, unassigning removes the rendered file.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Ledger } from '../../labs/lib/ledger.js';
import { startZooKeeper, type ZooKeeperServer } from '../../labs/lib/zookeeper.js';
import { ClusterStore } from '../../cluster/store.js';
import { zkClusterPort } from '../../northbound-api/adapters/cluster.js';
import type { RunningApi } from '../../northbound-api/server.js';
import { runHost, type RunningHost } from '../../host/run.js';
import type { ReconcileResult } from '../../host/cluster-sync.js';
import { FakeScaling, http, start } from '../northbound/support.js';
import { batch, frame, sleep, uniquePrefix } from '../native/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'rvfw-'));
const ledger = Ledger.open(join(dir, 'state.json'));
let zk: ZooKeeperServer;
let store: ClusterStore;
let api: RunningApi;
let host: RunningHost | undefined;
const root = `/rvt-fw-${Math.random().toString(36).slice(2, 8)}`;
const hostId = uniquePrefix('fw');

test.before(async () => {
  ledger.record({ kind: 'dir', id: `testdir:${dir}`, path: dir, label: 'firewall config test dir' });
  zk = await startZooKeeper({ dir: join(dir, 'zk'), ledger });
  store = await ClusterStore.open({ connectString: zk.connectString, sessionTimeoutMs: 6000, root });
  await store.ensureLayout();
  api = await start({ cluster: zkClusterPort(store), scaling: new FakeScaling() });
});

test.after.always(async () => {
  if (host) await host.stop().catch(() => undefined);
  await api?.close().catch(() => undefined);
  if (store) await store.close().catch(() => undefined);
  await ledger.teardown().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 20000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await sleep(50);
  }
}

const udp = (dport: number, i: number): Buffer => frame({ src: '10.5.0.1', dst: '10.5.0.2', sport: 2000 + (i % 32), dport });

test.serial('REST rules -> rules file at start, reload on change (same pid), back to the image on removal', async (t) => {
  const fwBody = (rules: unknown[]): unknown => ({ name: 'fw', kind: 'native', image: 'firewall', limits: { minInstances: 0, maxInstances: 2 }, config: { firewall: { rules } } });
  const created = await http(api, 'POST', '/api/v1/services', fwBody([{ action: 'drop', ipProto: 17, tpDst: 53 }]));
  t.is(created.status, 201, created.text);
  const serviceId = (created.json as { id: number }).id;

  host = await runHost({
    hostId, filePrefix: hostId, ports: ['ring:in', 'ring:out'], hugepages: { sizeMb: 128 }, controlSocket: null,
    services: { fw: serviceId }, paths: [{ id: 1, services: ['fw'], outPort: 'ring:out' }], defaultPath: 1, ringSize: 4096,
    cluster: { connectString: zk.connectString, root, mac: '02:00:00:00:00:0b', tunnelIp: '10.99.0.11', switch: { dpid: '1', port: 4 }, statsIntervalMs: 0, dataplane: false },
  }, { socket: null });
  const agent = host.agent;
  const results: ReconcileResult[] = [];
  host.sync!.on('reconciled', (r) => results.push(r));
  const IN = agent.manager.portId('ring:in');
  const OUT = agent.manager.portId('ring:out');

  /** N frames, half to `a`, half to `b`; returns the dports that came out and the firewall's counter deltas. */
  const send = async (a: number, b: number, expectOut: number): Promise<{ out: Map<number, number>; rx: number; dropped: number }> => {
    const before = (await agent.hostStats()).nfs.find((n) => n.service === 'fw')!;
    const N = 400;
    const bt = batch(Array.from({ length: N }, (_, i) => udp(i % 2 ? a : b, i)));
    t.is(agent.manager.native.ringInject(IN, bt.data, bt.lens), N);
    const frames: Buffer[] = [];
    await until('frames out', async () => { frames.push(...agent.manager.native.ringCollect(OUT).frames); return frames.length >= expectOut; }, 10000).catch(() => undefined);
    const after = await until('the NF counted every frame', async () => { const s = (await agent.hostStats()).nfs.find((n) => n.service === 'fw')!; return s.rx - before.rx >= N ? s : undefined; }, 10000);
    await sleep(100);
    frames.push(...agent.manager.native.ringCollect(OUT).frames);
    const out = new Map<number, number>();
    for (const f of frames) out.set(f.readUInt16BE(36), (out.get(f.readUInt16BE(36)) ?? 0) + 1);
    return { out, rx: after.rx - before.rx, dropped: after.dropped - before.dropped };
  };

  // 1. assigned -> started with the REST rules: UDP 53 dropped, 80 passes
  await store.putAssignment(hostId, [{ service: 'fw', index: 0 }], 'any');
  const nf = await until('firewall running', async () => (await agent.listNfs()).find((n) => n.service === 'fw' && n.state === 'running'));
  const rec = agent.records().find((r) => r.service === 'fw')!;
  t.truthy(rec.rulesFile);
  t.true(rec.rulesFile!.startsWith(agent.runDir));
  t.deepEqual(rec.cmd.slice(-2), ['--rules', rec.rulesFile!]);
  t.regex(readFileSync(rec.rulesFile!, 'utf8'), /^default allow$\n^nonip allow$\n^conntrack off$\n^drop proto udp dport 53$/m);
  let r = await send(53, 80, 200);
  t.is(r.rx, 400);
  t.is(r.dropped, 200);
  t.deepEqual([...r.out.entries()], [[80, 200]]);

  // 2. new rules over REST: reloaded into the same process, now 80 is dropped and 53 passes
  const put = await http(api, 'PUT', '/api/v1/services/fw', fwBody([{ action: 'drop', ipProto: 17, tpDst: 80 }, { action: 'allow', ipProto: 17, ipDst: '10.5.0.2' }]));
  t.is(put.status, 200, put.text);
  await until('rules reloaded', () => results.some((x) => x.reconfigured.includes('fw:0')));
  t.deepEqual(results.flatMap((x) => x.failed), []);
  const after = (await agent.listNfs()).find((n) => n.service === 'fw')!;
  t.is(after.pid, nf.pid, 'same process');
  t.is(after.instanceId, nf.instanceId);
  t.regex(after.firewallRules ?? '', /^drop proto udp dport 80$\n^allow proto udp dst 10.5.0.2$/m);
  t.true(agent.manager.events.some((e) => e.instance === nf.instanceId && e.type === 'log' && e.text === 'firewall: rules reloaded'));
  r = await send(53, 80, 200);
  t.is(r.rx, 400);
  t.is(r.dropped, 200);
  t.deepEqual([...r.out.entries()], [[53, 200]]);

  // 3. default drop: only what a rule allows passes (53 to another address is dropped by default)
  t.is((await http(api, 'PUT', '/api/v1/services/fw', { ...(fwBody([{ action: 'allow', ipProto: 17, tpDst: 53 }]) as object), config: { firewall: { rules: [{ action: 'allow', ipProto: 17, tpDst: 53 }], defaultAction: 'drop' } } })).status, 200);
  await until('rules reloaded again', () => results.filter((x) => x.reconfigured.includes('fw:0')).length >= 2);
  t.is((await agent.listNfs()).find((n) => n.service === 'fw')!.pid, nf.pid);
  r = await send(53, 8080, 200);
  t.is(r.dropped, 200);
  t.deepEqual([...r.out.entries()], [[53, 200]]);

  // 4. the firewall configuration removed: a new process on the image's own policy (no --rules: everything passes)
  t.is((await http(api, 'PUT', '/api/v1/services/fw', { ...(fwBody([]) as object), config: {} })).status, 200);
  const plain = await until('restarted without rules', async () => (await agent.listNfs()).find((n) => n.service === 'fw' && n.state === 'running' && n.pid !== nf.pid));
  t.is(plain.firewallRules, undefined);
  t.false(agent.records().find((x) => x.service === 'fw')!.cmd.includes('--rules'));
  t.false(existsSync(rec.rulesFile!), 'the old instance\'s rules file is gone');
  r = await send(53, 80, 400);
  t.is(r.dropped, 0);
  t.deepEqual([...r.out.entries()].sort(), [[53, 200], [80, 200]]);

  // 5. rules again, then unassigned: the instance stops and its rules file is removed
  t.is((await http(api, 'PUT', '/api/v1/services/fw', fwBody([{ action: 'drop' }]))).status, 200);
  const ruled = await until('rules reloaded into the plain instance', async () => (await agent.listNfs()).find((n) => n.service === 'fw' && n.firewallRules?.includes('\ndrop\n')));
  t.is(ruled.pid, plain.pid);
  const file = agent.records().find((x) => x.service === 'fw')!.rulesFile!;
  t.true(existsSync(file));
  r = await send(53, 80, 0);
  t.is(r.dropped, 400);
  t.is(r.out.size, 0);
  await store.putAssignment(hostId, [], 'any');
  await until('NF stopped', async () => (await agent.listNfs()).length === 0);
  t.false(existsSync(file));
  const runDir = agent.runDir;
  await host.stop();
  host = undefined;
  t.false(existsSync(runDir), 'the agent removed its run dir');
});
