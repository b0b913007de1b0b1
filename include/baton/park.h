/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * park.h - the input states main wants for a client (parked, reading
 * paused), and how main tells the worker that serves it.
 */
#ifndef _BATON_PARK_H
#define _BATON_PARK_H

#include <baton/role.h>

struct baton_client;

int park_set_state(struct baton_client *c, unsigned int state) __main_only;

#endif /* _BATON_PARK_H */
