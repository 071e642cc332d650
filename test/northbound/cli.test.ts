// The CLI client commands (cli/commands/api-client.ts) against a running API: tables, --json, errors
// with the API's detail, the token from --token or RACKVISOR_API_TOKEN.
import test from 'ava';
import { Command } from 'commander';
import { registerApiClient } from '../../cli/commands/api-client.js';
import type { RunningApi } from '../../northbound-api/server.js';
import { FakeScaling, FakeSwitch, MemoryCluster, statsRecord, switchInfo, start, vectorReplier, TOKEN } from './support.js';

let api: RunningApi;
let cluster: MemoryCluster;

test.before(async () => {
  cluster = new MemoryCluster();
  cluster.hosts = [{ id: 'h1', mac: '02:00:00:00:01:01', tunnelIp: '10.0.0.1', switch: { dpid: '0000000000000001', port: 1 }, cores: 2, capacity: { maxInstances: 4 }, startedAt: 1 }];
  cluster.stats = [statsRecord('h1', 'fw', 0, 1234)];
  api = await start({ switches: new FakeSwitch([switchInfo(1n)], vectorReplier), cluster, scaling: new FakeScaling(cluster) });
});
test.after.always(async () => {
  await api?.close();
});

async function run(...args: string[]): Promise<string> {
  const lines: string[] = [];
  const program = new Command('rackvisor').exitOverride();
  registerApiClient(program, { out: (t) => lines.push(t) });
  await program.parseAsync(['node', 'rackvisor', ...args]);
  return lines.join('\n');
}

test.serial('tenants, services, chains: create with the token, list as a table and as JSON', async (t) => {
  const g = ['--api', api.url, '--token', TOKEN];
  t.regex(await run('tenants', 'create', 'acme', '--vlan', '10', '--ports', '3,4', ...g), /tenant acme created/);
  t.regex(await run('services', 'create', 'fw', '--kind', 'native', '--min', '1', '--max', '3', ...g), /service fw created \(id 1\)/);
  t.regex(await run('chains', 'create', 'web', '--tenant', 'acme', '--services', 'fw', '--match', 'ipDst=10.0.0.0/24', '--match', 'tpDst=80', '--priority', '5', ...g), /chain web created/);
  const table = await run('chains', 'list', '--api', api.url);
  t.regex(table, /^NAME\s+TENANT\s+MATCH\s+SERVICES\s+PRIORITY\s+PATH/m);
  t.regex(table, /web\s+acme\s+ipDst=10\.0\.0\.0\/24 tpDst=80\s+fw\s+5/);
  const json = JSON.parse(await run('services', 'list', '--api', api.url, '--json')) as Array<{ name: string; limits: { maxInstances: number } }>;
  t.deepEqual(json.map((s) => [s.name, s.limits.maxInstances]), [['fw', 3]]);
  t.regex(await run('scale', 'fw', '2', ...g), /desired instances 2/);
  t.regex(await run('services', 'get', 'fw', '--api', api.url), /fw\s+1\s+native\s+-\s+1\s+3\s+2/);
  t.regex(await run('services', 'autoscale', 'fw', '--on', ...g), /^ENABLED/m);
});

test.serial('hosts, stats and switches', async (t) => {
  t.regex(await run('hosts', 'list', '--api', api.url), /h1\s+02:00:00:00:01:01\s+10\.0\.0\.1\s+0000000000000001\s+1\s+2\s+4/);
  t.regex(await run('hosts', 'stats', '--api', api.url), /h1\s+1\s+1234/);
  t.regex(await run('hosts', 'stats', 'h1', '--api', api.url), /fw:0\s+fw\s+1234/);
  t.regex(await run('switches', 'list', '--api', api.url), /0x0000000000000001\s+127\.0\.0\.1:40000\s+EQUAL\s+2/);
  t.regex(await run('switches', 'flows', '1', '--api', api.url), /OUTPUT:NORMAL/);
});

test.serial('errors carry the API status and detail; a missing token says how to pass it', async (t) => {
  const saved = process.env.RACKVISOR_API_TOKEN;
  delete process.env.RACKVISOR_API_TOKEN;
  try {
    const e = await t.throwsAsync(run('tenants', 'create', 'x', '--api', api.url));
    t.regex(e!.message, /401 Unauthorized: .*Bearer.*--token or set RACKVISOR_API_TOKEN/);
    process.env.RACKVISOR_API_TOKEN = TOKEN;
    t.regex(await run('tenants', 'create', 'y', '--api', api.url), /tenant y created/);
  } finally {
    if (saved === undefined) delete process.env.RACKVISOR_API_TOKEN;
    else process.env.RACKVISOR_API_TOKEN = saved;
  }
  const nf = await t.throwsAsync(run('services', 'get', 'nope', '--api', api.url));
  t.regex(nf!.message, /404 Not Found: service "nope" does not exist/);
  const down = await t.throwsAsync(run('hosts', 'list', '--api', 'http://127.0.0.1:9'));
  t.regex(down!.message, /cannot reach the API at http:\/\/127\.0\.0\.1:9/);
});

test.serial('services firewall: rules in the firewall NF\'s words, offload flag; autoscale knobs kept, set, reset', async (t) => {
  const g = ['--api', api.url, '--token', TOKEN];
  await run('services', 'create', 'acl', '--kind', 'native', '--image', 'firewall', ...g);
  t.regex(await run('services', 'firewall', 'acl', '--api', api.url), /has no firewall configuration/);
  const set = await run('services', 'firewall', 'acl', '--rule', 'drop proto udp dport 53', '--rule', 'allow proto tcp src 10.0.0.0/8 dport 22', '--default', 'drop', '--offload', ...g);
  t.regex(set, /^firewall acl: default drop, stateless, offload requested/m);
  t.regex(set, /1\s+drop proto udp dport 53/);
  t.regex(set, /2\s+allow proto tcp src 10\.0\.0\.0\/8 dport 22/);
  t.deepEqual(cluster.services.get('acl')?.config?.firewall, { rules: [{ action: 'drop', ipProto: 17, tpDst: 53 }, { action: 'allow', ipProto: 6, ipSrc: '10.0.0.0/8', tpDst: 22 }], defaultAction: 'drop', stateless: true, offload: true });
  // only what is given changes
  t.regex(await run('services', 'firewall', 'acl', '--no-offload', ...g), /default drop, stateless, offload off/);
  t.is(cluster.services.get('acl')?.config?.firewall?.rules.length, 2);
  t.regex(await run('services', 'list', '--api', api.url), /acl\s+2\s+native\s+firewall\s+1\s+4\s+-\s+2 rules, default drop/);
  const bad = await t.throwsAsync(run('services', 'firewall', 'acl', '--rule', 'drop dport 53', ...g));
  t.regex(bad!.message, /400 Bad Request: .*need ipProto 6 \(TCP\) or 17/);
  await t.throwsAsync(run('services', 'firewall', 'acl', '--rule', 'reject proto udp', ...g), { message: /starts with allow or drop/ });

  // autoscale knobs: set two, then one more (the first two kept), then --reset
  t.regex(await run('services', 'autoscale', 'acl', '--out-pps', '20000', '--sustain-ms', '500', ...g), /ENABLED.*OUTPPS.*SUSTAINMS/);
  t.like(cluster.services.get('acl')?.autoscale, { outPps: 20000, sustainMs: 500 });
  const more = await run('services', 'autoscale', 'acl', '--out-cooldown-ms', '4000', ...g);
  t.regex(more, /true\s+1\s+4\s+.*20000\*.*500\*\s+4000\*/);
  t.deepEqual(cluster.services.get('acl')?.autoscale, { outPps: 20000, sustainMs: 500, outCooldownMs: 4000 });
  const json = JSON.parse(await run('services', 'autoscale', 'acl', '--api', api.url, '--json')) as { effective: { outPps: number; inFill: number } };
  t.like(json.effective, { outPps: 20000, inFill: 0.05 });
  await run('services', 'autoscale', 'acl', '--reset', ...g);
  t.deepEqual(cluster.services.get('acl')?.autoscale, {});
});
