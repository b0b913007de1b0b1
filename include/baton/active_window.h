/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * active_window.h - the active-clients sliding window: main-only
 * maintenance state (the seed's example B).
 */
#ifndef _BATON_ACTIVE_WINDOW_H
#define _BATON_ACTIVE_WINDOW_H

#include <stdint.h>
#include <baton/role.h>

/* Seconds the window covers: one bucket per second. */
#define ACTIVE_WINDOW_SECS	10

struct baton_server;
struct baton_client;

void active_window_touch(struct baton_server *s, struct baton_client *c) __main_only;
void active_window_forget(struct baton_server *s, struct baton_client *c) __main_only;
uint64_t active_window_count(struct baton_server *s) __main_only;

#endif /* _BATON_ACTIVE_WINDOW_H */
