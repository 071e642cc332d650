// The pipeline's own flow/group representation: a small, canonical subset of OpenFlow 1.3 that the compiler
// emits and the reconciler compares. Converting to/from the codec's messages lives in ofmsg.ts.

/** OXM fields the pipeline uses (Ryu names). */
export type MatchFieldName =
  | 'in_port'
  | 'eth_dst'
  | 'eth_src'
  | 'eth_type'
  | 'vlan_vid'
  | 'ip_proto'
  | 'ipv4_src'
  | 'ipv4_dst'
  | 'tcp_src'
  | 'tcp_dst'
  | 'udp_src'
  | 'udp_dst';

/** Values as the codec's OXM values (number, bigint for 64-bit fields, strings for MAC/IP, bytes otherwise). */
export type FieldValue = number | bigint | string | Uint8Array;

export interface FieldMatch {
  /** The compiler only emits MatchFieldName; flows read back from a switch may carry any OXM field. */
  field: MatchFieldName | (string & Record<never, never>);
  value: FieldValue;
  /** absent = exact. */
  mask?: FieldValue;
}

/** `opaque`: anything read from a switch the pipeline never emits (kept as text so it compares unequal). */
export type Action = { type: 'output'; port: number } | { type: 'group'; groupId: number } | { type: 'opaque'; text: string };

export type Instruction = { type: 'apply'; actions: Action[] } | { type: 'goto'; table: number } | { type: 'opaque'; text: string };

export interface FlowEntry {
  table: number;
  priority: number;
  match: FieldMatch[];
  /** Empty = drop. */
  instructions: Instruction[];
  cookie: bigint;
  idleTimeout?: number;
  hardTimeout?: number;
  /** Not on the wire: which policy/infra piece produced it (diagnostics). */
  owner?: string;
}

export type GroupType = 'all' | 'select' | 'indirect' | 'ff';

export interface Bucket {
  weight: number;
  actions: Action[];
}

export interface GroupEntry {
  groupId: number;
  type: GroupType;
  buckets: Bucket[];
  owner?: string;
}

/** Well-known OpenFlow port numbers the pipeline uses. */
export const PORT = {
  IN_PORT: 0xfffffff8,
  FLOOD: 0xfffffffb,
  ALL: 0xfffffffc,
  CONTROLLER: 0xfffffffd,
  ANY: 0xffffffff,
} as const;

export const ETH_TYPE_IPV4 = 0x0800;
export const OFPVID_PRESENT = 0x1000;

// ---------- canonical forms (used for comparison and as map keys) ----------

function ipv4ToInt(ip: string): number {
  const p = ip.split('.');
  if (p.length !== 4) throw new Error(`bad IPv4 address ${ip}`);
  let v = 0;
  for (const s of p) {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0 || n > 255 || s === '') throw new Error(`bad IPv4 address ${ip}`);
    v = v * 256 + n;
  }
  return v >>> 0;
}

function intToIpv4(v: number): string {
  return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

export { ipv4ToInt, intToIpv4 };

/** Parse "a.b.c.d/len" or "a.b.c.d" into a network (host bits cleared) and a prefix length. */
export function parseCidr(cidr: string): { net: number; len: number } {
  const [addr, lenStr] = cidr.split('/');
  const len = lenStr === undefined ? 32 : Number(lenStr);
  if (!Number.isInteger(len) || len < 0 || len > 32) throw new Error(`bad prefix length in ${cidr}`);
  const mask = prefixMask(len);
  return { net: (ipv4ToInt(addr ?? '') & mask) >>> 0, len };
}

export function prefixMask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

export function maskToPrefixLen(mask: number): number | null {
  let len = 0;
  while (len < 32 && (mask & (0x80000000 >>> len)) !== 0) len++;
  return prefixMask(len) === mask >>> 0 ? len : null;
}

/** An IPv4 prefix as a FieldMatch (no mask for /32; nothing for /0). */
export function ipv4Field(field: 'ipv4_src' | 'ipv4_dst', net: number, len: number): FieldMatch | null {
  if (len === 0) return null;
  if (len === 32) return { field, value: intToIpv4(net) };
  return { field, value: intToIpv4(net), mask: intToIpv4(prefixMask(len)) };
}

function valueText(v: FieldValue): string {
  return v instanceof Uint8Array ? Buffer.from(v).toString('hex') : String(v).toLowerCase();
}

function canonMac(mac: string): string {
  return mac.toLowerCase();
}

/** Canonical text of one match field: masks applied, full masks dropped. Returns null for an all-zero mask. */
function canonField(f: FieldMatch): string | null {
  switch (f.field) {
    case 'ipv4_src':
    case 'ipv4_dst': {
      const v = ipv4ToInt(String(f.value));
      const m = f.mask === undefined ? 0xffffffff : ipv4ToInt(String(f.mask));
      if (m === 0) return null;
      const len = maskToPrefixLen(m);
      return `${f.field}=${intToIpv4((v & m) >>> 0)}/${len ?? intToIpv4(m)}`;
    }
    case 'eth_src':
    case 'eth_dst': {
      if (f.mask === undefined || canonMac(String(f.mask)) === 'ff:ff:ff:ff:ff:ff') return `${f.field}=${canonMac(String(f.value))}`;
      return `${f.field}=${canonMac(String(f.value))}/${canonMac(String(f.mask))}`;
    }
    default: {
      const num = (x: FieldValue | undefined): x is number | bigint => typeof x === 'number' || typeof x === 'bigint';
      if (num(f.value) && (f.mask === undefined || num(f.mask))) {
        const v = BigInt(f.value);
        if (f.mask === undefined) return `${f.field}=${v}`;
        const m = BigInt(f.mask);
        return m === 0n ? null : `${f.field}=${v & m}/${m}`;
      }
      return `${f.field}=${valueText(f.value)}${f.mask === undefined ? '' : '/' + valueText(f.mask)}`;
    }
  }
}

export function canonMatch(match: FieldMatch[]): string {
  const parts: string[] = [];
  for (const f of match) {
    const c = canonField(f);
    if (c !== null) parts.push(c);
  }
  parts.sort();
  return parts.join(',');
}

function canonAction(a: Action): string {
  return a.type === 'output' ? `output:${a.port}` : a.type === 'group' ? `group:${a.groupId}` : `opaque(${a.text})`;
}

export function canonInstructions(ins: Instruction[]): string {
  // OpenFlow executes apply-actions before goto-table regardless of list order; canonical order: apply, goto.
  const apply = ins.filter((i): i is Extract<Instruction, { type: 'apply' }> => i.type === 'apply');
  const goto = ins.filter((i): i is Extract<Instruction, { type: 'goto' }> => i.type === 'goto');
  const opaque = ins.filter((i): i is Extract<Instruction, { type: 'opaque' }> => i.type === 'opaque');
  const parts: string[] = [];
  for (const i of opaque) parts.push(`opaque(${i.text})`);
  for (const i of apply) if (i.actions.length > 0) parts.push(`apply(${i.actions.map(canonAction).join(',')})`);
  for (const g of goto) parts.push(`goto:${g.table}`);
  return parts.length === 0 ? 'drop' : parts.join(';');
}

// Entries are treated as immutable once built: their canonical strings are computed once.
const keyCache = new WeakMap<FlowEntry, string>();
const bodyCache = new WeakMap<FlowEntry, string>();

/** Identity of a flow on the switch: (table, priority, match). */
export function flowKey(f: FlowEntry): string {
  let k = keyCache.get(f);
  if (k === undefined) {
    k = `t${f.table}/p${f.priority}/${canonMatch(f.match)}`;
    keyCache.set(f, k);
  }
  return k;
}

/** What a modify would change: instructions and timeouts. */
export function flowBody(f: FlowEntry): string {
  let b = bodyCache.get(f);
  if (b === undefined) {
    b = `${canonInstructions(f.instructions)}|idle=${f.idleTimeout ?? 0}|hard=${f.hardTimeout ?? 0}`;
    bodyCache.set(f, b);
  }
  return b;
}

export function groupBody(g: GroupEntry): string {
  return `${g.type}|${g.buckets.map((b) => `w${g.type === 'select' ? b.weight : 0}(${b.actions.map(canonAction).join(',')})`).join(';')}`;
}

/** ovs-ofctl-like text of a flow (docs, logs, test messages). */
export function flowToString(f: FlowEntry): string {
  return `cookie=0x${f.cookie.toString(16)} table=${f.table} priority=${f.priority}${f.match.length ? ',' + canonMatch(f.match) : ''} actions=${canonInstructions(f.instructions)}`;
}
