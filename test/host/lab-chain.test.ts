// In a lab: a private Open vSwitch (labs/lib launchers), client c1 and server s1 in namespaces, and
// host h1 whose manager runs on a veth through net_af_packet with the chain firewall -> monitor
// (native NF processes). A static flow steers c1's IPv4 traffic to h1; what the chain lets through
// goes back to the switch and on to s1. UDP and TCP c1 -> s1 pass; a firewall drop rule (UDP to
// port 5555) is seen in the NF counters and at s1 (nothing arrives).
import test from 'ava';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { Ledger } from '../../labs/lib/ledger.js';
import { startOvs, type OvsInstance } from '../../labs/lib/ovs.js';
import { addAddress, createNetns, createVeth, linkMac, nsExec, txChecksumOff } from '../../labs/lib/netns.js';
import { run } from '../../labs/lib/exec.js';
import { HostAgent } from '../../host/agent.js';
import { sleep } from '../native/helpers.js';

const sfx = Math.random().toString(36).slice(2, 6);
const dir = mkdtempSync(join(tmpdir(), 'rvlab-'));
const ledger = Ledger.open(join(dir, 'state.json'));
const NS_C = `rvt-${sfx}-c1`;
const NS_S = `rvt-${sfx}-s1`;
const C_IF = `rv${sfx}c`; // c1 side (in NS_C)
const C_SW = `rv${sfx}cs`; // switch side
const S_IF = `rv${sfx}s`;
const S_SW = `rv${sfx}ss`;
const H_SW = `rv${sfx}hs`; // h1's switch side
const H_DP = `rv${sfx}hd`; // h1's DPDK side (net_af_packet)
const C_IP = '10.88.0.1';
const S_IP = '10.88.0.2';

let ovs: OvsInstance;
let agent: HostAgent | undefined;

test.before(async () => {
  ovs = await startOvs({ dir: join(dir, 'ovs'), ledger });
  await ovs.addBridge('tor', { failMode: 'secure' });
  await createNetns(NS_C, ledger);
  await createNetns(NS_S, ledger);
  await createVeth({ name: C_IF, netns: NS_C }, { name: C_SW }, ledger);
  await createVeth({ name: S_IF, netns: NS_S }, { name: S_SW }, ledger);
  await createVeth({ name: H_SW }, { name: H_DP }, ledger);
  await addAddress(C_IF, `${C_IP}/24`, NS_C);
  await addAddress(S_IF, `${S_IP}/24`, NS_S);
  for (const [dev, ns] of [[C_IF, NS_C], [S_IF, NS_S]] as const) await txChecksumOff(dev, ns);
  for (const dev of [C_SW, S_SW, H_SW, H_DP]) await txChecksumOff(dev);
  const cMac = await linkMac(C_IF, NS_C);
  const sMac = await linkMac(S_IF, NS_S);
  await run('ip', ['-n', NS_C, 'neigh', 'replace', S_IP, 'lladdr', sMac, 'dev', C_IF]);
  await run('ip', ['-n', NS_S, 'neigh', 'replace', C_IP, 'lladdr', cMac, 'dev', S_IF]);
  await ovs.addPort('tor', C_SW, 1);
  await ovs.addPort('tor', S_SW, 2);
  await ovs.addPort('tor', H_SW, 3);
  // static steering: c1's IPv4 -> h1 (the chain); what h1 sends back -> s1; s1 -> c1 directly
  for (const f of ['priority=100,ip,in_port=1,actions=output:3', 'priority=100,in_port=3,actions=output:2',
    'priority=50,in_port=2,actions=output:1', 'priority=10,in_port=1,actions=output:2']) await ovs.ofctl('add-flow', 'tor', f);
  const rules = join(dir, 'fw.rules');
  writeFileSync(rules, 'default allow\ndrop proto udp dport 5555\n');
  agent = await HostAgent.start({
    hostId: `lab${sfx}`, filePrefix: `rvt${sfx}lab`, ports: [`net_af_packet0,iface=${H_DP}`], hugepages: { sizeMb: 128 },
    services: { fw: 1, mon: 2 }, paths: [{ id: 1, services: ['fw', 'mon'] }], defaultPath: 1, controlSocket: null,
    nfs: [
      { service: 'fw', serviceId: 1, kind: 'native', image: 'firewall', args: ['--rules', rules] },
      { service: 'mon', serviceId: 2, kind: 'native', image: 'monitor' },
    ],
  });
});

test.after.always(async () => {
  if (agent) await agent.stop().catch(() => undefined);
  await ledger.teardown().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const PY_RECV = `
import socket, select, sys, time, json
ports = [int(p) for p in sys.argv[1].split(',')]
socks = []
for p in ports:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', p)); socks.append(s)
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); t.bind(('0.0.0.0', int(sys.argv[2]))); t.listen(1)
print('ready', flush=True)
counts = {p: 0 for p in ports}; tcp = 0
end = time.time() + float(sys.argv[3]); conns = []
while time.time() < end:
    r, _, _ = select.select(socks + [t] + conns, [], [], 0.1)
    for s in r:
        if s is t:
            c, _ = t.accept(); conns.append(c)
        elif s in conns:
            d = s.recv(65536)
            if not d: conns.remove(s); s.close()
            else: tcp += len(d)
        else:
            d, _ = s.recvfrom(2048); counts[s.getsockname()[1]] += 1
print(json.dumps({'udp': counts, 'tcp': tcp}), flush=True)
`;

const PY_SEND = `
import socket, sys, time
dst = sys.argv[1]; n = int(sys.argv[2])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(n):
    u.sendto(b'x' * 100, (dst, 5000)); u.sendto(b'y' * 100, (dst, 5555)); time.sleep(0.002)
t = socket.create_connection((dst, 6000), timeout=10)
data = b'z' * 200000
t.sendall(data); t.shutdown(socket.SHUT_WR); t.close()
print('sent', flush=True)
`;

test.serial('c1 -> s1 UDP and TCP through firewall -> monitor on h1; the firewall drop rule shows in counters and at s1', async (t) => {
  const a = agent!;
  const recv = spawn('ip', ['netns', 'exec', NS_S, '/usr/bin/python3', '-c', PY_RECV, '5000,5555', '6000', '12'], { stdio: ['ignore', 'pipe', 'pipe'] });
  ledger.record({ kind: 'process', pid: recv.pid! });
  let out = '';
  recv.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  recv.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const done = new Promise<void>((r) => recv.on('exit', () => r()));
  while (!out.includes('ready')) await sleep(50);
  // Counters are compared from here: while the NFs were starting, the kernel's own frames on the veth
  // (IPv6 router solicitations, MLD) reached the manager and were counted as no_path / no_instance.
  const before = a.manager.stats();
  const N = 200;
  const snd = await nsExec(NS_C, ['/usr/bin/python3', '-c', PY_SEND, S_IP, String(N)], { timeoutMs: 30000 });
  t.is(snd.code, 0, snd.stderr);
  await done;
  const res = JSON.parse(out.trim().split('\n').pop()!) as { udp: Record<string, number>; tcp: number };
  t.is(res.udp['5000'], N, 'every allowed datagram arrived');
  t.is(res.udp['5555'], 0, 'the firewall dropped UDP to 5555');
  t.is(res.tcp, 200000, 'TCP stream intact');
  // counters settle once the last packets (TCP FIN/ACKs) left the chain: wait until nothing is in flight
  // (rings empty, every packet the manager enqueued was received, every packet an NF sent was dequeued)
  // and nothing moves for 300 ms. A descheduled NF on a loaded box can hold a packet for longer than that.
  type Stats = ReturnType<typeof a.manager.stats>;
  const sig = (x: Stats): string => JSON.stringify(x.nfs.map((n) => [n.rx, n.tx, n.rxRing, n.txRing]));
  const idle = (x: Stats): boolean => x.nfs.every((n) => n.rxRing === 0 && n.txRing === 0 && n.rxEnqueued === n.rx && n.txDequeued === n.tx);
  let prev = sig(a.manager.stats());
  let settled = a.manager.stats();
  for (let i = 0; i < 100; i++) {
    await sleep(300);
    settled = a.manager.stats();
    const now = sig(settled);
    if (now === prev && idle(settled)) break;
    prev = now;
  }
  t.log(JSON.stringify({ nfs: settled.nfs.map((n) => [n.name, n.state, n.routed, n.rx, n.tx, n.dropped, n.rxRing, n.rxEnqueued, n.txDequeued]), drops: settled.drops }));
  const s = await a.hostStats();
  const delta = (name: string): { rx: number; tx: number; dropped: number } => {
    const [x, y] = [settled, before].map((st) => st.nfs.find((n) => n.name.startsWith(name))!);
    return { rx: x.rx - y.rx, tx: x.tx - y.tx, dropped: x.dropped - y.dropped };
  };
  const fw = delta('fw');
  const mon = delta('mon');
  const drops = Object.fromEntries(Object.entries(settled.drops).map(([k, v]) => [k, v - (before.drops as Record<string, number>)[k]]));
  t.is(fw.dropped, N, 'firewall drops counted');
  t.true(fw.rx >= 2 * N + 10, `firewall saw the traffic (${fw.rx})`);
  t.is(mon.rx, fw.tx, `the monitor got exactly what the firewall passed (manager drops during the traffic ${JSON.stringify(drops)})`);
  t.deepEqual(drops, { ...Object.fromEntries(Object.keys(drops).map((k) => [k, 0])), nf_drop: N }, 'no manager drop but the firewall\'s');
  t.true(s.ports[0].tx >= mon.tx, 'the manager sent the chain\'s output back to the switch');
});
