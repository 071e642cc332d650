#!/usr/bin/python3
"""Bounded UDP traffic for the lab demo and the end-to-end tests (runs inside a lab namespace).

  udp.py sink   --bind IP --ports 7000,9999 --out FILE --seconds S
      counts datagrams per destination port and per flow (source port), rewrites FILE (JSON) every 0.2 s
      and at exit: {"t": ..., "total": n, "ports": {"7000": n}, "flows": {"40001": n}, "last": {"40001": seq}}
  udp.py source --dst IP --port P --pps R --seconds S [--flows F] [--sport-base B] [--every-port Q:N] [--src-ips A,B] --out FILE
      sends R datagrams/s (0 = as fast as it can) for S seconds, round-robin over F flows (source ports B..B+F-1);
      --every-port 9999:10 sends every 10th datagram to port 9999 instead; rewrites FILE every 0.2 s and at exit:
      {"t": ..., "sent": n, "ports": {"7000": n}, "flows": {"40001": n}, "done": bool}
Stops by itself after --seconds (bounded in time and count); SIGTERM stops it early (FILE is written).
"""
import argparse, json, os, select, signal, socket, struct, sys, time

stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)

def dump(path, obj):
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f)
    os.replace(tmp, path)

def sink(a):
    socks = []
    for p in [int(x) for x in a.ports.split(',')]:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.bind((a.bind, p))
        s.setblocking(False)
        socks.append((s, p))
    ports = {str(p): 0 for _, p in socks}
    flows, last = {}, {}
    total = 0
    end = time.time() + a.seconds
    next_dump = 0
    while not stop and time.time() < end:
        r, _, _ = select.select([s for s, _ in socks], [], [], 0.1)
        for s, p in socks:
            if s not in r:
                continue
            while True:
                try:
                    d, addr = s.recvfrom(2048)
                except BlockingIOError:
                    break
                total += 1
                ports[str(p)] += 1
                k = str(addr[1])
                flows[k] = flows.get(k, 0) + 1
                if len(d) >= 8:
                    last[k] = struct.unpack('!Q', d[:8])[0]
        now = time.time()
        if now >= next_dump:
            dump(a.out, {'t': now, 'total': total, 'ports': ports, 'flows': flows, 'last': last})
            next_dump = now + 0.2
    dump(a.out, {'t': time.time(), 'total': total, 'ports': ports, 'flows': flows, 'last': last, 'done': True})

def source(a):
    socks = []
    ips = [x for x in a.src_ips.split(',') if x] or ['']
    for i in range(a.flows):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((ips[i % len(ips)], a.sport_base + i))
        socks.append(s)
    every = None
    if a.every_port:
        q, n = a.every_port.split(':')
        every = (int(q), int(n))
    ports, flows = {}, {}
    sent = 0
    t0 = time.time()
    end = t0 + a.seconds
    next_dump = 0
    pad = b'x' * max(0, a.size - 8)
    while not stop:
        now = time.time()
        if now >= end:
            break
        if a.pps > 0:
            due = int((now - t0) * a.pps) + 1
            if sent >= due:
                time.sleep(min(0.002, max(0.0, (sent + 1) / a.pps - (now - t0))))
                continue
        i = sent % a.flows
        port = every[0] if every and sent % every[1] == every[1] - 1 else a.port
        try:
            socks[i].sendto(struct.pack('!Q', sent) + pad, (a.dst, port))
        except OSError:
            time.sleep(0.001)
            continue
        sent += 1
        ports[str(port)] = ports.get(str(port), 0) + 1
        k = str(a.sport_base + i)
        flows[k] = flows.get(k, 0) + 1
        if now >= next_dump:
            dump(a.out, {'t': now, 'sent': sent, 'ports': ports, 'flows': flows, 'done': False})
            next_dump = now + 0.2
    dump(a.out, {'t': time.time(), 'sent': sent, 'ports': ports, 'flows': flows, 'done': True})

def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest='cmd', required=True)
    k = sub.add_parser('sink')
    k.add_argument('--bind', required=True)
    k.add_argument('--ports', required=True)
    k.add_argument('--out', required=True)
    k.add_argument('--seconds', type=float, required=True)
    s = sub.add_parser('source')
    s.add_argument('--dst', required=True)
    s.add_argument('--port', type=int, required=True)
    s.add_argument('--pps', type=float, required=True)
    s.add_argument('--seconds', type=float, required=True)
    s.add_argument('--flows', type=int, default=1)
    s.add_argument('--sport-base', type=int, default=40001)
    s.add_argument('--every-port', default='')
    s.add_argument('--src-ips', default='', help='comma-separated source addresses, flow i uses address i mod n')
    s.add_argument('--size', type=int, default=64)
    s.add_argument('--out', required=True)
    a = ap.parse_args()
    if a.cmd == 'sink':
        if a.seconds <= 0 or a.seconds > 86400:
            sys.exit('--seconds must be within (0, 86400]')
        sink(a)
    else:
        if a.seconds <= 0 or a.seconds > 86400 or a.pps < 0 or a.flows < 1:
            sys.exit('--seconds within (0, 86400], --pps >= 0, --flows >= 1')
        source(a)

if __name__ == '__main__':
    main()
