// The orchestration app: wires the pure parts (pipeline compiler, placement, autoscaler, failover) to the cluster
// view (ZooKeeper) and the OpenFlow sessions. On any change it recomputes the desired state and applies the
// difference: assignments/<host> in ZooKeeper (what each host agent runs), the service path ids of new chains,
// and each switch's flow tables (barrier-confirmed minimal diff). Only the elected leader writes; a follower
// computes the same thing and takes over without flushing flows (its first install diffs against the switch).
//
// Loaded by `rackvisor controller --zookeeper …` through startOrchestration() (cli/commands/controller.ts hook).
import { hostname } from 'node:os';
import type { Chain, FirewallConfig, HostRecord, InstanceRecord, ServiceRecord, StatsRecord, Tenant } from '../cluster/schemas.js';
import type { ControllerEvent, ControllerHandle } from './api.js';
import type { ControllerApp } from './apps/types.js';
import { ControllerClusterView } from './cluster-view.js';
import { ControllerElection } from './election.js';
import { applyLivenessEvent, emptyLiveness, isAlive, portIsDown, type HostAttachment, type LivenessState, type LivenessTransition } from './failover/failover.js';
import { compilePipeline, effectiveHops, offloadableFirewall, type CompiledPipeline } from './pipeline/compile.js';
import { PipelineInstaller, type InstallResult } from './pipeline/installer.js';
import type { ChainSpec, EndpointSpec, FirewallRule, FirewallSpec, PipelineModel, PipelineOptions, TenantSpec } from './pipeline/model.js';
import { place, type InstanceRef, type PlacementInput, type PlacementResult } from './placement/placement.js';
import { DEFAULT_POLICY, evaluate, initialState, setOverride, type ScalerState, type ScalingDecision, type ScalingPolicy } from './scaling/autoscaler.js';

// ------------------------------------------------------------------------------------------ cluster → models

export function dpidOf(hex: string): bigint {
  return BigInt('0x' + hex);
}

/** A firewall service's REST configuration → the compiler's firewall spec. */
export function firewallSpecOf(fw: FirewallConfig): FirewallSpec {
  return {
    stateless: fw.stateless,
    defaultAction: fw.defaultAction,
    rules: fw.rules.map((r) => {
      const out: FirewallRule = { action: r.action };
      if (r.ipSrc !== undefined) out.ipv4Src = r.ipSrc;
      if (r.ipDst !== undefined) out.ipv4Dst = r.ipDst;
      if (r.ipProto !== undefined) out.ipProto = r.ipProto;
      if (r.tpSrc !== undefined) out.srcPort = r.tpSrc;
      if (r.tpDst !== undefined) out.dstPort = r.tpDst;
      return out;
    }),
  };
}

/** Chain record (cluster) → pipeline chain. A chain-level VLAN becomes a per-chain tenant variant. Hops of services
 *  with a firewall configuration carry it; a firewall service asking for offload asks it of every chain it is in
 *  (the compiler offloads it where it is the leading hop and says why not elsewhere). */
export function chainSpecOf(c: Chain, services?: ReadonlyMap<string, ServiceRecord>): ChainSpec {
  const m = c.match;
  const hops = c.services.map((service) => {
    const fw = services?.get(service)?.config?.firewall;
    return fw ? { service, firewall: firewallSpecOf(fw) } : { service };
  });
  const spec: ChainSpec = { id: c.id, tenant: m.vlan !== undefined ? `${c.tenant}#vlan${m.vlan}` : c.tenant, match: {}, hops };
  if (c.services.some((s) => services?.get(s)?.config?.firewall?.offload === true)) spec.offloadFirewall = true;
  if (c.priority !== undefined) spec.priority = c.priority;
  if (m.inPort !== undefined) spec.match.inPorts = [m.inPort];
  if (m.ipSrc !== undefined) spec.match.ipv4Src = m.ipSrc;
  if (m.ipDst !== undefined) spec.match.ipv4Dst = m.ipDst;
  if (m.ipProto !== undefined) spec.match.ipProto = m.ipProto;
  if (m.tpSrc !== undefined) spec.match.srcPort = m.tpSrc;
  if (m.tpDst !== undefined) spec.match.dstPort = m.tpDst;
  return spec;
}

export function tenantSpecsOf(tenants: Tenant[], chains: Chain[]): TenantSpec[] {
  const out: TenantSpec[] = tenants.map((t) => ({ id: t.id, ...(t.ports ? { ports: t.ports } : {}), ...(t.vlan !== undefined && t.vlan > 0 ? { vlan: t.vlan } : {}) }));
  for (const c of chains) {
    if (c.match.vlan === undefined) continue;
    const base = tenants.find((t) => t.id === c.tenant);
    const id = `${c.tenant}#vlan${c.match.vlan}`;
    if (!out.some((t) => t.id === id)) out.push({ id, ...(base?.ports ? { ports: base.ports } : {}), ...(c.match.vlan > 0 ? { vlan: c.match.vlan } : {}) });
  }
  return out;
}

export interface ClusterSnapshot {
  hosts: Map<string, HostRecord>;
  services: Map<string, ServiceRecord>;
  tenants: Tenant[];
  chains: Chain[];
  instances: InstanceRecord[];
  assignments: Map<string, Array<{ service: string; index: number; config?: Record<string, string | number | boolean> }>>;
}

export function drainKey(i: { service: string; host: string; index: number }): string {
  return `${i.host}/${i.service}:${i.index}`;
}

/** Pipeline model from the cluster: ready = running and not draining. */
export function pipelineModelOf(s: ClusterSnapshot, liveness: LivenessState, draining: Set<string>, extra: { endpoints?: EndpointSpec[]; options?: PipelineOptions } = {}): PipelineModel {
  return {
    tenants: tenantSpecsOf(s.tenants, s.chains),
    hosts: [...s.hosts.values()].map((h) => ({ id: h.id, port: h.switch.port, mac: h.mac, dpid: dpidOf(h.switch.dpid), alive: isAlive(liveness, h.id) })),
    endpoints: extra.endpoints ?? [],
    chains: s.chains.map((c) => chainSpecOf(c, s.services)),
    instances: s.instances.map((i) => ({ id: drainKey(i), service: i.service, host: i.host, ready: i.state === 'running' && !draining.has(drainKey(i)) })),
    ...(extra.options ? { options: extra.options } : {}),
  };
}

export function placementInputOf(s: ClusterSnapshot, liveness: LivenessState, desired: Record<string, number>, draining: Set<string>, hopAffinity?: 'colocate' | 'spread'): PlacementInput {
  const current: InstanceRef[] = [];
  const avoid: InstanceRef[] = [];
  for (const [host, list] of s.assignments) {
    for (const a of list) (draining.has(drainKey({ ...a, host })) ? avoid : current).push({ service: a.service, host, index: a.index });
  }
  return {
    hosts: [...s.hosts.values()].map((h) => ({ id: h.id, capacity: h.capacity.maxInstances, alive: isAlive(liveness, h.id) })),
    services: [...s.services.values()].map((v) => ({ name: v.name, cost: 1 })),
    chains: s.chains.map((c) => {
      const hops = effectiveHops(chainSpecOf(c, s.services)).map((h) => h.service);
      return { id: c.id, tenant: c.tenant, hops, ...(c.pathId !== undefined ? { pathId: c.pathId } : {}) };
    }),
    desired,
    current,
    avoid,
    ...(hopAffinity ? { options: { hopAffinity } } : {}),
  };
}

// ------------------------------------------------------------------------------------------ the app

export interface OrchestratorOptions {
  of: ControllerHandle;
  cluster: ControllerClusterView;
  /** Leader test; default: always leader (single controller). */
  isLeader?: () => boolean;
  scaling?: Partial<ScalingPolicy>;
  /** Per-service policy overrides (min/max default from the service's limits). */
  scalingPerService?: Record<string, Partial<ScalingPolicy>>;
  hopAffinity?: 'colocate' | 'spread';
  pipeline?: PipelineOptions;
  /** Registered L2 endpoints (clients/servers on edge ports), e.g. from the lab. */
  endpoints?: EndpointSpec[];
  /** Coalescing delay of passes triggered by cluster changes (ms, default 20). Liveness changes run at once. */
  debounceMs?: number;
  /** Full switch audit period (ms, default 30000; 0 = never). */
  auditMs?: number;
  /** Periodic pass (re-reads assignments and instances from ZooKeeper) in ms, default 2000; 0 = never. */
  resyncMs?: number;
  now?: () => number;
  log?: (level: 'info' | 'warn', text: string) => void;
}

export interface PassResult {
  at: number;
  ms: number;
  cause: string;
  placement: PlacementResult;
  pipeline: CompiledPipeline;
  installs: Array<{ dpid: bigint; result?: InstallResult; error?: string }>;
  assignmentsWritten: string[];
  leader: boolean;
}

export type OrchestratorEvent =
  | { type: 'pass'; pass: PassResult }
  | { type: 'liveness'; transition: LivenessTransition; detectedAt: number }
  | { type: 'scaling'; decision: ScalingDecision; at: number }
  | { type: 'error'; message: string };

export class Orchestrator {
  private liveness: LivenessState = emptyLiveness();
  private readonly scalers = new Map<string, ScalerState>();
  /** autoscale.override of each service as last seen in ZooKeeper (undefined: not looked at yet) */
  private readonly seenOverride = new Map<string, number | null>();
  private readonly draining = new Map<string, { service: string; host: string; index: number }>();
  /** told to stop: left out of placement and steering until their assignment entry is gone */
  private readonly stopping = new Set<string>();
  /** assignments/<host> as last read from ZooKeeper or written by us (the leader is their only writer) */
  private assignCache: ClusterSnapshot['assignments'] | null = null;
  private readonly installers = new Map<bigint, PipelineInstaller>();
  private readonly listeners = new Set<(ev: OrchestratorEvent) => void>();
  private unsubscribeOf: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private auditTimer: NodeJS.Timeout | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private again: string | null = null;
  private stopped = false;
  private auditNext = false;
  private lastPass: PassResult | null = null;
  /** what the last pass compiled for each switch it installed on */
  private readonly compiledBySwitch = new Map<bigint, CompiledPipeline>();
  private lastModel: PipelineModel | null = null;
  private readonly onChange = (ev: { kind: string }): void => {
    if (ev.kind === 'stats') this.scaleSoon();
    else if (ev.kind === 'host') this.trigger('hosts', 0);
    else if (ev.kind !== 'assignment') this.trigger(`cluster:${ev.kind}`);
  };
  private scaleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: OrchestratorOptions) {}

  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }

  private log(level: 'info' | 'warn', text: string): void {
    this.opts.log?.(level, `[orchestrator] ${text}`);
  }

  private emit(ev: OrchestratorEvent): void {
    for (const l of this.listeners) l(ev);
  }

  subscribe(fn: (ev: OrchestratorEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get last(): PassResult | null {
    return this.lastPass;
  }

  /** The pipeline the last pass compiled for `dpid` (a follower, which installs nothing, compiles it on demand). */
  compiledFor(dpid: bigint): CompiledPipeline | null {
    const own = this.compiledBySwitch.get(dpid);
    if (own) return own;
    if (!this.lastModel) return null;
    return compilePipeline({ ...this.lastModel, dpid });
  }

  isLeader(): boolean {
    return this.opts.isLeader ? this.opts.isLeader() : true;
  }

  start(): Promise<void> {
    this.unsubscribeOf = this.opts.of.subscribe((ev) => this.onOf(ev));
    this.opts.cluster.view.on('change', this.onChange);
    const audit = this.opts.auditMs ?? 30_000;
    if (audit > 0) {
      this.auditTimer = setInterval(() => {
        this.auditNext = true;
        this.trigger('audit', 0);
      }, audit);
      this.auditTimer.unref?.();
    }
    const resync = this.opts.resyncMs ?? 2000;
    if (resync > 0) {
      this.resyncTimer = setInterval(() => {
        // also runs the autoscalers: drain timeouts and stale stats must be noticed when no stats arrive
        this.evaluateScaling();
        this.trigger('resync');
      }, resync);
      this.resyncTimer.unref?.();
    }
    // switches already connected
    for (const sw of this.opts.of.switches()) this.switchUp(sw.dpid, sw.ports);
    return this.runPass('start');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribeOf?.();
    this.opts.cluster.view.off('change', this.onChange);
    if (this.timer) clearTimeout(this.timer);
    if (this.scaleTimer) clearTimeout(this.scaleTimer);
    if (this.auditTimer) clearInterval(this.auditTimer);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await this.running?.catch(() => undefined);
  }

  /** REST: desired instance count of a service (null = back to automatic scaling). */
  setDesiredCount(service: string, count: number | null): Promise<void> {
    const s = this.scalers.get(service) ?? initialState(service, Math.max(0, count ?? 1));
    this.scalers.set(service, setOverride(s, count));
    this.evaluateScaling();
    return this.runPass(`override ${service}=${count}`);
  }

  scalingState(): ScalerState[] {
    return [...this.scalers.values()].map((s) => ({ ...s, draining: [...s.draining] }));
  }

  livenessState(): LivenessState {
    return { portDown: { ...this.liveness.portDown }, sessionDown: { ...this.liveness.sessionDown } };
  }

  // ---------------------------------------------------------------- events

  private attachments(): HostAttachment[] {
    return [...this.opts.cluster.hosts().values()].map((h) => ({ id: h.id, port: h.switch.port, dpid: dpidOf(h.switch.dpid) }));
  }

  private liveEvent(ev: Parameters<typeof applyLivenessEvent>[2]): void {
    const detectedAt = this.now();
    const r = applyLivenessEvent(this.liveness, this.attachments(), ev);
    this.liveness = r.state;
    for (const tr of r.transitions) {
      this.log(tr.alive ? 'info' : 'warn', `host ${tr.host} ${tr.alive ? 'back' : 'DOWN'} (${tr.cause})`);
      this.emit({ type: 'liveness', transition: tr, detectedAt });
    }
    if (r.transitions.length > 0) this.trigger(`liveness:${r.transitions.map((x) => `${x.host}=${x.alive ? 'up' : 'down'}`).join(',')}`, 0);
  }

  private switchUp(dpid: bigint, ports: Array<{ port_no: number; state: number; config: number }>): void {
    const sess = this.opts.of.session(dpid);
    if (!sess) return;
    this.installers.set(dpid, new PipelineInstaller(sess));
    // a host whose port is already down when the switch connects
    for (const p of ports) this.liveEvent({ kind: 'port-status', at: this.now(), dpid, reason: 'MODIFY', port: p });
  }

  private onOf(ev: ControllerEvent): void {
    if (this.stopped) return;
    switch (ev.type) {
      case 'switch-up':
        this.switchUp(ev.dpid, ev.info.ports);
        this.trigger('switch-up', 0);
        break;
      case 'switch-down':
        this.installers.delete(ev.dpid);
        this.compiledBySwitch.delete(ev.dpid);
        break;
      case 'port-status':
        if (portIsDown(ev.reason, ev.port) || this.liveness.portDown[this.hostOnPort(ev.dpid, ev.port.port_no) ?? ''] !== undefined) {
          this.liveEvent({ kind: 'port-status', at: this.now(), dpid: ev.dpid, reason: ev.reason, port: ev.port });
        }
        break;
      default:
        break;
    }
  }

  private hostOnPort(dpid: bigint, port: number): string | undefined {
    return this.attachments().find((h) => h.port === port && (h.dpid === undefined || h.dpid === dpid))?.id;
  }

  // ---------------------------------------------------------------- scaling

  private scaleSoon(): void {
    if (this.scaleTimer || this.stopped) return;
    this.scaleTimer = setTimeout(() => {
      this.scaleTimer = undefined;
      if (this.evaluateScaling()) this.trigger('scaling', 0);
    }, 50);
  }

  /** The policy the autoscaler applies to `service`: defaults < controller options (scaling, scalingPerService) <
   *  the service's own settings in ZooKeeper (services/<name> autoscale, set over REST); min/max from its limits. */
  scalingPolicy(service: string): ScalingPolicy {
    const rec = this.opts.cluster.services().get(service);
    const p: ScalingPolicy = { ...DEFAULT_POLICY, ...(this.opts.scaling ?? {}), ...(this.opts.scalingPerService?.[service] ?? {}) };
    if (rec) {
      const { override: _o, ...knobs } = rec.autoscale ?? {};
      for (const [k, v] of Object.entries(knobs) as Array<[keyof typeof knobs, number | undefined]>) if (v !== undefined) p[k] = v;
      p.min = Math.max(p.min === DEFAULT_POLICY.min ? rec.limits.minInstances : p.min, 0);
      p.max = Math.max(p.min, Math.min(p.max, rec.limits.maxInstances || p.max));
    }
    return p;
  }

  private policyFor(service: string): ScalingPolicy {
    this.syncOverride(service);
    return this.scalingPolicy(service);
  }

  /** The REST override stored in ZooKeeper (services/<name> autoscale.override) → the scaler, whenever it changes
   *  there: a restarted or newly elected controller holds the count the operator set. */
  private syncOverride(service: string): void {
    const rec = this.opts.cluster.services().get(service);
    if (!rec) return;
    const want = rec.autoscale?.override ?? null;
    const seen = this.seenOverride.get(service);
    if (seen === want) return;
    this.seenOverride.set(service, want);
    // the first look only applies a stored override (an in-process setDesiredCount may already hold one)
    if (seen === undefined && want === null) return;
    const s = this.scalers.get(service) ?? initialState(service, Math.max(0, want ?? 1));
    if (s.override !== want) this.scalers.set(service, setOverride(s, want));
  }

  private servicesInUse(): string[] {
    const s = new Set<string>();
    const services = this.opts.cluster.services();
    for (const c of this.opts.cluster.chains()) for (const h of effectiveHops(chainSpecOf(c, services))) s.add(h.service);
    return [...s].sort();
  }

  /** Runs every service's autoscaler on the latest stats; returns true if the desired state changed. */
  private evaluateScaling(): boolean {
    const now = this.now();
    const stats: StatsRecord[] = this.opts.cluster.stats();
    const assignments = new Map([...(this.assignCache ?? new Map([...this.opts.cluster.assignments()].map(([h, d]) => [h, d.instances])))].map(([h, l]) => [h, { instances: l }]));
    const hosts = this.opts.cluster.hosts();
    let changed = false;
    for (const service of this.servicesInUse()) {
      const policy = this.policyFor(service);
      const state = this.scalers.get(service) ?? initialState(service, Math.max(policy.min, 1));
      const instances: string[] = [];
      // instances of alive hosts only: a dead host's leftover assignment must not look like spare capacity
      for (const [host, doc] of assignments) {
        if (!hosts.has(host) || !isAlive(this.liveness, host)) continue;
        for (const a of doc.instances) if (a.service === service) instances.push(drainKey({ service, host, index: a.index }));
      }
      const samples = stats
        .filter((x) => x.instance.startsWith(`${service}:`))
        .map((x) => ({ instance: `${x.host}/${x.instance}`, t: x.t, pps: x.pps, ringFill: x.ringFill }));
      const r = evaluate(state, policy, { now, instances, samples });
      this.scalers.set(service, r.state);
      for (const d of r.decisions) {
        changed = true;
        this.emit({ type: 'scaling', decision: d, at: now });
        this.log('info', `scaling ${service}: ${d.kind}${d.kind === 'stop' ? ` ${d.instance} (${d.reason})` : ` ${d.from} → ${d.to}${d.kind === 'scale-in' ? `, draining ${d.drain}` : ''} (${d.reason})`}`);
        if (d.kind === 'scale-in') {
          const [host, rest] = d.drain.split('/') as [string, string];
          const index = Number(rest.slice(rest.lastIndexOf(':') + 1));
          this.draining.set(d.drain, { service, host, index });
        } else if (d.kind === 'stop') {
          this.draining.delete(d.instance);
          this.stopping.add(d.instance);
        }
      }
      if (r.state.target !== state.target) changed = true;
    }
    return changed;
  }

  // ---------------------------------------------------------------- passes

  /** Schedule a pass (coalesced). delay 0 = as soon as the running pass ends. */
  trigger(cause: string, delay = this.opts.debounceMs ?? 20): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = this.again ? `${this.again}+${cause}` : cause;
      return;
    }
    if (this.timer) {
      if (delay > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runPass(cause).catch(() => undefined);
    }, delay);
  }

  /** Run one pass now (after the running one). */
  async runPass(cause: string): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
    if (this.stopped) return;
    this.running = this.pass(cause);
    try {
      await this.running;
    } finally {
      this.running = null;
      if (this.again && !this.stopped) {
        const c = this.again;
        this.again = null;
        this.trigger(c, 0);
      }
    }
  }

  /** The cluster as the view has it, except assignments and instances, read from ZooKeeper itself (getChildren +
   *  gets, pipelined): assignments are what this pass diffs against and writes, instances decide where traffic is
   *  steered; neither may be a stale cached copy (the live view was seen missing an instance re-created under the
   *  same key). */
  private async snapshot(): Promise<ClusterSnapshot> {
    const c = this.opts.cluster;
    const services = c.services();
    const names = [...new Set([...services.keys(), ...this.servicesInUse()])].sort();
    const [docs, ...perService] = await Promise.all([
      c.store.listAssignments(),
      ...names.map((n) => c.store.listInstances(n).catch(() => new Map<string, InstanceRecord>())),
    ]);
    const assignments = new Map([...docs].map(([h, d]) => [h, d.value.instances]));
    this.assignCache = assignments;
    const instances = perService.flatMap((m) => [...m.values()]);
    return { hosts: c.hosts(), services, tenants: c.tenants(), chains: c.chains(), instances, assignments };
  }

  private desiredCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const service of this.servicesInUse()) {
      const policy = this.policyFor(service);
      const s = this.scalers.get(service) ?? initialState(service, Math.max(policy.min, 1));
      if (!this.scalers.has(service)) this.scalers.set(service, s);
      out[service] = s.override ?? s.target;
    }
    return out;
  }

  private async pass(cause: string): Promise<void> {
    const t0 = performance.now();
    const leader = this.isLeader();
    try {
      // new chains get a service path id (ZooKeeper vni/ allocation) before anything is placed
      if (leader) {
        await this.ensurePathIds();
        await this.ensureOffloadedHops();
      }
      const snap = await this.snapshot();
      // a stopped instance is forgotten once no assignment lists it any more
      for (const k of [...this.stopping]) {
        const [host, rest] = k.split('/') as [string, string];
        const listed = (snap.assignments.get(host) ?? []).some((a) => `${a.service}:${a.index}` === rest);
        if (!listed) this.stopping.delete(k);
      }
      const drainingSet = new Set([...this.draining.keys(), ...this.stopping]);
      const input = placementInputOf(snap, this.liveness, this.desiredCounts(), drainingSet, this.opts.hopAffinity);
      const placement = place(input);
      for (const u of placement.unplaced) this.log('warn', `cannot place ${u.missing} × ${u.service}: ${u.reason}`);
      const written = leader ? await this.writeAssignments(snap, placement) : [];
      const model = pipelineModelOf(snap, this.liveness, drainingSet, { ...(this.opts.endpoints ? { endpoints: this.opts.endpoints } : {}), ...(this.opts.pipeline ? { options: this.opts.pipeline } : {}) });
      this.lastModel = model;
      const installs: PassResult['installs'] = [];
      let pipeline = compilePipeline(model);
      const audit = this.auditNext;
      this.auditNext = false;
      if (leader) {
        await Promise.all(
          [...this.installers].map(async ([dpid, inst]) => {
            const compiled = compilePipeline({ ...model, dpid });
            pipeline = compiled;
            this.compiledBySwitch.set(dpid, compiled);
            try {
              installs.push({ dpid, result: await inst.install(compiled, { audit }) });
            } catch (e) {
              installs.push({ dpid, error: (e as Error).message });
              this.log('warn', `install on ${dpid.toString(16)} failed: ${(e as Error).message}`);
            }
          }),
        );
      }
      for (const p of pipeline.problems) this.log('warn', `pipeline: ${p}`);
      const pass: PassResult = { at: this.now(), ms: performance.now() - t0, cause, placement, pipeline, installs, assignmentsWritten: written, leader };
      this.lastPass = pass;
      this.emit({ type: 'pass', pass });
    } catch (e) {
      this.log('warn', `pass (${cause}) failed: ${(e as Error).message}`);
      this.emit({ type: 'error', message: (e as Error).message });
    }
  }

  private chainIdsSeen = '';

  private async ensurePathIds(): Promise<void> {
    // deleted chains give their service path id back (checked whenever the set of chains changed)
    const ids = this.opts.cluster.chains().map((c) => `${c.tenant}/${c.id}`).sort().join(',');
    if (ids !== this.chainIdsSeen) {
      const live = new Set(this.opts.cluster.chains().map((c) => `${c.tenant}/${c.id}`));
      for (const p of await this.opts.cluster.store.listPaths()) {
        if (!live.has(`${p.tenant}/${p.chain}`)) {
          await this.opts.cluster.releasePath(p.pathId);
          this.log('info', `service path ${p.pathId} of deleted chain ${p.chain} released`);
        }
      }
      this.chainIdsSeen = ids;
    }
    const missing = this.opts.cluster.chains().filter((c) => c.pathId === undefined);
    if (missing.length === 0) return;
    const alloc = new Map<string, number>();
    for (const c of missing) alloc.set(c.id, await this.opts.cluster.allocatePath(c.tenant, c.id));
    await this.opts.cluster.updateChains((cur) => cur.map((c) => (c.pathId === undefined && alloc.has(c.id) ? { ...c, pathId: alloc.get(c.id)! } : c)));
    await this.opts.cluster.waitFor(() => this.opts.cluster.chains().every((c) => c.pathId !== undefined || !alloc.has(c.id)), 5000).catch(() => undefined);
  }

  /** policy/chains offloadedHops = the hops the switch enforces (an offloaded leading firewall), so that the host
   *  agents build the chain's service path (and VNIs) without them. Written before the switch starts skipping the
   *  hop; the compiler's decision (pure, same inputs) is the only source. */
  private async ensureOffloadedHops(): Promise<void> {
    const services = this.opts.cluster.services();
    const want = new Map(this.opts.cluster.chains().map((c) => [c.id, offloadableFirewall(chainSpecOf(c, services)) ? 1 : 0]));
    if (this.opts.cluster.chains().every((c) => (c.offloadedHops ?? 0) === want.get(c.id))) return;
    await this.opts.cluster.updateChains((cur) =>
      cur.map((c) => {
        const n = want.get(c.id) ?? (c.offloadedHops ?? 0);
        if ((c.offloadedHops ?? 0) === n) return c;
        this.log('info', `chain ${c.id}: ${n > 0 ? `firewall ${c.services[0]} offloaded to the switch, hop skipped` : 'no hop offloaded'}`);
        const { offloadedHops: _o, ...rest } = c;
        return n > 0 ? { ...rest, offloadedHops: n } : rest;
      }),
    );
    await this.opts.cluster.waitFor(() => this.opts.cluster.chains().every((c) => (c.offloadedHops ?? 0) === (want.get(c.id) ?? (c.offloadedHops ?? 0))), 5000).catch(() => undefined);
  }

  /** assignments/<host> = placed instances (+ draining ones marked draining until they are stopped). */
  private async writeAssignments(snap: ClusterSnapshot, placement: PlacementResult): Promise<string[]> {
    const want = new Map<string, Array<{ service: string; index: number; config?: Record<string, string | number | boolean> }>>();
    for (const [host, list] of Object.entries(placement.assignments)) want.set(host, list.map((a) => ({ service: a.service, index: a.index })));
    for (const d of this.draining.values()) {
      const list = want.get(d.host);
      if (!list) continue; // host gone: nothing to drain
      if (!list.some((a) => a.service === d.service && a.index === d.index)) list.push({ service: d.service, index: d.index, config: { draining: true } });
    }
    // hosts that are registered but dead (port down) or that vanished keep no assignment
    for (const host of snap.assignments.keys()) if (!want.has(host)) want.set(host, []);
    const written: string[] = [];
    const norm = (l: Array<{ service: string; index: number; config?: Record<string, string | number | boolean> }>): string =>
      JSON.stringify([...l].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : a.index - b.index)).map((a) => [a.service, a.index, a.config?.draining === true]));
    for (const [host, list] of [...want].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      const cur = snap.assignments.get(host);
      if (cur && norm(cur) === norm(list)) continue;
      if (!cur && list.length === 0) continue;
      const sorted = [...list].sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : a.index - b.index));
      await this.opts.cluster.updateAssignment(host, () => sorted);
      this.assignCache?.set(host, sorted);
      written.push(host);
    }
    return written;
  }
}

// ------------------------------------------------------------------------------------------ CLI hook

export interface OrchestrationContext {
  controller: ControllerHandle & { apps?: ControllerApp[] };
  handle?: ControllerHandle;
  zookeeper: string;
  root: string;
  log?: (level: 'info' | 'warn', text: string) => void;
  /** optional extras (lab/tests) */
  controllerId?: string;
  sessionTimeoutMs?: number;
  orchestrator?: Partial<Omit<OrchestratorOptions, 'of' | 'cluster' | 'isLeader'>>;
}

/** Orchestrator options from the environment (for `rackvisor controller --zookeeper`, e.g. set by the lab):
 *  RACKVISOR_ORCHESTRATOR='{"hopAffinity":"spread","scaling":{"sustainMs":500},"endpoints":[{"mac":"02:..","port":101}],
 *  "pipeline":{"l2Miss":"flood"},"resyncMs":2000}' (JSON; endpoint dpids as hex strings). Invalid JSON is an error. */
export function orchestratorOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Omit<OrchestratorOptions, 'of' | 'cluster' | 'isLeader'>> {
  const raw = env.RACKVISOR_ORCHESTRATOR;
  if (!raw) return {};
  let j: unknown;
  try {
    j = JSON.parse(raw);
  } catch (e) {
    throw new Error(`RACKVISOR_ORCHESTRATOR is not valid JSON: ${(e as Error).message}`);
  }
  if (!j || typeof j !== 'object') throw new Error('RACKVISOR_ORCHESTRATOR must be a JSON object');
  const o = j as Record<string, unknown>;
  const out: Partial<Omit<OrchestratorOptions, 'of' | 'cluster' | 'isLeader'>> = {};
  if (o.hopAffinity === 'spread' || o.hopAffinity === 'colocate') out.hopAffinity = o.hopAffinity;
  if (o.scaling && typeof o.scaling === 'object') out.scaling = o.scaling as Partial<ScalingPolicy>;
  if (o.pipeline && typeof o.pipeline === 'object') out.pipeline = o.pipeline as PipelineOptions;
  for (const k of ['debounceMs', 'auditMs', 'resyncMs'] as const) if (typeof o[k] === 'number') out[k] = o[k];
  if (Array.isArray(o.endpoints)) {
    out.endpoints = (o.endpoints as Array<{ mac?: unknown; port?: unknown; dpid?: unknown }>).map((e) => {
      if (typeof e.mac !== 'string' || typeof e.port !== 'number') throw new Error('RACKVISOR_ORCHESTRATOR endpoints need {mac, port}');
      return { mac: e.mac, port: e.port, ...(typeof e.dpid === 'string' ? { dpid: BigInt('0x' + e.dpid.replace(/^0x/, '')) } : {}) };
    });
  }
  return out;
}

/** Starts cluster view + leader election + orchestrator on a running controller. */
export async function startOrchestration(ctx: OrchestrationContext): Promise<{ stop(): Promise<void>; orchestrator: Orchestrator; cluster: ControllerClusterView; election: ControllerElection }> {
  const envOpts = orchestratorOptionsFromEnv();
  const of = ctx.handle ?? ctx.controller;
  const log = ctx.log ?? ((level, text) => (level === 'warn' ? console.warn(text) : console.log(text)));
  // The pipeline owns tables 0-3; the reactive L2 app would put learned flows in table 0 ahead of steering.
  const apps = ctx.controller.apps;
  if (apps) {
    const i = apps.findIndex((a) => a.name === 'l2-learning');
    if (i >= 0) {
      apps.splice(i, 1);
      log('info', '[orchestrator] L2 learning app disabled: the pipeline forwards L2 (registered MACs + edge flood)');
    }
  }
  const cluster = await ControllerClusterView.open({ connectString: ctx.zookeeper, sessionTimeoutMs: ctx.sessionTimeoutMs ?? 4000, root: ctx.root });
  await cluster.store.ensureLayout();
  const election = new ControllerElection(cluster.store, { controllerId: ctx.controllerId ?? `${hostname()}-${process.pid}`, of, log });
  const orchestrator = new Orchestrator({ ...envOpts, ...(ctx.orchestrator ?? {}), of, cluster, isLeader: () => election.isLeader, log });
  election.on('role', ({ role }) => {
    if (role === 'MASTER') orchestrator.trigger('leader', 0);
  });
  try {
    await election.start();
    await orchestrator.start();
  } catch (e) {
    await orchestrator.stop().catch(() => undefined);
    await election.stop().catch(() => undefined);
    await cluster.close().catch(() => undefined);
    throw e;
  }
  log('info', `[orchestrator] running (${election.isLeader ? 'leader' : 'follower'}) on ${ctx.zookeeper}${ctx.root}`);
  return {
    orchestrator,
    cluster,
    election,
    async stop() {
      await orchestrator.stop();
      await election.stop().catch(() => undefined);
      await cluster.close();
    },
  };
}
