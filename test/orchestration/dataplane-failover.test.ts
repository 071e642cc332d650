// Data-plane failover: two rack hosts each run the one-hop chain [monitor] (real DPDK agents), c1's flows are
// split by source prefix over them (Flowstream). The link of c1's ingress host goes down while c1 pings s1 every
// 10 ms: OpenFlow port status → liveness → recompiled pipeline → minimal diff installed; the traffic continues
// through the other host. Asserts the number of lost pings (the outage) and where the traffic went.
import test from 'ava';
import { DataplaneRig } from '../../bench/suites/system.js';
import { waitFor } from '../../labs/lib/exec.js';

test('ingress host link down → c1 → s1 continues through the other host; outage measured in lost 10 ms pings', async (t) => {
  const rig = await DataplaneRig.start('both');
  try {
    const unsubscribe = rig.watchFailover();
    const ing = rig.ingressOf('10.0.0.1') as 'h1' | 'h2';
    t.true(ing === 'h1' || ing === 'h2');
    const other = ing === 'h1' ? 'h2' : 'h1';
    const warm = await rig.pingDuring(20, 10, 0, async () => undefined);
    t.is(warm.received, warm.sent, 'no loss before the failure');
    const rx = async (h: string): Promise<number> => (await rig.hostStats(rig.agents.find((a) => a.name === h)!.sock)).nfs.find((n) => n.service === 'monitor')!.rx;
    const before = { [ing]: await rx(ing), [other]: await rx(other) };
    t.true(before[ing]! >= 20 && before[other] === 0, `before: ${JSON.stringify(before)}`);
    let tDown = 0;
    const r = await rig.pingDuring(300, 10, 1000, async () => {
      tDown = performance.now();
      await rig.setHostLink(ing, false);
    });
    const lost = r.sent - r.received;
    const fo = rig.failovers.find((f) => f.host === ing && !f.alive);
    t.truthy(fo, 'port status seen and the pipeline reinstalled');
    t.log(`link down: detected after ${(fo!.detectedAt - tDown).toFixed(1)} ms, steering installed after ${(fo!.installedAt - tDown).toFixed(1)} ms (${fo!.changes} changes); ${lost} of ${r.sent} pings lost (≈ ${lost * 10} ms)`);
    t.true(lost * 10 <= 500, `outage ≈ ${lost * 10} ms (target ≤ 0.5 s)`);
    t.is(rig.ingressOf('10.0.0.1'), other);
    t.true((await rx(other)) >= 200, 'the traffic went through the other host\'s monitor');
    t.true(fo!.changes <= 4, `a small batch (${fo!.changes})`);
    // link back: the host is alive again and takes its share back
    await rig.setHostLink(ing, true);
    t.true(await waitFor(() => rig.failovers.some((f) => f.host === ing && f.alive), 10_000, 20), 'link up seen');
    t.true(await waitFor(() => rig.ingressOf('10.0.0.1') === ing, 5000, 20));
    unsubscribe();
  } finally {
    await rig.stop();
  }
});
