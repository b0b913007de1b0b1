// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * call.c - run on main: any thread queues a function (baton_server_call())
 * and main runs it in its loop; how foreign threads act on clients.
 */
#include <errno.h>
#include <baton/call.h>
#include <baton/llist.h>
#include <baton/server_internal.h>
#include <baton/wake.h>

/*
 * The queue is an llist on the server: any number of producers add (the
 * release that hands the call to main), main takes it all with one
 * llist_del_all (the acquire) and runs the calls oldest first.  The
 * producer that makes the queue non-empty wakes main; the others need
 * not: main drains the whole queue after that wake.  A producer counts
 * itself in s->callers while it touches the server, so that destroy
 * waits for it before freeing the eventfd (as baton_server_stop() does).
 */

BATON_API int baton_server_call(struct baton_server *s, struct baton_call *call,
				void (*fn)(struct baton_call *call))
{
	if (!s || !call || !fn)
		return -EINVAL;
	call->fn = fn;
	atomic_fetch_add_explicit(&s->callers, 1, memory_order_relaxed);
	if (llist_add(&call->node, &s->calls))
		wake_up(&s->wake);
	/* Release: pairs with the acquire load in server_wait_callers(). */
	atomic_fetch_sub_explicit(&s->callers, 1, memory_order_release);
	return 0;
}

/**
 * call_run - run the calls queued so far, oldest first
 * @s: the server
 *
 * Calls queued while these run wait for the next iteration, so a call
 * that queues another cannot keep main here.
 *
 * Context: main thread.
 * Return: whether any call ran.
 */
bool call_run(struct baton_server *s)
{
	struct llist_node *node, *pos, *n;

	if (llist_empty(&s->calls))
		return false;
	node = llist_reverse_order(llist_del_all(&s->calls));
	llist_for_each_safe(pos, n, node) {
		struct baton_call *call = container_of(pos, struct baton_call,
						       node);

		/* @pos->next was read by the iterator: @fn may free @call. */
		call->fn(call);
	}
	return node != NULL;
}
