# SPDX-License-Identifier: LGPL-2.1-or-later
"""strings.py - the string commands on a few keys: SET and its options,
SETNX, SETEX, PSETEX, GETSET, GETEX, GET, GETDEL, MGET, MSET, MSETNX,
INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT (many long double values),
APPEND, STRLEN, GETRANGE, SUBSTR, SETRANGE, GETBIT, SETBIT, BITCOUNT,
LCS, with lists on the same keys for wrong types and the key commands
that show what the others did (TYPE, EXISTS, TTL, PTTL, DEL).  Expiry
times are far off, or already past (a delete), never due within a run."""

from _util import weighted_stream, pick, value, integer, check_ttl

KEYS = ['s1', 's2', 's3', 'n1', 'n2', 'f1', 'b1', 'l1', 'missing']
STRS = ['s1', 's2', 's3', 'n1', 'n2', 'f1', 'b1']
NUMS = ['n1', 'n2', 'f1', 's1']

FLOATS = ['10.5', '0.1', '-0.1', '5.0e3', '2.0e-3', '1e308', '-1e308',
          '1.7976931348623157e308', '1e4000', '1e-4000', 'inf', '-inf',
          'nan', '-0', '0', '3', '-3', '1.23456789012345678901234',
          '123456789012345678901234', '0x10', '0x1p-3', ' 1', '1 ', 'abc',
          '', '.5', '5.', '+2', '1e-5', '1e5000', '1e-5000', '2.5e-3',
          '-1e-20', '-0.0', '0.30000000000000004', '1e17', '-2.5', '1E2',
          '3.14159265358979323846', '-7.75', '100', '1e-310']
EXPIRES = ['100000', '99999999', '0', '-1', 'x', '9223372036854775807',
           '1.5', '']
AT = ['99999999999', '1', '0', '-5', '9223372036854775807', 'x']
PAT = ['99999999999000', '1', '0', '9223372036854775807']

UNORDERED = set()
CHECKS = {'ttl': check_ttl, 'pttl': check_ttl}


def key(rng, group=STRS):
    return pick(rng, group if rng.random() < 0.85 else KEYS)


def sval(rng):
    r = rng.random()
    if r < 0.2:
        return pick(rng, FLOATS)
    if r < 0.3:
        return pick(rng, ['ohmytext', 'mynewtext', 'abcabcabc', 'cbacba'])
    return value(rng)


def expire_opt(rng):
    opt = pick(rng, ['EX', 'PX', 'EXAT', 'PXAT', 'ex'])
    if opt in ('EX', 'PX', 'ex'):
        return [opt, pick(rng, EXPIRES)]
    return [opt, pick(rng, AT if opt == 'EXAT' else PAT)]


def g_set(rng):
    cmd = ['SET', key(rng), sval(rng)]
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        r = rng.random()
        if r < 0.4:
            cmd += expire_opt(rng)
        else:
            cmd.append(pick(rng, ['NX', 'XX', 'GET', 'KEEPTTL', 'get',
                                  'bogus']))
    return cmd


def g_setnx(rng):
    op = pick(rng, ['SETNX', 'SETEX', 'PSETEX', 'GETSET'])
    if op in ('SETEX', 'PSETEX'):
        return [op, key(rng), pick(rng, EXPIRES), sval(rng)]
    return [op, key(rng), sval(rng)]


def g_getex(rng):
    cmd = ['GETEX', key(rng)]
    r = rng.random()
    if r < 0.4:
        cmd += expire_opt(rng)
    elif r < 0.6:
        cmd.append('PERSIST')
    elif r < 0.7:
        cmd += pick(rng, [['EX', '10', 'PX', '10'], ['PERSIST', 'EX', '1'],
                          ['FOO'], ['EX'], ['ex', '100', 'ex', '200']])
    return cmd


def g_get(rng):
    op = pick(rng, ['GET', 'GETDEL', 'STRLEN', 'GET', 'TYPE', 'EXISTS',
                    'TTL', 'PTTL'])
    return [op, key(rng, KEYS)]


def g_mset(rng):
    op = pick(rng, ['MSET', 'MSETNX', 'MGET'])
    keys = [key(rng) for _ in range(rng.randint(1, 3))]
    if op == 'MGET':
        return [op] + keys
    cmd = [op]
    for k in keys:
        cmd += [k, sval(rng)]
    if rng.random() < 0.05:
        cmd.pop()
    return cmd


def g_incr(rng):
    op = pick(rng, ['INCR', 'DECR', 'INCRBY', 'DECRBY', 'INCRBYFLOAT',
                    'INCRBYFLOAT', 'INCRBYFLOAT'])
    k = key(rng, NUMS)
    if op == 'INCRBYFLOAT':
        return [op, k, pick(rng, FLOATS)]
    if op in ('INCRBY', 'DECRBY'):
        return [op, k, integer(rng)]
    return [op, k]


def g_append(rng):
    return ['APPEND', key(rng), sval(rng)]


def offset(rng):
    r = rng.random()
    if r < 0.8:
        return str(rng.randint(-3, 40))
    return pick(rng, ['-1', 'x', '536870911', '536870912', '1000',
                      '9223372036854775807'])


def g_range(rng):
    op = pick(rng, ['GETRANGE', 'SUBSTR', 'SETRANGE'])
    if op == 'SETRANGE':
        off = offset(rng)
        v = sval(rng) if off != '536870911' else ''
        return [op, key(rng), off, v]
    return [op, key(rng, KEYS), offset(rng), offset(rng)]


def bit(rng):
    r = rng.random()
    if r < 0.85:
        return str(rng.randint(0, 200))
    return pick(rng, ['-1', 'x', '4294967296', '8000'])


def g_bits(rng):
    op = pick(rng, ['SETBIT', 'GETBIT', 'BITCOUNT', 'BITCOUNT'])
    k = key(rng, ['b1', 'b1', 's1', 'missing', 'l1'])
    if op == 'SETBIT':
        return [op, k, bit(rng), pick(rng, ['0', '1', '1', '2', 'x'])]
    if op == 'GETBIT':
        return [op, k, bit(rng)]
    cmd = [op, k]
    if rng.random() < 0.7:
        cmd += [str(rng.randint(-20, 20)), str(rng.randint(-20, 20))]
        if rng.random() < 0.6:
            cmd.append(pick(rng, ['BIT', 'BYTE', 'bit', 'nibble']))
    elif rng.random() < 0.1:
        cmd.append('0')
    return cmd


def g_lcs(rng):
    cmd = ['LCS', key(rng, KEYS), key(rng, KEYS)]
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        opt = pick(rng, ['LEN', 'IDX', 'IDX', 'MINMATCHLEN', 'WITHMATCHLEN',
                         'bogus'])
        cmd.append(opt)
        if opt == 'MINMATCHLEN':
            cmd.append(pick(rng, ['0', '1', '2', '4', '-1', 'x']))
    return cmd


def g_other(rng):
    r = rng.random()
    if r < 0.4:
        return ['RPUSH', 'l1', value(rng)]
    if r < 0.7:
        return ['DEL', key(rng, KEYS)]
    return ['EXPIRE', key(rng, KEYS), pick(rng, ['100000', '0', '-1'])]


GENERATORS = [(g_set, 8), (g_setnx, 4), (g_getex, 4), (g_get, 8),
              (g_mset, 3), (g_incr, 8), (g_append, 3), (g_range, 6),
              (g_bits, 6), (g_lcs, 3), (g_other, 3)]


def stream(rng, n):
    return weighted_stream(rng, n, GENERATORS)
