// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_server.c - server commands: COMMAND, COMMAND COUNT, DOCS and HELP,
 * TIME.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kvd.h"

/**
 * cmd_command - COMMAND: every command as [name, arity, flags, first
 * key, last key, step]
 * @x: the command
 *
 * kvd gives names and arities only: flags are empty and key positions 0.
 *
 * Context: main thread.
 */
void cmd_command(struct kvd_ctx *x)
{
	size_t n, i;
	const struct kvd_cmd *cmds = kvd_command_table(&n);

	kvd_reply_array(x->c, (long long)n);
	for (i = 0; i < n; i++) {
		kvd_reply_array(x->c, 6);
		kvd_reply_cstr(x->c, cmds[i].name);
		kvd_reply_int(x->c, cmds[i].arity);
		kvd_reply_array(x->c, 0);
		kvd_reply_int(x->c, 0);
		kvd_reply_int(x->c, 0);
		kvd_reply_int(x->c, 0);
	}
}

/**
 * cmd_command_count - COMMAND COUNT
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_command_count(struct kvd_ctx *x)
{
	kvd_reply_int(x->c, (long long)kvd_command_count());
}

/**
 * cmd_command_docs - COMMAND DOCS [name ...]: kvd has no docs to give
 * @x: the command
 *
 * An empty reply makes redis-cli fall back to its built-in help.
 *
 * Context: main thread.
 */
void cmd_command_docs(struct kvd_ctx *x)
{
	kvd_reply_array(x->c, 0);
}

/**
 * cmd_command_help - COMMAND HELP
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_command_help(struct kvd_ctx *x)
{
	static const char *const lines[] = {
		"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"(no subcommand)",
		"    Return names and arities of all commands.",
		"COUNT",
		"    Return the total number of commands in this server.",
		"DOCS [<command-name> ...]",
		"    kvd has no command documentation: an empty reply.",
		"HELP",
		"    Print this help.",
		NULL,
	};

	kvd_reply_help(x->c, lines);
}

/**
 * cmd_time - TIME: the wall clock as [seconds, microseconds]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_time(struct kvd_ctx *x)
{
	struct timespec ts;
	char buf[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	kvd_reply_array(x->c, 2);
	kvd_reply_bulk(x->c, buf, (size_t)snprintf(buf, sizeof(buf), "%lld",
						    (long long)ts.tv_sec));
	kvd_reply_bulk(x->c, buf, (size_t)snprintf(buf, sizeof(buf), "%ld",
						    ts.tv_nsec / 1000));
}
