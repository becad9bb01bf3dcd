/* jdoc.c - turnctl's reader for turnd's answers: any JSON text flattened to path = value. */
#include "jdoc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jp {
	const char *p;
	struct jdoc *d;
	char path[512];
};

static int value(struct jp *j, size_t plen, int depth);

static void ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static int add(struct jp *j, char *val, bool is_str)
{
	struct jdoc *d = j->d;
	struct jent *ne;

	if (d->n == d->cap) {
		ne = realloc(d->e, (d->cap ? d->cap * 2 : 32) * sizeof(*ne));
		if (!ne)
			goto nomem;
		d->e = ne;
		d->cap = d->cap ? d->cap * 2 : 32;
	}
	d->e[d->n].path = strdup(j->path);
	if (!d->e[d->n].path)
		goto nomem;
	d->e[d->n].val = val;
	d->e[d->n++].is_str = is_str;
	return 0;
nomem:
	free(val);
	return -ENOMEM;
}

/* A string at j->p (on the quote), decoded into a malloc'd *out. */
static int string(struct jp *j, char **out)
{
	const char *q = j->p + 1;
	size_t n = 0;
	unsigned cp;
	char *s;

	while (*q && *q != '"')		/* decoded, a string is never longer than as written */
		q += q[0] == '\\' && q[1] ? 2 : 1;
	s = malloc((size_t)(q - j->p) + 1);
	if (!s)
		return -ENOMEM;
	for (j->p++; *j->p != '"'; j->p++) {
		if (!*j->p || (unsigned char)*j->p < 0x20)
			goto bad;
		if (*j->p != '\\') {
			s[n++] = *j->p;
			continue;
		}
		switch (*++j->p) {
		case 'n': s[n++] = '\n'; break;
		case 't': s[n++] = '\t'; break;
		case 'r': s[n++] = '\r'; break;
		case 'b': s[n++] = '\b'; break;
		case 'f': s[n++] = '\f'; break;
		case '"': case '\\': case '/': s[n++] = *j->p; break;
		case 'u':
			if (sscanf(j->p + 1, "%4x", &cp) != 1 || strspn(j->p + 1,
			    "0123456789abcdefABCDEF") < 4)
				goto bad;
			j->p += 4;
			/* control bytes and ASCII as is, anything else as '?' (display only) */
			s[n++] = cp < 0x80 && cp ? (char)cp : '?';
			break;
		default:
			goto bad;
		}
	}
	j->p++;
	s[n] = 0;
	*out = s;
	return 0;
bad:
	free(s);
	return -EINVAL;
}

static int scalar(struct jp *j)
{
	size_t n = strspn(j->p, "-+.0123456789eEtruefalsn");
	char *v;

	if (!n)
		return -EINVAL;
	v = strndup(j->p, n);
	if (!v)
		return -ENOMEM;
	j->p += n;
	return add(j, v, false);
}

/* Append ".key" (or "key" at the top) to the path. */
static int push(struct jp *j, size_t plen, const char *key)
{
	int n = snprintf(j->path + plen, sizeof(j->path) - plen, "%s%s", plen ? "." : "", key);

	return n < 0 || (size_t)n >= sizeof(j->path) - plen ? -E2BIG : 0;
}

static int container(struct jp *j, size_t plen, int depth)
{
	char close = *j->p == '{' ? '}' : ']', idx[24], *key = NULL;
	int err = 0;

	j->p++;
	ws(j);
	if (*j->p == close) {
		j->p++;
		return 0;
	}
	for (size_t i = 0;; i++) {
		if (close == '}') {
			if (*j->p != '"' || (err = string(j, &key)))
				return err ? err : -EINVAL;
			ws(j);
			if (*j->p != ':')
				err = -EINVAL;
			else
				j->p++;
		} else {
			snprintf(idx, sizeof(idx), "%zu", i);
		}
		err = err ? err : push(j, plen, key ? key : idx);
		free(key);
		key = NULL;
		err = err ? err : value(j, strlen(j->path), depth + 1);
		j->path[plen] = 0;
		if (err)
			return err;
		ws(j);
		if (*j->p == ',') {
			j->p++;
			ws(j);
			continue;
		}
		if (*j->p != close)
			return -EINVAL;
		j->p++;
		return 0;
	}
}

static int value(struct jp *j, size_t plen, int depth)
{
	char *s;
	int err;

	if (depth > JDOC_MAX_DEPTH)
		return -EINVAL;
	ws(j);
	if (*j->p == '{' || *j->p == '[')
		return container(j, plen, depth);
	if (*j->p != '"')
		return scalar(j);
	err = string(j, &s);
	return err ? err : add(j, s, true);
}

int jdoc_parse(const char *text, struct jdoc *d)
{
	struct jp j = { .p = text, .d = d };
	int err;

	memset(d, 0, sizeof(*d));
	err = value(&j, 0, 0);
	if (!err)
		ws(&j);
	if (!err && *j.p)
		err = -EINVAL;
	if (err)
		jdoc_free(d);
	return err;
}

const char *jdoc_get(const struct jdoc *d, const char *fmt, ...)
{
	char path[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->e[i].path, path))
			return d->e[i].val;
	return NULL;
}

unsigned long long jdoc_num(const struct jdoc *d, const char *path)
{
	const char *v = jdoc_get(d, "%s", path);

	return v ? strtoull(v, NULL, 10) : 0;
}

size_t jdoc_count(const struct jdoc *d, const char *path)
{
	size_t len = strlen(path), n = 0;

	for (size_t i = 0; i < d->n; i++) {
		const char *p = d->e[i].path;
		char *end;
		size_t k;

		if (strncmp(p, path, len) || p[len] != '.' || p[len + 1] < '0' || p[len + 1] > '9')
			continue;
		k = strtoull(p + len + 1, &end, 10);
		/* an index, and one the entries could hold (an object's "99999999999" is not) */
		if ((*end && *end != '.') || k >= d->n)
			continue;
		if (k + 1 > n)
			n = k + 1;
	}
	return n;
}

void jdoc_free(struct jdoc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->e[i].path);
		free(d->e[i].val);
	}
	free(d->e);
	memset(d, 0, sizeof(*d));
}
