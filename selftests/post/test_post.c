// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_post.c - output the server initiates: writes from main to any
 * client wherever it is (pub/sub fan-out, copied and referenced), its
 * order against the client's own replies, output limits, parked clients,
 * paused reading, goodbyes before a close, main's timers, idle timeouts,
 * run-on-main from a foreign thread, the protocol state that travels with
 * the client, and misuse returning -EPERM.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include "../common/cunit.h"
#include "../common/line_server.h"
#include "../common/sanitizer.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The protocol of this test, one command per line:
 *   SUB            become a subscriber; reply "<seq> SUBBED <id>"
 *   PUB <text>     write "<seq> MSG <text>" to every subscriber; reply
 *                  "PUBBED <n>"
 *   PUBREF <n>     write one refcounted object of <n> bytes ('r' and a
 *                  newline) to every subscriber; reply "PUBBED <n>"
 *   PING           reply "<seq> PONG"
 *   ID             reply the client's id
 *   BLOCK          park this client (no reply until WAKE)
 *   WAKE <id>      write "<seq> WOKE" to client <id> and unpark it;
 *                  reply "WAKE <0 or -errno>"
 *   PAUSE          pause reading this client; reply "PAUSED"
 *   RESUME <id>    resume reading client <id>; reply "RESUME <0 or -errno>"
 *   LIMIT h s t    set this client's output limits; reply "LIMITED"
 *   BYE <id>       write "BYE" to client <id> and close it; reply "BYE <err>"
 *   TIMER <ms> <n> arm this client's timer: every <ms>, <n> times, write
 *                  "<seq> TICK <k>"; reply "ARMED"
 *   IDLE <ms>      this client's idle timeout; reply "IDLE SET"
 *   STATE          reply "STATE <n>": how many requests main ran for this
 *                  client so far (kept in the protocol state by parse)
 * Every line written to a subscriber carries its own sequence number
 * <seq>, counted by main in write order: the client checks that it reads
 * them in that order, whatever thread owned it at each write.
 */

struct pclient {
	struct baton_client *c;
	uint64_t seq;		/* lines written to it so far */
	bool sub;
	struct baton_timer timer;
	int ticks_left, ticks;
};

static _Atomic int obj_frees;	/* referenced payloads freed */
static _Atomic int idle_calls;
static _Atomic int close_calls;
static _Atomic long parked_close_ms;	/* when a parked client's close ran */

struct payload {
	struct baton_obj obj;
	size_t len;
	char bytes[];
};

static void payload_free(struct baton_obj *obj)
{
	free(baton_container_of(obj, struct payload, obj));
	atomic_fetch_add(&obj_frees, 1);
}

static struct baton_type payload_type = {
	.name = "payload",
	.free = payload_free,
};

static void pc_line(struct baton_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Write "<seq> <text>\n" to @c, counting the line. */
static void pc_line(struct baton_client *c, const char *fmt, ...)
{
	struct pclient *pc = baton_client_data(c);
	char out[256];
	va_list ap;
	int n;

	n = snprintf(out, sizeof(out), "%llu ",
		     (unsigned long long)++pc->seq);
	va_start(ap, fmt);
	n += vsnprintf(out + n, sizeof(out) - (size_t)n, fmt, ap);
	va_end(ap);
	out[n++] = '\n';
	baton_client_write(c, out, (size_t)n);
}

/* The protocol state: parse counts the requests it handed over. */
static ssize_t pt_parse(struct baton_client *c, const char *buf, size_t len,
			void **req)
{
	uint64_t *state = baton_client_proto_state(c);
	ssize_t r = ls_parse(c, buf, len, req);

	if (r > 0 && state)
		state[0]++;
	return r;
}

struct pub_ctx {
	const char *text;
	struct payload *ref;
	int n;
};

static int pub_one(struct baton_client *c, void *arg)
{
	struct pclient *pc = baton_client_data(c);
	struct pub_ctx *ctx = arg;

	if (!pc || !pc->sub)
		return 0;
	if (ctx->ref)
		baton_client_write_ref(c, &ctx->ref->obj, ctx->ref->bytes,
				       ctx->ref->len);
	else
		pc_line(c, "MSG %s", ctx->text);
	ctx->n++;
	return 0;
}

static void pt_tick(struct baton_timer *t)
{
	struct pclient *pc = baton_container_of(t, struct pclient, timer);

	pc_line(pc->c, "TICK %d", ++pc->ticks);
	if (--pc->ticks_left == 0)
		baton_timer_cancel(t);
}

static void pt_execute(struct baton_client *c, void *req)
{
	struct baton_server *s = baton_client_server(c);
	struct line_server *ls = baton_server_user(s);
	struct pclient *pc = baton_client_data(c);
	char *line = req, text[128];
	long a, b, d;
	int err;

	atomic_fetch_add(&ls->executed, 1);
	if (!strcmp(line, "SUB\n")) {
		pc->sub = true;
		pc_line(c, "SUBBED %llu", (unsigned long long)baton_client_id(c));
	} else if (sscanf(line, "PUBREF %ld", &a) == 1) {
		struct payload *p = malloc(sizeof(*p) + (size_t)a);
		struct pub_ctx ctx = { .ref = p };

		baton_obj_init(&p->obj, &payload_type);
		p->len = (size_t)a;
		memset(p->bytes, 'r', (size_t)a - 1);
		p->bytes[a - 1] = '\n';
		baton_client_for_each(s, pub_one, &ctx);
		baton_obj_put(&p->obj);
		ls_reply(c, "PUBBED ", ctx.n);
	} else if (sscanf(line, "PUB %127s", text) == 1) {
		struct pub_ctx ctx = { .text = text };

		baton_client_for_each(s, pub_one, &ctx);
		ls_reply(c, "PUBBED ", ctx.n);
	} else if (!strcmp(line, "PING\n")) {
		pc_line(c, "PONG");
	} else if (!strcmp(line, "ID\n")) {
		ls_reply(c, "", (long)baton_client_id(c));
	} else if (!strcmp(line, "BLOCK\n")) {
		baton_client_park(c);
	} else if (sscanf(line, "WAKE %ld", &a) == 1) {
		struct baton_client *o = baton_client_lookup(s, (uint64_t)a);

		err = -ENOENT;
		if (o) {
			pc_line(o, "WOKE");
			err = baton_client_unpark(o);
		}
		ls_reply(c, "WAKE ", err);
	} else if (!strcmp(line, "PAUSE\n")) {
		baton_client_pause_reading(c);
		baton_client_write(c, "PAUSED\n", 7);
	} else if (sscanf(line, "RESUME %ld", &a) == 1) {
		struct baton_client *o = baton_client_lookup(s, (uint64_t)a);

		ls_reply(c, "RESUME ", o ? baton_client_resume_reading(o) : -ENOENT);
	} else if (sscanf(line, "LIMIT %ld %ld %ld", &a, &b, &d) == 3) {
		baton_client_set_limits(c, (size_t)a, (size_t)b, (unsigned int)d);
		baton_client_write(c, "LIMITED\n", 8);
	} else if (sscanf(line, "BYE %ld", &a) == 1) {
		struct baton_client *o = baton_client_lookup(s, (uint64_t)a);

		err = -ENOENT;
		if (o) {
			err = baton_client_write(o, "BYE\n", 4);
			baton_client_close(o);
		}
		ls_reply(c, "BYE ", err);
	} else if (sscanf(line, "TIMER %ld %ld", &a, &b) == 2) {
		pc->ticks_left = (int)b;
		err = baton_timer_arm(s, &pc->timer, c, (uint64_t)a, (uint64_t)a);
		ls_reply(c, "ARMED ", err);
	} else if (sscanf(line, "IDLE %ld", &a) == 1) {
		baton_client_set_idle_timeout(c, a);
		baton_client_write(c, "IDLE SET\n", 9);
	} else if (!strcmp(line, "STATE\n")) {
		uint64_t *state = baton_client_proto_state(c);

		ls_reply(c, "STATE ", state ? (long)state[0] : -1);
	} else {
		baton_client_write(c, line, strlen(line));
	}
	free(line);
}

static int pt_connect(struct baton_client *c)
{
	struct pclient *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return -ENOMEM;
	pc->c = c;
	baton_timer_init(&pc->timer, pt_tick);
	baton_client_set_data(c, pc);
	return 0;
}

static void pt_close(struct baton_client *c)
{
	struct pclient *pc = baton_client_data(c);

	if (baton_client_parked(c))
		atomic_store(&parked_close_ms, ls_now_ms());
	/* The client's timers were cancelled before this callback. */
	if (baton_timer_armed(&pc->timer))
		abort();
	free(pc);
	atomic_fetch_add(&close_calls, 1);
}

static void pt_idle(struct baton_client *c)
{
	atomic_fetch_add(&idle_calls, 1);
	baton_client_write(c, "IDLE\n", 5);
	baton_client_close(c);
}

static const struct baton_proto pt_proto = {
	.sz = sizeof(struct baton_proto),
	.parse = pt_parse,
	.execute = pt_execute,
	.free_req = ls_free_req,
	.connect = pt_connect,
	.close = pt_close,
	.idle = pt_idle,
};

static void pt_start(struct line_server *ls, int workers)
{
	memset(ls, 0, sizeof(*ls));
	ls->opts.proto = &pt_proto;
	CU_ASSERT_EQUAL_FATAL(ls_start(ls, workers), 0);
}

/* Send @cmd on @fd and read the reply line into @buf. */
static ssize_t pt_cmd(int fd, const char *cmd, char *buf, size_t size)
{
	if (ls_send(fd, cmd))
		return -EIO;
	return ls_read_line(fd, buf, size, 10000);
}

/* Subscribe @fd; returns the client's id (0 on failure). */
static uint64_t pt_subscribe(int fd)
{
	char buf[128];
	unsigned long long seq, id;

	if (pt_cmd(fd, "SUB\n", buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "%llu SUBBED %llu", &seq, &id) != 2)
		return 0;
	return id;
}

/* The id of the client on @fd, through the line server's ID command. */
static uint64_t pt_id(int fd)
{
	char buf[64];

	if (pt_cmd(fd, "ID\n", buf, sizeof(buf)) <= 0)
		return 0;
	return strtoull(buf, NULL, 10);
}

/* ------------------------------------------------------------- fan-out */

/* A subscriber that sends nothing still gets what main writes to it:
 * posted to a client its worker owns and that is idle. */
static void post_to_idle(int workers)
{
	struct line_server ls;
	int sub, pub, i;
	char buf[128];

	pt_start(&ls, workers);
	sub = ls_dial(ls.port);
	pub = ls_dial(ls.port);
	CU_ASSERT_FATAL(sub >= 0 && pub >= 0);
	CU_ASSERT(pt_subscribe(sub) != 0);
	for (i = 0; i < 20; i++) {
		char cmd[64], want[64];

		snprintf(cmd, sizeof(cmd), "PUB m%d\n", i);
		CU_ASSERT(pt_cmd(pub, cmd, buf, sizeof(buf)) > 0);
		CU_ASSERT_STRING_EQUAL(buf, "PUBBED 1");
		snprintf(want, sizeof(want), "%d MSG m%d", i + 2, i);
		if (ls_read_line(sub, buf, sizeof(buf), 10000) <= 0) {
			/* Lost: the next ones would only wait as long. */
			CU_FAIL("message not delivered within 10 s");
			break;
		}
		CU_ASSERT_STRING_EQUAL(buf, want);
	}
	close(sub);
	close(pub);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

static void test_post_to_idle_0(void) { post_to_idle(0); }
static void test_post_to_idle_1(void) { post_to_idle(1); }
static void test_post_to_idle_2(void) { post_to_idle(2); }

/*
 * A subscriber pipelines PINGs while publishers publish to it: every
 * line it reads carries main's sequence number for it, and the numbers
 * must come 1, 2, 3, ... with no gap and no swap, whether main wrote a
 * line while it owned the client (a PONG, or a MSG to a subscriber that
 * happened to be with main), while the client was on its way, or while
 * its worker owned it.
 */
static void post_order(int workers)
{
	enum { NR_SUBS = 4, NR_PUBS = 2 };
	int pings = SELFTEST_SCALE(2000);
	int pubs = SELFTEST_SCALE(1000);
	struct line_server ls;
	int subs[NR_SUBS], pubfd[NR_PUBS], i, j, bad = 0;
	uint64_t seen[NR_SUBS] = { 0 };
	int msgs[NR_SUBS] = { 0 }, pongs[NR_SUBS] = { 0 };
	long deadline;
	char *burst;
	size_t off = 0;

	pt_start(&ls, workers);
	for (i = 0; i < NR_SUBS; i++) {
		subs[i] = ls_dial(ls.port);
		CU_ASSERT_FATAL(subs[i] >= 0);
		CU_ASSERT_FATAL(pt_subscribe(subs[i]) != 0);
		seen[i] = 1;
	}
	for (i = 0; i < NR_PUBS; i++) {
		pubfd[i] = ls_dial(ls.port);
		CU_ASSERT_FATAL(pubfd[i] >= 0);
	}
	burst = malloc((size_t)pings * 8 + (size_t)pubs * 16);
	/* Every subscriber pipelines all its PINGs; each publisher its PUBs. */
	for (j = 0; j < pings; j++)
		off += (size_t)sprintf(burst + off, "PING\n");
	for (i = 0; i < NR_SUBS; i++)
		CU_ASSERT(ls_send(subs[i], burst) == 0);
	off = 0;
	for (j = 0; j < pubs; j++)
		off += (size_t)sprintf(burst + off, "PUB x%d\n", j);
	for (i = 0; i < NR_PUBS; i++)
		CU_ASSERT(ls_send(pubfd[i], burst) == 0);
	free(burst);

	deadline = ls_now_ms() + 60000;
	for (i = 0; i < NR_SUBS; i++) {
		char line[128];

		while ((pongs[i] < pings || msgs[i] < NR_PUBS * pubs) &&
		       ls_now_ms() < deadline) {
			unsigned long long seq;
			char what[8];
			ssize_t n = ls_read_line(subs[i], line, sizeof(line),
						 (int)(deadline - ls_now_ms()));

			if (n <= 0) {
				fprintf(stderr, "sub %d: read %zd after %d pongs, "
					"%d messages\n", i, n, pongs[i], msgs[i]);
				break;
			}
			if (sscanf(line, "%llu %7s", &seq, what) != 2 ||
			    seq != seen[i] + 1) {
				if (!bad++)
					fprintf(stderr, "sub %d: after %llu read "
						"'%s'\n", i,
						(unsigned long long)seen[i], line);
			}
			seen[i] = seq;
			if (!strcmp(what, "PONG"))
				pongs[i]++;
			else
				msgs[i]++;
		}
		CU_ASSERT_EQUAL(pongs[i], pings);
		CU_ASSERT_EQUAL(msgs[i], NR_PUBS * pubs);
	}
	CU_ASSERT_EQUAL(bad, 0);
	for (i = 0; i < NR_SUBS; i++)
		close(subs[i]);
	for (i = 0; i < NR_PUBS; i++)
		close(pubfd[i]);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

static void test_post_order_0(void) { post_order(0); }
static void test_post_order_1(void) { post_order(1); }
static void test_post_order_2(void) { post_order(2); }

/*
 * One referenced object written to N subscribers: each gets the bytes,
 * and the object is freed once, after the last of them sent it.
 */
static void test_fanout_refcounted(void)
{
	enum { NR = 16, LEN = 3000 };
	struct line_server ls;
	int fds[NR], pub, i;
	char buf[128];

	atomic_store(&obj_frees, 0);
	pt_start(&ls, 2);
	for (i = 0; i < NR; i++) {
		fds[i] = ls_dial(ls.port);
		CU_ASSERT_FATAL(fds[i] >= 0);
		CU_ASSERT(pt_subscribe(fds[i]) != 0);
	}
	pub = ls_dial(ls.port);
	CU_ASSERT(pt_cmd(pub, "PUBREF 3000\n", buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "PUBBED 16");
	for (i = 0; i < NR; i++) {
		ssize_t n = ls_read_line(fds[i], buf, sizeof(buf), 10000);

		/* The line is longer than buf: it comes in pieces of 'r'. */
		size_t got = 0;

		while (n == (ssize_t)sizeof(buf) - 1) {
			got += (size_t)n;
			n = ls_read_line(fds[i], buf, sizeof(buf), 10000);
		}
		CU_ASSERT(n >= 0);
		got += (size_t)n;
		CU_ASSERT_EQUAL(got, LEN - 1);
	}
	CU_ASSERT(ls_wait_until(atomic_load(&obj_frees) == 1, 10000));
	for (i = 0; i < NR; i++)
		close(fds[i]);
	close(pub);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
	CU_ASSERT_EQUAL(atomic_load(&obj_frees), 1);
}

/* --------------------------------------------------------------- limits */

/*
 * A subscriber that never reads, with a hard output limit: the publisher
 * pushes more than the socket buffers and the limit together can hold,
 * the subscriber is closed, and the publisher keeps being served.
 */
static void test_hard_limit(void)
{
	struct line_server ls;
	int sub, pub, i;
	char buf[256];

	atomic_store(&close_calls, 0);
	pt_start(&ls, 1);
	sub = ls_dial(ls.port);
	pub = ls_dial(ls.port);
	CU_ASSERT(pt_subscribe(sub) != 0);
	CU_ASSERT(pt_cmd(sub, "LIMIT 262144 0 0\n", buf, sizeof(buf)) > 0);
	/* Up to 64 MiB: far past the socket buffers plus the 256 KiB limit. */
	for (i = 0; i < 1000 && atomic_load(&close_calls) == 0; i++) {
		CU_ASSERT_FATAL(pt_cmd(pub, "PUBREF 65536\n", buf,
				       sizeof(buf)) > 0);
		if (strcmp(buf, "PUBBED 1"))
			break;
	}
	CU_ASSERT(i < 1000);
	CU_ASSERT(ls_wait_until(atomic_load(&close_calls) == 1, 10000));
	/* The publisher is still served; nothing else was closed. */
	CU_ASSERT(pt_cmd(pub, "PING\n", buf, sizeof(buf)) > 0);
	CU_ASSERT_EQUAL(atomic_load(&close_calls), 1);
	CU_ASSERT(ls_wait_eof(sub, 10000));
	close(sub);
	close(pub);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

/*
 * The soft limit: above it for less than its seconds is allowed, above
 * it for longer closes the client at the next write.
 */
static void test_soft_limit(void)
{
	struct line_server ls;
	int sub, pub, i;
	char buf[256];

	atomic_store(&close_calls, 0);
	pt_start(&ls, 1);
	sub = ls_dial(ls.port);
	pub = ls_dial(ls.port);
	CU_ASSERT(pt_subscribe(sub) != 0);
	CU_ASSERT(pt_cmd(sub, "LIMIT 0 65536 1\n", buf, sizeof(buf)) > 0);
	/* Fill the socket buffers and pass the soft limit. */
	for (i = 0; i < 400; i++)
		CU_ASSERT_FATAL(pt_cmd(pub, "PUBREF 65536\n", buf,
				       sizeof(buf)) > 0);
	CU_ASSERT_EQUAL(atomic_load(&close_calls), 0);
	/* Past one second above it, the next write closes it. */
	usleep(1100 * 1000);
	CU_ASSERT(pt_cmd(pub, "PUBREF 65536\n", buf, sizeof(buf)) > 0);
	CU_ASSERT(ls_wait_until(atomic_load(&close_calls) == 1, 10000));
	close(sub);
	close(pub);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

/* --------------------------------------------------------------- parking */

/* BLOCK parks; the PING pipelined after it runs only after WAKE, and the
 * WOKE written by another client comes before its PONG. */
static void park_wake(int workers)
{
	struct line_server ls;
	int a, b;
	uint64_t id;
	char buf[128], cmd[64];

	pt_start(&ls, workers);
	a = ls_dial(ls.port);
	b = ls_dial(ls.port);
	id = pt_subscribe(a);
	CU_ASSERT_FATAL(id != 0);
	CU_ASSERT(ls_send(a, "BLOCK\nPING\n") == 0);
	/* B's PING round trip after A's bytes were sent: whatever A's
	 * requests did, main executed them first or they wait parked. */
	CU_ASSERT(pt_cmd(b, "PING\n", buf, sizeof(buf)) > 0);
	CU_ASSERT(ls_wait_until(atomic_load(&ls.executed) >= 3, 10000));
	snprintf(cmd, sizeof(cmd), "WAKE %llu\n", (unsigned long long)id);
	CU_ASSERT(pt_cmd(b, cmd, buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "WAKE 0");
	CU_ASSERT(ls_read_line(a, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "2 WOKE");
	CU_ASSERT(ls_read_line(a, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "3 PONG");
	/* Unparking an unparked client is an error. */
	CU_ASSERT(pt_cmd(b, cmd, buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "WAKE -22");
	CU_ASSERT(ls_read_line(a, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "4 WOKE");
	close(a);
	close(b);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

static void test_park_wake_0(void) { park_wake(0); }
static void test_park_wake_1(void) { park_wake(1); }
static void test_park_wake_2(void) { park_wake(2); }

/* A parked client's later input stays buffered: sent while it is parked,
 * it runs after the wake. */
static void test_park_buffers_input(void)
{
	struct line_server ls;
	int a, b, before;
	uint64_t id;
	char buf[128], cmd[64];

	pt_start(&ls, 1);
	a = ls_dial(ls.port);
	b = ls_dial(ls.port);
	id = pt_subscribe(a);
	CU_ASSERT(ls_send(a, "BLOCK\n") == 0);
	CU_ASSERT(ls_wait_until(atomic_load(&ls.executed) == 2, 10000));
	before = atomic_load(&ls.executed);
	CU_ASSERT(ls_send(a, "PING\nPING\n") == 0);
	/* B's round trip: main runs B's request; A's stay parked. */
	CU_ASSERT(pt_cmd(b, "PING\n", buf, sizeof(buf)) > 0);
	CU_ASSERT_EQUAL(atomic_load(&ls.executed), before + 1);
	snprintf(cmd, sizeof(cmd), "WAKE %llu\n", (unsigned long long)id);
	CU_ASSERT(pt_cmd(b, cmd, buf, sizeof(buf)) > 0);
	CU_ASSERT(ls_read_line(a, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "2 WOKE");
	CU_ASSERT(ls_read_line(a, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "3 PONG");
	CU_ASSERT(ls_read_line(a, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "4 PONG");
	close(a);
	close(b);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

/* A parked client that disconnects is reported at once through @close
 * (its worker reads the end of the stream), not when it is woken. */
static void test_park_disconnect(void)
{
	struct line_server ls;
	int a;
	long t0;

	atomic_store(&parked_close_ms, 0);
	pt_start(&ls, 1);
	a = ls_dial(ls.port);
	CU_ASSERT(pt_subscribe(a) != 0);
	CU_ASSERT(ls_send(a, "BLOCK\n") == 0);
	CU_ASSERT(ls_wait_until(atomic_load(&ls.executed) == 2, 10000));
	t0 = ls_now_ms();
	close(a);
	CU_ASSERT(ls_wait_until(atomic_load(&parked_close_ms) != 0, 5000));
	fprintf(stderr, "parked client's close reported after %ld ms\n",
		atomic_load(&parked_close_ms) - t0);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

/* --------------------------------------------------------------- pausing */

/* A paused client's input is not read until another client resumes it. */
static void test_pause_resume(void)
{
	struct line_server ls;
	int a, b, before;
	uint64_t id;
	char buf[128], cmd[64];

	pt_start(&ls, 1);
	a = ls_dial(ls.port);
	b = ls_dial(ls.port);
	id = pt_id(a);
	CU_ASSERT(pt_cmd(a, "PAUSE\n", buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "PAUSED");
	before = atomic_load(&ls.executed);
	CU_ASSERT(ls_send(a, "hello\n") == 0);
	CU_ASSERT(pt_cmd(b, "PING\n", buf, sizeof(buf)) > 0);
	CU_ASSERT(pt_cmd(b, "PING\n", buf, sizeof(buf)) > 0);
	CU_ASSERT_EQUAL(atomic_load(&ls.executed), before + 2);
	snprintf(cmd, sizeof(cmd), "RESUME %llu\n", (unsigned long long)id);
	CU_ASSERT(pt_cmd(b, cmd, buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "RESUME 0");
	CU_ASSERT(ls_read_line(a, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "hello");
	close(a);
	close(b);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

/* ------------------------------------------------------------ goodbyes */

/* Output written before a close is sent before the end of the stream. */
static void goodbye(int workers)
{
	struct line_server ls;
	int a, b;
	uint64_t id;
	char buf[64], cmd[64];

	pt_start(&ls, workers);
	a = ls_dial(ls.port);
	b = ls_dial(ls.port);
	id = pt_id(a);
	snprintf(cmd, sizeof(cmd), "BYE %llu\n", (unsigned long long)id);
	CU_ASSERT(pt_cmd(b, cmd, buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "BYE 0");
	CU_ASSERT(ls_read_line(a, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "BYE");
	CU_ASSERT(ls_wait_eof(a, 10000));
	/* Writing to it now: it is closing, or gone. */
	CU_ASSERT(pt_cmd(b, cmd, buf, sizeof(buf)) > 0);
	CU_ASSERT(!strcmp(buf, "BYE -32") || !strcmp(buf, "BYE -2"));
	close(a);
	close(b);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

static void test_goodbye_0(void) { goodbye(0); }
static void test_goodbye_1(void) { goodbye(1); }

/* --------------------------------------------------------------- timers */

/* A periodic per-client timer writes to its idle client n times, then
 * cancels itself. */
static void test_client_timer(void)
{
	struct line_server ls;
	int a, k;
	char buf[64], want[64];

	pt_start(&ls, 1);
	a = ls_dial(ls.port);
	CU_ASSERT(pt_subscribe(a) != 0);
	CU_ASSERT(pt_cmd(a, "TIMER 20 5\n", buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "ARMED 0");
	for (k = 1; k <= 5; k++) {
		snprintf(want, sizeof(want), "%d TICK %d", k + 1, k);
		CU_ASSERT(ls_read_line(a, buf, sizeof(buf), 10000) > 0);
		CU_ASSERT_STRING_EQUAL(buf, want);
	}
	CU_ASSERT(pt_cmd(a, "PING\n", buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "7 PONG");
	close(a);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

/* A client that closes with its timer armed: the timer is cancelled
 * before @close frees it (pt_close aborts otherwise; ASan would see the
 * timer run on freed memory). */
static void test_timer_cancelled_on_close(void)
{
	struct line_server ls;
	int a;
	char buf[64];

	atomic_store(&close_calls, 0);
	pt_start(&ls, 1);
	a = ls_dial(ls.port);
	CU_ASSERT(pt_subscribe(a) != 0);
	CU_ASSERT(pt_cmd(a, "TIMER 50 1000\n", buf, sizeof(buf)) > 0);
	close(a);
	CU_ASSERT(ls_wait_until(atomic_load(&close_calls) == 1, 10000));
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

/* ----------------------------------------------------------------- idle */

/*
 * A client with a 300 ms idle timeout that keeps sending parts of one
 * line every 50 ms is not closed: input the worker read counts even
 * before it is a whole request.  Once it stops, @idle runs, its goodbye
 * arrives, and the connection ends.
 */
static void test_idle_timeout(void)
{
	struct line_server ls;
	int a, i;
	char buf[64];

	atomic_store(&idle_calls, 0);
	pt_start(&ls, 1);
	a = ls_dial(ls.port);
	CU_ASSERT(pt_cmd(a, "IDLE 300\n", buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "IDLE SET");
	for (i = 0; i < 30; i++) {
		CU_ASSERT(ls_send(a, "x") == 0);
		usleep(50 * 1000);
	}
	CU_ASSERT_EQUAL(atomic_load(&idle_calls), 0);
	CU_ASSERT(ls_send(a, "\n") == 0);
	CU_ASSERT(ls_read_line(a, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_EQUAL(strlen(buf), 30);
	CU_ASSERT(ls_read_line(a, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "IDLE");
	CU_ASSERT(ls_wait_eof(a, 10000));
	CU_ASSERT_EQUAL(atomic_load(&idle_calls), 1);
	close(a);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

/* ---------------------------------------------------------- run on main */

struct foreign_call {
	struct baton_call call;
	struct baton_server *s;
	uint64_t id;
	int err;
};

static void foreign_write(struct baton_call *call)
{
	struct foreign_call *fc = baton_container_of(call, struct foreign_call,
						     call);
	struct baton_client *c = baton_client_lookup(fc->s, fc->id);

	fc->err = c ? baton_client_write(c, "FROM FOREIGN\n", 13) : -ENOENT;
	free(fc);
}

/* A thread of the application's queues a function that runs on main
 * and writes to a client by id. */
static void test_run_on_main(void)
{
	struct line_server ls;
	struct foreign_call *fc;
	int a;
	char buf[64];

	pt_start(&ls, 1);
	a = ls_dial(ls.port);
	fc = calloc(1, sizeof(*fc));
	fc->s = ls.s;
	fc->id = pt_id(a);
	CU_ASSERT_EQUAL(baton_server_call(ls.s, &fc->call, foreign_write), 0);
	CU_ASSERT(ls_read_line(a, buf, sizeof(buf), 10000) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "FROM FOREIGN");
	CU_ASSERT_EQUAL(baton_server_call(NULL, NULL, NULL), -EINVAL);
	close(a);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

/* ------------------------------------------------------- protocol state */

/* What parse writes into the protocol state on the worker, execute reads
 * on main, request after request, the handoff ordering both. */
static void proto_state(int workers)
{
	struct line_server ls;
	int a, i;
	char buf[64], want[64];

	pt_start(&ls, workers);
	a = ls_dial(ls.port);
	for (i = 1; i <= 50; i++) {
		CU_ASSERT(pt_cmd(a, "STATE\n", buf, sizeof(buf)) > 0);
		snprintf(want, sizeof(want), "STATE %d", i);
		CU_ASSERT_STRING_EQUAL(buf, want);
	}
	close(a);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
}

static void test_proto_state_0(void) { proto_state(0); }
static void test_proto_state_2(void) { proto_state(2); }

/* ------------------------------------------------------ requests released */

static _Atomic long released, released_on_main;
static __thread bool on_server_main;

static void rr_execute(struct baton_client *c, void *req)
{
	struct line_server *ls = baton_server_user(baton_client_server(c));

	on_server_main = true;
	atomic_fetch_add(&ls->executed, 1);
	/* The request stays alive until release_req: read it here. */
	baton_client_write(c, req, strlen(req));
}

static void rr_release(struct baton_client *c, void *req)
{
	atomic_fetch_add(&released, 1);
	if (on_server_main)
		atomic_fetch_add(&released_on_main, 1);
	free(req);
}

static const struct baton_proto rr_proto = {
	.sz = sizeof(struct baton_proto),
	.parse = ls_parse,
	.execute = rr_execute,
	.free_req = ls_free_req,
	.release_req = rr_release,
};

/*
 * With release_req, execute leaves each request alone and baton hands it
 * back to be freed on the IO worker that parsed it: every executed
 * request once (ASan: none leaked, none freed twice), none on main while
 * IO workers serve the clients.
 */
static void release_req(int workers)
{
	struct line_server ls = { 0 };
	int fds[4], i, j;
	char buf[64], want[64];

	atomic_store(&released, 0);
	atomic_store(&released_on_main, 0);
	ls.opts.proto = &rr_proto;
	CU_ASSERT_EQUAL_FATAL(ls_start(&ls, workers), 0);
	for (i = 0; i < 4; i++)
		fds[i] = ls_dial(ls.port);
	for (j = 0; j < 200; j++) {
		for (i = 0; i < 4; i++) {
			snprintf(want, sizeof(want), "r%d-%d\n", i, j);
			CU_ASSERT(ls_send(fds[i], want) == 0);
		}
		for (i = 0; i < 4; i++) {
			snprintf(want, sizeof(want), "r%d-%d", i, j);
			CU_ASSERT(ls_read_line(fds[i], buf, sizeof(buf), 10000) > 0);
			CU_ASSERT_STRING_EQUAL(buf, want);
		}
	}
	for (i = 0; i < 4; i++)
		close(fds[i]);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
	CU_ASSERT_EQUAL(atomic_load(&released), 800);
	if (workers)
		CU_ASSERT_EQUAL(atomic_load(&released_on_main), 0);
}

static void test_release_req_0(void) { release_req(0); }
static void test_release_req_2(void) { release_req(2); }

/* ---------------------------------------------------------------- misuse */

/* A foreign thread calling main-only functions gets -EPERM (a DEBUG=1
 * build aborts instead, so this runs only without it). */
static void test_misuse_from_foreign_thread(void)
{
#ifdef BATON_DEBUG
	fprintf(stderr, "skipped: a DEBUG=1 build aborts on misuse\n");
#else
	struct line_server ls;
	struct baton_client *c;
	int a;

	pt_start(&ls, 1);
	a = ls_dial(ls.port);
	pt_id(a);
	baton_rcu_register_thread();
	baton_rcu_read_lock();
	c = baton_client_get_rcu(ls.s, 1);
	baton_rcu_read_unlock();
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(baton_client_write(c, "x", 1), -EPERM);
	CU_ASSERT_EQUAL(baton_client_close(c), -EPERM);
	CU_ASSERT_EQUAL(baton_client_park(c), -EPERM);
	CU_ASSERT_EQUAL(baton_client_set_error(c, "x", 1), -EPERM);
	CU_ASSERT_PTR_NULL(baton_client_proto_state(c));
	CU_ASSERT_PTR_NULL(baton_client_lookup(ls.s, 1));
	CU_ASSERT_EQUAL(baton_client_kill(ls.s, 1), -EPERM);
	baton_client_put(c);
	baton_rcu_unregister_thread();
	close(a);
	CU_ASSERT_EQUAL(ls_stop(&ls), 0);
#endif
}

static const struct cunit_test tests[] = {
	CUNIT_TEST(test_post_to_idle_0),
	CUNIT_TEST(test_post_to_idle_1),
	CUNIT_TEST(test_post_to_idle_2),
	CUNIT_TEST(test_post_order_0),
	CUNIT_TEST(test_post_order_1),
	CUNIT_TEST(test_post_order_2),
	CUNIT_TEST(test_fanout_refcounted),
	CUNIT_TEST(test_hard_limit),
	CUNIT_TEST(test_soft_limit),
	CUNIT_TEST(test_park_wake_0),
	CUNIT_TEST(test_park_wake_1),
	CUNIT_TEST(test_park_wake_2),
	CUNIT_TEST(test_park_buffers_input),
	CUNIT_TEST(test_park_disconnect),
	CUNIT_TEST(test_pause_resume),
	CUNIT_TEST(test_goodbye_0),
	CUNIT_TEST(test_goodbye_1),
	CUNIT_TEST(test_client_timer),
	CUNIT_TEST(test_timer_cancelled_on_close),
	CUNIT_TEST(test_idle_timeout),
	CUNIT_TEST(test_run_on_main),
	CUNIT_TEST(test_proto_state_0),
	CUNIT_TEST(test_proto_state_2),
	CUNIT_TEST(test_release_req_0),
	CUNIT_TEST(test_release_req_2),
	CUNIT_TEST(test_misuse_from_foreign_thread),
};

int main(void)
{
	if (baton_type_register(&payload_type))
		return CUNIT_EXIT_FAIL;
	return cunit_run("post", tests, ARRAY_SIZE(tests), NULL, NULL);
}
