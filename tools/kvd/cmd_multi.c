// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_multi.c - transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH, and
 * RESET, which also ends them.
 *
 * Between MULTI and EXEC, dispatch queues every command that passes its
 * checks (the request is kept as it is, no copy) and replies +QUEUED; a
 * command refused while queueing (unknown, wrong arity) makes EXEC abort.
 * EXEC runs the queue in one go on main: nothing else runs in between,
 * and every command of it sees the same time, so a key cannot expire in
 * the middle.  WATCH's bookkeeping is in watch.c.  All main only.
 */
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

/**
 * kvd_multi_queue - queue a command inside MULTI and reply +QUEUED
 * @x: the command
 * @req: its request; the queue keeps it until EXEC or DISCARD
 * @cmd: the command found
 * @st: its counters
 *
 * A transaction that already cannot run (dirty) keeps nothing, as in
 * Redis: the reply is +QUEUED all the same.
 *
 * Context: main thread.
 * Return: true when the queue kept @req, false when it stays the
 * caller's (a dirty transaction, or out of memory after replying an
 * error and flagging the transaction).
 */
bool kvd_multi_queue(struct kvd_ctx *x, struct kvd_req *req,
		     const struct kvd_cmd *cmd, struct kvd_cmdstat *st)
{
	struct kvd_client *cl = x->cl;

	if (cl->dirty_exec || cl->dirty_cas) {
		kvd_reply_raw(x->c, "+QUEUED\r\n", 9);
		return false;
	}
	if (cl->nr_queued == cl->queue_cap) {
		size_t cap = cl->queue_cap ? cl->queue_cap * 2 : 8;
		struct kvd_queued *q = realloc(cl->queue, cap * sizeof(*q));

		if (!q) {
			cl->dirty_exec = true;
			kvd_reply_error(x->c, KVD_ERR_OOM);
			return false;
		}
		cl->queue = q;
		cl->queue_cap = cap;
	}
	cl->queue[cl->nr_queued].req = req;
	cl->queue[cl->nr_queued].cmd = cmd;
	cl->queue[cl->nr_queued].st = st;
	cl->nr_queued++;
	kvd_reply_raw(x->c, "+QUEUED\r\n", 9);
	return true;
}

/**
 * kvd_multi_discard - end @cl's transaction and drop its watches
 * @cl: the client
 *
 * Frees the queued requests; the client is out of MULTI with clean
 * flags, as after Redis's discardTransaction().
 *
 * Context: main thread.
 */
void kvd_multi_discard(struct kvd_client *cl)
{
	size_t i;

	for (i = 0; i < cl->nr_queued; i++)
		kvd_req_put(cl->queue[i].req);
	free(cl->queue);
	cl->queue = NULL;
	cl->nr_queued = 0;
	cl->queue_cap = 0;
	cl->in_multi = false;
	cl->dirty_exec = false;
	cl->dirty_cas = false;
	kvd_unwatch_all(cl);
}

/**
 * kvd_exec_abort - the reply to an EXEC refused before it ran
 * @x: the EXEC
 * @why: the error it would have had (e.g. wrong arity, NOAUTH)
 *
 * As in Redis, the transaction (if any) is discarded and the error names
 * the reason, without its "ERR " code.
 *
 * Context: main thread.
 */
void kvd_exec_abort(struct kvd_ctx *x, const char *why)
{
	kvd_multi_discard(x->cl);
	if (!strncmp(why, "ERR ", 4))
		why += 4;
	kvd_reply_error(x->c, "EXECABORT Transaction discarded because of: %s",
			why);
}

/**
 * cmd_multi - MULTI
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_multi(struct kvd_ctx *x)
{
	if (x->cl->in_multi) {
		kvd_reply_error(x->c, "ERR MULTI calls can not be nested");
		return;
	}
	x->cl->in_multi = true;
	kvd_reply_ok(x->c);
}

/**
 * cmd_exec - EXEC: run the queued commands, one reply each in an array
 * @x: the command
 *
 * A refused command while queueing aborts (EXECABORT, before anything
 * else); a watched key that changed or expired since WATCH fails it (a
 * nil array).  Either way, and after running, the transaction is over
 * and the watches are gone.  The commands run with EXEC's time.
 *
 * Context: main thread.
 */
void cmd_exec(struct kvd_ctx *x)
{
	struct kvd_client *cl = x->cl;
	struct kvd_queued *q;
	size_t i, n;

	if (!cl->in_multi) {
		kvd_reply_error(x->c, "ERR EXEC without MULTI");
		return;
	}
	if (kvd_watched_key_expired(cl, x->now))
		cl->dirty_cas = true;
	if (cl->dirty_exec || cl->dirty_cas) {
		if (cl->dirty_exec)
			kvd_reply_error(x->c, "EXECABORT Transaction discarded "
					"because of previous errors.");
		else
			kvd_reply_null_array(x->c);
		kvd_multi_discard(cl);
		return;
	}
	kvd_unwatch_all(cl);
	/* Take the queue: a command inside cannot reach it, but keep it
	 * out of the client's state while they run all the same. */
	q = cl->queue;
	n = cl->nr_queued;
	cl->queue = NULL;
	cl->nr_queued = 0;
	cl->queue_cap = 0;
	cl->in_multi = false;
	kvd_reply_array(x->c, (long long)n);
	for (i = 0; i < n; i++) {
		struct kvd_ctx sub = *x;

		sub.argc = q[i].req->argc;
		sub.argv = q[i].req->argv;
		sub.start_us = kvd_now_us();
		sub.in_exec = true;	/* nothing blocks inside EXEC */
		cl->last_cmd = q[i].cmd->fullname;
		kvd_call(&sub, q[i].cmd, q[i].st);
		kvd_req_put(q[i].req);
	}
	free(q);
	cl->last_cmd = "exec";
	kvd_multi_discard(cl);
}

/**
 * cmd_discard - DISCARD
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_discard(struct kvd_ctx *x)
{
	if (!x->cl->in_multi) {
		kvd_reply_error(x->c, "ERR DISCARD without MULTI");
		return;
	}
	kvd_multi_discard(x->cl);
	kvd_reply_ok(x->c);
}

/**
 * cmd_watch - WATCH key [key ...]
 * @x: the command
 *
 * A key already expired is deleted first (as a lookup would), so that
 * only a change after WATCH fails the transaction.  A client whose
 * watched key already changed gains nothing from more watches: OK.
 *
 * Context: main thread.
 */
void cmd_watch(struct kvd_ctx *x)
{
	int j;

	if (x->cl->in_multi) {
		kvd_reply_error(x->c, "ERR WATCH inside MULTI is not allowed");
		return;
	}
	if (x->cl->dirty_cas) {
		kvd_reply_ok(x->c);
		return;
	}
	for (j = 1; j < x->argc; j++) {
		kvd_store_find(&kvd_db, x->argv[j].s, x->argv[j].len, x->now);
		if (kvd_watch_key(x->cl, x->argv[j].s, x->argv[j].len)) {
			kvd_reply_error(x->c, KVD_ERR_OOM);
			return;
		}
	}
	kvd_reply_ok(x->c);
}

/**
 * cmd_unwatch - UNWATCH
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_unwatch(struct kvd_ctx *x)
{
	kvd_unwatch_all(x->cl);
	x->cl->dirty_cas = false;
	kvd_reply_ok(x->c);
}

/**
 * cmd_reset - RESET: the connection as it was when it connected
 * @x: the command
 *
 * Ends a transaction, drops the watches and the name, ends every
 * subscription (without a reply each) and monitor mode, and
 * authenticates the client again only when no password is needed.
 *
 * Context: main thread.
 */
void cmd_reset(struct kvd_ctx *x)
{
	kvd_multi_discard(x->cl);
	kvd_pubsub_forget(x->c, x->cl);
	kvd_monitor_stop(x->c, x->cl);
	free(x->cl->name);
	x->cl->name = NULL;
	x->cl->authed = !kvd_cfg.requirepass;
	kvd_reply_status(x->c, "RESET");
}
