/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * net.h - listening sockets and accept, with the peer's address as text.
 */
#ifndef _BATON_NET_H
#define _BATON_NET_H

#include <stddef.h>

int net_listen_tcp(const char *addr, unsigned short port, unsigned short *bound);
int net_listen_unix(const char *path);
int net_accept(int lfd, const char *unix_path, char *peer, size_t peerlen);

#endif /* _BATON_NET_H */
