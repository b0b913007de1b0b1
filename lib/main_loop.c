// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * main_loop.c - the main thread's side of a client: execute its requests,
 * hand it back, and finalize it when it closes.
 */
#include <unistd.h>
#include <baton/rcu_free.h>
#include <baton/rcu_read.h>
#include <baton/runtime.h>

/* Run the requests the worker parsed, in order, unless the client closes. */
static void main_execute(struct baton_server *s, struct baton_client *c)
	__main_only
{
	unsigned int i;

	if (c->nr_reqs)
		active_window_touch(s, c);
	for (i = 0; i < c->nr_reqs; i++) {
		void *req = c->reqs[i];

		if (c->flags & (CF_CLOSE_NOW | CF_CLOSE_AFTER_REPLY)) {
			if (s->proto.free_req)
				s->proto.free_req(c, req);
			continue;
		}
		s->proto.execute(c, req);
		s->st_requests++;
	}
	c->nr_reqs = 0;

	if (c->flags & CF_PROTO_ERROR) {
		c->flags &= ~CF_PROTO_ERROR;
		s->st_proto_errors++;
		if (c->err_len)
			baton_client_write(c, c->err_msg, c->err_len);
		c->flags |= CF_CLOSE_AFTER_REPLY;
		c->closing = true;
	}
}

/**
 * main_process_inbox - take every client the workers handed over
 * @s: the server
 *
 * One llist_del_all per call (the acquire of the workers' handoffs),
 * processed oldest first; the clients go back to their workers in one
 * batch per worker.
 *
 * Context: main thread.
 */
void main_process_inbox(struct baton_server *s)
{
	struct llist_node *node = llist_del_all(&s->inbox), *pos, *n;
	uint64_t batch = 0;

	node = llist_reverse_order(node);
	llist_for_each_safe(pos, n, node) {
		struct baton_client *c =
			container_of(pos, struct baton_client, handoff);

		assert_owner(c->owner);
		c->at_main = true;
		batch++;
		if (c->flags & CF_GONE) {
			main_finalize_client(s, c);
			continue;
		}
		c->flags |= client_take_close_request(c);
		main_execute(s, c);
		handoff_to_worker(s, c);
	}
	if (batch) {
		s->st_to_main += batch;
		s->st_main_batches++;
		if (batch > s->st_max_batch)
			s->st_max_batch = batch;
	}
	handoff_flush_to_workers(s);
}

/**
 * main_finalize_client - close and unpublish a client its worker let go
 * @s: the server
 * @c: the client, owned by main and out of every epoll set
 *
 * The steps are separate on purpose: unlink from the table, release the
 * queued replies (their object puts run here, on main), close the socket,
 * and only then free the memory, after a grace period, because RCU
 * readers may still be looking at it.
 *
 * Context: main thread.
 */
void main_finalize_client(struct baton_server *s, struct baton_client *c)
{
	c->closing = true;
	client_free_reqs(c);
	if (c->connected && s->proto.close)
		s->proto.close(c);
	c->app_data = NULL;
	if (c->flags & CF_QBUF_LIMIT)
		s->st_qbuf_closes++;
	if (c->flags & CF_OBUF_LIMIT)
		s->st_obuf_closes++;
	active_window_forget(s, c);
	client_table_remove(s, c);
	client_release_output(c);
	close(c->fd);
	if (c->worker)
		c->worker->nr_clients--;
	s->nr_clients--;
	baton_rcu_free(c, client_put_table_ref);
}

/* Take the references of kicks a stopped worker never processed. */
static void main_drop_kicks(struct baton_worker *w) __main_only
{
	struct llist_node *node = llist_del_all(&w->kicks), *pos, *n;

	llist_for_each_safe(pos, n, node) {
		struct baton_client *c =
			container_of(pos, struct baton_client, kick_node);

		atomic_store_explicit(&c->kick_queued, 0, memory_order_relaxed);
		baton_client_put(c);
	}
}

/* Clients taken from the table per walk at shutdown. */
struct collect_ctx {
	struct baton_client *batch[64];
	unsigned int nr;
};

/* Take clients until the batch is full, then stop the walk. */
static int collect_client(struct baton_client *c, void *arg)
{
	struct collect_ctx *ctx = arg;

	ctx->batch[ctx->nr++] = c;
	return ctx->nr == ARRAY_SIZE(ctx->batch);
}

/**
 * main_close_all - finalize every client at shutdown
 * @s: the server, whose workers have been joined
 *
 * With the workers gone, main owns every client wherever it was: on a
 * worker, in an inbox or with main.  The inboxes are emptied (their
 * clients are all in the table) and every client is finalized, a batch
 * per walk of the table: finalizing unlinks them, so each walk finds the
 * rest, and shutdown needs no allocation that could fail.
 *
 * Context: main thread, after worker_join() of every worker.
 */
void main_close_all(struct baton_server *s)
{
	struct collect_ctx ctx;
	unsigned int i, n = s->nr_workers ? s->nr_workers : 1;

	llist_del_all(&s->inbox);
	for (i = 0; i < n; i++) {
		llist_del_all(&s->workers[i].inbox);
		main_drop_kicks(&s->workers[i]);
	}
	do {
		ctx.nr = 0;
		rcu_read_lock_bt();
		client_table_walk(s, collect_client, &ctx);
		rcu_read_unlock_bt();
		for (i = 0; i < ctx.nr; i++) {
			ctx.batch[i]->owner = 0;
			ctx.batch[i]->at_main = true;
			main_finalize_client(s, ctx.batch[i]);
		}
	} while (ctx.nr);
}
