// Typed errors of the cluster store. ZooKeeper result codes are mapped to a small set of names so
// callers never compare raw numbers; a failed conditional update is a ConflictError.

/** ZooKeeper result codes (identical in the C client, the Java client and the wire protocol). */
export const ZK_RC = {
  OK: 0,
  SYSTEMERROR: -1,
  RUNTIMEINCONSISTENCY: -2,
  DATAINCONSISTENCY: -3,
  CONNECTIONLOSS: -4,
  MARSHALLINGERROR: -5,
  UNIMPLEMENTED: -6,
  OPERATIONTIMEOUT: -7,
  BADARGUMENTS: -8,
  INVALIDSTATE: -9,
  APIERROR: -100,
  NONODE: -101,
  NOAUTH: -102,
  BADVERSION: -103,
  NOCHILDRENFOREPHEMERALS: -108,
  NODEEXISTS: -110,
  NOTEMPTY: -111,
  SESSIONEXPIRED: -112,
  INVALIDCALLBACK: -113,
  INVALIDACL: -114,
  AUTHFAILED: -115,
  CLOSING: -116,
  NOTHING: -117,
  SESSIONMOVED: -118,
} as const;

export type ZkErrorCode =
  | 'NO_NODE'
  | 'NODE_EXISTS'
  | 'BAD_VERSION'
  | 'NOT_EMPTY'
  | 'NO_AUTH'
  | 'INVALID_ACL'
  | 'AUTH_FAILED'
  | 'CONNECTION_LOSS'
  | 'OPERATION_TIMEOUT'
  | 'SESSION_EXPIRED'
  | 'SESSION_MOVED'
  | 'CLOSED'
  | 'NO_CHILDREN_FOR_EPHEMERALS'
  | 'OTHER';

const CODE_BY_RC = new Map<number, ZkErrorCode>([
  [ZK_RC.NONODE, 'NO_NODE'],
  [ZK_RC.NODEEXISTS, 'NODE_EXISTS'],
  [ZK_RC.BADVERSION, 'BAD_VERSION'],
  [ZK_RC.NOTEMPTY, 'NOT_EMPTY'],
  [ZK_RC.NOAUTH, 'NO_AUTH'],
  [ZK_RC.INVALIDACL, 'INVALID_ACL'],
  [ZK_RC.AUTHFAILED, 'AUTH_FAILED'],
  [ZK_RC.CONNECTIONLOSS, 'CONNECTION_LOSS'],
  [ZK_RC.OPERATIONTIMEOUT, 'OPERATION_TIMEOUT'],
  [ZK_RC.SESSIONEXPIRED, 'SESSION_EXPIRED'],
  [ZK_RC.SESSIONMOVED, 'SESSION_MOVED'],
  [ZK_RC.CLOSING, 'CLOSED'],
  [ZK_RC.INVALIDSTATE, 'CLOSED'],
  [ZK_RC.NOCHILDRENFOREPHEMERALS, 'NO_CHILDREN_FOR_EPHEMERALS'],
]);

/** An error returned by ZooKeeper (or by the fake adapter, with the same codes). */
export class ZkError extends Error {
  readonly code: ZkErrorCode;
  readonly rc: number;
  readonly path: string;
  constructor(rc: number, path: string, op: string, detail?: string) {
    const code = CODE_BY_RC.get(rc) ?? 'OTHER';
    super(`zookeeper ${op} ${path}: ${code} (${rc})${detail ? ` ${detail}` : ''}`);
    this.name = 'ZkError';
    this.code = code;
    this.rc = rc;
    this.path = path;
  }
  /** True when retrying the same operation later (on the same or a new session) may succeed. */
  get retryable(): boolean {
    return this.code === 'CONNECTION_LOSS' || this.code === 'OPERATION_TIMEOUT' || this.code === 'SESSION_EXPIRED' ||
      this.code === 'SESSION_MOVED' || this.code === 'CLOSED';
  }
}

/** A conditional update lost the race: the znode's version is not the one the caller read. */
export class ConflictError extends Error {
  readonly path: string;
  readonly expectedVersion: number;
  constructor(path: string, expectedVersion: number) {
    super(`conflict on ${path}: expected version ${expectedVersion}, the node has changed (re-read and retry)`);
    this.name = 'ConflictError';
    this.path = path;
    this.expectedVersion = expectedVersion;
  }
}

/** A value read from or about to be written to ZooKeeper does not match its schema. */
export class SchemaError extends Error {
  readonly path: string;
  readonly errors: string[];
  constructor(path: string, kind: string, errors: string[]) {
    super(`invalid ${kind} at ${path}: ${errors.join('; ')}`);
    this.name = 'SchemaError';
    this.path = path;
    this.errors = errors;
  }
}

export function isZkError(e: unknown, code?: ZkErrorCode): e is ZkError {
  return e instanceof ZkError && (code === undefined || e.code === code);
}
