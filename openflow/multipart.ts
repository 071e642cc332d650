// Multipart requests/replies (OF1.3 §7.3.5): one description per OFPMP_* type and direction, plus their bodies.
import { bytes, family, list, one, pad, str, struct, u16, u32, u32arr, u64, u8, type Field, type FamilySpec, type StructSpec } from './schema.js';
import { ONF_EXPERIMENTER_ID, OFPMP, OFPT } from './constants.js';
import { hdr } from './header-desc.js';

const SELF = { extent: 'self' } as const;
const mpReq = (mp: number): Field[] => [...hdr(OFPT.MULTIPART_REQUEST), u16('type', { value: mp }), u16('flags'), pad(4)];
const mpRep = (mp: number): Field[] => [...hdr(OFPT.MULTIPART_REPLY), u16('type', { value: mp }), u16('flags'), pad(4)];
const flowReq: Field[] = [u8('table_id'), pad(3), u32('out_port'), u32('out_group'), pad(4), u64('cookie'), u64('cookie_mask'), one('match', 'OFPMatch')];

export const multipartBodies: StructSpec[] = [
  struct('OFPDescStats', [str('mfr_desc', 256), str('hw_desc', 256), str('sw_desc', 256), str('serial_num', 32), str('dp_desc', 256)]),
  struct('OFPFlowStats', [u16('length', { self: true }), u8('table_id'), pad(1), u32('duration_sec'), u32('duration_nsec'),
    u16('priority'), u16('idle_timeout'), u16('hard_timeout'), u16('flags'), pad(4), u64('cookie'), u64('packet_count'),
    u64('byte_count'), one('match', 'OFPMatch'), list('instructions', 'Instruction')], SELF),
  struct('OFPAggregateStats', [u64('packet_count'), u64('byte_count'), u32('flow_count'), pad(4)]),
  struct('OFPTableStats', [u8('table_id'), pad(3), u32('active_count'), u64('lookup_count'), u64('matched_count')]),
  struct('OFPPortStats', [u32('port_no'), pad(4), ...['rx_packets', 'tx_packets', 'rx_bytes', 'tx_bytes', 'rx_dropped',
    'tx_dropped', 'rx_errors', 'tx_errors', 'rx_frame_err', 'rx_over_err', 'rx_crc_err', 'collisions'].map(u64),
  u32('duration_sec'), u32('duration_nsec')]),
  struct('OFPQueueStats', [u32('port_no'), u32('queue_id'), u64('tx_bytes'), u64('tx_packets'), u64('tx_errors'),
    u32('duration_sec'), u32('duration_nsec')]),
  struct('OFPBucketCounter', [u64('packet_count'), u64('byte_count')]),
  struct('OFPGroupStats', [u16('length', { self: true }), pad(2), u32('group_id'), u32('ref_count'), pad(4),
    u64('packet_count'), u64('byte_count'), u32('duration_sec'), u32('duration_nsec'), list('bucket_stats', 'OFPBucketCounter')], SELF),
  struct('OFPGroupDescStats', [u16('length', { self: true }), u8('type'), pad(1), u32('group_id'), list('buckets', 'OFPBucket')], SELF),
  struct('OFPGroupFeaturesStats', [u32('types'), u32('capabilities'), u32arr('max_groups', 4), u32arr('actions', 4)]),
  struct('OFPMeterBandStats', [u64('packet_band_count'), u64('byte_band_count')]),
  struct('OFPMeterStats', [u32('meter_id'), u16('len', { self: true }), pad(6), u32('flow_count'), u64('packet_in_count'),
    u64('byte_in_count'), u32('duration_sec'), u32('duration_nsec'), list('band_stats', 'OFPMeterBandStats')], SELF),
  struct('OFPMeterConfigStats', [u16('length', { self: true }), u16('flags'), u32('meter_id'), list('bands', 'MeterBand')], SELF),
  struct('OFPMeterFeaturesStats', [u32('max_meter'), u32('band_types'), u32('capabilities'), u8('max_bands'), u8('max_color'), pad(2)]),
  struct('OFPTableFeaturesStats', [u16('length', { self: true }), u8('table_id'), pad(5), str('name', 32), u64('metadata_match'),
    u64('metadata_write'), u32('config'), u32('max_entries'), list('properties', 'TableFeatureProp')], SELF),
  struct('OFPExperimenterMultipart', [u32('experimenter'), u32('exp_type'), bytes('data')], { extent: 'rest' }),
  // table-feature properties: length excludes the padding to 8
  struct('OFPInstructionId', [u16('type'), u16('len', { self: true }), bytes('data', 'buf', true)], SELF),
  struct('OFPActionId', [u16('type'), u16('len', { self: true }), bytes('data', 'buf', true)], SELF),
  ...[['OFPTableFeaturePropInstructions', list('instruction_ids', 'OFPInstructionId')],
    ['OFPTableFeaturePropNextTables', bytes('table_ids', 'u8list')],
    ['OFPTableFeaturePropActions', list('action_ids', 'OFPActionId')],
    ['OFPTableFeaturePropOxm', list('oxm_ids', 'OFPOxmId')],
    ['OFPTableFeaturePropUnknown', bytes('data')]].map(([id, f]) =>
    struct(id as string, [u16('type'), u16('length', { self: true }), f as Field], { extent: 'self', pad8: true })),
  struct('OFPTableFeaturePropExperimenter', [u16('type'), u16('length', { self: true }), u32('experimenter'), u32('exp_type'),
    bytes('data', 'u32list')], { extent: 'self', pad8: true }),
];

export const multipartMessages: StructSpec[] = [
  struct('OFPDescStatsRequest', mpReq(OFPMP.DESC), SELF),
  struct('OFPDescStatsReply', [...mpRep(OFPMP.DESC), one('body', 'OFPDescStats')], SELF),
  struct('OFPFlowStatsRequest', [...mpReq(OFPMP.FLOW), ...flowReq], SELF),
  struct('OFPFlowStatsReply', [...mpRep(OFPMP.FLOW), list('body', 'OFPFlowStats')], SELF),
  struct('OFPAggregateStatsRequest', [...mpReq(OFPMP.AGGREGATE), ...flowReq], SELF),
  struct('OFPAggregateStatsReply', [...mpRep(OFPMP.AGGREGATE), one('body', 'OFPAggregateStats')], SELF),
  struct('OFPTableStatsRequest', mpReq(OFPMP.TABLE), SELF),
  struct('OFPTableStatsReply', [...mpRep(OFPMP.TABLE), list('body', 'OFPTableStats')], SELF),
  struct('OFPPortStatsRequest', [...mpReq(OFPMP.PORT_STATS), u32('port_no'), pad(4)], SELF),
  struct('OFPPortStatsReply', [...mpRep(OFPMP.PORT_STATS), list('body', 'OFPPortStats')], SELF),
  struct('OFPQueueStatsRequest', [...mpReq(OFPMP.QUEUE), u32('port_no'), u32('queue_id')], SELF),
  struct('OFPQueueStatsReply', [...mpRep(OFPMP.QUEUE), list('body', 'OFPQueueStats')], SELF),
  struct('OFPGroupStatsRequest', [...mpReq(OFPMP.GROUP), u32('group_id'), pad(4)], SELF),
  struct('OFPGroupStatsReply', [...mpRep(OFPMP.GROUP), list('body', 'OFPGroupStats')], SELF),
  struct('OFPGroupDescStatsRequest', mpReq(OFPMP.GROUP_DESC), SELF),
  struct('OFPGroupDescStatsReply', [...mpRep(OFPMP.GROUP_DESC), list('body', 'OFPGroupDescStats')], SELF),
  struct('OFPGroupFeaturesStatsRequest', mpReq(OFPMP.GROUP_FEATURES), SELF),
  struct('OFPGroupFeaturesStatsReply', [...mpRep(OFPMP.GROUP_FEATURES), one('body', 'OFPGroupFeaturesStats')], SELF),
  struct('OFPMeterStatsRequest', [...mpReq(OFPMP.METER), u32('meter_id'), pad(4)], SELF),
  struct('OFPMeterStatsReply', [...mpRep(OFPMP.METER), list('body', 'OFPMeterStats')], SELF),
  struct('OFPMeterConfigStatsRequest', [...mpReq(OFPMP.METER_CONFIG), u32('meter_id'), pad(4)], SELF),
  struct('OFPMeterConfigStatsReply', [...mpRep(OFPMP.METER_CONFIG), list('body', 'OFPMeterConfigStats')], SELF),
  struct('OFPMeterFeaturesStatsRequest', mpReq(OFPMP.METER_FEATURES), SELF),
  struct('OFPMeterFeaturesStatsReply', [...mpRep(OFPMP.METER_FEATURES), list('body', 'OFPMeterFeaturesStats')], SELF),
  struct('OFPTableFeaturesStatsRequest', [...mpReq(OFPMP.TABLE_FEATURES), list('body', 'OFPTableFeaturesStats')], SELF),
  struct('OFPTableFeaturesStatsReply', [...mpRep(OFPMP.TABLE_FEATURES), list('body', 'OFPTableFeaturesStats')], SELF),
  struct('OFPPortDescStatsRequest', mpReq(OFPMP.PORT_DESC), SELF),
  struct('OFPPortDescStatsReply', [...mpRep(OFPMP.PORT_DESC), list('body', 'OFPPort')], SELF),
  struct('OFPExperimenterStatsRequest', [...mpReq(OFPMP.EXPERIMENTER), u32('experimenter'), u32('exp_type'), bytes('data')], SELF),
  struct('ONFFlowMonitorStatsRequest', [...mpReq(OFPMP.EXPERIMENTER), u32('experimenter', { value: ONF_EXPERIMENTER_ID }),
    u32('exp_type', { value: 1870 }), list('body', 'ONFFlowMonitorRequest')], SELF),
  struct('OFPExperimenterStatsReply', [...mpRep(OFPMP.EXPERIMENTER), one('body', 'OFPExperimenterMultipart')], SELF),
];

const mpCases = (dir: 'Request' | 'Reply'): Record<number, string> => ({
  [OFPMP.DESC]: `OFPDescStats${dir}`, [OFPMP.FLOW]: `OFPFlowStats${dir}`, [OFPMP.AGGREGATE]: `OFPAggregateStats${dir}`,
  [OFPMP.TABLE]: `OFPTableStats${dir}`, [OFPMP.PORT_STATS]: `OFPPortStats${dir}`, [OFPMP.QUEUE]: `OFPQueueStats${dir}`,
  [OFPMP.GROUP]: `OFPGroupStats${dir}`, [OFPMP.GROUP_DESC]: `OFPGroupDescStats${dir}`,
  [OFPMP.GROUP_FEATURES]: `OFPGroupFeaturesStats${dir}`, [OFPMP.METER]: `OFPMeterStats${dir}`,
  [OFPMP.METER_CONFIG]: `OFPMeterConfigStats${dir}`, [OFPMP.METER_FEATURES]: `OFPMeterFeaturesStats${dir}`,
  [OFPMP.TABLE_FEATURES]: `OFPTableFeaturesStats${dir}`, [OFPMP.PORT_DESC]: `OFPPortDescStats${dir}`,
  [OFPMP.EXPERIMENTER]: dir === 'Request' ? 'MpReqExperimenter' : 'OFPExperimenterStatsReply',
});
export const multipartFamilies: FamilySpec[] = [
  family('MultipartRequest', 'multipart request type', 8, 2, mpCases('Request'), { errCode: 'bad_multipart' }),
  family('MultipartReply', 'multipart reply type', 8, 2, mpCases('Reply'), { errCode: 'bad_multipart' }),
  family('MpReqExperimenter', 'experimenter multipart', 16, 4, { [ONF_EXPERIMENTER_ID]: 'MpReqONF' }, { fallback: 'OFPExperimenterStatsRequest' }),
  family('MpReqONF', 'ONF multipart', 20, 4, { 1870: 'ONFFlowMonitorStatsRequest' }, { fallback: 'OFPExperimenterStatsRequest' }),
  family('TableFeatureProp', 'table feature property', 0, 2, {
    0: 'OFPTableFeaturePropInstructions', 1: 'OFPTableFeaturePropInstructions', 2: 'OFPTableFeaturePropNextTables',
    3: 'OFPTableFeaturePropNextTables', 4: 'OFPTableFeaturePropActions', 5: 'OFPTableFeaturePropActions',
    6: 'OFPTableFeaturePropActions', 7: 'OFPTableFeaturePropActions', 8: 'OFPTableFeaturePropOxm',
    10: 'OFPTableFeaturePropOxm', 12: 'OFPTableFeaturePropOxm', 13: 'OFPTableFeaturePropOxm',
    14: 'OFPTableFeaturePropOxm', 15: 'OFPTableFeaturePropOxm', 0xfffe: 'OFPTableFeaturePropExperimenter',
    0xffff: 'OFPTableFeaturePropExperimenter',
  }, { fallback: 'OFPTableFeaturePropUnknown' }),
];

