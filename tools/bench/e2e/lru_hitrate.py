#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# lru_hitrate.py - the hit rate of baton-kvd's approximated LRU against
# redis-server's, as a cache under the same maxmemory and allkeys-lru,
# fed the same skewed stream of keys (by default 80 % of the accesses go
# to 20 % of the keys).
"""Compare the LRU hit rates of baton-kvd and redis-server.

Each server is started on a free loopback port with the same maxmemory,
allkeys-lru and maxmemory-samples, then used as a cache-aside store:
GET the key, and SET it when the GET misses.  A warm-up pass fills the
cache; the hit rate is measured over the pass that follows.  Both get
the same seeded stream.  As the two count memory differently (kvd counts
what its keyspace asks of malloc; Redis counts every allocation, with its
own per-key overheads), the same limit holds a different number of keys:
so each server's rate is printed next to that of an exact LRU cache
holding as many keys as the server held at the end, replayed here.

A benchmark, never a test: it prints figures and fails only when a
server cannot be started or answers wrongly.
"""

import argparse
import collections
import os
import random
import shutil
import socket
import subprocess
import sys
import time


def reply(sock, buf):
    """Read one reply: returns (kind, value, rest of the buffer)."""
    while b'\r\n' not in buf:
        buf += recv(sock)
    line, buf = buf.split(b'\r\n', 1)
    kind = line[:1]
    if kind == b'$':
        n = int(line[1:])
        if n < 0:
            return b'$', None, buf
        while len(buf) < n + 2:
            buf += recv(sock)
        return b'$', buf[:n], buf[n + 2:]
    if kind == b'-':
        raise RuntimeError('server error: %r' % line)
    return kind, line[1:], buf


def recv(sock):
    data = sock.recv(1 << 20)
    if not data:
        raise RuntimeError('the server closed the connection')
    return data


def command(*args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)


class Server:
    """A server process on a free port, stopped on exit."""

    def __init__(self, argv_for_port, logpath):
        self.proc = None
        for _ in range(20):
            self.port = random.randint(40000, 49999)
            log = open(logpath, 'w')
            self.proc = subprocess.Popen(argv_for_port(self.port),
                                         stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
            log.close()
            if self.wait_ready():
                return
            self.stop()
        raise RuntimeError('could not start %s' % argv_for_port(0)[0])

    def wait_ready(self):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with socket.create_connection(('127.0.0.1', self.port),
                                              timeout=1) as s:
                    s.sendall(command('PING'))
                    if s.recv(16) == b'+PONG\r\n':
                        return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def stream(seed, n, keys, hot_frac, hot_share):
    """@n key numbers: @hot_share of them among the first @hot_frac of
    the keys, the rest among the others."""
    rng = random.Random(seed)
    hot = max(1, int(keys * hot_frac))
    out = []
    for _ in range(n):
        if rng.random() < hot_share:
            out.append(rng.randrange(hot))
        else:
            out.append(hot + rng.randrange(keys - hot))
    return out


def run_cache(port, seq, value, batch):
    """Cache-aside over @seq; return the hits of each element."""
    hits = []
    with socket.create_connection(('127.0.0.1', port), timeout=60) as s:
        buf = b''
        for i in range(0, len(seq), batch):
            part = seq[i:i + batch]
            s.sendall(b''.join(command('GET', 'key:%d' % k) for k in part))
            missed = []
            for k in part:
                _, v, buf = reply(s, buf)
                hits.append(v is not None)
                if v is None:
                    missed.append(k)
            if missed:
                s.sendall(b''.join(command('SET', 'key:%d' % k, value)
                                   for k in missed))
                for _ in missed:
                    _, v, buf = reply(s, buf)
        s.sendall(command('DBSIZE'))
        _, n, buf = reply(s, buf)
    return hits, int(n)


def exact_lru(seq, capacity):
    """The hits of an exact LRU cache of @capacity keys over @seq."""
    cache = collections.OrderedDict()
    hits = []
    for k in seq:
        if k in cache:
            cache.move_to_end(k)
            hits.append(True)
            continue
        hits.append(False)
        cache[k] = True
        if len(cache) > capacity:
            cache.popitem(last=False)
    return hits


def rate(hits):
    return 100.0 * sum(hits) / len(hits) if hits else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('-k', '--kvd', required=True, help='the baton-kvd binary')
    ap.add_argument('-o', '--outdir', default='.', help='server logs go here')
    ap.add_argument('--maxmemory', default='8mb')
    ap.add_argument('--samples', type=int, default=5)
    ap.add_argument('--keys', type=int, default=100000)
    ap.add_argument('--hot-keys', type=float, default=0.2,
                    help='the hot fraction of the keys (0.2)')
    ap.add_argument('--hot-share', type=float, default=0.8,
                    help='the share of accesses that go to them (0.8)')
    ap.add_argument('--ops', type=int, default=1000000,
                    help='measured accesses (after as many of warm-up)')
    ap.add_argument('--value', type=int, default=100, help='value bytes')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('-q', '--quick', action='store_true',
                    help='20000 accesses on 20000 keys under 2mb: a smoke run')
    a = ap.parse_args()
    if a.quick:
        a.ops, a.keys, a.maxmemory = 20000, 20000, '2mb'
    redis = shutil.which('redis-server')
    os.makedirs(a.outdir, exist_ok=True)

    seq = stream(a.seed, 2 * a.ops, a.keys, a.hot_keys, a.hot_share)
    value = b'x' * a.value
    common = ['--maxmemory', a.maxmemory, '--maxmemory-policy', 'allkeys-lru',
              '--maxmemory-samples', str(a.samples)]
    servers = [('baton-kvd', lambda p: [a.kvd, '--port', str(p),
                                        '--io-threads', '0'] + common)]
    if redis:
        servers.append(('redis-server', lambda p: [
            redis, '--port', str(p), '--save', '', '--appendonly', 'no'] +
            common))
    else:
        print('redis-server is missing (apt-get install redis-server): '
              'baton-kvd alone', file=sys.stderr)

    print('LRU hit rate: %d keys, %.0f%% of accesses to %.0f%% of them, '
          '%d measured accesses after %d of warm-up, maxmemory %s, '
          'allkeys-lru, %d samples, %d-byte values' %
          (a.keys, 100 * a.hot_share, 100 * a.hot_keys, a.ops, a.ops,
           a.maxmemory, a.samples, a.value))
    print('%-13s %9s %12s %16s' % ('server', 'hit rate', 'keys held',
                                   'exact LRU, same'))
    rows = []
    for name, argv in servers:
        srv = Server(argv, os.path.join(a.outdir, 'lru-%s.log' % name))
        try:
            hits, held = run_cache(srv.port, seq, value, 1000)
        finally:
            srv.stop()
        ideal = exact_lru(seq, max(held, 1))
        r, ri = rate(hits[a.ops:]), rate(ideal[a.ops:])
        rows.append((name, r, held, ri))
        print('%-13s %8.2f%% %12d %15.2f%%' % (name, r, held, ri))
    print()
    print('server,hit_rate,keys_held,exact_lru_hit_rate')
    for name, r, held, ri in rows:
        print('%s,%.4f,%d,%.4f' % (name, r, held, ri))
    return 0


if __name__ == '__main__':
    sys.exit(main())
