/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rcu_free.h - frees after an RCU grace period, batched: each thread fills
 * a block of (function, pointer) pairs and hands whole blocks to one
 * call_rcu (the kernel's kfree_rcu bulk pattern).
 */
#ifndef _BATON_RCU_FREE_H
#define _BATON_RCU_FREE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Pairs per block: a block (header + pairs) fills about one 4 KiB page,
 * the kernel's kfree_rcu bulk size.  One call_rcu per this many frees.
 */
#define BATON_RCU_FREE_BATCH	250

/* Free @ptr with @fn after a grace period, batched (see rcu_free.c). */
void rcu_free(void *ptr, void (*fn)(void *ptr));

/* Hand the calling thread's partial block to call_rcu. Context: any
 * registered thread; the runtime calls it once per loop iteration. */
void rcu_free_flush(void);

/* Flush, then wait until every queued callback has run (rcu_barrier).
 * Context: a registered thread outside any read-side critical section. */
void rcu_free_barrier(void);

/**
 * rcu_free_stats - the process-wide grace-period free counters
 * @batches: set to the blocks handed to call_rcu so far (may be NULL)
 * @freed: set to the pairs whose function ran after a grace period
 *	(may be NULL)
 *
 * Context: any thread.  Each value is one relaxed atomic load: exact for
 * itself, but the two are not a consistent snapshot of each other.
 */
void rcu_free_stats(unsigned long *batches, unsigned long *freed);

/*
 * rcu_thread_registered - true on a thread that may call call_rcu:
 * one that called baton_rcu_register_thread() and not yet unregistered,
 * and liburcu's call_rcu thread while it runs a baton callback.  A thread
 * that registered with liburcu directly reads false (baton then takes the
 * slow, always-correct path).  Context: any thread; thread-local.
 */
extern __thread bool rcu_thread_registered;

#endif /* _BATON_RCU_FREE_H */
