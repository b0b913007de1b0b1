// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * bench_llist.c - multi-producer / one-consumer throughput of baton's
 * llist (C11 atomics) against liburcu's cds_lfs stack, liburcu's wfcqueue
 * and a pthread-mutex-protected list, 1..N producers.
 *
 * A point is P producers.  The implementations take turns running
 * rounds until each has run for the point's time: in a round each
 * producer pushes its N items one at a time (llist_add / cds_lfs_push)
 * while the consumer takes the whole queue at once (llist_del_all /
 * __cds_lfs_pop_all), puts each batch in FIFO order and reads every item,
 * until it has all P * N.  A round's time runs from the start barrier to
 * the consumer's last item.  Everyone spins, with sched_yield() when
 * there is nothing to take: this measures the queue, not a wakeup
 * mechanism.  The producer and consumer loops are the same code for
 * every implementation (specialised at compile time), so the rows of a
 * point differ only in the queue.  Documentation/llist.rst has figures.
 *
 * Two baselines that are not lock-free stacks: "mutex" is a list whose
 * push and take-all each hold a pthread mutex (what a queue without
 * atomics costs), "wfcq" is liburcu's wait-free concurrent queue
 * (cds_wfcq_enqueue(), one exchange on the tail, and
 * __cds_wfcq_splice_blocking() to take everything, already in FIFO
 * order; a consumer that finds an enqueue half done spins, then sleeps).
 *
 * Run it from a plain build: TSan cannot see liburcu's inline-assembly
 * atomics (it reports races in the cds rows) and UBSan stops on
 * cds_lfs_push()'s &head->node with a NULL head.
 *
 * Usage: bench_llist [-p MAX_PRODUCERS] [-d SECONDS] [-n ITEMS] [-i IMPL] [-a]
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <urcu/lfstack.h>
#include <urcu/wfcqueue.h>
#include <baton/compiler.h>
#include <baton/llist.h>

/*
 * Two variants of cds_lfs separate where a difference comes from:
 * IMPL_CDS_CHK is cds_lfs with the consumer testing cds_lfs_empty()
 * before __cds_lfs_pop_all(), as llist_del_all() tests llist_empty()
 * before its exchange.  IMPL_CDS_LOAD also replaces cds_lfs_push() by
 * cds_push_load_first(): liburcu's stack and uatomic_cmpxchg(), with
 * llist_add_batch()'s strategy of reading the head before the first
 * compare-and-swap.
 */
enum impl { IMPL_C11, IMPL_CDS, IMPL_CDS_CHK, IMPL_CDS_LOAD, IMPL_MUTEX,
	    IMPL_WFCQ, NR_IMPLS };

static const char *const impl_name[NR_IMPLS] = {
	[IMPL_C11] = "c11",
	[IMPL_CDS] = "cds_lfs",
	[IMPL_CDS_CHK] = "cds_chk",
	[IMPL_CDS_LOAD] = "cds_load",
	[IMPL_MUTEX] = "mutex",
	[IMPL_WFCQ] = "wfcq",
};

/*
 * struct bench_item - one item; OWNER: its producer until the push, the
 * consumer after the take.
 * @node: link on the llist under test
 * @cnode: link on the cds_lfs stack under test
 * @wnode: link on the wfcqueue under test
 * @seq: payload the producer writes and the consumer reads
 */
struct bench_item {
	union {
		struct llist_node node;
		struct cds_lfs_node cnode;
		struct cds_wfcq_node wnode;
	};
	unsigned long seq;
};

/*
 * struct producer - one producer thread, on its own cache lines.
 * @items: IMMUTABLE during a round: the N items it pushes
 * @wakes: pushes that found the queue empty (written by the producer,
 *	read after the join)
 */
struct producer {
	struct bench_item *items;
	struct round *round;
	pthread_t tid;
	unsigned long wakes;
} ____cacheline_aligned;

/*
 * struct round - one round of a point.
 * @ll, @cds, @mlock + @mhead, @wq_head + @wq_tail: the queue under test
 *	(one of them is used), each on its own cache line, away from the
 *	read-mostly fields; @mhead is protected by @mlock
 * Results are written by the consumer thread and read after the join.
 */
struct round {
	struct llist_head ll ____cacheline_aligned;
	struct __cds_lfs_stack cds ____cacheline_aligned;
	pthread_mutex_t mlock ____cacheline_aligned;
	struct llist_node *mhead;
	struct __cds_wfcq_head wq_head ____cacheline_aligned;
	struct cds_wfcq_tail wq_tail ____cacheline_aligned;
	enum impl impl ____cacheline_aligned;
	unsigned int nr_producers;
	unsigned long nr_items;		/* per producer */
	pthread_barrier_t start;
	struct producer *producers;
	unsigned long consumed, batches, empty_takes, checksum;
	double seconds;
};

/* -a: pin the consumer to CPU 0 and the producers to the other CPUs. */
static bool pin_threads;
static long nr_cpus;

/* Thread attributes placing a thread on @cpu when -a is given. */
static void thread_attr(pthread_attr_t *attr, long cpu)
{
	cpu_set_t set;

	pthread_attr_init(attr);
	if (!pin_threads || nr_cpus < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	pthread_attr_setaffinity_np(attr, sizeof(set), &set);
}

/* One point's results. */
struct result {
	enum impl impl;
	unsigned int producers;
	unsigned int rounds;
	double seconds;			/* sum of the rounds' times */
	double min_rate, median_rate, max_rate;	/* of the rounds, items/s */
	unsigned long items, batches, wakes, empty_takes;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * cds_push_load_first - cds_lfs_push() that reads the head first
 * @s: the stack
 * @node: the node to push
 *
 * cds_lfs_push() starts with a compare-and-swap that expects an empty
 * stack and retries with the head that it returns; this one starts from
 * a plain load of the head, as llist_add_batch() does.
 *
 * Context: any thread, like cds_lfs_push().
 * Return: true when the stack was empty (llist_add()'s sense).
 */
static inline bool cds_push_load_first(struct __cds_lfs_stack *s,
				       struct cds_lfs_node *node)
{
	struct cds_lfs_head *new_head = container_of(node,
					struct cds_lfs_head, node);
	struct cds_lfs_head *head = CMM_LOAD_SHARED(s->head), *old;

	do {
		old = head;
		node->next = old ? &old->node : NULL;
		/* Full barrier: orders the node's contents before publication. */
		head = uatomic_cmpxchg(&s->head, old, new_head);
	} while (head != old);
	return old == NULL;
}

/*
 * produce - push every item of @p; specialised per @impl by always_inline
 * with a constant argument, so no branch on the implementation remains.
 */
static inline __attribute__((always_inline)) void
produce(struct producer *p, const enum impl impl)
{
	struct round *r = p->round;
	unsigned long i, wakes = 0;

	for (i = 0; i < r->nr_items; i++) {
		struct bench_item *it = &p->items[i];
		bool was_empty;

		it->seq = i;
		if (impl == IMPL_C11) {
			was_empty = llist_add(&it->node, &r->ll);
		} else if (impl == IMPL_MUTEX) {
			pthread_mutex_lock(&r->mlock);
			it->node.next = r->mhead;
			was_empty = !r->mhead;
			r->mhead = &it->node;
			pthread_mutex_unlock(&r->mlock);
		} else if (impl == IMPL_WFCQ) {
			cds_wfcq_node_init(&it->wnode);
			/* cds_wfcq_enqueue() returns false when it WAS empty */
			was_empty = !cds_wfcq_enqueue(&r->wq_head, &r->wq_tail,
						      &it->wnode);
		} else if (impl == IMPL_CDS_LOAD)
			was_empty = cds_push_load_first(&r->cds, &it->cnode);
		else	/* cds_lfs_push() returns false when it WAS empty */
			was_empty = !cds_lfs_push(&r->cds, &it->cnode);
		wakes += was_empty;
	}
	p->wakes = wakes;
}

static void *producer_c11(void *arg)
{
	struct producer *p = arg;

	pthread_barrier_wait(&p->round->start);
	produce(p, IMPL_C11);
	return NULL;
}

static void *producer_cds(void *arg)
{
	struct producer *p = arg;

	pthread_barrier_wait(&p->round->start);
	produce(p, IMPL_CDS);	/* the same push for IMPL_CDS_CHK */
	return NULL;
}

static void *producer_cds_load(void *arg)
{
	struct producer *p = arg;

	pthread_barrier_wait(&p->round->start);
	produce(p, IMPL_CDS_LOAD);
	return NULL;
}

static void *producer_mutex(void *arg)
{
	struct producer *p = arg;

	pthread_barrier_wait(&p->round->start);
	produce(p, IMPL_MUTEX);
	return NULL;
}

static void *producer_wfcq(void *arg)
{
	struct producer *p = arg;

	pthread_barrier_wait(&p->round->start);
	produce(p, IMPL_WFCQ);
	return NULL;
}

/* Reverse a chain of cds_lfs nodes (newest first -> oldest first). */
static struct cds_lfs_node *cds_reverse(struct cds_lfs_node *n)
{
	struct cds_lfs_node *rev = NULL;

	while (n) {
		struct cds_lfs_node *next = n->next;

		n->next = rev;
		rev = n;
		n = next;
	}
	return rev;
}

/* consume - take batches until every item arrived; see produce(). */
static inline __attribute__((always_inline)) void
consume(struct round *r, const enum impl impl, double t0)
{
	unsigned long total = r->nr_items * r->nr_producers;
	unsigned long consumed = 0, batches = 0, empty = 0, sum = 0;

	while (consumed < total) {
		if (impl == IMPL_C11 || impl == IMPL_MUTEX) {
			struct llist_node *first;
			struct bench_item *it;

			if (impl == IMPL_C11) {
				first = llist_del_all(&r->ll);
			} else {
				pthread_mutex_lock(&r->mlock);
				first = r->mhead;
				r->mhead = NULL;
				pthread_mutex_unlock(&r->mlock);
			}

			if (!first) {
				empty++;
				sched_yield();
				continue;
			}
			first = llist_reverse_order(first);
			llist_for_each_entry(it, first, node) {
				sum += it->seq;
				consumed++;
			}
		} else if (impl == IMPL_WFCQ) {
			struct __cds_wfcq_head dh;
			struct cds_wfcq_tail dt;
			struct cds_wfcq_node *pos;

			__cds_wfcq_init(&dh, &dt);
			/* Takes everything, in FIFO order; checks empty first. */
			if (__cds_wfcq_splice_blocking(&dh, &dt, &r->wq_head,
						       &r->wq_tail) ==
			    CDS_WFCQ_RET_SRC_EMPTY) {
				empty++;
				sched_yield();
				continue;
			}
			__cds_wfcq_for_each_blocking(&dh, &dt, pos) {
				struct bench_item *it = container_of(pos,
						struct bench_item, wnode);

				sum += it->seq;
				consumed++;
			}
		} else {
			struct cds_lfs_head *head = NULL;
			struct cds_lfs_node *pos;

			if (impl == IMPL_CDS || !cds_lfs_empty(&r->cds))
				head = __cds_lfs_pop_all(&r->cds);
			if (!head) {
				empty++;
				sched_yield();
				continue;
			}
			for (pos = cds_reverse(&head->node); pos;
			     pos = pos->next) {
				struct bench_item *it = container_of(pos,
						struct bench_item, cnode);

				sum += it->seq;
				consumed++;
			}
		}
		batches++;
	}
	r->seconds = now_s() - t0;
	r->consumed = consumed;
	r->batches = batches;
	r->empty_takes = empty;
	r->checksum = sum;
}

static void *consumer_fn(void *arg)
{
	struct round *r = arg;
	double t0;

	pthread_barrier_wait(&r->start);
	t0 = now_s();
	if (r->impl == IMPL_C11)
		consume(r, IMPL_C11, t0);
	else if (r->impl == IMPL_MUTEX)
		consume(r, IMPL_MUTEX, t0);
	else if (r->impl == IMPL_WFCQ)
		consume(r, IMPL_WFCQ, t0);
	else if (r->impl == IMPL_CDS)
		consume(r, IMPL_CDS, t0);
	else	/* the same consumer for IMPL_CDS_LOAD */
		consume(r, IMPL_CDS_CHK, t0);
	return NULL;
}

/*
 * run_round - one round: @r's producers push, its consumer takes
 * @r: the round, its items allocated
 *
 * Return: 0, or -EAGAIN when a thread could not be started.
 */
static int run_round(struct round *r)
{
	pthread_attr_t attr;
	pthread_t consumer;
	unsigned int i;
	int err;

	init_llist_head(&r->ll);
	__cds_lfs_init(&r->cds);
	r->mhead = NULL;
	__cds_wfcq_init(&r->wq_head, &r->wq_tail);
	pthread_barrier_init(&r->start, NULL, r->nr_producers + 1);
	thread_attr(&attr, 0);
	err = pthread_create(&consumer, &attr, consumer_fn, r);
	pthread_attr_destroy(&attr);
	if (err)
		return -EAGAIN;
	for (i = 0; i < r->nr_producers; i++) {
		struct producer *p = &r->producers[i];

		thread_attr(&attr, 1 + i % (nr_cpus > 1 ? nr_cpus - 1 : 1));
		err = pthread_create(&p->tid, &attr,
				     r->impl == IMPL_C11 ? producer_c11 :
				     r->impl == IMPL_CDS_LOAD ? producer_cds_load :
				     r->impl == IMPL_MUTEX ? producer_mutex :
				     r->impl == IMPL_WFCQ ? producer_wfcq :
				     producer_cds, p);
		pthread_attr_destroy(&attr);
		if (err) {
			/* The consumer and the others wait on the barrier. */
			fprintf(stderr, "bench_llist: pthread_create failed\n");
			exit(1);
		}
	}
	pthread_join(consumer, NULL);
	for (i = 0; i < r->nr_producers; i++)
		pthread_join(r->producers[i].tid, NULL);
	pthread_barrier_destroy(&r->start);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Per-round rates of one implementation at one point. */
#define MAX_ROUNDS	100000

/*
 * run_point - measure the implementations in @impls with @nr producers
 * @impls: bit mask of enum impl
 * @nr: producers
 * @nr_items: items per producer per round
 * @secs: each implementation runs rounds until their times add up to
 *	this (at least one round each)
 * @res: res[impl] is filled for each implementation in @impls
 *
 * The implementations take turns round by round, so a change in the
 * machine's load during the point affects all of them alike.
 *
 * Return: 0, -ENOMEM, -EAGAIN, or -EIO when a round lost items.
 */
static int run_point(unsigned int impls, unsigned int nr,
		     unsigned long nr_items, double secs, struct result *res)
{
	unsigned long expect_sum = nr * (nr_items * (nr_items - 1) / 2);
	double *rates[NR_IMPLS] = { NULL };
	struct round *r;
	unsigned int i, k;
	bool more;
	int ret = -ENOMEM;

	if (posix_memalign((void **)&r, BATON_CACHELINE, sizeof(*r)))
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->mlock, NULL);
	r->nr_producers = nr;
	r->nr_items = nr_items;
	if (posix_memalign((void **)&r->producers, BATON_CACHELINE,
			   nr * sizeof(*r->producers)))
		goto out_free_round;
	memset(r->producers, 0, nr * sizeof(*r->producers));
	for (i = 0; i < nr; i++) {
		r->producers[i].round = r;
		r->producers[i].items = calloc(nr_items,
					       sizeof(struct bench_item));
		if (!r->producers[i].items)
			goto out_free_items;
	}
	for (k = 0; k < NR_IMPLS; k++) {
		memset(&res[k], 0, sizeof(res[k]));
		res[k].impl = k;
		res[k].producers = nr;
		if (!(impls & (1u << k)))
			continue;
		rates[k] = calloc(MAX_ROUNDS, sizeof(double));
		if (!rates[k])
			goto out_free_items;
	}

	do {
		more = false;
		for (k = 0; k < NR_IMPLS; k++) {
			struct result *rk = &res[k];

			if (!rates[k] || rk->rounds == MAX_ROUNDS ||
			    (rk->rounds && rk->seconds >= secs))
				continue;
			r->impl = k;
			ret = run_round(r);
			if (ret)
				goto out_free_items;
			if (r->consumed != nr * nr_items ||
			    r->checksum != expect_sum) {
				fprintf(stderr, "bench_llist: %s round lost "
					"items\n", impl_name[k]);
				ret = -EIO;
				goto out_free_items;
			}
			rates[k][rk->rounds++] = r->consumed / r->seconds;
			rk->seconds += r->seconds;
			rk->items += r->consumed;
			rk->batches += r->batches;
			rk->empty_takes += r->empty_takes;
			for (i = 0; i < nr; i++)
				rk->wakes += r->producers[i].wakes;
			more = true;
		}
	} while (more);

	for (k = 0; k < NR_IMPLS; k++) {
		if (!rates[k])
			continue;
		qsort(rates[k], res[k].rounds, sizeof(double), cmp_double);
		res[k].min_rate = rates[k][0];
		res[k].median_rate = rates[k][res[k].rounds / 2];
		res[k].max_rate = rates[k][res[k].rounds - 1];
	}
	ret = 0;

out_free_items:
	for (k = 0; k < NR_IMPLS; k++)
		free(rates[k]);
	for (i = 0; i < nr; i++)
		free(r->producers[i].items);
	free(r->producers);
out_free_round:
	pthread_mutex_destroy(&r->mlock);
	free(r);
	return ret;
}

static double mitems_per_s(const struct result *r)
{
	return r->seconds > 0 ? r->items / r->seconds / 1e6 : 0;
}

static double avg_batch(const struct result *r)
{
	return r->batches ? (double)r->items / r->batches : 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bench_llist [-p MAX_PRODUCERS] [-d SECONDS] [-n ITEMS] [-i IMPL] [-a]\n"
		"  -p N   run 1..N producers (default 4), always one consumer\n"
		"  -d S   seconds per point (default 1): rounds are repeated\n"
		"         until their times add up to S\n"
		"  -n N   items each producer pushes per round (default 100000)\n"
		"  -i I   one implementation, or all (default):\n"
		"         c11       baton's llist (llist_add / llist_del_all)\n"
		"         cds_lfs   liburcu (cds_lfs_push / __cds_lfs_pop_all)\n"
		"         cds_chk   cds_lfs, the consumer tests cds_lfs_empty()\n"
		"                   before popping, as llist_del_all() does\n"
		"         cds_load  cds_chk with a push that loads the head\n"
		"                   before its cmpxchg, as llist_add() does\n"
		"         mutex     a list under a pthread mutex (push and\n"
		"                   take-all each lock it)\n"
		"         wfcq      liburcu's wfcqueue (cds_wfcq_enqueue /\n"
		"                   __cds_wfcq_splice_blocking)\n"
		"  -a     pin the consumer to CPU 0, the producers round-robin\n"
		"         to CPUs 1..N-1 (default: the scheduler places them)\n"
		"Prints a table, then the same results as CSV.\n");
}

int main(int argc, char **argv)
{
	unsigned int max_p = 4, p, nr_res = 0, k;
	unsigned long nr_items = 100000;
	unsigned int impls = (1u << NR_IMPLS) - 1;
	int opt;
	double secs = 1.0;
	struct result *res;

	nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	while ((opt = getopt(argc, argv, "p:d:n:i:ah")) != -1) {
		switch (opt) {
		case 'p':
			max_p = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			secs = strtod(optarg, NULL);
			break;
		case 'n':
			nr_items = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			impls = 0;
			for (k = 0; k < NR_IMPLS; k++)
				if (!strcmp(optarg, impl_name[k]))
					impls = 1u << k;
			if (!strcmp(optarg, "all"))
				impls = (1u << NR_IMPLS) - 1;
			if (!impls)
				goto bad_usage;
			break;
		case 'a':
			pin_threads = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad_usage;
		}
	}
	if (optind != argc || !max_p || max_p > 256 || nr_items < 2 ||
	    nr_items > 100000000 || !(secs > 0) || secs > 3600)
		goto bad_usage;

	res = calloc((size_t)max_p * NR_IMPLS, sizeof(*res));
	if (!res)
		return 1;
	printf("# llist MPSC throughput: 1..%u producers, 1 consumer, "
	       "%.2f s per point, %lu items per producer per round, "
	       "%ld CPUs online, threads %s\n", max_p, secs, nr_items,
	       nr_cpus, pin_threads && nr_cpus > 1 ? "pinned (-a)" :
	       "not pinned");
	printf("%-8s %4s %6s %7s %11s %9s %8s %8s %8s %9s %9s %9s\n",
	       "impl", "prod", "rounds", "seconds", "items", "Mitems/s",
	       "min", "median", "max", "avg_batch", "wakes", "empty");
	for (p = 1; p <= max_p; p++) {
		int err = run_point(impls, p, nr_items, secs, &res[nr_res]);

		if (err) {
			fprintf(stderr, "bench_llist: %u producers: %s\n", p,
				strerror(-err));
			free(res);
			return 1;
		}
		for (k = 0; k < NR_IMPLS; k++) {
			const struct result *r = &res[nr_res + k];

			if (!(impls & (1u << k)))
				continue;
			printf("%-8s %4u %6u %7.3f %11lu %9.2f %8.2f %8.2f "
			       "%8.2f %9.1f %9lu %9lu\n", impl_name[k], p,
			       r->rounds, r->seconds, r->items,
			       mitems_per_s(r), r->min_rate / 1e6,
			       r->median_rate / 1e6, r->max_rate / 1e6,
			       avg_batch(r), r->wakes, r->empty_takes);
		}
		fflush(stdout);
		nr_res += NR_IMPLS;
	}

	printf("\nimpl,producers,rounds,seconds,items,mitems_per_s,"
	       "min_mitems_per_s,median_mitems_per_s,max_mitems_per_s,"
	       "batches,avg_batch,wakes,empty_takes\n");
	for (k = 0; k < nr_res; k++) {
		const struct result *r = &res[k];

		if (!r->rounds)
			continue;
		printf("%s,%u,%u,%.3f,%lu,%.3f,%.3f,%.3f,%.3f,%lu,%.1f,%lu,"
		       "%lu\n", impl_name[r->impl], r->producers, r->rounds,
		       r->seconds, r->items, mitems_per_s(r),
		       r->min_rate / 1e6, r->median_rate / 1e6,
		       r->max_rate / 1e6, r->batches, avg_batch(r), r->wakes,
		       r->empty_takes);
	}
	free(res);
	return 0;

bad_usage:
	usage(stderr);
	return 2;
}
