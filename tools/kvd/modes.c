// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * modes.c - what a client's mode changes: a subscribed client (RESP2
 * subscribed mode) and a monitor may run only some commands, and the
 * idle timeout (CONFIG SET timeout) spares subscribed, blocked and
 * monitoring clients, as Redis's spares them.
 *
 * The idle timeout is baton's: the server's (baton_server_set_idle_timeout())
 * applies to every client whose own is BATON_IDLE_DEFAULT; a client in
 * one of those modes gets 0 (never) with baton_client_set_idle_timeout()
 * while it is in it.  baton counts the time since the client's last
 * input; Redis counts writes to it too, which matters for a client just
 * served after a long block, so kvd's idle callback keeps a client whose
 * last command ran, or wait ended, within the timeout.  Main only.
 */
#include <stdio.h>
#include "kvd.h"

/**
 * kvd_mode_refuses - refuse a command a client's mode does not allow
 * @x: the command
 * @cmd: the command found (arity and authentication passed)
 *
 * In Redis's order: a subscribed client may run only (P)(UN)SUBSCRIBE,
 * PING, QUIT and RESET (KVD_CMD_SUBOK); a monitor may not touch the
 * keyspace (as a replica).  A refused EXEC ends the transaction, as
 * any refused EXEC does (EXECABORT).
 *
 * Context: main thread.
 * Return: true after replying the error.
 */
bool kvd_mode_refuses(struct kvd_ctx *x, const struct kvd_cmd *cmd)
{
	char why[256];

	if (x->cl->pubsub && !(cmd->flags & KVD_CMD_SUBOK))
		snprintf(why, sizeof(why), "ERR Can't execute '%s': only "
			 "(P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
			 "RESET are allowed in this context", cmd->fullname);
	else if (x->cl->monitor && kvd_monitor_refuses(cmd))
		snprintf(why, sizeof(why), "ERR Replica can't interact with "
			 "the keyspace");
	else
		return false;
	if (cmd->fn == cmd_exec)
		kvd_exec_abort(x, why);
	else
		kvd_reply_error(x->c, "%s", why);
	return true;
}

/**
 * kvd_client_idle_update - apply the idle timeout to a client, or spare it
 * @c: the client
 * @cl: its state
 *
 * Call it whenever the client enters or leaves a mode.
 *
 * Context: main thread.
 */
void kvd_client_idle_update(struct baton_client *c, struct kvd_client *cl)
{
	bool spared = cl->pubsub || cl->blocked || cl->monitor;

	baton_client_set_idle_timeout(c, spared ? 0 : BATON_IDLE_DEFAULT);
}

/**
 * kvd_idle - baton's idle callback: the client sent nothing for the
 * timeout
 * @c: the client
 *
 * It is closed, without a word, as Redis closes it; unless its last
 * command ran, or its wait ended, within the timeout (baton then counts
 * the time from now again).
 *
 * Context: main thread.
 */
void kvd_idle(struct baton_client *c)
{
	struct kvd_client *cl = baton_client_data(c);
	int64_t timeout_ms = (int64_t)kvd_cfg.timeout * 1000;

	if (cl && timeout_ms && kvd_now_ms() - cl->last_ms < timeout_ms)
		return;
	baton_client_close(c);
}
