// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pubsub.c - who subscribes to what: the channels and patterns with
 * their subscribers, each client's subscriptions, and PUBLISH's
 * fan-out.  cmd_pubsub.c has the commands.
 *
 * A channel or pattern with subscribers is a struct ps_target in one of
 * two name tables; each subscription is a struct ps_sub linked both into
 * its target's list (subscription order: PUBLISH delivers in it) and
 * into its client's list (subscription order: an UNSUBSCRIBE without
 * arguments replies in it).  A target is freed with its last
 * subscription, a client's state with its last subscription: a client
 * with state is in RESP2 "subscribed mode".
 *
 * PUBLISH serializes the message once per target -- one "message" for
 * the channel's subscribers, one "pmessage" for each matching pattern's
 * -- and writes it to each subscriber wherever it is, with
 * baton_client_write_ref() (fanout.c): main never waits for a
 * subscriber, and a subscriber that does not read is closed by the
 * pub/sub output limits set when it subscribed.
 *
 * Main only: commands, the close callback and RESET call it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

/* Redis's client-output-buffer-limit pubsub 32mb 8mb 60. */
#define PUBSUB_LIMIT_HARD	(32u << 20)
#define PUBSUB_LIMIT_SOFT	(8u << 20)
#define PUBSUB_LIMIT_SECS	60

/**
 * struct ps_target - a channel or a pattern that has subscribers
 * @node: its name in the channel or the pattern table
 * @first: its oldest subscription
 * @last: its newest
 * @nr: its subscriptions
 * @lprev: a pattern's previous pattern, oldest first (PUBLISH's order)
 * @lnext: a pattern's next
 * @name: the name
 */
struct ps_target {
	struct kvd_tnode node;
	struct ps_sub *first;
	struct ps_sub *last;
	size_t nr;
	struct ps_target *lprev;
	struct ps_target *lnext;
	char name[];
};

/**
 * struct ps_sub - one client's subscription to one target
 * @t: the target
 * @c: the client
 * @cl: its state
 * @tprev: the target's previous subscription
 * @tnext: the target's next
 * @cprev: the client's previous subscription of the same kind
 * @cnext: the client's next
 */
struct ps_sub {
	struct ps_target *t;
	struct baton_client *c;
	struct kvd_client *cl;
	struct ps_sub *tprev;
	struct ps_sub *tnext;
	struct ps_sub *cprev;
	struct ps_sub *cnext;
};

/**
 * struct kvd_pubsub - a subscribed client's subscriptions
 * @first: per kind (KVD_PS_CHANNEL, KVD_PS_PATTERN), the oldest
 * @last: per kind, the newest
 * @nr: per kind, how many
 */
struct kvd_pubsub {
	struct ps_sub *first[2];
	struct ps_sub *last[2];
	size_t nr[2];
};

static struct kvd_table tables[2];		/* __rule(MAIN) */
static struct ps_target *pat_first, *pat_last;	/* __rule(MAIN) */
static size_t nr_subscribed;			/* __rule(MAIN) */

/**
 * kvd_pubsub_subscriptions - a client's subscriptions of one kind
 * @cl: the client
 * @kind: KVD_PS_CHANNEL or KVD_PS_PATTERN
 *
 * Context: main thread.
 * Return: the number (CLIENT LIST's sub and psub).
 */
size_t kvd_pubsub_subscriptions(const struct kvd_client *cl, int kind)
{
	return cl->pubsub ? cl->pubsub->nr[kind] : 0;
}

/**
 * kvd_pubsub_total - all a client's subscriptions
 * @cl: the client
 *
 * Context: main thread.
 * Return: channels plus patterns (the count SUBSCRIBE's replies carry).
 */
size_t kvd_pubsub_total(const struct kvd_client *cl)
{
	return cl->pubsub ? cl->pubsub->nr[0] + cl->pubsub->nr[1] : 0;
}

/**
 * kvd_pubsub_counts - the figures INFO shows
 * @clients: subscribed clients (pubsub_clients)
 * @channels: channels with subscribers (pubsub_channels)
 * @patterns: distinct patterns subscribed (pubsub_patterns)
 *
 * Context: main thread.
 */
void kvd_pubsub_counts(size_t *clients, size_t *channels, size_t *patterns)
{
	*clients = nr_subscribed;
	*channels = tables[KVD_PS_CHANNEL].count;
	*patterns = tables[KVD_PS_PATTERN].count;
}

/**
 * enter_mode - the client's first subscription: subscribed mode
 * @c: the client
 * @cl: its state
 *
 * It gets Redis's pub/sub output limits, and the idle timeout no longer
 * applies to it (kvd_client_idle_update()).
 *
 * Context: main thread.
 * Return: 0 or -ENOMEM.
 */
static int enter_mode(struct baton_client *c, struct kvd_client *cl)
{
	cl->pubsub = calloc(1, sizeof(*cl->pubsub));
	if (!cl->pubsub)
		return -ENOMEM;
	nr_subscribed++;
	baton_client_set_limits(c, PUBSUB_LIMIT_HARD, PUBSUB_LIMIT_SOFT,
				PUBSUB_LIMIT_SECS);
	kvd_client_idle_update(c, cl);
	return 0;
}

/**
 * leave_mode - the client's last subscription is gone
 * @c: the client, or NULL when it is closing
 * @cl: its state
 *
 * Context: main thread.
 */
static void leave_mode(struct baton_client *c, struct kvd_client *cl)
{
	free(cl->pubsub);
	cl->pubsub = NULL;
	nr_subscribed--;
	if (!c)
		return;
	baton_client_set_limits(c, 0, 0, 0);	/* a normal client's: none */
	kvd_client_idle_update(c, cl);
}

/**
 * find_sub - @cl's subscription to @t
 * @cl: the client
 * @t: the target
 * @kind: its kind
 *
 * Walks whichever list is shorter, the client's or the target's.
 *
 * Context: main thread.
 * Return: the subscription, or NULL.
 */
static struct ps_sub *find_sub(const struct kvd_client *cl,
			       const struct ps_target *t, int kind)
{
	struct ps_sub *s;

	if (!cl->pubsub)
		return NULL;
	if (cl->pubsub->nr[kind] <= t->nr) {
		for (s = cl->pubsub->first[kind]; s; s = s->cnext)
			if (s->t == t)
				return s;
		return NULL;
	}
	for (s = t->first; s; s = s->tnext)
		if (s->cl == cl)
			return s;
	return NULL;
}

/**
 * target_get - the target named @name, created when missing
 * @kind: KVD_PS_CHANNEL or KVD_PS_PATTERN
 * @name: the name
 * @len: its length
 *
 * Context: main thread.
 * Return: the target, or NULL when out of memory.
 */
static struct ps_target *target_get(int kind, const char *name, size_t len)
{
	struct kvd_tnode *n = kvd_table_find(&tables[kind], name, len);
	struct ps_target *t;

	if (n)
		return baton_container_of(n, struct ps_target, node);
	t = calloc(1, sizeof(*t) + len + 1);
	if (!t)
		return NULL;
	memcpy(t->name, name, len);
	t->node.key = t->name;
	t->node.len = len;
	if (kvd_table_add(&tables[kind], &t->node)) {
		free(t);
		return NULL;
	}
	if (kind == KVD_PS_PATTERN) {
		t->lprev = pat_last;
		if (pat_last)
			pat_last->lnext = t;
		else
			pat_first = t;
		pat_last = t;
	}
	return t;
}

/**
 * target_put - free a target that lost its last subscription
 * @t: the target
 * @kind: its kind
 *
 * Context: main thread.
 */
static void target_put(struct ps_target *t, int kind)
{
	if (t->nr)
		return;
	kvd_table_del(&tables[kind], &t->node);
	if (kind == KVD_PS_PATTERN) {
		if (t->lprev)
			t->lprev->lnext = t->lnext;
		else
			pat_first = t->lnext;
		if (t->lnext)
			t->lnext->lprev = t->lprev;
		else
			pat_last = t->lprev;
	}
	free(t);
}

/**
 * kvd_pubsub_subscribe - subscribe a client to a channel or pattern
 * @c: the client
 * @cl: its state
 * @kind: KVD_PS_CHANNEL or KVD_PS_PATTERN
 * @name: the channel or pattern
 * @len: its length
 *
 * Subscribing twice to the same name is one subscription.
 *
 * Context: main thread.
 * Return: 0, or -ENOMEM (nothing changed).
 */
int kvd_pubsub_subscribe(struct baton_client *c, struct kvd_client *cl,
			 int kind, const char *name, size_t len)
{
	struct ps_target *t = target_get(kind, name, len);
	struct kvd_pubsub *ps;
	struct ps_sub *s;

	if (!t)
		return -ENOMEM;
	if (find_sub(cl, t, kind))
		return 0;
	s = calloc(1, sizeof(*s));
	if (!s || (!cl->pubsub && enter_mode(c, cl))) {
		free(s);
		target_put(t, kind);
		return -ENOMEM;
	}
	s->t = t;
	s->c = c;
	s->cl = cl;
	s->tprev = t->last;
	if (t->last)
		t->last->tnext = s;
	else
		t->first = s;
	t->last = s;
	t->nr++;
	ps = cl->pubsub;
	s->cprev = ps->last[kind];
	if (ps->last[kind])
		ps->last[kind]->cnext = s;
	else
		ps->first[kind] = s;
	ps->last[kind] = s;
	ps->nr[kind]++;
	return 0;
}

/**
 * sub_remove - end one subscription
 * @c: the client, or NULL when it is closing
 * @cl: its state
 * @s: the subscription
 * @kind: its kind
 *
 * The client leaves subscribed mode with its last subscription.
 *
 * Context: main thread.
 */
static void sub_remove(struct baton_client *c, struct kvd_client *cl,
		       struct ps_sub *s, int kind)
{
	struct kvd_pubsub *ps = cl->pubsub;
	struct ps_target *t = s->t;

	if (s->tprev)
		s->tprev->tnext = s->tnext;
	else
		t->first = s->tnext;
	if (s->tnext)
		s->tnext->tprev = s->tprev;
	else
		t->last = s->tprev;
	t->nr--;
	if (s->cprev)
		s->cprev->cnext = s->cnext;
	else
		ps->first[kind] = s->cnext;
	if (s->cnext)
		s->cnext->cprev = s->cprev;
	else
		ps->last[kind] = s->cprev;
	ps->nr[kind]--;
	free(s);
	target_put(t, kind);
	if (!ps->nr[0] && !ps->nr[1])
		leave_mode(c, cl);
}

/**
 * kvd_pubsub_unsubscribe - end a client's subscription to a name
 * @c: the client
 * @cl: its state
 * @kind: KVD_PS_CHANNEL or KVD_PS_PATTERN
 * @name: the channel or pattern
 * @len: its length
 *
 * Context: main thread.
 * Return: true when the client was subscribed to it.
 */
bool kvd_pubsub_unsubscribe(struct baton_client *c, struct kvd_client *cl,
			    int kind, const char *name, size_t len)
{
	struct kvd_tnode *n = kvd_table_find(&tables[kind], name, len);
	struct ps_sub *s;

	if (!n)
		return false;
	s = find_sub(cl, baton_container_of(n, struct ps_target, node), kind);
	if (!s)
		return false;
	sub_remove(c, cl, s, kind);
	return true;
}

/**
 * kvd_pubsub_oldest - a client's oldest subscription of one kind
 * @cl: the client
 * @kind: KVD_PS_CHANNEL or KVD_PS_PATTERN
 * @len: receives the name's length
 *
 * Context: main thread.
 * Return: the name (valid until that subscription ends), or NULL.
 */
const char *kvd_pubsub_oldest(const struct kvd_client *cl, int kind,
			      size_t *len)
{
	struct ps_sub *s = cl->pubsub ? cl->pubsub->first[kind] : NULL;

	if (!s)
		return NULL;
	*len = s->t->node.len;
	return s->t->name;
}

/**
 * kvd_pubsub_forget - end every subscription of a client, silently
 * @c: the client, or NULL when it is closing (its limits and idle
 *	timeout then stay as they are)
 * @cl: its state
 *
 * For RESET and the close callback.
 *
 * Context: main thread.
 */
void kvd_pubsub_forget(struct baton_client *c, struct kvd_client *cl)
{
	int kind;

	for (kind = 0; kind < 2 && cl->pubsub; kind++)
		while (cl->pubsub && cl->pubsub->first[kind])
			sub_remove(c, cl, cl->pubsub->first[kind], kind);
}

/**
 * deliver - write one serialized message to a target's subscribers
 * @t: the target
 * @f: the message
 *
 * A subscriber that is closing, or that its output limits close now,
 * counts as a receiver all the same, as in Redis.
 *
 * Context: main thread.
 * Return: the number of subscribers it was written to.
 */
static long long deliver(struct ps_target *t, struct kvd_fanout *f)
{
	struct ps_sub *s;
	long long n = 0;

	for (s = t->first; s; s = s->tnext, n++)
		kvd_fanout_send(f, s->c);
	kvd_fanout_done(f);
	return n;
}

/**
 * kvd_pubsub_publish - send a message to a channel's and the matching
 * patterns' subscribers
 * @ch: the channel
 * @chlen: its length
 * @msg: the message
 * @mlen: its length
 *
 * RESP2 pushes: ["message", channel, message] to each subscriber of the
 * channel, then ["pmessage", pattern, channel, message] to each
 * subscriber of each matching pattern, patterns in the order they were
 * first subscribed.  Each is serialized once.
 *
 * Context: main thread.
 * Return: the number of deliveries (a client gets one per subscription
 * that matches), or -ENOMEM before the first one.
 */
long long kvd_pubsub_publish(const char *ch, size_t chlen, const char *msg,
			     size_t mlen)
{
	struct kvd_tnode *n = kvd_table_find(&tables[KVD_PS_CHANNEL], ch, chlen);
	size_t tail = kvd_header_len(chlen) + chlen + 2 +
		      kvd_header_len(mlen) + mlen + 2;
	struct kvd_fanout f;
	struct ps_target *p;
	long long receivers = 0;

	if (n) {
		if (kvd_fanout_init(&f, 4 + 13 + tail))
			return -ENOMEM;
		kvd_fanout_add(&f, "*3\r\n$7\r\nmessage\r\n", 4 + 13);
		kvd_fanout_bulk(&f, ch, chlen);
		kvd_fanout_bulk(&f, msg, mlen);
		receivers += deliver(baton_container_of(n, struct ps_target,
							node), &f);
	}
	for (p = pat_first; p; p = p->lnext) {
		size_t plen = p->node.len;

		if (!kvd_glob_match(p->name, plen, ch, chlen, false))
			continue;
		if (kvd_fanout_init(&f, 4 + 14 + kvd_header_len(plen) + plen +
				    2 + tail))
			return receivers ? receivers : -ENOMEM;
		kvd_fanout_add(&f, "*4\r\n$8\r\npmessage\r\n", 4 + 14);
		kvd_fanout_bulk(&f, p->name, plen);
		kvd_fanout_bulk(&f, ch, chlen);
		kvd_fanout_bulk(&f, msg, mlen);
		receivers += deliver(p, &f);
	}
	return receivers;
}

/**
 * kvd_pubsub_numsub - a channel's subscribers (patterns not counted)
 * @ch: the channel
 * @len: its length
 *
 * Context: main thread.
 * Return: the number.
 */
size_t kvd_pubsub_numsub(const char *ch, size_t len)
{
	struct kvd_tnode *n = kvd_table_find(&tables[KVD_PS_CHANNEL], ch, len);

	return n ? baton_container_of(n, struct ps_target, node)->nr : 0;
}

/**
 * kvd_pubsub_channels - the channels with subscribers
 * @it: the walk's state, zeroed before the first call
 * @len: receives the name's length
 *
 * Context: main thread; no subscription may change during the walk.
 * Return: the next channel's name, or NULL at the end.
 */
const char *kvd_pubsub_channels(struct kvd_table_iter *it, size_t *len)
{
	struct kvd_tnode *n = kvd_table_next(&tables[KVD_PS_CHANNEL], it);

	if (!n)
		return NULL;
	*len = n->len;
	return n->key;
}
