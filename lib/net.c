// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * net.c - listening sockets and accept, with the peer's address as text.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <baton/fault.h>
#include <baton/net.h>

#define LISTEN_BACKLOG	511

/**
 * net_listen_tcp - a non-blocking TCP listener on @addr:@port
 * @addr: numeric IPv4 or IPv6 address, NULL for 127.0.0.1
 * @port: port, 0 for any
 * @bound: receives the bound port when not NULL
 *
 * Context: any thread.
 * Return: the socket, or -EINVAL for a bad address, or -errno.
 */
int net_listen_tcp(const char *addr, unsigned short port, unsigned short *bound)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd, one = 1, err;

	if (!addr)
		addr = "127.0.0.1";
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &a6->sin6_addr) != 1)
			return -EINVAL;
		sl = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &a4->sin_addr) != 1)
			return -EINVAL;
		sl = sizeof(*a4);
	}

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0)
		goto out_close;
	if (bound) {
		sl = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
			goto out_close;
		*bound = ntohs(ss.ss_family == AF_INET6 ?
			       ((struct sockaddr_in6 *)&ss)->sin6_port :
			       ((struct sockaddr_in *)&ss)->sin_port);
	}
	return fd;

out_close:
	err = -errno;
	close(fd);
	return err;
}

/**
 * net_listen_unix - a non-blocking listener on a Unix socket path
 * @path: the path; a stale socket file there is removed first
 *
 * Context: any thread.
 * Return: the socket, -ENAMETOOLONG, -EEXIST when @path is not a socket,
 * or -errno.
 */
int net_listen_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/**
 * net_accept - accept one connection, non-blocking, and describe the peer
 * @lfd: the listener
 * @unix_path: the socket path when @lfd is a Unix socket, else NULL
 * @peer: receives "addr:port", "[addr]:port" or "path:0" (as Redis does)
 * @peerlen: size of @peer
 *
 * Context: main thread (the listeners are main's).
 * Return: the new socket, or -errno (-EAGAIN when none is waiting).
 */
int net_accept(int lfd, const char *unix_path, char *peer, size_t peerlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN];
	int fd, one = 1;

	fd = bt_accept4(lfd, (struct sockaddr *)&ss, &sl,
			SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (unix_path) {
		snprintf(peer, peerlen, "%s:0", unix_path);
		return fd;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &a6->sin6_addr, host, sizeof(host));
		snprintf(peer, peerlen, "[%s]:%u", host, ntohs(a6->sin6_port));
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &a4->sin_addr, host, sizeof(host));
		snprintf(peer, peerlen, "%s:%u", host, ntohs(a4->sin_port));
	}
	return fd;
}
