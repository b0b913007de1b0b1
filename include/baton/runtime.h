/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * runtime.h - the server, IO worker and client structs and the internal
 * functions that move a client between the main thread and its worker.
 */
#ifndef _BATON_RUNTIME_H
#define _BATON_RUNTIME_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>
#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>

#include <baton/compiler.h>
#include <baton/defer.h>
#include <baton/llist.h>
#include <baton/refcount.h>
#include <baton/role.h>
#include <uapi/baton/server.h>
#include <uapi/baton/client.h>
#include <uapi/baton/stats.h>

/*
 * What an epoll event's data.ptr points at: every such object starts with
 * one of these so the loop knows what woke it.
 */
enum evsrc_kind {
	EVSRC_WAKE,		/* a thread's eventfd */
	EVSRC_SIGNAL,		/* main's signalfd */
	EVSRC_LISTENER,		/* a listening socket */
	EVSRC_CLIENT,		/* a client connection */
};

struct evsrc {
	enum evsrc_kind kind;
};

/**
 * struct baton_wake - an eventfd that wakes one sleeping thread
 * @src: IMMUTABLE: the epoll tag (EVSRC_WAKE)
 * @fd: IMMUTABLE: the eventfd; any thread writes it, its owner reads it
 * @writes: ATOMIC: wakes sent, for statistics (relaxed)
 */
struct baton_wake {
	struct evsrc src		__rule(IMMUTABLE);
	int fd				__rule(IMMUTABLE);
	_Atomic unsigned long writes	__rule(ATOMIC);
} __shared_struct;

int baton_wake_init(struct baton_wake *wk);
void baton_wake_destroy(struct baton_wake *wk);
void baton_wake_up(struct baton_wake *wk);
void baton_wake_consume(struct baton_wake *wk);

/* Client flags, OWNER rule: written only by the thread that owns the client. */
#define CF_NEW			(1u << 0)	/* main -> worker: first handoff */
#define CF_CLOSE_AFTER_REPLY	(1u << 1)	/* flush the replies, then close */
#define CF_CLOSE_NOW		(1u << 2)	/* drop the replies and close */
#define CF_GONE			(1u << 3)	/* worker -> main: detached, finalize */
#define CF_PROTO_ERROR		(1u << 4)	/* parse rejected the input */
#define CF_QBUF_LIMIT		(1u << 5)	/* closed for its query buffer */
#define CF_OBUF_LIMIT		(1u << 6)	/* closed for its output buffer */

/* Bits of a client's pending_kill: main's close request to the owner. */
#define PK_CLOSE_NOW		(1u << 0)	/* baton_client_kill() */
#define PK_CLOSE_AFTER_REPLY	(1u << 1)	/* baton_client_close() */

/* One piece of queued reply: copied bytes or a referenced object. */
struct out_chunk {
	struct out_chunk *next;
	struct baton_obj *ref;		/* NULL for copied bytes in buf[] */
	const char *data;		/* first unsent byte */
	size_t len;			/* unsent bytes from data */
	size_t cap;			/* size of buf[] (copied chunks only) */
	char buf[];
};

struct baton_worker;

/**
 * struct baton_client - one connection
 *
 * The client is owned by exactly one thread at a time: its IO worker or
 * the main thread.  Ownership moves only through the inboxes (llist_add
 * releases it, llist_del_all acquires it), so every OWNER field is read
 * and written by one thread at a time with the handoff ordering them.
 */
struct baton_client {
	struct evsrc src		__rule(IMMUTABLE);
	struct llist_node handoff	__rule(OWNER);	/* link on an inbox */
	uint64_t id			__rule(IMMUTABLE);
	int fd				__rule(IMMUTABLE);	/* closed by main after the worker detached */
	struct baton_server *srv	__rule(IMMUTABLE);
	struct baton_worker *worker	__rule(IMMUTABLE);	/* the one serving it */
	char peer[64]			__rule(IMMUTABLE);
	refcount_t refs			__rule(ATOMIC);	/* table's + get_rcu's */
	struct cds_lfht_node table_node	__rule(RCU);	/* in srv->table */

	unsigned int flags		__rule(OWNER);	/* CF_* */
	int owner			__rule(OWNER);	/* baton_role_self() of the owner */

	/* Query buffer: bytes read and not yet parsed. */
	char *qbuf			__rule(OWNER);
	size_t qlen			__rule(OWNER);
	size_t qcap			__rule(OWNER);

	/* Requests parsed by the worker, executed by main. */
	void **reqs			__rule(OWNER);
	unsigned int nr_reqs		__rule(OWNER);
	unsigned int cap_reqs		__rule(OWNER);

	/* Reply: appended by main, sent by the worker, in order. */
	struct out_chunk *out_head	__rule(OWNER);
	struct out_chunk *out_tail	__rule(OWNER);
	size_t out_bytes		__rule(OWNER);

	/* Error text from parse, sent after the earlier requests' replies. */
	char *err_msg			__rule(OWNER);
	size_t err_len			__rule(OWNER);

	/*
	 * Another thread asks the owner to act.  pending_read: the worker
	 * saw the socket readable while main owned the client (set and
	 * consumed by the worker, in its own event loop, through the
	 * client's round trip).  pending_kill: main asks whoever owns the
	 * client next to close it, PK_CLOSE_NOW or PK_CLOSE_AFTER_REPLY
	 * (release fetch_or by main, acquire exchange by the owner in
	 * client_take_close_request()).  kick_queued: the client's kick_node is on the
	 * worker's kick list (exchange by main decides who adds it).
	 * kick_node itself is owned by whoever set kick_queued: main writes
	 * it and hands it over with llist_add; the worker reads it after
	 * llist_del_all and gives it back by clearing kick_queued.
	 */
	_Atomic unsigned int pending_read	__rule(PENDING);
	_Atomic unsigned int pending_kill	__rule(PENDING);
	_Atomic unsigned int kick_queued	__rule(PENDING);
	struct llist_node kick_node		__rule(OWNER);

	/* Worker-only state. */
	bool io_at_main			__rule(IO);	/* not the worker's: new, or with main */
	bool io_maybe_more		__rule(IO);	/* stopped reading before EAGAIN */
	bool io_want_out		__rule(IO);	/* EPOLLOUT armed */
	struct baton_client *io_prev	__rule(IO);	/* worker's client list */
	struct baton_client *io_next	__rule(IO);

	/* Main-only state. */
	bool at_main			__rule(MAIN);	/* main owns it now */
	bool closing			__rule(MAIN);	/* close started: not findable */
	bool connected			__rule(MAIN);	/* connect accepted it: call close */
	int64_t active_sec		__rule(MAIN);	/* active-clients window */
	void *app_data			__rule(MAIN);
} __shared_struct;

/**
 * struct baton_worker - one IO thread
 *
 * With nr_io_workers == 0 there is one worker struct whose code runs on
 * the main thread (thread == 0, inline == true); it still plays the IO
 * role while it runs worker code.
 */
struct baton_worker {
	struct baton_server *srv	__rule(IMMUTABLE);
	int index			__rule(IMMUTABLE);
	bool inline_io			__rule(IMMUTABLE);	/* runs on main */
	pthread_t thread		__rule(IMMUTABLE);
	int cpu				__rule(IMMUTABLE);	/* pinned to, or -1 */
	int epfd			__rule(IMMUTABLE);

	struct baton_wake wake ____cacheline_aligned	__rule(IMMUTABLE);
	struct llist_head inbox		__rule(PENDING);	/* main -> worker clients */
	struct llist_head kicks		__rule(PENDING);	/* main's kill requests */
	_Atomic bool stop		__rule(PENDING);	/* main asks it to exit */

	/* Objects whose last put happened here, for main to free; its
	 * fields carry their own rules (defer.h). */
	struct baton_defer_queue defer ____cacheline_aligned	__rule(IMMUTABLE);

	/* Counters: written by this worker only, read by main's stats. */
	_Atomic uint64_t st_reads ____cacheline_aligned	__rule(ATOMIC);
	_Atomic uint64_t st_bytes_in	__rule(ATOMIC);
	_Atomic uint64_t st_bytes_out	__rule(ATOMIC);
	_Atomic uint64_t st_to_main	__rule(ATOMIC);
	_Atomic uint64_t st_wakeups	__rule(ATOMIC);

	struct baton_client *io_clients	__rule(IO);	/* clients it holds in epoll */
	char *io_spare_qbuf		__rule(IO);	/* lent to clients with input */

	unsigned int nr_clients ____cacheline_aligned	__rule(MAIN);	/* for least-loaded choice */
	struct llist_node *out_first	__rule(MAIN);	/* main's chain of clients */
	struct llist_node *out_last	__rule(MAIN);	/* to hand back this loop */
} __shared_struct;

struct baton_listener {
	struct evsrc src;
	int fd;
	bool is_unix;
	bool paused;		/* out of epoll until the next tick (EMFILE) */
	char path[108];
};

#define BATON_MAX_LISTENERS	8
#define ACTIVE_WINDOW_SECS	10

/**
 * struct baton_server - the server: main thread state, workers, table
 */
struct baton_server {
	struct baton_proto proto	__rule(IMMUTABLE);
	void *user			__rule(IMMUTABLE);
	unsigned int max_clients	__rule(IMMUTABLE);
	size_t qbuf_limit		__rule(IMMUTABLE);
	size_t obuf_limit		__rule(IMMUTABLE);
	unsigned int tick_hz		__rule(IMMUTABLE);
	int nr_workers			__rule(IMMUTABLE);	/* 0: main does IO */
	struct baton_worker *workers	__rule(IMMUTABLE);	/* max(nr_workers, 1) */
	int epfd			__rule(IMMUTABLE);	/* main's epoll set */
	int sigfd			__rule(IMMUTABLE);
	struct evsrc sig_src		__rule(IMMUTABLE);
	struct cds_lfht *table		__rule(IMMUTABLE);	/* RCU: the nodes */

	struct baton_wake wake ____cacheline_aligned	__rule(IMMUTABLE);
	struct llist_head inbox		__rule(PENDING);	/* worker -> main clients */
	_Atomic bool stop		__rule(PENDING);	/* baton_server_stop() */
	_Atomic unsigned int stoppers	__rule(ATOMIC);	/* stop calls in flight */

	struct baton_listener listeners[BATON_MAX_LISTENERS] ____cacheline_aligned	__rule(MAIN);
	unsigned int nr_listeners	__rule(MAIN);
	uint64_t next_id		__rule(MAIN);
	unsigned int nr_clients		__rule(MAIN);
	bool ran			__rule(MAIN);
	bool workers_joined		__rule(MAIN);
	bool registered_main		__rule(MAIN);	/* create registered the RCU reader */
	uint64_t next_tick_ms		__rule(MAIN);

	/* Statistics owned by main. */
	uint64_t st_accepted		__rule(MAIN);
	uint64_t st_rejected		__rule(MAIN);
	uint64_t st_requests		__rule(MAIN);
	uint64_t st_to_main		__rule(MAIN);
	uint64_t st_to_io		__rule(MAIN);
	uint64_t st_main_batches	__rule(MAIN);
	uint64_t st_max_batch		__rule(MAIN);
	uint64_t st_qbuf_closes		__rule(MAIN);
	uint64_t st_obuf_closes		__rule(MAIN);
	uint64_t st_proto_errors	__rule(MAIN);

	/* Active-clients sliding window (seed example B): main only. */
	int64_t win_sec[ACTIVE_WINDOW_SECS]	__rule(MAIN);
	uint64_t win_count[ACTIVE_WINDOW_SECS]	__rule(MAIN);
} __shared_struct;

/* lib/server.c */
uint64_t baton_now_ms(void);

/* lib/client.c: allocation, buffers, replies. */
struct baton_client *client_alloc(struct baton_server *s, int fd,
				  const char *peer, struct baton_worker *w) __main_only;
void client_release_output(struct baton_client *c);
void client_free_reqs(struct baton_client *c) __main_only;
void client_put_table_ref(void *c);
void client_append_chunk(struct baton_client *c, struct out_chunk *ch);
void out_chunk_release(struct out_chunk *ch);

/**
 * client_take_close_request - consume main's close request, as CF_* flags
 * @c: the client, owned by the caller
 *
 * The acquire exchange pairs with the release fetch_or in
 * client_kick_worker(); whichever owner receives the client first after
 * the request consumes it.
 *
 * Context: the owner of @c (main or its IO worker).
 * Return: CF_CLOSE_NOW, CF_CLOSE_AFTER_REPLY or 0.
 */
static inline unsigned int client_take_close_request(struct baton_client *c)
{
	unsigned int pk = atomic_exchange_explicit(&c->pending_kill, 0,
						   memory_order_acquire);

	if (pk & PK_CLOSE_NOW)
		return CF_CLOSE_NOW;
	return pk & PK_CLOSE_AFTER_REPLY ? CF_CLOSE_AFTER_REPLY : 0;
}

/* lib/handoff.c: moving a client between threads. */
void handoff_to_main(struct baton_worker *w, struct baton_client *c,
		     struct llist_node **first, struct llist_node **last) __io_only;
void handoff_flush_to_main(struct baton_worker *w, struct llist_node *first,
			   struct llist_node *last);
void handoff_to_worker(struct baton_server *s, struct baton_client *c) __main_only;
void handoff_flush_to_workers(struct baton_server *s) __main_only;

/* lib/worker.c */
int worker_start(struct baton_worker *w) __main_only;
void worker_join(struct baton_worker *w) __main_only;
void worker_run_once(struct baton_worker *w, int timeout_ms) __io_only;
void worker_handle_inbox(struct baton_worker *w, struct llist_node **first,
			 struct llist_node **last) __io_only;
void worker_handle_event(struct baton_worker *w, struct baton_client *c,
			 uint32_t events, struct llist_node **first,
			 struct llist_node **last) __io_only;

/* lib/main_loop.c */
void main_process_inbox(struct baton_server *s) __main_only;
void main_finalize_client(struct baton_server *s, struct baton_client *c) __main_only;
void main_close_all(struct baton_server *s) __main_only;

/* lib/client_table.c */
int client_table_init(struct baton_server *s);
void client_table_destroy(struct baton_server *s);
int client_table_insert(struct baton_server *s, struct baton_client *c) __main_only;
void client_table_remove(struct baton_server *s, struct baton_client *c) __main_only;
struct baton_client *client_table_find(struct baton_server *s, uint64_t id);
int client_table_walk(struct baton_server *s,
		      int (*fn)(struct baton_client *c, void *arg), void *arg);

/* lib/stats.c */
void active_window_touch(struct baton_server *s, struct baton_client *c) __main_only;
void active_window_forget(struct baton_server *s, struct baton_client *c) __main_only;
uint64_t active_window_count(struct baton_server *s) __main_only;

/* lib/net.c */
int net_listen_tcp(const char *addr, unsigned short port, unsigned short *bound);
int net_listen_unix(const char *path);
int net_accept(int lfd, const char *unix_path, char *peer, size_t peerlen);

#endif /* _BATON_RUNTIME_H */
