/* json_req.c - strict parser of control requests: flat JSON objects of strings and integers. */
#include "json_req.h"

#include <errno.h>
#include <string.h>

struct cur {
	const char *p, *end;
	struct json_req *r;
};

static int fail(struct cur *c, int err, const char *why)
{
	c->r->why = why;
	return err;
}

static void skip_ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int hex4(struct cur *c, unsigned *out)
{
	unsigned v = 0;

	if (c->end - c->p < 4)
		return fail(c, -EINVAL, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char ch = *c->p++;

		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v |= (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v |= (unsigned)(ch - 'A' + 10);
		else
			return fail(c, -EINVAL, "bad hex digit in \\u escape");
	}
	*out = v;
	return 0;
}

/* A \uXXXX escape (c->p after the 'u'), surrogate pairs joined, as a code point. */
static int unicode_escape(struct cur *c, unsigned *cp)
{
	unsigned lo;
	int err = hex4(c, cp);

	if (err)
		return err;
	if (*cp == 0)
		return fail(c, -EINVAL, "\\u0000 in a string");
	if (*cp >= 0xDC00 && *cp <= 0xDFFF)
		return fail(c, -EINVAL, "lone low surrogate");
	if (*cp < 0xD800 || *cp > 0xDBFF)
		return 0;
	if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u')
		return fail(c, -EINVAL, "lone high surrogate");
	c->p += 2;
	err = hex4(c, &lo);
	if (err)
		return err;
	if (lo < 0xDC00 || lo > 0xDFFF)
		return fail(c, -EINVAL, "lone high surrogate");
	*cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
	return 0;
}

/* Append code point cp as UTF-8 to out (n bytes so far, room for max). */
static int put_utf8(struct cur *c, unsigned cp, char *out, size_t *n, size_t max)
{
	unsigned char b[4];
	size_t k;

	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xC0 | cp >> 6);
		b[1] = (unsigned char)(0x80 | (cp & 0x3F));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xE0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (unsigned char)(0x80 | (cp & 0x3F));
		k = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | cp >> 18);
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (unsigned char)(0x80 | (cp & 0x3F));
		k = 4;
	}
	if (*n + k > max)
		return fail(c, -E2BIG, "string too long");
	memcpy(out + *n, b, k);
	*n += k;
	return 0;
}

static int escape(struct cur *c, char *out, size_t *n, size_t max)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	unsigned cp;
	int err;

	if (c->p >= c->end)
		return fail(c, -EINVAL, "unterminated string");
	if (*c->p == 'u') {
		c->p++;
		err = unicode_escape(c, &cp);
		return err ? err : put_utf8(c, cp, out, n, max);
	}
	e = *c->p ? strchr(from, *c->p) : NULL;
	if (!e)
		return fail(c, -EINVAL, "bad escape in a string");
	c->p++;
	return put_utf8(c, (unsigned char)to[e - from], out, n, max);
}

/* A string (c->p on the opening quote), decoded into out (max bytes + NUL). */
static int string(struct cur *c, char *out, size_t max)
{
	size_t n = 0;
	int err;

	c->p++;
	for (;;) {
		unsigned char ch;

		if (c->p >= c->end)
			return fail(c, -EINVAL, "unterminated string");
		ch = (unsigned char)*c->p++;
		if (ch == '"')
			break;
		if (ch < 0x20)
			return fail(c, -EINVAL, "control byte in a string");
		if (ch == '\\') {
			err = escape(c, out, &n, max);
			if (err)
				return err;
			continue;
		}
		if (n + 1 > max)
			return fail(c, -E2BIG, "string too long");
		out[n++] = (char)ch;
	}
	out[n] = 0;
	return 0;
}

/* An integer: -?(0|[1-9][0-9]*), no fraction or exponent, inside int64. */
static int integer(struct cur *c, int64_t *out)
{
	bool neg = c->p < c->end && *c->p == '-';
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	const char *start;

	c->p += neg;
	start = c->p;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');

		if (v > (lim - d) / 10)
			return fail(c, -ERANGE, "integer out of range");
		v = v * 10 + d;
		c->p++;
	}
	if (c->p == start)
		return fail(c, -EINVAL, "expected a string or an integer");
	if (*start == '0' && c->p - start > 1)
		return fail(c, -EINVAL, "leading zero in an integer");
	if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'))
		return fail(c, -EINVAL, "only integers are accepted");
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

static int member(struct cur *c)
{
	struct json_req *r = c->r;
	struct json_field *f;
	int err;

	if (r->n == JSON_REQ_MAX_FIELDS)
		return fail(c, -E2BIG, "too many members");
	f = &r->f[r->n];
	if (c->p >= c->end || *c->p != '"')
		return fail(c, -EINVAL, "expected a key");
	err = string(c, f->key, JSON_REQ_MAX_KEY);
	if (err)
		return err == -E2BIG ? fail(c, err, "key too long") : err;
	if (json_req_has(r, f->key))
		return fail(c, -EINVAL, "duplicate key");
	skip_ws(c);
	if (c->p >= c->end || *c->p++ != ':')
		return fail(c, -EINVAL, "expected ':'");
	skip_ws(c);
	if (c->p < c->end && (*c->p == '{' || *c->p == '['))
		return fail(c, -EINVAL, "nested values are not accepted");
	f->is_int = !(c->p < c->end && *c->p == '"');
	err = f->is_int ? integer(c, &f->num) : string(c, f->str, JSON_REQ_MAX_STR);
	if (err)
		return err;
	r->n++;
	return 0;
}

int json_req_parse(const char *buf, size_t len, struct json_req *r)
{
	struct cur c = { .p = buf, .end = buf + len, .r = r };
	int err;

	memset(r, 0, sizeof(*r));
	if (memchr(buf, 0, len))
		return fail(&c, -EINVAL, "NUL byte in the request");
	skip_ws(&c);
	if (c.p >= c.end || *c.p++ != '{')
		return fail(&c, -EINVAL, "expected a JSON object");
	skip_ws(&c);
	if (c.p < c.end && *c.p == '}')
		goto close;
	for (;;) {
		err = member(&c);
		if (err)
			return err;
		skip_ws(&c);
		if (c.p < c.end && *c.p == ',') {
			c.p++;
			skip_ws(&c);
			continue;
		}
		if (c.p < c.end && *c.p == '}')
			break;
		return fail(&c, -EINVAL,
			    c.p < c.end ? "expected ',' or '}'" : "unterminated object");
	}
close:
	c.p++;
	skip_ws(&c);
	if (c.p != c.end)
		return fail(&c, -EINVAL, "trailing bytes after the object");
	return 0;
}

static const struct json_field *find(const struct json_req *r, const char *key)
{
	for (int i = 0; i < r->n; i++)
		if (!strcmp(r->f[i].key, key))
			return &r->f[i];
	return NULL;
}

bool json_req_has(const struct json_req *r, const char *key)
{
	return find(r, key) != NULL;
}

const char *json_req_str(const struct json_req *r, const char *key)
{
	const struct json_field *f = find(r, key);

	return f && !f->is_int ? f->str : NULL;
}

int json_req_int(const struct json_req *r, const char *key, int64_t *out)
{
	const struct json_field *f = find(r, key);

	if (!f)
		return -ENOENT;
	if (!f->is_int)
		return -EINVAL;
	*out = f->num;
	return 0;
}
