// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * store.c - the keyspace, which only the main thread touches: a chained
 * hash table of keys, string values as refcounted baton objects, lists,
 * and expiry (a min-heap checked lazily on access and swept every tick).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include "kvd.h"

#if defined(__SANITIZE_THREAD__)
# define KVD_TSAN	1
#elif defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  define KVD_TSAN	1
# endif
#endif
#ifdef KVD_TSAN
void __tsan_acquire(void *addr);
#endif

#define TABLE_MIN	16
#define LIST_MIN	8

struct kvd_db kvd_db;		/* __rule(MAIN) */
struct kvd_stats kvd_stats;	/* __rule(MAIN) */

static uint64_t hash_k0, hash_k1;	/* __rule(MAIN): the hash's random key */
/* xorshift64*: RANDOMKEY's choices need no more. */
static uint64_t random_state;	/* __rule(MAIN) */

/**
 * kvd_now_ms - kvd's clock: monotonic milliseconds
 *
 * Expiry times are kept on this clock, so a wall-clock step never expires
 * or revives keys.
 *
 * Context: any thread.
 * Return: milliseconds since an arbitrary point.
 */
int64_t kvd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/**
 * kvd_now_us - kvd's clock in microseconds (the clock of kvd_now_ms())
 *
 * Context: any thread.
 * Return: microseconds since an arbitrary point; / 1000 is kvd_now_ms().
 */
int64_t kvd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/**
 * mem_add - account @n bytes more held by the keyspace
 * @n: the bytes
 *
 * Context: main thread.
 */
static void mem_add(size_t n)
{
	kvd_stats.used_memory += n;
	if (kvd_mem_used() > kvd_stats.peak_memory)
		kvd_stats.peak_memory = kvd_mem_used();
}

/**
 * mem_sub - account @n bytes less held by the keyspace
 * @n: the bytes
 *
 * Context: main thread.
 */
static void mem_sub(size_t n)
{
	kvd_stats.used_memory -= n;
}

/**
 * kvd_mem_add - account @n bytes more held by a value (dict.c)
 * @n: the bytes
 *
 * Context: main thread.
 */
void kvd_mem_add(size_t n)
{
	mem_add(n);
}

/**
 * kvd_mem_sub - account @n bytes less held by a value (dict.c)
 * @n: the bytes
 *
 * Context: main thread.
 */
void kvd_mem_sub(size_t n)
{
	mem_sub(n);
}

/* ------------------------------------------------------------ strings */

/**
 * kvd_str_free - free a string value once its last reference is gone
 * @obj: the string's baton object
 *
 * The string type is main-only (no BATON_TYPE_FREE_ANY_THREAD): this
 * updates kvd_stats.used_memory, which only main touches.  When an IO
 * worker drops the last reference (it finished writing a GET reply after
 * main deleted or overwrote the key), baton sends the object back to main
 * through the worker's deferred-free queue and calls this there.
 *
 * Context: main thread only.
 */
static void kvd_str_free(struct baton_obj *obj)
{
	struct kvd_str *s = baton_container_of(obj, struct kvd_str, obj);

	mem_sub(sizeof(*s) + s->cap);
	free(s);
}

static struct baton_type kvd_str_type = {	/* __rule(IMMUTABLE) */
	.name = "kvd-string",
	.free = kvd_str_free,
};

/**
 * kvd_types_register - register kvd's baton object types
 *
 * Context: main thread, before the first value is created.
 * Return: 0 or -EINVAL.
 */
int kvd_types_register(void)
{
	return baton_type_register(&kvd_str_type);
}

/**
 * kvd_str_new - a new string value holding one reference
 * @bytes: its first bytes, or NULL to leave them unset
 * @len: how many
 * @cap: bytes to allocate (at least @len), room for in-place APPEND
 *
 * Context: main thread.
 * Return: the string, or NULL when out of memory.
 */
struct kvd_str *kvd_str_new(const char *bytes, size_t len, size_t cap)
{
	struct kvd_str *s;

	if (cap < len)
		cap = len;
	s = malloc(sizeof(*s) + cap);
	if (!s)
		return NULL;
	if (baton_obj_init(&s->obj, &kvd_str_type)) {
		free(s);
		return NULL;
	}
	s->len = len;
	s->cap = cap;
	if (bytes && len)
		memcpy(s->bytes, bytes, len);
	mem_add(sizeof(*s) + cap);
	return s;
}

/**
 * kvd_str_put - drop a reference to a string value
 * @s: the string, or NULL
 *
 * Context: main thread (the free then runs at once when this was the
 * last reference).
 */
void kvd_str_put(struct kvd_str *s)
{
	if (s)
		baton_obj_put(&s->obj);
}

/**
 * kvd_str_get - take one more reference to a string value
 * @s: the string
 *
 * Context: main thread (only main takes references to values).
 * Return: @s.
 */
struct kvd_str *kvd_str_get(struct kvd_str *s)
{
	baton_obj_get(&s->obj);
	return s;
}

/**
 * kvd_str_exclusive - whether the store's reference to @s is the only one
 * @s: a string value the caller (main) holds a reference to
 *
 * Only main takes references (the store's, and one per reply it
 * queues), so a count of 1 read on main is exact: no reply in flight
 * reads @s, and none can start before main queues one.  The acquire
 * pairs with the release decrement of the IO worker that dropped the
 * last reply's reference, so its reads of the bytes happen before the
 * caller's writes.  ThreadSanitizer does not model the fence: under it
 * the same pairing is told to the sanitizer directly.
 *
 * Context: main thread.
 * Return: true when the bytes may be written in place.
 */
bool kvd_str_exclusive(struct kvd_str *s)
{
	if (baton_obj_refs(&s->obj) != 1)
		return false;
#ifdef KVD_TSAN
	__tsan_acquire(&s->obj);	/* the count is the object's first field */
#else
	atomic_thread_fence(memory_order_acquire);
#endif
	return true;
}

/**
 * kvd_str_grow_cap - the room to allocate for a string growing to @len
 * @len: the length it needs
 *
 * Doubling below 1 MiB, 1 MiB steps above (as sds), so that repeated
 * growth costs amortized O(bytes added).
 *
 * Context: any thread.
 * Return: the capacity.
 */
size_t kvd_str_grow_cap(size_t len)
{
	return len < KVD_STR_STEP ? len * 2 : len + KVD_STR_STEP;
}

/**
 * kvd_str_for_write - @e's string, ready for the caller to write bytes
 * [@off, @end) of it
 * @e: a string entry
 * @off: the first byte to write
 * @end: one past the last; the string is extended to it (zero bytes)
 *	when it is shorter
 *
 * Copy on write: the bytes are written in place when they fit and no
 * reply in flight can read them -- they lie past the current length,
 * which no reply covers (a reply carries its own length), or the store
 * holds the only reference.  Otherwise the entry gets a copy with room
 * to grow, and the old value is put (a reply in flight keeps it alive).
 *
 * Context: main thread.
 * Return: the string to write into (@e->str), or NULL when out of
 * memory (the entry is unchanged).
 */
struct kvd_str *kvd_str_for_write(struct kvd_entry *e, size_t off, size_t end)
{
	struct kvd_str *s = e->str, *n;

	if (end > s->cap || (off < s->len && !kvd_str_exclusive(s))) {
		n = kvd_str_new(s->bytes, s->len,
				end > s->cap ? kvd_str_grow_cap(end) : s->cap);
		if (!n)
			return NULL;
		kvd_store_set_str(e, n);
		s = n;
	}
	if (end > s->len) {
		memset(s->bytes + s->len, 0, end - s->len);
		s->len = end;
	}
	return s;
}

/**
 * kvd_str_write - write bytes into a string value
 * @s: the string kvd_str_for_write() returned for a range holding
 *	[@off, @off + @n)
 * @off: where
 * @p: the bytes
 * @n: how many
 *
 * struct kvd_str::bytes is IMMUTABLE byte by byte: a byte a reply in
 * flight may read is never changed.  kvd_str_for_write() made sure of
 * that for the range (past the length no reply covers, or the store
 * holds the only reference; else a copy); this is the one place that
 * then writes.
 *
 * Context: main thread.
 */
void kvd_str_write(struct kvd_str *s, size_t off, const void *p, size_t n)
{
	memcpy(s->bytes + off, p, n);
}

/* ------------------------------------------------------------ lists */

/**
 * kvd_list_new - an empty list
 *
 * Context: main thread.
 * Return: the list, or NULL when out of memory.
 */
struct kvd_list *kvd_list_new(void)
{
	struct kvd_list *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->items = malloc(LIST_MIN * sizeof(*l->items));
	if (!l->items) {
		free(l);
		return NULL;
	}
	l->cap = LIST_MIN;
	mem_add(sizeof(*l) + l->cap * sizeof(*l->items));
	return l;
}

/**
 * list_free - drop every element's reference and free the list
 * @l: the list
 *
 * Context: main thread.
 */
static void list_free(struct kvd_list *l)
{
	size_t i;

	for (i = 0; i < l->len; i++)
		kvd_str_put(kvd_list_at(l, i));
	mem_sub(sizeof(*l) + l->cap * sizeof(*l->items));
	free(l->items);
	free(l);
}

/**
 * list_grow - double the ring, keeping the order
 * @l: the list, full
 *
 * Context: main thread.
 * Return: 0 or -ENOMEM.
 */
static int list_grow(struct kvd_list *l)
{
	size_t cap = l->cap * 2, i;
	struct kvd_str **items = malloc(cap * sizeof(*items));

	if (!items)
		return -ENOMEM;
	for (i = 0; i < l->len; i++)
		items[i] = kvd_list_at(l, i);
	mem_add((cap - l->cap) * sizeof(*items));
	free(l->items);
	l->items = items;
	l->cap = cap;
	l->head = 0;
	return 0;
}

/**
 * kvd_list_push - add an element at the head or the tail
 * @l: the list
 * @s: the element; the list takes the caller's reference
 * @left: true for the head (LPUSH), false for the tail (RPUSH)
 *
 * Context: main thread.
 * Return: 0, or -ENOMEM (the reference stays the caller's).
 */
int kvd_list_push(struct kvd_list *l, struct kvd_str *s, bool left)
{
	if (l->len == l->cap && list_grow(l))
		return -ENOMEM;
	if (left) {
		l->head = (l->head + l->cap - 1) & (l->cap - 1);
		l->items[l->head] = s;
	} else {
		l->items[(l->head + l->len) & (l->cap - 1)] = s;
	}
	l->len++;
	return 0;
}

/**
 * kvd_list_pop - take the element at the head or the tail
 * @l: the list
 * @left: true for the head, false for the tail
 *
 * Context: main thread.
 * Return: the element (its reference is now the caller's), NULL when the
 * list is empty.
 */
struct kvd_str *kvd_list_pop(struct kvd_list *l, bool left)
{
	struct kvd_str *s;

	if (!l->len)
		return NULL;
	if (left) {
		s = l->items[l->head];
		l->head = (l->head + 1) & (l->cap - 1);
	} else {
		s = l->items[(l->head + l->len - 1) & (l->cap - 1)];
	}
	l->len--;
	return s;
}

/**
 * kvd_list_at - the element at index @i (0 = head)
 * @l: the list
 * @i: the index, below @l->len
 *
 * Context: main thread.
 * Return: the element; no reference is taken.
 */
struct kvd_str *kvd_list_at(const struct kvd_list *l, size_t i)
{
	return l->items[(l->head + i) & (l->cap - 1)];
}

/**
 * kvd_list_slot - the slot of the element at index @i (0 = head)
 * @l: the list
 * @i: the index, below @l->len
 *
 * For commands that rewrite elements in place (LSET, LREM, LINSERT):
 * the caller owns what it stores there.
 *
 * Context: main thread.
 * Return: the slot.
 */
struct kvd_str **kvd_list_slot(struct kvd_list *l, size_t i)
{
	return &l->items[(l->head + i) & (l->cap - 1)];
}

/**
 * kvd_list_insert - insert an element before index @i
 * @l: the list
 * @i: the index, at most @l->len (= append)
 * @s: the element; the list takes the caller's reference
 *
 * Shifts the elements after it by one: O(len - @i).
 *
 * Context: main thread.
 * Return: 0, or -ENOMEM (the reference stays the caller's).
 */
int kvd_list_insert(struct kvd_list *l, size_t i, struct kvd_str *s)
{
	size_t k;

	if (kvd_list_push(l, s, false))
		return -ENOMEM;
	for (k = l->len - 1; k > i; k--)
		*kvd_list_slot(l, k) = *kvd_list_slot(l, k - 1);
	*kvd_list_slot(l, i) = s;
	return 0;
}

/**
 * kvd_list_keep - keep only the elements [@start, @start + @n)
 * @l: the list
 * @start: the first kept
 * @n: how many are kept (@start + @n <= @l->len)
 *
 * The others' references are dropped.
 *
 * Context: main thread.
 */
void kvd_list_keep(struct kvd_list *l, size_t start, size_t n)
{
	size_t i;

	for (i = 0; i < start; i++)
		kvd_str_put(kvd_list_at(l, i));
	for (i = start + n; i < l->len; i++)
		kvd_str_put(kvd_list_at(l, i));
	l->head = (l->head + start) & (l->cap - 1);
	l->len = n;
}

/**
 * kvd_list_compact - drop the NULL slots, keeping the order
 * @l: the list, some of whose slots the caller emptied (their references
 *	already dropped)
 *
 * Context: main thread.
 */
void kvd_list_compact(struct kvd_list *l)
{
	size_t r, w = 0;

	for (r = 0; r < l->len; r++) {
		struct kvd_str *s = kvd_list_at(l, r);

		if (s)
			*kvd_list_slot(l, w++) = s;
	}
	l->len = w;
}

/* ------------------------------------------------------------ hashing */

#define ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

/**
 * key_hash - SipHash-1-3 of a key, with a key chosen at start
 * @p: the key
 * @len: its length
 *
 * A keyed hash: clients cannot pick keys that all land in one bucket.
 *
 * Context: main thread.
 * Return: the hash.
 */
static uint64_t key_hash(const char *p, size_t len)
{
	uint64_t v0 = 0x736f6d6570736575ULL ^ hash_k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ hash_k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ hash_k0;
	uint64_t v3 = 0x7465646279746573ULL ^ hash_k1;
	uint64_t b = (uint64_t)len << 56, m;
	const unsigned char *s = (const unsigned char *)p;
	size_t i, tail = len & 7;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, s + i, 8);	/* little-endian hosts (x86, arm64) */
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	for (m = 0; tail; tail--)
		m |= (uint64_t)s[i + tail - 1] << (8 * (tail - 1));
	b |= m;
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/**
 * kvd_hash - the keyspace's keyed hash, for the tables of hash and set
 *	values
 * @p: the bytes
 * @len: their number
 *
 * Context: main thread.
 * Return: the hash.
 */
uint64_t kvd_hash(const char *p, size_t len)
{
	return key_hash(p, len);
}

/* ------------------------------------------------------------ expiry heap */

/**
 * heap_set - put @e at heap index @i
 * @db: the keyspace
 * @i: the index
 * @e: the entry
 *
 * Context: main thread.
 */
static void heap_set(struct kvd_db *db, size_t i, struct kvd_entry *e)
{
	db->heap[i] = e;
	e->heap_idx = i;
}

/**
 * heap_up - move the entry at @i up while it expires before its parent
 * @db: the keyspace
 * @i: the index
 *
 * Context: main thread.
 */
static void heap_up(struct kvd_db *db, size_t i)
{
	struct kvd_entry *e = db->heap[i];

	while (i) {
		size_t parent = (i - 1) / 2;

		if (db->heap[parent]->expire_ms <= e->expire_ms)
			break;
		heap_set(db, i, db->heap[parent]);
		i = parent;
	}
	heap_set(db, i, e);
}

/**
 * heap_down - move the entry at @i down while a child expires before it
 * @db: the keyspace
 * @i: the index
 *
 * Context: main thread.
 */
static void heap_down(struct kvd_db *db, size_t i)
{
	struct kvd_entry *e = db->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= db->heap_len)
			break;
		if (child + 1 < db->heap_len &&
		    db->heap[child + 1]->expire_ms < db->heap[child]->expire_ms)
			child++;
		if (e->expire_ms <= db->heap[child]->expire_ms)
			break;
		heap_set(db, i, db->heap[child]);
		i = child;
	}
	heap_set(db, i, e);
}

/**
 * heap_remove - take @e out of the expiry heap
 * @db: the keyspace
 * @e: an entry in the heap
 *
 * Context: main thread.
 */
static void heap_remove(struct kvd_db *db, struct kvd_entry *e)
{
	size_t i = e->heap_idx;
	struct kvd_entry *last = db->heap[--db->heap_len];

	if (last == e)
		return;
	heap_set(db, i, last);
	heap_up(db, i);
	heap_down(db, last->heap_idx);
}

/**
 * kvd_store_set_expire - make @e expire at @when
 * @db: the keyspace
 * @e: the entry
 * @when: kvd_now_ms() time
 *
 * Context: main thread.
 * Return: 0, or -ENOMEM (the entry keeps its old expiry).
 */
int kvd_store_set_expire(struct kvd_db *db, struct kvd_entry *e, int64_t when)
{
	if (e->expire_ms >= 0) {
		e->expire_ms = when;
		heap_up(db, e->heap_idx);
		heap_down(db, e->heap_idx);
		return 0;
	}
	if (db->heap_len == db->heap_cap) {
		size_t cap = db->heap_cap ? db->heap_cap * 2 : 64;
		struct kvd_entry **h = realloc(db->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		mem_add((cap - db->heap_cap) * sizeof(*h));
		db->heap = h;
		db->heap_cap = cap;
	}
	e->expire_ms = when;
	heap_set(db, db->heap_len++, e);
	heap_up(db, e->heap_idx);
	return 0;
}

/**
 * kvd_store_persist - remove @e's expiry
 * @db: the keyspace
 * @e: the entry
 *
 * Context: main thread.
 */
void kvd_store_persist(struct kvd_db *db, struct kvd_entry *e)
{
	if (e->expire_ms < 0)
		return;
	heap_remove(db, e);
	e->expire_ms = -1;
}

/* ------------------------------------------------------------ the table */

/**
 * table_alloc - allocate @size empty buckets
 * @size: a power of two
 *
 * Context: main thread.
 * Return: the buckets, or NULL.
 */
static struct kvd_entry **table_alloc(size_t size)
{
	struct kvd_entry **b = calloc(size, sizeof(*b));

	if (b)
		mem_add(size * sizeof(*b));
	return b;
}

/**
 * kvd_store_init - an empty keyspace
 * @db: the keyspace
 *
 * Context: main thread, before the server runs.
 * Return: 0 or -ENOMEM.
 */
int kvd_store_init(struct kvd_db *db)
{
	if (getrandom(&hash_k0, sizeof(hash_k0), 0) != sizeof(hash_k0) ||
	    getrandom(&hash_k1, sizeof(hash_k1), 0) != sizeof(hash_k1)) {
		hash_k0 = (uint64_t)kvd_now_ms() * 0x9e3779b97f4a7c15ULL;
		hash_k1 = (uint64_t)getpid() * 0xc2b2ae3d27d4eb4fULL;
	}
	random_state = (hash_k0 ^ hash_k1) | 1;	/* never 0 */
	memset(db, 0, sizeof(*db));
	db->buckets = table_alloc(TABLE_MIN);
	if (!db->buckets)
		return -ENOMEM;
	db->mask = TABLE_MIN - 1;
	return 0;
}

/**
 * value_free - drop an entry's value, of any type
 * @e: the entry
 *
 * Context: main thread.  A string value another thread still writes out
 * is freed later, by its last put; so is a hash field's value.
 */
static void value_free(struct kvd_entry *e)
{
	switch (e->type) {
	case KVD_STRING:
		kvd_str_put(e->str);
		break;
	case KVD_LIST:
		list_free(e->list);
		break;
	case KVD_HASH:
	case KVD_SET:
		kvd_dict_free(e->dict);
		break;
	}
}

/**
 * entry_free - free an entry (already unlinked) and drop its value
 * @e: the entry
 *
 * Context: main thread.  A string value another thread still writes out
 * is freed later, by its last put.
 */
static void entry_free(struct kvd_entry *e)
{
	value_free(e);
	mem_sub(sizeof(*e) + e->keylen + 1);
	free(e);
}

/**
 * kvd_store_flush - delete every key
 * @db: the keyspace
 *
 * The table goes back to its smallest size when that can be allocated.
 *
 * Context: main thread.
 */
void kvd_store_flush(struct kvd_db *db)
{
	struct kvd_entry **small;
	size_t i;

	for (i = 0; i <= db->mask; i++) {
		struct kvd_entry *e = db->buckets[i], *next;

		for (; e; e = next) {
			next = e->next;
			entry_free(e);
		}
		db->buckets[i] = NULL;
	}
	db->count = 0;
	db->heap_len = 0;
	if (db->mask + 1 > TABLE_MIN && (small = table_alloc(TABLE_MIN))) {
		mem_sub((db->mask + 1) * sizeof(*db->buckets));
		free(db->buckets);
		db->buckets = small;
		db->mask = TABLE_MIN - 1;
	}
}

/**
 * kvd_store_free - delete every key and free the keyspace's tables
 * @db: the keyspace
 *
 * Context: the main thread, after baton_server_run() returned and before
 * baton_server_destroy(): the thread is still the server's main thread,
 * so the values' main-only frees run at once (those whose last reference
 * a reply still holds were released when run closed every client).
 */
void kvd_store_free(struct kvd_db *db)
{
	if (!db->buckets)
		return;
	kvd_store_flush(db);
	mem_sub((db->mask + 1) * sizeof(*db->buckets));
	free(db->buckets);
	mem_sub(db->heap_cap * sizeof(*db->heap));
	free(db->heap);
	memset(db, 0, sizeof(*db));
}

/**
 * table_grow - double the table (kept when that cannot be allocated)
 * @db: the keyspace
 *
 * Context: main thread.
 */
static void table_grow(struct kvd_db *db)
{
	size_t size = (db->mask + 1) * 2, i;
	struct kvd_entry **b = table_alloc(size);

	if (!b)
		return;		/* longer chains, still correct */
	for (i = 0; i <= db->mask; i++) {
		struct kvd_entry *e = db->buckets[i], *next;

		for (; e; e = next) {
			size_t j = e->hash & (size - 1);

			next = e->next;
			e->next = b[j];
			b[j] = e;
		}
	}
	mem_sub((db->mask + 1) * sizeof(*b));
	free(db->buckets);
	db->buckets = b;
	db->mask = size - 1;
}

/**
 * kvd_store_find - look a key up, expiring it when its time has passed
 * @db: the keyspace
 * @key: the key
 * @len: its length
 * @now: kvd_now_ms()
 *
 * A key whose expiry time is before @now is deleted here (lazy expiry).
 *
 * Context: main thread.
 * Return: the entry, or NULL when there is no such (live) key.
 */
struct kvd_entry *kvd_store_find(struct kvd_db *db, const char *key,
				 size_t len, int64_t now)
{
	uint64_t h = key_hash(key, len);
	struct kvd_entry *e;

	for (e = db->buckets[h & db->mask]; e; e = e->next)
		if (e->hash == h && e->keylen == len && !memcmp(e->key, key, len))
			break;
	if (e && e->expire_ms >= 0 && now > e->expire_ms) {
		kvd_store_expire(db, e);
		return NULL;
	}
	return e;
}

/**
 * kvd_store_peek - look a key up as it is in the table
 * @db: the keyspace
 * @key: the key
 * @len: its length
 *
 * An expired key not deleted yet is found too, and nothing is counted.
 *
 * Context: main thread.
 * Return: the entry, or NULL.
 */
struct kvd_entry *kvd_store_peek(struct kvd_db *db, const char *key,
				 size_t len)
{
	uint64_t h = key_hash(key, len);
	struct kvd_entry *e;

	for (e = db->buckets[h & db->mask]; e; e = e->next)
		if (e->hash == h && e->keylen == len && !memcmp(e->key, key, len))
			return e;
	return NULL;
}

/**
 * kvd_store_expire - delete a key whose time has passed
 * @db: the keyspace
 * @e: its entry
 *
 * Counts it in expired_keys and tells its watchers (WATCH).
 *
 * Context: main thread.
 */
void kvd_store_expire(struct kvd_db *db, struct kvd_entry *e)
{
	kvd_signal_modified(e->key, e->keylen);
	kvd_store_delete(db, e);
	kvd_stats.expired_keys++;
}

/**
 * table_link - put an entry (its hash set, its key not in the table) in
 * its bucket, growing the table first when it is full
 * @db: the keyspace
 * @e: the entry
 *
 * Context: main thread.
 */
static void table_link(struct kvd_db *db, struct kvd_entry *e)
{
	size_t b;

	/* Doubling adds as many buckets as there are: within maxmemory. */
	if (db->count >= db->mask + 1 &&
	    kvd_mem_may_grow((db->mask + 1) * sizeof(*db->buckets),
			     db->count * 1000 / (db->mask + 1)))
		table_grow(db);
	b = e->hash & db->mask;
	e->next = db->buckets[b];
	db->buckets[b] = e;
	db->count++;
}

/**
 * table_unlink - take an entry out of its bucket (not out of the heap)
 * @db: the keyspace
 * @e: the entry
 *
 * Context: main thread.
 */
static void table_unlink(struct kvd_db *db, struct kvd_entry *e)
{
	struct kvd_entry **pp = &db->buckets[e->hash & db->mask];

	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	db->count--;
}

/**
 * kvd_store_add - add a key that is not there
 * @db: the keyspace
 * @key: the key
 * @len: its length
 * @type: its value's type; a list, hash or set starts empty, a string's
 *	value is set by the caller with kvd_store_set_str() at once
 *
 * Context: main thread.
 * Return: the new entry, or NULL when out of memory.
 */
struct kvd_entry *kvd_store_add(struct kvd_db *db, const char *key,
				size_t len, enum kvd_type type)
{
	struct kvd_entry *e = malloc(sizeof(*e) + len + 1);

	if (!e)
		return NULL;
	e->type = type;
	e->str = NULL;
	if (type == KVD_LIST) {
		e->list = kvd_list_new();
		if (!e->list) {
			free(e);
			return NULL;
		}
	} else if (type == KVD_HASH || type == KVD_SET) {
		e->dict = kvd_dict_new();
		if (!e->dict) {
			free(e);
			return NULL;
		}
	}
	e->hash = key_hash(key, len);
	kvd_evict_new_key(e, kvd_now_ms());
	e->expire_ms = -1;
	e->heap_idx = 0;
	e->keylen = len;
	memcpy(e->key, key, len);
	e->key[len] = '\0';
	mem_add(sizeof(*e) + len + 1);
	table_link(db, e);
	return e;
}

/**
 * kvd_store_set_str - give an entry a new string value
 * @e: the entry (a list entry becomes a string entry)
 * @s: the value; the entry takes the caller's reference
 *
 * The old value's reference is dropped: if an IO worker is still writing
 * it to a client, the worker's put is the last and baton frees it on
 * main through the deferred-free queue.
 *
 * Context: main thread.
 */
void kvd_store_set_str(struct kvd_entry *e, struct kvd_str *s)
{
	struct kvd_str *old;

	if (e->type != KVD_STRING) {
		value_free(e);
		e->type = KVD_STRING;
		e->str = NULL;
	}
	old = e->str;
	e->str = s;
	kvd_str_put(old);
}

/**
 * kvd_store_set_dict - give an entry a new hash or set value
 * @e: the entry, of any type
 * @type: KVD_HASH or KVD_SET
 * @d: the value; the entry takes it
 *
 * The old value is dropped (SINTERSTORE and friends overwrite a key of
 * any type).
 *
 * Context: main thread.
 */
void kvd_store_set_dict(struct kvd_entry *e, enum kvd_type type,
			struct kvd_dict *d)
{
	value_free(e);
	e->type = type;
	e->dict = d;
}

/**
 * kvd_entry_type_name - the name TYPE replies for an entry's type
 * @e: the entry
 *
 * Context: main thread.
 * Return: "string", "list", "hash" or "set".
 */
const char *kvd_entry_type_name(const struct kvd_entry *e)
{
	switch (e->type) {
	case KVD_LIST:
		return "list";
	case KVD_HASH:
		return "hash";
	case KVD_SET:
		return "set";
	default:
		return "string";
	}
}

/**
 * kvd_entry_encoding - the name of the representation of an entry's value
 * @e: the entry
 *
 * kvd has one representation per type, and says which (Redis's names
 * where they fit): a string is a buffer ("raw"), a list a ring of string
 * references ("ring"), a hash and a set a chained hash table
 * ("hashtable", at every size: no listpack or intset).
 *
 * Context: main thread.
 * Return: the name.
 */
const char *kvd_entry_encoding(const struct kvd_entry *e)
{
	switch (e->type) {
	case KVD_LIST:
		return "ring";
	case KVD_HASH:
	case KVD_SET:
		return "hashtable";
	default:
		return "raw";
	}
}

/**
 * kvd_store_delete - delete a key
 * @db: the keyspace
 * @e: its entry
 *
 * Context: main thread.
 */
void kvd_store_delete(struct kvd_db *db, struct kvd_entry *e)
{
	table_unlink(db, e);
	if (e->expire_ms >= 0)
		heap_remove(db, e);
	entry_free(e);
}

/**
 * kvd_store_rename - give an entry a new key, replacing @dst
 * @db: the keyspace
 * @e: the entry
 * @dst: the entry of the new key, deleted first; or NULL when the new key
 *	does not exist
 * @key: the new key, not @e's own
 * @len: its length
 *
 * The entry keeps its value, type, expiry and access time: it is moved
 * (resized for the new key), not copied.
 *
 * Context: main thread.
 * Return: the entry (it may have moved), or NULL when out of memory, in
 * which case nothing changed.
 */
struct kvd_entry *kvd_store_rename(struct kvd_db *db, struct kvd_entry *e,
				   struct kvd_entry *dst, const char *key,
				   size_t len)
{
	size_t oldlen = e->keylen;
	struct kvd_entry *n;

	table_unlink(db, e);
	n = realloc(e, sizeof(*e) + len + 1);
	if (!n) {
		table_link(db, e);
		return NULL;
	}
	if (n->expire_ms >= 0)
		db->heap[n->heap_idx] = n;	/* it moved */
	if (dst)
		kvd_store_delete(db, dst);
	n->hash = key_hash(key, len);
	n->keylen = len;
	memcpy(n->key, key, len);
	n->key[len] = '\0';
	mem_sub(oldlen);
	mem_add(len);
	table_link(db, n);
	return n;
}

/**
 * value_dup - give @dst a copy of @src's value
 * @dst: a new entry of @src's type, its value not set
 * @src: the entry copied
 *
 * A string is copied byte for byte: a value must never be shared by two
 * keys, since APPEND writes into it in place.  A list gets its own ring
 * holding new references to the same elements, and a hash or a set its
 * own table holding new references to the same field values: those are
 * never written in place.
 *
 * Context: main thread.
 * Return: 0, or -ENOMEM.
 */
static int value_dup(struct kvd_entry *dst, const struct kvd_entry *src)
{
	struct kvd_dict_iter it = { 0, NULL };
	struct kvd_dict_entry *de, *n;
	bool created;
	size_t i;

	switch (src->type) {
	case KVD_STRING:
		dst->str = kvd_str_new(src->str->bytes, src->str->len,
				       src->str->len);
		return dst->str ? 0 : -ENOMEM;
	case KVD_LIST:
		for (i = 0; i < src->list->len; i++) {
			struct kvd_str *s = kvd_list_at(src->list, i);

			if (kvd_list_push(dst->list, kvd_str_get(s), false)) {
				kvd_str_put(s);
				return -ENOMEM;
			}
		}
		return 0;
	case KVD_HASH:
	case KVD_SET:
		while ((de = kvd_dict_next(src->dict, &it))) {
			n = kvd_dict_upsert(dst->dict, de->key, de->len, &created);
			if (!n)
				return -ENOMEM;
			if (de->val)
				kvd_dict_set_val(n, kvd_str_get(de->val));
		}
		return 0;
	}
	return -EINVAL;
}

/**
 * kvd_store_copy - add @key holding a copy of @e's value and expiry
 * @db: the keyspace
 * @e: the entry copied
 * @key: the new key, not in the table
 * @len: its length
 *
 * Context: main thread.
 * Return: the new entry, or NULL when out of memory (nothing added).
 */
struct kvd_entry *kvd_store_copy(struct kvd_db *db, const struct kvd_entry *e,
				 const char *key, size_t len)
{
	struct kvd_entry *n = kvd_store_add(db, key, len, e->type);

	if (!n)
		return NULL;
	if (value_dup(n, e) ||
	    (e->expire_ms >= 0 && kvd_store_set_expire(db, n, e->expire_ms))) {
		kvd_store_delete(db, n);
		return NULL;
	}
	return n;
}

/**
 * random_next - the next pseudo-random number
 *
 * Context: main thread.
 * Return: 64 random bits.
 */
static uint64_t random_next(void)
{
	uint64_t x = random_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	random_state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/**
 * kvd_store_random - a key chosen at random (RANDOMKEY)
 * @db: the keyspace
 * @now: kvd_now_ms(): an expired key met is deleted and another chosen
 *
 * From a random bucket on, the first non-empty one; in it, a random
 * entry.  Not exactly uniform (a key after empty buckets is likelier),
 * as Redis's is not either.
 *
 * Context: main thread.
 * Return: a live entry, or NULL when the keyspace is empty.
 */
struct kvd_entry *kvd_store_random(struct kvd_db *db, int64_t now)
{
	while (db->count) {
		size_t b = (size_t)random_next() & db->mask, n = 0, k;
		struct kvd_entry *e;

		while (!db->buckets[b])
			b = (b + 1) & db->mask;
		for (e = db->buckets[b]; e; e = e->next)
			n++;
		k = (size_t)(random_next() % n);
		for (e = db->buckets[b]; k--; e = e->next)
			;
		if (e->expire_ms < 0 || now <= e->expire_ms)
			return e;
		kvd_store_expire(db, e);
	}
	return NULL;
}

/* wall - monotonic, in ms; changed only when the wall clock moved. */
static int64_t wall_offset;		/* __rule(MAIN) */

/**
 * kvd_wall_offset_update - follow a step of the wall clock
 *
 * The offset between the wall clock and kvd's monotonic clock converts
 * Unix times (EXPIREAT, EXPIRETIME) to and from deadlines.  It is kept
 * as long as it is right within 10 ms, so that a time set with PEXPIREAT
 * reads back exactly from PEXPIRETIME; a larger change (a clock step,
 * long slewing) is taken.  Called at start and on every tick.
 *
 * Context: main thread.
 */
void kvd_wall_offset_update(void)
{
	int64_t live = kvd_wall_ms() - kvd_now_ms();

	if (!wall_offset || live - wall_offset > 10 || wall_offset - live > 10)
		wall_offset = live;
}

/**
 * kvd_wall_offset - Unix time in ms minus kvd_now_ms(), as last updated
 *
 * Context: main thread.
 * Return: the offset (positive: the monotonic clock starts near boot).
 */
int64_t kvd_wall_offset(void)
{
	if (!wall_offset)
		kvd_wall_offset_update();
	return wall_offset;
}

/**
 * kvd_store_sweep - delete keys whose time has passed, earliest first
 * @db: the keyspace
 * @now: kvd_now_ms()
 * @budget: the most keys to delete in this call
 *
 * Context: main thread (the tick).
 * Return: the number deleted.
 */
unsigned int kvd_store_sweep(struct kvd_db *db, int64_t now,
			     unsigned int budget)
{
	unsigned int n = 0;

	while (n < budget && db->heap_len && now > db->heap[0]->expire_ms) {
		kvd_store_expire(db, db->heap[0]);
		n++;
	}
	return n;
}

/**
 * rev64 - reverse the bits of @v
 * @v: the value
 *
 * Context: any thread.
 * Return: @v with bit 0 and bit 63 swapped, and so on.
 */
static uint64_t rev64(uint64_t v)
{
	v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
	v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
	v = ((v >> 4) & 0x0f0f0f0f0f0f0f0fULL) | ((v & 0x0f0f0f0f0f0f0f0fULL) << 4);
	v = ((v >> 8) & 0x00ff00ff00ff00ffULL) | ((v & 0x00ff00ff00ff00ffULL) << 8);
	v = ((v >> 16) & 0x0000ffff0000ffffULL) | ((v & 0x0000ffff0000ffffULL) << 16);
	return (v >> 32) | (v << 32);
}

/**
 * kvd_cursor_next - the SCAN cursor after the bucket @v of a table
 * @v: the cursor: a bucket index, in the low bits
 * @mask: the table's size - 1 (a power of two - 1)
 *
 * Adds one to the bucket index with its bits reversed (a carry moves
 * from the top bit down), so that the buckets left to visit after the
 * table doubles or halves between two calls hold every entry not
 * visited yet.
 *
 * Context: any thread.
 * Return: the next cursor; 0 after the last bucket.
 */
uint64_t kvd_cursor_next(uint64_t v, size_t mask)
{
	v |= ~(uint64_t)mask;
	v = rev64(v);
	v++;
	return rev64(v);
}

/**
 * kvd_store_scan - visit buckets from @cursor on, SCAN's way
 * @db: the keyspace
 * @cursor: 0 to start, then what the last call returned
 * @count: stop after about this many entries (at least one bucket, at
 *	most 10 * @count buckets, as Redis does)
 * @fn: called for each entry of each visited bucket; must not delete
 * @arg: passed to @fn
 *
 * The cursor counts with its bits reversed, so a key present for the
 * whole iteration is returned at least once even when the table doubles
 * or shrinks between calls (the reverse-binary scan of Redis's dict).
 *
 * Context: main thread.
 * Return: the next cursor; 0 when the iteration is complete.
 */
uint64_t kvd_store_scan(struct kvd_db *db, uint64_t cursor, size_t count,
			int (*fn)(struct kvd_entry *e, void *arg), void *arg)
{
	size_t seen = 0, iters = count > SIZE_MAX / 10 ? SIZE_MAX : count * 10;
	uint64_t v = cursor;

	do {
		struct kvd_entry *e;

		for (e = db->buckets[v & db->mask]; e; e = e->next, seen++)
			fn(e, arg);
		v = kvd_cursor_next(v, db->mask);
	} while (v && --iters && seen < count);
	return v;
}

/**
 * kvd_wall_ms - the wall clock in milliseconds since the Unix epoch
 *
 * Used where Redis's replies depend on Unix time (the overflow check of
 * an expire time, EXAT/PXAT); expiry itself runs on kvd_now_ms().
 *
 * Context: any thread.
 * Return: the time.
 */
int64_t kvd_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/**
 * kvd_store_for_each - call @fn for every entry (expired ones included)
 * @db: the keyspace
 * @fn: the callback; must not delete; a non-zero return stops the walk
 * @arg: passed to @fn
 *
 * Context: main thread.
 */
void kvd_store_for_each(struct kvd_db *db,
			int (*fn)(struct kvd_entry *e, void *arg), void *arg)
{
	size_t i;

	for (i = 0; i <= db->mask; i++) {
		struct kvd_entry *e;

		for (e = db->buckets[i]; e; e = e->next)
			if (fn(e, arg))
				return;
	}
}
