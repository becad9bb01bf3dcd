/* test_web.c - the signaling server end to end on loopback: page, upgrade, protocol, hostile frames, limits. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "tap.h"
#include "unit/loop_pump.h"
#include "web.h"
#include "ws_frame.h"

static struct loop *lp;
static uint16_t port;

static int connect_to(void)
{
	return connect_local(port);
}

/* What arrived on fd within about ms milliseconds of pumping; *eof when the server closed. */
static size_t collect(int fd, char *buf, size_t cap, unsigned int ms, bool *eof)
{
	size_t n = 0;
	ssize_t r;

	*eof = false;
	for (unsigned int t = 0; t < ms && !*eof; t += 5) {
		pump(lp, 5);
		while (n < cap && (r = recv(fd, buf + n, cap - n, MSG_DONTWAIT)) > 0)
			n += (size_t)r;
		if (r == 0 || (r < 0 && errno != EAGAIN))
			*eof = true;
	}
	return n;
}

/* Send raw bytes and pump a little. */
static void put(int fd, const void *buf, size_t len)
{
	if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		diag("send: %s", strerror(errno));
	pump(lp, 5);
}

/* A whole HTTP exchange on a fresh connection: the response (static buffer). */
static const char *http(const char *req)
{
	static char buf[65536];
	int fd = connect_to();
	size_t n;
	bool eof;

	if (fd < 0)
		return "";
	put(fd, req, strlen(req));
	n = collect(fd, buf, sizeof(buf) - 1, 1000, &eof);
	buf[n] = 0;
	close(fd);
	return buf;
}

#define UPGRADE(path, extra) \
	"GET " path " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n" \
	"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" \
	"Sec-WebSocket-Version: 13\r\n" extra "\r\n"

/* A masked client frame into out; its length. */
static size_t frame(uint8_t *out, uint8_t b0, const void *payload, size_t len, bool mask)
{
	static const uint8_t key[4] = { 0x12, 0x34, 0x56, 0x78 };
	size_t h = 0;

	out[h++] = b0;
	if (len < 126) {
		out[h++] = (uint8_t)((mask ? 0x80 : 0) | len);
	} else {
		out[h++] = (mask ? 0x80 : 0) | 126;
		out[h++] = (uint8_t)(len >> 8);
		out[h++] = (uint8_t)len;
	}
	if (mask) {
		memcpy(out + h, key, 4);
		h += 4;
	}
	for (size_t i = 0; i < len; i++)
		out[h + i] = ((const uint8_t *)payload)[i] ^ (mask ? key[i % 4] : 0);
	return h + len;
}

static void send_frame(int fd, uint8_t b0, const void *payload, size_t len)
{
	uint8_t buf[70000];

	put(fd, buf, frame(buf, b0, payload, len, true));
}

static void send_text(int fd, const char *s)
{
	send_frame(fd, 0x81, s, strlen(s));
}

/* A client whose upgrade went through, or -1. */
static int ws_open(void)
{
	char buf[1024] = "";
	int fd = connect_to();
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return -1;
	put(fd, UPGRADE("/ws", ""), strlen(UPGRADE("/ws", "")));
	for (int i = 0; i < 200 && !strstr(buf, "\r\n\r\n"); i++) {
		pump(lp, 5);
		/* one byte at a time: the frames after the head stay in the socket */
		while (n < sizeof(buf) - 1 && (r = recv(fd, buf + n, 1, MSG_DONTWAIT)) == 1) {
			buf[++n] = 0;
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		buf[n] = 0;
	}
	if (strncmp(buf, "HTTP/1.1 101 ", 13) ||
	    !strstr(buf, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n")) {
		diag("upgrade answer: %s", buf);
		close(fd);
		return -1;
	}
	return fd;
}

struct rframe {
	int op;			/* -1: none within the time */
	char data[70000];
	size_t len;
	bool eof;
};

/* Per-client receive buffers (fd-indexed, small fds only). */
static uint8_t rbuf[64][140000];
static size_t rlen[64];

/* The next server frame on fd within ms (pumping), into *f. */
static void next_frame(int fd, struct rframe *f, unsigned int ms)
{
	uint8_t *b = rbuf[fd];
	size_t need, hl, len;
	ssize_t r;

	f->op = -1;
	f->eof = false;
	for (unsigned int t = 0; t <= ms; t += 5) {
		if (rlen[fd] >= 2) {
			len = b[1] & 0x7f;
			hl = 2;
			if (len == 126) {
				hl = 4;
				len = rlen[fd] >= 4 ? (size_t)b[2] << 8 | b[3] : 0;
			}
			need = hl + len;
			if (rlen[fd] >= need && (hl == 2 || rlen[fd] >= 4)) {
				f->op = b[0] & 0x0f;
				memcpy(f->data, b + hl, len);
				f->data[len] = 0;
				f->len = len;
				memmove(b, b + need, rlen[fd] - need);
				rlen[fd] -= need;
				return;
			}
		}
		if (f->eof)
			return;
		pump(lp, 5);
		while ((r = recv(fd, b + rlen[fd], sizeof(rbuf[0]) - rlen[fd], MSG_DONTWAIT)) > 0)
			rlen[fd] += (size_t)r;
		if (r == 0)
			f->eof = true;
	}
}

static void ws_close_fd(int fd)
{
	rlen[fd] = 0;
	close(fd);
}

/* The next text message, or "" (static buffer). */
static const char *next_text(int fd)
{
	static struct rframe f;

	next_frame(fd, &f, 1000);
	return f.op == WS_OP_TEXT ? f.data : "";
}

/* The close code of the next frame, which must be a close; -1 otherwise. */
static int next_close(int fd)
{
	static struct rframe f;

	next_frame(fd, &f, 1000);
	if (f.op != WS_OP_CLOSE || f.len < 2)
		return -1;
	return (uint8_t)f.data[0] << 8 | (uint8_t)f.data[1];
}

/* The value of "key":"..." in a JSON text (first match), or "". */
static const char *jstr(const char *json, const char *key)
{
	static char out[256];
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	out[0] = 0;
	p = strstr(json, pat);
	if (!p)
		return out;
	p += strlen(pat);
	e = strchr(p, '"');
	if (e && (size_t)(e - p) < sizeof(out)) {
		memcpy(out, p, (size_t)(e - p));
		out[e - p] = 0;
	}
	return out;
}

static void test_pages(void)
{
	const char *r = http("GET / HTTP/1.1\r\nHost: x\r\n\r\n");

	ok(!strncmp(r, "HTTP/1.1 200 ", 13), "GET / is 200");
	ok(strstr(r, "Content-Type: text/html") != NULL, "the page is HTML");
	ok(strstr(r, "<html") || strstr(r, "<!doctype html") || strstr(r, "<!DOCTYPE html"),
	   "the body is the call page");
	r = http("GET /?room=abc HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(!strncmp(r, "HTTP/1.1 200 ", 13), "a query string is fine");
	r = http("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(!strncmp(r, "HTTP/1.1 200 ", 13) && !strstr(r, "<html"), "HEAD: head only");
	ok(!strncmp(http("GET /etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP/1.1 404 ", 13),
	   "another path is 404");
	ok(!strncmp(http("POST / HTTP/1.1\r\nHost: x\r\n\r\n"), "HTTP/1.1 405 ", 13),
	   "POST is 405");
	ok(!strncmp(http("GARBAGE\r\n\r\n"), "HTTP/1.1 400 ", 13), "garbage is 400");
	ok(!strncmp(http("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), "HTTP/1.1 505 ", 13),
	   "HTTP/2.0 is 505");
}

static void test_upgrade_refused(void)
{
	const char *r;

	r = http("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Version: 13\r\n\r\n");
	ok(!strncmp(r, "HTTP/1.1 400 ", 13), "upgrade without a key: 400");
	r = http("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 12\r\n\r\n");
	ok(!strncmp(r, "HTTP/1.1 426 ", 13) && strstr(r, "Sec-WebSocket-Version: 13"),
	   "version 12: 426 naming 13");
	r = http("POST /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
	ok(!strncmp(r, "HTTP/1.1 405 ", 13), "POST upgrade: 405");
	r = http(UPGRADE("/ws", "Origin: https://evil.example\r\n"));
	ok(!strncmp(r, "HTTP/1.1 403 ", 13), "origin not in the allow-list: 403");
	r = http(UPGRADE("/ws", "Origin: https://good.example\r\n"));
	ok(!strncmp(r, "HTTP/1.1 101 ", 13), "allowed origin: 101");
}

/* Two clients join, exchange an offer and an answer, one leaves, the other is told. */
static void test_protocol(void)
{
	int a = ws_open(), b = ws_open();
	char ida[32], idb[32], msg[512];
	const char *m;

	if (!ok(a >= 0 && b >= 0, "two clients upgraded"))
		return;
	send_text(a, "{\"type\":\"join\",\"room\":\"r1\"}");
	m = next_text(a);
	ok(!strcmp(jstr(m, "type"), "joined") && strstr(m, "\"peers\":[]"), "A joined, alone");
	ok(strstr(m, "turn:127.0.0.1:3478?transport=udp") && strstr(m, "stun:127.0.0.1:3478"),
	   "iceServers name this server's TURN and STUN");
	ok(strstr(m, "\"username\":\"") && strstr(m, "\"credential\":\""),
	   "with REST credentials");
	snprintf(ida, sizeof(ida), "%s", jstr(m, "id"));
	send_text(b, "{\"type\":\"join\",\"room\":\"r1\"}");
	m = next_text(b);
	snprintf(idb, sizeof(idb), "%s", jstr(m, "id"));
	snprintf(msg, sizeof(msg), "\"peers\":[\"%s\"]", ida);
	if (!ok(!strcmp(jstr(m, "type"), "joined") && strstr(m, msg), "B joined and sees A"))
		diag("got: %s (rlen %zu)", m, rlen[b]);
	m = next_text(a);
	ok(!strcmp(jstr(m, "type"), "peer-joined") && !strcmp(jstr(m, "id"), idb),
	   "A is told B joined");
	snprintf(msg, sizeof(msg), "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{\"type\":\"offer\","
		 "\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 0.0.0.0\\r\\n\"}}", ida);
	send_text(b, msg);
	m = next_text(a);
	ok(!strcmp(jstr(m, "type"), "signal") && !strcmp(jstr(m, "from"), idb) &&
	   strstr(m, "\"data\":{\"type\":\"offer\",\"sdp\":\"v=0\\r\\no=- 1 2 IN IP4 0.0.0.0\\r\\n\"}"),
	   "A gets B's offer verbatim");
	snprintf(msg, sizeof(msg), "{\"type\":\"signal\",\"to\":\"%s\",\"data\":{\"type\":\"answer\","
		 "\"sdp\":\"v=0\"}}", idb);
	send_text(a, msg);
	m = next_text(b);
	ok(!strcmp(jstr(m, "type"), "signal") && !strcmp(jstr(m, "from"), ida) &&
	   strstr(m, "\"answer\""), "B gets A's answer");
	send_text(a, "{\"type\":\"signal\",\"to\":");
	m = next_text(a);
	ok(!strcmp(jstr(m, "type"), "error") && jstr(m, "reason")[0], "malformed JSON: error");
	send_text(a, "{\"type\":\"ping\"}");
	ok(!strcmp(jstr(next_text(a), "type"), "pong"), "and the connection stays up");
	send_text(b, "{\"type\":\"leave\"}");
	ok(!strcmp(jstr(next_text(b), "type"), "left"), "B left");
	m = next_text(a);
	ok(!strcmp(jstr(m, "type"), "peer-left") && !strcmp(jstr(m, "id"), idb),
	   "A is told B left");
	send_text(b, "{\"type\":\"join\",\"room\":\"r1\"}");
	next_text(b);
	next_text(a);
	ws_close_fd(b);
	m = next_text(a);
	ok(!strcmp(jstr(m, "type"), "peer-left"), "a closed socket counts as leaving");
	ws_close_fd(a);
}

/* Each bad frame gets its close code; a bystander's call is not disturbed. */
static void test_hostile_frames(void)
{
	static const struct {
		const char *name;
		uint8_t b0;
		const char *payload;
		size_t len;
		bool mask;
		int code;
	} cases[] = {
		{ "unmasked frame", 0x81, "hi", 2, false, 1002 },
		{ "binary message", 0x82, "hi", 2, true, 1003 },
		{ "invalid UTF-8", 0x81, "\xc3\x28", 2, true, 1007 },
		{ "reserved bit", 0xc1, "hi", 2, true, 1002 },
		{ "unknown opcode", 0x83, "hi", 2, true, 1002 },
		{ "continuation first", 0x80, "hi", 2, true, 1002 },
		{ "fragmented ping", 0x09, "hi", 2, true, 1002 },
		{ "close code 999", 0x88, "\x03\xe7", 2, true, 1002 },
	};
	uint8_t buf[128];
	struct rframe *f = malloc(sizeof(*f));
	int by = ws_open(), fd;

	send_text(by, "{\"type\":\"join\",\"room\":\"calm\"}");
	next_text(by);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = ws_open();
		put(fd, buf, frame(buf, cases[i].b0, cases[i].payload, cases[i].len, cases[i].mask));
		is_int(next_close(fd), cases[i].code, "%s: close %d", cases[i].name, cases[i].code);
		ws_close_fd(fd);
	}
	fd = ws_open();		/* 2^63 length */
	put(fd, "\x81\xff\x80\0\0\0\0\0\0\0\1\2\3\4", 14);
	is_int(next_close(fd), 1002, "a 2^63 length: 1002");
	ws_close_fd(fd);
	fd = ws_open();		/* over max_message (4096 here) */
	put(fd, "\x81\xfe\x20\x00\1\2\3\4", 8);
	is_int(next_close(fd), 1009, "a message over max_message: 1009");
	ws_close_fd(fd);
	fd = ws_open();		/* a ping, and a message torn across reads and fragments */
	send_frame(fd, 0x89, "abc", 3);
	next_frame(fd, f, 1000);
	ok(f->op == WS_OP_PONG && f->len == 3 && !memcmp(f->data, "abc", 3), "ping: pong, same bytes");
	{
		size_t n = frame(buf, 0x01, "{\"type\":", 8, true);

		n += frame(buf + n, 0x80, "\"ping\"}", 7, true);
		for (size_t i = 0; i < n; i++)
			put(fd, buf + i, 1);
	}
	ok(!strcmp(jstr(next_text(fd), "type"), "pong"), "fragmented, torn message: answered");
	send_frame(fd, 0x88, "\x03\xe8" "bye", 5);
	is_int(next_close(fd), 1000, "the client's close is echoed");
	ws_close_fd(fd);
	send_text(by, "{\"type\":\"ping\"}");
	ok(!strcmp(jstr(next_text(by), "type"), "pong"), "the bystander is unharmed");
	ws_close_fd(by);
	free(f);
}

/* The same counters in the metrics text and in turnctl's JSON. */
static void test_exposed(struct web *w, const struct web_stats *st)
{
	char text[8192], want[128], json[512];
	size_t n = web_render_metrics(w, text, sizeof(text)), small;

	ok(n > 0 && n < sizeof(text), "metrics rendered (%zu bytes)", n);
	snprintf(want, sizeof(want), "\nturnd_signaling_upgrades_total %llu\n",
		 (unsigned long long)st->upgrades);
	ok(strstr(text, want) != NULL, "metrics: upgrades");
	snprintf(want, sizeof(want), "\nturnd_signaling_protocol_errors_total %llu\n",
		 (unsigned long long)st->ws_protocol_errors);
	ok(strstr(text, want) != NULL, "metrics: protocol errors");
	ok(strstr(text, "# TYPE turnd_signaling_rooms gauge\n") != NULL, "metrics: rooms gauge");
	small = web_render_metrics(w, text, 10);
	ok(small == n && strlen(text) == 9, "a short buffer: cut, NUL-terminated, full length told");
	web_status_json(w, json, sizeof(json));
	snprintf(want, sizeof(want), "\"upgrades\":%llu,", (unsigned long long)st->upgrades);
	ok(json[0] == '{' && strstr(json, want) && json[strlen(json) - 1] == '}',
	   "status JSON: %s", json);
}

static void test_limits(struct web *w)
{
	int fds[4];
	char c;
	bool eof;
	struct web_stats st;

	for (int i = 0; i < 4; i++)
		fds[i] = connect_to();
	pump(lp, 20);
	collect(fds[3], &c, 1, 200, &eof);
	ok(eof, "a fourth connection from one address is closed (max_per_address 3)");
	collect(fds[0], &c, 1, 50, &eof);
	ok(!eof, "the first three stay");
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	pump(lp, 20);
	web_get_stats(w, &st);
	ok(st.refused_per_address >= 1, "refusals are counted (%llu)",
	   (unsigned long long)st.refused_per_address);
	ok(st.ws_protocol_errors >= 10, "protocol errors are counted (%llu)",
	   (unsigned long long)st.ws_protocol_errors);
	ok(st.upgrades >= 14 && st.http_errors >= 6, "upgrades %llu, http errors %llu",
	   (unsigned long long)st.upgrades, (unsigned long long)st.http_errors);
	test_exposed(w, &st);
}

/* idle_timeout 1 s (a server of its own): a ping at half, then a close 1001. */
static void test_idle(struct signaling_cfg cfg)
{
	struct rframe *f = malloc(sizeof(*f));
	uint16_t main_port = port;
	struct web_stats st;
	struct web *w;
	bool eof;
	int fd;

	cfg.idle_timeout = 1;
	w = web_new(lp, &cfg, NULL, 3478);
	port = w ? web_port(w, 0) : 0;
	fd = ws_open();
	send_text(fd, "{\"type\":\"join\",\"room\":\"r\"}");
	ok(strstr(next_text(fd), "\"iceServers\":[{\"urls\":[\"stun:127.0.0.1:3478\"]}]") != NULL,
	   "no secret: iceServers carry STUN only");

	next_frame(fd, f, 1500);
	ok(f->op == WS_OP_PING, "a quiet client gets a ping");
	next_frame(fd, f, 1500);
	ok(f->op == WS_OP_CLOSE && f->len >= 2 && (uint8_t)f->data[0] << 8 | (uint8_t)f->data[1]
	   ? ((uint8_t)f->data[0] << 8 | (uint8_t)f->data[1]) == 1001 : false,
	   "then a close 1001 after idle_timeout");
	ws_close_fd(fd);
	fd = connect_to();
	put(fd, "GET / HTTP/1.1\r\n", 16);	/* never finishes its head */
	collect(fd, (char *)f->data, 1, 300, &eof);
	ok(!eof, "a slow request head is waited for...");
	collect(fd, (char *)f->data, 1, 1500, &eof);
	ok(eof, "...until idle_timeout");
	close(fd);
	web_get_stats(w, &st);
	is_int(st.timeouts, 2, "both timeouts counted");
	free(f);
	web_free(w);
	port = main_port;
}

int main(void)
{
	static char *origins[] = { "https://good.example" };
	struct signaling_cfg cfg = {
		.on = true, .nlisten = 1, .origins = origins, .norigins = 1,
		.credential_lifetime = 600, .max_connections = 64, .max_per_address = 3,
		.idle_timeout = 60, .max_message = 4096, .max_rooms = 10, .max_members = 4,
	};
	struct web *w;

	log_set_level(getenv("DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_WARN);
	lp = loop_new();
	addr_parse("127.0.0.1:0", 0, &cfg.listen[0]);
	w = web_new(lp, &cfg, "s3cret", 3478);
	if (!ok(w != NULL, "web_new on 127.0.0.1:0"))
		return done_testing();
	port = web_port(w, 0);
	ok(port != 0, "bound to port %u", port);
	test_pages();
	test_upgrade_refused();
	test_protocol();
	test_hostile_frames();
	test_idle(cfg);
	test_limits(w);
	web_free(w);
	loop_free(lp);
	return done_testing();
}
