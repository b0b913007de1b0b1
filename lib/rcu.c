// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * rcu.c - the public RCU read-side API: thin wrappers over liburcu's memb
 * flavor, whose read lock and unlock are inlined here (_LGPL_SOURCE).
 */
#include <urcu/urcu-memb.h>
#include <uapi/baton/rcu.h>
#include <baton/rcu_free.h>
#include <baton/rcu_read.h>

/* The grace-period token of rcu_read.h: only its address is used. */
char baton_rcu_gp_token;

/*
 * Thread-local: whether this thread went through baton_rcu_register_thread()
 * (or is liburcu's call_rcu thread inside a baton callback).  Only the
 * thread itself reads or writes it.
 */
__thread bool baton_rcu_thread_registered;

/**
 * baton_rcu_register_thread - make the calling thread an RCU reader
 *
 * Registers with liburcu's memb flavor.  A registered thread may also call
 * call_rcu (liburcu requires it), so baton_obj_put() and baton_rcu_free()
 * take their fast path on it.
 *
 * Context: a thread not yet registered, outside any read-side section.
 */
BATON_API void baton_rcu_register_thread(void)
{
	urcu_memb_register_thread();
	baton_rcu_thread_registered = true;
}

/**
 * baton_rcu_unregister_thread - undo baton_rcu_register_thread()
 *
 * First hands the thread's partial grace-period block to call_rcu (which
 * needs a registered thread), so nothing it queued is left behind.
 *
 * Context: a registered thread, outside any read-side critical section,
 * before it exits (liburcu requires every registered thread to unregister
 * before pthread_exit() or returning from its start function).
 */
BATON_API void baton_rcu_unregister_thread(void)
{
	baton_rcu_free_flush();
	baton_rcu_thread_registered = false;
	urcu_memb_unregister_thread();
}

/**
 * baton_rcu_read_lock - enter an RCU read-side critical section
 *
 * The memb flavor's lock is a thread-local counter store plus, only on
 * kernels without membarrier(2), a full fence.
 *
 * Context: a registered thread.  Sections nest.  Do not block inside.
 */
BATON_API void baton_rcu_read_lock(void) __acquires(RCU)
{
	rcu_read_lock_bt();
}

/**
 * baton_rcu_read_unlock - leave an RCU read-side critical section
 *
 * Context: a registered thread inside baton_rcu_read_lock().
 */
BATON_API void baton_rcu_read_unlock(void) __releases(RCU)
{
	rcu_read_unlock_bt();
}
