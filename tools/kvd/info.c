// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * info.c - INFO: the server, clients, memory, stats, cpu, commandstats,
 * errorstats and keyspace sections Redis clients read, and a "baton" section with the library's own
 * counters (handoffs, batches, deferred and grace-period frees, per-worker
 * clients), from baton_server_stats().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include "kvd.h"

enum info_section {
	INFO_SERVER	= 1u << 0,
	INFO_CLIENTS	= 1u << 1,
	INFO_MEMORY	= 1u << 2,
	INFO_STATS	= 1u << 3,
	INFO_KEYSPACE	= 1u << 4,
	INFO_BATON	= 1u << 5,
	INFO_CPU	= 1u << 6,
	INFO_CMDSTATS	= 1u << 7,
	INFO_ERRSTATS	= 1u << 8,
	INFO_ALL	= (1u << 9) - 1,
	/* As in Redis, commandstats only when asked for or with all. */
	INFO_DEFAULT	= INFO_ALL & ~INFO_CMDSTATS,
};

/*
 * baton's counters at the last CONFIG RESETSTAT: INFO shows what they
 * gained since (baton's own counters are never reset).  Main only.
 */
static struct {
	uint64_t accepted;
	uint64_t rejected;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t qbuf_closes;
	uint64_t obuf_closes;
	uint64_t protocol_errors;
} base;

static const struct {
	const char *name;
	unsigned int bit;
} info_names[] = {
	{ "server", INFO_SERVER },
	{ "clients", INFO_CLIENTS },
	{ "memory", INFO_MEMORY },
	{ "stats", INFO_STATS },
	{ "keyspace", INFO_KEYSPACE },
	{ "baton", INFO_BATON },
	{ "cpu", INFO_CPU },
	{ "commandstats", INFO_CMDSTATS },
	{ "errorstats", INFO_ERRSTATS },
	{ "all", INFO_ALL },
	{ "everything", INFO_ALL },
	{ "default", INFO_DEFAULT },
};

/**
 * human_bytes - format a byte count as Redis's *_human fields do
 * @buf: where the text goes
 * @size: its size
 * @n: the bytes
 *
 * Context: any thread.
 * Return: @buf.
 */
static const char *human_bytes(char *buf, size_t size, size_t n)
{
	static const char units[] = "BKMGTP";
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%zuB", n);
	else
		snprintf(buf, size, "%.2f%c", v, units[u]);
	return buf;
}

/**
 * section_header - start a section ("# Name"), after a blank line if
 * another came before
 * @b: the text
 * @name: the section's title
 *
 * Context: main thread.
 */
static void section_header(struct kvd_buf *b, const char *name)
{
	if (b->len)
		kvd_buf_add(b, "\r\n", 2);
	kvd_buf_printf(b, "# %s\r\n", name);
}

/**
 * info_server - the Server section
 * @b: the text
 * @s: the server
 * @now: kvd_now_ms()
 *
 * Context: main thread.
 */
static void info_server(struct kvd_buf *b, struct baton_server *s, int64_t now)
{
	struct utsname u;
	int64_t up = (now - kvd_stats.start_ms) / 1000;

	if (uname(&u))
		memset(&u, 0, sizeof(u));
	section_header(b, "Server");
	kvd_buf_printf(b, "redis_version:%s\r\n"
		       "baton_kvd_version:%s\r\n"
		       "redis_mode:standalone\r\n"
		       "os:%s %s %s\r\n"
		       "arch_bits:%zu\r\n"
		       "multiplexing_api:epoll\r\n"
		       "process_id:%ld\r\n"
		       "tcp_port:%u\r\n"
		       "uptime_in_seconds:%lld\r\n"
		       "uptime_in_days:%lld\r\n"
		       "hz:%d\r\n"
		       "io_threads_active:%d\r\n",
		       KVD_REDIS_VERSION, KVD_VERSION, u.sysname, u.release,
		       u.machine, sizeof(void *) * 8, (long)getpid(),
		       kvd_cfg.port, (long long)up, (long long)up / 86400,
		       KVD_HZ, baton_server_nr_io_workers(s) > 0);
}

/**
 * info_clients - the Clients section
 * @b: the text
 * @st: baton's counters
 *
 * Context: main thread.
 */
static void info_clients(struct kvd_buf *b, const struct baton_stats *st)
{
	size_t subscribed, channels, patterns;

	kvd_pubsub_counts(&subscribed, &channels, &patterns);
	section_header(b, "Clients");
	kvd_buf_printf(b, "connected_clients:%llu\r\n"
		       "maxclients:%u\r\n"
		       "blocked_clients:%zu\r\n"
		       "pubsub_clients:%zu\r\n",
		       (unsigned long long)st->clients, kvd_cfg.maxclients,
		       kvd_block_count(), subscribed);
}

/**
 * process_rss - the process's resident memory
 *
 * Context: any thread.
 * Return: bytes, or 0 when /proc cannot tell.
 */
static size_t process_rss(void)
{
	unsigned long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	return n == 2 ? resident * (size_t)sysconf(_SC_PAGESIZE) : 0;
}

/**
 * info_memory - the Memory section
 * @b: the text
 * @s: the server (every client's queued output is counted again)
 *
 * used_memory is kvd's own count of what the keyspace holds (keys,
 * values, tables: the bytes asked of malloc) and of the output queued
 * for clients (mem_clients_normal), the figure maxmemory limits; the
 * fragmentation ratio is the process's RSS over it, as Redis
 * computes it, so it also covers the allocator's overhead, the IO
 * buffers and the code.
 *
 * Context: main thread.
 */
static void info_memory(struct kvd_buf *b, struct baton_server *s)
{
	size_t used, peak, rss = process_rss();
	size_t sys = (size_t)sysconf(_SC_PHYS_PAGES) *
		     (size_t)sysconf(_SC_PAGESIZE);
	char h[5][32];

	kvd_mem_clients_refresh(s, true);
	used = kvd_mem_used();
	peak = kvd_stats.peak_memory;
	section_header(b, "Memory");
	kvd_buf_printf(b, "used_memory:%zu\r\n"
		       "used_memory_human:%s\r\n"
		       "used_memory_rss:%zu\r\n"
		       "used_memory_rss_human:%s\r\n"
		       "used_memory_peak:%zu\r\n"
		       "used_memory_peak_human:%s\r\n"
		       "used_memory_peak_perc:%.2f%%\r\n"
		       "total_system_memory:%zu\r\n"
		       "total_system_memory_human:%s\r\n"
		       "maxmemory:%llu\r\n"
		       "maxmemory_human:%s\r\n"
		       "maxmemory_policy:%s\r\n"
		       "mem_fragmentation_ratio:%.2f\r\n"
		       "mem_fragmentation_bytes:%lld\r\n"
		       "mem_not_counted_for_evict:0\r\n"
		       "mem_clients_normal:%zu\r\n"
		       "mem_allocator:libc\r\n",
		       used, human_bytes(h[0], sizeof(h[0]), used),
		       rss, human_bytes(h[1], sizeof(h[1]), rss),
		       peak, human_bytes(h[2], sizeof(h[2]), peak),
		       peak ? 100.0 * (double)used / (double)peak : 0.0,
		       sys, human_bytes(h[3], sizeof(h[3]), sys),
		       kvd_cfg.maxmemory,
		       human_bytes(h[4], sizeof(h[4]), (size_t)kvd_cfg.maxmemory),
		       kvd_evict_policy_name(kvd_cfg.maxmemory_policy),
		       used ? (double)rss / (double)used : 0.0,
		       (long long)rss - (long long)used,
		       kvd_stats.clients_output);
}

/**
 * info_stats - the Stats section
 * @b: the text
 * @st: baton's counters
 *
 * Context: main thread.
 */
static void info_stats(struct kvd_buf *b, const struct baton_stats *st)
{
	size_t subscribed, channels, patterns;
	uint64_t in = 0, out = 0, exceeded, exceeded_now;
	unsigned int i;

	kvd_pubsub_counts(&subscribed, &channels, &patterns);
	for (i = 0; i < st->nr_workers; i++) {
		in += st->workers[i].bytes_in;
		out += st->workers[i].bytes_out;
	}
	in += st->inline_io.bytes_in;
	out += st->inline_io.bytes_out;
	exceeded = kvd_evict_exceeded_ms(&exceeded_now);
	section_header(b, "Stats");
	kvd_buf_printf(b, "total_connections_received:%llu\r\n"
		       "total_commands_processed:%llu\r\n"
		       "instantaneous_ops_per_sec:%llu\r\n"
		       "total_net_input_bytes:%llu\r\n"
		       "total_net_output_bytes:%llu\r\n"
		       "rejected_connections:%llu\r\n"
		       "expired_keys:%llu\r\n"
		       "evicted_keys:%llu\r\n"
		       "evicted_clients:0\r\n"
		       "total_eviction_exceeded_time:%llu\r\n"
		       "current_eviction_exceeded_time:%llu\r\n"
		       "keyspace_hits:%llu\r\n"
		       "keyspace_misses:%llu\r\n"
		       "pubsub_channels:%zu\r\n"
		       "pubsub_patterns:%zu\r\n"
		       "total_error_replies:%llu\r\n"
		       "client_query_buffer_limit_disconnections:%llu\r\n"
		       "client_output_buffer_limit_disconnections:%llu\r\n"
		       "protocol_errors:%llu\r\n",
		       (unsigned long long)(st->accepted - base.accepted -
					    kvd_stats.denied),
		       (unsigned long long)kvd_stats.commands,
		       (unsigned long long)kvd_stats.ops_sec,
		       (unsigned long long)(in - base.bytes_in),
		       (unsigned long long)(out - base.bytes_out),
		       (unsigned long long)(st->rejected - base.rejected +
					    kvd_stats.denied),
		       (unsigned long long)kvd_stats.expired_keys,
		       (unsigned long long)kvd_stats.evicted_keys,
		       (unsigned long long)exceeded,
		       (unsigned long long)exceeded_now,
		       (unsigned long long)kvd_stats.hits,
		       (unsigned long long)kvd_stats.misses,
		       channels, patterns,
		       (unsigned long long)kvd_stats.errors,
		       (unsigned long long)(st->qbuf_limit_closes - base.qbuf_closes),
		       (unsigned long long)(st->obuf_limit_closes - base.obuf_closes),
		       (unsigned long long)(st->protocol_errors -
					    base.protocol_errors));
}

/**
 * kvd_stats_reset - CONFIG RESETSTAT: start the statistics from zero
 * @s: the server
 *
 * kvd's counters are zeroed; baton's, which kvd cannot reset, are
 * remembered so that INFO shows what they gained since.  The peak memory
 * starts again from the memory in use now.
 *
 * Context: main thread.
 */
void kvd_stats_reset(struct baton_server *s)
{
	struct baton_stats st = { .sz = sizeof(st) };
	unsigned int i;

	baton_server_stats(s, &st);
	memset(&base, 0, sizeof(base));
	base.accepted = st.accepted;
	base.rejected = st.rejected;
	base.qbuf_closes = st.qbuf_limit_closes;
	base.obuf_closes = st.obuf_limit_closes;
	base.protocol_errors = st.protocol_errors;
	for (i = 0; i < st.nr_workers; i++) {
		base.bytes_in += st.workers[i].bytes_in;
		base.bytes_out += st.workers[i].bytes_out;
	}
	kvd_stats.commands = 0;
	kvd_stats.errors = 0;
	kvd_stats.expired_keys = 0;
	kvd_stats.evicted_keys = 0;
	kvd_stats.denied = 0;
	kvd_stats.hits = 0;
	kvd_stats.misses = 0;
	kvd_stats.connections = 0;
	kvd_stats.ops_sec = 0;
	kvd_stats.ops_mark = 0;
	kvd_stats.peak_memory = kvd_mem_used();
	kvd_evict_stats_reset();
	kvd_cmdstats_reset();
}

/**
 * tv_line - one "name:seconds.micros" line of the CPU section
 * @b: the text
 * @name: the field
 * @tv: the time
 *
 * Context: main thread.
 */
static void tv_line(struct kvd_buf *b, const char *name,
		    const struct timeval *tv)
{
	kvd_buf_printf(b, "%s:%ld.%06ld\r\n", name, (long)tv->tv_sec,
		       (long)tv->tv_usec);
}

/**
 * info_cpu - the CPU section: the process's, its children's and the main
 * thread's CPU time, from getrusage()
 * @b: the text
 *
 * Context: main thread (RUSAGE_THREAD is the calling thread: main).
 */
static void info_cpu(struct kvd_buf *b)
{
	struct rusage self, children, thread;

	memset(&self, 0, sizeof(self));
	memset(&children, 0, sizeof(children));
	memset(&thread, 0, sizeof(thread));
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &children);
	getrusage(RUSAGE_THREAD, &thread);
	section_header(b, "CPU");
	tv_line(b, "used_cpu_sys", &self.ru_stime);
	tv_line(b, "used_cpu_user", &self.ru_utime);
	tv_line(b, "used_cpu_sys_children", &children.ru_stime);
	tv_line(b, "used_cpu_user_children", &children.ru_utime);
	tv_line(b, "used_cpu_sys_main_thread", &thread.ru_stime);
	tv_line(b, "used_cpu_user_main_thread", &thread.ru_utime);
}

/**
 * info_keyspace - the Keyspace section (db0 only when it has keys)
 * @b: the text
 *
 * Context: main thread.
 */
static void info_keyspace(struct kvd_buf *b)
{
	section_header(b, "Keyspace");
	if (kvd_db.count)
		kvd_buf_printf(b, "db0:keys=%zu,expires=%zu,avg_ttl=0\r\n",
			       kvd_db.count, kvd_db.heap_len);
}

/**
 * info_io_line - one line of an IO thread's counters
 * @b: the text
 * @name: the field name ("io_main", "io_worker0", ...)
 * @w: its counters
 *
 * Context: main thread.
 */
static void info_io_line(struct kvd_buf *b, const char *name,
			 const struct baton_worker_stats *w)
{
	kvd_buf_printf(b, "%s:active=%u,clients=%llu,cpu_sec=%.6f,reads=%llu,"
		       "bytes_in=%llu,bytes_out=%llu,to_main=%llu,"
		       "wakes_sent=%llu,wakeups=%llu\r\n", name, w->active,
		       (unsigned long long)w->clients, (double)w->cpu_ns / 1e9,
		       (unsigned long long)w->reads,
		       (unsigned long long)w->bytes_in,
		       (unsigned long long)w->bytes_out,
		       (unsigned long long)w->to_main,
		       (unsigned long long)w->wakes_sent,
		       (unsigned long long)w->wakeups);
}

/**
 * info_baton - the baton section: the library's own counters
 * @b: the text
 * @s: the server
 * @st: baton's counters
 *
 * Context: main thread.
 */
static void info_baton(struct kvd_buf *b, struct baton_server *s,
		       const struct baton_stats *st)
{
	unsigned int i;

	section_header(b, "Baton");
	if (st->io_mode == BATON_IO_WORKERS_AUTO)
		kvd_buf_printf(b, "io_mode:auto\r\n");
	else
		kvd_buf_printf(b, "io_mode:%d\r\n", st->io_mode);
	kvd_buf_printf(b, "io_workers:%u\r\n"
		       "io_worker_slots:%u\r\n"
		       "io_activations:%llu\r\n"
		       "io_parkings:%llu\r\n"
		       "client_moves:%llu\r\n"
		       "main_cpu_sec:%.6f\r\n"
		       "main_busy_permille:%u\r\n"
		       "wakes:%llu\r\n"
		       "wakes_per_request:%.4f\r\n"
		       "requests:%llu\r\n"
		       "handoffs_to_main:%llu\r\n"
		       "handoffs_to_io:%llu\r\n"
		       "main_batches:%llu\r\n"
		       "max_batch:%llu\r\n"
		       "active_clients:%llu\r\n"
		       "deferred_queued:%llu\r\n"
		       "deferred_freed:%llu\r\n"
		       "deferred_batches:%llu\r\n"
		       "deferred_high_water:%llu\r\n"
		       "rcu_batches:%llu\r\n"
		       "rcu_freed:%llu\r\n",
		       (unsigned int)baton_server_nr_io_workers(s),
		       st->nr_workers,
		       (unsigned long long)st->activations,
		       (unsigned long long)st->parkings,
		       (unsigned long long)st->moves,
		       (double)st->main_cpu_ns / 1e9,
		       st->main_busy_pm,
		       (unsigned long long)st->wakes,
		       st->requests ? (double)st->wakes / (double)st->requests : 0.0,
		       (unsigned long long)st->requests,
		       (unsigned long long)st->handoffs_to_main,
		       (unsigned long long)st->handoffs_to_io,
		       (unsigned long long)st->main_batches,
		       (unsigned long long)st->max_batch,
		       (unsigned long long)st->active_clients,
		       (unsigned long long)st->deferred_queued,
		       (unsigned long long)st->deferred_freed,
		       (unsigned long long)st->deferred_batches,
		       (unsigned long long)st->deferred_high_water,
		       (unsigned long long)st->rcu_batches,
		       (unsigned long long)st->rcu_freed);
	info_io_line(b, "io_main", &st->inline_io);
	for (i = 0; i < st->nr_workers; i++) {
		char name[32];

		snprintf(name, sizeof(name), "io_worker%u", i);
		info_io_line(b, name, &st->workers[i]);
	}
}

/**
 * cmd_info - INFO [section ...]
 * @x: the command
 *
 * Without a section, or with default, every section but commandstats;
 * with all or everything, every section; an unknown section adds
 * nothing, as in Redis.
 *
 * Context: main thread.
 */
void cmd_info(struct kvd_ctx *x)
{
	struct baton_server *s = baton_client_server(x->c);
	struct baton_stats st = { .sz = sizeof(st) };
	struct kvd_buf b = { 0 };
	unsigned int want = x->argc == 1 ? INFO_DEFAULT : 0;
	size_t k;
	int j;

	for (j = 1; j < x->argc; j++)
		for (k = 0; k < sizeof(info_names) / sizeof(info_names[0]); k++)
			if (kvd_arg_is(&x->argv[j], info_names[k].name))
				want |= info_names[k].bit;
	baton_server_stats(s, &st);
	if (want & INFO_SERVER)
		info_server(&b, s, x->now);
	if (want & INFO_CLIENTS)
		info_clients(&b, &st);
	if (want & INFO_MEMORY)
		info_memory(&b, s);
	if (want & INFO_STATS)
		info_stats(&b, &st);
	if (want & INFO_CPU)
		info_cpu(&b);
	if (want & INFO_CMDSTATS) {
		section_header(&b, "Commandstats");
		kvd_info_commandstats(&b);
	}
	if (want & INFO_ERRSTATS) {
		section_header(&b, "Errorstats");
		kvd_info_errorstats(&b);
	}
	if (want & INFO_KEYSPACE)
		info_keyspace(&b);
	if (want & INFO_BATON)
		info_baton(&b, s, &st);
	kvd_buf_reply(&b, x->c);
}
