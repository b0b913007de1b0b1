/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wake.h - an eventfd that wakes one thread sleeping in epoll_wait, sent
 * once per empty->non-empty transition of the queue it watches.
 */
#ifndef _BATON_WAKE_H
#define _BATON_WAKE_H

#include <stdatomic.h>
#include <baton/compiler.h>
#include <baton/evsrc.h>

/**
 * struct baton_wake - an eventfd that wakes one sleeping thread
 * @src: IMMUTABLE: the epoll tag (EVSRC_WAKE)
 * @fd: IMMUTABLE: the eventfd; any thread writes it, its owner reads it
 * @writes: ATOMIC: wakes sent, for statistics (relaxed)
 */
struct baton_wake {
	struct evsrc src		__rule(IMMUTABLE);
	int fd				__rule(IMMUTABLE);
	_Atomic unsigned long writes	__rule(ATOMIC);
} __shared_struct;

int wake_init(struct baton_wake *wk) __init_fn;
int wake_epoll_add(struct baton_wake *wk, int epfd);
void wake_destroy(struct baton_wake *wk) __fini_fn;
void wake_up(struct baton_wake *wk);

#endif /* _BATON_WAKE_H */
