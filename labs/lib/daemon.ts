// Start any long-running program for a lab step or a test — optionally inside a network namespace —
// with its output in a log file, its PID recorded in the ledger, and an optional readiness probe.
// (`ip netns exec` execs the program in place, so the recorded PID is the program's own.)
import { existsSync, readFileSync } from 'node:fs';
import { waitFor } from './exec.js';
import { isAlive, killProcess, spawnDaemon, type ProcessHandle } from './proc.js';
import type { Ledger } from './ledger.js';

export interface DaemonOptions {
  cmd: string;
  args?: string[];
  /** Run inside this network namespace. */
  netns?: string;
  env?: Record<string, string>;
  cwd?: string;
  logFile: string;
  /** Shown by `lab status` and in errors. */
  label: string;
  ledger?: Ledger;
  /** Ledger id (a restart with the same id replaces the entry). */
  id?: string;
  /** Polled until true (the daemon must stay alive meanwhile). */
  ready?: () => Promise<boolean> | boolean;
  readyTimeoutMs?: number;
}

export function logTail(file: string, lines = 20): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

export async function startDaemon(o: DaemonOptions): Promise<ProcessHandle> {
  const [cmd, args] = o.netns ? ['ip', ['netns', 'exec', o.netns, o.cmd, ...(o.args ?? [])]] : [o.cmd, o.args ?? []];
  const h = spawnDaemon(cmd, args, { logFile: o.logFile, env: o.env, cwd: o.cwd });
  o.ledger?.record({ kind: 'process', pid: h.pid, startTime: h.startTime, label: o.label, ...(o.id ? { id: o.id } : {}) });
  if (!o.ready) return h;
  const timeout = o.readyTimeoutMs ?? 20_000;
  let died = false;
  const ok = await waitFor(async () => {
    if (!isAlive(h.pid, h.startTime)) { died = true; return true; }
    return o.ready!();
  }, timeout, 100);
  if (died || !ok) {
    await killProcess(h.pid, h.startTime).catch(() => undefined);
    throw new Error(`${o.label} ${died ? 'exited during start' : `not ready after ${timeout} ms`}; log ${o.logFile}:\n${logTail(o.logFile)}`);
  }
  return h;
}
