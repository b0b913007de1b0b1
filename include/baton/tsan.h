/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tsan.h - tell ThreadSanitizer about orderings it cannot see: liburcu's
 * publication and grace periods are built from inline assembly and
 * syscalls (membarrier), invisible to the sanitizer's instrumentation.
 */
#ifndef _BATON_TSAN_H
#define _BATON_TSAN_H

#if defined(__SANITIZE_THREAD__)
# define BATON_TSAN	1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define BATON_TSAN	1
# endif
#endif

#ifdef BATON_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
/* Everything before tsan_release(x) happens before what follows a later
 * tsan_acquire(x) in the sanitizer's model; no effect on the program. */
# define tsan_release(addr)	__tsan_release((void *)(addr))
# define tsan_acquire(addr)	__tsan_acquire((void *)(addr))
#else
# define tsan_release(addr)	((void)(addr))
# define tsan_acquire(addr)	((void)(addr))
#endif

#endif /* _BATON_TSAN_H */
