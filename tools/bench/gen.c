/* gen.c - benchmark load: frames of N flows, either way, via live-frames XDP_TX (or a shaper). */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "frame.h"
#include "gen.skel.h"

#define CALL_NS 500000000ull	/* size each live-frames call to about 0.5 s (~28 ms fixed) */
#define FIRST_REPEAT 65536
#define MAX_CALLS 100000

struct gen_opts {
	const char *dev, *out_dev, *flows_path;
	struct frame_spec spec;
	double duration;
	double rate;		/* packets per second; 0: as fast as it goes */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

/* Write flows[0..n) into the program's map, as prepared against the template. 0 or -errno. */
static int put_flows(const struct gen_opts *o, struct gen_bpf *skel, const struct bench_flow *flows,
		     int n, uint8_t *frame, size_t len)
{
	int fd = bpf_map__fd(skel->maps.gen_flows), err;
	struct gen_flow g;
	uint32_t i;

	for (i = 0; i < (uint32_t)n; i++) {
		frame_flow(&o->spec, frame, len, &flows[i], &g);
		if (bpf_map_update_elem(fd, &i, &g, 0)) {
			err = -errno;
			fprintf(stderr, "turnbench-gen: writing flow %u failed: %s\n", i,
				strerror(errno));
			return err;
		}
	}
	return 0;
}

/* One live-frames call of `repeat` packets. 0 or -errno. */
static int run_once(int prog_fd, int ifindex, uint8_t *frame, size_t len, uint32_t repeat)
{
	struct xdp_md ctx = { .data_end = (uint32_t)len, .ingress_ifindex = (uint32_t)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = (uint32_t)len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = repeat,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

	return bpf_prog_test_run_opts(prog_fd, &opts) ? -errno : 0;
}

/* The next call's size: what fits CALL_NS at the measured speed. */
static uint64_t next_repeat(uint64_t repeat, uint64_t dt)
{
	repeat = dt ? repeat * CALL_NS / dt : repeat * 2;
	if (repeat < 1024)
		repeat = 1024;
	if (repeat > 100000000)
		repeat = 100000000;
	return repeat;
}

/*
 * Send for o->duration seconds, in calls sized to CALL_NS (at a fixed rate the program
 * paces itself, dropping the runs that come early). Prints the packets sent (the program's
 * count) and the time taken.
 */
static int blast(const struct gen_opts *o, struct gen_bpf *skel, int ifindex, uint8_t *frame,
		 size_t len)
{
	uint64_t t0 = bench_now_ns(), end = t0 + (uint64_t)(o->duration * 1e9), t, dt, sent;
	uint64_t repeat = FIRST_REPEAT, left, runs = 0;
	int prog_fd = bpf_program__fd(skel->progs.gen), calls = 0, err = 0;

	while (!stop && (t = bench_now_ns()) < end && calls < MAX_CALLS) {
		left = end - t;
		if (runs && left < CALL_NS)	/* the last call: only what fits the time left */
			repeat = repeat * left / CALL_NS + 1;
		err = run_once(prog_fd, ifindex, frame, len, (uint32_t)repeat);
		if (err)
			break;
		dt = bench_now_ns() - t;
		runs += repeat;
		calls++;
		repeat = next_repeat(repeat, dt);
	}
	sent = skel->bss->sent;
	dt = bench_now_ns() - t0;
	printf("sent=%llu ns=%llu calls=%d pps=%.0f\n", (unsigned long long)sent,
	       (unsigned long long)dt, calls, dt ? sent * 1e9 / dt : 0.0);
	if (err)
		fprintf(stderr, "turnbench-gen: BPF_PROG_TEST_RUN (live frames) failed: %s\n",
			strerror(-err));
	return err;
}

/* Shaper: attach to o->dev in native mode (it stays after exit), redirecting to out. */
static int attach_shaper(struct gen_bpf *skel, int ifindex, const char *dev)
{
	int err;

	if (bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.gen), XDP_FLAGS_DRV_MODE, NULL)) {
		err = -errno;
		fprintf(stderr, "turnbench-gen: attach to %s (native) failed: %s\n", dev,
			strerror(errno));
		return err;
	}
	printf("shaper attached\n");
	return 0;
}

static int parse_opts(int argc, char **argv, struct gen_opts *o)
{
	struct frame_spec *s = &o->spec;
	int c;

	while ((c = getopt(argc, argv, "i:o:f:m:S:D:s:d:p:l:t:r:")) != -1) {
		int rc = frame_spec_opt(c, optarg, s);

		if (rc < 0)
			return rc;
		if (rc)
			continue;
		switch (c) {
		case 'i': o->dev = optarg; break;
		case 'o': o->out_dev = optarg; break;
		case 'f': o->flows_path = optarg; break;
		case 't': o->duration = atof(optarg); break;
		case 'r': o->rate = atof(optarg); break;
		default: return -EINVAL;
		}
	}
	if (!o->dev || !o->flows_path || (s->dir == DIR_C2P && !s->dport) ||
	    s->size < FRAME_SIZE_MIN || s->size > FRAME_SIZE_MAX || o->rate < 0 || o->rate > 1e9)
		return -EINVAL;
	if (!o->out_dev && (o->duration <= 0 || o->duration > 600))
		return -EINVAL;
	s->no_csum = o->out_dev != NULL;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: turnbench-gen -i DEV -f FLOWS -m c2p|p2c -S SRC_MAC -D DST_MAC -s SRC_IP\n"
		"       -d DST_IP [-p LISTEN_PORT] [-l SIZE] (-t SECONDS [-r PPS] | -o OUT_DEV)\n"
		"Sends SIZE-byte messages of the flows in FLOWS (\"client_port channel\n"
		"relay_port peer_port\" lines), one flow after the other, from DEV with\n"
		"live-frames XDP_TX for SECONDS at PPS (0: as fast as it goes); prints\n"
		"\"sent=N ns=T\". With -o, attaches the same rewrite to DEV as a shaper for\n"
		"kernel pktgen's frames, redirected to OUT_DEV, and exits.\n");
}

int main(int argc, char **argv)
{
	struct gen_opts o = { .spec.size = 100, .duration = 5 };
	static struct bench_flow flows[GEN_MAX_FLOWS];
	static uint8_t frame[FRAME_MAX];
	struct gen_bpf *skel = NULL;
	int ifindex, out = 0, n, err = 1;
	size_t len;

	if (parse_opts(argc, argv, &o)) {
		usage();
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	ifindex = (int)if_nametoindex(o.dev);
	if (o.out_dev)
		out = (int)if_nametoindex(o.out_dev);
	if (!ifindex || (o.out_dev && !out)) {
		fprintf(stderr, "turnbench-gen: no interface %s\n", ifindex ? o.out_dev : o.dev);
		return 1;
	}
	n = frame_read_flows(o.flows_path, flows, GEN_MAX_FLOWS);
	if (n < 0)
		return 1;
	len = frame_build(&o.spec, frame);
	skel = gen_bpf__open();
	if (!skel)
		return 1;
	memcpy(skel->bss->hdr, frame, GEN_HDR_LEN);
	skel->rodata->nflows = (uint32_t)n;
	skel->rodata->dir = (uint32_t)o.spec.dir;
	skel->rodata->out_ifindex = (uint32_t)out;
	skel->rodata->frame_len = (uint32_t)len;
	skel->rodata->gap_ns = o.rate > 0 && !o.out_dev ? (uint64_t)(1e9 / o.rate) : 0;
	if (gen_bpf__load(skel)) {
		fprintf(stderr, "turnbench-gen: cannot load the generator program\n");
		goto out;
	}
	if (put_flows(&o, skel, flows, n, frame, len))
		goto out;
	if (o.out_dev)
		err = attach_shaper(skel, ifindex, o.dev) ? 1 : 0;
	else
		err = blast(&o, skel, ifindex, frame, len) ? 1 : 0;
out:
	gen_bpf__destroy(skel);
	if (stop) {	/* die of the signal, so that the calling shell stops too */
		fflush(stdout);
		signal(stop, SIG_DFL);
		raise(stop);
	}
	return err;
}
