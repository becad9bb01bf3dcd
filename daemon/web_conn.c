/* web_conn.c - one signaling connection: TLS sniffing, the HTTP request, the WebSocket, keepalive. */
#include "web_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "ice.h"
#include "log.h"
#include "loop.h"
#include "sig.h"
#include "www.h"

#define TLS_HANDSHAKE_BYTE 0x16
#define IN_CHUNK 4096

static const char *cid(const struct wconn *c, char *buf, size_t len)
{
	return addr_format(&c->peer, buf, len);
}

/* Room for at least IN_CHUNK more bytes, growing in up to limit: the room, 0 when full. */
static size_t in_room(struct wconn *c, size_t limit)
{
	size_t cap;
	uint8_t *p;

	if (c->in_cap - c->in_len >= IN_CHUNK || c->in_cap >= limit)
		return c->in_cap - c->in_len;
	cap = c->in_cap ? c->in_cap * 2 : IN_CHUNK;
	if (cap > limit)
		cap = limit;
	p = realloc(c->in, cap);
	if (!p)
		return c->in_cap - c->in_len;
	c->in = p;
	c->in_cap = cap;
	return cap - c->in_len;
}

static void in_consume(struct wconn *c, size_t n)
{
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

/* Queue bytes; on failure the connection is closed: 0 or -errno. */
static int conn_send(struct wconn *c, const void *buf, size_t len)
{
	char a[ADDR_STRLEN];
	int err = web_io_send(&c->io, buf, len);

	if (!err)
		return 0;
	if (err == -ENOBUFS) {
		c->w->st.slow_readers++;
		pr_debug("signaling client=%s closed: output queue over %zu bytes (slow reader)",
			 cid(c, a, sizeof(a)), c->io.max_out);
	} else {
		pr_debug("signaling client=%s closed: send failed: %s", cid(c, a, sizeof(a)),
			 strerror(-err));
	}
	web_conn_close(c);
	return err;
}

/* Answer with an HTTP error and close once it is out. */
static void http_fail(struct wconn *c, int status, const char *why)
{
	char buf[512], a[ADDR_STRLEN];
	size_t n = http_build_error(buf, sizeof(buf), status, why);

	c->w->st.http_errors++;
	pr_debug("signaling client=%s refused: %d %s", cid(c, a, sizeof(a)), status, why);
	c->st = WST_CLOSING;
	if (n && conn_send(c, buf, n))
		return;
	web_conn_timer(c, loop_now_ms() + WEB_CLOSE_TIMEOUT_MS);
}

/* Send a WebSocket frame: 0 or -errno (the connection is then closed). */
static int ws_send(struct wconn *c, enum ws_op op, const void *payload, size_t len)
{
	uint8_t head[WS_MAX_HEADER];
	size_t hl = ws_build_header(head, op, len);
	int err = conn_send(c, head, hl);

	return err ? err : len ? conn_send(c, payload, len) : 0;
}

/* Send a close frame and close once it is out. */
static void ws_close(struct wconn *c, uint16_t code, const char *why)
{
	uint8_t buf[WS_MAX_HEADER + WS_MAX_CONTROL];
	size_t n = ws_build_close(buf, sizeof(buf), code, why);

	if (c->in_room) {
		sig_gone(c->w->sig, c->id);
		c->in_room = false;
	}
	c->st = WST_CLOSING;
	if (n && conn_send(c, buf, n))
		return;
	web_conn_timer(c, loop_now_ms() + WEB_CLOSE_TIMEOUT_MS);
}

/* The Host header's host, kept when it is a plain name or IP literal (it goes into URLs). */
static void keep_host(struct wconn *c, const char *host)
{
	size_t n = strlen(host), i;
	const char *colon = strrchr(host, ':');

	if (host[0] == '[') {
		const char *end = strchr(host, ']');

		n = end ? (size_t)(end - host) + 1 : 0;
	} else if (colon) {
		n = (size_t)(colon - host);
	}
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]",
			    host[i]))
			n = 0;
	if (n >= sizeof(c->host))
		n = 0;
	memcpy(c->host, host, n);
	c->host[n] = 0;
}

static void serve_file(struct wconn *c, const struct http_req *r, const struct www_file *f)
{
	char head[512];
	size_t n;

	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
		return http_fail(c, 405, "only GET here");
	n = http_build_ok_head(head, sizeof(head), f->content_type, f->len);
	c->st = WST_CLOSING;
	c->w->st.pages++;
	if (conn_send(c, head, n))
		return;
	if (strcmp(r->method, "HEAD") && conn_send(c, f->data, f->len))
		return;
	web_conn_timer(c, loop_now_ms() + WEB_CLOSE_TIMEOUT_MS);
}

static void upgrade(struct wconn *c, const struct http_req *r)
{
	struct web *w = c->w;
	char accept[WS_ACCEPT_LEN + 1], buf[256], a[ADDR_STRLEN];
	const char *why;
	int status = http_ws_check(r, (const char *const *)w->origins, w->norigins, &why);
	size_t n;

	if (status)
		return http_fail(c, status, why);
	ws_accept(r->ws_key, accept);
	n = http_build_101(buf, sizeof(buf), accept);
	if (conn_send(c, buf, n))
		return;
	keep_host(c, r->host);
	c->st = WST_OPEN;
	c->upgraded = true;
	c->rx.max_message = w->max_message;
	c->last_rx_ms = loop_now_ms();
	w->st.upgrades++;
	w->st.ws_now++;
	web_conn_timer(c, c->last_rx_ms + w->idle_ms / 2);
	pr_debug("signaling client=%s websocket open id=%llx", cid(c, a, sizeof(a)),
		 (unsigned long long)c->id);
}

/* A whole request head in c->in: route it. */
static void on_request(struct wconn *c)
{
	struct http_req r;
	const struct www_file *f;
	int n = http_parse((const char *)c->in, c->in_len, &r);

	if (n < 0)
		return http_fail(c, r.status, r.why);
	if (n == 0) {
		if (c->in_len >= HTTP_MAX_HEAD)
			http_fail(c, 431, "request head too long");
		return;
	}
	in_consume(c, (size_t)n);	/* a frame sent right behind the upgrade stays */
	if (!strcmp(r.path, "/ws"))
		return upgrade(c, &r);
	f = www_find(r.path);
	if (!f)
		return http_fail(c, 404, "no such page (the call page is at /)");
	serve_file(c, &r, f);
}

static void on_message(struct wconn *c, const struct ws_event *ev)
{
	struct web *w = c->w;
	int err;

	if (ev->op != WS_OP_TEXT) {
		w->st.ws_protocol_errors++;
		return ws_close(c, WS_CLOSE_UNSUPPORTED, "binary messages are not used");
	}
	c->in_room = true;	/* it may have joined: sig_gone when it goes */
	err = sig_message(w->sig, c->id, (const char *)ev->data, ev->len);
	if (err)
		ws_close(c, WS_CLOSE_INTERNAL, "out of memory");
}

/* One frame event; false when the connection stops reading. */
static bool on_frame(struct wconn *c, const struct ws_event *ev)
{
	char a[ADDR_STRLEN];

	c->last_rx_ms = loop_now_ms();
	c->ping_sent = false;
	switch (ev->type) {
	case WS_EV_MESSAGE:
		on_message(c, ev);
		break;
	case WS_EV_PING:
		ws_send(c, WS_OP_PONG, ev->data, ev->len);
		break;
	case WS_EV_CLOSE:
		ws_close(c, ev->code == WS_CLOSE_NO_STATUS ? WS_CLOSE_NORMAL : ev->code, "");
		return false;
	case WS_EV_ERROR:
		c->w->st.ws_protocol_errors++;
		pr_debug("signaling client=%s closed %u: %s", cid(c, a, sizeof(a)), ev->code,
			 ev->why);
		ws_close(c, ev->code, ev->why);
		return false;
	default:
		break;
	}
	return c->st == WST_OPEN && !c->doomed;
}

/* Frames waiting in c->in. */
static void on_frames(struct wconn *c)
{
	struct ws_event ev;
	size_t off = 0, n;

	while (c->st == WST_OPEN && !c->doomed && off < c->in_len) {
		n = ws_rx_feed(&c->rx, c->in + off, c->in_len - off, &ev);
		off += n;
		if (ev.type == WS_EV_NONE && !n)
			break;
		if (ev.type != WS_EV_NONE && !on_frame(c, &ev))
			break;
	}
	if (!c->doomed)
		in_consume(c, off);
}

/* Read what is there and act on it; stops at EAGAIN, end of stream or a state change. */
static void on_readable(struct wconn *c)
{
	size_t limit, room;
	ssize_t n;

	while (!c->doomed && (c->st == WST_HTTP || c->st == WST_OPEN || c->st == WST_CLOSING)) {
		limit = c->st == WST_HTTP ? HTTP_MAX_HEAD : c->w->max_message + WS_MAX_HEADER + 64;
		room = in_room(c, limit);
		if (c->st == WST_CLOSING) {	/* drain and drop: the close is on its way */
			uint8_t sink[IN_CHUNK];

			n = web_io_read(&c->io, sink, sizeof(sink));
		} else if (!room) {
			if (c->st == WST_HTTP)
				return http_fail(c, 431, "request head too long");
			return ws_close(c, WS_CLOSE_TOO_BIG, "frame too big");
		} else {
			n = web_io_read(&c->io, c->in + c->in_len, room);
		}
		if (n == -EAGAIN || n == -EINTR)
			return;
		if (n <= 0)
			return web_conn_close(c);
		if (c->st == WST_CLOSING)
			continue;
		c->in_len += (size_t)n;
		if (c->st == WST_HTTP)
			on_request(c);
		if (c->st == WST_OPEN)
			on_frames(c);
	}
}

/* TLS configured: look at the first byte without taking it. */
static void on_sniff(struct wconn *c)
{
	uint8_t b;
	ssize_t n = recv(c->io.fd, &b, 1, MSG_PEEK);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		return web_conn_close(c);
	if (b != TLS_HANDSHAKE_BYTE) {
		c->st = WST_HTTP;
		return;
	}
	if (web_io_start_tls(&c->io, c->w->tls))
		return web_conn_close(c);
	c->st = WST_TLS;
}

static void on_handshake(struct wconn *c)
{
	int ret = web_io_handshake(&c->io);

	if (ret < 0) {
		c->w->st.tls_failed++;
		return web_conn_close(c);
	}
	if (ret == 1)
		c->st = WST_HTTP;
}

void web_conn_event(void *arg, int fd, uint32_t events)
{
	struct wconn *c = arg;

	(void)fd;
	if (c->doomed)
		return;
	if ((events & EPOLLERR) || web_io_flush(&c->io))
		return web_conn_close(c);
	if (c->st == WST_SNIFF)
		on_sniff(c);
	if (c->st == WST_TLS)
		on_handshake(c);
	if (!c->doomed && c->st != WST_SNIFF && c->st != WST_TLS)
		on_readable(c);
	if (c->doomed)
		return;
	if (c->st == WST_CLOSING && !web_io_pending(&c->io))
		return web_conn_close(c);
	web_conn_watch(c);
}

void web_conn_on_timer(struct timer *t, uint64_t now_ms)
{
	struct wconn *c = container_of(t, struct wconn, timer);
	uint64_t idle = c->w->idle_ms, quiet = now_ms - c->last_rx_ms;
	char a[ADDR_STRLEN];

	if (c->doomed)
		return;
	if (c->st != WST_OPEN) {	/* head timeout, or the close did not get out in time */
		if (c->st != WST_CLOSING)
			c->w->st.timeouts++;
		return web_conn_close(c);
	}
	if (quiet >= idle) {
		c->w->st.timeouts++;
		pr_debug("signaling client=%s closed: idle for %llu ms", cid(c, a, sizeof(a)),
			 (unsigned long long)quiet);
		ws_close(c, WS_CLOSE_GOING_AWAY, "idle timeout");
	} else if (quiet >= idle / 2 && !c->ping_sent) {
		c->ping_sent = true;
		if (!ws_send(c, WS_OP_PING, "turnd", 5))
			web_conn_timer(c, c->last_rx_ms + idle);
	} else {
		web_conn_timer(c, c->last_rx_ms + (c->ping_sent ? idle : idle / 2));
	}
	if (!c->doomed)
		web_conn_watch(c);
}

int web_sig_send(void *ctx, uint64_t conn, const char *json, size_t len)
{
	struct wconn *c = web_conn_get(ctx, conn);

	if (!c || c->st != WST_OPEN)
		return -ENOTCONN;
	if (ws_send(c, WS_OP_TEXT, json, len))
		return -EPIPE;
	web_conn_watch(c);
	return 0;
}

/* "HOST" for derived URLs: ice_host, else the page's Host, else the address it reached. */
static const char *url_host(const struct wconn *c, char *buf, size_t len)
{
	if (c->w->ice_host)
		return c->w->ice_host;
	if (c->host[0])
		return c->host;
	addr_format_ip(&c->local, buf + 1, len - 2);
	if (c->local.sa.sa_family == AF_INET6) {
		buf[0] = '[';
		strcat(buf, "]");
		return buf;
	}
	return buf + 1;
}

int web_sig_ice(void *ctx, uint64_t conn, char *out, size_t cap)
{
	struct web *w = ctx;
	struct wconn *c = web_conn_get(w, conn);
	char host[ADDR_STRLEN + 2], stun[HTTP_MAX_HOST + 64], turn[HTTP_MAX_HOST + 64], tag[24];
	const char *stuns[1] = { stun }, *turns[1] = { turn }, *su[32], *tu[32];
	struct ice_params p = { .secret = w->secret, .lifetime_s = w->lifetime_s,
				.now_s = (uint64_t)time(NULL), .user_tag = tag };
	size_t i;

	if (!c)
		return -ENOTCONN;
	snprintf(tag, sizeof(tag), "ws%llx", (unsigned long long)c->id);
	if (w->nice_urls) {
		p.stun_urls = su;
		p.turn_urls = tu;
		for (i = 0; i < w->nice_urls && i < 32; i++) {
			if (!strncasecmp(w->ice_urls[i], "turn", 4))
				tu[p.n_turn++] = w->ice_urls[i];
			else
				su[p.n_stun++] = w->ice_urls[i];
		}
	} else {
		const char *h = url_host(c, host, sizeof(host));

		snprintf(stun, sizeof(stun), "stun:%s:%u", h, w->turn_port);
		snprintf(turn, sizeof(turn), "turn:%s:%u?transport=udp", h, w->turn_port);
		p.stun_urls = stuns;
		p.n_stun = 1;
		p.turn_urls = turns;
		p.n_turn = w->secret ? 1 : 0;
	}
	return ice_servers_json(out, cap, &p);
}
