/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * line_server.h - a baton server speaking a tiny line protocol, run on its
 * own thread, and blocking client helpers, for the runtime selftests
 * (header-only).
 *
 * The protocol: one request per '\n'-terminated line; the reply is the
 * line echoed, except for these commands:
 *   QUIT         reply "BYE", then close
 *   ID           reply the client's id
 *   KILL <id>    kill client <id>; reply "KILLED <0 or -errno>"
 *   KILLNEWEST   kill the client with the highest id other than this one;
 *                reply "KILLED <0 or -errno>"
 *   CLOSE <id>   baton_client_close() client <id>; reply "CLOSED" or
 *                "NOSUCH"
 *   SLEEP <ms>   block the main thread for <ms> ms; reply "SLEPT"
 *   BIG <n>      reply <n> 'x' bytes and a newline
 *   CLIENTS      reply the number of connected clients
 *   STATS        reply "requests accepted active handoffs_to_main"
 *   LIST         reply how many clients baton_client_for_each() walked,
 *                and whether each had a sane worker index and lookup
 *   WORKERS <n>  baton_server_set_io_workers(n) (-2: auto); reply
 *                "WORKERS <0 or -errno>"
 *   WORKER <id>  reply the IO worker index of client <id>, or "NOSUCH"
 *   TELL <id> <text>  write "<text>\n" to client <id> (server-initiated
 *                output); reply "TOLD <0 or -errno>", or "NOSUCH"
 * A line starting with '!' is a protocol error: "ERR proto" and close.
 */
#ifndef _BATON_SELFTEST_LINE_SERVER_H
#define _BATON_SELFTEST_LINE_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <baton/baton.h>

struct line_server {
	struct baton_server_opts opts;
	struct baton_server *s;
	pthread_t thread;
	sem_t ready;
	unsigned short port;
	unsigned short port6;		/* with want_ipv6: the [::1] port */
	bool want_ipv6;
	const char *unix_path;
	/* Run on the server thread after run() returns, before destroy. */
	void (*after_run)(struct line_server *ls);
	int create_err;
	int listen_err;
	int run_err;
	long burn_us;		/* CPU each request costs main (busy loop) */
	_Atomic int connects;
	_Atomic int closes;
	_Atomic int executed;
};

static inline long ls_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static inline ssize_t ls_parse(struct baton_client *c, const char *buf,
			       size_t len, void **req)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n;
	char *r;

	if (!nl)
		return 0;
	if (buf[0] == '!') {
		baton_client_set_error(c, "ERR proto\n", 10);
		return -EPROTO;
	}
	n = (size_t)(nl - buf) + 1;
	r = malloc(n + 1);
	if (!r)
		return -ENOMEM;
	memcpy(r, buf, n);
	r[n] = 0;
	*req = r;
	return (ssize_t)n;
}

/* Reply "<prefix><v>\n". */
static inline void ls_reply(struct baton_client *c, const char *prefix, long v)
{
	char out[64];
	int n = snprintf(out, sizeof(out), "%s%ld\n", prefix, v);

	baton_client_write(c, out, (size_t)n);
}

struct ls_newest_ctx {
	uint64_t self, newest;
};

static inline int ls_find_newest(struct baton_client *c, void *arg)
{
	struct ls_newest_ctx *ctx = arg;
	uint64_t id = baton_client_id(c);

	if (id != ctx->self && id > ctx->newest)
		ctx->newest = id;
	return 0;
}

struct ls_list_ctx {
	struct baton_server *s;
	long n, bad;
};

static inline int ls_list_one(struct baton_client *c, void *arg)
{
	struct ls_list_ctx *ctx = arg;
	int w = baton_client_io_worker(c);

	ctx->n++;
	if (w >= baton_server_nr_io_workers(ctx->s) ||
	    (w < 0 && baton_server_nr_io_workers(ctx->s) > 0) ||
	    baton_client_lookup(ctx->s, baton_client_id(c)) != c)
		ctx->bad++;
	return 0;
}

static inline void ls_execute(struct baton_client *c, void *req)
{
	struct baton_server *s = baton_client_server(c);
	struct line_server *ls = baton_server_user(s);
	char *line = req;
	long v;
	int off = 0;

	atomic_fetch_add(&ls->executed, 1);
	if (ls->burn_us) {
		struct timespec t0, t;

		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		do
			clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
		while ((t.tv_sec - t0.tv_sec) * 1000000L +
		       (t.tv_nsec - t0.tv_nsec) / 1000 < ls->burn_us);
	}
	if (!strcmp(line, "QUIT\n")) {
		baton_client_write(c, "BYE\n", 4);
		baton_client_close(c);
	} else if (!strcmp(line, "ID\n")) {
		ls_reply(c, "", (long)baton_client_id(c));
	} else if (sscanf(line, "KILL %ld", &v) == 1) {
		ls_reply(c, "KILLED ", baton_client_kill(s, (uint64_t)v));
	} else if (!strcmp(line, "KILLNEWEST\n")) {
		struct ls_newest_ctx ctx = { .self = baton_client_id(c) };

		baton_client_for_each(s, ls_find_newest, &ctx);
		ls_reply(c, "KILLED ", ctx.newest ?
			 baton_client_kill(s, ctx.newest) : -ENOENT);
	} else if (sscanf(line, "CLOSE %ld", &v) == 1) {
		struct baton_client *other = baton_client_lookup(s, (uint64_t)v);

		if (other)
			baton_client_close(other);
		baton_client_write(c, other ? "CLOSED\n" : "NOSUCH\n",
				   other ? 7 : 7);
	} else if (sscanf(line, "SLEEP %ld", &v) == 1) {
		usleep((useconds_t)v * 1000);
		baton_client_write(c, "SLEPT\n", 6);
	} else if (sscanf(line, "BIG %ld", &v) == 1) {
		static const char xs[4096] = { [0 ... 4095] = 'x' };

		for (; v > 0; v -= (long)sizeof(xs))
			if (baton_client_write(c, xs, v < (long)sizeof(xs) ?
					       (size_t)v : sizeof(xs)))
				break;
		baton_client_write(c, "\n", 1);
	} else if (!strcmp(line, "STATS\n")) {
		struct baton_stats st = { .sz = sizeof(st) };
		char out[128];
		int n;

		baton_server_stats(s, &st);
		n = snprintf(out, sizeof(out), "%llu %llu %llu %llu\n",
			     (unsigned long long)st.requests,
			     (unsigned long long)st.accepted,
			     (unsigned long long)st.active_clients,
			     (unsigned long long)st.handoffs_to_main);
		baton_client_write(c, out, (size_t)n);
	} else if (!strcmp(line, "LIST\n")) {
		struct ls_list_ctx ctx = { .s = s };
		char out[64];
		int n;

		baton_client_for_each(s, ls_list_one, &ctx);
		n = snprintf(out, sizeof(out), "%ld %ld\n", ctx.n, ctx.bad);
		baton_client_write(c, out, (size_t)n);
	} else if (sscanf(line, "WORKER %ld", &v) == 1) {
		struct baton_client *other = baton_client_lookup(s, (uint64_t)v);

		if (other)
			ls_reply(c, "", baton_client_io_worker(other));
		else
			baton_client_write(c, "NOSUCH\n", 7);
	} else if (sscanf(line, "TELL %ld %n", &v, &off) == 1 && off > 0) {
		struct baton_client *other = baton_client_lookup(s, (uint64_t)v);

		if (other)
			ls_reply(c, "TOLD ", baton_client_write(other, line + off,
							       strlen(line + off)));
		else
			baton_client_write(c, "NOSUCH\n", 7);
	} else if (sscanf(line, "WORKERS %ld", &v) == 1) {
		ls_reply(c, "WORKERS ", baton_server_set_io_workers(s, (int)v));
	} else if (!strcmp(line, "CLIENTS\n")) {
		struct baton_stats st = { .sz = sizeof(st) };

		baton_server_stats(s, &st);
		ls_reply(c, "", (long)st.clients);
	} else {
		baton_client_write(c, line, strlen(line));
	}
	free(line);
}

static inline void ls_free_req(struct baton_client *c, void *req)
{
	free(req);
}

static inline int ls_connect(struct baton_client *c)
{
	struct line_server *ls = baton_server_user(baton_client_server(c));

	atomic_fetch_add(&ls->connects, 1);
	return 0;
}

static inline void ls_close(struct baton_client *c)
{
	struct line_server *ls = baton_server_user(baton_client_server(c));

	atomic_fetch_add(&ls->closes, 1);
}

static const struct baton_proto ls_proto = {
	.sz = sizeof(struct baton_proto),
	.parse = ls_parse,
	.execute = ls_execute,
	.free_req = ls_free_req,
	.connect = ls_connect,
	.close = ls_close,
	.busy_msg = "ERR max clients\n",
};

static inline void *ls_thread(void *arg)
{
	struct line_server *ls = arg;

	ls->opts.sz = sizeof(ls->opts);
	if (!ls->opts.proto)		/* a test may bring its own protocol */
		ls->opts.proto = &ls_proto;
	ls->opts.user = ls;
	ls->create_err = baton_server_create(&ls->opts, &ls->s);
	if (!ls->create_err) {
		ls->listen_err = baton_server_listen_tcp(ls->s, "127.0.0.1", 0,
							 &ls->port);
		if (!ls->listen_err && ls->want_ipv6)
			ls->listen_err = baton_server_listen_tcp(ls->s, "::1", 0,
								 &ls->port6);
		if (!ls->listen_err && ls->unix_path)
			ls->listen_err = baton_server_listen_unix(ls->s,
								  ls->unix_path);
	}
	sem_post(&ls->ready);
	if (ls->create_err)
		return NULL;
	if (!ls->listen_err)
		ls->run_err = baton_server_run(ls->s);
	if (ls->after_run)
		ls->after_run(ls);
	baton_server_destroy(ls->s);
	return NULL;
}

/* Start a server with @nr_workers IO workers; opts fields preset in @ls
 * are kept.  Returns 0 or the create/listen error. */
static inline int ls_start(struct line_server *ls, int nr_workers)
{
	ls->opts.nr_io_workers = nr_workers;
	sem_init(&ls->ready, 0, 0);
	if (pthread_create(&ls->thread, NULL, ls_thread, ls))
		return -EAGAIN;
	sem_wait(&ls->ready);
	if (ls->create_err || ls->listen_err) {
		if (!ls->create_err)
			baton_server_stop(ls->s);
		pthread_join(ls->thread, NULL);
		return ls->create_err ? ls->create_err : ls->listen_err;
	}
	return 0;
}

/* Stop from this (foreign) thread and wait for run + destroy. */
static inline int ls_stop(struct line_server *ls)
{
	baton_server_stop(ls->s);
	pthread_join(ls->thread, NULL);
	sem_destroy(&ls->ready);
	return ls->run_err;
}

static inline int ls_dial(unsigned short port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static inline int ls_send(int fd, const char *s)
{
	size_t len = strlen(s), off = 0;

	while (off < len) {
		ssize_t n = send(fd, s + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		off += (size_t)n;
	}
	return 0;
}

/*
 * Read one line (without its '\n') into @buf within @timeout_ms.
 * Return: its length, 0 on a clean EOF before any byte, -ETIMEDOUT, or
 * -errno.  Reads byte by byte: fine for tests.
 */
static inline ssize_t ls_read_line(int fd, char *buf, size_t size, int timeout_ms)
{
	long deadline = ls_now_ms() + timeout_ms;
	size_t len = 0;

	while (len + 1 < size) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = deadline - ls_now_ms();
		ssize_t n;
		char ch;

		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return -ETIMEDOUT;
		n = read(fd, &ch, 1);
		if (n == 0)
			return len ? (ssize_t)len : 0;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (ch == '\n')
			break;
		buf[len++] = ch;
	}
	buf[len] = 0;
	return (ssize_t)len;
}

/* Whether the peer closed @fd within @timeout_ms (reads and drops data). */
static inline bool ls_wait_eof(int fd, int timeout_ms)
{
	long deadline = ls_now_ms() + timeout_ms;
	char buf[4096];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long left = deadline - ls_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) == 0)
			return false;
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return true;
		if (n < 0 && errno != EINTR)
			return true;
	}
}

/* Poll @cond (an expression) every ms until true or @timeout_ms passes. */
#define ls_wait_until(cond, timeout_ms) ({				\
	long __dl = ls_now_ms() + (timeout_ms);				\
	bool __ok;							\
	while (!(__ok = (cond)) && ls_now_ms() < __dl)			\
		usleep(1000);						\
	__ok; })

#endif /* _BATON_SELFTEST_LINE_SERVER_H */
