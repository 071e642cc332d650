// Live, through REST only (the operator's view) on the real parts: ZooKeeper (private), Open vSwitch (private), our
// OpenFlow controller, the orchestrator and the northbound API wired as `rackvisor controller --zookeeper --api-port`
// wires them. Hosts and NF instances are registered in ZooKeeper as host agents do.
//  - a firewall service's rules set over REST are offloaded to the ToR as ACL flows carrying the chain's ACL cookie
//    (ovs-ofctl dump-flows), the hop is skipped (no firewall placed, chain offloadedHops = 1, steering to the next
//    hop's host), the compiled pipeline endpoint says so; a stateful firewall is not offloaded, with the reason;
//  - the autoscaler's knobs set over REST land in ZooKeeper and the running controller applies them (a pps target
//    per instance makes it scale out; no restart);
//  - POST /scale is stored in ZooKeeper: a new orchestrator (controller restart) holds the same count.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { ClusterStore } from '../../cluster/store.js';
import { Controller } from '../../controller/index.js';
import { ControllerClusterView } from '../../controller/cluster-view.js';
import { Orchestrator, type OrchestratorEvent } from '../../controller/orchestrator.js';
import { TABLE } from '../../controller/pipeline/compile.js';
import { makeCookie } from '../../controller/pipeline/cookie.js';
import { Ledger } from '../../labs/lib/ledger.js';
import { startOvs } from '../../labs/lib/ovs.js';
import { startZooKeeper } from '../../labs/lib/zookeeper.js';
import { waitFor } from '../../labs/lib/exec.js';
import { controllerSwitchPort, orchestratorPipeline, orchestratorScaling, zkClusterPort } from '../../northbound-api/index.js';
import type { RunningApi } from '../../northbound-api/server.js';
import { http, start } from './support.js';

interface PipelineJson {
  flows: Array<{ table_id: number; cookie?: string; match: Record<string, unknown>; actions: unknown[] }>;
  offloads: Array<{ chain: string; service: string; offloaded: boolean; rules: number; reason?: string }>;
  problems: string[];
}

test('REST → ZooKeeper → controller → OVS: firewall offload, autoscale knobs applied live, scale override kept across a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rvt-nbo-'));
  const ledger = Ledger.open(join(dir, 'state.json'));
  const root = `/rvt${randomBytes(3).toString('hex')}`;
  const br = `rvn${randomBytes(2).toString('hex')}`;
  const dpidHex = randomBytes(8).toString('hex').replace(/^./, '0');
  const dpid = BigInt('0x' + dpidHex);
  const stores: ClusterStore[] = [];
  const ctrl = new Controller({ host: '127.0.0.1', port: 0, apps: [], log: () => undefined });
  let cluster: ControllerClusterView | undefined;
  let orch: Orchestrator | undefined;
  let api: RunningApi | undefined;
  try {
    const zk = await startZooKeeper({ dir: join(dir, 'zk'), ledger });
    await ctrl.start();
    const ovs = await startOvs({ ledger });
    await ovs.addBridge(br, { controller: `tcp:127.0.0.1:${ctrl.port}`, failMode: 'secure', dpid: dpidHex });
    for (let p = 1; p <= 4; p++) await ovs.vsctl('add-port', br, `${br}-p${p}`, '--', 'set', 'interface', `${br}-p${p}`, 'type=dummy', `ofport_request=${p}`);
    const open = async (): Promise<ClusterStore> => {
      const s = await ClusterStore.open({ connectString: zk.connectString, sessionTimeoutMs: 4000, root });
      stores.push(s);
      return s;
    };
    const apiStore = await open();
    await apiStore.ensureLayout();
    const agents = new Map<string, ClusterStore>();
    for (const [id, p] of [['h1', 3], ['h2', 4]] as const) {
      const s = await open();
      agents.set(id, s);
      await s.registerHost({ id, mac: `02:00:00:00:00:0${p}`, tunnelIp: `10.99.0.${p}`, switch: { dpid: dpidHex, port: p }, cores: 2, capacity: { maxInstances: 4 }, startedAt: Date.now() });
    }
    cluster = await ControllerClusterView.open({ connectString: zk.connectString, sessionTimeoutMs: 4000, root });
    const events: OrchestratorEvent[] = [];
    const startOrch = async (): Promise<Orchestrator> => {
      const o = new Orchestrator({ of: ctrl, cluster: cluster!, debounceMs: 10, auditMs: 0, resyncMs: 300 });
      o.subscribe((ev) => events.push(ev));
      await o.start();
      return o;
    };
    orch = await startOrch();
    const current = { orch };
    api = await start({
      switches: controllerSwitchPort(ctrl),
      cluster: zkClusterPort(apiStore),
      // through a holder: the "restarted" orchestrator below serves the same API
      scaling: orchestratorScaling({ get last() { return current.orch.last; }, setDesiredCount: (s, n) => current.orch.setDesiredCount(s, n), scalingState: () => current.orch.scalingState(), scalingPolicy: (s) => current.orch.scalingPolicy(s), compiledFor: (d) => current.orch.compiledFor(d) }),
      pipeline: orchestratorPipeline({ get last() { return current.orch.last; }, setDesiredCount: (s, n) => current.orch.setDesiredCount(s, n), scalingState: () => current.orch.scalingState(), compiledFor: (d) => current.orch.compiledFor(d) }),
    });
    t.true(await waitFor(() => ctrl.session(dpid) !== undefined, 15_000, 50), 'switch connected');

    // ---------------------------------------------------------------- the operator declares it all over REST
    const ok = async (method: string, path: string, body: unknown, status: number): Promise<unknown> => {
      const r = await http(api!, method, path, body);
      t.is(r.status, status, `${method} ${path}: ${r.text}`);
      return r.json;
    };
    await ok('POST', '/api/v1/tenants', { name: 't1', ports: [1, 2] }, 201);
    const rules = [{ action: 'drop', ipProto: 17, tpDst: 53 }, { action: 'drop', ipProto: 6, ipSrc: '10.9.0.0/16', tpDst: 22 }];
    await ok('POST', '/api/v1/services', { name: 'acl', kind: 'native', image: 'firewall', config: { firewall: { rules, offload: true } } }, 201);
    await ok('POST', '/api/v1/services', { name: 'mon', kind: 'native', image: 'monitor', limits: { minInstances: 1, maxInstances: 3 } }, 201);
    await ok('POST', '/api/v1/chains', { name: 'web', tenant: 't1', match: { inPort: 1, ipDst: '10.0.2.0/24' }, services: ['acl', 'mon'] }, 201);

    // the controller decides the offload, writes it to the chain and places only mon
    t.true(await waitFor(async () => ((await http(api!, 'GET', '/api/v1/chains/web')).json as { offloadedHops?: number }).offloadedHops === 1, 10_000, 50), 'chain offloadedHops = 1 (written by the controller)');
    let monHost = '';
    t.true(await waitFor(async () => {
      const a = await apiStore.listAssignments();
      monHost = [...a].find(([, d]) => d.value.instances.some((i) => i.service === 'mon'))?.[0] ?? '';
      return monHost !== '';
    }, 10_000, 50), 'mon assigned');
    t.false([...(await apiStore.listAssignments()).values()].some((d) => d.value.instances.some((i) => i.service === 'acl')), 'the offloaded firewall is not placed on any host');
    // the host agent runs what it was assigned
    await agents.get(monHost)!.registerInstance({ service: 'mon', serviceId: 2, host: monHost, index: 0, state: 'running', startedAt: Date.now() });
    const monPort = monHost === 'h1' ? 3 : 4;

    // ---------------------------------------------------------------- the switch: ACL flows with the chain's cookie
    const aclCookie = '0x' + makeCookie('acl', 'web').toString(16);
    const aclFlows = async (): Promise<string[]> => (await ovs.ofctl('dump-flows', br, `table=${TABLE.ACL}`)).split('\n').filter((l) => l.includes(`cookie=${aclCookie}`));
    t.true(await waitFor(async () => (await aclFlows()).length === 3, 10_000, 50), `3 ACL flows (2 rules + the chain's default) with cookie ${aclCookie}: ${(await aclFlows()).join('\n')}`);
    const acl = await aclFlows();
    t.true(acl.some((l) => /udp.*nw_dst=10\.0\.2\.0\/24.*tp_dst=53 actions=drop/.test(l)), acl.join('\n'));
    t.true(acl.some((l) => /tcp.*nw_src=10\.9\.0\.0\/16.*nw_dst=10\.0\.2\.0\/24.*tp_dst=22 actions=drop/.test(l)), acl.join('\n'));
    t.true(await waitFor(async () => new RegExp(`nw_dst=10\\.0\\.2\\.0/24 actions=output:${monPort}`).test(await ovs.ofctl('dump-flows', br, `table=${TABLE.STEER}`)), 10_000, 50), 'steering skips the firewall: straight to the host of mon');
    const trace = (flow: string): Promise<string> => ovs.appctl('ofproto/trace', br, flow);
    t.regex(await trace('udp,in_port=1,nw_src=10.0.1.5,nw_dst=10.0.2.7,udp_src=1000,udp_dst=53'), /Datapath actions: drop/, 'a rule drops at the switch');
    t.regex(await trace('udp,in_port=1,nw_src=10.0.1.5,nw_dst=10.0.2.7,udp_src=1000,udp_dst=80'), new RegExp(`Datapath actions: ${monPort - 1}|output:${monPort}`), 'allowed traffic goes to mon');

    // ---------------------------------------------------------------- the API: the compiled pipeline shows it
    const pipe = (await ok('GET', `/api/v1/switches/${dpidHex}/pipeline`, undefined, 200)) as PipelineJson;
    t.deepEqual(pipe.offloads, [{ chain: 'web', service: 'acl', offloaded: true, rules: 2 }]);
    t.is(pipe.flows.filter((f) => f.table_id === TABLE.ACL && f.cookie === aclCookie).length, 3);
    t.deepEqual(pipe.problems, []);

    // ---------------------------------------------------------------- not offloadable: stateful → the hop is back
    await ok('PUT', '/api/v1/services/acl', { name: 'acl', kind: 'native', image: 'firewall', config: { firewall: { rules, offload: true, stateless: false } } }, 200);
    t.true(await waitFor(async () => (await aclFlows()).length === 0, 10_000, 50), 'ACL flows removed from the switch');
    const pipe2 = (await ok('GET', `/api/v1/switches/${dpid}/pipeline`, undefined, 200)) as PipelineJson;
    t.like(pipe2.offloads, [{ chain: 'web', service: 'acl', offloaded: false }]);
    t.regex(pipe2.offloads[0]!.reason ?? '', /stateful/);
    t.true(pipe2.problems.some((p) => /acl not offloaded: stateful/.test(p)));
    t.true(await waitFor(async () => ((await http(api!, 'GET', '/api/v1/chains/web')).json as { offloadedHops?: number }).offloadedHops === undefined, 10_000, 50), 'offloadedHops cleared');
    t.true(await waitFor(async () => [...(await apiStore.listAssignments()).values()].some((d) => d.value.instances.some((i) => i.service === 'acl')), 10_000, 50), 'the firewall hop is placed again');

    // ---------------------------------------------------------------- autoscale knobs over REST, applied live
    const knobs = { outPps: 1000, inPps: 100, outFill: 0.95, sustainMs: 200, outCooldownMs: 500, inCooldownMs: 600_000 };
    const put = (await ok('PUT', '/api/v1/services/mon/autoscale', { enabled: true, minInstances: 1, maxInstances: 3, ...knobs }, 200)) as { effective: Record<string, number> };
    t.like((await apiStore.getService('mon'))?.value.autoscale, knobs, 'stored in ZooKeeper with the service');
    // the running controller sees them as soon as its view has the record (no restart)
    t.true(await waitFor(() => orch!.scalingPolicy('mon').outPps === 1000, 5000, 20), 'applied by the running controller');
    t.like(put.effective, { minInstances: 1, maxInstances: 3 });
    t.like(((await ok('GET', '/api/v1/services/mon/autoscale', undefined, 200)) as { effective: unknown }).effective, { ...knobs, minInstances: 1, maxInstances: 3, step: 1 });
    // 5000 pps on the one mon instance, ring nearly empty: only the pps target can trigger
    let seq = 0;
    const pub = setInterval(() => {
      seq++;
      void agents.get(monHost)!.publishStats(monHost, [{ instance: 'mon:0', t: Date.now(), seq, rxPkts: seq * 500, txPkts: seq * 500, dropPkts: 0, rxBytes: 0, txBytes: 0, pps: 5000, ringFill: 0.1 }]).catch(() => undefined);
    }, 100);
    try {
      t.true(await waitFor(async () => [...(await apiStore.listAssignments()).values()].flatMap((d) => d.value.instances).filter((i) => i.service === 'mon').length >= 2, 10_000, 50), 'a second mon instance assigned');
    } finally {
      clearInterval(pub);
    }
    const dec = events.find((e) => e.type === 'scaling' && e.decision.kind === 'scale-out' && e.decision.service === 'mon');
    t.truthy(dec);
    t.regex(dec?.type === 'scaling' && dec.decision.kind === 'scale-out' ? dec.decision.reason : '', /5000 pps\/instance ≥ 1000/, 'scaled out by the pps target set over REST');

    // ---------------------------------------------------------------- POST /scale is desired state in ZooKeeper
    await ok('POST', '/api/v1/services/mon/scale', { instances: 3 }, 202);
    t.is((await apiStore.getService('mon'))?.value.autoscale?.override, 3);
    t.like((await ok('GET', '/api/v1/services/mon/autoscale', undefined, 200)) as object, { enabled: false, desiredInstances: 3, outPps: 1000 });
    await orch.stop();
    orch = await startOrch();
    current.orch = orch;
    t.true(await waitFor(() => orch!.scalingState().find((s) => s.service === 'mon')?.override === 3, 5000, 20), 'the restarted orchestrator holds the stored count');
    await ok('PUT', '/api/v1/services/mon/autoscale', { enabled: true, minInstances: 1, maxInstances: 3, ...knobs }, 200);
    t.is((await apiStore.getService('mon'))?.value.autoscale?.override, undefined, 'enabled: the stored override is cleared');
    t.true(await waitFor(() => orch!.scalingState().find((s) => s.service === 'mon')?.override === null, 5000, 20), 'back to automatic');
  } finally {
    await api?.close().catch(() => undefined);
    await orch?.stop().catch(() => undefined);
    await cluster?.close().catch(() => undefined);
    await ctrl.stop().catch(() => undefined);
    for (const s of stores) await s.close().catch(() => undefined);
    await ledger.teardown();
    rmSync(dir, { recursive: true, force: true });
  }
});
