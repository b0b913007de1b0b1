#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""bench.py - the redis-benchmark smoke test: redis-benchmark must complete
SET, GET, INCR, LPUSH, RPUSH, LPOP, RPOP and MSET against baton-kvd with
no error, and leave the data those commands imply: two keys, the counter
at the number of requests, the list empty again, the 3-byte value.

Under sanitizers the request count is scaled down (-n 20000).  The
figures are printed for information only; nothing checks a speed.

Usage: bench.py --io-threads N [-n REQUESTS]
"""

import argparse
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402
from kvdlib import check, command  # noqa: E402

TESTS = 'set,get,incr,lpush,rpush,lpop,rpop,mset'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, default=1)
    ap.add_argument('-n', type=int,
                    default=20000 if kvdlib.sanitized() else 100000)
    a = ap.parse_args()
    with kvdlib.Server('bench', a.io_threads) as srv:
        cmd = ['redis-benchmark', '-h', '127.0.0.1', '-p', str(srv.port),
               '-t', TESTS, '-n', str(a.n), '-P', '16', '-c', '50', '-q']
        try:
            p = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=240, errors='replace')
        except subprocess.TimeoutExpired:
            raise kvdlib.TestFailure('redis-benchmark timed out')
        out = p.stdout.replace('\r', '\n') + p.stderr
        results = [ln.strip() for ln in out.split('\n')
                   if 'requests per second' in ln]
        for ln in results:
            print('  io-threads=%d %s' % (a.io_threads, ln))
        check(p.returncode == 0, 'redis-benchmark exit %d:\n%s' %
              (p.returncode, out[-2000:]))
        bad = [ln for ln in out.split('\n')
               if re.search(r'error|warning|could not', ln, re.I)]
        check(not bad, 'redis-benchmark reported:\n' + '\n'.join(bad[:10]))
        check(len(results) == 8, 'redis-benchmark ran %d of 8 tests:\n%s' %
              (len(results), out[-2000:]))
        check(command(srv.port, 'DBSIZE') == 2,
              'DBSIZE after the benchmark: %r' % command(srv.port, 'DBSIZE'))
        check(command(srv.port, 'GET', 'counter:__rand_int__') ==
              str(a.n).encode(), 'INCR ran -n times')
        check(command(srv.port, 'GET', 'key:__rand_int__') == b'xxx' or
              len(command(srv.port, 'GET', 'key:__rand_int__')) == 3,
              'SET/MSET left the 3-byte value')
        check(command(srv.port, 'LLEN', 'mylist') == 0,
              'as many pops as pushes leave the list empty')
        check(command(srv.port, 'TYPE', 'mylist') == '+none',
              'an emptied list is deleted')
        st = command(srv.port, 'INFO', 'stats').decode()
        m = re.search(r'total_commands_processed:(\d+)', st)
        check(m and int(m.group(1)) >= 8 * a.n,
              'INFO counts the commands: %s' % (m and m.group(1)))
    print('bench io-threads=%d ok' % a.io_threads)


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
