/* bench.h - what the benchmark's BPF programs and their loaders share: sizes, map values. */
#ifndef TURNBENCH_H
#define TURNBENCH_H

#include <linux/types.h>

/* Flows (channel bindings) one run can drive: 100,000 and some room. */
#define GEN_MAX_FLOWS 131072
/* Ethernet + IPv4 + UDP + 4 bytes (ChannelData header, or payload): what the generator writes. */
#define GEN_HDR_LEN 46
#define GEN_HDR_ROOM 48

/* Load directions: client ChannelData to the peer, or peer datagrams to the client. */
enum { DIR_C2P, DIR_P2C };

/*
 * One prepared flow: everything of the frame that differs between flows, as on the wire.
 * c2p: sport = client port, dport = listener port, channel. p2c: sport = peer port,
 * dport = relayed port, channel unused (the 4 bytes there are payload).
 */
struct gen_flow {
	__be16 sport;
	__be16 dport;
	__be16 channel;
	__u16 udp_check;	/* full UDP checksum of the frame, as on the wire; 0 = none */
};

/* Counters of count.bpf.c (PERCPU_ARRAY index). */
enum { COUNT_PKTS, COUNT_BYTES, COUNT_OTHER, COUNT_NR };

/* What count.bpf.c counts (rodata `mode`). */
enum {
	COUNT_PEER,	/* UDP to a port in [port_lo, port_hi]: c2p arriving at the peer */
	COUNT_CLIENT,	/* well-framed ChannelData from src_port, not to skip_addr: p2c */
};

#endif
