/* test_xdp_route.c - the XDP program's per-binding route cache (struct turn_route), as root. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

/*
 * The test's own network namespace (it goes with the process): xa0 faces the client (MTU
 * 1400), xb0 the peers, xc0 a gateway to 198.18.9.0/24 and serves as another ingress. Each
 * case has a binding and a peer of its own, so that neighbour changes stay in their case.
 * The test plays the daemon: it writes bindings with a zero cache and moves route_gen.
 */
enum { IF_A, IF_B, IF_C, NIF };

#define MAP_SIZE 16
#define TTL_10S ((uint32_t)(10000ull * 1000000 >> TURN_ROUTE_SHIFT))
#define HOSTILE_RUNS 64

static const char *const if_name[NIF] = { "xa0", "xb0", "xc0" };
static const uint8_t if_mac[NIF][6] = {
	{ 2, 0, 0, 0, 0x0a, 0x01 }, { 2, 0, 0, 0, 0x0b, 0x01 }, { 2, 0, 0, 0, 0x0c, 0x01 },
};
static const uint8_t mac_client[6] = { 2, 0, 0, 0, 0x0a, 0x02 };
static const uint8_t mac_peer[6] = { 2, 0, 0, 0, 0x0b, 0x02 };
static const uint8_t mac_peer2[6] = { 2, 0, 0, 0, 0x0b, 0x03 };
static const uint8_t mac_gw[6] = { 2, 0, 0, 0, 0x0c, 0x02 };
static const uint8_t mac_new[6] = { 2, 0, 0, 0, 0x0b, 0xee };

static const char *const net_cmds[] = {
	"ip link set lo up",
	"ip link add xa0 address 02:00:00:00:0a:01 mtu 1400 type veth peer name xa1",
	"ip link add xb0 address 02:00:00:00:0b:01 type veth peer name xb1",
	"ip link add xc0 address 02:00:00:00:0c:01 type veth peer name xc1",
	"for d in xa0 xa1 xb0 xb1 xc0 xc1; do ip link set $d up || exit 1; done",
	"ip addr add 198.18.0.1/24 dev xa0 && ip addr add 198.18.1.1/24 dev xb0 && "
	"ip addr add 198.18.2.1/24 dev xc0 && ip addr add 2001:db8:a::1/64 dev xa0 nodad && "
	"ip addr add 2001:db8:b::1/64 dev xb0 nodad",
	"for c in 198.18.0.2 2001:db8:a::2; do "
	"ip neigh add $c lladdr 02:00:00:00:0a:02 nud permanent dev xa0 || exit 1; done",
	"for p in 198.18.1.2 198.18.1.4 198.18.1.5 198.18.1.6 198.18.1.7 198.18.1.8 198.18.1.9 "
	"198.18.1.10 2001:db8:b::2; do "
	"ip neigh add $p lladdr 02:00:00:00:0b:02 nud permanent dev xb0 || exit 1; done",
	"ip neigh add 198.18.1.3 lladdr 02:00:00:00:0b:03 nud permanent dev xb0",
	"ip neigh add 198.18.2.254 lladdr 02:00:00:00:0c:02 nud permanent dev xc0",
	"ip route add 198.18.9.0/24 via 198.18.2.254 dev xc0",
	/* bpf_fib_lookup() refuses to route for a device without forwarding. */
	"echo 1 > /proc/sys/net/ipv4/conf/all/forwarding && "
	"echo 1 > /proc/sys/net/ipv6/conf/all/forwarding",
};

/*
 * A bound channel: client port `port`, channel 0x4000 + port % 256, relay port port + 10000,
 * peer port port - 34000; rt_tag `tag` in c2p and its complement in p2c.
 */
struct bind {
	int fam;
	const char *peer;
	uint16_t port;
	uint32_t tag;
	int out;		/* IF_* towards the peer */
	uint32_t slot;
};

#define CLIENT(b) ((b)->fam == 6 ? "2001:db8:a::2" : "198.18.0.2")
#define LISTENER(b) ((b)->fam == 6 ? "2001:db8:a::1" : "198.18.0.1")
#define RELAY(b) ((b)->fam == 6 ? "2001:db8:b::1" : "198.18.1.1")
#define CHAN(b) ((uint16_t)(0x4000 + (b)->port % 256))
#define RPORT(b) ((uint16_t)((b)->port + 10000))
#define PPORT(b) ((uint16_t)((b)->port - 34000))
#define TAG(b, p2c) ((p2c) ? ~(b)->tag : (b)->tag)

static const struct bind b_a = { 4, "198.18.1.2", 40000, 0xa1a1a1a1, IF_B, 1 };
static const struct bind b_b = { 4, "198.18.1.3", 40001, 0xb2b2b2b2, IF_B, 0 };
static const struct bind b_tos = { 4, "198.18.1.4", 40002, 0x7070c0c0, IF_B, 0 };
static const struct bind b_in = { 4, "198.18.1.5", 40003, 0x1d1d1d1d, IF_B, 0 };
static const struct bind b_ttl = { 4, "198.18.1.6", 40004, 0x00770077, IF_B, 0 };
static const struct bind b_off = { 4, "198.18.1.7", 40005, 0x0ff00ff0, IF_B, 0 };
static const struct bind b_gen0 = { 4, "198.18.1.8", 40006, 0x6e6e0000, IF_B, 0 };
static const struct bind b_evil = { 4, "198.18.1.9", 40007, 0xe0e0e0e0, IF_B, 0 };
static const struct bind b_len = { 4, "198.18.1.10", 40008, 0x1e1e1e1e, IF_B, 0 };
static const struct bind b_gw = { 4, "198.18.9.2", 40009, 0x96969696, IF_C, 0 };
static const struct bind b_v6 = { 6, "2001:db8:b::2", 40010, 0x66666666, IF_B, 0 };

/* One datagram of a binding: from the client (c2p) or the peer (p2c), n bytes of data. */
struct shot {
	const struct bind *b;
	bool p2c;
	int in;			/* IF_* it comes in on */
	uint8_t tos;		/* IPv4 TOS / IPv6 traffic class */
	size_t n;
};

static const struct shot s_a = { &b_a, false, IF_A, 0xb8, 100 };
static const struct shot s_b = { &b_b, false, IF_A, 0xb8, 80 };
static const struct shot s_evil = { &b_evil, false, IF_A, 0xb8, 60 };
static const struct shot s_len = { &b_len, true, IF_B, 0, 20 };
static const struct shot s_len_mtu = { &b_len, true, IF_B, 0, 1400 - 32 };
static const struct shot s_len_big = { &b_len, true, IF_B, 0, 1400 - 31 };
static const struct shot s_tos = { &b_tos, false, IF_A, 0xb8, 40 };
static const struct shot s_tos2 = { &b_tos, false, IF_A, 0x20, 40 };
static const struct shot s_in = { &b_in, false, IF_A, 0xb8, 40 };
static const struct shot s_in2 = { &b_in, false, IF_C, 0xb8, 40 };
static const struct shot s_gen0 = { &b_gen0, false, IF_A, 0xb8, 40 };
static const struct shot s_gw = { &b_gw, false, IF_A, 0xb8, 40 };
static const struct shot s_v6 = { &b_v6, false, IF_A, 0xb8, 200 };
static const struct shot s_v6tc = { &b_v6, false, IF_A, 0x28, 200 };
static const struct shot s_v6r = { &b_v6, true, IF_B, 0xb8, 200 };
static const struct shot s_ttl = { &b_ttl, false, IF_A, 0xb8, 40 };
static const struct shot s_off = { &b_off, false, IF_A, 0xb8, 40 };

struct inst {
	struct turn_xdp_bpf *skel;
	int fd;
};

static int ifx[NIF];
static int ncpus;
static uint8_t data[1500];

static uint32_t now_units(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(((uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec) >>
			  TURN_ROUTE_SHIFT);
}

/* Run a shell command: 0, or system()'s status (reported). */
static int sh(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	rc = system(cmd);
	if (rc)
		diag("command failed (%d): %s", rc, cmd);
	return rc;
}

static void addr16(int fam, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(fam == 6 ? AF_INET6 : AF_INET, s, out) != 1)
		diag("bad address %s", s);
}

/* b's entries as the daemon writes them, with the route cache rt (NULL: zero). */
static void bind_kv(const struct bind *b, const struct turn_route *rt, struct turn_c2p_key *ck,
		    struct turn_c2p_val *cv, struct turn_p2c_key *pk, struct turn_p2c_val *pv)
{
	uint8_t fam = (uint8_t)b->fam;

	/* The structs have no implicit padding (turn_shared.h): these zero every byte. */
	*ck = (struct turn_c2p_key){ .client_port = htons(b->port), .listener_port = htons(3478),
				     .channel = htons(CHAN(b)), .family = fam };
	*cv = (struct turn_c2p_val){ .relay_port = htons(RPORT(b)), .peer_port = htons(PPORT(b)),
				     .family = fam, .slot = b->slot, .rt_tag = TAG(b, false),
				     .alloc_id = 1, .expires_ns = UINT64_MAX };
	*pk = (struct turn_p2c_key){ .relay_port = cv->relay_port, .peer_port = cv->peer_port,
				     .family = fam };
	*pv = (struct turn_p2c_val){ .listener_port = ck->listener_port, .channel = ck->channel,
				     .client_port = ck->client_port, .family = fam,
				     .slot = b->slot, .rt_tag = TAG(b, true), .alloc_id = 1,
				     .expires_ns = UINT64_MAX };
	addr16(fam, CLIENT(b), ck->client);
	addr16(fam, LISTENER(b), ck->listener);
	addr16(fam, RELAY(b), cv->relay);
	addr16(fam, b->peer, cv->peer);
	memcpy(pk->relay, cv->relay, 16);
	memcpy(pk->peer, cv->peer, 16);
	memcpy(pv->listener, ck->listener, 16);
	memcpy(pv->client, ck->client, 16);
	if (rt)
		cv->rt = pv->rt = *rt;
}

/*
 * Write b's entries with the cache rt (NULL: zero), or with got, read the cache of its value
 * in direction p2c into *got instead. 0 or -errno.
 */
static int bind_io(const struct inst *x, const struct bind *b, const struct turn_route *rt,
		   bool p2c, struct turn_route *got)
{
	int cfd = bpf_map__fd(x->skel->maps.turn_c2p), pfd = bpf_map__fd(x->skel->maps.turn_p2c);
	struct turn_c2p_key ck;
	struct turn_c2p_val cv;
	struct turn_p2c_key pk;
	struct turn_p2c_val pv;
	int err;

	bind_kv(b, rt, &ck, &cv, &pk, &pv);
	if (got) {
		err = p2c ? tab_get(pfd, BINDTAB_P2C, &pk, &pv) : tab_get(cfd, BINDTAB_C2P, &ck, &cv);
		if (err)
			return err;
		*got = p2c ? pv.rt : cv.rt;
		return 0;
	}
	err = tab_replace(cfd, BINDTAB_C2P, &ck, &cv, offsetof(struct turn_c2p_val, rt));
	if (!err)
		err = tab_replace(pfd, BINDTAB_P2C, &pk, &pv, offsetof(struct turn_p2c_val, rt));
	if (err)
		diag("binding %u: table write: %s", b->port, strerror(-err));
	return err;
}

#define bind_write(x, b, rt) (bind_io(x, b, rt, false, NULL) == 0)
#define rt_get(x, b, p2c, got) bind_io(x, b, NULL, p2c, got)

/* A cache right for s in every field, gen and tag given, sending to dmac. */
static struct turn_route rt_forge(const struct shot *s, uint32_t gen, uint32_t tag,
				  const uint8_t *dmac)
{
	struct turn_route rt = { .gen = gen, .tag = tag, .ifindex = (uint32_t)ifx[s->b->out],
				 .in_ifindex = (uint32_t)ifx[s->in], .at = now_units(),
				 .max_len = 0xffff, .tos = s->tos };

	memcpy(rt.smac, if_mac[s->b->out], 6);
	memcpy(rt.dmac, dmac, 6);
	return rt;
}

/* s's value caches the route of s with gen: out of its device to dmac, looked up lately. */
static bool rt_is(const struct inst *x, const struct shot *s, uint32_t gen, const uint8_t *dmac)
{
	uint32_t len = (s->b->fam == 6 ? 40 : 20) + 8 + (uint32_t)s->n + (s->p2c ? 4 : 0);
	int out = s->p2c ? IF_A : s->b->out;
	struct turn_route rt;
	bool good;

	if (rt_get(x, s->b, s->p2c, &rt))
		return false;
	good = rt.gen == gen && rt.tag == TAG(s->b, s->p2c) &&
	       rt.ifindex == (uint32_t)ifx[out] && rt.in_ifindex == (uint32_t)ifx[s->in] &&
	       rt.tos == s->tos && rt.max_len == len && !memcmp(rt.smac, if_mac[out], 6) &&
	       !memcmp(rt.dmac, dmac, 6) && now_units() - rt.at < 1000;
	if (!good)
		diag("rt: gen %u tag %08x ifindex %u in %u tos %02x max_len %u age %u dmac ..:%02x",
		     rt.gen, rt.tag, rt.ifindex, rt.in_ifindex, rt.tos, rt.max_len,
		     now_units() - rt.at, rt.dmac[5]);
	return good;
}

/* The first u64 of PERCPU_ARRAY element key, summed over the CPUs: 0 or -errno. */
static int percpu_sum(struct bpf_map *map, uint32_t key, uint64_t *sum)
{
	size_t vsz = bpf_map__value_size(map);
	uint64_t *v = calloc((size_t)ncpus, vsz);
	int err = 0;

	*sum = 0;
	if (!v || bpf_map_lookup_elem(bpf_map__fd(map), &key, v))
		err = v ? -errno : -ENOMEM;
	for (int c = 0; c < ncpus && !err; c++)
		*sum += v[(size_t)c * vsz / 8];
	free(v);
	return err;
}

static int counters(const struct inst *x, uint64_t out[TURN_XDP_NR])
{
	int err = 0;

	for (uint32_t k = 0; k < TURN_XDP_NR && !err; k++)
		err = percpu_sum(x->skel->maps.turn_drops, k, &out[k]);
	return err;
}

/* s's frame as it comes in, or (out) as the daemon's socket would send it, to dmac. */
static struct frame frame_of(const struct shot *s, bool out, const uint8_t *dmac)
{
	const struct bind *b = s->b;
	struct frame f = { .family = b->fam, .ttl = out ? 64 : 61, .tos = s->tos, .id = 0x1234,
			   .frag = FR_DF, .data = data, .data_len = s->n };

	if (!out) {
		f.src = s->p2c ? b->peer : CLIENT(b);
		f.dst = s->p2c ? RELAY(b) : LISTENER(b);
		f.sport = s->p2c ? PPORT(b) : b->port;
		f.dport = s->p2c ? RPORT(b) : 3478;
	} else {
		f.src = s->p2c ? LISTENER(b) : RELAY(b);
		f.dst = s->p2c ? CLIENT(b) : b->peer;
		f.sport = s->p2c ? 3478 : RPORT(b);
		f.dport = s->p2c ? b->port : PPORT(b);
		f.smac = if_mac[s->p2c ? IF_A : b->out];
		f.dmac = dmac;
	}
	if (out == s->p2c) {
		f.chan = CHAN(b);
		f.cd_len = -1;
	}
	return f;
}

/*
 * Run s's frame once through x. With dmac: true when it is forwarded (FWD_C2P or FWD_P2C,
 * and nothing else, counted), byte for byte the frame the socket would send, to dmac.
 * Without: true when it is passed unchanged, counted as ctr and nothing else.
 */
static bool expect(const struct inst *x, const struct shot *s, const uint8_t *dmac, int ctr)
{
	uint8_t in[FRAME_MAX], want[FRAME_MAX], out[FRAME_MAX + 64];
	struct frame fi = frame_of(s, false, NULL), fo = frame_of(s, true, dmac);
	size_t ilen = frame_build(&fi, in, sizeof(in)), wlen;
	struct xdp_md ctx = { .data_end = (uint32_t)ilen, .ingress_ifindex = (uint32_t)ifx[s->in] };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (uint32_t)ilen,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	uint64_t c0[TURN_XDP_NR], c1[TURN_XDP_NR], moved = 0;
	int err, verdict = dmac ? XDP_REDIRECT : XDP_PASS;

	if (dmac)
		ctr = s->p2c ? TURN_XDP_FWD_P2C : TURN_XDP_FWD_C2P;
	wlen = dmac ? frame_build(&fo, want, sizeof(want)) : ilen;
	memcpy(want, in, dmac ? 0 : ilen);
	err = counters(x, c0);
	if (!err && bpf_prog_test_run_opts(x->fd, &o))
		err = -errno;
	if (!err)
		err = counters(x, c1);
	for (int k = 0; k < TURN_XDP_NR && !err; k++)
		moved += c1[k] - c0[k];
	if (!err && ilen && wlen && o.retval == (uint32_t)verdict && o.data_size_out == wlen &&
	    !memcmp(out, want, wlen) && c1[ctr] - c0[ctr] == 1 && moved == 1 &&
	    (!dmac || !frame_check_sums(out, wlen)))
		return true;
	diag("run: %s, verdict %u, length %u (want %zu), dmac ..:%02x, %llu counted",
	     strerror(-err), o.retval, o.data_size_out, wlen, out[5], (unsigned long long)moved);
	return false;
}

/* Random bytes in the cache with a wrong gen or tag: ignored, the frame right, rewritten. */
static bool hostile(const struct inst *x, const struct shot *s)
{
	uint32_t seed = 0x2545f491, gen = x->skel->bss->route_gen, tag = TAG(s->b, false);
	int bad = 0;

	for (int i = 0; i < HOSTILE_RUNS; i++) {
		struct turn_route rt;
		uint8_t *p = (uint8_t *)&rt;

		for (size_t j = 0; j < sizeof(rt); j++) {
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			p[j] = (uint8_t)seed;
		}
		rt.ver &= ~1u;		/* a program always leaves its seqlock even */
		if (i % 4 >= 2)		/* all else right for the frame, a wrong MAC */
			rt = rt_forge(s, rt.gen, i % 4 == 2 ? tag : rt.tag, mac_gw);
		if (i % 2) {		/* right gen, wrong tag */
			rt.gen = gen;
			rt.tag ^= rt.tag == tag;
		} else {		/* wrong gen */
			rt.gen ^= rt.gen == gen;
		}
		bad += !bind_write(x, s->b, &rt) || !expect(x, s, mac_peer, 0) ||
		       !rt_is(x, s, gen, mac_peer);
	}
	return bad == 0;
}

/* What a step does; each step with a name is one test. */
enum op {
	LOAD,		/* a new instance, current from here: route_ttl n, route_gen gen */
	GEN,		/* route_gen = gen */
	WRITE,		/* write s's binding with a zero cache, as the daemon does */
	FILL,		/* WRITE, FWD, and then CACHED */
	FORGE,		/* write it with a cache right for s but its gen and dmac (mac) */
	COPY,		/* write it with the c2p cache of `from` (n: with its own tag) */
	FWD,		/* s is forwarded to mac, byte for byte, counted */
	PASS,		/* s is passed unchanged, counted as n */
	CACHED,		/* s's value caches s's route with gen, to mac, looked up lately */
	ZERO,		/* s's value's cache is all zero */
	NEIGH,		/* s's peer moves to mac */
	UNROUTE,	/* the route to 198.18.9.0/24 goes */
	SLEEP,		/* n ms */
	SLOT,		/* slot 1 has counted n datagrams c2p */
	HOSTILE,	/* HOSTILE_RUNS caches of random bytes that do not match, and a control */
};

/* Rows name their first field and give the others by position, as far as they need. */
struct step {
	const char *name;
	enum op op;
	const struct shot *s;
	const uint8_t *mac;
	uint32_t gen;
	uint32_t n;
	const struct bind *from;
};

static const struct step steps[] = {
	{ .name = "turn_xdp loads with route_ttl 10 s, route_gen 7", LOAD, NULL, NULL, 7, TTL_10S },
	/* 1, 2: filled on a miss, used while the gen holds, dropped when it moves. */
	{ .name = "fill: v4 c2p to the peer's MAC, cached: gen 7, tag, xb0, MACs, ingress, TOS, "
	  "length", FILL, &s_a, mac_peer, 7 },
	{ .name = "fill: counted in slot 1", SLOT, &s_a, NULL, 0, 1 },
	{ .name = "fill: the peer's neighbour moves to a new MAC", NEIGH, &s_a, mac_new },
	{ .name = "fill: same gen: still the old MAC (the cache is used)", FWD, &s_a, mac_peer },
	{ .op = GEN, .gen = 8 },
	{ .name = "fill: route_gen 8: the new MAC", FWD, &s_a, mac_new },
	{ .name = "fill: cache rewritten with gen 8 and the new MAC", CACHED, &s_a, mac_new, 8 },
	/* 3: a cache left in a reused element by another binding is not served. */
	{ .name = "tag: B written with A's cache (gen 8, A's tag and MAC)", COPY, &s_b,
	  .from = &b_a },
	{ .name = "tag: B's frame goes to B's own peer", FWD, &s_b, mac_peer2 },
	{ .name = "tag: B's cache now has B's tag and route", CACHED, &s_b, mac_peer2, 8 },
	{ .name = "tag: control: A's cache with B's tag", COPY, &s_b, .n = 1, .from = &b_a },
	{ .name = "tag: control: is served (A's MAC)", FWD, &s_b, mac_new },
	{ .name = "hostile: random caches ignored and rewritten; a right one served", HOSTILE,
	  &s_evil },
	/* 4: a longer datagram is looked up again, and may not fit the MTU. */
	{ .name = "len: v4 p2c to the client (52 bytes), cached", FILL, &s_len, mac_client, 8 },
	{ .name = "len: 1401 bytes to a 1400-byte link: passed unchanged, PASS_UNSUPPORTED", PASS,
	  &s_len_big, .n = TURN_XDP_PASS_UNSUPPORTED },
	{ .name = "len: the cache stays as it was", CACHED, &s_len, mac_client, 8 },
	{ .name = "len: exactly 1400 bytes: forwarded", FWD, &s_len_mtu, mac_client },
	{ .name = "len: cached with max_len 1400", CACHED, &s_len_mtu, mac_client, 8 },
	{ .name = "len: 1401 bytes still passed", PASS, &s_len_big,
	  .n = TURN_XDP_PASS_UNSUPPORTED },
	/* 5: another TOS misses: seen after a neighbour change without a gen bump. */
	{ .name = "tos: forwarded and cached", FILL, &s_tos, mac_peer, 8 },
	{ .name = "tos: the peer moves", NEIGH, &s_tos, mac_new },
	{ .name = "tos: same TOS: the old MAC, from the cache", FWD, &s_tos, mac_peer },
	{ .name = "tos: another TOS misses: the new MAC", FWD, &s_tos2, mac_new },
	{ .name = "tos: the cache now holds the other TOS", CACHED, &s_tos2, mac_new, 8 },
	/* 6: another ingress misses. */
	{ .name = "ingress: forwarded and cached", FILL, &s_in, mac_peer, 8 },
	{ .name = "ingress: the peer moves", NEIGH, &s_in, mac_new },
	{ .name = "ingress: same ingress: the old MAC, from the cache", FWD, &s_in, mac_peer },
	{ .name = "ingress: in on xc0 it misses: the new MAC", FWD, &s_in2, mac_new },
	{ .name = "ingress: the cache now holds xc0", CACHED, &s_in2, mac_new, 8 },
	/* 9: route_gen 0 caches nothing and serves nothing, even a cache of gen 0. */
	{ .name = "gen 0: control: a forged cache of gen 8", FORGE, &s_gen0, mac_gw, 8 },
	{ .name = "gen 0: control: is served", FWD, &s_gen0, mac_gw },
	{ .op = GEN, .gen = 0 },
	{ .name = "gen 0: the forged cache with gen 0", FORGE, &s_gen0, mac_gw, 0 },
	{ .name = "gen 0: is not served", FWD, &s_gen0, mac_peer },
	{ .name = "gen 0: binding written", WRITE, &s_gen0 },
	{ .name = "gen 0: forwarded", FWD, &s_gen0, mac_peer },
	{ .name = "gen 0: the cache stays zero", ZERO, &s_gen0 },
	{ .name = "gen 0: the peer moves", NEIGH, &s_gen0, mac_new },
	{ .name = "gen 0: at once: the new MAC", FWD, &s_gen0, mac_new },
	{ .name = "gen 0: the cache still zero", ZERO, &s_gen0 },
	{ .op = GEN, .gen = 9 },
	/* 10: the route goes, the daemon moves the gen. */
	{ .name = "noroute: peer behind a gateway on xc0, cached", FILL, &s_gw, mac_gw, 9 },
	{ .name = "noroute: route deleted", UNROUTE },
	{ .name = "noroute: same gen: still from the cache", FWD, &s_gw, mac_gw },
	{ .op = GEN, .gen = 10 },
	{ .name = "noroute: gen 10: passed unchanged, PASS_NOROUTE", PASS, &s_gw,
	  .n = TURN_XDP_PASS_NOROUTE },
	{ .name = "noroute: a failed lookup writes no cache", CACHED, &s_gw, mac_gw, 9 },
	/* 11: IPv6, both directions, and the traffic class. */
	{ .name = "v6: c2p forwarded and cached", FILL, &s_v6, mac_peer, 10 },
	{ .name = "v6: p2c forwarded to the client", FWD, &s_v6r, mac_client },
	{ .name = "v6: p2c cached in its own value", CACHED, &s_v6r, mac_client, 10 },
	{ .name = "v6: the peer moves", NEIGH, &s_v6, mac_new },
	{ .name = "v6: same gen: the old MAC", FWD, &s_v6, mac_peer },
	{ .op = GEN, .gen = 11 },
	{ .name = "v6: gen 11: the new MAC", FWD, &s_v6, mac_new },
	{ .name = "v6: cached with gen 11", CACHED, &s_v6, mac_new, 11 },
	{ .name = "v6: the peer moves back", NEIGH, &s_v6, mac_peer },
	{ .name = "v6: same traffic class: from the cache", FWD, &s_v6, mac_new },
	{ .name = "v6: another traffic class misses", FWD, &s_v6tc, mac_peer },
	/* 7: a cache older than route_ttl is looked up again. */
	{ .name = "ttl 1: a second instance, route_ttl 1 unit, route_gen 7", LOAD, NULL, NULL, 7,
	  1 },
	{ .name = "ttl 1: forwarded and cached", FILL, &s_ttl, mac_peer, 7 },
	{ .name = "ttl 1: the peer moves", NEIGH, &s_ttl, mac_new },
	{ .op = SLEEP, .n = 5 },
	{ .name = "ttl 1: 5 ms later, same gen: the new MAC", FWD, &s_ttl, mac_new },
	{ .name = "ttl 1: cached again", CACHED, &s_ttl, mac_new, 7 },
	/* 8: route_ttl 0: nothing cached, nothing served. */
	{ .name = "ttl 0: a third instance, route_ttl 0, route_gen 7", LOAD, NULL, NULL, 7, 0 },
	{ .name = "ttl 0: a forged cache of gen 7", FORGE, &s_off, mac_gw, 7 },
	{ .name = "ttl 0: is not served", FWD, &s_off, mac_peer },
	{ .name = "ttl 0: binding written", WRITE, &s_off },
	{ .name = "ttl 0: forwarded", FWD, &s_off, mac_peer },
	{ .name = "ttl 0: the cache stays zero", ZERO, &s_off },
	{ .name = "ttl 0: the peer moves", NEIGH, &s_off, mac_new },
	{ .name = "ttl 0: at once: the new MAC", FWD, &s_off, mac_new },
	{ .name = "ttl 0: the cache still zero", ZERO, &s_off },
};

static int inst_load(struct inst *x, uint32_t ttl, uint32_t gen)
{
	int err;

	x->skel = turn_xdp_bpf__open();
	if (!x->skel)
		return -errno;
	skel_small_maps(x->skel, MAP_SIZE);
	x->skel->rodata->route_ttl = ttl;
	err = turn_xdp_bpf__load(x->skel);
	if (err) {
		turn_xdp_bpf__destroy(x->skel);
		x->skel = NULL;
		return err;
	}
	x->skel->bss->route_gen = gen;
	x->fd = bpf_program__fd(x->skel->progs.turn_xdp);
	return 0;
}

static bool step_run(struct inst *x, const struct step *t)
{
	const struct shot *s = t->s;
	struct turn_route rt = { 0 }, zero = { 0 };
	uint64_t pkts = 0;

	if (t->op != LOAD && !x->skel)
		return false;
	switch (t->op) {
	case LOAD:
		return inst_load(x, t->n, t->gen) == 0;
	case GEN:
		x->skel->bss->route_gen = t->gen;
		return true;
	case WRITE:
		return bind_write(x, s->b, NULL);
	case FILL:
		return bind_write(x, s->b, NULL) && expect(x, s, t->mac, 0) &&
		       rt_is(x, s, t->gen, t->mac);
	case FORGE:
		rt = rt_forge(s, t->gen, TAG(s->b, s->p2c), t->mac);
		return bind_write(x, s->b, &rt);
	case COPY:
		if (rt_get(x, t->from, false, &rt))
			return false;
		rt.tag = t->n ? TAG(s->b, false) : rt.tag;
		return bind_write(x, s->b, &rt);
	case FWD:
		return expect(x, s, t->mac, 0);
	case PASS:
		return expect(x, s, NULL, (int)t->n);
	case CACHED:
		return rt_is(x, s, t->gen, t->mac);
	case ZERO:
		return !rt_get(x, s->b, s->p2c, &rt) && !memcmp(&rt, &zero, sizeof(rt));
	case NEIGH:
		return !sh("ip neigh replace %s lladdr %02x:%02x:%02x:%02x:%02x:%02x nud permanent "
			   "dev %s", s->b->peer, t->mac[0], t->mac[1], t->mac[2], t->mac[3],
			   t->mac[4], t->mac[5], if_name[s->b->out]);
	case UNROUTE:
		return !sh("ip route del 198.18.9.0/24");
	case SLEEP:
		return !usleep(t->n * 1000);
	case SLOT:
		return !percpu_sum(x->skel->maps.turn_stats, 1, &pkts) && pkts == t->n;
	case HOSTILE:
		rt = rt_forge(s, x->skel->bss->route_gen, TAG(s->b, false), mac_gw);
		return hostile(x, s) && bind_write(x, s->b, &rt) && expect(x, s, mac_gw, 0);
	}
	return false;
}

static int netns_up(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	for (size_t i = 0; i < sizeof(net_cmds) / sizeof(net_cmds[0]); i++)
		if (sh("%s", net_cmds[i]))
			return -EIO;
	for (int i = 0; i < NIF; i++)
		if (!(ifx[i] = (int)if_nametoindex(if_name[i])))
			return -ENODEV;
	return 0;
}

int main(void)
{
	struct inst x[3] = { 0 };
	int err, cur = 0;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs CAP_BPF and CAP_SYS_ADMIN (a network namespace)\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	libbpf_set_print(skel_warnings_only);
	ncpus = libbpf_num_possible_cpus();
	err = netns_up();
	if (err == -EPERM) {
		printf("1..0 # SKIP cannot make a network namespace (%s)\n", strerror(-err));
		return 0;
	}
	if (ok(!err && ncpus > 0, "netns with three veth pairs (%s)", strerror(-err))) {
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			const struct step *t = &steps[i];

			cur += t->op == LOAD && i > 0;	/* the first step loads x[0] */
			if (cur > 2)
				break;
			if (t->name)
				ok(step_run(&x[cur], t), "%s", t->name);
			else if (!step_run(&x[cur], t))
				diag("step %zu failed", i);
		}
	}
	for (int i = 0; i < 3; i++)
		turn_xdp_bpf__destroy(x[i].skel);
	return done_testing();
}
