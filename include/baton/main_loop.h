/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * main_loop.h - the main thread's run loop and everything it does per
 * iteration: accept, take the workers' handoffs, execute, hand back,
 * finalize closed clients, drain deferred frees, tick.
 */
#ifndef _BATON_MAIN_LOOP_H
#define _BATON_MAIN_LOOP_H

#include <baton/role.h>

struct baton_server;
struct baton_client;

int main_loop_run(struct baton_server *s) __main_only;
void main_process_inbox(struct baton_server *s) __main_only;
void main_flush(struct baton_server *s) __main_only;
void main_finalize_client(struct baton_server *s, struct baton_client *c)
	__main_only __releases_owner(c);
void main_close_all(struct baton_server *s) __main_only;
void main_drain_deferred(struct baton_server *s) __main_only;

#endif /* _BATON_MAIN_LOOP_H */
