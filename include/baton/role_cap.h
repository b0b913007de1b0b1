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

#endif /* _BATON_ROLE_CAP_H */
