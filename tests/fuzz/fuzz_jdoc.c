/* fuzz_jdoc.c - libFuzzer harness: any bytes as turnd's control answer, read as turnctl does. */
/*
 * Build and run from the repo root (one command line):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Itools/turnctl
 *	tests/fuzz/fuzz_jdoc.c tools/turnctl/jdoc.c -o fuzz_jdoc
 *   mkdir -p /tmp/corpus_jdoc && ./fuzz_jdoc -max_total_time=60 /tmp/corpus_jdoc
 *	tests/fuzz/corpus/jdoc
 *
 * Input: the answer's bytes; turnctl reads a NUL-terminated string, so a NUL ends it here too.
 * Checks, abort() on a violation: jdoc_parse returns 0, -EINVAL, -ENOMEM or -E2BIG (a path
 * over 511 bytes; jdoc.h names only the first three) and leaves d empty on failure; on
 * success every entry has a path under 512 bytes and a value, a bare value is made only of
 * scalar characters and appears in the text as is, a string is no longer than the text;
 * jdoc_get finds each path (the first entry with it); jdoc_count of an array path is above
 * each index under it; the same text with whitespace after it parses to the same entries,
 * and with a stray byte after it is refused. The lookups turnctl's commands make run on
 * every parsed answer. (jdoc_count counts by the largest index, so an object with key
 * "99999999999" claims that many elements: not checked, turnd never sends one.)
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jdoc.h"

#define PATH_MAX_LEN 511	/* jdoc.c's path buffer is 512 bytes */
#define CHECK_ENTRIES 64	/* the quadratic checks look at this many entries */
#define MAX_ROWS 64		/* rows looked up per array, as turnctl's printers do */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool is_empty(const struct jdoc *d)
{
	return !d->e && !d->n && !d->cap;
}

/* Whether the entry's last path component is an array index; *idx gets it. */
static bool array_index(const char *path, size_t *plen, unsigned long long *idx)
{
	const char *dot = strrchr(path, '.');
	char *end;

	if (!dot || dot[1] < '0' || dot[1] > '9')
		return false;
	*idx = strtoull(dot + 1, &end, 10);
	*plen = (size_t)(dot - path);
	return !*end && *idx < 1000000;
}

static void check_entry(const struct jdoc *d, size_t i, const char *text, size_t tlen)
{
	const struct jent *e = &d->e[i];
	char prefix[PATH_MAX_LEN + 1];
	unsigned long long idx;
	const char *v;
	size_t plen;

	if (!e->path || !e->val || strlen(e->path) > PATH_MAX_LEN)
		abort();
	if (e->is_str ? strlen(e->val) > tlen :
	    !*e->val || strspn(e->val, "-+.0123456789eEtruefalsn") != strlen(e->val) ||
	    !strstr(text, e->val))
		abort();
	v = e->val;
	for (size_t j = 0; j < i; j++)	/* the first entry with this path wins */
		if (!strcmp(d->e[j].path, e->path)) {
			v = d->e[j].val;
			break;
		}
	if (jdoc_get(d, "%s", e->path) != v)
		abort();
	/* a ".N" suffix may also be an object key (keys may hold dots and digits): jdoc_count
	 * counts only indices the entries could hold */
	if (array_index(e->path, &plen, &idx) && idx < d->n) {
		memcpy(prefix, e->path, plen);
		prefix[plen] = 0;
		if (jdoc_count(d, prefix) <= idx)
			abort();
	}
}

/* What turnctl's commands look up in an answer (client.c, status.c, allocations.c, top.c). */
static void turnctl_lookups(const struct jdoc *d)
{
	static const char *const arrays[] = { "allocations", "listeners", "xdp.interfaces",
					      "allocation.permissions", "allocation.channels" };
	static const char *const nums[] = { "uptime_s", "allocations", "killed", "count",
					    "allocation.id", "userspace.pkts_c2p" };

	jdoc_get(d, "ok");
	jdoc_get(d, "error");
	jdoc_get(d, "code");
	jdoc_get(d, "truncated");
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		jdoc_num(d, nums[i]);
	for (size_t a = 0; a < sizeof(arrays) / sizeof(arrays[0]); a++) {
		size_t n = jdoc_count(d, arrays[a]);

		for (size_t i = 0; i < n && i < MAX_ROWS; i++) {
			jdoc_get(d, "%s.%zu", arrays[a], i);
			jdoc_get(d, "%s.%zu.user", arrays[a], i);
			jdoc_get(d, "%s.%zu.relayed.0", arrays[a], i);
			jdoc_get(d, "%s.%zu.peer", arrays[a], i);
		}
	}
}

static bool same(const struct jdoc *a, const struct jdoc *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->e[i].path, b->e[i].path) || strcmp(a->e[i].val, b->e[i].val) ||
		    a->e[i].is_str != b->e[i].is_str)
			return false;
	return true;
}

/* The text with suffix appended (text is tlen bytes, NUL-terminated): parsed into *d. */
static int parse_with(const char *text, size_t tlen, const char *suffix, struct jdoc *d)
{
	size_t slen = strlen(suffix);
	char *t = malloc(tlen + slen + 1);
	int err;

	if (!t)
		abort();
	memcpy(t, text, tlen);
	memcpy(t + tlen, suffix, slen + 1);
	err = jdoc_parse(t, d);
	free(t);
	return err;
}

static void check_parsed(const struct jdoc *d, const char *text, size_t tlen)
{
	struct jdoc d2;

	if (d->n > d->cap || (d->n && !d->e) || d->n > tlen)
		abort();
	for (size_t i = 0; i < d->n; i++)
		if (i < CHECK_ENTRIES || i + 1 == d->n)
			check_entry(d, i, text, tlen);
	turnctl_lookups(d);
	if (parse_with(text, tlen, " \r\n\t", &d2) || !same(d, &d2))
		abort();
	jdoc_free(&d2);
	if (!is_empty(&d2) || parse_with(text, tlen, "x", &d2) != -EINVAL || !is_empty(&d2))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct jdoc d;
	size_t tlen;
	int err;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	tlen = strlen(text);
	err = jdoc_parse(text, &d);
	if (err) {
		if ((err != -EINVAL && err != -ENOMEM && err != -E2BIG) || !is_empty(&d))
			abort();
	} else {
		check_parsed(&d, text, tlen);
		jdoc_free(&d);
		if (!is_empty(&d))
			abort();
	}
	free(text);
	return 0;
}
