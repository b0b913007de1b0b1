#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""differential.py - baton-kvd against a real redis-server: the same
commands sent to both over raw sockets (RESP2), every reply compared.

Two sources of commands:

  families     selftests/kvd/difffam/<name>.py, each a seeded random
               command stream over a small key space (see
               difffam/__init__.py for what a family module provides:
               stream(), UNORDERED, and optionally PAIRED and CHECKS for
               replies that are unordered or random)
  transcripts  selftests/kvd/transcripts/*.txt replayed over raw sockets:
               each "> command" line is split as redis-cli splits it and
               sent to both servers; the transcript's expected output is
               not used, except that a step whose output has a "~ " regex
               line is sent but not compared (its reply is not fixed: ids,
               times), and a ">~ " step compares its array as a multiset.
               A step after a "!kvd reason" line is where kvd knowingly
               differs from Redis: it is sent to neither server.

Each family and each transcript gets a fresh baton-kvd (--io-threads N)
and a fresh redis-server (--save '' --appendonly no, on a random
loopback port, in a scratch directory; killed at exit).  A mismatch prints
the command, both replies and the commands before it, and fails the run;
a family stops at its first mismatch (the two key spaces may differ after
it).  Exit status: 0 all equal, 1 a mismatch or an error, 4 (skip)
redis-server is missing and cannot be installed.

Usage: differential.py --io-threads N [--family NAME]... [--seed S]
                       [--count N] [--stats] [--no-transcripts]
                       [TRANSCRIPT...]
  --family NAME    only this family (repeatable); no transcripts unless
                   some are named
  --seed S         the streams' seed (default 1: make check is repeatable;
                   other seeds explore further)
  --count N        commands per family (default 3000); all the families
                   share a time limit of FAMILY_DEADLINE s, past which
                   they stop early (said in the output, not a failure)
"""

import argparse
import importlib.util
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import kvdlib  # noqa: E402
import transcripts  # noqa: E402

SKIP = 4
REPLY_TIMEOUT = 10.0
CONTEXT = 12		# commands printed before a mismatch
FAMILY_DEADLINE = 60.0	# seconds for all families at one --io-threads


class Mismatch(Exception):
    pass


class BadReply(Exception):
    pass


# ------------------------------------------------------------------ replies
#
# A reply is a tuple: ('+', str) status, ('-', str) error, (':', int),
# ('$', bytes or None), ('*', list or None), ('eof', None) when the
# server closed the connection instead of replying, ('timeout', None)
# when no (complete) reply came in time, ('bad', line) when a line is not
# RESP2.

EOF = ('eof', None)
TIMEOUT = ('timeout', None)


class Conn:
    """One RESP2 connection with a deadline per reply."""

    def __init__(self, port):
        self.sock = kvdlib.connect(port)
        self.buf = b''
        self.closed = False

    def close(self):
        self.sock.close()
        self.closed = True

    def send(self, args):
        if self.closed:
            return
        try:
            self.sock.sendall(kvdlib.encode(*args))
        except OSError:
            self.closed = True

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise kvdlib.TestFailure('reply timed out')
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            raise kvdlib.TestFailure('reply timed out')
        except ConnectionResetError:
            data = b''
        if not data:
            raise EOFError()
        self.buf += data

    def _line(self, deadline):
        while True:
            i = self.buf.find(b'\r\n')
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill(deadline)

    def _reply(self, deadline):
        line = self._line(deadline)
        kind, rest = line[:1], line[1:]
        if kind in (b'+', b'-'):
            return (kind.decode(), rest.decode(errors='replace'))
        if kind == b':':
            return (':', int(rest))
        if kind == b'$':
            n = int(rest)
            if n < 0:
                return ('$', None)
            while len(self.buf) < n + 2:
                self._fill(deadline)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return ('$', data)
        if kind == b'*':
            n = int(rest)
            if n < 0:
                return ('*', None)
            return ('*', [self._reply(deadline) for _ in range(n)])
        raise BadReply(line)

    def reply(self):
        if self.closed:
            return EOF
        try:
            return self._reply(time.monotonic() + REPLY_TIMEOUT)
        except EOFError:
            self.closed = True
            return EOF
        except BadReply as e:
            # Not RESP2 (a RESP3 reply after HELLO 3): the rest of the
            # stream cannot be cut into replies.
            self.close()
            return ('bad', e.args[0])
        except kvdlib.TestFailure:
            # No reply within REPLY_TIMEOUT (or a reply with fewer
            # elements than its header said): later replies would not
            # line up with their commands.
            self.close()
            return TIMEOUT


def show(r, indent=''):
    """A reply as redis-cli --no-raw would print it, roughly."""
    kind, v = r
    if kind == '+':
        return v
    if kind == '-':
        return '(error) ' + v
    if kind == ':':
        return '(integer) %d' % v
    if kind == '$':
        return '(nil)' if v is None else repr(v)[1:]
    if kind == '*':
        if v is None:
            return '(nil array)'
        if not v:
            return '(empty array)'
        return '\n'.join('%s%d) %s' % (indent if i else '', i + 1,
                                        show(e, indent + '   '))
                         for i, e in enumerate(v))
    if kind == 'bad':
        return '(not RESP2: %r)' % v
    if kind == 'timeout':
        return '(no complete reply within %.0f s)' % REPLY_TIMEOUT
    return '(connection closed)'


def show_cmd(args):
    out = []
    for a in args:
        b = a.encode() if isinstance(a, str) else a
        s = b.decode('latin-1')
        if not b or any(c in s for c in ' "\'\\') or \
                any(ch < 33 or ch > 126 for ch in b):
            s = '"%s"' % ''.join(
                '\\\\' if ch == 92 else '\\"' if ch == 34 else
                chr(ch) if 32 <= ch <= 126 else '\\x%02x' % ch for ch in b)
        out.append(s)
    return ' '.join(out)


def sort_key(r):
    return repr(r)


def same_unordered(a, b, paired=False):
    """Two array replies equal as multisets (of pairs when @paired)."""
    if a[0] != '*' or b[0] != '*' or a[1] is None or b[1] is None:
        return a == b
    x, y = a[1], b[1]
    if paired:
        if len(x) % 2 or len(y) % 2:
            return a == b
        x = [tuple(x[i:i + 2]) for i in range(0, len(x), 2)]
        y = [tuple(y[i:i + 2]) for i in range(0, len(y), 2)]
    return sorted(x, key=sort_key) == sorted(y, key=sort_key)


# ------------------------------------------------------------------ servers

def redis_server_binary():
    """The redis-server to compare with, installing Debian's as root;
    None when there is none."""
    path = shutil.which('redis-server')
    if path:
        return path
    if os.getuid() == 0 and shutil.which('apt-get'):
        print('installing redis-server')
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        cmd = ['apt-get', '-q', 'install', '-y', '--no-install-recommends',
               'redis-server']
        if subprocess.run(cmd, env=env, capture_output=True).returncode:
            subprocess.run(['apt-get', '-q', 'update'], env=env,
                           capture_output=True)
            subprocess.run(cmd, env=env, capture_output=True)
        # Debian's package starts a system service: leave it alone, it
        # listens on 6379 and this test uses random ports.
    return shutil.which('redis-server')


# kvd options a transcript's !server line may use, as redis-server options.
REDIS_OPTION = {
    '--requirepass': '--requirepass',
    '--maxclients': '--maxclients',
    '--proto-max-bulk-len': '--proto-max-bulk-len',
    '--client-query-buffer-limit': '--client-query-buffer-limit',
}


def redis_args(kvd_args):
    """Translate kvd options to redis-server's; None when one has no
    counterpart."""
    out, i = [], 0
    while i < len(kvd_args):
        opt = kvd_args[i]
        if opt not in REDIS_OPTION or i + 1 >= len(kvd_args):
            return None
        out += [REDIS_OPTION[opt], kvd_args[i + 1]]
        i += 2
    return out


class RedisServer:
    """One redis-server on a free loopback port, in a scratch directory."""

    def __init__(self, binary, name, args=()):
        self.binary = binary
        self.name = name
        self.args = list(args)
        self.proc = None
        self.port = None
        self.dir = None
        self.log_path = os.path.join(kvdlib.log_dir(), 'redis-%s.log' % name)

    def start(self, timeout=20.0):
        self.dir = tempfile.mkdtemp(prefix='kvd-diff-redis-')
        for _ in range(20):
            port = random.randint(40000, 59999)
            cmd = [self.binary, '--port', str(port), '--bind', '127.0.0.1',
                   '--save', '', '--appendonly', 'no', '--dir', self.dir,
                   '--daemonize', 'no', '--logfile', ''] + self.args
            with open(self.log_path, 'w') as log:
                self.proc = subprocess.Popen(cmd, stdout=log,
                                             stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL,
                                             cwd=self.dir)
            self.port = port
            if self._wait_ready(timeout):
                return self
            if self.proc.poll() is None:
                self.kill()
                raise kvdlib.TestFailure('redis-server: no answer within '
                                         '%.0fs\n%s' % (timeout, self.log()))
            if 'Address already in use' not in self.log():
                raise kvdlib.TestFailure('redis-server exited at start\n%s'
                                         % self.log())
        raise kvdlib.TestFailure('redis-server: no free port found')

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(('127.0.0.1', self.port),
                                              timeout=1.0) as s:
                    s.sendall(b'PING\r\n')
                    if s.recv(64).startswith((b'+PONG', b'-NOAUTH')):
                        return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def log(self):
        try:
            with open(self.log_path, errors='replace') as f:
                return f.read()[-4000:]
        except OSError:
            return ''

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()
        return False


_redis_live = []


def _kill_redis():
    for r in _redis_live:
        r.kill()


def _on_signal(signum, frame):
    _kill_redis()
    kvdlib._kill_all()
    sys.exit(128 + signum)


# ------------------------------------------------------------------ the pair

class Peer:
    """A connection to each server; what family CHECKS functions get.

    kvd(cmd), redis(cmd) and both(cmd) send one command (a list of str or
    bytes) and return the reply (both: a (kvd, redis) pair)."""

    def __init__(self, kvd_port, redis_port):
        self.ports = (kvd_port, redis_port)
        self.conns = None
        self.reconnect()

    def reconnect(self):
        self.close()
        self.conns = [Conn(p) for p in self.ports]

    def close(self):
        for c in self.conns or ():
            c.close()
        self.conns = None

    def closed(self):
        """Whether either connection is closed (then both start again:
        a connection's state, AUTH or a name, must match the other's)."""
        return any(c.closed for c in self.conns)

    def both(self, cmd):
        for c in self.conns:
            c.send(cmd)
        return tuple(c.reply() for c in self.conns)

    def kvd(self, cmd):
        self.conns[0].send(cmd)
        return self.conns[0].reply()

    def redis(self, cmd):
        self.conns[1].send(cmd)
        return self.conns[1].reply()


def reply_kind(r):
    """For --stats: the reply's kind, arrays split into nil, empty, not."""
    if r[0] == '*':
        return '*nil' if r[1] is None else '*empty' if not r[1] else '*'
    if r[0] == '$' and r[1] is None:
        return '$nil'
    if r[0] == '-':
        return '-' + r[1].split(' ')[0]
    return r[0]


def compare(peer, cmd, fam, history, stats=None):
    """Send @cmd to both; raise Mismatch when the replies differ."""
    name = cmd[0].lower() if isinstance(cmd[0], str) else \
        cmd[0].decode(errors='replace').lower()
    k, r = peer.both(cmd)
    history.append(cmd)
    if stats is not None:
        key = (name, reply_kind(r))
        stats[key] = stats.get(key, 0) + 1
    checks = getattr(fam, 'CHECKS', {})
    if name in checks:
        err = checks[name](peer, cmd, k, r)
        if err is None:
            return
    elif name in getattr(fam, 'PAIRED', ()):
        err = None if same_unordered(k, r, paired=True) else 'differ'
    elif name in getattr(fam, 'UNORDERED', ()):
        err = None if same_unordered(k, r) else 'differ'
    else:
        err = None if k == r else 'differ'
    if err is None:
        return
    raise Mismatch('%s\n  command: %s\n  kvd:   %s\n  redis: %s\n'
                   '  commands before it:\n%s' %
                   (err, show_cmd(cmd), show(k, '         '),
                    show(r, '         '),
                    '\n'.join('    ' + show_cmd(c)
                              for c in history[-CONTEXT - 1:-1])))


# ------------------------------------------------------------------ families

def family_dir():
    return os.path.join(HERE, 'difffam')


def family_names():
    return sorted(f[:-3] for f in os.listdir(family_dir())
                  if f.endswith('.py') and not f.startswith('_'))


def load_family(name):
    sys.path.insert(0, family_dir())
    try:
        spec = importlib.util.spec_from_file_location(
            'difffam_' + name, os.path.join(family_dir(), name + '.py'))
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    finally:
        sys.path.pop(0)
    for attr in ('stream', 'UNORDERED'):
        if not hasattr(mod, attr):
            raise kvdlib.TestFailure('difffam/%s.py has no %s' % (name, attr))
    return mod


def run_family(name, args, redis_bin, deadline):
    """One family's stream against a fresh pair; return a failure text or
    None."""
    fam = load_family(name)
    rng = random.Random('%s:%d' % (name, args.seed))
    cmds = fam.stream(rng, args.count)
    history = []
    sent = 0
    stats = {} if args.stats else None
    with kvdlib.Server('diff-' + name, args.io_threads) as kvd, \
            RedisServer(redis_bin, 'diff-%s-io%d' % (name, args.io_threads)) \
            as redis:
        _redis_live.append(redis)
        peer = Peer(kvd.port, redis.port)
        try:
            for cmd in cmds:
                if time.monotonic() > deadline:
                    break
                compare(peer, cmd, fam, history, stats)
                sent += 1
                if peer.closed():
                    peer.reconnect()
        except Mismatch as e:
            return 'family %s (seed %d, command %d of %d): %s' % (
                name, args.seed, sent + 1, len(cmds), e)
        finally:
            peer.close()
    print('%-28s io-threads=%d %d/%d commands equal%s' %
          ('family ' + name, args.io_threads, sent, len(cmds),
           '' if sent == len(cmds) else ' (cut short by the time limit)'))
    if stats:
        for (cmd, kind), n in sorted(stats.items()):
            print('    %-16s %-14s %d' % (cmd, kind, n))
    return None


# ------------------------------------------------------------------ transcripts

HEX = '0123456789abcdefABCDEF'
ESC = {'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', 'a': '\a'}


def split_args(line):
    """Split a command line as redis-cli does; None when its quotes do not
    balance (redis-cli then sends nothing)."""
    args, i, n = [], 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i >= n:
            return args
        cur, quote = [], None
        while True:
            if quote == '"':
                if i >= n:
                    return None
                c = line[i]
                if c == '\\' and i + 3 < n and line[i + 1] == 'x' and \
                        line[i + 2] in HEX and line[i + 3] in HEX:
                    cur.append(chr(int(line[i + 2:i + 4], 16)))
                    i += 3
                elif c == '\\' and i + 1 < n:
                    i += 1
                    cur.append(ESC.get(line[i], line[i]))
                elif c == '"':
                    if i + 1 < n and not line[i + 1].isspace():
                        return None
                    i += 1
                    break
                else:
                    cur.append(c)
            elif quote == "'":
                if i >= n:
                    return None
                c = line[i]
                if c == '\\' and i + 1 < n and line[i + 1] == "'":
                    i += 1
                    cur.append("'")
                elif c == "'":
                    if i + 1 < n and not line[i + 1].isspace():
                        return None
                    i += 1
                    break
                else:
                    cur.append(c)
            else:
                if i >= n or line[i] in ' \n\r\t':
                    break
                c = line[i]
                if c in '"\'':
                    quote = c
                else:
                    cur.append(c)
            i += 1
        args.append(''.join(cur).encode('latin-1'))


class TranscriptFamily:
    """Comparison rules of a transcript step (see compare())."""
    UNORDERED = ()


def run_transcript(path, args, redis_bin):
    """Replay one transcript against a fresh pair; return failure texts."""
    name = os.path.splitext(os.path.basename(path))[0]
    kvd_args, sessions = transcripts.parse(path)
    rargs = redis_args(kvd_args)
    if rargs is None:
        print('%-28s io-threads=%d SKIP (kvd options %s have no '
              'redis-server counterpart)' % ('transcript ' + name,
                                             args.io_threads, kvd_args))
        return []
    failures, compared, skipped = [], 0, 0
    with kvdlib.Server('diff-t-' + name, args.io_threads, kvd_args) as kvd, \
            RedisServer(redis_bin, 'diff-t-%s-io%d' % (name, args.io_threads),
                        rargs) as redis:
        _redis_live.append(redis)
        for sess in sessions:
            if isinstance(sess, float):
                time.sleep(sess)
                continue
            if transcripts.is_poll(sess):
                # Both reach the state in their own time; then compare.
                st = sess[0]
                for who, port in (('kvd', kvd.port), ('redis', redis.port)):
                    if not transcripts.poll(port, st)[0]:
                        failures.append('%s:%d: !poll > %s: %s did not get '
                                        'there within %g s' %
                                        (path, st.line_no, st.cmd, who,
                                         transcripts.POLL_TIMEOUT))
            peer = Peer(kvd.port, redis.port)
            history = []
            try:
                for st in sess:
                    cmd = split_args(st.cmd)
                    if not cmd or st.kvd_only:
                        skipped += 1
                        continue
                    if peer.closed():
                        peer.reconnect()
                    fam = TranscriptFamily()
                    if any(w.startswith('~ ') for w in st.expect):
                        fam.CHECKS = {cmd[0].decode('latin-1').lower():
                                      lambda *a: None}
                    elif st.unordered:
                        fam.UNORDERED = (cmd[0].decode('latin-1').lower(),)
                    try:
                        compare(peer, cmd, fam, history)
                        compared += 1
                    except Mismatch as e:
                        failures.append('%s:%d: %s' % (path, st.line_no, e))
            finally:
                peer.close()
    print('%-28s io-threads=%d %s (%d steps sent, %d kvd-only or unsent)' %
          ('transcript ' + name, args.io_threads,
           'FAIL' if failures else 'ok', compared, skipped))
    return failures


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, default=1)
    ap.add_argument('--family', action='append',
                    help='a difffam/ module (default: all)')
    ap.add_argument('--seed', type=int, default=1)
    ap.add_argument('--count', type=int, default=3000,
                    help='commands per family')
    ap.add_argument('--no-transcripts', action='store_true')
    ap.add_argument('--stats', action='store_true',
                    help="count each family command's reply kinds (to see "
                    "what a stream exercises)")
    ap.add_argument('transcripts', nargs='*',
                    help='default: selftests/kvd/transcripts/*.txt')
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    redis_bin = redis_server_binary()
    if not redis_bin:
        print('SKIP: redis-server is missing; run as root: apt-get install '
              '-y --no-install-recommends redis-server (or scripts/deps.sh)')
        sys.exit(SKIP)

    families = a.family or family_names()
    for f in families:
        if f not in family_names():
            raise kvdlib.TestFailure('no family difffam/%s.py' % f)
    failures = []
    deadline = time.monotonic() + FAMILY_DEADLINE
    for f in families:
        err = run_family(f, a, redis_bin, deadline)
        if err:
            failures.append(err)
    if not a.no_transcripts and (a.transcripts or not a.family):
        paths = a.transcripts or sorted(
            os.path.join(HERE, 'transcripts', f)
            for f in os.listdir(os.path.join(HERE, 'transcripts'))
            if f.endswith('.txt'))
        for p in paths:
            failures += run_transcript(p, a, redis_bin)
    _kill_redis()
    if failures:
        raise kvdlib.TestFailure('%d difference(s) between baton-kvd and '
                                 'redis-server:\n%s' %
                                 (len(failures), '\n'.join(failures)))


if __name__ == '__main__':
    try:
        kvdlib.main_wrapper(main)
    finally:
        _kill_redis()
