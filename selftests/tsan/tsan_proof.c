// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * tsan_proof.c - deliberately injected races, to prove that the TSan
 * setup (annotations in include/baton/tsan.h and rcu_read.h, and the
 * suppressions of selftests/tsan.supp) still reports real bugs: built and
 * run by test_tsan_proof.sh against a SAN=thread libbaton.a, not by the
 * Kbuild test list (its racy modes are meant to fail).
 *
 * Usage: tsan_proof MODE, MODE one of
 *   refcount-getset  drop = refcount_read() then refcount_set(v - 1), the
 *                    seed's "atomicGet then a non-atomic decrement"
 *   refcount-plain   drop = a plain `--refs` on an unsigned int
 *   refcount-ok      drop = refcount_dec_and_test()
 *   rcu-nogp         unpublish, then free() at once: no grace period
 *   rcu-ok           unpublish, then rcu_free()
 * The racy modes must make TSan report; the -ok modes must not.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu/urcu-memb.h>
#include <baton/rcu_free.h>
#include <baton/rcu_read.h>
#include <baton/refcount.h>
#include <baton/tsan.h>
#include <uapi/baton/rcu.h>

#define REFCOUNT_ROUNDS		2000
#define RCU_UPDATES		5000

/* ------------------------------------------------------------ refcounts */

/*
 * One object per round, two references, one per thread.  Each thread
 * writes its own word of the object and drops its reference; whoever
 * drops the last one frees it.  The barriers order rounds only: within a
 * round the two threads' accesses are ordered by the refcount alone.
 */
struct robj {
	refcount_t refs;		/* the checked modes */
	unsigned int plain_refs;	/* refcount-plain: deliberately racy */
	long data[2];
};

enum drop_mode { DROP_GETSET, DROP_PLAIN, DROP_OK };

static enum drop_mode drop_mode;
static pthread_barrier_t round_start, round_end;
static struct robj *round_obj;		/* written by main between rounds */
static int round_freed[2];		/* per thread, read after round_end */

/* The bug of the seed's rule 3: read the count, then store it minus one.
 * Two drops can both read 2 (a leak), or one's plain store is not a
 * release for the other's free (a race on the object). */
static bool drop_getset(struct robj *o)
{
	unsigned int v = refcount_read(&o->refs);

	refcount_set(&o->refs, v - 1);
	return v == 1;
}

/* Not even atomic: two threads decrement the same word unsynchronized. */
static bool drop_plain(struct robj *o)
{
	return --o->plain_refs == 0;
}

static void *refcount_thread(void *arg)
{
	int self = (int)(long)arg, i;

	for (i = 0; i < REFCOUNT_ROUNDS; i++) {
		struct robj *o;
		bool last;

		pthread_barrier_wait(&round_start);
		o = round_obj;
		o->data[self] = i;	/* the use the free must come after */
		switch (drop_mode) {
		case DROP_GETSET:
			last = drop_getset(o);
			break;
		case DROP_PLAIN:
			last = drop_plain(o);
			break;
		default:
			last = refcount_dec_and_test(&o->refs);
			break;
		}
		round_freed[self] = last;
		if (last)
			free(o);
		pthread_barrier_wait(&round_end);
	}
	return NULL;
}

static int run_refcount(enum drop_mode mode)
{
	pthread_t t[2];
	long leaked = 0;
	int i;

	drop_mode = mode;
	pthread_barrier_init(&round_start, NULL, 3);
	pthread_barrier_init(&round_end, NULL, 3);
	for (i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, refcount_thread, (void *)(long)i);
	for (i = 0; i < REFCOUNT_ROUNDS; i++) {
		struct robj *o = calloc(1, sizeof(*o));

		if (!o)
			abort();
		refcount_set(&o->refs, 2);
		o->plain_refs = 2;
		round_obj = o;
		pthread_barrier_wait(&round_start);
		pthread_barrier_wait(&round_end);
		/* Both lost drops: the broken modes leak; clean up. */
		if (!round_freed[0] && !round_freed[1]) {
			leaked++;
			free(o);
		}
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	printf("refcount: %d rounds, %ld with no free (lost decrements)\n",
	       REFCOUNT_ROUNDS, leaked);
	return mode == DROP_OK && leaked ? 1 : 0;
}

/* ------------------------------------------------------------ RCU */

/*
 * One pointer published the way the client table publishes clients:
 * liburcu's pointer operations (invisible to TSan) plus the tsan_release
 * at publication and tsan_acquire at lookup of include/baton/tsan.h.  A
 * reader looks at the current item under rcu_read_lock_bt(); the writer
 * replaces it and frees the old one, with or without a grace period.
 */
struct item {
	long val;
	long check;		/* always -val */
};

static struct item *current_item;	/* RCU */
static _Atomic bool readers_stop;
static _Atomic long reads;
/*
 * The val of the last item the reader read, so that the writer replaces
 * an item only once the reader has read it: then every update has a read
 * for its free to race with, and the test does not depend on luck.
 * Relaxed on both sides on purpose: a relaxed store and load give TSan no
 * happens-before edge, so they hide nothing from it.
 */
static _Atomic long seen;

static void *rcu_reader(void *arg)
{
	long sum = 0;

	baton_rcu_register_thread();
	while (!atomic_load_explicit(&readers_stop, memory_order_relaxed)) {
		struct item *it;

		rcu_read_lock_bt();
		it = rcu_dereference(current_item);
		if (it) {
			tsan_acquire(it);	/* pairs with the publication */
			sum += it->val + it->check;
			atomic_store_explicit(&seen, it->val,
					      memory_order_relaxed);
		}
		rcu_read_unlock_bt();
		atomic_fetch_add_explicit(&reads, 1, memory_order_relaxed);
	}
	baton_rcu_unregister_thread();
	return (void *)sum;
}

/* Context: the RCU callback thread, after a grace period; thread-safe. */
static void item_free(void *ptr)
{
	free(ptr);
}

static int run_rcu(bool grace_period)
{
	struct item *it, *old;
	pthread_t t;
	void *sum;
	long i, spins;

	baton_rcu_register_thread();
	pthread_create(&t, NULL, rcu_reader, NULL);
	for (i = 1; i <= RCU_UPDATES; i++) {
		it = malloc(sizeof(*it));
		if (!it)
			abort();
		it->val = i;
		it->check = -i;
		tsan_release(it);	/* rcu_assign_pointer, as TSan sees it */
		old = rcu_xchg_pointer(&current_item, it);
		if (!old)
			continue;
		/* Bounded: a starved reader only makes the test weaker. */
		for (spins = 0; spins < 1000000 &&
		     atomic_load_explicit(&seen, memory_order_relaxed) < i - 1;
		     spins++)
			sched_yield();
		if (grace_period)
			rcu_free(old, item_free);
		else
			free(old);	/* the bug: a reader may still see it */
		if (i % 64 == 0)
			rcu_free_flush();
	}
	atomic_store_explicit(&readers_stop, true, memory_order_relaxed);
	pthread_join(t, &sum);
	old = rcu_xchg_pointer(&current_item, NULL);
	free(old);		/* no reader is left */
	rcu_free_barrier();
	baton_rcu_unregister_thread();
	printf("rcu: %d updates, %ld reads, checksum %ld (0 unless a read "
	       "saw freed or reused memory)\n", RCU_UPDATES,
	       atomic_load(&reads), (long)sum);
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(mode, "refcount-getset"))
		return run_refcount(DROP_GETSET);
	if (!strcmp(mode, "refcount-plain"))
		return run_refcount(DROP_PLAIN);
	if (!strcmp(mode, "refcount-ok"))
		return run_refcount(DROP_OK);
	if (!strcmp(mode, "rcu-nogp"))
		return run_rcu(false);
	if (!strcmp(mode, "rcu-ok"))
		return run_rcu(true);
	fprintf(stderr, "usage: %s refcount-getset|refcount-plain|"
		"refcount-ok|rcu-nogp|rcu-ok\n", argv[0]);
	return 2;
}
