// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_range.c - string commands on byte ranges and bits: GETRANGE (and
 * SUBSTR), SETRANGE, GETBIT, SETBIT, BITCOUNT.
 *
 * SETRANGE and SETBIT write inside an existing value, so they go through
 * kvd_str_for_write(): a value a reply in flight may still read (its
 * reference count says someone besides the store holds it) is copied
 * first, and only bytes no reply covers are written in place.
 */
#include <stdio.h>
#include <string.h>
#include "kvd.h"

#define ERR_TOO_BIG \
	"ERR string exceeds maximum allowed size (proto-max-bulk-len)"

/**
 * str_entry_for_write - the string entry @key, added empty when missing
 * @x: the command
 * @key: the key
 * @e: its entry, or NULL when it does not exist
 *
 * Context: main thread.
 * Return: the entry, or NULL after replying out of memory.
 */
static struct kvd_entry *str_entry_for_write(struct kvd_ctx *x,
					     const struct kvd_arg *key,
					     struct kvd_entry *e)
{
	struct kvd_str *s;

	if (e)
		return e;
	s = kvd_str_new(NULL, 0, 0);
	e = s ? kvd_store_add(&kvd_db, key->s, key->len, KVD_STRING) : NULL;
	if (!e) {
		kvd_str_put(s);
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return NULL;
	}
	kvd_store_set_str(e, s);
	return e;
}

/**
 * cmd_getrange - GETRANGE key start end (and SUBSTR, its old name)
 * @x: the command
 *
 * Negative indexes count from the end; the range is clamped to the
 * string; both negative with start after end, or an empty range, is "".
 *
 * Context: main thread.
 */
void cmd_getrange(struct kvd_ctx *x)
{
	long long start, end, len;
	struct kvd_entry *e;

	if (kvd_arg_ll(x, &x->argv[2], &start) || kvd_arg_ll(x, &x->argv[3], &end))
		return;
	e = kvd_lookup_read(x, &x->argv[1]);
	if (kvd_wrong_type(x, e, KVD_STRING))
		return;
	len = e ? (long long)e->str->len : 0;
	if (start < 0 && end < 0 && start > end) {
		kvd_reply_bulk(x->c, "", 0);
		return;
	}
	if (start < 0)
		start += len;
	if (end < 0)
		end += len;
	if (start < 0)
		start = 0;
	if (end < 0)
		end = 0;
	if (end >= len)
		end = len - 1;
	if (!len || start > end) {
		kvd_reply_bulk(x->c, "", 0);
		return;
	}
	kvd_reply_bulk(x->c, e->str->bytes + start, (size_t)(end - start + 1));
}

/**
 * cmd_setrange - SETRANGE key offset value
 * @x: the command
 *
 * Pads with zero bytes up to @offset.  An empty value changes nothing
 * (and creates no key); the result must fit proto-max-bulk-len.
 *
 * Context: main thread.
 */
void cmd_setrange(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1], *val = &x->argv[3];
	struct kvd_entry *e;
	struct kvd_str *s;
	long long off;
	bool created;

	if (kvd_arg_ll(x, &x->argv[2], &off))
		return;
	if (off < 0) {
		kvd_reply_error(x->c, "ERR offset is out of range");
		return;
	}
	e = kvd_lookup_write(x, key);
	if (kvd_wrong_type(x, e, KVD_STRING))
		return;
	if (!val->len) {
		kvd_reply_int(x->c, e ? (long long)e->str->len : 0);
		return;
	}
	if ((unsigned long long)off + val->len >
	    (unsigned long long)kvd_max_bulk_len()) {
		kvd_reply_error(x->c, ERR_TOO_BIG);
		return;
	}
	created = !e;
	e = str_entry_for_write(x, key, e);
	if (!e)
		return;
	s = kvd_str_for_write(e, (size_t)off, (size_t)off + val->len);
	if (!s) {
		if (created)
			kvd_store_delete(&kvd_db, e);
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	kvd_str_write(s, (size_t)off, val->s, val->len);
	kvd_signal_modified(key->s, key->len);
	kvd_reply_int(x->c, (long long)s->len);
}

/**
 * bit_offset - a bit offset argument, with Redis's limit
 * @x: the command
 * @a: the argument
 * @out: the offset
 *
 * The byte it is in must be below proto-max-bulk-len.
 *
 * Context: main thread.
 * Return: 0, or -1 after replying the error.
 */
static int bit_offset(struct kvd_ctx *x, const struct kvd_arg *a,
		      long long *out)
{
	if (!kvd_string2ll(a->s, a->len, out) || *out < 0 ||
	    (*out >> 3) >= kvd_max_bulk_len()) {
		kvd_reply_error(x->c, "ERR bit offset is not an integer or out "
				"of range");
		return -1;
	}
	return 0;
}

/**
 * cmd_getbit - GETBIT key offset
 * @x: the command
 *
 * Bit 0 is the most significant bit of the first byte; past the end is 0.
 *
 * Context: main thread.
 */
void cmd_getbit(struct kvd_ctx *x)
{
	struct kvd_entry *e;
	long long off;
	size_t byte;

	if (bit_offset(x, &x->argv[2], &off))
		return;
	e = kvd_lookup_read(x, &x->argv[1]);
	if (kvd_wrong_type(x, e, KVD_STRING))
		return;
	byte = (size_t)(off >> 3);
	kvd_reply_int(x->c, e && byte < e->str->len &&
		      (e->str->bytes[byte] & (0x80 >> (off & 7))) ? 1 : 0);
}

/**
 * cmd_setbit - SETBIT key offset value
 * @x: the command
 *
 * Replies the bit's old value.  As in Redis, a key is changed (and its
 * watchers told) only when the bit changes or the string grows.
 *
 * Context: main thread.
 */
void cmd_setbit(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1];
	struct kvd_entry *e;
	struct kvd_str *s;
	long long off;
	size_t byte;
	unsigned char mask, val;
	bool old, on, created;

	if (bit_offset(x, &x->argv[2], &off))
		return;
	if (!kvd_arg_is(&x->argv[3], "0") && !kvd_arg_is(&x->argv[3], "1")) {
		kvd_reply_error(x->c, "ERR bit is not an integer or out of range");
		return;
	}
	on = x->argv[3].s[0] == '1';
	e = kvd_lookup_write(x, key);
	if (kvd_wrong_type(x, e, KVD_STRING))
		return;
	byte = (size_t)(off >> 3);
	mask = (unsigned char)(0x80 >> (off & 7));
	old = e && byte < e->str->len && (e->str->bytes[byte] & mask);
	if (e && byte < e->str->len && old == on) {
		kvd_reply_int(x->c, old);
		return;
	}
	created = !e;
	e = str_entry_for_write(x, key, e);
	if (!e)
		return;
	s = kvd_str_for_write(e, byte, byte + 1 > e->str->len ?
			      byte + 1 : e->str->len);
	if (!s) {
		if (created)
			kvd_store_delete(&kvd_db, e);
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	val = (unsigned char)s->bytes[byte];
	val = (unsigned char)(on ? val | mask : val & ~mask);
	kvd_str_write(s, byte, &val, 1);
	kvd_signal_modified(key->s, key->len);
	kvd_reply_int(x->c, old);
}

/**
 * popcount - the set bits of @n bytes
 * @p: the bytes
 * @n: how many
 *
 * Context: any thread.
 * Return: the count.
 */
static long long popcount(const unsigned char *p, size_t n)
{
	long long c = 0;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		unsigned long long w;

		memcpy(&w, p + i, 8);
		c += __builtin_popcountll(w);
	}
	for (; i < n; i++)
		c += __builtin_popcount(p[i]);
	return c;
}

/**
 * cmd_bitcount - BITCOUNT key [start end [BYTE | BIT]]
 * @x: the command
 *
 * The range is in bytes, or in bits with BIT; negative indexes count
 * from the end and the range is clamped, as GETRANGE's.  Redis's order:
 * the key first (a missing key is 0 whatever the arguments), then them.
 *
 * Context: main thread.
 */
void cmd_bitcount(struct kvd_ctx *x)
{
	long long start = 0, end = -1, total, count;
	const unsigned char *p;
	struct kvd_entry *e;
	bool bits = false;

	e = kvd_lookup_read(x, &x->argv[1]);
	if (!e) {
		kvd_reply_int(x->c, 0);
		return;
	}
	if (kvd_wrong_type(x, e, KVD_STRING))
		return;
	if (x->argc == 3 || x->argc > 5) {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	if (x->argc >= 4 && (kvd_arg_ll(x, &x->argv[2], &start) ||
			     kvd_arg_ll(x, &x->argv[3], &end)))
		return;
	if (start < 0 && end < 0 && start > end) {
		kvd_reply_int(x->c, 0);		/* before the unit, as Redis */
		return;
	}
	if (x->argc == 5) {
		if (kvd_arg_is(&x->argv[4], "bit")) {
			bits = true;
		} else if (!kvd_arg_is(&x->argv[4], "byte")) {
			kvd_reply_error(x->c, KVD_ERR_SYNTAX);
			return;
		}
	}
	p = (const unsigned char *)e->str->bytes;
	total = (long long)e->str->len * (bits ? 8 : 1);
	if (x->argc == 2) {
		kvd_reply_int(x->c, popcount(p, e->str->len));
		return;
	}
	if (start < 0)
		start += total;
	if (end < 0)
		end += total;
	if (start < 0)
		start = 0;
	if (end < 0)
		end = 0;
	if (end >= total)
		end = total - 1;
	if (start > end) {
		kvd_reply_int(x->c, 0);
		return;
	}
	if (!bits) {
		kvd_reply_int(x->c, popcount(p + start, (size_t)(end - start + 1)));
		return;
	}
	/* Whole bytes, less the bits before start and after end. */
	count = popcount(p + (start >> 3), (size_t)((end >> 3) - (start >> 3) + 1));
	count -= __builtin_popcount(p[start >> 3] & (0xff00 >> (start & 7)) & 0xff);
	count -= __builtin_popcount(p[end >> 3] & (0xff >> ((end & 7) + 1)));
	kvd_reply_int(x->c, count);
}
