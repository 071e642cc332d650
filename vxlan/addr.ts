// MAC and IPv4 address parsing/formatting shared by the codec and the tunnel table. Pure.

const MAC_RE = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;

/** "aa:bb:cc:dd:ee:ff" (or with '-') → 6 bytes. Throws on anything else. */
export function parseMac(mac: string): Uint8Array {
  const m = MAC_RE.exec(mac.trim());
  if (!m) throw new TypeError(`invalid MAC address: ${JSON.stringify(mac)}`);
  return Uint8Array.from(m.slice(1, 7).map((h) => parseInt(h, 16)));
}

/** 6 bytes → "aa:bb:cc:dd:ee:ff" (lower case). */
export function formatMac(b: Uint8Array): string {
  if (b.length !== 6) throw new TypeError('MAC must be 6 bytes');
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Normalises a MAC string (lower case, ':' separated); throws when invalid. */
export function normalizeMac(mac: string): string {
  return formatMac(parseMac(mac));
}

/** True for group (multicast/broadcast) MACs: the I/G bit of the first octet. */
export function isMulticastMac(mac: string): boolean {
  return (parseMac(mac)[0] & 1) === 1;
}

/** Dotted quad → unsigned 32-bit number (host order). Strict: four decimal octets 0..255, no leading zeros. */
export function parseIpv4(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new TypeError(`invalid IPv4 address: ${JSON.stringify(ip)}`);
  let v = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) throw new TypeError(`invalid IPv4 address: ${JSON.stringify(ip)}`);
    const n = Number(p);
    if (n > 255) throw new TypeError(`invalid IPv4 address: ${JSON.stringify(ip)}`);
    v = v * 256 + n;
  }
  return v >>> 0;
}

/** Unsigned 32-bit number → dotted quad. */
export function formatIpv4(v: number): string {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new TypeError(`invalid IPv4 value ${v}`);
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** True if the string is a valid dotted-quad IPv4 address. */
export function isIpv4(ip: string): boolean {
  try {
    parseIpv4(ip);
    return true;
  } catch {
    return false;
  }
}
