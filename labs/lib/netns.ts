// Network namespaces and veth pairs, recorded in a Ledger when one is given.
import { run, tryRun } from './exec.js';
import type { Ledger } from './ledger.js';

export interface VethEnd { name: string; netns?: string }

export async function createNetns(name: string, ledger?: Ledger): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  ledger?.record({ kind: 'netns', name });
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Creates a veth pair, moves each end to its namespace (if any) and brings both ends up.
 * Names must be ≤ 15 characters. */
export async function createVeth(a: VethEnd, b: VethEnd, ledger?: Ledger): Promise<void> {
  for (const end of [a, b]) {
    if (end.name.length > 15) throw new Error(`interface name ${end.name} is longer than 15 characters`);
  }
  const args = ['link', 'add', a.name];
  if (a.netns) args.push('netns', a.netns);
  args.push('type', 'veth', 'peer', 'name', b.name);
  if (b.netns) args.push('netns', b.netns);
  await run('ip', args);
  ledger?.record({ kind: 'link', name: a.name, ...(a.netns ? { netns: a.netns } : {}) });
  for (const end of [a, b]) await run('ip', [...nsArgs(end.netns), 'link', 'set', end.name, 'up']);
}

/** Runs a command inside a namespace; never throws for a non-zero exit (see `code`). */
export function nsExec(netns: string, cmd: string[], opts: { timeoutMs?: number } = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  return tryRun('ip', ['netns', 'exec', netns, ...cmd], { timeoutMs: opts.timeoutMs ?? 30_000 });
}

export async function addAddress(dev: string, cidr: string, netns?: string): Promise<void> {
  await run('ip', [...nsArgs(netns), 'addr', 'add', cidr, 'dev', dev]);
}

/** Turns TX checksum offload off (see DESIGN.md field notes: userspace forwarders pass partial
 * checksums through, the receiver then drops TCP/UDP). */
export async function txChecksumOff(dev: string, netns?: string): Promise<void> {
  const cmd = ['ethtool', '-K', dev, 'tx', 'off'];
  const res = netns ? await nsExec(netns, cmd) : await tryRun(cmd[0]!, cmd.slice(1));
  if (res.code !== 0) throw new Error(`ethtool -K ${dev} tx off failed: ${res.stderr.trim()}`);
}

export async function linkMac(dev: string, netns?: string): Promise<string> {
  const out = await run('ip', [...nsArgs(netns), '-j', 'link', 'show', 'dev', dev]);
  const parsed = JSON.parse(out) as { address?: string }[];
  const mac = parsed[0]?.address;
  if (!mac) throw new Error(`no MAC for ${dev}`);
  return mac;
}

export async function linkIsUp(dev: string, netns?: string): Promise<boolean> {
  const res = await tryRun('ip', [...nsArgs(netns), '-j', 'link', 'show', 'dev', dev]);
  if (res.code !== 0) return false;
  const parsed = JSON.parse(res.stdout) as { operstate?: string; flags?: string[] }[];
  const l = parsed[0];
  return !!l && (l.flags ?? []).includes('UP') && l.operstate !== 'DOWN';
}

export async function listNetns(): Promise<string[]> {
  const out = await run('ip', ['-j', 'netns', 'list']).catch(() => '');
  if (!out.trim()) return [];
  return (JSON.parse(out) as { name: string }[]).map((n) => n.name);
}

function nsArgs(netns?: string): string[] { return netns ? ['-n', netns] : []; }
