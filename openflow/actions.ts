// Actions (OF1.3 §7.2.5) and the Nicira extensions seen in Ryu's vectors. TLV family keyed by `type`;
// experimenter actions dispatch on the experimenter id, Nicira ones on their subtype.
import { custom, family, pad, struct, tl, u16, u32, u64, u8, bytes, type FamilySpec, type StructSpec } from './schema.js';
import { NX_EXPERIMENTER_ID, OFPAT } from './constants.js';

const A = { extent: 'self', padIncl: true } as const;
const empty = (id: string, type: number): StructSpec => struct(id, [...tl(type), pad(4)], A);

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
  family('NXAction', 'Nicira action subtype', 8, 2, { 34: 'NXActionConjunction', 16: 'NXActionLearn' }, { fallback: 'NXActionUnknown' }),
];
