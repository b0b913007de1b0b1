// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_client.c - CLIENT ID, LIST, KILL, SETNAME, GETNAME, INFO and HELP,
 * on baton's client table (baton_client_for_each, baton_client_kill).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

/**
 * client_line - append one client's CLIENT LIST line (with its '\n')
 * @b: the buffer
 * @c: the client
 * @now: kvd_now_ms()
 *
 * The fields follow Redis's order; kvd leaves out those baton does not
 * expose (laddr, fd, buffer sizes) and adds io-thread (0 = main, n = IO
 * worker n - 1), as Redis 8 does.  Of the flags, kvd has O (monitor),
 * P (subscribed), x (inside MULTI), b (blocked) and d (a watched key
 * changed), in Redis's order; N is none.  sub and psub count its
 * channel and pattern subscriptions.
 *
 * Context: main thread.
 */
static void client_line(struct kvd_buf *b, struct baton_client *c, int64_t now)
{
	struct kvd_client *cl = baton_client_data(c);
	char flags[8], *f = flags;

	if (cl && cl->monitor)
		*f++ = 'O';
	if (cl && cl->pubsub)
		*f++ = 'P';
	if (cl && cl->in_multi)
		*f++ = 'x';
	if (cl && cl->blocked)
		*f++ = 'b';
	if (cl && cl->dirty_cas)
		*f++ = 'd';
	if (f == flags)
		*f++ = 'N';
	*f = '\0';
	kvd_buf_printf(b, "id=%llu addr=%s name=%s age=%lld idle=%lld flags=%s "
		       "db=0 sub=%zu psub=%zu ssub=0 multi=%lld cmd=%s user=default "
		       "redir=-1 resp=2 io-thread=%d\n",
		       (unsigned long long)baton_client_id(c),
		       baton_client_peer(c),
		       cl && cl->name ? cl->name : "",
		       cl ? (long long)(now - cl->created_ms) / 1000 : 0LL,
		       cl ? (long long)(now - cl->last_ms) / 1000 : 0LL, flags,
		       cl ? kvd_pubsub_subscriptions(cl, KVD_PS_CHANNEL) : 0,
		       cl ? kvd_pubsub_subscriptions(cl, KVD_PS_PATTERN) : 0,
		       cl && cl->in_multi ? (long long)cl->nr_queued : -1LL,
		       cl ? cl->last_cmd : "NULL",
		       baton_client_io_worker(c) + 1);
}

/* Redis's client types; kvd has no masters or replicas (CT_OTHER). */
enum client_type { CT_ANY = -1, CT_NORMAL, CT_PUBSUB, CT_OTHER };

/**
 * client_type_of - a client's type: pubsub while subscribed, else normal
 * @c: the client
 *
 * Context: main thread.
 * Return: CT_NORMAL or CT_PUBSUB.
 */
static int client_type_of(struct baton_client *c)
{
	struct kvd_client *cl = baton_client_data(c);

	return cl && cl->pubsub ? CT_PUBSUB : CT_NORMAL;
}

/**
 * struct client_set - clients collected by a walk of the client table
 * @items: the clients (valid until main returns to the loop)
 * @nr: how many
 * @cap: room in @items
 * @oom: an allocation failed
 * @type: collect_one() takes clients of this type only (CT_ANY: all)
 */
struct client_set {
	struct baton_client **items;
	size_t nr;
	size_t cap;
	bool oom;
	int type;
};

/**
 * set_add - add a client to the set
 * @cs: the set
 * @c: the client
 *
 * Context: main thread.
 */
static void set_add(struct client_set *cs, struct baton_client *c)
{
	if (cs->nr == cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 16;
		struct baton_client **n = realloc(cs->items, cap * sizeof(*n));

		if (!n) {
			cs->oom = true;
			return;
		}
		cs->items = n;
		cs->cap = cap;
	}
	cs->items[cs->nr++] = c;
}

/**
 * collect_one - baton_client_for_each() callback: add every client of
 * the set's type
 * @c: the client
 * @arg: the struct client_set
 *
 * Context: main thread.
 * Return: 0 (walk on).
 */
static int collect_one(struct baton_client *c, void *arg)
{
	struct client_set *cs = arg;

	if (cs->type == CT_ANY || client_type_of(c) == cs->type)
		set_add(cs, c);
	return 0;
}

/**
 * by_id - qsort() comparison of clients by id
 * @a: a struct baton_client **
 * @b: another
 *
 * Context: main thread.
 * Return: <0, 0 or >0.
 */
static int by_id(const void *a, const void *b)
{
	uint64_t x = baton_client_id(*(struct baton_client *const *)a);
	uint64_t y = baton_client_id(*(struct baton_client *const *)b);

	return x < y ? -1 : x > y;
}

/**
 * client_type_known - whether @a names a Redis client type
 * @a: the argument
 * @type: receives CT_NORMAL, CT_PUBSUB, or CT_OTHER (a type no kvd
 *	client has)
 *
 * Context: any thread.
 * Return: true for normal, master, replica, slave and pubsub.
 */
static bool client_type_known(const struct kvd_arg *a, int *type)
{
	*type = kvd_arg_is(a, "normal") ? CT_NORMAL :
		kvd_arg_is(a, "pubsub") ? CT_PUBSUB : CT_OTHER;
	return *type != CT_OTHER || kvd_arg_is(a, "master") ||
	       kvd_arg_is(a, "replica") || kvd_arg_is(a, "slave");
}

/**
 * cmd_client_id - CLIENT ID
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_client_id(struct kvd_ctx *x)
{
	kvd_reply_int(x->c, (long long)baton_client_id(x->c));
}

/**
 * cmd_client_info - CLIENT INFO: this client's CLIENT LIST line
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_client_info(struct kvd_ctx *x)
{
	struct kvd_buf b = { 0 };

	client_line(&b, x->c, x->now);
	kvd_buf_reply(&b, x->c);
}

/**
 * cmd_client_list - CLIENT LIST [TYPE type | ID id [id ...]]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_client_list(struct kvd_ctx *x)
{
	struct client_set cs = { 0 };
	struct kvd_buf b = { 0 };
	struct baton_server *s = baton_client_server(x->c);
	int type = CT_ANY;
	size_t i;

	if (x->argc == 4 && kvd_arg_is(&x->argv[2], "type")) {
		if (!client_type_known(&x->argv[3], &type)) {
			kvd_reply_error(x->c, "ERR Unknown client type '%s'",
					x->argv[3].s);
			return;
		}
	} else if (x->argc > 3 && kvd_arg_is(&x->argv[2], "id")) {
		int j;

		for (j = 3; j < x->argc; j++) {
			long long id;
			struct baton_client *c;

			if (!kvd_string2ll(x->argv[j].s, x->argv[j].len, &id)) {
				kvd_buf_free(&b);
				kvd_reply_error(x->c, "ERR Invalid client ID");
				return;
			}
			c = id > 0 ? baton_client_lookup(s, (uint64_t)id) : NULL;
			if (c)
				client_line(&b, c, x->now);
		}
		kvd_buf_reply(&b, x->c);
		return;
	} else if (x->argc != 2) {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	cs.type = type;
	baton_client_for_each(s, collect_one, &cs);
	if (cs.oom) {
		free(cs.items);
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	if (cs.nr)
		qsort(cs.items, cs.nr, sizeof(cs.items[0]), by_id);
	for (i = 0; i < cs.nr; i++)
		client_line(&b, cs.items[i], x->now);
	free(cs.items);
	kvd_buf_reply(&b, x->c);
}

/**
 * struct kill_filter - which clients CLIENT KILL closes
 * @id: only this id (0: any)
 * @addr: only this peer address (NULL: any)
 * @laddr: a local address was given: kvd cannot match it, nobody matches
 * @type: only clients of this type (CT_ANY: any)
 * @skipme: leave the calling client alone
 * @self: the calling client
 * @match: the matching clients
 */
struct kill_filter {
	uint64_t id;
	const char *addr;
	bool laddr;
	int type;
	bool skipme;
	struct baton_client *self;
	struct client_set match;
};

/**
 * kill_match - baton_client_for_each() callback: collect matching clients
 * @c: the client
 * @arg: the struct kill_filter
 *
 * Context: main thread.  Collects only: a walk must not close clients.
 * Return: 0 (walk on).
 */
static int kill_match(struct baton_client *c, void *arg)
{
	struct kill_filter *f = arg;

	if (f->laddr || (f->type != CT_ANY && client_type_of(c) != f->type))
		return 0;
	if (f->id && baton_client_id(c) != f->id)
		return 0;
	if (f->addr && strcmp(baton_client_peer(c), f->addr))
		return 0;
	if (f->skipme && c == f->self)
		return 0;
	set_add(&f->match, c);
	return 0;
}

/**
 * kill_parse_filters - parse CLIENT KILL's new-style filter pairs
 * @x: the command
 * @f: the filter to fill
 *
 * Context: main thread.
 * Return: 0, or -EINVAL after replying an error.
 */
static int kill_parse_filters(struct kvd_ctx *x, struct kill_filter *f)
{
	int i;

	for (i = 2; i < x->argc; i += 2) {
		const struct kvd_arg *opt = &x->argv[i], *val = &x->argv[i + 1];
		long long id;

		if (kvd_arg_is(opt, "id")) {
			if (!kvd_string2ll(val->s, val->len, &id) || id < 1) {
				kvd_reply_error(x->c, "ERR client-id should be "
						"greater than 0");
				return -EINVAL;
			}
			f->id = (uint64_t)id;
		} else if (kvd_arg_is(opt, "type")) {
			if (!client_type_known(val, &f->type)) {
				kvd_reply_error(x->c, "ERR Unknown client type '%s'",
						val->s);
				return -EINVAL;
			}
		} else if (kvd_arg_is(opt, "addr")) {
			f->addr = val->s;
		} else if (kvd_arg_is(opt, "laddr")) {
			f->laddr = true;
		} else if (kvd_arg_is(opt, "user")) {
			if (strcmp(val->s, "default")) {
				kvd_reply_error(x->c, "ERR No such user '%s'",
						val->s);
				return -EINVAL;
			}
		} else if (kvd_arg_is(opt, "skipme")) {
			if (kvd_arg_is(val, "yes")) {
				f->skipme = true;
			} else if (kvd_arg_is(val, "no")) {
				f->skipme = false;
			} else {
				kvd_reply_error(x->c, KVD_ERR_SYNTAX);
				return -EINVAL;
			}
		} else {
			kvd_reply_error(x->c, KVD_ERR_SYNTAX);
			return -EINVAL;
		}
	}
	return 0;
}

/**
 * cmd_client_kill - CLIENT KILL addr | CLIENT KILL <filter value> ...
 * @x: the command
 *
 * The old form (one address) replies OK or "No such client" and may
 * kill the caller; the new form (ID, ADDR, LADDR, TYPE, USER, SKIPME
 * pairs; SKIPME defaults to yes) replies the number killed.  Other
 * clients are closed with baton_client_kill() wherever they are (on main
 * or owned by an IO worker); the caller, if it matches, is closed after
 * this reply, as Redis does.
 *
 * Context: main thread.
 */
void cmd_client_kill(struct kvd_ctx *x)
{
	struct kill_filter f = { .type = CT_ANY, .skipme = true, .self = x->c };
	struct baton_server *s = baton_client_server(x->c);
	bool kill_self = false;
	size_t i, killed = 0;

	if (x->argc == 3) {
		f.addr = x->argv[2].s;
		f.skipme = false;
	} else if (x->argc % 2 == 0) {
		if (kill_parse_filters(x, &f))
			return;
	} else {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	baton_client_for_each(s, kill_match, &f);
	if (f.match.oom) {
		free(f.match.items);
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	for (i = 0; i < f.match.nr; i++) {
		if (f.match.items[i] == x->c) {
			kill_self = true;
			killed++;
		} else if (!baton_client_kill(s, baton_client_id(f.match.items[i]))) {
			killed++;
		}
	}
	free(f.match.items);
	if (x->argc == 3) {
		if (!killed)
			kvd_reply_error(x->c, "ERR No such client");
		else
			kvd_reply_ok(x->c);
	} else {
		kvd_reply_int(x->c, (long long)killed);
	}
	if (kill_self)
		baton_client_close(x->c);
}

/**
 * cmd_client_setname - CLIENT SETNAME name
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_client_setname(struct kvd_ctx *x)
{
	if (!kvd_set_client_name(x, &x->argv[2]))
		kvd_reply_ok(x->c);
}

/**
 * cmd_client_getname - CLIENT GETNAME
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_client_getname(struct kvd_ctx *x)
{
	if (x->cl->name)
		kvd_reply_cstr(x->c, x->cl->name);
	else
		kvd_reply_null(x->c);
}

/**
 * kvd_reply_help - reply a HELP text as an array of status lines
 * @c: the client
 * @lines: the lines, NULL-terminated
 *
 * Context: main thread.
 */
void kvd_reply_help(struct baton_client *c, const char *const *lines)
{
	long long n = 0;

	while (lines[n])
		n++;
	kvd_reply_array(c, n);
	for (n = 0; lines[n]; n++)
		kvd_reply_status(c, lines[n]);
}

/**
 * cmd_client_help - CLIENT HELP
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_client_help(struct kvd_ctx *x)
{
	static const char *const lines[] = {
		"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are: ID <client-id>, ADDR <ip:port>,",
		"    TYPE (normal|pubsub), USER default, SKIPME (YES|NO).",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (normal|pubsub)",
		"    * ID <client-id> [<client-id> ...]",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.",
		"HELP",
		"    Print this help.",
		NULL,
	};

	kvd_reply_help(x->c, lines);
}
