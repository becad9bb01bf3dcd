/* test_json_req.c - the control request parser: valid requests and hostile bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json_req.h"
#include "tap.h"

static int parse(const char *s, struct json_req *r)
{
	return json_req_parse(s, strlen(s), r);
}

static void valid(void)
{
	struct json_req r;
	int64_t v = 0;

	is_int(parse("{\"cmd\":\"status\"}\n", &r), 0, "a plain request parses");
	is_int(r.n, 1, "one member");
	ok(json_req_str(&r, "cmd") && !strcmp(json_req_str(&r, "cmd"), "status"), "cmd=status");
	ok(!json_req_str(&r, "id"), "an absent key is NULL");
	is_int(json_req_int(&r, "id", &v), -ENOENT, "an absent integer is -ENOENT");
	is_int(json_req_int(&r, "cmd", &v), -EINVAL, "a string read as an integer is -EINVAL");

	is_int(parse(" \t{ \"cmd\" : \"kill\" , \"id\" : 42 }\r\n ", &r), 0,
	       "whitespace everywhere");
	is_int(json_req_int(&r, "id", &v), 0, "id is an integer");
	is_int(v, 42, "id=42");
	ok(!json_req_str(&r, "id"), "an integer read as a string is NULL");
	is_int(parse("{}", &r), 0, "an empty object parses");
	is_int(r.n, 0, "with no member");
	is_int(parse("{\"a\":-9223372036854775808,\"b\":9223372036854775807,\"c\":0}", &r), 0,
	       "int64 limits parse");
	json_req_int(&r, "a", &v);
	ok(v == INT64_MIN, "INT64_MIN exact");
	json_req_int(&r, "b", &v);
	ok(v == INT64_MAX, "INT64_MAX exact");

	is_int(parse("{\"u\":\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\u20ac\\ud83d\\ude00\"}", &r), 0,
	       "escapes parse");
	ok(!strcmp(json_req_str(&r, "u"), "a\"b\\c/d\n\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
	   "escapes decode to the right bytes (UTF-8, surrogate pair joined)");
	is_int(parse("{\"\":\"\"}", &r), 0, "empty key and value");
}

struct bad {
	const char *desc;
	const char *in;
	int err;
};

static const struct bad bads[] = {
	{ "empty input", "", -EINVAL },
	{ "whitespace only", " \n", -EINVAL },
	{ "not an object", "\"cmd\"", -EINVAL },
	{ "an array", "[\"status\"]", -EINVAL },
	{ "unterminated object", "{\"cmd\":\"status\"", -EINVAL },
	{ "unterminated string value", "{\"cmd\":\"status}", -EINVAL },
	{ "unterminated key", "{\"cmd", -EINVAL },
	{ "backslash at the end", "{\"cmd\":\"st\\", -EINVAL },
	{ "bad escape", "{\"cmd\":\"\\x41\"}", -EINVAL },
	{ "short \\u", "{\"cmd\":\"\\u12\"}", -EINVAL },
	{ "bad hex", "{\"cmd\":\"\\u12G4\"}", -EINVAL },
	{ "\\u0000", "{\"cmd\":\"a\\u0000b\"}", -EINVAL },
	{ "lone high surrogate", "{\"cmd\":\"\\ud83d\"}", -EINVAL },
	{ "high surrogate then a letter", "{\"cmd\":\"\\ud83dx\"}", -EINVAL },
	{ "high + non-low", "{\"cmd\":\"\\ud83d\\u0041\"}", -EINVAL },
	{ "lone low surrogate", "{\"cmd\":\"\\ude00\"}", -EINVAL },
	{ "raw newline in a string", "{\"cmd\":\"a\nb\"}", -EINVAL },
	{ "raw tab in a string", "{\"cmd\":\"a\tb\"}", -EINVAL },
	{ "nested object", "{\"cmd\":{\"a\":1}}", -EINVAL },
	{ "nested array", "{\"cmd\":[1]}", -EINVAL },
	{ "true", "{\"cmd\":true}", -EINVAL },
	{ "null", "{\"cmd\":null}", -EINVAL },
	{ "fraction", "{\"id\":1.5}", -EINVAL },
	{ "exponent", "{\"id\":1e3}", -EINVAL },
	{ "leading zero", "{\"id\":01}", -EINVAL },
	{ "plus sign", "{\"id\":+1}", -EINVAL },
	{ "minus alone", "{\"id\":-}", -EINVAL },
	{ "hex number", "{\"id\":0x10}", -EINVAL },
	{ "INT64_MAX + 1", "{\"id\":9223372036854775808}", -ERANGE },
	{ "INT64_MIN - 1", "{\"id\":-9223372036854775809}", -ERANGE },
	{ "huge number", "{\"id\":99999999999999999999999999999999999999}", -ERANGE },
	{ "duplicate key", "{\"cmd\":\"status\",\"cmd\":\"kill\"}", -EINVAL },
	{ "duplicate key, escaped", "{\"cmd\":\"status\",\"\\u0063md\":\"kill\"}", -EINVAL },
	{ "unquoted key", "{cmd:\"status\"}", -EINVAL },
	{ "single quotes", "{'cmd':'status'}", -EINVAL },
	{ "missing colon", "{\"cmd\" \"status\"}", -EINVAL },
	{ "missing value", "{\"cmd\":}", -EINVAL },
	{ "trailing comma", "{\"cmd\":\"status\",}", -EINVAL },
	{ "missing comma", "{\"a\":1 \"b\":2}", -EINVAL },
	{ "two objects", "{\"cmd\":\"status\"}{}", -EINVAL },
	{ "trailing junk", "{\"cmd\":\"status\"} x", -EINVAL },
	{ "nine members",
	  "{\"a\":1,\"b\":1,\"c\":1,\"d\":1,\"e\":1,\"f\":1,\"g\":1,\"h\":1,\"i\":1}",
	  -E2BIG },
	{ "key of 33 bytes", "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":1}", -E2BIG },
};

static void hostile(void)
{
	static const char nul[] = "{\"cmd\":\"sta\0tus\"}";
	static const char nul_after[] = "{\"cmd\":\"status\"}\0";
	struct json_req r;
	size_t n = 100 * 1024;
	char *big = malloc(n + 1);
	int err;

	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		err = parse(bads[i].in, &r);
		is_int(err, bads[i].err, "refused: %s", bads[i].desc);
		ok(r.why && *r.why, "  with a reason (%s)", r.why ? r.why : "none");
	}
	is_int(json_req_parse(nul, sizeof(nul) - 1, &r), -EINVAL, "NUL inside a string refused");
	is_int(json_req_parse(nul_after, sizeof(nul_after) - 1, &r), -EINVAL,
	       "NUL after the object refused");
	is_int(json_req_parse("{\"cmd\":\"status\"}", 5, &r), -EINVAL, "a cut object refused");

	if (!big)
		return;
	/* 100 KB: one long string value, then deep nesting, then a long run of spaces */
	memcpy(big, "{\"cmd\":\"", 8);
	memset(big + 8, 'a', n - 10);
	memcpy(big + n - 2, "\"}", 2);
	is_int(json_req_parse(big, n, &r), -E2BIG, "100 KB string value refused (too long)");
	memset(big, '{', n);
	is_int(json_req_parse(big, n, &r), -EINVAL, "100 KB of '{' refused");
	memset(big, '[', n);
	is_int(json_req_parse(big, n, &r), -EINVAL, "100 KB of '[' refused");
	memset(big, ' ', n);
	memcpy(big + n - 2, "{}", 2);
	is_int(json_req_parse(big, n, &r), 0, "100 KB of whitespace then {} parses");
	memset(big, 0xff, n);
	is_int(json_req_parse(big, n, &r), -EINVAL, "100 KB of 0xff refused");
	/* exactly the string limit fits; one more does not */
	memcpy(big, "{\"u\":\"", 6);
	memset(big + 6, 'b', JSON_REQ_MAX_STR);
	memcpy(big + 6 + JSON_REQ_MAX_STR, "\"}", 2);
	is_int(json_req_parse(big, 8 + JSON_REQ_MAX_STR, &r), 0, "a string of the maximum length");
	is_int(strlen(json_req_str(&r, "u")), JSON_REQ_MAX_STR, "kept whole");
	memcpy(big + 6 + JSON_REQ_MAX_STR, "b\"}", 3);
	is_int(json_req_parse(big, 9 + JSON_REQ_MAX_STR, &r), -E2BIG, "one byte more refused");
	free(big);
}

/* Every prefix of a valid request must be refused without reading past it. */
static void prefixes(void)
{
	static const char req[] = "{\"cmd\":\"kill\",\"user\":\"\\u00e9x\",\"id\":-12}";
	struct json_req r;
	int bad = 0;

	for (size_t n = 0; n < sizeof(req) - 1; n++) {
		char *cut = malloc(n ? n : 1);

		memcpy(cut, req, n);
		bad += json_req_parse(cut, n, &r) == 0;
		free(cut);
	}
	is_int(bad, 0, "every proper prefix of a request is refused");
	is_int(parse(req, &r), 0, "the whole request parses");
}

int main(void)
{
	valid();
	hostile();
	prefixes();
	return done_testing();
}
