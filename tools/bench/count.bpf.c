/* count.bpf.c - counts the load arriving at the benchmark's peer or client, then drops it. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bench.h"

/*
 * COUNT_PEER (on the peer's interface): an IPv4 UDP datagram to a port in [port_lo,
 * port_hi] is load relayed client -> peer: counted (packets, UDP payload bytes) and dropped.
 * COUNT_CLIENT (on the client's interface): an IPv4 UDP datagram from src_port whose payload
 * is one well-framed ChannelData message (channel 0x4000-0x7FFF, length field = payload - 4,
 * or up to 3 bytes of padding behind it), not to skip_addr (the latency probe's address), is
 * load relayed peer -> client: counted (packets, ChannelData data bytes) and dropped.
 * Everything else (STUN answers, the probe, ARP, badly framed data) is counted as other and
 * passes to the stack.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNT_NR);
	__type(key, __u32);
	__type(value, __u64);
} count_stats SEC(".maps");

const volatile __u32 mode = COUNT_PEER;
const volatile __u16 port_lo = 0;	/* host order */
const volatile __u16 port_hi = 0xffff;
const volatile __u16 src_port = 3478;
const volatile __be32 skip_addr = 0;

static __always_inline void add(__u32 idx, __u64 v)
{
	__u64 *c = bpf_map_lookup_elem(&count_stats, &idx);

	if (c)
		*c += v;
}

/* Data bytes of the ChannelData message at p (plen bytes of UDP payload), or -1. */
static __always_inline int chandata_len(const __u8 *p, const void *end, __u32 plen)
{
	__u32 len;

	if ((const void *)(p + 4) > end || plen < 4 || (p[0] & 0xc0) != 0x40)
		return -1;
	len = (__u32)p[2] << 8 | p[3];
	if (len + 4 > plen || plen - (len + 4) > 3)
		return -1;
	return (int)len;
}

SEC("xdp")
int count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct udphdr *udp = (void *)(ip + 1);
	__u32 plen;
	int n;

	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP || bpf_ntohs(udp->len) < sizeof(*udp))
		goto other;
	plen = bpf_ntohs(udp->len) - sizeof(*udp);
	if (mode == COUNT_PEER) {
		if (bpf_ntohs(udp->dest) < port_lo || bpf_ntohs(udp->dest) > port_hi)
			goto other;
		add(COUNT_PKTS, 1);
		add(COUNT_BYTES, plen);
		return XDP_DROP;
	}
	if (udp->source != bpf_htons(src_port) || (skip_addr && ip->daddr == skip_addr))
		goto other;
	n = chandata_len((const __u8 *)(udp + 1), end, plen);
	if (n < 0)
		goto other;
	add(COUNT_PKTS, 1);
	add(COUNT_BYTES, (__u64)n);
	return XDP_DROP;
other:
	add(COUNT_OTHER, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
