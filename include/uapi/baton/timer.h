/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * timer.h - one-shot and periodic timers that run on the main thread,
 * for the server or for one client (then cancelled when it closes).
 */
#ifndef _UAPI_BATON_TIMER_H
#define _UAPI_BATON_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "api.h"

#ifdef __cplusplus
extern "C" {
#endif

struct baton_server;
struct baton_client;

/**
 * struct baton_timer - a timer, embedded in the application's struct
 *
 * Initialize it once with baton_timer_init(); arm, re-arm and cancel it as
 * often as needed.  The timers of a server are a min-heap owned by main:
 * the main loop sleeps in epoll_wait() until the earliest one is due, so
 * timers need no thread and cost nothing while none is due.  All fields
 * are private (MAIN: main's alone).
 */
struct baton_timer {
	/* private: */
	uint64_t expires_ms;		/* MAIN */
	uint64_t period_ms;		/* MAIN */
	size_t heap_idx;		/* MAIN: (size_t)-1 when not armed */
	void (*fn)(struct baton_timer *t);	/* MAIN */
	struct baton_server *srv;	/* MAIN */
	struct baton_client *client;	/* MAIN */
	struct baton_timer *cnext;	/* MAIN: the client's timers */
	struct baton_timer *cprev;	/* MAIN */
};

/**
 * baton_timer_init - make @t a disarmed timer that calls @fn
 * @t: the timer
 * @fn: called when @t is due.  Context: main thread, from the run loop;
 *	it may re-arm or cancel @t (or any timer) and do anything a
 *	main-thread callback may.  Find the enclosing struct with
 *	baton_container_of().
 *
 * Context: any thread that owns @t alone (before it is armed).
 */
BATON_API void baton_timer_init(struct baton_timer *t,
				void (*fn)(struct baton_timer *t));

/**
 * baton_timer_arm - call the timer's function after @delay_ms
 * @s: the server
 * @t: an initialized timer; armed already, it is moved to the new time
 * @c: the client it belongs to, or NULL for the server: a client's
 *	timers are cancelled when it closes, before the @close callback
 * @delay_ms: milliseconds from now (0: on the next loop iteration)
 * @period_ms: 0 for a one-shot timer; otherwise it runs again every
 *	@period_ms until cancelled
 *
 * Context: main thread.
 * Return: 0, -ENOMEM when the heap cannot grow, -EPIPE when @c is
 * closing, -EINVAL when @t was never initialized or is armed on another
 * server or @c is a client of another server, -EPERM on another thread.
 */
BATON_API int baton_timer_arm(struct baton_server *s, struct baton_timer *t,
			      struct baton_client *c, uint64_t delay_ms,
			      uint64_t period_ms);

/**
 * baton_timer_cancel - disarm a timer
 * @t: the timer (armed or not)
 *
 * After it returns the function will not run until the timer is armed
 * again; cancelling from inside the function stops a periodic timer.
 *
 * Context: main thread, of the server @t was armed on (a timer names no
 * server, so only "a main thread" is checked: elsewhere it returns false
 * and a DEBUG=1 build aborts).
 * Return: true when the timer was armed.
 */
BATON_API bool baton_timer_cancel(struct baton_timer *t);

/**
 * baton_timer_armed - whether a timer is armed
 * @t: the timer
 *
 * Context: main thread, of the server @t was armed on (as
 * baton_timer_cancel()).
 * Return: true when @t will run.
 */
BATON_API bool baton_timer_armed(const struct baton_timer *t);

#ifdef __cplusplus
}
#endif

#endif /* _UAPI_BATON_TIMER_H */
