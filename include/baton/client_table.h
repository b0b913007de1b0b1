/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * client_table.h - the RCU-protected table of clients by id: main inserts
 * and removes, any registered reader looks up under rcu_read_lock().
 */
#ifndef _BATON_CLIENT_TABLE_H
#define _BATON_CLIENT_TABLE_H

#include <stdint.h>
#include <baton/role.h>

struct baton_server;
struct baton_client;

int client_table_init(struct baton_server *s) __init_fn;
void client_table_destroy(struct baton_server *s) __fini_fn;
int client_table_insert(struct baton_server *s, struct baton_client *c) __main_only;
void client_table_remove(struct baton_server *s, struct baton_client *c) __main_only;
struct baton_client *client_table_find(struct baton_server *s, uint64_t id);
int client_table_walk(struct baton_server *s,
		      int (*fn)(struct baton_client *c, void *arg), void *arg);

#endif /* _BATON_CLIENT_TABLE_H */
