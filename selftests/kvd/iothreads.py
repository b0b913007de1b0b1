#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""iothreads.py - CONFIG SET io-threads N|auto while clients pipeline:
every reply arrives, in order (each client INCRs its own key, so each
reply must be the previous plus one), CONFIG GET and INFO baton follow the
setting, bad values get Redis's error, and the server starts in the auto
mode by default.

Usage: iothreads.py
"""

import os
import sys
import threading

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402
from kvdlib import Reader, check, command, encode  # noqa: E402

CLIENTS = 8
DEPTH = 32


def pipeliner(port, idx, stop, errors, counts):
    key = 'ctr%d' % idx
    with kvdlib.connect(port) as s:
        r = Reader(s)
        want = 1
        while not stop.is_set():
            s.sendall(encode('INCR', key) * DEPTH)
            for _ in range(DEPTH):
                got = r.reply()
                if got != want:
                    errors.append('%s: %r after %d' % (key, got, want - 1))
                    return
                want += 1
            counts[idx] = want - 1


def info(port):
    text = command(port, 'INFO', 'baton').decode()
    return dict(l.split(':', 1) for l in text.split('\r\n') if ':' in l)


def main():
    with kvdlib.Server('iothreads-default', None) as srv:
        check(command(srv.port, 'CONFIG', 'GET', 'io-threads') ==
              [b'io-threads', b'auto'], 'auto is the default')
    with kvdlib.Server('iothreads', 1, ['--max-io-threads', '3']) as srv:
        port = srv.port
        check(command(port, 'CONFIG', 'GET', 'io-threads') ==
              [b'io-threads', b'2'], 'io-threads 1 reads as 2 (main too)')
        stop = threading.Event()
        errors, counts = [], [0] * CLIENTS
        threads = [threading.Thread(target=pipeliner,
                                    args=(port, i, stop, errors, counts))
                   for i in range(CLIENTS)]
        for t in threads:
            t.start()
        try:
            steps = ['1', '3', '2', 'auto', '1', '2', 'auto', '3', '1']
            for step in steps * (1 if kvdlib.sanitized() else 3):
                before = sum(counts)
                check(command(port, 'CONFIG', 'SET', 'io-threads', step) ==
                      '+OK', 'CONFIG SET io-threads %s' % step)
                check(command(port, 'CONFIG', 'GET', 'io-threads')[1] ==
                      step.encode(), 'CONFIG GET after %s' % step)
                if step != 'auto':
                    check(int(info(port)['io_workers']) == int(step) - 1,
                          'INFO baton io_workers after %s' % step)
                kvdlib.wait_for(lambda: sum(counts) > before + 2000 or
                                errors, 30, 'replies go on after %s' % step)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        check(not errors, 'every reply in order: %s' % errors[:3])
        err = command(port, 'CONFIG', 'SET', 'io-threads', '0')
        check(isinstance(err, str) and err.startswith('-ERR'),
              'io-threads 0 is refused: %r' % err)
        err = command(port, 'CONFIG', 'SET', 'io-threads', '5')
        check(isinstance(err, str) and err.startswith('-ERR'),
              'io-threads past --max-io-threads is refused: %r' % err)
        err = command(port, 'CONFIG', 'SET', 'io-threads', 'many')
        check(isinstance(err, str) and err.startswith('-ERR'),
              'io-threads many is refused: %r' % err)
        print('iothreads ok: %d replies checked' % sum(counts))


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
