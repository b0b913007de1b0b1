#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""protocol.py - baton-kvd against bad and hard input, over raw sockets:
protocol errors (each answered with Redis's exact error, then a close),
truncated and oversized bulk lengths, a multibulk count of 2^31, binary
garbage, clients that send half a command and vanish, the inline and
query-buffer limits, big values arriving in many small writes, pipelines.
After each case another connection must still be served; at the end the
server must stop cleanly on SIGTERM (and, under SAN=address, leak
nothing).

Usage: protocol.py --io-threads N
"""

import argparse
import os
import random
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402
from kvdlib import check, encode  # noqa: E402

MAX_BULK = 2 * 1024 * 1024          # --proto-max-bulk-len for this run
QBUF = 4 * 1024 * 1024              # --client-query-buffer-limit

PE = b'-ERR Protocol error: '

# (bytes sent, reply expected, whether the server then closes)
CASES = [
    (b'*abc\r\n', PE + b'invalid multibulk length\r\n', True),
    (b'*\r\n', PE + b'invalid multibulk length\r\n', True),
    (b'*2147483648\r\n', PE + b'invalid multibulk length\r\n', True),
    (b'*' + b'9' * 30 + b'\r\n', PE + b'invalid multibulk length\r\n', True),
    (b'*01\r\n$1\r\nx\r\n', PE + b'invalid multibulk length\r\n', True),
    (b'*+1\r\n$4\r\nPING\r\n', PE + b'invalid multibulk length\r\n', True),
    (b'*2147483647\r\n', b'', False),
    (b'*-1\r\nPING\r\n', b'+PONG\r\n', False),
    (b'*0\r\nPING\r\n', b'+PONG\r\n', False),
    (b'*1\r\nxPING\r\n', PE + b"expected '$', got 'x'\r\n", True),
    (b'*1\r\n\r\n', PE + b"expected '$', got ' '\r\n", True),
    (b'*1\r\n$-1\r\n', PE + b'invalid bulk length\r\n', True),
    (b'*1\r\n$abc\r\n', PE + b'invalid bulk length\r\n', True),
    (b'*1\r\n$\r\n', PE + b'invalid bulk length\r\n', True),
    (b'*1\r\n$01\r\nx\r\n', PE + b'invalid bulk length\r\n', True),
    (b'*1\r\n$+4\r\nPING\r\n', PE + b'invalid bulk length\r\n', True),
    (b'*1\r\n$' + b'9' * 30 + b'\r\n', PE + b'invalid bulk length\r\n', True),
    (b'*1\r\n$%d\r\n' % (MAX_BULK + 1), PE + b'invalid bulk length\r\n',
     True),
    (b'*1\r\n$%d\r\n' % MAX_BULK, b'', False),
    (b'*1\r\n$4\r\nPINGxxPING\r\n', b'+PONG\r\n+PONG\r\n', False),
    (b'*1\r\n$4\r\nPING\n\n', b'+PONG\r\n', False),
    (b'PING\r\n*1\r\n$4\r\nPING\r\n', b'+PONG\r\n+PONG\r\n', False),
    (b'ping\nping\r\n', b'+PONG\r\n+PONG\r\n', False),
    (b'\r\n\r\n\n  \r\nPING\r\n', b'+PONG\r\n', False),
    (b'  PING  \n', b'+PONG\r\n', False),
    (b'SET "a b\r\n', PE + b'unbalanced quotes in request\r\n', True),
    (b'SET "a"b c\r\n', PE + b'unbalanced quotes in request\r\n', True),
    (b"ECHO 'it''s'\r\n", PE + b'unbalanced quotes in request\r\n', True),
    (b"SET 'a\\'b' c\r\nGET \"a'b\"\r\n", b'+OK\r\n$1\r\nc\r\n', False),
    (b'ECHO "\\x41\\x4g\\n\\t\\"q\\\\"\r\n', b'$9\r\nAx4g\n\t"q\\\r\n',
     False),
    (b'*1\r\n\x00\r\n', b'', False),          # NUL hides the '\r', as in Redis
    (b'\x00\x01\x02\xff\r\n', b'', False),
    (b'x' * 70000, PE + b'too big inline request\r\n', True),
    (b'*' + b'1' * 70000, PE + b'too big mbulk count string\r\n', True),
    (b'*1\r\n$' + b'1' * 70000, PE + b'too big bulk count string\r\n', True),
    (encode('PING') * 2 + b'*x\r\n' + encode('PING'),
     b'+PONG\r\n+PONG\r\n' + PE + b'invalid multibulk length\r\n', True),
    (b'PING\r\nQUIT\r\nPING\r\n', b'+PONG\r\n+OK\r\n', True),
    (b'ECHO\r\n', b"-ERR wrong number of arguments for 'echo' command\r\n",
     False),
    (b'FOO bar\r\n',
     b"-ERR unknown command 'FOO', with args beginning with: 'bar' \r\n",
     False),
    (b'*2\r\n$4\r\nECHO\r\n$3\r\na\r\n\r\n', b'$3\r\na\r\n\r\n', False),
    (b'*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\nv', b'', False),
]


def exchange(port, data, want, closes):
    """Send @data, read what comes within a short while; compare."""
    with kvdlib.connect(port) as s:
        s.sendall(data)
        r = kvdlib.Reader(s)
        closed = r.eof(2.0 if closes else 0.25)
        got = r.buf
    check(got == want, 'sent %r: expected %r, got %r' % (data[:60], want,
                                                           got[:200]))
    check(closed == closes, 'sent %r: expected the connection %s' %
          (data[:60], 'closed' if closes else 'open'))


def still_serving(port):
    check(kvdlib.command(port, 'PING') == '+PONG', 'PING after a bad client')


def vanish(port, data):
    """A client that sends @data and goes away."""
    s = kvdlib.connect(port)
    s.sendall(data)
    s.close()


def big_value_in_pieces(port):
    """A 1.5 MiB value sent in 1 KiB writes: parsing must keep up (not
    rescan the buffer on each read), and the value comes back intact."""
    value = random.Random(7).randbytes(1536 * 1024)
    data = encode('SET', 'big', value)
    start = time.monotonic()
    with kvdlib.connect(port) as s:
        for i in range(0, len(data), 1024):
            s.sendall(data[i:i + 1024])
        r = kvdlib.Reader(s, timeout=60)
        check(r.reply() == '+OK', 'SET of a big value sent in pieces')
        s.sendall(encode('GET', 'big'))
        check(r.reply() == value, 'GET of the big value')
        s.sendall(encode('STRLEN', 'big'))
        check(r.reply() == len(value), 'STRLEN of the big value')
    secs = time.monotonic() - start
    check(secs < (60 if kvdlib.sanitized() else 20),
          'big value in pieces took %.1fs' % secs)


def many_args_in_pieces(port):
    """MSET with 20000 pairs sent in 512-byte writes (O(args) parse per
    read would make this quadratic) and MGET back."""
    n = 20000
    args = ['MSET']
    for i in range(n):
        args += ['k%d' % i, 'v%d' % i]
    data = encode(*args)
    with kvdlib.connect(port) as s:
        for i in range(0, len(data), 512):
            s.sendall(data[i:i + 512])
        r = kvdlib.Reader(s, timeout=60)
        check(r.reply() == '+OK', 'MSET with %d pairs' % n)
        s.sendall(encode('MGET', 'k0', 'k%d' % (n - 1), 'nokey'))
        check(r.reply() == [b'v0', b'v%d' % (n - 1), None], 'MGET after MSET')
        s.sendall(encode('DBSIZE'))
        check(r.reply() >= n, 'DBSIZE after MSET')
        s.sendall(encode('FLUSHALL'))
        check(r.reply() == '+OK', 'FLUSHALL')


def query_buffer_limit(port):
    """A request bigger than the query-buffer limit: the client is closed
    without a reply (as Redis does); others go on."""
    with kvdlib.connect(port) as s:
        head = b'*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$%d\r\n' % MAX_BULK
        s.sendall(head + b'x' * MAX_BULK)        # complete: fits
        r = kvdlib.Reader(s, timeout=30)
        s.sendall(b'\r\n')
        check(r.reply() == '+OK', 'SET of a max-size bulk')
    with kvdlib.connect(port) as s:
        # Three bulks of the largest size: more than the limit, and
        # never complete.
        arg = b'$%d\r\n' % MAX_BULK + b'y' * MAX_BULK + b'\r\n'
        try:
            s.sendall(b'*5\r\n$4\r\nECHO\r\n' + arg * 3)
        except OSError:
            pass
        r = kvdlib.Reader(s)
        check(r.eof(10), 'the query-buffer limit closes the client')
    still_serving(port)


def garbage(port):
    rnd = random.Random(42)
    for size in (10, 1000, 100000):
        blob = rnd.randbytes(size)
        with kvdlib.connect(port) as s:
            try:
                s.sendall(blob)
            except OSError:
                pass
            r = kvdlib.Reader(s)
            closed = r.eof(1.0)
            got = r.buf
        # An error reply then a close, or silence while waiting for more.
        check(got.startswith(b'-ERR') or not got,
              'garbage of %d bytes: reply %r' % (size, got[:80]))
        check(closed or not got, 'garbage: an error reply must close')
        still_serving(port)


def max_bulk_at_run_time(port):
    """CONFIG SET proto-max-bulk-len reaches the IO workers' parsers: a
    bulk one byte over the new limit is refused, one at it is parsed; and
    APPEND's limit follows it.  The old limit comes back at the end."""
    new = 1024 * 1024
    check(kvdlib.command(port, 'CONFIG', 'SET', 'proto-max-bulk-len',
                         str(new)) == '+OK', 'CONFIG SET proto-max-bulk-len')
    exchange(port, b'*1\r\n$%d\r\n' % (new + 1),
             PE + b'invalid bulk length\r\n', True)
    exchange(port, encode('SET', 'big', b'x' * new), b'+OK\r\n', False)
    check(kvdlib.command(port, 'APPEND', 'big', 'y') ==
          '-ERR string exceeds maximum allowed size (proto-max-bulk-len)',
          'APPEND past the new limit')
    check(kvdlib.command(port, 'CONFIG', 'SET', 'proto-max-bulk-len',
                         str(MAX_BULK)) == '+OK', 'CONFIG SET it back')
    exchange(port, b'*1\r\n$%d\r\n' % (new + 1), b'', False)
    check(kvdlib.command(port, 'APPEND', 'big', 'y') == new + 1,
          'APPEND under the old limit again')
    check(kvdlib.command(port, 'DEL', 'big') == 1, 'DEL big')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, default=1)
    a = ap.parse_args()
    args = ['--proto-max-bulk-len', str(MAX_BULK),
            '--client-query-buffer-limit', str(QBUF)]
    with kvdlib.Server('protocol', a.io_threads, args) as srv:
        for data, want, closes in CASES:
            exchange(srv.port, data, want, closes)
            still_serving(srv.port)
        for data in (b'*2\r\n$3\r\nGET\r\n$10\r\nabc', b'*5\r\n',
                     b'*1\r\n$%d\r\n' % MAX_BULK + b'x' * 1000,
                     b'SET k "unterminated', encode('SET', 'k', 'v')[:-3]):
            vanish(srv.port, data)
            still_serving(srv.port)
        garbage(srv.port)
        big_value_in_pieces(srv.port)
        many_args_in_pieces(srv.port)
        query_buffer_limit(srv.port)
        max_bulk_at_run_time(srv.port)
        info = kvdlib.command(srv.port, 'INFO', 'stats').decode()
        check('protocol_errors:' in info and 'protocol_errors:0\r' not in info,
              'INFO counts protocol errors')
    print('protocol io-threads=%d ok' % a.io_threads)


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
