# SPDX-License-Identifier: LGPL-2.1-or-later
"""blocking.py - the blocking list commands on one connection, where
they must never wait: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH and BLMPOP right
after a push to their first key (so it holds a list, or is of another
type: WRONGTYPE), inside MULTI (where they do not block, whatever the
keys hold), with bad arguments in every position (timeouts that are no
number, negative or too large; ends, numkeys, COUNT), and now and then
a short timeout on a key nothing ever writes.  Blocking for another
client's push is blocking.py's (selftests/kvd)."""

from _util import pick_weighted, pick, value

LISTS = ['l1', 'l2', 'l3']
KEYS = LISTS + ['s1', 'missing']
NEVER = 'never-written'
TIMEOUTS = ['0', '1', '0.5', '10', '1e3', '.5', '+1', '0x10', '-0']
BAD_TIMEOUTS = ['-1', '-0.5', 'x', '', ' 1', 'nan', 'inf', '1e400',
                '9223372036854775807', '1,5']

UNORDERED = set()


def key(rng):
    return pick(rng, LISTS if rng.random() < 0.8 else KEYS)


def timeout(rng):
    return pick(rng, TIMEOUTS) if rng.random() < 0.9 else \
        pick(rng, BAD_TIMEOUTS)


def end(rng):
    return pick(rng, ['LEFT', 'RIGHT', 'left', 'right'] +
                (['up'] if rng.random() < 0.05 else []))


def blocking(rng, first, t):
    """A blocking command whose first key is @first and timeout @t."""
    op = pick(rng, ['BLPOP', 'BRPOP', 'BLMOVE', 'BRPOPLPUSH', 'BLMPOP'])
    if op in ('BLPOP', 'BRPOP'):
        return [op, first] + [key(rng) for _ in range(rng.randint(0, 2))] + [t]
    if op == 'BLMOVE':
        return [op, first, key(rng), end(rng), end(rng), t]
    if op == 'BRPOPLPUSH':
        return [op, first, key(rng), t]
    n = rng.randint(1, 3)
    cmd = [op, t, str(n), first] + [key(rng) for _ in range(n - 1)] + \
        [end(rng)]
    if rng.random() < 0.5:
        cmd += ['COUNT', pick(rng, ['1', '2', '10', '0', '-1', 'x'])]
    return cmd


def g_pushed(rng):
    """A push, then a blocking command on that key: it cannot wait."""
    k = key(rng)
    push = [pick(rng, ['RPUSH', 'LPUSH']), k] + \
        [value(rng) for _ in range(rng.randint(1, 4))]
    return [push, blocking(rng, k, timeout(rng))]


def g_multi(rng):
    """Blocking commands inside a transaction: none waits."""
    cmds = [['MULTI']]
    for _ in range(rng.randint(1, 4)):
        cmds.append(blocking(rng, key(rng) if rng.random() < 0.5 else NEVER,
                             timeout(rng)))
    cmds.append(['EXEC'] if rng.random() < 0.95 else ['DISCARD'])
    return cmds


def g_bad(rng):
    """Argument errors, which come before any wait."""
    r = rng.random()
    if r < 0.4:
        return [blocking(rng, key(rng), pick(rng, BAD_TIMEOUTS))]
    if r < 0.6:
        return [pick(rng, [['BLPOP', 'k'], ['BLPOP'], ['BRPOPLPUSH', 'a', 'b'],
                           ['BLMOVE', 'a', 'b', 'LEFT', 'LEFT'],
                           ['BLMPOP', '0', '1', 'k']])]
    if r < 0.8:
        return [['BLMPOP', timeout(rng), pick(rng, ['0', '-1', 'x', '5']),
                 key(rng), end(rng)]]
    return [['BLMOVE', key(rng), key(rng), pick(rng, ['UP', 'LEFT']),
             pick(rng, ['DOWN', 'RIGHT']), pick(rng, BAD_TIMEOUTS + ['0'])]]


def g_short(rng):
    """A short wait on a key nothing writes: nil (a nil array)."""
    return [blocking(rng, NEVER, pick(rng, ['0.01', '0.02']))]


def g_other(rng):
    r = rng.random()
    if r < 0.4:
        return [['SET', 's1', value(rng)]]
    if r < 0.7:
        return [['DEL', key(rng)]]
    if r < 0.85:
        return [['LRANGE', key(rng), '0', '-1']]
    return [['EXISTS'] + KEYS]


GENERATORS = [(g_pushed, 12), (g_multi, 5), (g_bad, 5), (g_short, 0.3),
              (g_other, 4)]


def stream(rng, n):
    out = []
    while len(out) < n:
        g = pick_weighted(rng, GENERATORS)
        out.extend(g(rng))
    return out[:n] if out[n - 1:n] != [['MULTI']] else out[:n - 1]
