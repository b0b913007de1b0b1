#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""soak.py - baton-kvd under load for a bounded time: thousands of idle
connections, clients pipelining SET/GET/DEL/INCR on keys of their own,
killers closing them with CLIENT KILL ID, droppers closing their sockets
half way through a request; then the checks.

Every active client owns its keys, so what each key may hold is known
exactly: a set of possible values, one value after an acknowledged reply
(a SET, an INCR's new value, a DEL, a GET's answer), several after a
connection was lost with requests in flight (any prefix of them may have
run).  A killed client waits QUARANTINE seconds before it reconnects, so
that nothing of the lost connection can run after the new one's requests.

Checked at the end, each a failure:
  - a reply that is an error or not what the model allows;
  - a key whose value is not one the model allows (a lost ack'd write);
  - clients still counted after everyone left;
  - used_memory after FLUSHALL above the baseline by more than
    --mem-slack bytes, RSS above the baseline by more than --rss-slack;
  - the server's CPU time over a 2 s idle window above --idle-cpu;
  - a non-zero exit on SIGTERM or a sanitizer report in its log.

Usage: soak.py [--time S] [--idle N] [--active N] [--killers N]
               [--droppers N] [--io-threads N] [--pipeline N] [--quiet]
Environment: BATON_OBJTREE (where baton-kvd is), SAN.
"""

import argparse
import os
import random
import resource
import selectors
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', '..', 'selftests', 'kvd'))
import kvdlib  # noqa: E402

QUARANTINE = 0.1


class Fail(Exception):
    pass


NIL = type(None)    # parse_reply's nil (None itself means incomplete)


def enc(*args):
    return kvdlib.encode(*args)


def parse_reply(buf, pos):
    """One RESP2 reply at buf[pos:]: (value, next pos), or None if
    incomplete.  Errors come back as ('ERR', text)."""
    nl = buf.find(b'\r\n', pos)
    if nl < 0:
        return None
    t, line = buf[pos:pos + 1], buf[pos + 1:nl]
    if t == b'+':
        return line, nl + 2
    if t == b'-':
        return ('ERR', line), nl + 2
    if t == b':':
        return int(line), nl + 2
    if t == b'$':
        n = int(line)
        if n < 0:
            return NIL, nl + 2
        if len(buf) < nl + 2 + n + 2:
            return None
        return buf[nl + 2:nl + 2 + n], nl + 4 + n
    raise Fail('unexpected reply type %r' % buf[pos:pos + 40])


class Model:
    """Per key: the set of values it may hold (None = absent)."""

    def __init__(self):
        self.may = {}

    def get(self, k):
        return self.may.setdefault(k, {None})

    @staticmethod
    def apply(vals, op, arg):
        if op == 'SET':
            return {arg}
        if op == 'DEL':
            return {None}
        if op == 'INCR':
            return {str(int(v or '0') + 1) for v in vals}
        return set(vals)    # GET


class Active:
    def __init__(self, soak, idx):
        self.soak, self.idx = soak, idx
        self.keys = ['k:%d:%d' % (idx, j) for j in range(soak.a.keys)]
        self.sock = None
        self.id = None
        self.rbuf = b''
        self.inflight = []          # (op, key, arg) in request order
        self.wbuf = b''
        self.back_at = 0.0

    def connect(self):
        s = socket.create_connection(('127.0.0.1', self.soak.port), 10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        self.sock, self.rbuf, self.wbuf, self.id = s, b'', b'', None
        self.inflight = [('ID', None, None)]
        self.wbuf = enc('CLIENT', 'ID')
        self.soak.sel.register(s, selectors.EVENT_READ, self)
        self.soak.stats['connects'] += 1

    def lost(self):
        """The connection died: any prefix of the in-flight requests may
        have run."""
        m = self.soak.model
        per_key = {}
        for op, k, arg in self.inflight:
            if k is None:
                continue
            cur = per_key.setdefault(k, [set(m.get(k))])
            cur.append(Model.apply(cur[-1], op, arg))
        for k, states in per_key.items():
            m.may[k] = set().union(*states)
            if len(m.may[k]) > 1:
                self.soak.stats['maybe'] += 1
        self.soak.stats['lost_inflight'] += len(self.inflight)
        self.inflight = []
        self.soak.sel.unregister(self.sock)
        self.sock.close()
        self.sock = None
        self.back_at = time.monotonic() + QUARANTINE

    def fill(self):
        """Keep --pipeline requests in flight."""
        r = self.soak.rng
        while len(self.inflight) < self.soak.a.pipeline:
            k = r.choice(self.keys)
            x = r.random()
            if x < 0.35:
                op, arg = 'SET', str(r.randint(-1000, 100000))
                self.wbuf += enc('SET', k, arg)
            elif x < 0.65:
                op, arg = 'GET', None
                self.wbuf += enc('GET', k)
            elif x < 0.90:
                op, arg = 'INCR', None
                self.wbuf += enc('INCR', k)
            else:
                op, arg = 'DEL', None
                self.wbuf += enc('DEL', k)
            self.inflight.append((op, k, arg))

    def flush(self):
        while self.wbuf:
            try:
                n = self.sock.send(self.wbuf)
            except BlockingIOError:
                return True
            except (ConnectionResetError, BrokenPipeError):
                return False
            self.wbuf = self.wbuf[n:]
        return True

    def on_read(self):
        try:
            data = self.sock.recv(1 << 16)
        except BlockingIOError:
            return
        except ConnectionResetError:
            data = b''
        if not data:
            self.lost()
            return
        self.rbuf += data
        pos = 0
        while True:
            r = parse_reply(self.rbuf, pos)
            if r is None:
                break
            val, pos = r
            self.reply(val)
        self.rbuf = self.rbuf[pos:]

    def reply(self, val):
        if not self.inflight:
            raise Fail('client %d: a reply nobody asked for: %r' %
                       (self.idx, val))
        op, k, arg = self.inflight.pop(0)
        st = self.soak.stats
        st['ops'] += 1
        if isinstance(val, tuple):
            raise Fail('client %d: %s %s: error %r' % (self.idx, op, k, val))
        if op == 'ID':
            self.id = val
            return
        m = self.soak.model
        vals = m.get(k)
        if op == 'SET':
            if val != b'OK':
                raise Fail('SET %s: %r' % (k, val))
            m.may[k] = {arg}
        elif op == 'GET':
            got = None if val is NIL else val.decode()
            if got not in vals:
                raise Fail('GET %s = %r, the model allows only %r' %
                           (k, got, sorted(vals, key=str)))
            m.may[k] = {got}
        elif op == 'INCR':
            allowed = {int(v or '0') + 1 for v in vals}
            if val not in allowed:
                raise Fail('INCR %s = %r, the model allows only %r' %
                           (k, val, sorted(allowed)))
            m.may[k] = {str(val)}
        elif op == 'DEL':
            if val not in ((1,) if None not in vals else
                           (0,) if vals == {None} else (0, 1)):
                raise Fail('DEL %s = %r with %r' % (k, val, vals))
            m.may[k] = {None}


class Soak:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.sel = selectors.DefaultSelector()
        self.model = Model()
        self.stats = dict(connects=0, ops=0, kills=0, kill_hits=0, drops=0,
                          maybe=0, lost_inflight=0)
        self.port = None

    def log(self, *args):
        if not self.a.quiet:
            print(*args, flush=True)

    def cmd(self, sock, rd, *args):
        sock.sendall(enc(*args))
        return rd.reply()

    def info(self, section):
        self.ctl.sendall(enc('INFO', section))
        text = self.ctl_rd.reply()
        return dict(l.split(':', 1) for l in text.decode().split('\r\n')
                    if ':' in l)

    def proc_stat(self):
        with open('/proc/%d/status' % self.srv.proc.pid) as f:
            rss = [int(l.split()[1]) * 1024 for l in f
                   if l.startswith('VmRSS:')][0]
        with open('/proc/%d/stat' % self.srv.proc.pid) as f:
            fields = f.read().rsplit(')', 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')
        return rss, cpu

    def clients(self):
        return int(self.info('clients')['connected_clients'])

    def wait_clients(self, n, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            c = self.clients()
            if c == n:
                return
            time.sleep(0.05)
        raise Fail('%d clients still counted, %d expected' % (c, n))

    def kill_one(self, actives):
        live = [x for x in actives if x.sock and x.id is not None]
        if not live:
            return
        v = self.rng.choice(live)
        r = self.cmd(self.killer, self.killer_rd, 'CLIENT', 'KILL', 'ID',
                     str(v.id))
        if r not in (0, 1):
            raise Fail('CLIENT KILL ID: %r' % (r,))
        self.stats['kills'] += 1
        self.stats['kill_hits'] += r

    def drop_one(self):
        """A request cut half way, or a pipeline and then half a request,
        then close.  The half request must never run: its key is one no
        active client owns, and it is checked at the end."""
        s = socket.create_connection(('127.0.0.1', self.port), 10)
        req = enc('SET', 'dropped:%d' % self.stats['drops'], 'never')
        cut = self.rng.randint(1, len(req) - 1)
        pre = b''
        if self.rng.random() < 0.5:
            pre = enc('GET', 'dropper') * self.rng.randint(1, 8)
        s.sendall(pre + req[:cut])
        if self.rng.random() < 0.5:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         b'\x01\x00\x00\x00\x00\x00\x00\x00')  # RST
        s.close()
        self.stats['drops'] += 1

    def run(self):
        a = self.a
        want = a.idle + a.active + 64
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < want:
            new = min(hard, max(want, soft)) if hard != resource.RLIM_INFINITY \
                else want
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            if new < want:
                a.idle = max(0, new - a.active - 64)
                self.log('fd limit %d: --idle lowered to %d' % (new, a.idle))
        self.srv = kvdlib.Server('soak', a.io_threads,
                                 ['--maxclients', str(want + 64)])
        self.srv.start()
        self.port = self.srv.port
        self.ctl = kvdlib.connect(self.port)
        self.ctl_rd = kvdlib.Reader(self.ctl)
        self.killer = kvdlib.connect(self.port)
        self.killer_rd = kvdlib.Reader(self.killer)
        time.sleep(0.5)
        mem0 = int(self.info('memory')['used_memory'])
        rss0, _ = self.proc_stat()
        self.log('baseline: used_memory %d, RSS %d' % (mem0, rss0))

        idle = []
        for _ in range(a.idle):
            idle.append(socket.create_connection(('127.0.0.1', self.port),
                                                 10))
        actives = [Active(self, i) for i in range(a.active)]
        for x in actives:
            x.connect()
        self.wait_clients(a.idle + a.active + 2)
        peak_clients = self.clients()
        self.log('connected: %d idle, %d active (%d counted)' %
                 (a.idle, a.active, peak_clients))

        start = time.monotonic()
        end = start + a.time
        next_kill = next_drop = next_report = start
        while time.monotonic() < end:
            now = time.monotonic()
            for x in actives:
                if x.sock is None:
                    if now >= x.back_at:
                        x.connect()
                    continue
                if x.id is not None:
                    x.fill()
                if not x.flush():
                    x.lost()
            for key, _ in self.sel.select(0.01):
                key.data.on_read()
            if now >= next_kill and a.killers:
                for _ in range(a.killers):
                    self.kill_one(actives)
                next_kill = now + a.kill_every
            if now >= next_drop and a.droppers:
                for _ in range(a.droppers):
                    self.drop_one()
                next_drop = now + a.drop_every
            if now >= next_report:
                self.log('%4.0fs: %s' % (now - start, self.stats))
                next_report = now + 10

        # Quiesce: every live client reads what it still expects.
        deadline = time.monotonic() + 30
        for x in actives:
            if x.sock is None:
                continue
            x.sock.setblocking(True)
            while x.wbuf:
                if not x.flush():
                    break
            x.sock.setblocking(False)
        while any(x.sock and x.inflight for x in actives):
            if time.monotonic() > deadline:
                raise Fail('replies missing after 30 s')
            for key, _ in self.sel.select(0.1):
                key.data.on_read()
        time.sleep(QUARANTINE)

        # Every key holds a value the model allows.
        checked = 0
        for x in actives:
            for k in x.keys:
                got = self.cmd(self.ctl, self.ctl_rd, 'GET', k)
                got = None if got is None else got.decode()
                if got not in self.model.get(k):
                    raise Fail('%s = %r at the end, model: %r' %
                               (k, got, self.model.get(k)))
                checked += 1
        for i in range(self.stats['drops']):
            got = self.cmd(self.ctl, self.ctl_rd, 'GET', 'dropped:%d' % i)
            if got is not None:
                raise Fail('a half-sent SET ran: dropped:%d = %r' % (i, got))

        # Everyone leaves.
        for x in actives:
            if x.sock:
                self.sel.unregister(x.sock)
                x.sock.close()
        for s in idle:
            s.close()
        self.killer.close()
        self.wait_clients(1)
        if self.cmd(self.ctl, self.ctl_rd, 'FLUSHALL') != '+OK':
            raise Fail('FLUSHALL failed')
        time.sleep(1.0)
        mem1 = int(self.info('memory')['used_memory'])
        rss1, cpu0 = self.proc_stat()
        time.sleep(2.0)
        _, cpu1 = self.proc_stat()
        idle_cpu = cpu1 - cpu0
        st = self.stats
        print('soak: %.0f s, io-threads %d, %d idle + %d active connections '
              '(%d counted at peak), %d connects, %d ops, %d CLIENT KILLs '
              '(%d hit), %d drops, %d lost in flight, %d keys checked' %
              (a.time, a.io_threads, a.idle, a.active, peak_clients,
               st['connects'], st['ops'], st['kills'], st['kill_hits'],
               st['drops'], st['lost_inflight'], checked))
        print('soak: used_memory %d -> %d (+%d), RSS %.1f -> %.1f MiB, '
              'idle CPU %.3f s over 2 s' %
              (mem0, mem1, mem1 - mem0, rss0 / 2**20, rss1 / 2**20, idle_cpu))
        if mem1 > mem0 + a.mem_slack:
            raise Fail('used_memory %d above the baseline %d + %d' %
                       (mem1, mem0, a.mem_slack))
        if rss1 > rss0 + a.rss_slack:
            raise Fail('RSS %d above the baseline %d + %d' %
                       (rss1, rss0, a.rss_slack))
        if idle_cpu > a.idle_cpu:
            raise Fail('idle CPU %.3f s over 2 s' % idle_cpu)
        self.ctl.close()
        self.srv.stop()
        print('soak: passed (server exited 0 on SIGTERM, no sanitizer '
              'report)')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--time', type=float, default=120)
    p.add_argument('--idle', type=int, default=4000)
    p.add_argument('--active', type=int, default=64)
    p.add_argument('--keys', type=int, default=32, help='keys per client')
    p.add_argument('--pipeline', type=int, default=16)
    p.add_argument('--killers', type=int, default=1,
                   help='CLIENT KILLs per --kill-every')
    p.add_argument('--kill-every', type=float, default=0.05)
    p.add_argument('--droppers', type=int, default=2,
                   help='dropped connections per --drop-every')
    p.add_argument('--drop-every', type=float, default=0.05)
    p.add_argument('--io-threads', type=int, default=2)
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--mem-slack', type=int, default=64 * 1024)
    # A sanitizer keeps memory resident: TSan its shadow and history,
    # ASan the freed memory in its quarantine.  The server runs with a
    # 32 MiB quarantine (below): a 15 s soak under ASan frees enough to
    # fill the default 256 MiB, which with its redzones is about 480 MiB
    # of RSS, and a leak would hide in that.
    p.add_argument('--rss-slack', type=int,
                   default={'address': 128, 'thread': 384}.get(
                       os.environ.get('SAN', ''), 64) * 2**20)
    p.add_argument('--idle-cpu', type=float, default=0.1)
    p.add_argument('--quiet', action='store_true')
    a = p.parse_args()
    if os.environ.get('SAN') == 'address':
        # The server inherits it (kvdlib starts it with this environment).
        opts = os.environ.get('ASAN_OPTIONS', '')
        if 'quarantine_size_mb' not in opts:
            os.environ['ASAN_OPTIONS'] = (opts + ':' if opts else '') + \
                'quarantine_size_mb=32'
    try:
        Soak(a).run()
    except (Fail, kvdlib.TestFailure) as e:
        print('soak: FAIL: %s' % e)
        kvdlib._kill_all()
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
