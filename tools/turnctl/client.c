/* client.c - turnctl's control-socket client: connect, send one line, read the answer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "turnctl.h"

static int read_all(int fd, char **answer)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap), *nb;
	ssize_t r;

	if (!buf)
		return -ENOMEM;
	while ((r = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)r;
		if (len + 1 == cap) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (r < 0) {
		free(buf);
		return -errno;
	}
	buf[len] = 0;
	*answer = buf;
	return 0;
}

int ctl_request(const char *socket_path, const char *req, char **answer)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	size_t n = strlen(req);
	int fd, err;

	if (strlen(socket_path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    write(fd, req, n) != (ssize_t)n || write(fd, "\n", 1) != 1) {
		err = -errno;
		goto out;
	}
	shutdown(fd, SHUT_WR);
	err = read_all(fd, answer);
out:
	close(fd);
	return err;
}

/* The hint that goes with a connection error. */
static const char *hint(int err)
{
	switch (err) {
	case -ENOENT:
	case -ECONNREFUSED:
		return " (is turnd running? is control.socket set to this path?)";
	case -EACCES:
	case -EPERM:
		return " (the socket is mode 0600: run turnctl as turnd's user or root)";
	default:
		return "";
	}
}

int ctl_call(const struct ctl_opts *o, const char *req, struct jdoc *d)
{
	const char *code, *why;
	char *ans = NULL;
	int err = ctl_request(o->socket, req, &ans);

	if (err) {
		fprintf(stderr, "turnctl: cannot talk to turnd at %s: %s%s\n", o->socket,
			strerror(-err), hint(err));
		return CTL_ERR;
	}
	if (o->json)
		fputs(ans, stdout);
	err = jdoc_parse(ans, d);
	if (err) {
		fprintf(stderr, "turnctl: turnd at %s sent an answer that is not JSON: %.200s\n",
			o->socket, *ans ? ans : "(nothing)\n");
		free(ans);
		return CTL_ERR;
	}
	free(ans);
	why = jdoc_get(d, "ok");
	if (why && !strcmp(why, "true"))
		return CTL_OK;
	why = jdoc_get(d, "error");
	code = jdoc_get(d, "code");
	fprintf(stderr, "turnctl: %s\n", why ? why : "turnd refused the request");
	err = code && !strcmp(code, "not_found") ? CTL_NOTFOUND : CTL_ERR;
	jdoc_free(d);
	return err;
}
