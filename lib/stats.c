// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * stats.c - the active-clients sliding window (main-only maintenance
 * state) and the statistics snapshot.
 */
#include <errno.h>
#include <string.h>
#include <baton/rcu_free.h>
#include <baton/runtime.h>

/*
 * The window counts clients whose last request came in the last
 * ACTIVE_WINDOW_SECS seconds: one bucket per second, each tagged with
 * the second it counts, and each client remembers which second it was
 * counted in.  All of it is main's: the worker never updates it (seed
 * example B), it hands the client over and main touches the window.
 */
static int64_t now_sec(void)
{
	return (int64_t)(baton_now_ms() / 1000);
}

static bool window_holds(struct baton_server *s, int64_t sec, int64_t now)
	__main_only
{
	return sec >= 0 && sec > now - ACTIVE_WINDOW_SECS &&
	       s->win_sec[sec % ACTIVE_WINDOW_SECS] == sec;
}

/**
 * active_window_touch - @c sent a request now
 * @s: the server
 * @c: the client
 *
 * Context: main thread.
 */
void active_window_touch(struct baton_server *s, struct baton_client *c)
{
	int64_t now = now_sec();
	unsigned int slot = (unsigned int)(now % ACTIVE_WINDOW_SECS);

	if (c->active_sec == now)
		return;
	active_window_forget(s, c);
	if (s->win_sec[slot] != now) {
		s->win_sec[slot] = now;
		s->win_count[slot] = 0;
	}
	s->win_count[slot]++;
	c->active_sec = now;
}

/**
 * active_window_forget - take @c out of the window (it closes or moves)
 * @s: the server
 * @c: the client
 *
 * Context: main thread.
 */
void active_window_forget(struct baton_server *s, struct baton_client *c)
{
	int64_t sec = c->active_sec;

	if (window_holds(s, sec, now_sec()))
		s->win_count[sec % ACTIVE_WINDOW_SECS]--;
	c->active_sec = -1;
}

/**
 * active_window_count - clients active in the last ACTIVE_WINDOW_SECS
 * @s: the server
 *
 * Context: main thread.
 * Return: the count.
 */
uint64_t active_window_count(struct baton_server *s)
{
	int64_t now = now_sec();
	uint64_t sum = 0;
	int i;

	for (i = 0; i < ACTIVE_WINDOW_SECS; i++)
		if (window_holds(s, s->win_sec[i], now))
			sum += s->win_count[i];
	return sum;
}

static uint64_t ld(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

BATON_API int baton_server_stats(struct baton_server *s, struct baton_stats *st)
{
	size_t sz;
	int i, n;

	assert_main();
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
	st->obuf_limit_closes = s->st_obuf_closes;
	st->protocol_errors = s->st_proto_errors;

	n = s->nr_workers ? s->nr_workers : 1;
	for (i = 0; i < n; i++) {
		struct baton_defer_queue *q = &s->workers[i].defer;

		st->deferred_queued += atomic_load_explicit(&q->total_queued,
							    memory_order_relaxed);
		st->deferred_freed += q->total_freed;
		st->deferred_batches += q->batches;
		if (q->high_water > st->deferred_high_water)
			st->deferred_high_water = q->high_water;
	}
	st->deferred_queued += atomic_load_explicit(&baton_defer_global.total_queued,
						    memory_order_relaxed);
	st->deferred_freed += baton_defer_global.total_freed;
	st->deferred_batches += baton_defer_global.batches;
	if (baton_defer_global.high_water > st->deferred_high_water)
		st->deferred_high_water = baton_defer_global.high_water;

	{
		unsigned long batches, freed;

		baton_rcu_free_stats(&batches, &freed);
		st->rcu_batches = batches;
		st->rcu_freed = freed;
	}

	if (sz < offsetof(struct baton_stats, workers[1]))
		return 0;
	st->nr_workers = (unsigned int)(s->nr_workers < BATON_STATS_MAX_WORKERS ?
					s->nr_workers : BATON_STATS_MAX_WORKERS);
	for (i = 0; i < (int)st->nr_workers; i++) {
		struct baton_worker *w = &s->workers[i];
		struct baton_worker_stats *ws = &st->workers[i];

		ws->clients = w->nr_clients;
		ws->reads = ld(&w->st_reads);
		ws->bytes_in = ld(&w->st_bytes_in);
		ws->bytes_out = ld(&w->st_bytes_out);
		ws->to_main = ld(&w->st_to_main);
		ws->wakes_sent = atomic_load_explicit(&w->wake.writes,
						      memory_order_relaxed);
		ws->wakeups = ld(&w->st_wakeups);
	}
	return 0;
}
