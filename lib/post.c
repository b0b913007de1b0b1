// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * post.c - output main writes to a client it does not own ("posts"): a
 * pub/sub message, the reply that unparks a blocked client, a goodbye.
 */
#include <errno.h>
#include <string.h>
#include <baton/client_internal.h>
#include <baton/clock.h>
#include <baton/fault.h>
#include <baton/handoff.h>
#include <baton/post.h>
#include <baton/probe.h>
#include <baton/server_internal.h>
#include <uapi/baton/object.h>

/*
 * DOC: how a post reaches the client
 *
 * Main never touches the output queue of a client it does not own.  What
 * it writes to such a client during one loop iteration is chained on the
 * client, newest first, in main's own fields (post_first .. post_last):
 * small copies go into the newest chunk while it has room, so a pipelined
 * publisher costs one chunk per subscriber per iteration, not one per
 * message.  At the end of the iteration post_flush() publishes each chain
 * with one llist_add_batch on the client's post list (the release that
 * hands the chunks over) and, when that list was empty, kicks the
 * client's owner: CTL_POSTS in pending_ctl and the client on its worker's
 * kick list, sent with the iteration's handoffs under one wake per worker.
 *
 * Whoever owns the client takes the list (llist_del_all, the acquire)
 * and appends it to the output queue: the worker when the kick arrives or
 * when the client comes back to it, main when the client reaches main --
 * there before it executes anything, so a post written before a reply
 * is sent before it.  While main owns the client, what it writes goes
 * straight to the output queue, in the order written.  Each path
 * appends in the order main wrote, and every post is taken by the next
 * owner that looks: a post is either found by a del_all that follows its
 * add, or it made the list non-empty and its kick makes the owner look
 * after the add (the owner consumes CTL_POSTS before it takes the list).
 *
 * out_pending counts posted bytes from the moment main accepts them, so
 * the output limits see a subscriber's backlog without reading any field
 * of its worker.
 */

/* A new copied post chunk has room for at least this many bytes: later
 * posts of the same iteration fill it. */
#define POST_CHUNK_MIN	(512 - sizeof(struct out_chunk))

/* Put @c on the server's list of clients with an unflushed chain. */
static void posting_add(struct baton_server *s, struct baton_client *c)
	__main_only
{
	c->post_prev = NULL;
	c->post_next = s->posting;
	if (s->posting)
		s->posting->post_prev = c;
	s->posting = c;
}

static void posting_del(struct baton_server *s, struct baton_client *c)
	__main_only
{
	if (c->post_prev)
		c->post_prev->post_next = c->post_next;
	else
		s->posting = c->post_next;
	if (c->post_next)
		c->post_next->post_prev = c->post_prev;
	c->post_prev = c->post_next = NULL;
}

/* Chain @ch as the newest post of this iteration. */
static void post_chain(struct baton_client *c, struct out_chunk *ch)
	__main_only
{
	if (!c->post_first) {
		ch->pnode.next = NULL;
		c->post_last = ch;
		posting_add(c->srv, c);
	} else {
		ch->pnode.next = &c->post_first->pnode;
	}
	c->post_first = ch;
}

/* Close a client whose output passed a limit, as a kill does. */
static int post_over_limit(struct baton_client *c) __main_only
{
	c->srv->st_limit_closes++;
	client_kill(c);
	return -ENOBUFS;
}

/*
 * Whether @len more bytes may be posted to @c: not when it is closing;
 * the server's output-buffer limit and the client's hard limit close it
 * at once, its soft limit when it stays passed for limit_soft_secs.
 */
static int post_check(struct baton_client *c, size_t len) __main_only
{
	size_t queued;

	if (c->closing)
		return -EPIPE;
	/* Relaxed: a standalone counter; the limit needs no ordering. */
	queued = atomic_load_explicit(&c->out_pending, memory_order_relaxed) + len;
	if (queued > c->srv->obuf_limit ||
	    (c->limit_hard && queued > c->limit_hard))
		return post_over_limit(c);
	if (!c->limit_soft || queued <= c->limit_soft) {
		c->soft_since_ms = 0;
		return 0;
	}
	if (!c->soft_since_ms)
		c->soft_since_ms = clock_now_ms();
	else if (clock_now_ms() - c->soft_since_ms >=
		 (uint64_t)c->limit_soft_secs * 1000)
		return post_over_limit(c);
	return 0;
}

/*
 * A post could not be queued: the client's output would lack it, so it is
 * closed once what was queued before is sent (as a reply that cannot be
 * queued closes its client).
 */
static int post_nomem(struct baton_client *c) __main_only
{
	client_close(c);
	return -ENOMEM;
}

static void post_count(struct baton_client *c, size_t len) __main_only
{
	/* Relaxed: a standalone counter (see struct baton_client). */
	atomic_fetch_add_explicit(&c->out_pending, len, memory_order_relaxed);
	c->srv->st_posts++;
}

/**
 * post_copy - post @len copied bytes to @c, which main does not own
 * @c: the client
 * @buf: the bytes
 * @len: how many
 *
 * Context: main thread.
 * Return: 0, -EPIPE, -ENOBUFS (the client is closed) or -ENOMEM (the
 * client is closed: its output would lack these bytes).
 */
int post_copy(struct baton_client *c, const void *buf, size_t len)
{
	struct out_chunk *ch = c->post_first;
	int err;

	err = post_check(c, len);
	if (err || !len)
		return err;
	if (ch && !ch->ref &&
	    ch->cap - (size_t)(ch->data - ch->buf) - ch->len >= len) {
		memcpy((char *)ch->data + ch->len, buf, len);
		ch->len += len;
		post_count(c, len);
		return 0;
	}
	ch = client_chunk_copy(buf, len, POST_CHUNK_MIN);
	if (!ch)
		return post_nomem(c);
	post_chain(c, ch);
	post_count(c, len);
	return 0;
}

/**
 * post_ref - post @len bytes of @obj by reference to @c
 * @c: the client, not owned by main
 * @obj: the object; the post takes a reference
 * @data: the first byte, inside @obj
 * @len: how many (at least the copy threshold)
 *
 * Context: main thread.
 * Return: as post_copy().
 */
int post_ref(struct baton_client *c, struct baton_obj *obj, const void *data,
	     size_t len)
{
	struct out_chunk *ch;
	int err;

	err = post_check(c, len);
	if (err)
		return err;
	ch = client_chunk_ref(obj, data, len);
	if (!ch)
		return post_nomem(c);
	post_chain(c, ch);
	post_count(c, len);
	return 0;
}

/**
 * post_take_chain - main took @c: its unflushed posts go to the output queue
 * @c: the client, just taken by main (after client_take_posts(), whose
 *	chunks are older)
 *
 * Context: main thread, owning @c.
 */
void post_take_chain(struct baton_client *c)
{
	struct llist_node *node, *pos, *n;

	if (!c->post_first)
		return;
	node = llist_reverse_order(&c->post_first->pnode);
	llist_for_each_safe(pos, n, node)
		client_append_chunk(c, container_of(pos, struct out_chunk, pnode));
	c->post_first = c->post_last = NULL;
	posting_del(c->srv, c);
}

/**
 * post_forget - drop @c's unflushed posts: it is closing
 * @c: the client
 *
 * Context: main thread.
 */
void post_forget(struct baton_client *c)
{
	struct llist_node *pos, *n;
	size_t bytes = 0;

	if (!c->post_first)
		return;
	llist_for_each_safe(pos, n, &c->post_first->pnode) {
		struct out_chunk *ch = container_of(pos, struct out_chunk, pnode);

		bytes += ch->len;
		client_chunk_release(ch);
	}
	atomic_fetch_sub_explicit(&c->out_pending, bytes, memory_order_relaxed);
	c->post_first = c->post_last = NULL;
	posting_del(c->srv, c);
}

/* Publish @c's chain on its post list; kick the owner if it was empty. */
static void post_publish(struct baton_server *s, struct baton_client *c)
	__main_only
{
	BATON_PROBE(post_publish, c->id);
	if (llist_add_batch(&c->post_first->pnode, &c->post_last->pnode,
			    &c->posts))
		handoff_kick(s, c, CTL_POSTS);
	c->post_first = c->post_last = NULL;
}

/**
 * post_publish_now - publish @c's posts before a request that follows them
 * @c: the client, not owned by main
 *
 * A close after the output must find what main wrote before it on the
 * client's post list: the owner may consume the close request as soon as
 * main sets it, before the end of the iteration.
 *
 * Context: main thread.
 */
void post_publish_now(struct baton_client *c)
{
	if (!c->post_first)
		return;
	posting_del(c->srv, c);
	post_publish(c->srv, c);
}

/**
 * post_flush - publish this iteration's posts
 * @s: the server
 *
 * One llist_add_batch per client (the release of its chunks); the owner
 * is kicked when the client's post list was empty.  The kicks go out with
 * the iteration's handoffs (handoff_flush_to_workers(), called next).
 *
 * Context: main thread.
 */
void post_flush(struct baton_server *s)
{
	struct baton_client *c, *next;

	for (c = s->posting; c; c = next) {
		next = c->post_next;
		c->post_prev = c->post_next = NULL;
		post_publish(s, c);
	}
	s->posting = NULL;
}

BATON_API int baton_client_set_limits(struct baton_client *c, size_t hard,
				      size_t soft, unsigned int soft_secs)
{
	if (!role_is_main_of(c->srv))
		return role_misuse("baton_client_set_limits");
	c->limit_hard = hard;
	c->limit_soft = soft;
	c->limit_soft_secs = soft_secs;
	c->soft_since_ms = 0;
	return 0;
}
