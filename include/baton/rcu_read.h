/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rcu_read.h - baton's RCU read-side critical section: liburcu's memb
 * flavor, plus the grace-period ordering told to ThreadSanitizer.
 */
#ifndef _BATON_RCU_READ_H
#define _BATON_RCU_READ_H

#include <urcu/urcu-memb.h>
#include <baton/compiler.h>
#include <baton/tsan.h>

#ifdef BATON_TSAN
/*
 * Under ThreadSanitizer call liburcu's out-of-line read side, not the
 * _LGPL_SOURCE inline one: the inline unlock reads and resets the grace
 * period futex with plain accesses that TSan, seeing them in our code,
 * reports when two readers unlock at once.  Same semantics, and the
 * library's own code is not instrumented.
 */
# undef urcu_memb_read_lock
# undef urcu_memb_read_unlock
void urcu_memb_read_lock(void);
void urcu_memb_read_unlock(void);
#endif

/*
 * What a grace period orders, as ThreadSanitizer sees it: every read-side
 * section releases this token when it ends, and every grace-period
 * callback acquires it before it frees.  A reader still inside its
 * section when the callback runs has not released yet, so a free under
 * its feet is still reported.  Only the address is used.
 */
extern char rcu_gp_token;

/**
 * rcu_read_lock_bt - enter a read-side critical section
 *
 * Context: a registered RCU reader thread.  Sections nest.
 */
static inline void rcu_read_lock_bt(void) __acquires(RCU)
{
	urcu_memb_read_lock();
	__acquire(RCU);
}

/**
 * rcu_read_unlock_bt - leave a read-side critical section
 *
 * Context: a registered RCU reader inside rcu_read_lock_bt().
 */
static inline void rcu_read_unlock_bt(void) __releases(RCU)
{
	tsan_release(&rcu_gp_token);
	__release(RCU);
	urcu_memb_read_unlock();
}

/* Before a grace-period callback frees: pairs with every unlock above. */
#define rcu_gp_acquire_bt()	tsan_acquire(&rcu_gp_token)

#endif /* _BATON_RCU_READ_H */
