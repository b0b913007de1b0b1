/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * object_internal.h - the private side of struct baton_obj: its flag bits
 * and the hooks the deferred-free queue and the runtime call.
 */
#ifndef _BATON_OBJECT_INTERNAL_H
#define _BATON_OBJECT_INTERNAL_H

#include <baton/compiler.h>
#include <baton/refcount.h>
#include <uapi/baton/object.h>

/*
 * Bits of struct baton_obj::flags.
 *
 * BATON_OBJ_RCU is set by baton_obj_mark_rcu() while the object is owned by
 * one thread alone and is IMMUTABLE from its publication on.
 * BATON_OBJ_NEED_GP is written only by the thread whose put took the count
 * to zero (it owns the object from then on) and handed to main with the
 * object by the llist push (release) / drain (acquire) pair.
 */
#define BATON_OBJ_RCU		(1u << 0)	/* RCU readers may see it */
#define BATON_OBJ_NEED_GP	(1u << 1)	/* queued to main before its GP */

/* The type-registered marker; any other value means "not registered". */
#define BATON_TYPE_REGISTERED	0x6274746eu	/* "btnt" */

/*
 * struct baton_obj::refs is an unsigned int _Atomic laid out exactly like
 * refcount_t (a struct of one such member), so every refcount_t helper
 * applies to it.  object.c checks the layout with static asserts.
 */
static inline refcount_t *object_ref(struct baton_obj *obj)
{
	return (refcount_t *)&obj->refs;
}

/**
 * object_free_deferred - free an object main took off a deferred queue
 * @obj: an object whose count already reached zero, owned by main now
 *
 * Runs @obj's type->free, or, for an RCU-marked object queued by a thread
 * that could not call call_rcu (an unregistered foreign thread), hands it
 * to rcu_free() first.
 *
 * Context: main thread, outside any RCU read-side critical section.
 */
void object_free_deferred(struct baton_obj *obj) __main_only;

#endif /* _BATON_OBJECT_INTERNAL_H */
