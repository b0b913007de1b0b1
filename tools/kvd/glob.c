// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * glob.c - glob-style pattern matching for KEYS, SCAN MATCH and CONFIG
 * GET, with Redis's pattern syntax: * ? [abc] [^abc] [a-z] and \x.
 */
#include <ctype.h>
#include "kvd.h"

/**
 * fold - @ch, lower-cased when matching without case
 * @ch: the byte
 * @nocase: whether case is ignored
 *
 * Context: any thread.
 * Return: the byte to compare.
 */
static unsigned char fold(char ch, bool nocase)
{
	return nocase ? (unsigned char)tolower((unsigned char)ch) :
			(unsigned char)ch;
}

/**
 * match_class - match one byte against a [...] class
 * @pat: the pattern
 * @plen: its length
 * @pp: in: the index after '['; out: the index after the class's ']'
 *	(or the pattern's end, when the class is not closed)
 * @ch: the byte
 * @nocase: whether case is ignored
 *
 * Context: any thread.
 * Return: whether @ch is in the class.
 */
static bool match_class(const char *pat, size_t plen, size_t *pp, char ch,
			bool nocase)
{
	unsigned char c = fold(ch, nocase);
	size_t p = *pp;
	bool neg = false, match = false;

	if (p < plen && pat[p] == '^') {
		neg = true;
		p++;
	}
	while (p < plen && pat[p] != ']') {
		if (pat[p] == '\\' && p + 1 < plen) {
			if (fold(pat[p + 1], nocase) == c)
				match = true;
			p += 2;
		} else if (p + 2 < plen && pat[p + 1] == '-') {
			unsigned char lo = fold(pat[p], nocase);
			unsigned char hi = fold(pat[p + 2], nocase);

			if (lo > hi) {
				unsigned char t = lo;

				lo = hi;
				hi = t;
			}
			if (c >= lo && c <= hi)
				match = true;
			p += 3;
		} else {
			if (fold(pat[p], nocase) == c)
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
 * kvd_glob_match - whether @s matches the glob pattern @pat
 * @pat: the pattern
 * @plen: its length
 * @s: the string
 * @slen: its length
 * @nocase: ignore ASCII case
 *
 * Greedy with one backtrack point per '*': O(plen * slen) at worst, never
 * exponential, whatever the pattern.
 *
 * Context: any thread.
 * Return: true on a match.
 */
bool kvd_glob_match(const char *pat, size_t plen, const char *s, size_t slen,
		    bool nocase)
{
	size_t p = 0, i = 0, star_p = 0, star_i = 0;
	bool star = false;

	while (i < slen) {
		size_t np = p;

		if (p < plen && pat[p] == '*') {
			while (p < plen && pat[p] == '*')
				p++;
			if (p == plen)
				return true;
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
