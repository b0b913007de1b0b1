// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * watch_stub.c - a no-op kvd_signal_modified() until WATCH (watch.c) is
 * merged; the lead deletes this file then.
 */
#include "kvd.h"

/**
 * kvd_signal_modified - a key was changed (WATCH invalidation): nothing yet
 * @key: the key
 * @len: its length
 *
 * Context: main thread.
 */
void kvd_signal_modified(const char *key, size_t len)
{
	(void)key;
	(void)len;
}
