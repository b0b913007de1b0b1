// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_defer.c - the IO->main deferred-free queue: FIFO frees on main,
 * counters that stay consistent under concurrent pushes and drains, and
 * one high-mark wake per crossing.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <baton/defer.h>
#include <baton/role.h>
#include <uapi/baton/baton.h>
#include "../common/cunit.h"
#include "../common/sanitizer.h"

#define NR_PRODUCERS	4
#define PER_PRODUCER	SELFTEST_SCALE(50000)
#define MAX_OBJS	(4 * 50000)
#define DEADLINE_S	20

struct dobj {
	struct baton_obj obj;
	unsigned int idx;
};

static pthread_t main_tid;
/* The home queue of the server main plays (none: the test's own). */
static struct baton_defer_queue home;
static struct dobj *objs;
static _Atomic unsigned int free_count[MAX_OBJS];
static _Atomic unsigned int bad_main_frees;
/* Free order, for the FIFO test (main only). */
static unsigned int order[64];
static unsigned int nr_order;
/* An object the free callback pushes while a drain runs, or NULL. */
static struct dobj *push_during_free;
static struct baton_defer_queue *push_during_free_q;

/* Context: main thread only; checks that it is. */
static void dobj_free(struct baton_obj *obj)
{
	struct dobj *d = baton_container_of(obj, struct dobj, obj);

	if (role_current() != BATON_ROLE_MAIN ||
	    !pthread_equal(pthread_self(), main_tid))
		atomic_fetch_add(&bad_main_frees, 1);
	atomic_fetch_add(&free_count[d->idx], 1);
	if (nr_order < ARRAY_SIZE(order))
		order[nr_order++] = d->idx;
	if (push_during_free) {
		struct dobj *p = push_during_free;

		push_during_free = NULL;
		defer_push(push_during_free_q, &p->obj);
	}
}

static struct baton_type dobj_type = {
	.name = "test-defer", .free = dobj_free,
};

static void reset(void)
{
	unsigned int i;

	for (i = 0; i < MAX_OBJS; i++) {
		atomic_store(&free_count[i], 0);
		baton_obj_init(&objs[i].obj, &dobj_type);
		objs[i].idx = i;
	}
	atomic_store(&bad_main_frees, 0);
	nr_order = 0;
}

static _Atomic unsigned int wakes;
static _Atomic int wake_saw_empty;
static struct baton_defer_queue *wake_q;

/* Context: the pushing thread; thread-safe. */
static void count_wake(void *arg)
{
	atomic_fetch_add(&wakes, 1);
	/* The object that crossed the mark is on the list already. */
	if (arg && arg == wake_q && llist_empty(&wake_q->list))
		atomic_store(&wake_saw_empty, 1);
}

static void test_init(void)
{
	struct baton_defer_queue q;

	assert_main();
	defer_queue_init(&q, NULL, 7, count_wake, &q);
	CU_ASSERT_TRUE(llist_empty(&q.list));
	CU_ASSERT_EQUAL(atomic_load(&q.nr_queued), 0);
	CU_ASSERT_EQUAL(atomic_load(&q.total_queued), 0);
	CU_ASSERT_EQUAL(q.total_freed, 0);
	CU_ASSERT_EQUAL(q.batches, 0);
	CU_ASSERT_EQUAL(q.high_water, 0);
	CU_ASSERT_EQUAL(q.high_mark, 7);
	CU_ASSERT_PTR_EQUAL(q.wake_arg, &q);
	CU_ASSERT_EQUAL(defer_drain(&q), 0);
	CU_ASSERT_EQUAL(q.batches, 0);
}

static void test_fifo_and_counters(void)
{
	struct baton_defer_queue q;
	unsigned int i;

	assert_main();
	reset();
	defer_queue_init(&q, NULL, 0, NULL, NULL);
	for (i = 0; i < 10; i++)
		defer_push(&q, &objs[i].obj);
	CU_ASSERT_EQUAL(atomic_load(&q.nr_queued), 10);
	CU_ASSERT_EQUAL(atomic_load(&q.total_queued), 10);
	CU_ASSERT_EQUAL(nr_order, 0);
	CU_ASSERT_EQUAL(defer_drain(&q), 10);
	CU_ASSERT_EQUAL(nr_order, 10);
	for (i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(order[i], i);
	CU_ASSERT_EQUAL(atomic_load(&q.nr_queued), 0);
	CU_ASSERT_EQUAL(q.total_freed, 10);
	CU_ASSERT_EQUAL(q.batches, 1);
	CU_ASSERT_EQUAL(q.high_water, 10);
	/* An empty drain changes nothing. */
	CU_ASSERT_EQUAL(defer_drain(&q), 0);
	CU_ASSERT_EQUAL(q.batches, 1);
	/* A smaller batch keeps the high water. */
	for (i = 10; i < 13; i++)
		defer_push(&q, &objs[i].obj);
	CU_ASSERT_EQUAL(defer_drain(&q), 3);
	CU_ASSERT_EQUAL(q.batches, 2);
	CU_ASSERT_EQUAL(q.high_water, 10);
	CU_ASSERT_EQUAL(q.total_freed, 13);
	CU_ASSERT_EQUAL(atomic_load(&q.total_queued), 13);
	CU_ASSERT_EQUAL(atomic_load(&bad_main_frees), 0);
}

/* A push that lands while main frees a batch waits for the next drain. */
static void test_push_during_drain(void)
{
	struct baton_defer_queue q;

	assert_main();
	reset();
	defer_queue_init(&q, NULL, 0, NULL, NULL);
	defer_push(&q, &objs[0].obj);
	defer_push(&q, &objs[1].obj);
	push_during_free = &objs[2];
	push_during_free_q = &q;
	CU_ASSERT_EQUAL(defer_drain(&q), 2);
	CU_ASSERT_EQUAL(atomic_load(&q.nr_queued), 1);
	CU_ASSERT_EQUAL(atomic_load(&q.total_queued), 3);
	CU_ASSERT_EQUAL(q.total_freed, 2);
	CU_ASSERT_EQUAL(atomic_load(&free_count[2]), 0);
	CU_ASSERT_EQUAL(defer_drain(&q), 1);
	CU_ASSERT_EQUAL(atomic_load(&free_count[2]), 1);
	CU_ASSERT_EQUAL(atomic_load(&q.nr_queued), 0);
	CU_ASSERT_EQUAL(q.total_freed, 3);
	CU_ASSERT_EQUAL(q.batches, 2);
}

static void test_high_mark_wake(void)
{
	struct baton_defer_queue q;
	unsigned int i, n = 0;

	assert_main();
	reset();
	atomic_store(&wakes, 0);
	atomic_store(&wake_saw_empty, 0);
	wake_q = &q;
	defer_queue_init(&q, NULL, 4, count_wake, &q);
	for (i = 0; i < 3; i++)
		defer_push(&q, &objs[n++].obj);
	CU_ASSERT_EQUAL(atomic_load(&wakes), 0);
	defer_push(&q, &objs[n++].obj);		/* 3 -> 4: crossing */
	CU_ASSERT_EQUAL(atomic_load(&wakes), 1);
	for (i = 0; i < 5; i++)				/* above the mark */
		defer_push(&q, &objs[n++].obj);
	CU_ASSERT_EQUAL(atomic_load(&wakes), 1);
	CU_ASSERT_EQUAL(defer_drain(&q), 9);
	for (i = 0; i < 3; i++)
		defer_push(&q, &objs[n++].obj);
	CU_ASSERT_EQUAL(atomic_load(&wakes), 1);
	defer_push(&q, &objs[n++].obj);		/* second crossing */
	CU_ASSERT_EQUAL(atomic_load(&wakes), 2);
	CU_ASSERT_EQUAL(defer_drain(&q), 4);
	CU_ASSERT_EQUAL(atomic_load(&wake_saw_empty), 0);

	/* High mark 0: never wakes. */
	defer_queue_init(&q, NULL, 0, count_wake, &q);
	for (i = 0; i < 5; i++)
		defer_push(&q, &objs[n++].obj);
	CU_ASSERT_EQUAL(atomic_load(&wakes), 2);
	CU_ASSERT_EQUAL(defer_drain(&q), 5);
	wake_q = NULL;
}

/*
 * Where an off-main last put goes: a worker's own queue for an object of
 * its server; the object's home queue with no queue attached, and from a
 * worker of another server (whose queue has another home).
 */
static struct baton_defer_queue *other_server_q;

static void *attached_put_thread(void *arg)
{
	struct baton_defer_queue *q = arg;

	role_enter_io(NULL, 0);
	defer_attach(q);		/* a worker of main's "server" */
	baton_obj_put(&objs[0].obj);
	defer_attach(NULL);
	baton_obj_put(&objs[1].obj);
	defer_attach(other_server_q);	/* a worker of another one */
	baton_obj_put(&objs[2].obj);
	defer_attach(NULL);
	role_leave_io();
	return NULL;
}

static void test_attach(void)
{
	struct baton_defer_queue q, other_home, other_q;
	size_t home_before;
	pthread_t thr;

	assert_main();
	reset();
	defer_queue_init(&q, &home, 0, NULL, NULL);
	defer_queue_init(&other_home, NULL, 0, NULL, NULL);
	defer_queue_init(&other_q, &other_home, 0, NULL, NULL);
	other_server_q = &other_q;
	home_before = atomic_load(&home.total_queued);
	CU_ASSERT_FATAL(pthread_create(&thr, NULL, attached_put_thread, &q) == 0);
	pthread_join(thr, NULL);
	CU_ASSERT_EQUAL(atomic_load(&q.total_queued), 1);
	CU_ASSERT_EQUAL(atomic_load(&home.total_queued), home_before + 2);
	CU_ASSERT_EQUAL(atomic_load(&other_q.total_queued), 0);
	CU_ASSERT_EQUAL(atomic_load(&other_home.total_queued), 0);
	CU_ASSERT_EQUAL(atomic_load(&free_count[0]) +
			atomic_load(&free_count[1]) +
			atomic_load(&free_count[2]), 0);
	CU_ASSERT_EQUAL(defer_drain(&q), 1);
	CU_ASSERT_EQUAL(defer_drain(&home), 2);
	CU_ASSERT_EQUAL(atomic_load(&free_count[0]), 1);
	CU_ASSERT_EQUAL(atomic_load(&free_count[1]), 1);
	CU_ASSERT_EQUAL(atomic_load(&free_count[2]), 1);
	CU_ASSERT_EQUAL(atomic_load(&bad_main_frees), 0);
}

struct producer_arg {
	struct baton_defer_queue *q;
	unsigned int first, nr;
	pthread_barrier_t *start;
	_Atomic bool done;
};

static void *producer_thread(void *p)
{
	struct producer_arg *a = p;
	unsigned int i;

	pthread_barrier_wait(a->start);
	for (i = 0; i < a->nr; i++)
		defer_push(a->q, &objs[a->first + i].obj);
	/* Release: main's acquire then sees every push above. */
	atomic_store_explicit(&a->done, true, memory_order_release);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * NR_PRODUCERS threads push onto one queue while main drains it: every
 * object freed once, on main; the counters add up at the end.
 */
static void test_concurrent_push_drain(void)
{
	struct producer_arg args[NR_PRODUCERS];
	pthread_t thr[NR_PRODUCERS];
	pthread_barrier_t start;
	struct baton_defer_queue q;
	const unsigned int total = NR_PRODUCERS * PER_PRODUCER;
	const size_t mark = 64;
	unsigned int i, once = 0, finished = 0;
	size_t drained = 0, n, biggest = 0, nonempty = 0;
	double deadline;

	assert_main();
	reset();
	atomic_store(&wakes, 0);
	defer_queue_init(&q, NULL, mark, count_wake, NULL);
	pthread_barrier_init(&start, NULL, NR_PRODUCERS + 1);
	for (i = 0; i < NR_PRODUCERS; i++) {
		args[i] = (struct producer_arg){ .q = &q,
			.first = i * PER_PRODUCER, .nr = PER_PRODUCER,
			.start = &start };
		atomic_init(&args[i].done, false);
		CU_ASSERT_FATAL(pthread_create(&thr[i], NULL, producer_thread,
					       &args[i]) == 0);
	}
	pthread_barrier_wait(&start);
	deadline = now_s() + DEADLINE_S;
	while (finished < NR_PRODUCERS && now_s() < deadline) {
		n = defer_drain(&q);
		drained += n;
		nonempty += n > 0;
		if (n > biggest)
			biggest = n;
		/* The counter never falls below what is still queued. */
		CU_ASSERT_TRUE(atomic_load(&q.nr_queued) <= total - drained);
		finished = 0;
		for (i = 0; i < NR_PRODUCERS; i++)
			finished += atomic_load_explicit(&args[i].done,
							 memory_order_acquire);
	}
	n = defer_drain(&q);
	drained += n;
	nonempty += n > 0;
	if (n > biggest)
		biggest = n;
	for (i = 0; i < NR_PRODUCERS; i++)
		pthread_join(thr[i], NULL);
	pthread_barrier_destroy(&start);

	CU_ASSERT_EQUAL(finished, NR_PRODUCERS);
	CU_ASSERT_EQUAL(drained, total);
	for (i = 0; i < total; i++)
		once += atomic_load(&free_count[i]) == 1;
	CU_ASSERT_EQUAL(once, total);
	CU_ASSERT_EQUAL(atomic_load(&bad_main_frees), 0);
	CU_ASSERT_EQUAL(atomic_load(&q.nr_queued), 0);
	CU_ASSERT_EQUAL(atomic_load(&q.total_queued), total);
	CU_ASSERT_EQUAL(q.total_freed, total);
	CU_ASSERT_EQUAL(q.batches, nonempty);
	CU_ASSERT_EQUAL(q.high_water, biggest);
	CU_ASSERT_TRUE(q.batches >= 1 && q.batches <= total);
	/* A crossing needs a drain below the mark since the last one. */
	CU_ASSERT_TRUE(atomic_load(&wakes) <= q.batches + 1);
	/* A drain of >= mark objects means the count reached the mark. */
	if (biggest >= mark)
		CU_ASSERT_TRUE(atomic_load(&wakes) >= 1);
}

/* Enters the main role for the whole run: outside the role analysis. */
static int suite_init(void) __no_role_analysis
{
	main_tid = pthread_self();
	role_enter_main(NULL);
	objs = calloc(MAX_OBJS, sizeof(*objs));
	if (!objs || baton_type_register(&dobj_type))
		return -1;
	defer_queue_init(&home, NULL, 0, NULL, NULL);
	defer_attach(&home);
	return 0;
}

static int suite_cleanup(void) __no_role_analysis
{
	assert_main();
	defer_drain(&home);
	free(objs);
	defer_attach(NULL);
	role_leave_main();
	return 0;
}

static const struct cunit_test tests[] = {
	CUNIT_TEST(test_init),
	CUNIT_TEST(test_fifo_and_counters),
	CUNIT_TEST(test_push_during_drain),
	CUNIT_TEST(test_high_mark_wake),
	CUNIT_TEST(test_attach),
	CUNIT_TEST(test_concurrent_push_drain),
};

int main(void)
{
	return cunit_run("defer", tests, ARRAY_SIZE(tests), suite_init,
			 suite_cleanup);
}
