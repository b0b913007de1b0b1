// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * idle.c - idle timeouts: main closes a client that sent nothing for its
 * timeout, counting input the worker read even if it is not yet a whole
 * request, without reading any of the worker's fields.
 */
#include <errno.h>
#include <baton/client_internal.h>
#include <baton/idle.h>
#include <baton/server_internal.h>

/*
 * The worker stores the time of every read in the client's last_input_ms,
 * a standalone atomic (relaxed: nothing else is published through it);
 * main reads it here.  Main keeps every client on a list of its own
 * (all_clients) and looks at a slice of it per tick, so that the whole
 * list is seen about once a second whatever the number of clients: a
 * timeout is honoured within a second or so, as Redis's is.
 */

/**
 * idle_track - add a new client to main's list
 * @s: the server
 * @c: the client
 *
 * Context: main thread.
 */
void idle_track(struct baton_server *s, struct baton_client *c)
{
	c->all_prev = NULL;
	c->all_next = s->all_clients;
	if (s->all_clients)
		s->all_clients->all_prev = c;
	s->all_clients = c;
}

/**
 * idle_untrack - take a closing client off main's list
 * @s: the server
 * @c: the client
 *
 * Context: main thread.
 */
void idle_untrack(struct baton_server *s, struct baton_client *c)
{
	if (s->idle_cursor == c)
		s->idle_cursor = c->all_next;
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else
		s->all_clients = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	c->all_prev = c->all_next = NULL;
}

static uint64_t idle_timeout_of(struct baton_server *s, struct baton_client *c)
	__main_only
{
	return c->idle_timeout_ms < 0 ? s->idle_timeout_ms :
					(uint64_t)c->idle_timeout_ms;
}

static void idle_expire(struct baton_server *s, struct baton_client *c,
			uint64_t now) __main_only
{
	s->st_idle_closes++;
	/* Counted from now again, should the callback keep the client. */
	atomic_store_explicit(&c->last_input_ms, now, memory_order_relaxed);
	if (s->proto.idle)
		s->proto.idle(c);
	else
		client_close(c);
}

/**
 * idle_scan - close the clients of the next slice that timed out
 * @s: the server
 * @now: clock_now_ms()
 *
 * Context: main thread, from the tick.
 */
void idle_scan(struct baton_server *s, uint64_t now)
{
	unsigned int budget = s->nr_clients / s->tick_hz + 16;

	while (budget--) {
		struct baton_client *c = s->idle_cursor;
		uint64_t timeout, last;

		if (!c) {
			s->idle_cursor = s->all_clients;
			break;		/* one pass per round of the list */
		}
		s->idle_cursor = c->all_next;
		timeout = idle_timeout_of(s, c);
		if (c->closing || !timeout)
			continue;
		last = atomic_load_explicit(&c->last_input_ms,
					    memory_order_relaxed);
		if (now > last && now - last >= timeout)
			idle_expire(s, c, now);
	}
}

BATON_API int baton_client_set_idle_timeout(struct baton_client *c, int64_t ms)
{
	if (!role_is_main_of(c->srv))
		return role_misuse("baton_client_set_idle_timeout");
	if (ms < BATON_IDLE_DEFAULT)
		return -EINVAL;
	c->idle_timeout_ms = ms;
	return 0;
}

BATON_API int baton_server_set_idle_timeout(struct baton_server *s,
					    uint64_t ms)
{
	if (!role_is_main_of(s))
		return role_misuse("baton_server_set_idle_timeout");
	s->idle_timeout_ms = ms;
	return 0;
}
