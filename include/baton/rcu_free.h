/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rcu_free.h - frees after an RCU grace period, batched: each thread fills
 * a block of (function, pointer) pairs and hands whole blocks to one
 * call_rcu (the kernel's kfree_rcu bulk pattern).
 */
#ifndef _BATON_RCU_FREE_H
#define _BATON_RCU_FREE_H

#include <stddef.h>

/**
 * baton_rcu_free - free @ptr with @fn once every current reader is done
 * @ptr: memory that RCU readers may still see (already unpublished)
 * @fn: called as fn(ptr) on liburcu's call_rcu thread, role
 *	BATON_ROLE_RCU: it must be thread-safe
 *
 * Context: any thread registered with baton_rcu_register_thread() (the
 * main thread and the IO workers are).  The pair goes into the calling
 * thread's current block; a full block goes to call_rcu at once, a
 * partial one at the next baton_rcu_free_flush().
 */
void baton_rcu_free(void *ptr, void (*fn)(void *ptr));

/* Hand the calling thread's partial block to call_rcu. Context: any
 * registered thread; the runtime calls it once per loop iteration. */
void baton_rcu_free_flush(void);

/* Flush, then wait until every queued callback has run (rcu_barrier).
 * Context: a registered thread outside any read-side critical section. */
void baton_rcu_free_barrier(void);

#endif /* _BATON_RCU_FREE_H */
