// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench_free.c - objects/s of the ways baton frees an object: directly on
 * main, through the IO->main deferred-free queue, with one call_rcu per
 * object, and with batched grace-period frees (rcu_free).
 *
 * Every run first mallocs and initializes its 64-byte objects, then
 * starts the clock, hands each to the mode's free path and counts it done
 * when free() has run on it: the figures compare the free paths alone.
 * Two times per run: end
 * to end (until every object was freed; the RCU modes include the
 * barrier, i.e. the grace period and liburcu's ~10 ms callback-thread
 * sleep) and the caller's (the putting thread's own loop, which is what
 * an IO worker or main pays).  Each mode runs -r times; the table shows
 * medians, the CSV every run.
 *
 * Usage: bench_free [-n objects] [-r runs] [-o file.csv]
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu/urcu-memb.h>
#include <baton/defer.h>
#include <baton/rcu_free.h>
#include <baton/role.h>
#include <uapi/baton/baton.h>

struct bobj {
	struct baton_obj obj;
	struct rcu_head rcu;		/* used only by the call_rcu mode */
	char payload[64 - sizeof(struct baton_obj) - sizeof(struct rcu_head)];
};

/* Context: main thread (main-only type). */
static void bobj_free(struct baton_obj *obj)
{
	free(baton_container_of(obj, struct bobj, obj));
}

/* Context: any thread; free() is thread-safe. */
static void bobj_free_any(struct baton_obj *obj)
{
	free(baton_container_of(obj, struct bobj, obj));
}

static struct baton_type bobj_main_type = {
	.name = "bench-main-only", .free = bobj_free,
};
static struct baton_type bobj_any_type = {
	.name = "bench-any-thread", .free = bobj_free_any,
	.flags = BATON_TYPE_FREE_ANY_THREAD,
};

static struct bobj *bobj_new(const struct baton_type *type)
{
	struct bobj *b = malloc(sizeof(*b));

	if (!b || baton_obj_init(&b->obj, type)) {
		fprintf(stderr, "bench_free: out of memory\n");
		exit(1);
	}
	b->payload[0] = 1;
	return b;
}

/*
 * The objects of one run, allocated (and initialized) before the clock
 * starts, so that the times are those of the free paths alone.
 */
static struct bobj **pool;
/* The home queue of the server main plays (none: the benchmark's own). */
static struct baton_defer_queue bench_home;

static void pool_fill(unsigned long n, const struct baton_type *type)
{
	unsigned long i;

	for (i = 0; i < n; i++)
		pool[i] = bobj_new(type);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct result {
	double secs;		/* until every object was freed */
	double queue_secs;	/* the freeing thread's own time: until the
				 * last object was handed to its free path */
	unsigned long batches;	/* drains / call_rcu calls */
	unsigned long max_batch;
};

/* 1. The last put on main: type->free at once. */
static struct result run_direct(unsigned long n)
{
	struct result r = { 0 };
	unsigned long i;
	double t0;

	pool_fill(n, &bobj_main_type);
	t0 = now_s();
	for (i = 0; i < n; i++)
		baton_obj_put(&pool[i]->obj);
	r.secs = now_s() - t0;
	r.queue_secs = r.secs;
	return r;
}

/* 2. An IO-role producer's last puts go to its queue; main drains. */
struct producer {
	unsigned long n;
	struct baton_defer_queue *q;
	pthread_barrier_t *start;
	double secs;		/* written by the producer before it exits */
};

static void *producer_thread(void *p)
{
	struct producer *a = p;
	unsigned long i;
	double t0;

	role_enter_io(NULL, 0);
	defer_attach(a->q);
	pthread_barrier_wait(a->start);
	t0 = now_s();
	for (i = 0; i < a->n; i++)
		baton_obj_put(&pool[i]->obj);
	a->secs = now_s() - t0;
	defer_attach(NULL);
	role_leave_io();
	return NULL;
}

static struct result run_deferred(unsigned long n)
{
	static struct baton_defer_queue q;
	struct producer a = { .n = n, .q = &q };
	pthread_barrier_t start;
	struct result r = { 0 };
	unsigned long freed = 0;
	pthread_t thr;
	double t0;

	assert_main();
	pool_fill(n, &bobj_main_type);
	defer_queue_init(&q, &bench_home, 0, NULL, NULL);
	pthread_barrier_init(&start, NULL, 2);
	a.start = &start;
	if (pthread_create(&thr, NULL, producer_thread, &a)) {
		perror("bench_free: pthread_create");
		exit(1);
	}
	pthread_barrier_wait(&start);
	t0 = now_s();
	/* Main polls, as its loop would when woken for every batch. */
	while (freed < n)
		freed += defer_drain(&q);
	r.secs = now_s() - t0;
	pthread_join(thr, NULL);	/* orders a.secs before our read */
	pthread_barrier_destroy(&start);
	r.queue_secs = a.secs;
	r.batches = q.batches;
	r.max_batch = q.high_water;
	return r;
}

/* 3. One call_rcu per object, then rcu_barrier. */
static void bobj_rcu_cb(struct rcu_head *head)
{
	free(baton_container_of(head, struct bobj, rcu));
}

static struct result run_call_rcu(unsigned long n)
{
	struct result r = { 0 };
	unsigned long i;
	double t0;

	pool_fill(n, &bobj_any_type);
	t0 = now_s();
	for (i = 0; i < n; i++)
		urcu_memb_call_rcu(&pool[i]->rcu, bobj_rcu_cb);
	r.queue_secs = now_s() - t0;
	urcu_memb_barrier();
	r.secs = now_s() - t0;
	r.batches = n;
	return r;
}

/* 4. Batched grace-period frees, then the barrier. */
static void bobj_free_ptr(void *p)
{
	free(p);
}

static struct result run_rcu_free(unsigned long n)
{
	struct result r = { 0 };
	unsigned long b0, b1, i;
	double t0;

	pool_fill(n, &bobj_any_type);
	rcu_free_stats(&b0, NULL);
	t0 = now_s();
	for (i = 0; i < n; i++)
		rcu_free(pool[i], bobj_free_ptr);
	rcu_free_flush();
	r.queue_secs = now_s() - t0;
	rcu_free_barrier();
	r.secs = now_s() - t0;
	rcu_free_stats(&b1, NULL);
	r.batches = b1 - b0;
	r.max_batch = BATON_RCU_FREE_BATCH;
	return r;
}

/* 5. The whole object path: RCU-marked objects, last put on main. */
static struct result run_obj_rcu(unsigned long n)
{
	struct result r = { 0 };
	unsigned long b0, b1, i;
	double t0;

	pool_fill(n, &bobj_any_type);
	for (i = 0; i < n; i++)
		baton_obj_mark_rcu(&pool[i]->obj);
	rcu_free_stats(&b0, NULL);
	t0 = now_s();
	for (i = 0; i < n; i++)
		baton_obj_put(&pool[i]->obj);
	rcu_free_flush();
	r.queue_secs = now_s() - t0;
	rcu_free_barrier();
	r.secs = now_s() - t0;
	rcu_free_stats(&b1, NULL);
	r.batches = b1 - b0;
	r.max_batch = BATON_RCU_FREE_BATCH;
	return r;
}

struct mode {
	const char *name;
	const char *what;
	struct result (*run)(unsigned long n);
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv) __no_role_analysis
{
	static const struct mode modes[] = {
		{ "direct", "last put on main, type->free at once", run_direct },
		{ "deferred", "IO producer -> defer queue -> main drain",
		  run_deferred },
		{ "call_rcu", "one call_rcu per object + barrier",
		  run_call_rcu },
		{ "rcu_free", "rcu_free batched + barrier",
		  run_rcu_free },
		{ "obj_rcu", "RCU-marked baton_obj_put + barrier",
		  run_obj_rcu },
	};
	unsigned long n = 1000000, runs = 5, i, m;
	const char *csv_path = NULL;
	FILE *csv = NULL;
	double *rates, *caller_ns;
	int opt;

	while ((opt = getopt(argc, argv, "n:r:o:h")) != -1) {
		switch (opt) {
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 'r':
			runs = strtoul(optarg, NULL, 0);
			break;
		case 'o':
			csv_path = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-n objects] [-r runs] "
				"[-o file.csv]\n", argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (!n || !runs) {
		fprintf(stderr, "bench_free: -n and -r must be > 0\n");
		return 2;
	}
	if (csv_path && !(csv = fopen(csv_path, "w"))) {
		fprintf(stderr, "bench_free: %s: %s\n", csv_path,
			strerror(errno));
		return 1;
	}
	pool = calloc(n, sizeof(*pool));
	rates = calloc(runs, sizeof(*rates));
	caller_ns = calloc(runs, sizeof(*caller_ns));
	if (!pool || !rates || !caller_ns)
		return 1;

	role_enter_main(NULL);
	defer_queue_init(&bench_home, NULL, 0, NULL, NULL);
	defer_attach(&bench_home);
	baton_rcu_register_thread();
	if (baton_type_register(&bobj_main_type) ||
	    baton_type_register(&bobj_any_type))
		return 1;
	/* Start liburcu's call_rcu thread outside the timed runs. */
	urcu_memb_barrier();

	printf("bench_free: %lu objects of %zu bytes per run, %lu runs, "
	       "medians shown; rcu_free block = %d pairs\n"
	       "  end-to-end: until every object was freed (RCU modes: "
	       "barrier included)\n"
	       "  caller: the putting thread's own time per object\n\n",
	       n, sizeof(struct bobj), runs, BATON_RCU_FREE_BATCH);
	printf("%-9s %-40s %10s %8s %8s %9s\n", "mode", "path",
	       "e2e Mobj/s", "e2e ns", "call ns", "batches");
	if (csv)
		fprintf(csv, "mode,run,objects,seconds,objects_per_s,"
			"caller_seconds,caller_ns_per_obj,batches,max_batch\n");
	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct result r = { 0 };

		for (i = 0; i < runs; i++) {
			r = modes[m].run(n);
			rates[i] = n / r.secs;
			caller_ns[i] = r.queue_secs * 1e9 / n;
			if (csv)
				fprintf(csv, "%s,%lu,%lu,%.6f,%.0f,%.6f,%.1f,"
					"%lu,%lu\n", modes[m].name, i, n,
					r.secs, rates[i], r.queue_secs,
					caller_ns[i], r.batches, r.max_batch);
		}
		qsort(rates, runs, sizeof(*rates), cmp_double);
		qsort(caller_ns, runs, sizeof(*caller_ns), cmp_double);
		printf("%-9s %-40s %10.2f %8.1f %8.1f %9lu\n", modes[m].name,
		       modes[m].what, rates[runs / 2] / 1e6,
		       1e9 / rates[runs / 2], caller_ns[runs / 2], r.batches);
		fflush(stdout);
	}
	if (csv)
		fclose(csv);
	free(rates);
	free(caller_ns);
	free(pool);
	baton_rcu_unregister_thread();
	defer_attach(NULL);
	role_leave_main();
	return 0;
}
