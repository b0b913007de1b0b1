// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_wake.c - the eventfd wake (lib/wake.c): edge-triggered and never
 * read, it relies on the kernel raising an epoll event for every write to
 * an eventfd; this checks that behaviour, and that wakes sent while the
 * owner is busy are neither lost nor need a read.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <baton/llist.h>
#include <baton/wake.h>
#include "../common/cunit.h"
#include "../common/sanitizer.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Events epoll reports within @ms (0: do not wait). */
static int events(int ep, int ms)
{
	struct epoll_event ev[4];

	return epoll_wait(ep, ev, 4, ms);
}

/* Every write is one new event, read or not; none without a write. */
static void test_every_write_is_an_edge(void)
{
	struct baton_wake wk;
	int ep = epoll_create1(EPOLL_CLOEXEC), i;

	CU_ASSERT_FATAL(ep >= 0);
	CU_ASSERT_EQUAL_FATAL(wake_init(&wk), 0);
	CU_ASSERT_EQUAL_FATAL(wake_epoll_add(&wk, ep), 0);
	CU_ASSERT_EQUAL(events(ep, 0), 0);
	for (i = 0; i < 1000; i++) {
		wake_up(&wk);
		CU_ASSERT_EQUAL(events(ep, 0), 1);
		CU_ASSERT_EQUAL(events(ep, 0), 0);	/* reported once */
	}
	/* Two writes before the owner looks: one event, and nothing after. */
	wake_up(&wk);
	wake_up(&wk);
	CU_ASSERT_EQUAL(events(ep, 0), 1);
	CU_ASSERT_EQUAL(events(ep, 0), 0);
	CU_ASSERT_EQUAL(atomic_load(&wk.writes), 1002);
	wake_destroy(&wk);
	close(ep);
}

/*
 * The handoff protocol in miniature: a producer adds items to an llist
 * and wakes only when its add found the list empty; the consumer sleeps
 * in epoll_wait with no timeout and drains after each event.  If a wake
 * were lost the consumer would sleep forever with items on the list:
 * the test bounds the whole run instead.
 */
struct pingpong {
	struct baton_wake wk;
	int ep;
	struct llist_head inbox;
	_Atomic long taken;
	long total;
};

static void *consumer(void *arg)
{
	struct pingpong *pp = arg;

	while (atomic_load(&pp->taken) < pp->total) {
		struct llist_node *n;

		if (events(pp->ep, 10000) <= 0)
			break;		/* lost: the test sees taken < total */
		for (n = llist_del_all(&pp->inbox); n; n = n->next)
			atomic_fetch_add(&pp->taken, 1);
	}
	return NULL;
}

static void test_no_wake_lost(void)
{
	struct pingpong pp = { .total = SELFTEST_SCALE(200000) };
	struct llist_node *nodes = calloc((size_t)pp.total, sizeof(*nodes));
	pthread_t t;
	long i;

	pp.ep = epoll_create1(EPOLL_CLOEXEC);
	init_llist_head(&pp.inbox);
	CU_ASSERT_EQUAL_FATAL(wake_init(&pp.wk), 0);
	CU_ASSERT_EQUAL_FATAL(wake_epoll_add(&pp.wk, pp.ep), 0);
	pthread_create(&t, NULL, consumer, &pp);
	for (i = 0; i < pp.total; i++)
		if (llist_add(&nodes[i], &pp.inbox))
			wake_up(&pp.wk);
	pthread_join(t, NULL);
	CU_ASSERT_EQUAL(atomic_load(&pp.taken), pp.total);
	wake_destroy(&pp.wk);
	close(pp.ep);
	free(nodes);
}

static const struct cunit_test tests[] = {
	CUNIT_TEST(test_every_write_is_an_edge),
	CUNIT_TEST(test_no_wake_lost),
};

int main(void)
{
	return cunit_run("wake", tests, ARRAY_SIZE(tests), NULL, NULL);
}
