// Where the third-party OpenFlow test vectors live: ../shared/vectors/ryu-of13 beside the checkout
// (as on the developers' machines and in CI), or $RACKVISOR_VECTORS. A missing directory fails loudly:
// the conformance tests must never pass by finding nothing to check.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const RYU_VECTORS = process.env.RACKVISOR_VECTORS ?? join(repoRoot, '..', 'shared', 'vectors', 'ryu-of13');

if (!existsSync(join(RYU_VECTORS, 'packet'))) {
  throw new Error(`OpenFlow test vectors not found at ${RYU_VECTORS} (expected ../shared/vectors/ryu-of13 beside the checkout, or set RACKVISOR_VECTORS)`);
}
