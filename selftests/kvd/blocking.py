#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""blocking.py - the blocking list commands across connections, over
raw sockets: a waiter woken by another client's push, waiters served
first come first served, every form (BLPOP, BRPOP, BLMOVE with a chain to
another waiter, BRPOPLPUSH, BLMPOP), a waiter on several keys, a
BLMOVE whose destination has the wrong type, fractional timeouts, a
waiter that disconnects (the element then stays in the list), CLIENT
UNBLOCK, CLIENT KILL, pipelined commands held behind a blocked one, a
transaction's push, RENAME onto a waited-on key, WATCH of the key a
served BLMOVE pushed onto, and INFO's and CLIENT LIST's view of blocked
clients.

Every wait for the server's state polls it (INFO blocked_clients) with
a generous bound; no sleep decides an order.

Usage: blocking.py --io-threads N
"""

import argparse
import os
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402
from kvdlib import Reader, check, command, encode, wait_for  # noqa: E402

BOUND = 20.0	# seconds any expected event may take


def client(port):
    return Reader(kvdlib.connect(port, timeout=BOUND), timeout=BOUND)


def blocked(port):
    text = command(port, 'INFO', 'clients').decode()
    f = dict(line.split(':', 1) for line in text.split('\r\n') if ':' in line)
    return int(f['blocked_clients'])


def block(port, *cmd):
    """A new client that sends @cmd; returns once the server counts one
    more blocked client, so that waiters queue in the order made."""
    n = blocked(port)
    r = client(port)
    r.sock.sendall(encode(*cmd))
    wait_for(lambda: blocked(port) == n + 1, BOUND, '%s blocks' % (cmd,))
    return r


def silent(r, secs=0.1):
    """Nothing arrived for @r (a check that a waiter was not served)."""
    r.sock.settimeout(secs)
    try:
        data = r.sock.recv(100)
    except socket.timeout:
        data = None
    r.sock.settimeout(BOUND)
    return data is None and not r.buf


def woken(port):
    c = client(port)
    w = block(port, 'BLPOP', 'q', '0')
    check(command(c, 'LPUSH', 'q', 'v') == 1,
          'the push counts the element it brings')
    check(w.reply() == [b'q', b'v'], 'BLPOP gets it')
    check(command(c, 'EXISTS', 'q') == 0, 'and the list is gone')
    check(blocked(port) == 0, 'nobody blocked')
    check(command(w, 'PING') == '+PONG', 'the waiter goes on')


def fifo(port):
    c = client(port)
    ws = [block(port, 'BLPOP', 'f', '0') for _ in range(5)]
    check(command(c, 'RPUSH', 'f', '1', '2', '3') == 3, 'RPUSH 3')
    for i in range(3):
        check(ws[i].reply() == [b'f', str(i + 1).encode()],
              'waiter %d served in order' % i)
    check(silent(ws[3]) and silent(ws[4]), 'the last two still wait')
    check(blocked(port) == 2, 'two blocked')
    check(command(c, 'RPUSH', 'f', '4', '5', '6') == 3, 'RPUSH 3 more')
    check(ws[3].reply() == [b'f', b'4'] and ws[4].reply() == [b'f', b'5'],
          'then the last two')
    check(command(c, 'LRANGE', 'f', '0', '-1') == [b'6'], 'one stays')
    command(c, 'DEL', 'f')


def forms(port):
    c = client(port)
    w = block(port, 'BRPOP', 'r', '0')
    command(c, 'RPUSH', 'r', 'a', 'b')
    check(w.reply() == [b'r', b'b'], 'BRPOP takes the tail')
    command(c, 'DEL', 'r')
    w = block(port, 'BLMPOP', '0', '2', 'm1', 'm2', 'RIGHT', 'COUNT', '2')
    command(c, 'RPUSH', 'm2', 'x', 'y', 'z')
    check(w.reply() == [b'm2', [b'z', b'y']], 'BLMPOP RIGHT COUNT 2')
    check(command(c, 'LRANGE', 'm2', '0', '-1') == [b'x'], 'BLMPOP left x')
    command(c, 'DEL', 'm2')
    # A waiter on several keys is served by the first that gets elements;
    # a BLMOVE's push wakes a waiter on its destination.
    mover = block(port, 'BLMOVE', 's', 'd', 'LEFT', 'RIGHT', '0')
    chained = block(port, 'BLPOP', 'other', 'd', '0')
    check(command(c, 'LPUSH', 's', 'v') == 1, 'LPUSH s')
    check(mover.reply() == b'v', 'BLMOVE replies the element')
    check(chained.reply() == [b'd', b'v'], 'its push woke the next waiter')
    check(command(c, 'EXISTS', 's', 'd') == 0, 'both lists are empty')
    w = block(port, 'BRPOPLPUSH', 's', 'd', '0')
    command(c, 'RPUSH', 's', '1', '2')
    check(w.reply() == b'2', 'BRPOPLPUSH')
    check(command(c, 'LRANGE', 'd', '0', '-1') == [b'2'] and
          command(c, 'LRANGE', 's', '0', '-1') == [b'1'], 'moved once')
    command(c, 'DEL', 's', 'd')
    # The destination holds a string when the element comes: that waiter
    # gets WRONGTYPE and the element goes to the next one.
    w1 = block(port, 'BLMOVE', 's', 'd', 'LEFT', 'RIGHT', '0')
    w2 = block(port, 'BLPOP', 's', '0')
    command(c, 'SET', 'd', 'string')
    check(command(c, 'RPUSH', 's', 'e') == 1, 'RPUSH s')
    check(w1.reply().startswith('-WRONGTYPE'), 'BLMOVE to a string')
    check(w2.reply() == [b's', b'e'], 'the next waiter takes it')
    command(c, 'DEL', 'd')
    # A key that becomes a string wakes nobody; its list later does.
    w = block(port, 'BLPOP', 'k', '0')
    command(c, 'SET', 'k', 'string')
    check(silent(w), 'a string wakes nobody')
    command(c, 'DEL', 'k')
    command(c, 'RPUSH', 'tmp', 'renamed')
    check(command(c, 'RENAME', 'tmp', 'k') == '+OK', 'RENAME onto it')
    check(w.reply() == [b'k', b'renamed'], 'a list renamed onto it wakes it')


def timeouts(port):
    w = client(port)
    for t, low in (('0.2', 0.19), ('0.05', 0.045), ('1', 0.99)):
        start = time.monotonic()
        check(command(w, 'BLPOP', 'never', t) is None, 'BLPOP %s: nil' % t)
        took = time.monotonic() - start
        check(low <= took < BOUND, 'BLPOP %s took %.3f s' % (t, took))
    start = time.monotonic()
    check(command(w, 'BLMOVE', 'never', 'd', 'LEFT', 'LEFT', '0.1') is None,
          'BLMOVE times out with nil')
    check(time.monotonic() - start >= 0.09, 'BLMOVE waited')
    w.sock.sendall(encode('BRPOPLPUSH', 'never', 'd', '0.01'))
    check(w.sock.recv(5) == b'*-1\r\n', 'a timed-out move is a nil array')
    check(blocked(port) == 0, 'nobody blocked after the timeouts')


def disconnects(port):
    c = client(port)
    gone = block(port, 'BLPOP', 'g', '0')
    gone.sock.close()
    wait_for(lambda: blocked(port) == 0, BOUND, 'the closed waiter is gone')
    check(command(c, 'RPUSH', 'g', 'kept') == 1, 'RPUSH g')
    check(command(c, 'LRANGE', 'g', '0', '-1') == [b'kept'],
          'the element stays in the list')
    command(c, 'DEL', 'g')
    # One waiter closes behind another's back: the survivor is served.
    a = block(port, 'BLPOP', 'g', '0')
    b = block(port, 'BLPOP', 'g', '0')
    a.sock.close()
    wait_for(lambda: blocked(port) == 1, BOUND, 'A forgotten')
    command(c, 'RPUSH', 'g', 'x')
    check(b.reply() == [b'g', b'x'], 'B served')
    # Killed while blocked.
    k = block(port, 'BLPOP', 'g', '0')
    kid = [line for line in command(c, 'CLIENT', 'LIST').decode().split('\n')
           if 'flags=b' in line][0].split()[0][3:]
    check(command(c, 'CLIENT', 'KILL', 'ID', kid) == 1, 'CLIENT KILL')
    check(k.eof(BOUND), 'the killed waiter is closed')
    wait_for(lambda: blocked(port) == 0, BOUND, 'and forgotten')
    command(c, 'RPUSH', 'g', 'y')
    check(command(c, 'LLEN', 'g') == 1, 'nothing taken by the dead')
    command(c, 'DEL', 'g')
    # Killed and pushed to in one transaction: the push is served after
    # EXEC, when the waiter is closing but not yet gone; it takes nothing.
    k = block(port, 'BLPOP', 'g', '0')
    kid = [line for line in command(c, 'CLIENT', 'LIST').decode().split('\n')
           if 'flags=b' in line][0].split()[0][3:]
    command(c, 'MULTI')
    command(c, 'CLIENT', 'KILL', 'ID', kid)
    command(c, 'RPUSH', 'g', 'z')
    check(command(c, 'EXEC') == [1, 1], 'EXEC: killed, pushed')
    check(command(c, 'LRANGE', 'g', '0', '-1') == [b'z'],
          'the element stays: a closing waiter takes nothing')
    check(k.eof(BOUND), 'the waiter is closed')
    wait_for(lambda: blocked(port) == 0, BOUND, 'and forgotten')
    command(c, 'DEL', 'g')


def client_id_of(port, flag_cmd):
    for line in command(port, 'CLIENT', 'LIST').decode().split('\n'):
        if 'flags=b' in line and 'cmd=%s ' % flag_cmd in line:
            return line.split()[0][3:]
    raise kvdlib.TestFailure('no client blocked in %s' % flag_cmd)


def unblock(port):
    c = client(port)
    w = block(port, 'BLPOP', 'u', '0')
    wid = client_id_of(port, 'blpop')
    check(command(c, 'CLIENT', 'UNBLOCK', wid) == 1, 'CLIENT UNBLOCK: 1')
    check(w.reply() is None, 'the waiter gets the timeout nil')
    check(command(c, 'CLIENT', 'UNBLOCK', wid) == 0, 'not blocked now: 0')
    w.sock.sendall(encode('BLMPOP', '0', '1', 'u', 'LEFT'))
    wait_for(lambda: blocked(port) == 1, BOUND, 'BLMPOP blocks')
    check(command(c, 'CLIENT', 'UNBLOCK', wid, 'ERROR') == 1, 'ERROR: 1')
    check(w.reply() == '-UNBLOCKED client unblocked via CLIENT UNBLOCK',
          'the waiter gets the UNBLOCKED error')
    check(command(w, 'PING') == '+PONG', 'and goes on')
    check(command(c, 'CLIENT', 'UNBLOCK', wid, 'bad') ==
          '-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR', 'reason')


def held_requests(port):
    """Requests pipelined after a blocking one wait for it, in order."""
    c = client(port)
    w = client(port)
    w.sock.sendall(encode('BLPOP', 'h', '0') + encode('PING') +
                   encode('INCR', 'n'))
    wait_for(lambda: blocked(port) == 1, BOUND, 'BLPOP blocks')
    check(command(c, 'GET', 'n') is None, 'the INCR waits')
    command(c, 'RPUSH', 'h', 'x')
    check(w.reply() == [b'h', b'x'] and w.reply() == '+PONG' and
          w.reply() == 1, 'the replies come in order')
    command(c, 'DEL', 'n')


def transactions(port):
    c = client(port)
    w = block(port, 'BLPOP', 't', '0')
    command(c, 'MULTI')
    command(c, 'RPUSH', 't', 'a')
    command(c, 'LPOP', 't')
    check(command(c, 'EXEC') == [1, b'a'], 'push and pop in one EXEC')
    check(silent(w), 'nothing left for the waiter')
    command(c, 'MULTI')
    command(c, 'RPUSH', 't', 'a')
    command(c, 'RPUSH', 't', 'b')
    check(command(c, 'EXEC') == [1, 2], 'two pushes: the waiter is served '
          'after EXEC, so the second push counts 2')
    check(w.reply() == [b't', b'a'], 'served after EXEC')
    check(command(c, 'LRANGE', 't', '0', '-1') == [b'b'], 'b stays')
    command(c, 'DEL', 't')
    # The server's own move, serving a waiter, changes the destination:
    # a client watching it fails its EXEC.
    watcher = client(port)
    check(command(watcher, 'WATCH', 'dst') == '+OK', 'WATCH dst')
    w = block(port, 'BLMOVE', 'src', 'dst', 'LEFT', 'RIGHT', '0')
    command(c, 'RPUSH', 'src', 'z')
    check(w.reply() == b'z', 'served')
    command(watcher, 'MULTI')
    command(watcher, 'GET', 'k')
    check(command(watcher, 'EXEC') is None, 'the move dirtied the watch')
    command(c, 'DEL', 'dst')


def state(port):
    c = client(port)
    w = block(port, 'BLMOVE', 'st', 'd', 'LEFT', 'RIGHT', '0')
    line = [x for x in command(c, 'CLIENT', 'LIST').decode().split('\n')
            if 'cmd=blmove' in x]
    check(len(line) == 1 and ' flags=b ' in line[0],
          'CLIENT LIST flags=b: %r' % line)
    check(blocked(port) == 1, 'INFO blocked_clients: 1')
    command(c, 'RPUSH', 'st', 'x')
    check(w.reply() == b'x', 'served')
    check(' flags=N ' in command(w, 'CLIENT', 'INFO').decode(),
          'flags=N after')
    command(c, 'DEL', 'd')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, required=True)
    a = ap.parse_args()
    with kvdlib.Server('blocking', a.io_threads) as srv:
        for fn in (woken, fifo, forms, timeouts, disconnects, unblock,
                   held_requests, transactions, state):
            fn(srv.port)
            check(blocked(srv.port) == 0, '%s left a client blocked'
                  % fn.__name__)
    print('blocking io-threads=%d: all passed' % a.io_threads)


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
