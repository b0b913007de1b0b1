// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * memb_side.c - liburcu's memb flavor read side for bench_rcu, out of line
 * like the qsbr side so both pay one call each way.
 */
#include <urcu/urcu-memb.h>
#include "rcu_flavors.h"

void memb_read_lock(void) { urcu_memb_read_lock(); }
void memb_read_unlock(void) { urcu_memb_read_unlock(); }
