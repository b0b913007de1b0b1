// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmdstats.c - per-command and per-error-code counters, and the INFO
 * sections that show them (commandstats, errorstats), as Redis 7.0 has.
 *
 * Main only.  A command's counters are found in O(1) from its table
 * entry: a top-level command's slot is its index in the command table, a
 * subcommand's is its container's first slot plus its own index, laid
 * out once at start (kvd_cmdstats_init()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

#define ERRORSTATS_MAX	128	/* distinct codes tracked, as in Redis */
#define ERRCODE_MAX	32	/* longest code kept ("WRONGTYPE", ...) */

/* Every command's counters, then the subcommands'. */
static struct kvd_cmdstat *stats;	/* __rule(MAIN) */
/* Per top-level command: the slot of its first subcommand. */
static size_t *sub_base;		/* __rule(MAIN) */
static size_t nr_top;			/* __rule(MAIN) */
static size_t nr_stats;			/* __rule(MAIN) */

/**
 * struct errstat - the error replies of one code
 * @code: the code ("ERR", "WRONGTYPE", ...)
 * @count: how many
 */
struct errstat {
	char code[ERRCODE_MAX];
	uint64_t count;
};

static struct errstat errstats[ERRORSTATS_MAX];	/* __rule(MAIN) */
static size_t nr_errstats;		/* __rule(MAIN) */

/**
 * kvd_cmdstats_init - lay out a counter slot for every command
 *
 * Context: main thread, before the server runs.
 * Return: 0 or -ENOMEM.
 */
int kvd_cmdstats_init(void)
{
	const struct kvd_cmd *cmds = kvd_command_table(&nr_top);
	size_t i, n = nr_top;

	sub_base = calloc(nr_top, sizeof(*sub_base));
	if (!sub_base)
		return -ENOMEM;
	for (i = 0; i < nr_top; i++) {
		const struct kvd_cmd *sub;

		sub_base[i] = n;
		for (sub = cmds[i].subcmds; sub && sub->name; sub++)
			n++;
	}
	stats = calloc(n, sizeof(*stats));
	if (!stats) {
		free(sub_base);
		sub_base = NULL;
		return -ENOMEM;
	}
	nr_stats = n;
	return 0;
}

/**
 * kvd_cmdstats_free - free the counters
 *
 * Context: main thread, after the server stopped.
 */
void kvd_cmdstats_free(void)
{
	free(stats);
	free(sub_base);
	stats = NULL;
	sub_base = NULL;
	nr_stats = 0;
}

/**
 * kvd_cmdstat - a command's counters
 * @parent: its container (CLIENT, CONFIG, ...), or NULL for a top-level
 *	command
 * @cmd: the command, an entry of the command table or of @parent's
 *	subcommands
 *
 * Context: main thread.
 * Return: the counters.
 */
struct kvd_cmdstat *kvd_cmdstat(const struct kvd_cmd *parent,
				const struct kvd_cmd *cmd)
{
	size_t n;
	const struct kvd_cmd *cmds = kvd_command_table(&n);

	if (!parent)
		return &stats[cmd - cmds];
	return &stats[sub_base[parent - cmds] + (size_t)(cmd - parent->subcmds)];
}

/**
 * kvd_errorstat_count - count an error reply under its code
 * @msg: the error text, starting with its code ("ERR", "WRONGTYPE", ...)
 *
 * The code is the text up to the first space.  As in Redis, at most
 * ERRORSTATS_MAX distinct codes are tracked; later new ones are not.
 *
 * Context: main thread.
 */
void kvd_errorstat_count(const char *msg)
{
	size_t len = strcspn(msg, " "), i;

	if (len >= ERRCODE_MAX)
		return;
	for (i = 0; i < nr_errstats; i++) {
		if (!strncmp(errstats[i].code, msg, len) &&
		    !errstats[i].code[len]) {
			errstats[i].count++;
			return;
		}
	}
	if (nr_errstats == ERRORSTATS_MAX)
		return;
	memcpy(errstats[nr_errstats].code, msg, len);
	errstats[nr_errstats].code[len] = '\0';
	errstats[nr_errstats++].count = 1;
}

/**
 * kvd_cmdstats_reset - CONFIG RESETSTAT's part: zero every counter
 *
 * Context: main thread.
 */
void kvd_cmdstats_reset(void)
{
	if (stats)
		memset(stats, 0, nr_stats * sizeof(*stats));
	nr_errstats = 0;
}

/**
 * stat_line - one "cmdstat_<name>:..." line, for a command that ran or
 * was rejected
 * @b: the text
 * @name: the command's full name
 * @st: its counters
 *
 * Context: main thread.
 */
static void stat_line(struct kvd_buf *b, const char *name,
		      const struct kvd_cmdstat *st)
{
	if (!st->calls && !st->rejected && !st->failed)
		return;
	kvd_buf_printf(b, "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,"
		       "rejected_calls=%llu,failed_calls=%llu\r\n", name,
		       (unsigned long long)st->calls,
		       (unsigned long long)st->usec,
		       st->calls ? (double)st->usec / (double)st->calls : 0.0,
		       (unsigned long long)st->rejected,
		       (unsigned long long)st->failed);
}

/**
 * kvd_info_commandstats - INFO's commandstats lines
 * @b: the text
 *
 * Context: main thread.
 */
void kvd_info_commandstats(struct kvd_buf *b)
{
	size_t n, i;
	const struct kvd_cmd *cmds = kvd_command_table(&n);

	for (i = 0; i < n && stats; i++) {
		const struct kvd_cmd *sub;

		stat_line(b, cmds[i].fullname, kvd_cmdstat(NULL, &cmds[i]));
		for (sub = cmds[i].subcmds; sub && sub->name; sub++)
			stat_line(b, sub->fullname, kvd_cmdstat(&cmds[i], sub));
	}
}

/**
 * kvd_info_errorstats - INFO's errorstats lines
 * @b: the text
 *
 * Context: main thread.
 */
void kvd_info_errorstats(struct kvd_buf *b)
{
	size_t i;

	for (i = 0; i < nr_errstats; i++)
		kvd_buf_printf(b, "errorstat_%s:count=%llu\r\n", errstats[i].code,
			       (unsigned long long)errstats[i].count);
}
