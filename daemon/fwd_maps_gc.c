/* fwd_maps_gc.c - clear the fast path maps of what an earlier turnd left there and nobody owns. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fwd_maps_int.h"
#include "log.h"

/* A growable array of fixed-size items (gc's keys to delete, ids still referred to). */
struct vec {
	uint8_t *b;
	size_t n, cap, sz;
};

static int vec_push(struct vec *v, const void *item)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		uint8_t *b = realloc(v->b, cap * v->sz);

		if (!b)
			return -ENOMEM;
		v->b = b;
		v->cap = cap;
	}
	memcpy(v->b + v->n++ * v->sz, item, v->sz);
	return 0;
}

/* Delete the keys collected in v from map fd (none when err is set), free v: how many went. */
static int delete_keys(int fd, struct vec *v, int err)
{
	int n = 0;

	for (size_t i = 0; !err && i < v->n; i++)
		n += !bpf_map_delete_elem(fd, v->b + i * v->sz);
	free(v->b);
	return n;
}

/* The same for map k, a hash map or a table. */
static int delete_ents(struct fwd_maps *m, int k, struct vec *v, int err)
{
	int n = 0;

	if (!is_tab(k))
		return delete_keys(m->fd[k], v, err);
	for (size_t i = 0; !err && i < v->n; i++)
		n += !bindtab_del(&m->tab[k], v->b + i * v->sz);
	free(v->b);
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool owned(const struct fwd_maps *m, int k, const uint8_t *e)
{
	const struct fwd_rec *r = fwd_rec_find(m, ent_alloc_id(k, e));

	return r && fwd_eset_find(&r->has.s[k], k, e) >= 0;
}

/* Entry e of map k, not ours: into dead when expired, else its id into ids. */
static int gc_one(struct fwd_maps *m, int k, const uint8_t *e, uint64_t now_ns, struct vec *dead,
		  struct vec *ids)
{
	uint64_t id = ent_alloc_id(k, e);

	if (owned(m, k, e))
		return 0;
	return ent_expires(k, e) <= now_ns ? vec_push(dead, e) : vec_push(ids, &id);
}

/* Expired entries of map k that are not ours into dead; ids of live foreign ones into ids. */
static int gc_scan(struct fwd_maps *m, int k, uint64_t now_ns, struct vec *dead, struct vec *ids)
{
	uint8_t e[ENT_MAX], next[ENT_MAX];
	const void *prev = NULL;
	int err = 0;

	if (is_tab(k)) {
		for (uint32_t i = 0; !err && i < bindtab_slots(&m->tab[k]); i++)
			if (!bindtab_at(&m->tab[k], i, e, e + fwd_kinds[k].ksz))
				err = gc_one(m, k, e, now_ns, dead, ids);
		return err;
	}
	while (!err && !bpf_map_get_next_key(m->fd[k], prev, next)) {
		memcpy(e, next, fwd_kinds[k].ksz);
		prev = e;
		if (!bpf_map_lookup_elem(m->fd[k], e, e + fwd_kinds[k].ksz))
			err = gc_one(m, k, e, now_ns, dead, ids);
	}
	return err;
}

/* Entries of the rate map (keyed by allocation id) that nothing refers to. ids: sorted. */
static int gc_rate(struct fwd_maps *m, const struct vec *ids)
{
	int fd = m->fd_rate;
	uint64_t key, next;
	const void *prev = NULL;
	struct vec dead = { .sz = sizeof(uint64_t) };
	int n, err = 0;

	while (!err && !bpf_map_get_next_key(fd, prev, &next)) {
		const struct fwd_rec *r = fwd_rec_find(m, next);

		key = next;
		prev = &key;
		if ((r && r->rate) || (ids->n && bsearch(&key, ids->b, ids->n, ids->sz, cmp_u64)))
			continue;
		err = vec_push(&dead, &key);
	}
	n = delete_keys(fd, &dead, err);
	return err ? err : n;
}

int fwd_maps_gc(struct fwd_maps *m, uint64_t now_ns)
{
	struct vec ids = { .sz = sizeof(uint64_t) };
	int n = 0, err = 0;

	/* Keys are collected first: deleting while walking restarts get_next_key. */
	for (int k = 0; k < M_NR && !err; k++) {
		struct vec dead = { .sz = ent_size(k) };

		err = gc_scan(m, k, now_ns, &dead, &ids);
		n += delete_ents(m, k, &dead, err);
	}
	if (!err) {
		int ns;

		if (ids.n)	/* qsort and bsearch want a real array, even for 0 items */
			qsort(ids.b, ids.n, ids.sz, cmp_u64);
		ns = gc_rate(m, &ids);
		err = ns < 0 ? ns : 0;
		n += ns > 0 ? ns : 0;
	}
	free(ids.b);
	if (n > 0)
		pr_info("xdp maps: removed expired entries of an earlier turnd count=%d", n);
	return err ? err : n;
}
