/* stun_build.c - STUN/TURN message encoder (struct stun_writer); never writes past cap. */
#include "stun.h"

#include <errno.h>
#include <string.h>

#include "stun_priv.h"

/* Largest body a 16-bit, 4-aligned length field can describe. */
#define STUN_MAX_BODY 0xfffcu

static uint16_t join_type(uint16_t method, uint16_t cls)
{
	return (uint16_t)((method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) |
			  cls);
}

static void set_body_len(struct stun_writer *w, size_t body)
{
	stun_wr16(w->buf + 2, (uint16_t)body);
}

/* w->pad starts at 0; a caller that wants another padding byte sets it after this call. */
void stun_begin(struct stun_writer *w, uint8_t *buf, size_t cap, uint16_t method, uint16_t cls,
		const uint8_t tid[STUN_TID_LEN])
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
	w->pad = 0;
	if (method > 0x0fff || (cls & ~0x0110)) {
		w->err = -EINVAL;
		return;
	}
	if (cap < STUN_HDR_LEN) {
		w->err = -ENOSPC;
		return;
	}
	stun_wr16(buf, join_type(method, cls));
	set_body_len(w, 0);
	stun_wr32(buf + 4, STUN_MAGIC);
	memcpy(buf + 8, tid, STUN_TID_LEN);
	w->len = STUN_HDR_LEN;
}

/*
 * Reserve an attribute of vlen value bytes: writes its header and padding, updates the
 * message length and returns where the value goes, or NULL (w->err set) when it does not fit.
 */
static uint8_t *reserve(struct stun_writer *w, uint16_t type, size_t vlen)
{
	size_t padded = (vlen + 3) & ~(size_t)3;
	uint8_t *p;

	if (w->err)
		return NULL;
	if (vlen > UINT16_MAX || w->len - STUN_HDR_LEN + 4 + padded > STUN_MAX_BODY ||
	    4 + padded > w->cap - w->len) {
		w->err = -ENOSPC;
		return NULL;
	}
	p = w->buf + w->len;
	stun_wr16(p, type);
	stun_wr16(p + 2, (uint16_t)vlen);
	memset(p + 4 + vlen, w->pad, padded - vlen);
	w->len += 4 + padded;
	set_body_len(w, w->len - STUN_HDR_LEN);
	return p + 4;
}

void stun_put(struct stun_writer *w, uint16_t type, const void *val, size_t len)
{
	uint8_t *p = reserve(w, type, len);

	if (p && len)
		memcpy(p, val, len);
}

void stun_put_str(struct stun_writer *w, uint16_t type, const char *s)
{
	stun_put(w, type, s, strlen(s));
}

void stun_put_u32(struct stun_writer *w, uint16_t type, uint32_t v)
{
	uint8_t b[4];

	stun_wr32(b, v);
	stun_put(w, type, b, sizeof(b));
}

void stun_put_u64(struct stun_writer *w, uint16_t type, uint64_t v)
{
	uint8_t b[8];

	stun_wr32(b, (uint32_t)(v >> 32));
	stun_wr32(b + 4, (uint32_t)v);
	stun_put(w, type, b, sizeof(b));
}

/* Address value (reserved byte, family, port, address) into v; returns its length or 0. */
static size_t encode_addr(const sockaddr_u *a, uint8_t v[20])
{
	v[0] = 0;
	stun_wr16(v + 2, addr_port(a));
	if (a->sa.sa_family == AF_INET) {
		v[1] = STUN_FAMILY_IPV4;
		memcpy(v + 4, &a->v4.sin_addr, 4);
		return 8;
	}
	if (a->sa.sa_family == AF_INET6) {
		v[1] = STUN_FAMILY_IPV6;
		memcpy(v + 4, &a->v6.sin6_addr, 16);
		return 20;
	}
	return 0;
}

void stun_put_addr(struct stun_writer *w, uint16_t type, const sockaddr_u *a)
{
	uint8_t v[20];
	size_t n = encode_addr(a, v);

	if (!n) {
		if (!w->err)
			w->err = -EAFNOSUPPORT;
		return;
	}
	stun_put(w, type, v, n);
}

/* As stun_get_xaddr: port ^ cookie >> 16, address ^ (cookie || transaction ID). */
void stun_put_xaddr(struct stun_writer *w, uint16_t type, const sockaddr_u *a)
{
	uint8_t v[20], mask[16];
	size_t n = encode_addr(a, v);

	if (!n || w->err) {
		if (!w->err)
			w->err = -EAFNOSUPPORT;
		return;
	}
	stun_wr32(mask, STUN_MAGIC);
	memcpy(mask + 4, w->buf + 8, STUN_TID_LEN);
	v[2] ^= mask[0];
	v[3] ^= mask[1];
	for (size_t i = 0; i < n - 4; i++)
		v[4 + i] ^= mask[i];
	stun_put(w, type, v, n);
}

/* ERROR-CODE layout after `lead` (0 or the family byte); reason NULL means stun_reason(). */
static void put_code(struct stun_writer *w, uint16_t type, uint8_t lead, int code,
		     const char *reason)
{
	size_t rlen;
	uint8_t *p;

	if (code < 300 || code > 699) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	if (!reason)
		reason = stun_reason(code);
	rlen = strlen(reason);
	p = reserve(w, type, 4 + rlen);
	if (!p)
		return;
	p[0] = lead;
	p[1] = 0;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	memcpy(p + 4, reason, rlen);
}

void stun_put_error(struct stun_writer *w, int code, const char *reason)
{
	put_code(w, STUN_A_ERROR_CODE, 0, code, reason);
}

void stun_put_addr_error(struct stun_writer *w, int af, int code, const char *reason)
{
	if (af != AF_INET && af != AF_INET6) {
		if (!w->err)
			w->err = -EAFNOSUPPORT;
		return;
	}
	put_code(w, STUN_A_ADDRESS_ERROR_CODE, af == AF_INET ? STUN_FAMILY_IPV4 : STUN_FAMILY_IPV6,
		 code, reason);
}

void stun_put_unknown(struct stun_writer *w, const uint16_t *types, size_t n)
{
	uint8_t *p;

	if (n > UINT16_MAX / 2) {
		if (!w->err)
			w->err = -ENOSPC;
		return;
	}
	p = reserve(w, STUN_A_UNKNOWN_ATTRIBUTES, 2 * n);
	if (!p)
		return;
	for (size_t i = 0; i < n; i++)
		stun_wr16(p + 2 * i, types[i]);
}

/* HMAC over the message so far, length field counting the integrity attribute itself. */
static void put_mac(struct stun_writer *w, uint16_t type, const char *digest, size_t maclen,
		    const uint8_t *key, size_t keylen)
{
	size_t upto = w->len;
	uint8_t mac[32];
	uint8_t *p = reserve(w, type, maclen);

	if (!p)
		return;
	if (stun_hmac(digest, key, keylen, w->buf, upto, (uint16_t)(w->len - STUN_HDR_LEN), mac)) {
		w->err = -EIO;
		return;
	}
	memcpy(p, mac, maclen);
}

void stun_put_integrity(struct stun_writer *w, const uint8_t *key, size_t keylen)
{
	put_mac(w, STUN_A_MESSAGE_INTEGRITY, "SHA1", 20, key, keylen);
}

void stun_put_integrity_sha256(struct stun_writer *w, const uint8_t *key, size_t keylen)
{
	put_mac(w, STUN_A_MESSAGE_INTEGRITY_SHA256, "SHA256", 32, key, keylen);
}

void stun_put_fingerprint(struct stun_writer *w)
{
	size_t upto = w->len;
	uint8_t *p = reserve(w, STUN_A_FINGERPRINT, 4);

	if (p)
		stun_wr32(p, stun_crc32(w->buf, upto) ^ STUN_FINGERPRINT_XOR);
}

int stun_end(struct stun_writer *w)
{
	return w->err ? w->err : (int)w->len;
}
