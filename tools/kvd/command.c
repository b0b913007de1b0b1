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
	{ "unblock", "client|unblock", -3, 0, cmd_client_unblock, NULL },
	{ NULL },
};

static const struct kvd_cmd config_cmds[] = {
	{ "get", "config|get", -3, 0, cmd_config_get, NULL },
	{ "help", "config|help", 2, 0, cmd_config_help, NULL },
	{ "resetstat", "config|resetstat", 2, 0, cmd_config_resetstat, NULL },
	{ "set", "config|set", -4, 0, cmd_config_set, NULL },
	{ NULL },
};

static const struct kvd_cmd command_cmds[] = {
	{ "count", "command|count", 2, 0, cmd_command_count, NULL },
	{ "docs", "command|docs", -2, 0, cmd_command_docs, NULL },
	{ "help", "command|help", 2, 0, cmd_command_help, NULL },
	{ "info", "command|info", -2, 0, cmd_command_info, NULL },
	{ NULL },
};

static const struct kvd_cmd pubsub_cmds[] = {
	{ "channels", "pubsub|channels", -2, 0, cmd_pubsub_channels, NULL },
	{ "help", "pubsub|help", 2, 0, cmd_pubsub_help, NULL },
	{ "numpat", "pubsub|numpat", 2, 0, cmd_pubsub_numpat, NULL },
	{ "numsub", "pubsub|numsub", -2, 0, cmd_pubsub_numsub, NULL },
	{ NULL },
};

static const struct kvd_cmd object_cmds[] = {
	{ "encoding", "object|encoding", 3, 0, cmd_object_encoding, NULL },
	{ "freq", "object|freq", 3, 0, cmd_object_freq, NULL },
	{ "help", "object|help", 2, 0, cmd_object_help, NULL },
	{ "idletime", "object|idletime", 3, 0, cmd_object_idletime, NULL },
	{ "refcount", "object|refcount", 3, 0, cmd_object_refcount, NULL },
	{ NULL },
};

/* Sorted by name (COMMAND lists them in this order); looked up through
 * cmd_index below. */
static const struct kvd_cmd commands[] = {
	{ "append", "append", 3, 0, cmd_append, NULL },
	{ "auth", "auth", -2, KVD_CMD_NOAUTH, cmd_auth, NULL },
	{ "bitcount", "bitcount", -2, 0, cmd_bitcount, NULL },
	{ "blmove", "blmove", 6, 0, cmd_blmove, NULL },
	{ "blmpop", "blmpop", -5, 0, cmd_blmpop, NULL },
	{ "blpop", "blpop", -3, 0, cmd_blpop, NULL },
	{ "brpop", "brpop", -3, 0, cmd_brpop, NULL },
	{ "brpoplpush", "brpoplpush", 4, 0, cmd_brpoplpush, NULL },
	{ "client", "client", -2, 0, NULL, client_cmds },
	{ "command", "command", -1, 0, cmd_command, command_cmds },
	{ "config", "config", -2, 0, NULL, config_cmds },
	{ "copy", "copy", -3, 0, cmd_copy, NULL },
	{ "dbsize", "dbsize", 1, 0, cmd_dbsize, NULL },
	{ "decr", "decr", 2, 0, cmd_decr, NULL },
	{ "decrby", "decrby", 3, 0, cmd_decrby, NULL },
	{ "del", "del", -2, 0, cmd_del, NULL },
	{ "discard", "discard", 1, KVD_CMD_NOQUEUE, cmd_discard, NULL },
	{ "echo", "echo", 2, 0, cmd_echo, NULL },
	{ "exec", "exec", 1, KVD_CMD_NOQUEUE, cmd_exec, NULL },
	{ "exists", "exists", -2, 0, cmd_exists, NULL },
	{ "expire", "expire", -3, 0, cmd_expire, NULL },
	{ "expireat", "expireat", -3, 0, cmd_expireat, NULL },
	{ "expiretime", "expiretime", 2, 0, cmd_expiretime, NULL },
	{ "flushall", "flushall", -1, 0, cmd_flushdb, NULL },
	{ "flushdb", "flushdb", -1, 0, cmd_flushdb, NULL },
	{ "get", "get", 2, 0, cmd_get, NULL },
	{ "getbit", "getbit", 3, 0, cmd_getbit, NULL },
	{ "getdel", "getdel", 2, 0, cmd_getdel, NULL },
	{ "getex", "getex", -2, 0, cmd_getex, NULL },
	{ "getrange", "getrange", 4, 0, cmd_getrange, NULL },
	{ "getset", "getset", 3, 0, cmd_getset, NULL },
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
	{ "incrbyfloat", "incrbyfloat", 3, 0, cmd_incrbyfloat, NULL },
	{ "info", "info", -1, 0, cmd_info, NULL },
	{ "keys", "keys", 2, 0, cmd_keys, NULL },
	{ "lcs", "lcs", -3, 0, cmd_lcs, NULL },
	{ "lindex", "lindex", 3, 0, cmd_lindex, NULL },
	{ "linsert", "linsert", 5, 0, cmd_linsert, NULL },
	{ "llen", "llen", 2, 0, cmd_llen, NULL },
	{ "lmove", "lmove", 5, 0, cmd_lmove, NULL },
	{ "lmpop", "lmpop", -4, 0, cmd_lmpop, NULL },
	{ "lpop", "lpop", -2, 0, cmd_lpop, NULL },
	{ "lpos", "lpos", -3, 0, cmd_lpos, NULL },
	{ "lpush", "lpush", -3, 0, cmd_lpush, NULL },
	{ "lpushx", "lpushx", -3, 0, cmd_lpushx, NULL },
	{ "lrange", "lrange", 4, 0, cmd_lrange, NULL },
	{ "lrem", "lrem", 4, 0, cmd_lrem, NULL },
	{ "lset", "lset", 4, 0, cmd_lset, NULL },
	{ "ltrim", "ltrim", 4, 0, cmd_ltrim, NULL },
	{ "mget", "mget", -2, 0, cmd_mget, NULL },
	{ "monitor", "monitor", 1, 0, cmd_monitor, NULL },
	{ "mset", "mset", -3, 0, cmd_mset, NULL },
	{ "msetnx", "msetnx", -3, 0, cmd_msetnx, NULL },
	{ "multi", "multi", 1, KVD_CMD_NOQUEUE, cmd_multi, NULL },
	{ "object", "object", -2, 0, NULL, object_cmds },
	{ "persist", "persist", 2, 0, cmd_persist, NULL },
	{ "pexpire", "pexpire", -3, 0, cmd_pexpire, NULL },
	{ "pexpireat", "pexpireat", -3, 0, cmd_pexpireat, NULL },
	{ "pexpiretime", "pexpiretime", 2, 0, cmd_pexpiretime, NULL },
	{ "ping", "ping", -1, KVD_CMD_SUBOK, cmd_ping, NULL },
	{ "psetex", "psetex", 4, 0, cmd_psetex, NULL },
	{ "psubscribe", "psubscribe", -2, KVD_CMD_SUBOK, cmd_psubscribe, NULL },
	{ "pttl", "pttl", 2, 0, cmd_pttl, NULL },
	{ "publish", "publish", 3, 0, cmd_publish, NULL },
	{ "pubsub", "pubsub", -2, 0, NULL, pubsub_cmds },
	{ "punsubscribe", "punsubscribe", -1, KVD_CMD_SUBOK, cmd_punsubscribe,
	  NULL },
	{ "quit", "quit", -1, KVD_CMD_NOAUTH | KVD_CMD_NOQUEUE | KVD_CMD_SUBOK,
	  cmd_quit, NULL },
	{ "randomkey", "randomkey", 1, 0, cmd_randomkey, NULL },
	{ "rename", "rename", 3, 0, cmd_rename, NULL },
	{ "renamenx", "renamenx", 3, 0, cmd_renamenx, NULL },
	{ "reset", "reset", 1, KVD_CMD_NOAUTH | KVD_CMD_NOQUEUE | KVD_CMD_SUBOK,
	  cmd_reset, NULL },
	{ "rpop", "rpop", -2, 0, cmd_rpop, NULL },
	{ "rpoplpush", "rpoplpush", 3, 0, cmd_rpoplpush, NULL },
	{ "rpush", "rpush", -3, 0, cmd_rpush, NULL },
	{ "rpushx", "rpushx", -3, 0, cmd_rpushx, NULL },
	{ "sadd", "sadd", -3, 0, cmd_sadd, NULL },
	{ "scan", "scan", -2, 0, cmd_scan, NULL },
	{ "scard", "scard", 2, 0, cmd_scard, NULL },
	{ "sdiff", "sdiff", -2, 0, cmd_sdiff, NULL },
	{ "sdiffstore", "sdiffstore", -3, 0, cmd_sdiffstore, NULL },
	{ "select", "select", 2, 0, cmd_select, NULL },
	{ "set", "set", -3, 0, cmd_set, NULL },
	{ "setbit", "setbit", 4, 0, cmd_setbit, NULL },
	{ "setex", "setex", 4, 0, cmd_setex, NULL },
	{ "setnx", "setnx", 3, 0, cmd_setnx, NULL },
	{ "setrange", "setrange", 4, 0, cmd_setrange, NULL },
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
	{ "subscribe", "subscribe", -2, KVD_CMD_SUBOK, cmd_subscribe, NULL },
	{ "substr", "substr", 4, 0, cmd_getrange, NULL },
	{ "sunion", "sunion", -2, 0, cmd_sunion, NULL },
	{ "sunionstore", "sunionstore", -3, 0, cmd_sunionstore, NULL },
	{ "time", "time", 1, 0, cmd_time, NULL },
	{ "touch", "touch", -2, 0, cmd_touch, NULL },
	{ "ttl", "ttl", 2, 0, cmd_ttl, NULL },
	{ "type", "type", 2, 0, cmd_type, NULL },
	{ "unlink", "unlink", -2, 0, cmd_del, NULL },
	{ "unsubscribe", "unsubscribe", -1, KVD_CMD_SUBOK, cmd_unsubscribe, NULL },
	{ "unwatch", "unwatch", 1, 0, cmd_unwatch, NULL },
	{ "watch", "watch", -2, KVD_CMD_NOQUEUE, cmd_watch, NULL },
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

/*
 * The command table indexed by name: an open-addressing table of
 * CMD_INDEX_SIZE slots (a power of two, more than twice the commands),
 * each 0 or 1 + an index into commands[], by FNV-1a of the lower-case
 * name.  Built on first use; a lookup hashes the name once while it
 * lowers it, instead of a bsearch of strcmp()s.  Main only.
 */
#define CMD_INDEX_SIZE	1024
static unsigned short cmd_index[CMD_INDEX_SIZE];	/* __rule(MAIN) */
static unsigned char cmd_len[NR_COMMANDS];		/* __rule(MAIN) */
static bool cmd_index_built;				/* __rule(MAIN) */

static uint32_t fnv1a_step(uint32_t h, unsigned char ch)
{
	return (h ^ ch) * 16777619u;
}

static void cmd_index_build(void)
{
	size_t i, j;

	_Static_assert(NR_COMMANDS * 2 < CMD_INDEX_SIZE,
		       "the command index must stay under half full");
	for (i = 0; i < NR_COMMANDS; i++) {
		const char *n = commands[i].name;
		uint32_t h = 2166136261u;

		cmd_len[i] = (unsigned char)strlen(n);
		for (j = 0; n[j]; j++)
			h = fnv1a_step(h, (unsigned char)n[j]);
		for (j = h & (CMD_INDEX_SIZE - 1); cmd_index[j];
		     j = (j + 1) & (CMD_INDEX_SIZE - 1))
			;
		cmd_index[j] = (unsigned short)(i + 1);
	}
	cmd_index_built = true;
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
	uint32_t h = 2166136261u;
	size_t i, j;

	if (a->len >= sizeof(name))
		return NULL;
	if (!cmd_index_built)
		cmd_index_build();
	for (i = 0; i < a->len; i++) {
		char ch = a->s[i];

		if (ch >= 'A' && ch <= 'Z')
			ch += 32;
		else if (!ch)
			return NULL;		/* a NUL inside the name */
		name[i] = ch;
		h = fnv1a_step(h, (unsigned char)ch);
	}
	for (j = h & (CMD_INDEX_SIZE - 1); cmd_index[j];
	     j = (j + 1) & (CMD_INDEX_SIZE - 1)) {
		size_t k = cmd_index[j] - 1;

		if (cmd_len[k] == a->len && !memcmp(commands[k].name, name, a->len))
			return &commands[k];
	}
	return NULL;
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
 * kvd_command_find - a command by its full name, ignoring case
 * @name: "get", or "container|subcommand" ("config|get")
 * @len: its length
 *
 * Context: main thread.
 * Return: the command or subcommand, or NULL.
 */
const struct kvd_cmd *kvd_command_find(const char *name, size_t len)
{
	const char *bar = memchr(name, '|', len);
	struct kvd_arg top = { (char *)name, bar ? (size_t)(bar - name) : len };
	struct kvd_arg sub = { bar ? (char *)bar + 1 : NULL,
			       bar ? len - (size_t)(bar - name) - 1 : 0 };
	const struct kvd_cmd *cmd = cmd_lookup(&top);

	if (!cmd || !bar)
		return cmd;
	return cmd->subcmds ? subcmd_lookup(cmd->subcmds, &sub) : NULL;
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
 * kvd_lookup_notouch - look a key up for reading, counting a hit or a
 * miss, without updating its access time
 * @x: the command
 * @key: the key
 *
 * For the commands that Redis lets leave the access time alone (EXISTS,
 * TYPE, TTL, OBJECT).
 *
 * Context: main thread.
 * Return: the entry, or NULL.
 */
struct kvd_entry *kvd_lookup_notouch(struct kvd_ctx *x,
				     const struct kvd_arg *key)
{
	struct kvd_entry *e = kvd_store_find(&kvd_db, key->s, key->len, x->now);

	if (e)
		kvd_stats.hits++;
	else
		kvd_stats.misses++;
	return e;
}

/**
 * kvd_lookup_read - look a key up for reading, counting a hit or a miss
 * @x: the command
 * @key: the key
 *
 * The key's access time (OBJECT IDLETIME) becomes now.
 *
 * Context: main thread.
 * Return: the entry, or NULL.
 */
struct kvd_entry *kvd_lookup_read(struct kvd_ctx *x, const struct kvd_arg *key)
{
	struct kvd_entry *e = kvd_lookup_notouch(x, key);

	if (e)
		kvd_evict_touch(e, x->now);
	return e;
}

/**
 * kvd_lookup_write - look a key up for writing (no hit/miss counted)
 * @x: the command
 * @key: the key
 *
 * The key's access time becomes now.
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
 * kvd_call - run a command that passed every check, and count it
 * @x: the command
 * @cmd: what to run
 * @st: its counters
 *
 * A command that replied an error counts as failed (Redis's
 * failed_calls); its time runs from @x->start_us.  Then the monitors
 * see it.
 *
 * Context: main thread.
 */
void kvd_call(struct kvd_ctx *x, const struct kvd_cmd *cmd,
	      struct kvd_cmdstat *st)
{
	uint64_t errors = kvd_error_replies;

	kvd_stats.commands++;
	cmd->fn(x);
	st->calls++;
	st->usec += (uint64_t)(kvd_now_us() - x->start_us);
	if (kvd_error_replies != errors)
		st->failed++;
	kvd_monitor_feed(x, cmd);
}

/**
 * reject - refuse a command before it runs
 * @x: the command
 * @st: its counters, or NULL when it is unknown
 *
 * Inside MULTI a refused command makes EXEC abort, as in Redis.  The
 * caller replies the error.
 *
 * Context: main thread.
 */
static void reject(struct kvd_ctx *x, struct kvd_cmdstat *st)
{
	if (st)
		st->rejected++;
	if (x->cl->in_multi)
		x->cl->dirty_exec = true;
}

/**
 * dispatch - find and run (or queue) the command of a request
 * @x: the command
 * @req: its request
 *
 * The checks run in Redis's order: unknown command or subcommand, then
 * arity, then authentication, then maxmemory (which evicts first, and
 * inside MULTI refuses all but EXEC, DISCARD, QUIT and RESET), then what
 * the client's mode allows (kvd_mode_refuses()).  A client that
 * connected while no password was set counts as authenticated, and
 * clearing the password lets every client in (Redis's default user).  A command refused after it was
 * found counts as rejected in its commandstats, and a refused EXEC ends
 * the transaction, naming why (Redis's EXECABORT).  Inside MULTI a command
 * that passed is queued, except those that act on the transaction
 * itself (KVD_CMD_NOQUEUE).
 *
 * Context: main thread.
 * Return: true when @req was queued (MULTI keeps it), false when the
 * caller frees it.
 */
static bool dispatch(struct kvd_ctx *x, struct kvd_req *req)
{
	const struct kvd_cmd *cmd = cmd_lookup(&x->argv[0]), *parent = NULL;
	struct kvd_cmdstat *st;

	if (!cmd) {
		reject(x, NULL);
		reply_unknown(x);
		return false;
	}
	if (cmd->subcmds && x->argc >= 2) {
		const struct kvd_cmd *sub = subcmd_lookup(cmd->subcmds, &x->argv[1]);

		if (!sub) {
			reject(x, NULL);
			reply_unknown_sub(x);
			return false;
		}
		parent = cmd;
		cmd = sub;
	}
	x->cl->last_cmd = cmd->fullname;
	st = kvd_cmdstat(parent, cmd);
	if (!arity_ok(cmd, x->argc) || !cmd->fn) {
		reject(x, st);
		if (cmd->fn == cmd_exec)
			kvd_exec_abort(x, "wrong number of arguments for 'exec' "
				       "command");
		else
			kvd_reply_arity(x);
		return false;
	}
	if (!x->cl->authed && kvd_cfg.requirepass &&
	    !(cmd->flags & KVD_CMD_NOAUTH)) {
		reject(x, st);
		if (cmd->fn == cmd_exec)
			kvd_exec_abort(x, KVD_ERR_NOAUTH);
		else
			kvd_reply_error(x->c, KVD_ERR_NOAUTH);
		return false;
	}
	if (kvd_evict_for_command(x, cmd)) {
		reject(x, st);
		if (cmd->fn == cmd_exec)
			kvd_exec_abort(x, KVD_ERR_OOM_MAXMEMORY);
		else
			kvd_reply_error(x->c, KVD_ERR_OOM_MAXMEMORY);
		return false;
	}
	if (kvd_mode_refuses(x, cmd)) {		/* subscribed, monitor */
		reject(x, st);
		return false;
	}
	if (x->cl->in_multi && !(cmd->flags & KVD_CMD_NOQUEUE))
		return kvd_multi_queue(x, req, cmd, st);
	kvd_call(x, cmd, st);
	return false;
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
	x.start_us = kvd_now_us();
	x.now = x.start_us / 1000;
	x.in_exec = false;
	x.cl->last_ms = x.now;
	/* The parser stopped behind an AUTH: it parses again after this. */
	kvd_pstate(c)->auth_pending = false;
	/* Not freed here: baton gives it back to the worker that parsed it
	 * (kvd_release_req()); a request MULTI queued keeps a second
	 * reference.  Relaxed: baton's handoff orders this before the
	 * worker's put. */
	if (dispatch(&x, r))
		atomic_fetch_add_explicit(&r->refs, 1, memory_order_relaxed);
	kvd_block_serve(x.now);		/* the keys it pushed onto */
	kvd_mem_client_output(c);
}

/**
 * kvd_req_put - drop a reference to a request; the last frees it
 * @r: the request
 *
 * One atomic decrement that yields the new value decides the free.
 *
 * Context: any thread holding a reference.
 */
void kvd_req_put(struct kvd_req *r)
{
	/* Acq_rel: the last put sees every use the other holder made. */
	if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
		free(r);
}

/**
 * kvd_release_req - baton's release_req callback: free an executed request
 * @c: the client
 * @req: the request, or NULL
 *
 * Context: the IO worker that parsed it (main when it serves the client
 * itself, or when the client closes): thread-safe, touches only @req.
 */
void kvd_release_req(struct baton_client *c, void *req)
{
	if (req)
		kvd_req_put(req);
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
	kvd_block_forget(cl);
	kvd_pubsub_forget(NULL, cl);
	kvd_monitor_stop(NULL, cl);
	kvd_mem_client_gone(cl);
	kvd_multi_discard(cl);
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
	kvd_wall_offset_update();
	if (now - kvd_stats.ops_mark_ms >= 1000) {
		kvd_stats.ops_sec = (kvd_stats.commands - kvd_stats.ops_mark) *
				    1000 / (uint64_t)(now - kvd_stats.ops_mark_ms);
		kvd_stats.ops_mark = kvd_stats.commands;
		kvd_stats.ops_mark_ms = now;
	}
}
