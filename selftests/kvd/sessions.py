#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""sessions.py - baton-kvd with several connections at once: CLIENT LIST
and KILL (by ID and ADDR, old and new form, self), max clients, a value
deleted while an IO worker still writes it out (the deferred free), or
written in place (copy on write), a
slow reader past the output-buffer limit, INFO, SCAN across a table that
grows, a long pipeline, concurrent clients, a Unix socket.

Usage: sessions.py --io-threads N
"""

import argparse
import os
import socket
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvdlib  # noqa: E402
from kvdlib import Reader, check, command, encode  # noqa: E402


def info(port, section=None):
    text = command(port, 'INFO', *([section] if section else [])).decode()
    fields = {}
    for line in text.split('\r\n'):
        if ':' in line and not line.startswith('#'):
            k, v = line.split(':', 1)
            fields[k] = v
    return text, fields


def open_client(port, name=None, rcvbuf=0):
    """A connection; @rcvbuf shrinks its receive buffer (set before the
    connect, so that the TCP window stays small too)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(10)
    s.connect(('127.0.0.1', port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    r = Reader(s)
    if name:
        check(command(r, 'CLIENT', 'SETNAME', name) == '+OK', 'SETNAME')
    return r


def client_kill(port):
    me = open_client(port, 'me')
    other = open_client(port, 'other')
    my_id = command(me, 'CLIENT', 'ID')
    other_id = command(other, 'CLIENT', 'ID')
    check(my_id != other_id, 'client ids differ')
    lst = command(me, 'CLIENT', 'LIST').decode()
    lines = lst.strip('\n').split('\n')
    check(len(lines) == 2, 'CLIENT LIST has both clients: %r' % lst)
    check(lines[0].startswith('id=%d ' % min(my_id, other_id)),
          'CLIENT LIST is ordered by id')
    check(' name=other ' in lst and ' name=me ' in lst, 'names in LIST')
    addr = [ln.split()[1][5:] for ln in lines if ' name=other ' in ln][0]
    one = command(me, 'CLIENT', 'LIST', 'ID', str(other_id)).decode()
    check(one.count('\n') == 1 and ' name=other ' in one, 'LIST ID')

    check(command(me, 'CLIENT', 'KILL', 'ID', str(other_id)) == 1,
          'KILL ID of another client')
    check(other.eof(5), 'the killed client is closed')
    check(command(me, 'CLIENT', 'KILL', 'ID', str(other_id)) == 0,
          'KILL ID of a gone client')
    other = open_client(port, 'other')
    addr = command(other, 'CLIENT', 'INFO').decode().split()[1][5:]
    check(command(me, 'CLIENT', 'KILL', 'ADDR', addr) == 1, 'KILL ADDR')
    check(other.eof(5), 'the client killed by ADDR is closed')
    other = open_client(port, 'other')
    addr = command(other, 'CLIENT', 'INFO').decode().split()[1][5:]
    check(command(me, 'CLIENT', 'KILL', addr) == '+OK', 'old-form KILL')
    check(other.eof(5), 'the client killed by the old form is closed')
    check(command(me, 'CLIENT', 'KILL', addr) == '-ERR No such client',
          'old-form KILL of a gone client')

    my_addr = command(me, 'CLIENT', 'INFO').decode().split()[1][5:]
    check(command(me, 'CLIENT', 'KILL', 'ADDR', my_addr) == 0,
          'KILL ADDR skips the caller by default')
    check(command(me, 'CLIENT', 'KILL', 'ID', str(my_id), 'SKIPME', 'no')
          == 1, 'KILL ID self with SKIPME no replies first')
    check(me.eof(5), 'then closes the caller')
    me = open_client(port)
    my_addr = command(me, 'CLIENT', 'INFO').decode().split()[1][5:]
    me.sock.sendall(encode('CLIENT', 'KILL', my_addr) + encode('PING'))
    check(me.reply() == '+OK', 'old-form KILL of self replies OK')
    check(me.eof(5), 'and closes, dropping what was pipelined after it')

    # Kill a client while it is pipelining.
    busy = open_client(port)
    busy_id = command(busy, 'CLIENT', 'ID')
    busy.sock.sendall(encode('INCR', 'busy') * 2000)
    killer = open_client(port)
    check(command(killer, 'CLIENT', 'KILL', 'ID', str(busy_id)) in (0, 1),
          'KILL of a busy client')
    check(busy.eof(10), 'the busy client is closed')
    # It may have been killed before or after running some INCRs.
    n = command(killer, 'GET', 'busy')
    check(n is None or 0 < int(n) <= 2000,
          'the server goes on after killing a busy client: %r' % n)
    command(killer, 'DEL', 'busy')


def last_command(port, client_id):
    """The cmd= field of CLIENT LIST for @client_id: what main executed
    last for it."""
    line = command(port, 'CLIENT', 'LIST', 'ID', str(client_id)).decode()
    for field in line.split():
        if field.startswith('cmd='):
            return field[4:]
    return None


def deferred_free(port):
    """GET of a big value that the client does not read yet, then DEL and
    overwrite it from another client: the reply references the old value,
    which must arrive intact and be freed after the write, on main.

    The DEL goes out once CLIENT LIST shows that main executed the GET:
    main executes in order, so the DEL runs after it, while the reply (16
    MiB to a 4 KiB receive buffer, never read until then) still holds its
    reference."""
    size = 16 * 1024 * 1024
    value = bytes(range(256)) * (size // 256)
    writer = open_client(port)
    check(command(writer, 'SET', 'big', value) == '+OK', 'SET big')
    _, before = info(port, 'all')
    reader = open_client(port, rcvbuf=4096)
    reader_id = command(reader, 'CLIENT', 'ID')
    reader.sock.sendall(encode('GET', 'big'))
    deadline = time.monotonic() + 10
    while last_command(port, reader_id) != 'get':
        check(time.monotonic() < deadline, 'main executes the GET')
        time.sleep(0.01)
    check(command(writer, 'DEL', 'big') == 1, 'DEL big while it is sent')
    check(command(writer, 'SET', 'big', 'new') == '+OK', 'SET big again')
    reader.timeout = 60
    got = reader.reply()
    check(got == value, 'the old value arrives intact after DEL')
    check(command(reader, 'GET', 'big') == b'new', 'the new value')
    deadline = time.monotonic() + 10
    while True:
        _, after = info(port, 'all')
        freed = (int(after['used_memory']) <
                 int(before['used_memory']) - size + 4096)
        if freed or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    check(freed, 'the old value is freed once written: used_memory %s -> %s'
          % (before['used_memory'], after['used_memory']))
    check(int(after['deferred_queued']) > int(before['deferred_queued']),
          'the last put went through the deferred-free queue')
    check(int(after['deferred_freed']) == int(after['deferred_queued']),
          'every deferred free ran on main')
    command(writer, 'DEL', 'big')


def copy_on_write(port):
    """SETRANGE, SETBIT and APPEND of a value a reply is still sending:
    the reply gets the old bytes intact (the writes went to a copy, or
    past its end), later readers the new ones.  Without a reply in
    flight SETRANGE writes in place: no copy, so the memory peak (reset
    by CONFIG RESETSTAT) does not move."""
    size = 16 * 1024 * 1024
    value = bytes(range(256)) * (size // 256)
    writer = open_client(port)
    check(command(writer, 'SET', 'cow', value) == '+OK', 'SET cow')
    check(command(writer, 'CONFIG', 'RESETSTAT') == '+OK', 'RESETSTAT')
    check(command(writer, 'SETRANGE', 'cow', '0', 'XY') == size, 'SETRANGE')
    _, after = info(port, 'memory')
    # used_memory counts the replies still queued too, so the peak may
    # have caught a few bytes of them; a copy would add 16 MiB.
    check(int(after['used_memory_peak']) - int(after['used_memory']) < 65536,
          'SETRANGE with no reply in flight writes in place: peak %s, '
          'used %s' % (after['used_memory_peak'], after['used_memory']))
    value = b'XY' + value[2:]
    reader = open_client(port, rcvbuf=4096)
    reader.sock.sendall(encode('GET', 'cow'))
    head = b''
    while b'\r\n' not in head:    # the GET ran: its reply has started
        head += reader.sock.recv(1)
    check(head == b'$%d\r\n' % size, 'GET header %r' % head)
    # 16 MiB cannot all be in a 4 KiB receive window and a send buffer:
    # the reply still references the value, and its end is not sent yet.
    end = size - 1000
    check(command(writer, 'SETRANGE', 'cow', str(end), 'ab') == size,
          'SETRANGE')
    check(command(writer, 'SETBIT', 'cow', str(8 * (end + 10) + 7), '1')
          == 0, 'SETBIT')
    check(command(writer, 'SETRANGE', 'cow', str(size - 1), 'zz') == size + 1,
          'SETRANGE past the end')
    check(command(writer, 'APPEND', 'cow', 'tail') == size + 5, 'APPEND')
    reader.timeout = 60
    reader.buf = b''
    rest = b''
    while len(rest) < size + 2:
        reader._fill(time.monotonic() + 60)
        rest, reader.buf = rest + reader.buf, b''
    check(rest[:size] == value, 'the reply in flight got the old bytes')
    got = command(writer, 'GET', 'cow')
    want = bytearray(value)
    want[end:end + 2] = b'ab'
    want[end + 10] |= 1
    want = bytes(want[:size - 1]) + b'zztail'
    check(got == want, 'the writes are there for the next reader')
    command(writer, 'DEL', 'cow')


def pipeline(port):
    n = 10000
    r = open_client(port)
    r.sock.sendall(encode('INCR', 'pipe') * n + encode('GET', 'pipe'))
    for i in range(1, n + 1):
        check(r.reply() == i, 'pipelined INCR %d' % i)
    check(r.reply() == str(n).encode(), 'GET after the pipeline')
    command(r, 'DEL', 'pipe')


def concurrent(port):
    errors = []

    def worker(t):
        try:
            r = open_client(port)
            for i in range(300):
                key = 't%d:%d' % (t, i % 10)
                r.sock.sendall(encode('SET', key, str(i)) +
                               encode('GET', key) + encode('RPUSH', 'l%d' % t,
                                                           str(i)))
                check(r.reply() == '+OK', 'SET')
                check(r.reply() == str(i).encode(), 'GET own key')
                check(r.reply() == i + 1, 'RPUSH')
            check(command(r, 'LRANGE', 'l%d' % t, '0', '2') ==
                  [b'0', b'1', b'2'], 'LRANGE')
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append('client %d: %s' % (t, e))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    check(not errors, '; '.join(errors))
    check(command(port, 'FLUSHALL') == '+OK', 'FLUSHALL')


def scan_while_growing(port):
    r = open_client(port)
    keys = set('s%d' % i for i in range(1000))
    r.sock.sendall(encode('MSET', *[x for k in sorted(keys) for x in (k, 'v')]))
    check(r.reply() == '+OK', 'MSET')
    seen, cursor, extra = set(), b'0', 0
    while True:
        cursor, batch = command(r, 'SCAN', cursor.decode(), 'COUNT', '10')
        seen.update(k.decode() for k in batch)
        if extra < 5000:        # grow the table under the iteration
            r.sock.sendall(encode('MSET', *[x for i in range(extra, extra + 500)
                                             for x in ('g%d' % i, 'v')]))
            check(r.reply() == '+OK', 'MSET during SCAN')
            extra += 500
        if cursor == b'0':
            break
    check(keys <= seen, 'SCAN missed %d keys' % len(keys - seen))
    check(command(r, 'FLUSHALL') == '+OK', 'FLUSHALL')


def info_sections(port, io_threads):
    text, f = info(port)
    for sec in ('# Server', '# Clients', '# Memory', '# Stats', '# Keyspace',
                '# Baton'):
        check(sec in text, 'INFO has %s' % sec)
    check(f['redis_version'] == '7.0.0', 'redis_version')
    check(int(f['io_workers']) == io_threads, 'io_workers')
    check(int(f['io_worker_slots']) >= io_threads, 'io_worker_slots')
    check(sum(1 for k in f if k.startswith('io_worker') and
              k not in ('io_workers', 'io_worker_slots'))
          == int(f['io_worker_slots']), 'one line per IO worker slot')
    check(sum(1 for k in f if k.startswith('io_worker') and
              k not in ('io_workers', 'io_worker_slots') and
              'active=1' in f[k]) == io_threads, 'the active ones')
    check('io_main' in f and f['io_mode'] == str(io_threads), 'io_main, io_mode')
    text, f = info(port, 'keyspace')
    check(text.startswith('# Keyspace\r\n'), 'INFO keyspace only')
    check(command(port, 'INFO', 'nosuchsection') == b'', 'unknown section')
    text, f = info(port, 'baton')
    check(text.startswith('# Baton\r\n') and 'handoffs_to_main' in f and
          'deferred_freed' in f and 'rcu_batches' in f, 'INFO baton')


def slow_reader(io_threads):
    """Past the output-buffer limit the client is closed, others go on."""
    with kvdlib.Server('obuf', io_threads,
                       ['--client-output-buffer-limit', '1m']) as srv:
        slow_reader_on(srv.port)


def slow_reader_on(port):
    r = open_client(port)
    check(command(r, 'SET', 'half', b'h' * (512 * 1024)) == '+OK', 'SET')
    slow = open_client(port, rcvbuf=4096)
    slow.sock.sendall(encode('GET', 'half') * 64)
    time.sleep(0.5)
    check(slow.eof(10), 'a slow reader past the limit is closed')
    _, f = info(port, 'stats')
    check(int(f['client_output_buffer_limit_disconnections']) >= 1,
          'INFO counts the output-buffer close')
    check(command(r, 'STRLEN', 'half') == 512 * 1024, 'others go on')


def admitted(port, timeout=5.0):
    """A connection the server accepted (it answers PING)."""
    deadline = time.monotonic() + timeout
    while True:
        r = open_client(port)
        try:
            if command(r, 'PING') == '+PONG':
                return r
        except (EOFError, OSError):
            pass
        r.sock.close()
        check(time.monotonic() < deadline, 'PING below the limit')
        time.sleep(0.05)


def max_clients(io_threads):
    with kvdlib.Server('maxclients', io_threads, ['--maxclients', '3']) as srv:
        # The start-up PING's connection may not be closed on the server
        # yet: retry until each of the three is admitted.
        conns = [admitted(srv.port) for _ in range(3)]
        with kvdlib.connect(srv.port) as s:
            r = Reader(s)
            check(r.eof(5), 'the connection over the limit is closed')
            check(r.buf == b'-ERR max number of clients reached\r\n',
                  'it gets Redis\'s error: %r' % r.buf)
        conns[0].sock.close()
        deadline = time.monotonic() + 5
        while True:
            try:
                ok = command(srv.port, 'PING') == '+PONG'
            except (EOFError, OSError, kvdlib.TestFailure):
                ok = False
            if ok or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        check(ok, 'a place frees up when a client leaves')
        for c in conns[1:]:
            c.sock.close()


def unix_socket(io_threads):
    path = os.path.join(tempfile.mkdtemp(prefix='kvd-'), 'kvd.sock')
    with kvdlib.Server('unix', io_threads, ['--unixsocket', path]) as srv:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(path)
        r = Reader(s)
        check(command(r, 'SET', 'u', 'x') == '+OK', 'SET over a Unix socket')
        check(command(srv.port, 'GET', 'u') == b'x', 'GET over TCP')
        check(command(r, 'CONFIG', 'GET', 'unixsocket') ==
              [b'unixsocket', path.encode()], 'CONFIG GET unixsocket')
        s.close()
    check(not os.path.exists(path), 'the socket file is removed at exit')
    os.rmdir(os.path.dirname(path))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--io-threads', type=int, default=1)
    a = ap.parse_args()
    with kvdlib.Server('sessions', a.io_threads) as srv:
        client_kill(srv.port)
        deferred_free(srv.port)
        copy_on_write(srv.port)
        pipeline(srv.port)
        concurrent(srv.port)
        scan_while_growing(srv.port)
        info_sections(srv.port, a.io_threads)
    slow_reader(a.io_threads)
    max_clients(a.io_threads)
    unix_socket(a.io_threads)
    print('sessions io-threads=%d ok' % a.io_threads)


if __name__ == '__main__':
    kvdlib.main_wrapper(main)
