/* fwd_maps.h - mirror allocations into the fast path's maps: what the kernel must hold, diffed. */
#ifndef TURND_FWD_MAPS_H
#define TURND_FWD_MAPS_H

#include <stdint.h>

#include "turn.h"
#include "turn_shared.h"

/* The maps to write (fds of bpf/maps.h's maps, borrowed: the caller closes them). */
struct fwd_maps_fds {
	int c2p, p2c, perm, stats, rate;
};

/* Totals since start. */
struct fwd_maps_stats {
	uint64_t allocs;	/* allocations with entries now */
	uint64_t bindings;	/* channels forwarded in the kernel now (a c2p and a p2c each) */
	uint64_t perms;		/* permission entries now */
	uint64_t full;		/* entries not written because a map was full */
	uint64_t errors;	/* other failed map writes and deletes */
};

struct fwd_maps;

/* ncpus: libbpf_num_possible_cpus(), for the per-CPU stats values. NULL + errno. */
struct fwd_maps *fwd_maps_new(const struct fwd_maps_fds *fds, int ncpus);
/* Forget what was written (the entries stay in the maps and expire there). */
void fwd_maps_free(struct fwd_maps *m);

/*
 * Make the maps hold what allocation f forwards at now_ms (CLOCK_MONOTONIC ms), removing
 * what it no longer does. 0, or the first -errno (-ENOSPC: a map was full, that entry is
 * left to the slow path and tried again on the next sync).
 */
int fwd_maps_sync(struct fwd_maps *m, const struct turn_fwd *f, uint64_t now_ms);
/* Remove every entry of allocation id, its stats and rate entries last. */
void fwd_maps_release(struct fwd_maps *m, uint64_t id);

/*
 * Delete entries that are expired at now_ns and not ours (left by an earlier turnd over
 * reused maps), and rate entries no allocation of ours or remaining entry refers to (stats
 * slots need no deleting: a slot is zeroed when it is given).
 * Returns how many were deleted, or -errno.
 */
int fwd_maps_gc(struct fwd_maps *m, uint64_t now_ns);

void fwd_maps_get_stats(const struct fwd_maps *m, struct fwd_maps_stats *st);

/*
 * What the kernel relayed for allocation id (its turn_stats slot summed over CPUs) into
 * *sum: 0, -ENOENT when it has no slot, or -errno.
 */
int fwd_maps_alloc_stats(const struct fwd_maps *m, uint64_t id, struct turn_alloc_stats *sum);
/* The same summed over every allocation with a slot: 0 or the first -errno (the rest added). */
int fwd_maps_live_stats(const struct fwd_maps *m, struct turn_alloc_stats *sum);

#endif
