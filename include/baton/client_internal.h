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
#include <uapi/baton/timer.h>

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
#define CF_MOVED		(1u << 7)	/* worker -> main: released, to move */

/*
 * Bits of a client's pending_ctl: what main asks of whoever owns the
 * client (set with a release fetch_or by main, consumed with an acquire
 * exchange by the owner in client_take_ctl()).
 */
#define CTL_CLOSE_NOW		(1u << 0)	/* baton_client_kill() */
#define CTL_CLOSE_AFTER_REPLY	(1u << 1)	/* baton_client_close() */
#define CTL_POSTS		(1u << 2)	/* @posts went non-empty */
#define CTL_STATE		(1u << 3)	/* @ctl_state changed */
#define CTL_MOVE		(1u << 4)	/* let it go: it moves to another worker */

/* Bits of a client's ctl_state: how main wants its input handled. */
#define CS_PARKED		(1u << 0)	/* read and buffer, hand nothing over */
#define CS_READ_PAUSED		(1u << 1)	/* do not read at all */

/**
 * struct out_chunk - one piece of queued output: copied bytes or a
 * reference to an object's bytes
 * @next: OWNER: the next chunk of its client's output queue
 * @pnode: OWNER: its link on the client's @posts list while it is a post
 *	in flight (main writes it before the release of llist_add; the
 *	owner reads it after the acquire of llist_del_all)
 * @ref: IMMUTABLE: the referenced object, or NULL for copied bytes
 * @data: OWNER: the first unsent byte
 * @len: OWNER: unsent bytes from @data
 * @cap: IMMUTABLE: size of @buf (copied chunks only)
 * @buf: OWNER: the copied bytes
 *
 * A chunk belongs to whoever owns its client; a post travels from main
 * to the owner on the client's @posts list.
 */
struct out_chunk {
	struct out_chunk *next		__rule(OWNER);
	struct llist_node pnode		__rule(OWNER);
	struct baton_obj *ref		__rule(IMMUTABLE);
	const char *data		__rule(OWNER);
	size_t len			__rule(OWNER);
	size_t cap			__rule(IMMUTABLE);
	char buf[]			__rule(OWNER);
} __shared_struct;

/**
 * struct baton_client - one connection
 *
 * The client is owned by exactly one thread at a time: its IO worker or
 * the main thread.  Ownership moves only through the inboxes (llist_add
 * releases it, llist_del_all acquires it), so every OWNER field is read
 * and written by one thread at a time with the handoff ordering them.
 * What main has to say to a client it does not own travels on the
 * PENDING fields: output on @posts, requests in @pending_ctl and
 * @ctl_state, with a kick on the worker's kick list to make it look.
 *
 * To clang the client is a capability ("client"): a thread holds it while
 * it owns the client (__requires_owner(c) and friends, role_cap.h), and
 * tools/checkers/owner_access.sh has clang check that every access to an
 * OWNER field but @kick_node happens where the client is held.
 */
struct __capability("client") baton_client {
	struct evsrc src		__rule(IMMUTABLE);
	struct llist_node handoff	__rule(OWNER);	/* link on an inbox */
	uint64_t id			__rule(IMMUTABLE);
	int fd				__rule(IMMUTABLE);	/* closed by main after the worker detached */
	struct baton_server *srv	__rule(IMMUTABLE);
	/* The worker serving it: changed by main only while it owns the
	 * client and no worker holds it (a move); read with relaxed loads. */
	_Atomic(struct baton_worker *) worker	__rule(ATOMIC);
	char peer[64]			__rule(IMMUTABLE);
	refcount_t refs			__rule(ATOMIC);	/* table's + get_rcu's + kick's */
	struct cds_lfht_node table_node	__rule(RCU);	/* in srv->table */

	unsigned int flags		__rule(OWNER);	/* CF_* */
	/* role_self() of the owner, for assert_client_owner() (relaxed) */
	_Atomic int owner		__rule(ATOMIC);

	/* The protocol's own bytes (baton_client_proto_state()). */
	uint64_t proto_state[BATON_CLIENT_PROTO_STATE_SIZE / 8]	__rule(OWNER);

	/* Query buffer: bytes read and not yet parsed. */
	char *qbuf			__rule(OWNER);
	size_t qlen			__rule(OWNER);
	size_t qcap			__rule(OWNER);

	/* Requests parsed by the worker, executed by main; the first
	 * nr_done of them ran and wait for proto.release_req (NULL: freed). */
	void **reqs			__rule(OWNER);
	unsigned int nr_reqs		__rule(OWNER);
	unsigned int cap_reqs		__rule(OWNER);
	unsigned int nr_done		__rule(OWNER);

	/* Output: appended by its owner, sent by the worker, in order. */
	struct out_chunk *out_head	__rule(OWNER);
	struct out_chunk *out_tail	__rule(OWNER);
	size_t out_bytes		__rule(OWNER);
	size_t out_unpub		__rule(OWNER);	/* main's replies not yet in out_pending */

	/* Error text from parse, sent after the earlier requests' replies. */
	char *err_msg			__rule(OWNER);
	size_t err_len			__rule(OWNER);

	/*
	 * Another thread asks the owner to act.
	 * pending_read: the worker saw the socket readable while main owned
	 *	the client (set and consumed by the worker, in its own event
	 *	loop, through the client's round trip); it alone decides the
	 *	read after the client comes back.
	 * posts: output main wrote while it did not own the client, oldest
	 *	last (main is the only producer; the owner takes it all with
	 *	llist_del_all after it consumed CTL_POSTS, and main does when
	 *	the client reaches it).
	 * pending_ctl: CTL_* requests, see above.
	 * ctl_state: CS_* wanted states; main stores them (release), the
	 *	worker loads them (acquire) each time it decides to read, parse
	 *	or hand the client over.
	 * kick_queued: the client's kick_node is on its worker's kick list
	 *	(main's exchange decides who adds it; the worker clears it).
	 *	kick_node itself is owned by whoever set kick_queued: main
	 *	writes it and hands it over with the kick list's llist_add; the
	 *	worker reads it after llist_del_all and gives it back by
	 *	clearing kick_queued.  The clear is also the worker's last look
	 *	at the client's IO fields (it decides whether it owns it first):
	 *	main moves a client the worker let go only once it is clear.
	 */
	_Atomic unsigned int pending_read	__rule(PENDING);
	struct llist_head posts			__rule(PENDING);
	_Atomic unsigned int pending_ctl	__rule(PENDING);
	_Atomic unsigned int ctl_state		__rule(PENDING);
	_Atomic unsigned int kick_queued	__rule(PENDING);
	struct llist_node kick_node		__rule(OWNER);

	/*
	 * Standalone counters, any thread, relaxed: out_pending is output
	 * bytes accepted and not yet sent (main adds its posts at once and
	 * its replies at the handoff, the worker subtracts what it sent or
	 * dropped); last_input_ms is when the worker last read input
	 * (clock_now_ms(), stored by the worker, read by main's idle scan).
	 */
	_Atomic size_t out_pending		__rule(ATOMIC);
	_Atomic uint64_t last_input_ms		__rule(ATOMIC);

	/* Worker-only state. */
	bool io_at_main			__rule(IO);	/* not the worker's: new, or with main */
	bool io_maybe_more		__rule(IO);	/* stopped reading before EAGAIN */
	bool io_want_out		__rule(IO);	/* EPOLLOUT armed */
	bool io_gone			__rule(IO);	/* detached: main finalizes it */
	struct baton_client *io_prev	__rule(IO);	/* worker's client list */
	struct baton_client *io_next	__rule(IO);

	/* Main-only state. */
	bool at_main			__rule(MAIN);	/* main owns it now */
	bool closing			__rule(MAIN);	/* close started: not findable */
	bool connected			__rule(MAIN);	/* connect accepted it: call close */
	unsigned int state		__rule(MAIN);	/* CS_* as main set them */
	int64_t active_sec		__rule(MAIN);	/* active-clients window */
	void *app_data			__rule(MAIN);
	struct baton_client *all_prev	__rule(MAIN);	/* main's list of clients */
	struct baton_client *all_next	__rule(MAIN);
	struct baton_timer *timers	__rule(MAIN);	/* its armed timers */
	int64_t idle_timeout_ms		__rule(MAIN);	/* -1: the server's */
	size_t limit_hard		__rule(MAIN);	/* output limits, 0: none */
	size_t limit_soft		__rule(MAIN);
	unsigned int limit_soft_secs	__rule(MAIN);
	uint64_t soft_since_ms		__rule(MAIN);	/* over the soft limit since */
	struct baton_client *move_next	__rule(MAIN);	/* on the server's moving list */
	/* This iteration's posts, newest first, not yet on @posts (post.c). */
	struct out_chunk *post_first	__rule(MAIN);
	struct out_chunk *post_last	__rule(MAIN);
	struct baton_client *post_prev	__rule(MAIN);	/* server's posting list */
	struct baton_client *post_next	__rule(MAIN);
} __shared_struct;

/* lib/client.c: allocation, buffers, output. */
struct baton_client *client_alloc(struct baton_server *s, int fd,
				  const char *peer, struct baton_worker *w) __main_only __init_fn;
void client_release_output(struct baton_client *c) __requires_owner(c);
void client_free_reqs(struct baton_client *c) __main_only __requires_owner(c);
void client_release_done(struct baton_client *c) __requires_owner(c);
void client_put_table_ref(void *c);
void client_append_chunk(struct baton_client *c, struct out_chunk *ch)
	__requires_owner(c);
void client_chunk_release(struct out_chunk *ch);
struct out_chunk *client_chunk_copy(const void *buf, size_t len, size_t cap);
struct out_chunk *client_chunk_ref(struct baton_obj *obj, const void *data,
				   size_t len);
size_t client_take_posts(struct baton_client *c) __requires_owner(c);
void client_kill(struct baton_client *c) __main_only;
void client_reset_io_view(struct baton_client *c) __main_only;
void client_close(struct baton_client *c) __main_only;
bool client_owned_by_self(const struct baton_client *c);

/**
 * client_worker - the worker that serves @c
 * @c: the client
 *
 * Context: any thread; only main changes it, while it owns @c.
 * Return: the worker (the server's inline worker when main serves @c).
 */
static inline struct baton_worker *client_worker(const struct baton_client *c)
{
	return atomic_load_explicit(&((struct baton_client *)c)->worker,
				    memory_order_relaxed);
}

/**
 * client_set_owner - record who owns @c from now on
 * @c: the client, owned by the caller until it hands it over
 * @id: ROLE_ID_MAIN or role_id_io() of the new owner
 *
 * Written before the handoff's release, so the new owner reads it after
 * the acquire; relaxed because it orders nothing else.  It is an atomic
 * (ATOMIC, not OWNER) only so that an assertion on a thread that does
 * not own @c (the bug it reports) reads it without a data race.
 *
 * Context: the owner of @c.
 */
static inline void client_set_owner(struct baton_client *c, int id)
{
	atomic_store_explicit(&c->owner, id, memory_order_relaxed);
}

/**
 * client_owner_is_self - whether @c's recorded owner is the caller
 * @c: the client
 *
 * Reads only the caller's thread-locals, @c's IMMUTABLE server and the
 * ATOMIC owner record: any thread may ask, and a thread of another
 * server is never the owner.
 *
 * Context: any thread.
 * Return: true when the calling thread is @c's recorded owner.
 */
static inline bool client_owner_is_self(const struct baton_client *c)
{
	return role_server() == c->srv &&
	       atomic_load_explicit(&c->owner, memory_order_relaxed) ==
	       role_self();
}

/*
 * client_assert_owner - the calling thread owns @c from here on
 *
 * Where a thread receives a client (from an inbox, a kick, its own epoll
 * set after checking its IO view, or as the creator) and at the public
 * functions' ownership checks: in a DEBUG=1 build it aborts unless the
 * caller is @c's recorded owner; to clang it asserts the client's
 * capability, in every build.
 */
static inline void client_assert_owner(const struct baton_client *c,
				       const char *file, int line)
	__asserts_owner(c);
static inline void client_assert_owner(const struct baton_client *c,
				       const char *file, int line)
{
#ifdef BATON_DEBUG
	if (unlikely(!client_owner_is_self(c)))
		role_violation(file, line, "owner of the client");
#endif
}

/* DEBUG=1: the calling thread must be @c's recorded owner. */
#define assert_client_owner(c)	client_assert_owner((c), __FILE__, __LINE__)

/*
 * client_done - the caller stops touching @c's OWNER fields
 *
 * For a function that releases @c (__releases_owner) on a path that
 * leaves it with its owner: a worker keeps the client in its epoll set,
 * main keeps it for the rest of its batch.  Nothing happens at run time.
 */
static inline void client_done(const struct baton_client *c)
	__releases_owner(c) __no_role_analysis
{
}

/*
 * client_owner_access - what tools/checkers/owner_access.sh makes of an
 * OWNER field access: it rewrites c->flags as client_owner_access(c)->flags
 * (with Coccinelle) and compiles the result with clang's -Wthread-safety,
 * so the access needs the client held where it is.  Expressions of any
 * other type go through client_owner_other(), which needs nothing (the
 * rewrite goes by field name).  Never used in the code itself.
 */
static inline void client_owner_touch(const struct baton_client *c)
	__requires_owner(c)
{
}

static inline void client_owner_other(const void *p)
{
}

#define client_owner_access(p) \
	(_Generic((p), struct baton_client *: client_owner_touch, \
		  const struct baton_client *: client_owner_touch, \
		  default: client_owner_other)(p), (p))

/**
 * client_take_ctl - consume main's requests to the owner
 * @c: the client, owned by the caller
 *
 * The acquire exchange pairs with the release fetch_or in client_kick();
 * whichever owner looks first after a request consumes it.  Output posted
 * before a request is on @c->posts by then (main adds it first).
 *
 * Context: the owner of @c (main or its IO worker).
 * Return: the CTL_* bits that were set.
 */
static inline unsigned int client_take_ctl(struct baton_client *c)
{
	/*
	 * Most handoffs find nothing: a plain load first spares them the
	 * locked exchange.  What it can miss was set by main after the
	 * handoff that gave the client to the caller (what main set before
	 * it is ordered by the handoff itself); for that, main kicks the
	 * client, and a kick still queued is handled by the worker with
	 * seq_cst on both sides (see worker_handle_kicks() and
	 * handoff_kick()), so the owner always looks again.  Seq_cst: that
	 * is the load of that store-buffer pattern (a plain load on x86).
	 */
	if (!atomic_load_explicit(&c->pending_ctl, memory_order_seq_cst))
		return 0;
	return atomic_exchange_explicit(&c->pending_ctl, 0,
					memory_order_acquire);
}

/**
 * client_ctl_flags - the CF_* close flags that CTL_* bits ask for
 * @ctl: CTL_* bits from client_take_ctl()
 *
 * Context: any thread.
 * Return: CF_CLOSE_NOW, CF_CLOSE_AFTER_REPLY or 0.
 */
static inline unsigned int client_ctl_flags(unsigned int ctl)
{
	if (ctl & CTL_CLOSE_NOW)
		return CF_CLOSE_NOW;
	return ctl & CTL_CLOSE_AFTER_REPLY ? CF_CLOSE_AFTER_REPLY : 0;
}

/**
 * client_state - the CS_* states main wants, as the worker sees them
 * @c: the client
 *
 * The acquire load pairs with main's release store in client_set_state():
 * a worker that sees a client unparked also sees what main wrote before.
 *
 * Context: the IO worker that serves @c (main keeps its own copy).
 * Return: CS_* bits.
 */
static inline unsigned int client_state(struct baton_client *c)
{
	return atomic_load_explicit(&c->ctl_state, memory_order_acquire);
}

#endif /* _BATON_CLIENT_INTERNAL_H */
