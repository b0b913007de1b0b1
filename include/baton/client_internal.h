/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * client_internal.h - the client struct (one connection), its flags and
 * its reply queue: what main and the IO worker that serves it share.
 */
#ifndef _BATON_CLIENT_INTERNAL_H
#define _BATON_CLIENT_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <urcu/urcu-memb.h>
#include <urcu/rculfhash.h>

#include <baton/compiler.h>
#include <baton/evsrc.h>
#include <baton/llist.h>
#include <baton/refcount.h>
#include <baton/role.h>
#include <uapi/baton/client.h>

struct baton_server;
struct baton_worker;

/* Client flags, OWNER rule: written only by the thread that owns the client. */
#define CF_NEW			(1u << 0)	/* main -> worker: first handoff */
#define CF_CLOSE_AFTER_REPLY	(1u << 1)	/* flush the replies, then close */
#define CF_CLOSE_NOW		(1u << 2)	/* drop the replies and close */
#define CF_GONE			(1u << 3)	/* worker -> main: detached, finalize */
#define CF_PROTO_ERROR		(1u << 4)	/* parse rejected the input */
#define CF_QBUF_LIMIT		(1u << 5)	/* closed for its query buffer */
#define CF_OBUF_LIMIT		(1u << 6)	/* closed for its output buffer */

/* Bits of a client's pending_kill: main's close request to the owner. */
#define PK_CLOSE_NOW		(1u << 0)	/* baton_client_kill() */
#define PK_CLOSE_AFTER_REPLY	(1u << 1)	/* baton_client_close() */

/* One piece of queued reply: copied bytes or a referenced object. */
struct out_chunk {
	struct out_chunk *next;
	struct baton_obj *ref;		/* NULL for copied bytes in buf[] */
	const char *data;		/* first unsent byte */
	size_t len;			/* unsent bytes from data */
	size_t cap;			/* size of buf[] (copied chunks only) */
	char buf[];
};

/**
 * struct baton_client - one connection
 *
 * The client is owned by exactly one thread at a time: its IO worker or
 * the main thread.  Ownership moves only through the inboxes (llist_add
 * releases it, llist_del_all acquires it), so every OWNER field is read
 * and written by one thread at a time with the handoff ordering them.
 */
struct baton_client {
	struct evsrc src		__rule(IMMUTABLE);
	struct llist_node handoff	__rule(OWNER);	/* link on an inbox */
	uint64_t id			__rule(IMMUTABLE);
	int fd				__rule(IMMUTABLE);	/* closed by main after the worker detached */
	struct baton_server *srv	__rule(IMMUTABLE);
	struct baton_worker *worker	__rule(IMMUTABLE);	/* the one serving it */
	char peer[64]			__rule(IMMUTABLE);
	refcount_t refs			__rule(ATOMIC);	/* table's + get_rcu's */
	struct cds_lfht_node table_node	__rule(RCU);	/* in srv->table */

	unsigned int flags		__rule(OWNER);	/* CF_* */
	int owner			__rule(OWNER);	/* role_self() of the owner */

	/* Query buffer: bytes read and not yet parsed. */
	char *qbuf			__rule(OWNER);
	size_t qlen			__rule(OWNER);
	size_t qcap			__rule(OWNER);

	/* Requests parsed by the worker, executed by main. */
	void **reqs			__rule(OWNER);
	unsigned int nr_reqs		__rule(OWNER);
	unsigned int cap_reqs		__rule(OWNER);

	/* Reply: appended by main, sent by the worker, in order. */
	struct out_chunk *out_head	__rule(OWNER);
	struct out_chunk *out_tail	__rule(OWNER);
	size_t out_bytes		__rule(OWNER);

	/* Error text from parse, sent after the earlier requests' replies. */
	char *err_msg			__rule(OWNER);
	size_t err_len			__rule(OWNER);

	/*
	 * Another thread asks the owner to act.  pending_read: the worker
	 * saw the socket readable while main owned the client (set and
	 * consumed by the worker, in its own event loop, through the
	 * client's round trip).  pending_kill: main asks whoever owns the
	 * client next to close it, PK_CLOSE_NOW or PK_CLOSE_AFTER_REPLY
	 * (release fetch_or by main, acquire exchange by the owner in
	 * client_take_close_request()).  kick_queued: the client's kick_node is on the
	 * worker's kick list (exchange by main decides who adds it).
	 * kick_node itself is owned by whoever set kick_queued: main writes
	 * it and hands it over with llist_add; the worker reads it after
	 * llist_del_all and gives it back by clearing kick_queued.
	 */
	_Atomic unsigned int pending_read	__rule(PENDING);
	_Atomic unsigned int pending_kill	__rule(PENDING);
	_Atomic unsigned int kick_queued	__rule(PENDING);
	struct llist_node kick_node		__rule(OWNER);

	/* Worker-only state. */
	bool io_at_main			__rule(IO);	/* not the worker's: new, or with main */
	bool io_maybe_more		__rule(IO);	/* stopped reading before EAGAIN */
	bool io_want_out		__rule(IO);	/* EPOLLOUT armed */
	struct baton_client *io_prev	__rule(IO);	/* worker's client list */
	struct baton_client *io_next	__rule(IO);

	/* Main-only state. */
	bool at_main			__rule(MAIN);	/* main owns it now */
	bool closing			__rule(MAIN);	/* close started: not findable */
	bool connected			__rule(MAIN);	/* connect accepted it: call close */
	int64_t active_sec		__rule(MAIN);	/* active-clients window */
	void *app_data			__rule(MAIN);
} __shared_struct;

/* lib/client.c: allocation, buffers, replies. */
struct baton_client *client_alloc(struct baton_server *s, int fd,
				  const char *peer, struct baton_worker *w) __main_only;
void client_release_output(struct baton_client *c);
void client_free_reqs(struct baton_client *c) __main_only;
void client_put_table_ref(void *c);
void client_append_chunk(struct baton_client *c, struct out_chunk *ch);
void client_chunk_release(struct out_chunk *ch);

/**
 * client_take_close_request - consume main's close request, as CF_* flags
 * @c: the client, owned by the caller
 *
 * The acquire exchange pairs with the release fetch_or in
 * client_kick_worker(); whichever owner receives the client first after
 * the request consumes it.
 *
 * Context: the owner of @c (main or its IO worker).
 * Return: CF_CLOSE_NOW, CF_CLOSE_AFTER_REPLY or 0.
 */
static inline unsigned int client_take_close_request(struct baton_client *c)
{
	unsigned int pk = atomic_exchange_explicit(&c->pending_kill, 0,
						   memory_order_acquire);

	if (pk & PK_CLOSE_NOW)
		return CF_CLOSE_NOW;
	return pk & PK_CLOSE_AFTER_REPLY ? CF_CLOSE_AFTER_REPLY : 0;
}

#endif /* _BATON_CLIENT_INTERNAL_H */
