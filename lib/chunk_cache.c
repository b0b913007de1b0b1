// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * chunk_cache.c - standard output chunks recycled from the workers that
 * sent them back to main, which fills them again.
 */
#include <stdlib.h>
#include <baton/chunk_cache.h>
#include <baton/client_internal.h>
#include <baton/probe.h>
#include <baton/server_internal.h>
#include <baton/worker.h>

/*
 * DOC: why and how
 *
 * Main allocates the chunk a reply is copied into and the worker frees it
 * once sent: a producer-consumer pattern that costs glibc's malloc its
 * slow path on both threads (main's per-thread cache empties, the
 * worker's fills) for every reply batch.  Instead the worker chains the
 * standard copied chunks it sent (IO fields ret_first .. ret_last) and,
 * once per loop iteration, adds the chain to the server's chunk_returns
 * list (llist_add_batch: the release that gives the chunks to main).
 * Main takes that list once per iteration (llist_del_all: the acquire)
 * into its own free list, keeping at most CHUNK_CACHE_MAX chunks and
 * freeing the rest, and takes its reply chunks from there first.  Nobody
 * is woken for a return: main finds them on its next iteration.
 */

#define CHUNK_CACHE_MAX	128	/* chunks main keeps: 2 MiB */

/**
 * chunk_cache_get - a recycled standard chunk, empty
 * @s: the server
 *
 * Context: main thread.
 * Return: a chunk with OUT_CHUNK_SIZE bytes of room, or NULL when none is
 * cached (the caller allocates).
 */
struct out_chunk *chunk_cache_get(struct baton_server *s)
{
	struct out_chunk *ch = s->chunk_free;

	if (!ch)
		return NULL;
	s->chunk_free = ch->next;
	s->nr_chunk_free--;
	return ch;
}

/**
 * chunk_cache_done - a chunk the worker finished sending (or dropped)
 * @w: the worker
 * @ch: the chunk, unlinked from its client
 *
 * A standard copied chunk goes on the worker's return chain; any other
 * (a reference, or one sized for a large reply) is freed here.
 *
 * Context: the IO worker @w (or main playing it).
 */
void chunk_cache_done(struct baton_worker *w, struct out_chunk *ch)
{
	if (ch->ref || ch->cap != OUT_CHUNK_SIZE) {
		client_chunk_release(ch);
		return;
	}
	ch->pnode.next = w->ret_first;
	w->ret_first = &ch->pnode;
	if (!w->ret_last)
		w->ret_last = &ch->pnode;
}

/**
 * chunk_cache_flush - give this iteration's sent chunks back to main
 * @w: the worker
 *
 * Context: the IO worker @w, once per loop iteration.
 */
void chunk_cache_flush(struct baton_worker *w)
{
	if (!w->ret_first)
		return;
	llist_add_batch(w->ret_first, w->ret_last, &w->srv->chunk_returns);
	w->ret_first = w->ret_last = NULL;
}

/**
 * chunk_cache_refill - take the chunks the workers gave back
 * @s: the server
 *
 * Context: main thread, once per loop iteration.
 */
void chunk_cache_refill(struct baton_server *s)
{
	struct llist_node *node, *pos, *n;

	if (llist_empty(&s->chunk_returns))
		return;
	node = llist_del_all(&s->chunk_returns);
	llist_for_each_safe(pos, n, node) {
		struct out_chunk *ch = container_of(pos, struct out_chunk,
						    pnode);

		if (s->nr_chunk_free >= CHUNK_CACHE_MAX) {
			free(ch);
			continue;
		}
		ch->next = s->chunk_free;
		s->chunk_free = ch;
		s->nr_chunk_free++;
	}
}

/**
 * chunk_cache_fini - free every cached and returned chunk
 * @s: the server, whose workers have stopped
 *
 * Context: main thread, destroying the server.
 */
/* Free a chain of chunks linked through pnode. */
static void free_chain(struct llist_node *node)
{
	struct llist_node *pos, *n;

	llist_for_each_safe(pos, n, node)
		free(container_of(pos, struct out_chunk, pnode));
}

void chunk_cache_fini(struct baton_server *s) __no_role_analysis
{
	struct out_chunk *ch, *next;
	int i;

	for (i = 0; s->workers && i <= s->max_workers; i++) {
		free_chain(s->workers[i].ret_first);
		s->workers[i].ret_first = s->workers[i].ret_last = NULL;
	}
	free_chain(llist_del_all(&s->chunk_returns));
	for (ch = s->chunk_free; ch; ch = next) {
		next = ch->next;
		free(ch);
	}
	s->chunk_free = NULL;
	s->nr_chunk_free = 0;
}
