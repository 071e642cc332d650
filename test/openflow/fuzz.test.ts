// Decoder fuzz: 10^5 mutated Ryu vectors (bit flips, truncations, lying length fields, random garbage, splices)
// into decodeMessage with a deterministic PRNG. Nothing may escape; every failure is a typed error with an
// in-range offset; every success re-encodes and re-decodes to the same message (up to len/length fields: a
// non-canonical input, e.g. extra padding or an empty version bitmap, re-encodes to its canonical length), and
// encoding is idempotent from there (encode(decode(encode(m))) = encode(m)).
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { decodeMessage, encodeMessage, type OfDecodeErrorCode } from '../../openflow/index.js';
import { RYU_VECTORS } from '../support/vectors.js';

const V = `${RYU_VECTORS}/packet`;
const seeds = readdirSync(V).filter((f) => f.endsWith('.packet')).sort().map((f) => readFileSync(`${V}/${f}`));
const CODES: ReadonlySet<OfDecodeErrorCode> = new Set<OfDecodeErrorCode>(['truncated', 'bad_version', 'bad_length',
  'bad_type', 'bad_multipart', 'bad_action', 'bad_instruction', 'bad_match', 'bad_oxm', 'bad_value']);

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function stripLengths(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripLengths);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'len' && k !== 'length' && k !== 'match_len' && k !== 'actions_len') o[k] = stripLengths(x);
    return o;
  }
  return v;
}

type Mutation = 'bitflip' | 'truncate' | 'lying-length' | 'garbage' | 'splice' | 'header-length';
const MUTATIONS: Mutation[] = ['bitflip', 'truncate', 'lying-length', 'garbage', 'splice', 'header-length'];

function mutate(r: () => number, kind: Mutation): Buffer {
  const pick = (): Buffer => seeds[Math.floor(r() * seeds.length)]!;
  const int = (n: number): number => Math.floor(r() * n);
  switch (kind) {
    case 'bitflip': {
      const b = Buffer.from(pick());
      const flips = 1 + int(4);
      for (let i = 0; i < flips; i++) { const o = int(b.length); b[o] = b[o]! ^ (1 << int(8)); }
      return b;
    }
    case 'truncate': {
      const b = Buffer.from(pick());
      const cut = b.subarray(0, int(b.length));
      if (cut.length >= 4 && r() < 0.5) cut.writeUInt16BE(cut.length, 2); // consistent header length, cut body
      return cut;
    }
    case 'lying-length': { // overwrite a u16 at an even offset (where len/length fields live) with a plausible lie
      const b = Buffer.from(pick());
      if (b.length < 10) return b;
      const o = 8 + 2 * int((b.length - 9) >> 1);
      const choices = [0, 1, 4, 7, 8, 9, 15, 16, 17, b.readUInt16BE(o) + 8, b.readUInt16BE(o) - 8, 0xffff, int(0x10000)];
      b.writeUInt16BE(choices[int(choices.length)]! & 0xffff, o);
      return b;
    }
    case 'header-length': {
      const b = Buffer.from(pick());
      b.writeUInt16BE(int(b.length + 16), 2);
      return b;
    }
    case 'garbage': {
      const b = Buffer.alloc(int(200));
      for (let i = 0; i < b.length; i++) b[i] = int(256);
      if (b.length >= 4 && r() < 0.7) { b[0] = 4; b[1] = int(30); b.writeUInt16BE(b.length, 2); }
      return b;
    }
    case 'splice': {
      const a = pick(), c = pick();
      const b = Buffer.concat([a.subarray(0, int(a.length + 1)), c.subarray(int(c.length))]);
      if (b.length >= 4) b.writeUInt16BE(b.length, 2);
      return b;
    }
  }
}

test('10^5 mutated vectors: no escaped exception, typed errors with in-range offsets, successes round-trip', (t) => {
  const r = prng(Number(process.env.OF_FUZZ_SEED ?? 0xc0ffee));
  const N = 100_000;
  const counts: Record<string, number> = {};
  let oks = 0, escaped = 0, badErrors = 0, roundTripFailures = 0;
  const samples: string[] = [];
  const started = Date.now();
  for (let i = 0; i < N; i++) {
    const kind = MUTATIONS[i % MUTATIONS.length]!;
    const input = mutate(r, kind);
    let res;
    try {
      res = decodeMessage(input);
    } catch (e) {
      escaped++;
      if (samples.length < 5) samples.push(`${kind} escaped ${(e as Error).message}: ${input.toString('hex')}`);
      continue;
    }
    if (res.ok) {
      oks++;
      try {
        const bytes = encodeMessage(res.msg);
        const again = decodeMessage(bytes);
        if (!again.ok) throw new Error(again.error.message);
        if (!isDeepStrictEqual(stripLengths(again.msg), stripLengths(res.msg))) throw new Error('differs');
        if (!encodeMessage(again.msg).equals(bytes)) throw new Error('encoding not idempotent');
      } catch (e) {
        roundTripFailures++;
        if (samples.length < 5) samples.push(`${kind} round trip: ${(e as Error).message}: ${input.toString('hex')}`);
      }
      continue;
    }
    const { code, offset, message } = res.error;
    counts[code] = (counts[code] ?? 0) + 1;
    if (!CODES.has(code) || !Number.isInteger(offset) || offset < 0 || offset > input.length
      || typeof message !== 'string' || message.length === 0 || message.startsWith('internal')) {
      badErrors++;
      if (samples.length < 5) samples.push(`${kind} bad error ${code}@${offset}/${input.length} ${message}: ${input.toString('hex')}`);
    }
  }
  const secs = (Date.now() - started) / 1000;
  t.log(`${N} inputs in ${secs.toFixed(1)} s: ${oks} decoded (all round-trip: ${roundTripFailures === 0}), errors ${JSON.stringify(counts)}`);
  for (const s of samples) t.log(s);
  t.is(escaped, 0, 'no exception escaped decodeMessage');
  t.is(badErrors, 0, 'every failure is a typed error with an offset within the input (0..length)');
  t.is(roundTripFailures, 0, 'every successful decode re-encodes to the same message');
  t.true(oks > 1000 && Object.keys(counts).length >= 6, 'the fuzz reaches both success and many error classes');
  t.true(secs < 60, `took ${secs} s`);
});
