// A private hugetlbfs mount for DPDK managers (never share the system one): mounted on a dir we
// create, recorded (dir first, then mount, so teardown unmounts before removing the dir).
import { mkdirSync, existsSync, readFileSync } from 'node:fs';
import { run } from './exec.js';
import type { Ledger } from './ledger.js';

export async function mountHugetlbfs(dir: string, ledger?: Ledger): Promise<void> {
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  if (created) ledger?.record({ kind: 'dir', path: dir, label: 'hugetlbfs mount point' });
  await run('mount', ['-t', 'hugetlbfs', 'nodev', dir]);
  ledger?.record({ kind: 'mount', path: dir, label: 'hugetlbfs' });
}

/** Reserved and free 2 MiB hugepages. */
export function hugepageStats(): { total: number; free: number } {
  const info = readFileSync('/proc/meminfo', 'utf8');
  const get = (k: string): number => Number(/^(\w+):\s+(\d+)/m.exec(info.split('\n').find((l) => l.startsWith(k)) ?? '')?.[2] ?? 0);
  return { total: get('HugePages_Total'), free: get('HugePages_Free') };
}
