// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * reply.c - RESP2 reply writers: status, error, integer, bulk (copied or
 * referencing a string value zero-copy), null and array headers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "kvd.h"

/* Error replies since start, never reset: a command failed when it grew. */
uint64_t kvd_error_replies;		/* __rule(MAIN) */

/**
 * kvd_reply_raw - queue reply bytes (copied)
 * @c: the client
 * @buf: the bytes
 * @len: how many
 *
 * When the bytes cannot be queued for lack of memory the reply stream
 * would be cut in the middle, so the client is closed instead.  Past the
 * output-buffer limit baton closes it itself; a closing client drops
 * them.
 *
 * Context: main thread, inside a callback that owns @c.
 */
void kvd_reply_raw(struct baton_client *c, const void *buf, size_t len)
{
	if (baton_client_write(c, buf, len) == -ENOMEM)
		baton_client_close(c);
}

/**
 * ll_to_str - format @v in decimal
 * @buf: room for 21 bytes
 * @v: the value
 *
 * Context: any thread.
 * Return: the number of bytes written (no NUL).
 */
static size_t ll_to_str(char *buf, long long v)
{
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
				       (unsigned long long)v;
	char tmp[21];
	size_t n = 0, i = 0;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[i++] = '-';
	while (n)
		buf[i++] = tmp[--n];
	return i;
}

/**
 * reply_prefixed - queue "<prefix><v>\r\n"
 * @c: the client
 * @prefix: ':', '$' or '*'
 * @v: the number
 *
 * Context: main thread, inside a callback that owns @c.
 */
static void reply_prefixed(struct baton_client *c, char prefix, long long v)
{
	char buf[32];
	size_t n;

	buf[0] = prefix;
	n = 1 + ll_to_str(buf + 1, v);
	buf[n++] = '\r';
	buf[n++] = '\n';
	kvd_reply_raw(c, buf, n);
}

/**
 * kvd_reply_status - queue a status reply "+<s>\r\n"
 * @c: the client
 * @s: the status text, without CR or LF
 *
 * Context: main thread, inside a callback that owns @c.
 */
void kvd_reply_status(struct baton_client *c, const char *s)
{
	char buf[128];
	size_t n = strlen(s);

	if (n > sizeof(buf) - 3)
		n = sizeof(buf) - 3;
	buf[0] = '+';
	memcpy(buf + 1, s, n);
	buf[n + 1] = '\r';
	buf[n + 2] = '\n';
	kvd_reply_raw(c, buf, n + 3);
}

/**
 * kvd_reply_ok - queue "+OK\r\n"
 * @c: the client
 *
 * Context: main thread, inside a callback that owns @c.
 */
void kvd_reply_ok(struct baton_client *c)
{
	kvd_reply_raw(c, "+OK\r\n", 5);
}

/**
 * kvd_reply_error - queue an error reply and count it
 * @c: the client
 * @fmt: the text, starting with its code ("ERR ...", "WRONGTYPE ...")
 * @...: its arguments
 *
 * CR and LF in the text become spaces, as Redis does, so an argument
 * quoted in an error cannot break the protocol.  INFO counts it in
 * total_error_replies and under its code in errorstats.
 *
 * Context: main thread, inside a callback that owns @c.
 */
void kvd_reply_error(struct baton_client *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n, i;

	buf[0] = '-';
	va_start(ap, fmt);
	n = vsnprintf(buf + 1, sizeof(buf) - 3, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > (int)sizeof(buf) - 4)
		n = (int)sizeof(buf) - 4;
	for (i = 1; i <= n; i++)
		if (buf[i] == '\r' || buf[i] == '\n')
			buf[i] = ' ';
	buf[n + 1] = '\r';
	buf[n + 2] = '\n';
	kvd_stats.errors++;
	kvd_error_replies++;
	buf[n + 1] = '\0';
	kvd_errorstat_count(buf + 1);
	buf[n + 1] = '\r';
	kvd_reply_raw(c, buf, (size_t)n + 3);
}

/**
 * kvd_reply_int - queue an integer reply
 * @c: the client
 * @v: the integer
 *
 * Context: main thread, inside a callback that owns @c.
 */
void kvd_reply_int(struct baton_client *c, long long v)
{
	reply_prefixed(c, ':', v);
}

/**
 * kvd_reply_array - queue an array header
 * @c: the client
 * @n: the number of elements that follow
 *
 * Context: main thread, inside a callback that owns @c.
 */
void kvd_reply_array(struct baton_client *c, long long n)
{
	reply_prefixed(c, '*', n);
}

/**
 * kvd_reply_bulk - queue a bulk string reply, copying the bytes
 * @c: the client
 * @p: the bytes
 * @len: how many
 *
 * Context: main thread, inside a callback that owns @c.
 */
void kvd_reply_bulk(struct baton_client *c, const void *p, size_t len)
{
	reply_prefixed(c, '$', (long long)len);
	kvd_reply_raw(c, p, len);
	kvd_reply_raw(c, "\r\n", 2);
}

/**
 * kvd_reply_cstr - queue a C string as a bulk string reply
 * @c: the client
 * @s: the string
 *
 * Context: main thread, inside a callback that owns @c.
 */
void kvd_reply_cstr(struct baton_client *c, const char *s)
{
	kvd_reply_bulk(c, s, strlen(s));
}

/**
 * kvd_reply_str - queue a string value as a bulk reply, zero-copy
 * @c: the client
 * @s: the value
 *
 * The reply references @s (baton_client_write_ref() takes a reference
 * that the IO worker drops once the bytes are on the wire), so the value
 * may be deleted or overwritten on main right after this returns: its
 * memory lives until the worker is done, and is then freed on main.
 *
 * Context: main thread, inside a callback that owns @c.
 */
void kvd_reply_str(struct baton_client *c, struct kvd_str *s)
{
	reply_prefixed(c, '$', (long long)s->len);
	if (baton_client_write_ref(c, &s->obj, s->bytes, s->len) == -ENOMEM)
		baton_client_close(c);
	kvd_reply_raw(c, "\r\n", 2);
}

/**
 * kvd_reply_null - queue the RESP2 null bulk string "$-1"
 * @c: the client
 *
 * Context: main thread, inside a callback that owns @c.
 */
void kvd_reply_null(struct baton_client *c)
{
	kvd_reply_raw(c, "$-1\r\n", 5);
}

/**
 * kvd_reply_null_array - queue the RESP2 null array "*-1"
 * @c: the client
 *
 * Context: main thread, inside a callback that owns @c.
 */
void kvd_reply_null_array(struct baton_client *c)
{
	kvd_reply_raw(c, "*-1\r\n", 5);
}
