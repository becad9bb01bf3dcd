/* xdp_clock.c - measure the XDP program's jiffies clock against CLOCK_MONOTONIC. */
#include "xdp_clock.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "turn_xdp.skel.h"

#define NS 1000000000ull
#define CAL_SPAN_NS (48 * 1000000ull)	/* samples over this long: 4 ticks at 100 Hz */
#define CAL_SAMPLES 400			/* at most, one every 200 us or more */
#define CAL_TRIES 3
#define CAL_PAUSE_US 200

struct sample {
	uint64_t j, ns, coarse;
};

/* One run of turn_clock: 0 or -errno. */
static int sample(struct turn_xdp_bpf *skel, int fd, struct sample *s)
{
	uint8_t pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = sizeof(pkt),
		    .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	s->j = skel->bss->clock_jiffies;
	s->ns = skel->bss->clock_ns;
	s->coarse = skel->bss->clock_coarse_ns;
	return 0;
}

/* Samples of (jiffies, CLOCK_MONOTONIC) over CAL_SPAN_NS into s[]: how many, or -errno. */
static int take_samples(struct turn_xdp_bpf *skel, int fd, struct sample *s)
{
	int n = 0, err = 0;

	while (!err && n < CAL_SAMPLES) {
		err = sample(skel, fd, &s[n]);
		if (err)
			break;
		if (n && s[n].ns - s[0].ns >= CAL_SPAN_NS)
			return n + 1;
		n++;
		usleep(CAL_PAUSE_US);
	}
	return err ? err : n;
}

/*
 * How far apart ns - j * tick lies over the samples (min in *lo). Every sample is taken
 * between the tick that made its jiffies and the next one, so with the right tick the
 * spread stays within about a tick, whatever the pauses between samples; with a wrong one
 * it grows by the difference every tick.
 */
static uint64_t spread(const struct sample *s, int n, uint64_t tick, uint64_t *lo)
{
	int64_t min = INT64_MAX, max = INT64_MIN;

	/* Relative to the first sample: within a second, no overflow. */
	for (int i = 0; i < n; i++) {
		int64_t v = (int64_t)(s[i].ns - s[0].ns) - (int64_t)((s[i].j - s[0].j) * tick);

		min = v < min ? v : min;
		max = v > max ? v : max;
	}
	/* Modulo 2^64, as the program adds it. */
	*lo = s[0].ns - s[0].j * tick + (uint64_t)min;
	return (uint64_t)(max - min);
}

/*
 * The kernel's TICK_NSEC of the HZ the samples fit best, of the ones Linux offers (x86 and
 * arm64), with a spread under 1.5 ticks (the tick interrupt may come late); 0 when none
 * does. *off: the least ns - j * tick.
 */
static uint64_t best_tick(const struct sample *s, int n, uint64_t *off)
{
	static const uint64_t hzs[] = { 100, 250, 300, 1000 };
	uint64_t best = 0, best_ratio = UINT64_MAX;

	for (size_t i = 0; i < sizeof(hzs) / sizeof(hzs[0]); i++) {
		uint64_t tick = (NS + hzs[i] / 2) / hzs[i], lo, d = spread(s, n, tick, &lo);
		uint64_t ratio = d * 100 / tick;

		if (s[n - 1].j - s[0].j < 4 || ratio >= 150 || ratio >= best_ratio)
			continue;
		best = tick;
		best_ratio = ratio;
		*off = lo;
	}
	return best;
}

/* One try of xdp_clock_calibrate(). */
static int calibrate(struct turn_xdp_bpf *skel, int fd, uint64_t *tick_ns)
{
	struct sample *s, check;
	uint64_t tick = 0, off = 0;
	int n, err = 0;

	*tick_ns = 0;
	skel->bss->clock_tick_ns = 0;
	s = calloc(CAL_SAMPLES, sizeof(*s));
	if (!s)
		return -ENOMEM;
	n = take_samples(skel, fd, s);
	if (n < 0)
		err = n;
	else if (n < 2 || s[n - 1].ns - s[0].ns < CAL_SPAN_NS)
		err = -ETIME;
	else if (!(tick = best_tick(s, n, &off)))
		err = -ERANGE;
	free(s);
	if (err)
		return err;
	/* The least ns - j * tick: jiffies * tick + off is not ahead of time, a tick behind. */
	skel->bss->clock_off_ns = off;
	skel->bss->clock_tick_ns = tick;
	err = sample(skel, fd, &check);
	if (!err && (check.coarse > check.ns + tick / 10 || check.ns - check.coarse > 2 * tick))
		err = -EIO;
	if (err) {
		skel->bss->clock_tick_ns = 0;
		return err;
	}
	*tick_ns = tick;
	return 0;
}

int xdp_clock_calibrate(struct turn_xdp_bpf *skel, int fd, uint64_t *tick_ns)
{
	int err = -EINVAL;

	for (int i = 0; i < CAL_TRIES && err && err != -ENOMEM; i++)
		err = calibrate(skel, fd, tick_ns);
	return err;
}
