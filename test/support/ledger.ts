// Test helper: a Ledger in a fresh temp dir whose teardown runs after the test (also when it fails),
// and unique short names for namespaces/links/bridges.
import type { ExecutionContext } from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Ledger } from '../../labs/lib/ledger.js';

/** A ledger torn down by t.teardown; `dir` is a private temp dir removed afterwards. */
export function testLedger(t: ExecutionContext): { ledger: Ledger; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rvt-'));
  const ledger = Ledger.open(join(dir, 'state.json'));
  t.teardown(async () => {
    try { await ledger.teardown(); } finally { rmSync(dir, { recursive: true, force: true }); }
  });
  return { ledger, dir };
}

/** A short unique tag (4 hex chars) for names like `rvt-ab12-h1` (link names ≤ 15 chars). */
export const uniqueTag = (): string => randomBytes(2).toString('hex');
