/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * chunk_cache.h - output chunks that go back to main for reuse: main
 * allocates reply chunks, the workers send them, and without this every
 * reply would be one cross-thread malloc/free pair.
 */
#ifndef _BATON_CHUNK_CACHE_H
#define _BATON_CHUNK_CACHE_H

#include <stddef.h>
#include <baton/role.h>

/* Bytes of room in a standard copied output chunk: the ones recycled. */
#define OUT_CHUNK_SIZE		(16 * 1024 - sizeof(struct out_chunk))

struct baton_server;
struct baton_worker;
struct out_chunk;

struct out_chunk *chunk_cache_get(struct baton_server *s) __main_only;
void chunk_cache_done(struct baton_worker *w, struct out_chunk *ch) __io_only;
void chunk_cache_flush(struct baton_worker *w) __io_only;
void chunk_cache_refill(struct baton_server *s) __main_only;
void chunk_cache_fini(struct baton_server *s);

#endif /* _BATON_CHUNK_CACHE_H */
