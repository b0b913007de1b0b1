// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_dict.c - what hash and set commands share: HSCAN and SSCAN, and the
 * random picks of HRANDFIELD and SRANDMEMBER.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

/**
 * reply_field - reply one field or member, and a field's value when asked
 * @x: the command
 * @de: the entry
 * @withvalues: reply the value too (a hash's entry)
 *
 * Context: main thread.
 * Return: the bytes the reply takes, about (for the output-buffer bound).
 */
static size_t reply_field(struct kvd_ctx *x, const struct kvd_dict_entry *de,
			  bool withvalues)
{
	kvd_reply_bulk(x->c, de->key, de->len);
	if (!withvalues)
		return de->len + 6;
	kvd_reply_str(x->c, de->val);
	return de->len + de->val->len + 12;
}

/**
 * kvd_reply_random_repeat - HRANDFIELD / SRANDMEMBER with a negative count:
 *	@count random entries, repeats allowed
 * @x: the command
 * @d: the hash or set, not empty
 * @count: how many
 * @withvalues: reply each field's value after it
 *
 * A reply past the output-buffer limit closes the client (baton), so the
 * loop stops there: a huge count costs at most that many bytes of work.
 * Nothing queued during a command is written before it returns, and
 * each element's estimate is below its real size, so once the estimate
 * passes the limit baton has closed the client: no reply is cut short
 * on a client that stays open.
 *
 * Context: main thread.
 */
void kvd_reply_random_repeat(struct kvd_ctx *x, const struct kvd_dict *d,
			     unsigned long long count, bool withvalues)
{
	size_t bytes = 0;

	kvd_reply_array(x->c, (long long)(withvalues ? 2 * count : count));
	while (count-- && bytes <= kvd_cfg.obuf_limit)
		bytes += reply_field(x, kvd_dict_random(d), withvalues);
}

/**
 * pick_set_has - whether an entry was picked already
 * @slots: an open-addressing table of entry pointers
 * @mask: its size - 1
 * @de: the entry
 *
 * Context: main thread.
 * Return: true when it is there; else it is added.
 */
static bool pick_set_has(const struct kvd_dict_entry **slots, size_t mask,
			 const struct kvd_dict_entry *de)
{
	size_t i = (size_t)(((uintptr_t)de >> 4) * 0x9e3779b97f4a7c15ULL) & mask;

	for (; slots[i]; i = (i + 1) & mask)
		if (slots[i] == de)
			return true;
	slots[i] = de;
	return false;
}

/**
 * kvd_reply_random_distinct - HRANDFIELD / SRANDMEMBER with a positive
 *	count: @count distinct random entries
 * @x: the command
 * @d: the hash or set
 * @count: how many, below @d's size (a larger count replies them all)
 * @withvalues: reply each field's value after it
 *
 * When @count is close to the size, a partial shuffle of every entry;
 * otherwise random picks, the repeats skipped.
 *
 * Context: main thread.
 */
void kvd_reply_random_distinct(struct kvd_ctx *x, const struct kvd_dict *d,
			       size_t count, bool withvalues)
{
	const struct kvd_dict_entry **v;
	size_t i, n = d->count, size = 4;

	if (count >= n) {
		struct kvd_dict_iter it = { 0 };
		struct kvd_dict_entry *de;

		kvd_reply_array(x->c, (long long)(withvalues ? 2 * n : n));
		while ((de = kvd_dict_next(d, &it)))
			reply_field(x, de, withvalues);
		return;
	}
	if (count * 3 > n) {
		struct kvd_dict_iter it = { 0 };

		v = malloc(n * sizeof(*v));
		if (!v)
			goto oom;
		for (i = 0; i < n; i++)
			v[i] = kvd_dict_next(d, &it);
		for (i = 0; i < count; i++) {
			size_t j = i + kvd_rand_below(n - i);
			const struct kvd_dict_entry *t = v[i];

			v[i] = v[j];
			v[j] = t;
		}
	} else {
		const struct kvd_dict_entry **slots;

		while (size < count * 2)
			size *= 2;
		slots = calloc(size, sizeof(*slots));
		v = malloc(count * sizeof(*v));
		if (!slots || !v) {
			free(slots);
			free(v);
			goto oom;
		}
		for (i = 0; i < count; ) {
			const struct kvd_dict_entry *de = kvd_dict_random(d);

			if (!pick_set_has(slots, size - 1, de))
				v[i++] = de;
		}
		free(slots);
	}
	kvd_reply_array(x->c, (long long)(withvalues ? 2 * count : count));
	for (i = 0; i < count; i++)
		reply_field(x, v[i], withvalues);
	free(v);
	return;
oom:
	kvd_reply_error(x->c, KVD_ERR_OOM);
}

/**
 * kvd_parse_rand_count - HRANDFIELD's and SRANDMEMBER's count
 * @x: the command
 * @a: the argument
 * @count: the number, in [-LLONG_MAX, LLONG_MAX]
 *
 * Context: main thread.
 * Return: 0, or -1 after replying Redis's error.
 */
int kvd_parse_rand_count(struct kvd_ctx *x, const struct kvd_arg *a,
			 long long *count)
{
	if (kvd_arg_ll(x, a, count))
		return -1;
	if (*count == LLONG_MIN) {
		kvd_reply_error(x->c, "ERR value is out of range, value must "
				"between -9223372036854775807 and "
				"9223372036854775807");
		return -1;
	}
	return 0;
}

/**
 * kvd_rand_count_too_big - refuse a negative count whose reply cannot fit
 * @x: the command
 * @count: the count
 * @per: the least bytes one element's reply takes
 *
 * Redis would try to build the reply (and run out of memory); kvd's
 * client would be closed at its output-buffer limit anyway, so it
 * answers an error instead.
 *
 * Context: main thread.
 * Return: true after replying the error.
 */
bool kvd_rand_count_too_big(struct kvd_ctx *x, long long count, size_t per)
{
	if (count >= 0 || (unsigned long long)-count <= kvd_cfg.obuf_limit / per)
		return false;
	kvd_reply_error(x->c, "ERR count is too large: the reply would pass "
			"the output buffer limit");
	return true;
}

/**
 * struct scan_acc - the entries one HSCAN or SSCAN call visited
 * @items: the entries
 * @nr: how many
 * @cap: room in @items
 * @oom: an allocation failed
 */
struct scan_acc {
	struct kvd_dict_entry **items;
	size_t nr;
	size_t cap;
	bool oom;
};

/**
 * scan_collect - kvd_dict_scan() callback: keep an entry
 * @de: the entry
 * @arg: the struct scan_acc
 *
 * Context: main thread.
 */
static void scan_collect(struct kvd_dict_entry *de, void *arg)
{
	struct scan_acc *acc = arg;

	if (acc->oom)
		return;
	if (acc->nr == acc->cap) {
		size_t cap = acc->cap ? acc->cap * 2 : 32;
		struct kvd_dict_entry **n = realloc(acc->items, cap * sizeof(*n));

		if (!n) {
			acc->oom = true;
			return;
		}
		acc->items = n;
		acc->cap = cap;
	}
	acc->items[acc->nr++] = de;
}

/**
 * parse_cursor - a scan cursor, read as Redis does (strtoull)
 * @a: the argument
 * @out: the cursor
 *
 * Context: any thread.
 * Return: true when valid.
 */
static bool parse_cursor(const struct kvd_arg *a, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(a->s, &end, 10);
	return !isspace((unsigned char)a->s[0]) && *end == '\0' &&
	       errno != ERANGE;
}

/**
 * dict_scan - HSCAN / SSCAN key cursor [MATCH pattern] [COUNT count]
 * @x: the command
 * @type: KVD_HASH or KVD_SET
 *
 * The checks run in Redis's order: the cursor, then the key (a missing
 * key is an empty, finished scan whatever the options), its type, then
 * the options.  A hash replies each field with its value.
 *
 * Context: main thread.
 */
static void dict_scan(struct kvd_ctx *x, enum kvd_type type)
{
	const struct kvd_arg *pat = NULL;
	struct scan_acc acc = { 0 };
	unsigned long long cursor, next;
	struct kvd_entry *e;
	long long count = 10;
	size_t i, kept = 0;
	char buf[24];
	int j;

	if (!parse_cursor(&x->argv[2], &cursor)) {
		kvd_reply_error(x->c, "ERR invalid cursor");
		return;
	}
	e = kvd_lookup_read(x, &x->argv[1]);
	if (kvd_wrong_type(x, e, type))
		return;
	for (j = 3; e && j < x->argc; j += 2) {
		bool more = j + 1 < x->argc;

		if (kvd_arg_is(&x->argv[j], "count") && more) {
			if (kvd_arg_ll(x, &x->argv[j + 1], &count))
				return;
			if (count < 1) {
				kvd_reply_error(x->c, KVD_ERR_SYNTAX);
				return;
			}
		} else if (kvd_arg_is(&x->argv[j], "match") && more) {
			pat = &x->argv[j + 1];
			if (pat->len == 1 && pat->s[0] == '*')
				pat = NULL;
		} else {
			kvd_reply_error(x->c, KVD_ERR_SYNTAX);
			return;
		}
	}
	next = e ? kvd_dict_scan(e->dict, cursor, (size_t)count, scan_collect,
				 &acc) : 0;
	if (acc.oom) {
		free(acc.items);
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	for (i = 0; i < acc.nr; i++) {
		struct kvd_dict_entry *de = acc.items[i];

		if (!pat || kvd_glob_match(pat->s, pat->len, de->key, de->len,
					   false))
			acc.items[kept++] = de;
	}
	kvd_reply_array(x->c, 2);
	kvd_reply_bulk(x->c, buf, (size_t)snprintf(buf, sizeof(buf), "%llu", next));
	kvd_reply_array(x->c, (long long)(type == KVD_HASH ? 2 * kept : kept));
	for (i = 0; i < kept; i++)
		reply_field(x, acc.items[i], type == KVD_HASH);
	free(acc.items);
}

/**
 * cmd_hscan - HSCAN key cursor [MATCH pattern] [COUNT count]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_hscan(struct kvd_ctx *x)
{
	dict_scan(x, KVD_HASH);
}

/**
 * cmd_sscan - SSCAN key cursor [MATCH pattern] [COUNT count]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_sscan(struct kvd_ctx *x)
{
	dict_scan(x, KVD_SET);
}
