// Lab configuration: defaults, validation, where the state lives, and the derived names.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LabConfig {
  /** Prefix of every namespace and link the lab creates (a-z, 0-9, '-', ≤ 9 chars). */
  name: string;
  /** Where state.json, the OVS dir, the ZooKeeper dir and the hugetlbfs mount live. */
  stateDir: string;
  /** Number of host namespaces h1..hN. */
  hosts: number;
  /** OpenFlow controller target of tor0. */
  controller: string;
  /** ZooKeeper client port; 0 = let the OS pick. */
  zkPort: number;
  /** Third octet-free /24 prefix, e.g. "10.77.0". */
  subnet: string;
  /** Install a temporary NORMAL flow and ping c1→s1 when no controller step exists. */
  fabricCheck: boolean;
  /** Start `rackvisor controller` (orchestration + REST API) on the controller address. */
  controllerProcess: boolean;
  /** REST API port of the controller; 0 = a free port. */
  apiPort: number;
  /** Start one host agent per host namespace (needs the controller). */
  agents: boolean;
  /** Run the demo chain with traffic c1 → s1 (needs the agents). */
  demo: boolean;
  /** How long the demo traffic runs at most (seconds). */
  demoSeconds: number;
  /** Demo UDP rate c1 → s1 (packets per second). */
  demoPps: number;
  /** Extra orchestrator options merged into RACKVISOR_ORCHESTRATOR (e.g. `{scaling: {...}}` in tests). */
  orchestrator?: Record<string, unknown>;
}

export const BRIDGE = 'tor0';

/** The project root: the nearest ancestor of this file holding package.json (works from dist/ and from sources). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export function defaultStateDir(): string {
  return process.env.RACKVISOR_LAB_DIR ? resolve(process.env.RACKVISOR_LAB_DIR) : join(projectRoot(), '.lab');
}

export function defaultConfig(): LabConfig {
  return { name: 'rv', stateDir: defaultStateDir(), hosts: 2, controller: 'tcp:127.0.0.1:6653', zkPort: 0, subnet: '10.77.0', fabricCheck: true,
    controllerProcess: true, apiPort: 0, agents: true, demo: true, demoSeconds: 600, demoPps: 200 };
}

export function validateConfig(c: LabConfig): LabConfig {
  if (!/^[a-z][a-z0-9-]{0,8}$/.test(c.name)) throw new Error(`--name "${c.name}": use 1-9 characters a-z, 0-9, '-' starting with a letter (link names are limited to 15 characters)`);
  if (!Number.isInteger(c.hosts) || c.hosts < 1 || c.hosts > 8) throw new Error(`--hosts ${c.hosts}: use 1..8`);
  if (!/^(tcp|ssl):[0-9.]+:\d+$/.test(c.controller)) throw new Error(`--controller "${c.controller}": expected tcp:IP:PORT`);
  if (!Number.isInteger(c.zkPort) || c.zkPort < 0 || c.zkPort > 65535) throw new Error(`--zk-port ${c.zkPort}: expected 0..65535`);
  if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(c.subnet)) throw new Error(`--subnet "${c.subnet}": expected the first three octets, e.g. 10.77.0`);
  if (!Number.isInteger(c.apiPort) || c.apiPort < 0 || c.apiPort > 65535) throw new Error(`--api-port ${c.apiPort}: expected 0..65535`);
  if (!(c.demoSeconds > 0) || !(c.demoPps > 0 && c.demoPps <= 5000)) throw new Error('--demo-seconds must be > 0 and --demo-pps within 1..5000 (the demo traffic is bounded)');
  const agents = c.agents && c.controllerProcess;
  return { ...c, agents, demo: c.demo && agents, stateDir: resolve(c.stateDir) };
}

export const stateFileOf = (stateDir: string): string => join(stateDir, 'state.json');

/** argv prefix that runs this build's CLI, for steps that start `rackvisor controller` / `rackvisor host` as lab
 * processes: node + bin/rackvisor.js (dist/, built by `npm run lab`) when the lab itself runs compiled, or
 * node --import tsx cli/main.ts when it runs from the TypeScript sources (tests), so a test never starts a stale
 * dist/. RACKVISOR_LAB_CLI=dist|tsx forces one. */
export function rackvisorCommand(): string[] {
  const mode = process.env.RACKVISOR_LAB_CLI ?? (import.meta.url.endsWith('.ts') ? 'tsx' : 'dist');
  return mode === 'tsx'
    ? [process.execPath, '--import', 'tsx', join(projectRoot(), 'cli', 'main.ts')]
    : [process.execPath, join(projectRoot(), 'bin', 'rackvisor.js')];
}

/** Where `make -C native` puts the native NF binaries. */
export const NF_BIN = (): string => join(projectRoot(), 'native', 'build', 'bin');
