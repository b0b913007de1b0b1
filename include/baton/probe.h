/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * probe.h - USDT probes (static tracepoints) at the library's handoffs,
 * wakes and frees, for perf, bpftrace or SystemTap; nothing without
 * <sys/sdt.h>.
 */
#ifndef _BATON_PROBE_H
#define _BATON_PROBE_H

/*
 * DOC: probes
 *
 * BATON_PROBE(name, args...) marks a point of the code as the probe
 * "name" of the provider "baton": a single nop in the code and an ELF
 * note (.note.stapsdt) that says where the nop is and where each
 * argument lives at that point.  A tool that traces the probe (perf
 * turns it into the event sdt_baton:name, see
 * Documentation/performance.rst) puts a breakpoint on the nop.
 * Untraced, a probe costs the nop and its arguments, which are evaluated
 * whether or not anybody traces: they must be cheap and free of side
 * effects (a field, a count of a short list the code just built).
 *
 * The Makefile defines BATON_HAVE_SDT when the compiler finds
 * <sys/sdt.h> (Debian: systemtap-sdt-dev) and SDT=0 is not given.
 * Without it a probe compiles to nothing and its arguments are not
 * evaluated.  Each probe is one line in lib/, named after what it
 * marks, with 1 to 4 integer or pointer arguments, and a row in the
 * probe table of Documentation/performance.rst;
 * selftests/probe/test_probes.sh checks both with readelf -n.
 */
/* Sparse (C=1, __CHECKER__) does not know sdt.h's builtins: it checks
 * the probes compiled out; the compiler after it builds them in. */
#if defined(BATON_HAVE_SDT) && !defined(__CHECKER__)
# define SDT_USE_VARIADIC 1
# include <sys/sdt.h>
# define BATON_PROBE(name, ...)	STAP_PROBEV(baton, name, __VA_ARGS__)
#else
# define BATON_PROBE(name, ...)	do { } while (0)
#endif

#endif /* _BATON_PROBE_H */
