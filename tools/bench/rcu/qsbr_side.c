// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * qsbr_side.c - liburcu's qsbr flavor for bench_rcu, in a file of its own.
 */
#include <urcu/urcu-qsbr.h>
#include "rcu_flavors.h"

void qsbr_register(void) { urcu_qsbr_register_thread(); }
void qsbr_unregister(void) { urcu_qsbr_unregister_thread(); }
void qsbr_read_lock(void) { urcu_qsbr_read_lock(); }
void qsbr_read_unlock(void) { urcu_qsbr_read_unlock(); }
void qsbr_quiescent(void) { urcu_qsbr_quiescent_state(); }
void qsbr_synchronize(void) { urcu_qsbr_synchronize_rcu(); }
