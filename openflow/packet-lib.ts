// Just enough of Ryu's packet library to build packet_out data given as {"Packet": {"protocols": [...]}}
// (ethernet, vlan, ipv4, icmp echo, udp, raw payload). Checksums are taken as given (Ryu's JSON carries them).
import { OfEncodeError } from './errors.js';
import { fromBase64, parseIpv4 } from './addr.js';

function num(o: Record<string, unknown>, k: string, max: number, path: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new OfEncodeError(`${k} must be 0..${max}`, path);
  return v;
}
function macBytes(s: unknown, path: string): number[] {
  if (typeof s !== 'string' || !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(s)) throw new OfEncodeError('bad MAC', path);
  return s.split(':').map((x) => parseInt(x, 16));
}
function ip4(s: unknown, path: string): number[] {
  const v = typeof s === 'string' ? parseIpv4(s) : -1;
  if (v < 0) throw new OfEncodeError('bad IPv4', path);
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
}
const be16 = (v: number): number[] => [v >>> 8, v & 255];

/** Serialises Ryu's Packet JSON (the inner object with `protocols`) to bytes. */
export function packetFromRyuJson(p: Record<string, unknown>): Buffer {
  const protos = p.protocols;
  if (!Array.isArray(protos)) throw new OfEncodeError('Packet.protocols must be a list', 'data');
  const out: number[] = [];
  for (const entry of protos as unknown[]) {
    if (typeof entry === 'string') { out.push(...fromBase64(entry, 'data')); continue; }
    if (entry === null || typeof entry !== 'object') throw new OfEncodeError('bad protocol entry', 'data');
    const [name, body] = Object.entries(entry as Record<string, Record<string, unknown>>)[0] ?? [];
    const path = `data.${name}`;
    if (!body) throw new OfEncodeError('empty protocol entry', 'data');
    switch (name) {
      case 'ethernet': out.push(...macBytes(body.dst, path), ...macBytes(body.src, path), ...be16(num(body, 'ethertype', 0xffff, path))); break;
      case 'vlan': out.push(...be16((num(body, 'pcp', 7, path) << 13) | (num(body, 'cfi', 1, path) << 12) | num(body, 'vid', 4095, path)),
        ...be16(num(body, 'ethertype', 0xffff, path))); break;
      case 'ipv4': {
        const hl = num(body, 'header_length', 15, path);
        if (hl !== 5 || (body.option !== null && body.option !== undefined)) throw new OfEncodeError('IPv4 options are not supported', path);
        out.push((num(body, 'version', 15, path) << 4) | hl, num(body, 'tos', 255, path), ...be16(num(body, 'total_length', 0xffff, path)),
          ...be16(num(body, 'identification', 0xffff, path)), ...be16((num(body, 'flags', 7, path) << 13) | num(body, 'offset', 0x1fff, path)),
          num(body, 'ttl', 255, path), num(body, 'proto', 255, path), ...be16(num(body, 'csum', 0xffff, path)),
          ...ip4(body.src, path), ...ip4(body.dst, path));
        break;
      }
      case 'icmp': {
        out.push(num(body, 'type', 255, path), num(body, 'code', 255, path), ...be16(num(body, 'csum', 0xffff, path)));
        const d = body.data as Record<string, Record<string, unknown>> | null | undefined;
        if (d && d.echo) {
          out.push(...be16(num(d.echo, 'id', 0xffff, path)), ...be16(num(d.echo, 'seq', 0xffff, path)));
          if (typeof d.echo.data === 'string') out.push(...fromBase64(d.echo.data, path));
        } else if (d) throw new OfEncodeError('only ICMP echo payloads are supported', path);
        break;
      }
      case 'udp': out.push(...be16(num(body, 'src_port', 0xffff, path)), ...be16(num(body, 'dst_port', 0xffff, path)),
        ...be16(num(body, 'total_length', 0xffff, path)), ...be16(num(body, 'csum', 0xffff, path))); break;
      default: throw new OfEncodeError(`packet protocol ${name} is not supported`, path);
    }
  }
  return Buffer.from(out);
}
