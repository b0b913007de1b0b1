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

void log_emit(enum baton_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * log_once - log through @flag (an atomic_bool) the first time only;
 * the flag's exchange decides who logs, so two threads never both log.
 */
#define log_once(flag, level, ...) \
	do { \
		if (!atomic_load_explicit(&(flag), memory_order_relaxed) && \
		    !atomic_exchange_explicit(&(flag), true, \
					      memory_order_relaxed)) \
			log_emit(level, __VA_ARGS__); \
	} while (0)

#define pr_err(...)	log_emit(BATON_LOG_ERR, __VA_ARGS__)
#define pr_warn(...)	log_emit(BATON_LOG_WARN, __VA_ARGS__)
#define pr_info(...)	log_emit(BATON_LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	log_emit(BATON_LOG_DEBUG, __VA_ARGS__)

#endif /* _BATON_LOGGING_H */
