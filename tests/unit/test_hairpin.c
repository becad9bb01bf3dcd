/* test_hairpin.c - two allocations on one server relaying to each other's relayed address. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "policy.h"
#include "stun.h"
#include "tap.h"
#include "turn.h"
#include "turn_client.h"
#include "udp_rig.h"

#define REALM "example.org"
#define USER "alice"
#define PASS "s3cret"
#define CH_A 0x4001		/* A's channel to B's relayed address */
#define CH_B 0x4002		/* B's channel to A's relayed address */
#define WAIT_MS 1500		/* longest wait for one datagram (each wait < 2 s) */
#define SLICE_MS 10		/* the loop runs this long between checks */
#define QUIET_MS 200		/* how long "nothing arrives" is watched */

static const char MSG_A[] = "hello-from-A";
static const char MSG_B[] = "hello-from-B";

static struct auth *g_auth;

/* The daemon under test, listening on a free loopback port, with peer policy pol. */
static void hairpin_up(struct rig *r, const struct peer_policy *pol)
{
	sockaddr_u listen = free_addr();

	if (rig_up(r, &listen, g_auth, pol, 1))
		die("rig_up");
}

/* --- clients --- */

/* Send raw bytes from c's socket to the server's listener (the real receive path). */
static void client_send(const struct rig *r, const struct client *c, const void *buf, size_t len)
{
	if (sendto(c->fd, buf, len, 0, &r->listen.sa, addr_len(&r->listen)) != (ssize_t)len)
		die("sendto listener");
}

static void send_chandata(const struct rig *r, const struct client *c, uint16_t num,
			  const char *msg)
{
	uint8_t buf[64];
	size_t n = tc_chandata(buf, num, msg, (uint16_t)strlen(msg), 0);

	client_send(r, c, buf, n);
}

/* An unauthenticated Send indication to peer (RFC 8656 11), with FINGERPRINT. */
static void send_indication(const struct rig *r, const struct client *c, const char *peer,
			    const char *msg)
{
	struct tc_req q;
	int n;

	tc_begin(&q, TURN_SEND, STUN_INDICATION, rig_tid());
	tc_peer(&q, peer);
	tc_data(&q, msg, strlen(msg));
	n = tc_seal(&q, NULL, true);
	if (n < 0)
		die("tc_seal send");
	client_send(r, c, q.buf, (size_t)n);
}

/* Drive the loop in short slices until c's socket holds a datagram (<= WAIT_MS). Length or -1. */
static ssize_t pump_until_recv(struct rig *r, struct client *c, sockaddr_u *from)
{
	for (unsigned t = 0; t < WAIT_MS; t += SLICE_MS) {
		ssize_t n = recv_now(c->fd, c->buf, sizeof(c->buf), from);

		if (n >= 0)
			return n;
		rig_pump(r, SLICE_MS);
	}
	return recv_now(c->fd, c->buf, sizeof(c->buf), from);
}

/* Drive the loop until drops[why] exceeds was (<= WAIT_MS). True when it did. */
static bool pump_until_drop(struct rig *r, enum turn_drop why, uint64_t was)
{
	for (unsigned t = 0; t < WAIT_MS; t += SLICE_MS) {
		if (turn_get_stats(r->turn)->drops[why] > was)
			return true;
		rig_pump(r, SLICE_MS);
	}
	return turn_get_stats(r->turn)->drops[why] > was;
}

/* Keep the loop running for QUIET_MS; true when nothing reached c's socket meanwhile. */
static bool stays_quiet(struct rig *r, struct client *c)
{
	sockaddr_u from;

	for (unsigned t = 0; t < QUIET_MS; t += SLICE_MS) {
		if (recv_now(c->fd, c->buf, sizeof(c->buf), &from) >= 0)
			return false;
		rig_pump(r, SLICE_MS);
	}
	return recv_now(c->fd, c->buf, sizeof(c->buf), &from) < 0;
}

/* A received datagram equals ChannelData(num, msg) exactly (no padding over UDP). */
static void check_chandata(const struct client *c, ssize_t n, uint16_t num, const char *msg,
			   const sockaddr_u *from, const struct rig *r, const char *what)
{
	uint8_t want[64];
	size_t wn = tc_chandata(want, num, msg, (uint16_t)strlen(msg), 0);

	is_int(n, (ssize_t)wn, "%s: datagram of %zu bytes", what, wn);
	ok(n == (ssize_t)wn && !memcmp(c->buf, want, wn),
	   "%s: bytes are ChannelData(0x%04x, \"%s\")", what, num, msg);
	ok(addr_equal(from, &r->listen), "%s: sent from the listener the client uses", what);
}

/* Two clients, each allocated; returns with a.relayed and b.relayed both 127.0.0.1:port. */
static void two_allocs(struct rig *r, struct client *a, struct client *b)
{
	sockaddr_u lo = tc_addr("127.0.0.1:0");

	client_open(a, r, USER, PASS);
	client_open(b, r, USER, PASS);
	is_int(do_allocate(r, a), 0, "A: Allocate");
	is_int(do_allocate(r, b), 0, "B: Allocate");
	ok(addr_equal_ip(&a->relayed, &lo) && addr_equal_ip(&b->relayed, &lo) &&
	   addr_port(&a->relayed) != addr_port(&b->relayed),
	   "relayed addresses are 127.0.0.1 on two ports (A %s, B %s)", a->relayed_s,
	   b->relayed_s);
}

/* --- cases --- */

/* Both directions: A -> B by ChannelData, B -> A by Send indication; both arrive as channels. */
static void test_both_ways(const struct peer_policy *pol)
{
	const struct turn_stats *st;
	struct client a, b;
	sockaddr_u from;
	struct rig r;
	ssize_t n;

	diag("hairpin both ways: ChannelData A->B, Send indication B->A");
	hairpin_up(&r, pol);
	two_allocs(&r, &a, &b);
	is_int(do_perm(&r, &a, "127.0.0.1"), 0, "A: CreatePermission 127.0.0.1");
	is_int(do_chan(&r, &a, CH_A, b.relayed_s), 0, "A: ChannelBind 0x4001 to B's relay %s",
	       b.relayed_s);
	is_int(do_perm(&r, &b, "127.0.0.1"), 0, "B: CreatePermission 127.0.0.1");
	is_int(do_chan(&r, &b, CH_B, a.relayed_s), 0, "B: ChannelBind 0x4002 to A's relay %s",
	       a.relayed_s);

	send_chandata(&r, &a, CH_A, MSG_A);
	n = pump_until_recv(&r, &b, &from);
	ok(n >= 0, "A->B: B received a datagram within %d ms", WAIT_MS);
	check_chandata(&b, n, CH_B, MSG_A, &from, &r, "A->B");

	send_indication(&r, &b, a.relayed_s, MSG_B);
	n = pump_until_recv(&r, &a, &from);
	ok(n >= 0, "B->A: A received a datagram within %d ms", WAIT_MS);
	check_chandata(&a, n, CH_A, MSG_B, &from, &r, "B->A (Send in, ChannelData out)");

	ok(stays_quiet(&r, &a) && stays_quiet(&r, &b), "no further datagram to either client");
	st = turn_get_stats(r.turn);
	is_int(st->pkts_c2p, 2, "stats: pkts_c2p 2");
	is_int(st->pkts_p2c, 2, "stats: pkts_p2c 2");
	is_int(st->bytes_c2p, strlen(MSG_A) + strlen(MSG_B), "stats: bytes_c2p is both payloads");
	is_int(st->bytes_p2c, strlen(MSG_A) + strlen(MSG_B), "stats: bytes_p2c is both payloads");
	is_int(st->drops[DROP_NO_PERMISSION], 0, "stats: no permission drop");
	is_int(st->drops[DROP_MALFORMED], 0, "stats: nothing malformed");
	close(a.fd);
	close(b.fd);
	rig_down(&r);
}

/* B has no permission for 127.0.0.1: A's data dies at B's relay; then B adds one (control). */
static void test_no_permission(const struct peer_policy *pol)
{
	const struct stun_attr *pa, *da;
	const struct turn_stats *st;
	struct client a, b;
	sockaddr_u from, peer;
	struct rig r;
	uint64_t drops;
	ssize_t n;

	diag("hairpin to a relay without a permission: dropped there");
	hairpin_up(&r, pol);
	st = turn_get_stats(r.turn);
	two_allocs(&r, &a, &b);
	is_int(do_perm(&r, &a, "127.0.0.1"), 0, "A: CreatePermission 127.0.0.1");
	is_int(do_chan(&r, &a, CH_A, b.relayed_s), 0, "A: ChannelBind 0x4001 to B's relay");

	drops = st->drops[DROP_NO_PERMISSION];
	send_chandata(&r, &a, CH_A, MSG_A);
	ok(pump_until_drop(&r, DROP_NO_PERMISSION, drops),
	   "drops[DROP_NO_PERMISSION] went up within %d ms", WAIT_MS);
	is_int(st->drops[DROP_NO_PERMISSION], drops + 1, "exactly one permission drop");
	ok(stays_quiet(&r, &b), "B received nothing");
	is_int(st->pkts_c2p, 1, "A's side relayed it (pkts_c2p 1)");
	is_int(st->pkts_p2c, 0, "B's side delivered nothing (pkts_p2c 0)");

	is_int(do_perm(&r, &b, "127.0.0.1"), 0, "B: now CreatePermission 127.0.0.1");
	send_chandata(&r, &a, CH_A, MSG_A);
	n = pump_until_recv(&r, &b, &from);
	ok(n > 0 && !stun_decode(b.buf, (size_t)n, &b.m) && b.m.method == TURN_DATA &&
	   b.m.cls == STUN_INDICATION, "B (no channel) now gets a Data indication");
	pa = n > 0 ? stun_find(&b.m, STUN_A_XOR_PEER_ADDRESS) : NULL;
	da = n > 0 ? stun_find(&b.m, STUN_A_DATA) : NULL;
	ok(pa && !stun_get_xaddr(&b.m, pa, &peer) && addr_equal(&peer, &a.relayed),
	   "its XOR-PEER-ADDRESS is A's relayed address");
	ok(da && da->len == strlen(MSG_A) && !memcmp(da->val, MSG_A, da->len),
	   "its DATA is \"%s\"", MSG_A);
	is_int(st->drops[DROP_NO_PERMISSION], drops + 1, "no further permission drop");
	is_int(st->pkts_p2c, 1, "pkts_p2c 1");
	close(a.fd);
	close(b.fd);
	rig_down(&r);
}

/* The default policy refuses loopback peers: no hairpin over 127.0.0.1 without peers.allow. */
static void test_default_policy(void)
{
	struct peer_policy none = { 0 };
	struct client a, b;
	struct rig r;

	diag("default peer policy: a loopback relayed address is a refused peer");
	hairpin_up(&r, &none);
	two_allocs(&r, &a, &b);
	is_int(do_perm(&r, &a, "127.0.0.1"), 403, "A: CreatePermission 127.0.0.1 is 403");
	is_int(do_chan(&r, &a, CH_A, b.relayed_s), 403, "A: ChannelBind to B's relay is 403");
	send_chandata(&r, &a, CH_A, MSG_A);
	ok(stays_quiet(&r, &b), "B received nothing");
	is_int(turn_get_stats(r.turn)->pkts_c2p, 0, "nothing relayed");
	close(a.fd);
	close(b.fd);
	rig_down(&r);
}

int main(void)
{
	struct peer_policy pol = { 0 };

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_set_level(LOG_LVL_ERR);
	g_auth = auth_new(REALM, 600);
	if (!g_auth || auth_add_user(g_auth, USER, PASS) ||
	    peer_policy_add(&pol, true, "127.0.0.0/8"))
		die("auth/policy");
	test_both_ways(&pol);
	test_no_permission(&pol);
	test_default_policy();
	auth_free(g_auth);
	peer_policy_free(&pol);
	return done_testing();
}
