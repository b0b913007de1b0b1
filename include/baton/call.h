/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * call.h - functions other threads queue to run on the main thread.
 */
#ifndef _BATON_CALL_H
#define _BATON_CALL_H

#include <stdbool.h>
#include <baton/role.h>

struct baton_server;

bool call_run(struct baton_server *s) __main_only;

#endif /* _BATON_CALL_H */
