/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * adapt.h - how many IO workers serve clients, and which: placing new
 * clients, moving clients between workers, and the auto mode that
 * activates workers as main gets busy and parks them when it is not.
 */
#ifndef _BATON_ADAPT_H
#define _BATON_ADAPT_H

#include <stdint.h>
#include <baton/role.h>

struct baton_server;
struct baton_worker;
struct baton_client;

/**
 * struct adapt_state - what the auto mode saw at its last sample (MAIN)
 * @mark_ns: CLOCK_MONOTONIC time of the last sample
 * @wait_ns: s->st_wait_ns then
 * @iters: s->st_iters then
 * @events: s->st_events then
 * @up_ticks: samples in a row that asked for one more worker
 * @down_ticks: samples in a row that asked for one fewer
 * @main_busy_pm: main's busy fraction over the last sample, per mille:
 *	the wall time it spent outside epoll_wait (working, or ready to)
 * @activations: workers activated so far
 * @parkings: workers parked so far
 */
struct adapt_state {
	uint64_t mark_ns;
	uint64_t wait_ns;
	uint64_t iters;
	uint64_t events;
	unsigned int up_ticks;
	unsigned int down_ticks;
	unsigned int main_busy_pm;
	uint64_t activations;
	uint64_t parkings;
};

int adapt_init(struct baton_server *s, int mode) __main_only;
struct baton_worker *adapt_place(struct baton_server *s) __main_only;
void adapt_moved(struct baton_server *s, struct baton_client *c)
	__main_only __releases_owner(c);
void adapt_retry_moves(struct baton_server *s) __main_only;
void adapt_tick(struct baton_server *s) __main_only;

#endif /* _BATON_ADAPT_H */
