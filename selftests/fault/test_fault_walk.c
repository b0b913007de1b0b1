// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_fault_walk.c - fail every allocation, then every socket call, of a
 * scripted server session one at a time (FAULT=1 builds): each run, in
 * its own process, must end with no crash, no hang, no wrong reply, every
 * client closed, every object freed once and (under ASan) no leak.
 *
 * The binary is its own child: "test_fault_walk --session W" runs one
 * session with W IO workers, the fault chosen by BATON_FAULT_* in its
 * environment (read by lib/fault.c at startup), and prints what it saw on
 * one "FW ..." line.  The CUnit tests fork and exec such children.
 */
#include <ctype.h>
#include <signal.h>
#include <sys/wait.h>
#include <baton/fault.h>
#include "../common/cunit.h"
#include "../common/line_server.h"
#include "../common/sanitizer.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define READ_TIMEOUT_MS		5000	/* a reply or a close, or it hung */
#define CHILD_TIMEOUT_S		30	/* a whole session */
#define MAX_RUNS_PER_WALK	150	/* sample N above this many calls */
#define PERSISTENT_POINTS	8	/* "fail everything from N on" runs */
#define BIG_LEN			40000
#define LONG_LEN		20000	/* a request that grows the query buffer */
#define OBJ_LEN			1000	/* sent by reference, not copied */
#define OBJ_BYTE		'z'

/* ---------------------------------------------------------------- child */

/*
 * A zero-copy reply object: main-only free, so the last put on a worker
 * goes through the deferred-free queue.  Counted, to check that every
 * object is freed exactly once by the end of the session.
 */
struct fw_obj {
	struct baton_obj obj;
	char bytes[OBJ_LEN];
};

static _Atomic long fw_obj_allocs, fw_obj_frees;

/* Context: main thread only (the type is not FREE_ANY_THREAD). */
static void fw_obj_free(struct baton_obj *obj)
{
	free(baton_container_of(obj, struct fw_obj, obj));
	atomic_fetch_add(&fw_obj_frees, 1);
}

static struct baton_type fw_obj_type = { .name = "fw_obj",
					 .free = fw_obj_free };

/* OBJ: reply a fresh object by reference, then "\n"; the rest is the
 * line protocol of line_server.h. */
static void fw_execute(struct baton_client *c, void *req)
{
	struct fw_obj *o;

	if (strcmp(req, "OBJ\n")) {
		ls_execute(c, req);
		return;
	}
	free(req);
	o = malloc(sizeof(*o));
	if (!o || baton_obj_init(&o->obj, &fw_obj_type)) {
		free(o);
		baton_client_write(c, "ERR alloc\n", 10);
		return;
	}
	atomic_fetch_add(&fw_obj_allocs, 1);
	memset(o->bytes, OBJ_BYTE, sizeof(o->bytes));
	/* An error here closed the client: the next write is refused. */
	baton_client_write_ref(c, &o->obj, o->bytes, sizeof(o->bytes));
	baton_obj_put(&o->obj);
	baton_client_write(c, "\n", 1);
}

static const struct baton_proto fw_proto = {
	.sz = sizeof(struct baton_proto),
	.parse = ls_parse,
	.execute = fw_execute,
	.free_req = ls_free_req,
	.connect = ls_connect,
	.close = ls_close,
	.busy_msg = "ERR max clients\n",
};

/* line_server.h's ls_thread with fw_proto. */
static void *fw_thread(void *arg)
{
	struct line_server *ls = arg;

	ls->opts.sz = sizeof(ls->opts);
	ls->opts.proto = &fw_proto;
	ls->opts.user = ls;
	ls->create_err = baton_server_create(&ls->opts, &ls->s);
	if (!ls->create_err)
		ls->listen_err = baton_server_listen_tcp(ls->s, "127.0.0.1", 0,
							 &ls->port);
	sem_post(&ls->ready);
	if (ls->create_err)
		return NULL;
	if (!ls->listen_err)
		ls->run_err = baton_server_run(ls->s);
	baton_server_destroy(ls->s);
	return NULL;
}

/* One client connection, read through a buffer. */
struct conn {
	int fd;
	bool dead;		/* closed by the server (EOF or reset) */
	size_t len;
	char buf[8192];
};

enum rl { RL_LINE, RL_EOF, RL_TIMEOUT };

static bool strict;		/* no fault: every reply must come */
static int failures;
static char line[BIG_LEN + 64];

#define fw_fail(...) do {						\
	fprintf(stderr, "FAIL: " __VA_ARGS__);				\
	fputc('\n', stderr);						\
	failures++;							\
} while (0)

/*
 * Read one complete line into line[] (without '\n').  A line cut short
 * by EOF (a reply the server was sending when a socket call failed) is
 * RL_EOF, not a line.
 */
static enum rl read_line(struct conn *k)
{
	long deadline = ls_now_ms() + READ_TIMEOUT_MS;
	size_t out = 0;

	for (;;) {
		char *nl = memchr(k->buf, '\n', k->len);
		size_t take = nl ? (size_t)(nl - k->buf) : k->len;
		struct pollfd p = { .fd = k->fd, .events = POLLIN };
		long left;
		ssize_t n;

		if (out + take < sizeof(line)) {
			memcpy(line + out, k->buf, take);
			out += take;
		}
		if (nl) {
			line[out < sizeof(line) ? out : sizeof(line) - 1] = 0;
			k->len -= take + 1;
			memmove(k->buf, nl + 1, k->len);
			return RL_LINE;
		}
		k->len = 0;
		left = deadline - ls_now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return RL_TIMEOUT;
		n = read(k->fd, k->buf, sizeof(k->buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return RL_EOF;
		k->len = (size_t)n;
	}
}

static void conn_open(struct conn *k, unsigned short port)
{
	k->len = 0;
	k->dead = false;
	k->fd = ls_dial(port);
	if (k->fd < 0) {
		fw_fail("connect: %s", strerror(-k->fd));
		k->dead = true;
	}
}

static void conn_close(struct conn *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	k->dead = true;
}

static void conn_send(struct conn *k, const char *s)
{
	/* A send to a connection the server closed may fail: the next read
	 * tells. */
	if (!k->dead)
		ls_send(k->fd, s);
}

/*
 * Expect the next reply on @k to satisfy @ok (NULL: any line).  The
 * server closing the connection instead is fine when a fault was
 * injected (not in strict mode); a wrong line never is, nor no answer.
 * Return: true when a matching line was read into line[].
 */
static bool expect(struct conn *k, const char *what,
		   bool (*ok)(const char *l, const void *arg), const void *arg)
{
	if (k->dead)
		return false;
	switch (read_line(k)) {
	case RL_LINE:
		if (ok && !ok(line, arg)) {
			fw_fail("%s: wrong reply \"%.60s\"", what, line);
			k->dead = true;
			return false;
		}
		return true;
	case RL_EOF:
		k->dead = true;
		if (strict)
			fw_fail("%s: connection closed", what);
		return false;
	case RL_TIMEOUT:
		k->dead = true;
		fw_fail("%s: no reply and no close in %d ms", what,
			READ_TIMEOUT_MS);
		return false;
	}
	return false;
}

/* Expect the server to close @k with nothing more to say. */
static void expect_eof(struct conn *k, const char *what)
{
	if (k->dead)
		return;
	switch (read_line(k)) {
	case RL_LINE:
		fw_fail("%s: \"%.60s\" instead of a close", what, line);
		break;
	case RL_EOF:
		break;
	case RL_TIMEOUT:
		fw_fail("%s: not closed in %d ms", what, READ_TIMEOUT_MS);
		break;
	}
	k->dead = true;
}

static bool is_str(const char *l, const void *arg)
{
	return !strcmp(l, arg);
}

/* Digits and single spaces, exactly @arg numbers. */
static bool is_numbers(const char *l, const void *arg)
{
	long want = (long)(intptr_t)arg, got = 0;

	while (*l) {
		if (!isdigit((unsigned char)*l))
			return false;
		while (isdigit((unsigned char)*l))
			l++;
		got++;
		if (*l == ' ' && l[1])
			l++;
		else if (*l)
			return false;
	}
	return got == want;
}

/* @arg: "<byte><length>", e.g. "x40000". */
static bool is_run(const char *l, const void *arg)
{
	const char *want = arg;
	size_t i, n = strlen(l);

	for (i = 0; i < n; i++)
		if (l[i] != want[0])
			return false;
	return n == strtoul(want + 1, NULL, 10);
}

/* LIST's "<walked> <bad>": no client with a bad worker or lookup. */
static bool is_list(const char *l, const void *arg)
{
	long n, bad;

	return sscanf(l, "%ld %ld", &n, &bad) == 2 && n >= 1 && bad == 0 &&
	       is_numbers(l, (void *)2);
}

static bool is_killed(const char *l, const void *arg)
{
	/* 0, or -ENOENT when a fault closed the victim already. */
	return !strcmp(l, "KILLED 0") || (!strict && !strcmp(l, "KILLED -2"));
}

static void fw_log(enum baton_log_level level, const char *msg, void *arg)
{
	fprintf(stderr, "baton: %s\n", msg);
}

static const struct baton_log_ops fw_log_ops = {
	.fn = fw_log, .max_level = BATON_LOG_WARN,
};

static bool is_ping_or_busy(const char *l, const void *arg)
{
	return !strcmp(l, "PING") || !strcmp(l, "ERR max clients");
}

/*
 * The 5th client of max_clients = 4: refused with busy_msg.  After a
 * fault one of the others may be gone already and it is accepted: then
 * it must answer PING (and a refusal may come as a reset, since PING was
 * sent to a socket the server closes unread).
 */
static void probe_refused(struct conn *e)
{
	if (!strict) {
		conn_send(e, "PING\n");
		expect(e, "E PING or busy", is_ping_or_busy, NULL);
		return;
	}
	expect(e, "E busy", is_str, "ERR max clients");
	expect_eof(e, "E refused");
}

/*
 * The scripted session: start, seven clients doing pipelined requests (a
 * 20000-byte one among them), zero-copy replies, a refusal at
 * max_clients, QUIT, KILL, a protocol error, a client gone with replies
 * queued, one left open at stop, stop, destroy.
 * Return: the child's exit code.
 */
static int fw_session(int workers)
{
	struct line_server ls = { .opts.max_clients = 4 };
	static struct conn a, b, c, d, e, f, g;
	static char longreq[LONG_LEN + 32];
	const char *site;
	long id_b = -1;
	int err;

	baton_log_set(&fw_log_ops);
	strict = !getenv("BATON_FAULT_ALLOC_NTH") &&
		 !getenv("BATON_FAULT_SOCKET_NTH");
	if (baton_type_register(&fw_obj_type))
		return 2;

	ls.opts.nr_io_workers = workers;
	sem_init(&ls.ready, 0, 0);
	if (pthread_create(&ls.thread, NULL, fw_thread, &ls))
		return 2;
	sem_wait(&ls.ready);
	if (ls.create_err || ls.listen_err) {
		if (!ls.create_err)
			baton_server_stop(ls.s);
		pthread_join(ls.thread, NULL);
		err = ls.create_err ? ls.create_err : ls.listen_err;
		if (strict || err != -ENOMEM)
			fw_fail("server start: %s", strerror(-err));
		goto out_report;
	}

	conn_open(&a, ls.port);
	conn_open(&b, ls.port);
	conn_open(&c, ls.port);
	conn_open(&d, ls.port);
	memset(longreq, 'y', LONG_LEN);
	strcpy(longreq + LONG_LEN, "\nBIG 40000\nSTATS\n");
	conn_send(&a, "ID\nhello\nOBJ\n");
	conn_send(&a, longreq);
	conn_send(&b, "ID\nLIST\n");
	conn_send(&c, "CLIENTS\n");
	conn_send(&d, "hello\n");
	expect(&a, "A ID", is_numbers, (void *)1);
	expect(&a, "A echo", is_str, "hello");
	expect(&a, "A OBJ", is_run, "z1000");
	expect(&a, "A long echo", is_run, "y20000");
	expect(&a, "A BIG", is_run, "x40000");
	expect(&a, "A STATS", is_numbers, (void *)4);
	if (expect(&b, "B ID", is_numbers, (void *)1))
		id_b = atol(line);
	expect(&b, "B LIST", is_list, NULL);
	expect(&c, "C CLIENTS", is_numbers, (void *)1);
	expect(&d, "D echo", is_str, "hello");

	/* Four clients are in: the fifth is refused. */
	conn_open(&e, ls.port);
	probe_refused(&e);
	conn_close(&e);

	conn_send(&c, "QUIT\n");
	expect(&c, "C QUIT", is_str, "BYE");
	expect_eof(&c, "C after BYE");

	if (id_b > 0 && !a.dead) {
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "KILL %ld\n", id_b);
		conn_send(&a, cmd);
		if (expect(&a, "A KILL", is_killed, NULL) &&
		    !strcmp(line, "KILLED 0"))
			expect_eof(&b, "B killed");
	}

	conn_send(&d, "hello\n!junk\nnever\n");
	expect(&d, "D echo 2", is_str, "hello");
	if (!strict && !d.dead) {
		/* A failed set_error closes without the message. */
		if (read_line(&d) == RL_LINE && strcmp(line, "ERR proto"))
			fw_fail("D proto: wrong reply \"%.60s\"", line);
	} else {
		expect(&d, "D proto", is_str, "ERR proto");
	}
	expect_eof(&d, "D after ERR");
	conn_close(&a);
	conn_close(&b);

	/* Gone with replies queued: closed before reading any. */
	conn_open(&f, ls.port);
	conn_send(&f, "hello\nBIG 100000\nOBJ\n");
	conn_close(&f);

	/* Still open at stop: finalized by the shutdown. */
	conn_open(&g, ls.port);
	conn_send(&g, "OBJ\nOBJ\n");
	expect(&g, "G OBJ 1", is_run, "z1000");
	expect(&g, "G OBJ 2", is_run, "z1000");

	err = ls_stop(&ls);
	if (err)
		fw_fail("run returned %s", strerror(-err));
	expect_eof(&g, "G at stop");
	conn_close(&g);
	conn_close(&c);
	conn_close(&d);

	/* The store's invariants after the server is gone. */
	if (atomic_load(&ls.connects) != atomic_load(&ls.closes))
		fw_fail("%d clients connected but %d closed",
			atomic_load(&ls.connects), atomic_load(&ls.closes));
	if (atomic_load(&fw_obj_allocs) != atomic_load(&fw_obj_frees))
		fw_fail("%ld objects created but %ld freed",
			atomic_load(&fw_obj_allocs), atomic_load(&fw_obj_frees));

out_report:
	printf("FW calls %ld %ld injected %ld",
	       fault_calls(BATON_FAULT_ALLOC),
	       fault_calls(BATON_FAULT_SOCKET),
	       fault_injected(BATON_FAULT_ALLOC, &site) +
	       fault_injected(BATON_FAULT_SOCKET, NULL));
	if (!site)
		fault_injected(BATON_FAULT_SOCKET, &site);
	printf(" site %s", site ? site : "-");
	{
		const char *sites[BATON_FAULT_MAX_SITES];
		size_t i, n;
		int k;

		for (k = 0; k < BATON_FAULT_NR_KINDS; k++) {
			n = fault_sites(k, sites, ARRAY_SIZE(sites));
			for (i = 0; i < n && i < ARRAY_SIZE(sites); i++)
				printf(" %s=%s", k == BATON_FAULT_ALLOC ?
				       "alloc" : "socket", sites[i]);
		}
	}
	printf("\n");
	fflush(stdout);
	return failures ? 3 : 0;
}

/* ---------------------------------------------------------------- driver */

struct child {
	int status;		/* from waitpid, or -1 for a timeout */
	long calls[BATON_FAULT_NR_KINDS];
	long injected;
	char site[256];
	char out[16384];	/* the tail of stdout + stderr */
	size_t outlen;
};

/* What one walk saw, for the summary. */
struct walk {
	const char *name;
	long runs, injected, failed;
	char sites[BATON_FAULT_MAX_SITES][256];
	int nr_sites;
};

static void keep_tail(struct child *ch, const char *buf, size_t n)
{
	if (n >= sizeof(ch->out)) {
		buf += n - (sizeof(ch->out) - 1);
		n = sizeof(ch->out) - 1;
	}
	if (ch->outlen + n >= sizeof(ch->out)) {
		size_t drop = ch->outlen + n - (sizeof(ch->out) - 1);

		memmove(ch->out, ch->out + drop, ch->outlen - drop);
		ch->outlen -= drop;
	}
	memcpy(ch->out + ch->outlen, buf, n);
	ch->outlen += n;
	ch->out[ch->outlen] = 0;
}

/* The path from "lib/" on: __FILE__ is absolute in out-of-tree builds. */
static const char *short_site(const char *s)
{
	const char *p = strstr(s, "/lib/");

	return p ? p + 1 : s;
}

static void parse_report(struct child *ch)
{
	const char *p = strstr(ch->out, "FW calls ");
	char site[256];

	if (!p || sscanf(p, "FW calls %ld %ld injected %ld site %255s",
			 &ch->calls[0], &ch->calls[1], &ch->injected,
			 site) != 4)
		return;
	snprintf(ch->site, sizeof(ch->site), "%s", short_site(site));
}

/*
 * Run one session in a child with the Nth call of @kind failing (@nth 0:
 * none), @times calls from there.  Return: true when it exited 0.
 */
static bool run_child(struct child *ch, int workers, enum baton_fault_kind kind,
		      long nth, long times)
{
	long deadline = ls_now_ms() + CHILD_TIMEOUT_S * 1000L;
	int pfd[2];
	pid_t pid;

	memset(ch, 0, sizeof(*ch));
	ch->calls[0] = ch->calls[1] = -1;
	if (pipe(pfd))
		return false;
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		char w[16], n[32], t[32];

		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		snprintf(w, sizeof(w), "%d", workers);
		snprintf(n, sizeof(n), "%ld", nth);
		snprintf(t, sizeof(t), "%ld", times);
		unsetenv("BATON_FAULT_ALLOC_NTH");
		unsetenv("BATON_FAULT_SOCKET_NTH");
		if (nth) {
			setenv(kind == BATON_FAULT_ALLOC ? "BATON_FAULT_ALLOC_NTH" :
			       "BATON_FAULT_SOCKET_NTH", n, 1);
			setenv(kind == BATON_FAULT_ALLOC ? "BATON_FAULT_ALLOC_TIMES" :
			       "BATON_FAULT_SOCKET_TIMES", t, 1);
		}
		execl("/proc/self/exe", "test_fault_walk", "--session", w,
		      (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		long left = deadline - ls_now_ms();
		char buf[4096];
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			ch->status = -1;
			close(pfd[0]);
			return false;
		}
		n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		keep_tail(ch, buf, (size_t)n);
	}
	close(pfd[0]);
	waitpid(pid, &ch->status, 0);
	parse_report(ch);
	return WIFEXITED(ch->status) && WEXITSTATUS(ch->status) == 0;
}

static void report_failure(const struct child *ch, const char *walk, long nth)
{
	printf("\n--- %s, N=%ld: ", walk, nth);
	if (ch->status < 0)
		printf("HANG (killed after %d s)\n", CHILD_TIMEOUT_S);
	else if (WIFSIGNALED(ch->status))
		printf("CRASH (signal %d)\n", WTERMSIG(ch->status));
	else
		printf("exit %d\n", WEXITSTATUS(ch->status));
	printf("%s\n---\n", ch->out);
}

static void note_site(struct walk *wk, const char *site)
{
	int i;

	if (!*site || !strcmp(site, "-"))
		return;
	for (i = 0; i < wk->nr_sites; i++)
		if (!strcmp(wk->sites[i], site))
			return;
	if (wk->nr_sites < BATON_FAULT_MAX_SITES)
		snprintf(wk->sites[wk->nr_sites++], sizeof(wk->sites[0]), "%s",
			 site);
}

/* Count the calls of a fault-free session: the walk's range. */
static long baseline(int workers, enum baton_fault_kind kind)
{
	const char *kname = kind == BATON_FAULT_ALLOC ? "alloc" : "socket";
	const char *key = kind == BATON_FAULT_ALLOC ? " alloc=" : " socket=";
	static struct child ch;
	const char *p;

	if (!run_child(&ch, workers, kind, 0, 1)) {
		report_failure(&ch, "baseline (no fault)", 0);
		return -1;
	}
	printf("\n  baseline, %d worker(s): %ld allocations, %ld socket calls; "
	       "%s sites reached:\n", workers, ch.calls[BATON_FAULT_ALLOC],
	       ch.calls[BATON_FAULT_SOCKET], kname);
	for (p = strstr(ch.out, key); p; p = strstr(p + 1, key)) {
		char site[256];

		snprintf(site, sizeof(site), "%.*s",
			 (int)strcspn(p + strlen(key), " \n"), p + strlen(key));
		printf("    %s\n", short_site(site));
	}
	return ch.calls[kind];
}

/*
 * Fail call N of @kind for N = 1 .. calls + 2 (sampled evenly past
 * MAX_RUNS_PER_WALK), once each; then "every call from N on" at a few
 * points.  Every child must exit 0.
 */
static void walk(int workers, enum baton_fault_kind kind)
{
	static struct child ch;
	static struct walk wk;
	const char *kname = kind == BATON_FAULT_ALLOC ? "alloc" : "socket";
	long calls, last, step, nth;
	char name[64];
	int i;

	memset(&wk, 0, sizeof(wk));
	snprintf(name, sizeof(name), "%s walk, %d worker(s)", kname, workers);
	wk.name = name;
	calls = baseline(workers, kind);
	CU_ASSERT_FATAL(calls > 0);
	last = calls + 2;	/* timing varies: a run may make a few more */
	step = (last + MAX_RUNS_PER_WALK - 1) / MAX_RUNS_PER_WALK;
	for (nth = 1; nth <= last; nth += step) {
		wk.runs++;
		if (!run_child(&ch, workers, kind, nth, 1)) {
			wk.failed++;
			if (wk.failed <= 3)
				report_failure(&ch, name, nth);
		}
		if (ch.injected) {
			wk.injected++;
			note_site(&wk, ch.site);
		}
	}
	/* Not for sockets: with every accept failing, a connection waits
	 * in the listen backlog forever, which is no bug of baton's. */
	for (i = 0; kind == BATON_FAULT_ALLOC && i < PERSISTENT_POINTS; i++) {
		nth = 1 + (calls - 1) * i / (PERSISTENT_POINTS - 1);
		wk.runs++;
		if (!run_child(&ch, workers, kind, nth, -1)) {
			wk.failed++;
			if (wk.failed <= 3)
				report_failure(&ch, "(persistent)", nth);
		}
	}
	printf("  %s: %ld runs (N = 1..%ld step %ld, %d from-N-on), %ld "
	       "faults injected at %d distinct sites, %ld failed\n", name,
	       wk.runs, last, step, kind == BATON_FAULT_ALLOC ?
	       PERSISTENT_POINTS : 0, wk.injected, wk.nr_sites, wk.failed);
	for (i = 0; i < wk.nr_sites; i++)
		printf("    %s\n", wk.sites[i]);
	fflush(stdout);
	CU_ASSERT_EQUAL(wk.failed, 0);
	CU_ASSERT(wk.injected > 0);
}

static void test_alloc_walk_inline(void)
{
	walk(0, BATON_FAULT_ALLOC);
}

static void test_alloc_walk_worker(void)
{
	walk(1, BATON_FAULT_ALLOC);
}

static void test_alloc_walk_2workers(void)
{
	walk(2, BATON_FAULT_ALLOC);
}

static void test_socket_walk_inline(void)
{
	walk(0, BATON_FAULT_SOCKET);
}

static void test_socket_walk_worker(void)
{
	walk(1, BATON_FAULT_SOCKET);
}

static void test_socket_walk_2workers(void)
{
	walk(2, BATON_FAULT_SOCKET);
}

/* The counters themselves: the Nth call fails, once, with ENOMEM. */
static void test_counter(void)
{
	const char *site;
	void *p[4];
	int i;

	CU_ASSERT_EQUAL(fault_set(BATON_FAULT_ALLOC, 3, 1), 0);
	for (i = 0; i < 4; i++) {
		errno = 0;
		p[i] = bt_malloc(16);
	}
	CU_ASSERT_PTR_NOT_NULL(p[0]);
	CU_ASSERT_PTR_NOT_NULL(p[1]);
	CU_ASSERT_PTR_NULL(p[2]);
	CU_ASSERT_PTR_NOT_NULL(p[3]);
	CU_ASSERT_EQUAL(fault_calls(BATON_FAULT_ALLOC), 4);
	CU_ASSERT_EQUAL(fault_injected(BATON_FAULT_ALLOC, &site), 1);
	CU_ASSERT_PTR_NOT_NULL(site);
	CU_ASSERT_EQUAL(fault_sites(BATON_FAULT_ALLOC, NULL, 0), 1);
	for (i = 0; i < 4; i++)
		free(p[i]);
	CU_ASSERT_EQUAL(fault_set(BATON_FAULT_ALLOC, 0, 1), 0);
	CU_ASSERT_EQUAL(fault_set(BATON_FAULT_NR_KINDS, 1, 1), -EINVAL);
	CU_ASSERT_EQUAL(fault_set(BATON_FAULT_SOCKET, -1, 1), -EINVAL);
}

int main(int argc, char **argv)
{
	static const struct cunit_test tests[] = {
		CUNIT_TEST(test_counter),
		CUNIT_TEST(test_alloc_walk_inline),
		CUNIT_TEST(test_alloc_walk_worker),
		CUNIT_TEST(test_alloc_walk_2workers),
		CUNIT_TEST(test_socket_walk_inline),
		CUNIT_TEST(test_socket_walk_worker),
		CUNIT_TEST(test_socket_walk_2workers),
	};

#ifndef BATON_FAULT_INJECT
	printf("SKIP: not a FAULT=1 build (no fault injection)\n");
	return CUNIT_EXIT_SKIP;
#endif
	if (argc == 3 && !strcmp(argv[1], "--session"))
		return fw_session(atoi(argv[2]));
	signal(SIGPIPE, SIG_IGN);
	return cunit_run("fault_walk", tests, ARRAY_SIZE(tests), NULL, NULL);
}
