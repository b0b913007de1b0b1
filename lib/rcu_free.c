// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rcu_free.c - grace-period frees in batches: per-thread blocks of
 * (function, pointer) pairs, one call_rcu per block.
 */
#include <pthread.h>
#include <stdlib.h>
#include <urcu/urcu-memb.h>
#include <baton/compiler.h>
#include <baton/fault.h>
#include <baton/llist.h>
#include <baton/logging.h>
#include <baton/probe.h>
#include <baton/rcu_free.h>
#include <baton/rcu_read.h>
#include <baton/role.h>

/**
 * DOC: what liburcu allows, and how baton follows it
 *
 * liburcu 0.13 (memb flavor), from its rcu-api.md and urcu-call-rcu-impl.h:
 *
 * - call_rcu() "must be called by registered RCU read-side threads": it
 *   takes a read lock to look up the per-CPU call_rcu data.  So a block is
 *   handed over only by the thread that filled it while it is registered
 *   (the runtime's threads, via baton_rcu_register_thread()), by the
 *   call_rcu thread itself (liburcu registers it), or by a flush on such a
 *   thread that picks up orphaned blocks (below).  baton_obj_put() on a
 *   thread that did not register through baton never calls call_rcu: it
 *   sends the object to main instead (see object.c).
 * - Callbacks run on liburcu's call_rcu thread, after a grace period,
 *   outside any read-side critical section, one after another.  They may
 *   call call_rcu() again (the new callback waits for a later grace
 *   period): a free function that drops the last reference of another
 *   RCU-marked object does exactly that.
 * - rcu_barrier() "should never be called from a call_rcu() thread": it
 *   queues one completion callback per call_rcu thread and waits for it,
 *   so on the call_rcu thread itself it would wait for itself forever.
 *   Inside a read-side critical section it prints an error and returns at
 *   once without waiting.  rcu_free_barrier() refuses both cases
 *   with a logged error instead of hanging or returning silently.
 * - rcu_barrier() waits only for callbacks queued before it; callbacks
 *   queued by those callbacks are not waited for.  The barrier here loops
 *   until every handed block has completed (bounded, see below).
 * - The call_rcu thread sleeps about 10 ms between batches, so a callback
 *   runs some 10 ms or more after its call_rcu even on an idle system.
 *
 * Thread exit: the runtime flushes at the end of every loop iteration, and
 * baton_rcu_unregister_thread() flushes before unregistering.  A thread
 * that exits with a partial block anyway (it registered with liburcu
 * directly) does not leak it: a pthread key destructor puts the block on
 * rcu_free_orphans, and the next flush or barrier on any registered
 * thread hands it to call_rcu.  The grace period then starts later than
 * it could have, which is always safe.
 */

/* One deferred free; owned with the block that holds it. */
struct rcu_free_pair {
	void (*fn)(void *ptr)	__rule(OWNER);
	void *ptr		__rule(OWNER);
} __shared_struct;

/**
 * struct rcu_free_block - one call_rcu's worth of deferred frees
 * @head: OWNER: liburcu's callback link, used once the block is handed
 * @orphan: OWNER: link on rcu_free_orphans after the filler thread exited
 * @handed: ATOMIC: 1 once handed; the release store before call_rcu and
 *	the acquire load in the callback make the handoff visible to
 *	ThreadSanitizer (liburcu's own queue already orders it on the CPU)
 * @nr: OWNER: pairs used
 * @pairs: OWNER: what to call after the grace period, in call order
 *
 * Owned by the thread that fills it (reached only through its thread-local
 * pointer), then by liburcu, then by the callback that frees it.
 */
struct rcu_free_block {
	struct rcu_head head			__rule(OWNER);
	struct llist_node orphan		__rule(OWNER);
	_Atomic unsigned int handed		__rule(ATOMIC);
	unsigned int nr				__rule(OWNER);
	struct rcu_free_pair pairs[BATON_RCU_FREE_BATCH] __rule(OWNER);
} __shared_struct;

/* The calling thread's partially filled block, or NULL. */
static __thread struct rcu_free_block *rcu_free_cur;

/* pthread key whose destructor rescues a partial block at thread exit. */
static pthread_key_t rcu_free_key __rule(IMMUTABLE);
static pthread_once_t rcu_free_key_once = PTHREAD_ONCE_INIT;
static bool rcu_free_key_ok __rule(IMMUTABLE);	/* written once under rcu_free_key_once */

/*
 * PENDING: blocks whose thread exited before handing them over; any
 * registered thread's flush takes them (llist_add release / del_all
 * acquire hand the block's contents over).
 */
static struct llist_head rcu_free_orphans __rule(PENDING) = LLIST_HEAD_INIT;

/*
 * ATOMIC counters.  rcu_free_batches is incremented before call_rcu, and
 * rcu_free_done (release) after the callback has run its pairs and handed
 * any block those pairs filled; the barrier reads done (acquire) before
 * batches, so done <= batches always holds for what it reads.
 */
static _Atomic unsigned long rcu_free_batches __rule(ATOMIC);
static _Atomic unsigned long rcu_free_done __rule(ATOMIC);
static _Atomic unsigned long rcu_free_freed __rule(ATOMIC);

static atomic_bool rcu_free_warned_oom __rule(ATOMIC);
static atomic_bool rcu_free_warned_barrier __rule(ATOMIC);
static atomic_bool rcu_free_warned_key __rule(ATOMIC);

static void rcu_free_block_cb(struct rcu_head *head);

/* container_of() through void *: the block is malloc-aligned, and clang's
 * -Wcast-align (W=1) rejects the cast from char *. */
static inline struct rcu_free_block *rcu_free_block_of(void *member,
						       size_t offset)
{
	return (void *)((char *)member - offset);
}

/*
 * Thread-exit destructor: @arg is the exiting thread's partial block.  It
 * cannot call call_rcu here (the thread may no longer be registered), so it
 * parks the block for the next flush.
 * Context: the exiting thread, from pthread's key destructors.
 */
static void rcu_free_thread_exit(void *arg)
{
	struct rcu_free_block *b = arg;

	rcu_free_cur = NULL;
	if (!b->nr) {
		free(b);
		return;
	}
	llist_add(&b->orphan, &rcu_free_orphans);
}

static void __init_fn rcu_free_key_init(void)
{
	rcu_free_key_ok = !pthread_key_create(&rcu_free_key,
					      rcu_free_thread_exit);
}

/* Arm (or, with NULL, disarm) the thread-exit rescue for @b. */
static void rcu_free_track(struct rcu_free_block *b)
{
	pthread_once(&rcu_free_key_once, rcu_free_key_init);
	if (likely(rcu_free_key_ok) && !pthread_setspecific(rcu_free_key, b))
		return;
	if (b)
		log_once(rcu_free_warned_key, BATON_LOG_WARN,
			       "rcu_free: no thread-exit hook; a thread that "
			       "exits without a flush leaks its partial block");
}

/* Hand @b to call_rcu.  Context: a registered thread that owns @b. */
static void rcu_free_hand(struct rcu_free_block *b)
{
	BATON_PROBE(rcu_free_batch, b->nr);
	/* Release: the pairs written above are visible to the callback. */
	atomic_store_explicit(&b->handed, 1, memory_order_release);
	atomic_fetch_add_explicit(&rcu_free_batches, 1, memory_order_relaxed);
	urcu_memb_call_rcu(&b->head, rcu_free_block_cb);
}

/* Run one pair with the RCU role, whatever thread we are on. */
static void rcu_free_run(const struct rcu_free_pair *p)
{
	enum baton_role prev = role_enter_rcu();

	p->fn(p->ptr);
	role_restore(prev);
}

/*
 * The call_rcu callback: a grace period has passed since the block was
 * handed, so no reader can still see any of its pointers.
 * Context: liburcu's call_rcu thread (registered, outside any read-side
 * critical section); role BATON_ROLE_RCU while the functions run.
 */
static void rcu_free_block_cb(struct rcu_head *head)
{
	struct rcu_free_block *b = rcu_free_block_of(head,
			offsetof(struct rcu_free_block, head));
	enum baton_role prev;
	unsigned int i, nr;

	/* Acquire: pairs with the release in rcu_free_hand(). */
	(void)atomic_load_explicit(&b->handed, memory_order_acquire);
	/* The grace period, for TSan: after every finished read section. */
	rcu_gp_acquire_bt();
	/* liburcu registered this thread: nested frees may call_rcu. */
	rcu_thread_registered = true;

	prev = role_enter_rcu();
	nr = b->nr;
	for (i = 0; i < nr; i++)
		b->pairs[i].fn(b->pairs[i].ptr);
	role_restore(prev);
	free(b);

	atomic_fetch_add_explicit(&rcu_free_freed, nr, memory_order_relaxed);
	/* Frees that queued more frees: hand them now, not at some later
	 * callback, so the barrier's loop sees them as batches. */
	rcu_free_flush();
	/* Release: pairs with the acquire in rcu_free_barrier(). */
	atomic_fetch_add_explicit(&rcu_free_done, 1, memory_order_release);
}

/*
 * Out of memory for a block: wait for a grace period here and free at
 * once, which is correct but slow; inside a read-side critical section
 * the wait would deadlock, so the pointer leaks (reported once).
 */
static void rcu_free_fallback(void *ptr, void (*fn)(void *ptr))
{
	if (urcu_memb_read_ongoing()) {
		log_once(rcu_free_warned_oom, BATON_LOG_ERR,
			       "rcu_free: out of memory inside a read-side "
			       "section; leaking %p", ptr);
		return;
	}
	urcu_memb_synchronize_rcu();
	rcu_free_run(&(struct rcu_free_pair){ .fn = fn, .ptr = ptr });
	atomic_fetch_add_explicit(&rcu_free_freed, 1, memory_order_relaxed);
}

/**
 * rcu_free - free @ptr with @fn once every current reader is done
 * @ptr: memory that RCU readers may still see (already unpublished)
 * @fn: called as fn(ptr) after a grace period.  Context of @fn: liburcu's
 *	call_rcu thread with role BATON_ROLE_RCU (or, only when no block
 *	could be allocated, the calling thread after synchronize_rcu(), still
 *	with role BATON_ROLE_RCU); must be thread-safe; not serialized with
 *	the main thread; may call rcu_free() and baton_obj_put() but
 *	not rcu_free_barrier().
 *
 * Context: any thread registered with baton_rcu_register_thread() (the
 * main thread and the IO workers are), inside or outside a read-side
 * critical section.  The pair goes into the calling thread's current
 * block; a full block goes to call_rcu at once, a partial one at the next
 * rcu_free_flush().
 */
void rcu_free(void *ptr, void (*fn)(void *ptr))
{
	struct rcu_free_block *b = rcu_free_cur;

	if (unlikely(!b)) {
		b = bt_malloc(sizeof(*b));
		if (unlikely(!b)) {
			rcu_free_fallback(ptr, fn);
			return;
		}
		b->nr = 0;
		atomic_init(&b->handed, 0);
		rcu_free_cur = b;
		rcu_free_track(b);
	}
	b->pairs[b->nr].fn = fn;
	b->pairs[b->nr].ptr = ptr;
	if (++b->nr < BATON_RCU_FREE_BATCH)
		return;
	rcu_free_cur = NULL;
	rcu_free_track(NULL);
	rcu_free_hand(b);
}

/**
 * rcu_free_flush - hand the calling thread's partial block to call_rcu
 *
 * Also hands over the blocks of threads that exited without a flush.
 *
 * Context: any registered thread, inside or outside a read-side critical
 * section, including the call_rcu thread; the runtime calls it once per
 * loop iteration and before its threads exit.
 */
void rcu_free_flush(void)
{
	struct rcu_free_block *b = rcu_free_cur;
	struct llist_node *node, *next;

	if (b) {
		rcu_free_cur = NULL;
		rcu_free_track(NULL);
		rcu_free_hand(b);
	}
	/* Orphans are rare: del_all peeks with a relaxed load before it
	 * writes, so this costs one shared cache-line read per flush. */
	node = llist_del_all(&rcu_free_orphans);
	llist_for_each_safe(node, next, node)
		rcu_free_hand(rcu_free_block_of(node,
				offsetof(struct rcu_free_block, orphan)));
}

/* Bound on barrier rounds, in case other threads keep handing blocks. */
#define RCU_FREE_BARRIER_ROUNDS	16

/**
 * rcu_free_barrier - flush, then wait for every grace-period free
 *
 * Waits with rcu_barrier() until the callbacks of every block handed
 * before the call have run, and again while those callbacks handed new
 * blocks (a free that dropped the last reference of another RCU-marked
 * object), up to RCU_FREE_BARRIER_ROUNDS rounds.  Blocks other threads
 * still hold unflushed are not waited for: their owners must flush first.
 *
 * Context: a registered thread outside any read-side critical section and
 * not in an RCU callback (liburcu's rcu_barrier() would deadlock on the
 * call_rcu thread); either misuse logs an error and returns at once.
 * May block for several grace periods.
 */
void rcu_free_barrier(void)
{
	unsigned long done, batches;
	int round;

	if (role_current() == BATON_ROLE_RCU || urcu_memb_read_ongoing()) {
		log_once(rcu_free_warned_barrier, BATON_LOG_ERR,
			       "rcu_free: barrier called from an RCU callback "
			       "or inside a read-side section; not waiting");
		return;
	}
	rcu_free_flush();
	for (round = 0; round < RCU_FREE_BARRIER_ROUNDS; round++) {
		urcu_memb_barrier();
		/* Acquire: pairs with the callbacks' release on done, so the
		 * batches they handed are counted in the load below. */
		done = atomic_load_explicit(&rcu_free_done,
					    memory_order_acquire);
		batches = atomic_load_explicit(&rcu_free_batches,
					       memory_order_relaxed);
		if (done == batches)
			return;
	}
}

void rcu_free_stats(unsigned long *batches, unsigned long *freed)
{
	if (batches)
		*batches = atomic_load_explicit(&rcu_free_batches,
						memory_order_relaxed);
	if (freed)
		*freed = atomic_load_explicit(&rcu_free_freed,
					      memory_order_relaxed);
}
