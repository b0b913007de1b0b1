// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * config.c - the configuration parameters, one table entry each, and
 * CONFIG GET, SET, RESETSTAT and HELP on that table.
 *
 * A parameter is a name, a getter and, unless it is immutable, a check
 * that parses a new value without applying it and an apply that cannot
 * fail.  CONFIG SET checks every pair first and applies them only when
 * all are good, so a failing SET changes nothing (Redis 7.0's
 * all-or-nothing multi-parameter SET, with its error texts).
 *
 * Threads: everything here runs on main.  A parameter another thread
 * reads is an atomic in kvd_cfg (proto-max-bulk-len, which the IO-side
 * parser reads) or immutable; see struct kvd_config.
 */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "kvd.h"

#define REASON_MAX	256

/* The reason of the last failed check, for its error reply. */
static char reason[REASON_MAX];		/* __rule(MAIN) */
/* requirepass when CONFIG SET gave it (else it points into argv). */
static char *requirepass_copy;		/* __rule(MAIN) */

/**
 * kvd_param_ll - parse an integer parameter as Redis does
 * @a: the value
 * @min: the smallest value allowed
 * @max: the largest
 * @out: the value
 * @why: receives the reason on failure
 *
 * Context: main thread.
 * Return: 0, or -EINVAL.
 */
int kvd_param_ll(const struct kvd_arg *a, long long min, long long max,
		 long long *out, const char **why)
{
	long long v;

	if (!kvd_string2ll(a->s, a->len, &v)) {
		*why = "argument couldn't be parsed into an integer";
		return -EINVAL;
	}
	if (v < min || v > max) {
		snprintf(reason, sizeof(reason), "argument must be between %lld "
			 "and %lld inclusive", min, max);
		*why = reason;
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/**
 * kvd_param_memory - parse a memory-size parameter as Redis does
 * @a: the value: digits and an optional unit (b, k, kb, m, mb, g, gb;
 *	k = 1000, kb = 1024, any case)
 * @min: the smallest value allowed
 * @max: the largest
 * @out: the value
 * @why: receives the reason on failure
 *
 * As in Redis, no sign or space is allowed, no digits read as 0, and a
 * number too big for 64 bits is caught by the range check.
 *
 * Context: main thread.
 * Return: 0, or -EINVAL.
 */
int kvd_param_memory(const struct kvd_arg *a, long long min, long long max,
		     long long *out, const char **why)
{
	static const struct { const char *unit; unsigned long long mul; } units[] = {
		{ "", 1 }, { "b", 1 }, { "k", 1000 }, { "kb", 1024 },
		{ "m", 1000 * 1000 }, { "mb", 1024 * 1024 },
		{ "g", 1000ULL * 1000 * 1000 }, { "gb", 1024ULL * 1024 * 1024 },
	};
	unsigned long long v = 0, mul = 0;
	bool big = false;
	size_t i, n = 0;

	while (n < a->len && a->s[n] >= '0' && a->s[n] <= '9')
		n++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcasecmp(a->s + n, units[i].unit))
			mul = units[i].mul;
	if (!mul || strlen(a->s) != a->len) {
		*why = "argument must be a memory value";
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		unsigned int d = (unsigned int)(a->s[i] - '0');

		if (v > (ULLONG_MAX - d) / 10)
			big = true;
		v = v * 10 + d;
	}
	if (big || v > (unsigned long long)LLONG_MAX / mul ||
	    (long long)(v * mul) < min || (long long)(v * mul) > max) {
		snprintf(reason, sizeof(reason), "argument must be between %lld "
			 "and %lld inclusive", min, max);
		*why = reason;
		return -EINVAL;
	}
	*out = (long long)(v * mul);
	return 0;
}

/**
 * kvd_param_bool - parse a yes/no parameter (any case)
 * @a: the value
 * @out: the value
 * @why: receives the reason on failure
 *
 * Context: main thread.
 * Return: 0, or -EINVAL.
 */
int kvd_param_bool(const struct kvd_arg *a, bool *out, const char **why)
{
	if (kvd_arg_is(a, "yes") || kvd_arg_is(a, "no")) {
		*out = kvd_arg_is(a, "yes");
		return 0;
	}
	*why = "argument must be 'yes' or 'no'";
	return -EINVAL;
}

/**
 * kvd_param_enum - parse a parameter that is one of a list of words
 * @a: the value (any case)
 * @words: the words, NULL-terminated
 * @out: the index of the word
 * @why: receives the reason on failure
 *
 * Context: main thread.
 * Return: 0, or -EINVAL.
 */
int kvd_param_enum(const struct kvd_arg *a, const char *const *words,
		   int *out, const char **why)
{
	size_t n;
	int i;

	for (i = 0; words[i]; i++) {
		if (kvd_arg_is(a, words[i])) {
			*out = i;
			return 0;
		}
	}
	n = (size_t)snprintf(reason, sizeof(reason),
			     "argument(s) must be one of the following: ");
	for (i = 0; words[i] && n < sizeof(reason); i++)
		n += (size_t)snprintf(reason + n, sizeof(reason) - n, "%s%s",
				      i ? ", " : "", words[i]);
	*why = reason;
	return -EINVAL;
}

/* ------------------------------------------------------------ getters */

static const char *get_bind(char *buf, size_t size)
{
	return kvd_cfg.bind;
}

static const char *get_port(char *buf, size_t size)
{
	snprintf(buf, size, "%u", kvd_cfg.port);
	return buf;
}

static const char *get_unixsocket(char *buf, size_t size)
{
	return kvd_cfg.unixsocket ? kvd_cfg.unixsocket : "";
}

static const char *get_maxclients(char *buf, size_t size)
{
	snprintf(buf, size, "%u", kvd_cfg.maxclients);
	return buf;
}

/* In Redis's sense: the threads doing IO, main included; or "auto". */
static const char *get_io_threads(char *buf, size_t size)
{
	if (kvd_cfg.io_threads == BATON_IO_WORKERS_AUTO)
		return "auto";
	snprintf(buf, size, "%d", kvd_cfg.io_threads + 1);
	return buf;
}

static const char *get_requirepass(char *buf, size_t size)
{
	return kvd_cfg.requirepass ? kvd_cfg.requirepass : "";
}

static const char *get_empty(char *buf, size_t size)
{
	return "";
}

static const char *get_no(char *buf, size_t size)
{
	return "no";
}

static const char *get_databases(char *buf, size_t size)
{
	return "1";
}

static const char *get_max_bulk(char *buf, size_t size)
{
	snprintf(buf, size, "%lld", kvd_max_bulk_len());
	return buf;
}

static const char *get_qbuf(char *buf, size_t size)
{
	snprintf(buf, size, "%zu", kvd_cfg.qbuf_limit);
	return buf;
}

static const char *get_timeout(char *buf, size_t size)
{
	snprintf(buf, size, "%u", kvd_cfg.timeout);
	return buf;
}

static const char *get_hz(char *buf, size_t size)
{
	snprintf(buf, size, "%d", KVD_HZ);
	return buf;
}

/* ------------------------------------------------------------ setters */

/**
 * check_requirepass - a new password ("" = none); any bytes, as Redis
 * @a: the value
 * @v: receives a copy of it
 * @why: unused: only running out of memory fails
 *
 * Context: main thread.
 * Return: 0 or -ENOMEM.
 */
static int check_requirepass(const struct kvd_arg *a, struct kvd_param_val *v,
			     const char **why)
{
	v->s = NULL;
	if (!a->len)
		return 0;
	v->s = malloc(a->len + 1);
	if (!v->s)
		return -ENOMEM;
	memcpy(v->s, a->s, a->len + 1);
	return 0;
}

/**
 * apply_requirepass - make the checked password the password
 * @v: what check_requirepass() made
 *
 * Clients already authenticated stay so, and those that connected while
 * no password was needed count as authenticated (Redis's default user).
 * Only main reads kvd_cfg.requirepass.
 *
 * Context: main thread.
 */
static void apply_requirepass(struct kvd_param_val *v)
{
	free(requirepass_copy);
	requirepass_copy = v->s;
	kvd_cfg.requirepass = v->s;
	v->s = NULL;
}

static void discard_str(struct kvd_param_val *v)
{
	free(v->s);
	v->s = NULL;
}

/**
 * check_max_bulk - proto-max-bulk-len, with Redis's bounds
 * @a: the value
 * @v: receives it
 * @why: receives the reason on failure
 *
 * Context: main thread.
 * Return: 0 or -EINVAL.
 */
static int check_max_bulk(const struct kvd_arg *a, struct kvd_param_val *v,
			  const char **why)
{
	return kvd_param_memory(a, 1024 * 1024, LLONG_MAX, &v->n, why);
}

/**
 * apply_max_bulk - publish a new proto-max-bulk-len to the parsers
 * @v: the checked value
 *
 * Relaxed: the limit is a standalone value that publishes nothing else;
 * each IO worker's parser uses it from the next bulk header it reads.
 *
 * Context: main thread.
 */
static void apply_max_bulk(struct kvd_param_val *v)
{
	atomic_store_explicit(&kvd_cfg.proto_max_bulk_len, v->n,
			      memory_order_relaxed);
}

/**
 * check_save - save: kvd keeps nothing on disk, so only "" (no snapshots)
 * @a: the value
 * @v: unused
 * @why: receives the reason on failure
 *
 * Context: main thread.
 * Return: 0 or -EINVAL.
 */
static int check_save(const struct kvd_arg *a, struct kvd_param_val *v,
		      const char **why)
{
	if (a->len) {
		*why = "baton-kvd keeps no data on disk";
		return -EINVAL;
	}
	return 0;
}

/**
 * check_appendonly - appendonly: a yes/no, of which kvd takes only no
 * @a: the value
 * @v: unused
 * @why: receives the reason on failure
 *
 * Context: main thread.
 * Return: 0 or -EINVAL.
 */
static int check_appendonly(const struct kvd_arg *a, struct kvd_param_val *v,
			    const char **why)
{
	bool yes;

	if (kvd_param_bool(a, &yes, why))
		return -EINVAL;
	if (yes) {
		*why = "baton-kvd keeps no data on disk";
		return -EINVAL;
	}
	return 0;
}

/**
 * check_timeout - timeout: seconds a client may stay idle, 0 = forever
 * @a: the value
 * @v: receives it
 * @why: receives the reason on failure
 *
 * Context: main thread.
 * Return: 0 or -EINVAL.
 */
static int check_timeout(const struct kvd_arg *a, struct kvd_param_val *v,
			 const char **why)
{
	return kvd_param_ll(a, 0, INT_MAX, &v->n, why);
}

/**
 * apply_timeout - the new idle timeout, for every client
 * @v: the checked value
 *
 * baton's idle scan closes clients idle for that long (or calls
 * kvd_idle()); subscribed, blocked and monitoring clients are spared
 * (modes.c).
 *
 * Context: main thread.
 */
static void apply_timeout(struct kvd_param_val *v)
{
	kvd_cfg.timeout = (unsigned int)v->n;
	baton_server_set_idle_timeout(kvd_srv, (uint64_t)v->n * 1000);
}

/**
 * check_io_threads - io-threads N (Redis's sense: main included, so N - 1
 * IO workers) or auto
 * @a: the value
 * @v: receives the worker count, or BATON_IO_WORKERS_AUTO
 * @why: receives the reason on failure
 *
 * Context: main thread.
 * Return: 0 or -EINVAL.
 */
static int check_io_threads(const struct kvd_arg *a, struct kvd_param_val *v,
			    const char **why)
{
	struct baton_stats st = { .sz = sizeof(st) };
	long long n;

	if (kvd_arg_is(a, "auto")) {
		v->n = BATON_IO_WORKERS_AUTO;
		return 0;
	}
	if (baton_server_stats(kvd_srv, &st))
		return -EINVAL;
	if (kvd_param_ll(a, 1, (long long)st.nr_workers + 1, &n, why))
		return -EINVAL;
	v->n = n - 1;
	return 0;
}

/**
 * apply_io_threads - change the IO workers at run time
 * @v: what check_io_threads() made
 *
 * Clients move between threads through baton's handoffs: no reply is
 * dropped or reordered.  A worker thread that cannot start leaves fewer
 * workers (logged); the setting still records what was asked.
 *
 * Context: main thread.
 */
static void apply_io_threads(struct kvd_param_val *v)
{
	int err = baton_server_set_io_workers(kvd_srv, (int)v->n);

	if (err)
		fprintf(stderr, "baton-kvd: io-threads: %s\n", strerror(-err));
	kvd_cfg.io_threads = (int)v->n;
}

static void apply_nothing(struct kvd_param_val *v)
{
}

/* ------------------------------------------------------------ maxmemory */

static const char *get_maxmemory(char *buf, size_t size)
{
	snprintf(buf, size, "%llu", kvd_cfg.maxmemory);
	return buf;
}

/**
 * check_maxmemory - maxmemory, a memory value as Redis reads it
 * @a: the value
 * @v: receives it
 * @why: receives the reason on failure
 *
 * Context: main thread.
 * Return: 0 or -EINVAL.
 */
static int check_maxmemory(const struct kvd_arg *a, struct kvd_param_val *v,
			   const char **why)
{
	return kvd_param_memory(a, 0, LLONG_MAX, &v->n, why);
}

/**
 * apply_maxmemory - the new limit
 * @v: the checked value
 *
 * A limit below the memory in use takes effect as Redis's does: the next
 * command, and the tick, evict down to it (evict.c).
 *
 * Context: main thread.
 */
static void apply_maxmemory(struct kvd_param_val *v)
{
	kvd_cfg.maxmemory = (unsigned long long)v->n;
}

static const char *get_policy(char *buf, size_t size)
{
	return kvd_evict_policy_name(kvd_cfg.maxmemory_policy);
}

/**
 * check_policy - maxmemory-policy: one of Redis's eight names
 * @a: the value
 * @v: receives the policy
 * @why: receives the reason on failure
 *
 * Context: main thread.
 * Return: 0 or -EINVAL.
 */
static int check_policy(const struct kvd_arg *a, struct kvd_param_val *v,
			const char **why)
{
	const char *words[KVD_EVICT_NR_POLICIES + 1];
	int i;

	for (i = 0; i < KVD_EVICT_NR_POLICIES; i++)
		words[i] = kvd_evict_policy_name((enum kvd_evict_policy)i);
	words[i] = NULL;
	if (kvd_param_enum(a, words, &i, why))
		return -EINVAL;
	v->n = i;
	return 0;
}

static void apply_policy(struct kvd_param_val *v)
{
	kvd_cfg.maxmemory_policy = (enum kvd_evict_policy)v->n;
}

static const char *get_samples(char *buf, size_t size)
{
	snprintf(buf, size, "%d", kvd_cfg.maxmemory_samples);
	return buf;
}

static int check_samples(const struct kvd_arg *a, struct kvd_param_val *v,
			 const char **why)
{
	return kvd_param_ll(a, 1, INT_MAX, &v->n, why);
}

static void apply_samples(struct kvd_param_val *v)
{
	kvd_cfg.maxmemory_samples = (int)v->n;
}

static const char *get_lfu_log_factor(char *buf, size_t size)
{
	snprintf(buf, size, "%d", kvd_cfg.lfu_log_factor);
	return buf;
}

static const char *get_lfu_decay_time(char *buf, size_t size)
{
	snprintf(buf, size, "%d", kvd_cfg.lfu_decay_time);
	return buf;
}

static int check_nonneg_int(const struct kvd_arg *a, struct kvd_param_val *v,
			    const char **why)
{
	return kvd_param_ll(a, 0, INT_MAX, &v->n, why);
}

static void apply_lfu_log_factor(struct kvd_param_val *v)
{
	kvd_cfg.lfu_log_factor = (int)v->n;
}

static void apply_lfu_decay_time(struct kvd_param_val *v)
{
	kvd_cfg.lfu_decay_time = (int)v->n;
}

/* ------------------------------------------------------------ the socket */

static const char *get_protected_mode(char *buf, size_t size)
{
	return kvd_cfg.protected_mode ? "yes" : "no";
}

/**
 * check_yesno - a yes/no parameter
 * @a: the value
 * @v: receives 1 or 0
 * @why: receives the reason on failure
 *
 * Context: main thread.
 * Return: 0 or -EINVAL.
 */
static int check_yesno(const struct kvd_arg *a, struct kvd_param_val *v,
		       const char **why)
{
	bool yes;

	if (kvd_param_bool(a, &yes, why))
		return -EINVAL;
	v->n = yes;
	return 0;
}

/* Only main reads it, when a client connects: new connections only. */
static void apply_protected_mode(struct kvd_param_val *v)
{
	kvd_cfg.protected_mode = v->n;
}

/* Redis shows it in octal ("700"); 0 when kvd leaves the umask's mode. */
static const char *get_unixsocketperm(char *buf, size_t size)
{
	snprintf(buf, size, "%o", kvd_cfg.unixsocketperm);
	return buf;
}

/*
 * The parameters.  A NULL check means immutable: CONFIG SET answers
 * Redis's "can't set immutable config".  bind, port, maxclients,
 * client-query-buffer-limit and hz are settable in Redis but fixed in
 * kvd once baton's server is created.
 */
static const struct kvd_param params[] = {
	{ "bind", get_bind, NULL, NULL, NULL },
	{ "port", get_port, NULL, NULL, NULL },
	{ "unixsocket", get_unixsocket, NULL, NULL, NULL },
	{ "maxclients", get_maxclients, NULL, NULL, NULL },
	{ "io-threads", get_io_threads, check_io_threads, apply_io_threads,
	  NULL },
	{ "requirepass", get_requirepass, check_requirepass, apply_requirepass,
	  discard_str },
	{ "save", get_empty, check_save, apply_nothing, NULL },
	{ "appendonly", get_no, check_appendonly, apply_nothing, NULL },
	{ "databases", get_databases, NULL, NULL, NULL },
	{ "proto-max-bulk-len", get_max_bulk, check_max_bulk, apply_max_bulk,
	  NULL },
	{ "client-query-buffer-limit", get_qbuf, NULL, NULL, NULL },
	{ "maxmemory", get_maxmemory, check_maxmemory, apply_maxmemory, NULL },
	{ "hz", get_hz, NULL, NULL, NULL },
	{ "timeout", get_timeout, check_timeout, apply_timeout, NULL },
	{ "maxmemory-policy", get_policy, check_policy, apply_policy, NULL },
	{ "maxmemory-samples", get_samples, check_samples, apply_samples, NULL },
	{ "lfu-log-factor", get_lfu_log_factor, check_nonneg_int,
	  apply_lfu_log_factor, NULL },
	{ "lfu-decay-time", get_lfu_decay_time, check_nonneg_int,
	  apply_lfu_decay_time, NULL },
	{ "protected-mode", get_protected_mode, check_yesno,
	  apply_protected_mode, NULL },
	{ "unixsocketperm", get_unixsocketperm, NULL, NULL, NULL },
};

#define NR_PARAMS	(sizeof(params) / sizeof(params[0]))

/**
 * param_lookup - a parameter by name, ignoring case
 * @a: the name
 *
 * Context: main thread.
 * Return: its index, or -1.
 */
static int param_lookup(const struct kvd_arg *a)
{
	size_t i;

	for (i = 0; i < NR_PARAMS; i++)
		if (kvd_arg_is(a, params[i].name))
			return (int)i;
	return -1;
}

/**
 * cmd_config_get - CONFIG GET parameter [parameter ...]
 * @x: the command
 *
 * Replies name/value pairs for the parameters asked for, each once
 * however many arguments match it.  As in Redis, an argument without
 * glob characters is looked up ignoring case and answered under the
 * name as given; a pattern (ignoring case too) answers the parameters'
 * own names.
 *
 * Context: main thread.
 */
void cmd_config_get(struct kvd_ctx *x)
{
	const char *names[NR_PARAMS];
	bool hit[NR_PARAMS] = { false };
	size_t order[NR_PARAMS], i, n = 0;
	char num[32];
	int j;

	for (j = 2; j < x->argc; j++) {
		const struct kvd_arg *a = &x->argv[j];
		bool pattern = strpbrk(a->s, "[*?") != NULL;

		for (i = 0; i < NR_PARAMS; i++) {
			if (hit[i])
				continue;
			if (pattern ? !kvd_glob_match(a->s, a->len, params[i].name,
						      strlen(params[i].name), true)
				    : !kvd_arg_is(a, params[i].name))
				continue;
			hit[i] = true;
			names[i] = pattern ? params[i].name : a->s;
			order[n++] = i;
		}
	}
	kvd_reply_array(x->c, 2LL * (long long)n);
	for (i = 0; i < n; i++) {
		kvd_reply_cstr(x->c, names[order[i]]);
		kvd_reply_cstr(x->c, params[order[i]].get(num, sizeof(num)));
	}
}

/**
 * reply_set_failed - Redis's CONFIG SET error naming an argument
 * @x: the command
 * @name: the parameter as the client wrote it
 * @why: the reason
 *
 * Context: main thread.
 */
static void reply_set_failed(struct kvd_ctx *x, const char *name,
			     const char *why)
{
	kvd_reply_error(x->c, "ERR CONFIG SET failed (possibly related to "
			"argument '%s') - %s", name, why);
}

/**
 * cmd_config_set - CONFIG SET parameter value [parameter value ...]
 * @x: the command
 *
 * Redis 7.0's order: the names first, where the first problem in
 * argument order is reported (an unknown name, an immutable parameter,
 * one named twice); then the values, the first bad one reported; nothing
 * is applied unless every pair is good.
 *
 * Context: main thread.
 */
void cmd_config_set(struct kvd_ctx *x)
{
	struct kvd_param_val vals[NR_PARAMS];
	int n = (x->argc - 2) / 2, idx[NR_PARAMS], i, err = 0;
	unsigned long long seen = 0;
	const char *why = NULL;

	_Static_assert(NR_PARAMS <= 64, "the seen mask has 64 bits");
	if (x->argc % 2) {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	for (i = 0; i < n; i++) {
		const struct kvd_arg *name = &x->argv[2 + 2 * i];
		int k = param_lookup(name);

		if (k < 0) {
			kvd_reply_error(x->c, "ERR Unknown option or number of "
					"arguments for CONFIG SET - '%s'", name->s);
			return;
		}
		if (!params[k].check) {
			reply_set_failed(x, name->s, "can't set immutable config");
			return;
		}
		if (seen & (1ULL << k)) {
			reply_set_failed(x, name->s, "duplicate parameter");
			return;
		}
		seen |= 1ULL << k;
		idx[i] = k;		/* distinct, so i < NR_PARAMS */
	}
	memset(vals, 0, sizeof(vals));
	for (i = 0; i < n; i++) {
		err = params[idx[i]].check(&x->argv[3 + 2 * i], &vals[i], &why);
		if (err)
			break;
	}
	if (err) {
		int failed = i;

		for (i = 0; i < failed; i++)
			if (params[idx[i]].discard)
				params[idx[i]].discard(&vals[i]);
		if (err == -ENOMEM)
			kvd_reply_error(x->c, KVD_ERR_OOM);
		else
			reply_set_failed(x, x->argv[2 + 2 * failed].s, why);
		return;
	}
	for (i = 0; i < n; i++)
		params[idx[i]].apply(&vals[i]);
	kvd_reply_ok(x->c);
}

/**
 * cmd_config_resetstat - CONFIG RESETSTAT
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_config_resetstat(struct kvd_ctx *x)
{
	kvd_stats_reset(baton_client_server(x->c));
	kvd_reply_ok(x->c);
}

/**
 * cmd_config_help - CONFIG HELP
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_config_help(struct kvd_ctx *x)
{
	static const char *const lines[] = {
		"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"HELP",
		"    Prints this help.",
		NULL,
	};

	kvd_reply_help(x->c, lines);
}

/**
 * kvd_config_free - free what CONFIG SET allocated
 *
 * Context: main thread, after the server stopped.
 */
void kvd_config_free(void)
{
	free(requirepass_copy);
	requirepass_copy = NULL;
	kvd_cfg.requirepass = NULL;
}
