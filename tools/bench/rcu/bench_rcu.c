// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench_rcu.c - cost of an RCU read-side section in liburcu's memb flavor
 * (what baton uses) against the qsbr flavor, with an updater running
 * synchronize_rcu() meanwhile: the numbers behind the flavor choice in
 * Documentation/design.rst.
 *
 * Usage: bench_rcu [-t readers] [-d seconds]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-memb.h>
#include "rcu_flavors.h"

static _Atomic bool stop;
static int *_Atomic shared_ptr;
static int shared_vals[2] = { 1, 2 };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct reader {
	pthread_t t;
	int flavor;		/* 0 memb, 1 qsbr */
	unsigned long ops;
	long sum;
};

static void *reader_memb(void *arg)
{
	struct reader *r = arg;

	urcu_memb_register_thread();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int i;

		for (i = 0; i < 1024; i++) {
			memb_read_lock();
			r->sum += *atomic_load_explicit(&shared_ptr,
							memory_order_consume);
			memb_read_unlock();
		}
		r->ops += 1024;
	}
	urcu_memb_unregister_thread();
	return NULL;
}

static void *reader_qsbr(void *arg)
{
	struct reader *r = arg;

	qsbr_register();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int i;

		for (i = 0; i < 1024; i++) {
			qsbr_read_lock();
			r->sum += *atomic_load_explicit(&shared_ptr,
							memory_order_consume);
			qsbr_read_unlock();
		}
		/* A QSBR reader must announce quiescent states itself. */
		qsbr_quiescent();
		r->ops += 1024;
	}
	qsbr_unregister();
	return NULL;
}

static void *reader_none(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		int i;

		for (i = 0; i < 1024; i++)
			r->sum += *atomic_load_explicit(&shared_ptr,
							memory_order_consume);
		r->ops += 1024;
	}
	return NULL;
}

/* The updater flips the pointer and waits for a grace period, 1000/s. */
static void *updater(void *arg)
{
	int flavor = *(int *)arg, i = 0;
	unsigned long *gps = malloc(sizeof(*gps));

	*gps = 0;
	if (flavor == 0)
		urcu_memb_register_thread();
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		atomic_store_explicit(&shared_ptr, &shared_vals[++i & 1],
				      memory_order_release);
		if (flavor == 0)
			urcu_memb_synchronize_rcu();
		else if (flavor == 1)
			qsbr_synchronize();
		(*gps)++;
		usleep(1000);
	}
	if (flavor == 0)
		urcu_memb_unregister_thread();
	return gps;
}

static void run(int flavor, int readers, double secs, double *ns_per_op,
		unsigned long *gps)
{
	static void *(*const fns[])(void *) = { reader_memb, reader_qsbr,
						  reader_none };
	struct reader *r = calloc((size_t)readers, sizeof(*r));
	unsigned long ops = 0;
	pthread_t up;
	void *ret;
	double t0, t1;
	int i;

	atomic_store(&stop, false);
	for (i = 0; i < readers; i++)
		pthread_create(&r[i].t, NULL, fns[flavor], &r[i]);
	pthread_create(&up, NULL, updater, &flavor);
	t0 = now_s();
	usleep((useconds_t)(secs * 1e6));
	atomic_store(&stop, true);
	for (i = 0; i < readers; i++)
		pthread_join(r[i].t, NULL);
	t1 = now_s();
	pthread_join(up, &ret);
	*gps = *(unsigned long *)ret;
	free(ret);
	for (i = 0; i < readers; i++)
		ops += r[i].ops;
	/* Per reader thread: each ran for the whole interval. */
	*ns_per_op = (t1 - t0) * 1e9 * readers / (double)ops;
	free(r);
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "memb", "qsbr", "none" };
	int max_readers = 2, opt, f, n;
	double secs = 1.0, *ns;
	unsigned long *gps;

	while ((opt = getopt(argc, argv, "t:d:h")) != -1) {
		switch (opt) {
		case 't':
			max_readers = atoi(optarg);
			break;
		case 'd':
			secs = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-t max_readers] [-d seconds]\n",
				argv[0]);
			return 2;
		}
	}
	if (max_readers < 1 || secs <= 0) {
		fprintf(stderr, "bench_rcu: -t must be >= 1 and -d > 0\n");
		return 2;
	}
	atomic_store(&shared_ptr, &shared_vals[0]);
	printf("RCU read-side section: lock + one load + unlock, per reader thread,\n"
	       "an updater doing synchronize_rcu() every ~1 ms\n\n");
	printf("%-8s %8s %14s %12s\n", "flavor", "readers", "ns/section", "grace periods");
	ns = calloc((size_t)max_readers * 3, sizeof(*ns));
	gps = calloc((size_t)max_readers * 3, sizeof(*gps));
	if (!ns || !gps)
		return 1;
	for (n = 1; n <= max_readers; n++) {
		for (f = 0; f < 3; f++) {
			int k = (n - 1) * 3 + f;

			run(f, n, secs, &ns[k], &gps[k]);
			printf("%-8s %8d %14.2f %12lu\n", names[f], n, ns[k], gps[k]);
		}
	}
	printf("\nflavor,readers,ns_per_section,grace_periods\n");
	for (n = 1; n <= max_readers; n++)
		for (f = 0; f < 3; f++)
			printf("%s,%d,%.3f,%lu\n", names[f], n,
			       ns[(n - 1) * 3 + f], gps[(n - 1) * 3 + f]);
	free(ns);
	free(gps);
	return 0;
}
