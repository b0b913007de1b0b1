// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * client.c - a client's memory, its reply queue, and the client functions
 * of the public API.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <baton/fault.h>
#include <baton/logging.h>
#include <baton/rcu_free.h>
#include <baton/rcu_read.h>
#include <baton/client_internal.h>
#include <baton/client_table.h>
#include <baton/server_internal.h>
#include <baton/wake.h>
#include <baton/worker.h>
#include <uapi/baton/object.h>

/*
 * Copied replies go into chunks of this size (or one of the reply's size).
 * After a referenced chunk the copies are usually a few bytes between two
 * references (the "\r\n" after a value and the next header), so the
 * chunk that follows one is small.
 */
#define OUT_CHUNK_SIZE		(16 * 1024 - sizeof(struct out_chunk))
#define OUT_CHUNK_AFTER_REF	(256 - sizeof(struct out_chunk))
/* References to fewer bytes than this are copied: cheaper than a chunk,
 * a reference and its put, and the bytes sent are the same. */
#define WRITE_REF_COPY_MAX	256

/*
 * The worker's view of a new client: not the worker's yet.  Until
 * worker_take_client() takes it from the inbox, a kick must not treat it
 * as owned by the worker (spin found that: tools/model, NEW_IO_AT_MAIN).
 * The IO field is written here, by main, before the client is published
 * to any thread.
 */
static void client_init_io_view(struct baton_client *c) __no_role_analysis
{
	c->io_at_main = true;
}

/**
 * client_alloc - a new client for an accepted socket
 * @s: the server
 * @fd: the connection
 * @peer: the peer's address as text
 * @w: the worker that will serve it
 *
 * The client starts owned by main with one reference: the client table's.
 *
 * Context: main thread.
 * Return: the client or NULL when out of memory.
 */
struct baton_client *client_alloc(struct baton_server *s, int fd,
				  const char *peer, struct baton_worker *w)
{
	struct baton_client *c = bt_calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->src.kind = EVSRC_CLIENT;
	c->id = ++s->next_id;
	c->fd = fd;
	c->srv = s;
	c->worker = w;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	refcount_set(&c->refs, 1);
	cds_lfht_node_init(&c->table_node);
	client_init_io_view(c);
	c->owner = role_self();
	c->at_main = true;
	c->active_sec = -1;
	return c;
}

/*
 * client_free - the memory of a client nobody can reach any more.
 * Context: may run on the RCU callback thread, a foreign thread (the last
 * baton_client_put) or an IO worker (a kick's reference); thread-safe:
 * the client is out of the table, past a grace period, its connection
 * closed and its replies released by main.
 */
static void client_free(struct baton_client *c)
{
	free(c->qbuf);
	free(c->reqs);
	free(c->err_msg);
	free(c);
}

/**
 * client_put_table_ref - drop the table's reference after a grace period
 * @ptr: the client
 *
 * Context: the RCU callback thread (through rcu_free); thread-safe.
 */
void client_put_table_ref(void *ptr)
{
	struct baton_client *c = ptr;

	if (refcount_dec_and_test(&c->refs))
		client_free(c);
}

BATON_API void baton_client_put(struct baton_client *c)
{
	if (c && refcount_dec_and_test(&c->refs))
		client_free(c);
}

/**
 * client_chunk_release - free one sent or dropped reply chunk
 * @ch: the chunk, already unlinked from its client
 *
 * A referenced object is put here, on the calling thread: an IO worker's
 * last put of a main-only object goes to its deferred-free queue.
 *
 * Context: the owner of the client the chunk belonged to.
 */
void client_chunk_release(struct out_chunk *ch)
{
	if (ch->ref)
		baton_obj_put(ch->ref);
	free(ch);
}

/**
 * client_release_output - drop every queued reply chunk
 * @c: the client
 *
 * Unlinking the chunks from the client and putting their objects are two
 * steps: the list is detached first, so the client never points at a
 * chunk that is being freed.
 *
 * Context: the owner of @c.
 */
void client_release_output(struct baton_client *c)
{
	struct out_chunk *ch = c->out_head, *next;

	c->out_head = c->out_tail = NULL;
	c->out_bytes = 0;
	for (; ch; ch = next) {
		next = ch->next;
		client_chunk_release(ch);
	}
}

/**
 * client_free_reqs - free parsed requests that will not run
 * @c: the client
 *
 * Context: main thread, owning @c.
 */
void client_free_reqs(struct baton_client *c)
{
	struct baton_server *s = c->srv;
	unsigned int i;

	for (i = 0; i < c->nr_reqs; i++)
		if (s->proto.free_req)
			s->proto.free_req(c, c->reqs[i]);
	c->nr_reqs = 0;
}

/**
 * client_append_chunk - queue @ch after every earlier reply
 * @c: the client
 * @ch: the chunk
 *
 * Context: the owner of @c.
 */
void client_append_chunk(struct baton_client *c, struct out_chunk *ch)
{
	ch->next = NULL;
	if (c->out_tail)
		c->out_tail->next = ch;
	else
		c->out_head = ch;
	c->out_tail = ch;
	c->out_bytes += ch->len;
}

/* Whether @len more reply bytes may be queued; past the limit the client
 * is marked to close with its replies dropped. */
static int client_reply_check(struct baton_client *c, size_t len)
{
	if (c->flags & (CF_CLOSE_NOW | CF_CLOSE_AFTER_REPLY | CF_GONE))
		return -EPIPE;
	if (len > c->srv->obuf_limit || c->out_bytes > c->srv->obuf_limit - len) {
		c->flags |= CF_CLOSE_NOW | CF_OBUF_LIMIT;
		return -ENOBUFS;
	}
	return 0;
}

/*
 * A reply could not be queued: the client's reply stream now lacks it, so
 * a later reply would answer the wrong request.  Send what is queued and
 * close, so the peer sees a correct prefix and then the end.
 */
static int client_reply_nomem(struct baton_client *c)
{
	c->flags |= CF_CLOSE_AFTER_REPLY;
	return -ENOMEM;
}

BATON_API int baton_client_write(struct baton_client *c, const void *buf,
				 size_t len)
{
	struct out_chunk *tail;
	size_t room, cap;
	int err;

	assert_owner(c->owner);
	err = client_reply_check(c, len);
	if (err || !len)
		return err;

	tail = c->out_tail;
	if (tail && !tail->ref) {
		room = tail->cap - (size_t)(tail->data - tail->buf) - tail->len;
		if (room >= len) {
			memcpy((char *)tail->data + tail->len, buf, len);
			tail->len += len;
			c->out_bytes += len;
			return 0;
		}
	}
	cap = tail && tail->ref ? OUT_CHUNK_AFTER_REF : OUT_CHUNK_SIZE;
	if (len > cap)
		cap = len;
	tail = bt_malloc(sizeof(*tail) + cap);
	if (!tail)
		return client_reply_nomem(c);
	tail->ref = NULL;
	tail->cap = cap;
	tail->data = tail->buf;
	tail->len = len;
	memcpy(tail->buf, buf, len);
	client_append_chunk(c, tail);
	return 0;
}

BATON_API int baton_client_write_ref(struct baton_client *c,
				     struct baton_obj *obj, const void *data,
				     size_t len)
{
	struct out_chunk *ch;
	int err;

	assert_owner(c->owner);
	if (len < WRITE_REF_COPY_MAX)
		return baton_client_write(c, data, len);
	err = client_reply_check(c, len);
	if (err || !len)
		return err;
	ch = bt_malloc(sizeof(*ch));
	if (!ch)
		return client_reply_nomem(c);
	ch->ref = baton_obj_get(obj);
	ch->cap = 0;
	ch->data = data;
	ch->len = len;
	client_append_chunk(c, ch);
	return 0;
}

BATON_API int baton_client_set_error(struct baton_client *c, const char *msg,
				     size_t len)
{
	char *copy = bt_malloc(len ? len : 1);

	assert_owner(c->owner);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, msg, len);
	free(c->err_msg);
	c->err_msg = copy;
	c->err_len = len;
	return 0;
}

BATON_API uint64_t baton_client_id(const struct baton_client *c)
{
	return c->id;
}

BATON_API const char *baton_client_peer(const struct baton_client *c)
{
	return c->peer;
}

BATON_API struct baton_server *baton_client_server(const struct baton_client *c)
{
	return c->srv;
}

BATON_API void baton_client_set_data(struct baton_client *c, void *data)
{
	assert_main();
	c->app_data = data;
}

BATON_API void *baton_client_data(const struct baton_client *c)
{
	assert_main();
	return c->app_data;
}

BATON_API int baton_client_io_worker(const struct baton_client *c)
{
	assert_main();
	return c->worker && !c->worker->inline_io ? c->worker->index : -1;
}

BATON_API struct baton_client *baton_client_lookup(struct baton_server *s,
						   uint64_t id)
{
	struct baton_client *c;

	assert_main();
	rcu_read_lock_bt();
	c = client_table_find(s, id);
	rcu_read_unlock_bt();
	/* Only main removes clients, so @c stays valid on main after unlock. */
	return c && !c->closing ? c : NULL;
}

/*
 * Ask the worker that owns @c to close it.  The kick holds a reference so
 * the client's memory outlives its place on the worker's kick list even
 * if the client reaches main and is finalized first.
 */
static void client_kick_worker(struct baton_client *c, unsigned int how)
	__main_only
{
	struct baton_worker *w = c->worker;

	/* Release: pairs with the acquire in client_take_close_request(). */
	atomic_fetch_or_explicit(&c->pending_kill, how, memory_order_release);
	if (atomic_exchange_explicit(&c->kick_queued, 1, memory_order_acq_rel))
		return;		/* already on the list */
	refcount_inc(&c->refs);
	if (llist_add(&c->kick_node, &w->kicks) && !w->inline_io)
		wake_up(&w->wake);
}

BATON_API int baton_client_kill(struct baton_server *s, uint64_t id)
{
	struct baton_client *c;

	assert_main();
	c = baton_client_lookup(s, id);
	if (!c)
		return -ENOENT;
	c->closing = true;
	if (c->at_main)
		c->flags |= CF_CLOSE_NOW;	/* main owns it: OWNER write */
	else
		client_kick_worker(c, PK_CLOSE_NOW);
	return 0;
}

BATON_API void baton_client_close(struct baton_client *c)
{
	assert_main();
	if (c->closing)
		return;
	c->closing = true;
	if (c->at_main)
		c->flags |= CF_CLOSE_AFTER_REPLY;
	else
		client_kick_worker(c, PK_CLOSE_AFTER_REPLY);
}

struct for_each_ctx {
	int (*fn)(struct baton_client *c, void *arg);
	void *arg;
};

/* Skip clients that are closing: the application has seen them go. */
static int for_each_open(struct baton_client *c, void *arg) __no_role_analysis
{
	struct for_each_ctx *ctx = arg;

	return c->closing ? 0 : ctx->fn(c, ctx->arg);
}

BATON_API int baton_client_for_each(struct baton_server *s,
				    int (*fn)(struct baton_client *c, void *arg),
				    void *arg)
{
	struct for_each_ctx ctx = { fn, arg };
	int ret;

	assert_main();
	rcu_read_lock_bt();
	ret = client_table_walk(s, for_each_open, &ctx);
	rcu_read_unlock_bt();
	return ret;
}

BATON_API struct baton_client *baton_client_get_rcu(struct baton_server *s,
						    uint64_t id)
{
	struct baton_client *c = client_table_find(s, id);

	/* The table's reference drops only after a grace period that our
	 * read-side section holds back, so a found client is not freed yet;
	 * inc_not_zero still refuses one whose last reference went. */
	if (c && refcount_inc_not_zero(&c->refs))
		return c;
	return NULL;
}
