/* turn_xdp.bpf.c - turnd's XDP fast path: relays ChannelData of bound channels in the kernel. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <stdbool.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "csum.h"
#include "maps.h"
#include "parsing.h"
#include "turn_shared.h"

/*
 * Per datagram: parse Ethernet, IP and UDP (anything unusual goes to the kernel untouched),
 * then:
 *  1. ChannelData on a live c2p binding: strip the 4-byte header and any padding, rewrite
 *     to relay -> peer, forward (or drop when over the allocation's bandwidth);
 *  2. a datagram from a peer on a live p2c binding: prepend the header, rewrite to
 *     listener -> client, forward (or drop when over the allocation's bandwidth);
 *  3. a permitted peer without a channel: pass (the daemon sends a Data indication);
 *  4. to a relay address and port, not permitted: drop;
 *  5. anything else: pass.
 * The route is looked up (or taken from the binding's cache, see struct turn_route) before
 * anything is written to the frame, so every XDP_PASS leaves the frame as it came. Forwarding
 * needs net.ipv4.conf.<dev>.forwarding (net.ipv6.conf.<dev>.forwarding) on the ingress
 * device: bpf_fib_lookup() refuses otherwise, and every packet is passed.
 *
 * A forwarded packet carries what the daemon's socket would send in its addresses, ports,
 * lengths, TTL / hop limit (the ttl setting, 64 like a socket by default), payload and
 * checksums. Fields that may differ: the IPv4 TOS, ID and DF bit are the incoming packet's
 * (RFC 8656 section 14 preferred behaviour for DSCP, ECN and DF; the socket sends TOS 0, DF
 * clear and an ID of the kernel's choosing), and the IPv6 traffic class and flow label are
 * the incoming ones (the socket sends 0 and an automatic flow label).
 *
 * Checksums are updated incrementally, so a wrong one stays wrong for the receiver to see.
 * That assumes complete checksums on the wire, as a NIC delivers them; frames from local
 * senders with CHECKSUM_PARTIAL (veth, lo) need tx offload off on the sender.
 */

#define AF_INET 2
#define AF_INET6 10
#define CHANDATA_HDR 4
#define CHAN_MIN 0x4000
#define CHAN_MAX 0x7ffe		/* RFC 5766's range, which coturn's clients still use */
#define STUN_MAGIC 0x2112a442
#define IP6_FLOWINFO_MASK 0x0fffffff
/* No UDP payload this large fits a linear XDP buffer; the bound also helps the verifier. */
#define MAX_PAYLOAD 0x3fff

/* Settings, set through the skeleton's rodata before load (see turn_shared.h). */
const volatile __u8 ttl = 64;
const volatile __u16 relay_port_min = 0;
const volatile __u16 relay_port_max = 0;
const volatile bool relay_any_addr = false;
const volatile __u8 relay_addr[TURN_RELAY_ADDRS][16] __attribute__((aligned(4))) = {};
const volatile __u8 relay_family[TURN_RELAY_ADDRS] = {};
/* The c2p and p2c tables' slots less one (a power of two less one): the daemon's sizing. */
const volatile __u32 bind_mask = TURN_BIND_SLOTS - 1;
/* How long a cached route holds, in 2^TURN_ROUTE_SHIFT ns; 0: every packet is looked up. */
const volatile __u32 route_ttl = 0;

/* Moved on by the daemon whenever routing may have changed (struct turn_route); 0: no cache. */
volatile __u32 route_gen = 0;

/*
 * The clock. bpf_ktime_get_ns() is a helper call, about 35 ns here (a sixth of the program),
 * while the verifier turns bpf_jiffies64() into one load. The daemon measures the tick
 * (clock_tick_ns, 0: not measured, use bpf_ktime_get_ns()) and the offset that makes
 * jiffies * tick + offset CLOCK_MONOTONIC at the last tick, with turn_clock below: the time
 * is then up to one tick (1-10 ms) behind, which expiries and the route cache's age can
 * take. The bandwidth buckets cannot: rate-limited datagrams read bpf_ktime_get_ns().
 */
volatile __u64 clock_tick_ns = 0;
volatile __u64 clock_off_ns = 0;
/* turn_clock's samples, for the daemon: jiffies, the time then, and now_coarse() then. */
volatile __u64 clock_jiffies = 0;
volatile __u64 clock_ns = 0;
volatile __u64 clock_coarse_ns = 0;

union addr {
	__u8 b[16];
	__u32 w[4];
};

/* A parsed datagram: header pointers and its 5-tuple, addresses laid out as in the maps. */
struct pkt {
	struct ethhdr *eth;
	struct iphdr *ip4;	/* ip4 or ip6, by family */
	struct ipv6hdr *ip6;
	struct udphdr *udp;
	__u8 *payload;
	void *end;
	union addr saddr;
	union addr daddr;
	__u32 plen;		/* UDP payload length */
	__be16 sport;
	__be16 dport;
	__u8 family;		/* TURN_AF_INET or TURN_AF_INET6 */
};

/* What a forwarded datagram becomes. */
struct rewrite {
	union addr saddr;
	union addr daddr;
	__be16 sport;
	__be16 dport;
	__be16 chan;		/* p2c: the ChannelData header to prepend */
	bool c2p;		/* strip the header (c2p) or prepend it (p2c) */
	__u32 plen;		/* new UDP payload length */
	__u64 removed;		/* c2p: checksum sum of the payload bytes stripped */
	__u64 alloc_id;
	__u32 slot;		/* in turn_stats; 0: not counted */
	__u32 tag;		/* the binding's rt_tag */
	struct turn_route rtc;	/* the binding's route cache, as read with the binding */
	struct turn_route *rt;	/* where it is, to write it again */
	bool limited;		/* TURN_F_RATE: check the allocation's turn_rate */
};

enum payload_kind { PAYLOAD_OTHER, PAYLOAD_CHANDATA, PAYLOAD_STUN };

/* What try_c2p() and try_p2c() return besides an XDP verdict. */
#define NEXT -1		/* not this case: look further */
#define RELAY -2	/* forward as the rewrite says */

/* A key as the table hashes and compares it: five words (turn_shared.h). */
union bind_key {
	struct turn_c2p_key c2p;
	struct turn_p2c_key p2c;
	__u64 w[TURN_BIND_KEY_WORDS];
};

_Static_assert(sizeof(struct turn_c2p_key) == TURN_BIND_KEY_WORDS * 8 &&
	       sizeof(struct turn_p2c_key) == TURN_BIND_KEY_WORDS * 8, "keys are five words");

#define barrier() asm volatile("" ::: "memory")

char LICENSE[] SEC("license") = "Dual BSD/GPL";

static __always_inline __u64 now_coarse(void)
{
	__u64 tick = clock_tick_ns;

	if (!tick)
		return bpf_ktime_get_ns();
	return bpf_jiffies64() * tick + clock_off_ns;
}

static __always_inline int count(int action, __u32 reason)
{
	__u64 *v = bpf_map_lookup_elem(&turn_drops, &reason);

	if (v)
		*v += 1;
	return action;
}

static __always_inline bool is_v6(const struct pkt *p)
{
	return p->family == TURN_AF_INET6;
}

/* Parse Ethernet, IP and UDP into p: 0, or a negative PARSE_* code (parsing.h). */
static __always_inline int parse_pkt(struct xdp_md *ctx, struct pkt *p)
{
	struct hdr_cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	__u32 ip_payload;
	int rc;

	if (parse_ethhdr(&c, &p->eth))
		return PARSE_OTHER;
	__builtin_memset(&p->saddr, 0, sizeof(p->saddr));
	__builtin_memset(&p->daddr, 0, sizeof(p->daddr));
	if (p->eth->h_proto == bpf_htons(ETH_P_IP)) {
		rc = parse_ipv4hdr(&c, &p->ip4);
		if (rc)
			return rc;
		p->family = TURN_AF_INET;
		p->saddr.w[0] = p->ip4->saddr;
		p->daddr.w[0] = p->ip4->daddr;
		ip_payload = bpf_ntohs(p->ip4->tot_len) - sizeof(struct iphdr);
	} else {
		rc = parse_ipv6hdr(&c, &p->ip6);
		if (rc)
			return rc;
		p->family = TURN_AF_INET6;
		__builtin_memcpy(p->saddr.b, &p->ip6->saddr, 16);
		__builtin_memcpy(p->daddr.b, &p->ip6->daddr, 16);
		ip_payload = bpf_ntohs(p->ip6->payload_len);
	}
	rc = parse_udphdr(&c, &p->udp, ip_payload);
	if (rc)
		return rc;
	/* IPv6 forbids a zero UDP checksum: the kernel drops such a datagram, leave it to it. */
	if (is_v6(p) && !p->udp->check)
		return PARSE_UNSUPPORTED;
	p->plen = ip_payload - sizeof(struct udphdr);
	if (p->plen > MAX_PAYLOAD)
		return PARSE_UNSUPPORTED;
	p->payload = c.pos;
	p->end = c.end;
	p->sport = p->udp->source;
	p->dport = p->udp->dest;
	return 0;
}

/* RFC 7983 first byte, plus the channel range and the STUN magic cookie. */
static __always_inline enum payload_kind payload_kind(const struct pkt *p)
{
	__u8 *b = p->payload;
	__u16 chan;

	if ((void *)(b + CHANDATA_HDR) > p->end || p->plen < CHANDATA_HDR)
		return PAYLOAD_OTHER;
	chan = (__u16)(b[0] << 8 | b[1]);
	if (chan >= CHAN_MIN && chan <= CHAN_MAX)
		return PAYLOAD_CHANDATA;
	if ((void *)(b + 8) > p->end || p->plen < 20 || b[0] > 3)
		return PAYLOAD_OTHER;
	return *(__be32 *)(b + 4) == bpf_htonl(STUN_MAGIC) ? PAYLOAD_STUN : PAYLOAD_OTHER;
}

/* Route the rewritten packet: 0 and the egress in *fib, or the counter to pass with. */
static __always_inline int route(struct xdp_md *ctx, const struct pkt *p,
				 const struct rewrite *rw, struct bpf_fib_lookup *fib)
{
	int rc;

	__builtin_memset(fib, 0, sizeof(*fib));
	fib->l4_protocol = IPPROTO_UDP;
	fib->sport = rw->sport;
	fib->dport = rw->dport;
	fib->ifindex = ctx->ingress_ifindex;
	if (is_v6(p)) {
		fib->family = AF_INET6;
		fib->tot_len = sizeof(struct ipv6hdr) + sizeof(struct udphdr) + rw->plen;
		fib->flowinfo = *(__be32 *)p->ip6 & bpf_htonl(IP6_FLOWINFO_MASK);
		__builtin_memcpy(fib->ipv6_src, rw->saddr.w, 16);
		__builtin_memcpy(fib->ipv6_dst, rw->daddr.w, 16);
	} else {
		fib->family = AF_INET;
		fib->tot_len = sizeof(struct iphdr) + sizeof(struct udphdr) + rw->plen;
		fib->tos = p->ip4->tos;
		fib->ipv4_src = rw->saddr.w[0];
		fib->ipv4_dst = rw->daddr.w[0];
	}
	rc = bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS)
		return 0;
	if (rc == BPF_FIB_LKUP_RET_FRAG_NEEDED)
		return TURN_XDP_PASS_UNSUPPORTED;
	return TURN_XDP_PASS_NOROUTE;
}

/* The IPv4 TOS or the IPv6 traffic class: what route() looks up with, besides the addresses. */
static __always_inline __u8 tos_of(const struct pkt *p)
{
	if (is_v6(p))
		return (__u8)(bpf_ntohl(*(__be32 *)p->ip6) >> 20);
	return p->ip4->tos;
}

/*
 * The route of rw's binding: from its cache when that still holds (turn_shared.h, struct
 * turn_route), else from route(), then cached. 0 with fib's ifindex, smac and dmac set, or
 * the counter to pass with. The check is of the copy read with the binding (rw->rtc, see
 * route_read()); the cache is written only by the CPU that takes its seqlock (turn_shared.h).
 */
static __always_inline int route_get(struct xdp_md *ctx, const struct pkt *p,
				     const struct rewrite *rw, __u64 now,
				     struct bpf_fib_lookup *fib)
{
	__u32 l3 = is_v6(p) ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	__u32 len = l3 + sizeof(struct udphdr) + rw->plen;
	__u32 at = (__u32)(now >> TURN_ROUTE_SHIFT);
	const struct turn_route *c = &rw->rtc;
	struct turn_route *rt = rw->rt;
	__u32 gen = route_gen;
	__u8 tos = tos_of(p);
	int rc;

	if (route_ttl && gen && c->gen == gen && c->tag == rw->tag &&
	    c->in_ifindex == ctx->ingress_ifindex && c->tos == tos && len <= c->max_len &&
	    at - c->at < route_ttl) {
		fib->ifindex = c->ifindex;
		__builtin_memcpy(fib->smac, c->smac, ETH_ALEN);
		__builtin_memcpy(fib->dmac, c->dmac, ETH_ALEN);
		return 0;
	}
	rc = route(ctx, p, rw, fib);
	if (rc || !route_ttl || !gen || (c->ver & 1))
		return rc;
	/* Another CPU took it since it was read: that one writes it. */
	if (__sync_val_compare_and_swap(&rt->ver, c->ver, c->ver + 1) != c->ver)
		return 0;
	rt->gen = gen;
	rt->tag = rw->tag;
	rt->ifindex = fib->ifindex;
	rt->in_ifindex = ctx->ingress_ifindex;
	rt->at = at;
	rt->max_len = (__u16)len;
	rt->tos = tos;
	__builtin_memcpy(rt->smac, fib->smac, ETH_ALEN);
	__builtin_memcpy(rt->dmac, fib->dmac, ETH_ALEN);
	barrier();
	*(volatile __u32 *)&rt->ver = c->ver + 2;
	return 0;
}

/* The UDP checksum of the rewritten datagram (RFC 1624), from the old one. */
static __always_inline __u16 udp_csum(const struct pkt *p, const struct rewrite *rw,
				      __be16 new_len)
{
	const struct udphdr *u = p->udp;
	__u64 diff = 0;
	int v6 = is_v6(p);

	/* IPv4 sender sent none: send none. */
	if (!v6 && !u->check)
		return 0;
	/* Pseudo-header: addresses and length. */
	diff = csum_sub_addr(diff, p->saddr.w, v6);
	diff = csum_sub_addr(diff, p->daddr.w, v6);
	diff = csum_add_addr(diff, rw->saddr.w, v6);
	diff = csum_add_addr(diff, rw->daddr.w, v6);
	diff = csum_sub(diff, u->len);
	diff = csum_add(diff, new_len);
	/* UDP header: ports and length. */
	diff = csum_sub(diff, u->source);
	diff = csum_sub(diff, u->dest);
	diff = csum_sub(diff, u->len);
	diff = csum_add(diff, rw->sport);
	diff = csum_add(diff, rw->dport);
	diff = csum_add(diff, new_len);
	/* Payload: the ChannelData header (and padding) goes or comes. */
	if (rw->c2p)
		diff = csum_sub(diff, rw->removed);
	else
		diff = csum_add(csum_add(diff, rw->chan), bpf_htons(p->plen));
	return csum_udp_update(u->check, diff);
}

static __always_inline void ipv4_rewrite(struct iphdr *ip, const struct rewrite *rw,
					 __u16 tot_len)
{
	__u16 *ttl_proto = (__u16 *)&ip->ttl;
	__u64 diff = 0;

	diff = csum_sub(diff, ip->tot_len);
	diff = csum_sub(diff, *ttl_proto);
	diff = csum_sub(diff, ip->saddr);
	diff = csum_sub(diff, ip->daddr);
	ip->tot_len = bpf_htons(tot_len);
	ip->ttl = ttl;
	ip->saddr = rw->saddr.w[0];
	ip->daddr = rw->daddr.w[0];
	diff = csum_add(diff, ip->tot_len);
	diff = csum_add(diff, *ttl_proto);
	diff = csum_add(diff, ip->saddr);
	diff = csum_add(diff, ip->daddr);
	ip->check = csum_update(ip->check, diff);
}

/* Write the new headers over the frame, which now starts `rw->c2p ? 4 : -4` bytes further. */
static __always_inline int write_headers(struct xdp_md *ctx, const struct pkt *p,
					 const struct rewrite *rw, const struct ethhdr *eth,
					 const struct iphdr *ip4, const struct ipv6hdr *ip6,
					 const struct udphdr *udp)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct udphdr *u;
	__u8 *cd;

	if (is_v6(p)) {
		struct ipv6hdr *i6 = data + sizeof(struct ethhdr);

		u = (void *)(i6 + 1);
		if ((void *)(u + 1) > end)
			return -1;
		*i6 = *ip6;
	} else {
		struct iphdr *i4 = data + sizeof(struct ethhdr);

		u = (void *)(i4 + 1);
		if ((void *)(u + 1) > end)
			return -1;
		*i4 = *ip4;
	}
	__builtin_memcpy(data, eth, sizeof(*eth));
	*u = *udp;
	if (rw->c2p)
		return 0;
	cd = (void *)(u + 1);
	if ((void *)(cd + CHANDATA_HDR) > end)
		return -1;
	*(__be16 *)cd = rw->chan;
	*(__be16 *)(cd + 2) = bpf_htons(p->plen);
	return 0;
}

static __always_inline void count_alloc(const struct rewrite *rw, __u32 bytes)
{
	struct turn_alloc_stats *st;

	if (!rw->slot)
		return;
	st = bpf_map_lookup_elem(&turn_stats, &rw->slot);
	if (!st)
		return;
	if (rw->c2p) {
		st->pkts_c2p++;
		st->bytes_c2p += bytes;
	} else {
		st->pkts_p2c++;
		st->bytes_p2c += bytes;
	}
}

/*
 * Forward the datagram as rw says: route (cached), compute the new headers on the stack,
 * move the frame start by 4 bytes (the old headers are simply overwritten), trim padding and
 * any Ethernet trailer, write the headers, count, and send out of the route's device.
 */
static __always_inline int relay(struct xdp_md *ctx, const struct pkt *p,
				 const struct rewrite *rw, __u64 now)
{
	__u32 l3 = is_v6(p) ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	__u32 want = sizeof(struct ethhdr) + l3 + sizeof(struct udphdr) + rw->plen;
	__u16 ulen = sizeof(struct udphdr) + rw->plen;
	__u32 bytes = rw->c2p ? rw->plen : p->plen;
	struct bpf_fib_lookup fib;
	struct ipv6hdr ip6 = {};
	struct iphdr ip4 = {};
	struct ethhdr eth;
	struct udphdr udp;
	__u32 len;
	int rc;

	rc = route_get(ctx, p, rw, now, &fib);
	if (rc)
		return count(XDP_PASS, rc);
	__builtin_memcpy(eth.h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth.h_source, fib.smac, ETH_ALEN);
	eth.h_proto = is_v6(p) ? bpf_htons(ETH_P_IPV6) : bpf_htons(ETH_P_IP);
	udp.source = rw->sport;
	udp.dest = rw->dport;
	udp.len = bpf_htons(ulen);
	udp.check = udp_csum(p, rw, udp.len);
	if (is_v6(p)) {
		ip6 = *p->ip6;
		ip6.payload_len = udp.len;
		ip6.hop_limit = ttl;
		__builtin_memcpy(&ip6.saddr, rw->saddr.b, 16);
		__builtin_memcpy(&ip6.daddr, rw->daddr.b, 16);
	} else {
		ip4 = *p->ip4;
		ipv4_rewrite(&ip4, rw, sizeof(struct iphdr) + ulen);
	}

	/* From here on the frame is changed: p's packet pointers are stale. */
	if (bpf_xdp_adjust_head(ctx, rw->c2p ? CHANDATA_HDR : -CHANDATA_HDR))
		return count(XDP_PASS, TURN_XDP_PASS_UNSUPPORTED);
	/*
	 * Shrinking to `want` cannot fail: it stays longer than an Ethernet header. The frame is
	 * linear (the program is not "xdp.frags", so the kernel never hands it a multi-buffer
	 * frame): its length is data_end - data, what bpf_xdp_get_buff_len() would say for the
	 * price of a helper call.
	 */
	len = (__u32)(ctx->data_end - ctx->data);
	if (len > want)
		bpf_xdp_adjust_tail(ctx, (int)(want - len));
	/* Cannot fail either (the lengths were checked before); the checks are the verifier's. */
	if (write_headers(ctx, p, rw, &eth, &ip4, &ip6, &udp))
		return XDP_ABORTED;

	count_alloc(rw, bytes);
	count(0, rw->c2p ? TURN_XDP_FWD_C2P : TURN_XDP_FWD_P2C);
	if (fib.ifindex == ctx->ingress_ifindex)
		return XDP_TX;
	return bpf_redirect(fib.ifindex, 0);
}

/* Checksum sum of the bytes of padding, the last `pad` of the UDP payload. */
static __always_inline int padding_sum(struct xdp_md *ctx, const struct pkt *p, __u32 pad,
				       __u64 *sum)
{
	__u32 off = sizeof(struct ethhdr) + sizeof(struct udphdr) + p->plen - 4;
	__u8 last[4];

	off += is_v6(p) ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	if (bpf_xdp_load_bytes(ctx, off, last, sizeof(last)))
		return -1;
	for (int i = 4 - pad; i < 4; i++)
		*sum = csum_add(*sum, csum_byte(last[i], p->plen - 4 + i));
	return 0;
}

/*
 * The entry of key in table map (turn_c2p or turn_p2c), with *seq the even seq it had before
 * its key was compared, or NULL. Every probe is an inlined array lookup.
 */
static __always_inline void *bind_find(void *map, const union bind_key *key, __u32 *seq)
{
	__u32 b1, b2;

	turn_bind_buckets(key->w, bind_mask / TURN_BIND_WAYS, &b1, &b2);
#pragma unroll
	for (int i = 0; i < TURN_BIND_PROBES; i++) {
		__u32 slot = (i < TURN_BIND_WAYS ? b1 : b2) * TURN_BIND_WAYS + i % TURN_BIND_WAYS;
		__u64 *e = bpf_map_lookup_elem(map, &slot);
		__u32 s;

		if (!e)
			return NULL;
		s = *(volatile __u32 *)e;
		barrier();
		if (s & 1)
			continue;
		if (e[1] == key->w[0] && e[2] == key->w[1] && e[3] == key->w[2] &&
		    e[4] == key->w[3] && e[5] == key->w[4]) {
			*seq = s;
			return e;
		}
	}
	return NULL;
}

/*
 * A copy of the route cache rt into c, or, when a CPU was writing it meanwhile, an empty one
 * (gen 0) marked busy (ver odd), which is looked up again and not written.
 */
static __always_inline void route_read(const struct turn_route *rt, struct turn_route *c)
{
	__u32 ver = *(const volatile __u32 *)&rt->ver;

	barrier();
	*c = *rt;
	barrier();
	if ((ver & 1) || *(const volatile __u32 *)&rt->ver != ver) {
		c->gen = 0;
		c->ver = 1;
		return;
	}
	c->ver = ver;
}

/* What c2p and p2c values have alike, from value v (either kind) into rewrite rw. */
#define take_common(rw, v)                                                                 \
	do {                                                                               \
		(rw)->alloc_id = (v)->alloc_id;                                            \
		(rw)->slot = (v)->slot;                                                    \
		(rw)->tag = (v)->rt_tag;                                                   \
		route_read(&(v)->rt, &(rw)->rtc);                                          \
		(rw)->rt = &(v)->rt;                                                       \
		(rw)->limited = (v)->flags & TURN_F_RATE;                                  \
	} while (0)

/* Whether the entry still has the seq it was found with: what was read of it holds. */
static __always_inline bool bind_still(const void *e, __u32 seq)
{
	barrier();
	return *(const volatile __u32 *)e == seq;
}

/* 1. ChannelData from a client: a verdict, RELAY with *rw filled in, or NEXT. */
static __always_inline int try_c2p(struct xdp_md *ctx, const struct pkt *p, __u64 now,
				   struct rewrite *rw)
{
	struct turn_c2p_ent *e;
	struct turn_c2p_val *v;
	union bind_key k;
	__u32 cdlen, pad, seq = 0;
	__u64 expires;
	__u8 family;

	if ((void *)(p->payload + CHANDATA_HDR) > p->end)
		return NEXT;
	__builtin_memset(&k, 0, sizeof(k));
	__builtin_memcpy(k.c2p.client, p->saddr.b, 16);
	__builtin_memcpy(k.c2p.listener, p->daddr.b, 16);
	k.c2p.client_port = p->sport;
	k.c2p.listener_port = p->dport;
	k.c2p.channel = *(__be16 *)p->payload;
	k.c2p.family = p->family;
	e = bind_find(&turn_c2p, &k, &seq);
	if (!e)
		return NEXT;
	v = &e->v;
	expires = v->expires_ns;
	family = v->family;
	__builtin_memcpy(rw->saddr.b, v->relay, 16);
	__builtin_memcpy(rw->daddr.b, v->peer, 16);
	rw->sport = v->relay_port;
	rw->dport = v->peer_port;
	take_common(rw, v);
	if (!bind_still(e, seq) || now >= expires)
		return NEXT;

	/* RFC 8656 12.4: over UDP, up to 3 bytes of padding may follow the data. */
	cdlen = bpf_ntohs(*(__be16 *)(p->payload + 2));
	if (cdlen + CHANDATA_HDR > p->plen || p->plen - CHANDATA_HDR - cdlen > 3)
		return count(XDP_PASS, TURN_XDP_PASS_BADLEN);
	if (family != p->family)
		return count(XDP_PASS, TURN_XDP_PASS_UNSUPPORTED);

	rw->c2p = true;
	rw->removed = *(__u32 *)p->payload;
	pad = p->plen - CHANDATA_HDR - cdlen;
	if (pad && padding_sum(ctx, p, pad, &rw->removed))
		return count(XDP_PASS, TURN_XDP_PASS_UNSUPPORTED);
	rw->plen = cdlen;
	return RELAY;
}

static __always_inline bool is_relay_addr(const struct pkt *p)
{
	if (relay_any_addr)
		return true;
#pragma unroll
	for (int i = 0; i < TURN_RELAY_ADDRS; i++) {
		const volatile __u32 *a = (const volatile __u32 *)relay_addr[i];

		if (relay_family[i] != p->family || a[0] != p->daddr.w[0])
			continue;
		if (!is_v6(p) || (a[1] == p->daddr.w[1] && a[2] == p->daddr.w[2] &&
				  a[3] == p->daddr.w[3]))
			return true;
	}
	return false;
}

/* 2-4. A datagram from a peer: a verdict, RELAY with *rw filled in, or NEXT. */
static __always_inline int try_p2c(const struct pkt *p, __u64 now, bool relay_port,
				   struct rewrite *rw)
{
	struct turn_perm_key pk;
	struct turn_perm_val *pv;
	struct turn_p2c_ent *e;
	struct turn_p2c_val *v;
	union bind_key k;
	__u32 seq = 0;
	__u64 expires;
	__u8 family;

	__builtin_memset(&k, 0, sizeof(k));
	__builtin_memcpy(k.p2c.relay, p->daddr.b, 16);
	__builtin_memcpy(k.p2c.peer, p->saddr.b, 16);
	k.p2c.relay_port = p->dport;
	k.p2c.peer_port = p->sport;
	k.p2c.family = p->family;
	e = bind_find(&turn_p2c, &k, &seq);
	if (e) {
		v = &e->v;
		expires = v->expires_ns;
		family = v->family;
		__builtin_memcpy(rw->saddr.b, v->listener, 16);
		__builtin_memcpy(rw->daddr.b, v->client, 16);
		rw->sport = v->listener_port;
		rw->dport = v->client_port;
		rw->chan = v->channel;
		take_common(rw, v);
		if (!bind_still(e, seq))
			e = NULL;	/* being rewritten: the daemon relays this one */
	}
	if (e && now < expires) {
		if (family != p->family)
			return count(XDP_PASS, TURN_XDP_PASS_UNSUPPORTED);
		rw->plen = p->plen + CHANDATA_HDR;
		return RELAY;
	}

	__builtin_memset(&pk, 0, sizeof(pk));
	__builtin_memcpy(pk.relay, p->daddr.b, 16);
	__builtin_memcpy(pk.peer, p->saddr.b, 16);
	pk.relay_port = p->dport;
	pk.family = p->family;
	pv = bpf_map_lookup_elem(&turn_perm, &pk);
	if (pv && now < pv->expires_ns)
		return count(XDP_PASS, TURN_XDP_PASS_NOCHAN);
	if (relay_port && is_relay_addr(p))
		return count(XDP_DROP, TURN_XDP_DROP_NOPERM);
	return NEXT;
}

/*
 * The allocation's bandwidth bucket for this direction (turn_shared.h, struct turn_rate):
 * true to forward. CPUs share the bucket: the charge is an atomic add, and the refill a
 * plain store that may, when two CPUs race, forget one datagram's charge.
 */
static __always_inline bool rate_admit(const struct rewrite *rw, __u64 now)
{
	struct turn_rate *r = bpf_map_lookup_elem(&turn_rate, &rw->alloc_id);
	__u32 bytes = rw->c2p ? rw->plen : rw->plen - CHANDATA_HDR;
	__u64 *tat, t;

	if (!r || !r->bytes_per_s)
		return true;
	if (rw->c2p)
		tat = &r->tat_ns[0];
	else
		tat = &r->tat_ns[1];
	t = *(volatile __u64 *)tat;
	if (t < now) {
		t = now;
		*(volatile __u64 *)tat = now;
	}
	if (t >= now + r->burst_ns)
		return false;
	__sync_fetch_and_add(tat, (__u64)bytes * 1000000000ull / r->bytes_per_s);
	return true;
}

SEC("xdp")
int turn_xdp(struct xdp_md *ctx)
{
	enum payload_kind kind;
	struct rewrite rw = {};
	struct pkt p;
	bool relay_port;
	__u16 dport;
	__u64 now;
	int rc;

	rc = parse_pkt(ctx, &p);
	if (rc)
		return count(XDP_PASS, rc == PARSE_OTHER ? TURN_XDP_PASS_OTHER
							 : TURN_XDP_PASS_UNSUPPORTED);
	now = now_coarse();
	kind = payload_kind(&p);
	rc = NEXT;
	if (kind == PAYLOAD_CHANDATA)
		rc = try_c2p(ctx, &p, now, &rw);
	/* With the relay port range known, other ports need no peer lookups. */
	dport = bpf_ntohs(p.dport);
	relay_port = relay_port_max && dport >= relay_port_min && dport <= relay_port_max;
	if (rc == NEXT && (relay_port || !relay_port_max))
		rc = try_p2c(&p, now, relay_port, &rw);
	if (rc == RELAY && rw.limited && !rate_admit(&rw, bpf_ktime_get_ns()))
		return count(XDP_DROP, TURN_XDP_DROP_RATE);
	if (rc == RELAY)
		return relay(ctx, &p, &rw, now);
	if (rc != NEXT)
		return rc;
	if (kind == PAYLOAD_CHANDATA)
		return count(XDP_PASS, TURN_XDP_PASS_UNKNOWN);
	return count(XDP_PASS, kind == PAYLOAD_STUN ? TURN_XDP_PASS_STUN : TURN_XDP_PASS_OTHER);
}

/*
 * Run by the daemon (BPF_PROG_TEST_RUN, never attached) to measure the clock: samples jiffies
 * and CLOCK_MONOTONIC together, and what now_coarse() says with the factors set so far.
 */
SEC("xdp")
int turn_clock(struct xdp_md *ctx)
{
	(void)ctx;
	clock_jiffies = bpf_jiffies64();
	clock_ns = bpf_ktime_get_ns();
	clock_coarse_ns = now_coarse();
	return XDP_PASS;
}
