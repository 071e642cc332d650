// ClusterPort over the typed ZooKeeper store (cluster/store.ts): desired state (tenants, chains,
// services) is written with the store's compare-and-set; hosts, instances and stats are read from the
// ephemeral nodes the host agents publish. Errors map to ClusterError (→ 404/409/400/503).
import type { ClusterStore } from '../../cluster/store.js';
import type { Chain as ZkChain, Tenant as ZkTenant, ServiceRecord, HostRecord, InstanceRecord, StatsRecord } from '../../cluster/schemas.js';
import { ClusterError, type Chain, type ClusterPort, type Host, type Instance, type InstanceStats, type Service, type Tenant } from '../ports.js';

function mapError(e: unknown): never {
  if (e instanceof ClusterError) throw e;
  const name = e instanceof Error ? e.name : '';
  const msg = e instanceof Error ? e.message : String(e);
  if (name === 'ConflictError') throw new ClusterError('conflict', `concurrent update, retry: ${msg}`);
  if (name === 'SchemaError') throw new ClusterError('invalid', msg);
  if (name === 'ZkError') throw new ClusterError('unavailable', `ZooKeeper: ${msg}`);
  if (/still has \d+ running instance/.test(msg)) throw new ClusterError('conflict', msg);
  throw e;
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    return mapError(e);
  }
}

/** Drop null/undefined fields (nullable record fields) so that answers match the API schema. */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as T;
}

const tenantOut = (t: ZkTenant): Tenant => clean({ name: t.id, displayName: t.name !== t.id ? t.name : undefined, vlan: t.vlan, ports: t.ports });
const tenantIn = (t: Tenant): ZkTenant => clean({ id: t.name, name: t.displayName ?? t.name, vlan: t.vlan, ports: t.ports });
const chainOut = (c: ZkChain): Chain => clean({ name: c.id, tenant: c.tenant, match: clean({ ...c.match }), services: [...c.services], priority: c.priority, pathId: c.pathId, offloadedHops: c.offloadedHops });
function serviceOut(s: ServiceRecord): Service {
  return clean({ name: s.name, id: s.id, kind: s.kind, image: s.image, limits: clean({ ...s.limits }), config: s.config ? structuredClone(s.config) : undefined, autoscale: s.autoscale ? clean({ ...s.autoscale }) : undefined });
}
function hostOut(h: HostRecord): Host {
  const { v: _v, ...rest } = h;
  return { ...rest, capacity: clean({ ...h.capacity }) };
}
function instanceOut(key: string, i: InstanceRecord): Instance {
  const { v: _v, ...rest } = i;
  return clean({ id: `${i.service}/${key}`, ...rest });
}
function statsOut(s: StatsRecord): InstanceStats {
  const { v: _v, ...rest } = s;
  const i = s.instance.lastIndexOf(':');
  return { ...rest, service: i > 0 ? s.instance.slice(0, i) : s.instance };
}

export function zkClusterPort(store: ClusterStore): ClusterPort {
  const L = store.layout;
  const children = async (path: string): Promise<string[]> => {
    const conn = await store.session.ready();
    try {
      return (await conn.getChildren(path)).sort();
    } catch (e) {
      if (e instanceof Error && e.name === 'ZkError' && /NO_NODE/.test(String((e as { code?: string }).code ?? e.message))) return [];
      throw e;
    }
  };
  const tenants = async (): Promise<ZkTenant[]> => (await store.getTenants())?.value.tenants ?? [];
  const chains = async (): Promise<ZkChain[]> => (await store.getChains())?.value.chains ?? [];

  return {
    listTenants: () => guard(async () => (await tenants()).map(tenantOut)),
    getTenant: (name) => guard(async () => {
      const t = (await tenants()).find((x) => x.id === name);
      return t ? tenantOut(t) : undefined;
    }),
    putTenant: (t, { create }) => guard(async () => {
      await store.modify('tenants', L.tenants, (cur) => {
        const list = cur?.tenants ?? [];
        const i = list.findIndex((x) => x.id === t.name);
        if (create && i >= 0) throw new ClusterError('conflict', `tenant "${t.name}" already exists`);
        if (!create && i < 0) throw new ClusterError('not-found', `tenant "${t.name}" does not exist`);
        const next = i >= 0 ? list.map((x, j) => (j === i ? tenantIn(t) : x)) : [...list, tenantIn(t)];
        return { v: cur?.v ?? 1, tenants: next };
      });
      return tenantOut(tenantIn(t));
    }),
    deleteTenant: (name) => guard(async () => {
      await store.modify('tenants', L.tenants, (cur) => {
        const list = cur?.tenants ?? [];
        if (!list.some((x) => x.id === name)) throw new ClusterError('not-found', `tenant "${name}" does not exist`);
        return { v: cur?.v ?? 1, tenants: list.filter((x) => x.id !== name) };
      });
    }),

    listServices: () => guard(async () => [...(await store.listServices()).values()].map((v) => serviceOut(v.value))),
    getService: (name) => guard(async () => {
      const s = await store.getService(name);
      return s ? serviceOut(s.value) : undefined;
    }),
    putService: (s, { create }) => guard(async () => {
      const all = await store.listServices();
      const cur = all.get(s.name);
      if (!create && !cur) throw new ClusterError('not-found', `service "${s.name}" does not exist`);
      if (create && cur) throw new ClusterError('conflict', `service "${s.name}" already exists`);
      let id = s.id ?? cur?.value.id;
      if (id === undefined) {
        const used = new Set([...all.values()].map((v) => v.value.id));
        id = 1;
        while (used.has(id)) id++;
      } else if (create && [...all.values()].some((v) => v.value.id === id)) {
        throw new ClusterError('conflict', `service id ${id} is already used`);
      }
      const rec: Omit<ServiceRecord, 'v'> = clean({
        name: s.name, id, kind: s.kind, image: s.image,
        limits: s.limits ?? cur?.value.limits ?? { minInstances: 1, maxInstances: 4 },
        config: s.config,
        // set through /autoscale only: a service PUT without it keeps the stored settings
        autoscale: s.autoscale ?? cur?.value.autoscale,
      });
      await store.putService(rec, create ? 'absent' : cur!.version);
      return serviceOut({ v: 1, ...rec });
    }),
    deleteService: (name) => guard(async () => {
      if (!(await store.getService(name))) throw new ClusterError('not-found', `service "${name}" does not exist`);
      await store.deleteService(name);
    }),

    listChains: () => guard(async () => (await chains()).map(chainOut)),
    getChain: (name) => guard(async () => {
      const c = (await chains()).find((x) => x.id === name);
      return c ? chainOut(c) : undefined;
    }),
    putChain: (c, { create }) => guard(async () => {
      let written: ZkChain | undefined;
      await store.modify('chains', L.chains, (cur) => {
        const list = cur?.chains ?? [];
        const i = list.findIndex((x) => x.id === c.name);
        if (create && i >= 0) throw new ClusterError('conflict', `chain "${c.name}" already exists`);
        if (!create && i < 0) throw new ClusterError('not-found', `chain "${c.name}" does not exist`);
        // pathId and offloadedHops belong to the controller: keep what it wrote (it recomputes offloadedHops)
        written = clean({ id: c.name, tenant: c.tenant, services: [...c.services], match: clean({ ...c.match }), priority: c.priority, pathId: i >= 0 ? list[i].pathId : undefined, offloadedHops: i >= 0 && list[i].services[0] === c.services[0] ? list[i].offloadedHops : undefined });
        const next = i >= 0 ? list.map((x, j) => (j === i ? written! : x)) : [...list, written];
        return { v: cur?.v ?? 1, chains: next };
      });
      return chainOut(written!);
    }),
    deleteChain: (name) => guard(async () => {
      await store.modify('chains', L.chains, (cur) => {
        const list = cur?.chains ?? [];
        if (!list.some((x) => x.id === name)) throw new ClusterError('not-found', `chain "${name}" does not exist`);
        return { v: cur?.v ?? 1, chains: list.filter((x) => x.id !== name) };
      });
    }),

    listHosts: () => guard(async () => [...(await store.listHosts()).values()].map(hostOut)),
    getHost: (id) => guard(async () => {
      if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(id)) return undefined;
      const h = await store.getHost(id);
      return h ? hostOut(h.value) : undefined;
    }),
    listInstances: (f = {}) => guard(async () => {
      const services = f.service ? [f.service] : [...(await store.listServices()).keys()];
      const out: Instance[] = [];
      for (const s of services) {
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(s)) continue;
        for (const [key, rec] of await store.listInstances(s)) if (!f.host || rec.host === f.host) out.push(instanceOut(key, rec));
      }
      return out;
    }),
    listStats: (f = {}) => guard(async () => {
      const hosts = f.host ? [f.host] : await children(L.statsDir);
      const out: InstanceStats[] = [];
      for (const h of hosts) {
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(h)) continue;
        for (const rec of (await store.readStats(h)).values()) if (!f.instance || rec.instance === f.instance) out.push(statsOut(rec));
      }
      return out;
    }),
  };
}
