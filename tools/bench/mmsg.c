/* mmsg.c - benchmark load through the socket layer: sendmmsg() on a raw socket, flows in turn. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "bench.h"
#include "frame.h"

/*
 * The frames of turnbench-gen (frame.c), sent from the stack instead of from XDP: an
 * IPPROTO_RAW socket (IP_HDRINCL) takes the IP header of each message, so every packet
 * can come from another flow's port without a socket per flow. Each message is two pieces:
 * the flow's 32 header bytes (IP, UDP, the ChannelData header or the payload's first 4
 * bytes) and the payload behind them, shared by all. Bounded by time and by count.
 */
#define BATCH 64
#define HDR 32			/* IP + UDP + 4 */

struct mmsg_opts {
	const char *flows_path;
	struct frame_spec spec;
	double duration, rate;
	uint64_t count;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000ull),
			       .tv_nsec = (long)(t % 1000000000ull) };

	while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Every flow's header bytes into hdrs (n * HDR). Returns the number of flows or -errno. */
static int prepare(const struct mmsg_opts *o, uint8_t *frame, size_t len, uint8_t **hdrs)
{
	static struct bench_flow flows[GEN_MAX_FLOWS];
	struct gen_flow g;
	int n, i;

	n = frame_read_flows(o->flows_path, flows, GEN_MAX_FLOWS);
	if (n < 0)
		return n;
	*hdrs = malloc((size_t)n * HDR);
	if (!*hdrs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		frame_flow(&o->spec, frame, len, &flows[i], &g);
		memcpy(*hdrs + (size_t)i * HDR, frame + 14, HDR);
	}
	return n;
}

/* Send batches until the time, the count or a signal ends it; print what was sent. */
static int blast(const struct mmsg_opts *o, int fd, const uint8_t *hdrs, int n,
		 const uint8_t *payload, size_t plen)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_addr = o->spec.dst };
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH][2];
	uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)(o->duration * 1e9), sent = 0, calls = 0, dt;
	uint64_t left;
	int i, r, flow = 0, err = 0;

	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		iov[i][1].iov_base = (void *)payload;
		iov[i][1].iov_len = plen;
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
		msgs[i].msg_hdr.msg_iov = iov[i];
		msgs[i].msg_hdr.msg_iovlen = 2;
	}
	while (!stop && sent < o->count && bench_now_ns() < end) {
		for (i = 0; i < BATCH; i++) {
			iov[i][0].iov_base = (void *)(hdrs + (size_t)flow * HDR);
			iov[i][0].iov_len = HDR;
			flow = flow + 1 == n ? 0 : flow + 1;
		}
		left = o->count - sent < BATCH ? o->count - sent : BATCH;
		r = sendmmsg(fd, msgs, (unsigned)left, 0);
		calls++;
		if (r < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
			err = -errno;
			break;
		}
		if (r > 0)
			sent += (uint64_t)r;
		if (o->rate > 0)
			sleep_until(t0 + (uint64_t)(sent / o->rate * 1e9));
	}
	dt = bench_now_ns() - t0;
	printf("sent=%llu ns=%llu calls=%llu pps=%.0f\n", (unsigned long long)sent,
	       (unsigned long long)dt, (unsigned long long)calls, dt ? sent * 1e9 / dt : 0.0);
	if (err)
		fprintf(stderr, "turnbench-mmsg: sendmmsg failed: %s\n", strerror(-err));
	return err;
}

static int parse_opts(int argc, char **argv, struct mmsg_opts *o)
{
	struct frame_spec *s = &o->spec;
	int c;

	while ((c = getopt(argc, argv, "f:m:s:d:p:l:t:r:c:")) != -1) {
		int rc = frame_spec_opt(c, optarg, s);

		if (rc < 0)
			return rc;
		if (rc)
			continue;
		switch (c) {
		case 'f': o->flows_path = optarg; break;
		case 't': o->duration = atof(optarg); break;
		case 'r': o->rate = atof(optarg); break;
		case 'c': o->count = strtoull(optarg, NULL, 10); break;
		default: return -EINVAL;
		}
	}
	if (!o->flows_path || !s->src.s_addr || !s->dst.s_addr ||
	    (s->dir == DIR_C2P && !s->dport) || s->size < FRAME_SIZE_MIN ||
	    s->size > FRAME_SIZE_MAX || o->duration <= 0 || o->duration > 600 || o->rate < 0 ||
	    o->rate > 1e9 || !o->count)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct mmsg_opts o = { .spec.size = 100, .duration = 5, .count = 1000000000ull };
	static uint8_t frame[FRAME_MAX];
	uint8_t *hdrs = NULL;
	int fd, n, err = 1;
	size_t len;

	if (parse_opts(argc, argv, &o)) {
		fprintf(stderr, "usage: turnbench-mmsg -f FLOWS -m c2p|p2c -s SRC_IP -d DST_IP "
			"[-p LISTEN_PORT] [-l SIZE] -t SECONDS [-r PPS] [-c COUNT]\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	len = frame_build(&o.spec, frame);
	n = prepare(&o, frame, len, &hdrs);
	if (n < 0)
		return 1;
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0) {
		fprintf(stderr, "turnbench-mmsg: raw socket: %s\n", strerror(errno));
		goto out;
	}
	err = blast(&o, fd, hdrs, n, frame + 14 + HDR, len - 14 - HDR) ? 1 : 0;
	close(fd);
out:
	free(hdrs);
	if (stop) {	/* die of the signal, so that the calling shell stops too */
		fflush(stdout);
		signal(stop, SIG_DFL);
		raise(stop);
	}
	return err;
}
