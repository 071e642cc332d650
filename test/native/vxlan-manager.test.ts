// The manager's use of the VXLAN fast path (src/vxlan.*): a path hop whose service runs on another
// host leaves in VXLAN (outer headers from the tunnel table, VNI = path<<8 | index), and a VXLAN
// frame from a registered host continues the path at the VNI's index; bad frames are counted, dropped.
import test from 'ava';
import { DataplaneManager, MetaFlags, TsNf } from '../../native/index.js';
import { frame, sleep, uniquePrefix } from './helpers.js';

const LOCAL = { mac: '02:00:00:00:00:01', ip: '10.99.0.1' };
const PEER = { mac: '02:00:00:00:00:02', ip: '10.99.0.2' };
const macBytes = (m: string): number[] => m.split(':').map((x) => parseInt(x, 16));
const ipBytes = (s: string): number[] => s.split('.').map(Number);

function vxlanFrame(inner: Buffer, vni: number, srcIp = PEER.ip, flags = 0x08): Buffer {
  const f = Buffer.alloc(50 + inner.length);
  f.set(macBytes(LOCAL.mac), 0);
  f.set(macBytes(PEER.mac), 6);
  f.writeUInt16BE(0x0800, 12);
  f[14] = 0x45;
  f.writeUInt16BE(20 + 8 + 8 + inner.length, 16);
  f.writeUInt16BE(0x4000, 20);
  f[22] = 64;
  f[23] = 17;
  f.set(ipBytes(srcIp), 26);
  f.set(ipBytes(LOCAL.ip), 30);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += f.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  f.writeUInt16BE(~sum & 0xffff, 24);
  f.writeUInt16BE(50000, 34);
  f.writeUInt16BE(4789, 36);
  f.writeUInt16BE(8 + 8 + inner.length, 38);
  f[42] = flags;
  f.writeUIntBE(vni, 46, 3);
  inner.copy(f, 50);
  return f;
}

test('remote hop leaves in VXLAN; VXLAN from a registered host continues the path; bad frames are counted', async (t) => {
  const m = await DataplaneManager.start({ filePrefix: uniquePrefix('vx'), ports: ['ring:up'], hugepages: false, pollMs: 20 });
  let nf: TsNf | undefined;
  try {
    const UP = m.portId('ring:up');
    m.native.setVxlanLocal(LOCAL.mac, LOCAL.ip);
    t.is(m.native.setTunnel(PEER.ip, PEER.mac), 0);
    m.createInstance(1, 50, 'local');
    nf = TsNf.attach(1);
    nf.ready();
    await m.waitFor((s) => s.nfs.some((n) => n.routed), 5000, 'routed');
    t.is(m.native.setRemoteService(51, true, PEER.mac, PEER.ip), 0);
    m.setPath(7, [50, 51]);
    m.setDefaultPath(7);

    // 1. a client frame: local NF 50, then service 51 (remote) -> VXLAN to the peer, VNI 7<<8 | 1
    const inner = frame({ src: '10.1.1.1', dst: '10.2.2.2', sport: 1234, dport: 80, size: 100 });
    t.is(m.native.ringInject(UP, inner, new Uint32Array([inner.length])), 1);
    let got = 0;
    for (let i = 0; i < 200 && !got; i++) { got = nf.recv(); if (got) nf.send(); else await sleep(5); }
    t.is(got, 1);
    let out: Buffer[] = [];
    for (let i = 0; i < 200 && !out.length; i++) { out = m.native.ringCollect(UP).frames; if (!out.length) await sleep(5); }
    t.is(out.length, 1);
    const o = out[0];
    t.is(o.length, inner.length + 50);
    t.deepEqual([...o.subarray(0, 6)], macBytes(PEER.mac));
    t.deepEqual([...o.subarray(6, 12)], macBytes(LOCAL.mac));
    t.deepEqual([...o.subarray(26, 30)], ipBytes(LOCAL.ip));
    t.deepEqual([...o.subarray(30, 34)], ipBytes(PEER.ip));
    t.is(o.readUInt16BE(36), 4789);
    t.true(o.readUInt16BE(34) >= 49152);
    t.is(o[42], 0x08);
    t.is(o.readUIntBE(46, 3), (7 << 8) | 1);
    t.deepEqual(o.subarray(50), inner);

    // 2. VXLAN from the peer with VNI 7<<8 | 0 -> decapsulated, delivered to service 50 at index 0
    const vx = vxlanFrame(inner, (7 << 8) | 0);
    t.is(m.native.ringInject(UP, vx, new Uint32Array([vx.length])), 1);
    got = 0;
    let seen: { path: number; index: number; flags: number; len: number; first: number } | undefined;
    for (let i = 0; i < 200 && !got; i++) {
      got = nf.recv();
      if (got) {
        const b = nf.batch;
        seen = { path: b.pathId(0), index: b.index(0), flags: b.view.getUint16(b.metaOff[0] + 6, true), len: b.len[0], first: b.pool[b.off[0] + 29] };
        nf.send();
      } else await sleep(5);
    }
    t.is(got, 1);
    t.is(seen?.path, 7);
    t.is(seen?.index, 0);
    t.truthy((seen?.flags ?? 0) & MetaFlags.FROM_VXLAN);
    t.is(seen?.len, inner.length);
    t.is(seen?.first, 1, 'inner source 10.1.1.1');
    // it continues to service 51 -> out in VXLAN again
    out = [];
    for (let i = 0; i < 200 && !out.length; i++) { out = m.native.ringCollect(UP).frames; if (!out.length) await sleep(5); }
    t.is(out.length, 1);
    t.is(out[0].readUIntBE(46, 3), (7 << 8) | 1);

    // 3. bad frames: unregistered source, bad flags, unknown VNI -> counted and dropped
    const s0 = m.stats();
    const bad = [vxlanFrame(inner, 7 << 8, '10.99.0.77'), vxlanFrame(inner, 7 << 8, PEER.ip, 0x0c), vxlanFrame(inner, (99 << 8) | 0)];
    t.is(m.native.ringInject(UP, Buffer.concat(bad), new Uint32Array(bad.map((b) => b.length))), 3);
    const s1 = await m.waitFor((s) => s.drops.vxlan - s0.drops.vxlan === 3, 3000, 'vxlan drops');
    t.is(s1.vxlan.decap.unknown_source - s0.vxlan.decap.unknown_source, 1);
    t.is(s1.vxlan.decap.flags - s0.vxlan.decap.flags, 1);
    t.is(s1.vxlan.decap.unknown_vni - s0.vxlan.decap.unknown_vni, 1);
    t.is(nf.recv(), 0, 'nothing reached the NF');
    t.true(s1.vxlan.sent >= 2);
  } finally {
    nf?.close();
    await m.stop();
  }
});
