// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * protect.c - protected mode: whether a new connection is refused
 * because no password is set and it does not come from the loopback
 * interface, decided the way Redis 7.0 decides it.
 *
 * Redis 7.0 looks at three things only: the protected-mode setting,
 * whether the default user needs a password, and the peer.  A peer is
 * local when it came over the Unix socket, or when its address is
 * exactly 127.0.0.1 or ::1 (127.0.0.2 is refused, as is an IPv4-mapped
 * ::ffff:127.0.0.1).  The bind address plays no part: Redis 6 accepted
 * everyone when "bind" was set, Redis 7.0 no longer does.
 */
#include <string.h>
#include "kvd.h"

/* Redis 7.0's reply to a connection protected mode refuses, word for word. */
const char kvd_denied_msg[] =
	"-DENIED Redis is running in protected mode because protected "
	"mode is enabled and no password is set for the default user. "
	"In this mode connections are only accepted from the loopback "
	"interface. If you want to connect from external computers to "
	"Redis you may adopt one of the following solutions: 1) Just "
	"disable protected mode sending the command 'CONFIG SET "
	"protected-mode no' from the loopback interface by connecting "
	"to Redis from the same host the server is running, however "
	"MAKE SURE Redis is not publicly accessible from internet if "
	"you do so. Use CONFIG REWRITE to make this change permanent. "
	"2) Alternatively you can just disable the protected mode by "
	"editing the Redis configuration file, and setting the "
	"protected mode option to 'no', and then restarting the server. "
	"3) If you started the server manually just for testing, "
	"restart it with the '--protected-mode no' option. 4) Setup a "
	"an authentication password for the default user. NOTE: You "
	"only need to do one of the above things in order for the "
	"server to start accepting connections from the outside.\r\n";

/**
 * peer_host - the address part of a peer as baton writes it
 * @peer: "1.2.3.4:port" or "[v6]:port"
 * @host: where the address goes, NUL-terminated
 * @size: its size
 *
 * Context: any thread.
 * Return: true when @peer has that form and the address fits.
 */
static bool peer_host(const char *peer, char *host, size_t size)
{
	const char *start = peer, *end;

	if (*peer == '[') {
		start = peer + 1;
		end = strchr(start, ']');
		if (!end || end[1] != ':')
			return false;
	} else {
		end = strrchr(peer, ':');
		if (!end)
			return false;
	}
	if ((size_t)(end - start) >= size)
		return false;
	memcpy(host, start, (size_t)(end - start));
	host[end - start] = '\0';
	return true;
}

/**
 * kvd_protected_refuses - whether protected mode refuses a connection
 * @peer: the peer as baton_client_peer() gives it ("127.0.0.1:5000",
 *	"[::1]:5000", or "<unix socket path>:0")
 * @unixsocket: the path of kvd's Unix socket, or NULL when it has none:
 *	a peer equal to "<path>:0" came over it (a TCP peer never has port 0)
 * @has_password: a password is needed to AUTH (requirepass is set)
 * @protected_mode: the protected-mode setting
 *
 * A pure function of its arguments, so that the selftest can give it
 * every case without a non-loopback interface.
 *
 * Context: any thread.
 * Return: true when the connection must get KVD_DENIED_MSG and be closed.
 */
bool kvd_protected_refuses(const char *peer, const char *unixsocket,
			   bool has_password, bool protected_mode)
{
	char host[64];
	size_t n;

	if (!protected_mode || has_password)
		return false;
	if (unixsocket) {
		n = strlen(unixsocket);
		if (!strncmp(peer, unixsocket, n) && !strcmp(peer + n, ":0"))
			return false;
	}
	if (!peer_host(peer, host, sizeof(host)))
		return true;
	return strcmp(host, "127.0.0.1") && strcmp(host, "::1");
}
