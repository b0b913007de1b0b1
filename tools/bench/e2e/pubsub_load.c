// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pubsub_load.c - the client side of tools/bench/e2e/pubsub.sh: pub/sub
 * fan-out throughput and PUBLISH-to-subscriber latency against any
 * Redis-protocol server (baton-kvd or redis-server), over loopback.
 *
 *   pubsub_load fanout -p PORT [-s SUBS] [-n MSGS] [-d DEPTH] [-z SIZE]
 *	SUBS subscribers SUBSCRIBE to one channel; one publisher keeps
 *	DEPTH PUBLISHes of SIZE-byte messages in flight until MSGS are
 *	published; the subscribers are read (epoll, one thread) until each
 *	has every message.  Prints "delivered=N secs=S per_sec=R".
 *   pubsub_load latency -p PORT [-n MSGS] [-z SIZE]
 *	One subscriber, one publisher: each PUBLISH is sent when the
 *	previous message reached the subscriber; the time from the send to
 *	the whole message read.  Prints "n=N p50_us=A p99_us=B
 *	sub_thread=T pub_thread=T": the two clients' io-thread in baton-kvd's
 *	CLIENT INFO ("-" for a server that does not say).
 *
 * Messages have a fixed size, so a subscriber counts messages by bytes
 * (every message is the same RESP frame).  Exit status 1 when a server
 * answers something unexpected or the run passes its time limit.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include "../common/bench.h"

#define CHANNEL		"bench"
#define TIME_LIMIT_NS	(120ull * 1000000000ull)

struct sub {
	int fd;
	uint64_t bytes;		/* message bytes read */
};

static void die(const char *what)
{
	fprintf(stderr, "pubsub_load: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fail(const char *what)
{
	fprintf(stderr, "pubsub_load: %s\n", what);
	exit(1);
}

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		die("socket");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write");
		p += w;
		n -= (size_t)w;
	}
}

/* Read exactly @n bytes (blocking). */
static void read_exact(int fd, char *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			fail("a server closed the connection");
		p += r;
		n -= (size_t)r;
	}
}

static void subscribe(int fd)
{
	static const char req[] = "*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\n" CHANNEL "\r\n";
	static const char want[] = "*3\r\n$9\r\nsubscribe\r\n$5\r\n" CHANNEL
				   "\r\n:1\r\n";
	char got[sizeof(want) - 1];

	write_all(fd, req, sizeof(req) - 1);
	read_exact(fd, got, sizeof(got));
	if (memcmp(got, want, sizeof(got)))
		fail("unexpected SUBSCRIBE reply");
}

static size_t digits(size_t n)
{
	size_t d = 1;

	while (n >= 10) {
		n /= 10;
		d++;
	}
	return d;
}

/* The PUBLISH request for a @size-byte message. */
static char *publish_req(size_t size, size_t *len)
{
	char *p = malloc(64 + size);
	int n;

	if (!p)
		die("malloc");
	n = snprintf(p, 64, "*3\r\n$7\r\nPUBLISH\r\n$5\r\n" CHANNEL "\r\n$%zu\r\n",
		     size);
	memset(p + n, 'm', size);
	memcpy(p + n + size, "\r\n", 2);
	*len = (size_t)n + size + 2;
	return p;
}

/* The bytes one message takes on a subscriber's connection. */
static size_t message_len(size_t size)
{
	return 4 + 13 + (4 + 5 + 2) + 1 + digits(size) + 2 + size + 2;
}

/* Consume whole ":N\r\n" replies from the publisher; return how many. */
static size_t publisher_replies(int fd, char *buf, size_t *have)
{
	size_t done = 0, i = 0, start = 0;
	ssize_t r = read(fd, buf + *have, 65536 - *have);

	if (r <= 0) {
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		fail("the publisher's connection closed");
	}
	*have += (size_t)r;
	for (i = 0; i + 1 < *have; i++) {
		if (buf[i] == '\r' && buf[i + 1] == '\n') {
			if (buf[start] != ':')
				fail("PUBLISH did not answer an integer");
			done++;
			start = i + 2;
			i++;
		}
	}
	memmove(buf, buf + start, *have - start);
	*have -= start;
	return done;
}

static int fanout(int port, int nsubs, uint64_t msgs, int depth, size_t size)
{
	struct epoll_event ev, evs[64];
	size_t req_len, mlen = message_len(size), have = 0;
	char *req = publish_req(size, &req_len), *buf = malloc(1 << 20);
	uint64_t sent = 0, answered = 0, want = msgs * (uint64_t)nsubs, got = 0;
	struct sub *subs = calloc((size_t)nsubs, sizeof(*subs));
	int ep = epoll_create1(0), pub, i;
	uint64_t t0, t1;

	if (!subs || !buf || ep < 0)
		die("setup");
	for (i = 0; i < nsubs; i++) {
		subs[i].fd = connect_to(port);
		subscribe(subs[i].fd);
		ev.events = EPOLLIN;
		ev.data.u32 = (uint32_t)i;
		epoll_ctl(ep, EPOLL_CTL_ADD, subs[i].fd, &ev);
	}
	pub = connect_to(port);
	ev.events = EPOLLIN;
	ev.data.u32 = (uint32_t)nsubs;
	epoll_ctl(ep, EPOLL_CTL_ADD, pub, &ev);
	t0 = bench_now_ns();
	while (got < want || answered < msgs) {
		int n, k;

		while (sent < msgs && sent - answered < (uint64_t)depth) {
			write_all(pub, req, req_len);
			sent++;
		}
		n = epoll_wait(ep, evs, 64, 1000);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (k = 0; k < n; k++) {
			uint32_t idx = evs[k].data.u32;
			ssize_t r;

			if (idx == (uint32_t)nsubs) {
				answered += publisher_replies(pub, buf, &have);
				continue;
			}
			r = read(subs[idx].fd, buf + (1 << 19), 1 << 19);
			if (r <= 0)
				fail("a subscriber's connection closed");
			got -= subs[idx].bytes / mlen;
			subs[idx].bytes += (uint64_t)r;
			got += subs[idx].bytes / mlen;
		}
		if (bench_now_ns() - t0 > TIME_LIMIT_NS)
			fail("the run passed its time limit");
	}
	t1 = bench_now_ns();
	for (i = 0; i < nsubs; i++)
		if (subs[i].bytes != msgs * mlen)
			fail("a subscriber got more bytes than it was sent");
	printf("delivered=%llu secs=%.6f per_sec=%.0f\n",
	       (unsigned long long)want, (double)(t1 - t0) / 1e9,
	       (double)want / ((double)(t1 - t0) / 1e9));
	for (i = 0; i < nsubs; i++)
		close(subs[i].fd);
	close(pub);
	close(ep);
	free(subs);
	free(buf);
	free(req);
	return 0;
}

/* The io-thread field of the client's CLIENT INFO line, or "-". */
static void io_thread(int fd, char *out, size_t size)
{
	static const char req[] = "*2\r\n$6\r\nCLIENT\r\n$4\r\nINFO\r\n";
	char line[4096], *p;
	size_t n = 0, len;

	write_all(fd, req, sizeof(req) - 1);
	do {
		read_exact(fd, line + n, 1);
	} while (line[n++] != '\n' && n < sizeof(line) - 1);
	if (line[0] != '$')
		fail("CLIENT INFO did not answer a bulk string");
	len = strtoul(line + 1, NULL, 10);
	if (len + 2 >= sizeof(line))
		fail("CLIENT INFO is too long");
	read_exact(fd, line, len + 2);
	line[len] = '\0';
	p = strstr(line, "io-thread=");
	snprintf(out, size, "%.*s", p ? (int)strcspn(p + 10, " \n") : 1,
		 p ? p + 10 : "-");
}

static int latency(int port, uint64_t msgs, size_t size)
{
	size_t req_len, mlen = message_len(size);
	char *req = publish_req(size, &req_len), *buf = malloc(mlen + 64);
	int sub = connect_to(port), pub;
	struct bench_lat lat;
	uint64_t i;
	char reply[8], sub_io[16], pub_io[16];

	if (!buf || bench_lat_init(&lat, 1 << 20))
		die("malloc");
	io_thread(sub, sub_io, sizeof(sub_io));
	subscribe(sub);
	pub = connect_to(port);
	io_thread(pub, pub_io, sizeof(pub_io));
	for (i = 0; i < msgs; i++) {
		uint64_t t0 = bench_now_ns();

		write_all(pub, req, req_len);
		read_exact(sub, buf, mlen);
		bench_lat_add(&lat, bench_now_ns() - t0);
		read_exact(pub, reply, 4);	/* ":1\r\n" */
		if (memcmp(reply, ":1\r\n", 4))
			fail("PUBLISH did not reach the one subscriber");
	}
	printf("n=%llu p50_us=%.1f p99_us=%.1f sub_thread=%s pub_thread=%s\n",
	       (unsigned long long)msgs, bench_lat_pct(&lat, 50) / 1e3,
	       bench_lat_pct(&lat, 99) / 1e3, sub_io, pub_io);
	bench_lat_free(&lat);
	close(sub);
	close(pub);
	free(buf);
	free(req);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t msgs = 100000;
	int port = 0, nsubs = 16, depth = 64, opt;
	size_t size = 64;
	const char *mode = argc > 1 ? argv[1] : "";

	optind = 2;
	while ((opt = getopt(argc, argv, "p:s:n:d:z:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 's': nsubs = atoi(optarg); break;
		case 'n': msgs = strtoull(optarg, NULL, 10); break;
		case 'd': depth = atoi(optarg); break;
		case 'z': size = strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (port <= 0 || nsubs < 1 || depth < 1 || !msgs || size < 1)
		goto usage;
	if (!strcmp(mode, "fanout"))
		return fanout(port, nsubs, msgs, depth, size);
	if (!strcmp(mode, "latency"))
		return latency(port, msgs, size);
usage:
	fprintf(stderr, "usage: pubsub_load fanout|latency -p PORT [-s SUBS] "
		"[-n MSGS] [-d DEPTH] [-z SIZE]\n");
	return 2;
}
