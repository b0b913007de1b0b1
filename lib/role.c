// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * role.c - the thread-local current role and the DEBUG=1 violation report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <baton/role.h>
#include <baton/logging.h>

struct baton_role_token role_main;
struct baton_role_token role_io;

__thread enum baton_role role_cur;
__thread int role_cur_io_index = -1;
/* The server the main or IO role is bound to (role_server()). */
__thread struct baton_server *role_cur_srv;

const char *role_name(enum baton_role role)
{
	switch (role) {
	case BATON_ROLE_MAIN:
		return "main";
	case BATON_ROLE_IO:
		return "io";
	case BATON_ROLE_RCU:
		return "rcu";
	default:
		return "foreign";
	}
}

/* Role changes are thread-local bookkeeping; the analysis is told by the
 * attributes on the declarations, so the bodies opt out of it. */
void role_enter_main(struct baton_server *s) __no_role_analysis
{
	role_cur = BATON_ROLE_MAIN;
	role_cur_io_index = -1;
	role_cur_srv = s;
}

void role_leave_main(void) __no_role_analysis
{
	role_cur = BATON_ROLE_FOREIGN;
	role_cur_srv = NULL;
}

void role_enter_io(struct baton_server *s, int index) __no_role_analysis
{
	role_cur = BATON_ROLE_IO;
	role_cur_io_index = index;
	role_cur_srv = s;
}

void role_leave_io(void) __no_role_analysis
{
	role_cur = BATON_ROLE_FOREIGN;
	role_cur_io_index = -1;
	role_cur_srv = NULL;
}

/* The same thread-local change as entering the role, for the same
 * server; only the capabilities the analysis sees differ (main stays
 * held). */
void role_borrow_io(int index) __no_role_analysis
{
	role_enter_io(role_cur_srv, index);
}

void role_return_io(void) __no_role_analysis
{
	role_enter_main(role_cur_srv);
}

enum baton_role role_enter_rcu(void)
{
	enum baton_role prev = role_cur;

	role_cur = BATON_ROLE_RCU;
	return prev;
}

void role_restore(enum baton_role prev)
{
	role_cur = prev;
}

/*
 * A violated role assertion is a bug in baton or in the application, never
 * a runtime condition, so it reports once and aborts, like lockdep with
 * panic_on_warn.  This is the one place the library writes to stderr
 * without a log callback: the log callback may itself be the culprit.
 */
void role_violation(const char *file, int line, const char *expected)
{
	log_emit(BATON_LOG_ERR, "%s:%d: role assertion failed: expected %s, "
		  "thread is %s (io index %d)", file, line, expected,
		  role_name(role_cur), role_cur_io_index);
	fprintf(stderr, "baton: %s:%d: role assertion failed: expected %s, "
		"thread is %s (io index %d)\n", file, line, expected,
		role_name(role_cur), role_cur_io_index);
	abort();
}

/*
 * An API call where it is not allowed.  In a DEBUG=1 build that is a
 * violated assertion; otherwise the call fails with -EPERM and the first
 * one per call site is logged, so the application learns of it without a
 * flood.
 */
void role_report_misuse(_Atomic bool *warned, const char *file, int line,
			const char *what)
{
#ifdef BATON_DEBUG
	role_violation(file, line, what);
#else
	log_once(*warned, BATON_LOG_ERR, "%s:%d: %s: not allowed on this "
		 "thread (role %s, io index %d); returning -EPERM", file, line,
		 what, role_name(role_cur), role_cur_io_index);
#endif
}
