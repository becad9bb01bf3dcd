/* control.c - the control socket: a Unix socket, one JSON request per line, one JSON answer. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fastpath.h"
#include "log.h"
#include "version.h"

#define CONTROL_REQ_MAX 4096
#define CONTROL_OUT_MAX (1 << 20)

struct control {
	struct loop *loop;
	struct turn_server *turn;
	struct fastpath *fp;
	int fd;
	char *path;
	uint64_t started_ms;
};

/* The string value of "key" in a flat JSON object, or -ENOENT / -EINVAL. */
static int json_str(const char *req, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p;
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(req, pat);
	if (!p)
		return -ENOENT;
	p += strlen(pat);
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != ':')
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p++ != '"')
		return -EINVAL;
	while (*p && *p != '"' && *p != '\\' && n + 1 < cap)
		out[n++] = *p++;
	if (*p != '"')
		return -EINVAL;
	out[n] = 0;
	return 0;
}

struct out {
	char *buf;
	size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	o->len = n < 0 ? o->len : o->len + (size_t)n;
	if (o->len >= o->cap)
		o->len = o->cap - 1;
}

/* A JSON string of s (quotes, backslashes and control bytes escaped). */
static void put_json_str(struct out *o, const char *s, size_t n)
{
	put(o, "\"");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\')
			put(o, "\\%c", ch);
		else if (ch < 0x20)
			put(o, "\\u%04x", ch);
		else
			put(o, "%c", ch);
	}
	put(o, "\"");
}

/* "xdp":{"enabled":..,"interfaces":[lines],"counters":{..}} */
static void status_xdp(struct fastpath *fp, struct out *o)
{
	static const char *const names[TURN_XDP_NR] = {
		"pass_stun", "pass_unknown", "pass_nochan", "pass_unsupported", "pass_noroute",
		"drop_noperm", "pass_badlen", "fwd_c2p", "fwd_p2c", "pass_other" };
	uint64_t c[TURN_XDP_NR] = { 0 };
	char desc[4096], *line, *save = NULL;
	bool first = true;

	put(o, ",\"xdp\":{\"enabled\":%s,\"interfaces\":[", fp ? "true" : "false");
	fastpath_describe(fp, desc, sizeof(desc));
	for (line = strtok_r(desc, "\n", &save); fp && line; line = strtok_r(NULL, "\n", &save)) {
		put(o, "%s", first ? "" : ",");
		put_json_str(o, line, strlen(line));
		first = false;
	}
	put(o, "],\"counters\":{");
	if (fp)
		fastpath_counters(fp, c);
	for (int i = 0; i < TURN_XDP_NR; i++)
		put(o, "%s\"%s\":%llu", i ? "," : "", names[i], (unsigned long long)c[i]);
	put(o, "}}");
}

static void status(struct turn_server *turn, struct fastpath *fp, uint64_t started_ms,
		   struct out *o)
{
	const struct turn_stats *st = turn_get_stats(turn);
	static const char *const drops[DROP_NR] = { "malformed", "no_allocation", "no_channel",
						     "no_permission", "policy", "unexpected" };

	put(o, "{\"ok\":true,\"version\":\"%s\",\"uptime_s\":%llu,\"allocations\":%llu,"
	       "\"permissions\":%llu,\"channels\":%llu,\"allocations_created\":%llu,"
	       "\"allocations_expired\":%llu,\"requests\":%llu,\"auth_failures\":%llu,"
	       "\"userspace\":{\"pkts_c2p\":%llu,\"bytes_c2p\":%llu,\"pkts_p2c\":%llu,"
	       "\"bytes_p2c\":%llu},\"drops\":{",
	    TURND_VERSION, (unsigned long long)((loop_now_ms() - started_ms) / 1000),
	    (unsigned long long)st->allocations, (unsigned long long)st->permissions,
	    (unsigned long long)st->channels, (unsigned long long)st->allocs_created,
	    (unsigned long long)st->allocs_expired, (unsigned long long)st->requests,
	    (unsigned long long)st->auth_failures, (unsigned long long)st->pkts_c2p,
	    (unsigned long long)st->bytes_c2p, (unsigned long long)st->pkts_p2c,
	    (unsigned long long)st->bytes_p2c);
	for (int i = 0; i < DROP_NR; i++)
		put(o, "%s\"%s\":%llu", i ? "," : "", drops[i], (unsigned long long)st->drops[i]);
	put(o, "}");
	status_xdp(fp, o);
	put(o, "}\n");
}

size_t control_answer(struct turn_server *turn, struct fastpath *fp, uint64_t started_ms,
		      const char *req, char *buf, size_t cap)
{
	struct out o = { .buf = buf, .cap = cap };
	char cmd[64];
	int err = json_str(req, "cmd", cmd, sizeof(cmd));

	if (err)
		put(&o, "{\"ok\":false,\"error\":\"malformed request: expected {\\\"cmd\\\":\\\"...\\\"}\"}\n");
	else if (!strcmp(cmd, "status"))
		status(turn, fp, started_ms, &o);
	else
		put(&o, "{\"ok\":false,\"error\":\"unknown command\"}\n");
	return o.len;
}

static bool peer_is_us(int fd)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);

	return !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) && cr.uid == geteuid();
}

/* One short exchange per connection: read a line (1 s at most), answer, close. */
static void serve(struct control *c, int fd)
{
	struct timeval tv = { .tv_sec = 1 };
	char req[CONTROL_REQ_MAX];
	size_t n = 0, len;
	char *out;
	ssize_t r;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (!peer_is_us(fd)) {
		static const char no[] = "{\"ok\":false,\"error\":\"permission denied\"}\n";

		pr_warn("control request refused reason=\"peer uid differs\"");
		if (write(fd, no, sizeof(no) - 1) < 0)
			pr_debug("control write failed: %s", strerror(errno));
		return;
	}
	while (n + 1 < sizeof(req) && (r = read(fd, req + n, sizeof(req) - 1 - n)) > 0) {
		n += (size_t)r;
		if (memchr(req, '\n', n))
			break;
	}
	req[n] = 0;
	out = malloc(CONTROL_OUT_MAX);
	if (!out)
		return;
	len = control_answer(c->turn, c->fp, c->started_ms, req, out, CONTROL_OUT_MAX);
	for (size_t off = 0; off < len && (r = write(fd, out + off, len - off)) > 0;)
		off += (size_t)r;
	free(out);
}

static void on_accept(void *arg, int fd, uint32_t events)
{
	struct control *c = arg;
	int cfd;

	(void)events;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		serve(c, cfd);
		close(cfd);
	}
}

static int make_dir(const char *path)
{
	char *dup = strdup(path), *dir;
	int err = 0;

	if (!dup)
		return -ENOMEM;
	dir = dirname(dup);
	if (mkdir(dir, 0750) && errno != EEXIST) {
		err = -errno;
		pr_err("control socket: mkdir %s failed: %s", dir, strerror(errno));
	}
	free(dup);
	return err;
}

struct control *control_new(struct loop *l, const char *path, struct turn_server *turn,
			    struct fastpath *fp)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct control *c = calloc(1, sizeof(*c));

	if (!c || strlen(path) >= sizeof(sun.sun_path) || !(c->path = strdup(path))) {
		pr_err("control socket %s: path too long or out of memory", path);
		goto fail_free;
	}
	strcpy(sun.sun_path, path);
	c->loop = l;
	c->turn = turn;
	c->fp = fp;
	c->started_ms = loop_now_ms();
	if (make_dir(path))
		goto fail_free;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		goto fail_sys;
	unlink(path);
	if (bind(c->fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(path, 0600) ||
	    listen(c->fd, 16))
		goto fail_close;
	if (loop_add(l, c->fd, EPOLLIN, on_accept, c))
		goto fail_close;
	return c;
fail_close:
	pr_err("control socket %s: bind/listen failed: %s", path, strerror(errno));
	close(c->fd);
	goto fail_free;
fail_sys:
	pr_err("control socket: socket() failed: %s", strerror(errno));
fail_free:
	if (c)
		free(c->path);
	free(c);
	return NULL;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	loop_del(c->loop, c->fd);
	close(c->fd);
	unlink(c->path);
	free(c->path);
	free(c);
}
