// Error classes raised by the OpenFlow channel. Every rejection a caller can see is one of these.

/** The switch answered OFPT_ERROR to one of our messages. */
export class OpenFlowError extends Error {
  override readonly name = 'OpenFlowError';
  constructor(
    message: string,
    /** OFPET_* */ readonly errType: number,
    /** OFP*C_* code within the type */ readonly errCode: number,
    /** symbolic "OFPET_BAD_ACTION/OFPBAC_BAD_OUT_PORT" */ readonly errName: string,
    /** kind of the failing message (e.g. 'OFPFlowMod') */ readonly failedKind: string,
    /** xid of the failing message */ readonly xid: number,
    /** position of the failing message in its batch, if it was sent in one */ readonly batchIndex?: number,
    /** the first bytes of the failing message echoed back by the switch */ readonly data?: Uint8Array,
  ) {
    super(message);
  }
}

/** The per-switch write queue is over its bound: the switch is not reading fast enough. */
export class WriteQueueFullError extends Error {
  override readonly name = 'WriteQueueFullError';
  constructor(readonly dpid: string, readonly queuedBytes: number, readonly limitBytes: number) {
    super(`write queue to switch ${dpid} is full (${queuedBytes} bytes queued, limit ${limitBytes}); the switch is not reading`);
  }
}

/** The switch disconnected (or was disconnected) before the reply arrived. */
export class SessionClosedError extends Error {
  override readonly name = 'SessionClosedError';
  constructor(readonly dpid: string, readonly reason: string) {
    super(`switch ${dpid} session closed: ${reason}`);
  }
}

/** No reply within the request timeout. */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
  constructor(readonly dpid: string, readonly what: string, readonly timeoutMs: number) {
    super(`switch ${dpid}: no reply to ${what} within ${timeoutMs} ms`);
  }
}
