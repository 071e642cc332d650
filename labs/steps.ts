// THE EXTENSION POINT of the lab: the ordered list of steps `rackvisor lab up` runs.
// To plug in a later part, write labs/steps/<name>.ts exporting a LabStep (see labs/lab/context.ts) and add it
// below in order. A step records every process/netns/link/mount it creates in ctx.ledger (labs/lib/ledger.ts) —
// then `lab down` removes it with no extra code — and publishes facts for later steps/status in ctx.info.extra.
// A step named 'controller' makes fabric-check skip its temporary NORMAL flow.
import type { LabStep } from './lab/context.js';
import type { LabConfig } from './lab/config.js';
import { preflight } from './steps/preflight.js';
import { zookeeper } from './steps/zookeeper.js';
import { tor } from './steps/switch.js';
import { nodes } from './steps/nodes.js';
import { hugepages } from './steps/hugepages.js';
import { fabricCheck } from './steps/fabric-check.js';
import { controller } from './steps/controller.js';
import { agents } from './steps/agents.js';
import { demo } from './steps/demo.js';

/** The steps of a lab with this config (all of them without a config): `--fabric-only` keeps the fabric only
 * (fabric-check then proves it with its NORMAL flow), `--no-agents` stops after the controller, `--no-demo` after
 * the agents. */
export function labSteps(config?: Pick<LabConfig, 'controllerProcess' | 'agents' | 'demo'>): LabStep[] {
  const c = config ?? { controllerProcess: true, agents: true, demo: true };
  return [
    preflight,
    zookeeper,
    tor,
    nodes,
    hugepages,
    ...(c.controllerProcess ? [controller] : []),
    ...(c.controllerProcess && c.agents ? [agents] : []),
    fabricCheck,
    ...(c.controllerProcess && c.agents && c.demo ? [demo] : []),
  ];
}
