/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * kvd.h - baton-kvd's internal interfaces: its configuration, the request
 * the IO side parses, the main-only keyspace, the reply writers and the
 * command table.
 *
 * Threads: resp.c runs on the IO workers (baton's parse callback) and
 * reads only kvd_cfg; everything else runs on the main thread, which
 * alone touches the keyspace, the per-client state and the counters, so
 * none of it needs a lock.  The one object two threads share is a string
 * value (struct kvd_str): main creates and mutates it, an IO worker reads
 * its bytes while it writes a reply that references it, and the last
 * baton_obj_put() frees it on main (a main-only baton type).
 */
#ifndef _KVD_KVD_H
#define _KVD_KVD_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <baton/baton.h>

#define KVD_VERSION		"0.1.0"
/* The Redis version whose replies kvd follows, for clients that ask. */
#define KVD_REDIS_VERSION	"7.0.0"

#define KVD_DEFAULT_PORT	6380
#define KVD_INLINE_MAX		(64 * 1024)	/* Redis PROTO_INLINE_MAX_SIZE */
#define KVD_MAX_BULK_DEFAULT	(512LL * 1024 * 1024)	/* proto-max-bulk-len */
#define KVD_QBUF_DEFAULT	(1024ULL * 1024 * 1024)	/* client-query-buffer-limit */
#define KVD_OBUF_DEFAULT	(1024ULL * 1024 * 1024)	/* reply bytes queued */
#define KVD_HZ			10

/* maxmemory-policy values (evict.c), in the order Redis lists them */
enum kvd_evict_policy {
	KVD_EVICT_VOLATILE_LRU,
	KVD_EVICT_VOLATILE_LFU,
	KVD_EVICT_VOLATILE_RANDOM,
	KVD_EVICT_VOLATILE_TTL,
	KVD_EVICT_ALLKEYS_LRU,
	KVD_EVICT_ALLKEYS_LFU,
	KVD_EVICT_ALLKEYS_RANDOM,
	KVD_EVICT_NOEVICTION,
	KVD_EVICT_NR_POLICIES,
};

/**
 * struct kvd_config - the daemon's settings
 * @bind: IMMUTABLE: the TCP address
 * @port: IMMUTABLE: the TCP port; 0 = no TCP listener
 * @unixsocket: IMMUTABLE: a Unix socket path, or NULL
 * @unixsocketperm: IMMUTABLE: its mode (chmod after bind), 0 to leave
 *	the umask's
 * @io_threads: MAIN: baton IO workers (0 = main does the IO), or
 *	BATON_IO_WORKERS_AUTO
 * @max_io_threads: IMMUTABLE: the most IO workers CONFIG SET may ask for
 *	(0: baton's default, online CPUs - 1)
 * @maxclients: IMMUTABLE: connections above this are refused
 * @requirepass: MAIN: the password, or NULL when none is needed (CONFIG
 *	SET changes it; only main reads it)
 * @proto_max_bulk_len: ATOMIC: the longest bulk string a request may
 *	carry; CONFIG SET stores it on main and the IO workers' parsers load
 *	it, both relaxed (a standalone limit that publishes nothing else):
 *	use kvd_max_bulk_len()
 * @qbuf_limit: IMMUTABLE: unparsed bytes one client may have buffered
 * @obuf_limit: IMMUTABLE: reply bytes one client may have queued
 * @protected_mode: MAIN: refuse non-loopback peers while no password is
 *	set
 * @maxmemory: MAIN: the limit on kvd_mem_used(), 0 for none
 * @maxmemory_policy: MAIN: what to evict past it
 * @maxmemory_samples: MAIN: keys sampled per eviction round (LRU and LFU)
 * @lfu_log_factor: MAIN: how slowly an LFU counter grows (Redis's
 *	default 10)
 * @lfu_decay_time: MAIN: minutes for an LFU counter to lose one (default
 *	1)
 * @timeout: MAIN: seconds a client may stay idle (0: forever); baton
 *	keeps its own copy (baton_server_set_idle_timeout())
 *
 * Written by main() before baton_server_create() starts the IO workers
 * (thread creation orders those writes before every read); after that
 * the IMMUTABLE fields never change, the MAIN ones are read and written
 * by main alone and the ATOMIC one is an atomic.  config.c's table of
 * parameters says which CONFIG SET may change.
 */
struct kvd_config {
	const char *bind;		/* __rule(IMMUTABLE) */
	unsigned int port;		/* __rule(IMMUTABLE) */
	const char *unixsocket;		/* __rule(IMMUTABLE) */
	unsigned int unixsocketperm;	/* __rule(IMMUTABLE) */
	int io_threads;			/* __rule(MAIN) */
	int max_io_threads;		/* __rule(IMMUTABLE) */
	unsigned int maxclients;	/* __rule(IMMUTABLE) */
	const char *requirepass;	/* __rule(MAIN) */
	_Atomic long long proto_max_bulk_len;	/* __rule(ATOMIC) */
	size_t qbuf_limit;		/* __rule(IMMUTABLE) */
	size_t obuf_limit;		/* __rule(IMMUTABLE) */
	bool protected_mode;		/* __rule(MAIN) */
	unsigned long long maxmemory;	/* __rule(MAIN) */
	enum kvd_evict_policy maxmemory_policy;	/* __rule(MAIN) */
	int maxmemory_samples;		/* __rule(MAIN) */
	int lfu_log_factor;		/* __rule(MAIN) */
	int lfu_decay_time;		/* __rule(MAIN) */
	unsigned int timeout;		/* __rule(MAIN) */
} /* __shared_struct */;

extern struct kvd_config kvd_cfg;
extern struct baton_server *kvd_srv;

/**
 * kvd_max_bulk_len - the proto-max-bulk-len now
 *
 * Context: any thread (a relaxed load, see struct kvd_config).
 * Return: the longest bulk string a request may carry.
 */
static inline long long kvd_max_bulk_len(void)
{
	return atomic_load_explicit(&kvd_cfg.proto_max_bulk_len,
				    memory_order_relaxed);
}

/* ------------------------------------------------------------------ protect.c */

extern const char kvd_denied_msg[];
int kvd_parse_yesno(const char *s, bool *out);
bool kvd_protected_refuses(const char *peer, const char *unixsocket,
			   bool has_password, bool protected_mode);

/* ------------------------------------------------------------------ resp.c */

/**
 * struct kvd_arg - one argument of a request
 * @s: its bytes, NUL-terminated (the NUL is not counted)
 * @len: their number
 */
struct kvd_arg {
	char *s;
	size_t len;
};

/**
 * struct kvd_req - one parsed command, in a single allocation
 * @argc: the number of arguments (>= 1)
 * @refs: references: the parse's, given back through release_req, and
 *	one more while MULTI's queue keeps the request (taken by main in
 *	execute, before baton's handoff gives the request back); the last
 *	kvd_req_put() frees it, on whichever thread (ATOMIC)
 * @argv: the arguments; their bytes follow the array in the same block
 *
 * Built by the IO worker in the parse callback, handed to main by baton;
 * after execute, baton gives it back to the worker that parsed it, which
 * drops its reference (kvd_release_req(): memory goes back to the thread
 * that allocated it, unless MULTI still keeps it).  One that never runs
 * is freed on main by free_req.
 */
struct kvd_req {
	int argc;
	_Atomic int refs;
	struct kvd_arg argv[];
};

/**
 * struct kvd_pstate - kvd's bytes of baton_client_proto_state()
 * @authed: AUTH or HELLO ... AUTH succeeded, or no password is needed:
 *	the parser's pre-authentication limits no longer apply.  Written by
 *	main (connect, AUTH, HELLO), read by the parser.
 * @auth_pending: the parser passed an AUTH or HELLO of a client not yet
 *	authenticated, and parses nothing more of it until main ran that
 *	command, so that the requests behind it are parsed under the limits
 *	it leaves.  Set by the parser, cleared by main in execute.
 *
 * Rule OWNER: only the thread that owns the client touches it (the IO
 * worker inside parse, main inside connect and execute); the handoff
 * that moves the client orders one's writes before the other's reads.
 */
struct kvd_pstate {
	bool authed;			/* __rule(OWNER) */
	bool auth_pending;		/* __rule(OWNER) */
} /* __shared_struct */;

#define KVD_PREAUTH_MAX_ARGS	10	/* Redis 7.0's, before AUTH */
#define KVD_PREAUTH_MAX_BULK	16384

ssize_t kvd_parse(struct baton_client *c, const char *buf, size_t len,
		  void **req) BATON_IO_ONLY;
struct kvd_pstate *kvd_pstate(struct baton_client *c);
int kvd_string2ll(const char *s, size_t len, long long *out);

/* ------------------------------------------------------------------ store.c */

enum kvd_type {
	KVD_STRING,
	KVD_LIST,
	KVD_HASH,
	KVD_SET,
};

/**
 * struct kvd_str - a string value: a refcounted baton object
 * @obj: the baton object header (its count is ATOMIC, baton's contract)
 * @len: MAIN: bytes in use; an IO worker never reads it (a reply carries
 *	its own pointer and length)
 * @cap: IMMUTABLE: bytes allocated in @bytes
 * @bytes: the value; main writes in place only past @len (APPEND), which
 *	no reply in flight covers, or anywhere while the store holds the
 *	only reference (kvd_str_exclusive()); else it writes a copy
 *	(kvd_str_for_write()), so a worker's read never races a write
 */
struct kvd_str {
	struct baton_obj obj;		/* __rule(IMMUTABLE) */
	size_t len;			/* __rule(MAIN) */
	size_t cap;			/* __rule(IMMUTABLE) */
	char bytes[];			/* __rule(IMMUTABLE) */
} /* __shared_struct */;

/**
 * struct kvd_list - a list value: a ring of string references
 * @items: the ring
 * @head: index of the first element
 * @len: the number of elements
 * @cap: the ring's size (a power of two)
 *
 * Main only.
 */
struct kvd_list {
	struct kvd_str **items;
	size_t head;
	size_t len;
	size_t cap;
};

/**
 * struct kvd_dict_entry - one field of a hash or member of a set
 * @next: the next entry of the bucket
 * @hash: kvd_hash() of @key
 * @val: a hash field's value (replied zero-copy, so never written in
 *	place: a new value replaces it); NULL in a set
 * @len: the key's length
 * @key: the field or member, NUL-terminated
 *
 * Main only.
 */
struct kvd_dict_entry {
	struct kvd_dict_entry *next;
	uint64_t hash;
	struct kvd_str *val;
	size_t len;
	char key[];
};

/**
 * struct kvd_dict - a hash or set value: a chained hash table (dict.c)
 * @buckets: the table (a power of two)
 * @mask: its size - 1
 * @count: entries in it
 *
 * Main only.
 */
struct kvd_dict {
	struct kvd_dict_entry **buckets;
	size_t mask;
	size_t count;
};

/**
 * struct kvd_dict_iter - the state of a kvd_dict_next() walk
 * @bucket: the next bucket to look at
 * @e: the entry returned last
 */
struct kvd_dict_iter {
	size_t bucket;
	struct kvd_dict_entry *e;
};

/**
 * struct kvd_entry - one key of the keyspace
 * @next: the next entry of the hash bucket
 * @hash: the key's hash
 * @expire_ms: when it expires (kvd_now_ms() clock), or -1
 * @heap_idx: its place in the expiry heap while @expire_ms >= 0
 * @type: the value's type
 * @lru: for eviction and OBJECT IDLETIME / FREQ (evict.c): when a
 *	command last looked it up (kvd_now_ms() in 32 bits) under the LRU
 *	and other policies, or its access frequency and when that was last
 *	decayed under the LFU ones; it fills the padding after @type
 * @str: the value of a KVD_STRING
 * @list: the value of a KVD_LIST
 * @dict: the value of a KVD_HASH or a KVD_SET
 * @keylen: the key's length
 * @key: the key, NUL-terminated
 *
 * Main only.
 */
struct kvd_entry {
	struct kvd_entry *next;
	uint64_t hash;
	int64_t expire_ms;
	size_t heap_idx;
	enum kvd_type type;
	uint32_t lru;
	union {
		struct kvd_str *str;
		struct kvd_list *list;
		struct kvd_dict *dict;
	};
	size_t keylen;
	char key[];
};

/**
 * struct kvd_db - the keyspace: a hash table and an expiry min-heap
 * @buckets: the table (a power of two)
 * @mask: its size - 1
 * @count: keys in it
 * @heap: entries with an expiry, earliest first
 * @heap_len: entries in @heap
 * @heap_cap: room in @heap
 *
 * Main only.
 */
struct kvd_db {
	struct kvd_entry **buckets;
	size_t mask;
	size_t count;
	struct kvd_entry **heap;
	size_t heap_len;
	size_t heap_cap;
};

/**
 * struct kvd_stats - the daemon's own counters
 * @used_memory: bytes the keyspace holds (keys, values, tables)
 * @peak_memory: the most @used_memory + @clients_output has been
 * @clients_output: output queued for clients and not yet sent, as main
 *	last learnt it (baton_client_output_bytes()), summed
 * @commands: commands executed
 * @errors: error replies sent by commands
 * @expired_keys: keys removed because they expired
 * @evicted_keys: keys removed to stay under maxmemory
 * @hits: key lookups that found a key
 * @misses: key lookups that found none
 * @connections: clients accepted
 * @denied: clients protected mode refused (not in @connections)
 * @start_ms: when the daemon started (kvd_now_ms())
 * @ops_sec: commands per second over the last second
 * @ops_mark: @commands at the last sample
 * @ops_mark_ms: when that sample was taken
 *
 * Main only: commands, the tick and the string free callback (a
 * main-only type) update them.
 */
struct kvd_stats {
	size_t used_memory;
	size_t peak_memory;
	size_t clients_output;
	uint64_t commands;
	uint64_t errors;
	uint64_t expired_keys;
	uint64_t evicted_keys;
	uint64_t hits;
	uint64_t misses;
	uint64_t connections;
	uint64_t denied;
	int64_t start_ms;
	uint64_t ops_sec;
	uint64_t ops_mark;
	int64_t ops_mark_ms;
};

extern struct kvd_db kvd_db;
extern struct kvd_stats kvd_stats;

int64_t kvd_now_ms(void);
int64_t kvd_now_us(void);
int64_t kvd_wall_ms(void);
int kvd_types_register(void);
#define KVD_STR_STEP	(1024 * 1024)	/* growth above 1 MiB, like sds */

struct kvd_str *kvd_str_new(const char *bytes, size_t len, size_t cap); /* __init_fn */
void kvd_str_put(struct kvd_str *s);
struct kvd_str *kvd_str_get(struct kvd_str *s);
bool kvd_str_exclusive(struct kvd_str *s);
size_t kvd_str_grow_cap(size_t len);
struct kvd_str *kvd_str_for_write(struct kvd_entry *e, size_t off, size_t end);
void kvd_str_write(struct kvd_str *s, size_t off, const void *p, size_t n);
struct kvd_list *kvd_list_new(void);
int kvd_list_push(struct kvd_list *l, struct kvd_str *s, bool left);
struct kvd_str *kvd_list_pop(struct kvd_list *l, bool left);
struct kvd_str *kvd_list_at(const struct kvd_list *l, size_t i);
struct kvd_str **kvd_list_slot(struct kvd_list *l, size_t i);
int kvd_list_insert(struct kvd_list *l, size_t i, struct kvd_str *s);
void kvd_list_keep(struct kvd_list *l, size_t start, size_t n);
void kvd_list_compact(struct kvd_list *l);

int kvd_store_init(struct kvd_db *db);
void kvd_store_free(struct kvd_db *db);
void kvd_store_flush(struct kvd_db *db);
struct kvd_entry *kvd_store_find(struct kvd_db *db, const char *key,
				 size_t len, int64_t now);
struct kvd_entry *kvd_store_peek(struct kvd_db *db, const char *key,
				 size_t len);
void kvd_store_expire(struct kvd_db *db, struct kvd_entry *e);
struct kvd_entry *kvd_store_add(struct kvd_db *db, const char *key,
				size_t len, enum kvd_type type);
void kvd_store_set_str(struct kvd_entry *e, struct kvd_str *s);
struct kvd_entry *kvd_store_rename(struct kvd_db *db, struct kvd_entry *e,
				   struct kvd_entry *dst, const char *key,
				   size_t len);
struct kvd_entry *kvd_store_copy(struct kvd_db *db, const struct kvd_entry *e,
				 const char *key, size_t len);
struct kvd_entry *kvd_store_random(struct kvd_db *db, int64_t now);
const char *kvd_entry_type_name(const struct kvd_entry *e);
const char *kvd_entry_encoding(const struct kvd_entry *e);
int64_t kvd_wall_offset(void);
void kvd_wall_offset_update(void);
void kvd_store_delete(struct kvd_db *db, struct kvd_entry *e);
int kvd_store_set_expire(struct kvd_db *db, struct kvd_entry *e, int64_t when);
void kvd_store_persist(struct kvd_db *db, struct kvd_entry *e);
unsigned int kvd_store_sweep(struct kvd_db *db, int64_t now,
			     unsigned int budget);
uint64_t kvd_store_scan(struct kvd_db *db, uint64_t cursor, size_t count,
			int (*fn)(struct kvd_entry *e, void *arg), void *arg);
void kvd_mem_add(size_t n);
void kvd_mem_sub(size_t n);
uint64_t kvd_hash(const char *p, size_t len);
uint64_t kvd_cursor_next(uint64_t v, size_t mask);
void kvd_store_set_dict(struct kvd_entry *e, enum kvd_type type,
			struct kvd_dict *d);
void kvd_store_for_each(struct kvd_db *db,
			int (*fn)(struct kvd_entry *e, void *arg), void *arg);
bool kvd_glob_match(const char *pat, size_t plen, const char *s, size_t slen,
		    bool nocase);

/* ------------------------------------------------------------------ dict.c */

uint64_t kvd_rand64(void);
uint64_t kvd_rand_below(uint64_t n);
struct kvd_dict *kvd_dict_new(void);
void kvd_dict_free(struct kvd_dict *d);
struct kvd_dict_entry *kvd_dict_find(const struct kvd_dict *d, const char *k,
				     size_t len);
struct kvd_dict_entry *kvd_dict_upsert(struct kvd_dict *d, const char *k,
				       size_t len, bool *created);
void kvd_dict_delete(struct kvd_dict *d, struct kvd_dict_entry *e);
bool kvd_dict_remove(struct kvd_dict *d, const char *k, size_t len);
void kvd_dict_set_val(struct kvd_dict_entry *e, struct kvd_str *s);
struct kvd_dict_entry *kvd_dict_random(const struct kvd_dict *d);
struct kvd_dict_entry *kvd_dict_next(const struct kvd_dict *d,
				     struct kvd_dict_iter *it);
uint64_t kvd_dict_scan(const struct kvd_dict *d, uint64_t cursor, size_t count,
		       void (*fn)(struct kvd_dict_entry *e, void *arg),
		       void *arg);

/* ------------------------------------------------------------------ watch */

void kvd_signal_modified(const char *key, size_t len);

/* ------------------------------------------------------------------ reply.c */

void kvd_reply_raw(struct baton_client *c, const void *buf, size_t len);
void kvd_reply_status(struct baton_client *c, const char *s);
void kvd_reply_error(struct baton_client *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kvd_reply_int(struct baton_client *c, long long v);
void kvd_reply_bulk(struct baton_client *c, const void *p, size_t len);
void kvd_reply_cstr(struct baton_client *c, const char *s);
void kvd_reply_str(struct baton_client *c, struct kvd_str *s);
void kvd_reply_null(struct baton_client *c);
void kvd_reply_null_array(struct baton_client *c);
void kvd_reply_array(struct baton_client *c, long long n);
void kvd_reply_ok(struct baton_client *c);

/**
 * struct kvd_buf - a growable text buffer (buf.c)
 * @p: the text, NUL-terminated
 * @len: its length
 * @cap: bytes allocated
 * @oom: an allocation failed; later appends do nothing
 */
struct kvd_buf {
	char *p;
	size_t len;
	size_t cap;
	bool oom;
};

void kvd_buf_add(struct kvd_buf *b, const char *s, size_t n);
void kvd_buf_printf(struct kvd_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void kvd_buf_reply(struct kvd_buf *b, struct baton_client *c);
void kvd_buf_free(struct kvd_buf *b);

extern uint64_t kvd_error_replies;

/* Error texts clients match word for word (Redis's shared replies). */
#define KVD_ERR_WRONGTYPE \
	"WRONGTYPE Operation against a key holding the wrong kind of value"
#define KVD_ERR_NOTINT	"ERR value is not an integer or out of range"
#define KVD_ERR_SYNTAX	"ERR syntax error"
#define KVD_ERR_OOM	"ERR out of memory"
#define KVD_ERR_NOAUTH	"NOAUTH Authentication required."
#define KVD_ERR_OOM_MAXMEMORY \
	"OOM command not allowed when used memory > 'maxmemory'."

/* ------------------------------------------------------------------ command.c */

/**
 * struct kvd_client - per-client state, attached with baton_client_set_data()
 * @name: CLIENT SETNAME's name, or NULL
 * @authed: AUTH succeeded (or no password is needed)
 * @created_ms: when it connected
 * @last_ms: when its last command ran
 * @last_cmd: the full name of its last command ("client|list")
 * @output_counted: its share of kvd_stats.clients_output
 * @in_multi: between MULTI and EXEC or DISCARD
 * @dirty_exec: a command was refused while queueing: EXEC aborts
 * @dirty_cas: a watched key changed: EXEC fails (a nil reply)
 * @queue: the commands queued since MULTI
 * @nr_queued: how many
 * @queue_cap: room in @queue
 * @watching: its watches (watch.c)
 * @pubsub: its subscriptions (pubsub.c), NULL unless it is in
 *	subscribed mode
 * @blocked: its blocked command (blocking.c), or NULL
 * @monitor: it is in monitor mode (monitor.c)
 *
 * Main only: created in connect, freed in close.
 */
struct kvd_client {
	char *name;
	bool authed;
	int64_t created_ms;
	int64_t last_ms;
	const char *last_cmd;
	size_t output_counted;
	bool in_multi;
	bool dirty_exec;
	bool dirty_cas;
	struct kvd_queued *queue;
	size_t nr_queued;
	size_t queue_cap;
	struct kvd_watch *watching;
	struct kvd_pubsub *pubsub;
	struct kvd_blocked *blocked;
	bool monitor;
};

/**
 * struct kvd_ctx - what a command runs with
 * @c: the client
 * @cl: its state
 * @argc: the number of arguments
 * @argv: the arguments
 * @now: kvd_now_ms() when the command started
 * @start_us: kvd_now_us() then (the command's time in commandstats
 *	runs from here)
 * @in_exec: it runs inside EXEC: it must not block (as Redis's
 *	CLIENT_DENY_BLOCKING)
 */
struct kvd_ctx {
	struct baton_client *c;
	struct kvd_client *cl;
	int argc;
	struct kvd_arg *argv;
	int64_t now;
	int64_t start_us;
	bool in_exec;
};

#define KVD_CMD_NOAUTH	(1u << 0)	/* runs before AUTH */
#define KVD_CMD_NOQUEUE	(1u << 1)	/* runs at once inside MULTI */
#define KVD_CMD_SUBOK	(1u << 2)	/* allowed in RESP2 subscribed mode */

/**
 * struct kvd_cmd - one command or subcommand
 * @name: its lower-case name
 * @fullname: "name" or "container|sub", as Redis names it in errors
 * @arity: argument count including the name; -N means at least N
 * @flags: KVD_CMD_*
 * @fn: runs it (Context: main thread)
 * @subcmds: for a container (CLIENT, CONFIG, COMMAND): its subcommands,
 *	ending with an entry whose @name is NULL
 */
struct kvd_cmd {
	const char *name;
	const char *fullname;
	int arity;
	unsigned int flags;
	void (*fn)(struct kvd_ctx *x);
	const struct kvd_cmd *subcmds;
};

/**
 * struct kvd_cmdstat - one command's counters (INFO commandstats)
 * @calls: times it ran
 * @usec: microseconds it ran, in all
 * @rejected: times it was refused before running (arity, NOAUTH)
 * @failed: times it ran and replied an error
 *
 * Main only (cmdstats.c).
 */
struct kvd_cmdstat {
	uint64_t calls;
	uint64_t usec;
	uint64_t rejected;
	uint64_t failed;
};

int kvd_cmdstats_init(void);
void kvd_cmdstats_free(void);
struct kvd_cmdstat *kvd_cmdstat(const struct kvd_cmd *parent,
				const struct kvd_cmd *cmd);
void kvd_errorstat_count(const char *msg);
void kvd_cmdstats_reset(void);
void kvd_info_commandstats(struct kvd_buf *b);
void kvd_info_errorstats(struct kvd_buf *b);

/**
 * struct kvd_queued - one command queued inside MULTI
 * @req: the request, kept until EXEC or DISCARD
 * @cmd: the command it found
 * @st: its counters
 */
struct kvd_queued {
	struct kvd_req *req;
	const struct kvd_cmd *cmd;
	struct kvd_cmdstat *st;
};

void kvd_call(struct kvd_ctx *x, const struct kvd_cmd *cmd,
	      struct kvd_cmdstat *st);
bool kvd_multi_queue(struct kvd_ctx *x, struct kvd_req *req,
		     const struct kvd_cmd *cmd, struct kvd_cmdstat *st);
void kvd_multi_discard(struct kvd_client *cl);
void kvd_exec_abort(struct kvd_ctx *x, const char *why);

/* watch.c */
int kvd_watch_key(struct kvd_client *cl, const char *key, size_t len);
void kvd_unwatch_all(struct kvd_client *cl);
void kvd_signal_modified(const char *key, size_t len);
void kvd_signal_flush(void);
bool kvd_watched_key_expired(struct kvd_client *cl, int64_t now);

enum kvd_bs_type { KVD_BS_UNKNOWN, KVD_BS_INDEX, KVD_BS_KEYWORD };
enum kvd_fk_type { KVD_FK_UNKNOWN, KVD_FK_RANGE, KVD_FK_KEYNUM };

/**
 * struct kvd_keyspec - one key spec of a command, as Redis 7 describes it
 * @notes: Redis's note on it, or NULL
 * @flags: its flags, space-separated ("RW access delete")
 * @bs: how the search for keys begins
 * @bs_pos: KVD_BS_INDEX: the index; KVD_BS_KEYWORD: where to start
 *	looking for the keyword
 * @bs_keyword: KVD_BS_KEYWORD: the keyword
 * @fk: how the keys are found from there
 * @fk_a: KVD_FK_RANGE: lastkey; KVD_FK_KEYNUM: keynumidx
 * @fk_b: KVD_FK_RANGE: keystep; KVD_FK_KEYNUM: firstkey
 * @fk_c: KVD_FK_RANGE: limit; KVD_FK_KEYNUM: keystep
 */
struct kvd_keyspec {
	const char *notes;
	const char *flags;
	enum kvd_bs_type bs;
	int bs_pos;
	const char *bs_keyword;
	enum kvd_fk_type fk;
	int fk_a;
	int fk_b;
	int fk_c;
};

/**
 * struct kvd_cmd_meta - what COMMAND INFO says of a command (cmd_meta.c)
 * @name: its full name ("get", "config|get")
 * @flags: Redis's flags, space-separated ("write denyoom")
 * @first: the first key's position (0: none)
 * @last: the last key's (-1: the last argument)
 * @step: between keys
 * @acl: its ACL categories, space-separated ("@write @string")
 * @tips: its tips, space-separated
 * @specs: its key specs
 * @nr_specs: how many
 */
struct kvd_cmd_meta {
	const char *name;
	const char *flags;
	int first;
	int last;
	int step;
	const char *acl;
	const char *tips;
	const struct kvd_keyspec *specs;
	int nr_specs;
};

const struct kvd_cmd_meta *kvd_cmd_meta(const char *fullname);
const struct kvd_cmd *kvd_command_find(const char *name, size_t len);

void kvd_execute(struct baton_client *c, void *req) BATON_MAIN_ONLY;
void kvd_free_req(struct baton_client *c, void *req) BATON_MAIN_ONLY;
void kvd_release_req(struct baton_client *c, void *req);
void kvd_req_put(struct kvd_req *r);
int kvd_connect(struct baton_client *c) BATON_MAIN_ONLY;
void kvd_close(struct baton_client *c) BATON_MAIN_ONLY;
void kvd_tick(struct baton_server *s) BATON_MAIN_ONLY;
size_t kvd_command_count(void);
const struct kvd_cmd *kvd_command_table(size_t *n);
bool kvd_arg_is(const struct kvd_arg *a, const char *word);
int kvd_arg_ll(struct kvd_ctx *x, const struct kvd_arg *a, long long *out);
struct kvd_entry *kvd_lookup_read(struct kvd_ctx *x, const struct kvd_arg *key);
struct kvd_entry *kvd_lookup_write(struct kvd_ctx *x, const struct kvd_arg *key);
struct kvd_entry *kvd_lookup_notouch(struct kvd_ctx *x,
				     const struct kvd_arg *key);
bool kvd_wrong_type(struct kvd_ctx *x, const struct kvd_entry *e,
		    enum kvd_type type);
void kvd_reply_arity(struct kvd_ctx *x);

/* The command groups (cmd_*.c, info.c). */
void cmd_ping(struct kvd_ctx *x);
void cmd_echo(struct kvd_ctx *x);
void cmd_auth(struct kvd_ctx *x);
void cmd_select(struct kvd_ctx *x);
void cmd_quit(struct kvd_ctx *x);
void cmd_hello(struct kvd_ctx *x);
void cmd_client_id(struct kvd_ctx *x);
void cmd_client_list(struct kvd_ctx *x);
void cmd_client_kill(struct kvd_ctx *x);
void cmd_client_setname(struct kvd_ctx *x);
void cmd_client_getname(struct kvd_ctx *x);
void cmd_client_info(struct kvd_ctx *x);
void cmd_client_help(struct kvd_ctx *x);
void cmd_config_get(struct kvd_ctx *x);
void cmd_config_set(struct kvd_ctx *x);
void cmd_config_resetstat(struct kvd_ctx *x);
void cmd_config_help(struct kvd_ctx *x);
void cmd_command(struct kvd_ctx *x);
void cmd_command_count(struct kvd_ctx *x);
void cmd_command_docs(struct kvd_ctx *x);
void cmd_command_help(struct kvd_ctx *x);
void cmd_command_info(struct kvd_ctx *x);
void cmd_time(struct kvd_ctx *x);

void cmd_set(struct kvd_ctx *x);
void cmd_get(struct kvd_ctx *x);
void cmd_getdel(struct kvd_ctx *x);
void cmd_incr(struct kvd_ctx *x);
void cmd_decr(struct kvd_ctx *x);
void cmd_incrby(struct kvd_ctx *x);
void cmd_decrby(struct kvd_ctx *x);
void cmd_append(struct kvd_ctx *x);
void cmd_strlen(struct kvd_ctx *x);
void cmd_mget(struct kvd_ctx *x);
void cmd_mset(struct kvd_ctx *x);
void cmd_setnx(struct kvd_ctx *x);
void cmd_setex(struct kvd_ctx *x);
void cmd_psetex(struct kvd_ctx *x);
void cmd_getset(struct kvd_ctx *x);
void cmd_getex(struct kvd_ctx *x);
void cmd_msetnx(struct kvd_ctx *x);
void cmd_incrbyfloat(struct kvd_ctx *x);
void cmd_getrange(struct kvd_ctx *x);
void cmd_setrange(struct kvd_ctx *x);
void cmd_getbit(struct kvd_ctx *x);
void cmd_setbit(struct kvd_ctx *x);
void cmd_bitcount(struct kvd_ctx *x);
void cmd_lcs(struct kvd_ctx *x);

void cmd_del(struct kvd_ctx *x);
void cmd_exists(struct kvd_ctx *x);
void cmd_type(struct kvd_ctx *x);
void cmd_expire(struct kvd_ctx *x);
void cmd_pexpire(struct kvd_ctx *x);
void cmd_ttl(struct kvd_ctx *x);
void cmd_pttl(struct kvd_ctx *x);
void cmd_persist(struct kvd_ctx *x);
void cmd_dbsize(struct kvd_ctx *x);
void cmd_flushdb(struct kvd_ctx *x);
void cmd_keys(struct kvd_ctx *x);
void cmd_scan(struct kvd_ctx *x);
void cmd_expireat(struct kvd_ctx *x);
void cmd_pexpireat(struct kvd_ctx *x);
void cmd_expiretime(struct kvd_ctx *x);
void cmd_pexpiretime(struct kvd_ctx *x);
void cmd_touch(struct kvd_ctx *x);
void cmd_randomkey(struct kvd_ctx *x);
void cmd_rename(struct kvd_ctx *x);
void cmd_renamenx(struct kvd_ctx *x);
void cmd_copy(struct kvd_ctx *x);
void cmd_object_encoding(struct kvd_ctx *x);
void cmd_object_freq(struct kvd_ctx *x);
void cmd_object_idletime(struct kvd_ctx *x);
void cmd_object_refcount(struct kvd_ctx *x);
void cmd_object_help(struct kvd_ctx *x);

void cmd_lpush(struct kvd_ctx *x);
void cmd_rpush(struct kvd_ctx *x);
void cmd_lpop(struct kvd_ctx *x);
void cmd_rpop(struct kvd_ctx *x);
void cmd_llen(struct kvd_ctx *x);
void cmd_lrange(struct kvd_ctx *x);
void cmd_lpushx(struct kvd_ctx *x);
void cmd_rpushx(struct kvd_ctx *x);
void cmd_lmove(struct kvd_ctx *x);
void cmd_rpoplpush(struct kvd_ctx *x);
void cmd_lmpop(struct kvd_ctx *x);
void cmd_lindex(struct kvd_ctx *x);
void cmd_lset(struct kvd_ctx *x);
void cmd_lrem(struct kvd_ctx *x);
void cmd_linsert(struct kvd_ctx *x);
void cmd_ltrim(struct kvd_ctx *x);
void cmd_lpos(struct kvd_ctx *x);

void cmd_info(struct kvd_ctx *x);

void cmd_multi(struct kvd_ctx *x);
void cmd_exec(struct kvd_ctx *x);
void cmd_discard(struct kvd_ctx *x);
void cmd_watch(struct kvd_ctx *x);
void cmd_unwatch(struct kvd_ctx *x);
void cmd_reset(struct kvd_ctx *x);

/* ------------------------------------------------------------------ config.c */

/**
 * struct kvd_param_val - a parameter value parsed by a check, not applied yet
 * @n: a number
 * @s: an allocated string (freed by the parameter's discard when unused)
 */
struct kvd_param_val {
	long long n;
	char *s;
};

/**
 * struct kvd_param - one configuration parameter of config.c's table
 * @name: its lower-case name, as CONFIG GET answers it
 * @get: its value as text: @buf (room for a number) or a string that
 *	stays valid until the next CONFIG SET (Context: main thread)
 * @check: parse a new value into @v without applying it; NULL when the
 *	parameter is immutable.  Returns 0, -EINVAL with *@why set to the
 *	reason Redis gives, or -ENOMEM (Context: main thread)
 * @apply: make what @check parsed the value; cannot fail (Context: main
 *	thread)
 * @discard: free what @check allocated when it is not applied; NULL
 *	when it allocates nothing (Context: main thread)
 */
struct kvd_param {
	const char *name;
	const char *(*get)(char *buf, size_t size);
	int (*check)(const struct kvd_arg *a, struct kvd_param_val *v,
		     const char **why);
	void (*apply)(struct kvd_param_val *v);
	void (*discard)(struct kvd_param_val *v);
};

int kvd_param_ll(const struct kvd_arg *a, long long min, long long max,
		 long long *out, const char **why);
int kvd_param_memory(const struct kvd_arg *a, long long min, long long max,
		     long long *out, const char **why);
int kvd_param_bool(const struct kvd_arg *a, bool *out, const char **why);
int kvd_param_enum(const struct kvd_arg *a, const char *const *words,
		   int *out, const char **why);
void kvd_config_free(void);

void kvd_stats_reset(struct baton_server *s);
void cmd_hset(struct kvd_ctx *x);
void cmd_hmset(struct kvd_ctx *x);
void cmd_hsetnx(struct kvd_ctx *x);
void cmd_hget(struct kvd_ctx *x);
void cmd_hmget(struct kvd_ctx *x);
void cmd_hdel(struct kvd_ctx *x);
void cmd_hlen(struct kvd_ctx *x);
void cmd_hstrlen(struct kvd_ctx *x);
void cmd_hexists(struct kvd_ctx *x);
void cmd_hkeys(struct kvd_ctx *x);
void cmd_hvals(struct kvd_ctx *x);
void cmd_hgetall(struct kvd_ctx *x);
void cmd_hincrby(struct kvd_ctx *x);
void cmd_hincrbyfloat(struct kvd_ctx *x);
void cmd_hrandfield(struct kvd_ctx *x);

void cmd_sadd(struct kvd_ctx *x);
void cmd_srem(struct kvd_ctx *x);
void cmd_smembers(struct kvd_ctx *x);
void cmd_sismember(struct kvd_ctx *x);
void cmd_smismember(struct kvd_ctx *x);
void cmd_scard(struct kvd_ctx *x);
void cmd_spop(struct kvd_ctx *x);
void cmd_srandmember(struct kvd_ctx *x);
void cmd_smove(struct kvd_ctx *x);
void cmd_sinter(struct kvd_ctx *x);
void cmd_sintercard(struct kvd_ctx *x);
void cmd_sinterstore(struct kvd_ctx *x);
void cmd_sunion(struct kvd_ctx *x);
void cmd_sunionstore(struct kvd_ctx *x);
void cmd_sdiff(struct kvd_ctx *x);
void cmd_sdiffstore(struct kvd_ctx *x);

void cmd_hscan(struct kvd_ctx *x);
void cmd_sscan(struct kvd_ctx *x);
int kvd_parse_rand_count(struct kvd_ctx *x, const struct kvd_arg *a,
			 long long *count);
bool kvd_rand_count_too_big(struct kvd_ctx *x, long long count, size_t per);
void kvd_reply_random_repeat(struct kvd_ctx *x, const struct kvd_dict *d,
			     unsigned long long count, bool withvalues);
void kvd_reply_random_distinct(struct kvd_ctx *x, const struct kvd_dict *d,
			       size_t count, bool withvalues);

void kvd_reply_help(struct baton_client *c, const char *const *lines);
int kvd_set_client_name(struct kvd_ctx *x, const struct kvd_arg *name);
void kvd_set_authed(struct kvd_ctx *x);

/* ------------------------------------------------------------------ evict.c */

enum kvd_evict_result {
	KVD_EVICT_OK,		/* under maxmemory, or no limit */
	KVD_EVICT_RUNNING,	/* over it still; the budget ran out */
	KVD_EVICT_FAIL,		/* over it with nothing to evict */
};

int kvd_parse_memory(const char *s, unsigned long long *out);
int kvd_evict_policy_parse(const char *s, enum kvd_evict_policy *out);
const char *kvd_evict_policy_name(enum kvd_evict_policy p);
bool kvd_cmd_denyoom(const char *fullname);
void kvd_evict_new_key(struct kvd_entry *e, int64_t now);
void kvd_evict_touch(struct kvd_entry *e, int64_t now);
bool kvd_evict_lfu_policy(void);
uint64_t kvd_evict_idle_ms(const struct kvd_entry *e, int64_t now);
unsigned int kvd_evict_freq(const struct kvd_entry *e, int64_t now);
size_t kvd_mem_used(void);
void kvd_mem_client_output(struct baton_client *c);
void kvd_mem_client_gone(struct kvd_client *cl);
void kvd_mem_clients_refresh(struct baton_server *s, bool always);
bool kvd_evict_over(void);
bool kvd_mem_may_grow(size_t bytes, size_t load_permille);
enum kvd_evict_result kvd_evict(int64_t budget_us);
bool kvd_evict_for_command(struct kvd_ctx *x, const struct kvd_cmd *cmd);
void kvd_evict_tick(struct baton_server *s);
uint64_t kvd_evict_exceeded_ms(uint64_t *current);
void kvd_evict_stats_reset(void);
void kvd_evict_free(void);

/* ------------------------------------------------------------------ table.c */

/**
 * struct kvd_tnode - a name in a struct kvd_table, embedded in its owner
 * @next: the next node of the bucket
 * @hash: kvd_hash() of the name
 * @key: the name's bytes (the owner's)
 * @len: their number
 */
struct kvd_tnode {
	struct kvd_tnode *next;
	uint64_t hash;
	const char *key;
	size_t len;
};

/**
 * struct kvd_table - a chained hash table of names (table.c)
 * @buckets: the table (a power of two), NULL while empty
 * @mask: its size - 1
 * @count: the names in it
 *
 * Main only.
 */
struct kvd_table {
	struct kvd_tnode **buckets;
	size_t mask;
	size_t count;
};

/**
 * struct kvd_table_iter - the state of a kvd_table_next() walk
 * @bucket: the next bucket to look at
 * @n: the node returned last
 */
struct kvd_table_iter {
	size_t bucket;
	struct kvd_tnode *n;
};

struct kvd_tnode *kvd_table_find(const struct kvd_table *t, const char *key,
				 size_t len);
int kvd_table_add(struct kvd_table *t, struct kvd_tnode *n);
void kvd_table_del(struct kvd_table *t, struct kvd_tnode *n);
struct kvd_tnode *kvd_table_next(const struct kvd_table *t,
				 struct kvd_table_iter *it);

/* ------------------------------------------------------------------ fanout.c */

#define KVD_FANOUT_SMALL	256	/* below this, baton copies anyway */

/**
 * struct kvd_fanout - one message for many receivers, being built
 * @msg: the refcounted object holding it, or NULL while it is small
 * @p: where its bytes are (@small or @msg's)
 * @len: bytes written
 * @cap: its size
 * @small: a small message's bytes
 *
 * Main only; the object it points to is shared (fanout.c).
 */
struct kvd_fanout {
	struct kvd_msg *msg;
	char *p;
	size_t len;
	size_t cap;
	char small[KVD_FANOUT_SMALL];
};

int kvd_fanout_register(void);
int kvd_fanout_init(struct kvd_fanout *f, size_t len);
void kvd_fanout_add(struct kvd_fanout *f, const void *p, size_t n);
void kvd_fanout_header(struct kvd_fanout *f, char type, size_t n);
void kvd_fanout_bulk(struct kvd_fanout *f, const void *p, size_t n);
size_t kvd_header_len(size_t n);
int kvd_fanout_send(struct kvd_fanout *f, struct baton_client *c);
void kvd_fanout_done(struct kvd_fanout *f);

/* ------------------------------------------------------------------ pubsub */

#define KVD_PS_CHANNEL	0
#define KVD_PS_PATTERN	1

size_t kvd_pubsub_subscriptions(const struct kvd_client *cl, int kind);
size_t kvd_pubsub_total(const struct kvd_client *cl);
void kvd_pubsub_counts(size_t *clients, size_t *channels, size_t *patterns);
int kvd_pubsub_subscribe(struct baton_client *c, struct kvd_client *cl,
			 int kind, const char *name, size_t len);
bool kvd_pubsub_unsubscribe(struct baton_client *c, struct kvd_client *cl,
			    int kind, const char *name, size_t len);
const char *kvd_pubsub_oldest(const struct kvd_client *cl, int kind,
			      size_t *len);
void kvd_pubsub_forget(struct baton_client *c, struct kvd_client *cl);
long long kvd_pubsub_publish(const char *ch, size_t chlen, const char *msg,
			     size_t mlen);
size_t kvd_pubsub_numsub(const char *ch, size_t len);
const char *kvd_pubsub_channels(struct kvd_table_iter *it, size_t *len);
void kvd_pubsub_ping(struct kvd_ctx *x);
void kvd_reply_subcommand_syntax(struct kvd_ctx *x, const char *container);
void cmd_subscribe(struct kvd_ctx *x);
void cmd_psubscribe(struct kvd_ctx *x);
void cmd_unsubscribe(struct kvd_ctx *x);
void cmd_punsubscribe(struct kvd_ctx *x);
void cmd_publish(struct kvd_ctx *x);
void cmd_pubsub_channels(struct kvd_ctx *x);
void cmd_pubsub_numsub(struct kvd_ctx *x);
void cmd_pubsub_numpat(struct kvd_ctx *x);
void cmd_pubsub_help(struct kvd_ctx *x);

/* ------------------------------------------------------------------ blocking */

/**
 * struct kvd_block_how - what a blocked command does once served
 * @left: pop from the head
 * @to_left: BLMOVE: push at the destination's head
 * @mpop: BLMPOP: reply [key, [elements]]
 * @count: BLMPOP: at most this many elements (else 1)
 * @dst: BLMOVE, BRPOPLPUSH: the destination; NULL for the pops
 */
struct kvd_block_how {
	bool left;
	bool to_left;
	bool mpop;
	long long count;
	const struct kvd_arg *dst;
};

size_t kvd_block_count(void);
void kvd_block(struct kvd_ctx *x, int keys_at, int nr_keys,
	       int64_t timeout_ms, const struct kvd_block_how *how);
void kvd_block_signal(const char *key, size_t len);
void kvd_block_serve(int64_t now);
bool kvd_block_unblock(struct kvd_client *cl, bool error, int64_t now);
void kvd_block_forget(struct kvd_client *cl);
int kvd_parse_timeout(struct kvd_ctx *x, const struct kvd_arg *a, int64_t *ms);
void cmd_blpop(struct kvd_ctx *x);
void cmd_brpop(struct kvd_ctx *x);
void cmd_blmove(struct kvd_ctx *x);
void cmd_brpoplpush(struct kvd_ctx *x);
void cmd_blmpop(struct kvd_ctx *x);
void cmd_client_unblock(struct kvd_ctx *x);

/* ------------------------------------------------------------------ monitor.c, modes.c */

bool kvd_monitor_refuses(const struct kvd_cmd *cmd);
void cmd_monitor(struct kvd_ctx *x);
void kvd_monitor_stop(struct baton_client *c, struct kvd_client *cl);
void kvd_monitor_feed(struct kvd_ctx *x, const struct kvd_cmd *cmd);
bool kvd_mode_refuses(struct kvd_ctx *x, const struct kvd_cmd *cmd);
void kvd_client_idle_update(struct baton_client *c, struct kvd_client *cl);
void kvd_idle(struct baton_client *c);

#endif /* _KVD_KVD_H */
