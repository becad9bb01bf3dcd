/* xdp_skel.h - tests open turnd's XDP object with small maps, as one, before they load it. */
#ifndef TESTS_XDP_SKEL_H
#define TESTS_XDP_SKEL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "turn_xdp.skel.h"

/*
 * Every map of skel sized to n entries (a power of two, at least TURN_BIND_PROBES: the
 * binding tables' slots), and the program told the tables' size. Before load.
 */
static inline void skel_small_maps(struct turn_xdp_bpf *skel, uint32_t n)
{
	bpf_map__set_max_entries(skel->maps.turn_c2p, n);
	bpf_map__set_max_entries(skel->maps.turn_p2c, n);
	bpf_map__set_max_entries(skel->maps.turn_perm, n);
	bpf_map__set_max_entries(skel->maps.turn_stats, n);
	bpf_map__set_max_entries(skel->maps.turn_rate, n);
	skel->rodata->bind_mask = n - 1;
}

/* libbpf's printer for the tests: warnings only (libbpf_set_print(skel_warnings_only)). */
static inline int skel_warnings_only(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

#endif
