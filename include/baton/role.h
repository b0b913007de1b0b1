/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * role.h - which role the calling thread plays (main, IO worker, RCU
 * callback, foreign) and the DEBUG=1 assertions that check it.
 */
#ifndef _BATON_ROLE_H
#define _BATON_ROLE_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <baton/compiler.h>
#include <baton/role_cap.h>

struct baton_server;

/**
 * DOC: thread roles
 *
 * Each thread has one current role, kept in a thread-local variable:
 *
 *   BATON_ROLE_FOREIGN  any thread baton did not start and that is not a
 *                       server's main thread; may call only functions
 *                       whose kernel-doc says "Context: any thread".
 *   BATON_ROLE_MAIN     a server's main thread: the thread that created
 *                       it, from baton_server_create() until
 *                       baton_server_destroy() (inside baton_server_run()
 *                       and outside it).
 *   BATON_ROLE_IO       an IO worker; role_io_index() says which.
 *   BATON_ROLE_RCU      liburcu's call_rcu thread while it runs a baton
 *                       callback.
 *
 * The main and IO roles are bound to one server: a second thread-local
 * pointer, role_server(), says which.  Two servers in one process have
 * two main threads, and a thread is the main thread of one server at a
 * time.  A public function documented "Context: main thread" that has a
 * server (its argument, or the client's) checks role_is_main_of() and
 * returns role_misuse() on any other thread, the main thread of another
 * server included.
 *
 * The assertions (role_assert_main() and friends) are like lockdep: in a
 * DEBUG=1 build a violated one prints file:line and the roles, then
 * aborts; otherwise they compile to nothing.  The same rules are checked
 * statically by clang's -Wthread-safety through role_cap.h.
 */
enum baton_role {
	BATON_ROLE_FOREIGN = 0,
	BATON_ROLE_MAIN,
	BATON_ROLE_IO,
	BATON_ROLE_RCU,
};

extern __thread enum baton_role role_cur;
extern __thread int role_cur_io_index;
extern __thread struct baton_server *role_cur_srv;

/**
 * role_current - the role of the calling thread
 *
 * Context: any thread.
 * Return: the role set by the last role_enter_*() on this thread.
 */
static inline enum baton_role role_current(void)
{
	return role_cur;
}

/**
 * role_io_index - which IO worker the calling thread is
 *
 * Context: any thread.
 * Return: the worker's index, or -1 when the thread is not an IO worker.
 */
static inline int role_io_index(void)
{
	return role_cur == BATON_ROLE_IO ? role_cur_io_index : -1;
}

/**
 * role_server - the server whose main thread or IO worker this thread is
 *
 * Context: any thread.
 * Return: the server bound by role_enter_main() or role_enter_io() (kept
 * while main borrows the IO role), or NULL (foreign threads, the RCU
 * callback thread, tests that play a role without a server).
 */
static inline struct baton_server *role_server(void)
{
	return role_cur_srv;
}

const char *role_name(enum baton_role role);

/**
 * role_enter_main - make the calling thread the main thread of @s
 * @s: the server; NULL for a test that plays main without one
 *
 * Context: a thread in BATON_ROLE_FOREIGN: baton_server_create(), which
 * binds its calling thread until baton_server_destroy().
 */
void role_enter_main(struct baton_server *s) __acquires_role(role_main);
void role_leave_main(void) __releases_role(role_main);

/**
 * role_enter_io - make the calling thread IO worker @index of @s
 * @s: the server; NULL for a test that plays a worker without one
 * @index: the worker's index, 0-based
 *
 * Context: a new thread started by baton, before it touches worker state.
 */
void role_enter_io(struct baton_server *s, int index) __acquires_role(role_io);
void role_leave_io(void) __releases_role(role_io);

/**
 * role_borrow_io - the main thread runs worker code (no IO workers)
 * @index: the inline worker's index (0)
 *
 * Context: main thread.  Until role_return_io() the thread plays
 * the IO role: main-only assertions fail, as they would on a worker.
 */
void role_borrow_io(int index) __acquires_role(role_io);

/**
 * role_return_io - back to the main role after role_borrow_io()
 *
 * Context: main thread playing the IO role.
 */
void role_return_io(void) __releases_role(role_io);

/**
 * role_enter_rcu - mark the calling thread as running an RCU callback
 *
 * Context: liburcu's call_rcu thread, at the start of a baton callback.
 * Return: the role to restore with role_restore().
 */
enum baton_role role_enter_rcu(void);
void role_restore(enum baton_role prev);

void role_violation(const char *file, int line, const char *expected)
	__attribute__((noreturn, cold));
void role_report_misuse(_Atomic bool *warned, const char *file, int line,
			const char *what) __attribute__((cold));

/*
 * role_misuse - an API call made where it is not allowed (a thread that
 * may not call it, or a client it may not touch): a bug in the
 * application, not a condition.  A DEBUG=1 build aborts as a violated
 * assertion does; otherwise it logs once per call site and the call
 * returns -EPERM (the value of the expression).
 */
#define role_misuse(what) ({ \
	static _Atomic bool __role_misuse_warned; \
	role_report_misuse(&__role_misuse_warned, __FILE__, __LINE__, what); \
	-EPERM; })

#ifdef BATON_DEBUG
# define __role_check(cond, expected) \
	do { if (unlikely(!(cond))) \
		role_violation(__FILE__, __LINE__, expected); } while (0)
#else
# define __role_check(cond, expected) do { } while (0)
#endif

/*
 * The assertions double as clang's assert_capability: after one, the
 * analysis knows the thread holds the role (they are how a public entry
 * point documented "Context: main thread" enters the analysed world).
 */
static inline void role_assert_main(const char *file, int line)
	__asserts_role(role_main);
static inline void role_assert_main(const char *file, int line)
{
#ifdef BATON_DEBUG
	if (unlikely(role_cur != BATON_ROLE_MAIN))
		role_violation(file, line, "main");
#endif
}

static inline void role_assert_io(const char *file, int line)
	__asserts_role(role_io);
static inline void role_assert_io(const char *file, int line)
{
#ifdef BATON_DEBUG
	if (unlikely(role_cur != BATON_ROLE_IO))
		role_violation(file, line, "io");
#endif
}

/**
 * role_is_main - whether the calling thread plays main, of any server
 *
 * For the public API's run-time checks where the call names no server
 * (baton_timer_cancel()); prefer role_is_main_of().  To clang's analysis
 * it asserts the main role (the false branch returns at once).
 *
 * Context: any thread.
 * Return: true on a main thread.
 */
static inline bool role_is_main(void) __asserts_role(role_main);
static inline bool role_is_main(void)
{
	return role_cur == BATON_ROLE_MAIN;
}

/**
 * role_is_main_of - whether the calling thread is the main thread of @s
 * @s: the server the call is about (its argument, or the client's)
 *
 * For the public API's run-time checks: a function documented "Context:
 * main thread" returns role_misuse() when this is false, so the main
 * thread of another server is refused too (it would race with @s's
 * main on every MAIN field).  Reads only the caller's thread-locals.
 * To clang's analysis it asserts the main role.
 *
 * Context: any thread.
 * Return: true on @s's main thread.
 */
static inline bool role_is_main_of(const struct baton_server *s)
	__asserts_role(role_main);
static inline bool role_is_main_of(const struct baton_server *s)
{
	return role_cur == BATON_ROLE_MAIN && role_cur_srv == s;
}

/* Must be the main thread. */
#define assert_main()		role_assert_main(__FILE__, __LINE__)
/* Must be an IO worker. */
#define assert_io()		role_assert_io(__FILE__, __LINE__)
/* Must be IO worker number @idx. */
#define assert_io_index(idx) \
	__role_check(role_io_index() == (idx), "io worker " #idx)
/* Must not be an IO worker (main, RCU callback or foreign). */
#define assert_not_io() \
	__role_check(role_cur != BATON_ROLE_IO, "not io")
/*
 * Must be the current owner of an object whose owner is recorded as a
 * thread id: (role, io index) packed by role_self().  The caller reads
 * the record in a way that cannot race (a client's is an atomic:
 * assert_client_owner() in client_internal.h).
 */
#define assert_owner(owner_id) \
	__role_check((owner_id) == role_self(), "owner")

/* role_self() of the main thread, and of IO worker @index. */
#define ROLE_ID_MAIN	0

static inline int role_id_io(int index)
{
	return 1 + index;
}

/**
 * role_self - the calling thread's identity as a small integer
 *
 * Within one server: pair it with role_server() to tell two servers'
 * threads apart.
 *
 * Context: any thread.
 * Return: ROLE_ID_MAIN for main, role_id_io(index) for IO workers, -1 for
 * anything else.
 */
static inline int role_self(void)
{
	switch (role_cur) {
	case BATON_ROLE_MAIN:
		return ROLE_ID_MAIN;
	case BATON_ROLE_IO:
		return role_id_io(role_cur_io_index);
	default:
		return -1;
	}
}

#endif /* _BATON_ROLE_H */
