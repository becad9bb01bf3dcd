/* bench.h - what the benchmark's BPF programs and their loaders share: sizes, map values. */
#ifndef TURNBENCH_H
#define TURNBENCH_H

#include <linux/types.h>

#define GEN_MAX_FLOWS 65536
/* Ethernet + IPv4 + UDP + ChannelData header: the bytes the generator writes per packet. */
#define GEN_HDR_LEN 46
#define GEN_HDR_ROOM 48

/* One prepared flow: everything of the frame that differs between flows. */
struct gen_flow {
	__be16 sport;		/* client port */
	__be16 channel;
	__u16 udp_check;	/* full UDP checksum of the frame, as on the wire */
	__u16 pad;
};

/* Counters of count.bpf.c (PERCPU_ARRAY index). */
enum { COUNT_PKTS, COUNT_BYTES, COUNT_OTHER, COUNT_NR };

#endif
