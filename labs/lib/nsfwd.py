#!/usr/bin/python3
"""Makes a TCP service of the root namespace's loopback reachable on the loopback of other network namespaces.

  nsfwd.py --port P --target-port T NETNS [NETNS ...]
One process: for each namespace it enters it (setns), binds 127.0.0.1:P there, returns to its own namespace, and then
forwards every connection accepted in any namespace to 127.0.0.1:T of its own (root) namespace. The lab uses it so
host agents inside h1..hN reach the lab's loopback-only ZooKeeper at 127.0.0.1:<port> without any address, route or
listener outside loopback. Stops on SIGTERM.
"""
import argparse, ctypes, os, selectors, signal, socket, sys

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL('libc.so.6', use_errno=True)

def setns(fd):
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--target-port', type=int, required=True)
    ap.add_argument('netns', nargs='+')
    a = ap.parse_args()
    home = os.open('/proc/self/ns/net', os.O_RDONLY)
    sel = selectors.DefaultSelector()
    for ns in a.netns:
        fd = os.open(f'/run/netns/{ns}', os.O_RDONLY)
        setns(fd)
        try:
            ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind(('127.0.0.1', a.port))
            ls.listen(64)
            ls.setblocking(False)
            sel.register(ls, selectors.EVENT_READ, ('listen', None))
        finally:
            setns(home)
            os.close(fd)
    print(f'forwarding 127.0.0.1:{a.port} in {", ".join(a.netns)} -> 127.0.0.1:{a.target_port}', flush=True)
    running = [True]
    signal.signal(signal.SIGTERM, lambda *_: running.__setitem__(0, False))
    signal.signal(signal.SIGINT, lambda *_: running.__setitem__(0, False))

    def close_pair(s, peer):
        for x in (s, peer):
            try:
                sel.unregister(x)
            except (KeyError, ValueError):
                pass
            x.close()

    while running[0]:
        for key, _ in sel.select(timeout=0.5):
            kind, peer = key.data
            s = key.fileobj
            if kind == 'listen':
                try:
                    c, _ = s.accept()
                except BlockingIOError:
                    continue
                up = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                try:
                    up.connect(('127.0.0.1', a.target_port))
                except OSError:
                    c.close(); up.close(); continue
                for x in (c, up):
                    x.setblocking(False)
                    x.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sel.register(c, selectors.EVENT_READ, ('pipe', up))
                sel.register(up, selectors.EVENT_READ, ('pipe', c))
            else:
                try:
                    d = s.recv(65536)
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    d = b''
                if not d:
                    close_pair(s, peer)
                    continue
                try:
                    peer.setblocking(True)
                    peer.sendall(d)
                    peer.setblocking(False)
                except OSError:
                    close_pair(s, peer)

if __name__ == '__main__':
    main()
