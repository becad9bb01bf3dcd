/* fwd_maps_stats.c - per-allocation counters of the fast path: stats slots and their sums. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fwd_maps_int.h"
#include "log.h"
#include "turn_shared.h"

/*
 * turn_stats is an array indexed by slot (turn_shared.h): each allocation with bindings in
 * the kernel holds one slot, written into its bindings, for as long as it has a record here.
 * Slot 0 is never given. Free slots are a stack, so one just freed is given again first.
 */

int fwd_slots_init(struct fwd_maps *m)
{
	m->free_slots = malloc((TURN_MAX_ALLOCS - 1) * sizeof(*m->free_slots));
	if (!m->free_slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < TURN_MAX_ALLOCS - 1; i++)
		m->free_slots[i] = TURN_MAX_ALLOCS - 1 - i;	/* slot 1 on top */
	m->nfree = TURN_MAX_ALLOCS - 1;
	return 0;
}

void fwd_slots_free(struct fwd_maps *m)
{
	free(m->free_slots);
	m->free_slots = NULL;
	m->nfree = 0;
}

int fwd_slot_get(struct fwd_maps *m, struct fwd_rec *r)
{
	uint32_t slot;

	if (!m->nfree) {
		m->st.full++;
		if (!(m->st.full & (m->st.full - 1)))
			pr_warn("bpf map full, allocation not counted in the kernel map=%s "
				"alloc=%llu slots=%u", TURN_MAP_STATS, (unsigned long long)r->id,
				TURN_MAX_ALLOCS - 1);
		return -ENOSPC;
	}
	slot = m->free_slots[m->nfree - 1];
	/* A slot starts from zero, whatever an earlier allocation or turnd left in it. */
	if (bpf_map_update_elem(m->fd_stats, &slot, m->zero_stats, BPF_ANY)) {
		int err = -errno;

		m->st.errors++;
		pr_err("bpf map update failed map=%s slot=%u alloc=%llu err=\"%s\" (not counted)",
		       TURN_MAP_STATS, slot, (unsigned long long)r->id, strerror(-err));
		return err;
	}
	m->nfree--;
	r->slot = slot;
	return 0;
}

void fwd_slot_put(struct fwd_maps *m, struct fwd_rec *r)
{
	if (!r->slot)
		return;
	m->free_slots[m->nfree++] = r->slot;
	r->slot = 0;
}

/* The counters of slot summed over CPUs into sum (added). 0 or -errno. */
static int slot_add(const struct fwd_maps *m, uint32_t slot, struct turn_alloc_stats *sum)
{
	struct turn_alloc_stats *v = m->cpu_stats;	/* ncpus of them */

	if (bpf_map_lookup_elem(m->fd_stats, &slot, v))
		return -errno;
	for (int c = 0; c < m->ncpus; c++) {
		sum->pkts_c2p += v[c].pkts_c2p;
		sum->bytes_c2p += v[c].bytes_c2p;
		sum->pkts_p2c += v[c].pkts_p2c;
		sum->bytes_p2c += v[c].bytes_p2c;
	}
	return 0;
}

int fwd_maps_alloc_stats(const struct fwd_maps *m, uint64_t id, struct turn_alloc_stats *sum)
{
	const struct fwd_rec *r = fwd_rec_find(m, id);

	memset(sum, 0, sizeof(*sum));
	if (!r || !r->slot)
		return -ENOENT;
	return slot_add(m, r->slot, sum);
}

int fwd_maps_live_stats(const struct fwd_maps *m, struct turn_alloc_stats *sum)
{
	int err = 0;

	memset(sum, 0, sizeof(*sum));
	for (size_t i = 0; i < m->nbuckets; i++) {
		for (const struct fwd_rec *r = m->buckets[i]; r; r = r->next) {
			int rc = r->slot ? slot_add(m, r->slot, sum) : 0;

			err = err ? err : rc;
		}
	}
	return err;
}
