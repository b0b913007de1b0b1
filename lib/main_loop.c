// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * main_loop.c - the main thread's run loop and everything it does per
 * iteration: accept, take the clients the workers handed over, execute
 * their requests, hand them back, finalize closed clients, drain deferred
 * frees and tick.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <baton/active_window.h>
#include <baton/adapt.h>
#include <baton/call.h>
#include <baton/chunk_cache.h>
#include <baton/client_internal.h>
#include <baton/client_table.h>
#include <baton/clock.h>
#include <baton/defer.h>
#include <baton/fault.h>
#include <baton/gate.h>
#include <baton/handoff.h>
#include <baton/idle.h>
#include <baton/logging.h>
#include <baton/main_loop.h>
#include <baton/net.h>
#include <baton/post.h>
#include <baton/probe.h>
#include <baton/rcu_free.h>
#include <baton/rcu_read.h>
#include <baton/server_internal.h>
#include <baton/timer_internal.h>
#include <baton/worker.h>

#define MAIN_EVENTS		64
#define ACCEPTS_PER_WAKE	256
#define INLINE_ROUNDS		16	/* IO/execute rounds per iteration, 0 workers */

/*
 * Run the requests the worker parsed, in order, unless the client closes
 * or is parked: a parked client keeps the requests after the one that
 * parked it, for when it is unparked.
 */
static void main_execute(struct baton_server *s, struct baton_client *c)
	__main_only
{
	bool release = s->proto.release_req;
	unsigned int i;

	if (c->nr_reqs)
		active_window_touch(s, c);
	for (i = 0; i < c->nr_reqs && !(c->state & CS_PARKED); i++) {
		void *req = c->reqs[i];

		if (c->flags & (CF_CLOSE_NOW | CF_CLOSE_AFTER_REPLY)) {
			if (s->proto.free_req)
				s->proto.free_req(c, req);
			c->reqs[i] = NULL;
			continue;
		}
		GATE("main_execute");
		s->proto.execute(c, req);
		s->st_requests++;
	}
	if (release) {
		/* The worker releases them, and moves the rest up, when it
		 * takes the client back (client_release_done()). */
		c->nr_done = i;
	} else {
		if (i < c->nr_reqs)
			memmove(c->reqs, c->reqs + i,
				(c->nr_reqs - i) * sizeof(*c->reqs));
		c->nr_reqs -= i;
	}

	/* The error comes after every request before it was answered. */
	if ((c->flags & CF_PROTO_ERROR) && c->nr_reqs == c->nr_done) {
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
 * processed oldest first.  Before it executes anything main takes what
 * was posted to the client while it was away, so that output written
 * before a reply goes out before it.  The clients go back to their
 * workers with the iteration's flush (main_flush()).
 *
 * Context: main thread.
 */
void main_process_inbox(struct baton_server *s)
{
	struct llist_node *node = llist_del_all(&s->inbox), *pos, *n;
	uint64_t batch = 0;
	unsigned int ctl;

	node = llist_reverse_order(node);
	llist_for_each_safe(pos, n, node) {
		struct baton_client *c =
			container_of(pos, struct baton_client, handoff);

		assert_client_owner(c);
		c->at_main = true;
		batch++;
		if (c->flags & CF_GONE) {
			main_finalize_client(s, c);
			continue;
		}
		ctl = client_take_ctl(c);
		c->flags |= client_ctl_flags(ctl);
		client_take_posts(c);
		post_take_chain(c);
		main_execute(s, c);
		if (c->flags & CF_MOVED) {
			adapt_moved(s, c);
			continue;
		}
		if (ctl & CTL_MOVE)
			/* Only its worker can let it go: back to it with the
			 * request, which the worker takes with the client.
			 * Release: pairs with client_take_ctl()'s acquire. */
			atomic_fetch_or_explicit(&c->pending_ctl, CTL_MOVE,
						 memory_order_release);
		handoff_to_worker(s, c);
	}
	if (batch) {
		BATON_PROBE(main_batch, batch);
		s->st_to_main += batch;
		s->st_main_batches++;
		if (batch > s->st_max_batch)
			s->st_max_batch = batch;
	}
}

/**
 * main_flush - send what this iteration produced for the workers
 * @s: the server
 *
 * Posts first (they may kick their clients' owners), then per worker the
 * clients handed back and the kicks, under at most one wake each.
 *
 * Context: main thread.
 */
void main_flush(struct baton_server *s)
{
	post_flush(s);
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
	timer_client_gone(c);
	if (c->connected && s->proto.close)
		s->proto.close(c);
	c->app_data = NULL;
	idle_untrack(s, c);
	post_forget(c);
	client_take_posts(c);
	if (c->flags & CF_QBUF_LIMIT)
		s->st_qbuf_closes++;
	if (c->flags & CF_OBUF_LIMIT)
		s->st_obuf_closes++;
	active_window_forget(s, c);
	client_table_remove(s, c);
	client_release_output(c);
	close(c->fd);
	client_worker(c)->nr_clients--;
	s->nr_clients--;
	rcu_free(c, client_put_table_ref);
	GATE("main_finalized");
}

/* Take the references of kicks a stopped worker never processed (and
 * of kicks main never sent). */
static void main_drop_kicks(struct baton_worker *w) __main_only
{
	struct llist_node *node = llist_del_all(&w->kicks), *pos, *n;

	if (w->kick_last) {
		w->kick_last->next = node;
		node = w->kick_first;
		w->kick_first = w->kick_last = NULL;
	}
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
	unsigned int i, n = (unsigned int)s->max_workers + 1;

	llist_del_all(&s->inbox);
	s->moving = NULL;
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
			client_set_owner(ctx.batch[i], ROLE_ID_MAIN);
			ctx.batch[i]->at_main = true;
			main_finalize_client(s, ctx.batch[i]);
		}
	} while (ctx.nr);
}

static void refuse(struct baton_server *s, int fd) __main_only
{
	if (s->proto.busy_msg)
		bt_send(fd, s->proto.busy_msg, strlen(s->proto.busy_msg),
			MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
	s->st_rejected++;
}

static void accept_one(struct baton_server *s, int fd, const char *peer)
	__main_only
{
	struct baton_worker *w;
	struct baton_client *c;

	if (s->nr_clients >= s->max_clients) {
		refuse(s, fd);
		return;
	}
	w = adapt_place(s);
	c = client_alloc(s, fd, peer, w);
	if (!c || client_table_insert(s, c)) {
		free(c);
		close(fd);
		s->st_rejected++;
		return;
	}
	s->nr_clients++;
	w->nr_clients++;
	s->st_accepted++;
	idle_track(s, c);
	if (s->proto.connect && s->proto.connect(c) < 0) {
		s->st_rejected++;
		c->flags |= CF_GONE;
		main_finalize_client(s, c);
		return;
	}
	c->connected = true;
	c->flags |= CF_NEW;
	handoff_to_worker(s, c);
}

/*
 * Accept what is waiting, a bounded number per wake.  When the process is
 * out of descriptors the listener would stay readable and the loop would
 * spin: it is taken out of epoll until the next tick instead.
 */
static void accept_clients(struct baton_server *s, struct baton_listener *l)
	__main_only
{
	char peer[sizeof(((struct baton_client *)0)->peer)];
	int i, fd;

	for (i = 0; i < ACCEPTS_PER_WAKE; i++) {
		fd = net_accept(l->fd, l->is_unix ? l->path : NULL, peer,
				sizeof(peer));
		if (fd >= 0) {
			accept_one(s, fd, peer);
			continue;
		}
		if (fd == -EINTR || fd == -ECONNABORTED)
			continue;
		if (fd == -EMFILE || fd == -ENFILE || fd == -ENOBUFS ||
		    fd == -ENOMEM) {
			pr_warn("accept: %s; pausing the listener until the next tick",
				strerror(-fd));
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, l->fd, NULL);
			l->paused = true;
		}
		break;
	}
}

static void resume_listeners(struct baton_server *s) __main_only
{
	unsigned int i;

	for (i = 0; i < s->nr_listeners; i++) {
		struct baton_listener *l = &s->listeners[i];

		if (l->paused &&
		    !evsrc_epoll_ctl(s->epfd, EPOLL_CTL_ADD, l->fd, &l->src, EPOLLIN))
			l->paused = false;
	}
}

/**
 * main_drain_deferred - free what the workers and foreign threads left
 * for main
 * @s: the server
 *
 * Context: main thread, outside any RCU read-side section.
 */
void main_drain_deferred(struct baton_server *s)
{
	int i;

	for (i = 0; i <= s->max_workers; i++)
		defer_drain(&s->workers[i].defer);
	defer_drain(&s->defer);
}

/* Main plays the inline worker @w: the IO role, and the worker's clock. */
static void inline_borrow_io(struct baton_worker *w) __main_only
	__acquires_role(role_io)
{
	role_borrow_io(w->index);
	w->io_now_ms = clock_now_ms();
}

/*
 * Main serves its own clients (the inline worker's) too: after its events
 * it alternates the IO role (take handed-back clients, write, parse) and
 * the main role (execute) until both inboxes are quiet or a bound is hit.
 * With no inline client this is one main_process_inbox().
 */
static void inline_io_rounds(struct baton_server *s) __main_only
{
	struct baton_worker *w = s->inline_w;
	int round;

	for (round = 0; round < INLINE_ROUNDS; round++) {
		struct llist_node *first = NULL, *last = NULL;

		main_process_inbox(s);
		/* The IO threads get theirs once, at the end of the iteration. */
		post_flush(s);
		handoff_flush_worker(s, w);
		if (llist_empty(&w->inbox) && llist_empty(&w->kicks))
			break;
		inline_borrow_io(w);
		worker_handle_inbox(w, &first, &last);
		handoff_flush_to_main(w, first, last);
		chunk_cache_flush(w);
		role_return_io();
	}
}

static void main_handle_events(struct baton_server *s, struct epoll_event *evs,
			       int n) __main_only
{
	struct baton_worker *w0 = s->inline_w;
	struct llist_node *first = NULL, *last = NULL;
	struct signalfd_siginfo si;
	bool io = false;
	int i;

	s->st_iters++;
	s->st_events += (uint64_t)n;
	for (i = 0; i < n; i++) {
		struct evsrc *src = evs[i].data.ptr;

		switch (src->kind) {
		case EVSRC_WAKE:
			break;	/* edge-triggered: the inboxes are drained below */
		case EVSRC_SIGNAL:
			while (read(s->sigfd, &si, sizeof(si)) == sizeof(si))
				atomic_store_explicit(&s->stop, true,
						      memory_order_relaxed);
			break;
		case EVSRC_LISTENER:
			accept_clients(s, container_of(src, struct baton_listener, src));
			break;
		case EVSRC_CLIENT:
			/* Clients in main's own set: the inline worker's. */
			inline_borrow_io(w0);
			worker_handle_event(w0, container_of(src, struct baton_client, src),
					    evs[i].events, &first, &last);
			role_return_io();
			io = true;
			break;
		}
	}
	if (io) {
		inline_borrow_io(w0);
		handoff_flush_to_main(w0, first, last);
		chunk_cache_flush(w0);
		role_return_io();
	}
}

/* How long main may sleep: until the tick or the earliest timer. */
static int next_timeout(struct baton_server *s) __main_only
{
	uint64_t now = clock_now_ms(), due = s->next_tick_ms;

	if (!llist_empty(&s->inline_w->inbox) ||
	    !llist_empty(&s->inline_w->kicks) ||
	    (s->inline_w->nr_clients && !llist_empty(&s->inbox)))
		return 0;
	if (timer_next_due(s) < due)
		due = timer_next_due(s);
	return due > now ? (int)(due - now) : 0;
}

static void maybe_tick(struct baton_server *s) __main_only
{
	uint64_t now = clock_now_ms();

	if (now < s->next_tick_ms)
		return;
	s->next_tick_ms = now + 1000 / s->tick_hz;
	resume_listeners(s);
	idle_scan(s, now);
	adapt_tick(s);
	if (s->proto.tick)
		s->proto.tick(s);
}

/**
 * main_loop_run - run main's loop until baton_server_stop() or a signal
 * @s: the server
 *
 * Context: main thread, inside baton_server_run().
 * Return: 0 when stopped, or -errno when epoll_wait failed.
 */
int main_loop_run(struct baton_server *s)
{
	struct epoll_event evs[MAIN_EVENTS];
	int n, err = 0;

	s->next_tick_ms = clock_now_ms() + 1000 / s->tick_hz;
	/* Acquire: pairs with the release in baton_server_stop(). */
	while (!atomic_load_explicit(&s->stop, memory_order_acquire)) {
		uint64_t t0 = clock_ns_now();

		n = epoll_wait(s->epfd, evs, MAIN_EVENTS, next_timeout(s));
		/* Main's busy fraction, for the auto mode: wall time outside
		 * epoll_wait, preempted time included. */
		s->st_wait_ns += clock_ns_now() - t0;
		if (n < 0 && errno != EINTR) {
			err = -errno;
			pr_err("main loop: epoll_wait: %s", strerror(errno));
			break;
		}
		if (n > 0)
			main_handle_events(s, evs, n);
		chunk_cache_refill(s);
		inline_io_rounds(s);
		adapt_retry_moves(s);
		call_run(s);
		timer_run(s, clock_now_ms());
		maybe_tick(s);
		main_flush(s);
		main_drain_deferred(s);
		rcu_free_flush();
	}
	return err;
}
