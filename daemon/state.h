/* state.h - the allocation state file: written atomically, read back by a restarted turnd. */
#ifndef TURND_STATE_H
#define TURND_STATE_H

#include <stdint.h>

#include "turn.h"
#include "udp.h"

/*
 * Write every allocation (user, key, 5-tuple, relayed addresses and their local sockets,
 * expiry, permissions, channels) to path: a temporary file, fsync, rename, so that a crash
 * leaves the old file or the new one, never half of one. 0 or -errno (logged).
 */
int state_save(const char *path, const struct turn_server *turn);

/*
 * Rebuild the allocations of path in turn: re-open each relay socket on its old port, then
 * turn_restore() (which mirrors it into the fast path). Times are CLOCK_MONOTONIC, so a
 * file from another boot (its boot_id differs) is ignored. A missing file is not an error.
 * Returns how many allocations were restored, or -errno for an unreadable or malformed
 * file (logged with the line; nothing from it is kept).
 */
int state_load(const char *path, struct udp *u, struct turn_server *turn, uint64_t now_ms);

/* Remove the file (a clean shutdown that releases everything). */
void state_remove(const char *path);

#endif
