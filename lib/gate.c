// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gate.c - the test side of GATE(): hold a thread at a named point, count
 * passes, wait for them.  Compiled only into the test-gates copy of the
 * library (-DBATON_TEST_GATES); see include/baton/gate.h.
 */
#ifndef BATON_TEST_GATES
# error "lib/gate.c belongs to the test-gates build only (-DBATON_TEST_GATES)"
#endif

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <baton/compiler.h>
#include <baton/gate.h>
#include <baton/logging.h>

#define GATE_POLL_NS	(100 * 1000)

/* What a gate's @state says. */
enum {
	GATE_OPEN = 0,		/* threads go through */
	GATE_ARMED,		/* the next thread stops */
	GATE_HOLDING,		/* a thread is stopped here */
};

/**
 * struct gate - one named gate
 * @name: ATOMIC: NULL while the slot is free; claimed once with a CAS,
 *	never changed after
 * @passes: ATOMIC: threads that went through (release increment, read
 *	with acquire by the test)
 * @state: ATOMIC: GATE_OPEN, GATE_ARMED (set by the test), GATE_HOLDING
 *	(the passing thread's CAS from ARMED: it stops while the state
 *	stays so); the test's store of GATE_OPEN lets it go.  Stores are
 *	release, loads and the CAS acquire.
 */
struct gate {
	_Atomic(const char *) name	__rule(ATOMIC);
	_Atomic unsigned long passes	__rule(ATOMIC);
	_Atomic unsigned int state	__rule(ATOMIC);
} __shared_struct;

static struct gate gates[GATE_MAX] __rule(IMMUTABLE);	/* fields: their own rules */

static long gate_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void gate_nap(void)
{
	struct timespec ts = { .tv_nsec = GATE_POLL_NS };

	nanosleep(&ts, NULL);
}

static _Atomic bool gate_warned_full __rule(ATOMIC);	/* log_once() */

/*
 * The gate called @name, claimed on first use.  Every caller scans the
 * slots in order and claims the first free one, so two threads looking
 * for the same new name meet at the same slot: the CAS loser reads the
 * winner's name there.  Returns NULL when the table is full.
 */
static struct gate *gate_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < GATE_MAX; i++) {
		struct gate *g = &gates[i];
		/* Acquire: pairs with the CAS that claimed the slot, so the
		 * name's bytes are visible. */
		const char *cur = atomic_load_explicit(&g->name,
						       memory_order_acquire);

		if (!cur) {
			if (atomic_compare_exchange_strong_explicit(&g->name,
					&cur, name, memory_order_acq_rel,
					memory_order_acquire))
				return g;
			/* Lost the race: @cur is the winner's name. */
		}
		if (cur == name || !strcmp(cur, name))
			return g;
	}
	log_once(gate_warned_full, BATON_LOG_ERR,
		 "gate: more than %d gate names", GATE_MAX);
	return NULL;
}

/**
 * gate_pass - what GATE(@name) does in the test-gates build
 * @name: the gate's name
 *
 * Stops here when the gate is armed, until gate_release() (or
 * GATE_HOLD_MAX_MS), then counts the pass.
 *
 * Context: any thread.  A thread held inside an RCU read-side section
 * holds back grace periods for as long: that is the test's choice.
 */
void gate_pass(const char *name)
{
	struct gate *g = gate_find(name);
	unsigned int armed = GATE_ARMED;
	long deadline;

	if (!g)
		return;
	/* Acq_rel: one passer takes the test's arm (release store). */
	if (atomic_compare_exchange_strong_explicit(&g->state, &armed,
						    GATE_HOLDING,
						    memory_order_acq_rel,
						    memory_order_relaxed)) {
		deadline = gate_now_ms() + GATE_HOLD_MAX_MS;
		/* Acquire: pairs with gate_release()'s release store. */
		while (atomic_load_explicit(&g->state, memory_order_acquire) ==
		       GATE_HOLDING) {
			if (gate_now_ms() > deadline) {
				pr_err("gate: %s: held for %d ms and never "
				       "released; going on", name,
				       GATE_HOLD_MAX_MS);
				break;
			}
			gate_nap();
		}
	}
	/* Release: the test that sees the pass sees what came before it. */
	atomic_fetch_add_explicit(&g->passes, 1, memory_order_release);
}

/**
 * gate_arm - stop the next thread that passes @name
 * @name: the gate
 *
 * Context: the test's thread.
 * Return: 0; -EBUSY when a thread is held there already (one at a time);
 * -ENOSPC when there are already GATE_MAX gate names.
 */
int gate_arm(const char *name)
{
	struct gate *g = gate_find(name);
	unsigned int cur = GATE_OPEN;

	if (!g)
		return -ENOSPC;
	/* Release: pairs with the passer's CAS. */
	if (atomic_compare_exchange_strong_explicit(&g->state, &cur,
						    GATE_ARMED,
						    memory_order_release,
						    memory_order_relaxed))
		return 0;
	return cur == GATE_ARMED ? 0 : -EBUSY;
}

/**
 * gate_wait_held - wait until a thread is stopped at @name
 * @name: the gate, armed with gate_arm()
 * @timeout_ms: how long to wait at most
 *
 * Context: the test's thread.
 * Return: true when a thread is stopped there, false when none was by the
 * deadline.
 */
bool gate_wait_held(const char *name, int timeout_ms)
{
	struct gate *g = gate_find(name);
	long deadline = gate_now_ms() + timeout_ms;

	if (!g)
		return false;
	/* Acquire: pairs with the held thread's CAS: what it did before the
	 * gate is visible to the test. */
	while (atomic_load_explicit(&g->state, memory_order_acquire) !=
	       GATE_HOLDING) {
		if (gate_now_ms() > deadline)
			return false;
		gate_nap();
	}
	return true;
}

/**
 * gate_passes - how many times @name was passed
 * @name: the gate
 *
 * Context: the test's thread.
 * Return: the count (acquire: what each passer did before is visible).
 */
unsigned long gate_passes(const char *name)
{
	struct gate *g = gate_find(name);

	return g ? atomic_load_explicit(&g->passes, memory_order_acquire) : 0;
}

/**
 * gate_wait_passes - wait until @name was passed @n times in all
 * @name: the gate
 * @n: the count to reach (take gate_passes() first and add to it)
 * @timeout_ms: how long to wait at most
 *
 * Context: the test's thread.
 * Return: true when the count reached @n, false at the deadline.
 */
bool gate_wait_passes(const char *name, unsigned long n, int timeout_ms)
{
	long deadline = gate_now_ms() + timeout_ms;

	for (;;) {
		if (gate_passes(name) >= n)
			return true;
		if (gate_now_ms() > deadline)
			return false;
		gate_nap();
	}
}

/**
 * gate_release - open @name: a held thread goes on, an armed gate is
 * disarmed
 * @name: the gate
 *
 * Context: the test's thread.
 */
void gate_release(const char *name)
{
	struct gate *g = gate_find(name);

	/* Release: pairs with the held thread's acquire poll. */
	if (g)
		atomic_store_explicit(&g->state, GATE_OPEN,
				      memory_order_release);
}

/**
 * gate_reset - open every gate
 *
 * Pass counts stay: tests compare them with a count taken before.
 *
 * Context: the test's thread, between tests.
 */
void gate_reset(void)
{
	unsigned int i;

	for (i = 0; i < GATE_MAX; i++)
		atomic_store_explicit(&gates[i].state, GATE_OPEN,
				      memory_order_release);
}
