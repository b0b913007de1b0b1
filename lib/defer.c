// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * defer.c - the IO->main deferred-free queue: producers push objects whose
 * free callback is main-only, main drains and frees them in FIFO order.
 */
#include <string.h>
#include <baton/defer.h>
#include <baton/object_internal.h>
#include <baton/probe.h>
#include <baton/role.h>

/**
 * DOC: the queue and its counters
 *
 * A queue is an llist of objects linked through struct baton_obj::next,
 * plus counters.  Any number of producers push; one consumer, main, takes
 * the whole list at once.
 *
 * struct llist_node is internal to baton and cannot be embedded in the
 * public struct baton_obj, so the push below is llist_add()'s algorithm
 * written for baton_obj: the head's pointer holds the newest object's
 * address, converted to struct llist_node * and never dereferenced as one;
 * the drain converts it back.  Ordering is llist's: the push's CAS is a
 * release, llist_del_all()'s exchange an acquire, so everything the
 * producer wrote to the object (and the object's free-time flags) is
 * visible to main when it frees it.
 *
 * @nr_queued is incremented *before* the object is added, and main
 * subtracts exactly the number of objects a drain took.  The increment
 * happens before the add, which happens before the drain's take, which
 * happens before the subtraction, so the subtraction of every object
 * comes after its increment: @nr_queued never underflows and is always at
 * least the number of objects on the list (objects being pushed right
 * now are counted early).  When no push is in flight it is exact.
 *
 * The high mark: the push whose fetch_add returns high_mark - 1 (the new
 * value is high_mark) is the one that crossed it, and only that push calls
 * wake(), after its object is on the list.  Every value of a fetch_add is
 * returned once, so each crossing wakes exactly once; after a drain brings
 * the count back below the mark, the next crossing wakes again.  A
 * high_mark of 0 never wakes.
 */

/* The calling thread's queue: set by defer_attach(). */
__thread struct baton_defer_queue *defer_cur;

/**
 * defer_queue_init - make @q an empty queue
 * @q: the queue, not yet shared with another thread
 * @home: the home queue of the server whose main drains @q, or NULL when
 *	@q is that home queue itself
 * @high_mark: @nr_queued value at which a push calls @wake; 0 for never
 * @wake: called as wake(wake_arg) by the push that crosses @high_mark,
 *	on the pushing thread (an IO worker, a foreign thread or the RCU
 *	callback thread): must be thread-safe and must not block (an eventfd
 *	write); may be NULL
 * @wake_arg: passed to @wake
 *
 * Context: any thread that owns @q alone (before it is published).
 */
void defer_queue_init(struct baton_defer_queue *q,
		      struct baton_defer_queue *home, size_t high_mark,
		      void (*wake)(void *arg), void *wake_arg)
{
	/* memset, not field stores: the MAIN fields are guarded by the main
	 * role under clang, and nobody else can see @q yet. */
	memset(q, 0, sizeof(*q));
	init_llist_head(&q->list);
	atomic_init(&q->nr_queued, 0);
	atomic_init(&q->total_queued, 0);
	q->high_mark = high_mark;
	q->wake = wake;
	q->wake_arg = wake_arg;
	q->home = home ? home : q;
}

/* llist_add() for objects; see the DOC comment above. */
static void defer_list_add(struct baton_obj *obj, struct llist_head *head)
{
	struct llist_node *first;

	first = atomic_load_explicit(&head->first, memory_order_relaxed);
	do {
		/* obj->next is ours until the CAS publishes obj. */
		obj->next = (struct baton_obj *)first;
		/* Release: orders our writes to obj before main's acquire in
		 * llist_del_all(). */
	} while (!atomic_compare_exchange_weak_explicit(&head->first, &first,
						       (struct llist_node *)obj,
						       memory_order_release,
						       memory_order_relaxed));
}

/**
 * defer_push - give @obj to main for freeing
 * @q: the queue: the pushing thread's own (defer_cur) or the object's
 *	home queue
 * @obj: an object whose count reached zero on this thread; the caller
 *	gives up ownership of it
 *
 * Context: any thread, any role.  Lock-free; calls @q->wake once when
 * this push crosses @q->high_mark (see the DOC comment above).
 */
void defer_push(struct baton_defer_queue *q, struct baton_obj *obj)
{
	size_t n;

	/* Relaxed: counters only; their ordering against the drain comes
	 * from the list's release/acquire (see the DOC comment). */
	n = atomic_fetch_add_explicit(&q->nr_queued, 1,
				      memory_order_relaxed) + 1;
	atomic_fetch_add_explicit(&q->total_queued, 1, memory_order_relaxed);
	defer_list_add(obj, &q->list);
	if (unlikely(n == q->high_mark) && q->wake)
		q->wake(q->wake_arg);
}

/**
 * defer_drain - free every object queued on @q now
 * @q: the queue
 *
 * Takes the whole list at once, frees the objects in the order they were
 * pushed (each main-only type->free runs here, on main) and accounts
 * for exactly the objects taken: @nr_queued drops by that number,
 * @total_freed grows by it, @batches grows by one when it is not zero and
 * @high_water keeps the largest.  Objects pushed while the drain runs stay
 * queued, counted, for the next drain.
 *
 * Context: main thread, outside any RCU read-side critical section.  A
 * free callback may put other objects (they are freed at once on main).
 * Return: the number of objects freed.
 */
size_t defer_drain(struct baton_defer_queue *q)
{
	struct baton_obj *obj, *next, *fifo = NULL;
	size_t n = 0;

	assert_main();
	/* Acquire: pairs with the release CAS of every push taken here. */
	obj = (struct baton_obj *)llist_del_all(&q->list);
	if (!obj)
		return 0;
	/* Newest first -> oldest first, counting as we go. */
	for (; obj; obj = next) {
		next = obj->next;
		obj->next = fifo;
		fifo = obj;
		n++;
	}
	/* Relaxed: see the DOC comment for why this never underflows. */
	atomic_fetch_sub_explicit(&q->nr_queued, n, memory_order_relaxed);

	for (obj = fifo; obj; obj = next) {
		next = obj->next;	/* read before the free */
		object_free_deferred(obj);
	}
	q->total_freed += n;
	q->batches++;
	if (n > q->high_water)
		q->high_water = n;
	BATON_PROBE(defer_drain, n);
	return n;
}

/**
 * defer_attach - say which queue is the calling thread's
 * @q: its server's home queue on a main thread, its own queue on an IO
 *	worker; NULL when the thread stops serving
 *
 * Context: a server's main thread when the server is created (NULL when
 * it is destroyed), an IO worker when it starts (NULL before it exits);
 * @q must outlive the thread's last baton_obj_init() and baton_obj_put()
 * while attached.
 */
void defer_attach(struct baton_defer_queue *q)
{
	defer_cur = q;
}
