#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""watch.py - WATCH invalidation across connections, over raw sockets:
another client's write, delete, expire, EXEC or FLUSHALL of a watched
key fails EXEC; writes that change nothing, or other keys, do not; a key
that expires between WATCH and EXEC fails it, one already expired at
WATCH does not; many watchers of one key; clients that close while
watching or inside MULTI; a long transaction.

Usage: watch.py --io-threads N
"""

import argparse
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402
from kvdlib import Reader, check, command, encode  # noqa: E402


def client(port):
    return Reader(kvdlib.connect(port))


def transaction(r, *cmds):
    """MULTI, the commands, EXEC; return EXEC's reply."""
    check(command(r, 'MULTI') == '+OK', 'MULTI')
    for c in cmds:
        got = command(r, *c)
        check(got == '+QUEUED', '%r queued: %r' % (c, got))
    return command(r, 'EXEC')


def expect_exec(a, b, setup, change, ok, what):
    """A watches 'k' after @setup; B runs @change; A's EXEC must run
    (@ok) or fail with a nil reply."""
    command(b, 'DEL', 'k', 'k2', 'j')
    for c in setup:
        command(b, *c)
    check(command(a, 'WATCH', 'k') == '+OK', 'WATCH k')
    for c in change:
        command(b, *c)
    got = transaction(a, ('SET', 'k2', 'done'))
    if ok:
        check(got == ['+OK'], '%s: EXEC runs, got %r' % (what, got))
    else:
        check(got is None, '%s: EXEC fails (nil), got %r' % (what, got))


def other_clients(port):
    a, b = client(port), client(port)
    cases = [
        ([('SET', 'k', '1')], [('SET', 'k', '2')], False, 'SET'),
        ([], [('SET', 'k', '2')], False, 'SET of a new key'),
        ([('SET', 'k', '1')], [('SET', 'k2', '2')], True, 'another key'),
        ([('SET', 'k', '1')], [('GET', 'k')], True, 'a read'),
        ([('SET', 'k', '1')], [('SET', 'k', '2', 'NX')], True, 'SET NX no-op'),
        ([], [('SET', 'k', '2', 'XX')], True, 'SET XX no-op'),
        ([], [('DEL', 'k')], True, 'DEL of nothing'),
        ([('SET', 'k', '1')], [('DEL', 'k')], False, 'DEL'),
        ([('SET', 'k', '1')], [('GETDEL', 'k')], False, 'GETDEL'),
        ([('SET', 'k', '1')], [('INCR', 'k')], False, 'INCR'),
        ([('SET', 'k', 'x')], [('INCR', 'k')], True, 'a failed INCR'),
        ([('SET', 'k', '1')], [('APPEND', 'k', 'x')], False, 'APPEND'),
        ([('SET', 'k', '1')], [('MSET', 'j', '1', 'k', '2')], False, 'MSET'),
        ([('SET', 'k', '1')], [('EXPIRE', 'k', '100')], False, 'EXPIRE'),
        ([('SET', 'k', '1')], [('EXPIRE', 'k', '100', 'XX')], True,
         'EXPIRE XX no-op'),
        ([('SET', 'k', '1', 'EX', '100')], [('PERSIST', 'k')], False,
         'PERSIST'),
        ([('SET', 'k', '1')], [('PERSIST', 'k')], True, 'PERSIST no-op'),
        ([('SET', 'k', '1')], [('PEXPIRE', 'k', '0')], False,
         'PEXPIRE in the past'),
        ([], [('RPUSH', 'k', 'a')], False, 'RPUSH'),
        ([('RPUSH', 'k', 'a', 'b')], [('LPOP', 'k')], False, 'LPOP'),
        ([('RPUSH', 'k', 'a')], [('LPOP', 'k', '0')], True, 'LPOP 0'),
        ([('SET', 'k', '1')], [('FLUSHALL',)], False, 'FLUSHALL'),
        ([], [('FLUSHALL',)], True, 'FLUSHALL without the key'),
        ([('SET', 'k', '1')], [('FLUSHDB',)], False, 'FLUSHDB'),
        ([('SET', 'k', '1')], [('MULTI',), ('SET', 'k', '3'), ('EXEC',)],
         False, "another client's EXEC"),
        ([], [('SETNX', 'k', '1')], False, 'SETNX'),
        ([('SET', 'k', '1')], [('SETNX', 'k', '2')], True, 'SETNX no-op'),
        ([], [('SETEX', 'k', '10', 'v')], False, 'SETEX'),
        ([], [('PSETEX', 'k', '10000', 'v')], False, 'PSETEX'),
        ([('SET', 'k', '1')], [('GETSET', 'k', '1')], False, 'GETSET'),
        ([('SET', 'k', '1')], [('GETEX', 'k')], True, 'GETEX'),
        ([('SET', 'k', '1')], [('GETEX', 'k', 'EX', '10')], False,
         'GETEX EX'),
        ([('SET', 'k', '1')], [('GETEX', 'k', 'PERSIST')], True,
         'GETEX PERSIST no-op'),
        ([('SET', 'k', '1', 'EX', '10')], [('GETEX', 'k', 'PERSIST')], False,
         'GETEX PERSIST'),
        ([('SET', 'k', '1')], [('SETRANGE', 'k', '0', 'x')], False,
         'SETRANGE'),
        ([('SET', 'k', '1')], [('SETRANGE', 'k', '0', '')], True,
         'SETRANGE of nothing'),
        ([('SET', 'k', 'a')], [('SETBIT', 'k', '7', '0')], False, 'SETBIT'),
        ([('SET', 'k', 'a')], [('SETBIT', 'k', '7', '1')], True,
         'SETBIT no-op'),
        ([('SET', 'k', '1')], [('INCRBYFLOAT', 'k', '0.5')], False,
         'INCRBYFLOAT'),
        ([], [('MSETNX', 'j', '1', 'k', '2')], False, 'MSETNX'),
        ([('SET', 'j', '1')], [('MSETNX', 'j', '1', 'k', '2')], True,
         'MSETNX no-op'),
        ([('SET', 'k', '1')], [('RENAME', 'k', 'j')], False, 'RENAME from'),
        ([('SET', 'j', '1')], [('RENAME', 'j', 'k')], False, 'RENAME to'),
        ([('SET', 'j', '1'), ('SET', 'k', '1')], [('RENAMENX', 'j', 'k')],
         True, 'RENAMENX no-op'),
        ([('SET', 'j', '1')], [('COPY', 'j', 'k')], False, 'COPY to'),
        ([('SET', 'k', '1')], [('COPY', 'k', 'j')], True, 'COPY from'),
        ([('SET', 'j', '1'), ('SET', 'k', '1')], [('COPY', 'j', 'k')], True,
         'COPY no-op'),
        ([('SET', 'k', '1')], [('EXPIREAT', 'k', '99999999999')], False,
         'EXPIREAT'),
        ([('SET', 'k', '1')], [('PEXPIREAT', 'k', '1')], False,
         'PEXPIREAT in the past'),
        ([('SET', 'k', '1')], [('UNLINK', 'k')], False, 'UNLINK'),
        ([('RPUSH', 'k', 'a')], [('LSET', 'k', '0', 'a')], False, 'LSET'),
        ([('RPUSH', 'k', 'a')], [('LREM', 'k', '0', 'a')], False, 'LREM'),
        ([('RPUSH', 'k', 'a')], [('LREM', 'k', '0', 'z')], True,
         'LREM no-op'),
        ([('RPUSH', 'k', 'a')], [('LINSERT', 'k', 'BEFORE', 'a', 'x')],
         False, 'LINSERT'),
        ([('RPUSH', 'k', 'a')], [('LINSERT', 'k', 'BEFORE', 'z', 'x')],
         True, 'LINSERT no-op'),
        ([('RPUSH', 'k', 'a')], [('LTRIM', 'k', '0', '-1')], False,
         'LTRIM (always a change)'),
        ([], [('LTRIM', 'k', '0', '-1')], True, 'LTRIM of nothing'),
        ([('RPUSH', 'k', 'a')], [('RPUSHX', 'k', 'b')], False, 'RPUSHX'),
        ([], [('LPUSHX', 'k', 'b')], True, 'LPUSHX no-op'),
        ([('RPUSH', 'k', 'a')], [('LMOVE', 'k', 'j', 'LEFT', 'LEFT')],
         False, 'LMOVE from'),
        ([('RPUSH', 'j', 'a')], [('LMOVE', 'j', 'k', 'LEFT', 'LEFT')],
         False, 'LMOVE to'),
        ([('RPUSH', 'j', 'a')], [('RPOPLPUSH', 'j', 'k')], False,
         'RPOPLPUSH to'),
        ([('RPUSH', 'k', 'a')], [('LMPOP', '2', 'j', 'k', 'LEFT')], False,
         'LMPOP'),
        ([('RPUSH', 'k', 'a')], [('LINDEX', 'k', '0'), ('LPOS', 'k', 'a'),
                                 ('LRANGE', 'k', '0', '-1')], True,
         'list reads'),
        ([('SET', 'k', '1')], [('TOUCH', 'k'), ('OBJECT', 'ENCODING', 'k'),
                               ('EXPIRETIME', 'k'), ('GETRANGE', 'k', '0',
                                                     '1')], True, 'reads'),
    ]
    for setup, change, ok, what in cases:
        expect_exec(a, b, setup, change, ok, what)
    # A watch outlives a failed EXEC by nobody: the next WATCH starts clean.
    expect_exec(a, b, [], [], True, 'nothing changed')
    # Pipelined: the write lands between WATCH and the pipelined EXEC.
    command(b, 'SET', 'k', '1')
    command(a, 'WATCH', 'k')
    command(b, 'SET', 'k', '2')
    a.sock.sendall(encode('MULTI') + encode('SET', 'k', '3') + encode('EXEC'))
    got = [a.reply() for _ in range(3)]
    check(got == ['+OK', '+QUEUED', None], 'pipelined EXEC: %r' % got)
    check(command(b, 'GET', 'k') == b'2', 'the failed EXEC wrote nothing')
    a.sock.close()
    b.sock.close()


def client_fields(my_id, other):
    """Client @my_id's CLIENT LIST fields, as @other sees them."""
    for line in command(other, 'CLIENT', 'LIST').decode().split('\n'):
        f = dict(kv.split('=', 1) for kv in line.split() if '=' in kv)
        if f.get('id') == str(my_id):
            return f
    raise kvdlib.TestFailure('client %d not in CLIENT LIST' % my_id)


def client_list_state(port):
    """CLIENT LIST's flags (x: in MULTI, d: a watched key changed) and
    multi (commands queued; a dirty transaction keeps none, as Redis)."""
    a, b = client(port), client(port)
    a_id = command(a, 'CLIENT', 'ID')
    f = client_fields(a_id, b)
    check((f['flags'], f['multi']) == ('N', '-1'), 'idle: %r' % f)
    command(a, 'MULTI')
    command(a, 'PING')
    command(a, 'PING')
    f = client_fields(a_id, b)
    check((f['flags'], f['multi'], f['cmd']) == ('x', '2', 'ping'),
          'two queued: %r' % f)
    check(command(a, 'EXEC') == ['+PONG', '+PONG'], 'EXEC')
    command(b, 'SET', 'k', '1')
    command(a, 'WATCH', 'k')
    command(b, 'SET', 'k', '2')
    f = client_fields(a_id, b)
    check(f['flags'] == 'd', 'dirty: %r' % f)
    command(a, 'MULTI')
    command(a, 'PING')
    f = client_fields(a_id, b)
    check((f['flags'], f['multi']) == ('xd', '0'), 'dirty MULTI: %r' % f)
    check(command(a, 'EXEC') is None, 'dirty EXEC')
    f = client_fields(a_id, b)
    check((f['flags'], f['multi']) == ('N', '-1'), 'after EXEC: %r' % f)
    a.sock.close()
    b.sock.close()


def wait_until(cond, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.01)
    raise kvdlib.TestFailure('timed out waiting for ' + what)


def expiry(port):
    a, b = client(port), client(port)
    # Expires after WATCH: EXEC fails whether the key was deleted yet or
    # not (the sweep, a lookup, or EXEC's own check).
    for how in ('untouched', 'swept', 'looked up'):
        command(b, 'FLUSHALL')
        check(command(b, 'SET', 'k', '1', 'PX', '150') == '+OK', 'SET PX')
        check(command(a, 'WATCH', 'k') == '+OK', 'WATCH')
        start = time.monotonic()
        if how == 'untouched':
            time.sleep(max(0, 0.2 - (time.monotonic() - start)))
        elif how == 'swept':
            wait_until(lambda: command(b, 'DBSIZE') == 0, 'the sweep')
        else:
            wait_until(lambda: command(b, 'GET', 'k') is None, 'expiry')
        got = transaction(a, ('SET', 'k2', 'x'))
        check(got is None, 'expired after WATCH (%s): nil, got %r'
              % (how, got))
    # Already expired at WATCH (not swept yet or swept): no change.
    command(b, 'FLUSHALL')
    command(b, 'SET', 'k', '1', 'PX', '1')
    time.sleep(0.01)
    check(command(a, 'WATCH', 'k') == '+OK', 'WATCH an expired key')
    wait_until(lambda: command(b, 'DBSIZE') == 0, 'the key gone')
    got = transaction(a, ('SET', 'k2', 'x'))
    check(got == ['+OK'], 'expired before WATCH: EXEC runs, got %r' % got)
    # A key with a TTL that does not pass before EXEC: no change.
    command(b, 'SET', 'k', '1', 'EX', '100')
    command(a, 'WATCH', 'k')
    got = transaction(a, ('GET', 'k'))
    check(got == [b'1'], 'a TTL still running: EXEC runs, got %r' % got)
    a.sock.close()
    b.sock.close()


def many_watchers(port):
    rs = [client(port) for _ in range(20)]
    w = client(port)
    command(w, 'SET', 'hot', '0')
    for i, r in enumerate(rs):
        keys = ['hot', 'cold%d' % i, 'hot']
        check(command(r, 'WATCH', *keys) == '+OK', 'WATCH %d' % i)
    command(w, 'SET', 'cold3', 'x')
    check(transaction(rs[3], ('PING',)) is None, 'cold3 watcher fails')
    command(rs[3], 'WATCH', 'hot')
    # Half of the watchers go away while watching; their watches go too.
    for r in rs[10:]:
        r.sock.close()
    check(command(w, 'INCR', 'hot') == 1, 'INCR hot')
    for i, r in enumerate(rs[:10]):
        check(transaction(r, ('PING',)) is None, 'watcher %d fails' % i)
    # And the table is clean: new watchers start from nothing.
    for r in rs[:10]:
        command(r, 'WATCH', 'hot')
    for i, r in enumerate(rs[:10]):
        check(transaction(r, ('PING',)) == ['+PONG'], 'watcher %d runs' % i)
        r.sock.close()
    w.sock.close()


def closes_inside(port):
    """Clients that vanish with a transaction queued or keys watched."""
    for i in range(20):
        s = kvdlib.connect(port)
        s.sendall(encode('WATCH', 'k', 'x%d' % i) + encode('MULTI') +
                  encode('SET', 'k', 'v' * 1000) * 50)
        s.close()
    check(command(port, 'PING') == '+PONG', 'still serving')
    check(command(port, 'SET', 'k', 'v') == '+OK', 'SET a watched key')


def long_transaction(port):
    r = client(port)
    n = 5000
    r.sock.sendall(encode('MULTI') + encode('INCR', 'n') * n + encode('EXEC'))
    check(r.reply() == '+OK', 'MULTI')
    for i in range(n):
        check(r.reply() == '+QUEUED', 'queued %d' % i)
    got = r.reply()
    check(got == list(range(1, n + 1)), 'EXEC of %d INCRs' % n)
    r.sock.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, default=1)
    a = ap.parse_args()
    with kvdlib.Server('watch', a.io_threads) as srv:
        other_clients(srv.port)
        client_list_state(srv.port)
        expiry(srv.port)
        many_watchers(srv.port)
        closes_inside(srv.port)
        long_transaction(srv.port)
    print('watch io-threads=%d ok' % a.io_threads)


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
