// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_pubsub.c - the pub/sub commands: SUBSCRIBE, UNSUBSCRIBE,
 * PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB CHANNELS|NUMSUB|NUMPAT|HELP,
 * and PING's reply in subscribed mode.  The registry is pubsub.c; the
 * RESP2 rule that a subscribed client may run only these commands (and
 * PING, QUIT, RESET) is dispatch's (KVD_CMD_SUBOK).  Main only.
 */
#include "kvd.h"

static const char *const sub_words[2] = { "subscribe", "psubscribe" };
static const char *const unsub_words[2] = { "unsubscribe", "punsubscribe" };

/**
 * reply_sub - one [kind, name, count] reply of (UN)(P)SUBSCRIBE
 * @x: the command
 * @word: "subscribe", "unsubscribe", ...
 * @name: the channel or pattern, or NULL for a nil (nothing to leave)
 * @len: its length
 *
 * The count is the client's subscriptions, channels and patterns, after
 * the change.
 *
 * Context: main thread.
 */
static void reply_sub(struct kvd_ctx *x, const char *word, const char *name,
		      size_t len)
{
	kvd_reply_array(x->c, 3);
	kvd_reply_cstr(x->c, word);
	if (name)
		kvd_reply_bulk(x->c, name, len);
	else
		kvd_reply_null(x->c);
	kvd_reply_int(x->c, (long long)kvd_pubsub_total(x->cl));
}

/**
 * subscribe_generic - SUBSCRIBE / PSUBSCRIBE name [name ...]
 * @x: the command
 * @kind: KVD_PS_CHANNEL or KVD_PS_PATTERN
 *
 * One reply per name, in order, also for a name already subscribed.
 *
 * Context: main thread.
 */
static void subscribe_generic(struct kvd_ctx *x, int kind)
{
	int j;

	for (j = 1; j < x->argc; j++) {
		const struct kvd_arg *a = &x->argv[j];

		if (kvd_pubsub_subscribe(x->c, x->cl, kind, a->s, a->len)) {
			kvd_reply_error(x->c, KVD_ERR_OOM);
			return;
		}
		reply_sub(x, sub_words[kind], a->s, a->len);
	}
}

/**
 * unsubscribe_generic - UNSUBSCRIBE / PUNSUBSCRIBE [name ...]
 * @x: the command
 * @kind: KVD_PS_CHANNEL or KVD_PS_PATTERN
 *
 * Names given: one reply each, subscribed or not.  None: every
 * subscription of that kind ends, oldest first, one reply each, or one
 * reply with a nil name when there is none.
 *
 * Context: main thread.
 */
static void unsubscribe_generic(struct kvd_ctx *x, int kind)
{
	const char *name;
	size_t len;
	int j;

	for (j = 1; j < x->argc; j++) {
		const struct kvd_arg *a = &x->argv[j];

		kvd_pubsub_unsubscribe(x->c, x->cl, kind, a->s, a->len);
		reply_sub(x, unsub_words[kind], a->s, a->len);
	}
	if (x->argc > 1)
		return;
	if (!kvd_pubsub_subscriptions(x->cl, kind)) {
		reply_sub(x, unsub_words[kind], NULL, 0);
		return;
	}
	while ((name = kvd_pubsub_oldest(x->cl, kind, &len))) {
		/* The reply first: the name dies with the subscription. */
		kvd_reply_array(x->c, 3);
		kvd_reply_cstr(x->c, unsub_words[kind]);
		kvd_reply_bulk(x->c, name, len);
		kvd_pubsub_unsubscribe(x->c, x->cl, kind, name, len);
		kvd_reply_int(x->c, (long long)kvd_pubsub_total(x->cl));
	}
}

/**
 * cmd_subscribe - SUBSCRIBE channel [channel ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_subscribe(struct kvd_ctx *x)
{
	subscribe_generic(x, KVD_PS_CHANNEL);
}

/**
 * cmd_psubscribe - PSUBSCRIBE pattern [pattern ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_psubscribe(struct kvd_ctx *x)
{
	subscribe_generic(x, KVD_PS_PATTERN);
}

/**
 * cmd_unsubscribe - UNSUBSCRIBE [channel ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_unsubscribe(struct kvd_ctx *x)
{
	unsubscribe_generic(x, KVD_PS_CHANNEL);
}

/**
 * cmd_punsubscribe - PUNSUBSCRIBE [pattern ...]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_punsubscribe(struct kvd_ctx *x)
{
	unsubscribe_generic(x, KVD_PS_PATTERN);
}

/**
 * cmd_publish - PUBLISH channel message
 * @x: the command
 *
 * Replies how many subscriptions received it.
 *
 * Context: main thread.
 */
void cmd_publish(struct kvd_ctx *x)
{
	long long n = kvd_pubsub_publish(x->argv[1].s, x->argv[1].len,
					 x->argv[2].s, x->argv[2].len);

	if (n < 0)
		kvd_reply_error(x->c, KVD_ERR_OOM);
	else
		kvd_reply_int(x->c, n);
}

/**
 * kvd_pubsub_ping - PING [message] in RESP2 subscribed mode
 * @x: the command (arity already checked)
 *
 * A subscriber cannot tell a simple +PONG from its messages' stream
 * framing, so it gets an array: ["pong", message or ""].
 *
 * Context: main thread.
 */
void kvd_pubsub_ping(struct kvd_ctx *x)
{
	kvd_reply_array(x->c, 2);
	kvd_reply_cstr(x->c, "pong");
	if (x->argc == 2)
		kvd_reply_bulk(x->c, x->argv[1].s, x->argv[1].len);
	else
		kvd_reply_bulk(x->c, "", 0);
}

/**
 * kvd_reply_subcommand_syntax - Redis's error for a subcommand's wrong
 * arguments
 * @x: the command
 * @container: the container's name in capitals ("PUBSUB")
 *
 * Context: main thread.
 */
void kvd_reply_subcommand_syntax(struct kvd_ctx *x, const char *container)
{
	kvd_reply_error(x->c, "ERR unknown subcommand or wrong number of "
			"arguments for '%.128s'. Try %s HELP.", x->argv[1].s,
			container);
}

/**
 * cmd_pubsub_channels - PUBSUB CHANNELS [pattern]
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_pubsub_channels(struct kvd_ctx *x)
{
	const struct kvd_arg *pat = x->argc == 3 ? &x->argv[2] : NULL;
	struct kvd_table_iter it = { 0 };
	const char *name;
	long long n = 0;
	size_t len;

	if (x->argc > 3) {
		kvd_reply_subcommand_syntax(x, "PUBSUB");
		return;
	}
	while ((name = kvd_pubsub_channels(&it, &len)))
		if (!pat || kvd_glob_match(pat->s, pat->len, name, len, false))
			n++;
	kvd_reply_array(x->c, n);
	it = (struct kvd_table_iter){ 0 };
	while ((name = kvd_pubsub_channels(&it, &len)))
		if (!pat || kvd_glob_match(pat->s, pat->len, name, len, false))
			kvd_reply_bulk(x->c, name, len);
}

/**
 * cmd_pubsub_numsub - PUBSUB NUMSUB [channel ...]
 * @x: the command
 *
 * Replies channel, count pairs; patterns are not counted.
 *
 * Context: main thread.
 */
void cmd_pubsub_numsub(struct kvd_ctx *x)
{
	int j;

	kvd_reply_array(x->c, 2LL * (x->argc - 2));
	for (j = 2; j < x->argc; j++) {
		kvd_reply_bulk(x->c, x->argv[j].s, x->argv[j].len);
		kvd_reply_int(x->c, (long long)kvd_pubsub_numsub(x->argv[j].s,
								 x->argv[j].len));
	}
}

/**
 * cmd_pubsub_numpat - PUBSUB NUMPAT: the distinct patterns subscribed
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_pubsub_numpat(struct kvd_ctx *x)
{
	size_t clients, channels, patterns;

	kvd_pubsub_counts(&clients, &channels, &patterns);
	kvd_reply_int(x->c, (long long)patterns);
}

/**
 * cmd_pubsub_help - PUBSUB HELP
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_pubsub_help(struct kvd_ctx *x)
{
	static const char *const lines[] = {
		"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"HELP",
		"    Prints this help.",
		NULL,
	};

	kvd_reply_help(x->c, lines);
}
