/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * refcount.h - reference counts with the kernel's refcount_t contract:
 * one atomic operation per change, saturation instead of wrap-around.
 */
#ifndef _BATON_REFCOUNT_H
#define _BATON_REFCOUNT_H

#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <baton/compiler.h>
#include <baton/tsan.h>

/**
 * DOC: refcount contract
 *
 * A refcount_t counts the references to an object.  The rules:
 *
 * - Every change is one atomic read-modify-write whose result decides
 *   what happens next.  refcount_dec_and_test() is the only way to learn
 *   that the last reference is gone: it is one fetch_sub, and the thread
 *   whose decrement took the count from 1 to 0 is the one that frees.
 *   Never read the count and then decrement it.
 * - Ordering: increments are relaxed (the caller already holds a
 *   reference, which keeps the object alive).  Every decrement is a
 *   release, so that the decrementer's earlier accesses to the object
 *   happen before the free; the final decrement adds an acquire fence, so
 *   the freeing thread sees every other thread's accesses.
 *   refcount_inc_not_zero() is a relaxed CAS loop plus an acquire on
 *   success, for lookups that find the object through an RCU structure.
 * - Saturation: the count is unsigned and is never allowed into the top
 *   half of its range.  Incrementing past INT_MAX, incrementing from zero
 *   (a use after free) and decrementing below zero (an underflow) all set
 *   the count to REFCOUNT_SATURATED and report once through the log
 *   callback.  A saturated count stays saturated: the object leaks and is
 *   never freed twice.  Unsigned arithmetic only, so no check depends on
 *   signed overflow (which the compiler may assume never happens).
 */
typedef struct {
	_Atomic unsigned int refs;
} refcount_t;

/* Half-way into the "negative" half, so racing increments and decrements
 * cannot walk a saturated count back into the valid range. */
#define REFCOUNT_SATURATED	(UINT_MAX / 4 * 3)	/* 0xbffffffd */
#define REFCOUNT_MAX		((unsigned int)INT_MAX)
#define REFCOUNT_INIT(n)	{ (n) }

enum refcount_saturation {
	REFCOUNT_ADD_OVF,	/* increment past REFCOUNT_MAX */
	REFCOUNT_ADD_UAF,	/* increment from zero: use after free */
	REFCOUNT_SUB_UAF,	/* decrement of zero or below: underflow */
	REFCOUNT_DEC_LEAK,	/* refcount_dec() took it to zero */
};

void refcount_warn_saturate(refcount_t *r, enum refcount_saturation t);

/*
 * ThreadSanitizer does not model atomic_thread_fence() (gcc even warns,
 * -Wtsan), so under TSan the acquire of the final decrement is an acquire
 * load instead.  That load reads the zero our own fetch_sub wrote (a count
 * that reached zero is never changed again), and that fetch_sub is in the
 * release sequence of every earlier decrement, so the load synchronizes
 * with each of them just as the fence does.
 */

static inline void __refcount_acquire_final(refcount_t *r)
{
#ifdef BATON_TSAN
	(void)atomic_load_explicit(&r->refs, memory_order_acquire);
#else
	atomic_thread_fence(memory_order_acquire);
#endif
}

/* The top bit is set for saturated and underflowed counts. */
static inline bool __refcount_bad(unsigned int v)
{
	return v > REFCOUNT_MAX;
}

/**
 * refcount_set - set the count of an object not yet shared
 * @r: the refcount
 * @n: the new count
 *
 * Context: the caller owns the object alone (before it is published).
 */
static inline void refcount_set(refcount_t *r, unsigned int n)
{
	atomic_store_explicit(&r->refs, n, memory_order_relaxed);
}

/**
 * refcount_read - the count right now, for statistics and tests only
 * @r: the refcount
 *
 * Context: any thread.  The value may be stale at once: never base a
 * free or a decrement on it.
 * Return: the count.
 */
static inline unsigned int refcount_read(const refcount_t *r)
{
	return atomic_load_explicit((_Atomic unsigned int *)&r->refs,
				    memory_order_relaxed);
}

/**
 * refcount_inc - take one more reference
 * @r: the refcount
 *
 * Context: any thread that already holds a reference.
 */
static inline void refcount_inc(refcount_t *r)
{
	unsigned int old = atomic_fetch_add_explicit(&r->refs, 1,
						     memory_order_relaxed);

	if (unlikely(old == 0))
		refcount_warn_saturate(r, REFCOUNT_ADD_UAF);
	else if (unlikely(old >= REFCOUNT_MAX))
		refcount_warn_saturate(r, REFCOUNT_ADD_OVF);
}

/**
 * refcount_inc_not_zero - take a reference unless the object is dying
 * @r: the refcount
 *
 * Context: any thread that can see the object (e.g. inside an RCU
 * read-side critical section that found it in an RCU table).
 * Return: true when a reference was taken; false when the count was zero.
 */
static inline bool refcount_inc_not_zero(refcount_t *r)
{
	unsigned int old = atomic_load_explicit(&r->refs, memory_order_relaxed);

	do {
		if (old == 0)
			return false;
		if (unlikely(__refcount_bad(old)))
			return true;	/* saturated: stays so, never freed */
	} while (!atomic_compare_exchange_weak_explicit(&r->refs, &old,
							old + 1,
							memory_order_acquire,
							memory_order_relaxed));
	if (unlikely(old == REFCOUNT_MAX))
		refcount_warn_saturate(r, REFCOUNT_ADD_OVF);
	return true;
}

/**
 * refcount_dec_and_test - drop a reference and say whether it was the last
 * @r: the refcount
 *
 * Context: any thread holding a reference.  Release ordering on the
 * decrement, acquire on the final one.
 * Return: true when this call took the count to zero: the caller frees.
 */
static inline bool refcount_dec_and_test(refcount_t *r)
{
	unsigned int old = atomic_fetch_sub_explicit(&r->refs, 1,
						     memory_order_release);

	if (old == 1) {
		/* Pairs with every other decrementer's release. */
		__refcount_acquire_final(r);
		return true;
	}
	if (unlikely(old == 0 || __refcount_bad(old)))
		refcount_warn_saturate(r, REFCOUNT_SUB_UAF);
	return false;
}

/**
 * refcount_dec - drop a reference that is known not to be the last
 * @r: the refcount
 *
 * Context: any thread holding a reference that is not the last one.
 * Taking the count to zero here is a bug: it saturates (leaks) and warns.
 */
static inline void refcount_dec(refcount_t *r)
{
	if (unlikely(refcount_dec_and_test(r)))
		refcount_warn_saturate(r, REFCOUNT_DEC_LEAK);
}

#endif /* _BATON_REFCOUNT_H */
