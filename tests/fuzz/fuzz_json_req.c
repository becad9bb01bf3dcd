/* fuzz_json_req.c - libFuzzer harness: any bytes as a control request, parsed and checked. */
/*
 * Build and run from the repo root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Idaemon
 *	tests/fuzz/fuzz_json_req.c daemon/json_req.c -o fuzz_json_req
 *   mkdir -p /tmp/corpus_req && printf '{"cmd":"kill","user":"\\u00e9","id":7}' \
 *	> /tmp/corpus_req/one && ./fuzz_json_req -max_total_time=60 /tmp/corpus_req
 *
 * Checks, abort() on a violation: the result is 0, -EINVAL, -E2BIG or -ERANGE; an error
 * comes with a reason; a success has at most JSON_REQ_MAX_FIELDS members with distinct,
 * NUL-terminated keys and strings within the limits, and no NUL byte was in the input.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_req r;
	int err = json_req_parse((const char *)data, size, &r);

	if (err && err != -EINVAL && err != -E2BIG && err != -ERANGE)
		abort();
	if (err) {
		if (!r.why || !*r.why)
			abort();
		return 0;
	}
	if (r.n < 0 || r.n > JSON_REQ_MAX_FIELDS || memchr(data, 0, size))
		abort();
	for (int i = 0; i < r.n; i++) {
		if (strnlen(r.f[i].key, JSON_REQ_MAX_KEY + 1) > JSON_REQ_MAX_KEY ||
		    strnlen(r.f[i].str, JSON_REQ_MAX_STR + 1) > JSON_REQ_MAX_STR)
			abort();
		for (int j = 0; j < i; j++)
			if (!strcmp(r.f[i].key, r.f[j].key))
				abort();
	}
	return 0;
}
