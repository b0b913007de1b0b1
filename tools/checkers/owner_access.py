#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""owner_access.py - the access-site check of the OWNER rule for clients:
every read or write of an OWNER field of struct baton_client happens where
the thread owns that client, as clang's thread-safety analysis sees it.

Clang cannot guard a field by the object that holds it in C (guarded_by()
names no sibling member there), so the check is done in two steps:

1. Coccinelle (spatch, owner_access.cocci) rewrites each access E->f to an
   OWNER field f as client_owner_access(E)->f, keeping every line where it
   was.  client_owner_access() (client_internal.h) is a call of
   client_owner_touch(E), which requires E's capability, when E is a
   client pointer, and of a function that requires nothing otherwise.
2. clang -fsyntax-only -Wthread-safety -Werror=thread-safety compiles the
   rewritten file.  The capability is held where the code asserted it
   (assert_client_owner(), when it received the client) or where its
   function requires it (__requires_owner), until a handoff or
   client_done() releases it; so an access by a function that does not
   own the client, or after it handed the client over, fails with
   "FILE:LINE:COL: error: OWNER field access requires holding client 'c'".

A file spatch cannot parse whole would be checked in part: so the
accesses are counted in the source (comments and strings left out) and in
the rewrite, and any line whose accesses were not all rewritten fails.
Clang does not analyse a body marked __no_role_analysis: an OWNER access
in one fails too.

Usage: owner_access.py [--srctree DIR] [FILE.c...]   (default: lib/*.c)
Environment: SPATCH (default spatch), CLANG (default clang), PKG_CONFIG.
Exit status: 0 clean, 1 a bad access or a file not fully rewritten,
4 spatch or clang is missing (the check cannot run).
"""

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
# OWNER fields of struct baton_client that another owner holds, with why.
NOT_THE_CLIENTS = {
    'kick_node': "the kick's: owned by whoever set kick_queued (main, "
                 'then the worker that takes the kick list), not by the '
                 "client's owner (client_internal.h)",
}
# Flags of the library's objects that matter to parsing and to the
# analysis (the Makefile's, less warnings and code generation), as the
# test-gates copy is built: lib/gate.c belongs to it only, and a GATE()
# touches no client either way.
CFLAGS = ['-std=gnu11', '-fsyntax-only', '-pthread', '-D_GNU_SOURCE',
          '-D_LGPL_SOURCE', '-DBATON_BUILD', '-DBATON_TEST_GATES',
          '-Wthread-safety', '-Werror=thread-safety']
PKGS = ['liburcu-memb', 'liburcu-cds']
TOUCH_RE = re.compile(r"calling function 'client_owner_touch' requires "
                      r"holding client")


def strip(text):
    """@text with comments and string and character literals blanked,
    line breaks kept."""
    def blank(m):
        return re.sub(r'[^\n]', ' ', m.group(0))
    return re.sub(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|'
                  r"'(?:\\.|[^'\\\n])*'", blank, text, flags=re.S)


def owner_fields(srctree):
    out = subprocess.run([sys.executable, os.path.join(HERE, 'ownership.py'),
                          '--srctree', srctree, '--fields',
                          'baton_client:OWNER'],
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit('owner_access: ownership.py --fields failed:\n'
                         + out.stderr)
    fields = [f for f in out.stdout.split() if f not in NOT_THE_CLIENTS]
    if not fields:
        raise SystemExit('owner_access: struct baton_client has no OWNER '
                         'field?')
    return fields


def missed_lines(orig, rewritten, fields):
    """Lines of @orig with more OWNER accesses than @rewritten has
    client_owner_access() calls on the same line."""
    acc = re.compile(r'->\s*(?:%s)\b' % '|'.join(fields))
    call = re.compile(r'\bclient_owner_access\s*\(')
    a = strip(orig).split('\n')
    b = strip(rewritten).split('\n')
    if len(a) != len(b):
        return ['the rewrite has %d lines, the file %d' % (len(b), len(a))]
    return ['line %d' % (i + 1) for i, (x, y) in enumerate(zip(a, b))
            if len(acc.findall(x)) > len(call.findall(y))]


def unanalysed_lines(orig, fields):
    """Lines of OWNER accesses inside function bodies marked
    __no_role_analysis, which clang does not analyse."""
    text = strip(orig)
    acc = re.compile(r'->\s*(?:%s)\b' % '|'.join(fields))
    found = []
    for m in re.finditer(r'\b__no_role_analysis\b[^;{]*\{', text):
        start = m.end() - 1
        depth = 0
        for end in range(start, len(text)):
            depth += {'{': 1, '}': -1}.get(text[end], 0)
            if not depth:
                break
        for a in acc.finditer(text, start, end):
            found.append('line %d' % (text.count('\n', 0, a.start()) + 1))
    return found


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('files', nargs='*', metavar='FILE.c')
    ap.add_argument('--srctree', default=os.path.dirname(os.path.dirname(
        HERE)), help='the source tree (default: %(default)s)')
    args = ap.parse_args(argv)
    srctree = os.path.abspath(args.srctree)
    spatch = os.environ.get('SPATCH', 'spatch')
    clang = os.environ.get('CLANG', 'clang')
    for tool, pkg in ((spatch, 'coccinelle'), (clang, 'clang')):
        if not shutil.which(tool):
            print('owner_access: %s is not installed (Debian: %s; '
                  'scripts/deps.sh --all installs it)' % (tool, pkg))
            return 4
    files = args.files or sorted(glob.glob(os.path.join(srctree, 'lib',
                                                        '*.c')))
    fields = owner_fields(srctree)
    pkgcfg = os.environ.get('PKG_CONFIG', 'pkg-config')
    pkgflags = subprocess.run([pkgcfg, '--cflags'] + PKGS, check=True,
                              capture_output=True, text=True).stdout.split()
    with open(os.path.join(HERE, 'owner_access.cocci')) as f:
        cocci = f.read().replace('FIELDS', '|'.join(fields))

    bad = 0
    with tempfile.TemporaryDirectory(prefix='owner_access.') as tmp:
        sp = os.path.join(tmp, 'owner_access.cocci')
        with open(sp, 'w') as f:
            f.write(cocci)
        for path in files:
            rel = os.path.relpath(os.path.abspath(path), srctree)
            shown = rel if not rel.startswith('..') else path
            out = os.path.join(tmp, 'out', rel.replace('..', '_up'))
            os.makedirs(os.path.dirname(out), exist_ok=True)
            r = subprocess.run([spatch, '--very-quiet', '--max-width',
                                '10000', '--macro-file',
                                os.path.join(HERE, 'cocci_macros.h'),
                                '--sp-file', sp, path, '-o', out],
                               capture_output=True, text=True)
            if r.returncode:
                print('%s: spatch failed:\n%s' % (shown, r.stdout + r.stderr))
                bad += 1
                continue
            if not os.path.exists(out):
                shutil.copyfile(path, out)     # no access to rewrite
            with open(path) as f:
                orig = f.read()
            with open(out) as f:
                rewritten = f.read()
            missed = missed_lines(orig, rewritten, fields)
            if missed:
                print('%s: spatch did not rewrite every OWNER access (a '
                      'function it cannot parse?): %s'
                      % (shown, ', '.join(missed)))
                bad += 1
                continue
            hidden = unanalysed_lines(orig, fields)
            if hidden:
                print('%s: an OWNER access in a __no_role_analysis body, '
                      'which clang does not check: %s'
                      % (shown, ', '.join(hidden)))
            cmd = [clang] + CFLAGS + pkgflags + [
                '-I' + os.path.join(srctree, 'include'),
                '-I' + os.path.join(srctree, 'include', 'uapi'),
                '-iquote', os.path.dirname(os.path.abspath(path)),
                # client_owner_access() in files that reach no client too
                '-include', 'baton/client_internal.h', out]
            r = subprocess.run(cmd, capture_output=True, text=True)
            text = (r.stdout + r.stderr).replace(out, shown)
            text = TOUCH_RE.sub('OWNER field access requires holding '
                                'client', text)
            if r.returncode:
                sys.stdout.write(text)
            if r.returncode or hidden:
                bad += 1
    if bad:
        print('owner_access: %d of %d files break the OWNER rule or could '
              'not be checked' % (bad, len(files)))
        return 1
    print('owner_access: %d files, every access to an OWNER field of a '
          'client is made by its owner (%d fields)' % (len(files),
                                                        len(fields)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
