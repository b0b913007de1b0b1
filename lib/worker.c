// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * worker.c - an IO worker: its setup and teardown, its thread and epoll
 * loop, reading and parsing, writing replies, and the client state
 * machine on the worker's side.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <baton/chunk_cache.h>
#include <baton/client_internal.h>
#include <baton/clock.h>
#include <baton/defer.h>
#include <baton/fault.h>
#include <baton/gate.h>
#include <baton/handoff.h>
#include <baton/logging.h>
#include <baton/rcu_free.h>
#include <baton/server_internal.h>
#include <baton/worker.h>
#include <uapi/baton/rcu.h>

#define WORKER_EVENTS		64
#define REQS_PER_BATCH		1024	/* requests parsed per trip to main */
#define QBUF_MIN		(16 * 1024)
#define READ_MIN_ROOM		4096
#define WRITE_IOV		64

#define EV_IN	(EPOLLIN | EPOLLRDHUP | EPOLLET)

static int client_epoll(struct baton_worker *w, struct baton_client *c,
			int op, uint32_t events)
{
	return evsrc_epoll_ctl(w->epfd, op, c->fd, &c->src, events);
}

/*
 * The worker is done with @c for good: out of its epoll set and its list.
 * Main closes the socket and frees the client when it receives CF_GONE.
 */
static void worker_detach(struct baton_worker *w, struct baton_client *c,
			  struct llist_node **first, struct llist_node **last)
	__io_only __releases_owner(c)
{
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->io_prev)
		c->io_prev->io_next = c->io_next;
	else
		w->io_clients = c->io_next;
	if (c->io_next)
		c->io_next->io_prev = c->io_prev;
	c->io_prev = c->io_next = NULL;
	c->io_gone = true;
	c->flags |= CF_GONE;
	handoff_to_main(w, c, first, last);
}

/*
 * Let @c go to another worker: out of this worker's epoll set and list,
 * never touched by it again (io_gone), handed to main with CF_MOVED.  Its
 * buffers, requests and output travel with it (see adapt.c).
 */
static void worker_release(struct baton_worker *w, struct baton_client *c,
			   struct llist_node **first, struct llist_node **last)
	__io_only __releases_owner(c)
{
	epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->io_prev)
		c->io_prev->io_next = c->io_next;
	else
		w->io_clients = c->io_next;
	if (c->io_next)
		c->io_next->io_prev = c->io_prev;
	c->io_prev = c->io_next = NULL;
	if (c->io_want_out)
		c->io_want_out = false;
	c->io_gone = true;
	c->flags |= CF_MOVED;
	handoff_to_main(w, c, first, last);
	GATE("worker_let_go");	/* main has it once the chain is published */
}

/* Make room for one more request pointer; false when out of memory. */
static bool reqs_reserve(struct baton_client *c) __requires_owner(c)
{
	void **n;
	unsigned int cap;

	if (c->nr_reqs < c->cap_reqs)
		return true;
	cap = c->cap_reqs ? c->cap_reqs * 2 : 16;
	n = bt_realloc(c->reqs, cap * sizeof(*n));
	if (!n)
		return false;
	c->reqs = n;
	c->cap_reqs = cap;
	return true;
}

/*
 * Parse complete requests out of the query buffer.  Returns true when the
 * client must go to main: requests are ready, the input was rejected, or
 * a reply written from parse could not be queued (CF_CLOSE_AFTER_REPLY:
 * main sends it back to be flushed and closed).
 */
static bool worker_parse(struct baton_worker *w, struct baton_client *c)
	__io_only __requires_owner(c)
{
	struct baton_server *s = w->srv;
	size_t pos = 0;

	while (pos < c->qlen && c->nr_reqs < REQS_PER_BATCH) {
		void *req = NULL;
		ssize_t r;

		if (!reqs_reserve(c)) {
			c->flags |= CF_CLOSE_NOW;
			break;
		}
		r = s->proto.parse(c, c->qbuf + pos, c->qlen - pos, &req);
		if (r == 0)
			break;
		if (r < 0 || (size_t)r > c->qlen - pos) {
			/* Bytes that can never be a request: drop the rest. */
			c->flags |= CF_PROTO_ERROR;
			pos = c->qlen;
			break;
		}
		c->reqs[c->nr_reqs++] = req;
		pos += (size_t)r;
	}
	if (pos) {
		memmove(c->qbuf, c->qbuf + pos, c->qlen - pos);
		c->qlen -= pos;
	}
	return c->nr_reqs ||
	       (c->flags & (CF_PROTO_ERROR | CF_CLOSE_NOW | CF_CLOSE_AFTER_REPLY));
}

/*
 * A client holds a query buffer only while it has unparsed bytes: an
 * idle client costs no 16 KiB buffer.  The worker keeps one spare
 * buffer of the base size and lends it to the client that reads next,
 * so a client answering one request at a time does not allocate either.
 */
static bool qbuf_lend(struct baton_worker *w, struct baton_client *c)
	__io_only __requires_owner(c)
{
	c->qbuf = w->io_spare_qbuf ? w->io_spare_qbuf : bt_malloc(QBUF_MIN);
	w->io_spare_qbuf = NULL;
	c->qcap = c->qbuf ? QBUF_MIN : 0;
	return c->qbuf != NULL;
}

static void qbuf_return(struct baton_worker *w, struct baton_client *c)
	__io_only __requires_owner(c)
{
	if (c->qlen || !c->qbuf)
		return;
	if (!w->io_spare_qbuf && c->qcap == QBUF_MIN)
		w->io_spare_qbuf = c->qbuf;
	else
		free(c->qbuf);		/* grown for a large request: give it back */
	c->qbuf = NULL;
	c->qcap = 0;
}

/*
 * Read what the socket has and parse it; hand @c to main once requests
 * are complete.  What main wants of the input (client_state()) decides
 * first: a paused client is not read, a parked one is read and buffered
 * but nothing is parsed or handed over.
 *
 * Edge-triggered epoll: a read that fills the room it was given may have
 * left bytes in the socket, so io_maybe_more makes the next return from
 * main read again.  A shorter read emptied the socket, and bytes that
 * come after it raise a new edge: while main has the client the worker
 * records it in pending_read, which alone makes the worker read again
 * when the client comes back.
 */
static void worker_input(struct baton_worker *w, struct baton_client *c,
			 bool try_read, struct llist_node **first,
			 struct llist_node **last) __io_only __releases_owner(c)
{
	struct baton_server *s = w->srv;
	unsigned int state = client_state(c);

	if (state & CS_READ_PAUSED) {
		/* Nothing read, nothing handed over: look again on resume. */
		c->io_maybe_more |= try_read;
		client_done(c);
		return;
	}
	if (!(state & CS_PARKED) && (c->qlen || c->nr_reqs) &&
	    worker_parse(w, c)) {
		c->io_maybe_more |= try_read;
		goto to_main;
	}
	c->io_maybe_more = false;
	while (try_read) {
		size_t room;
		ssize_t n;

		if (!c->qcap && !qbuf_lend(w, c))
			goto gone;
		if (c->qcap - c->qlen < READ_MIN_ROOM) {
			size_t cap = c->qcap * 2;
			char *q;

			if (c->qlen >= s->qbuf_limit) {
				c->flags |= CF_CLOSE_NOW | CF_QBUF_LIMIT;
				goto gone;
			}
			if (cap > s->qbuf_limit + READ_MIN_ROOM)
				cap = s->qbuf_limit + READ_MIN_ROOM;
			q = bt_realloc(c->qbuf, cap);
			if (!q)
				goto gone;
			c->qbuf = q;
			c->qcap = cap;
		}
		room = c->qcap - c->qlen;
		n = bt_read(c->fd, c->qbuf + c->qlen, room);
		if (n > 0) {
			atomic_fetch_add_explicit(&w->st_reads, 1,
						  memory_order_relaxed);
			atomic_fetch_add_explicit(&w->st_bytes_in, (uint64_t)n,
						  memory_order_relaxed);
			/* Relaxed: a standalone time stamp for the idle scan. */
			atomic_store_explicit(&c->last_input_ms, w->io_now_ms,
					      memory_order_relaxed);
			c->qlen += (size_t)n;
			if (state & CS_PARKED)
				continue;	/* buffer it, within the limit */
			if (worker_parse(w, c)) {
				c->io_maybe_more = (size_t)n == room;
				goto to_main;
			}
			continue;
		}
		if (n == 0)
			goto gone;		/* the peer closed */
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			break;
		goto gone;
	}
	qbuf_return(w, c);
	client_done(c);		/* the worker keeps it */
	return;

to_main:
	qbuf_return(w, c);
	handoff_to_main(w, c, first, last);
	return;
gone:
	worker_detach(w, c, first, last);
}

/*
 * Send queued replies with one sendmsg per up to WRITE_IOV chunks; the
 * referenced objects of sent chunks are put right away (the last put of a
 * main-only object goes to this worker's deferred-free queue).
 * Return: 0 when all was sent or the socket is full, -errno on error.
 */
static int worker_write(struct baton_worker *w, struct baton_client *c)
	__io_only __requires_owner(c)
{
	while (c->out_head) {
		struct iovec iov[WRITE_IOV];
		struct msghdr msg = { .msg_iov = iov };
		struct out_chunk *ch;
		ssize_t n;
		size_t done;

		for (ch = c->out_head; ch && msg.msg_iovlen < WRITE_IOV;
		     ch = ch->next) {
			iov[msg.msg_iovlen].iov_base = (void *)ch->data;
			iov[msg.msg_iovlen].iov_len = ch->len;
			msg.msg_iovlen++;
		}
		n = bt_sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			GATE("worker_write_full");
			if (!c->io_want_out &&
			    client_epoll(w, c, EPOLL_CTL_MOD, EV_IN | EPOLLOUT) == 0)
				c->io_want_out = true;
			return 0;
		}
		atomic_fetch_add_explicit(&w->st_bytes_out, (uint64_t)n,
					  memory_order_relaxed);
		/* Relaxed: a standalone counter (see struct baton_client). */
		atomic_fetch_sub_explicit(&c->out_pending, (size_t)n,
					  memory_order_relaxed);
		c->out_bytes -= (size_t)n;
		for (done = (size_t)n; done;) {
			ch = c->out_head;
			if (done < ch->len) {
				ch->data += done;
				ch->len -= done;
				break;
			}
			done -= ch->len;
			c->out_head = ch->next;
			if (!c->out_head)
				c->out_tail = NULL;
			chunk_cache_done(w, ch);
		}
	}
	if (c->io_want_out && client_epoll(w, c, EPOLL_CTL_MOD, EV_IN) == 0)
		c->io_want_out = false;
	return 0;
}

/*
 * Write what is queued; close when asked to once it is all out.  Returns
 * true when the caller may go on with @c: false when it was detached or
 * waits to close (the worker keeps it until the rest is written).
 */
static bool worker_flush(struct baton_worker *w, struct baton_client *c,
			 struct llist_node **first, struct llist_node **last)
	__io_only __may_release_owner(c)
{
	bool more;

	if (worker_write(w, c) < 0) {
		client_release_output(c);
		worker_detach(w, c, first, last);
		return false;
	}
	if ((c->flags & CF_CLOSE_AFTER_REPLY) && !c->out_head) {
		worker_detach(w, c, first, last);
		return false;
	}
	more = !(c->flags & CF_CLOSE_AFTER_REPLY);
	client_done(c);		/* the caller keeps it on true */
	return more;
}

/*
 * Act on what main asked of @c, which the worker owns: take the posts,
 * close it if asked, write, and look at its input: always when it just
 * came back from main (@from_main), else when main changed its state.
 * Returns false when @c left the worker (detached or handed to main).
 */
static bool worker_apply_ctl(struct baton_worker *w, struct baton_client *c,
			     unsigned int ctl, bool from_main, bool try_read,
			     struct llist_node **first, struct llist_node **last)
	__io_only __releases_owner(c)
{
	/* Posts first: a close after the replies sends them too. */
	client_take_posts(c);
	c->flags |= client_ctl_flags(ctl);
	if (c->flags & CF_CLOSE_NOW) {
		client_release_output(c);
		worker_detach(w, c, first, last);
		return false;
	}
	if (ctl & CTL_MOVE) {
		worker_release(w, c, first, last);
		return false;
	}
	if (!worker_flush(w, c, first, last))
		return false;
	if (from_main || (ctl & CTL_STATE))
		worker_input(w, c, try_read, first, last);
	else
		client_done(c);		/* the worker keeps it */
	return true;
}

/* A client arrives from main: new, with replies, or to be closed. */
static void worker_take_client(struct baton_worker *w, struct baton_client *c,
			       struct llist_node **first,
			       struct llist_node **last) __io_only
{
	bool try_read;

	assert_client_owner(c);
	client_release_done(c);
	if (c->flags & CF_NEW) {
		c->flags &= ~CF_NEW;
		if (client_epoll(w, c, EPOLL_CTL_ADD, EV_IN) < 0) {
			c->flags |= CF_CLOSE_NOW;
			c->flags |= CF_GONE;
			c->io_gone = true;
			c->io_at_main = true;
			handoff_to_main(w, c, first, last);
			return;
		}
		c->io_next = w->io_clients;
		if (w->io_clients)
			w->io_clients->io_prev = c;
		w->io_clients = c;
		c->io_maybe_more = true;	/* data may have come first */
	}
	c->io_at_main = false;
	/* Consume a read that arrived while main had the client. */
	try_read = atomic_exchange_explicit(&c->pending_read, 0,
					    memory_order_acquire) ||
		   c->io_maybe_more;
	worker_apply_ctl(w, c, client_take_ctl(c), true, try_read, first, last);
}

/*
 * Main has requests for clients (posts, a close, a new state): act on
 * those this worker owns.  One that is with main or on its way to or
 * from it (io_at_main: not the worker's, including a new client still in
 * the inbox) keeps its requests in pending_ctl for whoever owns it next,
 * since both take them on receipt; one the worker let go (io_gone) is
 * main's to finalize.
 */
static void worker_handle_kicks(struct baton_worker *w,
				struct llist_node **first,
				struct llist_node **last) __io_only
{
	struct llist_node *node = llist_del_all(&w->kicks), *pos, *n;

	node = llist_reverse_order(node);
	llist_for_each_safe(pos, n, node) {
		struct baton_client *c =
			container_of(pos, struct baton_client, kick_node);
		/*
		 * Read before kick_queued is cleared: once it is, main may
		 * take a client this worker let go (io_gone) and reset these
		 * fields for its next worker (adapt.c, move_now()).  A client
		 * the worker owns stays its own after the clear.
		 */
		bool owned = !c->io_at_main && !c->io_gone;

		/* The node's next was read above: main may now queue it again.
		 * Seq_cst (a release, and more): see handoff_kick(); the
		 * release also orders the loads above before main's
		 * kick_in_flight() sees the kick gone. */
		atomic_store_explicit(&c->kick_queued, 0, memory_order_seq_cst);
		GATE("worker_kick_cleared");
		if (owned) {
			assert_client_owner(c);	/* in its epoll set, not away */
			worker_apply_ctl(w, c, client_take_ctl(c), false,
					 c->io_maybe_more, first, last);
		}
		baton_client_put(c);	/* the kick's reference */
	}
}

/**
 * worker_handle_inbox - take the clients main handed over, in FIFO order
 * @w: the worker
 * @first: the iteration's chain to main (updated)
 * @last: its last node (updated)
 *
 * Context: the IO worker @w (or main playing its IO role).
 */
void worker_handle_inbox(struct baton_worker *w, struct llist_node **first,
			 struct llist_node **last)
{
	struct llist_node *node = llist_del_all(&w->inbox), *pos, *n;

	if (node)
		atomic_fetch_add_explicit(&w->st_wakeups, 1, memory_order_relaxed);
	node = llist_reverse_order(node);
	llist_for_each_safe(pos, n, node)
		worker_take_client(w, container_of(pos, struct baton_client,
						   handoff), first, last);
	worker_handle_kicks(w, first, last);
}

/**
 * worker_handle_event - react to epoll readiness of one client
 * @w: the worker
 * @c: the client, in @w's epoll set
 * @events: the epoll events
 * @first: the iteration's chain to main (updated)
 * @last: its last node (updated)
 *
 * When main owns @c the worker must not look at its OWNER fields: it
 * only records the readiness in the PENDING flag (seed example A) and
 * reads as soon as the client comes back.
 *
 * Context: the IO worker @w (or main playing its IO role).
 */
void worker_handle_event(struct baton_worker *w, struct baton_client *c,
			 uint32_t events, struct llist_node **first,
			 struct llist_node **last)
{
	if (c->io_gone)
		return;		/* let go earlier in this batch of events */
	if (c->io_at_main) {
		/* Release: pairs with the acquire exchange in take_client. */
		atomic_store_explicit(&c->pending_read, 1, memory_order_release);
		GATE("worker_pending_read");
		return;
	}
	assert_client_owner(c);		/* in its epoll set, not away */
	if ((events & EPOLLOUT) || (c->flags & CF_CLOSE_AFTER_REPLY)) {
		if (!worker_flush(w, c, first, last))
			return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		worker_input(w, c, true, first, last);
	else
		client_done(c);		/* the worker keeps it */
}

/**
 * worker_run_once - one iteration of the worker loop
 * @w: the worker
 * @timeout_ms: epoll_wait timeout (-1: sleep until woken)
 *
 * Context: the IO worker @w.
 */
void worker_run_once(struct baton_worker *w, int timeout_ms)
{
	struct epoll_event evs[WORKER_EVENTS];
	struct llist_node *first = NULL, *last = NULL;
	int i, n;

	n = epoll_wait(w->epfd, evs, WORKER_EVENTS, timeout_ms);
	w->io_now_ms = clock_now_ms();
	for (i = 0; i < n; i++) {
		struct evsrc *src = evs[i].data.ptr;

		if (src->kind == EVSRC_WAKE) {
			/* Edge-triggered: nothing to reset (lib/wake.c). */
			worker_handle_inbox(w, &first, &last);
		} else {
			worker_handle_event(w, container_of(src, struct baton_client, src),
					    evs[i].events, &first, &last);
		}
	}
	handoff_flush_to_main(w, first, last);
	chunk_cache_flush(w);
	rcu_free_flush();
}

/* A worker's deferred-free queue crossed its mark: wake main to drain. */
static void wake_main(void *arg)
{
	struct baton_server *s = arg;

	wake_up(&s->wake);
}

/**
 * worker_init - set up worker @index of @s, before any thread runs it
 * @s: the server being created
 * @w: the worker, zeroed
 * @index: its index
 * @inline_io: main does the IO itself (no IO workers): share main's epoll
 * @pin: pin the worker's thread to CPU (index + 1) % online CPUs
 * @defer_mark: the deferred-free queue length that wakes main early
 *
 * Context: main thread, creating the server.
 * Return: 0 or -errno from epoll_create1() or eventfd().
 */
int worker_init(struct baton_server *s, struct baton_worker *w, int index,
		bool inline_io, bool pin, size_t defer_mark)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int err;

	w->srv = s;
	w->index = index;
	w->inline_io = inline_io;
	w->cpu = pin && cpus > 1 ? (int)((index + 1) % cpus) : -1;
	init_llist_head(&w->inbox);
	init_llist_head(&w->kicks);
	atomic_init(&w->stop, false);
	defer_queue_init(&w->defer, &s->defer, defer_mark, wake_main, s);
	w->wake.fd = -1;
	if (inline_io) {
		w->epfd = s->epfd;
		return 0;
	}
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -errno;
	err = wake_init(&w->wake);
	if (!err)
		err = wake_epoll_add(&w->wake, w->epfd);
	return err;
}

/**
 * worker_fini - free what worker_init() and the worker's thread left
 * @w: the worker, whose thread was joined (or never started)
 *
 * After the join the worker's IO fields are main's.
 *
 * Context: main thread, destroying the server.
 */
void worker_fini(struct baton_worker *w) __no_role_analysis
{
	if (!w->srv)
		return;
	free(w->io_spare_qbuf);
	w->io_spare_qbuf = NULL;
	wake_destroy(&w->wake);
	if (!w->inline_io && w->epfd >= 0)
		close(w->epfd);
}

static void worker_pin(struct baton_worker *w)
{
	cpu_set_t set;

	if (w->cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set))
		pr_warn("io worker %d: cannot pin to cpu %d", w->index, w->cpu);
}

static void *worker_main(void *arg)
{
	struct baton_worker *w = arg;

	role_enter_io(w->srv, w->index);
	worker_pin(w);
	baton_rcu_register_thread();
	defer_attach(&w->defer);
	/* Acquire: pairs with main's release store of stop in worker_join. */
	while (!atomic_load_explicit(&w->stop, memory_order_acquire))
		worker_run_once(w, -1);
	defer_attach(NULL);
	baton_rcu_unregister_thread();	/* flushes its grace-period block */
	role_leave_io();
	return NULL;
}

/**
 * worker_start - start the worker's thread
 * @w: the worker, fully initialized
 *
 * Context: main thread (the creating thread, with the signal mask the
 * workers must inherit).
 * Return: 0 or -errno from pthread_create.
 */
int worker_start(struct baton_worker *w)
{
	char name[16];
	int err = pthread_create(&w->thread, NULL, worker_main, w);

	if (err)
		return -err;
	/* "baton-io/N", as top -H, perf and /proc/PID/task/TID/comm show it,
	 * named before anyone can see the thread's count go up. */
	snprintf(name, sizeof(name), "baton-io/%d", w->index);
	pthread_setname_np(w->thread, name);
	return 0;
}

/**
 * worker_cpu_ns - CPU time the worker's thread used so far
 * @w: a started worker
 *
 * Context: main thread.
 * Return: nanoseconds, 0 when the thread's clock cannot be read.
 */
uint64_t worker_cpu_ns(struct baton_worker *w)
{
	struct timespec ts;
	clockid_t id;

	if (pthread_getcpuclockid(w->thread, &id) || clock_gettime(id, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/**
 * worker_join - ask the worker to exit and wait for it
 * @w: a started worker
 *
 * After the join every client the worker held belongs to main: the
 * thread's exit happens before pthread_join returns.
 *
 * Context: main thread.
 */
void worker_join(struct baton_worker *w)
{
	atomic_store_explicit(&w->stop, true, memory_order_release);
	wake_up(&w->wake);
	pthread_join(w->thread, NULL);
}
