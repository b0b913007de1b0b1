# SPDX-License-Identifier: LGPL-2.1-or-later
"""difffam - the command families differential.py sends to baton-kvd and
redis-server alike.

A family is a module difffam/<name>.py (names starting with "_" are
helpers, not families) that provides:

stream(rng, n)
    A list of about @n commands, each a list of str or bytes, drawn with
    the random.Random @rng over a small key space, so that commands meet
    each other's keys: wrong types, missing keys, edge arguments, errors
    and empty results included.  Keys that expire must not expire within
    the run (a clock decides nothing).

UNORDERED
    A set of lower-case command names whose array replies are compared
    as multisets (SMEMBERS, HKEYS, KEYS ...).

PAIRED (optional)
    Command names whose array replies are field/value pairs compared as
    a multiset of pairs (HGETALL).

CHECKS (optional)
    A dict from a lower-case command name to fn(peer, cmd, kvd, redis):
    for replies no exact comparison can judge (SPOP, SRANDMEMBER,
    HRANDFIELD, SSCAN's cursors).  It returns None when both replies are
    right, else a text saying why not.  @peer sends more commands:
    peer.both(cmd) -> (kvd reply, redis reply), peer.kvd(cmd),
    peer.redis(cmd).  A check of a command that changes the key space at
    random (SPOP) must leave both servers holding the same data again,
    e.g. by rewriting redis-server's key to kvd's.

A reply is a tuple: ('+', str), ('-', str), (':', int), ('$', bytes or
None), ('*', list or None), or ('eof', None).
"""
