// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench_handoff.c - round-trip time of baton's handoff (worker -> main ->
 * worker through llist inboxes and eventfd wakes, both threads sleeping
 * in epoll_wait) against a bare eventfd ping-pong (the floor) and against
 * a mutex-protected list + eventfd (the Redis 8 IO-threads scheme).
 *
 * One round trip: the worker thread hands K tokens to the main thread
 * and sleeps; main wakes, takes them, hands them back and sleeps; the
 * worker wakes and counts them.  K = 1 is no batching; K > 1 puts K
 * tokens in flight per wake (one list operation and at most one eventfd
 * write per direction), as a worker does with the clients of one loop
 * iteration.  The modes:
 *
 *   eventfd  the floor: two threads, two blocking eventfds, write then
 *            read; no queue at all (the K tokens ride as the counter's
 *            value).
 *   baton    the real mechanism: include/baton/llist.h inboxes, struct
 *            baton_wake (lib/wake.c: wake_up), an epoll set per
 *            thread with the eventfd edge-triggered and never read (every
 *            write is a new edge), the producer waking only when its add
 *            found the inbox empty (Documentation/design.rst).
 *   mutex    Redis 8's scheme: a pthread-mutex-protected list per
 *            direction, the same eventfd wakes and epoll sets; the
 *            producer appends its batch under the lock and always writes
 *            the eventfd, as Redis triggers its notifier after each join.
 *   baton_lt baton as lib/ did it before: the eventfd level-triggered,
 *            reset with a read() before each llist_del_all: one system
 *            call more per wake, kept to show what the edge saves.
 *
 * Each point (mode, K) is measured in -r repetitions that alternate with
 * the other modes, so a change in the machine's load hits every mode
 * alike; the table shows the median repetition and the spread
 * (min..max), and latency percentiles over every round trip of the point.
 *
 * Usage: bench_handoff [-k BATCHES] [-d SECONDS] [-r REPS] [-m MODE] [-a]
 *                      [-o FILE.csv]
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
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <baton/compiler.h>
#include <baton/llist.h>
#include <baton/wake.h>
#include "../common/bench.h"

enum mode { MODE_EVENTFD, MODE_BATON, MODE_MUTEX, MODE_BATON_LT, NR_MODES };

static const char *const mode_name[NR_MODES] = {
	[MODE_EVENTFD] = "eventfd",
	[MODE_BATON] = "baton",
	[MODE_MUTEX] = "mutex",
	[MODE_BATON_LT] = "baton_lt",
};

#define MAX_BATCH	4096
#define MAX_BATCHES	32
#define MAX_REPS	101

/*
 * struct mlist - a pthread-mutex-protected FIFO, the Redis 8 way.
 * @lock: protects @head and @tail
 */
struct mlist {
	pthread_mutex_t lock;
	struct llist_node *head, *tail;
} ____cacheline_aligned;

/*
 * struct side - one thread's receiving end: where the other thread hands
 * it tokens and how it is woken.  Each on its own cache lines.
 * @wake: baton and mutex modes: its eventfd, written by the peer
 * @epfd: baton and mutex modes: the epoll set it sleeps in
 * @efd: eventfd mode: a blocking eventfd
 * @inbox: baton mode
 * @ml: mutex mode
 */
struct side {
	struct baton_wake wake ____cacheline_aligned;
	int epfd;
	int efd;
	struct llist_head inbox ____cacheline_aligned;
	struct mlist ml;
};

/*
 * struct run - one repetition of one point.  Written by the creating
 * thread before the threads start (IMMUTABLE to them), except the
 * results, which the worker writes and the creator reads after the join.
 */
struct run {
	enum mode mode;
	unsigned int batch;
	uint64_t end_ns;
	struct side worker, main;
	struct llist_node *tokens;
	struct llist_node stop_token;
	_Atomic bool stop;		/* eventfd mode: worker -> main */
	int cpu_worker, cpu_main;
	struct bench_lat *lat;
	/* results */
	unsigned long round_trips;
	uint64_t ns;
	int err;
};

/* Chain @n tokens in order; returns the first, *last the last. */
static struct llist_node *chain(struct llist_node *t, unsigned int n,
				struct llist_node **last)
{
	unsigned int i;

	for (i = 0; i + 1 < n; i++)
		t[i].next = &t[i + 1];
	t[n - 1].next = NULL;
	*last = &t[n - 1];
	return &t[0];
}

/*
 * Sleep in @s's epoll set until its eventfd is readable, then reset it
 * (baton: nothing to reset, the next write is a new edge).
 */
static int side_sleep(const struct run *r, struct side *s)
{
	struct epoll_event ev;
	int n;

	do {
		n = epoll_wait(s->epfd, &ev, 1, -1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* Reset before taking the list: a wake sent after this stays. */
	if (r->mode != MODE_BATON) {
		uint64_t v;

		while (read(s->wake.fd, &v, sizeof(v)) < 0 && errno == EINTR)
			;
	}
	return 0;
}

/* Append a chain to @ml; Context: any thread. */
static void mlist_add(struct mlist *ml, struct llist_node *first,
		      struct llist_node *last)
{
	pthread_mutex_lock(&ml->lock);
	if (ml->tail)
		ml->tail->next = first;
	else
		ml->head = first;
	ml->tail = last;
	pthread_mutex_unlock(&ml->lock);
}

/* Take everything off @ml, oldest first. */
static struct llist_node *mlist_take(struct mlist *ml)
{
	struct llist_node *first;

	pthread_mutex_lock(&ml->lock);
	first = ml->head;
	ml->head = ml->tail = NULL;
	pthread_mutex_unlock(&ml->lock);
	return first;
}

/* Hand a chain to @to in @mode's way. */
static void hand(const struct run *r, struct side *to,
		 struct llist_node *first, struct llist_node *last)
{
	if (r->mode == MODE_BATON || r->mode == MODE_BATON_LT) {
		/* Release of the tokens; wake only on empty -> non-empty. */
		if (llist_add_batch(first, last, &to->inbox))
			wake_up(&to->wake);
	} else {
		mlist_add(&to->ml, first, last);
		wake_up(&to->wake);
	}
}

/* Take a side's tokens in @mode's way, oldest first; *last the last. */
static struct llist_node *take(const struct run *r, struct side *s,
			       struct llist_node **last, unsigned int *count)
{
	struct llist_node *first, *n;

	if (r->mode == MODE_BATON || r->mode == MODE_BATON_LT) {
		first = llist_del_all(&s->inbox);
		first = llist_reverse_order(first);
	} else {
		first = mlist_take(&s->ml);
	}
	*count = 0;
	*last = NULL;
	for (n = first; n; n = n->next) {
		*last = n;
		(*count)++;
	}
	return first;
}

static void *main_fn(void *arg)
{
	struct run *r = arg;
	struct llist_node *first, *last;
	unsigned int count;
	uint64_t v;

	bench_pin_self(r->cpu_main);
	if (r->mode == MODE_EVENTFD) {
		for (;;) {
			if (read(r->main.efd, &v, sizeof(v)) != sizeof(v))
				return NULL;
			if (atomic_load_explicit(&r->stop, memory_order_relaxed))
				return NULL;
			if (write(r->worker.efd, &v, sizeof(v)) != sizeof(v))
				return NULL;
		}
	}
	for (;;) {
		if (side_sleep(r, &r->main))
			return NULL;
		first = take(r, &r->main, &last, &count);
		if (!first)
			continue;	/* a wake whose tokens an earlier take got */
		if (first == &r->stop_token)
			return NULL;
		hand(r, &r->worker, first, last);
	}
}

static void *worker_fn(void *arg)
{
	struct run *r = arg;
	struct llist_node *first, *last;
	unsigned long rts = 0;
	uint64_t t0, t1, start, v;
	unsigned int got, count;

	bench_pin_self(r->cpu_worker);
	start = t1 = bench_now_ns();
	/*
	 * At least one round trip, however late the thread started: on a
	 * loaded machine a short point could otherwise end with none, which
	 * says nothing about the mechanism (and was reported as an error).
	 */
	do {
		t0 = t1;
		if (r->mode == MODE_EVENTFD) {
			v = r->batch;
			if (write(r->main.efd, &v, sizeof(v)) != sizeof(v) ||
			    read(r->worker.efd, &v, sizeof(v)) != sizeof(v) ||
			    v != r->batch) {
				r->err = -EIO;
				break;
			}
		} else {
			first = chain(r->tokens, r->batch, &last);
			hand(r, &r->main, first, last);
			for (got = 0; got < r->batch; got += count) {
				if (side_sleep(r, &r->worker)) {
					r->err = -EIO;
					goto out;
				}
				take(r, &r->worker, &last, &count);
			}
			if (got != r->batch) {
				r->err = -EIO;
				break;
			}
		}
		t1 = bench_now_ns();
		bench_lat_add(r->lat, t1 - t0);
		rts++;
	} while (t1 < r->end_ns);
out:
	r->ns = t1 - start;
	r->round_trips = rts;
	/* Tell main to exit. */
	if (r->mode == MODE_EVENTFD) {
		atomic_store_explicit(&r->stop, true, memory_order_relaxed);
		v = 1;
		if (write(r->main.efd, &v, sizeof(v)) != sizeof(v))
			r->err = -EIO;
	} else {
		r->stop_token.next = NULL;
		hand(r, &r->main, &r->stop_token, &r->stop_token);
	}
	return NULL;
}

static int side_init(struct side *s, enum mode mode)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int err;

	s->epfd = s->efd = -1;
	s->wake.fd = -1;
	init_llist_head(&s->inbox);
	pthread_mutex_init(&s->ml.lock, NULL);
	s->ml.head = s->ml.tail = NULL;
	if (mode == MODE_EVENTFD) {
		s->efd = eventfd(0, EFD_CLOEXEC);	/* blocking */
		return s->efd < 0 ? -errno : 0;
	}
	err = wake_init(&s->wake);
	if (err)
		return err;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0)
		return -errno;
	ev.data.ptr = &s->wake.src;
	if (mode == MODE_BATON)
		ev.events |= EPOLLET;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->wake.fd, &ev) < 0)
		return -errno;
	return 0;
}

static void side_destroy(struct side *s)
{
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->efd >= 0)
		close(s->efd);
	wake_destroy(&s->wake);
	pthread_mutex_destroy(&s->ml.lock);
}

/*
 * run_once - one repetition
 * @r: mode, batch, lat and cpus set; the rest is filled in
 * @secs: its length
 * Return: 0 or -errno.
 */
static int run_once(struct run *r, double secs)
{
	pthread_t tw, tm;
	int err;

	r->round_trips = 0;
	r->err = 0;
	atomic_init(&r->stop, false);
	err = side_init(&r->worker, r->mode);
	if (!err)
		err = side_init(&r->main, r->mode);
	if (err)
		goto out_destroy;
	r->end_ns = bench_now_ns() + (uint64_t)(secs * 1e9);
	err = -pthread_create(&tm, NULL, main_fn, r);
	if (err)
		goto out_destroy;
	err = -pthread_create(&tw, NULL, worker_fn, r);
	if (err) {
		fprintf(stderr, "bench_handoff: pthread_create failed\n");
		exit(1);	/* main sleeps forever: nothing to undo */
	}
	pthread_join(tw, NULL);
	pthread_join(tm, NULL);
	err = r->err;
out_destroy:
	side_destroy(&r->worker);
	side_destroy(&r->main);
	return err;
}

/* One point's results. */
struct result {
	enum mode mode;
	unsigned int batch;
	int reps;
	unsigned long round_trips;
	struct bench_spread ns_rt;	/* ns per round trip, over the reps */
	double p50, p90, p99, p999;	/* ns, every round trip of the point */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_handoff [-k BATCHES] [-d SECONDS] [-r REPS] [-m MODE] [-a] [-o FILE]\n"
		"  -k L   tokens in flight per wake, a list such as 1,16 or 1-4\n"
		"         (default 1,16); 1 = no batching\n"
		"  -d S   seconds per point and mode (default 1)\n"
		"  -r N   repetitions per point, alternating the modes (default 5)\n"
		"  -m M   one mode: eventfd (the floor), baton, mutex, baton_lt\n"
		"         (level-triggered with a read per wake: lib/ before); default all\n"
		"  -a     pin the worker to CPU 0 and main to CPU 1\n"
		"  -o F   also write the CSV to F\n"
		"Prints a table, then the same results as CSV.\n");
}

int main(int argc, char **argv)
{
	unsigned int batches[MAX_BATCHES], modes = (1u << NR_MODES) - 1;
	int nr_batches = 2, reps = 5, opt, b, k, i, nr_res = 0;
	const char *csv_path = NULL;
	struct result *res, *floor_res = NULL;
	struct run *r;
	bool pin = false;
	double secs = 1.0;
	FILE *csv;

	batches[0] = 1;
	batches[1] = 16;
	while ((opt = getopt(argc, argv, "k:d:r:m:ao:h")) != -1) {
		switch (opt) {
		case 'k':
			nr_batches = bench_parse_list(optarg, batches,
						      MAX_BATCHES);
			if (nr_batches < 0)
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
		case 'm':
			modes = bench_pick(optarg, mode_name, NR_MODES);
			if (!modes)
				goto bad_usage;
			break;
		case 'a':
			pin = true;
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
	for (b = 0; b < nr_batches; b++)
		if (!batches[b] || batches[b] > MAX_BATCH)
			goto bad_usage;

	csv = bench_csv_open("bench_handoff", csv_path);
	res = calloc((size_t)nr_batches * NR_MODES, sizeof(*res));
	r = aligned_alloc(BATON_CACHELINE, sizeof(*r));
	if (!res || !r)
		return 1;
	memset(r, 0, sizeof(*r));
	r->tokens = calloc(MAX_BATCH, sizeof(*r->tokens));
	if (!r->tokens)
		return 1;
	r->cpu_worker = pin ? 0 : -1;
	r->cpu_main = pin ? 1 : -1;

	printf("# handoff round trip worker -> main -> worker: %.2f s per "
	       "point and mode in %d repetitions, %d CPUs, threads %s\n",
	       secs, reps, bench_nr_cpus(), pin ? "pinned (-a)" : "not pinned");
	printf("%-8s %5s %4s %10s %9s %9s %9s %9s %8s %8s %8s %8s %7s\n",
	       "mode", "batch", "reps", "rts", "ns/rt", "min", "max",
	       "ns/item", "p50", "p90", "p99", "p99.9", "x_floor");
	for (b = 0; b < nr_batches; b++) {
		struct result *pr = &res[nr_res];
		double rates[NR_MODES][MAX_REPS];
		/* Latencies are kept per mode across the alternation. */
		struct bench_lat lats[NR_MODES];

		for (k = 0; k < NR_MODES; k++) {
			pr[k].mode = k;
			pr[k].batch = batches[b];
			if ((modes & (1u << k)) &&
			    bench_lat_init(&lats[k], 1u << 18))
				return 1;
		}
		for (i = 0; i < reps; i++) {
			for (k = 0; k < NR_MODES; k++) {
				int err;

				if (!(modes & (1u << k)))
					continue;
				r->mode = k;
				r->batch = batches[b];
				r->lat = &lats[k];
				err = run_once(r, secs / reps);
				if (err || !r->round_trips) {
					fprintf(stderr, "bench_handoff: %s "
						"batch %u: %s\n", mode_name[k],
						batches[b], strerror(err ? -err
								     : EIO));
					return 1;
				}
				rates[k][i] = (double)r->ns / r->round_trips;
				pr[k].round_trips += r->round_trips;
				pr[k].reps++;
			}
		}
		for (k = 0; k < NR_MODES; k++) {
			if (!(modes & (1u << k)))
				continue;
			pr[k].ns_rt = bench_spread_of(rates[k], reps);
			pr[k].p50 = bench_lat_pct(&lats[k], 50);
			pr[k].p90 = bench_lat_pct(&lats[k], 90);
			pr[k].p99 = bench_lat_pct(&lats[k], 99);
			pr[k].p999 = bench_lat_pct(&lats[k], 99.9);
			bench_lat_free(&lats[k]);
		}
		floor_res = (modes & 1u << MODE_EVENTFD) ? &pr[MODE_EVENTFD] : NULL;
		for (k = 0; k < NR_MODES; k++) {
			const struct result *x = &pr[k];

			if (!(modes & (1u << k)))
				continue;
			printf("%-8s %5u %4d %10lu %9.0f %9.0f %9.0f %9.1f "
			       "%8.0f %8.0f %8.0f %8.0f %7.2f\n",
			       mode_name[k], x->batch, x->reps, x->round_trips,
			       x->ns_rt.median, x->ns_rt.min, x->ns_rt.max,
			       x->ns_rt.median / x->batch, x->p50, x->p90,
			       x->p99, x->p999, floor_res ?
			       x->ns_rt.median / floor_res->ns_rt.median : 0);
		}
		fflush(stdout);
		nr_res += NR_MODES;
	}

	printf("\n");
	bench_csv(csv, "mode,batch,reps,round_trips,ns_per_rt,"
		  "min_ns_per_rt,max_ns_per_rt,ns_per_item,p50_ns,p90_ns,"
		  "p99_ns,p999_ns,x_floor,x_floor_p50\n");
	for (i = 0; i < nr_res; i++) {
		const struct result *x = &res[i];
		const struct result *fl = &res[i - i % NR_MODES + MODE_EVENTFD];

		if (!x->reps)
			continue;
		bench_csv(csv, "%s,%u,%d,%lu,%.1f,%.1f,%.1f,%.2f,%.0f,%.0f,"
			  "%.0f,%.0f,%.3f,%.3f\n", mode_name[x->mode], x->batch,
			  x->reps, x->round_trips, x->ns_rt.median,
			  x->ns_rt.min, x->ns_rt.max, x->ns_rt.median / x->batch,
			  x->p50, x->p90, x->p99, x->p999, fl->reps ?
			  x->ns_rt.median / fl->ns_rt.median : 0,
			  fl->reps && fl->p50 ? x->p50 / fl->p50 : 0);
	}
	if (csv)
		fclose(csv);
	free(r->tokens);
	free(r);
	free(res);
	return 0;

bad_usage:
	usage(stderr);
	return 2;
}
