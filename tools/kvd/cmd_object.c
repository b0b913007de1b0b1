// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_object.c - OBJECT ENCODING, FREQ, IDLETIME, REFCOUNT and HELP:
 * what kvd knows of a key's value, in kvd's own terms.
 *
 * ENCODING names kvd's representation (kvd_entry_encoding()), not the
 * one Redis would use; REFCOUNT is the value's reference count (the
 * store's reference plus one per reply still sending it); IDLETIME and
 * FREQ come from the field every lookup but OBJECT's updates for
 * eviction (evict.c): an access time, or under an LFU maxmemory policy
 * an access frequency, each answered under its policy only, as Redis
 * does.  None of them counts as an access.
 */
#include "kvd.h"

/**
 * object_lookup - OBJECT's lookup: no access time update; nil when
 * missing
 * @x: the command
 *
 * Context: main thread.
 * Return: the entry, or NULL after replying nil.
 */
static struct kvd_entry *object_lookup(struct kvd_ctx *x)
{
	struct kvd_entry *e = kvd_lookup_notouch(x, &x->argv[2]);

	if (!e)
		kvd_reply_null(x->c);
	return e;
}

/**
 * cmd_object_encoding - OBJECT ENCODING key
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_object_encoding(struct kvd_ctx *x)
{
	struct kvd_entry *e = object_lookup(x);

	if (e)
		kvd_reply_cstr(x->c, kvd_entry_encoding(e));
}

/**
 * cmd_object_freq - OBJECT FREQ key: the key's LFU counter
 * @x: the command
 *
 * Only under an LFU maxmemory policy; Redis's error otherwise.
 *
 * Context: main thread.
 */
void cmd_object_freq(struct kvd_ctx *x)
{
	struct kvd_entry *e = object_lookup(x);

	if (!e)
		return;
	if (!kvd_evict_lfu_policy()) {
		kvd_reply_error(x->c, "ERR An LFU maxmemory policy is not "
				"selected, access frequency not tracked. Please "
				"note that when switching between policies at "
				"runtime LRU and LFU data will take some time to "
				"adjust.");
		return;
	}
	kvd_reply_int(x->c, kvd_evict_freq(e, x->now));
}

/**
 * cmd_object_idletime - OBJECT IDLETIME key: seconds since the key was
 * last looked up
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_object_idletime(struct kvd_ctx *x)
{
	struct kvd_entry *e = object_lookup(x);

	if (!e)
		return;
	if (kvd_evict_lfu_policy()) {
		kvd_reply_error(x->c, "ERR An LFU maxmemory policy is selected, "
				"idle time not tracked. Please note that when "
				"switching between policies at runtime LRU and LFU "
				"data will take some time to adjust.");
		return;
	}
	kvd_reply_int(x->c, (long long)(kvd_evict_idle_ms(e, x->now) / 1000));
}

/**
 * cmd_object_refcount - OBJECT REFCOUNT key
 * @x: the command
 *
 * A string's count is the store's reference plus one per reply that is
 * still being written; a list is referenced by its key alone.
 *
 * Context: main thread.
 */
void cmd_object_refcount(struct kvd_ctx *x)
{
	struct kvd_entry *e = object_lookup(x);

	if (e)
		kvd_reply_int(x->c, e->type == KVD_STRING ?
			      (long long)baton_obj_refs(&e->str->obj) : 1);
}

/**
 * cmd_object_help - OBJECT HELP
 * @x: the command
 *
 * Context: main thread.
 */
void cmd_object_help(struct kvd_ctx *x)
{
	static const char *const lines[] = {
		"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
		"HELP",
		"    Prints this help.",
		NULL,
	};

	kvd_reply_help(x->c, lines);
}
