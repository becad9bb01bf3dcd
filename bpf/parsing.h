/* parsing.h - bounds-checked header parsers for the XDP fast path: Ethernet, IPv4, IPv6, UDP. */
#ifndef TURN_PARSING_H
#define TURN_PARSING_H

/*
 * Return contract: each parse_*() looks at the header under the cursor, which spans the
 * packet bytes [pos, end). On success it returns 0, stores a pointer to the header in *hdr
 * and moves the cursor past the header. Otherwise it returns a negative PARSE_* code saying
 * why, and leaves the cursor where it was:
 *   PARSE_SHORT        the header (or the datagram it announces) does not fit before end;
 *   PARSE_UNSUPPORTED  an IP or UDP packet the fast path leaves to the kernel: IPv4 options,
 *                      fragments, IPv6 extension headers, lengths that disagree (UDP GSO
 *                      super-packets), a bad version;
 *   PARSE_OTHER        not ours: another EtherType (VLAN tags included) or IP protocol.
 * They only read the packet. They are __always_inline so that the verifier sees every bound
 * check in the caller's frame, and each check is against `end` itself.
 */

#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

#define PARSE_SHORT -1
#define PARSE_UNSUPPORTED -2
#define PARSE_OTHER -3

#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff

struct hdr_cursor {
	void *pos;
	void *end;
};

static __always_inline int parse_ethhdr(struct hdr_cursor *c, struct ethhdr **hdr)
{
	struct ethhdr *eth = c->pos;

	if ((void *)(eth + 1) > c->end)
		return PARSE_SHORT;
	if (eth->h_proto != bpf_htons(ETH_P_IP) && eth->h_proto != bpf_htons(ETH_P_IPV6))
		return PARSE_OTHER;
	*hdr = eth;
	c->pos = eth + 1;
	return 0;
}

/* A UDP/IPv4 header without options, not a fragment, whose datagram fits before end. */
static __always_inline int parse_ipv4hdr(struct hdr_cursor *c, struct iphdr **hdr)
{
	struct iphdr *iph = c->pos;
	__u16 tot_len;

	if ((void *)(iph + 1) > c->end)
		return PARSE_SHORT;
	if (iph->version != 4)
		return PARSE_UNSUPPORTED;
	if (iph->protocol != IPPROTO_UDP)
		return PARSE_OTHER;
	if (iph->ihl != 5)
		return PARSE_UNSUPPORTED;
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFMASK))
		return PARSE_UNSUPPORTED;
	tot_len = bpf_ntohs(iph->tot_len);
	if (tot_len < sizeof(*iph) + sizeof(struct udphdr))
		return PARSE_UNSUPPORTED;
	if ((void *)iph + tot_len > c->end)
		return PARSE_SHORT;
	*hdr = iph;
	c->pos = iph + 1;
	return 0;
}

static __always_inline int ipv6_is_ext_hdr(__u8 nexthdr)
{
	switch (nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_AH:
	case IPPROTO_DSTOPTS:
	case IPPROTO_MH:
	case 139:	/* HIP */
	case 140:	/* Shim6 */
	case 253:	/* experimental */
	case 254:
		return 1;
	}
	return 0;
}

/* A UDP/IPv6 header directly followed by UDP, whose payload fits before end. */
static __always_inline int parse_ipv6hdr(struct hdr_cursor *c, struct ipv6hdr **hdr)
{
	struct ipv6hdr *ip6h = c->pos;

	if ((void *)(ip6h + 1) > c->end)
		return PARSE_SHORT;
	if (ip6h->version != 6)
		return PARSE_UNSUPPORTED;
	if (ip6h->nexthdr != IPPROTO_UDP)
		return ipv6_is_ext_hdr(ip6h->nexthdr) ? PARSE_UNSUPPORTED : PARSE_OTHER;
	if ((void *)(ip6h + 1) + bpf_ntohs(ip6h->payload_len) > c->end)
		return PARSE_SHORT;
	*hdr = ip6h;
	c->pos = ip6h + 1;
	return 0;
}

/* A UDP header whose length is exactly ip_payload, the length the IP header gives it. */
static __always_inline int parse_udphdr(struct hdr_cursor *c, struct udphdr **hdr,
					__u32 ip_payload)
{
	struct udphdr *udph = c->pos;

	if ((void *)(udph + 1) > c->end)
		return PARSE_SHORT;
	if (bpf_ntohs(udph->len) != ip_payload || ip_payload < sizeof(*udph))
		return PARSE_UNSUPPORTED;
	*hdr = udph;
	c->pos = udph + 1;
	return 0;
}

#endif
