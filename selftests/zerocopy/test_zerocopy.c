// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_zerocopy.c - zero-copy replies through real sockets: a value that
 * main deletes or overwrites while IO workers still send it is freed
 * exactly once, on main, through the deferred-free queues; replies never
 * show freed or mixed bytes; closes and shutdown with references in
 * flight leak nothing.  A close or a stop "with references in flight"
 * happens once the worker has filled the socket and holds the rest
 * (gate worker_write_full; this test links the test-gates library).
 */
#include <baton/gate.h>
#include <baton/role.h>
#include "../common/cunit.h"
#include "../common/line_server.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
# define ROUNDS	300
#else
# define ROUNDS	2000
#endif

/* A value: its bytes are all one letter, different for each version. */
struct zval {
	struct baton_obj obj;
	size_t len;
	char bytes[];
};

static _Atomic long zval_allocs, zval_frees, zval_off_main;
static pthread_t server_thread;

/* Context: main thread only (not BATON_TYPE_FREE_ANY_THREAD): it checks
 * that baton kept its promise. */
static void zval_free(struct baton_obj *obj)
{
	struct zval *v = baton_container_of(obj, struct zval, obj);

	if (role_current() != BATON_ROLE_MAIN ||
	    !pthread_equal(pthread_self(), server_thread))
		atomic_fetch_add(&zval_off_main, 1);
	memset(v->bytes, '#', v->len);	/* a reader of freed bytes sees '#' */
	free(v);
	atomic_fetch_add(&zval_frees, 1);
}

static struct baton_type zval_type = { .name = "zval", .free = zval_free };

/* The one value of the store: MAIN only. */
static struct zval *cur;
static char next_letter = 'a';

static struct zval *zval_new(size_t len)
{
	struct zval *v = malloc(sizeof(*v) + len);

	if (!v || baton_obj_init(&v->obj, &zval_type)) {
		free(v);
		return NULL;
	}
	v->len = len;
	memset(v->bytes, next_letter, len);
	next_letter = next_letter == 'z' ? 'a' : next_letter + 1;
	atomic_fetch_add(&zval_allocs, 1);
	return v;
}

/*
 * SET <n>: replace the value; GET: the value by reference, then '\n';
 * DEL: drop it.  The old value's last reference may be a reply a worker
 * is still sending.
 */
static void zc_execute(struct baton_client *c, void *req)
{
	char *line = req;
	long n;

	server_thread = pthread_self();
	if (sscanf(line, "SET %ld", &n) == 1) {
		struct zval *v = zval_new((size_t)n);

		if (cur)
			baton_obj_put(&cur->obj);
		cur = v;
		baton_client_write(c, "OK\n", 3);
	} else if (!strcmp(line, "GET\n")) {
		if (cur)
			baton_client_write_ref(c, &cur->obj, cur->bytes, cur->len);
		baton_client_write(c, "\n", 1);
	} else if (!strcmp(line, "DEL\n")) {
		if (cur)
			baton_obj_put(&cur->obj);
		cur = NULL;
		baton_client_write(c, "OK\n", 3);
	} else if (!strcmp(line, "STATS\n")) {
		struct baton_stats st = { .sz = sizeof(st) };
		char out[128];
		int len;

		baton_server_stats(baton_client_server(c), &st);
		len = snprintf(out, sizeof(out), "%llu %llu\n",
			       (unsigned long long)st.deferred_queued,
			       (unsigned long long)st.deferred_freed);
		baton_client_write(c, out, (size_t)len);
	} else {
		baton_client_write(c, "ERR\n", 4);
	}
	free(line);
}

static void zc_tick(struct baton_server *s)
{
	server_thread = pthread_self();
}

static const struct baton_proto zc_proto = {
	.sz = sizeof(struct baton_proto),
	.parse = ls_parse,
	.execute = zc_execute,
	.free_req = ls_free_req,
	.tick = zc_tick,
};

/*
 * After run returns the server thread is still the server's main thread
 * (until destroy): the last put of a main-only object frees it at once,
 * and zval_free() checks that it runs there.
 */
static void zc_after_run(struct line_server *ls)
{
	if (cur)
		baton_obj_put(&cur->obj);
	cur = NULL;
}

static int zc_start(struct line_server *ls, int workers)
{
	ls->opts.proto = &zc_proto;
	ls->after_run = zc_after_run;
	return ls_start(ls, workers);
}

/* Read one GET reply of the expected length: all one letter, then '\n'. */
static int read_value(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len + 1) {
		ssize_t n = read(fd, buf + got, len + 1 - got);

		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	if (buf[len] != '\n')
		return -1;
	for (got = 1; got < len; got++)
		if (buf[got] != buf[0])
			return -1;
	return buf[0] >= 'a' && buf[0] <= 'z' ? 0 : -1;
}

static void reset_counts(void)
{
	atomic_store(&zval_allocs, 0);
	atomic_store(&zval_frees, 0);
	atomic_store(&zval_off_main, 0);
}

/*
 * The race the deferred-free queue exists for: a reader pipelines GETs of
 * a 64 KiB value (so the worker still holds references while sending)
 * while a writer overwrites and deletes it on main.
 */
static void race_with(int workers)
{
	struct line_server ls = { 0 };
	const size_t len = 64 * 1024;
	char *buf = malloc(len + 1), line[64];
	unsigned long long queued = 0, freed = 0;
	int reader, writer, i, k, bad = 0, pending = 0;

	reset_counts();
	CU_ASSERT_EQUAL_FATAL(zc_start(&ls, workers), 0);
	reader = ls_dial(ls.port);
	writer = ls_dial(ls.port);
	ls_send(writer, "SET 65536\n");
	CU_ASSERT(ls_read_line(writer, line, sizeof(line), 5000) > 0);
	for (i = 0; i < ROUNDS; i++) {
		ls_send(reader, "GET\nGET\n");
		pending += 2;
		ls_send(writer, i % 3 ? "SET 65536\n" : "DEL\nSET 65536\n");
		for (k = i % 3 ? 1 : 2; k > 0; k--)
			if (ls_read_line(writer, line, sizeof(line), 5000) != 2)
				bad++;
		/* Let references pile up, then drain some. */
		while (pending > 8) {
			if (read_value(reader, buf, len))
				bad++;
			pending--;
		}
	}
	while (pending-- > 0)
		if (read_value(reader, buf, len))
			bad++;
	CU_ASSERT_EQUAL(bad, 0);
	ls_send(writer, "STATS\n");
	CU_ASSERT(ls_read_line(writer, line, sizeof(line), 5000) > 0);
	CU_ASSERT_EQUAL(sscanf(line, "%llu %llu", &queued, &freed), 2);
	printf("\n    %d workers: %ld values, %llu freed through the deferred queues\n",
	       workers, atomic_load(&zval_allocs), freed);
	if (workers > 0)
		CU_ASSERT(queued > 0);	/* the case actually happened */
	close(reader);
	close(writer);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
	CU_ASSERT_EQUAL(atomic_load(&zval_frees), atomic_load(&zval_allocs));
	CU_ASSERT_EQUAL(atomic_load(&zval_off_main), 0);
	free(buf);
}

static void test_delete_while_sending_0_workers(void) { race_with(0); }
static void test_delete_while_sending_1_worker(void) { race_with(1); }
static void test_delete_while_sending_2_workers(void) { race_with(2); }

/* A client that closes with many referencing replies still queued. */
static void test_close_with_refs_queued(void)
{
	struct line_server ls = { 0 };
	unsigned long full;
	char line[64];
	int reader, writer, i;

	reset_counts();
	gate_reset();
	CU_ASSERT_EQUAL_FATAL(zc_start(&ls, 2), 0);
	writer = ls_dial(ls.port);
	ls_send(writer, "SET 1048576\n");
	CU_ASSERT(ls_read_line(writer, line, sizeof(line), 5000) > 0);
	reader = ls_dial(ls.port);
	full = gate_passes("worker_write_full");
	for (i = 0; i < 32; i++)
		ls_send(reader, "GET\n");	/* 32 MiB of replies, never read */
	/* The interleaving: the reader's worker holds referencing replies
	 * it cannot send (a socket holds a few MiB at most). */
	CU_ASSERT(gate_wait_passes("worker_write_full", full + 1, 5000));
	close(reader);
	ls_send(writer, "DEL\n");
	CU_ASSERT(ls_read_line(writer, line, sizeof(line), 5000) > 0);
	CU_ASSERT(ls_wait_until(atomic_load(&zval_frees) == 1, 5000));
	close(writer);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
	CU_ASSERT_EQUAL(atomic_load(&zval_frees), atomic_load(&zval_allocs));
	CU_ASSERT_EQUAL(atomic_load(&zval_off_main), 0);
}

/* Stop while replies hold references and the value was replaced. */
static void test_shutdown_with_refs_in_flight(void)
{
	struct line_server ls = { 0 };
	unsigned long full;
	char line[64];
	int fds[8], i, j;

	reset_counts();
	gate_reset();
	CU_ASSERT_EQUAL_FATAL(zc_start(&ls, 2), 0);
	full = gate_passes("worker_write_full");
	for (i = 0; i < 8; i++) {
		fds[i] = ls_dial(ls.port);
		ls_send(fds[i], "SET 262144\n");
		CU_ASSERT(ls_read_line(fds[i], line, sizeof(line), 5000) > 0);
		for (j = 0; j < 64; j++)	/* 16 MiB each */
			ls_send(fds[i], "GET\n");
	}
	/* Stop once a worker holds replies it cannot send. */
	CU_ASSERT(gate_wait_passes("worker_write_full", full + 1, 5000));
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
	for (i = 0; i < 8; i++)
		close(fds[i]);
	CU_ASSERT_EQUAL(atomic_load(&zval_frees), atomic_load(&zval_allocs));
	CU_ASSERT_EQUAL(atomic_load(&zval_off_main), 0);
}

static const struct cunit_test tests[] = {
	CUNIT_TEST(test_delete_while_sending_0_workers),
	CUNIT_TEST(test_delete_while_sending_1_worker),
	CUNIT_TEST(test_delete_while_sending_2_workers),
	CUNIT_TEST(test_close_with_refs_queued),
	CUNIT_TEST(test_shutdown_with_refs_in_flight),
};

int main(void)
{
	if (baton_type_register(&zval_type))
		return CUNIT_EXIT_FAIL;
	return cunit_run("zerocopy", tests, ARRAY_SIZE(tests), NULL, NULL);
}
