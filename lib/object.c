// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * object.c - reference-counted objects: one atomic decrement decides the
 * free, the object's type and the caller's role decide where it runs.
 */
#include <errno.h>
#include <urcu/urcu-memb.h>
#include <baton/defer.h>
#include <baton/logging.h>
#include <baton/object_internal.h>
#include <baton/rcu_free.h>
#include <baton/refcount.h>
#include <baton/role.h>

/**
 * DOC: where the last put frees
 *
 * The put whose refcount_dec_and_test() takes the count from 1 to 0 owns
 * the object from then on (acquire fence included) and decides, without
 * reading anything another thread may write:
 *
 *   RCU-marked, caller registered    rcu_free(); after the grace
 *                                    period, on the call_rcu thread:
 *                                      FREE_ANY_THREAD  type->free there
 *                                      main-only        push to
 *                                                       defer_global
 *   RCU-marked, caller unregistered  push to defer_global flagged
 *                                    NEED_GP; main calls rcu_free()
 *   FREE_ANY_THREAD                  type->free here, on the caller
 *   main-only, caller is main        type->free here
 *   main-only, any other caller      push to defer_cur, or to
 *                                    defer_global when the thread
 *                                    attached none; main frees it
 *
 * struct baton_obj's fields: @refs ATOMIC (the refcount_t contract);
 * @type IMMUTABLE; @flags OWNER: written only by a thread that owns the
 * object alone -- its creator before publication (baton_obj_mark_rcu()),
 * then the thread whose put took the count to zero (the acquire ordering
 * of refcount_dec_and_test() hands it over), which may hand it on to main
 * with the object through a deferred-free queue; no thread reads it while
 * the object is shared; @next OWNER (the link on a deferred-free queue,
 * written by the pushing thread before the release CAS, read by main
 * after its acquire).
 */

_Static_assert(sizeof(refcount_t) == sizeof(((struct baton_obj *)0)->refs),
	       "baton_obj::refs must be laid out as a refcount_t");
_Static_assert(_Alignof(refcount_t) == _Alignof(unsigned int _Atomic),
	       "baton_obj::refs must be aligned as a refcount_t");

static atomic_bool obj_warned_unregistered_main __rule(ATOMIC);	/* log_once() */

/*
 * The release store pairs with the acquire load in baton_obj_init(), so
 * a thread that sees the type registered also sees its name, free and
 * flags.
 */
BATON_API int baton_type_register(struct baton_type *type)
{
	if (!type || !type->name || !type->free ||
	    (type->flags & ~BATON_TYPE_FREE_ANY_THREAD))
		return -EINVAL;
	atomic_store_explicit(&type->registered, BATON_TYPE_REGISTERED,
			      memory_order_release);
	return 0;
}

BATON_API int __init_fn baton_obj_init(struct baton_obj *obj,
			     const struct baton_type *type)
{
	if (!obj || !type ||
	    atomic_load_explicit(&type->registered, memory_order_acquire) !=
	    BATON_TYPE_REGISTERED)
		return -EINVAL;
	refcount_set(object_ref(obj), 1);
	obj->flags = 0;
	obj->type = type;
	obj->next = NULL;
	return 0;
}

BATON_API struct baton_obj *baton_obj_get(struct baton_obj *obj)
{
	refcount_inc(object_ref(obj));
	return obj;
}

BATON_API bool baton_obj_get_unless_zero(struct baton_obj *obj)
{
	return refcount_inc_not_zero(object_ref(obj));
}

/*
 * The free proper, once no reader can see @obj any more (it was never
 * RCU-visible, or a grace period has passed).  Context: the thread that
 * owns @obj after its last put, or the RCU callback thread.
 */
static void obj_release(struct baton_obj *obj)
{
	const struct baton_type *type = obj->type;

	if ((type->flags & BATON_TYPE_FREE_ANY_THREAD) ||
	    role_current() == BATON_ROLE_MAIN) {
		type->free(obj);
		return;
	}
	/* A main-only free off main: send it home.  The RCU callback thread
	 * has no queue of its own and uses the global one. */
	defer_push(defer_cur ? defer_cur : &defer_global,
			 obj);
}

/*
 * rcu_free() callback for RCU-marked objects.
 * Context: liburcu's call_rcu thread, role BATON_ROLE_RCU, a grace period
 * after the last put (or main's fallback, see obj_free_after_gp()).
 */
static void obj_rcu_free_cb(void *ptr)
{
	struct baton_obj *obj = ptr;

	if (obj->type->flags & BATON_TYPE_FREE_ANY_THREAD)
		obj->type->free(obj);
	else
		defer_push(&defer_global, obj);
}

/*
 * Main must call_rcu an object an unregistered thread sent it.  Context:
 * main thread, outside any read-side critical section.
 */
static void obj_free_after_gp_on_main(struct baton_obj *obj) __main_only
{
	if (likely(rcu_thread_registered)) {
		rcu_free(obj, obj_rcu_free_cb);
		return;
	}
	/* Main did not register through baton: call_rcu is not allowed
	 * here, but waiting for a grace period is (we are not a reader). */
	log_once(obj_warned_unregistered_main, BATON_LOG_WARN,
		       "object: main thread is not a registered RCU thread; "
		       "waiting for a grace period inline");
	urcu_memb_synchronize_rcu();
	obj->type->free(obj);	/* either kind of type may free on main */
}

/*
 * Only the refcount_dec_and_test() here decides the free; an underflow
 * saturates the count (the object leaks and is never freed twice) and
 * logs once.  Where the free then runs is the table in the DOC comment
 * above: on main at once; on an IO worker, for a main-only type, through
 * that worker's deferred-free queue; for a BATON_TYPE_FREE_ANY_THREAD type
 * where it is; and after an RCU grace period, batched, when
 * baton_obj_mark_rcu() was called.
 */
BATON_API void baton_obj_put(struct baton_obj *obj)
{
	if (!refcount_dec_and_test(object_ref(obj)))
		return;
	/* From here this thread owns @obj alone. */
	if (!(obj->flags & BATON_OBJ_RCU)) {
		obj_release(obj);
		return;
	}
	if (likely(rcu_thread_registered)) {
		rcu_free(obj, obj_rcu_free_cb);
		return;
	}
	/* liburcu's call_rcu needs a registered thread: let main do it. */
	obj->flags |= BATON_OBJ_NEED_GP;
	defer_push(&defer_global, obj);
}

void object_free_deferred(struct baton_obj *obj)
{
	if (unlikely(obj->flags & BATON_OBJ_NEED_GP)) {
		obj->flags &= ~BATON_OBJ_NEED_GP;
		obj_free_after_gp_on_main(obj);
		return;
	}
	obj->type->free(obj);
}

/*
 * Its free then waits for a grace period after the last put.
 */
BATON_API void baton_obj_mark_rcu(struct baton_obj *obj)
{
	obj->flags |= BATON_OBJ_RCU;
}

BATON_API unsigned int baton_obj_refs(const struct baton_obj *obj)
{
	return refcount_read((const refcount_t *)&obj->refs);
}
