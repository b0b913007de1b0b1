#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""monitor.py - MONITOR over raw sockets: the line each executed command
sends to every monitor, in Redis 7.0's format (time stamp, [0 address],
arguments quoted and escaped), which commands are left out (refused ones,
CONFIG, CLIENT KILL and Redis's other "admin" commands) and which
arguments hidden (AUTH, HELLO's AUTH pair), the order inside EXEC, a
blocked command shown when it blocks, two monitors, a monitor that may
not touch keys, RESET leaving monitor mode, a monitor that disconnects
while commands go on, and a Unix-socket client's address.

Usage: monitor.py --io-threads N
"""

import argparse
import os
import re
import socket
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402
from kvdlib import Reader, check, command, encode  # noqa: E402

LINE = re.compile(r'\+(\d+)\.(\d{6}) \[0 ([^\]]+)\] (.*)')


def client(port):
    return Reader(kvdlib.connect(port, timeout=20), timeout=20)


def monitor(port):
    m = client(port)
    check(command(m, 'MONITOR') == '+OK', 'MONITOR')
    return m


def line(m):
    """The next monitor line: (address, the quoted arguments)."""
    got = m.reply()
    found = LINE.fullmatch(got) if isinstance(got, str) else None
    check(found, 'a monitor line: %r' % (got,))
    check(abs(int(found.group(1)) - time.time()) < 600,
          'the time stamp is the wall clock: %r' % got)
    return found.group(3), found.group(4)


def lines(m, n):
    return [line(m)[1] for _ in range(n)]


def formats(port):
    m = monitor(port)
    c = client(port)
    addr = '127.0.0.1:%d' % c.sock.getsockname()[1]
    command(c, 'SET', 'k', b'a b"\\\n\r\t\a\b\x00\x01\x7f\xff\xc3\xa9 ~')
    got_addr, args = line(m)
    check(got_addr == addr, 'the client\'s address: %r, not %r'
          % (got_addr, addr))
    check(args == r'"SET" "k" "a b\"\\\n\r\t\a\b\x00\x01\x7f\xff\xc3\xa9 ~"',
          'arguments quoted as Redis quotes them: %r' % args)
    # Left out: refused commands and Redis's admin commands.
    command(c, 'NOSUCH')
    command(c, 'GET')
    command(c, 'CONFIG', 'GET', 'port')
    command(c, 'CLIENT', 'KILL', 'ID', '999999')
    command(c, 'CLIENT', 'LIST')
    command(c, 'CLIENT', 'UNBLOCK', '999999')
    command(c, 'MONITOR')
    command(c, 'RESET')
    command(c, 'PING', 'after')
    check(lines(m, 2) == ['"RESET"', '"PING" "after"'],
          'only RESET and PING were shown')
    # Hidden: AUTH's arguments, HELLO's AUTH pair.
    command(c, 'AUTH', 'secret')
    command(c, 'AUTH', 'user', 'secret')
    command(c, 'HELLO', '2', 'SETNAME', 'n', 'AUTH', 'default', 'pw')
    command(c, 'CLIENT', 'SETNAME', 'x')
    check(lines(m, 4) == ['"AUTH" "(redacted)"',
                          '"AUTH" "(redacted)" "(redacted)"',
                          '"HELLO" "2" "SETNAME" "n" "AUTH" "(redacted)" '
                          '"(redacted)"',
                          '"CLIENT" "SETNAME" "x"'], 'redacted')
    # EXEC: each queued command when it runs (not when queued), then EXEC.
    for cmd in (('MULTI',), ('SET', 'a', '1'), ('CONFIG', 'GET', 'x'),
                ('GET', 'a')):
        command(c, *cmd)
    command(c, 'EXEC')
    check(lines(m, 4) == ['"MULTI"', '"SET" "a" "1"', '"GET" "a"', '"EXEC"'],
          'EXEC\'s commands, then EXEC')
    # A blocked command is shown when it blocks.
    w = client(port)
    w.sock.sendall(encode('BLPOP', 'q', '0'))
    check(lines(m, 1) == ['"BLPOP" "q" "0"'], 'BLPOP shown blocked')
    command(c, 'RPUSH', 'q', 'v')
    check(w.reply() == [b'q', b'v'], 'served')
    check(lines(m, 1) == ['"RPUSH" "q" "v"'], 'not shown again when served')
    # A long argument: the line is one object written to every monitor.
    m2 = monitor(port)
    big = b'x' * 100000
    command(c, 'SET', 'big', big)
    want = '"SET" "big" "%s"' % ('x' * 100000)
    check(lines(m, 1) == [want] and lines(m2, 1) == [want],
          'a long line reaches both monitors')
    # A monitor may not touch keys, sees its own commands, and its second
    # MONITOR gets no reply (Redis's too).
    check(command(m, 'GET', 'k') ==
          "-ERR Replica can't interact with the keyspace", 'GET refused')
    check(command(m, 'PING') == '+PONG', 'PING allowed')
    check(lines(m, 1) == ['"PING"'], 'its own PING shown after the reply')
    check(lines(m2, 1) == ['"PING"'], 'and to the other monitor')
    m.sock.sendall(encode('MONITOR') + encode('ECHO', 'e'))
    check(m.reply() == b'e', 'the second MONITOR has no reply')
    check(lines(m, 1) == ['"ECHO" "e"'] and lines(m2, 1) == ['"ECHO" "e"'],
          'ECHO shown')
    check(command(m, 'RESET') == '+RESET', 'RESET')
    check(lines(m2, 1) == ['"RESET"'], 'RESET shown')
    check(command(m, 'GET', 'k')[:1] == b'a', 'RESET left monitor mode')
    check(lines(m2, 1) == ['"GET" "k"'], 'shown to m2 only')
    # A monitor that leaves: commands go on, the others still see them.
    m.sock.close()
    m2.sock.close()
    kvdlib.wait_for(lambda: 'cmd=monitor' not in command(
        c, 'CLIENT', 'LIST').decode(), 20, 'the monitors are gone')
    fresh = [client(port) for _ in range(4)]
    for i in range(20):
        check(command(c, 'INCR', 'after-close') == i + 1, 'INCR')
    for r in fresh:
        check(command(r, 'PING') == '+PONG' and not r.buf,
              'a new client gets no monitor line: %r' % r.buf[:200])
        r.sock.close()
    command(c, 'DEL', 'after-close')
    m3 = monitor(port)
    for i in range(50):
        check(command(c, 'INCR', 'after-close') == i + 1, 'INCR')
    check(lines(m3, 50) == ['"INCR" "after-close"'] * 50,
          'the new monitor sees them all')
    command(c, 'MULTI')
    command(c, 'MONITOR')
    check(command(c, 'EXEC') ==
          ["-ERR MONITOR isn't allowed for DENY BLOCKING client"],
          'MONITOR inside EXEC')
    check(' flags=O ' in [x for x in command(c, 'CLIENT', 'LIST').decode()
                          .split('\n') if 'cmd=monitor' in x][0],
          'CLIENT LIST flags=O')


def unix_address(io_threads):
    path = os.path.join(tempfile.mkdtemp(prefix='kvd-'), 'kvd.sock')
    with kvdlib.Server('monitor-unix', io_threads,
                       ['--unixsocket', path]) as srv:
        m = monitor(srv.port)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(20)
        s.connect(path)
        check(command(Reader(s), 'PING') == '+PONG', 'PING over Unix')
        got = line(m)
        check(got == ('unix:' + path, '"PING"'), 'unix:PATH: %r' % (got,))
        s.close()
    os.rmdir(os.path.dirname(path))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, required=True)
    a = ap.parse_args()
    with kvdlib.Server('monitor', a.io_threads) as srv:
        formats(srv.port)
    unix_address(a.io_threads)
    print('monitor io-threads=%d: all passed' % a.io_threads)


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
