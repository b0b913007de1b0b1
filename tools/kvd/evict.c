// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * evict.c - maxmemory: keys evicted by policy when kvd's own count of its
 * memory (the keyspace's, kvd_stats.used_memory, and the output queued for
 * clients) passes the limit, run on the main thread before each command
 * and from the tick, within a time budget.
 *
 * The policies are Redis 7.0's: noeviction refuses the commands Redis
 * flags "denyoom" with -OOM; allkeys-lru and volatile-lru evict the key
 * idle the longest among a sample, kept in a small pool across rounds
 * (Redis's approximated LRU, maxmemory-samples keys per round); the -lfu
 * ones, the same way, the key used the least often (Redis's 8-bit
 * logarithmic counter that decays with time); allkeys-random and
 * volatile-random evict a random key; volatile-ttl the key that expires
 * first (the expiry heap's root: exact where Redis samples).  volatile-*
 * consider only keys with a time to live.
 *
 * All of this is main-only state: the keyspace, the pool, the counters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/random.h>
#include "kvd.h"

#define POOL_SIZE		16	/* Redis's EVPOOL_SIZE */
#define POOL_KEY_INLINE		48	/* keys up to this long are not allocated */
#define EVICT_CMD_BUDGET_US	500	/* Redis's default (tenacity 10) */
#define EVICT_TICK_BUDGET_US	2000	/* per tick, like the expiry sweep */
#define EVICT_CHECK_EVERY	16	/* evictions between clock reads */
#define LOAD_FORCE_GROW_PERMILLE 1618	/* Redis grows a full table anyway */
#define LFU_INIT_VAL		5	/* a new key's counter, as Redis */
#define LFU_MAX			255
#define LFU_MINUTES_MASK	0xffffu	/* the decay clock wraps in 45 days */

static const char *const policy_names[KVD_EVICT_NR_POLICIES] = {
	[KVD_EVICT_VOLATILE_LRU] = "volatile-lru",
	[KVD_EVICT_VOLATILE_LFU] = "volatile-lfu",
	[KVD_EVICT_VOLATILE_RANDOM] = "volatile-random",
	[KVD_EVICT_VOLATILE_TTL] = "volatile-ttl",
	[KVD_EVICT_ALLKEYS_LRU] = "allkeys-lru",
	[KVD_EVICT_ALLKEYS_LFU] = "allkeys-lfu",
	[KVD_EVICT_ALLKEYS_RANDOM] = "allkeys-random",
	[KVD_EVICT_NOEVICTION] = "noeviction",
};

/**
 * struct pool_slot - one candidate of the eviction pool
 * @idle: its evict_score() when it was sampled (idle ms, or for LFU
 *	255 minus its counter)
 * @len: the key's length
 * @long_key: the key when longer than POOL_KEY_INLINE (allocated), or NULL
 * @inline_key: the key otherwise
 *
 * The pool keeps key names, not entries: a key may be deleted, expired
 * or rewritten between rounds, so it is looked up again before eviction.
 * Slots move with memmove(): nothing points into one.
 */
struct pool_slot {
	uint64_t idle;
	size_t len;
	char *long_key;
	char inline_key[POOL_KEY_INLINE];
};

static struct pool_slot pool[POOL_SIZE];	/* __rule(MAIN): by @idle, ascending */
static unsigned int pool_len;			/* __rule(MAIN) */
static uint64_t rng_state;			/* __rule(MAIN) */
static int64_t exceeded_since_us;		/* __rule(MAIN): 0 when under */
static uint64_t exceeded_total_us;		/* __rule(MAIN) */

/**
 * now_us - the monotonic clock in microseconds
 *
 * Context: any thread.
 * Return: microseconds since an arbitrary point (never 0 in practice).
 */
static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/**
 * rnd - the next pseudo-random number (xorshift64*)
 *
 * Context: main thread.
 * Return: 64 random bits.
 */
static uint64_t rnd(void)
{
	if (!rng_state &&
	    getrandom(&rng_state, sizeof(rng_state), 0) != sizeof(rng_state))
		rng_state = (uint64_t)now_us() | 1;
	rng_state |= !rng_state;
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

/**
 * kvd_parse_memory - a memory size as Redis reads one
 * @s: digits, then optionally b, k, kb, m, mb, g or gb in any case
 *	(k = 1000, kb = 1024, and so on); no digits read as 0, as in Redis
 * @out: the bytes
 *
 * Context: any thread.
 * Return: 0, or -EINVAL (a sign, another unit, overflow).
 */
int kvd_parse_memory(const char *s, unsigned long long *out)
{
	static const struct {
		const char *unit;
		unsigned long long mul;
	} units[] = {
		{ "", 1 }, { "b", 1 },
		{ "k", 1000ULL }, { "kb", 1024ULL },
		{ "m", 1000ULL * 1000 }, { "mb", 1024ULL * 1024 },
		{ "g", 1000ULL * 1000 * 1000 }, { "gb", 1024ULL * 1024 * 1024 },
	};
	unsigned long long v = 0;
	const char *p = s;
	size_t i;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (~0ULL - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcasecmp(p, units[i].unit))
			continue;
		if (v > ~0ULL / units[i].mul)
			return -EINVAL;
		*out = v * units[i].mul;
		return 0;
	}
	return -EINVAL;
}

/**
 * kvd_evict_policy_parse - a policy by its Redis name, in any case
 * @s: the name
 * @out: the policy
 *
 * Context: any thread.
 * Return: 0, or -EINVAL for a name kvd does not know.
 */
int kvd_evict_policy_parse(const char *s, enum kvd_evict_policy *out)
{
	unsigned int i;

	for (i = 0; i < KVD_EVICT_NR_POLICIES; i++) {
		if (!strcasecmp(s, policy_names[i])) {
			*out = (enum kvd_evict_policy)i;
			return 0;
		}
	}
	return -EINVAL;
}

/**
 * kvd_evict_policy_name - a policy's Redis name
 * @p: the policy
 *
 * Context: any thread.
 * Return: the name.
 */
const char *kvd_evict_policy_name(enum kvd_evict_policy p)
{
	return policy_names[p];
}

/**
 * has_word - whether a space-separated list holds @word
 * @list: the words
 * @word: the word
 *
 * Context: any thread.
 * Return: true when it does.
 */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/**
 * kvd_cmd_denyoom - whether Redis refuses a command when out of memory
 * @fullname: the command's name ("set", "xgroup|create")
 *
 * From the flags COMMAND INFO gives (cmd_meta.c, Redis 7.0.15's).
 *
 * Context: any thread.
 * Return: true for a command Redis 7.0 flags "denyoom".
 */
bool kvd_cmd_denyoom(const char *fullname)
{
	const struct kvd_cmd_meta *m = kvd_cmd_meta(fullname);

	return m && has_word(m->flags, "denyoom");
}

/**
 * oom_refuses - whether a command is refused while memory is over the
 * limit with nothing left to evict
 * @x: the command
 * @cmd: what it runs
 *
 * As Redis's processCommand(): a denyoom command; an EXEC whose queue
 * holds one; inside MULTI, any command but EXEC, DISCARD, QUIT and
 * RESET (queueing takes memory too).
 *
 * Context: main thread.
 * Return: true when it is.
 */
static bool oom_refuses(struct kvd_ctx *x, const struct kvd_cmd *cmd)
{
	struct kvd_client *cl = x->cl;
	size_t i;

	if (kvd_cmd_denyoom(cmd->fullname))
		return true;
	if (!strcmp(cmd->fullname, "exec")) {
		for (i = 0; cl->in_multi && i < cl->nr_queued; i++)
			if (kvd_cmd_denyoom(cl->queue[i].cmd->fullname))
				return true;
		return false;
	}
	return cl->in_multi && strcmp(cmd->fullname, "discard") &&
	       strcmp(cmd->fullname, "quit") && strcmp(cmd->fullname, "reset");
}

/**
 * lfu_policy - whether the policy ranks keys by access frequency
 *
 * Context: main thread.
 * Return: true for allkeys-lfu and volatile-lfu.
 */
static bool lfu_policy(void)
{
	return kvd_cfg.maxmemory_policy == KVD_EVICT_ALLKEYS_LFU ||
	       kvd_cfg.maxmemory_policy == KVD_EVICT_VOLATILE_LFU;
}

/*
 * Under an LFU policy an entry's @lru holds, as Redis's object header
 * does, the minute its counter was last decayed (16 bits) above an 8-bit
 * logarithmic access counter.  Under the others it holds kvd_now_ms() in
 * 32 bits: idle times are exact up to 49 days.  Switching policy
 * reinterprets the field, as in Redis: ranks are off until keys are used.
 */

/**
 * lfu_minutes - the LFU decay clock
 * @now: kvd_now_ms()
 *
 * Context: any thread.
 * Return: minutes, in 16 bits.
 */
static uint32_t lfu_minutes(int64_t now)
{
	return (uint32_t)(now / 60000) & LFU_MINUTES_MASK;
}

/**
 * lfu_decayed - an entry's counter after the decay due by now
 * @e: the entry
 * @now: kvd_now_ms()
 *
 * One point per lfu-decay-time minutes since the last decay (none when
 * that is 0).
 *
 * Context: main thread.
 * Return: the counter, 0-255.
 */
static uint32_t lfu_decayed(const struct kvd_entry *e, int64_t now)
{
	uint32_t counter = e->lru & 0xff, then = e->lru >> 8;
	uint32_t elapsed = (lfu_minutes(now) - then) & LFU_MINUTES_MASK;
	uint32_t periods = kvd_cfg.lfu_decay_time ?
			   elapsed / (uint32_t)kvd_cfg.lfu_decay_time : 0;

	return periods > counter ? 0 : counter - periods;
}

/**
 * kvd_evict_new_key - set a new key's eviction rank
 * @e: the entry
 * @now: kvd_now_ms()
 *
 * Under LFU a new key starts at Redis's LFU_INIT_VAL, so that it is not
 * the first to go before it had a chance to be used.
 *
 * Context: main thread.
 */
void kvd_evict_new_key(struct kvd_entry *e, int64_t now)
{
	if (lfu_policy())
		e->lru = lfu_minutes(now) << 8 | LFU_INIT_VAL;
	else
		e->lru = (uint32_t)now;
}

/**
 * kvd_evict_touch - note an access to a key, for the LRU and LFU policies
 * @e: the entry
 * @now: kvd_now_ms()
 *
 * LFU: the counter decays, then grows by one with probability
 * 1 / ((counter - LFU_INIT_VAL) * lfu-log-factor + 1), as in Redis: with
 * the default factor 10 it reaches 255 after about a million accesses.
 *
 * Context: main thread.
 */
void kvd_evict_touch(struct kvd_entry *e, int64_t now)
{
	uint32_t counter;
	double base, p;

	if (!lfu_policy()) {
		e->lru = (uint32_t)now;
		return;
	}
	counter = lfu_decayed(e, now);
	if (counter < LFU_MAX) {
		base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
		p = 1.0 / (base * kvd_cfg.lfu_log_factor + 1);
		if ((double)(rnd() >> 11) / (double)(1ULL << 53) < p)
			counter++;
	}
	e->lru = lfu_minutes(now) << 8 | counter;
}

/**
 * kvd_evict_lfu_policy - whether the keys' field holds LFU counters
 *
 * Context: main thread.
 * Return: true under allkeys-lfu and volatile-lfu.
 */
bool kvd_evict_lfu_policy(void)
{
	return lfu_policy();
}

/**
 * kvd_evict_idle_ms - how long ago a command last looked a key up
 * @e: the entry
 * @now: kvd_now_ms()
 *
 * Meaningful under a policy that is not LFU (OBJECT IDLETIME).
 *
 * Context: main thread.
 * Return: milliseconds.
 */
uint64_t kvd_evict_idle_ms(const struct kvd_entry *e, int64_t now)
{
	return (uint32_t)((uint32_t)now - e->lru);
}

/**
 * kvd_evict_freq - a key's LFU counter, decayed to now
 * @e: the entry
 * @now: kvd_now_ms()
 *
 * Meaningful under an LFU policy (OBJECT FREQ).
 *
 * Context: main thread.
 * Return: 0-255.
 */
unsigned int kvd_evict_freq(const struct kvd_entry *e, int64_t now)
{
	return lfu_decayed(e, now);
}

/**
 * evict_score - how evictable a key is: the larger, the sooner it goes
 * @e: the entry
 * @now: kvd_now_ms()
 *
 * Context: main thread.
 * Return: LRU: milliseconds since its last access; LFU: 255 minus its
 * decayed counter.
 */
static uint64_t evict_score(const struct kvd_entry *e, int64_t now)
{
	if (lfu_policy())
		return LFU_MAX - lfu_decayed(e, now);
	return kvd_evict_idle_ms(e, now);
}

/**
 * slot_key - a pool slot's key
 * @sl: the slot
 *
 * Context: main thread.
 * Return: its bytes (slot_key(@sl)[0 .. @sl->len - 1]).
 */
static const char *slot_key(const struct pool_slot *sl)
{
	return sl->long_key ? sl->long_key : sl->inline_key;
}

/**
 * slot_clear - forget a pool slot's key
 * @sl: the slot
 *
 * Context: main thread.
 */
static void slot_clear(struct pool_slot *sl)
{
	free(sl->long_key);
	sl->long_key = NULL;
	sl->len = 0;
}

/**
 * pool_insert - offer a sampled key to the pool
 * @e: the key's entry
 * @idle: its evict_score()
 *
 * A full pool drops its lowest-scored candidate for a higher one; a key
 * scored below all of a full pool's is not kept.
 *
 * Context: main thread.
 */
static void pool_insert(const struct kvd_entry *e, uint64_t idle)
{
	char *long_key = NULL;
	unsigned int i;

	if (pool_len == POOL_SIZE && idle <= pool[0].idle)
		return;
	if (e->keylen > POOL_KEY_INLINE) {
		long_key = malloc(e->keylen);
		if (!long_key)
			return;		/* one candidate less */
		memcpy(long_key, e->key, e->keylen);
	}
	if (pool_len == POOL_SIZE) {
		slot_clear(&pool[0]);
		memmove(&pool[0], &pool[1], (POOL_SIZE - 1) * sizeof(pool[0]));
		pool_len--;
	}
	for (i = pool_len; i > 0 && pool[i - 1].idle > idle; i--)
		;
	memmove(&pool[i + 1], &pool[i], (pool_len - i) * sizeof(pool[0]));
	pool[i].idle = idle;
	pool[i].len = e->keylen;
	pool[i].long_key = long_key;
	if (!long_key)
		memcpy(pool[i].inline_key, e->key, e->keylen);
	pool_len++;
}

/**
 * sample_table - offer about @n keys of the whole keyspace to the pool
 * @db: the keyspace
 * @n: how many (maxmemory-samples)
 * @now: kvd_now_ms()
 *
 * Walks the buckets from a random one, as Redis's dictGetSomeKeys()
 * does, for at most 10 * @n buckets; and on, to the first key, when
 * those were all empty (a sparse table), so that a round never comes
 * back empty-handed while there are keys.
 *
 * Context: main thread.
 */
static void sample_table(struct kvd_db *db, unsigned long n, int64_t now)
{
	size_t b = (size_t)rnd() & db->mask, steps = 0, limit = n * 10;
	unsigned long got = 0;

	while (got < n && (steps < limit || !got)) {
		struct kvd_entry *e;

		for (e = db->buckets[b]; e && got < n; e = e->next, got++)
			pool_insert(e, evict_score(e, now));
		b = (b + 1) & db->mask;
		if (++steps > db->mask + 1 && !got)
			break;		/* cannot happen while db->count > 0 */
	}
}

/**
 * sample_volatile - offer @n keys with a time to live to the pool
 * @db: the keyspace
 * @n: how many
 * @now: kvd_now_ms()
 *
 * Context: main thread.
 */
static void sample_volatile(struct kvd_db *db, unsigned long n, int64_t now)
{
	unsigned long i;

	for (i = 0; i < n; i++) {
		struct kvd_entry *e = db->heap[rnd() % db->heap_len];

		pool_insert(e, evict_score(e, now));
	}
}

/**
 * pool_best - the best pool candidate that is still a key to evict
 * @db: the keyspace
 * @volatile_only: the key must still have a time to live
 * @now: kvd_now_ms()
 *
 * Candidates are taken from the highest score down; each is removed from
 * the pool whether its key is still there or not.
 *
 * Context: main thread.
 * Return: the entry, or NULL when the pool has none left.
 */
static struct kvd_entry *pool_best(struct kvd_db *db, bool volatile_only,
				   int64_t now)
{
	while (pool_len) {
		struct pool_slot *sl = &pool[--pool_len];
		struct kvd_entry *e = kvd_store_find(db, slot_key(sl), sl->len,
						     now);

		slot_clear(sl);
		if (e && (!volatile_only || e->expire_ms >= 0))
			return e;
	}
	return NULL;
}

/**
 * random_key - a random key of the whole keyspace
 * @db: the keyspace, not empty
 *
 * A random non-empty bucket, then a random key of its chain.
 *
 * Context: main thread.
 * Return: the entry.
 */
static struct kvd_entry *random_key(struct kvd_db *db)
{
	size_t b = (size_t)rnd() & db->mask, tries = 0, len = 0, pick;
	struct kvd_entry *e;

	while (!db->buckets[b]) {
		/* Random probes, then a walk, for a sparse table. */
		b = ++tries < 64 ? (size_t)rnd() & db->mask : (b + 1) & db->mask;
	}
	for (e = db->buckets[b]; e; e = e->next)
		len++;
	pick = (size_t)(rnd() % len);
	for (e = db->buckets[b]; pick; pick--)
		e = e->next;
	return e;
}

/**
 * pick_victim - the next key the policy evicts
 * @db: the keyspace
 * @now: kvd_now_ms()
 *
 * Context: main thread.
 * Return: the entry, or NULL when the policy has no key to evict.
 */
static struct kvd_entry *pick_victim(struct kvd_db *db, int64_t now)
{
	unsigned long n = (unsigned long)kvd_cfg.maxmemory_samples;
	struct kvd_entry *e;

	switch (kvd_cfg.maxmemory_policy) {
	case KVD_EVICT_ALLKEYS_LRU:
	case KVD_EVICT_ALLKEYS_LFU:
		while (db->count) {
			/* No more samples than keys, as Redis. */
			sample_table(db, n < db->count ? n : db->count, now);
			e = pool_best(db, false, now);
			if (e)
				return e;
		}
		return NULL;
	case KVD_EVICT_VOLATILE_LRU:
	case KVD_EVICT_VOLATILE_LFU:
		while (db->heap_len) {
			sample_volatile(db, n < db->heap_len ? n : db->heap_len,
					now);
			e = pool_best(db, true, now);
			if (e)
				return e;
		}
		return NULL;
	case KVD_EVICT_ALLKEYS_RANDOM:
		return db->count ? random_key(db) : NULL;
	case KVD_EVICT_VOLATILE_RANDOM:
		return db->heap_len ? db->heap[rnd() % db->heap_len] : NULL;
	case KVD_EVICT_VOLATILE_TTL:
		return db->heap_len ? db->heap[0] : NULL;
	default:
		return NULL;
	}
}

/**
 * kvd_mem_used - the memory maxmemory limits, INFO's used_memory
 *
 * The keyspace's bytes and the output queued for clients, as Redis
 * counts its client buffers in used_memory.  A value a reply references
 * (zero-copy) counts twice while the reply is queued: once in the
 * keyspace, once in that client's output.
 *
 * Context: main thread.
 * Return: bytes.
 */
size_t kvd_mem_used(void)
{
	return kvd_stats.used_memory + kvd_stats.clients_output;
}

/**
 * kvd_mem_client_output - learn a client's queued output again
 * @c: the client
 *
 * Context: main thread.
 */
void kvd_mem_client_output(struct baton_client *c)
{
	struct kvd_client *cl = baton_client_data(c);
	size_t now;

	if (!cl)
		return;
	now = baton_client_output_bytes(c);
	kvd_stats.clients_output += now - cl->output_counted;
	cl->output_counted = now;
	if (kvd_mem_used() > kvd_stats.peak_memory)
		kvd_stats.peak_memory = kvd_mem_used();
}

/**
 * kvd_mem_client_gone - a closing client's output no longer counts
 * @cl: its state
 *
 * Context: main thread.
 */
void kvd_mem_client_gone(struct kvd_client *cl)
{
	kvd_stats.clients_output -= cl->output_counted;
	cl->output_counted = 0;
}

/**
 * refresh_one - kvd_mem_client_output() as a baton_client_for_each() callback
 * @c: the client
 * @arg: unused
 *
 * Context: main thread.
 * Return: 0, to go on.
 */
static int refresh_one(struct baton_client *c, void *arg)
{
	(void)arg;
	kvd_mem_client_output(c);
	return 0;
}

/**
 * kvd_mem_clients_refresh - learn every client's queued output again
 * @s: the server
 * @always: walk the clients even when the last count was 0
 *
 * A client's output drains on its IO worker without main's knowing; the
 * tick walks the clients while the count is not 0 (and maxmemory is set),
 * so that what was sent stops counting; INFO walks them always.
 *
 * Context: main thread.
 */
void kvd_mem_clients_refresh(struct baton_server *s, bool always)
{
	if (always || kvd_stats.clients_output)
		baton_client_for_each(s, refresh_one, NULL);
}

/**
 * kvd_evict_over - whether kvd's memory is over maxmemory
 *
 * Context: main thread.
 * Return: true when a limit is set and the count is above it.
 */
bool kvd_evict_over(void)
{
	return kvd_cfg.maxmemory && kvd_mem_used() > kvd_cfg.maxmemory;
}

/**
 * kvd_mem_may_grow - whether the keyspace may allocate @bytes more
 * @bytes: the allocation (a bigger hash table)
 * @load_permille: the table's keys per bucket, times 1000
 *
 * As Redis 7.0 does, a table does not double when that alone would pass
 * maxmemory, unless it is very full (more than 1.618 keys per bucket):
 * a doubling would otherwise evict many keys at once for the table.
 *
 * Context: main thread.
 * Return: true when it may.
 */
bool kvd_mem_may_grow(size_t bytes, size_t load_permille)
{
	return !kvd_cfg.maxmemory ||
	       kvd_mem_used() + bytes <= kvd_cfg.maxmemory ||
	       load_permille > LOAD_FORCE_GROW_PERMILLE;
}

/**
 * track_exceeded - account the time kvd spends over maxmemory
 * @over: whether it still is after this round
 * @now: now_us()
 *
 * Context: main thread.
 */
static void track_exceeded(bool over, int64_t now)
{
	if (over && !exceeded_since_us) {
		exceeded_since_us = now;
	} else if (!over && exceeded_since_us) {
		exceeded_total_us += (uint64_t)(now - exceeded_since_us);
		exceeded_since_us = 0;
	}
}

/**
 * kvd_evict - evict keys until kvd's memory is under maxmemory
 * @budget_us: stop after about this long (checked every 16 keys)
 *
 * Every evicted key is deleted like DEL deletes it (a value a reply
 * still references is freed when that reply's reference goes), signals
 * kvd_signal_modified() and counts in evicted_keys.
 *
 * Context: main thread.
 * Return: KVD_EVICT_OK when under the limit (or no limit),
 * KVD_EVICT_RUNNING when the budget ran out first (the tick goes on),
 * KVD_EVICT_FAIL when over it with nothing the policy may evict.
 */
enum kvd_evict_result kvd_evict(int64_t budget_us)
{
	int64_t start, now_ms = kvd_now_ms();
	enum kvd_evict_result res = KVD_EVICT_OK;
	unsigned int n = 0;

	if (!kvd_evict_over()) {
		if (exceeded_since_us)
			track_exceeded(false, now_us());
		return KVD_EVICT_OK;
	}
	start = now_us();
	while (kvd_evict_over()) {
		struct kvd_entry *e = NULL;

		if (kvd_cfg.maxmemory_policy != KVD_EVICT_NOEVICTION)
			e = pick_victim(&kvd_db, now_ms);
		if (!e) {
			res = KVD_EVICT_FAIL;
			break;
		}
		kvd_signal_modified(e->key, e->keylen);
		kvd_store_delete(&kvd_db, e);
		kvd_stats.evicted_keys++;
		if (++n % EVICT_CHECK_EVERY == 0 && now_us() - start > budget_us) {
			res = kvd_evict_over() ? KVD_EVICT_RUNNING : KVD_EVICT_OK;
			break;
		}
	}
	track_exceeded(res != KVD_EVICT_OK, now_us());
	return res;
}

/**
 * kvd_evict_for_command - make room before a command, or refuse it
 * @x: the command
 * @cmd: what it runs
 *
 * As Redis's processCommand(): with maxmemory set, every command first
 * evicts what the policy allows (for at most EVICT_CMD_BUDGET_US); when
 * memory is still over the limit with nothing left to evict, the
 * commands of oom_refuses() are refused.  When the budget ran out, the
 * command runs and the tick goes on evicting.
 *
 * Context: main thread.
 * Return: true when the command must not run; the caller replies
 * KVD_ERR_OOM_MAXMEMORY (an EXECABORT for EXEC).
 */
bool kvd_evict_for_command(struct kvd_ctx *x, const struct kvd_cmd *cmd)
{
	if (!kvd_cfg.maxmemory)
		return false;
	if (kvd_evict(EVICT_CMD_BUDGET_US) != KVD_EVICT_FAIL)
		return false;
	return oom_refuses(x, cmd);
}

/**
 * kvd_evict_tick - go on evicting from the tick while over the limit
 * @s: the server
 *
 * What Redis's evictionTimeProc does between commands: eviction that ran
 * out of time in a command, or a limit lowered below the memory in use,
 * continues here, EVICT_TICK_BUDGET_US per tick.
 *
 * Context: main thread.
 */
void kvd_evict_tick(struct baton_server *s)
{
	if (kvd_cfg.maxmemory) {
		kvd_mem_clients_refresh(s, false);
		kvd_evict(EVICT_TICK_BUDGET_US);
	}
	else if (exceeded_since_us)
		track_exceeded(false, now_us());
}

/**
 * kvd_evict_exceeded_ms - time spent over maxmemory
 * @current: receives the time of the current stretch (0 when under)
 *
 * Context: main thread.
 * Return: the total over all stretches, the current one included (ms).
 */
uint64_t kvd_evict_exceeded_ms(uint64_t *current)
{
	uint64_t cur = exceeded_since_us ?
		       (uint64_t)(now_us() - exceeded_since_us) : 0;

	*current = cur / 1000;
	return (exceeded_total_us + cur) / 1000;
}

/**
 * kvd_evict_stats_reset - CONFIG RESETSTAT: the exceeded time from zero
 *
 * As in Redis, a stretch over the limit that is going on counts from now.
 *
 * Context: main thread.
 */
void kvd_evict_stats_reset(void)
{
	exceeded_total_us = 0;
	if (exceeded_since_us)
		exceeded_since_us = now_us();
}

/**
 * kvd_evict_free - forget the pool's candidates
 *
 * Context: main thread, at exit.
 */
void kvd_evict_free(void)
{
	while (pool_len)
		slot_clear(&pool[--pool_len]);
}
