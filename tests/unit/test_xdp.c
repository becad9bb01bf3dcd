/* test_xdp.c - the XDP fast path under BPF_PROG_TEST_RUN: verdicts, byte-exact frames, counters. */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bind_tab.h"
#include "tap.h"
#include "turn_shared.h"
#include "turn_xdp.skel.h"
#include "xdp_skel.h"
#include "xdp_pkt.h"
#include "xdp_tx.skel.h"

#define MAP_SIZE 64		/* entries per map here: small, quick to load */
#define RELAY_MIN 49152
#define RELAY_MAX 65535
#define NALLOCS 8		/* alloc ids 1..7 */
#define TIMING_RUNS 2000
#define FUZZ_RUNS 4000
#define OUT_MAX (FRAME_MAX + 64)

/* The namespace: xa0 faces the clients (and one peer), xb0 the peers; xa0's MTU is 1400. */
#define IF_A 1
#define IF_B 2
#define V4C "198.18.0.2"	/* client */
#define V4L "198.18.0.1"	/* listener, on xa0 */
#define V4LP "198.18.0.3"	/* a peer on the clients' link */
#define V4R "198.18.1.1"	/* relay address, on xb0 */
#define V4P "198.18.1.2"	/* peer */
#define V4X "198.18.1.9"	/* a stranger */
#define V4NR "198.19.200.1"	/* no route */
#define V6C "2001:db8:a::2"
#define V6L "2001:db8:a::1"
#define V6R "2001:db8:b::1"
#define V6P "2001:db8:b::2"
#define V6X "2001:db8:b::9"

static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0x0a, 0x01 };
static const uint8_t mac_b[6] = { 2, 0, 0, 0, 0x0b, 0x01 };
static const uint8_t mac_client[6] = { 2, 0, 0, 0, 0x0a, 0x02 };
static const uint8_t mac_lpeer[6] = { 2, 0, 0, 0, 0x0a, 0x03 };
static const uint8_t mac_peer[6] = { 2, 0, 0, 0, 0x0b, 0x02 };

static const char *const net_cmds[] = {
	"ip link set lo up",
	"ip link add xa0 address 02:00:00:00:0a:01 type veth peer name xa1",
	"ip link add xb0 address 02:00:00:00:0b:01 type veth peer name xb1",
	"ip link set xa0 mtu 1400",
	"ip link set xa0 up",
	"ip link set xa1 up",
	"ip link set xb0 up",
	"ip link set xb1 up",
	"ip addr add 198.18.0.1/24 dev xa0",
	"ip addr add 198.18.1.1/24 dev xb0",
	"ip addr add 2001:db8:a::1/64 dev xa0 nodad",
	"ip addr add 2001:db8:b::1/64 dev xb0 nodad",
	"ip neigh add 198.18.0.2 lladdr 02:00:00:00:0a:02 nud permanent dev xa0",
	"ip neigh add 198.18.0.3 lladdr 02:00:00:00:0a:03 nud permanent dev xa0",
	"ip neigh add 198.18.1.2 lladdr 02:00:00:00:0b:02 nud permanent dev xb0",
	"ip neigh add 2001:db8:a::2 lladdr 02:00:00:00:0a:02 nud permanent dev xa0",
	"ip neigh add 2001:db8:b::2 lladdr 02:00:00:00:0b:02 nud permanent dev xb0",
};

/* bpf_fib_lookup() refuses to route for a device without forwarding. */
static const char *const net_sysctls[] = {
	"/proc/sys/net/ipv4/conf/all/forwarding",
	"/proc/sys/net/ipv6/conf/all/forwarding",
};

enum { B_C2P = 1, B_P2C = 2, B_PERM = 4, B_ALL = 7, B_EXPIRED = 8 };

/* One bound channel as the daemon writes it: c2p, p2c and permission entries. */
struct binding {
	unsigned what;			/* B_*; 0: no binding */
	uint64_t alloc_id;
	int family;			/* of client and listener */
	const char *client, *listener;
	uint16_t client_port, listener_port, chan;
	int rfamily;			/* of relay and peer */
	const char *relay, *peer;
	uint16_t relay_port, peer_port;
	uint8_t flags;			/* TURN_F_* in both directions' values */
};

#define BIND4(w) { w, 1, 4, V4C, V4L, 40000, 3478, 0x4000, 4, V4R, V4P, 50000, 6000, 0 }
#define BIND6(w) { w, 2, 6, V6C, V6L, 40001, 3478, 0x4001, 6, V6R, V6P, 50001, 6001, 0 }
#define BIND4TX { B_ALL, 3, 4, V4C, V4L, 40002, 3478, 0x4002, 4, V4L, V4LP, 50002, 6002, 0 }
#define BIND4NR { B_ALL, 4, 4, V4C, V4L, 40003, 3478, 0x4003, 4, V4R, V4NR, 50003, 6003, 0 }
#define BIND46 { B_ALL, 5, 4, V4C, V4L, 40004, 3478, 0x4004, 6, V6R, V6P, 50004, 6004, 0 }
#define BIND4LEG { B_ALL, 6, 4, V4C, V4L, 40005, 3478, 0x7ffe, 4, V4R, V4P, 50005, 6005, 0 }

/* Incoming packets carry TTL 61, a DSCP/ECN byte and an ID, all but the TTL kept. */
#define IN4F(s, d, sp, dp, fr) .family = 4, .src = s, .dst = d, .sport = sp, .dport = dp, \
	.ttl = 61, .tos = 0xb9, .id = 0x1234, .frag = fr
#define IN4(s, d, sp, dp) IN4F(s, d, sp, dp, FR_DF)
#define IN6(s, d, sp, dp) .family = 6, .src = s, .dst = d, .sport = sp, .dport = dp, \
	.ttl = 61, .tos = 0xb9, .flow = 0x12345
#define OUT4T(s, d, sp, dp, sm, dm, t) .family = 4, .src = s, .dst = d, .sport = sp, \
	.dport = dp, .smac = sm, .dmac = dm, .ttl = t, .tos = 0xb9, .id = 0x1234, .frag = FR_DF
#define OUT4(s, d, sp, dp, sm, dm) OUT4T(s, d, sp, dp, sm, dm, 64)
#define OUT6(s, d, sp, dp, sm, dm) .family = 6, .src = s, .dst = d, .sport = sp, .dport = dp, \
	.smac = sm, .dmac = dm, .ttl = 64, .tos = 0xb9, .flow = 0x12345
#define C2P4L(len) IN4(V4C, V4L, 40000, 3478), .chan = 0x4000, .cd_len = len
#define C2P4 C2P4L(-1)
#define C2P6 IN6(V6C, V6L, 40001, 3478), .chan = 0x4001, .cd_len = -1
#define TO_PEER4 OUT4(V4R, V4P, 50000, 6000, mac_b, mac_peer)
#define TO_PEER6 OUT6(V6R, V6P, 50001, 6001, mac_b, mac_peer)
#define TO_CLIENT4 OUT4(V4L, V4C, 3478, 40000, mac_a, mac_client), .chan = 0x4000, .cd_len = -1
#define TO_CLIENT6 OUT6(V6L, V6C, 3478, 40001, mac_a, mac_client), .chan = 0x4001, .cd_len = -1

static uint8_t data[1500];	/* application data: a pattern, filled in by main() */
static uint8_t cdlike[32] = { 0x40, 0x00, 0x00, 0x1c };	/* peer data that looks like ChannelData */
/* Data whose last word makes the forwarded UDP sum come to 0, sent as 0xffff: main() sets it. */
static uint8_t zsum_c2p[16], zsum_p2c[16];
static const uint8_t stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4,
				  5, 6, 7, 8, 9, 10, 11, 12 };

struct xcase {
	const char *name;
	int ingress;			/* IF_A or IF_B */
	struct frame in;
	struct binding bind[2];
	int verdict;
	int counter;			/* enum turn_xdp_counter: the one this frame adds 1 to */
	struct frame out;		/* when forwarded; family 0: the input, unchanged */
	bool base;			/* also a base frame of the truncation and fuzz loops */
};

static const struct xcase cases[] = {
	{ "v4 c2p, no padding: relay -> peer, redirected to the peers' link", IF_A,
	  { C2P4, .data = data, .data_len = 12 }, { BIND4(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_C2P, { TO_PEER4, .data = data, .data_len = 12 }, false },
	{ "v4 c2p, 13 bytes of data and 3 of padding (nonzero)", IF_A,
	  { C2P4, .data = data, .data_len = 13, .pad = 3 }, { BIND4(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_C2P, { TO_PEER4, .data = data, .data_len = 13 }, true },
	{ "v4 c2p, 1 byte of padding and an Ethernet trailer", IF_A,
	  { C2P4, .data = data, .data_len = 3, .pad = 1, .trailer = 10 }, { BIND4(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_C2P, { TO_PEER4, .data = data, .data_len = 3 }, false },
	{ "v4 c2p, empty ChannelData: an empty datagram", IF_A,
	  { C2P4, .data = data, .data_len = 0 }, { BIND4(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_C2P, { TO_PEER4, .data = data, .data_len = 0 }, false },
	{ "v4 c2p, UDP checksum 0 stays 0", IF_A,
	  { C2P4, .data = data, .data_len = 12, .flags = FR_CSUM0 }, { BIND4(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_C2P,
	  { TO_PEER4, .data = data, .data_len = 12, .flags = FR_CSUM0 }, false },
	{ "v4 c2p, channel 0x7ffe (RFC 5766 range)", IF_A,
	  { IN4(V4C, V4L, 40005, 3478), .chan = 0x7ffe, .cd_len = -1, .data = data,
	    .data_len = 100 }, { BIND4LEG },
	  XDP_REDIRECT, TURN_XDP_FWD_C2P,
	  { OUT4(V4R, V4P, 50005, 6005, mac_b, mac_peer), .data = data, .data_len = 100 }, false },
	{ "v4 c2p, peer on the ingress link: XDP_TX", IF_A,
	  { IN4(V4C, V4L, 40002, 3478), .chan = 0x4002, .cd_len = -1, .data = data,
	    .data_len = 40 }, { BIND4TX },
	  XDP_TX, TURN_XDP_FWD_C2P,
	  { OUT4(V4L, V4LP, 50002, 6002, mac_a, mac_lpeer), .data = data, .data_len = 40 }, false },
	{ "v4 c2p, new UDP sum computes to 0: sent as 0xffff", IF_A,
	  { C2P4, .data = zsum_c2p, .data_len = 16 }, { BIND4(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_C2P, { TO_PEER4, .data = zsum_c2p, .data_len = 16 }, false },
	{ "v6 c2p, no padding", IF_A,
	  { C2P6, .data = data, .data_len = 160 }, { BIND6(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_C2P, { TO_PEER6, .data = data, .data_len = 160 }, false },
	{ "v6 c2p, 101 bytes of data and 3 of padding", IF_A,
	  { C2P6, .data = data, .data_len = 101, .pad = 3 }, { BIND6(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_C2P, { TO_PEER6, .data = data, .data_len = 101 }, true },
	{ "v4 p2c: header prepended, listener -> client, redirected", IF_B,
	  { IN4(V4P, V4R, 6000, 50000), .data = data, .data_len = 20 }, { BIND4(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_P2C, { TO_CLIENT4, .data = data, .data_len = 20 }, true },
	{ "v4 p2c, odd length and an Ethernet trailer (no padding added)", IF_B,
	  { IN4(V4P, V4R, 6000, 50000), .data = data, .data_len = 5, .trailer = 13 },
	  { BIND4(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_P2C, { TO_CLIENT4, .data = data, .data_len = 5 }, false },
	{ "v4 p2c, UDP checksum 0 stays 0", IF_B,
	  { IN4(V4P, V4R, 6000, 50000), .data = data, .data_len = 33, .flags = FR_CSUM0 },
	  { BIND4(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_P2C,
	  { TO_CLIENT4, .data = data, .data_len = 33, .flags = FR_CSUM0 }, false },
	{ "v4 p2c, peer data that looks like ChannelData", IF_B,
	  { IN4(V4P, V4R, 6000, 50000), .data = cdlike, .data_len = 32 }, { BIND4(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_P2C, { TO_CLIENT4, .data = cdlike, .data_len = 32 }, false },
	{ "v4 p2c, exactly the egress MTU", IF_B,
	  { IN4(V4P, V4R, 6000, 50000), .data = data, .data_len = 1400 - 32 },
	  { BIND4(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_P2C,
	  { TO_CLIENT4, .data = data, .data_len = 1400 - 32 }, false },
	{ "v6 p2c", IF_B,
	  { IN6(V6P, V6R, 6001, 50001), .data = data, .data_len = 161 }, { BIND6(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_P2C, { TO_CLIENT6, .data = data, .data_len = 161 }, true },
	{ "v6 p2c, new UDP sum computes to 0: sent as 0xffff", IF_B,
	  { IN6(V6P, V6R, 6001, 50001), .data = zsum_p2c, .data_len = 16 }, { BIND6(B_ALL) },
	  XDP_REDIRECT, TURN_XDP_FWD_P2C, { TO_CLIENT6, .data = zsum_p2c, .data_len = 16 }, false },
	{ "v4 p2c, one byte over the egress MTU: pass", IF_B,
	  { IN4(V4P, V4R, 6000, 50000), .data = data, .data_len = 1400 - 31 },
	  { BIND4(B_ALL) }, XDP_PASS, TURN_XDP_PASS_UNSUPPORTED, { 0 }, false },
	{ "v6 p2c, one byte over the egress MTU: pass", IF_B,
	  { IN6(V6P, V6R, 6001, 50001), .data = data, .data_len = 1400 - 51 },
	  { BIND6(B_ALL) }, XDP_PASS, TURN_XDP_PASS_UNSUPPORTED, { 0 }, false },
	{ "v4 c2p, expired binding: pass", IF_A,
	  { C2P4, .data = data, .data_len = 12 }, { BIND4(B_ALL | B_EXPIRED) },
	  XDP_PASS, TURN_XDP_PASS_UNKNOWN, { 0 }, false },
	{ "v4 c2p, unbound channel: pass", IF_A,
	  { IN4(V4C, V4L, 40000, 3478), .chan = 0x4005, .cd_len = -1, .data = data,
	    .data_len = 12 }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_UNKNOWN, { 0 }, false },
	{ "v6 c2p, expired binding: pass", IF_A,
	  { C2P6, .data = data, .data_len = 12 }, { BIND6(B_ALL | B_EXPIRED) },
	  XDP_PASS, TURN_XDP_PASS_UNKNOWN, { 0 }, false },
	{ "v4 c2p, length field one more than the data: pass", IF_A,
	  { C2P4L(13), .data = data, .data_len = 12 }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_BADLEN, { 0 }, false },
	{ "v4 c2p, 4 bytes of padding: pass", IF_A,
	  { C2P4, .data = data, .data_len = 12, .pad = 4 }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_BADLEN, { 0 }, false },
	{ "v4 c2p, no route to the peer: pass", IF_A,
	  { IN4(V4C, V4L, 40003, 3478), .chan = 0x4003, .cd_len = -1, .data = data,
	    .data_len = 12 }, { BIND4NR },
	  XDP_PASS, TURN_XDP_PASS_NOROUTE, { 0 }, false },
	{ "v4 client, IPv6 peer: pass (daemon relays across families)", IF_A,
	  { IN4(V4C, V4L, 40004, 3478), .chan = 0x4004, .cd_len = -1, .data = data,
	    .data_len = 12 }, { BIND46 },
	  XDP_PASS, TURN_XDP_PASS_UNSUPPORTED, { 0 }, false },
	{ "v6 peer of a v4 client: pass", IF_B,
	  { IN6(V6P, V6R, 6004, 50004), .data = data, .data_len = 12 }, { BIND46 },
	  XDP_PASS, TURN_XDP_PASS_UNSUPPORTED, { 0 }, false },
	{ "v4 first fragment (MF): pass", IF_A,
	  { IN4F(V4C, V4L, 40000, 3478, FR_MF), .chan = 0x4000, .cd_len = -1,
	    .data = data, .data_len = 12 }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_UNSUPPORTED, { 0 }, false },
	{ "v4 later fragment (offset): pass", IF_A,
	  { IN4F(V4C, V4L, 40000, 3478, 185), .chan = 0x4000, .cd_len = -1,
	    .data = data, .data_len = 12 }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_UNSUPPORTED, { 0 }, false },
	{ "v4 with IP options: pass", IF_A,
	  { C2P4, .data = data, .data_len = 12, .flags = FR_IPOPT }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_UNSUPPORTED, { 0 }, false },
	/* Source port 28: a parser blind to the options would take it for a right UDP length. */
	{ "v4 with IP options, UDP-like at offset 20: pass", IF_A,
	  { IN4(V4C, V4L, 28, 3478), .chan = 0x4000, .cd_len = -1, .data = data,
	    .data_len = 12, .flags = FR_IPOPT }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_UNSUPPORTED, { 0 }, false },
	{ "v6 with a hop-by-hop header: pass", IF_A,
	  { C2P6, .data = data, .data_len = 12, .flags = FR_V6EXT }, { BIND6(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_UNSUPPORTED, { 0 }, false },
	{ "v4 UDP length short of the IP length (GSO): pass", IF_A,
	  { C2P4, .data = data, .data_len = 300, .flags = FR_GSO }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_UNSUPPORTED, { 0 }, false },
	{ "v6 UDP checksum 0: pass", IF_A,
	  { C2P6, .data = data, .data_len = 12, .flags = FR_CSUM0 }, { BIND6(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_UNSUPPORTED, { 0 }, false },
	{ "v4 c2p behind a VLAN tag: pass", IF_A,
	  { C2P4, .data = data, .data_len = 12, .flags = FR_VLAN }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_OTHER, { 0 }, false },
	{ "v4 TCP to the listener: pass", IF_A,
	  { C2P4, .data = data, .data_len = 12, .flags = FR_TCP }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_OTHER, { 0 }, false },
	{ "v4 STUN Binding request to the listener: pass", IF_A,
	  { IN4(V4C, V4L, 40000, 3478), .data = stun, .data_len = 20 }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_STUN, { 0 }, false },
	{ "v6 STUN Binding request to the listener: pass", IF_A,
	  { IN6(V6C, V6L, 40001, 3478), .data = stun, .data_len = 20 }, { BIND6(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_STUN, { 0 }, false },
	{ "v4 peer without permission at a relay port: drop", IF_B,
	  { IN4(V4X, V4R, 7000, 50000), .data = data, .data_len = 10 }, { BIND4(B_ALL) },
	  XDP_DROP, TURN_XDP_DROP_NOPERM, { 0 }, false },
	{ "v6 peer without permission at a relay port: drop", IF_B,
	  { IN6(V6X, V6R, 7000, 50001), .data = data, .data_len = 10 }, { BIND6(B_ALL) },
	  XDP_DROP, TURN_XDP_DROP_NOPERM, { 0 }, false },
	{ "v4 peer with an expired permission: drop", IF_B,
	  { IN4(V4P, V4R, 6000, 50000), .data = data, .data_len = 10 },
	  { BIND4(B_PERM | B_EXPIRED) }, XDP_DROP, TURN_XDP_DROP_NOPERM, { 0 }, false },
	{ "v4 peer with permission, no channel: pass for a Data indication", IF_B,
	  { IN4(V4P, V4R, 6000, 50000), .data = data, .data_len = 10 }, { BIND4(B_PERM) },
	  XDP_PASS, TURN_XDP_PASS_NOCHAN, { 0 }, false },
	{ "v4 permitted peer from another port than the channel's: pass", IF_B,
	  { IN4(V4P, V4R, 6999, 50000), .data = data, .data_len = 10 }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_NOCHAN, { 0 }, false },
	{ "v4 expired channel, live permission: pass", IF_B,
	  { IN4(V4P, V4R, 6000, 50000), .data = data, .data_len = 10 },
	  { BIND4(B_P2C | B_EXPIRED), BIND4(B_PERM) },
	  XDP_PASS, TURN_XDP_PASS_NOCHAN, { 0 }, false },
	{ "v6 peer with permission, no channel: pass", IF_B,
	  { IN6(V6P, V6R, 6001, 50001), .data = data, .data_len = 10 }, { BIND6(B_PERM) },
	  XDP_PASS, TURN_XDP_PASS_NOCHAN, { 0 }, false },
	{ "v4 relay address, port outside the relay range: pass", IF_B,
	  { IN4(V4X, V4R, 7000, 1000), .data = data, .data_len = 10 }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_OTHER, { 0 }, false },
	{ "v4 relay port on an address that is no relay address: pass", IF_B,
	  { IN4(V4X, V4L, 7000, 50000), .data = data, .data_len = 10 }, { BIND4(B_ALL) },
	  XDP_PASS, TURN_XDP_PASS_OTHER, { 0 }, false },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static const char *const counter_names[TURN_XDP_NR] = {
	[TURN_XDP_PASS_STUN] = "PASS_STUN",
	[TURN_XDP_PASS_UNKNOWN] = "PASS_UNKNOWN",
	[TURN_XDP_PASS_NOCHAN] = "PASS_NOCHAN",
	[TURN_XDP_PASS_UNSUPPORTED] = "PASS_UNSUPPORTED",
	[TURN_XDP_PASS_NOROUTE] = "PASS_NOROUTE",
	[TURN_XDP_DROP_NOPERM] = "DROP_NOPERM",
	[TURN_XDP_PASS_BADLEN] = "PASS_BADLEN",
	[TURN_XDP_FWD_C2P] = "FWD_C2P",
	[TURN_XDP_FWD_P2C] = "FWD_P2C",
	[TURN_XDP_PASS_OTHER] = "PASS_OTHER",
	[TURN_XDP_DROP_RATE] = "DROP_RATE",
};

/* The program's rodata settings. */
struct settings {
	uint8_t ttl;
	uint16_t port_min, port_max;
	bool any_addr;			/* else relay_addr holds V4R and V6R */
};

static const struct settings main_settings = { 64, RELAY_MIN, RELAY_MAX, false };

/* Cases run on an instance of their own, loaded with other settings. */
static const struct {
	struct settings s;
	struct xcase c;
} settings_cases[] = {
	{ { 33, 0, 0, false },
	  { "ttl 33: forwarded with TTL 33", IF_B,
	    { IN4(V4P, V4R, 6000, 50000), .data = data, .data_len = 20 }, { BIND4(B_ALL) },
	    XDP_REDIRECT, TURN_XDP_FWD_P2C,
	    { OUT4T(V4L, V4C, 3478, 40000, mac_a, mac_client, 33), .chan = 0x4000,
	      .cd_len = -1, .data = data, .data_len = 20 }, false } },
	{ { 33, 0, 0, false },
	  { "relay ports unknown: a stranger at a relay address passes", IF_B,
	    { IN4(V4X, V4R, 7000, 50000), .data = data, .data_len = 10 }, { BIND4(B_ALL) },
	    XDP_PASS, TURN_XDP_PASS_OTHER, { 0 }, false } },
	{ { 64, RELAY_MIN, RELAY_MAX, true },
	  { "relay_any_addr: a stranger at a relay port of any address is dropped", IF_B,
	    { IN4(V4X, V4L, 7000, 50000), .data = data, .data_len = 10 }, { BIND4(B_ALL) },
	    XDP_DROP, TURN_XDP_DROP_NOPERM, { 0 }, false } },
	{ { 64, RELAY_MIN, RELAY_MAX, true },
	  { "relay_any_addr: a non-relay port still passes", IF_B,
	    { IN4(V4X, V4L, 7000, 3478), .data = data, .data_len = 10 }, { BIND4(B_ALL) },
	    XDP_PASS, TURN_XDP_PASS_OTHER, { 0 }, false } },
};

struct env {
	struct turn_xdp_bpf *skel;
	struct xdp_tx_bpf *tx;
	int prog_fd;
	int ifindex[3];			/* by IF_A, IF_B */
	int ncpus;
};

/* One run of a frame: 0 or -errno; the verdict, output and duration in the out-params. */
struct run {
	uint32_t retval;
	uint32_t len;
	uint32_t ns;
	uint8_t out[OUT_MAX];
};

static int run_frame(int prog_fd, int ifindex, const uint8_t *in, size_t len, struct run *r)
{
	struct xdp_md ctx = { .data_end = (uint32_t)len, .ingress_ifindex = (uint32_t)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = (uint32_t)len,
		    .data_out = r->out, .data_size_out = sizeof(r->out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(prog_fd, &opts);
	if (err)
		return -errno;
	r->retval = opts.retval;
	r->len = opts.data_size_out;
	r->ns = opts.duration;
	return 0;
}

static void addr16(int family, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(family == 6 ? AF_INET6 : AF_INET, s, out) != 1)
		fprintf(stderr, "bad address %s\n", s);
}

/* Write (or with del, delete) the entries of a binding: 0 or -errno. */
static int bind_apply(const struct env *e, const struct binding *b, bool del)
{
	uint64_t exp = (b->what & B_EXPIRED) ? 1 : UINT64_MAX;
	struct turn_c2p_key ck = { 0 };
	struct turn_c2p_val cv = { 0 };
	struct turn_p2c_key pk = { 0 };
	struct turn_p2c_val pv = { 0 };
	struct turn_perm_key mk = { 0 };
	struct turn_perm_val mv = { 0 };
	int err = 0;

	addr16(b->family, b->client, ck.client);
	addr16(b->family, b->listener, ck.listener);
	ck.client_port = htons(b->client_port);
	ck.listener_port = htons(b->listener_port);
	ck.channel = htons(b->chan);
	ck.family = (uint8_t)b->family;
	addr16(b->rfamily, b->relay, cv.relay);
	addr16(b->rfamily, b->peer, cv.peer);
	cv.relay_port = htons(b->relay_port);
	cv.peer_port = htons(b->peer_port);
	cv.family = (uint8_t)b->rfamily;
	cv.alloc_id = b->alloc_id;
	cv.slot = (uint32_t)b->alloc_id;	/* the stats slot of allocation id is id here */
	cv.rt_tag = 0xc2b00000u | ck.channel;
	cv.expires_ns = exp;
	cv.flags = b->flags;

	memcpy(pk.relay, cv.relay, 16);
	memcpy(pk.peer, cv.peer, 16);
	pk.relay_port = cv.relay_port;
	pk.peer_port = cv.peer_port;
	pk.family = cv.family;
	memcpy(pv.listener, ck.listener, 16);
	memcpy(pv.client, ck.client, 16);
	pv.listener_port = ck.listener_port;
	pv.client_port = ck.client_port;
	pv.channel = ck.channel;
	pv.family = ck.family;
	pv.alloc_id = b->alloc_id;
	pv.slot = cv.slot;
	pv.rt_tag = 0x2cb00000u | ck.channel;
	pv.expires_ns = exp;
	pv.flags = b->flags;

	memcpy(mk.relay, cv.relay, 16);
	memcpy(mk.peer, cv.peer, 16);
	mk.relay_port = cv.relay_port;
	mk.family = cv.family;
	mv.alloc_id = b->alloc_id;
	mv.expires_ns = exp;

	if (b->what & B_C2P)
		err = tab_apply(bpf_map__fd(e->skel->maps.turn_c2p), BINDTAB_C2P, &ck, &cv, del);
	if ((b->what & B_P2C) && !err)
		err = tab_apply(bpf_map__fd(e->skel->maps.turn_p2c), BINDTAB_P2C, &pk, &pv, del);
	if ((b->what & B_PERM) && !err) {
		int fd = bpf_map__fd(e->skel->maps.turn_perm);

		err = del ? bpf_map_delete_elem(fd, &mk) : bpf_map_update_elem(fd, &mk, &mv, BPF_ANY);
		err = err ? -errno : 0;
	}
	return err;
}

static int binds_apply(const struct env *e, const struct binding *b, int n, bool del)
{
	int err = 0;

	for (int i = 0; i < n && !err; i++)
		if (b[i].what)
			err = bind_apply(e, &b[i], del);
	return err;
}

static int read_counters(const struct env *e, uint64_t out[TURN_XDP_NR])
{
	int fd = bpf_map__fd(e->skel->maps.turn_drops);
	uint64_t *v = calloc((size_t)e->ncpus, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (uint32_t k = 0; k < TURN_XDP_NR; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, v)) {
			free(v);
			return -errno;
		}
		for (int c = 0; c < e->ncpus; c++)
			out[k] += v[c];
	}
	free(v);
	return 0;
}

static int read_stats(const struct env *e, uint64_t id, struct turn_alloc_stats *out)
{
	int fd = bpf_map__fd(e->skel->maps.turn_stats);
	struct turn_alloc_stats *v = calloc((size_t)e->ncpus, sizeof(*v));
	uint32_t slot = (uint32_t)id;

	memset(out, 0, sizeof(*out));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &slot, v)) {
		free(v);
		return -errno;
	}
	for (int c = 0; c < e->ncpus; c++) {
		out->pkts_c2p += v[c].pkts_c2p;
		out->bytes_c2p += v[c].bytes_c2p;
		out->pkts_p2c += v[c].pkts_p2c;
		out->bytes_p2c += v[c].bytes_p2c;
	}
	free(v);
	return 0;
}

static void hexdump_diff(const uint8_t *got, size_t glen, const uint8_t *want, size_t wlen)
{
	size_t n = glen > wlen ? glen : wlen;
	int shown = 0;

	for (size_t i = 0; i < n; i++) {
		int g = i < glen ? got[i] : -1, w = i < wlen ? want[i] : -1;

		if (g != w && shown++ < 16)
			diag("  byte %zu: got %02x want %02x", i, g & 0xff, w & 0xff);
	}
}

/* Run one case; expected counters and stats accumulate in exp_ctr and exp_st. */
static void run_case(const struct env *e, const struct xcase *c, uint64_t exp_ctr[TURN_XDP_NR],
		     struct turn_alloc_stats *exp_st)
{
	static uint8_t in[FRAME_MAX], want[FRAME_MAX];
	uint64_t before[TURN_XDP_NR], after[TURN_XDP_NR], total = 0;
	size_t inlen, wantlen;
	struct run r = { 0 };
	int err;

	inlen = frame_build(&c->in, in, sizeof(in));
	if (c->out.family)
		wantlen = frame_build(&c->out, want, sizeof(want));
	else
		memcpy(want, in, wantlen = inlen);
	err = binds_apply(e, c->bind, 2, false);
	if (!ok(inlen && wantlen && !err && !read_counters(e, before), "%s: setup", c->name))
		return;

	err = run_frame(e->prog_fd, e->ifindex[c->ingress], in, inlen, &r);
	ok(!err, "%s: test run (%s)", c->name, strerror(-err));
	is_int(r.retval, c->verdict, "%s: verdict", c->name);
	is_int(r.len, wantlen, "%s: length", c->name);
	if (!is_mem(r.out, want, wantlen, "%s: frame byte for byte", c->name))
		hexdump_diff(r.out, r.len, want, wantlen);
	if (c->out.family)
		ok(frame_check_sums(want, wantlen) == 0 && frame_check_sums(r.out, r.len) == 0,
		   "%s: sums check from scratch (%d)", c->name, frame_check_sums(r.out, r.len));

	read_counters(e, after);
	for (int k = 0; k < TURN_XDP_NR; k++)
		total += after[k] - before[k];
	ok(after[c->counter] - before[c->counter] == 1 && total == 1, "%s: counted as %s",
	   c->name, counter_names[c->counter]);
	exp_ctr[c->counter]++;
	if (c->counter == TURN_XDP_FWD_C2P) {
		exp_st[c->bind[0].alloc_id].pkts_c2p++;
		exp_st[c->bind[0].alloc_id].bytes_c2p += c->out.data_len;
	} else if (c->counter == TURN_XDP_FWD_P2C) {
		exp_st[c->bind[0].alloc_id].pkts_p2c++;
		exp_st[c->bind[0].alloc_id].bytes_p2c += c->in.data_len;
	}
	binds_apply(e, c->bind, 2, true);
}

static void check_totals(const struct env *e, const uint64_t exp_ctr[TURN_XDP_NR],
			 const struct turn_alloc_stats *exp_st)
{
	uint64_t got[TURN_XDP_NR];
	struct turn_alloc_stats st;

	ok(!read_counters(e, got), "counters read");
	for (int k = 0; k < TURN_XDP_NR; k++)
		is_int(got[k], exp_ctr[k], "counter %s after the table", counter_names[k]);
	for (uint64_t id = 1; id < NALLOCS; id++) {
		ok(!read_stats(e, id, &st), "stats of allocation %llu read",
		   (unsigned long long)id);
		ok(st.pkts_c2p == exp_st[id].pkts_c2p && st.bytes_c2p == exp_st[id].bytes_c2p &&
		   st.pkts_p2c == exp_st[id].pkts_p2c && st.bytes_p2c == exp_st[id].bytes_p2c,
		   "allocation %llu: c2p %llu pkts %llu bytes, p2c %llu pkts %llu bytes",
		   (unsigned long long)id, (unsigned long long)st.pkts_c2p,
		   (unsigned long long)st.bytes_c2p, (unsigned long long)st.pkts_p2c,
		   (unsigned long long)st.bytes_p2c);
	}
}

/* Every prefix of a frame shorter than the frame: never a crash, always passed unchanged. */
static void check_truncated(const struct env *e, const struct xcase *c)
{
	static uint8_t in[FRAME_MAX];
	uint64_t before[TURN_XDP_NR], after[TURN_XDP_NR];
	size_t len = frame_build(&c->in, in, sizeof(in)), bad = 0, runs = 0;
	struct run r;

	binds_apply(e, c->bind, 2, false);
	read_counters(e, before);
	for (size_t n = 0; n < len; n++) {
		int err = run_frame(e->prog_fd, e->ifindex[c->ingress], in, n, &r);

		/* The kernel itself refuses frames shorter than an Ethernet header. */
		if (n < 14) {
			bad += err != -EINVAL;
			continue;
		}
		runs++;
		if (err || r.retval != XDP_PASS || r.len != n || memcmp(r.out, in, n)) {
			if (!bad)
				diag("  length %zu: err %d verdict %u length %u", n, err, r.retval,
				     r.len);
			bad++;
		}
	}
	read_counters(e, after);
	binds_apply(e, c->bind, 2, true);
	ok(!bad, "%s: all %zu truncations passed unchanged", c->name, len);
	is_int(after[TURN_XDP_PASS_UNSUPPORTED] - before[TURN_XDP_PASS_UNSUPPORTED], runs,
	       "%s: truncations counted as PASS_UNSUPPORTED", c->name);
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/*
 * Hostile bytes: frames with 1-3 random bytes changed, half of them with their sums made
 * right again. Whatever the verdict, a frame passed or dropped is unchanged, and a frame
 * forwarded with right sums leaves with right sums.
 */
static void check_fuzz(const struct env *e, const struct xcase *const *base, int nbase)
{
	static uint8_t in[FRAME_MAX];
	size_t bad_verdict = 0, bad_pass = 0, bad_sums = 0, fwd = 0, fwd_checked = 0;
	uint32_t seed = 0x7e57c0de;
	struct run r;

	for (int i = 0; i < nbase; i++)
		binds_apply(e, base[i]->bind, 2, false);
	for (int i = 0; i < FUZZ_RUNS; i++) {
		const struct xcase *c = base[i % nbase];
		size_t len = frame_build(&c->in, in, sizeof(in));
		int nflip = 1 + (int)(xorshift(&seed) % 3), err;

		for (int f = 0; f < nflip; f++)
			in[xorshift(&seed) % len] = (uint8_t)xorshift(&seed);
		if (i & 1)
			frame_fix_sums(in, len);
		err = run_frame(e->prog_fd, e->ifindex[c->ingress], in, len, &r);
		if (err || (r.retval != XDP_PASS && r.retval != XDP_DROP && r.retval != XDP_TX &&
			    r.retval != XDP_REDIRECT)) {
			bad_verdict++;
			continue;
		}
		if (r.retval == XDP_PASS || r.retval == XDP_DROP) {
			bad_pass += r.len != len || memcmp(r.out, in, len);
			continue;
		}
		fwd++;
		if (frame_check_sums(in, len) == 0) {
			fwd_checked++;
			bad_sums += frame_check_sums(r.out, r.len) != 0;
		}
	}
	for (int i = 0; i < nbase; i++)
		binds_apply(e, base[i]->bind, 2, true);
	diag("fuzz: %d frames, %zu forwarded, %zu of them with right sums going in", FUZZ_RUNS,
	     fwd, fwd_checked);
	is_int(bad_verdict, 0, "fuzz: every run succeeds with PASS, DROP, TX or REDIRECT");
	is_int(bad_pass, 0, "fuzz: passed and dropped frames are unchanged");
	is_int(bad_sums, 0, "fuzz: forwarded frames with right sums keep right sums");
	ok(fwd_checked > 0, "fuzz: some mutants with right sums were forwarded");
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Median ns per packet of the c2p forward and of a bare XDP_TX, runs interleaved. */
static void timing(const struct env *e, const struct xcase *c)
{
	static uint32_t t_fwd[TIMING_RUNS], t_tx[TIMING_RUNS];
	static uint8_t in[FRAME_MAX];
	size_t len = frame_build(&c->in, in, sizeof(in));
	int tx_fd = bpf_program__fd(e->tx->progs.xdp_tx), bad = 0;
	struct run r;

	binds_apply(e, c->bind, 2, false);
	for (int i = 0; i < TIMING_RUNS; i++) {
		bad += run_frame(e->prog_fd, e->ifindex[c->ingress], in, len, &r) != 0 ||
		       r.retval != (uint32_t)c->verdict;
		t_fwd[i] = r.ns;
		bad += run_frame(tx_fd, e->ifindex[c->ingress], in, len, &r) != 0 ||
		       r.retval != XDP_TX;
		t_tx[i] = r.ns;
	}
	binds_apply(e, c->bind, 2, true);
	qsort(t_fwd, TIMING_RUNS, sizeof(t_fwd[0]), cmp_u32);
	qsort(t_tx, TIMING_RUNS, sizeof(t_tx[0]), cmp_u32);
	is_int(bad, 0, "timing: %d runs of each program gave their verdicts", TIMING_RUNS);
	diag("timing (repeat=1, median of %d): c2p forward %u ns/pkt, bare XDP_TX %u ns/pkt, "
	     "ratio %.2f", TIMING_RUNS, t_fwd[TIMING_RUNS / 2], t_tx[TIMING_RUNS / 2],
	     t_tx[TIMING_RUNS / 2] ? (double)t_fwd[TIMING_RUNS / 2] / t_tx[TIMING_RUNS / 2] : 0.0);
}

static int write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return -errno;
	if (fputs(s, f) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/* A private network namespace with the veth pairs, routes and neighbours above. */
static int netns_setup(struct env *e)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	for (size_t i = 0; i < sizeof(net_cmds) / sizeof(net_cmds[0]); i++) {
		if (system(net_cmds[i]) != 0) {
			diag("failed: %s", net_cmds[i]);
			return -EIO;
		}
	}
	for (size_t i = 0; i < sizeof(net_sysctls) / sizeof(net_sysctls[0]); i++) {
		int err = write_file(net_sysctls[i], "1");

		if (err) {
			diag("write %s: %s", net_sysctls[i], strerror(-err));
			return err;
		}
	}
	e->ifindex[IF_A] = (int)if_nametoindex("xa0");
	e->ifindex[IF_B] = (int)if_nametoindex("xb0");
	return e->ifindex[IF_A] && e->ifindex[IF_B] ? 0 : -ENODEV;
}

static void set_rodata(struct turn_xdp_bpf *skel, const struct settings *s)
{
	skel->rodata->ttl = s->ttl;
	skel->rodata->relay_port_min = s->port_min;
	skel->rodata->relay_port_max = s->port_max;
	skel->rodata->relay_any_addr = s->any_addr;
	/* Route cache on, about a second (test_xdp_route.c tests the cache itself). */
	skel->rodata->route_ttl = 1000;
	if (s->any_addr)
		return;
	addr16(4, V4R, skel->rodata->relay_addr[0]);
	skel->rodata->relay_family[0] = TURN_AF_INET;
	addr16(6, V6R, skel->rodata->relay_addr[1]);
	skel->rodata->relay_family[1] = TURN_AF_INET6;
}

/* Open with small maps and settings s, load (with a verifier log when log is set). */
static int load_turn(struct env *e, const struct settings *s, char *log, size_t logsz)
{
	int err;

	e->skel = turn_xdp_bpf__open();
	if (!e->skel)
		return -errno;
	skel_small_maps(e->skel, MAP_SIZE);
	set_rodata(e->skel, s);
	if (log) {
		bpf_program__set_log_buf(e->skel->progs.turn_xdp, log, logsz);
		bpf_program__set_log_level(e->skel->progs.turn_xdp, 4);	/* BPF_LOG_STATS */
	}
	err = turn_xdp_bpf__load(e->skel);
	if (err)
		return err;
	e->skel->bss->route_gen = 1;
	e->prog_fd = bpf_program__fd(e->skel->progs.turn_xdp);
	return 0;
}

/* The program under test with the main settings, and the XDP_TX baseline. */
static int load(struct env *e, char *log, size_t logsz)
{
	struct bpf_prog_info info = { 0 };
	uint32_t infolen = sizeof(info);
	const char *p;
	int err;

	err = load_turn(e, &main_settings, log, logsz);
	if (err)
		return err;
	p = strstr(log, "processed ");
	if (p)
		diag("verifier: %.*s", (int)strcspn(p, "\n"), p);
	if (!bpf_obj_get_info_by_fd(e->prog_fd, &info, &infolen))
		diag("turn_xdp: %u xlated insns, %u bytes jited", info.xlated_prog_len / 8,
		     info.jited_prog_len);
	e->tx = xdp_tx_bpf__open_and_load();
	return e->tx ? 0 : -errno;
}

/* Stats slots are the daemon's to zero, before the bindings (slot = allocation id here). */
static int create_stats(const struct env *e)
{
	int fd = bpf_map__fd(e->skel->maps.turn_stats);
	struct turn_alloc_stats *zero = calloc((size_t)e->ncpus, sizeof(*zero));
	int err = 0;

	if (!zero)
		return -ENOMEM;
	for (uint32_t slot = 1; slot < NALLOCS && !err; slot++)
		if (bpf_map_update_elem(fd, &slot, zero, BPF_ANY))
			err = -errno;
	free(zero);
	return err;
}

/*
 * Make the last word of data[0..16) what brings the UDP sum of frame f, which carries it at
 * an even offset, to 0xffff: its checksum then computes to 0 and goes out as 0xffff.
 */
static bool zero_sum_data(const struct frame *f, uint8_t *d)
{
	static uint8_t buf[FRAME_MAX];
	size_t len, udp_off;

	d[14] = d[15] = 0;
	len = frame_build(f, buf, sizeof(buf));
	if (!len)
		return false;
	udp_off = len - f->data_len - (f->chan ? 4 : 0) - 8;
	d[14] = buf[udp_off + 6];
	d[15] = buf[udp_off + 7];
	len = frame_build(f, buf, sizeof(buf));
	return get16(buf + udp_off + 6) == 0xffff && frame_check_sums(buf, len) == 0;
}

/* The settings cases, each on a fresh instance of the program. */
static void check_settings(const struct env *main_env)
{
	uint64_t exp_ctr[TURN_XDP_NR] = { 0 };
	struct turn_alloc_stats exp_st[NALLOCS] = { 0 };
	size_t n = sizeof(settings_cases) / sizeof(settings_cases[0]);

	for (size_t i = 0; i < n; i++) {
		struct env e = *main_env;
		int err;

		e.skel = NULL;
		err = load_turn(&e, &settings_cases[i].s, NULL, 0);
		if (!err)
			err = create_stats(&e);
		if (ok(!err, "%s: own instance loads (%s)", settings_cases[i].c.name,
		       strerror(-err)))
			run_case(&e, &settings_cases[i].c, exp_ctr, exp_st);
		turn_xdp_bpf__destroy(e.skel);
	}
}

/* Write allocation id's bandwidth bucket as the daemon does (bytes_per_s 0: delete it). */
static int rate_set(const struct env *e, uint64_t id, uint32_t bytes_per_s, uint32_t burst)
{
	int fd = bpf_map__fd(e->skel->maps.turn_rate);
	struct turn_rate r = { .bytes_per_s = bytes_per_s };

	if (!bytes_per_s)
		return bpf_map_delete_elem(fd, &id) ? -errno : 0;
	r.burst_ns = (uint64_t)burst * 1000000000ull / bytes_per_s;
	return bpf_map_update_elem(fd, &id, &r, BPF_ANY) ? -errno : 0;
}

/*
 * Send frame f n times in a row (microseconds apart: the buckets refill by nothing worth a
 * byte at these rates); count the verdicts; check that dropped frames are untouched.
 */
static void rate_run(const struct env *e, int ingress, const struct frame *f, int n,
		     int *fwd, int *drop, int *bad)
{
	static uint8_t in[FRAME_MAX];
	size_t len = frame_build(f, in, sizeof(in));
	struct run r;

	*fwd = *drop = *bad = 0;
	for (int i = 0; i < n; i++) {
		if (run_frame(e->prog_fd, e->ifindex[ingress], in, len, &r)) {
			(*bad)++;
			continue;
		}
		*fwd += r.retval == XDP_REDIRECT;
		*drop += r.retval == XDP_DROP;
		*bad += r.retval == XDP_DROP && (r.len != len || memcmp(r.out, in, len));
		*bad += r.retval != XDP_REDIRECT && r.retval != XDP_DROP;
	}
}

/* max_bps in the kernel: a bucket per allocation and direction, over it dropped and counted. */
static void check_rate(const struct env *e)
{
	const struct binding lim = { B_ALL, 1, 4, V4C, V4L, 40000, 3478, 0x4000, 4, V4R, V4P,
				     50000, 6000, TURN_F_RATE };
	const struct binding free_ = BIND4(B_ALL);
	const struct frame c2p = { C2P4, .data = data, .data_len = 300 };
	const struct frame p2c = { IN4(V4P, V4R, 6000, 50000), .data = data, .data_len = 300 };
	uint64_t before[TURN_XDP_NR], after[TURN_XDP_NR];
	struct turn_alloc_stats st0, st1;
	int fwd, drop, bad;

	ok(!rate_set(e, 1, 1000, 1000) && !bind_apply(e, &lim, false) &&
	   !read_counters(e, before) && !read_stats(e, 1, &st0),
	   "rate: allocation 1 limited to 1000 bytes/s, burst 1000, binding flagged");
	rate_run(e, IF_A, &c2p, 10, &fwd, &drop, &bad);
	is_int(fwd, 4, "rate c2p: 4 of 10 x 300 bytes forwarded (the last overdraws the bucket)");
	is_int(drop, 6, "rate c2p: 6 dropped");
	is_int(bad, 0, "rate c2p: no error, dropped frames unchanged");
	rate_run(e, IF_B, &p2c, 5, &fwd, &drop, &bad);
	ok(fwd == 4 && drop == 1 && !bad, "rate p2c: its own bucket, 4 of 5 forwarded (%d, %d)",
	   fwd, drop);
	read_counters(e, after);
	read_stats(e, 1, &st1);
	is_int(after[TURN_XDP_DROP_RATE] - before[TURN_XDP_DROP_RATE], 7, "DROP_RATE counted 7");
	ok(after[TURN_XDP_FWD_C2P] - before[TURN_XDP_FWD_C2P] == 4 &&
	   after[TURN_XDP_FWD_P2C] - before[TURN_XDP_FWD_P2C] == 4, "FWD_C2P and FWD_P2C 4 each");
	ok(st1.pkts_c2p - st0.pkts_c2p == 4 && st1.bytes_c2p - st0.bytes_c2p == 1200 &&
	   st1.pkts_p2c - st0.pkts_p2c == 4 && st1.bytes_p2c - st0.bytes_p2c == 1200,
	   "the allocation's stats count what went, not what was dropped");

	ok(!rate_set(e, 1, 1000, 100000), "rate: burst raised to 100000 bytes");
	rate_run(e, IF_A, &c2p, 10, &fwd, &drop, &bad);
	ok(fwd == 10 && !drop && !bad, "a rewritten entry starts full: 10 of 10 forwarded (%d)",
	   fwd);
	ok(!bind_apply(e, &free_, false), "rate: binding without TURN_F_RATE");
	rate_run(e, IF_A, &c2p, 20, &fwd, &drop, &bad);
	ok(fwd == 20 && !drop && !bad, "no flag: the bucket is not looked at, 20 of 20 forwarded");
	ok(!bind_apply(e, &lim, false) && !rate_set(e, 1, 0, 0), "rate: flag back, entry deleted");
	rate_run(e, IF_A, &c2p, 20, &fwd, &drop, &bad);
	ok(fwd == 20 && !drop && !bad, "flag without an entry: no limit, 20 of 20 forwarded");
	binds_apply(e, &lim, 1, true);
}

int main(void)
{
	static const struct xcase *base[NCASES];
	static char log[1 << 16];
	int nbase = 0;
	uint64_t exp_ctr[TURN_XDP_NR] = { 0 };
	struct turn_alloc_stats exp_st[NALLOCS];
	struct env e = { 0 };
	int err, err_ns;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs CAP_BPF (and CAP_SYS_ADMIN for a network namespace)\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 4; i < sizeof(cdlike); i++)
		cdlike[i] = (uint8_t)(0xf0 - i);
	memset(exp_st, 0, sizeof(exp_st));
	for (size_t i = 0; i < 14; i++)
		zsum_c2p[i] = zsum_p2c[i] = (uint8_t)(0x5a + i);
	libbpf_set_print(skel_warnings_only);

	/* Both before the first test line, so that either can still turn into a skip. */
	e.ncpus = libbpf_num_possible_cpus();
	err = load(&e, log, sizeof(log));
	err_ns = netns_setup(&e);
	if (err == -EPERM || err_ns == -EPERM) {
		printf("1..0 # SKIP needs CAP_BPF and CAP_SYS_ADMIN (bpf: %s, netns: %s)\n",
		       strerror(-err), strerror(-err_ns));
		goto out_skip;
	}
	if (!ok(!err, "turn_xdp and xdp_tx load (%s)", strerror(-err))) {
		diag("%s", log);
		goto out;
	}
	if (!ok(!err_ns, "network namespace with two veth pairs (%s)", strerror(-err_ns)))
		goto out;
	if (!ok(!create_stats(&e), "stats entries created"))
		goto out;
	for (size_t i = 0; i < NCASES; i++)
		if (cases[i].out.data == zsum_c2p || cases[i].out.data == zsum_p2c)
			ok(zero_sum_data(&cases[i].out, (uint8_t *)cases[i].out.data),
			   "%s: the expected frame carries 0xffff", cases[i].name);

	for (size_t i = 0; i < NCASES; i++) {
		run_case(&e, &cases[i], exp_ctr, exp_st);
		if (cases[i].base)
			base[nbase++] = &cases[i];
	}
	check_totals(&e, exp_ctr, exp_st);
	for (int i = 0; i < nbase; i++)
		check_truncated(&e, base[i]);
	check_fuzz(&e, base, nbase);
	check_settings(&e);
	check_rate(&e);
	timing(&e, &cases[0]);
out:
	xdp_tx_bpf__destroy(e.tx);
	turn_xdp_bpf__destroy(e.skel);
	return done_testing();
out_skip:
	xdp_tx_bpf__destroy(e.tx);
	turn_xdp_bpf__destroy(e.skel);
	return 0;
}
