/* control.c - the control socket: a Unix socket, one JSON request per line, one JSON answer. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control_int.h"
#include "log.h"

#define CONTROL_REQ_MAX 4096
#define CONTROL_OUT_MAX (1 << 20)
#define CONTROL_DRAIN_MAX (1 << 20)	/* most bytes discarded after an over-long request */

#define CONTROL_MAX_LISTEN 16

struct control {
	struct loop *loop;
	struct turn_server *turn;
	struct fastpath *fp;
	struct ctl_info info;
	sockaddr_u listen[CONTROL_MAX_LISTEN];
	int fd;
	char *path;
	uint64_t started_ms;
};

static bool peer_is_us(int fd)
{
	struct ucred cr;
	socklen_t l = sizeof(cr);

	return !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &l) && cr.uid == geteuid();
}

/*
 * Read one request line (1 s at most) into req (cap bytes, NUL-terminated, cut after the
 * first newline). 0, -E2BIG (no newline within cap - 1 bytes), -EILSEQ (a NUL byte) or
 * -errno (nothing read).
 */
static int read_line(int fd, char *req, size_t cap)
{
	size_t n = 0;
	char *nl = NULL;
	ssize_t r;

	while (n + 1 < cap && (r = read(fd, req + n, cap - 1 - n)) > 0) {
		n += (size_t)r;
		nl = memchr(req, '\n', n);
		if (nl)
			break;
	}
	if (!n)
		return errno ? -errno : -ENODATA;
	if (!nl && n + 1 >= cap)
		return -E2BIG;
	if (nl)
		n = (size_t)(nl - req) + 1;
	req[n] = 0;
	return memchr(req, 0, n) ? -EILSEQ : 0;
}

/*
 * Discard what the client still sends (up to max bytes, within the 1 s receive timeout; with
 * flags MSG_DONTWAIT only what is queued): closing on unread bytes would reset the connection
 * and the client would lose the answer.
 */
static void drain(int fd, size_t max, int flags)
{
	char buf[4096];
	ssize_t r;

	while (max && (r = recv(fd, buf, sizeof(buf), flags)) > 0)
		max -= (size_t)r < max ? (size_t)r : max;
}

static void reply(int fd, const char *out, size_t len)
{
	ssize_t r;

	for (size_t off = 0; off < len && (r = write(fd, out + off, len - off)) > 0;)
		off += (size_t)r;
}

/* One short exchange per connection: read a line, answer, close. */
static void serve(struct control *c, int fd)
{
	struct timeval tv = { .tv_sec = 1 };
	struct ctl_out o = { 0 };
	char req[CONTROL_REQ_MAX];
	int err;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	o.buf = malloc(CONTROL_OUT_MAX);
	if (!o.buf)
		return;
	o.cap = CONTROL_OUT_MAX;
	if (!peer_is_us(fd)) {
		pr_warn("control request refused reason=\"peer uid differs\"");
		ctl_fail(&o, "permission_denied", "permission denied");
		goto out;
	}
	errno = 0;
	err = read_line(fd, req, sizeof(req));
	if (err == -E2BIG) {
		drain(fd, CONTROL_DRAIN_MAX, 0);
		ctl_fail(&o, "bad_request", "request longer than %d bytes", CONTROL_REQ_MAX - 2);
	} else if (err == -EILSEQ)
		ctl_fail(&o, "bad_request", "malformed request: NUL byte in the request");
	else if (err)
		ctl_fail(&o, "bad_request", "no request read: %s", strerror(-err));
	else
		o.len = control_answer(c->turn, c->fp, &c->info, c->started_ms, req, o.buf, o.cap);
out:
	reply(fd, o.buf, o.len);
	drain(fd, CONTROL_DRAIN_MAX, MSG_DONTWAIT);
	free(o.buf);
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

void control_set_listeners(struct control *c, const sockaddr_u *listen, int n)
{
	if (n > CONTROL_MAX_LISTEN)
		n = CONTROL_MAX_LISTEN;
	memcpy(c->listen, listen, (size_t)n * sizeof(*listen));
	c->info.listen = c->listen;
	c->info.nlisten = n;
}

void control_set_web(struct control *c, const struct web *w)
{
	c->info.web = w;
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
