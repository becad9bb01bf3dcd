/* test_xdp_clock.c - the XDP program's jiffies clock: measured, never ahead, expiries follow it. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "tap.h"
#include "turn_shared.h"
#include "turn_xdp.skel.h"
#include "xdp_skel.h"
#include "xdp_clock.h"
#include "xdp_pkt.h"

/*
 * No network is needed: turn_clock and the permission checks below never route, and
 * BPF_PROG_TEST_RUN without an ingress device runs on loopback without sending anything.
 */
#define MAP_SIZE 16
#define NSAMPLES 400
#define RELAY "198.18.1.1"
#define PEER "198.18.1.2"
#define RELAY_PORT 50000

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CONFIG_HZ from /proc/config.gz, or 0 when it cannot be read. */
static unsigned config_hz(void)
{
	FILE *f = popen("zcat /proc/config.gz 2>/dev/null | grep '^CONFIG_HZ='", "r");
	unsigned hz = 0;

	if (!f)
		return 0;
	if (fscanf(f, "CONFIG_HZ=%u", &hz) != 1)
		hz = 0;
	pclose(f);
	return hz;
}

static struct turn_xdp_bpf *load(void)
{
	struct turn_xdp_bpf *skel = turn_xdp_bpf__open();

	if (!skel)
		return NULL;
	skel_small_maps(skel, MAP_SIZE);
	skel->rodata->relay_port_min = 49152;
	skel->rodata->relay_port_max = 65535;
	inet_pton(AF_INET, RELAY, (void *)skel->rodata->relay_addr[0]);
	skel->rodata->relay_family[0] = TURN_AF_INET;
	if (turn_xdp_bpf__load(skel)) {
		turn_xdp_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

static int run(int fd, const uint8_t *in, size_t len, uint32_t *ret)
{
	uint8_t out[FRAME_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (uint32_t)len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	*ret = o.retval;
	return 0;
}

/* turn_clock once: jiffies, CLOCK_MONOTONIC and the program's time, or -errno. */
static int sample(struct turn_xdp_bpf *skel, uint64_t *j, uint64_t *ns, uint64_t *coarse)
{
	uint8_t pkt[64] = { 0 };
	uint32_t ret;
	int err = run(bpf_program__fd(skel->progs.turn_clock), pkt, sizeof(pkt), &ret);

	*j = skel->bss->clock_jiffies;
	*ns = skel->bss->clock_ns;
	*coarse = skel->bss->clock_coarse_ns;
	return err ? err : ret == XDP_PASS ? 0 : -EINVAL;
}

/* Over NSAMPLES samples spread on ~5 ticks: the program's time never ahead, < 2 ticks behind. */
static void check_samples(struct turn_xdp_bpf *skel, uint64_t tick)
{
	uint64_t j, ns, coarse, first_j = 0, worst_behind = 0, worst_ahead = 0;
	int bad = 0;

	for (int i = 0; i < NSAMPLES; i++) {
		bad += sample(skel, &j, &ns, &coarse) != 0;
		if (!i)
			first_j = j;
		if (coarse > ns && coarse - ns > worst_ahead)
			worst_ahead = coarse - ns;
		if (ns > coarse && ns - coarse > worst_behind)
			worst_behind = ns - coarse;
		usleep((useconds_t)(tick / 1000 * 5 / NSAMPLES));
	}
	is_int(bad, 0, "%d samples taken", NSAMPLES);
	ok(j - first_j >= 3, "the samples span %llu ticks", (unsigned long long)(j - first_j));
	ok(worst_ahead <= tick / 10, "never ahead of CLOCK_MONOTONIC (by %llu ns at most)",
	   (unsigned long long)worst_ahead);
	ok(worst_behind < 2 * tick, "less than two ticks behind (%llu ns at most, tick %llu)",
	   (unsigned long long)worst_behind, (unsigned long long)tick);
}

/* A datagram from PEER to the relay port: 1 for NOCHAN (permitted), 2 for DROP, else 0. */
static int peer_verdict(struct turn_xdp_bpf *skel)
{
	static const uint8_t data[16] = { 1, 2, 3 };
	struct frame f = { .family = 4, .src = PEER, .dst = RELAY, .sport = 6000,
			   .dport = RELAY_PORT, .ttl = 64, .frag = FR_DF, .data = data,
			   .data_len = sizeof(data) };
	uint8_t buf[FRAME_MAX];
	size_t len = frame_build(&f, buf, sizeof(buf));
	uint32_t ret = 0;

	if (!len || run(bpf_program__fd(skel->progs.turn_xdp), buf, len, &ret))
		return 0;
	return ret == XDP_PASS ? 1 : ret == XDP_DROP ? 2 : 0;
}

/* A permission expiring 30 ms from now is kept until then and dropped two ticks later. */
static void check_expiry(struct turn_xdp_bpf *skel, uint64_t tick)
{
	struct turn_perm_key k = { .relay_port = htons(RELAY_PORT), .family = TURN_AF_INET };
	struct turn_perm_val v = { .alloc_id = 1 };
	uint64_t deadline;

	inet_pton(AF_INET, RELAY, k.relay);
	inet_pton(AF_INET, PEER, k.peer);
	v.expires_ns = mono_ns() + 30000000ull;
	ok(!bpf_map_update_elem(bpf_map__fd(skel->maps.turn_perm), &k, &v, BPF_ANY),
	   "a permission expiring in 30 ms");
	is_int(peer_verdict(skel), 1, "the permitted peer is passed to the daemon (live)");
	deadline = v.expires_ns + 2 * tick + 5000000;
	while (mono_ns() < deadline)
		usleep(1000);
	is_int(peer_verdict(skel), 2, "two ticks after its expiry, the peer is dropped");
}

int main(void)
{
	struct turn_xdp_bpf *skel;
	uint64_t tick = 1, j, ns, coarse;
	unsigned hz;
	int err;

	if (geteuid()) {
		printf("1..0 # SKIP needs root (BPF)\n");
		return 0;
	}
	skel = load();
	if (!ok(skel != NULL, "turn_xdp loads with turn_clock"))
		return done_testing();
	ok(!sample(skel, &j, &ns, &coarse) && coarse >= ns && coarse - ns < 1000000,
	   "not measured yet: the program reads bpf_ktime_get_ns()");
	err = xdp_clock_calibrate(skel, bpf_program__fd(skel->progs.turn_clock), &tick);
	ok(!err && tick >= 100000 && tick <= 41666667, "measured: tick %llu ns (%s)",
	   (unsigned long long)tick, err ? strerror(-err) : "ok");
	hz = config_hz();
	if (hz)
		is_int((long long)tick, (long long)((1000000000ull + hz / 2) / hz),
		       "the tick of CONFIG_HZ=%u", hz);
	else
		ok(1, "no /proc/config.gz: the tick is not compared with CONFIG_HZ");
	is_int((long long)skel->bss->clock_tick_ns, (long long)tick, "the program has the tick");
	if (!err) {
		check_samples(skel, tick);
		check_expiry(skel, tick);
	}
	/* Measured again (as a restart would): the same tick. */
	ok(!xdp_clock_calibrate(skel, bpf_program__fd(skel->progs.turn_clock), &j) && j == tick,
	   "measured again: the same tick");
	turn_xdp_bpf__destroy(skel);
	return done_testing();
}
