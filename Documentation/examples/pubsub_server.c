// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pubsub_server.c - a line-based publish/subscribe server: output the
 * server pushes to clients that did not ask for it, built only from the
 * installed headers.
 *
 * Build: `make` builds it as $(O)/Documentation/examples/pubsub_server.
 * Run:   pubsub_server [port]          (listens on 127.0.0.1; IO workers:
 *                                      the auto mode)
 * Try:   in one terminal   nc 127.0.0.1 7001, then type  SUB news
 *        in another        printf 'PUB news hello\n' | nc -q1 127.0.0.1 7001
 *
 * The protocol, one command per line:
 *   SUB <channel>        subscribe; reply "OK"
 *   PUB <channel> <text> send "MSG <channel> <text>" to every subscriber of
 *                        the channel; reply "SENT <n>"
 *   WAIT                 park this client until the next PUB to any channel
 *                        it subscribed to (a blocking read); no reply until
 *                        then, and its later lines wait too
 * A subscriber that sends nothing for 60 s gets "BYE idle" and is closed.
 *
 * What it shows: execute (main thread) writes to *other* clients with
 * baton_client_write() wherever they are (owned by an IO worker and idle,
 * on their way, or with main); the message is one refcounted object with
 * one reference per subscriber (baton_client_write_ref()); output limits
 * close a subscriber that does not read; a parked client is woken by
 * another's request; the idle callback writes a goodbye before closing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <baton/baton.h>

#define MAX_SUBS	16		/* channels per client */
#define CHANNEL_MAX	64

/* A client's subscriptions: main-only (baton_client_set_data()). */
struct sub {
	struct baton_client *c;
	char channels[MAX_SUBS][CHANNEL_MAX];
	int nr;
	int waiting;			/* parked in WAIT */
};

/* A message: one object, one reference per subscriber it is written to. */
struct msg {
	struct baton_obj obj;
	size_t len;
	char text[];
};

/* Context: main thread only (a main-only type: baton frees it on main). */
static void msg_free(struct baton_obj *obj)
{
	free(baton_container_of(obj, struct msg, obj));
}

static struct baton_type msg_type = { .name = "msg", .free = msg_free };

/* Context: the IO worker owning @c.  One request = one line, copied. */
static ssize_t ps_parse(struct baton_client *c, const char *buf, size_t len,
			void **req)
{
	const char *nl = memchr(buf, '\n', len);
	char *line;
	size_t n;

	if (!nl) {
		if (len <= 4096)
			return 0;
		baton_client_set_error(c, "ERR line too long\n", 18);
		return -EPROTO;
	}
	n = (size_t)(nl - buf);
	line = malloc(n + 1);
	if (!line)
		return -ENOMEM;
	memcpy(line, buf, n);
	line[n] = 0;
	*req = line;
	return (ssize_t)n + 1;
}

struct publish {
	const char *channel;
	struct msg *m;
	int sent;
};

static int subscribed(const struct sub *sb, const char *channel)
{
	int i;

	for (i = 0; i < sb->nr; i++)
		if (!strcmp(sb->channels[i], channel))
			return 1;
	return 0;
}

/* Context: main thread (baton_client_for_each()). */
static int publish_one(struct baton_client *c, void *arg)
{
	struct publish *p = arg;
	struct sub *sb = baton_client_data(c);

	if (!sb || !subscribed(sb, p->channel))
		return 0;
	/* Whatever thread owns @c now, this reaches it in order. */
	if (!baton_client_write_ref(c, &p->m->obj, p->m->text, p->m->len))
		p->sent++;
	if (sb->waiting) {
		sb->waiting = 0;
		baton_client_unpark(c);
	}
	return 0;
}

static void reply(struct baton_client *c, const char *s)
{
	baton_client_write(c, s, strlen(s));
}

/* Context: main thread. */
static void ps_execute(struct baton_client *c, void *req)
{
	struct sub *sb = baton_client_data(c);
	char *line = req, *channel, *text, out[32];

	if (!strncmp(line, "SUB ", 4) && sb->nr < MAX_SUBS &&
	    strlen(line + 4) < CHANNEL_MAX) {
		strcpy(sb->channels[sb->nr++], line + 4);
		reply(c, "OK\n");
	} else if (!strncmp(line, "PUB ", 4) && (text = strchr(line + 4, ' '))) {
		struct publish p = { .channel = channel = line + 4 };
		size_t n;

		*text++ = 0;
		n = strlen("MSG  \n") + strlen(channel) + strlen(text);
		p.m = malloc(sizeof(*p.m) + n + 1);
		if (!p.m || baton_obj_init(&p.m->obj, &msg_type)) {
			free(p.m);
			reply(c, "ERR out of memory\n");
		} else {
			p.m->len = (size_t)snprintf(p.m->text, n + 1, "MSG %s %s\n",
						    channel, text);
			baton_client_for_each(baton_client_server(c),
					      publish_one, &p);
			baton_obj_put(&p.m->obj);	/* the subscribers hold theirs */
			snprintf(out, sizeof(out), "SENT %d\n", p.sent);
			reply(c, out);
		}
	} else if (!strcmp(line, "WAIT")) {
		sb->waiting = 1;
		baton_client_park(c);
	} else {
		reply(c, "ERR unknown command\n");
	}
	free(req);
}

/* Context: main thread.  A request whose client closed first. */
static void ps_free_req(struct baton_client *c, void *req)
{
	free(req);
}

/* Context: main thread. */
static int ps_connect(struct baton_client *c)
{
	struct sub *sb = calloc(1, sizeof(*sb));

	if (!sb)
		return -ENOMEM;
	sb->c = c;
	baton_client_set_data(c, sb);
	return 0;
}

/* Context: main thread: forget the subscriber (and a parked waiter). */
static void ps_close(struct baton_client *c)
{
	free(baton_client_data(c));
}

/* Context: main thread: a goodbye, then the close. */
static void ps_idle(struct baton_client *c)
{
	reply(c, "BYE idle\n");
	baton_client_close(c);
}

static const struct baton_proto ps_proto = {
	.sz = sizeof(struct baton_proto),
	.parse = ps_parse,
	.execute = ps_execute,
	.free_req = ps_free_req,
	.connect = ps_connect,
	.close = ps_close,
	.idle = ps_idle,
};

int main(int argc, char **argv)
{
	static const struct baton_log_ops log = {
		.fn = baton_log_stderr, .max_level = BATON_LOG_WARN,
	};
	struct baton_server_opts opts = {
		.sz = sizeof(opts),
		.proto = &ps_proto,
		.nr_io_workers = BATON_IO_WORKERS_AUTO,
		.stop_signals = true,
		.log = &log,
		.idle_timeout_ms = 60000,
		/* Like Redis's client-output-buffer-limit pubsub 32mb 8mb 60. */
		.limit_hard = 32 << 20,
		.limit_soft = 8 << 20,
		.limit_soft_secs = 60,
	};
	unsigned short port = argc > 1 ? (unsigned short)atoi(argv[1]) : 7001;
	struct baton_server *s;
	int err;

	if (baton_type_register(&msg_type))
		return 1;
	err = baton_server_create(&opts, &s);
	if (err) {
		fprintf(stderr, "pubsub_server: create: %s\n", strerror(-err));
		return 1;
	}
	err = baton_server_listen_tcp(s, "127.0.0.1", port, &port);
	if (!err) {
		printf("pubsub_server: listening on 127.0.0.1:%u; Ctrl-C to stop\n",
		       port);
		fflush(stdout);
		err = baton_server_run(s);
	} else {
		fprintf(stderr, "pubsub_server: listen: %s\n", strerror(-err));
	}
	baton_server_destroy(s);
	return err ? 1 : 0;
}
