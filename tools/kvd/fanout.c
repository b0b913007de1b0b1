// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fanout.c - output main sends to many clients that did not ask for it
 * (a pub/sub message, a MONITOR line): serialized once, then written to
 * each receiver wherever it is.
 *
 * A message of KVD_FANOUT_SMALL bytes or more is one refcounted baton
 * object (type "kvd-message") holding the bytes: baton_client_write_ref()
 * gives each receiver a reference and copies nothing, and the IO worker
 * that sent the last copy drops the last reference.  The type's free is
 * a plain free(), thread-safe, so baton frees the object on whichever
 * thread puts it last, without a trip through main's deferred-free
 * queue.  A smaller message is built on the stack and copied into each
 * receiver's output, as baton would copy it anyway below 256 bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

/**
 * struct kvd_msg - a message in a refcounted object
 * @obj: the baton object header (its count is ATOMIC, baton's contract)
 * @bytes: IMMUTABLE once the message is first written to a client
 */
struct kvd_msg {
	struct baton_obj obj;		/* __rule(IMMUTABLE) */
	char bytes[];			/* __rule(IMMUTABLE) */
} /* __shared_struct */;

/**
 * msg_free - free a message once its last reference is gone
 * @obj: the message's baton object
 *
 * It touches nothing but the message's own memory.
 *
 * Context: may run on an IO worker, the main thread or the RCU callback
 * thread; must be thread-safe; not serialized with the main thread.
 */
static void msg_free(struct baton_obj *obj)
{
	free(baton_container_of(obj, struct kvd_msg, obj));
}

static struct baton_type msg_type = {	/* __rule(IMMUTABLE) */
	.name = "kvd-message",
	.free = msg_free,
	.flags = BATON_TYPE_FREE_ANY_THREAD,
};

/**
 * kvd_fanout_register - register the message type
 *
 * Context: main thread, before the server runs.
 * Return: 0 or -EINVAL.
 */
int kvd_fanout_register(void)
{
	return baton_type_register(&msg_type);
}

/**
 * kvd_fanout_init - start a message of exactly @len bytes
 * @f: the message
 * @len: its size
 *
 * Context: main thread.
 * Return: 0, or -ENOMEM.
 */
int kvd_fanout_init(struct kvd_fanout *f, size_t len)
{
	f->msg = NULL;
	f->len = 0;
	f->cap = len;
	f->p = f->small;
	if (len < KVD_FANOUT_SMALL)
		return 0;
	f->msg = malloc(sizeof(*f->msg) + len);
	if (!f->msg)
		return -ENOMEM;
	if (baton_obj_init(&f->msg->obj, &msg_type)) {
		free(f->msg);
		f->msg = NULL;
		return -ENOMEM;
	}
	f->p = f->msg->bytes;
	return 0;
}

/**
 * kvd_fanout_add - append bytes to the message
 * @f: the message
 * @p: the bytes
 * @n: how many; the total stays within the size given to
 *	kvd_fanout_init()
 *
 * Context: main thread, before the message is sent.
 */
void kvd_fanout_add(struct kvd_fanout *f, const void *p, size_t n)
{
	if (n > f->cap - f->len)
		n = f->cap - f->len;	/* a caller's bug; never overrun */
	memcpy(f->p + f->len, p, n);
	f->len += n;
}

/**
 * kvd_fanout_header - append a RESP header "<type><n>\r\n"
 * @f: the message
 * @type: '*' or '$'
 * @n: the count or length
 *
 * Context: main thread, before the message is sent.
 */
void kvd_fanout_header(struct kvd_fanout *f, char type, size_t n)
{
	char buf[32];
	size_t i = sizeof(buf);

	buf[--i] = '\n';
	buf[--i] = '\r';
	do {
		buf[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	buf[--i] = type;
	kvd_fanout_add(f, buf + i, sizeof(buf) - i);
}

/**
 * kvd_fanout_bulk - append a RESP bulk string
 * @f: the message
 * @p: the bytes
 * @n: how many
 *
 * Context: main thread, before the message is sent.
 */
void kvd_fanout_bulk(struct kvd_fanout *f, const void *p, size_t n)
{
	kvd_fanout_header(f, '$', n);
	kvd_fanout_add(f, p, n);
	kvd_fanout_add(f, "\r\n", 2);
}

/**
 * kvd_header_len - the bytes of "<type><n>\r\n"
 * @n: the count or length
 *
 * Context: any thread.
 * Return: the size.
 */
size_t kvd_header_len(size_t n)
{
	size_t digits = 1;

	while (n >= 10) {
		n /= 10;
		digits++;
	}
	return 1 + digits + 2;
}

/**
 * kvd_fanout_send - write the message to one receiver
 * @f: the complete message
 * @c: the receiver, with main or not
 *
 * The receiver's output limits apply: one that does not read is closed
 * (baton_client_set_limits()).
 *
 * Context: main thread.
 * Return: 0, or baton's -errno (the client is closing or was closed).
 */
int kvd_fanout_send(struct kvd_fanout *f, struct baton_client *c)
{
	if (!f->msg)
		return baton_client_write(c, f->p, f->len);
	return baton_client_write_ref(c, &f->msg->obj, f->p, f->len);
}

/**
 * kvd_fanout_done - drop the sender's reference; the receivers keep theirs
 * @f: the message
 *
 * Context: main thread.
 */
void kvd_fanout_done(struct kvd_fanout *f)
{
	if (f->msg)
		baton_obj_put(&f->msg->obj);
	f->msg = NULL;
}
