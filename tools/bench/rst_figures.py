#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# rst_figures.py - turn the output of `make bench` (and `make perf`) into
# the reStructuredText tables of Documentation/performance.rst, so the
# page is refreshed from a run rather than retyped.
"""Print the figure tables of Documentation/performance.rst.

Usage: rst_figures.py [--perf PERFDIR] SECTION BENCHDIR [BENCHDIR...]

SECTION is one of targets, llist, handoff, table, refcount, free, e2e,
split, perf, usdt, runs.  Give the BENCHDIRs ($(O)/bench of `make bench` runs, saved
aside) oldest first: the last one gives the figures; `runs` and
`targets` list every run given, in that order.
"""

import csv
import os
import sys


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def table(header, body):
    """A reStructuredText simple table."""
    cols = list(zip(*([header] + body)))
    width = [max(len(str(c)) for c in col) for col in cols]
    rule = " ".join("=" * w for w in width)
    out = [rule, " ".join(str(h).ljust(w) for h, w in zip(header, width))
           .rstrip(), rule]
    for r in body:
        out.append(" ".join(str(c).ljust(w) for c, w in zip(r, width))
                   .rstrip())
    out.append(rule)
    return "\n".join(out)


def f1(x):
    return f"{float(x):.1f}" if x not in ("", None) else "-"


def f2(x):
    return f"{float(x):.2f}" if x not in ("", None) else "-"


def f0(x):
    return f"{float(x):.0f}" if x not in ("", None) else "-"


def cmd_line(d, name):
    """The command and load of a run, from its table's first line."""
    with open(os.path.join(d, name + ".txt")) as f:
        return f.readline().strip().lstrip("# ")


def llist(d):
    body = []
    for r in rows(os.path.join(d, "llist.csv")):
        if r["impl"] in ("cds_chk",):
            continue
        body.append([r["impl"], r["producers"], r["rounds"],
                     f1(r["mitems_per_s"]), f1(r["min_mitems_per_s"]),
                     f1(r["median_mitems_per_s"]), f1(r["max_mitems_per_s"])])
    return table(["impl", "producers", "rounds", "Mitems/s",
                  "round min", "median", "max"], body)


def handoff(d):
    body = []
    for r in rows(os.path.join(d, "handoff.csv")):
        body.append([r["mode"], r["batch"], f0(r["ns_per_rt"]),
                     f0(r["min_ns_per_rt"]) + ".." + f0(r["max_ns_per_rt"]),
                     f0(r["ns_per_item"]), f0(r["p50_ns"]), f0(r["p99_ns"]),
                     f2(r["x_floor"]), f2(r["x_floor_p50"])])
    return table(["mode", "batch", "ns/round trip", "min..max", "ns/token",
                  "p50 ns", "p99 ns", "x floor", "x floor p50"], body)


def table_(d):
    body = []
    for r in rows(os.path.join(d, "table.csv")):
        body.append([r["mode"], r["readers"], f1(r["mlookups_per_s"]),
                     f1(r["min_mlookups_per_s"]) + ".." +
                     f1(r["max_mlookups_per_s"]),
                     f1(r["cpu_ns_per_lookup"]), f2(r["x_floor"]),
                     f2(r["x_rwlock_throughput"]) if r["mode"] == "rcu" else "",
                     f2(r["x_rwlock_lfht_throughput"]) if r["mode"] == "rcu" else "",
                     r["updates"]])
    return table(["mode", "readers", "Mlookups/s", "min..max", "cpu ns/lookup",
                  "x floor", "x rwlock", "x rwlock_lfht", "updates"], body)


def refcount(d):
    body = []
    for r in rows(os.path.join(d, "refcount.csv")):
        body.append([r["impl"], r["sharing"], r["threads"],
                     f1(r["mpairs_per_s"]), f2(r["cpu_ns_per_pair"]),
                     f2(r["min_cpu_ns"]) + ".." + f2(r["max_cpu_ns"]),
                     f2(r["x_atomic"])])
    return table(["impl", "sharing", "threads", "Mpairs/s", "cpu ns/pair",
                  "min..max", "x atomic"], body)


def free(d):
    by = {}
    for r in rows(os.path.join(d, "free.csv")):
        by.setdefault(r["mode"], []).append(r)
    body = []
    for mode, rs in by.items():
        rate = sorted(float(r["objects_per_s"]) for r in rs)
        call = sorted(float(r["caller_ns_per_obj"]) for r in rs)
        m = len(rate) // 2
        body.append([mode, f"{rate[m] / 1e6:.1f}",
                     f"{rate[0] / 1e6:.1f}..{rate[-1] / 1e6:.1f}",
                     f"{call[m]:.1f}", rs[0]["batches"]])
    return table(["mode", "Mobjects/s (median)", "min..max",
                  "caller ns/object", "call_rcu batches"], body)


def e2e(d):
    body = []
    for r in rows(os.path.join(d, "e2e", "e2e-pairs.csv")):
        body.append([r["test"], r["pipeline"], r["io_threads"],
                     f0(r["kvd_rps"]), f0(r["redis_rps"]), f2(r["ratio"]),
                     r["kvd_p50_ms"], r["redis_p50_ms"], r["kvd_p99_ms"],
                     r["redis_p99_ms"]])
    out = table(["test", "pipeline", "io", "kvd req/s", "redis req/s",
                 "kvd/redis", "kvd p50 ms", "redis p50", "kvd p99 ms",
                 "redis p99"], body)
    body = []
    for r in rows(os.path.join(d, "e2e", "idle.csv")):
        body.append([r["server"], r["io_threads"], r["rss_before_kb"],
                     r["rss_after_kb"], r["bytes_per_idle_client"],
                     r["cpu_pct_with_idle_clients"],
                     r["idle_cpu_pct_after_load"], r["threads"]])
    out += "\n\n" + table(["server", "io", "RSS KiB", "RSS with idle KiB",
                           "bytes/idle client", "CPU % (idle clients)",
                           "CPU % idle after load", "threads"], body)
    return out


def split(d):
    """The thread split: CPU per request by thread, each server and test."""
    body = []
    for r in rows(os.path.join(d, "thread-split", "thread-split.csv")):
        body.append([r["server"], r["test"], r["clients"], r["pipeline"],
                     f0(r["rps"]), f2(r["total_us_per_req"]),
                     f2(r["min_total_us"]) + ".." + f2(r["max_total_us"]),
                     f2(r["main_us_per_req"]), f2(r["io_us_per_req"]),
                     f2(r["x_total_vs_single"]), r["io_workers_end"] or "-",
                     r["busy_reps"] + "/" + r["reps"]])
    return table(["server", "test", "clients", "pipeline", "req/s",
                  "total us/req", "min..max", "main us/req", "IO us/req",
                  "x single", "workers at end", "busy runs"], body)


def perf(p):
    body = []
    for r in rows(os.path.join(p, "summary.csv")):
        body.append([r["run"], r["seconds"], r["task_clock_ms"],
                     r["cpus_used"], r["context_switches"],
                     r["cpu_migrations"], r["page_faults"],
                     r["cycles"] or "n/s", r["instructions"] or "n/s"])
    return table(["run", "s", "task-clock ms", "CPUs", "ctx switches",
                  "migrations", "page faults", "cycles", "instructions"],
                 body)


def usdt(p):
    """The counted run of `make perf`: probe counts per request."""
    body = []
    for r in rows(os.path.join(p, "usdt", "usdt.csv")):
        body.append([r["io_threads"], r["test"], r["pipeline"],
                     r["requests"], r["io_workers_end"],
                     r["wakes_per_req"] or "-",
                     r["flushes_to_main_per_req"] or "-",
                     r["main_batches_per_req"] or "-",
                     f1(r["clients_per_main_batch"]),
                     f1(r["clients_per_flush_to_main"]),
                     r["client_move"] or "0"])
    return table(["io", "test", "pipeline", "requests", "workers at end",
                  "wakes/req", "flushes to main/req", "main batches/req",
                  "clients/main batch", "clients/flush", "moves"], body)


def target_lines(d):
    out = []
    with open(os.path.join(d, "targets.txt")) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            what = line[:58].strip()
            rest = line[58:].split()
            out.append((what, rest))
    return out


def targets(dirs):
    per_run = [dict((w, r) for w, r in target_lines(d)) for d in dirs]
    body = []
    for what, rest in target_lines(dirs[-1]):
        if rest[1:2] == ["(reference,"]:
            goal, status = "(reference)", ""
        else:
            goal = " ".join(rest[1:3])
            status = rest[3] if len(rest) > 3 else ""
        vals = [pr.get(what, ["-"])[0] for pr in per_run]
        stats = [pr.get(what, ["", "", "", ""])[3:4] for pr in per_run]
        met = sum(1 for s in stats if s == ["met"])
        body.append([what, " / ".join(vals), goal,
                     f"{met}/{len(dirs)} runs" if status else ""])
    return table(["target", "measured (run " +
                  ", ".join(str(i + 1) for i in range(len(dirs))) + ")",
                  "goal", "met"], body)


def runs(dirs):
    body = []
    for i, d in enumerate(dirs):
        with open(os.path.join(d, "machine.txt")) as f:
            m = dict(line.rstrip("\n").split(": ", 1) for line in f
                     if ": " in line)
        body.append([str(i + 1), m.get("date", ""), m.get("commit", ""),
                     m.get("load before", ""), m.get("load after", "")])
    return table(["run", "date", "commit", "load before", "load after"],
                 body)


def main(argv):
    perf_dir = None
    if len(argv) > 2 and argv[1] == "--perf":
        perf_dir = argv[2]
        argv = argv[:1] + argv[3:]
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    section, dirs = argv[1], argv[2:]
    d = dirs[-1]
    fn = {"llist": llist, "handoff": handoff, "table": table_,
          "refcount": refcount, "free": free, "e2e": e2e, "split": split}
    if section in fn:
        print(fn[section](d))
    elif section == "perf":
        print(perf(perf_dir or os.path.join(d, "..", "perf")))
    elif section == "usdt":
        print(usdt(perf_dir or os.path.join(d, "..", "perf")))
    elif section == "targets":
        print(targets(dirs))
    elif section == "runs":
        print(runs(dirs))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
