// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_two_servers.c - two servers in one process, each with its own
 * main thread: the main role is bound to one server, so a call for a
 * server from any other thread (a foreign one, or the main thread of the
 * other server) is refused with -EPERM, or aborts a DEBUG=1 build; and
 * each server's main-only objects are freed on its own main thread,
 * whoever drops the last reference (a foreign thread, the RCU callback
 * thread, the other server's main or IO worker).
 */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include <baton/role.h>
#include "../common/cunit.h"
#include "../common/line_server.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The two servers, for the protocol's OTHER command; set by the test
 * before it sends one (release), read by the mains (acquire). */
static _Atomic(struct baton_server *) two[2];

static struct baton_server *other_server(struct baton_server *s)
{
	struct baton_server *a = atomic_load_explicit(&two[0],
						      memory_order_acquire);

	return a == s ? atomic_load_explicit(&two[1], memory_order_acquire) : a;
}

/* For baton_timer_arm() on the wrong thread: never armed. */
static void never_runs(struct baton_timer *t)
{
}

/* ------------------------------------------------------------------ */
/* Objects of each server, freed on its own main thread. */

#define SOBJ_BYTES	1024	/* sent by reference (at least 256) */
#define SOBJ_MAX	1024

/* A main-only object: it knows which server's main must free it. */
struct sobj {
	struct baton_obj obj;
	int server;		/* 0: the first server, 1: the second */
	char bytes[SOBJ_BYTES];
};

/* The main threads, set by the test (release) before any object exists. */
static _Atomic(pthread_t) main_of[2];
static _Atomic long sobj_made[2], sobj_freed[2], sobj_wrong_thread;

/*
 * Context: main thread only (the type has no FREE_ANY_THREAD): it checks
 * that it runs on the main thread of the object's own server.
 */
static void sobj_free(struct baton_obj *obj)
{
	struct sobj *o = baton_container_of(obj, struct sobj, obj);

	if (role_current() != BATON_ROLE_MAIN ||
	    !pthread_equal(pthread_self(),
			   atomic_load_explicit(&main_of[o->server],
						memory_order_acquire)))
		atomic_fetch_add(&sobj_wrong_thread, 1);
	atomic_fetch_add(&sobj_freed[o->server], 1);
	free(o);
}

static struct baton_type sobj_type = { .name = "sobj", .free = sobj_free };

/* Objects a main made for another thread to put. */
static pthread_mutex_t made_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sobj *made[SOBJ_MAX];
static int nr_made;

static int server_index(struct baton_server *s)
{
	return s == atomic_load_explicit(&two[0], memory_order_acquire) ? 0 : 1;
}

/* MAKE <n> [RCU]: n objects of this server (its main's thread binding
 * says so), handed to whoever takes them from made[]. */
static long sobj_make(struct baton_server *s, long n, bool rcu)
{
	long i;

	for (i = 0; i < n; i++) {
		struct sobj *o = calloc(1, sizeof(*o));

		if (!o || baton_obj_init(&o->obj, &sobj_type)) {
			free(o);
			return -ENOMEM;
		}
		o->server = server_index(s);
		memset(o->bytes, 'a' + o->server, sizeof(o->bytes));
		if (rcu)
			baton_obj_mark_rcu(&o->obj);
		atomic_fetch_add(&sobj_made[o->server], 1);
		pthread_mutex_lock(&made_lock);
		made[nr_made++] = o;
		pthread_mutex_unlock(&made_lock);
	}
	return n;
}

/* Take every object made so far. */
static int sobj_take(struct sobj **out)
{
	int n;

	pthread_mutex_lock(&made_lock);
	n = nr_made;
	memcpy(out, made, (size_t)n * sizeof(*out));
	nr_made = 0;
	pthread_mutex_unlock(&made_lock);
	return n;
}

/*
 * PUTMADE: this main drops the last reference of every object made so
 * far (the other server's); REFMADE: it writes each one to this client
 * by reference and drops its own, so that this server's IO worker drops
 * the last one once the bytes are sent.
 */
static long sobj_put_made(struct baton_client *c, bool by_ref)
{
	static struct sobj *taken[SOBJ_MAX];
	int i, n = sobj_take(taken);

	if (by_ref)
		ls_reply(c, "REF ", n);
	for (i = 0; i < n; i++) {
		if (by_ref)
			baton_client_write_ref(c, &taken[i]->obj,
					       taken[i]->bytes,
					       sizeof(taken[i]->bytes));
		baton_obj_put(&taken[i]->obj);
	}
	return n;
}

/*
 * "OTHER <call> <id>" runs a main-thread call for the other server (or a
 * client of it) from this server's main and replies "RC <result>";
 * "SELF <call> <id>" runs it for this server; "MAKE <n> [RCU]",
 * "PUTMADE" and "REFMADE" deal with objects (above).  Anything else is
 * the line protocol's.
 */
static long cross_call(struct baton_server *s, const char *call, uint64_t id)
{
	static struct baton_timer t;	/* main's only */
	struct baton_stats st = { .sz = sizeof(st) };
	struct baton_client *c;
	long rc;

	if (!strcmp(call, "kill"))
		return baton_client_kill(s, id);
	if (!strcmp(call, "lookup"))
		return baton_client_lookup(s, id) ? 0 : -EPERM;
	if (!strcmp(call, "stats"))
		return baton_server_stats(s, &st);
	if (!strcmp(call, "idle"))
		return baton_server_set_idle_timeout(s, 0);
	if (!strcmp(call, "listen"))
		return baton_server_listen_tcp(s, "127.0.0.1", 0, NULL);
	if (!strcmp(call, "run"))
		return baton_server_run(s);
	if (!strcmp(call, "timer")) {
		baton_timer_init(&t, never_runs);
		rc = baton_timer_arm(s, &t, NULL, 1000000, 0);
		if (!rc)
			baton_timer_cancel(&t);
		return rc;
	}
	if (!strcmp(call, "write") || !strcmp(call, "close") ||
	    !strcmp(call, "mixtimer")) {
		/* Any registered thread may find a client under RCU. */
		baton_rcu_read_lock();
		c = baton_client_get_rcu(s, id);
		baton_rcu_read_unlock();
		if (!c)
			return -ENOENT;
		if (!strcmp(call, "mixtimer")) {
			/* A timer of this main's server on @s's client. */
			baton_timer_init(&t, never_runs);
			rc = baton_timer_arm(other_server(s), &t, c, 1000000, 0);
			if (!rc)
				baton_timer_cancel(&t);
		} else {
			rc = !strcmp(call, "write") ?
			     baton_client_write(c, "x\n", 2) :
			     baton_client_close(c);
		}
		baton_client_put(c);
		return rc;
	}
	return -ENOSYS;
}

static void two_execute(struct baton_client *c, void *req)
{
	struct baton_server *s = baton_client_server(c);
	char *line = req, call[16];
	unsigned long long id;
	long n;

	if (sscanf(line, "MAKE %ld", &n) == 1) {
		ls_reply(c, "MADE ", sobj_make(s, n, strstr(line, "RCU")));
		free(line);
	} else if (!strcmp(line, "PUTMADE\n")) {
		ls_reply(c, "PUT ", sobj_put_made(c, false));
		free(line);
	} else if (!strcmp(line, "REFMADE\n")) {
		sobj_put_made(c, true);
		free(line);
	} else if (sscanf(line, "OTHER %15s %llu", call, &id) == 2) {
		ls_reply(c, "RC ", cross_call(other_server(s), call, id));
		free(line);
	} else if (sscanf(line, "SELF %15s %llu", call, &id) == 2) {
		ls_reply(c, "RC ", cross_call(s, call, id));
		free(line);
	} else {
		ls_execute(c, req);
	}
}

static struct baton_proto two_proto;

static int two_start(struct line_server *a, struct line_server *b,
		     int workers)
{
	int err;

	two_proto = ls_proto;
	two_proto.execute = two_execute;
	a->opts.proto = b->opts.proto = &two_proto;
	err = ls_start(a, workers);
	if (err)
		return err;
	err = ls_start(b, workers);
	if (err) {
		ls_stop(a);
		return err;
	}
	atomic_store_explicit(&two[0], a->s, memory_order_release);
	atomic_store_explicit(&two[1], b->s, memory_order_release);
	/* ls_start() ran each server on its own thread: its main. */
	atomic_store_explicit(&main_of[0], a->thread, memory_order_release);
	atomic_store_explicit(&main_of[1], b->thread, memory_order_release);
	return 0;
}

/* The id of the client on @fd. */
static uint64_t client_id(int fd)
{
	char line[64];

	ls_send(fd, "ID\n");
	if (ls_read_line(fd, line, sizeof(line), 5000) <= 0)
		return 0;
	return strtoull(line, NULL, 10);
}

/* Send @cmd on @fd and return the number after "RC ", or LONG_MIN. */
static long rc_of(int fd, const char *cmd)
{
	char line[64];

	ls_send(fd, cmd);
	if (ls_read_line(fd, line, sizeof(line), 5000) <= 0 ||
	    strncmp(line, "RC ", 3))
		return LONG_MIN;
	return strtol(line + 3, NULL, 10);
}

/*
 * Whether @call on @s is refused when made on a thread that is main of
 * @as_main (NULL: a foreign thread): in a forked child, so that a DEBUG=1
 * build's abort ends only the child (SIGALRM ends it after 10 s).  Release builds must return -EPERM
 * (the child exits 0), DEBUG=1 builds must abort.  The child plays the
 * role with role_enter_main() and never returns from this function:
 * outside the role analysis.
 */
static bool refused(long (*call)(struct baton_server *s),
		    struct baton_server *s, struct baton_server *as_main)
	__no_role_analysis
{
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, 2);	/* the DEBUG=1 report */
		alarm(10);	/* a call that is not refused may block */
		if (as_main)
			role_enter_main(as_main);
		_exit(call(s) == -EPERM ? 0 : 1);
	}
	if (waitpid(pid, &st, 0) != pid)
		return false;
#ifdef BATON_DEBUG
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
#else
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
#endif
}

static long call_listen(struct baton_server *s)
{
	return baton_server_listen_tcp(s, "127.0.0.1", 0, NULL);
}

static long call_listen_unix(struct baton_server *s)
{
	return baton_server_listen_unix(s, "/tmp/baton-two-servers.sock");
}

static long call_run(struct baton_server *s)
{
	return baton_server_run(s);
}

static long call_stats(struct baton_server *s)
{
	struct baton_stats st = { .sz = sizeof(st) };

	return baton_server_stats(s, &st);
}

static long call_idle(struct baton_server *s)
{
	return baton_server_set_idle_timeout(s, 0);
}

static long call_lookup(struct baton_server *s)
{
	return baton_client_lookup(s, 1) ? 0 : -EPERM;
}

static long call_kill(struct baton_server *s)
{
	return baton_client_kill(s, 1);
}

static long call_timer(struct baton_server *s)
{
	struct baton_timer t;

	baton_timer_init(&t, never_runs);
	return baton_timer_arm(s, &t, NULL, 1000000, 0);
}

/* Refused in either build: a release build destroys nothing. */
static long call_destroy(struct baton_server *s)
{
	baton_server_destroy(s);
	return -EPERM;
}

static const struct {
	const char *name;
	long (*call)(struct baton_server *s);
} main_calls[] = {
	{ "listen_tcp", call_listen },
	{ "listen_unix", call_listen_unix },
	{ "run", call_run },
	{ "stats", call_stats },
	{ "set_idle_timeout", call_idle },
	{ "client_lookup", call_lookup },
	{ "client_kill", call_kill },
	{ "timer_arm", call_timer },
	{ "destroy", call_destroy },
};

/*
 * Every main-thread call for server A is refused on a foreign thread and
 * on B's main thread, while both run; A goes on serving.
 */
static void test_main_calls_refused_elsewhere(void)
{
	struct line_server a = { 0 }, b = { 0 };
	unsigned int i;
	char line[64];
	int fd;

	CU_ASSERT_EQUAL_FATAL(two_start(&a, &b, 1), 0);
	fd = ls_dial(a.port);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(client_id(fd) > 0);	/* A has a client to find */
	for (i = 0; i < ARRAY_SIZE(main_calls); i++) {
		bool foreign = refused(main_calls[i].call, a.s, NULL);
		bool other = refused(main_calls[i].call, a.s, b.s);

		if (!foreign || !other)
			printf("\n    %s: not refused on %s\n", main_calls[i].name,
			       !foreign ? "a foreign thread" : "B's main");
		CU_ASSERT(foreign);
		CU_ASSERT(other);
	}
#ifndef BATON_DEBUG
	/* In this process: a destroy from the wrong thread does nothing
	 * (A still serves below). */
	baton_server_destroy(a.s);
#endif
	ls_send(fd, "still here\n");
	CU_ASSERT(ls_read_line(fd, line, sizeof(line), 5000) > 0);
	CU_ASSERT_STRING_EQUAL(line, "still here");
	close(fd);
	CU_ASSERT_EQUAL(ls_stop(&b), 0);
	CU_ASSERT_EQUAL(ls_stop(&a), 0);
}

/*
 * End to end, from inside @execute: A's main may act on its own clients
 * and is refused on B's (-EPERM, the client untouched).  A DEBUG=1 build
 * would abort A's main at the first refusal: there the forked test above
 * covers it.
 */
static void test_cross_server_calls_from_main(void)
{
#ifdef BATON_DEBUG
	printf("\n    DEBUG=1: a refusal aborts; see "
	       "test_main_calls_refused_elsewhere\n");
#else
	static const char *const refused_calls[] = {
		"kill", "lookup", "stats", "idle", "listen", "run", "timer",
		"write", "close",
	};
	struct line_server a = { 0 }, b = { 0 };
	uint64_t a_id, b_id;
	char cmd[64], line[64];
	unsigned int i;
	int fa, fb;
	long rc;

	CU_ASSERT_EQUAL_FATAL(two_start(&a, &b, 2), 0);
	fa = ls_dial(a.port);
	fb = ls_dial(b.port);
	a_id = client_id(fa);
	b_id = client_id(fb);
	CU_ASSERT(a_id > 0 && b_id > 0);
	for (i = 0; i < ARRAY_SIZE(refused_calls); i++) {
		snprintf(cmd, sizeof(cmd), "OTHER %s %llu\n", refused_calls[i],
			 (unsigned long long)b_id);
		rc = rc_of(fa, cmd);
		if (rc != -EPERM)
			printf("\n    OTHER %s: %ld, not refused\n",
			       refused_calls[i], rc);
		CU_ASSERT_EQUAL(rc, -EPERM);
	}
	/* The same calls for A's own client work. */
	snprintf(cmd, sizeof(cmd), "SELF lookup %llu\n",
		 (unsigned long long)a_id);
	CU_ASSERT_EQUAL(rc_of(fa, cmd), 0);
	CU_ASSERT_EQUAL(rc_of(fa, "SELF stats 0\n"), 0);
	CU_ASSERT_EQUAL(rc_of(fa, "SELF timer 0\n"), 0);
	/* A's timer cannot hang on B's client. */
	snprintf(cmd, sizeof(cmd), "OTHER mixtimer %llu\n",
		 (unsigned long long)b_id);
	CU_ASSERT_EQUAL(rc_of(fa, cmd), -EINVAL);
	/* B's client was neither written to nor closed nor killed. */
	ls_send(fb, "fine\n");
	CU_ASSERT(ls_read_line(fb, line, sizeof(line), 5000) > 0);
	CU_ASSERT_STRING_EQUAL(line, "fine");
	close(fa);
	close(fb);
	CU_ASSERT_EQUAL(ls_stop(&a), 0);
	CU_ASSERT_EQUAL(ls_stop(&b), 0);
	CU_ASSERT_EQUAL(atomic_load(&b.closes), 1);
#endif
}

/*
 * A thread is the main thread of one server at a time: a second create
 * on it fails with -EBUSY until the first server is destroyed.
 */
static void test_one_server_per_main_thread(void)
{
	struct baton_server_opts o = { .sz = sizeof(o), .proto = &ls_proto,
				       .nr_io_workers = 0 };
	struct baton_server *s1 = NULL, *s2 = NULL;
	struct baton_stats st = { .sz = sizeof(st) };

	CU_ASSERT_EQUAL_FATAL(baton_server_create(&o, &s1), 0);
	/* Main from create on, before any run. */
	CU_ASSERT_EQUAL(baton_server_stats(s1, &st), 0);
	CU_ASSERT_EQUAL(baton_server_create(&o, &s2), -EBUSY);
	CU_ASSERT_PTR_NULL(s2);
	baton_server_destroy(s1);
	CU_ASSERT_EQUAL(role_current(), BATON_ROLE_FOREIGN);
	CU_ASSERT_EQUAL_FATAL(baton_server_create(&o, &s2), 0);
	CU_ASSERT_EQUAL(baton_server_stats(s2, &st), 0);
	baton_server_destroy(s2);
}

/* Send @cmd on @fd and return the number after @prefix, or -1. */
static long count_of(int fd, const char *cmd, const char *prefix)
{
	char line[64];

	ls_send(fd, cmd);
	if (ls_read_line(fd, line, sizeof(line), 5000) <= 0 ||
	    strncmp(line, prefix, strlen(prefix)))
		return -1;
	return strtol(line + strlen(prefix), NULL, 10);
}

/* Whether both servers freed all they made, within 5 s. */
static bool all_freed(void)
{
	return ls_wait_until(atomic_load(&sobj_freed[0]) ==
			     atomic_load(&sobj_made[0]) &&
			     atomic_load(&sobj_freed[1]) ==
			     atomic_load(&sobj_made[1]), 5000);
}

struct putter {
	struct sobj **objs;
	int nr;
	bool registered;	/* an RCU reader: RCU-marked ones go by call_rcu */
};

/* A foreign thread drops the last reference of its share. */
static void *putter_thread(void *arg)
{
	struct putter *p = arg;
	int i;

	if (p->registered)
		baton_rcu_register_thread();
	for (i = 0; i < p->nr; i++)
		baton_obj_put(&p->objs[i]->obj);
	if (p->registered)
		baton_rcu_unregister_thread();	/* hands its rcu_free block */
	return NULL;
}

/* Two foreign threads, one registered, put @n objects between them
 * (every other one each, so both get objects of both servers). */
static void put_from_foreign_threads(struct sobj **objs, int n)
{
	static struct sobj *share[2][SOBJ_MAX];
	struct putter p[2] = {
		{ share[0], 0, false }, { share[1], 0, true },
	};
	pthread_t t[2];
	int i;

	for (i = 0; i < n; i++)
		p[i % 2].objs[p[i % 2].nr++] = objs[i];
	for (i = 0; i < 2; i++)
		CU_ASSERT_FATAL(pthread_create(&t[i], NULL, putter_thread,
					       &p[i]) == 0);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
}

/*
 * Main-only objects of both servers, each freed on its own server's main
 * thread: put by foreign threads (registered or not), after a grace
 * period by the RCU callback thread, by the other server's main thread,
 * and by the other server's IO worker once it sent them by reference;
 * and objects a foreign thread made for a server with
 * baton_obj_init_server().  Then both servers stop and are destroyed.
 */
static void test_objects_freed_on_their_main(void)
{
	static struct sobj *taken[SOBJ_MAX];
	struct line_server a = { 0 }, b = { 0 };
	char *buf = malloc(64 * SOBJ_BYTES);
	long want;
	int fa, fb, n, i;

	atomic_store(&sobj_wrong_thread, 0);
	CU_ASSERT_EQUAL_FATAL(two_start(&a, &b, 2), 0);
	fa = ls_dial(a.port);
	fb = ls_dial(b.port);

	/* Foreign threads put what both mains made. */
	CU_ASSERT_EQUAL(count_of(fa, "MAKE 100\n", "MADE "), 100);
	CU_ASSERT_EQUAL(count_of(fb, "MAKE 100\n", "MADE "), 100);
	CU_ASSERT_EQUAL(count_of(fa, "MAKE 20 RCU\n", "MADE "), 20);
	CU_ASSERT_EQUAL(count_of(fb, "MAKE 20 RCU\n", "MADE "), 20);
	n = sobj_take(taken);
	CU_ASSERT_EQUAL(n, 240);
	put_from_foreign_threads(taken, n);
	CU_ASSERT(all_freed());

	/* A foreign thread makes objects for A and puts them. */
	for (i = 0; i < 30; i++) {
		struct sobj *o = calloc(1, sizeof(*o));

		CU_ASSERT_FATAL(o != NULL);
		CU_ASSERT_EQUAL(baton_obj_init_server(&o->obj, &sobj_type,
						      a.s), 0);
		o->server = 0;
		atomic_fetch_add(&sobj_made[0], 1);
		taken[i] = o;
	}
	put_from_foreign_threads(taken, 30);
	CU_ASSERT(all_freed());

	/* B's main drops the last reference of A's objects. */
	CU_ASSERT_EQUAL(count_of(fa, "MAKE 50\n", "MADE "), 50);
	CU_ASSERT_EQUAL(count_of(fb, "PUTMADE\n", "PUT "), 50);
	CU_ASSERT(all_freed());

	/* B's IO worker drops the last reference of A's objects. */
	CU_ASSERT_EQUAL(count_of(fa, "MAKE 64\n", "MADE "), 64);
	want = count_of(fb, "REFMADE\n", "REF ");
	CU_ASSERT_EQUAL(want, 64);
	if (want == 64) {
		size_t got = 0, all = 64 * SOBJ_BYTES;

		while (got < all) {
			ssize_t r = read(fb, buf + got, all - got);

			if (r <= 0)
				break;
			got += (size_t)r;
		}
		CU_ASSERT_EQUAL(got, all);
		CU_ASSERT(got == all && buf[0] == 'a' && buf[all - 1] == 'a');
	}
	CU_ASSERT(all_freed());

	close(fa);
	close(fb);
	CU_ASSERT_EQUAL(ls_stop(&a), 0);
	CU_ASSERT_EQUAL(ls_stop(&b), 0);
	CU_ASSERT_EQUAL(atomic_load(&sobj_freed[0]), atomic_load(&sobj_made[0]));
	CU_ASSERT_EQUAL(atomic_load(&sobj_freed[1]), atomic_load(&sobj_made[1]));
	CU_ASSERT_EQUAL(atomic_load(&sobj_wrong_thread), 0);
	printf("\n    freed on their own main: %ld of A's, %ld of B's\n",
	       atomic_load(&sobj_freed[0]), atomic_load(&sobj_freed[1]));
	free(buf);
}

/* A main-only object made on a thread that serves no server. */
static long call_obj_init(struct baton_server *s)
{
	struct sobj o;

	return baton_obj_init(&o.obj, &sobj_type);
}

/*
 * A main-only object needs a server whose main frees it: baton_obj_init()
 * on a foreign thread is refused (-EPERM; DEBUG=1 aborts), while the
 * creating thread of a server, before its run, may make one.
 */
static void test_main_only_object_needs_a_server(void)
{
	struct baton_server_opts o = { .sz = sizeof(o), .proto = &ls_proto,
				       .nr_io_workers = 0 };
	struct baton_server *s;
	struct sobj *obj = calloc(1, sizeof(*obj));

	CU_ASSERT(refused(call_obj_init, NULL, NULL));
	CU_ASSERT_FATAL(obj != NULL);
	CU_ASSERT_EQUAL_FATAL(baton_server_create(&o, &s), 0);
	atomic_store(&main_of[1], pthread_self());
	CU_ASSERT_EQUAL(baton_obj_init(&obj->obj, &sobj_type), 0);
	obj->server = 1;
	atomic_fetch_add(&sobj_made[1], 1);
	baton_obj_put(&obj->obj);	/* on its main: freed at once */
	CU_ASSERT_EQUAL(atomic_load(&sobj_freed[1]), atomic_load(&sobj_made[1]));
	baton_server_destroy(s);
	CU_ASSERT_EQUAL(atomic_load(&sobj_wrong_thread), 0);
}

static const struct cunit_test tests[] = {
	CUNIT_TEST(test_one_server_per_main_thread),
	CUNIT_TEST(test_main_calls_refused_elsewhere),
	CUNIT_TEST(test_cross_server_calls_from_main),
	CUNIT_TEST(test_objects_freed_on_their_main),
	CUNIT_TEST(test_main_only_object_needs_a_server),
};

int main(void)
{
	if (baton_type_register(&sobj_type))
		return CUNIT_EXIT_FAIL;
	return cunit_run("two_servers", tests, ARRAY_SIZE(tests), NULL, NULL);
}
