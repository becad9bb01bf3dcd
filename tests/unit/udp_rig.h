/* udp_rig.h - for tests: one turnd on loopback UDP and clients that talk to it through sockets. */
#ifndef TURND_TEST_UDP_RIG_H
#define TURND_TEST_UDP_RIG_H

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "auth.h"
#include "loop.h"
#include "loop_pump.h"
#include "policy.h"
#include "stun.h"
#include "turn.h"
#include "turn_client.h"
#include "udp.h"

#define RIG_PORT_MIN 58000	/* the relay port range; free_addr() stays outside it */
#define RIG_PORT_MAX 58999
#define RIG_REPLY_MS 1000	/* longest wait for the response to one request */

/* One turnd as main.c builds it: loop, UDP transport (one listener), TURN core. */
struct rig {
	struct loop *l;
	struct udp *u;
	struct turn_server *turn;
	struct auth *auth;
	sockaddr_u listen;
};

/* A client with a real socket on 127.0.0.1: replies and relayed data arrive on it. */
struct client {
	int fd;
	struct turn_tuple t;
	const char *user, *pass;
	sockaddr_u relayed;
	char relayed_s[ADDR_STRLEN];
	uint8_t buf[TC_MAX_MSG];
	struct stun_msg m;
};

static inline void die(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(2);
}

/* A UDP socket bound to addr ("ip:port"), or -1 when the bind fails. */
static inline int udp_bound(const char *addr)
{
	sockaddr_u a = tc_addr(addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	if (bind(fd, &a.sa, addr_len(&a))) {
		close(fd);
		return -1;
	}
	return fd;
}

static inline sockaddr_u sock_name(int fd)
{
	sockaddr_u a;
	socklen_t l = sizeof(a);

	memset(&a, 0, sizeof(a));
	if (getsockname(fd, &a.sa, &l))
		die("getsockname");
	return a;
}

/* A loopback port nobody uses right now, outside the relay range. */
static inline sockaddr_u free_addr(void)
{
	sockaddr_u a;

	for (int i = 0; i < 100; i++) {
		int fd = udp_bound("127.0.0.1:0");

		if (fd < 0)
			die("bind");
		a = sock_name(fd);
		close(fd);
		if (addr_port(&a) < RIG_PORT_MIN || addr_port(&a) > RIG_PORT_MAX)
			break;
	}
	return a;
}

/* One datagram already queued on fd (no waiting), or -1. */
static inline ssize_t recv_now(int fd, void *buf, size_t len, sockaddr_u *from)
{
	socklen_t fl = sizeof(*from);

	return recvfrom(fd, buf, len, MSG_DONTWAIT, &from->sa, &fl);
}

/* One datagram within ms, or -1. */
static inline ssize_t recv_wait(int fd, void *buf, size_t len, unsigned ms, sockaddr_u *from)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, (int)ms) != 1)
		return -1;
	return recv_now(fd, buf, len, from);
}

/* A turnd listening on listen, relaying from 127.0.0.1 in RIG_PORT_MIN..MAX: 0 or -1. */
static inline int rig_up(struct rig *r, const sockaddr_u *listen, struct auth *auth,
			 const struct peer_policy *pol, uint64_t first_id)
{
	struct relay_cfg rc = { .naddr = 1, .port_min = RIG_PORT_MIN, .port_max = RIG_PORT_MAX };
	struct turn_params p = { .software = "turnd-test", .default_lifetime = 600,
				 .max_lifetime = 3600, .perm_lifetime = 300, .chan_lifetime = 600,
				 .first_id = first_id };
	struct turn_ops ops;

	memset(r, 0, sizeof(*r));
	rc.addr[0] = tc_addr("127.0.0.1:0");
	r->listen = *listen;
	r->auth = auth;
	r->l = loop_new();
	if (!r->l)
		return -1;
	r->u = udp_new(r->l, listen, 1, &rc);
	if (!r->u)
		goto err_loop;
	udp_ops(r->u, &ops);
	r->turn = turn_new(&p, auth, pol, loop_timers(r->l), &ops);
	if (!r->turn)
		goto err_udp;
	udp_attach(r->u, r->turn);
	return 0;
err_udp:
	udp_free(r->u);
err_loop:
	loop_free(r->l);
	return -1;
}

static inline void rig_down(struct rig *r)
{
	turn_free(r->turn);
	udp_free(r->u);
	loop_free(r->l);
	memset(r, 0, sizeof(*r));
}

/* Run the real event loop for ms: listeners and relay sockets deliver what arrived. */
static inline void rig_pump(struct rig *r, unsigned ms)
{
	pump(r->l, ms);
}

static inline struct turn_clock now_clock(void)
{
	struct turn_clock c = { .ms = loop_now_ms(), .wall_s = (uint64_t)time(NULL) };

	return c;
}

/* The next transaction number for tc_begin (one sequence per test program). */
static inline uint32_t rig_tid(void)
{
	static uint32_t n = 1;

	return n++;
}

/* A client of r on a fresh 127.0.0.1 socket, with the credentials user:pass. */
static inline void client_open(struct client *c, const struct rig *r, const char *user,
			       const char *pass)
{
	memset(c, 0, sizeof(*c));
	c->fd = udp_bound("127.0.0.1:0");
	if (c->fd < 0)
		die("client bind");
	c->t.client = sock_name(c->fd);
	c->t.server = r->listen;
	c->t.proto = IPPROTO_UDP;
	c->t.lid = udp_listener_id(r->u, &r->listen);
	if (c->t.lid < 0)
		die("udp_listener_id");
	c->user = user;
	c->pass = pass;
}

/* The STUN response to tid on c's socket: 0 success, its error code, or -1. */
static inline int client_reply(struct client *c, const uint8_t *tid)
{
	const struct stun_attr *ec;
	const char *reason;
	size_t rlen;
	sockaddr_u from;
	int code;

	for (int i = 0; i < 8; i++) {
		ssize_t n = recv_wait(c->fd, c->buf, sizeof(c->buf), RIG_REPLY_MS, &from);

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

/* Seal q with c's credentials (fresh nonce), hand it to the core on c's tuple, await reply. */
static inline int client_request(struct rig *r, struct client *c, struct tc_req *q)
{
	struct turn_clock now = now_clock();
	char nonce[AUTH_NONCE_LEN + 1];
	uint8_t tid[STUN_TID_LEN];
	struct tc_creds cr;
	int len;

	turn_make_nonce(r->turn, &c->t.client, now.wall_s, nonce);
	tc_creds_for(&cr, c->user, auth_realm(r->auth), c->pass, nonce);
	len = tc_seal(q, &cr, true);
	if (len < 0)
		die("tc_seal");
	memcpy(tid, q->buf + 8, STUN_TID_LEN);
	turn_on_client(r->turn, &c->t, q->buf, (size_t)len, &now);
	return client_reply(c, tid);
}

/* Allocate (UDP); on success c->relayed and c->relayed_s hold the relayed address. */
static inline int do_allocate(struct rig *r, struct client *c)
{
	const struct stun_attr *a;
	struct tc_req q;
	int code;

	tc_begin(&q, TURN_ALLOCATE, STUN_REQUEST, rig_tid());
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

static inline int do_refresh(struct rig *r, struct client *c, uint32_t lifetime)
{
	struct tc_req q;

	tc_begin(&q, TURN_REFRESH, STUN_REQUEST, rig_tid());
	tc_lifetime(&q, lifetime);
	return client_request(r, c, &q);
}

static inline int do_perm(struct rig *r, struct client *c, const char *peer)
{
	struct tc_req q;

	tc_begin(&q, TURN_CREATE_PERMISSION, STUN_REQUEST, rig_tid());
	tc_peer(&q, peer);
	return client_request(r, c, &q);
}

static inline int do_chan(struct rig *r, struct client *c, uint16_t num, const char *peer)
{
	struct tc_req q;

	tc_begin(&q, TURN_CHANNEL_BIND, STUN_REQUEST, rig_tid());
	tc_channel(&q, num);
	tc_peer(&q, peer);
	return client_request(r, c, &q);
}

#endif
