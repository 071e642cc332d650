// Flowstream-style prefix split: the chain's (source or destination) prefix is cut into 2^k sub-prefixes and each
// sub-prefix goes to one ingress host. Slots are dealt by weighted quotas (largest remainder) and, inside the
// quotas, by rendezvous (highest-random-weight) hashing, so adding or removing a host moves few slots.
import { fnv1a64 } from './cookie.js';

export interface SplitTarget {
  id: string;
  weight: number;
}

export interface PrefixSlot {
  net: number;
  len: number;
  target: string;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

const scores = new Map<string, bigint>();
function score(target: string, slot: number): bigint {
  const k = `${target}#${slot}`;
  let v = scores.get(k);
  if (v === undefined) {
    if (scores.size > 100_000) scores.clear();
    v = fnv1a64(k);
    scores.set(k, v);
  }
  return v;
}

/** Number of extra prefix bits for a split among targets (at most maxBits, and never past /32). */
export function splitBits(targets: SplitTarget[], baseLen: number, maxBits: number): number {
  const total = targets.reduce((s, t) => s + t.weight, 0);
  if (targets.length <= 1 || total <= 0) return 0;
  const equal = targets.every((t) => t.weight === targets[0]?.weight);
  let slots = nextPow2(targets.length);
  if (!(equal && slots === targets.length)) slots = nextPow2(total) * 4;
  const bits = Math.min(Math.log2(slots), maxBits, 32 - baseLen);
  return Math.max(0, bits);
}

/** Assign 2^bits slots to targets: quota by weight, rendezvous hashing inside quotas. Deterministic. */
export function assignSlots(targets: SplitTarget[], bits: number): string[] {
  const live = targets.filter((t) => t.weight > 0).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = 2 ** bits;
  if (live.length === 0) return [];
  if (live.length === 1) return Array.from({ length: n }, () => live[0]!.id);
  const total = live.reduce((s, t) => s + t.weight, 0);
  // quotas: floor + largest remainder (ties by id order)
  const exact = live.map((t) => (t.weight * n) / total);
  const quota = exact.map((e) => Math.floor(e));
  let rest = n - quota.reduce((s, q) => s + q, 0);
  const byRem = live.map((_, i) => i).sort((a, b) => exact[b]! - Math.floor(exact[b]!) - (exact[a]! - Math.floor(exact[a]!)) || a - b);
  for (const i of byRem) {
    if (rest <= 0) break;
    quota[i]! += 1;
    rest--;
  }
  // bounded-load rendezvous: every slot ranks the targets by hash score; slots are served strongest claim first,
  // each taking its best-ranked target that still has quota left.
  const claims: Array<{ slot: number; target: number; sc: bigint }> = [];
  for (let s = 0; s < n; s++) live.forEach((t, i) => claims.push({ slot: s, target: i, sc: score(t.id, s) }));
  claims.sort((a, b) => (a.sc > b.sc ? -1 : a.sc < b.sc ? 1 : a.slot - b.slot || a.target - b.target));
  const owner: number[] = new Array<number>(n).fill(-1);
  const count = live.map(() => 0);
  for (const c of claims) {
    if (owner[c.slot] !== -1 || count[c.target]! >= quota[c.target]!) continue;
    owner[c.slot] = c.target;
    count[c.target]! += 1;
  }
  return owner.map((i) => live[i]!.id);
}

/** Split base prefix (net/len) among targets. One slot per sub-prefix, in address order. */
export function prefixSplit(base: { net: number; len: number }, targets: SplitTarget[], maxBits: number): PrefixSlot[] {
  const bits = splitBits(targets, base.len, maxBits);
  const owners = assignSlots(targets, bits);
  const len = base.len + bits;
  const step = bits === 0 ? 0 : 2 ** (32 - len);
  return owners.map((target, i) => ({ net: (base.net + i * step) >>> 0, len, target }));
}
