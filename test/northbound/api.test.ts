// Contract test: one successful call per operation of openapi.yaml (every path × method), with the app's
// response validation on (an answer that does not match the contract becomes a 500, which fails here),
// plus the expected status and a check of the body. Also: auth (401/403) on every mutating operation,
// problem+json errors without stack traces, body limits (413), /docs with its assets, /openapi.yaml, /metrics.
import test from 'ava';
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { findSpec } from '../../northbound-api/app.js';
import { parseLiteral } from '../../northbound-api/ryu/body.js';
import type { RunningApi } from '../../northbound-api/server.js';
import { startApi } from '../../northbound-api/server.js';
import { FakeScaling, FakeSwitch, MemoryCluster, statsRecord, switchInfo, start, http, vectorReplier, TOKEN, type HttpResult } from './support.js';

const spec = YAML.parse(readFileSync(findSpec(), 'utf8')) as { paths: Record<string, Record<string, { security?: unknown[] }>> };
const METHODS = ['get', 'post', 'put', 'delete', 'patch'];
const OPS = Object.entries(spec.paths).flatMap(([p, item]) => METHODS.filter((m) => m in item).map((m) => `${m} ${p}`));

let api: RunningApi;
let sw: FakeSwitch;
let cluster: MemoryCluster;
let scaling: FakeScaling;
const covered = new Set<string>();

test.before(async () => {
  sw = new FakeSwitch([switchInfo(1n, 3)], vectorReplier);
  cluster = new MemoryCluster();
  scaling = new FakeScaling(cluster);
  cluster.hosts = [{ id: 'h1', mac: '02:00:00:00:01:01', tunnelIp: '10.0.0.1', switch: { dpid: '0000000000000001', port: 1 }, cores: 2, capacity: { maxInstances: 4 }, startedAt: 1 }];
  cluster.instances = [{ id: 'fw/h1:0', service: 'fw', serviceId: 1, host: 'h1', index: 0, state: 'running', startedAt: 1 }];
  cluster.stats = [statsRecord('h1', 'fw', 0, 1000)];
  api = await start({
    switches: sw,
    cluster,
    scaling,
    pipeline: {
      compiled: (d) => [{ table_id: 0, priority: 10, match: { in_port: 1 }, actions: ['GOTO_TABLE:1'], origin: `sw ${d}` }],
      report: () => ({ offloads: [{ chain: 'web', service: 'fw', offloaded: false, rules: 1, reason: 'stateful firewall' }], problems: ['chain web: firewall fw not offloaded: stateful firewall'] }),
    },
    metrics: {
      ofMessages: () => ({ in: { OFPT_PACKET_IN: 5 }, out: { OFPT_FLOW_MOD: 7 } }),
      ofSessions: () => 1,
      nfRates: () => cluster.stats,
    },
  });
});

test.after.always(async () => {
  await api?.close();
});

async function call(op: string, method: string, path: string, body?: unknown, expect = 200): Promise<HttpResult> {
  const r = await http(api, method, path, body);
  covered.add(op);
  if (r.status !== expect) throw new Error(`${method} ${path}: expected ${expect}, got ${r.status}: ${r.text.slice(0, 500)}`);
  return r;
}

test.serial('/api/v1: every operation answers per the contract', async (t) => {
  const h = await call('get /api/v1/health', 'GET', '/api/v1/health');
  t.like(h.json, { status: 'ok', controller: true, cluster: true, pipeline: true, scaling: true });
  t.deepEqual((await call('get /api/v1/tenants', 'GET', '/api/v1/tenants')).json, []);
  const ct = await call('post /api/v1/tenants', 'POST', '/api/v1/tenants', { name: 'acme', vlan: 100, ports: [3] }, 201);
  t.is(ct.headers.get('location'), '/api/v1/tenants/acme');
  await http(api, 'POST', '/api/v1/tenants', { name: 'acme' }).then((r) => t.is(r.status, 409, r.text));
  t.like((await call('get /api/v1/tenants/{name}', 'GET', '/api/v1/tenants/acme')).json, { name: 'acme', vlan: 100 });
  t.like((await call('put /api/v1/tenants/{name}', 'PUT', '/api/v1/tenants/acme', { name: 'acme', displayName: 'ACME corp' })).json, { displayName: 'ACME corp' });
  t.like((await call('post /api/v1/services', 'POST', '/api/v1/services', { name: 'fw', kind: 'native', limits: { minInstances: 1, maxInstances: 4 } }, 201)).json, { id: 1 });
  t.like((await call('post /api/v1/services', 'POST', '/api/v1/services', { name: 'nat', kind: 'typescript' }, 201)).json, { id: 2, limits: { minInstances: 1, maxInstances: 4 } });
  t.is(((await call('get /api/v1/services', 'GET', '/api/v1/services')).json as unknown[]).length, 2);
  t.like((await call('get /api/v1/services/{name}', 'GET', '/api/v1/services/fw')).json, { kind: 'native' });
  t.like((await call('put /api/v1/services/{name}', 'PUT', '/api/v1/services/nat', { name: 'nat', kind: 'typescript', image: 'nf/nat.js' })).json, { id: 2, image: 'nf/nat.js' });
  await http(api, 'PUT', '/api/v1/services/nat', { name: 'nat', kind: 'typescript', id: 9 }).then((r) => t.is(r.status, 409, 'the id cannot change'));
  t.deepEqual((await call('post /api/v1/services/{name}/scale', 'POST', '/api/v1/services/fw/scale', { instances: 3 }, 202)).json, { service: 'fw', desiredInstances: 3 });
  t.deepEqual(scaling.calls.at(-1), ['fw', 3], 'desired count handed to the scaler');
  t.like((await http(api, 'GET', '/api/v1/services/fw')).json, { desiredInstances: 3 });
  await http(api, 'POST', '/api/v1/services/fw/scale', { instances: 9 }).then((r) => t.is(r.status, 400, 'above limits.maxInstances'));
  t.like((await call('get /api/v1/services/{name}/autoscale', 'GET', '/api/v1/services/fw/autoscale')).json, { enabled: false, desiredInstances: 3, minInstances: 1, maxInstances: 4 });
  t.like((await call('put /api/v1/services/{name}/autoscale', 'PUT', '/api/v1/services/fw/autoscale', { enabled: true, minInstances: 2, maxInstances: 6 })).json, { enabled: true, minInstances: 2, maxInstances: 6 });
  t.deepEqual(scaling.calls.at(-1), ['fw', null], 'enabled: back to automatic scaling');
  t.like(cluster.services.get('fw')?.limits, { minInstances: 2, maxInstances: 6 }, 'min/max stored in the service limits');
  // the autoscaler's knobs: stored with the service, read back with what the controller applies
  const knobs = { outFill: 0.8, inFill: 0.1, outPps: 50000, inPps: 10000, sustainMs: 500, outCooldownMs: 3000, inCooldownMs: 20000, step: 2, quietMs: 800, drainTimeoutMs: 9000 };
  const put = await call('put /api/v1/services/{name}/autoscale', 'PUT', '/api/v1/services/fw/autoscale', { enabled: true, minInstances: 1, maxInstances: 5, ...knobs });
  t.like(put.json, { enabled: true, ...knobs, effective: { outPps: 50000, sustainMs: 500, minInstances: 1, maxInstances: 5 } });
  t.deepEqual(cluster.services.get('fw')?.autoscale, knobs, 'knobs stored with the service (no override while enabled)');
  t.like((await http(api, 'GET', '/api/v1/services/fw/autoscale')).json, { ...knobs, enabled: true });
  const held = await http(api, 'PUT', '/api/v1/services/fw/autoscale', { enabled: false, minInstances: 1, maxInstances: 5, outPps: 40000 });
  t.like(held.json, { enabled: false, outPps: 40000, effective: { outPps: 40000, sustainMs: 1000 } }, 'PUT replaces: left-out knobs fall back to the defaults');
  t.like(cluster.services.get('fw')?.autoscale, { outPps: 40000, override: 3 }, 'the held count (the current one) is stored');
  for (const [bad, why] of [
    [{ inFill: 0.7, outFill: 0.6 }, /inFill \(0\.7\) must be below outFill/],
    [{ inPps: 60000 }, /inPps \(60000\) must be below outPps \(50000\)/],
    [{ outFill: 1.5 }, /outFill/],
    [{ step: 0 }, /step/],
    [{ sustain: 5 }, /sustain/],
  ] as const) {
    const r = await http(api, 'PUT', '/api/v1/services/fw/autoscale', { enabled: true, minInstances: 1, maxInstances: 5, outPps: 50000, ...bad });
    t.is(r.status, 400, JSON.stringify(bad));
    t.regex((r.json as { detail: string }).detail, why);
  }
  await http(api, 'PUT', '/api/v1/services/fw/autoscale', { enabled: true, minInstances: 2, maxInstances: 6 });
  // a firewall's rules (config): defaults filled in, checked, kept by a PUT that leaves config out
  const fwc = await http(api, 'POST', '/api/v1/services', { name: 'acl', kind: 'native', image: 'firewall', config: { firewall: { rules: [{ action: 'drop', ipProto: 17, tpDst: 53 }, { action: 'allow', ipSrc: '10.0.0.0/8' }], offload: true } } });
  t.is(fwc.status, 201, fwc.text);
  t.deepEqual((fwc.json as { config: unknown }).config, { firewall: { rules: [{ action: 'drop', ipProto: 17, tpDst: 53 }, { action: 'allow', ipSrc: '10.0.0.0/8' }], defaultAction: 'allow', stateless: true, offload: true } });
  t.like((await http(api, 'PUT', '/api/v1/services/acl', { name: 'acl', kind: 'native', image: 'firewall2' })).json, { image: 'firewall2', config: { firewall: { offload: true } } });
  for (const [rule, why] of [
    [{ action: 'drop', tpDst: 53 }, /L4 ports .* need ipProto 6 \(TCP\) or 17/],
    [{ action: 'drop', ipSrc: '10.0.0.300/8' }, /ipSrc/],
    [{ action: 'reject' }, /action/],
  ] as const) {
    const r = await http(api, 'PUT', '/api/v1/services/acl', { name: 'acl', kind: 'native', config: { firewall: { rules: [rule] } } });
    t.is(r.status, 400, JSON.stringify(rule));
    t.regex((r.json as { detail: string }).detail, why);
  }
  const notNative = await http(api, 'PUT', '/api/v1/services/acl', { name: 'acl', kind: 'process', image: '/usr/bin/true' });
  t.is(notNative.status, 400, 'the kept firewall rules cannot go to a process service');
  t.regex((notNative.json as { detail: string }).detail, /only a native service .* kind process/);
  t.is((await http(api, 'POST', '/api/v1/services', { name: 'tsfw', kind: 'typescript', config: { firewall: { rules: [] } } })).status, 400);
  await http(api, 'POST', '/api/v1/services', { name: 'x', kind: 'native', autoscale: { outPps: 1 } }).then((r) => t.is(r.status, 400, 'autoscale is read-only on a service'));
  await call('delete /api/v1/services/{name}', 'DELETE', '/api/v1/services/acl', undefined, 204);
  t.is(((await call('get /api/v1/services/{name}/instances', 'GET', '/api/v1/services/fw/instances')).json as unknown[]).length, 1);
  const chain = { name: 'web', tenant: 'acme', match: { ipDst: '10.0.0.0/24', ipProto: 6, tpDst: 80 }, services: ['fw', 'nat'], priority: 100 };
  await call('post /api/v1/chains', 'POST', '/api/v1/chains', chain, 201);
  await http(api, 'POST', '/api/v1/chains', { ...chain, name: 'bad', services: ['nope'] }).then((r) => t.is(r.status, 422, r.text));
  await http(api, 'POST', '/api/v1/chains', { ...chain, name: 'bad2', match: { ipDst: '10.0.0.300' } }).then((r) => t.is(r.status, 400, r.text));
  t.is(((await call('get /api/v1/chains', 'GET', '/api/v1/chains')).json as unknown[]).length, 1);
  t.like((await call('get /api/v1/chains/{name}', 'GET', '/api/v1/chains/web')).json, { services: ['fw', 'nat'] });
  await call('put /api/v1/chains/{name}', 'PUT', '/api/v1/chains/web', { ...chain, services: ['fw'] });
  await http(api, 'DELETE', '/api/v1/services/fw').then((r) => t.is(r.status, 409, 'in use by a chain'));
  t.deepEqual((await call('get /api/v1/hosts', 'GET', '/api/v1/hosts')).json, cluster.hosts);
  t.like((await call('get /api/v1/hosts/{id}', 'GET', '/api/v1/hosts/h1')).json, { tunnelIp: '10.0.0.1' });
  await http(api, 'GET', '/api/v1/hosts/h9').then((r) => t.is(r.status, 404));
  t.is(((await call('get /api/v1/instances', 'GET', '/api/v1/instances?service=fw&host=h1')).json as unknown[]).length, 1);
  t.is(((await call('get /api/v1/stats/instances', 'GET', '/api/v1/stats/instances?host=h1')).json as unknown[]).length, 1);
  t.deepEqual((await call('get /api/v1/stats/hosts', 'GET', '/api/v1/stats/hosts')).json, [{ host: 'h1', instances: 1, pps: 1000, rxPkts: 10000, txPkts: 9995, dropPkts: 5 }]);
  t.like((await call('get /api/v1/stats/hosts/{host}', 'GET', '/api/v1/stats/hosts/h1')).json, { totals: { pps: 1000 } });
  const sws = (await call('get /api/v1/switches', 'GET', '/api/v1/switches')).json as Array<{ dpid: string; ports: unknown[] }>;
  t.is(sws[0].dpid, '0x0000000000000001');
  t.is(sws[0].ports.length, 3);
  t.like((await call('get /api/v1/switches/{dpid}', 'GET', '/api/v1/switches/0x1')).json, { dpidDecimal: '1', role: 'EQUAL' });
  t.like((await call('get /api/v1/switches/{dpid}/pipeline', 'GET', '/api/v1/switches/1/pipeline')).json, { dpid: '0x0000000000000001', flows: [{ priority: 10 }], offloads: [{ chain: 'web', offloaded: false, reason: 'stateful firewall' }] });
  await http(api, 'GET', '/api/v1/switches/2').then((r) => t.is(r.status, 404));
  await call('delete /api/v1/chains/{name}', 'DELETE', '/api/v1/chains/web', undefined, 204);
  await call('delete /api/v1/services/{name}', 'DELETE', '/api/v1/services/nat', undefined, 204);
  await call('delete /api/v1/tenants/{name}', 'DELETE', '/api/v1/tenants/acme', undefined, 204);
  t.is(cluster.tenants.size, 0);
});

test.serial('/stats: every Ryu endpoint answers per the contract', async (t) => {
  const d = (r: HttpResult): unknown => (r.json as Record<string, unknown>)['1'];
  t.deepEqual((await call('get /stats/switches', 'GET', '/stats/switches')).json, [1]);
  t.like(d(await call('get /stats/desc/{dpid}', 'GET', '/stats/desc/1')), { dp_desc: 'dp' });
  for (const p of ['flow', 'flowdesc', 'aggregateflow']) {
    t.true(Array.isArray(d(await call(`get /stats/${p}/{dpid}`, 'GET', `/stats/${p}/1`))));
    t.true(Array.isArray(d(await call(`post /stats/${p}/{dpid}`, 'POST', `/stats/${p}/0x1`, { table_id: 0, match: { dl_type: 2054 } }))));
  }
  const simple = ['table', 'tablefeatures', 'port', 'queue', 'queueconfig', 'meterfeatures', 'meterconfig', 'meter', 'groupfeatures', 'groupdesc', 'group', 'portdesc', 'role'];
  for (const p of simple) t.true(Array.isArray(d(await call(`get /stats/${p}/{dpid}`, 'GET', `/stats/${p}/1`))), p);
  await call('get /stats/port/{dpid}/{port}', 'GET', '/stats/port/1/7');
  await call('get /stats/queue/{dpid}/{port}', 'GET', '/stats/queue/1/ALL');
  await call('get /stats/queue/{dpid}/{port}/{queue_id}', 'GET', '/stats/queue/1/7/1');
  await call('get /stats/queueconfig/{dpid}/{port}', 'GET', '/stats/queueconfig/1/7');
  await call('get /stats/meterconfig/{dpid}/{meter_id}', 'GET', '/stats/meterconfig/1/ALL');
  await call('get /stats/meter/{dpid}/{meter_id}', 'GET', '/stats/meter/1/1');
  await call('get /stats/groupdesc/{dpid}/{group_id}', 'GET', '/stats/groupdesc/1/1');
  await call('get /stats/group/{dpid}/{group_id}', 'GET', '/stats/group/1/1');
  await call('get /stats/portdesc/{dpid}/{port_no}', 'GET', '/stats/portdesc/1/1');
  const role = await call('get /stats/role/{dpid}', 'GET', '/stats/role/1');
  t.deepEqual(parseLiteral(role.text), { 1: [{ generation_id: 17294086455919964160n, role: 'SLAVE' }] }, 'exact 64-bit generation id');
  for (const [op, path] of [['get /stats/queuedesc/{dpid}', '/stats/queuedesc/1'], ['get /stats/queuedesc/{dpid}/{port}', '/stats/queuedesc/1/1'],
    ['get /stats/queuedesc/{dpid}/{port}/{queue}', '/stats/queuedesc/1/1/1'], ['get /stats/meterdesc/{dpid}', '/stats/meterdesc/1'],
    ['get /stats/meterdesc/{dpid}/{meter_id}', '/stats/meterdesc/1/1']]) {
    const r = await call(op, 'GET', path, undefined, 501);
    t.is(r.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  }
  const n0 = sw.sent.length;
  await call('post /stats/flowentry/{cmd}', 'POST', '/stats/flowentry/add', { dpid: 1, match: { in_port: 1 }, actions: [{ type: 'OUTPUT', port: 2 }] });
  await call('delete /stats/flowentry/clear/{dpid}', 'DELETE', '/stats/flowentry/clear/1');
  await call('post /stats/meterentry/{cmd}', 'POST', '/stats/meterentry/add', { dpid: 1, meter_id: 1, flags: ['KBPS'], bands: [{ type: 'DROP', rate: 100 }] });
  await call('post /stats/groupentry/{cmd}', 'POST', '/stats/groupentry/add', { dpid: 1, group_id: 1, type: 'ALL', buckets: [{ actions: [{ type: 'OUTPUT', port: 1 }] }] });
  await call('post /stats/portdesc/{dpid}', 'POST', '/stats/portdesc/modify', { dpid: 1, port_no: 1, config: 1, mask: 1 });
  await call('post /stats/experimenter/{dpid}', 'POST', '/stats/experimenter/1', { experimenter: 0x2320, exp_type: 1, data: 'hi' });
  t.is(sw.sent.length - n0, 6);
  t.like(sw.sent[n0 + 1], { kind: 'OFPFlowMod', command: 3, table_id: 0xff });
  t.like(sw.sent[n0 + 4], { kind: 'OFPPortMod', port_no: 1, hw_addr: '02:00:00:00:00:01', advertise: 0x802, config: 1, mask: 1 });
  await call('post /stats/role', 'POST', '/stats/role', { dpid: 1, role: 'SLAVE' });
  t.deepEqual(sw.roles, [3]);
});

test.serial('Ryu status codes: 400 bad dpid / body, 404 unknown dpid / command / port', async (t) => {
  const st = async (m: string, p: string, b?: unknown, raw?: string) => (await http(api, m, p, b, raw !== undefined ? { raw } : {})).status;
  t.is(await st('GET', '/stats/desc/notadpid'), 400);
  t.is(await st('GET', '/stats/desc/99'), 404);
  t.is(await st('GET', '/stats/desc/0x1'), 200);
  t.is(await st('POST', '/stats/flowentry/add', undefined, '{"dpid": 1, "match": {'), 400);
  t.is(await st('POST', '/stats/flowentry/add', { match: {} }), 400, 'no dpid');
  t.is(await st('POST', '/stats/flowentry/add', { dpid: 99 }), 404);
  t.is(await st('POST', '/stats/flowentry/explode', { dpid: 1 }), 404);
  t.is(await st('POST', '/stats/meterentry/explode', { dpid: 1 }), 404);
  t.is(await st('POST', '/stats/groupentry/explode', { dpid: 1 }), 404);
  t.is(await st('POST', '/stats/portdesc/modify', { dpid: 1, port_no: 42 }), 404);
  t.is(await st('POST', '/stats/portdesc/other', { dpid: 1, port_no: 1 }), 404);
  t.is(await st('POST', '/stats/flowentry/add', { dpid: 1, match: { tp_dst: 80 } }), 400, 'tp_dst without nw_proto');
  t.is(await st('POST', '/stats/flowentry/add', { dpid: 1, match: { bogus_field: 1 } }), 400);
  t.is(await st('POST', '/stats/flowentry/add', { dpid: 1, actions: [{ type: 'TELEPORT' }] }), 400);
  t.is(await st('POST', '/stats/flowentry/add', { dpid: 1, priority: 70000 }), 400);
  // Python-literal bodies (ast.literal_eval in Ryu) and legacy names are accepted
  t.is(await st('POST', '/stats/flowentry/add', undefined, "{'dpid': 1, 'priority': '0x10', 'match': {'dl_type': 2048, 'nw_src': '10.0.0.0/8', 'nw_proto': 17, 'tp_src': 53}, 'actions': [{'type': 'OUTPUT', 'port': 'NORMAL'}],}"), 200);
  t.like(sw.sent.at(-1), {
    kind: 'OFPFlowMod', priority: 16,
    match: { oxm_fields: [{ field: 'eth_type', value: 2048 }, { field: 'ip_proto', value: 17 }, { field: 'ipv4_src', value: '10.0.0.0', mask: '255.0.0.0' }, { field: 'udp_src', value: 53 }] },
  });
});

test.serial('auth: every mutating operation needs the bearer token (401 without, 403 wrong); reads do not', async (t) => {
  const secured = Object.entries(spec.paths).flatMap(([p, item]) => METHODS.filter((m) => item[m]?.security).map((m) => [m, p] as const));
  t.is(secured.length, 18);
  for (const [m, p] of secured) {
    const path = p.replace(/\{[^}]+\}/g, (x) => (x === '{cmd}' ? 'add' : x === '{dpid}' ? (p.startsWith('/stats/portdesc') ? 'modify' : '1') : 'x'));
    const none = await http(api, m.toUpperCase(), path, { dpid: 1 }, { token: null });
    t.is(none.status, 401, `${m} ${p} without token: ${none.text}`);
    t.regex(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    t.is(none.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    const wrong = await http(api, m.toUpperCase(), path, { dpid: 1 }, { token: 'nope' });
    t.is(wrong.status, 403, `${m} ${p} with a wrong token: ${wrong.text}`);
    const basic = await fetch(api.url + path, { method: m.toUpperCase(), headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    t.is(basic.status, 401, `${m} ${p} with Basic`);
  }
  t.is((await http(api, 'GET', '/stats/flow/1', undefined, { token: null })).status, 200, 'reads need no token');
  t.is((await http(api, 'POST', '/stats/flow/1', { table_id: 0 }, { token: null })).status, 200, 'the flow filter POST is a read');
  t.is((await http(api, 'POST', '/stats/flowentry/add', { dpid: 1 }, { token: TOKEN })).status, 200);
});

test.serial('a server without a token refuses every mutation (403); RACKVISOR_API_TOKEN is picked up', async (t) => {
  const noTok = await start({ switches: sw, token: '' });
  try {
    const r = await http(noTok, 'POST', '/stats/flowentry/add', { dpid: 1 }, { token: 'anything' });
    t.is(r.status, 403);
    t.regex((r.json as { detail: string }).detail, /no API token is configured/);
    const e = await http(noTok, 'POST', '/stats/flowentry/add', { dpid: 1 }, { token: '' });
    t.is(e.status, 401, 'an empty bearer is no token');
  } finally {
    await noTok.close();
  }
  process.env.RACKVISOR_API_TOKEN = 'from-env-123';
  const envApi = await startApi({ port: 0, switches: sw, defaultMetrics: false, log: () => undefined });
  delete process.env.RACKVISOR_API_TOKEN;
  try {
    t.is(envApi.token, 'from-env-123');
    t.is((await http(envApi, 'POST', '/stats/flowentry/add', { dpid: 1 }, { token: 'from-env-123' })).status, 200);
    t.is((await http(envApi, 'POST', '/stats/flowentry/add', { dpid: 1 }, { token: TOKEN })).status, 403);
  } finally {
    await envApi.close();
  }
  const gen = await startApi({ port: 0, switches: sw, defaultMetrics: false, log: () => undefined });
  try {
    t.true(gen.tokenGenerated);
    t.true(gen.token.length >= 24);
  } finally {
    await gen.close();
  }
});

test.serial('errors are problem+json with a clear detail and no stack trace; 404/405; body limits give 413', async (t) => {
  const r = await http(api, 'POST', '/api/v1/tenants', { name: 'bad name!', extra: 1 });
  t.is(r.status, 400);
  const p = r.json as { type: string; title: string; status: number; detail: string };
  t.is(p.status, 400);
  t.truthy(p.type && p.title);
  t.regex(p.detail, /name|extra/);
  t.notRegex(r.text, /\n\s+at .*\(|node_modules|\.ts:\d+/);
  t.is((await http(api, 'GET', '/nowhere')).status, 404);
  t.is((await http(api, 'PATCH', '/api/v1/tenants')).status, 405);
  const big = 'x'.repeat(1024 * 1024 + 10);
  const b1 = await http(api, 'POST', '/api/v1/tenants', undefined, { raw: JSON.stringify({ name: 'a', description: big }) });
  t.is(b1.status, 413, b1.text.slice(0, 200));
  t.is(b1.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  const b2 = await http(api, 'POST', '/stats/flowentry/add', undefined, { raw: `{"dpid": 1, "x": "${big}"}` });
  t.is(b2.status, 413);
  const bad = await http(api, 'POST', '/api/v1/tenants', undefined, { raw: '{"name": ' });
  t.is(bad.status, 400);
  t.notRegex(bad.text, /\n\s+at /);
});

test.serial('/docs renders the spec: the HTML, its JS and CSS assets; /openapi.yaml is the contract', async (t) => {
  const redirect = await fetch(api.url + '/docs', { redirect: 'manual' });
  t.true([200, 301, 302].includes(redirect.status));
  const html = await (await fetch(api.url + '/docs/')).text();
  t.regex(html, /swagger-ui/);
  const assets = [...html.matchAll(/(?:src|href)="\.\/([^"]+)"/g)].map((m) => m[1]);
  t.true(assets.includes('swagger-ui-bundle.js'), assets.join(','));
  t.true(assets.includes('swagger-ui-init.js'), assets.join(','));
  for (const a of assets) {
    const r = await fetch(`${api.url}/docs/${a}`);
    t.is(r.status, 200, a);
    const body = await r.text();
    t.true(body.length > 100, a);
    if (a.endsWith('.js')) t.regex(r.headers.get('content-type') ?? '', /javascript/, a);
    if (a === 'swagger-ui-init.js') t.regex(body, /openapi\.yaml|rackvisor northbound API/);
  }
  const y = await fetch(api.url + '/openapi.yaml');
  t.is(y.status, 200);
  t.is(await y.text(), readFileSync(findSpec(), 'utf8'));
});

test.serial('/metrics: OpenFlow messages by type, sessions, NF rates, API latency by route', async (t) => {
  await http(api, 'GET', '/stats/desc/1');
  const m = await (await fetch(api.url + '/metrics')).text();
  t.regex(m, /rackvisor_openflow_messages_total\{direction="in",type="OFPT_PACKET_IN"\} 5/);
  t.regex(m, /rackvisor_openflow_messages_total\{direction="out",type="OFPT_FLOW_MOD"\} 7/);
  t.regex(m, /rackvisor_openflow_sessions 1/);
  t.regex(m, /rackvisor_nf_packets_per_second\{host="h1",instance="fw:0",service="fw"\} 1000/);
  t.regex(m, /rackvisor_nf_packets\{host="h1",instance="fw:0",service="fw",direction="drop"\} 5/);
  t.regex(m, /rackvisor_api_request_duration_seconds_count\{method="GET",route="\/stats\/desc\/\{dpid\}",status="200"\} \d+/);
});

test.serial('coverage: every operation of openapi.yaml was called by this contract test', (t) => {
  const missing = OPS.filter((o) => !covered.has(o));
  t.deepEqual(missing, []);
});
