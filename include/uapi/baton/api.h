/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * api.h - the export macro, the role annotations and the version of the
 * baton public API.
 */
#ifndef _UAPI_BATON_API_H
#define _UAPI_BATON_API_H

/* Marks a function exported from libbaton.so (built -fvisibility=hidden). */
#if defined(__GNUC__)
# define BATON_API	__attribute__((visibility("default")))
#else
# define BATON_API
#endif

/*
 * Role annotations, for clang's thread-safety analysis.  Under clang, in
 * C, a function marked BATON_IO_ONLY runs holding the IO role (an
 * application's @parse callback and what only it calls), and one marked
 * BATON_MAIN_ONLY (every public function documented "Context: main
 * thread") may not be called where that role is held: a program built
 * with clang -Wthread-safety gets a warning (-Werror=thread-safety: an
 * error) for a main-only call from code it marked BATON_IO_ONLY, at
 * compile time, besides the -EPERM the call returns at run time.  Code
 * marked neither is not checked, so the annotations cost nothing to a
 * program that does not use them; under gcc, C++ and compilers without
 * the attributes they are empty.  Documentation/roles.rst shows the
 * pattern.
 */
#if defined(__clang__) && !defined(__cplusplus) && defined(__has_attribute)
# if __has_attribute(capability) && __has_attribute(requires_capability) && \
	__has_attribute(locks_excluded)
#  define BATON_HAVE_ROLE_ANNOTATIONS	1
# endif
#endif

#ifdef BATON_HAVE_ROLE_ANNOTATIONS
/* The IO role as a capability: never defined, only named. */
struct __attribute__((capability("role"))) baton_role_cap {
	char unused;
};
extern struct baton_role_cap baton_role_io;
# define BATON_IO_ONLY	__attribute__((requires_capability(baton_role_io)))
# define BATON_MAIN_ONLY	__attribute__((locks_excluded(baton_role_io)))
#else
# define BATON_IO_ONLY
# define BATON_MAIN_ONLY
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
