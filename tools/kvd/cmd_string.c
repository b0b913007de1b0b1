// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_string.c - string commands: SET, GET, GETDEL, INCR, DECR, INCRBY,
 * DECRBY, APPEND, STRLEN, MGET, MSET.
 *
 * A string value is a refcounted baton object (struct kvd_str).  GET
 * replies reference it zero-copy; SET, INCR, DEL and friends replace or
 * drop the store's reference at once, and an IO worker still writing the
 * old value out drops the last one, which baton turns into a deferred
 * free on main.  Only APPEND writes into an existing value, and only past
 * its current length, where no reply in flight reads.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

#define SET_NX		(1u << 0)
#define SET_XX		(1u << 1)
#define SET_GET		(1u << 2)
#define SET_KEEPTTL	(1u << 3)
#define SET_EX		(1u << 4)
#define SET_PX		(1u << 5)
#define SET_EXAT	(1u << 6)
#define SET_PXAT	(1u << 7)
#define SET_ANY_EXPIRE	(SET_EX | SET_PX | SET_EXAT | SET_PXAT)

#define APPEND_STEP	(1024 * 1024)	/* growth above 1 MiB, like sds */

/**
 * set_value - make @key hold the string @s, adding the key if needed
 * @x: the command
 * @key: the key
 * @e: its entry, or NULL when it does not exist
 * @s: the value; the store takes the caller's reference
 *
 * Context: main thread.
 * Return: the entry, or NULL when out of memory (@s is put).
 */
static struct kvd_entry *set_value(struct kvd_ctx *x, const struct kvd_arg *key,
				   struct kvd_entry *e, struct kvd_str *s)
{
	if (!e) {
		e = kvd_store_add(&kvd_db, key->s, key->len, KVD_STRING);
		if (!e) {
			kvd_str_put(s);
			return NULL;
		}
	}
	kvd_store_set_str(e, s);
	return e;
}

/**
 * parse_set_flags - SET's options, with Redis's rules for combining them
 * @x: the command
 * @flags: receives SET_*
 * @exp: receives the argument of EX, PX, EXAT or PXAT (or NULL)
 *
 * Context: main thread.
 * Return: 0, or -1 after replying "syntax error".
 */
static int parse_set_flags(struct kvd_ctx *x, unsigned int *flags,
			   const struct kvd_arg **exp)
{
	static const struct { const char *name; unsigned int flag; } units[] = {
		{ "ex", SET_EX }, { "px", SET_PX },
		{ "exat", SET_EXAT }, { "pxat", SET_PXAT },
	};
	int j;

	*flags = 0;
	*exp = NULL;
	for (j = 3; j < x->argc; j++) {
		const struct kvd_arg *a = &x->argv[j];
		bool next = j + 1 < x->argc;
		size_t u;

		if (kvd_arg_is(a, "nx") && !(*flags & SET_XX)) {
			*flags |= SET_NX;
			continue;
		}
		if (kvd_arg_is(a, "xx") && !(*flags & SET_NX)) {
			*flags |= SET_XX;
			continue;
		}
		if (kvd_arg_is(a, "get")) {
			*flags |= SET_GET;
			continue;
		}
		if (kvd_arg_is(a, "keepttl") && !(*flags & SET_ANY_EXPIRE)) {
			*flags |= SET_KEEPTTL;
			continue;
		}
		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (kvd_arg_is(a, units[u].name))
				break;
		/* The same unit twice is allowed (the last wins); another
		 * unit or KEEPTTL with it is not. */
		if (u < sizeof(units) / sizeof(units[0]) && next &&
		    !(*flags & SET_KEEPTTL) &&
		    !(*flags & (SET_ANY_EXPIRE & ~units[u].flag))) {
			*flags |= units[u].flag;
			*exp = &x->argv[++j];
			continue;
		}
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return -1;
	}
	return 0;
}

/**
 * set_deadline - turn SET's expire argument into a kvd_now_ms() deadline
 * @x: the command
 * @a: the argument
 * @flags: which unit (SET_EX, SET_PX, SET_EXAT, SET_PXAT)
 * @when: receives the deadline
 *
 * The checks are Redis's: a positive integer, no overflow of the Unix
 * time in milliseconds it stands for.
 *
 * Context: main thread.
 * Return: 0, or -1 after replying an error.
 */
static int set_deadline(struct kvd_ctx *x, const struct kvd_arg *a,
			unsigned int flags, int64_t *when)
{
	int64_t wall = kvd_wall_ms();
	long long ms;

	if (kvd_arg_ll(x, a, &ms))
		return -1;
	if (ms <= 0 || ((flags & (SET_EX | SET_EXAT)) && ms > LLONG_MAX / 1000))
		goto invalid;
	if (flags & (SET_EX | SET_EXAT))
		ms *= 1000;
	if (flags & (SET_EX | SET_PX)) {
		if (ms > LLONG_MAX - wall)
			goto invalid;
		*when = x->now + ms;
	} else {
		*when = x->now + (ms - wall);
		if (*when < 0)
			*when = 0;	/* long past: expired at the next access */
	}
	return 0;
invalid:
	kvd_reply_error(x->c, "ERR invalid expire time in 'set' command");
	return -1;
}

/**
 * cmd_set - SET key value [NX | XX] [GET] [EX s | PX ms | EXAT t | PXAT t
 * | KEEPTTL]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_set(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1], *val = &x->argv[2], *exp;
	struct kvd_entry *e;
	struct kvd_str *s;
	unsigned int flags;
	int64_t when = -1;

	if (parse_set_flags(x, &flags, &exp))
		return;
	if (exp && set_deadline(x, exp, flags, &when))
		return;
	e = flags & SET_GET ? kvd_lookup_read(x, key) : kvd_lookup_write(x, key);
	if ((flags & SET_GET) && kvd_wrong_type(x, e, KVD_STRING))
		return;
	if ((flags & SET_GET)) {
		if (e)
			kvd_reply_str(x->c, e->str);	/* references the old value */
		else
			kvd_reply_null(x->c);
	}
	if (((flags & SET_NX) && e) || ((flags & SET_XX) && !e)) {
		if (!(flags & SET_GET))
			kvd_reply_null(x->c);
		return;
	}
	s = kvd_str_new(val->s, val->len, val->len);
	if (!s || !(e = set_value(x, key, e, s)))
		goto oom;
	if (exp) {
		if (kvd_store_set_expire(&kvd_db, e, when)) {
			kvd_store_delete(&kvd_db, e);
			goto oom;
		}
	} else if (!(flags & SET_KEEPTTL)) {
		kvd_store_persist(&kvd_db, e);
	}
	kvd_signal_modified(key->s, key->len);
	if (!(flags & SET_GET))
		kvd_reply_ok(x->c);
	return;
oom:
	if (!(flags & SET_GET))
		kvd_reply_error(x->c, KVD_ERR_OOM);
}

/**
 * cmd_get - GET key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_get(struct kvd_ctx *x)
{
	struct kvd_entry *e = kvd_lookup_read(x, &x->argv[1]);

	if (!e)
		kvd_reply_null(x->c);
	else if (!kvd_wrong_type(x, e, KVD_STRING))
		kvd_reply_str(x->c, e->str);
}

/**
 * cmd_getdel - GETDEL key
 * @x: the command
 *
 * The delete right after the zero-copy reply is the deferred-free case:
 * the store's reference goes now, the worker's after the write.
 *
 * Context: main thread.
 */
void cmd_getdel(struct kvd_ctx *x)
{
	struct kvd_entry *e = kvd_lookup_read(x, &x->argv[1]);

	if (!e) {
		kvd_reply_null(x->c);
		return;
	}
	if (kvd_wrong_type(x, e, KVD_STRING))
		return;
	kvd_reply_str(x->c, e->str);
	kvd_store_delete(&kvd_db, e);
	kvd_signal_modified(x->argv[1].s, x->argv[1].len);
}

/**
 * incr_by - add @incr to the integer in @key (0 when it does not exist)
 * @x: the command
 * @incr: the increment
 *
 * The key keeps its expiry; the new value is a new object (a reply in
 * flight may still reference the old one).
 *
 * Context: main thread.
 */
static void incr_by(struct kvd_ctx *x, long long incr)
{
	const struct kvd_arg *key = &x->argv[1];
	struct kvd_entry *e = kvd_lookup_write(x, key);
	struct kvd_str *s;
	long long v = 0;
	char buf[24];
	int n;

	if (kvd_wrong_type(x, e, KVD_STRING))
		return;
	if (e && !kvd_string2ll(e->str->bytes, e->str->len, &v)) {
		kvd_reply_error(x->c, KVD_ERR_NOTINT);
		return;
	}
	if ((incr < 0 && v < 0 && incr < LLONG_MIN - v) ||
	    (incr > 0 && v > 0 && incr > LLONG_MAX - v)) {
		kvd_reply_error(x->c, "ERR increment or decrement would overflow");
		return;
	}
	v += incr;
	n = snprintf(buf, sizeof(buf), "%lld", v);
	s = kvd_str_new(buf, (size_t)n, (size_t)n);
	if (!s || !set_value(x, key, e, s)) {
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	kvd_signal_modified(key->s, key->len);
	kvd_reply_int(x->c, v);
}

/**
 * cmd_incr - INCR key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_incr(struct kvd_ctx *x)
{
	incr_by(x, 1);
}

/**
 * cmd_decr - DECR key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_decr(struct kvd_ctx *x)
{
	incr_by(x, -1);
}

/**
 * cmd_incrby - INCRBY key increment
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_incrby(struct kvd_ctx *x)
{
	long long incr;

	if (!kvd_arg_ll(x, &x->argv[2], &incr))
		incr_by(x, incr);
}

/**
 * cmd_decrby - DECRBY key decrement
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_decrby(struct kvd_ctx *x)
{
	long long decr;

	if (kvd_arg_ll(x, &x->argv[2], &decr))
		return;
	if (decr == LLONG_MIN) {
		kvd_reply_error(x->c, "ERR decrement would overflow");
		return;
	}
	incr_by(x, -decr);
}

/**
 * cmd_append - APPEND key value
 * @x: the command
 *
 * In place when the value has room, else into a new object with room to
 * spare (doubling below 1 MiB, 1 MiB steps above), so repeated appends
 * cost amortized O(appended bytes).
 *
 * Context: main thread.
 */
void cmd_append(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1], *add = &x->argv[2];
	struct kvd_entry *e = kvd_lookup_write(x, key);
	struct kvd_str *old, *s;
	size_t total, cap;

	if (kvd_wrong_type(x, e, KVD_STRING))
		return;
	if (!e) {
		s = kvd_str_new(add->s, add->len, add->len);
		if (!s || !set_value(x, key, NULL, s)) {
			kvd_reply_error(x->c, KVD_ERR_OOM);
			return;
		}
		kvd_signal_modified(key->s, key->len);
		kvd_reply_int(x->c, (long long)add->len);
		return;
	}
	old = e->str;
	total = old->len + add->len;
	if (total > (unsigned long long)kvd_max_bulk_len()) {
		kvd_reply_error(x->c, "ERR string exceeds maximum allowed size "
				"(proto-max-bulk-len)");
		return;
	}
	if (total <= old->cap) {
		/* Bytes past old->len: no reply in flight covers them. */
		memcpy(old->bytes + old->len, add->s, add->len);
		old->len = total;
	} else {
		cap = total < APPEND_STEP ? total * 2 : total + APPEND_STEP;
		s = kvd_str_new(old->bytes, old->len, cap);
		if (!s) {
			kvd_reply_error(x->c, KVD_ERR_OOM);
			return;
		}
		memcpy(s->bytes + old->len, add->s, add->len);
		s->len = total;
		kvd_store_set_str(e, s);
	}
	kvd_signal_modified(key->s, key->len);
	kvd_reply_int(x->c, (long long)total);
}

/**
 * cmd_strlen - STRLEN key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_strlen(struct kvd_ctx *x)
{
	struct kvd_entry *e = kvd_lookup_read(x, &x->argv[1]);

	if (!kvd_wrong_type(x, e, KVD_STRING))
		kvd_reply_int(x->c, e ? (long long)e->str->len : 0);
}

/**
 * cmd_mget - MGET key [key ...]
 * @x: the command
 *
 * A missing key or one of another type answers nil.
 *
 * Context: main thread.
 */
void cmd_mget(struct kvd_ctx *x)
{
	int j;

	kvd_reply_array(x->c, x->argc - 1);
	for (j = 1; j < x->argc; j++) {
		struct kvd_entry *e = kvd_lookup_read(x, &x->argv[j]);

		if (e && e->type == KVD_STRING)
			kvd_reply_str(x->c, e->str);
		else
			kvd_reply_null(x->c);
	}
}

/**
 * cmd_mset - MSET key value [key value ...]
 * @x: the command
 *
 * Every value is allocated first, so running out of memory then changes
 * nothing.  Each key loses its expiry, as with SET.
 *
 * Context: main thread.
 */
void cmd_mset(struct kvd_ctx *x)
{
	struct kvd_str **vals;
	int j, n = (x->argc - 1) / 2;

	if (x->argc % 2 == 0) {
		kvd_reply_arity(x);
		return;
	}
	vals = calloc((size_t)n, sizeof(*vals));
	if (!vals)
		goto oom;
	for (j = 0; j < n; j++) {
		const struct kvd_arg *v = &x->argv[2 + 2 * j];

		vals[j] = kvd_str_new(v->s, v->len, v->len);
		if (!vals[j]) {
			while (j--)
				kvd_str_put(vals[j]);
			free(vals);
			goto oom;
		}
	}
	for (j = 0; j < n; j++) {
		const struct kvd_arg *key = &x->argv[1 + 2 * j];
		struct kvd_entry *e = set_value(x, key, kvd_lookup_write(x, key),
						vals[j]);

		if (!e) {
			while (++j < n)
				kvd_str_put(vals[j]);
			free(vals);
			goto oom;
		}
		kvd_store_persist(&kvd_db, e);
		kvd_signal_modified(key->s, key->len);
	}
	free(vals);
	kvd_reply_ok(x->c);
	return;
oom:
	kvd_reply_error(x->c, KVD_ERR_OOM);
}
