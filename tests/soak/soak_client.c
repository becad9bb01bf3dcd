/* soak_client.c - the soak test's one binary: `run` (the clients), `echo` (the peer), `maps`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "soak.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} cmds[] = {
	{ "run", soak_run, "the clients: allocations, refreshes, traffic, vanishing clients" },
	{ "echo", soak_echo, "the peer: echoes every datagram, counts" },
	{ "maps", soak_maps, "entries of turnd's pinned XDP maps, matched to the clients" },
};

static uint64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t soak_now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

uint64_t soak_epoch_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

int soak_write_file(const char *path, const char *text)
{
	char tmp[4096];
	size_t len = strlen(text);
	ssize_t n;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0 || (size_t)n != len)
		err = n < 0 ? -errno : -EIO;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

long long soak_num(const char *opt, const char *s, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "soak-client: %s: \"%s\" is not a number from %lld to %lld\n", opt,
			s, min, max);
		return -EINVAL;
	}
	return v;
}

static int usage(void)
{
	fprintf(stderr, "usage: soak-client COMMAND [OPTIONS]   (COMMAND -h for its options)\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "  %-6s %s\n", cmds[i].name, cmds[i].what);
	return 2;
}

int main(int argc, char **argv)
{
	log_set_rate(50);
	if (argc < 2)
		return usage();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	return usage();
}
