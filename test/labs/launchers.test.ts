// Real launchers: a private ZooKeeper, a private OVS, a netns + veth, and a ledger teardown that
// leaves nothing behind.
import test from 'ava';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Ledger, linkExists, netnsExists } from '../../labs/lib/ledger.js';
import { startZooKeeper, startEnsemble, fourLetter } from '../../labs/lib/zookeeper.js';
import { testLedger } from '../support/ledger.js';
import { startOvs } from '../../labs/lib/ovs.js';
import { createNetns, createVeth, nsExec, addAddress } from '../../labs/lib/netns.js';
import { isAlive } from '../../labs/lib/proc.js';
import { freePort } from '../../labs/lib/ports.js';

const tag = (): string => randomBytes(2).toString('hex');

test('freePort returns a bindable loopback port', async (t) => {
  const p = await freePort();
  t.true(p > 1024 && p < 65536);
});

test('private ZooKeeper answers ruok and stops; ledger teardown removes its dir', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'rvt-zk-'));
  const ledger = Ledger.open(join(root, 'state.json'));
  try {
    const zk = await startZooKeeper({ dir: join(root, 'zk'), ledger });
    t.true(await zk.ruok());
    t.regex(await fourLetter(zk.port, 'srvr'), /Mode: standalone/);
    t.true(isAlive(zk.pid));
    await zk.stop();
    t.false(isAlive(zk.pid));
    t.false(await zk.ruok());
    await zk.start();
    t.true(await zk.ruok(), 'restarts on the same port');
  } finally {
    await ledger.teardown();
    rmSync(root, { recursive: true, force: true });
  }
  t.false(existsSync(join(root, 'zk')));
});

test('private OVS: dummy-datapath bridge, flows, restart keeps the db, two at once, stop leaves no taps', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'rvt-ovs-'));
  const ledger = Ledger.open(join(root, 'state.json'));
  const br = `rvt${tag()}`;
  try {
    const a = await startOvs({ ledger });
    const b = await startOvs({ ledger });
    await a.addBridge(br, { failMode: 'secure', dpid: '00000000000000aa' });
    await b.addBridge(br);
    await a.ofctl('add-flow', br, 'priority=5,actions=NORMAL');
    t.regex(await a.ofctl('dump-flows', br), /priority=5 actions=NORMAL/);
    t.notRegex(await b.ofctl('dump-flows', br), /NORMAL/, 'the two instances are independent');
    t.is((await a.vsctl('get', 'bridge', br, 'datapath_type')).trim(), 'dummy');
    t.false(await linkExists(br), 'no kernel tap for the bridge');
    const old = a.pids.vswitchd;
    await a.restart();
    t.not(a.pids.vswitchd, old);
    t.false(isAlive(old));
    t.regex(await a.vsctl('list-br'), new RegExp(br));
    t.regex(await a.ofctl('show', br), /dpid:00000000000000aa/);
    const pids = [a.pids.ovsdb, a.pids.vswitchd];
    await a.stop();
    t.false(pids.some((p) => isAlive(p)));
    t.false(existsSync(a.dir));
  } finally {
    await ledger.teardown();
    rmSync(root, { recursive: true, force: true });
  }
});

test('netns + veth pair carry a ping; ledger teardown removes them, also from a reopened ledger', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'rvt-ns-'));
  const file = join(root, 'state.json');
  const id = tag();
  const [na, nb] = [`rvt-${id}-a`, `rvt-${id}-b`];
  try {
    const ledger = Ledger.open(file);
    await createNetns(na, ledger);
    await createNetns(nb, ledger);
    await createVeth({ name: `rvt${id}a`, netns: na }, { name: `rvt${id}b`, netns: nb }, ledger);
    await addAddress(`rvt${id}a`, '10.250.0.1/24', na);
    await addAddress(`rvt${id}b`, '10.250.0.2/24', nb);
    const ping = await nsExec(na, ['ping', '-c', '1', '-W', '2', '10.250.0.2']);
    t.is(ping.code, 0, ping.stdout + ping.stderr);
    t.is(ledger.size, 3);
    // A "crashed" CLI: a fresh ledger from the same state file tears it all down.
    await Ledger.open(file).teardown();
    t.false(await netnsExists(na));
    t.false(await netnsExists(nb));
    t.false(existsSync(file), 'a clean teardown removes the state file');
  } finally {
    await Ledger.open(file).teardown();
    rmSync(root, { recursive: true, force: true });
  }
});

test('ledger teardown never kills a recycled PID (start time differs)', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'rvt-lg-'));
  const ledger = Ledger.open(join(root, 'state.json'));
  ledger.record({ kind: 'process', pid: process.pid, startTime: 1, label: 'fake stale entry' });
  ledger.record({ kind: 'dir', path: join(root, 'gone') });
  await ledger.teardown();
  t.true(isAlive(process.pid));
  rmSync(root, { recursive: true, force: true });
});

test('a 3-node loopback ensemble elects a leader; it survives losing one member', async (t) => {
  const { ledger, dir } = testLedger(t);
  const ens = await startEnsemble({ size: 3, dir: join(dir, 'zk'), ledger });
  t.is(ens.servers.length, 3);
  t.is(ens.connectString.split(',').length, 3);
  const modes = await Promise.all(ens.servers.map(async (s) => /Mode: (\w+)/.exec(await fourLetter(s.port, 'srvr'))?.[1]));
  t.deepEqual([...modes].sort(), ['follower', 'follower', 'leader']);
  const follower = ens.servers[modes.indexOf('follower')]!;
  await follower.stop('SIGKILL');
  t.false(await follower.ruok());
  const rest = ens.servers.filter((s) => s !== follower);
  for (const s of rest) t.regex(await fourLetter(s.port, 'srvr'), /Mode: (leader|follower)/);
  await ens.stop();
  t.false(ens.servers.some((s) => isAlive(s.pid)));
});

test('startDaemon runs a program inside a namespace, waits for readiness, and the ledger stops it', async (t) => {
  const { startDaemon } = await import('../../labs/lib/daemon.js');
  const { readlinkSync } = await import('node:fs');
  const { ledger, dir } = testLedger(t);
  const ns = `rvt-${tag()}-d`;
  await createNetns(ns, ledger);
  const h = await startDaemon({ cmd: 'sleep', args: ['60'], netns: ns, logFile: join(dir, 'sleep.log'), label: 'sleeper', ledger,
    ready: () => isAlive(process.pid) });
  const nsInode = (await nsExec(ns, ['readlink', '/proc/self/ns/net'])).stdout.trim();
  t.is(readlinkSync(`/proc/${h.pid}/ns/net`), nsInode, 'runs in the namespace, PID is the program itself');
  const err = await t.throwsAsync(startDaemon({ cmd: 'sh', args: ['-c', 'echo boom; exit 3'], logFile: join(dir, 'bad.log'), label: 'bad', ledger, ready: () => false }));
  t.regex(err?.message ?? '', /bad exited during start; log .*bad\.log:\nboom/);
  await ledger.teardown();
  t.false(isAlive(h.pid, h.startTime));
  t.false(await netnsExists(ns));
});

test('a netdev-datapath bridge (kernel taps) leaves no tap behind after stop() or a ledger teardown', async (t) => {
  const { ledger } = testLedger(t);
  const hadDatapathTap = await linkExists('ovs-netdev');
  const a = await startOvs({ ledger });
  const br = `rvn${tag()}`;
  await a.addBridge(br, { datapathType: 'netdev' });
  t.true(await linkExists(br), 'netdev creates a kernel tap for the bridge');
  await a.stop();
  t.false(await linkExists(br), 'stop() removes it');
  const b = await startOvs({ ledger });
  const br2 = `rvn${tag()}`;
  await b.addBridge(br2, { datapathType: 'netdev' });
  t.true(await linkExists(br2));
  await ledger.teardown();
  t.false(await linkExists(br2), 'teardown (crash path) removes it too');
  if (!hadDatapathTap) t.false(await linkExists('ovs-netdev'), 'and the datapath tap ovs-netdev');
});
