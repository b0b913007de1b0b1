// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * refcount.c - the slow path of refcount_t: saturate and report once.
 */
#include <baton/logging.h>
#include <baton/refcount.h>

/* ATOMIC: one flag per kind of misuse, so each is reported once. */
static atomic_bool refcount_reported[4] __rule(ATOMIC);

/**
 * refcount_warn_saturate - pin a misused count and report it once
 * @r: the refcount
 * @t: what went wrong
 *
 * Context: any thread.  After this @r stays REFCOUNT_SATURATED: its object
 * leaks instead of being freed twice.
 */
void refcount_warn_saturate(refcount_t *r, enum refcount_saturation t)
{
	static const char *const what[] = {
		[REFCOUNT_ADD_OVF] = "saturated; leaking memory",
		[REFCOUNT_ADD_UAF] = "addition on 0; use-after-free",
		[REFCOUNT_SUB_UAF] = "underflow; use-after-free",
		[REFCOUNT_DEC_LEAK] = "decrement hit 0; leaking memory",
	};

	atomic_store_explicit(&r->refs, REFCOUNT_SATURATED,
			      memory_order_relaxed);
	log_once(refcount_reported[t], BATON_LOG_ERR,
		       "refcount_t %p: %s", (void *)r, what[t]);
}
