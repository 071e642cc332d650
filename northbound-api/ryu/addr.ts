// Address parsing/formatting for the Ryu layer (MAC, IPv4, IPv6 with masks), so that masked
// values can be normalised (value & mask) before they go to the switch, as Ryu's OFPMatch does.
import { RyuBadRequest } from './util.js';

const MAC_RE = /^[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}$/;

export function parseMac(s: unknown, what: string): Uint8Array {
  if (typeof s !== 'string' || !MAC_RE.test(s.trim())) throw new RyuBadRequest(`${what}: ${JSON.stringify(s)} is not a MAC address`);
  return new Uint8Array(s.trim().split(':').map((h) => parseInt(h, 16)));
}

export function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

export function parseIpv4(s: unknown, what: string): Uint8Array {
  if (typeof s === 'string') {
    const parts = s.trim().split('.');
    if (parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
      return new Uint8Array(parts.map(Number));
    }
  }
  throw new RyuBadRequest(`${what}: ${JSON.stringify(s)} is not an IPv4 address`);
}

export function formatIpv4(b: Uint8Array): string {
  return Array.from(b).join('.');
}

export function parseIpv6(s: unknown, what: string): Uint8Array {
  const bad = (): never => {
    throw new RyuBadRequest(`${what}: ${JSON.stringify(s)} is not an IPv6 address`);
  };
  if (typeof s !== 'string') return bad();
  let str = s.trim();
  if (str.length === 0 || str.length > 45) return bad();
  const out = new Uint8Array(16);
  // embedded IPv4 tail ("::ffff:10.0.0.1") → two hex groups
  const lastColon = str.lastIndexOf(':');
  if (lastColon >= 0 && str.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(str.slice(lastColon + 1), what);
    str = `${str.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = str.split('::');
  if (halves.length > 2) return bad();
  const parseGroups = (h: string): number[] => {
    if (h === '') return [];
    return h.split(':').map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) bad();
      return parseInt(g, 16);
    });
  };
  const head = parseGroups(halves[0]);
  const rest = halves.length === 2 ? parseGroups(halves[1]) : [];
  const groups: number[] = [];
  const total = head.length + rest.length;
  if (halves.length === 2) {
    if (total > 7) return bad();
    groups.push(...head, ...new Array<number>(8 - total).fill(0), ...rest);
  } else {
    if (total !== 8) return bad();
    groups.push(...head);
  }
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** Python ipaddress / netaddr style: lowercase, the longest run (> 1) of zero groups as "::". */
export function formatIpv6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[2 * i] << 8) | b[2 * i + 1]);
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestLen > 1) {
    return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
  }
  return hex.join(':');
}

export function prefixMask(bits: number, bytes: number): Uint8Array {
  const m = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) {
    const take = Math.max(0, Math.min(8, bits - 8 * i));
    m[i] = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
  }
  return m;
}

export function andBytes(a: Uint8Array, m: Uint8Array): Uint8Array {
  return a.map((x, i) => x & m[i]);
}
