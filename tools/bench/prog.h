/* prog.h - turnbench-prog's world (prog_setup.c) as the timing (prog.c) sees it. */
#ifndef TURNBENCH_PROG_H
#define TURNBENCH_PROG_H

#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "bindtab.h"
#include "turn_shared.h"

#define MAX_FLOWS TURN_MAX_BINDINGS	/* channels one point can bind */
#define DATA_LEN 100			/* payload bytes of every frame (turnbench's default) */

/* The programs timed; each has an fd per direction (the forwarder's settings differ). */
enum { P_TURND, P_FWD, P_TX, NPROGS };

struct turn_xdp_bpf;
struct fwd_bpf;
struct xdp_tx_bpf;

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

/*
 * Where the programs run, and on what: the links, the three programs loaded and the frames
 * of every flow. A zeroed world is empty; world_close() empties it at any stage of set-up.
 */
struct world {
	int ifindex[2];			/* where frames come in, by direction: xa0, xb0 */
	struct turnd_prog t;
	struct fwd_bpf *fwd[2];		/* by direction */
	struct xdp_tx_bpf *tx;
	int fd[NPROGS][2];		/* each program's fd, by direction */
	uint8_t *frames[2];		/* by direction: a frame of flen bytes per flow */
	size_t flen[2];
};

/* "c2p" or "p2c". */
static inline const char *dir_name(int dir)
{
	return dir == DIR_C2P ? "c2p" : "p2c";
}

/* The frame flow i sends in direction dir (world_frames() built it). */
static inline const uint8_t *world_frame(const struct world *w, int dir, uint64_t i)
{
	return w->frames[dir] + i * w->flen[dir];
}

/*
 * Move this process into a network namespace of its own (it goes with the process) and set
 * up the two veth pairs, their addresses and neighbours, and IPv4 forwarding; fills
 * w->ifindex. 0 or -errno (reported).
 */
int world_net(struct world *w);

/*
 * Load turnd's program (as turnd does, its clock calibrated, its tables mapped), the
 * forwarder for either direction and the bare XDP_TX; fills w->fd. 0 or -errno: reported,
 * but for -ENOMEM (the caller says so) and libbpf failing to count the CPUs.
 */
int world_load(struct world *w);

/* Make flows 0 to n - 1 the ones bound in turnd's tables. 0 or -errno (reported). */
int world_bind(struct world *w, uint32_t n);

/* The frames of flows 0 to n - 1, either way. 0 or -errno (not reported). */
int world_frames(struct world *w, uint32_t n);

/* Unload the programs and free the frames. */
void world_close(struct world *w);

#endif
