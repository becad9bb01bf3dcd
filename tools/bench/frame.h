/* frame.h - the generators' frames: template, per-flow fields and checksums, the flow file. */
#ifndef TURNBENCH_FRAME_H
#define TURNBENCH_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <netinet/in.h>

#include "bench.h"

#define FRAME_MAX 1514
/* Application bytes per message: what the relay carries (ChannelData data, peer payload). */
#define FRAME_SIZE_MIN 4
#define FRAME_SIZE_MAX (FRAME_MAX - GEN_HDR_LEN)

/*
 * What every frame of a run shares. c2p: client -> listener ChannelData of `size` bytes
 * (UDP payload size + 4). p2c: peer -> relayed address, a UDP payload of `size` bytes.
 */
struct frame_spec {
	int dir;		/* DIR_C2P or DIR_P2C */
	uint8_t smac[6], dmac[6];
	struct in_addr src, dst;
	uint16_t dport;		/* c2p: the listener's port (p2c: per flow) */
	unsigned size;
	bool no_csum;		/* UDP checksum 0: the payload behind the header is not ours */
};

/* One line of the flow file "client_port channel relay_port peer_port" (host order). */
struct bench_flow {
	uint16_t client_port, channel, relay_port, peer_port;
};

/* The template frame (Ethernet, IPv4 with its checksum, UDP without ports, payload) in f. */
size_t frame_build(const struct frame_spec *s, uint8_t f[FRAME_MAX]);
/*
 * Patch flow `in` into the template f (len bytes) and describe it in out: ports, channel,
 * and the UDP checksum of the whole patched frame.
 */
void frame_flow(const struct frame_spec *s, uint8_t *f, size_t len, const struct bench_flow *in,
		struct gen_flow *out);
/* Read up to max flows from path. Returns the count (> 0), or -errno (-ENOENT: none). */
int frame_read_flows(const char *path, struct bench_flow *flows, int max);
/*
 * The generators' frame options into s: -m c2p|p2c, -S/-D SRC_MAC/DST_MAC, -s/-d SRC_IP/
 * DST_IP, -p LISTEN_PORT, -l SIZE (numbers whole and in range). 1 when option c was one of
 * these, 0 when it is not, -EINVAL when its value is bad.
 */
int frame_spec_opt(int c, const char *arg, struct frame_spec *s);
/* "aa:bb:cc:dd:ee:ff" -> mac. 0 or -EINVAL. */
int frame_parse_mac(const char *s, uint8_t mac[6]);
/* Ones' complement sum of len bytes as big-endian 16-bit words, added to sum, not folded. */
uint32_t frame_sum(const uint8_t *p, size_t len, uint32_t sum);
/* Fold a sum to 16 bits and complement it. */
uint16_t frame_fold(uint32_t sum);

/* CLOCK_MONOTONIC in nanoseconds (the generators' and the probe's pacing clock). */
static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

#endif
