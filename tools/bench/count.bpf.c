/* count.bpf.c - counts the UDP datagrams that reach the benchmark peer, then drops them. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bench.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, COUNT_NR);
	__type(key, __u32);
	__type(value, __u64);
} count_stats SEC(".maps");

const volatile __u16 peer_port = 0;	/* host order; 0: count every UDP datagram */

static __always_inline void add(__u32 idx, __u64 v)
{
	__u64 *c = bpf_map_lookup_elem(&count_stats, &idx);

	if (c)
		*c += v;
}

/* IPv4 UDP to peer_port (no IP options): counted and dropped; anything else passes. */
SEC("xdp")
int count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct udphdr *udp = (void *)(ip + 1);

	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
	    (peer_port && udp->dest != bpf_htons(peer_port))) {
		add(COUNT_OTHER, 1);
		return XDP_PASS;
	}
	add(COUNT_PKTS, 1);
	add(COUNT_BYTES, bpf_ntohs(udp->len) - sizeof(*udp));
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
