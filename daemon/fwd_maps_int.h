/* fwd_maps_int.h - shared by the fwd_maps files: map entries, entry sets, allocation records. */
#ifndef TURND_FWD_MAPS_INT_H
#define TURND_FWD_MAPS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bindtab.h"
#include "fwd_maps.h"
#include "turn.h"
#include "turn_shared.h"

/* The maps keyed by addresses, in the order removals go (see fwd_maps.c). */
enum { M_C2P, M_P2C, M_PERM, M_NR };

struct fwd_kind {
	const char *name;
	size_t ksz, vsz;
};

/* Name, key and value size of each map. Every value ends with alloc_id then expires_ns. */
extern const struct fwd_kind fwd_kinds[M_NR];

#define ENT_MAX 192	/* larger than any key + value of these maps */
_Static_assert(sizeof(struct turn_c2p_key) + sizeof(struct turn_c2p_val) <= ENT_MAX &&
	       sizeof(struct turn_p2c_key) + sizeof(struct turn_p2c_val) <= ENT_MAX &&
	       sizeof(struct turn_perm_key) + sizeof(struct turn_perm_val) <= ENT_MAX,
	       "ENT_MAX holds every entry");

/* Entries of one map, each its key then its value. */
struct eset {
	uint8_t *b;
	int n, cap;
};

/* What one allocation has in the maps, or wants there (want: p2c[i] pairs with c2p[i]). */
struct fwd_set {
	struct eset s[M_NR];
};

struct fwd_rec {
	uint64_t id;
	struct fwd_rec *next;
	struct fwd_set has;
	uint32_t slot;		/* its turn_stats slot; 0: none */
	bool rate;		/* its turn_rate entry exists */
};

struct fwd_maps {
	int fd[M_NR];
	struct bindtab tab[M_PERM];	/* c2p and p2c, mapped (turn_shared.h) */
	int fd_stats, fd_rate;
	int ncpus;
	void *zero_stats;	/* ncpus zeroed struct turn_alloc_stats */
	void *cpu_stats;	/* room for ncpus of them, read from the kernel */
	uint32_t *free_slots;	/* stack of the free turn_stats slots */
	uint32_t nfree;
	struct fwd_rec **buckets;
	size_t nbuckets, nrecs;
	struct fwd_maps_stats st;
};

/* c2p and p2c are open-addressed tables written through mmap; perm is a hash map. */
static inline bool is_tab(int k)
{
	return k == M_C2P || k == M_P2C;
}

static inline size_t ent_size(int k)
{
	return fwd_kinds[k].ksz + fwd_kinds[k].vsz;
}

static inline uint8_t *ent(const struct eset *s, int k, int i)
{
	return s->b + (size_t)i * ent_size(k);
}

static inline uint64_t ent_u64(int k, const uint8_t *e, size_t from_end)
{
	uint64_t v;

	memcpy(&v, e + ent_size(k) - from_end, sizeof(v));
	return v;
}

static inline uint64_t ent_expires(int k, const uint8_t *e)
{
	return ent_u64(k, e, 8);
}

static inline uint64_t ent_alloc_id(int k, const uint8_t *e)
{
	return ent_u64(k, e, 16);
}

/* Same key and same everything but the expiry. */
static inline bool same_target(int k, const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, ent_size(k) - 8);
}

/* fwd_maps_set.c: entry sets. The index of the entry with key, or -1. */
int fwd_eset_find(const struct eset *s, int k, const void *key);
/* Append e, or replace the entry with its key; never grows past the reserved capacity. */
void fwd_eset_put(struct eset *s, int k, const uint8_t *e);
void fwd_eset_remove(struct eset *s, int k, const void *key);
/* Room for cap[k] entries of each map k, emptied: 0 or -ENOMEM (then fs is freed). */
int fwd_set_reserve(struct fwd_set *fs, const int cap[M_NR]);
void fwd_set_free(struct fwd_set *fs);

/* fwd_maps_set.c: the records of the allocations with entries, by id. */
int fwd_recs_init(struct fwd_maps *m);
void fwd_recs_free(struct fwd_maps *m);
struct fwd_rec *fwd_rec_find(const struct fwd_maps *m, uint64_t id);
/* A new empty record for id (counted in st.allocs), or NULL. */
struct fwd_rec *fwd_rec_add(struct fwd_maps *m, uint64_t id);
void fwd_rec_del(struct fwd_maps *m, struct fwd_rec *r);

/* fwd_maps_want.c: what the kernel must hold for allocation f at now (ms), into w. 0/-errno. */
int fwd_want_build(const struct turn_fwd *f, uint64_t now, struct fwd_set *w);
/* Write slot and each binding's rt_tag (see struct turn_route) into w's c2p and p2c values. */
void fwd_want_finish(struct fwd_set *w, uint32_t slot);

/* fwd_maps_stats.c: the turn_stats slots. 0 or -ENOMEM. */
int fwd_slots_init(struct fwd_maps *m);
void fwd_slots_free(struct fwd_maps *m);
/* Give r a slot, zeroed in the kernel: 0, -ENOSPC (none left: counted, logged) or -errno. */
int fwd_slot_get(struct fwd_maps *m, struct fwd_rec *r);
/* Take r's slot back (none: nothing). */
void fwd_slot_put(struct fwd_maps *m, struct fwd_rec *r);

#endif
