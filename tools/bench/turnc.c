/* turnc.c - the benchmark's TURN client: blocking transactions over one UDP socket each. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "log.h"
#include "stun.h"
#include "turnc.h"

#define RTO_MS 500
#define TRIES 4
#define MSG_MAX 1500

/* A request's attributes, by method: peer address, channel, lifetime. */
struct req {
	uint16_t method;
	uint16_t channel;		/* ChannelBind only */
	uint32_t lifetime;		/* Allocate, Refresh */
	const sockaddr_u *peer;		/* ChannelBind, CreatePermission */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int stopped(const struct turnc_sess *s)
{
	return s->stop && *s->stop;
}

/* Encode r (with credentials when known) into buf. Returns the length or -errno. */
static int encode(const struct turnc_sess *s, const struct req *r, uint8_t *buf, size_t cap,
		  uint8_t tid[STUN_TID_LEN])
{
	struct stun_writer w;

	if (getrandom(tid, STUN_TID_LEN, 0) != STUN_TID_LEN)
		return -EIO;
	stun_begin(&w, buf, cap, r->method, STUN_REQUEST, tid);
	if (r->method == TURN_ALLOCATE)
		stun_put_u32(&w, STUN_A_REQUESTED_TRANSPORT, 17u << 24);
	if (r->method == TURN_ALLOCATE || r->method == TURN_REFRESH)
		stun_put_u32(&w, STUN_A_LIFETIME, r->lifetime);
	if (r->method == TURN_CHANNEL_BIND)
		stun_put_u32(&w, STUN_A_CHANNEL_NUMBER, (uint32_t)r->channel << 16);
	if (r->method == TURN_CHANNEL_BIND || r->method == TURN_CREATE_PERMISSION)
		stun_put_xaddr(&w, STUN_A_XOR_PEER_ADDRESS, r->peer);
	if (s->have_auth) {
		stun_put_str(&w, STUN_A_USERNAME, s->user);
		stun_put_str(&w, STUN_A_REALM, s->realm);
		stun_put_str(&w, STUN_A_NONCE, s->nonce);
		stun_put_integrity(&w, s->key, AUTH_KEY_LEN);
	}
	return stun_end(&w);
}

/* Wait for the response to tid on fd (bounded by RTO_MS). 0 and m, -ETIMEDOUT, -errno. */
static int await(const struct turnc_sess *s, int fd, const uint8_t tid[STUN_TID_LEN],
		 uint8_t *buf, struct stun_msg *m)
{
	uint64_t deadline = now_ms() + RTO_MS;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int left;

	while ((left = (int)(deadline - now_ms())) > 0 && !stopped(s)) {
		if (poll(&pfd, 1, left) <= 0)
			continue;
		n = recv(fd, buf, MSG_MAX, 0);
		if (n < 0)
			return -errno;
		if (stun_decode(buf, (size_t)n, m) == 0 && !memcmp(m->tid, tid, STUN_TID_LEN))
			return 0;
	}
	return -ETIMEDOUT;
}

/* Learn realm and nonce from a 401/438 answer. 0, or the code when there is no nonce. */
static int learn(struct turnc_sess *s, const struct stun_msg *m, int code)
{
	if (stun_get_str(m, STUN_A_NONCE, s->nonce, sizeof(s->nonce)))
		return code;
	if (!stun_get_str(m, STUN_A_REALM, s->realm, sizeof(s->realm)))
		auth_derive_key(s->user, s->realm, s->password, s->key);
	return 0;
}

/*
 * One transaction with retransmissions; handles 401 (first contact: learn realm and nonce)
 * and 438 (stale nonce) by retrying with fresh credentials. Returns 0 on a success response
 * (in m, buf), the error code (> 0) of an error response, or -errno.
 */
static int transact(struct turnc_sess *s, int fd, const struct req *r, uint8_t *buf,
		    struct stun_msg *m)
{
	uint8_t out[MSG_MAX], tid[STUN_TID_LEN];
	int len, try, code, rounds;
	const struct stun_attr *a;
	const char *reason;
	size_t rlen;

	for (rounds = 0; rounds < 3; rounds++) {
		len = encode(s, r, out, sizeof(out), tid);
		if (len < 0)
			return len;
		for (try = 0; try < TRIES; try++) {
			if (send(fd, out, (size_t)len, 0) < 0)
				return -errno;
			if (await(s, fd, tid, buf, m) == 0)
				break;
			if (stopped(s))
				return -EINTR;
		}
		if (try == TRIES)
			return -ETIMEDOUT;
		if (m->cls == STUN_SUCCESS)
			return 0;
		a = stun_find(m, STUN_A_ERROR_CODE);
		if (!a || stun_get_error(a, &code, &reason, &rlen))
			return -EBADMSG;
		if (code != 401 && code != 438)
			return code;
		if (learn(s, m, code) || (code == 401 && s->have_auth && rounds > 0))
			return code;
		s->have_auth = 1;
	}
	return -EPROTO;
}

int turnc_open(struct turnc_sess *s, struct turnc_alloc *a, const sockaddr_u *local)
{
	sockaddr_u me;
	socklen_t len = sizeof(me);
	int err;

	a->relay_port = 0;
	a->fd = socket(s->server.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (a->fd < 0)
		return -errno;
	if (bind(a->fd, &local->sa, addr_len(local)) ||
	    connect(a->fd, &s->server.sa, addr_len(&s->server)) ||
	    getsockname(a->fd, &me.sa, &len)) {
		err = -errno;
		close(a->fd);
		a->fd = -1;
		return err;
	}
	a->client_port = addr_port(&me);
	return 0;
}

int turnc_allocate(struct turnc_sess *s, struct turnc_alloc *a)
{
	struct req r = { .method = TURN_ALLOCATE, .lifetime = s->lifetime };
	const struct stun_attr *at;
	uint8_t buf[MSG_MAX];
	struct stun_msg m;
	sockaddr_u relayed;
	int err;

	err = transact(s, a->fd, &r, buf, &m);
	if (err)
		return err;
	at = stun_find(&m, STUN_A_XOR_RELAYED_ADDRESS);
	if (!at || stun_get_xaddr(&m, at, &relayed))
		return -EBADMSG;
	a->relay_port = addr_port(&relayed);
	return 0;
}

int turnc_permit(struct turnc_sess *s, struct turnc_alloc *a, const sockaddr_u *peer)
{
	struct req r = { .method = TURN_CREATE_PERMISSION, .peer = peer };
	uint8_t buf[MSG_MAX];
	struct stun_msg m;

	return transact(s, a->fd, &r, buf, &m);
}

int turnc_bind(struct turnc_sess *s, struct turnc_alloc *a, const sockaddr_u *peer,
	       uint16_t channel)
{
	struct req r = { .method = TURN_CHANNEL_BIND, .peer = peer, .channel = channel };
	uint8_t buf[MSG_MAX];
	struct stun_msg m;

	return transact(s, a->fd, &r, buf, &m);
}

int turnc_refresh(struct turnc_sess *s, struct turnc_alloc *a)
{
	struct req r = { .method = TURN_REFRESH, .lifetime = s->lifetime };
	uint8_t buf[MSG_MAX];
	struct stun_msg m;

	return transact(s, a->fd, &r, buf, &m);
}

void turnc_release(struct turnc_sess *s, struct turnc_alloc *a)
{
	struct req r = { .method = TURN_REFRESH, .lifetime = 0 };
	uint8_t out[MSG_MAX], tid[STUN_TID_LEN];
	int len;

	if (a->fd < 0)
		return;
	len = a->relay_port ? encode(s, &r, out, sizeof(out), tid) : 0;
	if (len > 0 && send(a->fd, out, (size_t)len, 0) < 0)
		pr_debug("msg=\"release send failed\" port=%u err=%s", a->client_port,
			 strerror(errno));
	close(a->fd);
	a->fd = -1;
}

const char *turnc_strerror(int err)
{
	return err < 0 ? strerror(-err) : stun_reason(err);
}
