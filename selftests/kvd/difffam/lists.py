# SPDX-License-Identifier: LGPL-2.1-or-later
"""lists.py - the list commands on a few keys: LPUSH, RPUSH, LPUSHX,
RPUSHX, LPOP, RPOP (with counts), LLEN, LRANGE, LINDEX, LSET, LREM,
LINSERT, LTRIM, LPOS (RANK, COUNT, MAXLEN), LMOVE, RPOPLPUSH, LMPOP,
with strings on the same keys for wrong types.  Elements come from a
small set so that LREM, LINSERT and LPOS find them; lists grow long now
and then."""

from _util import weighted_stream, pick, value, integer

LISTS = ['l1', 'l2', 'l3']
KEYS = LISTS + ['s1', 'missing']
ELEMS = ['a', 'b', 'c', 'a', 'b', '', 'hello world', '1', '-1']

UNORDERED = set()


def key(rng):
    return pick(rng, LISTS if rng.random() < 0.85 else KEYS)


def elem(rng):
    return pick(rng, ELEMS) if rng.random() < 0.85 else value(rng)


def index(rng):
    return str(rng.randint(-8, 8)) if rng.random() < 0.9 else integer(rng)


def g_push(rng):
    op = pick(rng, ['LPUSH', 'RPUSH', 'LPUSH', 'RPUSH', 'LPUSHX',
                    'RPUSHX'])
    n = rng.randint(1, 4) if rng.random() < 0.95 else \
        (0 if rng.random() < 0.5 else rng.randint(50, 200))
    return [op, key(rng)] + [elem(rng) for _ in range(n)]


def g_pop(rng):
    cmd = [pick(rng, ['LPOP', 'RPOP']), key(rng)]
    if rng.random() < 0.4:
        cmd.append(pick(rng, ['0', '1', '2', '10', '-1', 'x']))
    return cmd


def g_read(rng):
    op = pick(rng, ['LLEN', 'LRANGE', 'LRANGE', 'LINDEX'])
    if op == 'LLEN':
        return [op, key(rng)]
    if op == 'LINDEX':
        return [op, key(rng), index(rng)]
    return [op, key(rng), index(rng), index(rng)]


def g_edit(rng):
    op = pick(rng, ['LSET', 'LREM', 'LINSERT', 'LTRIM'])
    if op == 'LSET':
        return [op, key(rng), index(rng), elem(rng)]
    if op == 'LREM':
        return [op, key(rng), pick(rng, ['0', '1', '2', '-1', '-2', '5',
                                         '-9223372036854775808', 'x']),
                elem(rng)]
    if op == 'LINSERT':
        return [op, key(rng), pick(rng, ['BEFORE', 'AFTER', 'after',
                                         'middle']), elem(rng), elem(rng)]
    return [op, key(rng), index(rng), index(rng)]


def g_lpos(rng):
    cmd = ['LPOS', key(rng), elem(rng)]
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        opt = pick(rng, ['RANK', 'COUNT', 'MAXLEN', 'rank', 'bogus'])
        cmd.append(opt)
        if opt != 'bogus' and rng.random() < 0.95:
            cmd.append(pick(rng, ['1', '2', '-1', '-2', '0', '3', '10', 'x',
                                  '-9223372036854775808',
                                  '9223372036854775807']))
    return cmd


def end(rng):
    return pick(rng, ['LEFT', 'RIGHT', 'left', 'right', 'up'])


def g_move(rng):
    op = pick(rng, ['LMOVE', 'LMOVE', 'RPOPLPUSH', 'LMPOP'])
    if op == 'LMOVE':
        return [op, key(rng), key(rng), end(rng), end(rng)]
    if op == 'RPOPLPUSH':
        return [op, key(rng), key(rng)]
    n = rng.randint(1, 3)
    numkeys = str(n) if rng.random() < 0.9 else \
        pick(rng, ['0', '-1', 'x', '5'])
    cmd = [op, numkeys] + [key(rng) for _ in range(n)] + [end(rng)]
    if rng.random() < 0.5:
        cmd += ['COUNT', pick(rng, ['1', '2', '5', '100', '0', '-1', 'x'])]
    return cmd


def g_other(rng):
    r = rng.random()
    if r < 0.4:
        return ['SET', 's1', value(rng)]
    if r < 0.7:
        return ['DEL', key(rng)]
    return ['TYPE', key(rng)]


GENERATORS = [(g_push, 10), (g_pop, 5), (g_read, 8), (g_edit, 8),
              (g_lpos, 5), (g_move, 6), (g_other, 2)]


def stream(rng, n):
    return weighted_stream(rng, n, GENERATORS)
