/* gen.c - benchmark load: ChannelData frames from N flows at full speed via live-frames XDP_TX. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "gen.skel.h"

#define FRAME_MAX 1514
#define CALL_NS 500000000ull	/* size each live-frames call to about 0.5 s */
#define FIRST_REPEAT 65536
#define MAX_CALLS 100000

struct gen_opts {
	const char *dev, *flows_path;
	uint8_t smac[6], dmac[6];
	struct in_addr src, dst;
	uint16_t dport;
	unsigned size;		/* application bytes per ChannelData message */
	double duration;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = sig;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Ones' complement sum of len bytes (big-endian 16-bit words), not folded. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The template frame: Ethernet, IPv4 (with checksum), UDP (no port, no sum), ChannelData. */
static size_t build_frame(const struct gen_opts *o, uint8_t *f)
{
	size_t udp_len = 8 + 4 + o->size, ip_len = 20 + udp_len;
	size_t i;

	memset(f, 0, FRAME_MAX);
	memcpy(f, o->dmac, 6);
	memcpy(f + 6, o->smac, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)(ip_len >> 8);
	f[17] = (uint8_t)ip_len;
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 26, &o->src, 4);
	memcpy(f + 30, &o->dst, 4);
	i = fold(sum16(f + 14, 20, 0));
	f[24] = (uint8_t)(i >> 8);
	f[25] = (uint8_t)i;
	f[36] = (uint8_t)(o->dport >> 8);
	f[37] = (uint8_t)o->dport;
	f[38] = (uint8_t)(udp_len >> 8);
	f[39] = (uint8_t)udp_len;
	f[44] = (uint8_t)(o->size >> 8);
	f[45] = (uint8_t)o->size;
	for (i = 0; i < o->size; i++)
		f[46 + i] = (uint8_t)(i * 7 + 1);
	return 14 + ip_len;
}

/* The full UDP checksum of frame f with source port sport and channel chan. */
static uint16_t udp_check(uint8_t *f, size_t len, uint16_t sport, uint16_t chan)
{
	uint8_t ph[4] = { 0, 17, f[38], f[39] };
	uint32_t sum;
	uint16_t c;

	f[34] = (uint8_t)(sport >> 8);
	f[35] = (uint8_t)sport;
	f[42] = (uint8_t)(chan >> 8);
	f[43] = (uint8_t)chan;
	f[40] = f[41] = 0;
	sum = sum16(f + 26, 8, 0);
	sum = sum16(ph, 4, sum);
	sum = sum16(f + 34, len - 34, sum);
	c = fold(sum);
	return c ? c : 0xffff;
}

/* Read "client_port channel relay_port" lines into flows[]; returns the count or -errno. */
static int read_flows(const struct gen_opts *o, struct gen_flow *flows, uint8_t *frame,
		      size_t len)
{
	FILE *fp = fopen(o->flows_path, "r");
	unsigned port, chan, relay;
	char line[128];
	int n = 0;

	if (!fp) {
		fprintf(stderr, "turnbench-gen: cannot open %s: %s\n", o->flows_path,
			strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), fp) && n < GEN_MAX_FLOWS) {
		if (sscanf(line, "%u %u %u", &port, &chan, &relay) != 3)
			continue;
		flows[n].sport = htons((uint16_t)port);
		flows[n].channel = htons((uint16_t)chan);
		flows[n].udp_check = htons(udp_check(frame, len, (uint16_t)port, (uint16_t)chan));
		n++;
	}
	fclose(fp);
	return n;
}

/* Write flows[0..n) into the program's map. 0 or -errno. */
static int put_flows(struct gen_bpf *skel, const struct gen_flow *flows, int n)
{
	int fd = bpf_map__fd(skel->maps.gen_flows);
	uint32_t i;

	for (i = 0; i < (uint32_t)n; i++)
		if (bpf_map_update_elem(fd, &i, &flows[i], 0))
			return -errno;
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

/* Send for o->duration seconds, calls sized to CALL_NS; prints sent packets and time. */
static int blast(const struct gen_opts *o, int prog_fd, int ifindex, uint8_t *frame, size_t len)
{
	uint64_t t0 = now_ns(), end = t0 + (uint64_t)(o->duration * 1e9), t, dt, sent = 0;
	uint64_t repeat = FIRST_REPEAT, left;
	int calls = 0, err = 0;

	while (!stop && (t = now_ns()) < end && calls < MAX_CALLS) {
		left = end - t;
		if (sent && left < CALL_NS)	/* the last call: only what fits the time left */
			repeat = repeat * left / CALL_NS + 1;
		err = run_once(prog_fd, ifindex, frame, len, (uint32_t)repeat);
		if (err)
			break;
		dt = now_ns() - t;
		sent += repeat;
		calls++;
		repeat = dt ? repeat * CALL_NS / dt : repeat * 2;
		if (repeat < 1024)
			repeat = 1024;
		if (repeat > 100000000)
			repeat = 100000000;
	}
	dt = now_ns() - t0;
	printf("sent=%llu ns=%llu calls=%d pps=%.0f\n", (unsigned long long)sent,
	       (unsigned long long)dt, calls, dt ? sent * 1e9 / dt : 0.0);
	if (err)
		fprintf(stderr, "turnbench-gen: BPF_PROG_TEST_RUN (live frames) failed: %s\n",
			strerror(-err));
	return err;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3],
		      &mac[4], &mac[5]) == 6 ? 0 : -EINVAL;
}

static int parse_opts(int argc, char **argv, struct gen_opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "i:f:S:D:s:d:p:l:t:")) != -1) {
		switch (c) {
		case 'i': o->dev = optarg; break;
		case 'f': o->flows_path = optarg; break;
		case 'S': if (parse_mac(optarg, o->smac)) return -EINVAL; break;
		case 'D': if (parse_mac(optarg, o->dmac)) return -EINVAL; break;
		case 's': if (inet_pton(AF_INET, optarg, &o->src) != 1) return -EINVAL; break;
		case 'd': if (inet_pton(AF_INET, optarg, &o->dst) != 1) return -EINVAL; break;
		case 'p': o->dport = (uint16_t)atoi(optarg); break;
		case 'l': o->size = (unsigned)atoi(optarg); break;
		case 't': o->duration = atof(optarg); break;
		default: return -EINVAL;
		}
	}
	if (!o->dev || !o->flows_path || !o->dport || o->size < 4 ||
	    o->size > FRAME_MAX - 14 - 20 - 8 - 4 || o->duration <= 0 || o->duration > 600)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct gen_opts o = { .size = 100, .duration = 5 };
	static struct gen_flow flows[GEN_MAX_FLOWS];
	static uint8_t frame[FRAME_MAX];
	struct gen_bpf *skel = NULL;
	int ifindex, n, err = 1;
	size_t len;

	if (parse_opts(argc, argv, &o)) {
		fprintf(stderr, "usage: turnbench-gen -i DEV -f FLOWS -S SRC_MAC -D DST_MAC -s SRC_IP"
			" -d DST_IP -p DST_PORT [-l SIZE] [-t SECONDS]\n");
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	ifindex = (int)if_nametoindex(o.dev);
	if (!ifindex) {
		fprintf(stderr, "turnbench-gen: no interface %s: %s\n", o.dev, strerror(errno));
		return 1;
	}
	len = build_frame(&o, frame);
	n = read_flows(&o, flows, frame, len);
	if (n <= 0) {
		fprintf(stderr, "turnbench-gen: no flows in %s\n", o.flows_path);
		return 1;
	}
	skel = gen_bpf__open();
	if (!skel)
		return 1;
	memcpy(skel->bss->hdr, frame, GEN_HDR_LEN);
	skel->rodata->nflows = (uint32_t)n;
	if (gen_bpf__load(skel) || put_flows(skel, flows, n)) {
		fprintf(stderr, "turnbench-gen: cannot load the generator program\n");
		goto out;
	}
	err = blast(&o, bpf_program__fd(skel->progs.gen), ifindex, frame, len) ? 1 : 0;
out:
	gen_bpf__destroy(skel);
	if (stop) {	/* die of the signal, so that the calling shell stops too */
		fflush(stdout);
		signal(stop, SIG_DFL);
		raise(stop);
	}
	return err;
}
