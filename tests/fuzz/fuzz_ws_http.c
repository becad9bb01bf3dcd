/* fuzz_ws_http.c - libFuzzer harness: any bytes as an HTTP request head, upgrade check, replies. */
/*
 * Build and run from the repo root:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Idaemon
 *	tests/fuzz/fuzz_ws_http.c daemon/ws_http.c -o fuzz_ws_http -lcrypto
 *   cp -r tests/fuzz/corpus/ws_http /tmp/corpus_ws_http
 *   ./fuzz_ws_http -max_total_time=60 -max_len=9000 /tmp/corpus_ws_http
 *
 * Checks, abort() on a violation: the result is the head length (<= len and HTTP_MAX_HEAD,
 * ending in a blank line), 0, -EINVAL or -E2BIG; an error has a reason and status 400 or 505
 * (-EINVAL) or 414 or 431 (-E2BIG); a success has NUL-terminated fields within their arrays,
 * a method of token characters, a path starting with '/', a key empty or 24 characters; a
 * shorter prefix that already decides (len - 1, len / 2) decides the same; an accepted
 * upgrade is a GET over HTTP/1.1+ with Host, key and version 13 and gets a 28-character
 * accept; every error status gives a response whose Content-Length matches its body.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_fields(const struct http_req *r)
{
	size_t klen = strnlen(r->ws_key, sizeof(r->ws_key));

	if (strnlen(r->method, sizeof(r->method)) == sizeof(r->method) || !r->method[0] ||
	    strnlen(r->path, sizeof(r->path)) == sizeof(r->path) || r->path[0] != '/' ||
	    strnlen(r->host, sizeof(r->host)) == sizeof(r->host) ||
	    strnlen(r->origin, sizeof(r->origin)) == sizeof(r->origin) ||
	    (klen != 0 && klen != WS_KEY_LEN) || (klen && r->ws_key_bad) ||
	    r->minor < 0 || r->minor > 9 || r->ws_version < -1 || r->ws_version > 999)
		abort();
	for (const char *m = r->method; *m; m++)
		if (*m <= ' ' || *m >= 0x7F || strchr("\"(),/:;<=>?@[\\]{}", *m))
			abort();
}

static void check_result(const char *buf, size_t len, int rc, const struct http_req *r)
{
	if (rc > 0) {
		if ((size_t)rc > len || rc > HTTP_MAX_HEAD || rc < 4 ||
		    memcmp(buf + rc - 4, "\r\n\r\n", 4))
			abort();
		check_fields(r);
	} else if (rc == -EINVAL) {
		if (!r->why || !*r->why || (r->status != 400 && r->status != 505))
			abort();
	} else if (rc == -E2BIG) {
		if (!r->why || !*r->why || (r->status != 414 && r->status != 431))
			abort();
	} else if (rc != 0 || len >= HTTP_MAX_HEAD) {
		abort();
	}
}

/* A prefix gives 0 until the whole input's result is decided, then that same result. */
static void check_prefix(const char *buf, size_t k, int whole, const struct http_req *wr)
{
	struct http_req r;
	int rc = http_parse(buf, k, &r);

	if (whole > 0 && rc != ((size_t)whole <= k ? whole : 0))
		abort();
	if (whole <= 0 && rc && (rc != whole || r.status != wr->status))
		abort();
}

static void check_upgrade(const struct http_req *r)
{
	static const char *const origins[] = { "https://a.example", "http://localhost:8080" };
	char accept[WS_ACCEPT_LEN + 1], out[512];
	const char *why = NULL;
	int st = http_ws_check(r, origins, 2, &why);

	if (st) {
		if (!why || (st != 400 && st != 403 && st != 405 && st != 426))
			abort();
		return;
	}
	if (strcmp(r->method, "GET") || r->minor < 1 || !r->host[0] || !r->ws_key[0] ||
	    r->ws_version != 13 || !r->upgrade_websocket || !r->connection_upgrade)
		abort();
	ws_accept(r->ws_key, accept);
	if (strlen(accept) != WS_ACCEPT_LEN || !http_build_101(out, sizeof(out), accept))
		abort();
}

static void check_error_reply(int status, const char *why)
{
	char out[1024];
	size_t n = http_build_error(out, sizeof(out), status, why);
	const char *cl = strstr(out, "Content-Length: "), *end = strstr(out, "\r\n\r\n");

	if (!n || !cl || !end || (size_t)atoi(cl + 16) != n - (size_t)(end + 4 - out))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	static struct http_req r;
	int rc = http_parse(buf, size, &r);

	check_result(buf, size, rc, &r);
	if (size)
		check_prefix(buf, size - 1, rc, &r);
	check_prefix(buf, size / 2, rc, &r);
	if (rc > 0)
		check_upgrade(&r);
	else if (rc < 0)
		check_error_reply(r.status, r.why);
	return 0;
}
