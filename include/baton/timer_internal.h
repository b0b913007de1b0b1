/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * timer_internal.h - main's timers: a min-heap by expiry, run from the main loop,
 * which sleeps until the earliest one.
 */
#ifndef _BATON_TIMER_INTERNAL_H
#define _BATON_TIMER_INTERNAL_H

#include <stdint.h>
#include <baton/role.h>
#include <uapi/baton/timer.h>

struct baton_server;
struct baton_client;

uint64_t timer_next_due(struct baton_server *s) __main_only;
void timer_run(struct baton_server *s, uint64_t now) __main_only;
void timer_client_gone(struct baton_client *c) __main_only;
void timer_fini(struct baton_server *s) __main_only;

#endif /* _BATON_TIMER_INTERNAL_H */
