// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * watch.c - WATCH's bookkeeping: which clients watch which keys, and
 * kvd_signal_modified(), which every write path calls so that a
 * transaction whose watched key changed fails at EXEC.
 *
 * A table maps each watched key to the clients watching it, and each
 * client lists its own watches, so that a write finds the watchers of
 * its key in O(1) and UNWATCH, EXEC or a close drop a client's watches
 * in O(its watches).  A write of a key nobody watches costs one test of
 * a counter.  A watcher whose key changed is marked dirty and keeps its
 * watches until its EXEC, DISCARD, UNWATCH, RESET or close frees them.
 *
 * Main only: the keyspace and the clients' state are main's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

#define WATCH_TABLE_MIN	16

/**
 * struct watch_key - one watched key and the clients watching it
 * @next: the next key of the hash bucket
 * @hash: kvd_hash() of the key
 * @watchers: the clients' watches of this key (struct kvd_watch.knext)
 * @len: the key's length
 * @key: the key
 */
struct watch_key {
	struct watch_key *next;
	uint64_t hash;
	struct kvd_watch *watchers;
	size_t len;
	char key[];
};

/**
 * struct kvd_watch - one client's watch of one key
 * @wk: the key
 * @cl: the client
 * @kprev: where the link to this watch is in @wk's list
 * @knext: the next watch of @wk
 * @cnext: the client's next watch
 */
struct kvd_watch {
	struct watch_key *wk;
	struct kvd_client *cl;
	struct kvd_watch **kprev;
	struct kvd_watch *knext;
	struct kvd_watch *cnext;
};

/**
 * struct watch_table - the watched keys: a chained hash table, allocated
 * while there are any
 * @buckets: the table (a power of two), or NULL
 * @mask: its size - 1
 * @nr_keys: the keys in it
 */
struct watch_table {
	struct watch_key **buckets;
	size_t mask;
	size_t nr_keys;
};

static struct watch_table wt;		/* __rule(MAIN) */

/**
 * wt_find - the watched key @key, if any client watches it
 * @key: the key
 * @len: its length
 * @hash: kvd_hash() of it
 *
 * Context: main thread.
 * Return: the entry, or NULL.
 */
static struct watch_key *wt_find(const char *key, size_t len, uint64_t hash)
{
	struct watch_key *wk;

	if (!wt.buckets)
		return NULL;
	for (wk = wt.buckets[hash & wt.mask]; wk; wk = wk->next)
		if (wk->hash == hash && wk->len == len && !memcmp(wk->key, key, len))
			return wk;
	return NULL;
}

/**
 * wt_grow - make room for one more key: allocate or double the table
 *
 * Context: main thread.
 * Return: 0, or -ENOMEM when there is no table at all.
 */
static int wt_grow(void)
{
	size_t size = wt.buckets ? (wt.mask + 1) * 2 : WATCH_TABLE_MIN, i;
	struct watch_key **b;

	if (wt.buckets && wt.nr_keys < wt.mask + 1)
		return 0;
	b = calloc(size, sizeof(*b));
	if (!b)
		return wt.buckets ? 0 : -ENOMEM;	/* longer chains */
	for (i = 0; wt.buckets && i <= wt.mask; i++) {
		struct watch_key *wk = wt.buckets[i], *next;

		for (; wk; wk = next) {
			next = wk->next;
			wk->next = b[wk->hash & (size - 1)];
			b[wk->hash & (size - 1)] = wk;
		}
	}
	free(wt.buckets);
	wt.buckets = b;
	wt.mask = size - 1;
	return 0;
}

/**
 * kvd_watch_key - make @cl watch @key (nothing when it already does)
 * @cl: the client
 * @key: the key
 * @len: its length
 *
 * Context: main thread.
 * Return: 0 or -ENOMEM.
 */
int kvd_watch_key(struct kvd_client *cl, const char *key, size_t len)
{
	uint64_t hash = kvd_hash(key, len);
	struct watch_key *wk = wt_find(key, len, hash);
	struct kvd_watch *w;

	for (w = cl->watching; wk && w; w = w->cnext)
		if (w->wk == wk)
			return 0;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	if (!wk) {
		if (wt_grow() || !(wk = malloc(sizeof(*wk) + len))) {
			free(w);
			return -ENOMEM;
		}
		wk->hash = hash;
		wk->watchers = NULL;
		wk->len = len;
		memcpy(wk->key, key, len);
		wk->next = wt.buckets[hash & wt.mask];
		wt.buckets[hash & wt.mask] = wk;
		wt.nr_keys++;
	}
	w->wk = wk;
	w->cl = cl;
	w->knext = wk->watchers;
	if (w->knext)
		w->knext->kprev = &w->knext;
	w->kprev = &wk->watchers;
	wk->watchers = w;
	w->cnext = cl->watching;
	cl->watching = w;
	return 0;
}

/**
 * wt_remove_key - unlink and free a watched key nobody watches any more
 * @wk: the key
 *
 * Context: main thread.
 */
static void wt_remove_key(struct watch_key *wk)
{
	struct watch_key **pp = &wt.buckets[wk->hash & wt.mask];

	while (*pp != wk)
		pp = &(*pp)->next;
	*pp = wk->next;
	free(wk);
	if (!--wt.nr_keys) {
		free(wt.buckets);
		wt.buckets = NULL;
		wt.mask = 0;
	}
}

/**
 * kvd_unwatch_all - drop every watch of @cl
 * @cl: the client
 *
 * Context: main thread.
 */
void kvd_unwatch_all(struct kvd_client *cl)
{
	struct kvd_watch *w = cl->watching, *next;

	for (; w; w = next) {
		next = w->cnext;
		*w->kprev = w->knext;
		if (w->knext)
			w->knext->kprev = w->kprev;
		if (!w->wk->watchers)
			wt_remove_key(w->wk);
		free(w);
	}
	cl->watching = NULL;
}

/**
 * kvd_signal_modified - a key was written, deleted, or its expiry changed
 * @key: the key
 * @len: its length
 *
 * Every command calls this once for each key it actually changed (a
 * write that changes nothing does not), and so do expiry, eviction and
 * deletion; a flush calls kvd_signal_flush() instead.  The clients
 * watching @key are marked dirty: their next EXEC fails, and clients
 * blocked on it are served after the command (kvd_block_signal()).
 *
 * Context: main thread.
 */
void kvd_signal_modified(const char *key, size_t len)
{
	struct watch_key *wk;
	struct kvd_watch *w;

	kvd_block_signal(key, len);	/* clients blocked on it (blocking.c) */
	if (!wt.nr_keys)
		return;
	wk = wt_find(key, len, kvd_hash(key, len));
	for (w = wk ? wk->watchers : NULL; w; w = w->knext)
		w->cl->dirty_cas = true;
}

/**
 * kvd_signal_flush - the keyspace is about to be emptied
 *
 * As in Redis, only the watchers of keys that exist now (expired or
 * not) are marked dirty: a flush does not change a key that is not
 * there.  Call it before the keys are deleted.
 *
 * Context: main thread.
 */
void kvd_signal_flush(void)
{
	size_t i;

	for (i = 0; wt.nr_keys && i <= wt.mask; i++) {
		struct watch_key *wk;

		for (wk = wt.buckets[i]; wk; wk = wk->next) {
			struct kvd_watch *w;

			if (!kvd_store_peek(&kvd_db, wk->key, wk->len))
				continue;
			for (w = wk->watchers; w; w = w->knext)
				w->cl->dirty_cas = true;
		}
	}
}

/**
 * kvd_watched_key_expired - whether a key @cl watches has expired
 * @cl: the client
 * @now: kvd_now_ms()
 *
 * EXEC's check: a watched key whose time passed since WATCH (WATCH
 * itself deletes a key already expired) fails the transaction even when
 * nothing deleted it yet.
 *
 * Context: main thread.
 * Return: true when one has.
 */
bool kvd_watched_key_expired(struct kvd_client *cl, int64_t now)
{
	struct kvd_watch *w;

	for (w = cl->watching; w; w = w->cnext) {
		struct kvd_entry *e = kvd_store_peek(&kvd_db, w->wk->key,
						     w->wk->len);

		if (e && e->expire_ms >= 0 && now > e->expire_ms)
			return true;
	}
	return false;
}
