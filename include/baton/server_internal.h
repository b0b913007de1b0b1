/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * server_internal.h - the server struct: main's state, its inbox, the
 * listeners, the workers and the client table.
 */
#ifndef _BATON_SERVER_INTERNAL_H
#define _BATON_SERVER_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>

#include <baton/active_window.h>
#include <baton/adapt.h>
#include <baton/compiler.h>
#include <baton/defer.h>
#include <baton/evsrc.h>
#include <baton/llist.h>
#include <baton/role.h>
#include <baton/wake.h>
#include <baton/worker.h>
#include <uapi/baton/server.h>

struct baton_listener {
	struct evsrc src;
	int fd;
	bool is_unix;
	bool paused;		/* out of epoll until the next tick (EMFILE) */
	char path[108];
};

#define BATON_MAX_LISTENERS	8

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
	int max_workers			__rule(IMMUTABLE);	/* IO thread slots */
	struct baton_worker *workers	__rule(IMMUTABLE);	/* max_workers + 1 */
	struct baton_worker *inline_w	__rule(IMMUTABLE);	/* the last: main's own */
	bool pin_cpus			__rule(IMMUTABLE);
	int epfd			__rule(IMMUTABLE);	/* main's epoll set */
	int sigfd			__rule(IMMUTABLE);
	struct evsrc sig_src		__rule(IMMUTABLE);
	struct cds_lfht *table		__rule(IMMUTABLE);	/* RCU: the nodes */

	struct baton_wake wake ____cacheline_aligned	__rule(IMMUTABLE);
	struct llist_head inbox		__rule(PENDING);	/* worker -> main clients */
	_Atomic bool stop		__rule(PENDING);	/* baton_server_stop() */
	struct llist_head calls		__rule(PENDING);	/* baton_server_call() */
	struct llist_head chunk_returns	__rule(PENDING);	/* sent chunks, for main */
	_Atomic int nr_active		__rule(ATOMIC);	/* active IO threads (main stores) */
	/* stop and call calls still touching the server (destroy waits) */
	_Atomic unsigned int callers	__rule(ATOMIC);

	/* The home queue: main-only frees of this server's objects put by
	 * threads that are not its own (foreign, RCU callbacks, another
	 * server's); its fields carry their own rules (defer.h). */
	struct baton_defer_queue defer ____cacheline_aligned	__rule(IMMUTABLE);

	struct baton_listener listeners[BATON_MAX_LISTENERS] ____cacheline_aligned	__rule(MAIN);
	unsigned int nr_listeners	__rule(MAIN);
	uint64_t next_id		__rule(MAIN);
	unsigned int nr_clients		__rule(MAIN);
	bool ran			__rule(MAIN);
	bool workers_joined		__rule(MAIN);
	bool registered_main		__rule(MAIN);	/* create registered the RCU reader */
	uint64_t next_tick_ms		__rule(MAIN);
	size_t limit_hard		__rule(MAIN);	/* new clients' output limits */
	size_t limit_soft		__rule(MAIN);
	unsigned int limit_soft_secs	__rule(MAIN);
	struct baton_client *posting	__rule(MAIN);	/* clients with unflushed posts */
	struct out_chunk *chunk_free	__rule(MAIN);	/* recycled output chunks */
	unsigned int nr_chunk_free	__rule(MAIN);
	struct baton_client *all_clients __rule(MAIN);	/* every client, newest first */
	struct baton_client *idle_cursor __rule(MAIN);	/* where the idle scan goes on */
	uint64_t idle_timeout_ms	__rule(MAIN);	/* 0: none */
	int io_mode			__rule(MAIN);	/* a count, or BATON_IO_WORKERS_AUTO */
	struct baton_client *moving	__rule(MAIN);	/* released, waiting to move */
	struct adapt_state adapt	__rule(MAIN);	/* the auto mode's view */
	struct baton_timer **timers	__rule(MAIN);	/* min-heap by expiry */
	size_t nr_timers		__rule(MAIN);
	size_t cap_timers		__rule(MAIN);

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
	uint64_t st_posts		__rule(MAIN);
	uint64_t st_limit_closes	__rule(MAIN);
	uint64_t st_idle_closes		__rule(MAIN);
	uint64_t st_moves		__rule(MAIN);	/* clients moved to another worker */
	uint64_t st_iters		__rule(MAIN);	/* loop iterations that woke */
	uint64_t st_events		__rule(MAIN);	/* epoll events they got */
	uint64_t st_wait_ns		__rule(MAIN);	/* time main slept in epoll_wait */

	/* Active-clients sliding window (seed example B): main only. */
	int64_t win_sec[ACTIVE_WINDOW_SECS]	__rule(MAIN);
	uint64_t win_count[ACTIVE_WINDOW_SECS]	__rule(MAIN);
} __shared_struct;

#endif /* _BATON_SERVER_INTERNAL_H */
