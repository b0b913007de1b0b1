// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_server.c - server commands: CONFIG GET and HELP, COMMAND, COMMAND
 * COUNT, DOCS and HELP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

enum config_key {
	CONF_BIND, CONF_PORT, CONF_UNIXSOCKET, CONF_MAXCLIENTS, CONF_IO_THREADS,
	CONF_REQUIREPASS, CONF_SAVE, CONF_APPENDONLY, CONF_DATABASES,
	CONF_MAX_BULK, CONF_QBUF, CONF_MAXMEMORY, CONF_HZ, CONF_TIMEOUT,
	NR_CONF,
};

static const char *const config_names[NR_CONF] = {
	[CONF_BIND] = "bind",
	[CONF_PORT] = "port",
	[CONF_UNIXSOCKET] = "unixsocket",
	[CONF_MAXCLIENTS] = "maxclients",
	[CONF_IO_THREADS] = "io-threads",
	[CONF_REQUIREPASS] = "requirepass",
	[CONF_SAVE] = "save",
	[CONF_APPENDONLY] = "appendonly",
	[CONF_DATABASES] = "databases",
	[CONF_MAX_BULK] = "proto-max-bulk-len",
	[CONF_QBUF] = "client-query-buffer-limit",
	[CONF_MAXMEMORY] = "maxmemory",
	[CONF_HZ] = "hz",
	[CONF_TIMEOUT] = "timeout",
};

/**
 * config_value - the text of one configuration value
 * @key: which
 * @buf: room for a number
 * @size: its size
 *
 * io-threads is given in Redis's sense: the threads doing IO, main
 * included (kvd's --io-threads N answers N + 1).
 *
 * Context: main thread.
 * Return: the value's text.
 */
static const char *config_value(enum config_key key, char *buf, size_t size)
{
	switch (key) {
	case CONF_BIND:
		return kvd_cfg.bind;
	case CONF_PORT:
		snprintf(buf, size, "%u", kvd_cfg.port);
		return buf;
	case CONF_UNIXSOCKET:
		return kvd_cfg.unixsocket ? kvd_cfg.unixsocket : "";
	case CONF_MAXCLIENTS:
		snprintf(buf, size, "%u", kvd_cfg.maxclients);
		return buf;
	case CONF_IO_THREADS:
		if (kvd_cfg.io_threads == BATON_IO_WORKERS_AUTO)
			return "auto";
		snprintf(buf, size, "%d", kvd_cfg.io_threads + 1);
		return buf;
	case CONF_REQUIREPASS:
		return kvd_cfg.requirepass ? kvd_cfg.requirepass : "";
	case CONF_SAVE:
		return "";
	case CONF_APPENDONLY:
		return "no";
	case CONF_DATABASES:
		return "1";
	case CONF_MAX_BULK:
		snprintf(buf, size, "%lld", kvd_cfg.proto_max_bulk_len);
		return buf;
	case CONF_QBUF:
		snprintf(buf, size, "%zu", kvd_cfg.qbuf_limit);
		return buf;
	case CONF_MAXMEMORY:
		snprintf(buf, size, "%llu", kvd_cfg.maxmemory);
		return buf;
	case CONF_TIMEOUT:
		return "0";
	case CONF_HZ:
		snprintf(buf, size, "%d", KVD_HZ);
		return buf;
	default:
		return "";
	}
}

/**
 * cmd_config_get - CONFIG GET parameter [parameter ...]
 * @x: the command
 *
 * Replies name/value pairs for the settings clients ask about, each once
 * however many arguments match it.  As in Redis, an argument without
 * glob characters is looked up ignoring case and answered under the
 * name as given; a pattern (ignoring case too) answers the settings'
 * own names.
 *
 * Context: main thread.
 */
void cmd_config_get(struct kvd_ctx *x)
{
	const char *names[NR_CONF];
	bool hit[NR_CONF] = { false };
	int order[NR_CONF];
	char num[32];
	int i, j, n = 0;

	for (j = 2; j < x->argc; j++) {
		const struct kvd_arg *a = &x->argv[j];
		bool pattern = strpbrk(a->s, "[*?") != NULL;

		for (i = 0; i < NR_CONF; i++) {
			if (hit[i])
				continue;
			if (pattern ? !kvd_glob_match(a->s, a->len, config_names[i],
						      strlen(config_names[i]), true)
				    : !kvd_arg_is(a, config_names[i]))
				continue;
			hit[i] = true;
			names[i] = pattern ? config_names[i] : a->s;
			order[n++] = i;
		}
	}
	kvd_reply_array(x->c, 2LL * n);
	for (j = 0; j < n; j++) {
		kvd_reply_cstr(x->c, names[order[j]]);
		kvd_reply_cstr(x->c, config_value(order[j], num, sizeof(num)));
	}
}

/**
 * cmd_config_help - CONFIG HELP
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_config_help(struct kvd_ctx *x)
{
	static const char *const lines[] = {
		"CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"HELP",
		"    Print this help.",
		NULL,
	};

	kvd_reply_help(x->c, lines);
}

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
