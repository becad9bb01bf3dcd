/* turn_shared.h - the one contract between the XDP fast path and turnd: map names, keys, values. */
#ifndef TURN_SHARED_H
#define TURN_SHARED_H

/*
 * Included by bpf/ (clang -target bpf) and by daemon/ (gcc): fixed-width types only, every
 * struct padded explicitly so both sides agree byte for byte. Addresses are in network
 * byte order; IPv4 uses the first 4 bytes of the 16 (the rest zero). Ports and channel
 * numbers are in network byte order too, as on the wire. Times are CLOCK_MONOTONIC
 * nanoseconds (bpf_ktime_get_ns), written by the daemon.
 */
#ifdef __BPF__
#include <linux/types.h>
#else
#include <linux/types.h>
#endif

#define TURN_MAP_C2P "turn_c2p"		/* client ChannelData -> peer */
#define TURN_MAP_P2C "turn_p2c"		/* peer datagram -> client ChannelData */
#define TURN_MAP_PERM "turn_perm"	/* permissions (relay, peer IP) */
#define TURN_MAP_STATS "turn_stats"	/* per-CPU counters per allocation, by slot */
#define TURN_MAP_DROPS "turn_drops"	/* per-CPU counters per reason */
#define TURN_MAP_RATE "turn_rate"	/* bandwidth buckets per allocation (max_bps) */

#define TURN_MAX_BINDINGS 131072	/* channels (a c2p and a p2c entry each) */
#define TURN_BIND_SLOTS 262144		/* slots of the c2p and p2c tables: twice the bindings */
#define TURN_BIND_WAYS 4		/* slots per bucket of those tables */
#define TURN_BIND_PROBES 8		/* slots a binding may be in: its two buckets */
#define TURN_MAX_PERMS 262144		/* entries in perm */
#define TURN_MAX_ALLOCS 131072		/* entries in stats (slots) and rate */

#define TURN_AF_INET 4
#define TURN_AF_INET6 6

/*
 * The route of one binding, cached in its value by the XDP program so that it does not call
 * bpf_fib_lookup() for every packet (that helper is about half of the program's time). Only
 * the program writes it; the daemon never does, not even when it puts another binding in the
 * slot, deletes one, or moves one (so a slot's cache may be another binding's: tag says).
 * Many CPUs may want to write it at once, so it is a seqlock of its own: ver is even while
 * it holds, a CPU takes it by moving ver from that even value to the odd one after (a
 * compare-and-swap: whoever loses writes nothing), writes, and makes ver even again; a
 * reader takes a copy only when ver was the same even value before and after. The program
 * takes it as the route of a datagram when all of these hold, else looks the route up and
 * writes it here again:
 *  - gen is the program's route_gen, which the daemon moves on every route, neighbour, rule,
 *    link, address or netconf change it hears of from rtnetlink (0: empty);
 *  - tag is the value's rt_tag: a hash the daemon makes of the binding's key and target, so
 *    that a cache written for an earlier binding of the slot (or by a CPU that read one
 *    which was rewritten meanwhile) does not serve another;
 *  - the datagram came in on in_ifindex with this tos (IPv4 TOS, IPv6 traffic class);
 *  - its IP length is at most max_len, the largest the route's MTU was seen to take;
 *  - it was looked up less than the program's route_ttl ago (at and the ttl in units of
 *    2^20 ns, about a millisecond): what rtnetlink does not announce (an IPv4 path MTU
 *    learnt from ICMP, say) is followed within that time.
 */
struct turn_route {
	__u32 gen;
	__u32 tag;
	__u32 ifindex;		/* the egress device */
	__u32 in_ifindex;
	__u32 at;		/* when looked up: bpf_ktime_get_ns() >> TURN_ROUTE_SHIFT */
	__u16 max_len;
	__u8 tos;
	__u8 pad;
	__u8 smac[6];
	__u8 dmac[6];
	__u32 ver;		/* the cache's seqlock: odd while a CPU writes it */
};

#define TURN_ROUTE_SHIFT 20

/* Client -> server listener, ChannelData on `channel`. */
struct turn_c2p_key {
	__u8 client[16];
	__u8 listener[16];
	__be16 client_port;
	__be16 listener_port;
	__be16 channel;
	__u8 family;		/* TURN_AF_INET or TURN_AF_INET6: of client and listener */
	__u8 pad;
};

struct turn_c2p_val {
	__u8 relay[16];		/* relayed address the packet leaves from */
	__u8 peer[16];
	__be16 relay_port;
	__be16 peer_port;
	__u8 family;		/* of relay and peer (may differ from the client's) */
	__u8 flags;		/* TURN_F_* */
	__u8 pad[2];
	__u32 slot;		/* the allocation's index in turn_stats; 0: not counted */
	__u32 rt_tag;		/* names this binding in rt (see struct turn_route) */
	struct turn_route rt;	/* the program's: the daemon never writes it */
	__u64 alloc_id;
	__u64 expires_ns;	/* min(channel, permission, allocation) expiry */
};

/* turn_c2p_val.flags and turn_p2c_val.flags: */
#define TURN_F_RATE 0x01	/* the allocation's bandwidth is limited: see turn_rate */

/*
 * The c2p and p2c tables are open-addressed: a BPF_MAP_TYPE_ARRAY (BPF_F_MMAPABLE) of
 * TURN_BIND_SLOTS slots (a power of two; fewer when the daemon sizes them down), each a
 * struct turn_c2p_ent or turn_p2c_ent, in buckets of TURN_BIND_WAYS slots. A key has two
 * buckets (turn_bind_buckets()) and its entry is in one of their slots; an empty slot has key
 * family 0. The program looks through all eight (there are no tombstones: a deleted entry is
 * just zeroed); its array lookups are inlined, where a hash map's are a helper call. With two
 * buckets to choose from, the daemon places every binding of a table up to half full
 * without fail, and most beyond (it moves one entry to its other bucket when both are full).
 *
 * Only the daemon writes entries, through its mmap of the array, as a seqlock: seq odd while
 * it writes, then even again. The program reads seq, then what it needs of the entry, then
 * seq again, and takes the entry only when both are the same even number; otherwise it
 * passes the datagram to the daemon, which relays it. The program writes nothing but the
 * route cache (rt) of a value, which the daemon never writes (struct turn_route). The
 * program's reads are ordered by the compiler barriers and by x86-64's load ordering (the
 * only target the build has).
 */
#define TURN_ENT_HDR 8		/* seq and pad: the key starts here */

/* Peer -> relayed address, for a peer with a bound channel. */
struct turn_p2c_key {
	__u8 relay[16];
	__u8 peer[16];
	__be16 relay_port;
	__be16 peer_port;
	__u8 family;
	__u8 pad[3];
};

struct turn_p2c_val {
	__u8 listener[16];	/* the server address the client talks to */
	__u8 client[16];
	__be16 listener_port;
	__be16 client_port;
	__be16 channel;
	__u8 family;		/* of listener and client */
	__u8 flags;		/* TURN_F_* */
	__u32 slot;		/* as in turn_c2p_val */
	__u32 rt_tag;
	struct turn_route rt;
	__u64 alloc_id;
	__u64 expires_ns;
};

struct turn_c2p_ent {
	__u32 seq;
	__u32 pad;
	struct turn_c2p_key k;
	struct turn_c2p_val v;
};

struct turn_p2c_ent {
	__u32 seq;
	__u32 pad;
	struct turn_p2c_key k;
	struct turn_p2c_val v;
};

/* Both keys are five 64-bit words, hashed alike by the program and the daemon. */
#define TURN_BIND_KEY_WORDS 5

/*
 * The two buckets of a key (its five words, padding zero) in a table of bmask + 1 buckets,
 * distinct: a multiply-xor hash, its halves folded so that both depend on every input bit
 * (a product's low bits see only the low bits of what was multiplied).
 */
static inline __attribute__((always_inline)) void turn_bind_buckets(const __u64 *w, __u32 bmask,
								     __u32 *b1, __u32 *b2)
{
	__u64 h = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < TURN_BIND_KEY_WORDS; i++)
		h = (h ^ w[i]) * 0xff51afd7ed558ccdull;
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 32;
	*b1 = (__u32)h & bmask;
	*b2 = (__u32)(h >> 32) & bmask;
	if (*b2 == *b1)
		*b2 = *b1 ^ 1;
}

/* A permission: peer IP (any port) may send to relay:relay_port. */
struct turn_perm_key {
	__u8 relay[16];
	__u8 peer[16];
	__be16 relay_port;
	__u8 family;
	__u8 pad;
};

struct turn_perm_val {
	__u64 alloc_id;
	__u64 expires_ns;
};

/*
 * Per allocation, per CPU: PERCPU_ARRAY indexed by the slot the daemon gives an allocation
 * and writes into each of its bindings (the program needs no hash lookup to count). The
 * daemon zeroes the slot before the allocation's first binding and takes it back after the
 * last; slot 0 is never given (bindings with slot 0 are not counted).
 */
struct turn_alloc_stats {
	__u64 pkts_c2p;
	__u64 bytes_c2p;	/* UDP payload bytes delivered to the peer */
	__u64 pkts_p2c;
	__u64 bytes_p2c;	/* UDP payload bytes received from the peer */
};

/*
 * Per allocation (HASH keyed by alloc_id, shared by all CPUs): the bandwidth limit of an
 * allocation whose bindings carry TURN_F_RATE, one bucket per direction. The daemon creates
 * it (tat_ns zero) before the first such binding and deletes it with the allocation; the
 * program only moves tat_ns. A bucket is kept as the time it is full again (GCRA): a
 * datagram of n payload bytes is forwarded while tat < now + burst_ns, and then moves tat
 * (at least to now) on by n * 1e9 / bytes_per_s; otherwise it is dropped
 * (TURN_XDP_DROP_RATE). No entry, or bytes_per_s 0: no limit.
 */
struct turn_rate {
	__u64 tat_ns[2];	/* [0] client -> peer, [1] peer -> client */
	__u64 burst_ns;		/* the bucket's depth: burst bytes at bytes_per_s */
	__u32 bytes_per_s;
	__u32 pad;
};

/* Index of turn_drops (PERCPU_ARRAY of __u64). */
enum turn_xdp_counter {
	TURN_XDP_PASS_STUN,		/* STUN (magic cookie), not to a relay port */
	TURN_XDP_PASS_UNKNOWN,		/* ChannelData with no binding, or expired */
	TURN_XDP_PASS_NOCHAN,		/* permitted peer without a channel: Data indication */
	TURN_XDP_PASS_UNSUPPORTED,	/* fragments, IP options, ext headers, GSO, too big,
					   truncated, cross-family binding, IPv6 UDP sum 0 */
	TURN_XDP_PASS_NOROUTE,		/* fib lookup failed / no neighbour */
	TURN_XDP_DROP_NOPERM,		/* peer without permission (or expired) */
	TURN_XDP_PASS_BADLEN,		/* bound channel, length does not match the datagram */
	TURN_XDP_FWD_C2P,
	TURN_XDP_FWD_P2C,
	TURN_XDP_PASS_OTHER,		/* not UDP/IP (ARP, TCP, VLAN...), other UDP */
	TURN_XDP_DROP_RATE,		/* over its allocation's bandwidth (turn_rate) */
	TURN_XDP_NR
};

/*
 * Settings of the XDP program, `const volatile` globals set through the skeleton's rodata
 * before load: ttl (__u8, default 64: TTL / hop limit of forwarded packets),
 * relay_port_min and relay_port_max (__u16, host order; both 0 = relay ports unknown, never
 * drop), relay_any_addr (bool: any destination address is a relay address), and up to
 * TURN_RELAY_ADDRS relay addresses relay_addr[i][16] with relay_family[i] (TURN_AF_*, 0 =
 * unused slot). A datagram to a relay address and port from a peer without a live
 * permission is dropped (TURN_XDP_DROP_NOPERM).
 */
#define TURN_RELAY_ADDRS 4

#endif
