// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench_refcount.c - cost of a reference get/put pair with baton's
 * refcount_t (include/baton/refcount.h), uncontended (each thread its own
 * count, on its own cache line) and contended (every thread the same
 * count), against bare C11 atomics, a mutex-protected counter and a plain
 * non-atomic counter, with 1..N threads.
 *
 * The implementations (one get and one put per pair; the count starts at
 * 1, the object's own reference, so a put never frees):
 *
 *   refcount      refcount_inc() + refcount_dec_and_test()
 *   inc_not_zero  refcount_inc_not_zero() + refcount_dec_and_test(): the
 *                 get of a lookup under RCU (baton_client_get_rcu())
 *   atomic        atomic_fetch_add(relaxed) + atomic_fetch_sub(release)
 *                 with no saturation checks: the floor for an atomic count
 *   mutex         pthread_mutex_lock(); n++; unlock(), and the same for n--
 *   plain         n++ and n-- with no atomicity: the floor of the loop
 *                 itself (uncontended only: shared, it would be a race)
 *
 * Two figures per point: pairs per second of wall time, all threads
 * together, and CPU nanoseconds per pair (CLOCK_THREAD_CPUTIME_ID), which
 * is steady when other processes share the machine.  Implementations
 * alternate repetition by repetition; the table shows medians and spread.
 *
 * Usage: bench_refcount [-t THREADS] [-d SECONDS] [-r REPS] [-s SHARING]
 *                       [-i IMPL] [-o FILE.csv]
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <baton/compiler.h>
#include <baton/refcount.h>
#include "../common/bench.h"

enum impl { IMPL_REFCOUNT, IMPL_INC_NOT_ZERO, IMPL_ATOMIC, IMPL_MUTEX,
	    IMPL_PLAIN, NR_IMPLS };

static const char *const impl_name[NR_IMPLS] = {
	[IMPL_REFCOUNT] = "refcount",
	[IMPL_INC_NOT_ZERO] = "inc_not_zero",
	[IMPL_ATOMIC] = "atomic",
	[IMPL_MUTEX] = "mutex",
	[IMPL_PLAIN] = "plain",
};

static const char *const sharing_name[2] = { "uncontended", "contended" };

#define MAX_THREADS	64
#define MAX_POINTS	32
#define MAX_REPS	101
#define PAIR_CHUNK	4096	/* pairs between two looks at the stop flag */

/*
 * struct counter - one counted object, on its own cache line
 * @ref: refcount and inc_not_zero
 * @atom: atomic
 * @lock, @n: mutex (n under lock) and plain (n alone)
 */
struct counter {
	refcount_t ref;
	_Atomic unsigned int atom;
	pthread_mutex_t lock;
	unsigned int n;
} ____cacheline_aligned;

/* struct worker - one thread and its results. */
struct worker {
	pthread_t tid;
	struct counter *cnt;
	enum impl impl;
	_Atomic bool *stop;
	unsigned long pairs;
	uint64_t cpu_ns;
	bool bad;
} ____cacheline_aligned;

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* PAIR_CHUNK pairs; specialised per @impl (always_inline, constant). */
static inline __attribute__((always_inline)) bool
pairs(struct counter *c, const enum impl impl)
{
	bool bad = false;
	int i;

	for (i = 0; i < PAIR_CHUNK; i++) {
		switch (impl) {
		case IMPL_REFCOUNT:
			refcount_inc(&c->ref);
			bad |= refcount_dec_and_test(&c->ref);
			break;
		case IMPL_INC_NOT_ZERO:
			bad |= !refcount_inc_not_zero(&c->ref);
			bad |= refcount_dec_and_test(&c->ref);
			break;
		case IMPL_ATOMIC:
			atomic_fetch_add_explicit(&c->atom, 1,
						  memory_order_relaxed);
			atomic_fetch_sub_explicit(&c->atom, 1,
						  memory_order_release);
			break;
		case IMPL_MUTEX:
			pthread_mutex_lock(&c->lock);
			c->n++;
			pthread_mutex_unlock(&c->lock);
			pthread_mutex_lock(&c->lock);
			c->n--;
			pthread_mutex_unlock(&c->lock);
			break;
		default:
			c->n++;
			/* Keep the compiler from merging the pair away. */
			__asm__ __volatile__("" ::: "memory");
			c->n--;
			__asm__ __volatile__("" ::: "memory");
			break;
		}
	}
	return bad;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	uint64_t cpu0 = thread_cpu_ns();
	unsigned long n = 0;
	bool bad = false;

	while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
		switch (w->impl) {
		case IMPL_REFCOUNT:
			bad |= pairs(w->cnt, IMPL_REFCOUNT);
			break;
		case IMPL_INC_NOT_ZERO:
			bad |= pairs(w->cnt, IMPL_INC_NOT_ZERO);
			break;
		case IMPL_ATOMIC:
			bad |= pairs(w->cnt, IMPL_ATOMIC);
			break;
		case IMPL_MUTEX:
			bad |= pairs(w->cnt, IMPL_MUTEX);
			break;
		default:
			bad |= pairs(w->cnt, IMPL_PLAIN);
			break;
		}
		n += PAIR_CHUNK;
	}
	w->cpu_ns = thread_cpu_ns() - cpu0;
	w->pairs = n;
	w->bad = bad;
	return NULL;
}

/* One point's results for one implementation. */
struct result {
	enum impl impl;
	int shared;
	unsigned int threads;
	int reps;
	unsigned long pairs;
	struct bench_spread mpps;	/* Mpairs/s, all threads, wall */
	struct bench_spread cpu_ns;	/* CPU ns per pair */
};

/*
 * run_once - @nr threads of @impl for @secs, sharing one counter or not
 * Return: 0, or -EIO when a count went wrong.
 */
static int run_once(enum impl impl, bool shared, unsigned int nr,
		    double secs, struct counter *cnt, struct worker *w,
		    double *mpps, double *cpu_ns, struct result *res)
{
	_Atomic bool stop = false;
	unsigned long total = 0;
	uint64_t t0, cpu = 0;
	struct timespec ts;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		refcount_set(&cnt[i].ref, 1);
		atomic_init(&cnt[i].atom, 1);
		cnt[i].n = 1;
	}
	t0 = bench_now_ns();
	for (i = 0; i < nr; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].cnt = shared ? &cnt[0] : &cnt[i];
		w[i].impl = impl;
		w[i].stop = &stop;
		if (pthread_create(&w[i].tid, NULL, worker_fn, &w[i])) {
			fprintf(stderr, "bench_refcount: pthread_create "
				"failed\n");
			exit(1);
		}
	}
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
	atomic_store(&stop, true);
	for (i = 0; i < nr; i++)
		pthread_join(w[i].tid, NULL);
	t0 = bench_now_ns() - t0;
	for (i = 0; i < nr; i++) {
		if (w[i].bad)
			return -EIO;
		total += w[i].pairs;
		cpu += w[i].cpu_ns;
	}
	/* Every pair put back what it took: each count is 1 again. */
	for (i = 0; i < (shared ? 1 : nr); i++)
		if (refcount_read(&cnt[i].ref) != 1 ||
		    atomic_load(&cnt[i].atom) != 1 ||
		    (impl != IMPL_PLAIN && cnt[i].n != 1))
			return -EIO;
	res->pairs += total;
	*mpps = total / (t0 / 1e9) / 1e6;
	*cpu_ns = total ? (double)cpu / total : 0;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_refcount [-t THREADS] [-d SECONDS] [-r REPS] [-s SHARING] [-i IMPL] [-o FILE]\n"
		"  -t L   threads, a list such as 1,2,4 or 1-4 (default 1,2,4)\n"
		"  -d S   seconds per point and implementation (default 0.5)\n"
		"  -r N   repetitions per point, alternating (default 5)\n"
		"  -s S   uncontended (each thread its own count), contended\n"
		"         (one count for all) or both (default)\n"
		"  -i I   one implementation: refcount, inc_not_zero, atomic,\n"
		"         mutex, plain; default all (plain: uncontended only)\n"
		"  -o F   also write the CSV to F\n"
		"Prints a table, then the same results as CSV.\n");
}

int main(int argc, char **argv)
{
	unsigned int threads[MAX_POINTS], impls = (1u << NR_IMPLS) - 1;
	int nr_points = 3, reps = 5, opt, p, k, i, sh, nr_res = 0;
	int sh_first = 0, sh_last = 1;
	double mpps[NR_IMPLS][MAX_REPS], cpu[NR_IMPLS][MAX_REPS];
	double secs = 0.5;
	const char *csv_path = NULL;
	struct counter *cnt;
	struct result *res;
	struct worker *w;
	FILE *csv;

	threads[0] = 1;
	threads[1] = 2;
	threads[2] = 4;
	while ((opt = getopt(argc, argv, "t:d:r:s:i:o:h")) != -1) {
		switch (opt) {
		case 't':
			nr_points = bench_parse_list(optarg, threads,
						     MAX_POINTS);
			if (nr_points < 0)
				goto bad_usage;
			break;
		case 'd':
			if (bench_parse_secs(optarg, &secs))
				goto bad_usage;
			break;
		case 'r':
			reps = atoi(optarg);
			if (reps < 1 || reps > MAX_REPS)
				goto bad_usage;
			break;
		case 's':
			if (!strcmp(optarg, "uncontended"))
				sh_last = 0;
			else if (!strcmp(optarg, "contended"))
				sh_first = 1;
			else if (strcmp(optarg, "both"))
				goto bad_usage;
			break;
		case 'i':
			impls = bench_pick(optarg, impl_name, NR_IMPLS);
			if (!impls)
				goto bad_usage;
			break;
		case 'o':
			csv_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad_usage;
		}
	}
	if (optind != argc)
		goto bad_usage;
	for (p = 0; p < nr_points; p++)
		if (!threads[p] || threads[p] > MAX_THREADS)
			goto bad_usage;

	csv = bench_csv_open("bench_refcount", csv_path);
	res = calloc((size_t)nr_points * 2 * NR_IMPLS, sizeof(*res));
	cnt = aligned_alloc(BATON_CACHELINE, MAX_THREADS * sizeof(*cnt));
	w = aligned_alloc(BATON_CACHELINE, MAX_THREADS * sizeof(*w));
	if (!res || !cnt || !w)
		return 1;
	memset(cnt, 0, MAX_THREADS * sizeof(*cnt));
	for (i = 0; i < MAX_THREADS; i++)
		pthread_mutex_init(&cnt[i].lock, NULL);

	printf("# refcount get/put pairs: %.2f s per point and "
	       "implementation in %d repetitions, %d CPUs\n", secs, reps,
	       bench_nr_cpus());
	printf("%-12s %-11s %7s %4s %12s %9s %8s %8s %9s %7s %7s %7s\n",
	       "impl", "sharing", "threads", "reps", "pairs", "Mpairs/s",
	       "min", "max", "cpu_ns/pr", "min", "max", "x_atom");
	for (sh = sh_first; sh <= sh_last; sh++) {
		for (p = 0; p < nr_points; p++) {
			struct result *pr = &res[nr_res];

			for (k = 0; k < NR_IMPLS; k++) {
				pr[k].impl = k;
				pr[k].shared = sh;
				pr[k].threads = threads[p];
			}
			for (i = 0; i < reps; i++) {
				for (k = 0; k < NR_IMPLS; k++) {
					if (!(impls & (1u << k)) ||
					    (sh && k == IMPL_PLAIN))
						continue;
					if (run_once(k, sh, threads[p],
						     secs / reps, cnt, w,
						     &mpps[k][i], &cpu[k][i],
						     &pr[k])) {
						fprintf(stderr, "bench_refcount:"
							" %s: a count went "
							"wrong\n",
							impl_name[k]);
						return 1;
					}
					pr[k].reps++;
				}
			}
			for (k = 0; k < NR_IMPLS; k++) {
				if (!pr[k].reps)
					continue;
				pr[k].mpps = bench_spread_of(mpps[k], reps);
				pr[k].cpu_ns = bench_spread_of(cpu[k], reps);
			}
			for (k = 0; k < NR_IMPLS; k++) {
				const struct result *x = &pr[k];
				const struct result *a = &pr[IMPL_ATOMIC];

				if (!x->reps)
					continue;
				printf("%-12s %-11s %7u %4d %12lu %9.2f %8.2f "
				       "%8.2f %9.2f %7.2f %7.2f %7.2f\n",
				       impl_name[k], sharing_name[sh],
				       x->threads, x->reps, x->pairs,
				       x->mpps.median, x->mpps.min,
				       x->mpps.max, x->cpu_ns.median,
				       x->cpu_ns.min, x->cpu_ns.max,
				       a->reps ? x->cpu_ns.median /
				       a->cpu_ns.median : 0);
			}
			fflush(stdout);
			nr_res += NR_IMPLS;
		}
	}

	printf("\n");
	bench_csv(csv, "impl,sharing,threads,reps,pairs,mpairs_per_s,"
		  "min_mpairs_per_s,max_mpairs_per_s,cpu_ns_per_pair,"
		  "min_cpu_ns,max_cpu_ns,x_atomic\n");
	for (i = 0; i < nr_res; i++) {
		const struct result *x = &res[i];
		const struct result *a = &res[i - i % NR_IMPLS + IMPL_ATOMIC];

		if (!x->reps)
			continue;
		bench_csv(csv, "%s,%s,%u,%d,%lu,%.3f,%.3f,%.3f,%.3f,%.3f,"
			  "%.3f,%.3f\n", impl_name[x->impl],
			  sharing_name[x->shared], x->threads, x->reps,
			  x->pairs, x->mpps.median, x->mpps.min, x->mpps.max,
			  x->cpu_ns.median, x->cpu_ns.min, x->cpu_ns.max,
			  a->reps ? x->cpu_ns.median / a->cpu_ns.median : 0);
	}
	if (csv)
		fclose(csv);
	free(w);
	free(cnt);
	free(res);
	return 0;

bad_usage:
	usage(stderr);
	return 2;
}
