#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""glob.py - the glob matcher's limits, with patterns too long for a
transcript: Redis gives up below 1000 nested '*' (a pattern with more
star groups before its last element matches nothing), and a hostile
pattern ("*?" 50000 times against a 50000-byte key) must answer at once
-- within the reply deadline -- without blowing the stack.  The expected
answers are what redis-server 7.0.15 gives.

Usage: glob.py --io-threads N
"""

import argparse
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402
from kvdlib import Reader, check, command  # noqa: E402

# (pattern, matches a 2000-byte key of 'a's): redis-server 7.0.15's answers.
NESTING = [
    ('*a' * 1000, True),                # 1000 star groups
    ('*a' * 1001, False),               # 1001: past Redis's limit
    ('*a' * 1000 + '*', True),          # a trailing group does not nest
    ('*a' * 1001 + '*', False),
    ('*a' * 999 + '**a', True),         # "**" is one group
    ('**a' * 1001, False),
    ('*a' * 1000 + '?', True),
    ('*a' * 1000 + '*?', False),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, default=1)
    a = ap.parse_args()
    with kvdlib.Server('glob', a.io_threads) as srv:
        with kvdlib.connect(srv.port) as s:
            r = Reader(s, timeout=20.0)
            check(command(r, 'SET', 'a' * 2000, 'v') == '+OK', 'SET')
            for pat, match in NESTING:
                got = command(r, 'KEYS', pat)
                check(got == ([b'a' * 2000] if match else []),
                      'KEYS of %d star groups: %d keys' % (pat.count('*a'), len(got)))
            check(command(r, 'FLUSHALL') == '+OK', 'FLUSHALL')
            key = 'x' * 50000
            check(command(r, 'SET', key, 'v') == '+OK', 'SET a long key')
            hostile = '*?' * 50000
            check(command(r, 'KEYS', hostile) == [], 'KEYS "*?" x 50000')
            got = command(r, 'SCAN', '0', 'MATCH', hostile, 'COUNT', '100')
            check(got == [b'0', []], 'SCAN MATCH "*?" x 50000: %r' % got)
            check(command(r, 'CONFIG', 'GET', hostile) == [],
                  'CONFIG GET "*?" x 50000')
            # Under the limit, long patterns still match.
            check(command(r, 'KEYS', '*?' * 999 + '*') == [key.encode()],
                  'KEYS "*?" x 999 "*"')
    print('glob io-threads=%d ok' % a.io_threads)


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
