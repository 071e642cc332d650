// Ryu's ofctl golden files (../shared/vectors/ryu-of13, as Ryu's own test_ofctl.py uses them), run
// through the real HTTP API: for each case the request built from the REST call must equal the
// expected OpenFlow message (json/<request>), and the JSON answered for the switch's reply
// (json/<reply>) must equal ofctl/<reply> after removing len/length keys.
// The switch is an in-process double that records the message and answers with the vector's reply.
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { OfMessage } from '../../openflow/types.js';
import { parseLiteral } from '../../northbound-api/ryu/body.js';
import { FakeSwitch, switchInfo, start, http, VEC, load, unwrap, canon, type J } from './support.js';

function stripLen(v: J): J {
  if (Array.isArray(v)) return v.map(stripLen);
  if (v && typeof v === 'object') {
    const out: Record<string, J> = {};
    for (const [k, x] of Object.entries(v as Record<string, J>)) if (k !== 'len' && k !== 'length') out[k] = stripLen(x);
    return out;
  }
  return v;
}

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  request: string;
  reply?: string;
}

const args = (name: string): Record<string, unknown> =>
  existsSync(join(VEC, 'ofctl', name)) ? (load('ofctl', name) as Record<string, unknown>) : {};

const CASES: Case[] = [
  { name: 'desc', method: 'GET', path: '/stats/desc/1', request: '4-24-ofp_desc_request.packet.json', reply: '4-0-ofp_desc_reply.packet.json' },
  { name: 'queue stats', method: 'GET', path: '/stats/queue/1', request: '4-37-ofp_queue_stats_request.packet.json', reply: '4-38-ofp_queue_stats_reply.packet.json' },
  { name: 'queue stats port', method: 'GET', path: `/stats/queue/1/${String(args('lib-ofctl-ofp_queue_stats_request.packet1.json').port)}`, request: 'lib-ofctl-ofp_queue_stats_request.packet1.json', reply: '4-38-ofp_queue_stats_reply.packet.json' },
  { name: 'queue stats port+queue', method: 'GET', path: '/stats/queue/1/7/1', request: 'lib-ofctl-ofp_queue_stats_request.packet2.json', reply: '4-38-ofp_queue_stats_reply.packet.json' },
  { name: 'queue stats ALL+queue', method: 'GET', path: '/stats/queue/1/ALL/1', request: 'lib-ofctl-ofp_queue_stats_request.packet3.json', reply: '4-38-ofp_queue_stats_reply.packet.json' },
  { name: 'queue config port', method: 'GET', path: `/stats/queueconfig/1/${String(args('4-35-ofp_queue_get_config_request.packet.json').port)}`, request: '4-35-ofp_queue_get_config_request.packet.json', reply: '4-36-ofp_queue_get_config_reply.packet.json' },
  { name: 'queue config', method: 'GET', path: '/stats/queueconfig/1', request: 'lib-ofctl-ofp_queue_get_config_request.packet.json', reply: '4-36-ofp_queue_get_config_reply.packet.json' },
  { name: 'flow stats', method: 'POST', path: '/stats/flow/1', body: args('4-11-ofp_flow_stats_request.packet.json').flow, request: '4-11-ofp_flow_stats_request.packet.json', reply: '4-12-ofp_flow_stats_reply.packet.json' },
  { name: 'aggregate flow stats', method: 'POST', path: '/stats/aggregateflow/1', body: args('4-25-ofp_aggregate_stats_request.packet.json').flow, request: '4-25-ofp_aggregate_stats_request.packet.json', reply: '4-26-ofp_aggregate_stats_reply.packet.json' },
  { name: 'table stats', method: 'GET', path: '/stats/table/1', request: '4-27-ofp_table_stats_request.packet.json', reply: '4-28-ofp_table_stats_reply.packet.json' },
  { name: 'table features', method: 'GET', path: '/stats/tablefeatures/1', request: 'lib-ofctl-ofp_table_features_request.packet.json', reply: '4-56-ofp_table_features_reply.packet.json' },
  { name: 'port stats', method: 'GET', path: '/stats/port/1', request: '4-29-ofp_port_stats_request.packet.json', reply: '4-30-ofp_port_stats_reply.packet.json' },
  { name: 'port stats port', method: 'GET', path: '/stats/port/1/7', request: 'lib-ofctl-ofp_port_stats_request.packet.json', reply: '4-30-ofp_port_stats_reply.packet.json' },
  { name: 'meter stats', method: 'GET', path: '/stats/meter/1', request: '4-49-ofp_meter_stats_request.packet.json', reply: '4-50-ofp_meter_stats_reply.packet.json' },
  { name: 'meter stats one', method: 'GET', path: '/stats/meter/1/1', request: 'lib-ofctl-ofp_meter_stats_request.packet.json', reply: '4-50-ofp_meter_stats_reply.packet.json' },
  { name: 'meter features', method: 'GET', path: '/stats/meterfeatures/1', request: '4-51-ofp_meter_features_request.packet.json', reply: '4-52-ofp_meter_features_reply.packet.json' },
  { name: 'meter config', method: 'GET', path: '/stats/meterconfig/1', request: '4-47-ofp_meter_config_request.packet.json', reply: '4-48-ofp_meter_config_reply.packet.json' },
  { name: 'meter config one', method: 'GET', path: '/stats/meterconfig/1/1', request: 'lib-ofctl-ofp_meter_config_request.packet.json', reply: '4-48-ofp_meter_config_reply.packet.json' },
  { name: 'group stats', method: 'GET', path: '/stats/group/1', request: '4-57-ofp_group_stats_request.packet.json', reply: '4-58-ofp_group_stats_reply.packet.json' },
  { name: 'group stats one', method: 'GET', path: '/stats/group/1/1', request: 'lib-ofctl-ofp_group_stats_request.packet.json', reply: '4-58-ofp_group_stats_reply.packet.json' },
  { name: 'group features', method: 'GET', path: '/stats/groupfeatures/1', request: '4-31-ofp_group_features_request.packet.json', reply: '4-32-ofp_group_features_reply.packet.json' },
  { name: 'group desc', method: 'GET', path: '/stats/groupdesc/1', request: '4-33-ofp_group_desc_request.packet.json', reply: '4-34-ofp_group_desc_reply.packet.json' },
  { name: 'port desc', method: 'GET', path: '/stats/portdesc/1', request: '4-53-ofp_port_desc_request.packet.json', reply: '4-54-ofp_port_desc_reply.packet.json' },
  { name: 'flow mod', method: 'POST', path: '/stats/flowentry/add', body: { dpid: 1, ...(args('4-2-ofp_flow_mod.packet.json').flow as object) }, request: '4-2-ofp_flow_mod.packet.json' },
  { name: 'meter mod', method: 'POST', path: '/stats/meterentry/add', body: { dpid: 1, ...(args('4-45-ofp_meter_mod.packet.json').meter as object) }, request: '4-45-ofp_meter_mod.packet.json' },
  { name: 'group mod', method: 'POST', path: '/stats/groupentry/add', body: { dpid: 1, ...(args('4-21-ofp_group_mod.packet.json').group as object) }, request: '4-21-ofp_group_mod.packet.json' },
  { name: 'port mod', method: 'POST', path: '/stats/portdesc/modify', body: { dpid: 1, ...(args('4-22-ofp_port_mod.packet.json').port_config as object) }, request: '4-22-ofp_port_mod.packet.json' },
  { name: 'experimenter', method: 'POST', path: '/stats/experimenter/1', body: args('4-16-ofp_experimenter.packet.json').exp, request: '4-16-ofp_experimenter.packet.json' },
];

test('every golden file of the vectors ofctl/ directory is used by a case', (t) => {
  const used = new Set(CASES.flatMap((c) => [c.request, c.reply]));
  // ofctl/<x> is either a reply's expected output or a request's arguments
  const files = ['4-0-ofp_desc_reply', '4-11-ofp_flow_stats_request', '4-12-ofp_flow_stats_reply', '4-16-ofp_experimenter', '4-2-ofp_flow_mod',
    '4-21-ofp_group_mod', '4-22-ofp_port_mod', '4-25-ofp_aggregate_stats_request', '4-26-ofp_aggregate_stats_reply', '4-28-ofp_table_stats_reply',
    '4-30-ofp_port_stats_reply', '4-32-ofp_group_features_reply', '4-34-ofp_group_desc_reply', '4-35-ofp_queue_get_config_request',
    '4-36-ofp_queue_get_config_reply', '4-38-ofp_queue_stats_reply', '4-45-ofp_meter_mod', '4-48-ofp_meter_config_reply', '4-50-ofp_meter_stats_reply',
    '4-52-ofp_meter_features_reply', '4-54-ofp_port_desc_reply', '4-56-ofp_table_features_reply', '4-58-ofp_group_stats_reply'].map((f) => `${f}.packet.json`);
  for (const f of files) t.true(used.has(f), f);
});

for (const c of CASES) {
  test(`golden: ${c.name} (${c.method} ${c.path})`, async (t) => {
    const reply = c.reply ? (unwrap(load('json', c.reply)) as OfMessage) : undefined;
    const sw = new FakeSwitch([{ ...switchInfo(1n), ports: [{ ...switchInfo(1n).ports[0], port_no: 1 }] }], () => (reply ? [reply] : []));
    const api = await start({ switches: sw });
    try {
      const r = await http(api, c.method, c.path, c.body);
      t.is(r.status, 200, r.text);
      const sent = [...sw.requests, ...sw.sent];
      t.is(sent.length, 1, 'exactly one message to the switch');
      t.deepEqual(canon(sent[0]), canon(unwrap(load('json', c.request))), 'the OpenFlow message built from the REST call');
      if (c.reply) {
        t.deepEqual(stripLen(parseLiteral(r.text)), stripLen(load('ofctl', c.reply)), 'the REST JSON for the reply');
      } else {
        t.is(r.text, '', 'commands answer 200 with an empty body, as Ryu');
      }
    } finally {
      await api.close();
    }
  });
}
