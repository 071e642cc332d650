// The typed OpenFlow 1.3 message model. In-memory messages mirror Ryu's to_jsondict shape (the vectors in
// /work/shared/vectors/ryu-of13/json) with the class wrapper {"OFPFlowMod": {...}} replaced by a `kind`
// discriminant (Ryu class names). Field names are Ryu's (snake_case). Numeric `type`/`len`/`length` fields are
// filled on decode and optional on encode (the encoder computes them). 64-bit fields are bigint.
// Byte strings are Uint8Array (decode yields Buffers that own their memory, never views into the input).

export type Bytes = Uint8Array;

/** Optional header fields carried by every message. `xid` defaults to 0 on encode, `version` to 4. */
export interface OfHeaderFields {
  xid?: number;
  version?: number;
}

// ---------------------------------------------------------------------------------------------- OXM / match
export type OfbField =
  | 'in_port' | 'in_phy_port' | 'metadata' | 'eth_dst' | 'eth_src' | 'eth_type' | 'vlan_vid' | 'vlan_pcp'
  | 'ip_dscp' | 'ip_ecn' | 'ip_proto' | 'ipv4_src' | 'ipv4_dst' | 'tcp_src' | 'tcp_dst' | 'udp_src' | 'udp_dst'
  | 'sctp_src' | 'sctp_dst' | 'icmpv4_type' | 'icmpv4_code' | 'arp_op' | 'arp_spa' | 'arp_tpa' | 'arp_sha'
  | 'arp_tha' | 'ipv6_src' | 'ipv6_dst' | 'ipv6_flabel' | 'icmpv6_type' | 'icmpv6_code' | 'ipv6_nd_target'
  | 'ipv6_nd_sll' | 'ipv6_nd_tll' | 'mpls_label' | 'mpls_tc' | 'mpls_bos' | 'pbb_isid' | 'tunnel_id'
  | 'ipv6_exthdr';
/** OpenFlow-basic fields, the ONF/Nicira extension fields Ryu knows (pbb_uca, tun_ipv4_src, conj_id, reg0…),
 *  and `field_<n>` for an unknown 32-bit OXM header n (value then raw bytes). */
export type OxmField = OfbField | (string & Record<never, never>);
/** number for ≤32-bit integers, bigint for 64-bit (metadata, tunnel_id, xreg*), string for MAC ("aa:bb:…"),
 *  IPv4 ("10.0.0.1") and IPv6 ("fe80::1"); Uint8Array for fields of unknown type. */
export type OxmValue = number | bigint | string | Bytes;
export interface OxmTlv {
  field: OxmField;
  value: OxmValue;
  /** null/undefined = exact match. */
  mask?: OxmValue | null;
}
export interface OFPMatch {
  kind?: 'OFPMatch';
  /** OFPMT_OXM = 1 */
  type?: number;
  /** Match length without trailing padding (computed on encode). */
  length?: number;
  oxm_fields: OxmTlv[];
}

// ---------------------------------------------------------------------------------------------- actions
interface ActionBase { type?: number; len?: number }
export interface OFPActionOutput extends ActionBase { kind: 'OFPActionOutput'; port: number; max_len: number }
export interface OFPActionCopyTtlOut extends ActionBase { kind: 'OFPActionCopyTtlOut' }
export interface OFPActionCopyTtlIn extends ActionBase { kind: 'OFPActionCopyTtlIn' }
export interface OFPActionSetMplsTtl extends ActionBase { kind: 'OFPActionSetMplsTtl'; mpls_ttl: number }
export interface OFPActionDecMplsTtl extends ActionBase { kind: 'OFPActionDecMplsTtl' }
export interface OFPActionPushVlan extends ActionBase { kind: 'OFPActionPushVlan'; ethertype: number }
export interface OFPActionPopVlan extends ActionBase { kind: 'OFPActionPopVlan' }
export interface OFPActionPushMpls extends ActionBase { kind: 'OFPActionPushMpls'; ethertype: number }
export interface OFPActionPopMpls extends ActionBase { kind: 'OFPActionPopMpls'; ethertype: number }
export interface OFPActionSetQueue extends ActionBase { kind: 'OFPActionSetQueue'; queue_id: number }
export interface OFPActionGroup extends ActionBase { kind: 'OFPActionGroup'; group_id: number }
export interface OFPActionSetNwTtl extends ActionBase { kind: 'OFPActionSetNwTtl'; nw_ttl: number }
export interface OFPActionDecNwTtl extends ActionBase { kind: 'OFPActionDecNwTtl' }
export interface OFPActionSetField extends ActionBase { kind: 'OFPActionSetField'; field: OxmTlv }
export interface OFPActionPushPbb extends ActionBase { kind: 'OFPActionPushPbb'; ethertype: number }
export interface OFPActionPopPbb extends ActionBase { kind: 'OFPActionPopPbb' }
/** Any experimenter action we have no description for (data = bytes after the experimenter id). */
export interface OFPActionExperimenterUnknown extends ActionBase {
  kind: 'OFPActionExperimenterUnknown'; experimenter: number; data: Bytes;
}
/** Nicira (experimenter 0x2320) action of a subtype we do not describe: data after the subtype. */
export interface NXActionUnknown extends ActionBase {
  kind: 'NXActionUnknown'; experimenter?: number; subtype: number; data: Bytes;
}
export interface NXActionConjunction extends ActionBase {
  kind: 'NXActionConjunction'; experimenter?: number; subtype?: number; clause: number; n_clauses: number; id: number;
}
/** NX field reference [field name, bit offset] as Ryu prints it. */
export type NXFieldRef = [string, number];
export interface NXFlowSpecMatch { kind: 'NXFlowSpecMatch'; src: NXFieldRef | number | bigint; dst: NXFieldRef; n_bits: number }
export interface NXFlowSpecLoad { kind: 'NXFlowSpecLoad'; src: NXFieldRef | number | bigint; dst: NXFieldRef; n_bits: number }
export interface NXFlowSpecOutput { kind: 'NXFlowSpecOutput'; src: NXFieldRef; dst: ''; n_bits: number }
export type NXFlowSpec = NXFlowSpecMatch | NXFlowSpecLoad | NXFlowSpecOutput;
export interface NXActionLearn extends ActionBase {
  kind: 'NXActionLearn'; experimenter?: number; subtype?: number;
  idle_timeout: number; hard_timeout: number; priority: number; cookie: bigint; flags: number; table_id: number;
  fin_idle_timeout: number; fin_hard_timeout: number; specs: NXFlowSpec[];
}
interface NXBase extends ActionBase { experimenter?: number; subtype?: number }
export interface NXActionResubmit extends NXBase { kind: 'NXActionResubmit'; in_port: number }
export interface NXActionResubmitTable extends NXBase { kind: 'NXActionResubmitTable'; in_port: number; table_id: number }
/** dst/src fields are Ryu field names ("reg0", "eth_dst_nxm", …). */
export interface NXActionRegLoad extends NXBase { kind: 'NXActionRegLoad'; ofs_nbits: number; dst: string; value: bigint }
export interface NXActionRegMove extends NXBase {
  kind: 'NXActionRegMove'; n_bits: number; src_ofs: number; dst_ofs: number; src_field: string; dst_field: string;
}
/** Ryu keeps the note's padding zeros in `note`. */
export interface NXActionNote extends NXBase { kind: 'NXActionNote'; note: number[] }
export interface NXActionOutputTrunc extends NXBase { kind: 'NXActionOutputTrunc'; port: number; max_len: number }
export interface NXActionFinTimeout extends NXBase { kind: 'NXActionFinTimeout'; fin_idle_timeout: number; fin_hard_timeout: number }
export interface NXActionController extends NXBase { kind: 'NXActionController'; max_len: number; controller_id: number; reason: number }
export interface NXActionDecTtlCntIds extends NXBase { kind: 'NXActionDecTtlCntIds'; cnt_ids: number[] }
export interface NXActionStackPush extends NXBase { kind: 'NXActionStackPush'; start: number; field: string; end: number }
export interface NXActionStackPop extends NXBase { kind: 'NXActionStackPop'; start: number; field: string; end: number }
export interface NXActionSample extends NXBase {
  kind: 'NXActionSample'; probability: number; collector_set_id: number; obs_domain_id: number; obs_point_id: number;
}
export interface NXActionSample2 extends NXBase {
  kind: 'NXActionSample2'; probability: number; collector_set_id: number; obs_domain_id: number; obs_point_id: number; sampling_port: number;
}
/** zone_src "" = immediate zone in zone_ofs_nbits. */
export interface NXActionCT extends NXBase {
  kind: 'NXActionCT'; flags: number; zone_src: string; zone_ofs_nbits: number; recirc_table: number; alg: number; actions: OfAction[];
}
export interface NXActionCTClear extends NXBase { kind: 'NXActionCTClear' }
/** Absent ranges: "" for addresses, null for ports (as Ryu). */
export interface NXActionNAT extends NXBase {
  kind: 'NXActionNAT'; flags: number; range_ipv4_min?: string; range_ipv4_max?: string; range_ipv6_min?: string;
  range_ipv6_max?: string; range_proto_min?: number | null; range_proto_max?: number | null;
}
/** Properties present on the wire only (pause: true when the PAUSE property is there). */
export interface NXActionController2 extends NXBase {
  kind: 'NXActionController2'; max_len?: number; controller_id?: number; reason?: number; userdata?: number[]; pause?: boolean;
}
export type NXActionKnown =
  | NXActionConjunction | NXActionLearn | NXActionResubmit | NXActionResubmitTable | NXActionRegLoad | NXActionRegMove
  | NXActionNote | NXActionOutputTrunc | NXActionFinTimeout | NXActionController | NXActionDecTtlCntIds
  | NXActionStackPush | NXActionStackPop | NXActionSample | NXActionSample2 | NXActionCT | NXActionCTClear | NXActionNAT
  | NXActionController2;
export type OfAction =
  | OFPActionOutput | OFPActionCopyTtlOut | OFPActionCopyTtlIn | OFPActionSetMplsTtl | OFPActionDecMplsTtl
  | OFPActionPushVlan | OFPActionPopVlan | OFPActionPushMpls | OFPActionPopMpls | OFPActionSetQueue
  | OFPActionGroup | OFPActionSetNwTtl | OFPActionDecNwTtl | OFPActionSetField | OFPActionPushPbb
  | OFPActionPopPbb | OFPActionExperimenterUnknown | NXActionUnknown | NXActionKnown;

// ---------------------------------------------------------------------------------------------- instructions
interface InstructionBase { len?: number }
export interface OFPInstructionGotoTable extends InstructionBase { kind: 'OFPInstructionGotoTable'; type?: 1; table_id: number }
export interface OFPInstructionWriteMetadata extends InstructionBase {
  kind: 'OFPInstructionWriteMetadata'; type?: 2; metadata: bigint; metadata_mask: bigint;
}
/** Ryu uses one class for WRITE_ACTIONS (3), APPLY_ACTIONS (4) and CLEAR_ACTIONS (5): `type` is required. */
export interface OFPInstructionActions extends InstructionBase { kind: 'OFPInstructionActions'; type: 3 | 4 | 5; actions: OfAction[] }
export interface OFPInstructionMeter extends InstructionBase { kind: 'OFPInstructionMeter'; type?: 6; meter_id: number }
export interface OFPInstructionExperimenter extends InstructionBase {
  kind: 'OFPInstructionExperimenter'; type?: 0xffff; experimenter: number; data: Bytes;
}
export type OfInstruction =
  | OFPInstructionGotoTable | OFPInstructionWriteMetadata | OFPInstructionActions | OFPInstructionMeter
  | OFPInstructionExperimenter;

// ---------------------------------------------------------------------------------------------- common structs
export interface OFPPort {
  kind?: 'OFPPort';
  port_no: number; hw_addr: string; name: string; config: number; state: number; curr: number;
  advertised: number; supported: number; peer: number; curr_speed: number; max_speed: number;
}
export interface OFPBucket {
  kind?: 'OFPBucket'; len?: number; weight: number; watch_port: number; watch_group: number; actions: OfAction[];
}
interface BandBase { type?: number; len?: number; rate: number; burst_size: number }
export interface OFPMeterBandDrop extends BandBase { kind: 'OFPMeterBandDrop' }
export interface OFPMeterBandDscpRemark extends BandBase { kind: 'OFPMeterBandDscpRemark'; prec_level: number }
export interface OFPMeterBandExperimenter extends BandBase { kind: 'OFPMeterBandExperimenter'; experimenter: number; data?: Bytes }
export type OfMeterBand = OFPMeterBandDrop | OFPMeterBandDscpRemark | OFPMeterBandExperimenter;

interface QueuePropBase { property?: number; len?: number }
export interface OFPQueuePropMinRate extends QueuePropBase { kind: 'OFPQueuePropMinRate'; rate: number }
export interface OFPQueuePropMaxRate extends QueuePropBase { kind: 'OFPQueuePropMaxRate'; rate: number }
/** Ryu prints this property's data as a list of byte values. */
export interface OFPQueuePropExperimenter extends QueuePropBase { kind: 'OFPQueuePropExperimenter'; experimenter: number; data: number[] }
export type OfQueueProp = OFPQueuePropMinRate | OFPQueuePropMaxRate | OFPQueuePropExperimenter;
export interface OFPPacketQueue { kind?: 'OFPPacketQueue'; queue_id: number; port: number; len?: number; properties: OfQueueProp[] }

export interface OFPHelloElemVersionBitmap { kind: 'OFPHelloElemVersionBitmap'; type?: 1; length?: number; versions: number[] }
/** A hello element of a type we do not know (kept as bytes after type/length). */
export interface OFPHelloElemUnknown { kind: 'OFPHelloElemUnknown'; type: number; length?: number; data: Bytes }
export type OfHelloElem = OFPHelloElemVersionBitmap | OFPHelloElemUnknown;

// ---------------------------------------------------------------------------------------------- multipart bodies
export interface OFPDescStats { kind?: 'OFPDescStats'; mfr_desc: string; hw_desc: string; sw_desc: string; serial_num: string; dp_desc: string }
export interface OFPFlowStats {
  kind?: 'OFPFlowStats'; length?: number; table_id: number; duration_sec: number; duration_nsec: number;
  priority: number; idle_timeout: number; hard_timeout: number; flags: number; cookie: bigint;
  packet_count: bigint; byte_count: bigint; match: OFPMatch; instructions: OfInstruction[];
}
export interface OFPAggregateStats { kind?: 'OFPAggregateStats'; packet_count: bigint; byte_count: bigint; flow_count: number }
export interface OFPTableStats { kind?: 'OFPTableStats'; table_id: number; active_count: number; lookup_count: bigint; matched_count: bigint }
export interface OFPPortStats {
  kind?: 'OFPPortStats'; port_no: number; rx_packets: bigint; tx_packets: bigint; rx_bytes: bigint; tx_bytes: bigint;
  rx_dropped: bigint; tx_dropped: bigint; rx_errors: bigint; tx_errors: bigint; rx_frame_err: bigint;
  rx_over_err: bigint; rx_crc_err: bigint; collisions: bigint; duration_sec: number; duration_nsec: number;
}
export interface OFPQueueStats {
  kind?: 'OFPQueueStats'; port_no: number; queue_id: number; tx_bytes: bigint; tx_packets: bigint; tx_errors: bigint;
  duration_sec: number; duration_nsec: number;
}
export interface OFPBucketCounter { kind?: 'OFPBucketCounter'; packet_count: bigint; byte_count: bigint }
export interface OFPGroupStats {
  kind?: 'OFPGroupStats'; length?: number; group_id: number; ref_count: number; packet_count: bigint; byte_count: bigint;
  duration_sec: number; duration_nsec: number; bucket_stats: OFPBucketCounter[];
}
export interface OFPGroupDescStats { kind?: 'OFPGroupDescStats'; length?: number; type: number; group_id: number; buckets: OFPBucket[] }
export interface OFPGroupFeaturesStats {
  kind?: 'OFPGroupFeaturesStats'; types: number; capabilities: number;
  max_groups: [number, number, number, number]; actions: [number, number, number, number];
}
export interface OFPMeterBandStats { kind?: 'OFPMeterBandStats'; packet_band_count: bigint; byte_band_count: bigint }
export interface OFPMeterStats {
  kind?: 'OFPMeterStats'; meter_id: number; len?: number; flow_count: number; packet_in_count: bigint; byte_in_count: bigint;
  duration_sec: number; duration_nsec: number; band_stats: OFPMeterBandStats[];
}
export interface OFPMeterConfigStats { kind?: 'OFPMeterConfigStats'; length?: number; flags: number; meter_id: number; bands: OfMeterBand[] }
export interface OFPMeterFeaturesStats {
  kind?: 'OFPMeterFeaturesStats'; max_meter: number; band_types: number; capabilities: number; max_bands: number; max_color: number;
}
export interface OFPInstructionId { kind?: 'OFPInstructionId'; type: number; len?: number; data?: Bytes }
export interface OFPActionId { kind?: 'OFPActionId'; type: number; len?: number; data?: Bytes }
/** An OXM header in table features: `type` is the field name (Ryu's spelling), length the header's length byte. */
export interface OFPOxmId { kind?: 'OFPOxmId'; type: OxmField; hasmask: number; length: number }
interface TablePropBase { type?: number; length?: number }
export interface OFPTableFeaturePropInstructions extends TablePropBase { kind: 'OFPTableFeaturePropInstructions'; type: 0 | 1; instruction_ids: OFPInstructionId[] }
export interface OFPTableFeaturePropNextTables extends TablePropBase { kind: 'OFPTableFeaturePropNextTables'; type: 2 | 3; table_ids: number[] }
export interface OFPTableFeaturePropActions extends TablePropBase { kind: 'OFPTableFeaturePropActions'; type: 4 | 5 | 6 | 7; action_ids: OFPActionId[] }
export interface OFPTableFeaturePropOxm extends TablePropBase { kind: 'OFPTableFeaturePropOxm'; type: 8 | 10 | 12 | 13 | 14 | 15; oxm_ids: OFPOxmId[] }
/** Experimenter (0xfffe) and experimenter-miss (0xffff) properties; Ryu prints data as a list of u32. */
export interface OFPTableFeaturePropExperimenter extends TablePropBase {
  kind: 'OFPTableFeaturePropExperimenter'; type: 0xfffe | 0xffff; experimenter: number; exp_type: number; data: number[];
}
export interface OFPTableFeaturePropUnknown extends TablePropBase { kind: 'OFPTableFeaturePropUnknown'; type: number; data: Bytes }
export type OfTableFeatureProp =
  | OFPTableFeaturePropInstructions | OFPTableFeaturePropNextTables | OFPTableFeaturePropActions
  | OFPTableFeaturePropOxm | OFPTableFeaturePropExperimenter | OFPTableFeaturePropUnknown;
export interface OFPTableFeaturesStats {
  kind?: 'OFPTableFeaturesStats'; length?: number; table_id: number; name: string; metadata_match: bigint;
  metadata_write: bigint; config: number; max_entries: number; properties: OfTableFeatureProp[];
}
export interface OFPExperimenterMultipart { kind?: 'OFPExperimenterMultipart'; experimenter: number; exp_type: number; data: Bytes }
export interface ONFFlowMonitorRequest {
  kind?: 'ONFFlowMonitorRequest'; id: number; flags: number; match_len?: number; out_port: number; table_id: number; match: OFPMatch;
}

// ---------------------------------------------------------------------------------------------- messages
type Msg<K extends string, F> = { kind: K } & OfHeaderFields & F;
type Empty = Record<never, never>;

export type OFPHello = Msg<'OFPHello', { elements: OfHelloElem[] }>;
/** Standard errors carry `code`; experimenter errors (type 0xffff) carry exp_type + experimenter, code null. */
export type OFPErrorMsg = Msg<'OFPErrorMsg', { type: number; code: number | null; data: Bytes; exp_type?: number; experimenter?: number }>;
export type OFPEchoRequest = Msg<'OFPEchoRequest', { data: Bytes }>;
export type OFPEchoReply = Msg<'OFPEchoReply', { data: Bytes }>;
export type OFPExperimenter = Msg<'OFPExperimenter', { experimenter: number; exp_type: number; data: Bytes }>;
export type OFPFeaturesRequest = Msg<'OFPFeaturesRequest', Empty>;
export type OFPSwitchFeatures = Msg<'OFPSwitchFeatures', {
  datapath_id: bigint; n_buffers: number; n_tables: number; auxiliary_id: number; capabilities: number;
}>;
export type OFPGetConfigRequest = Msg<'OFPGetConfigRequest', Empty>;
export type OFPGetConfigReply = Msg<'OFPGetConfigReply', { flags: number; miss_send_len: number }>;
export type OFPSetConfig = Msg<'OFPSetConfig', { flags: number; miss_send_len: number }>;
export type OFPPacketIn = Msg<'OFPPacketIn', {
  buffer_id: number; total_len: number; reason: number; table_id: number; cookie: bigint; match: OFPMatch; data: Bytes;
}>;
export type OFPFlowRemoved = Msg<'OFPFlowRemoved', {
  cookie: bigint; priority: number; reason: number; table_id: number; duration_sec: number; duration_nsec: number;
  idle_timeout: number; hard_timeout: number; packet_count: bigint; byte_count: bigint; match: OFPMatch;
}>;
export type OFPPortStatus = Msg<'OFPPortStatus', { reason: number; desc: OFPPort }>;
export type OFPPacketOut = Msg<'OFPPacketOut', {
  buffer_id: number; in_port: number; actions_len?: number; actions: OfAction[]; data: Bytes;
}>;
export type OFPFlowMod = Msg<'OFPFlowMod', {
  cookie: bigint; cookie_mask: bigint; table_id: number; command: number; idle_timeout: number; hard_timeout: number;
  priority: number; buffer_id: number; out_port: number; out_group: number; flags: number; match: OFPMatch;
  instructions: OfInstruction[];
}>;
export type OFPGroupMod = Msg<'OFPGroupMod', { command: number; type: number; group_id: number; buckets: OFPBucket[] }>;
export type OFPPortMod = Msg<'OFPPortMod', { port_no: number; hw_addr: string; config: number; mask: number; advertise: number }>;
export type OFPTableMod = Msg<'OFPTableMod', { table_id: number; config: number }>;
export type OFPMeterMod = Msg<'OFPMeterMod', { command: number; flags: number; meter_id: number; bands: OfMeterBand[] }>;
export type OFPBarrierRequest = Msg<'OFPBarrierRequest', Empty>;
export type OFPBarrierReply = Msg<'OFPBarrierReply', Empty>;
export type OFPQueueGetConfigRequest = Msg<'OFPQueueGetConfigRequest', { port: number }>;
export type OFPQueueGetConfigReply = Msg<'OFPQueueGetConfigReply', { port: number; queues: OFPPacketQueue[] }>;
export type OFPRoleRequest = Msg<'OFPRoleRequest', { role: number; generation_id: bigint }>;
export type OFPRoleReply = Msg<'OFPRoleReply', { role: number; generation_id: bigint }>;
export type OFPGetAsyncRequest = Msg<'OFPGetAsyncRequest', Empty>;
/** Masks are [master/equal, slave] pairs as in Ryu. */
export type AsyncMasks = { packet_in_mask: [number, number]; port_status_mask: [number, number]; flow_removed_mask: [number, number] };
export type OFPGetAsyncReply = Msg<'OFPGetAsyncReply', AsyncMasks>;
export type OFPSetAsync = Msg<'OFPSetAsync', AsyncMasks>;

// multipart: `type` is the OFPMP_* multipart type (optional on encode), flags OFPMPF_REQ_MORE / OFPMPF_REPLY_MORE.
type MpReq<K extends string, F> = Msg<K, { type?: number; flags: number } & F>;
type MpRep<K extends string, B> = Msg<K, { type?: number; flags: number; body: B }>;
export type OFPDescStatsRequest = MpReq<'OFPDescStatsRequest', Empty>;
export type OFPDescStatsReply = MpRep<'OFPDescStatsReply', OFPDescStats>;
type FlowStatsReqFields = { table_id: number; out_port: number; out_group: number; cookie: bigint; cookie_mask: bigint; match: OFPMatch };
export type OFPFlowStatsRequest = MpReq<'OFPFlowStatsRequest', FlowStatsReqFields>;
export type OFPFlowStatsReply = MpRep<'OFPFlowStatsReply', OFPFlowStats[]>;
export type OFPAggregateStatsRequest = MpReq<'OFPAggregateStatsRequest', FlowStatsReqFields>;
export type OFPAggregateStatsReply = MpRep<'OFPAggregateStatsReply', OFPAggregateStats>;
export type OFPTableStatsRequest = MpReq<'OFPTableStatsRequest', Empty>;
export type OFPTableStatsReply = MpRep<'OFPTableStatsReply', OFPTableStats[]>;
export type OFPPortStatsRequest = MpReq<'OFPPortStatsRequest', { port_no: number }>;
export type OFPPortStatsReply = MpRep<'OFPPortStatsReply', OFPPortStats[]>;
export type OFPQueueStatsRequest = MpReq<'OFPQueueStatsRequest', { port_no: number; queue_id: number }>;
export type OFPQueueStatsReply = MpRep<'OFPQueueStatsReply', OFPQueueStats[]>;
export type OFPGroupStatsRequest = MpReq<'OFPGroupStatsRequest', { group_id: number }>;
export type OFPGroupStatsReply = MpRep<'OFPGroupStatsReply', OFPGroupStats[]>;
export type OFPGroupDescStatsRequest = MpReq<'OFPGroupDescStatsRequest', Empty>;
export type OFPGroupDescStatsReply = MpRep<'OFPGroupDescStatsReply', OFPGroupDescStats[]>;
export type OFPGroupFeaturesStatsRequest = MpReq<'OFPGroupFeaturesStatsRequest', Empty>;
export type OFPGroupFeaturesStatsReply = MpRep<'OFPGroupFeaturesStatsReply', OFPGroupFeaturesStats>;
export type OFPMeterStatsRequest = MpReq<'OFPMeterStatsRequest', { meter_id: number }>;
export type OFPMeterStatsReply = MpRep<'OFPMeterStatsReply', OFPMeterStats[]>;
export type OFPMeterConfigStatsRequest = MpReq<'OFPMeterConfigStatsRequest', { meter_id: number }>;
export type OFPMeterConfigStatsReply = MpRep<'OFPMeterConfigStatsReply', OFPMeterConfigStats[]>;
export type OFPMeterFeaturesStatsRequest = MpReq<'OFPMeterFeaturesStatsRequest', Empty>;
export type OFPMeterFeaturesStatsReply = MpRep<'OFPMeterFeaturesStatsReply', OFPMeterFeaturesStats[]>;
export type OFPTableFeaturesStatsRequest = MpReq<'OFPTableFeaturesStatsRequest', { body: OFPTableFeaturesStats[] }>;
export type OFPTableFeaturesStatsReply = MpRep<'OFPTableFeaturesStatsReply', OFPTableFeaturesStats[]>;
export type OFPPortDescStatsRequest = MpReq<'OFPPortDescStatsRequest', Empty>;
export type OFPPortDescStatsReply = MpRep<'OFPPortDescStatsReply', OFPPort[]>;
export type OFPExperimenterStatsRequest = MpReq<'OFPExperimenterStatsRequest', { experimenter: number; exp_type: number; data: Bytes }>;
export type OFPExperimenterStatsReply = MpRep<'OFPExperimenterStatsReply', OFPExperimenterMultipart>;
/** ONF extension (experimenter 0x4f4e4600, exp_type 1870) carried in an experimenter multipart request. */
export type ONFFlowMonitorStatsRequest = MpReq<'ONFFlowMonitorStatsRequest', { experimenter?: number; exp_type?: number; body: ONFFlowMonitorRequest[] }>;

export type OfMultipartRequest =
  | OFPDescStatsRequest | OFPFlowStatsRequest | OFPAggregateStatsRequest | OFPTableStatsRequest
  | OFPPortStatsRequest | OFPQueueStatsRequest | OFPGroupStatsRequest | OFPGroupDescStatsRequest
  | OFPGroupFeaturesStatsRequest | OFPMeterStatsRequest | OFPMeterConfigStatsRequest | OFPMeterFeaturesStatsRequest
  | OFPTableFeaturesStatsRequest | OFPPortDescStatsRequest | OFPExperimenterStatsRequest | ONFFlowMonitorStatsRequest;
export type OfMultipartReply =
  | OFPDescStatsReply | OFPFlowStatsReply | OFPAggregateStatsReply | OFPTableStatsReply | OFPPortStatsReply
  | OFPQueueStatsReply | OFPGroupStatsReply | OFPGroupDescStatsReply | OFPGroupFeaturesStatsReply
  | OFPMeterStatsReply | OFPMeterConfigStatsReply | OFPMeterFeaturesStatsReply | OFPTableFeaturesStatsReply
  | OFPPortDescStatsReply | OFPExperimenterStatsReply;

export type OfMessage =
  | OFPHello | OFPErrorMsg | OFPEchoRequest | OFPEchoReply | OFPExperimenter | OFPFeaturesRequest
  | OFPSwitchFeatures | OFPGetConfigRequest | OFPGetConfigReply | OFPSetConfig | OFPPacketIn | OFPFlowRemoved
  | OFPPortStatus | OFPPacketOut | OFPFlowMod | OFPGroupMod | OFPPortMod | OFPTableMod | OFPMeterMod
  | OFPBarrierRequest | OFPBarrierReply | OFPQueueGetConfigRequest | OFPQueueGetConfigReply | OFPRoleRequest
  | OFPRoleReply | OFPGetAsyncRequest | OFPGetAsyncReply | OFPSetAsync | OfMultipartRequest | OfMultipartReply;

export type OfMessageKind = OfMessage['kind'];
/** The message type for a given kind, e.g. MessageOf<'OFPFlowMod'>. */
export type MessageOf<K extends OfMessageKind> = Extract<OfMessage, { kind: K }>;

// ---------------------------------------------------------------------------------------------- results / errors
/** Why a decode failed. `offset` is the byte offset in the input where the problem was detected. */
export type OfDecodeErrorCode =
  | 'truncated'        // fewer bytes than a length field (or the fixed part of a structure) says
  | 'bad_version'      // header version is not 4 (only hello / error / echo are accepted in any version)
  | 'bad_length'       // a length field is too small, not a multiple of 8 where required, or lists don't add up
  | 'bad_type'         // unknown message type
  | 'bad_multipart'    // unknown multipart type
  | 'bad_action'       // unknown action type
  | 'bad_instruction'  // unknown instruction type
  | 'bad_match'        // match type is not OFPMT_OXM
  | 'bad_oxm'          // OXM TLV whose payload length does not fit its field
  | 'bad_value';       // a field's value is not valid (e.g. bad UTF-8 is not an error; an impossible enum is)
export interface OfDecodeError { code: OfDecodeErrorCode; message: string; offset: number }
export type DecodeResult =
  | { ok: true; msg: OfMessage; length: number }
  | { ok: false; error: OfDecodeError };
export interface OfHeader { version: number; type: number; length: number; xid: number }
