/* turn_client.h - test helper: build TURN client requests and indications with the STUN writer. */
#ifndef TURND_TURN_CLIENT_H
#define TURND_TURN_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "auth.h"
#include "stun.h"

#define TC_MAX_MSG 2048

/* One message being built: tc_begin(), tc_* attributes, then tc_seal(). */
struct tc_req {
	struct stun_writer w;
	uint16_t method;
	uint8_t buf[TC_MAX_MSG];
};

/*
 * Long-term credentials for tc_seal. Any of user/realm/nonce may be NULL (that attribute is
 * left out, for 400 tests); integrity is added when mi is set (SHA-256 when sha256 is).
 */
struct tc_creds {
	const char *user;
	const char *realm;
	const char *nonce;
	uint8_t key[AUTH_KEY_LEN];
	bool mi;
	bool sha256;
};

/* A transaction id made from a number, so that tests can repeat one on purpose. */
static inline void tc_tid(uint8_t tid[STUN_TID_LEN], uint32_t n)
{
	memset(tid, 0x5a, STUN_TID_LEN);
	tid[0] = (uint8_t)(n >> 24);
	tid[1] = (uint8_t)(n >> 16);
	tid[2] = (uint8_t)(n >> 8);
	tid[3] = (uint8_t)n;
}

static inline void tc_begin(struct tc_req *q, uint16_t method, uint16_t cls, uint32_t tidn)
{
	uint8_t tid[STUN_TID_LEN];

	tc_tid(tid, tidn);
	q->method = method;
	stun_begin(&q->w, q->buf, sizeof(q->buf), method, cls, tid);
}

/* A parsed address, or abort(): test inputs are constants, a typo must not pass silently. */
static inline sockaddr_u tc_addr(const char *s)
{
	sockaddr_u a;

	if (addr_parse(s, 0, &a))
		abort();
	return a;
}

static inline void tc_transport(struct tc_req *q, uint8_t proto)
{
	uint8_t v[4] = { proto, 0, 0, 0 };

	stun_put(&q->w, STUN_A_REQUESTED_TRANSPORT, v, sizeof(v));
}

/* REQUESTED-ADDRESS-FAMILY or ADDITIONAL-ADDRESS-FAMILY: fam is STUN_FAMILY_IPV4/IPV6. */
static inline void tc_family(struct tc_req *q, uint16_t type, uint8_t fam)
{
	uint8_t v[4] = { fam, 0, 0, 0 };

	stun_put(&q->w, type, v, sizeof(v));
}

static inline void tc_even_port(struct tc_req *q, bool reserve)
{
	uint8_t v = reserve ? 0x80 : 0;

	stun_put(&q->w, STUN_A_EVEN_PORT, &v, 1);
}

static inline void tc_lifetime(struct tc_req *q, uint32_t s)
{
	stun_put_u32(&q->w, STUN_A_LIFETIME, s);
}

static inline void tc_peer(struct tc_req *q, const char *addr)
{
	sockaddr_u a = tc_addr(addr);

	stun_put_xaddr(&q->w, STUN_A_XOR_PEER_ADDRESS, &a);
}

static inline void tc_channel(struct tc_req *q, uint16_t num)
{
	stun_put_u32(&q->w, STUN_A_CHANNEL_NUMBER, (uint32_t)num << 16);
}

static inline void tc_data(struct tc_req *q, const void *data, size_t len)
{
	stun_put(&q->w, STUN_A_DATA, data, len);
}

/* USERNAME, REALM, NONCE (those given), integrity, then FINGERPRINT if fp. Length or -errno. */
static inline int tc_seal(struct tc_req *q, const struct tc_creds *c, bool fp)
{
	if (c && c->user)
		stun_put_str(&q->w, STUN_A_USERNAME, c->user);
	if (c && c->realm)
		stun_put_str(&q->w, STUN_A_REALM, c->realm);
	if (c && c->nonce)
		stun_put_str(&q->w, STUN_A_NONCE, c->nonce);
	if (c && c->mi && c->sha256)
		stun_put_integrity_sha256(&q->w, c->key, AUTH_KEY_LEN);
	else if (c && c->mi)
		stun_put_integrity(&q->w, c->key, AUTH_KEY_LEN);
	if (fp)
		stun_put_fingerprint(&q->w);
	return stun_end(&q->w);
}

/* Credentials for a static user: key derived from the password, MESSAGE-INTEGRITY on. */
static inline void tc_creds_for(struct tc_creds *c, const char *user, const char *realm,
				const char *password, const char *nonce)
{
	memset(c, 0, sizeof(*c));
	c->user = user;
	c->realm = realm;
	c->nonce = nonce;
	c->mi = true;
	auth_derive_key(user, realm, password, c->key);
}

/* ChannelData: header, data, then pad bytes of padding (0-3 over UDP). Length. */
static inline size_t tc_chandata(uint8_t *buf, uint16_t num, const void *data, uint16_t len,
				 size_t pad)
{
	buf[0] = (uint8_t)(num >> 8);
	buf[1] = (uint8_t)num;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	memcpy(buf + 4, data, len);
	memset(buf + 4 + len, 0, pad);
	return 4 + (size_t)len + pad;
}

#endif
