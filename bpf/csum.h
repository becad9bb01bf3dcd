/* csum.h - Internet checksum arithmetic for the XDP fast path: RFC 1624 incremental updates. */
#ifndef TURN_CSUM_H
#define TURN_CSUM_H

#include <linux/types.h>
#include <bpf/bpf_endian.h>

/*
 * Words are summed as they sit in memory (network order, loaded natively): one's complement
 * addition is byte-order independent, so no byte swapping is needed as long as every value
 * added is in network order too. Every power of 2^16 is 1 modulo 0xffff, so 32-bit words (IPv4
 * addresses, quarters of IPv6 addresses) are added whole, into a 64-bit accumulator that no
 * number of them here can overflow: the carries are folded in once, at the end, rather than
 * after each addition (a BPF compare is a branch).
 *
 * An update is built as a `diff`: csum_sub() each old word, csum_add() each new one, then
 * csum_update() applies it to the old checksum field, RFC 1624 equation 3:
 * HC' = ~(~HC + ~m + m'). End-around addition never yields 0x0000 from nonzero operands, so
 * the result lies in 0x0000-0xfffe like a checksum computed from scratch, and equals it bit for
 * bit (both are the same residue modulo 0xffff).
 */

static __always_inline __u64 csum_add(__u64 sum, __u32 v)
{
	return sum + v;
}

/* ~v is 0xffffffff - v, and 0xffffffff is 0 modulo 0xffff: so this takes v away. */
static __always_inline __u64 csum_sub(__u64 sum, __u32 v)
{
	return sum + (__u32)~v;
}

/* The 16-bit end-around sum of sum: 0 only for 0. */
static __always_inline __u16 csum_fold(__u64 sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

/* Add the four 32-bit words of an IPv6 address (or the first only, for IPv4). */
static __always_inline __u64 csum_add_addr(__u64 sum, const __u32 *a, int is_v6)
{
	sum = csum_add(sum, a[0]);
	if (is_v6) {
		sum = csum_add(sum, a[1]);
		sum = csum_add(sum, a[2]);
		sum = csum_add(sum, a[3]);
	}
	return sum;
}

static __always_inline __u64 csum_sub_addr(__u64 sum, const __u32 *a, int is_v6)
{
	sum = csum_sub(sum, a[0]);
	if (is_v6) {
		sum = csum_sub(sum, a[1]);
		sum = csum_sub(sum, a[2]);
		sum = csum_sub(sum, a[3]);
	}
	return sum;
}

/* The contribution of one byte at `off` within a 16-bit aligned region, in memory order. */
static __always_inline __u32 csum_byte(__u8 b, __u32 off)
{
	return (off & 1) ? bpf_htons((__u16)b) : bpf_htons((__u16)(b << 8));
}

/* RFC 1624 eqn. 3: apply diff (sum of ~old and new words) to the checksum field `check`. */
static __always_inline __u16 csum_update(__u16 check, __u64 diff)
{
	return (__u16)~csum_fold(diff + (__u16)~check);
}

/* UDP transmits a computed 0 as 0xffff: 0 means "no checksum" (IPv4 only). */
static __always_inline __u16 csum_udp_update(__u16 check, __u64 diff)
{
	__u16 c = csum_update(check, diff);

	return c ? c : 0xffff;
}

#endif
