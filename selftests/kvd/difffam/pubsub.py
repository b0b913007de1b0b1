# SPDX-License-Identifier: LGPL-2.1-or-later
"""pubsub.py - pub/sub on one connection, which is its own only
subscriber: PUBLISH (counting nobody), PUBSUB CHANNELS, NUMSUB and
NUMPAT, SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE and PUNSUBSCRIBE of one name
each (one reply per command), the RESP2 subscribed-mode rules (what is
refused, PING's array), RESET and QUIT; and transactions that subscribe
and then, inside the same EXEC, ask PUBSUB (subscribed mode's rules are
checked when a command is queued, so that is where PUBSUB sees this
connection's own subscriptions).  Several
connections, fan-out and message delivery are pubsub.py's
(selftests/kvd)."""

from _util import pick_weighted, pick, value

CHANNELS = ['news', 'news.1', 'news.2', 'sport', 'h*llo', '']
PATTERNS = ['news*', 'news.?', '*', 'h\\*llo', '[ns]*', 'x[', '']

UNORDERED = set()


def same_multiset(a, b):
    return sorted(a) == sorted(b)


def check_pubsub(peer, cmd, k, r):
    """PUBSUB CHANNELS lists the channels in table order: compare as a
    multiset; the other subcommands exactly."""
    sub = cmd[1].lower() if len(cmd) > 1 and isinstance(cmd[1], str) else ''
    if sub == 'channels' and k[0] == '*' and r[0] == '*' and \
            k[1] is not None and r[1] is not None:
        return None if same_multiset(k[1], r[1]) else 'differ as sets'
    return None if k == r else 'differ'


CHECKS = {'pubsub': check_pubsub}


def g_sub(rng):
    op = pick(rng, ['SUBSCRIBE', 'UNSUBSCRIBE', 'PSUBSCRIBE',
                    'PUNSUBSCRIBE'])
    names = PATTERNS if op in ('PSUBSCRIBE', 'PUNSUBSCRIBE') else CHANNELS
    return [op, pick(rng, names)]


def g_publish(rng):
    if rng.random() < 0.05:
        return pick(rng, [['PUBLISH', 'news'], ['PUBLISH', 'a', 'b', 'c']])
    return ['PUBLISH', pick(rng, CHANNELS + ['other']), value(rng)]


def g_pubsub(rng):
    r = rng.random()
    if r < 0.3:
        return ['PUBSUB', 'CHANNELS'] + \
            ([pick(rng, PATTERNS)] if rng.random() < 0.6 else [])
    if r < 0.6:
        return ['PUBSUB', 'NUMSUB'] + [pick(rng, CHANNELS + PATTERNS)
                                       for _ in range(rng.randint(0, 3))]
    if r < 0.85:
        return ['PUBSUB', 'NUMPAT']
    return pick(rng, [['PUBSUB'], ['PUBSUB', 'NOSUCH'], ['PUBSUB', 'NUMPAT',
                                                        'x'],
                      ['PUBSUB', 'CHANNELS', 'a', 'b'], ['pubsub', 'numsub']])


def g_other(rng):
    r = rng.random()
    if r < 0.3:
        return ['PING'] + ([value(rng)] if rng.random() < 0.5 else [])
    if r < 0.5:
        return pick(rng, [['SET', 'k', value(rng)], ['GET', 'k'],
                          ['RPUSH', 'l', value(rng)], ['LPOP', 'l']])
    if r < 0.6:
        return pick(rng, [['PING', 'a', 'b'], ['GET'], ['NOSUCH']])
    if r < 0.7:
        return pick(rng, [['MULTI'], ['EXEC'], ['DISCARD'], ['WATCH', 'k']])
    if r < 0.9:
        return ['RESET']
    if r < 0.93:
        return ['QUIT']
    return ['ECHO', value(rng)]


def g_txn(rng):
    """MULTI, subscriptions and PUBSUB, EXEC: one list.  (No PUBLISH:
    the message to itself would be one more reply than commands, which
    the comparison, one reply per command, would read out of step.)"""
    cmds = [['RESET'], ['MULTI']]
    for _ in range(rng.randint(1, 5)):
        cmds.append(g_sub(rng) if rng.random() < 0.5 else g_pubsub(rng))
    cmds.append(['EXEC'])
    return cmds


GENERATORS = [(g_sub, 10), (g_publish, 6), (g_pubsub, 8), (g_other, 8),
              (g_txn, 3)]


def stream(rng, n):
    out = []
    while len(out) < n:
        g = pick_weighted(rng, GENERATORS)
        if g is g_txn:
            out.extend(g(rng))
        else:
            out.append(g(rng))
    return out[:n]
