/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fault.h - fault injection (the kernel's failslab, for baton): wrappers
 * for the library's allocations and socket calls that can be made to fail
 * the Nth call in a FAULT=1 build, and are the plain calls otherwise.
 */
#ifndef _BATON_FAULT_H
#define _BATON_FAULT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <baton/compiler.h>

/**
 * DOC: fault injection
 *
 * Library code calls bt_malloc(), bt_calloc(), bt_realloc() instead of
 * malloc(), calloc(), realloc(), and bt_read(), bt_send(), bt_sendmsg(),
 * bt_accept4() for its socket IO.  Without BATON_FAULT_INJECT (every
 * build but FAULT=1) each is a macro for the plain call: zero cost.
 *
 * In a FAULT=1 build each call is first counted, per kind, in one
 * process-wide counter shared by every thread, and the Nth call of a kind
 * fails as the real call would fail when:
 *
 *   BATON_FAULT_ALLOC   NULL with errno ENOMEM
 *   BATON_FAULT_SOCKET  -1 with errno ECONNRESET (read), EPIPE (send,
 *                       sendmsg) or EMFILE (accept4)
 *
 * N is chosen with fault_set() (tests) or, once at startup, from
 * the environment: BATON_FAULT_ALLOC_NTH and BATON_FAULT_SOCKET_NTH (N;
 * 0 or unset: never), BATON_FAULT_ALLOC_TIMES and BATON_FAULT_SOCKET_TIMES
 * (how many calls fail from the Nth on; default 1, -1 for all), so a
 * program such as kvd can be driven without code.  Each injected failure
 * is logged at BATON_LOG_WARN with its call site.  With several threads
 * the order of calls between threads varies from run to run, so "the Nth
 * call" names a site reliably only when one thread does the work
 * (nr_io_workers = 0).
 *
 * liburcu's own allocations are not wrapped: they are not baton's code.
 */
enum baton_fault_kind {
	BATON_FAULT_ALLOC,	/* bt_malloc, bt_calloc, bt_realloc */
	BATON_FAULT_SOCKET,	/* bt_read, bt_send, bt_sendmsg, bt_accept4 */
	BATON_FAULT_NR_KINDS,
};

/* Distinct call sites remembered per kind (see fault_sites()). */
#define BATON_FAULT_MAX_SITES	64

/**
 * fault_set - fail calls @nth .. @nth + @times - 1 of @kind
 * @kind: which wrappers
 * @nth: the first call to fail, counted from 1 after this call; 0 stops
 *	injecting
 * @times: how many consecutive calls fail; -1 for every call from @nth on
 *
 * Resets the kind's call and injection counters and its list of sites.
 *
 * Context: any thread; meant for a test before it starts the code under
 * test (calls already in flight on other threads may be counted before
 * or after the reset).
 * Return: 0, -EINVAL for a bad @kind or a negative @nth, or -EOPNOTSUPP in
 * a build without fault injection.
 */
int fault_set(enum baton_fault_kind kind, long nth, long times);

/**
 * fault_calls - how many calls of @kind were counted since the reset
 * @kind: which wrappers
 *
 * Context: any thread.  A relaxed load: exact once the counted threads
 * are joined (or otherwise ordered before the caller).
 * Return: the count; 0 in a build without fault injection.
 */
long fault_calls(enum baton_fault_kind kind);

/**
 * fault_injected - how many calls of @kind were made to fail
 * @kind: which wrappers
 * @site: when not NULL, set to the "file:line" of the last failed call
 *	(NULL when none failed)
 *
 * Context: any thread, as fault_calls().
 * Return: the count; 0 in a build without fault injection.
 */
long fault_injected(enum baton_fault_kind kind, const char **site);

/**
 * fault_sites - the distinct call sites of @kind reached since the reset
 * @kind: which wrappers
 * @sites: receives up to @max "file:line" strings (static storage)
 * @max: room in @sites
 *
 * Context: any thread, as fault_calls().
 * Return: the number of distinct sites reached (at most
 * BATON_FAULT_MAX_SITES; may exceed @max); 0 in a build without fault
 * injection.
 */
size_t fault_sites(enum baton_fault_kind kind, const char **sites,
			 size_t max);

#ifdef BATON_FAULT_INJECT

/**
 * fault_hit - count one call of @kind and say whether it must fail
 * @kind: which wrappers
 * @site: the caller's "file:line", a string literal
 *
 * Context: any thread.  Lock-free: one relaxed fetch_add decides which
 * call is the Nth, so exactly one thread's call is it.
 * Return: true when this call must fail.
 */
bool fault_hit(enum baton_fault_kind kind, const char *site);

#define __bt_str2(x)	#x
#define __bt_str(x)	__bt_str2(x)
#define BT_FAULT_SITE	__FILE__ ":" __bt_str(__LINE__)

static inline void *__bt_malloc(size_t size, const char *site)
{
	if (unlikely(fault_hit(BATON_FAULT_ALLOC, site))) {
		errno = ENOMEM;
		return NULL;
	}
	return malloc(size);
}

static inline void *__bt_calloc(size_t n, size_t size, const char *site)
{
	if (unlikely(fault_hit(BATON_FAULT_ALLOC, site))) {
		errno = ENOMEM;
		return NULL;
	}
	return calloc(n, size);
}

/* A failed realloc leaves @ptr allocated, as the real one does. */
static inline void *__bt_realloc(void *ptr, size_t size, const char *site)
{
	if (unlikely(fault_hit(BATON_FAULT_ALLOC, site))) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(ptr, size);
}

static inline ssize_t __bt_read(int fd, void *buf, size_t len,
				const char *site)
{
	if (unlikely(fault_hit(BATON_FAULT_SOCKET, site))) {
		errno = ECONNRESET;
		return -1;
	}
	return read(fd, buf, len);
}

static inline ssize_t __bt_send(int fd, const void *buf, size_t len,
				int flags, const char *site)
{
	if (unlikely(fault_hit(BATON_FAULT_SOCKET, site))) {
		errno = EPIPE;
		return -1;
	}
	return send(fd, buf, len, flags);
}

static inline ssize_t __bt_sendmsg(int fd, const struct msghdr *msg,
				   int flags, const char *site)
{
	if (unlikely(fault_hit(BATON_FAULT_SOCKET, site))) {
		errno = EPIPE;
		return -1;
	}
	return sendmsg(fd, msg, flags);
}

/* As if the process were out of descriptors: nothing is dequeued. */
static inline int __bt_accept4(int fd, struct sockaddr *addr,
			       socklen_t *addrlen, int flags, const char *site)
{
	if (unlikely(fault_hit(BATON_FAULT_SOCKET, site))) {
		errno = EMFILE;
		return -1;
	}
	return accept4(fd, addr, addrlen, flags);
}

#define bt_malloc(size)		__bt_malloc((size), BT_FAULT_SITE)
#define bt_calloc(n, size)	__bt_calloc((n), (size), BT_FAULT_SITE)
#define bt_realloc(ptr, size)	__bt_realloc((ptr), (size), BT_FAULT_SITE)
#define bt_read(fd, buf, len)	__bt_read((fd), (buf), (len), BT_FAULT_SITE)
#define bt_send(fd, buf, len, flags) \
	__bt_send((fd), (buf), (len), (flags), BT_FAULT_SITE)
#define bt_sendmsg(fd, msg, flags) \
	__bt_sendmsg((fd), (msg), (flags), BT_FAULT_SITE)
#define bt_accept4(fd, addr, addrlen, flags) \
	__bt_accept4((fd), (addr), (addrlen), (flags), BT_FAULT_SITE)

#else /* !BATON_FAULT_INJECT */

#define bt_malloc(size)		malloc(size)
#define bt_calloc(n, size)	calloc((n), (size))
#define bt_realloc(ptr, size)	realloc((ptr), (size))
#define bt_read(fd, buf, len)	read((fd), (buf), (len))
#define bt_send(fd, buf, len, flags)	send((fd), (buf), (len), (flags))
#define bt_sendmsg(fd, msg, flags)	sendmsg((fd), (msg), (flags))
#define bt_accept4(fd, addr, addrlen, flags) \
	accept4((fd), (addr), (addrlen), (flags))

#endif /* BATON_FAULT_INJECT */

#endif /* _BATON_FAULT_H */
