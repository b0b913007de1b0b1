/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * cocci_macros.h - what spatch (Coccinelle) must know of baton's macros to
 * parse the C files: owner_access.py hands it over with --macro-file.
 * Annotations expand to nothing, the list iterators to a loop header.
 */
#define __rule(r)
#define __shared_struct
#define ____cacheline_aligned
#define __init_fn
#define __fini_fn
#define __main_only
#define __io_only
#define __no_role_analysis
#define __tsa(x)
#define __capability(name)
#define __guarded_by(cap)
#define __pt_guarded_by(cap)
#define __requires_role(cap)
#define __excludes_role(cap)
#define __acquires_role(cap)
#define __releases_role(cap)
#define __asserts_role(cap)
#define __requires_owner(obj)
#define __releases_owner(obj)
#define __asserts_owner(obj)
#define __may_release_owner(obj)
#define __acquires(x)
#define __releases(x)
#define __must_hold(x)
#define BATON_API
#define BATON_MAIN_ONLY
#define BATON_IO_ONLY
#define _Atomic(T) T
#define llist_for_each(pos, node) for (pos = node; pos; pos = pos->next)
#define llist_for_each_safe(pos, n, node) for (pos = node; pos; pos = n)
#define llist_for_each_entry(pos, node, member) for (pos = node; pos; pos = pos)
#define llist_for_each_entry_safe(pos, n, node, member) for (pos = node; pos; pos = n)
