/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * log.h - the log callback: baton never prints on its own.
 */
#ifndef _UAPI_BATON_LOG_H
#define _UAPI_BATON_LOG_H

#include "api.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * enum baton_log_level - how serious a message is
 * @BATON_LOG_ERR: an operation failed or the API was misused
 * @BATON_LOG_WARN: something degraded but went on (e.g. a paused listener)
 * @BATON_LOG_INFO: a notable event
 * @BATON_LOG_DEBUG: detail for developers
 *
 * The values are syslog's, so an application can pass them through.
 */
enum baton_log_level {
	BATON_LOG_ERR	= 3,
	BATON_LOG_WARN	= 4,
	BATON_LOG_INFO	= 6,
	BATON_LOG_DEBUG	= 7,
};

/**
 * typedef baton_log_fn - the application's log function
 * @level: the message's level
 * @msg: the formatted message, without a trailing newline
 * @arg: the @arg of the struct baton_log_ops it was set with
 *
 * Context: may run on any thread baton runs code on (main, IO workers,
 * the RCU callback thread) and on foreign threads that call baton; must
 * be thread-safe and must not call back into baton.
 */
typedef void (*baton_log_fn)(enum baton_log_level level, const char *msg,
			     void *arg);

/**
 * struct baton_log_ops - where baton's messages go
 * @fn: the function to call
 * @arg: passed to @fn unchanged
 * @max_level: messages above this level are dropped before formatting
 */
struct baton_log_ops {
	baton_log_fn fn;			/* __rule(IMMUTABLE) */
	void *arg;				/* __rule(IMMUTABLE) */
	enum baton_log_level max_level;		/* __rule(IMMUTABLE) */
} /* __shared_struct */;

/**
 * baton_log_set - choose where baton's messages go
 * @ops: the log function; NULL makes baton silent (the default).  @ops
 *	 is not copied: it must stay valid until it is replaced.
 *
 * Context: any thread.  The switch is atomic: a concurrent message goes
 * either to the old or to the new @ops, never to a mix of both.
 */
BATON_API void baton_log_set(const struct baton_log_ops *ops);

/**
 * baton_log_stderr - a ready-made baton_log_fn that writes one line to stderr
 * @level: the message's level
 * @msg: the message
 * @arg: unused
 *
 * Context: any thread.
 */
BATON_API void baton_log_stderr(enum baton_log_level level, const char *msg,
				void *arg);

#ifdef __cplusplus
}
#endif

#endif /* _UAPI_BATON_LOG_H */
