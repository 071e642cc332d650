// VNI ⇄ (service path id, index) and per-tenant allocation of service path ids. Pure.
//
// VNI = (pathId << 8) | index, pathId 16 bits (1..65535; 0 is reserved so VNI 0..255 are never
// used), index 8 bits = position of the NEXT hop in the service path (0..length-1, length ≤ 256).
// The controller allocates path ids per tenant; a VNI on the wire is therefore unique across
// tenants and says both who owns the frame and where in the chain it is (NSH-like meaning inside a
// standard RFC 7348 header).

export const PATH_ID_MIN = 1;
export const PATH_ID_MAX = 0xffff;
export const INDEX_MAX = 0xff;
export const PATH_LENGTH_MAX = INDEX_MAX + 1;

export class VniRangeError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'VniRangeError';
  }
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new VniRangeError(`${name} ${v} out of range ${min}..${max}`);
  }
}

/** VNI of hop `index` of service path `pathId`. */
export function vniFor(pathId: number, index: number): number {
  checkInt('path id', pathId, 0, PATH_ID_MAX);
  checkInt('index', index, 0, INDEX_MAX);
  return ((pathId << 8) | index) >>> 0;
}

/** (path id, index) of a VNI. */
export function pathOfVni(vni: number): { pathId: number; index: number } {
  checkInt('VNI', vni, 0, 0xffffff);
  return { pathId: vni >>> 8, index: vni & 0xff };
}

export interface PathAllocation {
  tenant: string;
  pathId: number;
  /** Number of hops (NFs) of the path: valid indexes are 0..length-1. */
  length: number;
}

export interface VniAllocatorOptions {
  /** First and last path id this allocator hands out (default 1..65535). */
  minPathId?: number;
  maxPathId?: number;
  /** Maximum paths one tenant may hold (default: no limit). */
  maxPathsPerTenant?: number;
}

export interface VniAllocatorState {
  minPathId: number;
  maxPathId: number;
  maxPathsPerTenant?: number;
  cursor: number;
  allocations: PathAllocation[];
}

/**
 * Allocates service path ids to tenants. Next-fit: the search starts after the last allocated id,
 * so a just-released id is reused only after the rest of the space has been tried (frames of the
 * old path still in flight are not misread as the new one). Released ids are reused when the space
 * wraps around.
 */
export class VniAllocator {
  readonly minPathId: number;
  readonly maxPathId: number;
  readonly maxPathsPerTenant: number | undefined;
  private readonly byId = new Map<number, PathAllocation>();
  private readonly byTenant = new Map<string, Set<number>>();
  private cursor: number;

  constructor(opts: VniAllocatorOptions = {}) {
    this.minPathId = opts.minPathId ?? PATH_ID_MIN;
    this.maxPathId = opts.maxPathId ?? PATH_ID_MAX;
    checkInt('minPathId', this.minPathId, PATH_ID_MIN, PATH_ID_MAX);
    checkInt('maxPathId', this.maxPathId, this.minPathId, PATH_ID_MAX);
    if (opts.maxPathsPerTenant !== undefined) checkInt('maxPathsPerTenant', opts.maxPathsPerTenant, 1, PATH_ID_MAX);
    this.maxPathsPerTenant = opts.maxPathsPerTenant;
    this.cursor = this.minPathId;
  }

  /** Number of allocated paths. */
  get size(): number {
    return this.byId.size;
  }

  /** Number of path ids still free. */
  get free(): number {
    return this.maxPathId - this.minPathId + 1 - this.byId.size;
  }

  /** Allocates a path id for `tenant` with `length` hops (or exactly `pathId` when given). */
  allocate(tenant: string, length: number, pathId?: number): PathAllocation {
    checkTenant(tenant);
    checkInt('path length', length, 1, PATH_LENGTH_MAX);
    const owned = this.byTenant.get(tenant);
    if (this.maxPathsPerTenant !== undefined && (owned?.size ?? 0) >= this.maxPathsPerTenant) {
      throw new VniRangeError(`tenant ${tenant} already holds ${this.maxPathsPerTenant} paths (limit)`);
    }
    let id: number;
    if (pathId !== undefined) {
      checkInt('path id', pathId, this.minPathId, this.maxPathId);
      if (this.byId.has(pathId)) throw new VniRangeError(`path id ${pathId} already allocated`);
      id = pathId;
    } else {
      id = this.findFree();
    }
    const a: PathAllocation = { tenant, pathId: id, length };
    this.byId.set(id, a);
    if (owned) owned.add(id);
    else this.byTenant.set(tenant, new Set([id]));
    if (pathId === undefined) this.cursor = id === this.maxPathId ? this.minPathId : id + 1;
    return { ...a };
  }

  private findFree(): number {
    const span = this.maxPathId - this.minPathId + 1;
    if (this.byId.size >= span) throw new VniRangeError('no free service path id (VNI space exhausted)');
    let id = this.cursor;
    for (let n = 0; n < span; n++) {
      if (!this.byId.has(id)) return id;
      id = id === this.maxPathId ? this.minPathId : id + 1;
    }
    throw new VniRangeError('no free service path id');
  }

  /** Releases a path; only its tenant may release it. */
  release(tenant: string, pathId: number): void {
    const a = this.byId.get(pathId);
    if (!a) throw new VniRangeError(`path id ${pathId} is not allocated`);
    if (a.tenant !== tenant) throw new VniRangeError(`path id ${pathId} belongs to another tenant`);
    this.byId.delete(pathId);
    const owned = this.byTenant.get(tenant);
    owned?.delete(pathId);
    if (owned && owned.size === 0) this.byTenant.delete(tenant);
  }

  /** Releases every path of a tenant; returns how many. */
  releaseTenant(tenant: string): number {
    const owned = [...(this.byTenant.get(tenant) ?? [])];
    for (const id of owned) this.release(tenant, id);
    return owned.length;
  }

  /** Changes the number of hops of a path (chain edited). */
  resize(tenant: string, pathId: number, length: number): PathAllocation {
    checkInt('path length', length, 1, PATH_LENGTH_MAX);
    const a = this.byId.get(pathId);
    if (!a || a.tenant !== tenant) throw new VniRangeError(`path id ${pathId} not held by tenant ${tenant}`);
    a.length = length;
    return { ...a };
  }

  get(pathId: number): PathAllocation | undefined {
    const a = this.byId.get(pathId);
    return a ? { ...a } : undefined;
  }

  pathsOf(tenant: string): PathAllocation[] {
    return [...(this.byTenant.get(tenant) ?? [])].sort((x, y) => x - y).map((id) => ({ ...this.byId.get(id)! }));
  }

  tenants(): string[] {
    return [...this.byTenant.keys()].sort();
  }

  /** The VNI of hop `index` of a tenant's path (checks ownership and index < length). */
  vni(tenant: string, pathId: number, index: number): number {
    const a = this.byId.get(pathId);
    if (!a || a.tenant !== tenant) throw new VniRangeError(`path id ${pathId} not held by tenant ${tenant}`);
    checkInt('index', index, 0, a.length - 1);
    return vniFor(pathId, index);
  }

  /** Who a VNI belongs to, or undefined when its path is not allocated or the index is beyond it. */
  resolve(vni: number): { tenant: string; pathId: number; index: number } | undefined {
    if (!Number.isInteger(vni) || vni < 0 || vni > 0xffffff) return undefined;
    const { pathId, index } = pathOfVni(vni);
    const a = this.byId.get(pathId);
    if (!a || index >= a.length) return undefined;
    return { tenant: a.tenant, pathId, index };
  }

  toJSON(): VniAllocatorState {
    const s: VniAllocatorState = {
      minPathId: this.minPathId, maxPathId: this.maxPathId, cursor: this.cursor,
      allocations: [...this.byId.values()].sort((x, y) => x.pathId - y.pathId).map((a) => ({ ...a })),
    };
    if (this.maxPathsPerTenant !== undefined) s.maxPathsPerTenant = this.maxPathsPerTenant;
    return s;
  }

  /** Rebuilds an allocator (e.g. from ZooKeeper vni/); validates every allocation. */
  static fromJSON(s: VniAllocatorState): VniAllocator {
    const v = new VniAllocator({ minPathId: s.minPathId, maxPathId: s.maxPathId, maxPathsPerTenant: s.maxPathsPerTenant });
    for (const a of s.allocations) v.allocate(a.tenant, a.length, a.pathId);
    checkInt('cursor', s.cursor, v.minPathId, v.maxPathId);
    v.cursor = s.cursor;
    return v;
  }
}

function checkTenant(tenant: string): void {
  if (typeof tenant !== 'string' || tenant.length === 0 || tenant.length > 256) {
    throw new VniRangeError('tenant must be a non-empty string (≤ 256 chars)');
  }
}
