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
char rcu_gp_token __rule(IMMUTABLE);

/*
 * Thread-local: whether this thread went through baton_rcu_register_thread()
 * (or is liburcu's call_rcu thread inside a baton callback).  Only the
 * thread itself reads or writes it.
 */
__thread bool rcu_thread_registered;

/*
 * Registers with liburcu's memb flavor.  A registered thread may also call
 * call_rcu (liburcu requires it), so baton_obj_put() and rcu_free()
 * take their fast path on it.
 */
BATON_API void baton_rcu_register_thread(void)
{
	urcu_memb_register_thread();
	rcu_thread_registered = true;
}

/*
 * First hands the thread's partial grace-period block to call_rcu (which
 * needs a registered thread), so nothing it queued is left behind.
 */
BATON_API void baton_rcu_unregister_thread(void)
{
	rcu_free_flush();
	rcu_thread_registered = false;
	urcu_memb_unregister_thread();
}

/*
 * The memb flavor's lock is a thread-local counter store plus, only on
 * kernels without membarrier(2), a full fence.
 */
BATON_API void baton_rcu_read_lock(void) __acquires(RCU)
{
	rcu_read_lock_bt();
}

BATON_API void baton_rcu_read_unlock(void) __releases(RCU)
{
	rcu_read_unlock_bt();
}
