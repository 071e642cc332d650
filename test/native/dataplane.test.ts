// The manager through the addon in one process (--no-huge): rte_ring ports (net_ring PMD), NF rings,
// metadata dynfield, actions, drop reasons, flow table, Maglev, control messages. NFs here are
// in-process TS NF handles attached to the manager's rings (the multi-process chain is chain.test.ts).
import test from 'ava';
import { Action, DataplaneManager, MsgType, TsNf, META, type NfBatch } from '../../native/index.js';
import { batch, frame, sleep, uniquePrefix } from './helpers.js';

let m: DataplaneManager;
const nfs = new Map<number, TsNf>();
let A = 0; // ring:a  (traffic in)
let B = 0; // ring:b  (path end)
let C = 0; // ring:c  (OUT target)

test.before(async () => {
  m = await DataplaneManager.start({
    filePrefix: uniquePrefix('dp'), ports: ['ring:a', 'ring:b', 'ring:c'], hugepages: false,
    flowIdleMs: 400, pollMs: 20,
  });
  A = m.portId('ring:a');
  B = m.portId('ring:b');
  C = m.portId('ring:c');
});

test.after.always(async () => {
  for (const nf of nfs.values()) nf.close();
  if (m) await m.stop();
});

async function attach(id: number, service: number, ringSize = 0): Promise<TsNf> {
  m.createInstance(id, service, `t${id}`, ringSize);
  const nf = TsNf.attach(id);
  nf.ready();
  nfs.set(id, nf);
  await m.waitFor((s) => s.nfs.some((n) => n.instance === id && n.routed), 5000, `instance ${id} routed`);
  return nf;
}

/** Runs the in-process NF until `want` packets were handled or it has been idle 300 ms. */
async function pump(nf: TsNf, want: number, fn: (b: NfBatch) => void = () => {}): Promise<number> {
  let got = 0;
  let idleSince = Date.now();
  while (got < want && Date.now() - idleSince < 2000) {
    const n = nf.recv();
    if (n) {
      fn(nf.batch);
      nf.send(true);
      got += n;
      idleSince = Date.now();
    } else {
      await sleep(2);
    }
  }
  return got;
}

async function collect(port: number, want: number, timeoutMs = 3000): Promise<ReturnType<DataplaneManager['native']['ringCollect']>> {
  const out = { frames: [] as Buffer[], metas: [] as ReturnType<DataplaneManager['native']['ringCollect']>['metas'] };
  const end = Date.now() + timeoutMs;
  while (out.frames.length < want && Date.now() < end) {
    const r = m.native.ringCollect(port);
    out.frames.push(...r.frames);
    out.metas.push(...r.metas);
    if (out.frames.length < want) await sleep(5);
  }
  await sleep(50);
  const r = m.native.ringCollect(port);
  out.frames.push(...r.frames);
  out.metas.push(...r.metas);
  return out;
}

function inject(frames: Buffer[]): number {
  const b = batch(frames);
  return m.native.ringInject(A, b.data, b.lens);
}

const flowsOf = (k: number) => Array.from({ length: k }, (_, i) => ({ src: `10.0.0.${i + 1}`, dst: '10.0.1.1', sport: 1000 + i, dport: 53 }));

test.serial('metadata: path id, index, in port and the flow hash reach the NF through the dynfield', async (t) => {
  const nf = await attach(1, 10);
  m.setPath(1, [10], B);
  m.setDefaultPath(1);
  const flows = flowsOf(4);
  const frames = Array.from({ length: 64 }, (_, i) => frame(flows[i % 4]));
  t.is(inject(frames), 64);
  const seen = new Map<number, Set<number>>();
  const got = await pump(nf, 64, (b) => {
    for (let i = 0; i < b.n; i++) {
      t.is(b.pathId(i), 1);
      t.is(b.index(i), 0);
      t.is(b.inPort(i), A);
      // the frame bytes are the ones injected (zero-copy view over the mempool)
      const src = b.pool[b.off[i] + 29];
      const set = seen.get(src) ?? new Set<number>();
      set.add(b.flowHash(i));
      seen.set(src, set);
      t.is(b.view.getUint16(b.metaOff[i] + META.pathId, true), 1);
    }
  });
  t.is(got, 64);
  t.is(seen.size, 4);
  for (const [src, hashes] of seen) {
    t.is(hashes.size, 1, 'one hash per flow');
    t.is([...hashes][0], m.native.flowHash({ ...flows[src - 1], proto: 17 }) >>> 0);
  }
  const out = await collect(B, 64);
  t.is(out.frames.length, 64);
  t.deepEqual(out.frames[0], frames[0]);
  t.is(out.metas[0].pathId, 1);
});

test.serial('actions: NEXT follows the path, TONF jumps, OUT leaves by a port, DROP frees (counted)', async (t) => {
  const nf1 = nfs.get(1)!;
  const nf2 = await attach(2, 11);
  m.setPath(2, [10, 11], B);
  m.setRules([{ dportLo: 5353, dportHi: 5353, proto: 17, path: 2 }]);
  const before = m.stats();
  const N = 400;
  const frames = Array.from({ length: N }, (_, i) => frame({ src: '10.1.0.1', dst: '10.1.0.2', sport: 2000 + (i % 8), dport: 5353 }));
  t.is(inject(frames), N);
  // NF1 decides by the low bits of the UDP source port: 0 DROP, 1 OUT port C, 2 TONF 11, 3.. NEXT
  let k = 0;
  const got1 = await pump(nf1, N, (b) => {
    for (let i = 0; i < b.n; i++, k++) {
      const r = k % 4;
      if (r === 0) b.actions[i] = Action.DROP;
      else if (r === 1) { b.actions[i] = Action.OUT; b.dests[i] = C; }
      else if (r === 2) { b.actions[i] = Action.TONF; b.dests[i] = 11; }
    }
  });
  t.is(got1, N);
  const got2 = await pump(nf2, N / 2, (b) => {
    for (let i = 0; i < b.n; i++) t.is(b.index(i), 1, 'NF2 is hop 1 of path 2');
  });
  t.is(got2, N / 2);
  const outB = await collect(B, N / 2);
  const outC = await collect(C, N / 4);
  t.is(outB.frames.length, N / 2);
  t.is(outC.frames.length, N / 4);
  const s = m.stats();
  t.is(s.drops.nf_drop - before.drops.nf_drop, N / 4);
  const n1 = s.nfs.find((n) => n.instance === 1)!;
  t.is(n1.dropped, N / 4);
  t.is(s.ports.find((p) => p.id === C)!.tx, N / 4);
  m.setRules([]);
});

test.serial('drop reasons: no path, no instance, bad port, ring full, bad action are each counted', async (t) => {
  const nf1 = nfs.get(1)!;
  const s0 = m.stats();
  // no path: default path 0 and no rule
  m.setDefaultPath(0);
  t.is(inject(Array.from({ length: 10 }, () => frame({ src: '10.2.0.1', dst: '10.2.0.2', sport: 1, dport: 2 }))), 10);
  await m.waitFor((s) => s.drops.no_path - s0.drops.no_path === 10, 3000, 'no_path');
  // no instance: path 3 = [12], nobody serves 12
  m.setPath(3, [12]);
  m.setDefaultPath(3);
  t.is(inject(Array.from({ length: 7 }, () => frame({ src: '10.2.0.3', dst: '10.2.0.2', sport: 1, dport: 2 }))), 7);
  await m.waitFor((s) => s.drops.no_instance - s0.drops.no_instance === 7, 3000, 'no_instance');
  // bad port + bad action from an NF
  m.setDefaultPath(1);
  t.is(inject(Array.from({ length: 6 }, () => frame({ src: '10.2.0.4', dst: '10.2.0.2', sport: 1, dport: 2 }))), 6);
  let k = 0;
  t.is(await pump(nf1, 6, (b) => {
    for (let i = 0; i < b.n; i++, k++) {
      if (k < 3) { b.actions[i] = Action.OUT; b.dests[i] = 9; } else b.actions[i] = 77;
    }
  }), 6);
  await m.waitFor((s) => s.drops.bad_port - s0.drops.bad_port === 3, 3000, 'bad_port');
  // bad action: nflib frees unknown actions itself (counted as an NF drop), the manager never sees them
  t.is(m.stats().drops.nf_drop - s0.drops.nf_drop, 3);
  // ring full: an instance with a 64-slot ring that does not read
  await attach(3, 13, 64);
  m.setPath(4, [13], B);
  m.setDefaultPath(4);
  const N = 200;
  t.is(inject(Array.from({ length: N }, (_, i) => frame({ src: '10.2.0.5', dst: '10.2.0.2', sport: i, dport: 2 }))), N);
  const s = await m.waitFor((x) => x.drops.ring_full - s0.drops.ring_full + (x.nfs.find((n) => n.instance === 3)?.rxRing ?? 0) === N, 3000, 'ring full');
  const n3 = s.nfs.find((n) => n.instance === 3)!;
  t.is(n3.rxRing, 63, 'a 64-slot rte_ring holds 63');
  t.is(n3.rxRingFull, N - 63);
  t.is(s.drops.ring_full - s0.drops.ring_full, N - 63);
  t.is(await pump(nfs.get(3)!, 63), 63);
  m.setDefaultPath(1);
});

test.serial('flow table: classify once per flow, static entries win, lookup counts packets, idle flows expire', async (t) => {
  const nf1 = nfs.get(1)!;
  await m.native.flowClear();
  t.is(m.native.flowCount(), 0);
  const tuple = { src: '10.3.0.1', dst: '10.3.0.2', sport: 4000, dport: 80, proto: 6 };
  // static entry -> path 2 (10 -> 11), default path 1
  t.true(m.native.flowAdd(tuple, 2) >= 0);
  const frames = [
    ...Array.from({ length: 5 }, () => frame({ ...tuple })),
    ...Array.from({ length: 9 }, (_, i) => frame({ src: '10.3.0.9', dst: '10.3.0.2', sport: 5000 + (i % 3), dport: 80, proto: 6 })),
  ];
  t.is(inject(frames), 14);
  const paths: number[] = [];
  t.is(await pump(nf1, 14, (b) => { for (let i = 0; i < b.n; i++) paths.push(b.pathId(i)); }), 14);
  t.is(paths.filter((p) => p === 2).length, 5);
  t.is(paths.filter((p) => p === 1).length, 9);
  t.is(await pump(nfs.get(2)!, 5), 5);
  t.is(m.native.flowCount(), 4, 'one static + three dynamic flows');
  t.deepEqual(m.native.flowLookup(tuple), { path: 2, pkts: 5 });
  t.deepEqual(m.native.flowLookup({ src: '10.3.0.9', dst: '10.3.0.2', sport: 5000, dport: 80, proto: 6 }), { path: 1, pkts: 3 });
  t.is(m.native.flowLookup({ src: '10.3.0.9', dst: '10.3.0.2', sport: 9999, dport: 80, proto: 6 }), null);
  // idle expiry (400 ms): dynamic flows go, the static one stays
  const s = await m.waitFor((x) => x.flows.active === 1, 5000, 'expiry');
  t.true(s.flows.expired >= 3);
  t.not(m.native.flowLookup(tuple), null);
  t.true(m.native.flowDel(tuple) >= 0);
  t.is(m.native.flowCount(), 0);
  await collect(B, 14);
});

test.serial('Maglev: per-flow instance choice is stable, balanced, and moves only the leaving instance\'s flows', async (t) => {
  const ids = [20, 21, 22];
  for (const id of ids) await attach(id, 30);
  const H = 20000;
  const hashes = Array.from({ length: H }, (_, i) => (Math.imul(i + 1, 0x9e3779b1) >>> 0));
  const before = hashes.map((h) => m.native.pickInstance(30, h));
  t.deepEqual(hashes.map((h) => m.native.pickInstance(30, h)), before, 'deterministic');
  for (const id of ids) {
    const share = before.filter((x) => x === id).length / H;
    t.true(share > 0.25 && share < 0.42, `instance ${id} share ${share}`);
  }
  // instance 22 leaves (detach = STOPPING): only its flows move
  nfs.get(22)!.close();
  nfs.delete(22);
  await m.waitFor((s) => s.nfs.some((n) => n.instance === 22 && !n.routed), 5000, '22 unrouted');
  const after = hashes.map((h) => m.native.pickInstance(30, h));
  let moved = 0;
  for (let i = 0; i < H; i++) {
    t.not(after[i], 22);
    if (before[i] !== 22 && after[i] !== before[i]) moved++;
  }
  t.true(moved / H < 0.02, `flows of staying instances moved: ${moved}`);
  // and traffic follows it: a flow's packets all reach the same instance
  m.setPath(5, [30], B);
  m.setDefaultPath(5);
  t.is(inject(Array.from({ length: 40 }, () => frame({ src: '10.4.0.1', dst: '10.4.0.2', sport: 7, dport: 7 }))), 40);
  const c20 = await pump(nfs.get(20)!, 40);
  const c21 = await pump(nfs.get(21)!, 40);
  t.true((c20 === 40 && c21 === 0) || (c20 === 0 && c21 === 40), `${c20}/${c21}`);
  const h = m.native.flowHash({ src: '10.4.0.1', dst: '10.4.0.2', sport: 7, dport: 7, proto: 17 }) >>> 0;
  t.is(m.native.pickInstance(30, h), c20 === 40 ? 20 : 21);
  await collect(B, 40);
  m.setDefaultPath(1);
});

test.serial('control channel: CONFIG/SCALE reach the NF, LOG/STATS/STOPPING reach the manager as events', async (t) => {
  const nf1 = nfs.get(1)!;
  t.is(m.sendMessage(1, MsgType.CONFIG, [], 'drop-dport=53'), 0);
  t.is(m.sendMessage(1, MsgType.SCALE, [3]), 0);
  const msgs = [nf1.pollMessage(), nf1.pollMessage()];
  t.is(msgs[0]?.type, MsgType.CONFIG);
  t.is(msgs[0]?.text, 'drop-dport=53');
  t.is(msgs[1]?.type, MsgType.SCALE);
  t.is(msgs[1]?.args[0], 3);
  t.is(nf1.pollMessage(), null);
  t.is(nf1.sendMessage(MsgType.LOG, [1, 2], 'hello manager'), 0);
  const ev = m.pollControl();
  const log = ev.find((e) => e.instance === 1 && e.type === 'log');
  t.truthy(log);
  t.is(log?.text, 'hello manager');
  t.deepEqual(log?.args.slice(0, 2), [1, 2]);
  t.is(m.sendMessage(1, MsgType.STOP), 0);
  nf1.pollMessage();
  t.true(nf1.stopping());
  nf1.close();
  nfs.delete(1);
  const ev2 = m.pollControl();
  t.true(ev2.some((e) => e.instance === 1 && e.type === 'stopping'));
  t.true(m.events.some((e) => e.instance === 1 && e.type === 'ready'));
  t.is(m.stats().pool.available + 0 > 0, true);
});
