/* prog.c - per-packet cost of turnd's XDP program, a trivial forwarder and XDP_TX (test_run). */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "bindtab.h"
#include "turn_shared.h"
#include "xdp_clock.h"
#include "xdp_pkt.h"
#include "fwd.skel.h"
#include "turn_xdp.skel.h"
#include "xdp_tx.skel.h"

/*
 * turnbench-prog [-f FLOWS,...] [-r ROUNDS] [-k RUNS] (root): the XDP programs alone, timed
 * per packet with BPF_PROG_TEST_RUN, repeat 1 (they rewrite the frame: a repeat would run
 * them again on their own output), in a network namespace of its own:
 *
 *   client 198.18.0.2 (xa1) -- xa0 198.18.0.1, the listener (port 3478)
 *   peer   198.18.1.2 (xb1) -- xb0 198.18.1.1 and 198.18.1.3, the relay addresses
 *
 * with permanent neighbours and IPv4 forwarding on, so that bpf_fib_lookup() finds the route
 * and turnd's program forwards (XDP_REDIRECT) rather than passes to the daemon.
 *
 * For each number of flows N, turnd's tables hold N channels (a c2p and a p2c binding each,
 * six channels to an allocation, one permission and one stats slot per allocation). Frames of
 * 100 bytes of data (turnbench's default size), c2p (ChannelData from the client, in on xa0)
 * and p2c (from the peer, in on xb0), go through turnd's program, the trivial forwarder
 * (tools/bench/fwd.bpf.c, no lookup at all) and a bare XDP_TX, interleaved: every round runs
 * each program RUNS times over the same flows, in a scattered order (flow (i * 7919) % N),
 * which every program sees alike. Before a point is timed, every flow goes once through
 * turnd's program either way, so that its route caches are warm, as in a relay at work. The
 * process stays on the CPU it started on (migrations between runs would only add noise).
 *
 * turnd's program is loaded as turnd loads it: maps at their default sizes (turnd's), ttl 64,
 * relay ports 49152-65535, a route cache of 1000 ms (turnd's default), route_gen set after
 * load, and its clock calibrated by turnd's own xdp_clock_calibrate() (jiffies; when that
 * fails the program reads bpf_ktime_get_ns(), as in turnd). The header says which clock ran.
 *
 * Two figures per program: the median (and quartiles) of test_run's duration, which the
 * kernel measures around each single run (its clock steps, printed at the end, are coarse:
 * 10 ns here), and the kernel's own run_time_ns / run_cnt over the same runs
 * (bpf_enable_stats). With those stats on, every run also reads the clock twice more, and
 * test_run's duration includes that; run_time_ns does not.
 */

#define NS_PER_S 1000000000ull
#define MAX_ROUNDS 100
#define MAX_RUNS 10000
#define MAX_POINTS 16
#define MAX_FLOWS TURN_MAX_BINDINGS
#define POINT_CAP_NS (20 * NS_PER_S)	/* a point (flows, direction) stops after this long */
#define LOG_SIZE 65536
#define DUR_HIST 4096			/* durations noted below this, to see the clock step */

#define CHANS 6				/* channels of an allocation */
#define CHAN_FIRST 0x4000
#define LISTEN_PORT 3478
#define CLIENT_PORT0 20000		/* the client port of allocation a: CLIENT_PORT0 + a */
#define PEER_PORT0 6000			/* the peer port of channel j: PEER_PORT0 + j */
#define RELAY_PORT_MIN 49152
#define RELAY_PORT_MAX 65535
#define RELAY_PORTS (RELAY_PORT_MAX - RELAY_PORT_MIN + 1)
#define DATA_LEN 100
#define ROUTE_CACHE_MS 1000		/* turnd's default xdp.route_cache_ms */
#define ORDER_STEP 7919			/* a prime: flow (i * step) % N visits all N... */
#define ORDER_STEP_ALT 7927		/* ...unless N is a multiple of it; then this one */

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

static const char *const dir_names[] = { "c2p", "p2c" };
static const char *const verdict_names[] = { "aborted", "drop", "pass", "tx", "redirect",
					     "other" };
#define VERDICT_NR 6

struct opts {
	unsigned int rounds, runs;
	unsigned int flows[MAX_POINTS];
	int npoints;
};

/* turnd's program and what the benchmark writes into its maps. */
struct turnd_prog {
	struct turn_xdp_bpf *skel;
	struct bindtab c2p, p2c;
	int perm_fd, stats_fd;
	struct turn_alloc_stats *zero;	/* one per possible CPU: a fresh stats slot */
	uint32_t nflows;		/* flows 0 to nflows - 1 are bound */
	char *log;			/* the verifier's statistics */
	char clock[96];			/* which clock the program reads */
};

/* One program's runs at one point. */
struct timing {
	const char *name;
	int fd[2];			/* by direction (the forwarder's settings differ) */
	uint32_t *ns;			/* test_run durations */
	uint32_t n;
	uint32_t verdicts[VERDICT_NR];
	uint64_t rt0, rc0;		/* run_time_ns and run_cnt before */
};

enum { P_TURND, P_FWD, P_TX, NPROGS };

struct bench {
	struct opts o;
	int ifindex[2];			/* where frames come in, by direction: xa0, xb0 */
	struct turnd_prog t;
	struct fwd_bpf *fwd[2];
	struct xdp_tx_bpf *tx;
	struct timing prog[NPROGS];
	uint8_t *frames[2];		/* by direction: a frame of flen bytes per flow */
	size_t flen[2];
	int cpu;			/* the one this process runs on; -1: not pinned */
	bool run_stats;			/* run_time_ns is counted */
	bool unforwarded;
	uint8_t seen[DUR_HIST];		/* durations seen */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: turnbench-prog [-f FLOWS[,FLOWS...]] [-r ROUNDS] [-k RUNS]   (root)\n"
		"Times turnd's XDP program, a trivial XDP forwarder and a bare XDP_TX per packet\n"
		"with BPF_PROG_TEST_RUN (repeat 1), in a network namespace of its own, with FLOWS\n"
		"channels bound (each 1-%d, up to %d numbers; default 1,1000,100000), in ROUNDS\n"
		"rounds (1-%d, default 20) of RUNS runs of each program (1-%d, default 500); a\n"
		"point stops after %llu s. Prints a table of ns per packet.\n",
		MAX_FLOWS, MAX_POINTS, MAX_ROUNDS, MAX_RUNS, POINT_CAP_NS / NS_PER_S);
}

/* A whole decimal number in [min, max] (no sign, no spaces, nothing after): 0 or -EINVAL. */
static int parse_count(const char *s, unsigned long min, unsigned long max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* "N,N,...": each 1 to MAX_FLOWS, at most MAX_POINTS of them. 0 or -EINVAL (reported). */
static int parse_flows(const char *arg, struct opts *o)
{
	char buf[256], *s, *save = NULL;

	/* strtok_r() would skip empty items: refuse them first. */
	if (strlen(arg) >= sizeof(buf) || !*arg || *arg == ',' || arg[strlen(arg) - 1] == ',' ||
	    strstr(arg, ",,"))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", arg);
	o->npoints = 0;
	for (s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (o->npoints == MAX_POINTS ||
		    parse_count(s, 1, MAX_FLOWS, &o->flows[o->npoints]))
			goto bad;
		o->npoints++;
	}
	if (o->npoints)
		return 0;
bad:
	fprintf(stderr, "turnbench-prog: -f wants up to %d numbers of flows, each 1 to %d, "
		"separated by commas: \"%s\"\n", MAX_POINTS, MAX_FLOWS, arg);
	return -EINVAL;
}

/* 0, 1 (-h), or -EINVAL (reported). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "f:r:k:h")) != -1) {
		switch (c) {
		case 'f':
			if (parse_flows(optarg, o))
				return -EINVAL;
			break;
		case 'r':
			if (parse_count(optarg, 1, MAX_ROUNDS, &o->rounds)) {
				fprintf(stderr, "turnbench-prog: -r wants a whole number of "
					"rounds, 1 to %d: \"%s\"\n", MAX_ROUNDS, optarg);
				return -EINVAL;
			}
			break;
		case 'k':
			if (parse_count(optarg, 1, MAX_RUNS, &o->runs)) {
				fprintf(stderr, "turnbench-prog: -k wants a whole number of runs, "
					"1 to %d: \"%s\"\n", MAX_RUNS, optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "turnbench-prog: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* A namespace of our own (it goes with the process) and the two links. 0 or -errno. */
static int net_setup(int ifindex[2])
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
	ifindex[DIR_C2P] = (int)if_nametoindex("xa0");
	ifindex[DIR_P2C] = (int)if_nametoindex("xb0");
	if (!ifindex[DIR_C2P] || !ifindex[DIR_P2C]) {
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

/* FNV-1a over n bytes, on from h. */
static uint32_t fnv1a(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

/* The rt_tag of a binding, made like the daemon's: of its key and its value up to slot. */
static uint32_t rt_tag(const void *key, size_t klen, const void *val, size_t vlen)
{
	return fnv1a(fnv1a(2166136261u, key, klen), val, vlen);
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
	b->cv.rt_tag = rt_tag(&b->ck, sizeof(b->ck), &b->cv, offsetof(struct turn_c2p_val, slot));

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
	b->pv.rt_tag = rt_tag(&b->pk, sizeof(b->pk), &b->pv, offsetof(struct turn_p2c_val, slot));
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

/* Make flows 0 to n - 1 the bound ones: add or remove from the end. 0 or -errno. */
static int set_flows(struct turnd_prog *t, uint32_t n)
{
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

/* Open, set, load turnd's program (verifier statistics kept), map its tables. 0 or -errno. */
static int turnd_load(struct turnd_prog *t)
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
			dir_names[dir], strerror(errno));
		fwd_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static void timing_init(struct timing *t, const char *name, const struct bpf_program *c2p,
			const struct bpf_program *p2c)
{
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->fd[DIR_C2P] = bpf_program__fd(c2p);
	t->fd[DIR_P2C] = bpf_program__fd(p2c);
}

/* All three programs, and room for their samples. 0 or -errno. */
static int progs_load(struct bench *b)
{
	size_t max = (size_t)b->o.rounds * b->o.runs;
	int err = turnd_load(&b->t);

	if (err)
		return err;
	b->fwd[DIR_C2P] = fwd_load(DIR_C2P, b->ifindex[DIR_P2C]);
	if (!b->fwd[DIR_C2P])
		return -EIO;
	b->fwd[DIR_P2C] = fwd_load(DIR_P2C, b->ifindex[DIR_C2P]);
	if (!b->fwd[DIR_P2C])
		return -EIO;
	b->tx = xdp_tx_bpf__open_and_load();
	if (!b->tx) {
		err = -errno;
		fprintf(stderr, "turnbench-prog: loading xdp_tx failed: %s\n", strerror(errno));
		return err;
	}
	timing_init(&b->prog[P_TURND], "turnd-xdp", b->t.skel->progs.turn_xdp,
		    b->t.skel->progs.turn_xdp);
	timing_init(&b->prog[P_FWD], "xdp-fwd", b->fwd[DIR_C2P]->progs.fwd,
		    b->fwd[DIR_P2C]->progs.fwd);
	timing_init(&b->prog[P_TX], "xdp-tx", b->tx->progs.xdp_tx, b->tx->progs.xdp_tx);
	for (int p = 0; p < NPROGS; p++) {
		b->prog[p].ns = calloc(max, sizeof(uint32_t));
		if (!b->prog[p].ns)
			return -ENOMEM;
	}
	return 0;
}

static void progs_close(struct bench *b)
{
	for (int p = 0; p < NPROGS; p++)
		free(b->prog[p].ns);
	xdp_tx_bpf__destroy(b->tx);
	fwd_bpf__destroy(b->fwd[DIR_C2P]);
	fwd_bpf__destroy(b->fwd[DIR_P2C]);
	turnd_close(&b->t);
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

/* The frames of flows 0 to n - 1, either way: all of one direction have one length. */
static int frames_build(struct bench *b, uint32_t n)
{
	static uint8_t data[DATA_LEN];
	uint8_t one[FRAME_MAX];
	struct frame fr;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	data[0] = 0x80;		/* RTP version 2, as media is */
	for (int dir = 0; dir < 2; dir++) {
		frame_of(0, dir, data, &fr);
		b->flen[dir] = frame_build(&fr, one, sizeof(one));
		if (!b->flen[dir])
			return -EINVAL;
		b->frames[dir] = malloc(b->flen[dir] * n);
		if (!b->frames[dir])
			return -ENOMEM;
		for (uint32_t i = 0; i < n; i++) {
			frame_of(i, dir, data, &fr);
			if (frame_build(&fr, b->frames[dir] + i * b->flen[dir], b->flen[dir]) !=
			    b->flen[dir])
				return -EINVAL;
		}
	}
	return 0;
}

/* One run of program fd on a copy of the frame: 0 with its duration and verdict, or -errno. */
static int run_one(int fd, int ifindex, const uint8_t *frame, size_t len, uint32_t *ns,
		   uint32_t *verdict)
{
	struct xdp_md ctx = { .data_end = (uint32_t)len, .ingress_ifindex = (uint32_t)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (uint32_t)len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	*ns = o.duration;
	*verdict = o.retval;
	return 0;
}

/* Every flow once through turnd's program, either way: its route caches filled. */
static int warm(struct bench *b, uint32_t n)
{
	uint32_t ns, verdict;
	int err;

	for (int dir = 0; dir < 2; dir++) {
		for (uint32_t i = 0; i < n; i++) {
			err = run_one(b->prog[P_TURND].fd[dir], b->ifindex[dir],
				      b->frames[dir] + i * b->flen[dir], b->flen[dir], &ns,
				      &verdict);
			if (err) {
				fprintf(stderr, "turnbench-prog: BPF_PROG_TEST_RUN of turnd-xdp "
					"failed: %s\n", strerror(-err));
				return err;
			}
		}
	}
	return 0;
}

/* The kernel's run_time_ns and run_cnt of program fd (0 when it cannot say). */
static void run_stats(int fd, uint64_t *t, uint64_t *c)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	*t = *c = 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		*t = info.run_time_ns;
		*c = info.run_cnt;
	}
}

/*
 * The step of the clock test_run reads, as the durations show it: values within 2 ns of each
 * other are one (the conversion to ns rounds either way), and the commonest gap between the
 * first values of neighbouring clusters is the step. 1 when the values run together.
 */
static uint32_t clock_step(const uint8_t *seen)
{
	uint32_t gaps[64] = { 0 }, start = 0, prev = 0, best = 1;

	for (uint32_t v = 1; v < DUR_HIST; v++) {
		if (!seen[v])
			continue;
		if (prev && v - prev > 2) {
			if (v - start < sizeof(gaps) / sizeof(gaps[0]))
				gaps[v - start]++;
			start = v;
		} else if (!prev) {
			start = v;
		}
		prev = v;
	}
	for (uint32_t g = 3; g < sizeof(gaps) / sizeof(gaps[0]); g++)
		if (gaps[g] > gaps[best])
			best = g;
	return best;
}

/* One round at n flows: each program in turn, runs frames from flow index first on. */
static int round_run(struct bench *b, uint32_t n, int dir, uint64_t first)
{
	uint32_t step = n % ORDER_STEP ? ORDER_STEP : ORDER_STEP_ALT, ns, verdict;
	int err;

	for (int p = 0; p < NPROGS; p++) {
		struct timing *t = &b->prog[p];

		for (uint32_t k = 0; k < b->o.runs; k++) {
			uint64_t f = (first + k) * step % n;

			err = run_one(t->fd[dir], b->ifindex[dir],
				      b->frames[dir] + f * b->flen[dir], b->flen[dir], &ns,
				      &verdict);
			if (err) {
				fprintf(stderr, "turnbench-prog: BPF_PROG_TEST_RUN of %s (%s) "
					"failed: %s\n", t->name, dir_names[dir], strerror(-err));
				return err;
			}
			t->ns[t->n++] = ns;
			t->verdicts[verdict < VERDICT_NR - 1 ? verdict : VERDICT_NR - 1]++;
			if (ns < DUR_HIST)
				b->seen[ns] = 1;
		}
	}
	return 0;
}

/* Time one point (n flows, one direction): the rounds done, or -errno. */
static int measure(struct bench *b, uint32_t n, int dir)
{
	uint64_t start = now_ns();
	uint32_t r;
	int err;

	for (int p = 0; p < NPROGS; p++) {
		struct timing *t = &b->prog[p];

		t->n = 0;
		memset(t->verdicts, 0, sizeof(t->verdicts));
		run_stats(t->fd[dir], &t->rt0, &t->rc0);
	}
	for (r = 0; r < b->o.rounds; r++) {
		if (now_ns() - start > POINT_CAP_NS)
			break;
		err = round_run(b, n, dir, (uint64_t)r * b->o.runs);
		if (err)
			return err;
	}
	return (int)r;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The verdicts seen: "redirect", or the counts of each when they differ. */
static void verdict_text(const struct timing *t, char *buf, size_t len)
{
	size_t off = 0;
	int kinds = 0;

	buf[0] = 0;
	for (int v = 0; v < VERDICT_NR; v++)
		kinds += t->verdicts[v] != 0;
	for (int v = 0; v < VERDICT_NR && off < len; v++) {
		if (!t->verdicts[v])
			continue;
		if (kinds == 1)
			off += (size_t)snprintf(buf + off, len - off, "%s", verdict_names[v]);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%s %u", off ? ", " : "",
						verdict_names[v], t->verdicts[v]);
	}
}

static void print_row(struct bench *b, struct timing *t, uint32_t n, int dir)
{
	uint32_t *a = t->ns, fwd = t->verdicts[XDP_TX] + t->verdicts[XDP_REDIRECT];
	uint64_t rt, rc;
	char verdicts[128], run_time[32] = "-";

	if (!t->n)
		return;
	qsort(a, t->n, sizeof(*a), cmp_u32);
	run_stats(t->fd[dir], &rt, &rc);
	if (b->run_stats && rc > t->rc0)
		snprintf(run_time, sizeof(run_time), "%.1f",
			 (double)(rt - t->rt0) / (double)(rc - t->rc0));
	verdict_text(t, verdicts, sizeof(verdicts));
	printf("%-10s  %-3s  %6u  %9u  %4u  %4u  %11s  %s%s\n", t->name, dir_names[dir], n,
	       a[t->n / 2], a[t->n / 4], a[t->n * 3 / 4], run_time, verdicts,
	       fwd < t->n ? "  NOT FORWARDED" : "");
	if (fwd < t->n)
		b->unforwarded = true;
}

/* One number of flows: bind them, warm, and time either direction. 0 or -errno. */
static int point(struct bench *b, uint32_t n)
{
	int err = set_flows(&b->t, n);

	if (!err)
		err = warm(b, n);
	for (int dir = 0; !err && dir < 2; dir++) {
		int rounds = measure(b, n, dir);

		if (rounds < 0)
			return rounds;
		for (int p = 0; p < NPROGS; p++)
			print_row(b, &b->prog[p], n, dir);
		if ((unsigned int)rounds < b->o.rounds)
			printf("# %u flows %s: stopped after %d of %u rounds (%llu s cap)\n", n,
			       dir_names[dir], rounds, b->o.rounds, POINT_CAP_NS / NS_PER_S);
		fflush(stdout);
	}
	return err;
}

static void print_header(const struct bench *b)
{
	printf("# turnbench-prog: BPF_PROG_TEST_RUN, repeat 1, programs interleaved, %u rounds x "
	       "%u runs; kernel run_time means\n", b->o.rounds, b->o.runs);
	printf("# flows in scattered order, flow (i * %d) %% N (%d when N is a multiple of %d); "
	       "each sent once through turnd-xdp first (route caches warm); %d-byte payloads\n",
	       ORDER_STEP, ORDER_STEP_ALT, ORDER_STEP, DATA_LEN);
	if (b->cpu >= 0)
		printf("# pinned to CPU %d; turnd-xdp's clock: %s\n", b->cpu, b->t.clock);
	else
		printf("# not pinned to a CPU; turnd-xdp's clock: %s\n", b->t.clock);
	printf("%-10s  %-3s  %6s  %9s  %4s  %4s  %11s  %s\n", "program", "dir", "flows",
	       "median_ns", "p25", "p75", "run_time_ns", "verdict");
}

static void print_footer(const struct bench *b)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	const char *p = strstr(b->t.log, "processed ");
	unsigned long insns = 0;

	printf("# median_ns, p25, p75: of test_run's duration per run, whose clock moves in steps "
	       "of about %u ns here; run_time_ns: %s\n", clock_step(b->seen), b->run_stats ?
	       "the kernel's run_time_ns / run_cnt (bpf_enable_stats)" : "not available");
	memset(&info, 0, sizeof(info));
	if (!p || sscanf(p, "processed %lu insns", &insns) != 1 ||
	    bpf_obj_get_info_by_fd(b->prog[P_TURND].fd[0], &info, &len)) {
		printf("# turnd-xdp: no verifier statistics\n");
		return;
	}
	printf("# turnd-xdp: verifier processed %lu insns, %u xlated, %u bytes jited\n", insns,
	       info.xlated_prog_len / 8, info.jited_prog_len);
}

/* Stay on the CPU we are on: migrations between runs only add noise. -1 when that fails. */
static int pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "turnbench-prog: pinning to CPU %d failed: %s (timing unpinned)\n",
			cpu, strerror(errno));
		return -1;
	}
	return cpu;
}

/* Every point of the run. 0 or -errno. */
static int bench_run(struct bench *b)
{
	uint32_t maxn = 0;
	int stats_fd, err = 0;

	for (int i = 0; i < b->o.npoints; i++)
		maxn = b->o.flows[i] > maxn ? b->o.flows[i] : maxn;
	err = frames_build(b, maxn);
	if (err) {
		fprintf(stderr, "turnbench-prog: building the frames failed: %s\n", strerror(-err));
		return err;
	}
	b->cpu = pin_cpu();
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	b->run_stats = stats_fd >= 0;
	if (!b->run_stats)
		fprintf(stderr, "turnbench-prog: bpf_enable_stats failed: %s (no run_time_ns)\n",
			strerror(errno));
	print_header(b);
	for (int i = 0; !err && i < b->o.npoints; i++)
		err = point(b, b->o.flows[i]);
	if (!err)
		print_footer(b);
	if (stats_fd >= 0)
		close(stats_fd);
	return err;
}

int main(int argc, char **argv)
{
	static struct bench b = { .o = { .rounds = 20, .runs = 500, .npoints = 3,
					 .flows = { 1, 1000, 100000 } } };
	int rc = parse_opts(argc, argv, &b.o), err;

	if (rc) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	err = net_setup(b.ifindex);
	if (!err)
		err = progs_load(&b);
	if (err == -ENOMEM)
		fprintf(stderr, "turnbench-prog: out of memory\n");
	if (!err)
		err = bench_run(&b);
	progs_close(&b);
	free(b.frames[DIR_C2P]);
	free(b.frames[DIR_P2C]);
	if (!err && b.unforwarded)
		fprintf(stderr, "turnbench-prog: a program passed or dropped instead of "
			"forwarding (rows marked NOT FORWARDED): their figures are not of the "
			"forwarding path\n");
	return err || b.unforwarded ? 1 : 0;
}
