/* turn.c - the TURN core's front: server object, request dispatch, authentication, replies. */
#include "turn_int.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chandata.h"
#include "log.h"

static uint32_t limit_or(uint32_t v, uint32_t dflt, uint32_t max)
{
	return !v ? dflt : v > max ? max : v;
}

/* Fill in the limits' defaults; the source limiter when there is one. 0 or -errno. */
static int setup_limits(struct turn_server *s)
{
	struct turn_params *p = &s->p;
	uint64_t seed;
	uint32_t burst;

	p->max_perms = limit_or(p->max_perms, TURN_PERMS_DEFAULT, TURN_PERMS_MAX);
	p->max_chans = limit_or(p->max_chans, TURN_CHANS_DEFAULT, TURN_CHANS_MAX);
	if (p->max_bps) {
		if (!p->bps_burst)
			p->bps_burst = p->max_bps;
		s->bps_tau_ns = (uint64_t)p->bps_burst * 1000000000ull / p->max_bps;
	} else {
		p->bps_burst = 0;
	}
	if (!p->unauth_rate)
		return 0;
	if (p->unauth_rate > SRCLIMIT_MAX_RATE)
		p->unauth_rate = SRCLIMIT_MAX_RATE;
	burst = p->unauth_burst ? p->unauth_burst : 2 * p->unauth_rate;
	p->unauth_burst = burst;
	if (RAND_bytes((uint8_t *)&seed, sizeof(seed)) != 1)
		return -EIO;
	s->unauth = srclimit_new(p->unauth_rate, burst, seed);
	return s->unauth ? 0 : -errno;
}

struct turn_server *turn_new(const struct turn_params *p, struct auth *auth,
			     const struct peer_policy *policy, struct timerq *tq,
			     const struct turn_ops *ops)
{
	struct turn_server *s = calloc(1, sizeof(*s));
	int err = -ENOMEM;

	if (!s)
		return NULL;
	s->p = *p;
	s->nbuckets = p->hash_buckets ? p->hash_buckets : TURN_BUCKETS;
	if ((s->nbuckets & (s->nbuckets - 1)) || (p->txcache_slots & (p->txcache_slots - 1))) {
		err = -EINVAL;
		goto fail;
	}
	s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
	s->by_id = calloc(s->nbuckets, sizeof(*s->by_id));
	if (!s->buckets || !s->by_id)
		goto fail;
	s->software = p->software && *p->software ? strdup(p->software) : NULL;
	s->txc = txcache_new(p->txcache_slots);
	if ((p->software && *p->software && !s->software) || !s->txc)
		goto fail;
	err = setup_limits(s);
	if (err)
		goto fail;
	s->p.software = s->software;
	s->auth = auth;
	s->policy = policy;
	s->tq = tq;
	s->ops = *ops;
	s->next_id = p->first_id ? p->first_id : 1;
	return s;
fail:
	txcache_free(s->txc);
	free(s->software);
	free(s->buckets);
	free(s->by_id);
	free(s);
	errno = -err;
	return NULL;
}

static void free_reservations(struct turn_server *s)
{
	while (s->reservations) {
		struct reservation *rv = s->reservations;

		s->reservations = rv->next;
		timerq_del(s->tq, &rv->timer);
		s->ops.relay_close(s->ops.ctx, rv->handle);
		free(rv);
	}
}

void turn_free(struct turn_server *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nbuckets; i++)
		while (s->buckets[i])
			turn_alloc_release(s->buckets[i], "shutdown");
	free_reservations(s);
	free(s->by_handle);
	free(s->buckets);
	free(s->by_id);
	txcache_free(s->txc);
	srclimit_free(s->unauth);
	free(s->software);
	free(s);
}

void turn_set_auth(struct turn_server *s, struct auth *auth)
{
	s->auth = auth;
}

void turn_set_policy(struct turn_server *s, const struct peer_policy *policy)
{
	s->policy = policy;
}

uint64_t turn_generation(const struct turn_server *s)
{
	return s->generation;
}

void turn_count_drops(struct turn_server *s, enum turn_drop why, uint64_t n)
{
	if (why >= 0 && why < DROP_NR)
		s->st.drops[why] += n;
}

const struct turn_stats *turn_get_stats(const struct turn_server *s)
{
	return &s->st;
}

/* What a nonce is bound to: the client's IP address (4 or 16 bytes), not its port. */
static size_t nonce_binding(const sockaddr_u *client, uint8_t out[16])
{
	sockaddr_u a = *client;

	addr_unmap_v4(&a);
	if (a.sa.sa_family == AF_INET6) {
		memcpy(out, a.v6.sin6_addr.s6_addr, 16);
		return 16;
	}
	memcpy(out, &a.v4.sin_addr, 4);
	return 4;
}

void turn_make_nonce(const struct turn_server *s, const sockaddr_u *client, uint64_t now_s,
		     char out[AUTH_NONCE_LEN + 1])
{
	uint8_t b[16];

	auth_make_nonce_bound(s->auth, now_s, b, nonce_binding(client, b), out);
}

uint32_t turn_tuple_bucket(const struct turn_server *s, const struct turn_tuple *t)
{
	return addr_hash(&t->client, addr_hash(&t->server, t->proto)) & (s->nbuckets - 1);
}

uint32_t turn_id_bucket(const struct turn_server *s, uint64_t id)
{
	return (uint32_t)(id & (s->nbuckets - 1));
}

struct allocation *turn_find_id(const struct turn_server *s, uint64_t id)
{
	struct allocation *a = s->by_id[turn_id_bucket(s, id)];

	while (a && a->id != id)
		a = a->id_next;
	return a;
}

struct allocation *turn_find(struct turn_server *s, const struct turn_tuple *t)
{
	struct allocation *a = s->buckets[turn_tuple_bucket(s, t)];

	for (; a; a = a->next)
		if (a->tuple.proto == t->proto && addr_equal(&a->tuple.client, &t->client) &&
		    addr_equal(&a->tuple.server, &t->server))
			return a;
	return NULL;
}

void turn_reply_begin(struct req *r, struct stun_writer *w, uint16_t cls)
{
	stun_begin(w, r->s->out, sizeof(r->s->out), r->m->method, cls, r->m->tid);
}

/* Seal (integrity when authenticated, fingerprint when the request had one), send, cache. */
void turn_reply_send(struct req *r, struct stun_writer *w)
{
	int len;

	if (r->authed && r->s->software)
		stun_put_str(w, STUN_A_SOFTWARE, r->s->software);
	if (r->authed && r->sha256)
		stun_put_integrity_sha256(w, r->key, sizeof(r->key));
	else if (r->authed)
		stun_put_integrity(w, r->key, sizeof(r->key));
	if (r->m->fp >= 0)
		stun_put_fingerprint(w);
	len = stun_end(w);
	if (len < 0) {
		pr_err("reply dropped method=0x%03x reason=\"%s\"", r->m->method, strerror(-len));
		return;
	}
	r->s->ops.send_client(r->s->ops.ctx, r->t, w->buf, (size_t)len);
	if (r->m->cls == STUN_REQUEST)
		txcache_put(r->s->txc, &r->t->client, r->m->tid, w->buf, (size_t)len, r->now->ms);
}

void turn_reply_error_ex(struct req *r, int code, const uint16_t *unknown, size_t nunknown)
{
	struct stun_writer w;
	char ca[ADDR_STRLEN];

	pr_debug("request refused method=0x%03x code=%d client=%s", r->m->method, code,
		 addr_format(&r->t->client, ca, sizeof(ca)));
	turn_reply_begin(r, &w, STUN_ERROR);
	stun_put_error(&w, code, stun_reason(code));
	if (nunknown)
		stun_put_unknown(&w, unknown, nunknown);
	if (code == 401 || code == 438) {
		char nonce[AUTH_NONCE_LEN + 1];

		turn_make_nonce(r->s, &r->t->client, r->now->wall_s, nonce);
		stun_put_str(&w, STUN_A_REALM, auth_realm(r->s->auth));
		stun_put_str(&w, STUN_A_NONCE, nonce);
		r->authed = false;
	}
	turn_reply_send(r, &w);
}

void turn_reply_error(struct req *r, int code)
{
	turn_reply_error_ex(r, code, NULL, 0);
}

static void auth_failed(struct req *r, int code, enum turn_auth_fail reason)
{
	static const char *const why[AUTH_FAIL_NR] = { "unknown-user", "bad-integrity",
						       "expired", "wrong-user" };
	char ca[ADDR_STRLEN];

	r->s->st.auth_failures++;
	r->s->st.auth_fail[reason]++;
	pr_info("auth failure client=%s user=\"%.64s\" reason=%s code=%d",
		addr_format(&r->t->client, ca, sizeof(ca)), r->user, why[reason], code);
	turn_reply_error(r, code);
}

/* Try each candidate key; on success r->key holds the one that verified. */
static bool verify_keys(struct req *r, uint8_t keys[][AUTH_KEY_LEN], int n)
{
	for (int i = 0; i < n; i++) {
		if (!stun_check_integrity(r->m, keys[i], AUTH_KEY_LEN)) {
			memcpy(r->key, keys[i], AUTH_KEY_LEN);
			return true;
		}
	}
	return false;
}

/*
 * Long-term credential check (RFC 8489 9.2.4). Returns 0 when the request is
 * authenticated; otherwise the error has been sent and -1 returned.
 */
static int authenticate(struct req *r)
{
	const struct stun_msg *m = r->m;
	const struct stun_attr *u = stun_find(m, STUN_A_USERNAME);
	const struct stun_attr *realm = stun_find(m, STUN_A_REALM);
	const struct stun_attr *nonce = stun_find(m, STUN_A_NONCE);
	uint8_t keys[4][AUTH_KEY_LEN], bind[16];
	size_t blen = nonce_binding(&r->t->client, bind);
	int n;

	if (m->mi < 0 && m->mi256 < 0) {
		turn_reply_error(r, 401);	/* the normal first round trip */
		return -1;
	}
	if (!u || !realm || !nonce || !u->len || u->len > AUTH_MAX_NAME) {
		turn_reply_error(r, 400);
		return -1;
	}
	memcpy(r->user, u->val, u->len);
	r->user[u->len] = 0;
	if (auth_check_nonce_bound(r->s->auth, nonce->val, nonce->len, r->now->wall_s, bind,
				   blen)) {
		turn_reply_error(r, 438);
		return -1;
	}
	n = auth_get_keys(r->s->auth, r->user, u->len, r->now->wall_s, keys, 4);
	if (n == AUTH_EXPIRED) {
		auth_failed(r, 401, AUTH_FAIL_EXPIRED);
		return -1;
	}
	if (n <= 0) {
		auth_failed(r, 401, AUTH_FAIL_UNKNOWN_USER);
		return -1;
	}
	if (!verify_keys(r, keys, n)) {
		auth_failed(r, 401, AUTH_FAIL_BAD_INTEGRITY);
		return -1;
	}
	r->authed = true;
	r->sha256 = m->mi256 >= 0;
	if (r->a && strcmp(r->a->user->name, r->user)) {
		auth_failed(r, 441, AUTH_FAIL_WRONG_USER);
		return -1;
	}
	return 0;
}

static void binding(struct req *r)
{
	struct stun_writer w;

	if (r->m->nunknown) {
		turn_reply_error_ex(r, 420, r->m->unknown, r->m->nunknown);
		return;
	}
	/* No MAPPED-ADDRESS: it is for RFC 3489 clients (RFC 8489 14.1), whose requests lack
	 * the magic cookie and are not answered; it would only make the answer bigger. */
	turn_reply_begin(r, &w, STUN_SUCCESS);
	stun_put_xaddr(&w, STUN_A_XOR_MAPPED_ADDRESS, &r->t->client);
	turn_reply_send(r, &w);
}

static void on_request(struct turn_server *s, const struct turn_tuple *t,
		       const struct stun_msg *m, const struct turn_clock *now)
{
	struct req r = { .s = s, .t = t, .m = m, .now = now };
	const uint8_t *cached;
	bool charged;
	size_t clen;

	r.a = turn_find(s, t);
	charged = !r.a && s->unauth;
	if (charged && !srclimit_take(s->unauth, &t->client, now->ms)) {
		/* Unanswered: an answer is what a spoofed source would be after. */
		s->st.limit_hits[LIMIT_UNAUTH_RATE]++;
		return;
	}
	s->st.requests++;
	cached = txcache_get(s->txc, &t->client, m->tid, &clen, now->ms);
	if (cached) {
		s->ops.send_client(s->ops.ctx, t, cached, clen);
		return;
	}
	switch (m->method) {
	case STUN_BINDING:
		binding(&r);
		return;
	case TURN_ALLOCATE:
	case TURN_REFRESH:
	case TURN_CREATE_PERMISSION:
	case TURN_CHANNEL_BIND:
		break;
	default:
		turn_reply_error(&r, 400);
		return;
	}
	if (authenticate(&r))
		return;
	/* Authenticated: its nonce came back from this address, it forged nothing. */
	if (charged)
		srclimit_refund(s->unauth, &t->client);
	if (m->nunknown) {
		turn_reply_error_ex(&r, 420, m->unknown, m->nunknown);
		return;
	}
	if (m->method == TURN_ALLOCATE)
		turn_allocate(&r);
	else if (!r.a)
		turn_reply_error(&r, 437);
	else if (m->method == TURN_REFRESH)
		turn_refresh(&r);
	else if (m->method == TURN_CREATE_PERMISSION)
		turn_create_permission(&r);
	else
		turn_channel_bind(&r);
}

static void on_stun(struct turn_server *s, const struct turn_tuple *t, const uint8_t *buf,
		    size_t len, const struct turn_clock *now)
{
	struct stun_msg m;

	if (stun_decode(buf, len, &m)) {
		s->st.drops[DROP_MALFORMED]++;
		return;
	}
	if (m.cls == STUN_REQUEST)
		on_request(s, t, &m, now);
	else if (m.cls == STUN_INDICATION && m.method == TURN_SEND)
		turn_send_indication(s, t, &m, now);
	else
		s->st.drops[DROP_UNEXPECTED]++;
}

void turn_on_client(struct turn_server *s, const struct turn_tuple *t, const uint8_t *buf,
		    size_t len, const struct turn_clock *now)
{
	if (!len) {
		s->st.drops[DROP_MALFORMED]++;
		return;
	}
	switch (demux_first_byte(buf[0])) {
	case DEMUX_STUN:
		on_stun(s, t, buf, len, now);
		break;
	case DEMUX_CHANDATA:
		turn_client_chandata(s, t, buf, len, now);
		break;
	default:
		s->st.drops[DROP_MALFORMED]++;
	}
}

static void alloc_info(const struct allocation *a, uint64_t now_ms, struct turn_alloc_info *ai)
{
	memset(ai, 0, sizeof(*ai));
	ai->id = a->id;
	snprintf(ai->user, sizeof(ai->user), "%s", a->user->name);
	ai->tuple = a->tuple;
	ai->nrelayed = a->nrelay;
	for (int i = 0; i < a->nrelay; i++)
		ai->relayed[i] = a->relayed[i];
	ai->lifetime_left = a->expires > now_ms ? (uint32_t)((a->expires - now_ms) / 1000) : 0;
	ai->npermissions = (size_t)a->nperms;
	for (int i = 0; i < a->nchans; i++)
		ai->nchannels += a->chans[i].expires > now_ms;
	ai->pkts_c2p = a->pkts_c2p;
	ai->bytes_c2p = a->bytes_c2p;
	ai->pkts_p2c = a->pkts_p2c;
	ai->bytes_p2c = a->bytes_p2c;
}

int turn_foreach_alloc(const struct turn_server *s, uint64_t now_ms,
		       int (*fn)(const struct turn_alloc_info *ai, void *arg), void *arg)
{
	struct turn_alloc_info ai;
	int rc;

	for (size_t i = 0; i < s->nbuckets; i++) {
		for (const struct allocation *a = s->buckets[i]; a; a = a->next) {
			alloc_info(a, now_ms, &ai);
			rc = fn(&ai, arg);
			if (rc)
				return rc;
		}
	}
	return 0;
}

int turn_kill_alloc(struct turn_server *s, uint64_t id)
{
	struct allocation *a = turn_find_id(s, id);

	if (!a)
		return -ENOENT;
	turn_alloc_release(a, "killed");
	return 0;
}

int turn_kill_user(struct turn_server *s, const char *name)
{
	struct allocation *a, *next;
	int n = 0;

	for (size_t i = 0; i < s->nbuckets; i++)
		for (a = s->buckets[i]; a; a = next) {
			next = a->next;
			if (!strcmp(a->user->name, name)) {
				turn_alloc_release(a, "killed");
				n++;
			}
		}
	return n;
}

int turn_get_alloc(const struct turn_server *s, uint64_t id, uint64_t now_ms,
		   struct turn_alloc_info *ai,
		   void (*fn_perm)(const struct turn_perm *p, void *arg),
		   void (*fn_chan)(const struct turn_chan *c, void *arg), void *arg)
{
	const struct allocation *a = turn_find_id(s, id);

	if (!a)
		return -ENOENT;
	alloc_info(a, now_ms, ai);
	for (int k = 0; fn_perm && k < a->nperms; k++)
		fn_perm(&a->perms[k], arg);
	for (int k = 0; fn_chan && k < a->nchans; k++)
		if (a->chans[k].live && a->chans[k].expires > now_ms)
			fn_chan(&a->chans[k], arg);
	return 0;
}
