/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * handoff.h - moving a client between its IO worker and the main thread
 * through their llist inboxes: batched, one wake per empty->non-empty.
 */
#ifndef _BATON_HANDOFF_H
#define _BATON_HANDOFF_H

#include <baton/llist.h>
#include <baton/role.h>

struct baton_server;
struct baton_worker;
struct baton_client;

void handoff_to_main(struct baton_worker *w, struct baton_client *c,
		     struct llist_node **first, struct llist_node **last)
	__io_only __releases_owner(c);
void handoff_flush_to_main(struct baton_worker *w, struct llist_node *first,
			   struct llist_node *last);
void handoff_to_worker(struct baton_server *s, struct baton_client *c)
	__main_only __releases_owner(c);
void handoff_kick(struct baton_server *s, struct baton_client *c,
		  unsigned int ctl) __main_only;
void handoff_flush_worker(struct baton_server *s, struct baton_worker *w) __main_only;
void handoff_flush_to_workers(struct baton_server *s) __main_only;

#endif /* _BATON_HANDOFF_H */
