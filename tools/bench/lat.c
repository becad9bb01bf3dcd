/* lat.c - latency probe: ChannelData pings through the relay to a UDP echo at the peer. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "log.h"
#include "frame.h"
#include "turnc.h"

/*
 * turnbench-lat ping: one allocation with channel PING_CHANNEL to the echo, then a ping every
 * interval (default 1 ms) for the given time or until SIGTERM/SIGINT: ChannelData carrying
 * a magic, a sequence number and the CLOCK_MONOTONIC send time. The echo sends the data back
 * to the relayed address, the relay frames it as ChannelData, and the round trip is the
 * receive time minus the send time (one host, one clock). Prints "ready" once the channel
 * is bound, and at the end the counts and p50/p99/p99.9/max in microseconds. SIGUSR1 and
 * SIGUSR2 mark the start and the end of a load: once they are used, only the pings sent
 * under load count (the probe can then span several load runs and the pauses between them).
 * turnbench-lat echo: echoes every UDP datagram back to its sender, for the given time.
 */
#define PING_CHANNEL 0x4fff
#define PING_MAGIC 0x54424c50u	/* "TBLP" */
#define PING_LEN 16		/* magic, seq, time */
#define MAX_PINGS 1000000
#define MAX_SECONDS 280		/* under the permission's 300 s: no refresh needed */
#define GRACE_NS 200000000ull	/* wait for late answers after the last ping */
#define MSG_MAX 2048

struct ping {
	struct turnc_alloc al;
	uint64_t interval_ns, end_ns;
	uint64_t *rtt;		/* per seq: round trip + 1 in ns, 0 = no answer yet */
	uint8_t *loaded;	/* per seq: sent under load */
	uint32_t max, sent, recv;
};

static volatile sig_atomic_t stop;
static volatile sig_atomic_t load = -1;	/* -1: never told; 0 or 1: under load */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_load(int sig)
{
	load = sig == SIGUSR1;
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static int send_ping(struct ping *pg)
{
	uint8_t m[4 + PING_LEN];
	uint64_t t = bench_now_ns();

	m[0] = PING_CHANNEL >> 8;
	m[1] = PING_CHANNEL & 0xff;
	m[2] = 0;
	m[3] = PING_LEN;
	put32(m + 4, PING_MAGIC);
	put32(m + 8, pg->sent);
	put32(m + 12, (uint32_t)(t >> 32));
	put32(m + 16, (uint32_t)t);
	if (send(pg->al.fd, m, sizeof(m), 0) < 0 && errno != EAGAIN && errno != ENOBUFS &&
	    errno != ECONNREFUSED)
		return -errno;
	pg->loaded[pg->sent] = load != 0;
	pg->sent++;
	return 0;
}

/* Record the answer in m (n bytes) if it is one of our pings, answered the first time. */
static void take_answer(struct ping *pg, const uint8_t *m, ssize_t n, uint64_t now)
{
	uint32_t seq;
	uint64_t t;

	if (n != 4 + PING_LEN || m[0] != PING_CHANNEL >> 8 || m[1] != (PING_CHANNEL & 0xff) ||
	    m[2] != 0 || m[3] != PING_LEN || get32(m + 4) != PING_MAGIC)
		return;
	seq = get32(m + 8);
	t = (uint64_t)get32(m + 12) << 32 | get32(m + 16);
	if (seq >= pg->sent || pg->rtt[seq] || t > now)
		return;
	pg->rtt[seq] = now - t + 1;
	pg->recv++;
}

/* Read every answer waiting on the socket, for at most wait_ns. */
static void drain(struct ping *pg, uint64_t wait_ns)
{
	struct pollfd pfd = { .fd = pg->al.fd, .events = POLLIN };
	struct timespec ts = { .tv_sec = (time_t)(wait_ns / 1000000000ull),
			       .tv_nsec = (long)(wait_ns % 1000000000ull) };
	uint8_t m[MSG_MAX];
	int i;

	if (ppoll(&pfd, 1, &ts, NULL) <= 0)
		return;
	for (i = 0; i < 256; i++) {
		ssize_t n = recv(pg->al.fd, m, sizeof(m), MSG_DONTWAIT);

		if (n < 0)
			break;
		take_answer(pg, m, n, bench_now_ns());
	}
}

/* Ping every interval until the end, a signal, or MAX_PINGS; then wait GRACE_NS for stragglers. */
static int ping_loop(struct ping *pg)
{
	uint64_t next = bench_now_ns(), t, grace;
	int err;

	while (!stop && pg->sent < pg->max && (t = bench_now_ns()) < pg->end_ns) {
		if (t >= next) {
			err = send_ping(pg);
			if (err)
				return err;
			next += pg->interval_ns;
			if (next + 10 * pg->interval_ns < t)	/* starved: no catch-up burst */
				next = t + pg->interval_ns;
			continue;
		}
		drain(pg, next - t);
	}
	grace = bench_now_ns() + GRACE_NS;
	while (pg->recv < pg->sent && (t = bench_now_ns()) < grace)
		drain(pg, grace - t);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile (nearest rank) of n sorted values, in microseconds. */
static double quantile_us(const uint64_t *v, uint32_t n, double q)
{
	uint32_t r = (uint32_t)ceil(q * n);

	return (double)v[r ? r - 1 : 0] / 1000.0;
}

/* Counts and quantiles of the pings sent under load (all of them when never told). */
static void report(struct ping *pg)
{
	uint32_t i, n = 0, sent = 0;

	for (i = 0; i < pg->sent; i++) {
		if (!pg->loaded[i])
			continue;
		sent++;
		if (pg->rtt[i])
			pg->rtt[n++] = pg->rtt[i] - 1;
	}
	qsort(pg->rtt, n, sizeof(*pg->rtt), cmp_u64);
	printf("sent=%u recv=%u", sent, n);
	if (n)
		printf(" p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f",
		       quantile_us(pg->rtt, n, 0.5), quantile_us(pg->rtt, n, 0.99),
		       quantile_us(pg->rtt, n, 0.999), quantile_us(pg->rtt, n, 1.0));
	printf("\n");
}

/* Allocate, permit the peer, bind PING_CHANNEL. 0, a STUN error code, or -errno. */
static int ping_setup(struct turnc_sess *s, struct ping *pg, const sockaddr_u *local,
		      const sockaddr_u *peer)
{
	int err = turnc_open(s, &pg->al, local);

	if (!err)
		err = turnc_allocate(s, &pg->al);
	if (!err)
		err = turnc_permit(s, &pg->al, peer);
	if (!err)
		err = turnc_bind(s, &pg->al, peer, PING_CHANNEL);
	if (err)
		pr_err("msg=\"latency probe setup failed\" err=%d (%s)", err, turnc_strerror(err));
	return err;
}

static int cmd_ping(int argc, char **argv)
{
	struct turnc_sess s = { .user = "alice", .password = "s3cret", .lifetime = 600,
				.stop = &stop };
	struct ping pg = { .al.fd = -1, .interval_ns = 1000000 };
	sockaddr_u local = {}, peer = {};
	double secs = 0;
	int c, err = 1;

	while ((c = getopt(argc, argv, "s:p:l:t:i:")) != -1) {
		switch (c) {
		case 's': if (addr_parse(optarg, 3478, &s.server)) goto usage; break;
		case 'p': if (addr_parse(optarg, 0, &peer)) goto usage; break;
		case 'l': if (addr_parse(optarg, 0, &local)) goto usage; break;
		case 't': secs = atof(optarg); break;
		case 'i': pg.interval_ns = (uint64_t)atoi(optarg) * 1000; break;
		default: goto usage;
		}
	}
	if (!s.server.sa.sa_family || !peer.sa.sa_family || !local.sa.sa_family || secs <= 0 ||
	    secs > MAX_SECONDS || pg.interval_ns < 10000 || pg.interval_ns > 1000000000)
		goto usage;
	pg.max = (uint32_t)(secs * 1e9 / (double)pg.interval_ns) + 1;
	if (pg.max > MAX_PINGS)
		pg.max = MAX_PINGS;
	pg.rtt = calloc(pg.max, sizeof(*pg.rtt));
	pg.loaded = calloc(pg.max, 1);
	if (!pg.rtt || !pg.loaded || ping_setup(&s, &pg, &local, &peer))
		goto out;
	printf("ready\n");
	fflush(stdout);
	pg.end_ns = bench_now_ns() + (uint64_t)(secs * 1e9);
	if (ping_loop(&pg)) {
		pr_err("msg=\"ping send failed\" err=%s", strerror(errno));
		goto out;
	}
	report(&pg);
	err = 0;
out:
	turnc_release(&s, &pg.al);
	free(pg.rtt);
	free(pg.loaded);
	return err;
usage:
	fprintf(stderr, "usage: turnbench-lat ping -s SERVER:PORT -p PEER:PORT -l LOCAL_IP "
		"-t SECONDS [-i INTERVAL_US]\n");
	return 2;
}

/* Echo every datagram on fd back to its sender until end_ns or a signal. */
static void echo_loop(int fd, uint64_t end_ns)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t m[MSG_MAX];
	sockaddr_u from;
	socklen_t flen;
	uint64_t t, n = 0;
	ssize_t len;

	while (!stop && (t = bench_now_ns()) < end_ns && n < 1000000000ull) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		flen = sizeof(from);
		len = recvfrom(fd, m, sizeof(m), MSG_DONTWAIT, &from.sa, &flen);
		if (len < 0)
			continue;
		if (sendto(fd, m, (size_t)len, 0, &from.sa, flen) == len)
			n++;
	}
}

static int cmd_echo(int argc, char **argv)
{
	sockaddr_u local = {};
	double secs = 0;
	int c, fd;

	while ((c = getopt(argc, argv, "l:t:")) != -1) {
		switch (c) {
		case 'l': if (addr_parse(optarg, 7, &local)) goto usage; break;
		case 't': secs = atof(optarg); break;
		default: goto usage;
		}
	}
	if (!local.sa.sa_family || secs <= 0 || secs > 86400)
		goto usage;
	fd = socket(local.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, &local.sa, addr_len(&local))) {
		pr_err("msg=\"echo socket failed\" err=%s", strerror(errno));
		return 1;
	}
	echo_loop(fd, bench_now_ns() + (uint64_t)(secs * 1e9));
	close(fd);
	return 0;
usage:
	fprintf(stderr, "usage: turnbench-lat echo -l IP:PORT -t SECONDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGUSR1, on_load);
	signal(SIGUSR2, on_load);
	if (argc > 1 && !strcmp(argv[1], "ping"))
		return cmd_ping(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "echo"))
		return cmd_echo(argc - 1, argv + 1);
	fprintf(stderr, "usage: turnbench-lat ping ... | turnbench-lat echo ...\n");
	return 2;
}
