// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_protect.c - selftest of baton-kvd's protected-mode decision
 * (tools/kvd/protect.c), a pure function, given every kind of peer:
 * IPv4 and IPv6, the two loopback addresses Redis 7.0 accepts, other
 * 127.x addresses it refuses, Unix socket peers, malformed text.
 *
 * protect.c is compiled into this test directly: it needs nothing of
 * the daemon but its header.
 */
#include <stdbool.h>
#include <string.h>
#include "../common/cunit.h"
#include "../../tools/kvd/protect.c"

#define SOCK	"/tmp/kvd.sock"

/* Refused with protected mode on and no password; allowed otherwise. */
static bool refused_only_when_open(const char *peer)
{
	bool r = kvd_protected_refuses(peer, SOCK, false, true);

	CU_ASSERT_FALSE(kvd_protected_refuses(peer, SOCK, true, true));
	CU_ASSERT_FALSE(kvd_protected_refuses(peer, SOCK, false, false));
	CU_ASSERT_FALSE(kvd_protected_refuses(peer, SOCK, true, false));
	return r;
}

static void test_loopback_allowed(void)
{
	CU_ASSERT_FALSE(refused_only_when_open("127.0.0.1:5000"));
	CU_ASSERT_FALSE(refused_only_when_open("127.0.0.1:1"));
	CU_ASSERT_FALSE(refused_only_when_open("[::1]:6380"));
	CU_ASSERT_FALSE(kvd_protected_refuses("127.0.0.1:5000", NULL, false,
					      true));
	CU_ASSERT_FALSE(kvd_protected_refuses("[::1]:5000", NULL, false,
					      true));
}

static void test_other_ipv4_refused(void)
{
	CU_ASSERT_TRUE(refused_only_when_open("192.0.2.2:40000"));
	CU_ASSERT_TRUE(refused_only_when_open("10.1.2.3:22"));
	CU_ASSERT_TRUE(refused_only_when_open("0.0.0.0:1"));
	/* Redis 7.0 compares with 127.0.0.1 exactly: other 127.x too. */
	CU_ASSERT_TRUE(refused_only_when_open("127.0.0.2:5000"));
	CU_ASSERT_TRUE(refused_only_when_open("127.1.2.3:5000"));
	CU_ASSERT_TRUE(refused_only_when_open("127.0.0.10:5000"));
	CU_ASSERT_TRUE(refused_only_when_open("127.0.0.1.5:5000"));
}

static void test_other_ipv6_refused(void)
{
	CU_ASSERT_TRUE(refused_only_when_open("[fd00::2]:40000"));
	CU_ASSERT_TRUE(refused_only_when_open("[fe80::1]:1"));
	CU_ASSERT_TRUE(refused_only_when_open("[::]:1"));
	CU_ASSERT_TRUE(refused_only_when_open("[::ffff:127.0.0.1]:1"));
	CU_ASSERT_TRUE(refused_only_when_open("[::1:1]:1"));
	CU_ASSERT_TRUE(refused_only_when_open("[2001:db8::1]:443"));
}

static void test_unix_socket_allowed(void)
{
	CU_ASSERT_FALSE(refused_only_when_open(SOCK ":0"));
	/* A relative path that reads like an address is still the socket. */
	CU_ASSERT_FALSE(kvd_protected_refuses("10.0.0.1:0", "10.0.0.1", false,
					      true));
	/* Another path, or no Unix socket configured: not ours. */
	CU_ASSERT_TRUE(refused_only_when_open(SOCK "2:0"));
	CU_ASSERT_TRUE(refused_only_when_open("/tmp/kvd.soc:0"));
	CU_ASSERT_TRUE(kvd_protected_refuses(SOCK ":0", NULL, false, true));
	/* Only port 0 marks the socket: a TCP peer never has it. */
	CU_ASSERT_TRUE(kvd_protected_refuses(SOCK ":1", SOCK, false, true));
}

static void test_malformed_refused(void)
{
	CU_ASSERT_TRUE(refused_only_when_open(""));
	CU_ASSERT_TRUE(refused_only_when_open("127.0.0.1"));
	CU_ASSERT_TRUE(refused_only_when_open("[::1"));
	CU_ASSERT_TRUE(refused_only_when_open("[::1]"));
	CU_ASSERT_TRUE(refused_only_when_open("[::1]5000"));
	CU_ASSERT_TRUE(refused_only_when_open(
		"[0000:0000:0000:0000:0000:0000:0000:0000:0000:0001]:1"));
}

static void test_denied_text(void)
{
	size_t n = strlen(kvd_denied_msg);

	CU_ASSERT_EQUAL(n, 1067);
	CU_ASSERT_EQUAL(strncmp(kvd_denied_msg, "-DENIED Redis is running in "
				"protected mode because protected mode is "
				"enabled and no password is set for the default "
				"user.", 121), 0);
	CU_ASSERT_EQUAL(strcmp(kvd_denied_msg + n - 31,
			       "connections from the outside.\r\n"), 0);
	CU_ASSERT_PTR_NULL(memchr(kvd_denied_msg, '\n', n - 1));
}

static const struct cunit_test tests[] = {
	CUNIT_TEST(test_loopback_allowed),
	CUNIT_TEST(test_other_ipv4_refused),
	CUNIT_TEST(test_other_ipv6_refused),
	CUNIT_TEST(test_unix_socket_allowed),
	CUNIT_TEST(test_malformed_refused),
	CUNIT_TEST(test_denied_text),
};

int main(void)
{
	return cunit_run("kvd_protect", tests,
			 sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
