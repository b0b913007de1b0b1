// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_llist.c - selftest of the lock-less list: single-thread semantics,
 * a multi-producer / one-consumer stress run, and the wake contract.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <baton/llist.h>
#include "../common/cunit.h"
#include "../common/sanitizer.h"

struct item {
	struct llist_node node;
	unsigned int producer;
	unsigned int seq;
};

static struct llist_node *chain_of(struct item *it, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i++)
		it[i].node.next = &it[i + 1].node;
	it[n - 1].node.next = NULL;
	return &it[0].node;
}

/* Collect the seq numbers along a chain into @out; return the count. */
static size_t walk_seqs(struct llist_node *first, unsigned int *out,
			size_t max)
{
	struct item *pos;
	size_t n = 0;

	llist_for_each_entry(pos, first, node) {
		if (n < max)
			out[n] = pos->seq;
		n++;
	}
	return n;
}

static void test_add_returns_was_empty(void)
{
	struct llist_head head;
	struct item it[3] = { { .seq = 0 }, { .seq = 1 }, { .seq = 2 } };
	unsigned int seqs[4];
	struct llist_node *first;

	init_llist_head(&head);
	CU_ASSERT_TRUE(llist_empty(&head));
	CU_ASSERT_TRUE(llist_add(&it[0].node, &head));
	CU_ASSERT_FALSE(llist_empty(&head));
	CU_ASSERT_FALSE(llist_add(&it[1].node, &head));
	CU_ASSERT_FALSE(llist_add(&it[2].node, &head));

	/* del_all gives newest first. */
	first = llist_del_all(&head);
	CU_ASSERT_PTR_EQUAL(first, &it[2].node);
	CU_ASSERT_TRUE(llist_empty(&head));
	CU_ASSERT_EQUAL(walk_seqs(first, seqs, 4), 3);
	CU_ASSERT_EQUAL(seqs[0], 2);
	CU_ASSERT_EQUAL(seqs[1], 1);
	CU_ASSERT_EQUAL(seqs[2], 0);

	/* Emptied by del_all: the next add is again the first. */
	CU_ASSERT_TRUE(llist_add(&it[1].node, &head));
	CU_ASSERT_PTR_NULL(it[1].node.next);
	CU_ASSERT_PTR_EQUAL(llist_del_all(&head), &it[1].node);
}

static void test_del_all_empty(void)
{
	struct llist_head head = LLIST_HEAD_INIT;
	struct item it = { .seq = 7 };

	CU_ASSERT_TRUE(llist_empty(&head));
	CU_ASSERT_PTR_NULL(llist_del_all(&head));
	CU_ASSERT_PTR_NULL(llist_del_all(&head));

	CU_ASSERT_TRUE(llist_add(&it.node, &head));
	CU_ASSERT_PTR_EQUAL(llist_del_all(&head), &it.node);
	CU_ASSERT_PTR_NULL(llist_del_all(&head));
	CU_ASSERT_TRUE(llist_empty(&head));
}

static void test_add_batch(void)
{
	struct llist_head head;
	struct item solo = { .seq = 100 };
	struct item it[3] = { { .seq = 0 }, { .seq = 1 }, { .seq = 2 } };
	struct item more[2] = { { .seq = 10 }, { .seq = 11 } };
	unsigned int seqs[8];
	struct llist_node *first;

	init_llist_head(&head);
	/* A batch onto an empty list: true, and last->next becomes NULL. */
	first = chain_of(it, 3);
	it[2].node.next = &solo.node;	/* garbage that must be overwritten */
	CU_ASSERT_TRUE(llist_add_batch(first, &it[2].node, &head));
	CU_ASSERT_PTR_NULL(it[2].node.next);

	/* A batch onto a non-empty list: false, and it links to the old head. */
	CU_ASSERT_FALSE(llist_add_batch(chain_of(more, 2), &more[1].node,
					&head));
	CU_ASSERT_PTR_EQUAL(more[1].node.next, &it[0].node);
	CU_ASSERT_FALSE(llist_add(&solo.node, &head));

	/* Newest first: the single add, then each batch in its own order. */
	first = llist_del_all(&head);
	CU_ASSERT_EQUAL(walk_seqs(first, seqs, 8), 6);
	CU_ASSERT_EQUAL(seqs[0], 100);
	CU_ASSERT_EQUAL(seqs[1], 10);
	CU_ASSERT_EQUAL(seqs[2], 11);
	CU_ASSERT_EQUAL(seqs[3], 0);
	CU_ASSERT_EQUAL(seqs[4], 1);
	CU_ASSERT_EQUAL(seqs[5], 2);
	CU_ASSERT_TRUE(llist_empty(&head));

	/* A batch of one is an add. */
	CU_ASSERT_TRUE(llist_add_batch(&solo.node, &solo.node, &head));
	CU_ASSERT_PTR_EQUAL(llist_del_all(&head), &solo.node);
}

static void test_reverse_order(void)
{
	struct item it[5];
	struct llist_node *first;
	unsigned int seqs[5];
	unsigned int i;

	CU_ASSERT_PTR_NULL(llist_reverse_order(NULL));

	it[0].seq = 0;
	it[0].node.next = NULL;
	CU_ASSERT_PTR_EQUAL(llist_reverse_order(&it[0].node), &it[0].node);
	CU_ASSERT_PTR_NULL(it[0].node.next);

	for (i = 0; i < 5; i++)
		it[i].seq = i;
	first = llist_reverse_order(chain_of(it, 5));
	CU_ASSERT_PTR_EQUAL(first, &it[4].node);
	CU_ASSERT_PTR_NULL(it[0].node.next);
	CU_ASSERT_EQUAL(walk_seqs(first, seqs, 5), 5);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(seqs[i], 4 - i);

	/* Reversing twice restores the order. */
	first = llist_reverse_order(first);
	CU_ASSERT_PTR_EQUAL(first, &it[0].node);
	CU_ASSERT_EQUAL(walk_seqs(first, seqs, 5), 5);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(seqs[i], i);
}

static void test_for_each(void)
{
	struct llist_head head;
	struct item it[4];
	struct llist_node *pos, *first;
	struct item *ipos;
	unsigned int i, n, expect;

	/* An empty chain (a del_all that found nothing): no iteration. */
	first = NULL;
	n = 0;
	llist_for_each(pos, first)
		n++;
	CU_ASSERT_EQUAL(n, 0);
	n = 0;
	llist_for_each_entry(ipos, first, node)
		n++;
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_PTR_NULL(ipos);

	init_llist_head(&head);
	for (i = 0; i < 4; i++) {
		it[i].seq = i;
		llist_add(&it[i].node, &head);
	}
	first = llist_reverse_order(llist_del_all(&head));

	/* FIFO after reverse_order; each cursor is the entry, not a copy. */
	n = 0;
	llist_for_each(pos, first) {
		CU_ASSERT_PTR_EQUAL(pos, &it[n].node);
		n++;
	}
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_PTR_NULL(pos);

	expect = 0;
	llist_for_each_entry(ipos, first, node) {
		CU_ASSERT_PTR_EQUAL(ipos, &it[expect]);
		CU_ASSERT_EQUAL(ipos->seq, expect);
		expect++;
	}
	CU_ASSERT_EQUAL(expect, 4);
	CU_ASSERT_PTR_NULL(ipos);
}

static void test_for_each_safe_frees(void)
{
	enum { N = 100 };
	struct llist_head head;
	struct llist_node *pos, *n, *first;
	struct item *ipos, *inext;
	unsigned int i, count, expect;

	init_llist_head(&head);
	for (i = 0; i < N; i++) {
		struct item *it = malloc(sizeof(*it));

		CU_ASSERT_FATAL(it != NULL);
		it->seq = i;
		llist_add(&it->node, &head);
	}
	first = llist_reverse_order(llist_del_all(&head));

	/*
	 * Freeing the cursor inside the body: the _safe walk must have read
	 * ->next before the body runs (ASan reports any use after free).
	 */
	count = 0;
	expect = 0;
	llist_for_each_entry_safe(ipos, inext, first, node) {
		if (ipos->seq != expect)
			break;
		expect++;
		free(ipos);
		count++;
	}
	CU_ASSERT_EQUAL(count, N);
	CU_ASSERT_PTR_NULL(ipos);

	/* The same with the plain node walk. */
	for (i = 0; i < N; i++) {
		struct item *it = malloc(sizeof(*it));

		CU_ASSERT_FATAL(it != NULL);
		it->seq = i;
		llist_add(&it->node, &head);
	}
	count = 0;
	llist_for_each_safe(pos, n, llist_del_all(&head)) {
		free(llist_entry(pos, struct item, node));
		count++;
	}
	CU_ASSERT_EQUAL(count, N);
	CU_ASSERT_TRUE(llist_empty(&head));
}

/* ------------------------------------------------------------------ */
/* Multi-producer / one-consumer runs. */

#define NR_PRODUCERS	4
#define RUN_TIMEOUT_S	30

/* Items per producer; a quarter under a sanitizer to stay within seconds. */
#define NR_ITEMS	SELFTEST_SCALE(200000u)

/*
 * struct mp_run - one run; each array has one row per producer.
 * @items: IMMUTABLE allocation; an item's fields are OWNER: written by
 *	its producer before llist_add, read by the consumer after del_all
 * @was_first: written only by the producer: what its llist_add returned
 * @batch_head: written only by the consumer: the item was the oldest of
 *	a non-empty del_all batch
 * @seen: written only by the consumer: times the item was taken
 * @wakes: ATOMIC: adds that returned true, all producers (relaxed: read
 *	after pthread_join, which orders it)
 * @done: ATOMIC: producers that finished; release by each producer after
 *	its last add and signal, acquire by the consumer, so a consumer
 *	that sees all done also sees every item on the list
 */
struct mp_run {
	struct llist_head head;
	int efd;			/* -1: no wake signalling */
	pthread_barrier_t start;
	struct item *items[NR_PRODUCERS];
	uint8_t *was_first[NR_PRODUCERS];
	uint8_t *batch_head[NR_PRODUCERS];
	uint8_t *seen[NR_PRODUCERS];
	_Atomic unsigned long wakes;
	_Atomic unsigned long efd_errors;
	_Atomic unsigned int done;
};

struct producer_arg {
	struct mp_run *run;
	unsigned int id;
};

static void *producer_fn(void *arg)
{
	struct producer_arg *pa = arg;
	struct mp_run *run = pa->run;
	unsigned int id = pa->id, i;
	unsigned long wakes = 0;

	pthread_barrier_wait(&run->start);
	for (i = 0; i < NR_ITEMS; i++) {
		struct item *it = &run->items[id][i];
		bool first;

		/* Plain writes, published by the add's release. */
		it->producer = id;
		it->seq = i;
		first = llist_add(&it->node, &run->head);
		run->was_first[id][i] = first;
		if (!first)
			continue;
		wakes++;
		if (run->efd >= 0) {
			uint64_t one = 1;

			if (write(run->efd, &one, sizeof(one)) != sizeof(one))
				atomic_fetch_add_explicit(&run->efd_errors, 1,
							  memory_order_relaxed);
		}
	}
	atomic_fetch_add_explicit(&run->wakes, wakes, memory_order_relaxed);
	atomic_fetch_add_explicit(&run->done, 1, memory_order_release);
	return NULL;
}

static int mp_run_init(struct mp_run *run, bool with_efd)
{
	unsigned int p;

	memset(run, 0, sizeof(*run));
	init_llist_head(&run->head);
	atomic_init(&run->wakes, 0);
	atomic_init(&run->efd_errors, 0);
	atomic_init(&run->done, 0);
	run->efd = -1;
	if (with_efd) {
		run->efd = eventfd(0, EFD_CLOEXEC);
		if (run->efd < 0)
			return -errno;
	}
	for (p = 0; p < NR_PRODUCERS; p++) {
		run->items[p] = calloc(NR_ITEMS, sizeof(struct item));
		run->was_first[p] = calloc(NR_ITEMS, 1);
		run->batch_head[p] = calloc(NR_ITEMS, 1);
		run->seen[p] = calloc(NR_ITEMS, 1);
		if (!run->items[p] || !run->was_first[p] ||
		    !run->batch_head[p] || !run->seen[p])
			return -ENOMEM;
	}
	pthread_barrier_init(&run->start, NULL, NR_PRODUCERS + 1);
	return 0;
}

static void mp_run_destroy(struct mp_run *run)
{
	unsigned int p;

	pthread_barrier_destroy(&run->start);
	for (p = 0; p < NR_PRODUCERS; p++) {
		free(run->items[p]);
		free(run->was_first[p]);
		free(run->batch_head[p]);
		free(run->seen[p]);
	}
	if (run->efd >= 0)
		close(run->efd);
}

static bool producers_done(struct mp_run *run)
{
	return atomic_load_explicit(&run->done, memory_order_acquire) ==
	       NR_PRODUCERS;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * struct consumer_state - what the consumer learned; only the consumer
 * (the test thread) writes it.
 */
struct consumer_state {
	unsigned int next_seq[NR_PRODUCERS];
	unsigned long received;
	unsigned long batches;		/* non-empty del_all results */
	unsigned long empty_takes;	/* del_all that returned NULL */
	unsigned long order_errors;
	char first_error[160];
};

/* Account one batch taken by del_all: FIFO per producer, seen once. */
static void consume_batch(struct mp_run *run, struct consumer_state *cs,
			  struct llist_node *taken)
{
	struct llist_node *first = llist_reverse_order(taken);
	struct item *it;

	cs->batches++;
	llist_for_each_entry(it, first, node) {
		unsigned int p = it->producer, seq = it->seq;

		if (p >= NR_PRODUCERS || seq >= NR_ITEMS) {
			if (!cs->order_errors++)
				snprintf(cs->first_error,
					 sizeof(cs->first_error),
					 "bad item producer %u seq %u", p, seq);
			continue;
		}
		if (&it->node == first)
			run->batch_head[p][seq] = 1;
		run->seen[p][seq]++;
		if (seq != cs->next_seq[p] && !cs->order_errors++)
			snprintf(cs->first_error, sizeof(cs->first_error),
				 "producer %u: got seq %u, expected %u",
				 p, seq, cs->next_seq[p]);
		cs->next_seq[p] = seq + 1;
		cs->received++;
	}
}

/* After the join: every item once, batch heads exactly the true adds. */
static void check_run(struct mp_run *run, struct consumer_state *cs)
{
	unsigned long total = (unsigned long)NR_PRODUCERS * NR_ITEMS;
	unsigned long dup = 0, missing = 0, head_mismatch = 0;
	unsigned long wakes = atomic_load(&run->wakes);
	unsigned int p, i;

	for (p = 0; p < NR_PRODUCERS; p++) {
		for (i = 0; i < NR_ITEMS; i++) {
			if (run->seen[p][i] == 0)
				missing++;
			else if (run->seen[p][i] > 1)
				dup++;
			if (run->batch_head[p][i] != run->was_first[p][i])
				head_mismatch++;
		}
	}
	printf("\n    items %lu, received %lu, batches %lu, true adds %lu, "
	       "empty takes %lu, avg batch %.1f\n", total, cs->received,
	       cs->batches, wakes, cs->empty_takes,
	       cs->batches ? (double)cs->received / cs->batches : 0.0);
	if (cs->order_errors)
		printf("    first order error: %s\n", cs->first_error);
	CU_ASSERT_EQUAL(cs->order_errors, 0);
	CU_ASSERT_EQUAL(cs->received, total);
	CU_ASSERT_EQUAL(missing, 0);
	CU_ASSERT_EQUAL(dup, 0);
	/*
	 * Every non-empty batch starts with the item whose add found the
	 * list empty, and every such item starts a batch.
	 */
	CU_ASSERT_EQUAL(cs->batches, wakes);
	CU_ASSERT_EQUAL(head_mismatch, 0);
	for (p = 0; p < NR_PRODUCERS; p++)
		CU_ASSERT_EQUAL(cs->next_seq[p], NR_ITEMS);
}

static int start_producers(struct mp_run *run, pthread_t *tids,
			   struct producer_arg *args)
{
	unsigned int p;

	for (p = 0; p < NR_PRODUCERS; p++) {
		args[p].run = run;
		args[p].id = p;
		if (pthread_create(&tids[p], NULL, producer_fn, &args[p]))
			return -1;	/* the barrier would hang: fatal */
	}
	return 0;
}

/* The consumer spins: del_all, reverse, walk, until all arrived. */
static void test_mpsc_stress(void)
{
	struct producer_arg args[NR_PRODUCERS];
	pthread_t tids[NR_PRODUCERS];
	struct consumer_state cs = { 0 };
	unsigned long total = (unsigned long)NR_PRODUCERS * NR_ITEMS;
	struct mp_run *run = malloc(sizeof(*run));
	double deadline;
	unsigned int p;
	bool timed_out = false;

	CU_ASSERT_FATAL(run != NULL);
	CU_ASSERT_FATAL(mp_run_init(run, false) == 0);
	CU_ASSERT_FATAL(start_producers(run, tids, args) == 0);
	pthread_barrier_wait(&run->start);

	deadline = now_s() + RUN_TIMEOUT_S;
	while (cs.received < total) {
		struct llist_node *taken = llist_del_all(&run->head);

		if (taken) {
			consume_batch(run, &cs, taken);
			continue;
		}
		cs.empty_takes++;
		/* Everything was added, nothing is left: items were lost. */
		if (producers_done(run) && llist_empty(&run->head))
			break;
		if ((cs.empty_takes & 1023) == 0 && now_s() > deadline) {
			timed_out = true;
			break;
		}
		sched_yield();	/* 2 cores, 5 threads: let producers run */
	}
	for (p = 0; p < NR_PRODUCERS; p++)
		pthread_join(tids[p], NULL);
	CU_ASSERT_FALSE(timed_out);
	/* Nothing may be left behind once everything was received. */
	CU_ASSERT_PTR_NULL(llist_del_all(&run->head));
	check_run(run, &cs);
	mp_run_destroy(run);
	free(run);
}

/*
 * The wake contract: the consumer sleeps on an eventfd that producers
 * write only when their llist_add returned true, and does exactly one
 * del_all per wakeup.  No item may be stranded and the consumer may
 * never sleep forever.
 */
static void test_mpsc_wake_contract(void)
{
	struct producer_arg args[NR_PRODUCERS];
	pthread_t tids[NR_PRODUCERS];
	struct consumer_state cs = { 0 };
	unsigned long total = (unsigned long)NR_PRODUCERS * NR_ITEMS;
	unsigned long wakeups = 0, signals = 0;
	struct mp_run *run = malloc(sizeof(*run));
	double deadline;
	unsigned int p;
	bool hung = false, read_error = false;

	CU_ASSERT_FATAL(run != NULL);
	CU_ASSERT_FATAL(mp_run_init(run, true) == 0);
	CU_ASSERT_FATAL(start_producers(run, tids, args) == 0);
	pthread_barrier_wait(&run->start);

	deadline = now_s() + RUN_TIMEOUT_S;
	while (cs.received < total) {
		struct pollfd pfd = { .fd = run->efd, .events = POLLIN };
		struct llist_node *taken;
		uint64_t cnt;
		int ret;

		/*
		 * A lost wakeup shows up as this poll timing out after every
		 * producer has finished (all their signals were written
		 * before their done increment), or at the deadline.
		 */
		ret = poll(&pfd, 1, 500);
		if (ret == 0) {
			if (producers_done(run) || now_s() > deadline) {
				hung = true;
				break;
			}
			continue;
		}
		if (ret < 0) {
			if (errno == EINTR)
				continue;
			read_error = true;
			break;
		}
		if (read(run->efd, &cnt, sizeof(cnt)) != sizeof(cnt)) {
			read_error = true;
			break;
		}
		wakeups++;
		signals += cnt;
		taken = llist_del_all(&run->head);
		if (taken)
			consume_batch(run, &cs, taken);
		else
			cs.empty_takes++;	/* a stale signal: allowed */
	}
	for (p = 0; p < NR_PRODUCERS; p++)
		pthread_join(tids[p], NULL);
	/* Signals written after the last item was taken are still counted. */
	if (!hung && !read_error) {
		struct pollfd pfd = { .fd = run->efd, .events = POLLIN };
		uint64_t cnt;

		if (poll(&pfd, 1, 0) == 1 &&
		    read(run->efd, &cnt, sizeof(cnt)) == sizeof(cnt))
			signals += cnt;
	}
	if (hung)
		printf("\n    consumer never woken for %lu of %lu items\n",
		       total - cs.received, total);
	CU_ASSERT_FALSE(hung);
	CU_ASSERT_FALSE(read_error);
	CU_ASSERT_EQUAL(atomic_load(&run->efd_errors), 0);
	CU_ASSERT_PTR_NULL(llist_del_all(&run->head));
	check_run(run, &cs);
	/* One signal per true add; the eventfd may fold several into one. */
	CU_ASSERT_EQUAL(signals, atomic_load(&run->wakes));
	CU_ASSERT(wakeups <= signals);
	printf("    wakeups %lu, signals read %lu\n", wakeups, signals);
	mp_run_destroy(run);
	free(run);
}

static const struct cunit_test tests[] = {
	CUNIT_TEST(test_add_returns_was_empty),
	CUNIT_TEST(test_del_all_empty),
	CUNIT_TEST(test_add_batch),
	CUNIT_TEST(test_reverse_order),
	CUNIT_TEST(test_for_each),
	CUNIT_TEST(test_for_each_safe_frees),
	CUNIT_TEST(test_mpsc_stress),
	CUNIT_TEST(test_mpsc_wake_contract),
};

int main(void)
{
	return cunit_run("llist", tests, ARRAY_SIZE(tests), NULL, NULL);
}
