/* test_jdoc.c - turnctl's answer reader: paths and values, and hostile answers refused. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
/* turnctl's sources are not in libturnd.a: build the reader into this test */
#include "../../tools/turnctl/jdoc.c"

static void valid(void)
{
	struct jdoc d;
	const char *v;

	is_int(jdoc_parse("{\"ok\":true,\"allocations\":[{\"id\":7,\"relayed\":[\"a\",\"b\"]},"
			  "{\"id\":8,\"relayed\":[]}],\"s\":\"x\\\"\\\\\\n\\u0041\\u00e9\","
			  "\"n\":null,\"f\":-1.5e3,\"o\":{}}\n", &d), 0, "an answer parses");
	ok((v = jdoc_get(&d, "ok")) && !strcmp(v, "true"), "ok = true");
	is_int(jdoc_num(&d, "allocations.0.id"), 7, "allocations.0.id = 7");
	is_int(jdoc_num(&d, "allocations.1.id"), 8, "allocations.1.id = 8");
	is_int(jdoc_count(&d, "allocations"), 2, "2 allocations");
	is_int(jdoc_count(&d, "allocations.0.relayed"), 2, "2 relayed in the first");
	is_int(jdoc_count(&d, "allocations.1.relayed"), 0, "none in the second");
	ok((v = jdoc_get(&d, "allocations.%d.relayed.%d", 0, 1)) && !strcmp(v, "b"),
	   "a formatted path");
	ok((v = jdoc_get(&d, "s")) && !strcmp(v, "x\"\\\nA?"), "escapes decoded (non-ASCII as ?)");
	ok((v = jdoc_get(&d, "f")) && !strcmp(v, "-1.5e3"), "a number kept as written");
	ok(!jdoc_get(&d, "missing") && !jdoc_num(&d, "missing"), "an absent path");
	jdoc_free(&d);
}

static void hostile(void)
{
	static const char *const bad[] = {
		"", "{", "[", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,}", "{\"a\" 1}",
		"{\"a\":\"x", "{\"a\":\"x\\", "{\"a\":\"\\q\"}", "{\"a\":\"\\u12\"}",
		"{\"a\":\"\\uzzzz\"}", "{\"a\":\"a\nb\"}", "{a:1}", "{\"a\":1}}", "{\"a\":1} x",
		"[1,2", "[1 2]", "\"unterminated", "{\"a\":}", "{,}", "]",
	};
	size_t n = 100 * 1024;
	char *big = malloc(n + 1);
	struct jdoc d;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = jdoc_parse(bad[i], &d);

		ok(err == -EINVAL && !d.n && !d.e, "refused and freed: bad answer %zu", i);
	}
	if (!big)
		return;
	memset(big, '[', n);
	big[n] = 0;
	is_int(jdoc_parse(big, &d), -EINVAL, "100 KB of '[': too deep, refused");
	for (size_t i = 0; i < n; i++)
		big[i] = "\xff\x01\"\\"[i % 4];
	is_int(jdoc_parse(big, &d), -EINVAL, "100 KB of junk refused");
	memset(big, 'a', n);
	memcpy(big, "{\"k\":\"", 6);
	memcpy(big + n - 2, "\"}", 2);
	is_int(jdoc_parse(big, &d), 0, "a 100 KB string parses");
	is_int(strlen(jdoc_get(&d, "k")), n - 8, "whole");
	jdoc_free(&d);
	free(big);
}

/* A daemon's answer must not make turnctl loop over indices that are not there. */
static void counts(void)
{
	struct jdoc d;

	is_int(jdoc_parse("{\"allocations\":{\"99999999999\":1}}", &d), 0, "object with a huge key");
	is_int(jdoc_count(&d, "allocations"), 0, "its key is no index: count 0");
	jdoc_free(&d);
	is_int(jdoc_parse("{\"allocations\":{\"x\":1,\"1y\":2}}", &d), 0, "object, other keys");
	is_int(jdoc_count(&d, "allocations"), 0, "non-numeric keys are no index");
	jdoc_free(&d);
	is_int(jdoc_parse("{\"a\":[1,[2,3],{\"b\":4}]}", &d), 0, "nested array");
	is_int(jdoc_count(&d, "a"), 3, "three elements, whatever they hold");
	jdoc_free(&d);
}

int main(void)
{
	valid();
	counts();
	hostile();
	return done_testing();
}
