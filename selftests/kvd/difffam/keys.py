# SPDX-License-Identifier: LGPL-2.1-or-later
"""keys.py - the keyspace commands on a few keys of both types: DEL,
UNLINK, EXISTS, TYPE, TOUCH, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT with
NX/XX/GT/LT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST, RENAME,
RENAMENX, COPY, RANDOMKEY, DBSIZE, KEYS and SCAN with glob patterns,
OBJECT FREQ, with strings and lists written on the same keys.  Expiry
times are far off, or already past (a delete), never due within a run;
relative ones are compared with a little slack (the two servers run a
command a moment apart; relative times differ by far more than that, so
that GT and LT never compare two that a moment could swap)."""

from _util import weighted_stream, pick, value, check_ttl, check_scan

KEYS = ['k1', 'k2', 'k3', 'l1', 'l2', 'a*b', 'h[x]', 'missing', '']
PATTERNS = ['*', 'k*', '?1', 'k[12]', 'k[^1]', 'l?', '*[0-9]', 'a\\*b',
            'h\\[x\\]', '[a-k]*', '*2', '', '**', 'k[1-', '\\', 'K*',
            '*?*', 'h[[]x]']
TIMES = ['100000', '200000', '0', '-1', '-100000', 'x', '1.5',
         '9223372036854775807', '-9223372036854775808']
AT = ['99999999999', '99999999998', '1', '0', '-1', '9223372036854775807',
      '-9223372036854775808', 'x']
PAT = ['99999999999000', '99999999998000', '99999999999500', '1', '0',
       '9223372036854775807', '-9223372036854775808']

UNORDERED = {'keys'}


def check_expiretime(peer, cmd, k, r):
    """EXPIRETIME / PEXPIRETIME: exact for a Unix time set as one, a
    moment apart for one set from now."""
    if k[0] == ':' and r[0] == ':' and k[1] >= 0 and r[1] >= 0:
        slack = 1 if cmd[0].lower() == 'expiretime' else 50
        return None if abs(k[1] - r[1]) <= slack else 'differ by more ' \
            'than %d' % slack
    return None if k == r else 'differ'


def check_randomkey(peer, cmd, k, r):
    """RANDOMKEY: nil for both, or a key each server has."""
    if k[0] != '$' or r[0] != '$':
        return None if k == r else 'differ'
    if (k[1] is None) != (r[1] is None):
        return 'only one is nil'
    if k[1] is None:
        return None
    if peer.kvd(['EXISTS', k[1]]) != (':', 1) or \
            peer.redis(['EXISTS', r[1]]) != (':', 1):
        return 'a key that does not exist'
    return None


CHECKS = {'ttl': check_ttl, 'pttl': check_ttl, 'scan': check_scan,
          'expiretime': check_expiretime, 'pexpiretime': check_expiretime,
          'randomkey': check_randomkey}


def key(rng):
    return pick(rng, KEYS)


def g_write(rng):
    r = rng.random()
    k = key(rng)
    if r < 0.5:
        return ['SET', k, value(rng)]
    if r < 0.8:
        return [pick(rng, ['RPUSH', 'LPUSH']), k, value(rng), value(rng)]
    return ['SET', k, value(rng), 'EX', '100000']


def g_del(rng):
    op = pick(rng, ['DEL', 'UNLINK', 'EXISTS', 'TOUCH'])
    return [op] + [key(rng) for _ in range(rng.randint(0, 3))]


def g_read(rng):
    op = pick(rng, ['TYPE', 'TTL', 'PTTL', 'EXPIRETIME', 'PEXPIRETIME',
                    'PERSIST', 'OBJECT', 'DBSIZE', 'RANDOMKEY'])
    if op == 'OBJECT':
        return ['OBJECT', pick(rng, ['FREQ', 'freq', 'NOSUCH', 'HELP']),
                key(rng)]
    if op in ('DBSIZE', 'RANDOMKEY'):
        return [op]
    return [op, key(rng)]


def g_expire(rng):
    op = pick(rng, ['EXPIRE', 'PEXPIRE', 'EXPIREAT', 'PEXPIREAT'])
    if op in ('EXPIRE', 'PEXPIRE'):
        t = pick(rng, TIMES)
    else:
        t = pick(rng, AT if op == 'EXPIREAT' else PAT)
    cmd = [op, key(rng), t]
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        cmd.append(pick(rng, ['NX', 'XX', 'GT', 'LT', 'gt', 'bogus']))
    return cmd


def g_rename(rng):
    op = pick(rng, ['RENAME', 'RENAMENX', 'COPY', 'COPY'])
    cmd = [op, key(rng), key(rng)]
    if op == 'COPY':
        for _ in range(rng.choice([0, 0, 1, 2])):
            opt = pick(rng, ['REPLACE', 'DB', 'replace', 'bogus'])
            cmd.append(opt)
            if opt == 'DB' and rng.random() < 0.9:
                cmd.append(pick(rng, ['0', '0', 'x', '-1']))
    return cmd


def g_keys(rng):
    if rng.random() < 0.5:
        return ['KEYS', pick(rng, PATTERNS)]
    cmd = ['SCAN', '0']
    if rng.random() < 0.7:
        cmd += ['MATCH', pick(rng, PATTERNS)]
    if rng.random() < 0.5:
        cmd += ['COUNT', pick(rng, ['1', '2', '10', '1000'])]
    if rng.random() < 0.3:
        cmd += ['TYPE', pick(rng, ['string', 'list', 'STRING', 'none'])]
    return cmd


GENERATORS = [(g_write, 10), (g_del, 5), (g_read, 10), (g_expire, 8),
              (g_rename, 6), (g_keys, 4)]


def stream(rng, n):
    return weighted_stream(rng, n, GENERATORS)
