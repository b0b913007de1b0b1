# SPDX-License-Identifier: LGPL-2.1-or-later
"""_util.py - what the difffam families share: picking keys, values and
numbers, and the checks for replies that are random or carry a cursor."""

INTS = ['0', '1', '-1', '7', '100', '-100', '9223372036854775807',
        '-9223372036854775808', '9223372036854775808', '1.5', 'abc', '',
        ' 1', '1 ', '+1', '01', '0x10', '-0', '3e2']


def pick(rng, seq):
    return seq[rng.randrange(len(seq))]


def value(rng):
    """A value: short text, a number, empty, binary or long."""
    r = rng.random()
    if r < 0.35:
        return pick(rng, ['a', 'b', 'c', 'foo', 'bar', 'hello world'])
    if r < 0.6:
        return str(rng.randint(-1000, 1000))
    if r < 0.7:
        return pick(rng, INTS)
    if r < 0.8:
        return ''
    if r < 0.9:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return 'x' * rng.randint(20, 300)


def integer(rng):
    r = rng.random()
    if r < 0.7:
        return str(rng.randint(-20, 20))
    return pick(rng, INTS)


def is_err(r):
    return r[0] == '-'


def elems(r):
    """The elements of an array reply, or None."""
    return r[1] if r[0] == '*' and r[1] is not None else None


def multiset(items):
    out = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return out


def same_errors(k, r):
    """None when both are the same error, a text when only one is or they
    differ, False when neither is an error."""
    if is_err(k) or is_err(r):
        return None if k == r else 'differ'
    if k[0] != r[0]:
        return 'differ in kind'
    return False


def check_ttl(peer, cmd, k, r):
    """TTL/PTTL: the two servers ran the command a moment apart."""
    if k[0] == ':' and r[0] == ':' and k[1] >= 0 and r[1] >= 0:
        slack = 1 if cmd[0].lower() == 'ttl' else 50
        return None if abs(k[1] - r[1]) <= slack else 'differ by more ' \
            'than %d' % slack
    return None if k == r else 'differ'
