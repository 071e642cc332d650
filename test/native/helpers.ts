// Frame builders and small helpers for the native data-plane tests.
export interface UdpSpec { src: string; dst: string; sport: number; dport: number; proto?: number; size?: number }

function ip4(s: string): number {
  return s.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
}

/** Ethernet/IPv4/UDP (or TCP when proto=6) frame with a valid IPv4 header checksum. */
export function frame(s: UdpSpec): Buffer {
  const size = Math.max(s.size ?? 64, 60);
  const f = Buffer.alloc(size);
  f.set([0x02, 0, 0, 0, 0, 0x01], 0);
  f.set([0x02, 0, 0, 0, 0, 0x02], 6);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(size - 14, 16);
  f[22] = 64;
  f[23] = s.proto ?? 17;
  f.writeUInt32BE(ip4(s.src), 26);
  f.writeUInt32BE(ip4(s.dst), 30);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += f.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  f.writeUInt16BE(~sum & 0xffff, 24);
  f.writeUInt16BE(s.sport, 34);
  f.writeUInt16BE(s.dport, 36);
  if ((s.proto ?? 17) === 17) f.writeUInt16BE(size - 34, 38);
  return f;
}

export function batch(frames: Buffer[]): { data: Buffer; lens: Uint32Array } {
  return { data: Buffer.concat(frames), lens: new Uint32Array(frames.map((f) => f.length)) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function uniquePrefix(tag: string): string {
  return `rvt${tag}${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}
