/* test_amplify.c - what an unauthenticated sender gets back per byte sent: measured, bounded. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stun.h"
#include "tap.h"
#include "turn.h"
#include "turn_client.h"

/*
 * Every request below comes from a client without credentials and without an allocation,
 * fed to the TURN core as the UDP layer would (the core's answer is what goes on the wire,
 * byte for byte). Sizes are UDP payloads; the ratio at IP level adds a 28-byte IPv4 or
 * 48-byte IPv6+UDP header to both sides. The table printed is the README's.
 */

#define T0_MS 1000000ull
#define T0_WALL 1700000000ull
#define WORST_RATIO 4.6	/* with an 11-byte realm: the README's figure */

struct capture {
	size_t n, bytes, last;
};

static void cap_send_client(void *ctx, const struct turn_tuple *t, const uint8_t *buf,
			    size_t len)
{
	struct capture *c = ctx;

	(void)t;
	(void)buf;
	c->n++;
	c->bytes += len;
	c->last = len;
}

static int no_relay(void *ctx, int af, unsigned flags, sockaddr_u *addr, int *next_handle,
		    sockaddr_u *next_addr)
{
	(void)ctx, (void)af, (void)flags, (void)addr, (void)next_handle, (void)next_addr;
	return -EADDRINUSE;
}

static void no_close(void *ctx, int h)
{
	(void)ctx, (void)h;
}

static void no_peer(void *ctx, int h, const sockaddr_u *p, const uint8_t *b, size_t l, bool df)
{
	(void)ctx, (void)h, (void)p, (void)b, (void)l, (void)df;
}

struct env {
	struct capture cap;
	struct auth *auth;
	struct peer_policy pol;
	struct timerq tq;
	struct turn_server *s;
	struct turn_clock now;
	struct turn_tuple t4, t6;
};

static void setup(struct env *e, const char *realm, const char *software, uint32_t rate)
{
	struct turn_ops ops = { .ctx = &e->cap, .relay_open = no_relay, .relay_close = no_close,
				.send_client = cap_send_client, .send_peer = no_peer };
	struct turn_params p = { .software = software, .default_lifetime = 600,
				 .max_lifetime = 3600, .perm_lifetime = 300, .chan_lifetime = 600,
				 .unauth_rate = rate };

	memset(e, 0, sizeof(*e));
	e->auth = auth_new(realm, 600);
	if (!e->auth || auth_add_user(e->auth, "alice", "s3cret"))
		abort();
	timerq_init(&e->tq);
	e->s = turn_new(&p, e->auth, &e->pol, &e->tq, &ops);
	if (!e->s)
		abort();
	e->now = (struct turn_clock){ .ms = T0_MS, .wall_s = T0_WALL };
	e->t4 = (struct turn_tuple){ .proto = IPPROTO_UDP, .client = tc_addr("192.0.2.10:40000"),
				     .server = tc_addr("192.0.2.1:3478") };
	e->t6 = (struct turn_tuple){ .proto = IPPROTO_UDP,
				     .client = tc_addr("[2001:db8::10]:40000"),
				     .server = tc_addr("[2001:db8::1]:3478") };
}

static void teardown(struct env *e)
{
	turn_free(e->s);
	timerq_free(&e->tq);
	auth_free(e->auth);
}

/* One request; the size of the answer (0: none). */
static size_t answer(struct env *e, const struct turn_tuple *t, const uint8_t *buf, size_t len)
{
	size_t before = e->cap.n;

	turn_on_client(e->s, t, buf, len, &e->now);
	return e->cap.n == before ? 0 : e->cap.last;
}

/* The ways to ask without credentials. */
enum kind { K_BINDING, K_BINDING_FP, K_ALLOCATE, K_ALLOCATE_FP, K_ALLOCATE_UDP, K_REFRESH,
	    K_UNKNOWN_METHOD, K_UNKNOWN_ATTR, K_NO_USERNAME, K_FOREIGN_NONCE, K_SEND, K_NR };

static const char *const kind_names[K_NR] = {
	"Binding", "Binding + FINGERPRINT", "Allocate, no attributes (401)",
	"Allocate + FINGERPRINT (401)", "Allocate + REQUESTED-TRANSPORT (401)",
	"Refresh, no attributes (401)", "unknown method (400)",
	"Binding + 1 unknown attribute (420)", "Allocate, integrity, no USERNAME (400)",
	"Allocate, another address's nonce (438)", "Send indication (no answer)",
};

static int build(struct env *e, enum kind k, uint32_t n, uint8_t *out)
{
	static const uint16_t methods[K_NR] = {
		STUN_BINDING, STUN_BINDING, TURN_ALLOCATE, TURN_ALLOCATE, TURN_ALLOCATE,
		TURN_REFRESH, 0x00a, STUN_BINDING, TURN_ALLOCATE, TURN_ALLOCATE, TURN_SEND };
	char nonce[AUTH_NONCE_LEN + 1];
	struct tc_creds c;
	struct tc_req q;
	int len;

	tc_begin(&q, methods[k], k == K_SEND ? STUN_INDICATION : STUN_REQUEST, n);
	if (k == K_ALLOCATE_UDP)
		tc_transport(&q, IPPROTO_UDP);
	if (k == K_UNKNOWN_ATTR)
		stun_put(&q.w, 0x0031, NULL, 0);
	if (k == K_SEND) {
		tc_peer(&q, "198.51.100.7:6000");
		tc_data(&q, "x", 1);
	}
	turn_make_nonce(e->s, &e->t6.client, e->now.wall_s, nonce);
	tc_creds_for(&c, "a", auth_realm(e->auth), "s3cret", nonce);
	if (k == K_NO_USERNAME)
		c.user = NULL;
	len = tc_seal(&q, k == K_NO_USERNAME || k == K_FOREIGN_NONCE ? &c : NULL,
		      k == K_BINDING_FP || k == K_ALLOCATE_FP);
	if (len < 0)
		abort();
	memcpy(out, q.buf, (size_t)len);
	return len;
}

struct row {
	size_t in, out4, out6;
};

/* Each kind once over IPv4 and once over IPv6; the worst payload ratio. */
static double measure(struct env *e, struct row rows[K_NR], uint32_t *tidn)
{
	uint8_t buf[TC_MAX_MSG];
	double worst = 0;

	for (int k = 0; k < K_NR; k++) {
		size_t len = (size_t)build(e, (enum kind)k, (*tidn)++, buf);

		rows[k].in = len;
		rows[k].out4 = answer(e, &e->t4, buf, len);
		len = (size_t)build(e, (enum kind)k, (*tidn)++, buf);
		rows[k].out6 = answer(e, &e->t6, buf, len);
		if ((double)rows[k].out4 / (double)len > worst)
			worst = (double)rows[k].out4 / (double)len;
		if ((double)rows[k].out6 / (double)len > worst)
			worst = (double)rows[k].out6 / (double)len;
	}
	return worst;
}

static void print_rows(const struct row rows[K_NR])
{
	diag("| request | bytes in | out, IPv4 | out, IPv6 | payload ratio | IPv4 packet ratio |");
	diag("|---|---|---|---|---|---|");
	for (int k = 0; k < K_NR; k++) {
		size_t o = rows[k].out4 > rows[k].out6 ? rows[k].out4 : rows[k].out6;

		diag("| %s | %zu | %zu | %zu | %.2f | %.2f |", kind_names[k], rows[k].in,
		     rows[k].out4, rows[k].out6, (double)o / (double)rows[k].in,
		     rows[k].out4 ? (double)(rows[k].out4 + 28) / (double)(rows[k].in + 28) : 0.0);
	}
}

static void test_default_realm(void)
{
	struct row rows[K_NR], rows_nosw[K_NR];
	uint32_t tidn = 1;
	double worst, worst_nosw;
	struct env e;

	diag("realm \"example.org\" (11 bytes), software \"turnd\", no request limit:");
	setup(&e, "example.org", "turnd", 0);
	worst = measure(&e, rows, &tidn);
	print_rows(rows);
	teardown(&e);
	setup(&e, "example.org", "", 0);
	worst_nosw = measure(&e, rows_nosw, &tidn);
	teardown(&e);

	ok(!memcmp(rows, rows_nosw, sizeof(rows)),
	   "software \"turnd\" or none: every unauthenticated answer has the same size "
	   "(SOFTWARE goes in authenticated answers only)");
	is_int(rows[K_BINDING].out4, 32, "Binding over IPv4: 32 bytes (XOR-MAPPED-ADDRESS only)");
	is_int(rows[K_BINDING].out6, 44, "Binding over IPv6: 44 bytes");
	is_int(rows[K_ALLOCATE].out4, 92,
	       "bare Allocate: a 92-byte 401 (ERROR-CODE, REALM, NONCE)");
	is_int(rows[K_ALLOCATE_UDP].out4, 92, "REQUESTED-TRANSPORT changes nothing in the 401");
	is_int(rows[K_SEND].out4 + rows[K_SEND].out6, 0, "Send indication: no answer");
	ok(rows[K_FOREIGN_NONCE].out6 < rows[K_FOREIGN_NONCE].in,
	   "438 is smaller than the request that earns it");
	ok(worst == worst_nosw && worst <= WORST_RATIO + 1e-9,
	   "worst payload ratio %.2f (bare Allocate -> 401), at most %.1f", worst, WORST_RATIO);
}

/* The realm is the operator's: its length is in every 401. */
static void test_long_realm(void)
{
	char realm[127 * 4 + 1] = "";
	struct row rows[K_NR];
	uint32_t tidn = 1;
	double worst;
	struct env e;

	for (int i = 0; i < 127; i++)
		strcat(realm, "\xf0\x9f\x98\x80");	/* 127 4-byte characters: the longest */
	setup(&e, realm, "turnd", 0);
	worst = measure(&e, rows, &tidn);
	teardown(&e);
	is_int(rows[K_ALLOCATE].out4, 80 + 508, "508-byte realm: a 588-byte 401");
	diag("longest realm turnd accepts (127 characters, 508 bytes): worst payload ratio %.1f",
	     worst);
	ok(worst > 29 && worst < 30, "the ratio grows with the realm: (80 + realm bytes, padded "
	   "to 4) / 20");
}

/* A flood from one (spoofed) address, with the default limit: what comes back. */
static void test_flood(void)
{
	uint8_t buf[TC_MAX_MSG];
	size_t in = 0, answered = 0;
	struct env e;
	int len;

	setup(&e, "example.org", "turnd", 50);
	for (uint32_t i = 0; i < 10000; i++) {
		len = build(&e, K_ALLOCATE, i + 1, buf);
		in += (size_t)len;
		answered += answer(&e, &e.t4, buf, (size_t)len) != 0;
		if (i % 100 == 99)
			e.now.ms += 10;	/* 10,000 requests in one second */
	}
	diag("unauth_rate 50 (burst 100): 10000 bare Allocates in 1 s from one address, "
	     "%zu answered, %zu bytes in, %zu bytes out, ratio %.3f", answered, in, e.cap.bytes,
	     (double)e.cap.bytes / (double)in);
	ok(answered >= 148 && answered <= 151, "burst 100 + 50/s for 1 s: %zu answered",
	   answered);
	ok(e.cap.bytes * 10 < in, "a flood gets back less than a tenth of what it sends");
	teardown(&e);
}

int main(void)
{
	log_set_level(LOG_LVL_ERR);
	test_default_realm();
	test_long_realm();
	test_flood();
	return done_testing();
}
