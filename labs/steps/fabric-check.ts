// Until a controller step exists, proves the fabric: installs a temporary NORMAL flow on tor0
// (cookie 0xfab, priority 0; a controller that connects replaces it) and pings c1 → s1.
import { attachOvs } from '../lib/ovs.js';
import { nsExec } from '../lib/netns.js';
import { nodeByName } from '../lab/topology.js';
import type { LabStep } from '../lab/context.js';

export const FABRIC_COOKIE = '0xfab';

export const fabricCheck: LabStep = {
  name: 'fabric-check',
  title: 'with --fabric-only: temporary NORMAL flow on tor0, ping c1 → s1 (skipped when the controller programs tor0)',
  fix: 'check `ovs-ofctl -O OpenFlow13 dump-flows tor0` and `ovs-vsctl show` (with OVS_RUNDIR=<state dir>/ovs), and the links in `rackvisor lab status`',
  async up(ctx) {
    if (!ctx.config.fabricCheck) return 'skipped (--no-fabric-check)';
    if (ctx.stepNames.includes('controller')) return 'skipped: the controller programs tor0';
    if (!ctx.info.ovs) throw new Error('the switch step must run first');
    const ovs = attachOvs(ctx.info.ovs.dir);
    const t = ctx.info.topology;
    await ovs.ofctl('add-flow', t.bridge, `cookie=${FABRIC_COOKIE},priority=0,actions=NORMAL`);
    const c1 = nodeByName(t, 'c1');
    const s1 = nodeByName(t, 's1');
    const ping = await nsExec(c1.netns, ['ping', '-c', '3', '-i', '0.2', '-W', '2', s1.ip], { timeoutMs: 15_000 });
    if (ping.code !== 0) throw new Error(`ping c1 (${c1.ip}) → s1 (${s1.ip}) through ${t.bridge} failed:\n${ping.stdout}${ping.stderr}`);
    const rtt = /= [\d.]+\/([\d.]+)\//.exec(ping.stdout)?.[1] ?? '?';
    ctx.info.extra['fabric'] = `temporary NORMAL flow (cookie ${FABRIC_COOKIE}) until the controller lands`;
    return `NO CONTROLLER YET: installed a temporary NORMAL flow (cookie ${FABRIC_COOKIE}); ping c1 → s1 ok, 3/3, avg ${rtt} ms`;
  },
};
