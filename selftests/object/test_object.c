// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_object.c - refcounted objects: type registration, get/put, where the
 * last put frees (main, IO->main queue, in place, after a grace period)
 * and that concurrent puts free every object exactly once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <baton/defer.h>
#include <baton/rcu_free.h>
#include <baton/refcount.h>
#include <baton/role.h>
#include <uapi/baton/baton.h>
#include "../common/cunit.h"
#include "../common/sanitizer.h"

#define NR_THREADS	4
#define NR_OBJS		SELFTEST_SCALE(20000)
#define DEADLINE_S	20

struct tobj {
	struct baton_obj obj;
	unsigned int idx;
	bool heap;		/* free() it in the callback */
};

static pthread_t main_tid;
/* The home queue of the server main plays (none: the test's own). */
static struct baton_defer_queue home;
/* Per-object free counts; sized for the largest test. */
static _Atomic unsigned int free_count[20000];
/* Frees of a main-only type that ran off the main thread or role. */
static _Atomic unsigned int bad_main_frees;
/* Frees seen per role (enum baton_role). */
static _Atomic unsigned int role_frees[4];
/* The thread that ran the last free (for single-object tests). */
static _Atomic(pthread_t) last_free_thread;

static void tobj_freed(struct baton_obj *obj)
{
	struct tobj *t = baton_container_of(obj, struct tobj, obj);

	atomic_fetch_add(&free_count[t->idx], 1);
	atomic_fetch_add(&role_frees[role_current()], 1);
	atomic_store(&last_free_thread, pthread_self());
	if (t->heap)
		free(t);
}

/* Context: main thread only (the type has no FREE_ANY_THREAD flag). */
static void main_only_free(struct baton_obj *obj)
{
	if (role_current() != BATON_ROLE_MAIN ||
	    !pthread_equal(pthread_self(), main_tid))
		atomic_fetch_add(&bad_main_frees, 1);
	tobj_freed(obj);
}

/* Context: any thread; thread-safe (atomics only). */
static void any_thread_free(struct baton_obj *obj)
{
	tobj_freed(obj);
}

static struct baton_type type_main = {
	.name = "test-main-only", .free = main_only_free,
};
static struct baton_type type_any = {
	.name = "test-any-thread", .free = any_thread_free,
	.flags = BATON_TYPE_FREE_ANY_THREAD,
};

static void reset_counts(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(free_count); i++)
		atomic_store(&free_count[i], 0);
	for (i = 0; i < ARRAY_SIZE(role_frees); i++)
		atomic_store(&role_frees[i], 0);
	atomic_store(&bad_main_frees, 0);
}

static struct tobj *tobj_new(struct baton_type *type, unsigned int idx)
{
	struct tobj *t = calloc(1, sizeof(*t));

	if (!t || baton_obj_init(&t->obj, type)) {
		free(t);
		return NULL;
	}
	t->idx = idx;
	t->heap = true;
	return t;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Log capture: the refcount underflow report. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_last[512];
static unsigned int log_errors;

static void log_capture(enum baton_log_level level, const char *msg, void *arg)
{
	pthread_mutex_lock(&log_lock);
	if (level == BATON_LOG_ERR)
		log_errors++;
	snprintf(log_last, sizeof(log_last), "%s", msg);
	pthread_mutex_unlock(&log_lock);
}

static const struct baton_log_ops log_ops = {
	.fn = log_capture, .max_level = BATON_LOG_DEBUG,
};

static void test_type_register(void)
{
	struct baton_type no_name = { .free = any_thread_free };
	struct baton_type no_free = { .name = "x" };
	struct baton_type bad_flags = {
		.name = "x", .free = any_thread_free, .flags = 1u << 5,
	};

	CU_ASSERT_EQUAL(baton_type_register(NULL), -EINVAL);
	CU_ASSERT_EQUAL(baton_type_register(&no_name), -EINVAL);
	CU_ASSERT_EQUAL(baton_type_register(&no_free), -EINVAL);
	CU_ASSERT_EQUAL(baton_type_register(&bad_flags), -EINVAL);
	CU_ASSERT_EQUAL(baton_type_register(&type_main), 0);
	CU_ASSERT_EQUAL(baton_type_register(&type_any), 0);
	/* Twice is harmless. */
	CU_ASSERT_EQUAL(baton_type_register(&type_any), 0);
}

static void test_init_unregistered(void)
{
	static struct baton_type unregistered = {
		.name = "unregistered", .free = any_thread_free,
	};
	struct baton_type bad_flags = {
		.name = "x", .free = any_thread_free, .flags = 1u << 5,
	};
	struct tobj t = { 0 };

	CU_ASSERT_EQUAL(baton_obj_init(&t.obj, &unregistered), -EINVAL);
	CU_ASSERT_EQUAL(baton_obj_init(&t.obj, NULL), -EINVAL);
	CU_ASSERT_EQUAL(baton_obj_init(NULL, &type_any), -EINVAL);
	/* A rejected registration leaves the type unusable. */
	CU_ASSERT_EQUAL(baton_type_register(&bad_flags), -EINVAL);
	CU_ASSERT_EQUAL(baton_obj_init(&t.obj, &bad_flags), -EINVAL);
	CU_ASSERT_EQUAL(baton_obj_init(&t.obj, &type_any), 0);
	CU_ASSERT_EQUAL(baton_obj_refs(&t.obj), 1);
}

/* On main, the last put of a main-only object frees at once, on main. */
static void test_get_put_on_main(void)
{
	struct tobj *t;

	reset_counts();
	t = tobj_new(&type_main, 1);
	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_EQUAL(baton_obj_refs(&t->obj), 1);
	CU_ASSERT_PTR_EQUAL(baton_obj_get(&t->obj), &t->obj);
	CU_ASSERT_EQUAL(baton_obj_refs(&t->obj), 2);
	baton_obj_put(&t->obj);
	CU_ASSERT_EQUAL(baton_obj_refs(&t->obj), 1);
	CU_ASSERT_EQUAL(atomic_load(&free_count[1]), 0);
	baton_obj_put(&t->obj);
	CU_ASSERT_EQUAL(atomic_load(&free_count[1]), 1);
	CU_ASSERT_EQUAL(atomic_load(&role_frees[BATON_ROLE_MAIN]), 1);
	CU_ASSERT_EQUAL(atomic_load(&bad_main_frees), 0);
}

static void test_get_unless_zero(void)
{
	struct tobj t = { .idx = 2 };

	reset_counts();
	CU_ASSERT_FATAL(baton_obj_init(&t.obj, &type_any) == 0);
	CU_ASSERT_TRUE(baton_obj_get_unless_zero(&t.obj));
	CU_ASSERT_EQUAL(baton_obj_refs(&t.obj), 2);
	baton_obj_put(&t.obj);
	baton_obj_put(&t.obj);
	CU_ASSERT_EQUAL(atomic_load(&free_count[2]), 1);
	CU_ASSERT_FALSE(baton_obj_get_unless_zero(&t.obj));
	CU_ASSERT_EQUAL(baton_obj_refs(&t.obj), 0);
}

/* A put too many saturates the count, logs once and never frees twice. */
static void test_underflow_saturates(void)
{
	struct tobj t = { .idx = 3 };

	reset_counts();
	baton_log_set(&log_ops);
	CU_ASSERT_FATAL(baton_obj_init(&t.obj, &type_main) == 0);
	baton_obj_put(&t.obj);
	CU_ASSERT_EQUAL(atomic_load(&free_count[3]), 1);
	baton_obj_put(&t.obj);		/* underflow */
	CU_ASSERT_EQUAL(baton_obj_refs(&t.obj), REFCOUNT_SATURATED);
	pthread_mutex_lock(&log_lock);
	CU_ASSERT_EQUAL(log_errors, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(log_last, "underflow"));
	pthread_mutex_unlock(&log_lock);
	baton_obj_put(&t.obj);		/* saturated stays saturated */
	baton_obj_get(&t.obj);
	CU_ASSERT_EQUAL(baton_obj_refs(&t.obj), REFCOUNT_SATURATED);
	CU_ASSERT_EQUAL(atomic_load(&free_count[3]), 1);
	baton_log_set(NULL);
}

/* ------------------------------------------------------------------ */
/* A FREE_ANY_THREAD object's last put on a foreign thread frees there. */

static void *put_once_thread(void *arg)
{
	baton_obj_put(arg);
	return NULL;
}

static void test_any_thread_frees_in_place(void)
{
	struct tobj t = { .idx = 4 };
	pthread_t thr;

	reset_counts();
	CU_ASSERT_FATAL(baton_obj_init(&t.obj, &type_any) == 0);
	CU_ASSERT_FATAL(pthread_create(&thr, NULL, put_once_thread, &t.obj) == 0);
	pthread_join(thr, NULL);
	CU_ASSERT_EQUAL(atomic_load(&free_count[4]), 1);
	CU_ASSERT_EQUAL(atomic_load(&role_frees[BATON_ROLE_FOREIGN]), 1);
	CU_ASSERT_TRUE(pthread_equal(atomic_load(&last_free_thread), thr));
}

/* ------------------------------------------------------------------ */
/* NR_THREADS threads put the same objects at once: one free each. */

struct put_arg {
	struct tobj **objs;
	unsigned int nr;
	unsigned int id;
	pthread_barrier_t *start;
	bool io;			/* play IO worker @id with @q attached */
	struct baton_defer_queue *q;
	_Atomic bool *done;
};

/* Enters the IO role conditionally: outside the role analysis. */
static void *put_all_thread(void *p) __no_role_analysis
{
	struct put_arg *a = p;
	unsigned int i;

	if (a->io) {
		role_enter_io(NULL, a->id);
		defer_attach(a->q);
	}
	pthread_barrier_wait(a->start);
	/* Each thread starts at a different place so last puts spread. */
	for (i = 0; i < a->nr; i++)
		baton_obj_put(&a->objs[(i + a->id * (a->nr / NR_THREADS)) %
				       a->nr]->obj);
	if (a->io) {
		defer_attach(NULL);
		role_leave_io();
	}
	/* Release: the drain loop's acquire sees every push made above. */
	atomic_store_explicit(a->done, true, memory_order_release);
	return NULL;
}

static void test_concurrent_puts_any_thread(void)
{
	static struct tobj *objs[20000];
	struct put_arg args[NR_THREADS];
	pthread_t thr[NR_THREADS];
	_Atomic bool done[NR_THREADS];
	pthread_barrier_t start;
	unsigned int i, once = 0;

	reset_counts();
	for (i = 0; i < NR_OBJS; i++) {
		objs[i] = tobj_new(&type_any, i);
		CU_ASSERT_FATAL(objs[i] != NULL);
		/* One reference per thread. */
		while (baton_obj_refs(&objs[i]->obj) < NR_THREADS)
			baton_obj_get(&objs[i]->obj);
	}
	pthread_barrier_init(&start, NULL, NR_THREADS);
	for (i = 0; i < NR_THREADS; i++) {
		atomic_init(&done[i], false);
		args[i] = (struct put_arg){ .objs = objs, .nr = NR_OBJS,
			.id = i, .start = &start, .done = &done[i] };
		CU_ASSERT_FATAL(pthread_create(&thr[i], NULL, put_all_thread,
					       &args[i]) == 0);
	}
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(thr[i], NULL);
	pthread_barrier_destroy(&start);

	for (i = 0; i < NR_OBJS; i++)
		once += atomic_load(&free_count[i]) == 1;
	CU_ASSERT_EQUAL(once, NR_OBJS);
	CU_ASSERT_EQUAL(atomic_load(&role_frees[BATON_ROLE_FOREIGN]), NR_OBJS);
}

/*
 * NR_THREADS IO-role threads and main put the same main-only objects at
 * once; the IO threads' last puts go to their own deferred queues, which
 * main drains while they run.  Every free must run on main, exactly once.
 */
static void test_concurrent_puts_main_only(void)
{
	static struct tobj *objs[20000];
	static struct baton_defer_queue q[NR_THREADS];
	struct put_arg args[NR_THREADS];
	pthread_t thr[NR_THREADS];
	_Atomic bool done[NR_THREADS];
	pthread_barrier_t start;
	unsigned int i, once = 0, main_put = 0, finished;
	size_t drained = 0, queued = 0, at_home = 0;
	double deadline;

	assert_main();
	reset_counts();
	for (i = 0; i < NR_OBJS; i++) {
		objs[i] = tobj_new(&type_main, i);
		CU_ASSERT_FATAL(objs[i] != NULL);
		/* One reference per thread, one for main. */
		while (baton_obj_refs(&objs[i]->obj) < NR_THREADS + 1)
			baton_obj_get(&objs[i]->obj);
	}
	pthread_barrier_init(&start, NULL, NR_THREADS);
	for (i = 0; i < NR_THREADS; i++) {
		defer_queue_init(&q[i], &home, 0, NULL, NULL);
		atomic_init(&done[i], false);
		args[i] = (struct put_arg){ .objs = objs, .nr = NR_OBJS,
			.id = i, .start = &start, .io = true, .q = &q[i],
			.done = &done[i] };
		CU_ASSERT_FATAL(pthread_create(&thr[i], NULL, put_all_thread,
					       &args[i]) == 0);
	}

	deadline = now_s() + DEADLINE_S;
	do {
		/* Main's own puts, a few at a time, between drains. */
		for (i = 0; i < 64 && main_put < NR_OBJS; i++)
			baton_obj_put(&objs[main_put++]->obj);
		for (i = 0; i < NR_THREADS; i++)
			drained += defer_drain(&q[i]);
		/* Nothing should land here: every thread has its queue. */
		at_home += defer_drain(&home);
		finished = 0;
		for (i = 0; i < NR_THREADS; i++)
			finished += atomic_load_explicit(&done[i],
							 memory_order_acquire);
	} while ((finished < NR_THREADS || main_put < NR_OBJS) &&
		 now_s() < deadline);
	/* Everything the threads pushed is visible now: one last drain. */
	for (i = 0; i < NR_THREADS; i++)
		drained += defer_drain(&q[i]);
	for (i = 0; i < NR_THREADS; i++)
		pthread_join(thr[i], NULL);
	pthread_barrier_destroy(&start);

	CU_ASSERT_EQUAL(finished, NR_THREADS);
	CU_ASSERT_EQUAL(main_put, NR_OBJS);
	for (i = 0; i < NR_OBJS; i++)
		once += atomic_load(&free_count[i]) == 1;
	CU_ASSERT_EQUAL(once, NR_OBJS);
	CU_ASSERT_EQUAL(atomic_load(&bad_main_frees), 0);
	CU_ASSERT_EQUAL(atomic_load(&role_frees[BATON_ROLE_MAIN]), NR_OBJS);
	for (i = 0; i < NR_THREADS; i++) {
		CU_ASSERT_EQUAL(atomic_load(&q[i].nr_queued), 0);
		CU_ASSERT_EQUAL(atomic_load(&q[i].total_queued),
				q[i].total_freed);
		CU_ASSERT_TRUE(q[i].batches <= q[i].total_freed);
		CU_ASSERT_TRUE(q[i].high_water <= q[i].total_freed);
		queued += q[i].total_queued;
	}
	/* Every object was freed by main directly or through a queue. */
	CU_ASSERT_EQUAL(drained, queued);
	CU_ASSERT_TRUE(drained <= NR_OBJS);
	CU_ASSERT_EQUAL(at_home, 0);
	CU_ASSERT_EQUAL(atomic_load(&home.nr_queued), 0);
}

/* ------------------------------------------------------------------ */
/* RCU-marked objects: freed only after a grace period. */

/* An IO-role thread, registered with RCU, puts one object. */
static void *io_put_thread(void *arg)
{
	baton_rcu_register_thread();
	role_enter_io(NULL, 0);
	baton_obj_put(arg);
	role_leave_io();
	baton_rcu_unregister_thread();	/* flushes its block */
	return NULL;
}

static void test_rcu_marked_any_thread(void)
{
	struct tobj *t;

	reset_counts();
	t = tobj_new(&type_any, 5);
	CU_ASSERT_FATAL(t != NULL);
	baton_obj_mark_rcu(&t->obj);
	baton_obj_put(&t->obj);
	/* Not freed on the spot: it waits for a grace period. */
	CU_ASSERT_EQUAL(atomic_load(&free_count[5]), 0);
	rcu_free_barrier();
	CU_ASSERT_EQUAL(atomic_load(&free_count[5]), 1);
	CU_ASSERT_EQUAL(atomic_load(&role_frees[BATON_ROLE_RCU]), 1);
}

static void test_rcu_marked_main_only(void)
{
	size_t before = atomic_load(&home.total_queued);
	struct tobj *t;
	pthread_t thr;

	assert_main();
	reset_counts();
	t = tobj_new(&type_main, 6);
	CU_ASSERT_FATAL(t != NULL);
	baton_obj_mark_rcu(&t->obj);
	CU_ASSERT_FATAL(pthread_create(&thr, NULL, io_put_thread, &t->obj) == 0);
	pthread_join(thr, NULL);
	rcu_free_barrier();
	/* After the grace period the RCU thread sent it to main. */
	CU_ASSERT_EQUAL(atomic_load(&free_count[6]), 0);
	CU_ASSERT_EQUAL(atomic_load(&home.total_queued),
			before + 1);
	CU_ASSERT_EQUAL(defer_drain(&home), 1);
	CU_ASSERT_EQUAL(atomic_load(&free_count[6]), 1);
	CU_ASSERT_EQUAL(atomic_load(&bad_main_frees), 0);
}

/* A foreign thread that never registered cannot call_rcu: main does. */
static void test_rcu_marked_unregistered_put(void)
{
	struct tobj *t;
	pthread_t thr;

	assert_main();
	reset_counts();
	t = tobj_new(&type_any, 7);
	CU_ASSERT_FATAL(t != NULL);
	baton_obj_mark_rcu(&t->obj);
	CU_ASSERT_FATAL(pthread_create(&thr, NULL, put_once_thread, &t->obj) == 0);
	pthread_join(thr, NULL);
	CU_ASSERT_EQUAL(atomic_load(&free_count[7]), 0);
	CU_ASSERT_EQUAL(atomic_load(&home.nr_queued), 1);
	/* Main's drain starts the grace period, not the free. */
	CU_ASSERT_EQUAL(defer_drain(&home), 1);
	CU_ASSERT_EQUAL(atomic_load(&free_count[7]), 0);
	rcu_free_barrier();
	CU_ASSERT_EQUAL(atomic_load(&free_count[7]), 1);
	CU_ASSERT_EQUAL(atomic_load(&role_frees[BATON_ROLE_RCU]), 1);
}

/*
 * An object of no server (baton_obj_init_server(..., NULL), allowed for a
 * FREE_ANY_THREAD type only) marked RCU and put by an unregistered
 * thread: nobody's main can start its grace period, so the putting
 * thread waits for one itself and frees at once.
 */
static void test_rcu_marked_no_server(void)
{
	struct tobj *t = calloc(1, sizeof(*t)), bad = { 0 };
	pthread_t thr;

	reset_counts();
	CU_ASSERT_FATAL(t != NULL);
	CU_ASSERT_EQUAL(baton_obj_init_server(&bad.obj, &type_main, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(baton_obj_init_server(NULL, &type_any, NULL), -EINVAL);
	CU_ASSERT_FATAL(baton_obj_init_server(&t->obj, &type_any, NULL) == 0);
	t->idx = 9;
	t->heap = true;
	baton_obj_mark_rcu(&t->obj);
	CU_ASSERT_FATAL(pthread_create(&thr, NULL, put_once_thread, &t->obj) == 0);
	pthread_join(thr, NULL);
	CU_ASSERT_EQUAL(atomic_load(&free_count[9]), 1);
	CU_ASSERT_EQUAL(atomic_load(&role_frees[BATON_ROLE_FOREIGN]), 1);
	CU_ASSERT_EQUAL(atomic_load(&home.nr_queued), 0);
}

/*
 * A reader that found the object under RCU keeps its memory valid after
 * the last put: get_unless_zero fails, the fields are still readable,
 * and the free runs only after the reader left its section.
 */
struct reader_arg {
	struct tobj *t;
	_Atomic int step;	/* 1: reader inside; 2: put done; 3: reader out */
	bool got_ref;
	unsigned int seen_idx;
};

static void wait_step(_Atomic int *step, int want)
{
	double deadline = now_s() + DEADLINE_S;

	while (atomic_load_explicit(step, memory_order_acquire) < want &&
	       now_s() < deadline)
		usleep(100);
}

static void *rcu_reader_thread(void *p)
{
	struct reader_arg *a = p;

	baton_rcu_register_thread();
	baton_rcu_read_lock();
	atomic_store_explicit(&a->step, 1, memory_order_release);
	wait_step(&a->step, 2);
	a->got_ref = baton_obj_get_unless_zero(&a->t->obj);
	a->seen_idx = a->t->idx;
	baton_rcu_read_unlock();
	atomic_store_explicit(&a->step, 3, memory_order_release);
	baton_rcu_unregister_thread();
	return NULL;
}

static void test_rcu_reader_keeps_memory(void)
{
	struct reader_arg a = { 0 };
	pthread_t thr;

	reset_counts();
	a.t = tobj_new(&type_any, 8);
	CU_ASSERT_FATAL(a.t != NULL);
	baton_obj_mark_rcu(&a.t->obj);
	CU_ASSERT_FATAL(pthread_create(&thr, NULL, rcu_reader_thread, &a) == 0);
	wait_step(&a.step, 1);
	baton_obj_put(&a.t->obj);
	rcu_free_flush();
	/* The grace period cannot end while the reader is inside. */
	usleep(50 * 1000);
	CU_ASSERT_EQUAL(atomic_load(&free_count[8]), 0);
	atomic_store_explicit(&a.step, 2, memory_order_release);
	wait_step(&a.step, 3);
	pthread_join(thr, NULL);
	CU_ASSERT_FALSE(a.got_ref);
	CU_ASSERT_EQUAL(a.seen_idx, 8);
	rcu_free_barrier();
	CU_ASSERT_EQUAL(atomic_load(&free_count[8]), 1);
}

/* Enters the main role for the whole run: outside the role analysis. */
static int suite_init(void) __no_role_analysis
{
	main_tid = pthread_self();
	role_enter_main(NULL);
	baton_rcu_register_thread();
	defer_queue_init(&home, NULL, 0, NULL, NULL);
	defer_attach(&home);
	return 0;
}

static int suite_cleanup(void) __no_role_analysis
{
	assert_main();
	rcu_free_barrier();
	defer_drain(&home);
	baton_rcu_unregister_thread();
	defer_attach(NULL);
	role_leave_main();
	return 0;
}

static const struct cunit_test tests[] = {
	CUNIT_TEST(test_type_register),
	CUNIT_TEST(test_init_unregistered),
	CUNIT_TEST(test_get_put_on_main),
	CUNIT_TEST(test_get_unless_zero),
	CUNIT_TEST(test_underflow_saturates),
	CUNIT_TEST(test_any_thread_frees_in_place),
	CUNIT_TEST(test_concurrent_puts_any_thread),
	CUNIT_TEST(test_concurrent_puts_main_only),
	CUNIT_TEST(test_rcu_marked_any_thread),
	CUNIT_TEST(test_rcu_marked_main_only),
	CUNIT_TEST(test_rcu_marked_unregistered_put),
	CUNIT_TEST(test_rcu_marked_no_server),
	CUNIT_TEST(test_rcu_reader_keeps_memory),
};

int main(void)
{
	return cunit_run("object", tests, ARRAY_SIZE(tests), suite_init,
			 suite_cleanup);
}
