/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * defer.h - the IO->main deferred-free queue: objects whose last put
 * happened off main but whose free callback is main-only.
 */
#ifndef _BATON_DEFER_H
#define _BATON_DEFER_H

#include <stdatomic.h>
#include <stddef.h>
#include <baton/compiler.h>
#include <baton/llist.h>

struct baton_obj;

/**
 * struct baton_defer_queue - one producer thread's queue of objects for main
 * @list: PENDING: objects pushed by the producer, taken by main's del_all
 * @nr_queued: ATOMIC: objects on @list now; the producer's fetch_add says
 *	when the high mark is crossed; main subtracts what it drained
 * @total_queued: ATOMIC: objects ever pushed (written by producers, read
 *	by stats on main)
 * @total_freed: MAIN: objects freed by main's drains
 * @batches: MAIN: drains that freed at least one object
 * @high_water: MAIN: most objects seen in one drain
 * @high_mark: IMMUTABLE: @nr_queued value at which the producer calls @wake
 * @wake: IMMUTABLE: wakes main (eventfd write); NULL for none
 * @wake_arg: IMMUTABLE: passed to @wake
 *
 * One queue per IO worker, plus one process-wide queue for puts from
 * foreign threads and the RCU callback thread.  Producers push with
 * llist_add (release); main drains with llist_del_all (acquire) and frees
 * in FIFO order.  Counters reset consistently: @nr_queued is decreased by
 * exactly the number of objects a drain took.
 */
struct baton_defer_queue {
	struct llist_head list			__rule(PENDING);
	_Atomic size_t nr_queued		__rule(ATOMIC);
	_Atomic unsigned long total_queued	__rule(ATOMIC);
	unsigned long total_freed		__rule(MAIN);
	unsigned long batches			__rule(MAIN);
	size_t high_water			__rule(MAIN);
	size_t high_mark			__rule(IMMUTABLE);
	void (*wake)(void *arg)			__rule(IMMUTABLE);
	void *wake_arg				__rule(IMMUTABLE);
} __shared_struct;

void defer_queue_init(struct baton_defer_queue *q, size_t high_mark,
			    void (*wake)(void *arg), void *wake_arg) __init_fn;

/* Push @obj (refcount already zero) for main to free. Context: any thread. */
void defer_push(struct baton_defer_queue *q, struct baton_obj *obj);

/* Free everything queued now; returns how many. Context: main thread. */
size_t defer_drain(struct baton_defer_queue *q) __main_only;

/*
 * The queue the calling thread's main-only frees go to: the IO worker
 * sets its own with defer_attach(); every other non-main thread
 * uses defer_global.
 */
extern __thread struct baton_defer_queue *defer_cur;
extern struct baton_defer_queue defer_global;
void defer_attach(struct baton_defer_queue *q);

#endif /* _BATON_DEFER_H */
