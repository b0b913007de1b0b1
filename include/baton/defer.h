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
 * @home: IMMUTABLE: the home queue of the server whose main drains this
 *	one: the queue itself for a server's own (home) queue, the server's
 *	for an IO worker's queue
 *
 * Each server has one home queue, for the main-only frees of its objects
 * whose last put happens on a thread that is not one of its own (a
 * foreign thread, the RCU callback thread, a thread of another server),
 * and one queue per IO worker.  An object records its server's home
 * queue (baton_obj_init()), so its free goes to the right main whoever
 * drops the last reference.  Producers push with llist_add (release);
 * main drains with llist_del_all (acquire) and frees in FIFO order.
 * Counters reset consistently: @nr_queued is decreased by exactly the
 * number of objects a drain took.
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
	struct baton_defer_queue *home		__rule(IMMUTABLE);
} __shared_struct;

void defer_queue_init(struct baton_defer_queue *q,
		      struct baton_defer_queue *home, size_t high_mark,
		      void (*wake)(void *arg), void *wake_arg) __init_fn;

/* Push @obj (refcount already zero) for main to free. Context: any thread. */
void defer_push(struct baton_defer_queue *q, struct baton_obj *obj);

/* Free everything queued now; returns how many. Context: main thread. */
size_t defer_drain(struct baton_defer_queue *q) __main_only;

/*
 * The calling thread's queue, set with defer_attach(): its server's home
 * queue on a main thread, its own on an IO worker, NULL elsewhere.  Its
 * ->home says which server the thread serves, so an object of that
 * server is freed at once on main and queued on the worker's own queue
 * on a worker; any other last put goes to the object's home queue.
 */
extern __thread struct baton_defer_queue *defer_cur;
void defer_attach(struct baton_defer_queue *q);

#endif /* _BATON_DEFER_H */
