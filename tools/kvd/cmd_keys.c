// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_keys.c - keyspace commands: DEL, UNLINK, EXISTS, TYPE, TOUCH,
 * EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME,
 * PEXPIRETIME, PERSIST, DBSIZE, FLUSHDB, FLUSHALL, KEYS, SCAN, RANDOMKEY.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "kvd.h"

#define EXPIRE_NX	(1u << 0)
#define EXPIRE_XX	(1u << 1)
#define EXPIRE_GT	(1u << 2)
#define EXPIRE_LT	(1u << 3)

/**
 * cmd_del - DEL key [key ...], and UNLINK
 * @x: the command
 *
 * UNLINK is the same: kvd frees a value at once, and one that a reply
 * is still sending when its last reference goes (baton's deferred free).
 *
 * Context: main thread.
 */
void cmd_del(struct kvd_ctx *x)
{
	long long n = 0;
	int j;

	for (j = 1; j < x->argc; j++) {
		struct kvd_entry *e = kvd_lookup_write(x, &x->argv[j]);

		if (e) {
			kvd_store_delete(&kvd_db, e);
			kvd_signal_modified(x->argv[j].s, x->argv[j].len);
			n++;
		}
	}
	kvd_reply_int(x->c, n);
}

/**
 * cmd_exists - EXISTS key [key ...]: a key named twice counts twice
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_exists(struct kvd_ctx *x)
{
	long long n = 0;
	int j;

	for (j = 1; j < x->argc; j++)
		if (kvd_lookup_notouch(x, &x->argv[j]))
			n++;
	kvd_reply_int(x->c, n);
}

/**
 * cmd_type - TYPE key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_type(struct kvd_ctx *x)
{
	struct kvd_entry *e = kvd_lookup_notouch(x, &x->argv[1]);

	kvd_reply_status(x->c, e ? kvd_entry_type_name(e) : "none");
}

/**
 * parse_expire_flags - EXPIRE's NX, XX, GT and LT options
 * @x: the command
 * @flags: receives EXPIRE_*
 *
 * Context: main thread.
 * Return: 0, or -1 after replying an error.
 */
static int parse_expire_flags(struct kvd_ctx *x, unsigned int *flags)
{
	int j;

	*flags = 0;
	for (j = 3; j < x->argc; j++) {
		if (kvd_arg_is(&x->argv[j], "nx")) {
			*flags |= EXPIRE_NX;
		} else if (kvd_arg_is(&x->argv[j], "xx")) {
			*flags |= EXPIRE_XX;
		} else if (kvd_arg_is(&x->argv[j], "gt")) {
			*flags |= EXPIRE_GT;
		} else if (kvd_arg_is(&x->argv[j], "lt")) {
			*flags |= EXPIRE_LT;
		} else {
			kvd_reply_error(x->c, "ERR Unsupported option %s",
					x->argv[j].s);
			return -1;
		}
	}
	if ((*flags & EXPIRE_NX) && (*flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
		kvd_reply_error(x->c, "ERR NX and XX, GT or LT options at the "
				"same time are not compatible");
		return -1;
	}
	if ((*flags & EXPIRE_GT) && (*flags & EXPIRE_LT)) {
		kvd_reply_error(x->c, "ERR GT and LT options at the same time "
				"are not compatible");
		return -1;
	}
	return 0;
}

/**
 * expire_generic - EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time
 * [NX | XX | GT | LT]
 * @x: the command
 * @seconds: the time is in seconds (EXPIRE, EXPIREAT), else milliseconds
 * @absolute: the time is a Unix time (EXPIREAT, PEXPIREAT), else from now
 *
 * A time at or before now deletes the key; the reply is 1 when the
 * expiry was set (or the key deleted), 0 when the key does not exist or
 * the condition failed.  No expiry counts as an infinite one for GT/LT.
 * The overflow checks are Redis's.
 *
 * Context: main thread.
 */
static void expire_generic(struct kvd_ctx *x, bool seconds, bool absolute)
{
	struct kvd_entry *e;
	unsigned int flags;
	long long when;
	int64_t off;
	bool has;

	if (parse_expire_flags(x, &flags) || kvd_arg_ll(x, &x->argv[2], &when))
		return;
	if (seconds) {
		if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)
			goto invalid;
		when *= 1000;
	}
	if (!absolute && when > LLONG_MAX - kvd_wall_ms())
		goto invalid;
	e = kvd_lookup_write(x, &x->argv[1]);
	if (!e) {
		kvd_reply_int(x->c, 0);
		return;
	}
	/* A kvd_now_ms() deadline now; one long past is just "past". */
	off = kvd_wall_offset();
	if (!absolute)
		when += x->now;
	else if (when < x->now + off)
		when = x->now - 1;
	else
		when -= off;
	has = e->expire_ms >= 0;
	if (((flags & EXPIRE_NX) && has) || ((flags & EXPIRE_XX) && !has) ||
	    ((flags & EXPIRE_GT) && (!has || when <= e->expire_ms)) ||
	    ((flags & EXPIRE_LT) && has && when >= e->expire_ms)) {
		kvd_reply_int(x->c, 0);
		return;
	}
	if (when <= x->now) {
		kvd_store_delete(&kvd_db, e);
	} else if (kvd_store_set_expire(&kvd_db, e, when)) {
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	kvd_signal_modified(x->argv[1].s, x->argv[1].len);
	kvd_reply_int(x->c, 1);
	return;
invalid:
	kvd_reply_error(x->c, "ERR invalid expire time in '%s' command",
			x->cl->last_cmd);
}

/**
 * cmd_expire - EXPIRE key seconds [NX | XX | GT | LT]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_expire(struct kvd_ctx *x)
{
	expire_generic(x, true, false);
}

/**
 * cmd_pexpire - PEXPIRE key milliseconds [NX | XX | GT | LT]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_pexpire(struct kvd_ctx *x)
{
	expire_generic(x, false, false);
}

/**
 * cmd_expireat - EXPIREAT key unix-time-seconds [NX | XX | GT | LT]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_expireat(struct kvd_ctx *x)
{
	expire_generic(x, true, true);
}

/**
 * cmd_pexpireat - PEXPIREAT key unix-time-ms [NX | XX | GT | LT]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_pexpireat(struct kvd_ctx *x)
{
	expire_generic(x, false, true);
}

/**
 * ttl_generic - TTL / PTTL key
 * @x: the command
 * @ms: reply milliseconds (PTTL), else seconds, rounded
 *
 * Context: main thread.
 */
static void ttl_generic(struct kvd_ctx *x, bool ms)
{
	struct kvd_entry *e = kvd_lookup_notouch(x, &x->argv[1]);
	int64_t ttl;

	if (!e) {
		kvd_reply_int(x->c, -2);
		return;
	}
	if (e->expire_ms < 0) {
		kvd_reply_int(x->c, -1);
		return;
	}
	ttl = e->expire_ms - x->now;
	if (ttl < 0)
		ttl = 0;
	kvd_reply_int(x->c, ms ? ttl : (ttl + 500) / 1000);
}

/**
 * cmd_ttl - TTL key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_ttl(struct kvd_ctx *x)
{
	ttl_generic(x, false);
}

/**
 * cmd_pttl - PTTL key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_pttl(struct kvd_ctx *x)
{
	ttl_generic(x, true);
}

/**
 * expiretime_generic - EXPIRETIME / PEXPIRETIME key
 * @x: the command
 * @ms: reply milliseconds (PEXPIRETIME), else seconds, rounded
 *
 * The Unix time the key expires at: -2 when it does not exist, -1 when
 * it has no expiry.
 *
 * Context: main thread.
 */
static void expiretime_generic(struct kvd_ctx *x, bool ms)
{
	struct kvd_entry *e = kvd_lookup_notouch(x, &x->argv[1]);
	int64_t at;

	if (!e) {
		kvd_reply_int(x->c, -2);
		return;
	}
	if (e->expire_ms < 0) {
		kvd_reply_int(x->c, -1);
		return;
	}
	/* Unsigned: the rounding must not overflow near LLONG_MAX. */
	at = e->expire_ms + kvd_wall_offset();
	kvd_reply_int(x->c, ms ? at : (long long)(((unsigned long long)at +
						   500) / 1000));
}

/**
 * cmd_expiretime - EXPIRETIME key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_expiretime(struct kvd_ctx *x)
{
	expiretime_generic(x, false);
}

/**
 * cmd_pexpiretime - PEXPIRETIME key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_pexpiretime(struct kvd_ctx *x)
{
	expiretime_generic(x, true);
}

/**
 * cmd_touch - TOUCH key [key ...]: the keys' access time becomes now
 * @x: the command
 *
 * Context: main thread.
 * Return: (reply) how many of the keys exist; one named twice counts
 * twice.
 */
void cmd_touch(struct kvd_ctx *x)
{
	long long n = 0;
	int j;

	for (j = 1; j < x->argc; j++)
		if (kvd_lookup_read(x, &x->argv[j]))
			n++;
	kvd_reply_int(x->c, n);
}

/**
 * cmd_randomkey - RANDOMKEY
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_randomkey(struct kvd_ctx *x)
{
	struct kvd_entry *e = kvd_store_random(&kvd_db, x->now);

	if (e)
		kvd_reply_bulk(x->c, e->key, e->keylen);
	else
		kvd_reply_null(x->c);
}

/**
 * cmd_persist - PERSIST key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_persist(struct kvd_ctx *x)
{
	struct kvd_entry *e = kvd_lookup_write(x, &x->argv[1]);

	if (!e || e->expire_ms < 0) {
		kvd_reply_int(x->c, 0);
		return;
	}
	kvd_store_persist(&kvd_db, e);
	kvd_signal_modified(x->argv[1].s, x->argv[1].len);
	kvd_reply_int(x->c, 1);
}

/**
 * cmd_dbsize - DBSIZE (keys expired but not yet swept count too)
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_dbsize(struct kvd_ctx *x)
{
	kvd_reply_int(x->c, (long long)kvd_db.count);
}

/**
 * cmd_flushdb - FLUSHDB / FLUSHALL [ASYNC | SYNC]
 * @x: the command
 *
 * Both flush at once; values still being written to clients are freed
 * when their writes finish.
 *
 * Context: main thread.
 */
void cmd_flushdb(struct kvd_ctx *x)
{
	if (x->argc > 2 || (x->argc == 2 && !kvd_arg_is(&x->argv[1], "async") &&
			    !kvd_arg_is(&x->argv[1], "sync"))) {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	kvd_signal_flush();
	kvd_store_flush(&kvd_db);
	kvd_reply_ok(x->c);
}

/**
 * struct key_set - entries collected for KEYS and SCAN
 * @items: the entries
 * @nr: how many
 * @cap: room in @items
 * @oom: an allocation failed
 * @pat: KEYS's pattern, or NULL for every key
 * @plen: its length
 * @now: the command's time
 */
struct key_set {
	struct kvd_entry **items;
	size_t nr;
	size_t cap;
	bool oom;
	const char *pat;
	size_t plen;
	int64_t now;
};

/**
 * key_set_add - add an entry
 * @ks: the set
 * @e: the entry
 *
 * Context: main thread.
 * Return: 0, or -ENOMEM (which stops a walk).
 */
static int key_set_add(struct key_set *ks, struct kvd_entry *e)
{
	if (ks->nr == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 64;
		struct kvd_entry **n = realloc(ks->items, cap * sizeof(*n));

		if (!n) {
			ks->oom = true;
			return -ENOMEM;
		}
		ks->items = n;
		ks->cap = cap;
	}
	ks->items[ks->nr++] = e;
	return 0;
}

/**
 * keys_match - kvd_store_for_each() callback for KEYS
 * @e: an entry
 * @arg: the struct key_set
 *
 * Expired keys are left out (and left for the sweep: a walk must not
 * delete).
 *
 * Context: main thread.
 * Return: 0, or -ENOMEM to stop.
 */
static int keys_match(struct kvd_entry *e, void *arg)
{
	struct key_set *ks = arg;

	if (e->expire_ms >= 0 && ks->now > e->expire_ms)
		return 0;
	if (ks->pat && !kvd_glob_match(ks->pat, ks->plen, e->key, e->keylen,
				       false))
		return 0;
	return key_set_add(ks, e);
}

/**
 * cmd_keys - KEYS pattern
 * @x: the command
 *
 * Context: main thread.  O(keys): an appliance should prefer SCAN.
 */
void cmd_keys(struct kvd_ctx *x)
{
	struct key_set ks = {
		.pat = x->argv[1].s, .plen = x->argv[1].len, .now = x->now,
	};
	size_t i;

	if (ks.plen == 1 && ks.pat[0] == '*')
		ks.pat = NULL;		/* every key, the empty one too */

	kvd_store_for_each(&kvd_db, keys_match, &ks);
	if (ks.oom) {
		free(ks.items);
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	kvd_reply_array(x->c, (long long)ks.nr);
	for (i = 0; i < ks.nr; i++)
		kvd_reply_bulk(x->c, ks.items[i]->key, ks.items[i]->keylen);
	free(ks.items);
}

/**
 * scan_collect - kvd_store_scan() callback: collect every entry
 * @e: an entry
 * @arg: the struct key_set
 *
 * Context: main thread.
 * Return: 0.
 */
static int scan_collect(struct kvd_entry *e, void *arg)
{
	key_set_add(arg, e);
	return 0;
}

/**
 * parse_cursor - SCAN's cursor, read as Redis does (strtoull)
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
	return !isspace((unsigned char)a->s[0]) && *end == '\0' && errno != ERANGE;
}

/**
 * cmd_scan - SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
 * @x: the command
 *
 * Visits about COUNT (default 10) keys' worth of buckets, then filters
 * by pattern and type; expired keys met on the way are deleted.
 *
 * Context: main thread.
 */
void cmd_scan(struct kvd_ctx *x)
{
	struct key_set ks = { 0 };
	const struct kvd_arg *pat = NULL, *type = NULL;
	unsigned long long cursor, next;
	long long count = 10;
	char buf[24];
	size_t i, kept = 0;
	int j;

	if (!parse_cursor(&x->argv[1], &cursor)) {
		kvd_reply_error(x->c, "ERR invalid cursor");
		return;
	}
	for (j = 2; j < x->argc; j += 2) {
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
		} else if (kvd_arg_is(&x->argv[j], "type") && more) {
			type = &x->argv[j + 1];
		} else {
			kvd_reply_error(x->c, KVD_ERR_SYNTAX);
			return;
		}
	}
	next = kvd_store_scan(&kvd_db, cursor, (size_t)count, scan_collect, &ks);
	if (ks.oom) {
		free(ks.items);
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	for (i = 0; i < ks.nr; i++) {
		struct kvd_entry *e = ks.items[i];

		if (e->expire_ms >= 0 && x->now > e->expire_ms) {
			kvd_store_expire(&kvd_db, e);
			continue;
		}
		if (pat && !kvd_glob_match(pat->s, pat->len, e->key, e->keylen,
					   false))
			continue;
		if (type && strcasecmp(type->s, kvd_entry_type_name(e)))
			continue;
		ks.items[kept++] = e;
	}
	kvd_reply_array(x->c, 2);
	kvd_reply_bulk(x->c, buf, (size_t)snprintf(buf, sizeof(buf), "%llu", next));
	kvd_reply_array(x->c, (long long)kept);
	for (i = 0; i < kept; i++)
		kvd_reply_bulk(x->c, ks.items[i]->key, ks.items[i]->keylen);
	free(ks.items);
}
