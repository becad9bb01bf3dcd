/* fwd_maps_set.c - fwd_maps bookkeeping: entry sets and the per-allocation records, by id. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fwd_maps_int.h"
#include "turn_shared.h"

const struct fwd_kind fwd_kinds[M_NR] = {
	[M_C2P] = { TURN_MAP_C2P, sizeof(struct turn_c2p_key), sizeof(struct turn_c2p_val) },
	[M_P2C] = { TURN_MAP_P2C, sizeof(struct turn_p2c_key), sizeof(struct turn_p2c_val) },
	[M_PERM] = { TURN_MAP_PERM, sizeof(struct turn_perm_key), sizeof(struct turn_perm_val) },
};

#define VAL_TAIL_OK(t) (offsetof(t, alloc_id) == sizeof(t) - 16 && \
			offsetof(t, expires_ns) == sizeof(t) - 8)
_Static_assert(VAL_TAIL_OK(struct turn_c2p_val) && VAL_TAIL_OK(struct turn_p2c_val) &&
	       VAL_TAIL_OK(struct turn_perm_val), "map values end with alloc_id, expires_ns");

int fwd_eset_find(const struct eset *s, int k, const void *key)
{
	for (int i = 0; i < s->n; i++)
		if (!memcmp(ent(s, k, i), key, fwd_kinds[k].ksz))
			return i;
	return -1;
}

static int eset_reserve(struct eset *s, int k, int cap)
{
	s->b = calloc(cap ? (size_t)cap : 1, ent_size(k));
	s->n = 0;
	s->cap = cap;
	return s->b ? 0 : -ENOMEM;
}

void fwd_eset_put(struct eset *s, int k, const uint8_t *e)
{
	int i = fwd_eset_find(s, k, e);

	if (i < 0) {
		if (s->n >= s->cap)
			return;
		i = s->n++;
	}
	memcpy(ent(s, k, i), e, ent_size(k));
}

void fwd_eset_remove(struct eset *s, int k, const void *key)
{
	int i = fwd_eset_find(s, k, key);

	if (i < 0)
		return;
	if (i != --s->n)
		memcpy(ent(s, k, i), ent(s, k, s->n), ent_size(k));
}

void fwd_set_free(struct fwd_set *fs)
{
	for (int k = 0; k < M_NR; k++) {
		free(fs->s[k].b);
		fs->s[k] = (struct eset){ 0 };
	}
}

int fwd_set_reserve(struct fwd_set *fs, const int cap[M_NR])
{
	for (int k = 0; k < M_NR; k++) {
		if (eset_reserve(&fs->s[k], k, cap[k])) {
			fwd_set_free(fs);
			return -ENOMEM;
		}
	}
	return 0;
}

static uint64_t id_hash(uint64_t id)
{
	return id * 0x9e3779b97f4a7c15ull;
}

static struct fwd_rec **rec_slot(const struct fwd_maps *m, uint64_t id)
{
	struct fwd_rec **pp = &m->buckets[id_hash(id) & (m->nbuckets - 1)];

	while (*pp && (*pp)->id != id)
		pp = &(*pp)->next;
	return pp;
}

struct fwd_rec *fwd_rec_find(const struct fwd_maps *m, uint64_t id)
{
	return *rec_slot(m, id);
}

/* Double the buckets when the chains grow long; on ENOMEM keep the old ones. */
static void rec_grow(struct fwd_maps *m)
{
	size_t n = m->nbuckets * 2;
	struct fwd_rec **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct fwd_rec *r = m->buckets[i], *next;

		for (; r; r = next) {
			next = r->next;
			r->next = b[id_hash(r->id) & (n - 1)];
			b[id_hash(r->id) & (n - 1)] = r;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

struct fwd_rec *fwd_rec_add(struct fwd_maps *m, uint64_t id)
{
	struct fwd_rec *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (m->nrecs >= m->nbuckets * 2)
		rec_grow(m);
	r->id = id;
	r->next = m->buckets[id_hash(id) & (m->nbuckets - 1)];
	m->buckets[id_hash(id) & (m->nbuckets - 1)] = r;
	m->nrecs++;
	m->st.allocs++;
	return r;
}

void fwd_rec_del(struct fwd_maps *m, struct fwd_rec *r)
{
	struct fwd_rec **pp = rec_slot(m, r->id);

	*pp = r->next;
	m->nrecs--;
	m->st.allocs--;
	fwd_set_free(&r->has);
	free(r);
}

/* The empty table (1024 buckets): 0 or -ENOMEM. */
int fwd_recs_init(struct fwd_maps *m)
{
	m->nbuckets = 1024;
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	return m->buckets ? 0 : -ENOMEM;
}

/* Every record and the table (the map entries stay). */
void fwd_recs_free(struct fwd_maps *m)
{
	for (size_t i = 0; m->buckets && i < m->nbuckets; i++) {
		struct fwd_rec *r = m->buckets[i], *next;

		for (; r; r = next) {
			next = r->next;
			fwd_set_free(&r->has);
			free(r);
		}
	}
	free(m->buckets);
	m->buckets = NULL;
}
