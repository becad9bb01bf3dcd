/* bindtab.h - the c2p and p2c tables: open-addressed arrays the daemon writes through mmap. */
#ifndef TURND_BINDTAB_H
#define TURND_BINDTAB_H

#include <stddef.h>
#include <stdint.h>

#include "turn_shared.h"

/*
 * One of the XDP program's binding tables (turn_shared.h says how they are laid out and how
 * the program reads them), mapped into the daemon. The daemon is the only writer of keys and
 * values, every write a seqlock write; it never writes a value's route cache (struct
 * turn_route), which is the program's: a put, delete or move leaves the slot's cache as it
 * is (a value given to bindtab_put() has its rt ignored). Keys and values are struct
 * turn_c2p_key/val or turn_p2c_key/val, as the kind says; keys with family 0 are refused
 * (that marks a free slot).
 */
enum bindtab_kind { BINDTAB_C2P, BINDTAB_P2C };

struct bindtab {
	uint8_t *base;		/* the mapping; NULL: not open */
	size_t len;
	size_t stride;		/* bytes per slot */
	size_t ksz, vsz;
	size_t rt_off;		/* the route cache's */
	size_t fam_off;		/* the key's family byte: 0 in a free slot */
	uint32_t mask;		/* slots - 1 */
};

/*
 * Map the table of array map fd (BPF_F_MMAPABLE, values of kind's entry, a power-of-two
 * number of slots, at least TURN_BIND_PROBES). 0, -EINVAL (not such a map) or -errno.
 */
int bindtab_open(struct bindtab *t, int fd, enum bindtab_kind kind);
void bindtab_close(struct bindtab *t);

static inline uint32_t bindtab_slots(const struct bindtab *t)
{
	return t->mask + 1;
}

/*
 * Write key's entry: 0, -ENOSPC (the slots of both its buckets are taken, and none of their
 * entries can move to its other bucket), -EINVAL.
 */
int bindtab_put(struct bindtab *t, const void *key, const void *val);
/* Key's value into val (when not NULL): 0 or -ENOENT. */
int bindtab_get(const struct bindtab *t, const void *key, void *val);
/* Clear key's entry: 0 or -ENOENT. */
int bindtab_del(struct bindtab *t, const void *key);
/* The entry in slot i into key and val: 0, or -ENOENT when the slot is free (or i too large). */
int bindtab_at(const struct bindtab *t, uint32_t i, void *key, void *val);
/*
 * The rt_tag of a binding (struct turn_route): FNV-1a of its key (klen bytes) and of its
 * value's first vlen bytes, its target (addresses, ports, family, flags up to slot), never
 * what a refresh changes.
 */
uint32_t bindtab_tag(const void *key, size_t klen, const void *val, size_t vlen);
/* The key's two buckets (slots b * TURN_BIND_WAYS on), as the program computes them. */
void bindtab_buckets(const struct bindtab *t, const void *key, uint32_t b[2]);

#endif
