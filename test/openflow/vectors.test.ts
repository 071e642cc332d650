// Conformance with Ryu's OpenFlow 1.3 vectors (/work/shared/vectors/ryu-of13): decode → Ryu JSON equal to the
// vector's JSON (parsed losslessly), re-encode byte-exact, encode from the JSON byte-exact, and again from the
// JSON with every len/length key removed (the encoder computes them).
import test from 'ava';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import {
  decodeMessage, encodeMessage, fromRyuJson, packetFromRyuJson, parseJsonLossless, stringifyJson, toRyuJson,
} from '../../openflow/index.js';
import { RYU_VECTORS } from '../support/vectors.js';

const V = RYU_VECTORS;
const packets = readdirSync(`${V}/packet`).filter((f) => f.endsWith('.packet')).sort();

function stripLengths(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripLengths);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'len' && k !== 'length') o[k] = stripLengths(x);
    return o;
  }
  return v;
}

/** The vector's JSON, with packet_out data given through Ryu's packet library turned into base64 bytes. */
function expectedJson(name: string): unknown {
  const j = parseJsonLossless(readFileSync(`${V}/json/${name}.json`, 'utf8')) as Record<string, Record<string, unknown>>;
  const po = j.OFPPacketOut;
  if (po && po.data !== null && typeof po.data === 'object') {
    po.data = packetFromRyuJson((po.data as { Packet: Record<string, unknown> }).Packet).toString('base64');
  }
  return j;
}

interface Outcome { name: string; problems: string[] }
function check(name: string): Outcome {
  const problems: string[] = [];
  const bytes = readFileSync(`${V}/packet/${name}`);
  const r = decodeMessage(bytes);
  if (!r.ok) return { name, problems: [`decode: ${r.error.code} ${r.error.message} @${r.error.offset}`] };
  if (r.length !== bytes.length) problems.push(`consumed ${r.length} of ${bytes.length} bytes`);
  try {
    if (!encodeMessage(r.msg).equals(bytes)) problems.push('re-encode of the decoded message differs');
  } catch (e) { problems.push(`re-encode: ${(e as Error).message}`); }
  const want = expectedJson(name);
  const got = parseJsonLossless(stringifyJson(toRyuJson(r.msg)));
  if (!isDeepStrictEqual(got, want)) problems.push(`JSON differs:\n${stringifyJson(got, 1).slice(0, 1500)}`);
  // the raw vector JSON (packet library form for packet_out) must encode to the same bytes
  const raw = parseJsonLossless(readFileSync(`${V}/json/${name}.json`, 'utf8'));
  try {
    if (!encodeMessage(fromRyuJson(raw)).equals(bytes)) problems.push('encode from JSON differs');
  } catch (e) { problems.push(`encode from JSON: ${(e as Error).message}`); }
  try {
    if (!encodeMessage(fromRyuJson(stripLengths(raw))).equals(bytes)) problems.push('encode from JSON without len/length differs');
  } catch (e) { problems.push(`encode from JSON without len/length: ${(e as Error).message}`); }
  return { name, problems };
}

const group = (prefix: string): string[] => packets.filter((p) => p.startsWith(prefix));

for (const [prefix, expected] of [['4-', 64], ['libofproto-', 17]] as const) {
  const names = group(prefix);
  test(`all ${expected} ${prefix}* vectors: decode = Ryu JSON, re-encode, encode from JSON (with and without len) byte-exact`, (t) => {
    t.is(names.length, expected, `expected ${expected} ${prefix}* packets`);
    const outcomes = names.map(check);
    const failed = outcomes.filter((o) => o.problems.length);
    for (const f of failed) t.log(`${f.name}: ${f.problems.join(' | ')}`);
    t.log(`${prefix}*: ${outcomes.length - failed.length}/${outcomes.length} pass exactly`);
    t.deepEqual(failed.map((f) => f.name), []);
  });
}

test('ovs-ofctl-* Nicira vectors decode without error and re-encode byte-exact (vendor actions at least as experimenter data)', (t) => {
  const names = group('ovs-ofctl-');
  t.is(names.length, 23);
  let exactJson = 0;
  for (const name of names) {
    const bytes = readFileSync(`${V}/packet/${name}`);
    const r = decodeMessage(bytes);
    if (!r.ok) { t.fail(`${name}: ${r.error.code} ${r.error.message}`); continue; }
    t.true(encodeMessage(r.msg).equals(bytes), `${name} re-encodes`);
    if (isDeepStrictEqual(parseJsonLossless(stringifyJson(toRyuJson(r.msg))), expectedJson(name))) exactJson++;
  }
  t.log(`ovs-ofctl-*: ${names.length}/${names.length} decode and re-encode; ${exactJson} also match Ryu's JSON exactly`);
  t.is(exactJson, 23, 'every ovs-ofctl vector also matches Ryu JSON exactly');
});

test('libofproto flow_mod.truncated64: the first 64 bytes of flow_mod give a typed "truncated" error', (t) => {
  t.true(existsSync(`${V}/packet/libofproto-OFP13-flow_mod.truncated64`));
  const full = readFileSync(`${V}/packet/libofproto-OFP13-flow_mod.packet`);
  const r = decodeMessage(full.subarray(0, 64));
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, 'truncated');
    t.true(r.error.offset >= 0 && r.error.offset < 64);
  }
});

test('lib-ofctl-* request JSONs (no binary) round-trip JSON → bytes → JSON', (t) => {
  const names = readdirSync(`${V}/json`).filter((f) => f.startsWith('lib-ofctl-'));
  t.is(names.length, 9);
  for (const name of names) {
    const want = parseJsonLossless(readFileSync(`${V}/json/${name}`, 'utf8'));
    const bytes = encodeMessage(fromRyuJson(want));
    const r = decodeMessage(bytes);
    t.true(r.ok, name);
    if (r.ok) t.deepEqual(parseJsonLossless(stringifyJson(toRyuJson(r.msg))), want, name);
  }
});

test('64-bit values above 2^53 survive exactly (bigint) through decode, JSON and encode', (t) => {
  const r = decodeMessage(readFileSync(`${V}/packet/libofproto-OFP13-flow_mod.packet`));
  if (!r.ok || r.msg.kind !== 'OFPFlowMod') {
    t.fail(`expected an OFPFlowMod, got ${r.ok ? r.msg.kind : r.error.message}`);
    return;
  }
  t.is(r.msg.cookie, 0x123456789abcdef0n);
  t.is(r.msg.cookie_mask, 0xffffffffffffffffn);
  const text = stringifyJson(toRyuJson(r.msg));
  t.true(text.includes('"cookie_mask": 18446744073709551615'));
  const role = decodeMessage(readFileSync(`${V}/packet/4-19-ofp_role_request.packet`));
  t.true(role.ok && role.msg.kind === 'OFPRoleRequest' && role.msg.generation_id === 17294086455919964160n);
});
