/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * object.h - reference-counted application objects whose last put frees
 * them on a thread their type allows: now, on main through the deferred-
 * free queue, or after an RCU grace period in batches.
 */
#ifndef _UAPI_BATON_OBJECT_H
#define _UAPI_BATON_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include "api.h"

#ifdef __cplusplus
extern "C" {
#endif

struct baton_obj;
struct baton_server;

/* The type's free callback is thread-safe: it may run on any thread. */
#define BATON_TYPE_FREE_ANY_THREAD	(1u << 0)

/**
 * struct baton_type - what kind of object, and where its free may run
 * @name: for statistics and messages
 * @free: frees the object that embeds @obj.  Its Context depends on
 *	@flags.  Without BATON_TYPE_FREE_ANY_THREAD: "Context: main thread
 *	only" -- baton guarantees it runs on the main thread of the object's
 *	server (any other thread's last put sends the object there through
 *	a deferred-free queue).
 *	With BATON_TYPE_FREE_ANY_THREAD: "Context: may run on an IO worker,
 *	the main thread, a foreign thread or the RCU callback thread; must be
 *	thread-safe; not serialized with the main thread."
 * @flags: BATON_TYPE_FREE_ANY_THREAD or 0
 *
 * An application defines each type as a struct that lives as long as its
 * objects (a static one, usually) and registers it with
 * baton_type_register() before creating objects of it; registration
 * writes the struct's private field, so it cannot be const.
 */
struct baton_type {
	const char *name;			/* __rule(IMMUTABLE) */
	void (*free)(struct baton_obj *obj);	/* __rule(IMMUTABLE) */
	unsigned int flags;			/* __rule(IMMUTABLE) */
	/* private: set by baton_type_register() */
#ifdef __cplusplus
	unsigned int registered;	/* _Atomic in C: same size and alignment */
#else
	unsigned int _Atomic registered;	/* __rule(ATOMIC): see object.c */
#endif
} /* __shared_struct */;

/**
 * struct baton_obj - embed this in a reference-counted application object
 *
 * All fields are private to baton; use the functions below.
 */
struct baton_obj {
	/* private: */
#ifdef __cplusplus
	unsigned int refs;		/* _Atomic in C: same size and alignment */
#else
	unsigned int _Atomic refs;	/* __rule(ATOMIC): refcount_t contract */
#endif
	unsigned int flags;		/* __rule(OWNER): see object.c */
	const struct baton_type *type;	/* __rule(IMMUTABLE) */
	struct baton_obj *next;		/* __rule(OWNER): link on a free queue */
	void *home;			/* __rule(IMMUTABLE): its server's free queue */
} /* __shared_struct */;

/**
 * baton_type_register - validate a type and make it usable
 * @type: the type; must stay valid as long as objects of it exist
 *
 * Registering a type twice is harmless.  A thread that sees the type
 * registered (baton_obj_init() succeeds) also sees its name, free and
 * flags.
 *
 * Context: any thread, before objects of @type are created.
 * Return: 0, or -EINVAL when @type has no name or free callback or
 * unknown flags.
 */
BATON_API int baton_type_register(struct baton_type *type);

/**
 * baton_obj_init - make @obj an object of @type holding one reference
 * @obj: the embedded header, not yet shared with another thread
 * @type: a registered type
 *
 * The object belongs to the server the calling thread serves (as its
 * main thread or an IO worker): a main-only free runs on that server's
 * main thread, whichever thread drops the last reference.  A main-only
 * type needs such a server; on any other thread use
 * baton_obj_init_server().
 *
 * Context: any thread; @obj is owned by the caller alone.  For a type
 * without BATON_TYPE_FREE_ANY_THREAD: a server's main thread or IO
 * worker.
 * Return: 0; -EINVAL when @obj or @type is NULL or @type is not
 * registered; -EPERM for a main-only type on a thread that serves no
 * server (logged once; a DEBUG=1 build aborts).
 */
BATON_API int baton_obj_init(struct baton_obj *obj, const struct baton_type *type);

/**
 * baton_obj_init_server - baton_obj_init() for the objects of server @s
 * @obj: the embedded header, not yet shared with another thread
 * @type: a registered type
 * @s: the server whose main thread frees the object; NULL only for a
 *	BATON_TYPE_FREE_ANY_THREAD type (no server at all)
 *
 * For a thread that serves no server (an application thread preparing
 * objects for main) or serves another one.  @s must outlive the object.
 *
 * Context: any thread; @obj is owned by the caller alone.
 * Return: 0, or -EINVAL when @obj or @type is NULL, @type is not
 * registered, or @s is NULL for a main-only type.
 */
BATON_API int baton_obj_init_server(struct baton_obj *obj,
				    const struct baton_type *type,
				    struct baton_server *s);

/**
 * baton_obj_get - take one more reference
 * @obj: an object the caller holds a reference to
 *
 * Context: any thread holding a reference.
 * Return: @obj.
 */
BATON_API struct baton_obj *baton_obj_get(struct baton_obj *obj);

/**
 * baton_obj_get_unless_zero - take a reference to an object found under RCU
 * @obj: an object seen in an RCU-protected structure
 *
 * Context: any registered RCU reader, inside baton_rcu_read_lock(); the
 * read-side section keeps @obj's memory valid (it was marked RCU), the
 * count says whether it is still alive.
 * Return: true when a reference was taken, false when @obj is being freed.
 */
BATON_API bool baton_obj_get_unless_zero(struct baton_obj *obj);

/**
 * baton_obj_put - drop a reference; the last one frees the object
 * @obj: the object
 *
 * The put whose single atomic decrement takes the count to zero frees:
 * for a BATON_TYPE_FREE_ANY_THREAD type where it is; for a main-only
 * type, on the main thread of the object's server at once, and from any
 * other thread through a deferred-free queue that main drains on its
 * next loop (an IO worker of that server: its own queue; anything else,
 * the main thread of another server included: the server's home queue);
 * and after an RCU grace period, batched, when baton_obj_mark_rcu() was
 * called.  A put below zero (an application bug) saturates the count:
 * the object leaks instead of being freed twice, and baton logs it once.
 *
 * Context: any thread holding a reference; a registered thread may be
 * inside a read-side critical section.  The last put of a main-only
 * object must come before its server's baton_server_destroy() returns.
 */
BATON_API void baton_obj_put(struct baton_obj *obj);

/**
 * baton_obj_mark_rcu - say that RCU readers may see @obj
 * @obj: the object, before it is published in an RCU-protected structure
 *
 * Its free then waits for a grace period after the last put.
 *
 * Context: the thread that owns @obj alone, before publication.
 */
BATON_API void baton_obj_mark_rcu(struct baton_obj *obj);

/**
 * baton_obj_refs - the reference count now, for tests and statistics
 * @obj: the object
 *
 * Context: any thread.  Stale at once; never decide a free on it.
 * Return: the count.
 */
BATON_API unsigned int baton_obj_refs(const struct baton_obj *obj);

/**
 * baton_container_of - the application object that embeds @ptr
 * @ptr: a pointer to the embedded member (e.g. the struct baton_obj *
 *	a free callback receives)
 * @type: the application's struct type
 * @member: the name of the embedded member in @type
 *
 * Goes through void * so that -Wcast-align does not flag the cast from
 * char * (the result is as aligned as the object @ptr points into).
 *
 * Context: any thread; pure pointer arithmetic.
 */
#define baton_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#ifdef __cplusplus
}
#endif

#endif /* _UAPI_BATON_OBJECT_H */
