// Unit tests of vxlan/: header codec, full-frame encap/decap, VNI mapping/allocation, tunnel table.
import test from 'ava';
import {
  decodeVxlanHeader, encodeVxlanHeader, encapsulate, decapsulate, internetChecksum, sourcePortForHash,
  VxlanError, VXLAN_OVERHEAD, parseMac, formatMac, parseIpv4, formatIpv4,
  vniFor, pathOfVni, VniAllocator, VniRangeError, TunnelTable, TunnelTableError,
} from '../../vxlan/index.js';

const A = { mac: '02:00:00:00:00:01', ip: '192.168.77.1' };
const B = { mac: '02:00:00:00:00:02', ip: '192.168.77.2' };

function innerFrame(len = 60): Uint8Array {
  const f = new Uint8Array(len);
  f.set(parseMac('0a:0b:0c:0d:0e:0f'), 0);
  f.set(parseMac('0a:0b:0c:0d:0e:10'), 6);
  f[12] = 0x08; f[13] = 0x00;
  for (let i = 14; i < len; i++) f[i] = (i * 7) & 0xff;
  return f;
}

function reason(fn: () => unknown): string {
  try { fn(); } catch (e) { if (e instanceof VxlanError) return e.reason; throw e; }
  return 'none';
}

test('header: encode/decode round trip and the exact RFC 7348 bytes', (t) => {
  const h = encodeVxlanHeader(0x123456);
  t.deepEqual([...h], [0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0]);
  t.deepEqual(decodeVxlanHeader(h), { flags: 8, vni: 0x123456 });
  const buf = new Uint8Array(20);
  encodeVxlanHeader(0xffffff, buf, 12);
  t.is(decodeVxlanHeader(buf, 12).vni, 0xffffff);
});

test('header: bad input is rejected with a reason', (t) => {
  t.throws(() => encodeVxlanHeader(0x1000000), { instanceOf: VxlanError });
  t.throws(() => encodeVxlanHeader(-1), { instanceOf: VxlanError });
  t.throws(() => encodeVxlanHeader(1.5), { instanceOf: VxlanError });
  t.throws(() => encodeVxlanHeader(1, new Uint8Array(7)), { instanceOf: VxlanError });
  t.is(reason(() => decodeVxlanHeader(new Uint8Array(7))), 'truncated');
  t.is(reason(() => decodeVxlanHeader(Uint8Array.from([0, 0, 0, 0, 0, 0, 1, 0]))), 'flags');
  t.is(reason(() => decodeVxlanHeader(Uint8Array.from([0x88, 0, 0, 0, 0, 0, 1, 0]))), 'flags');
  t.is(reason(() => decodeVxlanHeader(Uint8Array.from([0x08, 0, 1, 0, 0, 0, 1, 0]))), 'reserved');
  t.is(reason(() => decodeVxlanHeader(Uint8Array.from([0x08, 0, 0, 0, 0, 0, 1, 9]))), 'reserved');
});

test('source port: 49152..65535 and spread by the flow hash', (t) => {
  const seen = new Set<number>();
  for (let h = 0; h < 5000; h++) {
    const p = sourcePortForHash((h * 2654435761) >>> 0);
    t.true(p >= 49152 && p <= 65535);
    seen.add(p);
  }
  t.true(seen.size > 4000);
  t.is(sourcePortForHash(0xffffffff), 49152 + ((0xffffffff ^ 0xffff) & 0x3fff));
});

test('encapsulate: outer Ethernet/IPv4/UDP/VXLAN fields and checksum', (t) => {
  const inner = innerFrame(74);
  const f = encapsulate(inner, { srcMac: A.mac, srcIp: A.ip, dstMac: B.mac, dstIp: B.ip, vni: vniFor(7, 2), flowHash: 0xdeadbeef });
  t.is(f.length, inner.length + VXLAN_OVERHEAD);
  const dv = new DataView(f.buffer);
  t.is(formatMac(f.subarray(0, 6)), B.mac);
  t.is(formatMac(f.subarray(6, 12)), A.mac);
  t.is(dv.getUint16(12), 0x0800);
  t.is(dv.getUint8(14), 0x45);
  t.is(dv.getUint16(16), inner.length + 36);
  t.is(dv.getUint16(20), 0x4000, 'DF set, no fragment');
  t.is(dv.getUint8(22), 64);
  t.is(dv.getUint8(23), 17);
  t.is(internetChecksum(f, 14, 20), 0, 'IPv4 header checksum verifies');
  t.is(formatIpv4(dv.getUint32(26)), A.ip);
  t.is(formatIpv4(dv.getUint32(30)), B.ip);
  t.is(dv.getUint16(34), sourcePortForHash(0xdeadbeef));
  t.is(dv.getUint16(36), 4789);
  t.is(dv.getUint16(38), inner.length + 16);
  t.is(dv.getUint16(40), 0, 'UDP checksum 0');
  t.deepEqual([...f.subarray(42, 50)], [0x08, 0, 0, 0, 0, 7, 2, 0]);
  t.deepEqual([...f.subarray(50)], [...inner], 'inner frame untouched');
});

test('decapsulate: round trip with every check enabled', (t) => {
  const inner = innerFrame(100);
  const f = encapsulate(inner, { srcMac: A.mac, srcIp: A.ip, dstMac: B.mac, dstIp: B.ip, vni: 0x000102 });
  const padded = new Uint8Array(f.length + 6); padded.set(f); // trailing Ethernet padding
  const d = decapsulate(padded, {
    localMac: B.mac, localIp: B.ip, isRegisteredSource: (ip) => ip === A.ip, acceptsVni: (v) => v === 0x102,
  });
  t.is(d.vni, 0x102);
  t.deepEqual([...d.inner], [...inner]);
  t.is(d.outer.srcIp, A.ip);
  t.is(d.outer.ttl, 64);
  t.true(d.outer.df);
});

test('decapsulate: each malformed frame gives its reason', (t) => {
  const opts = { localMac: B.mac, localIp: B.ip, isRegisteredSource: (ip: string) => ip === A.ip, acceptsVni: (v: number) => v < 0x200 };
  const good = () => encapsulate(innerFrame(60), { srcMac: A.mac, srcIp: A.ip, dstMac: B.mac, dstIp: B.ip, vni: 0x101 });
  const fixIp = (f: Uint8Array) => { f[24] = 0; f[25] = 0; const c = internetChecksum(f, 14, 20); f[24] = c >> 8; f[25] = c & 0xff; return f; };
  const mut = (fn: (f: Uint8Array) => void) => { const f = good(); fn(f); return f; };
  t.is(reason(() => decapsulate(good(), opts)), 'none');
  t.is(reason(() => decapsulate(good().subarray(0, 30), opts)), 'not_vxlan');
  t.is(reason(() => decapsulate(good().subarray(0, 45), opts)), 'truncated');
  t.is(reason(() => decapsulate(good().subarray(0, 80), opts)), 'truncated');
  t.is(reason(() => decapsulate(mut((f) => { f[13] = 0x06; }), opts)), 'not_vxlan');
  t.is(reason(() => decapsulate(mut((f) => { f[37] = 0x12; fixIp(f); }), opts)), 'not_vxlan');
  t.is(reason(() => decapsulate(mut((f) => { f[33] = 9; }), opts)), 'not_vxlan');
  t.is(reason(() => decapsulate(mut((f) => { f[0] = 0x04; }), opts)), 'dst_mac');
  t.is(reason(() => decapsulate(mut((f) => { f[14] = 0x44; }), opts)), 'ip_header');
  t.is(reason(() => decapsulate(mut((f) => { f[24] ^= 0x10; }), opts)), 'ip_checksum');
  t.is(reason(() => decapsulate(mut((f) => { f[16] = 0; f[17] = 30; fixIp(f); }), opts)), 'ip_length');
  t.is(reason(() => decapsulate(mut((f) => { f[20] = 0x20; fixIp(f); }), opts)), 'fragment');
  t.is(reason(() => decapsulate(mut((f) => { f[20] = 0x00; f[21] = 0x08; fixIp(f); }), opts)), 'fragment');
  t.is(reason(() => decapsulate(mut((f) => { f[39] -= 1; }), opts)), 'udp_length');
  t.is(reason(() => decapsulate(mut((f) => { f[40] = 0x12; f[41] = 0x34; }), opts)), 'udp_checksum');
  t.is(reason(() => decapsulate(mut((f) => { f[42] = 0x00; }), opts)), 'flags');
  t.is(reason(() => decapsulate(mut((f) => { f[42] = 0x0c; }), opts)), 'flags');
  t.is(reason(() => decapsulate(mut((f) => { f[43] = 1; }), opts)), 'reserved');
  t.is(reason(() => decapsulate(mut((f) => { f[49] = 1; }), opts)), 'reserved');
  t.is(reason(() => decapsulate(mut((f) => { f[26] = 10; fixIp(f); }), opts)), 'unknown_source');
  t.is(reason(() => decapsulate(mut((f) => { f[46] = 9; }), opts)), 'unknown_vni');
  const short = encapsulate(innerFrame(14), { srcMac: A.mac, srcIp: A.ip, dstMac: B.mac, dstIp: B.ip, vni: 1 });
  const cut = short.slice(0, short.length - 1); // 13-byte inner, consistent lengths
  cut[17] -= 1; cut[39] -= 1; fixIp(cut);
  t.is(reason(() => decapsulate(cut, opts)), 'inner_short');
});

test('decapsulate: a correct non-zero UDP checksum is accepted', (t) => {
  const f = encapsulate(innerFrame(61), { srcMac: A.mac, srcIp: A.ip, dstMac: B.mac, dstIp: B.ip, vni: 5 });
  const ulen = f.length - 34;
  const pseudo = new Uint8Array(12 + ulen);
  pseudo.set(f.subarray(26, 34), 0); pseudo[9] = 17; pseudo[10] = ulen >> 8; pseudo[11] = ulen & 0xff;
  pseudo.set(f.subarray(34), 12);
  const c = internetChecksum(pseudo, 0, pseudo.length);
  f[40] = c >> 8; f[41] = c & 0xff;
  t.is(decapsulate(f, { localIp: B.ip }).vni, 5);
});

test('encapsulate: bad parameters are rejected', (t) => {
  const base = { srcMac: A.mac, srcIp: A.ip, dstMac: B.mac, dstIp: B.ip, vni: 1 };
  t.throws(() => encapsulate(new Uint8Array(10), base));
  t.throws(() => encapsulate(innerFrame(), { ...base, vni: 1 << 24 }));
  t.throws(() => encapsulate(innerFrame(), { ...base, srcMac: '02:00:00:00:00' }));
  t.throws(() => encapsulate(innerFrame(), { ...base, dstIp: '10.0.0.256' }));
  t.throws(() => encapsulate(innerFrame(), { ...base, srcPort: 70000 }));
  t.throws(() => encapsulate(new Uint8Array(65500), base));
});

test('addresses: strict parsing', (t) => {
  t.is(parseIpv4('10.1.2.3'), 0x0a010203);
  t.is(formatIpv4(0xc0a80001), '192.168.0.1');
  for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', 'a.b.c.d', '', ' 1.2.3.4']) {
    t.throws(() => parseIpv4(bad), undefined, bad);
  }
  t.is(formatMac(parseMac('AA-bb-CC-dd-EE-ff')), 'aa:bb:cc:dd:ee:ff');
  t.throws(() => parseMac('aa:bb:cc:dd:ee'));
  t.throws(() => parseMac('aa:bb:cc:dd:ee:fg'));
});

test('VNI ⇄ (path id, index) with bounds', (t) => {
  t.is(vniFor(1, 0), 256);
  t.is(vniFor(0xffff, 0xff), 0xffffff);
  t.deepEqual(pathOfVni(0x123456), { pathId: 0x1234, index: 0x56 });
  t.throws(() => vniFor(0x10000, 0), { instanceOf: VniRangeError });
  t.throws(() => vniFor(1, 256), { instanceOf: VniRangeError });
  t.throws(() => vniFor(-1, 0), { instanceOf: VniRangeError });
  t.throws(() => pathOfVni(0x1000000), { instanceOf: VniRangeError });
});

test('VNI allocator: per tenant, release, next-fit reuse, bounds, limits, JSON', (t) => {
  const v = new VniAllocator({ minPathId: 10, maxPathId: 13, maxPathsPerTenant: 3 });
  const a = v.allocate('acme', 3);
  const b = v.allocate('acme', 1);
  const c = v.allocate('globex', 2);
  t.deepEqual([a.pathId, b.pathId, c.pathId], [10, 11, 12]);
  t.is(v.vni('acme', 10, 2), vniFor(10, 2));
  t.throws(() => v.vni('acme', 10, 3), { instanceOf: VniRangeError }, 'index beyond the path');
  t.throws(() => v.vni('globex', 10, 0), { instanceOf: VniRangeError }, 'other tenant');
  t.deepEqual(v.resolve(vniFor(12, 1)), { tenant: 'globex', pathId: 12, index: 1 });
  t.is(v.resolve(vniFor(12, 2)), undefined);
  t.is(v.resolve(vniFor(13, 0)), undefined);
  t.throws(() => v.release('globex', 10), { instanceOf: VniRangeError });
  v.release('acme', 10);
  // next-fit: 13 is handed out before the just-released 10
  t.is(v.allocate('globex', 1).pathId, 13);
  t.is(v.allocate('globex', 1).pathId, 10, 'released id reused when the space wraps');
  t.throws(() => v.allocate('acme', 1), { message: /VNI space exhausted/ });
  t.throws(() => v.allocate('globex', 1), { message: /limit/ });
  t.is(v.free, 0);
  const json = JSON.parse(JSON.stringify(v.toJSON()));
  const w = VniAllocator.fromJSON(json);
  t.deepEqual(w.pathsOf('globex').map((p) => p.pathId), [10, 12, 13]);
  t.is(w.releaseTenant('globex'), 3);
  t.deepEqual(w.tenants(), ['acme']);
  t.is(w.allocate('x', 256).length, 256);
  t.throws(() => w.allocate('x', 257), { instanceOf: VniRangeError });
  t.throws(() => w.allocate('', 1), { instanceOf: VniRangeError });
  t.throws(() => new VniAllocator({ minPathId: 0 }), { instanceOf: VniRangeError });
  t.throws(() => new VniAllocator({ maxPathId: 0x10000 }), { instanceOf: VniRangeError });
  t.throws(() => VniAllocator.fromJSON({ ...json, allocations: [{ tenant: 'a', pathId: 10, length: 1 }, { tenant: 'b', pathId: 10, length: 1 }] }));
});

test('VNI allocator: the full 16-bit space', (t) => {
  const v = new VniAllocator();
  for (let i = 0; i < 65535; i++) v.allocate(`t${i % 7}`, 1);
  t.is(v.size, 65535);
  t.throws(() => v.allocate('t0', 1));
  v.release('t3', 4); // ids were handed out 1, 2, 3, ... to t0, t1, t2, ...: path 4 is t3's
  t.is(v.allocate('t9', 1).pathId, 4);
});

test('tunnel table: validation, unique IPs, diff, JSON', (t) => {
  const tt = new TunnelTable([{ hostId: 'h1', mac: '02:00:00:00:00:01', tunnelIp: '10.0.0.1' }]);
  t.is(tt.set({ hostId: 'h2', mac: '02:00:00:00:00:02'.toUpperCase(), tunnelIp: '10.0.0.2' }).mac, '02:00:00:00:00:02');
  t.true(tt.isRegisteredIp('10.0.0.2'));
  t.is(tt.byIp('10.0.0.1')?.hostId, 'h1');
  t.throws(() => tt.set({ hostId: 'h3', mac: '02:00:00:00:00:03', tunnelIp: '10.0.0.1' }), { instanceOf: TunnelTableError });
  for (const bad of [
    { hostId: '', mac: '02:00:00:00:00:03', tunnelIp: '10.0.0.3' },
    { hostId: 'h3', mac: '01:00:5e:00:00:01', tunnelIp: '10.0.0.3' },
    { hostId: 'h3', mac: 'ff:ff:ff:ff:ff:ff', tunnelIp: '10.0.0.3' },
    { hostId: 'h3', mac: '00:00:00:00:00:00', tunnelIp: '10.0.0.3' },
    { hostId: 'h3', mac: '02:00:00:00:00:03', tunnelIp: '224.0.0.1' },
    { hostId: 'h3', mac: '02:00:00:00:00:03', tunnelIp: '0.0.0.0' },
    { hostId: 'h3', mac: '02:00:00:00:00:03', tunnelIp: '127.0.0.1' },
    { hostId: 'h3', mac: 'zz', tunnelIp: '10.0.0.3' },
  ]) t.throws(() => tt.set(bad), { instanceOf: TunnelTableError }, JSON.stringify(bad));
  // moving h1 to a new IP frees the old one
  tt.set({ hostId: 'h1', mac: '02:00:00:00:00:01', tunnelIp: '10.0.0.11' });
  t.false(tt.isRegisteredIp('10.0.0.1'));
  const next = TunnelTable.fromJSON(JSON.parse(JSON.stringify(tt)));
  next.remove('h2');
  next.set({ hostId: 'h1', mac: '02:00:00:00:00:aa', tunnelIp: '10.0.0.11' });
  next.set({ hostId: 'h4', mac: '02:00:00:00:00:04', tunnelIp: '10.0.0.4' });
  const d = tt.diff(next);
  t.deepEqual(d.added.map((e) => e.hostId), ['h4']);
  t.deepEqual(d.removed.map((e) => e.hostId), ['h2']);
  t.deepEqual(d.changed.map((e) => e.mac), ['02:00:00:00:00:aa']);
  t.false(next.remove('nope'));
  t.throws(() => TunnelTable.fromJSON({}), { instanceOf: TunnelTableError });
});

test('decapsulate: 20 000 random and mutated frames only ever return or throw VxlanError', (t) => {
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) >>> 0; return seed >>> 8; };
  const base = encapsulate(innerFrame(80), { srcMac: A.mac, srcIp: A.ip, dstMac: B.mac, dstIp: B.ip, vni: 0x101 });
  const reasons = new Map<string, number>();
  for (let i = 0; i < 20000; i++) {
    let f: Uint8Array;
    if (i % 2) {
      f = new Uint8Array(rnd() % 160);
      for (let k = 0; k < f.length; k++) f[k] = rnd() & 0xff;
    } else {
      f = base.slice(0, (rnd() % 3 === 0) ? rnd() % base.length : base.length);
      for (let k = 0, n = 1 + (rnd() % 3); k < n && f.length; k++) f[14 + (rnd() % Math.max(1, Math.min(f.length - 14, 40)))] = rnd() & 0xff;
    }
    let r = 'ok';
    try {
      const d = decapsulate(f, { localMac: B.mac, localIp: B.ip, isRegisteredSource: (ip) => ip === A.ip, acceptsVni: (v) => v === 0x101 });
      t.true(d.inner.length >= 14);
    } catch (e) {
      if (!(e instanceof VxlanError)) throw e;
      r = e.reason;
    }
    reasons.set(r, (reasons.get(r) ?? 0) + 1);
  }
  t.true((reasons.get('ok') ?? 0) > 0 && (reasons.get('not_vxlan') ?? 0) > 0 && reasons.size >= 6, JSON.stringify([...reasons]));
});
