// Instructions (OF1.3 §7.2.4): TLV family keyed by `type`. WRITE/APPLY/CLEAR_ACTIONS share Ryu's class
// OFPInstructionActions, whose `type` is therefore a real field.
import { bytes, family, list, pad, struct, tl, u16, u32, u64, u8, type FamilySpec, type StructSpec } from './schema.js';
import { OFPIT } from './constants.js';

const I = { extent: 'self', padIncl: true } as const;
export const instructionStructs: StructSpec[] = [
  struct('OFPInstructionGotoTable', [...tl(OFPIT.GOTO_TABLE), u8('table_id'), pad(3)], I),
  struct('OFPInstructionWriteMetadata', [...tl(OFPIT.WRITE_METADATA), pad(4), u64('metadata'), u64('metadata_mask')], I),
  struct('OFPInstructionActions', [u16('type'), u16('len', { self: true }), pad(4), list('actions', 'Action')], I),
  struct('OFPInstructionMeter', [...tl(OFPIT.METER), u32('meter_id')], I),
  struct('OFPInstructionExperimenter', [...tl(OFPIT.EXPERIMENTER), u32('experimenter'), bytes('data')], I),
];
export const instructionFamilies: FamilySpec[] = [
  family('Instruction', 'instruction type', 0, 2, {
    [OFPIT.GOTO_TABLE]: 'OFPInstructionGotoTable', [OFPIT.WRITE_METADATA]: 'OFPInstructionWriteMetadata',
    [OFPIT.WRITE_ACTIONS]: 'OFPInstructionActions', [OFPIT.APPLY_ACTIONS]: 'OFPInstructionActions',
    [OFPIT.CLEAR_ACTIONS]: 'OFPInstructionActions', [OFPIT.METER]: 'OFPInstructionMeter',
    [OFPIT.EXPERIMENTER]: 'OFPInstructionExperimenter',
  }, { errCode: 'bad_instruction' }),
];
