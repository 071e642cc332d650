// Actions (OF1.3 §7.2.5) and the Nicira extensions seen in Ryu's vectors. TLV family keyed by `type`;
// experimenter actions dispatch on the experimenter id, Nicira ones on their subtype.
import { custom, family, list, pad, struct, tl, u16, u32, u64, u8, bytes, type Field, type FamilySpec, type StructSpec } from './schema.js';
import { NX_EXPERIMENTER_ID, OFPAT } from './constants.js';

const A = { extent: 'self', padIncl: true } as const;
const empty = (id: string, type: number): StructSpec => struct(id, [...tl(type), pad(4)], A);
/** A Nicira action: type 0xffff, len, experimenter 0x2320, subtype, then its body (padded to 8). */
const nx = (id: string, subtype: number, body: Field[]): StructSpec => struct(id, [...tl(OFPAT.EXPERIMENTER),
  u32('experimenter', { value: NX_EXPERIMENTER_ID }), u16('subtype', { value: subtype }), ...body], A);
export const NX_SUBTYPES: Record<number, string> = {
  1: 'NXActionResubmit', 6: 'NXActionRegMove', 7: 'NXActionRegLoad', 8: 'NXActionNote', 14: 'NXActionResubmitTable',
  16: 'NXActionLearn', 19: 'NXActionFinTimeout', 20: 'NXActionController', 21: 'NXActionDecTtlCntIds',
  27: 'NXActionStackPush', 28: 'NXActionStackPop', 29: 'NXActionSample', 34: 'NXActionConjunction', 35: 'NXActionCT', 36: 'NXActionNAT', 37: 'NXActionController2',
  38: 'NXActionSample2', 39: 'NXActionOutputTrunc', 43: 'NXActionCTClear',
};

export const actionStructs: StructSpec[] = [
  struct('OFPActionOutput', [...tl(OFPAT.OUTPUT), u32('port'), u16('max_len'), pad(6)], A),
  empty('OFPActionCopyTtlOut', OFPAT.COPY_TTL_OUT),
  empty('OFPActionCopyTtlIn', OFPAT.COPY_TTL_IN),
  struct('OFPActionSetMplsTtl', [...tl(OFPAT.SET_MPLS_TTL), u8('mpls_ttl'), pad(3)], A),
  empty('OFPActionDecMplsTtl', OFPAT.DEC_MPLS_TTL),
  struct('OFPActionPushVlan', [...tl(OFPAT.PUSH_VLAN), u16('ethertype'), pad(2)], A),
  empty('OFPActionPopVlan', OFPAT.POP_VLAN),
  struct('OFPActionPushMpls', [...tl(OFPAT.PUSH_MPLS), u16('ethertype'), pad(2)], A),
  struct('OFPActionPopMpls', [...tl(OFPAT.POP_MPLS), u16('ethertype'), pad(2)], A),
  struct('OFPActionSetQueue', [...tl(OFPAT.SET_QUEUE), u32('queue_id')], A),
  struct('OFPActionGroup', [...tl(OFPAT.GROUP), u32('group_id')], A),
  struct('OFPActionSetNwTtl', [...tl(OFPAT.SET_NW_TTL), u8('nw_ttl'), pad(3)], A),
  empty('OFPActionDecNwTtl', OFPAT.DEC_NW_TTL),
  struct('OFPActionSetField', [...tl(OFPAT.SET_FIELD), custom('field', 'Oxm')], A),
  struct('OFPActionPushPbb', [...tl(OFPAT.PUSH_PBB), u16('ethertype'), pad(2)], A),
  empty('OFPActionPopPbb', OFPAT.POP_PBB),
  struct('OFPActionExperimenterUnknown', [...tl(OFPAT.EXPERIMENTER), u32('experimenter'), bytes('data')], A),
  // Nicira: type 0xffff, len, experimenter 0x2320, subtype
  struct('NXActionUnknown', [...tl(OFPAT.EXPERIMENTER), u32('experimenter', { value: NX_EXPERIMENTER_ID }), u16('subtype'), bytes('data')], A),
  struct('NXActionConjunction', [...tl(OFPAT.EXPERIMENTER), u32('experimenter', { value: NX_EXPERIMENTER_ID }),
    u16('subtype', { value: 34 }), u8('clause'), u8('n_clauses'), u32('id')], A),
  nx('NXActionResubmit', 1, [u16('in_port'), pad(4)]),
  nx('NXActionRegMove', 6, [u16('n_bits'), u16('src_ofs'), u16('dst_ofs'), custom('src_field', 'OxmHeader'), custom('dst_field', 'OxmHeader')]),
  nx('NXActionRegLoad', 7, [u16('ofs_nbits'), custom('dst', 'OxmHeader'), u64('value')]),
  nx('NXActionNote', 8, [bytes('note', 'u8list')]),
  nx('NXActionResubmitTable', 14, [u16('in_port'), u8('table_id'), pad(3)]),
  nx('NXActionFinTimeout', 19, [u16('fin_idle_timeout'), u16('fin_hard_timeout'), pad(2)]),
  nx('NXActionController', 20, [u16('max_len'), u16('controller_id'), u8('reason'), pad(1)]),
  nx('NXActionDecTtlCntIds', 21, [custom('cnt_ids', 'CntIds')]),
  nx('NXActionStackPush', 27, [u16('start'), custom('field', 'OxmHeader'), u16('end')]),
  nx('NXActionStackPop', 28, [u16('start'), custom('field', 'OxmHeader'), u16('end')]),
  nx('NXActionSample', 29, [u16('probability'), u32('collector_set_id'), u32('obs_domain_id'), u32('obs_point_id')]),
  nx('NXActionCT', 35, [u16('flags'), custom('zone_src', 'OxmHeader'), u16('zone_ofs_nbits'), u8('recirc_table'), pad(3),
    u16('alg'), list('actions', 'Action')]),
  nx('NXActionSample2', 38, [u16('probability'), u32('collector_set_id'), u32('obs_domain_id'), u32('obs_point_id'),
    u16('sampling_port'), pad(6)]),
  nx('NXActionOutputTrunc', 39, [u16('port'), u32('max_len')]),
  nx('NXActionCTClear', 43, [pad(6)]),
  struct('NXActionLearn', [...tl(OFPAT.EXPERIMENTER), u32('experimenter', { value: NX_EXPERIMENTER_ID }),
    u16('subtype', { value: 16 }), u16('idle_timeout'), u16('hard_timeout'), u16('priority'), u64('cookie'),
    u16('flags'), u8('table_id'), pad(1), u16('fin_idle_timeout'), u16('fin_hard_timeout'), custom('specs', 'LearnSpecs')], A),
];

export const actionFamilies: FamilySpec[] = [
  family('Action', 'action type', 0, 2, {
    [OFPAT.OUTPUT]: 'OFPActionOutput', [OFPAT.COPY_TTL_OUT]: 'OFPActionCopyTtlOut', [OFPAT.COPY_TTL_IN]: 'OFPActionCopyTtlIn',
    [OFPAT.SET_MPLS_TTL]: 'OFPActionSetMplsTtl', [OFPAT.DEC_MPLS_TTL]: 'OFPActionDecMplsTtl',
    [OFPAT.PUSH_VLAN]: 'OFPActionPushVlan', [OFPAT.POP_VLAN]: 'OFPActionPopVlan', [OFPAT.PUSH_MPLS]: 'OFPActionPushMpls',
    [OFPAT.POP_MPLS]: 'OFPActionPopMpls', [OFPAT.SET_QUEUE]: 'OFPActionSetQueue', [OFPAT.GROUP]: 'OFPActionGroup',
    [OFPAT.SET_NW_TTL]: 'OFPActionSetNwTtl', [OFPAT.DEC_NW_TTL]: 'OFPActionDecNwTtl', [OFPAT.SET_FIELD]: 'OFPActionSetField',
    [OFPAT.PUSH_PBB]: 'OFPActionPushPbb', [OFPAT.POP_PBB]: 'OFPActionPopPbb', [OFPAT.EXPERIMENTER]: 'ActionExperimenter',
  }, { errCode: 'bad_action' }),
  family('ActionExperimenter', 'experimenter action', 4, 4, { [NX_EXPERIMENTER_ID]: 'NXAction' }, { fallback: 'OFPActionExperimenterUnknown' }),
  family('NXAction', 'Nicira action subtype', 8, 2, NX_SUBTYPES, { fallback: 'NXActionUnknown' }),
];
