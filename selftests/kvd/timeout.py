#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""timeout.py - the idle timeout (--timeout N, CONFIG SET timeout N):
an idle client is closed, while a subscriber, a blocked client and a
monitor idle as long are not; a client served after a block longer than
the timeout is not closed for it; CONFIG SET timeout changes it at run
time, and CONFIG GET reads it back.

"Idle as long" is established by state, not by a sleep: a control
client, connected after the others and idle since, must be closed first;
each check then polls with a generous bound.

Usage: timeout.py --io-threads N
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402
from kvdlib import Reader, check, command, encode, wait_for  # noqa: E402

BOUND = 30.0


def client(port):
    return Reader(kvdlib.connect(port, timeout=BOUND), timeout=BOUND)


def blocked(port):
    text = command(port, 'INFO', 'clients').decode()
    f = dict(line.split(':', 1) for line in text.split('\r\n') if ':' in line)
    return int(f['blocked_clients'])


def spared(port):
    sub = client(port)
    check(command(sub, 'SUBSCRIBE', 'c') == [b'subscribe', b'c', 1], 'SUB')
    psub = client(port)
    check(command(psub, 'PSUBSCRIBE', 'p*') == [b'psubscribe', b'p*', 1],
          'PSUBSCRIBE')
    mon = client(port)
    check(command(mon, 'MONITOR') == '+OK', 'MONITOR')
    blk = client(port)
    blk.sock.sendall(encode('BLPOP', 'q', '0'))
    wait_for(lambda: blocked(port) == 1, BOUND, 'BLPOP blocks')
    idle = client(port)
    check(command(idle, 'PING') == '+PONG', 'the control client')
    check(idle.eof(BOUND), 'the idle client is closed')
    # Everyone above has been idle longer than the control client.
    c = client(port)
    check(command(c, 'PUBLISH', 'c', 'm') == 1, 'the subscriber is there')
    check(sub.reply() == [b'message', b'c', b'm'], 'and gets the message')
    check(command(c, 'PUBLISH', 'px', 'm') == 1, 'the pattern subscriber')
    check(psub.reply() == [b'pmessage', b'p*', b'px', b'm'], 'gets it')
    seen = [mon.reply()]
    while not seen[-1].endswith(' "PUBLISH" "c" "m"') and len(seen) < 100:
        seen.append(mon.reply())
    check(seen[-1].endswith(' "PUBLISH" "c" "m"'), 'the monitor is there: '
          '%r' % seen)
    check(blocked(port) == 1, 'the blocked client is there')
    check(command(c, 'RPUSH', 'q', 'v') == 1, 'RPUSH')
    check(blk.reply() == [b'q', b'v'], 'the blocked client is served')
    for r in (sub, psub, mon, blk, c):
        r.sock.close()


def served_late(port):
    """A client served after blocking longer than the timeout may send its
    next command a moment later: its wait's end counts as activity."""
    blk = client(port)
    blk.sock.sendall(encode('BLPOP', 'late', '0'))
    wait_for(lambda: blocked(port) == 1, BOUND, 'BLPOP blocks')
    idle = client(port)
    check(command(idle, 'PING') == '+PONG', 'control')
    check(idle.eof(BOUND), 'the control client is closed first')
    c = client(port)
    command(c, 'RPUSH', 'late', 'x')
    check(blk.reply() == [b'late', b'x'], 'served')
    check(not blk.eof(0.5), 'not closed just after being served')
    check(command(blk, 'PING') == '+PONG', 'and goes on')
    c.sock.close()
    blk.sock.close()


def config_set(io_threads):
    with kvdlib.Server('timeout-config', io_threads) as srv:
        port = srv.port
        check(command(port, 'CONFIG', 'GET', 'timeout') == [b'timeout', b'0'],
              'timeout 0 by default')
        idle = client(port)
        check(command(idle, 'PING') == '+PONG', 'PING')
        check(command(port, 'CONFIG', 'SET', 'timeout', '1') == '+OK',
              'CONFIG SET timeout 1')
        check(command(port, 'CONFIG', 'GET', 'timeout') == [b'timeout', b'1'],
              'CONFIG GET timeout')
        check(idle.eof(BOUND), 'an idle client is closed after the SET')
        check(command(port, 'CONFIG', 'SET', 'timeout', '0') == '+OK', '0')
        check(command(port, 'CONFIG', 'GET', 'timeout') == [b'timeout', b'0'],
              'back to 0')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, required=True)
    a = ap.parse_args()
    with kvdlib.Server('timeout', a.io_threads, ['--timeout', '2']) as srv:
        check(command(srv.port, 'CONFIG', 'GET', 'timeout') ==
              [b'timeout', b'2'], '--timeout 2')
        spared(srv.port)
        served_late(srv.port)
    config_set(a.io_threads)
    print('timeout io-threads=%d: all passed' % a.io_threads)


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
