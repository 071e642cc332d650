// Interop oracle: Open vSwitch's own OpenFlow parser (`ovs-ofctl ofp-print HEX`, a local command, no switch)
// must accept what we encode and print the fields we meant. Fails if ovs-ofctl is not installed.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { encodeMessage, type OfMessage } from '../../openflow/index.js';

function ofpPrint(bytes: Buffer): { out: string; err: string } {
  const r = spawnSync('ovs-ofctl', ['ofp-print', bytes.toString('hex')], { timeout: 30_000 });
  if (r.error) throw new Error(`ovs-ofctl not runnable: ${r.error.message}`);
  return { out: r.stdout.toString(), err: r.stderr.toString() };
}

const ARP = Buffer.from('ffffffffffff020000000001080600010800060400010200000000010a0000010000000000000a000002', 'hex');
const CASES: Array<[OfMessage, string[]]> = [
  [{ kind: 'OFPHello', elements: [{ kind: 'OFPHelloElemVersionBitmap', versions: [1, 4] }] }, ['OFPT_HELLO (OF1.3)', 'version bitmap: 0x01, 0x04']],
  [{ kind: 'OFPErrorMsg', type: 4, code: 6, data: Buffer.alloc(0) }, ['OFPT_ERROR (OF1.3)', 'OFPBMC_BAD_FIELD']],
  [{ kind: 'OFPSetConfig', flags: 0, miss_send_len: 128 }, ['OFPT_SET_CONFIG (OF1.3)', 'miss_send_len=128']],
  [{ kind: 'OFPRoleRequest', role: 2, generation_id: 12345678901234567890n }, ['role=primary', 'generation_id=12345678901234567890']],
  [{ kind: 'OFPPortMod', port_no: 3, hw_addr: 'aa:bb:cc:dd:ee:ff', config: 1, mask: 1, advertise: 0 }, ['port: 3: addr:aa:bb:cc:dd:ee:ff', 'config: PORT_DOWN']],
  [{ kind: 'OFPPacketOut', buffer_id: 0xffffffff, in_port: 0xfffffffd, actions: [{ kind: 'OFPActionOutput', port: 0xfffffffb, max_len: 0 }], data: ARP },
    ['in_port=CONTROLLER actions=FLOOD data_len=42', 'arp_spa=10.0.0.1,arp_tpa=10.0.0.2']],
  [{ kind: 'OFPFlowMod', cookie: 0x1234n, cookie_mask: 0n, table_id: 1, command: 0, idle_timeout: 10, hard_timeout: 0, priority: 100,
    buffer_id: 0xffffffff, out_port: 0xffffffff, out_group: 0xffffffff, flags: 1,
    match: { oxm_fields: [{ field: 'in_port', value: 3 }, { field: 'eth_type', value: 0x86dd }, { field: 'vlan_vid', value: 0x1064 },
      { field: 'ipv6_src', value: 'fe80::', mask: 'ffff:ffff:ffff:ffff::' }, { field: 'metadata', value: 0xabn, mask: 0xffn },
      { field: 'tunnel_id', value: 2n ** 63n }] },
    instructions: [{ kind: 'OFPInstructionActions', type: 4, actions: [{ kind: 'OFPActionPushVlan', ethertype: 0x8100 },
      { kind: 'OFPActionSetField', field: { field: 'vlan_vid', value: 0x1005 } }, { kind: 'OFPActionGroup', group_id: 5 }] },
    { kind: 'OFPInstructionGotoTable', table_id: 2 }, { kind: 'OFPInstructionWriteMetadata', metadata: 1n, metadata_mask: 1n },
    { kind: 'OFPInstructionMeter', meter_id: 7 }] },
  ['ADD table:1 priority=100,ipv6,tun_id=0x8000000000000000,metadata=0xab/0xff,in_port=3,dl_vlan=100,ipv6_src=fe80::/64',
    'cookie:0x1234 idle:10 send_flow_rem', 'actions=meter:7,push_vlan:0x8100,set_field:4101->vlan_vid,group:5,write_metadata:0x1/0x1,goto_table:2']],
  [{ kind: 'OFPFlowMod', cookie: 0n, cookie_mask: 0n, table_id: 0, command: 3, idle_timeout: 0, hard_timeout: 0, priority: 0,
    buffer_id: 0xffffffff, out_port: 0xffffffff, out_group: 0xffffffff, flags: 0,
    match: { oxm_fields: [{ field: 'eth_type', value: 0x800 }, { field: 'ip_proto', value: 6 }, { field: 'ipv4_dst', value: '10.0.0.0', mask: '255.255.255.0' }, { field: 'tcp_dst', value: 80 }] },
    instructions: [] }, ['DEL', 'tcp,nw_dst=10.0.0.0/24,tp_dst=80']],
  [{ kind: 'OFPGroupMod', command: 0, type: 1, group_id: 5, buckets: [{ weight: 3, watch_port: 0xffffffff, watch_group: 0xffffffff, actions: [{ kind: 'OFPActionOutput', port: 1, max_len: 0 }] }] },
    ['ADD group_id=5,type=select,bucket=weight:3,actions=output:1']],
  [{ kind: 'OFPMeterMod', command: 0, flags: 5, meter_id: 7, bands: [{ kind: 'OFPMeterBandDrop', rate: 1000, burst_size: 100 }] },
    ['ADD meter=7 kbps burst', 'type=drop rate=1000 burst_size=100']],
  [{ kind: 'OFPFlowStatsRequest', flags: 0, table_id: 0xff, out_port: 0xffffffff, out_group: 0xffffffff, cookie: 0n, cookie_mask: 0n,
    match: { oxm_fields: [{ field: 'eth_dst', value: '02:00:00:00:00:01' }] } }, ['OFPST_FLOW request (OF1.3)', 'dl_dst=02:00:00:00:00:01']],
  [{ kind: 'OFPPortStatsRequest', flags: 0, port_no: 0xffffffff }, ['OFPST_PORT request (OF1.3)', 'port_no=ANY']],
  [{ kind: 'OFPTableFeaturesStatsRequest', flags: 0, body: [] }, ['OFPST_TABLE_FEATURES request (OF1.3)']],
  [{ kind: 'OFPSetAsync', packet_in_mask: [7, 0], port_status_mask: [7, 7], flow_removed_mask: [15, 0] },
    ['PACKET_IN: no_match action invalid_ttl', 'PORT_STATUS: add delete modify']],
  [{ kind: 'OFPQueueGetConfigRequest', port: 1 }, ['OFPT_QUEUE_GET_CONFIG_REQUEST (OF1.3)', 'port=1']],
  [{ kind: 'OFPBarrierRequest', xid: 0x42 }, ['OFPT_BARRIER_REQUEST (OF1.3) (xid=0x42)']],
];

test(`ovs-ofctl ofp-print parses every encoded message as intended (${CASES.length} messages)`, (t) => {
  for (const [msg, expect] of CASES) {
    const { out, err } = ofpPrint(encodeMessage(msg));
    t.false(/decode error|\|(WARN|ERR)\|/.test(out + err), `${msg.kind}: OVS rejected it:\n${out}${err}`);
    for (const e of expect) t.true(out.includes(e), `${msg.kind}: expected "${e}" in\n${out}`);
  }
});
