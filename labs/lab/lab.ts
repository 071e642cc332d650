// The embedded lab's life cycle: up (run the steps with progress and timings, record everything),
// status (health of every step's resources and every recorded process), down (tear the ledger down).
import { existsSync, mkdirSync } from 'node:fs';
import { Ledger, describe } from '../lib/ledger.js';
import { isAlive } from '../lib/proc.js';
import { labSteps } from '../steps.js';
import { stateFileOf, validateConfig, type LabConfig } from './config.js';
import type { LabContext, LabInfo, LabStep, StatusLine } from './context.js';
import { planTopology } from './topology.js';
import { lockLab } from './lock.js';

export type Log = (line: string) => void;

export interface LabStatus { recorded: boolean; complete: boolean; healthy: boolean; lines: StatusLine[]; info?: LabInfo; config?: LabConfig }

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

export class LabStepError extends Error {
  constructor(readonly step: string, cause: Error, readonly fix: string) {
    super(`lab step "${step}" failed: ${cause.message}\n  how to fix: ${fix}`);
  }
}

function contextOf(config: LabConfig, ledger: Ledger, info: LabInfo, steps: readonly LabStep[], log: Log): LabContext {
  return { config, ledger, info, stepNames: steps.map((s) => s.name), log: (m) => log(`      ${m}`) };
}

/** Brings the lab up. If a complete, healthy lab is recorded in the state dir, says so and returns it;
 * if a broken or partial one is recorded, tears it down first (repair). */
export async function labUp(cfg: LabConfig, opts: { log?: Log; steps?: LabStep[]; keepOnFailure?: boolean } = {}): Promise<LabInfo> {
  const config = validateConfig(cfg);
  const unlock = lockLab(config.stateDir, 'up');
  try { return await up(config, opts); } finally { unlock(); }
}

async function up(config: LabConfig, opts: { log?: Log; steps?: LabStep[]; keepOnFailure?: boolean }): Promise<LabInfo> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const steps = opts.steps ?? labSteps(config);
  const stateFile = stateFileOf(config.stateDir);
  if (existsSync(stateFile)) {
    const st = await labStatus(config.stateDir, { steps });
    if (st.complete && st.healthy && st.info) {
      log(`lab "${st.config?.name}" is already up (state ${stateFile}); nothing to do. \`rackvisor lab status\` shows it, \`rackvisor lab down\` removes it.`);
      return st.info;
    }
    log(`a ${st.complete ? 'broken' : 'partial'} lab is recorded in ${stateFile}; removing what it recorded first:`);
    for (const l of st.lines.filter((x) => x.health === 'fail')) log(`  unhealthy: ${l.resource}: ${l.detail}`);
    await down(config.stateDir, log);
  }
  mkdirSync(config.stateDir, { recursive: true });
  const ledger = Ledger.open(stateFile);
  const info: LabInfo = { topology: planTopology(config), extra: {} };
  ledger.setMeta('config', config);
  ledger.setMeta('complete', false);
  ledger.setMeta('info', info);
  const ctx = contextOf(config, ledger, info, steps, log);
  const t0 = Date.now();
  log(`lab "${config.name}" up: ${steps.length} steps, state in ${config.stateDir}`);
  for (const [i, step] of steps.entries()) {
    const ts = Date.now();
    log(`[${i + 1}/${steps.length}] ${step.name}: ${step.title}`);
    try {
      const detail = await step.up(ctx);
      ledger.setMeta('info', info);
      log(`      ok ${secs(Date.now() - ts)}  ${detail}`);
    } catch (err) {
      ledger.setMeta('info', info);
      const e = new LabStepError(step.name, err instanceof Error ? err : new Error(String(err)), step.fix);
      log(`      FAILED after ${secs(Date.now() - ts)}: ${e.message}`);
      if (opts.keepOnFailure) {
        log(`      kept what was created for inspection; remove it with \`rackvisor lab down --state-dir ${config.stateDir}\``);
      } else {
        log('      removing what was created so far ...');
        await down(config.stateDir, log).catch((d: Error) => log(`      teardown problem: ${d.message}`));
      }
      throw e;
    }
  }
  ledger.setMeta('complete', true);
  log(`lab "${config.name}" is up in ${secs(Date.now() - t0)}. \`rackvisor lab status\` shows its health; \`rackvisor lab down\` removes it.`);
  return info;
}

/** Health of a recorded lab (without changing anything). */
export async function labStatus(stateDir: string, opts: { steps?: LabStep[] } = {}): Promise<LabStatus> {
  const stateFile = stateFileOf(stateDir);
  if (!existsSync(stateFile)) return { recorded: false, complete: false, healthy: false, lines: [] };
  const ledger = Ledger.open(stateFile);
  const config = ledger.getMeta<LabConfig>('config');
  const info = ledger.getMeta<LabInfo>('info');
  const complete = ledger.getMeta<boolean>('complete') === true;
  const lines: StatusLine[] = [];
  if (config && info) {
    const steps = opts.steps ?? labSteps(config);
    const ctx = contextOf(config, ledger, info, steps, () => undefined);
    for (const s of steps) {
      if (!s.status) continue;
      try { lines.push(...(await s.status(ctx))); } catch (err) {
        lines.push({ resource: s.name, health: 'fail', detail: `status failed: ${(err as Error).message}` });
      }
    }
  }
  for (const r of ledger.list()) {
    if (r.kind === 'process') lines.push({ resource: describe(r), health: isAlive(r.pid, r.startTime) ? 'ok' : 'fail', detail: isAlive(r.pid, r.startTime) ? 'running' : 'not running' });
  }
  for (const [k, v] of Object.entries(info?.extra ?? {}).filter(([k]) => !k.endsWith('.facts'))) lines.push({ resource: k, health: 'info', detail: v });
  const healthy = lines.every((l) => l.health !== 'fail');
  return { recorded: true, complete, healthy, lines, info, config };
}

/** Live lines of a running lab (per-NF rates, traffic): each step's `live`, in order. */
export async function labLive(stateDir: string, opts: { steps?: LabStep[] } = {}): Promise<string[]> {
  const stateFile = stateFileOf(stateDir);
  if (!existsSync(stateFile)) return [];
  const ledger = Ledger.open(stateFile);
  const config = ledger.getMeta<LabConfig>('config');
  const info = ledger.getMeta<LabInfo>('info');
  if (!config || !info) return [];
  const steps = opts.steps ?? labSteps(config);
  const ctx = contextOf(config, ledger, info, steps, () => undefined);
  const out: string[] = [];
  for (const s of steps) {
    if (!s.live) continue;
    try { out.push(...(await s.live(ctx))); } catch (err) { out.push(`${s.name}: ${(err as Error).message}`); }
  }
  return out;
}

/** A context over a recorded lab (for tests and tools that act on a running lab: restart its controller, ...). */
export function labContext(stateDir: string, log: Log = () => undefined): LabContext {
  const ledger = Ledger.open(stateFileOf(stateDir));
  const config = ledger.getMeta<LabConfig>('config');
  const info = ledger.getMeta<LabInfo>('info');
  if (!config || !info) throw new Error(`no lab recorded in ${stateDir}`);
  return contextOf(config, ledger, info, labSteps(config), log);
}

/** Removes exactly what the state file records (also after a crash). */
export async function labDown(stateDir: string, opts: { log?: Log } = {}): Promise<number> {
  const log = opts.log ?? ((l: string) => console.log(l));
  if (!existsSync(stateFileOf(stateDir))) { log(`no lab recorded in ${stateDir}; nothing to do`); return 0; }
  const unlock = lockLab(stateDir, 'down');
  try { return await down(stateDir, log); } finally { unlock(); }
}

async function down(stateDir: string, log: Log): Promise<number> {
  const stateFile = stateFileOf(stateDir);
  if (!existsSync(stateFile)) { log(`no lab recorded in ${stateDir}; nothing to do`); return 0; }
  const ledger = Ledger.open(stateFile);
  const n = ledger.size;
  const t0 = Date.now();
  log(`lab down: removing ${n} recorded resource(s), newest first`);
  await ledger.teardown({ log: (m) => log(`  ${m}`) });
  log(`lab down: done in ${secs(Date.now() - t0)}`);
  return n;
}

export function formatStatus(st: LabStatus): string {
  if (!st.recorded) return 'no lab recorded here (run `rackvisor lab up`)';
  const mark = { ok: 'ok  ', fail: 'FAIL', info: 'info' } as const;
  const w = Math.min(60, Math.max(...st.lines.map((l) => l.resource.length), 8));
  const head = `lab "${st.config?.name ?? '?'}": ${!st.complete ? 'PARTIAL (an up did not finish)' : st.healthy ? 'healthy' : 'UNHEALTHY'}`;
  return [head, ...st.lines.map((l) => `  ${mark[l.health]}  ${l.resource.padEnd(w)}  ${l.detail}`)].join('\n');
}

/** Writes a context's info back to the state file (after a tool changed it, e.g. restarted the controller). */
export function persistInfo(ctx: LabContext): void {
  ctx.ledger.setMeta('info', ctx.info);
}
