// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_rcu_free.c - grace-period frees: nothing is freed while a reader
 * that could see it is inside its read-side section, frees are batched
 * one call_rcu per block, and the barrier leaves nothing behind.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>
#include <baton/rcu_free.h>
#include <baton/role.h>
#include <uapi/baton/baton.h>
#include "../common/cunit.h"
#include "../common/sanitizer.h"

#define NR_THREADS	4
#define PER_THREAD	SELFTEST_SCALE(20000)
#define DEADLINE_S	20

struct item {
	unsigned int magic;
	_Atomic unsigned int *freed;	/* incremented by the free function */
	struct item *then;		/* freed from this one's free, or NULL */
};

#define ITEM_MAGIC	0x17e3u

static pthread_t main_tid;
static _Atomic unsigned int roles_seen[4];
static _Atomic unsigned int on_main_thread;

/* Context: the call_rcu thread, role RCU; thread-safe (atomics only). */
static void item_free(void *p)
{
	struct item *it = p;

	atomic_fetch_add(&roles_seen[role_current()], 1);
	if (pthread_equal(pthread_self(), main_tid))
		atomic_fetch_add(&on_main_thread, 1);
	atomic_fetch_add(it->freed, 1);
	/* A free that frees more: queued from the call_rcu thread. */
	if (it->then)
		rcu_free(it->then, item_free);
	it->magic = 0;
	free(it);
}

static struct item *item_new(_Atomic unsigned int *freed)
{
	struct item *it = calloc(1, sizeof(*it));

	if (it) {
		it->magic = ITEM_MAGIC;
		it->freed = freed;
	}
	return it;
}

static void reset_roles(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(roles_seen); i++)
		atomic_store(&roles_seen[i], 0);
	atomic_store(&on_main_thread, 0);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void wait_step(_Atomic int *step, int want)
{
	double deadline = now_s() + DEADLINE_S;

	while (atomic_load_explicit(step, memory_order_acquire) < want &&
	       now_s() < deadline)
		usleep(100);
}

/* ------------------------------------------------------------------ */

struct reader_arg {
	struct item *it;
	_Atomic int step;	/* 1: inside; 2: main queued the free; 3: out */
	unsigned int magic_seen;
};

static void *reader_thread(void *p)
{
	struct reader_arg *a = p;

	baton_rcu_register_thread();
	baton_rcu_read_lock();
	atomic_store_explicit(&a->step, 1, memory_order_release);
	wait_step(&a->step, 2);
	/* Still inside the section that saw the pointer: memory valid. */
	a->magic_seen = a->it->magic;
	baton_rcu_read_unlock();
	atomic_store_explicit(&a->step, 3, memory_order_release);
	baton_rcu_unregister_thread();
	return NULL;
}

static void test_grace_period_waits_for_reader(void)
{
	_Atomic unsigned int freed = 0;
	struct reader_arg a = { 0 };
	pthread_t thr;

	reset_roles();
	a.it = item_new(&freed);
	CU_ASSERT_FATAL(a.it != NULL);
	CU_ASSERT_FATAL(pthread_create(&thr, NULL, reader_thread, &a) == 0);
	wait_step(&a.step, 1);
	CU_ASSERT_EQUAL_FATAL(atomic_load(&a.step), 1);
	/* The reader holds the pointer inside its section; "unpublish"
	 * it and queue the free. */
	rcu_free(a.it, item_free);
	rcu_free_flush();
	/* Several call_rcu rounds (each sleeps ~10 ms): none may free. */
	usleep(100 * 1000);
	CU_ASSERT_EQUAL(atomic_load(&freed), 0);
	atomic_store_explicit(&a.step, 2, memory_order_release);
	wait_step(&a.step, 3);
	pthread_join(thr, NULL);
	CU_ASSERT_EQUAL(a.magic_seen, ITEM_MAGIC);
	rcu_free_barrier();
	CU_ASSERT_EQUAL(atomic_load(&freed), 1);
	CU_ASSERT_EQUAL(atomic_load(&roles_seen[BATON_ROLE_RCU]), 1);
	CU_ASSERT_EQUAL(atomic_load(&on_main_thread), 0);
}

/* N frees make N / BATON_RCU_FREE_BATCH call_rcu batches, plus a flush. */
static void test_batching(void)
{
	const unsigned int full = 3, extra = 7;
	const unsigned int n = full * BATON_RCU_FREE_BATCH + extra;
	_Atomic unsigned int freed = 0;
	unsigned long b0, f0, b1, f1;
	unsigned int i;

	reset_roles();
	rcu_free_flush();		/* start from an empty block */
	rcu_free_stats(&b0, &f0);
	for (i = 0; i < n; i++) {
		struct item *it = item_new(&freed);

		CU_ASSERT_FATAL(it != NULL);
		rcu_free(it, item_free);
	}
	rcu_free_stats(&b1, NULL);
	CU_ASSERT_EQUAL(b1 - b0, full);
	rcu_free_flush();
	rcu_free_stats(&b1, NULL);
	CU_ASSERT_EQUAL(b1 - b0, full + 1);
	/* An empty flush hands nothing. */
	rcu_free_flush();
	rcu_free_stats(&b1, NULL);
	CU_ASSERT_EQUAL(b1 - b0, full + 1);
	rcu_free_barrier();
	rcu_free_stats(&b1, &f1);
	CU_ASSERT_EQUAL(atomic_load(&freed), n);
	CU_ASSERT_EQUAL(f1 - f0, n);
	CU_ASSERT_EQUAL(atomic_load(&roles_seen[BATON_ROLE_RCU]), n);
}

/* A free function that queues another free: one barrier waits for both. */
static void test_cascade(void)
{
	_Atomic unsigned int freed = 0;
	struct item *a, *b, *c;

	a = item_new(&freed);
	b = item_new(&freed);
	c = item_new(&freed);
	CU_ASSERT_FATAL(a && b && c);
	a->then = b;
	b->then = c;
	rcu_free(a, item_free);
	rcu_free_barrier();
	CU_ASSERT_EQUAL(atomic_load(&freed), 3);
}

/* Misuse: a barrier inside a read-side section must not hang. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int log_errors;

static void log_capture(enum baton_log_level level, const char *msg, void *arg)
{
	pthread_mutex_lock(&log_lock);
	log_errors += level == BATON_LOG_ERR;
	pthread_mutex_unlock(&log_lock);
}

static const struct baton_log_ops log_ops = {
	.fn = log_capture, .max_level = BATON_LOG_DEBUG,
};

static void test_barrier_inside_reader_refused(void)
{
	_Atomic unsigned int freed = 0;
	struct item *it = item_new(&freed);
	double t0;

	CU_ASSERT_FATAL(it != NULL);
	baton_log_set(&log_ops);
	rcu_free(it, item_free);
	baton_rcu_read_lock();
	t0 = now_s();
	rcu_free_barrier();	/* would deadlock: refused */
	CU_ASSERT_TRUE(now_s() - t0 < 1.0);
	baton_rcu_read_unlock();
	pthread_mutex_lock(&log_lock);
	CU_ASSERT_EQUAL(log_errors, 1);
	pthread_mutex_unlock(&log_lock);
	baton_log_set(NULL);
	rcu_free_barrier();
	CU_ASSERT_EQUAL(atomic_load(&freed), 1);
}

/* ------------------------------------------------------------------ */

struct worker_arg {
	unsigned int nr;
	_Atomic unsigned int *freed;
	bool direct_urcu;	/* register with liburcu, exit unflushed */
	pthread_barrier_t *start;
	unsigned long batches_before_exit;
};

static void *worker_thread(void *p)
{
	struct worker_arg *a = p;
	unsigned int i;

	if (a->direct_urcu)
		urcu_memb_register_thread();
	else
		baton_rcu_register_thread();
	role_enter_io(NULL, 0);
	if (a->start)
		pthread_barrier_wait(a->start);
	for (i = 0; i < a->nr; i++) {
		struct item *it = item_new(a->freed);

		if (!it)
			abort();
		baton_rcu_read_lock();	/* a free from inside a reader is fine */
		rcu_free(it, item_free);
		baton_rcu_read_unlock();
	}
	role_leave_io();
	rcu_free_stats(&a->batches_before_exit, NULL);
	if (a->direct_urcu)
		urcu_memb_unregister_thread();	/* partial block stays */
	else
		baton_rcu_unregister_thread();	/* flushes */
	return NULL;
}

/* Unregistering through baton hands the partial block over. */
static void test_unregister_flushes(void)
{
	_Atomic unsigned int freed = 0;
	struct worker_arg a = { .nr = 5, .freed = &freed };
	unsigned long b1;
	pthread_t thr;

	CU_ASSERT_FATAL(pthread_create(&thr, NULL, worker_thread, &a) == 0);
	pthread_join(thr, NULL);
	rcu_free_stats(&b1, NULL);
	CU_ASSERT_EQUAL(b1, a.batches_before_exit + 1);
	rcu_free_barrier();
	CU_ASSERT_EQUAL(atomic_load(&freed), 5);
}

/* A thread that exits with a partial block does not leak it. */
static void test_thread_exit_orphan(void)
{
	_Atomic unsigned int freed = 0;
	struct worker_arg a = { .nr = 9, .freed = &freed, .direct_urcu = true };
	unsigned long b0, b1;
	pthread_t thr;

	rcu_free_stats(&b0, NULL);
	CU_ASSERT_FATAL(pthread_create(&thr, NULL, worker_thread, &a) == 0);
	pthread_join(thr, NULL);
	rcu_free_stats(&b1, NULL);
	CU_ASSERT_EQUAL(b1, b0);		/* parked, not handed */
	CU_ASSERT_EQUAL(atomic_load(&freed), 0);
	rcu_free_barrier();		/* picks up the orphan */
	rcu_free_stats(&b1, NULL);
	CU_ASSERT_EQUAL(b1, b0 + 1);
	CU_ASSERT_EQUAL(atomic_load(&freed), 9);
}

/* Many threads free at once; the barrier leaves nothing behind. */
static void test_many_threads(void)
{
	_Atomic unsigned int freed = 0;
	struct worker_arg args[NR_THREADS];
	pthread_t thr[NR_THREADS];
	pthread_barrier_t start;
	unsigned long b0, f0, b1, f1;
	unsigned int i;

	reset_roles();
	rcu_free_stats(&b0, &f0);
	pthread_barrier_init(&start, NULL, NR_THREADS);
	for (i = 0; i < NR_THREADS; i++) {
		args[i] = (struct worker_arg){ .nr = PER_THREAD,
			.freed = &freed, .start = &start };
		CU_ASSERT_FATAL(pthread_create(&thr[i], NULL, worker_thread,
					       &args[i]) == 0);
	}
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(thr[i], NULL);
	pthread_barrier_destroy(&start);
	rcu_free_barrier();
	rcu_free_stats(&b1, &f1);
	CU_ASSERT_EQUAL(atomic_load(&freed), NR_THREADS * PER_THREAD);
	CU_ASSERT_EQUAL(f1 - f0, NR_THREADS * PER_THREAD);
	/* Full blocks, plus at most one partial block per thread. */
	CU_ASSERT_TRUE(b1 - b0 >= NR_THREADS * PER_THREAD / BATON_RCU_FREE_BATCH);
	CU_ASSERT_TRUE(b1 - b0 <= NR_THREADS *
		       (PER_THREAD / BATON_RCU_FREE_BATCH + 1));
	CU_ASSERT_EQUAL(atomic_load(&roles_seen[BATON_ROLE_RCU]),
			NR_THREADS * PER_THREAD);
}

/* Enters the main role for the whole run: outside the role analysis. */
static int suite_init(void) __no_role_analysis
{
	main_tid = pthread_self();
	role_enter_main(NULL);
	baton_rcu_register_thread();
	return 0;
}

static int suite_cleanup(void) __no_role_analysis
{
	assert_main();
	rcu_free_barrier();
	baton_rcu_unregister_thread();
	role_leave_main();
	return 0;
}

static const struct cunit_test tests[] = {
	CUNIT_TEST(test_grace_period_waits_for_reader),
	CUNIT_TEST(test_batching),
	CUNIT_TEST(test_cascade),
	CUNIT_TEST(test_barrier_inside_reader_refused),
	CUNIT_TEST(test_unregister_flushes),
	CUNIT_TEST(test_thread_exit_orphan),
	CUNIT_TEST(test_many_threads),
};

int main(void)
{
	return cunit_run("rcu_free", tests, ARRAY_SIZE(tests), suite_init,
			 suite_cleanup);
}
