// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * adapt.c - which IO workers serve clients: where a new client goes, how
 * a client moves from one worker to another, a fixed number of workers
 * or the auto mode, and changing either at run time.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <baton/adapt.h>
#include <baton/client_internal.h>
#include <baton/handoff.h>
#include <baton/logging.h>
#include <baton/probe.h>
#include <baton/server_internal.h>
#include <baton/worker.h>

/*
 * DOC: workers that come and go
 *
 * A server has max_workers IO thread slots and one inline worker, which
 * is main itself serving clients from its own epoll set.  A worker is
 * active when it takes clients; its thread is started the first time it
 * is activated and, once parked, sleeps in epoll_wait() with nothing to
 * wait for: no CPU, no spinning.
 *
 * A client moves only the way every client moves, through handoffs: main
 * asks its worker to let it go (CTL_MOVE, with a kick or with the next
 * handoff); the worker takes it out of its epoll set and its list, marks
 * itself done with it (io_gone) and hands it to main with CF_MOVED.  Main
 * then owns it and no worker holds it: it waits until no kick of the old
 * worker is still in flight (kick_queued, cleared by that worker after
 * its last look at the client), resets the client's IO fields for the new
 * worker, points the client at it and hands it over as a new client
 * (CF_NEW: the new worker adds it to its epoll set and reads).  Its query
 * buffer, parsed requests, output queue and post list travel with it, so
 * no byte is dropped and nothing is reordered.
 *
 * The auto mode (BATON_IO_WORKERS_AUTO) samples, every tick, how busy
 * main was (the wall time it spent outside epoll_wait: working, or ready
 * to work but preempted), the CPU time the active workers' threads used,
 * and how many epoll events main's wakes brought on average:
 *   - with no worker active, main does all the IO itself, as with
 *     nr_io_workers = 0, until it is busy (ADAPT_UP_BUSY) with more than
 *     one client ready per wake for ADAPT_UP_TICKS samples in a row: then
 *     the first worker is activated and main's clients move to it;
 *   - with workers, one more is activated when they are all busy
 *     (ADAPT_UP_BUSY on average) for ADAPT_UP_TICKS samples, and a share
 *     of the clients moves to it;
 *   - one is parked when the load stayed low for ADAPT_DOWN_TICKS samples
 *     (a second): the last one when main and it together use less than
 *     ADAPT_LAST_PM of a CPU, one of several when they average less than
 *     ADAPT_DOWN_PM.  Its clients move to the others, or back to main.
 * The thresholds are far apart and the decision to park takes ten times
 * longer than the one to activate, so the count does not flap.
 */

#define ADAPT_UP_BUSY		800	/* per mille of a CPU */
#define ADAPT_UP_TICKS		3
#define ADAPT_UP_PARALLEL	2	/* events per main wake, at least */
#define ADAPT_DOWN_PM		250
#define ADAPT_LAST_PM		500
#define ADAPT_DOWN_TICKS	10

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Per mille of one CPU that @cpu_ns over @wall_ns is. */
static unsigned int per_mille(uint64_t cpu_ns, uint64_t wall_ns)
{
	return wall_ns ? (unsigned int)(cpu_ns * 1000 / wall_ns) : 0;
}

static void set_nr_active(struct baton_server *s, int delta) __main_only
{
	/* Relaxed: a standalone count for baton_server_nr_io_workers(). */
	atomic_store_explicit(&s->nr_active,
			      atomic_load_explicit(&s->nr_active,
						   memory_order_relaxed) + delta,
			      memory_order_relaxed);
}

static int worker_activate(struct baton_server *s, struct baton_worker *w)
	__main_only
{
	int err;

	if (w->active)
		return 0;
	if (!w->started) {
		err = worker_start(w);
		if (err) {
			pr_warn("io worker %d: cannot start its thread: %d",
				w->index, err);
			return err;
		}
		w->started = true;
		w->cpu_ns_mark = worker_cpu_ns(w);
	}
	w->active = true;
	set_nr_active(s, 1);
	s->adapt.activations++;
	BATON_PROBE(worker_activate, w->index, w->nr_clients);
	return 0;
}

/* Ask @c's worker to let it go; it then moves where adapt_place() says. */
static void request_move(struct baton_server *s, struct baton_client *c)
	__main_only
{
	if (c->closing)
		return;
	if (c->at_main)
		/* Release: the worker's take of the client, after main's
		 * handoff, consumes it (client_take_ctl()). */
		atomic_fetch_or_explicit(&c->pending_ctl, CTL_MOVE,
					 memory_order_release);
	else
		handoff_kick(s, c, CTL_MOVE);
}

/* Move every client of @from elsewhere; at most @max of them. */
static void move_clients_of(struct baton_server *s, struct baton_worker *from,
			    unsigned int max) __main_only
{
	struct baton_client *c;

	for (c = s->all_clients; c && max; c = c->all_next) {
		if (client_worker(c) == from) {
			request_move(s, c);
			max--;
		}
	}
}

static void worker_park(struct baton_server *s, struct baton_worker *w)
	__main_only
{
	if (!w->active)
		return;
	w->active = false;
	set_nr_active(s, -1);
	s->adapt.parkings++;
	BATON_PROBE(worker_park, w->index, w->nr_clients);
	move_clients_of(s, w, UINT32_MAX);
}

/*
 * After a worker was activated: main's own clients all go to workers,
 * and a share of the busiest worker's clients go to @w.
 */
static void rebalance_to(struct baton_server *s, struct baton_worker *w)
	__main_only
{
	int active = atomic_load_explicit(&s->nr_active, memory_order_relaxed);
	struct baton_worker *busiest = NULL;
	int i;

	move_clients_of(s, s->inline_w, UINT32_MAX);
	for (i = 0; i < s->max_workers; i++) {
		struct baton_worker *x = &s->workers[i];

		if (x != w && x->active &&
		    (!busiest || x->nr_clients > busiest->nr_clients))
			busiest = x;
	}
	if (busiest && active > 1)
		move_clients_of(s, busiest, busiest->nr_clients / (unsigned)active);
}

/**
 * adapt_place - the worker a new or moving client goes to
 * @s: the server
 *
 * Context: main thread.
 * Return: the active worker with the fewest clients, or the inline worker
 * (main itself) when none is active.
 */
struct baton_worker *adapt_place(struct baton_server *s)
{
	struct baton_worker *best = NULL;
	int i;

	for (i = 0; i < s->max_workers; i++) {
		struct baton_worker *w = &s->workers[i];

		if (w->active && (!best || w->nr_clients < best->nr_clients))
			best = w;
	}
	return best ? best : s->inline_w;
}

/* Point @c, which main owns and no worker holds, at @to and hand it over. */
static void move_now(struct baton_server *s, struct baton_client *c)
	__main_only __releases_owner(c)
{
	struct baton_worker *from = client_worker(c), *to = adapt_place(s);

	from->nr_clients--;
	to->nr_clients++;
	client_reset_io_view(c);
	atomic_store_explicit(&c->worker, to, memory_order_relaxed);
	c->flags |= CF_NEW;
	s->st_moves++;
	BATON_PROBE(client_move, c->id, from->index, to->index);
	handoff_to_worker(s, c);
}

/* Whether the old worker still has a kick of @c to look at. */
static bool kick_in_flight(struct baton_client *c)
{
	/* Acquire: pairs with the worker's release store that clears it,
	 * after its last access to the client's IO fields. */
	return atomic_load_explicit(&c->kick_queued, memory_order_acquire);
}

/**
 * adapt_moved - main received a client its worker let go (CF_MOVED)
 * @s: the server
 * @c: the client, owned by main
 *
 * Context: main thread, after executing what the client brought.
 */
void adapt_moved(struct baton_server *s, struct baton_client *c)
{
	c->flags &= ~CF_MOVED;
	if (kick_in_flight(c)) {
		c->move_next = s->moving;
		s->moving = c;
		client_done(c);		/* main keeps it on the list */
		return;
	}
	move_now(s, c);
}

/**
 * adapt_retry_moves - move the clients whose old worker is done with them
 * @s: the server
 *
 * Context: main thread, each loop iteration.
 */
void adapt_retry_moves(struct baton_server *s)
{
	struct baton_client **pp = &s->moving, *c;

	while ((c = *pp)) {
		if (kick_in_flight(c)) {
			pp = &c->move_next;
			continue;
		}
		*pp = c->move_next;
		c->move_next = NULL;
		assert_client_owner(c);	/* main's since adapt_moved() */
		move_now(s, c);
	}
}

/*
 * Make the workers match a fixed count @n: the first @n active, the rest
 * parked; main keeps clients only when @n is 0.
 */
static int set_fixed(struct baton_server *s, int n) __main_only
{
	int i, err = 0;

	for (i = 0; i < s->max_workers; i++) {
		if (i < n) {
			if (!err)
				err = worker_activate(s, &s->workers[i]);
		} else {
			worker_park(s, &s->workers[i]);
		}
	}
	if (atomic_load_explicit(&s->nr_active, memory_order_relaxed))
		move_clients_of(s, s->inline_w, UINT32_MAX);
	return err;
}

/**
 * adapt_init - the mode the server starts in
 * @s: the server being created
 * @mode: a count of workers, or BATON_IO_WORKERS_AUTO
 *
 * Context: main thread, creating the server (its threads inherit the
 * creating thread's signal mask).
 * Return: 0 or -errno from starting a thread.
 */
int adapt_init(struct baton_server *s, int mode)
{
	s->io_mode = mode;
	s->adapt.mark_ns = clock_ns(CLOCK_MONOTONIC);
	return mode == BATON_IO_WORKERS_AUTO ? 0 : set_fixed(s, mode);
}

/* The auto mode's decision on one sample. */
static void adapt_decide(struct baton_server *s, unsigned int main_pm,
			 unsigned int workers_pm, unsigned int parallel)
	__main_only
{
	struct adapt_state *a = &s->adapt;
	int active = atomic_load_explicit(&s->nr_active, memory_order_relaxed);
	unsigned int avg = active ? workers_pm / (unsigned int)active : 0;
	bool up, down;
	int i;

	if (!active)
		up = main_pm >= ADAPT_UP_BUSY && parallel >= ADAPT_UP_PARALLEL;
	else
		up = avg >= ADAPT_UP_BUSY && active < s->max_workers;
	down = active == 1 ? main_pm + workers_pm < ADAPT_LAST_PM :
	       active > 1 && avg < ADAPT_DOWN_PM;
	a->up_ticks = up ? a->up_ticks + 1 : 0;
	a->down_ticks = down ? a->down_ticks + 1 : 0;

	if (a->up_ticks >= ADAPT_UP_TICKS) {
		a->up_ticks = 0;
		for (i = 0; i < s->max_workers; i++) {
			struct baton_worker *w = &s->workers[i];

			if (!w->active) {
				if (!worker_activate(s, w))
					rebalance_to(s, w);
				break;
			}
		}
	} else if (a->down_ticks >= ADAPT_DOWN_TICKS) {
		struct baton_worker *least = NULL;

		a->down_ticks = 0;
		for (i = 0; i < s->max_workers; i++) {
			struct baton_worker *w = &s->workers[i];

			if (w->active &&
			    (!least || w->nr_clients < least->nr_clients))
				least = w;
		}
		if (least)
			worker_park(s, least);
	}
}

/*
 * The CPU the active workers used since their marks, per mille of one
 * CPU over @wall_ns, and new marks for every started worker.
 */
static unsigned int sample_workers(struct baton_server *s, uint64_t wall_ns)
	__main_only
{
	unsigned int pm = 0;
	int i;

	for (i = 0; i < s->max_workers; i++) {
		struct baton_worker *w = &s->workers[i];
		uint64_t cpu;

		if (!w->started)
			continue;
		cpu = worker_cpu_ns(w);
		if (w->active)
			pm += per_mille(cpu - w->cpu_ns_mark, wall_ns);
		w->cpu_ns_mark = cpu;
	}
	return pm;
}

/**
 * adapt_tick - sample the load; in the auto mode, activate or park
 * @s: the server
 *
 * Context: main thread, from the tick.
 */
void adapt_tick(struct baton_server *s)
{
	struct adapt_state *a = &s->adapt;
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	uint64_t wall = now - a->mark_ns, iters = s->st_iters - a->iters;
	uint64_t waited = s->st_wait_ns - a->wait_ns;
	unsigned int main_pm, workers_pm, parallel;

	main_pm = waited < wall ? per_mille(wall - waited, wall) : 0;
	parallel = iters ? (unsigned int)((s->st_events - a->events) / iters) : 0;
	a->mark_ns = now;
	a->wait_ns = s->st_wait_ns;
	a->iters = s->st_iters;
	a->events = s->st_events;
	a->main_busy_pm = main_pm;
	if (s->io_mode != BATON_IO_WORKERS_AUTO)
		return;
	/* The workers' CPU clocks (a system call each) only for the
	 * decision: a fixed count needs none, so an idle tick stays cheap. */
	workers_pm = sample_workers(s, wall);
	adapt_decide(s, main_pm, workers_pm, parallel);
}

BATON_API int baton_server_set_io_workers(struct baton_server *s, int n)
{
	if (!role_is_main_of(s))
		return role_misuse("baton_server_set_io_workers");
	if (n != BATON_IO_WORKERS_AUTO && (n < 0 || n > s->max_workers))
		return -EINVAL;
	s->io_mode = n;
	s->adapt.up_ticks = s->adapt.down_ticks = 0;
	if (n != BATON_IO_WORKERS_AUTO)
		return set_fixed(s, n);
	/* A fixed count leaves the workers' marks as they were: the first
	 * sample in the auto mode must not count their CPU since then. */
	sample_workers(s, 0);
	return 0;
}

BATON_API int baton_server_io_workers_mode(struct baton_server *s)
{
	if (!role_is_main_of(s))
		return role_misuse("baton_server_io_workers_mode");
	return s->io_mode;
}
