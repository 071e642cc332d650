// The demo, over the REST API only: tenant "demo" (ports c1, s1), services firewall / monitor / lb (load balancer),
// chain demo = firewall → monitor → lb for c1 → s1 traffic, spread over the hosts by the controller (hopAffinity
// spread, so it crosses hosts in VXLAN). Then bounded traffic: UDP c1 → s1 at a modest rate (every 10th datagram to
// port 9999, which the firewall drops) and a ping; a UDP sink on s1 counts what arrives. `lab run` shows live per-NF
// rates from /api/v1/stats/instances.
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../lib/daemon.js';
import { waitFor } from '../lib/exec.js';
import { isAlive } from '../lib/proc.js';
import { NF_BIN, projectRoot } from '../lab/config.js';
import { nodeByName } from '../lab/topology.js';
import type { ApiChain, ApiInstance, ApiInstanceStats, RestClient } from '../lab/rest.js';
import type { LabContext, LabStep, StatusLine } from '../lab/context.js';
import { restOf } from './controller.js';

export const DEMO_SERVICES = ['firewall', 'monitor', 'lb'] as const;
export const DEMO_PORT = 7000;
export const DROP_PORT = 9999;
const PY = '/usr/bin/python3';
export const UDP_TOOL = (): string => join(projectRoot(), 'labs', 'demo', 'udp.py');

/** NF images for services that need arguments: tiny wrapper scripts in the state dir (an NF "image" is an
 * executable; the agent appends `[EAL] -- --instance N`). */
export function writeNfImages(dir: string, s1Ip: string, dropPort = DROP_PORT): { firewall: string; lb: string; rules: string } {
  mkdirSync(dir, { recursive: true });
  const rules = join(dir, 'firewall.rules');
  writeFileSync(rules, `# demo firewall: everything passes except UDP to port ${dropPort}\ndefault allow\ndrop proto udp dport ${dropPort}\n`);
  const firewall = join(dir, 'firewall.sh');
  writeFileSync(firewall, `#!/bin/sh\nexec ${join(NF_BIN(), 'firewall')} "$@" --rules ${rules}\n`);
  const lb = join(dir, 'lb.sh');
  writeFileSync(lb, `#!/bin/sh\n# load balancer: VIP ${s1Ip} → backend ${s1Ip} (s1; add --backend IP for more)\nexec ${join(NF_BIN(), 'load_balancer')} "$@" --vip ${s1Ip} --backend ${s1Ip}\n`);
  chmodSync(firewall, 0o755);
  chmodSync(lb, 0o755);
  return { firewall, lb, rules };
}

/** Declares the demo policy over REST: tenant, the three services, the chain. Returns the chain as stored. */
export async function declareDemo(rest: RestClient, o: { c1Port: number; s1Port: number; s1Ip: string; images: { firewall: string; lb: string }; chain?: string; services?: readonly string[]; max?: number }): Promise<ApiChain> {
  const max = o.max ?? 4;
  await rest.upsert('/api/v1/tenants', 'demo', { name: 'demo', displayName: 'lab demo tenant', ports: [o.c1Port, o.s1Port] });
  await rest.upsert('/api/v1/services', 'firewall', { name: 'firewall', kind: 'process', image: o.images.firewall, limits: { minInstances: 1, maxInstances: max } });
  await rest.upsert('/api/v1/services', 'monitor', { name: 'monitor', kind: 'native', image: 'monitor', limits: { minInstances: 1, maxInstances: max } });
  await rest.upsert('/api/v1/services', 'lb', { name: 'lb', kind: 'process', image: o.images.lb, limits: { minInstances: 1, maxInstances: max } });
  const name = o.chain ?? 'demo';
  await rest.upsert('/api/v1/chains', name, { name, tenant: 'demo', services: [...(o.services ?? DEMO_SERVICES)], match: { inPort: o.c1Port, ipDst: o.s1Ip } });
  return rest.get<ApiChain>(`/api/v1/chains/${name}`);
}

export async function runningInstances(rest: RestClient): Promise<ApiInstance[]> {
  return (await rest.get<ApiInstance[]>('/api/v1/instances')).filter((i) => i.state === 'running');
}

export interface TrafficCounts { sent: number; sentPorts: Record<string, number>; received: number; receivedPorts: Record<string, number>; flows: Record<string, number> }

export function readJson<T>(file: string): T | undefined {
  try { return JSON.parse(readFileSync(file, 'utf8')) as T; } catch { return undefined; }
}

export function demoFiles(ctx: LabContext): { dir: string; sink: string; source: string; ping: string } {
  const dir = join(ctx.config.stateDir, 'demo');
  return { dir, sink: join(dir, 's1-sink.json'), source: join(dir, 'c1-source.json'), ping: join(dir, 'c1-ping.log') };
}

export function trafficCounts(ctx: LabContext): TrafficCounts {
  const f = demoFiles(ctx);
  const src = readJson<{ sent: number; ports: Record<string, number> }>(f.source);
  const snk = readJson<{ total: number; ports: Record<string, number>; flows: Record<string, number> }>(f.sink);
  return { sent: src?.sent ?? 0, sentPorts: src?.ports ?? {}, received: snk?.total ?? 0, receivedPorts: snk?.ports ?? {}, flows: snk?.flows ?? {} };
}

/** Last ping line: "icmp_seq=N ttl=.. time=X ms" → a short summary. */
function pingSummary(file: string): string {
  if (!existsSync(file)) return 'no ping yet';
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const replies = lines.filter((l) => /bytes from/.test(l));
  const last = replies.at(-1);
  const seq = Number(/icmp_seq=(\d+)/.exec(last ?? '')?.[1] ?? 0);
  return last ? `ping ${replies.length}/${seq} replies, last ${/time=([\d.]+ ms)/.exec(last)?.[1] ?? '?'}` : 'ping: no reply yet';
}

/** One line per NF instance: "lb:0@h2 200 pps (rx 1234, drop 0, ring 0%)". */
export async function nfRateLines(rest: RestClient): Promise<string[]> {
  const stats = await rest.get<ApiInstanceStats[]>('/api/v1/stats/instances');
  const order = (s: string): number => { const i = (DEMO_SERVICES as readonly string[]).indexOf(s); return i < 0 ? 99 : i; };
  return stats
    .sort((a, b) => order(a.service) - order(b.service) || a.instance.localeCompare(b.instance) || a.host.localeCompare(b.host))
    .map((s) => `${`${s.instance}@${s.host}`.padEnd(14)} ${s.pps.toFixed(0).padStart(6)} pps  rx ${String(s.rxPkts).padStart(8)}  tx ${String(s.txPkts).padStart(8)}  drop ${String(s.dropPkts).padStart(6)}  ring ${(s.ringFill * 100).toFixed(0)}%`);
}

export const demo: LabStep = {
  name: 'demo',
  title: 'the demo over REST: tenant, services firewall/monitor/lb, chain firewall → monitor → lb, traffic c1 → s1',
  fix: 'see `lab status` (agents registered? NF instances running?), the agents\' logs in <state dir>/agents/ and <state dir>/controller.log; skip the demo with --no-demo',
  async up(ctx) {
    const rest = restOf(ctx);
    const t = ctx.info.topology;
    const c1 = nodeByName(t, 'c1');
    const s1 = nodeByName(t, 's1');
    const files = demoFiles(ctx);
    mkdirSync(files.dir, { recursive: true });
    ctx.ledger.record({ kind: 'dir', path: files.dir, id: 'demo-dir', label: 'demo files' });
    const images = writeNfImages(files.dir, s1.ip);
    const chain = await declareDemo(rest, { c1Port: c1.ofport, s1Port: s1.ofport, s1Ip: s1.ip, images });
    ctx.log(`REST: tenant demo, services ${DEMO_SERVICES.join(', ')}, chain demo ${chain.services.join(' → ')} ${chain.pathId === undefined ? '' : `(path ${chain.pathId}) `}for in_port ${c1.ofport} → ${s1.ip}`);
    let inst: ApiInstance[] = [];
    const placed = await waitFor(async () => {
      inst = await runningInstances(rest).catch(() => []);
      return DEMO_SERVICES.every((s) => inst.some((i) => i.service === s));
    }, 90_000, 500);
    if (!placed) throw new Error(`NF instances not running after 90 s: ${JSON.stringify(inst.map((i) => `${i.service}:${i.index}@${i.host}`))}`);
    const where = DEMO_SERVICES.map((s) => `${s}@${inst.filter((i) => i.service === s).map((i) => i.host).join('+')}`).join(' → ');
    ctx.log(`placed: ${where}`);

    // traffic (bounded): sink on s1, UDP source and ping on c1
    const secs = ctx.config.demoSeconds;
    await startDaemon({ cmd: PY, args: [UDP_TOOL(), 'sink', '--bind', s1.ip, '--ports', `${DEMO_PORT},${DROP_PORT}`, '--out', files.sink, '--seconds', String(secs + 30)],
      netns: s1.netns, logFile: join(files.dir, 's1-sink.log'), label: `UDP sink on s1 (${s1.ip}:${DEMO_PORT},${DROP_PORT})`, ledger: ctx.ledger, id: 'demo-sink',
      ready: () => existsSync(files.sink) });
    await startDaemon({ cmd: PY, args: [UDP_TOOL(), 'source', '--dst', s1.ip, '--port', String(DEMO_PORT), '--pps', String(ctx.config.demoPps), '--seconds', String(secs),
      '--flows', '8', '--every-port', `${DROP_PORT}:10`, '--out', files.source],
    netns: c1.netns, logFile: join(files.dir, 'c1-source.log'), label: `UDP source c1 → s1 (${ctx.config.demoPps} pps, ${secs} s)`, ledger: ctx.ledger, id: 'demo-source' });
    await startDaemon({ cmd: 'ping', args: ['-i', '0.5', '-w', String(secs), '-W', '1', s1.ip], netns: c1.netns, logFile: files.ping,
      label: `ping c1 → s1 (${secs} s)`, ledger: ctx.ledger, id: 'demo-ping' });

    // proof: datagrams arrive at s1, the firewall's port never does, the monitor counts
    let c = trafficCounts(ctx);
    const flowing = await waitFor(() => { c = trafficCounts(ctx); return (c.receivedPorts[String(DEMO_PORT)] ?? 0) >= 20 && (c.sentPorts[String(DROP_PORT)] ?? 0) >= 2; }, 40_000, 250);
    if (!flowing) throw new Error(`no demo traffic reached s1 through the chain (sent ${c.sent}, received ${c.received}); check \`lab status\` and the agents' logs`);
    let mon = 0;
    const counted = await waitFor(async () => {
      const st = await rest.get<ApiInstanceStats[]>('/api/v1/stats/instances').catch(() => []);
      mon = st.filter((s) => s.service === 'monitor').reduce((a, s) => a + s.rxPkts, 0);
      return DEMO_SERVICES.every((svc) => st.some((s) => s.service === svc && s.rxPkts > 0));
    }, 15_000, 500);
    if (!counted) throw new Error('traffic reaches s1 but not every NF of the chain counts packets (GET /api/v1/stats/instances)');
    c = trafficCounts(ctx);
    ctx.info.extra['demo'] = `chain ${where}; UDP c1 → ${s1.ip}:${DEMO_PORT} at ${ctx.config.demoPps} pps (every 10th to :${DROP_PORT}, dropped by the firewall) + ping, for ${secs} s`;
    return `traffic flows: s1 received ${c.receivedPorts[String(DEMO_PORT)]} datagrams on :${DEMO_PORT}, ${c.receivedPorts[String(DROP_PORT)] ?? 0} on :${DROP_PORT} (firewall drops), monitor counted ${mon}; ${pingSummary(files.ping)}`;
  },
  async status(ctx) {
    const lines: StatusLine[] = [];
    let inst: ApiInstance[];
    try { inst = await restOf(ctx).get<ApiInstance[]>('/api/v1/instances'); } catch (e) {
      return [{ resource: 'NF instances', health: 'fail', detail: `API not answering: ${(e as Error).message}` }];
    }
    for (const s of DEMO_SERVICES) {
      const mine = inst.filter((i) => i.service === s);
      lines.push({ resource: `NF ${s}`, health: mine.some((i) => i.state === 'running') ? 'ok' : 'fail',
        detail: mine.length ? mine.map((i) => `${i.service}:${i.index}@${i.host} ${i.state}${i.pid ? ` pid ${i.pid}` : ''}`).join(', ') : 'no instance' });
    }
    const c = trafficCounts(ctx);
    const src = ctx.ledger.list().find((r) => r.id === 'demo-source');
    const running = src?.kind === 'process' && isAlive(src.pid, src.startTime);
    lines.push({ resource: 'demo traffic c1 → s1', health: 'info', detail: `${running ? 'running' : 'finished'}: sent ${c.sent}, s1 received ${c.received} (:${DEMO_PORT} ${c.receivedPorts[String(DEMO_PORT)] ?? 0}, :${DROP_PORT} ${c.receivedPorts[String(DROP_PORT)] ?? 0} of ${c.sentPorts[String(DROP_PORT)] ?? 0} sent — dropped by the firewall)` });
    return lines;
  },
  async live(ctx) {
    const c = trafficCounts(ctx);
    const out = [`traffic c1 → s1: sent ${c.sent}, s1 received ${c.received} (:${DEMO_PORT} ${c.receivedPorts[String(DEMO_PORT)] ?? 0}; :${DROP_PORT} ${c.receivedPorts[String(DROP_PORT)] ?? 0}/${c.sentPorts[String(DROP_PORT)] ?? 0} — firewall drops) · ${pingSummary(demoFiles(ctx).ping)}`];
    try { out.push(...(await nfRateLines(restOf(ctx))).map((l) => `  ${l}`)); } catch (e) { out.push(`  NF rates unavailable: ${(e as Error).message}`); }
    return out;
  },
};
