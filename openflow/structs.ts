// Common structures: OXM match, port, bucket, meter bands, queues, hello elements.
import { bytes, custom, family, list, mac, pad, str, struct, u16, u32, u8, type FamilySpec, type StructSpec } from './schema.js';
import { OFPMBT, OFPQT } from './constants.js';

const SELF = { extent: 'self' } as const;
export const commonStructs: StructSpec[] = [
  // ofp_match: type must be OFPMT_OXM; length excludes the padding to 8 that follows
  struct('OFPMatch', [u16('type', { value: 1, expect: 'bad_match' }), u16('length', { self: true }), custom('oxm_fields', 'OxmList')],
    { extent: 'self', pad8: true }),
  struct('OFPPort', [u32('port_no'), pad(4), mac('hw_addr'), pad(2), str('name', 16), u32('config'), u32('state'),
    u32('curr'), u32('advertised'), u32('supported'), u32('peer'), u32('curr_speed'), u32('max_speed')]),
  struct('OFPBucket', [u16('len', { self: true }), u16('weight'), u32('watch_port'), u32('watch_group'), pad(4),
    list('actions', 'Action')], SELF),
  struct('OFPMeterBandDrop', [u16('type', { value: OFPMBT.DROP }), u16('len', { self: true }), u32('rate'), u32('burst_size'), pad(4)], SELF),
  struct('OFPMeterBandDscpRemark', [u16('type', { value: OFPMBT.DSCP_REMARK }), u16('len', { self: true }), u32('rate'),
    u32('burst_size'), u8('prec_level'), pad(3)], SELF),
  struct('OFPMeterBandExperimenter', [u16('type', { value: OFPMBT.EXPERIMENTER }), u16('len', { self: true }), u32('rate'),
    u32('burst_size'), u32('experimenter')], SELF),
  struct('OFPQueuePropMinRate', [u16('property', { value: OFPQT.MIN_RATE }), u16('len', { self: true }), pad(4), u16('rate'), pad(6)], SELF),
  struct('OFPQueuePropMaxRate', [u16('property', { value: OFPQT.MAX_RATE }), u16('len', { self: true }), pad(4), u16('rate'), pad(6)], SELF),
  struct('OFPQueuePropExperimenter', [u16('property', { value: OFPQT.EXPERIMENTER }), u16('len', { self: true }), pad(4),
    u32('experimenter'), pad(4), bytes('data', 'u8list')], SELF),
  struct('OFPPacketQueue', [u32('queue_id'), u32('port'), u16('len', { self: true }), pad(6), list('properties', 'QueueProp')], SELF),
  struct('OFPHelloElemVersionBitmap', [u16('type', { value: 1 }), u16('length', { self: true }), custom('versions', 'VersionBitmap')],
    { extent: 'self', pad8: true }),
  struct('OFPHelloElemUnknown', [u16('type'), u16('length', { self: true }), bytes('data')], { extent: 'self', pad8: true }),
];
export const commonFamilies: FamilySpec[] = [
  family('MeterBand', 'meter band type', 0, 2, {
    [OFPMBT.DROP]: 'OFPMeterBandDrop', [OFPMBT.DSCP_REMARK]: 'OFPMeterBandDscpRemark', [OFPMBT.EXPERIMENTER]: 'OFPMeterBandExperimenter',
  }, { errCode: 'bad_value' }),
  family('QueueProp', 'queue property', 0, 2, {
    [OFPQT.MIN_RATE]: 'OFPQueuePropMinRate', [OFPQT.MAX_RATE]: 'OFPQueuePropMaxRate', [OFPQT.EXPERIMENTER]: 'OFPQueuePropExperimenter',
  }, { errCode: 'bad_value' }),
  family('HelloElem', 'hello element', 0, 2, { 1: 'OFPHelloElemVersionBitmap' }, { fallback: 'OFPHelloElemUnknown' }),
];
