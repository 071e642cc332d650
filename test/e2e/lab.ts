// End-to-end harness: a whole lab (ZooKeeper, OVS tor0, namespaces, `rackvisor controller`, one host agent per host
// namespace) under a unique name, state dir and ports, driven through the REST API only. Observation helpers: UDP
// source/sink in c1/s1 (labs/demo/udp.py), tshark on a host's switch link, NF counters via REST.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { labDown, labUp, labContext } from '../../labs/lab/lab.js';
import { defaultConfig, type LabConfig } from '../../labs/lab/config.js';
import type { LabContext } from '../../labs/lab/context.js';
import { nodeByName, type LabNode } from '../../labs/lab/topology.js';
import { freePort } from '../../labs/lib/ports.js';
import { startDaemon } from '../../labs/lib/daemon.js';
import { run, waitFor } from '../../labs/lib/exec.js';
import { killProcess, processStartTime } from '../../labs/lib/proc.js';
import { restOf } from '../../labs/steps/controller.js';
import { declareDemo, readJson, runningInstances, writeNfImages, UDP_TOOL } from '../../labs/steps/demo.js';
import type { ApiChain, ApiInstance, ApiInstanceStats, RestClient } from '../../labs/lab/rest.js';

export interface E2eLab {
  ctx: LabContext;
  rest: RestClient;
  root: string;
  node(n: string): LabNode;
  log: string[];
  down(): Promise<void>;
}

/** Brings a lab up (controller + agents, no demo) with a unique name/state dir/ports. */
export async function startLab(opts: { hosts?: number; orchestrator?: Record<string, unknown> } = {}): Promise<E2eLab> {
  const root = mkdtempSync(join(tmpdir(), 'rvt-e2e-'));
  const stateDir = join(root, 'lab');
  const log: string[] = [];
  const config: LabConfig = {
    ...defaultConfig(), name: `e2${randomBytes(2).toString('hex')}`, stateDir, hosts: opts.hosts ?? 2,
    controller: `tcp:127.0.0.1:${await freePort()}`,
    demo: false, ...(opts.orchestrator ? { orchestrator: opts.orchestrator } : {}),
  };
  const down = async (): Promise<void> => {
    await labDown(stateDir, { log: (l) => log.push(l) }).catch((e: Error) => log.push(`down: ${e.message}`));
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await labUp(config, { log: (l) => log.push(l) });
  } catch (e) {
    await down();
    throw new Error(`${(e as Error).message}\n${log.join('\n')}`);
  }
  const ctx = labContext(stateDir, (l) => log.push(l));
  return { ctx, rest: restOf(ctx), root, node: (n) => nodeByName(ctx.info.topology, n), log, down };
}

/** The demo policy (tenant, firewall/monitor/lb, chain) declared over REST; waits until every service runs. */
export async function declareChain(lab: E2eLab, opts: { services?: string[]; chain?: string } = {}): Promise<{ chain: ApiChain; instances: ApiInstance[] }> {
  const c1 = lab.node('c1');
  const s1 = lab.node('s1');
  const images = writeNfImages(join(lab.root, 'nf'), s1.ip);
  const chain = await declareDemo(lab.rest, { c1Port: c1.ofport, s1Port: s1.ofport, s1Ip: s1.ip, images, ...(opts.services ? { services: opts.services } : {}), ...(opts.chain ? { chain: opts.chain } : {}) });
  const services = opts.services ?? chain.services;
  let inst: ApiInstance[] = [];
  const ok = await waitFor(async () => {
    inst = await runningInstances(lab.rest).catch(() => []);
    return services.every((s) => inst.some((i) => i.service === s));
  }, 90_000, 300);
  if (!ok) throw new Error(`instances not running: ${JSON.stringify(inst)}`);
  const name = opts.chain ?? 'demo';
  let stored = chain;
  await waitFor(async () => { stored = await lab.rest.get<ApiChain>(`/api/v1/chains/${name}`); return typeof stored.pathId === 'number'; }, 10_000, 100);
  return { chain: stored, instances: inst };
}

export interface SinkCounts { t: number; total: number; ports: Record<string, number>; flows: Record<string, number>; last: Record<string, number>; done?: boolean }
export interface SourceCounts { t: number; sent: number; ports: Record<string, number>; flows: Record<string, number>; done: boolean }

let seq = 0;
/** UDP sink on s1 (ports 7000, 9999), recorded in the lab ledger; counts() reads its JSON. */
export async function startSink(lab: E2eLab, seconds: number): Promise<{ counts(): SinkCounts; stop(): Promise<void> }> {
  const s1 = lab.node('s1');
  const out = join(lab.root, `sink-${++seq}.json`);
  const h = await startDaemon({ cmd: '/usr/bin/python3', args: [UDP_TOOL(), 'sink', '--bind', s1.ip, '--ports', '7000,9999', '--out', out, '--seconds', String(seconds)],
    netns: s1.netns, logFile: `${out}.log`, label: 'e2e UDP sink', ledger: lab.ctx.ledger, ready: () => readJson(out) !== undefined });
  const empty: SinkCounts = { t: 0, total: 0, ports: {}, flows: {}, last: {} };
  const counts = (): SinkCounts => readJson<SinkCounts>(out) ?? empty;
  // stop: SIGTERM, then the sink's final dump (done) and its exit — its ports are free again afterwards
  return { counts, stop: async () => { await killProcess(h.pid, h.startTime); await waitFor(() => counts().done === true, 3000, 50); } };
}

/** UDP source c1 → s1:7000; resolves when it has finished (or use `running` to act meanwhile). */
export async function startSource(lab: E2eLab, o: { pps: number; seconds: number; flows?: number; sportBase?: number; everyPort?: string; size?: number; srcIps?: string[] }): Promise<{ counts(): SourceCounts; done(): Promise<SourceCounts>; stop(): Promise<void> }> {
  const c1 = lab.node('c1');
  const s1 = lab.node('s1');
  const out = join(lab.root, `source-${++seq}.json`);
  const args = [UDP_TOOL(), 'source', '--dst', s1.ip, '--port', '7000', '--pps', String(o.pps), '--seconds', String(o.seconds), '--flows', String(o.flows ?? 1),
    '--sport-base', String(o.sportBase ?? 40001), '--size', String(o.size ?? 64), '--out', out, ...(o.everyPort ? ['--every-port', o.everyPort] : []), ...(o.srcIps ? ['--src-ips', o.srcIps.join(',')] : [])];
  const h = await startDaemon({ cmd: '/usr/bin/python3', args, netns: c1.netns, logFile: `${out}.log`, label: 'e2e UDP source', ledger: lab.ctx.ledger });
  const empty: SourceCounts = { t: 0, sent: 0, ports: {}, flows: {}, done: false };
  const counts = (): SourceCounts => readJson<SourceCounts>(out) ?? empty;
  return {
    counts,
    done: async () => { await waitFor(() => counts().done, (o.seconds + 30) * 1000, 100); return counts(); },
    stop: () => killProcess(h.pid, h.startTime),
  };
}

/** Adds `n` more client addresses to c1 (the ToR's select group hashes on addresses, not on L4 ports, in OVS's
 * userspace datapath: several sources make the traffic spread over several ingress hosts). Gone with the namespace. */
export async function extraClientIps(lab: E2eLab, n: number): Promise<string[]> {
  const c1 = lab.node('c1');
  const base = c1.ip.split('.').slice(0, 3).join('.');
  const ips: string[] = [];
  for (let i = 0; i < n; i++) {
    const ip = `${base}.${110 + i}`;
    await run('ip', ['-n', c1.netns, 'addr', 'add', `${ip}/${c1.prefixLen}`, 'dev', c1.ifname]);
    ips.push(ip);
  }
  return ips;
}

/** NF counters by "service:index@host" from GET /api/v1/stats/instances. */
export async function nfStats(rest: RestClient): Promise<Map<string, ApiInstanceStats>> {
  const st = await rest.get<ApiInstanceStats[]>('/api/v1/stats/instances');
  return new Map(st.map((s) => [`${s.instance}@${s.host}`, s]));
}

/** Sum of a counter over a service's instances. */
export function serviceSum(m: Map<string, ApiInstanceStats>, service: string, field: 'rxPkts' | 'txPkts' | 'dropPkts'): number {
  let n = 0;
  for (const s of m.values()) if (s.service === service) n += s[field];
  return n;
}

/** Waits until the stats published by the agents are newer than `since` (ms epoch) for every instance. */
export async function freshStats(rest: RestClient, since: number, timeoutMs = 8000): Promise<Map<string, ApiInstanceStats>> {
  let m = new Map<string, ApiInstanceStats>();
  await waitFor(async () => { m = await nfStats(rest); return m.size > 0 && [...m.values()].every((s) => s.t > since); }, timeoutMs, 200);
  return m;
}

/** tshark on a link of the root namespace (a host's switch-side veth): VXLAN frames (udp 4789) and their VNIs.
 * `ready` resolves once tshark captures (it says "Capturing on" on stderr). */
export function captureVxlan(iface: string, seconds: number): { ready: Promise<void>; result: Promise<{ frames: number; vnis: Map<number, number>; raw: string }> } {
  const p = spawn('tshark', ['-n', '-i', iface, '-f', 'udp port 4789', '-a', `duration:${seconds}`, '-T', 'fields', '-e', 'vxlan.vni', '-e', 'ip.src', '-e', 'ip.dst'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => { onReady = r; });
  p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  p.stderr.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('Capturing on')) onReady(); });
  const result = new Promise<{ frames: number; vnis: Map<number, number>; raw: string }>((resolve, reject) => {
    p.on('error', reject);
    p.on('exit', (code) => {
      onReady();
      if (code !== 0) { reject(new Error(`tshark exit ${code}: ${err}`)); return; }
      const vnis = new Map<number, number>();
      let frames = 0;
      for (const line of out.split('\n')) {
        const [vni] = line.split('\t');
        if (!vni) continue;
        frames++;
        vnis.set(Number(vni), (vnis.get(Number(vni)) ?? 0) + 1);
      }
      resolve({ frames, vnis, raw: out.slice(0, 2000) });
    });
  });
  return { ready, result };
}

/** The ledger entry (pid, start time) of a lab process by id (e.g. 'controller', 'agent-h1'). */
export function labProcess(lab: E2eLab, id: string): { pid: number; startTime?: number } {
  const r = lab.ctx.ledger.list().find((x) => x.id === id);
  if (r?.kind !== 'process') throw new Error(`no process ${id} in the lab ledger`);
  return { pid: r.pid, startTime: r.startTime ?? processStartTime(r.pid) };
}

export const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2) : NaN; };

/** Samples a sink's total every `ms` until stopped: [(performance.now(), total)]. */
export function sampleSink(sink: { counts(): SinkCounts }, ms = 50): { samples: Array<[number, number]>; stop(): void } {
  const samples: Array<[number, number]> = [];
  const timer = setInterval(() => samples.push([performance.now(), sink.counts().total]), ms);
  return { samples, stop: () => clearInterval(timer) };
}

/** After an event at `t0`: when delivery stopped (first 300 ms window below 20 % of the rate) and when it was
 * restored (first later window of 500 ms at ≥ 80 % of the rate). Times in ms after t0; undefined if none. */
export function outageOf(samples: Array<[number, number]>, t0: number, pps: number): { stoppedMs?: number; restoredMs?: number } {
  const at = (t: number): number | undefined => samples.find(([ts]) => ts >= t)?.[1];
  let stopped: number | undefined;
  for (const [ts, n] of samples) {
    if (ts < t0) continue;
    const m = at(ts + 300);
    if (m === undefined) break;
    if (m - n < 0.2 * pps * 0.3) { stopped = ts; break; }
  }
  if (stopped === undefined) return {};
  for (const [ts, n] of samples) {
    if (ts <= stopped) continue;
    const m = at(ts + 500);
    if (m === undefined) break;
    if (m - n >= 0.8 * pps * 0.5) return { stoppedMs: stopped - t0, restoredMs: ts - t0 };
  }
  return { stoppedMs: stopped - t0 };
}
