// The controller's side of the cluster state: a live view (hosts, services, instances, stats,
// assignments, policy) kept current by ZooKeeper watches, plus the desired-state writes the
// controller makes (services, policy, assignments, service paths), all compare-and-set.
// Placement, scaling and failover read `view` and write through the methods here.
import { ClusterStore, type Expect, type StoreOptions, type Versioned } from '../cluster/store.js';
import { LiveView, type LiveViewOptions, type ViewEvent } from '../cluster/view.js';
import type { AssignedInstance, AssignmentDoc, Chain, ChainsDoc, HostRecord, InstanceRecord, ServiceRecord, StatsRecord, Tenant,
  TenantsDoc } from '../cluster/schemas.js';

export type { ViewEvent };

export class ControllerClusterView {
  readonly store: ClusterStore;
  readonly view: LiveView;
  private readonly ownsStore: boolean;

  private readonly gcTimers = new Set<NodeJS.Timeout>();

  private constructor(store: ClusterStore, view: LiveView, ownsStore: boolean) {
    this.store = store;
    this.view = view;
    this.ownsStore = ownsStore;
    // A host's stats nodes are ephemeral and vanish with it; its (then empty) stats/<host> directory is
    // removed a moment later unless the host came back (deleting only succeeds if it is empty).
    view.on('host', (e) => {
      if (e.op !== 'removed') return;
      const t = setTimeout(() => {
        this.gcTimers.delete(t);
        if (!this.view.hosts().has(e.id)) void this.store.gcStats(e.id).catch(() => undefined);
      }, 1000);
      t.unref();
      this.gcTimers.add(t);
    });
  }

  /** Opens a session (or uses `store`), loads the whole view and keeps it live. */
  static async open(opts: { store: ClusterStore } | StoreOptions, viewOpts: LiveViewOptions = {}): Promise<ControllerClusterView> {
    const owns = !('store' in opts);
    const store = 'store' in opts ? opts.store : await ClusterStore.open(opts);
    try {
      const view = new LiveView(store, viewOpts);
      await view.start();
      return new ControllerClusterView(store, view, owns);
    } catch (e) {
      if (owns) await store.close();
      throw e;
    }
  }

  // ------------------------------------------------------------ reads (from memory, never a ZooKeeper round trip)
  hosts(): Map<string, HostRecord> { return this.view.hosts(); }
  services(): Map<string, ServiceRecord> { return this.view.services(); }
  instances(service?: string): InstanceRecord[] { return this.view.instances(service); }
  stats(host?: string): StatsRecord[] { return this.view.stats(host); }
  assignments(): Map<string, AssignmentDoc> { return this.view.assignments(); }
  tenants(): Tenant[] { return this.view.tenants()?.tenants ?? []; }
  chains(): Chain[] { return this.view.chains()?.chains ?? []; }
  /** Hosts running at least one registered instance of `service`. */
  hostsOf(service: string): string[] {
    return [...new Set(this.view.instances(service).map((i) => i.host))].sort();
  }

  // ------------------------------------------------------------ writes (desired state)
  putService(rec: Omit<ServiceRecord, 'v'>, expect: Expect = 'any'): Promise<number> { return this.store.putService(rec, expect); }
  deleteService(name: string, expect: number | 'any' = 'any'): Promise<void> { return this.store.deleteService(name, expect); }

  putTenants(tenants: Tenant[], expect: Expect): Promise<number> { return this.store.putTenants({ tenants }, expect); }
  putChains(chains: Chain[], expect: Expect): Promise<number> { return this.store.putChains({ chains }, expect); }
  /** Read-modify-write of policy/chains, retried on conflicting concurrent updates. */
  updateChains(fn: (cur: Chain[]) => Chain[]): Promise<Versioned<ChainsDoc>> {
    return this.store.modify('chains', this.store.layout.chains, (cur) => ({ v: 1, chains: fn(cur?.chains ?? []) }));
  }
  updateTenants(fn: (cur: Tenant[]) => Tenant[]): Promise<Versioned<TenantsDoc>> {
    return this.store.modify('tenants', this.store.layout.tenants, (cur) => ({ v: 1, tenants: fn(cur?.tenants ?? []) }));
  }

  /** Writes the instances host `host` must run (conditional on the version the caller read). */
  assign(host: string, instances: AssignedInstance[], expect: Expect): Promise<number> {
    return this.store.putAssignment(host, instances, expect);
  }
  /** Read-modify-write of assignments/<host>, retried on conflict. */
  updateAssignment(host: string, fn: (cur: AssignedInstance[]) => AssignedInstance[]): Promise<Versioned<AssignmentDoc>> {
    return this.store.modify('assignment', this.store.layout.assignment(host), (cur) => ({ v: 1, host, instances: fn(cur?.instances ?? []) }));
  }
  allocatePath(tenant: string, chain: string): Promise<number> { return this.store.allocatePath(tenant, chain); }
  releasePath(pathId: number): Promise<void> { return this.store.releasePath(pathId); }

  /** Waits until `pred` holds on the view (checked after every change), or rejects after timeoutMs. */
  waitFor(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.view.off('change', on); reject(new Error(`cluster view: condition not met in ${timeoutMs} ms`)); }, timeoutMs);
      const on = (): void => { if (pred()) { clearTimeout(t); this.view.off('change', on); resolve(); } };
      this.view.on('change', on);
    });
  }

  async close(): Promise<void> {
    for (const t of this.gcTimers) clearTimeout(t);
    this.view.close();
    if (this.ownsStore) await this.store.close();
  }
}
