/* fwd.bpf.c - trivial XDP forwarder, the benchmark's ceiling: strip or add 4 bytes, redirect. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "bench.h"

/*
 * c2p: every IPv4 UDP datagram becomes one from saddr:sport to daddr:dport, its first 4
 * payload bytes (the ChannelData header) stripped, sent out of out_ifindex. p2c: 4 bytes are
 * added in front of the payload instead, a ChannelData header (channel 0x4000, the payload's
 * length). No map lookup, no route lookup, UDP checksum 0 (allowed over IPv4): what is left
 * is the cost of XDP forwarding itself. Anything else passes.
 */
const volatile __u8 smac[6] = {};
const volatile __u8 dmac[6] = {};
const volatile __be32 saddr = 0;
const volatile __be32 daddr = 0;
const volatile __be16 sport = 0;
const volatile __be16 dport = 0;
const volatile __u32 out_ifindex = 0;
const volatile __u32 dir = DIR_C2P;

static __always_inline __u16 ip_check(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 sum = 0;
	int i;

#pragma unroll
	for (i = 0; i < 10; i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)~sum;
}

/* Write the headers of a datagram of ip_len IP bytes at data (bounds checked by the caller). */
static __always_inline void rewrite(struct ethhdr *eth, struct iphdr *ip, struct udphdr *udp,
				    __u16 ip_len)
{
	int i;

#pragma unroll
	for (i = 0; i < 6; i++) {
		eth->h_dest[i] = dmac[i];
		eth->h_source[i] = smac[i];
	}
	eth->h_proto = bpf_htons(ETH_P_IP);
	*(__u16 *)ip = bpf_htons(0x4500);
	ip->tot_len = bpf_htons(ip_len);
	ip->id = 0;
	ip->frag_off = 0;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->check = 0;
	ip->saddr = saddr;
	ip->daddr = daddr;
	ip->check = ip_check(ip);
	udp->source = sport;
	udp->dest = dport;
	udp->len = bpf_htons(ip_len - 20);
	udp->check = 0;
}

SEC("xdp")
int fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct udphdr *udp = (void *)(ip + 1);
	__u16 tot, len;
	__u8 *ch;

	if ((void *)(udp + 1) + 4 > end || eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 ||
	    ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	tot = bpf_ntohs(ip->tot_len);
	if (tot < 32 || tot > 1500 || bpf_xdp_adjust_head(ctx, dir == DIR_C2P ? 4 : -4))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	eth = data;
	ip = data + sizeof(*eth);
	udp = (void *)(ip + 1);
	ch = (__u8 *)(udp + 1);
	if ((void *)(ch + 4) > end)
		return XDP_ABORTED;
	if (dir == DIR_C2P) {
		rewrite(eth, ip, udp, tot - 4);
	} else {
		len = tot - 28;
		rewrite(eth, ip, udp, tot + 4);
		ch[0] = 0x40;
		ch[1] = 0;
		ch[2] = len >> 8;
		ch[3] = len & 0xff;
	}
	return bpf_redirect(out_ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
