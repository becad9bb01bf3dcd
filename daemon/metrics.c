/* metrics.c - Prometheus text-format metrics: the exposition renderer and a tiny HTTP endpoint. */
#include "metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fastpath.h"
#include "log.h"
#include "loop.h"
#include "timerq.h"
#include "web.h"

/* An output buffer that counts what did not fit, as snprintf does. */
struct out {
	char *buf;
	size_t cap, len;
};

static void __attribute__((format(printf, 2, 3))) put(struct out *o, const char *fmt, ...)
{
	size_t room = o->len < o->cap ? o->cap - o->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* A label value with \, " and newline escaped as the exposition format wants. */
static void put_label(struct out *o, const char *name, const char *v, bool first)
{
	put(o, "%s%s=\"", first ? "" : ",", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			put(o, "\\%c", *v);
		else if (*v == '\n')
			put(o, "\\n");
		else
			put(o, "%c", *v);
	}
	put(o, "\"");
}

static void put_head(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{l1="v1",l2="v2"} value; l2 may be NULL. */
static void put_sample(struct out *o, const char *name, const char *l1, const char *v1,
		       const char *l2, const char *v2, uint64_t value)
{
	put(o, "%s", name);
	if (l1) {
		put(o, "{");
		put_label(o, l1, v1, true);
		if (l2)
			put_label(o, l2, v2, false);
		put(o, "}");
	}
	put(o, " %llu\n", (unsigned long long)value);
}

static void put_one(struct out *o, const char *name, const char *type, const char *help,
		    uint64_t value)
{
	put_head(o, name, type, help);
	put_sample(o, name, NULL, NULL, NULL, NULL, value);
}

static const char *const drop_names[DROP_NR] = {
	[DROP_MALFORMED] = "malformed",
	[DROP_NO_ALLOCATION] = "no_allocation",
	[DROP_NO_CHANNEL] = "no_channel",
	[DROP_NO_PERMISSION] = "no_permission",
	[DROP_POLICY] = "policy",
	[DROP_UNEXPECTED] = "unexpected",
	[DROP_RCVBUF] = "rcvbuf",
};

/* The kernel's pass counters and their reason labels. */
static const struct {
	int idx;
	const char *reason;
} xdp_pass[] = {
	{ TURN_XDP_PASS_STUN, "stun" },
	{ TURN_XDP_PASS_UNKNOWN, "unknown_channel" },
	{ TURN_XDP_PASS_NOCHAN, "no_channel" },
	{ TURN_XDP_PASS_UNSUPPORTED, "unsupported" },
	{ TURN_XDP_PASS_NOROUTE, "no_route" },
	{ TURN_XDP_PASS_BADLEN, "bad_length" },
	{ TURN_XDP_PASS_OTHER, "other" },
};

static void render_auth(struct out *o, const struct turn_stats *st)
{
	static const char af[] = "turnd_auth_failures_total";
	static const char *const reasons[AUTH_FAIL_NR] = { "unknown_user", "bad_integrity",
							   "expired", "wrong_user" };

	put_head(o, af, "counter", "Requests refused by authentication, by reason.");
	for (size_t i = 0; i < AUTH_FAIL_NR; i++)
		put_sample(o, af, "reason", reasons[i], NULL, NULL, st->auth_fail[i]);
}

static void render_traffic(struct out *o, const struct turn_stats *st, const uint64_t *xdp,
			   const struct turn_alloc_stats *xdp_sum)
{
	static const char pk[] = "turnd_packets_total", by[] = "turnd_bytes_total";

	put_head(o, pk, "counter", "Packets relayed, by path (userspace or XDP) and direction.");
	put_sample(o, pk, "path", "userspace", "direction", "c2p", st->pkts_c2p);
	put_sample(o, pk, "path", "userspace", "direction", "p2c", st->pkts_p2c);
	if (xdp) {
		put_sample(o, pk, "path", "xdp", "direction", "c2p", xdp[TURN_XDP_FWD_C2P]);
		put_sample(o, pk, "path", "xdp", "direction", "p2c", xdp[TURN_XDP_FWD_P2C]);
	}
	put_head(o, by, "counter", "Payload bytes relayed, by path and direction.");
	put_sample(o, by, "path", "userspace", "direction", "c2p", st->bytes_c2p);
	put_sample(o, by, "path", "userspace", "direction", "p2c", st->bytes_p2c);
	if (xdp_sum) {
		put_sample(o, by, "path", "xdp", "direction", "c2p", xdp_sum->bytes_c2p);
		put_sample(o, by, "path", "xdp", "direction", "p2c", xdp_sum->bytes_p2c);
	}
}

static void render_drops(struct out *o, const struct turn_stats *st, const uint64_t *xdp)
{
	static const char dr[] = "turnd_drops_total", ps[] = "turnd_xdp_pass_total";
	size_t i;

	put_head(o, dr, "counter", "Packets dropped, by path and reason.");
	for (i = 0; i < DROP_NR; i++)
		put_sample(o, dr, "path", "userspace", "reason", drop_names[i], st->drops[i]);
	put_sample(o, dr, "path", "userspace", "reason", "bandwidth",
		   st->limit_hits[LIMIT_BANDWIDTH]);
	if (!xdp)
		return;
	put_sample(o, dr, "path", "xdp", "reason", "no_permission", xdp[TURN_XDP_DROP_NOPERM]);
	put_sample(o, dr, "path", "xdp", "reason", "bandwidth", xdp[TURN_XDP_DROP_RATE]);
	put_head(o, ps, "counter", "Packets the XDP program passed to the daemon, by reason.");
	for (i = 0; i < sizeof(xdp_pass) / sizeof(xdp_pass[0]); i++)
		put_sample(o, ps, "reason", xdp_pass[i].reason, NULL, NULL, xdp[xdp_pass[i].idx]);
}

/* Named after the settings; max_bps counts what both paths dropped. */
static void render_limits(struct out *o, const struct turn_stats *st, const uint64_t *xdp)
{
	static const char lh[] = "turnd_limit_hits_total";
	static const char *const names[LIMIT_NR] = {
		[LIMIT_PER_USER] = "max_per_user", [LIMIT_TOTAL] = "max_total",
		[LIMIT_PERMISSIONS] = "max_permissions", [LIMIT_CHANNELS] = "max_channels",
		[LIMIT_BANDWIDTH] = "max_bps", [LIMIT_UNAUTH_RATE] = "unauth_rate",
	};

	put_head(o, lh, "counter", "Requests refused or packets dropped by a configured limit.");
	for (size_t i = 0; i < LIMIT_NR; i++)
		put_sample(o, lh, "limit", names[i], NULL, NULL, st->limit_hits[i] +
			   (i == LIMIT_BANDWIDTH && xdp ? xdp[TURN_XDP_DROP_RATE] : 0));
}

size_t metrics_render(const struct turn_stats *st, const uint64_t *xdp,
		      const struct turn_alloc_stats *xdp_sum, char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = cap };

	if (cap)
		buf[0] = 0;
	put_one(&o, "turnd_allocations", "gauge", "Live allocations.", st->allocations);
	put_one(&o, "turnd_permissions", "gauge", "Live permissions.", st->permissions);
	put_one(&o, "turnd_channels", "gauge", "Live channel bindings.", st->channels);
	put_one(&o, "turnd_allocations_created_total", "counter", "Allocations created.",
		st->allocs_created);
	put_one(&o, "turnd_allocations_expired_total", "counter", "Allocations that expired.",
		st->allocs_expired);
	put_one(&o, "turnd_requests_total", "counter", "STUN/TURN requests handled.",
		st->requests);
	render_auth(&o, st);
	render_limits(&o, st, xdp);
	put_one(&o, "turnd_fastpath_up", "gauge", "1 when the XDP fast path is running.",
		xdp ? 1 : 0);
	render_traffic(&o, st, xdp, xdp_sum);
	render_drops(&o, st, xdp);
	return o.len;
}

static const double latency_bounds[LATENCY_NBOUNDS] = LATENCY_BOUNDS;

void metrics_observe_request(struct latency_hist *h, double seconds)
{
	size_t i;

	if (!(seconds > 0))	/* negative or NaN */
		seconds = 0;
	for (i = 0; i < LATENCY_NBOUNDS && seconds > latency_bounds[i]; i++)
		;
	h->bucket[i]++;
	h->count++;
	h->sum += seconds;
}

size_t metrics_render_xdp_routes(uint64_t route_changes, uint64_t tick_ns, char *buf,
				 size_t cap)
{
	static const char tk[] = "turnd_xdp_clock_tick_seconds";
	struct out o = { .buf = buf, .cap = cap };

	if (cap)
		buf[0] = 0;
	put_one(&o, "turnd_xdp_route_changes_total", "counter",
		"Routing changes passed on to the XDP program (each drops every cached route).",
		route_changes);
	put_head(&o, tk, "gauge",
		 "The XDP program's measured clock tick (0: it reads the precise clock).");
	put(&o, "%s %.9g\n", tk, (double)tick_ns / 1e9);
	return o.len;
}

size_t metrics_render_latency(const struct latency_hist *h, char *buf, size_t cap)
{
	static const char nm[] = "turnd_request_duration_seconds";
	struct out o = { .buf = buf, .cap = cap };
	uint64_t cum = 0;
	size_t i;

	if (cap)
		buf[0] = 0;
	put_head(&o, nm, "histogram", "Time to handle a STUN/TURN request.");
	for (i = 0; i < LATENCY_NBOUNDS; i++) {
		cum += h->bucket[i];
		put(&o, "%s_bucket{le=\"%g\"} %llu\n", nm, latency_bounds[i],
		    (unsigned long long)cum);
	}
	cum += h->bucket[LATENCY_NBOUNDS];
	put(&o, "%s_bucket{le=\"+Inf\"} %llu\n", nm, (unsigned long long)cum);
	put(&o, "%s_sum %.9g\n", nm, h->sum);
	put(&o, "%s_count %llu\n", nm, (unsigned long long)h->count);
	return o.len;
}

/* RFC 9110 tchar: what a method or header name may hold. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The next line of [p, end): its length without CR LF in *n; NULL when none is whole. */
static const char *next_line(const char *p, const char *end, size_t *n, const char **after)
{
	const char *lf = memchr(p, '\n', (size_t)(end - p));

	if (!lf)
		return NULL;
	*n = (size_t)(lf - p);
	if (*n && p[*n - 1] == '\r')
		(*n)--;
	*after = lf + 1;
	return p;
}

/* A header line "name: value": 0 or 400. */
static int check_header(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && is_tchar((unsigned char)p[i]))
		i++;
	if (!i || i == n || p[i] != ':')
		return 400;
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 400;
	}
	return 0;
}

/* "METHOD SP /target SP HTTP/1.x": 200, 404, 405 or 400. */
static int check_request_line(const char *p, size_t n)
{
	const char *sp1 = memchr(p, ' ', n), *sp2, *q;
	size_t i, tlen, plen;

	if (!sp1 || sp1 == p)
		return 400;
	for (q = p; q < sp1; q++)
		if (!is_tchar((unsigned char)*q))
			return 400;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - p));
	if (!sp2)
		return 400;
	tlen = (size_t)(sp2 - sp1 - 1);
	if (!tlen || sp1[1] != '/')
		return 400;
	for (i = 0; i < tlen; i++)
		if ((unsigned char)sp1[1 + i] <= 0x20 || (unsigned char)sp1[1 + i] >= 0x7f)
			return 400;
	if (n - (size_t)(sp2 + 1 - p) != 8 ||
	    (memcmp(sp2 + 1, "HTTP/1.1", 8) && memcmp(sp2 + 1, "HTTP/1.0", 8)))
		return 400;
	if (sp1 - p != 3 || memcmp(p, "GET", 3))
		return 405;
	q = memchr(sp1 + 1, '?', tlen);
	plen = q ? (size_t)(q - sp1 - 1) : tlen;
	if (plen != 8 || memcmp(sp1 + 1, "/metrics", 8))
		return 404;
	return 200;
}

/* Of a request not yet whole: is what came so far already wrong? */
static bool partial_is_bad(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len && buf[i] != ' '; i++)
		if (!is_tchar((unsigned char)buf[i]))
			return true;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
			return true;
	}
	return false;
}

int metrics_parse_request(const char *buf, size_t len)
{
	const char *p = buf, *end, *after, *line;
	size_t n;
	int status;

	if (len > METRICS_MAX_REQUEST)
		len = METRICS_MAX_REQUEST;
	end = buf + len;
	line = next_line(p, end, &n, &after);
	if (!line || partial_is_bad(buf, (size_t)(after - buf)))
		goto partial;
	status = check_request_line(line, n);
	if (status == 400)
		return 400;
	for (p = after; (line = next_line(p, end, &n, &after)); p = after) {
		if (!n)
			return status;
		if (check_header(line, n))
			return 400;
	}
partial:
	if (partial_is_bad(buf, len) || len >= METRICS_MAX_REQUEST)
		return 400;
	return -EAGAIN;
}

/* One client: reading its request, writing the answer, then draining until it closes. */
struct mconn {
	struct metrics *m;
	int fd;
	int slot;
	struct timer timer;
	bool lingering;		/* answered and write side shut: until the client closes */
	char *out;
	size_t outlen, outoff;
	size_t len;
	char in[METRICS_MAX_REQUEST];
};

struct metrics {
	struct loop *loop;
	struct turn_server *turn;
	struct fastpath *fp;
	const struct latency_hist *lat;
	const struct web *web;
	int fd;
	uint16_t port;
	uint32_t timeout_ms;
	struct mconn *conns[METRICS_MAX_CONNS];
};

static void conn_close(struct mconn *c)
{
	timerq_del(loop_timers(c->m->loop), &c->timer);
	loop_del(c->m->loop, c->fd);
	close(c->fd);
	c->m->conns[c->slot] = NULL;
	free(c->out);
	free(c);
}

static void on_timeout(struct timer *t, uint64_t now_ms)
{
	struct mconn *c = container_of(t, struct mconn, timer);

	(void)now_ms;
	pr_debug("metrics: connection fd=%d timed out, closed", c->fd);
	conn_close(c);
}

/* Read and forget what the client still sends; close on its EOF or an error. */
static void conn_drain(struct mconn *c)
{
	char junk[4096];
	ssize_t r;

	while ((r = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT)) > 0)
		;
	if (r == 0 || (errno != EAGAIN && errno != EINTR))
		conn_close(c);
}

/* Watch c->fd for events instead (the loop has no modify). 0 or -errno (c closed). */
static int conn_watch(struct mconn *c, uint32_t events, loop_fn fn)
{
	int err;

	loop_del(c->m->loop, c->fd);
	err = loop_add(c->m->loop, c->fd, events, fn, c);
	if (err)
		conn_close(c);
	return err;
}

static void on_conn(void *arg, int fd, uint32_t events);

/* Send what is left of the answer; when all is out, shut the write side and drain. */
static void conn_flush(struct mconn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return;
		if (w < 0) {
			pr_debug("metrics: send fd=%d failed: %s", c->fd, strerror(errno));
			conn_close(c);
			return;
		}
		c->outoff += (size_t)w;
	}
	free(c->out);
	c->out = NULL;
	c->lingering = true;
	shutdown(c->fd, SHUT_WR);
	if (!conn_watch(c, EPOLLIN, on_conn))
		conn_drain(c);
}

static const char *status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	}
	return "Bad Request";
}

/* The body for a 200: every counter, rendered into a malloc'd buffer. */
static char *render_body(struct metrics *m, size_t *len)
{
	static const struct turn_stats zero;
	const struct turn_stats *st = m->turn ? turn_get_stats(m->turn) : &zero;
	uint64_t xdp[TURN_XDP_NR];
	const uint64_t *px = m->fp && !fastpath_counters(m->fp, xdp) ? xdp : NULL;
	struct turn_alloc_stats sum;
	const struct turn_alloc_stats *ps = px && !fastpath_totals(m->fp, &sum) ? &sum : NULL;
	size_t cap = 16384, n;
	char *buf;

	for (;;) {
		buf = malloc(cap);
		if (!buf)
			return NULL;
		n = metrics_render(st, px, ps, buf, cap);
		if (m->fp && n < cap)
			n += metrics_render_xdp_routes(fastpath_route_changes(m->fp),
						       fastpath_clock_tick_ns(m->fp), buf + n, cap - n);
		if (m->lat && n < cap)
			n += metrics_render_latency(m->lat, buf + n, cap - n);
		if (m->web && n < cap)
			n += web_render_metrics(m->web, buf + n, cap - n);
		if (n < cap)
			break;
		free(buf);
		cap = n + 1;
	}
	*len = n;
	return buf;
}

/* Build the whole answer into c->out. 0 or -ENOMEM. */
static int build_answer(struct mconn *c, int status)
{
	const char *body = status == 404 ? "not found\n" : status == 405 ? "only GET\n" :
			   "bad request\n";
	char *rbody = NULL, head[256];
	size_t blen = strlen(body);
	int hlen;

	if (status == 200) {
		rbody = render_body(c->m, &blen);
		if (!rbody)
			return -ENOMEM;
		body = rbody;
	}
	hlen = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: text/plain; %s"
			"charset=utf-8\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
			status, status_text(status), status == 200 ? "version=0.0.4; " : "", blen,
			status == 405 ? "Allow: GET\r\n" : "");
	c->out = malloc((size_t)hlen + blen);
	if (c->out) {
		memcpy(c->out, head, (size_t)hlen);
		memcpy(c->out + hlen, body, blen);
		c->outlen = (size_t)hlen + blen;
	}
	free(rbody);
	return c->out ? 0 : -ENOMEM;
}

static void conn_answer(struct mconn *c, int status)
{
	if (status != 200)
		pr_debug("metrics: fd=%d answered %d", c->fd, status);
	if (build_answer(c, status)) {
		pr_warn("metrics: answer fd=%d failed: out of memory", c->fd);
		conn_close(c);
		return;
	}
	if (conn_watch(c, EPOLLOUT, on_conn))
		return;
	conn_flush(c);
}

static void conn_read(struct mconn *c)
{
	ssize_t r;
	int status;

	do
		r = recv(c->fd, c->in + c->len, sizeof(c->in) - c->len, MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EAGAIN)
		return;
	if (r <= 0) {
		conn_close(c);	/* gone before asking, or an error */
		return;
	}
	c->len += (size_t)r;
	status = metrics_parse_request(c->in, c->len);
	if (status != -EAGAIN)
		conn_answer(c, status);
}

static void on_conn(void *arg, int fd, uint32_t events)
{
	struct mconn *c = arg;

	(void)fd;
	(void)events;
	if (c->out)
		conn_flush(c);
	else if (c->lingering)
		conn_drain(c);
	else
		conn_read(c);
}

static int free_slot(const struct metrics *m)
{
	for (int i = 0; i < METRICS_MAX_CONNS; i++)
		if (!m->conns[i])
			return i;
	return -1;
}

static void conn_new(struct metrics *m, int fd)
{
	int slot = free_slot(m);
	struct mconn *c;

	if (slot < 0) {
		pr_debug("metrics: %d connections open, refused fd=%d", METRICS_MAX_CONNS, fd);
		close(fd);
		return;
	}
	c = malloc(sizeof(*c));
	if (!c) {
		pr_warn("metrics: connection fd=%d refused: out of memory", fd);
		close(fd);
		return;
	}
	memset(c, 0, offsetof(struct mconn, in));
	c->m = m;
	c->fd = fd;
	c->slot = slot;
	timer_init(&c->timer, on_timeout);
	if (loop_add(m->loop, fd, EPOLLIN, on_conn, c)) {
		close(fd);
		free(c);
		return;
	}
	m->conns[slot] = c;
	if (timerq_set(loop_timers(m->loop), &c->timer, loop_now_ms() + m->timeout_ms))
		conn_close(c);
}

static void on_accept(void *arg, int fd, uint32_t events)
{
	struct metrics *m = arg;
	int cfd;

	(void)events;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0)
		conn_new(m, cfd);
	if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
		pr_warn("metrics: accept failed: %s", strerror(errno));
}

/* Bind and listen on a, learning the port. The fd or -errno (logged). */
static int listen_on(const sockaddr_u *a, uint16_t *port)
{
	char as[ADDR_STRLEN];
	sockaddr_u bound;
	socklen_t blen = sizeof(bound);
	int fd, one = 1, err;

	fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		pr_err("metrics: socket() failed: %s", strerror(errno));
		return err;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, &a->sa, addr_len(a)) || listen(fd, 16) ||
	    getsockname(fd, &bound.sa, &blen)) {
		err = -errno;
		pr_err("metrics: listen on %s failed: %s", addr_format(a, as, sizeof(as)),
		       strerror(errno));
		close(fd);
		return err;
	}
	*port = addr_port(&bound);
	return fd;
}

struct metrics *metrics_new(struct loop *l, const sockaddr_u *listen, struct turn_server *turn,
			    struct fastpath *fp)
{
	struct metrics *m = calloc(1, sizeof(*m));
	char as[ADDR_STRLEN];

	if (!m) {
		pr_err("metrics: out of memory");
		return NULL;
	}
	m->loop = l;
	m->turn = turn;
	m->fp = fp;
	m->timeout_ms = METRICS_TIMEOUT_MS;
	m->fd = listen_on(listen, &m->port);
	if (m->fd < 0)
		goto fail;
	if (loop_add(l, m->fd, EPOLLIN, on_accept, m))
		goto fail_close;
	pr_info("metrics: listening on %s port=%u", addr_format_ip(listen, as, sizeof(as)),
		m->port);
	return m;
fail_close:
	close(m->fd);
fail:
	free(m);
	return NULL;
}

void metrics_set_web(struct metrics *m, const struct web *w)
{
	m->web = w;
}

void metrics_set_latency(struct metrics *m, const struct latency_hist *h)
{
	m->lat = h;
}

uint16_t metrics_port(const struct metrics *m)
{
	return m->port;
}

void metrics_set_timeout(struct metrics *m, uint32_t ms)
{
	m->timeout_ms = ms;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	for (int i = 0; i < METRICS_MAX_CONNS; i++)
		if (m->conns[i])
			conn_close(m->conns[i]);
	loop_del(m->loop, m->fd);
	close(m->fd);
	free(m);
}
