// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * baton-kvd.c - the daemon's entry point: options, the baton server
 * (protocol callbacks, limits, SIGINT/SIGTERM through baton's signalfd),
 * the listeners, the run loop and a clean teardown.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include "kvd.h"

/* The server, for the commands that change it (CONFIG SET io-threads). */
struct baton_server *kvd_srv;	/* __rule(MAIN) */

struct kvd_config kvd_cfg = {	/* __rule(IMMUTABLE): its fields carry their own rules */
	.bind = "127.0.0.1",
	.port = KVD_DEFAULT_PORT,
	.io_threads = BATON_IO_WORKERS_AUTO,
	.maxclients = 10000,
	.proto_max_bulk_len = KVD_MAX_BULK_DEFAULT,
	.qbuf_limit = KVD_QBUF_DEFAULT,
	.obuf_limit = KVD_OBUF_DEFAULT,
	.protected_mode = true,
	.maxmemory_policy = KVD_EVICT_NOEVICTION,
	.maxmemory_samples = 5,
	.lfu_log_factor = 10,
	.lfu_decay_time = 1,
};

static const struct baton_proto kvd_proto = {
	.sz = sizeof(struct baton_proto),
	.parse = kvd_parse,
	.execute = kvd_execute,
	.free_req = kvd_free_req,
	.release_req = kvd_release_req,
	.connect = kvd_connect,
	.close = kvd_close,
	.tick = kvd_tick,
	.busy_msg = "-ERR max number of clients reached\r\n",
	.idle = kvd_idle,
};

static const struct baton_log_ops kvd_log = {
	.fn = baton_log_stderr,
	.max_level = BATON_LOG_WARN,
};

enum {
	OPT_PORT = 256, OPT_BIND, OPT_UNIXSOCKET, OPT_IO_THREADS, OPT_MAX_IO_THREADS,
	OPT_MAXCLIENTS, OPT_REQUIREPASS, OPT_MAX_BULK, OPT_QBUF, OPT_OBUF,
	OPT_HELP, OPT_PROTECTED_MODE, OPT_UNIXSOCKETPERM, OPT_MAXMEMORY,
	OPT_MAXMEMORY_POLICY, OPT_MAXMEMORY_SAMPLES, OPT_LFU_LOG_FACTOR,
	OPT_LFU_DECAY_TIME, OPT_TIMEOUT,
};

static const struct option options[] = {
	{ "port", required_argument, NULL, OPT_PORT },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "unixsocket", required_argument, NULL, OPT_UNIXSOCKET },
	{ "io-threads", required_argument, NULL, OPT_IO_THREADS },
	{ "max-io-threads", required_argument, NULL, OPT_MAX_IO_THREADS },
	{ "maxclients", required_argument, NULL, OPT_MAXCLIENTS },
	{ "requirepass", required_argument, NULL, OPT_REQUIREPASS },
	{ "proto-max-bulk-len", required_argument, NULL, OPT_MAX_BULK },
	{ "client-query-buffer-limit", required_argument, NULL, OPT_QBUF },
	{ "client-output-buffer-limit", required_argument, NULL, OPT_OBUF },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "protected-mode", required_argument, NULL, OPT_PROTECTED_MODE },
	{ "unixsocketperm", required_argument, NULL, OPT_UNIXSOCKETPERM },
	{ "maxmemory", required_argument, NULL, OPT_MAXMEMORY },
	{ "maxmemory-policy", required_argument, NULL, OPT_MAXMEMORY_POLICY },
	{ "maxmemory-samples", required_argument, NULL, OPT_MAXMEMORY_SAMPLES },
	{ "lfu-log-factor", required_argument, NULL, OPT_LFU_LOG_FACTOR },
	{ "lfu-decay-time", required_argument, NULL, OPT_LFU_DECAY_TIME },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

/**
 * usage - print the options
 * @f: where to
 *
 * Context: main thread.
 */
static void usage(FILE *f)
{
	fprintf(f,
"Usage: baton-kvd [options]\n"
"A key-value server speaking the Redis protocol (RESP2), built on baton.\n"
"\n"
"  --port N                  TCP port (default %u; 0: no TCP listener)\n"
"  --bind ADDR               numeric IPv4/IPv6 address (default 127.0.0.1)\n"
"  --unixsocket PATH         also listen on a Unix socket\n"
"  --unixsocketperm OCTAL    its permissions (e.g. 700; default 0: umask's)\n"
"  --io-threads N|auto       IO worker threads, 0-%d (0: the main thread\n"
"                            does the IO), or auto (the default): the main\n"
"                            thread does the IO until it is busy, then IO\n"
"                            threads join, up to online CPUs - 1\n"
"  --max-io-threads N        the most IO worker threads CONFIG SET\n"
"                            io-threads may ask for (default: online\n"
"                            CPUs - 1, at least 1, at least --io-threads)\n"
"  --maxclients N            refuse connections beyond N (default 10000)\n"
"  --requirepass PASS        clients must AUTH with PASS first\n"
"  --proto-max-bulk-len B    longest string in a request (default 512m)\n"
"  --client-query-buffer-limit B\n"
"                            unparsed bytes per client (default 1g)\n"
"  --client-output-buffer-limit B\n"
"                            queued reply bytes per client (default 1g)\n"
"  --protected-mode yes|no   without a password, refuse peers other than\n"
"                            127.0.0.1, ::1 and the Unix socket (default yes)\n"
"  --maxmemory BYTES         evict (or refuse writes) past this much memory\n"
"                            (default 0: no limit)\n"
"  --maxmemory-policy P      noeviction (default), allkeys-lru, allkeys-lfu,\n"
"                            allkeys-random, volatile-lru, volatile-lfu,\n"
"                            volatile-random, volatile-ttl\n"
"  --maxmemory-samples N     keys sampled per LRU/LFU eviction (default 5)\n"
"  --lfu-log-factor N        LFU counter growth, as Redis (default 10)\n"
"  --lfu-decay-time MIN      LFU counter decay period, as Redis (default 1)\n"
"  --timeout N               close a client idle for N seconds (default 0:\n"
"                            never; subscribers, blocked clients and\n"
"                            monitors are spared)\n"
"  --help                    this text\n"
"\n"
"Sizes take a k, m or g suffix (powers of 1024), except --maxmemory's,\n"
"read as Redis reads them (k = 1000, kb = 1024).  SIGINT (Ctrl-C) or\n"
"SIGTERM stops the server cleanly.\n",
		KVD_DEFAULT_PORT, BATON_STATS_MAX_WORKERS);
}

/**
 * parse_num - a whole number with an optional k/m/g suffix
 * @s: the text
 * @min: the smallest value allowed
 * @max: the largest
 * @out: the value
 *
 * Context: main thread.
 * Return: 0, or -EINVAL.
 */
static int parse_num(const char *s, unsigned long long min,
		     unsigned long long max, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end) {
		switch (*end | 0x20) {
		case 'k': mul = 1ULL << 10; break;
		case 'm': mul = 1ULL << 20; break;
		case 'g': mul = 1ULL << 30; break;
		default: return -EINVAL;
		}
		if (end[1] && !((end[1] | 0x20) == 'b' && !end[2]))
			return -EINVAL;
	}
	if (v > ULLONG_MAX / mul)
		return -EINVAL;
	v *= mul;
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/**
 * parse_octal - Redis's unixsocketperm: an octal number up to 0777
 * @s: the text
 * @out: the value
 *
 * Context: main thread.
 * Return: 0, or -EINVAL.
 */
static int parse_octal(const char *s, unsigned int *out)
{
	unsigned int v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '7' || v > 0777)
			return -EINVAL;
		v = v * 8 + (unsigned int)(*s - '0');
	}
	if (v > 0777)
		return -EINVAL;
	*out = v;
	return 0;
}

/**
 * kvd_parse_yesno - a Redis boolean: "yes" or "no", in any case
 * @s: the text
 * @out: the value
 *
 * Context: any thread.
 * Return: 0, or -EINVAL.
 */
int kvd_parse_yesno(const char *s, bool *out)
{
	if (!strcasecmp(s, "yes"))
		*out = true;
	else if (!strcasecmp(s, "no"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/**
 * parse_options - fill kvd_cfg from the command line
 * @argc: the argument count
 * @argv: the arguments
 *
 * Context: main thread, before the server exists.
 * Return: 0 to run, 1 after --help, -EINVAL after printing what is wrong.
 */
static int parse_options(int argc, char **argv)	/* __init_fn */
{
	unsigned long long v;
	int opt;

	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		int err = 0;

		switch (opt) {
		case OPT_PORT:
			err = parse_num(optarg, 0, 65535, &v);
			kvd_cfg.port = (unsigned int)v;
			break;
		case OPT_BIND:
			kvd_cfg.bind = optarg;
			break;
		case OPT_UNIXSOCKET:
			kvd_cfg.unixsocket = optarg;
			break;
		case OPT_MAX_IO_THREADS:
			err = parse_num(optarg, 1, BATON_STATS_MAX_WORKERS, &v);
			kvd_cfg.max_io_threads = (int)v;
			break;
		case OPT_IO_THREADS:
			if (!strcmp(optarg, "auto")) {
				kvd_cfg.io_threads = BATON_IO_WORKERS_AUTO;
				break;
			}
			err = parse_num(optarg, 0, BATON_STATS_MAX_WORKERS, &v);
			kvd_cfg.io_threads = (int)v;
			break;
		case OPT_MAXCLIENTS:
			err = parse_num(optarg, 1, 1000000, &v);
			kvd_cfg.maxclients = (unsigned int)v;
			break;
		case OPT_REQUIREPASS:
			kvd_cfg.requirepass = *optarg ? optarg : NULL;
			break;
		case OPT_MAX_BULK:
			err = parse_num(optarg, 1, 1ULL << 40, &v);
			atomic_store_explicit(&kvd_cfg.proto_max_bulk_len,
					      (long long)v, memory_order_relaxed);
			break;
		case OPT_QBUF:
			err = parse_num(optarg, 1ULL << 20, 1ULL << 40, &v);
			kvd_cfg.qbuf_limit = (size_t)v;
			break;
		case OPT_OBUF:
			err = parse_num(optarg, 1ULL << 20, 1ULL << 40, &v);
			kvd_cfg.obuf_limit = (size_t)v;
			break;
		case OPT_TIMEOUT:
			err = parse_num(optarg, 0, INT_MAX, &v);
			kvd_cfg.timeout = (unsigned int)v;
			break;
		case OPT_UNIXSOCKETPERM:
			err = parse_octal(optarg, &kvd_cfg.unixsocketperm);
			break;
		case OPT_MAXMEMORY:
			err = kvd_parse_memory(optarg, &kvd_cfg.maxmemory);
			break;
		case OPT_MAXMEMORY_POLICY:
			err = kvd_evict_policy_parse(optarg,
						     &kvd_cfg.maxmemory_policy);
			break;
		case OPT_MAXMEMORY_SAMPLES:
			err = parse_num(optarg, 1, INT_MAX, &v);
			kvd_cfg.maxmemory_samples = (int)v;
			break;
		case OPT_LFU_LOG_FACTOR:
			err = parse_num(optarg, 0, INT_MAX, &v);
			kvd_cfg.lfu_log_factor = (int)v;
			break;
		case OPT_LFU_DECAY_TIME:
			err = parse_num(optarg, 0, INT_MAX, &v);
			kvd_cfg.lfu_decay_time = (int)v;
			break;
		case OPT_PROTECTED_MODE:
			err = kvd_parse_yesno(optarg, &kvd_cfg.protected_mode);
			break;
		case OPT_HELP:
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (err) {
			fprintf(stderr, "baton-kvd: bad value '%s' for --%s\n",
				optarg, options[opt - OPT_PORT].name);
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "baton-kvd: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	if (!kvd_cfg.port && !kvd_cfg.unixsocket) {
		fprintf(stderr, "baton-kvd: --port 0 needs --unixsocket\n");
		return -EINVAL;
	}
	return 0;
}

/**
 * start_listening - open the TCP and Unix listeners
 * @s: the server
 *
 * Context: main thread, before baton_server_run().
 * Return: 0, or the -errno of the listener that failed (printed).
 */
static int start_listening(struct baton_server *s)
{
	int err;

	if (kvd_cfg.port) {
		err = baton_server_listen_tcp(s, kvd_cfg.bind,
					      (unsigned short)kvd_cfg.port, NULL);
		if (err) {
			fprintf(stderr, "baton-kvd: cannot listen on %s:%u: %s\n",
				kvd_cfg.bind, kvd_cfg.port, strerror(-err));
			return err;
		}
	}
	if (kvd_cfg.unixsocket) {
		err = baton_server_listen_unix(s, kvd_cfg.unixsocket);
		if (err) {
			fprintf(stderr, "baton-kvd: cannot listen on %s: %s\n",
				kvd_cfg.unixsocket, strerror(-err));
			return err;
		}
		/* As Redis: after bind, and only when a mode was given. */
		if (kvd_cfg.unixsocketperm &&
		    chmod(kvd_cfg.unixsocket, kvd_cfg.unixsocketperm)) {
			err = -errno;
			fprintf(stderr, "baton-kvd: cannot chmod %s: %s\n",
				kvd_cfg.unixsocket, strerror(-err));
			return err;
		}
	}
	return 0;
}

/**
 * print_banner - the one line that says where kvd listens
 *
 * Context: main thread.
 */
static void print_banner(void)
{
	const char *v6 = strchr(kvd_cfg.bind, ':') ? "[" : "";

	printf("baton-kvd: listening on ");
	if (kvd_cfg.port)
		printf("%s%s%s:%u", v6, kvd_cfg.bind, *v6 ? "]" : "",
		       kvd_cfg.port);
	if (kvd_cfg.unixsocket)
		printf("%s%s", kvd_cfg.port ? " and " : "", kvd_cfg.unixsocket);
	if (kvd_cfg.io_threads == BATON_IO_WORKERS_AUTO)
		printf(" (io threads: auto)");
	else
		printf(" (%d io thread%s)", kvd_cfg.io_threads,
		       kvd_cfg.io_threads == 1 ? "" : "s");
	printf("; Ctrl-C or SIGTERM to stop\n");
	fflush(stdout);
}

/**
 * main - run baton-kvd until SIGINT or SIGTERM
 * @argc: the argument count
 * @argv: the arguments
 *
 * Teardown order: baton_server_run() returns with every client closed;
 * the keyspace is freed next (this thread is the server's main thread
 * until destroy, so its values' main-only frees run at once), and
 * baton_server_destroy() waits for the last grace period, so the process
 * exits with nothing allocated.
 *
 * Context: the process's first thread, which becomes baton's main thread.
 * Return: 0 after a clean stop, 1 when the server could not start or its
 * loop failed, 2 for bad options.
 */
int main(int argc, char **argv)
{
	struct baton_server_opts opts = { .sz = sizeof(opts) };
	struct baton_server *s;
	int err;

	err = parse_options(argc, argv);
	if (err)
		return err > 0 ? 0 : 2;
	signal(SIGPIPE, SIG_IGN);
	baton_log_set(&kvd_log);
	if (kvd_types_register() || kvd_fanout_register() ||
	    kvd_store_init(&kvd_db) ||
	    kvd_cmdstats_init()) {
		fprintf(stderr, "baton-kvd: cannot initialize the keyspace\n");
		kvd_store_free(&kvd_db);
		kvd_cmdstats_free();
		return 1;
	}
	kvd_stats.start_ms = kvd_stats.ops_mark_ms = kvd_now_ms();

	opts.proto = &kvd_proto;
	opts.nr_io_workers = kvd_cfg.io_threads;
	opts.max_io_workers = kvd_cfg.max_io_threads;
	opts.max_clients = kvd_cfg.maxclients;
	opts.qbuf_limit = kvd_cfg.qbuf_limit;
	opts.obuf_limit = kvd_cfg.obuf_limit;
	opts.tick_hz = KVD_HZ;
	opts.idle_timeout_ms = (uint64_t)kvd_cfg.timeout * 1000;
	opts.stop_signals = true;
	err = baton_server_create(&opts, &s);
	if (err) {
		fprintf(stderr, "baton-kvd: cannot create the server: %s\n",
			strerror(-err));
		kvd_store_free(&kvd_db);
		kvd_cmdstats_free();
		return 1;
	}
	kvd_srv = s;
	err = start_listening(s);
	if (!err) {
		print_banner();
		err = baton_server_run(s);
		if (err)
			fprintf(stderr, "baton-kvd: the main loop failed: %s\n",
				strerror(-err));
	}
	kvd_store_free(&kvd_db);
	kvd_evict_free();
	baton_server_destroy(s);
	kvd_config_free();
	kvd_cmdstats_free();
	return err ? 1 : 0;
}
