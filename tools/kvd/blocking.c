// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * blocking.c - clients blocked on list keys (BLPOP, BRPOP, BLMOVE,
 * BRPOPLPUSH, BLMPOP): who waits on which key, in what order, and how a
 * write to the key serves them.  cmd_block.c has the commands.
 *
 * A blocked client is parked with baton_client_park(): main executes
 * none of its later requests, while its IO worker keeps reading its
 * socket, so a disconnect reaches kvd_close() at once (which forgets the
 * waiter) and later input waits, buffered.  Its struct kvd_blocked holds
 * one struct blk_wait per distinct key, each queued on that key's
 * struct blk_key: first come, first served.  Its timeout is a baton
 * timer armed for the client, which baton cancels when the client closes.
 *
 * Every path that changes a key calls kvd_signal_modified(), which calls
 * kvd_block_signal(): a key clients wait on goes onto the ready list.
 * After each command (EXEC counts as one, as in Redis) kvd_execute()
 * calls kvd_block_serve(): for each ready key, oldest signal first, the
 * waiters are served in order while the key holds a non-empty list.  So
 * a push's reply counts the element it pushed, and a push and a pop in
 * one transaction leave nothing to serve.  Serving writes the reply to
 * the waiter wherever it is (baton_client_write() from another client's
 * command) and unparks it; a BLMOVE's push may make its destination
 * ready in turn.  An element is popped only once the reply to the
 * waiter has been written: a waiter that is closing takes nothing, and
 * the element stays in the list for the next one.
 *
 * Main only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

/**
 * struct blk_key - a key clients wait on
 * @node: its name in the table of waited-on keys
 * @first: its oldest wait
 * @last: its newest
 * @ready: it is on the ready list
 * @ready_next: the next key of the ready list
 * @name: the key
 */
struct blk_key {
	struct kvd_tnode node;
	struct blk_wait *first;
	struct blk_wait *last;
	bool ready;
	struct blk_key *ready_next;
	char name[];
};

/**
 * struct blk_wait - one blocked client's place in one key's queue
 * @k: the key
 * @b: the blocked client
 * @prev: the key's previous wait
 * @next: the key's next
 */
struct blk_wait {
	struct blk_key *k;
	struct kvd_blocked *b;
	struct blk_wait *prev;
	struct blk_wait *next;
};

/**
 * struct kvd_blocked - a blocked client and the command it waits with
 * @c: the client
 * @cl: its state
 * @timer: its timeout, armed unless it waits forever
 * @st: its command's counters (CLIENT UNBLOCK counts it failed)
 * @how: what to pop and where to (its @dst pointer is not kept)
 * @move: it moves the element to @dst (BLMOVE, BRPOPLPUSH)
 * @dst: the destination, in this allocation
 * @dlen: its length
 * @nr_waits: its keys
 * @waits: one per distinct key, in the command's order
 */
struct kvd_blocked {
	struct baton_client *c;
	struct kvd_client *cl;
	struct baton_timer timer;
	struct kvd_cmdstat *st;
	struct kvd_block_how how;
	bool move;
	char *dst;
	size_t dlen;
	int nr_waits;
	struct blk_wait waits[];
};

static struct kvd_table keys;				/* __rule(MAIN) */
static struct blk_key *ready_first, *ready_last;	/* __rule(MAIN) */
/* The key kvd_block_serve() is serving: not freed under it. */
static struct blk_key *serving;				/* __rule(MAIN) */
static size_t nr_blocked;				/* __rule(MAIN) */

/**
 * kvd_block_count - how many clients are blocked
 *
 * Context: main thread.
 * Return: the number (INFO's blocked_clients).
 */
size_t kvd_block_count(void)
{
	return nr_blocked;
}

/**
 * ready_unlink - take a key off the ready list
 * @k: a key on it
 *
 * The list is short: the keys one command (or one expiry) changed.
 *
 * Context: main thread.
 */
static void ready_unlink(struct blk_key *k)
{
	struct blk_key **pp = &ready_first, *prev = NULL;

	while (*pp != k) {
		prev = *pp;
		pp = &(*pp)->ready_next;
	}
	*pp = k->ready_next;
	if (ready_last == k)
		ready_last = prev;
	k->ready = false;
}

/**
 * key_put - free a key nobody waits on any more, unless it is being
 * served
 * @k: the key
 *
 * Context: main thread.
 */
static void key_put(struct blk_key *k)
{
	if (k->first || k == serving)
		return;
	if (k->ready)
		ready_unlink(k);
	kvd_table_del(&keys, &k->node);
	free(k);
}

/**
 * key_get - the key named @name, added when missing
 * @name: the key
 * @len: its length
 *
 * Context: main thread.
 * Return: the key, or NULL when out of memory.
 */
static struct blk_key *key_get(const char *name, size_t len)
{
	struct kvd_tnode *n = kvd_table_find(&keys, name, len);
	struct blk_key *k;

	if (n)
		return baton_container_of(n, struct blk_key, node);
	k = calloc(1, sizeof(*k) + len + 1);
	if (!k)
		return NULL;
	memcpy(k->name, name, len);
	k->node.key = k->name;
	k->node.len = len;
	if (kvd_table_add(&keys, &k->node)) {
		free(k);
		return NULL;
	}
	return k;
}

/**
 * blocked_free - take a blocked client off every queue and free it
 * @b: the blocked client
 *
 * Leaves the client's parking and reply to the caller.
 *
 * Context: main thread.
 */
static void blocked_free(struct kvd_blocked *b)
{
	int i;

	baton_timer_cancel(&b->timer);
	for (i = 0; i < b->nr_waits; i++) {
		struct blk_wait *w = &b->waits[i];

		if (w->prev)
			w->prev->next = w->next;
		else
			w->k->first = w->next;
		if (w->next)
			w->next->prev = w->prev;
		else
			w->k->last = w->prev;
		key_put(w->k);
	}
	b->cl->blocked = NULL;
	nr_blocked--;
	free(b);
}

/**
 * unblock - the client waits no more: free its state, let it go on
 * @b: the blocked client, its reply written (or none: it is closing)
 * @now: kvd_now_ms()
 *
 * It is unparked by the caller (that tells whether it is closing);
 * reaching it counts as activity for the idle timeout, as a write does
 * in Redis.
 *
 * Context: main thread.
 */
static void unblock(struct kvd_blocked *b, int64_t now)
{
	struct baton_client *c = b->c;
	struct kvd_client *cl = b->cl;

	blocked_free(b);
	cl->last_ms = now;
	kvd_client_idle_update(c, cl);
}

/**
 * blk_timeout - a blocked client's time is up: a nil reply
 * @t: its timer
 *
 * Context: main thread (a baton timer).
 */
static void blk_timeout(struct baton_timer *t)
{
	struct kvd_blocked *b = baton_container_of(t, struct kvd_blocked, timer);

	if (!baton_client_unpark(b->c))
		baton_client_write(b->c, "*-1\r\n", 5);
	unblock(b, kvd_now_ms());
}

/**
 * kvd_block - park the running command's client until a key it names
 * gets elements, or until its timeout
 * @x: the command; its keys are all missing (lists are never empty)
 * @keys_at: the index of its first key in @x->argv
 * @nr_keys: how many keys (duplicates are waited on once)
 * @timeout_ms: 0 to wait forever, else the timeout
 * @how: what it pops and where it pushes, for the serving
 *
 * The reply comes when the client is served, times out, or is unblocked
 * by CLIENT UNBLOCK; out of memory it is an error at once.
 *
 * Context: main thread, inside the command.
 */
void kvd_block(struct kvd_ctx *x, int keys_at, int nr_keys,
	       int64_t timeout_ms, const struct kvd_block_how *how)
{
	size_t dlen = how->dst ? how->dst->len : 0;
	struct kvd_blocked *b;
	int i, j;

	b = calloc(1, sizeof(*b) + (size_t)nr_keys * sizeof(b->waits[0]) +
		   dlen + 1);
	if (!b) {
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	b->c = x->c;
	b->cl = x->cl;
	b->how = *how;
	b->st = kvd_cmdstat(NULL, kvd_command_find(x->argv[0].s, x->argv[0].len));
	b->move = how->dst != NULL;
	b->dst = (char *)&b->waits[nr_keys];
	b->dlen = dlen;
	if (how->dst)
		memcpy(b->dst, how->dst->s, dlen);
	b->how.dst = NULL;
	baton_timer_init(&b->timer, blk_timeout);
	x->cl->blocked = b;
	nr_blocked++;
	for (i = 0; i < nr_keys; i++) {
		const struct kvd_arg *a = &x->argv[keys_at + i];
		struct blk_wait *w = &b->waits[b->nr_waits];

		for (j = 0; j < b->nr_waits; j++)
			if (b->waits[j].k->node.len == a->len &&
			    !memcmp(b->waits[j].k->name, a->s, a->len))
				break;
		if (j < b->nr_waits)
			continue;
		w->k = key_get(a->s, a->len);
		if (!w->k)
			goto out_oom;
		w->b = b;
		w->prev = w->k->last;
		if (w->k->last)
			w->k->last->next = w;
		else
			w->k->first = w;
		w->k->last = w;
		b->nr_waits++;
	}
	if (timeout_ms && baton_timer_arm(kvd_srv, &b->timer, x->c,
					  (uint64_t)timeout_ms, 0))
		goto out_oom;
	if (baton_client_park(x->c))
		goto out_closing;
	kvd_client_idle_update(x->c, x->cl);
	return;

out_oom:
	kvd_reply_error(x->c, KVD_ERR_OOM);
out_closing:
	blocked_free(b);
}

/**
 * kvd_block_signal - a key changed: serve its waiters after the command
 * @key: the key
 * @len: its length
 *
 * kvd_signal_modified() calls it for every change of every key, so it
 * costs one test when nobody is blocked.
 *
 * Context: main thread.
 */
void kvd_block_signal(const char *key, size_t len)
{
	struct kvd_tnode *n;
	struct blk_key *k;

	if (!keys.count)
		return;
	n = kvd_table_find(&keys, key, len);
	if (!n)
		return;
	k = baton_container_of(n, struct blk_key, node);
	if (k->ready)
		return;
	k->ready = true;
	k->ready_next = NULL;
	if (ready_last)
		ready_last->ready_next = k;
	else
		ready_first = k;
	ready_last = k;
}

/**
 * write_str - queue a bulk reply of a string value, zero-copy
 * @c: the client
 * @s: the string
 * @err: an earlier write's error, or 0
 *
 * Context: main thread.
 * Return: @err, or this write's error.
 */
static int write_str(struct baton_client *c, struct kvd_str *s, int err)
{
	char hdr[32];
	int n;

	if (err)
		return err;
	n = snprintf(hdr, sizeof(hdr), "$%zu\r\n", s->len);
	err = baton_client_write(c, hdr, (size_t)n);
	if (!err && s->len)
		err = baton_client_write_ref(c, &s->obj, s->bytes, s->len);
	return err ? err : baton_client_write(c, "\r\n", 2);
}

/**
 * write_head - queue "*2\r\n" and the key's bulk string, then "*n\r\n"
 * when @count >= 0 (BLMPOP's inner array)
 * @c: the client
 * @k: the key
 * @count: the inner array's length, or -1
 *
 * Context: main thread.
 * Return: 0, or the first write's error.
 */
static int write_head(struct baton_client *c, const struct blk_key *k,
		      long long count)
{
	char hdr[48];
	int n, err;

	n = snprintf(hdr, sizeof(hdr), "*2\r\n$%zu\r\n", k->node.len);
	err = baton_client_write(c, hdr, (size_t)n);
	if (!err)
		err = baton_client_write(c, k->name, k->node.len);
	if (!err) {
		n = count < 0 ? snprintf(hdr, sizeof(hdr), "\r\n") :
			snprintf(hdr, sizeof(hdr), "\r\n*%lld\r\n", count);
		err = baton_client_write(c, hdr, (size_t)n);
	}
	return err;
}

/**
 * serve_pop - BLPOP, BRPOP, BLMPOP: reply the elements, then pop them
 * @b: the waiter, unparked
 * @k: the key
 * @e: its entry, a non-empty list
 *
 * When a write fails the client is being closed by baton, and nothing
 * is popped: the elements stay for the next waiter.
 *
 * Context: main thread.
 * Return: true when elements were popped.
 */
static bool serve_pop(struct kvd_blocked *b, struct blk_key *k,
		      struct kvd_entry *e)
{
	struct kvd_list *l = e->list;
	long long n = b->how.count, i;
	int err;

	if (n < 1)
		n = 1;
	if ((size_t)n > l->len)
		n = (long long)l->len;
	err = write_head(b->c, k, b->how.mpop ? n : -1);
	for (i = 0; i < n; i++)
		err = write_str(b->c, kvd_list_at(l, b->how.left ? (size_t)i :
						l->len - 1 - (size_t)i), err);
	if (err)
		return false;
	for (i = 0; i < n; i++)
		kvd_str_put(kvd_list_pop(l, b->how.left));
	return true;
}

/**
 * serve_move - BLMOVE, BRPOPLPUSH: move one element, reply it
 * @b: the waiter, unparked
 * @e: the source's entry, a non-empty list
 * @now: kvd_now_ms()
 *
 * A destination that holds another type is the waiter's WRONGTYPE error
 * (it is unblocked; the element stays), as in Redis.  The element lands
 * in the destination before the reply is written, so it is never lost.
 *
 * Context: main thread.
 * Return: true when an element moved.
 */
static bool serve_move(struct kvd_blocked *b, struct kvd_entry *e,
		       int64_t now)
{
	size_t dlen = b->dlen;
	struct kvd_entry *d = kvd_store_find(&kvd_db, b->dst, dlen, now);
	struct kvd_str *s;
	bool added = false;

	if (d && d->type != KVD_LIST) {
		kvd_reply_error(b->c, KVD_ERR_WRONGTYPE);
		return false;
	}
	if (!d) {
		d = kvd_store_add(&kvd_db, b->dst, dlen, KVD_LIST);
		if (!d) {
			kvd_reply_error(b->c, KVD_ERR_OOM);
			return false;
		}
		added = true;
	}
	s = kvd_list_pop(e->list, b->how.left);
	if (kvd_list_push(d->list, s, b->how.to_left)) {
		kvd_list_push(e->list, s, b->how.left);	/* its slot is free */
		if (added)
			kvd_store_delete(&kvd_db, d);
		kvd_reply_error(b->c, KVD_ERR_OOM);
		return false;
	}
	write_str(b->c, s, 0);
	kvd_signal_modified(b->dst, dlen);
	return true;
}

/**
 * serve_one - serve the oldest waiter of a key that holds a list
 * @k: the key
 * @e: its entry, a non-empty list
 * @now: kvd_now_ms()
 *
 * The waiter leaves the key's queue whatever happens: served, refused
 * (WRONGTYPE), or dropped because it is closing.
 *
 * Context: main thread.
 */
static void serve_one(struct blk_key *k, struct kvd_entry *e, int64_t now)
{
	struct kvd_blocked *b = k->first->b;
	bool popped;

	if (baton_client_unpark(b->c)) {
		unblock(b, now);	/* closing: it takes nothing */
		return;
	}
	popped = b->move ? serve_move(b, e, now) : serve_pop(b, k, e);
	if (popped) {
		if (!e->list->len)
			kvd_store_delete(&kvd_db, e);
		kvd_signal_modified(k->name, k->node.len);
	}
	unblock(b, now);
}

/**
 * kvd_block_serve - serve the waiters of the keys that changed
 * @now: kvd_now_ms()
 *
 * Keys are taken in the order they were signalled, each one's waiters
 * in the order they blocked, while the key holds a non-empty list.
 * Serving may signal more keys (a BLMOVE's destination); they are
 * served in the same call.
 *
 * Context: main thread, after a command (not inside one).
 */
void kvd_block_serve(int64_t now)
{
	while (ready_first) {
		struct blk_key *k = ready_first;

		ready_first = k->ready_next;
		if (!ready_first)
			ready_last = NULL;
		k->ready = false;
		serving = k;
		while (k->first) {
			struct kvd_entry *e = kvd_store_find(&kvd_db, k->name,
							     k->node.len, now);

			if (!e || e->type != KVD_LIST)
				break;
			serve_one(k, e, now);
		}
		serving = NULL;
		key_put(k);
	}
}

/**
 * kvd_block_unblock - CLIENT UNBLOCK: end a client's wait
 * @cl: the client's state
 * @error: reply the UNBLOCKED error instead of the timeout's nil
 * @now: kvd_now_ms()
 *
 * Context: main thread.
 * Return: true when the client was blocked.
 */
bool kvd_block_unblock(struct kvd_client *cl, bool error, int64_t now)
{
	struct kvd_blocked *b = cl->blocked;

	if (!b)
		return false;
	if (!baton_client_unpark(b->c)) {
		if (error)
			kvd_reply_error(b->c, "UNBLOCKED client unblocked via "
					"CLIENT UNBLOCK");
		else
			baton_client_write(b->c, "*-1\r\n", 5);
	}
	if (b->st)
		b->st->failed++;
	unblock(b, now);
	return true;
}

/**
 * kvd_block_forget - a blocked client is closing: forget its wait
 * @cl: its state
 *
 * baton cancelled its timer already; no reply.
 *
 * Context: main thread (the close callback).
 */
void kvd_block_forget(struct kvd_client *cl)
{
	if (cl->blocked)
		blocked_free(cl->blocked);
}
