/* test_ws_http.c - request heads, WebSocket upgrade checks and response heads, hostile bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "ws_http.h"

#define HOST "Host: relay.example:443\r\n"
#define UPG "Upgrade: websocket\r\n"
#define CONN "Connection: Upgrade\r\n"
#define KEY "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define VER "Sec-WebSocket-Version: 13\r\n"
#define ORIG "Origin: https://app.example\r\n"
#define GET "GET /ws HTTP/1.1\r\n"
#define ALL HOST UPG CONN KEY VER ORIG
#define REQ(line, hdrs) line hdrs "\r\n"

static const char *const allow[] = { "https://other.example", "HTTPS://APP.EXAMPLE" };

static int parse(const char *s, struct http_req *r)
{
	return http_parse(s, strlen(s), r);
}

static void valid(void)
{
	static const char req[] = "GET /ws?room=abc&x=1 HTTP/1.1\r\n"
				  "Host: relay.example:443\r\n"
				  "Upgrade: websocket\r\n"
				  "Connection: keep-alive, Upgrade\r\n"
				  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				  "Origin: https://app.example\r\n"
				  "Sec-WebSocket-Version: 13\r\n"
				  "User-Agent: caf\xC3\xA9\tbrowser\r\n"
				  "\r\n"
				  "\x81\x85 trailing frame bytes";
	struct http_req r;
	const char *why = "unset";
	size_t head = strstr(req, "\r\n\r\n") + 4 - req;

	is_int(http_parse(req, sizeof(req) - 1, &r), head, "a browser's upgrade: its head length");
	ok(!strcmp(r.method, "GET"), "method GET");
	ok(!strcmp(r.path, "/ws"), "path /ws, query cut off");
	is_int(r.minor, 1, "HTTP/1.1");
	ok(!strcmp(r.host, "relay.example:443"), "host");
	ok(!strcmp(r.origin, "https://app.example"), "origin");
	ok(!strcmp(r.ws_key, "dGhlIHNhbXBsZSBub25jZQ=="), "key");
	ok(!r.ws_key_bad, "key not bad");
	is_int(r.ws_version, 13, "version 13");
	ok(r.upgrade_websocket && r.connection_upgrade, "upgrade and connection tokens found");
	ok(!r.has_body, "no body");
	is_int(http_ws_check(&r, allow, 2, &why), 0, "accepted with an allow-list (any case)");
	ok(why == NULL, "no why on success");
	is_int(http_ws_check(&r, NULL, 0, &why), 0, "accepted with no allow-list");

	is_int(parse("GET / HTTP/1.1\r\n"
		     "host:    a.example \t \r\n"
		     "UPGRADE: WebSocket\r\n"
		     "connection: upgrade,keep-alive\r\n"
		     "SEC-WEBSOCKET-KEY:dGhlIHNhbXBsZSBub25jZQ==\r\n"
		     "sec-websocket-version:13\r\n"
		     "Content-Length: 000\r\n"
		     "X-Empty:\r\n\r\n", &r) > 0, 1, "names in any case, odd spacing");
	ok(!strcmp(r.host, "a.example"), "value trimmed of spaces and tabs");
	ok(!strcmp(r.path, "/"), "path /");
	is_int(http_ws_check(&r, NULL, 0, &why), 0, "accepted (Content-Length 0 is no body)");

	is_int(parse("GET /x HTTP/1.0\r\n\r\n", &r), 19, "HTTP/1.0 parses");
	is_int(r.minor, 0, "minor 0");
	ok(!r.host[0] && !r.origin[0] && !r.ws_key[0] && r.ws_version == -1, "absent headers");
	is_int(parse("GET /x HTTP/1.9\r\n\r\n", &r), 19, "HTTP/1.9 parses");
	is_int(r.minor, 9, "minor 9");
}

struct bad {
	const char *desc;
	const char *in;
	int err, status;
};

static const struct bad bads[] = {
	{ "HTTP/2.0", REQ("GET / HTTP/2.0\r\n", ALL), -EINVAL, 505 },
	{ "HTTP/0.9", REQ("GET / HTTP/0.9\r\n", ALL), -EINVAL, 505 },
	{ "HTTP/2 prior knowledge", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", -EINVAL, 505 },
	{ "lowercase http/1.1", REQ("GET / http/1.1\r\n", ALL), -EINVAL, 400 },
	{ "HTTP/1.", REQ("GET / HTTP/1.\r\n", ALL), -EINVAL, 400 },
	{ "HTTP/1.10", REQ("GET / HTTP/1.10\r\n", ALL), -EINVAL, 400 },
	{ "HTTP/11.1", REQ("GET / HTTP/11.1\r\n", ALL), -EINVAL, 400 },
	{ "no version", REQ("GET /\r\n", ALL), -EINVAL, 400 },
	{ "method only", REQ("GET\r\n", ALL), -EINVAL, 400 },
	{ "double space", REQ("GET  / HTTP/1.1\r\n", ALL), -EINVAL, 400 },
	{ "trailing space", REQ("GET / HTTP/1.1 \r\n", ALL), -EINVAL, 400 },
	{ "leading space", REQ(" GET / HTTP/1.1\r\n", ALL), -EINVAL, 400 },
	{ "tab as separator", REQ("GET\t/ HTTP/1.1\r\n", ALL), -EINVAL, 400 },
	{ "method with @", REQ("G@T / HTTP/1.1\r\n", ALL), -EINVAL, 400 },
	{ "16-character method", REQ("ABCDEFGHIJKLMNOP / HTTP/1.1\r\n", ALL), -EINVAL, 400 },
	{ "target not starting with /", REQ("GET ws HTTP/1.1\r\n", ALL), -EINVAL, 400 },
	{ "absolute-form target", REQ("GET http://a/ HTTP/1.1\r\n", ALL), -EINVAL, 400 },
	{ "asterisk target", REQ("OPTIONS * HTTP/1.1\r\n", ALL), -EINVAL, 400 },
	{ "fragment in the target", REQ("GET /a#b HTTP/1.1\r\n", ALL), -EINVAL, 400 },
	{ "UTF-8 in the target", REQ("GET /caf\xC3\xA9 HTTP/1.1\r\n", ALL), -EINVAL, 400 },
	{ "tab in the target", REQ("GET /a\tb HTTP/1.1\r\n", ALL), -EINVAL, 400 },
	{ "empty request line", "\r\n" GET ALL "\r\n", -EINVAL, 400 },
	{ "space before the colon", REQ(GET, "Host : a\r\n" UPG), -EINVAL, 400 },
	{ "empty header name", REQ(GET, ": a\r\n"), -EINVAL, 400 },
	{ "header line without a colon", REQ(GET, HOST "Upgrade websocket\r\n"), -EINVAL, 400 },
	{ "header name with a slash", REQ(GET, "X/Y: 1\r\n"), -EINVAL, 400 },
	{ "header name with UTF-8", REQ(GET, "X-\xC3\xA9: 1\r\n"), -EINVAL, 400 },
	{ "obs-fold with a space", REQ(GET, HOST "X-A: 1\r\n 2\r\n"), -EINVAL, 400 },
	{ "obs-fold with a tab", REQ(GET, UPG "\tkeep-alive\r\n"), -EINVAL, 400 },
	{ "duplicate Host", REQ(GET, HOST UPG CONN KEY VER HOST), -EINVAL, 400 },
	{ "duplicate Host, other case", REQ(GET, HOST "hOsT: b\r\n"), -EINVAL, 400 },
	{ "duplicate key", REQ(GET, ALL KEY), -EINVAL, 400 },
	{ "duplicate key, second one bad", REQ(GET, ALL "Sec-WebSocket-Key: x\r\n"), -EINVAL, 400 },
	{ "duplicate version", REQ(GET, ALL VER), -EINVAL, 400 },
	{ "duplicate version 13 then 8", REQ(GET, ALL "Sec-WebSocket-Version: 8\r\n"), -EINVAL,
	  400 },
	{ "duplicate Origin", REQ(GET, ALL "Origin: https://evil.example\r\n"), -EINVAL, 400 },
	{ "duplicate Content-Length", REQ(GET, "Content-Length: 0\r\nContent-Length: 0\r\n"),
	  -EINVAL, 400 },
	{ "Content-Length not a number", REQ(GET, "Content-Length: 1a\r\n"), -EINVAL, 400 },
	{ "Content-Length negative", REQ(GET, "Content-Length: -1\r\n"), -EINVAL, 400 },
	{ "Content-Length empty", REQ(GET, "Content-Length:\r\n"), -EINVAL, 400 },
	{ "Host of 257 characters", REQ(GET, "Host: "
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaa\r\n"), -EINVAL, 400 },
	{ "Host with a space inside", REQ(GET, "Host: a b\r\n"), -EINVAL, 400 },
	{ "Host with UTF-8", REQ(GET, "Host: caf\xC3\xA9\r\n"), -EINVAL, 400 },
	{ "Origin with UTF-8", REQ(GET, "Origin: https://caf\xC3\xA9\r\n"), -EINVAL, 400 },
	{ "NUL in the request line", REQ("GET /\0 HTTP/1.1\r\n", ALL), -EINVAL, 400 },
	{ "NUL in a header value", REQ(GET, HOST "X-A: a\0b\r\n"), -EINVAL, 400 },
	{ "NUL in a header name", REQ(GET, "X\0A: 1\r\n"), -EINVAL, 400 },
	{ "SOH in a value", REQ(GET, "X-A: \x01\r\n"), -EINVAL, 400 },
	{ "ESC in a value", REQ(GET, "X-A: \x1b[31m\r\n"), -EINVAL, 400 },
	{ "DEL in a value", REQ(GET, "X-A: \x7f\r\n"), -EINVAL, 400 },
	{ "vertical tab in a value", REQ(GET, "X-A: a\vb\r\n"), -EINVAL, 400 },
	{ "bare LF ending the request line", "GET / HTTP/1.1\n" ALL "\r\n", -EINVAL, 400 },
	{ "bare LF ending a header", REQ(GET, "Host: a\n"), -EINVAL, 400 },
	{ "LF LF ending the head", GET HOST "\n\n", -EINVAL, 400 },
	{ "bare CR in a value", REQ(GET, "X-A: a\rb\r\n"), -EINVAL, 400 },
	{ "CR CR LF", REQ(GET, "X-A: a\r\r\n"), -EINVAL, 400 },
	{ "CRLF injection attempt in the target", "GET /a\rHost: x HTTP/1.1\r\n\r\n", -EINVAL,
	  400 },
};

/* Cases whose reason must name the rule that refused them. */
static const struct {
	const char *desc, *word;
} bad_words[] = {
	{ "HTTP/2.0", "version" },
	{ "obs-fold with a space", "folding" },
	{ "obs-fold with a tab", "folding" },
	{ "duplicate Host", "duplicate" },
	{ "duplicate Host, other case", "duplicate" },
	{ "duplicate key", "duplicate" },
	{ "duplicate version", "duplicate" },
	{ "NUL in a header value", "control" },
	{ "bare LF ending a header", "LF" },
	{ "bare CR in a value", "CR" },
	{ "16-character method", "method" },
	{ "duplicate Origin", "duplicate" },
};

static const char *bad_word(const char *desc)
{
	for (size_t i = 0; i < sizeof(bad_words) / sizeof(bad_words[0]); i++)
		if (!strcmp(bad_words[i].desc, desc))
			return bad_words[i].word;
	return "";
}

/* A request line with a target of n characters: "/" then 'a's. */
static char *long_target(size_t n)
{
	char *s = malloc(n + 64);

	strcpy(s, "GET /");
	memset(s + 5, 'a', n - 1);
	strcpy(s + 4 + n, " HTTP/1.1\r\n" "Host: x\r\n\r\n");
	return s;
}

/* A head of exactly n bytes (n >= 40): request line, one padding header, blank line. */
static char *sized_head(size_t n)
{
	char *s = malloc(n + 1);
	size_t pre = strlen("GET / HTTP/1.1\r\nX-Pad: ");

	memcpy(s, "GET / HTTP/1.1\r\nX-Pad: ", pre);
	memset(s + pre, 'p', n - pre - 4);
	memcpy(s + n - 4, "\r\n\r\n", 5);
	return s;
}

/* Feed s[0..n) growing one byte at a time: 0 until the whole-input result, then that result. */
static bool torn_same(const char *s, size_t n)
{
	struct http_req whole, part;
	int want = http_parse(s, n, &whole), got = 0;
	size_t k;

	for (k = 0; k <= n && !got; k++) {
		char *b = malloc(k ? k : 1);

		memcpy(b, s, k);
		got = http_parse(b, k, &part);
		free(b);
	}
	if (got != want || (got < 0 && part.status != whole.status))
		return false;
	/* Whatever comes after a decided head changes nothing. */
	return want <= 0 || (size_t)want == k - 1;
}

static void hostile(void)
{
	struct http_req r;
	char *s;

	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		size_t n = strlen(b->in);

		/* The NUL cases continue past their NUL: find the real end. */
		if (strstr(b->desc, "NUL"))
			n += strlen(b->in + n + 1) + 1;
		is_int(http_parse(b->in, n, &r), b->err, "%s: refused", b->desc);
		is_int(r.status, b->status, "%s: status %d", b->desc, b->status);
		ok(r.why && *r.why && strstr(r.why, bad_word(b->desc)), "%s: with a reason (%s)",
		   b->desc, r.why ? r.why : "");
		ok(torn_same(b->in, n), "%s: same result fed byte by byte", b->desc);
	}

	s = long_target(HTTP_MAX_PATH);
	ok(parse(s, &r) > 0 && strlen(r.path) == HTTP_MAX_PATH, "a 256-character target parses");
	free(s);
	s = long_target(HTTP_MAX_PATH + 1);
	is_int(parse(s, &r), -E2BIG, "a 257-character target is refused");
	is_int(r.status, 414, "with 414");
	ok(torn_same(s, strlen(s)), "414 the same fed byte by byte");
	free(s);
	s = long_target(5000);
	is_int(parse(s, &r), -E2BIG, "a 5000-character target: -E2BIG");
	is_int(r.status, 414, "with 414");
	free(s);

	s = sized_head(HTTP_MAX_HEAD);
	is_int(parse(s, &r), HTTP_MAX_HEAD, "a head of exactly HTTP_MAX_HEAD bytes parses");
	free(s);
	s = sized_head(HTTP_MAX_HEAD + 1);
	is_int(parse(s, &r), -E2BIG, "a head one byte longer is refused");
	is_int(r.status, 431, "with 431");
	ok(torn_same(s, strlen(s)), "431 the same fed byte by byte");
	s[HTTP_MAX_HEAD - 3] = 0;
	is_int(parse(s, &r), 0, "8189 bytes without the blank line: need more");
	s[1] = '@';
	is_int(http_parse(s, HTTP_MAX_HEAD - 3, &r), -EINVAL, "a bad method: seen before the end");
	free(s);
	s = malloc(20000);
	memset(s, 'x', 20000);
	memcpy(s, "GET / HTTP/1.1\r\n", 16);
	for (size_t i = 16; i + 10 <= 20000; i += 10)
		memcpy(s + i, "X-A: 123\r\n", 10);
	is_int(http_parse(s, 20000, &r), -E2BIG, "20000 bytes of headers and no end: -E2BIG");
	is_int(r.status, 431, "with 431");
	is_int(http_parse(s, HTTP_MAX_HEAD, &r), -E2BIG, "HTTP_MAX_HEAD bytes and no end: 431");
	is_int(http_parse(s, HTTP_MAX_HEAD - 1, &r), 0, "one byte fewer: still need more");
	free(s);

	is_int(http_parse("", 0, &r), 0, "empty input: need more");
	is_int(parse("GET / HTTP/1.1\r", &r), 0, "a CR at the end: need more");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\n", &r), 0, "no blank line: need more");
	is_int(parse("GET / HTTP/1.1\r\nHost: a\r\n\r", &r), 0, "half a blank line: need more");
}

/* A valid request and its torn copies: the head length only once the blank line is complete. */
static void torn(void)
{
	static const char req[] = REQ(GET, ALL);
	int first = -1;

	for (size_t k = 0; k <= sizeof(req) - 1; k++) {
		struct http_req r;
		char *b = malloc(k ? k : 1);
		int rc;

		memcpy(b, req, k);
		rc = http_parse(b, k, &r);
		free(b);
		if (rc && first < 0)
			first = (int)k;
		if (rc != (k == sizeof(req) - 1 ? (int)k : 0)) {
			ok(0, "prefix of %zu bytes gave %d", k, rc);
			return;
		}
	}
	is_int(first, sizeof(req) - 1, "a torn head: 0 for every prefix, its length at the end");
}

struct chk {
	const char *desc;
	const char *in;
	int status;			/* with the allow-list */
	int status_any;			/* without one */
};

static const struct chk checks[] = {
	{ "complete", REQ(GET, ALL), 0, 0 },
	{ "POST", REQ("POST /ws HTTP/1.1\r\n", ALL), 405, 405 },
	{ "lowercase get", REQ("get /ws HTTP/1.1\r\n", ALL), 405, 405 },
	{ "HEAD", REQ("HEAD /ws HTTP/1.1\r\n", ALL), 405, 405 },
	{ "HTTP/1.0", REQ("GET /ws HTTP/1.0\r\n", ALL), 400, 400 },
	{ "missing Host", REQ(GET, UPG CONN KEY VER ORIG), 400, 400 },
	{ "empty Host", REQ(GET, "Host:\r\n" UPG CONN KEY VER ORIG), 400, 400 },
	{ "missing Upgrade", REQ(GET, HOST CONN KEY VER ORIG), 400, 400 },
	{ "Upgrade: h2c", REQ(GET, HOST "Upgrade: h2c\r\n" CONN KEY VER ORIG), 400, 400 },
	{ "Upgrade: websockets", REQ(GET, HOST "Upgrade: websockets\r\n" CONN KEY VER ORIG), 400,
	  400 },
	{ "Upgrade in two headers", REQ(GET, HOST "Upgrade: h2c\r\n" UPG CONN KEY VER ORIG), 0, 0 },
	{ "Connection in two headers", REQ(GET, HOST UPG CONN "Connection: keep-alive\r\n" KEY
					   VER ORIG), 0, 0 },
	{ "spaces around list items", REQ(GET, HOST "Upgrade: h2c ,\twebsocket \t, x\r\n"
					  "Connection: close , Upgrade\t,x\r\n" KEY VER ORIG), 0, 0 },
	{ "missing Connection", REQ(GET, HOST UPG KEY VER ORIG), 400, 400 },
	{ "Connection: keep-alive", REQ(GET, HOST UPG "Connection: keep-alive\r\n" KEY VER ORIG),
	  400, 400 },
	{ "Connection: upgraded", REQ(GET, HOST UPG "Connection: upgraded\r\n" KEY VER ORIG), 400,
	  400 },
	{ "missing key", REQ(GET, HOST UPG CONN VER ORIG), 400, 400 },
	{ "key of 23 characters", REQ(GET, HOST UPG CONN VER ORIG
				      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=\r\n"), 400, 400 },
	{ "key without padding", REQ(GET, HOST UPG CONN VER ORIG
				     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n"), 400, 400 },
	{ "key with a bad character", REQ(GET, HOST UPG CONN VER ORIG
					  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2*jZQ==\r\n"), 400,
	  400 },
	{ "key with stray bits", REQ(GET, HOST UPG CONN VER ORIG
				     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZR==\r\n"), 400, 400 },
	{ "key of 18 bytes", REQ(GET, HOST UPG CONN VER ORIG
				 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZXh4\r\n"), 400, 400 },
	{ "empty key", REQ(GET, HOST UPG CONN VER ORIG "Sec-WebSocket-Key:\r\n"), 400, 400 },
	{ "a body", REQ(GET, ALL "Content-Length: 5\r\n"), 400, 400 },
	{ "chunked", REQ(GET, ALL "Transfer-Encoding: chunked\r\n"), 400, 400 },
	{ "missing version", REQ(GET, HOST UPG CONN KEY ORIG), 426, 426 },
	{ "version 12", REQ(GET, HOST UPG CONN KEY ORIG "Sec-WebSocket-Version: 12\r\n"), 426,
	  426 },
	{ "version 8", REQ(GET, HOST UPG CONN KEY ORIG "Sec-WebSocket-Version: 8\r\n"), 426, 426 },
	{ "version 14", REQ(GET, HOST UPG CONN KEY ORIG "Sec-WebSocket-Version: 14\r\n"), 426,
	  426 },
	{ "version 255", REQ(GET, HOST UPG CONN KEY ORIG "Sec-WebSocket-Version: 255\r\n"), 426,
	  426 },
	{ "version 13x", REQ(GET, HOST UPG CONN KEY ORIG "Sec-WebSocket-Version: 13x\r\n"), 426,
	  426 },
	{ "version 1300", REQ(GET, HOST UPG CONN KEY ORIG "Sec-WebSocket-Version: 1300\r\n"), 426,
	  426 },
	{ "version 13, 8", REQ(GET, HOST UPG CONN KEY ORIG "Sec-WebSocket-Version: 13, 8\r\n"), 426,
	  426 },
	{ "origin not listed", REQ(GET, HOST UPG CONN KEY VER "Origin: https://evil.example\r\n"),
	  403, 0 },
	{ "origin a prefix of a listed one", REQ(GET, HOST UPG CONN KEY VER
						 "Origin: https://app.exampl\r\n"), 403, 0 },
	{ "origin a listed one plus more", REQ(GET, HOST UPG CONN KEY VER
					       "Origin: https://app.example.evil\r\n"), 403, 0 },
	{ "origin null", REQ(GET, HOST UPG CONN KEY VER "Origin: null\r\n"), 403, 0 },
	{ "no origin (not a browser)", REQ(GET, HOST UPG CONN KEY VER), 0, 0 },
	{ "second listed origin", REQ(GET, HOST UPG CONN KEY VER
				      "Origin: https://other.example\r\n"), 0, 0 },
};

static void ws_checks(void)
{
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		const struct chk *c = &checks[i];
		struct http_req r;
		const char *why = NULL;
		int rc = parse(c->in, &r);

		ok(rc > 0, "%s: parses (%d)", c->desc, rc);
		is_int(http_ws_check(&r, allow, 2, &why), c->status, "%s: %d with an allow-list",
		       c->desc, c->status);
		ok(c->status ? why && *why : !why, "%s: why %s", c->desc, why ? why : "NULL");
		is_int(http_ws_check(&r, NULL, 0, NULL), c->status_any,
		       "%s: %d with no allow-list", c->desc, c->status_any);
	}
}

static void accept_key(void)
{
	char out[WS_ACCEPT_LEN + 1];

	memset(out, 'X', sizeof(out));
	ws_accept("dGhlIHNhbXBsZSBub25jZQ==", out);
	ok(!strcmp(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "RFC 6455 1.3 example accept: %s", out);
	ws_accept("x3JJHMbDL1EzLkh9GBhXDw==", out);
	ok(!strcmp(out, "HSmrc0sMlYUkAGmm5OPpG2HaGWk="), "a second key: %s", out);
}

/* The body a response declares in Content-Length is exactly what follows its head. */
static bool length_matches(const char *resp, size_t n)
{
	const char *cl = strstr(resp, "Content-Length: "), *end = strstr(resp, "\r\n\r\n");

	return cl && end && (size_t)atoi(cl + 16) == n - (size_t)(end + 4 - resp);
}

static void responses(void)
{
	static const char want101[] = "HTTP/1.1 101 Switching Protocols\r\n"
				      "Upgrade: websocket\r\n"
				      "Connection: Upgrade\r\n"
				      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
	static const char wantok[] = "HTTP/1.1 200 OK\r\n"
				     "Content-Type: text/html; charset=utf-8\r\n"
				     "Content-Length: 1234\r\n"
				     "Cache-Control: no-store\r\n"
				     "X-Content-Type-Options: nosniff\r\n"
				     "Connection: close\r\n\r\n";
	char out[1024];
	size_t n;

	n = http_build_101(out, sizeof(out), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ok(n == sizeof(want101) - 1 && !strcmp(out, want101), "101 byte for byte");
	is_int(http_build_101(out, sizeof(want101) - 1, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), 0,
	       "101 with no room for the NUL: 0");
	is_int(http_build_101(out, sizeof(want101), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
	       sizeof(want101) - 1, "101 in exactly its room");
	is_int(http_build_101(out, sizeof(out), "a\r\nSet-Cookie: x"), 0, "CRLF in accept: 0");

	n = http_build_ok_head(out, sizeof(out), "text/html; charset=utf-8", 1234);
	ok(n == sizeof(wantok) - 1 && !strcmp(out, wantok), "200 head byte for byte");
	is_int(http_build_ok_head(out, 50, "text/html", 1), 0, "200 head without room: 0");
	is_int(http_build_ok_head(out, sizeof(out), "text/html\r\nX-Evil: 1", 1), 0,
	       "CRLF in the content type: 0");

	n = http_build_error(out, sizeof(out), 426, "Sec-WebSocket-Version is not 13");
	ok(n && !strncmp(out, "HTTP/1.1 426 Upgrade Required\r\n", 31), "426 status line");
	ok(strstr(out, "\r\nSec-WebSocket-Version: 13\r\n") != NULL, "426 names version 13");
	ok(strstr(out, "\r\nConnection: close\r\n") != NULL, "426 closes");
	ok(strstr(out, "\r\n\r\n426 Upgrade Required: Sec-WebSocket-Version is not 13\n"),
	   "426 body names the status and why");
	ok(length_matches(out, n), "426 Content-Length matches its body");
	n = http_build_error(out, sizeof(out), 405, "method not GET");
	ok(n && strstr(out, "\r\nAllow: GET\r\n") && !strstr(out, "Sec-WebSocket-Version"),
	   "405 has Allow: GET and no version");
	ok(length_matches(out, n), "405 Content-Length matches");
	n = http_build_error(out, sizeof(out), 403, "origin\r\nSet-Cookie: a=b");
	ok(n && !strstr(out, "\r\nSet-Cookie") && strstr(out, "origin??Set-Cookie"),
	   "CRLF in why is neutralised");
	ok(!strstr(out, "Allow:") && !strstr(out, "Sec-WebSocket-Version"), "403: neither extra");
	n = http_build_error(out, sizeof(out), 400, NULL);
	ok(n && strstr(out, "\r\n\r\n400 Bad Request\n") && length_matches(out, n),
	   "400 without why");
	n = http_build_error(out, sizeof(out), 42, "odd");
	ok(n && !strncmp(out, "HTTP/1.1 500 Internal Server Error\r\n", 36),
	   "an out-of-range status is answered as 500");
	is_int(http_build_error(out, 60, 431, "request head too long"), 0, "error without room: 0");

	ok(!strcmp(http_reason(400), "Bad Request"), "reason 400");
	ok(!strcmp(http_reason(414), "URI Too Long"), "reason 414");
	ok(!strcmp(http_reason(431), "Request Header Fields Too Large"), "reason 431");
	ok(!strcmp(http_reason(505), "HTTP Version Not Supported"), "reason 505");
	ok(!strcmp(http_reason(299), "Error"), "unknown status: Error");
}

/* Random bytes and mutated requests: the parser always returns a sane result. */
static void noise(void)
{
	static const char base[] = REQ(GET, ALL);
	static const char alphabet[] = "GET /:\r\n \tHab-=0\x01\x80";
	uint32_t x = 0x12345678;
	int insane = 0, torn_differ = 0;
	char s[512];

	for (int i = 0; i < 3000; i++) {
		struct http_req r;
		size_t n = sizeof(base) - 1;
		int rc;

		memcpy(s, base, n);
		for (int k = 0; k < 1 + i % 4; k++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			if (i % 3 == 0)
				s[x % n] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
			else if (i % 3 == 1)
				s[x % n] = (char)(x >> 24);
			else
				n = x % (sizeof(base) - 1);
		}
		rc = http_parse(s, n, &r);
		if (rc > 0)
			insane += (size_t)rc > n || memcmp(s + rc - 4, "\r\n\r\n", 4) ||
				  r.path[0] != '/' || !r.method[0] ||
				  (r.ws_key[0] && strlen(r.ws_key) != WS_KEY_LEN);
		else if (rc < 0)
			insane += (rc != -EINVAL && rc != -E2BIG) || !r.why || r.status < 400;
		if (rc > 0 && http_ws_check(&r, allow, 2, NULL) == 0)
			insane += strcmp(r.method, "GET") || !r.host[0] || r.ws_version != 13;
		if (!torn_same(s, n) && !torn_differ++)
			diag("case %d differs when torn", i);
	}
	is_int(insane, 0, "3000 mutated requests: sane results");
	is_int(torn_differ, 0, "and the same result fed byte by byte");
}

int main(void)
{
	valid();
	hostile();
	torn();
	ws_checks();
	accept_key();
	responses();
	noise();
	return done_testing();
}
