// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_list.c - list commands: LPUSH, RPUSH, LPOP, RPOP, LLEN, LRANGE.
 *
 * Elements are string values (struct kvd_str) like any other, so LRANGE
 * and the pops reply them zero-copy too.
 */
#include <stdlib.h>
#include "kvd.h"

/**
 * push_generic - LPUSH / RPUSH key element [element ...]
 * @x: the command
 * @left: push at the head
 *
 * Context: main thread.
 */
static void push_generic(struct kvd_ctx *x, bool left)
{
	const struct kvd_arg *key = &x->argv[1];
	struct kvd_entry *e = kvd_lookup_write(x, key);
	int j;

	if (kvd_wrong_type(x, e, KVD_LIST))
		return;
	if (!e) {
		e = kvd_store_add(&kvd_db, key->s, key->len, KVD_LIST);
		if (!e)
			goto oom;
	}
	for (j = 2; j < x->argc; j++) {
		struct kvd_str *s = kvd_str_new(x->argv[j].s, x->argv[j].len,
						x->argv[j].len);

		if (!s || kvd_list_push(e->list, s, left)) {
			kvd_str_put(s);
			if (!e->list->len)
				kvd_store_delete(&kvd_db, e);
			goto oom;
		}
	}
	kvd_signal_modified(key->s, key->len);
	kvd_reply_int(x->c, (long long)e->list->len);
	return;
oom:
	kvd_reply_error(x->c, KVD_ERR_OOM);
}

/**
 * cmd_lpush - LPUSH key element [element ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_lpush(struct kvd_ctx *x)
{
	push_generic(x, true);
}

/**
 * cmd_rpush - RPUSH key element [element ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_rpush(struct kvd_ctx *x)
{
	push_generic(x, false);
}

/**
 * pop_generic - LPOP / RPOP key [count]
 * @x: the command
 * @left: pop from the head
 *
 * Without a count: one element or nil.  With one: an array of up to
 * count elements, or a nil array when the key does not exist.  A list
 * left empty is deleted.  The popped element is replied zero-copy and
 * then put: the worker's put after its write frees it, on main.
 *
 * Context: main thread.
 */
static void pop_generic(struct kvd_ctx *x, bool left)
{
	struct kvd_entry *e;
	long long count = 1, i;
	bool has_count = x->argc == 3;

	if (x->argc > 3) {
		kvd_reply_arity(x);
		return;
	}
	if (has_count && (!kvd_string2ll(x->argv[2].s, x->argv[2].len, &count) ||
			  count < 0)) {
		kvd_reply_error(x->c, "ERR value is out of range, must be positive");
		return;
	}
	e = kvd_lookup_write(x, &x->argv[1]);
	if (!e) {
		if (has_count)
			kvd_reply_null_array(x->c);
		else
			kvd_reply_null(x->c);
		return;
	}
	if (kvd_wrong_type(x, e, KVD_LIST))
		return;
	if (has_count) {
		if ((size_t)count > e->list->len)
			count = (long long)e->list->len;
		kvd_reply_array(x->c, count);
	}
	for (i = 0; i < count; i++) {
		struct kvd_str *s = kvd_list_pop(e->list, left);

		kvd_reply_str(x->c, s);
		kvd_str_put(s);
	}
	if (!e->list->len)
		kvd_store_delete(&kvd_db, e);
	if (count)
		kvd_signal_modified(x->argv[1].s, x->argv[1].len);
}

/**
 * cmd_lpop - LPOP key [count]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_lpop(struct kvd_ctx *x)
{
	pop_generic(x, true);
}

/**
 * cmd_rpop - RPOP key [count]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_rpop(struct kvd_ctx *x)
{
	pop_generic(x, false);
}

/**
 * cmd_llen - LLEN key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_llen(struct kvd_ctx *x)
{
	struct kvd_entry *e = kvd_lookup_read(x, &x->argv[1]);

	if (!kvd_wrong_type(x, e, KVD_LIST))
		kvd_reply_int(x->c, e ? (long long)e->list->len : 0);
}

/**
 * cmd_lrange - LRANGE key start stop
 * @x: the command
 *
 * Negative indexes count from the tail; out-of-range ones are clamped.
 *
 * Context: main thread.
 */
void cmd_lrange(struct kvd_ctx *x)
{
	long long start, end, len, i;
	struct kvd_entry *e;

	if (kvd_arg_ll(x, &x->argv[2], &start) || kvd_arg_ll(x, &x->argv[3], &end))
		return;
	e = kvd_lookup_read(x, &x->argv[1]);
	if (!e) {
		kvd_reply_array(x->c, 0);
		return;
	}
	if (kvd_wrong_type(x, e, KVD_LIST))
		return;
	len = (long long)e->list->len;
	if (start < 0)
		start = len + start;
	if (end < 0)
		end = len + end;
	if (start < 0)
		start = 0;
	if (start > end || start >= len) {
		kvd_reply_array(x->c, 0);
		return;
	}
	if (end >= len)
		end = len - 1;
	kvd_reply_array(x->c, end - start + 1);
	for (i = start; i <= end; i++)
		kvd_reply_str(x->c, kvd_list_at(e->list, (size_t)i));
}
