// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuzz_client.c - libFuzzer harness for baton's client state machine: a
 * byte script connects, sends whole and partial lines, closes, quits,
 * kills (with the KILL command of another client), and reads replies,
 * against an in-process line server (selftests/common/line_server.h).
 *
 * The server is created once per process, with FUZZ_IO_WORKERS IO
 * workers (default 1; 0 runs the IO on the main thread).  Each input runs
 * up to 64 operations on up to 4 connections, then reads every reply it
 * still expects, closes everything and waits until the server counts only
 * the checking connection.  Checked: every reply is exactly what the line
 * protocol answers, in request order; a killed client gets a prefix of
 * its expected replies and then end-of-file, never anything else; a KILL
 * of a live client succeeds; and the server keeps answering.  Every wait
 * is bounded (5 s): a server that stops answering aborts the run.
 */
#include "../../selftests/common/line_server.h"

#define NR_CONNS	4
#define MAX_OPS		64
#define WAIT_MS		5000

/**
 * struct conn - one scripted connection, seen from the client side
 * @fd: the socket, or -1
 * @id: the server's id for it
 * @want: the replies still expected, in order
 * @nwant: their bytes
 * @partial: a line was started without its newline
 * @line: that line's bytes so far (its reply is expected at the newline)
 * @nline: their number
 * @dying: killed, quit or sent a protocol error: replies end early
 */
struct conn {
	int fd;
	uint64_t id;
	char want[16384];
	size_t nwant;
	bool partial;
	char line[4096];
	size_t nline;
	bool dying;
};

static struct line_server server;
static struct conn conns[NR_CONNS];

static void fail(const char *what, const struct conn *c)
{
	fprintf(stderr, "fuzz_client: %s (conn fd %d id %llu, %zu bytes "
		"expected)\n", what, c ? c->fd : -1,
		c ? (unsigned long long)c->id : 0ULL, c ? c->nwant : 0);
	abort();
}

static void send_all(struct conn *c, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (c->dying && (errno == EPIPE || errno == ECONNRESET))
				return;
			fail("send failed", c);
		}
		p += w;
		n -= (size_t)w;
	}
}

static void expect(struct conn *c, const char *p, size_t n)
{
	if (c->nwant + n > sizeof(c->want))
		fail("expected replies overflow", c);
	memcpy(c->want + c->nwant, p, n);
	c->nwant += n;
}

/*
 * Read the replies @c expects: exactly them, in order; for a dying
 * client a prefix of them and then end-of-file (or a reset).  Closes a
 * dying client's socket.
 */
static void drain(struct conn *c)
{
	char buf[4096];
	size_t got = 0;
	long deadline = ls_now_ms() + WAIT_MS;

	while (got < c->nwant || c->dying) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		long left = deadline - ls_now_ms();
		ssize_t r;
		int ready;

		if (left <= 0)
			fail("no reply within the deadline", c);
		/* libFuzzer's -timeout alarm (SIGALRM) interrupts waits. */
		ready = poll(&p, 1, (int)left);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			fail("no reply within the deadline", c);
		r = recv(c->fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && c->dying && errno == ECONNRESET)
			break;
		if (r < 0)
			fail("recv failed", c);
		if (r == 0) {
			if (!c->dying)
				fail("unexpected end-of-file", c);
			break;
		}
		if (got + (size_t)r > c->nwant ||
		    memcmp(buf, c->want + got, (size_t)r))
			fail("reply differs from the expected one", c);
		got += (size_t)r;
	}
	memmove(c->want, c->want + got, c->nwant - got);
	c->nwant -= got;
	if (c->dying) {
		close(c->fd);
		c->fd = -1;
	}
}

/*
 * Close with a FIN, or with @rst a reset: the harness opens thousands of
 * connections a second, and a reset leaves no TIME_WAIT socket behind
 * to use up the ephemeral ports.
 */
static void conn_close(struct conn *c, bool rst)
{
	static const struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (c->fd >= 0 && rst)
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->nwant = 0;
	c->partial = false;
	c->nline = 0;
	c->dying = false;
}

static void conn_open(struct conn *c)
{
	char line[64];

	conn_close(c, true);
	do		/* a connect() interrupted by SIGALRM: a new socket */
		c->fd = ls_dial(server.port);
	while (c->fd == -EINTR);
	if (c->fd < 0) {
		fprintf(stderr, "fuzz_client: connect: %s\n", strerror(-c->fd));
		fail("connect failed", NULL);
	}
	send_all(c, "ID\n", 3);
	if (ls_read_line(c->fd, line, sizeof(line), WAIT_MS) <= 0)
		fail("no ID reply", c);
	c->id = strtoull(line, NULL, 10);
}

/* A line's text: never '\n' or NUL; the caller starts each line with
 * 'e' so that it is echoed and never taken for a command. */
static size_t take_text(const uint8_t **p, const uint8_t *end, char *out,
			size_t max)
{
	size_t n = 0, want;

	if (*p >= end)
		return 0;
	want = **p % max;
	(*p)++;
	while (n < want && *p < end) {
		char ch = (char)(**p);

		/* the server echoes with strlen(): no NUL either */
		out[n++] = (ch == '\n' || ch == '\0') ? ' ' : ch;
		(*p)++;
	}
	return n;
}

static void server_start(void)
{
	const char *env = getenv("FUZZ_IO_WORKERS");
	int nr = env ? atoi(env) : 1;

	if (ls_start(&server, nr))
		fail("cannot start the line server", NULL);
}

static void check_alive_and_empty(void)
{
	struct conn *c = &conns[0];
	long deadline = ls_now_ms() + WAIT_MS;
	char line[64];

	conn_open(c);
	for (;;) {
		send_all(c, "CLIENTS\n", 8);
		if (ls_read_line(c->fd, line, sizeof(line), WAIT_MS) <= 0)
			fail("no CLIENTS reply", c);
		if (atoi(line) == 1)
			break;
		if (ls_now_ms() > deadline)
			fail("closed clients still counted", c);
		usleep(200);
	}
	conn_close(c, true);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * LLVMFuzzerTestOneInput - run one script
 * @data: the script: an opcode byte, a connection byte, then operands
 * @size: its length
 *
 * Context: libFuzzer's thread; the server runs on its own threads.
 * Return: 0.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	static bool started;
	int ops = 0, i;

	if (!started) {
		for (i = 0; i < NR_CONNS; i++)
			conns[i].fd = -1;
		server_start();
		started = true;
	}
	while (p + 2 <= end && ops++ < MAX_OPS) {
		uint8_t op = p[0] % 8;
		struct conn *c = &conns[p[1] % NR_CONNS];
		char text[80], line[128];
		size_t n;
		int len;

		p += 2;
		if (op == 0 || c->fd < 0) {
			conn_open(c);
			if (op == 0)
				continue;
		}
		if (c->dying && op != 3) {
			drain(c);
			conn_open(c);
		}
		if (c->nwant > 4096)
			drain(c);	/* room for a BIG reply */
		switch (op) {
		case 1:		/* a whole line, echoed */
		case 2:		/* a line without its newline, for now */
			n = take_text(&p, end, text, sizeof(text) - 2);
			len = 0;
			if (!c->partial)
				line[len++] = 'e';
			memcpy(line + len, text, n);
			len += (int)n;
			if (c->nline + (size_t)len + 1 > sizeof(c->line))
				op = 1;		/* long enough: end it */
			if (op == 1)
				line[len++] = '\n';
			send_all(c, line, (size_t)len);
			memcpy(c->line + c->nline, line, (size_t)len);
			c->nline += (size_t)len;
			c->partial = op == 2;
			if (op == 1) {
				/* The reply echoes the line, however it arrived. */
				expect(c, c->line, c->nline);
				c->nline = 0;
			}
			break;
		case 3:		/* drop the socket, maybe mid-line */
			conn_close(c, p[-1] & 4);
			break;
		case 4: {	/* kill another live client with KILL */
			struct conn *v = &conns[(p[-1] / NR_CONNS + 1 +
						 (size_t)(c - conns)) % NR_CONNS];

			if (c->partial || v == c || v->fd < 0 || v->dying)
				break;
			len = snprintf(line, sizeof(line), "KILL %llu\n",
				       (unsigned long long)v->id);
			send_all(c, line, (size_t)len);
			expect(c, "KILLED 0\n", 9);
			drain(c);	/* the kill is done once answered */
			v->dying = true;
			break;
		}
		case 5:		/* read what is expected so far */
			drain(c);
			break;
		case 6:		/* QUIT: BYE, then the server closes */
			if (c->partial)
				break;
			send_all(c, "QUIT\n", 5);
			expect(c, "BYE\n", 4);
			c->dying = true;
			break;
		case 7:		/* a reply of several KiB */
			if (c->partial || p >= end)
				break;
			n = (size_t)(*p++) * 40;
			len = snprintf(line, sizeof(line), "BIG %zu\n", n);
			send_all(c, line, (size_t)len);
			while (n) {
				static const char xs[256] = { [0 ... 255] = 'x' };
				size_t k = n < sizeof(xs) ? n : sizeof(xs);

				expect(c, xs, k);
				n -= k;
			}
			expect(c, "\n", 1);
			break;
		}
	}
	for (i = 0; i < NR_CONNS; i++) {
		struct conn *c = &conns[i];

		if (c->fd < 0)
			continue;
		if (c->partial) {
			send_all(c, "\n", 1);
			c->line[c->nline++] = '\n';
			expect(c, c->line, c->nline);
			c->partial = false;
		}
		drain(c);
		conn_close(c, true);
	}
	check_alive_and_empty();
	return 0;
}
