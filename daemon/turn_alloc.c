/* turn_alloc.c - TURN allocations: Allocate, Refresh, reservations, quotas, lifetime and expiry. */
#include "turn_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h % TURN_USER_BUCKETS;
}

static struct user_count *user_get(struct turn_server *s, const char *name, bool create)
{
	struct user_count **pp = &s->users[str_hash(name)], *u;
	size_t n = strlen(name);

	for (u = *pp; u; u = u->next)
		if (!strcmp(u->name, name))
			return u;
	if (!create)
		return NULL;
	u = calloc(1, sizeof(*u) + n + 1);
	if (!u)
		return NULL;
	memcpy(u->name, name, n + 1);
	u->next = *pp;
	*pp = u;
	return u;
}

static void user_put(struct turn_server *s, struct user_count *u)
{
	struct user_count **pp = &s->users[str_hash(u->name)];

	if (--u->n)
		return;
	for (; *pp; pp = &(*pp)->next)
		if (*pp == u) {
			*pp = u->next;
			free(u);
			return;
		}
}

/* Map a relay handle to its allocation (NULL unmaps). 0 or -ENOMEM. */
int turn_handle_bind(struct turn_server *s, int handle, struct allocation *a)
{
	if (handle < 0)
		return -EINVAL;
	if ((size_t)handle >= s->nhandles) {
		size_t n = (size_t)handle + 64;
		struct allocation **nb = realloc(s->by_handle, n * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		memset(nb + s->nhandles, 0, (n - s->nhandles) * sizeof(*nb));
		s->by_handle = nb;
		s->nhandles = n;
	}
	s->by_handle[handle] = a;
	return 0;
}

/* RFC 8656 7.2/7.3: min(requested, max), but never below the default. */
static uint32_t pick_lifetime(const struct turn_server *s, const struct stun_msg *m)
{
	const struct stun_attr *la = stun_find(m, STUN_A_LIFETIME);
	uint32_t want;

	if (!la || stun_get_u32(la, &want))
		return s->p.default_lifetime;
	if (want > s->p.max_lifetime)
		want = s->p.max_lifetime;
	return want > s->p.default_lifetime ? want : s->p.default_lifetime;
}

/* Schedule the allocation's timer at its earliest expiry. */
void turn_alloc_rearm(struct allocation *a, uint64_t now_ms)
{
	uint64_t when = a->expires;

	(void)now_ms;
	for (int i = 0; i < a->nperms; i++)
		if (a->perms[i].expires < when)
			when = a->perms[i].expires;
	for (int i = 0; i < a->nchans; i++) {
		/* a live channel wakes us at expiry, an idle one when its quarantine ends */
		uint64_t e = a->chans[i].expires;

		if (!a->chans[i].live)
			e += TURN_CHAN_QUARANTINE_S * 1000ull;
		if (e < when)
			when = e;
	}
	timerq_set(a->srv->tq, &a->timer, when);
}

static void fill_fwd(const struct allocation *a, struct turn_fwd *f);
static void alloc_free(struct allocation *a);

/* Tell the fast path (if any) the allocation's current forwarding state. */
void turn_fwd_notify(struct allocation *a)
{
	struct turn_fwd f;

	a->srv->generation++;
	if (!a->srv->ops.fwd_sync)
		return;
	fill_fwd(a, &f);
	a->srv->ops.fwd_sync(a->srv->ops.ctx, &f);
}

static void fill_fwd(const struct allocation *a, struct turn_fwd *f_)
{
	struct turn_fwd f;

	f.id = a->id;
	f.user = a->user->name;
	f.key = a->key;
	f.tuple = &a->tuple;
	f.relay = a->relay;
	f.relayed = a->relayed;
	f.nrelay = a->nrelay;
	f.expires = a->expires;
	f.perms = a->perms;
	f.nperms = a->nperms;
	f.chans = a->chans;
	f.nchans = a->nchans;
	f.max_bps = a->srv->p.max_bps;
	f.bps_burst = a->srv->p.bps_burst;
	*f_ = f;
}

static void unlink_alloc(struct turn_server *s, struct allocation *a)
{
	struct allocation **pp;

	for (pp = &s->buckets[turn_tuple_bucket(s, &a->tuple)]; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	for (pp = &s->by_id[turn_id_bucket(s, a->id)]; *pp; pp = &(*pp)->id_next)
		if (*pp == a) {
			*pp = a->id_next;
			break;
		}
}

void turn_alloc_release(struct allocation *a, const char *why)
{
	struct turn_server *s = a->srv;
	char ca[ADDR_STRLEN];

	pr_info("allocation released id=%llu reason=%s user=\"%s\" client=%s c2p_pkts=%llu "
		"p2c_pkts=%llu", (unsigned long long)a->id, why, a->user->name,
		addr_format(&a->tuple.client, ca, sizeof(ca)), (unsigned long long)a->pkts_c2p,
		(unsigned long long)a->pkts_p2c);
	timerq_del(s->tq, &a->timer);
	unlink_alloc(s, a);
	s->generation++;
	if (s->ops.fwd_release)
		s->ops.fwd_release(s->ops.ctx, a->id);
	for (int i = 0; i < a->nrelay; i++) {
		turn_handle_bind(s, a->relay[i], NULL);
		s->ops.relay_close(s->ops.ctx, a->relay[i]);
	}
	s->st.permissions -= (uint64_t)a->nperms;
	for (int i = 0; i < a->nchans; i++)
		s->st.channels -= a->chans[i].live;
	s->st.allocations--;
	user_put(s, a->user);
	alloc_free(a);
}

static void alloc_free(struct allocation *a)
{
	free(a->perms);
	free(a->chans);
	free(a);
}

static void alloc_timer(struct timer *t, uint64_t now_ms)
{
	struct allocation *a = container_of(t, struct allocation, timer);

	if (a->expires <= now_ms) {
		a->srv->st.allocs_expired++;
		turn_alloc_release(a, "expired");
		return;
	}
	if (turn_alloc_sweep(a, now_ms))
		turn_fwd_notify(a);
	turn_alloc_rearm(a, now_ms);
}

static void reservation_timer(struct timer *t, uint64_t now_ms)
{
	struct reservation *rv = container_of(t, struct reservation, timer);
	struct reservation **pp = &rv->srv->reservations;

	(void)now_ms;
	for (; *pp; pp = &(*pp)->next)
		if (*pp == rv) {
			*pp = rv->next;
			break;
		}
	rv->srv->ops.relay_close(rv->srv->ops.ctx, rv->handle);
	free(rv);
}

/* Take the reservation for token (removing it); NULL if none. */
static struct reservation *reservation_take(struct turn_server *s, const uint8_t *token)
{
	for (struct reservation **pp = &s->reservations; *pp; pp = &(*pp)->next) {
		struct reservation *rv = *pp;

		if (!memcmp(rv->token, token, 8)) {
			*pp = rv->next;
			timerq_del(s->tq, &rv->timer);
			return rv;
		}
	}
	return NULL;
}

static int reservation_add(struct turn_server *s, int handle, const sockaddr_u *addr,
			   uint64_t now_ms, uint8_t token[8])
{
	struct reservation *rv = calloc(1, sizeof(*rv));

	if (!rv || RAND_bytes(rv->token, 8) != 1) {
		free(rv);
		return -ENOMEM;
	}
	rv->handle = handle;
	rv->addr = *addr;
	rv->srv = s;
	timer_init(&rv->timer, reservation_timer);
	if (timerq_set(s->tq, &rv->timer, now_ms + TURN_RESERVATION_S * 1000ull)) {
		free(rv);
		return -ENOMEM;
	}
	rv->next = s->reservations;
	s->reservations = rv;
	memcpy(token, rv->token, 8);
	return 0;
}

struct alloc_req {
	int fam[2];
	int nfam;
	bool even, reserve;
	const uint8_t *token;
};

/* Check an Allocate's attributes (RFC 8656 7.2). Returns 0, or the error code to send. */
static int parse_allocate(const struct stun_msg *m, struct alloc_req *ar)
{
	const struct stun_attr *rt = stun_find(m, STUN_A_REQUESTED_TRANSPORT);
	const struct stun_attr *raf = stun_find(m, STUN_A_REQUESTED_ADDRESS_FAMILY);
	const struct stun_attr *aaf = stun_find(m, STUN_A_ADDITIONAL_ADDRESS_FAMILY);
	const struct stun_attr *ep = stun_find(m, STUN_A_EVEN_PORT);
	const struct stun_attr *tok = stun_find(m, STUN_A_RESERVATION_TOKEN);
	uint8_t proto;
	int af;

	if (!aaf)
		aaf = stun_find(m, STUN_A_ADDITIONAL_ADDRESS_FAMILY_DRAFT);
	memset(ar, 0, sizeof(*ar));
	if (!rt || stun_get_transport(rt, &proto))
		return 400;
	if (proto != IPPROTO_UDP)
		return 442;
	/* EVEN-PORT beside ADDITIONAL-ADDRESS-FAMILY (coturn's uclient -Z sends both) applies
	 * to the first family only */
	if ((tok && (ep || raf || aaf)) || (raf && aaf))
		return 400;
	ar->fam[0] = AF_INET;
	ar->nfam = 1;
	if (raf) {
		int err = stun_get_family(raf, &af);

		if (err)
			return err == -EAFNOSUPPORT ? 440 : 400;
		ar->fam[0] = af;
	}
	if (aaf) {
		if (stun_get_family(aaf, &af) || af != AF_INET6)
			return 400;
		ar->fam[ar->nfam++] = AF_INET6;
	}
	if (tok) {
		if (tok->len != 8)
			return 400;
		ar->token = tok->val;
	}
	if (ep) {
		if (stun_get_even_port(ep, &ar->reserve))
			return 400;
		ar->even = true;
	}
	return 0;
}

static int quota_check(struct turn_server *s, const char *user)
{
	struct user_count *u = user_get(s, user, false);

	if (s->p.max_per_user && u && u->n >= s->p.max_per_user) {
		s->st.limit_hits[LIMIT_PER_USER]++;
		pr_info("allocation refused user=\"%s\" reason=max_per_user limit=%u code=486",
			user, s->p.max_per_user);
		return 486;
	}
	if (s->p.max_total && s->st.allocations >= s->p.max_total) {
		s->st.limit_hits[LIMIT_TOTAL]++;
		pr_info("allocation refused user=\"%s\" reason=max_total limit=%u code=486", user,
			s->p.max_total);
		return 486;
	}
	return 0;
}

static int open_error(int rc)
{
	return rc == -EAFNOSUPPORT ? 440 : 508;
}

/*
 * Open the relayed addresses. Returns 0 or an error code; *addr_err gets the code for an
 * additional family that could not be had (the allocation still succeeds without it).
 */
static int open_relays(struct req *r, struct allocation *a, const struct alloc_req *ar,
		       uint8_t token[8], bool *have_token, int *addr_err)
{
	struct turn_server *s = r->s;
	unsigned flags = (ar->even ? TURN_RELAY_EVEN : 0) | (ar->reserve ? TURN_RELAY_RESERVE_NEXT : 0);
	sockaddr_u next_addr;
	int next = -1, h;

	if (ar->token) {
		struct reservation *rv = reservation_take(s, ar->token);

		if (!rv)
			return 508;
		a->relay[0] = rv->handle;
		a->relayed[0] = rv->addr;
		a->nrelay = 1;
		free(rv);
		return 0;
	}
	for (int i = 0; i < ar->nfam; i++) {
		h = s->ops.relay_open(s->ops.ctx, ar->fam[i], i ? 0 : flags, &a->relayed[a->nrelay],
				      &next, &next_addr);
		if (h < 0 && i == 0)
			return open_error(h);
		if (h < 0) {
			*addr_err = open_error(h);
			continue;
		}
		a->relay[a->nrelay++] = h;
		if (i == 0 && ar->reserve && next >= 0) {
			if (reservation_add(s, next, &next_addr, r->now->ms, token))
				s->ops.relay_close(s->ops.ctx, next);
			else
				*have_token = true;
		}
	}
	return 0;
}

static void allocate_reply(struct req *r, struct allocation *a, uint32_t lifetime,
			   const uint8_t *token, int addr_err)
{
	struct stun_writer w;

	turn_reply_begin(r, &w, STUN_SUCCESS);
	for (int i = 0; i < a->nrelay; i++)
		stun_put_xaddr(&w, STUN_A_XOR_RELAYED_ADDRESS, &a->relayed[i]);
	stun_put_u32(&w, STUN_A_LIFETIME, lifetime);
	if (token)
		stun_put(&w, STUN_A_RESERVATION_TOKEN, token, 8);
	stun_put_xaddr(&w, STUN_A_XOR_MAPPED_ADDRESS, &r->t->client);
	if (addr_err)
		stun_put_addr_error(&w, AF_INET6, addr_err, stun_reason(addr_err));
	turn_reply_send(r, &w);
}

static void alloc_insert(struct turn_server *s, struct allocation *a)
{
	uint32_t h = turn_tuple_bucket(s, &a->tuple), hi = turn_id_bucket(s, a->id);

	a->next = s->buckets[h];
	s->buckets[h] = a;
	a->id_next = s->by_id[hi];
	s->by_id[hi] = a;
	s->st.allocations++;
	s->st.allocs_created++;
}

static void log_created(const struct allocation *a, uint32_t lifetime)
{
	char ca[ADDR_STRLEN], ra[ADDR_STRLEN], rb[ADDR_STRLEN] = "";

	addr_format(&a->tuple.client, ca, sizeof(ca));
	addr_format(&a->relayed[0], ra, sizeof(ra));
	if (a->nrelay > 1)
		addr_format(&a->relayed[1], rb, sizeof(rb));
	pr_info("allocation created id=%llu user=\"%s\" client=%s relayed=%s%s%s lifetime=%u",
		(unsigned long long)a->id, a->user->name, ca, ra, a->nrelay > 1 ? "," : "", rb,
		lifetime);
}

void turn_allocate(struct req *r)
{
	struct turn_server *s = r->s;
	struct alloc_req ar;
	struct allocation *a;
	uint8_t token[8];
	bool have_token = false;
	int code, addr_err = 0;
	uint32_t lifetime;

	if (r->a && !memcmp(r->a->alloc_tid, r->m->tid, STUN_TID_LEN)) {
		/* a retransmission whose cached answer is gone: answer it again */
		uint64_t left = r->a->expires > r->now->ms ? r->a->expires - r->now->ms : 0;

		allocate_reply(r, r->a, (uint32_t)(left / 1000), NULL, 0);
		return;
	}
	if (r->a) {
		turn_reply_error(r, 437);
		return;
	}
	code = parse_allocate(r->m, &ar);
	if (!code)
		code = quota_check(s, r->user);
	if (code) {
		turn_reply_error(r, code);
		return;
	}
	a = calloc(1, sizeof(*a));
	if (!a || !(a->user = user_get(s, r->user, true))) {
		free(a);
		turn_reply_error(r, 508);
		return;
	}
	a->user->n++;
	a->relay[0] = a->relay[1] = -1;
	a->srv = s;
	a->tuple = *r->t;
	a->id = s->next_id++;
	memcpy(a->key, r->key, sizeof(a->key));
	memcpy(a->alloc_tid, r->m->tid, STUN_TID_LEN);
	timer_init(&a->timer, alloc_timer);
	code = open_relays(r, a, &ar, token, &have_token, &addr_err);
	for (int i = 0; !code && i < a->nrelay; i++)
		if (turn_handle_bind(s, a->relay[i], a))
			code = 508;
	if (code)
		goto fail;
	lifetime = pick_lifetime(s, r->m);
	a->expires = r->now->ms + lifetime * 1000ull;
	alloc_insert(s, a);
	turn_alloc_rearm(a, r->now->ms);
	turn_fwd_notify(a);
	log_created(a, lifetime);
	allocate_reply(r, a, lifetime, have_token ? token : NULL, addr_err);
	return;
fail:
	for (int i = 0; i < a->nrelay; i++) {
		turn_handle_bind(s, a->relay[i], NULL);
		s->ops.relay_close(s->ops.ctx, a->relay[i]);
	}
	user_put(s, a->user);
	alloc_free(a);
	turn_reply_error(r, code);
}

static bool has_family(const struct allocation *a, int af)
{
	for (int i = 0; i < a->nrelay; i++)
		if (a->relayed[i].sa.sa_family == af)
			return true;
	return false;
}

void turn_refresh(struct req *r)
{
	const struct stun_attr *la = stun_find(r->m, STUN_A_LIFETIME);
	const struct stun_attr *raf = stun_find(r->m, STUN_A_REQUESTED_ADDRESS_FAMILY);
	struct allocation *a = r->a;
	struct stun_writer w;
	uint32_t want = 1, lifetime;
	int af;

	if (raf && (stun_get_family(raf, &af) || !has_family(a, af))) {
		turn_reply_error(r, 443);
		return;
	}
	if (la && stun_get_u32(la, &want)) {
		turn_reply_error(r, 400);
		return;
	}
	lifetime = want ? pick_lifetime(r->s, r->m) : 0;
	turn_reply_begin(r, &w, STUN_SUCCESS);
	stun_put_u32(&w, STUN_A_LIFETIME, lifetime);
	turn_reply_send(r, &w);
	if (!lifetime) {
		turn_alloc_release(a, "deleted");
		return;
	}
	a->expires = r->now->ms + lifetime * 1000ull;
	turn_alloc_rearm(a, r->now->ms);
	turn_fwd_notify(a);
}

void turn_foreach_fwd(const struct turn_server *s,
		      void (*fn)(const struct turn_fwd *f, void *arg), void *arg)
{
	struct turn_fwd f;

	for (size_t i = 0; i < s->nbuckets; i++)
		for (const struct allocation *a = s->buckets[i]; a; a = a->next) {
			fill_fwd(a, &f);
			fn(&f, arg);
		}
}

/*
 * Copy a saved allocation's permissions and channels, dropping the expired ones. A saved
 * allocation may hold more than today's limits allow (they were lowered): it keeps them.
 */
static int restore_entries(struct allocation *a, const struct turn_fwd *f, uint64_t now_ms)
{
	struct turn_server *s = a->srv;

	if (turn_reserve(a, f->nperms, f->nchans))
		return -ENOMEM;

	for (int i = 0; i < f->nperms; i++) {
		if (f->perms[i].expires <= now_ms)
			continue;
		a->perms[a->nperms++] = f->perms[i];
		s->st.permissions++;
	}
	for (int i = 0; i < f->nchans; i++) {
		struct turn_chan c = f->chans[i];

		c.live = c.expires > now_ms;
		if (!c.live && c.expires + TURN_CHAN_QUARANTINE_S * 1000ull <= now_ms)
			continue;
		a->chans[a->nchans++] = c;
		s->st.channels += c.live;
	}
	return 0;
}

int turn_restore(struct turn_server *s, const struct turn_fwd *f, uint64_t now_ms)
{
	struct allocation *a;

	if (f->expires <= now_ms)
		return -ESTALE;
	if (!f->user || !*f->user || f->nrelay < 1 || f->nrelay > 2)
		return -EINVAL;
	if (f->nperms < 0 || f->nchans < 0 || (f->nperms && !f->perms) ||
	    (f->nchans && !f->chans))
		return -EINVAL;
	if (f->nperms > TURN_PERMS_MAX || f->nchans > TURN_CHANS_MAX)
		return -E2BIG;
	if (turn_find(s, f->tuple) || turn_find_id(s, f->id))
		return -EEXIST;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->srv = s;
	if (restore_entries(a, f, now_ms) || !(a->user = user_get(s, f->user, true))) {
		s->st.permissions -= (uint64_t)a->nperms;
		for (int i = 0; i < a->nchans; i++)
			s->st.channels -= a->chans[i].live;
		alloc_free(a);
		return -ENOMEM;
	}
	a->user->n++;
	a->id = f->id;
	a->tuple = *f->tuple;
	memcpy(a->key, f->key, AUTH_KEY_LEN);
	a->expires = f->expires;
	a->nrelay = f->nrelay;
	a->relay[1] = -1;
	for (int i = 0; i < f->nrelay; i++) {
		a->relay[i] = f->relay[i];
		a->relayed[i] = f->relayed[i];
		turn_handle_bind(s, f->relay[i], a);
	}
	timer_init(&a->timer, alloc_timer);
	alloc_insert(s, a);
	if (a->id >= s->next_id && a->id != UINT64_MAX)	/* never wrap to id 0 */
		s->next_id = a->id + 1;
	turn_alloc_rearm(a, now_ms);
	turn_fwd_notify(a);
	pr_info("allocation restored id=%llu user=\"%s\" permissions=%d channels=%d",
		(unsigned long long)a->id, a->user->name, a->nperms, a->nchans);
	return 0;
}
