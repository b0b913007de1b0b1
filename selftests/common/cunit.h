/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cunit.h - run one CUnit suite in basic verbose mode and turn the result
 * into a selftest exit code (header-only, shared by every selftest).
 *
 * Usage, in a test's main():
 *
 *	static const struct cunit_test tests[] = {
 *		CUNIT_TEST(test_add),
 *		CUNIT_TEST(test_del_all),
 *	};
 *
 *	int main(void)
 *	{
 *		return cunit_run("llist", tests, ARRAY_SIZE(tests), NULL, NULL);
 *	}
 *
 * CUnit's assertion macros (CU_ASSERT*) are not thread-safe: call them
 * only from the thread that runs the test function; worker threads
 * record what they saw and the test asserts on it after joining them.
 * A binary that cannot run at all (a missing feature) returns
 * CUNIT_EXIT_SKIP from main() before calling cunit_run().
 *
 * BATON_TEST_ONLY=name,name,... in the environment runs only those tests
 * of the suite, in the suite's order (tools/mutate runs one or two tests
 * of a binary that way); a name the suite does not have fails the run,
 * so that a renamed test is never silently skipped.  The suite's @init
 * and @cleanup still run.
 */
#ifndef _BATON_SELFTEST_CUNIT_H
#define _BATON_SELFTEST_CUNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/Basic.h>

/* Exit codes understood by selftests/run.sh (kselftest's values). */
#define CUNIT_EXIT_PASS	0
#define CUNIT_EXIT_FAIL	1
#define CUNIT_EXIT_SKIP	4

/**
 * struct cunit_test - one test of a suite
 * @name: the name CUnit prints
 * @fn: the test function
 */
struct cunit_test {
	const char *name;
	CU_TestFunc fn;
};

/* A table entry named after its function. */
#define CUNIT_TEST(fn)	{ #fn, fn }

/*
 * cunit_selected - whether BATON_TEST_ONLY (@only, or NULL: every test)
 * names @name: a comma-separated list of whole names.
 */
static inline bool cunit_selected(const char *only, const char *name)
{
	size_t len = strlen(name);
	const char *p = only;

	if (!only)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == only || p[-1] == ',') &&
		    (p[len] == ',' || p[len] == '\0'))
			return true;
		p += len;
	}
	return false;
}

/*
 * cunit_only_unknown - the first name of BATON_TEST_ONLY (@only) that no
 * test of @tests has, copied into @buf; NULL when every name is known.
 */
static inline const char *cunit_only_unknown(const char *only,
					     const struct cunit_test *tests,
					     size_t nr, char *buf, size_t size)
{
	const char *p = only;
	size_t i, len;

	while (*p) {
		len = strcspn(p, ",");
		if (len >= size)
			len = size - 1;
		memcpy(buf, p, len);
		buf[len] = '\0';
		for (i = 0; i < nr && (!len || strcmp(tests[i].name, buf)); i++)
			;
		if (len && i == nr)
			return buf;
		p += strcspn(p, ",");
		p += *p == ',';
	}
	return NULL;
}

/**
 * cunit_run - register @tests as suite @suite, run them, report
 * @suite: the suite's name
 * @tests: the tests, run in this order
 * @nr: number of entries in @tests
 * @init: run once before the tests (return 0 for success), or NULL
 * @cleanup: run once after the tests (return 0 for success), or NULL
 *
 * Only the tests BATON_TEST_ONLY names run when it is set (see above).
 * Runs in CUnit's basic interface with CU_BRM_VERBOSE, which prints each
 * test's result, every failed assertion and the "Run Summary" table that
 * selftests/run.sh copies into its report.  The registry is created and
 * destroyed here, so call it once per process.
 *
 * Context: the process's main thread, once, from main().
 * Return: CUNIT_EXIT_PASS when every test ran and no assertion failed;
 * CUNIT_EXIT_FAIL when an assertion or test failed, @init or @cleanup
 * failed, or CUnit itself reported an error.
 */
static inline int cunit_run(const char *suite, const struct cunit_test *tests,
			    size_t nr, CU_InitializeFunc init,
			    CU_CleanupFunc cleanup)
{
	unsigned int failed_asserts, failed_tests, failed_suites, ran;
	const char *only = getenv("BATON_TEST_ONLY"), *unknown;
	size_t i, want = 0;
	char name[128];
	CU_ErrorCode err;
	CU_pSuite s;

	if (only && !*only)
		only = NULL;
	if (only && (unknown = cunit_only_unknown(only, tests, nr, name,
						  sizeof(name)))) {
		fprintf(stderr, "cunit: %s: BATON_TEST_ONLY names %s, which "
			"this suite does not have\n", suite, unknown);
		return CUNIT_EXIT_FAIL;
	}
	if (CU_initialize_registry() != CUE_SUCCESS) {
		fprintf(stderr, "cunit: registry: %s\n", CU_get_error_msg());
		return CUNIT_EXIT_FAIL;
	}
	s = CU_add_suite(suite, init, cleanup);
	if (!s)
		goto out_error;
	for (i = 0; i < nr; i++) {
		if (!cunit_selected(only, tests[i].name))
			continue;
		if (!CU_add_test(s, tests[i].name, tests[i].fn))
			goto out_error;
		want++;
	}

	CU_basic_set_mode(CU_BRM_VERBOSE);
	err = CU_basic_run_tests();
	/* The summary is followed by the failure list; flush before exit. */
	printf("\n");
	fflush(stdout);
	if (err != CUE_SUCCESS)
		goto out_error;

	failed_asserts = CU_get_number_of_failures();
	failed_tests = CU_get_number_of_tests_failed();
	failed_suites = CU_get_number_of_suites_failed();
	ran = CU_get_number_of_tests_run();
	CU_cleanup_registry();
	if (failed_asserts || failed_tests || failed_suites || ran != want) {
		fprintf(stderr, "cunit: %s: FAILED (%u assertions, %u tests, "
			"%u suites failed; %u of %zu tests ran)\n", suite,
			failed_asserts, failed_tests, failed_suites, ran, want);
		return CUNIT_EXIT_FAIL;
	}
	return CUNIT_EXIT_PASS;

out_error:
	fprintf(stderr, "cunit: %s: CUnit error: %s\n", suite,
		CU_get_error_msg());
	CU_cleanup_registry();
	return CUNIT_EXIT_FAIL;
}

#endif /* _BATON_SELFTEST_CUNIT_H */
