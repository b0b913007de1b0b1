// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * buf.c - a growable text buffer for replies built in pieces (INFO,
 * CLIENT LIST); it remembers a failed allocation instead of failing each
 * append.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

/**
 * buf_reserve - make room for @n more bytes and a NUL
 * @b: the buffer
 * @n: the bytes
 *
 * Context: main thread.
 * Return: true when there is room.
 */
static bool buf_reserve(struct kvd_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

/**
 * kvd_buf_add - append bytes
 * @b: the buffer
 * @s: the bytes
 * @n: how many
 *
 * Context: main thread.
 */
void kvd_buf_add(struct kvd_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/**
 * kvd_buf_printf - append formatted text
 * @b: the buffer
 * @fmt: the format
 * @...: its arguments
 *
 * Context: main thread.
 */
void kvd_buf_printf(struct kvd_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!buf_reserve(b, 128))
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		if (!buf_reserve(b, (size_t)n))
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/**
 * kvd_buf_reply - reply the buffer as a bulk string and free it
 * @b: the buffer
 * @c: the client
 *
 * Replies "-ERR out of memory" instead when an append failed.
 *
 * Context: main thread.
 */
void kvd_buf_reply(struct kvd_buf *b, struct baton_client *c)
{
	if (b->oom)
		kvd_reply_error(c, KVD_ERR_OOM);
	else
		kvd_reply_bulk(c, b->p ? b->p : "", b->len);
	kvd_buf_free(b);
}

/**
 * kvd_buf_free - free the buffer's memory
 * @b: the buffer
 *
 * Context: main thread.
 */
void kvd_buf_free(struct kvd_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
