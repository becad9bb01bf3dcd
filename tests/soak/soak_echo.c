/* soak_echo.c - `soak-client echo`: the soak test's peer, sending every datagram back, counted. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "addr.h"
#include "log.h"
#include "soak.h"

#define BATCH 64
#define BUF 2048

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct echo_counts {
	unsigned long long received, echoed, send_err;
};

static void write_counts(const char *path, const struct echo_counts *c)
{
	char line[256];

	snprintf(line, sizeof(line), "received=%llu echoed=%llu send_err=%llu\n", c->received,
		 c->echoed, c->send_err);
	if (path && soak_write_file(path, line))
		pr_warn("msg=\"cannot write the echo stats\" path=%s", path);
}

/* Read a batch and send it back to where each datagram came from. */
static void echo_batch(int fd, struct echo_counts *c)
{
	static uint8_t bufs[BATCH][BUF];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	sockaddr_u from[BATCH];
	int n, sent;

	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = BUF };
		msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i],
						   .msg_namelen = sizeof(from[i]),
						   .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	c->received += (unsigned)n;
	for (int i = 0; i < n; i++)
		iov[i].iov_len = msgs[i].msg_len;
	sent = sendmmsg(fd, msgs, (unsigned)n, 0);
	if (sent > 0)
		c->echoed += (unsigned)sent;
	if (sent < n) {
		c->send_err += (unsigned)(n - (sent > 0 ? sent : 0));
		pr_warn("msg=\"echo send failed\" err=\"%s\"", sent < 0 ? strerror(errno) : "short");
	}
}

static int open_sock(const sockaddr_u *addr)
{
	int one = 1, buf = 8 << 20;
	int fd = socket(addr->sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* a busy machine may leave the peer unscheduled for a while: room for seconds of load
	 * (FORCE: above net.core.rmem_max, as root; else as much as rmem_max allows) */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (bind(fd, &addr->sa, addr_len(addr))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int soak_echo(int argc, char **argv)
{
	struct echo_counts c = { 0 };
	const char *stats = NULL;
	uint64_t end, last = 0, now;
	long long secs = 3600;
	sockaddr_u addr = { 0 };
	char name[ADDR_STRLEN];
	struct pollfd pfd;
	bool bad = false;
	int opt, fd;

	while ((opt = getopt(argc, argv, "l:t:S:")) != -1) {
		switch (opt) {
		case 'l': bad |= addr_parse(optarg, 0, &addr) != 0; break;
		case 't': bad |= (secs = soak_num("-t", optarg, 1, SOAK_MAX_S)) < 0; break;
		case 'S': stats = optarg; break;
		default: bad = true; break;
		}
	}
	if (bad || optind != argc || !addr.sa.sa_family || !addr_port(&addr)) {
		fprintf(stderr, "usage: soak-client echo -l ADDR:PORT [-t SECONDS] [-S STATS]\n"
			"Echoes every datagram to its sender for SECONDS (default 3600) or until\n"
			"SIGTERM; STATS gets \"received=N echoed=N send_err=N\" every second.\n");
		return 2;
	}
	fd = open_sock(&addr);
	if (fd < 0) {
		pr_err("msg=\"cannot bind the echo socket\" addr=%s err=\"%s\"",
		       addr_format(&addr, name, sizeof(name)), strerror(-fd));
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	end = soak_now_ms() + (uint64_t)secs * 1000;
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	while (!stop && (now = soak_now_ms()) < end) {
		if (poll(&pfd, 1, 100) > 0)
			echo_batch(fd, &c);
		if (now >= last + 1000) {
			write_counts(stats, &c);
			last = now;
		}
	}
	write_counts(stats, &c);
	close(fd);
	return 0;
}
