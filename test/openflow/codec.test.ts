// Unit tests per structure family (every message kind, every OXM field, every action and instruction, every
// multipart type) and for every class of bad input (decode) and invalid value (encode).
import test, { type ExecutionContext } from 'ava';
import {
  canonicalize, decodeAll, decodeMessage, encodeMessage, errorName, fromRyuJson, frameLength, ofErrorFor, readHeader, toRyuJson,
  OfEncodeError, OFPVID_PRESENT, OFP_ERROR_CODES, OFPET, OFPT,
  type OfAction, type OfDecodeErrorCode, type OfInstruction, type OfMessage, type OxmTlv, type OFPFlowMod, type OFPMatch,
} from '../../openflow/index.js';

/** Every property of `given` appears in `got` with the same value (numbers and bigints compared by value). */
function subsetEqual(given: unknown, got: unknown, path = ''): string | null {
  if (given instanceof Uint8Array) {
    return got instanceof Uint8Array && Buffer.from(given).equals(Buffer.from(got)) ? null : `${path}: bytes differ`;
  }
  if ((typeof given === 'number' || typeof given === 'bigint') && (typeof got === 'number' || typeof got === 'bigint')) {
    return BigInt(given) === BigInt(got) ? null : `${path}: ${given} ≠ ${got}`;
  }
  if (Array.isArray(given)) {
    if (!Array.isArray(got) || got.length !== given.length) return `${path}: array length differs`;
    for (let i = 0; i < given.length; i++) { const e = subsetEqual(given[i], got[i], `${path}[${i}]`); if (e) return e; }
    return null;
  }
  if (given !== null && typeof given === 'object') {
    if (got === null || typeof got !== 'object') return `${path}: not an object`;
    for (const [k, v] of Object.entries(given)) {
      if (v === undefined) continue;
      const e = subsetEqual(v, (got as Record<string, unknown>)[k], `${path}.${k}`);
      if (e) return e;
    }
    return null;
  }
  return Object.is(given, got) ? null : `${path}: ${String(given)} ≠ ${String(got)}`;
}

/** encode → decode keeps every given field; the decoded form re-encodes to the same bytes. */
function roundTrip(t: ExecutionContext, msg: OfMessage): OfMessage | undefined {
  const bytes = encodeMessage(msg);
  t.is(bytes.readUInt16BE(2), bytes.length, `${msg.kind}: header length`);
  const r = decodeMessage(bytes);
  if (!r.ok) { t.fail(`${msg.kind}: ${r.error.code} ${r.error.message} @${r.error.offset}`); return undefined; }
  t.is(r.msg.kind, msg.kind);
  t.is(subsetEqual(msg, r.msg), null, msg.kind);
  t.true(encodeMessage(r.msg).equals(bytes), `${msg.kind}: decoded form re-encodes identically`);
  return r.msg;
}

const m = (oxm: OxmTlv[]): OFPMatch => ({ oxm_fields: oxm });
const out = (port: number): OfAction => ({ kind: 'OFPActionOutput', port, max_len: 0xffe5 });
const port = {
  port_no: 1, hw_addr: '02:00:00:00:00:01', name: 'eth-ü', config: 1, state: 4, curr: 0x2808, advertised: 0,
  supported: 0, peer: 0, curr_speed: 10_000_000, max_speed: 10_000_000,
};
const flowReq = { flags: 0, table_id: 0xff, out_port: 0xffffffff, out_group: 0xffffffff, cookie: 1n, cookie_mask: 0xffn, match: m([{ field: 'in_port', value: 1 }]) };
const tableFeatures = {
  table_id: 0, name: 'tbl', metadata_match: 0xffffffffffffffffn, metadata_write: 0n, config: 3, max_entries: 1000,
  properties: [
    { kind: 'OFPTableFeaturePropInstructions' as const, type: 0 as const, instruction_ids: [{ type: 1 }, { type: 4 }] },
    { kind: 'OFPTableFeaturePropNextTables' as const, type: 2 as const, table_ids: [1, 2, 3] },
    { kind: 'OFPTableFeaturePropActions' as const, type: 4 as const, action_ids: [{ type: 0 }, { type: 25 }] },
    { kind: 'OFPTableFeaturePropOxm' as const, type: 8 as const, oxm_ids: [{ type: 'in_port', hasmask: 0, length: 4 }, { type: 'metadata', hasmask: 1, length: 16 }] },
    { kind: 'OFPTableFeaturePropExperimenter' as const, type: 0xfffe as const, experimenter: 42, exp_type: 1, data: [7, 8] },
  ],
};

/** One sample of every message kind of the model. */
const SAMPLES: OfMessage[] = [
  { kind: 'OFPHello', elements: [{ kind: 'OFPHelloElemVersionBitmap', versions: [1, 4, 33] }] },
  { kind: 'OFPHello', elements: [] },
  { kind: 'OFPErrorMsg', xid: 7, type: OFPET.BAD_MATCH, code: 6, data: Buffer.from('abc') },
  { kind: 'OFPErrorMsg', type: 0xffff, code: null, exp_type: 3, experimenter: 0x2320, data: Buffer.alloc(0) },
  { kind: 'OFPEchoRequest', xid: 0xffffffff, data: Buffer.from('ping') },
  { kind: 'OFPEchoReply', data: Buffer.alloc(0) },
  { kind: 'OFPExperimenter', experimenter: 0x2320, exp_type: 9, data: Buffer.from([1, 2, 3]) },
  { kind: 'OFPFeaturesRequest' },
  { kind: 'OFPSwitchFeatures', datapath_id: 0xfedcba9876543210n, n_buffers: 256, n_tables: 254, auxiliary_id: 1, capabilities: 0x4f },
  { kind: 'OFPGetConfigRequest' },
  { kind: 'OFPGetConfigReply', flags: 1, miss_send_len: 128 },
  { kind: 'OFPSetConfig', flags: 0, miss_send_len: 0xffff },
  { kind: 'OFPPacketIn', buffer_id: 0xffffffff, total_len: 64, reason: 1, table_id: 3, cookie: 5n, match: m([{ field: 'in_port', value: 2 }]), data: Buffer.alloc(64, 9) },
  { kind: 'OFPFlowRemoved', cookie: 1n, priority: 7, reason: 2, table_id: 1, duration_sec: 3, duration_nsec: 4, idle_timeout: 5, hard_timeout: 6, packet_count: 2n ** 60n, byte_count: 9n, match: m([]) },
  { kind: 'OFPPortStatus', reason: 2, desc: port },
  { kind: 'OFPPacketOut', buffer_id: 0xffffffff, in_port: 0xfffffffd, actions: [out(1), out(0xfffffffb)], data: Buffer.from('frame') },
  { kind: 'OFPPacketOut', buffer_id: 3, in_port: 1, actions: [], data: Buffer.alloc(0) },
  { kind: 'OFPFlowMod', xid: 3, cookie: 2n ** 63n, cookie_mask: 0n, table_id: 0, command: 0, idle_timeout: 10, hard_timeout: 0,
    priority: 100, buffer_id: 0xffffffff, out_port: 0xffffffff, out_group: 0xffffffff, flags: 1,
    match: m([{ field: 'in_port', value: 1 }, { field: 'eth_dst', value: '02:00:00:00:00:02' }]),
    instructions: [{ kind: 'OFPInstructionActions', type: 4, actions: [out(2)] }] },
  { kind: 'OFPGroupMod', command: 0, type: 1, group_id: 5, buckets: [
    { weight: 1, watch_port: 0xffffffff, watch_group: 0xffffffff, actions: [out(1)] },
    { weight: 2, watch_port: 0xffffffff, watch_group: 0xffffffff, actions: [] }] },
  { kind: 'OFPPortMod', port_no: 3, hw_addr: 'aa:bb:cc:dd:ee:ff', config: 1, mask: 1, advertise: 0 },
  { kind: 'OFPTableMod', table_id: 1, config: 3 },
  { kind: 'OFPMeterMod', command: 0, flags: 0xf, meter_id: 1, bands: [
    { kind: 'OFPMeterBandDrop', rate: 1000, burst_size: 10 }, { kind: 'OFPMeterBandDscpRemark', rate: 1, burst_size: 2, prec_level: 3 },
    { kind: 'OFPMeterBandExperimenter', rate: 1, burst_size: 2, experimenter: 4 }] },
  { kind: 'OFPBarrierRequest', xid: 99 },
  { kind: 'OFPBarrierReply', xid: 99 },
  { kind: 'OFPQueueGetConfigRequest', port: 1 },
  { kind: 'OFPQueueGetConfigReply', port: 1, queues: [{ queue_id: 1, port: 1, properties: [
    { kind: 'OFPQueuePropMinRate', rate: 10 }, { kind: 'OFPQueuePropMaxRate', rate: 900 },
    { kind: 'OFPQueuePropExperimenter', experimenter: 5, data: [1, 2, 3] }] }] },
  { kind: 'OFPRoleRequest', role: 2, generation_id: 0xffffffffffffffffn },
  { kind: 'OFPRoleReply', role: 3, generation_id: 1n },
  { kind: 'OFPGetAsyncRequest' },
  { kind: 'OFPGetAsyncReply', packet_in_mask: [7, 1], port_status_mask: [7, 7], flow_removed_mask: [15, 0] },
  { kind: 'OFPSetAsync', packet_in_mask: [7, 1], port_status_mask: [7, 7], flow_removed_mask: [15, 0] },
  // multipart
  { kind: 'OFPDescStatsRequest', flags: 0 },
  { kind: 'OFPDescStatsReply', flags: 0, body: { mfr_desc: 'm', hw_desc: 'h', sw_desc: 's', serial_num: 'n', dp_desc: 'd'.repeat(256) } },
  { kind: 'OFPFlowStatsRequest', ...flowReq },
  { kind: 'OFPFlowStatsReply', flags: 1, body: [{ table_id: 0, duration_sec: 1, duration_nsec: 2, priority: 3, idle_timeout: 4,
    hard_timeout: 5, flags: 1, cookie: 6n, packet_count: 7n, byte_count: 8n, match: m([{ field: 'eth_type', value: 0x806 }]),
    instructions: [{ kind: 'OFPInstructionGotoTable', table_id: 1 }] }] },
  { kind: 'OFPAggregateStatsRequest', ...flowReq },
  { kind: 'OFPAggregateStatsReply', flags: 0, body: { packet_count: 1n, byte_count: 2n, flow_count: 3 } },
  { kind: 'OFPTableStatsRequest', flags: 0 },
  { kind: 'OFPTableStatsReply', flags: 0, body: [{ table_id: 0, active_count: 1, lookup_count: 2n, matched_count: 3n }] },
  { kind: 'OFPPortStatsRequest', flags: 0, port_no: 0xffffffff },
  { kind: 'OFPPortStatsReply', flags: 0, body: [{ port_no: 1, rx_packets: 1n, tx_packets: 2n, rx_bytes: 3n, tx_bytes: 4n, rx_dropped: 5n,
    tx_dropped: 6n, rx_errors: 7n, tx_errors: 8n, rx_frame_err: 9n, rx_over_err: 10n, rx_crc_err: 11n, collisions: 12n, duration_sec: 13, duration_nsec: 14 }] },
  { kind: 'OFPQueueStatsRequest', flags: 0, port_no: 1, queue_id: 0xffffffff },
  { kind: 'OFPQueueStatsReply', flags: 0, body: [{ port_no: 1, queue_id: 2, tx_bytes: 3n, tx_packets: 4n, tx_errors: 5n, duration_sec: 6, duration_nsec: 7 }] },
  { kind: 'OFPGroupStatsRequest', flags: 0, group_id: 0xfffffffc },
  { kind: 'OFPGroupStatsReply', flags: 0, body: [{ group_id: 1, ref_count: 2, packet_count: 3n, byte_count: 4n, duration_sec: 5,
    duration_nsec: 6, bucket_stats: [{ packet_count: 7n, byte_count: 8n }, { packet_count: 9n, byte_count: 10n }] }] },
  { kind: 'OFPGroupDescStatsRequest', flags: 0 },
  { kind: 'OFPGroupDescStatsReply', flags: 0, body: [{ type: 3, group_id: 1, buckets: [{ weight: 0, watch_port: 1, watch_group: 0xffffffff, actions: [out(2)] }] }] },
  { kind: 'OFPGroupFeaturesStatsRequest', flags: 0 },
  { kind: 'OFPGroupFeaturesStatsReply', flags: 0, body: { types: 15, capabilities: 5, max_groups: [1, 2, 3, 4], actions: [5, 6, 7, 8] } },
  { kind: 'OFPMeterStatsRequest', flags: 0, meter_id: 0xffffffff },
  { kind: 'OFPMeterStatsReply', flags: 0, body: [{ meter_id: 1, flow_count: 2, packet_in_count: 3n, byte_in_count: 4n, duration_sec: 5,
    duration_nsec: 6, band_stats: [{ packet_band_count: 7n, byte_band_count: 8n }] }] },
  { kind: 'OFPMeterConfigStatsRequest', flags: 0, meter_id: 1 },
  { kind: 'OFPMeterConfigStatsReply', flags: 0, body: [{ flags: 1, meter_id: 1, bands: [{ kind: 'OFPMeterBandDrop', rate: 5, burst_size: 0 }] }] },
  { kind: 'OFPMeterFeaturesStatsRequest', flags: 0 },
  { kind: 'OFPMeterFeaturesStatsReply', flags: 0, body: [{ max_meter: 1, band_types: 6, capabilities: 15, max_bands: 8, max_color: 0 }] },
  { kind: 'OFPTableFeaturesStatsRequest', flags: 0, body: [tableFeatures] },
  { kind: 'OFPTableFeaturesStatsReply', flags: 1, body: [tableFeatures, { ...tableFeatures, table_id: 1, properties: [] }] },
  { kind: 'OFPPortDescStatsRequest', flags: 0 },
  { kind: 'OFPPortDescStatsReply', flags: 0, body: [port, { ...port, port_no: 0xfffffffe, name: 'br0' }] },
  { kind: 'OFPExperimenterStatsRequest', flags: 0, experimenter: 1, exp_type: 2, data: Buffer.from('x') },
  { kind: 'OFPExperimenterStatsReply', flags: 0, body: { experimenter: 1, exp_type: 2, data: Buffer.from('y') } },
  { kind: 'ONFFlowMonitorStatsRequest', flags: 0, body: [{ id: 1, flags: 3, out_port: 0xffffffff, table_id: 0xff, match: m([{ field: 'in_port', value: 1 }]) }] },
];

test(`every message kind round-trips (${SAMPLES.length} samples)`, (t) => {
  const kinds = new Set<string>();
  for (const s of SAMPLES) { roundTrip(t, s); kinds.add(s.kind); }
  t.is(kinds.size, 59, 'all 59 message kinds of the model are sampled');
});

test('header: readHeader, frameLength', (t) => {
  const b = encodeMessage({ kind: 'OFPEchoRequest', xid: 0x80000001, data: Buffer.from('hi') });
  t.deepEqual(readHeader(b), { version: 4, type: OFPT.ECHO_REQUEST, length: 10, xid: 0x80000001 });
  t.is(readHeader(b.subarray(0, 7)), null);
  t.is(frameLength(b), 10);
  t.is(frameLength(b.subarray(0, 9)), 0, 'incomplete');
  t.is(frameLength(Buffer.from([4, 0, 0, 3])), 3, 'bogus length returned as is');
});

test('hello: version bitmap bits, multiple words, unknown elements kept, any version accepted', (t) => {
  const b = encodeMessage({ kind: 'OFPHello', elements: [{ kind: 'OFPHelloElemVersionBitmap', versions: [1, 4, 33] }] });
  t.is(b.toString('hex'), '04000018000000000001000c000000120000000200000000', 'element length 12 (two bitmap words), padded to 8');
  const odd = Buffer.from('06000010000000000007000801020304', 'hex');
  const r = decodeMessage(odd);
  t.true(r.ok);
  if (r.ok && r.msg.kind === 'OFPHello') {
    t.is(r.msg.version, 6, 'a hello of another version decodes (negotiation)');
    t.is(r.msg.elements[0]?.kind, 'OFPHelloElemUnknown');
  }
});

test('error messages: names of types and codes, experimenter errors, controller mapping', (t) => {
  t.is(errorName(OFPET.BAD_REQUEST, 6), 'OFPET_BAD_REQUEST/OFPBRC_BAD_LEN');
  t.is(errorName(OFPET.BAD_MATCH, 6), 'OFPET_BAD_MATCH/OFPBMC_BAD_FIELD');
  t.is(errorName(OFPET.METER_MOD_FAILED, 11), 'OFPET_METER_MOD_FAILED/OFPMMFC_OUT_OF_BANDS');
  t.is(errorName(OFPET.TABLE_FEATURES_FAILED, 5), 'OFPET_TABLE_FEATURES_FAILED/OFPTFFC_EPERM');
  t.is(errorName(0xffff, 7), 'OFPET_EXPERIMENTER(exp_type=7)');
  t.is(errorName(99, 1), 'OFPET_99/code 1');
  t.is(OFP_ERROR_CODES.OFPGMFC_BAD_WATCH, 13);
  t.is(OFP_ERROR_CODES.OFPBIC_EPERM, 8);
  t.deepEqual(ofErrorFor('bad_type'), { type: 1, code: 1 });
  t.deepEqual(ofErrorFor('bad_length'), { type: 1, code: 6 });
  const x = roundTrip(t, { kind: 'OFPErrorMsg', type: 0xffff, code: null, exp_type: 3, experimenter: 9, data: Buffer.from('z') });
  t.true(x?.kind === 'OFPErrorMsg' && x.code === null && x.exp_type === 3);
});

const OFB_FIELDS = ['in_port', 'in_phy_port', 'metadata', 'eth_dst', 'eth_src', 'eth_type', 'vlan_vid', 'vlan_pcp', 'ip_dscp',
  'ip_ecn', 'ip_proto', 'ipv4_src', 'ipv4_dst', 'tcp_src', 'tcp_dst', 'udp_src', 'udp_dst', 'sctp_src', 'sctp_dst', 'icmpv4_type',
  'icmpv4_code', 'arp_op', 'arp_spa', 'arp_tpa', 'arp_sha', 'arp_tha', 'ipv6_src', 'ipv6_dst', 'ipv6_flabel', 'icmpv6_type',
  'icmpv6_code', 'ipv6_nd_target', 'ipv6_nd_sll', 'ipv6_nd_tll', 'mpls_label', 'mpls_tc', 'mpls_bos', 'pbb_isid', 'tunnel_id',
  'ipv6_exthdr'];
const OXM_SAMPLES: OxmTlv[] = [
  { field: 'in_port', value: 0xfffffffe }, { field: 'in_phy_port', value: 3 },
  { field: 'metadata', value: 0xfedcba9876543210n, mask: 0xffff0000ffff0000n },
  { field: 'eth_dst', value: '01:80:c2:00:00:00', mask: 'ff:ff:ff:00:00:00' }, { field: 'eth_src', value: '02:00:00:00:00:01' },
  { field: 'eth_type', value: 0x86dd }, { field: 'vlan_vid', value: OFPVID_PRESENT | 100 },
  { field: 'vlan_vid', value: OFPVID_PRESENT, mask: OFPVID_PRESENT }, { field: 'vlan_pcp', value: 7 },
  { field: 'ip_dscp', value: 46 }, { field: 'ip_ecn', value: 3 }, { field: 'ip_proto', value: 17 },
  { field: 'ipv4_src', value: '10.0.0.0', mask: '255.0.0.0' }, { field: 'ipv4_dst', value: '192.168.1.1' },
  { field: 'tcp_src', value: 1 }, { field: 'tcp_dst', value: 65535 }, { field: 'udp_src', value: 53 }, { field: 'udp_dst', value: 4789 },
  { field: 'sctp_src', value: 9 }, { field: 'sctp_dst', value: 10 }, { field: 'icmpv4_type', value: 8 }, { field: 'icmpv4_code', value: 0 },
  { field: 'arp_op', value: 2 }, { field: 'arp_spa', value: '1.2.3.4' }, { field: 'arp_tpa', value: '4.3.2.1', mask: '255.255.255.255' },
  { field: 'arp_sha', value: 'aa:aa:aa:aa:aa:aa' }, { field: 'arp_tha', value: '00:00:00:00:00:00' },
  { field: 'ipv6_src', value: 'fe80::1', mask: 'ffff:ffff:ffff:ffff::' }, { field: 'ipv6_dst', value: '2001:db8::ff00:42:8329' },
  { field: 'ipv6_flabel', value: 0xfffff }, { field: 'icmpv6_type', value: 135 }, { field: 'icmpv6_code', value: 0 },
  { field: 'ipv6_nd_target', value: '::1' }, { field: 'ipv6_nd_sll', value: '00:11:22:33:44:55' }, { field: 'ipv6_nd_tll', value: '66:77:88:99:aa:bb' },
  { field: 'mpls_label', value: 0xfffff }, { field: 'mpls_tc', value: 7 }, { field: 'mpls_bos', value: 1 },
  { field: 'pbb_isid', value: 0xabcdef, mask: 0xffff00 }, { field: 'tunnel_id', value: 2n ** 63n + 5n },
  { field: 'ipv6_exthdr', value: 0x1ff, mask: 0x100 },
  { field: 'pbb_uca', value: 1 }, { field: 'tun_ipv4_src', value: '10.1.1.1' }, { field: 'conj_id', value: 7 },
  { field: 'reg3', value: 0xdeadbeef, mask: 0xffff }, { field: 'xreg1', value: 1n }, { field: 'ct_label', value: 2n ** 100n },
  { field: 'field_12345', value: Buffer.from([1, 2, 3]) },
];

test(`OXM: every OF1.3 basic field and the extension fields, masked and exact (${OXM_SAMPLES.length})`, (t) => {
  const fm: OFPFlowMod = {
    kind: 'OFPFlowMod', cookie: 0n, cookie_mask: 0n, table_id: 0, command: 0, idle_timeout: 0, hard_timeout: 0, priority: 1,
    buffer_id: 0xffffffff, out_port: 0xffffffff, out_group: 0xffffffff, flags: 0, match: m(OXM_SAMPLES), instructions: [],
  };
  const got = roundTrip(t, fm);
  const sampled = new Set(OXM_SAMPLES.map((o) => o.field));
  t.deepEqual(OFB_FIELDS.filter((f) => !sampled.has(f)), [], 'every OpenFlow-basic field is sampled');
  if (got?.kind === 'OFPFlowMod') {
    const ipv6 = got.match.oxm_fields.find((o) => o.field === 'ipv6_src');
    t.is(ipv6?.mask, 'ffff:ffff:ffff:ffff::');
    const vlan = got.match.oxm_fields.find((o) => o.field === 'vlan_vid');
    t.is(vlan?.value, 0x1064, 'the VLAN-present bit is kept explicit');
    t.is(got.match.oxm_fields.find((o) => o.field === 'tunnel_id')?.value, 2n ** 63n + 5n);
  }
  // wire form of two well-known TLVs
  const b = encodeMessage({ ...fm, match: m([{ field: 'vlan_vid', value: 0x1000, mask: 0x1000 }, { field: 'pbb_isid', value: 0x123456 }]) });
  t.is(b.readUInt16BE(50), 4 + 8 + 7, 'match length excludes the padding');
  t.is(b.readUInt32BE(52), 0x80000d04, 'vlan_vid masked header: class 0x8000, field 6, hasmask, length 4');
  t.is(b.readUInt32BE(60), 0x80004a03, 'pbb_isid header: field 37, length 3');
});

const ACTIONS: OfAction[] = [
  out(1), { kind: 'OFPActionCopyTtlOut' }, { kind: 'OFPActionCopyTtlIn' }, { kind: 'OFPActionSetMplsTtl', mpls_ttl: 9 },
  { kind: 'OFPActionDecMplsTtl' }, { kind: 'OFPActionPushVlan', ethertype: 0x8100 }, { kind: 'OFPActionPopVlan' },
  { kind: 'OFPActionPushMpls', ethertype: 0x8847 }, { kind: 'OFPActionPopMpls', ethertype: 0x0800 },
  { kind: 'OFPActionSetQueue', queue_id: 3 }, { kind: 'OFPActionGroup', group_id: 4 }, { kind: 'OFPActionSetNwTtl', nw_ttl: 64 },
  { kind: 'OFPActionDecNwTtl' }, { kind: 'OFPActionSetField', field: { field: 'ipv6_dst', value: 'fe80::2' } },
  { kind: 'OFPActionSetField', field: { field: 'vlan_vid', value: 0x1005 } }, { kind: 'OFPActionPushPbb', ethertype: 0x88e7 },
  { kind: 'OFPActionPopPbb' }, { kind: 'OFPActionExperimenterUnknown', experimenter: 0x1234, data: Buffer.alloc(8, 1) },
  { kind: 'NXActionUnknown', subtype: 99, data: Buffer.alloc(6, 2) },
  { kind: 'NXActionConjunction', clause: 1, n_clauses: 2, id: 7 },
  { kind: 'NXActionLearn', idle_timeout: 1, hard_timeout: 2, priority: 3, cookie: 4n, flags: 0, table_id: 5, fin_idle_timeout: 0,
    fin_hard_timeout: 0, specs: [
      { kind: 'NXFlowSpecMatch', src: ['vlan_vid', 0], dst: ['vlan_vid', 0], n_bits: 12 },
      { kind: 'NXFlowSpecLoad', src: 0x123456789n, dst: ['tunnel_id_nxm', 0], n_bits: 64 },
      { kind: 'NXFlowSpecOutput', src: ['in_port', 0], dst: '', n_bits: 32 }] },
  { kind: 'NXActionResubmit', in_port: 0xfff8 }, { kind: 'NXActionResubmitTable', in_port: 0xfff8, table_id: 3 },
  { kind: 'NXActionRegLoad', ofs_nbits: (4 << 6) | 7, dst: 'reg1', value: 0xffn },
  { kind: 'NXActionRegMove', n_bits: 16, src_ofs: 0, dst_ofs: 16, src_field: 'reg0', dst_field: 'tun_ipv4_dst' },
  { kind: 'NXActionNote', note: [1, 2, 3, 4, 5, 6] }, { kind: 'NXActionOutputTrunc', port: 1, max_len: 100 },
  { kind: 'NXActionFinTimeout', fin_idle_timeout: 1, fin_hard_timeout: 2 },
  { kind: 'NXActionController', max_len: 128, controller_id: 0, reason: 1 },
  { kind: 'NXActionDecTtlCntIds', cnt_ids: [1, 2, 3] },
  { kind: 'NXActionStackPush', start: 0, field: 'reg2', end: 31 }, { kind: 'NXActionStackPop', start: 0, field: 'reg2', end: 31 },
  { kind: 'NXActionSample', probability: 1, collector_set_id: 2, obs_domain_id: 3, obs_point_id: 4 },
  { kind: 'NXActionSample2', probability: 1, collector_set_id: 2, obs_domain_id: 3, obs_point_id: 4, sampling_port: 5 },
  { kind: 'NXActionCT', flags: 1, zone_src: '', zone_ofs_nbits: 7, recirc_table: 255, alg: 0, actions: [
    { kind: 'NXActionNAT', flags: 1, range_ipv4_min: '10.0.0.1', range_ipv4_max: '10.0.0.9', range_proto_min: 1000, range_proto_max: 2000 },
    { kind: 'OFPActionSetField', field: { field: 'ct_mark', value: 5 } }] },
  { kind: 'NXActionCTClear' },
  { kind: 'NXActionController2', max_len: 1024, controller_id: 3, reason: 1, userdata: [9, 8, 7], pause: true },
  { kind: 'NXActionController2', reason: 0 },
];
const INSTRUCTIONS: OfInstruction[] = [
  { kind: 'OFPInstructionGotoTable', table_id: 2 },
  { kind: 'OFPInstructionWriteMetadata', metadata: 0x8000000000000001n, metadata_mask: 0xffffffffffffffffn },
  { kind: 'OFPInstructionActions', type: 3, actions: ACTIONS.slice(0, 8) },
  { kind: 'OFPInstructionActions', type: 4, actions: ACTIONS },
  { kind: 'OFPInstructionActions', type: 5, actions: [] },
  { kind: 'OFPInstructionMeter', meter_id: 9 },
  { kind: 'OFPInstructionExperimenter', experimenter: 77, data: Buffer.alloc(8, 3) },
];

test(`every action (${ACTIONS.length}) and instruction (${INSTRUCTIONS.length}); lengths multiple of 8`, (t) => {
  const fm: OFPFlowMod = {
    kind: 'OFPFlowMod', cookie: 0n, cookie_mask: 0n, table_id: 0, command: 0, idle_timeout: 0, hard_timeout: 0, priority: 1,
    buffer_id: 0xffffffff, out_port: 0xffffffff, out_group: 0xffffffff, flags: 0, match: m([]), instructions: INSTRUCTIONS,
  };
  const got = roundTrip(t, fm);
  if (got?.kind !== 'OFPFlowMod') return;
  for (const ins of got.instructions) {
    t.is((ins.len ?? 1) % 8, 0);
    if (ins.kind === 'OFPInstructionActions') for (const a of ins.actions) t.is((a.len ?? 1) % 8, 0, a.kind);
  }
  const apply = got.instructions[3];
  t.true(apply?.kind === 'OFPInstructionActions' && apply.actions.length === ACTIONS.length);
});

test('toRyuJson / canonicalize: class wrappers, computed lengths, xid kept only when non-zero', (t) => {
  const j = toRyuJson({ kind: 'OFPBarrierRequest', xid: 5 });
  t.deepEqual(j, { OFPBarrierRequest: { xid: 5 } });
  t.deepEqual(toRyuJson({ kind: 'OFPBarrierRequest' }), { OFPBarrierRequest: {} });
  const hello6 = Buffer.from('06000010000000090001000800000050', 'hex'); // OVS offering 1.3 + 1.4 with version 6
  const h = decodeMessage(hello6);
  t.true(h.ok);
  if (h.ok) {
    const j = toRyuJson(h.msg);
    t.deepEqual(j, { OFPHello: { version: 6, xid: 9, elements: [{ OFPHelloElemVersionBitmap: { type: 1, length: 8, versions: [4, 6] } }] } });
    t.true(encodeMessage(fromRyuJson(j)).equals(hello6), 'version and xid survive the JSON round trip');
  }
  const c = canonicalize({ kind: 'OFPPacketOut', buffer_id: 1, in_port: 2, actions: [out(3)], data: Buffer.alloc(0) });
  t.true(c.kind === 'OFPPacketOut' && c.actions_len === 16 && c.actions[0]?.len === 16);
});

test('decode accepts a view into a larger buffer (byteOffset ≠ 0); decodeAll splits concatenations', (t) => {
  const a = encodeMessage({ kind: 'OFPEchoRequest', xid: 1, data: Buffer.from('a') });
  const b = encodeMessage({ kind: 'OFPBarrierRequest', xid: 2 });
  const big = Buffer.concat([Buffer.alloc(13, 0xee), a, b, Buffer.from([4, 99, 0, 8, 0, 0, 0, 0])]);
  const view = big.subarray(13);
  const r = decodeMessage(view);
  t.true(r.ok && r.msg.kind === 'OFPEchoRequest' && r.length === a.length);
  const all = decodeAll(view);
  t.deepEqual(all.msgs.map((x) => x.kind), ['OFPEchoRequest', 'OFPBarrierRequest']);
  t.is(all.error?.code, 'bad_type');
  t.is(all.error?.offset, a.length + b.length + 1, 'offset relative to the input, at the type byte');
});

// ------------------------------------------------------------------------------------------- bad inputs (decode)
const good = (): Buffer => Buffer.from(encodeMessage({
  kind: 'OFPFlowMod', cookie: 0n, cookie_mask: 0n, table_id: 0, command: 0, idle_timeout: 0, hard_timeout: 0, priority: 1,
  buffer_id: 0xffffffff, out_port: 0xffffffff, out_group: 0xffffffff, flags: 0,
  match: m([{ field: 'in_port', value: 1 }]), // 48: type 1, len 12, OXM at 52..60, pad to 64
  instructions: [{ kind: 'OFPInstructionActions', type: 4, actions: [out(2)] }], // 64: type, len 24, pad; action at 72
}));

const BAD: Array<[string, () => Buffer, OfDecodeErrorCode, number]> = [
  ['empty input', () => Buffer.alloc(0), 'truncated', 0],
  ['7-byte header', () => good().subarray(0, 7), 'truncated', 0],
  ['body shorter than header length', () => good().subarray(0, 60), 'truncated', 2],
  ['header length < 8', () => { const b = good(); b.writeUInt16BE(4, 2); return b; }, 'bad_length', 2],
  ['version 1 flow_mod', () => { const b = good(); b[0] = 1; return b; }, 'bad_version', 0],
  ['unknown message type', () => { const b = good(); b[1] = 77; return b; }, 'bad_type', 1],
  ['header length shorter than the fixed part', () => { const b = good().subarray(0, 40); b.writeUInt16BE(40, 2); return b; }, 'bad_length', 0],
  ['match length runs past the message', () => { const b = good(); b.writeUInt16BE(200, 50); return b; }, 'bad_length', 50],
  ['match type is not OXM', () => { const b = good(); b.writeUInt16BE(0, 48); return b; }, 'bad_match', 48],
  ['OXM payload length does not fit its field', () => { const b = good(); b[55] = 2; b.writeUInt16BE(10, 50); return b; }, 'bad_oxm', 52],
  ['OXM runs past the match', () => { const b = good(); b[55] = 40; return b; }, 'bad_length', 52],
  ['unknown instruction', () => { const b = good(); b.writeUInt16BE(9, 64); return b; }, 'bad_instruction', 64],
  ['instruction length not a multiple of 8', () => { const b = good(); b.writeUInt16BE(20, 66); return b; }, 'bad_length', 66],
  ['instruction list does not add up', () => { const b = good(); b.writeUInt16BE(16, 66); return b; }, 'bad_length', 72],
  ['unknown action', () => { const b = good(); b.writeUInt16BE(99, 72); return b; }, 'bad_action', 72],
  ['action length 0', () => { const b = good(); b.writeUInt16BE(0, 74); return b; }, 'bad_length', 74],
  ['output action with length 24', () => { const b = good(); b.writeUInt16BE(24, 74); return b; }, 'bad_length', 74],
  ['unknown multipart type', () => encodeMessageRaw({ kind: 'OFPDescStatsRequest', flags: 0 }, (b) => b.writeUInt16BE(77, 8)), 'bad_multipart', 8],
  ['port name not UTF-8', () => encodeMessageRaw({ kind: 'OFPPortStatus', reason: 0, desc: port }, (b) => { b[32] = 0xff; b[33] = 0xfe; }), 'bad_value', 32],
  ['unknown meter band type', () => encodeMessageRaw({ kind: 'OFPMeterMod', command: 0, flags: 0, meter_id: 1, bands: [{ kind: 'OFPMeterBandDrop', rate: 1, burst_size: 1 }] }, (b) => b.writeUInt16BE(7, 16)), 'bad_value', 16],
  ['list of fixed structs does not add up', () => encodeMessageRaw({ kind: 'OFPTableStatsReply', flags: 0, body: [{ table_id: 0, active_count: 1, lookup_count: 2n, matched_count: 3n }] }, (b) => { b.writeUInt16BE(b.length - 4, 2); }, 4), 'bad_length', 16],
];
function encodeMessageRaw(msg: OfMessage, patch: (b: Buffer) => void, cut = 0): Buffer {
  const b = Buffer.from(encodeMessage(msg));
  patch(b);
  return cut ? b.subarray(0, b.length - cut) : b;
}

test(`every bad-input class gives its typed error and offset (${BAD.length} cases)`, (t) => {
  for (const [what, make, code, offset] of BAD) {
    const input = make();
    const r = decodeMessage(input);
    if (r.ok) { t.fail(`${what}: decoded`); continue; }
    t.is(r.error.code, code, `${what}: ${r.error.message}`);
    t.is(r.error.offset, offset, `${what}: offset (${r.error.message})`);
    t.true(r.error.message.length > 5);
  }
  t.true(decodeMessage('nope' as unknown as Uint8Array).ok === false, 'a non-buffer is an error, not an exception');
});

// ------------------------------------------------------------------------------------------- invalid values (encode)
test('encode rejects invalid values with OfEncodeError naming the field', (t) => {
  const base = SAMPLES.find((s) => s.kind === 'OFPPortMod')!;
  const bad = (msg: unknown, re: RegExp): void => {
    const e = t.throws(() => encodeMessage(msg as OfMessage), { instanceOf: OfEncodeError });
    t.regex(e?.message ?? '', re);
  };
  bad({ ...base, port_no: -1 }, /OFPPortMod\.port_no: expected u32, got -1/);
  bad({ ...base, port_no: undefined }, /OFPPortMod\.port_no: expected u32, got undefined/);
  bad({ ...base, hw_addr: '1:2:3' }, /OFPPortMod\.hw_addr: not a MAC address/);
  bad({ ...base, config: 1.5 }, /config: expected u32/);
  bad({ kind: 'OFPTableMod', table_id: 256, config: 0 }, /table_id: expected u8, got 256/);
  bad({ kind: 'OFPRoleRequest', role: 1, generation_id: -1n }, /generation_id: expected u64/);
  bad({ kind: 'OFPRoleRequest', role: 1, generation_id: 2n ** 64n }, /generation_id: expected u64/);
  bad({ kind: 'OFPRoleRequest', role: 1, generation_id: 'x' }, /generation_id: expected a 64-bit integer/);
  bad({ kind: 'OFPNope' }, /not a valid message type: kind "OFPNope"/);
  bad(null, /not a valid message type/);
  bad({ kind: 'OFPEchoRequest', data: 'text' }, /OFPEchoRequest\.data: expected bytes/);
  bad({ kind: 'OFPEchoRequest', data: Buffer.alloc(70_000) }, /larger than 65535|at most 65535/);
  bad({ kind: 'OFPPacketOut', buffer_id: 1, in_port: 1, actions: {}, data: Buffer.alloc(0) }, /actions: expected a list/);
  bad({ kind: 'OFPPacketOut', buffer_id: 1, in_port: 1, actions: [{ kind: 'OFPActionNope' }], data: Buffer.alloc(0) }, /not a valid action type/);
  const match = (oxm: unknown): unknown => ({ ...SAMPLES.find((s) => s.kind === 'OFPFlowStatsRequest'), match: { oxm_fields: [oxm] } });
  bad(match({ field: 'ipv4_src', value: '10.0.0.256' }), /not an IPv4 address: 10.0.0.256/);
  bad(match({ field: 'ipv6_src', value: 'fe80:::1' }), /not an IPv6 address/);
  bad(match({ field: 'vlan_vid', value: 0x10000 }), /vlan_vid: expected u16 \(an integer\), got 65536/);
  bad(match({ field: 'no_such_field', value: 1 }), /unknown OXM field no_such_field/);
  bad(match({ field: 'metadata', value: 1.5 }), /metadata: expected a 64-bit integer/);
  bad({ kind: 'OFPPortStatus', reason: 0, desc: { ...port, name: 'x'.repeat(17) } }, /OFPPort\.name: string longer than 16 bytes/);
  bad({ kind: 'OFPGetAsyncReply', packet_in_mask: [1], port_status_mask: [1, 2], flow_removed_mask: [1, 2] }, /packet_in_mask: expected an array of 2 u32/);
});

test('messages of every size up to 65535 bytes encode exactly, also across slab boundaries; the results stay valid', (t) => {
  const kept: Array<[number, Buffer]> = [];
  for (const n of [0, 1, 2000, 30_000, 60_000, 65_527, 100, 65_527, 65_527, 40_000, 7, 65_000]) {
    const b = encodeMessage({ kind: 'OFPEchoRequest', xid: n, data: Buffer.alloc(n, n & 255) });
    t.is(b.length, n + 8);
    kept.push([n, b]);
  }
  for (const [n, b] of kept) { // earlier results were not overwritten by later encodes
    const r = decodeMessage(b);
    t.true(r.ok && r.msg.kind === 'OFPEchoRequest' && r.msg.xid === n && r.msg.data.length === n && (n === 0 || r.msg.data[n - 1] === (n & 255)));
  }
  t.throws(() => encodeMessage({ kind: 'OFPEchoRequest', data: Buffer.alloc(65_528) }), { instanceOf: OfEncodeError, message: /at most 65535/ });
});
