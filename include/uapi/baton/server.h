/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * server.h - create a baton server, give it a protocol, listen, run its
 * main loop on the calling thread, stop it and destroy it.
 */
#ifndef _UAPI_BATON_SERVER_H
#define _UAPI_BATON_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "api.h"
#include "log.h"

#ifdef __cplusplus
extern "C" {
#endif

struct baton_server;
struct baton_client;

/**
 * struct baton_proto - the application's protocol, as callbacks
 * @sz: sizeof(struct baton_proto), so the table can grow
 * @parse: turn the bytes at @buf into one complete request.  Return the
 *	number of bytes the request used (> 0) and set *@req; return 0 when
 *	more bytes are needed; return a negative errno (-EPROTO) for bytes
 *	that can never be a request, after baton_client_set_error() set the
 *	text to send: the requests before it are executed and answered, then
 *	the error is sent and the client closed.
 *	Context: the IO worker that owns @c (or main playing the IO role
 *	when there are no IO workers).  Must not touch main-owned state
 *	(baton_client_data() included); may call baton_client_id(),
 *	baton_client_peer() and baton_client_set_error().
 * @execute: run one request and write its reply with baton_client_write()
 *	or baton_client_write_ref().  @req is the callback's to free, unless
 *	the protocol has @release_req.  Context: main thread; @c is owned by
 *	main.
 * @free_req: free a request that will not be executed (its client closed
 *	first).  Context: main thread.  May be NULL when @req needs no free.
 * @connect: a client was accepted; return 0 to keep it or a negative errno
 *	to close it at once.  May be NULL.  Context: main thread.
 * @close: the client is closing; free what the application attached with
 *	baton_client_set_data().  May be NULL.  Context: main thread.
 * @tick: called tick_hz times a second for maintenance (expiry sweeps).
 *	May be NULL.  Context: main thread.
 * @busy_msg: bytes sent (best effort) to a connection refused because the
 *	server has max_clients clients, before it is closed.  May be NULL.
 * @idle: the client sent nothing for its idle timeout
 *	(baton_client_set_idle_timeout()); write a goodbye if the protocol
 *	has one, and close it (baton_client_close()).  May be NULL: the
 *	client is then closed.  Context: main thread.
 * @release_req: free a request @execute ran, on the thread that parsed it:
 *	allocators such as glibc's are fastest when memory goes back to the
 *	thread that allocated it, and main then frees nothing of the
 *	requests.  With it, @execute leaves @req alone and baton calls this
 *	once per executed request when the client's IO worker takes the
 *	client back (or when the client closes).  Context: the IO worker that
 *	owns @c (main when it serves @c itself), or main when @c closes:
 *	must be thread-safe and touch no main-owned state.  May be NULL:
 *	@execute frees.
 */
struct baton_proto {
	size_t sz;						/* __rule(IMMUTABLE) */
	ssize_t (*parse)(struct baton_client *c, const char *buf, size_t len,
			 void **req);				/* __rule(IMMUTABLE) */
	void (*execute)(struct baton_client *c, void *req);	/* __rule(IMMUTABLE) */
	void (*free_req)(struct baton_client *c, void *req);	/* __rule(IMMUTABLE) */
	int (*connect)(struct baton_client *c);			/* __rule(IMMUTABLE) */
	void (*close)(struct baton_client *c);			/* __rule(IMMUTABLE) */
	void (*tick)(struct baton_server *s);			/* __rule(IMMUTABLE) */
	const char *busy_msg;					/* __rule(IMMUTABLE) */
	void (*idle)(struct baton_client *c);			/* __rule(IMMUTABLE) */
	void (*release_req)(struct baton_client *c, void *req);	/* __rule(IMMUTABLE) */
} /* __shared_struct */;

/**
 * struct baton_server_opts - how to build a server
 * @sz: sizeof(struct baton_server_opts), so the struct can grow
 * @proto: the protocol (required); must outlive the server
 * @nr_io_workers: IO worker threads serving clients: a count (0 means
 *	main does the IO itself), BATON_IO_WORKERS_DEFAULT (-1) for online
 *	CPUs - 1, at least 1, or BATON_IO_WORKERS_AUTO (-2): main does the IO
 *	while it is lightly loaded and activates workers as it gets busy,
 *	parking them when the load falls (baton_server_set_io_workers())
 * @pin_cpus: pin worker i to CPU (i + 1) % online CPUs
 * @max_clients: connections above this are refused; 0 = 10000
 * @qbuf_limit: bytes a client may have buffered unparsed; 0 = 1 MiB
 * @obuf_limit: reply bytes a client may have unsent; 0 = 64 MiB
 * @tick_hz: how often @proto->tick runs; 0 = 10
 * @defer_high_mark: deferred-free queue length at which a worker wakes
 *	main to drain early; 0 = 1024
 * @stop_signals: block SIGINT and SIGTERM in every thread and stop the
 *	run loop when one arrives (through a signalfd)
 * @log: where to send messages; NULL keeps the process-wide setting
 * @user: the application's pointer, returned by baton_server_user()
 * @idle_timeout_ms: close clients that sent nothing for this long; 0 =
 *	never (baton_server_set_idle_timeout() changes it)
 * @limit_hard: every client's hard output limit, 0 = none
 *	(baton_client_set_limits())
 * @limit_soft: every client's soft output limit, 0 = none
 * @limit_soft_secs: how long a client may stay above @limit_soft
 * @max_io_workers: the most IO workers the server may ever run (threads
 *	start when first needed); 0 = online CPUs - 1, at least 1, and at
 *	least @nr_io_workers
 */
struct baton_server_opts {
	size_t sz;
	const struct baton_proto *proto;
	int nr_io_workers;
	bool pin_cpus;
	unsigned int max_clients;
	size_t qbuf_limit;
	size_t obuf_limit;
	unsigned int tick_hz;
	size_t defer_high_mark;
	bool stop_signals;
	const struct baton_log_ops *log;
	void *user;
	uint64_t idle_timeout_ms;
	size_t limit_hard;
	size_t limit_soft;
	unsigned int limit_soft_secs;
	int max_io_workers;
};

#define BATON_IO_WORKERS_DEFAULT	(-1)
#define BATON_IO_WORKERS_AUTO		(-2)

/**
 * baton_server_create - build a server and start its IO workers
 * @opts: the options; fields left zero take their defaults
 * @out: where the server goes
 *
 * The calling thread becomes the server's main thread, from now until
 * baton_server_destroy() returns: only it may run the server, listen,
 * destroy it and call the functions documented "Context: main thread"
 * for this server or its clients (before the run, inside it and after
 * it); any other thread, the main thread of another server included,
 * gets -EPERM from them (a DEBUG=1 build aborts).  A thread is the main
 * thread of one server at a time; two servers in one process need two
 * threads.
 *
 * Context: a thread that is not the main thread of an existing server
 * (nor an IO worker or the RCU callback thread), and that will call
 * baton_server_run().
 * Return: 0, -EINVAL for bad options, -EBUSY when the calling thread is
 * already the main thread of a server, -EPERM on an IO worker or the
 * RCU callback thread, -ENOMEM, or another -errno from creating threads,
 * epoll sets or eventfds.
 */
BATON_API int baton_server_create(const struct baton_server_opts *opts,
				  struct baton_server **out);

/**
 * baton_server_listen_tcp - accept TCP connections on @addr:@port
 * @s: the server
 * @addr: a numeric IPv4 or IPv6 address; NULL means 127.0.0.1
 * @port: the port; 0 picks a free one
 * @bound_port: when not NULL, receives the port actually bound
 *
 * Context: main thread (the creating thread), before or between runs.
 * Return: 0, -EINVAL for a bad address, -EPERM on another thread, or the
 * -errno of socket/bind/listen.
 */
BATON_API int baton_server_listen_tcp(struct baton_server *s, const char *addr,
				      unsigned short port,
				      unsigned short *bound_port);

/**
 * baton_server_listen_unix - accept connections on a Unix socket
 * @s: the server
 * @path: the socket's path; an existing socket file there is replaced
 *
 * Context: main thread (the creating thread), before or between runs.
 * Return: 0, -EINVAL for an empty path, -ENAMETOOLONG, -EPERM on another
 * thread, or the -errno of socket/bind/listen.
 */
BATON_API int baton_server_listen_unix(struct baton_server *s, const char *path);

/**
 * baton_server_run - run the main loop on the calling thread until stopped
 * @s: the server
 *
 * Context: main thread (the thread that created @s).  Not reentrant.
 * Return: 0 after baton_server_stop() or a stop signal, -EALREADY when
 * @s ran already, -EPERM on another thread, or a -errno when the loop
 * cannot continue.
 */
BATON_API int baton_server_run(struct baton_server *s);

/**
 * baton_server_stop - make baton_server_run() return
 * @s: the server
 *
 * Context: any thread, and async-signal-safe (one eventfd write).  The
 * run loop finishes its current iteration, closes every client and
 * returns.
 */
BATON_API void baton_server_stop(struct baton_server *s);

/**
 * baton_server_destroy - stop the workers, close every client, free all
 * @s: the server, not running
 *
 * The calling thread stops being the main thread.  On any other thread
 * it destroys nothing: it logs the misuse once and returns (a DEBUG=1
 * build aborts).
 *
 * Context: main thread (the creating thread), after baton_server_run()
 * returned or was never called.  Waits for every pending grace-period
 * free.
 */
BATON_API void baton_server_destroy(struct baton_server *s);

/**
 * struct baton_call - a function queued to run on the main thread
 *
 * Embed it in the application's own struct (the queue allocates nothing,
 * so queueing never fails for memory) and find that struct again with
 * baton_container_of() in the function.  All fields are private.
 */
struct baton_call {
	/* private: */
	struct baton_llist_node node;	/* __rule(OWNER): the queue's holder */
	void (*fn)(struct baton_call *call);	/* __rule(OWNER): likewise */
} /* __shared_struct */;

/**
 * baton_server_call - run @fn(@call) on the main thread, soon
 * @s: the server
 * @call: the application's call, not queued already
 * @fn: what to run.  Context: main thread, inside the run loop (or inside
 *	baton_server_destroy() for calls still queued when the loop ended);
 *	it may do anything a main-thread callback may, on any client.
 *
 * This is how threads the application runs act on clients: they queue a
 * function that main runs.  Calls run in the order they were queued, one
 * main loop iteration after at most; main is woken when its queue goes
 * from empty to non-empty.  @call belongs to baton until @fn starts.
 *
 * Context: any thread, while @s exists (not concurrently with
 * baton_server_destroy()); async-signal-safe.
 * Return: 0, or -EINVAL when @s, @call or @fn is NULL.
 */
BATON_API int baton_server_call(struct baton_server *s, struct baton_call *call,
				void (*fn)(struct baton_call *call));

/**
 * baton_server_set_idle_timeout - the server's idle timeout for clients
 * @s: the server
 * @ms: milliseconds without input after which a client is closed (or its
 *	@idle callback runs); 0 = never
 *
 * Context: main thread.
 * Return: 0, or -EPERM on another thread.
 */
BATON_API int baton_server_set_idle_timeout(struct baton_server *s,
					    uint64_t ms);

/**
 * baton_server_set_io_workers - change how many IO workers serve clients
 * @s: the server
 * @n: a count from 0 (main does the IO) to the server's @max_io_workers,
 *	or BATON_IO_WORKERS_AUTO
 *
 * Workers are activated (their thread started the first time) or parked
 * (they sleep, using no CPU) and clients move to the workers that stay,
 * through the same handoffs every request takes: none is dropped, and
 * each client's replies keep their order.  The moves complete over the
 * next loop iterations.
 *
 * Context: main thread.
 * Return: 0; -EINVAL for a count out of range; -EPERM on another thread;
 * or the -errno of a thread that could not be started (fewer workers
 * are active then).
 */
BATON_API int baton_server_set_io_workers(struct baton_server *s, int n);

/**
 * baton_server_io_workers_mode - the mode set at create or since
 * @s: the server
 *
 * Context: main thread.
 * Return: the fixed count, BATON_IO_WORKERS_AUTO, or -EPERM on another
 * thread.
 */
BATON_API int baton_server_io_workers_mode(struct baton_server *s);

/**
 * baton_server_user - the @user pointer given in the options
 * @s: the server
 *
 * Context: any thread.
 * Return: the pointer.
 */
BATON_API void *baton_server_user(const struct baton_server *s);

/**
 * baton_server_nr_io_workers - how many IO workers serve clients now
 * @s: the server
 *
 * Context: any thread (a count main keeps; it may change at once).
 * Return: the number of active workers (0 when main does the IO).
 */
BATON_API int baton_server_nr_io_workers(const struct baton_server *s);

#ifdef __cplusplus
}
#endif

#endif /* _UAPI_BATON_SERVER_H */
