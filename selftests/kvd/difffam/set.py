# SPDX-License-Identifier: LGPL-2.1-or-later
"""set.py - the set commands on a few keys: SADD, SREM, SMEMBERS,
SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE, SINTER,
SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE, SSCAN,
with the generic key commands and string, list and hash commands on the
same keys for wrong types (a STORE overwrites any type).  Sets grow past a
few hundred members now and then; SPOP's picks are rewritten to kvd's on
redis-server (CHECKS)."""

from _util import (pick, value, check_ttl, check_scan, check_random_pick,
                   check_spop)

SETS = ['s1', 's2', 's3', 's4']
KEYS = SETS + ['str', 'h1', 'missing']
MEMBERS = ['a', 'b', 'c', 'd', 'e', '1', '2', '10', '-1', '', 'x y',
           'long' * 20]

UNORDERED = {'smembers', 'sinter', 'sunion', 'sdiff', 'keys'}
CHECKS = {
    'ttl': check_ttl,
    'sscan': check_scan,
    'scan': check_scan,
    'spop': check_spop,
    'srandmember': check_random_pick('SMEMBERS', False),
}


def key(rng, group=SETS):
    return pick(rng, group if rng.random() < 0.85 else KEYS)


def member(rng):
    if rng.random() < 0.1:
        return 'm%d' % rng.randrange(400)
    return pick(rng, MEMBERS)


def keys(rng, lo=1, hi=4):
    return [key(rng) for _ in range(rng.randint(lo, hi))]


def g_big(rng):
    """Many members at once: tables grow; or many removed: they shrink."""
    k = pick(rng, SETS)
    n = rng.randint(20, 300)
    op = 'SADD' if rng.random() < 0.55 else 'SREM'
    return [op, k] + ['m%d' % rng.randrange(400) for _ in range(n)]


def g_spop(rng):
    cmd = ['SPOP', key(rng)]
    if rng.random() < 0.6:
        cmd.append(pick(rng, ['0', '1', '2', '3', '10', '500', '-1', 'x']))
    if rng.random() < 0.03:
        cmd.append('1')
    return cmd


def g_srandmember(rng):
    cmd = ['SRANDMEMBER', key(rng)]
    if rng.random() < 0.7:
        cmd.append(pick(rng, ['0', '1', '2', '3', '5', '100', '-1', '-3',
                              '-9', 'x', '-9223372036854775808',
                              '9223372036854775807']))
    if rng.random() < 0.03:
        cmd.append('1')
    return cmd


def g_sintercard(rng):
    ks = keys(rng)
    n = len(ks)
    if rng.random() < 0.1:
        n = pick(rng, [0, -1, n + 1, 'x'])
    cmd = ['SINTERCARD', str(n)] + ks
    if rng.random() < 0.4:
        cmd += [pick(rng, ['LIMIT', 'limit', 'LIMIT', 'bad']),
                pick(rng, ['0', '1', '2', '5', '-1', 'x'])]
    if rng.random() < 0.05:
        cmd.append('LIMIT')
    return cmd


def g_sscan(rng):
    cmd = ['SSCAN', key(rng),
           '0' if rng.random() < 0.85 else
           pick(rng, ['x', '-1x', ' 0', '18446744073709551616'])]
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        opt = pick(rng, ['MATCH', 'COUNT', 'match', 'TYPE', 'bad'])
        cmd.append(opt)
        if rng.random() < 0.95:
            cmd.append(pick(rng, ['1', '3', '10', '0', '-1', 'x'])
                       if opt.lower() == 'count' else
                       pick(rng, ['m1*', '*', '?', '[a-c]', 'set']))
    return cmd


GENERATORS = [
    (10, lambda rng: ['SADD', key(rng)] +
     [member(rng) for _ in range(rng.randint(1, 4))]),
    (1, g_big),
    (5, lambda rng: ['SREM', key(rng)] +
     [member(rng) for _ in range(rng.randint(1, 3))]),
    (3, lambda rng: ['SMEMBERS', key(rng)]),
    (3, lambda rng: ['SISMEMBER', key(rng), member(rng)]),
    (2, lambda rng: ['SMISMEMBER', key(rng)] +
     [member(rng) for _ in range(rng.randint(1, 4))]),
    (2, lambda rng: ['SCARD', key(rng)]),
    (4, g_spop),
    (4, g_srandmember),
    (3, lambda rng: ['SMOVE', key(rng), key(rng), member(rng)]),
    (3, lambda rng: ['SINTER'] + keys(rng)),
    (2, lambda rng: ['SINTERSTORE', key(rng, KEYS)] + keys(rng)),
    (3, g_sintercard),
    (3, lambda rng: ['SUNION'] + keys(rng)),
    (2, lambda rng: ['SUNIONSTORE', key(rng, KEYS)] + keys(rng)),
    (3, lambda rng: ['SDIFF'] + keys(rng)),
    (2, lambda rng: ['SDIFFSTORE', key(rng, KEYS)] + keys(rng)),
    (3, g_sscan),
    (1, lambda rng: ['TYPE', key(rng)]),
    (1, lambda rng: ['DEL', key(rng)]),
    (1, lambda rng: ['EXISTS', key(rng), key(rng)]),
    (1, lambda rng: ['SET', pick(rng, ['str', 'str', 's4']), value(rng)]),
    (1, lambda rng: ['HSET', pick(rng, ['h1', 'h1', 's3']), 'f', 'v']),
    (1, lambda rng: ['GET', key(rng)]),
    (1, lambda rng: ['LPUSH', pick(rng, ['s2', 'l1']), 'x']),
    (1, lambda rng: ['EXPIRE', key(rng), pick(rng, ['1000', '0', '-1'])]),
    (1, lambda rng: ['TTL', key(rng)]),
    (1, lambda rng: ['SCAN', '0', 'TYPE', pick(rng, ['set', 'hash',
                                                     'string'])]),
    (1, lambda rng: pick(rng, [['SADD', 's1'], ['SREM', 's1'], ['SCARD'],
                               ['SMEMBERS', 's1', 's2'], ['SPOP'],
                               ['SISMEMBER', 's1'], ['SMOVE', 's1', 's2'],
                               ['SINTER'], ['SINTERSTORE', 's1'],
                               ['SINTERCARD', '1'], ['SUNIONSTORE', 'x'],
                               ['SDIFF'], ['SSCAN', 's1'],
                               ['SRANDMEMBER'], ['SMISMEMBER', 's1']])),
]


def stream(rng, n):
    total = sum(w for w, _ in GENERATORS)
    out = []
    for i in range(n):
        if i and i % 700 == 0:
            out.append(['FLUSHALL'])
            continue
        r = rng.randrange(total)
        for w, g in GENERATORS:
            if r < w:
                out.append(g(rng))
                break
            r -= w
    return out
