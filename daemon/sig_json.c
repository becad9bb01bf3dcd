/* sig_json.c - strict JSON validator and string escaper for the signaling protocol. */
#include "sig_json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define INLINE_KEYS 16		/* top-level keys checked for duplicates without malloc */

/* The bytes of a key between its quotes (escapes not decoded). */
struct span {
	const char *p;
	size_t n;
};

struct scan {
	const char *p, *end;
	const char *why;
	struct sj_field *f;
	size_t nf;
	struct span *keys;		/* the top-level keys: inl, or a heap array when more */
	size_t nkeys, cap;
	struct span inl[INLINE_KEYS];
};

static int bad(struct scan *c, const char *why)
{
	c->why = why;
	return -EINVAL;
}

static void skip_ws(struct scan *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static bool in(unsigned char b, unsigned char lo, unsigned char hi)
{
	return b >= lo && b <= hi;
}

/* The length (2-4) of the well-formed UTF-8 sequence at p[0..avail), or 0 (RFC 3629 table). */
static size_t utf8_seq(const unsigned char *p, size_t avail)
{
	unsigned char b = p[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t k;

	if (in(b, 0xC2, 0xDF))
		k = 2;
	else if (in(b, 0xE0, 0xEF))
		k = 3;
	else if (in(b, 0xF0, 0xF4))
		k = 4;
	else
		return 0;
	if (b == 0xE0)
		lo = 0xA0;
	else if (b == 0xED)
		hi = 0x9F;
	else if (b == 0xF0)
		lo = 0x90;
	else if (b == 0xF4)
		hi = 0x8F;
	if (avail < k || !in(p[1], lo, hi))
		return 0;
	for (size_t i = 2; i < k; i++)
		if (!in(p[i], 0x80, 0xBF))
			return 0;
	return k;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Four hex digits at p (the caller checked that they are there): the value, or -1. */
static long hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int d = hexval(p[i]);

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* The \u escape at c->p (on the 'u'), with its low half when it is a high surrogate. */
static int check_unicode(struct scan *c)
{
	long v, lo;

	if (c->end - c->p < 5 || (v = hex4(c->p + 1)) < 0)
		return bad(c, "bad \\u escape");
	c->p += 5;
	if (v >= 0xDC00 && v <= 0xDFFF)
		return bad(c, "lone low surrogate");
	if (v < 0xD800 || v > 0xDBFF)
		return 0;
	if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' ||
	    (lo = hex4(c->p + 2)) < 0xDC00 || lo > 0xDFFF)
		return bad(c, "lone high surrogate");
	c->p += 6;
	return 0;
}

/* A string, c->p on its opening quote; c->p ends past the closing quote. */
static int check_string(struct scan *c)
{
	for (c->p++;;) {
		unsigned char ch;
		size_t k;

		if (c->p >= c->end)
			return bad(c, "unterminated string");
		ch = (unsigned char)*c->p;
		if (ch == '"') {
			c->p++;
			return 0;
		}
		if (ch < 0x20)
			return bad(c, "control byte in a string");
		if (ch == '\\') {
			if (++c->p >= c->end)
				return bad(c, "unterminated string");
			if (*c->p == 'u') {
				int err = check_unicode(c);

				if (err)
					return err;
				continue;
			}
			if (!memchr("\"\\/bfnrt", *c->p, 8))
				return bad(c, "bad escape");
			c->p++;
			continue;
		}
		if (ch < 0x80) {
			c->p++;
			continue;
		}
		k = utf8_seq((const unsigned char *)c->p, (size_t)(c->end - c->p));
		if (!k)
			return bad(c, "invalid UTF-8");
		c->p += k;
	}
}

static bool digit(struct scan *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int check_number(struct scan *c)
{
	if (*c->p == '-')
		c->p++;
	if (!digit(c))
		return bad(c, "bad number");
	if (*c->p++ == '0' && digit(c))
		return bad(c, "leading zero in a number");
	while (digit(c))
		c->p++;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!digit(c))
			return bad(c, "bad number");
		while (digit(c))
			c->p++;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!digit(c))
			return bad(c, "bad number");
		while (digit(c))
			c->p++;
	}
	return 0;
}

static int check_literal(struct scan *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n))
		return bad(c, "unexpected byte");
	c->p += n;
	return 0;
}

/*
 * The next code point of a string already validated, *pp inside it (escapes decoded, a
 * surrogate pair joined, UTF-8 decoded); *pp moves past it.
 */
static uint32_t next_cp(const char **pp)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const unsigned char *p = (const unsigned char *)*pp;
	uint32_t v;
	size_t k;

	if (p[0] == '\\') {
		if (p[1] != 'u') {
			*pp += 2;
			return (unsigned char)to[strchr(from, p[1]) - from];
		}
		v = (uint32_t)hex4((const char *)p + 2);
		*pp += 6;
		if (v >= 0xD800 && v <= 0xDBFF) {
			v = 0x10000 + ((v - 0xD800) << 10) + ((uint32_t)hex4(*pp + 2) - 0xDC00);
			*pp += 6;
		}
		return v;
	}
	if (p[0] < 0x80) {
		*pp += 1;
		return p[0];
	}
	k = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : 2;
	v = p[0] & (0x7F >> k);
	for (size_t i = 1; i < k; i++)
		v = v << 6 | (p[i] & 0x3F);
	*pp += k;
	return v;
}

/* Order two validated key spans by their decoded code points. */
static int span_cmp(const struct span *a, const struct span *b)
{
	const char *pa = a->p, *pb = b->p, *ea = a->p + a->n, *eb = b->p + b->n;

	while (pa < ea && pb < eb) {
		uint32_t ca = next_cp(&pa), cb = next_cp(&pb);

		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return (pa < ea) - (pb < eb);
}

static int span_qsort_cmp(const void *a, const void *b)
{
	return span_cmp(a, b);
}

/* Remember a top-level key for the duplicate check; fill the wanted field it names. */
static int top_member(struct scan *c, struct span key, const char *val, enum sj_kind kind)
{
	for (size_t i = 0; i < c->nf; i++) {
		struct span want = { c->f[i].key, strlen(c->f[i].key) };

		if (!span_cmp(&key, &want)) {
			c->f[i].kind = kind;
			c->f[i].raw = val;
			c->f[i].raw_len = (size_t)(c->p - val);
		}
	}
	if (c->nkeys == c->cap) {
		size_t cap = c->cap * 2;
		struct span *k = c->keys == c->inl ? malloc(cap * sizeof(*k))
						   : realloc(c->keys, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		if (c->keys == c->inl)
			memcpy(k, c->inl, sizeof(c->inl));
		c->keys = k;
		c->cap = cap;
	}
	c->keys[c->nkeys++] = key;
	return 0;
}

static int check_dup_keys(struct scan *c)
{
	if (c->nkeys > 1)
		qsort(c->keys, c->nkeys, sizeof(*c->keys), span_qsort_cmp);
	for (size_t i = 1; i < c->nkeys; i++)
		if (!span_cmp(&c->keys[i - 1], &c->keys[i]))
			return bad(c, "duplicate key");
	return 0;
}

static int check_value(struct scan *c, int depth, enum sj_kind *kind);

/* One "key": value of an object, c->p on the key's quote. */
static int check_member(struct scan *c, int depth)
{
	struct span key = { c->p + 1, 0 };
	enum sj_kind kind;
	const char *val;
	int err;

	if (c->p >= c->end || *c->p != '"')
		return bad(c, c->p >= c->end ? "unexpected end" : "expected a key");
	err = check_string(c);
	if (err)
		return err;
	key.n = (size_t)(c->p - 1 - key.p);
	skip_ws(c);
	if (c->p >= c->end || *c->p != ':')
		return bad(c, "expected ':'");
	c->p++;
	skip_ws(c);
	val = c->p;
	err = check_value(c, depth, &kind);
	if (err || depth != 1)
		return err;
	return top_member(c, key, val, kind);
}

/* An object or an array, c->p on its opening bracket, at nesting level depth (1 = top). */
static int check_container(struct scan *c, int depth, char close)
{
	enum sj_kind kind;
	int err;

	if (depth > SJ_MAX_DEPTH)
		return bad(c, "nesting deeper than 32");
	c->p++;
	skip_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 0;
	}
	for (;;) {
		skip_ws(c);
		err = close == '}' ? check_member(c, depth) : check_value(c, depth, &kind);
		if (err)
			return err;
		skip_ws(c);
		if (c->p >= c->end)
			return bad(c, "unexpected end");
		if (*c->p == close) {
			c->p++;
			return depth == 1 && close == '}' ? check_dup_keys(c) : 0;
		}
		if (*c->p++ != ',')
			return bad(c, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

/* Any value at c->p (no leading whitespace) inside a container at level depth. */
static int check_value(struct scan *c, int depth, enum sj_kind *kind)
{
	if (c->p >= c->end)
		return bad(c, "unexpected end");
	switch (*c->p) {
	case '{':
		*kind = SJ_OBJECT;
		return check_container(c, depth + 1, '}');
	case '[':
		*kind = SJ_ARRAY;
		return check_container(c, depth + 1, ']');
	case '"':
		*kind = SJ_STRING;
		return check_string(c);
	case 't':
		*kind = SJ_TRUE;
		return check_literal(c, "true");
	case 'f':
		*kind = SJ_FALSE;
		return check_literal(c, "false");
	case 'n':
		*kind = SJ_NULL;
		return check_literal(c, "null");
	default:
		*kind = SJ_NUMBER;
		if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
			return check_number(c);
		return bad(c, "unexpected byte");
	}
}

int sj_scan(const char *text, size_t len, enum sj_kind *top, struct sj_field *f, size_t nf,
	    const char **why)
{
	struct scan c = { .p = text, .end = text + len, .f = f, .nf = nf, .cap = INLINE_KEYS };
	enum sj_kind kind = SJ_ABSENT;
	int err;

	c.keys = c.inl;
	for (size_t i = 0; i < nf; i++) {
		f[i].kind = SJ_ABSENT;
		f[i].raw = NULL;
		f[i].raw_len = 0;
	}
	skip_ws(&c);
	err = check_value(&c, 0, &kind);
	if (!err) {
		skip_ws(&c);
		if (c.p != c.end)
			err = bad(&c, "trailing bytes");
	}
	if (c.keys != c.inl)
		free(c.keys);
	if (err) {
		for (size_t i = 0; i < nf; i++)
			f[i].kind = SJ_ABSENT;
		*why = err == -ENOMEM ? "out of memory" : c.why;
		return err;
	}
	*top = kind;
	return 0;
}

ssize_t sj_unescape(const char *raw, size_t n, char *out, size_t cap)
{
	const char *p = raw + 1, *end = raw + n - 1;
	size_t len = 0;

	while (p < end) {
		uint32_t cp = next_cp(&p);
		size_t k = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		unsigned char *o = (unsigned char *)out + len;

		if (cap - len < k)
			return -E2BIG;
		if (k == 1) {
			o[0] = (unsigned char)cp;
		} else {
			for (size_t i = k - 1; i > 0; i--, cp >>= 6)
				o[i] = (unsigned char)(0x80 | (cp & 0x3F));
			o[0] = (unsigned char)((0xFF00 >> k) | cp);
		}
		len += k;
	}
	return (ssize_t)len;
}

/* The escape of one byte below 0x20 or '"' or '\\' into e (no NUL): its length. */
static size_t escape_byte(unsigned char ch, char e[6])
{
	static const char hex[] = "0123456789abcdef";
	const char *s = memchr("\"\\\b\f\n\r\t", ch, 7);

	e[0] = '\\';
	if (s) {
		e[1] = "\"\\bfnrt"[s - "\"\\\b\f\n\r\t"];
		return 2;
	}
	memcpy(e + 1, "u00", 3);
	e[4] = hex[ch >> 4];
	e[5] = hex[ch & 15];
	return 6;
}

/* Escape s[0..n) into dst (NULL: only count). */
static size_t escape_into(char *dst, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	size_t len = 1;

	if (dst)
		dst[0] = '"';
	while (p < end) {
		char e[6];
		const char *src = e;
		size_t k;

		if (*p < 0x20 || *p == '"' || *p == '\\') {
			k = escape_byte(*p++, e);
		} else if (*p < 0x80) {
			src = (const char *)p++;
			k = 1;
		} else if ((k = utf8_seq(p, (size_t)(end - p)))) {
			src = (const char *)p;
			p += k;
		} else {
			src = "\\ufffd";
			k = 6;
			p++;
		}
		if (dst)
			memcpy(dst + len, src, k);
		len += k;
	}
	if (dst)
		dst[len] = '"';
	return len + 1;
}

size_t sj_escaped_len(const char *s, size_t n)
{
	return escape_into(NULL, s, n);
}

size_t sj_escape(char *dst, const char *s, size_t n)
{
	return escape_into(dst, s, n);
}
