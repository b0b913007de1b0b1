/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * evsrc.h - what an epoll event's data.ptr points at, and the epoll_ctl
 * calls every event loop (main's and the workers') shares.
 */
#ifndef _BATON_EVSRC_H
#define _BATON_EVSRC_H

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <baton/compiler.h>

/*
 * Every object registered in an epoll set starts with a struct evsrc so
 * the loop knows what woke it.
 */
enum evsrc_kind {
	EVSRC_WAKE,		/* a thread's eventfd */
	EVSRC_SIGNAL,		/* main's signalfd */
	EVSRC_LISTENER,		/* a listening socket */
	EVSRC_CLIENT,		/* a client connection */
};

/* kind is set before the fd is in an epoll set, never after. */
struct evsrc {
	enum evsrc_kind kind	__rule(IMMUTABLE);
} __shared_struct;

/**
 * evsrc_epoll_ctl - add, modify or delete @fd in @epfd, tagged with @src
 * @epfd: the epoll set
 * @op: EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL
 * @fd: the descriptor
 * @src: what the event's data.ptr points at (ignored for DEL)
 * @events: the epoll events
 *
 * Context: the thread that owns @epfd.
 * Return: 0 or -errno from epoll_ctl().
 */
static inline int evsrc_epoll_ctl(int epfd, int op, int fd, struct evsrc *src,
				  uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = src };

	return epoll_ctl(epfd, op, fd, &ev) < 0 ? -errno : 0;
}

#endif /* _BATON_EVSRC_H */
