// The controller application interface. Apps are called synchronously, in registration order, from the socket
// callbacks; an app must not block (start async work and return). Exceptions are caught and logged per app.
import type { OfMessage } from '../../openflow/index.js';
import type { SwitchPort } from '../api.js';
import type { PacketIn } from '../packet-in.js';
import type { Session } from '../session.js';

export interface ControllerApp {
  readonly name: string;
  /** the datapath finished its handshake (features + ports known) */
  switchUp?(sw: Session): void | Promise<void>;
  switchDown?(sw: Session, reason: string): void;
  /** return true to stop later apps from seeing this packet_in */
  packetIn?(sw: Session, pi: PacketIn): boolean | void;
  portStatus?(sw: Session, reason: 'ADD' | 'DELETE' | 'MODIFY', port: SwitchPort): void;
  /** other asynchronous messages: flow_removed, experimenter, errors nobody waited for */
  message?(sw: Session, msg: OfMessage): void;
}
