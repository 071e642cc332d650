// The ofp_header as a description prefix shared by every message.
import { u16, u32, u8, type Field } from './schema.js';

/** version (default 4), type (constant T, not a property), length (computed, not a property), xid (default 0). */
export const hdr = (type: number): Field[] => [
  u8('version', { dflt: 4 }), u8('msg_type', { value: type, hidden: true }), u16('msg_len', { self: true, hidden: true }),
  u32('xid', { dflt: 0 }),
];
