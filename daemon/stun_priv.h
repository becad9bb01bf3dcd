/* stun_priv.h - helpers shared by the STUN decoder and encoder only (not part of the API). */
#ifndef TURND_STUN_PRIV_H
#define TURND_STUN_PRIV_H

#include <stddef.h>
#include <stdint.h>

static inline uint16_t stun_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t stun_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void stun_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void stun_wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * HMAC (digest "SHA1" or "SHA256") of msg[0..upto) as RFC 8489 14.5/14.6 define it: the
 * header's length field is taken as body_len (so that the message "ends" just after the
 * integrity attribute) whatever msg holds there. out must hold the full digest (32 bytes
 * is always enough). Returns 0, or -EIO when OpenSSL fails.
 */
int stun_hmac(const char *digest, const uint8_t *key, size_t keylen, const uint8_t *msg,
	      size_t upto, uint16_t body_len, uint8_t out[32]);

#endif
