// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * wake.c - eventfd wakeups: how one thread wakes another that sleeps in
 * epoll_wait, once per empty->non-empty transition of its inbox.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <baton/wake.h>

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
	atomic_fetch_add_explicit(&wk->writes, 1, memory_order_relaxed);
}

/**
 * wake_consume - reset the eventfd after it woke its owner
 * @wk: the wake
 *
 * Context: the owner thread, before it drains its inbox (so a wake sent
 * after the drain started is not lost: it leaves the eventfd readable).
 */
void wake_consume(struct baton_wake *wk)
{
	uint64_t v;

	while (read(wk->fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}
