// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_block.c - the blocking list commands: BLPOP, BRPOP, BLMOVE,
 * BRPOPLPUSH, BLMPOP, and CLIENT UNBLOCK.
 *
 * Each checks its arguments in Redis's order, then acts as its
 * non-blocking twin when a key has something (or the wrong type); only
 * when every key is missing does it block (blocking.c).  Inside EXEC it
 * never blocks: it replies what its twin replies for missing keys, as
 * Redis does for a transaction.  Main only.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include "kvd.h"

/* Redis reads a timeout of this many bytes or more as no number at all. */
#define TIMEOUT_TEXT_MAX	(5 * 1024)
/*
 * Timeouts longer than this (about 292 thousand years) are waited out
 * as forever: a deadline that far is beyond any clock baton's timers use.
 */
#define TIMEOUT_MS_MAX		(1LL << 53)

/**
 * kvd_parse_timeout - a blocking command's timeout in seconds, as Redis
 * reads it
 * @x: the command
 * @a: the argument: a decimal or hexadecimal float ("0.5", "1e3", "inf")
 * @ms: receives the milliseconds, rounded up; 0 = forever
 *
 * Redis parses a long double, rejects leading space, trailing bytes,
 * NaN and values out of the long double's range, multiplies by 1000 and
 * rounds up; a result below zero or too big for a 64-bit integer (which
 * its conversion turns negative) is "timeout is negative".
 *
 * Context: main thread.
 * Return: 0, or -EINVAL after replying the error.
 */
int kvd_parse_timeout(struct kvd_ctx *x, const struct kvd_arg *a, int64_t *ms)
{
	long double v;
	char *end;

	if (!a->len || a->len >= TIMEOUT_TEXT_MAX ||
	    isspace((unsigned char)a->s[0]))
		goto out_nan;
	errno = 0;
	v = strtold(a->s, &end);
	if (*end || isnan(v) ||
	    (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)))
		goto out_nan;
	v = ceill(v * 1000);
	if (!(v < 0x1p63L) || v < 0) {
		kvd_reply_error(x->c, "ERR timeout is negative");
		return -EINVAL;
	}
	*ms = v > (long double)TIMEOUT_MS_MAX ? 0 : (int64_t)v;
	return 0;

out_nan:
	kvd_reply_error(x->c, "ERR timeout is not a float or out of range");
	return -EINVAL;
}

/**
 * first_existing - the first of the keys that exists
 * @x: the command
 * @from: the index of the first key in @x->argv
 * @n: how many keys
 *
 * Lists are never empty, so an existing key either has elements or is
 * of another type (WRONGTYPE, which the caller replies as its twin does).
 *
 * Context: main thread.
 * Return: its index in @x->argv, or -1 when they are all missing.
 */
static int first_existing(struct kvd_ctx *x, int from, int n)
{
	int j;

	for (j = from; j < from + n; j++)
		if (kvd_lookup_write(x, &x->argv[j]))
			return j;
	return -1;
}

/**
 * bpop_generic - BLPOP / BRPOP key [key ...] timeout
 * @x: the command
 * @left: pop from the head
 *
 * Replies [key, element] from the first key that holds a list;
 * WRONGTYPE when one of another type comes first.
 *
 * Context: main thread.
 */
static void bpop_generic(struct kvd_ctx *x, bool left)
{
	struct kvd_block_how how = { .left = left, .count = 1 };
	const struct kvd_arg *key;
	struct kvd_entry *e;
	struct kvd_str *s;
	int64_t ms;
	int j;

	if (kvd_parse_timeout(x, &x->argv[x->argc - 1], &ms))
		return;
	j = first_existing(x, 1, x->argc - 2);
	if (j < 0) {
		if (x->in_exec)
			kvd_reply_null_array(x->c);
		else
			kvd_block(x, 1, x->argc - 2, ms, &how);
		return;
	}
	key = &x->argv[j];
	e = kvd_lookup_write(x, key);
	if (kvd_wrong_type(x, e, KVD_LIST))
		return;
	s = kvd_list_pop(e->list, left);
	kvd_reply_array(x->c, 2);
	kvd_reply_bulk(x->c, key->s, key->len);
	kvd_reply_str(x->c, s);
	kvd_str_put(s);
	if (!e->list->len)
		kvd_store_delete(&kvd_db, e);
	kvd_signal_modified(key->s, key->len);
}

/**
 * cmd_blpop - BLPOP key [key ...] timeout
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_blpop(struct kvd_ctx *x)
{
	bpop_generic(x, true);
}

/**
 * cmd_brpop - BRPOP key [key ...] timeout
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_brpop(struct kvd_ctx *x)
{
	bpop_generic(x, false);
}

/**
 * bmove_generic - the blocking moves, once their ends are parsed
 * @x: the command: its source is argv[1], its destination argv[2]
 * @timeout: its timeout argument
 * @how: the ends
 * @twin: LMOVE or RPOPLPUSH, run on the same arguments when the source
 *	exists
 * @twin_argc: the twin's argument count
 *
 * A destination of another type only matters once there is something
 * to move, as in Redis.
 *
 * Context: main thread.
 */
static void bmove_generic(struct kvd_ctx *x, const struct kvd_arg *timeout,
			  struct kvd_block_how *how,
			  void (*twin)(struct kvd_ctx *x), int twin_argc)
{
	struct kvd_ctx y = *x;
	int64_t ms;

	if (kvd_parse_timeout(x, timeout, &ms))
		return;
	if (first_existing(x, 1, 1) < 0) {
		how->dst = &x->argv[2];
		if (x->in_exec)
			kvd_reply_null(x->c);
		else
			kvd_block(x, 1, 1, ms, how);
		return;
	}
	y.argc = twin_argc;
	twin(&y);
}

/**
 * parse_end - LEFT or RIGHT
 * @a: the argument
 * @left: receives true for LEFT
 *
 * Context: main thread.
 * Return: true when it is one of them.
 */
static bool parse_end(const struct kvd_arg *a, bool *left)
{
	*left = kvd_arg_is(a, "left");
	return *left || kvd_arg_is(a, "right");
}

/**
 * cmd_blmove - BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_blmove(struct kvd_ctx *x)
{
	struct kvd_block_how how = { .count = 1 };

	if (!parse_end(&x->argv[3], &how.left) ||
	    !parse_end(&x->argv[4], &how.to_left)) {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	bmove_generic(x, &x->argv[5], &how, cmd_lmove, 5);
}

/**
 * cmd_brpoplpush - BRPOPLPUSH source destination timeout
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_brpoplpush(struct kvd_ctx *x)
{
	struct kvd_block_how how = { .left = false, .to_left = true,
				     .count = 1 };

	bmove_generic(x, &x->argv[3], &how, cmd_rpoplpush, 3);
}

/**
 * cmd_blmpop - BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT n]
 * @x: the command
 *
 * The checks run in Redis's order: numkeys, the keys' count and the
 * end, COUNT, and the timeout last.  When a key exists it is LMPOP on
 * the same arguments.
 *
 * Context: main thread.
 */
void cmd_blmpop(struct kvd_ctx *x)
{
	struct kvd_block_how how = { .mpop = true, .count = 1 };
	struct kvd_ctx y = *x;
	bool has_count = false;
	long long numkeys;
	int64_t ms;
	int j, where;

	if (!kvd_string2ll(x->argv[2].s, x->argv[2].len, &numkeys) ||
	    numkeys < 1) {
		kvd_reply_error(x->c, "ERR numkeys should be greater than 0");
		return;
	}
	if (numkeys >= x->argc - 3 || !parse_end(&x->argv[3 + numkeys],
						 &how.left)) {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	where = (int)(3 + numkeys);
	for (j = where + 1; j < x->argc; j++) {
		if (kvd_arg_is(&x->argv[j], "count") && !has_count &&
		    j + 1 < x->argc) {
			if (!kvd_string2ll(x->argv[j + 1].s, x->argv[j + 1].len,
					   &how.count) || how.count < 1) {
				kvd_reply_error(x->c, "ERR count should be greater "
						"than 0");
				return;
			}
			has_count = true;
			j++;
		} else {
			kvd_reply_error(x->c, KVD_ERR_SYNTAX);
			return;
		}
	}
	if (kvd_parse_timeout(x, &x->argv[1], &ms))
		return;
	if (first_existing(x, 3, (int)numkeys) < 0) {
		if (x->in_exec)
			kvd_reply_null_array(x->c);
		else
			kvd_block(x, 3, (int)numkeys, ms, &how);
		return;
	}
	y.argv = x->argv + 1;
	y.argc = x->argc - 1;
	cmd_lmpop(&y);
}

/**
 * cmd_client_unblock - CLIENT UNBLOCK client-id [TIMEOUT|ERROR]
 * @x: the command
 *
 * The blocked client gets its timeout's nil reply, or with ERROR
 * "-UNBLOCKED client unblocked via CLIENT UNBLOCK".  Replies 1 when the
 * client was blocked, else 0.
 *
 * Context: main thread.
 */
void cmd_client_unblock(struct kvd_ctx *x)
{
	struct baton_client *c;
	struct kvd_client *cl;
	bool error = false;
	long long id;

	if (x->argc > 4) {
		kvd_reply_subcommand_syntax(x, "CLIENT");
		return;
	}
	if (x->argc == 4) {
		error = kvd_arg_is(&x->argv[3], "error");
		if (!error && !kvd_arg_is(&x->argv[3], "timeout")) {
			kvd_reply_error(x->c, "ERR CLIENT UNBLOCK reason should "
					"be TIMEOUT or ERROR");
			return;
		}
	}
	if (kvd_arg_ll(x, &x->argv[2], &id))
		return;
	c = id > 0 ? baton_client_lookup(baton_client_server(x->c),
					 (uint64_t)id) : NULL;
	cl = c ? baton_client_data(c) : NULL;
	kvd_reply_int(x->c, cl && kvd_block_unblock(cl, error, x->now));
}
