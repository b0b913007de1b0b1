#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""naming.py - check the names of a library object's global symbols.

Documentation/conventions.rst's rule: a symbol the library exports (the
public API, default visibility) starts with "baton_"; every other global
symbol (hidden: internal to libbaton) is named after the file that
defines it, "<file>_..." where <file> is the object's name or its first
word (main_loop.o defines main_*), and never starts with "baton_".

Usage: naming.py OBJECT.o...
Problems are printed as "object: symbol: message"; exit status 1 when any.
"""

import os
import subprocess
import sys


def symbols(obj):
    """(name, visibility) of every global symbol @obj defines."""
    out = subprocess.run(['readelf', '-Ws', obj], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.split()
        # Num: Value Size Type Bind Vis Ndx Name
        if len(f) < 8 or not f[0].endswith(':'):
            continue
        typ, bind, vis, ndx, name = f[3], f[4], f[5], f[6], f[7]
        if bind not in ('GLOBAL', 'WEAK') or ndx == 'UND':
            continue
        if typ not in ('FUNC', 'OBJECT', 'TLS'):
            continue
        if name.startswith('__'):
            continue    # the compiler's own (ASan's __odr_asan.*, ...)
        yield name, vis


def check(obj):
    stem = os.path.basename(obj)[:-2]
    prefixes = {stem + '_', stem.split('_')[0] + '_'}
    problems = []
    for name, vis in symbols(obj):
        if vis == 'DEFAULT':
            if not name.startswith('baton_'):
                problems.append('%s: %s: exported, but not baton_*' %
                                (obj, name))
        elif name.startswith('baton_'):
            problems.append('%s: %s: internal, but named like the public '
                            'API (baton_*)' % (obj, name))
        elif not any(name.startswith(p) for p in prefixes):
            problems.append('%s: %s: internal symbols of %s.c are named '
                            '%s*' % (obj, name, stem,
                                     ' or '.join(sorted(prefixes))))
    return problems


def main(argv):
    if not argv:
        print('usage: naming.py OBJECT.o...', file=sys.stderr)
        return 2
    problems = []
    for obj in argv:
        problems += check(obj)
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print('naming: %d objects checked' % len(argv))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
