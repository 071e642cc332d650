import test from 'ava';
import { FrameReader, type FrameSink } from '../../controller/framing.js';

function msg(type: number, xid: number, bodyLen: number): Buffer {
  const b = Buffer.alloc(8 + bodyLen, 0xab);
  b[0] = 4;
  b[1] = type;
  b.writeUInt16BE(8 + bodyLen, 2);
  b.writeUInt32BE(xid, 4);
  return b;
}

class Collect implements FrameSink {
  frames: Buffer[] = [];
  stopAfter = Infinity;
  frame(buf: Buffer, off: number, len: number): boolean {
    this.frames.push(Buffer.from(buf.subarray(off, off + len)));
    return this.frames.length < this.stopAfter;
  }
}

test('several messages in one chunk are cut at their lengths', (t) => {
  const a = msg(2, 1, 0);
  const b = msg(10, 2, 94);
  const c = msg(19, 3, 1000);
  const r = new FrameReader();
  const sink = new Collect();
  t.is(r.push(Buffer.concat([a, b, c]), sink), null);
  t.deepEqual(sink.frames, [a, b, c]);
  t.is(r.pending, 0);
});

test('a message split at every possible byte boundary is reassembled', (t) => {
  const all = Buffer.concat([msg(2, 7, 5), msg(10, 8, 60), msg(3, 9, 0)]);
  for (let cut = 1; cut < all.length; cut++) {
    const r = new FrameReader();
    const sink = new Collect();
    t.is(r.push(all.subarray(0, cut), sink), null);
    t.is(r.push(all.subarray(cut), sink), null);
    t.deepEqual(sink.frames.map((f) => f.readUInt32BE(4)), [7, 8, 9], `cut at ${cut}`);
    t.deepEqual(Buffer.concat(sink.frames), all);
  }
});

test('byte-by-byte delivery (header itself split)', (t) => {
  const all = Buffer.concat([msg(0, 1, 8), msg(6, 2, 24)]);
  const r = new FrameReader();
  const sink = new Collect();
  for (const byte of all) t.is(r.push(Buffer.from([byte]), sink), null);
  t.is(sink.frames.length, 2);
  t.deepEqual(Buffer.concat(sink.frames), all);
  t.is(r.pending, 0);
});

test('a length below the header size is a framing error carrying the header', (t) => {
  const bad = msg(2, 5, 0);
  bad.writeUInt16BE(4, 2);
  const r = new FrameReader();
  const sink = new Collect();
  const err = r.push(Buffer.concat([msg(2, 1, 0), bad]), sink);
  t.truthy(err);
  t.regex(err!.message, /declares length 4 < 8/);
  t.is(err!.header.readUInt32BE(4), 5);
  t.is(sink.frames.length, 1, 'the good message before it was delivered');
});

test('the sink can stop processing (session closing)', (t) => {
  const r = new FrameReader();
  const sink = new Collect();
  sink.stopAfter = 1;
  r.push(Buffer.concat([msg(2, 1, 0), msg(2, 2, 0), msg(2, 3, 0)]), sink);
  t.is(sink.frames.length, 1);
});

test('a partial tail survives across many chunks (maximum-size message)', (t) => {
  const big = msg(19, 42, 65535 - 8);
  const r = new FrameReader();
  const sink = new Collect();
  for (let off = 0; off < big.length; off += 1000) r.push(big.subarray(off, Math.min(big.length, off + 1000)), sink);
  t.is(sink.frames.length, 1);
  t.is(sink.frames[0].length, 65535);
  t.is(sink.frames[0].readUInt32BE(4), 42);
});
