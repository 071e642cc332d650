// OFPT_ERROR types and codes of OpenFlow 1.3.5, named as in the spec, plus errors of this codec.

export const OFPET = {
  HELLO_FAILED: 0, BAD_REQUEST: 1, BAD_ACTION: 2, BAD_INSTRUCTION: 3, BAD_MATCH: 4, FLOW_MOD_FAILED: 5,
  GROUP_MOD_FAILED: 6, PORT_MOD_FAILED: 7, TABLE_MOD_FAILED: 8, QUEUE_OP_FAILED: 9, SWITCH_CONFIG_FAILED: 10,
  ROLE_REQUEST_FAILED: 11, METER_MOD_FAILED: 12, TABLE_FEATURES_FAILED: 13, EXPERIMENTER: 0xffff,
} as const;

const TYPE_NAMES: Record<number, string> = {};
for (const [k, v] of Object.entries(OFPET)) TYPE_NAMES[v] = `OFPET_${k}`;

/** Code names per error type, index = code. */
const CODES: Record<number, [prefix: string, names: string[]]> = {
  0: ['OFPHFC', ['INCOMPATIBLE', 'EPERM']],
  1: ['OFPBRC', ['BAD_VERSION', 'BAD_TYPE', 'BAD_MULTIPART', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'EPERM', 'BAD_LEN',
    'BUFFER_EMPTY', 'BUFFER_UNKNOWN', 'BAD_TABLE_ID', 'IS_SLAVE', 'BAD_PORT', 'BAD_PACKET', 'MULTIPART_BUFFER_OVERFLOW']],
  2: ['OFPBAC', ['BAD_TYPE', 'BAD_LEN', 'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'BAD_OUT_PORT', 'BAD_ARGUMENT', 'EPERM',
    'TOO_MANY', 'BAD_QUEUE', 'BAD_OUT_GROUP', 'MATCH_INCONSISTENT', 'UNSUPPORTED_ORDER', 'BAD_TAG', 'BAD_SET_TYPE',
    'BAD_SET_LEN', 'BAD_SET_ARGUMENT']],
  3: ['OFPBIC', ['UNKNOWN_INST', 'UNSUP_INST', 'BAD_TABLE_ID', 'UNSUP_METADATA', 'UNSUP_METADATA_MASK',
    'BAD_EXPERIMENTER', 'BAD_EXP_TYPE', 'BAD_LEN', 'EPERM']],
  4: ['OFPBMC', ['BAD_TYPE', 'BAD_LEN', 'BAD_TAG', 'BAD_DL_ADDR_MASK', 'BAD_NW_ADDR_MASK', 'BAD_WILDCARDS',
    'BAD_FIELD', 'BAD_VALUE', 'BAD_MASK', 'BAD_PREREQ', 'DUP_FIELD', 'EPERM']],
  5: ['OFPFMFC', ['UNKNOWN', 'TABLE_FULL', 'BAD_TABLE_ID', 'OVERLAP', 'EPERM', 'BAD_TIMEOUT', 'BAD_COMMAND', 'BAD_FLAGS']],
  6: ['OFPGMFC', ['GROUP_EXISTS', 'INVALID_GROUP', 'WEIGHT_UNSUPPORTED', 'OUT_OF_GROUPS', 'OUT_OF_BUCKETS',
    'CHAINING_UNSUPPORTED', 'WATCH_UNSUPPORTED', 'LOOP', 'UNKNOWN_GROUP', 'CHAINED_GROUP', 'BAD_TYPE',
    'BAD_COMMAND', 'BAD_BUCKET', 'BAD_WATCH', 'EPERM']],
  7: ['OFPPMFC', ['BAD_PORT', 'BAD_HW_ADDR', 'BAD_CONFIG', 'BAD_ADVERTISE', 'EPERM']],
  8: ['OFPTMFC', ['BAD_TABLE', 'BAD_CONFIG', 'EPERM']],
  9: ['OFPQOFC', ['BAD_PORT', 'BAD_QUEUE', 'EPERM']],
  10: ['OFPSCFC', ['BAD_FLAGS', 'BAD_LEN', 'EPERM']],
  11: ['OFPRRFC', ['STALE', 'UNSUP', 'BAD_ROLE']],
  12: ['OFPMMFC', ['UNKNOWN', 'METER_EXISTS', 'INVALID_METER', 'UNKNOWN_METER', 'BAD_COMMAND', 'BAD_FLAGS',
    'BAD_RATE', 'BAD_BURST', 'BAD_BAND', 'BAD_BAND_VALUE', 'OUT_OF_METERS', 'OUT_OF_BANDS']],
  13: ['OFPTFFC', ['BAD_TABLE', 'BAD_METADATA', 'BAD_TYPE', 'BAD_LEN', 'BAD_ARGUMENT', 'EPERM']],
};

/** Every error code by symbolic name, e.g. OFP_ERROR_CODES.OFPBRC_BAD_LEN === 6. */
export const OFP_ERROR_CODES: Readonly<Record<string, number>> = Object.freeze(Object.fromEntries(
  Object.values(CODES).flatMap(([prefix, names]) => names.map((n, i) => [`${prefix}_${n}`, i] as const)),
));

/** "OFPET_BAD_REQUEST" or "OFPET_<n>" for an unknown type. */
export function errorTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `OFPET_${type}`;
}

/** "OFPET_BAD_MATCH/OFPBMC_BAD_FIELD"; experimenter errors: "OFPET_EXPERIMENTER(exp_type=…)". */
export function errorName(type: number, code: number | null): string {
  const t = errorTypeName(type);
  if (type === OFPET.EXPERIMENTER) return `${t}(exp_type=${code ?? '?'})`;
  const entry = CODES[type];
  const c = entry && code !== null ? entry[1][code] : undefined;
  return entry && c ? `${t}/${entry[0]}_${c}` : `${t}/code ${code ?? '?'}`;
}

/** Which OFPT_ERROR a controller should send back for a message it failed to decode. */
export function ofErrorFor(code: string): { type: number; code: number } {
  switch (code) {
    case 'bad_version': return { type: OFPET.BAD_REQUEST, code: 0 };
    case 'bad_type': return { type: OFPET.BAD_REQUEST, code: 1 };
    case 'bad_multipart': return { type: OFPET.BAD_REQUEST, code: 2 };
    case 'bad_action': return { type: OFPET.BAD_ACTION, code: 0 };
    case 'bad_instruction': return { type: OFPET.BAD_INSTRUCTION, code: 0 };
    case 'bad_match': return { type: OFPET.BAD_MATCH, code: 0 };
    case 'bad_oxm': return { type: OFPET.BAD_MATCH, code: 1 };
    default: return { type: OFPET.BAD_REQUEST, code: 6 }; // OFPBRC_BAD_LEN
  }
}

/** Thrown by encodeMessage / fromRyuJson for input that cannot be encoded. `path` locates the bad field. */
export class OfEncodeError extends Error {
  constructor(message: string, readonly path: string = '') {
    super(path ? `${path}: ${message}` : message);
    this.name = 'OfEncodeError';
  }
}
