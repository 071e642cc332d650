// The manager with separate RX and TX lcores (lcores: 2): both feed NF rings (MP enqueue) and each
// uses its own port TX queue; the chain still delivers every packet exactly once.
import test from 'ava';
import { Action, DataplaneManager, TsNf } from '../../native/index.js';
import { batch, frame, sleep, uniquePrefix } from './helpers.js';

test('lcores: 2 — RX lcore and TX lcore, exact counts through two in-process NFs', async (t) => {
  const m = await DataplaneManager.start({ filePrefix: uniquePrefix('sp'), ports: ['ring:in', 'ring:out'], hugepages: false, lcores: 2, pollMs: 20 });
  const nfs: TsNf[] = [];
  try {
    t.is(m.lcoreLayout, 'lcore 1: rx, lcore 2: tx');
    const IN = m.portId('ring:in');
    const OUT = m.portId('ring:out');
    for (const [id, svc] of [[1, 5], [2, 6]]) {
      m.createInstance(id, svc, `n${id}`, 4096);
      const nf = TsNf.attach(id);
      nf.ready();
      nfs.push(nf);
    }
    await m.waitFor((s) => s.nfs.filter((n) => n.routed).length === 2, 5000, 'routed');
    m.setPath(1, [5, 6], OUT);
    m.setDefaultPath(1);
    const N = 3000;
    const b = batch(Array.from({ length: N }, (_, i) => frame({ src: '10.5.0.1', dst: '10.5.0.2', sport: i % 100, dport: 7 })));
    t.is(m.native.ringInject(IN, b.data, b.lens), N);
    let out = 0;
    let dropped = 0;
    const end = Date.now() + 10000;
    while (out + dropped < N && Date.now() < end) {
      for (const nf of nfs) {
        const n = nf.recv();
        if (n) {
          // the second NF drops one packet in ten
          if (nf.instance === 2) for (let i = 0; i < n; i++) if ((nf.batch.off[i] + i) % 10 === 0) { nf.batch.actions[i] = Action.DROP; dropped++; }
          nf.send();
        }
      }
      out += m.native.ringCollect(OUT).frames.length;
      if (out + dropped < N) await sleep(1);
    }
    await sleep(50);
    out += m.native.ringCollect(OUT).frames.length;
    t.is(out + dropped, N);
    const s = m.stats();
    t.is(s.nfs.find((n) => n.instance === 1)!.rx, N);
    t.is(s.nfs.find((n) => n.instance === 2)!.dropped, dropped);
    t.is(s.ports.find((p) => p.id === OUT)!.tx, out);
    t.is(s.drops.ring_full + s.drops.tx_full + s.drops.no_instance, 0);
  } finally {
    for (const nf of nfs) nf.close();
    await m.stop();
  }
});
