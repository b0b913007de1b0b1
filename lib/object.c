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
#include <baton/server_internal.h>

/**
 * DOC: where the last put frees
 *
 * Every object records its home: the home queue of the server it
 * belongs to (struct baton_server::defer), taken at baton_obj_init() from
 * the calling thread's queue (defer_cur->home: its server's, on a main
 * thread or an IO worker) or given to baton_obj_init_server().  A
 * main-only object always has one; a FREE_ANY_THREAD object may have
 * none.  "Its server's thread" below means defer_cur->home == home.
 *
 * The put whose refcount_dec_and_test() takes the count from 1 to 0 owns
 * the object from then on (acquire fence included) and decides, without
 * reading anything another thread may write:
 *
 *   RCU-marked, caller registered    rcu_free(); after the grace
 *                                    period, on the call_rcu thread:
 *                                      FREE_ANY_THREAD  type->free there
 *                                      main-only        push to home
 *   RCU-marked, caller unregistered  push to home flagged NEED_GP; main
 *                                    calls rcu_free() (no home: wait
 *                                    for a grace period here, free)
 *   FREE_ANY_THREAD                  type->free here, on the caller
 *   main-only, its server's main     type->free here
 *   main-only, its server's worker   push to defer_cur, the worker's
 *   main-only, any other caller      push to home (a foreign thread, the
 *                                    RCU thread, another server's main
 *                                    or worker); its main frees it
 *
 * struct baton_obj's fields: @refs ATOMIC (the refcount_t contract);
 * @type and @home IMMUTABLE; @flags OWNER: written only by a thread that
 * owns the object alone -- its creator before publication
 * (baton_obj_mark_rcu()), then the thread whose put took the count to
 * zero (the acquire ordering of refcount_dec_and_test() hands it over),
 * which may hand it on to main with the object through a deferred-free
 * queue; no thread reads it while the object is shared; @next OWNER (the
 * link on a deferred-free queue, written by the pushing thread before the
 * release CAS, read by main after its acquire).
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

static bool obj_type_usable(const struct baton_type *type)
{
	return type && atomic_load_explicit(&type->registered,
					    memory_order_acquire) ==
	       BATON_TYPE_REGISTERED;
}

static void __init_fn obj_init_home(struct baton_obj *obj,
				    const struct baton_type *type,
				    struct baton_defer_queue *home)
{
	refcount_set(object_ref(obj), 1);
	obj->flags = 0;
	obj->type = type;
	obj->next = NULL;
	obj->home = home;
}

BATON_API int baton_obj_init(struct baton_obj *obj,
			     const struct baton_type *type)
{
	struct baton_defer_queue *home = defer_cur ? defer_cur->home : NULL;

	if (!obj || !obj_type_usable(type))
		return -EINVAL;
	/* A main-only free needs a main thread to run on. */
	if (!home && !(type->flags & BATON_TYPE_FREE_ANY_THREAD))
		return role_misuse("baton_obj_init: a main-only object "
				   "outside any server");
	obj_init_home(obj, type, home);
	return 0;
}

BATON_API int baton_obj_init_server(struct baton_obj *obj,
				    const struct baton_type *type,
				    struct baton_server *s)
{
	if (!obj || !obj_type_usable(type) ||
	    (!s && !(type->flags & BATON_TYPE_FREE_ANY_THREAD)))
		return -EINVAL;
	obj_init_home(obj, type, s ? &s->defer : NULL);
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
 * owns @obj after its last put.
 */
static void obj_release(struct baton_obj *obj)
{
	const struct baton_type *type = obj->type;
	struct baton_defer_queue *home = obj->home, *q = defer_cur;

	if (type->flags & BATON_TYPE_FREE_ANY_THREAD) {
		type->free(obj);
		return;
	}
	if (q && q->home == home) {
		/* One of its server's threads: main frees it, a worker
		 * queues it on its own queue. */
		if (role_current() == BATON_ROLE_MAIN) {
			type->free(obj);
			return;
		}
		defer_push(q, obj);
		return;
	}
	/* Any other thread: send it home, to its server's main. */
	defer_push(home, obj);
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
		defer_push(obj->home, obj);
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
	if (obj->home) {
		obj->flags |= BATON_OBJ_NEED_GP;
		defer_push(obj->home, obj);
		return;
	}
	/* A FREE_ANY_THREAD object of no server: this thread is not a
	 * reader (it is not registered), so it may wait for the grace
	 * period itself. */
	urcu_memb_synchronize_rcu();
	obj->type->free(obj);
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
