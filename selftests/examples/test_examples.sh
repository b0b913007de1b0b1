#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# test_examples.sh - the programs of Documentation/examples work as their
# comments say: echo_server echoes lines; pubsub_server delivers a PUB to
# every subscriber, in order, wherever the subscriber is, and wakes a
# client parked in WAIT.
#
# Environment: BATON_OBJTREE, BATON_SRCTREE.

obj=${BATON_OBJTREE:?}
ex=$obj/Documentation/examples
command -v python3 >/dev/null 2>&1 || {
	echo "FAIL: python3 is missing (scripts/deps.sh installs it)"; exit 1; }
for p in echo_server pubsub_server; do
	[ -x "$ex/$p" ] || { echo "FAIL: $ex/$p was not built"; exit 1; }
done
exec timeout -k 5 120 python3 - "$ex" <<'PY'
import random, socket, subprocess, sys, time

ex = sys.argv[1]
fails = 0


def start(prog):
    for _ in range(20):
        port = random.randint(40000, 49999)
        p = subprocess.Popen([ex + '/' + prog, str(port)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        line = p.stdout.readline().decode()
        if 'listening' in line:
            return p, port
        p.wait()
    raise SystemExit('FAIL: %s did not start' % prog)


def dial(port):
    s = socket.create_connection(('127.0.0.1', port), timeout=10)
    return s, s.makefile('rb')


def line(f):
    return f.readline().decode().rstrip('\n')


def check(cond, what):
    global fails
    print(('ok   ' if cond else 'FAIL ') + what)
    fails += 0 if cond else 1


p, port = start('echo_server')
s, f = dial(port)
s.sendall(b'hello\nworld\n')
check(line(f) == 'hello' and line(f) == 'world', 'echo_server echoes lines')
s.close()
p.terminate()
check(p.wait(10) == 0, 'echo_server exits 0 on SIGTERM')

p, port = start('pubsub_server')
subs = [dial(port) for _ in range(3)]
for s, f in subs:
    s.sendall(b'SUB news\n')
    check(line(f) == 'OK', 'SUB answers OK')
pub, pf = dial(port)
for i in range(100):
    pub.sendall(b'PUB news m%d\n' % i)
    check(line(pf) == 'SENT 3', 'PUB %d reached 3 subscribers' % i) \
        if i in (0, 99) else line(pf)
for n, (s, f) in enumerate(subs):
    got = [line(f) for _ in range(100)]
    check(got == ['MSG news m%d' % i for i in range(100)],
          'subscriber %d got every message, in order' % n)
w, wf = dial(port)
w.sendall(b'SUB alerts\nWAIT\nSUB x\n')
time.sleep(0.2)             # WAIT is parked: nothing may come yet
w.settimeout(0.3)
try:
    early = w.recv(100)
except socket.timeout:
    early = b''
check(early == b'OK\n', 'a parked client gets nothing after its SUB')
w.settimeout(10)
pub.sendall(b'PUB alerts fire\n')
check(line(pf) == 'SENT 1', 'PUB to the parked client')
check(line(wf) == 'MSG alerts fire' and line(wf) == 'OK',
      'the parked client wakes with the message, then its next reply')
p.terminate()
check(p.wait(10) == 0, 'pubsub_server exits 0 on SIGTERM')
sys.exit(1 if fails else 0)
PY
