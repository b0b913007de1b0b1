// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_refcount.c - selftest of refcount_t: the operations, saturation at
 * both ends with one log message per kind, and a concurrent get/put run
 * in which every object must be freed exactly once.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <baton/refcount.h>
#include <baton/log.h>
#include "../common/cunit.h"
#include "../common/sanitizer.h"

/* ------------------------------------------------------------------ */
/* The log callback: count refcount messages by kind. */

enum msg_kind { MSG_ADD_OVF, MSG_ADD_UAF, MSG_SUB_UAF, MSG_DEC_LEAK,
		MSG_OTHER, NR_MSG_KINDS };

/* What refcount.c says for each kind (a substring of its message). */
static const char *const msg_text[] = {
	[MSG_ADD_OVF] = "saturated; leaking memory",
	[MSG_ADD_UAF] = "addition on 0; use-after-free",
	[MSG_SUB_UAF] = "underflow; use-after-free",
	[MSG_DEC_LEAK] = "decrement hit 0; leaking memory",
};

/* ATOMIC: the callback may run on any thread; relaxed counters read by
 * the test thread after the operations that log returned (or joined). */
static _Atomic unsigned int msg_count[NR_MSG_KINDS];

static void count_msg(enum baton_log_level level, const char *msg, void *arg)
{
	unsigned int k;

	for (k = 0; k < MSG_OTHER; k++)
		if (strstr(msg, msg_text[k]))
			break;
	atomic_fetch_add_explicit(&msg_count[k], 1, memory_order_relaxed);
	printf("\n    log(%d): %s\n", level, msg);
}

static const struct baton_log_ops count_ops = {
	.fn = count_msg,
	.max_level = BATON_LOG_DEBUG,
};

static unsigned int msgs(enum msg_kind k)
{
	return atomic_load_explicit(&msg_count[k], memory_order_relaxed);
}

static int suite_init(void)
{
	baton_log_set(&count_ops);
	return 0;
}

static int suite_cleanup(void)
{
	baton_log_set(NULL);
	return 0;
}

/* ------------------------------------------------------------------ */

static void test_ops(void)
{
	refcount_t r = REFCOUNT_INIT(1);
	unsigned int i;

	CU_ASSERT_EQUAL(refcount_read(&r), 1);
	refcount_set(&r, 5);
	CU_ASSERT_EQUAL(refcount_read(&r), 5);
	refcount_inc(&r);
	CU_ASSERT_EQUAL(refcount_read(&r), 6);
	refcount_dec(&r);
	CU_ASSERT_EQUAL(refcount_read(&r), 5);
	CU_ASSERT_TRUE(refcount_inc_not_zero(&r));
	CU_ASSERT_EQUAL(refcount_read(&r), 6);

	/* Only the decrement from 1 to 0 says "free". */
	for (i = 6; i > 1; i--) {
		CU_ASSERT_FALSE(refcount_dec_and_test(&r));
		CU_ASSERT_EQUAL(refcount_read(&r), i - 1);
	}
	CU_ASSERT_TRUE(refcount_dec_and_test(&r));
	CU_ASSERT_EQUAL(refcount_read(&r), 0);

	/* A dying object cannot be revived by a lookup. */
	CU_ASSERT_FALSE(refcount_inc_not_zero(&r));
	CU_ASSERT_EQUAL(refcount_read(&r), 0);

	/* Up to the maximum is legal and silent. */
	refcount_set(&r, REFCOUNT_MAX - 1);
	refcount_inc(&r);
	CU_ASSERT_EQUAL(refcount_read(&r), REFCOUNT_MAX);
	CU_ASSERT_FALSE(refcount_dec_and_test(&r));
	CU_ASSERT_EQUAL(refcount_read(&r), REFCOUNT_MAX - 1);

	CU_ASSERT_TRUE(REFCOUNT_SATURATED > REFCOUNT_MAX);
	for (i = 0; i < NR_MSG_KINDS; i++)
		CU_ASSERT_EQUAL(msgs(i), 0);
}

/* ------------------------------------------------------------------ */
/* Concurrent gets and puts: the last put frees, exactly once. */

#define NR_THREADS	4
#define NR_OBJS		256
#define MAX_HELD	16
#define NR_OPS		SELFTEST_SCALE(200000u)
/*
 * One op in 8 is a removal attempt; one in KILL_DIV of those goes ahead,
 * for about 2 * NR_OBJS attempts in all, so objects die (and lookups of
 * dead objects fail) all along the run rather than all at its start.
 */
#define KILL_DIV	(NR_THREADS * NR_OPS / 8 / (2 * NR_OBJS) + 1)

/*
 * struct pool_obj - an object of the pool; its memory stays valid for the
 * whole run (type-stable, like SLAB_TYPESAFE_BY_RCU), so a lookup of a
 * freed object is legal and must fail in refcount_inc_not_zero().
 * @ref: ATOMIC: the references; the pool holds one while @in_pool
 * @in_pool: ATOMIC: whoever exchanges it to false drops the pool's reference
 * @frees: ATOMIC: times the object was freed (must end at 1)
 * @touch: OWNER: touch[t] is written only by thread t while it holds a
 *	reference; read by the freeing thread after its final put, which
 *	orders every earlier put (and so every touch) before the read
 * @touch_sum: written once by the freeing thread, read after the join
 */
struct pool_obj {
	refcount_t ref;
	atomic_bool in_pool;
	_Atomic unsigned int frees;
	unsigned long touch[NR_THREADS];
	unsigned long touch_sum;
};

struct pool_thread {
	struct pool_obj *objs;
	unsigned int id;
	uint64_t rng;
	unsigned long touches[NR_OBJS];	/* what this thread did, per object */
	unsigned long gets, failed_gets, frees, kills;
};

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* The final put: account the free; runs on whichever thread put last. */
static void pool_obj_free(struct pool_obj *o, struct pool_thread *t)
{
	unsigned long sum = 0;
	unsigned int i;

	for (i = 0; i < NR_THREADS; i++)
		sum += o->touch[i];
	o->touch_sum = sum;
	atomic_fetch_add_explicit(&o->frees, 1, memory_order_relaxed);
	if (t)
		t->frees++;
}

static void pool_put(struct pool_obj *o, struct pool_thread *t)
{
	if (refcount_dec_and_test(&o->ref))
		pool_obj_free(o, t);
}

static void *pool_thread_fn(void *arg)
{
	struct pool_thread *t = arg;
	unsigned int held[MAX_HELD], nr_held = 0, op;

	for (op = 0; op < NR_OPS; op++) {
		uint64_t r = xorshift(&t->rng);
		unsigned int idx = (r >> 16) % NR_OBJS;
		struct pool_obj *o;

		switch (r & 7) {
		case 0: case 1: case 2: case 3:		/* lookup + get */
			if (nr_held == MAX_HELD)
				break;
			o = &t->objs[idx];
			if (!refcount_inc_not_zero(&o->ref)) {
				t->failed_gets++;
				break;
			}
			t->gets++;
			o->touch[t->id]++;
			t->touches[idx]++;
			held[nr_held++] = idx;
			break;
		case 4: case 5: case 6:			/* put */
			if (!nr_held)
				break;
			idx = held[--nr_held];
			o = &t->objs[idx];
			o->touch[t->id]++;
			t->touches[idx]++;
			pool_put(o, t);
			break;
		default:				/* remove from pool */
			if ((r >> 40) % KILL_DIV)
				break;
			o = &t->objs[idx];
			if (atomic_exchange_explicit(&o->in_pool, false,
						     memory_order_relaxed)) {
				t->kills++;
				pool_put(o, t);
			}
			break;
		}
	}
	while (nr_held) {
		unsigned int idx = held[--nr_held];

		t->objs[idx].touch[t->id]++;
		t->touches[idx]++;
		pool_put(&t->objs[idx], t);
	}
	return NULL;
}

static void test_concurrent_get_put(void)
{
	struct pool_thread *threads = calloc(NR_THREADS, sizeof(*threads));
	struct pool_obj *objs = calloc(NR_OBJS, sizeof(*objs));
	pthread_t tids[NR_THREADS];
	unsigned long bad_frees = 0, bad_counts = 0, bad_sums = 0;
	unsigned long gets = 0, failed = 0, kills = 0, frees = 0;
	unsigned int i, t, final_kills = 0;

	CU_ASSERT_FATAL(threads && objs);
	for (i = 0; i < NR_OBJS; i++) {
		refcount_set(&objs[i].ref, 1);	/* the pool's reference */
		atomic_init(&objs[i].in_pool, true);
		atomic_init(&objs[i].frees, 0);
	}
	for (t = 0; t < NR_THREADS; t++) {
		threads[t].objs = objs;
		threads[t].id = t;
		threads[t].rng = 0x9e3779b97f4a7c15ull * (t + 1);
		CU_ASSERT_FATAL(pthread_create(&tids[t], NULL, pool_thread_fn,
					       &threads[t]) == 0);
	}
	for (t = 0; t < NR_THREADS; t++)
		pthread_join(tids[t], NULL);

	/* Drop the pool's references that no thread removed. */
	for (i = 0; i < NR_OBJS; i++) {
		if (atomic_exchange(&objs[i].in_pool, false)) {
			final_kills++;
			pool_put(&objs[i], NULL);
		}
	}

	for (i = 0; i < NR_OBJS; i++) {
		unsigned long sum = 0;

		for (t = 0; t < NR_THREADS; t++)
			sum += threads[t].touches[i];
		if (atomic_load(&objs[i].frees) != 1)
			bad_frees++;
		if (refcount_read(&objs[i].ref) != 0)
			bad_counts++;
		if (objs[i].touch_sum != sum)
			bad_sums++;
	}
	for (t = 0; t < NR_THREADS; t++) {
		gets += threads[t].gets;
		failed += threads[t].failed_gets;
		kills += threads[t].kills;
		frees += threads[t].frees;
	}
	printf("\n    %u threads x %u ops on %u objects: %lu gets, %lu failed "
	       "gets (freed), %lu removed by threads, %u at the end, %lu "
	       "freed by threads\n", NR_THREADS, NR_OPS, NR_OBJS, gets, failed,
	       kills, final_kills, frees);
	CU_ASSERT_EQUAL(bad_frees, 0);
	CU_ASSERT_EQUAL(bad_counts, 0);
	CU_ASSERT_EQUAL(bad_sums, 0);
	CU_ASSERT_EQUAL(kills + final_kills, NR_OBJS);
	CU_ASSERT(gets > 0);
	/* No misuse, so no saturation message. */
	for (i = 0; i < NR_MSG_KINDS; i++)
		CU_ASSERT_EQUAL(msgs(i), 0);
	free(objs);
	free(threads);
}

/* ------------------------------------------------------------------ */
/* Saturation: each kind pins the count and logs once per process. */

/* Once saturated, nothing brings the count back or says "free". */
static void assert_stays_saturated(refcount_t *r)
{
	unsigned int i, freed = 0;

	CU_ASSERT_EQUAL(refcount_read(r), REFCOUNT_SATURATED);
	for (i = 0; i < 1000; i++) {
		freed += refcount_dec_and_test(r);
		refcount_dec(r);
		refcount_inc(r);
		if (!refcount_inc_not_zero(r))
			freed++;
	}
	CU_ASSERT_EQUAL(freed, 0);
	CU_ASSERT_EQUAL(refcount_read(r), REFCOUNT_SATURATED);
}

static void test_saturate_inc_overflow(void)
{
	refcount_t r = REFCOUNT_INIT(REFCOUNT_MAX);
	refcount_t r2 = REFCOUNT_INIT(REFCOUNT_MAX);

	refcount_inc(&r);
	CU_ASSERT_EQUAL(refcount_read(&r), REFCOUNT_SATURATED);
	CU_ASSERT_EQUAL(msgs(MSG_ADD_OVF), 1);
	/* The same kind again, here through inc_not_zero: no new message. */
	CU_ASSERT_TRUE(refcount_inc_not_zero(&r2));
	CU_ASSERT_EQUAL(refcount_read(&r2), REFCOUNT_SATURATED);
	refcount_inc(&r2);
	CU_ASSERT_EQUAL(msgs(MSG_ADD_OVF), 1);
	assert_stays_saturated(&r);
	assert_stays_saturated(&r2);
}

static void test_saturate_inc_from_zero(void)
{
	refcount_t r = REFCOUNT_INIT(0);

	CU_ASSERT_EQUAL(msgs(MSG_ADD_UAF), 0);
	refcount_inc(&r);
	CU_ASSERT_EQUAL(refcount_read(&r), REFCOUNT_SATURATED);
	CU_ASSERT_EQUAL(msgs(MSG_ADD_UAF), 1);
	refcount_set(&r, 0);
	refcount_inc(&r);
	CU_ASSERT_EQUAL(refcount_read(&r), REFCOUNT_SATURATED);
	CU_ASSERT_EQUAL(msgs(MSG_ADD_UAF), 1);
	assert_stays_saturated(&r);
}

static void test_saturate_dec_below_zero(void)
{
	refcount_t r = REFCOUNT_INIT(0);
	refcount_t r2 = REFCOUNT_INIT(0);

	/*
	 * assert_stays_saturated() above already decremented saturated
	 * counts, which is this kind: it has logged exactly once.
	 */
	CU_ASSERT_EQUAL(msgs(MSG_SUB_UAF), 1);
	CU_ASSERT_FALSE(refcount_dec_and_test(&r));
	CU_ASSERT_EQUAL(refcount_read(&r), REFCOUNT_SATURATED);
	refcount_dec(&r2);
	CU_ASSERT_EQUAL(refcount_read(&r2), REFCOUNT_SATURATED);
	CU_ASSERT_EQUAL(msgs(MSG_SUB_UAF), 1);
	assert_stays_saturated(&r);
	assert_stays_saturated(&r2);
}

static void test_saturate_dec_to_zero(void)
{
	refcount_t r = REFCOUNT_INIT(1);

	CU_ASSERT_EQUAL(msgs(MSG_DEC_LEAK), 0);
	/* refcount_dec() may not drop the last reference: it leaks. */
	refcount_dec(&r);
	CU_ASSERT_EQUAL(refcount_read(&r), REFCOUNT_SATURATED);
	CU_ASSERT_EQUAL(msgs(MSG_DEC_LEAK), 1);
	refcount_set(&r, 1);
	refcount_dec(&r);
	CU_ASSERT_EQUAL(refcount_read(&r), REFCOUNT_SATURATED);
	CU_ASSERT_EQUAL(msgs(MSG_DEC_LEAK), 1);
	assert_stays_saturated(&r);
}

/* Threads hammering a saturated count never see it reach zero. */
static void *saturated_hammer(void *arg)
{
	refcount_t *r = arg;
	uintptr_t freed = 0;
	unsigned int i;

	for (i = 0; i < SELFTEST_SCALE(100000u); i++) {
		freed += refcount_dec_and_test(r);
		refcount_inc(r);
	}
	return (void *)freed;
}

static void test_saturated_concurrent(void)
{
	refcount_t r = REFCOUNT_INIT(0);
	pthread_t tids[NR_THREADS];
	uintptr_t freed = 0;
	unsigned int t;

	refcount_inc(&r);	/* from zero: saturates */
	for (t = 0; t < NR_THREADS; t++)
		CU_ASSERT_FATAL(pthread_create(&tids[t], NULL,
					       saturated_hammer, &r) == 0);
	for (t = 0; t < NR_THREADS; t++) {
		void *ret;

		pthread_join(tids[t], &ret);
		freed += (uintptr_t)ret;
	}
	CU_ASSERT_EQUAL(freed, 0);
	/*
	 * Each thread's every step ends with its own store of SATURATED,
	 * so the last write to the count is such a store.
	 */
	CU_ASSERT_EQUAL(refcount_read(&r), REFCOUNT_SATURATED);
}

/* After every kind was hit many times: one message each, nothing else. */
static void test_one_message_per_kind(void)
{
	unsigned int k;

	for (k = 0; k < MSG_OTHER; k++)
		CU_ASSERT_EQUAL(msgs(k), 1);
	CU_ASSERT_EQUAL(msgs(MSG_OTHER), 0);
}

static const struct cunit_test tests[] = {
	CUNIT_TEST(test_ops),
	CUNIT_TEST(test_concurrent_get_put),
	CUNIT_TEST(test_saturate_inc_overflow),
	CUNIT_TEST(test_saturate_inc_from_zero),
	CUNIT_TEST(test_saturate_dec_below_zero),
	CUNIT_TEST(test_saturate_dec_to_zero),
	CUNIT_TEST(test_saturated_concurrent),
	CUNIT_TEST(test_one_message_per_kind),
};

int main(void)
{
	return cunit_run("refcount", tests, ARRAY_SIZE(tests), suite_init,
			 suite_cleanup);
}
