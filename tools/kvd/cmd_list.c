// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_list.c - list commands that push and pop: LPUSH, RPUSH, LPUSHX,
 * RPUSHX, LPOP, RPOP, LMOVE, RPOPLPUSH, LMPOP; and LLEN, LRANGE.
 *
 * Elements are string values (struct kvd_str) like any other, so LRANGE
 * and the pops reply them zero-copy too.
 */
#include <errno.h>
#include <stdlib.h>
#include "kvd.h"

/**
 * list_push - push one element onto the list at @key, adding the key
 * @key: the key
 * @ep: its entry, NULL when the key does not exist: the new entry is
 *	stored there
 * @s: the element; the list takes the caller's reference
 * @left: push at the head
 *
 * Every push of kvd goes through here (LPUSH, RPUSH, LPUSHX, RPUSHX,
 * LMOVE, RPOPLPUSH): the place where a key that was missing gets its
 * first element, which is what blocking pops will wait for.  The
 * command calls list_pushed() once when it is done.
 *
 * Context: main thread.
 * Return: 0, or -ENOMEM (the reference stays the caller's; a key added
 * here is deleted again).
 */
static int list_push(const struct kvd_arg *key, struct kvd_entry **ep,
		     struct kvd_str *s, bool left)
{
	bool added = !*ep;

	if (added) {
		*ep = kvd_store_add(&kvd_db, key->s, key->len, KVD_LIST);
		if (!*ep)
			return -ENOMEM;
	}
	if (kvd_list_push((*ep)->list, s, left)) {
		if (added) {
			kvd_store_delete(&kvd_db, *ep);
			*ep = NULL;
		}
		return -ENOMEM;
	}
	return 0;
}

/**
 * list_pushed - a command pushed onto the list at @key
 * @key: the key
 *
 * Tells the key's watchers, and through kvd_signal_modified() the
 * clients blocked on it: blocking.c serves them after the command.
 *
 * Context: main thread.
 */
static void list_pushed(const struct kvd_arg *key)
{
	kvd_signal_modified(key->s, key->len);
}

/**
 * push_generic - LPUSH / RPUSH / LPUSHX / RPUSHX key element [element ...]
 * @x: the command
 * @left: push at the head
 * @xx: only when the key exists (the X forms): else reply 0
 *
 * Context: main thread.
 */
static void push_generic(struct kvd_ctx *x, bool left, bool xx)
{
	const struct kvd_arg *key = &x->argv[1];
	struct kvd_entry *e = kvd_lookup_write(x, key);
	int j;

	if (kvd_wrong_type(x, e, KVD_LIST))
		return;
	if (!e && xx) {
		kvd_reply_int(x->c, 0);
		return;
	}
	for (j = 2; j < x->argc; j++) {
		struct kvd_str *s = kvd_str_new(x->argv[j].s, x->argv[j].len,
						x->argv[j].len);

		if (!s || list_push(key, &e, s, left)) {
			kvd_str_put(s);
			if (e)
				list_pushed(key);	/* some went in */
			kvd_reply_error(x->c, KVD_ERR_OOM);
			return;
		}
	}
	list_pushed(key);
	kvd_reply_int(x->c, (long long)e->list->len);
}

/**
 * cmd_lpush - LPUSH key element [element ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_lpush(struct kvd_ctx *x)
{
	push_generic(x, true, false);
}

/**
 * cmd_rpush - RPUSH key element [element ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_rpush(struct kvd_ctx *x)
{
	push_generic(x, false, false);
}

/**
 * cmd_lpushx - LPUSHX key element [element ...]: only onto a list
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_lpushx(struct kvd_ctx *x)
{
	push_generic(x, true, true);
}

/**
 * cmd_rpushx - RPUSHX key element [element ...]: only onto a list
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_rpushx(struct kvd_ctx *x)
{
	push_generic(x, false, true);
}

/**
 * pop_reply - pop up to @count elements, reply them and tidy up
 * @x: the command
 * @key: the key
 * @e: its list entry, not empty
 * @count: how many at most
 * @left: pop from the head
 *
 * The elements are replied zero-copy and put: the worker's put after
 * its write frees them, on main.  A list left empty is deleted.
 *
 * Context: main thread.
 */
static void pop_reply(struct kvd_ctx *x, const struct kvd_arg *key,
		      struct kvd_entry *e, long long count, bool left)
{
	long long i;

	for (i = 0; i < count; i++) {
		struct kvd_str *s = kvd_list_pop(e->list, left);

		kvd_reply_str(x->c, s);
		kvd_str_put(s);
	}
	if (!e->list->len)
		kvd_store_delete(&kvd_db, e);
	if (count)
		kvd_signal_modified(key->s, key->len);
}

/**
 * pop_generic - LPOP / RPOP key [count]
 * @x: the command
 * @left: pop from the head
 *
 * Without a count: one element or nil.  With one: an array of up to
 * count elements, or a nil array when the key does not exist.
 *
 * Context: main thread.
 */
static void pop_generic(struct kvd_ctx *x, bool left)
{
	struct kvd_entry *e;
	long long count = 1;
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
	pop_reply(x, &x->argv[1], e, count, left);
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
 * move_generic - pop from @src's @from end, push at @dst's @to end
 * @x: the command
 * @src: the source key
 * @dst: the destination key (may be @src: a rotation)
 * @from_left: pop from the head
 * @to_left: push at the head
 *
 * Replies the element, or nil when @src does not exist.  Both keys must
 * hold lists (or not exist); the element is never lost: the destination
 * is made ready before the pop, and a push that runs out of memory puts
 * the element back.
 *
 * Context: main thread.
 */
static void move_generic(struct kvd_ctx *x, const struct kvd_arg *src,
			 const struct kvd_arg *dst, bool from_left,
			 bool to_left)
{
	struct kvd_entry *e = kvd_lookup_write(x, src), *d;
	struct kvd_str *s;

	if (!e) {
		kvd_reply_null(x->c);
		return;
	}
	if (kvd_wrong_type(x, e, KVD_LIST))
		return;
	d = kvd_lookup_write(x, dst);
	if (kvd_wrong_type(x, d, KVD_LIST))
		return;
	s = kvd_list_pop(e->list, from_left);
	if (list_push(dst, &d, s, to_left)) {
		kvd_list_push(e->list, s, from_left);	/* its slot is free */
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	kvd_reply_str(x->c, s);
	list_pushed(dst);
	if (!e->list->len)
		kvd_store_delete(&kvd_db, e);
	kvd_signal_modified(src->s, src->len);
}

/**
 * cmd_lmove - LMOVE source destination LEFT|RIGHT LEFT|RIGHT
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_lmove(struct kvd_ctx *x)
{
	bool from_left, to_left;

	if (!parse_end(&x->argv[3], &from_left) ||
	    !parse_end(&x->argv[4], &to_left)) {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	move_generic(x, &x->argv[1], &x->argv[2], from_left, to_left);
}

/**
 * cmd_rpoplpush - RPOPLPUSH source destination: LMOVE ... RIGHT LEFT
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_rpoplpush(struct kvd_ctx *x)
{
	move_generic(x, &x->argv[1], &x->argv[2], false, true);
}

/**
 * cmd_lmpop - LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]
 * @x: the command
 *
 * Pops from the first key, in order, that holds a non-empty list:
 * replies [key, [elements]], or a nil array when none does.  A key of
 * another type met before that is WRONGTYPE.
 *
 * Context: main thread.
 */
void cmd_lmpop(struct kvd_ctx *x)
{
	long long numkeys, count = 1;
	bool left, has_count = false;
	int j, where;

	if (!kvd_string2ll(x->argv[1].s, x->argv[1].len, &numkeys) ||
	    numkeys < 1) {
		kvd_reply_error(x->c, "ERR numkeys should be greater than 0");
		return;
	}
	if (numkeys >= x->argc - 2 ||
	    !parse_end(&x->argv[2 + numkeys], &left)) {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	where = (int)(2 + numkeys);
	for (j = where + 1; j < x->argc; j++) {
		if (kvd_arg_is(&x->argv[j], "count") && !has_count &&
		    j + 1 < x->argc) {
			if (!kvd_string2ll(x->argv[j + 1].s, x->argv[j + 1].len,
					   &count) || count < 1) {
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
	for (j = 2; j < where; j++) {
		struct kvd_entry *e = kvd_lookup_write(x, &x->argv[j]);

		if (!e)
			continue;
		if (kvd_wrong_type(x, e, KVD_LIST))
			return;
		if ((size_t)count > e->list->len)
			count = (long long)e->list->len;
		kvd_reply_array(x->c, 2);
		kvd_reply_bulk(x->c, x->argv[j].s, x->argv[j].len);
		kvd_reply_array(x->c, count);
		pop_reply(x, &x->argv[j], e, count, left);
		return;
	}
	kvd_reply_null_array(x->c);
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
