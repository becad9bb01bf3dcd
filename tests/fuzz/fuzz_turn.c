/* fuzz_turn.c - libFuzzer harness: the TURN core fed client/peer datagrams and time steps. */
/*
 * Build and run from the repo root (one command line):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Idaemon -Itests/unit
 *	tests/fuzz/fuzz_turn.c daemon/addr.c daemon/auth.c daemon/chandata.c daemon/crc32.c
 *	daemon/log.c daemon/policy.c daemon/srclimit.c daemon/stun.c daemon/stun_build.c
 *	daemon/timerq.c daemon/turn.c daemon/turn_alloc.c daemon/turn_relay.c daemon/txcache.c
 *	-lcrypto -o fuzz_turn
 *   mkdir -p /tmp/corpus_turn && ./fuzz_turn -max_total_time=60 /tmp/corpus_turn
 *
 * Input: one config byte (legacy channels, quotas, small per-allocation limits and
 * max_bps, a per-source request limit), then records until the input ends.
 * Each record starts with a selector byte; sel % NOPS picks what it is, sel >> 4 the client
 * tuple. Raw datagrams are length-prefixed (2 bytes, big-endian). To reach deep states
 * without forging HMACs, the harness also builds correctly authenticated Allocate, Refresh,
 * CreatePermission and ChannelBind requests (and well-formed Send/ChannelData) from
 * fuzz-chosen fields. It checks invariants and abort()s on a violation: each datagram
 * lands in exactly one counter; everything sent to a client decodes; relays are closed
 * exactly once and never used after; nothing goes to a peer the policy refuses; relayed
 * payloads are the bytes that came in; stats agree with turn_foreach_alloc (checked after
 * time steps and at the end only: it walks every hash bucket); turn_free leaves no relay
 * open and no timer queued. FUZZ_TURN_TRACE=1 prints each input's totals.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chandata.h"
#include "log.h"
#include "stun.h"
#include "turn.h"
#include "turn_client.h"

#define FIRST_HANDLE 100
#define MAX_HANDLES 64
#define NTUPLES 5
#define REALM "example.org"
#define SECRET "north"
#define T0_MS 1000000ull
#define T0_WALL 1700000000ull

enum op {
	OP_CLIENT_RAW, OP_CLIENT_RAW2, OP_PEER_RAW, OP_TIME, OP_ALLOCATE, OP_REFRESH,
	OP_PERMISSION, OP_CHANNEL_BIND, OP_SEND, OP_CHANDATA, OP_RELAY_FAIL, OP_PEER_BIG, NOPS
};

static const char *const peer_names[] = {
	"198.51.100.7:6000", "203.0.113.9:7000", "198.51.100.7:6001", "10.0.0.1:5000",
	"[2001:db8:1::5]:8000", "[::ffff:198.51.100.7]:6000", "127.0.0.1:53", "[::1]:9",
	"0.0.0.0:0", "255.255.255.255:1", "[2001:db8:2::9]:5", "[::ffff:10.0.0.1]:1",
};
#define NPEERS (sizeof(peer_names) / sizeof(peer_names[0]))

struct input {
	const uint8_t *p;
	size_t n;
};

struct fake {
	int next_handle;
	uint16_t next_port;
	int fail4, fail6;
	int opened[MAX_HANDLES], closed[MAX_HANDLES];
	uint8_t token[8];		/* the last RESERVATION-TOKEN the server handed out */
	size_t to_client, to_peer;	/* datagrams sent */
	const uint8_t *last_buf;	/* the last datagram's bytes (valid until the next) */
	uint8_t last[70000];
	size_t last_len;
};

static struct auth *auth;
static struct peer_policy policy;
static sockaddr_u peers[NPEERS];

static uint8_t get8(struct input *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static uint16_t get16(struct input *in)
{
	return (uint16_t)(get8(in) << 8 | get8(in));
}

static uint32_t get32(struct input *in)
{
	return (uint32_t)get16(in) << 16 | get16(in);
}

/* Up to want bytes (fewer at the end of the input); *len gets how many. */
static const uint8_t *get_bytes(struct input *in, size_t want, size_t *len)
{
	const uint8_t *p = in->p;

	*len = want < in->n ? want : in->n;
	in->p += *len;
	in->n -= *len;
	return p;
}

static bool handle_open(const struct fake *f, int h)
{
	int i = h - FIRST_HANDLE;

	return i >= 0 && i < MAX_HANDLES && f->opened[i] && !f->closed[i];
}

static int fake_open(void *ctx, int af, unsigned flags, sockaddr_u *addr, int *next_handle,
		     sockaddr_u *next_addr)
{
	struct fake *f = ctx;
	int h;

	if ((af == AF_INET && f->fail4) || (af == AF_INET6 && f->fail6))
		return af == AF_INET ? f->fail4 : f->fail6;
	if (f->next_handle + 2 > FIRST_HANDLE + MAX_HANDLES)
		return -EADDRINUSE;
	if ((flags & TURN_RELAY_EVEN) && (f->next_port & 1))
		f->next_port++;
	*addr = tc_addr(af == AF_INET6 ? "[2001:db8::1]:0" : "198.18.0.1:0");
	addr_set_port(addr, f->next_port++);
	h = f->next_handle++;
	f->opened[h - FIRST_HANDLE] = 1;
	if (flags & TURN_RELAY_RESERVE_NEXT) {
		*next_addr = *addr;
		addr_set_port(next_addr, f->next_port++);
		*next_handle = f->next_handle++;
		f->opened[*next_handle - FIRST_HANDLE] = 1;
	}
	return h;
}

static void fake_close(void *ctx, int h)
{
	struct fake *f = ctx;

	if (!handle_open(f, h))
		abort();	/* closed twice, or never opened */
	f->closed[h - FIRST_HANDLE] = 1;
}

static void remember(struct fake *f, const uint8_t *buf, size_t len)
{
	if (len > sizeof(f->last))
		abort();
	memcpy(f->last, buf, len);
	f->last_len = len;
}

/* Everything a client gets must decode, as STUN or as ChannelData. */
static void fake_send_client(void *ctx, const struct turn_tuple *t, const uint8_t *buf,
			     size_t len)
{
	struct fake *f = ctx;
	const struct stun_attr *tok;
	const uint8_t *data;
	struct stun_msg m;
	uint16_t ch, dlen;

	(void)t;
	f->to_client++;
	remember(f, buf, len);
	if (len && demux_first_byte(buf[0]) == DEMUX_CHANDATA) {
		if (chandata_parse(buf, len, false, &ch, &data, &dlen, NULL) || 4u + dlen != len)
			abort();
		return;
	}
	if (stun_decode(buf, len, &m) || m.len != len)
		abort();
	tok = stun_find(&m, STUN_A_RESERVATION_TOKEN);
	if (tok && tok->len == 8)
		memcpy(f->token, tok->val, 8);
}

static void fake_send_peer(void *ctx, int handle, const sockaddr_u *peer, const uint8_t *buf,
			   size_t len, bool df)
{
	struct fake *f = ctx;

	(void)df;
	if (!handle_open(f, handle) || !peer_allowed(&policy, peer))
		abort();	/* a closed relay, or a refused peer (CVE-2020-26262 class) */
	f->to_peer++;
	remember(f, buf, len);
}

struct env {
	struct fake f;
	struct timerq tq;
	struct turn_params p;
	struct turn_server *s;
	struct turn_clock now;
	struct turn_tuple t[NTUPLES];
	uint32_t tidn;
	char nonce[AUTH_NONCE_LEN + 1];
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LVL_ERR);
	auth = auth_new(REALM, 600);
	if (!auth || auth_add_user(auth, "alice", "s3cret") || auth_add_user(auth, "bob", "b0b") ||
	    auth_add_secret(auth, SECRET))
		abort();
	for (size_t i = 0; i < NPEERS; i++)
		peers[i] = tc_addr(peer_names[i]);
	return 0;
}

static struct env *env_new(uint8_t cfg)
{
	static const struct turn_ops ops = {
		.relay_open = fake_open, .relay_close = fake_close,
		.send_client = fake_send_client, .send_peer = fake_send_peer,
	};
	struct turn_ops o = ops;
	struct env *e = calloc(1, sizeof(*e));
	char c[32];

	if (!e)
		abort();
	e->f.next_handle = FIRST_HANDLE;
	e->f.next_port = 49152;
	timerq_init(&e->tq);
	e->p = (struct turn_params){ .software = "fuzz", .default_lifetime = 600,
				     .max_lifetime = 3600, .perm_lifetime = 300,
				     .chan_lifetime = 600, .legacy_channels = cfg & 1,
				     .max_per_user = (cfg >> 1) & 3, .max_total = (cfg >> 3) & 7,
				     .hash_buckets = 8, .txcache_slots = 64 };
	if (cfg & 0x40) {
		e->p.max_perms = 3;
		e->p.max_chans = 2;
		e->p.max_bps = 3000;
	}
	if (cfg & 0x80) {
		e->p.unauth_rate = 4;
		e->p.unauth_burst = 6;
	}
	e->now = (struct turn_clock){ .ms = T0_MS, .wall_s = T0_WALL };
	for (int i = 0; i < NTUPLES; i++) {
		snprintf(c, sizeof(c), i == 4 ? "[2001:db8:77::%d]:4000" : "192.0.2.%d:4000", i + 1);
		e->t[i] = (struct turn_tuple){ .proto = IPPROTO_UDP, .lid = i };
		e->t[i].client = tc_addr(c);
		e->t[i].server = tc_addr(i == 4 ? "[2001:db8::3478]:3478" : "192.0.2.254:3478");
	}
	o.ctx = &e->f;
	e->s = turn_new(&e->p, auth, &policy, &e->tq, &o);
	if (!e->s)
		abort();
	return e;
}

/* FUZZ_TURN_TRACE=1 in the environment: one line of totals per input (to check seeds). */
static void trace(const struct env *e)
{
	const struct turn_stats *st = turn_get_stats(e->s);

	if (!getenv("FUZZ_TURN_TRACE"))
		return;
	fprintf(stderr, "allocs=%llu created=%llu expired=%llu perms=%llu chans=%llu req=%llu "
		"c2p=%llu p2c=%llu to_client=%zu to_peer=%zu drops=",
		(unsigned long long)st->allocations, (unsigned long long)st->allocs_created,
		(unsigned long long)st->allocs_expired,
		(unsigned long long)st->permissions, (unsigned long long)st->channels,
		(unsigned long long)st->requests, (unsigned long long)st->pkts_c2p,
		(unsigned long long)st->pkts_p2c, e->f.to_client, e->f.to_peer);
	for (int i = 0; i < DROP_NR; i++)
		fprintf(stderr, "%llu%s", (unsigned long long)st->drops[i], i + 1 < DROP_NR ? "," : "\n");
}

static void env_free(struct env *e)
{
	trace(e);
	turn_free(e->s);
	for (int i = 0; i < MAX_HANDLES; i++)
		if (e->f.opened[i] != e->f.closed[i])
			abort();	/* a relay left open after turn_free */
	if (e->tq.n)
		abort();	/* a timer of freed memory still queued */
	timerq_free(&e->tq);
	free(e);
}

static uint64_t drops(const struct env *e)
{
	const struct turn_stats *st = turn_get_stats(e->s);
	uint64_t n = 0;

	for (int i = 0; i < DROP_NR; i++)
		n += st->drops[i];
	return n;
}

/* Datagrams dropped by a limit rather than for a drop reason. */
static uint64_t limited(const struct env *e)
{
	const struct turn_stats *st = turn_get_stats(e->s);

	return st->limit_hits[LIMIT_BANDWIDTH] + st->limit_hits[LIMIT_UNAUTH_RATE];
}

/* A client datagram: exactly one of drop, limit, request, relay must count it. */
static void client_dgram(struct env *e, int ti, const uint8_t *buf, size_t len)
{
	const struct turn_stats *st = turn_get_stats(e->s);
	uint64_t before = drops(e) + limited(e) + st->requests + st->pkts_c2p;

	turn_on_client(e->s, &e->t[ti], buf, len, &e->now);
	if (drops(e) + limited(e) + st->requests + st->pkts_c2p != before + 1)
		abort();
}

/* A peer datagram: dropped (counted) or relayed with exactly its bytes. */
static void peer_dgram(struct env *e, int h, const sockaddr_u *peer, const uint8_t *buf,
		       size_t len)
{
	const struct turn_stats *st = turn_get_stats(e->s);
	uint64_t before = drops(e) + limited(e) + st->pkts_p2c;
	size_t sent = e->f.to_client;
	struct stun_msg m;
	const struct stun_attr *d;

	turn_on_peer(e->s, h, peer, buf, len, &e->now);
	if (drops(e) + limited(e) + st->pkts_p2c != before + 1 || e->f.to_client - sent > 1)
		abort();
	if (e->f.to_client == sent)
		return;
	if (demux_first_byte(e->f.last[0]) == DEMUX_CHANDATA) {
		if (e->f.last_len != len + 4 || memcmp(e->f.last + 4, buf, len))
			abort();
		return;
	}
	if (stun_decode(e->f.last, e->f.last_len, &m) || m.method != TURN_DATA ||
	    !(d = stun_find(&m, STUN_A_DATA)) || d->len != len || memcmp(d->val, buf, len))
		abort();
}

static const sockaddr_u *pick_peer(struct input *in, sockaddr_u *tmp)
{
	uint8_t b = get8(in);

	*tmp = peers[(b & 0x7f) % NPEERS];
	if (b & 0x80)
		addr_set_port(tmp, get16(in));
	return tmp;
}

static void op_client_raw(struct env *e, int ti, struct input *in)
{
	size_t len;
	const uint8_t *p = get_bytes(in, get16(in), &len);
	uint8_t *copy = malloc(len ? len : 1);

	/* An exact-size copy, so that ASan sees any read past the datagram. */
	memcpy(copy, p, len);
	client_dgram(e, ti, copy, len);
	free(copy);
}

static void op_peer_raw(struct env *e, struct input *in)
{
	uint8_t hb = get8(in);
	int h = hb >= 0xf0 ? (int)(int8_t)hb : FIRST_HANDLE + hb % 16;
	sockaddr_u tmp;
	const sockaddr_u *peer = pick_peer(in, &tmp);
	size_t len;
	const uint8_t *p = get_bytes(in, get16(in), &len);
	uint8_t *copy = malloc(len ? len : 1);

	memcpy(copy, p, len);
	peer_dgram(e, h, peer, copy, len);
	free(copy);
}

/* A peer datagram near the largest UDP payload (65272-65527 bytes), rarely seen otherwise. */
static void op_peer_big(struct env *e, struct input *in)
{
	int h = FIRST_HANDLE + get8(in) % 16;
	sockaddr_u tmp;
	const sockaddr_u *peer = pick_peer(in, &tmp);
	size_t len = 65527 - get8(in);
	uint8_t *buf = malloc(len);

	if (!buf)
		abort();
	memset(buf, 0xa5, len);
	peer_dgram(e, h, peer, buf, len);
	free(buf);
}

static void op_time(struct env *e, struct input *in)
{
	uint8_t unit = get8(in);
	uint64_t v = get16(in);

	v *= unit & 1 ? 1000 : (unit & 2 ? 37 : 1);
	e->now.ms += v;
	e->now.wall_s = T0_WALL + (e->now.ms - T0_MS) / 1000;
	timerq_run(&e->tq, e->now.ms);
}

/* Credentials chosen by the fuzzer: most of them valid, some deliberately not. */
static const struct tc_creds *pick_creds(struct env *e, int ti, uint8_t who, struct tc_creds *c,
					 char *user, size_t ulen)
{
	const sockaddr_u *from = &e->t[(who & 0x18) == 0x18 ? (ti + 1) % NTUPLES : ti].client;
	char pw[64];

	/* Now and then a nonce made for another client's address: a replay, 438. */
	turn_make_nonce(e->s, from, e->now.wall_s, e->nonce);
	switch (who % 8) {
	case 0:
	case 1:
		tc_creds_for(c, "alice", REALM, "s3cret", e->nonce);
		break;
	case 2:
		tc_creds_for(c, "bob", REALM, "b0b", e->nonce);
		break;
	case 3:
	case 4:
		snprintf(user, ulen, "%llu:carol",
			 (unsigned long long)(e->now.wall_s + (who % 8 == 3 ? 100 : 0) - 50));
		if (auth_rest_password(SECRET, user, pw, sizeof(pw)))
			abort();
		tc_creds_for(c, user, REALM, pw, e->nonce);
		break;
	case 5:
		tc_creds_for(c, "alice", REALM, "wrong", e->nonce);
		break;
	case 6:
		return NULL;
	default:
		tc_creds_for(c, "alice", REALM, "s3cret", e->nonce);
		c->sha256 = true;
		break;
	}
	if (who & 0x80)
		turn_make_nonce(e->s, from, e->now.wall_s - 700, e->nonce);	/* stale */
	return c;
}

static void send_req(struct env *e, int ti, struct tc_req *q, const struct tc_creds *c, bool fp)
{
	int len = tc_seal(q, c, fp);

	if (len < 0)
		abort();
	client_dgram(e, ti, q->buf, (size_t)len);
}

static void op_allocate(struct env *e, int ti, struct input *in)
{
	uint8_t fl = get8(in), who = get8(in);
	struct tc_creds c;
	struct tc_req q;
	char user[48];

	tc_begin(&q, TURN_ALLOCATE, STUN_REQUEST, e->tidn++);
	if (!(fl & 0x01))
		tc_transport(&q, fl & 0x02 ? IPPROTO_TCP : IPPROTO_UDP);
	if (fl & 0x04)
		tc_family(&q, STUN_A_REQUESTED_ADDRESS_FAMILY, fl & 0x08 ? 2 : 1);
	if (fl & 0x10)
		tc_family(&q, who & 0x20 ? STUN_A_ADDITIONAL_ADDRESS_FAMILY_DRAFT :
			  STUN_A_ADDITIONAL_ADDRESS_FAMILY, 2);
	if (fl & 0x20)
		tc_even_port(&q, fl & 0x08);
	if (fl & 0x40)
		stun_put(&q.w, STUN_A_RESERVATION_TOKEN, e->f.token, 8);
	if (fl & 0x80)
		tc_lifetime(&q, get32(in));
	send_req(e, ti, &q, pick_creds(e, ti, who, &c, user, sizeof(user)), who & 0x40);
}

static void op_refresh(struct env *e, int ti, struct input *in)
{
	uint8_t fl = get8(in), who = get8(in);
	struct tc_creds c;
	struct tc_req q;
	char user[48];

	tc_begin(&q, TURN_REFRESH, STUN_REQUEST, e->tidn++);
	if (fl & 1)
		tc_lifetime(&q, fl & 2 ? 0 : get32(in));
	if (fl & 4)
		tc_family(&q, STUN_A_REQUESTED_ADDRESS_FAMILY, fl & 8 ? 2 : 1);
	send_req(e, ti, &q, pick_creds(e, ti, who, &c, user, sizeof(user)), fl & 0x10);
}

static void put_peer(struct tc_req *q, const sockaddr_u *peer)
{
	stun_put_xaddr(&q->w, STUN_A_XOR_PEER_ADDRESS, peer);
}

static void op_permission(struct env *e, int ti, struct input *in)
{
	uint8_t n = get8(in), who = get8(in);
	struct tc_creds c;
	struct tc_req q;
	sockaddr_u tmp;
	char user[48];

	tc_begin(&q, TURN_CREATE_PERMISSION, STUN_REQUEST, e->tidn++);
	for (int i = 0; i < n % 6; i++)
		put_peer(&q, pick_peer(in, &tmp));
	send_req(e, ti, &q, pick_creds(e, ti, who, &c, user, sizeof(user)), false);
}

static void op_channel_bind(struct env *e, int ti, struct input *in)
{
	uint8_t who = get8(in);
	uint16_t ch = get16(in);
	struct tc_creds c;
	struct tc_req q;
	sockaddr_u tmp;
	char user[48];

	tc_begin(&q, TURN_CHANNEL_BIND, STUN_REQUEST, e->tidn++);
	if (ch & 0x8000)
		ch = 0x4000 | (ch & 0x0f);	/* mostly a handful of valid numbers */
	tc_channel(&q, ch);
	put_peer(&q, pick_peer(in, &tmp));
	send_req(e, ti, &q, pick_creds(e, ti, who, &c, user, sizeof(user)), false);
}

/* A Send indication; if it was relayed, the peer got exactly DATA. */
static void op_send(struct env *e, int ti, struct input *in)
{
	uint8_t fl = get8(in);
	size_t len, to_peer = e->f.to_peer;
	sockaddr_u tmp;
	const sockaddr_u *peer = pick_peer(in, &tmp);
	const uint8_t *p = get_bytes(in, get8(in), &len);
	struct tc_req q;
	int n;

	tc_begin(&q, TURN_SEND, STUN_INDICATION, e->tidn++);
	put_peer(&q, peer);
	tc_data(&q, p, len);
	if (fl & 1)
		stun_put(&q.w, STUN_A_DONT_FRAGMENT, NULL, 0);
	n = tc_seal(&q, NULL, fl & 2);
	client_dgram(e, ti, q.buf, (size_t)n);
	if (e->f.to_peer != to_peer && (e->f.last_len != len || memcmp(e->f.last, p, len)))
		abort();
}

/* A well-formed ChannelData (0-3 padding bytes); if relayed, the peer got exactly the data. */
static void op_chandata(struct env *e, int ti, struct input *in)
{
	uint16_t ch = 0x4000 | (get16(in) & 0x0f);
	uint8_t pad = get8(in) % 4;
	size_t len, to_peer = e->f.to_peer;
	const uint8_t *p = get_bytes(in, get8(in), &len);
	uint8_t buf[4 + 255 + 3];

	tc_chandata(buf, ch, p, (uint16_t)len, pad);
	client_dgram(e, ti, buf, 4 + len + pad);
	if (e->f.to_peer != to_peer && (e->f.last_len != len || memcmp(e->f.last, p, len)))
		abort();
}

static void op_relay_fail(struct env *e, struct input *in)
{
	static const int errs[] = { 0, -EADDRINUSE, -EAFNOSUPPORT, -EMFILE };
	uint8_t b = get8(in);

	e->f.fail4 = errs[b & 3];
	e->f.fail6 = errs[(b >> 2) & 3];
}

struct totals {
	uint64_t n, perms, chans;
	uint32_t max_left;
	size_t max_perms, max_chans;	/* the most any allocation holds */
};

static int add_up(const struct turn_alloc_info *ai, void *arg)
{
	struct totals *t = arg;

	t->n++;
	t->perms += ai->npermissions;
	t->chans += ai->nchannels;
	if (ai->lifetime_left > t->max_left)
		t->max_left = ai->lifetime_left;
	if (ai->npermissions > t->max_perms)
		t->max_perms = ai->npermissions;
	if (ai->nchannels > t->max_chans)
		t->max_chans = ai->nchannels;
	if (ai->nrelayed < 1 || ai->nrelayed > 2)
		abort();
	return 0;
}

/* The stats must agree with what turn_foreach_alloc sees. */
static void check_totals(const struct env *e)
{
	const struct turn_stats *st = turn_get_stats(e->s);
	struct totals t = { 0 };

	turn_foreach_alloc(e->s, e->now.ms, add_up, &t);
	if (t.n != st->allocations || t.perms != st->permissions || t.chans != st->channels ||
	    t.max_left > e->p.max_lifetime)
		abort();
	if (e->p.max_total && st->allocations > e->p.max_total)
		abort();
	if (e->p.max_perms && (t.max_perms > e->p.max_perms || t.max_chans > e->p.max_chans))
		abort();	/* an allocation past its limits */
}

static void step(struct env *e, struct input *in)
{
	uint8_t sel = get8(in);
	int ti = (sel >> 4) % NTUPLES;

	switch (sel % NOPS) {
	case OP_CLIENT_RAW:
	case OP_CLIENT_RAW2:
		op_client_raw(e, ti, in);
		break;
	case OP_PEER_RAW:
		op_peer_raw(e, in);
		break;
	case OP_TIME:
		op_time(e, in);
		check_totals(e);	/* costly (walks every bucket): after timers only */
		break;
	case OP_ALLOCATE:
		op_allocate(e, ti, in);
		break;
	case OP_REFRESH:
		op_refresh(e, ti, in);
		break;
	case OP_PERMISSION:
		op_permission(e, ti, in);
		break;
	case OP_CHANNEL_BIND:
		op_channel_bind(e, ti, in);
		break;
	case OP_SEND:
		op_send(e, ti, in);
		break;
	case OP_CHANDATA:
		op_chandata(e, ti, in);
		break;
	case OP_RELAY_FAIL:
		op_relay_fail(e, in);
		break;
	default:
		op_peer_big(e, in);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct env *e;

	if (!size)
		return 0;
	e = env_new(get8(&in));
	for (int steps = 0; in.n && steps < 256; steps++)
		step(e, &in);
	check_totals(e);
	env_free(e);
	return 0;
}
