// Test helper: the smallest cluster state that makes the orchestrator steer traffic — service `fw` (id 1),
// tenant t1 on ToR ports 1 and 2, chain `web` (in_port 1 → fw), host h1 on ToR port 11 running fw:0.
import type { ClusterStore } from '../../cluster/store.js';

/** Writes the policy with `admin` and registers host h1 and its fw instance with `agent` (the host's
 *  records are ephemeral: they live as long as that store's session; pass `admin` twice for one session). */
export async function seedFwChain(admin: ClusterStore, agent: ClusterStore, dpidHex: string): Promise<void> {
  await admin.putService({ name: 'fw', id: 1, kind: 'native', limits: { minInstances: 1, maxInstances: 2 } });
  await admin.putTenants({ tenants: [{ id: 't1', name: 't1', ports: [1, 2] }] }, 'any');
  await admin.putChains({ chains: [{ id: 'web', tenant: 't1', services: ['fw'], match: { inPort: 1 } }] }, 'any');
  await agent.registerHost({ id: 'h1', mac: '02:00:00:00:01:0b', tunnelIp: '10.99.0.11', switch: { dpid: dpidHex, port: 11 }, cores: 2, capacity: { maxInstances: 2 }, startedAt: Date.now() });
  await agent.registerInstance({ service: 'fw', serviceId: 1, host: 'h1', index: 0, state: 'running', startedAt: Date.now() });
}
