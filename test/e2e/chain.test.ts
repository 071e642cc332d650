// End to end, through REST only: a chain firewall → monitor → lb declared over /api/v1 in a real lab (controller
// process, DPDK host agents in h1/h2, OVS tor0). Observed from outside: UDP c1 → s1 arrives at s1 except the
// firewall's port, NF counters (REST) show the order (the monitor never sees what the firewall dropped), and tshark on
// h1's switch link sees the chain's hops in VXLAN (udp 4789) with VNI = pathId << 8 | hop index.
import test from 'ava';
import { captureVxlan, declareChain, freshStats, nfStats, serviceSum, startLab, startSink, startSource, type E2eLab } from './lab.js';
import { sleep, waitFor } from '../../labs/lib/exec.js';

let lab: E2eLab | undefined;
test.before(async () => { lab = await startLab(); });
test.after.always(async () => { await lab?.down(); });

test('chain firewall → monitor → lb: NFs in order, firewall drops never reach s1, hops cross hosts in VXLAN', async (t) => {
  const L = lab!;
  const { chain, instances } = await declareChain(L);
  const where = Object.fromEntries(instances.map((i) => [i.service, i.host]));
  t.log(`placed over REST: ${chain.services.map((s) => `${s}@${where[s]}`).join(' → ')}, path ${chain.pathId}`);
  t.deepEqual(chain.services, ['firewall', 'monitor', 'lb']);
  t.true(typeof chain.pathId === 'number' && chain.pathId > 0, 'service path id allocated');
  t.true(new Set(Object.values(where)).size >= 2, `the chain is spread over both hosts: ${JSON.stringify(where)}`);

  const sink = await startSink(L, 60);
  // warm-up: wait until the path works end to end (agents programmed, steering installed)
  const warm = await startSource(L, { pps: 50, seconds: 30 });
  t.true(await waitFor(() => sink.counts().total >= 10, 30_000, 100), 'traffic reaches s1 through the chain');
  await warm.stop();
  await waitFor(() => warm.counts().done, 3000, 50);

  const before = await freshStats(L.rest, Date.now());
  const sinkBefore = sink.counts();
  const cap = captureVxlan(L.node('h1').switchIf, 14);
  await cap.ready;
  await sleep(300);
  const src = await startSource(L, { pps: 200, seconds: 5, flows: 4, sportBase: 41001, everyPort: '9999:10' });
  const sent = await src.done();
  await waitFor(() => sink.counts().t > sent.t + 1, 5000, 100);
  const after = await freshStats(L.rest, Date.now());
  const got = sink.counts();
  const vx = await cap.result;

  const sent7000 = sent.ports['7000'] ?? 0;
  const sent9999 = sent.ports['9999'] ?? 0;
  const got7000 = (got.ports['7000'] ?? 0) - (sinkBefore.ports['7000'] ?? 0);
  const got9999 = (got.ports['9999'] ?? 0) - (sinkBefore.ports['9999'] ?? 0);
  const d = (svc: string, f: 'rxPkts' | 'dropPkts'): number => serviceSum(after, svc, f) - serviceSum(before, svc, f);
  const fw = d('firewall', 'rxPkts');
  const fwDrop = d('firewall', 'dropPkts');
  const mon = d('monitor', 'rxPkts');
  const lb = d('lb', 'rxPkts');
  t.log(`sent :7000 ${sent7000}, :9999 ${sent9999}; s1 got :7000 ${got7000}, :9999 ${got9999}`);
  t.log(`NF rx deltas: firewall ${fw} (dropped ${fwDrop}), monitor ${mon}, lb ${lb}`);
  t.log(`tshark on ${L.node('h1').switchIf}: ${vx.frames} VXLAN frames, VNIs ${JSON.stringify([...vx.vnis].map(([v, n]) => `0x${v.toString(16)}×${n}`))}`);

  t.true(sent7000 >= 800 && sent9999 >= 80, 'the source sent both kinds');
  t.true(got7000 >= 0.97 * sent7000, `s1 received ${got7000}/${sent7000} allowed datagrams`);
  t.is(got9999, 0, 'nothing the firewall drops reaches s1');
  t.true(fw >= sent7000 + sent9999, `firewall saw everything (${fw})`);
  t.true(fwDrop >= sent9999 && fwDrop <= sent9999 + 5, `firewall dropped the :9999 datagrams (${fwDrop})`);
  // order: the monitor sees only what passed the firewall, the lb what passed the monitor
  t.true(mon >= 0.97 * sent7000 && mon < sent7000 + sent9999 * 0.5, `monitor counted ${mon}: the allowed traffic only (after the firewall)`);
  t.true(lb >= 0.97 * sent7000 && lb <= mon + 5, `lb counted ${lb} (after the monitor)`);

  // VXLAN: every hop change between hosts crosses h1's link with VNI = pathId << 8 | index of the next hop
  const pid = chain.pathId!;
  const expected = new Set<number>();
  for (let i = 1; i < chain.services.length; i++) if (where[chain.services[i]!] !== where[chain.services[i - 1]!]) expected.add((pid << 8) | i);
  t.true(expected.size >= 1, 'the placement has at least one cross-host hop');
  for (const v of expected) t.true((vx.vnis.get(v) ?? 0) >= 0.9 * sent7000, `VNI 0x${v.toString(16)} seen ${vx.vnis.get(v) ?? 0} times on h1's link`);
  for (const v of vx.vnis.keys()) t.true(v >> 8 === pid, `VNI 0x${v.toString(16)} belongs to the chain's path ${pid}`);
  const all = await nfStats(L.rest);
  t.true(serviceSum(all, 'monitor', 'rxPkts') > 0);
  await sink.stop();
});
