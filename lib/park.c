// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * park.c - parking a client (main executes none of its requests) and
 * pausing its input, wherever the client is.
 */
#include <errno.h>
#include <baton/client_internal.h>
#include <baton/handoff.h>
#include <baton/park.h>

/*
 * DOC: parked and paused clients
 *
 * The states are main's decision, kept in main's own @state, and told
 * to the worker through the client's @ctl_state: main stores the new
 * value (release) and, when it does not own the client, kicks its owner
 * with CTL_STATE so that the worker looks again at a client it may be
 * holding.  The worker loads @ctl_state (acquire) each time it is about
 * to read, parse or hand the client to main:
 *
 *   CS_PARKED       it reads (so a disconnect is seen at once and the
 *                   input stays buffered, within the query-buffer limit)
 *                   but parses nothing and hands nothing to main;
 *   CS_READ_PAUSED  it does not read at all.
 *
 * A client parked inside @execute stays with main until the end of that
 * batch: main_execute() stops at the parking request and keeps the
 * requests after it, which run when the client is unparked and its worker
 * hands it over again.  The client never moves just for the state: the
 * kick makes the worker act on a client it owns, or the next owner reads
 * the state when it takes the client.
 */

/**
 * park_set_state - make @state main's wish for @c and tell its owner
 * @c: the client
 * @state: CS_* bits
 *
 * Context: main thread.
 * Return: 0, or -EPIPE when @c is closing.
 */
int park_set_state(struct baton_client *c, unsigned int state)
{
	if (c->closing)
		return -EPIPE;
	if (state == c->state)
		return 0;
	c->state = state;
	/* Release: pairs with the acquire in client_state(). */
	atomic_store_explicit(&c->ctl_state, state, memory_order_release);
	if (!c->at_main)
		handoff_kick(c->srv, c, CTL_STATE);
	return 0;
}

BATON_API int baton_client_park(struct baton_client *c)
{
	if (!role_is_main_of(c->srv))
		return role_misuse("baton_client_park");
	return park_set_state(c, c->state | CS_PARKED);
}

BATON_API int baton_client_unpark(struct baton_client *c)
{
	if (!role_is_main_of(c->srv))
		return role_misuse("baton_client_unpark");
	if (c->closing)
		return -EPIPE;
	if (!(c->state & CS_PARKED))
		return -EINVAL;
	return park_set_state(c, c->state & ~CS_PARKED);
}

BATON_API bool baton_client_parked(struct baton_client *c)
{
	if (!role_is_main_of(c->srv)) {
		role_misuse("baton_client_parked");
		return false;
	}
	return c->state & CS_PARKED;
}

BATON_API int baton_client_pause_reading(struct baton_client *c)
{
	if (!role_is_main_of(c->srv))
		return role_misuse("baton_client_pause_reading");
	return park_set_state(c, c->state | CS_READ_PAUSED);
}

BATON_API int baton_client_resume_reading(struct baton_client *c)
{
	if (!role_is_main_of(c->srv))
		return role_misuse("baton_client_resume_reading");
	return park_set_state(c, c->state & ~CS_READ_PAUSED);
}
