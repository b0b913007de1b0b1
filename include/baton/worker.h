/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * worker.h - an IO worker: its thread, its epoll set and inbox, and the
 * worker side of the client state machine.
 */
#ifndef _BATON_WORKER_H
#define _BATON_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <baton/compiler.h>
#include <baton/defer.h>
#include <baton/llist.h>
#include <baton/role.h>
#include <baton/wake.h>

struct baton_server;
struct baton_client;

/**
 * struct baton_worker - one IO thread
 *
 * The server has max_workers thread slots, started when first activated,
 * and one more worker struct whose code runs on the main thread
 * (inline_io: main serves those clients itself, playing the IO role while
 * it runs worker code).  Which worker serves a client changes only while
 * main owns it (see struct baton_client's worker).
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
	struct llist_head kicks		__rule(PENDING);	/* clients main has requests for */
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
	uint64_t io_now_ms		__rule(IO);	/* clock_now_ms() of this loop */
	struct llist_node *ret_first	__rule(IO);	/* sent chunks for main */
	struct llist_node *ret_last	__rule(IO);

	unsigned int nr_clients ____cacheline_aligned	__rule(MAIN);	/* for least-loaded choice */
	bool active			__rule(MAIN);	/* takes new clients */
	bool started			__rule(MAIN);	/* its thread runs */
	uint64_t cpu_ns_mark		__rule(MAIN);	/* thread CPU at the last auto sample */
	struct llist_node *out_first	__rule(MAIN);	/* main's chain of clients */
	struct llist_node *out_last	__rule(MAIN);	/* to hand back this loop */
	struct llist_node *kick_first	__rule(MAIN);	/* main's chain of kicks */
	struct llist_node *kick_last	__rule(MAIN);	/* to send this loop */
} __shared_struct;

int worker_init(struct baton_server *s, struct baton_worker *w, int index,
		bool inline_io, bool pin, size_t defer_mark) __init_fn;
void worker_fini(struct baton_worker *w);
uint64_t worker_cpu_ns(struct baton_worker *w) __main_only;
int worker_start(struct baton_worker *w) __main_only;
void worker_join(struct baton_worker *w) __main_only;
void worker_run_once(struct baton_worker *w, int timeout_ms) __io_only;
void worker_handle_inbox(struct baton_worker *w, struct llist_node **first,
			 struct llist_node **last) __io_only;
void worker_handle_event(struct baton_worker *w, struct baton_client *c,
			 uint32_t events, struct llist_node **first,
			 struct llist_node **last) __io_only;

#endif /* _BATON_WORKER_H */
