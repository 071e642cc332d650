// The OpenFlow channel against scripted fake switches over real TCP sockets: handshake and version negotiation,
// request/reply correlation with multipart reassembly, barrier-confirmed batches and their errors, roles, port
// status, echo keepalive timeout, the write-queue bound, malformed input (error + disconnect, others unaffected).
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeMessage, encodeMessage, type OfMessage } from '../../openflow/index.js';
import type { ControllerEvent } from '../../controller/api.js';
import { Controller, L2LearningApp, OpenFlowError, WriteQueueFullError, SessionClosedError, type ControllerOptions } from '../../controller/index.js';
import { FakeSwitch, errorMsg, header, helloBitmap, packetIn, portBytes, portDescReply, portStatus, type FakeSwitchOptions } from './helpers/fake-switch.js';
import { RYU_VECTORS } from '../support/vectors.js';

const quiet = (): void => undefined;

async function withController(opts: ControllerOptions, fn: (c: Controller) => Promise<void>): Promise<void> {
  const c = new Controller({ host: '127.0.0.1', port: 0, log: quiet, ...opts });
  await c.start();
  try {
    await fn(c);
  } finally {
    await c.stop();
  }
}

async function upSwitch(c: Controller, o: Partial<FakeSwitchOptions> = {}): Promise<FakeSwitch> {
  const dpid = o.dpid ?? 1n;
  const up = c.waitFor('switch-up', (s) => s.dpid === dpid);
  const sw = new FakeSwitch({ port: c.port, dpid, ...o });
  await up;
  return sw;
}

const flowMod = (port: number, prio = 10): OfMessage => ({
  kind: 'OFPFlowMod', cookie: 0n, cookie_mask: 0n, table_id: 0, command: 0, idle_timeout: 0, hard_timeout: 0,
  priority: prio, buffer_id: 0xffffffff, out_port: 0xffffffff, out_group: 0xffffffff, flags: 0,
  match: { oxm_fields: [{ field: 'in_port', value: 1 }] },
  instructions: [{ kind: 'OFPInstructionActions', type: 4, actions: [{ kind: 'OFPActionOutput', port, max_len: 0xffe5 }] }],
});

test('handshake: hello bitmap, features, port desc → switch-up with dpid and ports', async (t) => {
  await withController({}, async (c) => {
    const sw = await upSwitch(c, { dpid: 0xabcdef0123456789n, ports: [portBytes(1, 'eth1'), portBytes(7, 'eth7')] });
    try {
      const hello = await sw.next((m) => m.type === 0);
      t.is(hello.version, 4);
      t.is(hello.buf.readUInt32BE(12), 1 << 4, 'our hello announces OpenFlow 1.3 only');
      const infos = c.switches();
      t.is(infos.length, 1);
      t.is(infos[0].dpid, 0xabcdef0123456789n);
      t.deepEqual(infos[0].ports.map((p) => [p.port_no, p.name]), [[1, 'eth1'], [7, 'eth7']]);
      t.is(infos[0].nTables, 254);
      t.truthy(c.session(0xabcdef0123456789n));
    } finally {
      sw.close();
    }
  });
});

test('a hello offering 1.0 and 1.3 negotiates 1.3; a header-only hello of a newer version too', async (t) => {
  await withController({}, async (c) => {
    const a = await upSwitch(c, { dpid: 2n, hello: helloBitmap([1, 4]) });
    const b = await upSwitch(c, { dpid: 3n, hello: header(0, 8, 1, 6) });
    t.is(c.switches().length, 2);
    a.close();
    b.close();
  });
});

test('OpenFlow 1.0-only and 1.5-only switches get HELLO_FAILED/INCOMPATIBLE and are closed', async (t) => {
  await withController({}, async (c) => {
    for (const hello of [header(0, 8, 1, 1), helloBitmap([6], 6)]) {
      const sw = new FakeSwitch({ port: c.port, hello });
      const err = await sw.next((m) => m.type === 1);
      t.is(err.buf.readUInt16BE(8), 0, 'OFPET_HELLO_FAILED');
      t.is(err.buf.readUInt16BE(10), 0, 'OFPHFC_INCOMPATIBLE');
      t.regex(err.buf.subarray(12).toString('ascii'), /controller supports 0x04/);
      await sw.waitClosed();
    }
    t.is(c.switches().length, 0);
  });
});

test('request(): multipart reply reassembled across REPLY_MORE parts; unrelated xids do not match', async (t) => {
  await withController({}, async (c) => {
    let phase = 0;
    const sw = await upSwitch(c, {
      onMessage: (m, s) => {
        if (m.type === 18 && m.buf.readUInt16BE(8) === 13 && phase++ > 0) {
          s.write(portDescReply(m.xid + 1000, [portBytes(9, 'other')])); // not ours: ignored
          s.write(portDescReply(m.xid, [portBytes(1, 'a')], true));
          s.write(portDescReply(m.xid, [portBytes(2, 'b'), portBytes(3, 'c')], true));
          s.write(portDescReply(m.xid, [portBytes(4, 'd')], false));
          return true;
        }
        return false;
      },
    });
    try {
      const parts = await c.session(1n)!.request({ kind: 'OFPPortDescStatsRequest', flags: 0 });
      t.is(parts.length, 3);
      const names = parts.flatMap((p) => (p.kind === 'OFPPortDescStatsReply' ? p.body.map((x) => x.name) : []));
      t.deepEqual(names, ['a', 'b', 'c', 'd']);
    } finally {
      sw.close();
    }
  });
});

test('sendBatch resolves on the barrier reply, after the messages', async (t) => {
  await withController({}, async (c) => {
    const sw = await upSwitch(c);
    try {
      await c.session(1n)!.sendBatch([flowMod(1), flowMod(2), flowMod(3)]);
      const types = sw.received.filter((m) => m.type === 14 || m.type === 20).map((m) => m.type);
      t.deepEqual(types.slice(-4), [14, 14, 14, 20], 'three flow_mods then the barrier');
      // without a barrier it resolves at once and sends no barrier
      const before = sw.received.filter((m) => m.type === 20).length;
      await c.session(1n)!.sendBatch([flowMod(4)], { barrier: false });
      await sw.next((m) => m.type === 14 && m.buf.readUInt16BE(30) === 10 && m.buf.readUInt32BE(m.buf.length - 12) === 4);
      t.is(sw.received.filter((m) => m.type === 20).length, before);
    } finally {
      sw.close();
    }
  });
});

test('an OFPT_ERROR for a batch member rejects the batch naming type/code and the failing message', async (t) => {
  await withController({}, async (c) => {
    let n = 0;
    const sw = await upSwitch(c, {
      onMessage: (m, s) => {
        if (m.type === 14 && ++n === 3) { // reject the 2nd flow_mod of the batch (the 1st flow_mod is... none: fresh)
          s.write(errorMsg(m.xid, 2, 4, m.buf.subarray(0, 64))); // OFPET_BAD_ACTION / OFPBAC_BAD_OUT_PORT
          return true;
        }
        return false;
      },
    });
    try {
      await c.session(1n)!.sendBatch([flowMod(1)]); // n = 1
      const e = await t.throwsAsync(c.session(1n)!.sendBatch([flowMod(1), flowMod(99)]), { instanceOf: OpenFlowError });
      t.regex(e!.message, /rejected OFPFlowMod \(xid \d+, message 2 of 2 of the batch\): OFPET_BAD_ACTION\/OFPBAC_BAD_OUT_PORT \(type 2, code 4\)/);
      t.is((e as OpenFlowError).batchIndex, 1);
      // the session is still fine
      await c.session(1n)!.sendBatch([flowMod(5)]);
    } finally {
      sw.close();
    }
  });
});

test('an OFPT_ERROR answering a request rejects it', async (t) => {
  await withController({}, async (c) => {
    const sw = await upSwitch(c, {
      onMessage: (m, s) => {
        if (m.type === 18 && m.buf.readUInt16BE(8) === 7) { // group desc: pretend unsupported
          s.write(errorMsg(m.xid, 1, 2, m.buf)); // OFPET_BAD_REQUEST / OFPBRC_BAD_MULTIPART
          return true;
        }
        return false;
      },
    });
    try {
      const e = await t.throwsAsync(c.session(1n)!.request({ kind: 'OFPGroupDescStatsRequest', flags: 0 }), { instanceOf: OpenFlowError });
      t.regex(e!.message, /OFPGroupDescStatsRequest .*OFPET_BAD_REQUEST\/OFPBRC_BAD_MULTIPART/);
    } finally {
      sw.close();
    }
  });
});

test('role request MASTER with a generation id', async (t) => {
  await withController({}, async (c) => {
    const sw = await upSwitch(c);
    try {
      const r = await c.session(1n)!.requestRole('MASTER', 42n);
      t.deepEqual(r, { role: 'MASTER', generationId: 42n });
      const req = await sw.next((m) => m.type === 24);
      t.is(req.buf.readUInt32BE(8), 2);
      t.is(req.buf.readBigUInt64BE(16), 42n);
      t.is(c.switches()[0].role, 'MASTER');
      t.is(c.switches()[0].generationId, 42n);
    } finally {
      sw.close();
    }
  });
});

test('port status updates the port table and raises port-status', async (t) => {
  await withController({}, async (c) => {
    const sw = await upSwitch(c);
    try {
      const ev = c.waitFor('port-status');
      sw.write(portStatus(2, portBytes(2, 'p2', 1))); // MODIFY, LINK_DOWN
      const [, reason, port] = await ev;
      t.is(reason, 'MODIFY');
      t.is(port.port_no, 2);
      t.is(port.state & 1, 1);
      t.is(c.switches()[0].ports.find((p) => p.port_no === 2)?.state, 1);
      const ev2 = c.waitFor('port-status');
      sw.write(portStatus(1, portBytes(2, 'p2', 1))); // DELETE
      await ev2;
      t.deepEqual(c.switches()[0].ports.map((p) => p.port_no), [1]);
    } finally {
      sw.close();
    }
  });
});

test.serial('echo keepalive: a silent switch is disconnected after interval + timeout; an answering one stays', async (t) => {
  // serial and with a 400 ms timeout: the fake switches share this process's event loop with the controller
  await withController({ echoIntervalMs: 100, echoTimeoutMs: 400 }, async (c) => {
    const good = await upSwitch(c, { dpid: 1n });
    const t0 = Date.now();
    const down = c.waitFor('switch-down', (s) => s.dpid === 2n);
    const silent = await upSwitch(c, { dpid: 2n, answerEcho: false });
    const [, reason] = await down;
    const dt = Date.now() - t0;
    t.regex(reason, /echo timeout/);
    t.true(dt >= 500 && dt < 5000, `disconnected after ${dt} ms (interval 100 + timeout 400)`);
    await silent.waitClosed();
    await new Promise((r) => setTimeout(r, 800));
    t.false(good.closed);
    t.true(good.received.filter((m) => m.type === 2).length >= 2, 'echo requests were sent to the idle good switch');
    t.deepEqual(c.switches().map((s) => s.dpid), [1n]);
    good.close();
  });
});

test('write queue is bounded: a switch that stops reading makes sends fail with WriteQueueFullError', async (t) => {
  await withController({ maxQueueBytes: 256 * 1024 }, async (c) => {
    const sw = await upSwitch(c);
    try {
      sw.socket.pause();
      const s = c.sessionOf(1n)!;
      let sent = 0;
      let error: unknown;
      const started = Date.now();
      while (Date.now() - started < 10_000) {
        try {
          for (let i = 0; i < 1000; i++) { s.send(flowMod(1)); sent++; }
        } catch (err) {
          error = err;
          break;
        }
        await new Promise((r) => setImmediate(r)); // let the writes reach the kernel until its buffers are full
      }
      t.true(error instanceof WriteQueueFullError, `expected WriteQueueFullError after ${sent} sends`);
      t.regex((error as Error).message, /write queue to switch 0000000000000001 is full .* limit 262144/);
      t.true(s.queuedBytes <= 256 * 1024, `queued ${s.queuedBytes}`);
      await t.throwsAsync(s.sendBatch([flowMod(1)]), { instanceOf: WriteQueueFullError });
      t.true(s.isUp, 'the session stays up; only the sends fail');
    } finally {
      sw.close();
    }
  });
});

test('garbage from one switch: OFPT_ERROR BAD_REQUEST + disconnect; another switch keeps being served', async (t) => {
  await withController({}, async (c) => {
    const good = await upSwitch(c, { dpid: 1n });
    const cases: Array<{ bytes: Buffer; code: number; what: string }> = [
      { bytes: Buffer.from([4, 2, 0, 3, 0, 0, 0, 9]), code: 6, what: 'length < 8' },
      { bytes: header(200, 8, 9), code: 1, what: 'unknown type' },
      { bytes: header(2, 8, 9, 1), code: 0, what: 'wrong version' },
      { bytes: (() => { const b = packetIn(1, 'ff:ff:ff:ff:ff:ff', '02:00:00:00:00:01'); b.writeUInt16BE(200, 26); return b; })(), code: 6, what: 'packet_in match longer than the message' },
      { bytes: (() => { const b = header(12, 20, 9); return b; })(), code: 6, what: 'truncated port_status' },
    ];
    let dp = 10n;
    for (const k of cases) {
      const bad = await upSwitch(c, { dpid: ++dp });
      const down = c.waitFor('switch-down', (s) => s.dpid === dp);
      bad.write(k.bytes);
      const err = await bad.next((m) => m.type === 1);
      t.is(err.buf.readUInt16BE(8), 1, `${k.what}: OFPET_BAD_REQUEST`);
      t.is(err.buf.readUInt16BE(10), k.code, `${k.what}: code`);
      t.true(err.buf.subarray(12).equals(k.bytes.subarray(0, Math.min(64, k.bytes.length))), `${k.what}: error data echoes the message`);
      await down;
      await bad.waitClosed();
    }
    // the good switch still answers requests
    const parts = await c.session(1n)!.request({ kind: 'OFPPortDescStatsRequest', flags: 0 });
    t.is(parts.length, 1);
    t.false(good.closed);
    t.deepEqual(c.switches().map((s) => s.dpid), [1n]);
    good.close();
  });
});

test('random garbage streams never crash the controller', async (t) => {
  await withController({}, async (c) => {
    const good = await upSwitch(c, { dpid: 1n });
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 30; i++) {
      const sw = await upSwitch(c, { dpid: 100n + BigInt(i) });
      const len = 8 + Math.floor(rnd() * 200);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(rnd() * 256);
      b[0] = 4;
      if (i % 2) b.writeUInt16BE(len, 2);
      sw.write(b);
      await new Promise((r) => setTimeout(r, 20));
      sw.close();
    }
    await new Promise((r) => setTimeout(r, 200));
    const parts = await c.session(1n)!.request({ kind: 'OFPPortDescStatsRequest', flags: 0 });
    t.is(parts.length, 1);
    t.false(good.closed);
    good.close();
  });
});

test('a reconnect of the same datapath replaces the old session', async (t) => {
  await withController({}, async (c) => {
    const a = await upSwitch(c, { dpid: 5n });
    const b = await upSwitch(c, { dpid: 5n });
    await a.waitClosed();
    t.is(c.switches().length, 1);
    t.false(b.closed);
    await c.session(5n)!.sendBatch([flowMod(1)]);
    b.close();
  });
});

test('requests to a switch that disconnects are rejected with SessionClosedError', async (t) => {
  await withController({}, async (c) => {
    const sw = await upSwitch(c, { answerBarrier: false });
    const p = c.session(1n)!.sendBatch([flowMod(1)]);
    await sw.next((m) => m.type === 20);
    sw.close();
    await t.throwsAsync(p, { instanceOf: SessionClosedError });
    t.is(c.session(1n), undefined);
  });
});

test('L2 app over the channel: table-miss on switch up, flood unknown, flow_mod + packet_out once learned', async (t) => {
  const l2 = new L2LearningApp({ idleTimeout: 30 });
  await withController({ apps: [l2] }, async (c) => {
    const sw = await upSwitch(c);
    try {
      const miss = await sw.next((m) => m.type === 14);
      const dm = decodeMessage(miss.buf);
      t.true(dm.ok);
      if (dm.ok && dm.msg.kind === 'OFPFlowMod') {
        t.is(dm.msg.priority, 0);
        t.deepEqual(dm.msg.match.oxm_fields, []);
        t.deepEqual(dm.msg.instructions[0], { kind: 'OFPInstructionActions', type: 4, len: 24, actions: [{ kind: 'OFPActionOutput', type: 0, len: 16, port: 0xfffffffd, max_len: 0xffff }] });
      }
      // A (port 1) → B unknown: flood with data
      sw.write(packetIn(1, '02:00:00:00:00:0b', '02:00:00:00:00:0a'));
      const po1 = await sw.next((m) => m.type === 13);
      const d1 = decodeMessage(po1.buf);
      t.true(d1.ok && d1.msg.kind === 'OFPPacketOut' && d1.msg.actions[0].kind === 'OFPActionOutput' && d1.msg.actions[0].port === 0xfffffffb && d1.msg.data.length === 60);
      // B (port 2) → A known: flow_mod in_port 2, eth_dst A, eth_src B → output 1, idle 30, then packet_out to 1
      sw.write(packetIn(2, '02:00:00:00:00:0a', '02:00:00:00:00:0b'));
      const fm = await sw.next((m) => m.type === 14 && m !== miss);
      const d2 = decodeMessage(fm.buf);
      t.true(d2.ok);
      if (d2.ok && d2.msg.kind === 'OFPFlowMod') {
        t.is(d2.msg.idle_timeout, 30);
        t.is(d2.msg.priority, 1);
        t.deepEqual(d2.msg.match.oxm_fields.map((f) => [f.field, f.value]), [['in_port', 2], ['eth_dst', '02:00:00:00:00:0a'], ['eth_src', '02:00:00:00:00:0b']]);
      }
      const po2 = await sw.next((m) => m.type === 13 && m !== po1);
      const d3 = decodeMessage(po2.buf);
      t.true(d3.ok && d3.msg.kind === 'OFPPacketOut' && d3.msg.in_port === 2 && d3.msg.actions[0].kind === 'OFPActionOutput' && d3.msg.actions[0].port === 1);
      // buffered packet: flow_mod carries the buffer id, no packet_out
      const before = sw.received.filter((m) => m.type === 13).length;
      sw.write(packetIn(2, '02:00:00:00:00:0a', '02:00:00:00:00:0b', 77));
      const fm2 = await sw.next((m) => m.type === 14 && m.buf.readUInt32BE(32) === 77);
      t.truthy(fm2);
      await new Promise((r) => setTimeout(r, 100));
      t.is(sw.received.filter((m) => m.type === 13).length, before);
      t.is(l2.table(c.sessionOf(1n)!)?.size, 2);
    } finally {
      sw.close();
    }
  });
});

test('many switches at once: 100 fake switches handshake and each answers its own requests', async (t) => {
  await withController({}, async (c) => {
    const n = 100;
    const ups = new Set<bigint>();
    const all = new Promise<void>((resolve) => c.on('switch-up', (s) => { ups.add(s.dpid); if (ups.size === n) resolve(); }));
    const sws: FakeSwitch[] = [];
    for (let i = 1; i <= n; i++) sws.push(new FakeSwitch({ port: c.port, dpid: BigInt(i), ports: [portBytes(i, `port${i}`)] }));
    try {
      await all;
      t.is(c.switches().length, n);
      const replies = await Promise.all(c.switches().map((s) => c.session(s.dpid)!.request({ kind: 'OFPPortDescStatsRequest', flags: 0 })));
      replies.forEach((parts, i) => {
        const p = parts[0];
        t.true(p.kind === 'OFPPortDescStatsReply' && p.body[0].port_no === i + 1 && p.body[0].name === `port${i + 1}`);
      });
      await Promise.all(c.switches().map((s) => c.session(s.dpid)!.sendBatch([flowMod(1)])));
    } finally {
      for (const s of sws) s.close();
    }
  });
});

test('request() refuses messages the switch never answers', async (t) => {
  await withController({}, async (c) => {
    const sw = await upSwitch(c);
    try {
      const e = await t.throwsAsync(c.session(1n)!.request(flowMod(1)), { instanceOf: TypeError });
      t.regex(e!.message, /request\(OFPFlowMod\): the switch sends no reply to it; use sendBatch/);
    } finally {
      sw.close();
    }
  });
});

test('subscribe(): switch-up, port-status, flow-removed, unsolicited error, switch-down in order', async (t) => {
  await withController({}, async (c) => {
    const events: ControllerEvent[] = [];
    const unsubscribe = c.subscribe((ev) => events.push(ev));
    const sw = await upSwitch(c, { dpid: 77n });
    sw.write(portStatus(0, portBytes(3, 'new3')));
    sw.write(encodeMessage({
      kind: 'OFPFlowRemoved', xid: 0, cookie: 5n, priority: 1, reason: 0, table_id: 0, duration_sec: 1, duration_nsec: 0,
      idle_timeout: 60, hard_timeout: 0, packet_count: 2n, byte_count: 120n, match: { oxm_fields: [{ field: 'in_port', value: 1 }] },
    }));
    sw.write(errorMsg(123456, 8, 0, Buffer.alloc(8))); // OFPET_TABLE_MOD_FAILED/OFPTMFC_BAD_TABLE for an xid nobody waits for
    await new Promise((r) => setTimeout(r, 200));
    const down = c.waitFor('switch-down');
    sw.close();
    await down;
    unsubscribe();
    t.deepEqual(events.map((e) => e.type), ['switch-up', 'port-status', 'flow-removed', 'error', 'switch-down']);
    const ps = events[1];
    t.true(ps.type === 'port-status' && ps.reason === 'ADD' && ps.port.name === 'new3' && ps.dpid === 77n);
    const fr = events[2];
    t.true(fr.type === 'flow-removed' && fr.msg.kind === 'OFPFlowRemoved' && fr.msg.cookie === 5n);
    const er = events[3];
    t.true(er.type === 'error' && /OFPET_TABLE_MOD_FAILED\/OFPTMFC_BAD_TABLE/.test(er.message));
  });
});

test('a non-OpenFlow peer (HTTP) is answered with BAD_REQUEST/BAD_VERSION and closed at once', async (t) => {
  await withController({}, async (c) => {
    const sw = new FakeSwitch({ port: c.port, hello: Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n') });
    const t0 = Date.now();
    const err = await sw.next((m) => m.type === 1);
    t.is(err.buf.readUInt16BE(8), 1);
    t.is(err.buf.readUInt16BE(10), 0);
    await sw.waitClosed();
    t.true(Date.now() - t0 < 2000);
  });
});

test('mutated Ryu vectors (bit flips, truncations, lying lengths) from up switches never crash the controller', async (t) => {
  const dir = `${RYU_VECTORS}/packet`;
  const vectors = readdirSync(dir).filter((f) => f.endsWith('.packet')).map((f) => readFileSync(`${dir}/${f}`));
  t.true(vectors.length >= 100, `vectors found: ${vectors.length}`);
  let seed = 4242;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const mutate = (v: Buffer): Buffer => {
    const b = Buffer.from(v);
    switch (rnd(4)) {
      case 0: for (let k = 0; k < 1 + rnd(4); k++) b[8 + rnd(Math.max(1, b.length - 8))] ^= 1 << rnd(8); return b; // body bit flips
      case 1: { const cut = b.subarray(0, 8 + rnd(Math.max(1, b.length - 8))); cut.writeUInt16BE(cut.length, 2); return cut; } // truncated, consistent header
      case 2: if (b.length > 12) b.writeUInt16BE(b.readUInt16BE(b.length > 14 ? 10 : 8) ^ 0xff, b.length > 14 ? 10 : 8); return b; // inner length/flags lie
      default: b.writeUInt16BE(Math.max(8, b.length - 1 - rnd(8)), 2); return b; // header length lies (short)
    }
  };
  await withController({ apps: [new L2LearningApp()] }, async (c) => {
    const good = await upSwitch(c, { dpid: 1n });
    const protocolErrors: string[] = [];
    c.on('switch-down', (_s, reason) => { if (/protocol error/.test(reason)) protocolErrors.push(reason); });
    let sent = 0;
    for (let round = 0; round < 40; round++) {
      const dpid = 1000n + BigInt(round);
      const sw = await upSwitch(c, { dpid });
      for (let k = 0; k < 50; k++) {
        const v = mutate(vectors[rnd(vectors.length)]);
        v.writeUInt32BE(0x10000 + k, 4);
        sw.write(v);
        sent++;
      }
      await new Promise((r) => setTimeout(r, 30));
      sw.close();
    }
    await new Promise((r) => setTimeout(r, 300));
    t.is(sent, 2000);
    t.true(protocolErrors.length >= 10, `sessions dropped for malformed input: ${protocolErrors.length}`);
    const parts = await c.session(1n)!.request({ kind: 'OFPPortDescStatsRequest', flags: 0 });
    t.is(parts.length, 1);
    t.false(good.closed);
    good.close();
  });
});
