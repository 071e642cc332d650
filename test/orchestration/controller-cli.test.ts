// `rackvisor controller --zookeeper …` as a real process: the orchestration hook programs a private OVS from the
// policy in ZooKeeper; killing and restarting the process (SIGTERM, then a new process) leaves the flows untouched.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ClusterStore } from '../../cluster/store.js';
import { Ledger } from '../../labs/lib/ledger.js';
import { startOvs } from '../../labs/lib/ovs.js';
import { startZooKeeper } from '../../labs/lib/zookeeper.js';
import { freePort } from '../../labs/lib/ports.js';
import { sleep, waitFor } from '../../labs/lib/exec.js';
import { seedFwChain } from '../support/cluster-seed.js';

function startController(port: number, zk: string, root: string): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'controller', '--listen', `127.0.0.1:${port}`, '--zookeeper', zk, '--zk-root', root], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 8000);
  await done;
  clearTimeout(t);
}

test('rackvisor controller --zookeeper programs the ToR from ZooKeeper; a process restart changes no flow', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rvt-ccli-'));
  const ledger = Ledger.open(join(dir, 'state.json'));
  const root = `/rvc${randomBytes(3).toString('hex')}`;
  const br = `rvc${randomBytes(2).toString('hex')}`;
  const dpidHex = '00' + randomBytes(7).toString('hex');
  const stores: ClusterStore[] = [];
  let ctl: { child: ChildProcess; out: () => string } | undefined;
  try {
    const zk = await startZooKeeper({ dir: join(dir, 'zk'), ledger });
    const ovs = await startOvs({ ledger });
    const port = await freePort();
    await ovs.addBridge(br, { controller: `tcp:127.0.0.1:${port}`, failMode: 'secure', dpid: dpidHex });
    await ovs.vsctl('set', 'controller', br, 'max_backoff=1000');
    for (const p of [1, 2, 11]) await ovs.vsctl('add-port', br, `${br}-p${p}`, '--', 'set', 'interface', `${br}-p${p}`, 'type=dummy', `ofport_request=${p}`);
    const admin = await ClusterStore.open({ connectString: zk.connectString, sessionTimeoutMs: 4000, root });
    stores.push(admin);
    await admin.ensureLayout();
    const agent = await ClusterStore.open({ connectString: zk.connectString, sessionTimeoutMs: 4000, root });
    stores.push(agent);
    await seedFwChain(admin, agent, dpidHex);

    ctl = startController(port, zk.connectString, root);
    const steer = async (): Promise<string> => ovs.ofctl('dump-flows', br, 'table=2');
    t.true(await waitFor(async () => /in_port=1 actions=output:11/.test(await steer()), 30_000, 100), `steering installed by the controller process:\n${ctl.out()}`);
    t.regex(ctl.out(), /orchestrator\] running \(leader\)/);
    t.deepEqual((await admin.listAssignments()).get('h1')?.value.instances, [{ service: 'fw', index: 0 }]);
    t.is((await admin.listPaths()).length, 1, 'service path id allocated');
    await sleep(1100);
    const dur = (s: string): number => Number(/duration=([\d.]+)s.*in_port=1 /.exec(s)?.[1] ?? NaN);
    const before = dur(await steer());

    await stop(ctl.child);
    t.regex(await steer(), /in_port=1 actions=output:11/, 'flows stay while no controller runs');
    ctl = startController(port, zk.connectString, root);
    t.true(await waitFor(() => /orchestrator\] running/.test(ctl!.out()), 30_000, 100), ctl.out());
    t.true(await waitFor(async () => /is_connected\s*:\s*true/.test(await ovs.vsctl('list', 'controller')), 20_000, 100), 'switch reconnected');
    await sleep(1500);
    const after = dur(await steer());
    t.true(after >= before + 1, `steering flow kept across the controller restart (duration ${before} → ${after})`);
  } finally {
    if (ctl) await stop(ctl.child);
    for (const s of stores) await s.close().catch(() => undefined);
    await ledger.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
});
