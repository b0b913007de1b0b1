// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_server.c - server commands: COMMAND, COMMAND INFO, COUNT, DOCS and
 * HELP, TIME.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kvd.h"

/**
 * reply_words - an array of strings from a space-separated list
 * @c: the client
 * @list: the words ("" for none)
 * @bulk: bulk strings (tips), else status strings (flags, categories)
 *
 * Context: main thread.
 */
static void reply_words(struct baton_client *c, const char *list, bool bulk)
{
	const char *p;
	long long n = 0;
	char word[64];

	for (p = list; *p; p += strspn(p, " "))
		if (*p != ' ') {
			n++;
			p += strcspn(p, " ");
		}
	kvd_reply_array(c, n);
	for (p = list; *p;) {
		size_t len = strcspn(p, " ");

		if (len && len < sizeof(word)) {
			memcpy(word, p, len);
			word[len] = '\0';
			if (bulk)
				kvd_reply_cstr(c, word);
			else
				kvd_reply_status(c, word);
		}
		p += len;
		p += strspn(p, " ");
	}
}

/**
 * reply_keyspec - one key spec, as COMMAND INFO's map (notes if any,
 * flags, begin_search, find_keys)
 * @c: the client
 * @ks: the spec
 *
 * Context: main thread.
 */
static void reply_keyspec(struct baton_client *c, const struct kvd_keyspec *ks)
{
	kvd_reply_array(c, ks->notes ? 8 : 6);
	if (ks->notes) {
		kvd_reply_cstr(c, "notes");
		kvd_reply_cstr(c, ks->notes);
	}
	kvd_reply_cstr(c, "flags");
	reply_words(c, ks->flags, false);
	kvd_reply_cstr(c, "begin_search");
	kvd_reply_array(c, 4);
	kvd_reply_cstr(c, "type");
	if (ks->bs == KVD_BS_INDEX) {
		kvd_reply_cstr(c, "index");
		kvd_reply_cstr(c, "spec");
		kvd_reply_array(c, 2);
		kvd_reply_cstr(c, "index");
		kvd_reply_int(c, ks->bs_pos);
	} else if (ks->bs == KVD_BS_KEYWORD) {
		kvd_reply_cstr(c, "keyword");
		kvd_reply_cstr(c, "spec");
		kvd_reply_array(c, 4);
		kvd_reply_cstr(c, "keyword");
		kvd_reply_cstr(c, ks->bs_keyword);
		kvd_reply_cstr(c, "startfrom");
		kvd_reply_int(c, ks->bs_pos);
	} else {
		kvd_reply_cstr(c, "unknown");
		kvd_reply_cstr(c, "spec");
		kvd_reply_array(c, 0);
	}
	kvd_reply_cstr(c, "find_keys");
	kvd_reply_array(c, 4);
	kvd_reply_cstr(c, "type");
	if (ks->fk == KVD_FK_RANGE) {
		kvd_reply_cstr(c, "range");
		kvd_reply_cstr(c, "spec");
		kvd_reply_array(c, 6);
		kvd_reply_cstr(c, "lastkey");
		kvd_reply_int(c, ks->fk_a);
		kvd_reply_cstr(c, "keystep");
		kvd_reply_int(c, ks->fk_b);
		kvd_reply_cstr(c, "limit");
		kvd_reply_int(c, ks->fk_c);
	} else if (ks->fk == KVD_FK_KEYNUM) {
		kvd_reply_cstr(c, "keynum");
		kvd_reply_cstr(c, "spec");
		kvd_reply_array(c, 6);
		kvd_reply_cstr(c, "keynumidx");
		kvd_reply_int(c, ks->fk_a);
		kvd_reply_cstr(c, "firstkey");
		kvd_reply_int(c, ks->fk_b);
		kvd_reply_cstr(c, "keystep");
		kvd_reply_int(c, ks->fk_c);
	} else {
		kvd_reply_cstr(c, "unknown");
		kvd_reply_cstr(c, "spec");
		kvd_reply_array(c, 0);
	}
}

/**
 * reply_command_info - one command's COMMAND INFO entry
 * @c: the client
 * @cmd: the command
 *
 * Redis 7.0's ten elements: name, arity, flags, first key, last key,
 * step, ACL categories, tips, key specs, subcommands (each an entry
 * like this).  The flags and the rest come from cmd_meta.c; a command
 * missing there answers no flags and no keys.
 *
 * Context: main thread.
 */
static void reply_command_info(struct baton_client *c,
			       const struct kvd_cmd *cmd)
{
	const struct kvd_cmd_meta *m = kvd_cmd_meta(cmd->fullname);
	const struct kvd_cmd *sub;
	long long n = 0;
	int i;

	kvd_reply_array(c, 10);
	kvd_reply_cstr(c, cmd->fullname);
	kvd_reply_int(c, cmd->arity);
	reply_words(c, m ? m->flags : "", false);
	kvd_reply_int(c, m ? m->first : 0);
	kvd_reply_int(c, m ? m->last : 0);
	kvd_reply_int(c, m ? m->step : 0);
	reply_words(c, m ? m->acl : "", false);
	reply_words(c, m ? m->tips : "", true);
	kvd_reply_array(c, m ? m->nr_specs : 0);
	for (i = 0; m && i < m->nr_specs; i++)
		reply_keyspec(c, &m->specs[i]);
	for (sub = cmd->subcmds; sub && sub->name; sub++)
		n++;
	kvd_reply_array(c, n);
	for (sub = cmd->subcmds; sub && sub->name; sub++)
		reply_command_info(c, sub);
}

/**
 * cmd_command - COMMAND: every command's COMMAND INFO entry
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_command(struct kvd_ctx *x)
{
	size_t n, i;
	const struct kvd_cmd *cmds = kvd_command_table(&n);

	kvd_reply_array(x->c, (long long)n);
	for (i = 0; i < n; i++)
		reply_command_info(x->c, &cmds[i]);
}

/**
 * cmd_command_info - COMMAND INFO [name ...]: those commands' entries,
 * nil for a name kvd does not have; all of them without a name
 * @x: the command
 *
 * A name is a command or "container|subcommand", in any case.
 *
 * Context: main thread.
 */
void cmd_command_info(struct kvd_ctx *x)
{
	int j;

	if (x->argc == 2) {
		cmd_command(x);
		return;
	}
	kvd_reply_array(x->c, x->argc - 2);
	for (j = 2; j < x->argc; j++) {
		const struct kvd_cmd *cmd = kvd_command_find(x->argv[j].s,
							     x->argv[j].len);

		if (cmd)
			reply_command_info(x->c, cmd);
		else
			kvd_reply_null_array(x->c);
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
		"    Return details about all commands.",
		"COUNT",
		"    Return the total number of commands in this server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple commands.",
		"    By default (no args) all commands are returned.",
		"DOCS [<command-name> ...]",
		"    kvd has no command documentation: an empty reply.",
		"HELP",
		"    Prints this help.",
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
