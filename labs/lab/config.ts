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
  return { name: 'rv', stateDir: defaultStateDir(), hosts: 2, controller: 'tcp:127.0.0.1:6653', zkPort: 0, subnet: '10.77.0', fabricCheck: true };
}

export function validateConfig(c: LabConfig): LabConfig {
  if (!/^[a-z][a-z0-9-]{0,8}$/.test(c.name)) throw new Error(`--name "${c.name}": use 1-9 characters a-z, 0-9, '-' starting with a letter (link names are limited to 15 characters)`);
  if (!Number.isInteger(c.hosts) || c.hosts < 1 || c.hosts > 8) throw new Error(`--hosts ${c.hosts}: use 1..8`);
  if (!/^(tcp|ssl):[0-9.]+:\d+$/.test(c.controller)) throw new Error(`--controller "${c.controller}": expected tcp:IP:PORT`);
  if (!Number.isInteger(c.zkPort) || c.zkPort < 0 || c.zkPort > 65535) throw new Error(`--zk-port ${c.zkPort}: expected 0..65535`);
  if (!/^\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(c.subnet)) throw new Error(`--subnet "${c.subnet}": expected the first three octets, e.g. 10.77.0`);
  return { ...c, stateDir: resolve(c.stateDir) };
}

export const stateFileOf = (stateDir: string): string => join(stateDir, 'state.json');

/** argv prefix that runs this build's CLI (node + bin/rackvisor.js), for steps that start
 * `rackvisor controller` / `rackvisor host` as lab processes. Needs dist/ (npm run build:ts). */
export function rackvisorCommand(): string[] {
  return [process.execPath, join(projectRoot(), 'bin', 'rackvisor.js')];
}
