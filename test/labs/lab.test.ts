// Integration: the embedded lab for real (private ZooKeeper, OVS tor0, namespaces, hugetlbfs) under
// a unique name, state dir and controller port; ping c1 → s1 through tor0; repair after a crash;
// down leaves nothing it created.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { labDown, labStatus, labUp } from '../../labs/lab/lab.js';
import { defaultConfig, stateFileOf, type LabConfig } from '../../labs/lab/config.js';
import { nodeByName } from '../../labs/lab/topology.js';
import { Ledger, isMounted, linkExists, netnsExists, type Resource } from '../../labs/lib/ledger.js';
import { attachOvs } from '../../labs/lib/ovs.js';
import { nsExec, listNetns } from '../../labs/lib/netns.js';
import { fourLetter } from '../../labs/lib/zookeeper.js';
import { freePort } from '../../labs/lib/ports.js';
import { isAlive } from '../../labs/lib/proc.js';

const root = mkdtempSync(join(tmpdir(), 'rvt-lab-'));
const stateDir = join(root, 'lab');
let config: LabConfig;

test.after.always(async () => {
  await labDown(stateDir, { log: () => undefined }).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

test('lab up → ping c1→s1 through tor0, flows, ZooKeeper ruok, idempotent, repair, down leaves nothing', async (t) => {
  const logs: string[] = [];
  const log = (l: string): void => { logs.push(l); };
  config = { ...defaultConfig(), controllerProcess: false, name: `rvt${randomBytes(2).toString('hex')}`, stateDir, controller: `tcp:127.0.0.1:${await freePort()}` };
  const nsBefore = await listNetns();

  const info = await labUp(config, { log });
  t.true(logs.some((l) => /NO CONTROLLER YET: installed a temporary NORMAL flow/.test(l)), 'says it uses a temporary NORMAL flow');
  t.true(logs.some((l) => /^\[6\/6\] fabric-check/.test(l)), 'step-by-step progress');
  t.truthy(info.ovs && info.zookeeper && info.hugepages);

  // The fabric: ping c1 → s1 through tor0, then the NORMAL flow has counted packets.
  const c1 = nodeByName(info.topology, 'c1');
  const s1 = nodeByName(info.topology, 's1');
  const ping = await nsExec(c1.netns, ['ping', '-c', '2', '-i', '0.2', '-W', '2', s1.ip]);
  t.is(ping.code, 0, ping.stdout + ping.stderr);
  const flows = await attachOvs(info.ovs!.dir).ofctl('dump-flows', 'tor0');
  t.regex(flows, /cookie=0xfab, .*n_packets=[1-9]\d*.*priority=0 actions=NORMAL/);
  const show = await attachOvs(info.ovs!.dir).vsctl('get-controller', 'tor0');
  t.is(show.trim(), config.controller);
  t.is((await attachOvs(info.ovs!.dir).vsctl('get', 'controller', 'tor0', 'max_backoff')).trim(), '1000', 'reconnects at most 1 s apart (controller restarts)');
  t.is(await fourLetter(info.zookeeper!.port, 'ruok'), 'imok');
  t.true(isMounted(info.hugepages!.dir));

  const st = await labStatus(stateDir);
  t.true(st.complete && st.healthy, JSON.stringify(st.lines.filter((l) => l.health === 'fail')));

  // Up twice: no duplicates.
  const recorded: Resource[] = [...Ledger.open(stateFileOf(stateDir)).list()];
  logs.length = 0;
  await labUp(config, { log });
  t.regex(logs.join('\n'), /already up/);
  t.is(Ledger.open(stateFileOf(stateDir)).size, recorded.length);

  // A crash (ovs-vswitchd dies): status says unhealthy, up repairs.
  const vs = recorded.find((r) => r.kind === 'process' && r.label === 'ovs-vswitchd');
  if (vs?.kind !== 'process') throw new Error('ovs-vswitchd not recorded');
  process.kill(vs.pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  t.false((await labStatus(stateDir)).healthy);
  const repaired = await labUp(config, { log });
  t.true((await labStatus(stateDir)).healthy);
  t.is((await nsExec(c1.netns, ['ping', '-c', '1', '-W', '2', s1.ip])).code, 0);

  // Down removes exactly what was recorded, and nothing remains.
  const all: Resource[] = [...recorded, ...Ledger.open(stateFileOf(stateDir)).list()];
  await labDown(stateDir, { log });
  t.false(existsSync(stateFileOf(stateDir)));
  for (const r of all) {
    switch (r.kind) {
      case 'process': t.false(isAlive(r.pid, r.startTime), `process ${r.pid} ${r.label ?? ''} gone`); break;
      case 'netns': t.false(await netnsExists(r.name), `netns ${r.name} gone`); break;
      case 'link': t.false(await linkExists(r.name, r.netns), `link ${r.name} gone`); break;
      case 'mount': t.false(isMounted(r.path), `mount ${r.path} gone`); break;
      case 'dir': case 'file': t.false(existsSync(r.path), `${r.path} gone`); break;
      default: break;
    }
  }
  for (const n of repaired.topology.nodes) {
    t.false(await linkExists(n.switchIf), `link ${n.switchIf} gone`);
    t.false(await netnsExists(n.netns));
  }
  t.false(existsSync(join(repaired.ovs!.dir, 'db.sock')), 'bridge tor0 gone with its private OVS');
  t.deepEqual((await listNetns()).filter((n) => n.startsWith(config.name)), []);
  t.true(nsBefore.every((n) => !n.startsWith(config.name)));
  t.false(readFileSync('/proc/self/mounts', 'utf8').includes(stateDir), 'no mount left under the state dir');
});

test('a failing step says what failed and how to fix it, and removes what it created', async (t) => {
  const dir = join(root, 'bad');
  const cfg: LabConfig = { ...defaultConfig(), name: `rvu${randomBytes(2).toString('hex')}`, stateDir: dir, controller: `tcp:127.0.0.1:${await freePort()}` };
  const boom = { name: 'boom', title: 'fail on purpose', fix: 'nothing to fix: this is a test', up: async (): Promise<string> => { throw new Error('kaput'); } };
  const { preflight } = await import('../../labs/steps/preflight.js');
  const { zookeeper } = await import('../../labs/steps/zookeeper.js');
  const logs: string[] = [];
  const err = await t.throwsAsync(labUp(cfg, { log: (l) => logs.push(l), steps: [preflight, zookeeper, boom] }));
  t.regex(err?.message ?? '', /lab step "boom" failed: kaput\n {2}how to fix: nothing to fix/);
  t.false(existsSync(stateFileOf(dir)), 'everything recorded was removed');
  t.false(existsSync(join(dir, 'zookeeper')));
  t.true(logs.some((l) => /removed process \d+ \(zookeeper/.test(l)));
});

test('two lab commands on one state dir: the second is refused while the first works', async (t) => {
  const dir = join(root, 'locked');
  const cfg: LabConfig = { ...defaultConfig(), name: `rvl${randomBytes(2).toString('hex')}`, stateDir: dir, controller: `tcp:127.0.0.1:${await freePort()}` };
  const { preflight } = await import('../../labs/steps/preflight.js');
  const slow = { name: 'slow', title: 'wait', fix: '-', up: async (): Promise<string> => { await new Promise((r) => setTimeout(r, 500)); return 'done'; } };
  const first = labUp(cfg, { log: () => undefined, steps: [preflight, slow] });
  await new Promise((r) => setTimeout(r, 50));
  await t.throwsAsync(labUp(cfg, { log: () => undefined, steps: [preflight, slow] }), { message: /another lab command \(`lab up`, pid \d+\) is working on/ });
  await first;
  await labDown(dir, { log: () => undefined });
  t.false(existsSync(join(dir, '.lock')));
});

test('invalid options are rejected with a clear message', async (t) => {
  await t.throwsAsync(labUp({ ...defaultConfig(), name: 'Bad_Name', stateDir: join(root, 'x') }, { log: () => undefined }), { message: /--name "Bad_Name"/ });
  await t.throwsAsync(labUp({ ...defaultConfig(), hosts: 0, stateDir: join(root, 'x') }, { log: () => undefined }), { message: /--hosts 0/ });
});

test('CLI `lab run` shows progress and status, and Ctrl-C (SIGINT) brings the lab down', async (t) => {
  const { spawn } = await import('node:child_process');
  const dir = join(root, 'cli');
  const name = `rvc${randomBytes(2).toString('hex')}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'lab', 'run', '--state-dir', dir, '--name', name,
    '--controller', `tcp:127.0.0.1:${await freePort()}`, '--hosts', '1', '--interval', '1', '--fabric-only'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const deadline = Date.now() + 40_000;
    while (!/\[\+\d+s\] healthy/.test(out) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    t.regex(out, /\[1\/6\] preflight/);
    t.regex(out, new RegExp(`lab "${name}": healthy`));
    t.regex(out, /running until Ctrl-C/);
    t.regex(out, /\[\+\d+s\] healthy/, 'live status lines');
    t.true(await netnsExists(`${name}-h1`));
    child.kill('SIGINT');
    t.is(await exited, 0, out);
    t.regex(out, /SIGINT: bringing the lab down/);
    t.regex(out, /lab down: done/);
    t.false(await netnsExists(`${name}-h1`));
    t.false(await linkExists(`${name}-c1`));
    t.false(existsSync(stateFileOf(dir)));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await labDown(dir, { log: () => undefined }).catch(() => undefined);
  }
});
