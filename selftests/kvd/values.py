#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""values.py - baton-kvd's hash and set values end to end: used_memory
counts them and returns to its baseline whichever way they go away; a
hash value that a slow client is still reading survives HSET, HDEL and
DEL and is freed once written (zero-copy, the deferred free); HSCAN and
SSCAN return every element present for the whole iteration while the
table grows and shrinks between calls; a random pick's reply too big for
the output-buffer limit is refused or closes the client.

Usage: values.py --io-threads N
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
from kvdlib import Reader, check, command, encode  # noqa: E402


def info(r):
    fields = {}
    for line in command(r, 'INFO', 'all').decode().split('\r\n'):
        if ':' in line and not line.startswith('#'):
            k, v = line.split(':', 1)
            fields[k] = v
    return fields


def used(r):
    return int(info(r)['used_memory'])


def pipe(r, cmds):
    """Send @cmds at once; return their replies."""
    r.sock.sendall(b''.join(encode(*c) for c in cmds))
    return [r.reply() for _ in cmds]


def wait_for(what, fn, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not fn():
        if time.monotonic() > deadline:
            raise kvdlib.TestFailure('%s within %.0f s' % (what, timeout))
        time.sleep(0.05)


N = 2000
VAL = 100


def fill_hash(r, key, n=N):
    pipe(r, [['HSET', key, 'field:%d' % i, 'v' * VAL] for i in range(n)])


def fill_set(r, key, n=N, prefix='member:'):
    pipe(r, [['SADD', key] + ['%s%d' % (prefix, i)
                              for i in range(j, min(n, j + 100))]
             for j in range(0, n, 100)])


def memory(r):
    """used_memory counts hash and set values and is back to its
    baseline after each way they go away."""
    check(command(r, 'FLUSHALL') == '+OK', 'FLUSHALL')
    # The expiry heap's array, once allocated, stays: allocate it first.
    command(r, 'SET', 'warm', 'v', 'EX', '100')
    command(r, 'DEL', 'warm')
    base = used(r)
    ways = []

    def way(name, build, drop):
        build()
        grown = used(r) - base
        drop()
        wait_for('%s: used_memory back to %d (now %d)' % (name, base, used(r)),
                 lambda: used(r) == base)
        check(command(r, 'DBSIZE') == 0, '%s: the keyspace is empty' % name)
        ways.append((name, grown))
        return grown

    # A hash's fields and values, a set's members: at least their bytes.
    g = way('HDEL every field', lambda: fill_hash(r, 'h'),
            lambda: pipe(r, [['HDEL', 'h', 'field:%d' % i]
                             for i in range(N)]))
    check(g >= N * (VAL + len('field:0')),
          'a hash of %d fields of %d bytes counts %d bytes' % (N, VAL, g))
    g = way('SREM every member', lambda: fill_set(r, 's'),
            lambda: pipe(r, [['SREM', 's', 'member:%d' % i]
                             for i in range(N)]))
    check(g >= N * len('member:0'),
          'a set of %d members counts %d bytes' % (N, g))
    way('DEL', lambda: (fill_hash(r, 'h'), fill_set(r, 's')),
        lambda: command(r, 'DEL', 'h', 's'))
    way('SPOP one by one', lambda: fill_set(r, 's', 300),
        lambda: pipe(r, [['SPOP', 's'] for _ in range(300)]))
    way('SPOP with a count', lambda: fill_set(r, 's'),
        lambda: (command(r, 'SPOP', 's', '1500'),
                 command(r, 'SPOP', 's', '1000')))
    way('SET over a hash', lambda: fill_hash(r, 'h'),
        lambda: (command(r, 'SET', 'h', 'x'), command(r, 'DEL', 'h')))
    way('a STORE over a hash, then an empty one',
        lambda: (fill_hash(r, 'h'), fill_set(r, 's')),
        lambda: (command(r, 'SUNIONSTORE', 'h', 's', 'nokey'),
                 command(r, 'DEL', 's'),
                 command(r, 'SINTERSTORE', 'h', 'nokey')))
    way('SMOVE every member, then DEL',
        lambda: fill_set(r, 'a', 500),
        lambda: (pipe(r, [['SMOVE', 'a', 'b', 'member:%d' % i]
                          for i in range(500)]),
                 command(r, 'DEL', 'b')))
    way('values replaced many times',
        lambda: pipe(r, [['HSET', 'h', 'f%d' % (i % 7), 'x' * (i % 300)]
                         for i in range(3000)] +
                     [['HINCRBY', 'h', 'n', '3'] for _ in range(500)] +
                     [['HINCRBYFLOAT', 'h', 'x', '0.1']
                      for _ in range(500)]),
        lambda: command(r, 'DEL', 'h'))
    way('EXPIRE 0', lambda: (fill_hash(r, 'h', 100), fill_set(r, 's', 100)),
        lambda: (command(r, 'EXPIRE', 'h', '0'),
                 command(r, 'EXPIRE', 's', '0')))
    way('expiry by the sweep',
        lambda: (fill_hash(r, 'h', 100), fill_set(r, 's', 100),
                 command(r, 'PEXPIRE', 'h', '50'),
                 command(r, 'PEXPIRE', 's', '50')),
        lambda: wait_for('the sweep expires both',
                         lambda: command(r, 'DBSIZE') == 0))
    way('FLUSHALL', lambda: (fill_hash(r, 'h'), fill_set(r, 's')),
        lambda: command(r, 'FLUSHALL'))
    check(command(r, 'FLUSHDB') == '+OK', 'FLUSHDB')
    return ways


def open_slow(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(('127.0.0.1', port))
    return s


def bulk(b):
    return b'$%d\r\n%s\r\n' % (len(b), b)


def read_exactly(sock, n, timeout=60.0):
    """@n bytes from @sock, into one buffer (a 16 MiB reply arrives in
    thousands of small reads)."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    deadline = time.monotonic() + timeout
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise kvdlib.TestFailure('%d of %d reply bytes within %.0f s' %
                                     (got, n, timeout))
        sock.settimeout(left)
        k = sock.recv_into(view[got:])
        if not k:
            raise kvdlib.TestFailure('closed after %d of %d reply bytes' %
                                     (got, n))
        got += k
    return bytes(buf)


def zero_copy(port, r):
    """A 16 MiB hash value being written to a slow client survives HSET
    of the field (to a value as long, which must not be written in its
    place), HDEL, DEL and FLUSHALL, arrives intact, and is freed once
    written (through the deferred-free queue when the worker's put is
    the last)."""
    size = 16 * 1024 * 1024
    value = bytes(range(256)) * (size // 256)
    other = bytes(range(255, -1, -1)) * (size // 256)   # as long: in place?
    for read, want, change in (
            (['HGET', 'h', 'big'], bulk(value),
             [['HSET', 'h', 'big', other], ['HSET', 'h', 'big', 'new']]),
            (['HGETALL', 'h'], b'*2\r\n' + bulk(b'big') + bulk(value),
             [['HDEL', 'h', 'big']]),
            (['HMGET', 'h', 'big'], b'*1\r\n' + bulk(value),
             [['DEL', 'h']]),
            (['HVALS', 'h'], b'*1\r\n' + bulk(value),
             [['HSET', 'h', 'big', '1'], ['HINCRBY', 'h', 'big', '1']]),
            (['HRANDFIELD', 'h', '-1', 'WITHVALUES'],
             b'*2\r\n' + bulk(b'big') + bulk(value), [['FLUSHALL']])):
        command(r, 'DEL', 'h')
        base = used(r)
        check(command(r, 'HSET', 'h', 'big', value) == 1, 'HSET big')
        before = info(r)
        slow = open_slow(port)
        slow.sendall(encode('CLIENT', 'SETNAME', 'slow') + encode(*read))
        # Main ran the read (CLIENT LIST names it); its reply is too big
        # to leave before the slow client reads.
        mark = 'name=slow '
        wait_for('%s runs' % read[0], lambda: any(
            mark in line and 'cmd=%s ' % read[0].lower() in line
            for line in command(r, 'CLIENT', 'LIST').decode().split('\n')))
        for c in change:
            reply = command(r, *c)
            check(not isinstance(reply, str) or not reply.startswith('-'),
                  '%s: %r' % (c[0], reply))
        got = read_exactly(slow, len(want) + 5)[5:]    # +OK of SETNAME
        check(got == want, '%s: the value arrives intact after %s' %
              (' '.join(read), ', '.join(c[0] for c in change)))
        slow.close()
        command(r, 'DEL', 'h')
        wait_for('%s: used_memory back to %d (now %d)' % (' '.join(read),
                                                          base, used(r)),
                 lambda: used(r) == base)
        after = info(r)
        check(int(after['deferred_freed']) == int(after['deferred_queued']),
              'every deferred free ran on main')
        if read[0] == 'HGET':
            check(int(after['deferred_queued']) >
                  int(before['deferred_queued']),
                  'the last put went through the deferred-free queue')


def scan_guarantee(r):
    """HSCAN and SSCAN with a small COUNT while other elements come and
    go (the table doubles and shrinks): every element present for the
    whole iteration is returned."""
    rng = random.Random(7)
    for kind in ('hash', 'set'):
        command(r, 'DEL', 'k')
        core = ['core:%d' % i for i in range(300)]
        if kind == 'hash':
            pipe(r, [['HSET', 'k', m, 'v'] for m in core])
            cmd = 'HSCAN'
        else:
            pipe(r, [['SADD', 'k', m] for m in core])
            cmd = 'SSCAN'
        cursor, seen, calls, extra = b'0', set(), 0, 0
        while True:
            reply = command(r, cmd, 'k', cursor, 'COUNT', '20')
            cursor, items = reply
            seen.update(items[0::2] if kind == 'hash' else items)
            calls += 1
            check(calls < 10000, '%s ends' % cmd)
            if cursor == b'0':
                break
            if rng.random() < 0.5:
                new = ['tmp:%d' % (extra + i) for i in range(400)]
                extra += 400
                if kind == 'hash':
                    pipe(r, [['HSET', 'k'] + [x for m in new
                                              for x in (m, 'v')]])
                else:
                    pipe(r, [['SADD', 'k'] + new])
            else:
                gone = ['tmp:%d' % i for i in range(extra)]
                pipe(r, [['HDEL' if kind == 'hash' else 'SREM', 'k'] +
                         gone[i:i + 500] for i in range(0, len(gone), 500)]
                     or [['PING']])
        missing = [m for m in core if m.encode() not in seen]
        check(not missing, '%s missed %d elements present throughout: %s'
              % (cmd, len(missing), missing[:5]))
        check(calls > 3, '%s took several calls (%d)' % (cmd, calls))
    command(r, 'DEL', 'k')


def random_limits(io_threads):
    """HRANDFIELD and SRANDMEMBER with a negative count, against a 1 MiB
    output-buffer limit: a reply that cannot fit is refused with an
    error; one that passes the limit on the way closes the client as any
    too big reply does, and the server goes on."""
    with kvdlib.Server('values-obuf', io_threads,
                       ['--client-output-buffer-limit', '1m']) as srv:
        with kvdlib.connect(srv.port) as s:
            r = Reader(s)
            check(command(r, 'HSET', 'h', 'f', 'v' * 1024) == 1, 'HSET')
            check(command(r, 'SADD', 's', 'm') == 1, 'SADD')
            for cmd in (['HRANDFIELD', 'h', '-100000', 'WITHVALUES'],
                        ['SRANDMEMBER', 's', '-200000']):
                reply = command(r, *cmd)
                check(reply == '-ERR count is too large: the reply would '
                      'pass the output buffer limit', '%s: %r' %
                      (' '.join(cmd), reply))
            check(len(command(r, 'HRANDFIELD', 'h', '-500',
                              'WITHVALUES')) == 1000, '500 picks fit')
            closes = int(info(r)['client_output_buffer_limit_disconnections'])
        with kvdlib.connect(srv.port) as s:
            r = Reader(s)
            s.sendall(encode('HRANDFIELD', 'h', '-5000', 'WITHVALUES'))
            check(r.eof(), 'a 5 MB reply closes the client')
        with kvdlib.connect(srv.port) as s:
            r = Reader(s)
            check(command(r, 'PING') == '+PONG', 'the server goes on')
            check(int(info(r)['client_output_buffer_limit_disconnections'])
                  == closes + 1, 'counted as an output-buffer close')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, default=1)
    a = ap.parse_args()
    with kvdlib.Server('values', a.io_threads) as srv:
        with kvdlib.connect(srv.port) as s:
            r = Reader(s, timeout=30)
            memory(r)
            zero_copy(srv.port, r)
            scan_guarantee(r)
    random_limits(a.io_threads)
    print('values io-threads=%d ok' % a.io_threads)


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
