// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * echo_server.c - the smallest useful baton program: a line echo server.
 *
 * Build: `make` builds it as $(O)/Documentation/examples/echo_server.
 * Run:   echo_server [port] [io-workers]   (listens on 127.0.0.1)
 * Try:   printf 'hello\nworld\n' | nc -q1 127.0.0.1 7000
 *
 * parse runs on the IO worker that owns the connection and cuts the input
 * into lines; execute runs on the main thread and queues the reply; the
 * worker writes it.  Ctrl-C stops the loop (stop_signals).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <baton/baton.h>

/* Context: the IO worker owning @c.  One request = one line, copied. */
static ssize_t echo_parse(struct baton_client *c, const char *buf, size_t len,
			  void **req)
{
	const char *nl = memchr(buf, '\n', len);
	size_t n;
	char *line;

	if (!nl)
		return len > 4096 ? -EPROTO : 0;	/* lines are short */
	n = (size_t)(nl - buf) + 1;
	line = malloc(n + sizeof(size_t));
	if (!line)
		return -ENOMEM;
	memcpy(line, &n, sizeof(n));
	memcpy(line + sizeof(n), buf, n);
	*req = line;
	return (ssize_t)n;
}

/* Context: main thread.  Reply with the line itself. */
static void echo_execute(struct baton_client *c, void *req)
{
	size_t n;

	memcpy(&n, req, sizeof(n));
	baton_client_write(c, (char *)req + sizeof(n), n);
	free(req);
}

/* Context: main thread.  A request whose client closed first. */
static void echo_free_req(struct baton_client *c, void *req)
{
	free(req);
}

static const struct baton_proto echo_proto = {
	.sz = sizeof(struct baton_proto),
	.parse = echo_parse,
	.execute = echo_execute,
	.free_req = echo_free_req,
};

int main(int argc, char **argv)
{
	static const struct baton_log_ops log = {
		.fn = baton_log_stderr, .max_level = BATON_LOG_WARN,
	};
	struct baton_server_opts opts = {
		.sz = sizeof(opts),
		.proto = &echo_proto,
		.nr_io_workers = argc > 2 ? atoi(argv[2]) : BATON_IO_WORKERS_DEFAULT,
		.stop_signals = true,
		.log = &log,
	};
	unsigned short port = argc > 1 ? (unsigned short)atoi(argv[1]) : 7000;
	struct baton_server *s;
	int err;

	err = baton_server_create(&opts, &s);
	if (err) {
		fprintf(stderr, "echo_server: create: %s\n", strerror(-err));
		return 1;
	}
	err = baton_server_listen_tcp(s, "127.0.0.1", port, &port);
	if (!err) {
		printf("echo_server: listening on 127.0.0.1:%u with %d IO workers; "
		       "Ctrl-C to stop\n", port, baton_server_nr_io_workers(s));
		fflush(stdout);
		err = baton_server_run(s);
	} else {
		fprintf(stderr, "echo_server: listen: %s\n", strerror(-err));
	}
	baton_server_destroy(s);
	return err ? 1 : 0;
}
