// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * timer.c - one-shot and periodic timers on the main thread, for the
 * server or for one client: a binary min-heap owned by main.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <baton/client_internal.h>
#include <baton/clock.h>
#include <baton/fault.h>
#include <baton/server_internal.h>
#include <baton/timer_internal.h>

#define TIMER_IDLE	((size_t)-1)	/* heap_idx of a disarmed timer */

/*
 * DOC: the heap
 *
 * s->timers[0] is the earliest timer; each timer knows its slot
 * (heap_idx), so cancelling or re-arming one is O(log n) without a
 * search.  Everything here is main's: the fields of struct baton_timer
 * are MAIN, and so are the heap and the per-client lists.  The main loop
 * asks timer_next_due() how long it may sleep and calls timer_run() after
 * it wakes; no thread and no timerfd of its own.
 */

static bool timer_before(const struct baton_timer *a,
			 const struct baton_timer *b)
{
	return a->expires_ms < b->expires_ms;
}

static void heap_set(struct baton_server *s, size_t i, struct baton_timer *t)
	__main_only
{
	s->timers[i] = t;
	t->heap_idx = i;
}

static void heap_up(struct baton_server *s, size_t i) __main_only
{
	struct baton_timer *t = s->timers[i];

	while (i && timer_before(t, s->timers[(i - 1) / 2])) {
		heap_set(s, i, s->timers[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(s, i, t);
}

static void heap_down(struct baton_server *s, size_t i) __main_only
{
	struct baton_timer *t = s->timers[i];
	size_t n = s->nr_timers;

	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < n && timer_before(s->timers[l], t))
			m = l;
		if (l + 1 < n && timer_before(s->timers[l + 1],
					      m == i ? t : s->timers[m]))
			m = l + 1;
		if (m == i)
			break;
		heap_set(s, i, s->timers[m]);
		i = m;
	}
	heap_set(s, i, t);
}

static void heap_remove(struct baton_server *s, struct baton_timer *t)
	__main_only
{
	size_t i = t->heap_idx;
	struct baton_timer *last = s->timers[--s->nr_timers];

	t->heap_idx = TIMER_IDLE;
	if (last == t)
		return;
	heap_set(s, i, last);
	heap_up(s, i);
	heap_down(s, last->heap_idx);
}

static int heap_reserve(struct baton_server *s) __main_only
{
	struct baton_timer **n;
	size_t cap;

	if (s->nr_timers < s->cap_timers)
		return 0;
	cap = s->cap_timers ? s->cap_timers * 2 : 16;
	n = bt_realloc(s->timers, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->timers = n;
	s->cap_timers = cap;
	return 0;
}

static void client_link(struct baton_client *c, struct baton_timer *t)
	__main_only
{
	t->client = c;
	t->cprev = NULL;
	t->cnext = c->timers;
	if (c->timers)
		c->timers->cprev = t;
	c->timers = t;
}

static void client_unlink(struct baton_timer *t) __main_only
{
	struct baton_client *c = t->client;

	if (!c)
		return;
	if (t->cprev)
		t->cprev->cnext = t->cnext;
	else
		c->timers = t->cnext;
	if (t->cnext)
		t->cnext->cprev = t->cprev;
	t->client = NULL;
	t->cnext = t->cprev = NULL;
}

/* Take an armed timer out of the heap and its client's list. */
static void timer_disarm(struct baton_timer *t) __main_only
{
	heap_remove(t->srv, t);
	client_unlink(t);
}

BATON_API void baton_timer_init(struct baton_timer *t,
				void (*fn)(struct baton_timer *t))
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->heap_idx = TIMER_IDLE;
}

BATON_API int baton_timer_arm(struct baton_server *s, struct baton_timer *t,
			      struct baton_client *c, uint64_t delay_ms,
			      uint64_t period_ms)
{
	int err;

	if (!role_is_main_of(s))
		return role_misuse("baton_timer_arm");
	if (!t->fn || (t->heap_idx != TIMER_IDLE && t->srv != s) ||
	    (c && c->srv != s))
		return -EINVAL;
	if (c && c->closing)
		return -EPIPE;
	if (t->heap_idx != TIMER_IDLE) {
		timer_disarm(t);
	} else {
		err = heap_reserve(s);
		if (err)
			return err;
	}
	t->srv = s;
	t->expires_ms = clock_now_ms() + delay_ms;
	t->period_ms = period_ms;
	t->heap_idx = s->nr_timers++;
	s->timers[t->heap_idx] = t;
	heap_up(s, t->heap_idx);
	if (c)
		client_link(c, t);
	return 0;
}

BATON_API bool baton_timer_cancel(struct baton_timer *t)
{
	if (!role_is_main()) {
		role_misuse("baton_timer_cancel");
		return false;
	}
	if (t->heap_idx == TIMER_IDLE)
		return false;
	timer_disarm(t);
	return true;
}

BATON_API bool baton_timer_armed(const struct baton_timer *t)
{
	if (!role_is_main()) {
		role_misuse("baton_timer_armed");
		return false;
	}
	return t->heap_idx != TIMER_IDLE;
}

/**
 * timer_next_due - when the earliest timer is due
 * @s: the server
 *
 * Context: main thread.
 * Return: its clock_now_ms() time, or UINT64_MAX when none is armed.
 */
uint64_t timer_next_due(struct baton_server *s)
{
	return s->nr_timers ? s->timers[0]->expires_ms : UINT64_MAX;
}

/**
 * timer_run - run the timers due at @now
 * @s: the server
 * @now: clock_now_ms()
 *
 * A periodic timer is re-armed before its function runs (so the function
 * may cancel it), at its next period after @now when it fell behind.
 * At most as many timers run as were armed on entry: one re-armed with
 * no delay runs on the next loop iteration, so timers cannot starve the
 * loop.
 *
 * Context: main thread, in the run loop.
 */
void timer_run(struct baton_server *s, uint64_t now)
{
	size_t budget = s->nr_timers;

	while (budget-- && s->nr_timers && s->timers[0]->expires_ms <= now) {
		struct baton_timer *t = s->timers[0];

		if (t->period_ms) {
			t->expires_ms += t->period_ms;
			if (t->expires_ms <= now)
				t->expires_ms = now + t->period_ms;
			heap_down(s, 0);
		} else {
			timer_disarm(t);
		}
		t->fn(t);
	}
}

/**
 * timer_client_gone - cancel every timer of a closing client
 * @c: the client
 *
 * Context: main thread, before the @close callback (which may free the
 * timers' memory).
 */
void timer_client_gone(struct baton_client *c)
{
	while (c->timers)
		timer_disarm(c->timers);
}

/**
 * timer_fini - free the heap; timers still armed are simply forgotten
 * @s: the server, being destroyed
 *
 * Context: main thread.
 */
void timer_fini(struct baton_server *s)
{
	size_t i;

	for (i = 0; i < s->nr_timers; i++) {
		s->timers[i]->heap_idx = TIMER_IDLE;
		s->timers[i]->client = NULL;
	}
	free(s->timers);
	s->timers = NULL;
	s->nr_timers = s->cap_timers = 0;
}
