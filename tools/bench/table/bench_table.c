// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench_table.c - client lookups by id in baton's RCU client table
 * (lib/client_table.c: liburcu's cds_lfht, read under rcu_read_lock_bt())
 * against the same keys in a pthread-rwlock-protected open hash table,
 * and against unsynchronized single-threaded lookups (the floors), with
 * 1..N reader threads while an updater thread (the main thread's role)
 * removes the oldest client and inserts a new one at a fixed rate.
 *
 * The modes:
 *
 *   rcu         the real table: client_table_find() inside
 *               rcu_read_lock_bt(); the updater calls client_table_insert()
 *               and client_table_remove() and frees removed clients with
 *               rcu_free() (batched grace periods), as main does.
 *   rwlock      an open-addressing (linear probing) table of the same
 *               clients, same hash, under a pthread_rwlock_t: readers
 *               take it shared, the updater exclusive.
 *   rwlock_lfht the real table (cds_lfht) under the same rwlock: readers
 *               take it shared around client_table_find(), the updater
 *               exclusive around its insert and remove.  Only the
 *               synchronization differs from rcu: the readers still enter
 *               a read-side section inside the lock, because cds_lfht's
 *               background resizes need one (about 1 ns, see floor).
 *   floor       one thread, the same cds_lfht table, client_table_find()
 *               with no read-side section and no updater: the cost of the
 *               lookup alone (1 reader only).
 *   floor_open  one thread, the open table, no lock, no updater: the
 *               rwlock table's own floor (1 reader only).
 *
 * Each reader looks up ids drawn at random from the live window and reads
 * the client's id (checking it).  Two figures per point: lookups per
 * second of wall time, all readers together (throughput), and CPU
 * nanoseconds per lookup (each reader's CLOCK_THREAD_CPUTIME_ID over its
 * lookups), which does not grow when more readers than CPUs share the
 * machine, nor when other processes take CPU time.  Modes alternate
 * repetition by repetition; the table shows medians and min..max.
 *
 * Usage: bench_table [-t READERS] [-d SECONDS] [-r REPS] [-n CLIENTS]
 *                    [-u UPDATES_PER_S] [-m MODE] [-o FILE.csv]
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
#include <baton/rcu_free.h>
#include <baton/rcu_read.h>
#include <baton/role.h>
#include <baton/client_internal.h>
#include <baton/client_table.h>
#include <baton/server_internal.h>
#include <uapi/baton/rcu.h>
#include "../common/bench.h"

enum mode {
	MODE_RCU, MODE_RWLOCK, MODE_RWLOCK_LFHT, MODE_FLOOR, MODE_FLOOR_OPEN,
	NR_MODES
};

static const char *const mode_name[NR_MODES] = {
	[MODE_RCU] = "rcu",
	[MODE_RWLOCK] = "rwlock",
	[MODE_RWLOCK_LFHT] = "rwlock_lfht",
	[MODE_FLOOR] = "floor",
	[MODE_FLOOR_OPEN] = "floor_open",
};

#define MAX_READERS	64
#define MAX_POINTS	32
#define MAX_REPS	101
#define LOOKUP_CHUNK	1024	/* lookups between two looks at the clock */

/* The same hash as lib/client_table.c (splitmix64's finalizer). */
static inline uint64_t id_hash(uint64_t id)
{
	id ^= id >> 30;
	id *= 0xbf58476d1ce4e5b9ULL;
	id ^= id >> 27;
	id *= 0x94d049bb133111ebULL;
	id ^= id >> 31;
	return id;
}

/*
 * struct open_table - linear-probing table of client pointers by id
 * @lock: readers shared, the updater exclusive (not taken by floor_open)
 * @slots: @mask + 1 slots, NULL = empty; deletion shifts later entries
 *	back, so no tombstones
 */
struct open_table {
	pthread_rwlock_t lock;
	struct baton_client **slots;
	size_t mask;
};

static struct baton_client *open_find(const struct open_table *t, uint64_t id)
{
	size_t i = id_hash(id) & t->mask;
	struct baton_client *c;

	while ((c = t->slots[i])) {
		if (c->id == id)
			return c;
		i = (i + 1) & t->mask;
	}
	return NULL;
}

static void open_insert(struct open_table *t, struct baton_client *c)
{
	size_t i = id_hash(c->id) & t->mask;

	while (t->slots[i])
		i = (i + 1) & t->mask;
	t->slots[i] = c;
}

/* Remove @c, then move back every later entry of its cluster that may. */
static void open_remove(struct open_table *t, struct baton_client *c)
{
	size_t i = id_hash(c->id) & t->mask, j, home;

	while (t->slots[i] != c)
		i = (i + 1) & t->mask;
	t->slots[i] = NULL;
	for (j = (i + 1) & t->mask; t->slots[j]; j = (j + 1) & t->mask) {
		home = id_hash(t->slots[j]->id) & t->mask;
		/* Moving it to i keeps it reachable from home? */
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			t->slots[j] = NULL;
			i = j;
		}
	}
}

/*
 * struct bench - the shared state of one repetition
 * @lo, @hi: ATOMIC: the live ids are [lo, hi); the updater moves them
 *	(relaxed: a reader whose id was just removed only counts a miss)
 * @stop: ATOMIC: the creator tells everyone to finish
 * @srv: the cds_lfht table lives in srv->table (client_table_init())
 */
struct bench {
	_Atomic uint64_t lo ____cacheline_aligned;
	_Atomic uint64_t hi;
	_Atomic bool stop ____cacheline_aligned;
	enum mode mode;
	struct baton_server *srv;
	struct open_table open;
	struct baton_client **ring;	/* updater only: live clients, FIFO */
	size_t ring_head;		/* updater only: the oldest */
	size_t nr_clients;
	unsigned long updates_per_s;
	unsigned long updates;		/* updater's result */
};

/* struct reader - one reader thread and its results. */
struct reader {
	struct bench *b;
	pthread_t tid;
	uint64_t seed;
	unsigned long lookups, hits, bad;
	uint64_t cpu_ns;
} ____cacheline_aligned;

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * lookup_chunk - LOOKUP_CHUNK lookups in @mode's way; specialised per
 * mode by always_inline with a constant argument.
 */
static inline __attribute__((always_inline)) void
lookup_chunk(struct reader *rd, const enum mode mode)
{
	struct bench *b = rd->b;
	uint64_t lo = atomic_load_explicit(&b->lo, memory_order_relaxed);
	uint64_t span = atomic_load_explicit(&b->hi, memory_order_relaxed) - lo;
	unsigned long hits = 0, bad = 0;
	int i;

	for (i = 0; i < LOOKUP_CHUNK; i++) {
		uint64_t id = lo + bench_rand(&rd->seed) % span;
		struct baton_client *c;

		switch (mode) {
		case MODE_RCU:
			rcu_read_lock_bt();
			c = client_table_find(b->srv, id);
			if (c) {
				hits++;
				bad += c->id != id;
			}
			rcu_read_unlock_bt();
			break;
		case MODE_RWLOCK:
			pthread_rwlock_rdlock(&b->open.lock);
			c = open_find(&b->open, id);
			if (c) {
				hits++;
				bad += c->id != id;
			}
			pthread_rwlock_unlock(&b->open.lock);
			break;
		case MODE_RWLOCK_LFHT:
			pthread_rwlock_rdlock(&b->open.lock);
			rcu_read_lock_bt();
			c = client_table_find(b->srv, id);
			if (c) {
				hits++;
				bad += c->id != id;
			}
			rcu_read_unlock_bt();
			pthread_rwlock_unlock(&b->open.lock);
			break;
		case MODE_FLOOR:
			/* No updater runs: nothing can be freed under us. */
			c = client_table_find(b->srv, id);
			if (c) {
				hits++;
				bad += c->id != id;
			}
			break;
		default:
			c = open_find(&b->open, id);
			if (c) {
				hits++;
				bad += c->id != id;
			}
			break;
		}
	}
	rd->lookups += LOOKUP_CHUNK;
	rd->hits += hits;
	rd->bad += bad;
}

static void *reader_fn(void *arg)
{
	struct reader *rd = arg;
	struct bench *b = rd->b;
	uint64_t cpu0;

	baton_rcu_register_thread();
	cpu0 = thread_cpu_ns();
	while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
		switch (b->mode) {
		case MODE_RCU:
			lookup_chunk(rd, MODE_RCU);
			break;
		case MODE_RWLOCK:
			lookup_chunk(rd, MODE_RWLOCK);
			break;
		case MODE_RWLOCK_LFHT:
			lookup_chunk(rd, MODE_RWLOCK_LFHT);
			break;
		case MODE_FLOOR:
			lookup_chunk(rd, MODE_FLOOR);
			break;
		default:
			lookup_chunk(rd, MODE_FLOOR_OPEN);
			break;
		}
	}
	rd->cpu_ns = thread_cpu_ns() - cpu0;
	baton_rcu_unregister_thread();
	return NULL;
}

static struct baton_client *client_new(uint64_t id)
{
	struct baton_client *c = calloc(1, sizeof(*c));

	if (!c) {
		fprintf(stderr, "bench_table: out of memory\n");
		exit(1);
	}
	c->id = id;
	c->fd = -1;
	return c;
}

/* Context: liburcu's call_rcu thread, after a grace period; free() is
 * thread-safe. */
static void client_free_rcu(void *p)
{
	free(p);
}

/*
 * update_one - replace the oldest client by a new one, as main does when
 * one client closes and another connects
 *
 * Both tables are updated in every mode, so the updater costs the same
 * CPU time in each; only the table the readers use is locked (rwlock) or
 * read under RCU.  The removed client goes to rcu_free() in both
 * modes (an rwlock reader never holds it past its unlock, but the
 * cds_lfht may still be walked by an RCU reader or a resize).
 *
 * Context: the updater thread (main role), registered with RCU.
 */
static void update_one(struct bench *b, size_t *head) __main_only
{
	struct baton_client *old = b->ring[*head], *c;
	uint64_t hi = atomic_load_explicit(&b->hi, memory_order_relaxed);
	bool lock = b->mode == MODE_RWLOCK || b->mode == MODE_RWLOCK_LFHT;

	c = client_new(hi);
	if (lock)
		pthread_rwlock_wrlock(&b->open.lock);
	client_table_insert(b->srv, c);
	client_table_remove(b->srv, old);
	open_insert(&b->open, c);
	open_remove(&b->open, old);
	if (lock)
		pthread_rwlock_unlock(&b->open.lock);
	rcu_free(old, client_free_rcu);
	b->ring[*head] = c;
	*head = (*head + 1) % b->nr_clients;
	/*
	 * Readers draw ids from [lo, hi): the new id is in, the old one out.
	 * A reader that loaded the old bounds just counts a miss.
	 */
	atomic_store_explicit(&b->hi, hi + 1, memory_order_relaxed);
	atomic_store_explicit(&b->lo, hi + 1 - b->nr_clients,
			      memory_order_relaxed);
}

/* The updater: updates_per_s spread over 1 ms ticks until stop. */
static void *updater_fn(void *arg)
{
	struct bench *b = arg;
	struct timespec next;
	unsigned long per_tick, done = 0, ticks = 0;

	baton_rcu_register_thread();
	role_enter_main(NULL);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load_explicit(&b->stop, memory_order_relaxed)) {
		/* Spread the remainder over the ticks of each second. */
		per_tick = b->updates_per_s / 1000 +
			   (ticks % 1000 < b->updates_per_s % 1000);
		for (; per_tick; per_tick--, done++)
			update_one(b, &b->ring_head);
		rcu_free_flush();	/* once per loop, as main does */
		ticks++;
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	b->updates = done;
	role_leave_main();
	baton_rcu_unregister_thread();
	return NULL;
}

/*
 * bench_setup - fill both tables with @n clients, ids 1..n
 * Context: the creating thread, registered with RCU, main role.
 */
static int bench_setup(struct bench *b, size_t n) __main_only
{
	size_t cap = 16, i;

	while (cap < 4 * n)
		cap *= 2;
	b->srv = calloc(1, sizeof(*b->srv));
	b->ring = calloc(n, sizeof(*b->ring));
	b->open.slots = calloc(cap, sizeof(*b->open.slots));
	if (!b->srv || !b->ring || !b->open.slots || client_table_init(b->srv))
		return -ENOMEM;
	b->open.mask = cap - 1;
	pthread_rwlock_init(&b->open.lock, NULL);
	b->nr_clients = n;
	for (i = 0; i < n; i++) {
		b->ring[i] = client_new(i + 1);
		if (client_table_insert(b->srv, b->ring[i]))
			return -EEXIST;
		open_insert(&b->open, b->ring[i]);
	}
	atomic_init(&b->lo, 1);
	atomic_init(&b->hi, n + 1);
	return 0;
}

/* Context: the creating thread, after every other thread was joined. */
static void bench_teardown(struct bench *b) __main_only
{
	size_t i;

	for (i = 0; i < b->nr_clients; i++)
		client_table_remove(b->srv, b->ring[i]);
	rcu_free_barrier();	/* the updater's frees have run */
	urcu_memb_synchronize_rcu();
	for (i = 0; i < b->nr_clients; i++)
		free(b->ring[i]);
	client_table_destroy(b->srv);
	free(b->srv);
	free(b->ring);
	free(b->open.slots);
	pthread_rwlock_destroy(&b->open.lock);
}

/* One point's results for one mode. */
struct result {
	enum mode mode;
	unsigned int readers;
	int reps;
	unsigned long lookups, hits, updates;
	struct bench_spread mlps;	/* Mlookups/s, all readers, wall */
	struct bench_spread cpu_ns;	/* CPU ns per lookup */
};

/*
 * run_once - one repetition of @mode with @nr readers for @secs
 * Return: 0 or -errno.
 */
static int run_once(struct bench *b, enum mode mode, unsigned int nr,
		    double secs, struct reader *rd, double *mlps,
		    double *cpu_ns, struct result *res) __main_only
{
	bool updater = mode != MODE_FLOOR && mode != MODE_FLOOR_OPEN;
	uint64_t t0, cpu = 0, lookups = 0;
	struct timespec ts;
	pthread_t tu;
	unsigned int i;
	int err;

	b->mode = mode;
	b->updates = 0;
	atomic_store(&b->stop, false);
	for (i = 0; i < nr; i++) {
		memset(&rd[i], 0, sizeof(rd[i]));
		rd[i].b = b;
		rd[i].seed = 0x9e3779b97f4a7c15ull * (i + 1) + bench_now_ns();
	}
	/* The updater runs on its own thread (main role) so that this
	 * thread can keep the main role for setup and teardown. */
	role_leave_main();
	if (updater && (err = -pthread_create(&tu, NULL, updater_fn, b)))
		goto out;
	t0 = bench_now_ns();
	for (i = 0; i < nr; i++) {
		err = -pthread_create(&rd[i].tid, NULL, reader_fn, &rd[i]);
		if (err) {
			fprintf(stderr, "bench_table: pthread_create failed\n");
			exit(1);
		}
	}
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
	atomic_store(&b->stop, true);
	for (i = 0; i < nr; i++)
		pthread_join(rd[i].tid, NULL);
	t0 = bench_now_ns() - t0;
	if (updater)
		pthread_join(tu, NULL);
	for (i = 0; i < nr; i++) {
		lookups += rd[i].lookups;
		cpu += rd[i].cpu_ns;
		res->hits += rd[i].hits;
		if (rd[i].bad) {
			fprintf(stderr, "bench_table: %s: a lookup returned "
				"the wrong client\n", mode_name[mode]);
			exit(1);
		}
	}
	res->lookups += lookups;
	res->updates += b->updates;
	*mlps = lookups / (t0 / 1e9) / 1e6;
	*cpu_ns = lookups ? (double)cpu / lookups : 0;
	err = 0;
out:
	role_enter_main(NULL);
	return err;
}

/* The floor a mode is compared with: the same table, no lock. */
static enum mode floor_of(enum mode m)
{
	return m == MODE_RWLOCK || m == MODE_FLOOR_OPEN ? MODE_FLOOR_OPEN
							: MODE_FLOOR;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_table [-t READERS] [-d SECONDS] [-r REPS] [-n CLIENTS] [-u UPDATES] [-m MODE] [-o FILE]\n"
		"  -t L   reader threads, a list such as 1,2,4 or 1-4 (default 1-4)\n"
		"  -d S   seconds per point and mode (default 1)\n"
		"  -r N   repetitions per point, alternating the modes (default 5)\n"
		"  -n N   clients in the table (default 1000)\n"
		"  -u N   updates per second while readers run (default 10000);\n"
		"         an update inserts one client and removes the oldest\n"
		"  -m M   one mode: rcu, rwlock, rwlock_lfht, floor, floor_open;\n"
		"         default all\n"
		"         (the floors run with 1 reader and no updater)\n"
		"  -o F   also write the CSV to F\n"
		"Prints a table, then the same results as CSV.\n");
}

/* The error exits end the process with the main role still held. */
int main(int argc, char **argv) __no_role_analysis
{
	unsigned int readers[MAX_POINTS], modes = (1u << NR_MODES) - 1;
	int nr_points = 4, reps = 5, opt, p, k, i, nr_res = 0;
	double mlps[NR_MODES][MAX_REPS], cpu[NR_MODES][MAX_REPS];
	unsigned long nr_clients = 1000, ups = 10000;
	const char *csv_path = NULL;
	struct result *res;
	struct reader *rd;
	struct bench *b;
	double secs = 1.0, floor_ns[NR_MODES] = { 0 };
	FILE *csv;

	for (i = 0; i < 4; i++)
		readers[i] = i + 1;
	while ((opt = getopt(argc, argv, "t:d:r:n:u:m:o:h")) != -1) {
		switch (opt) {
		case 't':
			nr_points = bench_parse_list(optarg, readers,
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
		case 'n':
			nr_clients = strtoul(optarg, NULL, 0);
			if (nr_clients < 2 || nr_clients > 10000000)
				goto bad_usage;
			break;
		case 'u':
			ups = strtoul(optarg, NULL, 0);
			if (ups > 10000000)
				goto bad_usage;
			break;
		case 'm':
			modes = bench_pick(optarg, mode_name, NR_MODES);
			if (!modes)
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
		if (!readers[p] || readers[p] > MAX_READERS)
			goto bad_usage;

	csv = bench_csv_open("bench_table", csv_path);
	res = calloc((size_t)(nr_points + 1) * NR_MODES, sizeof(*res));
	rd = aligned_alloc(BATON_CACHELINE, MAX_READERS * sizeof(*rd));
	b = aligned_alloc(BATON_CACHELINE, sizeof(*b));
	if (!res || !rd || !b)
		return 1;
	memset(b, 0, sizeof(*b));
	b->updates_per_s = ups;
	baton_rcu_register_thread();
	role_enter_main(NULL);
	if (bench_setup(b, nr_clients)) {
		fprintf(stderr, "bench_table: setup failed\n");
		return 1;
	}

	printf("# client lookup by id: %lu clients, %lu updates/s, %.2f s "
	       "per point and mode in %d repetitions, %d CPUs\n",
	       nr_clients, ups, secs, reps, bench_nr_cpus());
	printf("%-11s %7s %4s %12s %9s %8s %8s %10s %8s %8s %7s %6s %6s\n",
	       "mode", "readers", "reps", "lookups", "Mlookup/s", "min",
	       "max", "cpu_ns/lk", "min", "max", "x_floor", "x_rw",
	       "x_rwlf");

	/* Point 0: the floors, one reader, no updater. */
	for (p = -1; p < nr_points; p++) {
		unsigned int nr = p < 0 ? 1 : readers[p];
		struct result *pr = &res[nr_res];
		bool any = false;

		for (k = 0; k < NR_MODES; k++) {
			pr[k].mode = k;
			pr[k].readers = nr;
		}
		for (i = 0; i < reps; i++) {
			for (k = 0; k < NR_MODES; k++) {
				bool is_floor = k == MODE_FLOOR ||
						k == MODE_FLOOR_OPEN;

				if (!(modes & (1u << k)) || is_floor != (p < 0))
					continue;
				if (run_once(b, k, nr, secs / reps, rd,
					     &mlps[k][i], &cpu[k][i], &pr[k])) {
					fprintf(stderr, "bench_table: cannot "
						"start the updater\n");
					return 1;
				}
				pr[k].reps++;
				any = true;
			}
		}
		for (k = 0; k < NR_MODES; k++) {
			struct result *x = &pr[k];

			if (!x->reps)
				continue;
			x->mlps = bench_spread_of(mlps[k], reps);
			x->cpu_ns = bench_spread_of(cpu[k], reps);
			if (k == MODE_FLOOR || k == MODE_FLOOR_OPEN)
				floor_ns[k] = x->cpu_ns.median;
		}
		for (k = 0; k < NR_MODES; k++) {
			struct result *x = &pr[k];
			double fl = floor_ns[floor_of(k)];

			if (!x->reps)
				continue;
			printf("%-11s %7u %4d %12lu %9.2f %8.2f %8.2f %10.1f "
			       "%8.1f %8.1f %7.2f %6.2f %6.2f\n", mode_name[k],
			       x->readers, x->reps, x->lookups, x->mlps.median,
			       x->mlps.min, x->mlps.max, x->cpu_ns.median,
			       x->cpu_ns.min, x->cpu_ns.max,
			       fl ? x->cpu_ns.median / fl : 0,
			       k == MODE_RCU && pr[MODE_RWLOCK].reps ?
			       x->mlps.median / pr[MODE_RWLOCK].mlps.median : 0,
			       k == MODE_RCU && pr[MODE_RWLOCK_LFHT].reps ?
			       x->mlps.median /
			       pr[MODE_RWLOCK_LFHT].mlps.median : 0);
		}
		fflush(stdout);
		if (any)
			nr_res += NR_MODES;
	}

	printf("\n");
	bench_csv(csv, "mode,readers,reps,lookups,hits,updates,"
		  "mlookups_per_s,min_mlookups_per_s,max_mlookups_per_s,"
		  "cpu_ns_per_lookup,min_cpu_ns,max_cpu_ns,x_floor,"
		  "x_rwlock_throughput,x_rwlock_lfht_throughput\n");
	for (i = 0; i < nr_res; i++) {
		const struct result *x = &res[i];
		const struct result *rw = &res[i - i % NR_MODES + MODE_RWLOCK];
		const struct result *rwl =
			&res[i - i % NR_MODES + MODE_RWLOCK_LFHT];
		double fl;

		if (!x->reps)
			continue;
		fl = floor_ns[floor_of(x->mode)];
		bench_csv(csv, "%s,%u,%d,%lu,%lu,%lu,%.3f,%.3f,%.3f,%.2f,%.2f,"
			  "%.2f,%.3f,%.3f,%.3f\n", mode_name[x->mode], x->readers,
			  x->reps, x->lookups, x->hits, x->updates,
			  x->mlps.median, x->mlps.min, x->mlps.max,
			  x->cpu_ns.median, x->cpu_ns.min, x->cpu_ns.max,
			  fl ? x->cpu_ns.median / fl : 0,
			  x->mode == MODE_RCU && rw->reps ?
			  x->mlps.median / rw->mlps.median : 0,
			  x->mode == MODE_RCU && rwl->reps ?
			  x->mlps.median / rwl->mlps.median : 0);
	}
	if (csv)
		fclose(csv);
	bench_teardown(b);
	role_leave_main();
	baton_rcu_unregister_thread();
	free(b);
	free(rd);
	free(res);
	return 0;

bad_usage:
	usage(stderr);
	return 2;
}
