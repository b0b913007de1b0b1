// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_set.c - set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER,
 * SCARD, SPOP, SRANDMEMBER, SMOVE, SINTER, SINTERCARD, SINTERSTORE,
 * SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE (SSCAN is in cmd_dict.c).
 *
 * A set is a struct kvd_dict whose entries have no value; members are
 * replied by copy.  A set left empty is deleted; the STORE commands
 * overwrite a key of any type and drop its expiry, as Redis's do.
 */
#include <errno.h>
#include <stdlib.h>
#include "kvd.h"

/**
 * set_for_read - the set at @key for a read
 * @x: the command
 * @key: the key
 * @e: receives the entry, NULL when the key does not exist
 *
 * Context: main thread.
 * Return: 0, or -1 after replying WRONGTYPE.
 */
static int set_for_read(struct kvd_ctx *x, const struct kvd_arg *key,
			struct kvd_entry **e)
{
	*e = kvd_lookup_read(x, key);
	return kvd_wrong_type(x, *e, KVD_SET) ? -1 : 0;
}

/**
 * drop_if_empty - delete a set key that has no member left
 * @e: the entry
 *
 * Context: main thread.
 */
static void drop_if_empty(struct kvd_entry *e)
{
	if (!e->dict->count)
		kvd_store_delete(&kvd_db, e);
}

/**
 * cmd_sadd - SADD key member [member ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_sadd(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1];
	struct kvd_entry *e = kvd_lookup_write(x, key);
	long long added = 0;
	bool created;
	int j;

	if (kvd_wrong_type(x, e, KVD_SET))
		return;
	if (!e) {
		e = kvd_store_add(&kvd_db, key->s, key->len, KVD_SET);
		if (!e)
			goto oom;
	}
	for (j = 2; j < x->argc; j++) {
		if (!kvd_dict_upsert(e->dict, x->argv[j].s, x->argv[j].len,
				     &created)) {
			drop_if_empty(e);
			if (added)
				kvd_signal_modified(key->s, key->len);
			goto oom;
		}
		added += created;
	}
	if (added)
		kvd_signal_modified(key->s, key->len);
	kvd_reply_int(x->c, added);
	return;
oom:
	kvd_reply_error(x->c, KVD_ERR_OOM);
}

/**
 * cmd_srem - SREM key member [member ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_srem(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1];
	struct kvd_entry *e = kvd_lookup_write(x, key);
	long long n = 0;
	int j;

	if (kvd_wrong_type(x, e, KVD_SET))
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
 * reply_members - reply every member of a set (an empty array for none)
 * @x: the command
 * @d: the set, or NULL
 *
 * Context: main thread.
 */
static void reply_members(struct kvd_ctx *x, const struct kvd_dict *d)
{
	struct kvd_dict_iter it = { 0 };
	struct kvd_dict_entry *de;

	kvd_reply_array(x->c, d ? (long long)d->count : 0);
	while (d && (de = kvd_dict_next(d, &it)))
		kvd_reply_bulk(x->c, de->key, de->len);
}

/**
 * cmd_smembers - SMEMBERS key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_smembers(struct kvd_ctx *x)
{
	struct kvd_entry *e;

	if (!set_for_read(x, &x->argv[1], &e))
		reply_members(x, e ? e->dict : NULL);
}

/**
 * is_member - whether a set holds a member
 * @e: the set's entry, or NULL
 * @m: the member
 *
 * Context: main thread.
 * Return: true when it does.
 */
static bool is_member(const struct kvd_entry *e, const struct kvd_arg *m)
{
	return e && kvd_dict_find(e->dict, m->s, m->len);
}

/**
 * cmd_sismember - SISMEMBER key member
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_sismember(struct kvd_ctx *x)
{
	struct kvd_entry *e;

	if (!set_for_read(x, &x->argv[1], &e))
		kvd_reply_int(x->c, is_member(e, &x->argv[2]));
}

/**
 * cmd_smismember - SMISMEMBER key member [member ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_smismember(struct kvd_ctx *x)
{
	struct kvd_entry *e;
	int j;

	if (set_for_read(x, &x->argv[1], &e))
		return;
	kvd_reply_array(x->c, x->argc - 2);
	for (j = 2; j < x->argc; j++)
		kvd_reply_int(x->c, is_member(e, &x->argv[j]));
}

/**
 * cmd_scard - SCARD key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_scard(struct kvd_ctx *x)
{
	struct kvd_entry *e;

	if (!set_for_read(x, &x->argv[1], &e))
		kvd_reply_int(x->c, e ? (long long)e->dict->count : 0);
}

/**
 * spop_count - SPOP key count
 * @x: the command
 *
 * The count is checked first (a non-negative integer), then the key.  A
 * count as large as the set takes it all and deletes the key; otherwise
 * each pick is replied, then deleted.
 *
 * Context: main thread.
 */
static void spop_count(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1];
	struct kvd_entry *e;
	long long count;
	size_t i;

	if (!kvd_string2ll(x->argv[2].s, x->argv[2].len, &count) || count < 0) {
		kvd_reply_error(x->c, "ERR value is out of range, must be positive");
		return;
	}
	e = kvd_lookup_write(x, key);
	if (kvd_wrong_type(x, e, KVD_SET))
		return;
	if (!e || !count) {
		kvd_reply_array(x->c, 0);
		return;
	}
	if ((unsigned long long)count >= e->dict->count) {
		reply_members(x, e->dict);
		kvd_store_delete(&kvd_db, e);
	} else {
		kvd_reply_array(x->c, count);
		for (i = 0; i < (size_t)count; i++) {
			struct kvd_dict_entry *de = kvd_dict_random(e->dict);

			kvd_reply_bulk(x->c, de->key, de->len);
			kvd_dict_delete(e->dict, de);
		}
	}
	kvd_signal_modified(key->s, key->len);
}

/**
 * cmd_spop - SPOP key [count]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_spop(struct kvd_ctx *x)
{
	const struct kvd_arg *key = &x->argv[1];
	struct kvd_dict_entry *de;
	struct kvd_entry *e;

	if (x->argc == 3) {
		spop_count(x);
		return;
	}
	if (x->argc > 3) {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	e = kvd_lookup_write(x, key);
	if (!e) {
		kvd_reply_null(x->c);
		return;
	}
	if (kvd_wrong_type(x, e, KVD_SET))
		return;
	de = kvd_dict_random(e->dict);
	kvd_reply_bulk(x->c, de->key, de->len);
	kvd_dict_delete(e->dict, de);
	drop_if_empty(e);
	kvd_signal_modified(key->s, key->len);
}

/**
 * cmd_srandmember - SRANDMEMBER key [count]
 * @x: the command
 *
 * Without a count: one random member, or nil.  With one: that many
 * distinct members (all of them at most), or with a negative count that
 * many picks with repeats; an empty array for a missing key.
 *
 * Context: main thread.
 */
void cmd_srandmember(struct kvd_ctx *x)
{
	struct kvd_entry *e;
	long long count;

	if (x->argc > 3) {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	if (x->argc == 2) {
		if (set_for_read(x, &x->argv[1], &e))
			return;
		if (e) {
			struct kvd_dict_entry *de = kvd_dict_random(e->dict);

			kvd_reply_bulk(x->c, de->key, de->len);
		} else {
			kvd_reply_null(x->c);
		}
		return;
	}
	if (kvd_parse_rand_count(x, &x->argv[2], &count) ||
	    set_for_read(x, &x->argv[1], &e))
		return;
	if (!e || !count)
		kvd_reply_array(x->c, 0);
	else if (kvd_rand_count_too_big(x, count, 6))
		return;
	else if (count < 0)
		kvd_reply_random_repeat(x, e->dict, (unsigned long long)-count,
					false);
	else
		kvd_reply_random_distinct(x, e->dict, (size_t)count, false);
}

/**
 * cmd_smove - SMOVE source destination member
 * @x: the command
 *
 * Redis's order: a missing source answers 0 whatever the destination;
 * then both keys' types; the same key answers whether the member is
 * there.  The destination gets the member before the source loses it,
 * so running out of memory changes nothing.
 *
 * Context: main thread.
 */
void cmd_smove(struct kvd_ctx *x)
{
	const struct kvd_arg *skey = &x->argv[1], *dkey = &x->argv[2];
	const struct kvd_arg *m = &x->argv[3];
	struct kvd_entry *src = kvd_lookup_write(x, skey);
	struct kvd_entry *dst = kvd_lookup_write(x, dkey);
	struct kvd_dict_entry *de;
	bool created;

	if (!src) {
		kvd_reply_int(x->c, 0);
		return;
	}
	if (kvd_wrong_type(x, src, KVD_SET) || kvd_wrong_type(x, dst, KVD_SET))
		return;
	de = kvd_dict_find(src->dict, m->s, m->len);
	if (src == dst || !de) {
		kvd_reply_int(x->c, de != NULL);
		return;
	}
	if (!dst) {
		dst = kvd_store_add(&kvd_db, dkey->s, dkey->len, KVD_SET);
		if (!dst)
			goto oom;
	}
	if (!kvd_dict_upsert(dst->dict, m->s, m->len, &created)) {
		drop_if_empty(dst);
		goto oom;
	}
	kvd_dict_delete(src->dict, de);
	drop_if_empty(src);
	kvd_signal_modified(skey->s, skey->len);
	if (created)
		kvd_signal_modified(dkey->s, dkey->len);
	kvd_reply_int(x->c, 1);
	return;
oom:
	kvd_reply_error(x->c, KVD_ERR_OOM);
}

/**
 * load_sets - look up the source keys of SINTER, SUNION, SDIFF and friends
 * @x: the command
 * @first: the index of the first key in @x->argv
 * @n: how many keys
 * @store: the command stores its result (a write lookup, no hit counted)
 * @sets: receives @n entries, NULL for a missing key
 *
 * Every key's type is checked, the missing ones included: a wrong type
 * anywhere is an error, as in Redis.
 *
 * Context: main thread.
 * Return: 0, or -1 after replying an error (@sets is then freed).
 */
static int load_sets(struct kvd_ctx *x, int first, int n, bool store,
		     struct kvd_entry ***sets)
{
	int j;

	*sets = malloc((size_t)n * sizeof(**sets));
	if (!*sets) {
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return -1;
	}
	for (j = 0; j < n; j++) {
		const struct kvd_arg *k = &x->argv[first + j];
		struct kvd_entry *e = store ? kvd_lookup_write(x, k) :
					      kvd_lookup_read(x, k);

		if (kvd_wrong_type(x, e, KVD_SET)) {
			free(*sets);
			return -1;
		}
		(*sets)[j] = e;
	}
	return 0;
}

/**
 * struct picks - members chosen for a reply (pointers into a source set)
 * @v: the entries
 * @nr: how many
 * @cap: room in @v
 */
struct picks {
	struct kvd_dict_entry **v;
	size_t nr;
	size_t cap;
};

/**
 * picks_add - add a member to a reply's list
 * @p: the list
 * @de: the member's entry
 *
 * Context: main thread.
 * Return: 0 or -ENOMEM.
 */
static int picks_add(struct picks *p, struct kvd_dict_entry *de)
{
	if (p->nr == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct kvd_dict_entry **v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->nr++] = de;
	return 0;
}

/**
 * struct result - where a set operation's members go
 * @picks: for a reply: the members, pointers into the sources
 * @store: for a STORE command: a new set holding copies
 * @card: for SINTERCARD: only the number
 * @limit: SINTERCARD's LIMIT (0: none)
 * @counting: count only
 */
struct result {
	struct picks picks;
	struct kvd_dict *store;
	size_t card;
	size_t limit;
	bool counting;
};

/**
 * result_add - add a member to the result
 * @r: the result
 * @de: the member's entry in a source set
 *
 * Context: main thread.
 * Return: 0 or -ENOMEM.
 */
static int result_add(struct result *r, struct kvd_dict_entry *de)
{
	bool created;

	if (r->counting) {
		r->card++;
		return 0;
	}
	if (r->store)
		return kvd_dict_upsert(r->store, de->key, de->len, &created) ?
		       0 : -ENOMEM;
	return picks_add(&r->picks, de);
}

/**
 * result_full - whether SINTERCARD reached its LIMIT
 * @r: the result
 *
 * Context: main thread.
 * Return: true when it did.
 */
static bool result_full(const struct result *r)
{
	return r->counting && r->limit && r->card >= r->limit;
}

/**
 * by_size - qsort() order of sets, smallest first
 * @a: a struct kvd_entry *
 * @b: another
 *
 * Context: any thread.
 * Return: <0, 0 or >0.
 */
static int by_size(const void *a, const void *b)
{
	size_t x = (*(struct kvd_entry *const *)a)->dict->count;
	size_t y = (*(struct kvd_entry *const *)b)->dict->count;

	return x < y ? -1 : x > y;
}

/**
 * compute_inter - the members in every set
 * @sets: the sets, none missing; reordered, smallest first
 * @n: how many
 * @r: where the members go
 *
 * Context: main thread.
 * Return: 0 or -ENOMEM.
 */
static int compute_inter(struct kvd_entry **sets, int n, struct result *r)
{
	struct kvd_dict_iter it = { 0 };
	struct kvd_dict_entry *de;
	int j;

	qsort(sets, (size_t)n, sizeof(*sets), by_size);
	while (!result_full(r) && (de = kvd_dict_next(sets[0]->dict, &it))) {
		for (j = 1; j < n; j++)
			if (sets[j] != sets[0] &&
			    !kvd_dict_find(sets[j]->dict, de->key, de->len))
				break;
		if (j == n && result_add(r, de))
			return -ENOMEM;
	}
	return 0;
}

/**
 * compute_diff - the members of the first set in none of the others
 * @sets: the sets, the first not missing
 * @n: how many
 * @r: where the members go
 *
 * Context: main thread.
 * Return: 0 or -ENOMEM.
 */
static int compute_diff(struct kvd_entry **sets, int n, struct result *r)
{
	struct kvd_dict_iter it = { 0 };
	struct kvd_dict_entry *de;
	int j;

	while ((de = kvd_dict_next(sets[0]->dict, &it))) {
		for (j = 1; j < n; j++)
			if (sets[j] && kvd_dict_find(sets[j]->dict, de->key,
						     de->len))
				break;
		if (j == n && result_add(r, de))
			return -ENOMEM;
	}
	return 0;
}

/**
 * compute_union - the members of any set, each once
 * @sets: the sets, NULL for a missing one
 * @n: how many
 * @d: the set they are added to
 *
 * Context: main thread.
 * Return: 0 or -ENOMEM.
 */
static int compute_union(struct kvd_entry **sets, int n, struct kvd_dict *d)
{
	struct kvd_dict_entry *de;
	bool created;
	int j;

	for (j = 0; j < n; j++) {
		struct kvd_dict_iter it = { 0 };

		if (!sets[j])
			continue;
		while ((de = kvd_dict_next(sets[j]->dict, &it)))
			if (!kvd_dict_upsert(d, de->key, de->len, &created))
				return -ENOMEM;
	}
	return 0;
}

enum set_op {
	SET_INTER,
	SET_UNION,
	SET_DIFF,
};

/**
 * store_result - make the STORE commands' destination hold @d
 * @x: the command
 * @d: the result (taken: stored or freed)
 *
 * An empty result deletes the destination.  Otherwise it replaces the
 * key's value whatever its type, and its expiry is dropped.
 *
 * Context: main thread.
 */
static void store_result(struct kvd_ctx *x, struct kvd_dict *d)
{
	const struct kvd_arg *key = &x->argv[1];
	struct kvd_entry *e = kvd_lookup_write(x, key);
	long long n = (long long)d->count;

	if (!n) {
		kvd_dict_free(d);
		if (e) {
			kvd_store_delete(&kvd_db, e);
			kvd_signal_modified(key->s, key->len);
		}
		kvd_reply_int(x->c, 0);
		return;
	}
	if (!e) {
		e = kvd_store_add(&kvd_db, key->s, key->len, KVD_SET);
		if (!e) {
			kvd_dict_free(d);
			kvd_reply_error(x->c, KVD_ERR_OOM);
			return;
		}
	}
	kvd_store_set_dict(e, KVD_SET, d);
	kvd_store_persist(&kvd_db, e);
	kvd_signal_modified(key->s, key->len);
	kvd_reply_int(x->c, n);
}

/**
 * set_op_generic - SINTER, SUNION, SDIFF and their STORE forms
 * @x: the command
 * @op: which operation
 * @store: the STORE form (argv[1] is the destination)
 *
 * Context: main thread.
 */
static void set_op_generic(struct kvd_ctx *x, enum set_op op, bool store)
{
	int first = store ? 2 : 1, n = x->argc - first, j;
	struct result r = { 0 };
	struct kvd_entry **sets;
	bool empty = false;
	size_t i;
	int err;

	if (load_sets(x, first, n, store, &sets))
		return;
	for (j = 0; j < n; j++)
		if (!sets[j] && (op == SET_INTER || (op == SET_DIFF && !j)))
			empty = true;
	if (store || op == SET_UNION) {
		r.store = kvd_dict_new();
		if (!r.store) {
			free(sets);
			goto oom;
		}
	}
	if (empty)
		err = 0;
	else if (op == SET_INTER)
		err = compute_inter(sets, n, &r);
	else if (op == SET_DIFF)
		err = compute_diff(sets, n, &r);
	else
		err = compute_union(sets, n, r.store);
	free(sets);
	if (err) {
		kvd_dict_free(r.store);
		free(r.picks.v);
		goto oom;
	}
	if (store) {
		store_result(x, r.store);
	} else if (r.store) {
		reply_members(x, r.store);
		kvd_dict_free(r.store);
	} else {
		kvd_reply_array(x->c, (long long)r.picks.nr);
		for (i = 0; i < r.picks.nr; i++)
			kvd_reply_bulk(x->c, r.picks.v[i]->key,
				       r.picks.v[i]->len);
		free(r.picks.v);
	}
	return;
oom:
	kvd_reply_error(x->c, KVD_ERR_OOM);
}

/**
 * cmd_sinter - SINTER key [key ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_sinter(struct kvd_ctx *x)
{
	set_op_generic(x, SET_INTER, false);
}

/**
 * cmd_sinterstore - SINTERSTORE destination key [key ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_sinterstore(struct kvd_ctx *x)
{
	set_op_generic(x, SET_INTER, true);
}

/**
 * cmd_sunion - SUNION key [key ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_sunion(struct kvd_ctx *x)
{
	set_op_generic(x, SET_UNION, false);
}

/**
 * cmd_sunionstore - SUNIONSTORE destination key [key ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_sunionstore(struct kvd_ctx *x)
{
	set_op_generic(x, SET_UNION, true);
}

/**
 * cmd_sdiff - SDIFF key [key ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_sdiff(struct kvd_ctx *x)
{
	set_op_generic(x, SET_DIFF, false);
}

/**
 * cmd_sdiffstore - SDIFFSTORE destination key [key ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_sdiffstore(struct kvd_ctx *x)
{
	set_op_generic(x, SET_DIFF, true);
}

/**
 * cmd_sintercard - SINTERCARD numkeys key [key ...] [LIMIT limit]
 * @x: the command
 *
 * Redis's order: numkeys (at least 1, at most the keys given), then the
 * options after the keys, then the keys' types.  LIMIT 0 means none; the
 * count stops at the limit.
 *
 * Context: main thread.
 */
void cmd_sintercard(struct kvd_ctx *x)
{
	struct result r = { .counting = true };
	struct kvd_entry **sets;
	long long numkeys, limit = 0;
	bool empty = false;
	int j;

	if (!kvd_string2ll(x->argv[1].s, x->argv[1].len, &numkeys) ||
	    numkeys < 1) {
		kvd_reply_error(x->c, "ERR numkeys should be greater than 0");
		return;
	}
	if (numkeys > x->argc - 2) {
		kvd_reply_error(x->c, "ERR Number of keys can't be greater "
				"than number of args");
		return;
	}
	for (j = 2 + (int)numkeys; j < x->argc; j += 2) {
		if (!kvd_arg_is(&x->argv[j], "limit") || j + 1 >= x->argc) {
			kvd_reply_error(x->c, KVD_ERR_SYNTAX);
			return;
		}
		if (!kvd_string2ll(x->argv[j + 1].s, x->argv[j + 1].len,
				   &limit) || limit < 0) {
			kvd_reply_error(x->c, "ERR LIMIT can't be negative");
			return;
		}
	}
	if (load_sets(x, 2, (int)numkeys, false, &sets))
		return;
	for (j = 0; j < numkeys; j++)
		empty |= !sets[j];
	r.limit = (size_t)limit;
	if (!empty)
		compute_inter(sets, (int)numkeys, &r);	/* counting: no ENOMEM */
	free(sets);
	kvd_reply_int(x->c, (long long)r.card);
}
