/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rcu_flavors.h - each flavor's read-side calls, compiled out of line in a
 * file of their own (liburcu's flavor headers map the same generic names,
 * so one file includes one flavor), so both pay the same call cost.
 */
#ifndef _BENCH_RCU_FLAVORS_H
#define _BENCH_RCU_FLAVORS_H

void memb_read_lock(void);
void memb_read_unlock(void);
void qsbr_register(void);
void qsbr_unregister(void);
void qsbr_read_lock(void);
void qsbr_read_unlock(void);
void qsbr_quiescent(void);
void qsbr_synchronize(void);

#endif
