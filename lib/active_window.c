// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * active_window.c - the active-clients sliding window: how many clients
 * sent a request in the last ACTIVE_WINDOW_SECS seconds, kept by main.
 */
#include <baton/active_window.h>
#include <baton/client_internal.h>
#include <baton/clock.h>
#include <baton/server_internal.h>

/*
 * The window counts clients whose last request came in the last
 * ACTIVE_WINDOW_SECS seconds: one bucket per second, each tagged with
 * the second it counts, and each client remembers which second it was
 * counted in.  All of it is main's: the worker never updates it (seed
 * example B), it hands the client over and main touches the window.
 */
static int64_t now_sec(void)
{
	return (int64_t)(clock_now_ms() / 1000);
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
