/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * client.h - what the application does with a client: write to it
 * (a reply or output it did not ask for), park it, pause its input, limit
 * its output, close it, find it by id on main or under RCU from any
 * registered thread, walk them all.
 */
#ifndef _UAPI_BATON_CLIENT_H
#define _UAPI_BATON_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "api.h"

#ifdef __cplusplus
extern "C" {
#endif

struct baton_server;
struct baton_client;
struct baton_obj;

/* Bytes of per-client protocol state (baton_client_proto_state()). */
#define BATON_CLIENT_PROTO_STATE_SIZE	16

/**
 * baton_client_write - queue output bytes (copied)
 * @c: the client
 * @buf: the bytes
 * @len: how many
 *
 * On main this works for any client that is not closing, wherever it is:
 * with main (inside @execute), on its way to or from main, or owned by its
 * IO worker and idle.  The bytes reach the peer in the order main wrote
 * them, interleaved correctly with the replies to the client's own
 * requests; output for a client main does not own travels to its owner
 * through the client's post list, with at most one wake per worker per
 * main loop iteration, and without moving the client.
 *
 * Context: main thread (any client, in any callback, timer or call), or
 * the IO worker that owns @c inside @parse.  Another thread gets -EPERM
 * (and a DEBUG=1 build aborts).
 * Return: 0; -ENOBUFS when the output would pass the client's
 * output-buffer limit or its hard output limit (baton_client_set_limits()):
 * the client is closed without the rest of its output; -ENOMEM (the
 * client is closed after the output queued before this, so that no later
 * reply answers the wrong request); -EPIPE when the client is already
 * closing (the bytes are dropped); -EPERM on a thread that may not write.
 */
BATON_API int baton_client_write(struct baton_client *c, const void *buf,
				 size_t len);

/**
 * baton_client_write_ref - queue output bytes by reference (zero-copy)
 * @c: the client
 * @obj: the object that holds the bytes; the output takes a reference,
 *	which the IO worker drops once the bytes are on the wire
 * @data: the first byte, inside @obj
 * @len: how many bytes
 *
 * Fewer than 256 bytes are copied instead (as baton_client_write() does):
 * that is cheaper than a reference, and the peer receives the same bytes.
 * One object written to N clients is one object with N references.
 *
 * Context: as baton_client_write().
 * Return: as baton_client_write().
 */
BATON_API int baton_client_write_ref(struct baton_client *c,
				     struct baton_obj *obj, const void *data,
				     size_t len);

/**
 * baton_client_output_bytes - output queued for the client and not sent
 * @c: the client
 *
 * Counts what main wrote (replies included) and the IO worker has not yet
 * written to the socket.  Main learns it from a counter the worker
 * updates, never from the worker's own fields, so it may lag by what the
 * worker is sending right now.
 *
 * Context: main thread.
 * Return: the number of bytes (0 on a thread that is not main).
 */
BATON_API size_t baton_client_output_bytes(struct baton_client *c)
	BATON_MAIN_ONLY;

/**
 * baton_client_set_limits - limit the client's queued output
 * @c: the client
 * @hard: close the client when its queued output would pass this many
 *	bytes; 0 for no hard limit
 * @soft: close it when its queued output stays above this many bytes for
 *	@soft_secs seconds; 0 for no soft limit
 * @soft_secs: see @soft
 *
 * The limits are checked when main writes to the client (as Redis's
 * client-output-buffer-limit is): a subscriber that does not read is
 * closed instead of making the server grow.  They start as the server's
 * (&struct baton_server_opts.limit_hard ...); the server's output-buffer
 * limit (@obuf_limit) applies as well.
 *
 * Context: main thread.
 * Return: 0, -EPERM on another thread.
 */
BATON_API int baton_client_set_limits(struct baton_client *c, size_t hard,
				      size_t soft, unsigned int soft_secs)
	BATON_MAIN_ONLY;

/**
 * baton_client_park - execute none of the client's further requests
 * @c: the client
 *
 * For a command that blocks (BLPOP): inside @execute the application parks
 * the client and writes no reply yet; main executes no further request of
 * it until baton_client_unpark().  The client stays with its IO worker,
 * which keeps reading: its later input stays buffered (within the
 * query-buffer limit), and a disconnect is noticed at once and reported
 * through @close, so that the application forgets the waiter.
 *
 * Context: main thread.
 * Return: 0, -EPIPE when the client is closing, -EPERM on another thread.
 */
BATON_API int baton_client_park(struct baton_client *c) BATON_MAIN_ONLY;

/**
 * baton_client_unpark - let main execute the client's requests again
 * @c: a parked client
 *
 * Write the blocked command's reply (baton_client_write()) before or
 * after; either way it reaches the peer before the replies to the
 * requests that follow.
 *
 * Context: main thread.
 * Return: 0, -EINVAL when @c is not parked, -EPIPE when it is closing,
 * -EPERM on another thread.
 */
BATON_API int baton_client_unpark(struct baton_client *c) BATON_MAIN_ONLY;

/**
 * baton_client_parked - whether the client is parked
 * @c: the client
 *
 * Context: main thread.
 * Return: true when parked (false on another thread).
 */
BATON_API bool baton_client_parked(struct baton_client *c) BATON_MAIN_ONLY;

/**
 * baton_client_pause_reading - stop reading the client's socket
 * @c: the client
 *
 * Backpressure: the IO worker reads and parses nothing more from @c until
 * baton_client_resume_reading(); what it already parsed still runs.
 * Output is still sent.
 *
 * Context: main thread.
 * Return: 0, -EPIPE when the client is closing, -EPERM on another thread.
 */
BATON_API int baton_client_pause_reading(struct baton_client *c)
	BATON_MAIN_ONLY;

/**
 * baton_client_resume_reading - read the client's socket again
 * @c: the client
 *
 * Context: main thread.
 * Return: 0, -EPIPE when the client is closing, -EPERM on another thread.
 */
BATON_API int baton_client_resume_reading(struct baton_client *c)
	BATON_MAIN_ONLY;

/**
 * baton_client_set_idle_timeout - close the client after a time without
 * input
 * @c: the client
 * @ms: milliseconds without input (bytes the IO worker read count, whole
 *	request or not); 0 exempts the client; BATON_IDLE_DEFAULT (-1)
 *	uses the server's (baton_server_set_idle_timeout())
 *
 * When the time passes main calls the protocol's @idle callback (which
 * may write a goodbye and close the client), or closes it.
 *
 * Context: main thread.
 * Return: 0, -EINVAL for a negative @ms other than -1, -EPERM on another
 * thread.
 */
BATON_API int baton_client_set_idle_timeout(struct baton_client *c,
					    int64_t ms) BATON_MAIN_ONLY;

#define BATON_IDLE_DEFAULT	(-1)

/**
 * baton_client_proto_state - the protocol's bytes that travel with the client
 * @c: the client
 *
 * BATON_CLIENT_PROTO_STATE_SIZE bytes, 8-byte aligned, zeroed at accept,
 * that whichever thread owns the client may read and write: main inside
 * @execute, the IO worker inside @parse.  The handoff that moves the
 * client orders every write before the next owner's reads, so facts that
 * main decides and the parser needs ("authenticated", a protocol
 * version) reach it with no atomics and no racy read.
 *
 * Context: the thread that owns @c: the IO worker inside @parse, main
 * inside @execute (or @connect).  Another thread gets NULL (and a DEBUG=1
 * build aborts).
 * Return: the bytes, or NULL on a thread that does not own @c.
 */
BATON_API void *baton_client_proto_state(struct baton_client *c);

/**
 * baton_client_close - close the client once its queued output is sent
 * @c: the client
 *
 * Output written before the close (a goodbye line) is sent first.
 *
 * Context: main thread.  The @close callback runs later, on main.
 * Return: 0 (also when it is closing already), -EPERM on another thread.
 */
BATON_API int baton_client_close(struct baton_client *c) BATON_MAIN_ONLY;

/**
 * baton_client_set_error - the error text @parse wants sent before closing
 * @c: the client
 * @msg: the bytes to send, exactly
 * @len: their length
 *
 * Context: the thread that owns @c inside @parse, before it returns a
 * negative errno.
 * Return: 0, -ENOMEM, or -EPERM on a thread that does not own @c.
 */
BATON_API int baton_client_set_error(struct baton_client *c, const char *msg,
				     size_t len);

/**
 * baton_client_id - the client's id, unique for the server's lifetime
 * @c: the client
 *
 * Context: any thread that holds a reference or owns @c.
 * Return: the id (never 0).
 */
BATON_API uint64_t baton_client_id(const struct baton_client *c);

/**
 * baton_client_peer - the peer address as text ("127.0.0.1:50312",
 * "[::1]:50312" or "/path/to/socket")
 * @c: the client
 *
 * Context: any thread that holds a reference or owns @c.
 * Return: a string that lives as long as the client.
 */
BATON_API const char *baton_client_peer(const struct baton_client *c);

/**
 * baton_client_server - the server the client belongs to
 * @c: the client
 *
 * Context: any thread that holds a reference or owns @c.
 * Return: the server.
 */
BATON_API struct baton_server *baton_client_server(const struct baton_client *c);

/**
 * baton_client_set_data - attach the application's per-client state
 * @c: the client
 * @data: main-owned state; free it in the @close callback
 *
 * Context: main thread (elsewhere it does nothing; DEBUG=1 aborts).
 */
BATON_API void baton_client_set_data(struct baton_client *c, void *data)
	BATON_MAIN_ONLY;

/**
 * baton_client_data - the state attached with baton_client_set_data()
 * @c: the client
 *
 * Context: main thread.
 * Return: the pointer, NULL if none (or on another thread; DEBUG=1 aborts).
 */
BATON_API void *baton_client_data(const struct baton_client *c) BATON_MAIN_ONLY;

/**
 * baton_client_io_worker - which IO worker serves the client
 * @c: the client
 *
 * Context: main thread.
 * Return: the worker's index, or -1 when main does the IO (or on another
 * thread).
 */
BATON_API int baton_client_io_worker(const struct baton_client *c)
	BATON_MAIN_ONLY;

/**
 * baton_client_lookup - find a client by id
 * @s: the server
 * @id: the id
 *
 * Context: main thread.  The pointer is valid until main returns to the
 * loop; take no reference.
 * Return: the client, or NULL if there is none with that id (or it is
 * closing, or the caller is not main).
 */
BATON_API struct baton_client *baton_client_lookup(struct baton_server *s,
						   uint64_t id) BATON_MAIN_ONLY;

/**
 * baton_client_kill - close a client by id
 * @s: the server
 * @id: the id
 *
 * Context: main thread.  Works wherever the client is (on main or owned
 * by an IO worker): it is closed without sending queued output.
 * Return: 0, -ENOENT when no such client, -EPERM on another thread.
 */
BATON_API int baton_client_kill(struct baton_server *s, uint64_t id)
	BATON_MAIN_ONLY;

/**
 * baton_client_for_each - call @fn for every connected client
 * @s: the server
 * @fn: the callback; a non-zero return stops the walk
 * @arg: passed to @fn
 *
 * Context: main thread.  @fn runs on main and may call any Context:
 * main-thread function on the client (write to it, close it).
 * Return: 0, the first non-zero value @fn returned, or -EPERM on another
 * thread.
 */
BATON_API int baton_client_for_each(struct baton_server *s,
				    int (*fn)(struct baton_client *c, void *arg),
				    void *arg) BATON_MAIN_ONLY;

/**
 * baton_client_get_rcu - find a client by id and take a reference
 * @s: the server
 * @id: the id
 *
 * Context: any registered RCU reader thread (baton_rcu_register_thread()),
 * inside baton_rcu_read_lock().  The reference keeps the client's memory
 * (not its connection) alive after baton_rcu_read_unlock(); drop it with
 * baton_client_put().
 * Return: the client, or NULL when there is none or it is being freed.
 */
BATON_API struct baton_client *baton_client_get_rcu(struct baton_server *s,
						    uint64_t id);

/**
 * baton_client_put - drop a reference taken by baton_client_get_rcu()
 * @c: the client
 *
 * Context: any thread.  The last put frees the client's memory on the
 * calling thread (the free is thread-safe: the connection is closed by
 * then).
 */
BATON_API void baton_client_put(struct baton_client *c);

#ifdef __cplusplus
}
#endif

#endif /* _UAPI_BATON_CLIENT_H */
