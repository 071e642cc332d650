// Small wrappers around child_process.execFile for the launchers: run() throws a readable error,
// tryRun() reports the exit code instead. Both are bounded in time.
import { execFile } from 'node:child_process';

export interface RunOptions { env?: Record<string, string>; timeoutMs?: number; input?: string; cwd?: string }
export interface RunResult { stdout: string; stderr: string; code: number }

export function tryRun(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, {
      env: opts.env ? { ...process.env, ...opts.env } : process.env,
      timeout: opts.timeoutMs ?? 30_000,
      cwd: opts.cwd,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    }, (err, stdout, stderr) => {
      if (!err) { resolve({ stdout, stderr, code: 0 }); return; }
      const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      const code = typeof e.code === 'number' ? e.code : e.killed ? 124 : 127;
      const extra = typeof e.code === 'string' ? `${e.code}: ${e.message}\n` : e.killed ? 'timed out\n' : '';
      resolve({ stdout, stderr: extra + stderr, code });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const r = await tryRun(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(`\`${[cmd, ...args].join(' ')}\` failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns true or `timeoutMs` passes; returns whether it succeeded. */
export async function waitFor(probe: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}
