/* fastpath.h - turnd's XDP fast path: load and attach the program, mirror allocations into it. */
#ifndef TURND_FASTPATH_H
#define TURND_FASTPATH_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "turn.h"
#include "turn_shared.h"

struct fastpath;

/*
 * Load the program (reusing the maps a previous turnd pinned under x->pin_path, so that its
 * entries keep forwarding), attach it to x->ifaces (empty: the interfaces holding a listen
 * or relay address) as x->mode says, with links pinned there too. NULL when the fast path
 * is off or unavailable (mode off, no CAP_BPF, no usable interface, every interface
 * refused), logged once with the reason: the daemon then relays everything itself.
 * listen: the listener addresses. With mode off, links a previous run left pinned under
 * pin_path are detached (their stale entries would forward beside the daemon).
 */
struct fastpath *fastpath_new(const struct xdp_cfg *x, const struct relay_cfg *r,
			      const sockaddr_u *listen, int nlisten);

/*
 * Mirror allocation f into the maps (call from turn_ops.fwd_sync): its live channels and
 * permissions, nothing it no longer has. 0 or -errno (logged; -ENOSPC: a map is full and
 * the slow path relays what did not fit). fp NULL: nothing, 0.
 */
int fastpath_sync(struct fastpath *fp, const struct turn_fwd *f);
/*
 * Choose the interfaces again, as fastpath_new() did (x->ifaces, else those holding a
 * listen or relay address that are up), and follow: attach to the new ones, detach from those
 * gone, replaced or no longer chosen (their links unpinned), attach again where a link went
 * defunct. One log line per change. Call when ifwatch reports a change (after a short
 * quiet time: changes come in bursts). Returns how many interfaces changed, or -errno when
 * the interfaces could not be listed (logged; nothing changed). fp NULL: nothing, 0.
 */
int fastpath_refresh_ifaces(struct fastpath *fp);

/*
 * Routing may have changed (a route, neighbour, rule, link, address or netconf notification):
 * the program looks every binding's route up again on its next packet instead of taking it
 * from the binding's cache. Call at once, without the settling that interface changes get.
 * fp NULL: nothing.
 */
void fastpath_routes_changed(struct fastpath *fp);

/* How many routing changes were passed on (fastpath_routes_changed() calls); fp NULL: 0. */
uint64_t fastpath_route_changes(const struct fastpath *fp);
/* The program's measured jiffies tick in ns, 0 when it reads the precise clock or fp NULL. */
uint64_t fastpath_clock_tick_ns(const struct fastpath *fp);

/* Remove everything of allocation id (call from turn_ops.fwd_release). */
void fastpath_release(struct fastpath *fp, uint64_t id);

/* What the kernel relayed for allocation id, summed over CPUs. 0, -ENOENT or -errno. */
int fastpath_alloc_stats(struct fastpath *fp, uint64_t id, struct turn_alloc_stats *sum);
/*
 * What the kernel relayed in all, since this turnd started: the live allocations' counters
 * plus those of the released ones (so the totals never go down). 0 or -errno.
 */
int fastpath_totals(struct fastpath *fp, struct turn_alloc_stats *sum);
/* The program's counters (enum turn_xdp_counter), summed over CPUs. 0 or -errno. */
int fastpath_counters(struct fastpath *fp, uint64_t out[TURN_XDP_NR]);

/*
 * After the allocations of a previous run were restored: remove every map entry that no
 * allocation of ours owns (a call released after the last state save, say), live or not.
 * Returns how many, or -errno.
 */
int fastpath_reconcile(struct fastpath *fp);

/*
 * Remove expired entries a previous turnd left in reused maps (call every minute or so).
 * Returns how many, or -errno.
 */
int fastpath_gc(struct fastpath *fp);

/*
 * One line per interface, "iface=NAME mode=native|generic|off why=\"...\"", then one
 * "sync allocs=N bindings=N permissions=N full=N errors=N" line, one
 * "routes cache_ms=N changes=N" line and one "clock tick_ns=N" line (the program's jiffies
 * tick; 0: it reads bpf_ktime_get_ns()). Writes at most cap bytes
 * (NUL-terminated when cap > 0); returns the length written.
 */
size_t fastpath_describe(struct fastpath *fp, char *buf, size_t cap);

/* Free; keeps the pins (forwarding goes on) unless x->detach_on_exit: then detaches all. */
void fastpath_free(struct fastpath *fp);

/*
 * For `turnd --detach-xdp`: detach the links pinned under pin_path and remove the pins.
 * Returns the number of links detached, or -errno.
 */
int fastpath_detach_all(const char *pin_path);

#endif
