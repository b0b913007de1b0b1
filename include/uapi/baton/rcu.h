/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rcu.h - RCU read-side access for application threads that look clients
 * up by id (baton uses liburcu's memb flavor underneath).
 */
#ifndef _UAPI_BATON_RCU_H
#define _UAPI_BATON_RCU_H

#include "api.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * baton_rcu_register_thread - make the calling thread an RCU reader
 *
 * Context: a foreign thread, once, before its first baton_rcu_read_lock().
 * Baton's own threads are registered already.
 */
BATON_API void baton_rcu_register_thread(void);

/**
 * baton_rcu_unregister_thread - undo baton_rcu_register_thread()
 *
 * Context: a registered foreign thread, outside any read-side section,
 * before it exits.
 */
BATON_API void baton_rcu_unregister_thread(void);

/**
 * baton_rcu_read_lock - enter an RCU read-side critical section
 *
 * Context: a registered thread.  Sections nest.  Do not block inside.
 */
BATON_API void baton_rcu_read_lock(void);

/**
 * baton_rcu_read_unlock - leave an RCU read-side critical section
 *
 * Context: a registered thread inside baton_rcu_read_lock().
 */
BATON_API void baton_rcu_read_unlock(void);

#ifdef __cplusplus
}
#endif

#endif /* _UAPI_BATON_RCU_H */
