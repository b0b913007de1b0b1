// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stats.c - the statistics snapshot: main's counters, the workers'
 * atomic counters and the free queues, in one struct baton_stats.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <baton/rcu_free.h>
#include <baton/active_window.h>
#include <baton/defer.h>
#include <baton/server_internal.h>
#include <baton/worker.h>
#include <uapi/baton/stats.h>

static uint64_t ld(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* One worker's counters: atomics it writes, main's own view of it. */
static void worker_stats(struct baton_worker *w, struct baton_worker_stats *ws)
	__main_only
{
	ws->clients = w->nr_clients;
	ws->reads = ld(&w->st_reads);
	ws->bytes_in = ld(&w->st_bytes_in);
	ws->bytes_out = ld(&w->st_bytes_out);
	ws->to_main = ld(&w->st_to_main);
	ws->wakes_sent = atomic_load_explicit(&w->wake.writes,
					      memory_order_relaxed);
	ws->wakeups = ld(&w->st_wakeups);
	ws->active = w->active;
	ws->cpu_ns = w->started ? worker_cpu_ns(w) : 0;
}

/* The calling (main) thread's CPU time. */
static uint64_t main_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

BATON_API int baton_server_stats(struct baton_server *s, struct baton_stats *st)
{
	size_t sz;
	int i, n;

	if (!role_is_main_of(s))
		return role_misuse("baton_server_stats");
	if (!st || st->sz < offsetof(struct baton_stats, workers))
		return -EINVAL;
	sz = st->sz < sizeof(*st) ? st->sz : sizeof(*st);
	memset((char *)st + sizeof(st->sz), 0, sz - sizeof(st->sz));

	st->clients = s->nr_clients;
	st->accepted = s->st_accepted;
	st->rejected = s->st_rejected;
	st->requests = s->st_requests;
	st->handoffs_to_main = s->st_to_main;
	st->handoffs_to_io = s->st_to_io;
	st->main_batches = s->st_main_batches;
	st->max_batch = s->st_max_batch;
	st->active_clients = active_window_count(s);
	st->qbuf_limit_closes = s->st_qbuf_closes;
	/* Past the output-buffer limit with a reply, or past it or the
	 * client's own limits with output main posted. */
	st->obuf_limit_closes = s->st_obuf_closes + s->st_limit_closes;
	st->protocol_errors = s->st_proto_errors;

	n = s->max_workers + 1;
	for (i = 0; i < n; i++) {
		struct baton_defer_queue *q = &s->workers[i].defer;

		st->deferred_queued += atomic_load_explicit(&q->total_queued,
							    memory_order_relaxed);
		st->deferred_freed += q->total_freed;
		st->deferred_batches += q->batches;
		if (q->high_water > st->deferred_high_water)
			st->deferred_high_water = q->high_water;
	}
	st->deferred_queued += atomic_load_explicit(&s->defer.total_queued,
						    memory_order_relaxed);
	st->deferred_freed += s->defer.total_freed;
	st->deferred_batches += s->defer.batches;
	if (s->defer.high_water > st->deferred_high_water)
		st->deferred_high_water = s->defer.high_water;

	{
		unsigned long batches, freed;

		rcu_free_stats(&batches, &freed);
		st->rcu_batches = batches;
		st->rcu_freed = freed;
	}

	if (sz < offsetof(struct baton_stats, workers[1]))
		return 0;
	st->nr_workers = (unsigned int)(s->max_workers < BATON_STATS_MAX_WORKERS ?
					s->max_workers : BATON_STATS_MAX_WORKERS);
	for (i = 0; i < (int)st->nr_workers; i++) {
		worker_stats(&s->workers[i], &st->workers[i]);
		st->wakes += st->workers[i].wakes_sent;
	}
	if (sz < offsetof(struct baton_stats, inline_io) + sizeof(st->inline_io))
		return 0;
	st->nr_active_workers = (unsigned int)atomic_load_explicit(
		&s->nr_active, memory_order_relaxed);
	st->io_mode = s->io_mode;
	st->main_cpu_ns = main_cpu_ns();
	st->main_busy_pm = s->adapt.main_busy_pm;
	st->wakes += atomic_load_explicit(&s->wake.writes, memory_order_relaxed);
	st->moves = s->st_moves;
	st->activations = s->adapt.activations;
	st->parkings = s->adapt.parkings;
	worker_stats(s->inline_w, &st->inline_io);
	return 0;
}
