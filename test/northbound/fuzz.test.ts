// Fuzz: random path parameters, query strings, bodies (random JSON, mutated valid bodies, garbage text,
// Python literals, huge integers) and content types sent to every operation of openapi.yaml, with and
// without the token. The API must never answer 5xx (except the documented 501 of the OF1.4+ Ryu
// endpoints), every error must be application/problem+json without a stack trace, and responses are
// validated against the contract. Bounded: a fixed number of requests per operation and a time cap.
// The seed is printed; RV_FUZZ_SEED=<n> replays a run.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import YAML from 'yaml';
import { findSpec } from '../../northbound-api/app.js';
import { FakeScaling, FakeSwitch, MemoryCluster, switchInfo, start, TOKEN, vectorReplier } from './support.js';

const PER_OP = Number(process.env.RV_FUZZ_PER_OP ?? 40);
const TIME_CAP_MS = 90_000;
const seed = Number(process.env.RV_FUZZ_SEED ?? Date.now() % 2 ** 31);

function rng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(seed);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const int = (n: number): number => Math.floor(rand() * n);

const STRINGS = ['', '1', '0', '0x1', '-1', 'ALL', 'add', 'modify', 'delete', 'modify_strict', 'LOCAL', 'CONTROLLER', 'acme', 'fw',
  '99999999999999999999999', '18446744073709551616', '1e3', '0b101', '0o17', '1_000', ' 1 ', 'null', 'true', 'NaN', '../..', '%', '\u0000',
  '\u00e9t\u00e9', '💥', 'a'.repeat(300), '<script>', "'; DROP", '{"a":1}', '10.0.0.1/33', 'aa:bb:cc:dd:ee:ff/ff:ff:ff:00:00:00', '::1/129'];
const FIELDS = ['dpid', 'match', 'actions', 'priority', 'table_id', 'cookie', 'cookie_mask', 'idle_timeout', 'hard_timeout', 'flags', 'buffer_id',
  'out_port', 'out_group', 'in_port', 'dl_type', 'eth_type', 'nw_src', 'nw_dst', 'tp_dst', 'dl_vlan', 'vlan_vid', 'metadata', 'type', 'port',
  'port_no', 'group_id', 'meter_id', 'bands', 'buckets', 'rate', 'field', 'value', 'role', 'experimenter', 'data', 'data_type', 'name', 'tenant',
  'services', 'kind', 'limits', 'instances', 'enabled', 'minInstances', 'maxInstances', 'vlan', 'ports', 'description', '__proto__', 'constructor'];

function value(depth: number): unknown {
  const k = int(depth > 3 ? 6 : 9);
  switch (k) {
    case 0: return pick([0, 1, -1, 2 ** 31, 2 ** 32, 2 ** 53 + 1, 1.5, -0, 65535, 4294967295, 1e308]);
    case 1: return pick(STRINGS);
    case 2: return pick([true, false, null]);
    case 3: return int(70000);
    case 4: return pick(['OUTPUT', 'SET_FIELD', 'GOTO_TABLE', 'WRITE_ACTIONS', 'DROP', 'EXPERIMENTER', 'ALL', 'SELECT', 'KBPS', 'MASTER']);
    case 5: return String(int(1000));
    case 6: return Array.from({ length: int(4) }, () => value(depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < int(5); i++) o[pick(FIELDS)] = value(depth + 1);
      return o;
    }
  }
}

const VALID: Record<string, unknown> = {
  flow: { dpid: 1, priority: 10, match: { in_port: 1, dl_type: 2048, nw_dst: '10.0.0.0/8', nw_proto: 6, tp_dst: 80 }, actions: [{ type: 'OUTPUT', port: 2 }, { type: 'GOTO_TABLE', table_id: 1 }] },
  meter: { dpid: 1, meter_id: 1, flags: ['KBPS'], bands: [{ type: 'DROP', rate: 100 }] },
  group: { dpid: 1, group_id: 1, type: 'SELECT', buckets: [{ weight: 1, actions: [{ type: 'OUTPUT', port: 1 }] }] },
  tenant: { name: 'acme', vlan: 10, ports: [1] },
  service: { name: 'fw', kind: 'native', limits: { minInstances: 0, maxInstances: 4 }, config: { firewall: { rules: [{ action: 'drop', ipProto: 17, tpDst: 53 }], offload: true } } },
  chain: { name: 'c1', tenant: 'acme', match: { ipDst: '10.0.0.0/8' }, services: ['fw'] },
  scale: { instances: 2 },
  autoscale: { enabled: true, minInstances: 1, maxInstances: 3, outPps: 5000, inPps: 500, sustainMs: 500, outCooldownMs: 2000 },
};

function mutate(v: unknown): unknown {
  const c = structuredClone(v) as Record<string, unknown>;
  const keys = Object.keys(c);
  for (let i = 0; i <= int(3); i++) {
    const r = int(4);
    if (r === 0 && keys.length) delete c[pick(keys)];
    else if (r === 1 && keys.length) c[pick(keys)] = value(1);
    else if (r === 2) c[pick(FIELDS)] = value(1);
    else if (r === 3 && typeof c.match === 'object' && c.match) (c.match as Record<string, unknown>)[pick(FIELDS)] = value(2);
  }
  return c;
}

function body(): { raw?: string; ct?: string } {
  const r = int(10);
  const ct = pick(['application/json', 'application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/xml', undefined]);
  if (r === 0) return {};
  if (r === 1) return { raw: pick(['{', '}', '[1,2', 'null', '"str"', '{"a":}', "{'dpid': 1, 'match': {'dl_type': 0x800,}}", '{"dpid": 123456789012345678901234567890}', 'x'.repeat(int(2000)), '{"a":'.repeat(100)]), ct };
  if (r <= 4) return { raw: JSON.stringify(mutate(pick(Object.values(VALID)))), ct };
  if (r <= 6) return { raw: JSON.stringify(pick(Object.values(VALID))), ct };
  return { raw: JSON.stringify(value(0)) ?? 'null', ct };
}

const spec = YAML.parse(readFileSync(findSpec(), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
const OPS = Object.entries(spec.paths).flatMap(([p, item]) => ['get', 'post', 'put', 'delete'].filter((m) => m in item).map((m) => [m, p] as const));
interface Raw { status: number; contentType: string; text: string }

/** node:http, so that GET requests can carry a body (Ryu accepts `curl -X GET -d ...`). */
function raw(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers: body !== undefined ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const ALLOWED_501 = /^\/stats\/(queuedesc|meterdesc)\//;

test('fuzz: no 5xx, problem+json errors, no stack traces, on every operation', async (t) => {
  t.log(`seed ${seed} (RV_FUZZ_SEED=${seed} to replay), ${PER_OP} requests per operation, ${OPS.length} operations`);
  const sw = new FakeSwitch([switchInfo(1n, 2)], vectorReplier);
  const cluster = new MemoryCluster();
  const api = await start({ switches: sw, cluster, scaling: new FakeScaling(), pipeline: { compiled: () => [] } });
  const started = Date.now();
  let n = 0;
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  try {
    for (const [m, p] of OPS) {
      for (let i = 0; i < PER_OP && Date.now() - started < TIME_CAP_MS; i++) {
        const path = p.replace(/\{[^}]+\}/g, () => encodeURIComponent(rand() < 0.5 ? pick(['1', '0x1', 'acme', 'fw', 'add', 'modify', 'h1']) : pick(STRINGS)));
        const q = rand() < 0.2 ? `?${pick(['wait', 'service', 'host', 'x', 'instance'])}=${encodeURIComponent(JSON.stringify(value(3)) ?? "x")}` : '';
        const b = m === 'get' && rand() < 0.5 ? {} : body();
        const headers: Record<string, string> = {};
        if (rand() < 0.9) headers.authorization = `Bearer ${rand() < 0.95 ? TOKEN : pick(STRINGS.filter((x) => /^[\x20-\x7e]*$/.test(x)))}`;
        if (b.raw !== undefined && b.ct) headers['content-type'] = b.ct;
        let res: Raw;
        try {
          res = await raw(api.url + path + q, m.toUpperCase(), headers, b.raw);
        } catch (e) {
          failures.push(`${m} ${path}${q}: request failed ${String(e)}`);
          continue;
        }
        const text = res.text;
        n++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const is501ok = res.status === 501 && ALLOWED_501.test(path);
        if (res.status >= 500 && !is501ok) failures.push(`${m.toUpperCase()} ${path}${q} body=${(b.raw ?? '').slice(0, 200)} → ${res.status} ${text.slice(0, 300)}`);
        if (res.status >= 400 && !(res.contentType ?? '').startsWith('application/problem+json')) {
          failures.push(`${m.toUpperCase()} ${path}${q} → ${res.status} without problem+json: ${res.contentType}`);
        }
        if (/\n\s+at .+\(|node_modules\//.test(text)) failures.push(`${m.toUpperCase()} ${path}${q} → stack trace in the body`);
      }
    }
  } finally {
    await api.close();
  }
  t.log(`${n} requests in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  t.true(n >= OPS.length * Math.min(PER_OP, 10), 'enough requests ran');
  t.deepEqual(failures.slice(0, 20), []);
});
