/* xdp_load.h - the XDP program's life: load with pinned maps, attach via pinned links, detach. */
#ifndef TURND_XDP_LOAD_H
#define TURND_XDP_LOAD_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct turn_xdp_bpf;

/* What the program is told through its rodata before load (see bpf/turn_shared.h). */
struct xdp_settings {
	uint8_t ttl;			/* TTL / hop limit of forwarded packets */
	uint16_t port_min, port_max;	/* relay port range, host order; 0-0: unknown */
	const sockaddr_u *relay;	/* the local relay addresses (a wildcard: any address) */
	int nrelay;
	uint32_t route_cache_ms;	/* how long a binding's cached route holds; 0: no cache */
};

#define XDP_PIN_PATH_MAX 200

/* The loaded program and its maps. */
struct xdp_obj {
	struct turn_xdp_bpf *skel;
	char pin_path[XDP_PIN_PATH_MAX];
	int nreused;		/* maps taken over from a previous run's pins */
	int prog_fd;
	int fd_c2p, fd_p2c, fd_perm, fd_stats, fd_drops, fd_rate;
};

/* One interface and what became of it. */
struct xdp_iface {
	char name[IF_NAMESIZE];
	int ifindex;		/* 0: no such interface */
	int mode;		/* enum xdp_mode: NATIVE or GENERIC when attached, else OFF */
	int link_fd;		/* the attached bpf_link, -1 when off */
	char why[256];		/* how it was attached, or why not */
};

/*
 * Failures are not logged here but described in `why` (whylen bytes) for the caller's one
 * line; what changes on the system (a mount, a replaced pin or link) is logged.
 */

/* Route libbpf's messages through log.h, at debug level. */
void xdp_log_setup(void);

/*
 * Make pin_path (absolute) a directory on a bpffs, mounting bpffs at /sys/fs/bpf when
 * pin_path lies under it and it is not mounted yet. 0 or -errno.
 */
int xdp_bpffs_prepare(const char *pin_path, char *why, size_t whylen);

/*
 * Open the program, write s into its rodata, and load it with its maps pinned under
 * pin_path: maps already pinned there with the same type, sizes and flags are reused (their
 * entries keep forwarding across a restart), incompatible pins are replaced. 0 or -errno
 * (-EPERM without CAP_BPF); on failure *o holds nothing to close.
 */
int xdp_obj_load(struct xdp_obj *o, const char *pin_path, const struct xdp_settings *s,
		 char *why, size_t whylen);
/*
 * Tell the program that routing may have changed: every binding's cached route is looked up
 * again on its next packet (bpf/turn_shared.h, struct turn_route). A loaded o only.
 */
void xdp_routes_changed(struct xdp_obj *o);

/* The program's measured jiffies tick in ns (xdp_clock.h); 0: it reads the precise clock. */
uint64_t xdp_clock_tick_ns(const struct xdp_obj *o);

/* Close the program and map fds (the pins, and so the maps, stay). */
void xdp_obj_close(struct xdp_obj *o);

/*
 * Attach to ifc (name and ifindex filled in) in mode (enum xdp_mode: AUTO tries native,
 * then generic) through a bpf_link pinned as <pin_path>/link_<name>. A link pinned there
 * before is updated to this program (no gap in forwarding) when its mode suits, else
 * replaced. Fills ifc->mode, link_fd and why; 0 or -errno.
 */
int xdp_attach(const struct xdp_obj *o, int mode, struct xdp_iface *ifc);

/*
 * Whether ifc's link (link_fd) still runs our program o on ifc->ifindex: false once the
 * interface is gone (the link is then defunct) or the link was detached from outside.
 */
bool xdp_link_alive(const struct xdp_obj *o, const struct xdp_iface *ifc);

/*
 * Detach ifc's link, close it and remove its pin under o->pin_path; ifc is then off.
 * 0 or -errno of the unpin (a link already defunct or unpinned is fine).
 */
int xdp_detach(const struct xdp_obj *o, struct xdp_iface *ifc);

/*
 * Detach and unpin the links pinned under pin_path: all of them when keep is NULL, else
 * those whose interface name is not among keep[0..nkeep). Returns how many, or -errno.
 */
int xdp_detach_links(const char *pin_path, const struct xdp_iface *keep, int nkeep);

/* Detach every link pinned under pin_path, unpin the maps, remove the directory: n or -errno. */
int xdp_detach_all(const char *pin_path);

/* The id of the XDP program attached to ifindex (0: none) and its XDP_ATTACHED_* mode. */
int xdp_query(int ifindex, uint32_t *prog_id, uint8_t *attach_mode);

#endif
