// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * table.c - a small chained hash table of byte-string names, intrusive:
 * the pub/sub channels and patterns and the keys blocked clients wait
 * on each embed a struct kvd_tnode.
 *
 * It is allocated with its first name and freed with its last, doubles
 * when it holds as many names as buckets, and hashes with the keyspace's
 * keyed SipHash (kvd_hash()), so that clients cannot choose names that
 * collide.  Main only, like everything it indexes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

#define TABLE_MIN	16

/**
 * kvd_table_find - the node named @key
 * @t: the table
 * @key: the name
 * @len: its length
 *
 * Context: main thread.
 * Return: the node, or NULL.
 */
struct kvd_tnode *kvd_table_find(const struct kvd_table *t, const char *key,
				 size_t len)
{
	struct kvd_tnode *n;
	uint64_t hash;

	if (!t->count)
		return NULL;
	hash = kvd_hash(key, len);
	for (n = t->buckets[hash & t->mask]; n; n = n->next)
		if (n->hash == hash && n->len == len && !memcmp(n->key, key, len))
			return n;
	return NULL;
}

/**
 * table_grow - make room for one more node: allocate or double the table
 * @t: the table
 *
 * Context: main thread.
 * Return: 0, or -ENOMEM when there is no table at all (a table that
 * cannot double keeps longer chains).
 */
static int table_grow(struct kvd_table *t)
{
	size_t size = t->buckets ? (t->mask + 1) * 2 : TABLE_MIN, i;
	struct kvd_tnode **b;

	if (t->buckets && t->count < t->mask + 1)
		return 0;
	b = calloc(size, sizeof(*b));
	if (!b)
		return t->buckets ? 0 : -ENOMEM;
	for (i = 0; t->buckets && i <= t->mask; i++) {
		struct kvd_tnode *n = t->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			n->next = b[n->hash & (size - 1)];
			b[n->hash & (size - 1)] = n;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->mask = size - 1;
	return 0;
}

/**
 * kvd_table_add - insert a node whose name is not in the table
 * @t: the table
 * @n: the node, @key and @len set (the bytes live as long as the node)
 *
 * Context: main thread.
 * Return: 0 or -ENOMEM.
 */
int kvd_table_add(struct kvd_table *t, struct kvd_tnode *n)
{
	if (table_grow(t))
		return -ENOMEM;
	n->hash = kvd_hash(n->key, n->len);
	n->next = t->buckets[n->hash & t->mask];
	t->buckets[n->hash & t->mask] = n;
	t->count++;
	return 0;
}

/**
 * kvd_table_del - unlink a node (the table is freed with its last node)
 * @t: the table
 * @n: a node in it
 *
 * Context: main thread.
 */
void kvd_table_del(struct kvd_table *t, struct kvd_tnode *n)
{
	struct kvd_tnode **pp = &t->buckets[n->hash & t->mask];

	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	if (!--t->count) {
		free(t->buckets);
		t->buckets = NULL;
		t->mask = 0;
	}
}

/**
 * kvd_table_next - walk the table
 * @t: the table, not changed during the walk
 * @it: the walk's state, zeroed before the first call
 *
 * Context: main thread.
 * Return: the next node, or NULL at the end.
 */
struct kvd_tnode *kvd_table_next(const struct kvd_table *t,
				 struct kvd_table_iter *it)
{
	if (it->n)
		it->n = it->n->next;
	while (!it->n && t->count && it->bucket <= t->mask)
		it->n = t->buckets[it->bucket++];
	return it->n;
}
