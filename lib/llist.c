// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * llist.c - the out-of-line parts of the lock-less list.
 */
#include <baton/llist.h>

/**
 * llist_add_batch - add a chain of entries
 * @new_first: first entry of the chain
 * @new_last: last entry of the chain (its next is overwritten)
 * @head: the list head
 *
 * Context: any thread.  The caller gives up ownership of the chain.
 * Return: true when the list was empty before the add.
 */
bool llist_add_batch(struct llist_node *new_first,
		     struct llist_node *new_last, struct llist_head *head)
{
	struct llist_node *first;

	first = atomic_load_explicit(&head->first, memory_order_relaxed);
	do {
		/*
		 * new_last->next is ours until the CAS succeeds; the CAS's
		 * release orders this store (and all the producer's writes
		 * to the chain) before the consumer's acquire in del_all.
		 */
		new_last->next = first;
	} while (!atomic_compare_exchange_weak_explicit(&head->first, &first,
						       new_first,
						       memory_order_release,
						       memory_order_relaxed));
	return first == NULL;
}

/**
 * llist_reverse_order - reverse a chain taken by llist_del_all()
 * @head: the first entry of the chain
 *
 * Context: the caller owns the chain.
 * Return: the new first entry (the oldest one added).
 */
struct llist_node *llist_reverse_order(struct llist_node *head)
{
	struct llist_node *new_head = NULL;

	while (head) {
		struct llist_node *tmp = head;

		head = head->next;
		tmp->next = new_head;
		new_head = tmp;
	}
	return new_head;
}
