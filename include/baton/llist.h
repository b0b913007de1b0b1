/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * llist.h - lock-less NULL-terminated singly linked list (the kernel's
 * llist semantics), built on C11 atomics so ThreadSanitizer sees them.
 */
#ifndef _BATON_LLIST_H
#define _BATON_LLIST_H

#include <stdatomic.h>
#include <stdbool.h>
#include <uapi/baton/api.h>
#include <stddef.h>
#include <baton/compiler.h>

/**
 * DOC: which operations need a lock
 *
 * Any number of producers may add at once, and one consumer may take the
 * whole list at once, with no lock.  Removing single entries from the
 * head (llist_del_first) is not offered: it would need a lock against
 * other deleters (the ABA problem).  The pairs:
 *
 *                    |  add  | add_batch | del_all |
 *   add              |       |           |         |
 *   add_batch        |       |           |         |
 *   del_all          |       |           |         |
 *
 * An empty cell means "no lock needed": every pair may run concurrently
 * on the same list head, from any threads.
 *
 * Memory ordering: llist_add()/llist_add_batch() publish with release
 * ordering and llist_del_all() takes with acquire ordering, so everything
 * a producer wrote to an entry before adding it is visible to the
 * consumer that took it.  That is what makes an llist a handoff: the add
 * is the release of ownership, the del_all the acquire.
 *
 * llist_add() returns true when the list was empty before it, so that the
 * producer, and only that producer, wakes the consumer (see
 * Documentation/design.rst for why no wakeup is lost).
 *
 * del_all returns entries newest first; llist_reverse_order() gives FIFO.
 */

/*
 * The node is the public struct baton_llist_node (<baton/api.h>), so that
 * public structs that travel on baton's queues (struct baton_obj, struct
 * baton_call) embed the very node these functions link.  A node's next is
 * written by the thread that adds it, before the release CAS, and read by
 * the thread whose del_all took it: whoever holds the node.  The head's
 * first is only touched by the atomics below: the adds' release CAS and
 * del_all's acquire exchange.
 */
#define llist_node baton_llist_node

struct llist_head {
	_Atomic(struct llist_node *) first	__rule(ATOMIC);
} __shared_struct;

#define LLIST_HEAD_INIT	{ NULL }

/**
 * init_llist_head - make @list empty
 * @list: the list head
 *
 * Context: the caller owns @list (it is not yet shared).
 */
static inline void init_llist_head(struct llist_head *list)
{
	atomic_init(&list->first, NULL);
}

/**
 * llist_entry - the struct that embeds @ptr
 */
#define llist_entry(ptr, type, member)	container_of(ptr, type, member)

/**
 * llist_for_each - walk a list taken by llist_del_all()
 * @pos: struct llist_node cursor
 * @node: the first entry
 *
 * Context: the caller owns the entries (they were taken by del_all).
 */
#define llist_for_each(pos, node) \
	for ((pos) = (node); (pos); (pos) = (pos)->next)

/**
 * llist_for_each_safe - walk a taken list; @pos may be freed in the body
 */
#define llist_for_each_safe(pos, n, node) \
	for ((pos) = (node); (pos) && ((n) = (pos)->next, true); (pos) = (n))

/**
 * llist_for_each_entry - walk a taken list by the embedding structs
 */
#define llist_for_each_entry(pos, node, member) \
	for ((pos) = (node) ? llist_entry((node), __typeof__(*(pos)), member) : NULL; \
	     (pos); \
	     (pos) = (pos)->member.next ? \
		llist_entry((pos)->member.next, __typeof__(*(pos)), member) : NULL)

/**
 * llist_for_each_entry_safe - like llist_for_each_entry; @pos may be freed
 */
#define llist_for_each_entry_safe(pos, n, node, member) \
	for ((pos) = (node) ? llist_entry((node), __typeof__(*(pos)), member) : NULL; \
	     (pos) && ((n) = (pos)->member.next ? \
		llist_entry((pos)->member.next, __typeof__(*(pos)), member) : NULL, true); \
	     (pos) = (n))

/**
 * llist_empty - whether the list is empty right now
 * @head: the list head
 *
 * Context: any thread.  The answer may be stale the moment it returns;
 * use it only as a hint (e.g. to skip a del_all), never to decide a wake.
 * Return: true when no entries were on the list.
 */
static inline bool llist_empty(const struct llist_head *head)
{
	return atomic_load_explicit((_Atomic(struct llist_node *) *)&head->first,
				    memory_order_relaxed) == NULL;
}

bool llist_add_batch(struct llist_node *new_first,
		     struct llist_node *new_last, struct llist_head *head);

/**
 * llist_add - add one entry
 * @new: the entry; the caller gives up ownership of it
 * @head: the list head
 *
 * Context: any thread.  Release: writes to @new before the call are
 * visible to the thread that takes it with llist_del_all().
 * Return: true when the list was empty before the add.
 */
static inline bool llist_add(struct llist_node *new, struct llist_head *head)
{
	return llist_add_batch(new, new, head);
}

/**
 * llist_del_all - take every entry off the list
 * @head: the list head
 *
 * Context: any thread (one consumer at a time by convention, though
 * concurrent del_all calls are safe: each entry goes to exactly one).
 * Acquire: pairs with the release of the adds that put the entries there.
 * Return: the first (newest) entry, or NULL when the list was empty.
 */
static inline struct llist_node *llist_del_all(struct llist_head *head)
{
	/* Skip the exchange's cache-line write when there is nothing. */
	if (llist_empty(head))
		return NULL;
	return atomic_exchange_explicit(&head->first, NULL,
					memory_order_acquire);
}

struct llist_node *llist_reverse_order(struct llist_node *head);

#endif /* _BATON_LLIST_H */
