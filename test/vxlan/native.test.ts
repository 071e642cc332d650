// The native VXLAN fast path (native/src/vxlan.cc) through native/build/test/vxlan_tool:
// its own checks, cross-checks against the TypeScript codec (both directions), tshark's decoder
// on frames we encapsulate, every malformed-frame reason, and 10^6 random frames.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildTestPrograms, runTool, writePcap, readPcap, udpFrame, fixIpChecksum, tsharkJson,
} from './helpers.js';
import { encapsulate, decapsulate, VxlanError, vniFor, formatMac, sourcePortForHash } from '../../vxlan/index.js';

const A = { mac: '02:aa:00:00:00:01', ip: '192.168.60.1' };
const B = { mac: '02:aa:00:00:00:02', ip: '192.168.60.2' };
const C = { mac: '02:aa:00:00:00:03', ip: '192.168.60.3' }; // never registered
const dir = mkdtempSync(join(tmpdir(), 'rvt-vxlan-'));

interface Counters { encap_ok: number; encap_no_headroom: number; decap: Record<string, number> }
interface DecapOut extends Counters { frames: number; verdicts: string[]; vnis: number[] }

test.before(async () => {
  await buildTestPrograms();
});
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const inner = (i: number, len = 18) => udpFrame({
  srcMac: '0a:00:00:00:01:01', dstMac: '0a:00:00:00:01:02', srcIp: '10.50.0.1', dstIp: '10.50.0.2',
  srcPort: 40000 + i, dstPort: 41000, payload: new Uint8Array(len).map((_, k) => (k * 13 + i) & 0xff),
});

test('native selftest: tunnel table, VNI table, encap fields, chained mbufs, headroom, mixed bursts', async (t) => {
  const r = await runTool<{ checks: { name: string; ok: boolean; detail: string }[]; failed: number }>('selftest', [], { allowFail: true });
  const bad = r.checks.filter((c) => !c.ok);
  t.deepEqual(bad, []);
  t.is(r.failed, 0);
  t.true(r.checks.length >= 25, `${r.checks.length} checks ran`);
});

test('native encap → TypeScript decapsulate and tshark: fields, VNI, checksums, no malformed field', async (t) => {
  const frames = [inner(1), inner(2, 200), inner(3, 1000), inner(4, 0)];
  // an ARP request as inner frame too (not IPv4): carried untouched
  const arp = new Uint8Array(42); arp.fill(0xff, 0, 6); arp.set([0x0a, 0, 0, 0, 1, 1], 6); arp[12] = 0x08; arp[13] = 0x06;
  arp.set([0, 1, 8, 0, 6, 4, 0, 1], 14);
  frames.push(arp);
  writePcap(join(dir, 'in.pcap'), frames);
  const vni = vniFor(0x0102, 3);
  const r = await runTool<Counters>('encap', ['--in', join(dir, 'in.pcap'), '--out', join(dir, 'enc.pcap'),
    '--local-mac', A.mac, '--local-ip', A.ip, '--peer-mac', B.mac, '--peer-ip', B.ip, '--vni', String(vni), '--flow-hash', '0x12345678']);
  t.is(r.encap_ok, frames.length);
  const enc = readPcap(join(dir, 'enc.pcap'));
  t.is(enc.length, frames.length);
  enc.forEach((f, i) => {
    const d = decapsulate(f, { localMac: B.mac, localIp: B.ip, isRegisteredSource: (ip) => ip === A.ip, acceptsVni: (v) => v === vni });
    t.is(d.vni, vni);
    t.deepEqual([...d.inner], [...frames[i]!], 'inner frame untouched');
    t.is(d.outer.srcMac, A.mac); t.is(d.outer.dstMac, B.mac);
    t.is(d.outer.srcIp, A.ip); t.is(d.outer.dstIp, B.ip);
    t.is(d.outer.ttl, 64); t.true(d.outer.df); t.is(d.outer.udpChecksum, 0);
    t.is(d.outer.srcPort, sourcePortForHash(0x12345678));
    // byte-identical to the TypeScript encapsulation
    t.deepEqual([...f], [...encapsulate(frames[i]!, { srcMac: A.mac, srcIp: A.ip, dstMac: B.mac, dstIp: B.ip, vni, flowHash: 0x12345678 })]);
  });
  const pk = await tsharkJson(join(dir, 'enc.pcap'));
  t.is(pk.length, frames.length);
  for (const p of pk) {
    const l = p._source.layers;
    const text = JSON.stringify(l);
    t.false(text.includes('_ws.malformed'), 'no malformed field');
    t.false(text.includes('_ws.expert'), 'no expert info (errors/warnings)');
    const vx = l['vxlan'] as Record<string, unknown>;
    t.truthy(vx, 'decoded as VXLAN');
    t.is(vx['vxlan.vni'], String(vni));
    t.is(vx['vxlan.flags'], '0x0800');
    const outerIp = (Array.isArray(l['ip']) ? l['ip'][0] : l['ip']) as Record<string, unknown>;
    t.is(outerIp['ip.checksum.status'], '1', 'outer IPv4 checksum good');
    t.is(outerIp['ip.ttl'], '64');
    t.is((outerIp['ip.flags_tree'] as Record<string, string>)['ip.flags.df'], '1');
    const outerUdp = (Array.isArray(l['udp']) ? l['udp'][0] : l['udp']) as Record<string, string>;
    t.is(outerUdp['udp.dstport'], '4789');
    t.is(outerUdp['udp.checksum'], '0x0000');
  }
});

test('TypeScript-built frames → native decap: verdicts and output match the TypeScript decoder, reason by reason', async (t) => {
  const okVni = vniFor(1, 1);
  const enc = (from = A, vni = okVni, payload = inner(7)) => encapsulate(payload, { srcMac: from.mac, srcIp: from.ip, dstMac: B.mac, dstIp: B.ip, vni, flowHash: 99 });
  const mut = (fn: (f: Uint8Array) => void, base = enc()) => { const f = base.slice(); fn(f); return f; };
  const cases: { name: string; frame: Uint8Array; expect: string }[] = [
    { name: 'good', frame: enc(), expect: 'ok' },
    { name: 'good, last index', frame: enc(A, vniFor(1, 2)), expect: 'ok' },
    { name: 'good, padded', frame: (() => { const f = new Uint8Array(enc().length + 12); f.set(enc()); return f; })(), expect: 'ok' },
    { name: 'plain client frame', frame: inner(8), expect: 'not_vxlan' },
    { name: 'runt', frame: new Uint8Array(20), expect: 'not_vxlan' },
    { name: 'to another host', frame: encapsulate(inner(9), { srcMac: A.mac, srcIp: A.ip, dstMac: C.mac, dstIp: C.ip, vni: okVni }), expect: 'not_vxlan' },
    { name: 'other UDP port', frame: mut((f) => { f[37] = 0xb6; }), expect: 'not_vxlan' },
    { name: 'truncated in the VXLAN header', frame: enc().slice(0, 46), expect: 'truncated' },
    { name: 'truncated inner (IP length beyond frame)', frame: enc().slice(0, 70), expect: 'truncated' },
    { name: 'wrong dst MAC', frame: mut((f) => { f[5] = 0x77; }), expect: 'dst_mac' },
    { name: 'IPv4 IHL 4', frame: mut((f) => { f[14] = 0x44; fixIpChecksum(f); }), expect: 'ip_header' },
    { name: 'bad IP checksum', frame: mut((f) => { f[24] ^= 0x01; }), expect: 'ip_checksum' },
    { name: 'IP total length too small', frame: mut((f) => { f[16] = 0; f[17] = 30; fixIpChecksum(f); }), expect: 'ip_length' },
    { name: 'MF fragment', frame: mut((f) => { f[20] = 0x20; fixIpChecksum(f); }), expect: 'fragment' },
    { name: 'UDP length mismatch', frame: mut((f) => { f[39]! -= 2; }), expect: 'udp_length' },
    { name: 'bad non-zero UDP checksum', frame: mut((f) => { f[40] = 0xde; f[41] = 0xad; }), expect: 'udp_checksum' },
    { name: 'I flag clear', frame: mut((f) => { f[42] = 0; }), expect: 'flags' },
    { name: 'G flag (GBP) set', frame: mut((f) => { f[42] = 0x88; }), expect: 'flags' },
    { name: 'reserved bits set', frame: mut((f) => { f[44] = 0x01; }), expect: 'reserved' },
    { name: 'reserved last byte', frame: mut((f) => { f[49] = 0x01; }), expect: 'reserved' },
    { name: 'unregistered source', frame: enc(C), expect: 'unknown_source' },
    { name: 'unknown VNI (path)', frame: enc(A, vniFor(2, 0)), expect: 'unknown_vni' },
    { name: 'unknown VNI (index beyond the path)', frame: enc(A, vniFor(1, 3)), expect: 'unknown_vni' },
  ];
  writePcap(join(dir, 'bad.pcap'), cases.map((c) => c.frame));
  const r = await runTool<DecapOut>('decap', ['--in', join(dir, 'bad.pcap'), '--out', join(dir, 'dec.pcap'),
    '--local-mac', B.mac, '--local-ip', B.ip, '--register', `${A.ip}=${A.mac}`, '--path', '1:3']);
  cases.forEach((c, i) => {
    t.is(r.verdicts[i], c.expect, `native: ${c.name}`);
    let ts = 'ok';
    try {
      decapsulate(c.frame, { localMac: B.mac, localIp: B.ip, isRegisteredSource: (ip) => ip === A.ip, acceptsVni: (v) => v >>> 8 === 1 && (v & 0xff) < 3 });
    } catch (e) { ts = (e as VxlanError).reason; }
    t.is(ts, c.expect, `TypeScript: ${c.name}`);
  });
  // counters by reason add up, every bad frame is counted
  const expectCounts: Record<string, number> = {};
  for (const c of cases) expectCounts[c.expect] = (expectCounts[c.expect] ?? 0) + 1;
  for (const [k, v] of Object.entries(expectCounts)) t.is(r.decap[k], v, `counter ${k}`);
  t.is(r.vnis[1], vniFor(1, 2));
  const out = readPcap(join(dir, 'dec.pcap'));
  t.is(out.length, 3);
  t.deepEqual([...out[0]!], [...inner(7)]);
  t.deepEqual([...out[2]!], [...inner(7)], 'Ethernet padding trimmed');
  t.is(formatMac(out[0]!.subarray(0, 6)), '0a:00:00:00:01:02');
});

test('10^6 random and mutated frames: no crash, every frame counted, no mbuf leaked', async (t) => {
  const r = await runTool<Counters & { frames: number; counted: number; ok_but_short: number; pool_in_use: number }>('fuzz', [
    '--count', '1000000', '--seed', String(Date.now() % 100000), '--local-mac', B.mac, '--local-ip', B.ip,
    '--register', `${A.ip}=${A.mac}`, '--path', '1:2', '--vni', String(vniFor(1, 1)),
  ], { timeoutMs: 240_000 });
  t.is(r.frames, 1_000_000);
  t.is(r.counted, 1_000_000);
  t.is(r.ok_but_short, 0);
  t.is(r.pool_in_use, 0);
  // the mutation mix reaches the deep checks, not only the classifier
  for (const k of ['ok', 'not_vxlan', 'truncated', 'ip_checksum', 'flags', 'reserved', 'unknown_vni', 'udp_length', 'dst_mac']) {
    t.true(r.decap[k]! > 0, `reason ${k} exercised (${r.decap[k]})`);
  }
});
