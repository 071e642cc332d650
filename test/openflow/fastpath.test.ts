// The speed paths of the codec (see openflow/README.md "Performance") against their slow equivalents: address text
// parsing/printing, the decode scratch copy vs. views into larger buffers, decoded byte fields as independent copies,
// zero/non-zero 64-bit fields, list sizes around the literal/push boundary, and the encode result Buffer.
import test from 'ava';
import { decodeMessage, encodeMessage, OfEncodeError, type OFPFlowMod, type OFPPacketIn, type OxmTlv } from '../../openflow/index.js';
import { ipv4ToString, parseIpv4, writeMac } from '../../openflow/addr.js';
import { poisonNewSlabs } from '../../openflow/codec.js';
import { readdirSync, readFileSync } from 'node:fs';
import { RYU_VECTORS } from '../support/vectors.js';

test('parseIpv4 accepts exactly four decimal parts 0..255 and rejects everything else', (t) => {
  const ok: Array<[string, number]> = [['0.0.0.0', 0], ['10.0.0.1', 0x0a000001], ['255.255.255.255', 0xffffffff],
    ['192.168.1.254', 0xc0a801fe], ['01.002.3.4', 0x01020304], ['255.255.255.0', 0xffffff00], ['0001.0.0.9', 0x01000009]];
  for (const [s, v] of ok) t.is(parseIpv4(s), v, s);
  for (const s of ['', '1.2.3', '1.2.3.4.', '.1.2.3', '1..2.3', '1.2.3.256', '256.1.1.1', '1.2.3.4 ', 'a.b.c.d', '1.2.3.-4',
    '1.2.3.4.5', '1,2,3,4', '１.2.3.4', '9999.1.1.1', '1.2.3.', '1.2.3.4x', '1.2.3.2550', '1.2.3']) {
    t.is(parseIpv4(s), -1, JSON.stringify(s));
  }
});

test('ipv4ToString prints every byte value (table-built halves) like the naive join', (t) => {
  const u8 = new Uint8Array(4);
  for (let i = 0; i < 4096; i++) {
    const v = (Math.imul(i, 2654435761) ^ (i << 7)) >>> 0;
    new DataView(u8.buffer).setUint32(0, v);
    t.is(ipv4ToString(u8, 0), Array.from(u8).join('.'));
  }
  for (const b of [0, 1, 9, 10, 99, 100, 199, 255]) t.is(ipv4ToString(Uint8Array.of(b, b, b, b), 0), `${b}.${b}.${b}.${b}`);
});

test('writeMac accepts both separators and any hex case, rejects bad digits, separators and lengths', (t) => {
  const u8 = new Uint8Array(6);
  writeMac(u8, 0, '0A:bC:de:F0:12:89', 'p');
  t.deepEqual(Array.from(u8), [0x0a, 0xbc, 0xde, 0xf0, 0x12, 0x89]);
  writeMac(u8, 0, 'ff-ee-dd-cc-bb-aa', 'p');
  t.deepEqual(Array.from(u8), [0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa]);
  for (const s of ['0a:bc:de:f0:12:8g', '0a:bc:de:f0:12', '0a:bc:de:f0:12:89:', '0a.bc:de:f0:12:89', '0a:bc:de:f0:12;89',
    ' a:bc:de:f0:12:89', '0a:bc:de:f0:12:8９', 'ĀA:bc:de:f0:12:89']) {
    t.throws(() => writeMac(u8, 0, s, 'p', 'mac'), { instanceOf: OfEncodeError, message: /^p\.mac: not a MAC address/ }, s);
  }
  t.throws(() => writeMac(u8, 0, 42, 'p'), { instanceOf: OfEncodeError });
});

const fm = (fields: OxmTlv[], cookie: bigint): OFPFlowMod => ({
  kind: 'OFPFlowMod', cookie, cookie_mask: 0n, table_id: 1, command: 0, idle_timeout: 0, hard_timeout: 0, priority: 7,
  buffer_id: 0xffffffff, out_port: 0xffffffff, out_group: 0xffffffff, flags: 0, match: { oxm_fields: fields },
  instructions: [{ kind: 'OFPInstructionActions', type: 4, actions: [{ kind: 'OFPActionOutput', port: 2, max_len: 0 }] }],
});

test('decode gives the same message from an exact buffer (scratch copy), a view into a larger buffer, and a large one', (t) => {
  for (let n = 0; n <= 9; n++) { // OXM lists across the 6-literal boundary; actions across the 4-literal boundary
    const fields: OxmTlv[] = Array.from({ length: n }, (_, i) => ({ field: `reg${i}`, value: i * 1000 + 1, mask: null }));
    const msg = fm(fields, n % 2 ? 0n : 0xfedcba9876543210n);
    msg.instructions = [{ kind: 'OFPInstructionActions', type: 4,
      actions: Array.from({ length: n }, (_, i) => ({ kind: 'OFPActionOutput' as const, port: i + 1, max_len: 0 })) }];
    const bytes = Buffer.from(encodeMessage(msg));
    const exact = decodeMessage(bytes);
    const framed = Buffer.concat([Buffer.alloc(5, 0xaa), bytes, Buffer.alloc(9, 0xbb)]);
    const view = decodeMessage(framed.subarray(5));
    t.true(exact.ok && view.ok);
    if (!exact.ok || !view.ok) return;
    t.deepEqual(exact.msg, view.msg);
    const d = exact.msg as OFPFlowMod;
    t.is(d.match.oxm_fields.length, n);
    t.deepEqual(d.match.oxm_fields.map((f) => f.value), fields.map((f) => f.value));
    t.is(d.cookie, msg.cookie, '64-bit field exact (zero and non-zero)');
    t.is(d.cookie_mask, 0n);
    const acts = d.instructions[0]!.kind === 'OFPInstructionActions' ? d.instructions[0]!.actions : [];
    t.deepEqual(acts.map((a) => (a.kind === 'OFPActionOutput' ? a.port : -1)), Array.from({ length: n }, (_, i) => i + 1));
    t.true(encodeMessage(exact.msg).equals(bytes), 're-encodes byte-exact');
    acts.push({ kind: 'OFPActionOutput', port: 99, max_len: 0 }); // decoded lists are ordinary, growable arrays
    t.is(acts.length, n + 1);
  }
});

test('decoded data is an independent Buffer (input and scratch reuse do not change it); large messages decode', (t) => {
  const mk = (len: number, fill: number): OFPPacketIn => ({ kind: 'OFPPacketIn', buffer_id: 0xffffffff, total_len: len,
    reason: 0, table_id: 0, cookie: 5n, match: { oxm_fields: [{ field: 'in_port', value: 1, mask: null }] },
    data: Buffer.alloc(len, fill) });
  for (const len of [0, 1, 16, 17, 64, 1500, 2100, 9000]) { // around the 16-byte loop/set and the pool/scratch limits
    const bytes = Buffer.from(encodeMessage(mk(len, 0x5a)));
    const r = decodeMessage(bytes);
    if (!r.ok || r.msg.kind !== 'OFPPacketIn') {
      t.fail(`len ${len}: expected an OFPPacketIn, got ${r.ok ? r.msg.kind : r.error.message}`);
      return;
    }
    t.true(Buffer.isBuffer(r.msg.data));
    bytes.fill(0); // the input changes after decoding
    decodeMessage(Buffer.from(encodeMessage(mk(len, 0x33)))); // and the scratch area is reused
    t.true(Buffer.from(r.msg.data).equals(Buffer.alloc(len, 0x5a)), `data of ${len} bytes kept`);
  }
});

test('encode results are Buffers with their own bytes: later encodes never overwrite earlier results', (t) => {
  const outs: Array<[Buffer, number]> = [];
  for (let i = 0; i < 3000; i++) { // crosses several 64 KiB slabs
    const b = encodeMessage(fm([{ field: 'in_port', value: i, mask: null }], BigInt(i)));
    t.true(Buffer.isBuffer(b) && b instanceof Buffer);
    outs.push([b, i]);
  }
  for (const [b, i] of outs) {
    const r = decodeMessage(b);
    t.true(r.ok && r.msg.kind === 'OFPFlowMod' && r.msg.match.oxm_fields[0]!.value === i && r.msg.cookie === BigInt(i));
  }
  t.is(outs[5]![0].toString('hex'), Buffer.from(outs[5]![0]).toString('hex'), 'Buffer methods work on the result');
});

test('64-bit fields: 0n takes the two-zero-words path; numbers, big values and out-of-range values behave as before', (t) => {
  const enc = (cookie: unknown, mask: unknown): Buffer => encodeMessage({ ...fm([], 0n), cookie, cookie_mask: mask } as OFPFlowMod);
  const a = Buffer.from(enc(0n, 0n)), b = Buffer.from(enc(0, 0)); // a safe-integer number is accepted for u64
  t.true(a.equals(b));
  t.is(a.readBigUInt64BE(8), 0n);
  t.is(a.readBigUInt64BE(16), 0n);
  const c = Buffer.from(enc(0xffffffffffffffffn, 1n << 63n));
  t.is(c.readBigUInt64BE(8), 0xffffffffffffffffn);
  t.is(c.readBigUInt64BE(16), 1n << 63n);
  t.throws(() => enc(-1n, 0n), { message: /cookie: expected u64/ });
  t.throws(() => enc(0n, 1n << 64n), { message: /cookie_mask: expected u64/ });
  t.throws(() => enc(0n, 0.5), { instanceOf: OfEncodeError });
});

test('encode writes every byte of a message: all Ryu vectors re-encode exactly into slabs poisoned with 0xa5 / 0xff', (t) => {
  const files = readdirSync(`${RYU_VECTORS}/packet`).filter((f) => f.endsWith('.packet')).sort();
  t.true(files.length >= 100, `${files.length} vectors`);
  try {
    for (const poison of [0xa5, 0xff, 0x00]) {
      poisonNewSlabs(poison);
      for (const f of files) {
        const bytes = readFileSync(`${RYU_VECTORS}/packet/${f}`);
        const r = decodeMessage(bytes);
        if (!r.ok) { t.fail(`${f}: ${r.error.message}`); continue; }
        const again = encodeMessage(r.msg);
        if (!again.equals(bytes.subarray(0, r.length))) t.fail(`${f} with poison ${poison}: ${again.toString('hex')}`);
      }
    }
  } finally {
    poisonNewSlabs(-1);
  }
  t.pass();
});
