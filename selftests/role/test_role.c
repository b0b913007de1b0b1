// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_role.c - selftest of the thread roles: what role_current(),
 * role_io_index() and role_self() report, that roles are per thread, and
 * that a violated role assertion aborts (in a forked child).
 */

/*
 * The assertions are inline in role.h and compile to nothing unless
 * BATON_DEBUG is set: turn them on here whatever the build flags, so
 * that the abort tests test something in every build variant.
 */
#ifndef BATON_DEBUG
# define BATON_DEBUG 1
#endif

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <baton/role.h>
#include "../common/cunit.h"

static void test_foreign_by_default(void)
{
	CU_ASSERT_EQUAL(role_current(), BATON_ROLE_FOREIGN);
	CU_ASSERT_EQUAL(role_io_index(), -1);
	CU_ASSERT_EQUAL(role_self(), -1);
	CU_ASSERT_STRING_EQUAL(role_name(BATON_ROLE_FOREIGN), "foreign");
	CU_ASSERT_STRING_EQUAL(role_name(BATON_ROLE_MAIN), "main");
	CU_ASSERT_STRING_EQUAL(role_name(BATON_ROLE_IO), "io");
	CU_ASSERT_STRING_EQUAL(role_name(BATON_ROLE_RCU), "rcu");
}

static void test_main_role(void)
{
	role_enter_main(NULL);
	CU_ASSERT_EQUAL(role_current(), BATON_ROLE_MAIN);
	CU_ASSERT_EQUAL(role_io_index(), -1);
	CU_ASSERT_EQUAL(role_self(), 0);
	/* Correct assertions return (a wrong one would abort the test). */
	assert_main();
	assert_not_io();
	assert_owner(0);
	role_leave_main();
	CU_ASSERT_EQUAL(role_current(), BATON_ROLE_FOREIGN);
	CU_ASSERT_EQUAL(role_self(), -1);
}

static void test_io_role(void)
{
	role_enter_io(NULL, 3);
	CU_ASSERT_EQUAL(role_current(), BATON_ROLE_IO);
	CU_ASSERT_EQUAL(role_io_index(), 3);
	CU_ASSERT_EQUAL(role_self(), 1 + 3);
	assert_io();
	assert_io_index(3);
	assert_owner(4);
	role_leave_io();
	CU_ASSERT_EQUAL(role_current(), BATON_ROLE_FOREIGN);
	CU_ASSERT_EQUAL(role_io_index(), -1);
	CU_ASSERT_EQUAL(role_self(), -1);

	role_enter_io(NULL, 0);
	CU_ASSERT_EQUAL(role_io_index(), 0);
	CU_ASSERT_EQUAL(role_self(), 1);
	role_leave_io();
}

/* Main running worker code itself (no IO workers) plays the IO role. */
static void test_borrow_io(void)
{
	role_enter_main(NULL);
	role_borrow_io(0);
	CU_ASSERT_EQUAL(role_current(), BATON_ROLE_IO);
	CU_ASSERT_EQUAL(role_io_index(), 0);
	CU_ASSERT_EQUAL(role_self(), 1);
	assert_io();
	assert_io_index(0);
	role_return_io();
	CU_ASSERT_EQUAL(role_current(), BATON_ROLE_MAIN);
	CU_ASSERT_EQUAL(role_io_index(), -1);
	CU_ASSERT_EQUAL(role_self(), 0);
	assert_main();
	role_leave_main();
	CU_ASSERT_EQUAL(role_current(), BATON_ROLE_FOREIGN);
}

static void test_rcu_role(void)
{
	enum baton_role prev;

	role_enter_main(NULL);
	prev = role_enter_rcu();
	CU_ASSERT_EQUAL(prev, BATON_ROLE_MAIN);
	CU_ASSERT_EQUAL(role_current(), BATON_ROLE_RCU);
	CU_ASSERT_EQUAL(role_io_index(), -1);
	CU_ASSERT_EQUAL(role_self(), -1);
	assert_not_io();
	role_restore(prev);
	CU_ASSERT_EQUAL(role_current(), BATON_ROLE_MAIN);
	role_leave_main();

	/* From a foreign thread, restore gives foreign back. */
	prev = role_enter_rcu();
	CU_ASSERT_EQUAL(prev, BATON_ROLE_FOREIGN);
	role_restore(prev);
	CU_ASSERT_EQUAL(role_current(), BATON_ROLE_FOREIGN);
}

/* ------------------------------------------------------------------ */
/* Violations abort; each runs in a child so the test survives it. */

/*
 * The bodies enter a role and may not leave it (they abort): they opt
 * out of clang's analysis, which would see a role held at the return.
 */
static void io_asserts_main(void) __no_role_analysis
{
	role_enter_io(NULL, 0);
	assert_main();
}

static void foreign_asserts_main(void) __no_role_analysis
{
	assert_main();
}

static void main_asserts_io(void) __no_role_analysis
{
	role_enter_main(NULL);
	assert_io();
}

static void io1_asserts_io2(void) __no_role_analysis
{
	role_enter_io(NULL, 1);
	assert_io_index(2);
}

static void io_asserts_not_io(void) __no_role_analysis
{
	role_enter_io(NULL, 0);
	assert_not_io();
}

static void borrowed_io_asserts_main(void) __no_role_analysis
{
	role_enter_main(NULL);
	role_borrow_io(0);
	assert_main();
}

static void main_asserts_owner_io(void) __no_role_analysis
{
	role_enter_main(NULL);
	assert_owner(1);		/* IO worker 0 owns it */
}

static void io_asserts_owner_main(void) __no_role_analysis
{
	role_enter_io(NULL, 0);
	assert_owner(0);		/* main owns it */
}

static void io_asserts_owner_other_io(void) __no_role_analysis
{
	role_enter_io(NULL, 2);
	assert_owner(1 + 1);		/* IO worker 1 owns it */
}

/* The same assertions, satisfied: the child must exit normally. */
static void main_asserts_main(void) __no_role_analysis
{
	role_enter_main(NULL);
	assert_main();
	assert_not_io();
	assert_owner(0);
}

static void io_asserts_io(void) __no_role_analysis
{
	role_enter_io(NULL, 2);
	assert_io();
	assert_io_index(2);
	assert_owner(1 + 2);
}

static void rcu_asserts_not_io(void) __no_role_analysis
{
	role_enter_io(NULL, 0);
	role_leave_io();
	(void)role_enter_rcu();
	assert_not_io();
}

/*
 * run_child - run @fn in a forked child
 * @fn: the body
 * @err: receives up to @len - 1 bytes of what the child wrote to stderr
 *
 * Return: the child's wait status, or -1 when fork/pipe failed.
 */
static int run_child(void (*fn)(void), char *err, size_t len)
{
	int pfd[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(pfd))
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		/* No core file for the expected aborts. */
		prctl(PR_SET_DUMPABLE, 0);
		dup2(pfd[1], STDERR_FILENO);
		close(pfd[0]);
		fn();
		_exit(0);
	}
	close(pfd[1]);
	while (got + 1 < len &&
	       (n = read(pfd[0], err + got, len - 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += n;
	}
	err[got] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

struct role_case {
	const char *name;
	void (*fn)(void);
	const char *expected;	/* in the report; NULL: must not abort */
};

static const struct role_case role_cases[] = {
	{ "assert_main() on an IO worker", io_asserts_main, "expected main" },
	{ "assert_main() on a foreign thread", foreign_asserts_main,
	  "expected main" },
	{ "assert_io() on main", main_asserts_io, "expected io" },
	{ "assert_io_index(2) on IO worker 1", io1_asserts_io2,
	  "expected io worker 2" },
	{ "assert_not_io() on an IO worker", io_asserts_not_io,
	  "expected not io" },
	{ "assert_main() in main's borrowed IO role",
	  borrowed_io_asserts_main, "expected main" },
	{ "assert_owner(io 0) on main", main_asserts_owner_io,
	  "expected owner" },
	{ "assert_owner(main) on IO worker 0", io_asserts_owner_main,
	  "expected owner" },
	{ "assert_owner(io 1) on IO worker 2", io_asserts_owner_other_io,
	  "expected owner" },
	{ "correct assertions on main", main_asserts_main, NULL },
	{ "correct assertions on an IO worker", io_asserts_io, NULL },
	{ "assert_not_io() in an RCU callback", rcu_asserts_not_io, NULL },
};

static void test_violations_abort(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(role_cases); i++) {
		const struct role_case *c = &role_cases[i];
		char err[1024];
		int status = run_child(c->fn, err, sizeof(err));
		bool aborted = status != -1 && WIFSIGNALED(status) &&
			       WTERMSIG(status) == SIGABRT;
		bool clean = status != -1 && WIFEXITED(status) &&
			     WEXITSTATUS(status) == 0;

		printf("\n    %-40s %s", c->name,
		       aborted ? "SIGABRT" : clean ? "exit 0" : "other");
		CU_ASSERT_NOT_EQUAL(status, -1);
		if (c->expected) {
			CU_ASSERT_TRUE(aborted);
			/* The report names the file, the rule and the role. */
			CU_ASSERT_PTR_NOT_NULL(strstr(err,
						      "role assertion failed"));
			CU_ASSERT_PTR_NOT_NULL(strstr(err, c->expected));
			CU_ASSERT_PTR_NOT_NULL(strstr(err, "test_role.c:"));
		} else {
			CU_ASSERT_TRUE(clean);
			CU_ASSERT_STRING_EQUAL(err, "");
		}
	}
	printf("\n");
}

/* ------------------------------------------------------------------ */

struct thread_view {
	enum baton_role role_at_start;
	int self_at_start;
	enum baton_role role_as_io;
	int index_as_io;
};

static void *thread_fn(void *arg)
{
	struct thread_view *v = arg;

	v->role_at_start = role_current();
	v->self_at_start = role_self();
	role_enter_io(NULL, 5);
	v->role_as_io = role_current();
	v->index_as_io = role_io_index();
	role_leave_io();
	return NULL;
}

/* The role is thread-local: a new thread starts foreign. */
static void test_roles_are_per_thread(void)
{
	struct thread_view v;
	pthread_t tid;

	role_enter_main(NULL);
	CU_ASSERT_FATAL(pthread_create(&tid, NULL, thread_fn, &v) == 0);
	pthread_join(tid, NULL);
	CU_ASSERT_EQUAL(v.role_at_start, BATON_ROLE_FOREIGN);
	CU_ASSERT_EQUAL(v.self_at_start, -1);
	CU_ASSERT_EQUAL(v.role_as_io, BATON_ROLE_IO);
	CU_ASSERT_EQUAL(v.index_as_io, 5);
	/* The other thread's role changes did not touch ours. */
	CU_ASSERT_EQUAL(role_current(), BATON_ROLE_MAIN);
	CU_ASSERT_EQUAL(role_self(), 0);
	role_leave_main();
}

static const struct cunit_test tests[] = {
	CUNIT_TEST(test_foreign_by_default),
	CUNIT_TEST(test_main_role),
	CUNIT_TEST(test_io_role),
	CUNIT_TEST(test_borrow_io),
	CUNIT_TEST(test_rcu_role),
	CUNIT_TEST(test_violations_abort),
	CUNIT_TEST(test_roles_are_per_thread),
};

int main(void)
{
	return cunit_run("role", tests, ARRAY_SIZE(tests), NULL, NULL);
}
