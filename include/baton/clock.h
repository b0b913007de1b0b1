/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clock.h - the monotonic millisecond clock that timers, ticks and the
 * active-clients window share.
 */
#ifndef _BATON_CLOCK_H
#define _BATON_CLOCK_H

#include <stdint.h>
#include <time.h>

/**
 * clock_now_ms - a monotonic clock in milliseconds
 *
 * Context: any thread.
 * Return: milliseconds since an arbitrary point.
 */
static inline uint64_t clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/**
 * clock_ns_now - the monotonic clock in nanoseconds
 *
 * Context: any thread.
 * Return: nanoseconds since an arbitrary point.
 */
static inline uint64_t clock_ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif /* _BATON_CLOCK_H */
