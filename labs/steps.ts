// THE EXTENSION POINT of the lab: the ordered list of steps `rackvisor lab up` runs.
// To plug in a later part (controller, host agents, demo chain), write labs/steps/<name>.ts
// exporting a LabStep (see labs/lab/context.ts) and add it below in order. A step records every
// process/netns/link/mount it creates in ctx.ledger (labs/lib/ledger.ts) — then `lab down` removes
// it with no extra code — and publishes facts for later steps/status in ctx.info.extra.
// A step named 'controller' makes fabric-check skip its temporary NORMAL flow.
import type { LabStep } from './lab/context.js';
import { preflight } from './steps/preflight.js';
import { zookeeper } from './steps/zookeeper.js';
import { tor } from './steps/switch.js';
import { nodes } from './steps/nodes.js';
import { hugepages } from './steps/hugepages.js';
import { fabricCheck } from './steps/fabric-check.js';

export function labSteps(): LabStep[] {
  return [
    preflight,
    zookeeper,
    tor,
    nodes,
    hugepages,
    // controller step goes here (starts `rackvisor controller` on the --controller target, with ZooKeeper)
    // host-agent step goes here (one `rackvisor host` per host namespace, hugepages dir above)
    fabricCheck,
    // demo step goes here (the demo service chain + traffic c1 → s1)
  ];
}
