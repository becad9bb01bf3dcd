/* fwd_maps.c - mirror allocations into the fast path's maps: what the kernel must hold, diffed. */
#include "fwd_maps.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

enum { M_C2P, M_P2C, M_PERM, M_NR };

struct kind {
	const char *name;
	size_t ksz, vsz;
};

/* Every value ends with alloc_id then expires_ns: the "target" of an entry is the rest. */
static const struct kind kinds[M_NR] = {
	[M_C2P] = { TURN_MAP_C2P, sizeof(struct turn_c2p_key), sizeof(struct turn_c2p_val) },
	[M_P2C] = { TURN_MAP_P2C, sizeof(struct turn_p2c_key), sizeof(struct turn_p2c_val) },
	[M_PERM] = { TURN_MAP_PERM, sizeof(struct turn_perm_key), sizeof(struct turn_perm_val) },
};

#define VAL_TAIL_OK(t) (offsetof(t, alloc_id) == sizeof(t) - 16 && \
			offsetof(t, expires_ns) == sizeof(t) - 8)
_Static_assert(VAL_TAIL_OK(struct turn_c2p_val) && VAL_TAIL_OK(struct turn_p2c_val) &&
	       VAL_TAIL_OK(struct turn_perm_val), "map values end with alloc_id, expires_ns");

#define ENT_MAX 128	/* larger than any key + value above */

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
	bool stats;		/* its turn_stats entry exists */
	bool rate;		/* its turn_rate entry exists */
};

struct fwd_maps {
	int fd[M_NR];
	int fd_stats, fd_rate;
	int ncpus;
	void *zero_stats;	/* ncpus zeroed struct turn_alloc_stats */
	struct fwd_rec **buckets;
	size_t nbuckets, nrecs;
	struct fwd_maps_stats st;
};

static size_t ent_size(int k)
{
	return kinds[k].ksz + kinds[k].vsz;
}

static uint8_t *ent(const struct eset *s, int k, int i)
{
	return s->b + (size_t)i * ent_size(k);
}

static uint64_t ent_u64(int k, const uint8_t *e, size_t from_end)
{
	uint64_t v;

	memcpy(&v, e + ent_size(k) - from_end, sizeof(v));
	return v;
}

static uint64_t ent_expires(int k, const uint8_t *e)
{
	return ent_u64(k, e, 8);
}

static uint64_t ent_alloc_id(int k, const uint8_t *e)
{
	return ent_u64(k, e, 16);
}

/* Same key and same everything but the expiry. */
static bool same_target(int k, const uint8_t *a, const uint8_t *b)
{
	return !memcmp(a, b, ent_size(k) - 8);
}

static int eset_find(const struct eset *s, int k, const void *key)
{
	for (int i = 0; i < s->n; i++)
		if (!memcmp(ent(s, k, i), key, kinds[k].ksz))
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

/* Append e, or replace the entry with its key; never grows past the reserved capacity. */
static void eset_put(struct eset *s, int k, const uint8_t *e)
{
	int i = eset_find(s, k, e);

	if (i < 0) {
		if (s->n >= s->cap)
			return;
		i = s->n++;
	}
	memcpy(ent(s, k, i), e, ent_size(k));
}

static void eset_remove(struct eset *s, int k, const void *key)
{
	int i = eset_find(s, k, key);

	if (i < 0)
		return;
	if (i != --s->n)
		memcpy(ent(s, k, i), ent(s, k, s->n), ent_size(k));
}

static void set_free(struct fwd_set *fs)
{
	for (int k = 0; k < M_NR; k++) {
		free(fs->s[k].b);
		fs->s[k] = (struct eset){ 0 };
	}
}

static int set_reserve(struct fwd_set *fs, const int cap[M_NR])
{
	for (int k = 0; k < M_NR; k++) {
		if (eset_reserve(&fs->s[k], k, cap[k])) {
			set_free(fs);
			return -ENOMEM;
		}
	}
	return 0;
}

static uint64_t ms_to_ns(uint64_t ms)
{
	return ms > UINT64_MAX / 1000000 ? UINT64_MAX : ms * 1000000;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* An address as the maps hold it: 16 bytes (IPv4 in the first 4), TURN_AF_*, port. */
struct maddr {
	uint8_t ip[16];
	__be16 port;
	uint8_t family;
};

static int maddr_from(const sockaddr_u *in, struct maddr *out)
{
	sockaddr_u a = *in;

	memset(out, 0, sizeof(*out));
	addr_unmap_v4(&a);
	if (a.sa.sa_family == AF_INET) {
		memcpy(out->ip, &a.v4.sin_addr, 4);
		out->port = a.v4.sin_port;
		out->family = TURN_AF_INET;
	} else if (a.sa.sa_family == AF_INET6) {
		memcpy(out->ip, &a.v6.sin6_addr, 16);
		out->port = a.v6.sin6_port;
		out->family = TURN_AF_INET6;
	} else {
		return -EAFNOSUPPORT;
	}
	return 0;
}

/* The local address of each relay handle, by family ([0] IPv4, [1] IPv6; family 0: none). */
static void relay_locals(const struct turn_fwd *f, struct maddr loc[2])
{
	memset(loc, 0, 2 * sizeof(*loc));
	for (int i = 0; i < f->nrelay; i++) {
		socklen_t len = sizeof(sockaddr_u);
		struct maddr m;
		sockaddr_u a;

		memset(&a, 0, sizeof(a));
		if (f->relay[i] < 0 || getsockname(f->relay[i], &a.sa, &len))
			continue;
		/* A wildcard-bound relay has no one address a peer sends to: slow path. */
		if (addr_is_any(&a) || maddr_from(&a, &m))
			continue;
		if (!loc[m.family == TURN_AF_INET6].family)
			loc[m.family == TURN_AF_INET6] = m;
	}
}

/* Pack a key and a value into one entry of map k. */
static const uint8_t *ent_pack(int k, const void *key, const void *val, uint8_t *e)
{
	memcpy(e, key, kinds[k].ksz);
	memcpy(e + kinds[k].ksz, val, kinds[k].vsz);
	return e;
}

static void ent_set_expires(int k, uint8_t *e, uint64_t ns)
{
	memcpy(e + ent_size(k) - 8, &ns, sizeof(ns));
}

/* Live permissions: (relay of the peer's family, peer IP) -> min(perm, alloc) expiry. */
static void want_perms(const struct turn_fwd *f, const struct maddr loc[2], uint64_t now,
		       struct fwd_set *w)
{
	for (int i = 0; i < f->nperms; i++) {
		const struct turn_perm *p = &f->perms[i];
		const struct maddr *rl;
		struct turn_perm_key k;
		struct turn_perm_val v;
		uint8_t e[ENT_MAX];
		struct maddr peer;
		int dup;

		if (p->expires <= now || maddr_from(&p->ip, &peer))
			continue;
		rl = &loc[peer.family == TURN_AF_INET6];
		if (!rl->family)
			continue;
		memset(&k, 0, sizeof(k));
		memset(&v, 0, sizeof(v));
		memcpy(k.relay, rl->ip, 16);
		memcpy(k.peer, peer.ip, 16);
		k.relay_port = rl->port;
		k.family = peer.family;
		v.alloc_id = f->id;
		v.expires_ns = ms_to_ns(min64(p->expires, f->expires));
		dup = eset_find(&w->s[M_PERM], M_PERM, &k);
		if (dup < 0) {
			eset_put(&w->s[M_PERM], M_PERM, ent_pack(M_PERM, &k, &v, e));
			continue;
		}
		/* The same IP twice: the later expiry. */
		if (ent_expires(M_PERM, ent(&w->s[M_PERM], M_PERM, dup)) < v.expires_ns)
			ent_set_expires(M_PERM, ent(&w->s[M_PERM], M_PERM, dup), v.expires_ns);
	}
}

/* The two directions of one channel, c2p and p2c, from its parts. */
static void binding_fill(const struct turn_fwd *f, const struct turn_chan *c,
			 const struct maddr *cl, const struct maddr *ls, const struct maddr *rl,
			 const struct maddr *peer, uint64_t exp, uint8_t *ec, uint8_t *ep)
{
	struct turn_c2p_key ck;
	struct turn_c2p_val cv;
	struct turn_p2c_key pk;
	struct turn_p2c_val pv;

	memset(&ck, 0, sizeof(ck));
	memcpy(ck.client, cl->ip, 16);
	memcpy(ck.listener, ls->ip, 16);
	ck.client_port = cl->port;
	ck.listener_port = ls->port;
	ck.channel = htons(c->num);
	ck.family = cl->family;
	memset(&cv, 0, sizeof(cv));
	memcpy(cv.relay, rl->ip, 16);
	memcpy(cv.peer, peer->ip, 16);
	cv.relay_port = rl->port;
	cv.peer_port = peer->port;
	cv.family = peer->family;
	cv.alloc_id = f->id;
	cv.expires_ns = exp;
	cv.flags = f->max_bps ? TURN_F_RATE : 0;
	ent_pack(M_C2P, &ck, &cv, ec);

	memset(&pk, 0, sizeof(pk));
	memcpy(pk.relay, rl->ip, 16);
	memcpy(pk.peer, peer->ip, 16);
	pk.relay_port = rl->port;
	pk.peer_port = peer->port;
	pk.family = peer->family;
	memset(&pv, 0, sizeof(pv));
	memcpy(pv.listener, ls->ip, 16);
	memcpy(pv.client, cl->ip, 16);
	pv.listener_port = ls->port;
	pv.client_port = cl->port;
	pv.channel = htons(c->num);
	pv.family = cl->family;
	pv.alloc_id = f->id;
	pv.expires_ns = exp;
	pv.flags = cv.flags;
	ent_pack(M_P2C, &pk, &pv, ep);
}

/*
 * One live channel with a live permission, client and peer of the same family (the XDP
 * program passes cross-family bindings to the daemon: no entries are spent on them).
 */
static void want_chan(const struct turn_fwd *f, const struct turn_chan *c, const struct maddr *cl,
		      const struct maddr *ls, const struct maddr loc[2], struct fwd_set *w)
{
	uint8_t ec[ENT_MAX], ep[ENT_MAX];
	struct turn_perm_key pk;
	const struct maddr *rl;
	struct maddr peer;
	uint64_t exp;
	int pi;

	if (maddr_from(&c->peer, &peer) || peer.family != cl->family)
		return;
	rl = &loc[peer.family == TURN_AF_INET6];
	if (!rl->family)
		return;
	memset(&pk, 0, sizeof(pk));
	memcpy(pk.relay, rl->ip, 16);
	memcpy(pk.peer, peer.ip, 16);
	pk.relay_port = rl->port;
	pk.family = peer.family;
	pi = eset_find(&w->s[M_PERM], M_PERM, &pk);
	if (pi < 0)
		return;
	exp = min64(ms_to_ns(c->expires), ent_expires(M_PERM, ent(&w->s[M_PERM], M_PERM, pi)));
	binding_fill(f, c, cl, ls, rl, &peer, exp, ec, ep);
	/* One channel per peer transport address and per number: the first one wins. */
	if (eset_find(&w->s[M_P2C], M_P2C, ep) >= 0 || eset_find(&w->s[M_C2P], M_C2P, ec) >= 0)
		return;
	eset_put(&w->s[M_P2C], M_P2C, ep);
	eset_put(&w->s[M_C2P], M_C2P, ec);
}

/* What the kernel must hold for allocation f at now (ms): built into w. 0 or -errno. */
static int want_build(const struct turn_fwd *f, uint64_t now, struct fwd_set *w)
{
	int cap[M_NR] = { f->nchans, f->nchans, f->nperms };
	struct maddr loc[2], cl, ls;
	int err;

	if (f->nchans < 0 || f->nperms < 0 || f->nrelay < 0 ||
	    (f->nchans && !f->chans) || (f->nperms && !f->perms) || (f->nrelay && !f->relay))
		return -EINVAL;
	err = set_reserve(w, cap);
	if (err || f->expires <= now)
		return err;
	relay_locals(f, loc);
	want_perms(f, loc, now, w);
	if (!f->tuple || maddr_from(&f->tuple->client, &cl) || maddr_from(&f->tuple->server, &ls) ||
	    cl.family != ls.family)
		return 0;
	for (int i = 0; i < f->nchans; i++) {
		const struct turn_chan *c = &f->chans[i];

		/* The XDP program takes 0x4000-0x7ffe as ChannelData, nothing else. */
		if (c->live && c->expires > now && c->num >= 0x4000 && c->num <= 0x7ffe)
			want_chan(f, c, &cl, &ls, loc, w);
	}
	return 0;
}

static int first_err(int err, int rc)
{
	return err ? err : rc;
}

/* Update one entry; a full map is counted (and logged now and then) as ENOSPC. */
static int map_put(struct fwd_maps *m, int k, const uint8_t *e)
{
	int err;

	if (!bpf_map_update_elem(m->fd[k], e, e + kinds[k].ksz, BPF_ANY))
		return 0;
	err = -errno;
	/* A full preallocated hash map answers E2BIG. */
	if (err == -E2BIG || err == -ENOSPC) {
		m->st.full++;
		if (!(m->st.full & (m->st.full - 1)))
			pr_warn("bpf map full, binding left to the slow path map=%s alloc=%llu "
				"full_total=%llu%s", kinds[k].name,
				(unsigned long long)ent_alloc_id(k, e),
				(unsigned long long)m->st.full,
				k == M_PERM ? " (the peer's unbound traffic is dropped)" : "");
		return -ENOSPC;
	}
	m->st.errors++;
	pr_err("bpf map update failed map=%s alloc=%llu err=\"%s\"", kinds[k].name,
	       (unsigned long long)ent_alloc_id(k, e), strerror(-err));
	return err;
}

/* Delete one entry; one already gone is fine. */
static int map_del(struct fwd_maps *m, int k, const uint8_t *e)
{
	int err;

	if (!bpf_map_delete_elem(m->fd[k], e) || errno == ENOENT)
		return 0;
	err = -errno;
	m->st.errors++;
	pr_err("bpf map delete failed map=%s alloc=%llu err=\"%s\"", kinds[k].name,
	       (unsigned long long)ent_alloc_id(k, e), strerror(-err));
	return err;
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

static struct fwd_rec *rec_find(const struct fwd_maps *m, uint64_t id)
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

static struct fwd_rec *rec_add(struct fwd_maps *m, uint64_t id)
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

static void rec_del(struct fwd_maps *m, struct fwd_rec *r)
{
	struct fwd_rec **pp = rec_slot(m, r->id);

	*pp = r->next;
	m->nrecs--;
	m->st.allocs--;
	set_free(&r->has);
	free(r);
}

/* Removal, c2p first: old entries not wanted, or wanted with another target. */
static int remove_stale(struct fwd_maps *m, const struct fwd_set *old, const struct fwd_set *want,
			struct fwd_set *has)
{
	int err = 0;

	for (int k = 0; k < M_NR; k++) {
		for (int i = 0; i < old->s[k].n; i++) {
			const uint8_t *o = ent(&old->s[k], k, i);
			int wi = eset_find(&want->s[k], k, o);

			if (wi >= 0 && same_target(k, o, ent(&want->s[k], k, wi)))
				continue;
			if (map_del(m, k, o)) {
				/* Still there: tracked, so the next sync tries again. */
				err = first_err(err, -EIO);
				eset_put(&has->s[k], k, o);
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
	int oi = eset_find(&old->s[k], k, w), rc;
	const uint8_t *o = oi >= 0 ? ent(&old->s[k], k, oi) : NULL;
	bool live = o && same_target(k, o, w);

	*fresh = false;
	if (live && !memcmp(o, w, ent_size(k))) {
		eset_put(&has->s[k], k, o);
		return true;
	}
	rc = map_put(m, k, w);
	if (!rc) {
		eset_put(&has->s[k], k, w);
		*fresh = !live;
		return true;
	}
	*err = first_err(*err, rc);
	if (live)
		eset_put(&has->s[k], k, o);	/* the old expiry still holds */
	return live;
}

/* A binding whose p2c could not be written: its c2p must not stay either. */
static void drop_c2p(struct fwd_maps *m, const uint8_t *wc, const struct fwd_set *old,
		     struct fwd_set *has)
{
	int oi = eset_find(&old->s[M_C2P], M_C2P, wc);
	const uint8_t *o = oi >= 0 ? ent(&old->s[M_C2P], M_C2P, oi) : NULL;

	if (o && same_target(M_C2P, o, wc) && map_del(m, M_C2P, o))
		eset_put(&has->s[M_C2P], M_C2P, o);
}

static int stats_create(struct fwd_maps *m, struct fwd_rec *r)
{
	int err;

	/* BPF_ANY: a stale entry of a previous turnd with the same id starts from zero. */
	if (!bpf_map_update_elem(m->fd_stats, &r->id, m->zero_stats, BPF_ANY)) {
		r->stats = true;
		return 0;
	}
	err = -errno;
	if (err == -E2BIG || err == -ENOSPC) {
		m->st.full++;
		err = -ENOSPC;
	} else {
		m->st.errors++;
	}
	pr_warn("bpf map update failed map=%s alloc=%llu err=\"%s\"", TURN_MAP_STATS,
		(unsigned long long)r->id, strerror(-err));
	return err;
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
	if (!bpf_map_update_elem(m->fd_rate, &r->id, &v, BPF_ANY)) {
		r->rate = true;
		return 0;
	}
	err = -errno;
	if (err == -E2BIG || err == -ENOSPC) {
		m->st.full++;
		err = -ENOSPC;
	} else {
		m->st.errors++;
	}
	pr_warn("bpf map update failed map=%s alloc=%llu err=\"%s\" (its bandwidth is not "
		"limited in the kernel)", TURN_MAP_RATE, (unsigned long long)r->id, strerror(-err));
	return err;
}

/* Add, perm and p2c before c2p: see the comment at the top. */
static int add_wanted(struct fwd_maps *m, struct fwd_rec *r, const struct turn_fwd *f,
		      const struct fwd_set *old, const struct fwd_set *want, struct fwd_set *has)
{
	const struct eset *wp = &want->s[M_P2C], *wc = &want->s[M_C2P];
	int err = 0;
	bool fresh;

	if (wc->n && !r->stats)
		err = stats_create(m, r);
	if (wc->n && f->max_bps && !r->rate)
		err = first_err(err, rate_create(m, r, f));
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
			eset_remove(&has->s[M_P2C], M_P2C, p);
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

	err = want_build(f, now_ms, &want);
	if (err)
		return err;
	r = rec_find(m, f->id);
	if (!r && !want.s[M_PERM].n && !want.s[M_C2P].n)
		goto out;
	if (!r) {
		r = rec_add(m, f->id);
		if (!r) {
			err = -ENOMEM;
			goto out;
		}
	}
	for (int k = 0; k < M_NR; k++)
		cap[k] = r->has.s[k].n + want.s[k].n;
	err = set_reserve(&has, cap);
	if (err)
		goto out;
	err = remove_stale(m, &r->has, &want, &has);
	err = first_err(err, add_wanted(m, r, f, &r->has, &want, &has));
	count_has(m, &r->has, -1);
	count_has(m, &has, 1);
	set_free(&r->has);
	r->has = has;
	if (!r->has.s[M_C2P].n && !r->has.s[M_P2C].n && !r->has.s[M_PERM].n && !r->stats &&
	    !r->rate)
		rec_del(m, r);
out:
	set_free(&want);
	return err;
}

void fwd_maps_release(struct fwd_maps *m, uint64_t id)
{
	struct fwd_rec *r = rec_find(m, id);

	if (!r)
		return;
	for (int k = 0; k < M_NR; k++)
		for (int i = 0; i < r->has.s[k].n; i++)
			map_del(m, k, ent(&r->has.s[k], k, i));
	if (r->stats && bpf_map_delete_elem(m->fd_stats, &id) && errno != ENOENT) {
		m->st.errors++;
		pr_err("bpf map delete failed map=%s alloc=%llu err=\"%s\"", TURN_MAP_STATS,
		       (unsigned long long)id, strerror(errno));
	}
	if (r->rate && bpf_map_delete_elem(m->fd_rate, &id) && errno != ENOENT) {
		m->st.errors++;
		pr_err("bpf map delete failed map=%s alloc=%llu err=\"%s\"", TURN_MAP_RATE,
		       (unsigned long long)id, strerror(errno));
	}
	count_has(m, &r->has, -1);
	rec_del(m, r);
}

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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool owned(const struct fwd_maps *m, int k, const uint8_t *e)
{
	const struct fwd_rec *r = rec_find(m, ent_alloc_id(k, e));

	return r && eset_find(&r->has.s[k], k, e) >= 0;
}

/* Expired entries of map k that are not ours into dead; ids of live foreign ones into ids. */
static int gc_scan(struct fwd_maps *m, int k, uint64_t now_ns, struct vec *dead, struct vec *ids)
{
	uint8_t e[ENT_MAX], next[ENT_MAX];
	const void *prev = NULL;
	int err = 0;

	while (!err && !bpf_map_get_next_key(m->fd[k], prev, next)) {
		uint64_t id;

		memcpy(e, next, kinds[k].ksz);
		prev = e;
		if (bpf_map_lookup_elem(m->fd[k], e, e + kinds[k].ksz) || owned(m, k, e))
			continue;
		id = ent_alloc_id(k, e);
		err = ent_expires(k, e) <= now_ns ? vec_push(dead, e) : vec_push(ids, &id);
	}
	return err;
}

/* Entries of a map keyed by allocation id (stats, rate) that nothing refers to. ids: sorted. */
static int gc_by_id(struct fwd_maps *m, int fd, bool is_rate, const struct vec *ids)
{
	uint64_t key, next;
	const void *prev = NULL;
	struct vec dead = { .sz = sizeof(uint64_t) };
	int n = 0, err = 0;

	while (!err && !bpf_map_get_next_key(fd, prev, &next)) {
		const struct fwd_rec *r = rec_find(m, next);

		key = next;
		prev = &key;
		if ((r && (is_rate ? r->rate : r->stats)) ||
		    (ids->n && bsearch(&key, ids->b, ids->n, ids->sz, cmp_u64)))
			continue;
		err = vec_push(&dead, &key);
	}
	for (size_t i = 0; !err && i < dead.n; i++)
		n += !bpf_map_delete_elem(fd, dead.b + i * dead.sz);
	free(dead.b);
	return err ? err : n;
}

static int gc_stats(struct fwd_maps *m, struct vec *ids)
{
	int n, nr;

	if (ids->n)	/* qsort and bsearch want a real array, even for 0 items */
		qsort(ids->b, ids->n, ids->sz, cmp_u64);
	n = gc_by_id(m, m->fd_stats, false, ids);
	if (n < 0)
		return n;
	nr = gc_by_id(m, m->fd_rate, true, ids);
	return nr < 0 ? nr : n + nr;
}

int fwd_maps_gc(struct fwd_maps *m, uint64_t now_ns)
{
	struct vec ids = { .sz = sizeof(uint64_t) };
	int n = 0, err = 0;

	/* Keys are collected first: deleting while walking restarts get_next_key. */
	for (int k = 0; k < M_NR && !err; k++) {
		struct vec dead = { .sz = kinds[k].ksz + kinds[k].vsz };

		err = gc_scan(m, k, now_ns, &dead, &ids);
		for (size_t i = 0; !err && i < dead.n; i++)
			n += !bpf_map_delete_elem(m->fd[k], dead.b + i * dead.sz);
		free(dead.b);
	}
	if (!err) {
		int ns = gc_stats(m, &ids);

		err = ns < 0 ? ns : 0;
		n += ns > 0 ? ns : 0;
	}
	free(ids.b);
	if (n > 0)
		pr_info("xdp maps: removed expired entries of an earlier turnd count=%d", n);
	return err ? err : n;
}

struct fwd_maps *fwd_maps_new(const struct fwd_maps_fds *fds, int ncpus)
{
	struct fwd_maps *m;

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
	m->nbuckets = 1024;
	m->zero_stats = calloc((size_t)ncpus, sizeof(struct turn_alloc_stats));
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	if (!m->zero_stats || !m->buckets) {
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
	for (size_t i = 0; m->buckets && i < m->nbuckets; i++) {
		struct fwd_rec *r = m->buckets[i], *next;

		for (; r; r = next) {
			next = r->next;
			set_free(&r->has);
			free(r);
		}
	}
	free(m->buckets);
	free(m->zero_stats);
	free(m);
}

void fwd_maps_get_stats(const struct fwd_maps *m, struct fwd_maps_stats *st)
{
	*st = m->st;
}
