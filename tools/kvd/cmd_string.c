// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_string.c - string commands: SET, SETNX, SETEX, PSETEX, GETSET,
 * GETEX, GET, GETDEL, INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT, APPEND,
 * STRLEN, MGET, MSET, MSETNX.
 *
 * A string value is a refcounted baton object (struct kvd_str).  GET
 * replies reference it zero-copy; SET, INCR, DEL and friends replace or
 * drop the store's reference at once, and an IO worker still writing the
 * old value out drops the last one, which baton turns into a deferred
 * free on main.  Only APPEND here writes into an existing value, and only
 * past its current length, where no reply in flight reads (cmd_range.c's
 * SETRANGE and SETBIT copy on write).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
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
#define SET_INT		(1u << 8)	/* reply 1 / 0 (SETNX) */
#define SET_PERSIST	(1u << 9)	/* GETEX PERSIST */
#define SET_ANY_EXPIRE	(SET_EX | SET_PX | SET_EXAT | SET_PXAT)

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
 * set_deadline - turn an expire argument into a kvd_now_ms() deadline
 * @x: the command
 * @a: the argument
 * @flags: which unit (SET_EX, SET_PX, SET_EXAT, SET_PXAT)
 * @when: receives the deadline
 *
 * The checks are Redis's: a positive integer, no overflow of the Unix
 * time in milliseconds it stands for.  The error names the command.
 *
 * Context: main thread.
 * Return: 0, or -1 after replying an error.
 */
static int set_deadline(struct kvd_ctx *x, const struct kvd_arg *a,
			unsigned int flags, int64_t *when)
{
	long long ms;

	if (kvd_arg_ll(x, a, &ms))
		return -1;
	if (ms <= 0 || ((flags & (SET_EX | SET_EXAT)) && ms > LLONG_MAX / 1000))
		goto invalid;
	if (flags & (SET_EX | SET_EXAT))
		ms *= 1000;
	if (flags & (SET_EX | SET_PX)) {
		if (ms > LLONG_MAX - kvd_wall_ms())
			goto invalid;
		*when = x->now + ms;
	} else {
		*when = ms - kvd_wall_offset();
		if (*when < 0)
			*when = 0;	/* long past: expired at the next access */
	}
	return 0;
invalid:
	kvd_reply_error(x->c, "ERR invalid expire time in '%s' command",
			x->cl->last_cmd);
	return -1;
}

/**
 * set_generic - SET and the commands that are SET with options
 * @x: the command
 * @key: the key
 * @val: the value
 * @flags: SET_* (SET_INT: reply 1 or 0 instead of OK or nil, as SETNX)
 * @exp: the expire argument of SET_EX, SET_PX, SET_EXAT or SET_PXAT, or
 *	NULL
 *
 * Redis's order: the expire time is checked first, then the key.  A
 * set that happens tells the key's watchers.
 *
 * Context: main thread.
 */
static void set_generic(struct kvd_ctx *x, const struct kvd_arg *key,
			const struct kvd_arg *val, unsigned int flags,
			const struct kvd_arg *exp)
{
	struct kvd_entry *e;
	struct kvd_str *s;
	int64_t when = -1;

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
		if (flags & SET_INT)
			kvd_reply_int(x->c, 0);
		else if (!(flags & SET_GET))
			kvd_reply_null(x->c);
		return;
	}
	s = kvd_str_new(val->s, val->len, val->len);
	if (!s || !(e = set_value(x, key, e, s)))
		goto oom;
	if (exp) {
		if (kvd_store_set_expire(&kvd_db, e, when)) {
			kvd_store_delete(&kvd_db, e);
			kvd_signal_modified(key->s, key->len);
			goto oom;
		}
	} else if (!(flags & SET_KEEPTTL)) {
		kvd_store_persist(&kvd_db, e);
	}
	kvd_signal_modified(key->s, key->len);
	if (flags & SET_INT)
		kvd_reply_int(x->c, 1);
	else if (!(flags & SET_GET))
		kvd_reply_ok(x->c);
	return;
oom:
	if (!(flags & SET_GET))
		kvd_reply_error(x->c, KVD_ERR_OOM);
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
	const struct kvd_arg *exp;
	unsigned int flags;

	if (!parse_set_flags(x, &flags, &exp))
		set_generic(x, &x->argv[1], &x->argv[2], flags, exp);
}

/**
 * cmd_setnx - SETNX key value: 1 when set, 0 when the key exists
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_setnx(struct kvd_ctx *x)
{
	set_generic(x, &x->argv[1], &x->argv[2], SET_NX | SET_INT, NULL);
}

/**
 * cmd_setex - SETEX key seconds value
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_setex(struct kvd_ctx *x)
{
	set_generic(x, &x->argv[1], &x->argv[3], SET_EX, &x->argv[2]);
}

/**
 * cmd_psetex - PSETEX key milliseconds value
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_psetex(struct kvd_ctx *x)
{
	set_generic(x, &x->argv[1], &x->argv[3], SET_PX, &x->argv[2]);
}

/**
 * cmd_getset - GETSET key value: SET key value GET
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_getset(struct kvd_ctx *x)
{
	set_generic(x, &x->argv[1], &x->argv[2], SET_GET, NULL);
}

/**
 * parse_getex_flags - GETEX's options: one of EX, PX, EXAT, PXAT, PERSIST
 * @x: the command
 * @flags: receives SET_* (SET_PERSIST for PERSIST)
 * @exp: receives the time argument, or NULL
 *
 * Context: main thread.
 * Return: 0, or -1 after replying "syntax error".
 */
static int parse_getex_flags(struct kvd_ctx *x, unsigned int *flags,
			     const struct kvd_arg **exp)
{
	static const struct { const char *name; unsigned int flag; } units[] = {
		{ "ex", SET_EX }, { "px", SET_PX },
		{ "exat", SET_EXAT }, { "pxat", SET_PXAT },
	};
	int j;

	*flags = 0;
	*exp = NULL;
	for (j = 2; j < x->argc; j++) {
		const struct kvd_arg *a = &x->argv[j];
		size_t u;

		if (kvd_arg_is(a, "persist") && !(*flags & SET_ANY_EXPIRE)) {
			*flags |= SET_PERSIST;
			continue;
		}
		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (kvd_arg_is(a, units[u].name))
				break;
		/* The same unit twice is allowed (the last wins). */
		if (u < sizeof(units) / sizeof(units[0]) && j + 1 < x->argc &&
		    !(*flags & SET_PERSIST) &&
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
 * cmd_getex - GETEX key [EX s | PX ms | EXAT t | PXAT t | PERSIST]
 * @x: the command
 *
 * Redis's order: the options' syntax, then the key (nil when missing,
 * WRONGTYPE), then the time.  A time already past deletes the key after
 * the reply; a change of the expiry tells the watchers.
 *
 * Context: main thread.
 */
void cmd_getex(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1], *exp;
	struct kvd_entry *e;
	unsigned int flags;
	int64_t when;

	if (parse_getex_flags(x, &flags, &exp))
		return;
	e = kvd_lookup_read(x, key);
	if (!e) {
		kvd_reply_null(x->c);
		return;
	}
	if (kvd_wrong_type(x, e, KVD_STRING))
		return;
	if (exp && set_deadline(x, exp, flags, &when))
		return;
	if (exp && kvd_store_set_expire(&kvd_db, e, when)) {
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	kvd_reply_str(x->c, e->str);
	if (exp && when <= x->now) {
		kvd_store_delete(&kvd_db, e);
		kvd_signal_modified(key->s, key->len);
	} else if (exp || ((flags & SET_PERSIST) && e->expire_ms >= 0)) {
		if (flags & SET_PERSIST)
			kvd_store_persist(&kvd_db, e);
		kvd_signal_modified(key->s, key->len);
	}
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
 * spare (kvd_str_grow_cap()), so repeated appends cost amortized
 * O(appended bytes).
 *
 * Context: main thread.
 */
void cmd_append(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1], *add = &x->argv[2];
	struct kvd_entry *e = kvd_lookup_write(x, key);
	struct kvd_str *s;
	size_t len, total;

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
	len = e->str->len;
	total = len + add->len;
	if (total > (unsigned long long)kvd_max_bulk_len()) {
		kvd_reply_error(x->c, "ERR string exceeds maximum allowed size "
				"(proto-max-bulk-len)");
		return;
	}
	/* Bytes past the length: in place when they fit, whatever replies
	 * are in flight (none covers them); else a copy with room. */
	s = kvd_str_for_write(e, len, total);
	if (!s) {
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	kvd_str_write(s, len, add->s, add->len);
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

/**
 * cmd_msetnx - MSETNX key value [key value ...]: all or nothing
 * @x: the command
 *
 * Replies 0 and sets nothing when any key exists, else sets them all
 * (without an expiry) and replies 1.
 *
 * Context: main thread.
 */
void cmd_msetnx(struct kvd_ctx *x)
{
	int j;

	if (x->argc % 2 == 0) {
		kvd_reply_arity(x);
		return;
	}
	for (j = 1; j < x->argc; j += 2) {
		if (kvd_lookup_write(x, &x->argv[j])) {
			kvd_reply_int(x->c, 0);
			return;
		}
	}
	for (j = 1; j < x->argc; j += 2) {
		const struct kvd_arg *key = &x->argv[j], *v = &x->argv[j + 1];
		struct kvd_str *s = kvd_str_new(v->s, v->len, v->len);

		/* A key named twice exists the second time: overwrite it. */
		if (!s || !set_value(x, key, kvd_lookup_write(x, key), s)) {
			kvd_reply_error(x->c, KVD_ERR_OOM);
			return;
		}
		kvd_signal_modified(key->s, key->len);
	}
	kvd_reply_int(x->c, 1);
}

#define LD_CHARS_MAX	(5 * 1024)	/* Redis's MAX_LONG_DOUBLE_CHARS */

/**
 * parse_ld - a long double the way Redis reads one
 * @s: the bytes (not NUL-terminated)
 * @len: their number
 * @out: the value
 *
 * strtold() with Redis's rules: no leading space, every byte used (so
 * no NUL inside), not NaN, not out of range (a subnormal result is
 * fine).  So "1e3", "0x1p4" and "inf" are numbers.
 *
 * Context: any thread.
 * Return: true when @s is such a number.
 */
static bool parse_ld(const char *s, size_t len, long double *out)
{
	char buf[LD_CHARS_MAX];
	long double v;
	char *end;

	if (!len || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtold(buf, &end);
	if (isspace((unsigned char)buf[0]) || end != buf + len || isnan(v) ||
	    errno == EINVAL ||
	    (errno == ERANGE && (isinf(v) || v == 0)))
		return false;
	*out = v;
	return true;
}

/**
 * format_ld - a long double as Redis shows INCRBYFLOAT's result
 * @buf: room for LD_CHARS_MAX bytes
 * @v: a finite value
 *
 * Fixed point with 17 decimals, then without the zeros at the end and a
 * dot left alone; "-0" is "0".
 *
 * Context: any thread.
 * Return: the length, or 0 when it does not fit.
 */
static size_t format_ld(char *buf, long double v)
{
	int n = snprintf(buf, LD_CHARS_MAX, "%.17Lf", v);

	if (n < 0 || n >= LD_CHARS_MAX)
		return 0;
	if (strchr(buf, '.')) {
		while (buf[n - 1] == '0')
			n--;
		if (buf[n - 1] == '.')
			n--;
	}
	if (n == 2 && buf[0] == '-' && buf[1] == '0') {
		buf[0] = '0';
		n = 1;
	}
	return (size_t)n;
}

/**
 * cmd_incrbyfloat - INCRBYFLOAT key increment
 * @x: the command
 *
 * In long double, as Redis; the key keeps its expiry and gets a new
 * value object (a reply in flight may still read the old one).
 *
 * Context: main thread.
 */
void cmd_incrbyfloat(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1];
	struct kvd_entry *e = kvd_lookup_write(x, key);
	long double v = 0, incr;
	struct kvd_str *s;
	char *buf;
	size_t n;

	if (kvd_wrong_type(x, e, KVD_STRING))
		return;
	if ((e && !parse_ld(e->str->bytes, e->str->len, &v)) ||
	    !parse_ld(x->argv[2].s, x->argv[2].len, &incr)) {
		kvd_reply_error(x->c, "ERR value is not a valid float");
		return;
	}
	v += incr;
	if (isnan(v) || isinf(v)) {
		kvd_reply_error(x->c, "ERR increment would produce NaN or Infinity");
		return;
	}
	buf = malloc(LD_CHARS_MAX);
	if (!buf) {
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	n = format_ld(buf, v);
	s = kvd_str_new(buf, n, n);
	free(buf);
	if (!s || !set_value(x, key, e, s)) {
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	kvd_signal_modified(key->s, key->len);
	kvd_reply_str(x->c, s);
}
