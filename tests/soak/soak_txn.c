/* soak_txn.c - the soak client's TURN transactions: one request per flow at a time. */
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "log.h"
#include "soak_int.h"

#define MSG_MAX 1024

static const uint16_t methods[] = {
	[ST_ALLOCATE] = TURN_ALLOCATE, [ST_REFRESH] = TURN_REFRESH,
	[ST_PERMIT] = TURN_CREATE_PERMISSION, [ST_BIND] = TURN_CHANNEL_BIND,
	[ST_RELEASE] = TURN_REFRESH,
};

static const char *const step_names[] = {
	[ST_IDLE] = "idle", [ST_ALLOCATE] = "allocate", [ST_REFRESH] = "refresh",
	[ST_PERMIT] = "permission", [ST_BIND] = "channel-bind", [ST_RELEASE] = "release",
};

/* f's request in buf (credentials once known). Its length, or -errno. */
static int encode(const struct soak *s, const struct soak_flow *f, uint8_t *buf, size_t cap)
{
	struct stun_writer w;

	stun_begin(&w, buf, cap, methods[f->step], STUN_REQUEST, f->tid);
	if (f->step == ST_ALLOCATE)
		stun_put_u32(&w, STUN_A_REQUESTED_TRANSPORT, 17u << 24);
	if (f->step == ST_ALLOCATE || f->step == ST_REFRESH)
		stun_put_u32(&w, STUN_A_LIFETIME, s->o.lifetime_s);
	if (f->step == ST_RELEASE)
		stun_put_u32(&w, STUN_A_LIFETIME, 0);
	if (f->step == ST_BIND)
		stun_put_u32(&w, STUN_A_CHANNEL_NUMBER, (uint32_t)f->channel << 16);
	if (f->step == ST_PERMIT || f->step == ST_BIND)
		stun_put_xaddr(&w, STUN_A_XOR_PEER_ADDRESS, &s->o.peer);
	if (s->have_auth) {
		stun_put_str(&w, STUN_A_USERNAME, s->o.user);
		stun_put_str(&w, STUN_A_REALM, s->realm);
		stun_put_str(&w, STUN_A_NONCE, s->nonce);
		stun_put_integrity(&w, s->key, AUTH_KEY_LEN);
	}
	stun_put_fingerprint(&w);
	return stun_end(&w);
}

/* (Re)send f's request. A failed send is left to the retransmission timer. */
static void transmit(struct soak *s, struct soak_flow *f, uint64_t now)
{
	uint8_t buf[MSG_MAX];
	int len = encode(s, f, buf, sizeof(buf));

	f->next_tx_ms = now + ((uint64_t)SOAK_RTO_MS << (f->tries ? f->tries - 1 : 0));
	if (len < 0) {
		pr_err("msg=\"cannot encode a request\" flow=%u step=%s err=%d", f->idx,
		       step_names[f->step], len);
		s->c.err_other++;
		return;
	}
	if (send(f->fd, buf, (size_t)len, 0) < 0) {
		pr_warn("msg=\"request send failed\" flow=%u step=%s err=\"%s\"", f->idx,
			step_names[f->step], strerror(errno));
		s->c.send_err++;
	}
}

/* A new transaction id, first transmission. */
static void send_new(struct soak *s, struct soak_flow *f, uint64_t now)
{
	if (getrandom(f->tid, STUN_TID_LEN, 0) != STUN_TID_LEN)
		memset(f->tid, (int)(now & 0xff), STUN_TID_LEN);
	f->tries = 1;
	transmit(s, f, now);
}

void txn_start(struct soak *s, struct soak_flow *f, enum soak_step step, uint64_t now)
{
	if (f->step == ST_IDLE)
		s->inflight++;
	f->step = (uint8_t)step;
	f->auth_rounds = 0;
	f->first_ms = now;
	send_new(s, f, now);
}

/* The transaction is over: nothing in flight for f. */
static void txn_end(struct soak *s, struct soak_flow *f)
{
	if (f->step != ST_IDLE)
		s->inflight--;
	f->step = ST_IDLE;
}

void txn_abandon(struct soak *s, struct soak_flow *f)
{
	uint64_t maybe;

	/* a Refresh in flight may have reached the server: it can extend the allocation */
	if (f->step == ST_REFRESH || f->step == ST_ALLOCATE) {
		maybe = f->first_ms + (uint64_t)s->o.lifetime_s * 1000;
		if (maybe > f->expires_ms)
			f->expires_ms = maybe;
	}
	txn_end(s, f);
}

/* The request failed for good (error code > 0 or -errno). */
static void txn_fail(struct soak *s, struct soak_flow *f, int err, uint64_t now)
{
	enum soak_step step = f->step;

	txn_end(s, f);
	if (step == ST_RELEASE) {
		s->c.release_err++;
		f->dead = true;
		pr_warn("msg=\"release failed\" flow=%u err=%d", f->idx, err);
		return;
	}
	pr_warn("msg=\"request failed\" flow=%u client_port=%u step=%s err=%d (%s)", f->idx,
		f->client_port, step_names[step], err, err < 0 ? strerror(-err) : stun_reason(err));
	flow_cycle_failed(s, f, err, now);
}

void txn_tick(struct soak *s, struct soak_flow *f, uint64_t now)
{
	if (f->step == ST_IDLE || now < f->next_tx_ms)
		return;
	if (f->tries >= SOAK_TRIES) {
		s->c.err_timeout++;
		txn_fail(s, f, -ETIMEDOUT, now);
		return;
	}
	f->tries++;
	s->c.retrans++;
	transmit(s, f, now);
}

/*
 * 401 (first contact: learn realm and nonce) or 438 (stale nonce: take the new one):
 * retry with a new transaction id. 0 when retried, or the code when the answer is final.
 */
static int reauth(struct soak *s, struct soak_flow *f, const struct stun_msg *m, int code,
		  uint64_t now)
{
	if (++f->auth_rounds > SOAK_AUTH_ROUNDS || (code == 401 && s->have_auth))
		return code;
	if (stun_get_str(m, STUN_A_NONCE, s->nonce, sizeof(s->nonce)))
		return code;
	if (code == 401) {
		if (stun_get_str(m, STUN_A_REALM, s->realm, sizeof(s->realm)))
			return code;
		auth_derive_key(s->o.user, s->realm, s->o.password, s->key);
		s->have_auth = true;
	} else {
		s->c.stale_nonce++;
	}
	send_new(s, f, now);
	return 0;
}

/* LIFETIME of an Allocate/Refresh success: the expiry it grants (an upper bound). */
static int take_lifetime(struct soak *s, struct soak_flow *f, const struct stun_msg *m,
			 uint64_t now)
{
	const struct stun_attr *a = stun_find(m, STUN_A_LIFETIME);
	uint32_t lt;

	if (!a || stun_get_u32(a, &lt))
		return -EBADMSG;
	s->granted_s = lt;
	f->expires_ms = now + (uint64_t)lt * 1000;
	return 0;
}

static int take_relayed(struct soak_flow *f, const struct stun_msg *m)
{
	const struct stun_attr *a = stun_find(m, STUN_A_XOR_RELAYED_ADDRESS);
	sockaddr_u relayed;

	if (!a || stun_get_xaddr(m, a, &relayed))
		return -EBADMSG;
	f->relay_port = addr_port(&relayed);
	return 0;
}

/* A success answer: the next request of the cycle, or the cycle's end. */
static void on_success(struct soak *s, struct soak_flow *f, const struct stun_msg *m,
		       uint64_t now)
{
	enum soak_step step = f->step;

	if (stun_check_integrity(m, s->key, AUTH_KEY_LEN)) {
		s->c.err_integrity++;
		txn_fail(s, f, -EACCES, now);
		return;
	}
	if ((step == ST_ALLOCATE && (take_relayed(f, m) || take_lifetime(s, f, m, now))) ||
	    (step == ST_REFRESH && take_lifetime(s, f, m, now))) {
		s->c.err_malformed++;
		txn_fail(s, f, -EBADMSG, now);
		return;
	}
	s->c.txn_ok++;
	switch (step) {
	case ST_ALLOCATE:
	case ST_REFRESH:
		txn_start(s, f, ST_PERMIT, now);
		break;
	case ST_PERMIT:
		txn_start(s, f, ST_BIND, now);
		break;
	case ST_BIND:
		txn_end(s, f);
		flow_cycle_done(s, f, now);
		break;
	default:	/* ST_RELEASE */
		txn_end(s, f);
		f->released = true;
		s->c.released++;
		break;
	}
}

static void on_error(struct soak *s, struct soak_flow *f, const struct stun_msg *m, uint64_t now)
{
	const struct stun_attr *a = stun_find(m, STUN_A_ERROR_CODE);
	const char *reason;
	size_t rlen;
	int code;

	if (!a || stun_get_error(a, &code, &reason, &rlen)) {
		s->c.err_malformed++;
		txn_fail(s, f, -EBADMSG, now);
		return;
	}
	if ((code == 401 || code == 438) && !reauth(s, f, m, code, now))
		return;
	s->c.err_response++;
	txn_fail(s, f, code, now);
}

void txn_input(struct soak *s, struct soak_flow *f, const uint8_t *buf, size_t len, uint64_t now)
{
	struct stun_msg m;

	if (stun_decode(buf, len, &m)) {
		s->c.err_malformed++;
		pr_warn("msg=\"undecodable datagram from the server\" flow=%u len=%zu", f->idx, len);
		return;
	}
	/* an answer to an earlier transmission of a request already answered */
	if (f->step == ST_IDLE || memcmp(m.tid, f->tid, STUN_TID_LEN) ||
	    m.method != methods[f->step]) {
		s->c.stray++;
		return;
	}
	if (m.cls == STUN_SUCCESS)
		on_success(s, f, &m, now);
	else if (m.cls == STUN_ERROR)
		on_error(s, f, &m, now);
	else
		s->c.stray++;
}
