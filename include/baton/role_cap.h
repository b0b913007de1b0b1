/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * role_cap.h - the thread roles as Clang thread-safety capabilities, so that
 * calling a main-only function from an IO-worker function fails to compile.
 *
 * A role is a capability that a thread "holds" for as long as it plays that
 * role.  The thread entry points acquire it (role_enter_*), functions
 * that may run only in one role require it, and fields owned by one role
 * are guarded_by it.  Under gcc (and sparse) all of this compiles to nothing;
 * the DEBUG=1 runtime assertions in role.h check the same rules dynamically.
 */
#ifndef _BATON_ROLE_CAP_H
#define _BATON_ROLE_CAP_H

#if defined(__clang__) && !defined(__CHECKER__)
# define __tsa(x)		__attribute__((x))
#else
# define __tsa(x)
#endif

#define __capability(name)	__tsa(capability(name))
#define __guarded_by(cap)	__tsa(guarded_by(cap))
#define __pt_guarded_by(cap)	__tsa(pt_guarded_by(cap))
#define __requires_role(cap)	__tsa(requires_capability(cap))
#define __excludes_role(cap)	__tsa(locks_excluded(cap))
#define __acquires_role(cap)	__tsa(acquire_capability(cap))
#define __releases_role(cap)	__tsa(release_capability(cap))
#define __asserts_role(cap)	__tsa(assert_capability(cap))
#define __no_role_analysis	__tsa(no_thread_safety_analysis)

/* The capability type; its objects are never read, only named. */
struct __capability("role") baton_role_token {
	char unused;
};

extern struct baton_role_token role_main;	/* the maintenance thread */
extern struct baton_role_token role_io;	/* any IO worker, on its own data */

/* Shorthand for function declarations. */
#define __main_only	__requires_role(role_main)
#define __io_only	__requires_role(role_io)

/*
 * Owning one object (a client, client_internal.h): the struct is the
 * capability type and a pointer to it names the capability, so that
 * ownership follows the object from function to function.  A function
 * that works on a client its caller owns requires it; one that hands it
 * over (or leaves it with its owner, done with it) releases it; the
 * receiving side asserts it, since what makes the receiver the owner is
 * the queue it took the client from, which the analysis cannot see.
 * Clang cannot guard a field by the struct that holds it in C, so the
 * fields' side is tools/checkers/owner_access.sh's (Documentation/roles.rst).
 */
#define __requires_owner(obj)	__tsa(requires_capability(obj))
#define __releases_owner(obj)	__tsa(release_capability(obj))
#define __asserts_owner(obj)	__tsa(assert_capability(obj))
/* Releases @obj unless it returns true: the caller keeps it then. */
#define __may_release_owner(obj) \
	__tsa(release_capability(obj)) __tsa(try_acquire_capability(1, obj))

#endif /* _BATON_ROLE_CAP_H */
