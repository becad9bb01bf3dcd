/* txcache.h - STUN transaction cache: a retransmitted request gets the first answer again. No I/O. */
#ifndef TURND_TXCACHE_H
#define TURND_TXCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "stun.h"

#define TXCACHE_SLOTS 4096		/* default; direct-mapped: a collision evicts the older answer */
#define TXCACHE_MAX_RESP 512		/* longer answers are not cached */
#define TXCACHE_TTL_MS 40000		/* RFC 8489: a client gives up after 39.5 s */

struct txcache;

/* A cache of slots entries (a power of two; 0: TXCACHE_SLOTS), or NULL with errno set. */
struct txcache *txcache_new(uint32_t slots);
void txcache_free(struct txcache *c);
/* Remember the response to the request (client, tid). Silently skips long responses. */
void txcache_put(struct txcache *c, const sockaddr_u *client, const uint8_t tid[STUN_TID_LEN],
		 const uint8_t *resp, size_t len, uint64_t now_ms);
/* The cached response, or NULL; *len gets its length. */
const uint8_t *txcache_get(struct txcache *c, const sockaddr_u *client,
			   const uint8_t tid[STUN_TID_LEN], size_t *len, uint64_t now_ms);

#endif
