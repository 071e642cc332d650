// Deterministic cookies and group ids: the same desired state always yields the same numbers, so a restarted
// controller recognises its own flows and the reconciler finds nothing to change.
//
// Cookie layout (64 bits):  0x5256 ("RV") | kind (8 bits) | FNV-1a-64(owner id) truncated to 40 bits.

export const COOKIE_NAMESPACE = 0x5256n;

export const COOKIE_KIND = {
  infra: 0x01,
  steering: 0x02,
  acl: 0x03,
} as const;
export type CookieKind = keyof typeof COOKIE_KIND;

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

export function fnv1a64(text: string): bigint {
  let h = FNV_OFFSET;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= BigInt(byte);
    h = (h * FNV_PRIME) & MASK64;
  }
  return h;
}

export function makeCookie(kind: CookieKind, ownerId: string): bigint {
  return (COOKIE_NAMESPACE << 48n) | (BigInt(COOKIE_KIND[kind]) << 40n) | (fnv1a64(ownerId) & ((1n << 40n) - 1n));
}

export function isOurCookie(cookie: bigint): boolean {
  return cookie >> 48n === COOKIE_NAMESPACE;
}

export function cookieKind(cookie: bigint): CookieKind | null {
  if (!isOurCookie(cookie)) return null;
  const k = Number((cookie >> 40n) & 0xffn);
  for (const [name, v] of Object.entries(COOKIE_KIND)) if (v === k) return name as CookieKind;
  return null;
}

/** The cookie/mask pair selecting every flow of one owner (e.g. delete a chain's flows in one flow_mod). */
export function ownerCookieMask(): bigint {
  return MASK64;
}

const GROUP_ID_SPACE = 0x7fff0000; // below OFPG_MAX (0xffffff00), leave room

/** Stable group ids for owners: hash, then linear probing in sorted owner order (deterministic for a set). */
export function assignGroupIds(ownerIds: string[]): Map<string, number> {
  const out = new Map<string, number>();
  const used = new Set<number>();
  for (const id of [...new Set(ownerIds)].sort()) {
    let g = Number(fnv1a64(`group:${id}`) % BigInt(GROUP_ID_SPACE)) + 1;
    while (used.has(g)) g = (g % GROUP_ID_SPACE) + 1;
    used.add(g);
    out.set(id, g);
  }
  return out;
}
