// The agent's local control API: a unix socket speaking JSON lines.
//   request  {"id":1,"method":"stats","params":{...}}   response {"id":1,"result":...} | {"id":1,"error":"..."}
// Methods: stats {sampleMs?}, nf.list, nf.start NfStartSpec, nf.stop {service,index}|{instanceId},
//          nf.config {instanceId,text}, path.set PathConfig, dataplane (what dataplane-sync applied), shutdown.
import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { existsSync, rmSync } from 'node:fs';
import type { HostAgent, NfStartSpec, PathConfig } from './agent.js';

export interface ControlRequest { id?: number; method: string; params?: Record<string, unknown> }

export function defaultSocketPath(hostId: string): string { return `/tmp/rackvisor-host-${hostId}.sock`; }

/** Optional extras of the control API. */
export interface ControlExtras {
  /** `dataplane`: the data-plane configuration derived from ZooKeeper (host/dataplane-sync.ts), null without cluster. */
  dataplane?: () => unknown;
}

async function dispatch(agent: HostAgent, req: ControlRequest, onShutdown: () => void, extras: ControlExtras): Promise<unknown> {
  const p = req.params ?? {};
  switch (req.method) {
    case 'stats': return agent.hostStats(typeof p.sampleMs === 'number' ? p.sampleMs : 0);
    case 'nf.list': return agent.records().map((r) => ({ ...r, output: r.output.slice(-10) }));
    case 'nf.start': return agent.startNf(p as unknown as NfStartSpec);
    case 'nf.stop':
      if (typeof p.instanceId === 'number') await agent.stopNfById(p.instanceId);
      else await agent.stopNf(String(p.service), Number(p.index ?? 0));
      return { ok: true };
    case 'nf.config': return { rc: agent.configureNf(Number(p.instanceId), String(p.text ?? '')) };
    case 'path.set': agent.setPath(p as unknown as PathConfig); return { ok: true };
    case 'dataplane': return extras.dataplane ? extras.dataplane() : null;
    case 'shutdown': setImmediate(onShutdown); return { ok: true };
    default: throw new Error(`unknown method ${req.method}`);
  }
}

/** Serves the control API for `agent` on `path`; `onShutdown` runs after a shutdown request was answered. */
export function serveControl(agent: HostAgent, path: string, onShutdown: () => void, extras: ControlExtras = {}): Promise<{ close(): Promise<void>; path: string }> {
  if (existsSync(path)) rmSync(path, { force: true });
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = '';
    sock.on('data', (d) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        let req: ControlRequest;
        try { req = JSON.parse(line) as ControlRequest; } catch {
          sock.write(JSON.stringify({ error: 'bad JSON' }) + '\n');
          continue;
        }
        dispatch(agent, req, onShutdown, extras).then(
          (result) => sock.write(JSON.stringify({ id: req.id, result }) + '\n'),
          (e: unknown) => sock.write(JSON.stringify({ id: req.id, error: e instanceof Error ? e.message : String(e) }) + '\n'),
        );
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      const handle = {
        path,
        close: () => new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => { rmSync(path, { force: true }); r(); });
        }),
      };
      agent.server = handle;
      resolve(handle);
    });
  });
}

/** One request to an agent's control socket. */
export function controlRequest(path: string, method: string, params: Record<string, unknown> = {}, timeoutMs = 60000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`${method}: no answer from ${path}`)); }, timeoutMs);
    sock.on('connect', () => sock.write(JSON.stringify({ id: 1, method, params }) + '\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.end();
      const res = JSON.parse(buf.slice(0, nl)) as { result?: unknown; error?: string };
      if (res.error) reject(new Error(res.error)); else resolve(res.result);
    });
    sock.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot reach agent at ${path}: ${e.message}`)); });
  });
}
