/* prog_setup.c - turnbench-prog's world: netns and veths, the three programs, bindings, frames. */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "prog.h"
#include "xdp_clock.h"
#include "xdp_pkt.h"
#include "fwd.skel.h"
#include "turn_xdp.skel.h"
#include "xdp_tx.skel.h"

/*
 * The network namespace the programs run in (world_net()):
 *
 *   client 198.18.0.2 (xa1) -- xa0 198.18.0.1, the listener (port 3478)
 *   peer   198.18.1.2 (xb1) -- xb0 198.18.1.1 and 198.18.1.3, the relay addresses
 *
 * with permanent neighbours and IPv4 forwarding on, so that bpf_fib_lookup() finds the route
 * and turnd's program forwards (XDP_REDIRECT) rather than passes to the daemon.
 *
 * For N flows, turnd's tables hold N channels (a c2p and a p2c binding each, six channels to
 * an allocation, one permission and one stats slot per allocation), and each flow has a
 * frame either way: c2p (ChannelData from the client, in on xa0) and p2c (from the peer, in
 * on xb0), of DATA_LEN bytes of data.
 *
 * turnd's program is loaded as turnd loads it: maps at their default sizes (turnd's), ttl 64,
 * relay ports 49152-65535, a route cache of 1000 ms (turnd's default), route_gen set after
 * load, and its clock calibrated by turnd's own xdp_clock_calibrate() (jiffies; when that
 * fails the program reads bpf_ktime_get_ns(), as in turnd). The forwarder
 * (tools/bench/fwd.bpf.c, no lookup at all) is set up for either direction as turnbench runs
 * it.
 */

#define LOG_SIZE 65536			/* room for the verifier's statistics */

#define CHANS 6				/* channels of an allocation */
#define CHAN_FIRST 0x4000
#define LISTEN_PORT 3478
#define CLIENT_PORT0 20000		/* the client port of allocation a: CLIENT_PORT0 + a */
#define PEER_PORT0 6000			/* the peer port of channel j: PEER_PORT0 + j */
#define RELAY_PORT_MIN 49152
#define RELAY_PORT_MAX 65535
#define RELAY_PORTS (RELAY_PORT_MAX - RELAY_PORT_MIN + 1)
#define ROUTE_CACHE_MS 1000		/* turnd's default xdp.route_cache_ms */

#define LISTEN_ADDR "198.18.0.1"
#define CLIENT_ADDR "198.18.0.2"
#define RELAY_ADDR "198.18.1.1"		/* allocations 0 to RELAY_PORTS - 1 */
#define RELAY_ADDR2 "198.18.1.3"	/* the rest */
#define PEER_ADDR "198.18.1.2"

_Static_assert(MAX_FLOWS / CHANS < 2 * RELAY_PORTS, "two relay addresses hold the allocations");
_Static_assert(CLIENT_PORT0 + MAX_FLOWS / CHANS <= 65535, "client ports fit");

static const uint8_t xa0_mac[6] = { 2, 0, 0, 0, 0x0a, 0x01 };
static const uint8_t client_mac[6] = { 2, 0, 0, 0, 0x0a, 0x02 };
static const uint8_t xb0_mac[6] = { 2, 0, 0, 0, 0x0b, 0x01 };
static const uint8_t peer_mac[6] = { 2, 0, 0, 0, 0x0b, 0x02 };

static const char *const net_cmds[] = {
	"ip link add xa0 address 02:00:00:00:0a:01 type veth peer name xa1",
	"ip link add xb0 address 02:00:00:00:0b:01 type veth peer name xb1",
	"ip link set xa0 up", "ip link set xa1 up", "ip link set xb0 up", "ip link set xb1 up",
	"ip addr add " LISTEN_ADDR "/24 dev xa0",
	"ip addr add " RELAY_ADDR "/24 dev xb0",
	"ip addr add " RELAY_ADDR2 "/24 dev xb0",
	"ip neigh add " CLIENT_ADDR " lladdr 02:00:00:00:0a:02 nud permanent dev xa0",
	"ip neigh add " PEER_ADDR " lladdr 02:00:00:00:0b:02 nud permanent dev xb0",
};

/* The namespace, the veths and forwarding: world_net() in prog.h. */
int world_net(struct world *w)
{
	FILE *f;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "turnbench-prog: unshare(CLONE_NEWNET) failed: %s (needs root)\n",
			strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < sizeof(net_cmds) / sizeof(net_cmds[0]); i++) {
		if (system(net_cmds[i])) {
			fprintf(stderr, "turnbench-prog: setting up the network failed at \"%s\"\n",
				net_cmds[i]);
			return -EIO;
		}
	}
	/* bpf_fib_lookup() refuses to route without forwarding on the ingress device. */
	f = fopen("/proc/sys/net/ipv4/conf/all/forwarding", "w");
	if (!f || fputs("1\n", f) == EOF || fclose(f)) {
		fprintf(stderr, "turnbench-prog: turning IPv4 forwarding on failed: %s\n",
			strerror(errno));
		if (f)
			fclose(f);
		return -EIO;
	}
	w->ifindex[DIR_C2P] = (int)if_nametoindex("xa0");
	w->ifindex[DIR_P2C] = (int)if_nametoindex("xb0");
	if (!w->ifindex[DIR_C2P] || !w->ifindex[DIR_P2C]) {
		fprintf(stderr, "turnbench-prog: the veths are missing: %s\n", strerror(errno));
		return -ENODEV;
	}
	return 0;
}

/* Flow i: channel i % CHANS of allocation i / CHANS. */
struct flow {
	uint32_t alloc;			/* the allocation's id and stats slot, from 1 */
	bool first;			/* its first channel: brings the permission and slot */
	uint16_t client_port, channel, relay_port, peer_port;
	const char *relay;
};

static void flow_of(uint32_t i, struct flow *f)
{
	uint32_t a = i / CHANS;

	f->alloc = a + 1;
	f->first = i % CHANS == 0;
	f->client_port = (uint16_t)(CLIENT_PORT0 + a);
	f->channel = (uint16_t)(CHAN_FIRST + i % CHANS);
	f->relay = a < RELAY_PORTS ? RELAY_ADDR : RELAY_ADDR2;
	f->relay_port = (uint16_t)(RELAY_PORT_MIN + a % RELAY_PORTS);
	f->peer_port = (uint16_t)(PEER_PORT0 + i % CHANS);
}

static void ip4(const char *s, __u8 out[16])
{
	memset(out, 0, 16);
	inet_pton(AF_INET, s, out);
}

/* Both bindings of a flow. */
struct binding {
	struct turn_c2p_key ck;
	struct turn_c2p_val cv;
	struct turn_p2c_key pk;
	struct turn_p2c_val pv;
};

static void binding_of(const struct flow *f, struct binding *b)
{
	memset(b, 0, sizeof(*b));
	ip4(CLIENT_ADDR, b->ck.client);
	ip4(LISTEN_ADDR, b->ck.listener);
	b->ck.client_port = htons(f->client_port);
	b->ck.listener_port = htons(LISTEN_PORT);
	b->ck.channel = htons(f->channel);
	b->ck.family = TURN_AF_INET;
	ip4(f->relay, b->cv.relay);
	ip4(PEER_ADDR, b->cv.peer);
	b->cv.relay_port = htons(f->relay_port);
	b->cv.peer_port = htons(f->peer_port);
	b->cv.family = TURN_AF_INET;
	b->cv.slot = f->alloc;
	b->cv.alloc_id = f->alloc;
	b->cv.expires_ns = UINT64_MAX;
	b->cv.rt_tag = bindtab_tag(&b->ck, sizeof(b->ck), &b->cv,
				     offsetof(struct turn_c2p_val, slot));

	memcpy(b->pk.relay, b->cv.relay, 16);
	memcpy(b->pk.peer, b->cv.peer, 16);
	b->pk.relay_port = b->cv.relay_port;
	b->pk.peer_port = b->cv.peer_port;
	b->pk.family = TURN_AF_INET;
	memcpy(b->pv.listener, b->ck.listener, 16);
	memcpy(b->pv.client, b->ck.client, 16);
	b->pv.listener_port = b->ck.listener_port;
	b->pv.client_port = b->ck.client_port;
	b->pv.channel = b->ck.channel;
	b->pv.family = TURN_AF_INET;
	b->pv.slot = f->alloc;
	b->pv.alloc_id = f->alloc;
	b->pv.expires_ns = UINT64_MAX;
	b->pv.rt_tag = bindtab_tag(&b->pk, sizeof(b->pk), &b->pv,
				     offsetof(struct turn_p2c_val, slot));
}

/* The permission of a flow's allocation (any port of the peer's address). */
static void perm_of(const struct flow *f, struct turn_perm_key *k, struct turn_perm_val *v)
{
	memset(k, 0, sizeof(*k));
	memset(v, 0, sizeof(*v));
	ip4(f->relay, k->relay);
	ip4(PEER_ADDR, k->peer);
	k->relay_port = htons(f->relay_port);
	k->family = TURN_AF_INET;
	v->alloc_id = f->alloc;
	v->expires_ns = UINT64_MAX;
}

/* Bind flow i, in the daemon's order: zeroed slot and permission first. 0 or -errno. */
static int put_flow(struct turnd_prog *t, uint32_t i)
{
	struct turn_perm_key mk;
	struct turn_perm_val mv;
	struct binding b;
	struct flow f;
	int err;

	flow_of(i, &f);
	binding_of(&f, &b);
	if (f.first) {
		perm_of(&f, &mk, &mv);
		if (bpf_map_update_elem(t->stats_fd, &f.alloc, t->zero, BPF_ANY) ||
		    bpf_map_update_elem(t->perm_fd, &mk, &mv, BPF_ANY)) {
			err = -errno;
			fprintf(stderr, "turnbench-prog: writing allocation %u (stats slot, "
				"permission) failed: %s\n", f.alloc, strerror(errno));
			return err;
		}
	}
	err = bindtab_put(&t->c2p, &b.ck, &b.cv);
	if (!err)
		err = bindtab_put(&t->p2c, &b.pk, &b.pv);
	if (err)
		fprintf(stderr, "turnbench-prog: binding flow %u failed: %s\n", i, strerror(-err));
	return err;
}

/* Unbind flow i (and its allocation's permission with its first channel). 0 or -errno. */
static int del_flow(struct turnd_prog *t, uint32_t i)
{
	struct turn_perm_key mk;
	struct turn_perm_val mv;
	struct binding b;
	struct flow f;
	int err;

	flow_of(i, &f);
	binding_of(&f, &b);
	err = bindtab_del(&t->c2p, &b.ck);
	if (!err)
		err = bindtab_del(&t->p2c, &b.pk);
	if (!err && f.first) {
		perm_of(&f, &mk, &mv);
		if (bpf_map_delete_elem(t->perm_fd, &mk))
			err = -errno;
	}
	if (err)
		fprintf(stderr, "turnbench-prog: unbinding flow %u failed: %s\n", i,
			strerror(-err));
	return err;
}

/* Bind or unbind from the end, one flow at a time. */
int world_bind(struct world *w, uint32_t n)
{
	struct turnd_prog *t = &w->t;
	int err = 0;

	while (!err && t->nflows > n)
		err = del_flow(t, --t->nflows);
	for (; !err && t->nflows < n; t->nflows++)
		err = put_flow(t, t->nflows);
	return err;
}

/* turnd's route cache time in the program's units, as turnd computes it. */
static uint32_t route_ttl_of(uint32_t ms)
{
	return (uint32_t)(((uint64_t)ms * 1000000 >> TURN_ROUTE_SHIFT) + 1);
}

/* Measure the program's jiffies clock as turnd does; say which clock it reads. */
static void clock_setup(struct turnd_prog *t)
{
	uint64_t tick;
	int err;

	err = xdp_clock_calibrate(t->skel, bpf_program__fd(t->skel->progs.turn_clock), &tick);
	if (err)
		snprintf(t->clock, sizeof(t->clock), "bpf_ktime_get_ns() (measuring jiffies "
			 "failed: %s; turnd falls back alike)", strerror(-err));
	else
		snprintf(t->clock, sizeof(t->clock), "jiffies, tick %llu ns (measured as turnd "
			 "does)", (unsigned long long)tick);
}

/* Open turnd's program and set it as turnd does, verifier statistics kept. 0 or -errno. */
static int turnd_open(struct turnd_prog *t)
{
	int ncpus = libbpf_num_possible_cpus(), err;

	if (ncpus <= 0)
		return ncpus < 0 ? ncpus : -EINVAL;
	t->log = calloc(1, LOG_SIZE);
	t->zero = calloc((size_t)ncpus, sizeof(*t->zero));
	if (!t->log || !t->zero)
		return -ENOMEM;
	t->skel = turn_xdp_bpf__open();
	if (!t->skel) {
		err = -errno;
		fprintf(stderr, "turnbench-prog: opening turnd's XDP object failed: %s\n",
			strerror(errno));
		return err;
	}
	t->skel->rodata->ttl = 64;
	t->skel->rodata->relay_port_min = RELAY_PORT_MIN;
	t->skel->rodata->relay_port_max = RELAY_PORT_MAX;
	t->skel->rodata->route_ttl = route_ttl_of(ROUTE_CACHE_MS);
	bpf_program__set_log_buf(t->skel->progs.turn_xdp, t->log, LOG_SIZE);
	bpf_program__set_log_level(t->skel->progs.turn_xdp, 4);	/* BPF_LOG_STATS */
	return 0;
}

/* Open, set, load turnd's program, map its tables, calibrate its clock. 0 or -errno. */
static int turnd_load(struct turnd_prog *t)
{
	int err = turnd_open(t);

	if (err)
		return err;
	err = turn_xdp_bpf__load(t->skel);
	if (err) {
		fprintf(stderr, "turnbench-prog: loading turnd's XDP program failed: %s\n",
			strerror(-err));
		return err;
	}
	t->skel->bss->route_gen = 1;
	err = bindtab_open(&t->c2p, bpf_map__fd(t->skel->maps.turn_c2p), BINDTAB_C2P);
	if (!err)
		err = bindtab_open(&t->p2c, bpf_map__fd(t->skel->maps.turn_p2c), BINDTAB_P2C);
	if (err) {
		fprintf(stderr, "turnbench-prog: mapping turnd's binding tables failed: %s\n",
			strerror(-err));
		return err;
	}
	t->perm_fd = bpf_map__fd(t->skel->maps.turn_perm);
	t->stats_fd = bpf_map__fd(t->skel->maps.turn_stats);
	clock_setup(t);
	return 0;
}

static void turnd_close(struct turnd_prog *t)
{
	bindtab_close(&t->c2p);
	bindtab_close(&t->p2c);
	turn_xdp_bpf__destroy(t->skel);
	free(t->log);
	free(t->zero);
	memset(t, 0, sizeof(*t));
}

/* The forwarder set up for one direction, as turnbench runs it. NULL (reported) on failure. */
static struct fwd_bpf *fwd_load(int dir, int out_ifindex)
{
	struct fwd_bpf *skel = fwd_bpf__open();
	struct in_addr s, d;
	bool c2p = dir == DIR_C2P;

	if (!skel) {
		fprintf(stderr, "turnbench-prog: opening the forwarder failed: %s\n",
			strerror(errno));
		return NULL;
	}
	inet_pton(AF_INET, c2p ? RELAY_ADDR : LISTEN_ADDR, &s);
	inet_pton(AF_INET, c2p ? PEER_ADDR : CLIENT_ADDR, &d);
	memcpy((void *)skel->rodata->smac, c2p ? xb0_mac : xa0_mac, 6);
	memcpy((void *)skel->rodata->dmac, c2p ? peer_mac : client_mac, 6);
	skel->rodata->saddr = s.s_addr;
	skel->rodata->daddr = d.s_addr;
	skel->rodata->sport = htons(c2p ? RELAY_PORT_MIN : LISTEN_PORT);
	skel->rodata->dport = htons(c2p ? PEER_PORT0 : CLIENT_PORT0);
	skel->rodata->out_ifindex = (uint32_t)out_ifindex;
	skel->rodata->dir = c2p ? DIR_C2P : DIR_P2C;
	if (fwd_bpf__load(skel)) {
		fprintf(stderr, "turnbench-prog: loading the forwarder (%s) failed: %s\n",
			dir_name(dir), strerror(errno));
		fwd_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

/* turnd's program, the forwarder either way, XDP_TX: world_load() in prog.h. */
int world_load(struct world *w)
{
	int err = turnd_load(&w->t);

	if (err)
		return err;
	w->fwd[DIR_C2P] = fwd_load(DIR_C2P, w->ifindex[DIR_P2C]);
	if (!w->fwd[DIR_C2P])
		return -EIO;
	w->fwd[DIR_P2C] = fwd_load(DIR_P2C, w->ifindex[DIR_C2P]);
	if (!w->fwd[DIR_P2C])
		return -EIO;
	w->tx = xdp_tx_bpf__open_and_load();
	if (!w->tx) {
		err = -errno;
		fprintf(stderr, "turnbench-prog: loading xdp_tx failed: %s\n", strerror(errno));
		return err;
	}
	w->fd[P_TURND][DIR_C2P] = bpf_program__fd(w->t.skel->progs.turn_xdp);
	w->fd[P_TURND][DIR_P2C] = bpf_program__fd(w->t.skel->progs.turn_xdp);
	w->fd[P_FWD][DIR_C2P] = bpf_program__fd(w->fwd[DIR_C2P]->progs.fwd);
	w->fd[P_FWD][DIR_P2C] = bpf_program__fd(w->fwd[DIR_P2C]->progs.fwd);
	w->fd[P_TX][DIR_C2P] = bpf_program__fd(w->tx->progs.xdp_tx);
	w->fd[P_TX][DIR_P2C] = bpf_program__fd(w->tx->progs.xdp_tx);
	return 0;
}

/* Safe on a world zeroed and set up in part, as world_load() may leave it. */
void world_close(struct world *w)
{
	xdp_tx_bpf__destroy(w->tx);
	fwd_bpf__destroy(w->fwd[DIR_C2P]);
	fwd_bpf__destroy(w->fwd[DIR_P2C]);
	turnd_close(&w->t);
	free(w->frames[DIR_C2P]);
	free(w->frames[DIR_P2C]);
}

/* The frame flow i sends in direction dir, described for frame_build(). */
static void frame_of(uint32_t i, int dir, const uint8_t *data, struct frame *fr)
{
	struct flow f;

	flow_of(i, &f);
	if (dir == DIR_C2P) {
		*fr = (struct frame){ .family = 4, .src = CLIENT_ADDR, .dst = LISTEN_ADDR,
				      .sport = f.client_port, .dport = LISTEN_PORT,
				      .smac = client_mac, .dmac = xa0_mac, .ttl = 64,
				      .frag = FR_DF, .chan = f.channel, .cd_len = -1,
				      .data = data, .data_len = DATA_LEN };
	} else {
		*fr = (struct frame){ .family = 4, .src = PEER_ADDR, .dst = f.relay,
				      .sport = f.peer_port, .dport = f.relay_port,
				      .smac = peer_mac, .dmac = xb0_mac, .ttl = 64,
				      .frag = FR_DF, .data = data, .data_len = DATA_LEN };
	}
}

/* Each direction's frames in one buffer: all of one direction have one length. */
int world_frames(struct world *w, uint32_t n)
{
	static uint8_t data[DATA_LEN];
	uint8_t one[FRAME_MAX];
	struct frame fr;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	data[0] = 0x80;		/* RTP version 2, as media is */
	for (int dir = 0; dir < 2; dir++) {
		frame_of(0, dir, data, &fr);
		w->flen[dir] = frame_build(&fr, one, sizeof(one));
		if (!w->flen[dir])
			return -EINVAL;
		w->frames[dir] = malloc(w->flen[dir] * n);
		if (!w->frames[dir])
			return -ENOMEM;
		for (uint32_t i = 0; i < n; i++) {
			frame_of(i, dir, data, &fr);
			if (frame_build(&fr, w->frames[dir] + i * w->flen[dir], w->flen[dir]) !=
			    w->flen[dir])
				return -EINVAL;
		}
	}
	return 0;
}
