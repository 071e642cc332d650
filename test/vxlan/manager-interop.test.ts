// The host manager (native addon, DPDK primary, net_af_packet ports) speaking VXLAN with a Linux
// kernel vxlan device, on the wire:
//
//   ns C (client 10.77.0.1) ─veth─ [manager port 1]                     [manager port 0 = uplink] ─veth─ ns K
//   path 1 = [service 1 @ kernel host]: client frames are classified, encapsulated with VNI (1,0) and
//            sent to K, whose metadata-mode vxlan device decapsulates them (10.77.0.2 answers);
//   K's replies are routed with `encap ip id <VNI (2,0)>`: the manager decapsulates them, continues
//            path 2 = [service 2 = a native monitor NF here] and sends them out of port 1 to C.
// So (a) our encapsulation is accepted by the kernel, (b) the kernel's is accepted by the manager,
// (c) tshark decodes both directions on K's underlay with the expected VNIs.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Ledger } from '../../labs/lib/ledger.js';
import { createNetns, createVeth, nsExec, addAddress, txChecksumOff, linkMac } from '../../labs/lib/netns.js';
import { processStartTime } from '../../labs/lib/proc.js';
import { startUdpEcho, udpRoundTrips } from '../support/udp.js';
import { run, sleep, waitFor } from '../../labs/lib/exec.js';
import { DataplaneManager, NF_BIN_DIR } from '../../native/index.js';
import { tsharkJson, readPcap, fixIpChecksum } from './helpers.js';
import { decapsulate, encapsulate, vniFor } from '../../vxlan/index.js';

const sfx = randomBytes(2).toString('hex');
const NS = { c: `rvt-${sfx}-mc`, k: `rvt-${sfx}-mk` };
const IF = { up: `rv${sfx}mu`, k: `rv${sfx}mk`, cl: `rv${sfx}mc`, c: `rv${sfx}c`, vx: `rv${sfx}vx` };
const OUR_IP = '192.168.79.1';
const KERNEL_IP = '192.168.79.2';
const VNI_OUT = vniFor(1, 0);
const VNI_BACK = vniFor(2, 0);
const dir = mkdtempSync(join(tmpdir(), 'rvt-vxm-'));
const ledger = Ledger.open(join(dir, 'ledger.json'));
let m: DataplaneManager | undefined;
let nf: ChildProcess | undefined;

async function must(ns: string, cmd: string[]): Promise<string> {
  const r = await nsExec(ns, cmd);
  if (r.code !== 0) throw new Error(`${ns}: ${cmd.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

test.before(async () => {
  for (const ns of Object.values(NS)) {
    await createNetns(ns, ledger);
    await must(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
    await must(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  // the manager's two ports are veth ends in this (root) namespace
  await createVeth({ name: IF.up }, { name: IF.k, netns: NS.k }, ledger);
  await createVeth({ name: IF.cl }, { name: IF.c, netns: NS.c }, ledger);
  for (const dev of [IF.up, IF.cl]) {
    await run('sysctl', ['-q', '-w', `net.ipv6.conf.${dev}.disable_ipv6=1`]);
    await txChecksumOff(dev);
  }
  const ourMac = await linkMac(IF.up);
  const kernelMac = await linkMac(IF.k, NS.k);
  const clientMac = await linkMac(IF.c, NS.c);
  // client
  await must(NS.c, ['ip', 'link', 'set', IF.c, 'mtu', '1450']);
  await addAddress(IF.c, '10.77.0.1/24', NS.c);
  await txChecksumOff(IF.c, NS.c);
  // kernel host: underlay + metadata-mode (external) vxlan device: accepts any VNI, sends with the
  // VNI of the route (lightweight tunnel encap)
  await addAddress(IF.k, `${KERNEL_IP}/24`, NS.k);
  await txChecksumOff(IF.k, NS.k);
  await must(NS.k, ['ip', 'neigh', 'replace', OUR_IP, 'lladdr', ourMac, 'dev', IF.k, 'nud', 'permanent']);
  await must(NS.k, ['ip', 'link', 'add', IF.vx, 'type', 'vxlan', 'external', 'dstport', '4789']);
  await must(NS.k, ['ip', 'link', 'set', IF.vx, 'mtu', '1450', 'up']);
  await must(NS.k, ['ip', 'addr', 'add', '10.77.0.2/32', 'dev', IF.vx]);
  await must(NS.k, ['ip', 'route', 'add', '10.77.0.1/32', 'encap', 'ip', 'id', String(VNI_BACK), 'dst', OUR_IP, 'dev', IF.vx]);
  await must(NS.k, ['ip', 'neigh', 'replace', '10.77.0.1', 'lladdr', clientMac, 'dev', IF.vx, 'nud', 'permanent']);
  await txChecksumOff(IF.vx, NS.k);
  const vxMac = await linkMac(IF.vx, NS.k);
  await must(NS.c, ['ip', 'neigh', 'replace', '10.77.0.2', 'lladdr', vxMac, 'dev', IF.c, 'nud', 'permanent']);

  // the manager
  const prefix = `rvt-vxm-${sfx}`;
  ledger.record({ kind: 'dir', path: `/var/run/dpdk/${prefix}` });
  m = await DataplaneManager.start({
    filePrefix: prefix, ports: [`net_af_packet0,iface=${IF.up}`, `net_af_packet1,iface=${IF.cl}`],
    hugepages: { sizeMb: 256 }, heartbeatTimeoutMs: 2000, pollMs: 20,
  });
  const clientPort = m.portId('net_af_packet1');
  m.native.setVxlanLocal(ourMac, OUR_IP);
  t0Check(m.native.setTunnel(KERNEL_IP, kernelMac) === 0, 'setTunnel');
  t0Check(m.native.setRemoteService(1, true, kernelMac, KERNEL_IP) === 0, 'setRemoteService');
  m.createInstance(2, 2, 'monitor');
  nf = spawn(join(NF_BIN_DIR(), 'monitor'), [...m.nfEalArgs(), '--', '--instance', '2'], { stdio: 'ignore' });
  // A spawn failure (e.g. the binary being relinked) must fail this hook, not crash the process before teardown.
  await new Promise<void>((resolve, reject) => { nf!.once('spawn', resolve); nf!.once('error', reject); });
  ledger.record({ kind: 'process', pid: nf.pid!, startTime: processStartTime(nf.pid!), label: 'monitor NF' });
  nf.on('exit', () => m?.instanceExited(2));
  await m.waitState(2, 'running', 20000);
  m.setPath(1, [1]);
  m.setPath(2, [2], clientPort);
  m.setDefaultPath(1);
});

function t0Check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`${what} failed`);
}

test.after.always(async () => {
  if (m && nf && nf.exitCode === null) {
    m.stopInstance(2);
    await waitFor(() => nf!.exitCode !== null, 5000);
    if (nf.exitCode === null) nf.kill('SIGKILL');
    await sleep(100);
  }
  if (m) await m.stop();
  await ledger.teardown();
  rmSync(dir, { recursive: true, force: true });
});

test.serial('manager ⇄ kernel vxlan: ping and UDP through the manager\'s encap and decap; tshark sees both VNIs', async (t) => {
  const mgr = m!;
  const pcap = join(dir, 'underlay.pcap');
  const cap = spawn('ip', ['netns', 'exec', NS.k, 'tcpdump', '-i', IF.k, '-U', '-n', '-s', '0', '-w', pcap, 'udp port 4789'], { stdio: ['ignore', 'ignore', 'pipe'] });
  ledger.record({ kind: 'process', pid: cap.pid!, startTime: processStartTime(cap.pid!), label: 'tcpdump' });
  let capErr = '';
  cap.stderr!.on('data', (d: Buffer) => { capErr += d.toString(); });
  t.true(await waitFor(() => capErr.includes('listening on'), 15_000), `tcpdump: ${capErr}`);
  t.true(await waitFor(async () => {
    await nsExec(NS.c, ['ping', '-c', '1', '-W', '1', '10.77.0.2'], { timeoutMs: 5000 });
    return statSync(pcap).size > 24;
  }, 15_000, 200), 'capture live');

  const ping = await nsExec(NS.c, ['ping', '-c', '5', '-i', '0.2', '-W', '2', '10.77.0.2'], { timeoutMs: 20_000 });
  t.is(ping.code, 0, `ping through the manager: ${ping.stdout}${ping.stderr}`);
  t.regex(ping.stdout, /5 received/);
  const server = startUdpEcho(ledger, NS.k, '10.77.0.2', { echoes: 2, reply: 'upper' });
  t.true(await server.ready(15_000), `udp echo server: ${server.output()}`);
  const client = await udpRoundTrips(NS.c, '10.77.0.2', server.port, ['through the manager', 'z'.repeat(1200)],
    { recvTimeoutS: 5, timeoutMs: 20_000 });
  t.is(client.code, 0, client.stderr);
  t.deepEqual(client.stdout.trim().split('\n'), ['THROUGH THE MANAGER', 'Z'.repeat(1200)]);
  await sleep(300);
  const exited = new Promise<void>((r) => cap.once('exit', () => r()));
  cap.kill('SIGINT');
  await exited;

  const st = mgr.stats();
  t.log(`manager vxlan: ${JSON.stringify(st.vxlan)}; drops ${JSON.stringify(st.drops)}`);
  t.true(st.vxlan.encapOk >= 7, `encapsulated ${st.vxlan.encapOk}`);
  t.true((st.vxlan.decap['ok'] ?? 0) >= 7, `decapsulated ${st.vxlan.decap['ok']}`);
  const mon = st.nfs.find((n) => n.instance === 2)!;
  t.true(mon.rx >= 7, `monitor NF (path 2) saw ${mon.rx} decapsulated frames`);

  const frames = readPcap(pcap);
  const pk = await tsharkJson(pcap);
  let out = 0;
  let back = 0;
  pk.forEach((p, i) => {
    const l = p._source.layers;
    t.false(JSON.stringify(l).includes('_ws.malformed'), `frame ${i} malformed`);
    const vx = l['vxlan'] as Record<string, string>;
    const ip = (Array.isArray(l['ip']) ? l['ip'][0] : l['ip']) as Record<string, string>;
    t.is(ip['ip.checksum.status'], '1');
    if (ip['ip.src'] === OUR_IP) {
      out++;
      t.is(vx['vxlan.vni'], String(VNI_OUT));
      t.is(decapsulate(frames[i]!, { localIp: KERNEL_IP }).vni, VNI_OUT);
    } else {
      back++;
      t.is(vx['vxlan.vni'], String(VNI_BACK));
    }
  });
  t.true(out >= 7 && back >= 7, `on the wire: ${out} from the manager, ${back} from the kernel`);
});

test.serial('manager: bad VXLAN frames on the uplink are counted by reason, dropped, and never reach the client', async (t) => {
  const mgr = m!;
  const ourMac = await linkMac(IF.up);
  const kernelMac = await linkMac(IF.k, NS.k);
  const inner = Buffer.alloc(60);
  inner.set([0x02, 0, 0, 0, 0, 0x99], 0); inner.set([0x02, 0, 0, 0, 0, 0x98], 6); inner.writeUInt16BE(0x0806, 12);
  const good = (src = KERNEL_IP, vni = VNI_BACK) => encapsulate(inner, { srcMac: kernelMac, srcIp: src, dstMac: ourMac, dstIp: OUR_IP, vni, flowHash: 3 });
  const mut = (fn: (f: Uint8Array) => void) => { const f = good().slice(); fn(f); return f; };
  const bad: [string, Uint8Array][] = [
    ['truncated', good().slice(0, 46)],
    ['flags', mut((f) => { f[42] = 0x00; })],
    ['reserved', mut((f) => { f[49] = 0x01; })],
    ['unknown_vni', good(KERNEL_IP, vniFor(0x0777, 0))],
    ['unknown_source', fixIpChecksum(good('192.168.79.77'))],
    ['ip_checksum', mut((f) => { f[24]! ^= 0x40; })],
  ];
  const before = mgr.stats();
  const clientRx = async () => Number((JSON.parse(await must(NS.c, ['ip', '-s', '-j', 'link', 'show', 'dev', IF.c])) as { stats64: { rx: { packets: number } } }[])[0]!.stats64.rx.packets);
  const rx0 = await clientRx();
  const inj = await nsExec(NS.k, ['/usr/bin/python3', '-c',
    `import socket,sys;s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW);s.bind(("${IF.k}",0))\nfor h in sys.argv[1:]:\n s.send(bytes.fromhex(h))`,
    ...bad.map(([, f]) => Buffer.from(f).toString('hex'))]);
  t.is(inj.code, 0, inj.stderr);
  const after = await mgr.waitFor((s) => s.drops['vxlan']! - before.drops['vxlan']! >= bad.length, 5000, 'vxlan drops counted');
  const want: Record<string, number> = {};
  for (const [r] of bad) want[r] = (want[r] ?? 0) + 1;
  for (const [r, n] of Object.entries(want)) t.is(after.vxlan.decap[r]! - before.vxlan.decap[r]!, n, `manager counter ${r}`);
  t.is(after.drops['vxlan']! - before.drops['vxlan']!, bad.length);
  t.is(after.vxlan.decap['ok'], before.vxlan.decap['ok'], 'nothing decapsulated');
  await sleep(200);
  t.is(await clientRx(), rx0, 'nothing reached the client');
});
