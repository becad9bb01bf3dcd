/* json_req.h - strict parser of control requests: flat JSON objects of strings and integers. */
#ifndef TURND_JSON_REQ_H
#define TURND_JSON_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_REQ_MAX_FIELDS 8		/* more members: -E2BIG */
#define JSON_REQ_MAX_KEY 32		/* key bytes, NUL excluded; longer: -E2BIG */
#define JSON_REQ_MAX_STR 1024		/* decoded string bytes, NUL excluded; longer: -E2BIG */

struct json_field {
	char key[JSON_REQ_MAX_KEY + 1];
	bool is_int;
	int64_t num;				/* is_int */
	char str[JSON_REQ_MAX_STR + 1];		/* !is_int: decoded UTF-8, NUL-terminated */
};

struct json_req {
	struct json_field f[JSON_REQ_MAX_FIELDS];
	int n;
	const char *why;			/* after an error: a static description */
};

/*
 * Parse buf[0..len) as one JSON object whose members are strings or integers, followed by
 * optional whitespace (a trailing "\n" included) and nothing else. Refused: nesting, arrays,
 * true/false/null, fractions and exponents, integers outside int64, duplicate keys, NUL bytes
 * anywhere, raw control bytes and "\u0000" in strings, lone surrogates, bad escapes.
 * Returns 0, -EINVAL (malformed), -E2BIG (too many members, key or string too long) or
 * -ERANGE (integer overflow); r->why says why.
 */
int json_req_parse(const char *buf, size_t len, struct json_req *r);

/* The string member key, or NULL (absent or not a string). */
const char *json_req_str(const struct json_req *r, const char *key);
/* The integer member key into *out: 0, -ENOENT (absent) or -EINVAL (not an integer). */
int json_req_int(const struct json_req *r, const char *key, int64_t *out);
/* Whether key is present (any type). */
bool json_req_has(const struct json_req *r, const char *key);

#endif
