/* test_xdp_race.c - the XDP program never forwards a binding torn by the daemon's rewrite. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
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

#include "bindtab.h"
#include "netns_rig.h"
#include "tap.h"
#include "turn_shared.h"
#include "turn_xdp.skel.h"
#include "xdp_skel.h"
#include "xdp_pkt.h"

/*
 * A writer thread plays the daemon: it rewrites one binding through bindtab_put(), version A,
 * then B, then A..., where A and B differ in every field the program forwards with (source
 * and destination address and port, the channel, the next hop's MAC) and in slot, rt_tag,
 * alloc_id and expires_ns. Meanwhile the main thread runs the binding's datagram through the
 * program. Every forwarded frame must be byte for byte A's or B's, and each version's stats
 * slot must count exactly the frames forwarded as that version: a mix of the two is a torn
 * forward. XDP_PASS is allowed (the program saw the write in progress) but must leave the
 * frame as it came. The two threads run on two CPUs when there are two; the reader stops at
 * RACE_RUNS, RACE_NS or when the writer has made its WRITES_MAX writes.
 *
 * The entry also holds the route the program caches (struct turn_route), which the program
 * writes outside the seqlock and the daemon zeroes on each of these rewrites (rt_tag
 * changes). A torn frame right but for its MACs is such a cache, mixed: counted apart.
 *
 * The namespace is the process's own: xa0 faces the clients, xb0 the peers. Addresses are
 * from 198.18.0.0/15 and 2001:2::/48 (RFC 5180), neighbours permanent.
 */
#define MAP_SIZE 16
#define ROUTE_TTL 1000			/* units of 2^20 ns: about a second */
#define RACE_RUNS 300000		/* per case, at most */
#define RACE_NS 5000000000ull		/* per case, at most */
#define WRITES_MAX 2000000		/* per case, at most */
#define WRITES_MIN 1000			/* while the reader ran, at least */
#define DATA_LEN 100
#define OUT_MAX (FRAME_MAX + 64)

enum { IF_A, IF_B, NIF };

static const char *const if_name[NIF] = { "xa0", "xb0" };
static const uint8_t if_mac[NIF][6] = { { 2, 0, 0, 0, 0x0a, 0x01 }, { 2, 0, 0, 0, 0x0b, 0x01 } };
static const uint8_t mac_c1[6] = { 2, 0, 0, 0, 0x0a, 0x02 };
static const uint8_t mac_c2[6] = { 2, 0, 0, 0, 0x0a, 0x03 };
static const uint8_t mac_p1[6] = { 2, 0, 0, 0, 0x0b, 0x10 };
static const uint8_t mac_p2[6] = { 2, 0, 0, 0, 0x0b, 0x20 };

static const char *const net_cmds[] = {
	"ip link set lo up",
	"ip link add xa0 address 02:00:00:00:0a:01 type veth peer name xa1",
	"ip link add xb0 address 02:00:00:00:0b:01 type veth peer name xb1",
	"for d in xa0 xa1 xb0 xb1; do ip link set $d up || exit 1; done",
	"ip addr add 198.18.0.1/24 dev xa0 && ip addr add 198.18.0.5/24 dev xa0 && "
	"ip addr add 198.18.1.1/24 dev xb0 && ip addr add 198.18.1.2/24 dev xb0",
	"for a in 2001:2:0:a::1 2001:2:0:a::5; do ip addr add $a/64 dev xa0 nodad || exit 1; done",
	"for a in 2001:2:0:b::1 2001:2:0:b::2; do ip addr add $a/64 dev xb0 nodad || exit 1; done",
	"for c in 198.18.0.2 2001:2:0:a::2; do "
	"ip neigh add $c lladdr 02:00:00:00:0a:02 nud permanent dev xa0 || exit 1; done",
	"for c in 198.18.0.3 2001:2:0:a::3; do "
	"ip neigh add $c lladdr 02:00:00:00:0a:03 nud permanent dev xa0 || exit 1; done",
	"for p in 198.18.1.10 2001:2:0:b::10; do "
	"ip neigh add $p lladdr 02:00:00:00:0b:10 nud permanent dev xb0 || exit 1; done",
	"for p in 198.18.1.20 2001:2:0:b::20; do "
	"ip neigh add $p lladdr 02:00:00:00:0b:20 nud permanent dev xb0 || exit 1; done",
	/* bpf_fib_lookup() refuses to route for a device without forwarding. */
	"echo 1 > /proc/sys/net/ipv4/conf/all/forwarding && "
	"echo 1 > /proc/sys/net/ipv6/conf/all/forwarding",
};

/*
 * One version of a binding: what the program forwards its datagram as. c2p: relay -> peer;
 * p2c: listener -> client on channel chan.
 */
struct version {
	const char *src, *dst;
	uint16_t sport, dport;
	uint16_t chan;			/* p2c */
	const uint8_t *dmac;		/* dst's (the next hop's) MAC */
	uint32_t slot, tag;
	uint64_t alloc_id, expires_ns;
};

/* A binding and its datagram, as it comes in: c2p client -> listener, p2c peer -> relay. */
struct race_case {
	const char *name;
	bool p2c;
	int fam;
	const char *src, *dst;
	uint16_t sport, dport;
	uint16_t chan;			/* c2p */
	struct version v[2];		/* A and B */
};

/* A and B: every forwarded field differs, and slot, rt_tag, alloc_id and expires_ns. */
static const struct race_case cases[] = {
	{ "v4 c2p", false, 4, "198.18.0.2", "198.18.0.1", 40000, 3478, 0x4000,
	  { { "198.18.1.1", "198.18.1.10", 50000, 5000, 0, mac_p1, 1, 0x1111aaaa, 11,
	      UINT64_MAX },
	    { "198.18.1.2", "198.18.1.20", 50002, 6000, 0, mac_p2, 2, 0x2222bbbb, 12,
	      UINT64_MAX / 2 } } },
	{ "v6 c2p", false, 6, "2001:2:0:a::2", "2001:2:0:a::1", 40000, 3478, 0x4000,
	  { { "2001:2:0:b::1", "2001:2:0:b::10", 50000, 5000, 0, mac_p1, 3, 0x3333cccc, 13,
	      UINT64_MAX },
	    { "2001:2:0:b::2", "2001:2:0:b::20", 50002, 6000, 0, mac_p2, 4, 0x4444dddd, 14,
	      UINT64_MAX / 2 } } },
	{ "v4 p2c", true, 4, "198.18.1.10", "198.18.1.1", 5000, 50000, 0,
	  { { "198.18.0.1", "198.18.0.2", 3478, 40000, 0x4000, mac_c1, 5, 0x5555eeee, 15,
	      UINT64_MAX },
	    { "198.18.0.5", "198.18.0.3", 3479, 40001, 0x4001, mac_c2, 6, 0x6666ffff, 16,
	      UINT64_MAX / 2 } } },
	{ "v6 p2c", true, 6, "2001:2:0:b::10", "2001:2:0:b::1", 5000, 50000, 0,
	  { { "2001:2:0:a::1", "2001:2:0:a::2", 3478, 40000, 0x4000, mac_c1, 7, 0x77770000, 17,
	      UINT64_MAX },
	    { "2001:2:0:a::5", "2001:2:0:a::3", 3479, 40001, 0x4001, mac_c2, 8, 0x88881111, 18,
	      UINT64_MAX / 2 } } },
};

union bkey {
	struct turn_c2p_key c2p;
	struct turn_p2c_key p2c;
};

union bval {
	struct turn_c2p_val c2p;
	struct turn_p2c_val p2c;
};

/* What one run of the program came to. */
enum { R_A, R_B, R_PASS, R_TORN, R_NR };

/* One case, ready to run: its entries, the frame in and the two frames that may come out. */
struct race {
	const struct race_case *c;
	struct bindtab *t;
	int prog, ingress;
	union bkey key;
	union bval val[2];
	uint8_t in[FRAME_MAX];
	size_t ilen;
	uint8_t want[2][FRAME_MAX];
	size_t wlen[2];
	uint64_t n[R_NR];
	uint64_t torn_l2;		/* torn frames right but for the Ethernet addresses */
	uint8_t torn[OUT_MAX];		/* the first torn frame, for the report */
	uint32_t torn_len, torn_verdict;
};

/* The writer thread's brief and its results. */
struct writer {
	struct bindtab *t;
	const void *key;
	const void *val[2];
	int go, stop;			/* set by the reader (atomics) */
	int done;			/* set by the writer when it stops (atomic) */
	unsigned long writes;		/* so far (atomic) */
	int err;			/* bindtab_put()'s first error */
};

static int ifx[NIF];
static int ncpus;
static uint8_t data[DATA_LEN];

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void addr16(int fam, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(fam == 6 ? AF_INET6 : AF_INET, s, out) != 1)
		diag("bad address %s", s);
}

/* c's key, and its value as version v, as the daemon writes them (route cache zero). */
static void case_kv(const struct race_case *c, int v, union bkey *k, union bval *val)
{
	const struct version *x = &c->v[v];
	uint8_t fam = (uint8_t)c->fam;

	/* The structs have no implicit padding (turn_shared.h): these zero every byte. */
	memset(k, 0, sizeof(*k));
	memset(val, 0, sizeof(*val));
	if (c->p2c) {
		k->p2c = (struct turn_p2c_key){ .relay_port = htons(c->dport),
						.peer_port = htons(c->sport), .family = fam };
		addr16(c->fam, c->dst, k->p2c.relay);
		addr16(c->fam, c->src, k->p2c.peer);
		val->p2c = (struct turn_p2c_val){
			.listener_port = htons(x->sport), .client_port = htons(x->dport),
			.channel = htons(x->chan), .family = fam, .slot = x->slot,
			.rt_tag = x->tag, .alloc_id = x->alloc_id, .expires_ns = x->expires_ns };
		addr16(c->fam, x->src, val->p2c.listener);
		addr16(c->fam, x->dst, val->p2c.client);
		return;
	}
	k->c2p = (struct turn_c2p_key){ .client_port = htons(c->sport),
					.listener_port = htons(c->dport),
					.channel = htons(c->chan), .family = fam };
	addr16(c->fam, c->src, k->c2p.client);
	addr16(c->fam, c->dst, k->c2p.listener);
	val->c2p = (struct turn_c2p_val){ .relay_port = htons(x->sport),
					  .peer_port = htons(x->dport), .family = fam,
					  .slot = x->slot, .rt_tag = x->tag,
					  .alloc_id = x->alloc_id, .expires_ns = x->expires_ns };
	addr16(c->fam, x->src, val->c2p.relay);
	addr16(c->fam, x->dst, val->c2p.peer);
}

/*
 * c's datagram as it comes in, or (out) as version v forwards it: what the daemon's socket
 * would send, TOS, ID and DF kept (see bpf/turn_xdp.bpf.c), built from scratch.
 */
static struct frame case_frame(const struct race_case *c, bool out, int v)
{
	const struct version *x = &c->v[v];
	struct frame f = { .family = c->fam, .ttl = out ? 64 : 61, .tos = 0xb8, .id = 0x1234,
			   .frag = FR_DF, .data = data, .data_len = sizeof(data) };

	if (!out) {
		f.src = c->src;
		f.dst = c->dst;
		f.sport = c->sport;
		f.dport = c->dport;
		f.smac = c->p2c ? mac_p1 : mac_c1;
		f.dmac = if_mac[c->p2c ? IF_B : IF_A];
		f.chan = c->p2c ? 0 : c->chan;
	} else {
		f.src = x->src;
		f.dst = x->dst;
		f.sport = x->sport;
		f.dport = x->dport;
		f.smac = if_mac[c->p2c ? IF_A : IF_B];
		f.dmac = x->dmac;
		f.chan = c->p2c ? x->chan : 0;
	}
	f.cd_len = -1;
	return f;
}

/* Fill r for case c: entries and frames. 0, or -EINVAL when a frame cannot be built. */
static int race_init(struct race *r, const struct race_case *c, struct bindtab *t, int prog)
{
	struct frame f = case_frame(c, false, 0);

	memset(r, 0, sizeof(*r));
	r->c = c;
	r->t = t;
	r->prog = prog;
	r->ingress = ifx[c->p2c ? IF_B : IF_A];
	case_kv(c, 0, &r->key, &r->val[0]);
	case_kv(c, 1, &r->key, &r->val[1]);
	r->ilen = frame_build(&f, r->in, sizeof(r->in));
	for (int v = 0; v < 2; v++) {
		f = case_frame(c, true, v);
		r->wlen[v] = frame_build(&f, r->want[v], sizeof(r->want[v]));
	}
	return r->ilen && r->wlen[0] && r->wlen[1] ? 0 : -EINVAL;
}

/* r's datagram through the program once: 0 with the verdict and the frame out, or -errno. */
static int run_once(const struct race *r, uint8_t *out, uint32_t *olen, uint32_t *verdict)
{
	struct xdp_md ctx = { .data_end = (uint32_t)r->ilen,
			      .ingress_ifindex = (uint32_t)r->ingress };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = r->in, .data_size_in = (uint32_t)r->ilen,
		    .data_out = out, .data_size_out = OUT_MAX, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(r->prog, &o))
		return -errno;
	*olen = o.data_size_out;
	*verdict = o.retval;
	return 0;
}

/* R_A or R_B for a frame forwarded exactly as a version, R_PASS for one passed as it came. */
static int classify(const struct race *r, const uint8_t *out, uint32_t olen, uint32_t verdict)
{
	if (verdict == XDP_PASS)
		return olen == r->ilen && !memcmp(out, r->in, olen) ? R_PASS : R_TORN;
	if (verdict != XDP_TX && verdict != XDP_REDIRECT)
		return R_TORN;
	for (int v = 0; v < 2; v++)
		if (olen == r->wlen[v] && !memcmp(out, r->want[v], olen))
			return v == 0 ? R_A : R_B;
	return R_TORN;
}

/*
 * Whether a torn frame is a version's from the Ethernet type on: its IP and UDP right, its
 * MACs (the route the program cached in the binding) wrong.
 */
static bool torn_in_l2(const struct race *r, const uint8_t *out, uint32_t olen)
{
	for (int v = 0; v < 2; v++)
		if (olen == r->wlen[v] && !memcmp(out + 12, r->want[v] + 12, olen - 12))
			return true;
	return false;
}

/* Write version v alone, run once: it is forwarded (redirected), exactly, its sums right. */
static bool solo(struct race *r, int v)
{
	uint8_t out[OUT_MAX];
	uint32_t olen = 0, verdict = 0;
	int err = bindtab_put(r->t, &r->key, &r->val[v]);

	if (!err)
		err = run_once(r, out, &olen, &verdict);
	if (err) {
		diag("%s: %s", r->c->name, strerror(-err));
		return false;
	}
	if (verdict == XDP_REDIRECT && classify(r, out, olen, verdict) == (v ? R_B : R_A) &&
	    !frame_check_sums(out, olen))
		return true;
	diag("%s %c: verdict %u, length %u (want %zu)", r->c->name, 'A' + v, verdict, olen,
	     r->wlen[v]);
	return false;
}

/*
 * Write A, B, A... back to back until stopped or WRITES_MAX. Measured with the seq re-check
 * taken out of the program, back-to-back writes tear its reads most often: more than random
 * gaps of up to 8, 64, 512 or 4096 idle loops between writes.
 */
static void *writer_main(void *arg)
{
	struct writer *w = arg;

	while (!__atomic_load_n(&w->go, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
		sched_yield();
	for (unsigned long i = 0; i < WRITES_MAX; i++) {
		int err;

		if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
			break;
		err = bindtab_put(w->t, w->key, w->val[i & 1]);
		if (err) {
			w->err = err;
			break;
		}
		__atomic_store_n(&w->writes, i + 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Run the datagram until RACE_RUNS, RACE_NS or the writer is done, counting each outcome
 * into r->n.
 */
static int reader(struct race *r, const int *done)
{
	uint64_t t0 = mono_ns();
	uint8_t out[OUT_MAX];

	for (int i = 0; i < RACE_RUNS && mono_ns() - t0 < RACE_NS &&
	     !__atomic_load_n(done, __ATOMIC_ACQUIRE); i++) {
		uint32_t olen = 0, verdict = 0;
		int err = run_once(r, out, &olen, &verdict), k;

		if (err)
			return err;
		k = classify(r, out, olen, verdict);
		r->torn_l2 += k == R_TORN && verdict != XDP_PASS && torn_in_l2(r, out, olen);
		if (k == R_TORN && !r->n[R_TORN]) {
			memcpy(r->torn, out, olen < OUT_MAX ? olen : OUT_MAX);
			r->torn_len = olen;
			r->torn_verdict = verdict;
		}
		r->n[k]++;
	}
	return 0;
}

/*
 * With two CPUs or more allowed: the writer's thread attributes to the second, this thread
 * to the first (its set before into *old). 1 when pinned, 0 with one CPU, or -errno.
 */
static int pin(pthread_attr_t *attr, cpu_set_t *old, int cpu[2])
{
	cpu_set_t set;
	int n = 0, err;

	cpu[0] = cpu[1] = -1;
	if (sched_getaffinity(0, sizeof(*old), old))
		return -errno;
	for (int i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, old))
			cpu[n++] = i;
	if (n < 2)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu[1], &set);
	err = pthread_attr_setaffinity_np(attr, sizeof(set), &set);
	if (err)
		return -err;
	CPU_ZERO(&set);
	CPU_SET(cpu[0], &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 1;
}

/*
 * The writer on one CPU, r's reader (this thread) on another when there are two; both
 * bounded. The writes made while the reader ran into *writes. 0 or -errno.
 */
static int race_run(struct race *r, unsigned long *writes)
{
	struct writer w = { .t = r->t, .key = &r->key, .val = { &r->val[0], &r->val[1] } };
	pthread_attr_t attr;
	cpu_set_t old;
	pthread_t th;
	unsigned long w0;
	int cpu[2], pinned, err = -pthread_attr_init(&attr);

	if (err)
		return err;
	pinned = pin(&attr, &old, cpu);
	err = pinned < 0 ? pinned : -pthread_create(&th, &attr, writer_main, &w);
	pthread_attr_destroy(&attr);
	if (err)
		goto out;
	if (pinned)
		diag("%s: reader on CPU %d, writer on CPU %d", r->c->name, cpu[0], cpu[1]);
	else
		diag("%s: one CPU: reader and writer take turns on it", r->c->name);
	__atomic_store_n(&w.go, 1, __ATOMIC_RELEASE);
	w0 = __atomic_load_n(&w.writes, __ATOMIC_ACQUIRE);
	err = reader(r, &w.done);
	*writes = __atomic_load_n(&w.writes, __ATOMIC_ACQUIRE) - w0;
	__atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	if (!err)
		err = w.err;
out:
	if (pinned > 0)
		sched_setaffinity(0, sizeof(old), &old);
	return err;
}

/* The first u64 at byte off of PERCPU_ARRAY element key, summed over the CPUs: 0 or -errno. */
static int percpu_sum(struct bpf_map *map, uint32_t key, size_t off, uint64_t *sum)
{
	size_t vsz = (bpf_map__value_size(map) + 7) & ~(size_t)7;
	uint8_t *v = calloc((size_t)ncpus, vsz);
	int err = 0;

	*sum = 0;
	if (!v || bpf_map_lookup_elem(bpf_map__fd(map), &key, v))
		err = v ? -errno : -ENOMEM;
	for (int c = 0; c < ncpus && !err; c++) {
		uint64_t x;

		memcpy(&x, v + (size_t)c * vsz + off, sizeof(x));
		*sum += x;
	}
	free(v);
	return err;
}

/* The counters the case moves: its slots' packets, its forward and its pass counter. */
static int case_counts(const struct turn_xdp_bpf *skel, const struct race *r, uint64_t n[4])
{
	const struct race_case *c = r->c;
	size_t off = c->p2c ? offsetof(struct turn_alloc_stats, pkts_p2c)
			    : offsetof(struct turn_alloc_stats, pkts_c2p);
	uint32_t fwd = c->p2c ? TURN_XDP_FWD_P2C : TURN_XDP_FWD_C2P;
	uint32_t pass = c->p2c ? TURN_XDP_PASS_OTHER : TURN_XDP_PASS_UNKNOWN;
	int err = percpu_sum(skel->maps.turn_stats, c->v[0].slot, off, &n[0]);

	if (!err)
		err = percpu_sum(skel->maps.turn_stats, c->v[1].slot, off, &n[1]);
	if (!err)
		err = percpu_sum(skel->maps.turn_drops, fwd, 0, &n[2]);
	if (!err)
		err = percpu_sum(skel->maps.turn_drops, pass, 0, &n[3]);
	return err;
}

/* Say how the first torn frame differs from A's and B's (up to 8 bytes each). */
static void torn_report(const struct race *r)
{
	for (int v = 0; v < 2; v++) {
		char line[160];
		size_t len = 0, n = r->torn_len < r->wlen[v] ? r->torn_len : r->wlen[v];
		int shown = 0;

		for (size_t i = 0; i < n && shown < 8; i++) {
			if (r->torn[i] == r->want[v][i])
				continue;
			len += (size_t)snprintf(line + len, sizeof(line) - len, " @%zu:%02x/%02x",
						i, r->torn[i], r->want[v][i]);
			shown++;
		}
		diag("first torn: verdict %u, length %u (%c's %zu); bytes unlike %c's:%s",
		     r->torn_verdict, r->torn_len, 'A' + v, r->wlen[v], 'A' + v,
		     shown ? line : " none in the common length");
	}
}

static void race_summary(const struct race *r, uint64_t ns, unsigned long writes)
{
	const uint64_t *n = r->n;

	diag("%s: %llu runs in %.2f s: A %llu, B %llu, PASS %llu, torn %llu (%llu in the MACs "
	     "only); %lu writes", r->c->name,
	     (unsigned long long)(n[R_A] + n[R_B] + n[R_PASS] + n[R_TORN]), (double)ns / 1e9,
	     (unsigned long long)n[R_A], (unsigned long long)n[R_B],
	     (unsigned long long)n[R_PASS], (unsigned long long)n[R_TORN],
	     (unsigned long long)r->torn_l2, writes);
}

/* One case: A and B alone, then the race and its counts. Six test points. */
static void race_case(const struct turn_xdp_bpf *skel, const struct race_case *c,
		      struct bindtab *t)
{
	struct race *r = calloc(1, sizeof(*r));
	uint64_t before[4] = { 0 }, after[4] = { 0 }, t0;
	unsigned long writes = 0;
	int err;

	err = r ? race_init(r, c, t, bpf_program__fd(skel->progs.turn_xdp)) : -ENOMEM;
	ok(!err && solo(r, 0), "%s: A alone is forwarded exactly as A", c->name);
	ok(!err && solo(r, 1), "%s: B alone is forwarded exactly as B", c->name);
	if (!err)
		err = case_counts(skel, r, before);
	t0 = mono_ns();
	if (!err)
		err = race_run(r, &writes);
	if (!err)
		err = case_counts(skel, r, after);
	if (err)
		diag("%s: %s", c->name, strerror(-err));
	if (r)
		race_summary(r, mono_ns() - t0, writes);
	if (!is_int(err ? -1 : (long long)r->n[R_TORN], 0,
		    "%s: no torn forward while the binding is rewritten", c->name) && !err)
		torn_report(r);
	ok(!err && r->n[R_A] && r->n[R_B], "%s: both A and B were forwarded during the race",
	   c->name);
	ok(!err && writes > WRITES_MIN, "%s: more than %d writes while the reader ran (%lu)",
	   c->name, WRITES_MIN, writes);
	ok(!err && before[0] == 1 && before[1] == 1 && after[0] - before[0] == r->n[R_A] &&
	   after[1] - before[1] == r->n[R_B] && after[2] - before[2] == r->n[R_A] + r->n[R_B] &&
	   after[3] - before[3] == r->n[R_PASS],
	   "%s: slot A counted the A frames, slot B the B frames, passes counted as such",
	   c->name);
	free(r);
}

static struct turn_xdp_bpf *load(void)
{
	struct turn_xdp_bpf *skel = turn_xdp_bpf__open();

	if (!skel)
		return NULL;
	skel_small_maps(skel, MAP_SIZE);
	skel->rodata->route_ttl = ROUTE_TTL;
	if (turn_xdp_bpf__load(skel)) {
		turn_xdp_bpf__destroy(skel);
		return NULL;
	}
	skel->bss->route_gen = 1;
	return skel;
}

/* The namespace of netns_rig.h with net_cmds' network, and the devices' indexes. */
static int netns_up(struct netns_rig *rig)
{
	int err = netns_setup(rig, "test_xdp_race", net_cmds,
			      sizeof(net_cmds) / sizeof(net_cmds[0]));

	if (err)
		return err;
	for (int i = 0; i < NIF; i++)
		if (!(ifx[i] = (int)if_nametoindex(if_name[i])))
			return -ENODEV;
	return 0;
}

int main(void)
{
	struct netns_rig rig = { 0 };
	struct bindtab tab[2] = { 0 };
	struct turn_xdp_bpf *skel = NULL;
	int err;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs CAP_BPF and CAP_SYS_ADMIN (a network namespace)\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	libbpf_set_print(skel_warnings_only);
	ncpus = libbpf_num_possible_cpus();
	err = netns_up(&rig);
	if (err == -EPERM) {
		printf("1..0 # SKIP cannot make a network namespace (%s)\n", strerror(-err));
		netns_teardown(&rig);
		return 0;
	}
	if (!ok(!err && ncpus > 0, "netns with two veth pairs (%s)", strerror(-err)))
		goto out;
	skel = load();
	err = skel ? bindtab_open(&tab[BINDTAB_C2P], bpf_map__fd(skel->maps.turn_c2p),
				  BINDTAB_C2P) : -EINVAL;
	if (!err)
		err = bindtab_open(&tab[BINDTAB_P2C], bpf_map__fd(skel->maps.turn_p2c),
				   BINDTAB_P2C);
	if (ok(!err, "turn_xdp loads, its tables mapped (%s)", strerror(-err)))
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			race_case(skel, &cases[i], &tab[cases[i].p2c ? BINDTAB_P2C : BINDTAB_C2P]);
	bindtab_close(&tab[BINDTAB_C2P]);
	bindtab_close(&tab[BINDTAB_P2C]);
	turn_xdp_bpf__destroy(skel);
out:
	netns_teardown(&rig);
	return done_testing();
}
