/* ws_http.h - I/O-free HTTP/1.1 request-head parser, WebSocket upgrade checks and response heads. */
#ifndef TURND_WS_HTTP_H
#define TURND_WS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_MAX_HEAD 8192		/* a longer request head: 431 */
#define HTTP_MAX_PATH 256		/* a longer request-target: 414 */
#define HTTP_MAX_ORIGIN 256
#define HTTP_MAX_HOST 256
#define WS_KEY_LEN 24			/* base64 of 16 bytes */
#define WS_ACCEPT_LEN 28		/* base64 of a SHA-1 */

struct http_req {
	char method[16];
	char path[HTTP_MAX_PATH + 1];		/* request-target, query string cut off */
	int minor;				/* HTTP/1.minor */
	char host[HTTP_MAX_HOST + 1];		/* the Host header, "" if absent */
	char origin[HTTP_MAX_ORIGIN + 1];	/* the Origin header, "" if absent */
	char ws_key[WS_KEY_LEN + 1];		/* Sec-WebSocket-Key, "" if absent or not 24 chars */
	bool ws_key_bad;			/* the key header was present but malformed */
	int ws_version;				/* Sec-WebSocket-Version, -1 if absent or not a number */
	bool upgrade_websocket;			/* Upgrade: lists the token "websocket" (any case) */
	bool connection_upgrade;		/* Connection: lists the token "upgrade" (any case) */
	bool has_body;				/* Content-Length > 0 or Transfer-Encoding present */
	int status;				/* after an error: the HTTP status to answer */
	const char *why;			/* after an error: static text */
};

/*
 * Parse a request head from buf[0..len). Returns the head's length (through the blank line)
 * when complete, 0 when more bytes are needed, or -EINVAL / -E2BIG with r->status and r->why
 * set: 400 malformed request line, header line, bare CR or LF rules, control bytes, duplicate
 * Host, Sec-WebSocket-Key or Sec-WebSocket-Version; 414 path too long; 431 head longer than
 * HTTP_MAX_HEAD (also when len exceeds it with no blank line yet); 505 not HTTP/1.x.
 * Header names are case-insensitive; values are trimmed; obsolete line folding is refused.
 */
int http_parse(const char *buf, size_t len, struct http_req *r);

/*
 * Check a parsed request as a WebSocket upgrade (RFC 6455 4.2.1). origins is a list of n
 * allowed Origin values (exact, case-insensitive match); n == 0 allows any origin. A request
 * without Origin is allowed: browsers always send it, other clients can send anything.
 * Returns 0 (accept) or the status to answer, with *why set: 405 method not GET, 400 not
 * HTTP/1.1 or later, missing Host, missing "Upgrade: websocket" or "Connection: upgrade",
 * missing or malformed key, a body; 426 version not 13; 403 origin not allowed.
 */
int http_ws_check(const struct http_req *r, const char *const *origins, size_t n, const char **why);

/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + GUID)), NUL-terminated. */
void ws_accept(const char *key, char out[WS_ACCEPT_LEN + 1]);

/* "101 Switching Protocols" with the accept value. Returns the length, or 0 if cap is short. */
size_t http_build_101(char *out, size_t cap, const char *accept);

/*
 * An error response with a short text/plain body naming the status and why, and
 * "Connection: close"; 426 also carries "Sec-WebSocket-Version: 13", 405 "Allow: GET".
 * Returns the length, or 0 if cap is short.
 */
size_t http_build_error(char *out, size_t cap, int status, const char *why);

/*
 * The head of a 200 response for a body of body_len bytes of content_type, with
 * Cache-Control: no-store, X-Content-Type-Options: nosniff and "Connection: close".
 * Returns the length, or 0 if cap is short.
 */
size_t http_build_ok_head(char *out, size_t cap, const char *content_type, size_t body_len);

/* The reason phrase for a status ("Bad Request"), "Error" for unknown ones. */
const char *http_reason(int status);

#endif
