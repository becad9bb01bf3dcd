/* netns_rig.h - for root tests: own net and mount namespaces, a private bpffs, logs captured. */
#ifndef TURND_TEST_NETNS_RIG_H
#define TURND_TEST_NETNS_RIG_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "tap.h"

/* Where the private bpffs is mounted, and the pin directory the fast path is given in it. */
struct netns_rig {
	char bpffs[64];
	char pin_path[128];
};

/* Run a shell command; a failure is reported as a diagnostic. Returns system()'s status. */
static inline int sh(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		diag("command failed (%d): %s", rc, cmd);
	return rc;
}

/*
 * Enter a new network and mount namespace, mount a bpffs on /tmp/name.XXXXXX and run the
 * ncmds commands (ip, sysctl) that build the network. 0 or -errno (-EIO: a command failed).
 */
static inline int netns_setup(struct netns_rig *n, const char *name, const char *const *cmds,
			      size_t ncmds)
{
	snprintf(n->bpffs, sizeof(n->bpffs), "/tmp/%s.XXXXXX", name);
	if (unshare(CLONE_NEWNET | CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
		return -errno;
	if (!mkdtemp(n->bpffs))
		return -errno;
	if (mount("bpf", n->bpffs, "bpf", 0, "mode=0700"))
		return -errno;
	snprintf(n->pin_path, sizeof(n->pin_path), "%s/turnd", n->bpffs);
	for (size_t i = 0; i < ncmds; i++)
		if (sh(cmds[i]))
			return -EIO;
	return 0;
}

/* Unmount and remove the bpffs (the namespaces go with the process). */
static inline void netns_teardown(struct netns_rig *n)
{
	umount2(n->bpffs, MNT_DETACH);
	rmdir(n->bpffs);
}

static inline uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ip (a literal, v4 or v6) and port; aborts on a bad literal. */
static inline sockaddr_u sa(const char *ip, uint16_t port)
{
	sockaddr_u a;

	memset(&a, 0, sizeof(a));
	if (addr_parse_ip(ip, &a))
		abort();
	addr_set_port(&a, port);
	return a;
}

/* stderr (where log.c writes) into a temporary file while capturing. */
static FILE *cap_file;
static int cap_saved = -1;

static inline void capture_start(void)
{
	fflush(stderr);
	cap_file = tmpfile();
	cap_saved = dup(2);
	if (cap_file)
		dup2(fileno(cap_file), 2);
}

/* The captured lines into buf (len bytes), echoed as diagnostics. Returns buf. */
static inline const char *capture_end(char *buf, size_t len)
{
	size_t n;

	fflush(stderr);
	dup2(cap_saved, 2);
	close(cap_saved);
	buf[0] = '\0';
	if (!cap_file)
		return buf;
	rewind(cap_file);
	n = fread(buf, 1, len - 1, cap_file);
	buf[n] = '\0';
	fclose(cap_file);
	for (char *l = buf, *e; *l; l = e + 1) {
		e = strchrnul(l, '\n');
		diag("log: %.*s", (int)(e - l), l);
		if (!*e)
			break;
	}
	return buf;
}

#endif
