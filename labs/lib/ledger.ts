// The resource ledger: every process, namespace, link, mount, dir the labs create is recorded in a
// JSON state file the moment it exists; teardown() removes exactly those, newest first, and also
// works after a crash (a fresh Ledger.open() of the same file). Stale PIDs are recognised by their
// kernel start time and never killed.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isAlive, killProcess } from './proc.js';
import { tryRun, waitFor } from './exec.js';

interface Base {
  /** Optional key: recording again with the same id replaces the entry in place (e.g. a restart). */
  id?: string;
  /** Human description shown by `lab status`. */
  label?: string;
}
export type Resource = Base & (
  /** `exitWaitMs`: give it that long to exit by itself (e.g. after a teardown command asked it to) before SIGTERM. */
  | { kind: 'process'; pid: number; startTime?: number; exitWaitMs?: number }
  | { kind: 'netns'; name: string }
  | { kind: 'link'; name: string; netns?: string }
  | { kind: 'mount'; path: string }
  | { kind: 'dir'; path: string }
  | { kind: 'file'; path: string }
  /** A command run at teardown (e.g. `ovs-vsctl del-br`); failures are reported unless `optional`. */
  | { kind: 'command'; argv: string[]; env?: Record<string, string>; optional?: boolean }
);

interface StateFile { version: 1; resources: Resource[]; meta: Record<string, unknown> }

export class Ledger {
  private resources: Resource[];
  private meta: Record<string, unknown>;

  private constructor(readonly stateFile: string, state: StateFile) {
    this.resources = state.resources;
    this.meta = state.meta;
  }

  /** Opens (or creates on first record) the state file; existing entries are kept. */
  static open(stateFile: string): Ledger {
    if (!existsSync(stateFile)) return new Ledger(stateFile, { version: 1, resources: [], meta: {} });
    let parsed: unknown;
    try { parsed = JSON.parse(readFileSync(stateFile, 'utf8')); } catch (err) {
      throw new Error(`state file ${stateFile} is not valid JSON (${(err as Error).message}); inspect it, remove what it lists by hand, then delete it`);
    }
    const s = parsed as Partial<StateFile>;
    if (!s || s.version !== 1 || !Array.isArray(s.resources)) throw new Error(`state file ${stateFile} has an unknown format`);
    return new Ledger(stateFile, { version: 1, resources: s.resources, meta: s.meta ?? {} });
  }

  /** Snapshot of the recorded resources, oldest first. */
  list(): readonly Resource[] { return [...this.resources]; }
  get size(): number { return this.resources.length; }

  record(r: Resource): void {
    const i = r.id === undefined ? -1 : this.resources.findIndex((x) => x.id === r.id);
    if (i >= 0) this.resources[i] = r; else this.resources.push(r);
    this.save();
  }

  /** Drops an entry without removing the resource (the owner already removed it). */
  forget(id: string): void {
    const before = this.resources.length;
    this.resources = this.resources.filter((x) => x.id !== id);
    if (this.resources.length !== before) this.save();
  }

  getMeta<T>(key: string): T | undefined { return this.meta[key] as T | undefined; }
  setMeta(key: string, value: unknown): void { this.meta[key] = value; this.save(); }

  /** Removes every recorded resource, newest first. Entries that could not be removed stay in the
   * state file and the error lists them; a clean teardown deletes the state file. */
  async teardown(opts: { log?: (msg: string) => void } = {}): Promise<void> {
    const failed: { r: Resource; err: string }[] = [];
    for (const r of [...this.resources].reverse()) {
      try {
        await removeResource(r);
        opts.log?.(`removed ${describe(r)}`);
      } catch (err) {
        failed.push({ r, err: (err as Error).message });
      }
      this.resources = this.resources.filter((x) => x !== r);
      this.save();
    }
    if (failed.length > 0) {
      this.resources = failed.map((f) => f.r).reverse();
      this.save();
      throw new Error(`teardown left ${failed.length} resource(s) (kept in ${this.stateFile}):\n` +
        failed.map((f) => `  - ${describe(f.r)}: ${f.err}`).join('\n'));
    }
    rmSync(this.stateFile, { force: true });
  }

  private save(): void {
    if (this.resources.length === 0 && Object.keys(this.meta).length === 0 && !existsSync(this.stateFile)) return;
    mkdirSync(dirname(this.stateFile), { recursive: true });
    const tmp = `${this.stateFile}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ version: 1, resources: this.resources, meta: this.meta }, null, 2) + '\n');
    renameSync(tmp, this.stateFile);
  }
}

export function describe(r: Resource): string {
  const label = r.label ? ` (${r.label})` : '';
  switch (r.kind) {
    case 'process': return `process ${r.pid}${label}`;
    case 'netns': return `netns ${r.name}${label}`;
    case 'link': return `link ${r.name}${r.netns ? ` in netns ${r.netns}` : ''}${label}`;
    case 'mount': return `mount ${r.path}${label}`;
    case 'dir': return `dir ${r.path}${label}`;
    case 'file': return `file ${r.path}${label}`;
    case 'command': return `command \`${r.argv.join(' ')}\`${label}`;
  }
}

export function isMounted(path: string): boolean {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
  return mounts.some((line) => line.split(' ')[1] === path);
}

export async function netnsExists(name: string): Promise<boolean> {
  return existsSync(`/run/netns/${name}`) || existsSync(`/var/run/netns/${name}`);
}

export async function linkExists(name: string, netns?: string): Promise<boolean> {
  const args = netns ? ['-n', netns, 'link', 'show', 'dev', name] : ['link', 'show', 'dev', name];
  if (netns && !(await netnsExists(netns))) return false;
  return (await tryRun('ip', args, { timeoutMs: 5000 })).code === 0;
}

async function removeResource(r: Resource): Promise<void> {
  switch (r.kind) {
    case 'process':
      if (r.exitWaitMs && isAlive(r.pid, r.startTime)) await waitFor(() => !isAlive(r.pid, r.startTime), r.exitWaitMs, 50);
      if (isAlive(r.pid, r.startTime)) await killProcess(r.pid, r.startTime);
      return;
    case 'netns': {
      if (!(await netnsExists(r.name))) return;
      const res = await tryRun('ip', ['netns', 'del', r.name], { timeoutMs: 10_000 });
      if (res.code !== 0) throw new Error(res.stderr.trim());
      return;
    }
    case 'link': {
      if (!(await linkExists(r.name, r.netns))) return;
      const args = r.netns ? ['-n', r.netns, 'link', 'del', 'dev', r.name] : ['link', 'del', 'dev', r.name];
      const res = await tryRun('ip', args, { timeoutMs: 10_000 });
      if (res.code !== 0 && (await linkExists(r.name, r.netns))) throw new Error(res.stderr.trim());
      return;
    }
    case 'mount': {
      if (!isMounted(r.path)) return;
      const res = await tryRun('umount', [r.path], { timeoutMs: 10_000 });
      if (res.code !== 0) throw new Error(`${res.stderr.trim()} (a process may still use it: fuser -m ${r.path})`);
      return;
    }
    case 'dir':
    case 'file':
      if (r.kind === 'dir' && isMounted(r.path)) throw new Error('still a mount point; refusing to remove');
      rmSync(r.path, { recursive: true, force: true });
      return;
    case 'command': {
      const [cmd, ...args] = r.argv;
      if (!cmd) return;
      const res = await tryRun(cmd, args, { env: r.env, timeoutMs: 15_000 });
      if (res.code !== 0 && !r.optional) throw new Error(res.stderr.trim() || `exit ${res.code}`);
      return;
    }
  }
}
