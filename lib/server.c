// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * server.c - a server's life: options, create, listen, run, stop and
 * destroy.  What main does while it runs is in main_loop.c.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <baton/adapt.h>
#include <baton/call.h>
#include <baton/chunk_cache.h>
#include <baton/client_table.h>
#include <baton/clock.h>
#include <baton/defer.h>
#include <baton/fault.h>
#include <baton/main_loop.h>
#include <baton/net.h>
#include <baton/rcu_free.h>
#include <baton/server_internal.h>
#include <baton/timer_internal.h>
#include <baton/worker.h>
#include <uapi/baton/rcu.h>
#include <uapi/baton/stats.h>

#define DEFAULT_MAX_CLIENTS	10000
#define DEFAULT_QBUF_LIMIT	(1024 * 1024)
#define DEFAULT_OBUF_LIMIT	(64 * 1024 * 1024)
#define DEFAULT_TICK_HZ		10
#define DEFAULT_DEFER_MARK	1024
#define MAX_IO_WORKERS		BATON_STATS_MAX_WORKERS

static int default_nr_workers(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus > 2 ? (int)(cpus - 1) : 1;
}

/* Copy a struct that carries its size: unknown tail bytes must be zero,
 * fields the caller's older struct lacks stay zero (their defaults). */
static int copy_sized(void *dst, size_t dst_sz, const void *src, size_t src_sz,
		      size_t min_sz)
{
	size_t i;

	if (src_sz < min_sz)
		return -EINVAL;
	for (i = dst_sz; i < src_sz; i++)
		if (((const char *)src)[i])
			return -EINVAL;
	memcpy(dst, src, src_sz < dst_sz ? src_sz : dst_sz);
	return 0;
}

static int __init_fn server_configure(struct baton_server *s,
				      const struct baton_server_opts *uopts)
	__main_only
{
	struct baton_server_opts o = { 0 };

	if (!uopts || copy_sized(&o, sizeof(o), uopts, uopts->sz,
				 offsetof(struct baton_server_opts, nr_io_workers)))
		return -EINVAL;
	if (!o.proto || copy_sized(&s->proto, sizeof(s->proto), o.proto,
				   o.proto->sz,
				   offsetof(struct baton_proto, free_req)))
		return -EINVAL;
	if (!s->proto.parse || !s->proto.execute)
		return -EINVAL;
	if (o.nr_io_workers < BATON_IO_WORKERS_AUTO ||
	    o.nr_io_workers > MAX_IO_WORKERS ||
	    o.max_io_workers < 0 || o.max_io_workers > MAX_IO_WORKERS)
		return -EINVAL;
	s->io_mode = o.nr_io_workers == BATON_IO_WORKERS_DEFAULT ?
		     default_nr_workers() : o.nr_io_workers;
	s->max_workers = o.max_io_workers ? o.max_io_workers :
			 default_nr_workers();
	if (s->io_mode > s->max_workers)
		s->max_workers = s->io_mode;
	s->pin_cpus = o.pin_cpus;
	s->max_clients = o.max_clients ? o.max_clients : DEFAULT_MAX_CLIENTS;
	s->qbuf_limit = o.qbuf_limit ? o.qbuf_limit : DEFAULT_QBUF_LIMIT;
	s->obuf_limit = o.obuf_limit ? o.obuf_limit : DEFAULT_OBUF_LIMIT;
	s->tick_hz = o.tick_hz ? o.tick_hz : DEFAULT_TICK_HZ;
	if (s->tick_hz > 1000)
		return -EINVAL;
	s->user = o.user;
	s->idle_timeout_ms = o.idle_timeout_ms;
	s->limit_hard = o.limit_hard;
	s->limit_soft = o.limit_soft;
	s->limit_soft_secs = o.limit_soft_secs;
	if (o.log)
		baton_log_set(o.log);
	return 0;
}

static int __init_fn server_signals(struct baton_server *s)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* Before any thread starts (ours or liburcu's), so all inherit it. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -EINVAL;
	s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sigfd < 0)
		return -errno;
	s->sig_src.kind = EVSRC_SIGNAL;
	return evsrc_epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->sigfd, &s->sig_src,
			       EPOLLIN);
}

/* Wait out baton_server_stop() and baton_server_call() calls still
 * touching the server. */
static void server_wait_callers(struct baton_server *s)
{
	while (atomic_load_explicit(&s->callers, memory_order_acquire))
		sched_yield();
}

static void server_free(struct baton_server *s) __main_only
{
	unsigned int i;
	int n = s->max_workers + 1;

	for (i = 0; i < s->nr_listeners; i++) {
		close(s->listeners[i].fd);
		if (s->listeners[i].is_unix)
			unlink(s->listeners[i].path);
	}
	if (s->workers) {
		int j;

		for (j = 0; j < n; j++) {
			defer_drain(&s->workers[j].defer);
			worker_fini(&s->workers[j]);
		}
	}
	/*
	 * Every client free and grace-period batch runs before the table
	 * goes.  RCU callbacks may queue main-only frees, and draining an
	 * RCU-marked object put by an unregistered thread starts another
	 * grace period: repeat until a drain after a barrier finds nothing.
	 */
	do
		rcu_free_barrier();
	while (defer_drain(&s->defer));
	client_table_destroy(s);
	timer_fini(s);
	chunk_cache_fini(s);
	free(s->workers);
	wake_destroy(&s->wake);
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->epfd >= 0)
		close(s->epfd);
	/* Undo create's registration, after the last grace-period free. */
	if (s->registered_main)
		baton_rcu_unregister_thread();
	defer_attach(NULL);
	free(s);
}

/* A put crossed the home queue's mark: wake main to drain early.
 * Context: any thread; an eventfd write. */
static void server_wake_main(void *arg)
{
	struct baton_server *s = arg;

	wake_up(&s->wake);
}

static void server_join_workers(struct baton_server *s) __main_only
{
	int i;

	if (s->workers_joined || !s->workers)
		return;
	s->workers_joined = true;
	for (i = 0; i < s->max_workers; i++)
		if (s->workers[i].started)
			worker_join(&s->workers[i]);
	main_close_all(s);
}

/*
 * The calling thread becomes @s's main thread here and stays it until
 * baton_server_destroy() (the role is left held on success, so the
 * analysis is off).  A thread is the main thread of one server at a
 * time; an IO worker or the RCU callback thread is never one.
 */
BATON_API int __init_fn baton_server_create(const struct baton_server_opts *opts,
					    struct baton_server **out)
	__no_role_analysis
{
	struct baton_server *s;
	size_t defer_mark;
	int i, n, err;

	if (!out)
		return -EINVAL;
	if (role_current() == BATON_ROLE_MAIN)
		return -EBUSY;
	if (role_current() != BATON_ROLE_FOREIGN)
		return role_misuse("baton_server_create");
	s = bt_calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	role_enter_main(s);
	/* The main thread is an RCU reader (and may call call_rcu); the
	 * application may have registered it already. */
	if (!rcu_thread_registered) {
		baton_rcu_register_thread();
		s->registered_main = true;
	}
	s->epfd = s->sigfd = s->wake.fd = -1;
	init_llist_head(&s->inbox);
	init_llist_head(&s->calls);
	init_llist_head(&s->chunk_returns);
	atomic_init(&s->stop, false);
	atomic_init(&s->callers, 0);
	atomic_init(&s->nr_active, 0);
	err = server_configure(s, opts);
	if (err)
		goto out_free;
	defer_mark = opts->sz > offsetof(struct baton_server_opts, defer_high_mark) &&
		     opts->defer_high_mark ? opts->defer_high_mark : DEFAULT_DEFER_MARK;
	/* This thread's objects are the server's from here on. */
	defer_queue_init(&s->defer, NULL, defer_mark, server_wake_main, s);
	defer_attach(&s->defer);

	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		err = -errno;
		goto out_free;
	}
	err = wake_init(&s->wake);
	if (!err)
		err = wake_epoll_add(&s->wake, s->epfd);
	if (!err && opts->sz > offsetof(struct baton_server_opts, stop_signals) &&
	    opts->stop_signals)
		err = server_signals(s);
	if (!err)
		err = client_table_init(s);
	if (err)
		goto out_free;

	n = s->max_workers + 1;
	err = -ENOMEM;
	s->workers = bt_calloc((size_t)n, sizeof(*s->workers));
	if (!s->workers)
		goto out_free;
	s->inline_w = &s->workers[s->max_workers];
	for (i = 0; i < n; i++) {
		err = worker_init(s, &s->workers[i], i, i == s->max_workers,
				  s->pin_cpus, defer_mark);
		if (err)
			goto out_free;
	}
	err = adapt_init(s, s->io_mode);
	if (err)
		goto out_free;
	*out = s;
	return 0;

out_free:
	server_join_workers(s);
	server_free(s);
	role_leave_main();
	return err;
}

static int server_add_listener(struct baton_server *s, int fd, const char *path)
	__main_only __init_fn
{
	struct baton_listener *l;
	int err;

	if (s->nr_listeners == BATON_MAX_LISTENERS) {
		close(fd);
		return -ENOSPC;
	}
	l = &s->listeners[s->nr_listeners];
	l->src.kind = EVSRC_LISTENER;
	l->fd = fd;
	l->is_unix = path != NULL;
	if (path)
		snprintf(l->path, sizeof(l->path), "%s", path);
	err = evsrc_epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &l->src, EPOLLIN);
	if (err) {
		close(fd);
		return err;
	}
	s->nr_listeners++;
	return 0;
}

BATON_API int baton_server_listen_tcp(struct baton_server *s, const char *addr,
				      unsigned short port,
				      unsigned short *bound_port)
{
	int fd;

	if (!role_is_main_of(s))
		return role_misuse("baton_server_listen_tcp");
	fd = net_listen_tcp(addr, port, bound_port);
	return fd < 0 ? fd : server_add_listener(s, fd, NULL);
}

BATON_API int baton_server_listen_unix(struct baton_server *s, const char *path)
{
	int fd;

	if (!role_is_main_of(s))
		return role_misuse("baton_server_listen_unix");
	if (!path || !*path)
		return -EINVAL;
	fd = net_listen_unix(path);
	return fd < 0 ? fd : server_add_listener(s, fd, path);
}

BATON_API int baton_server_run(struct baton_server *s)
{
	int err;

	if (!role_is_main_of(s))
		return role_misuse("baton_server_run");
	if (s->ran)
		return -EALREADY;
	s->ran = true;
	err = main_loop_run(s);
	server_join_workers(s);
	main_drain_deferred(s);
	rcu_free_flush();
	return err;
}

BATON_API void baton_server_stop(struct baton_server *s)
{
	/*
	 * The run loop may see stop at any wakeup and the application may
	 * then destroy the server while this thread is still inside
	 * wake_up(): destroy waits for callers to drop to zero, so
	 * the eventfd and the struct outlive every stop in flight.
	 */
	atomic_fetch_add_explicit(&s->callers, 1, memory_order_relaxed);
	/* Release: pairs with the run loop's acquire load. */
	atomic_store_explicit(&s->stop, true, memory_order_release);
	wake_up(&s->wake);
	/* Release: pairs with the acquire load in server_wait_callers(). */
	atomic_fetch_sub_explicit(&s->callers, 1, memory_order_release);
}

/* Unbinds the main thread (the analysis is off: the role was held since
 * create, which the analysis cannot follow). */
BATON_API void baton_server_destroy(struct baton_server *s) __no_role_analysis
{
	if (!s)
		return;
	if (!role_is_main_of(s)) {
		role_misuse("baton_server_destroy");
		return;
	}
	server_join_workers(s);
	server_wait_callers(s);
	/* Calls queued before destroy run, with every client gone. */
	while (call_run(s))
		;
	server_free(s);
	role_leave_main();
}

BATON_API void *baton_server_user(const struct baton_server *s)
{
	return s->user;
}

BATON_API int baton_server_nr_io_workers(const struct baton_server *s)
{
	/* Relaxed: a standalone count that main stores. */
	return atomic_load_explicit(&((struct baton_server *)s)->nr_active,
				    memory_order_relaxed);
}
