// Test helper: UDP round trips between network namespaces through a data path under test, with python3
// sockets. The server binds port 0 (the OS picks a free port) and prints it; it is recorded in the ledger.
import { spawn } from 'node:child_process';
import type { Ledger } from '../../labs/lib/ledger.js';
import { nsExec } from '../../labs/lib/netns.js';
import { processStartTime } from '../../labs/lib/proc.js';
import { waitFor } from '../../labs/lib/exec.js';

export interface UdpEchoOptions {
  /** Datagrams to answer before the server exits (it also exits after 15 s without any). */
  echoes: number;
  /** How the payload comes back. */
  reply: 'reverse' | 'upper';
  /** Also listen on this port and count (never answer) what arrives there; the server prints
   *  "<probePort>: <count>" at the end (after one more second of listening). */
  probePort?: number;
}

export interface UdpEchoServer {
  /** true once the server printed its port; false when it exited first or `timeoutMs` passed. */
  ready(timeoutMs?: number): Promise<boolean>;
  /** The echo port (valid after ready()). */
  readonly port: number;
  /** Everything the server printed so far. */
  output(): string;
}

/** A UDP echo server in `netns` bound to `ip`. */
export function startUdpEcho(ledger: Ledger, netns: string, ip: string, opts: UdpEchoOptions): UdpEchoServer {
  const reply = opts.reply === 'reverse' ? 'd[::-1]' : 'd.upper()';
  const probe = opts.probePort;
  const script =
    `import socket,select;a=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);a.bind((${JSON.stringify(ip)},0));socks=[a]\n` +
    (probe === undefined ? '' :
      `b=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);b.bind((${JSON.stringify(ip)},${probe}));socks.append(b)\n`) +
    'print(a.getsockname()[1],flush=True)\n' +
    `got=0\nn=0\nwhile n<${opts.echoes}:\n r,_,_=select.select(socks,[],[],15)\n if not r: break\n` +
    ` for s in r:\n  d,ad=s.recvfrom(4096)\n  if s is a: n+=1; a.sendto(${reply},ad)\n  else: got+=1\n` +
    (probe === undefined ? '' :
      `r,_,_=select.select([b],[],[],1)\nif r: got+=1\nprint("${probe}:",got,flush=True)\n`);
  const server = spawn('ip', ['netns', 'exec', netns, '/usr/bin/python3', '-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  ledger.record({ kind: 'process', pid: server.pid!, startTime: processStartTime(server.pid!), label: 'udp echo' });
  let out = '';
  let exited = false;
  server.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  server.once('exit', () => { exited = true; });
  return {
    async ready(timeoutMs = 10_000) {
      return await waitFor(() => /^\d+\n/.test(out) || exited, timeoutMs) && /^\d+\n/.test(out);
    },
    get port() { return Number(out.split('\n')[0]); },
    output: () => out,
  };
}

export interface UdpClientOptions {
  /** Per-reply receive timeout inside the client (s). */
  recvTimeoutS: number;
  /** Limit for the whole client process (ms). */
  timeoutMs: number;
  /** First send this many datagrams "blocked" to `probe.port` (no reply expected). */
  probe?: { port: number; count: number };
}

/** From `netns`, sends each message to ip:port and prints each reply on its own line (stdout). */
export function udpRoundTrips(netns: string, ip: string, port: number, messages: string[], opts: UdpClientOptions):
  Promise<{ stdout: string; stderr: string; code: number }> {
  const dst = JSON.stringify(ip);
  const script =
    `import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(${opts.recvTimeoutS})\n` +
    (opts.probe ? `for i in range(${opts.probe.count}): s.sendto(b"blocked",(${dst},${opts.probe.port}))\n` : '') +
    `for m in ${JSON.stringify(messages)}:\n s.sendto(m.encode(),(${dst},${port}));d,_=s.recvfrom(4096);print(d.decode())`;
  return nsExec(netns, ['/usr/bin/python3', '-c', script], { timeoutMs: opts.timeoutMs });
}
