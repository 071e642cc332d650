// `rackvisor of decode|encode` end to end: spawns the real CLI (node --import=tsx cli/main.ts).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJsonLossless } from '../../openflow/index.js';
import { RYU_VECTORS } from '../support/vectors.js';

const ROOT = join(import.meta.dirname, '..', '..');
const V = RYU_VECTORS;
const dir = mkdtempSync(join(tmpdir(), 'rv-of-cli-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[], input?: Buffer): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(process.execPath, ['--import=tsx', join(ROOT, 'cli', 'main.ts'), 'of', ...args],
    { cwd: ROOT, input, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
}

test('decode FILE prints the vector JSON (Ryu shape, 64-bit exact)', (t) => {
  const r = cli(['decode', `${V}/packet/libofproto-OFP13-flow_mod.packet`]);
  t.is(r.code, 0, r.stderr);
  const want = parseJsonLossless(readFileSync(`${V}/json/libofproto-OFP13-flow_mod.packet.json`, 'utf8'));
  t.deepEqual(parseJsonLossless(r.stdout.toString()), want);
  t.true(r.stdout.toString().includes('18446744073709551615'));
});

test('all 4-* and libofproto-* vectors concatenated: decode → list → encode gives the same bytes', (t) => {
  const names = readdirSync(`${V}/packet`).filter((f) => /^(4-|libofproto-).*\.packet$/.test(f)).sort();
  t.is(names.length, 81);
  const all = Buffer.concat(names.map((n) => readFileSync(`${V}/packet/${n}`)));
  const bin = join(dir, 'all.bin');
  writeFileSync(bin, all);
  const d = cli(['decode', bin]);
  t.is(d.code, 0, d.stderr);
  const list = parseJsonLossless(d.stdout.toString());
  t.true(Array.isArray(list));
  t.is((list as unknown[]).length, 81);
  const jf = join(dir, 'all.json');
  writeFileSync(jf, d.stdout);
  const out = join(dir, 'again.bin');
  const e = cli(['encode', jf, '-o', out]);
  t.is(e.code, 0, e.stderr);
  t.true(readFileSync(out).equals(all), 'round trip is byte-exact');
});

test('decode --hex and stdin; encode --hex and raw stdout', (t) => {
  const bytes = readFileSync(`${V}/packet/4-10-ofp_hello.packet`);
  const d = cli(['decode', '--hex', bytes.toString('hex').replace(/(..)/g, '$1 ')]);
  t.is(d.code, 0, d.stderr);
  t.deepEqual(parseJsonLossless(d.stdout.toString()), parseJsonLossless(readFileSync(`${V}/json/4-10-ofp_hello.packet.json`, 'utf8')));
  const s = cli(['decode', '--compact'], bytes);
  t.is(s.code, 0, s.stderr);
  t.is(s.stdout.toString().trim().split('\n').length, 1);
  const jf = `${V}/json/4-21-ofp_group_mod.packet.json`;
  const h = cli(['encode', jf, '--hex']);
  t.is(h.code, 0, h.stderr);
  t.is(h.stdout.toString().trim(), readFileSync(`${V}/packet/4-21-ofp_group_mod.packet`).toString('hex'));
  const raw = cli(['encode', '-'], readFileSync(jf));
  t.is(raw.code, 0, raw.stderr);
  t.true(raw.stdout.equals(readFileSync(`${V}/packet/4-21-ofp_group_mod.packet`)));
});

test('bad inputs give exit 1 and a message with the offset and what was wrong', (t) => {
  const trunc = cli(['decode', '--hex', '04000020000000000000']);
  t.is(trunc.code, 1);
  t.regex(trunc.stderr, /truncated at byte offset 2: header length 32 but only 10 bytes/);
  // flow_mod whose match length lies (runs past the message)
  const fm = Buffer.from(readFileSync(`${V}/packet/4-3-ofp_flow_mod.packet`));
  fm.writeUInt16BE(0x0fff, 50);
  const lie = cli(['decode', '--hex', fm.toString('hex')]);
  t.is(lie.code, 1);
  t.regex(lie.stderr, /bad_length at byte offset 50: OFPMatch length 4095 runs past its container/);
  const second = cli(['decode', '--hex', `${readFileSync(`${V}/packet/4-17-ofp_barrier_request.packet`).toString('hex')}04ff0008`]);
  t.is(second.code, 1);
  t.regex(second.stderr, /message #2: truncated at byte offset 8/);
  const hex = cli(['decode', '--hex', '04zz']);
  t.is(hex.code, 1);
  t.regex(hex.stderr, /not a hex digit/);
  const badJson = join(dir, 'bad.json');
  writeFileSync(badJson, '{"OFPFlowMod": {');
  const bj = cli(['encode', badJson]);
  t.is(bj.code, 1);
  t.regex(bj.stderr, /JSON: .* at offset/);
  const missing = join(dir, 'missing.json');
  writeFileSync(missing, JSON.stringify({ OFPPortMod: { port_no: 1, hw_addr: 'zz:00:00:00:00:00', config: 0, mask: 0, advertise: 0 } }));
  const m = cli(['encode', missing]);
  t.is(m.code, 1);
  t.regex(m.stderr, /OFPPortMod.hw_addr: not a MAC address/);
  const unknown = join(dir, 'unknown.json');
  writeFileSync(unknown, JSON.stringify({ OFPNoSuchThing: {} }));
  const u = cli(['encode', unknown]);
  t.is(u.code, 1);
  t.regex(u.stderr, /not a valid message type: kind "OFPNoSuchThing"/);
});
