// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_rename.c - commands that move or copy a key's value to another
 * key: RENAME, RENAMENX, COPY.
 *
 * RENAME moves the entry itself (kvd_store_rename(): value, type, expiry
 * and access time go with it, nothing is copied); COPY duplicates the
 * value (kvd_store_copy()).  kvd has one database: COPY ... DB n takes
 * 0 and answers any other n as Redis answers an index out of range.
 */
#include <string.h>
#include "kvd.h"

/**
 * rename_generic - RENAME / RENAMENX key newkey
 * @x: the command
 * @nx: RENAMENX: do nothing (reply 0) when newkey exists
 *
 * Redis's order: the source must exist ("ERR no such key"), then a
 * rename to itself changes nothing.  Both keys' watchers are told.
 *
 * Context: main thread.
 */
static void rename_generic(struct kvd_ctx *x, bool nx)
{
	const struct kvd_arg *src = &x->argv[1], *dst = &x->argv[2];
	struct kvd_entry *e = kvd_lookup_write(x, src), *d;

	if (!e) {
		kvd_reply_error(x->c, "ERR no such key");
		return;
	}
	if (src->len == dst->len && !memcmp(src->s, dst->s, src->len)) {
		if (nx)
			kvd_reply_int(x->c, 0);
		else
			kvd_reply_ok(x->c);
		return;
	}
	d = kvd_lookup_write(x, dst);
	if (d && nx) {
		kvd_reply_int(x->c, 0);
		return;
	}
	if (!kvd_store_rename(&kvd_db, e, d, dst->s, dst->len)) {
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	kvd_signal_modified(src->s, src->len);
	kvd_signal_modified(dst->s, dst->len);
	if (nx)
		kvd_reply_int(x->c, 1);
	else
		kvd_reply_ok(x->c);
}

/**
 * cmd_rename - RENAME key newkey
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_rename(struct kvd_ctx *x)
{
	rename_generic(x, false);
}

/**
 * cmd_renamenx - RENAMENX key newkey
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_renamenx(struct kvd_ctx *x)
{
	rename_generic(x, true);
}

/**
 * cmd_copy - COPY source destination [DB index] [REPLACE]
 * @x: the command
 *
 * Replies 1 when copied, 0 when the source does not exist or the
 * destination does and REPLACE is not given.  The copy keeps the
 * source's expiry.
 *
 * Context: main thread.
 */
void cmd_copy(struct kvd_ctx *x)
{
	const struct kvd_arg *src = &x->argv[1], *dst = &x->argv[2];
	struct kvd_entry *e, *d;
	bool replace = false;
	long long db;
	int j;

	for (j = 3; j < x->argc; j++) {
		if (kvd_arg_is(&x->argv[j], "replace")) {
			replace = true;
		} else if (kvd_arg_is(&x->argv[j], "db") && j + 1 < x->argc) {
			if (kvd_arg_ll(x, &x->argv[++j], &db))
				return;
			if (db != 0) {
				kvd_reply_error(x->c, "ERR DB index is out of range");
				return;
			}
		} else {
			kvd_reply_error(x->c, KVD_ERR_SYNTAX);
			return;
		}
	}
	if (src->len == dst->len && !memcmp(src->s, dst->s, src->len)) {
		kvd_reply_error(x->c, "ERR source and destination objects are "
				"the same");
		return;
	}
	e = kvd_lookup_read(x, src);
	if (!e) {
		kvd_reply_int(x->c, 0);
		return;
	}
	d = kvd_lookup_write(x, dst);
	if (d && !replace) {
		kvd_reply_int(x->c, 0);
		return;
	}
	if (d)
		kvd_store_delete(&kvd_db, d);
	if (!kvd_store_copy(&kvd_db, e, dst->s, dst->len)) {
		if (d)
			kvd_signal_modified(dst->s, dst->len);
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return;
	}
	kvd_signal_modified(dst->s, dst->len);
	kvd_reply_int(x->c, 1);
}
