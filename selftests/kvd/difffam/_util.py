# SPDX-License-Identifier: LGPL-2.1-or-later
"""_util.py - what the difffam families share: picking keys, values and
numbers, and the checks for replies that are random or carry a cursor."""

INTS = ['0', '1', '-1', '7', '100', '-100', '9223372036854775807',
        '-9223372036854775808', '9223372036854775808', '1.5', 'abc', '',
        ' 1', '1 ', '+1', '01', '0x10', '-0', '3e2']


def pick(rng, seq):
    return seq[rng.randrange(len(seq))]


def pick_weighted(rng, generators):
    """One generator of [(generator, weight), ...], drawn by weight."""
    r = rng.uniform(0, sum(w for _, w in generators))
    for g, w in generators:
        r -= w
        if r <= 0:
            break
    return g


def weighted_stream(rng, n, generators):
    """@n commands, each from a generator drawn by weight."""
    return [pick_weighted(rng, generators)(rng) for _ in range(n)]


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


SCAN_MAX_CALLS = 100000


def _arg(a):
    return a.decode('latin-1') if isinstance(a, bytes) else a


def full_scan(send, cmd, at, first):
    """Finish a scan that @first (the reply to @cmd, whose cursor is
    argument @at) started, with @send; return the set of what every call
    returned (pairs for HSCAN), or a text when a reply is malformed."""
    got, reply, calls = set(), first, 0
    while True:
        if reply[0] != '*' or len(reply[1]) != 2 or reply[1][0][0] != '$' \
                or reply[1][1][0] != '*':
            return 'not a scan reply: %r' % (reply,)
        cursor, items = reply[1][0][1], [x[1] for x in reply[1][1][1]]
        if _arg(cmd[0]).lower() == 'hscan':
            if len(items) % 2:
                return 'odd HSCAN reply'
            items = list(zip(items[0::2], items[1::2]))
        got.update(items)
        if cursor == b'0':
            return got
        calls += 1
        if calls > SCAN_MAX_CALLS:
            return 'the scan did not end'
        reply = send(cmd[:at] + [cursor] + cmd[at + 1:])


def check_scan(peer, cmd, k, r):
    """SCAN, HSCAN, SSCAN from cursor 0: each server's whole iteration
    must return the same elements (cursors and batches differ)."""
    at = 1 if _arg(cmd[0]).lower() == 'scan' else 2
    err = same_errors(k, r)
    if err is not False:
        return err
    if _arg(cmd[at]) != '0':
        return None if k[0] == r[0] == '*' else 'not arrays'
    gk = full_scan(peer.kvd, cmd, at, k)
    gr = full_scan(peer.redis, cmd, at, r)
    if isinstance(gk, str) or isinstance(gr, str):
        return 'kvd: %s; redis: %s' % (gk if isinstance(gk, str) else 'ok',
                                       gr if isinstance(gr, str) else 'ok')
    if gk != gr:
        return 'the full iterations differ: only kvd %r, only redis %r' % (
            sorted(gk - gr)[:10], sorted(gr - gk)[:10])
    return None


def bulks(r):
    return [x[1] for x in r[1]]


def check_random_pick(content_cmd, paired):
    """A check for HRANDFIELD / SRANDMEMBER: each reply must have the
    shape Redis's count rules give and hold only what the key holds
    (@content_cmd reads it: HGETALL or SMEMBERS); the picks themselves
    may differ."""
    def check(peer, cmd, k, r):
        err = same_errors(k, r)
        if err is not False:
            return err
        ck, cr = peer.both([content_cmd, cmd[1]])
        if ck[0] != '*' or cr[0] != '*':
            return None if k == r and ck == cr else 'differ'
        contents = []
        for c in (ck, cr):
            items = bulks(c)
            contents.append(dict(zip(items[0::2], items[1::2])) if paired
                            else dict.fromkeys(items))
        if contents[0] != contents[1]:
            return 'the key differs before the command'
        content = contents[0]
        withvalues = len(cmd) > 3
        if len(cmd) == 2:
            for rep in (k, r):
                if rep[0] != '$':
                    return 'not a bulk'
                if (rep[1] is None) != (not content) or \
                        (rep[1] is not None and rep[1] not in content):
                    return '%r is not in the key' % (rep[1],)
            return None
        count = int(_arg(cmd[2]))
        for rep in (k, r):
            if rep[0] != '*':
                return 'not an array'
            got = bulks(rep)
            if withvalues:
                if len(got) % 2:
                    return 'odd WITHVALUES reply'
                pairs = list(zip(got[0::2], got[1::2]))
            else:
                pairs = [(g, None) for g in got]
            want = min(count, len(content)) if count >= 0 else \
                (-count if content else 0)
            if len(pairs) != want:
                return '%d elements, not %d' % (len(pairs), want)
            if count > 0 and len(set(pairs)) != len(pairs):
                return 'repeated elements with a positive count'
            for f, v in pairs:
                if f not in content or (withvalues and content[f] != v):
                    return '%r is not in the key' % ((f, v),)
        return None
    return check


def check_spop(peer, cmd, k, r):
    """SPOP: both must pop the same number of members of the same set;
    then redis-server's set is rewritten to kvd's, so that the streams
    go on from the same data."""
    err = same_errors(k, r)
    if err is not False:
        return err
    if k[0] == '$':
        popped_k = [] if k[1] is None else [k[1]]
        popped_r = [] if r[1] is None else [r[1]]
    else:
        popped_k, popped_r = bulks(k), bulks(r)
    rest_k, rest_r = peer.both(['SMEMBERS', cmd[1]])
    if rest_k[0] != '*' or rest_r[0] != '*':
        return 'SMEMBERS failed after SPOP: %s / %s' % (rest_k, rest_r)
    rest_k, rest_r = set(bulks(rest_k)), set(bulks(rest_r))
    if len(popped_k) != len(popped_r):
        return 'popped %d and %d members' % (len(popped_k), len(popped_r))
    if len(set(popped_k)) != len(popped_k) or \
            len(set(popped_r)) != len(popped_r):
        return 'a member popped twice'
    if set(popped_k) & rest_k or set(popped_r) & rest_r:
        return 'a popped member is still in the set'
    if set(popped_k) | rest_k != set(popped_r) | rest_r:
        return 'the sets before the pop differ'
    if rest_k != rest_r:
        pttl = peer.redis(['PTTL', cmd[1]])
        peer.redis(['DEL', cmd[1]])
        if rest_k:
            peer.redis(['SADD', cmd[1]] + sorted(rest_k))
            if pttl[0] == ':' and pttl[1] > 0:
                peer.redis(['PEXPIRE', cmd[1], str(pttl[1])])
    return None
