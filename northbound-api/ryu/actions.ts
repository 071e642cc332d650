// Ryu ofctl_v1_3 action and instruction conversions.
// to_actions: the REST "actions" list (actions and the instruction pseudo-actions WRITE_ACTIONS,
// CLEAR_ACTIONS, GOTO_TABLE, WRITE_METADATA, METER) → codec instructions; plain actions are gathered
// in one APPLY_ACTIONS instruction placed last, as Ryu does.
// actions_to_str / action_to_str: instructions → Ryu's strings ("OUTPUT:2", "SET_FIELD: {eth_src:..}",
// {"WRITE_ACTIONS": [...]}, "GOTO_TABLE:1", "WRITE_METADATA:0x..", "METER:1", "NX_UNKNOWN: {...}").
import type { OfAction, OfInstruction, OxmValue } from '../../openflow/types.js';
import { formatIpv4, formatIpv6, formatMac, parseIpv4, parseIpv6, parseMac } from './addr.js';
import { MATCH_FIELDS } from './match.js';
import {
  base64Decode, base64Encode, cmlFromUser, groupFromUser, groupToUser, isObject, meterFromUser, meterToUser,
  portFromUser, portToUser, queueFromUser, queueToUser, RyuBadRequest, strToBig, strToUint, strToUint64,
  tableFromUser, tableToUser, type Json,
} from './util.js';

const NX_EXPERIMENTER_ID = 0x2320;
const UINT64_MAX = (1n << 64n) - 1n;

const MAC_FIELDS = new Set(['eth_dst', 'eth_src', 'arp_sha', 'arp_tha', 'ipv6_nd_sll', 'ipv6_nd_tll']);
const IPV4_FIELDS = new Set(['ipv4_src', 'ipv4_dst', 'arp_spa', 'arp_tpa', 'tun_ipv4_src', 'tun_ipv4_dst']);
const IPV6_FIELDS = new Set(['ipv6_src', 'ipv6_dst', 'ipv6_nd_target', 'tun_ipv6_src', 'tun_ipv6_dst']);
const U64_FIELDS = new Set(['metadata', 'tunnel_id']);
const FIELD_BYTES: Record<string, number> = {
  in_port: 4, in_phy_port: 4, eth_type: 2, vlan_vid: 2, vlan_pcp: 1, ip_dscp: 1, ip_ecn: 1, ip_proto: 1,
  tcp_src: 2, tcp_dst: 2, udp_src: 2, udp_dst: 2, sctp_src: 2, sctp_dst: 2, icmpv4_type: 1, icmpv4_code: 1,
  arp_op: 2, ipv6_flabel: 4, icmpv6_type: 1, icmpv6_code: 1, mpls_label: 4, mpls_tc: 1, mpls_bos: 1,
  pbb_isid: 3, ipv6_exthdr: 2, pbb_uca: 1,
};
/** Non-basic fields the codec knows by name (ONF / Nicira extensions) that SET_FIELD may use. */
const EXTRA_FIELD_RE = /^(pbb_uca|tun_ipv4_src|tun_ipv4_dst|tun_ipv6_src|tun_ipv6_dst|pkt_mark|ct_state|ct_zone|ct_mark|ct_label|conj_id|tcp_flags|actset_output|xreg\d+|reg\d+|nw_ttl|in_port_nxm|eth_dst_nxm|eth_src_nxm)$/;

function setFieldValue(field: string, v: unknown): OxmValue {
  const what = `SET_FIELD ${field}`;
  if (MAC_FIELDS.has(field)) return formatMac(parseMac(v, what));
  if (IPV4_FIELDS.has(field)) return formatIpv4(parseIpv4(v, what));
  if (IPV6_FIELDS.has(field)) return formatIpv6(parseIpv6(v, what));
  if (U64_FIELDS.has(field)) return strToUint64(v, what);
  const bytes = FIELD_BYTES[field];
  if (bytes !== undefined) return strToUint(v, bytes * 8, what);
  const n = strToBig(v, what);
  if (n < 0n) throw new RyuBadRequest(`${what}: ${n} is negative`);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function need(dic: Record<string, Json>, key: string, type: string): Json {
  if (!(key in dic) || dic[key] === null) throw new RyuBadRequest(`action ${type} needs "${key}"`);
  return dic[key];
}

/** Ryu's ofctl_utils.to_action for OF1.3; null for the instruction pseudo-actions. */
export function toAction(dicIn: unknown): OfAction | null {
  if (!isObject(dicIn)) throw new RyuBadRequest(`an action must be an object, got ${JSON.stringify(dicIn)}`);
  const dic = dicIn;
  const type = dic.type;
  switch (type) {
    case 'OUTPUT':
      return {
        kind: 'OFPActionOutput',
        port: portFromUser(dic.port ?? 0xffffffff, 'OUTPUT port'),
        max_len: cmlFromUser(dic.max_len ?? 0xffe5, 'OUTPUT max_len'),
      };
    case 'COPY_TTL_OUT':
      return { kind: 'OFPActionCopyTtlOut' };
    case 'COPY_TTL_IN':
      return { kind: 'OFPActionCopyTtlIn' };
    case 'SET_MPLS_TTL':
      return { kind: 'OFPActionSetMplsTtl', mpls_ttl: strToUint(need(dic, 'mpls_ttl', type), 8, 'mpls_ttl') };
    case 'DEC_MPLS_TTL':
      return { kind: 'OFPActionDecMplsTtl' };
    case 'PUSH_VLAN':
      return { kind: 'OFPActionPushVlan', ethertype: strToUint(need(dic, 'ethertype', type), 16, 'ethertype') };
    case 'POP_VLAN':
      return { kind: 'OFPActionPopVlan' };
    case 'PUSH_MPLS':
      return { kind: 'OFPActionPushMpls', ethertype: strToUint(need(dic, 'ethertype', type), 16, 'ethertype') };
    case 'POP_MPLS':
      return { kind: 'OFPActionPopMpls', ethertype: strToUint(need(dic, 'ethertype', type), 16, 'ethertype') };
    case 'SET_QUEUE':
      return { kind: 'OFPActionSetQueue', queue_id: queueFromUser(dic.queue_id, 'SET_QUEUE queue_id') };
    case 'GROUP':
      return { kind: 'OFPActionGroup', group_id: groupFromUser(dic.group_id, 'GROUP group_id') };
    case 'SET_NW_TTL':
      return { kind: 'OFPActionSetNwTtl', nw_ttl: strToUint(need(dic, 'nw_ttl', type), 8, 'nw_ttl') };
    case 'DEC_NW_TTL':
      return { kind: 'OFPActionDecNwTtl' };
    case 'SET_FIELD': {
      const field = dic.field;
      if (typeof field !== 'string' || !(MATCH_FIELDS.includes(field) || EXTRA_FIELD_RE.test(field))) {
        throw new RyuBadRequest(`SET_FIELD: unknown field ${JSON.stringify(field)}`);
      }
      if (!('value' in dic)) throw new RyuBadRequest('SET_FIELD needs "value"');
      return { kind: 'OFPActionSetField', field: { field, value: setFieldValue(field, dic.value) } };
    }
    case 'PUSH_PBB':
      return { kind: 'OFPActionPushPbb', ethertype: strToUint(need(dic, 'ethertype', type), 16, 'ethertype') };
    case 'POP_PBB':
      return { kind: 'OFPActionPopPbb' };
    case 'EXPERIMENTER': {
      const experimenter = strToUint(need(dic, 'experimenter', type), 32, 'experimenter');
      const dataType = dic.data_type ?? 'ascii';
      const data = dic.data ?? '';
      let bytes: Uint8Array;
      if (dataType === 'base64') bytes = base64Decode(data, 'EXPERIMENTER data');
      else if (dataType === 'ascii') {
        if (typeof data !== 'string') throw new RyuBadRequest('EXPERIMENTER data must be a string');
        bytes = new Uint8Array(Buffer.from(data, 'latin1'));
      } else throw new RyuBadRequest(`EXPERIMENTER: unknown data_type ${JSON.stringify(dataType)} (ascii or base64)`);
      return { kind: 'OFPActionExperimenterUnknown', experimenter, data: bytes };
    }
    case 'WRITE_ACTIONS':
    case 'CLEAR_ACTIONS':
    case 'GOTO_TABLE':
    case 'WRITE_METADATA':
    case 'METER':
      return null;
    default:
      throw new RyuBadRequest(`unknown action type ${JSON.stringify(type)}`);
  }
}

/** Ryu's ofctl_v1_3.to_actions. */
export function toInstructions(acts: unknown): OfInstruction[] {
  if (acts === undefined || acts === null) return [];
  if (!Array.isArray(acts)) throw new RyuBadRequest(`actions must be a list, got ${JSON.stringify(acts)}`);
  const inst: OfInstruction[] = [];
  const apply: OfAction[] = [];
  for (const a of acts) {
    const action = toAction(a);
    if (action) {
      apply.push(action);
      continue;
    }
    const dic = a as Record<string, Json>;
    switch (dic.type) {
      case 'WRITE_ACTIONS': {
        const list = dic.actions ?? [];
        if (!Array.isArray(list)) throw new RyuBadRequest('WRITE_ACTIONS.actions must be a list');
        const write: OfAction[] = [];
        for (const w of list) {
          const wa = toAction(w);
          if (!wa) throw new RyuBadRequest(`WRITE_ACTIONS cannot contain ${JSON.stringify((w as Record<string, Json>).type)}`);
          write.push(wa);
        }
        if (write.length) inst.push({ kind: 'OFPInstructionActions', type: 3, actions: write });
        break;
      }
      case 'CLEAR_ACTIONS':
        inst.push({ kind: 'OFPInstructionActions', type: 5, actions: [] });
        break;
      case 'GOTO_TABLE':
        inst.push({ kind: 'OFPInstructionGotoTable', table_id: tableFromUser(dic.table_id, 'GOTO_TABLE table_id') });
        break;
      case 'WRITE_METADATA':
        inst.push({
          kind: 'OFPInstructionWriteMetadata',
          metadata: strToUint64(dic.metadata, 'WRITE_METADATA metadata'),
          metadata_mask: 'metadata_mask' in dic ? strToUint64(dic.metadata_mask, 'WRITE_METADATA metadata_mask') : UINT64_MAX,
        });
        break;
      case 'METER':
        inst.push({ kind: 'OFPInstructionMeter', meter_id: meterFromUser(dic.meter_id, 'METER meter_id') });
        break;
    }
  }
  if (apply.length) inst.push({ kind: 'OFPInstructionActions', type: 4, actions: apply });
  return inst;
}

function fieldValueStr(v: OxmValue): string {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return String(v);
}

/** Ryu's ofctl_v1_3.action_to_str (with ofctl_nicira_ext for Nicira actions). */
export function actionToStr(a: OfAction): string {
  switch (a.kind) {
    case 'OFPActionOutput':
      return `OUTPUT:${portToUser(a.port)}`;
    case 'OFPActionCopyTtlOut':
      return 'COPY_TTL_OUT';
    case 'OFPActionCopyTtlIn':
      return 'COPY_TTL_IN';
    case 'OFPActionSetMplsTtl':
      return `SET_MPLS_TTL:${a.mpls_ttl}`;
    case 'OFPActionDecMplsTtl':
      return 'DEC_MPLS_TTL';
    case 'OFPActionPushVlan':
      return `PUSH_VLAN:${a.ethertype}`;
    case 'OFPActionPopVlan':
      return 'POP_VLAN';
    case 'OFPActionPushMpls':
      return `PUSH_MPLS:${a.ethertype}`;
    case 'OFPActionPopMpls':
      return `POP_MPLS:${a.ethertype}`;
    case 'OFPActionSetQueue':
      return `SET_QUEUE:${queueToUser(a.queue_id)}`;
    case 'OFPActionGroup':
      return `GROUP:${groupToUser(a.group_id)}`;
    case 'OFPActionSetNwTtl':
      return `SET_NW_TTL:${a.nw_ttl}`;
    case 'OFPActionDecNwTtl':
      return 'DEC_NW_TTL';
    case 'OFPActionSetField':
      return `SET_FIELD: {${a.field.field}:${fieldValueStr(a.field.value)}}`;
    case 'OFPActionPushPbb':
      return `PUSH_PBB:${a.ethertype}`;
    case 'OFPActionPopPbb':
      return 'POP_PBB';
    case 'OFPActionExperimenterUnknown':
      return `EXPERIMENTER: {experimenter:${a.experimenter}, data:${base64Encode(a.data)}}`;
    case 'NXActionUnknown':
      return `NX_UNKNOWN: {subtype: ${a.subtype}, data: ${base64Encode(a.data)}}`;
    case 'NXActionConjunction':
      return `NX_CONJUNCTION: {clause: ${a.clause}, number_of_clauses: ${a.n_clauses}, id: ${a.id}}`;
    case 'NXActionLearn': {
      const ref = (r: unknown, n: number): string =>
        Array.isArray(r) ? `${r[0]}[${r[1]}..${Number(r[1]) + n}]` : `${String(r)}[]`;
      const specs = a.specs.map((s) => {
        if (s.kind === 'NXFlowSpecMatch') return ref(s.src, s.n_bits);
        if (s.kind === 'NXFlowSpecLoad') return `NX_LOAD {${ref(s.dst, s.n_bits)}: ${ref(s.src, s.n_bits)}}`;
        return `output:${ref(s.src, s.n_bits)}`;
      });
      return (
        `NX_LEARN: {idle_timeout: ${a.idle_timeout}, hard_timeouts: ${a.hard_timeout}, priority: ${a.priority}, ` +
        `cookie: ${a.cookie}, flags: ${a.flags}, table_id: ${a.table_id}, fin_idle_timeout: ${a.fin_idle_timeout}, ` +
        `fin_hard_timeout: ${a.fin_hard_timeout}, specs: [${specs.map((s) => `'${s}'`).join(', ')}]}`
      );
    }
    default:
      return 'UNKNOWN';
  }
}

export { NX_EXPERIMENTER_ID };

/** Ryu's ofctl_v1_3.actions_to_str. */
export function instructionsToStr(instructions: OfInstruction[] | undefined): Json[] {
  const out: Json[] = [];
  for (const i of instructions ?? []) {
    switch (i.kind) {
      case 'OFPInstructionActions':
        if (i.type === 4) for (const a of i.actions) out.push(actionToStr(a));
        else if (i.type === 3) {
          const w = i.actions.map(actionToStr);
          if (w.length) out.push({ WRITE_ACTIONS: w });
        } else if (i.type === 5) out.push('CLEAR_ACTIONS');
        else out.push('UNKNOWN');
        break;
      case 'OFPInstructionGotoTable':
        out.push(`GOTO_TABLE:${tableToUser(i.table_id)}`);
        break;
      case 'OFPInstructionWriteMetadata':
        out.push(
          i.metadata_mask
            ? `WRITE_METADATA:0x${i.metadata.toString(16)}/0x${i.metadata_mask.toString(16)}`
            : `WRITE_METADATA:0x${i.metadata.toString(16)}`,
        );
        break;
      case 'OFPInstructionMeter':
        out.push(`METER:${meterToUser(i.meter_id)}`);
        break;
      default:
        break;
    }
  }
  return out;
}
