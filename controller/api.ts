// The controller's interface towards its users (northbound-api/, the CLI, orchestration code).
// northbound-api codes against these types only; controller/server.ts implements them.
import type { OfMessage } from '../openflow/index.js';

/** OpenFlow controller role of this controller on one datapath (OFPCR_ROLE_*). */
export type ControllerRole = 'NOCHANGE' | 'EQUAL' | 'MASTER' | 'SLAVE';

/** A switch port as reported by the switch (OFPPortDescStatsReply / OFPPortStatus), Ryu field names. */
export interface SwitchPort {
  port_no: number;
  hw_addr: string;
  name: string;
  config: number;
  state: number;
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  curr_speed: number;
  max_speed: number;
}

/** One connected (handshaken) datapath. */
export interface SwitchInfo {
  dpid: bigint;
  /** ports by number, kept current from PORT_DESC and PORT_STATUS */
  ports: SwitchPort[];
  role: ControllerRole;
  /** generation id last sent with a MASTER/SLAVE role request, if any */
  generationId?: bigint;
  connectedAt: Date;
  /** "ip:port" of the switch's side of the channel */
  remote: string;
  nBuffers: number;
  nTables: number;
  capabilities: number;
}

export interface BatchOptions {
  /** true (default): append a BARRIER_REQUEST and resolve when its reply arrives = every message applied.
   *  false: resolve once the messages are queued for writing (no confirmation). */
  barrier?: boolean;
  /** reject if the barrier reply has not arrived after this many ms (default: the controller's requestTimeoutMs) */
  timeoutMs?: number;
}

export interface RequestOptions {
  /** default: the controller's requestTimeoutMs (10 s) */
  timeoutMs?: number;
}

/** Request/reply access to one datapath. Messages are the codec's (openflow/) objects; `xid` is assigned by the
 *  session (any xid on the input is replaced). */
export interface SwitchHandle {
  readonly dpid: bigint;
  info(): SwitchInfo;
  /** Send a request (multipart request, barrier, echo, get_config, role, get_async, queue_get_config, features)
   *  and resolve with its reply: one message, or every part of a multipart reply (OFPMPF_REPLY_MORE reassembled)
   *  in order. Rejects with OpenFlowError if the switch answers OFPT_ERROR, RequestTimeoutError on timeout,
   *  SessionClosedError if the switch disconnects, WriteQueueFullError if the switch's write queue is full. */
  request(msg: OfMessage, opts?: RequestOptions): Promise<OfMessage[]>;
  /** Send state-changing messages (flow_mod, group_mod, meter_mod, port_mod, table_mod, packet_out, set_config,
   *  ...). With a barrier, resolves once the switch confirms every message applied; an OFPT_ERROR for one of them
   *  rejects with an OpenFlowError naming the error type/code and the failing message (kind, index, xid). */
  sendBatch(msgs: OfMessage[], opts?: BatchOptions): Promise<void>;
  /** Fire-and-forget send; returns the xid used. Throws WriteQueueFullError / SessionClosedError. */
  send(msg: OfMessage): number;
  /** OFPT_ROLE_REQUEST; resolves with the switch's answer. */
  requestRole(role: ControllerRole, generationId?: bigint): Promise<{ role: ControllerRole; generationId: bigint }>;
}

export type ControllerEvent =
  | { type: 'switch-up'; dpid: bigint; info: SwitchInfo }
  | { type: 'switch-down'; dpid: bigint; reason: string }
  | { type: 'port-status'; dpid: bigint; reason: 'ADD' | 'DELETE' | 'MODIFY'; port: SwitchPort }
  | { type: 'flow-removed'; dpid: bigint; msg: OfMessage }
  | { type: 'error'; dpid: bigint | null; message: string };

/** What the controller offers to the northbound API and the CLI. */
export interface ControllerHandle {
  /** every handshaken datapath */
  switches(): SwitchInfo[];
  /** the session of one datapath, undefined if not connected */
  session(dpid: bigint): SwitchHandle | undefined;
  /** subscribe to switch/port events; returns an unsubscribe function */
  subscribe(listener: (ev: ControllerEvent) => void): () => void;
  /** "host:port" the OpenFlow channel listens on */
  readonly listenAddress: string;
}
