/* fwd_maps_want.c - what the fast path maps must hold for one allocation, built from its state. */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "fwd_maps_int.h"
#include "turn_shared.h"

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
	memcpy(e, key, fwd_kinds[k].ksz);
	memcpy(e + fwd_kinds[k].ksz, val, fwd_kinds[k].vsz);
	return e;
}

static void ent_set_expires(int k, uint8_t *e, uint64_t ns)
{
	memcpy(e + ent_size(k) - 8, &ns, sizeof(ns));
}

/* The relay of peer's family (NULL: there is none) and the perm key of peer at it. */
static const struct maddr *perm_key(const struct maddr loc[2], const struct maddr *peer,
				    struct turn_perm_key *k)
{
	const struct maddr *rl = &loc[peer->family == TURN_AF_INET6];

	if (!rl->family)
		return NULL;
	memset(k, 0, sizeof(*k));
	memcpy(k->relay, rl->ip, 16);
	memcpy(k->peer, peer->ip, 16);
	k->relay_port = rl->port;
	k->family = peer->family;
	return rl;
}

/* Live permissions: (relay of the peer's family, peer IP) -> min(perm, alloc) expiry. */
static void want_perms(const struct turn_fwd *f, const struct maddr loc[2], uint64_t now,
		       struct fwd_set *w)
{
	for (int i = 0; i < f->nperms; i++) {
		const struct turn_perm *p = &f->perms[i];
		struct turn_perm_key k;
		struct turn_perm_val v;
		uint8_t e[ENT_MAX];
		struct maddr peer;
		int dup;

		if (p->expires <= now || maddr_from(&p->ip, &peer) || !perm_key(loc, &peer, &k))
			continue;
		memset(&v, 0, sizeof(v));
		v.alloc_id = f->id;
		v.expires_ns = ms_to_ns(min64(p->expires, f->expires));
		dup = fwd_eset_find(&w->s[M_PERM], M_PERM, &k);
		if (dup < 0) {
			fwd_eset_put(&w->s[M_PERM], M_PERM, ent_pack(M_PERM, &k, &v, e));
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
	rl = perm_key(loc, &peer, &pk);
	if (!rl)
		return;
	pi = fwd_eset_find(&w->s[M_PERM], M_PERM, &pk);
	if (pi < 0)
		return;
	exp = min64(ms_to_ns(c->expires), ent_expires(M_PERM, ent(&w->s[M_PERM], M_PERM, pi)));
	binding_fill(f, c, cl, ls, rl, &peer, exp, ec, ep);
	/* One channel per peer transport address and per number: the first one wins. */
	if (fwd_eset_find(&w->s[M_P2C], M_P2C, ep) >= 0 ||
	    fwd_eset_find(&w->s[M_C2P], M_C2P, ec) >= 0)
		return;
	fwd_eset_put(&w->s[M_P2C], M_P2C, ep);
	fwd_eset_put(&w->s[M_C2P], M_C2P, ec);
}

/* What the kernel must hold for allocation f at now (ms): built into w. 0 or -errno. */
int fwd_want_build(const struct turn_fwd *f, uint64_t now, struct fwd_set *w)
{
	int cap[M_NR] = { f->nchans, f->nchans, f->nperms };
	struct maddr loc[2], cl, ls;
	int err;

	if (f->nchans < 0 || f->nperms < 0 || f->nrelay < 0 ||
	    (f->nchans && !f->chans) || (f->nperms && !f->perms) || (f->nrelay && !f->relay))
		return -EINVAL;
	err = fwd_set_reserve(w, cap);
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

/*
 * Into each binding of map k: the slot, and an rt_tag made of the key and of the value up to
 * its slot (the target: addresses, ports, family, flags), never what changes with a refresh.
 */
static void finish_map(struct eset *s, int k, size_t slot_off, uint32_t slot)
{
	for (int i = 0; i < s->n; i++) {
		uint8_t *e = ent(s, k, i), *v = e + fwd_kinds[k].ksz;
		uint32_t tag = bindtab_tag(e, fwd_kinds[k].ksz, v, slot_off);

		memcpy(v + slot_off, &slot, sizeof(slot));
		memcpy(v + slot_off + sizeof(slot), &tag, sizeof(tag));
	}
}

_Static_assert(offsetof(struct turn_c2p_val, rt_tag) == offsetof(struct turn_c2p_val, slot) + 4 &&
	       offsetof(struct turn_p2c_val, rt_tag) == offsetof(struct turn_p2c_val, slot) + 4,
	       "rt_tag follows slot");

void fwd_want_finish(struct fwd_set *w, uint32_t slot)
{
	finish_map(&w->s[M_C2P], M_C2P, offsetof(struct turn_c2p_val, slot), slot);
	finish_map(&w->s[M_P2C], M_P2C, offsetof(struct turn_p2c_val, slot), slot);
}
