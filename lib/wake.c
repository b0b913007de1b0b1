// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wake.c - eventfd wakeups: how one thread wakes another that sleeps in
 * epoll_wait, once per empty->non-empty transition of its inbox.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <baton/probe.h>
#include <baton/wake.h>

/*
 * DOC: one eventfd, edge-triggered, never read
 *
 * The eventfd sits in its owner's epoll set with EPOLLET and nobody ever
 * reads it.  The kernel raises an edge for every write to an eventfd (each
 * write runs the waitqueue callback that puts the epoll item back on the
 * ready list), so each wake_up() makes the owner's next epoll_wait()
 * return, once, whatever the counter holds; a reader would only spend a
 * syscall per wake resetting it.  The counter saturates after 2^64 - 2
 * writes, far beyond any run.  selftests/wake checks the kernel behaviour
 * this relies on.
 *
 * Why no wakeup is lost (see also Documentation/design.rst): a producer
 * writes only when its llist_add found the inbox empty.  The owner takes
 * the inbox with llist_del_all after epoll_wait returned.  An entry added
 * before that del_all is taken by it; for one added after, the first add
 * after the del_all found the list empty, so its producer writes after the
 * del_all, and that write is an edge the owner's next epoll_wait reports.
 */

/**
 * wake_init - create the eventfd
 * @wk: the wake
 *
 * Context: the thread creating the owner, before it is shared.
 * Return: 0 or -errno from eventfd().
 */
int wake_init(struct baton_wake *wk)
{
	wk->src.kind = EVSRC_WAKE;
	atomic_init(&wk->writes, 0);
	wk->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return wk->fd < 0 ? -errno : 0;
}

/**
 * wake_epoll_add - put the eventfd in its owner's epoll set
 * @wk: the wake
 * @epfd: the owner's epoll set
 *
 * Edge-triggered: every wake_up() is one event, and the owner never has
 * to read the eventfd (see the DOC comment above).
 *
 * Context: the thread creating the owner, before it is shared.
 * Return: 0 or -errno from epoll_ctl().
 */
int wake_epoll_add(struct baton_wake *wk, int epfd)
{
	return evsrc_epoll_ctl(epfd, EPOLL_CTL_ADD, wk->fd, &wk->src,
			       EPOLLIN | EPOLLET);
}

/**
 * wake_destroy - close the eventfd
 * @wk: the wake, no longer used by any thread
 *
 * Context: main thread at teardown, after every writer stopped.
 */
void wake_destroy(struct baton_wake *wk)
{
	if (wk->fd >= 0)
		close(wk->fd);
	wk->fd = -1;
}

/**
 * wake_up - wake the owner of @wk
 * @wk: the wake
 *
 * The write is a full barrier as far as the reader is concerned: the
 * owner's read of the eventfd (and the epoll_wait that reported it)
 * happens after it, so everything the waker published before, e.g. an
 * llist_add, is visible to the woken thread.
 *
 * Context: any thread; async-signal-safe (one write()).
 */
void wake_up(struct baton_wake *wk)
{
	uint64_t one = 1;

	/* EAGAIN means the counter is saturated: the owner is awake anyway. */
	while (write(wk->fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
	BATON_PROBE(wake_up, wk->fd);
	atomic_fetch_add_explicit(&wk->writes, 1, memory_order_relaxed);
}
