/* test_metrics.c - metrics: renderer under a strict exposition checker, request parser, HTTP. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "loop.h"
#include "metrics.h"
#include "tap.h"
#include "unit/loop_pump.h"

#define MAX_SERIES 256
#define MAX_LABELS 8

/* What the checker learnt about the current metric family. */
struct family {
	char name[128];
	char type[16];
	bool help, typed, sampled;
};

struct checker {
	struct family fam;
	char seen_fam[64][128];	/* families already closed: none may come back */
	int nfam;
	char *series[MAX_SERIES];
	int nseries;
	double last_le, last_bucket;	/* histogram: ascending le, cumulative counts */
	double inf_bucket;
	bool have_inf;
	char why[256];
};

static int fail_why(struct checker *k, const char *why, const char *line, size_t n)
{
	snprintf(k->why, sizeof(k->why), "%s: \"%.*s\"", why, (int)(n > 80 ? 80 : n), line);
	for (char *p = k->why; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = '|';
	return -1;
}

static bool name_ok(const char *p, size_t n, bool label)
{
	if (!n || (p[0] >= '0' && p[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || (!label && c == ':')))
			return false;
	}
	return true;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

/* Close the current family: histograms must have ended with +Inf. */
static int close_family(struct checker *k)
{
	if (!k->fam.name[0])
		return 0;
	if (!k->fam.sampled)
		return fail_why(k, "family without samples", k->fam.name, strlen(k->fam.name));
	if (!strcmp(k->fam.type, "histogram") && !k->have_inf)
		return fail_why(k, "histogram without le=+Inf", k->fam.name, strlen(k->fam.name));
	if (k->nfam < 64)
		memcpy(k->seen_fam[k->nfam++], k->fam.name, sizeof(k->fam.name));
	memset(&k->fam, 0, sizeof(k->fam));
	return 0;
}

/* "# HELP name text" or "# TYPE name type". */
static int check_comment(struct checker *k, const char *line, size_t n)
{
	static const char *const types[] = { "counter", "gauge", "histogram", "summary",
					     "untyped" };
	bool help = n > 7 && !memcmp(line, "# HELP ", 7);
	bool type = n > 7 && !memcmp(line, "# TYPE ", 7);
	const char *name = line + 7, *sp;
	size_t nlen;

	if (!help && !type)
		return fail_why(k, "comment that is not HELP or TYPE", line, n);
	sp = memchr(name, ' ', n - 7);
	if (!sp || sp + 1 == line + n)
		return fail_why(k, "HELP/TYPE without text", line, n);
	nlen = (size_t)(sp - name);
	if (!name_ok(name, nlen, false) || nlen >= 128)
		return fail_why(k, "bad metric name", line, n);
	if (strlen(k->fam.name) != nlen || memcmp(k->fam.name, name, nlen)) {
		if (close_family(k))
			return -1;
		for (int i = 0; i < k->nfam; i++)
			if (strlen(k->seen_fam[i]) == nlen && !memcmp(k->seen_fam[i], name, nlen))
				return fail_why(k, "family declared twice", line, n);
		memcpy(k->fam.name, name, nlen);
		k->have_inf = false;
		k->last_le = -INFINITY;
		k->last_bucket = 0;
	}
	if (k->fam.sampled)
		return fail_why(k, "HELP/TYPE after samples", line, n);
	if (help) {
		if (k->fam.help)
			return fail_why(k, "second HELP", line, n);
		k->fam.help = true;
		return 0;
	}
	if (k->fam.typed)
		return fail_why(k, "second TYPE", line, n);
	for (size_t i = 0; i < 5; i++)
		if (strlen(types[i]) == (size_t)(line + n - sp - 1) && !memcmp(sp + 1, types[i],
									     strlen(types[i])))
			snprintf(k->fam.type, sizeof(k->fam.type), "%s", types[i]);
	if (!k->fam.type[0])
		return fail_why(k, "unknown type", line, n);
	if (!strcmp(k->fam.type, "counter") && !ends_with(name, nlen, "_total"))
		return fail_why(k, "counter not ending in _total", line, n);
	k->fam.typed = true;
	return 0;
}

struct label {
	char name[64];
	char value[128];	/* unescaped */
};

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const struct label *)a)->name, ((const struct label *)b)->name);
}

/* {a="x",b="y"} at *pp; advances past the }. Count in *nl, or -1. */
static int parse_labels(struct checker *k, const char **pp, const char *end, struct label *lb,
			int *nl, const char *line, size_t n)
{
	const char *p = *pp + 1;

	*nl = 0;
	while (p < end && *p != '}') {
		const char *eq = memchr(p, '=', (size_t)(end - p));
		size_t vl = 0;

		if (*nl == MAX_LABELS || !eq || !name_ok(p, (size_t)(eq - p), true) ||
		    eq - p >= 64 || (eq - p >= 2 && p[0] == '_' && p[1] == '_'))
			return fail_why(k, "bad label name", line, n);
		memcpy(lb[*nl].name, p, (size_t)(eq - p));
		lb[*nl].name[eq - p] = 0;
		for (int i = 0; i < *nl; i++)
			if (!strcmp(lb[i].name, lb[*nl].name))
				return fail_why(k, "label given twice", line, n);
		p = eq + 1;
		if (p >= end || *p++ != '"')
			return fail_why(k, "label value not quoted", line, n);
		for (; p < end && *p != '"'; p++) {
			char c = *p;

			if (c == '\\') {
				if (++p == end || (*p != '\\' && *p != '"' && *p != 'n'))
					return fail_why(k, "bad escape", line, n);
				c = *p == 'n' ? '\n' : *p;
			}
			if (vl + 1 >= sizeof(lb[*nl].value))
				return fail_why(k, "label value too long", line, n);
			lb[*nl].value[vl++] = c;
		}
		if (p >= end)
			return fail_why(k, "unterminated label value", line, n);
		lb[(*nl)++].value[vl] = 0;
		p++;
		if (p < end && *p == ',')
			p++;
		else if (p < end && *p != '}')
			return fail_why(k, "junk after label", line, n);
	}
	if (p >= end)
		return fail_why(k, "unterminated labels", line, n);
	*pp = p + 1;
	return 0;
}

/* The series key: name and sorted labels. Refuses one seen before. */
static int add_series(struct checker *k, const char *name, size_t nlen, struct label *lb,
		      int nl, const char *line, size_t n)
{
	char key[1024];
	size_t kl;

	qsort(lb, (size_t)nl, sizeof(*lb), label_cmp);
	kl = (size_t)snprintf(key, sizeof(key), "%.*s", (int)nlen, name);
	for (int i = 0; i < nl && kl < sizeof(key); i++)
		kl += (size_t)snprintf(key + kl, sizeof(key) - kl, "|%s=%s", lb[i].name,
				       lb[i].value);
	for (int i = 0; i < k->nseries; i++)
		if (!strcmp(k->series[i], key))
			return fail_why(k, "duplicate series", line, n);
	if (k->nseries == MAX_SERIES)
		return fail_why(k, "too many series", line, n);
	k->series[k->nseries++] = strdup(key);
	return 0;
}

/* A histogram's _bucket/_sum/_count line: le ascending, counts cumulative, +Inf = _count. */
static int check_histogram(struct checker *k, const char *suffix, struct label *lb, int nl,
			   double v, const char *line, size_t n)
{
	const char *le = NULL;
	char *e;
	double b;

	for (int i = 0; i < nl; i++)
		if (!strcmp(lb[i].name, "le"))
			le = lb[i].value;
	if (strcmp(suffix, "_bucket")) {
		if (le)
			return fail_why(k, "le on a non-bucket line", line, n);
		if (!strcmp(suffix, "_count") && (!k->have_inf || v != k->inf_bucket))
			return fail_why(k, "_count is not the +Inf bucket", line, n);
		return 0;
	}
	if (!le)
		return fail_why(k, "bucket without le", line, n);
	b = !strcmp(le, "+Inf") ? INFINITY : strtod(le, &e);
	if (!isinf(b) && (!*le || *e))
		return fail_why(k, "le not a number", line, n);
	if (b <= k->last_le || v < k->last_bucket)
		return fail_why(k, "buckets not ascending/cumulative", line, n);
	k->last_le = b;
	k->last_bucket = v;
	if (isinf(b)) {
		k->have_inf = true;
		k->inf_bucket = v;
	}
	return 0;
}

static int check_sample(struct checker *k, const char *line, size_t n)
{
	const char *p = line, *end = line + n, *suffix = "";
	struct label lb[MAX_LABELS];
	size_t nlen, flen = strlen(k->fam.name);
	int nl = 0;
	char vbuf[64], sfx[16], *e;
	double v;

	while (p < end && *p != '{' && *p != ' ')
		p++;
	nlen = (size_t)(p - line);
	if (!name_ok(line, nlen, false))
		return fail_why(k, "bad sample name", line, n);
	if (!k->fam.help || !k->fam.typed)
		return fail_why(k, "sample without HELP and TYPE before it", line, n);
	if (!strcmp(k->fam.type, "histogram") && nlen > flen && nlen - flen < sizeof(sfx) &&
	    !memcmp(line, k->fam.name, flen)) {
		memcpy(sfx, line + flen, nlen - flen);
		sfx[nlen - flen] = 0;
		suffix = sfx;
	}
	if (*suffix ? strcmp(suffix, "_bucket") && strcmp(suffix, "_sum") &&
			      strcmp(suffix, "_count") :
		      (nlen != flen || memcmp(line, k->fam.name, flen)))
		return fail_why(k, "sample outside its family", line, n);
	if (!strcmp(k->fam.type, "histogram") && !*suffix)
		return fail_why(k, "bare histogram sample", line, n);
	if (p < end && *p == '{' && parse_labels(k, &p, end, lb, &nl, line, n))
		return -1;
	if (p >= end || *p != ' ' || end - p - 1 >= (ptrdiff_t)sizeof(vbuf) || end - p < 2)
		return fail_why(k, "no single space and value", line, n);
	memcpy(vbuf, p + 1, (size_t)(end - p - 1));
	vbuf[end - p - 1] = 0;
	v = strtod(vbuf, &e);
	if (*e || vbuf[0] == ' ' || vbuf[0] == '\t')
		return fail_why(k, "bad value (or a timestamp)", line, n);
	if (!strcmp(k->fam.type, "counter") && !(v >= 0))
		return fail_why(k, "negative counter", line, n);
	if (*suffix && check_histogram(k, suffix, lb, nl, v, line, n))
		return -1;
	k->fam.sampled = true;
	return add_series(k, line, nlen, lb, nl, line, n);
}

static void checker_free(struct checker *k)
{
	for (int i = 0; i < k->nseries; i++)
		free(k->series[i]);
}

/* 0 when text is a valid exposition (format 0.0.4, strict); -1 and k->why otherwise. */
static int check_exposition(const char *text, struct checker *k)
{
	const char *p = text, *nl;
	size_t len = strlen(text);
	int err = 0;

	memset(k, 0, sizeof(*k));
	if (!len || text[len - 1] != '\n')
		return fail_why(k, "empty or no final newline", text, len);
	for (; *p && !err; p = nl + 1) {
		size_t n;

		nl = strchr(p, '\n');
		n = (size_t)(nl - p);
		if (!n || memchr(p, '\r', n) || memchr(p, '\t', n))
			err = fail_why(k, "empty line, CR or tab", p, n);
		else if (p[0] == '#')
			err = check_comment(k, p, n);
		else
			err = check_sample(k, p, n);
	}
	if (!err)
		err = close_family(k);
	return err;
}

/* The value of series `key` (exact text before the space), or NULL. */
static const char *value_of(const char *text, const char *key, char *out, size_t outlen)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, kl) && p[kl] == ' ') {
			size_t vl = strcspn(p + kl + 1, "\n");

			snprintf(out, outlen, "%.*s", (int)vl, p + kl + 1);
			return out;
		}
	}
	return NULL;
}

static bool has_value(const char *text, const char *key, const char *want)
{
	char v[64];

	if (value_of(text, key, v, sizeof(v)) && !strcmp(v, want))
		return true;
	diag("%s: got %s, want %s", key, value_of(text, key, v, sizeof(v)) ? v : "(none)", want);
	return false;
}

static int count_samples(const char *text)
{
	int n = 0;

	for (const char *p = text; *p; p = strchr(p, '\n') + 1)
		n += p[0] != '#';
	return n;
}

static void test_checker_refuses(void)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ "x 1\n", "sample before HELP/TYPE" },
		{ "# HELP a_total h\na_total 1\n", "no TYPE" },
		{ "# HELP a h\n# TYPE a counter\na 1\n", "counter without _total" },
		{ "# HELP a h\n# TYPE a gauge\na 1\na 2\n", "duplicate series" },
		{ "# HELP a h\n# TYPE a gauge\na{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 1\n",
		  "duplicate series, labels reordered" },
		{ "# HELP a h\n# TYPE a gauge\na{x=\"a\"b\"} 1\n", "unescaped quote" },
		{ "# HELP a h\n# TYPE a gauge\na{x=\"a\\tb\"} 1\n", "bad escape" },
		{ "# HELP a h\n# TYPE a gauge\n1a 1\n", "name starting with a digit" },
		{ "# HELP a h\n# TYPE a gauge\na-b 1\n", "name with a dash" },
		{ "# HELP a h\n# TYPE a gauge\na 1 123\n", "timestamp" },
		{ "# HELP a h\n# TYPE a gauge\na 1x\n", "bad value" },
		{ "# HELP a h\n# TYPE a gauge\na 1", "no final newline" },
		{ "# HELP a h\n# TYPE a gauge\na 1\n\n", "empty line" },
		{ "# HELP a h\n# TYPE a gauge\nb 1\n", "sample of another family" },
		{ "# HELP a h\n# TYPE a gauge\na 1\n# HELP b h\n# TYPE b gauge\nb 1\n"
		  "# HELP a h\n# TYPE a gauge\na{x=\"1\"} 1\n", "family declared twice" },
		{ "# HELP a h\n# TYPE a gauge\na{__x=\"1\"} 1\n", "reserved label name" },
		{ "# HELP a h\n# TYPE a histogram\na_bucket{le=\"1\"} 2\na_bucket{le=\"+Inf\"} 1\n"
		  "a_count 1\na_sum 0\n", "histogram not cumulative" },
		{ "# HELP a h\n# TYPE a histogram\na_bucket{le=\"1\"} 1\na_count 1\n",
		  "histogram without +Inf" },
		{ "# HELP a h\n# TYPE a gauge\na 1\r\n", "CR" },
		{ "# a comment\n", "stray comment" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct checker k;

		ok(check_exposition(bad[i].text, &k) < 0, "checker refuses: %s (%s)", bad[i].why,
		   k.why);
		checker_free(&k);
	}
}

static struct turn_stats filled_stats(void)
{
	struct turn_stats st = {
		.allocations = 3, .permissions = 5, .channels = 7, .allocs_created = 11,
		.allocs_expired = 13, .requests = 17, .auth_failures = 19,
		.auth_fail = { 2, 3, 5, 9 },
		.pkts_c2p = 23, .bytes_c2p = 29, .pkts_p2c = 31,
		.bytes_p2c = 18446744073709551615ull,
	};

	for (int i = 0; i < DROP_NR; i++)
		st.drops[i] = 100 + (uint64_t)i;
	for (int i = 0; i < LIMIT_NR; i++)
		st.limit_hits[i] = 200 + (uint64_t)i;
	return st;
}

static void test_render_exact(void)
{
	static const struct {
		const char *key, *want;
	} want[] = {
		{ "turnd_allocations", "3" },
		{ "turnd_permissions", "5" },
		{ "turnd_channels", "7" },
		{ "turnd_allocations_created_total", "11" },
		{ "turnd_allocations_expired_total", "13" },
		{ "turnd_requests_total", "17" },
		{ "turnd_auth_failures_total{reason=\"unknown_user\"}", "2" },
		{ "turnd_auth_failures_total{reason=\"bad_integrity\"}", "3" },
		{ "turnd_auth_failures_total{reason=\"expired\"}", "5" },
		{ "turnd_auth_failures_total{reason=\"wrong_user\"}", "9" },
		{ "turnd_limit_hits_total{limit=\"max_per_user\"}", "200" },
		{ "turnd_limit_hits_total{limit=\"max_total\"}", "201" },
		{ "turnd_limit_hits_total{limit=\"max_permissions\"}", "202" },
		{ "turnd_limit_hits_total{limit=\"max_channels\"}", "203" },
		{ "turnd_limit_hits_total{limit=\"max_bps\"}", "1214" },	/* 204 + XDP's 1010 */
		{ "turnd_limit_hits_total{limit=\"unauth_rate\"}", "205" },
		{ "turnd_fastpath_up", "1" },
		{ "turnd_packets_total{path=\"userspace\",direction=\"c2p\"}", "23" },
		{ "turnd_packets_total{path=\"userspace\",direction=\"p2c\"}", "31" },
		{ "turnd_packets_total{path=\"xdp\",direction=\"c2p\"}", "1007" },
		{ "turnd_packets_total{path=\"xdp\",direction=\"p2c\"}", "1008" },
		{ "turnd_bytes_total{path=\"userspace\",direction=\"c2p\"}", "29" },
		{ "turnd_bytes_total{path=\"userspace\",direction=\"p2c\"}",
		  "18446744073709551615" },
		{ "turnd_drops_total{path=\"userspace\",reason=\"malformed\"}", "100" },
		{ "turnd_drops_total{path=\"userspace\",reason=\"no_allocation\"}", "101" },
		{ "turnd_drops_total{path=\"userspace\",reason=\"no_channel\"}", "102" },
		{ "turnd_drops_total{path=\"userspace\",reason=\"no_permission\"}", "103" },
		{ "turnd_drops_total{path=\"userspace\",reason=\"policy\"}", "104" },
		{ "turnd_drops_total{path=\"userspace\",reason=\"unexpected\"}", "105" },
		{ "turnd_drops_total{path=\"userspace\",reason=\"rcvbuf\"}", "106" },
		{ "turnd_drops_total{path=\"userspace\",reason=\"bandwidth\"}", "204" },
		{ "turnd_drops_total{path=\"xdp\",reason=\"no_permission\"}", "1005" },
		{ "turnd_drops_total{path=\"xdp\",reason=\"bandwidth\"}", "1010" },
		{ "turnd_xdp_pass_total{reason=\"stun\"}", "1000" },
		{ "turnd_xdp_pass_total{reason=\"unknown_channel\"}", "1001" },
		{ "turnd_xdp_pass_total{reason=\"no_channel\"}", "1002" },
		{ "turnd_xdp_pass_total{reason=\"unsupported\"}", "1003" },
		{ "turnd_xdp_pass_total{reason=\"no_route\"}", "1004" },
		{ "turnd_xdp_pass_total{reason=\"bad_length\"}", "1006" },
		{ "turnd_xdp_pass_total{reason=\"other\"}", "1009" },
	};
	struct turn_stats st = filled_stats();
	uint64_t xdp[TURN_XDP_NR];
	char buf[8192];
	struct checker k;
	size_t n, bad = 0;

	for (int i = 0; i < TURN_XDP_NR; i++)
		xdp[i] = 1000 + (uint64_t)i;
	n = metrics_render(&st, xdp, NULL, buf, sizeof(buf));
	ok(n > 0 && n < sizeof(buf) && strlen(buf) == n, "render returns the length (%zu)", n);
	if (!ok(check_exposition(buf, &k) == 0, "with XDP: strict checker accepts"))
		diag("%s", k.why);
	checker_free(&k);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		bad += !has_value(buf, want[i].key, want[i].want);
	is_int(bad, 0, "every one of %zu series has its exact value",
	       sizeof(want) / sizeof(want[0]));
	is_int(count_samples(buf), sizeof(want) / sizeof(want[0]), "and no other series");
	ok(strstr(buf, "# TYPE turnd_allocations gauge\n") &&
	   strstr(buf, "# TYPE turnd_packets_total counter\n") &&
	   strstr(buf, "# TYPE turnd_xdp_pass_total counter\n"), "types as intended");

	n = metrics_render(&st, NULL, NULL, buf, sizeof(buf));
	if (!ok(check_exposition(buf, &k) == 0, "without XDP: strict checker accepts"))
		diag("%s", k.why);
	checker_free(&k);
	ok(has_value(buf, "turnd_fastpath_up", "0") && !strstr(buf, "path=\"xdp\"") &&
	   !strstr(buf, "turnd_xdp_pass_total"), "without XDP: no XDP series, fastpath_up 0");
	ok(has_value(buf, "turnd_limit_hits_total{limit=\"max_bps\"}", "204"),
	   "without XDP: max_bps hits are userspace's");
	is_int(count_samples(buf), sizeof(want) / sizeof(want[0]) - 11, "userspace series only");
	is_int(strlen(buf), n, "length returned");
}

static void test_render_truncated(void)
{
	struct turn_stats st = filled_stats();
	char full[8192], small[100];
	size_t n = metrics_render(&st, NULL, NULL, full, sizeof(full));

	memset(small, 'X', sizeof(small));
	is_int(metrics_render(&st, NULL, NULL, small, 50), n, "cut: still returns the whole length");
	ok(small[49] == 0 && !memcmp(small, full, 49) && small[50] == 'X',
	   "cut: 49 bytes, NUL, nothing written past cap");
	is_int(metrics_render(&st, NULL, NULL, NULL, 0), n, "cap 0, NULL buffer: only the length");
}

/* The fast path's routing lines, appended: exact values, strict format, cut like the rest. */
static void test_xdp_routes(void)
{
	struct turn_stats st = { 0 };
	char buf[8192], small[40];
	struct checker k;
	size_t n, m;

	n = metrics_render(&st, NULL, NULL, buf, sizeof(buf));
	m = metrics_render_xdp_routes(12345678901ull, 4000000, buf + n, sizeof(buf) - n);
	is_int(strlen(buf), n + m, "routing lines appended, length returned");
	if (!ok(check_exposition(buf, &k) == 0, "with the routing lines: strict checker accepts"))
		diag("%s", k.why);
	checker_free(&k);
	ok(has_value(buf, "turnd_xdp_route_changes_total", "12345678901") &&
	   has_value(buf, "turnd_xdp_clock_tick_seconds", "0.004"),
	   "route changes 12345678901, tick 0.004 s");
	ok(strstr(buf, "# TYPE turnd_xdp_route_changes_total counter\n") &&
	   strstr(buf, "# TYPE turnd_xdp_clock_tick_seconds gauge\n"), "types as intended");
	m = metrics_render_xdp_routes(0, 0, buf, sizeof(buf));
	ok(has_value(buf, "turnd_xdp_clock_tick_seconds", "0") &&
	   has_value(buf, "turnd_xdp_route_changes_total", "0"), "precise clock: tick 0");
	memset(small, 'X', sizeof(small));
	is_int(metrics_render_xdp_routes(0, 0, small, 20), m, "cut: still the whole length");
	ok(small[19] == 0 && small[20] == 'X', "cut: nothing written past cap");
}

static void test_latency(void)
{
	static const double obs[] = { 0.00005, 0.0001, 0.0003, 0.001, 0.001, 0.05, 3.0, -1.0,
				      NAN };
	struct latency_hist h = { 0 };
	struct turn_stats st = { 0 };
	char buf[8192];
	struct checker k;
	size_t n;

	for (size_t i = 0; i < sizeof(obs) / sizeof(obs[0]); i++)
		metrics_observe_request(&h, obs[i]);
	n = metrics_render(&st, NULL, NULL, buf, sizeof(buf));
	n += metrics_render_latency(&h, buf + n, sizeof(buf) - n);
	is_int(strlen(buf), n, "latency appended, length returned");
	if (!ok(check_exposition(buf, &k) == 0, "with the histogram: strict checker accepts"))
		diag("%s", k.why);
	checker_free(&k);
	ok(has_value(buf, "turnd_request_duration_seconds_bucket{le=\"0.0001\"}", "4") &&
	   has_value(buf, "turnd_request_duration_seconds_bucket{le=\"0.00025\"}", "4") &&
	   has_value(buf, "turnd_request_duration_seconds_bucket{le=\"0.0005\"}", "5") &&
	   has_value(buf, "turnd_request_duration_seconds_bucket{le=\"0.001\"}", "7") &&
	   has_value(buf, "turnd_request_duration_seconds_bucket{le=\"0.025\"}", "7") &&
	   has_value(buf, "turnd_request_duration_seconds_bucket{le=\"0.1\"}", "8") &&
	   has_value(buf, "turnd_request_duration_seconds_bucket{le=\"+Inf\"}", "9") &&
	   has_value(buf, "turnd_request_duration_seconds_count", "9"),
	   "buckets cumulative, le inclusive, negative/NaN as 0, 3 s in +Inf only");
	ok(fabs(h.sum - 3.05245) < 1e-9, "sum %.9g", h.sum);
}

static const struct {
	const char *req;
	int want;
} parse_cases[] = {
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 200 },
	{ "GET /metrics HTTP/1.0\r\n\r\n", 200 },
	{ "GET /metrics?name[]=a HTTP/1.1\r\n\r\n", 200 },
	{ "GET /metrics HTTP/1.1\n\n", 200 },
	{ "GET /metrics HTTP/1.1\r\nUser-Agent: Prometheus/2.4\r\nX: a\tb \xc3\xa9\r\n\r\n", 200 },
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\ntrailing junk", 200 },
	{ "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 405 },
	{ "HEAD /metrics HTTP/1.1\r\n\r\n", 405 },
	{ "get /metrics HTTP/1.1\r\n\r\n", 405 },
	{ "GET /x HTTP/1.1\r\n\r\n", 404 },
	{ "GET / HTTP/1.1\r\n\r\n", 404 },
	{ "GET /metricsx HTTP/1.1\r\n\r\n", 404 },
	{ "GET /metrics/ HTTP/1.1\r\n\r\n", 404 },
	{ "GET /METRICS HTTP/1.1\r\n\r\n", 404 },
	{ "GET metrics HTTP/1.1\r\n\r\n", 400 },
	{ "GET  /metrics HTTP/1.1\r\n\r\n", 400 },
	{ "GET /metrics  HTTP/1.1\r\n\r\n", 400 },
	{ "GET /metrics HTTP/2.0\r\n\r\n", 400 },
	{ "GET /metrics HTTP/1.1 \r\n\r\n", 400 },
	{ "GET /metrics\r\n\r\n", 400 },
	{ "GET\r\n\r\n", 400 },
	{ "\r\n\r\n", 400 },
	{ " GET /metrics HTTP/1.1\r\n\r\n", 400 },
	{ "GET /metrics HTTP/1.1\r\nHost x\r\n\r\n", 400 },
	{ "GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", 400 },
	{ "GET /metrics HTTP/1.1\r\n: x\r\n\r\n", 400 },
	{ "GET /metrics HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400 },
	{ "GET /metrics HTTP/1.1\r\n\r\r\n\r\n", 400 },
	{ "GET /metr\x7fics HTTP/1.1\r\n\r\n", 400 },
	{ "GET /metr\xc3\xa9 HTTP/1.1\r\n\r\n", 400 },
	{ "G\xff /metrics HTTP/1.1\r\n\r\n", 400 },
	{ "\x16\x03\x01\x02\x00", 400 },	/* a TLS ClientHello: refused at once */
	{ "GET /metrics HTTP/1.1\r\nX: \x01\r\n", 400 },	/* control byte: before the end */
	{ "", -EAGAIN },
	{ "G", -EAGAIN },
	{ "GET /metrics HTTP/1.1\r\nHost: x\r\n", -EAGAIN },
	{ "GET /metrics HTTP/1.1\r\n\r", -EAGAIN },
	{ "POST /x HTTP/1.1\r\n", -EAGAIN },
};

static void test_parse(void)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	static const char nul[] = "GET /metrics HTTP/1.1\r\nHost: a\0b\r\n\r\n";
	size_t i, torn_bad = 0, n = strlen(req);
	char *big = malloc(9 * 1024);
	int r;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++)
		is_int(metrics_parse_request(parse_cases[i].req, strlen(parse_cases[i].req)),
		       parse_cases[i].want, "parse %zu -> %d", i, parse_cases[i].want);
	is_int(metrics_parse_request(nul, sizeof(nul) - 1), 400, "NUL in a header: 400");
	is_int(metrics_parse_request("G\0T /metrics HTTP/1.1\r\n\r\n", 25), 400, "NUL in method");
	for (i = 0; i < n; i++)
		torn_bad += metrics_parse_request(req, i) != -EAGAIN;
	is_int(torn_bad, 0, "every prefix of a good request: -EAGAIN");
	is_int(metrics_parse_request(req, n), 200, "whole: 200");

	/* 8 KB limit: a request ending exactly at 8192 bytes passes, one byte more does not. */
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memset(big + 26, 'a', 9 * 1024 - 26);
	memcpy(big + METRICS_MAX_REQUEST - 4, "\r\n\r\n", 4);
	is_int(metrics_parse_request(big, METRICS_MAX_REQUEST), 200, "exactly 8192 bytes: 200");
	memset(big + METRICS_MAX_REQUEST - 4, 'a', 4);
	memcpy(big + METRICS_MAX_REQUEST - 3, "\r\n\r\n", 4);
	is_int(metrics_parse_request(big, METRICS_MAX_REQUEST + 1), 400, "8193 bytes: 400");
	is_int(metrics_parse_request(big, METRICS_MAX_REQUEST - 1), -EAGAIN, "8191, no end: wait");
	memset(big + 26, 'a', 9 * 1024 - 26);
	is_int(metrics_parse_request(big, METRICS_MAX_REQUEST), 400, "8192 without an end: 400");
	is_int(metrics_parse_request(big, 9 * 1024), 400, "9 KB: 400");

	/* Random and mutated bytes: only the documented answers, no overread (ASan). */
	srandom(7);
	for (i = 0, torn_bad = 0; i < 20000; i++) {
		size_t len = (size_t)random() % 64;
		char *b = malloc(len ? len : 1);

		memcpy(b, req, len < n ? len : n);
		for (size_t j = 0; j < len; j++)
			if (j >= n || random() % 8 == 0)
				b[j] = (char)random();
		r = metrics_parse_request(b, len);
		torn_bad += r != 200 && r != 400 && r != 404 && r != 405 && r != -EAGAIN;
		free(b);
	}
	is_int(torn_bad, 0, "20000 mutated requests: only 200/400/404/405/-EAGAIN");
	free(big);
}

/* Read until EOF (pumping the loop) into a malloc'd string; NULL on a timeout. */
static char *read_all(struct loop *l, int fd, bool *eof)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	ssize_t r;

	*eof = false;
	for (int i = 0; i < 200 && !*eof; i++) {
		pump(l, 10);
		while ((r = recv(fd, buf + n, cap - 1 - n, MSG_DONTWAIT)) > 0)
			n += (size_t)r;
		*eof = r == 0 || (r < 0 && errno != EAGAIN);
	}
	buf[n] = 0;
	return buf;
}

/* Send pieces (pumping between), read the answer, return it (malloc'd). */
static char *exchange(struct loop *l, uint16_t port, const char *const *pieces, size_t np,
		      const size_t *lens)
{
	int fd = connect_local(port);
	char *resp;
	bool eof;

	if (fd < 0)
		return strdup("");
	for (size_t i = 0; i < np; i++) {
		if (send(fd, pieces[i], lens ? lens[i] : strlen(pieces[i]), MSG_NOSIGNAL) < 0)
			diag("send: %s", strerror(errno));
		pump(l, 5);
	}
	resp = read_all(l, fd, &eof);
	if (!eof)
		diag("no EOF after the answer");
	close(fd);
	return resp;
}

static bool starts(const char *s, const char *prefix)
{
	if (!strncmp(s, prefix, strlen(prefix)))
		return true;
	diag("got: %.60s", s);
	return false;
}

static void test_http_ok(struct loop *l, uint16_t port, const struct latency_hist *h)
{
	const char *get[] = { "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" };
	const char *torn[] = { "GE", "T /metr", "ics HTTP/1.1\r\nHost: x\r\n", "\r", "\n" };
	char *r = exchange(l, port, get, 1, NULL), *body, *cl;
	struct checker k;

	ok(starts(r, "HTTP/1.1 200 OK\r\n"), "GET /metrics: 200");
	ok(strstr(r, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n") != NULL,
	   "Content-Type text/plain; version=0.0.4");
	ok(strstr(r, "\r\nConnection: close\r\n") != NULL, "Connection: close");
	body = strstr(r, "\r\n\r\n");
	cl = strstr(r, "Content-Length: ");
	ok(body && cl && strtoul(cl + 16, NULL, 10) == strlen(body + 4),
	   "Content-Length is the body's length");
	if (body && !ok(check_exposition(body + 4, &k) == 0, "body passes the strict checker"))
		diag("%s", k.why);
	if (body)
		checker_free(&k);
	ok(body && has_value(body, "turnd_allocations", "0") &&
	   has_value(body, "turnd_fastpath_up", "0"), "no turn server, no fast path: zeros");
	ok(!h || (body && has_value(body, "turnd_request_duration_seconds_count", "1")),
	   "the latency histogram is served");
	free(r);
	r = exchange(l, port, torn, 5, NULL);
	ok(starts(r, "HTTP/1.1 200 OK\r\n"), "request torn across 5 reads: 200");
	free(r);
}

static void test_http_errors(struct loop *l, uint16_t port)
{
	const char *post[] = { "POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc" };
	const char *nf[] = { "GET /x HTTP/1.1\r\n\r\n" };
	const char *junk[] = { "\x16\x03\x01\x00\xff\xfe" };
	size_t junklen = 6, biglen = 9 * 1024;
	char *big = malloc(biglen), *r;
	const char *bigp[] = { big };

	r = exchange(l, port, post, 1, NULL);
	ok(starts(r, "HTTP/1.1 405 Method Not Allowed\r\n") && strstr(r, "\r\nAllow: GET\r\n"),
	   "POST: 405 with Allow: GET");
	free(r);
	r = exchange(l, port, nf, 1, NULL);
	ok(starts(r, "HTTP/1.1 404 Not Found\r\n"), "/x: 404");
	free(r);
	r = exchange(l, port, junk, 1, &junklen);
	ok(starts(r, "HTTP/1.1 400 Bad Request\r\n"), "binary garbage: 400");
	free(r);
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	memset(big + 26, 'a', biglen - 26);
	r = exchange(l, port, bigp, 1, &biglen);
	ok(starts(r, "HTTP/1.1 400 Bad Request\r\n"), "9 KB request: 400 (answer not lost)");
	free(r);
	free(big);
}

static void test_http_limits(struct loop *l, struct metrics *m, uint16_t port)
{
	const char *get[] = { "GET /metrics HTTP/1.1\r\n\r\n" };
	int fds[METRICS_MAX_CONNS], extra, nopen = 0;
	char *r, c;
	bool eof;

	metrics_set_timeout(m, 100);
	extra = connect_local(port);
	pump(l, 300);
	ok(recv(extra, &c, 1, MSG_DONTWAIT) == 0, "silent client closed after the timeout");
	close(extra);
	metrics_set_timeout(m, METRICS_TIMEOUT_MS);

	for (int i = 0; i < METRICS_MAX_CONNS; i++) {
		fds[i] = connect_local(port);
		nopen += fds[i] >= 0;
		if (i % 8 == 7)
			pump(l, 5);
	}
	is_int(nopen, METRICS_MAX_CONNS, "%d idle connections open", METRICS_MAX_CONNS);
	extra = connect_local(port);
	send(extra, get[0], strlen(get[0]), MSG_NOSIGNAL);
	r = read_all(l, extra, &eof);
	ok(eof && !r[0], "connection %d: closed without an answer", METRICS_MAX_CONNS + 1);
	free(r);
	close(extra);
	close(fds[0]);
	pump(l, 10);
	r = exchange(l, port, get, 1, NULL);
	ok(starts(r, "HTTP/1.1 200 OK\r\n"), "after one closes, a new one is served");
	free(r);
	for (int i = 1; i < METRICS_MAX_CONNS; i++)
		close(fds[i]);
	/* metrics_free() below closes what the server still holds (ASan checks for leaks). */
}

static void test_http(void)
{
	struct latency_hist h = { 0 };
	struct loop *l = loop_new();
	struct metrics *m, *m2;
	sockaddr_u a;
	uint16_t port;

	addr_parse("127.0.0.1", 0, &a);
	m = metrics_new(l, &a, NULL, NULL);
	if (!ok(m != NULL && metrics_port(m) != 0, "listening on 127.0.0.1, port %u",
		m ? metrics_port(m) : 0)) {
		loop_free(l);
		return;
	}
	port = metrics_port(m);
	addr_set_port(&a, port);
	m2 = metrics_new(l, &a, NULL, NULL);
	ok(m2 == NULL, "a second listener on the same port: NULL");
	metrics_free(m2);
	test_http_ok(l, port, NULL);
	metrics_observe_request(&h, 0.002);
	metrics_set_latency(m, &h);
	test_http_ok(l, port, &h);
	test_http_errors(l, port);
	test_http_limits(l, m, port);
	metrics_free(m);
	loop_free(l);
}

int main(void)
{
	test_checker_refuses();
	test_render_exact();
	test_render_truncated();
	test_xdp_routes();
	test_latency();
	test_parse();
	test_http();
	return done_testing();
}
