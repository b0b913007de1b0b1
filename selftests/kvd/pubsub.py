#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pubsub.py - publish/subscribe across connections, over raw sockets:
the replies of (P)(UN)SUBSCRIBE with several names, fan-out of every
message, in order and complete, to subscribers spread over the IO
workers while a pipelined publisher sends (small messages, which baton
copies, and large ones, written by reference), pattern subscriptions,
PUBLISH's counts, the RESP2 subscribed-mode rules (only (P)(UN)SUBSCRIBE,
PING, QUIT and RESET, with Redis's error), PUBSUB's introspection, INFO
and CLIENT LIST, subscribers that leave, and the pub/sub output limit
closing a subscriber that does not read.

Usage: pubsub.py --io-threads N
"""

import argparse
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402
from kvdlib import Reader, check, command, encode, wait_for  # noqa: E402

SUBSCRIBERS = 12
MESSAGES = 1500
ONLY = ("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
        "PING / QUIT / RESET are allowed in this context")


def client(port, rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(30)
    s.connect(('127.0.0.1', port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return Reader(s, timeout=30)


def info(port, section):
    text = command(port, 'INFO', section).decode()
    return dict(line.split(':', 1) for line in text.split('\r\n')
                if ':' in line)


def replies(r, n):
    return [r.reply() for _ in range(n)]


def subscribe_replies(port):
    """Several names, duplicates, counts across kinds, unsubscribe all."""
    r = client(port)
    r.sock.sendall(encode('SUBSCRIBE', 'a', 'b', 'a'))
    check(replies(r, 3) == [[b'subscribe', b'a', 1], [b'subscribe', b'b', 2],
                            [b'subscribe', b'a', 2]], 'SUBSCRIBE a b a')
    r.sock.sendall(encode('PSUBSCRIBE', 'x*', 'y?'))
    check(replies(r, 2) == [[b'psubscribe', b'x*', 3],
                            [b'psubscribe', b'y?', 4]], 'PSUBSCRIBE')
    r.sock.sendall(encode('UNSUBSCRIBE', 'zz', 'a'))
    check(replies(r, 2) == [[b'unsubscribe', b'zz', 4],
                            [b'unsubscribe', b'a', 3]], 'UNSUBSCRIBE zz a')
    r.sock.sendall(encode('SUBSCRIBE', 'c'))
    r.reply()
    r.sock.sendall(encode('UNSUBSCRIBE'))
    got = replies(r, 2)
    check(sorted(g[1] for g in got) == [b'b', b'c'] and
          sorted(g[2] for g in got) == [2, 3] and
          all(g[0] == b'unsubscribe' for g in got), 'UNSUBSCRIBE all: %r'
          % got)
    check(command(r, 'UNSUBSCRIBE') == [b'unsubscribe', None, 2],
          'UNSUBSCRIBE with none left')
    check(command(r, 'GET', 'k') == '-' + ONLY % 'get',
          'patterns keep it in subscribed mode')
    r.sock.sendall(encode('PUNSUBSCRIBE'))
    got = replies(r, 2)
    check(sorted(g[1] for g in got) == [b'x*', b'y?'] and
          sorted(g[2] for g in got) == [0, 1], 'PUNSUBSCRIBE all: %r' % got)
    check(command(r, 'PUNSUBSCRIBE') == [b'punsubscribe', None, 0],
          'PUNSUBSCRIBE with none left')
    check(command(r, 'GET', 'k') is None, 'out of subscribed mode')
    check(command(r, 'PING') == '+PONG', 'PING outside: +PONG')
    r.sock.close()


def subscribed_mode(port):
    r = client(port)
    check(command(r, 'SUBSCRIBE', 'm') == [b'subscribe', b'm', 1], 'SUBSCRIBE')
    for cmd, name in [(('GET', 'k'), 'get'), (('SET', 'k', 'v'), 'set'),
                      (('MULTI',), 'multi'), (('PUBLISH', 'm', 'x'),
                                              'publish'),
                      (('CLIENT', 'ID'), 'client|id'),
                      (('PUBSUB', 'NUMPAT'), 'pubsub|numpat'),
                      (('BLPOP', 'q', '0'), 'blpop'),
                      (('MONITOR',), 'monitor')]:
        got = command(r, *cmd)
        check(got == '-' + ONLY % name, '%s in subscribed mode: %r'
              % (cmd, got))
    check(command(r, 'NOSUCH') ==
          "-ERR unknown command 'NOSUCH', with args beginning with: ",
          'an unknown command first')
    check(command(r, 'GET') ==
          "-ERR wrong number of arguments for 'get' command",
          'the arity first')
    check(command(r, 'PING') == [b'pong', b''], 'PING: ["pong", ""]')
    check(command(r, 'PING', 'hi') == [b'pong', b'hi'], 'PING hi')
    check(command(r, 'PING', 'a', 'b') ==
          "-ERR wrong number of arguments for 'ping' command", 'PING a b')
    check(command(r, 'RESET') == '+RESET', 'RESET')
    check(command(r, 'GET', 'k') is None, 'RESET left subscribed mode')
    check(command(port, 'PUBSUB', 'NUMSUB', 'm') == [b'm', 0],
          'RESET unsubscribed')
    check(command(r, 'SUBSCRIBE', 'm') == [b'subscribe', b'm', 1], 'again')
    r.sock.sendall(encode('QUIT'))
    check(r.reply() == '+OK' and r.eof(10), 'QUIT in subscribed mode')
    # A transaction that subscribes: the client is subscribed after EXEC.
    r = client(port)
    check(command(r, 'MULTI') == '+OK', 'MULTI')
    check(command(r, 'SUBSCRIBE', 't') == '+QUEUED', 'SUBSCRIBE queued')
    check(command(r, 'GET', 'k') == '+QUEUED', 'GET queued')
    check(command(r, 'EXEC') == [[b'subscribe', b't', 1], None], 'EXEC')
    check(command(r, 'GET', 'k') == '-' + ONLY % 'get', 'subscribed after')
    r.sock.close()


def subscriber(port, channel, pattern):
    r = client(port)
    if pattern:
        check(command(r, 'PSUBSCRIBE', pattern) ==
              [b'psubscribe', pattern.encode(), 1], 'PSUBSCRIBE')
    else:
        check(command(r, 'SUBSCRIBE', channel) ==
              [b'subscribe', channel.encode(), 1], 'SUBSCRIBE')
    return r


def payload(i):
    """Small, just below and above baton's copy limit, and large."""
    size = (5, 200, 300, 4000, 70000)[i % 5]
    return (b'%d:' % i) + bytes([48 + i % 10]) * size


def fanout(port, io_threads):
    subs = [subscriber(port, 'fan', None) for _ in range(SUBSCRIBERS)]
    psubs = [subscriber(port, None, 'f?n') for _ in range(3)]
    other = subscriber(port, 'other', None)
    if io_threads >= 2:
        listing = command(port, 'CLIENT', 'LIST').decode()
        threads = {f.split('=')[1] for line in listing.split('\n')
                   if 'cmd=subscribe' in line or 'cmd=psubscribe' in line
                   for f in line.split() if f.startswith('io-thread=')}
        check(len(threads) >= 2, 'subscribers on several IO workers: %s'
              % listing)
    errors = []
    got = [[] for _ in subs + psubs]

    def read(idx, r):
        try:
            for _ in range(MESSAGES):
                got[idx].append(r.reply())
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append('subscriber %d: %s' % (idx, e))

    readers = [threading.Thread(target=read, args=(i, r))
               for i, r in enumerate(subs + psubs)]
    for t in readers:
        t.start()
    pub = client(port)
    batch = 100
    for start in range(0, MESSAGES, batch):
        pub.sock.sendall(b''.join(encode('PUBLISH', 'fan', payload(i))
                                  for i in range(start, start + batch)))
        for i in range(start, start + batch):
            n = pub.reply()
            check(n == SUBSCRIBERS + 3, 'PUBLISH %d reaches %d, not %d'
                  % (i, SUBSCRIBERS + 3, n))
    for t in readers:
        t.join(120)
    check(not errors, '; '.join(errors))
    for idx in range(len(subs)):
        want = [[b'message', b'fan', payload(i)] for i in range(MESSAGES)]
        check(got[idx] == want, 'subscriber %d got every message, in order'
              % idx)
    for idx in range(len(subs), len(subs) + len(psubs)):
        want = [[b'pmessage', b'f?n', b'fan', payload(i)]
                for i in range(MESSAGES)]
        check(got[idx] == want, 'pattern subscriber %d got every message'
              % idx)
    other.sock.settimeout(0.2)
    try:
        stray = other.sock.recv(100)
    except socket.timeout:
        stray = b''
    check(stray == b'', 'another channel got nothing: %r' % stray[:100])
    for r in subs + psubs + [other, pub]:
        r.sock.close()


def patterns_and_counts(port):
    a, b, c = client(port), client(port), client(port)
    a.sock.sendall(encode('SUBSCRIBE', 'news.1', 'news.2'))
    replies(a, 2)
    a.sock.sendall(encode('PSUBSCRIBE', 'news.*', 'n*'))
    replies(a, 2)
    check(command(b, 'PSUBSCRIBE', 'news.*') == [b'psubscribe', b'news.*', 1],
          'B PSUBSCRIBE')
    check(command(c, 'PUBLISH', 'news.1', 'hi') == 4,
          'a channel and three matching patterns: 4 receivers')
    got_a = replies(a, 3)
    check(got_a[0] == [b'message', b'news.1', b'hi'],
          'the channel message first: %r' % got_a)
    check(sorted(got_a[1:]) == [[b'pmessage', b'n*', b'news.1', b'hi'],
                                [b'pmessage', b'news.*', b'news.1', b'hi']],
          'then one pmessage per matching pattern: %r' % got_a)
    check(b.reply() == [b'pmessage', b'news.*', b'news.1', b'hi'], 'B')
    check(command(c, 'PUBLISH', 'nothing', 'x') == 1, 'n* alone')
    a.reply()
    check(command(c, 'PUBLISH', 'zzz', 'x') == 0, 'nobody')
    check(sorted(command(c, 'PUBSUB', 'CHANNELS')) == [b'news.1', b'news.2'],
          'PUBSUB CHANNELS')
    check(command(c, 'PUBSUB', 'CHANNELS', '*2') == [b'news.2'],
          'PUBSUB CHANNELS *2')
    check(command(c, 'PUBSUB', 'NUMSUB', 'news.1', 'news.*', 'x') ==
          [b'news.1', 1, b'news.*', 0, b'x', 0], 'PUBSUB NUMSUB')
    check(command(c, 'PUBSUB', 'NUMPAT') == 2, 'NUMPAT counts patterns once')
    f = info(port, 'clients')
    check(f.get('pubsub_clients') == '2', 'INFO pubsub_clients: %r' % f)
    f = info(port, 'stats')
    check(f.get('pubsub_channels') == '2' and f.get('pubsub_patterns') == '2',
          'INFO pubsub_channels, pubsub_patterns: %r' % f)
    listing = command(c, 'CLIENT', 'LIST').decode().strip().split('\n')
    mine = [x for x in listing if 'sub=2 psub=2' in x]
    check(len(mine) == 1 and ' flags=P ' in mine[0],
          'CLIENT LIST: sub=2 psub=2 flags=P: %r' % listing)
    typed = command(c, 'CLIENT', 'LIST', 'TYPE', 'pubsub').decode()
    check(typed.count('\n') == 2 and 'flags=P' in typed,
          'CLIENT LIST TYPE pubsub: %r' % typed)
    check('flags=P' not in command(c, 'CLIENT', 'LIST', 'TYPE',
                                   'normal').decode(), 'TYPE normal')
    # Subscribers that leave: the channels and patterns go with them.
    a.sock.close()
    wait_for(lambda: command(c, 'PUBSUB', 'NUMPAT') == 1, 10,
             'a closed subscriber forgotten')
    check(command(c, 'PUBSUB', 'CHANNELS') == [], 'no channel left')
    check(command(c, 'PUBLISH', 'news.1', 'x') == 1, 'B alone now')
    check(command(c, 'CLIENT', 'KILL', 'TYPE', 'pubsub') == 1,
          'CLIENT KILL TYPE pubsub')
    check(b.eof(10), 'B was killed')
    wait_for(lambda: command(c, 'PUBSUB', 'NUMPAT') == 0, 10, 'B forgotten')
    f = info(port, 'clients')
    check(f.get('pubsub_clients') == '0', 'no subscribed client: %r' % f)
    c.sock.close()


def output_limit(port):
    """A subscriber that does not read is closed past 32 MiB queued; the
    publisher and a reading subscriber go on."""
    before = int(info(port, 'stats')['client_output_buffer_limit_'
                                      'disconnections'])
    slow = client(port, rcvbuf=4096)
    check(command(slow, 'SUBSCRIBE', 'big') == [b'subscribe', b'big', 1],
          'slow SUBSCRIBE')
    pub = client(port)
    msg = b'z' * (1 << 20)
    closed = False
    for _ in range(100):
        check(command(pub, 'PUBLISH', 'big', msg) in (0, 1), 'PUBLISH big')
        if command(pub, 'PUBSUB', 'NUMSUB', 'big') == [b'big', 0]:
            closed = True
            break
    check(closed, 'the slow subscriber is closed by the pub/sub limit')
    after = int(info(port, 'stats')['client_output_buffer_limit_'
                                     'disconnections'])
    check(after == before + 1, 'counted: %d -> %d' % (before, after))
    check(command(pub, 'PING') == '+PONG', 'the publisher goes on')
    slow.sock.close()
    pub.sock.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, required=True)
    a = ap.parse_args()
    with kvdlib.Server('pubsub', a.io_threads) as srv:
        subscribe_replies(srv.port)
        subscribed_mode(srv.port)
        fanout(srv.port, a.io_threads)
        patterns_and_counts(srv.port)
        output_limit(srv.port)
    print('pubsub io-threads=%d: all passed' % a.io_threads)


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
