/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * logging.h - internal logging: format a message and hand it to the
 * application's callback (see include/uapi/baton/log.h).
 */
#ifndef _BATON_LOGGING_H
#define _BATON_LOGGING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <uapi/baton/log.h>

void baton_log(enum baton_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * baton_log_once - log through @flag (an atomic_bool) the first time only;
 * the flag's exchange decides who logs, so two threads never both log.
 */
#define baton_log_once(flag, level, ...) \
	do { \
		if (!atomic_load_explicit(&(flag), memory_order_relaxed) && \
		    !atomic_exchange_explicit(&(flag), true, \
					      memory_order_relaxed)) \
			baton_log(level, __VA_ARGS__); \
	} while (0)

#define pr_err(...)	baton_log(BATON_LOG_ERR, __VA_ARGS__)
#define pr_warn(...)	baton_log(BATON_LOG_WARN, __VA_ARGS__)
#define pr_info(...)	baton_log(BATON_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	baton_log(BATON_LOG_DEBUG, __VA_ARGS__)

#endif /* _BATON_LOGGING_H */
