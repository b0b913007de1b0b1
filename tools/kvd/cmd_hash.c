// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_hash.c - hash commands: HSET, HMSET, HSETNX, HGET, HMGET, HDEL,
 * HLEN, HSTRLEN, HEXISTS, HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT,
 * HRANDFIELD.  HSCAN and what HRANDFIELD shares with SRANDMEMBER are in
 * cmd_dict.c.
 *
 * A hash is a struct kvd_dict whose entries hold their value as a string
 * value (struct kvd_str), so HGET, HMGET, HVALS, HGETALL and HRANDFIELD
 * reply values zero-copy, as GET does.  A value is never written in
 * place: HSET and the increments give the field a new one and put the
 * old, which a reply in flight keeps alive.  A hash left empty is
 * deleted.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

/* Redis's MAX_LONG_DOUBLE_CHARS: longer numbers are not floats to it. */
#define LD_CHARS_MAX	(5 * 1024)

/**
 * hash_for_write - the hash at @key, created when missing
 * @x: the command
 * @key: the key
 * @e: receives the entry
 *
 * Context: main thread.
 * Return: 0, or -1 after replying WRONGTYPE or out of memory.
 */
static int hash_for_write(struct kvd_ctx *x, const struct kvd_arg *key,
			  struct kvd_entry **e)
{
	*e = kvd_lookup_write(x, key);
	if (kvd_wrong_type(x, *e, KVD_HASH))
		return -1;
	if (!*e) {
		*e = kvd_store_add(&kvd_db, key->s, key->len, KVD_HASH);
		if (!*e) {
			kvd_reply_error(x->c, KVD_ERR_OOM);
			return -1;
		}
	}
	return 0;
}

/**
 * hash_for_read - the hash at @key for a read
 * @x: the command
 * @key: the key
 * @e: receives the entry, NULL when the key does not exist
 *
 * Context: main thread.
 * Return: 0, or -1 after replying WRONGTYPE.
 */
static int hash_for_read(struct kvd_ctx *x, const struct kvd_arg *key,
			 struct kvd_entry **e)
{
	*e = kvd_lookup_read(x, key);
	return kvd_wrong_type(x, *e, KVD_HASH) ? -1 : 0;
}

/**
 * drop_if_empty - delete a hash key that has no field left
 * @e: the entry
 *
 * Context: main thread.
 * Return: true when it was deleted.
 */
static bool drop_if_empty(struct kvd_entry *e)
{
	if (e->dict->count)
		return false;
	kvd_store_delete(&kvd_db, e);
	return true;
}

/**
 * hash_set - set one field to a new string value holding a copy of @val
 * @d: the hash
 * @f: the field
 * @val: the value
 * @len: its length
 * @created: set when the field is new
 *
 * Context: main thread.
 * Return: 0 or -ENOMEM (the hash unchanged).
 */
static int hash_set(struct kvd_dict *d, const struct kvd_arg *f,
		    const char *val, size_t len, bool *created)
{
	struct kvd_str *s = kvd_str_new(val, len, len);
	struct kvd_dict_entry *de;

	if (!s)
		return -ENOMEM;
	de = kvd_dict_upsert(d, f->s, f->len, created);
	if (!de) {
		kvd_str_put(s);
		return -ENOMEM;
	}
	kvd_dict_set_val(de, s);
	return 0;
}

/**
 * hset_generic - HSET / HMSET key field value [field value ...]
 * @x: the command
 * @hmset: reply OK (HMSET) instead of the number of new fields
 *
 * Context: main thread.
 */
static void hset_generic(struct kvd_ctx *x, bool hmset)
{
	const struct kvd_arg *key = &x->argv[1];
	struct kvd_entry *e;
	long long added = 0;
	bool created;
	int j;

	if (x->argc % 2) {
		kvd_reply_arity(x);
		return;
	}
	if (hash_for_write(x, key, &e))
		return;
	for (j = 2; j < x->argc; j += 2) {
		if (hash_set(e->dict, &x->argv[j], x->argv[j + 1].s,
			     x->argv[j + 1].len, &created)) {
			if (j > 2)
				kvd_signal_modified(key->s, key->len);
			drop_if_empty(e);
			kvd_reply_error(x->c, KVD_ERR_OOM);
			return;
		}
		added += created;
	}
	kvd_signal_modified(key->s, key->len);
	if (hmset)
		kvd_reply_ok(x->c);
	else
		kvd_reply_int(x->c, added);
}

/**
 * cmd_hset - HSET key field value [field value ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_hset(struct kvd_ctx *x)
{
	hset_generic(x, false);
}

/**
 * cmd_hmset - HMSET key field value [field value ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_hmset(struct kvd_ctx *x)
{
	hset_generic(x, true);
}

/**
 * cmd_hsetnx - HSETNX key field value
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_hsetnx(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1];
	struct kvd_entry *e;
	bool created;

	if (hash_for_write(x, key, &e))
		return;
	if (kvd_dict_find(e->dict, x->argv[2].s, x->argv[2].len)) {
		kvd_reply_int(x->c, 0);
		return;
	}
	if (hash_set(e->dict, &x->argv[2], x->argv[3].s, x->argv[3].len,
		     &created)) {
		drop_if_empty(e);
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	kvd_signal_modified(key->s, key->len);
	kvd_reply_int(x->c, 1);
}

/**
 * field_value - a field's value in the hash at an entry
 * @e: the hash's entry, or NULL
 * @f: the field
 *
 * Context: main thread.
 * Return: the value, or NULL when the key or the field does not exist.
 */
static struct kvd_str *field_value(const struct kvd_entry *e,
				   const struct kvd_arg *f)
{
	struct kvd_dict_entry *de;

	if (!e)
		return NULL;
	de = kvd_dict_find(e->dict, f->s, f->len);
	return de ? de->val : NULL;
}

/**
 * reply_value - reply a value zero-copy, or nil
 * @x: the command
 * @s: the value, or NULL
 *
 * Context: main thread.
 */
static void reply_value(struct kvd_ctx *x, struct kvd_str *s)
{
	if (s)
		kvd_reply_str(x->c, s);
	else
		kvd_reply_null(x->c);
}

/**
 * cmd_hget - HGET key field
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_hget(struct kvd_ctx *x)
{
	struct kvd_entry *e;

	if (!hash_for_read(x, &x->argv[1], &e))
		reply_value(x, field_value(e, &x->argv[2]));
}

/**
 * cmd_hmget - HMGET key field [field ...]
 * @x: the command
 *
 * A missing key answers nil for every field.
 *
 * Context: main thread.
 */
void cmd_hmget(struct kvd_ctx *x)
{
	struct kvd_entry *e;
	int j;

	if (hash_for_read(x, &x->argv[1], &e))
		return;
	kvd_reply_array(x->c, x->argc - 2);
	for (j = 2; j < x->argc; j++)
		reply_value(x, field_value(e, &x->argv[j]));
}

/**
 * cmd_hdel - HDEL key field [field ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_hdel(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1];
	struct kvd_entry *e = kvd_lookup_write(x, key);
	long long n = 0;
	int j;

	if (kvd_wrong_type(x, e, KVD_HASH))
		return;
	if (e) {
		for (j = 2; j < x->argc; j++)
			n += kvd_dict_remove(e->dict, x->argv[j].s,
					     x->argv[j].len);
		if (n) {
			drop_if_empty(e);
			kvd_signal_modified(key->s, key->len);
		}
	}
	kvd_reply_int(x->c, n);
}

/**
 * cmd_hlen - HLEN key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_hlen(struct kvd_ctx *x)
{
	struct kvd_entry *e;

	if (!hash_for_read(x, &x->argv[1], &e))
		kvd_reply_int(x->c, e ? (long long)e->dict->count : 0);
}

/**
 * cmd_hstrlen - HSTRLEN key field
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_hstrlen(struct kvd_ctx *x)
{
	struct kvd_entry *e;
	struct kvd_str *s;

	if (hash_for_read(x, &x->argv[1], &e))
		return;
	s = field_value(e, &x->argv[2]);
	kvd_reply_int(x->c, s ? (long long)s->len : 0);
}

/**
 * cmd_hexists - HEXISTS key field
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_hexists(struct kvd_ctx *x)
{
	struct kvd_entry *e;

	if (!hash_for_read(x, &x->argv[1], &e))
		kvd_reply_int(x->c, field_value(e, &x->argv[2]) != NULL);
}

#define HASH_KEYS	(1u << 0)
#define HASH_VALS	(1u << 1)

/**
 * hgetall_generic - HKEYS / HVALS / HGETALL key
 * @x: the command
 * @what: HASH_KEYS, HASH_VALS or both
 *
 * Context: main thread.
 */
static void hgetall_generic(struct kvd_ctx *x, unsigned int what)
{
	struct kvd_dict_iter it = { 0 };
	struct kvd_dict_entry *de;
	struct kvd_entry *e;
	long long n;

	if (hash_for_read(x, &x->argv[1], &e))
		return;
	n = e ? (long long)e->dict->count : 0;
	kvd_reply_array(x->c, what == (HASH_KEYS | HASH_VALS) ? 2 * n : n);
	if (!e)
		return;
	while ((de = kvd_dict_next(e->dict, &it))) {
		if (what & HASH_KEYS)
			kvd_reply_bulk(x->c, de->key, de->len);
		if (what & HASH_VALS)
			kvd_reply_str(x->c, de->val);
	}
}

/**
 * cmd_hkeys - HKEYS key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_hkeys(struct kvd_ctx *x)
{
	hgetall_generic(x, HASH_KEYS);
}

/**
 * cmd_hvals - HVALS key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_hvals(struct kvd_ctx *x)
{
	hgetall_generic(x, HASH_VALS);
}

/**
 * cmd_hgetall - HGETALL key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_hgetall(struct kvd_ctx *x)
{
	hgetall_generic(x, HASH_KEYS | HASH_VALS);
}

/**
 * set_field_number - set a field to a number's text, replying errors
 * @x: the command
 * @e: the hash's entry
 * @f: the field
 * @buf: the text
 * @len: its length
 *
 * Context: main thread.
 * Return: 0, or -1 after replying out of memory (the key is deleted if
 * that left it empty).
 */
static int set_field_number(struct kvd_ctx *x, struct kvd_entry *e,
			    const struct kvd_arg *f, const char *buf, size_t len)
{
	bool created;

	if (hash_set(e->dict, f, buf, len, &created)) {
		drop_if_empty(e);
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return -1;
	}
	kvd_signal_modified(x->argv[1].s, x->argv[1].len);
	return 0;
}

/**
 * cmd_hincrby - HINCRBY key field increment
 * @x: the command
 *
 * The increment is checked first, then the key's type, then the field's
 * value (a missing field counts as 0), as Redis does.
 *
 * Context: main thread.
 */
void cmd_hincrby(struct kvd_ctx *x)
{
	struct kvd_entry *e;
	long long incr, v = 0;
	struct kvd_str *old;
	char buf[24];
	int n;

	if (kvd_arg_ll(x, &x->argv[3], &incr) ||
	    hash_for_write(x, &x->argv[1], &e))
		return;
	old = field_value(e, &x->argv[2]);
	if (old && !kvd_string2ll(old->bytes, old->len, &v)) {
		kvd_reply_error(x->c, "ERR hash value is not an integer");
		return;
	}
	if ((incr < 0 && v < 0 && incr < LLONG_MIN - v) ||
	    (incr > 0 && v > 0 && incr > LLONG_MAX - v)) {
		drop_if_empty(e);
		kvd_reply_error(x->c, "ERR increment or decrement would overflow");
		return;
	}
	v += incr;
	n = snprintf(buf, sizeof(buf), "%lld", v);
	if (!set_field_number(x, e, &x->argv[2], buf, (size_t)n))
		kvd_reply_int(x->c, v);
}

/**
 * parse_ld - a long double in Redis's syntax (its string2ld)
 * @s: the text, NUL-terminated
 * @len: its length
 * @out: the number
 *
 * strtold()'s syntax (decimal, exponent, hex, inf) over the whole text:
 * no leading space, nothing after the number, not NaN, not out of
 * range (an overflow or an underflow to zero), and shorter than
 * LD_CHARS_MAX.
 *
 * Context: any thread.
 * Return: true when @s is such a number.
 */
static bool parse_ld(const char *s, size_t len, long double *out)
{
	char *end;

	if (!len || len >= LD_CHARS_MAX || (s[0] >= '\t' && s[0] <= '\r') ||
	    s[0] == ' ')
		return false;
	errno = 0;
	*out = strtold(s, &end);
	if (end != s + len || isnan(*out))
		return false;
	if (errno == ERANGE && (isinf(*out) || *out == 0))
		return false;
	return true;
}

/**
 * format_ld - a long double as Redis writes HINCRBYFLOAT's result
 * @buf: room for LD_CHARS_MAX bytes
 * @v: the number, finite
 *
 * Seventeen decimals, then the trailing zeros and a trailing point
 * dropped; "-0" is written "0".
 *
 * Context: any thread.
 * Return: the length, 0 when it does not fit.
 */
static size_t format_ld(char *buf, long double v)
{
	int n = snprintf(buf, LD_CHARS_MAX, "%.17Lf", v);

	if (n <= 0 || n >= LD_CHARS_MAX)
		return 0;
	if (memchr(buf, '.', (size_t)n)) {
		while (buf[n - 1] == '0')
			n--;
		if (buf[n - 1] == '.')
			n--;
	}
	if (n == 2 && buf[0] == '-' && buf[1] == '0') {
		buf[0] = '0';
		n = 1;
	}
	buf[n] = '\0';
	return (size_t)n;
}

/**
 * cmd_hincrbyfloat - HINCRBYFLOAT key field increment
 * @x: the command
 *
 * Long double arithmetic and Redis's formatting, so that the results are
 * the same text (10.5 + 0.1 is "10.6").
 *
 * Context: main thread.
 */
void cmd_hincrbyfloat(struct kvd_ctx *x)
{
	char buf[LD_CHARS_MAX];
	long double incr, v = 0;
	struct kvd_entry *e;
	struct kvd_str *old;
	size_t n;

	if (!parse_ld(x->argv[3].s, x->argv[3].len, &incr)) {
		kvd_reply_error(x->c, "ERR value is not a valid float");
		return;
	}
	if (isinf(incr)) {
		kvd_reply_error(x->c, "ERR value is NaN or Infinity");
		return;
	}
	if (hash_for_write(x, &x->argv[1], &e))
		return;
	old = field_value(e, &x->argv[2]);
	if (old) {
		/* A value is not NUL-terminated: parse a copy. */
		if (old->len >= sizeof(buf)) {
			kvd_reply_error(x->c, "ERR hash value is not a float");
			return;
		}
		memcpy(buf, old->bytes, old->len);
		buf[old->len] = '\0';
		if (!parse_ld(buf, old->len, &v)) {
			kvd_reply_error(x->c, "ERR hash value is not a float");
			return;
		}
	}
	v += incr;
	/* A finite long double has at most 4933 digits: it always fits. */
	if (isnan(v) || isinf(v) || !(n = format_ld(buf, v))) {
		drop_if_empty(e);
		kvd_reply_error(x->c, "ERR increment would produce NaN or Infinity");
		return;
	}
	if (!set_field_number(x, e, &x->argv[2], buf, n))
		kvd_reply_bulk(x->c, buf, n);
}

/**
 * cmd_hrandfield - HRANDFIELD key [count [WITHVALUES]]
 * @x: the command
 *
 * Without a count: one random field, or nil.  With one: that many
 * distinct fields (all of them at most), or with a negative count that
 * many picks with repeats; an empty array for a missing key.  The
 * arguments are checked before the key, as Redis does.
 *
 * Context: main thread.
 */
void cmd_hrandfield(struct kvd_ctx *x)
{
	bool withvalues = false;
	struct kvd_entry *e;
	long long count;

	if (x->argc == 2) {
		if (hash_for_read(x, &x->argv[1], &e))
			return;
		if (e) {
			struct kvd_dict_entry *de = kvd_dict_random(e->dict);

			kvd_reply_bulk(x->c, de->key, de->len);
		} else {
			kvd_reply_null(x->c);
		}
		return;
	}
	if (kvd_parse_rand_count(x, &x->argv[2], &count))
		return;
	if (x->argc > 4 || (x->argc == 4 && !kvd_arg_is(&x->argv[3],
							 "withvalues"))) {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	if (x->argc == 4) {
		withvalues = true;
		if (count < -(LLONG_MAX / 2) || count > LLONG_MAX / 2) {
			kvd_reply_error(x->c, "ERR value is out of range");
			return;
		}
	}
	if (hash_for_read(x, &x->argv[1], &e))
		return;
	if (!e || !count)
		kvd_reply_array(x->c, 0);
	else if (kvd_rand_count_too_big(x, count, withvalues ? 12 : 6))
		return;
	else if (count < 0)
		kvd_reply_random_repeat(x, e->dict, (unsigned long long)-count,
					withvalues);
	else
		kvd_reply_random_distinct(x, e->dict, (size_t)count, withvalues);
}
