// The ZooKeeper layout, in one place. Every path is under a configurable root (default /rackvisor/<cluster>).
//
//   <root>/hosts/<hostId>                              ephemeral   HostRecord
//   <root>/services/<name>                             persistent  ServiceRecord
//   <root>/services/<name>/instances/<hostId>:<n>      ephemeral   InstanceRecord
//   <root>/stats/<hostId>                              persistent  (no data; gcStats() removes it when empty)
//   <root>/stats/<hostId>/<service>:<n>                ephemeral   StatsRecord (~1/s)
//   <root>/policy/tenants                              persistent  TenantsDoc (CAS on znode version)
//   <root>/policy/chains                               persistent  ChainsDoc  (CAS on znode version)
//   <root>/assignments/<hostId>                        persistent  AssignmentDoc (CAS)
//   <root>/vni/<pathId>                                persistent  VniAllocation
//   <root>/controller/election/n_<seq>                 ephemeral-sequential CandidateRecord

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function checkSegment(s: string, what: string): string {
  if (!SEGMENT.test(s)) throw new Error(`invalid ${what} ${JSON.stringify(s)} (letters, digits, _ . : - ; max 128)`);
  return s;
}

export function defaultRoot(cluster = 'default'): string {
  return `/rackvisor/${checkSegment(cluster, 'cluster name')}`;
}

export class Layout {
  readonly root: string;
  constructor(root: string) {
    if (!/^(\/[A-Za-z0-9_.:-]+)+$/.test(root)) throw new Error(`invalid root path ${JSON.stringify(root)}`);
    this.root = root;
  }
  get hostsDir(): string { return `${this.root}/hosts`; }
  host(id: string): string { return `${this.hostsDir}/${checkSegment(id, 'host id')}`; }
  get servicesDir(): string { return `${this.root}/services`; }
  service(name: string): string { return `${this.servicesDir}/${checkSegment(name, 'service name')}`; }
  instancesDir(service: string): string { return `${this.service(service)}/instances`; }
  instance(service: string, host: string, n: number): string { return `${this.instancesDir(service)}/${instanceKey(host, n)}`; }
  get statsDir(): string { return `${this.root}/stats`; }
  statsHost(host: string): string { return `${this.statsDir}/${checkSegment(host, 'host id')}`; }
  stats(host: string, instance: string): string { return `${this.statsHost(host)}/${checkSegment(instance, 'instance')}`; }
  get policyDir(): string { return `${this.root}/policy`; }
  get tenants(): string { return `${this.policyDir}/tenants`; }
  get chains(): string { return `${this.policyDir}/chains`; }
  get assignmentsDir(): string { return `${this.root}/assignments`; }
  assignment(host: string): string { return `${this.assignmentsDir}/${checkSegment(host, 'host id')}`; }
  get vniDir(): string { return `${this.root}/vni`; }
  vni(pathId: number): string { return `${this.vniDir}/${pathId}`; }
  get controllerDir(): string { return `${this.root}/controller`; }
  get electionDir(): string { return `${this.controllerDir}/election`; }

  /** Persistent directories created by ensureLayout(). */
  dirs(): string[] {
    return [this.root, this.hostsDir, this.servicesDir, this.statsDir, this.policyDir, this.assignmentsDir, this.vniDir,
      this.controllerDir, this.electionDir];
  }
}

/** "<host>:<n>" — the key of an instance under services/<name>/instances. */
export function instanceKey(host: string, n: number): string {
  checkSegment(host, 'host id');
  if (!Number.isInteger(n) || n < 0) throw new Error(`invalid instance index ${n}`);
  return `${host}:${n}`;
}

export function parseInstanceKey(key: string): { host: string; index: number } | null {
  const i = key.lastIndexOf(':');
  if (i <= 0) return null;
  const index = Number(key.slice(i + 1));
  if (!Number.isInteger(index) || index < 0) return null;
  return { host: key.slice(0, i), index };
}

/** "<service>:<n>" — the key of an instance's stats under stats/<host>. */
export function statsKey(service: string, n: number): string {
  return `${checkSegment(service, 'service name')}:${n}`;
}
