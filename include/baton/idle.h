/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * idle.h - main's list of every client, and the scan that closes those
 * that sent nothing for their idle timeout.
 */
#ifndef _BATON_IDLE_H
#define _BATON_IDLE_H

#include <stdint.h>
#include <baton/role.h>

struct baton_server;
struct baton_client;

void idle_track(struct baton_server *s, struct baton_client *c) __main_only;
void idle_untrack(struct baton_server *s, struct baton_client *c) __main_only;
void idle_scan(struct baton_server *s, uint64_t now) __main_only;

#endif /* _BATON_IDLE_H */
