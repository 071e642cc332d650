// Shared helpers of the cluster tests: a private ZooKeeper (labs/lib) per test file, unique roots,
// polling with deadlines, sample records.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Ledger } from '../../labs/lib/ledger.js';
import { startEnsemble, startZooKeeper, type ZooKeeperServer } from '../../labs/lib/zookeeper.js';
import type { HostRecord } from '../../cluster/schemas.js';

export const tag = (): string => randomBytes(3).toString('hex');
export const uniqueRoot = (): string => `/rvt-${tag()}`;

export interface ZkFixture { server: ZooKeeperServer; connectString: string; teardown(): Promise<void> }

export async function standalone(): Promise<ZkFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'rvt-cl-'));
  const ledger = Ledger.open(join(dir, 'ledger.json'));
  try {
    const server = await startZooKeeper({ dir: join(dir, 'zk'), ledger });
    return { server, connectString: server.connectString, teardown: async () => { try { await ledger.teardown(); } finally { rmSync(dir, { recursive: true, force: true }); } } };
  } catch (e) {
    await ledger.teardown().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export interface EnsembleFixture { servers: ZooKeeperServer[]; connectString: string; teardown(): Promise<void> }

export async function ensemble(size = 3): Promise<EnsembleFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'rvt-cle-'));
  const ledger = Ledger.open(join(dir, 'ledger.json'));
  try {
    const e = await startEnsemble({ size, dir: join(dir, 'zk'), ledger });
    return { servers: e.servers, connectString: e.connectString, teardown: async () => { try { await ledger.teardown(); } finally { rmSync(dir, { recursive: true, force: true }); } } };
  } catch (err) {
    await ledger.teardown().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Polls `pred` until true; resolves with the elapsed ms, rejects after timeoutMs. */
export async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs: number, what = 'condition', stepMs = 20): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await pred()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function hostRec(id: string, n = 1): Omit<HostRecord, 'v'> {
  const h = n.toString(16).padStart(2, '0');
  return {
    id, mac: `02:00:00:00:00:${h}`, tunnelIp: `10.0.0.${n}`, switch: { dpid: '00000000000000a1', port: n },
    cores: 2, capacity: { maxInstances: 16 }, startedAt: Date.now(),
  };
}
