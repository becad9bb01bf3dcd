/* xdp_clock.h - measure the XDP program's jiffies clock against CLOCK_MONOTONIC. */
#ifndef TURND_XDP_CLOCK_H
#define TURND_XDP_CLOCK_H

#include <stdint.h>

struct turn_xdp_bpf;

/*
 * Measure the tick of the loaded program's jiffies and its offset to CLOCK_MONOTONIC by
 * sampling it with turn_clock (fd) over 48 ms, and set them in its .bss (bpf/turn_xdp.bpf.c,
 * now_coarse()); then check that the program's time is at most two ticks behind
 * CLOCK_MONOTONIC and never ahead. Up to three tries. 0 with *tick_ns set, or -errno (-ETIME:
 * the samples did not span 48 ms, -ERANGE: they fit no HZ of 100, 250, 300 or 1000, -EIO: the
 * check failed): the program then reads bpf_ktime_get_ns(), slower but right.
 */
int xdp_clock_calibrate(struct turn_xdp_bpf *skel, int fd, uint64_t *tick_ns);

#endif
