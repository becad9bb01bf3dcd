/* test_turn.c - the TURN core (RFC 8656 over UDP) driven with fake relays and fake time. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stun.h"
#include "tap.h"
#include "turn.h"
#include "turn_client.h"

#define REALM "example.org"
#define SOFTWARE "turnd-test/1.0"
#define SECRET "north"
#define FIRST_HANDLE 100
#define MAX_HANDLES 256
#define FIRST_PORT 49152
#define T0_MS 5000000ull		/* monotonic clock at setup */
#define T0_WALL 1700000000ull		/* wall clock at setup */
#define NTUPLES 8
#define P1 "198.51.100.7:6000"		/* documentation peers, allowed by the default policy */
#define P2 "203.0.113.9:7000"
#define P6 "[2001:db8:1::5]:8000"

/* One datagram the core handed to the I/O layer. */
struct sent {
	bool to_peer;
	struct turn_tuple tuple;	/* to a client */
	int handle;			/* to a peer: from this relay */
	sockaddr_u peer;
	bool df;
	size_t len;
	uint8_t *buf;
};

/* The fake I/O layer: relay handles 100, 101, ... and a log of everything sent. */
struct fake {
	struct sent *log;
	size_t nlog, cap;
	int next_handle;
	uint16_t next_port4, next_port6;
	int fail4, fail6;		/* what relay_open returns for that family; 0 = works */
	int opens;			/* successful relay_open calls */
	unsigned last_flags;
	int opened[MAX_HANDLES], closed[MAX_HANDLES];
	int bad_closes;			/* closes of handles never opened */
};

struct env {
	struct fake f;
	struct auth *auth;
	struct peer_policy pol;
	struct timerq tq;
	struct turn_params p;
	struct turn_server *s;
	struct turn_clock now;
	struct turn_tuple t[NTUPLES];
	uint32_t tidn;
	char nonce[AUTH_NONCE_LEN + 1];
	struct tc_creds cr;
	struct stun_msg m;		/* the last reply, decoded */
};

static const struct turn_params default_params = {
	.software = SOFTWARE,
	.default_lifetime = 600,
	.max_lifetime = 3600,
	.perm_lifetime = 300,
	.chan_lifetime = 600,
	.legacy_channels = true,
};

static void make_addr(int af, uint16_t port, sockaddr_u *a)
{
	*a = tc_addr(af == AF_INET6 ? "2001:db8::1" : "198.18.0.1");
	addr_set_port(a, port);
}

static int take_handle(struct fake *f)
{
	int h = f->next_handle++;

	f->opened[h - FIRST_HANDLE]++;
	return h;
}

static int fake_open(void *ctx, int af, unsigned flags, sockaddr_u *addr, int *next_handle,
		     sockaddr_u *next_addr)
{
	struct fake *f = ctx;
	uint16_t *port = af == AF_INET6 ? &f->next_port6 : &f->next_port4;
	int fail = af == AF_INET6 ? f->fail6 : f->fail4, h;

	f->last_flags = flags;
	if (af != AF_INET && af != AF_INET6)
		return -EAFNOSUPPORT;
	if (fail)
		return fail;
	if (f->next_handle + 2 > FIRST_HANDLE + MAX_HANDLES)
		return -EADDRINUSE;
	if ((flags & TURN_RELAY_EVEN) && (*port & 1))
		(*port)++;
	h = take_handle(f);
	make_addr(af, (*port)++, addr);
	if (flags & TURN_RELAY_RESERVE_NEXT) {
		*next_handle = take_handle(f);
		make_addr(af, (*port)++, next_addr);
	}
	f->opens++;
	return h;
}

static void fake_close(void *ctx, int h)
{
	struct fake *f = ctx;

	if (h < FIRST_HANDLE || h >= FIRST_HANDLE + MAX_HANDLES || !f->opened[h - FIRST_HANDLE]) {
		f->bad_closes++;
		return;
	}
	f->closed[h - FIRST_HANDLE]++;
}

static struct sent *log_add(struct fake *f, const uint8_t *buf, size_t len)
{
	struct sent *s;

	if (f->nlog == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 64;
		f->log = realloc(f->log, f->cap * sizeof(*f->log));
		if (!f->log)
			abort();
	}
	s = &f->log[f->nlog++];
	memset(s, 0, sizeof(*s));
	s->buf = malloc(len ? len : 1);
	if (!s->buf)
		abort();
	memcpy(s->buf, buf, len);
	s->len = len;
	return s;
}

static void fake_send_client(void *ctx, const struct turn_tuple *t, const uint8_t *buf,
			     size_t len)
{
	log_add(ctx, buf, len)->tuple = *t;
}

static void fake_send_peer(void *ctx, int handle, const sockaddr_u *peer, const uint8_t *buf,
			   size_t len, bool df)
{
	struct sent *s = log_add(ctx, buf, len);

	s->to_peer = true;
	s->handle = handle;
	s->peer = *peer;
	s->df = df;
}

static struct turn_tuple make_tuple(int i)
{
	struct turn_tuple t = { .proto = IPPROTO_UDP, .lid = 7 };
	char s[32];

	snprintf(s, sizeof(s), "192.0.2.%d:%d", 10 + i, 40000 + i);
	t.client = tc_addr(s);
	t.server = tc_addr("192.0.2.1:3478");
	return t;
}

/* Shared setup: the brief's users, secret and default policy; p NULL = default_params. */
static void setup(struct env *e, const struct turn_params *p)
{
	static const struct turn_ops ops = {
		.relay_open = fake_open,
		.relay_close = fake_close,
		.send_client = fake_send_client,
		.send_peer = fake_send_peer,
	};
	struct turn_ops o = ops;

	memset(e, 0, sizeof(*e));
	e->f.next_handle = FIRST_HANDLE;
	e->f.next_port4 = e->f.next_port6 = FIRST_PORT;
	e->auth = auth_new(REALM, 600);
	if (!e->auth || auth_add_user(e->auth, "alice", "s3cret") ||
	    auth_add_user(e->auth, "bob", "b0bpw") || auth_add_secret(e->auth, SECRET))
		abort();
	timerq_init(&e->tq);
	e->p = p ? *p : default_params;
	e->now.ms = T0_MS;
	e->now.wall_s = T0_WALL;
	for (int i = 0; i < NTUPLES; i++)
		e->t[i] = make_tuple(i);
	o.ctx = &e->f;
	e->s = turn_new(&e->p, e->auth, &e->pol, &e->tq, &o);
	if (!e->s)
		abort();
	e->tidn = 1;
}

/* Free the server, then check that every relay it opened was closed exactly once. */
static void teardown(struct env *e)
{
	int opened = 0, wrong = 0;

	turn_free(e->s);
	for (int i = 0; i < MAX_HANDLES; i++) {
		opened += e->f.opened[i];
		if (e->f.opened[i] != e->f.closed[i]) {
			diag("handle %d opened %d closed %d", FIRST_HANDLE + i, e->f.opened[i],
			     e->f.closed[i]);
			wrong++;
		}
	}
	ok(!wrong && !e->f.bad_closes, "teardown: all %d relays closed exactly once", opened);
	is_int(e->tq.n, 0, "teardown: no timer left queued");
	for (size_t i = 0; i < e->f.nlog; i++)
		free(e->f.log[i].buf);
	free(e->f.log);
	timerq_free(&e->tq);
	auth_free(e->auth);
}

/* Move both clocks on and run the timers that are due. */
static void advance(struct env *e, uint64_t ms)
{
	e->now.ms += ms;
	e->now.wall_s = T0_WALL + (e->now.ms - T0_MS) / 1000;
	timerq_run(&e->tq, e->now.ms);
}

static const struct turn_stats *stats(const struct env *e)
{
	return turn_get_stats(e->s);
}

static uint64_t drops_total(const struct env *e)
{
	uint64_t n = 0;

	for (int i = 0; i < DROP_NR; i++)
		n += stats(e)->drops[i];
	return n;
}

/*
 * Credentials of a static user, with a nonce fresh at the current time. Nonces are bound to
 * the client's IP: this one is made for e->t[0], and request_fp() makes it again for the
 * tuple the request goes out on.
 */
static const struct tc_creds *creds(struct env *e, const char *user, const char *pw)
{
	turn_make_nonce(e->s, &e->t[0].client, e->now.wall_s, e->nonce);
	tc_creds_for(&e->cr, user, REALM, pw, e->nonce);
	return &e->cr;
}

/* Is NONCE attribute n fresh now for a client at t's IP address? */
static bool nonce_ok(const struct env *e, const struct stun_attr *n, const struct turn_tuple *t)
{
	const sockaddr_u *a = &t->client;
	const void *ip = a->sa.sa_family == AF_INET6 ? (const void *)&a->v6.sin6_addr
						      : (const void *)&a->v4.sin_addr;

	return n && !auth_check_nonce_bound(e->auth, n->val, n->len, e->now.wall_s, ip,
					    a->sa.sa_family == AF_INET6 ? 16 : 4);
}

static const struct tc_creds *alice(struct env *e)
{
	return creds(e, "alice", "s3cret");
}

static const struct tc_creds *bob(struct env *e)
{
	return creds(e, "bob", "b0bpw");
}

static void begin(struct env *e, struct tc_req *q, uint16_t method)
{
	tc_begin(q, method, STUN_REQUEST, e->tidn++);
}

/*
 * Decode what the core sent since mark, which must be exactly one STUN response: its error
 * code, 0 for a success, -1 for anything else, -2 when not exactly one datagram went out.
 */
static int reply_since(struct env *e, size_t mark)
{
	const struct stun_attr *ec;
	const struct sent *s;
	const char *reason;
	size_t rlen;
	int code;

	if (e->f.nlog != mark + 1)
		return -2;
	s = &e->f.log[mark];
	if (s->to_peer || stun_decode(s->buf, s->len, &e->m))
		return -1;
	if (e->m.cls == STUN_SUCCESS)
		return 0;
	ec = stun_find(&e->m, STUN_A_ERROR_CODE);
	if (e->m.cls != STUN_ERROR || !ec || stun_get_error(ec, &code, &reason, &rlen))
		return -1;
	return code;
}

static bool tuple_equal(const struct turn_tuple *a, const struct turn_tuple *b)
{
	return a->proto == b->proto && a->lid == b->lid && addr_equal(&a->client, &b->client) &&
	       addr_equal(&a->server, &b->server);
}

/* Send raw bytes from a client; the reply as reply_since. */
static int client_raw(struct env *e, const struct turn_tuple *t, const uint8_t *buf, size_t len)
{
	size_t mark = e->f.nlog;

	turn_on_client(e->s, t, buf, len, &e->now);
	return reply_since(e, mark);
}

/*
 * Seal q (credentials c, FINGERPRINT if fp), send it on t and decode the reply into e->m.
 * Returns as reply_since, or -3 when the reply is not for this request or tuple.
 */
static int request_fp(struct env *e, const struct turn_tuple *t, struct tc_req *q,
		      const struct tc_creds *c, bool fp)
{
	size_t mark = e->f.nlog;
	int len, code;

	if (c && c->nonce == e->nonce)
		turn_make_nonce(e->s, &t->client, e->now.wall_s, e->nonce);
	len = tc_seal(q, c, fp);
	if (len < 0)
		abort();
	turn_on_client(e->s, t, q->buf, (size_t)len, &e->now);
	code = reply_since(e, mark);
	if (code >= 0 && (e->m.method != q->method || memcmp(e->m.tid, q->buf + 8, STUN_TID_LEN) ||
			  !tuple_equal(&e->f.log[mark].tuple, t)))
		return -3;
	return code;
}

static int request(struct env *e, const struct turn_tuple *t, struct tc_req *q,
		   const struct tc_creds *c)
{
	return request_fp(e, t, q, c, false);
}

/* A plain Allocate (UDP, optional LIFETIME when lifetime != 0) by a static user. */
static int allocate_as(struct env *e, const struct turn_tuple *t, const struct tc_creds *c,
		       uint32_t lifetime)
{
	struct tc_req q;

	begin(e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	if (lifetime)
		tc_lifetime(&q, lifetime);
	return request(e, t, &q, c);
}

static int allocate(struct env *e, int ti, uint32_t lifetime)
{
	return allocate_as(e, &e->t[ti], alice(e), lifetime);
}

/* Refresh; lifetime UINT32_MAX leaves LIFETIME out. */
static int refresh(struct env *e, int ti, uint32_t lifetime)
{
	struct tc_req q;

	begin(e, &q, TURN_REFRESH);
	if (lifetime != UINT32_MAX)
		tc_lifetime(&q, lifetime);
	return request(e, &e->t[ti], &q, alice(e));
}

static int create_perm(struct env *e, int ti, const char *peer)
{
	struct tc_req q;

	begin(e, &q, TURN_CREATE_PERMISSION);
	tc_peer(&q, peer);
	return request(e, &e->t[ti], &q, alice(e));
}

static int chan_bind(struct env *e, int ti, uint16_t num, const char *peer)
{
	struct tc_req q;

	begin(e, &q, TURN_CHANNEL_BIND);
	tc_channel(&q, num);
	tc_peer(&q, peer);
	return request(e, &e->t[ti], &q, alice(e));
}

/* A datagram from a peer to relay handle h; the number of datagrams the core sent. */
static size_t from_peer(struct env *e, int h, const char *peer, const void *buf, size_t len)
{
	sockaddr_u pa = tc_addr(peer);
	size_t mark = e->f.nlog;

	turn_on_peer(e->s, h, &pa, buf, len, &e->now);
	return e->f.nlog - mark;
}

/* A ChannelData from client tuple ti; the number of datagrams the core sent. */
static size_t chandata_from(struct env *e, int ti, uint16_t num, const void *data,
			    uint16_t len, size_t pad)
{
	uint8_t buf[4 + 1500 + 4];
	size_t mark = e->f.nlog, n = tc_chandata(buf, num, data, len, pad);

	turn_on_client(e->s, &e->t[ti], buf, n, &e->now);
	return e->f.nlog - mark;
}

static const struct sent *last_sent(const struct env *e)
{
	return e->f.nlog ? &e->f.log[e->f.nlog - 1] : NULL;
}

/* The n-th attribute of a type in e->m, or NULL. */
static const struct stun_attr *nth_attr(const struct env *e, uint16_t type, int n)
{
	for (size_t i = 0; i < e->m.nattrs; i++)
		if (e->m.attrs[i].type == type && !n--)
			return &e->m.attrs[i];
	return NULL;
}

static bool xaddr_is(const struct env *e, const struct stun_attr *a, const char *want)
{
	sockaddr_u got, w = tc_addr(want);

	return a && !stun_get_xaddr(&e->m, a, &got) && addr_equal(&got, &w);
}

static bool attr_is_str(const struct stun_attr *a, const char *s)
{
	return a && a->len == strlen(s) && !memcmp(a->val, s, a->len);
}

static int64_t lifetime_attr(const struct env *e)
{
	const struct stun_attr *a = stun_find(&e->m, STUN_A_LIFETIME);
	uint32_t v;

	return a && !stun_get_u32(a, &v) ? (int64_t)v : -1;
}

/* The NONCE of the last reply into out (AUTH_NONCE_LEN + 1 bytes); "" when absent. */
static void reply_nonce(const struct env *e, char *out)
{
	const struct stun_attr *n = stun_find(&e->m, STUN_A_NONCE);
	size_t len = n && n->len <= AUTH_NONCE_LEN ? n->len : 0;

	memcpy(out, len ? n->val : (const uint8_t *)"", len);
	out[len] = 0;
}

/* MESSAGE-INTEGRITY of e->m checks with the key of user/password. */
static bool integrity_ok(const struct env *e, const char *user, const char *pw)
{
	uint8_t key[AUTH_KEY_LEN];

	auth_derive_key(user, REALM, pw, key);
	return !stun_check_integrity(&e->m, key, sizeof(key));
}

static bool sent_to_peer(const struct sent *s, int h, const char *peer, const void *data,
			 size_t len)
{
	sockaddr_u pa = tc_addr(peer);

	return s && s->to_peer && s->handle == h && addr_equal(&s->peer, &pa) && s->len == len &&
	       !memcmp(s->buf, data, len);
}


static void test_binding(void)
{
	struct env e;
	struct tc_req q;
	struct turn_tuple t6 = { .proto = IPPROTO_UDP, .lid = 9 };

	setup(&e, NULL);
	tc_begin(&q, STUN_BINDING, STUN_REQUEST, 42);
	is_int(request(&e, &e.t[0], &q, NULL), 0, "binding: success on the request's tuple");
	ok(xaddr_is(&e, stun_find(&e.m, STUN_A_XOR_MAPPED_ADDRESS), "192.0.2.10:40000"),
	   "binding: XOR-MAPPED-ADDRESS is the client's address and port");
	ok(e.m.fp < 0 && e.m.mi < 0, "binding: no FINGERPRINT, no integrity when none was sent");

	tc_begin(&q, STUN_BINDING, STUN_REQUEST, 43);
	is_int(request_fp(&e, &e.t[1], &q, NULL, true), 0, "binding with FINGERPRINT: success");
	ok(xaddr_is(&e, stun_find(&e.m, STUN_A_XOR_MAPPED_ADDRESS), "192.0.2.11:40001"),
	   "binding with FINGERPRINT: XOR-MAPPED-ADDRESS right");
	ok(e.m.fp >= 0 && e.m.fp == (int)e.m.nattrs - 1,
	   "binding with FINGERPRINT: reply carries a valid FINGERPRINT, last");

	t6.client = tc_addr("[2001:db8:77::2]:51000");
	t6.server = tc_addr("[2001:db8::3478]:3478");
	tc_begin(&q, STUN_BINDING, STUN_REQUEST, 44);
	is_int(request(&e, &t6, &q, NULL), 0, "binding over IPv6: success");
	ok(xaddr_is(&e, stun_find(&e.m, STUN_A_XOR_MAPPED_ADDRESS), "[2001:db8:77::2]:51000"),
	   "binding over IPv6: XOR-MAPPED-ADDRESS right (xored with the tid)");

	tc_begin(&q, STUN_BINDING, STUN_REQUEST, 45);
	stun_put(&q.w, 0x0031, "abcd", 4);
	is_int(request(&e, &e.t[0], &q, NULL), 420, "binding with unknown attribute 0x0031: 420");
	ok(nth_attr(&e, STUN_A_UNKNOWN_ATTRIBUTES, 0) &&
	   !memcmp(nth_attr(&e, STUN_A_UNKNOWN_ATTRIBUTES, 0)->val, "\x00\x31", 2),
	   "binding 420 lists 0x0031 in UNKNOWN-ATTRIBUTES");
	is_int(stats(&e)->allocations, 0, "binding makes no allocation");
	teardown(&e);
}

/* The first Allocate has no credentials: 401, REALM, NONCE, and nothing else. */
static void check_challenge(struct env *e, bool fp)
{
	const struct stun_attr *n = stun_find(&e->m, STUN_A_NONCE);
	size_t want = fp ? 4 : 3;

	is_int(e->m.nattrs, want, "challenge%s: exactly %zu attributes", fp ? " (fp)" : "", want);
	ok(e->m.attrs[0].type == STUN_A_ERROR_CODE, "challenge: ERROR-CODE first");
	ok(attr_is_str(stun_find(&e->m, STUN_A_REALM), REALM), "challenge: REALM is the realm");
	ok(n && n->len == AUTH_NONCE_LEN && nonce_ok(e, n, &e->t[0]),
	   "challenge: NONCE is one of ours, fresh and bound to the client's address");
	ok(!nonce_ok(e, n, &e->t[1]), "challenge: NONCE not good for another address");
	ok(!stun_find(&e->m, STUN_A_SOFTWARE) && e->m.mi < 0 && e->m.mi256 < 0,
	   "challenge: no SOFTWARE, no integrity");
	if (fp)
		ok(e->m.fp == 3, "challenge: FINGERPRINT (valid, last) since the request had one");
	else
		ok(e->m.fp < 0, "challenge: no FINGERPRINT since the request had none");
}

static void test_challenge(void)
{
	struct env e;
	struct tc_req q;

	setup(&e, NULL);
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	is_int(request(&e, &e.t[0], &q, NULL), 401, "allocate without credentials: 401");
	check_challenge(&e, false);
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	is_int(request_fp(&e, &e.t[0], &q, NULL, true), 401,
	       "allocate without credentials, with FINGERPRINT: 401");
	check_challenge(&e, true);
	is_int(e.f.opens, 0, "challenge: no relay opened");
	is_int(stats(&e)->auth_failures, 0, "challenge: the first round trip is no auth failure");
	teardown(&e);
}

/* The realistic path: take REALM and NONCE from the 401, then authenticate with them. */
static void test_allocate_success(void)
{
	const struct stun_attr *sw;
	struct tc_creds c;
	struct tc_req q;
	struct env e;
	char nonce[AUTH_NONCE_LEN + 1];

	setup(&e, NULL);
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	request(&e, &e.t[0], &q, NULL);
	reply_nonce(&e, nonce);
	tc_creds_for(&c, "alice", REALM, "s3cret", nonce);
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	is_int(request_fp(&e, &e.t[0], &q, &c, true), 0, "allocate with credentials: success");
	ok(xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 0), "198.18.0.1:49152"),
	   "XOR-RELAYED-ADDRESS is the relay's address");
	ok(!nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 1), "one relayed address only");
	is_int(lifetime_attr(&e), 600, "LIFETIME 600 (the default)");
	ok(xaddr_is(&e, stun_find(&e.m, STUN_A_XOR_MAPPED_ADDRESS), "192.0.2.10:40000"),
	   "XOR-MAPPED-ADDRESS is the client's");
	sw = stun_find(&e.m, STUN_A_SOFTWARE);
	ok(attr_is_str(sw, SOFTWARE), "SOFTWARE is the configured one");
	ok(e.m.mi >= 0 && integrity_ok(&e, "alice", "s3cret"),
	   "MESSAGE-INTEGRITY verifies with auth_derive_key(alice)");
	ok(!integrity_ok(&e, "alice", "wrong"), "MESSAGE-INTEGRITY fails with another key");
	ok(e.m.fp == (int)e.m.nattrs - 1, "FINGERPRINT last, as the request had one");
	ok(!stun_find(&e.m, STUN_A_RESERVATION_TOKEN) &&
	   !stun_find(&e.m, STUN_A_ADDRESS_ERROR_CODE), "no RESERVATION-TOKEN, no ADDRESS-ERROR-CODE");
	is_int(e.f.opens, 1, "one relay_open");
	is_int(e.f.last_flags, 0, "relay_open without EVEN/RESERVE flags");
	is_int(stats(&e)->allocations, 1, "stats: 1 live allocation");
	is_int(stats(&e)->allocs_created, 1, "stats: 1 created");
	is_int(stats(&e)->requests, 2, "stats: 2 requests");
	teardown(&e);
}

static void test_sha256(void)
{
	struct tc_creds c;
	struct tc_req q;
	struct env e;

	setup(&e, NULL);
	c = *alice(&e);
	c.sha256 = true;
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	is_int(request(&e, &e.t[0], &q, &c), 0, "allocate with MESSAGE-INTEGRITY-SHA256: success");
	ok(e.m.mi256 >= 0 && e.m.mi < 0, "reply sealed with MESSAGE-INTEGRITY-SHA256 only");
	ok(integrity_ok(&e, "alice", "s3cret"), "MESSAGE-INTEGRITY-SHA256 verifies");
	teardown(&e);
}

/* A 401 with a fresh nonce and no integrity (the server cannot know the key). */
static void check_401(struct env *e, const char *what)
{
	const struct stun_attr *n = stun_find(&e->m, STUN_A_NONCE);

	ok(attr_is_str(stun_find(&e->m, STUN_A_REALM), REALM) && nonce_ok(e, n, &e->t[0]) &&
	   e->m.mi < 0,
	   "%s: 401 carries REALM and a fresh NONCE, no MESSAGE-INTEGRITY", what);
}

static void test_auth_failures(void)
{
	struct tc_creds c;
	struct env e;

	setup(&e, NULL);
	tc_creds_for(&c, "alice", REALM, "wrong-password", e.nonce);
	is_int(allocate_as(&e, &e.t[0], &c, 0), 401, "wrong password: 401");
	check_401(&e, "wrong password");
	is_int(allocate_as(&e, &e.t[0], creds(&e, "mallory", "s3cret"), 0), 401,
	       "unknown user: 401");
	check_401(&e, "unknown user");
	tc_creds_for(&c, "alice", "evil.example", "s3cret", e.nonce);
	is_int(allocate_as(&e, &e.t[0], &c, 0), 401, "key and REALM of another realm: 401");
	is_int(stats(&e)->auth_failures, 3, "stats: 3 auth failures");

	c = *alice(&e);
	c.realm = NULL;
	is_int(allocate_as(&e, &e.t[0], &c, 0), 400, "MESSAGE-INTEGRITY without REALM: 400");
	c = *alice(&e);
	c.nonce = NULL;
	is_int(allocate_as(&e, &e.t[0], &c, 0), 400, "MESSAGE-INTEGRITY without NONCE: 400");
	c = *alice(&e);
	c.user = NULL;
	is_int(allocate_as(&e, &e.t[0], &c, 0), 400, "MESSAGE-INTEGRITY without USERNAME: 400");
	c = *alice(&e);
	c.nonce = "0123456789abcdef0123456789abcdef";
	is_int(allocate_as(&e, &e.t[0], &c, 0), 438, "a nonce that is not ours: 438");
	is_int(e.f.opens, 0, "no relay opened by any failed attempt");
	is_int(stats(&e)->allocations, 0, "no allocation");
	teardown(&e);
}

static void test_stale_nonce(void)
{
	const struct stun_attr *n;
	char old[AUTH_NONCE_LEN + 1], fresh[AUTH_NONCE_LEN + 1];
	struct tc_creds c;
	struct env e;

	struct tc_req q;

	setup(&e, NULL);
	c = *alice(&e);
	memcpy(old, e.nonce, sizeof(old));	/* made for t[0]'s address */
	c.nonce = old;
	advance(&e, 600 * 1000);
	is_int(allocate_as(&e, &e.t[0], &c, 0), 0, "nonce exactly 600 s old: still fresh");
	advance(&e, 1000);
	begin(&e, &q, TURN_REFRESH);
	is_int(request(&e, &e.t[0], &q, &c), 438, "nonce 601 s old: 438 Stale Nonce");
	n = stun_find(&e.m, STUN_A_NONCE);
	ok(n && n->len == AUTH_NONCE_LEN && memcmp(n->val, old, AUTH_NONCE_LEN) &&
	   nonce_ok(&e, n, &e.t[0]), "438 carries a different, fresh NONCE");
	ok(attr_is_str(stun_find(&e.m, STUN_A_REALM), REALM), "438 carries REALM");
	reply_nonce(&e, fresh);
	c.nonce = fresh;
	begin(&e, &q, TURN_REFRESH);
	is_int(request(&e, &e.t[0], &q, &c), 0, "retry with the 438's nonce: success");
	is_int(stats(&e)->auth_failures, 0, "a stale nonce is no auth failure");
	teardown(&e);
}

/* REST credentials: "<expiry>:<name>", password base64(HMAC-SHA1(secret, username)). */
static const struct tc_creds *rest(struct env *e, uint64_t expiry, const char *name,
				   const char *secret, char *user, size_t ulen)
{
	char pw[64];

	snprintf(user, ulen, "%llu:%s", (unsigned long long)expiry, name);
	if (auth_rest_password(secret, user, pw, sizeof(pw)))
		abort();
	return creds(e, user, pw);
}

static void test_rest(void)
{
	char user[64];
	struct env e;

	setup(&e, NULL);
	is_int(allocate_as(&e, &e.t[0], rest(&e, T0_WALL + 3600, "carol", SECRET, user,
					     sizeof(user)), 0),
	       0, "REST user with a future expiry: success");
	ok(e.m.mi >= 0 && !stun_check_integrity(&e.m, e.cr.key, AUTH_KEY_LEN),
	   "REST success sealed with the REST key");
	is_int(allocate_as(&e, &e.t[1], rest(&e, T0_WALL - 1, "dave", SECRET, user, sizeof(user)),
			   0),
	       401, "REST user expired one second ago: 401");
	is_int(allocate_as(&e, &e.t[1], rest(&e, T0_WALL + 3600, "erin", "south", user,
					     sizeof(user)), 0),
	       401, "REST password made with another secret: 401");
	is_int(allocate_as(&e, &e.t[1], rest(&e, T0_WALL, "frank", SECRET, user, sizeof(user)), 0),
	       0, "REST user expiring this very second: success");
	is_int(stats(&e)->allocations, 2, "2 allocations");
	teardown(&e);
}

static void test_retransmission(void)
{
	struct tc_req q;
	struct env e;
	uint8_t first[512];
	size_t flen, mark;
	int len;

	setup(&e, NULL);
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	len = tc_seal(&q, alice(&e), false);
	is_int(client_raw(&e, &e.t[0], q.buf, (size_t)len), 0, "allocate: success");
	flen = last_sent(&e)->len;
	memcpy(first, last_sent(&e)->buf, flen);
	advance(&e, 1500);
	mark = e.f.nlog;
	turn_on_client(e.s, &e.t[0], q.buf, (size_t)len, &e.now);
	ok(e.f.nlog == mark + 1 && last_sent(&e)->len == flen &&
	   !memcmp(last_sent(&e)->buf, first, flen),
	   "retransmission (same tid) 1.5 s later: byte-identical response");
	is_int(stats(&e)->allocations, 1, "still one allocation");
	is_int(e.f.opens, 1, "still one relay_open");
	is_int(allocate(&e, 0, 0), 437, "new tid on the same 5-tuple: 437 Allocation Mismatch");
	ok(integrity_ok(&e, "alice", "s3cret"), "437 is sealed (the request was authenticated)");
	is_int(e.f.opens, 1, "437: no relay opened");
	teardown(&e);
}

static void test_transport(void)
{
	struct tc_req q;
	struct env e;

	setup(&e, NULL);
	begin(&e, &q, TURN_ALLOCATE);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 400, "no REQUESTED-TRANSPORT: 400");
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_TCP);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 442, "REQUESTED-TRANSPORT TCP (6): 442");
	begin(&e, &q, TURN_ALLOCATE);
	stun_put(&q.w, STUN_A_REQUESTED_TRANSPORT, "\x11", 1);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 400, "REQUESTED-TRANSPORT of 1 byte: 400");
	is_int(e.f.opens, 0, "no relay opened");
	teardown(&e);
}

/* Allocate with REQUESTED-ADDRESS-FAMILY raf and/or ADDITIONAL-ADDRESS-FAMILY aaf (0: none). */
static int allocate_fam(struct env *e, int ti, uint8_t raf, uint8_t aaf)
{
	struct tc_req q;

	begin(e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	if (raf)
		tc_family(&q, STUN_A_REQUESTED_ADDRESS_FAMILY, raf);
	if (aaf)
		tc_family(&q, STUN_A_ADDITIONAL_ADDRESS_FAMILY, aaf);
	return request(e, &e->t[ti], &q, alice(e));
}

static void test_families(void)
{
	const struct stun_attr *aec;
	struct env e;

	setup(&e, NULL);
	is_int(allocate_fam(&e, 0, STUN_FAMILY_IPV6, 0), 0, "REQUESTED-ADDRESS-FAMILY IPv6: ok");
	ok(xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 0), "[2001:db8::1]:49152") &&
	   !nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 1), "one IPv6 relayed address");
	is_int(allocate_fam(&e, 1, STUN_FAMILY_IPV4, 0), 0, "REQUESTED-ADDRESS-FAMILY IPv4: ok");
	ok(xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 0), "198.18.0.1:49152"),
	   "IPv4 relayed address");
	is_int(allocate_fam(&e, 2, 0, STUN_FAMILY_IPV6), 0, "ADDITIONAL-ADDRESS-FAMILY IPv6: ok");
	ok(xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 0), "198.18.0.1:49153") &&
	   xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 1), "[2001:db8::1]:49153"),
	   "dual allocation: IPv4 then IPv6 relayed address");
	ok(!stun_find(&e.m, STUN_A_ADDRESS_ERROR_CODE), "dual allocation: no ADDRESS-ERROR-CODE");
	is_int(allocate_fam(&e, 3, STUN_FAMILY_IPV6, STUN_FAMILY_IPV6), 400,
	       "REQUESTED + ADDITIONAL together: 400");
	is_int(allocate_fam(&e, 3, 0, STUN_FAMILY_IPV4), 400, "ADDITIONAL-ADDRESS-FAMILY IPv4: 400");
	is_int(allocate_fam(&e, 3, 3, 0), 440, "REQUESTED-ADDRESS-FAMILY 0x03: 440");

	e.f.fail6 = -EAFNOSUPPORT;
	is_int(allocate_fam(&e, 3, STUN_FAMILY_IPV6, 0), 440, "IPv6 requested, no IPv6 relay: 440");
	is_int(allocate_fam(&e, 4, 0, STUN_FAMILY_IPV6), 0,
	       "ADDITIONAL IPv6 without IPv6 relay: success anyway");
	aec = stun_find(&e.m, STUN_A_ADDRESS_ERROR_CODE);
	ok(xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 0), "198.18.0.1:49154") &&
	   !nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 1), "... with the IPv4 address only");
	ok(aec && aec->len >= 4 && aec->val[0] == STUN_FAMILY_IPV6 && aec->val[2] == 4 &&
	   aec->val[3] == 40, "... and ADDRESS-ERROR-CODE family IPv6, code 440");
	is_int(stats(&e)->allocations, 4, "4 allocations made");
	teardown(&e);
}

/* RFC 8489: a malformed attribute is a 400; 440 is for a well-formed unsupported family. */
static void test_family_malformed(void)
{
	struct tc_req q;
	struct env e;

	setup(&e, NULL);
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	stun_put(&q.w, STUN_A_REQUESTED_ADDRESS_FAMILY, "\x02\x00", 2);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 400,
	       "REQUESTED-ADDRESS-FAMILY of 2 bytes (malformed): 400, not 440");
	teardown(&e);
}

/* Allocate with EVEN-PORT (ep: 0 none, 1 R=0, 2 R=1) and/or a RESERVATION-TOKEN. */
static int allocate_even(struct env *e, int ti, int ep, const uint8_t *token)
{
	struct tc_req q;

	begin(e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	if (ep)
		tc_even_port(&q, ep == 2);
	if (token)
		stun_put(&q.w, STUN_A_RESERVATION_TOKEN, token, 8);
	return request(e, &e->t[ti], &q, alice(e));
}

/* The RESERVATION-TOKEN of e->m into tok; false when absent or not 8 bytes. */
static bool get_token(const struct env *e, uint8_t tok[8])
{
	const struct stun_attr *a = stun_find(&e->m, STUN_A_RESERVATION_TOKEN);

	if (!a || a->len != 8)
		return false;
	memcpy(tok, a->val, 8);
	return true;
}

static void test_even_port(void)
{
	static const uint8_t bogus[8] = { 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee };
	uint8_t t1[8], t2[8];
	struct env e;
	int opens;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "plain allocation takes port 49152");
	is_int(allocate_even(&e, 1, 2, NULL), 0, "EVEN-PORT R=1: success");
	is_int(e.f.last_flags, TURN_RELAY_EVEN | TURN_RELAY_RESERVE_NEXT,
	       "relay_open asked for EVEN | RESERVE_NEXT");
	ok(xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 0), "198.18.0.1:49154"),
	   "EVEN-PORT: relayed port 49154 (even)");
	ok(get_token(&e, t1), "EVEN-PORT R=1: 8-byte RESERVATION-TOKEN");
	opens = e.f.opens;
	is_int(allocate_even(&e, 2, 0, t1), 0, "another tuple with that token: success");
	ok(xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 0), "198.18.0.1:49155"),
	   "token allocation gets port + 1 (49155)");
	is_int(e.f.opens, opens, "token allocation opened no new relay");
	is_int(create_perm(&e, 2, P1), 0, "permission on the token allocation");
	ok(from_peer(&e, 102, P1, "x", 1) == 1 && tuple_equal(&last_sent(&e)->tuple, &e.t[2]),
	   "peer data on the reserved handle 102 reaches the token allocation's client");
	is_int(allocate_even(&e, 3, 0, t1), 508, "the same token again: 508");
	is_int(allocate_even(&e, 3, 0, bogus), 508, "an unknown token: 508");

	is_int(allocate_even(&e, 3, 2, NULL), 0, "second EVEN-PORT R=1: success");
	ok(get_token(&e, t2) && xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 0),
					 "198.18.0.1:49156"), "... port 49156, token");
	advance(&e, 29999);
	is_int(e.f.closed[104 - FIRST_HANDLE], 0, "reserved handle 104 still open at 29.999 s");
	advance(&e, 1);
	is_int(e.f.closed[104 - FIRST_HANDLE], 1, "reservation expired at 30 s: handle 104 closed");
	is_int(allocate_even(&e, 4, 0, t2), 508, "the expired token: 508");

	is_int(allocate(&e, 4, 0), 0, "plain allocation takes 49158, next is odd");
	is_int(allocate_even(&e, 5, 1, NULL), 0, "EVEN-PORT R=0: success");
	is_int(e.f.last_flags, TURN_RELAY_EVEN, "relay_open asked for EVEN only");
	ok(xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 0), "198.18.0.1:49160") &&
	   !stun_find(&e.m, STUN_A_RESERVATION_TOKEN), "R=0: port 49160 (even), no token");
	teardown(&e);
}

static void test_even_port_bad(void)
{
	uint8_t tok[8];
	struct tc_req q;
	struct env e;

	setup(&e, NULL);
	is_int(allocate_even(&e, 0, 2, NULL), 0, "EVEN-PORT R=1: success");
	get_token(&e, tok);
	is_int(allocate_even(&e, 1, 2, tok), 400, "EVEN-PORT + RESERVATION-TOKEN: 400");
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	tc_family(&q, STUN_A_REQUESTED_ADDRESS_FAMILY, STUN_FAMILY_IPV4);
	stun_put(&q.w, STUN_A_RESERVATION_TOKEN, tok, 8);
	is_int(request(&e, &e.t[1], &q, alice(&e)), 400,
	       "REQUESTED-ADDRESS-FAMILY + RESERVATION-TOKEN: 400");
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	stun_put(&q.w, STUN_A_RESERVATION_TOKEN, tok, 4);
	is_int(request(&e, &e.t[1], &q, alice(&e)), 400, "RESERVATION-TOKEN of 4 bytes: 400");
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	stun_put(&q.w, STUN_A_EVEN_PORT, "\x80\x00", 2);
	is_int(request(&e, &e.t[1], &q, alice(&e)), 400, "EVEN-PORT of 2 bytes: 400");
	is_int(stats(&e)->allocations, 1, "no allocation made by any of them");
	teardown(&e);
}

/* Allocate with EVEN-PORT and an additional-family attribute of type aaf_type. */
static int allocate_even_dual(struct env *e, int ti, bool reserve, uint16_t aaf_type)
{
	struct tc_req q;

	begin(e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	tc_even_port(&q, reserve);
	tc_family(&q, aaf_type, STUN_FAMILY_IPV6);
	return request(e, &e->t[ti], &q, alice(e));
}

/*
 * EVEN-PORT beside ADDITIONAL-ADDRESS-FAMILY is accepted on purpose (coturn's uclient -Z
 * sends R=1 with it; RFC 8656 7.2 step 8 would refuse R=1): it applies to IPv4 only.
 */
static void test_even_port_dual(void)
{
	uint8_t tok[8];
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "plain allocation takes 49152, next is odd");
	is_int(allocate_even_dual(&e, 1, true, STUN_A_ADDITIONAL_ADDRESS_FAMILY), 0,
	       "EVEN-PORT R=1 + ADDITIONAL-ADDRESS-FAMILY: success");
	ok(xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 0), "198.18.0.1:49154") &&
	   xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 1), "[2001:db8::1]:49152"),
	   "... IPv4 on an even port, then IPv6");
	ok(get_token(&e, tok), "... RESERVATION-TOKEN for IPv4 port + 1");
	is_int(e.f.last_flags, 0, "the IPv6 relay was opened without EVEN/RESERVE flags");
	is_int(allocate_even(&e, 2, 0, tok), 0, "the token works from another tuple");
	ok(xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 0), "198.18.0.1:49155"),
	   "... port 49155");
	is_int(allocate_even_dual(&e, 3, false, STUN_A_ADDITIONAL_ADDRESS_FAMILY_DRAFT), 0,
	       "EVEN-PORT R=0 + draft ADDITIONAL-ADDRESS-FAMILY (0x8032): success");
	ok(xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 0), "198.18.0.1:49156") &&
	   xaddr_is(&e, nth_attr(&e, STUN_A_XOR_RELAYED_ADDRESS, 1), "[2001:db8::1]:49153") &&
	   !stun_find(&e.m, STUN_A_RESERVATION_TOKEN), "... even IPv4, IPv6, no token");
	teardown(&e);
}

/* RFC 8656 7.2 step 5, where the core departs from the RFC. */
static void test_token_with_additional(void)
{
	uint8_t tok[8];
	struct tc_req q;
	struct env e;

	setup(&e, NULL);
	is_int(allocate_even(&e, 0, 2, NULL), 0, "EVEN-PORT R=1: success");
	get_token(&e, tok);
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	tc_family(&q, STUN_A_ADDITIONAL_ADDRESS_FAMILY, STUN_FAMILY_IPV6);
	stun_put(&q.w, STUN_A_RESERVATION_TOKEN, tok, 8);
	is_int(request(&e, &e.t[1], &q, alice(&e)), 400,
	       "ADDITIONAL-ADDRESS-FAMILY + RESERVATION-TOKEN: 400 (RFC 8656 7.2 step 5)");
	teardown(&e);
}

static void test_quota_per_user(void)
{
	struct turn_params p = default_params;
	struct env e;

	p.max_per_user = 1;
	setup(&e, &p);
	is_int(allocate(&e, 0, 0), 0, "max_per_user=1: alice's first allocation");
	is_int(allocate(&e, 1, 0), 486, "alice's second, from another tuple: 486");
	is_int(e.f.opens, 1, "486: no relay opened");
	ok(integrity_ok(&e, "alice", "s3cret"), "486 is sealed");
	is_int(allocate_as(&e, &e.t[1], bob(&e), 0), 0, "bob on that tuple: success (per user)");
	is_int(refresh(&e, 0, 0), 0, "alice deletes hers");
	is_int(allocate(&e, 2, 0), 0, "then alice may allocate again");
	teardown(&e);
}

static void test_quota_total(void)
{
	struct turn_params p = default_params;
	char user[64];
	struct env e;

	p.max_total = 2;
	setup(&e, &p);
	is_int(allocate(&e, 0, 0), 0, "max_total=2: first");
	is_int(allocate_as(&e, &e.t[1], bob(&e), 0), 0, "second");
	is_int(allocate_as(&e, &e.t[2], rest(&e, T0_WALL + 60, "carol", SECRET, user,
					     sizeof(user)), 0),
	       486, "third: 486");
	is_int(turn_kill_alloc(e.s, 1), 0, "kill the first");
	is_int(allocate_as(&e, &e.t[2], rest(&e, T0_WALL + 60, "carol", SECRET, user,
					     sizeof(user)), 0),
	       0, "then a third user gets one");
	teardown(&e);
}

static void test_relay_failures(void)
{
	struct env e;

	setup(&e, NULL);
	e.f.fail4 = -EADDRINUSE;
	is_int(allocate(&e, 0, 0), 508, "relay ports exhausted: 508");
	e.f.fail4 = -EMFILE;
	is_int(allocate(&e, 0, 0), 508, "relay_open fails otherwise: 508");
	e.f.fail4 = -EAFNOSUPPORT;
	is_int(allocate(&e, 0, 0), 440, "no IPv4 relay at all: 440");
	is_int(stats(&e)->allocations, 0, "no allocation");
	e.f.fail4 = 0;
	is_int(allocate(&e, 0, 0), 0, "relay back: success on the same tuple");
	teardown(&e);
}

static void test_unknown_attribute(void)
{
	const struct stun_attr *ua;
	struct tc_req q;
	struct env e;

	setup(&e, NULL);
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	stun_put(&q.w, 0x0031, "\x01\x02\x03\x04", 4);
	stun_put(&q.w, 0x8031, "\x01", 1);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 420,
	       "authenticated Allocate with unknown attribute 0x0031: 420");
	ua = stun_find(&e.m, STUN_A_UNKNOWN_ATTRIBUTES);
	ok(ua && ua->len == 2 && ua->val[0] == 0x00 && ua->val[1] == 0x31,
	   "UNKNOWN-ATTRIBUTES lists 0x0031 only (0x8031 is comprehension-optional)");
	ok(integrity_ok(&e, "alice", "s3cret"), "420 is sealed");
	is_int(e.f.opens, 0, "420: no relay opened");
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	stun_put(&q.w, 0x8031, "\x01", 1);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 0, "unknown optional attribute only: success");
	teardown(&e);
}

static void test_wrong_user(void)
{
	struct tc_req q;
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "alice allocates");
	begin(&e, &q, TURN_CREATE_PERMISSION);
	tc_peer(&q, P1);
	is_int(request(&e, &e.t[0], &q, bob(&e)), 441, "bob's CreatePermission on it: 441");
	begin(&e, &q, TURN_REFRESH);
	tc_lifetime(&q, 0);
	is_int(request(&e, &e.t[0], &q, bob(&e)), 441, "bob's Refresh(0) on it: 441");
	is_int(stats(&e)->allocations, 1, "alice's allocation still there");
	is_int(stats(&e)->permissions, 0, "no permission installed by bob");
	is_int(create_perm(&e, 0, P1), 0, "alice still may use it");
	teardown(&e);
}

/* turn_foreach_alloc callback: copy the first allocation's info and stop. */
static int first_info(const struct turn_alloc_info *ai, void *arg)
{
	*(struct turn_alloc_info *)arg = *ai;
	return 1;
}

static void test_lifetime(void)
{
	static const uint32_t asked[] = { 30, 600, 1200, 3600, 100000, 1 };
	static const uint32_t want[] = { 600, 600, 1200, 3600, 3600, 600 };
	struct turn_alloc_info ai;
	struct env e;

	for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
		setup(&e, NULL);
		is_int(allocate(&e, 0, asked[i]), 0, "LIFETIME %u: success", asked[i]);
		is_int(lifetime_attr(&e), want[i], "LIFETIME %u granted as %u", asked[i], want[i]);
		turn_foreach_alloc(e.s, e.now.ms, first_info, &ai);
		is_int(ai.lifetime_left, want[i], "lifetime_left %u", want[i]);
		teardown(&e);
	}
}

static void test_refresh(void)
{
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "allocate (600 s) at t0");
	advance(&e, 500 * 1000);
	is_int(refresh(&e, 0, UINT32_MAX), 0, "Refresh without LIFETIME at t0+500 s");
	is_int(lifetime_attr(&e), 600, "... LIFETIME 600");
	ok(integrity_ok(&e, "alice", "s3cret"), "Refresh reply is sealed");
	advance(&e, 599 * 1000 + 999);
	is_int(stats(&e)->allocations, 1, "t0+1099.999 s: still there (refreshed)");
	advance(&e, 1);
	is_int(stats(&e)->allocations, 0, "t0+1100 s: expired");
	is_int(e.f.closed[0], 1, "its relay closed");
	is_int(stats(&e)->allocs_expired, 1, "stats: 1 expired");

	is_int(allocate(&e, 1, 0), 0, "another allocation");
	is_int(refresh(&e, 1, 1800), 0, "Refresh LIFETIME 1800");
	is_int(lifetime_attr(&e), 1800, "... granted 1800");
	is_int(refresh(&e, 1, 20), 0, "Refresh LIFETIME 20");
	is_int(lifetime_attr(&e), 600, "... granted the default, 600");
	is_int(refresh(&e, 1, 0), 0, "Refresh LIFETIME 0: success");
	is_int(lifetime_attr(&e), 0, "... LIFETIME 0");
	ok(integrity_ok(&e, "alice", "s3cret"), "... sealed");
	is_int(stats(&e)->allocations, 0, "allocation deleted at once");
	is_int(e.f.closed[1], 1, "its relay closed at once");
	is_int(stats(&e)->allocs_expired, 1, "a deletion is no expiry");
	is_int(refresh(&e, 1, 600), 437, "Refresh afterwards: 437");
	is_int(create_perm(&e, 1, P1), 437, "CreatePermission afterwards: 437");
	is_int(chan_bind(&e, 1, 0x4000, P1), 437, "ChannelBind afterwards: 437");
	teardown(&e);
}

static void test_refresh_family(void)
{
	struct tc_req q;
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "IPv4 allocation");
	begin(&e, &q, TURN_REFRESH);
	tc_family(&q, STUN_A_REQUESTED_ADDRESS_FAMILY, STUN_FAMILY_IPV6);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 443, "Refresh for IPv6 on it: 443");
	begin(&e, &q, TURN_REFRESH);
	tc_family(&q, STUN_A_REQUESTED_ADDRESS_FAMILY, STUN_FAMILY_IPV4);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 0, "Refresh for IPv4: success");
	begin(&e, &q, TURN_REFRESH);
	stun_put(&q.w, STUN_A_LIFETIME, "\0\0", 2);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 400, "Refresh with a 2-byte LIFETIME: 400");
	teardown(&e);
}

static void test_expiry_exact(void)
{
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "allocate at t0");
	advance(&e, 599999);
	is_int(stats(&e)->allocations, 1, "t0+599.999 s: still there");
	is_int(e.f.closed[0], 0, "relay still open");
	is_int(create_perm(&e, 0, P1), 0, "and usable");
	advance(&e, 1);
	is_int(stats(&e)->allocations, 0, "t0+600 s: gone");
	is_int(stats(&e)->permissions, 0, "its permission gone with it");
	is_int(e.f.closed[0], 1, "relay closed");
	is_int(from_peer(&e, 100, P1, "x", 1), 0, "peer data to the closed relay: nothing sent");
	is_int(stats(&e)->drops[DROP_NO_ALLOCATION], 1, "... counted as no allocation");
	is_int(create_perm(&e, 0, P1), 437, "CreatePermission: 437");
	teardown(&e);
}

static int create_perms(struct env *e, int ti, const char *const *peers, int n)
{
	struct tc_req q;

	begin(e, &q, TURN_CREATE_PERMISSION);
	for (int i = 0; i < n; i++)
		tc_peer(&q, peers[i]);
	return request(e, &e->t[ti], &q, alice(e));
}

static void test_create_permission(void)
{
	static const char *const several[] = { "198.51.100.20:1", "198.51.100.21:2", P1,
					       "203.0.113.40:4" };
	static const char *const with_bad[] = { "198.51.100.30:1", "10.0.0.1:5000" };
	struct tc_req q;
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "allocate");
	is_int(create_perm(&e, 0, P1), 0, "CreatePermission for one peer: success");
	ok(e.m.nattrs == 2 && integrity_ok(&e, "alice", "s3cret"),
	   "... reply has SOFTWARE and MESSAGE-INTEGRITY only");
	is_int(stats(&e)->permissions, 1, "1 permission");
	is_int(create_perms(&e, 0, several, 4), 0, "CreatePermission for four (one known)");
	is_int(stats(&e)->permissions, 4, "4 permissions");
	is_int(create_perms(&e, 0, with_bad, 2), 403, "one of them 10.0.0.1: 403");
	is_int(stats(&e)->permissions, 4, "... and none of that request installed");
	is_int(create_perm(&e, 0, "[::ffff:10.0.0.1]:5000"), 403, "IPv4-mapped 10.0.0.1: 403");
	is_int(create_perm(&e, 0, "127.0.0.1:5000"), 403, "loopback: 403");
	is_int(create_perm(&e, 0, P6), 443, "IPv6 peer on an IPv4-only allocation: 443");
	begin(&e, &q, TURN_CREATE_PERMISSION);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 400, "no XOR-PEER-ADDRESS: 400");
	begin(&e, &q, TURN_CREATE_PERMISSION);
	stun_put(&q.w, STUN_A_XOR_PEER_ADDRESS, "\x00\x01\x12", 3);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 400, "malformed XOR-PEER-ADDRESS: 400");
	is_int(stats(&e)->permissions, 4, "still 4 permissions");
	is_int(from_peer(&e, 100, "198.51.100.7:1", "abc", 3), 1,
	       "permission ignores the port: data from P1's address, another port, relayed");
	teardown(&e);
}

static void test_permission_limit(void)
{
	const char *peers[40];
	char names[64][32];
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "allocate");
	for (int i = 0; i < 64; i++)
		snprintf(names[i], sizeof(names[i]), "198.51.100.%d:9", i + 1);
	for (int i = 0; i < 40; i++)
		peers[i] = names[i];
	is_int(create_perms(&e, 0, peers, 40), 0, "40 permissions in one request");
	for (int i = 0; i < 24; i++)
		peers[i] = names[40 + i];
	is_int(create_perms(&e, 0, peers, 24), 0, "24 more: 64, the limit");
	is_int(create_perm(&e, 0, "203.0.113.1:1"), 508, "a 65th: 508");
	is_int(create_perm(&e, 0, names[5]), 0, "refreshing a known one: success");
	is_int(stats(&e)->permissions, 64, "64 permissions");
	teardown(&e);
}

/* A peer listed twice in one CreatePermission is one permission, also at the limit. */
static void test_permission_duplicate(void)
{
	const char *peers[63];
	char names[64][32];
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "allocate");
	for (int i = 0; i < 64; i++)
		snprintf(names[i], sizeof(names[i]), "203.0.113.%d:9", i + 1);
	for (int i = 0; i < 40; i++)
		peers[i] = names[i];
	is_int(create_perms(&e, 0, peers, 40), 0, "40 permissions");
	for (int i = 0; i < 23; i++)
		peers[i] = names[40 + i];
	is_int(create_perms(&e, 0, peers, 23), 0, "23 more: 63");
	peers[0] = peers[1] = names[63];
	is_int(create_perms(&e, 0, peers, 2), 0,
	       "one new peer listed twice at 63: success (it makes the 64th, not 65th)");
	is_int(stats(&e)->permissions, 64, "64 permissions");
	teardown(&e);
}

/* Data from a peer arrives as a Data indication for P1 with this payload? */
static bool data_indication_is(struct env *e, size_t n, int ti, const char *peer,
			       const void *data, size_t len)
{
	const struct sent *s = last_sent(e);
	const struct stun_attr *d;

	if (n != 1 || s->to_peer || !tuple_equal(&s->tuple, &e->t[ti]) ||
	    stun_decode(s->buf, s->len, &e->m))
		return false;
	d = stun_find(&e->m, STUN_A_DATA);
	return e->m.method == TURN_DATA && e->m.cls == STUN_INDICATION &&
	       xaddr_is(e, stun_find(&e->m, STUN_A_XOR_PEER_ADDRESS), peer) && d &&
	       d->len == len && !memcmp(d->val, data, len) && e->m.mi < 0;
}

static void test_permission_expiry(void)
{
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 3600), 0, "allocate (3600 s)");
	is_int(create_perm(&e, 0, P1), 0, "permission for P1 at t0");
	advance(&e, 200 * 1000);
	is_int(create_perm(&e, 0, P2), 0, "permission for P2 at t0+200 s");
	advance(&e, 99999);
	ok(data_indication_is(&e, from_peer(&e, 100, P1, "ping", 4), 0, P1, "ping", 4),
	   "t0+299.999 s: P1's data relayed as a Data indication");
	advance(&e, 1);
	is_int(from_peer(&e, 100, P1, "ping", 4), 0, "t0+300 s: P1's data dropped");
	is_int(stats(&e)->drops[DROP_NO_PERMISSION], 1, "... counted as no permission");
	is_int(stats(&e)->permissions, 1, "timer swept P1's permission; P2's remains");
	ok(data_indication_is(&e, from_peer(&e, 100, P2, "pong", 4), 0, P2, "pong", 4),
	   "P2 still relayed");
	is_int(create_perm(&e, 0, P2), 0, "P2 refreshed at t0+300 s");
	advance(&e, 250 * 1000);
	ok(data_indication_is(&e, from_peer(&e, 100, P2, "pong", 4), 0, P2, "pong", 4),
	   "t0+550 s: P2 relayed (refresh moved its expiry to t0+600 s)");
	advance(&e, 50 * 1000);
	is_int(from_peer(&e, 100, P2, "pong", 4), 0, "t0+600 s: P2 dropped");
	is_int(stats(&e)->permissions, 0, "no permission left");
	teardown(&e);
}

static void test_channel_bind(void)
{
	struct tc_req q;
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "allocate");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "ChannelBind 0x4000 -> P1: success");
	ok(integrity_ok(&e, "alice", "s3cret"), "... sealed");
	is_int(stats(&e)->channels, 1, "1 channel");
	is_int(stats(&e)->permissions, 1, "ChannelBind installed P1's permission");
	is_int(chan_bind(&e, 0, 0x3FFF, P2), 400, "channel 0x3FFF: 400");
	is_int(chan_bind(&e, 0, 0x5000, P2), 0, "channel 0x5000 with legacy_channels: success");
	is_int(chan_bind(&e, 0, 0x7FFF, "198.51.100.99:1"), 400, "channel 0x7FFF: 400");
	is_int(chan_bind(&e, 0, 0x4000, "198.51.100.99:1"), 400, "0x4000 to another peer: 400");
	is_int(chan_bind(&e, 0, 0x4001, P1), 400, "P1 on another channel: 400");
	is_int(chan_bind(&e, 0, 0x4001, "198.51.100.7:6001"), 0,
	       "P1's address with another port on 0x4001: success (channels bind transports)");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "rebinding the same pair: success");
	is_int(chan_bind(&e, 0, 0x4002, "10.0.0.1:5000"), 403, "to 10.0.0.1: 403");
	is_int(chan_bind(&e, 0, 0x4002, P6), 443, "to an IPv6 peer on IPv4: 443");
	begin(&e, &q, TURN_CHANNEL_BIND);
	tc_peer(&q, P2);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 400, "no CHANNEL-NUMBER: 400");
	begin(&e, &q, TURN_CHANNEL_BIND);
	tc_channel(&q, 0x4003);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 400, "no XOR-PEER-ADDRESS: 400");
	begin(&e, &q, TURN_CHANNEL_BIND);
	stun_put(&q.w, STUN_A_CHANNEL_NUMBER, "\x40\x03", 2);
	tc_peer(&q, P2);
	is_int(request(&e, &e.t[0], &q, alice(&e)), 400, "2-byte CHANNEL-NUMBER: 400");
	is_int(stats(&e)->channels, 3, "3 channels");
	teardown(&e);
}

static void test_channel_strict(void)
{
	struct turn_params p = default_params;
	struct env e;

	p.legacy_channels = false;
	setup(&e, &p);
	is_int(allocate(&e, 0, 0), 0, "allocate");
	is_int(chan_bind(&e, 0, 0x5000, P1), 400, "legacy_channels off: 0x5000 is 400");
	is_int(chan_bind(&e, 0, 0x4FFF, P1), 0, "0x4FFF: success");
	is_int(chandata_from(&e, 0, 0x5000, "x", 1, 3), 0, "ChannelData on 0x5000: dropped");
	is_int(stats(&e)->drops[DROP_NO_CHANNEL], 1, "... as no channel");
	teardown(&e);
}

static void test_channel_refresh(void)
{
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 3600), 0, "allocate (3600 s)");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "bind 0x4000 -> P1 at t0");
	advance(&e, 500 * 1000);
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "rebind at t0+500 s");
	is_int(stats(&e)->channels, 1, "still 1 channel");
	advance(&e, 200 * 1000);
	is_int(chandata_from(&e, 0, 0x4000, "hi", 2, 2), 1,
	       "t0+700 s (past the first expiry): ChannelData still relayed");
	advance(&e, 399999);
	is_int(chandata_from(&e, 0, 0x4000, "hi", 2, 2), 0,
	       "t0+1099.999 s: permission (refreshed at 500, 300 s) has lapsed: dropped");
	is_int(stats(&e)->drops[DROP_NO_PERMISSION], 1, "... as no permission");
	is_int(stats(&e)->channels, 1, "channel itself still live");
	advance(&e, 1);
	is_int(stats(&e)->channels, 0, "t0+1100 s: channel expired");
	is_int(chandata_from(&e, 0, 0x4000, "hi", 2, 2), 0, "ChannelData: dropped");
	is_int(stats(&e)->drops[DROP_NO_CHANNEL], 1, "... as no channel");
	teardown(&e);
}

static void test_channel_quarantine(void)
{
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 3600), 0, "allocate (3600 s)");
	is_int(chan_bind(&e, 0, 0x4001, P1), 0, "bind 0x4001 -> P1 at t0");
	advance(&e, 600 * 1000);
	is_int(stats(&e)->channels, 0, "t0+600 s: channel expired");
	advance(&e, 299999);
	is_int(chan_bind(&e, 0, 0x4001, P2), 400, "t0+899.999 s: 0x4001 -> P2 still 400");
	is_int(chan_bind(&e, 0, 0x4002, P1), 400, "t0+899.999 s: P1 on 0x4002 still 400");
	advance(&e, 1);
	is_int(chan_bind(&e, 0, 0x4001, P2), 0, "t0+900 s: 0x4001 -> P2 accepted");
	is_int(chan_bind(&e, 0, 0x4002, P1), 0, "t0+900 s: P1 on 0x4002 accepted");
	is_int(stats(&e)->channels, 2, "2 channels");
	teardown(&e);
}

static void test_channel_revive(void)
{
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 3600), 0, "allocate (3600 s)");
	is_int(chan_bind(&e, 0, 0x4001, P1), 0, "bind 0x4001 -> P1");
	advance(&e, 700 * 1000);
	is_int(chan_bind(&e, 0, 0x4001, P1), 0, "in quarantine, the same pair may bind again");
	is_int(stats(&e)->channels, 1, "1 live channel again");
	is_int(chandata_from(&e, 0, 0x4001, "x", 1, 3), 1, "and it relays");
	teardown(&e);
}

/* A Send indication from tuple ti to peer; the number of datagrams the core sent. */
static size_t send_ind(struct env *e, int ti, const char *peer, const void *data, size_t len,
		       bool df)
{
	struct tc_req q;
	size_t mark = e->f.nlog;
	int n;

	tc_begin(&q, TURN_SEND, STUN_INDICATION, e->tidn++);
	if (peer)
		tc_peer(&q, peer);
	if (data)
		tc_data(&q, data, len);
	if (df)
		stun_put(&q.w, STUN_A_DONT_FRAGMENT, NULL, 0);
	n = tc_seal(&q, NULL, false);
	turn_on_client(e->s, &e->t[ti], q.buf, (size_t)n, &e->now);
	return e->f.nlog - mark;
}

static void test_send_indication(void)
{
	static const uint8_t payload[] = { 0x80, 0x60, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, 0x00 };
	struct env e;

	setup(&e, NULL);
	is_int(send_ind(&e, 0, P1, payload, sizeof(payload), false), 0,
	       "Send without allocation: nothing sent");
	is_int(stats(&e)->drops[DROP_NO_ALLOCATION], 1, "... counted as no allocation");
	is_int(allocate(&e, 0, 0), 0, "allocate");
	is_int(send_ind(&e, 0, P1, payload, sizeof(payload), false), 0,
	       "Send without permission: nothing sent");
	is_int(stats(&e)->drops[DROP_NO_PERMISSION], 1, "... counted as no permission");
	is_int(create_perm(&e, 0, P1), 0, "permission for P1");
	is_int(send_ind(&e, 0, P1, payload, sizeof(payload), false), 1, "Send with permission");
	ok(sent_to_peer(last_sent(&e), 100, P1, payload, sizeof(payload)) && !last_sent(&e)->df,
	   "send_peer: relay 100, P1, exact bytes, DF off");
	is_int(send_ind(&e, 0, "198.51.100.7:9999", payload, 3, true), 1,
	       "Send with DONT-FRAGMENT to P1's address, another port");
	ok(sent_to_peer(last_sent(&e), 100, "198.51.100.7:9999", payload, 3) &&
	   last_sent(&e)->df, "send_peer: that port, exact bytes, DF on");
	is_int(send_ind(&e, 0, P1, "", 0, false), 1, "Send with empty DATA");
	ok(sent_to_peer(last_sent(&e), 100, P1, "", 0), "send_peer: 0 bytes");
	is_int(send_ind(&e, 0, P1, NULL, 0, false), 0, "Send without DATA: nothing sent");
	is_int(send_ind(&e, 0, NULL, payload, 3, false), 0, "Send without peer: nothing sent");
	is_int(stats(&e)->drops[DROP_MALFORMED], 2, "... both counted as malformed");
	is_int(send_ind(&e, 0, P6, payload, 3, false), 0, "Send to IPv6 on IPv4: nothing sent");
	is_int(stats(&e)->drops[DROP_NO_PERMISSION], 2, "... counted as no permission");
	is_int(stats(&e)->pkts_c2p, 3, "3 packets client to peer");
	is_int(stats(&e)->bytes_c2p, sizeof(payload) + 3, "bytes client to peer");
	teardown(&e);
}

static void test_send_policy_change(void)
{
	struct peer_policy deny = { 0 };
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "allocate");
	is_int(create_perm(&e, 0, P1), 0, "permission for P1");
	if (peer_policy_add(&deny, false, "198.51.100.0/24"))
		abort();
	turn_set_policy(e.s, &deny);
	is_int(send_ind(&e, 0, P1, "x", 1, false), 0, "after a reload denying P1: Send dropped");
	is_int(stats(&e)->drops[DROP_POLICY], 1, "... counted as policy");
	is_int(create_perm(&e, 0, P1), 403, "CreatePermission for P1 now 403");
	turn_set_policy(e.s, &e.pol);
	teardown(&e);
	peer_policy_free(&deny);
}

/* Move the clocks without running timers: a packet may be handled before the timer is. */
static void skip_to(struct env *e, uint64_t ms_after_t0)
{
	e->now.ms = T0_MS + ms_after_t0;
	e->now.wall_s = T0_WALL + ms_after_t0 / 1000;
}

static void test_expiry_before_timers(void)
{
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "allocate");
	is_int(create_perm(&e, 0, P1), 0, "permission for P1 at t0");
	is_int(chan_bind(&e, 0, 0x4000, P2), 0, "channel 0x4000 -> P2 at t0");
	skip_to(&e, 299999);
	is_int(from_peer(&e, 100, P1, "a", 1), 1, "t0+299.999 s, timers not run: P1 relayed");
	skip_to(&e, 300000);
	is_int(from_peer(&e, 100, P1, "a", 1), 0, "t0+300 s, timers not run: P1 dropped");
	is_int(send_ind(&e, 0, P1, "s", 1, false), 0, "... and a Send to P1 dropped");
	skip_to(&e, 400000);
	is_int(create_perm(&e, 0, P2), 0, "P2's permission refreshed at t0+400 s");
	skip_to(&e, 600000);
	is_int(chandata_from(&e, 0, 0x4000, "b", 1, 3), 0,
	       "t0+600 s, timers not run: ChannelData on the expired channel dropped");
	is_int(stats(&e)->drops[DROP_NO_CHANNEL], 1, "... as no channel");
	ok(data_indication_is(&e, from_peer(&e, 100, P2, "c", 1), 0, P2, "c", 1),
	   "... and P2's data comes as a Data indication, not ChannelData");
	timerq_run(&e.tq, e.now.ms);
	is_int(stats(&e)->allocations, 0, "the timers, run late, end the allocation");
	teardown(&e);
}

static void test_client_chandata(void)
{
	static const char payload[] = "0123456789";
	struct env e;

	setup(&e, NULL);
	is_int(chandata_from(&e, 0, 0x4000, payload, 10, 2), 0,
	       "ChannelData without allocation: dropped");
	is_int(stats(&e)->drops[DROP_NO_ALLOCATION], 1, "... counted as no allocation");
	is_int(allocate(&e, 0, 0), 0, "allocate");
	is_int(chandata_from(&e, 0, 0x4000, payload, 10, 2), 0, "unbound channel: dropped");
	is_int(stats(&e)->drops[DROP_NO_CHANNEL], 1, "... counted as no channel");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "bind 0x4000 -> P1");
	for (size_t pad = 0; pad <= 3; pad++) {
		is_int(chandata_from(&e, 0, 0x4000, payload, 10, pad), 1,
		       "ChannelData with %zu padding bytes: relayed", pad);
		ok(sent_to_peer(last_sent(&e), 100, P1, payload, 10) && !last_sent(&e)->df,
		   "... exact 10-byte payload to P1 from relay 100");
	}
	is_int(chandata_from(&e, 0, 0x4000, payload, 10, 4), 0, "4 padding bytes: dropped");
	is_int(stats(&e)->drops[DROP_MALFORMED], 1, "... counted as malformed");
	is_int(chandata_from(&e, 0, 0x4000, payload, 0, 0), 1, "empty ChannelData: relayed");
	ok(sent_to_peer(last_sent(&e), 100, P1, "", 0), "... as an empty datagram");
	is_int(client_raw(&e, &e.t[0], (const uint8_t *)"\x40\x00\x00\x0a" "abc", 7), -2,
	       "length beyond the datagram: nothing sent");
	is_int(client_raw(&e, &e.t[0], (const uint8_t *)"\x40\x00\x00", 3), -2,
	       "3-byte datagram: nothing sent");
	is_int(stats(&e)->drops[DROP_MALFORMED], 3, "... both counted as malformed");
	is_int(stats(&e)->pkts_c2p, 5, "5 packets client to peer");
	is_int(stats(&e)->bytes_c2p, 40, "40 bytes client to peer (padding not counted)");
	teardown(&e);
}

static void test_peer_data(void)
{
	static const uint8_t payload[] = { 1, 2, 3, 4, 5 };
	static const uint8_t framed[] = { 0x40, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5 };
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "allocate");
	is_int(from_peer(&e, 100, P1, payload, 5), 0, "peer data without permission: dropped");
	is_int(stats(&e)->drops[DROP_NO_PERMISSION], 1, "... counted as no permission");
	is_int(from_peer(&e, 99, P1, payload, 5), 0, "peer data on an unknown handle: dropped");
	is_int(from_peer(&e, -1, P1, payload, 5), 0, "peer data on handle -1: dropped");
	is_int(from_peer(&e, 1 << 20, P1, payload, 5), 0, "peer data on a huge handle: dropped");
	is_int(stats(&e)->drops[DROP_NO_ALLOCATION], 3, "... counted as no allocation");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "bind 0x4000 -> P1");
	is_int(from_peer(&e, 100, P1, payload, 5), 1, "peer data from P1: one datagram");
	ok(!last_sent(&e)->to_peer && tuple_equal(&last_sent(&e)->tuple, &e.t[0]) &&
	   last_sent(&e)->len == sizeof(framed) && !memcmp(last_sent(&e)->buf, framed, 9),
	   "client gets exactly 40 00 00 05 01..05 on its tuple (no UDP padding)");
	ok(data_indication_is(&e, from_peer(&e, 100, "198.51.100.7:6001", payload, 5), 0,
			      "198.51.100.7:6001", payload, 5),
	   "same IP, other port (no channel): Data indication, XOR-PEER-ADDRESS and DATA exact");
	is_int(from_peer(&e, 100, "[::ffff:198.51.100.7]:6000", payload, 5), 1,
	       "IPv4-mapped form of P1 is P1: ChannelData");
	ok(last_sent(&e)->len == 9 && !memcmp(last_sent(&e)->buf, framed, 9), "... same bytes");
	is_int(stats(&e)->pkts_p2c, 3, "3 packets peer to client");
	is_int(stats(&e)->bytes_p2c, 15, "15 bytes peer to client");
	teardown(&e);
}

/* The largest IPv4 UDP payload (65507) fits a Data indication and goes through intact. */
static void test_peer_data_large(void)
{
	size_t n = 65507;
	uint8_t *big = malloc(n);
	struct env e;

	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7);
	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "allocate");
	is_int(create_perm(&e, 0, P1), 0, "permission for P1");
	ok(data_indication_is(&e, from_peer(&e, 100, P1, big, n), 0, P1, big, n),
	   "65507-byte datagram: Data indication with all of it");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "bind a channel");
	ok(from_peer(&e, 100, P1, big, n) == 1 && last_sent(&e)->len == n + 4 &&
	   !memcmp(last_sent(&e)->buf + 4, big, n), "65507 bytes over the channel: intact");
	teardown(&e);
	free(big);
}

/*
 * An IPv6 datagram of 65520 bytes cannot fit a Data indication (16-bit STUN length): it
 * must be dropped and counted once, not also counted as relayed.
 */
static void test_peer_data_too_big(void)
{
	size_t n = 65520;
	uint8_t *big = calloc(1, n);
	uint64_t drops;
	struct env e;

	setup(&e, NULL);
	is_int(allocate_fam(&e, 0, STUN_FAMILY_IPV6, 0), 0, "IPv6 allocation");
	is_int(create_perm(&e, 0, P6), 0, "permission for an IPv6 peer");
	drops = drops_total(&e);
	is_int(from_peer(&e, 100, P6, big, n), 0, "65520 bytes from an IPv6 peer: nothing sent");
	is_int(drops_total(&e) - drops, 1, "... one drop counted");
	is_int(stats(&e)->pkts_p2c, 0, "... and not counted as relayed (pkts_p2c stays 0)");
	is_int(stats(&e)->bytes_p2c, 0, "... (bytes_p2c stays 0)");
	teardown(&e);
	free(big);
}

struct collected {
	struct turn_alloc_info ai[8];
	int n;
	int stop_after;			/* return non-zero after this many; 0 = never */
};

static int collect(const struct turn_alloc_info *ai, void *arg)
{
	struct collected *c = arg;

	if (c->n < 8)
		c->ai[c->n] = *ai;
	c->n++;
	return c->stop_after && c->n == c->stop_after ? 77 : 0;
}

static const struct turn_alloc_info *info_of(const struct collected *c, const char *user)
{
	for (int i = 0; i < c->n && i < 8; i++)
		if (!strcmp(c->ai[i].user, user))
			return &c->ai[i];
	return NULL;
}

static void test_foreach_and_kill(void)
{
	const struct turn_alloc_info *a, *b;
	struct collected c = { .n = 0 };
	sockaddr_u r0 = tc_addr("198.18.0.1:49152"), r1 = tc_addr("198.18.0.1:49153");
	uint64_t bob_id;
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "alice allocates");
	is_int(allocate_as(&e, &e.t[1], bob(&e), 1200), 0, "bob allocates (1200 s)");
	is_int(create_perm(&e, 0, P1), 0, "alice: permission P1");
	is_int(chan_bind(&e, 0, 0x4000, P2), 0, "alice: channel to P2");
	advance(&e, 10500);
	is_int(turn_foreach_alloc(e.s, e.now.ms, collect, &c), 0, "foreach returns 0");
	is_int(c.n, 2, "foreach visits 2 allocations");
	a = info_of(&c, "alice");
	b = info_of(&c, "bob");
	ok(a && b && a->id != b->id, "one per user, distinct ids");
	ok(a && tuple_equal(&a->tuple, &e.t[0]) && a->nrelayed == 1 &&
	   addr_equal(&a->relayed[0], &r0), "alice: tuple, one relayed address 49152");
	ok(a && a->lifetime_left == 589 && a->npermissions == 2 && a->nchannels == 1,
	   "alice: 589 s left, 2 permissions, 1 channel");
	ok(b && tuple_equal(&b->tuple, &e.t[1]) && addr_equal(&b->relayed[0], &r1) &&
	   b->lifetime_left == 1189 && b->npermissions == 0 && b->nchannels == 0,
	   "bob: tuple, relayed 49153, 1189 s left, nothing else");
	bob_id = b ? b->id : 0;
	c.n = 0;
	c.stop_after = 1;
	is_int(turn_foreach_alloc(e.s, e.now.ms, collect, &c), 77,
	       "foreach stops when fn returns non-zero, and returns that value");
	is_int(c.n, 1, "... after one call");
	is_int(turn_kill_alloc(e.s, bob_id), 0, "kill bob's allocation");
	is_int(e.f.closed[1], 1, "its relay closed");
	is_int(stats(&e)->allocations, 1, "1 allocation left");
	is_int(turn_kill_alloc(e.s, bob_id), -ENOENT, "kill it again: -ENOENT");
	is_int(turn_kill_alloc(e.s, 999), -ENOENT, "kill an unknown id: -ENOENT");
	is_int(refresh(&e, 0, UINT32_MAX), 0, "alice unaffected");
	teardown(&e);
}

static int sum_info(const struct turn_alloc_info *ai, void *arg)
{
	uint64_t *v = arg;

	v[0] += ai->pkts_c2p;
	v[1] += ai->bytes_c2p;
	v[2] += ai->pkts_p2c;
	v[3] += ai->bytes_p2c;
	return 0;
}

static void test_counters(void)
{
	uint8_t buf[300] = { 0 };
	uint64_t v[4] = { 0 };
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "alice allocates");
	is_int(allocate_as(&e, &e.t[1], bob(&e), 0), 0, "bob allocates");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "alice: channel to P1");
	is_int(create_perm(&e, 0, P2), 0, "alice: permission P2");
	chandata_from(&e, 0, 0x4000, buf, 100, 0);
	chandata_from(&e, 0, 0x4000, buf, 7, 1);
	send_ind(&e, 0, P2, buf, 33, false);
	from_peer(&e, 100, P1, buf, 200);
	from_peer(&e, 100, P2, buf, 1);
	from_peer(&e, 101, P1, buf, 50);	/* bob has no permission: dropped */
	chandata_from(&e, 1, 0x4000, buf, 9, 3);	/* bob has no channel: dropped */
	is_int(stats(&e)->pkts_c2p, 3, "stats: 3 packets c2p");
	is_int(stats(&e)->bytes_c2p, 140, "stats: 140 bytes c2p");
	is_int(stats(&e)->pkts_p2c, 2, "stats: 2 packets p2c");
	is_int(stats(&e)->bytes_p2c, 201, "stats: 201 bytes p2c");
	turn_foreach_alloc(e.s, e.now.ms, sum_info, v);
	ok(v[0] == 3 && v[1] == 140 && v[2] == 2 && v[3] == 201,
	   "per-allocation counters add up to the same (%llu %llu %llu %llu)",
	   (unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2],
	   (unsigned long long)v[3]);
	is_int(drops_total(&e), 2, "2 drops");
	teardown(&e);
}

/* A small deterministic PRNG (xorshift64*), so that a failing run can be repeated. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

#define NTEMPLATES 7

struct template {
	uint8_t buf[TC_MAX_MSG];
	size_t len;
};

static void keep(struct template *t, const struct tc_req *q, int len)
{
	if (len < 0)
		abort();
	t->len = (size_t)len;
	memcpy(t->buf, q->buf, t->len);
}

/* Valid client messages for the hostile tests to mangle: every kind the core handles. */
static void make_templates(struct env *e, struct template *t)
{
	struct tc_req q;

	begin(e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	tc_even_port(&q, true);
	keep(&t[0], &q, tc_seal(&q, alice(e), true));
	begin(e, &q, TURN_CREATE_PERMISSION);
	tc_peer(&q, P2);
	keep(&t[1], &q, tc_seal(&q, alice(e), false));
	begin(e, &q, TURN_CHANNEL_BIND);
	tc_channel(&q, 0x4001);
	tc_peer(&q, P2);
	keep(&t[2], &q, tc_seal(&q, alice(e), false));
	begin(e, &q, TURN_REFRESH);
	tc_lifetime(&q, 3600);
	keep(&t[3], &q, tc_seal(&q, alice(e), false));
	tc_begin(&q, TURN_SEND, STUN_INDICATION, 7);
	tc_peer(&q, P1);
	tc_data(&q, "hostile", 7);
	keep(&t[4], &q, tc_seal(&q, NULL, false));
	tc_begin(&q, STUN_BINDING, STUN_REQUEST, 8);
	keep(&t[5], &q, tc_seal(&q, NULL, true));
	t[6].len = tc_chandata(t[6].buf, 0x4000, "chan-data", 9, 3);
}

/* Mangle a copy of a template: truncate, flip bits, or overwrite a window with noise. */
static size_t mangle(const struct template *t, uint8_t *out)
{
	size_t len = t->len, pos;

	memcpy(out, t->buf, len);
	switch (rnd() % 4) {
	case 0:
		return rnd() % len;
	case 1:
		for (uint32_t n = 1 + rnd() % 3; n; n--)
			out[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		return len;
	case 2:
		pos = rnd() % len;
		for (size_t i = pos; i < len && i < pos + 1 + rnd() % 16; i++)
			out[i] = (uint8_t)rnd();
		return len;
	default:
		out[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		return rnd() % (len + 1);
	}
}

/* Random bytes; often given a STUN header (magic, consistent length) to get past framing. */
static size_t noise(uint8_t *out)
{
	size_t len = rnd() % 200;

	for (size_t i = 0; i < len; i++)
		out[i] = (uint8_t)rnd();
	if (len >= 20 && rnd() % 2) {
		out[0] &= 0x01;
		out[2] = (uint8_t)((len - 20) >> 8);
		out[3] = (uint8_t)((len - 20) & ~3u);
		memcpy(out + 4, "\x21\x12\xa4\x42", 4);
	}
	return len;
}

/* Each client datagram must land in exactly one counter: a drop, a request, or a relay. */
static uint64_t client_outcomes(const struct env *e)
{
	return drops_total(e) + stats(e)->requests + stats(e)->pkts_c2p;
}

static void test_hostile_client(void)
{
	struct template tpl[NTEMPLATES];
	uint8_t buf[TC_MAX_MSG];
	int unaccounted = 0, n = 4000;
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 3600), 0, "allocate");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "channel 0x4000 -> P1");
	make_templates(&e, tpl);
	for (int i = 0; i < n; i++) {
		uint64_t before = client_outcomes(&e);
		size_t len = i % 4 ? mangle(&tpl[rnd() % NTEMPLATES], buf) : noise(buf);
		int ti = (int)(rnd() % 3);

		turn_on_client(e.s, &e.t[ti], buf, len, &e.now);
		if (client_outcomes(&e) - before != 1)
			unaccounted++;
		if (i % 500 == 499)
			advance(&e, 7000);
	}
	is_int(unaccounted, 0, "%d mangled client datagrams: each counted exactly once", n);
	diag("requests %llu relayed %llu malformed %llu no-alloc %llu no-chan %llu no-perm %llu "
	     "unexpected %llu", (unsigned long long)stats(&e)->requests,
	     (unsigned long long)stats(&e)->pkts_c2p,
	     (unsigned long long)stats(&e)->drops[DROP_MALFORMED],
	     (unsigned long long)stats(&e)->drops[DROP_NO_ALLOCATION],
	     (unsigned long long)stats(&e)->drops[DROP_NO_CHANNEL],
	     (unsigned long long)stats(&e)->drops[DROP_NO_PERMISSION],
	     (unsigned long long)stats(&e)->drops[DROP_UNEXPECTED]);
	ok(stats(&e)->drops[DROP_MALFORMED] > 500, "many counted malformed (%llu)",
	   (unsigned long long)stats(&e)->drops[DROP_MALFORMED]);
	is_int(allocate(&e, 7, 0), 0, "the server still allocates afterwards");
	teardown(&e);
}

static void test_hostile_peer(void)
{
	static const char *const peers[] = { P1, P2, "198.51.100.7:6001", "10.0.0.1:1", P6,
					     "[::ffff:198.51.100.7]:6000" };
	uint8_t buf[1600];
	int unaccounted = 0, n = 2000;
	struct env e;

	setup(&e, NULL);
	is_int(allocate(&e, 0, 3600), 0, "allocate");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "channel 0x4000 -> P1");
	is_int(create_perm(&e, 0, P2), 0, "permission P2");
	for (int i = 0; i < n; i++) {
		uint64_t before = drops_total(&e) + stats(&e)->pkts_p2c;
		size_t len = rnd() % sizeof(buf);
		int h = (int)(rnd() % 8) - 2 + FIRST_HANDLE;

		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rnd();
		if (rnd() % 16 == 0)
			h = (int)rnd();
		from_peer(&e, h, peers[rnd() % 6], buf, len);
		if (drops_total(&e) + stats(&e)->pkts_p2c - before != 1)
			unaccounted++;
	}
	is_int(unaccounted, 0, "%d random peer datagrams: each counted exactly once", n);
	ok(stats(&e)->pkts_p2c > 0 && stats(&e)->drops[DROP_NO_ALLOCATION] > 0 &&
	   stats(&e)->drops[DROP_NO_PERMISSION] > 0, "some relayed, some dropped both ways");
	teardown(&e);
}

/* allocation.max_permissions / max_channels: 508 past them, each refusal counted. */
static void test_alloc_limits(void)
{
	static const char *const two[] = { "203.0.113.20:1", "203.0.113.21:1" };
	struct turn_params p = default_params;
	struct env e;

	p.max_perms = 3;
	p.max_chans = 2;
	setup(&e, &p);
	is_int(allocate(&e, 0, 3600), 0, "limits 3/2: allocate for an hour");
	is_int(create_perm(&e, 0, P1), 0, "permission 1");
	is_int(create_perm(&e, 0, P2), 0, "permission 2");
	is_int(create_perms(&e, 0, two, 2), 508, "two more in one request (4 > 3): 508");
	is_int(stats(&e)->permissions, 2, "... none of them installed");
	is_int(stats(&e)->limit_hits[LIMIT_PERMISSIONS], 1, "... counted as max_permissions");
	is_int(create_perm(&e, 0, two[0]), 0, "permission 3");
	is_int(create_perm(&e, 0, two[1]), 508, "permission 4: 508");
	is_int(create_perm(&e, 0, P1), 0, "refreshing permission 1 at the limit: success");
	is_int(stats(&e)->limit_hits[LIMIT_PERMISSIONS], 2, "2 max_permissions hits");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "channel 1 (peer already permitted)");
	is_int(chan_bind(&e, 0, 0x4001, P2), 0, "channel 2");
	is_int(chan_bind(&e, 0, 0x4002, two[0]), 508, "channel 3: 508");
	is_int(stats(&e)->limit_hits[LIMIT_CHANNELS], 1, "... counted as max_channels");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "refreshing channel 1 at the limit: success");
	is_int(stats(&e)->channels, 2, "2 channels");
	advance(&e, 601 * 1000);
	is_int(stats(&e)->channels, 0, "601 s on: both channels expired (quarantined)");
	is_int(create_perm(&e, 0, two[1]), 0, "the permissions expired too: a new one fits");
	is_int(chan_bind(&e, 0, 0x4002, two[1]), 508,
	       "a new channel while two are quarantined: 508 (they still count)");
	advance(&e, 300 * 1000);
	is_int(chan_bind(&e, 0, 0x4002, two[1]), 0, "after the quarantine: success");
	is_int(stats(&e)->limit_hits[LIMIT_CHANNELS], 2, "2 max_channels hits");
	teardown(&e);

	p.max_perms = 1;
	p.max_chans = 4;
	setup(&e, &p);
	is_int(allocate(&e, 0, 0), 0, "limits 1/4: allocate");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "a channel installs permission 1");
	is_int(chan_bind(&e, 0, 0x4001, P2), 508, "a channel to a second peer needs a second "
	       "permission: 508");
	is_int(stats(&e)->limit_hits[LIMIT_PERMISSIONS], 1, "... counted as max_permissions");
	is_int(stats(&e)->limit_hits[LIMIT_CHANNELS], 0, "... not as max_channels");
	is_int(stats(&e)->channels, 1, "still 1 channel");
	teardown(&e);

	p = default_params;
	p.max_perms = 100000;
	p.max_chans = 100000;
	setup(&e, &p);
	is_int(allocate(&e, 0, 0), 0, "limits above the ceiling: allocate");
	for (int i = 0; i < TURN_CHANS_MAX; i++) {
		char peer[32];

		snprintf(peer, sizeof(peer), "198.51.%d.%d:7", 100 + i / 250, 1 + i % 250);
		if (i < TURN_PERMS_MAX && create_perm(&e, 0, peer) != 0)
			break;
	}
	is_int(stats(&e)->permissions, TURN_PERMS_MAX, "%d permissions (the ceiling)",
	       TURN_PERMS_MAX);
	is_int(create_perm(&e, 0, "203.0.113.99:1"), 508, "one more: 508");
	teardown(&e);
}

static void test_quota_counted(void)
{
	struct turn_params p = default_params;
	struct env e;

	p.max_per_user = 1;
	p.max_total = 2;
	setup(&e, &p);
	is_int(allocate(&e, 0, 0), 0, "quotas 1/2: alice");
	is_int(allocate(&e, 1, 0), 486, "alice again: 486");
	is_int(allocate_as(&e, &e.t[2], bob(&e), 0), 0, "bob");
	is_int(allocate_as(&e, &e.t[3], creds(&e, "alice", "s3cret"), 0), 486,
	       "alice (both quotas full): 486");
	is_int(allocate_as(&e, &e.t[4], bob(&e), 0), 486, "bob again (both quotas full): 486");
	is_int(stats(&e)->limit_hits[LIMIT_PER_USER], 3, "3 max_per_user hits");
	is_int(stats(&e)->limit_hits[LIMIT_TOTAL], 0, "max_per_user is checked first: no "
	       "max_total hit yet");
	p.max_per_user = 0;
	teardown(&e);
	setup(&e, &p);
	is_int(allocate(&e, 0, 0), 0, "max_total=2: first");
	is_int(allocate(&e, 1, 0), 0, "second");
	is_int(allocate(&e, 2, 0), 486, "third: 486");
	is_int(stats(&e)->limit_hits[LIMIT_TOTAL], 1, "1 max_total hit");
	teardown(&e);
}

/* Relayed bytes through ChannelData (c2p) at max_bps. */
static size_t c2p_burst(struct env *e, int n, uint16_t len)
{
	static uint8_t pkt[1500];
	size_t sent = 0;

	for (int i = 0; i < n; i++)
		sent += chandata_from(e, 0, 0x4000, pkt, len, 0);
	return sent;
}

static void test_bandwidth(void)
{
	struct turn_params p = default_params;
	static uint8_t buf[1200];
	uint64_t c2p_before;
	size_t n;
	struct env e;

	p.max_bps = 1000;
	setup(&e, &p);
	is_int(allocate(&e, 0, 0), 0, "max_bps 1000: allocate");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "channel to P1");
	is_int(c2p_burst(&e, 10, 300), 4, "10 x 300 bytes at once: 4 go (the bucket holds 1000 "
	       "bytes and may be overdrawn by the last)");
	is_int(stats(&e)->limit_hits[LIMIT_BANDWIDTH], 6, "6 dropped, counted as max_bps");
	is_int(stats(&e)->bytes_c2p, 1200, "1200 bytes relayed");
	advance(&e, 200);
	is_int(c2p_burst(&e, 1, 300), 0, "200 ms later: still owing, dropped");
	advance(&e, 100);
	is_int(c2p_burst(&e, 3, 300), 1, "300 ms later: one goes");
	n = from_peer(&e, FIRST_HANDLE, P1, buf, 900);
	is_int(n, 1, "the other direction has its own bucket: a peer's 900 bytes go");
	is_int(from_peer(&e, FIRST_HANDLE, P1, buf, 900), 1, "900 more (bucket not empty yet)");
	is_int(from_peer(&e, FIRST_HANDLE, P1, buf, 10), 0, "then nothing");
	is_int(send_ind(&e, 0, P1, buf, 10, false), 0, "a Send indication is limited too");
	is_int(from_peer(&e, FIRST_HANDLE, P1, buf, sizeof(buf)), 0, "nor a larger datagram");

	/* The long run: 100 bytes every 10 ms (10 kB/s) for 20 s through a 1 kB/s limit. */
	advance(&e, 5000);
	c2p_before = stats(&e)->bytes_c2p;
	for (int i = 0; i < 2000; i++) {
		chandata_from(&e, 0, 0x4000, buf, 100, 0);
		advance(&e, 10);
	}
	n = (size_t)(stats(&e)->bytes_c2p - c2p_before);
	ok(n >= 20000 && n <= 20000 + 1000 + 100, "20 s at 10 kB/s offered: %zu bytes relayed "
	   "(20 s x 1000 + the burst)", n);
	teardown(&e);

	p.max_bps = 1000;
	p.bps_burst = 5000;
	setup(&e, &p);
	is_int(allocate(&e, 0, 0), 0, "max_bps 1000, burst 5000: allocate");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "channel to P1");
	is_int(c2p_burst(&e, 60, 100), 50, "60 x 100 bytes at once: 50 go");
	teardown(&e);

	setup(&e, NULL);
	is_int(allocate(&e, 0, 0), 0, "no max_bps: allocate");
	is_int(chan_bind(&e, 0, 0x4000, P1), 0, "channel to P1");
	is_int(c2p_burst(&e, 1000, 1400), 1000, "1000 x 1400 bytes at once: all go");
	is_int(stats(&e)->limit_hits[LIMIT_BANDWIDTH], 0, "no max_bps hit");
	teardown(&e);
}

static int binding_on(struct env *e, const struct turn_tuple *t)
{
	struct tc_req q;

	begin(e, &q, STUN_BINDING);
	return request(e, t, &q, NULL);
}

/* Requests of sources without an allocation, per second: the rest are not answered. */
static void test_unauth_rate(void)
{
	struct turn_params p = default_params;
	struct turn_tuple t6a = { .proto = IPPROTO_UDP }, t6b, t6c;
	int answered = 0, silent = 0;
	struct tc_req q;
	struct env e;

	p.unauth_rate = 5;
	p.unauth_burst = 10;
	setup(&e, &p);
	for (int i = 0; i < 30; i++) {
		int rc = binding_on(&e, &e.t[0]);

		answered += rc == 0;
		silent += rc == -2;
	}
	is_int(answered, 10, "rate 5, burst 10: 10 of 30 Bindings at once answered");
	is_int(silent, 20, "the other 20: no answer at all");
	is_int(stats(&e)->limit_hits[LIMIT_UNAUTH_RATE], 20, "20 counted as unauth_rate");
	is_int(stats(&e)->requests, 10, "only the answered ones count as requests");
	begin(&e, &q, TURN_ALLOCATE);
	tc_transport(&q, IPPROTO_UDP);
	is_int(request(&e, &e.t[0], &q, NULL), -2,
	       "an Allocate without credentials: no 401 either");
	is_int(binding_on(&e, &e.t[1]), 0, "another address: answered");
	advance(&e, 200);
	is_int(binding_on(&e, &e.t[0]), 0, "200 ms later: one more answered");
	is_int(binding_on(&e, &e.t[0]), -2, "... and only one");
	advance(&e, 1000);
	is_int(allocate(&e, 0, 0), 0, "1 s later: an Allocate with credentials succeeds");
	for (int i = 0; i < 50; i++)
		answered += refresh(&e, 0, 600) == 0;
	is_int(answered, 60, "50 Refreshes on the allocation's 5-tuple: all answered");

	/* Authenticated requests give their token back; failed ones do not. */
	answered = 0;
	for (int i = 0; i < 10; i++) {
		struct turn_tuple t = e.t[6];

		addr_set_port(&t.client, (uint16_t)(30000 + i));
		answered += allocate_as(&e, &t, alice(&e), 0) == 0;
	}
	is_int(answered, 10, "10 authenticated Allocates at once from one address: all succeed");
	answered = 0;
	for (int i = 0; i < 12; i++)
		answered += binding_on(&e, &e.t[6]) == 0;
	is_int(answered, 10, "... and its burst of 10 is still whole");
	for (int i = 0; i < 10; i++)
		allocate_as(&e, &e.t[7], creds(&e, "alice", "wrong"), 0);
	is_int(binding_on(&e, &e.t[7]), -2, "10 failed authentications use up the burst");

	/* IPv6: a source is a /64. */
	t6a.client = tc_addr("[2001:db8:5:6::1]:5000");
	t6a.server = tc_addr("[2001:db8::3478]:3478");
	t6b = t6a;
	t6b.client = tc_addr("[2001:db8:5:6:ffff::9]:6000");
	t6c = t6a;
	t6c.client = tc_addr("[2001:db8:5:7::1]:5000");
	answered = 0;
	for (int i = 0; i < 6; i++)
		answered += binding_on(&e, &t6a) == 0;
	for (int i = 0; i < 6; i++)
		answered += binding_on(&e, &t6b) == 0;
	is_int(answered, 10, "12 Bindings from two addresses of one /64: 10 answered");
	is_int(binding_on(&e, &t6c), 0, "the next /64: answered");

	/* A flood from 100,000 addresses grows nothing and does not free the limited one. */
	for (int i = 0; i < 12; i++)
		binding_on(&e, &e.t[5]);
	is_int(binding_on(&e, &e.t[5]), -2, "192.0.2.15 sent 13 at once: limited");
	for (int i = 0; i < 100000; i++) {
		struct turn_tuple t = e.t[1];

		t.client.v4.sin_addr.s_addr = htonl(0x0a000000u + (uint32_t)i);
		turn_on_client(e.s, &t, (const uint8_t *)"\x00\x01\x00\x00\x21\x12\xa4\x42"
			       "abcdefghijkl", 20, &e.now);
	}
	is_int(binding_on(&e, &e.t[5]), -2,
	       "after a flood from 100,000 other addresses the limited one is still limited");
	teardown(&e);
}

/* A nonce is good from the address it was given to, any port; not from another address. */
static void test_nonce_binding(void)
{
	struct turn_tuple same_ip = { .proto = IPPROTO_UDP, .lid = 7 };
	char given[AUTH_NONCE_LEN + 1];
	struct tc_creds c;
	struct env e;

	setup(&e, NULL);
	same_ip.client = tc_addr("192.0.2.10:40999");
	same_ip.server = e.t[0].server;
	turn_make_nonce(e.s, &e.t[0].client, e.now.wall_s, given);
	tc_creds_for(&c, "alice", REALM, "s3cret", given);
	is_int(allocate_as(&e, &e.t[0], &c, 0), 0, "nonce given to 192.0.2.10: accepted there");
	is_int(allocate_as(&e, &same_ip, &c, 0), 0, "... and from another port of that address");
	is_int(allocate_as(&e, &e.t[1], &c, 0), 438, "replayed from 192.0.2.11: 438");
	ok(nonce_ok(&e, stun_find(&e.m, STUN_A_NONCE), &e.t[1]),
	   "the 438 carries a nonce for 192.0.2.11");
	is_int(stats(&e)->allocations, 2, "2 allocations, none for the replay");
	is_int(stats(&e)->auth_failures, 0, "a nonce of another address is no auth failure");
	teardown(&e);
}

/* What an unauthenticated client can get: each answer exactly as RFC 8489 requires. */
static void test_unauth_answers(void)
{
	struct tc_req q;
	struct env e;

	setup(&e, NULL);
	is_int(binding_on(&e, &e.t[0]), 0, "Binding: success");
	is_int(e.m.nattrs, 1, "Binding: one attribute (no MAPPED-ADDRESS, no SOFTWARE)");
	ok(e.m.attrs[0].type == STUN_A_XOR_MAPPED_ADDRESS, "Binding: it is XOR-MAPPED-ADDRESS");
	is_int(e.f.log[e.f.nlog - 1].len, 32, "Binding over IPv4: 32 bytes");
	begin(&e, &q, TURN_CREATE_PERMISSION);
	is_int(request(&e, &e.t[0], &q, NULL), 401, "CreatePermission without credentials: 401");
	is_int(e.m.nattrs, 3, "... ERROR-CODE, REALM, NONCE only");
	begin(&e, &q, TURN_ALLOCATE);
	is_int(request(&e, &e.t[0], &q, NULL), 401, "bare 20-byte Allocate: 401");
	is_int(e.f.log[e.f.nlog - 1].len, 92, "... of 92 bytes with an 11-byte realm");
	begin(&e, &q, 0x00a);
	is_int(request(&e, &e.t[0], &q, NULL), 400, "unknown method: 400");
	is_int(e.m.nattrs, 1, "... ERROR-CODE only");
	teardown(&e);
}

int main(void)
{
	log_set_level(LOG_LVL_WARN);
	test_binding();
	test_challenge();
	test_allocate_success();
	test_sha256();
	test_auth_failures();
	test_stale_nonce();
	test_rest();
	test_retransmission();
	test_transport();
	test_families();
	test_family_malformed();
	test_even_port();
	test_even_port_bad();
	test_even_port_dual();
	test_token_with_additional();
	test_quota_per_user();
	test_quota_total();
	test_relay_failures();
	test_unknown_attribute();
	test_wrong_user();
	test_lifetime();
	test_refresh();
	test_refresh_family();
	test_expiry_exact();
	test_create_permission();
	test_permission_limit();
	test_permission_duplicate();
	test_permission_expiry();
	test_channel_bind();
	test_channel_strict();
	test_channel_refresh();
	test_channel_quarantine();
	test_channel_revive();
	test_send_indication();
	test_send_policy_change();
	test_expiry_before_timers();
	test_client_chandata();
	test_peer_data();
	test_peer_data_large();
	test_peer_data_too_big();
	test_foreach_and_kill();
	test_counters();
	test_hostile_client();
	test_hostile_peer();
	test_alloc_limits();
	test_quota_counted();
	test_bandwidth();
	test_unauth_rate();
	test_nonce_binding();
	test_unauth_answers();
	return done_testing();
}
