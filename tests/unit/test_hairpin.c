/* test_hairpin.c - two allocations on one server relaying to each other's relayed address. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "loop.h"
#include "policy.h"
#include "stun.h"
#include "tap.h"
#include "turn.h"
#include "turn_client.h"
#include "udp.h"

#define REALM "example.org"
#define USER "alice"
#define PASS "s3cret"
#define PORT_MIN 58000
#define PORT_MAX 58999
#define CH_A 0x4001		/* A's channel to B's relayed address */
#define CH_B 0x4002		/* B's channel to A's relayed address */
#define WAIT_MS 1500		/* longest wait for one datagram (each wait < 2 s) */
#define SLICE_MS 10		/* the loop runs this long between checks */
#define QUIET_MS 200		/* how long "nothing arrives" is watched */

static const char MSG_A[] = "hello-from-A";
static const char MSG_B[] = "hello-from-B";

/* One turnd as main.c builds it: loop, UDP transport (one listener), TURN core. */
struct rig {
	struct loop *l;
	struct udp *u;
	struct turn_server *turn;
	sockaddr_u listen;
};

/* A client with a real socket on 127.0.0.1: replies and relayed data arrive on it. */
struct client {
	int fd;
	struct turn_tuple t;
	sockaddr_u relayed;
	char relayed_s[ADDR_STRLEN];
	uint8_t buf[TC_MAX_MSG];
	struct stun_msg m;
};

static struct auth *g_auth;
static uint32_t g_tidn = 1;

static void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(2);
}

static sockaddr_u sock_name(int fd)
{
	sockaddr_u a;
	socklen_t l = sizeof(a);

	memset(&a, 0, sizeof(a));
	if (getsockname(fd, &a.sa, &l))
		die("getsockname");
	return a;
}

static int udp_loopback(void)
{
	sockaddr_u a = tc_addr("127.0.0.1:0");
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (bind(fd, &a.sa, addr_len(&a)))
		die("bind 127.0.0.1:0");
	return fd;
}

/* A loopback port nobody uses right now, outside the relay range. */
static sockaddr_u free_addr(void)
{
	sockaddr_u a;

	for (int i = 0; i < 100; i++) {
		int fd = udp_loopback();

		a = sock_name(fd);
		close(fd);
		if (addr_port(&a) < PORT_MIN || addr_port(&a) > PORT_MAX)
			break;
	}
	return a;
}

/* --- the daemon under test --- */

static void rig_up(struct rig *r, const struct peer_policy *pol)
{
	struct relay_cfg rc = { .naddr = 1, .port_min = PORT_MIN, .port_max = PORT_MAX };
	struct turn_params p = { .software = "turnd-test", .default_lifetime = 600,
				 .max_lifetime = 3600, .perm_lifetime = 300, .chan_lifetime = 600,
				 .first_id = 1 };
	struct turn_ops ops;

	memset(r, 0, sizeof(*r));
	rc.addr[0] = tc_addr("127.0.0.1:0");
	r->listen = free_addr();
	r->l = loop_new();
	if (!r->l)
		die("loop_new");
	r->u = udp_new(r->l, &r->listen, 1, &rc);
	if (!r->u)
		die("udp_new");
	udp_ops(r->u, &ops);
	r->turn = turn_new(&p, g_auth, pol, loop_timers(r->l), &ops);
	if (!r->turn)
		die("turn_new");
	udp_attach(r->u, r->turn);
}

static void rig_down(struct rig *r)
{
	turn_free(r->turn);
	udp_free(r->u);
	loop_free(r->l);
	memset(r, 0, sizeof(*r));
}

struct stopper {
	struct timer t;
	struct loop *l;
};

static void stopper_fire(struct timer *t, uint64_t now_ms)
{
	(void)now_ms;
	loop_stop(container_of(t, struct stopper, t)->l);
}

/* Run the real event loop for ms: listeners and relay sockets deliver what arrived. */
static void pump(struct rig *r, unsigned ms)
{
	struct stopper s = { .l = r->l };

	timer_init(&s.t, stopper_fire);
	timerq_set(loop_timers(r->l), &s.t, loop_now_ms() + ms);
	loop_run(r->l);
	timerq_del(loop_timers(r->l), &s.t);
}

static struct turn_clock now_clock(void)
{
	struct turn_clock c = { .ms = loop_now_ms(), .wall_s = (uint64_t)time(NULL) };

	return c;
}

/* --- clients --- */

static void client_open(struct client *c, const struct rig *r)
{
	memset(c, 0, sizeof(*c));
	c->fd = udp_loopback();
	c->t.client = sock_name(c->fd);
	c->t.server = r->listen;
	c->t.proto = IPPROTO_UDP;
	c->t.lid = udp_listener_id(r->u, &r->listen);
	if (c->t.lid < 0)
		die("udp_listener_id");
}

/* One datagram already queued on fd (no waiting), or -1. */
static ssize_t recv_now(int fd, void *buf, size_t len, sockaddr_u *from)
{
	socklen_t fl = sizeof(*from);

	return recvfrom(fd, buf, len, MSG_DONTWAIT, &from->sa, &fl);
}

/* The STUN response to tid on c's socket: 0 success, its error code, or -1. */
static int client_reply(struct client *c, const uint8_t *tid)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	const struct stun_attr *ec;
	const char *reason;
	sockaddr_u from;
	size_t rlen;
	int code;

	for (int i = 0; i < 8; i++) {
		ssize_t n;

		if (poll(&p, 1, WAIT_MS) != 1)
			return -1;
		n = recv_now(c->fd, c->buf, sizeof(c->buf), &from);
		if (n < 0)
			return -1;
		if (stun_decode(c->buf, (size_t)n, &c->m) || memcmp(c->m.tid, tid, STUN_TID_LEN))
			continue;
		if (c->m.cls == STUN_SUCCESS)
			return 0;
		ec = stun_find(&c->m, STUN_A_ERROR_CODE);
		if (!ec || stun_get_error(ec, &code, &reason, &rlen))
			return -1;
		return code;
	}
	return -1;
}

/* Seal q with USER's credentials (fresh nonce), hand it to the core on c's tuple, await reply. */
static int client_request(struct rig *r, struct client *c, struct tc_req *q)
{
	struct turn_clock now = now_clock();
	char nonce[AUTH_NONCE_LEN + 1];
	uint8_t tid[STUN_TID_LEN];
	struct tc_creds cr;
	int len;

	turn_make_nonce(r->turn, &c->t.client, now.wall_s, nonce);
	tc_creds_for(&cr, USER, REALM, PASS, nonce);
	len = tc_seal(q, &cr, true);
	if (len < 0)
		die("tc_seal");
	memcpy(tid, q->buf + 8, STUN_TID_LEN);
	turn_on_client(r->turn, &c->t, q->buf, (size_t)len, &now);
	return client_reply(c, tid);
}

static int do_allocate(struct rig *r, struct client *c)
{
	const struct stun_attr *a;
	struct tc_req q;
	int code;

	tc_begin(&q, TURN_ALLOCATE, STUN_REQUEST, g_tidn++);
	tc_transport(&q, IPPROTO_UDP);
	code = client_request(r, c, &q);
	if (code)
		return code;
	a = stun_find(&c->m, STUN_A_XOR_RELAYED_ADDRESS);
	if (!a || stun_get_xaddr(&c->m, a, &c->relayed))
		return -1;
	addr_format(&c->relayed, c->relayed_s, sizeof(c->relayed_s));
	return 0;
}

static int do_perm(struct rig *r, struct client *c, const char *peer)
{
	struct tc_req q;

	tc_begin(&q, TURN_CREATE_PERMISSION, STUN_REQUEST, g_tidn++);
	tc_peer(&q, peer);
	return client_request(r, c, &q);
}

static int do_chan(struct rig *r, struct client *c, uint16_t num, const char *peer)
{
	struct tc_req q;

	tc_begin(&q, TURN_CHANNEL_BIND, STUN_REQUEST, g_tidn++);
	tc_channel(&q, num);
	tc_peer(&q, peer);
	return client_request(r, c, &q);
}

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

	tc_begin(&q, TURN_SEND, STUN_INDICATION, g_tidn++);
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
		pump(r, SLICE_MS);
	}
	return recv_now(c->fd, c->buf, sizeof(c->buf), from);
}

/* Drive the loop until drops[why] exceeds was (<= WAIT_MS). True when it did. */
static bool pump_until_drop(struct rig *r, enum turn_drop why, uint64_t was)
{
	for (unsigned t = 0; t < WAIT_MS; t += SLICE_MS) {
		if (turn_get_stats(r->turn)->drops[why] > was)
			return true;
		pump(r, SLICE_MS);
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
		pump(r, SLICE_MS);
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

	client_open(a, r);
	client_open(b, r);
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
	rig_up(&r, pol);
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
	rig_up(&r, pol);
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
	rig_up(&r, &none);
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
