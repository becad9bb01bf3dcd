/* xdp_pkt.h - test helper: builds Ethernet/IP/UDP frames from scratch and checks their sums. */
#ifndef TURND_XDP_PKT_H
#define TURND_XDP_PKT_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Everything here is computed from scratch, byte by byte, and shares nothing with bpf/: the
 * frames the tests expect and the checks on the frames the program produces are independent
 * of the incremental arithmetic under test.
 */

#define FR_CSUM0 0x01		/* IPv4: UDP checksum 0 (none) */
#define FR_IPOPT 0x02		/* IPv4: 4 bytes of options (NOPs), ihl 6 */
#define FR_V6EXT 0x04		/* IPv6: an 8-byte hop-by-hop header before UDP */
#define FR_VLAN 0x08		/* an 802.1Q tag before the IP header */
#define FR_GSO 0x10		/* UDP length 100 short of the IP payload, as a GSO super-packet */
#define FR_TCP 0x20		/* IP protocol 6: the "UDP header" is just bytes */

#define FR_DF 0x4000		/* IPv4 frag_off bits, host order */
#define FR_MF 0x2000

#define FRAME_MAX 2048

/* One frame, described field by field. Zero values are the defaults noted. */
struct frame {
	int family;			/* 4 or 6 */
	const char *src;		/* textual addresses */
	const char *dst;
	uint16_t sport;
	uint16_t dport;
	const uint8_t *smac;		/* 6 bytes each */
	const uint8_t *dmac;
	uint8_t ttl;			/* TTL / hop limit */
	uint8_t tos;			/* IPv4 TOS / IPv6 traffic class */
	uint16_t id;			/* IPv4 */
	uint16_t frag;			/* IPv4 frag_off field, host order: FR_DF, FR_MF, offset */
	uint32_t flow;			/* IPv6 flow label */
	uint16_t chan;			/* nonzero: a ChannelData header comes first */
	int cd_len;			/* its length field; -1: data_len */
	int pad;			/* bytes of padding (0xa5) after the data */
	const uint8_t *data;		/* the application data */
	size_t data_len;
	size_t trailer;			/* zero bytes after the IP datagram (Ethernet padding) */
	unsigned flags;			/* FR_* */
};

/* RFC 1071 sum of n bytes as big-endian 16-bit words, added to sum (not folded). */
static inline uint32_t pkt_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

static inline uint16_t pkt_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* UDP sum over the pseudo-header and the datagram u[0..ulen), checksum field included. */
static inline uint32_t pkt_udp_sum(int family, const uint8_t *src, const uint8_t *dst,
				   const uint8_t *u, size_t ulen)
{
	size_t alen = family == 6 ? 16 : 4;
	uint32_t sum = 0;

	sum = pkt_sum(src, alen, sum);
	sum = pkt_sum(dst, alen, sum);
	sum += 17 + (uint32_t)ulen;
	return pkt_sum(u, ulen, sum);
}

/* Build f into buf: the frame length, or 0 when it does not fit or an address is bad. */
static inline size_t frame_build(const struct frame *f, uint8_t *buf, size_t cap)
{
	static const uint8_t mac0[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	uint8_t src[16] = { 0 }, dst[16] = { 0 };
	int v6 = f->family == 6, af = v6 ? AF_INET6 : AF_INET;
	size_t l2 = (f->flags & FR_VLAN) ? 18 : 14;
	size_t l3 = v6 ? 40 + ((f->flags & FR_V6EXT) ? 8 : 0)
		       : 20 + ((f->flags & FR_IPOPT) ? 4 : 0);
	size_t cd = f->chan ? 4 : 0, pad = (size_t)f->pad;
	size_t plen = cd + f->data_len + pad, ulen = 8 + plen, len = l2 + l3 + ulen + f->trailer;
	uint8_t *ip = buf + l2, *u = ip + l3, *pl = u + 8;
	uint16_t csum;

	if (len > cap || inet_pton(af, f->src, src) != 1 || inet_pton(af, f->dst, dst) != 1)
		return 0;
	memset(buf, 0, len);
	memcpy(buf, f->dmac ? f->dmac : mac0, 6);
	memcpy(buf + 6, f->smac ? f->smac : mac0, 6);
	if (f->flags & FR_VLAN) {
		put16(buf + 12, 0x8100);
		put16(buf + 14, 42);
	}
	put16(buf + l2 - 2, v6 ? 0x86dd : 0x0800);

	if (v6) {
		uint32_t w = 6u << 28 | (uint32_t)f->tos << 20 | (f->flow & 0xfffff);

		put16(ip, (uint16_t)(w >> 16));
		put16(ip + 2, (uint16_t)w);
		put16(ip + 4, (uint16_t)(l3 - 40 + ulen));
		ip[6] = (f->flags & FR_V6EXT) ? 0 : (f->flags & FR_TCP) ? 6 : 17;
		ip[7] = f->ttl;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		if (f->flags & FR_V6EXT) {
			ip[40] = (f->flags & FR_TCP) ? 6 : 17;	/* next header, length 0 */
			ip[42] = 1;				/* PadN, 4 bytes */
			ip[43] = 4;
		}
	} else {
		ip[0] = (uint8_t)(0x40 | l3 / 4);
		ip[1] = f->tos;
		put16(ip + 2, (uint16_t)(l3 + ulen));
		put16(ip + 4, f->id);
		put16(ip + 6, f->frag);
		ip[8] = f->ttl;
		ip[9] = (f->flags & FR_TCP) ? 6 : 17;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		if (f->flags & FR_IPOPT)
			memset(ip + 20, 1, 4);
		put16(ip + 10, (uint16_t)~pkt_fold(pkt_sum(ip, l3, 0)));
	}

	if (f->chan) {
		put16(pl, f->chan);
		put16(pl + 2, (uint16_t)(f->cd_len < 0 ? f->data_len : (size_t)f->cd_len));
	}
	if (f->data_len)
		memcpy(pl + cd, f->data, f->data_len);
	memset(pl + cd + f->data_len, 0xa5, pad);
	put16(u, f->sport);
	put16(u + 2, f->dport);
	put16(u + 4, (uint16_t)ulen);
	csum = (uint16_t)~pkt_fold(pkt_udp_sum(f->family, src, dst, u, ulen));
	put16(u + 6, csum ? csum : 0xffff);
	if (f->flags & FR_CSUM0)
		put16(u + 6, 0);
	if (f->flags & FR_GSO)
		put16(u + 4, (uint16_t)(ulen - 100));
	return len;
}

/*
 * Check the sums of a frame from scratch: 0 when it is Ethernet/IPv4 or IPv6/UDP with a
 * correct IPv4 header sum and a correct UDP sum (an IPv4 UDP sum of 0 means none), 1 when it
 * is not such a frame (nothing to check), -1 for a bad IPv4 header sum, -2 for a bad UDP sum,
 * -3 for lengths that disagree with the frame.
 */
static inline int frame_check_sums(const uint8_t *b, size_t len)
{
	const uint8_t *ip = b + 14, *u;
	size_t l3, ulen;

	if (len < 14)
		return 1;
	if (get16(b + 12) == 0x0800) {
		if (len < 34 || ip[0] >> 4 != 4 || ip[9] != 17 || (get16(ip + 6) & 0x3fff))
			return 1;
		l3 = (size_t)(ip[0] & 15) * 4;
		if (l3 < 20 || get16(ip + 2) < l3 + 8 || 14 + (size_t)get16(ip + 2) > len)
			return -3;
		if (pkt_fold(pkt_sum(ip, l3, 0)) != 0xffff)
			return -1;
		u = ip + l3;
		ulen = get16(ip + 2) - l3;
		if (get16(u + 4) != ulen)
			return -3;
		if (get16(u + 6) == 0)
			return 0;
		return pkt_fold(pkt_udp_sum(4, ip + 12, ip + 16, u, ulen)) == 0xffff ? 0 : -2;
	}
	if (get16(b + 12) == 0x86dd) {
		if (len < 62 || ip[0] >> 4 != 6 || ip[6] != 17)
			return 1;
		u = ip + 40;
		ulen = get16(ip + 4);
		if (ulen < 8 || 54 + ulen > len || get16(u + 4) != ulen)
			return -3;
		if (get16(u + 6) == 0)
			return -2;
		return pkt_fold(pkt_udp_sum(6, ip + 8, ip + 24, u, ulen)) == 0xffff ? 0 : -2;
	}
	return 1;
}

/*
 * Recompute the IPv4 header sum and the UDP sum of a frame in place, from scratch, when it
 * is a frame frame_check_sums() can check (an IPv4 UDP sum of 0 stays 0). For the fuzz loop:
 * a mutated frame whose sums are right again must come out with right sums.
 */
static inline void frame_fix_sums(uint8_t *b, size_t len)
{
	uint8_t *ip = b + 14, *u;
	size_t l3, ulen;
	uint16_t c;

	if (frame_check_sums(b, len) == 1 || len < 14)
		return;
	if (get16(b + 12) == 0x0800) {
		l3 = (size_t)(ip[0] & 15) * 4;
		if (l3 < 20 || 14 + l3 > len)
			return;
		put16(ip + 10, 0);
		put16(ip + 10, (uint16_t)~pkt_fold(pkt_sum(ip, l3, 0)));
		u = ip + l3;
		ulen = get16(ip + 2) - l3;
		if (get16(ip + 2) < l3 + 8 || 14 + l3 + ulen > len || get16(u + 6) == 0)
			return;
		put16(u + 6, 0);
		c = (uint16_t)~pkt_fold(pkt_udp_sum(4, ip + 12, ip + 16, u, ulen));
	} else {
		u = ip + 40;
		ulen = get16(ip + 4);
		if (ulen < 8 || 54 + ulen > len)
			return;
		put16(u + 6, 0);
		c = (uint16_t)~pkt_fold(pkt_udp_sum(6, ip + 8, ip + 24, u, ulen));
	}
	put16(u + 6, c ? c : 0xffff);
}

#endif
