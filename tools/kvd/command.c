// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * command.c - the command table and dispatch, and the baton callbacks
 * that run on the main thread: execute, free_req, connect, close, tick.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "kvd.h"

#define CMD_NAME_MAX	32
#define SWEEP_CHUNK	256		/* keys expired between clock reads */
#define SWEEP_MAX_KEYS	20000		/* at most this many per tick */
#define SWEEP_MAX_MS	2		/* and for at most this long */

static const struct kvd_cmd client_cmds[] = {
	{ "getname", "client|getname", 2, 0, cmd_client_getname, NULL },
	{ "help", "client|help", 2, 0, cmd_client_help, NULL },
	{ "id", "client|id", 2, 0, cmd_client_id, NULL },
	{ "info", "client|info", 2, 0, cmd_client_info, NULL },
	{ "kill", "client|kill", -3, 0, cmd_client_kill, NULL },
	{ "list", "client|list", -2, 0, cmd_client_list, NULL },
	{ "setname", "client|setname", 3, 0, cmd_client_setname, NULL },
	{ NULL },
};

static const struct kvd_cmd config_cmds[] = {
	{ "get", "config|get", -3, 0, cmd_config_get, NULL },
	{ "help", "config|help", 2, 0, cmd_config_help, NULL },
	{ NULL },
};

static const struct kvd_cmd command_cmds[] = {
	{ "count", "command|count", 2, 0, cmd_command_count, NULL },
	{ "docs", "command|docs", -2, 0, cmd_command_docs, NULL },
	{ "help", "command|help", 2, 0, cmd_command_help, NULL },
	{ NULL },
};

/* Sorted by name: looked up with bsearch(). */
static const struct kvd_cmd commands[] = {
	{ "append", "append", 3, 0, cmd_append, NULL },
	{ "auth", "auth", -2, KVD_CMD_NOAUTH, cmd_auth, NULL },
	{ "client", "client", -2, 0, NULL, client_cmds },
	{ "command", "command", -1, 0, cmd_command, command_cmds },
	{ "config", "config", -2, 0, NULL, config_cmds },
	{ "dbsize", "dbsize", 1, 0, cmd_dbsize, NULL },
	{ "decr", "decr", 2, 0, cmd_decr, NULL },
	{ "decrby", "decrby", 3, 0, cmd_decrby, NULL },
	{ "del", "del", -2, 0, cmd_del, NULL },
	{ "echo", "echo", 2, 0, cmd_echo, NULL },
	{ "exists", "exists", -2, 0, cmd_exists, NULL },
	{ "expire", "expire", -3, 0, cmd_expire, NULL },
	{ "flushall", "flushall", -1, 0, cmd_flushdb, NULL },
	{ "flushdb", "flushdb", -1, 0, cmd_flushdb, NULL },
	{ "get", "get", 2, 0, cmd_get, NULL },
	{ "getdel", "getdel", 2, 0, cmd_getdel, NULL },
	{ "hdel", "hdel", -3, 0, cmd_hdel, NULL },
	{ "hello", "hello", -1, KVD_CMD_NOAUTH, cmd_hello, NULL },
	{ "hexists", "hexists", 3, 0, cmd_hexists, NULL },
	{ "hget", "hget", 3, 0, cmd_hget, NULL },
	{ "hgetall", "hgetall", 2, 0, cmd_hgetall, NULL },
	{ "hincrby", "hincrby", 4, 0, cmd_hincrby, NULL },
	{ "hincrbyfloat", "hincrbyfloat", 4, 0, cmd_hincrbyfloat, NULL },
	{ "hkeys", "hkeys", 2, 0, cmd_hkeys, NULL },
	{ "hlen", "hlen", 2, 0, cmd_hlen, NULL },
	{ "hmget", "hmget", -3, 0, cmd_hmget, NULL },
	{ "hmset", "hmset", -4, 0, cmd_hmset, NULL },
	{ "hrandfield", "hrandfield", -2, 0, cmd_hrandfield, NULL },
	{ "hscan", "hscan", -3, 0, cmd_hscan, NULL },
	{ "hset", "hset", -4, 0, cmd_hset, NULL },
	{ "hsetnx", "hsetnx", 4, 0, cmd_hsetnx, NULL },
	{ "hstrlen", "hstrlen", 3, 0, cmd_hstrlen, NULL },
	{ "hvals", "hvals", 2, 0, cmd_hvals, NULL },
	{ "incr", "incr", 2, 0, cmd_incr, NULL },
	{ "incrby", "incrby", 3, 0, cmd_incrby, NULL },
	{ "info", "info", -1, 0, cmd_info, NULL },
	{ "keys", "keys", 2, 0, cmd_keys, NULL },
	{ "llen", "llen", 2, 0, cmd_llen, NULL },
	{ "lpop", "lpop", -2, 0, cmd_lpop, NULL },
	{ "lpush", "lpush", -3, 0, cmd_lpush, NULL },
	{ "lrange", "lrange", 4, 0, cmd_lrange, NULL },
	{ "mget", "mget", -2, 0, cmd_mget, NULL },
	{ "mset", "mset", -3, 0, cmd_mset, NULL },
	{ "persist", "persist", 2, 0, cmd_persist, NULL },
	{ "pexpire", "pexpire", -3, 0, cmd_pexpire, NULL },
	{ "ping", "ping", -1, 0, cmd_ping, NULL },
	{ "pttl", "pttl", 2, 0, cmd_pttl, NULL },
	{ "quit", "quit", -1, KVD_CMD_NOAUTH, cmd_quit, NULL },
	{ "rpop", "rpop", -2, 0, cmd_rpop, NULL },
	{ "rpush", "rpush", -3, 0, cmd_rpush, NULL },
	{ "sadd", "sadd", -3, 0, cmd_sadd, NULL },
	{ "scan", "scan", -2, 0, cmd_scan, NULL },
	{ "scard", "scard", 2, 0, cmd_scard, NULL },
	{ "sdiff", "sdiff", -2, 0, cmd_sdiff, NULL },
	{ "sdiffstore", "sdiffstore", -3, 0, cmd_sdiffstore, NULL },
	{ "select", "select", 2, 0, cmd_select, NULL },
	{ "set", "set", -3, 0, cmd_set, NULL },
	{ "sinter", "sinter", -2, 0, cmd_sinter, NULL },
	{ "sintercard", "sintercard", -3, 0, cmd_sintercard, NULL },
	{ "sinterstore", "sinterstore", -3, 0, cmd_sinterstore, NULL },
	{ "sismember", "sismember", 3, 0, cmd_sismember, NULL },
	{ "smembers", "smembers", 2, 0, cmd_smembers, NULL },
	{ "smismember", "smismember", -3, 0, cmd_smismember, NULL },
	{ "smove", "smove", 4, 0, cmd_smove, NULL },
	{ "spop", "spop", -2, 0, cmd_spop, NULL },
	{ "srandmember", "srandmember", -2, 0, cmd_srandmember, NULL },
	{ "srem", "srem", -3, 0, cmd_srem, NULL },
	{ "sscan", "sscan", -3, 0, cmd_sscan, NULL },
	{ "strlen", "strlen", 2, 0, cmd_strlen, NULL },
	{ "sunion", "sunion", -2, 0, cmd_sunion, NULL },
	{ "sunionstore", "sunionstore", -3, 0, cmd_sunionstore, NULL },
	{ "ttl", "ttl", 2, 0, cmd_ttl, NULL },
	{ "type", "type", 2, 0, cmd_type, NULL },
};

#define NR_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

/**
 * kvd_command_table - the top-level commands
 * @n: receives their number
 *
 * Context: any thread.
 * Return: the table, sorted by name.
 */
const struct kvd_cmd *kvd_command_table(size_t *n)
{
	*n = NR_COMMANDS;
	return commands;
}

/**
 * kvd_command_count - how many top-level commands kvd has
 *
 * Context: any thread.
 * Return: the number (COMMAND COUNT's reply).
 */
size_t kvd_command_count(void)
{
	return NR_COMMANDS;
}

/**
 * cmd_compare - bsearch() comparison of a name with a table entry
 * @key: the lower-case name
 * @elem: a struct kvd_cmd
 *
 * Context: any thread.
 * Return: <0, 0 or >0 as strcmp().
 */
static int cmd_compare(const void *key, const void *elem)
{
	return strcmp(key, ((const struct kvd_cmd *)elem)->name);
}

/**
 * cmd_lookup - find a command by name, ignoring case
 * @a: the name as the client sent it
 *
 * Context: main thread.
 * Return: the command, or NULL.
 */
static const struct kvd_cmd *cmd_lookup(const struct kvd_arg *a)
{
	char name[CMD_NAME_MAX];
	size_t i;

	if (a->len >= sizeof(name))
		return NULL;
	for (i = 0; i < a->len; i++)
		name[i] = (char)(a->s[i] >= 'A' && a->s[i] <= 'Z' ?
				 a->s[i] + 32 : a->s[i]);
	name[i] = '\0';
	if (i != strlen(name))
		return NULL;		/* a NUL inside the name */
	return bsearch(name, commands, NR_COMMANDS, sizeof(commands[0]),
		       cmd_compare);
}

/**
 * subcmd_lookup - find a container's subcommand, ignoring case
 * @subs: the container's subcommands
 * @a: the name as the client sent it
 *
 * Context: main thread.
 * Return: the subcommand, or NULL.
 */
static const struct kvd_cmd *subcmd_lookup(const struct kvd_cmd *subs,
					   const struct kvd_arg *a)
{
	for (; subs->name; subs++)
		if (kvd_arg_is(a, subs->name))
			return subs;
	return NULL;
}

/**
 * kvd_arg_is - whether an argument is @word, ignoring ASCII case
 * @a: the argument
 * @word: the lower- or upper-case word
 *
 * Context: any thread.
 * Return: true when equal.
 */
bool kvd_arg_is(const struct kvd_arg *a, const char *word)
{
	return a->len == strlen(word) && !strncasecmp(a->s, word, a->len);
}

/**
 * kvd_arg_ll - an argument as a long long, or the error reply
 * @x: the command
 * @a: the argument
 * @out: where the value goes
 *
 * Context: main thread.
 * Return: 0, or -EINVAL after replying "value is not an integer or out
 * of range".
 */
int kvd_arg_ll(struct kvd_ctx *x, const struct kvd_arg *a, long long *out)
{
	if (kvd_string2ll(a->s, a->len, out))
		return 0;
	kvd_reply_error(x->c, KVD_ERR_NOTINT);
	return -EINVAL;
}

/**
 * kvd_reply_arity - reply the wrong-arity error for the running command
 * @x: the command
 *
 * Context: main thread.
 */
void kvd_reply_arity(struct kvd_ctx *x)
{
	kvd_reply_error(x->c, "ERR wrong number of arguments for '%s' command",
			x->cl->last_cmd);
}

/**
 * kvd_lookup_read - look a key up for reading, counting a hit or a miss
 * @x: the command
 * @key: the key
 *
 * Context: main thread.
 * Return: the entry, or NULL.
 */
struct kvd_entry *kvd_lookup_read(struct kvd_ctx *x, const struct kvd_arg *key)
{
	struct kvd_entry *e = kvd_store_find(&kvd_db, key->s, key->len, x->now);

	if (e) {
		kvd_stats.hits++;
		kvd_evict_touch(e, x->now);
	} else {
		kvd_stats.misses++;
	}
	return e;
}

/**
 * kvd_lookup_write - look a key up for writing (no hit/miss counted)
 * @x: the command
 * @key: the key
 *
 * Context: main thread.
 * Return: the entry, or NULL.
 */
struct kvd_entry *kvd_lookup_write(struct kvd_ctx *x, const struct kvd_arg *key)
{
	struct kvd_entry *e = kvd_store_find(&kvd_db, key->s, key->len, x->now);

	if (e)
		kvd_evict_touch(e, x->now);
	return e;
}

/**
 * kvd_wrong_type - reply WRONGTYPE when @e holds another type
 * @x: the command
 * @e: the entry, or NULL (never the wrong type)
 * @type: the type the command needs
 *
 * Context: main thread.
 * Return: true after replying the error.
 */
bool kvd_wrong_type(struct kvd_ctx *x, const struct kvd_entry *e,
		    enum kvd_type type)
{
	if (!e || e->type == type)
		return false;
	kvd_reply_error(x->c, KVD_ERR_WRONGTYPE);
	return true;
}

/**
 * reply_unknown - Redis's "unknown command" error
 * @x: the command
 *
 * Quotes the name and the first arguments, up to 128 bytes of them.
 *
 * Context: main thread.
 */
static void reply_unknown(struct kvd_ctx *x)
{
	char args[256];
	size_t n = 0;
	int i;

	args[0] = '\0';
	for (i = 1; i < x->argc && n < 128; i++) {
		int w = snprintf(args + n, sizeof(args) - n, "'%.*s' ",
				 (int)(128 - n), x->argv[i].s);

		if (w < 0)
			break;
		n += (size_t)w;
		if (n >= sizeof(args))
			n = sizeof(args) - 1;
	}
	kvd_reply_error(x->c, "ERR unknown command '%.128s', with args "
			"beginning with: %s", x->argv[0].s, args);
}

/**
 * reply_unknown_sub - Redis's "unknown subcommand" error
 * @x: the command, a container whose subcommand was not found
 *
 * Context: main thread.
 */
static void reply_unknown_sub(struct kvd_ctx *x)
{
	char upper[CMD_NAME_MAX];
	size_t i;

	for (i = 0; i < x->argv[0].len && i < sizeof(upper) - 1; i++)
		upper[i] = (char)(x->argv[0].s[i] >= 'a' && x->argv[0].s[i] <= 'z' ?
				  x->argv[0].s[i] - 32 : x->argv[0].s[i]);
	upper[i] = '\0';
	kvd_reply_error(x->c, "ERR unknown subcommand '%.128s'. Try %s HELP.",
			x->argv[1].s, upper);
}

/**
 * arity_ok - whether @argc fits @cmd's arity
 * @cmd: the command
 * @argc: the argument count
 *
 * Context: any thread.
 * Return: true when it does.
 */
static bool arity_ok(const struct kvd_cmd *cmd, int argc)
{
	return cmd->arity > 0 ? argc == cmd->arity : argc >= -cmd->arity;
}

/**
 * dispatch - find and run the command of a request
 * @x: the command
 *
 * The checks run in Redis's order: unknown command or subcommand, then
 * arity, then authentication, then maxmemory (which evicts first).
 *
 * Context: main thread.
 */
static void dispatch(struct kvd_ctx *x)
{
	const struct kvd_cmd *cmd = cmd_lookup(&x->argv[0]);

	if (!cmd) {
		reply_unknown(x);
		return;
	}
	if (cmd->subcmds && x->argc >= 2) {
		const struct kvd_cmd *sub = subcmd_lookup(cmd->subcmds, &x->argv[1]);

		if (!sub) {
			reply_unknown_sub(x);
			return;
		}
		cmd = sub;
	}
	x->cl->last_cmd = cmd->fullname;
	if (!arity_ok(cmd, x->argc) || !cmd->fn) {
		kvd_reply_arity(x);
		return;
	}
	if (!x->cl->authed && !(cmd->flags & KVD_CMD_NOAUTH)) {
		kvd_reply_error(x->c, KVD_ERR_NOAUTH);
		return;
	}
	if (kvd_evict_for_command(x, cmd))
		return;
	kvd_stats.commands++;
	cmd->fn(x);
}

/**
 * kvd_execute - baton's execute callback: run one request
 * @c: the client
 * @req: the struct kvd_req the IO worker parsed (NULL: an empty command)
 *
 * Context: main thread; @c is owned by main.
 */
void kvd_execute(struct baton_client *c, void *req)
{
	struct kvd_req *r = req;
	struct kvd_ctx x;

	if (!r)
		return;
	x.c = c;
	x.cl = baton_client_data(c);
	x.argc = r->argc;
	x.argv = r->argv;
	x.now = kvd_now_ms();
	x.cl->last_ms = x.now;
	/* The parser stopped behind an AUTH: it parses again after this. */
	kvd_pstate(c)->auth_pending = false;
	dispatch(&x);
	free(r);
	kvd_mem_client_output(c);
}

/**
 * kvd_free_req - baton's free_req callback: a request that will not run
 * @c: the client
 * @req: the request, or NULL
 *
 * Context: main thread.
 */
void kvd_free_req(struct baton_client *c, void *req)
{
	free(req);
}

/**
 * kvd_connect - baton's connect callback: attach the client's state
 * @c: the new client
 *
 * A peer that protected mode refuses gets Redis's -DENIED text and is
 * closed once it is sent, as Redis does on accept, before the client
 * sends anything; it is counted in rejected_connections, not in
 * total_connections_received.
 *
 * Context: main thread.
 * Return: 0, or -ENOMEM to refuse the connection.
 */
int kvd_connect(struct baton_client *c)
{
	struct kvd_client *cl = calloc(1, sizeof(*cl));

	if (!cl)
		return -ENOMEM;
	cl->authed = !kvd_cfg.requirepass;
	kvd_pstate(c)->authed = cl->authed;
	cl->created_ms = cl->last_ms = kvd_now_ms();
	cl->last_cmd = "NULL";
	baton_client_set_data(c, cl);
	if (kvd_protected_refuses(baton_client_peer(c), kvd_cfg.unixsocket,
				  kvd_cfg.requirepass, kvd_cfg.protected_mode)) {
		baton_client_write(c, kvd_denied_msg, strlen(kvd_denied_msg));
		baton_client_close(c);
		kvd_stats.denied++;
		return 0;
	}
	kvd_stats.connections++;
	return 0;
}

/**
 * kvd_close - baton's close callback: free the client's state
 * @c: the closing client
 *
 * Context: main thread.
 */
void kvd_close(struct baton_client *c)
{
	struct kvd_client *cl = baton_client_data(c);

	if (!cl)
		return;
	baton_client_set_data(c, NULL);
	kvd_mem_client_gone(cl);
	free(cl->name);
	free(cl);
}

/**
 * kvd_tick - baton's tick callback: expire keys, evict what maxmemory
 * still asks for, sample the command rate
 * @s: the server
 *
 * The sweep deletes keys whose time has passed, earliest first, at most
 * SWEEP_MAX_KEYS and for about SWEEP_MAX_MS per tick, so a mass expiry
 * never stalls the main thread; lookups expire the rest lazily.
 *
 * Context: main thread.
 */
void kvd_tick(struct baton_server *s)
{
	int64_t start = kvd_now_ms(), now = start;
	unsigned int done = 0;

	while (done < SWEEP_MAX_KEYS) {
		unsigned int n = kvd_store_sweep(&kvd_db, now, SWEEP_CHUNK);

		done += n;
		if (n < SWEEP_CHUNK)
			break;
		now = kvd_now_ms();
		if (now - start >= SWEEP_MAX_MS)
			break;
	}
	kvd_evict_tick(s);
	if (now - kvd_stats.ops_mark_ms >= 1000) {
		kvd_stats.ops_sec = (kvd_stats.commands - kvd_stats.ops_mark) *
				    1000 / (uint64_t)(now - kvd_stats.ops_mark_ms);
		kvd_stats.ops_mark = kvd_stats.commands;
		kvd_stats.ops_mark_ms = now;
	}
}
