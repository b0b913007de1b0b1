# SPDX-License-Identifier: LGPL-2.1-or-later
"""kvdlib.py - start and stop baton-kvd for the kvd selftests, talk RESP
to it over raw sockets, and check its exit and log for sanitizer reports.

Every wait is bounded.  A server that does not come up, does not stop on
SIGTERM or exits non-zero fails the test; its log is printed.
"""

import atexit
import os
import random
import signal
import socket
import subprocess
import sys
import time

SANITIZER_MARKS = ('ERROR: AddressSanitizer', 'ERROR: LeakSanitizer',
                   'runtime error:', 'WARNING: ThreadSanitizer',
                   'ERROR: ThreadSanitizer', 'role assertion failed')


class TestFailure(Exception):
    pass


_live = set()


def _kill_all():
    """Kill every server this process started and has not stopped."""
    for srv in list(_live):
        srv.kill()


def _on_signal(signum, frame):
    _kill_all()
    sys.exit(128 + signum)


atexit.register(_kill_all)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def objtree():
    return os.environ.get('BATON_OBJTREE') or os.path.abspath(
        os.path.join(os.path.dirname(__file__), '..', '..', 'build', 'gcc'))


def kvd_binary():
    return os.path.join(objtree(), 'tools', 'kvd', 'baton-kvd')


def sanitized():
    return bool(os.environ.get('SAN'))


def log_dir():
    d = os.path.join(objtree(), 'selftests', 'logs', 'kvd')
    os.makedirs(d, exist_ok=True)
    return d


class Server:
    """One baton-kvd process on a free loopback port."""

    def __init__(self, name, io_threads, args=(), host='127.0.0.1'):
        self.name = name
        self.host = host
        self.io_threads = io_threads
        self.args = list(args)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(log_dir(), '%s-io%s.log' %
                                     (name, io_threads))

    def start(self, timeout=20.0):
        for _ in range(20):
            port = random.randint(20000, 39999)
            if port == 6380:
                continue
            log = open(self.log_path, 'w')
            cmd = [kvd_binary(), '--port', str(port),
                   ] + (['--io-threads', str(self.io_threads)]
                        if self.io_threads is not None else []) + self.args
            self.proc = subprocess.Popen(cmd, stdout=log,
                                         stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
            log.close()
            _live.add(self)
            self.port = port
            if self._wait_ready(timeout):
                return self
            if self.proc.poll() is None:
                self.kill()
                raise TestFailure('%s: no PING answer within %.0fs\n%s' %
                                  (self.name, timeout, self.log()))
            if 'cannot listen' not in self.log():
                raise TestFailure('%s: exited with %d at start\n%s' %
                                  (self.name, self.proc.returncode,
                                   self.log()))
        raise TestFailure('%s: no free port found' % self.name)

    def _wait_ready(self, timeout):
        """Whether this server answers on its port.  Another process may
        hold the port (the box is shared): only this server's banner for
        the port, printed once it listens, says the answer is its own."""
        host = '[%s]' % self.host if ':' in self.host else self.host
        banner = 'listening on %s:%d ' % (host, self.port)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection((self.host, self.port),
                                              timeout=1.0) as s:
                    s.sendall(b'PING\r\n')
                    if s.recv(64) in (b'+PONG\r\n',
                                      b'-NOAUTH Authentication required.\r\n') \
                            and banner in self.log():
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def log(self):
        try:
            with open(self.log_path, errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        _live.discard(self)

    def stop(self, timeout=30.0):
        """SIGTERM, then check the exit status and the log."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
            _live.discard(self)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TestFailure('%s: did not stop within %.0fs of SIGTERM\n%s'
                              % (self.name, timeout, self.log()))
        text = self.log()
        bad = [m for m in SANITIZER_MARKS if m in text]
        if rc != 0 or bad:
            raise TestFailure('%s: exit status %d after SIGTERM%s\n%s' %
                              (self.name, rc, ', log has: ' + ', '.join(bad)
                               if bad else '', text[-6000:]))

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            self.kill()
            return False
        self.stop()
        return False


def connect(port, timeout=10.0):
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def encode(*args):
    out = [b'*%d\r\n' % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b'$%d\r\n%s\r\n' % (len(a), a))
    return b''.join(out)


class Reader:
    """A blocking RESP2 reply reader with a deadline per reply."""

    def __init__(self, sock, timeout=10.0):
        self.sock = sock
        self.buf = b''
        self.timeout = timeout

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise TestFailure('reply timed out')
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            raise TestFailure('reply timed out')
        if not data:
            raise EOFError()
        self.buf += data

    def _line(self, deadline):
        while b'\r\n' not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line

    def reply(self):
        return self._reply(time.monotonic() + self.timeout)

    def _reply(self, deadline):
        line = self._line(deadline)
        kind, rest = line[:1], line[1:]
        if kind in (b'+', b'-'):
            return line.decode(errors='replace')
        if kind == b':':
            return int(rest)
        if kind == b'$':
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._fill(deadline)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b'*':
            n = int(rest)
            if n < 0:
                return None
            return [self._reply(deadline) for _ in range(n)]
        raise TestFailure('bad reply line %r' % line)

    def eof(self, timeout=5.0):
        """Whether the server closes the connection within @timeout
        (anything it sends first is kept in the buffer)."""
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._fill(deadline)
        except EOFError:
            return True
        except ConnectionResetError:
            return True
        except TestFailure:
            return False


def command(port_or_reader, *args):
    """Send one command on a fresh connection (or a Reader's) and return
    the reply."""
    if isinstance(port_or_reader, Reader):
        port_or_reader.sock.sendall(encode(*args))
        return port_or_reader.reply()
    with connect(port_or_reader) as s:
        s.sendall(encode(*args))
        return Reader(s).reply()


def wait_for(cond, timeout, what):
    """Poll cond() every 10 ms until it is true; fail after @timeout s."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TestFailure('%s: not within %g s' % (what, timeout))
        time.sleep(0.01)


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def main_wrapper(fn):
    """Run fn(); print a failure and exit 1 on TestFailure."""
    try:
        fn()
    except TestFailure as e:
        print('FAIL: %s' % e)
        sys.exit(1)
    sys.exit(0)
