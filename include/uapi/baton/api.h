/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * api.h - the export macro and version of the baton public API.
 */
#ifndef _UAPI_BATON_API_H
#define _UAPI_BATON_API_H

/* Marks a function exported from libbaton.so (built -fvisibility=hidden). */
#if defined(__GNUC__)
# define BATON_API	__attribute__((visibility("default")))
#else
# define BATON_API
#endif

/**
 * struct baton_llist_node - a link of baton's lock-less lists
 * @next: private to baton
 *
 * Public structs that travel on baton's queues embed one (struct
 * baton_obj, struct baton_call); inside the library it is the llist
 * primitive's node.
 */
struct baton_llist_node {
	struct baton_llist_node *next;	/* __rule(OWNER): the holder of the node */
} /* __shared_struct */;

#define BATON_VERSION_MAJOR	0
#define BATON_VERSION_MINOR	1
#define BATON_VERSION_PATCH	0

#endif /* _UAPI_BATON_API_H */
