/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * baton.h - the umbrella header of the baton public API.
 */
#ifndef _UAPI_BATON_BATON_H
#define _UAPI_BATON_BATON_H

#include "api.h"
#include "log.h"
#include "object.h"
#include "rcu.h"
#include "server.h"
#include "client.h"
#include "stats.h"
#include "timer.h"

#endif /* _UAPI_BATON_BATON_H */
