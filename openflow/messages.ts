// Every OpenFlow 1.3 message (§7.1–7.5) as a description: header prefix + body fields.
import { bytes, emit, family, list, mac, one, pad, struct, u16, u32, u32arr, u64, u8, type FamilySpec, type StructSpec } from './schema.js';
import { OFPT } from './constants.js';
import { hdr } from './header-desc.js';

const M = { extent: 'self' } as const;
const async = [u32arr('packet_in_mask', 2), u32arr('port_status_mask', 2), u32arr('flow_removed_mask', 2)];

export const messageStructs: StructSpec[] = [
  struct('OFPHello', [...hdr(OFPT.HELLO), list('elements', 'HelloElem')], M),
  struct('OFPErrorMsg', [...hdr(OFPT.ERROR), u16('type'), u16('code'), bytes('data')], M),
  struct('OFPErrorExperimenterMsg', [...hdr(OFPT.ERROR), u16('type', { value: 0xffff }), u16('exp_type'), u32('experimenter'),
    bytes('data'), emit('code', 'null')], { ...M, kind: 'OFPErrorMsg', encodeWhen: 'v.type===65535' }),
  struct('OFPEchoRequest', [...hdr(OFPT.ECHO_REQUEST), bytes('data')], M),
  struct('OFPEchoReply', [...hdr(OFPT.ECHO_REPLY), bytes('data')], M),
  struct('OFPExperimenter', [...hdr(OFPT.EXPERIMENTER), u32('experimenter'), u32('exp_type'), bytes('data')], M),
  struct('OFPFeaturesRequest', hdr(OFPT.FEATURES_REQUEST), M),
  struct('OFPSwitchFeatures', [...hdr(OFPT.FEATURES_REPLY), u64('datapath_id'), u32('n_buffers'), u8('n_tables'),
    u8('auxiliary_id'), pad(2), u32('capabilities'), pad(4)], M),
  struct('OFPGetConfigRequest', hdr(OFPT.GET_CONFIG_REQUEST), M),
  struct('OFPGetConfigReply', [...hdr(OFPT.GET_CONFIG_REPLY), u16('flags'), u16('miss_send_len')], M),
  struct('OFPSetConfig', [...hdr(OFPT.SET_CONFIG), u16('flags'), u16('miss_send_len')], M),
  struct('OFPPacketIn', [...hdr(OFPT.PACKET_IN), u32('buffer_id'), u16('total_len'), u8('reason'), u8('table_id'),
    u64('cookie'), one('match', 'OFPMatch'), pad(2), bytes('data')], M),
  struct('OFPFlowRemoved', [...hdr(OFPT.FLOW_REMOVED), u64('cookie'), u16('priority'), u8('reason'), u8('table_id'),
    u32('duration_sec'), u32('duration_nsec'), u16('idle_timeout'), u16('hard_timeout'), u64('packet_count'),
    u64('byte_count'), one('match', 'OFPMatch')], M),
  struct('OFPPortStatus', [...hdr(OFPT.PORT_STATUS), u8('reason'), pad(7), one('desc', 'OFPPort')], M),
  struct('OFPPacketOut', [...hdr(OFPT.PACKET_OUT), u32('buffer_id'), u32('in_port'), u16('actions_len', { lenOf: 'actions' }),
    pad(6), list('actions', 'Action', 'actions_len'), bytes('data')], M),
  struct('OFPFlowMod', [...hdr(OFPT.FLOW_MOD), u64('cookie'), u64('cookie_mask'), u8('table_id'), u8('command'),
    u16('idle_timeout'), u16('hard_timeout'), u16('priority'), u32('buffer_id'), u32('out_port'), u32('out_group'),
    u16('flags'), pad(2), one('match', 'OFPMatch'), list('instructions', 'Instruction')], M),
  struct('OFPGroupMod', [...hdr(OFPT.GROUP_MOD), u16('command'), u8('type'), pad(1), u32('group_id'), list('buckets', 'OFPBucket')], M),
  struct('OFPPortMod', [...hdr(OFPT.PORT_MOD), u32('port_no'), pad(4), mac('hw_addr'), pad(2), u32('config'), u32('mask'),
    u32('advertise'), pad(4)], M),
  struct('OFPTableMod', [...hdr(OFPT.TABLE_MOD), u8('table_id'), pad(3), u32('config')], M),
  struct('OFPBarrierRequest', hdr(OFPT.BARRIER_REQUEST), M),
  struct('OFPBarrierReply', hdr(OFPT.BARRIER_REPLY), M),
  struct('OFPQueueGetConfigRequest', [...hdr(OFPT.QUEUE_GET_CONFIG_REQUEST), u32('port'), pad(4)], M),
  struct('OFPQueueGetConfigReply', [...hdr(OFPT.QUEUE_GET_CONFIG_REPLY), u32('port'), pad(4), list('queues', 'OFPPacketQueue')], M),
  struct('OFPRoleRequest', [...hdr(OFPT.ROLE_REQUEST), u32('role'), pad(4), u64('generation_id')], M),
  struct('OFPRoleReply', [...hdr(OFPT.ROLE_REPLY), u32('role'), pad(4), u64('generation_id')], M),
  struct('OFPGetAsyncRequest', hdr(OFPT.GET_ASYNC_REQUEST), M),
  struct('OFPGetAsyncReply', [...hdr(OFPT.GET_ASYNC_REPLY), ...async], M),
  struct('OFPSetAsync', [...hdr(OFPT.SET_ASYNC), ...async], M),
  struct('OFPMeterMod', [...hdr(OFPT.METER_MOD), u16('command'), u16('flags'), u32('meter_id'), list('bands', 'MeterBand')], M),
];

export const messageFamilies: FamilySpec[] = [
  family('Message', 'message type', 1, 1, {
    [OFPT.HELLO]: 'OFPHello', [OFPT.ERROR]: 'ErrorMsg', [OFPT.ECHO_REQUEST]: 'OFPEchoRequest',
    [OFPT.ECHO_REPLY]: 'OFPEchoReply', [OFPT.EXPERIMENTER]: 'OFPExperimenter', [OFPT.FEATURES_REQUEST]: 'OFPFeaturesRequest',
    [OFPT.FEATURES_REPLY]: 'OFPSwitchFeatures', [OFPT.GET_CONFIG_REQUEST]: 'OFPGetConfigRequest',
    [OFPT.GET_CONFIG_REPLY]: 'OFPGetConfigReply', [OFPT.SET_CONFIG]: 'OFPSetConfig', [OFPT.PACKET_IN]: 'OFPPacketIn',
    [OFPT.FLOW_REMOVED]: 'OFPFlowRemoved', [OFPT.PORT_STATUS]: 'OFPPortStatus', [OFPT.PACKET_OUT]: 'OFPPacketOut',
    [OFPT.FLOW_MOD]: 'OFPFlowMod', [OFPT.GROUP_MOD]: 'OFPGroupMod', [OFPT.PORT_MOD]: 'OFPPortMod',
    [OFPT.TABLE_MOD]: 'OFPTableMod', [OFPT.MULTIPART_REQUEST]: 'MultipartRequest', [OFPT.MULTIPART_REPLY]: 'MultipartReply',
    [OFPT.BARRIER_REQUEST]: 'OFPBarrierRequest', [OFPT.BARRIER_REPLY]: 'OFPBarrierReply',
    [OFPT.QUEUE_GET_CONFIG_REQUEST]: 'OFPQueueGetConfigRequest', [OFPT.QUEUE_GET_CONFIG_REPLY]: 'OFPQueueGetConfigReply',
    [OFPT.ROLE_REQUEST]: 'OFPRoleRequest', [OFPT.ROLE_REPLY]: 'OFPRoleReply', [OFPT.GET_ASYNC_REQUEST]: 'OFPGetAsyncRequest',
    [OFPT.GET_ASYNC_REPLY]: 'OFPGetAsyncReply', [OFPT.SET_ASYNC]: 'OFPSetAsync', [OFPT.METER_MOD]: 'OFPMeterMod',
  }, { errCode: 'bad_type' }),
  family('ErrorMsg', 'error type', 8, 2, { 0xffff: 'OFPErrorExperimenterMsg' }, { fallback: 'OFPErrorMsg' }),
];

