// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * client_table.c - the RCU-protected table of clients by id (liburcu's
 * lock-free resizable hash table): main inserts and removes, any
 * registered reader looks up under rcu_read_lock().
 */
#include <errno.h>
#include <baton/rcu_read.h>
#include <baton/client_internal.h>
#include <baton/client_table.h>
#include <baton/server_internal.h>
#include <baton/tsan.h>

/* splitmix64's finalizer: ids are sequential, buckets want them spread. */
static unsigned long id_hash(uint64_t id)
{
	id ^= id >> 30;
	id *= 0xbf58476d1ce4e5b9ULL;
	id ^= id >> 27;
	id *= 0x94d049bb133111ebULL;
	id ^= id >> 31;
	return (unsigned long)id;
}

static int id_match(struct cds_lfht_node *node, const void *key)
{
	const struct baton_client *c =
		container_of(node, struct baton_client, table_node);

	tsan_acquire(c);	/* the lookup's rcu_dereference */
	return c->id == *(const uint64_t *)key;
}

/**
 * client_table_init - create the empty table
 * @s: the server being created
 *
 * Context: the creating thread, before the server is shared.
 * Return: 0 or -ENOMEM.
 */
int client_table_init(struct baton_server *s)
{
	s->table = cds_lfht_new_flavor(64, 64, 0,
				       CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
				       &urcu_memb_flavor, NULL);
	return s->table ? 0 : -ENOMEM;
}

/**
 * client_table_destroy - free the (empty) table
 * @s: the server
 *
 * Context: main thread at teardown, outside any read-side section and
 * not from a call_rcu callback (liburcu's rule for cds_lfht_destroy).
 */
void client_table_destroy(struct baton_server *s)
{
	if (s->table)
		cds_lfht_destroy(s->table, NULL);
	s->table = NULL;
}

/**
 * client_table_insert - publish @c under its id
 * @s: the server
 * @c: a client whose IMMUTABLE fields are all written
 *
 * cds_lfht_add_unique publishes the node with rcu_assign_pointer
 * semantics: a reader that finds @c sees its initialized fields.
 *
 * Context: main thread.
 * Return: 0, or -EEXIST if the id is taken (a bug: ids are never reused).
 */
int client_table_insert(struct baton_server *s, struct baton_client *c)
{
	struct cds_lfht_node *ret;

	/* add_unique's rcu_assign_pointer, as TSan sees it: pairs with
	 * the tsan_acquire in client_table_find(). */
	tsan_release(c);
	rcu_read_lock_bt();
	ret = cds_lfht_add_unique(s->table, id_hash(c->id), id_match, &c->id,
				  &c->table_node);
	rcu_read_unlock_bt();
	return ret == &c->table_node ? 0 : -EEXIST;
}

/**
 * client_table_remove - unpublish @c; readers may still hold it until a
 * grace period ends
 * @s: the server
 * @c: the client
 *
 * Context: main thread.
 */
void client_table_remove(struct baton_server *s, struct baton_client *c)
{
	rcu_read_lock_bt();
	cds_lfht_del(s->table, &c->table_node);
	rcu_read_unlock_bt();
}

/**
 * client_table_walk - call @fn for every client in the table
 * @s: the server
 * @fn: the callback; a non-zero return stops the walk
 * @arg: passed to @fn
 *
 * Walks node by node (liburcu's for_each_entry macro computes
 * container_of(NULL) at the end, which UBSan rightly reports).
 *
 * Context: a registered reader inside rcu_read_lock_bt().
 * Return: 0, or the first non-zero value of @fn.
 */
int client_table_walk(struct baton_server *s,
		      int (*fn)(struct baton_client *c, void *arg), void *arg)
{
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;
	int ret = 0;

	cds_lfht_first(s->table, &iter);
	while ((node = cds_lfht_iter_get_node(&iter)) && !ret) {
		ret = fn(container_of(node, struct baton_client, table_node), arg);
		cds_lfht_next(s->table, &iter);
	}
	return ret;
}

/**
 * client_table_find - look a client up by id
 * @s: the server
 * @id: the id
 *
 * Context: a registered reader inside rcu_read_lock_bt(); the result
 * stays valid until the read-side section ends (or, on main, until main
 * removes it).
 * Return: the client or NULL.
 */
struct baton_client *client_table_find(struct baton_server *s, uint64_t id)
{
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;

	cds_lfht_lookup(s->table, id_hash(id), id_match, &id, &iter);
	node = cds_lfht_iter_get_node(&iter);
	if (!node)
		return NULL;
	tsan_acquire(container_of(node, struct baton_client, table_node));
	return container_of(node, struct baton_client, table_node);
}
