// Checks the machine before touching anything: root, tools, ZooKeeper jar, hugepages, free names.
import { existsSync } from 'node:fs';
import { tryRun } from '../lib/exec.js';
import { hugepageStats } from '../lib/hugepages.js';
import { linkExists, netnsExists } from '../lib/ledger.js';
import type { LabStep } from '../lab/context.js';

const TOOLS = ['java', 'ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ovs-ofctl', 'ip', 'ethtool', 'ping', 'mount'];

export const preflight: LabStep = {
  name: 'preflight',
  title: 'check root, tools, hugepages and that the lab names are free',
  fix: 'run `npm run setup` (installs openvswitch-switch, zookeeper, iproute2, ethtool, iputils-ping and reserves hugepages) and run as root',
  async up(ctx) {
    if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces, mounts)');
    const missing: string[] = [];
    for (const t of TOOLS) if ((await tryRun('sh', ['-c', `command -v ${t}`])).code !== 0) missing.push(t);
    if (!existsSync('/usr/share/java/zookeeper.jar')) missing.push('/usr/share/java/zookeeper.jar (Debian package zookeeper)');
    if (missing.length) throw new Error(`missing: ${missing.join(', ')}`);
    const hp = hugepageStats();
    if (hp.total === 0) throw new Error('no hugepages reserved: echo 512 > /proc/sys/vm/nr_hugepages');
    const taken: string[] = [];
    for (const n of ctx.info.topology.nodes) {
      if (await netnsExists(n.netns)) taken.push(`netns ${n.netns}`);
      if (await linkExists(n.switchIf)) taken.push(`link ${n.switchIf}`);
    }
    if (taken.length) {
      throw new Error(`names already in use (another lab called "${ctx.config.name}"?): ${taken.join(', ')}. ` +
        'Bring that lab down (`rackvisor lab down --state-dir ITS_DIR`) or pick another --name');
    }
    return `root, ${TOOLS.length} tools, ${hp.total} hugepages (${hp.free} free)`;
  },
};
