/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * stats.h - a snapshot of a server's counters.
 */
#ifndef _UAPI_BATON_STATS_H
#define _UAPI_BATON_STATS_H

#include <stddef.h>
#include <stdint.h>
#include "api.h"

#ifdef __cplusplus
extern "C" {
#endif

struct baton_server;

#define BATON_STATS_MAX_WORKERS	64

/**
 * struct baton_worker_stats - one IO worker's counters
 * @clients: clients it owns or serves now
 * @reads: read() calls that returned data
 * @bytes_in: bytes read
 * @bytes_out: bytes written
 * @to_main: clients handed to main
 * @wakes_sent: eventfd writes sent to wake this worker (by main)
 * @wakeups: times it woke up with work in its inbox
 * @active: 1 while it takes clients, 0 while parked (or never started)
 * @cpu_ns: CPU time its thread used so far (0 for main's own IO, which
 *	@main_cpu_ns counts)
 */
struct baton_worker_stats {
	uint64_t clients;
	uint64_t reads;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t to_main;
	uint64_t wakes_sent;
	uint64_t wakeups;
	unsigned int active;
	uint64_t cpu_ns;
};

/**
 * struct baton_stats - a server's counters at one moment
 * @sz: set by the caller to sizeof(struct baton_stats)
 * @clients: connected clients
 * @accepted: connections accepted since start
 * @rejected: connections refused (max clients, connect callback)
 * @requests: requests executed
 * @handoffs_to_main: clients received by main
 * @handoffs_to_io: clients handed to workers
 * @main_batches: inbox drains on main that found work
 * @max_batch: most clients in one drain
 * @active_clients: clients that sent a request in the last 10 s (main's
 *	sliding window)
 * @qbuf_limit_closes: clients closed for their query buffer
 * @obuf_limit_closes: clients closed for their output buffer: past the
 *	output-buffer limit or their own limits (baton_client_set_limits())
 * @protocol_errors: clients closed for bytes @parse rejected
 * @deferred_queued: objects sent to main by the deferred-free queues
 * @deferred_freed: of those, freed by main
 * @deferred_batches: drains that freed something
 * @deferred_high_water: most objects in one drain
 * @rcu_batches: grace-period blocks handed to call_rcu
 * @rcu_freed: objects freed after a grace period
 * @nr_workers: valid entries in @workers: the server's IO thread slots
 *	(@max_io_workers), active or parked
 * @workers: per-worker counters
 * @nr_active_workers: workers taking clients now
 * @io_mode: the fixed worker count, or BATON_IO_WORKERS_AUTO
 * @main_cpu_ns: CPU time the main thread used (while in baton_server_run())
 * @main_busy_pm: main's busy fraction over the last tick, per mille: wall
 *	time outside epoll_wait (what the auto mode decides on)
 * @wakes: eventfd writes that woke a sleeping thread, all threads together
 * @moves: clients moved from one worker to another
 * @activations: workers activated (at create, by the auto mode, or by
 *	baton_server_set_io_workers())
 * @parkings: workers parked
 * @inline_io: the counters of main's own IO (the clients main serves
 *	itself: all of them with 0 workers, none while the auto mode has
 *	workers active)
 */
struct baton_stats {
	size_t sz;
	uint64_t clients;
	uint64_t accepted;
	uint64_t rejected;
	uint64_t requests;
	uint64_t handoffs_to_main;
	uint64_t handoffs_to_io;
	uint64_t main_batches;
	uint64_t max_batch;
	uint64_t active_clients;
	uint64_t qbuf_limit_closes;
	uint64_t obuf_limit_closes;
	uint64_t protocol_errors;
	uint64_t deferred_queued;
	uint64_t deferred_freed;
	uint64_t deferred_batches;
	uint64_t deferred_high_water;
	uint64_t rcu_batches;
	uint64_t rcu_freed;
	unsigned int nr_workers;
	struct baton_worker_stats workers[BATON_STATS_MAX_WORKERS];
	unsigned int nr_active_workers;
	int io_mode;
	uint64_t main_cpu_ns;
	unsigned int main_busy_pm;
	uint64_t wakes;
	uint64_t moves;
	uint64_t activations;
	uint64_t parkings;
	struct baton_worker_stats inline_io;
};

/**
 * baton_server_stats - copy the server's counters
 * @s: the server
 * @st: where they go; set @st->sz first
 *
 * Context: main thread (each counter is written by one thread and read
 * here with a relaxed atomic load; the snapshot is not atomic as a whole).
 * Return: 0, -EINVAL when @st->sz is too small, -EPERM on another thread.
 */
BATON_API int baton_server_stats(struct baton_server *s, struct baton_stats *st)
	BATON_MAIN_ONLY;

#ifdef __cplusplus
}
#endif

#endif /* _UAPI_BATON_STATS_H */
