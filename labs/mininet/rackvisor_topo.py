#!/usr/bin/python3
"""rackvisor Mininet topology: a single ToR (Open vSwitch, userspace datapath) with N hosts, controlled by a
remote rackvisor controller over OpenFlow 1.3.

Safety on a shared machine (see labs/mininet/README.md):
  * never runs Mininet's global cleanup (`mn -c` kills processes by name and deletes every OVS bridge);
    teardown stops only the nodes, links and the bridge this script created, also on errors and signals;
  * never touches the system Open vSwitch: ovs-vsctl/ovs-ofctl are pointed at a private instance, either one
    given with --ovs-rundir (e.g. started by labs/lib/ovs.ts) or one this script starts with --private-ovs
    (its own ovsdb-server + ovs-vswitchd in a temp dir, killed by PID on exit);
  * skips Mininet's system-wide sysctl tuning (Mininet.init / fixLimits);
  * unique node names (--prefix), so interfaces never collide with other labs.

Output: progress on stderr, one JSON object on stdout at the end (results of --ping / --iperf).
Run with /usr/bin/python3 (the Debian Mininet modules).
"""
import argparse
import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time


def log(msg):
    sys.stderr.write('[rackvisor-mininet] %s\n' % msg)
    sys.stderr.flush()


class PrivateOvs(object):
    """ovsdb-server + ovs-vswitchd (--enable-dummy) in a private directory; stop() kills exactly those PIDs."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='rv-mn-ovs-')
        self.procs = []

    def env(self):
        return {'OVS_RUNDIR': self.dir, 'OVS_DBDIR': self.dir, 'OVS_LOGDIR': self.dir,
                'OVS_SYSCONFDIR': self.dir, 'OVS_PKGDATADIR': '/usr/share/openvswitch'}

    def start(self):
        env = dict(os.environ, **self.env())
        db = os.path.join(self.dir, 'conf.db')
        sock = os.path.join(self.dir, 'db.sock')
        subprocess.check_call(['ovsdb-tool', 'create', db, '/usr/share/openvswitch/vswitch.ovsschema'], env=env)
        self.procs.append(subprocess.Popen(
            ['ovsdb-server', db, '--remote=punix:' + sock, '--unixctl=' + os.path.join(self.dir, 'ovsdb-server.ctl'),
             '--log-file=' + os.path.join(self.dir, 'ovsdb-server.log')], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        subprocess.check_call(['ovs-vsctl', '--db=unix:' + sock, '--no-wait', 'init'], env=env)
        self.procs.append(subprocess.Popen(
            ['ovs-vswitchd', 'unix:' + sock, '--enable-dummy', '--unixctl=' + os.path.join(self.dir, 'ovs-vswitchd.ctl'),
             '--log-file=' + os.path.join(self.dir, 'ovs-vswitchd.log')], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        for _ in range(200):
            if os.path.exists(os.path.join(self.dir, 'ovs-vswitchd.ctl')):
                break
            time.sleep(0.05)
        subprocess.check_call(['ovs-vsctl', '--db=unix:' + sock, '--timeout=10', 'set', 'Open_vSwitch', '.',
                               'external_ids:rackvisor-mininet=1'], env=env)
        log('private OVS in %s (pids %s)' % (self.dir, ' '.join(str(p.pid) for p in self.procs)))

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)
        self.procs = []
        shutil.rmtree(self.dir, ignore_errors=True)


def parse_args(argv):
    ap = argparse.ArgumentParser(description='rackvisor: single-ToR Mininet topology with a remote rackvisor controller '
                                             '(own teardown, private OVS; never runs mn -c)')
    ap.add_argument('--controller', default='127.0.0.1:6653', help='HOST:PORT of the rackvisor OpenFlow controller')
    ap.add_argument('--hosts', type=int, default=2, help='number of hosts on the ToR (default 2)')
    ap.add_argument('--prefix', default='rvm', help='name prefix of nodes (≤ 8 chars, keeps interface names unique)')
    ap.add_argument('--dpid', default=None, help='datapath id of the ToR (16 hex digits)')
    ovs = ap.add_mutually_exclusive_group(required=True)
    ovs.add_argument('--ovs-rundir', help='OVS_RUNDIR of a running private OVS (e.g. labs/lib/ovs.ts startOvs().dir)')
    ovs.add_argument('--private-ovs', action='store_true', help='start (and stop) a private OVS for this run')
    ap.add_argument('--datapath', choices=['dummy', 'user'], default='dummy',
                    help="userspace datapath type: 'dummy' (default; dpif-netdev without kernel taps, safe next to other "
                         "private OVS instances) or 'user' (Mininet's datapath=user = netdev, creates the ovs-netdev tap)")
    ap.add_argument('--ping', action='store_true', help='ping every host pair and report loss')
    ap.add_argument('--ping-count', type=int, default=3)
    ap.add_argument('--iperf', action='store_true', help='UDP/TCP iperf3 from the first to the last host (5 s)')
    ap.add_argument('--duration', type=float, default=0, help='keep the topology up this many seconds before teardown')
    ap.add_argument('--cli', action='store_true', help='open the Mininet CLI (interactive) before teardown')
    ap.add_argument('--connect-timeout', type=float, default=20, help='seconds to wait for the switch to connect')
    ap.add_argument('--demo', action='store_true',
                    help='demo roles instead of N plain hosts: <prefix>c1 (client, 10.0.0.1, port 1), <prefix>s1 (server, '
                         '10.0.0.2, port 2), <prefix>h1 / <prefix>h2 (rack hosts for host agents, ports 3/4)')
    ap.add_argument('--hold', metavar='FILE',
                    help='after setup write the topology (node PIDs, interfaces, MACs, ports) as JSON to FILE and keep '
                         'everything up until FILE is deleted (or SIGTERM); then tear down')
    a = ap.parse_args(argv)
    if not re.match(r'^[a-z][a-z0-9]{0,7}$', a.prefix):
        ap.error('--prefix: 1-8 lowercase letters/digits, starting with a letter')
    if a.hosts < 1 or a.hosts > 64:
        ap.error('--hosts: 1..64')
    return a


def main(argv):
    a = parse_args(argv)
    private = None
    if a.private_ovs:
        private = PrivateOvs()
        atexit.register(private.stop)
        private.start()
        os.environ.update(private.env())
    else:
        rundir = os.path.abspath(a.ovs_rundir)
        if not os.path.exists(os.path.join(rundir, 'db.sock')):
            raise SystemExit('no OVS database socket in %s' % rundir)
        os.environ.update({'OVS_RUNDIR': rundir, 'OVS_DBDIR': rundir, 'OVS_LOGDIR': rundir, 'OVS_SYSCONFDIR': rundir})
    # Every ovs-vsctl / ovs-ofctl Mininet runs (also in node shells, which inherit the environment) now talks to
    # the private OVS: OVS_RUNDIR decides the default database and bridge management sockets.

    from mininet.net import Mininet
    from mininet.node import OVSSwitch, RemoteController
    from mininet.log import setLogLevel

    setLogLevel('warning')
    Mininet.inited = True  # skip Mininet.init(): no system-wide sysctl/rlimit changes

    datapath = a.datapath

    class RvSwitch(OVSSwitch):
        """OVSSwitch on the userspace datapath; 'dummy' variant sets datapath_type=dummy instead of netdev."""

        def bridgeOpts(self):
            opts = OVSSwitch.bridgeOpts(self)
            if datapath == 'dummy':
                opts = opts.replace('datapath_type=netdev', 'datapath_type=dummy')
            return opts

        def stop(self, deleteIntfs=True):
            # OVSSwitch.stop would `ip link del <name>` for the user datapath (the netdev tap); with dummy there is
            # no such link, and we never delete a link we did not create.
            self.cmd('ovs-vsctl --if-exists del-br', self)
            if datapath == 'user':
                self.cmd('ip link del', self)
            super(OVSSwitch, self).stop(deleteIntfs)

    host, port = a.controller.rsplit(':', 1)
    p = a.prefix
    dpid = a.dpid or ('%016x' % (0x5256000000 + (sum(ord(c) for c in p) << 8) + a.hosts))
    net = Mininet(topo=None, build=False, controller=None, cleanup=False, autoSetMacs=False, waitConnected=False)
    result = {'prefix': p, 'dpid': dpid, 'hosts': [], 'switch': p + 's1', 'controller': a.controller, 'datapath': datapath}
    if private:
        result['private_ovs'] = {'dir': private.dir, 'pids': [pr.pid for pr in private.procs]}
    stopped = {'done': False}

    def teardown(*_args):
        if stopped['done']:
            return
        stopped['done'] = True
        log('teardown: stopping our %d hosts, links and bridge %s' % (len(net.hosts), p + 's1'))
        try:
            net.stop()
        except Exception as e:  # pylint: disable=broad-except
            log('teardown error: %s' % e)
        if private:
            private.stop()

    def on_signal(signum, _frame):
        teardown()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        c0 = net.addController(p + 'c0', controller=RemoteController, ip=host, port=int(port))
        sw = net.addSwitch(p + 's1', cls=RvSwitch, dpid=dpid, protocols='OpenFlow13', failMode='secure', datapath='user')
        if a.demo:
            roles = [('c1', '10.0.0.1/24'), ('s1', '10.0.0.2/24'), ('h1', '192.168.53.1/24'), ('h2', '192.168.53.2/24')]
        else:
            roles = [('h%d' % i, '10.0.0.%d/24' % i) for i in range(1, a.hosts + 1)]
        for i, (role, ip) in enumerate(roles, start=1):
            h = net.addHost(p + role, ip=ip, mac='02:00:00:00:%02x:%02x' % (0x10, i))
            net.addLink(h, sw, port2=i)
            result['hosts'].append({'name': h.name, 'role': role, 'ip': ip.split('/')[0], 'mac': h.MAC(), 'port': i})
        net.build()
        net.start()
        del c0
        # wait for the switch to connect to the controller
        deadline = time.time() + a.connect_timeout
        connected = False
        while time.time() < deadline:
            if sw.connected():
                connected = True
                break
            time.sleep(0.1)
        result['connected'] = connected
        log('switch %s (dpid %s, datapath %s) %s to %s' % (sw.name, dpid, datapath, 'connected' if connected else 'NOT connected', a.controller))
        for h in net.hosts:
            # userspace forwarders drop partial checksums (DESIGN.md field notes): both ends of every link
            h.cmd('ethtool -K %s tx off >/dev/null 2>&1' % h.defaultIntf())
            h.cmd('sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1')
        for intf in sw.intfList():
            if intf.name != 'lo':
                sw.cmd('ethtool -K %s tx off >/dev/null 2>&1' % intf.name)
        for h, info in zip(net.hosts, result['hosts']):
            info['pid'] = h.pid
            info['intf'] = h.defaultIntf().name
        if a.ping and connected:
            pings = []
            for src in net.hosts:
                for dst in net.hosts:
                    if src is dst:
                        continue
                    t0 = time.time()
                    out = src.cmd('ping -c %d -i 0.2 -W 1 %s' % (a.ping_count, dst.IP()))
                    m = re.search(r'(\d+) packets transmitted, (\d+) received', out)
                    rtt = re.search(r'= [\d.]+/([\d.]+)/', out)
                    pings.append({'src': src.name, 'dst': dst.name, 'sent': int(m.group(1)) if m else 0,
                                  'received': int(m.group(2)) if m else 0, 'avg_rtt_ms': float(rtt.group(1)) if rtt else None,
                                  'seconds': round(time.time() - t0, 3)})
            result['ping'] = pings
        if a.iperf and connected and len(net.hosts) >= 2:
            srv, cli = net.hosts[-1], net.hosts[0]
            srv.cmd('iperf3 -s -1 -D --logfile /dev/null')
            time.sleep(0.5)
            out = cli.cmd('timeout 15 iperf3 -c %s -t 5 -J' % srv.IP())
            try:
                j = json.loads(out[out.index('{'):])
                result['iperf_bps'] = j['end']['sum_received']['bits_per_second']
            except (ValueError, KeyError) as e:
                result['iperf_error'] = str(e)
            srv.cmd('kill %iperf3 2>/dev/null')
        result['flows'] = sw.cmd('ovs-ofctl -O OpenFlow13 dump-flows %s' % sw.name).strip().split('\n')
        if a.hold:
            with open(a.hold + '.tmp', 'w') as f:
                json.dump(result, f)
            os.rename(a.hold + '.tmp', a.hold)
            log('holding until %s is deleted' % a.hold)
            while os.path.exists(a.hold):
                time.sleep(0.2)
        if a.duration > 0:
            log('up for %.0f s' % a.duration)
            time.sleep(a.duration)
        if a.cli:
            from mininet.cli import CLI
            CLI(net)
    finally:
        teardown()
    sys.stdout.write(json.dumps(result) + '\n')
    return 0 if result.get('connected') else 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
