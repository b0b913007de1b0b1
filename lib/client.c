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
#include <baton/chunk_cache.h>
#include <baton/client_internal.h>
#include <baton/clock.h>
#include <baton/handoff.h>
#include <baton/post.h>
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
 * client_reset_io_view - the IO fields of a client between two workers
 * @c: a client main owns and that no worker holds: its old worker let it
 *	go (io_gone) and has no kick of it in flight
 *
 * The fields belong to the worker that serves the client; while it moves,
 * none does, so main sets them as client_alloc() does, for the next.
 *
 * Context: main thread.
 */
void client_reset_io_view(struct baton_client *c) __no_role_analysis
{
	c->io_at_main = true;
	c->io_gone = false;
	c->io_maybe_more = false;
	c->io_want_out = false;
	c->io_prev = c->io_next = NULL;
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
	atomic_init(&c->worker, w);
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	refcount_set(&c->refs, 1);
	cds_lfht_node_init(&c->table_node);
	client_init_io_view(c);
	atomic_init(&c->owner, ROLE_ID_MAIN);
	init_llist_head(&c->posts);
	atomic_init(&c->pending_read, 0);
	atomic_init(&c->pending_ctl, 0);
	atomic_init(&c->ctl_state, 0);
	atomic_init(&c->kick_queued, 0);
	atomic_init(&c->out_pending, 0);
	atomic_init(&c->last_input_ms, clock_now_ms());
	c->at_main = true;
	c->active_sec = -1;
	c->idle_timeout_ms = BATON_IDLE_DEFAULT;
	c->limit_hard = s->limit_hard;
	c->limit_soft = s->limit_soft;
	c->limit_soft_secs = s->limit_soft_secs;
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
	/* Main released the output when it finalized the client; posts can
	 * only be left by a finalize that failed half way. */
	client_take_posts(c);
	client_release_output(c);
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

	/* Relaxed: a standalone counter (see struct baton_client).  Main's
	 * own unpublished replies were never added to it. */
	atomic_fetch_sub_explicit(&c->out_pending, c->out_bytes - c->out_unpub,
				  memory_order_relaxed);
	c->out_unpub = 0;
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

	client_release_done(c);
	for (i = 0; i < c->nr_reqs; i++)
		if (s->proto.free_req)
			s->proto.free_req(c, c->reqs[i]);
	c->nr_reqs = 0;
}

/**
 * client_release_done - give the requests main ran to proto.release_req
 * @c: the client
 *
 * The executed requests are the first nr_done of reqs (an entry main
 * freed with free_req instead is NULL); the ones after them, which a
 * parked client keeps, move to the front.
 *
 * Context: the owner of @c: its IO worker when it takes the client back,
 * or main when the client closes.
 */
void client_release_done(struct baton_client *c)
{
	struct baton_server *s = c->srv;
	unsigned int i, n = c->nr_done;

	if (!n)
		return;
	for (i = 0; i < n; i++)
		if (c->reqs[i])
			s->proto.release_req(c, c->reqs[i]);
	memmove(c->reqs, c->reqs + n, (c->nr_reqs - n) * sizeof(*c->reqs));
	c->nr_reqs -= n;
	c->nr_done = 0;
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

/**
 * client_take_posts - move the output main posted onto the output queue
 * @c: the client, owned by the caller
 *
 * Called by the owner after it consumed CTL_POSTS (client_take_ctl()), and
 * by main when the client reaches it: the llist_del_all is the acquire
 * that pairs with main's llist_add, so the chunks main filled are the
 * caller's.  They were counted in @out_pending when main posted them.
 *
 * Context: the owner of @c (or the last holder of its memory).
 * Return: the bytes moved.
 */
size_t client_take_posts(struct baton_client *c)
{
	struct llist_node *node, *pos, *n;
	size_t bytes = 0;

	if (llist_empty(&c->posts))
		return 0;
	node = llist_reverse_order(llist_del_all(&c->posts));
	llist_for_each_safe(pos, n, node) {
		struct out_chunk *ch = container_of(pos, struct out_chunk, pnode);

		bytes += ch->len;
		client_append_chunk(c, ch);
	}
	return bytes;
}

/**
 * client_owned_by_self - whether the calling thread owns @c now
 * @c: the client
 *
 * Decided from fields the caller may read: its thread-locals and @c's
 * IMMUTABLE server and worker first, then main's own at_main, or the
 * serving worker's own io_at_main and io_gone, so it works in release
 * builds, where it turns misuse into -EPERM instead of a race.  The
 * threads of another server read none of @c's MAIN or IO fields.
 *
 * Context: any thread.
 * Return: true for @c's main while it owns @c, or for @c's IO worker (or
 * main playing it) while the worker owns @c.
 */
bool client_owned_by_self(const struct baton_client *c) __no_role_analysis
{
	if (role_server() != c->srv)
		return false;
	switch (role_current()) {
	case BATON_ROLE_MAIN:
		return c->at_main;
	case BATON_ROLE_IO:
		return client_worker(c)->index == role_io_index() &&
		       !c->io_at_main && !c->io_gone;
	default:
		return false;
	}
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

/*
 * Who may write to @c, and how: its owner appends to the output queue
 * itself; main posts to a client it does not own (post.c); anyone else
 * is misusing the API.
 */
enum client_writer { WRITER_OWNER, WRITER_POST, WRITER_NONE };

static enum client_writer client_writer(const struct baton_client *c)
	__no_role_analysis
{
	if (role_is_main_of(c->srv) && !c->at_main)
		return WRITER_POST;
	return client_owned_by_self(c) ? WRITER_OWNER : WRITER_NONE;
}

/*
 * A recycled standard chunk (chunk_cache.c) holding a copy of @len bytes,
 * or NULL when none is cached.  Main only: the cache is main's.
 */
static struct out_chunk *client_chunk_reuse(struct baton_server *s,
					    const void *buf, size_t len)
	__no_role_analysis
{
	struct out_chunk *ch = chunk_cache_get(s);

	if (!ch)
		return NULL;
	ch->data = ch->buf;
	ch->len = len;
	memcpy(ch->buf, buf, len);
	return ch;
}

/*
 * Append @len copied bytes to the output queue of @c, owned by the
 * caller: into the last chunk when it has room, else a new chunk.
 */
static int client_append_copy(struct baton_client *c, const void *buf,
			      size_t len)
{
	struct out_chunk *tail;
	size_t room, cap;
	int err;

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
	tail = NULL;
	if (cap == OUT_CHUNK_SIZE && len <= cap && role_current() == BATON_ROLE_MAIN)
		tail = client_chunk_reuse(c->srv, buf, len);
	if (!tail)
		tail = client_chunk_copy(buf, len, cap);
	if (!tail)
		return client_reply_nomem(c);
	client_append_chunk(c, tail);
	return 0;
}

/**
 * client_chunk_copy - a chunk holding a copy of @len bytes
 * @buf: the bytes
 * @len: how many
 * @cap: room to allocate at least (more bytes may be appended later)
 *
 * Context: any thread.
 * Return: the chunk, or NULL when out of memory.
 */
struct out_chunk * __init_fn client_chunk_copy(const void *buf, size_t len,
					     size_t cap)
{
	struct out_chunk *ch;

	if (len > cap)
		cap = len;
	ch = bt_malloc(sizeof(*ch) + cap);
	if (!ch)
		return NULL;
	ch->ref = NULL;
	ch->cap = cap;
	ch->data = ch->buf;
	ch->len = len;
	memcpy(ch->buf, buf, len);
	return ch;
}

/**
 * client_chunk_ref - a chunk that references @len bytes of @obj
 * @obj: the object; the chunk takes a reference
 * @data: the first byte, inside @obj
 * @len: how many
 *
 * Context: any thread holding a reference to @obj.
 * Return: the chunk, or NULL when out of memory.
 */
struct out_chunk * __init_fn client_chunk_ref(struct baton_obj *obj,
					    const void *data, size_t len)
{
	struct out_chunk *ch = bt_malloc(sizeof(*ch));

	if (!ch)
		return NULL;
	ch->ref = baton_obj_get(obj);
	ch->cap = 0;
	ch->data = data;
	ch->len = len;
	return ch;
}

/*
 * Count what the owner just appended as pending output: main adds its
 * replies to out_pending once, when it hands the client back (out_unpub
 * until then: one atomic add per handoff, not per reply); a worker
 * writing from @parse adds at once.
 */
static void client_count_write(struct baton_client *c, size_t before)
	__no_role_analysis
{
	if (c->out_bytes <= before)
		return;
	if (role_current() == BATON_ROLE_MAIN)
		c->out_unpub += c->out_bytes - before;
	else
		atomic_fetch_add_explicit(&c->out_pending, c->out_bytes - before,
					  memory_order_relaxed);
}

BATON_API int baton_client_write(struct baton_client *c, const void *buf,
				 size_t len)
{
	size_t before;
	int err;

	switch (client_writer(c)) {
	case WRITER_POST:
		assert_main();
		return post_copy(c, buf, len);
	case WRITER_NONE:
		return role_misuse("baton_client_write");
	case WRITER_OWNER:
		break;
	}
	assert_client_owner(c);
	before = c->out_bytes;
	err = client_append_copy(c, buf, len);
	client_count_write(c, before);
	return err;
}

BATON_API int baton_client_write_ref(struct baton_client *c,
				     struct baton_obj *obj, const void *data,
				     size_t len)
{
	struct out_chunk *ch;
	size_t before;
	int err;

	if (len < WRITE_REF_COPY_MAX)
		return baton_client_write(c, data, len);
	switch (client_writer(c)) {
	case WRITER_POST:
		assert_main();
		return post_ref(c, obj, data, len);
	case WRITER_NONE:
		return role_misuse("baton_client_write_ref");
	case WRITER_OWNER:
		break;
	}
	assert_client_owner(c);
	err = client_reply_check(c, len);
	if (err)
		return err;
	ch = client_chunk_ref(obj, data, len);
	if (!ch)
		return client_reply_nomem(c);
	before = c->out_bytes;
	client_append_chunk(c, ch);
	client_count_write(c, before);
	return 0;
}

BATON_API int baton_client_set_error(struct baton_client *c, const char *msg,
				     size_t len)
{
	char *copy;

	if (!client_owned_by_self(c))
		return role_misuse("baton_client_set_error");
	assert_client_owner(c);
	copy = bt_malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, msg, len);
	free(c->err_msg);
	c->err_msg = copy;
	c->err_len = len;
	return 0;
}

BATON_API void *baton_client_proto_state(struct baton_client *c)
{
	if (!client_owned_by_self(c)) {
		role_misuse("baton_client_proto_state");
		return NULL;
	}
	assert_client_owner(c);
	return c->proto_state;
}

BATON_API size_t baton_client_output_bytes(struct baton_client *c)
{
	size_t pending;

	if (!role_is_main_of(c->srv))
		return (size_t)role_misuse("baton_client_output_bytes") * 0;
	/* Relaxed: a standalone counter; main's own replies since it took
	 * the client are added at the handoff, so count them here. */
	pending = atomic_load_explicit(&c->out_pending, memory_order_relaxed);
	return c->at_main ? pending + c->out_unpub : pending;
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
	if (!role_is_main_of(c->srv)) {
		role_misuse("baton_client_set_data");
		return;
	}
	c->app_data = data;
}

BATON_API void *baton_client_data(const struct baton_client *c)
{
	if (!role_is_main_of(c->srv)) {
		role_misuse("baton_client_data");
		return NULL;
	}
	return c->app_data;
}

BATON_API int baton_client_io_worker(const struct baton_client *c)
{
	if (!role_is_main_of(c->srv)) {
		role_misuse("baton_client_io_worker");
		return -1;
	}
	return client_worker(c)->inline_io ? -1 : client_worker(c)->index;
}

/* client_lookup - baton_client_lookup() for main, which checked its role. */
static struct baton_client *client_lookup(struct baton_server *s, uint64_t id)
	__main_only
{
	struct baton_client *c;

	rcu_read_lock_bt();
	c = client_table_find(s, id);
	rcu_read_unlock_bt();
	/* Only main removes clients, so @c stays valid on main after unlock. */
	return c && !c->closing ? c : NULL;
}

BATON_API struct baton_client *baton_client_lookup(struct baton_server *s,
						   uint64_t id)
{
	if (!role_is_main_of(s)) {
		role_misuse("baton_client_lookup");
		return NULL;
	}
	return client_lookup(s, id);
}

/*
 * Close @c: at once when main owns it, else through its owner (a kick).
 * A kill drops the output main posted and has not sent yet; a close
 * after the output publishes it first, so that the owner, which may take
 * the request at once, finds it on @c->posts (see post_publish_now()).
 */
static void client_close_how(struct baton_client *c, unsigned int cf,
			     unsigned int ctl) __main_only
{
	c->closing = true;
	if (cf & CF_CLOSE_NOW)
		post_forget(c);
	if (c->at_main) {
		c->flags |= cf;		/* main owns it: OWNER write */
		return;
	}
	post_publish_now(c);
	handoff_kick(c->srv, c, ctl);
}

/**
 * client_kill - close @c without sending its queued output
 * @c: the client, not closing yet
 *
 * Context: main thread.
 */
void client_kill(struct baton_client *c)
{
	client_close_how(c, CF_CLOSE_NOW, CTL_CLOSE_NOW);
}

/**
 * client_close - close @c once its queued output is sent
 * @c: the client
 *
 * Context: main thread.
 */
void client_close(struct baton_client *c)
{
	if (!c->closing)
		client_close_how(c, CF_CLOSE_AFTER_REPLY, CTL_CLOSE_AFTER_REPLY);
}

BATON_API int baton_client_kill(struct baton_server *s, uint64_t id)
{
	struct baton_client *c;

	if (!role_is_main_of(s))
		return role_misuse("baton_client_kill");
	c = client_lookup(s, id);
	if (!c)
		return -ENOENT;
	client_kill(c);
	return 0;
}

BATON_API int baton_client_close(struct baton_client *c)
{
	if (!role_is_main_of(c->srv))
		return role_misuse("baton_client_close");
	client_close(c);
	return 0;
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

	if (!role_is_main_of(s))
		return role_misuse("baton_client_for_each");
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
