// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_list_edit.c - list commands by index and value: LINDEX, LSET,
 * LREM, LINSERT, LTRIM, LPOS.
 *
 * Elements are never written in place: LSET stores a new element and
 * puts the old one, so a reply still sending the old one (LRANGE,
 * LINDEX reply zero-copy) keeps it alive.  Main only.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

/**
 * list_entry - the list at @key for a command that needs one
 * @x: the command
 * @key: the key
 * @write: a write lookup (no hit or miss counted)
 * @missing: set when the key does not exist (no reply sent)
 *
 * Context: main thread.
 * Return: the entry; NULL when the key is missing (*@missing set) or
 * holds another type (WRONGTYPE replied).
 */
static struct kvd_entry *list_entry(struct kvd_ctx *x,
				    const struct kvd_arg *key, bool write,
				    bool *missing)
{
	struct kvd_entry *e = write ? kvd_lookup_write(x, key) :
				      kvd_lookup_read(x, key);

	*missing = !e;
	if (kvd_wrong_type(x, e, KVD_LIST))
		return NULL;
	return e;
}

/**
 * str_is - whether an element equals an argument
 * @s: the element
 * @a: the argument
 *
 * Context: main thread.
 * Return: true when their bytes are the same.
 */
static bool str_is(const struct kvd_str *s, const struct kvd_arg *a)
{
	return s->len == a->len && !memcmp(s->bytes, a->s, a->len);
}

/**
 * list_index - a LINDEX/LSET index as a position
 * @l: the list
 * @index: the index; negative counts from the tail
 * @pos: receives the position
 *
 * Context: main thread.
 * Return: true when it is inside the list.
 */
static bool list_index(const struct kvd_list *l, long long index, size_t *pos)
{
	long long len = (long long)l->len;

	if (index < 0)
		index += len;
	if (index < 0 || index >= len)
		return false;
	*pos = (size_t)index;
	return true;
}

/**
 * cmd_lindex - LINDEX key index
 * @x: the command
 *
 * Redis's order: the key (nil when missing), then the index.
 *
 * Context: main thread.
 */
void cmd_lindex(struct kvd_ctx *x)
{
	struct kvd_entry *e;
	long long index;
	bool missing;
	size_t pos;

	e = list_entry(x, &x->argv[1], false, &missing);
	if (!e) {
		if (missing)
			kvd_reply_null(x->c);
		return;
	}
	if (kvd_arg_ll(x, &x->argv[2], &index))
		return;
	if (list_index(e->list, index, &pos))
		kvd_reply_str(x->c, kvd_list_at(e->list, pos));
	else
		kvd_reply_null(x->c);
}

/**
 * cmd_lset - LSET key index element
 * @x: the command
 *
 * Redis's order: the key ("no such key"), then the index.
 *
 * Context: main thread.
 */
void cmd_lset(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1], *val = &x->argv[3];
	struct kvd_entry *e;
	struct kvd_str *s, **slot;
	long long index;
	bool missing;
	size_t pos;

	e = list_entry(x, key, true, &missing);
	if (!e) {
		if (missing)
			kvd_reply_error(x->c, "ERR no such key");
		return;
	}
	if (kvd_arg_ll(x, &x->argv[2], &index))
		return;
	if (!list_index(e->list, index, &pos)) {
		kvd_reply_error(x->c, "ERR index out of range");
		return;
	}
	s = kvd_str_new(val->s, val->len, val->len);
	if (!s) {
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	slot = kvd_list_slot(e->list, pos);
	kvd_str_put(*slot);
	*slot = s;
	kvd_signal_modified(key->s, key->len);
	kvd_reply_ok(x->c);
}

/**
 * cmd_lrem - LREM key count element
 * @x: the command
 *
 * Removes the first @count matches from the head (count > 0), from the
 * tail (count < 0), or all of them (0); replies how many.  A list left
 * empty is deleted.
 *
 * Context: main thread.
 */
void cmd_lrem(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1], *val = &x->argv[3];
	unsigned long long limit;
	long long count, n = 0;
	struct kvd_entry *e;
	bool missing;
	size_t i, len;

	if (kvd_arg_ll(x, &x->argv[2], &count))
		return;
	e = list_entry(x, key, true, &missing);
	if (!e) {
		if (missing)
			kvd_reply_int(x->c, 0);
		return;
	}
	limit = count < 0 ? 0ULL - (unsigned long long)count :
			    (unsigned long long)count;
	len = e->list->len;
	for (i = 0; i < len && (!limit || (unsigned long long)n < limit); i++) {
		struct kvd_str **slot = kvd_list_slot(e->list,
						      count < 0 ? len - 1 - i : i);

		if (str_is(*slot, val)) {
			kvd_str_put(*slot);
			*slot = NULL;
			n++;
		}
	}
	if (n) {
		kvd_list_compact(e->list);
		if (!e->list->len)
			kvd_store_delete(&kvd_db, e);
		kvd_signal_modified(key->s, key->len);
	}
	kvd_reply_int(x->c, n);
}

/**
 * cmd_linsert - LINSERT key BEFORE|AFTER pivot element
 * @x: the command
 *
 * Replies the new length, -1 when the pivot is not there, 0 when the
 * key does not exist.
 *
 * Context: main thread.
 */
void cmd_linsert(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1], *val = &x->argv[4];
	struct kvd_entry *e;
	struct kvd_str *s;
	bool after, missing;
	size_t i;

	after = kvd_arg_is(&x->argv[2], "after");
	if (!after && !kvd_arg_is(&x->argv[2], "before")) {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	e = list_entry(x, key, true, &missing);
	if (!e) {
		if (missing)
			kvd_reply_int(x->c, 0);
		return;
	}
	for (i = 0; i < e->list->len; i++)
		if (str_is(kvd_list_at(e->list, i), &x->argv[3]))
			break;
	if (i == e->list->len) {
		kvd_reply_int(x->c, -1);
		return;
	}
	s = kvd_str_new(val->s, val->len, val->len);
	if (!s || kvd_list_insert(e->list, after ? i + 1 : i, s)) {
		kvd_str_put(s);
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	kvd_signal_modified(key->s, key->len);
	kvd_reply_int(x->c, (long long)e->list->len);
}

/**
 * cmd_ltrim - LTRIM key start stop
 * @x: the command
 *
 * Keeps [start, stop] (LRANGE's indexes); an empty range deletes the
 * key.  As in Redis, an existing key counts as changed even when
 * nothing was cut.
 *
 * Context: main thread.
 */
void cmd_ltrim(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1];
	long long start, end, len;
	struct kvd_entry *e;
	bool missing;

	if (kvd_arg_ll(x, &x->argv[2], &start) || kvd_arg_ll(x, &x->argv[3], &end))
		return;
	e = list_entry(x, key, true, &missing);
	if (!e) {
		if (missing)
			kvd_reply_ok(x->c);
		return;
	}
	len = (long long)e->list->len;
	if (start < 0)
		start += len;
	if (end < 0)
		end += len;
	if (start < 0)
		start = 0;
	if (start > end || start >= len) {
		kvd_store_delete(&kvd_db, e);
	} else {
		if (end >= len)
			end = len - 1;
		kvd_list_keep(e->list, (size_t)start, (size_t)(end - start + 1));
	}
	kvd_signal_modified(key->s, key->len);
	kvd_reply_ok(x->c);
}

/**
 * lpos_scan - the positions of LPOS's matches
 * @l: the list
 * @val: the element looked for
 * @rank: which match is the first reported (negative: from the tail)
 * @want: how many to report at most (0: all)
 * @len: how many elements to compare at most
 * @pos: receives an allocated array of positions from the head
 * @nr: receives their number
 *
 * Context: main thread.
 * Return: 0, or -ENOMEM (nothing allocated).
 */
static int lpos_scan(struct kvd_list *l, const struct kvd_arg *val,
		     long long rank, long long want, size_t len, size_t **pos,
		     size_t *nr)
{
	bool tail = rank < 0;
	long long matches = 0;
	size_t i, cap = 0;

	*pos = NULL;
	*nr = 0;
	if (tail)
		rank = rank == LLONG_MIN ? 1 : -rank;
	for (i = 0; i < len && (!want || (long long)*nr < want); i++) {
		size_t p = tail ? l->len - 1 - i : i;

		if (!str_is(kvd_list_at(l, p), val) || ++matches < rank)
			continue;
		if (*nr == cap) {
			size_t *n = realloc(*pos, (cap ? cap * 2 : 16) * sizeof(*n));

			if (!n) {
				free(*pos);
				*pos = NULL;
				return -ENOMEM;
			}
			*pos = n;
			cap = cap ? cap * 2 : 16;
		}
		(*pos)[(*nr)++] = p;
	}
	return 0;
}

/**
 * cmd_lpos - LPOS key element [RANK rank] [COUNT num] [MAXLEN len]
 * @x: the command
 *
 * The position of the rank-th match (negative ranks count matches from
 * the tail), comparing at most MAXLEN elements (0: all); with COUNT, an
 * array of up to num positions (0: all).  Positions are always from the
 * head.  As in Redis 7.0, a rank of LLONG_MIN acts as -1, and a COUNT or
 * MAXLEN that is not a number "can't be negative".
 *
 * Context: main thread.
 */
void cmd_lpos(struct kvd_ctx *x)
{
	long long rank = 1, count = 0, maxlen = 0;
	bool has_count = false, missing;
	size_t i, len, *pos = NULL, nr = 0;
	struct kvd_entry *e;
	int j;

	for (j = 3; j < x->argc; j++) {
		const struct kvd_arg *opt = &x->argv[j];
		bool more = j + 1 < x->argc;

		if (kvd_arg_is(opt, "rank") && more) {
			if (kvd_arg_ll(x, &x->argv[++j], &rank))
				return;
			if (!rank) {
				kvd_reply_error(x->c, "ERR RANK can't be zero: use 1 "
						"to start from the first match, 2 from "
						"the second ... or use negative to "
						"start from the end of the list");
				return;
			}
		} else if (kvd_arg_is(opt, "count") && more) {
			j++;
			if (!kvd_string2ll(x->argv[j].s, x->argv[j].len, &count) ||
			    count < 0) {
				kvd_reply_error(x->c, "ERR COUNT can't be negative");
				return;
			}
			has_count = true;
		} else if (kvd_arg_is(opt, "maxlen") && more) {
			j++;
			if (!kvd_string2ll(x->argv[j].s, x->argv[j].len, &maxlen) ||
			    maxlen < 0) {
				kvd_reply_error(x->c, "ERR MAXLEN can't be negative");
				return;
			}
		} else {
			kvd_reply_error(x->c, KVD_ERR_SYNTAX);
			return;
		}
	}
	e = list_entry(x, &x->argv[1], false, &missing);
	if (!e) {
		if (!missing)
			return;
		if (has_count)
			kvd_reply_array(x->c, 0);
		else
			kvd_reply_null(x->c);
		return;
	}
	len = e->list->len;
	if (maxlen && (unsigned long long)maxlen < len)
		len = (size_t)maxlen;
	if (lpos_scan(e->list, &x->argv[2], rank, has_count ? count : 1, len,
		      &pos, &nr)) {
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	if (has_count) {
		kvd_reply_array(x->c, (long long)nr);
		for (i = 0; i < nr; i++)
			kvd_reply_int(x->c, (long long)pos[i]);
	} else if (nr) {
		kvd_reply_int(x->c, (long long)pos[0]);
	} else {
		kvd_reply_null(x->c);
	}
	free(pos);
}
