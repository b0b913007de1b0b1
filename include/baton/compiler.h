/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * compiler.h - compiler attributes, checker annotations and the field
 * ownership vocabulary shared by every baton source file.
 */
#ifndef _BATON_COMPILER_H
#define _BATON_COMPILER_H

#include <stddef.h>
#include <baton/role_cap.h>

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

#ifndef container_of
/**
 * container_of - the struct that embeds @ptr as its member @member
 */
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* One cache line; padding between fields written by different threads. */
#define BATON_CACHELINE	64
#define ____cacheline_aligned	__attribute__((aligned(BATON_CACHELINE)))

/*
 * Sparse context annotations (kernel semantics): a function that takes or
 * drops a lock-like state, e.g. the RCU read-side critical section.
 */
#ifdef __CHECKER__
# define __acquires(x)	__attribute__((context(x, 0, 1)))
# define __releases(x)	__attribute__((context(x, 1, 0)))
# define __must_hold(x)	__attribute__((context(x, 1, 1)))
# define __acquire(x)	__context__(x, 1)
# define __release(x)	__context__(x, -1)
#else
# define __acquires(x)
# define __releases(x)
# define __must_hold(x)
# define __acquire(x)	((void)0)
# define __release(x)	((void)0)
#endif

/**
 * DOC: field ownership rules
 *
 * Every field of a struct that more than one thread can reach carries
 * exactly one rule, written after its declarator as __rule(NAME):
 *
 *   OWNER      only the thread that currently owns the object; ownership
 *              moves only by a queue handoff (llist_add is the release,
 *              llist_del_all the acquire).
 *   MAIN       only the main (maintenance) thread.  Under clang this is a
 *              guarded_by() on the main role, so an IO-role function that
 *              touches it does not compile.
 *   IO         only the IO worker that the object belongs to (guarded_by
 *              the io role under clang).
 *   ATOMIC     any thread, through C11 atomics only; the field's comment
 *              says which ordering pairs with which.
 *   PENDING    an atomic flag or queue another thread sets to ask the
 *              owner to act; only the owner consumes it.
 *   RCU        published by main, read under rcu_read_lock(), freed after
 *              a grace period.
 *   IMMUTABLE  written before the object is published, never after.
 *
 * A global takes a rule the same way, after its declarator:
 * "struct baton_defer_queue defer_global __rule(IMMUTABLE);".
 *
 * Structs that follow the discipline are marked with __shared_struct
 * after their closing brace, "} __shared_struct;" (see defer.h);
 * tools/checkers/ownership.py fails `make check` when a field of such a
 * struct has no rule, an unknown one or two, when an ATOMIC or PENDING
 * field is not of an atomic type, when a struct another thread reaches
 * lacks the marker, and when Documentation/ownership.rst does not list
 * the field (Documentation/ownership.rst has the whole list).
 */
#define __shared_struct

/*
 * __init_fn marks a function that builds an object before it is published
 * to another thread, __fini_fn one that takes it apart after every other
 * thread let go of it: only those may write IMMUTABLE fields (and
 * globals); tools/checkers/ownership.py fails on such a write anywhere
 * else.  Both expand to nothing.  Write one after the parameters of the
 * function's prototype, like __main_only, or before the name of a
 * definition that has none: "static int __init_fn wake_setup(...)".
 */
#define __init_fn
#define __fini_fn
#define __rule(r)		__rule_##r
#define __rule_OWNER
#define __rule_ATOMIC
#define __rule_PENDING
#define __rule_RCU
#define __rule_IMMUTABLE
#define __rule_MAIN		__guarded_by(role_main)
#define __rule_IO		__guarded_by(role_io)

#endif /* _BATON_COMPILER_H */
