// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * resp.c - the RESP2 request parser (multibulk and inline commands), run
 * by baton's parse callback on the IO worker that owns the client; it
 * reads kvd_cfg's immutable and atomic fields and the client's kvd_pstate,
 * and nothing else of the main thread's.
 *
 * Limits and error texts follow Redis 7's networking.c: a multibulk count
 * above INT_MAX, a bulk length above proto-max-bulk-len, a header or an
 * inline line without its terminator after 64 KiB are protocol errors,
 * answered with "-ERR Protocol error: ..." before the connection closes.
 * Before the client authenticated (with a password set), a count above
 * 10 or a bulk length above 16384 is one too, checked when the header is
 * parsed, before the bytes behind it are kept; inline requests have the
 * 64 KiB bound only, as in Redis 7.0.
 * Like Redis, which looks for terminators with strchr() on its
 * NUL-terminated query buffer, a NUL byte before the terminator hides it.
 *
 * baton calls the parser with the whole unparsed buffer every time bytes
 * arrive, so that a request that arrives in many reads costs O(new bytes)
 * and not O(buffer) per call: the parser jumps over bulk payloads by their
 * length, and it remembers, per client, how far it got (a small per-thread
 * cache keyed by client id, see struct resume).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "kvd.h"

#define RESUME_SLOTS	64

/**
 * struct resume - how far the parser got in one client's unfinished request
 * @id: the client's id (0: the slot is empty)
 * @off: where the next thing to parse starts (the multibulk header, or
 *	the header of the next bulk argument), from the request's start
 * @scanned: bytes from @off already searched for the terminator in vain
 * @nul: a NUL byte was found in them: the terminator is hidden for good
 * @inline_req: the request is an inline command
 * @argc: the multibulk count, or -1 before the header is parsed
 * @done: bulk arguments complete before @off
 * @payload: their bytes
 *
 * While a request is incomplete baton keeps its bytes at the start of the
 * buffer it passes next time (it only appends to it), so these offsets
 * stay valid for the client's next call.  A slot taken over by another
 * client, or one whose client went away, only costs a rescan.  The cache
 * is per thread: a client is always parsed by the same IO worker.
 */
struct resume {
	uint64_t id;
	size_t off;
	size_t scanned;
	bool nul;
	bool inline_req;
	long long argc;
	long long done;
	size_t payload;
};

static __thread struct resume resume_cache[RESUME_SLOTS];

_Static_assert(sizeof(struct kvd_pstate) <= BATON_CLIENT_PROTO_STATE_SIZE,
	       "kvd_pstate must fit baton's per-client protocol bytes");

/**
 * kvd_pstate - kvd's per-client protocol state
 * @c: the client
 *
 * Context: the thread that owns @c: the IO worker inside parse, main
 * inside connect or execute.
 * Return: the state, inside baton_client_proto_state().
 */
struct kvd_pstate *kvd_pstate(struct baton_client *c)
{
	return baton_client_proto_state(c);
}

/**
 * kvd_string2ll - parse a decimal integer the strict way Redis does
 * @s: the bytes
 * @len: their number
 * @out: where the value goes
 *
 * No sign but '-', no leading zeros, no spaces, at most 20 characters,
 * within long long.
 *
 * Context: any thread.
 * Return: 1 when @s is such a number, 0 otherwise.
 */
int kvd_string2ll(const char *s, size_t len, long long *out)
{
	unsigned long long v;
	bool neg = false;
	size_t i = 0;

	if (len == 0 || len > 20)
		return 0;
	if (len == 1 && s[0] == '0') {
		*out = 0;
		return 1;
	}
	if (s[0] == '-') {
		neg = true;
		if (++i == len)
			return 0;
	}
	if (s[i] < '1' || s[i] > '9')
		return 0;
	v = (unsigned long long)(s[i++] - '0');
	for (; i < len; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return 0;
		d = (unsigned int)(s[i] - '0');
		if (v > ULLONG_MAX / 10 || v * 10 > ULLONG_MAX - d)
			return 0;
		v = v * 10 + d;
	}
	if (neg) {
		if (v > (unsigned long long)LLONG_MAX + 1)
			return 0;
		*out = v == (unsigned long long)LLONG_MAX + 1 ? LLONG_MIN :
		       -(long long)v;
	} else {
		if (v > (unsigned long long)LLONG_MAX)
			return 0;
		*out = (long long)v;
	}
	return 1;
}

/**
 * proto_error - set the protocol error reply and reject the input
 * @c: the client
 * @fmt: the text after "Protocol error: "
 * @...: its arguments
 *
 * CR and LF in the text become spaces, as in Redis's error replies.
 *
 * Context: the IO worker that owns @c, inside the parse callback.
 * Return: -EPROTO, for the parse callback to return.
 */
static ssize_t __attribute__((format(printf, 2, 3)))
proto_error(struct baton_client *c, const char *fmt, ...)
{
	char msg[128];
	va_list ap;
	int n, i;

	n = snprintf(msg, sizeof(msg), "-ERR Protocol error: ");
	va_start(ap, fmt);
	n += vsnprintf(msg + n, sizeof(msg) - (size_t)n - 2, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(msg) - 3)
		n = (int)sizeof(msg) - 3;
	for (i = 1; i < n; i++)
		if (msg[i] == '\r' || msg[i] == '\n')
			msg[i] = ' ';
	msg[n++] = '\r';
	msg[n++] = '\n';
	baton_client_set_error(c, msg, (size_t)n);
	return -EPROTO;
}

/**
 * find_term - find the terminator the way Redis's strchr() would
 * @buf: the buffer
 * @len: its length
 * @st: the resume state; @st->off is where to start, @st->scanned and
 *	@st->nul say what an earlier call already searched, and are updated
 * @ch: the terminator ('\r' for headers, '\n' for inline lines)
 *
 * Context: the IO worker parsing the client.
 * Return: the terminator's index, or -1 when it is not there (yet) or a
 * NUL byte comes first.
 */
static ssize_t find_term(const char *buf, size_t len, struct resume *st,
			 char ch)
{
	size_t from = st->off + st->scanned, end;
	const char *p;

	if (st->nul)
		return -1;
	if (from >= len)
		return -1;
	p = memchr(buf + from, ch, len - from);
	end = p ? (size_t)(p - buf) : len;
	if (memchr(buf + from, '\0', end - from)) {
		st->nul = true;
		return -1;
	}
	st->scanned = end - st->off;
	return p ? (ssize_t)end : -1;
}

/**
 * resume_take - the saved state for @c's request, or a fresh one
 * @c: the client
 * @len: the buffer's length now
 * @inline_req: the request is an inline one
 * @st: where the state goes
 *
 * The slot is emptied: a call that stops again saves its state anew.
 *
 * Context: the IO worker that owns @c.
 * Return: the slot the state belongs to.
 */
static struct resume *resume_take(struct baton_client *c, size_t len,
				  bool inline_req, struct resume *st)
{
	uint64_t id = baton_client_id(c);
	struct resume *slot = &resume_cache[id % RESUME_SLOTS];

	if (slot->id == id && slot->inline_req == inline_req &&
	    slot->off <= len) {
		*st = *slot;
	} else {
		memset(st, 0, sizeof(*st));
		st->id = id;
		st->inline_req = inline_req;
		st->argc = -1;
	}
	slot->id = 0;
	return slot;
}

/**
 * req_alloc - allocate a request for @argc arguments of @bytes bytes
 * @c: the client, for the error reply when out of memory
 * @argc: the number of arguments
 * @bytes: their bytes plus one NUL each
 *
 * Context: the IO worker that owns @c.
 * Return: the request, or NULL after setting the error reply.
 */
static struct kvd_req *req_alloc(struct baton_client *c, size_t argc,
				 size_t bytes)
{
	struct kvd_req *r = malloc(sizeof(*r) + argc * sizeof(r->argv[0]) + bytes);
	static const char oom[] = "-ERR out of memory\r\n";

	if (!r)
		baton_client_set_error(c, oom, sizeof(oom) - 1);
	else
		atomic_init(&r->refs, 1);
	return r;
}

/**
 * build_multibulk - copy a complete, validated multibulk request
 * @c: the client
 * @buf: the request's first byte ('*')
 * @len: the bytes at @buf, the request and maybe more
 * @argc: its argument count
 * @payload: its arguments' bytes
 * @req: where the request goes
 *
 * Walks the headers again (O(argc)): they were checked by the caller.
 *
 * Context: the IO worker that owns @c.
 * Return: 0 or -ENOMEM.
 */
static int build_multibulk(struct baton_client *c, const char *buf,
			   size_t len, long long argc, size_t payload,
			   void **req)
{
	struct kvd_req *r = req_alloc(c, (size_t)argc, payload + (size_t)argc);
	size_t pos;
	char *out;
	long long i;

	if (!r)
		return -ENOMEM;
	r->argc = (int)argc;
	out = (char *)&r->argv[argc];
	pos = (size_t)((const char *)memchr(buf, '\r', len) - buf) + 2;
	for (i = 0; i < argc; i++) {
		const char *cr = memchr(buf + pos, '\r', len - pos);
		long long ll = 0;

		kvd_string2ll(buf + pos + 1, (size_t)(cr - buf) - pos - 1, &ll);
		pos = (size_t)(cr - buf) + 2;
		memcpy(out, buf + pos, (size_t)ll);
		out[ll] = '\0';
		r->argv[i].s = out;
		r->argv[i].len = (size_t)ll;
		out += ll + 1;
		pos += (size_t)ll + 2;
	}
	*req = r;
	return 0;
}

/**
 * parse_multibulk - parse one "*<n>\r\n$<len>\r\n<bytes>\r\n..." request
 * @c: the client
 * @buf: the unparsed bytes, starting with '*'
 * @len: their number
 * @authed: the client authenticated: no pre-authentication limits
 * @req: where a complete request goes (NULL for a count <= 0)
 *
 * Like Redis, the two bytes after a bulk payload are skipped unchecked.
 *
 * Context: the IO worker that owns @c, inside the parse callback.
 * Return: the bytes used, 0 when more are needed, or -EPROTO / -ENOMEM.
 */
static ssize_t parse_multibulk(struct baton_client *c, const char *buf,
			       size_t len, bool authed, void **req)
{
	struct resume st, *slot = resume_take(c, len, false, &st);
	ssize_t cr;
	long long ll;

	if (st.argc < 0) {
		cr = find_term(buf, len, &st, '\r');
		if (cr < 0) {
			if (len > KVD_INLINE_MAX)
				return proto_error(c, "too big mbulk count string");
			goto need_more;
		}
		if ((size_t)cr + 1 >= len)
			goto need_more;		/* Redis waits for the byte after '\r' */
		if (!kvd_string2ll(buf + 1, (size_t)cr - 1, &ll) || ll > INT_MAX)
			return proto_error(c, "invalid multibulk length");
		if (ll > KVD_PREAUTH_MAX_ARGS && !authed)
			return proto_error(c, "unauthenticated multibulk length");
		if (ll <= 0)
			return cr + 2;		/* an empty command: nothing to run */
		st.off = (size_t)cr + 2;
		st.scanned = 0;
		st.argc = ll;
	}
	while (st.done < st.argc) {
		size_t pos = st.off, data;

		cr = find_term(buf, len, &st, '\r');
		if (cr < 0) {
			if (len - pos > KVD_INLINE_MAX)
				return proto_error(c, "too big bulk count string");
			goto need_more;
		}
		if ((size_t)cr + 1 >= len)
			goto need_more;
		if (buf[pos] != '$')
			return proto_error(c, "expected '$', got '%c'", buf[pos]);
		if (!kvd_string2ll(buf + pos + 1, (size_t)cr - pos - 1, &ll) ||
		    ll < 0 || ll > kvd_max_bulk_len())
			return proto_error(c, "invalid bulk length");
		if (ll > KVD_PREAUTH_MAX_BULK && !authed)
			return proto_error(c, "unauthenticated bulk length");
		data = (size_t)cr + 2;
		if (len - data < (size_t)ll + 2)
			goto need_more;
		st.payload += (size_t)ll;
		st.done++;
		st.off = data + (size_t)ll + 2;
		st.scanned = 0;
	}
	if (build_multibulk(c, buf, len, st.argc, st.payload, req))
		return -ENOMEM;
	return (ssize_t)st.off;

need_more:
	*slot = st;
	return 0;
}

/*
 * The inline splitter below follows Redis's sdssplitargs(): blanks
 * (isspace) separate words; "double quotes" take \n \r \t \b \a \xHH and
 * \<any> escapes; 'single quotes' take \' only; a closing quote must be
 * followed by a blank or the end; an unclosed quote is an error.
 */
#define AT(i)	((i) < n ? p[i] : '\0')

/**
 * hexval - the value of a hex digit
 * @ch: '0'-'9', 'a'-'f' or 'A'-'F'
 *
 * Context: any thread.
 * Return: 0-15.
 */
static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	return tolower((unsigned char)ch) - 'a' + 10;
}

/**
 * split_inline - split an inline command line into arguments
 * @p: the line, without its line ending (and without NUL bytes)
 * @n: its length
 * @argv: where the arguments go, or NULL to count only
 * @out: where their bytes go (each NUL-terminated), or NULL
 * @total: receives the bytes needed at @out
 *
 * Context: any thread.
 * Return: the number of arguments, or -1 for unbalanced quotes.
 */
static int split_inline(const char *p, size_t n, struct kvd_arg *argv,
			char *out, size_t *total)
{
	size_t i = 0, tot = 0;
	int argc = 0;

	for (;;) {
		bool inq = false, insq = false, done = false;
		size_t alen = 0;

		while (i < n && isspace((unsigned char)p[i]))
			i++;
		if (i >= n)
			break;
#define EMIT(ch) do { if (out) out[tot + alen] = (ch); alen++; } while (0)
		while (!done) {
			char ch = AT(i);

			if (inq) {
				if (ch == '\\' && AT(i + 1) == 'x' &&
				    isxdigit((unsigned char)AT(i + 2)) &&
				    isxdigit((unsigned char)AT(i + 3))) {
					EMIT((char)(hexval(AT(i + 2)) * 16 +
						    hexval(AT(i + 3))));
					i += 3;
				} else if (ch == '\\' && AT(i + 1)) {
					i++;
					switch (p[i]) {
					case 'n': EMIT('\n'); break;
					case 'r': EMIT('\r'); break;
					case 't': EMIT('\t'); break;
					case 'b': EMIT('\b'); break;
					case 'a': EMIT('\a'); break;
					default: EMIT(p[i]); break;
					}
				} else if (ch == '"') {
					if (AT(i + 1) && !isspace((unsigned char)AT(i + 1)))
						return -1;
					done = true;
				} else if (!ch) {
					return -1;
				} else {
					EMIT(ch);
				}
			} else if (insq) {
				if (ch == '\\' && AT(i + 1) == '\'') {
					i++;
					EMIT('\'');
				} else if (ch == '\'') {
					if (AT(i + 1) && !isspace((unsigned char)AT(i + 1)))
						return -1;
					done = true;
				} else if (!ch) {
					return -1;
				} else {
					EMIT(ch);
				}
			} else {
				switch (ch) {
				case ' ': case '\n': case '\r': case '\t': case '\0':
					done = true;
					break;
				case '"':
					inq = true;
					break;
				case '\'':
					insq = true;
					break;
				default:
					EMIT(ch);
					break;
				}
			}
			if (AT(i))
				i++;
		}
#undef EMIT
		if (argv) {
			out[tot + alen] = '\0';
			argv[argc].s = out + tot;
			argv[argc].len = alen;
		}
		tot += alen + 1;
		argc++;
	}
	*total = tot;
	return argc;
}
#undef AT

/**
 * parse_inline - parse one inline command ("SET k v\r\n" or "...\n")
 * @c: the client
 * @buf: the unparsed bytes
 * @len: their number
 * @req: where the request goes (NULL for a blank line)
 *
 * Context: the IO worker that owns @c, inside the parse callback.
 * Return: the bytes used, 0 when more are needed, or -EPROTO / -ENOMEM.
 */
static ssize_t parse_inline(struct baton_client *c, const char *buf,
			    size_t len, void **req)
{
	struct resume st, *slot = resume_take(c, len, true, &st);
	struct kvd_req *r;
	size_t linelen, total;
	ssize_t nl;
	int argc;

	nl = find_term(buf, len, &st, '\n');
	if (nl < 0) {
		if (len > KVD_INLINE_MAX)
			return proto_error(c, "too big inline request");
		*slot = st;
		return 0;
	}
	linelen = (size_t)nl;
	if (linelen && buf[linelen - 1] == '\r')
		linelen--;
	argc = split_inline(buf, linelen, NULL, NULL, &total);
	if (argc < 0)
		return proto_error(c, "unbalanced quotes in request");
	if (argc == 0)
		return nl + 1;
	r = req_alloc(c, (size_t)argc, total);
	if (!r)
		return -ENOMEM;
	r->argc = argc;
	split_inline(buf, linelen, r->argv, (char *)&r->argv[argc], &total);
	*req = r;
	return nl + 1;
}

/**
 * is_word - whether an argument is @word, ignoring ASCII case
 * @a: the argument
 * @word: the word, lower case
 *
 * Context: any thread.
 * Return: true when it is.
 */
static bool is_word(const struct kvd_arg *a, const char *word)
{
	return a->len == strlen(word) && !strncasecmp(a->s, word, a->len);
}

/**
 * kvd_parse - baton's parse callback: one RESP2 request out of @buf
 * @c: the client
 * @buf: its unparsed bytes
 * @len: their number
 * @req: where the request goes; left NULL for an empty command (a blank
 *	line, "*0"), which execute skips without a reply, as Redis does
 *
 * A '*' first makes a multibulk request, anything else an inline one.
 * Until the client authenticated, an AUTH or HELLO is the last request
 * parsed before main runs it (kvd_pstate's @auth_pending): the requests
 * behind it are parsed under the limits it leaves, as Redis parses them
 * after it ran the command.
 *
 * Context: the IO worker that owns @c (main when kvd runs without IO
 * workers).  Reads only kvd_cfg, the client's kvd_pstate and this
 * thread's resume cache.
 * Return: the bytes used (> 0), 0 when more are needed (or an AUTH must
 * run first), -EPROTO after baton_client_set_error() for bytes that are
 * no request, -ENOMEM.
 */
ssize_t kvd_parse(struct baton_client *c, const char *buf, size_t len,
		  void **req)
{
	struct kvd_pstate *ps = kvd_pstate(c);
	struct kvd_req *r;
	ssize_t n;

	*req = NULL;
	if (ps->auth_pending)
		return 0;	/* main runs the AUTH first: see kvd_pstate */
	if (buf[0] == '*')
		n = parse_multibulk(c, buf, len, ps->authed, req);
	else
		n = parse_inline(c, buf, len, req);
	r = *req;
	if (r && !ps->authed && (is_word(&r->argv[0], "auth") ||
				 is_word(&r->argv[0], "hello")))
		ps->auth_pending = true;
	return n;
}
