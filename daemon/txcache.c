/* txcache.c - STUN transaction cache: direct-mapped slots keyed by client address and tid. */
#include "txcache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct txslot {
	sockaddr_u client;
	uint8_t tid[STUN_TID_LEN];
	uint16_t len;		/* 0 = empty */
	uint64_t expires;
	uint8_t resp[TXCACHE_MAX_RESP];
};

struct txcache {
	uint32_t nslots;
	struct txslot slots[];
};

struct txcache *txcache_new(uint32_t slots)
{
	struct txcache *c;

	if (!slots)
		slots = TXCACHE_SLOTS;
	if (slots & (slots - 1)) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c) + slots * sizeof(c->slots[0]));
	if (c)
		c->nslots = slots;
	return c;
}

void txcache_free(struct txcache *c)
{
	free(c);
}

static struct txslot *slot_for(struct txcache *c, const sockaddr_u *client,
			       const uint8_t tid[STUN_TID_LEN])
{
	uint32_t h = addr_hash(client, 0x9e3779b9u);

	for (int i = 0; i < STUN_TID_LEN; i++)
		h = (h ^ tid[i]) * 16777619u;
	return &c->slots[h & (c->nslots - 1)];
}

void txcache_put(struct txcache *c, const sockaddr_u *client, const uint8_t tid[STUN_TID_LEN],
		 const uint8_t *resp, size_t len, uint64_t now_ms)
{
	struct txslot *s = slot_for(c, client, tid);

	if (!len || len > TXCACHE_MAX_RESP)
		return;
	s->client = *client;
	memcpy(s->tid, tid, STUN_TID_LEN);
	memcpy(s->resp, resp, len);
	s->len = (uint16_t)len;
	s->expires = now_ms + TXCACHE_TTL_MS;
}

const uint8_t *txcache_get(struct txcache *c, const sockaddr_u *client,
			   const uint8_t tid[STUN_TID_LEN], size_t *len, uint64_t now_ms)
{
	struct txslot *s = slot_for(c, client, tid);

	if (!s->len || s->expires <= now_ms || memcmp(s->tid, tid, STUN_TID_LEN) ||
	    !addr_equal(&s->client, client))
		return NULL;
	*len = s->len;
	return s->resp;
}
