/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gate.h - named test hooks in the library: a test holds a thread at a
 * GATE() or waits until one was passed, so that it reaches an
 * interleaving on purpose and can prove it got there.
 */
#ifndef _BATON_GATE_H
#define _BATON_GATE_H

/**
 * DOC: gates
 *
 * GATE("name") marks a point in the library's code that a test may need
 * to reach on purpose: "main is inside @execute", "the worker recorded a
 * PENDING read", "main finalized a client".  In the library that everyone
 * links (libbaton.a, libbaton.so) it compiles to nothing: the name is not
 * even evaluated.  A second copy of the library built with
 * -DBATON_TEST_GATES ($(O)/gates/libbaton-gates.a, linked only by the
 * selftests whose Kbuild entry says <prog>-gates := y) makes each GATE()
 * a call to gate_pass(), and lib/gate.c, compiled only into that copy,
 * gives the test the functions below:
 *
 *   gate_arm(name)              the next thread to pass the gate stops
 *                               there until gate_release(name); one
 *                               thread at a time per gate
 *   gate_wait_held(name, ms)    wait until a thread is stopped there
 *   gate_wait_passes(name, n, ms)  wait until the gate was passed n times
 *   gate_passes(name)           how many times it was passed
 *   gate_release(name)          open the gate: the stopped thread goes
 *                               on (an armed gate is disarmed)
 *   gate_reset()                open every gate
 *
 * A pass is counted after the thread went through (after its hold, if it
 * was stopped).  Waits poll (every 100 us) with a deadline and return
 * false when it passes: a test asserts on the result, so a gate that was
 * never reached fails the test instead of hanging it.  A stopped thread
 * that nobody releases goes on by itself after GATE_HOLD_MAX_MS and logs
 * an error, so a failed test cannot wedge the process.
 *
 * Ordering: a pass is counted with a release increment that
 * gate_passes() and gate_wait_passes() read with acquire, and a thread
 * stops with a CAS that gate_wait_held() reads with acquire, so what the
 * passing thread wrote before the gate is visible to the test once it saw
 * the pass or the hold; gate_release() is a release store that the held
 * thread's poll acquires.  These edges exist only in the gates build and
 * only between a library thread and the test's thread.
 *
 * Gates are process-wide and found by name (at most GATE_MAX distinct
 * names); a gate is a place, not an object, so two clients passing the
 * same gate count as two passes.  Tests that use gates run one server at
 * a time and reset the gates between tests.
 */

#ifdef BATON_TEST_GATES

#include <stdbool.h>

#define GATE_MAX		32
#define GATE_HOLD_MAX_MS	30000

void gate_pass(const char *name);

#define GATE(name)		gate_pass(name)

int gate_arm(const char *name);
bool gate_wait_held(const char *name, int timeout_ms);
bool gate_wait_passes(const char *name, unsigned long n, int timeout_ms);
unsigned long gate_passes(const char *name);
void gate_release(const char *name);
void gate_reset(void);

#else

#define GATE(name)		do { } while (0)

#endif /* BATON_TEST_GATES */

#endif /* _BATON_GATE_H */
