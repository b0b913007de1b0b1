// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * monitor.c - MONITOR: every command executed is sent to the clients in
 * monitor mode, one line each, as Redis 7.0 formats it:
 *
 *	+1700000000.123456 [0 127.0.0.1:50312] "SET" "k" "v\r\n"
 *
 * fed after the command ran (inside EXEC, each command then EXEC), not
 * for commands refused before running, nor for those Redis keeps out of
 * it (its "admin" and "skip_monitor" commands: CONFIG, CLIENT KILL,
 * CLIENT LIST, MONITOR ...), with AUTH's arguments and HELLO's AUTH
 * pair redacted.  The line is serialized once and written to each
 * monitor wherever it is (fanout.c).  A monitor, like a Redis replica,
 * may not run commands that touch the keyspace.  Main only.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kvd.h"

#define REDACTED	"(redacted)"

/**
 * struct monitor - a client in monitor mode
 * @c: the client
 * @cl: its state (how kvd_monitor_stop() finds it: a closing client's
 *	data pointer is already cleared)
 */
struct monitor {
	struct baton_client *c;
	struct kvd_client *cl;
};

static struct monitor *monitors;	/* __rule(MAIN) */
static size_t nr_monitors;		/* __rule(MAIN) */
static size_t monitors_cap;		/* __rule(MAIN) */

/**
 * has_flag - whether a command's Redis flags include @flag
 * @cmd: the command
 * @flag: one word ("admin")
 *
 * Context: main thread.
 * Return: true when they do.
 */
static bool has_flag(const struct kvd_cmd *cmd, const char *flag)
{
	const struct kvd_cmd_meta *m = kvd_cmd_meta(cmd->fullname);
	size_t n = strlen(flag);
	const char *p;

	for (p = m ? m->flags : ""; (p = strstr(p, flag)); p += n)
		if ((p == m->flags || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return true;
	return false;
}

/**
 * kvd_monitor_refuses - whether a monitor may not run @cmd
 * @cmd: the command
 *
 * Commands that read or write keys (Redis's readonly, write and
 * may_replicate ones), as for a Redis replica.
 *
 * Context: main thread.
 * Return: true when it is refused.
 */
bool kvd_monitor_refuses(const struct kvd_cmd *cmd)
{
	return has_flag(cmd, "write") || has_flag(cmd, "readonly") ||
	       has_flag(cmd, "may_replicate");
}

/**
 * cmd_monitor - MONITOR
 * @x: the command
 *
 * Inside EXEC it is refused, as in Redis; a client already monitoring
 * gets no reply at all (Redis's too).  A monitor is spared the idle
 * timeout.
 *
 * Context: main thread.
 */
void cmd_monitor(struct kvd_ctx *x)
{
	if (x->in_exec) {
		kvd_reply_error(x->c, "ERR MONITOR isn't allowed for DENY "
				"BLOCKING client");
		return;
	}
	if (x->cl->monitor)
		return;
	if (nr_monitors == monitors_cap) {
		size_t cap = monitors_cap ? monitors_cap * 2 : 4;
		struct monitor *m = realloc(monitors, cap * sizeof(*m));

		if (!m) {
			kvd_reply_error(x->c, KVD_ERR_OOM);
			return;
		}
		monitors = m;
		monitors_cap = cap;
	}
	monitors[nr_monitors].c = x->c;
	monitors[nr_monitors++].cl = x->cl;
	x->cl->monitor = true;
	kvd_client_idle_update(x->c, x->cl);
	kvd_reply_ok(x->c);
}

/**
 * kvd_monitor_stop - a monitor leaves monitor mode (RESET, close)
 * @c: the client, or NULL when it is closing
 * @cl: its state
 *
 * Context: main thread.
 */
void kvd_monitor_stop(struct baton_client *c, struct kvd_client *cl)
{
	size_t i;

	if (!cl->monitor)
		return;
	for (i = 0; i < nr_monitors; i++) {
		if (monitors[i].cl == cl) {
			monitors[i] = monitors[--nr_monitors];
			break;
		}
	}
	cl->monitor = false;
	if (!nr_monitors) {
		free(monitors);
		monitors = NULL;
		monitors_cap = 0;
	}
	if (c)
		kvd_client_idle_update(c, cl);
}

/**
 * redacted - which arguments a monitor line hides
 * @x: the command
 * @cmd: the command found
 * @j: an argument's index
 *
 * AUTH's arguments; HELLO's AUTH username and password, found as
 * HELLO's own parser finds them.
 *
 * Context: main thread.
 * Return: true to hide it.
 */
static bool redacted(const struct kvd_ctx *x, const struct kvd_cmd *cmd,
		     int j)
{
	int i;

	if (cmd->fn == cmd_auth)
		return j >= 1;
	if (cmd->fn != cmd_hello)
		return false;
	for (i = 2; i < x->argc; i++) {
		int more = x->argc - 1 - i;

		if (kvd_arg_is(&x->argv[i], "auth") && more >= 2) {
			if (j == i + 1 || j == i + 2)
				return true;
			i += 2;
		} else if (kvd_arg_is(&x->argv[i], "setname") && more >= 1) {
			i++;
		} else {
			break;
		}
	}
	return false;
}

/**
 * repr_len - the size of an argument quoted as Redis quotes it
 * @a: the bytes
 * @n: how many
 *
 * Context: any thread.
 * Return: the size with the quotes.
 */
static size_t repr_len(const char *a, size_t n)
{
	size_t len = 2, i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)a[i];

		if (strchr("\\\"\n\r\t\a\b", ch) && ch)
			len += 2;
		else if (ch >= 0x20 && ch < 0x7f)
			len += 1;
		else
			len += 4;
	}
	return len;
}

/**
 * repr_add - append an argument quoted: printable ASCII as it is,
 * \\ \" \n \r \t \a \b escaped, every other byte as \xHH
 * @f: the line
 * @a: the bytes
 * @n: how many
 *
 * Context: main thread.
 */
static void repr_add(struct kvd_fanout *f, const char *a, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	static const char *const esc[][2] = {
		{ "\\", "\\\\" }, { "\"", "\\\"" }, { "\n", "\\n" },
		{ "\r", "\\r" }, { "\t", "\\t" }, { "\a", "\\a" }, { "\b", "\\b" },
	};
	size_t i, k;

	kvd_fanout_add(f, "\"", 1);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)a[i];
		char out[4] = { '\\', 'x', hex[ch >> 4], hex[ch & 15] };

		for (k = 0; k < sizeof(esc) / sizeof(esc[0]); k++)
			if (ch == (unsigned char)esc[k][0][0])
				break;
		if (k < sizeof(esc) / sizeof(esc[0]))
			kvd_fanout_add(f, esc[k][1], 2);
		else if (ch >= 0x20 && ch < 0x7f)
			kvd_fanout_add(f, &a[i], 1);
		else
			kvd_fanout_add(f, out, 4);
	}
	kvd_fanout_add(f, "\"", 1);
}

/**
 * peer_id - the client's address as a monitor line shows it
 * @c: the client
 * @buf: room for a Unix socket's "unix:" prefix and path
 * @size: its size
 *
 * "127.0.0.1:50312", "[::1]:50312", or "unix:/path" for a Unix socket
 * (baton gives "/path:0", as Redis's CLIENT LIST does).
 *
 * Context: main thread.
 * Return: the text.
 */
static const char *peer_id(struct baton_client *c, char *buf, size_t size)
{
	const char *peer = baton_client_peer(c);
	const char *colon = strrchr(peer, ':');
	struct in_addr v4;
	char host[INET_ADDRSTRLEN];
	size_t n = colon ? (size_t)(colon - peer) : 0;

	if (peer[0] == '[')
		return peer;
	if (colon && n < sizeof(host)) {
		memcpy(host, peer, n);
		host[n] = '\0';
		if (inet_pton(AF_INET, host, &v4) == 1)
			return peer;
	}
	n = strlen(peer);
	if (n >= 2 && !strcmp(peer + n - 2, ":0"))
		n -= 2;
	snprintf(buf, size, "unix:%.*s", (int)n, peer);
	return buf;
}

/**
 * kvd_monitor_feed - send a command that ran to every monitor
 * @x: the command
 * @cmd: what ran
 *
 * Context: main thread, after the command ran.
 */
void kvd_monitor_feed(struct kvd_ctx *x, const struct kvd_cmd *cmd)
{
	char stamp[64], addr[256];
	const char *peer;
	struct kvd_fanout f;
	struct timespec ts;
	size_t len, i;
	int j, n;

	if (!nr_monitors || has_flag(cmd, "admin") ||
	    has_flag(cmd, "skip_monitor"))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	peer = peer_id(x->c, addr, sizeof(addr));
	n = snprintf(stamp, sizeof(stamp), "+%lld.%06ld [0 ",
		     (long long)ts.tv_sec, ts.tv_nsec / 1000);
	len = (size_t)n + strlen(peer) + 1 + 2;
	for (j = 0; j < x->argc; j++)
		len += 1 + (redacted(x, cmd, j) ? sizeof(REDACTED) + 1 :
			    repr_len(x->argv[j].s, x->argv[j].len));
	if (kvd_fanout_init(&f, len))
		return;
	kvd_fanout_add(&f, stamp, (size_t)n);
	kvd_fanout_add(&f, peer, strlen(peer));
	kvd_fanout_add(&f, "]", 1);
	for (j = 0; j < x->argc; j++) {
		kvd_fanout_add(&f, " ", 1);
		if (redacted(x, cmd, j))
			kvd_fanout_add(&f, "\"" REDACTED "\"", sizeof(REDACTED) + 1);
		else
			repr_add(&f, x->argv[j].s, x->argv[j].len);
	}
	kvd_fanout_add(&f, "\r\n", 2);
	for (i = 0; i < nr_monitors; i++)
		kvd_fanout_send(&f, monitors[i].c);
	kvd_fanout_done(&f);
}
