/* fwd_maps.c - mirror allocations into the fast path's maps: what the kernel must hold, diffed. */
#include "fwd_maps.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fwd_maps_int.h"
#include "log.h"
#include "turn_shared.h"

/*
 * The order of writes. Whatever the XDP program does not forward it passes to the daemon,
 * which relays it from its own state, so a missing c2p or p2c entry only costs speed. What
 * could lose packets is a permission entry missing while the daemon holds the permission
 * (the program drops datagrams to a relay port from peers without one), and what could
 * misdirect them is an entry outliving the daemon's state. The c2p entry is the one that
 * sends a client's data out to a peer; p2c and perm only decide what becomes of what
 * peers send back. So on add, perm and p2c go in first and c2p last: whatever the kernel
 * sends to a peer, the peer's answer already finds its way back. On removal, c2p goes
 * first, then p2c, then perm. A binding whose c2p cannot be written (map full) has its
 * fresh p2c taken back, so neither direction of a channel is fast without the other; both
 * are then the slow path's, which forwards them correctly, and the next sync tries again.
 * Every sync is complete on return: the windows are microseconds, within one call.
 *
 * One case the maps cannot express: when the perm map is full (TURN_MAX_PERMS entries over
 * all allocations), the program drops what that peer sends outside a channel although the
 * daemon permits it. That failure is logged and counted like any full map.
 */

static int first_err(int err, int rc)
{
	return err ? err : rc;
}

/* Write entry e of map k: 0 or -errno. */
static int ent_write(struct fwd_maps *m, int k, const uint8_t *e)
{
	if (is_tab(k))
		return bindtab_put(&m->tab[k], e, e + fwd_kinds[k].ksz);
	return bpf_map_update_elem(m->fd[k], e, e + fwd_kinds[k].ksz, BPF_ANY) ? -errno : 0;
}

/* Update one entry; a full map is counted (and logged now and then) as ENOSPC. */
static int map_put(struct fwd_maps *m, int k, const uint8_t *e)
{
	int err = ent_write(m, k, e);

	if (!err)
		return 0;
	/* A full preallocated hash map answers E2BIG; a table whose slots are taken, ENOSPC. */
	if (err == -E2BIG || err == -ENOSPC) {
		m->st.full++;
		if (!(m->st.full & (m->st.full - 1)))
			pr_warn("bpf map full, binding left to the slow path map=%s alloc=%llu "
				"full_total=%llu%s", fwd_kinds[k].name,
				(unsigned long long)ent_alloc_id(k, e),
				(unsigned long long)m->st.full,
				k == M_PERM ? " (the peer's unbound traffic is dropped)" : "");
		return -ENOSPC;
	}
	m->st.errors++;
	pr_err("bpf map update failed map=%s alloc=%llu err=\"%s\"", fwd_kinds[k].name,
	       (unsigned long long)ent_alloc_id(k, e), strerror(-err));
	return err;
}

/* Delete one entry; one already gone is fine. */
static int map_del(struct fwd_maps *m, int k, const uint8_t *e)
{
	int err = is_tab(k) ? bindtab_del(&m->tab[k], e)
			    : (bpf_map_delete_elem(m->fd[k], e) ? -errno : 0);

	if (!err || err == -ENOENT)
		return 0;
	m->st.errors++;
	pr_err("bpf map delete failed map=%s alloc=%llu err=\"%s\"", fwd_kinds[k].name,
	       (unsigned long long)ent_alloc_id(k, e), strerror(-err));
	return err;
}

/* Removal, c2p first: old entries not wanted, or wanted with another target. */
static int remove_stale(struct fwd_maps *m, const struct fwd_set *old, const struct fwd_set *want,
			struct fwd_set *has)
{
	int err = 0;

	for (int k = 0; k < M_NR; k++) {
		for (int i = 0; i < old->s[k].n; i++) {
			const uint8_t *o = ent(&old->s[k], k, i);
			int wi = fwd_eset_find(&want->s[k], k, o);

			if (wi >= 0 && same_target(k, o, ent(&want->s[k], k, wi)))
				continue;
			if (map_del(m, k, o)) {
				/* Still there: tracked, so the next sync tries again. */
				err = first_err(err, -EIO);
				fwd_eset_put(&has->s[k], k, o);
			}
		}
	}
	return err;
}

/*
 * Make the kernel hold wanted entry w unless it holds it already. Returns true when the
 * key holds w's target afterwards (*fresh: it did not before), else false; *err gets the
 * first failure. What is in the kernel goes into has.
 */
static bool put_entry(struct fwd_maps *m, int k, const uint8_t *w, const struct fwd_set *old,
		      struct fwd_set *has, bool *fresh, int *err)
{
	int oi = fwd_eset_find(&old->s[k], k, w), rc;
	const uint8_t *o = oi >= 0 ? ent(&old->s[k], k, oi) : NULL;
	bool live = o && same_target(k, o, w);

	*fresh = false;
	if (live && !memcmp(o, w, ent_size(k))) {
		fwd_eset_put(&has->s[k], k, o);
		return true;
	}
	rc = map_put(m, k, w);
	if (!rc) {
		fwd_eset_put(&has->s[k], k, w);
		*fresh = !live;
		return true;
	}
	*err = first_err(*err, rc);
	if (live)
		fwd_eset_put(&has->s[k], k, o);	/* the old expiry still holds */
	return live;
}

/* A binding whose p2c could not be written: its c2p must not stay either. */
static void drop_c2p(struct fwd_maps *m, const uint8_t *wc, const struct fwd_set *old,
		     struct fwd_set *has)
{
	int oi = fwd_eset_find(&old->s[M_C2P], M_C2P, wc);
	const uint8_t *o = oi >= 0 ? ent(&old->s[M_C2P], M_C2P, oi) : NULL;

	if (o && same_target(M_C2P, o, wc) && map_del(m, M_C2P, o))
		fwd_eset_put(&has->s[M_C2P], M_C2P, o);
}

/* Write the rate entry of allocation id: 0, -ENOSPC or -errno. */
static int rate_put(struct fwd_maps *m, uint64_t id, const struct turn_rate *val)
{
	int err;

	if (!bpf_map_update_elem(m->fd_rate, &id, val, BPF_ANY))
		return 0;
	err = -errno;
	if (err == -E2BIG || err == -ENOSPC) {
		m->st.full++;
		err = -ENOSPC;
	} else {
		m->st.errors++;
	}
	pr_warn("bpf map update failed map=%s alloc=%llu err=\"%s\" (its bandwidth is not "
		"limited in the kernel)", TURN_MAP_RATE, (unsigned long long)id, strerror(-err));
	return err;
}

/* Delete the rate entry of allocation id; one already gone is fine. */
static void rate_del(struct fwd_maps *m, uint64_t id)
{
	if (!bpf_map_delete_elem(m->fd_rate, &id) || errno == ENOENT)
		return;
	m->st.errors++;
	pr_err("bpf map delete failed map=%s alloc=%llu err=\"%s\"", TURN_MAP_RATE,
	       (unsigned long long)id, strerror(errno));
}

/*
 * The allocation's bandwidth buckets, before its first binding flagged TURN_F_RATE: written
 * whole (full buckets) once per run, whatever an earlier turnd left under that id.
 */
static int rate_create(struct fwd_maps *m, struct fwd_rec *r, const struct turn_fwd *f)
{
	struct turn_rate v = { .bytes_per_s = f->max_bps };
	int err;

	v.burst_ns = (uint64_t)(f->bps_burst ? f->bps_burst : f->max_bps) * 1000000000ull /
		     f->max_bps;
	err = rate_put(m, r->id, &v);
	r->rate = !err;
	return err;
}

/* Add, perm and p2c before c2p: see the comment at the top. */
static int add_wanted(struct fwd_maps *m, struct fwd_rec *r, const struct turn_fwd *f,
		      const struct fwd_set *old, const struct fwd_set *want, struct fwd_set *has)
{
	const struct eset *wp = &want->s[M_P2C], *wc = &want->s[M_C2P];
	int err = 0;
	bool fresh;

	if (wc->n && f->max_bps && !r->rate)
		err = rate_create(m, r, f);
	for (int i = 0; i < want->s[M_PERM].n; i++)
		put_entry(m, M_PERM, ent(&want->s[M_PERM], M_PERM, i), old, has, &fresh, &err);
	for (int i = 0; i < wc->n; i++) {
		const uint8_t *p = ent(wp, M_P2C, i), *c = ent(wc, M_C2P, i);
		bool pfresh;

		if (!put_entry(m, M_P2C, p, old, has, &pfresh, &err)) {
			drop_c2p(m, c, old, has);
			continue;
		}
		if (put_entry(m, M_C2P, c, old, has, &fresh, &err) || !pfresh)
			continue;
		/* No c2p: take the new p2c back, neither direction is fast alone. */
		if (!map_del(m, M_P2C, p))
			fwd_eset_remove(&has->s[M_P2C], M_P2C, p);
	}
	return err;
}

static void count_has(struct fwd_maps *m, const struct fwd_set *s, int sign)
{
	m->st.bindings += (uint64_t)(sign * s->s[M_C2P].n);
	m->st.perms += (uint64_t)(sign * s->s[M_PERM].n);
}

int fwd_maps_sync(struct fwd_maps *m, const struct turn_fwd *f, uint64_t now_ms)
{
	struct fwd_set want = { 0 }, has = { 0 };
	struct fwd_rec *r;
	int cap[M_NR], err;

	err = fwd_want_build(f, now_ms, &want);
	if (err)
		return err;
	r = fwd_rec_find(m, f->id);
	if (!r && !want.s[M_PERM].n && !want.s[M_C2P].n)
		goto out;
	if (!r) {
		r = fwd_rec_add(m, f->id);
		if (!r) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (int k = 0; k < M_NR; k++)
		cap[k] = r->has.s[k].n + want.s[k].n;
	err = fwd_set_reserve(&has, cap);
	if (err)
		goto out;
	/* No slot (none left): the bindings still forward, uncounted, and the next sync tries. */
	if (want.s[M_C2P].n && !r->slot)
		err = fwd_slot_get(m, r);
	fwd_want_finish(&want, r->slot);
	err = first_err(err, remove_stale(m, &r->has, &want, &has));
	err = first_err(err, add_wanted(m, r, f, &r->has, &want, &has));
	count_has(m, &r->has, -1);
	count_has(m, &has, 1);
	fwd_set_free(&r->has);
	r->has = has;
	if (!r->has.s[M_C2P].n && !r->has.s[M_P2C].n && !r->has.s[M_PERM].n && !r->slot &&
	    !r->rate)
		fwd_rec_del(m, r);
out:
	fwd_set_free(&want);
	return err;
}

void fwd_maps_release(struct fwd_maps *m, uint64_t id)
{
	struct fwd_rec *r = fwd_rec_find(m, id);

	if (!r)
		return;
	for (int k = 0; k < M_NR; k++)
		for (int i = 0; i < r->has.s[k].n; i++)
			map_del(m, k, ent(&r->has.s[k], k, i));
	fwd_slot_put(m, r);
	if (r->rate)
		rate_del(m, id);
	count_has(m, &r->has, -1);
	fwd_rec_del(m, r);
}

struct fwd_maps *fwd_maps_new(const struct fwd_maps_fds *fds, int ncpus)
{
	struct fwd_maps *m;
	int err;

	if (ncpus <= 0) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->fd[M_C2P] = fds->c2p;
	m->fd[M_P2C] = fds->p2c;
	m->fd[M_PERM] = fds->perm;
	m->fd_stats = fds->stats;
	m->fd_rate = fds->rate;
	m->ncpus = ncpus;
	err = bindtab_open(&m->tab[M_C2P], fds->c2p, BINDTAB_C2P);
	if (!err)
		err = bindtab_open(&m->tab[M_P2C], fds->p2c, BINDTAB_P2C);
	if (err) {
		pr_err("xdp maps: mapping the binding tables failed err=\"%s\"", strerror(-err));
		fwd_maps_free(m);
		errno = -err;
		return NULL;
	}
	m->zero_stats = calloc((size_t)ncpus, sizeof(struct turn_alloc_stats));
	m->cpu_stats = calloc((size_t)ncpus, sizeof(struct turn_alloc_stats));
	if (!m->zero_stats || !m->cpu_stats || fwd_recs_init(m) || fwd_slots_init(m)) {
		fwd_maps_free(m);
		errno = ENOMEM;
		return NULL;
	}
	return m;
}

void fwd_maps_free(struct fwd_maps *m)
{
	if (!m)
		return;
	fwd_recs_free(m);
	fwd_slots_free(m);
	bindtab_close(&m->tab[M_C2P]);
	bindtab_close(&m->tab[M_P2C]);
	free(m->zero_stats);
	free(m->cpu_stats);
	free(m);
}

void fwd_maps_get_stats(const struct fwd_maps *m, struct fwd_maps_stats *st)
{
	*st = m->st;
}
