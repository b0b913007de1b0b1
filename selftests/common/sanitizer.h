/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sanitizer.h - tell a selftest whether it runs under ASan or TSan, so
 * that stress loops can scale their counts down and stay within time.
 *
 * gcc defines __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__; clang 14 only
 * answers __has_feature(address_sanitizer / thread_sanitizer).
 */
#ifndef _BATON_SELFTEST_SANITIZER_H
#define _BATON_SELFTEST_SANITIZER_H

#if defined(__SANITIZE_THREAD__)
# define SELFTEST_TSAN		1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define SELFTEST_TSAN		1
# endif
#endif
#ifndef SELFTEST_TSAN
# define SELFTEST_TSAN		0
#endif

#if defined(__SANITIZE_ADDRESS__)
# define SELFTEST_ASAN		1
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define SELFTEST_ASAN		1
# endif
#endif
#ifndef SELFTEST_ASAN
# define SELFTEST_ASAN		0
#endif

/*
 * SELFTEST_SCALE(n) - an iteration count: @n in a plain build, a quarter
 * of it (at least 1) under a sanitizer, whose instrumented atomics and
 * shadow memory make each step several times slower (TSan: 5-15x).
 */
#if SELFTEST_TSAN || SELFTEST_ASAN
# define SELFTEST_SCALE(n)	((n) / 4 > 0 ? (n) / 4 : 1)
#else
# define SELFTEST_SCALE(n)	(n)
#endif

#endif /* _BATON_SELFTEST_SANITIZER_H */
