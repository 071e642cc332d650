// The built-in NF binaries as real NF processes (DPDK secondaries) of a real manager: each one in a
// one-NF path ring:in → NF → ring:out, frames injected and collected through the manager, checked
// byte by byte (rewrites, checksums), and the NF's own counters (printed at exit) checked too.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DataplaneManager, NF_BIN_DIR, MsgType } from '../../native/index.js';
import { udpFrame } from '../vxlan/helpers.js';
import { internetChecksum, formatIpv4 } from '../../vxlan/index.js';

let m: DataplaneManager;
let IN = 0;
let OUT = 0;
const procs: ChildProcess[] = [];
const dir = mkdtempSync(join(tmpdir(), 'rvt-nfs-'));
let nextId = 10;

interface Nf { id: number; out: () => string; exited: Promise<number | null> }

async function startNf(bin: string, extra: string[]): Promise<Nf> {
  const id = nextId++;
  m.createInstance(id, id, bin);
  const p = spawn(join(NF_BIN_DIR(), bin), [...m.nfEalArgs(), '--', '--instance', String(id), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(p);
  let out = '';
  p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  p.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => { m.instanceExited(id); r(code); }));
  // 'running' is the NF's own slot state; wait until the manager has routed the instance too
  // (it does so when it reads the READY message), else the first frames find no instance
  await Promise.race([m.waitFor((s) => s.nfs.some((n) => n.instance === id && n.state === 'running' && n.routed), 20000, `${bin} routed`),
    exited.then((c) => { throw new Error(`${bin} exited ${c}: ${out}`); })]);
  m.setPath(id, [id], OUT);
  m.setDefaultPath(id);
  m.native.flowClear();
  return { id, out: () => out, exited };
}

async function stopNf(nf: Nf): Promise<number | null> {
  m.stopInstance(nf.id);
  return nf.exited;
}

async function through(frames: Uint8Array[], want: number, timeoutMs = 15000): Promise<Buffer[]> {
  const data = Buffer.concat(frames.map((f) => Buffer.from(f)));
  const lens = new Uint32Array(frames.map((f) => f.length));
  if (m.native.ringInject(IN, data, lens) !== frames.length) throw new Error('ringInject short');
  const got: Buffer[] = [];
  const end = Date.now() + timeoutMs;
  while (got.length < want && Date.now() < end) {
    got.push(...m.native.ringCollect(OUT).frames);
    if (got.length < want) await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 150));
  got.push(...m.native.ringCollect(OUT).frames);
  return got;
}

const f = (src: string, dst: string, sport: number, dport: number, payload: string | Uint8Array = 'payload', proto = 17) =>
  udpFrame({ srcMac: '02:00:00:00:01:01', dstMac: '02:00:00:00:01:02', srcIp: src, dstIp: dst, srcPort: sport, dstPort: dport,
    payload: typeof payload === 'string' ? new TextEncoder().encode(payload) : payload, proto });

function ipChecksumOk(b: Buffer): boolean { return internetChecksum(b, 14, 20) === 0; }
function udpChecksumOk(b: Buffer): boolean {
  const ulen = b.readUInt16BE(38);
  const ps = Buffer.alloc(12 + ulen);
  b.copy(ps, 0, 26, 34); ps[9] = 17; ps.writeUInt16BE(ulen, 10); b.copy(ps, 12, 34, 34 + ulen);
  return b.readUInt16BE(40) === 0 || internetChecksum(ps, 0, ps.length) === 0;
}

test.before(async () => {
  m = await DataplaneManager.start({ filePrefix: `rvt-nfs-${randomBytes(3).toString('hex')}`, ports: ['ring:in', 'ring:out'], hugepages: { sizeMb: 256 }, pollMs: 20, heartbeatTimeoutMs: 3000 });
  IN = m.portId('ring:in');
  OUT = m.portId('ring:out');
});

test.after.always(async () => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 100));
  if (m) await m.stop();
  rmSync(dir, { recursive: true, force: true });
});

test.serial('firewall NF: rte_acl rules drop exactly the matching frames; per-rule hits reported', async (t) => {
  const rules = join(dir, 'fw.rules');
  writeFileSync(rules, 'default allow\ndrop proto udp dport 9999\ndrop proto udp src 10.66.0.0/16\nallow proto udp dport 80\n');
  const nf = await startNf('firewall', ['--rules', rules, '--print-every', '0.2']);
  const before = m.stats().drops['nf_drop'] ?? 0;
  const frames = [
    ...Array.from({ length: 100 }, (_, i) => f(`10.9.0.${i + 1}`, '10.9.1.1', 1000 + i, 9999)),
    ...Array.from({ length: 50 }, (_, i) => f(`10.66.3.${i + 1}`, '10.9.1.1', 1000 + i, 80)),
    ...Array.from({ length: 120 }, (_, i) => f(`10.9.0.${i + 1}`, '10.9.1.1', 1000 + i, 80)),
  ];
  const got = await through(frames, 120);
  t.is(got.length, 120);
  t.true(got.every((b) => b.readUInt16BE(36) === 80 && b.readUInt8(26) === 10 && b.readUInt8(27) === 9));
  t.is((m.stats().drops['nf_drop'] ?? 0) - before, 150, 'dropped in the NF, counted by the manager');
  const hitsPrinted = async (re: RegExp) => { for (let k = 0; k < 50 && !re.test(nf.out()); k++) await new Promise((r) => setTimeout(r, 100)); return re.test(nf.out()); };
  t.true(await hitsPrinted(/rule 0 hits 100 +\| drop proto udp dport 9999/), 'rule 0 hits');
  t.true(await hitsPrinted(/rule 1 hits 50 +\| drop proto udp src 10\.66/), 'rule 1 hits');
  t.true(await hitsPrinted(/rule 2 hits 120 +\| allow proto udp dport 80/), 'rule 2 hits');
  // CONFIG rules=<file>: a new ACL is built and swapped in while running
  const rules2 = join(dir, 'fw2.rules');
  writeFileSync(rules2, 'default drop\nallow proto udp dport 9999\n');
  m.sendMessage(nf.id, MsgType.CONFIG, [], `rules=${rules2}`);
  await m.waitFor(() => m.events.some((e) => e.instance === nf.id && e.text.includes('rules reloaded')), 5000, 'reload LOG message');
  const got2 = await through(frames, 100);
  t.is(got2.length, 100);
  t.true(got2.every((b) => b.readUInt16BE(36) === 9999));
  t.is(await stopNf(nf), 0);
  t.regex(nf.out(), /rule 0 hits 100 +\| allow proto udp dport 9999/, 'per-rule hits of the reloaded rules');
});

test.serial('firewall NF: bad rules file → the NF refuses to start', async (t) => {
  const rules = join(dir, 'bad.rules');
  writeFileSync(rules, 'allow proto tcp dport 70000\n');
  const err = await t.throwsAsync(startNf('firewall', ['--rules', rules]));
  t.regex(err!.message, /line 1: bad port range/);
});

test.serial('nat NF: source rewritten to the external address and pooled ports, checksums valid', async (t) => {
  const nf = await startNf('nat', ['--external', '203.0.113.1', '--inside', '10.0.0.0/8', '--ports', '30000-30999']);
  const frames = Array.from({ length: 40 }, (_, i) => f(`10.1.0.${i + 1}`, '198.51.100.7', 5000 + i, 53, `q${i}`));
  const got = await through(frames, 40);
  t.is(got.length, 40);
  const ports = new Set<number>();
  for (const b of got) {
    t.is(formatIpv4(b.readUInt32BE(26)), '203.0.113.1');
    const p = b.readUInt16BE(34);
    t.true(p >= 30000 && p <= 30999);
    ports.add(p);
    t.true(ipChecksumOk(b) && udpChecksumOk(b), 'checksums after rewrite');
  }
  t.is(ports.size, 40, 'one external port per inside endpoint');
  // replies to an allocated port come back translated; to an unallocated one they are dropped
  const p0 = got[0]!.readUInt16BE(34);
  const origSrc = formatIpv4(Buffer.from(frames[0]!).readUInt32BE(26));
  const origPort = Buffer.from(frames[0]!).readUInt16BE(34);
  const back = await through([f('198.51.100.7', '203.0.113.1', 53, p0, 'answer'), f('198.51.100.7', '203.0.113.1', 53, 31500, 'x')], 1);
  t.is(back.length, 1);
  t.is(formatIpv4(back[0]!.readUInt32BE(30)), origSrc);
  t.is(back[0]!.readUInt16BE(36), origPort);
  t.true(udpChecksumOk(back[0]!));
  t.is(await stopNf(nf), 0);
  t.regex(nf.out(), /in_no_mapping 1 /);
});

test.serial('load_balancer NF: VIP traffic rewritten to the Maglev-chosen backends, all backends used', async (t) => {
  const nf = await startNf('load_balancer', ['--vip', '10.0.0.100:80', '--proto', 'udp', '--backend', '10.0.1.1', '--backend', '10.0.1.2', '--backend', '10.0.1.3', '--table-size', '251']);
  const frames = Array.from({ length: 300 }, (_, i) => f(`192.168.${Math.floor(i / 250)}.${(i % 250) + 1}`, '10.0.0.100', 10000 + i, 80));
  const got = await through(frames, 300);
  t.is(got.length, 300);
  const per = new Map<string, number>();
  for (const b of got) {
    const d = formatIpv4(b.readUInt32BE(30));
    per.set(d, (per.get(d) ?? 0) + 1);
    t.true(ipChecksumOk(b) && udpChecksumOk(b));
  }
  t.deepEqual([...per.keys()].sort(), ['10.0.1.1', '10.0.1.2', '10.0.1.3']);
  for (const n of per.values()) t.true(n > 50, `balanced: ${[...per.values()]}`);
  // the same flows again go to the same backends
  const again = await through(frames.slice(0, 50), 50);
  const firstDst = new Map<number, number>();
  for (const b of got) firstDst.set(b.readUInt16BE(34), b.readUInt32BE(30));
  t.true(again.every((b) => firstDst.get(b.readUInt16BE(34)) === b.readUInt32BE(30)), 'flow affinity');
  t.is(await stopNf(nf), 0);
});

test.serial('lpm_router NF: longest prefix match → OUT port / drop, TTL decremented', async (t) => {
  const table = join(dir, 'lpm.table');
  writeFileSync(table, `hop 1 out ${OUT} dmac 02:aa:00:00:00:01\nhop 2 drop\nroute 10.9.0.0/16 1\nroute 10.9.7.0/24 2\ndefault 2\n`);
  const nf = await startNf('lpm_router', ['--table', table]);
  const frames = [
    ...Array.from({ length: 30 }, (_, i) => f('1.1.1.1', `10.9.1.${i + 1}`, 1, 2)),
    ...Array.from({ length: 10 }, (_, i) => f('1.1.1.1', `10.9.7.${i + 1}`, 1, 2)),
    ...Array.from({ length: 10 }, (_, i) => f('1.1.1.1', `172.16.0.${i + 1}`, 1, 2)),
  ];
  const got = await through(frames, 30);
  if (got.length !== 30) t.log(`drops ${JSON.stringify(m.stats().drops)} nf ${JSON.stringify(m.stats().nfs.find((n) => n.instance === nf.id))} out: ${nf.out()}`);
  t.is(got.length, 30);
  for (const b of got) {
    t.is(b.readUInt8(30), 10); t.is(b.readUInt8(32), 1);
    t.is(b.readUInt8(22), 63, 'TTL 64 → 63');
    t.true(ipChecksumOk(b));
    t.is(b.subarray(0, 6).toString('hex'), '02aa00000001');
  }
  t.is(await stopNf(nf), 0);
  t.regex(nf.out(), /out 30 next 0 no_route 0 ttl 0 drop 20/);
});

test.serial('payload_scan NF: frames with a pattern dropped, alerts reported', async (t) => {
  const pats = join(dir, 'scan.patterns');
  writeFileSync(pats, 'action drop\npattern evil "EVIL"\npattern bin hex:deadbeef\n');
  const nf = await startNf('payload_scan', ['--patterns', pats]);
  const frames = [
    ...Array.from({ length: 20 }, (_, i) => f('10.9.0.1', '10.9.0.2', 1000 + i, 80, `clean ${i}`)),
    ...Array.from({ length: 7 }, (_, i) => f('10.9.0.1', '10.9.0.2', 2000 + i, 80, `GET /EVIL/${i}`)),
    f('10.9.0.1', '10.9.0.2', 3000, 80, Uint8Array.from([0x78, 0xde, 0xad, 0xbe, 0xef, 0x79])),
  ];
  const got = await through(frames, 20);
  t.is(got.length, 20);
  t.true(got.every((b) => !b.includes('EVIL')));
  t.is(await stopNf(nf), 0);
  t.regex(nf.out(), /payload_scan: evil 10\.9\.0\.1:2000>10\.9\.0\.2:80 dropped/);
  t.regex(nf.out(), /matched 8 dropped 8 alerts 0 \| evil=7 bin=1/);
});
