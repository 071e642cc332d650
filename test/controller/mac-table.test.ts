import test from 'ava';
import { MacTable, macHi, macLo, macToString } from '../../controller/apps/mac-table.js';

const mac = (s: string): [number, number] => {
  const b = Buffer.from(s.split(':').map((h) => parseInt(h, 16)));
  return [macHi(b, 0), macLo(b, 0)];
};

test('learn, lookup, move, string form (high bit set in the low word)', (t) => {
  const m = new MacTable();
  const a = mac('02:00:de:ad:be:ef');
  const b = mac('ff:fe:80:00:00:01');
  t.true(m.learn(...a, 1));
  t.false(m.learn(...a, 1), 'same port: no change');
  t.true(m.learn(...b, 2));
  t.is(m.lookup(...a), 1);
  t.is(m.lookup(...b), 2);
  t.is(m.lookup(...mac('02:00:de:ad:be:ee')), undefined);
  t.true(m.learn(...a, 3), 'moved');
  t.is(m.lookup(...a), 3);
  t.is(m.size, 2);
  t.deepEqual(m.entries().map((e) => e.mac).sort(), ['02:00:de:ad:be:ef', 'ff:fe:80:00:00:01']);
  t.is(macToString(...b), 'ff:fe:80:00:00:01');
});

test('forgetPort removes exactly the MACs of that port', (t) => {
  const m = new MacTable();
  for (let i = 0; i < 10; i++) m.learn(0x0200 + (i % 3), i * 1000, i % 2 ? 5 : 6);
  t.is(m.forgetPort(5), 5);
  t.is(m.size, 5);
  t.true(m.entries().every((e) => e.port === 6));
});

test('bounded: the oldest entries are evicted beyond maxEntries', (t) => {
  const m = new MacTable(100);
  for (let i = 0; i < 250; i++) m.learn(0x0200, i, 1);
  t.is(m.size, 100);
  t.is(m.lookup(0x0200, 0), undefined);
  t.is(m.lookup(0x0200, 149), undefined);
  t.is(m.lookup(0x0200, 150), 1);
  t.is(m.lookup(0x0200, 249), 1);
});
