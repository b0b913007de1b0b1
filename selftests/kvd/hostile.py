#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""hostile.py - baton-kvd against clients it must not trust: protected
mode (peers other than 127.0.0.1, ::1 and the Unix socket refused with
Redis 7.0's -DENIED text while no password is set) and the Unix socket's
permissions (--unixsocketperm, whose mode the test reads back).

The peers are loopback addresses: 127.0.0.2 is the "other host", which
Redis 7.0 refuses as it refuses any address but 127.0.0.1 and ::1.  As
root, with "ip netns", a real non-loopback peer is added: a network
namespace joined to this one by a veth pair (198.18.0.1 here, 198.18.0.2
there) that the test creates and removes; without them that part is
skipped.

Usage: hostile.py --io-threads N
"""

import argparse
import os
import random
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402
from kvdlib import Reader, check, command, encode  # noqa: E402

# Redis 7.0's text, as redis-server 7.0.15 sends it.
DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is "
    b"enabled and no password is set for the default user. In this mode "
    b"connections are only accepted from the loopback interface. If you "
    b"want to connect from external computers to Redis you may adopt one "
    b"of the following solutions: 1) Just disable protected mode sending "
    b"the command 'CONFIG SET protected-mode no' from the loopback "
    b"interface by connecting to Redis from the same host the server is "
    b"running, however MAKE SURE Redis is not publicly accessible from "
    b"internet if you do so. Use CONFIG REWRITE to make this change "
    b"permanent. 2) Alternatively you can just disable the protected mode "
    b"by editing the Redis configuration file, and setting the protected "
    b"mode option to 'no', and then restarting the server. 3) If you "
    b"started the server manually just for testing, restart it with the "
    b"'--protected-mode no' option. 4) Setup a an authentication password "
    b"for the default user. NOTE: You only need to do one of the above "
    b"things in order for the server to start accepting connections from "
    b"the outside.\r\n")


def info(port, section):
    text = command(port, 'INFO', section).decode()
    return dict(line.split(':', 1) for line in text.split('\r\n')
                if ':' in line and not line.startswith('#'))


def connect_from(src, port, family=socket.AF_INET, dst='127.0.0.1'):
    """A connection to @dst:@port whose source address is @src."""
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(10)
    s.bind((src, 0))
    s.connect((dst, port))
    return Reader(s)


def denied(r):
    """Whether the server sends exactly DENIED and closes, unasked."""
    closed = r.eof(10)
    r.sock.close()
    return closed and r.buf == DENIED


def served(r):
    """Whether PING gets an answer other than DENIED on @r."""
    r.sock.sendall(encode('PING'))
    reply = r.reply()
    r.sock.close()
    return reply in ('+PONG', '-NOAUTH Authentication required.')


def protected_mode(io_threads):
    with kvdlib.Server('protected', io_threads) as srv:
        check(served(connect_from('127.0.0.1', srv.port)),
              '127.0.0.1 is served in protected mode')
        for src in ('127.0.0.2', '127.1.2.3'):
            check(denied(connect_from(src, srv.port)),
                  '%s gets -DENIED and the close' % src)
        # A command sent at once is never run.  Its bytes may reach the
        # closed socket and reset the connection, which can drop the
        # end of DENIED: a prefix is enough here.
        r = connect_from('127.0.0.2', srv.port)
        r.sock.sendall(encode('SET', 'k', 'v'))
        check(r.eof(10) and DENIED.startswith(r.buf),
              'a refused client gets (part of) -DENIED and the close')
        r.sock.close()
        check(command(srv.port, 'EXISTS', 'k') == 0,
              'the refused client\'s SET did not run')
        st = info(srv.port, 'stats')
        check(st['rejected_connections'] == '3',
              'three rejected connections: %r' % st['rejected_connections'])
        check(served(connect_from('127.0.0.1', srv.port)),
              'a loopback client is still served')
    with kvdlib.Server('protected-off', io_threads,
                       ['--protected-mode', 'no']) as srv:
        check(served(connect_from('127.0.0.2', srv.port)),
              '--protected-mode no serves 127.0.0.2')
        check(info(srv.port, 'stats')['rejected_connections'] == '0',
              'nothing rejected without protected mode')
        check(command(srv.port, 'CONFIG', 'GET', 'protected-mode') ==
              [b'protected-mode', b'no'], 'CONFIG GET protected-mode')
        # From a loopback client, as Redis's text advises, and back.
        check(command(srv.port, 'CONFIG', 'SET', 'protected-mode', 'YES') ==
              '+OK', 'CONFIG SET protected-mode yes')
        check(denied(connect_from('127.0.0.2', srv.port)),
              'protected mode set at run time refuses 127.0.0.2')
        check(command(srv.port, 'CONFIG', 'SET', 'protected-mode', 'no') ==
              '+OK', 'CONFIG SET protected-mode no')
        check(served(connect_from('127.0.0.2', srv.port)),
              'and turned off again serves it')
        check(command(srv.port, 'CONFIG', 'SET', 'protected-mode', 'maybe') ==
              "-ERR CONFIG SET failed (possibly related to argument "
              "'protected-mode') - argument must be 'yes' or 'no'",
              'protected-mode maybe refused')
    with kvdlib.Server('protected-pass', io_threads,
                       ['--requirepass', 'pw']) as srv:
        r = connect_from('127.0.0.2', srv.port)
        r.sock.sendall(encode('AUTH', 'pw') + encode('PING'))
        check(r.reply() == '+OK' and r.reply() == '+PONG',
              'with a password 127.0.0.2 is served')
        r.sock.close()
    with kvdlib.Server('protected-v6', io_threads, ['--bind', '::1'],
                       host='::1') as srv:
        check(served(connect_from('::1', srv.port, socket.AF_INET6, '::1')),
              '::1 is served in protected mode')
    unix_dir = tempfile.mkdtemp(prefix='kvd-')
    path = os.path.join(unix_dir, 'kvd.sock')
    try:
        with kvdlib.Server('protected-unix', io_threads,
                           ['--unixsocket', path]) as srv:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(10)
            s.connect(path)
            check(served(Reader(s)), 'the Unix socket is served')
            check(denied(connect_from('127.0.0.2', srv.port)),
                  '127.0.0.2 refused next to a Unix socket')
    finally:
        if os.path.exists(path):
            os.unlink(path)
        os.rmdir(unix_dir)


NS_HOST, NS_PEER = '198.18.0.1', '198.18.0.2'

# Run inside the namespace: connect, send PING, print what came back.
NS_CLIENT = r"""
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(b'*1\r\n$4\r\nPING\r\n')
out = b''
try:
    while not out.endswith(b'\r\n') or out.startswith(b'-DENIED'):
        d = s.recv(65536)
        if not d:
            out += b'<EOF>'
            break
        out += d
except ConnectionResetError:
    out += b'<EOF>'
sys.stdout.write(out.hex())
"""


def ip(*args, ns=None):
    cmd = (['ip', 'netns', 'exec', ns] if ns else []) + ['ip'] + list(args)
    return subprocess.run(cmd, capture_output=True, timeout=20).returncode == 0


def netns_up(tag):
    """A namespace and a veth pair to it; None (skip) when they cannot
    be made here."""
    if os.geteuid() != 0 or not shutil.which('ip'):
        return None
    ns, a, b = 'kvd%s' % tag, 'kvda%s' % tag, 'kvdb%s' % tag
    if not ip('netns', 'add', ns):
        return None
    ok = (ip('link', 'add', a, 'type', 'veth', 'peer', 'name', b) and
          ip('link', 'set', b, 'netns', ns) and
          ip('addr', 'add', NS_HOST + '/30', 'dev', a) and
          ip('link', 'set', a, 'up') and
          ip('addr', 'add', NS_PEER + '/30', 'dev', b, ns=ns) and
          ip('link', 'set', b, 'up', ns=ns) and
          ip('link', 'set', 'lo', 'up', ns=ns))
    if not ok:
        netns_down((ns, a))
        return None
    return ns, a


def netns_down(net):
    ns, a = net
    ip('link', 'del', a)
    ip('netns', 'del', ns)


def start_on(bind, io_threads, args):
    """baton-kvd on @bind, ready once its banner is printed (kvdlib's
    readiness PING would come from @bind itself, a non-loopback peer)."""
    for _ in range(20):
        port = random.randint(20000, 39999)
        log = os.path.join(kvdlib.log_dir(), 'netns-io%d.log' % io_threads)
        with open(log, 'w') as f:
            proc = subprocess.Popen(
                [kvdlib.kvd_binary(), '--bind', bind, '--port', str(port),
                 '--io-threads', str(io_threads)] + args,
                stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and proc.poll() is None:
            with open(log) as f:
                if 'listening on' in f.read():
                    return proc, port, log
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            raise kvdlib.TestFailure('netns server did not start')
        with open(log) as f:
            if 'cannot listen' not in f.read():
                raise kvdlib.TestFailure('netns server exited at start')
    raise kvdlib.TestFailure('netns server: no free port')


def stop(proc, log):
    proc.terminate()
    rc = proc.wait(30)
    with open(log) as f:
        text = f.read()
    check(rc == 0 and not any(m in text for m in kvdlib.SANITIZER_MARKS),
          'netns server exit %d\n%s' % (rc, text[-3000:]))


def protected_mode_netns(io_threads):
    """A peer on another network namespace, the real case."""
    net = netns_up('%d' % os.getpid())
    if not net:
        print('netns part skipped: needs root and "ip netns"')
        return
    try:
        for pm, expect in (('yes', DENIED + b'<EOF>'), ('no', b'+PONG\r\n')):
            proc, port, log = start_on(NS_HOST, io_threads,
                                       ['--protected-mode', pm])
            try:
                out = subprocess.run(
                    ['ip', 'netns', 'exec', net[0], sys.executable, '-c',
                     NS_CLIENT, NS_HOST, str(port)],
                    capture_output=True, timeout=30)
                got = bytes.fromhex(out.stdout.decode() or '')
                check(got == expect, 'protected-mode %s, peer %s: %r' %
                      (pm, NS_PEER, got[:80]))
                # This host's own non-loopback address is no loopback.
                r = connect_from(NS_HOST, port, dst=NS_HOST)
                if pm == 'yes':
                    check(denied(r), 'a peer at %s is refused' % NS_HOST)
                else:
                    check(served(r), 'a peer at %s is served' % NS_HOST)
            finally:
                stop(proc, log)
    finally:
        netns_down(net)


def unix_socket_perm(io_threads):
    """--unixsocketperm sets the socket's mode after bind; without it the
    umask decides, as in Redis."""
    unix_dir = tempfile.mkdtemp(prefix='kvd-')
    path = os.path.join(unix_dir, 'kvd.sock')
    umask = os.umask(0)
    os.umask(umask)
    try:
        cases = [('700', 0o700), ('0640', 0o640), ('777', 0o777),
                 ('0', 0o777 & ~umask), (None, 0o777 & ~umask)]
        if kvdlib.sanitized():
            cases = cases[1:2] + cases[4:]  # a server start costs seconds
        for perm, mode in cases:
            args = ['--unixsocket', path]
            if perm is not None:
                args += ['--unixsocketperm', perm]
            with kvdlib.Server('unixperm', io_threads, args):
                st = os.stat(path)
                check(stat.S_ISSOCK(st.st_mode) and
                      stat.S_IMODE(st.st_mode) == mode,
                      '--unixsocketperm %s: mode %o, not %o' %
                      (perm, stat.S_IMODE(st.st_mode), mode))
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(10)
                s.connect(path)
                check(served(Reader(s)), 'served over the socket (%s)' % perm)
    finally:
        if os.path.exists(path):
            os.unlink(path)
        os.rmdir(unix_dir)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, default=1)
    a = ap.parse_args()
    protected_mode(a.io_threads)
    protected_mode_netns(a.io_threads)
    unix_socket_perm(a.io_threads)
    print('hostile io-threads=%d ok' % a.io_threads)


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
