/* test_fastpath.c - the fast path's daemon side: map sync, pins and their reuse, attach, detach. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind_tab.h"
#include "fastpath.h"
#include "fwd_maps.h"
#include "log.h"
#include "netns_rig.h"
#include "tap.h"
#include "xdp_ifaces.h"
#include "xdp_load.h"

/*
 * Everything happens in a network namespace and a mount namespace of our own: a veth pair
 * fp0 (198.18.7.1, 2001:2:0:7::1) - fp1 (198.18.7.2), and a private bpffs on a temporary
 * directory, so that no pin ever touches the host's /sys/fs/bpf. The client (198.18.7.3)
 * and the peers (198.18.9.0/24, via 198.18.7.254) are neighbours of fp0 that exist only in
 * its neighbour table: enough for the program's route lookups in BPF_PROG_TEST_RUN.
 */
static const char *const net_cmds[] = {
	"ip link set lo up",
	"ip link add fp0 type veth peer name fp1",
	"ip link set fp0 address 02:00:00:00:07:01",
	"ip addr add 198.18.7.1/24 dev fp0",
	"ip addr add 198.18.7.2/24 dev fp1",
	"ip -6 addr add 2001:2:0:7::1/64 dev fp0 nodad",
	"ip link set fp0 up",
	"ip link set fp1 up",
	/* For the program's route lookups: the client and the peers are behind fp0. */
	"ip neigh add 198.18.7.3 lladdr 02:00:00:00:07:03 dev fp0 nud permanent",
	"ip neigh add 198.18.7.254 lladdr 02:00:00:00:07:fe dev fp0 nud permanent",
	"ip route add 198.18.9.0/24 via 198.18.7.254 dev fp0",
};

#define CLIENT "198.18.7.3"
#define CLIENT_PORT 40000
#define LISTENER "198.18.7.1"
#define LISTEN_PORT 3478
#define RELAY4 "198.18.7.1"
#define RELAY6 "2001:2:0:7::1"

static struct netns_rig g_ns;
static int ncpus;
static uint64_t now;	/* CLOCK_MONOTONIC ms at the start */

/* An address as the maps hold it. */
static uint8_t fam16(const char *ip, uint8_t out[16])
{
	memset(out, 0, 16);
	if (strchr(ip, ':')) {
		inet_pton(AF_INET6, ip, out);
		return TURN_AF_INET6;
	}
	inet_pton(AF_INET, ip, out);
	return TURN_AF_INET;
}

/* A UDP socket on ip and a free port of the relay range (the program's relay ports). */
static int udp_bound(const char *ip, uint16_t *port)
{
	static uint16_t next = 50000;
	int fd = -1;

	for (int tries = 0; fd < 0 && tries < 1000; tries++) {
		sockaddr_u a = sa(ip, next++);

		fd = socket(a.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && bind(fd, &a.sa, addr_len(&a))) {
			close(fd);
			fd = -1;
		}
		*port = (uint16_t)(next - 1);
	}
	return fd;
}

static int pin_get(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", g_ns.pin_path, name);
	return bpf_obj_get(path);
}

static bool pinned(const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", g_ns.pin_path, name);
	return !stat(path, &st);
}

static int map_count(int fd, size_t ksz)
{
	uint8_t key[64], next[64];
	const void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(key, next, ksz);
		prev = key;
		n++;
	}
	return n;
}

static uint32_t obj_id(int fd)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static uint64_t ns(uint64_t ms)
{
	return ms * 1000000;
}

/* The maps as bpffs holds them (the test reads them through the pins, as turnctl could). */
struct maps {
	int c2p, p2c, perm, stats, drops, rate;
};

static int maps_open(struct maps *m)
{
	m->c2p = pin_get(TURN_MAP_C2P);
	m->p2c = pin_get(TURN_MAP_P2C);
	m->perm = pin_get(TURN_MAP_PERM);
	m->stats = pin_get(TURN_MAP_STATS);
	m->drops = pin_get(TURN_MAP_DROPS);
	m->rate = pin_get(TURN_MAP_RATE);
	return m->c2p >= 0 && m->p2c >= 0 && m->perm >= 0 && m->stats >= 0 && m->drops >= 0 &&
	       m->rate >= 0 ? 0 : -ENOENT;
}

static void maps_close(struct maps *m)
{
	close(m->c2p);
	close(m->p2c);
	close(m->perm);
	close(m->stats);
	close(m->drops);
	close(m->rate);
}

/* One channel as the test expects to find it, both directions. */
struct want_bind {
	uint16_t chan;
	const char *relay;
	uint16_t relay_port;
	const char *peer;
	uint16_t peer_port;
	uint64_t id, exp_ms;
};

static void bind_keys(const struct want_bind *b, struct turn_c2p_key *ck, struct turn_c2p_val *cv,
		      struct turn_p2c_key *pk, struct turn_p2c_val *pv)
{
	memset(ck, 0, sizeof(*ck));
	memset(cv, 0, sizeof(*cv));
	memset(pk, 0, sizeof(*pk));
	memset(pv, 0, sizeof(*pv));
	ck->family = fam16(CLIENT, ck->client);
	fam16(LISTENER, ck->listener);
	ck->client_port = htons(CLIENT_PORT);
	ck->listener_port = htons(LISTEN_PORT);
	ck->channel = htons(b->chan);
	cv->family = fam16(b->relay, cv->relay);
	fam16(b->peer, cv->peer);
	cv->relay_port = htons(b->relay_port);
	cv->peer_port = htons(b->peer_port);
	cv->alloc_id = b->id;
	cv->expires_ns = b->exp_ms == UINT64_MAX ? UINT64_MAX : ns(b->exp_ms);

	pk->family = fam16(b->relay, pk->relay);
	fam16(b->peer, pk->peer);
	pk->relay_port = htons(b->relay_port);
	pk->peer_port = htons(b->peer_port);
	pv->family = fam16(CLIENT, pv->client);
	fam16(LISTENER, pv->listener);
	pv->client_port = htons(CLIENT_PORT);
	pv->listener_port = htons(LISTEN_PORT);
	pv->channel = htons(b->chan);
	pv->alloc_id = b->id;
	pv->expires_ns = cv->expires_ns;
}

/*
 * The entries of binding b, byte for byte but for what the daemon derives (slot, rt_tag) and
 * the program's route cache: the slot is the same non-zero one in both directions, each
 * direction has its own tag. *tags: the c2p and p2c tags read (may be NULL).
 */
static void check_bind_tags(const struct maps *m, const struct want_bind *b, const char *what,
			    uint32_t tags[2])
{
	struct turn_c2p_key ck;
	struct turn_c2p_val cv, cgot;
	struct turn_p2c_key pk;
	struct turn_p2c_val pv, pgot;

	bind_keys(b, &ck, &cv, &pk, &pv);
	memset(&cgot, 0xee, sizeof(cgot));
	memset(&pgot, 0xee, sizeof(pgot));
	ok(!tab_get(m->c2p, BINDTAB_C2P, &ck, &cgot) && !tab_get(m->p2c, BINDTAB_P2C, &pk, &pgot) &&
	   cgot.slot && cgot.slot == pgot.slot && cgot.rt_tag != pgot.rt_tag,
	   "%s: both directions of 0x%x hold slot %u, their own tags", what, b->chan, cgot.slot);
	cv.slot = cgot.slot;
	cv.rt_tag = cgot.rt_tag;
	cv.rt = cgot.rt;
	pv.slot = pgot.slot;
	pv.rt_tag = pgot.rt_tag;
	pv.rt = pgot.rt;
	if (tags) {
		tags[0] = cgot.rt_tag;
		tags[1] = pgot.rt_tag;
	}
	ok(!memcmp(&cgot, &cv, sizeof(cv)),
	   "%s: c2p channel 0x%x -> %s:%u byte for byte", what, b->chan, b->peer, b->peer_port);
	ok(!memcmp(&pgot, &pv, sizeof(pv)),
	   "%s: p2c %s:%u -> channel 0x%x byte for byte", what, b->peer, b->peer_port, b->chan);
	if (cgot.expires_ns != cv.expires_ns)
		diag("c2p expires %llu want %llu", (unsigned long long)cgot.expires_ns,
		     (unsigned long long)cv.expires_ns);
}

static void check_bind(const struct maps *m, const struct want_bind *b, const char *what)
{
	check_bind_tags(m, b, what, NULL);
}

/* b's c2p entry as the kernel holds it into *got: true when there is one. */
static bool c2p_get(const struct maps *m, const struct want_bind *b, struct turn_c2p_val *got)
{
	struct turn_c2p_key ck;
	struct turn_c2p_val cv;
	struct turn_p2c_key pk;
	struct turn_p2c_val pv;

	bind_keys(b, &ck, &cv, &pk, &pv);
	return !tab_get(m->c2p, BINDTAB_C2P, &ck, got);
}

/* The stats slot in b's c2p entry, 0 when there is none. */
static uint32_t slot_of(const struct maps *m, const struct want_bind *b)
{
	struct turn_c2p_val got;

	return c2p_get(m, b, &got) ? got.slot : 0;
}

static bool has_c2p(const struct maps *m, const struct want_bind *b)
{
	struct turn_c2p_val got;

	return c2p_get(m, b, &got);
}

static void check_perm(const struct maps *m, const char *relay, uint16_t rport, const char *peer,
		       uint64_t id, uint64_t exp_ms, const char *what)
{
	struct turn_perm_key k;
	struct turn_perm_val v, got;

	memset(&k, 0, sizeof(k));
	k.family = fam16(relay, k.relay);
	fam16(peer, k.peer);
	k.relay_port = htons(rport);
	v.alloc_id = id;
	v.expires_ns = ns(exp_ms);
	memset(&got, 0xee, sizeof(got));
	ok(!bpf_map_lookup_elem(m->perm, &k, &got) && !memcmp(&got, &v, sizeof(v)),
	   "%s: perm %s on %s:%u, expires %llu", what, peer, relay, rport,
	   (unsigned long long)exp_ms);
}

static void check_counts(const struct maps *m, int c2p, int p2c, int perm, const char *what)
{
	int gc = tab_count(m->c2p, BINDTAB_C2P);
	int gp = tab_count(m->p2c, BINDTAB_P2C);
	int gm = map_count(m->perm, sizeof(struct turn_perm_key));

	ok(gc == c2p && gp == p2c && gm == perm,
	   "%s: %d c2p, %d p2c, %d perm entries (got %d, %d, %d)", what, c2p, p2c, perm, gc, gp,
	   gm);
}

/* An allocation as the core would hand it over. */
struct alloc {
	int relay[2];
	uint16_t port4, port6;
	struct turn_tuple tuple;
	struct turn_perm perms[8];
	struct turn_chan chans[8];
	struct turn_fwd f;
};

static int alloc_init(struct alloc *a, uint64_t id)
{
	memset(a, 0, sizeof(*a));
	a->relay[0] = udp_bound(RELAY4, &a->port4);
	a->relay[1] = udp_bound(RELAY6, &a->port6);
	a->tuple.client = sa(CLIENT, CLIENT_PORT);
	a->tuple.server = sa(LISTENER, LISTEN_PORT);
	a->tuple.proto = IPPROTO_UDP;
	a->f.id = id;
	a->f.tuple = &a->tuple;
	a->f.relay = a->relay;
	a->f.nrelay = 2;
	a->f.expires = now + 600000;
	a->f.perms = a->perms;
	a->f.chans = a->chans;
	return a->relay[0] >= 0 && a->relay[1] >= 0 ? 0 : -1;
}

static void alloc_close(struct alloc *a)
{
	close(a->relay[0]);
	close(a->relay[1]);
}

static void perm_add(struct alloc *a, const char *ip, uint64_t exp)
{
	a->perms[a->f.nperms++] = (struct turn_perm){ .ip = sa(ip, 0), .expires = exp };
}

static void chan_add(struct alloc *a, uint16_t num, const char *ip, uint16_t port, uint64_t exp,
		     bool live)
{
	a->chans[a->f.nchans++] = (struct turn_chan){ .num = num, .peer = sa(ip, port),
						      .expires = exp, .live = live };
}

static struct xdp_cfg cfg(int mode, char **ifaces, size_t nifaces, bool detach)
{
	return (struct xdp_cfg){ .mode = mode, .ifaces = ifaces, .nifaces = nifaces,
				 .pin_path = g_ns.pin_path, .detach_on_exit = detach,
				 .route_cache_ms = 1000 };
}

static struct relay_cfg relay_conf(void)
{
	struct relay_cfg r = { .naddr = 2, .port_min = 49152, .port_max = 65535 };

	r.addr[0] = sa(RELAY4, 0);
	r.addr[1] = sa(RELAY6, 0);
	return r;
}

static uint32_t xdp_prog(const char *ifname, uint8_t *mode)
{
	uint32_t id = 0;

	*mode = 0;
	xdp_query((int)if_nametoindex(ifname), &id, mode);
	return id;
}

static bool sysctl_is(const char *path, int want)
{
	int v = -1;

	return !sysctl_read_int(path, &v) && v == want;
}

/* Off, a missing interface, an interface that refuses: NULL, one line saying why. */
static void test_refusals(const struct relay_cfg *r, const sockaddr_u *listen)
{
	char *nosuch[] = { "nosuch0" }, *lo[] = { "lo" }, *toolong[] = { "fp0-and-much-more" };
	struct xdp_cfg x;
	char log[4096];
	struct fastpath *fp;

	x = cfg(XDP_MODE_OFF, NULL, 0, false);
	capture_start();
	fp = fastpath_new(&x, r, listen, 1);
	capture_end(log, sizeof(log));
	ok(!fp && strstr(log, "xdp.mode = off"), "mode off: NULL, logged");

	x = cfg(XDP_MODE_GENERIC, nosuch, 1, false);
	capture_start();
	fp = fastpath_new(&x, r, listen, 1);
	capture_end(log, sizeof(log));
	ok(!fp && strstr(log, "reason=\"no such interface: nosuch0\""),
	   "a missing interface: NULL, logged with the reason");
	ok(!pinned(""), "a missing interface: nothing pinned, no pin directory");

	x = cfg(XDP_MODE_GENERIC, toolong, 1, false);
	capture_start();
	fp = fastpath_new(&x, r, listen, 1);
	capture_end(log, sizeof(log));
	ok(!fp && strstr(log, "no such interface: (name too long)"),
	   "a name too long is no interface (not fp0)");

	x = cfg(XDP_MODE_NATIVE, lo, 1, false);
	capture_start();
	fp = fastpath_new(&x, r, listen, 1);
	capture_end(log, sizeof(log));
	ok(!fp && strstr(log, "every interface refused: lo: native attach refused"),
	   "native on lo: refused, NULL, logged");
	ok(!pinned("link_lo") && !pinned(TURN_MAP_C2P), "refused: nothing left pinned");

	{
		sockaddr_u local = sa("127.0.0.1", 3478);
		struct relay_cfg rl = { .naddr = 1 };

		rl.addr[0] = sa("127.0.0.1", 0);
		x = cfg(XDP_MODE_AUTO, NULL, 0, false);
		capture_start();
		fp = fastpath_new(&x, &rl, &local, 1);
		capture_end(log, sizeof(log));
		ok(!fp && strstr(log, "no interface holds a listen or relay address"),
		   "loopback-only addresses: no interface, NULL, logged");
	}
}

static uint16_t ip_sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Ethernet, IPv4 (sum right) and UDP (no sum) from src to dst, with payload pl. */
static size_t frame4(uint8_t *f, const char *src, uint16_t sport, const char *dst,
		     uint16_t dport, const uint8_t *pl, size_t plen)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	uint16_t sum;

	memset(f, 0, 14 + 28);
	memcpy(f, "\x02\0\0\0\x07\x01\x02\0\0\0\x07\x03\x08\0", 14);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((28 + plen) >> 8);
	ip[3] = (uint8_t)(28 + plen);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	sum = (uint16_t)~ip_sum(ip, 20);
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[4] = (uint8_t)((8 + plen) >> 8);
	udp[5] = (uint8_t)(8 + plen);
	memcpy(udp + 8, pl, plen);
	return 14 + 28 + plen;
}

/* Run the program attached to fp0 on frame in: the verdict, the frame out in out. */
static int run_attached(const uint8_t *in, size_t len, uint8_t *out, uint32_t *outlen)
{
	int ifindex = (int)if_nametoindex("fp0"), fd, err;
	struct xdp_md ctx = { .data_end = (uint32_t)len, .ingress_ifindex = (uint32_t)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (uint32_t)len,
		    .data_out = out, .data_size_out = *outlen, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	uint32_t id;
	uint8_t mode;

	if (xdp_query(ifindex, &id, &mode) || !id)
		return -ENOENT;
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	err = bpf_prog_test_run_opts(fd, &o);
	close(fd);
	*outlen = o.data_size_out;
	return err ? -errno : (int)o.retval;
}

/*
 * The entries sync wrote, as the attached program reads them: ChannelData 0x4000 from the
 * client leaves for 198.18.9.9:5000 from the relay; the peer's answer comes back on the
 * channel. Byte-exact frames out, counted in the allocation's stats.
 */
static void test_forward(const struct maps *m, uint16_t port4, uint32_t slot)
{
	static const uint8_t cd[] = { 0x40, 0x00, 0x00, 0x04, 'a', 'b', 'c', 'd' };
	static const uint8_t answer[] = { 'w', 'x', 'y', 'z' };
	uint8_t in[128], out[256], want[128], cdw[8] = { 0x40, 0x00, 0x00, 0x04 };
	struct turn_alloc_stats *per = calloc((size_t)ncpus, sizeof(*per));
	uint64_t pkts_c2p = 0, pkts_p2c = 0, bytes = 0;
	uint32_t outlen = sizeof(out);
	size_t len, wlen;
	int v;

	len = frame4(in, CLIENT, CLIENT_PORT, LISTENER, LISTEN_PORT, cd, sizeof(cd));
	wlen = frame4(want, RELAY4, port4, "198.18.9.9", 5000, cd + 4, 4);
	memcpy(want, "\x02\0\0\0\x07\xfe", 6);		/* to the gateway */
	memcpy(want + 6, in, 6);				/* from fp0 */
	v = run_attached(in, len, out, &outlen);
	is_int(v, XDP_TX, "forward c2p: the attached program sends it back out of fp0");
	ok(outlen == wlen && !memcmp(out, want, wlen),
	   "forward c2p: relay -> peer, data only, byte for byte (%u bytes)", outlen);

	memcpy(cdw + 4, answer, 4);
	len = frame4(in, "198.18.9.9", 5000, RELAY4, port4, answer, sizeof(answer));
	wlen = frame4(want, LISTENER, LISTEN_PORT, CLIENT, CLIENT_PORT, cdw, sizeof(cdw));
	memcpy(want, "\x02\0\0\0\x07\x03", 6);		/* to the client */
	memcpy(want + 6, in, 6);
	outlen = sizeof(out);
	v = run_attached(in, len, out, &outlen);
	is_int(v, XDP_TX, "forward p2c: sent back out of fp0");
	ok(outlen == wlen && !memcmp(out, want, wlen),
	   "forward p2c: listener -> client, ChannelData 0x4000, byte for byte (%u bytes)",
	   outlen);

	len = frame4(in, "198.18.9.77", 5000, RELAY4, port4, answer, sizeof(answer));
	outlen = sizeof(out);
	is_int(run_attached(in, len, out, &outlen), XDP_DROP,
	       "a peer without a permission is dropped");

	ok(per && slot && !bpf_map_lookup_elem(m->stats, &slot, per), "stats read (slot %u)", slot);
	for (int c = 0; per && c < ncpus; c++) {
		pkts_c2p += per[c].pkts_c2p;
		pkts_p2c += per[c].pkts_p2c;
		bytes += per[c].bytes_c2p + per[c].bytes_p2c;
	}
	ok(pkts_c2p == 1 && pkts_p2c == 1 && bytes == 8,
	   "the allocation's stats count one packet each way, 8 bytes");
	free(per);
}

/* The first allocation: what a sync writes, changes, release. */
static void test_sync(struct fastpath *fp, const struct maps *m)
{
	struct turn_alloc_stats *per = calloc((size_t)ncpus, sizeof(*per)), sum;
	uint64_t exp_alloc = now + 600000, exp_perm = now + 300000;
	uint32_t slot, tags1[2], tags2[2];
	struct alloc a;
	int err;

	if (!ok(!alloc_init(&a, 7), "relay sockets bound on " RELAY4 " and " RELAY6)) {
		free(per);
		return;
	}
	perm_add(&a, "198.18.9.9", exp_perm);
	perm_add(&a, "198.18.9.10", exp_perm);
	perm_add(&a, "2001:2:0:9::9", exp_perm);
	perm_add(&a, "198.18.9.11", now - 1);			/* expired */
	perm_add(&a, "::ffff:198.18.9.13", exp_perm);		/* v4-mapped: IPv4 */
	chan_add(&a, 0x4000, "198.18.9.9", 5000, now + 600000, true);	/* perm ends first */
	chan_add(&a, 0x4001, "198.18.9.10", 5001, now + 100000, true);	/* channel first */
	chan_add(&a, 0x4002, "198.18.9.12", 5002, now + 600000, true);	/* no permission */
	chan_add(&a, 0x4003, "198.18.9.9", 5003, now + 600000, false);	/* idle */
	chan_add(&a, 0x4004, "2001:2:0:9::9", 5004, now + 600000, true);	/* cross-family */
	chan_add(&a, 0x4005, "198.18.9.11", 5005, now + 600000, true);	/* perm expired */
	chan_add(&a, 0x4006, "198.18.9.9", 5006, now - 1, true);	/* expired, not swept */

	err = fastpath_sync(fp, &a.f);
	is_int(err, 0, "sync 1: succeeds");
	check_counts(m, 2, 2, 4, "sync 1");
	check_bind_tags(m, &(struct want_bind){ 0x4000, RELAY4, a.port4, "198.18.9.9", 5000, 7,
						exp_perm }, "sync 1", tags1);
	check_bind(m, &(struct want_bind){ 0x4001, RELAY4, a.port4, "198.18.9.10", 5001, 7,
					   now + 100000 }, "sync 1");
	slot = slot_of(m, &(struct want_bind){ 0x4000, RELAY4, a.port4, "198.18.9.9", 5000, 7, 0 });
	check_perm(m, RELAY4, a.port4, "198.18.9.9", 7, exp_perm, "sync 1");
	check_perm(m, RELAY4, a.port4, "198.18.9.10", 7, exp_perm, "sync 1");
	check_perm(m, RELAY4, a.port4, "198.18.9.13", 7, exp_perm, "sync 1");
	check_perm(m, RELAY6, a.port6, "2001:2:0:9::9", 7, exp_perm, "sync 1");
	ok(per && slot && !bpf_map_lookup_elem(m->stats, &slot, per), "sync 1: stats slot %u",
	   slot);
	for (int c = 0; per && c < ncpus; c++)
		if (per[c].pkts_c2p || per[c].bytes_c2p || per[c].pkts_p2c || per[c].bytes_p2c)
			ok(0, "sync 1: stats of CPU %d are zero", c);
	test_forward(m, a.port4, slot);

	/* The allocation is refreshed: permission and alloc expiries move. */
	a.f.expires = now + 200000;
	err = fastpath_sync(fp, &a.f);
	is_int(err, 0, "sync 2 (allocation expires sooner): succeeds");
	check_counts(m, 2, 2, 4, "sync 2");
	check_bind_tags(m, &(struct want_bind){ 0x4000, RELAY4, a.port4, "198.18.9.9", 5000, 7,
						now + 200000 }, "sync 2", tags2);
	ok(tags1[0] == tags2[0] && tags1[1] == tags2[1],
	   "sync 2: a refresh keeps the binding's tags (its route cache stays good)");
	check_perm(m, RELAY6, a.port6, "2001:2:0:9::9", 7, now + 200000, "sync 2");

	/* Channel 0x4001 expires, permission 198.18.9.9 goes (and with it channel 0x4000). */
	a.f.expires = exp_alloc;
	a.chans[1].live = false;
	a.perms[0] = a.perms[--a.f.nperms];
	err = fastpath_sync(fp, &a.f);
	is_int(err, 0, "sync 3 (channel expired, permission removed): succeeds");
	check_counts(m, 0, 0, 3, "sync 3");
	ok(!has_c2p(m, &(struct want_bind){ 0x4000, RELAY4, a.port4, "198.18.9.9", 5000, 7, 0 }),
	   "sync 3: c2p of 0x4000 gone");
	check_perm(m, RELAY4, a.port4, "198.18.9.10", 7, exp_perm, "sync 3");

	/* 0x4001 bound again after its quarantine, to another port of the same peer. */
	a.chans[1] = (struct turn_chan){ .num = 0x4001, .peer = sa("198.18.9.10", 6001),
					 .expires = now + 300000, .live = true };
	err = fastpath_sync(fp, &a.f);
	is_int(err, 0, "sync 4 (channel rebound to another peer port): succeeds");
	check_counts(m, 1, 1, 3, "sync 4");
	check_bind(m, &(struct want_bind){ 0x4001, RELAY4, a.port4, "198.18.9.10", 6001, 7,
					   exp_perm }, "sync 4");

	/* What the kernel counted, summed over CPUs. */
	for (int c = 0; per && c < ncpus; c++)
		per[c] = (struct turn_alloc_stats){ (uint64_t)c + 1, 100 * ((uint64_t)c + 1),
						    10 + (uint64_t)c, 1000 + (uint64_t)c };
	ok(per && !bpf_map_update_elem(m->stats, &slot, per, BPF_EXIST),
	   "stats written as the program would");
	err = fastpath_alloc_stats(fp, 7, &sum);
	ok(!err && sum.pkts_c2p == (uint64_t)ncpus * (ncpus + 1) / 2 &&
	   sum.bytes_c2p == 100ull * ncpus * (ncpus + 1) / 2 &&
	   sum.pkts_p2c == 10ull * ncpus + (uint64_t)ncpus * (ncpus - 1) / 2 &&
	   sum.bytes_p2c == 1000ull * ncpus + (uint64_t)ncpus * (ncpus - 1) / 2,
	   "alloc stats summed over %d CPUs: %llu %llu %llu %llu", ncpus,
	   (unsigned long long)sum.pkts_c2p, (unsigned long long)sum.bytes_c2p,
	   (unsigned long long)sum.pkts_p2c, (unsigned long long)sum.bytes_p2c);

	fastpath_release(fp, 7);
	check_counts(m, 0, 0, 0, "release");
	is_int(fastpath_alloc_stats(fp, 7, &sum), -ENOENT, "release: alloc stats -ENOENT");
	/* The slot is given again (the last freed first), from zero. */
	a.f.id = 8;
	is_int(fastpath_sync(fp, &a.f), 0, "a new allocation synced");
	ok(slot_of(m, &(struct want_bind){ 0x4001, RELAY4, a.port4, "198.18.9.10", 6001, 8, 0 })
	   == slot && !fastpath_alloc_stats(fp, 8, &sum) && !sum.pkts_c2p && !sum.bytes_c2p &&
	   !sum.pkts_p2c && !sum.bytes_p2c, "it has the freed slot %u, counters zeroed", slot);
	fastpath_release(fp, 8);
	check_counts(m, 0, 0, 0, "release of the new one");
	fastpath_release(fp, 7);
	ok(1, "release twice: no crash");
	alloc_close(&a);
	free(per);
}

/* An allocation with max_bps: its turn_rate entry before its bindings, flagged; gone with it. */
static void test_rate(struct fastpath *fp, const struct maps *m)
{
	struct want_bind b = { 0x4000, RELAY4, 0, "198.18.9.30", 5000, 11, 0 };
	struct turn_c2p_key ck;
	struct turn_c2p_val cv, cgot;
	struct turn_p2c_key pk;
	struct turn_p2c_val pv, pgot;
	struct turn_rate r;
	struct alloc a;

	if (alloc_init(&a, 11))
		return;
	a.f.max_bps = 1000;
	a.f.bps_burst = 2500;
	perm_add(&a, "198.18.9.30", now + 300000);
	is_int(fastpath_sync(fp, &a.f), 0, "rate: a permission only: synced");
	ok(bpf_map_lookup_elem(m->rate, &(uint64_t){ 11 }, &r) && errno == ENOENT,
	   "rate: no turn_rate entry before the first binding");
	chan_add(&a, 0x4000, "198.18.9.30", 5000, now + 300000, true);
	is_int(fastpath_sync(fp, &a.f), 0, "rate: with a channel: synced");
	memset(&r, 0xee, sizeof(r));
	ok(!bpf_map_lookup_elem(m->rate, &(uint64_t){ 11 }, &r) && r.bytes_per_s == 1000 &&
	   r.burst_ns == 2500000000ull && !r.tat_ns[0] && !r.tat_ns[1],
	   "rate: turn_rate entry 1000 bytes/s, 2.5 s deep, buckets full");
	b.relay_port = a.port4;
	b.exp_ms = now + 300000;
	bind_keys(&b, &ck, &cv, &pk, &pv);
	cv.flags = pv.flags = TURN_F_RATE;
	ok(!tab_get(m->c2p, BINDTAB_C2P, &ck, &cgot) && !tab_get(m->p2c, BINDTAB_P2C, &pk, &pgot) &&
	   !memcmp(&cgot, &cv, offsetof(struct turn_c2p_val, slot)) &&
	   !memcmp(&pgot, &pv, offsetof(struct turn_p2c_val, slot)),
	   "rate: both directions of the channel carry TURN_F_RATE");
	r.tat_ns[0] = 12345;
	bpf_map_update_elem(m->rate, &(uint64_t){ 11 }, &r, BPF_EXIST);
	a.chans[0].expires = now + 400000;
	is_int(fastpath_sync(fp, &a.f), 0, "rate: synced again");
	ok(!bpf_map_lookup_elem(m->rate, &(uint64_t){ 11 }, &r) && r.tat_ns[0] == 12345,
	   "rate: a later sync leaves the kernel's bucket alone");
	fastpath_release(fp, 11);
	ok(bpf_map_lookup_elem(m->rate, &(uint64_t){ 11 }, &r) && errno == ENOENT,
	   "rate: released with the allocation");
	check_counts(m, 0, 0, 0, "rate: after release");
	alloc_close(&a);
}

/* Hostile allocations: never a crash, never an entry that should not be there. */
static void test_hostile(struct fastpath *fp, const struct maps *m)
{
	struct alloc a;
	int closed;

	if (alloc_init(&a, 9))
		return;
	perm_add(&a, "198.18.9.9", now + 300000);
	chan_add(&a, 0x4000, "198.18.9.9", 5000, now + 300000, true);

	a.f.nchans = -1;
	is_int(fastpath_sync(fp, &a.f), -EINVAL, "negative channel count: -EINVAL");
	a.f.nchans = 1;
	a.f.nperms = -5;
	is_int(fastpath_sync(fp, &a.f), -EINVAL, "negative permission count: -EINVAL");
	a.f.nperms = 1;
	check_counts(m, 0, 0, 0, "after invalid counts");

	/* Relay handles that are not sockets of ours. */
	alloc_close(&a);
	closed = dup(0);
	close(closed);
	a.relay[0] = -1;
	a.relay[1] = closed;
	is_int(fastpath_sync(fp, &a.f), 0, "bad relay handles: nothing to do");
	check_counts(m, 0, 0, 0, "bad relay handles");
	a.relay[0] = 0;	/* stdin: not a socket */
	is_int(fastpath_sync(fp, &a.f), 0, "a relay handle that is not a socket");
	check_counts(m, 0, 0, 0, "not a socket");

	if (alloc_init(&a, 9))
		return;
	/* AF_UNSPEC */
	a.perms[a.f.nperms++] = (struct turn_perm){ .expires = now + 300000 };
	perm_add(&a, "198.18.9.9", UINT64_MAX);
	chan_add(&a, 0x3fff, "198.18.9.9", 5000, now + 300000, true);	/* not a channel */
	chan_add(&a, 0x7fff, "198.18.9.9", 5001, now + 300000, true);	/* out of range */
	chan_add(&a, 0x4000, "198.18.9.9", 5002, UINT64_MAX, true);
	chan_add(&a, 0x4000, "198.18.9.9", 5003, now + 300000, true);	/* number reused */
	chan_add(&a, 0x4001, "198.18.9.9", 5002, now + 300000, true);	/* peer reused */
	a.f.expires = UINT64_MAX;
	is_int(fastpath_sync(fp, &a.f), 0, "odd values: sync succeeds");
	check_counts(m, 1, 1, 1, "odd values: only the sane channel and permission");
	check_bind(m, &(struct want_bind){ 0x4000, RELAY4, a.port4, "198.18.9.9", 5002, 9,
					   UINT64_MAX }, "odd values");
	{
		struct turn_perm_key k;
		struct turn_perm_val v;

		memset(&k, 0, sizeof(k));
		k.family = fam16("198.18.9.9", k.peer);
		fam16(RELAY4, k.relay);
		k.relay_port = htons(a.port4);
		ok(!bpf_map_lookup_elem(m->perm, &k, &v) && v.expires_ns == UINT64_MAX,
		   "expiry beyond the ns range saturates");
	}

	/* Client and listener of different families: permissions only. */
	a.tuple.server = sa(RELAY6, LISTEN_PORT);
	is_int(fastpath_sync(fp, &a.f), 0, "client and listener of different families");
	check_counts(m, 0, 0, 1, "mixed client tuple: the channel goes, the permission stays");

	/* The allocation is past its expiry: nothing. */
	a.f.expires = now - 1;
	is_int(fastpath_sync(fp, &a.f), 0, "expired allocation: sync succeeds");
	check_counts(m, 0, 0, 0, "expired allocation: nothing left");
	fastpath_release(fp, 9);
	fastpath_release(fp, 12345);
	ok(1, "release of an unknown allocation: no crash");
	alloc_close(&a);
}

/* Fill n slots of the c2p table of map fd with another turnd's live entries: 0 or -errno. */
static int fill_c2p(int fd, int n)
{
	int err = 0;

	for (int i = 0; i < n && !err; i++) {
		struct turn_c2p_key k = { .family = TURN_AF_INET, .channel = htons(0x5000 + i) };
		struct turn_c2p_val v = { .alloc_id = 777, .expires_ns = UINT64_MAX };

		err = tab_apply(fd, BINDTAB_C2P, &k, &v, false);
	}
	return err;
}

/* A full table: the binding is left whole to the slow path, counted, retried. */
static void test_full(void)
{
	struct fwd_maps_fds fds;
	struct fwd_maps_stats st;
	struct fwd_maps *fm;
	struct alloc a;
	int err;
	LIBBPF_OPTS(bpf_map_create_opts, mmapable, .map_flags = BPF_F_MMAPABLE);

	fds.c2p = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_c2p", sizeof(uint32_t),
				 sizeof(struct turn_c2p_ent), TURN_BIND_PROBES, &mmapable);
	fds.p2c = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_p2c", sizeof(uint32_t),
				 sizeof(struct turn_p2c_ent), TURN_BIND_PROBES, &mmapable);
	fds.perm = bpf_map_create(BPF_MAP_TYPE_HASH, "t_perm", sizeof(struct turn_perm_key),
				  sizeof(struct turn_perm_val), 8, NULL);
	fds.stats = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "t_stats", sizeof(uint32_t),
				   sizeof(struct turn_alloc_stats), 8, NULL);
	fds.rate = bpf_map_create(BPF_MAP_TYPE_HASH, "t_rate", sizeof(uint64_t),
				  sizeof(struct turn_rate), 8, NULL);
	fm = fwd_maps_new(&fds, ncpus);
	if (!ok(fds.c2p >= 0 && fds.p2c >= 0 && fds.perm >= 0 && fds.stats >= 0 &&
		fds.rate >= 0 && fm && !fill_c2p(fds.c2p, TURN_BIND_PROBES - 1) &&
		!alloc_init(&a, 3), "small maps for the full-map case (c2p: one slot free)"))
		return;
	perm_add(&a, "198.18.9.9", now + 300000);
	chan_add(&a, 0x4000, "198.18.9.9", 5000, now + 300000, true);
	chan_add(&a, 0x4001, "198.18.9.9", 5001, now + 300000, true);
	err = fwd_maps_sync(fm, &a.f, now);
	is_int(err, -ENOSPC, "c2p map of one entry, two channels: -ENOSPC");
	is_int(tab_count(fds.c2p, BINDTAB_C2P), TURN_BIND_PROBES, "one c2p written");
	is_int(tab_count(fds.p2c, BINDTAB_P2C), 1,
	       "the other channel's p2c taken back: one p2c");
	fwd_maps_get_stats(fm, &st);
	ok(st.full == 1 && st.bindings == 1 && st.perms == 1 && st.allocs == 1 && !st.errors,
	   "counted: full %llu bindings %llu perms %llu", (unsigned long long)st.full,
	   (unsigned long long)st.bindings, (unsigned long long)st.perms);

	a.chans[0].live = false;	/* room again: the next sync places 0x4001 */
	err = fwd_maps_sync(fm, &a.f, now);
	is_int(err, 0, "after room is made, the retried channel fits");
	{
		struct turn_c2p_key ck;
		struct turn_c2p_val cv, got;
		struct turn_p2c_key pk;
		struct turn_p2c_val pv;

		bind_keys(&(struct want_bind){ 0x4001, RELAY4, a.port4, "198.18.9.9", 5001, 3,
					       now + 300000 }, &ck, &cv, &pk, &pv);
		ok(!tab_get(fds.c2p, BINDTAB_C2P, &ck, &got) &&
		   !memcmp(&got, &cv, offsetof(struct turn_c2p_val, slot)) &&
		   got.expires_ns == cv.expires_ns, "the c2p of 0x4001 now is the one entry");
	}
	fwd_maps_release(fm, 3);
	ok(tab_count(fds.c2p, BINDTAB_C2P) == TURN_BIND_PROBES - 1 &&
	   !tab_count(fds.p2c, BINDTAB_P2C) &&
	   !map_count(fds.perm, sizeof(struct turn_perm_key)),
	   "release empties the small maps (but for the foreign c2p)");
	fwd_maps_free(fm);
	alloc_close(&a);
	close(fds.c2p);
	close(fds.p2c);
	close(fds.perm);
	close(fds.stats);
	close(fds.rate);
}

static void test_counters(struct fastpath *fp, const struct maps *m)
{
	uint64_t before[TURN_XDP_NR], after[TURN_XDP_NR], *v = calloc((size_t)ncpus, 8);
	uint32_t k = TURN_XDP_FWD_C2P;
	uint64_t added = 0;

	for (int c = 0; v && c < ncpus; c++)
		added += v[c] = 5 + (uint64_t)c;
	ok(!fastpath_counters(fp, before) && v && !bpf_map_update_elem(m->drops, &k, v, BPF_ANY) &&
	   !fastpath_counters(fp, after), "counters read, written, read");
	is_int(after[TURN_XDP_FWD_C2P], added, "FWD_C2P summed over CPUs");
	free(v);
}

/* Entries a previous turnd left: expired ones go, live ones and what they count stay. */
static void test_gc(struct fastpath *fp, const struct maps *m)
{
	struct turn_c2p_key k1, k2;
	struct turn_c2p_val v1, v2;
	struct turn_alloc_stats *zero = calloc((size_t)ncpus, sizeof(*zero));
	int n;

	memset(&k1, 0, sizeof(k1));
	memset(&v1, 0, sizeof(v1));
	k1.family = fam16("198.18.8.1", k1.client);
	k1.channel = htons(0x4000);
	v1.alloc_id = 999;
	v1.expires_ns = 1;
	k2 = k1;
	k2.channel = htons(0x4001);
	v2 = v1;
	v2.alloc_id = 998;
	v2.expires_ns = UINT64_MAX;
	ok(zero && !tab_apply(m->c2p, BINDTAB_C2P, &k1, &v1, false) &&
	   !tab_apply(m->c2p, BINDTAB_C2P, &k2, &v2, false) &&
	   !bpf_map_update_elem(m->rate, &(uint64_t){ 998 }, &(struct turn_rate){ 0 }, BPF_ANY) &&
	   !bpf_map_update_elem(m->rate, &(uint64_t){ 996 }, &(struct turn_rate){ 0 }, BPF_ANY),
	   "foreign entries written (expired 999, live 998, rate of 996, 998)");
	n = fastpath_gc(fp);
	is_int(n, 2, "gc removes the expired c2p and the rate of 996");
	ok(!bpf_map_lookup_elem(m->rate, &(uint64_t){ 998 }, &(struct turn_rate){ 0 }) &&
	   bpf_map_lookup_elem(m->rate, &(uint64_t){ 996 }, &(struct turn_rate){ 0 }),
	   "gc: rate of the live foreign allocation kept, the unreferenced one gone");
	ok(tab_get(m->c2p, BINDTAB_C2P, &k1, &v1) && !tab_get(m->c2p, BINDTAB_C2P, &k2, &v2),
	   "gc: expired foreign entry gone, live one kept");
	tab_apply(m->c2p, BINDTAB_C2P, &k2, NULL, true);
	bpf_map_delete_elem(m->rate, &(uint64_t){ 998 });
	free(zero);
}

static bool contains(const char *s, const char *sub)
{
	return strstr(s, sub) != NULL;
}

/* The first instance: attach, sync, counters; freed without detaching. */
static struct alloc *first_instance(const struct relay_cfg *r, const sockaddr_u *listen,
				    uint32_t *prog_id, uint32_t *map_id)
{
	char *ifs[] = { "fp0" }, desc[1024], log[4096];
	struct xdp_cfg x = cfg(XDP_MODE_GENERIC, ifs, 1, false);
	static struct alloc keep;
	struct fastpath *fp;
	struct maps m;
	uint8_t mode;

	capture_start();
	fp = fastpath_new(&x, r, listen, 1);
	capture_end(log, sizeof(log));
	if (!ok(fp, "generic on fp0: loaded and attached"))
		return NULL;
	fastpath_describe(fp, desc, sizeof(desc));
	diag("describe: %s", desc);
	ok(contains(desc, "iface=fp0 mode=generic why=\"attached\"\n") &&
	   contains(desc, "sync allocs=0 bindings=0"), "describe: fp0 generic, nothing synced");
	ok(contains(desc, "\nroutes cache_ms=") && contains(desc, "\nclock tick_ns=") &&
	   !contains(desc, "\nclock tick_ns=0\n"),
	   "describe: route cache and a measured jiffies clock");
	*prog_id = xdp_prog("fp0", &mode);
	ok(*prog_id && mode == XDP_ATTACHED_SKB, "fp0 runs a program in generic (skb) mode");
	ok(pinned("link_fp0") && pinned(TURN_MAP_C2P) && pinned(TURN_MAP_P2C) &&
	   pinned(TURN_MAP_PERM) && pinned(TURN_MAP_STATS) && pinned(TURN_MAP_DROPS) &&
	   pinned(TURN_MAP_RATE), "link and six maps pinned under the private bpffs");
	ok(sysctl_is("/proc/sys/net/ipv4/conf/fp0/forwarding", 1) &&
	   sysctl_is("/proc/sys/net/ipv6/conf/fp0/forwarding", 1) &&
	   sysctl_is("/proc/sys/net/ipv6/conf/fp0/accept_ra", 2),
	   "fp0: forwarding on (IPv4, IPv6), accept_ra 2");
	ok(sysctl_is("/proc/sys/net/ipv4/conf/fp1/forwarding", 0),
	   "fp1 (not attached): forwarding untouched");
	ok(contains(log, "key=net.ipv4.conf.fp0.forwarding old=0 new=1"),
	   "the forwarding change is logged");
	if (!ok(!maps_open(&m), "pinned maps open")) {
		fastpath_free(fp);
		return NULL;
	}
	*map_id = obj_id(m.c2p);
	test_sync(fp, &m);
	test_rate(fp, &m);
	test_hostile(fp, &m);
	test_counters(fp, &m);

	/* An allocation left in the maps across the restart. */
	if (alloc_init(&keep, 8) == 0) {
		perm_add(&keep, "198.18.9.20", now + 300000);
		chan_add(&keep, 0x4010, "198.18.9.20", 7000, now + 300000, true);
		is_int(fastpath_sync(fp, &keep.f), 0, "allocation 8 synced before the restart");
	}
	fastpath_describe(fp, desc, sizeof(desc));
	ok(contains(desc, "sync allocs=1 bindings=1 permissions=1 full=0 errors=0"),
	   "describe counts allocation 8");
	maps_close(&m);
	fastpath_free(fp);
	return &keep;
}

static void test_restart(const struct relay_cfg *r, const sockaddr_u *listen)
{
	uint32_t prog1 = 0, map1 = 0, prog2;
	struct xdp_cfg x = cfg(XDP_MODE_GENERIC, NULL, 0, false);
	char desc[1024], log[4096];
	struct fastpath *fp;
	struct alloc *keep;
	struct maps m;
	uint8_t mode;

	keep = first_instance(r, listen, &prog1, &map1);
	if (!keep)
		return;
	ok(pinned("link_fp0") && pinned(TURN_MAP_C2P), "freed without detach: pins stay");
	ok(xdp_prog("fp0", &mode) == prog1, "freed without detach: the program stays attached");

	/* A second turnd: interfaces from the listen address, maps and link reused. */
	capture_start();
	fp = fastpath_new(&x, r, listen, 1);
	capture_end(log, sizeof(log));
	if (!ok(fp, "second instance (interfaces from the listen address) loads"))
		return;
	fastpath_describe(fp, desc, sizeof(desc));
	diag("describe: %s", desc);
	ok(contains(desc, "iface=fp0 mode=generic why=\"pinned link updated\"\n") &&
	   !contains(desc, "fp1"), "describe: fp0 only (holds the listen address), link updated");
	ok(contains(log, "xdp maps reused from a previous run count=6"), "log: six maps reused");
	prog2 = xdp_prog("fp0", &mode);
	ok(prog2 && prog2 != prog1 && mode == XDP_ATTACHED_SKB,
	   "fp0 now runs the new program (id %u, was %u), still generic", prog2, prog1);
	if (ok(!maps_open(&m), "pinned maps open")) {
		is_int(obj_id(m.c2p), map1, "turn_c2p is the same map as before");
		check_bind(&m, &(struct want_bind){ 0x4010, RELAY4, keep->port4, "198.18.9.20",
						    7000, 8, now + 300000 },
			   "written by the first turnd, still there");
		test_gc(fp, &m);
		maps_close(&m);
	}
	alloc_close(keep);
	fastpath_free(fp);

	is_int(fastpath_detach_all(g_ns.pin_path), 1, "detach_all: one link detached");
	ok(!pinned("link_fp0") && !pinned(TURN_MAP_C2P) && !pinned(""),
	   "detach_all: pins and directory gone");
	ok(xdp_prog("fp0", &mode) == 0, "detach_all: fp0 has no XDP program");
	is_int(fastpath_detach_all(g_ns.pin_path), 0, "detach_all again: nothing to do");
}

/* detach_on_exit, an incompatible pin, auto mode, and mode off cleaning up. */
static void test_lifecycle(const struct relay_cfg *r, const sockaddr_u *listen)
{
	char *ifs[] = { "fp0" }, desc[1024], log[4096], path[256];
	struct xdp_cfg x = cfg(XDP_MODE_AUTO, ifs, 1, true);
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	struct fastpath *fp;
	int fd;
	uint8_t mode;

	/* A map of another layout pinned where turn_perm goes. */
	mkdir(g_ns.pin_path, 0700);
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "old_perm", 4, 4, 4, NULL);
	snprintf(path, sizeof(path), "%s/" TURN_MAP_PERM, g_ns.pin_path);
	ok(fd >= 0 && !bpf_obj_pin(fd, path), "an incompatible turn_perm pinned");
	close(fd);

	capture_start();
	fp = fastpath_new(&x, r, listen, 1);
	capture_end(log, sizeof(log));
	if (!ok(fp, "auto on fp0 loads"))
		return;
	fastpath_describe(fp, desc, sizeof(desc));
	ok(contains(desc, "iface=fp0 mode=native"), "auto on a veth: native");
	ok(xdp_prog("fp0", &mode) && mode == XDP_ATTACHED_DRV, "fp0 runs it in driver mode");
	ok(contains(log, "pinned map differs from this turnd's, replacing it"),
	   "the incompatible pin is replaced, logged");
	fd = pin_get(TURN_MAP_PERM);
	memset(&info, 0, sizeof(info));
	ok(fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	   info.key_size == sizeof(struct turn_perm_key), "turn_perm has the right layout now");
	close(fd);
	fastpath_free(fp);
	ok(!pinned(""), "detach_on_exit: pins and directory gone");
	ok(xdp_prog("fp0", &mode) == 0, "detach_on_exit: fp0 has no XDP program");

	/* Left attached by one run, then the next runs with mode off. */
	x = cfg(XDP_MODE_GENERIC, ifs, 1, false);
	fp = fastpath_new(&x, r, listen, 1);
	fastpath_free(fp);
	ok(fp && pinned("link_fp0") && xdp_prog("fp0", &mode), "a run leaves fp0 attached");
	x = cfg(XDP_MODE_OFF, ifs, 1, false);
	capture_start();
	fp = fastpath_new(&x, r, listen, 1);
	capture_end(log, sizeof(log));
	ok(!fp && contains(log, "detached the links left pinned by a previous run"),
	   "mode off: NULL, the previous run's link detached, logged");
	ok(!pinned("") && xdp_prog("fp0", &mode) == 0, "mode off: nothing pinned or attached");
}

static void test_ifaces(void)
{
	char names[8][IF_NAMESIZE];
	sockaddr_u a[2];
	int n;

	a[0] = sa("198.18.7.2", 0);
	n = ifaces_holding(a, 1, names, 8);
	ok(n == 1 && !strcmp(names[0], "fp1"), "198.18.7.2 is on fp1");
	a[0] = sa("::ffff:198.18.7.1", 3478);
	a[1] = sa(RELAY6, 0);
	n = ifaces_holding(a, 2, names, 8);
	ok(n == 1 && !strcmp(names[0], "fp0"), "v4-mapped 198.18.7.1 and " RELAY6 ": fp0 once");
	a[0] = sa("0.0.0.0", 3478);
	n = ifaces_holding(a, 1, names, 8);
	ok(n == 2 && strcmp(names[0], names[1]) && (!strcmp(names[0], "fp0") ||
						     !strcmp(names[0], "fp1")),
	   "0.0.0.0: fp0 and fp1, not lo (%d)", n);
	a[0] = sa("127.0.0.1", 0);
	is_int(ifaces_holding(a, 1, names, 8), 0, "127.0.0.1: loopback is never picked");
	a[0] = sa("198.18.99.1", 0);
	is_int(ifaces_holding(a, 1, names, 8), 0, "an address nobody holds: none");
}

/* sysctl_read_int on what a /proc/sys file might hold, sane or not. */
static void test_sysctl_parse(void)
{
	static const struct {
		const char *text;
		int ret, val;
	} cases[] = {
		{ "1\n", 0, 1 },	{ "64", 0, 64 },	{ "-3\n", 0, -3 },
		{ "", -EINVAL, 0 },	{ "\n", -EINVAL, 0 },	{ "abc\n", -EINVAL, 0 },
		{ "12abc\n", -EINVAL, 0 }, { "7\n8\n", -EINVAL, 0 },
		{ "99999999999999999999\n", -EINVAL, 0 }, { "2147483648\n", -EINVAL, 0 },
		{ "1\n\n", -EINVAL, 0 }, { "\xff\xfe", -EINVAL, 0 },
	};
	char path[] = "/tmp/test_fastpath_sysctl.XXXXXX";
	int fd = mkstemp(path);

	for (size_t i = 0; fd >= 0 && i < sizeof(cases) / sizeof(cases[0]); i++) {
		int v = 12345, ret;

		if (ftruncate(fd, 0) || pwrite(fd, cases[i].text, strlen(cases[i].text), 0) < 0)
			break;
		ret = sysctl_read_int(path, &v);
		ok(ret == cases[i].ret && (ret || v == cases[i].val),
		   "sysctl_read_int case %zu: ret %d value %d", i, ret, v);
	}
	is_int(sysctl_read_int("/nonexistent/x", &(int){ 0 }), -ENOENT, "missing file: -ENOENT");
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
}

int main(void)
{
	struct relay_cfg r;
	sockaddr_u listen;
	int err, probe;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs CAP_BPF (and CAP_SYS_ADMIN for namespaces)\n");
		return 0;
	}
	/* Before the first test line, so that either can still turn into a skip. */
	err = netns_setup(&g_ns, "test_fastpath", net_cmds, sizeof(net_cmds) / sizeof(net_cmds[0]));
	probe = bpf_map_create(BPF_MAP_TYPE_ARRAY, "probe", 4, 4, 1, NULL);
	if (err == -EPERM || probe == -EPERM) {
		printf("1..0 # SKIP needs CAP_BPF and CAP_SYS_ADMIN (namespaces: %s, bpf: %s)\n",
		       strerror(-err), probe < 0 ? strerror(-probe) : "ok");
		netns_teardown(&g_ns);
		return 0;
	}
	close(probe);
	test_sysctl_parse();
	if (!ok(!err, "network and mount namespaces, veth pair, private bpffs (%s)",
		strerror(-err))) {
		netns_teardown(&g_ns);
		return done_testing();
	}
	log_set_level(LOG_LVL_INFO);
	ncpus = libbpf_num_possible_cpus();
	now = mono_ms();
	r = relay_conf();
	listen = sa(LISTENER, LISTEN_PORT);

	test_ifaces();
	test_refusals(&r, &listen);
	test_full();
	test_restart(&r, &listen);
	test_lifecycle(&r, &listen);
	fastpath_detach_all(g_ns.pin_path);
	netns_teardown(&g_ns);
	return done_testing();
}
