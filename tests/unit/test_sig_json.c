/* test_sig_json.c - the signaling JSON validator, unescaper and escaper, with hostile bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sig_json.h"
#include "tap.h"

static int scan(const char *s, enum sj_kind *top, const char **why)
{
	return sj_scan(s, strlen(s), top, NULL, 0, why);
}

struct good {
	const char *in;
	enum sj_kind top;
};

static const struct good goods[] = {
	{ "{}", SJ_OBJECT },
	{ " [ ] ", SJ_ARRAY },
	{ "\"\"", SJ_STRING },
	{ "0", SJ_NUMBER },
	{ "-0", SJ_NUMBER },
	{ "-0.0e-0", SJ_NUMBER },
	{ "1E+9", SJ_NUMBER },
	{ "123.456e789", SJ_NUMBER },
	{ "true", SJ_TRUE },
	{ "false", SJ_FALSE },
	{ "\r\n\tnull\n", SJ_NULL },
	{ "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\uFFFF\\ud800\\udc00\\udbff\\udfff\"", SJ_STRING },
	{ "\"\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\"", SJ_STRING },
	{ "\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"", SJ_STRING },
	{ "{\"a\":{\"a\":1,\"a\":2},\"b\":[{\"a\":1},{\"a\":1}]}", SJ_OBJECT },
	{ "[1,\"a\",[],{},true,false,null,-1.5]", SJ_ARRAY },
	{ "{\"\":0,\" \":1}", SJ_OBJECT },
};

struct bad {
	const char *in;
	const char *why;
};

static const struct bad bads[] = {
	{ "", "unexpected end" },
	{ "[", "unexpected end" },
	{ "[1,", "unexpected end" },
	{ "{\"a\"", "expected ':'" },
	{ "{\"a\":", "unexpected end" },
	{ "{\"a\":1", "unexpected end" },
	{ "{\"a\":1]", "expected ',' or '}'" },
	{ "[1}", "expected ',' or ']'" },
	{ "[1,]", "unexpected byte" },
	{ "{,}", "expected a key" },
	{ "{1:2}", "expected a key" },
	{ "\"abc", "unterminated string" },
	{ "\"abc\\", "unterminated string" },
	{ "\"\\a\"", "bad escape" },
	{ "\"\\U0041\"", "bad escape" },
	{ "\"\\u004\"", "bad \\u escape" },
	{ "\"\\u00", "bad \\u escape" },
	{ "\"\\udc00\"", "lone low surrogate" },
	{ "\"\\ud800\"", "lone high surrogate" },
	{ "\"\\ud800\\n\"", "lone high surrogate" },
	{ "\"\\ud800\\ud800\"", "lone high surrogate" },
	{ "\"\\ud800\\ue000\"", "lone high surrogate" },
	{ "\"\\ud800\\udc0", "lone high surrogate" },
	{ "\"\x1f\"", "control byte in a string" },
	{ "\"\n\"", "control byte in a string" },
	{ "\"\xc0\x80\"", "invalid UTF-8" },
	{ "\"\xc1\xbf\"", "invalid UTF-8" },
	{ "\"\xe0\x9f\xbf\"", "invalid UTF-8" },
	{ "\"\xed\xbf\xbf\"", "invalid UTF-8" },
	{ "\"\xf0\x8f\xbf\xbf\"", "invalid UTF-8" },
	{ "\"\xf4\x90\x80\x80\"", "invalid UTF-8" },
	{ "\"\xf5\x80\x80\x80\"", "invalid UTF-8" },
	{ "\"\xff\"", "invalid UTF-8" },
	{ "\"\xc3\"", "invalid UTF-8" },
	{ "\"\xc3", "invalid UTF-8" },
	{ "\"\xe2\x82\"", "invalid UTF-8" },
	{ "\"\xc3\x28\"", "invalid UTF-8" },
	{ "01", "leading zero in a number" },
	{ "-01", "leading zero in a number" },
	{ "00", "leading zero in a number" },
	{ "1.", "bad number" },
	{ "1.e3", "bad number" },
	{ "1e", "bad number" },
	{ "1e+", "bad number" },
	{ "--1", "bad number" },
	{ "-a", "bad number" },
	{ "+1", "unexpected byte" },
	{ ".5", "unexpected byte" },
	{ "0x10", "trailing bytes" },
	{ "1 2", "trailing bytes" },
	{ "Infinity", "unexpected byte" },
	{ "nul", "unexpected byte" },
	{ "True", "unexpected byte" },
	{ "nulll", "trailing bytes" },
	{ "{}}", "trailing bytes" },
	{ "{}\f", "trailing bytes" },
	{ "\v{}", "unexpected byte" },
	{ "{\"a\":1,\"a\":1}", "duplicate key" },
	{ "{\"a\":1,\"b\":2,\"\\u0061\":3}", "duplicate key" },
	{ "{\"\xc3\xa9\":1,\"\\u00e9\":2}", "duplicate key" },
	{ "{\"\xf0\x9f\x98\x80\":1,\"\\ud83d\\ude00\":2}", "duplicate key" },
	{ "{\"\\/\":1,\"/\":2}", "duplicate key" },
	{ "{\"\":1,\"\":2}", "duplicate key" },
};

static void table(void)
{
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		enum sj_kind top = SJ_ABSENT;
		const char *why = NULL;
		int err = scan(goods[i].in, &top, &why);

		ok(!err && top == goods[i].top, "valid: case %zu", i);
		if (err)
			diag("why: %s", why);
	}
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		enum sj_kind top = SJ_ABSENT;
		const char *why = NULL;
		int err = scan(bads[i].in, &top, &why);

		ok(err == -EINVAL && why && !strcmp(why, bads[i].why), "refused (%s): case %zu",
		   bads[i].why, i);
		if (err != -EINVAL || !why || strcmp(why, bads[i].why))
			diag("err=%d why=%s", err, why ? why : "-");
	}
}

static void depth(void)
{
	char buf[200];
	enum sj_kind top;
	const char *why = NULL;

	memset(buf, '[', 32);
	memset(buf + 32, ']', 32);
	is_int(sj_scan(buf, 64, &top, NULL, 0, &why), 0, "32 nested arrays");
	memset(buf, '[', 33);
	memset(buf + 33, ']', 33);
	is_int(sj_scan(buf, 66, &top, NULL, 0, &why), -EINVAL, "33 refused");
	ok(why && !strcmp(why, "nesting deeper than 32"), "because of depth");
	is_int(scan("{\"a\":[{\"b\":[{}]}]}", &top, &why), 0, "mixed nesting of 5");
}

static void fields(void)
{
	const char *t = " {\"to\" : \"x\\u0079\",\"n\":[1, {\"type\":2}],\"ty\\u0070e\":\"join\","
			"\"data\" : { \"a\" : [ 1 ] } , \"z\":null}";
	struct sj_field f[4] = { { .key = "type" }, { .key = "to" }, { .key = "data" },
				 { .key = "room" } };
	enum sj_kind top = SJ_ABSENT;
	const char *why = NULL;
	char out[16];

	is_int(sj_scan(t, strlen(t), &top, f, 4, &why), 0, "fields: scans");
	ok(f[0].kind == SJ_STRING && f[0].raw_len == 6 && !memcmp(f[0].raw, "\"join\"", 6),
	   "type found under an escaped key, raw span with quotes");
	ok(f[1].kind == SJ_STRING && f[1].raw_len == 9, "to found");
	is_int(sj_unescape(f[1].raw, f[1].raw_len, out, sizeof(out)), 2, "to decodes to 2 bytes");
	ok(!memcmp(out, "xy", 2), "to = xy");
	ok(f[2].kind == SJ_OBJECT && f[2].raw_len == 15 &&
		   !memcmp(f[2].raw, "{ \"a\" : [ 1 ] }", 15),
	   "data: the object's bytes, inner whitespace kept, outer not");
	ok(f[3].kind == SJ_ABSENT && !f[3].raw, "room absent");

	is_int(sj_scan("[{\"type\":\"x\"}]", 14, &top, f, 4, &why), 0, "an array scans");
	ok(top == SJ_ARRAY && f[0].kind == SJ_ABSENT, "a nested type is not a top-level field");
	f[0].kind = SJ_STRING;
	is_int(sj_scan("{\"type\":\"x\",}", 13, &top, f, 4, &why), -EINVAL, "a bad object");
	ok(f[0].kind == SJ_ABSENT, "fields are absent after an error");
}

static void unescape(void)
{
	const char *s = "\"a\\u00e9\\ud83d\\ude00\\n\\u0000\xe2\x82\xac\"";
	const char want[] = "a\xc3\xa9\xf0\x9f\x98\x80\n\0\xe2\x82\xac";
	char out[32];
	size_t n = sizeof(want) - 1, short_ok = 0;

	is_int(sj_unescape(s, strlen(s), out, sizeof(out)), (long long)n, "decoded length");
	ok(!memcmp(out, want, n), "decoded bytes (UTF-8, a pair joined, NUL kept)");
	is_int(sj_unescape(s, strlen(s), out, n), (long long)n, "exact cap fits");
	for (size_t cap = 0; cap < n; cap++)
		short_ok += sj_unescape(s, strlen(s), out, cap) == -E2BIG;
	is_int(short_ok, (long long)n, "-E2BIG at every short cap");
	is_int(sj_unescape("\"\"", 2, out, 0), 0, "empty string, cap 0");
}

static void escape(void)
{
	const char in_[] = "a\"\\\b\f\n\r\t\x01\x1f\x7f\xc3\xa9\xff\xc3(\xed\xa0\x80z";
	const char want[] = "\"a\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9\\ufffd\\ufffd("
			    "\\ufffd\\ufffd\\ufffdz\"";
	char out[128];
	size_t n = sj_escaped_len(in_, sizeof(in_) - 1);

	is_int(n, (long long)strlen(want), "escaped length");
	is_int(sj_escape(out, in_, sizeof(in_) - 1), (long long)n, "escape writes that much");
	ok(!memcmp(out, want, n), "escapes, UTF-8 kept, each bad byte \\ufffd");
	is_int(sj_escaped_len("", 0), 2, "empty: \"\"");
}

/* Random bytes escaped: always valid JSON, and valid UTF-8 comes back unchanged. */
static void escape_roundtrip(void)
{
	uint64_t x = 99;
	int bad = 0, diff = 0;

	for (int i = 0; i < 20000; i++) {
		char in_[64], esc[64 * 6 + 2], back[64];
		size_t n = (size_t)(i % 64), e;
		enum sj_kind top;
		const char *why;
		ssize_t k;
		int ascii = i & 1;

		for (size_t j = 0; j < n; j++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			in_[j] = (char)(ascii ? (x >> 33) % 0x80 : x >> 56);
		}
		e = sj_escape(esc, in_, n);
		if (sj_scan(esc, e, &top, NULL, 0, &why) || top != SJ_STRING) {
			bad++;
			continue;
		}
		k = sj_unescape(esc, e, back, sizeof(back));
		if (ascii && (k != (ssize_t)n || memcmp(back, in_, n)))
			diff++;
	}
	is_int(bad, 0, "20000 random strings escape to valid JSON");
	is_int(diff, 0, "ASCII ones (control bytes included) round-trip");
}

/* Mutated and random inputs: no crash, and an accepted text is accepted again identically. */
static void hostile(void)
{
	static const char *const seeds[] = {
		"{\"type\":\"signal\",\"to\":\"0123456789abcdef\","
		"\"data\":{\"sdp\":\"v=0\\r\\n\"}}",
		"[1,-2.5e+3,true,false,null,\"\\ud83d\\ude00\xc3\xa9\",{\"a\":[[]]}]",
	};
	uint64_t x = 5;
	int bad = 0, accepted = 0;

	for (int i = 0; i < 100000; i++) {
		char buf[128];
		size_t n = strlen(seeds[i & 1]);
		enum sj_kind top, top2;
		const char *why = NULL;
		struct sj_field f = { .key = "data" };
		int err;

		memcpy(buf, seeds[i & 1], n);
		for (int m = 0; m < 1 + i % 3 && n; m++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[(x >> 20) % n] = (char)(x >> 56);
			if ((x >> 12) % 8 == 0)
				n = (x >> 30) % n;
		}
		err = sj_scan(buf, n, &top, &f, 1, &why);
		if (err && (err != -EINVAL || !why))
			bad++;
		if (!err) {
			accepted++;
			if (memchr(buf, 0, n))
				bad++;
			if (f.kind != SJ_ABSENT &&
			    (sj_scan(f.raw, f.raw_len, &top2, NULL, 0, &why) || top2 != f.kind))
				bad++;
		}
	}
	is_int(bad, 0, "100000 mutated texts: -EINVAL with a reason, or a consistent accept");
	ok(accepted > 0, "some mutants still valid (%d)", accepted);
}

int main(void)
{
	table();
	depth();
	fields();
	unescape();
	escape();
	escape_roundtrip();
	hostile();
	return done_testing();
}
