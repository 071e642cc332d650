// The hand-written hot-path builders/parsers (controller/wire.ts) against the codec (openflow/), byte for byte.
import test from 'ava';
import { decodeMessage, encodeMessage, type OFPPacketIn } from '../../openflow/index.js';
import {
  L2_FLOW_MOD_LEN, buildError, buildHello, buildPortDescRequest, helloVersions, l2PacketOutLen, parsePacketIn,
  writeL2FlowMod, writeL2PacketOut, type PacketInFields,
} from '../../controller/wire.js';

const frame = Buffer.from('02000000000a02000000000b08004500' + '00'.repeat(44), 'hex');

test('L2 flow_mod builder equals the codec encoding (with and without buffer id)', (t) => {
  for (const bufferId of [0xffffffff, 1234]) {
    const b = Buffer.alloc(L2_FLOW_MOD_LEN + 16, 0xee);
    writeL2FlowMod(b, 8, 77, 1, 60, bufferId, 2, frame, 0, 6, 0xfffffffb);
    const ref = encodeMessage({
      kind: 'OFPFlowMod', xid: 77, cookie: 0n, cookie_mask: 0n, table_id: 0, command: 0, idle_timeout: 60, hard_timeout: 0,
      priority: 1, buffer_id: bufferId, out_port: 0xffffffff, out_group: 0xffffffff, flags: 0,
      match: { oxm_fields: [{ field: 'in_port', value: 2 }, { field: 'eth_dst', value: '02:00:00:00:00:0a' }, { field: 'eth_src', value: '02:00:00:00:00:0b' }] },
      instructions: [{ kind: 'OFPInstructionActions', type: 4, actions: [{ kind: 'OFPActionOutput', port: 0xfffffffb, max_len: 0xffe5 }] }],
    });
    t.deepEqual(b.subarray(8, 8 + L2_FLOW_MOD_LEN), ref);
    t.is(b[7], 0xee, 'nothing written before the offset');
    t.is(b[8 + L2_FLOW_MOD_LEN], 0xee, 'nothing written after the message');
  }
});

test('L2 packet_out builder equals the codec encoding (data and buffer id forms)', (t) => {
  const b = Buffer.alloc(l2PacketOutLen(frame.length));
  writeL2PacketOut(b, 0, 9, 0xffffffff, 3, 0xfffffffb, frame, 0, frame.length);
  t.deepEqual(b, encodeMessage({ kind: 'OFPPacketOut', xid: 9, buffer_id: 0xffffffff, in_port: 3, actions: [{ kind: 'OFPActionOutput', port: 0xfffffffb, max_len: 0xffe5 }], data: frame }));
  const c = Buffer.alloc(l2PacketOutLen(0));
  writeL2PacketOut(c, 0, 10, 55, 3, 1, frame, 0, 0);
  t.deepEqual(c, encodeMessage({ kind: 'OFPPacketOut', xid: 10, buffer_id: 55, in_port: 3, actions: [{ kind: 'OFPActionOutput', port: 1, max_len: 0xffe5 }], data: new Uint8Array(0) }));
});

test('hello, error and port-desc request builders equal the codec encoding', (t) => {
  t.deepEqual(buildHello(1), encodeMessage({ kind: 'OFPHello', xid: 1, elements: [{ kind: 'OFPHelloElemVersionBitmap', versions: [4] }] }));
  const data = Buffer.from('abc');
  t.deepEqual(buildError(3, 1, 6, data), encodeMessage({ kind: 'OFPErrorMsg', xid: 3, type: 1, code: 6, data }));
  t.deepEqual(buildPortDescRequest(4), encodeMessage({ kind: 'OFPPortDescStatsRequest', xid: 4, flags: 0 }));
});

test('helloVersions: bitmaps, several words, no bitmap, malformed', (t) => {
  const h = encodeMessage({ kind: 'OFPHello', elements: [{ kind: 'OFPHelloElemVersionBitmap', versions: [1, 4, 5] }] });
  t.deepEqual([...helloVersions(h, 0, h.length)!].sort(), [1, 4, 5]);
  const plain = Buffer.from([5, 0, 0, 8, 0, 0, 0, 1]);
  t.deepEqual([...helloVersions(plain, 0, 8)!].sort(), [1, 2, 3, 4, 5]);
  const bad = Buffer.from(h);
  bad.writeUInt16BE(200, 10); // element longer than the message
  t.is(helloVersions(bad, 0, bad.length), null);
});

test('parsePacketIn reads the same fields as the codec and rejects broken structures', (t) => {
  const msg: OFPPacketIn = {
    kind: 'OFPPacketIn', xid: 5, buffer_id: 321, total_len: 1500, reason: 1, table_id: 3, cookie: 0xabcn,
    match: { oxm_fields: [{ field: 'eth_type', value: 0x800 }, { field: 'in_port', value: 7 }, { field: 'metadata', value: 5n }] },
    data: frame,
  };
  const b = encodeMessage(msg);
  const f: PacketInFields = { bufferId: 0, totalLen: 0, reason: 0, tableId: 0, inPort: 0, dataOff: 0, dataLen: 0 };
  t.true(parsePacketIn(b, 0, b.length, f));
  t.is(f.bufferId, 321);
  t.is(f.totalLen, 1500);
  t.is(f.reason, 1);
  t.is(f.tableId, 3);
  t.is(f.inPort, 7);
  t.deepEqual(b.subarray(f.dataOff, f.dataOff + f.dataLen), frame);
  const r = decodeMessage(b);
  t.true(r.ok);
  // match length beyond the message / OXM TLV overrunning the match / wrong match type
  const c1 = Buffer.from(b); c1.writeUInt16BE(900, 26);
  t.false(parsePacketIn(c1, 0, c1.length, f));
  const c2 = Buffer.from(b); c2[31] = 60;
  t.false(parsePacketIn(c2, 0, c2.length, f));
  const c3 = Buffer.from(b); c3.writeUInt16BE(0, 24);
  t.false(parsePacketIn(c3, 0, c3.length, f));
  t.false(parsePacketIn(b, 0, 30, f));
});
