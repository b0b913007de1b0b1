#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""transcripts.py - run redis-cli transcripts against baton-kvd and
compare what redis-cli prints with what the transcript expects.

A transcript (selftests/kvd/transcripts/*.txt) is a list of commands, each
followed by the output `redis-cli --no-raw` must print for it:

    # a comment (blank lines are ignored too; "~ " matches an empty line)
    !server --requirepass secret   extra kvd options (first line only)
    > SET k "a b"                  a command, as redis-cli reads it
    OK                             an expected output line, verbatim
    ~ \\(integer\\) \\d+             a line that must match this regex
    >~ KEYS *                      a command whose output lines are
                                   compared as a set ("N) " dropped)
    >+ SET k v                     a command sent without a marker before
                                   it (inside MULTI, where the marker would
                                   abort the transaction)
    !sleep 0.2                     wait; the redis-cli session ends here
    !poll > DBSIZE                 a command run in sessions of its own
                                   until its output is the expected one
                                   (every 20 ms, at most POLL_TIMEOUT s):
                                   for a state the server reaches in its
                                   own time (the expiry sweep), never a
                                   sleep that decides a result
    !kvd one database only         the next command is one where kvd
                                   knowingly differs from Redis (the
                                   reason follows): differential.py,
                                   which replays the transcripts against
                                   redis-server too, leaves it out
    > QUIT                         ends the session too (kvd closes)

Each session is one redis-cli process reading the commands on stdin, on
one connection; the runner puts a marker before each command to cut the
output into per-command pieces: an unknown command named __kvd_mark_N__,
whose error reply works before AUTH too.  A ">+" command gets no marker:
it and the command before it are taken to print one line each, except
the last of a run of ">+" commands, which gets the rest of the piece
(MULTI's OK and +QUEUED are one line; EXEC's array is the rest).  Each
transcript gets a fresh server.

Usage: transcripts.py --io-threads N [--redis-port P [--record]] FILE...
  --redis-port P   run against a server already on port P (a reference
                   redis-server) instead of starting baton-kvd
  --record         print the transcript with the outputs that server gave
"""

import argparse
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402

MARK = '__kvd_mark_%d__'
POLL_TIMEOUT = 10.0
POLL_EVERY = 0.02


class Step:
    def __init__(self, line_no, cmd, unordered, kvd_only=False, nomark=False,
                 poll=False):
        self.line_no = line_no
        self.cmd = cmd
        self.unordered = unordered
        self.kvd_only = kvd_only
        self.nomark = nomark
        self.poll = poll
        self.expect = []

    def prefix(self):
        return '>+ ' if self.nomark else '>~ ' if self.unordered else '> '


def is_poll(sess):
    """Whether a session is one !poll step."""
    return isinstance(sess, list) and len(sess) == 1 and sess[0].poll


def parse(path):
    """Return (server args, sessions); a session is a list of Steps, a
    float (a !sleep) or one Step with .poll set (a !poll, is_poll())."""
    server_args, sessions, cur = [], [], []
    kvd_only = False
    with open(path) as f:
        lines = f.read().split('\n')
    if lines and lines[-1] == '':
        lines.pop()
    for no, line in enumerate(lines, 1):
        if cur and cur[-1].poll and (line.startswith('!') or
                                     line.startswith('>')):
            sessions.append(cur)        # a !poll's expected output ended
            cur = []
        if line.startswith('!server '):
            if no != 1:
                raise kvdlib.TestFailure('%s:%d: !server must be the first '
                                         'line' % (path, no))
            server_args = line.split()[1:]
        elif line.startswith('!sleep '):
            if cur:
                sessions.append(cur)
                cur = []
            sessions.append(float(line.split()[1]))
        elif line.startswith('>+ '):
            if not cur:
                raise kvdlib.TestFailure('%s:%d: ">+" needs a command before '
                                         'it in its session' % (path, no))
            cur.append(Step(no, line[3:], False, kvd_only, True))
            kvd_only = False
            if line[3:].strip().lower() == 'quit':
                sessions.append(cur)
                cur = []
        elif line.startswith('!poll > '):
            if cur:
                sessions.append(cur)
            cur = [Step(no, line[len('!poll > '):], False, False, poll=True)]
        elif line == '!kvd' or line.startswith('!kvd '):
            kvd_only = True
        elif line.startswith('>~ ') or line.startswith('> '):
            unordered = line.startswith('>~ ')
            step = Step(no, line[3:] if unordered else line[2:], unordered,
                        kvd_only)
            kvd_only = False
            cur.append(step)
            if step.cmd.strip().lower() == 'quit':
                sessions.append(cur)
                cur = []
        elif line.startswith('#') or not line.strip():
            continue
        else:
            if not cur:
                raise kvdlib.TestFailure('%s:%d: output before any command'
                                         % (path, no))
            cur[-1].expect.append(line)
    if cur:
        sessions.append(cur)
    return server_args, sessions


def run_session(port, steps):
    """Run the steps in one redis-cli; return each step's output lines."""
    script = []
    for i, st in enumerate(steps):
        if not st.nomark:
            script.append(MARK % i)
        script.append(st.cmd)
    try:
        p = subprocess.run(['redis-cli', '-h', '127.0.0.1', '-p', str(port),
                            '--no-raw'], input='\n'.join(script) + '\n',
                           capture_output=True, text=True, timeout=60,
                           errors='replace')
    except subprocess.TimeoutExpired:
        raise kvdlib.TestFailure('redis-cli timed out')
    out = p.stdout.split('\n')
    if out and out[-1] == '':
        out.pop()
    pieces, cur = {}, None
    for line in out:
        m = re.fullmatch(r"\(error\) ERR unknown command '__kvd_mark_(\d+)__'"
                         r", with args beginning with: ", line)
        if m:
            cur = int(m.group(1))
            pieces[cur] = []
        elif cur is not None:
            pieces[cur].append(line)
    # A marked step followed by ">+" steps: one line each, the last the rest.
    for i in sorted(pieces):
        run = 1
        while i + run < len(steps) and steps[i + run].nomark:
            run += 1
        if run == 1:
            continue
        lines = pieces[i]
        for k in range(run - 1):
            pieces[i + k] = lines[k:k + 1] if k < len(lines) else None
        pieces[i + run - 1] = lines[run - 1:] if run - 1 <= len(lines) \
            else None
    return [pieces.get(i) for i in range(len(steps))], p.stderr


def strip_index(line):
    return re.sub(r'^\s*\d+\) ', '', line)


def matches(step, got):
    if got is None:
        return False
    if step.unordered:
        return sorted(map(strip_index, step.expect)) == \
            sorted(map(strip_index, got))
    if len(got) != len(step.expect):
        return False
    for want, line in zip(step.expect, got):
        if want.startswith('~ '):
            if not re.fullmatch(want[2:], line):
                return False
        elif want != line:
            return False
    return True


def poll(port, step):
    """Run @step in sessions of its own until its output matches, for at
    most POLL_TIMEOUT seconds.  Return (matched, the last output, its
    stderr)."""
    deadline = time.monotonic() + POLL_TIMEOUT
    while True:
        got, err = run_session(port, [step])
        if matches(step, got[0]) or time.monotonic() > deadline:
            return matches(step, got[0]), got[0], err
        time.sleep(POLL_EVERY)


def run_file(path, port, record):
    _, sessions = parse(path)
    failures = []
    recorded = []
    for sess in sessions:
        if isinstance(sess, float):
            time.sleep(sess)
            recorded.append('!sleep %g' % sess)
            continue
        if is_poll(sess):
            st = sess[0]
            ok, out, err = poll(port, st)
            recorded.append('!poll > ' + st.cmd)
            recorded.extend(out or [])
            if not record and not ok:
                failures.append('%s:%d: !poll > %s: not within %g s\n'
                                '  expected:\n%s\n  last got:\n%s%s'
                                % (path, st.line_no, st.cmd, POLL_TIMEOUT,
                                   '\n'.join('    ' + x for x in st.expect),
                                   '\n'.join('    ' + x for x in out or []),
                                   '' if out is not None else
                                   '    (nothing: redis-cli stopped)\n' + err))
            continue
        got, err = run_session(port, sess)
        for st, out in zip(sess, got):
            recorded.append(st.prefix() + st.cmd)
            recorded.extend(out or [])
            if not record and not matches(st, out):
                failures.append('%s:%d: > %s\n  expected:\n%s\n  got:\n%s%s'
                                % (path, st.line_no, st.cmd,
                                   '\n'.join('    ' + x for x in st.expect),
                                   '\n'.join('    ' + x for x in out or []),
                                   '' if out is not None else
                                   '    (nothing: redis-cli stopped)\n' + err))
    if record:
        print('\n'.join(recorded))
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, default=1)
    ap.add_argument('--redis-port', type=int)
    ap.add_argument('--record', action='store_true')
    ap.add_argument('files', nargs='+')
    a = ap.parse_args()
    failures = []
    for path in a.files:
        name = os.path.splitext(os.path.basename(path))[0]
        if a.redis_port:
            failures += run_file(path, a.redis_port, a.record)
            continue
        args, _ = parse(path)
        with kvdlib.Server('transcript-' + name, a.io_threads, args) as srv:
            f = run_file(path, srv.port, False)
        print('%-28s io-threads=%d %s' % (name, a.io_threads,
                                          'FAIL' if f else 'ok'))
        failures += f
    if failures:
        raise kvdlib.TestFailure('%d transcript step(s) differ:\n%s' %
                                 (len(failures), '\n'.join(failures)))


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
