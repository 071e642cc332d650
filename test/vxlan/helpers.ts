// Test helpers for the VXLAN / NF native test programs: build them, run them in a private EAL
// (no hugepages, unique --file-prefix, runtime dir removed afterwards), pcap I/O, frame builders.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseIpv4, parseMac, internetChecksum } from '../../vxlan/index.js';

/** The repository root (the folder holding native/Makefile), from the source tree or from dist/. */
export const ROOT = ((): string => {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'native', 'Makefile'))) return d;
    d = dirname(d);
  }
  throw new Error('repository root (native/Makefile) not found');
})();
export const TOOL = join(ROOT, 'native', 'build', 'test', 'vxlan_tool');
export const NF_LOGIC_TEST = join(ROOT, 'native', 'build', 'test', 'nf_logic_test');

function exec(cmd: string, args: string[], timeoutMs = 300_000): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      resolve({ stdout, stderr, code: e ? (typeof e.code === 'number' ? e.code : 1) : 0 });
    });
  });
}

/** Builds native/nfs-test (incremental). Throws with the compiler output on failure. */
export async function buildTestPrograms(): Promise<void> {
  const r = await exec('flock', ['/tmp/rackvisor-nfs-test-build.lock', 'make', '-s', '-C', join(ROOT, 'native', 'nfs-test')]);
  if (r.code !== 0) throw new Error(`make -C native/nfs-test failed:\n${r.stderr}${r.stdout}`);
}

export function uniquePrefix(tag = 'rvt'): string {
  return `${tag}-${randomBytes(3).toString('hex')}`;
}

export function ealArgs(prefix: string, extra: string[] = []): string[] {
  return ['--no-huge', '-m', '256', '--no-pci', '--file-prefix', prefix, '--no-telemetry',
    '--lcores', '0@(0-1)', '--log-level=lib.eal:error', ...extra];
}

export function cleanRuntimeDir(prefix: string): void {
  rmSync(`/var/run/dpdk/${prefix}`, { recursive: true, force: true });
}

/** Runs a test program once; returns its parsed JSON (last JSON line of stdout). */
export async function runProgram<T>(program: string, mode: string, args: string[], opts: { ealExtra?: string[]; timeoutMs?: number; allowFail?: boolean } = {}): Promise<T> {
  if (!existsSync(program)) throw new Error(`${program} is not built`);
  const prefix = uniquePrefix();
  try {
    const r = await exec(program, [...ealArgs(prefix, opts.ealExtra), '--', mode, ...args], opts.timeoutMs);
    const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (!line) throw new Error(`${program} ${mode}: no JSON output (exit ${r.code}): ${r.stderr}`);
    if (r.code !== 0 && !opts.allowFail) throw new Error(`${program} ${mode} exited ${r.code}: ${r.stderr}\n${line}`);
    return JSON.parse(line) as T;
  } finally {
    cleanRuntimeDir(prefix);
  }
}

export function runTool<T>(mode: string, args: string[], opts: { ealExtra?: string[]; timeoutMs?: number; allowFail?: boolean } = {}): Promise<T> {
  return runProgram<T>(TOOL, mode, args, opts);
}

/** A long-running tool process (gateway) started inside a namespace. */
export interface ToolProcess { child: ChildProcess; prefix: string; stdout: () => string; stderr: () => string; ready: Promise<void> }

export function spawnToolInNetns(netns: string, mode: string, args: string[], ealExtra: string[]): ToolProcess {
  const prefix = uniquePrefix();
  const child = spawn('ip', ['netns', 'exec', netns, TOOL, ...ealArgs(prefix, ealExtra), '--', mode, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tool not READY after 20 s: ${err}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY')) { clearTimeout(timer); resolve(); }
    });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => { clearTimeout(timer); if (!out.includes('READY')) reject(new Error(`tool exited ${code}: ${err}`)); });
  });
  return { child, prefix, stdout: () => out, stderr: () => err, ready };
}

/** SIGTERM a tool process we started; resolves with its final JSON. */
export async function stopTool<T>(p: ToolProcess, timeoutMs = 10_000): Promise<T | undefined> {
  if (p.child.exitCode === null && p.child.signalCode === null) {
    const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
    p.child.kill('SIGTERM');
    const t = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(t);
  }
  cleanRuntimeDir(p.prefix);
  const line = p.stdout().trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return line ? (JSON.parse(line) as T) : undefined;
}

// ---- pcap ----------------------------------------------------------------------------------------
export function writePcap(file: string, frames: Uint8Array[]): void {
  const parts: Buffer[] = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0); gh.writeUInt16LE(2, 4); gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(262144, 16); gh.writeUInt32LE(1, 20);
  parts.push(gh);
  frames.forEach((f, i) => {
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(i + 1, 0); rh.writeUInt32LE(f.length, 8); rh.writeUInt32LE(f.length, 12);
    parts.push(rh, Buffer.from(f));
  });
  writeFileSync(file, Buffer.concat(parts));
}

export function readPcap(file: string): Uint8Array[] {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && b.readUInt32BE(0) !== 0xa1b2c3d4 && b.readUInt32BE(0) !== 0xa1b23c4d) throw new Error('not a pcap file');
  const out: Uint8Array[] = [];
  let off = 24;
  while (off + 16 <= b.length) {
    const incl = le ? b.readUInt32LE(off + 8) : b.readUInt32BE(off + 8);
    out.push(new Uint8Array(b.subarray(off + 16, off + 16 + incl)));
    off += 16 + incl;
  }
  return out;
}

// ---- frames --------------------------------------------------------------------------------------
export interface UdpFrameSpec {
  srcMac: string; dstMac: string; srcIp: string; dstIp: string; srcPort: number; dstPort: number;
  payload?: Uint8Array; proto?: number; ttl?: number;
}

/** Ethernet/IPv4/UDP (or another proto's raw payload) with a correct IPv4 header and UDP checksum. */
export function udpFrame(s: UdpFrameSpec): Uint8Array {
  const payload = s.payload ?? new Uint8Array(18);
  const proto = s.proto ?? 17;
  const l4len = proto === 17 ? 8 + payload.length : payload.length;
  const f = new Uint8Array(14 + 20 + l4len);
  const dv = new DataView(f.buffer);
  f.set(parseMac(s.dstMac), 0); f.set(parseMac(s.srcMac), 6); dv.setUint16(12, 0x0800);
  dv.setUint8(14, 0x45); dv.setUint16(16, 20 + l4len); dv.setUint16(20, 0x4000); dv.setUint8(22, s.ttl ?? 64);
  dv.setUint8(23, proto); dv.setUint32(26, parseIpv4(s.srcIp)); dv.setUint32(30, parseIpv4(s.dstIp));
  dv.setUint16(24, internetChecksum(f, 14, 20));
  if (proto === 17) {
    dv.setUint16(34, s.srcPort); dv.setUint16(36, s.dstPort); dv.setUint16(38, l4len);
    f.set(payload, 42);
    const pseudo = new Uint8Array(12 + l4len);
    pseudo.set(f.subarray(26, 34), 0); pseudo[9] = 17; pseudo[10] = l4len >> 8; pseudo[11] = l4len & 0xff;
    pseudo.set(f.subarray(34), 12);
    const c = internetChecksum(pseudo, 0, pseudo.length);
    dv.setUint16(40, c === 0 ? 0xffff : c);
  } else {
    f.set(payload, 34);
  }
  return f;
}

/** Recomputes the IPv4 header checksum of an Ethernet/IPv4 frame in place. */
export function fixIpChecksum(f: Uint8Array, ipOff = 14): Uint8Array {
  const ihl = (f[ipOff]! & 0x0f) * 4;
  f[ipOff + 10] = 0; f[ipOff + 11] = 0;
  const c = internetChecksum(f, ipOff, ihl);
  f[ipOff + 10] = c >> 8; f[ipOff + 11] = c & 0xff;
  return f;
}

/** Runs tshark on a pcap with VXLAN decoding on 4789 and returns the parsed -T json output. */
export async function tsharkJson(file: string): Promise<TsharkPacket[]> {
  const r = await exec('tshark', ['-r', file, '-n', '-o', 'ip.check_checksum:TRUE', '-d', 'udp.port==4789,vxlan', '-T', 'json', '--no-duplicate-keys'], 120_000);
  if (r.code !== 0) throw new Error(`tshark failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as TsharkPacket[];
}
export interface TsharkPacket { _source: { layers: Record<string, unknown> } }
