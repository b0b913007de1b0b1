/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * client.h - what the application does with a client: reply, close, find
 * it by id on main or under RCU from any registered thread, walk them all.
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

/**
 * baton_client_write - queue reply bytes (copied)
 * @c: the client
 * @buf: the bytes
 * @len: how many
 *
 * Context: main thread inside @execute (or any main-thread callback), or
 * the owning IO worker inside @parse.
 * Return: 0; -ENOBUFS when the reply would pass the output-buffer limit
 * (the client is then closed after what it already has is sent); -ENOMEM
 * (the client is closed after the replies queued before this one, so
 * that no later reply answers the wrong request); -EPIPE when the client
 * is already closing (the bytes are dropped).
 */
BATON_API int baton_client_write(struct baton_client *c, const void *buf,
				 size_t len);

/**
 * baton_client_write_ref - queue reply bytes by reference (zero-copy)
 * @c: the client
 * @obj: the object that holds the bytes; the reply takes a reference,
 *	which the IO worker drops once the bytes are on the wire
 * @data: the first byte, inside @obj
 * @len: how many bytes
 *
 * Fewer than 256 bytes are copied instead (as baton_client_write() does):
 * that is cheaper than a reference, and the peer receives the same bytes.
 *
 * Context: main thread, inside a callback that owns @c.
 * Return: 0, -ENOBUFS, -ENOMEM or -EPIPE as baton_client_write().
 */
BATON_API int baton_client_write_ref(struct baton_client *c,
				     struct baton_obj *obj, const void *data,
				     size_t len);

/**
 * baton_client_close - close the client once its queued replies are sent
 * @c: the client
 *
 * Context: main thread.  The @close callback runs later, on main.
 */
BATON_API void baton_client_close(struct baton_client *c);

/**
 * baton_client_set_error - the error text @parse wants sent before closing
 * @c: the client
 * @msg: the bytes to send, exactly
 * @len: their length
 *
 * Context: the thread that owns @c inside @parse, before it returns a
 * negative errno.
 * Return: 0 or -ENOMEM.
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
 * Context: main thread.
 */
BATON_API void baton_client_set_data(struct baton_client *c, void *data);

/**
 * baton_client_data - the state attached with baton_client_set_data()
 * @c: the client
 *
 * Context: main thread.
 * Return: the pointer, NULL if none.
 */
BATON_API void *baton_client_data(const struct baton_client *c);

/**
 * baton_client_io_worker - which IO worker serves the client
 * @c: the client
 *
 * Context: main thread.
 * Return: the worker's index, or -1 when main does the IO.
 */
BATON_API int baton_client_io_worker(const struct baton_client *c);

/**
 * baton_client_lookup - find a client by id
 * @s: the server
 * @id: the id
 *
 * Context: main thread.  The pointer is valid until main returns to the
 * loop; take no reference.
 * Return: the client, or NULL if there is none with that id (or it is
 * closing).
 */
BATON_API struct baton_client *baton_client_lookup(struct baton_server *s,
						   uint64_t id);

/**
 * baton_client_kill - close a client by id
 * @s: the server
 * @id: the id
 *
 * Context: main thread.  Works wherever the client is (on main or owned
 * by an IO worker): it is closed without sending queued replies.
 * Return: 0, or -ENOENT when no such client.
 */
BATON_API int baton_client_kill(struct baton_server *s, uint64_t id);

/**
 * baton_client_for_each - call @fn for every connected client
 * @s: the server
 * @fn: the callback; a non-zero return stops the walk
 * @arg: passed to @fn
 *
 * Context: main thread.  @fn runs on main and may read the client with
 * the Context: main-thread functions, but must not close it.
 * Return: 0, or the first non-zero value @fn returned.
 */
BATON_API int baton_client_for_each(struct baton_server *s,
				    int (*fn)(struct baton_client *c, void *arg),
				    void *arg);

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
