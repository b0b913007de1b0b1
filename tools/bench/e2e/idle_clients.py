#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# idle_clients.py - open N connections to a Redis-protocol server, send
# one PING on each, read its +PONG, then keep them all open and idle
# until SIGTERM or SIGINT: what tools/bench/e2e/kvd_vs_redis.sh
# measures a server's memory per idle client with.
"""Hold N idle Redis-protocol connections open.

Prints "ready N" on stdout once every connection got its PONG, then
sleeps until the process gets SIGTERM or SIGINT.
Exit status: 0, or 1 when a connection failed (with the reason on
stderr).
"""

import argparse
import resource
import signal
import socket
import sys

PING = b"*1\r\n$4\r\nPING\r\n"
PONG = b"+PONG\r\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("-n", type=int, default=5000, help="connections")
    ap.add_argument("--batch", type=int, default=200,
                    help="connections opened before reading their PONGs")
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = args.n + 64
    if soft < want:
        if hard != resource.RLIM_INFINITY and hard < want:
            print(f"idle_clients: need {want} file descriptors, the "
                  f"hard limit is {hard} (raise it with ulimit -n)",
                  file=sys.stderr)
            return 1
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))

    socks = []
    try:
        # Connect and PING a batch at a time, then read the batch's
        # replies: quick, and never more than one batch of unread PONGs.
        while len(socks) < args.n:
            batch = []
            for _ in range(min(args.batch, args.n - len(socks))):
                s = socket.create_connection((args.host, args.port),
                                             timeout=10)
                s.sendall(PING)
                batch.append(s)
            for s in batch:
                got = b""
                while len(got) < len(PONG):
                    chunk = s.recv(len(PONG) - len(got))
                    if not chunk:
                        raise ConnectionError("closed before +PONG "
                                              f"(after {len(socks)} "
                                              "connections)")
                    got += chunk
                if got != PONG:
                    raise ConnectionError(f"unexpected reply {got!r}")
            socks.extend(batch)
    except (OSError, ConnectionError) as e:
        print(f"idle_clients: {e}", file=sys.stderr)
        return 1

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"ready {len(socks)}", flush=True)
    try:
        while True:
            signal.pause()  # idle: no timer, no polling
    except (KeyboardInterrupt, SystemExit):
        pass
    for s in socks:
        s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
