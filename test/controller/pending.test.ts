import test from 'ava';
import type { OfMessage } from '../../openflow/index.js';
import { PendingTable, XidAllocator } from '../../controller/xid/pending.js';
import { OpenFlowError, RequestTimeoutError, SessionClosedError } from '../../controller/errors.js';

const flowReply = (n: number): OfMessage => ({ kind: 'OFPFlowStatsReply', flags: 0, body: new Array(n).fill(null).map(() => ({
  table_id: 0, duration_sec: 0, duration_nsec: 0, priority: n, idle_timeout: 0, hard_timeout: 0, flags: 0,
  cookie: 0n, packet_count: 0n, byte_count: 0n, match: { oxm_fields: [] }, instructions: [],
})) } as unknown as OfMessage);
const barrierReply: OfMessage = { kind: 'OFPBarrierReply' };
const err = (name = 'OFPET_BAD_ACTION/OFPBAC_BAD_OUT_PORT') => ({ type: 2, code: 4, name, data: new Uint8Array([4, 14, 0, 8]) });

test('xids are unique, start at 1, wrap without 0', (t) => {
  const a = new XidAllocator(0xfffffffe);
  t.deepEqual([a.next(), a.next(), a.next()], [0xfffffffe, 0xffffffff, 1]);
  const b = new XidAllocator();
  const seen = new Set<number>();
  for (let i = 0; i < 10000; i++) seen.add(b.next());
  t.is(seen.size, 10000);
  t.false(seen.has(0));
});

test('a reply resolves the request with its xid only', async (t) => {
  const p = new PendingTable(() => 'dp1');
  const r1 = p.addRequest(10, 'OFPDescStatsRequest', 1000);
  const r2 = p.addRequest(11, 'OFPTableStatsRequest', 1000);
  t.false(p.onReply(99, barrierReply, false), 'unknown xid is not matched');
  t.true(p.onReply(11, flowReply(1), false));
  t.deepEqual((await r2).length, 1);
  t.true(p.has(10));
  t.true(p.onReply(10, flowReply(2), false));
  t.is((await r1).length, 1);
  t.is(p.size, 0);
});

test('multipart replies with REPLY_MORE are reassembled in order', async (t) => {
  const p = new PendingTable(() => 'dp1');
  const r = p.addRequest(5, 'OFPFlowStatsRequest', 1000);
  t.true(p.onReply(5, flowReply(1), true));
  t.true(p.onReply(5, flowReply(2), true));
  t.true(p.has(5), 'still waiting while REPLY_MORE is set');
  t.true(p.onReply(5, flowReply(3), false));
  const parts = await r;
  t.deepEqual(parts.map((m) => (m as unknown as { body: unknown[] }).body.length), [1, 2, 3]);
  t.false(p.has(5));
});

test('an OFPT_ERROR rejects the request with a readable OpenFlowError', async (t) => {
  const p = new PendingTable(() => '0000000000000001');
  const r = p.addRequest(7, 'OFPGroupDescStatsRequest', 1000);
  t.true(p.onError(7, err()));
  const e = await t.throwsAsync(r, { instanceOf: OpenFlowError });
  t.regex(e!.message, /0000000000000001 rejected OFPGroupDescStatsRequest \(xid 7\): OFPET_BAD_ACTION\/OFPBAC_BAD_OUT_PORT \(type 2, code 4\)/);
  t.is((e as OpenFlowError).errType, 2);
  t.is((e as OpenFlowError).errCode, 4);
});

test('a batch resolves on its barrier reply', async (t) => {
  const p = new PendingTable(() => 'dp');
  const b = p.addBatch([1, 2, 3], ['OFPFlowMod', 'OFPFlowMod', 'OFPGroupMod'], 4, 1000);
  t.false(p.onReply(3, barrierReply, false) && false);
  t.true(p.onReply(4, barrierReply, false));
  await t.notThrowsAsync(b);
  t.is(p.size, 0);
  t.false(p.has(1));
});

test('an error for a batch member rejects the batch naming the message; the barrier then cleans up', async (t) => {
  const p = new PendingTable(() => 'dp');
  const b = p.addBatch([21, 22, 23], ['OFPFlowMod', 'OFPGroupMod', 'OFPFlowMod'], 24, 1000);
  t.true(p.onError(22, err('OFPET_GROUP_MOD_FAILED/OFPGMFC_INVALID_GROUP')));
  const e = await t.throwsAsync(b, { instanceOf: OpenFlowError });
  t.regex(e!.message, /rejected OFPGroupMod \(xid 22, message 2 of 3 of the batch\): OFPET_GROUP_MOD_FAILED\/OFPGMFC_INVALID_GROUP/);
  t.is((e as OpenFlowError).batchIndex, 1);
  t.true(p.onError(23, err()), 'a second error of the same batch is still recognised');
  t.true(p.onReply(24, barrierReply, false));
  t.is(p.size, 0);
  t.false(p.has(21));
});

test('requests time out', async (t) => {
  const keepAlive = setTimeout(() => undefined, 5000); // the table's timers are unref'd (sockets keep real sessions alive)
  t.teardown(() => clearTimeout(keepAlive));
  const p = new PendingTable(() => 'dp');
  const r = p.addRequest(1, 'OFPEchoRequest', 30);
  const e = await t.throwsAsync(r, { instanceOf: RequestTimeoutError });
  t.regex(e!.message, /no reply to OFPEchoRequest \(xid 1\) within 30 ms/);
  t.false(p.has(1));
  const b = p.addBatch([2], ['OFPFlowMod'], 3, 30);
  await t.throwsAsync(b, { instanceOf: RequestTimeoutError });
  t.is(p.size, 0);
});

test('failAll rejects everything with SessionClosedError', async (t) => {
  const p = new PendingTable(() => 'dp9');
  const r = p.addRequest(1, 'OFPPortStatsRequest', 0);
  const b = p.addBatch([2], ['OFPFlowMod'], 3, 0);
  p.failAll('echo timeout');
  const e1 = await t.throwsAsync(r, { instanceOf: SessionClosedError });
  t.regex(e1!.message, /dp9 session closed: echo timeout/);
  await t.throwsAsync(b, { instanceOf: SessionClosedError });
  t.is(p.size, 0);
});
