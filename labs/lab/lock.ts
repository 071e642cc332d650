// One lab command at a time per state dir: an exclusive lock file holding the owner's PID and start
// time; a lock left by a dead process (crash) is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, processStartTime } from '../lib/proc.js';

export function lockLab(stateDir: string, what: string): () => void {
  mkdirSync(stateDir, { recursive: true });
  const file = join(stateDir, '.lock');
  const me = { pid: process.pid, startTime: processStartTime(process.pid), what };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: { pid?: number; startTime?: number; what?: string } = {};
      try { holder = JSON.parse(readFileSync(file, 'utf8')) as typeof holder; } catch { /* half-written: stale */ }
      if (holder.pid && isAlive(holder.pid, holder.startTime)) {
        throw new Error(`another lab command (\`lab ${holder.what ?? '?'}\`, pid ${holder.pid}) is working on ${stateDir}; wait for it or stop it`);
      }
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock ${file}`);
}
