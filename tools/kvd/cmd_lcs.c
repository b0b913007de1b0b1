// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cmd_lcs.c - LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]:
 * the longest common subsequence of two strings, Redis 7.0's replies.
 *
 * The classic dynamic program over a (len1 + 1) x (len2 + 1) table of
 * 32-bit lengths, then one walk back from the end that collects the
 * subsequence and its runs of matches (ranges), last first: a match
 * steps back in both strings, a mismatch in the first string when that
 * keeps a longer subsequence, else in the second -- the choices Redis
 * makes, so the same subsequence and ranges come out.  The table is transient memory; like Redis 7.2, kvd refuses one
 * larger than proto-max-bulk-len instead of running out of memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kvd.h"

/**
 * struct lcs_range - one run of matching bytes
 * @a: its first byte in the first string
 * @b: its first byte in the second
 * @len: its length
 */
struct lcs_range {
	size_t a;
	size_t b;
	size_t len;
};

/**
 * lcs_string - a key's bytes for LCS: a missing key is ""
 * @x: the command
 * @key: the key
 * @p: receives the bytes
 * @len: receives their number
 *
 * Context: main thread.
 * Return: 0, or -1 after replying that the key holds another type.
 */
static int lcs_string(struct kvd_ctx *x, const struct kvd_arg *key,
		      const char **p, size_t *len)
{
	struct kvd_entry *e = kvd_lookup_read(x, key);

	*p = "";
	*len = 0;
	if (!e)
		return 0;
	if (e->type != KVD_STRING) {
		kvd_reply_error(x->c, "ERR The specified keys must contain "
				"string values");
		return -1;
	}
	*p = e->str->bytes;
	*len = e->str->len;
	return 0;
}

/**
 * reply_range - one element of IDX's matches: [[a1, a2], [b1, b2](, len)]
 * @x: the command
 * @r: the range
 * @withlen: add its length
 *
 * Context: main thread.
 */
static void reply_range(struct kvd_ctx *x, const struct lcs_range *r,
			bool withlen)
{
	kvd_reply_array(x->c, withlen ? 3 : 2);
	kvd_reply_array(x->c, 2);
	kvd_reply_int(x->c, (long long)r->a);
	kvd_reply_int(x->c, (long long)(r->a + r->len - 1));
	kvd_reply_array(x->c, 2);
	kvd_reply_int(x->c, (long long)r->b);
	kvd_reply_int(x->c, (long long)(r->b + r->len - 1));
	if (withlen)
		kvd_reply_int(x->c, (long long)r->len);
}

/**
 * cmd_lcs - LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]
 * @x: the command
 *
 * Redis's order: the keys' types, then the options.
 *
 * Context: main thread.
 */
void cmd_lcs(struct kvd_ctx *x)
{
	bool want_len = false, want_idx = false, withlen = false;
	size_t alen, blen, i, j, w, n, nr = 0, total;
	struct lcs_range *ranges = NULL, cur = { 0, 0, 0 };
	long long minlen = 0;
	const char *a, *b;
	uint32_t *t;
	char *out;
	int k;

	if (lcs_string(x, &x->argv[1], &a, &alen) ||
	    lcs_string(x, &x->argv[2], &b, &blen))
		return;
	for (k = 3; k < x->argc; k++) {
		if (kvd_arg_is(&x->argv[k], "idx")) {
			want_idx = true;
		} else if (kvd_arg_is(&x->argv[k], "len")) {
			want_len = true;
		} else if (kvd_arg_is(&x->argv[k], "withmatchlen")) {
			withlen = true;
		} else if (kvd_arg_is(&x->argv[k], "minmatchlen") &&
			   k + 1 < x->argc) {
			if (kvd_arg_ll(x, &x->argv[++k], &minlen))
				return;
			if (minlen < 0)
				minlen = 0;
		} else {
			kvd_reply_error(x->c, KVD_ERR_SYNTAX);
			return;
		}
	}
	if (want_len && want_idx) {
		kvd_reply_error(x->c, "ERR If you want both the length and "
				"indexes, please just use IDX.");
		return;
	}
	w = blen + 1;
	if (alen >= UINT32_MAX - 1 || blen >= UINT32_MAX - 1 ||
	    (alen + 1) > (unsigned long long)kvd_max_bulk_len() / sizeof(*t) / w) {
		kvd_reply_error(x->c, "ERR Insufficient memory, transient memory "
				"for LCS exceeds proto-max-bulk-len");
		return;
	}
	t = malloc((alen + 1) * w * sizeof(*t));
	out = malloc(alen < blen ? alen + 1 : blen + 1);
	if (!t || !out)
		goto oom;
	for (i = 0; i <= alen; i++) {
		for (j = 0; j <= blen; j++) {
			uint32_t up, left;

			if (!i || !j) {
				t[i * w + j] = 0;
			} else if (a[i - 1] == b[j - 1]) {
				t[i * w + j] = t[(i - 1) * w + j - 1] + 1;
			} else {
				up = t[(i - 1) * w + j];
				left = t[i * w + j - 1];
				t[i * w + j] = up > left ? up : left;
			}
		}
	}
	total = t[alen * w + blen];
	n = total;
	/* Walk back from the end: collect the subsequence (filled from its
	 * end) and the runs of matches, which come out last first. */
	for (i = alen, j = blen; i && j;) {
		if (a[i - 1] != b[j - 1]) {
			if (t[(i - 1) * w + j] > t[i * w + j - 1])
				i--;
			else
				j--;
			continue;
		}
		out[--n] = a[i - 1];
		i--;
		j--;
		cur.a = i;
		cur.b = j;
		cur.len++;
		if (i && j && a[i - 1] == b[j - 1])
			continue;	/* the run goes on */
		/* The run ended: keep it when long enough. */
		if (want_idx && cur.len >= (size_t)minlen) {
			struct lcs_range *r = realloc(ranges, (nr + 1) * sizeof(*r));

			if (!r)
				goto oom;
			ranges = r;
			ranges[nr++] = cur;
		}
		cur.len = 0;
	}
	if (want_idx) {
		kvd_reply_array(x->c, 4);
		kvd_reply_cstr(x->c, "matches");
		kvd_reply_array(x->c, (long long)nr);
		for (i = 0; i < nr; i++)
			reply_range(x, &ranges[i], withlen);
		kvd_reply_cstr(x->c, "len");
		kvd_reply_int(x->c, (long long)total);
	} else if (want_len) {
		kvd_reply_int(x->c, (long long)total);
	} else {
		kvd_reply_bulk(x->c, out, total);
	}
	free(ranges);
	free(out);
	free(t);
	return;
oom:
	free(ranges);
	free(out);
	free(t);
	kvd_reply_error(x->c, KVD_ERR_OOM);
}
