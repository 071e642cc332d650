// Pure parts of the lab: config validation and the topology plan (names, addresses, MACs, ports).
import test from 'ava';
import { defaultConfig, validateConfig, projectRoot, rackvisorCommand } from '../../labs/lab/config.js';
import { planTopology, nodeByName } from '../../labs/lab/topology.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

test('default topology: h1, h2, c1, s1 on tor0 with the documented addresses, MACs and ports', (t) => {
  const topo = planTopology(defaultConfig());
  t.is(topo.bridge, 'tor0');
  t.is(topo.controller, 'tcp:127.0.0.1:6653');
  t.is(topo.subnet, '10.77.0.0/24');
  t.deepEqual(topo.nodes.map((n) => [n.node, n.role, n.netns, n.switchIf, n.ip, n.ofport, n.mac]), [
    ['h1', 'host', 'rv-h1', 'rv-h1', '10.77.0.11', 1, '02:72:76:00:01:01'],
    ['h2', 'host', 'rv-h2', 'rv-h2', '10.77.0.12', 2, '02:72:76:00:01:02'],
    ['c1', 'client', 'rv-c1', 'rv-c1', '10.77.0.101', 101, '02:72:76:00:02:01'],
    ['s1', 'server', 'rv-s1', 'rv-s1', '10.77.0.201', 201, '02:72:76:00:03:01'],
  ]);
  // hosts register a MAC of their own for the DPDK endpoint, never an interface's
  t.deepEqual(topo.nodes.map((n) => n.tunnelMac), ['02:72:77:00:01:01', '02:72:77:00:01:02', undefined, undefined]);
  t.is(nodeByName(topo, 's1').ifname, 'eth0');
  t.throws(() => nodeByName(topo, 'h9'), { message: /no node h9/ });
});

test('--hosts and --name shape the names; every link name fits 15 characters', (t) => {
  const topo = planTopology(validateConfig({ ...defaultConfig(), hosts: 8, name: 'abcdefghi' }));
  t.is(topo.nodes.filter((n) => n.role === 'host').length, 8);
  t.true(topo.nodes.every((n) => n.switchIf.length <= 15));
  const macs = topo.nodes.flatMap((n) => [n.mac, ...(n.tunnelMac ? [n.tunnelMac] : [])]);
  t.is(new Set(macs).size, topo.nodes.length + 8);
  t.is(new Set(topo.nodes.map((n) => n.ofport)).size, topo.nodes.length);
});

test('invalid configurations are refused with the option name', (t) => {
  const d = defaultConfig();
  t.throws(() => validateConfig({ ...d, name: 'toolongname' }), { message: /--name/ });
  t.throws(() => validateConfig({ ...d, hosts: 9 }), { message: /--hosts 9/ });
  t.throws(() => validateConfig({ ...d, controller: '127.0.0.1:6653' }), { message: /--controller/ });
  t.throws(() => validateConfig({ ...d, zkPort: 70000 }), { message: /--zk-port/ });
  t.throws(() => validateConfig({ ...d, subnet: '10.77' }), { message: /--subnet/ });
});

test('state dir defaults to $RACKVISOR_LAB_DIR or <repo>/.lab; the CLI command points into the repo', (t) => {
  const saved = process.env.RACKVISOR_LAB_DIR;
  try {
    delete process.env.RACKVISOR_LAB_DIR;
    t.is(defaultConfig().stateDir, join(projectRoot(), '.lab'));
    process.env.RACKVISOR_LAB_DIR = '/tmp/somewhere';
    t.is(defaultConfig().stateDir, '/tmp/somewhere');
  } finally {
    if (saved === undefined) delete process.env.RACKVISOR_LAB_DIR; else process.env.RACKVISOR_LAB_DIR = saved;
  }
  t.true(existsSync(join(projectRoot(), 'package.json')));
  // from sources (this test) the lab starts the CLI through tsx; compiled, or forced, through bin/rackvisor.js (dist/)
  t.deepEqual(rackvisorCommand().slice(1), ['--import', 'tsx', join(projectRoot(), 'cli', 'main.ts')]);
  const savedCli = process.env.RACKVISOR_LAB_CLI;
  try {
    process.env.RACKVISOR_LAB_CLI = 'dist';
    t.is(rackvisorCommand()[1], join(projectRoot(), 'bin', 'rackvisor.js'));
  } finally {
    if (savedCli === undefined) delete process.env.RACKVISOR_LAB_CLI; else process.env.RACKVISOR_LAB_CLI = savedCli;
  }
});
