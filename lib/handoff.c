// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * handoff.c - moving a client between its IO worker and the main thread
 * through their llist inboxes: batched, one wake per empty->non-empty.
 */
#include <baton/client_internal.h>
#include <baton/refcount.h>
#include <baton/handoff.h>
#include <baton/probe.h>
#include <baton/server_internal.h>
#include <baton/worker.h>

/*
 * Clients handed over in one loop iteration are chained locally and added
 * with one llist_add_batch.  Each new client goes in front of the chain,
 * as separate llist_adds would put it, so that the consumer's
 * llist_reverse_order() yields FIFO order across and within batches.
 */
static void chain_prepend(struct llist_node *node, struct llist_node **first,
			  struct llist_node **last)
{
	node->next = *first;
	*first = node;
	if (!*last)
		*last = node;
}

static unsigned int chain_len(struct llist_node *first)
{
	unsigned int n = 0;

	for (; first; first = first->next)
		n++;
	return n;
}

/**
 * handoff_to_main - give @c to main at the end of this loop iteration
 * @w: the worker giving it
 * @c: a client the worker owns
 * @first: the iteration's chain (updated)
 * @last: the chain's last node (updated)
 *
 * From here on the worker does not touch @c's OWNER fields: only its IO
 * fields and the PENDING flags.
 *
 * Context: the IO worker that owns @c (or main playing the IO role).
 */
void handoff_to_main(struct baton_worker *w, struct baton_client *c,
		     struct llist_node **first, struct llist_node **last)
{
	assert_client_owner(c);
	client_set_owner(c, ROLE_ID_MAIN);
	c->io_at_main = true;
	chain_prepend(&c->handoff, first, last);
}

/**
 * handoff_flush_to_main - publish the iteration's chain to main's inbox
 * @w: the worker
 * @first: the chain, or NULL
 * @last: its last node
 *
 * llist_add_batch is the release that hands ownership over; main's
 * llist_del_all is the matching acquire.  Main is woken only when its
 * inbox was empty: if it was not, an earlier producer's wake is still
 * pending or main has not yet drained, and it will see these too.
 *
 * Context: the IO worker (or main playing the IO role, which needs no
 * wake: main drains its inbox on every loop iteration).
 */
void handoff_flush_to_main(struct baton_worker *w, struct llist_node *first,
			   struct llist_node *last)
{
	struct baton_server *s = w->srv;

	if (!first)
		return;
	BATON_PROBE(handoff_to_main, w->index, chain_len(first));
	atomic_fetch_add_explicit(&w->st_to_main, chain_len(first),
				  memory_order_relaxed);
	if (llist_add_batch(first, last, &s->inbox) && !w->inline_io)
		wake_up(&s->wake);
}

/**
 * handoff_to_worker - give @c back to its worker at the end of main's batch
 * @s: the server
 * @c: a client main owns
 *
 * Context: main thread.
 */
void handoff_to_worker(struct baton_server *s, struct baton_client *c)
{
	struct baton_worker *w = client_worker(c);

	assert_client_owner(c);
	if (c->out_unpub) {
		/* Relaxed: a standalone counter; the worker subtracts what it
		 * sends only after the llist_add below hands it the bytes. */
		atomic_fetch_add_explicit(&c->out_pending, c->out_unpub,
					  memory_order_relaxed);
		c->out_unpub = 0;
	}
	client_set_owner(c, role_id_io(w->index));
	c->at_main = false;
	s->st_to_io++;
	chain_prepend(&c->handoff, &w->out_first, &w->out_last);
}

/**
 * handoff_kick - ask the owner of @c, which main does not own, to act
 * @s: the server
 * @c: the client
 * @ctl: CTL_* bits: close it, take its posts, look at its ctl_state
 *
 * The request is in @c->pending_ctl at once; the client goes on its
 * worker's kick list with the iteration's handoffs, once however many
 * requests main makes before the worker takes it.  The kick holds a
 * reference, so the client's memory outlives its place on the list even
 * if the client reaches main and is finalized first.  Whoever owns the
 * client next (the worker on the kick, or whoever takes it from an
 * inbox) consumes the bits.
 *
 * Context: main thread.
 */
void handoff_kick(struct baton_server *s, struct baton_client *c,
		  unsigned int ctl)
{
	struct baton_worker *w = client_worker(c);

	/*
	 * Release (in seq_cst): pairs with the acquire in client_take_ctl();
	 * orders the posts and ctl_state main wrote before it.  Seq_cst, with
	 * the exchange below: when the exchange finds the kick still queued,
	 * the worker's clearing of kick_queued and its load of pending_ctl
	 * (both seq_cst, in worker_handle_kicks()) either come after both,
	 * and the worker sees the bit, or the clearing comes first, and the
	 * exchange sees it cleared and queues a new kick.
	 */
	atomic_fetch_or_explicit(&c->pending_ctl, ctl, memory_order_seq_cst);
	if (atomic_exchange_explicit(&c->kick_queued, 1, memory_order_seq_cst))
		return;		/* already on the list or the chain */
	refcount_inc(&c->refs);
	chain_prepend(&c->kick_node, &w->kick_first, &w->kick_last);
}

/**
 * handoff_flush_worker - publish main's chains to one worker
 * @s: the server
 * @w: the worker
 *
 * One llist_add_batch for the clients handed back and one for the kicks,
 * and one wake when either list was empty.  The worker drains both lists
 * after every wake, so a list that was not empty needs none: its earlier
 * producer's wake is pending or the worker has not drained it yet.
 *
 * Context: main thread.
 */
void handoff_flush_worker(struct baton_server *s, struct baton_worker *w)
{
	bool wake = false;

	if (w->out_first) {
		BATON_PROBE(handoff_to_worker, w->index, chain_len(w->out_first));
		wake |= llist_add_batch(w->out_first, w->out_last, &w->inbox);
		w->out_first = w->out_last = NULL;
	}
	if (w->kick_first) {
		BATON_PROBE(handoff_kicks, w->index, chain_len(w->kick_first));
		wake |= llist_add_batch(w->kick_first, w->kick_last, &w->kicks);
		w->kick_first = w->kick_last = NULL;
	}
	if (wake && !w->inline_io)
		wake_up(&w->wake);
}

/**
 * handoff_flush_to_workers - publish main's chains to every worker
 * @s: the server
 *
 * Called once per main loop iteration: at most one wake per worker per
 * iteration.
 *
 * Context: main thread.
 */
void handoff_flush_to_workers(struct baton_server *s)
{
	int i;

	for (i = 0; i <= s->max_workers; i++)
		handoff_flush_worker(s, &s->workers[i]);
}
