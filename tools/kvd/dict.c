// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dict.c - the table behind hash and set values: a chained hash table of
 * byte strings (a hash's fields, a set's members), each with an optional
 * string value, that grows and shrinks by powers of two; main only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include "kvd.h"

#define DICT_MIN	4	/* buckets of the smallest table */
#define DICT_SHRINK	8	/* shrink below one entry per this many buckets */

static uint64_t rand_state;	/* __rule(MAIN): random picks run on main */

/**
 * kvd_rand64 - a pseudo-random number (xorshift64*), seeded at first use
 *
 * For SPOP, SRANDMEMBER and HRANDFIELD: not for anything secret.
 *
 * Context: main thread.
 * Return: 64 random bits.
 */
uint64_t kvd_rand64(void)
{
	if (!rand_state) {
		if (getrandom(&rand_state, sizeof(rand_state), 0) !=
		    sizeof(rand_state))
			rand_state = (uint64_t)kvd_now_ms() ^
				     ((uint64_t)getpid() << 32);
		rand_state |= 1;	/* xorshift never leaves 0 */
	}
	rand_state ^= rand_state >> 12;
	rand_state ^= rand_state << 25;
	rand_state ^= rand_state >> 27;
	return rand_state * 0x2545f4914f6cdd1dULL;
}

/**
 * kvd_rand_below - a pseudo-random number below @n
 * @n: the bound, above 0
 *
 * Context: main thread.
 * Return: a number in [0, @n), without modulo bias.
 */
uint64_t kvd_rand_below(uint64_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, r;

	do
		r = kvd_rand64();
	while (r >= limit);
	return r % n;
}

/**
 * table_new - @size empty buckets, accounted in used_memory
 * @size: a power of two
 *
 * Context: main thread.
 * Return: the buckets, or NULL.
 */
static struct kvd_dict_entry **table_new(size_t size)
{
	struct kvd_dict_entry **b = calloc(size, sizeof(*b));

	if (b)
		kvd_mem_add(size * sizeof(*b));
	return b;
}

/**
 * table_free - free a dict's buckets
 * @d: the dict
 *
 * Context: main thread.
 */
static void table_free(struct kvd_dict *d)
{
	kvd_mem_sub((d->mask + 1) * sizeof(*d->buckets));
	free(d->buckets);
}

/**
 * kvd_dict_new - an empty dict
 *
 * Context: main thread.
 * Return: the dict, or NULL when out of memory.
 */
struct kvd_dict *kvd_dict_new(void)
{
	struct kvd_dict *d = malloc(sizeof(*d));

	if (!d)
		return NULL;
	d->buckets = table_new(DICT_MIN);
	if (!d->buckets) {
		free(d);
		return NULL;
	}
	d->mask = DICT_MIN - 1;
	d->count = 0;
	kvd_mem_add(sizeof(*d));
	return d;
}

/**
 * entry_free - free an entry (unlinked) and drop its value's reference
 * @e: the entry
 *
 * Context: main thread.  A value a reply still references is freed by
 * that reply's last put.
 */
static void entry_free(struct kvd_dict_entry *e)
{
	kvd_str_put(e->val);
	kvd_mem_sub(sizeof(*e) + e->len + 1);
	free(e);
}

/**
 * kvd_dict_free - free a dict, its entries and their values' references
 * @d: the dict, or NULL
 *
 * Context: main thread.
 */
void kvd_dict_free(struct kvd_dict *d)
{
	size_t i;

	if (!d)
		return;
	for (i = 0; i <= d->mask; i++) {
		struct kvd_dict_entry *e = d->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			entry_free(e);
		}
	}
	table_free(d);
	kvd_mem_sub(sizeof(*d));
	free(d);
}

/**
 * resize - move every entry to a table of @size buckets
 * @d: the dict
 * @size: a power of two, at least DICT_MIN
 *
 * Kept as it is when the new table cannot be allocated (longer chains or
 * emptier buckets, still correct).
 *
 * Context: main thread.
 */
static void resize(struct kvd_dict *d, size_t size)
{
	struct kvd_dict_entry **b = table_new(size);
	size_t i;

	if (!b)
		return;
	for (i = 0; i <= d->mask; i++) {
		struct kvd_dict_entry *e = d->buckets[i], *next;

		for (; e; e = next) {
			size_t j = e->hash & (size - 1);

			next = e->next;
			e->next = b[j];
			b[j] = e;
		}
	}
	table_free(d);
	d->buckets = b;
	d->mask = size - 1;
}

/**
 * maybe_shrink - shrink a table that deletes left mostly empty
 * @d: the dict
 *
 * Down to the smallest power of two that holds two buckets per entry, so
 * that a random pick finds a full bucket in a few tries and growing again
 * is far away.
 *
 * Context: main thread.
 */
static void maybe_shrink(struct kvd_dict *d)
{
	size_t size = DICT_MIN;

	if (d->mask + 1 <= DICT_MIN || d->count * DICT_SHRINK >= d->mask + 1)
		return;
	while (size < d->count * 2)
		size *= 2;
	resize(d, size);
}

/**
 * lookup - find a key's entry, and the link that points to it
 * @d: the dict
 * @k: the key
 * @len: its length
 * @hash: kvd_hash() of it
 *
 * Context: main thread.
 * Return: the link (*link is the entry, or NULL when there is none).
 */
static struct kvd_dict_entry **lookup(const struct kvd_dict *d, const char *k,
				      size_t len, uint64_t hash)
{
	struct kvd_dict_entry **pp = &d->buckets[hash & d->mask];

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->hash == hash && (*pp)->len == len &&
		    !memcmp((*pp)->key, k, len))
			break;
	return pp;
}

/**
 * kvd_dict_find - look a key up
 * @d: the dict
 * @k: the key
 * @len: its length
 *
 * Context: main thread.
 * Return: the entry, or NULL.
 */
struct kvd_dict_entry *kvd_dict_find(const struct kvd_dict *d, const char *k,
				     size_t len)
{
	return *lookup(d, k, len, kvd_hash(k, len));
}

/**
 * kvd_dict_upsert - find a key, adding it when it is not there
 * @d: the dict
 * @k: the key
 * @len: its length
 * @created: set to whether the entry is new (its value then NULL)
 *
 * The table doubles once it holds as many entries as buckets.
 *
 * Context: main thread.
 * Return: the entry, or NULL when out of memory (nothing changed).
 */
struct kvd_dict_entry *kvd_dict_upsert(struct kvd_dict *d, const char *k,
				       size_t len, bool *created)
{
	uint64_t hash = kvd_hash(k, len);
	struct kvd_dict_entry **pp = lookup(d, k, len, hash), *e = *pp;

	*created = false;
	if (e)
		return e;
	e = malloc(sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	e->hash = hash;
	e->val = NULL;
	e->len = len;
	memcpy(e->key, k, len);
	e->key[len] = '\0';
	e->next = NULL;
	*pp = e;			/* the chain's end */
	d->count++;
	kvd_mem_add(sizeof(*e) + len + 1);
	if (d->count > d->mask + 1)
		resize(d, (d->mask + 1) * 2);
	*created = true;
	return e;
}

/**
 * kvd_dict_delete - delete an entry
 * @d: the dict
 * @e: an entry of @d
 *
 * The table may shrink: an entry pointer taken before is no longer
 * valid only if it was @e.
 *
 * Context: main thread.
 */
void kvd_dict_delete(struct kvd_dict *d, struct kvd_dict_entry *e)
{
	struct kvd_dict_entry **pp = &d->buckets[e->hash & d->mask];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	d->count--;
	entry_free(e);
	maybe_shrink(d);
}

/**
 * kvd_dict_remove - delete a key when it is there
 * @d: the dict
 * @k: the key
 * @len: its length
 *
 * Context: main thread.
 * Return: true when it was there.
 */
bool kvd_dict_remove(struct kvd_dict *d, const char *k, size_t len)
{
	struct kvd_dict_entry **pp = lookup(d, k, len, kvd_hash(k, len)), *e = *pp;

	if (!e)
		return false;
	*pp = e->next;
	d->count--;
	entry_free(e);
	maybe_shrink(d);
	return true;
}

/**
 * kvd_dict_set_val - give an entry a new value
 * @e: the entry
 * @s: the value; the entry takes the caller's reference
 *
 * The old value is put, never written: a reply may still be sending it.
 *
 * Context: main thread.
 */
void kvd_dict_set_val(struct kvd_dict_entry *e, struct kvd_str *s)
{
	struct kvd_str *old = e->val;

	e->val = s;
	kvd_str_put(old);
}

/**
 * kvd_dict_random - a random entry
 * @d: the dict, not empty
 *
 * A random non-empty bucket, then a random entry of its chain: entries
 * in long chains are a little less likely than others (as in Redis).
 * The table is at least one-eighth full (it shrinks below that), so a
 * full bucket is found in a few tries.
 *
 * Context: main thread.
 * Return: the entry.
 */
struct kvd_dict_entry *kvd_dict_random(const struct kvd_dict *d)
{
	struct kvd_dict_entry *e, *p;
	size_t n = 0, i;

	do
		e = d->buckets[kvd_rand64() & d->mask];
	while (!e);
	for (p = e; p; p = p->next)
		n++;
	for (i = kvd_rand_below(n); i; i--)
		e = e->next;
	return e;
}

/**
 * kvd_dict_next - walk every entry
 * @d: the dict
 * @it: the walk's state, zeroed before the first call
 *
 * The dict must not change during the walk.
 *
 * Context: main thread.
 * Return: the next entry, NULL at the end.
 */
struct kvd_dict_entry *kvd_dict_next(const struct kvd_dict *d,
				     struct kvd_dict_iter *it)
{
	if (it->e)
		it->e = it->e->next;
	while (!it->e && it->bucket <= d->mask)
		it->e = d->buckets[it->bucket++];
	return it->e;
}

/**
 * kvd_dict_scan - visit buckets from @cursor on, HSCAN's and SSCAN's way
 * @d: the dict
 * @cursor: 0 to start, then what the last call returned
 * @count: stop after about this many entries (at least one bucket, at
 *	most 10 * @count buckets)
 * @fn: called for each entry of each visited bucket; must not change @d
 * @arg: passed to @fn
 *
 * The reverse-binary cursor of kvd_store_scan(): an entry present for
 * the whole iteration is returned at least once although the table
 * grows or shrinks between calls.
 *
 * Context: main thread.
 * Return: the next cursor; 0 when the iteration is complete.
 */
uint64_t kvd_dict_scan(const struct kvd_dict *d, uint64_t cursor, size_t count,
		       void (*fn)(struct kvd_dict_entry *e, void *arg), void *arg)
{
	size_t seen = 0, iters = count > SIZE_MAX / 10 ? SIZE_MAX : count * 10;
	uint64_t v = cursor;

	do {
		struct kvd_dict_entry *e;

		for (e = d->buckets[v & d->mask]; e; e = e->next, seen++)
			fn(e, arg);
		v = kvd_cursor_next(v, d->mask);
	} while (v && --iters && seen < count);
	return v;
}
