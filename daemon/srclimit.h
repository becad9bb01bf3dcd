/* srclimit.h - a per-source request rate limit in fixed memory (keyed hash, 4-way sets). No I/O. */
#ifndef TURND_SRCLIMIT_H
#define TURND_SRCLIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define SRCLIMIT_SETS 4096	/* sets of SRCLIMIT_WAYS sources: 16384 tracked at once */
#define SRCLIMIT_WAYS 4
#define SRCLIMIT_MAX_RATE 1000000	/* requests per second, at most */

/*
 * A source is an IPv4 address or an IPv6 /64 (one host holds a whole /64). Each source has a
 * bucket of `burst` requests refilled at `rate` a second. The table never grows: a source
 * not in it takes the slot of its set whose bucket is fullest, so a flood from many
 * addresses costs no memory, and a source it evicts comes back with a full bucket (the
 * limit errs towards letting a request through, never towards refusing a well-behaved
 * one). Sources being refused hold the emptiest buckets, so they are evicted last.
 */
struct srclimit;

/*
 * rate: 1..SRCLIMIT_MAX_RATE a second; burst: >= 1; seed: the hash key (random in the
 * daemon, so that nobody can aim at a set; fixed in tests). NULL + errno (EINVAL, ENOMEM).
 */
struct srclimit *srclimit_new(uint32_t rate, uint32_t burst, uint64_t seed);
void srclimit_free(struct srclimit *l);

/* One request from src at now_ms (monotonic): true when within the limit (counted). */
bool srclimit_take(struct srclimit *l, const sockaddr_u *src, uint64_t now_ms);
/* Give back what srclimit_take() took for src (a request that turned out legitimate). */
void srclimit_refund(struct srclimit *l, const sockaddr_u *src);

#endif
