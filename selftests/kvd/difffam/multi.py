# SPDX-License-Identifier: LGPL-2.1-or-later
"""multi.py - transactions on one connection: MULTI, EXEC, DISCARD,
WATCH, UNWATCH and RESET mixed with string and list commands that read
and write the watched keys (and some that fail when queued: unknown
commands, wrong arities, which abort EXEC; and some that fail when run,
which do not), nested MULTI, WATCH inside MULTI, EXEC and DISCARD
without MULTI, FLUSHALL and deletes of watched keys.  watch.py covers
other clients' writes and expiry, which need several connections and a
clock."""

from _util import weighted_stream, pick, value, integer

KEYS = ['k1', 'k2', 'n1', 'l1', 'missing']

UNORDERED = set()


def key(rng):
    return pick(rng, KEYS)


def g_txn(rng):
    return [pick(rng, ['MULTI', 'MULTI', 'EXEC', 'EXEC', 'DISCARD'])]


def g_watch(rng):
    r = rng.random()
    if r < 0.6:
        return ['WATCH'] + [key(rng) for _ in range(rng.randint(1, 3))]
    if r < 0.9:
        return ['UNWATCH']
    return pick(rng, [['WATCH'], ['UNWATCH', 'x'], ['EXEC', 'x'],
                      ['MULTI', 'x'], ['DISCARD', 'x'], ['RESET']])


def g_write(rng):
    r = rng.random()
    k = key(rng)
    if r < 0.25:
        return ['SET', k, value(rng)] + pick(rng, [[], [], ['NX'], ['XX'],
                                                   ['GET']])
    if r < 0.4:
        return [pick(rng, ['INCR', 'DECR']), pick(rng, ['n1', 'n1', 'k1'])]
    if r < 0.5:
        return ['INCRBY', 'n1', integer(rng)]
    if r < 0.6:
        return [pick(rng, ['LPUSH', 'RPUSH']), pick(rng, ['l1', 'l1', k]),
                value(rng)]
    if r < 0.7:
        return [pick(rng, ['LPOP', 'RPOP']), pick(rng, ['l1', k])]
    if r < 0.8:
        return ['DEL', k]
    if r < 0.85:
        return ['APPEND', k, value(rng)]
    if r < 0.9:
        return ['EXPIRE', k, pick(rng, ['100000', '0', '-1'])]
    if r < 0.95:
        return ['PERSIST', k]
    return ['FLUSHALL']


def g_read(rng):
    k = key(rng)
    return pick(rng, [['GET', k], ['EXISTS', k], ['TYPE', k],
                      ['LRANGE', k, '0', '-1'], ['LLEN', k], ['STRLEN', k],
                      ['MGET', k, key(rng)], ['PING'], ['ECHO', 'hi']])


def g_bad(rng):
    """Refused when queued (EXECABORT later) or failing when run."""
    return pick(rng, [['NOSUCHCMD'], ['GET'], ['SET', 'k1'],
                      ['CONFIG', 'NOSUCH'], ['INCR', 'k1'],
                      ['LPUSH', 'k1', 'x'], ['MSET', 'k1'],
                      ['SET', 'k1', 'v', 'bogus']])


GENERATORS = [(g_txn, 6), (g_watch, 4), (g_write, 10), (g_read, 6),
              (g_bad, 2)]


def stream(rng, n):
    return weighted_stream(rng, n, GENERATORS)
