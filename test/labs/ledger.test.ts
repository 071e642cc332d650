// The ledger on its own: persistence, replace-by-id, forget, meta, newest-first teardown, and a
// failed removal that stays recorded with its reason.
import test from 'ava';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '../../labs/lib/ledger.js';
import { testLedger } from '../support/ledger.js';

test('records persist at once, ids replace in place, forget drops, meta survives a reopen', (t) => {
  const { ledger, dir } = testLedger(t);
  const file = join(dir, 'state.json');
  ledger.record({ kind: 'dir', path: join(dir, 'a') });
  ledger.record({ kind: 'process', id: 'p', pid: 1, startTime: 1 });
  ledger.record({ kind: 'dir', path: join(dir, 'b') });
  ledger.record({ kind: 'process', id: 'p', pid: 2, startTime: 2 });
  ledger.setMeta('k', { x: 1 });
  const again = Ledger.open(file);
  t.deepEqual(again.list().map((r) => (r.kind === 'process' ? r.pid : r.kind)), ['dir', 2, 'dir']);
  t.deepEqual(again.getMeta('k'), { x: 1 });
  again.forget('p');
  t.is(Ledger.open(file).size, 2);
  ledger.forget('p');
});

test('teardown runs newest first; a failing removal is kept with its reason, the rest goes', async (t) => {
  const { dir } = testLedger(t);
  const file = join(dir, 'other.json');
  const order = join(dir, 'order.txt');
  const ledger = Ledger.open(file);
  mkdirSync(join(dir, 'd'));
  ledger.record({ kind: 'dir', path: join(dir, 'd') });
  ledger.record({ kind: 'command', argv: ['sh', '-c', `echo first >> ${order}`] });
  ledger.record({ kind: 'command', argv: ['sh', '-c', 'echo nope >&2; exit 3'], label: 'bad one' });
  ledger.record({ kind: 'command', argv: ['sh', '-c', 'exit 4'], optional: true });
  ledger.record({ kind: 'command', argv: ['sh', '-c', `echo newest >> ${order}`] });
  const err = await t.throwsAsync(ledger.teardown());
  t.regex(err?.message ?? '', /teardown left 1 resource\(s\).*\n {2}- command `sh -c echo nope >&2; exit 3` \(bad one\): nope/);
  t.is(readFileSync(order, 'utf8'), 'newest\nfirst\n');
  t.false(existsSync(join(dir, 'd')));
  const left = Ledger.open(file).list();
  t.is(left.length, 1);
  t.is(left[0]!.label, 'bad one');
});

test('a corrupt state file is refused with advice', (t) => {
  const { dir } = testLedger(t);
  const file = join(dir, 'bad.json');
  writeFileSync(file, '{not json');
  t.throws(() => Ledger.open(file), { message: /not valid JSON.*remove what it lists by hand/ });
  writeFileSync(file, '{"version": 9}');
  t.throws(() => Ledger.open(file), { message: /unknown format/ });
});
