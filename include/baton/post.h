/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * post.h - output main writes to a client it does not own: collected per
 * client during a main loop iteration, published on the client's post
 * list at its end, with one kick per client and one wake per worker.
 */
#ifndef _BATON_POST_H
#define _BATON_POST_H

#include <stddef.h>
#include <baton/role.h>

struct baton_server;
struct baton_client;
struct baton_obj;

int post_copy(struct baton_client *c, const void *buf, size_t len) __main_only;
int post_ref(struct baton_client *c, struct baton_obj *obj, const void *data,
	     size_t len) __main_only;
void post_take_chain(struct baton_client *c) __main_only __requires_owner(c);
void post_forget(struct baton_client *c) __main_only;
void post_publish_now(struct baton_client *c) __main_only;
void post_flush(struct baton_server *s) __main_only;

#endif /* _BATON_POST_H */
