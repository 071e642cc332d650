// Client commands over the northbound REST API: `rackvisor tenants|services|chains|hosts|scale|switches`.
// Readable tables by default, --json for scripts. --api URL (env RACKVISOR_API, default http://127.0.0.1:8080),
// --token T (env RACKVISOR_API_TOKEN) for the mutating calls. API errors (problem+json) are shown with
// their status and detail, and the command fails.
import type { Command } from 'commander';
import { firewallRuleLine } from '../../host/firewall-rules.js';
import type { FirewallRuleRecord } from '../../cluster/schemas.js';

export interface ClientIo {
  out(text: string): void;
}

interface GlobalOpts {
  api?: string;
  token?: string;
  json?: boolean;
}

type Row = Record<string, unknown>;

export class ApiClientError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiClientError';
  }
}

function cell(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (Array.isArray(v)) return v.map(cell).join(',');
  if (typeof v === 'object') return Object.entries(v as Row).map(([k, x]) => `${k}=${cell(x)}`).join(' ');
  return String(v);
}

/** A plain text table: header, separator, rows; columns sized to their content. */
export function table(rows: Row[], columns: Array<[string, string] | string>): string {
  const cols = columns.map((c) => (Array.isArray(c) ? c : [c, c])) as Array<[string, string]>;
  if (rows.length === 0) return '(none)';
  const data = rows.map((r) => cols.map(([k]) => cell(k.split('.').reduce<unknown>((o, p) => (o && typeof o === 'object' ? (o as Row)[p] : undefined), r))));
  const widths = cols.map(([, h], i) => Math.min(60, Math.max(h.length, ...data.map((d) => d[i].length))));
  const fmt = (cells: string[]): string => cells.map((c, i) => (c.length > widths[i] ? c.slice(0, widths[i] - 1) + '…' : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(cols.map(([, h]) => h.toUpperCase())), fmt(widths.map((w) => '-'.repeat(w))), ...data.map(fmt)].join('\n');
}

function globals(cmd: Command): GlobalOpts {
  return cmd.optsWithGlobals() as GlobalOpts;
}

async function call(cmd: Command, method: string, path: string, body?: unknown): Promise<unknown> {
  const o = globals(cmd);
  const base = (o.api ?? process.env.RACKVISOR_API ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const token = o.token ?? process.env.RACKVISOR_API_TOKEN;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiClientError(0, `cannot reach the API at ${base} (${e instanceof Error ? e.message : String(e)}); start it with \`rackvisor controller --api-port PORT\` or pass --api URL`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  if (!res.ok) {
    const p = json as { title?: string; detail?: string } | undefined;
    const hint = res.status === 401 ? ' (pass --token or set RACKVISOR_API_TOKEN)' : '';
    throw new ApiClientError(res.status, `${method} ${path}: ${res.status} ${p?.title ?? res.statusText}: ${p?.detail ?? text}${hint}`);
  }
  return json;
}

function print(cmd: Command, io: ClientIo, data: unknown, render: () => string): void {
  if (globals(cmd).json) io.out(JSON.stringify(data ?? null, null, 2));
  else io.out(render());
}

const intArg = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: ${v} is not a non-negative integer`);
  return n;
};
const listArg = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

function addGlobals(c: Command): Command {
  return c
    .option('--api <url>', 'northbound API base URL (env RACKVISOR_API, default http://127.0.0.1:8080)')
    .option('--token <token>', 'bearer token for changes (env RACKVISOR_API_TOKEN)')
    .option('--json', 'print the API JSON instead of a table');
}

function kv(pairs: string[] | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const p of pairs ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) throw new Error(`--match ${p}: expected key=value (inPort, vlan, ipSrc, ipDst, ipProto, tpSrc, tpDst)`);
    const k = p.slice(0, i);
    const v = p.slice(i + 1);
    out[k] = /^\d+$/.test(v) ? Number(v) : v;
  }
  return out;
}

const PROTOS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17 };

/** A firewall rule in the native firewall's words: `drop proto udp dport 53`, `allow src 10.0.0.0/8 proto tcp`. */
export function parseRule(text: string): Row {
  const w = text.trim().split(/\s+/);
  const action = w.shift();
  if (action !== 'allow' && action !== 'drop') throw new Error(`--rule "${text}": starts with allow or drop`);
  const r: Row = { action };
  const keys: Record<string, string> = { proto: 'ipProto', src: 'ipSrc', dst: 'ipDst', sport: 'tpSrc', dport: 'tpDst' };
  while (w.length) {
    const k = w.shift()!;
    const v = w.shift();
    if (!keys[k] || v === undefined) throw new Error(`--rule "${text}": expected pairs of proto|src|dst|sport|dport and a value`);
    if (k === 'proto') r.ipProto = PROTOS[v] ?? intArg('proto')(v);
    else if (k === 'sport' || k === 'dport') r[keys[k]] = intArg(k)(v);
    else r[keys[k]] = v;
  }
  return r;
}

/** A rule as the hosts write it into the firewall NF's rules file (the same renderer). */
const ruleText = (r: Row): string => firewallRuleLine(r as unknown as FirewallRuleRecord);

const numArg = (name: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`${name}: ${v} is not a non-negative number`);
  return n;
};

/** The autoscaler knobs: CLI flag → API field. */
const KNOBS: Array<[string, string, string, (v: string) => number]> = [
  ['--out-fill <f>', 'outFill', 'RX ring fill (0..1) that triggers a scale-out', numArg('--out-fill')],
  ['--in-fill <f>', 'inFill', 'RX ring fill (0..1) under which the service is idle', numArg('--in-fill')],
  ['--out-pps <n>', 'outPps', 'packets/s per instance that triggers a scale-out (pps target)', numArg('--out-pps')],
  ['--in-pps <n>', 'inPps', 'scale in only if the load fits in n-1 instances under this many pps each', numArg('--in-pps')],
  ['--sustain-ms <ms>', 'sustainMs', 'how long a condition must hold before acting', intArg('--sustain-ms')],
  ['--out-cooldown-ms <ms>', 'outCooldownMs', 'no scale-out within this long of the last one', intArg('--out-cooldown-ms')],
  ['--in-cooldown-ms <ms>', 'inCooldownMs', 'no scale-in within this long of any action', intArg('--in-cooldown-ms')],
  ['--step <n>', 'step', 'instances added/removed per action', intArg('--step')],
  ['--quiet-ms <ms>', 'quietMs', 'a draining instance stops once idle this long', intArg('--quiet-ms')],
  ['--drain-timeout-ms <ms>', 'drainTimeoutMs', '... or after this long anyway', intArg('--drain-timeout-ms')],
];

export function registerApiClient(program: Command, io: ClientIo = { out: (t) => console.log(t) }): void {
  // ------------------------------------------------------------------------------------ tenants
  const tenants = addGlobals(program.command('tenants').description('Tenants (desired state in ZooKeeper) over the REST API'));
  tenants.command('list').description('List tenants').action(async (_o, cmd: Command) => {
    const d = (await call(cmd, 'GET', '/api/v1/tenants')) as Row[];
    print(cmd, io, d, () => table(d, ['name', ['displayName', 'display name'], 'vlan', 'ports']));
  });
  tenants.command('get <name>').description('Show one tenant').action(async (name: string, _o, cmd: Command) => {
    const d = (await call(cmd, 'GET', `/api/v1/tenants/${encodeURIComponent(name)}`)) as Row;
    print(cmd, io, d, () => table([d], ['name', ['displayName', 'display name'], 'vlan', 'ports']));
  });
  tenants.command('create <name>').description('Create a tenant')
    .option('--display-name <text>', 'display name')
    .option('--vlan <vid>', 'tenant VLAN', intArg('--vlan'))
    .option('--ports <list>', 'edge ToR ports, comma separated', (v) => listArg(v).map(intArg('--ports')))
    .action(async (name: string, o: { displayName?: string; vlan?: number; ports?: number[] }, cmd: Command) => {
      const d = await call(cmd, 'POST', '/api/v1/tenants', { name, ...(o.displayName ? { displayName: o.displayName } : {}), ...(o.vlan !== undefined ? { vlan: o.vlan } : {}), ...(o.ports ? { ports: o.ports } : {}) });
      print(cmd, io, d, () => `tenant ${name} created`);
    });
  tenants.command('delete <name>').description('Delete a tenant (refused while chains use it)').action(async (name: string, _o, cmd: Command) => {
    await call(cmd, 'DELETE', `/api/v1/tenants/${encodeURIComponent(name)}`);
    print(cmd, io, { deleted: name }, () => `tenant ${name} deleted`);
  });

  // ------------------------------------------------------------------------------------ services
  const services = addGlobals(program.command('services').description('Services (NF kinds), their limits, autoscaling and instances'));
  const svcCols: Array<[string, string] | string> = ['name', 'id', 'kind', 'image', ['limits.minInstances', 'min'], ['limits.maxInstances', 'max'], ['desiredInstances', 'desired'], ['fw', 'firewall']];
  const svcRows = (d: Row[]): Row[] => d.map((x) => {
    const fw = (x.config as { firewall?: Row } | undefined)?.firewall;
    return fw ? { ...x, fw: `${(fw.rules as unknown[]).length} rules, default ${cell(fw.defaultAction)}${fw.stateless ? '' : ', stateful'}${fw.offload ? ', offload' : ''}` } : x;
  });
  services.command('list').description('List services').action(async (_o, cmd: Command) => {
    const d = (await call(cmd, 'GET', '/api/v1/services')) as Row[];
    print(cmd, io, d, () => table(svcRows(d), svcCols));
  });
  services.command('get <name>').description('Show one service').action(async (name: string, _o, cmd: Command) => {
    const d = (await call(cmd, 'GET', `/api/v1/services/${encodeURIComponent(name)}`)) as Row;
    print(cmd, io, d, () => table(svcRows([d]), svcCols));
  });
  services.command('create <name>').description('Create a service')
    .requiredOption('--kind <kind>', 'native | typescript | process')
    .option('--image <image>', 'native NF name, module path or executable')
    .option('--min <n>', 'minimum instances', intArg('--min'))
    .option('--max <n>', 'maximum instances', intArg('--max'))
    .action(async (name: string, o: { kind: string; image?: string; min?: number; max?: number }, cmd: Command) => {
      const body: Row = { name, kind: o.kind };
      if (o.image) body.image = o.image;
      if (o.min !== undefined || o.max !== undefined) body.limits = { minInstances: o.min ?? 1, maxInstances: o.max ?? Math.max(o.min ?? 1, 4) };
      const d = (await call(cmd, 'POST', '/api/v1/services', body)) as Row;
      print(cmd, io, d, () => `service ${name} created (id ${cell(d.id)})`);
    });
  services.command('delete <name>').description('Delete a service (refused while chains use it or instances run)').action(async (name: string, _o, cmd: Command) => {
    await call(cmd, 'DELETE', `/api/v1/services/${encodeURIComponent(name)}`);
    print(cmd, io, { deleted: name }, () => `service ${name} deleted`);
  });
  services.command('instances <name>').description('NF instances of a service').action(async (name: string, _o, cmd: Command) => {
    const d = (await call(cmd, 'GET', `/api/v1/services/${encodeURIComponent(name)}/instances`)) as Row[];
    print(cmd, io, d, () => table(d, ['id', 'host', 'index', 'state', 'pid']));
  });
  const autoscale = services.command('autoscale <name>')
    .description('Show, or change, the autoscale settings: --on/--off, --min/--max and the autoscaler knobs (unset ones keep their value; --reset drops every knob back to the controller default)')
    .option('--on', 'let the autoscaler decide')
    .option('--off', 'hold the current instance count')
    .option('--min <n>', 'minimum instances', intArg('--min'))
    .option('--max <n>', 'maximum instances', intArg('--max'))
    .option('--reset', 'forget the knobs set for this service (controller defaults apply)');
  for (const [flag, , help, parse] of KNOBS) autoscale.option(flag, help, parse);
  autoscale.action(async (name: string, o: Row & { on?: boolean; off?: boolean; min?: number; max?: number; reset?: boolean }, cmd: Command) => {
    const path = `/api/v1/services/${encodeURIComponent(name)}/autoscale`;
    let d = (await call(cmd, 'GET', path)) as Row;
    const set = KNOBS.filter(([, field]) => o[field] !== undefined);
    if (o.on || o.off || o.min !== undefined || o.max !== undefined || o.reset || set.length) {
      if (o.on && o.off) throw new Error('--on and --off exclude each other');
      const body: Row = { enabled: o.on ? true : o.off ? false : d.enabled, minInstances: o.min ?? d.minInstances, maxInstances: o.max ?? d.maxInstances };
      // PUT replaces: carry the knobs already stored unless --reset
      if (!o.reset) for (const [, field] of KNOBS) if (d[field] !== undefined) body[field] = d[field];
      for (const [, field] of set) body[field] = o[field];
      d = (await call(cmd, 'PUT', path, body)) as Row;
    }
    // the values the controller applies (effective), a * marks the ones set for this service
    const eff = (d.effective ?? {}) as Row;
    const row: Row = { enabled: d.enabled, min: d.minInstances, max: d.maxInstances, desired: d.desiredInstances };
    for (const [, field] of KNOBS) row[field] = d[field] !== undefined ? `${cell(d[field])}*` : eff[field];
    print(cmd, io, d, () => table([row], ['enabled', 'min', 'max', 'desired', ...KNOBS.map(([, field]) => field)]));
  });
  services.command('firewall <name>')
    .description('Show, or set, a firewall service\'s rules: --rule "drop proto udp dport 53" (repeat; first match wins), --default allow|drop, --offload (enforce on the switch where possible), --stateful (connection tracking: never offloaded)')
    .option('--rule <rule...>', 'allow|drop [proto tcp|udp|icmp|N] [src CIDR] [dst CIDR] [sport N] [dport N]')
    .option('--default <action>', 'action when no rule matches: allow (default) or drop')
    .option('--offload', 'ask the controller to enforce the rules on the ToR and skip the hop')
    .option('--no-offload', 'run the rules in the NF only')
    .option('--stateful', 'the NF tracks connections (not offloadable)')
    .option('--stateless', 'no connection tracking (default)')
    .action(async (name: string, o: { rule?: string[]; default?: string; offload?: boolean; stateful?: boolean; stateless?: boolean }, cmd: Command) => {
      const path = `/api/v1/services/${encodeURIComponent(name)}`;
      let d = (await call(cmd, 'GET', path)) as Row;
      const cur = ((d.config as { firewall?: Row } | undefined)?.firewall ?? { rules: [], defaultAction: 'allow', stateless: true, offload: false }) as Row;
      // --offload then --no-offload: commander leaves o.offload undefined unless one is given
      const offloadGiven = o.offload !== undefined;
      if (o.rule || o.default || offloadGiven || o.stateful || o.stateless) {
        if (o.stateful && o.stateless) throw new Error('--stateful and --stateless exclude each other');
        if (o.default && o.default !== 'allow' && o.default !== 'drop') throw new Error(`--default ${o.default}: allow or drop`);
        const fw: Row = {
          rules: o.rule ? o.rule.map(parseRule) : cur.rules,
          defaultAction: o.default ?? cur.defaultAction,
          stateless: o.stateful ? false : o.stateless ? true : cur.stateless,
          offload: offloadGiven ? o.offload : cur.offload,
        };
        const { id: _id, desiredInstances: _d, autoscale: _a, ...body } = d;
        d = (await call(cmd, 'PUT', path, { ...body, config: { ...(d.config as Row | undefined), firewall: fw } })) as Row;
      }
      const fw = (d.config as { firewall?: Row } | undefined)?.firewall;
      print(cmd, io, d, () => {
        if (!fw) return `service ${name} has no firewall configuration (set one with --rule)`;
        const rows = (fw.rules as Row[]).map((r, i) => ({ n: i + 1, rule: ruleText(r) }));
        return `firewall ${name}: default ${cell(fw.defaultAction)}, ${fw.stateless ? 'stateless' : 'stateful'}, offload ${fw.offload ? 'requested' : 'off'}\n` + table(rows, ['n', 'rule']);
      });
    });

  // ------------------------------------------------------------------------------------ scale
  addGlobals(program.command('scale <service> <instances>').description('Set the desired instance count of a service'))
    .action(async (service: string, n: string, _o, cmd: Command) => {
      const d = (await call(cmd, 'POST', `/api/v1/services/${encodeURIComponent(service)}/scale`, { instances: intArg('instances')(n) })) as Row;
      print(cmd, io, d, () => `service ${service}: desired instances ${cell(d.desiredInstances)} (placement will converge)`);
    });

  // ------------------------------------------------------------------------------------ chains
  const chains = addGlobals(program.command('chains').description('Service chains (tenant, match, ordered services)'));
  const chainCols: Array<[string, string] | string> = ['name', 'tenant', 'match', 'services', 'priority', ['pathId', 'path'], ['offloadedHops', 'offloaded']];
  chains.command('list').description('List chains').action(async (_o, cmd: Command) => {
    const d = (await call(cmd, 'GET', '/api/v1/chains')) as Row[];
    print(cmd, io, d, () => table(d, chainCols));
  });
  chains.command('get <name>').description('Show one chain').action(async (name: string, _o, cmd: Command) => {
    const d = (await call(cmd, 'GET', `/api/v1/chains/${encodeURIComponent(name)}`)) as Row;
    print(cmd, io, d, () => table([d], chainCols));
  });
  chains.command('create <name>').description('Create a chain, e.g. --tenant acme --services fw,nat --match ipDst=10.0.0.0/24 --match tpDst=80')
    .requiredOption('--tenant <name>', 'tenant')
    .requiredOption('--services <list>', 'ordered services, comma separated', listArg)
    .option('--match <key=value...>', 'match fields: inPort, vlan, ipSrc, ipDst, ipProto, tpSrc, tpDst')
    .option('--priority <n>', 'priority (higher wins)', intArg('--priority'))
    .action(async (name: string, o: { tenant: string; services: string[]; match?: string[]; priority?: number }, cmd: Command) => {
      const body: Row = { name, tenant: o.tenant, services: o.services, match: kv(o.match) };
      if (o.priority !== undefined) body.priority = o.priority;
      const d = await call(cmd, 'POST', '/api/v1/chains', body);
      print(cmd, io, d, () => `chain ${name} created`);
    });
  chains.command('delete <name>').description('Delete a chain').action(async (name: string, _o, cmd: Command) => {
    await call(cmd, 'DELETE', `/api/v1/chains/${encodeURIComponent(name)}`);
    print(cmd, io, { deleted: name }, () => `chain ${name} deleted`);
  });

  // ------------------------------------------------------------------------------------ hosts
  const hosts = addGlobals(program.command('hosts').description('Hosts (registered by their agents) and their NF stats'));
  hosts.command('list').description('List hosts').action(async (_o, cmd: Command) => {
    const d = (await call(cmd, 'GET', '/api/v1/hosts')) as Row[];
    print(cmd, io, d, () => table(d, ['id', 'mac', ['tunnelIp', 'tunnel ip'], ['switch.dpid', 'dpid'], ['switch.port', 'port'], 'cores', ['capacity.maxInstances', 'max nf']]));
  });
  hosts.command('get <id>').description('Show one host').action(async (id: string, _o, cmd: Command) => {
    const d = (await call(cmd, 'GET', `/api/v1/hosts/${encodeURIComponent(id)}`)) as Row;
    print(cmd, io, d, () => table([d], ['id', 'mac', ['tunnelIp', 'tunnel ip'], ['switch.dpid', 'dpid'], ['switch.port', 'port'], 'cores', ['capacity.maxInstances', 'max nf']]));
  });
  hosts.command('stats [id]').description('NF stats: per host totals, or the instances of one host').action(async (id: string | undefined, _o, cmd: Command) => {
    if (id) {
      const d = (await call(cmd, 'GET', `/api/v1/stats/hosts/${encodeURIComponent(id)}`)) as { instances: Row[] };
      print(cmd, io, d, () => table(d.instances, ['instance', 'service', 'pps', ['rxPkts', 'rx'], ['txPkts', 'tx'], ['dropPkts', 'drop'], ['ringFill', 'ring']]));
    } else {
      const d = (await call(cmd, 'GET', '/api/v1/stats/hosts')) as Row[];
      print(cmd, io, d, () => table(d, ['host', 'instances', 'pps', ['rxPkts', 'rx'], ['txPkts', 'tx'], ['dropPkts', 'drop']]));
    }
  });

  // ------------------------------------------------------------------------------------ switches
  const switches = addGlobals(program.command('switches').description('OpenFlow switches connected to the controller'));
  switches.command('list').description('List switches').action(async (_o, cmd: Command) => {
    const d = (await call(cmd, 'GET', '/api/v1/switches')) as Row[];
    print(cmd, io, d.map((s) => ({ ...s, nPorts: (s.ports as unknown[]).length })), () =>
      table(d.map((s) => ({ ...s, nPorts: (s.ports as unknown[]).length })), ['dpid', 'address', 'role', ['nPorts', 'ports'], ['nTables', 'tables'], ['connectedAt', 'since']]));
  });
  switches.command('ports <dpid>').description('Ports of a switch').action(async (dpid: string, _o, cmd: Command) => {
    const d = (await call(cmd, 'GET', `/api/v1/switches/${encodeURIComponent(dpid)}`)) as { ports: Row[] };
    print(cmd, io, d, () => table(d.ports, [['port_no', 'port'], 'name', ['hw_addr', 'mac'], 'state', ['curr_speed', 'speed kbps']]));
  });
  switches.command('flows <dpid>').description('Flow entries on the switch (Ryu /stats/flow)').action(async (dpid: string, _o, cmd: Command) => {
    const r = (await call(cmd, 'GET', `/stats/flow/${encodeURIComponent(dpid)}`)) as Record<string, Row[]>;
    const flows = Object.values(r)[0] ?? [];
    print(cmd, io, r, () => table(flows, [['table_id', 'table'], 'priority', 'cookie', 'match', 'actions', ['packet_count', 'packets'], ['byte_count', 'bytes']]));
  });
  switches.command('pipeline <dpid>').description('The compiled pipeline the controller wants on the switch').action(async (dpid: string, _o, cmd: Command) => {
    const d = (await call(cmd, 'GET', `/api/v1/switches/${encodeURIComponent(dpid)}/pipeline`)) as { flows: Row[]; offloads?: Row[]; problems?: string[] };
    print(cmd, io, d, () => {
      const out = [table(d.flows, [['table_id', 'table'], 'priority', 'cookie', 'match', 'actions', 'origin'])];
      if (d.offloads?.length) out.push('', 'firewall offload:', table(d.offloads, ['chain', 'service', 'offloaded', 'rules', 'reason']));
      if (d.problems?.length) out.push('', 'problems:', ...d.problems.map((p) => `  ${p}`));
      return out.join('\n');
    });
  });
}
