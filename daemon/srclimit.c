/* srclimit.c - a per-source request rate limit in fixed memory (keyed hash, 4-way sets). No I/O. */
#include "srclimit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/*
 * Each bucket is kept as the time at which it will be full again (GCRA's "theoretical
 * arrival time", in microseconds): a request at `now` is let through when
 * max(tat, now) + interval <= now + burst * interval, and then moves tat on by one interval.
 * A bucket with tat <= now is full, which is also what an empty slot (tat 0) is.
 */
struct slot {
	uint64_t key[2];	/* the source: see source_key() */
	uint64_t tat_us;
};

struct srclimit {
	uint64_t seed;
	uint64_t interval_us;	/* one request's worth of time */
	uint64_t tau_us;	/* the whole bucket's worth: burst * interval */
	struct slot slots[SRCLIMIT_SETS][SRCLIMIT_WAYS];
};

struct srclimit *srclimit_new(uint32_t rate, uint32_t burst, uint64_t seed)
{
	struct srclimit *l;

	if (!rate || rate > SRCLIMIT_MAX_RATE || !burst) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->seed = seed;
	l->interval_us = 1000000 / rate;
	l->tau_us = (uint64_t)burst * l->interval_us;
	return l;
}

void srclimit_free(struct srclimit *l)
{
	free(l);
}

/*
 * IPv4 as ::ffff:a.b.c.d, IPv6 as its /64 (the rest zero): a host owns a whole /64, so
 * counting its addresses one by one would count nothing. The two forms cannot meet.
 */
static void source_key(const sockaddr_u *src, uint64_t key[2])
{
	uint8_t b[16] = { 0 };

	if (src->sa.sa_family == AF_INET6) {
		memcpy(b, src->v6.sin6_addr.s6_addr, 8);
	} else {
		b[10] = b[11] = 0xff;
		memcpy(b + 12, &src->v4.sin_addr, 4);
	}
	memcpy(key, b, 16);
}

/* A 64-bit mixer (a bijection): the set index depends on every key bit and on the seed. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	x ^= x >> 33;
	return x;
}

static struct slot *set_of(struct srclimit *l, const uint64_t key[2], uint64_t *h)
{
	*h = mix(mix(l->seed ^ key[0]) ^ key[1] ^ (l->seed >> 7));
	return l->slots[*h % SRCLIMIT_SETS];
}

static struct slot *find_slot(struct srclimit *l, const uint64_t key[2], uint64_t now_us)
{
	uint64_t h;
	struct slot *set = set_of(l, key, &h);
	unsigned first = (unsigned)(h >> 48) % SRCLIMIT_WAYS;	/* ties: not always one way */
	struct slot *victim = &set[first];

	for (unsigned j = 0; j < SRCLIMIT_WAYS; j++) {
		struct slot *e = &set[(first + j) % SRCLIMIT_WAYS];

		if (e->key[0] == key[0] && e->key[1] == key[1])
			return e;
		if (e->tat_us < victim->tat_us)
			victim = e;
	}
	/* The fullest bucket makes way: what it forgets is least. */
	victim->key[0] = key[0];
	victim->key[1] = key[1];
	victim->tat_us = now_us;
	return victim;
}

bool srclimit_take(struct srclimit *l, const sockaddr_u *src, uint64_t now_ms)
{
	uint64_t key[2], now_us = now_ms * 1000, t;
	struct slot *s;

	source_key(src, key);
	s = find_slot(l, key, now_us);
	t = s->tat_us > now_us ? s->tat_us : now_us;
	if (t + l->interval_us > now_us + l->tau_us)
		return false;
	s->tat_us = t + l->interval_us;
	return true;
}

void srclimit_refund(struct srclimit *l, const sockaddr_u *src)
{
	uint64_t key[2], h;
	struct slot *set;

	source_key(src, key);
	set = set_of(l, key, &h);
	for (int i = 0; i < SRCLIMIT_WAYS; i++) {
		struct slot *s = &set[i];

		if (s->key[0] != key[0] || s->key[1] != key[1])
			continue;
		s->tat_us = s->tat_us > l->interval_us ? s->tat_us - l->interval_us : 0;
		return;
	}
}
