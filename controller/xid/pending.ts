// xid allocation and request/reply correlation for one session: plain requests (one reply, or a multipart reply
// reassembled across OFPMPF_REPLY_MORE parts) and barrier-confirmed batches. Pure bookkeeping, no I/O: the session
// feeds replies/errors in and the table resolves or rejects the callers' promises.
import type { OfMessage } from '../../openflow/index.js';
import { OpenFlowError, RequestTimeoutError, SessionClosedError } from '../errors.js';

/** Session-local transaction ids: 1..2^32-1, wrapping, skipping ids still in use. */
export class XidAllocator {
  private n: number;
  constructor(start = 1) {
    this.n = start >>> 0 || 1;
  }
  next(): number {
    const x = this.n;
    this.n = this.n === 0xffffffff ? 1 : this.n + 1;
    return x;
  }
}

export interface ErrorInfo {
  type: number;
  code: number;
  /** symbolic name, e.g. "OFPET_BAD_ACTION/OFPBAC_BAD_OUT_PORT" */
  name: string;
  data: Uint8Array;
}

interface Request {
  what: string;
  parts: OfMessage[];
  resolve: (msgs: OfMessage[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
}

interface Batch {
  kinds: string[];
  xids: number[];
  barrierXid: number;
  done: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | null;
}

export class PendingTable {
  private readonly requests = new Map<number, Request>();
  /** member xid → batch, and barrier xid → batch */
  private readonly batchOf = new Map<number, Batch>();
  private readonly barrierOf = new Map<number, Batch>();

  constructor(private readonly dpidLabel: () => string) {}

  get size(): number {
    return this.requests.size + this.barrierOf.size;
  }

  has(xid: number): boolean {
    return this.requests.has(xid) || this.batchOf.has(xid) || this.barrierOf.has(xid);
  }

  /** Register a request; the promise settles on its reply, an error, a timeout or close. */
  addRequest(xid: number, what: string, timeoutMs: number): Promise<OfMessage[]> {
    return new Promise<OfMessage[]>((resolve, reject) => {
      const r: Request = { what, parts: [], resolve, reject, timer: null };
      if (timeoutMs > 0) {
        r.timer = setTimeout(() => {
          if (this.requests.get(xid) === r) {
            this.requests.delete(xid);
            reject(new RequestTimeoutError(this.dpidLabel(), `${what} (xid ${xid})`, timeoutMs));
          }
        }, timeoutMs);
        r.timer.unref();
      }
      this.requests.set(xid, r);
    });
  }

  /** Register a batch of messages followed by a barrier request. */
  addBatch(xids: number[], kinds: string[], barrierXid: number, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const b: Batch = { kinds, xids, barrierXid, done: false, resolve, reject, timer: null };
      for (const x of xids) this.batchOf.set(x, b);
      this.barrierOf.set(barrierXid, b);
      if (timeoutMs > 0) {
        b.timer = setTimeout(() => {
          this.finishBatch(b, new RequestTimeoutError(this.dpidLabel(), `barrier after a batch of ${xids.length} message(s) (xid ${barrierXid})`, timeoutMs));
        }, timeoutMs);
        b.timer.unref();
      }
    });
  }

  /** A reply (not OFPT_ERROR) with this xid arrived. `more` = OFPMPF_REPLY_MORE set. Returns false if unmatched. */
  onReply(xid: number, msg: OfMessage, more: boolean): boolean {
    const r = this.requests.get(xid);
    if (r !== undefined) {
      r.parts.push(msg);
      if (!more) {
        this.requests.delete(xid);
        if (r.timer) clearTimeout(r.timer);
        r.resolve(r.parts);
      }
      return true;
    }
    const b = this.barrierOf.get(xid);
    if (b !== undefined && msg.kind === 'OFPBarrierReply') {
      this.finishBatch(b, null);
      return true;
    }
    return false;
  }

  /** An OFPT_ERROR with this xid arrived. Returns false if no request or batch is waiting for that xid. */
  onError(xid: number, e: ErrorInfo): boolean {
    const r = this.requests.get(xid);
    if (r !== undefined) {
      this.requests.delete(xid);
      if (r.timer) clearTimeout(r.timer);
      r.reject(new OpenFlowError(
        `switch ${this.dpidLabel()} rejected ${r.what} (xid ${xid}): ${e.name} (type ${e.type}, code ${e.code})`,
        e.type, e.code, e.name, r.what, xid, undefined, e.data));
      return true;
    }
    const b = this.batchOf.get(xid) ?? this.barrierOf.get(xid);
    if (b !== undefined) {
      if (!b.done) {
        const idx = b.xids.indexOf(xid);
        const kind = idx >= 0 ? b.kinds[idx] : 'OFPBarrierRequest';
        const where = idx >= 0 ? `message ${idx + 1} of ${b.xids.length}` : 'the closing barrier';
        this.finishBatch(b, new OpenFlowError(
          `switch ${this.dpidLabel()} rejected ${kind} (xid ${xid}, ${where} of the batch): ${e.name} (type ${e.type}, code ${e.code})`,
          e.type, e.code, e.name, kind, xid, idx >= 0 ? idx : undefined, e.data));
      }
      return true;
    }
    return false;
  }

  /** Reject everything (session closed). */
  failAll(reason: string): void {
    const err = () => new SessionClosedError(this.dpidLabel(), reason);
    for (const [xid, r] of this.requests) {
      this.requests.delete(xid);
      if (r.timer) clearTimeout(r.timer);
      r.reject(err());
    }
    for (const b of new Set(this.barrierOf.values())) this.finishBatch(b, err());
  }

  private finishBatch(b: Batch, err: Error | null): void {
    // keep the member xids mapped until the barrier settles so that late errors of an already failed batch are
    // still recognised as ours; everything is dropped when the barrier reply (or close/timeout) ends it
    const wasDone = b.done;
    b.done = true;
    if (err === null || !(err instanceof OpenFlowError)) {
      for (const x of b.xids) this.batchOf.delete(x);
      this.barrierOf.delete(b.barrierXid);
      if (b.timer) clearTimeout(b.timer);
    }
    if (wasDone) return;
    if (err === null) b.resolve();
    else b.reject(err);
  }
}
