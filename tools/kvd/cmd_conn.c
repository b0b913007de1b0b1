// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_conn.c - connection commands: PING, ECHO, AUTH, SELECT, QUIT, HELLO.
 */
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

/**
 * cmd_ping - PING [message]
 * @x: the command
 *
 * A subscribed client gets ["pong", message or ""] (cmd_pubsub.c).
 *
 * Context: main thread.
 */
void cmd_ping(struct kvd_ctx *x)
{
	if (x->argc <= 2 && x->cl->pubsub)
		kvd_pubsub_ping(x);	/* RESP2 subscribed mode: an array */
	else if (x->argc > 2)
		kvd_reply_arity(x);
	else if (x->argc == 2)
		kvd_reply_bulk(x->c, x->argv[1].s, x->argv[1].len);
	else
		kvd_reply_raw(x->c, "+PONG\r\n", 7);
}

/**
 * cmd_echo - ECHO message
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_echo(struct kvd_ctx *x)
{
	kvd_reply_bulk(x->c, x->argv[1].s, x->argv[1].len);
}

/**
 * password_ok - check a username and password against requirepass
 * @user: the username ("default" is the only user)
 * @pass: the password
 *
 * Without requirepass the default user takes any password, as Redis's
 * "nopass" default user does.
 *
 * Context: main thread.
 * Return: true when they are right.
 */
static bool password_ok(const struct kvd_arg *user, const struct kvd_arg *pass)
{
	if (user && !(user->len == 7 && !memcmp(user->s, "default", 7)))
		return false;
	if (!kvd_cfg.requirepass)
		return true;
	return pass->len == strlen(kvd_cfg.requirepass) &&
	       !memcmp(pass->s, kvd_cfg.requirepass, pass->len);
}

/**
 * kvd_set_authed - the client authenticated: for main and for the parser
 * @x: the command
 *
 * The parser's pre-authentication limits are off for the requests it
 * parses from now on (kvd_pstate).
 *
 * Context: main thread, inside execute.
 */
void kvd_set_authed(struct kvd_ctx *x)
{
	x->cl->authed = true;
	kvd_pstate(x->c)->authed = true;
}

/**
 * cmd_auth - AUTH [username] password
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_auth(struct kvd_ctx *x)
{
	const struct kvd_arg *user = x->argc == 3 ? &x->argv[1] : NULL;

	if (x->argc > 3) {
		kvd_reply_error(x->c, KVD_ERR_SYNTAX);
		return;
	}
	if (x->argc == 2 && !kvd_cfg.requirepass) {
		kvd_reply_error(x->c, "ERR AUTH <password> called without any "
				"password configured for the default user. Are "
				"you sure your configuration is correct?");
		return;
	}
	if (!password_ok(user, &x->argv[x->argc - 1])) {
		kvd_reply_error(x->c, "WRONGPASS invalid username-password pair "
				"or user is disabled.");
		return;
	}
	kvd_set_authed(x);
	kvd_reply_ok(x->c);
}

/**
 * cmd_select - SELECT index: kvd has database 0 only
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_select(struct kvd_ctx *x)
{
	long long id;

	if (kvd_arg_ll(x, &x->argv[1], &id))
		return;
	if (id != 0)
		kvd_reply_error(x->c, "ERR DB index is out of range");
	else
		kvd_reply_ok(x->c);
}

/**
 * cmd_quit - QUIT: reply OK, then close once the reply is sent
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_quit(struct kvd_ctx *x)
{
	kvd_reply_ok(x->c);
	baton_client_close(x->c);
}

/**
 * kvd_set_client_name - CLIENT SETNAME's check and store (empty clears it)
 * @x: the command
 * @name: the new name
 *
 * Context: main thread.
 * Return: 0, or -1 after replying an error.
 */
int kvd_set_client_name(struct kvd_ctx *x, const struct kvd_arg *name)
{
	char *copy;
	size_t i;

	for (i = 0; i < name->len; i++) {
		if (name->s[i] < '!' || name->s[i] > '~') {
			kvd_reply_error(x->c, "ERR Client names cannot contain "
					"spaces, newlines or special characters.");
			return -1;
		}
	}
	copy = name->len ? strdup(name->s) : NULL;
	if (name->len && !copy) {
		kvd_reply_error(x->c, KVD_ERR_OOM);
		return -1;
	}
	free(x->cl->name);
	x->cl->name = copy;
	return 0;
}

/**
 * cmd_hello - HELLO [protover [AUTH username password] [SETNAME name]]
 * @x: the command
 *
 * kvd speaks RESP2 only: HELLO 3 gets -NOPROTO.
 *
 * Context: main thread.
 */
void cmd_hello(struct kvd_ctx *x)
{
	const struct kvd_arg *user = NULL, *pass = NULL, *name = NULL;
	long long ver = 0;
	int j = 1;

	if (x->argc >= 2) {
		if (!kvd_string2ll(x->argv[1].s, x->argv[1].len, &ver)) {
			kvd_reply_error(x->c, "ERR Protocol version is not an "
					"integer or out of range");
			return;
		}
		if (ver != 2) {
			kvd_reply_error(x->c, "NOPROTO unsupported protocol version");
			return;
		}
		j = 2;
	}
	for (; j < x->argc; j++) {
		int more = x->argc - 1 - j;

		if (kvd_arg_is(&x->argv[j], "auth") && more >= 2) {
			user = &x->argv[j + 1];
			pass = &x->argv[j + 2];
			j += 2;
		} else if (kvd_arg_is(&x->argv[j], "setname") && more >= 1) {
			name = &x->argv[++j];
		} else {
			kvd_reply_error(x->c, "ERR Syntax error in HELLO option '%s'",
					x->argv[j].s);
			return;
		}
	}
	if (user) {
		if (!password_ok(user, pass)) {
			kvd_reply_error(x->c, "WRONGPASS invalid username-password "
					"pair or user is disabled.");
			return;
		}
		kvd_set_authed(x);
	}
	if (!x->cl->authed && kvd_cfg.requirepass) {
		kvd_reply_error(x->c, "NOAUTH HELLO must be called with the client "
				"already authenticated, otherwise the HELLO AUTH "
				"<user> <pass> option can be used to "
				"authenticate the client and select the RESP "
				"protocol version at the same time");
		return;
	}
	if (name && kvd_set_client_name(x, name))
		return;
	kvd_reply_array(x->c, 14);
	kvd_reply_cstr(x->c, "server");
	kvd_reply_cstr(x->c, "redis");
	kvd_reply_cstr(x->c, "version");
	kvd_reply_cstr(x->c, KVD_REDIS_VERSION);
	kvd_reply_cstr(x->c, "proto");
	kvd_reply_int(x->c, 2);
	kvd_reply_cstr(x->c, "id");
	kvd_reply_int(x->c, (long long)baton_client_id(x->c));
	kvd_reply_cstr(x->c, "mode");
	kvd_reply_cstr(x->c, "standalone");
	kvd_reply_cstr(x->c, "role");
	kvd_reply_cstr(x->c, "master");
	kvd_reply_cstr(x->c, "modules");
	kvd_reply_array(x->c, 0);
}
