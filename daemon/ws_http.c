/* ws_http.c - I/O-free HTTP/1.1 request-head parser, WebSocket upgrade check, response heads. */
#include "ws_http.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* Headers that may appear once; a second one is refused. */
enum { SEEN_HOST = 1, SEEN_ORIGIN = 2, SEEN_KEY = 4, SEEN_VERSION = 8, SEEN_CLEN = 16 };

static int fail(struct http_req *r, int status, const char *why)
{
	r->status = status;
	r->why = why;
	return status == 414 || status == 431 ? -E2BIG : -EINVAL;
}

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool all_tchar(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* Visible ASCII only (no space, no obs-text). */
static bool all_vchar(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7E)
			return false;
	return true;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* The version is "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3); only major 1 is spoken. */
static int request_version(const char *v, size_t n, struct http_req *r)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) || !all_digits(v + 5, 1) || v[6] != '.' ||
	    !all_digits(v + 7, 1))
		return fail(r, 400, "malformed HTTP version");
	if (v[5] != '1')
		return fail(r, 505, "HTTP version not supported");
	r->minor = v[7] - '0';
	return 0;
}

/* method SP request-target SP HTTP-version, single spaces, target in origin-form. */
static int request_line(const char *s, size_t n, struct http_req *r)
{
	const char *sp1 = memchr(s, ' ', n), *sp2, *t, *q;
	size_t mlen, tlen;
	int err;

	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(s + n - sp1 - 1)) : NULL;
	if (!sp2 || memchr(sp2 + 1, ' ', (size_t)(s + n - sp2 - 1)))
		return fail(r, 400, "malformed request line");
	err = request_version(sp2 + 1, (size_t)(s + n - sp2 - 1), r);
	if (err)
		return err;
	mlen = (size_t)(sp1 - s);
	if (mlen >= sizeof(r->method) || !all_tchar(s, mlen))
		return fail(r, 400, "malformed method");
	t = sp1 + 1;
	tlen = (size_t)(sp2 - t);
	if (tlen > HTTP_MAX_PATH)
		return fail(r, 414, "request-target too long");
	if (!tlen || t[0] != '/' || !all_vchar(t, tlen) || memchr(t, '#', tlen))
		return fail(r, 400, "request-target not in origin-form");
	memcpy(r->method, s, mlen);
	q = memchr(t, '?', tlen);
	memcpy(r->path, t, q ? (size_t)(q - t) : tlen);
	return 0;
}

/* Whether the comma-separated list v[0..n) has the token tok (any case, OWS around items). */
static bool list_has(const char *v, size_t n, const char *tok)
{
	size_t tl = strlen(tok), i = 0;

	while (i < n) {
		size_t a = i, b;

		while (i < n && v[i] != ',')
			i++;
		b = i++;
		while (a < b && (v[a] == ' ' || v[a] == '\t'))
			a++;
		while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
			b--;
		if (b - a == tl && !strncasecmp(v + a, tok, tl))
			return true;
	}
	return false;
}

/* The 24-character base64 of 16 bytes: 21 free characters, one with 2 bits, then "==". */
static bool key_ok(const char *v, size_t n)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" "abcdefghijklmnopqrstuvwxyz"
				  "0123456789+/";

	if (n != WS_KEY_LEN || v[22] != '=' || v[23] != '=' || !v[21] || !strchr("AQgw", v[21]))
		return false;
	for (size_t i = 0; i < 21; i++)
		if (!v[i] || !strchr(b64, v[i]))
			return false;
	return true;
}

static int h_host(struct http_req *r, const char *v, size_t n)
{
	if (n > HTTP_MAX_HOST || !all_vchar(v, n))
		return fail(r, 400, "Host too long or not visible ASCII");
	memcpy(r->host, v, n);
	return 0;
}

static int h_origin(struct http_req *r, const char *v, size_t n)
{
	if (n > HTTP_MAX_ORIGIN || !all_vchar(v, n))
		return fail(r, 400, "Origin too long or not visible ASCII");
	memcpy(r->origin, v, n);
	return 0;
}

static int h_key(struct http_req *r, const char *v, size_t n)
{
	if (key_ok(v, n))
		memcpy(r->ws_key, v, n);
	else
		r->ws_key_bad = true;
	return 0;
}

/* 1-3 digits (the registry's range is 0-255); anything else is -1. */
static int h_version(struct http_req *r, const char *v, size_t n)
{
	r->ws_version = -1;
	if (n <= 3 && all_digits(v, n)) {
		r->ws_version = 0;
		for (size_t i = 0; i < n; i++)
			r->ws_version = r->ws_version * 10 + (v[i] - '0');
	}
	return 0;
}

static int h_upgrade(struct http_req *r, const char *v, size_t n)
{
	r->upgrade_websocket |= list_has(v, n, "websocket");
	return 0;
}

static int h_connection(struct http_req *r, const char *v, size_t n)
{
	r->connection_upgrade |= list_has(v, n, "upgrade");
	return 0;
}

static int h_clen(struct http_req *r, const char *v, size_t n)
{
	if (!all_digits(v, n))
		return fail(r, 400, "malformed Content-Length");
	for (size_t i = 0; i < n; i++)
		r->has_body |= v[i] != '0';
	return 0;
}

static int h_te(struct http_req *r, const char *v, size_t n)
{
	(void)v;
	(void)n;
	r->has_body = true;
	return 0;
}

static const struct hdr_rule {
	const char *name;
	unsigned once;		/* SEEN_* bit when a duplicate is refused, else 0 */
	const char *dup_why;
	int (*fn)(struct http_req *r, const char *v, size_t n);
} hdr_rules[] = {
	{ "Host", SEEN_HOST, "duplicate Host", h_host },
	{ "Origin", SEEN_ORIGIN, "duplicate Origin", h_origin },
	{ "Sec-WebSocket-Key", SEEN_KEY, "duplicate Sec-WebSocket-Key", h_key },
	{ "Sec-WebSocket-Version", SEEN_VERSION, "duplicate Sec-WebSocket-Version", h_version },
	{ "Upgrade", 0, NULL, h_upgrade },
	{ "Connection", 0, NULL, h_connection },
	{ "Content-Length", SEEN_CLEN, "duplicate Content-Length", h_clen },
	{ "Transfer-Encoding", 0, NULL, h_te },
};

/* field-name ":" OWS field-value OWS; the name a token with no space before the colon. */
static int header_line(const char *s, size_t n, unsigned *seen, struct http_req *r)
{
	const char *colon = memchr(s, ':', n), *v;
	size_t nlen, vlen;

	if (s[0] == ' ' || s[0] == '\t')
		return fail(r, 400, "obsolete line folding");
	if (!colon || !all_tchar(s, (size_t)(colon - s)))
		return fail(r, 400, "malformed header line");
	nlen = (size_t)(colon - s);
	v = colon + 1;
	vlen = (size_t)(s + n - v);
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (size_t i = 0; i < sizeof(hdr_rules) / sizeof(hdr_rules[0]); i++) {
		const struct hdr_rule *h = &hdr_rules[i];

		if (strlen(h->name) != nlen || strncasecmp(h->name, s, nlen))
			continue;
		if (*seen & h->once)
			return fail(r, 400, h->dup_why);
		*seen |= h->once;
		return h->fn(r, v, vlen);
	}
	return 0;
}

/*
 * Find the CRLF ending the line that starts at pos, checking each byte on the way: sets *eol
 * to its CR. Returns 1 when found, 0 when lim comes first, or an error (bare CR or LF, a
 * control byte). A bad byte is refused as soon as it arrives, before the line is complete.
 */
static int scan_line(const char *buf, size_t pos, size_t lim, size_t *eol, struct http_req *r)
{
	for (size_t i = pos; i < lim; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\r') {
			if (i + 1 == lim)
				return 0;
			if (buf[i + 1] != '\n')
				return fail(r, 400, "bare CR in the request head");
			*eol = i;
			return 1;
		}
		if (c == '\n')
			return fail(r, 400, "bare LF in the request head");
		if ((c < 0x20 && c != '\t') || c == 0x7F)
			return fail(r, 400, "control byte in the request head");
	}
	return 0;
}

/*
 * Lines are checked in order as they complete, so the first error in the byte stream is the
 * one reported whether the head arrives whole or one byte at a time.
 */
int http_parse(const char *buf, size_t len, struct http_req *r)
{
	size_t lim = len < HTTP_MAX_HEAD ? len : HTTP_MAX_HEAD, pos = 0, eol = 0;
	unsigned seen = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	r->ws_version = -1;
	for (;;) {
		rc = scan_line(buf, pos, lim, &eol, r);
		if (rc < 0)
			return rc;
		if (!rc)
			return len >= HTTP_MAX_HEAD ? fail(r, 431, "request head too long") : 0;
		if (eol == pos)
			return pos ? (int)(eol + 2) : fail(r, 400, "empty request line");
		if (pos)
			rc = header_line(buf + pos, eol - pos, &seen, r);
		else
			rc = request_line(buf, eol, r);
		if (rc)
			return rc;
		pos = eol + 2;
	}
}

/* A request without Origin is not from a browser (which always sends one): not refused. */
static bool origin_allowed(const char *origin, const char *const *origins, size_t n)
{
	if (!n || !origin[0])
		return true;
	for (size_t i = 0; i < n; i++)
		if (origins[i] && origin[0] && !strcasecmp(origin, origins[i]))
			return true;
	return false;
}

/* The first failed rule of RFC 6455 4.2.1, in the order of that section. */
static int ws_check_why(const struct http_req *r, const char *const *origins, size_t n,
			const char **why)
{
	if (strcmp(r->method, "GET"))
		return *why = "method not GET", 405;
	if (r->minor < 1)
		return *why = "WebSocket needs HTTP/1.1 or later", 400;
	if (!r->host[0])
		return *why = "missing Host", 400;
	if (!r->upgrade_websocket)
		return *why = "missing Upgrade: websocket", 400;
	if (!r->connection_upgrade)
		return *why = "missing Connection: upgrade", 400;
	if (r->ws_key_bad)
		return *why = "malformed Sec-WebSocket-Key", 400;
	if (!r->ws_key[0])
		return *why = "missing Sec-WebSocket-Key", 400;
	if (r->has_body)
		return *why = "upgrade request with a body", 400;
	if (r->ws_version != 13)
		return *why = "Sec-WebSocket-Version is not 13", 426;
	if (!origin_allowed(r->origin, origins, n))
		return *why = "origin not allowed", 403;
	return *why = NULL, 0;
}

/* A missing Origin fails a non-empty allow-list: only non-browser clients omit it. */
int http_ws_check(const struct http_req *r, const char *const *origins, size_t n, const char **why)
{
	const char *w = NULL;
	int status = ws_check_why(r, origins, n, &w);

	if (why)
		*why = w;
	return status;
}

/* The key is the 24 characters http_parse accepted; longer input is cut at WS_KEY_LEN. */
void ws_accept(const char *key, char out[WS_ACCEPT_LEN + 1])
{
	char in[WS_KEY_LEN + sizeof(WS_GUID)];
	unsigned char md[SHA_DIGEST_LENGTH];
	size_t klen = strnlen(key, WS_KEY_LEN);

	memcpy(in, key, klen);
	memcpy(in + klen, WS_GUID, sizeof(WS_GUID) - 1);
	SHA1((const unsigned char *)in, klen + sizeof(WS_GUID) - 1, md);
	EVP_EncodeBlock((unsigned char *)out, md, SHA_DIGEST_LENGTH);
}

/* snprintf's result as a length, 0 when it did not fit. */
static size_t fit(int n, size_t cap)
{
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

/* A header value we write must not smuggle a line break or any control byte. */
static bool value_safe(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7F)
			return false;
	return true;
}

size_t http_build_101(char *out, size_t cap, const char *accept)
{
	if (!accept || !value_safe(accept))
		return 0;
	return fit(snprintf(out, cap,
			    "HTTP/1.1 101 Switching Protocols\r\n"
			    "Upgrade: websocket\r\n"
			    "Connection: Upgrade\r\n"
			    "Sec-WebSocket-Accept: %s\r\n\r\n", accept), cap);
}

/* A status outside 100-599 is answered as 500; control bytes in why become '?'. */
size_t http_build_error(char *out, size_t cap, int status, const char *why)
{
	char safe[192] = "", body[256];
	const char *extra = "";
	size_t i;

	if (status < 100 || status > 599)
		status = 500;
	if (status == 426)
		extra = "Sec-WebSocket-Version: 13\r\n";
	else if (status == 405)
		extra = "Allow: GET\r\n";
	for (i = 0; why && why[i] && i < sizeof(safe) - 1; i++)
		safe[i] = (unsigned char)why[i] < 0x20 || why[i] == 0x7F ? '?' : why[i];
	safe[i] = 0;
	snprintf(body, sizeof(body), "%d %s%s%s\n", status, http_reason(status), i ? ": " : "",
		 safe);
	return fit(snprintf(out, cap,
			    "HTTP/1.1 %d %s\r\n"
			    "Content-Type: text/plain; charset=utf-8\r\n"
			    "Content-Length: %zu\r\n"
			    "Cache-Control: no-store\r\n"
			    "X-Content-Type-Options: nosniff\r\n"
			    "%s"
			    "Connection: close\r\n\r\n%s",
			    status, http_reason(status), strlen(body), extra, body), cap);
}

size_t http_build_ok_head(char *out, size_t cap, const char *content_type, size_t body_len)
{
	if (!content_type || !value_safe(content_type))
		return 0;
	return fit(snprintf(out, cap,
			    "HTTP/1.1 200 OK\r\n"
			    "Content-Type: %s\r\n"
			    "Content-Length: %zu\r\n"
			    "Cache-Control: no-store\r\n"
			    "X-Content-Type-Options: nosniff\r\n"
			    "Connection: close\r\n\r\n", content_type, body_len), cap);
}

const char *http_reason(int status)
{
	static const struct {
		int status;
		const char *reason;
	} reasons[] = {
		{ 101, "Switching Protocols" }, { 200, "OK" }, { 204, "No Content" },
		{ 301, "Moved Permanently" }, { 304, "Not Modified" }, { 400, "Bad Request" },
		{ 403, "Forbidden" }, { 404, "Not Found" }, { 405, "Method Not Allowed" },
		{ 408, "Request Timeout" }, { 413, "Content Too Large" },
		{ 414, "URI Too Long" }, { 426, "Upgrade Required" }, { 429, "Too Many Requests" },
		{ 431, "Request Header Fields Too Large" }, { 500, "Internal Server Error" },
		{ 501, "Not Implemented" }, { 503, "Service Unavailable" },
		{ 505, "HTTP Version Not Supported" },
	};

	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Error";
}
