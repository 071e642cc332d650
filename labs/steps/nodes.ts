// Host namespaces h1..hN and edge namespaces c1 (client), s1 (server), each on a veth to tor0, with
// fixed MACs and addresses and TX checksum offload off (userspace forwarding; DESIGN.md §5).
import { attachOvs } from '../lib/ovs.js';
import { addAddress, createNetns, createVeth, linkIsUp, txChecksumOff } from '../lib/netns.js';
import { run } from '../lib/exec.js';
import { netnsExists } from '../lib/ledger.js';
import type { LabStep, StatusLine } from '../lab/context.js';

export const nodes: LabStep = {
  name: 'namespaces',
  title: 'create host namespaces h1..hN and edge namespaces c1, s1 on veths to tor0',
  fix: 'a name may be in use (`ip netns list`, `ip link`); pick another --name or bring the other lab down',
  async up(ctx) {
    const t = ctx.info.topology;
    if (!ctx.info.ovs) throw new Error('the switch step must run first');
    const ovs = attachOvs(ctx.info.ovs.dir);
    for (const n of t.nodes) {
      await createNetns(n.netns, ctx.ledger);
      await createVeth({ name: n.switchIf }, { name: n.ifname, netns: n.netns }, ctx.ledger);
      await run('ip', ['-n', n.netns, 'link', 'set', n.ifname, 'address', n.mac]);
      await addAddress(n.ifname, `${n.ip}/${n.prefixLen}`, n.netns);
      await txChecksumOff(n.ifname, n.netns);
      await txChecksumOff(n.switchIf);
      const ofport = await ovs.addPort(t.bridge, n.switchIf, n.ofport);
      if (ofport !== n.ofport) throw new Error(`${n.switchIf} got OpenFlow port ${ofport}, wanted ${n.ofport}`);
    }
    return t.nodes.map((n) => `${n.node}=${n.ip}@${n.ofport}`).join(' ');
  },
  async status(ctx) {
    const lines: StatusLine[] = [];
    for (const n of ctx.info.topology.nodes) {
      const ns = await netnsExists(n.netns);
      const inner = ns && (await linkIsUp(n.ifname, n.netns));
      const outer = await linkIsUp(n.switchIf);
      lines.push({ resource: `${n.node} (${n.role}) netns ${n.netns}`, health: ns && inner && outer ? 'ok' : 'fail',
        detail: `${n.ifname} ${n.ip}/${n.prefixLen} ${n.mac} ${inner ? 'up' : 'DOWN'} · ${n.switchIf} → ${ctx.info.topology.bridge} port ${n.ofport} ${outer ? 'up' : 'DOWN'}` });
    }
    return lines;
  },
};
