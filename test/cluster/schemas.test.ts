// Unit tests: record schemas, versions, layout keys, digest ids (no server needed).
import test from 'ava';
import { createHash } from 'node:crypto';
import { decode, encode, validate, SCHEMAS } from '../../cluster/schemas.js';
import { SchemaError } from '../../cluster/errors.js';
import { Layout, defaultRoot, instanceKey, parseInstanceKey, statsKey } from '../../cluster/layout.js';
import { digestId, digestAcl } from '../../cluster/store.js';
import { hostRec } from './helpers.js';

test('a valid host record round-trips; unknown fields and bad MAC/IP are rejected', (t) => {
  const h = { v: 1, ...hostRec('h1', 3) };
  t.deepEqual(decode('host', encode('host', h)), h);
  t.throws(() => validate('host', { ...h, extra: 1 }), { instanceOf: SchemaError });
  t.throws(() => validate('host', { ...h, mac: '02:00:00:00:00' }), { instanceOf: SchemaError, message: /mac/ });
  t.throws(() => validate('host', { ...h, tunnelIp: '10.0.0.256' }), { instanceOf: SchemaError });
  t.throws(() => validate('host', { ...h, switch: { dpid: 'xyz', port: 1 } }), { instanceOf: SchemaError });
});

test('records of a newer format version are refused, not misread', (t) => {
  const h = { ...hostRec('h1'), v: 2 };
  const err = t.throws(() => validate('host', h), { instanceOf: SchemaError });
  t.regex(err.message, /newer/);
});

test('decode rejects non-JSON and wrong shapes with the path in the message', (t) => {
  t.throws(() => decode('service', Buffer.from('{not json'), '/x/services/a'), { instanceOf: SchemaError, message: /\/x\/services\/a.*not JSON/ });
  t.throws(() => decode('service', Buffer.from(JSON.stringify({ v: 1, name: 'fw', id: 0, kind: 'native', limits: { minInstances: 0, maxInstances: 1 } }))),
    { instanceOf: SchemaError, message: /id/ });
  t.throws(() => decode('stats', Buffer.from(JSON.stringify({ v: 1, host: 'h', instance: 'fw:0', t: 1, seq: 0, rxPkts: 0, txPkts: 0, dropPkts: 0,
    rxBytes: 0, txBytes: 0, pps: 0, ringFill: 1.5 }))), { instanceOf: SchemaError, message: /ringFill/ });
});

test('policy, assignment, vni and candidate schemas accept good documents and refuse bad ones', (t) => {
  t.notThrows(() => validate('chains', { v: 1, chains: [{ id: 'c1', tenant: 't1', services: ['fw', 'nat'], match: { ipDst: '10.0.0.0/8', tpDst: 80 } }] }));
  t.throws(() => validate('chains', { v: 1, chains: [{ id: 'c1', tenant: 't1', services: [], match: {} }] }), { instanceOf: SchemaError });
  t.throws(() => validate('chains', { v: 1, chains: [{ id: 'c1', tenant: 't1', services: ['fw'], match: { tpDst: 70000 } }] }), { instanceOf: SchemaError });
  t.notThrows(() => validate('tenants', { v: 1, tenants: [{ id: 't1', name: 'Tenant one', vlan: 10, ports: [1, 2] }] }));
  t.notThrows(() => validate('assignment', { v: 1, host: 'h1', instances: [{ service: 'fw', index: 0, config: { rules: 'x', n: 2, on: true } }] }));
  t.throws(() => validate('assignment', { v: 1, host: 'h1', instances: [{ service: 'fw', index: -1 }] }), { instanceOf: SchemaError });
  t.throws(() => validate('assignment', { v: 1, host: 'h1', instances: [{ service: 'fw', index: 0, config: { o: { nested: 1 } } }] }), { instanceOf: SchemaError });
  t.throws(() => validate('vni', { v: 1, pathId: 0, tenant: 't', chain: 'c' }), { instanceOf: SchemaError });
  t.notThrows(() => validate('candidate', { v: 1, controllerId: 'c1', startedAt: 1 }));
  t.is(Object.keys(SCHEMAS).length, 9);
});

test('layout: paths under the configurable root, instance and stats keys', (t) => {
  const L = new Layout(defaultRoot('lab1'));
  t.is(L.root, '/rackvisor/lab1');
  t.is(L.host('h1'), '/rackvisor/lab1/hosts/h1');
  t.is(L.instance('fw', 'h1', 3), '/rackvisor/lab1/services/fw/instances/h1:3');
  t.is(L.stats('h1', statsKey('fw', 3)), '/rackvisor/lab1/stats/h1/fw:3');
  t.is(L.electionDir, '/rackvisor/lab1/controller/election');
  t.deepEqual(parseInstanceKey(instanceKey('host-a', 12)), { host: 'host-a', index: 12 });
  t.is(parseInstanceKey('nocolon'), null);
  t.is(parseInstanceKey('h:x'), null);
  t.throws(() => L.host('../etc'));
  t.throws(() => new Layout('relative/root'));
});

test('digest ids match ZooKeeper\'s DigestAuthenticationProvider (base64 sha1 of user:password)', (t) => {
  const expected = `alice:${createHash('sha1').update('alice:secret').digest('base64')}`;
  t.is(digestId('alice', 'secret'), expected);
  // Known value computed by ZooKeeper's DigestAuthenticationProvider.generateDigest("super:admin")
  t.is(digestId('super', 'admin'), 'super:xQJmxLMiHGwaqBvst5y6rkB6HQs=');
  const acl = digestAcl('alice', 'secret');
  t.deepEqual(acl.map((a) => a.scheme), ['digest', 'world']);
  t.is(acl[1]?.perms, 1);
});
