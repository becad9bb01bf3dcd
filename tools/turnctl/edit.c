/* edit.c - for the commands that edit turnd's files: load the config, atomic writes, reload. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "turnctl.h"

#define MAX_EDIT_FILE (16 << 20)	/* a users file or config larger than this is refused */

int ctl_load_config(const struct ctl_opts *o, struct turnd_config *c)
{
	char err[512];

	if (config_load(o->config, c, err, sizeof(err))) {
		fprintf(stderr, "turnctl: cannot load the configuration: %s\n", err);
		return CTL_ERR;
	}
	return CTL_OK;
}

int ctl_read_file(const char *path, char **buf, size_t *len)
{
	struct stat st;
	char *b = NULL;
	ssize_t r;
	size_t n = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	err = -EFBIG;
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_EDIT_FILE)
		goto out;
	err = -ENOMEM;
	b = malloc((size_t)st.st_size + 1);
	if (!b)
		goto out;
	while (n < (size_t)st.st_size && (r = read(fd, b + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)r;
	b[n] = 0;
	*buf = b;
	*len = n;
	b = NULL;
	err = 0;
out:
	free(b);
	close(fd);
	return err;
}

/* Write all of buf to fd, then flush it to disk. 0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += w;
		len -= (size_t)w;
	}
	return fsync(fd) ? -errno : 0;
}

/*
 * The old file's owner and group are kept (turnd may run as another user, reading through its
 * group); "other" loses every bit. A new file stays 0600.
 */
static void copy_owner(int fd, const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return;
	fchmod(fd, (st.st_mode & 0750) | 0600);
	if (fchown(fd, st.st_uid, st.st_gid) && errno != EPERM)
		fprintf(stderr, "turnctl: warning: cannot keep the owner of %s: %s\n", path,
			strerror(errno));
}

int ctl_write_atomic(const char *path, const char *buf, size_t len)
{
	char *tmp = NULL;
	int fd, err;

	if (asprintf(&tmp, "%s.turnctl.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkostemp(tmp, O_CLOEXEC);	/* mode 0600 */
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "turnctl: cannot create a temporary file beside %s: %s\n", path,
			strerror(-err));
		goto out;
	}
	copy_owner(fd, path);
	err = write_all(fd, buf, len);
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		fprintf(stderr, "turnctl: cannot write %s: %s\n", path, strerror(-err));
		unlink(tmp);
	}
out:
	free(tmp);
	return err;
}

void ctl_reload_after_edit(const struct ctl_opts *o, const struct turnd_config *c)
{
	const char *sock = o->socket_set || !c->control_socket ? o->socket : c->control_socket;
	char *ans = NULL;
	int err = ctl_request(sock, "{\"cmd\":\"reload\"}", &ans);

	if (!err && ans && strstr(ans, "\"ok\":true"))
		printf("turnd at %s reloads now\n", sock);
	else
		printf("turnd is not reachable at %s (%s): the change applies at its next reload "
		       "(SIGHUP or turnctl reload) or start\n", sock,
		       err ? strerror(-err) : "it refused the reload");
	free(ans);
}
