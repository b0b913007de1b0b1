// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * glob.c - glob-style pattern matching for KEYS, SCAN MATCH and CONFIG
 * GET, with Redis 7.0's pattern syntax and results: * ? [abc] [^abc]
 * [a-z] and \x, including its corner cases and its limit on nesting.
 *
 * Redis matches recursively, one level per '*' it passes, and gives up
 * (no match) below 1000 levels.  kvd matches iteratively with a single
 * backtrack point -- O(pattern x string) at worst, never exponential,
 * no stack -- and gives the same answers: a match must pass every '*'
 * of the pattern, so kvd answers "no match" as soon as it passes the
 * star group that Redis could not enter.
 */
#include "kvd.h"

#define GLOB_NESTING_MAX	1000	/* Redis's stringmatchlen() limit */

/**
 * fold - @ch, lower-cased when matching without case
 * @ch: the byte
 * @nocase: whether case is ignored
 *
 * Context: any thread.
 * Return: the byte to compare (ASCII letters only fold, as in the C
 * locale).
 */
static int fold(char ch, bool nocase)
{
	return nocase && ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch;
}

/**
 * match_class - match one byte against a [...] class
 * @pat: the pattern
 * @plen: its length
 * @pp: in: the index after '['; out: the index after the class's ']'
 *	(or the pattern's end, when the class is not closed: it takes the
 *	rest of the pattern)
 * @ch: the byte
 * @nocase: whether case is ignored
 *
 * Redis's rules: "x-y" needs three bytes left (so "[a-]" is the range a
 * to ']'), its ends may come in either order and compare as signed
 * chars; an escaped byte matches exactly, ignoring @nocase.
 *
 * Context: any thread.
 * Return: whether @ch is in the class.
 */
static bool match_class(const char *pat, size_t plen, size_t *pp, char ch,
			bool nocase)
{
	size_t p = *pp;
	bool neg = false, match = false;

	if (p < plen && pat[p] == '^') {
		neg = true;
		p++;
	}
	while (p < plen && pat[p] != ']') {
		if (pat[p] == '\\' && p + 1 < plen) {
			if (pat[p + 1] == ch)
				match = true;
			p += 2;
		} else if (p + 2 < plen && pat[p + 1] == '-') {
			int lo = fold(pat[p], nocase), hi = fold(pat[p + 2], nocase);
			int c = fold(ch, nocase);

			if (lo > hi) {
				int t = lo;

				lo = hi;
				hi = t;
			}
			if (c >= lo && c <= hi)
				match = true;
			p += 3;
		} else {
			if (fold(pat[p], nocase) == fold(ch, nocase))
				match = true;
			p++;
		}
	}
	*pp = p < plen ? p + 1 : p;
	return neg ? !match : match;
}

/**
 * match_one - match one byte against the pattern element at *@pp
 * @pat: the pattern
 * @plen: its length
 * @pp: in: the element's index (not '*'); out: the index after it
 * @ch: the byte
 * @nocase: whether case is ignored
 *
 * Context: any thread.
 * Return: whether the element matches @ch.
 */
static bool match_one(const char *pat, size_t plen, size_t *pp, char ch,
		      bool nocase)
{
	size_t p = *pp;

	switch (pat[p]) {
	case '?':
		*pp = p + 1;
		return true;
	case '[':
		*pp = p + 1;
		return match_class(pat, plen, pp, ch, nocase);
	default:
		if (pat[p] == '\\' && p + 1 < plen)
			p++;		/* the escaped byte is a literal */
		*pp = p + 1;
		return fold(pat[p], nocase) == fold(ch, nocase);
	}
}

/**
 * kvd_glob_match - whether @s matches the glob pattern @pat, as Redis
 * @pat: the pattern
 * @plen: its length
 * @s: the string
 * @slen: its length
 * @nocase: ignore ASCII case
 *
 * Greedy with one backtrack point (the last '*' passed): O(plen * slen)
 * at worst, whatever the pattern, with no recursion.  Redis's answers
 * where they are not the textbook ones: an empty string matches only
 * the empty pattern (KEYS and SCAN treat "*" alone apart, as Redis
 * does), and a pattern with more than 1000 star groups before its last
 * element matches nothing (Redis's nesting limit).
 *
 * Context: any thread.
 * Return: true on a match.
 */
bool kvd_glob_match(const char *pat, size_t plen, const char *s, size_t slen,
		    bool nocase)
{
	size_t p = 0, i = 0, star_p = 0, star_i = 0;
	unsigned int nesting = 0;
	bool star = false;

	if (!slen)
		return !plen;
	while (i < slen) {
		size_t np = p;

		if (p < plen && pat[p] == '*') {
			while (p < plen && pat[p] == '*')
				p++;
			if (p == plen)
				return true;
			/* Redis recurses one level deeper for the rest. */
			if (++nesting > GLOB_NESTING_MAX)
				return false;
			star = true;
			star_p = p;
			star_i = i;
			continue;
		}
		if (p < plen && match_one(pat, plen, &np, s[i], nocase)) {
			p = np;
			i++;
			continue;
		}
		if (!star)
			return false;
		p = star_p;
		i = ++star_i;
	}
	while (p < plen && pat[p] == '*')
		p++;
	return p == plen;
}
