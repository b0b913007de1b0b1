# SPDX-License-Identifier: LGPL-2.1-or-later
"""hash.py - the hash commands on a few keys: HSET, HMSET, HSETNX, HGET,
HMGET, HDEL, HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY,
HINCRBYFLOAT, HRANDFIELD, HSCAN, with the generic key commands (TYPE,
DEL, EXISTS, EXPIRE, SCAN TYPE) and string and list commands on the same
keys for wrong types.  Hashes grow past a few hundred fields now and then
(Redis's hashtable encoding, kvd's table growing and shrinking)."""

from _util import (pick, value, integer, check_ttl, check_scan,
                   check_random_pick)

HASHES = ['h1', 'h2', 'h3']
KEYS = HASHES + ['s1', 'l1', 'missing']
FIELDS = ['f1', 'f2', 'f3', 'f4', 'f5', 'n', 'x', '', 'a b', 'F1']
FLOATS = ['10.5', '0.1', '-0.1', '5.0e3', '1e308', '-1e308', '1e4000',
          'inf', '-inf', 'nan', '-0', '0', '3', '-3', '1.23456789012345678',
          '0x10', ' 1', '1 ', 'abc', '', '.5', '5.', '+2', '1e-5',
          '1e-5000', '1e5000', '1_0', '2.5e-3', '7', '-1e-20', '-0.0',
          '1e-18', '-1e-18', '0.30000000000000004', '1e17', '-2.5']

UNORDERED = {'hkeys', 'hvals', 'keys'}
PAIRED = {'hgetall'}
CHECKS = {
    'ttl': check_ttl,
    'hscan': check_scan,
    'scan': check_scan,
    'hrandfield': check_random_pick('HGETALL', True),
}


def key(rng, group=HASHES):
    return pick(rng, group if rng.random() < 0.85 else KEYS)


def field(rng):
    if rng.random() < 0.05:
        return 'g%d' % rng.randrange(400)
    return pick(rng, FIELDS)


def hvalue(rng):
    r = rng.random()
    if r < 0.3:
        return str(rng.randint(-50, 50))
    if r < 0.4:
        return pick(rng, FLOATS)
    return value(rng)


def g_hset(rng):
    op = pick(rng, ['HSET', 'HSET', 'HMSET'])
    cmd = [op, key(rng)]
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        cmd += [field(rng), hvalue(rng)]
    if rng.random() < 0.05:
        cmd.pop()			# odd: wrong number of arguments
    return cmd


def g_big(rng):
    """Many fields at once: tables grow; or many deleted: they shrink."""
    k = pick(rng, HASHES)
    n = rng.randint(20, 300)
    if rng.random() < 0.5:
        cmd = ['HSET', k]
        for i in range(n):
            cmd += ['g%d' % rng.randrange(400),
                    'v%d' % i if rng.random() < 0.9 else 'y' * 80]
        return cmd
    return ['HDEL', k] + ['g%d' % rng.randrange(400) for _ in range(n)]


def g_incrbyfloat(rng):
    f = pick(rng, ['n', 'x', 'f1', 'fl']) if rng.random() < 0.7 else \
        'z%d' % rng.randrange(1000)
    return ['HINCRBYFLOAT', key(rng), f, pick(rng, FLOATS)]


def g_hrandfield(rng):
    cmd = ['HRANDFIELD', key(rng)]
    r = rng.random()
    if r < 0.3:
        return cmd
    cmd.append(pick(rng, ['0', '1', '2', '3', '5', '100', '-1', '-3', '-7',
                          'x', '-9223372036854775808',
                          '4611686018427387904', '9223372036854775807']))
    if rng.random() < 0.4:
        cmd.append(pick(rng, ['WITHVALUES', 'withvalues', 'WITHVALUES',
                              'foo']))
    if rng.random() < 0.03:
        cmd.append('WITHVALUES')
    return cmd


def g_hscan(rng):
    cmd = ['HSCAN', key(rng),
           '0' if rng.random() < 0.85 else
           pick(rng, ['x', '-1x', ' 0', '18446744073709551616'])]
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        opt = pick(rng, ['MATCH', 'COUNT', 'match', 'count', 'TYPE', 'bad'])
        cmd.append(opt)
        if rng.random() < 0.95:
            cmd.append(pick(rng, ['1', '2', '5', '10', '0', '-1', 'x'])
                       if opt.lower() == 'count' else
                       pick(rng, ['f*', '*', 'g1*', '?', '[fn]*', 'hash']))
    return cmd


GENERATORS = [
    (10, g_hset),
    (1, g_big),
    (2, lambda rng: ['HSETNX', key(rng), field(rng), hvalue(rng)]),
    (8, lambda rng: ['HGET', key(rng), field(rng)]),
    (3, lambda rng: ['HMGET', key(rng)] +
     [field(rng) for _ in range(rng.randint(1, 4))]),
    (4, lambda rng: ['HDEL', key(rng)] +
     [field(rng) for _ in range(rng.randint(1, 3))]),
    (2, lambda rng: ['HLEN', key(rng)]),
    (2, lambda rng: ['HSTRLEN', key(rng), field(rng)]),
    (2, lambda rng: ['HEXISTS', key(rng), field(rng)]),
    (2, lambda rng: ['HKEYS', key(rng)]),
    (2, lambda rng: ['HVALS', key(rng)]),
    (3, lambda rng: ['HGETALL', key(rng)]),
    (4, lambda rng: ['HINCRBY', key(rng), pick(rng, ['n', 'x', 'f1', 'n2']),
                     integer(rng)]),
    (4, g_incrbyfloat),
    (4, g_hrandfield),
    (3, g_hscan),
    (1, lambda rng: ['TYPE', key(rng)]),
    (1, lambda rng: ['DEL', key(rng)]),
    (1, lambda rng: ['EXISTS', key(rng), key(rng)]),
    (1, lambda rng: ['SET', pick(rng, ['s1', 's1', 'h3']), value(rng)]),
    (1, lambda rng: ['GET', key(rng)]),
    (1, lambda rng: ['RPUSH', pick(rng, ['l1', 'h2']), value(rng)]),
    (1, lambda rng: ['LRANGE', key(rng), '0', '-1']),
    (1, lambda rng: ['EXPIRE', key(rng), pick(rng, ['1000', '0', '-1'])]),
    (1, lambda rng: ['TTL', key(rng)]),
    (1, lambda rng: ['SCAN', '0', 'TYPE', pick(rng, ['hash', 'string',
                                                     'HASH', 'set'])]),
    (1, lambda rng: ['KEYS', 'h*']),
    (1, lambda rng: pick(rng, [['HSET', 'h1', 'f'], ['HGET', 'h1'],
                               ['HSETNX', 'h1', 'f'], ['HLEN'],
                               ['HINCRBY', 'h1', 'n'], ['HSTRLEN', 'h1'],
                               ['HINCRBYFLOAT', 'h1', 'n', '1', '2'],
                               ['HRANDFIELD'], ['HSCAN', 'h1'],
                               ['HKEYS', 'h1', 'x'], ['HMGET', 'h1'],
                               ['HDEL', 'h1'], ['HEXISTS', 'h1']])),
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
