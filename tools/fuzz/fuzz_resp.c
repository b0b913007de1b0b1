// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuzz_resp.c - libFuzzer harness for baton-kvd's RESP2 request parser
 * (tools/kvd/resp.c), checking that an incremental parse equals a one-shot
 * parse and that every result stays within the bytes it was given.
 *
 * The input's first byte picks the settings (a small proto-max-bulk-len
 * or the default, whether the client starts authenticated or not -- a
 * password is set -- and the seed of the chunk sizes); the rest is the
 * byte stream a client sends.  The harness plays main's part in the
 * pre-authentication states: after an AUTH or HELLO of a client not yet
 * authenticated, the parser must give nothing more until the command
 * "ran"; an AUTH whose last argument is "pw", or a HELLO with an
 * argument "pw", authenticates the client.  It is parsed the way baton drives the parse
 * callback: the whole unparsed buffer each time bytes arrive, again after
 * every complete request.  Three deliveries are compared: all at once,
 * one byte at a time (short inputs) and random chunks.  Each gets a new
 * client id, as a new connection would, so resp.c's per-client resume
 * cache is exercised and never reused across deliveries.
 *
 * resp.c needs three things of its client: baton_client_id(),
 * baton_client_set_error() and baton_client_proto_state().  This harness
 * links resp.c alone, without libbaton, and gives it a client that
 * implements exactly those.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

/* The only settings resp.c reads. */
struct kvd_config kvd_cfg = {
	.proto_max_bulk_len = KVD_MAX_BULK_DEFAULT,
};

/**
 * struct baton_client - the harness's stand-in for a connection
 * @id: its id, new for every delivery
 * @err: the error text the parser set
 * @errlen: its length (0: none set)
 * @nr_err: how many times the parser set one
 * @pstate: baton_client_proto_state()'s bytes
 */
struct baton_client {
	uint64_t id;
	char err[256];
	size_t errlen;
	int nr_err;
	uint64_t pstate[BATON_CLIENT_PROTO_STATE_SIZE / 8];
};

/**
 * baton_client_id - the stand-in's id
 * @c: the client
 *
 * Context: the harness's thread.
 * Return: @c->id.
 */
uint64_t baton_client_id(const struct baton_client *c)
{
	return c->id;
}

/**
 * baton_client_set_error - record the parser's error text
 * @c: the client
 * @msg: the text
 * @len: its length
 *
 * Context: the harness's thread.
 * Return: 0, or -EINVAL for an empty or oversized text.
 */
int baton_client_set_error(struct baton_client *c, const char *msg,
			   size_t len)
{
	if (!len || len > sizeof(c->err))
		abort();		/* resp.c never sends more than 128 */
	memcpy(c->err, msg, len);
	c->errlen = len;
	c->nr_err++;
	return 0;
}

/**
 * baton_client_proto_state - the stand-in's protocol bytes
 * @c: the client
 *
 * Context: the harness's thread.
 * Return: @c->pstate.
 */
void *baton_client_proto_state(struct baton_client *c)
{
	return c->pstate;
}

/**
 * is_word - whether an argument is @w, ignoring case
 * @a: the argument
 * @w: the word, lower case
 *
 * Context: the harness's thread.
 * Return: true when it is.
 */
static bool is_word(const struct kvd_arg *a, const char *w)
{
	size_t i, n = strlen(w);

	if (a->len != n)
		return false;
	for (i = 0; i < n; i++)
		if ((a->s[i] | 0x20) != w[i])
			return false;
	return true;
}

/**
 * run_on_main - what main's execute does to the protocol state
 * @c: the client
 * @r: the request it runs
 *
 * Context: the harness's thread.
 */
static void run_on_main(struct baton_client *c, const struct kvd_req *r)
{
	struct kvd_pstate *ps = baton_client_proto_state(c);
	int i;

	ps->auth_pending = false;
	if (!r || ps->authed)
		return;
	if (is_word(&r->argv[0], "auth") && is_word(&r->argv[r->argc - 1], "pw"))
		ps->authed = true;
	if (is_word(&r->argv[0], "hello"))
		for (i = 1; i < r->argc; i++)
			if (is_word(&r->argv[i], "pw"))
				ps->authed = true;
}

/**
 * struct outcome - what one delivery produced, serialized for comparison
 * @buf: for each request: argc, then each argument's length and bytes;
 *	for an empty command: argc -1; at the end: the final return code
 *	and the error text
 * @len: bytes used in @buf
 * @cap: its size
 */
struct outcome {
	unsigned char *buf;
	size_t len, cap;
};

static void out_put(struct outcome *o, const void *p, size_t n)
{
	if (o->len + n > o->cap) {
		o->cap = (o->len + n) * 2 + 256;
		o->buf = realloc(o->buf, o->cap);
		if (!o->buf)
			abort();
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

static uint64_t next_id = 1;

/* xorshift64: the chunk sizes of the random delivery. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/**
 * deliver - parse @data as it arrives in chunks, checking each result
 * @data: the stream
 * @len: its length
 * @mode: 0 all at once, 1 a byte at a time, 2 random chunks of 1-64
 * @seed: the random chunks' seed
 * @o: where the outcome goes
 *
 * Context: the harness's thread.
 */
static void deliver(const char *data, size_t len, int mode, uint64_t seed,
		    bool authed, struct outcome *o)
{
	struct baton_client c = { .id = next_id++ };
	struct kvd_pstate *ps = baton_client_proto_state(&c);
	size_t start = 0, avail = 0;
	uint64_t s = seed | 1;
	ssize_t rc = 0;

	ps->authed = authed;
	o->len = 0;
	for (;;) {
		struct kvd_req *r = NULL;
		void *req = NULL;
		size_t sum = 0;
		int i;

		if (avail == start || rc == 0) {
			/* Nothing unparsed or more needed: bytes arrive. */
			if (avail == len)
				break;
			if (mode == 0)
				avail = len;
			else if (mode == 1)
				avail++;
			else
				avail += 1 + rnd(&s) % 64;
			if (avail > len)
				avail = len;
		}
		rc = kvd_parse(&c, data + start, avail - start, &req);
		if (rc < 0) {
			if (rc != -EPROTO || c.nr_err != 1 || req)
				abort();
			break;
		}
		if (c.nr_err)
			abort();		/* an error text without -EPROTO */
		if ((size_t)rc > avail - start)
			abort();		/* used more than it was given */
		if (rc == 0) {
			if (req)
				abort();
			continue;
		}
		r = req;
		start += (size_t)rc;
		if (ps->auth_pending) {
			void *more = NULL;

			/* Nothing more until main ran the AUTH or HELLO. */
			if (ps->authed || !r || (start < avail &&
			    (kvd_parse(&c, data + start, avail - start, &more) ||
			     more || c.nr_err)))
				abort();
		}
		run_on_main(&c, r);
		if (!r) {
			int32_t none = -1;

			out_put(o, &none, sizeof(none));
		} else {
			int32_t argc = r->argc;

			if (argc <= 0)
				abort();
			out_put(o, &argc, sizeof(argc));
			for (i = 0; i < argc; i++) {
				uint64_t l = r->argv[i].len;

				if (r->argv[i].s[l] != '\0')
					abort();
				sum += l;
				out_put(o, &l, sizeof(l));
				out_put(o, r->argv[i].s, l);
			}
			/* Arguments never hold more bytes than were used. */
			if (sum > (size_t)rc)
				abort();
			free(r);
		}
	}
	{
		int64_t last = rc;

		out_put(o, &last, sizeof(last));
		out_put(o, &start, sizeof(start));
		out_put(o, c.err, c.errlen);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * LLVMFuzzerTestOneInput - one input: settings byte, then the stream
 * @data: the input
 * @size: its length
 *
 * Context: libFuzzer's thread.
 * Return: 0.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome one, other;
	const char *stream;
	bool authed;
	size_t len;

	if (size < 2 || size > 32768)
		return 0;	/* below the 64 KiB limits: see the notes */
	kvd_cfg.proto_max_bulk_len = (data[0] & 0x80) ? 64 :
				     KVD_MAX_BULK_DEFAULT;
	authed = !(data[0] & 0x40);
	stream = (const char *)data + 1;
	len = size - 1;

	deliver(stream, len, 0, 0, authed, &one);
	if (len <= 2048) {
		deliver(stream, len, 1, 0, authed, &other);
		if (other.len != one.len || memcmp(other.buf, one.buf, one.len)) {
			fprintf(stderr, "fuzz_resp: byte-at-a-time parse differs\n");
			abort();
		}
	}
	deliver(stream, len, 2, (uint64_t)data[0] * 0x9e3779b97f4a7c15ULL,
		authed, &other);
	if (other.len != one.len || memcmp(other.buf, one.buf, one.len)) {
		fprintf(stderr, "fuzz_resp: chunked parse differs\n");
		abort();
	}
	return 0;
}
