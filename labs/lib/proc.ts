// Processes the labs start: spawned detached (own session, so Ctrl-C on the CLI does not reach
// them before our teardown), identified by PID + kernel start time so a stale PID recorded before a
// crash is never confused with an unrelated process that reused the number.
import { spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { sleep, waitFor } from './exec.js';

export interface ProcessHandle { pid: number; startTime: number }

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot), or undefined if gone. */
export function processStartTime(pid: number): number | undefined {
  const stat = procStat(pid);
  return stat ? stat.startTime : undefined;
}

function procStat(pid: number): { state: string; startTime: number } | undefined {
  let text: string;
  try { text = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return undefined; }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); field 22 is fields[19].
  return { state: fields[0] ?? '?', startTime: Number(fields[19]) };
}

/** True if PID runs (not a zombie) and, when given, was started at `startTime`. */
export function isAlive(pid: number, startTime?: number): boolean {
  const stat = procStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  return startTime === undefined || stat.startTime === startTime;
}

/** Starts a long-running daemon with stdout/stderr appended to `logFile`. */
export function spawnDaemon(cmd: string, args: readonly string[], opts: { logFile: string; env?: Record<string, string>; cwd?: string }): ProcessHandle {
  const fd = openSync(opts.logFile, 'a');
  try {
    const child = spawn(cmd, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      cwd: opts.cwd,
    });
    if (child.pid === undefined) throw new Error(`could not start ${cmd} (is it installed?)`);
    child.on('error', () => undefined);
    child.unref();
    const startTime = processStartTime(child.pid);
    if (startTime === undefined) throw new Error(`${cmd} exited immediately; see ${opts.logFile}`);
    return { pid: child.pid, startTime };
  } finally {
    closeSync(fd);
  }
}

/** SIGTERM (or the given signal), then SIGKILL after `graceMs`. No-op if the process is gone or is
 * not the one we started (start time differs). Resolves once it is gone. */
export async function killProcess(pid: number, startTime?: number, opts: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<void> {
  if (!isAlive(pid, startTime)) return;
  try { process.kill(pid, opts.signal ?? 'SIGTERM'); } catch { return; }
  if (await waitFor(() => !isAlive(pid, startTime), opts.graceMs ?? 5000, 50)) return;
  try { process.kill(pid, 'SIGKILL'); } catch { return; }
  if (!(await waitFor(() => !isAlive(pid, startTime), 5000, 50))) {
    throw new Error(`process ${pid} survived SIGKILL`);
  }
  await sleep(0);
}
