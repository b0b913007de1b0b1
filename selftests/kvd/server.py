#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""server.py - baton-kvd's server commands whose replies a transcript
cannot pin down: TIME against the wall clock, INFO's cpu, commandstats
and errorstats sections and what CONFIG RESETSTAT does to them, the
INFO sections each argument selects, OBJECT IDLETIME over time and
REFCOUNT with a reply in flight, RANDOMKEY, COMMAND and COMMAND INFO.

Usage: server.py --io-threads N
"""

import argparse
import os
import re
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402
from kvdlib import Reader, check, command  # noqa: E402


def info(r, *sections):
    text = command(r, 'INFO', *sections).decode()
    fields = {}
    for line in text.split('\r\n'):
        if ':' in line and not line.startswith('#'):
            k, v = line.split(':', 1)
            fields[k] = v
    heads = [ln[2:] for ln in text.split('\r\n') if ln.startswith('# ')]
    return fields, heads


def cmdstat(fields, name):
    """A cmdstat line as a dict of ints/floats, or None."""
    v = fields.get('cmdstat_' + name)
    if v is None:
        return None
    out = {}
    for kv in v.split(','):
        k, n = kv.split('=')
        out[k] = float(n) if '.' in n else int(n)
    return out


def time_cmd(r):
    before = time.time()
    got = command(r, 'TIME')
    after = time.time()
    check(isinstance(got, list) and len(got) == 2, 'TIME: two elements')
    sec, usec = int(got[0]), int(got[1])
    check(0 <= usec < 1000000, 'TIME: microseconds in range: %d' % usec)
    t = sec + usec / 1e6
    check(before - 1 <= t <= after + 1, 'TIME %f is now (%f..%f)' %
          (t, before, after))
    check(command(r, 'TIME', 'x') ==
          "-ERR wrong number of arguments for 'time' command", 'TIME x')


def sections(r):
    _, heads = info(r)
    check('Commandstats' not in heads and 'CPU' in heads and
          'Errorstats' in heads and 'Keyspace' in heads,
          'INFO: default sections: %r' % heads)
    _, heads = info(r, 'default')
    check('Commandstats' not in heads, 'INFO default: %r' % heads)
    for arg in ('all', 'everything'):
        _, heads = info(r, arg)
        check('Commandstats' in heads and 'CPU' in heads and
              'Errorstats' in heads, 'INFO %s: %r' % (arg, heads))
    _, heads = info(r, 'cpu', 'commandstats')
    check(heads == ['CPU', 'Commandstats'], 'INFO cpu commandstats: %r'
          % heads)
    f, _ = info(r, 'cpu')
    for k in ('used_cpu_sys', 'used_cpu_user', 'used_cpu_sys_children',
              'used_cpu_user_children', 'used_cpu_sys_main_thread',
              'used_cpu_user_main_thread'):
        check(re.fullmatch(r'\d+\.\d{6}', f.get(k, '')), 'INFO cpu %s: %r'
              % (k, f.get(k)))


def stats(r):
    check(command(r, 'CONFIG', 'RESETSTAT') == '+OK', 'RESETSTAT')
    f, _ = info(r, 'commandstats', 'errorstats', 'stats')
    check(cmdstat(f, 'config|resetstat')['calls'] == 1,
          'after RESETSTAT only RESETSTAT itself: %r' % f)
    check([k for k in f if k.startswith('cmdstat_')] ==
          ['cmdstat_config|resetstat'], 'one cmdstat line: %r' % f)
    check(not [k for k in f if k.startswith('errorstat_')],
          'no errorstat line after RESETSTAT')
    check(f['total_error_replies'] == '0' and
          f['total_commands_processed'] == '1', 'stats reset: %r' % f)
    command(r, 'SET', 'k', 'v')
    command(r, 'SET', 'k', 'v', 'bad')          # failed: syntax error
    command(r, 'GET')                           # rejected: arity
    command(r, 'GET', 'k')
    command(r, 'LPUSH', 'k', 'x')               # failed: WRONGTYPE
    command(r, 'CONFIG')                        # rejected: arity
    command(r, 'CONFIG', 'GET', 'port')
    command(r, 'CONFIG', 'NOSUCH')              # no cmdstat, an error
    command(r, 'NOSUCH')                        # no cmdstat, an error
    f, _ = info(r, 'commandstats', 'errorstats', 'stats')
    want = {
        'set': (2, 0, 1), 'get': (1, 1, 0), 'lpush': (1, 0, 1),
        'config': (0, 1, 0), 'config|get': (1, 0, 0),
    }
    for name, (calls, rejected, failed) in want.items():
        st = cmdstat(f, name)
        check(st is not None, 'a cmdstat line for %s: %r' % (name, f))
        check((st['calls'], st['rejected_calls'], st['failed_calls']) ==
              (calls, rejected, failed), 'cmdstat_%s: %r' % (name, st))
        check(st['usec_per_call'] == (round(st['usec'] / st['calls'], 2)
                                      if st['calls'] else 0),
              'usec_per_call of %s: %r' % (name, st))
    check(cmdstat(f, 'nosuch') is None, 'no cmdstat for unknown commands')
    check(f.get('errorstat_ERR') == 'count=5' and
          f.get('errorstat_WRONGTYPE') == 'count=1',
          'errorstats: %r' % {k: v for k, v in f.items()
                              if k.startswith('errorstat')})
    check(f['total_error_replies'] == '6', 'total_error_replies: %r'
          % f['total_error_replies'])
    check(command(r, 'CONFIG', 'RESETSTAT') == '+OK', 'RESETSTAT again')
    f, _ = info(r, 'commandstats', 'errorstats')
    check(cmdstat(f, 'set') is None and 'errorstat_ERR' not in f,
          'RESETSTAT clears commandstats and errorstats: %r' % f)


def wait_until(cond, what, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise kvdlib.TestFailure('timed out waiting for ' + what)


def object_idletime(r):
    """IDLETIME grows while nothing looks the key up; a read or a write
    (and TOUCH) starts it again, EXISTS, TYPE, TTL and OBJECT do not."""
    command(r, 'SET', 'idle', 'v')
    check(command(r, 'OBJECT', 'IDLETIME', 'idle') == 0, 'fresh key idle 0')
    wait_until(lambda: command(r, 'OBJECT', 'IDLETIME', 'idle') >= 2,
               'IDLETIME to reach 2')
    for c in (('EXISTS', 'idle'), ('TYPE', 'idle'), ('TTL', 'idle'),
              ('PTTL', 'idle'), ('OBJECT', 'ENCODING', 'idle'),
              ('EXPIRETIME', 'idle')):
        command(r, *c)
        check(command(r, 'OBJECT', 'IDLETIME', 'idle') >= 2,
              '%s leaves the access time alone' % c[0])
    for c in (('GET', 'idle'), ('TOUCH', 'idle'), ('APPEND', 'idle', 'x'),
              ('STRLEN', 'idle')):
        wait_until(lambda: command(r, 'OBJECT', 'IDLETIME', 'idle') >= 1,
                   'IDLETIME to reach 1 again')
        command(r, *c)
        check(command(r, 'OBJECT', 'IDLETIME', 'idle') == 0,
              '%s is an access' % c[0])
    command(r, 'DEL', 'idle')


def object_refcount(port, r):
    """REFCOUNT counts the replies still sending the value."""
    size = 8 * 1024 * 1024
    command(r, 'SET', 'rc', 'x' * size)
    check(command(r, 'OBJECT', 'REFCOUNT', 'rc') == 1, 'REFCOUNT idle')
    # A small receive buffer, set before the connect so that the TCP
    # window stays small: the reply cannot be written out at once.
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(30)
    s.connect(('127.0.0.1', port))
    s.sendall(kvdlib.encode('GET', 'rc'))
    head = b''
    while b'\r\n' not in head:
        head += s.recv(1)
    check(command(r, 'OBJECT', 'REFCOUNT', 'rc') == 2,
          'REFCOUNT with a reply in flight')
    got, want = 0, size + 2 - len(head.split(b'\r\n', 1)[1])
    while got < want:
        data = s.recv(1 << 20)
        check(data, 'the GET reply is cut short')
        got += len(data)
    s.close()
    wait_until(lambda: command(r, 'OBJECT', 'REFCOUNT', 'rc') == 1,
               'the reply to drop its reference')
    command(r, 'DEL', 'rc')


def randomkey(r):
    """RANDOMKEY returns every key sooner or later, and skips (deletes)
    expired ones."""
    command(r, 'FLUSHALL')
    keys = {b'r%d' % i for i in range(8)}
    for k in keys:
        command(r, 'SET', k, 'v')
    seen = set()
    for _ in range(2000):
        seen.add(command(r, 'RANDOMKEY'))
        if seen == keys:
            break
    check(seen == keys, 'RANDOMKEY gives every key: %r' % seen)
    command(r, 'FLUSHALL')
    for i in range(100):
        command(r, 'SET', 'gone%d' % i, 'v', 'PX', '1')
    command(r, 'SET', 'live', 'v')
    time.sleep(0.01)
    for _ in range(20):
        check(command(r, 'RANDOMKEY') == b'live', 'RANDOMKEY skips expired')
    command(r, 'FLUSHALL')
    check(command(r, 'RANDOMKEY') is None, 'RANDOMKEY of nothing')


# Entries as redis-server 7.0.15 gives them.
GET_INFO = [
    b'get', 2, ['+readonly', '+fast'], 1, 1, 1,
    ['+@read', '+@string', '+@fast'], [],
    [[b'flags', ['+RO', '+access'],
      b'begin_search', [b'type', b'index', b'spec', [b'index', 1]],
      b'find_keys', [b'type', b'range', b'spec',
                     [b'lastkey', 0, b'keystep', 1, b'limit', 0]]]],
    []]
LMPOP_INFO = [
    b'lmpop', -4, ['+write', '+movablekeys'], 0, 0, 0,
    ['+@write', '+@list', '+@slow'], [],
    [[b'flags', ['+RW', '+access', '+delete'],
      b'begin_search', [b'type', b'index', b'spec', [b'index', 1]],
      b'find_keys', [b'type', b'keynum', b'spec',
                     [b'keynumidx', 0, b'firstkey', 1, b'keystep', 1]]]],
    []]
CONFIG_GET_INFO = [
    b'config|get', -3, ['+admin', '+noscript', '+loading', '+stale'], 0, 0,
    0, ['+@admin', '+@slow', '+@dangerous'], [], [], []]


def command_info(r):
    """COMMAND lists every command once, COMMAND COUNT agrees, COMMAND
    INFO finds each (in any case: the table is sorted) and gives Redis's
    entry, nil for an unknown name."""
    every = command(r, 'COMMAND')
    check(command(r, 'COMMAND', 'COUNT') == len(every), 'COMMAND COUNT')
    names = [e[0] for e in every]
    check(len(set(names)) == len(names), 'each command once')
    for e in every:
        check(len(e) == 10, 'ten elements: %r' % e[:2])
        got = command(r, 'COMMAND', 'INFO', e[0].upper())
        check(got == [e], 'COMMAND INFO %s' % e[0])
        for s in e[9]:
            check(command(r, 'COMMAND', 'INFO', s[0]) == [s],
                  'COMMAND INFO %s' % s[0])
    check(command(r, 'COMMAND', 'INFO', 'get', 'nosuch', 'LMPOP',
                  'Config|Get', 'config|nosuch', 'get|x') ==
          [GET_INFO, None, LMPOP_INFO, CONFIG_GET_INFO, None, None],
          'COMMAND INFO get nosuch lmpop config|get')
    check(command(r, 'COMMAND', 'INFO') == every, 'COMMAND INFO alone')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, default=1)
    a = ap.parse_args()
    with kvdlib.Server('server', a.io_threads) as srv:
        with kvdlib.connect(srv.port) as s:
            r = Reader(s)
            time_cmd(r)
            sections(r)
            stats(r)
            object_idletime(r)
            object_refcount(srv.port, r)
            randomkey(r)
            command_info(r)
    print('server io-threads=%d ok' % a.io_threads)


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
