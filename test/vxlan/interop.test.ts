// Interop with the Linux kernel's VXLAN and with tshark, on the wire (veths in private namespaces):
//
//   ns C (client 10.77.0.1) ─veth─ ns G: our VXLAN gateway (native/src/vxlan.cc in vxlan_tool,
//                                  DPDK net_af_packet on both veths) ─veth─ ns K: kernel vxlan
//                                  device (VNI v, remote = our tunnel IP) carrying 10.77.0.2
//
// (a) frames we encapsulate are decapsulated by the kernel (ping + UDP reach 10.77.0.2);
// (b) frames the kernel encapsulates are decapsulated by us (the replies come back to C);
// (c) tshark decodes the frames captured on K's underlay as VXLAN with the VNI, no malformed field;
// (e) bad frames injected on the underlay are counted by reason and never reach C.
// The manager (addon) is not used here: vxlan_tool wraps the same vxlan.cc over af_packet ports.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Ledger } from '../../labs/lib/ledger.js';
import { createNetns, createVeth, nsExec, addAddress, txChecksumOff, linkMac } from '../../labs/lib/netns.js';
import { processStartTime } from '../../labs/lib/proc.js';
import { startUdpEcho, udpRoundTrips } from '../support/udp.js';
import { sleep, waitFor } from '../../labs/lib/exec.js';
import { buildTestPrograms, spawnToolInNetns, stopTool, tsharkJson, fixIpChecksum, readPcap, type ToolProcess } from './helpers.js';
import { encapsulate, decapsulate, vniFor } from '../../vxlan/index.js';

const sfx = randomBytes(2).toString('hex');
const NS = { c: `rvt-${sfx}-vc`, g: `rvt-${sfx}-vg`, k: `rvt-${sfx}-vk` };
const IF = { c: `rv${sfx}c`, gp: `rv${sfx}gp`, gt: `rv${sfx}gt`, k: `rv${sfx}k`, vx: `rv${sfx}vx` };
const VNI = vniFor(0x0203, 1);
const OUR_IP = '192.168.77.1';
const KERNEL_IP = '192.168.77.2';
const dir = mkdtempSync(join(tmpdir(), 'rvt-vxi-'));
const ledger = Ledger.open(join(dir, 'ledger.json'));
let gw: ToolProcess | undefined;
let ourMac = '';
let kernelMac = '';

interface GwStats { plain_rx: number; plain_tx: number; tunnel_rx: number; tunnel_tx: number; not_vxlan: number; encap_ok: number; decap: Record<string, number> }

async function must(ns: string, cmd: string[]): Promise<string> {
  const r = await nsExec(ns, cmd);
  if (r.code !== 0) throw new Error(`${ns}: ${cmd.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

test.before(async () => {
  await buildTestPrograms();
  for (const ns of Object.values(NS)) {
    await createNetns(ns, ledger);
    await must(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
    await must(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  await createVeth({ name: IF.c, netns: NS.c }, { name: IF.gp, netns: NS.g }, ledger);
  await createVeth({ name: IF.gt, netns: NS.g }, { name: IF.k, netns: NS.k }, ledger);
  ourMac = await linkMac(IF.gt, NS.g);
  kernelMac = await linkMac(IF.k, NS.k);
  // client: 1450 MTU (room for the 50 bytes of VXLAN on a 1500 underlay), checksums in software
  await must(NS.c, ['ip', 'link', 'set', IF.c, 'mtu', '1450']);
  await addAddress(IF.c, '10.77.0.1/24', NS.c);
  await txChecksumOff(IF.c, NS.c);
  // kernel VXLAN host
  await addAddress(IF.k, `${KERNEL_IP}/24`, NS.k);
  await must(NS.k, ['ip', 'link', 'add', IF.vx, 'type', 'vxlan', 'id', String(VNI), 'remote', OUR_IP, 'local', KERNEL_IP,
    'dstport', '4789', 'dev', IF.k]);
  await must(NS.k, ['ip', 'addr', 'add', '10.77.0.2/24', 'dev', IF.vx]);
  await must(NS.k, ['ip', 'link', 'set', IF.vx, 'up']);
  await txChecksumOff(IF.vx, NS.k);
  await txChecksumOff(IF.k, NS.k);
  // our tunnel IP is served by the DPDK gateway, which does not answer ARP: a static neighbour
  await must(NS.k, ['ip', 'neigh', 'replace', OUR_IP, 'lladdr', ourMac, 'dev', IF.k, 'nud', 'permanent']);
  for (const [ns, dev] of [[NS.g, IF.gp], [NS.g, IF.gt]] as const) await txChecksumOff(dev, ns);
});

test.after.always(async () => {
  if (gw) await stopTool(gw).catch(() => undefined);
  await ledger.teardown();
  rmSync(dir, { recursive: true, force: true });
});

async function startGateway(): Promise<ToolProcess> {
  if (gw) await stopTool(gw);
  const p = spawnToolInNetns(NS.g, 'gateway', [
    '--plain', 'net_af_packet0', '--tunnel', 'net_af_packet1',
    '--local-mac', ourMac, '--local-ip', OUR_IP, '--peer-mac', kernelMac, '--peer-ip', KERNEL_IP,
    '--vni', String(VNI), '--register', `${KERNEL_IP}=${kernelMac}`, '--path', `${VNI >>> 8}:${(VNI & 0xff) + 1}`,
    '--seconds', '120',
  ], [`--vdev=net_af_packet0,iface=${IF.gp}`, `--vdev=net_af_packet1,iface=${IF.gt}`]);
  const pid = p.child.pid!;
  ledger.record({ kind: 'dir', path: `/var/run/dpdk/${p.prefix}`, label: 'DPDK runtime dir' });
  ledger.record({ kind: 'process', pid, startTime: processStartTime(pid), label: 'vxlan_tool gateway' });
  gw = p;
  await p.ready;
  return p;
}

/** tcpdump on K's underlay into a pcap; returns a stop function. */
async function capture(file: string): Promise<() => Promise<void>> {
  const child = spawn('ip', ['netns', 'exec', NS.k, 'tcpdump', '-i', IF.k, '-U', '-n', '-s', '0', '-w', file, 'udp port 4789'], { stdio: ['ignore', 'ignore', 'pipe'] });
  ledger.record({ kind: 'process', pid: child.pid!, startTime: processStartTime(child.pid!), label: 'tcpdump' });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  if (!(await waitFor(() => err.includes('listening on'), 15_000))) throw new Error(`tcpdump did not start: ${err}`);
  await sleep(200);
  return async () => {
    await sleep(300);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGINT');
    await exited;
  };
}

test.serial('(a)(b)(c) ping and UDP between a client behind our encap and a kernel vxlan device; tshark decodes our frames', async (t) => {
  gw = await startGateway();
  const pcap = join(dir, 'underlay.pcap');
  const stopCapture = await capture(pcap);
  // make sure the capture is live before the measured traffic: one probe ping until it shows up
  const live = await waitFor(async () => {
    await nsExec(NS.c, ['ping', '-c', '1', '-W', '1', '10.77.0.2'], { timeoutMs: 5000 });
    return statSync(pcap).size > 24;
  }, 15_000, 200);
  t.true(live, 'tcpdump capture on the underlay is live');
  // ping: ARP + ICMP both ways through the tunnel
  const ping = await nsExec(NS.c, ['ping', '-c', '5', '-i', '0.2', '-W', '2', '10.77.0.2'], { timeoutMs: 20_000 });
  t.is(ping.code, 0, `ping through the tunnel: ${ping.stdout}${ping.stderr}`);
  t.regex(ping.stdout, /5 received/);
  // UDP: server in K (kernel side), client in C; echo back reversed
  const server = startUdpEcho(ledger, NS.k, '10.77.0.2', { echoes: 3, reply: 'reverse' });
  t.true(await server.ready(15_000), `udp echo server: ${server.output()}`);
  const client = await udpRoundTrips(NS.c, '10.77.0.2', server.port, ['hello-vxlan', 'x'.repeat(1000), 'rackvisor'],
    { recvTimeoutS: 5, timeoutMs: 20_000 });
  t.is(client.code, 0, client.stderr);
  t.deepEqual(client.stdout.trim().split('\n'), ['nalxv-olleh', 'x'.repeat(1000), 'rosivkcar']);
  await stopCapture();
  const st = await stopTool<GwStats>(gw);
  gw = undefined;
  t.truthy(st);
  t.true(st!.encap_ok >= 8, `encapsulated ${st!.encap_ok}`);
  t.true(st!.decap['ok']! >= 8, `decapsulated ${st!.decap['ok']}`);
  t.is(st!.decap['unknown_source'], 0);
  t.is(st!.decap['ip_checksum'], 0);
  // (c) what went over the underlay, decoded by tshark and by our own codec
  t.true(statSync(pcap).size > 24);
  const frames = readPcap(pcap);
  const pk = await tsharkJson(pcap);
  t.is(pk.length, frames.length);
  let ours = 0;
  let kernels = 0;
  pk.forEach((p, i) => {
    const l = p._source.layers;
    const text = JSON.stringify(l);
    t.false(text.includes('_ws.malformed'), `frame ${i}: malformed`);
    t.false(text.includes('_ws.expert.severity": "8388608'), `frame ${i}: expert error`); // PI_ERROR
    const vx = l['vxlan'] as Record<string, string> | undefined;
    t.truthy(vx, `frame ${i} decoded as VXLAN`);
    t.is(vx!['vxlan.vni'], String(VNI));
    t.is(vx!['vxlan.flags'], '0x0800');
    const ip = (Array.isArray(l['ip']) ? l['ip'][0] : l['ip']) as Record<string, string>;
    t.is(ip['ip.checksum.status'], '1', `frame ${i}: outer IPv4 checksum good`);
    if (ip['ip.src'] === OUR_IP) {
      ours++;
      t.is(ip['ip.ttl'], '64');
      const udp = (Array.isArray(l['udp']) ? l['udp'][0] : l['udp']) as Record<string, string>;
      const sport = Number(udp['udp.srcport']);
      t.true(sport >= 49152 && sport <= 65535);
      const d = decapsulate(frames[i]!, { localIp: KERNEL_IP, localMac: kernelMac });
      t.is(d.vni, VNI);
    } else {
      kernels++;
    }
  });
  t.log(`underlay: ${ours} frames from us, ${kernels} from the kernel; gateway ${JSON.stringify(st)}`);
  t.true(ours >= 8, `${ours} frames encapsulated by us on the wire`);
  t.true(kernels >= 8, `${kernels} frames encapsulated by the kernel on the wire`);
});

test.serial('(e) bad frames on the underlay are counted by reason and never reach the client', async (t) => {
  gw = await startGateway();
  // the inner frame: local experimental ethertype to another MAC, so nothing answers it
  const inner = new Uint8Array(60);
  inner.set([0x02, 0, 0, 0, 0, 0x77, 0x0a, 0, 0, 0, 0, 0x09, 0x88, 0xb5], 0);
  const good = (src = KERNEL_IP, vni = VNI) => encapsulate(inner, { srcMac: kernelMac, srcIp: src, dstMac: ourMac, dstIp: OUR_IP, vni, flowHash: 5 });
  const mut = (fn: (f: Uint8Array) => void) => { const f = good().slice(); fn(f); return f; };
  const bad: [string, Uint8Array][] = [
    ['truncated', good().slice(0, 47)],
    ['truncated', good().slice(0, 80)],
    ['flags', mut((f) => { f[42] = 0x00; })],
    ['flags', mut((f) => { f[42] = 0x0c; })],
    ['reserved', mut((f) => { f[43] = 0x80; })],
    ['unknown_vni', good(KERNEL_IP, vniFor(0x0999, 0))],
    ['unknown_source', fixIpChecksum(good('192.168.77.9'))],
    ['ip_checksum', mut((f) => { f[25]! ^= 0xff; })],
    ['udp_length', mut((f) => { f[39]! += 4; })],
    ['dst_mac', mut((f) => { f[0] = 0x02; f[5] = 0x99; })],
  ];
  const hex = bad.map(([, f]) => Buffer.from(f).toString('hex'));
  const inj = await nsExec(NS.k, ['/usr/bin/python3', '-c',
    `import socket,sys;s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW);s.bind(("${IF.k}",0))\n` +
    `for h in sys.argv[1:]:\n s.send(bytes.fromhex(h))`, ...hex]);
  t.is(inj.code, 0, inj.stderr);
  // and one good frame last, to know the gateway has processed the burst
  const inj2 = await nsExec(NS.k, ['/usr/bin/python3', '-c',
    `import socket,sys;s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW);s.bind(("${IF.k}",0));s.send(bytes.fromhex(sys.argv[1]))`,
    Buffer.from(good()).toString('hex')]);
  t.is(inj2.code, 0, inj2.stderr);
  await sleep(500);
  const st = await stopTool<GwStats>(gw);
  gw = undefined;
  t.truthy(st);
  const want: Record<string, number> = {};
  for (const [r] of bad) want[r] = (want[r] ?? 0) + 1;
  for (const [r, n] of Object.entries(want)) t.is(st!.decap[r], n, `counter ${r}`);
  t.log(`gateway: ${JSON.stringify(st)}`);
  const drops = Object.entries(st!.decap).filter(([k]) => k !== 'ok' && k !== 'not_vxlan').reduce((a, [, v]) => a + v, 0);
  t.is(drops, bad.length, 'every bad frame dropped, nothing else');
  t.true(st!.decap['ok']! >= 1, 'the good frame was decapsulated');
  t.is(st!.plain_tx, st!.decap['ok'], 'only decapsulated frames went to the client side');
});
