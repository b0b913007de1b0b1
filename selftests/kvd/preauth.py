#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""preauth.py - Redis 7.0's limits on clients that have not authenticated
yet, over raw sockets: with --requirepass, a multibulk count above 10 or
a bulk length above 16384 is answered with Redis's "unauthenticated"
protocol error and the connection is closed as soon as the header
arrives, before the bytes behind it are buffered; AUTH or HELLO ... AUTH
lifts the limits for the requests after it, even in the same write;
without a password there are no such limits.  Then the server's RSS must
not grow with 1000 clients that each send a huge header and 800 KB.

Every expected reply was checked against redis-server 7.0.15.

Usage: preauth.py --io-threads N
"""

import argparse
import os
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402
from kvdlib import Reader, check, encode  # noqa: E402

PE = b'-ERR Protocol error: '
UNAUTH_MB = PE + b'unauthenticated multibulk length\r\n'
UNAUTH_BULK = PE + b'unauthenticated bulk length\r\n'
NOAUTH = b'-NOAUTH Authentication required.\r\n'
OK = b'+OK\r\n'
PASS = 'pw'
HELLO_AUTH = encode('HELLO', '2', 'AUTH', 'default', PASS)

# (bytes sent in one write, the exact bytes that come back before the
# server closes the connection)
CLOSING = [
    (b'*11\r\n', UNAUTH_MB),
    (b'*1000\r\n$900000\r\n', UNAUTH_MB),
    (b'*11\r\n$4\r\nMSET\r\n', UNAUTH_MB),
    (b'*1\r\n$16385\r\n', UNAUTH_BULK),
    (b'*1\r\n$900000\r\n' + b'x' * 1000, UNAUTH_BULK),
    (b'*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$16385\r\n', UNAUTH_BULK),
    # The usual checks come first, as in Redis.
    (b'*2147483648\r\n', PE + b'invalid multibulk length\r\n'),
    (b'*x\r\n', PE + b'invalid multibulk length\r\n'),
    (b'*1\r\n$-1\r\n', PE + b'invalid bulk length\r\n'),
    (b'*1\r\n$99999999999\r\n', PE + b'invalid bulk length\r\n'),
    (b'*11\r\n$4\r\nPING', UNAUTH_MB),
    # Requests before the oversized one are answered first.
    (b'PING\r\n*11\r\n', NOAUTH + UNAUTH_MB),
    (encode('GET', 'k') + b'*1\r\n$16385\r\n', NOAUTH + UNAUTH_BULK),
    (b'*0\r\n*11\r\n', UNAUTH_MB),
    (b'*-1\r\n*11\r\n', UNAUTH_MB),
    # A failed AUTH leaves the limits on.
    (encode('AUTH', 'nope') + b'*11\r\n',
     b'-WRONGPASS invalid username-password pair or user is disabled.\r\n' +
     UNAUTH_MB),
    (encode('HELLO', '2', 'AUTH', 'default', 'nope') + b'*11\r\n',
     b'-WRONGPASS invalid username-password pair or user is disabled.\r\n' +
     UNAUTH_MB),
    (encode('auth') + b'*11\r\n',
     b"-ERR wrong number of arguments for 'auth' command\r\n" + UNAUTH_MB),
    # Inline requests have only the usual 64 KiB bound (Redis 7.0 too).
    (b'x' * 70000, PE + b'too big inline request\r\n'),
]

# (bytes sent in one write, the reply expected; the connection stays open)
SERVED = [
    # At the limits, not past them: the request completes, then NOAUTH.
    (encode('MSET', *(['k', 'v'] * 4 + ['k'])), NOAUTH),
    (encode('ECHO', 'x' * 16384), NOAUTH),
    (b'MSET' + b' k' * 19 + b'\r\n', NOAUTH),
    (b'ECHO ' + b'x' * 20000 + b'\r\n', NOAUTH),
    # AUTH or HELLO AUTH in the same write lifts the limits behind it.
    (encode('AUTH', PASS) + encode('MSET', *(['k', 'v'] * 6)), OK + OK),
    (encode('AUTH', 'default', PASS) + encode('SET', 'k', 'x' * 20000),
     OK + OK),
    (encode('auth', PASS) + b'*11\r\n$4\r\nMSET\r\n' +
     b'$1\r\nk\r\n$1\r\nv\r\n' * 5, OK + OK),
]


def reply_of_hello(port):
    """The bytes HELLO 2 answers on this server (its id varies)."""
    with kvdlib.connect(port) as s:
        s.sendall(HELLO_AUTH)
        r = Reader(s)
        return r.reply()


def closing(port, data, want):
    with kvdlib.connect(port) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        r = Reader(s)
        closed = r.eof(10)
        check(closed and r.buf == want, 'sent %r: expected %r and the close, '
              'got %r%s' % (data[:60], want, r.buf[:200],
                            '' if closed else ' and no close'))


def served(port, data, want):
    with kvdlib.connect(port) as s:
        s.sendall(data)
        r = Reader(s)
        while len(r.buf) < len(want):
            r._fill(time.monotonic() + 10)
        check(r.buf == want, 'sent %r: expected %r, got %r' %
              (data[:60], want, r.buf[:200]))
        r.buf = b''
        # Still open, and authenticated only when it said so.
        s.sendall(encode('PING'))
        pong = r.reply()
        check(pong in ('+PONG', '-NOAUTH Authentication required.'),
              'sent %r: then PING got %r' % (data[:60], pong))


def hello_auth_lifts(port):
    """HELLO ... AUTH in the same write as a 12-argument MSET."""
    with kvdlib.connect(port) as s:
        s.sendall(HELLO_AUTH + encode('MSET', *(['h', 'v'] * 6)) +
                  encode('GET', 'h'))
        r = Reader(s)
        hello = r.reply()
        check(isinstance(hello, list) and hello[:2] == [b'server', b'redis'],
              'HELLO AUTH answered: %r' % hello)
        check(r.reply() == '+OK' and r.reply() == b'v',
              'MSET of 13 arguments after HELLO AUTH in the same write')


def authenticated_keeps_normal_limits(port):
    """After AUTH, 1000 arguments and a 1 MiB value are fine."""
    with kvdlib.connect(port) as s:
        r = Reader(s)
        s.sendall(encode('AUTH', PASS))
        check(r.reply() == '+OK', 'AUTH')
        args = []
        for i in range(500):
            args += ['a%d' % i, 'v%d' % i]
        s.sendall(encode('MSET', *args))
        check(r.reply() == '+OK', 'MSET of 1001 arguments after AUTH')
        s.sendall(encode('SET', 'big', 'x' * (1 << 20)) + encode('STRLEN', 'big'))
        check(r.reply() == '+OK' and r.reply() == 1 << 20,
              'a 1 MiB value after AUTH')
        s.sendall(b'*11\r\n$4\r\nMSET\r\n' + b'$1\r\nk\r\n$1\r\nv\r\n' * 5)
        check(r.reply() == '+OK', 'an 11-argument multibulk after AUTH')


def no_password_no_limits(io_threads):
    with kvdlib.Server('preauth-nopass', io_threads) as srv:
        served(srv.port, encode('MSET', *(['k', 'v'] * 6)), OK)
        served(srv.port, encode('SET', 'k', 'x' * 20000), OK)


def vm_rss_kib(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise kvdlib.TestFailure('no VmRSS for %d' % pid)


def attack_wave(port, n, payload):
    """@n unauthenticated clients at once, each sending a huge header
    then @payload (as much of it as the socket takes); waits until every
    one is closed, or 10 s.  Return what each received and whether it
    was closed."""
    heads = [b'*1000\r\n$900000\r\n', b'*1\r\n$900000\r\n']
    socks = [socket.create_connection(('127.0.0.1', port), timeout=10)
             for _ in range(n)]
    for i, s in enumerate(socks):
        s.settimeout(0)
        try:
            s.send(heads[i % 2])
            s.send(payload)
        except OSError:
            pass
    deadline = time.monotonic() + 10
    out = []
    for i, s in enumerate(socks):
        r = Reader(s)
        closed = r.eof(max(0.01, deadline - time.monotonic()))
        out.append((heads[i % 2], r.buf, closed))
    return socks, out


def check_refused(results):
    for head, got, closed in results:
        want = UNAUTH_MB if head.startswith(b'*1000') else UNAUTH_BULK
        # A reset may cut the reply short: a prefix of it is enough.
        check(closed and got and want.startswith(got),
              'an attacker sending %r got %r%s' %
              (head, got[:100], '' if closed else ' and no close'))


def rss_bounded(io_threads):
    """1000 clients that send "*1000" or a "$900000" header and 800 KB,
    200 at a time: refused at the header, so the server's RSS barely
    moves, where buffering them would take 160 MB per wave."""
    with kvdlib.Server('preauth-rss', io_threads,
                       ['--requirepass', PASS]) as srv:
        pid = srv.proc.pid
        payload = b'x' * (800 * 1024)
        socks, res = attack_wave(srv.port, 100, payload)  # warm up
        for s in socks:
            s.close()
        before = vm_rss_kib(pid)
        peak = before
        for _ in range(5):
            socks, res = attack_wave(srv.port, 200, payload)
            peak = max(peak, vm_rss_kib(pid))
            for s in socks:
                s.close()
            check(peak - before < 64 * 1024, 'VmRSS grew by %d KiB with '
                  '200 unauthenticated clients (bound: 64 MiB)' %
                  (peak - before))
            check_refused(res)
        print('preauth: VmRSS %d KiB before, at most %d KiB during 1000 '
              'attackers (%+d KiB)' % (before, peak, peak - before))
        served(srv.port, encode('AUTH', PASS) + encode('PING'),
               OK + b'+PONG\r\n')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, default=1)
    a = ap.parse_args()
    with kvdlib.Server('preauth', a.io_threads,
                       ['--requirepass', PASS]) as srv:
        for data, want in CLOSING:
            closing(srv.port, data, want)
        for data, want in SERVED:
            served(srv.port, data, want)
        hello_auth_lifts(srv.port)
        authenticated_keeps_normal_limits(srv.port)
        check(reply_of_hello(srv.port)[0] == b'server', 'HELLO AUTH alone')
    no_password_no_limits(a.io_threads)
    rss_bounded(a.io_threads)
    print('preauth io-threads=%d ok' % a.io_threads)


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
