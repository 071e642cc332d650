// Integration: `lab up` with everything (controller process, two DPDK host agents, the REST-driven demo chain with
// traffic) under a unique name/state dir/ports; `lab status` shows controller, agents and NFs healthy; the live view
// shows per-NF rates; `lab down` leaves no namespace, process, hugetlbfs mount or /var/run/dpdk entry behind.
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { labDown, labLive, labStatus, labUp } from '../../labs/lab/lab.js';
import { defaultConfig, stateFileOf, type LabConfig } from '../../labs/lab/config.js';
import { Ledger, type Resource } from '../../labs/lib/ledger.js';
import { listNetns } from '../../labs/lib/netns.js';
import { freePort } from '../../labs/lib/ports.js';
import { isAlive } from '../../labs/lib/proc.js';
import { sleep } from '../../labs/lib/exec.js';

const root = mkdtempSync(join(tmpdir(), 'rvt-demo-'));
const stateDir = join(root, 'lab');
test.after.always(async () => {
  await labDown(stateDir, { log: () => undefined }).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

const hugeMounts = (): string[] => readFileSync('/proc/self/mounts', 'utf8').split('\n').filter((l) => l.includes('hugetlbfs')).sort();
const dpdkDirs = (): string[] => (existsSync('/var/run/dpdk') ? readdirSync('/var/run/dpdk').sort() : []);

test('lab up with the demo: controller, agents, NFs healthy, traffic through the chain, live rates; down leaves nothing', async (t) => {
  const name = `rvd${randomBytes(2).toString('hex')}`;
  const config: LabConfig = { ...defaultConfig(), name, stateDir, controller: `tcp:127.0.0.1:${await freePort()}`, demoSeconds: 40, demoPps: 100 };
  const logs: string[] = [];
  const nsBefore = (await listNetns()).filter((n) => n.startsWith(name));
  await labUp(config, { log: (l) => logs.push(l) });
  const text = logs.join('\n');
  t.regex(text, /\[6\/9\] controller/);
  t.regex(text, /\[7\/9\] agents/);
  t.regex(text, /\[9\/9\] demo/);
  t.regex(text, /skipped: the controller programs tor0/, 'no temporary NORMAL flow with a controller');
  t.regex(text, /placed: firewall@h\d → monitor@h\d → lb@h\d/);
  t.regex(text, /traffic flows: s1 received \d+ datagrams on :7000, 0 on :9999/);
  const recorded: Resource[] = [...Ledger.open(stateFileOf(stateDir)).list()];

  const st = await labStatus(stateDir);
  t.true(st.complete && st.healthy, JSON.stringify(st.lines.filter((l) => l.health === 'fail')));
  const ok = (re: RegExp): boolean => st.lines.some((l) => re.test(l.resource) && l.health === 'ok');
  t.true(ok(/^rackvisor controller/), 'controller healthy');
  t.true(ok(/^host agent h1/) && ok(/^host agent h2/), 'agents running and registered');
  for (const nf of ['firewall', 'monitor', 'lb']) t.true(ok(new RegExp(`^NF ${nf}$`)), `NF ${nf} running`);
  t.true(st.lines.some((l) => l.resource === 'API docs' && /\/docs/.test(l.detail)));
  t.true(st.lines.some((l) => l.resource === 'REST API' && /token: [0-9a-f]+/.test(l.detail)));

  await sleep(2500);
  const live = await labLive(stateDir);
  t.log(live.join('\n'));
  t.regex(live[0] ?? '', /traffic c1 → s1: sent \d+, s1 received \d+ \(:7000 \d+; :9999 0\/\d+/);
  for (const nf of ['firewall', 'monitor', 'lb']) {
    const line = live.find((l) => l.trim().startsWith(`${nf}:0@`));
    t.truthy(line, `live rate line for ${nf}`);
    t.true(Number(/(\d+) pps/.exec(line ?? '')?.[1] ?? 0) > 20, `${nf} forwards traffic: ${line}`);
  }

  await labDown(stateDir, { log: () => undefined });
  t.false(existsSync(stateFileOf(stateDir)));
  for (const r of recorded) if (r.kind === 'process') t.false(isAlive(r.pid, r.startTime), `process ${r.label ?? r.pid} gone`);
  t.deepEqual((await listNetns()).filter((n) => n.startsWith(name)), nsBefore);
  t.false(hugeMounts().some((l) => l.includes(stateDir)), 'no hugetlbfs mount of the lab left');
  t.false(dpdkDirs().some((d) => d.startsWith(`${name}-`)), 'no /var/run/dpdk entry of the lab left');
  const ps = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map((p) => { try { return readFileSync(`/proc/${p}/cmdline`, 'utf8'); } catch { return ''; } });
  t.false(ps.some((c) => c.includes(`${name}-h`) || c.includes(stateDir)), 'no process (NF, agent, traffic) of the lab left');
});
