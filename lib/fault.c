// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fault.c - the counters behind include/baton/fault.h: which call of each
 * kind fails, set by tests or once from the environment at startup.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <baton/fault.h>
#include <baton/logging.h>

#ifdef BATON_FAULT_INJECT

/*
 * Per kind, all ATOMIC, any thread:
 * fault_nr_calls: calls counted since the last reset; each call's relaxed
 *	fetch_add returns a distinct value, which alone decides whether that
 *	call fails, so exactly one call is "the Nth" however threads race.
 * fault_nth, fault_times: which calls fail (relaxed: a test sets them
 *	before it starts the threads whose calls they govern, and thread
 *	creation orders the store before those calls).
 * fault_nr_injected, fault_last_site: what was injected (relaxed; read after
 *	the injecting threads were joined).
 * fault_seen_sites: the distinct sites reached; an empty slot is claimed by a
 *	CAS, so each site is stored once (relaxed: the strings are literals,
 *	nothing else is published through the slot).
 */
static _Atomic long fault_nr_calls[BATON_FAULT_NR_KINDS] __rule(ATOMIC);
static _Atomic long fault_nth[BATON_FAULT_NR_KINDS] __rule(ATOMIC);
static _Atomic long fault_times[BATON_FAULT_NR_KINDS] __rule(ATOMIC);
static _Atomic long fault_nr_injected[BATON_FAULT_NR_KINDS] __rule(ATOMIC);
static _Atomic(const char *) fault_last_site[BATON_FAULT_NR_KINDS] __rule(ATOMIC);
static _Atomic(const char *) fault_seen_sites[BATON_FAULT_NR_KINDS][BATON_FAULT_MAX_SITES]
	__rule(ATOMIC);

static const char *const fault_kind_name[BATON_FAULT_NR_KINDS] = {
	[BATON_FAULT_ALLOC] = "allocation",
	[BATON_FAULT_SOCKET] = "socket call",
};

/* Remember @site among the kind's distinct sites (bounded, lock-free). */
static void fault_note_site(enum baton_fault_kind kind, const char *site)
{
	_Atomic(const char *) *slots = fault_seen_sites[kind];
	unsigned int i;

	for (i = 0; i < BATON_FAULT_MAX_SITES; i++) {
		const char *cur = atomic_load_explicit(&slots[i],
						       memory_order_relaxed);

		/* A lost CAS leaves the winner's site in cur: compare it. */
		if (!cur && atomic_compare_exchange_strong_explicit(&slots[i],
				&cur, site, memory_order_relaxed,
				memory_order_relaxed))
			return;
		if (cur == site || !strcmp(cur, site))
			return;
	}
}

bool fault_hit(enum baton_fault_kind kind, const char *site)
{
	long n, nth, times;

	n = atomic_fetch_add_explicit(&fault_nr_calls[kind], 1,
				      memory_order_relaxed) + 1;
	fault_note_site(kind, site);
	nth = atomic_load_explicit(&fault_nth[kind], memory_order_relaxed);
	if (!nth || n < nth)
		return false;
	times = atomic_load_explicit(&fault_times[kind], memory_order_relaxed);
	if (times >= 0 && n - nth >= times)
		return false;
	atomic_fetch_add_explicit(&fault_nr_injected[kind], 1,
				  memory_order_relaxed);
	atomic_store_explicit(&fault_last_site[kind], site,
			      memory_order_relaxed);
	pr_warn("fault: failing %s %ld at %s", fault_kind_name[kind], n, site);
	return true;
}

int fault_set(enum baton_fault_kind kind, long nth, long times)
{
	unsigned int i;

	if ((unsigned int)kind >= BATON_FAULT_NR_KINDS || nth < 0)
		return -EINVAL;
	atomic_store_explicit(&fault_nth[kind], 0, memory_order_relaxed);
	atomic_store_explicit(&fault_nr_calls[kind], 0, memory_order_relaxed);
	atomic_store_explicit(&fault_nr_injected[kind], 0, memory_order_relaxed);
	atomic_store_explicit(&fault_last_site[kind], NULL,
			      memory_order_relaxed);
	for (i = 0; i < BATON_FAULT_MAX_SITES; i++)
		atomic_store_explicit(&fault_seen_sites[kind][i], NULL,
				      memory_order_relaxed);
	atomic_store_explicit(&fault_times[kind], times, memory_order_relaxed);
	atomic_store_explicit(&fault_nth[kind], nth, memory_order_relaxed);
	return 0;
}

long fault_calls(enum baton_fault_kind kind)
{
	if ((unsigned int)kind >= BATON_FAULT_NR_KINDS)
		return 0;
	return atomic_load_explicit(&fault_nr_calls[kind], memory_order_relaxed);
}

long fault_injected(enum baton_fault_kind kind, const char **site)
{
	if ((unsigned int)kind >= BATON_FAULT_NR_KINDS) {
		if (site)
			*site = NULL;
		return 0;
	}
	if (site)
		*site = atomic_load_explicit(&fault_last_site[kind],
					     memory_order_relaxed);
	return atomic_load_explicit(&fault_nr_injected[kind],
				    memory_order_relaxed);
}

size_t fault_sites(enum baton_fault_kind kind, const char **sites,
			 size_t max)
{
	size_t n;

	if ((unsigned int)kind >= BATON_FAULT_NR_KINDS)
		return 0;
	for (n = 0; n < BATON_FAULT_MAX_SITES; n++) {
		const char *s = atomic_load_explicit(&fault_seen_sites[kind][n],
						     memory_order_relaxed);

		if (!s)
			break;
		if (n < max)
			sites[n] = s;
	}
	return n;
}

/* A decimal from the environment, or @def when unset or not a number. */
static long fault_env(const char *name, long def)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (!v || !*v)
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	return errno || *end ? def : n;
}

/*
 * Read BATON_FAULT_{ALLOC,SOCKET}_{NTH,TIMES} before main() runs, so a
 * program is driven by its environment alone.  Context: the process's
 * first thread, from the loader's constructors (this object is linked in
 * whenever a wrapper is used).
 */
__attribute__((constructor))
static void fault_from_env(void)
{
	long nth;

	nth = fault_env("BATON_FAULT_ALLOC_NTH", 0);
	if (nth > 0)
		fault_set(BATON_FAULT_ALLOC, nth,
				fault_env("BATON_FAULT_ALLOC_TIMES", 1));
	nth = fault_env("BATON_FAULT_SOCKET_NTH", 0);
	if (nth > 0)
		fault_set(BATON_FAULT_SOCKET, nth,
				fault_env("BATON_FAULT_SOCKET_TIMES", 1));
}

#else /* !BATON_FAULT_INJECT: the API exists and says it is not built in */

int fault_set(enum baton_fault_kind kind, long nth, long times)
{
	return -EOPNOTSUPP;
}

long fault_calls(enum baton_fault_kind kind)
{
	return 0;
}

long fault_injected(enum baton_fault_kind kind, const char **site)
{
	if (site)
		*site = NULL;
	return 0;
}

size_t fault_sites(enum baton_fault_kind kind, const char **sites,
			 size_t max)
{
	return 0;
}

#endif /* BATON_FAULT_INJECT */
