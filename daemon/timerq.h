/* timerq.h - the one timer facility: a min-heap of deadlines (ms), embedded timers, no I/O. */
#ifndef TURND_TIMERQ_H
#define TURND_TIMERQ_H

#include <stddef.h>
#include <stdint.h>

#define TIMERQ_NONE UINT64_MAX

struct timer;
typedef void (*timer_fn)(struct timer *t, uint64_t now_ms);

/* Embed in the object it serves; recover the object with container_of. */
struct timer {
	uint64_t deadline;
	size_t idx;		/* heap slot, or TIMERQ_IDLE when not queued */
	timer_fn fn;
};

#define TIMERQ_IDLE ((size_t)-1)

struct timerq {
	struct timer **heap;
	size_t n, cap;
};

void timer_init(struct timer *t, timer_fn fn);
void timerq_init(struct timerq *q);
void timerq_free(struct timerq *q);
/* Queue t at deadline, or move it there if already queued. 0 or -ENOMEM. */
int timerq_set(struct timerq *q, struct timer *t, uint64_t deadline);
/* Take t off the queue (no-op if it is not queued). */
void timerq_del(struct timerq *q, struct timer *t);
/* Earliest deadline, or TIMERQ_NONE. */
uint64_t timerq_next(const struct timerq *q);
/*
 * Fire every timer whose deadline <= now, earliest first. A timer is dequeued before its
 * callback runs; the callback may re-queue it or free its object. Returns how many fired.
 */
size_t timerq_run(struct timerq *q, uint64_t now);

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#endif
