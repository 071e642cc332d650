// `rackvisor lab up|down|status|run`: the embedded lab (labs/lab/lab.ts does the work).
import { Command, InvalidArgumentError } from 'commander';
import { defaultConfig, type LabConfig } from '../../labs/lab/config.js';
import { formatStatus, labDown, labLive, labStatus, labUp } from '../../labs/lab/lab.js';

interface UpOpts {
  stateDir: string; name: string; hosts: number; controller: string; zkPort: number; subnet: string; fabricCheck: boolean; keepOnFailure?: boolean;
  fabricOnly?: boolean; apiPort: number; agents: boolean; demo: boolean; demoSeconds: number; demoPps: number;
}

const int = (what: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`${what} must be an integer`);
  return n;
};
const num = (what: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${what} must be a non-negative number`);
  return n;
};

function withStateDir(cmd: Command): Command {
  return cmd.option('--state-dir <dir>', 'lab state directory (default: $RACKVISOR_LAB_DIR or <repo>/.lab)', defaultConfig().stateDir);
}

function withUpOptions(cmd: Command): Command {
  const d = defaultConfig();
  return withStateDir(cmd)
    .option('--name <prefix>', 'prefix of the namespaces and links (1-9 chars)', d.name)
    .option('--hosts <n>', 'number of host namespaces h1..hN', int('--hosts'), d.hosts)
    .option('--controller <target>', 'OpenFlow controller target of tor0', d.controller)
    .option('--zk-port <port>', 'ZooKeeper client port (0 = any free port)', int('--zk-port'), d.zkPort)
    .option('--subnet <a.b.c>', 'first three octets of the lab /24', d.subnet)
    .option('--no-fabric-check', 'skip the temporary NORMAL flow + ping c1 → s1 (only used with --fabric-only)')
    .option('--fabric-only', 'no controller, agents or demo: the fabric only (a temporary NORMAL flow proves it)')
    .option('--api-port <port>', 'REST API port of the controller (0 = any free port)', int('--api-port'), d.apiPort)
    .option('--no-agents', 'no host agents (and no demo): controller + fabric only')
    .option('--no-demo', 'no demo chain and traffic: controller and host agents only')
    .option('--demo-seconds <s>', 'how long the demo traffic runs at most', num('--demo-seconds'), d.demoSeconds)
    .option('--demo-pps <n>', 'demo UDP rate c1 → s1 (packets/s, ≤ 5000)', num('--demo-pps'), d.demoPps)
    .option('--keep-on-failure', 'keep what was created when a step fails (for inspection)');
}

/** A closed stdout (e.g. `| head`) must not kill a lab command half-way through up or down. */
function survivePipeClose(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
}

function configOf(o: UpOpts): LabConfig {
  return {
    name: o.name, stateDir: o.stateDir, hosts: o.hosts, controller: o.controller, zkPort: o.zkPort, subnet: o.subnet, fabricCheck: o.fabricCheck,
    controllerProcess: !o.fabricOnly, apiPort: o.apiPort, agents: o.agents, demo: o.demo, demoSeconds: o.demoSeconds, demoPps: o.demoPps,
  };
}

async function runLab(o: UpOpts & { duration?: number; interval: number }): Promise<void> {
  const stopSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  let stopping: (() => void) | undefined;
  const stopped = new Promise<string>((resolve) => {
    stopping = () => resolve('duration');
    for (const s of stopSignals) process.once(s, () => resolve(s));
  });
  try {
    await labUp(configOf(o), { keepOnFailure: o.keepOnFailure });
  } catch (err) {
    process.exitCode = 1;
    throw err;
  }
  let reason = '';
  try {
    console.log(formatStatus(await labStatus(o.stateDir)));
    console.log(o.duration !== undefined ? `running for ${o.duration}s (Ctrl-C stops earlier) ...` : 'running until Ctrl-C ...');
    const t0 = Date.now();
    const timer = o.duration !== undefined ? setTimeout(() => stopping?.(), o.duration * 1000) : undefined;
    const st0 = await labStatus(o.stateDir);
    for (const k of ['REST API', 'API docs']) {
      const l = st0.lines.find((x) => x.resource === k);
      if (l) console.log(`${k}: ${l.detail}`);
    }
    let busy = false;
    const ticker = setInterval(() => {
      if (busy) return;
      busy = true;
      void Promise.all([labStatus(o.stateDir), labLive(o.stateDir)]).then(([st, live]) => {
        const fails = st.lines.filter((l) => l.health === 'fail');
        const ctl = st.lines.find((l) => l.resource.startsWith('controller ') || l.resource.startsWith('rackvisor controller'));
        console.log(`[+${Math.round((Date.now() - t0) / 1000)}s] ${fails.length ? `UNHEALTHY: ${fails.map((f) => f.resource).join(', ')}` : 'healthy'}` +
          ` · ${st.lines.filter((l) => l.health === 'ok').length} ok${ctl ? ` · controller ${ctl.detail}` : ''}`);
        for (const l of live) console.log(`  ${l}`);
      }).finally(() => { busy = false; });
    }, o.interval * 1000);
    reason = await stopped;
    clearInterval(ticker);
    if (timer) clearTimeout(timer);
  } finally {
    console.log(reason === 'duration' ? 'duration reached; bringing the lab down' : `${reason || 'stopping'}: bringing the lab down`);
    await labDown(o.stateDir);
  }
}

export function registerLab(program: Command): void {
  const lab = program.command('lab')
    .hook('preAction', survivePipeClose)
    .description('Bring the embedded lab (ZooKeeper, Open vSwitch, namespaces) up, down, or show its status');

  withUpOptions(lab.command('up').description('Bring the lab up (idempotent: a healthy lab is left alone, a broken one is rebuilt)'))
    .action(async (o: UpOpts) => { await labUp(configOf(o), { keepOnFailure: o.keepOnFailure }); });

  withStateDir(lab.command('down').description('Remove exactly what the lab recorded (also after a crash)'))
    .action(async (o: { stateDir: string }) => { await labDown(o.stateDir); });

  withStateDir(lab.command('status').description('Show every lab resource and its health'))
    .option('--json', 'print machine-readable status (topology, ZooKeeper, OVS dir, health lines)')
    .action(async (o: { stateDir: string; json?: boolean }) => {
      const st = await labStatus(o.stateDir);
      console.log(o.json ? JSON.stringify(st, null, 2) : formatStatus(st));
      if (st.recorded && !st.healthy) process.exitCode = 3;
      if (!st.recorded) process.exitCode = 4;
    });

  withUpOptions(lab.command('run').description('Bring the lab up, show live status until Ctrl-C or --duration, then bring it down (npm run lab)'))
    .option('--duration <seconds>', 'stop after this many seconds', num('--duration'))
    .option('--interval <seconds>', 'seconds between status lines', num('--interval'), 5)
    .action(async (o: UpOpts & { duration?: number; interval: number }) => { await runLab(o); });
}
