// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * log.c - the process-wide log callback and message formatting.
 */
#include <stdarg.h>
#include <stdio.h>
#include <baton/compiler.h>
#include <baton/logging.h>

/*
 * ATOMIC: any thread may set or read it.  The release store in
 * baton_log_set() pairs with the acquire load in log_emit() so a reader
 * that sees the new pointer also sees the struct it points to.
 */
static _Atomic(const struct baton_log_ops *) baton_log_ops __rule(ATOMIC);

BATON_API void baton_log_set(const struct baton_log_ops *ops)
{
	atomic_store_explicit(&baton_log_ops, ops, memory_order_release);
}

BATON_API void baton_log_stderr(enum baton_log_level level, const char *msg,
				void *arg)
{
	static const char *const names[] = {
		[BATON_LOG_ERR] = "error", [BATON_LOG_WARN] = "warning",
		[BATON_LOG_INFO] = "info", [BATON_LOG_DEBUG] = "debug",
	};
	const char *name = (unsigned)level < 8 && names[level] ? names[level] : "log";

	fprintf(stderr, "baton: %s: %s\n", name, msg);
}

void log_emit(enum baton_log_level level, const char *fmt, ...)
{
	const struct baton_log_ops *ops;
	char buf[512];
	va_list ap;

	ops = atomic_load_explicit(&baton_log_ops, memory_order_acquire);
	if (!ops || !ops->fn || level > ops->max_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	ops->fn(level, buf, ops->arg);
}
