# SPDX-License-Identifier: LGPL-2.1-or-later
"""basic.py - the commands kvd had first, mixed on a few keys: strings
(SET and its options, GET, GETDEL, INCR and friends, APPEND, STRLEN,
MGET, MSET), lists (LPUSH, RPUSH, LPOP, RPOP, LLEN, LRANGE) and the
generic key commands (DEL, EXISTS, TYPE, EXPIRE, PERSIST, TTL, KEYS,
DBSIZE), wrong types and bad arguments included."""

from _util import pick, value, integer, check_ttl

KEYS = ['k1', 'k2', 'k3', 'l1', 'l2', 'n1', 'n2', 'missing']
STRS = ['k1', 'k2', 'k3', 'n1']
LISTS = ['l1', 'l2']

UNORDERED = {'keys'}
CHECKS = {'ttl': check_ttl, 'pttl': check_ttl}


def key(rng, group=KEYS):
    """Mostly a key of @group (the type the command wants), sometimes
    any: wrong types and missing keys stay common but not dominant."""
    return pick(rng, group if rng.random() < 0.85 else KEYS)


def index(rng):
    return str(rng.randint(-6, 6)) if rng.random() < 0.9 else integer(rng)


def g_set(rng):
    cmd = ['SET', key(rng, STRS), value(rng)]
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        opt = pick(rng, ['NX', 'XX', 'GET', 'KEEPTTL', 'EX', 'PX', 'nx',
                         'get', 'EXAT', 'bogus'])
        cmd.append(opt)
        if opt in ('EX', 'PX') and rng.random() < 0.9:
            cmd.append(pick(rng, ['1000', '100000', '0', '-1', 'x',
                                  '9223372036854775807']))
        elif opt == 'EXAT' and rng.random() < 0.9:
            cmd.append(pick(rng, ['1', '0', '99999999999']))
    return cmd


def g_incr(rng):
    op = pick(rng, ['INCR', 'DECR', 'INCRBY', 'DECRBY'])
    k = pick(rng, ['n1', 'n2', 'n1', 'n2', 'k1', 'l1', 'missing'])
    if op in ('INCRBY', 'DECRBY'):
        return [op, k, integer(rng)]
    return [op, k]


def g_push(rng):
    cmd = [pick(rng, ['LPUSH', 'RPUSH']), key(rng, LISTS)]
    return cmd + [value(rng) for _ in range(rng.randint(0 if
                                                         rng.random() < 0.05
                                                         else 1, 4))]


def g_pop(rng):
    cmd = [pick(rng, ['LPOP', 'RPOP']), key(rng, LISTS)]
    if rng.random() < 0.4:
        cmd.append(pick(rng, ['0', '1', '2', '10', '-1', 'x']))
    if rng.random() < 0.03:
        cmd.append('1')
    return cmd


def g_lrange(rng):
    return ['LRANGE', key(rng, LISTS), index(rng), index(rng)]


def g_expire(rng):
    cmd = [pick(rng, ['EXPIRE', 'PEXPIRE']), key(rng),
           pick(rng, ['1000', '100000', '0', '-5', 'x', '5000'])]
    if rng.random() < 0.4:
        cmd.append(pick(rng, ['NX', 'XX', 'GT', 'LT', 'bad']))
    return cmd


GENERATORS = [
    (8, g_set),
    (6, lambda rng: ['GET', key(rng, STRS)]),
    (1, lambda rng: ['GETDEL', key(rng, STRS)]),
    (5, g_incr),
    (3, lambda rng: ['APPEND', key(rng, STRS), value(rng)]),
    (2, lambda rng: ['STRLEN', key(rng, STRS)]),
    (2, lambda rng: ['MGET'] + [key(rng) for _ in range(rng.randint(1, 4))]),
    (1, lambda rng: ['MSET'] + [x for _ in range(rng.randint(1, 3))
                                for x in (key(rng, STRS), value(rng))]),
    (5, g_push),
    (4, g_pop),
    (2, lambda rng: ['LLEN', key(rng, LISTS)]),
    (4, g_lrange),
    (2, lambda rng: ['DEL'] + [key(rng) for _ in range(rng.randint(1, 3))]),
    (2, lambda rng: ['EXISTS'] + [key(rng) for _ in range(rng.randint(1, 3))]),
    (2, lambda rng: ['TYPE', key(rng)]),
    (2, g_expire),
    (1, lambda rng: ['PERSIST', key(rng)]),
    (2, lambda rng: [pick(rng, ['TTL', 'PTTL']), key(rng)]),
    (1, lambda rng: ['KEYS', pick(rng, ['*', 'k*', '?1', '[kl]*', 'n[!1]'])]),
    (1, lambda rng: ['DBSIZE']),
    (1, lambda rng: pick(rng, [['GET'], ['SET', 'k1'], ['INCR'],
                               ['LRANGE', 'l1', '0'], ['APPEND', 'k1'],
                               ['STRLEN', 'a', 'b'], ['TYPE']])),
]


def stream(rng, n):
    total = sum(w for w, _ in GENERATORS)
    out = []
    for i in range(n):
        if i and i % 500 == 0:
            out.append(['FLUSHALL'])
            continue
        r = rng.randrange(total)
        for w, g in GENERATORS:
            if r < w:
                out.append(g(rng))
                break
            r -= w
    return out
