#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""maxmemory.py - baton-kvd under --maxmemory, each policy filled past the
limit: noeviction refuses the commands Redis flags denyoom with Redis's
-OOM text and still serves reads, deletes and the other writes;
allkeys-lru keeps a hot set that allkeys-random loses; allkeys-lfu keeps
keys read often but not lately, which allkeys-lru loses; the volatile-*
policies evict only keys with a time to live, volatile-ttl the soonest
first; used_memory stays within 5 % of the limit while keys are evicted.

Usage: maxmemory.py --io-threads N
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

OOM = "-OOM command not allowed when used memory > 'maxmemory'."
# Sizes shrink 4x under a sanitizer, which slows kvd 10x or more.
SCALE = 4 if kvdlib.sanitized() else 1
LIMIT = 4 * 1024 * 1024 // SCALE
VALUE = b'v' * 1000
BATCH = 200


def info(r, section):
    text = call(r, 'INFO', section).decode()
    return dict(line.split(':', 1) for line in text.split('\r\n')
                if ':' in line and not line.startswith('#'))


def call(r, *args):
    r.sock.sendall(encode(*args))
    return r.reply()


def pipeline(r, cmds):
    """Send @cmds at once; return their replies in order."""
    r.sock.sendall(b''.join(encode(*c) for c in cmds))
    return [r.reply() for _ in cmds]


def used(r):
    return int(info(r, 'memory')['used_memory'])


def within_5_percent(r, what):
    u = used(r)
    check(abs(u - LIMIT) <= LIMIT * 0.05,
          '%s: used_memory %d not within 5%% of maxmemory %d' %
          (what, u, LIMIT))


def server(io_threads, policy, extra=()):
    return kvdlib.Server('maxmemory-' + policy, io_threads,
                         ['--maxmemory', str(LIMIT), '--maxmemory-policy',
                          policy] + list(extra))


def fill(r, prefix, count, ttl=None, start=0):
    """SET prefix:i for @count keys, in pipelined batches; return every
    reply that was not +OK."""
    bad = []
    for i in range(start, start + count, BATCH):
        cmds = []
        for j in range(i, min(i + BATCH, start + count)):
            c = ['SET', '%s:%d' % (prefix, j), VALUE]
            if ttl is not None:
                c += ['EX', str(ttl + j)]
            cmds.append(c)
        bad += [x for x in pipeline(r, cmds) if x != '+OK']
    return bad


def count_existing(r, prefix, n):
    return sum(pipeline(r, [['EXISTS', '%s:%d' % (prefix, i)]
                            for i in range(n)]))


def noeviction(io_threads):
    with server(io_threads, 'noeviction') as srv:
        r = Reader(kvdlib.connect(srv.port))
        check(call(r, 'CONFIG', 'GET', 'maxmemory') ==
              [b'maxmemory', str(LIMIT).encode()], 'CONFIG GET maxmemory')
        m = info(r, 'memory')
        check(m['maxmemory'] == str(LIMIT) and m['maxmemory_human'] ==
              '%.2fM' % (LIMIT / 1048576) and
              m['maxmemory_policy'] == 'noeviction',
              'INFO memory: %r' % m)
        check(call(r, 'RPUSH', 'list', 'a', 'b') == 2, 'RPUSH under the limit')
        check(call(r, 'HSET', 'hash', 'f', 'v', 'g', 'w') == 2 and
              call(r, 'SADD', 'set', 'a', 'b') == 2, 'HSET, SADD under it')
        n = 0
        while True:
            reply = call(r, 'SET', 'k:%d' % n, VALUE)
            if reply != '+OK':
                break
            n += 1
            check(n < 2 * LIMIT // len(VALUE), 'no OOM long past the limit')
        check(reply == OOM, 'the refused SET gets Redis\'s -OOM: %r' % reply)
        u = used(r)
        check(LIMIT < u < LIMIT + 2 * len(VALUE) + 4096,
              'used_memory %d just past the limit' % u)
        # INFO's own eviction check keeps the clock going.
        deadline = time.monotonic() + 10
        while int(info(r, 'stats')['current_eviction_exceeded_time']) == 0:
            check(time.monotonic() < deadline,
                  'current_eviction_exceeded_time counts while over')
            time.sleep(0.01)
        # Redis's denyoom commands are refused ...
        for cmd in (['SET', 'k:0', 'x'], ['APPEND', 'k:0', 'x'],
                    ['INCR', 'n'], ['INCRBY', 'n', '2'], ['DECR', 'n'],
                    ['DECRBY', 'n', '2'], ['MSET', 'a', '1'],
                    ['LPUSH', 'list', 'x'], ['RPUSH', 'list', 'x'],
                    ['HSET', 'hash', 'h', 'x'], ['HSETNX', 'hash', 'n', 'x'],
                    ['HINCRBY', 'hash', 'i', '1'], ['SADD', 'set', 'c'],
                    ['SINTERSTORE', 'dst', 'set']):
            check(call(r, *cmd) == OOM, '%s refused with -OOM' % cmd[0])
        # Inside MULTI every command but EXEC, DISCARD, QUIT and RESET is
        # refused, and the transaction aborts (redis-server 7.0.15's
        # replies).
        check(pipeline(r, [['MULTI'], ['GET', 'k:1'], ['PING'], ['EXEC']]) ==
              ['+OK', OOM, OOM, '-EXECABORT Transaction discarded because '
               'of previous errors.'], 'MULTI over the limit')
        check(pipeline(r, [['MULTI'], ['GET', 'k:1'], ['DISCARD']]) ==
              ['+OK', OOM, '+OK'], 'DISCARD over the limit')
        # ... the other commands run, reads, deletes and writes alike.
        check(call(r, 'GET', 'k:1') == VALUE, 'GET over the limit')
        check(call(r, 'EXPIRE', 'k:1', '1000') == 1, 'EXPIRE over the limit')
        check(call(r, 'PERSIST', 'k:1') == 1, 'PERSIST over the limit')
        check(call(r, 'LPOP', 'list') == b'a', 'LPOP over the limit')
        check(call(r, 'HDEL', 'hash', 'g') == 1 and
              call(r, 'HGET', 'hash', 'f') == b'v', 'HDEL, HGET over it')
        check(call(r, 'SREM', 'set', 'b') == 1 and
              call(r, 'SPOP', 'set') == b'a', 'SREM, SPOP over the limit')
        check(call(r, 'GETDEL', 'k:2') == VALUE, 'GETDEL over the limit')
        check(call(r, 'PING') == '+PONG', 'PING over the limit')
        st = info(r, 'stats')
        check(st['evicted_keys'] == '0', 'noeviction evicts nothing')
        # Deleting brings it under the limit: writes work again.
        dels = pipeline(r, [['DEL', 'k:%d' % i] for i in range(3, 103)])
        check(dels == [1] * 100, 'DEL over the limit')
        check(call(r, 'SET', 'k:0', 'x') == '+OK', 'SET once under again')
        st = info(r, 'stats')
        check(st['current_eviction_exceeded_time'] == '0' and
              int(st['total_eviction_exceeded_time']) > 0,
              'exceeded time stops once under: %r' % st)
        r.sock.close()


def lru_vs_random(io_threads, policy):
    """100 hot keys read between batches of new keys, 3x the limit in all:
    how many hot keys survive."""
    with server(io_threads, policy) as srv:
        r = Reader(kvdlib.connect(srv.port))
        check(fill(r, 'hot', 100) == [], 'hot keys stored')
        total = 3 * LIMIT // len(VALUE)
        for start in range(0, total, BATCH):
            check(fill(r, 'cold', BATCH, start=start) == [],
                  '%s: every SET is accepted' % policy)
            # In tens: queued replies count too, and evict keys for them.
            for j in range(0, 100, 10):
                pipeline(r, [['GET', 'hot:%d' % i] for i in range(j, j + 10)])
        within_5_percent(r, policy)
        ev = int(info(r, 'stats')['evicted_keys'])
        check(ev > total // 2, '%s evicted %d keys' % (policy, ev))
        hot = count_existing(r, 'hot', 100)
        r.sock.close()
        return hot


def frequent_vs_recent(io_threads, policy):
    """100 keys read 50 times each, then 3x the limit of new keys that
    nobody reads: how many of the 100 survive."""
    with server(io_threads, policy) as srv:
        r = Reader(kvdlib.connect(srv.port))
        check(fill(r, 'freq', 100) == [], 'keys stored')
        for _ in range(50):
            pipeline(r, [['GET', 'freq:%d' % i] for i in range(100)])
        freq = call(r, 'OBJECT', 'FREQ', 'freq:0')
        idle = call(r, 'OBJECT', 'IDLETIME', 'freq:0')
        note = ('Please note that when switching between policies at '
                'runtime LRU and LFU data will take some time to adjust.')
        if policy.endswith('lfu'):
            check(isinstance(freq, int) and 6 <= freq <= 255,
                  'OBJECT FREQ after 50 reads: %r' % freq)
            check(idle == '-ERR An LFU maxmemory policy is selected, idle '
                  'time not tracked. ' + note, 'OBJECT IDLETIME under LFU')
        else:
            check(freq == '-ERR An LFU maxmemory policy is not selected, '
                  'access frequency not tracked. ' + note,
                  'OBJECT FREQ under LRU')
            check(idle == 0, 'OBJECT IDLETIME under LRU: %r' % idle)
        check(fill(r, 'new', 3 * LIMIT // len(VALUE)) == [],
              '%s: every SET is accepted' % policy)
        within_5_percent(r, policy)
        kept = count_existing(r, 'freq', 100)
        r.sock.close()
        return kept


def volatile(io_threads, policy):
    """Keys without a TTL are never evicted by volatile-*; with nothing
    volatile left, writes are refused."""
    with server(io_threads, policy) as srv:
        r = Reader(kvdlib.connect(srv.port))
        persistent = LIMIT // 2 // len(VALUE)
        check(fill(r, 'p', persistent) == [], 'persistent keys stored')
        vol = 2 * LIMIT // len(VALUE)
        check(fill(r, 'v', vol, ttl=100000) == [],
              '%s: volatile keys accepted' % policy)
        within_5_percent(r, policy)
        check(count_existing(r, 'p', persistent) == persistent,
              '%s kept every key without a TTL' % policy)
        alive = [i for i in range(vol) if
                 call(r, 'EXISTS', 'v:%d' % i) == 1]
        check(0 < len(alive) < vol, '%s evicted some volatile keys (%d left)'
              % (policy, len(alive)))
        if policy == 'volatile-ttl':
            check(alive == list(range(vol - len(alive), vol)),
                  'volatile-ttl evicted the soonest to expire first')
        # More persistent keys push the volatile ones out, then OOM.
        bad = fill(r, 'q', 2 * LIMIT // len(VALUE))
        check(bad and bad[0] == OOM, '%s: -OOM with nothing volatile left: %r'
              % (policy, bad[:1]))
        check(count_existing(r, 'v', vol) == 0,
              '%s: every volatile key went before the -OOM' % policy)
        check(count_existing(r, 'p', persistent) == persistent,
              '%s: the persistent keys are all there' % policy)
        check(call(r, 'GET', 'p:0') == VALUE, 'reads work at the -OOM')
        r.sock.close()


def budget_then_tick(io_threads):
    """A 24 MB value lands when 200000 small keys fill most of a 32 MB
    limit (a quarter of each under a sanitizer): some 140000 keys must go.  Eviction before a command stops
    after its time budget (500 us), so the next command finds most of
    them still there; later commands and the tick go on until memory is
    under the limit."""
    limit = 32 * 1024 * 1024 // SCALE
    with kvdlib.Server('maxmemory-budget', io_threads,
                       ['--maxmemory', str(limit), '--maxmemory-policy',
                        'allkeys-lru']) as srv:
        r = Reader(kvdlib.connect(srv.port, timeout=60))
        r.timeout = 60
        keys = 200000 // SCALE
        for i in range(0, keys, 5000):
            args = []
            for j in range(i, i + 5000):
                args += ['s:%d' % j, 'x' * 10]
            check(call(r, 'MSET', *args) == '+OK', 'MSET of small keys')
        check(call(r, 'DBSIZE') == keys and used(r) < limit,
              'the small keys fit: %d bytes' % used(r))
        check(call(r, 'SET', 'big', 'v' * (24 * 1024 * 1024 // SCALE)) ==
              '+OK', 'the big value is accepted')
        first = call(r, 'DBSIZE')
        check(first > keys * 3 // 4, 'one command\'s budget evicted %d '
              'keys: it should stop long before' % (keys + 1 - first))
        deadline = time.monotonic() + 60
        while used(r) > limit:
            check(time.monotonic() < deadline, 'still over the limit after '
                  '60 s: %d bytes' % used(r))
            time.sleep(0.05)
        st = info(r, 'stats')
        check(call(r, 'EXISTS', 'big') == 1, 'the big value is kept (LRU)')
        check(int(st['evicted_keys']) > keys // 2,
              'evicted %s keys' % st['evicted_keys'])
        check(st['current_eviction_exceeded_time'] == '0',
              'under the limit again: %r' % st)
        r.sock.close()


def client_output_counts(io_threads):
    """A client that does not read a 32 MB reply (16 MB under a sanitizer)
    keeps most of it queued:
    that counts in used_memory (mem_clients_normal) and so against
    maxmemory, until the client reads it."""
    limit = 48 * 1024 * 1024 // (SCALE // 2 or 1)
    big = 32 * 1024 * 1024 // (SCALE // 2 or 1)
    with kvdlib.Server('maxmemory-output', io_threads,
                       ['--maxmemory', str(limit)]) as srv:
        r = Reader(kvdlib.connect(srv.port, timeout=60))
        r.timeout = 60
        check(call(r, 'SET', 'big', 'v' * big) == '+OK', 'the big value')
        check(int(info(r, 'memory')['mem_clients_normal']) < 4096,
              'no output queued yet')
        slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.settimeout(60)
        slow.connect(('127.0.0.1', srv.port))
        slow.sendall(encode('GET', 'big'))
        deadline = time.monotonic() + 30
        while True:
            m = info(r, 'memory')
            if int(m['mem_clients_normal']) > big // 4:
                break
            check(time.monotonic() < deadline, 'the unread reply never '
                  'counted: %r' % m['mem_clients_normal'])
            time.sleep(0.01)
        check(int(m['used_memory']) > big + big // 4,
              'used_memory %s counts the queued reply' % m['used_memory'])
        check(call(r, 'SET', 'k', 'v') == OOM, 'over the limit while the '
              'reply waits: %r' % OOM)
        got = 0
        while got < big:
            data = slow.recv(1 << 20)
            check(data, 'the slow client got the whole reply')
            got += len(data)
        # No INFO here: it would count every client again itself; the
        # slow client stays connected.  The tick must notice the reply
        # was sent.
        deadline = time.monotonic() + 30
        while call(r, 'SET', 'k', 'v') != '+OK':
            check(time.monotonic() < deadline, 'SET still refused 30 s '
                  'after the reply was read')
            time.sleep(0.01)
        check(int(info(r, 'memory')['mem_clients_normal']) < 4096,
              'the sent reply no longer counts')
        slow.close()
        # An EXEC whose queue holds a denyoom command, once over the limit.
        other = Reader(kvdlib.connect(srv.port))
        check(pipeline(r, [['MULTI'], ['SET', 'k:0', 'y'], ['GET', 'k:0']]) ==
              ['+OK', '+QUEUED', '+QUEUED'], 'a transaction under the limit')
        check(call(other, 'CONFIG', 'SET', 'maxmemory', '1') == '+OK',
              'the limit lowered meanwhile')
        check(call(r, 'EXEC') == '-EXECABORT Transaction discarded because '
              'of: ' + OOM[1:], 'EXEC of a SET over the limit')
        check(pipeline(r, [['MULTI'], ['GET', 'k:0']]) == ['+OK', OOM] and
              call(other, 'CONFIG', 'SET', 'maxmemory', str(LIMIT)) == '+OK'
              and call(r, 'EXEC') == '-EXECABORT Transaction discarded '
              'because of previous errors.', 'a refused GET aborts EXEC')
        other.sock.close()
        r.sock.close()


def config_set(io_threads):
    """CONFIG SET and GET of the maxmemory parameters, with Redis's
    parsing and error texts; a limit lowered at run time is enforced."""
    fail = "-ERR CONFIG SET failed (possibly related to argument '%s') - %s"
    with kvdlib.Server('maxmemory-config', io_threads) as srv:
        r = Reader(kvdlib.connect(srv.port))

        def get(name):
            return call(r, 'CONFIG', 'GET', name)[1].decode()

        check(get('maxmemory') == '0' and get('maxmemory-policy') ==
              'noeviction' and get('maxmemory-samples') == '5' and
              get('lfu-log-factor') == '10' and get('lfu-decay-time') == '1',
              'the defaults')
        for value, bytes_ in (('1k', 1000), ('1KB', 1024), ('2mb', 2 << 20),
                              ('3g', 3000000000), ('0', 0), ('7b', 7),
                              ('k', 0)):
            check(call(r, 'CONFIG', 'SET', 'maxmemory', value) == '+OK' and
                  get('maxmemory') == str(bytes_), 'maxmemory %s' % value)
        for bad in ('1.5k', '-1', '1t', '1 k'):
            check(call(r, 'CONFIG', 'SET', 'maxmemory', bad) ==
                  fail % ('maxmemory', 'argument must be a memory value'),
                  'maxmemory %s refused' % bad)
        check(call(r, 'CONFIG', 'SET', 'maxmemory-policy', 'ALLKEYS-LFU') ==
              '+OK' and get('maxmemory-policy') == 'allkeys-lfu', 'a policy')
        check(call(r, 'CONFIG', 'SET', 'maxmemory-policy', 'bogus') ==
              fail % ('maxmemory-policy', 'argument(s) must be one of the '
                      'following: volatile-lru, volatile-lfu, '
                      'volatile-random, volatile-ttl, allkeys-lru, '
                      'allkeys-lfu, allkeys-random, noeviction'),
              'a bad policy')
        check(call(r, 'CONFIG', 'SET', 'maxmemory-samples', '0') ==
              fail % ('maxmemory-samples', 'argument must be between 1 and '
                      '2147483647 inclusive'), 'maxmemory-samples 0')
        check(call(r, 'CONFIG', 'SET', 'maxmemory-samples', '64') == '+OK'
              and get('maxmemory-samples') == '64', 'maxmemory-samples 64')
        check(call(r, 'CONFIG', 'SET', 'lfu-log-factor', '-1') ==
              fail % ('lfu-log-factor', 'argument must be between 0 and '
                      '2147483647 inclusive'), 'lfu-log-factor -1')
        check(call(r, 'CONFIG', 'SET', 'unixsocketperm', '700') ==
              fail % ('unixsocketperm', "can't set immutable config"),
              'unixsocketperm is immutable')
        # A limit lowered below the memory in use is enforced.
        check(call(r, 'CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy',
                   'allkeys-random') == '+OK', 'no limit')
        check(fill(r, 'k', 2000) == [], '2000 keys without a limit')
        limit = 2000 * len(VALUE) // 4
        check(call(r, 'CONFIG', 'SET', 'maxmemory', str(limit)) == '+OK',
              'a limit below the memory in use')
        deadline = time.monotonic() + 30
        while used(r) > limit:
            check(time.monotonic() < deadline, 'still over a lowered limit')
            time.sleep(0.01)
        n = call(r, 'DBSIZE')
        check(300 < n < 600, '%d keys left under a quarter of the memory' % n)
        # RESETSTAT zeroes evicted_keys.
        check(int(info(r, 'stats')['evicted_keys']) == 2000 - n,
              'evicted_keys counts them')
        check(call(r, 'CONFIG', 'RESETSTAT') == '+OK' and
              info(r, 'stats')['evicted_keys'] == '0', 'RESETSTAT')
        r.sock.close()


def nothing_to_evict(io_threads):
    """allkeys-lru with a limit below the empty keyspace: nothing can be
    evicted, so denyoom commands are refused, the rest runs."""
    with kvdlib.Server('maxmemory-tiny', io_threads,
                       ['--maxmemory', '100b', '--maxmemory-policy',
                        'allkeys-lru']) as srv:
        r = Reader(kvdlib.connect(srv.port))
        check(call(r, 'SET', 'a', '1') == OOM, 'SET with nothing to evict')
        check(call(r, 'GET', 'a') is None, 'GET with nothing to evict')
        check(call(r, 'DEL', 'a') == 0, 'DEL with nothing to evict')
        check(call(r, 'CONFIG', 'GET', 'maxmemory') == [b'maxmemory', b'100'],
              '100b is 100 bytes')
        r.sock.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, default=1)
    a = ap.parse_args()
    noeviction(a.io_threads)
    config_set(a.io_threads)
    budget_then_tick(a.io_threads)
    client_output_counts(a.io_threads)
    nothing_to_evict(a.io_threads)
    lru = lru_vs_random(a.io_threads, 'allkeys-lru')
    rnd = lru_vs_random(a.io_threads, 'allkeys-random')
    check(lru >= 90, 'allkeys-lru kept %d of 100 hot keys' % lru)
    check(rnd <= 50, 'allkeys-random kept %d of 100 hot keys' % rnd)
    lfu = frequent_vs_recent(a.io_threads, 'allkeys-lfu')
    lru_f = frequent_vs_recent(a.io_threads, 'allkeys-lru')
    check(lfu >= 90, 'allkeys-lfu kept %d of 100 frequent keys' % lfu)
    check(lru_f <= 10, 'allkeys-lru kept %d of 100 frequent but old keys'
          % lru_f)
    for policy in ('volatile-lru', 'volatile-lfu', 'volatile-random',
                   'volatile-ttl'):
        volatile(a.io_threads, policy)
    print('maxmemory io-threads=%d ok (hot keys kept: lru %d, random %d; '
          'frequent keys kept: lfu %d, lru %d)' %
          (a.io_threads, lru, rnd, lfu, lru_f))


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
