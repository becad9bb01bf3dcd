/* loop_pump.h - for tests: run the event loop for a while, then get control back. */
#ifndef TURND_TEST_LOOP_PUMP_H
#define TURND_TEST_LOOP_PUMP_H

#include "loop.h"
#include "timerq.h"

struct pump {
	struct timer t;
	struct loop *l;
};

static inline void pump_stop(struct timer *t, uint64_t now)
{
	(void)now;
	loop_stop(container_of(t, struct pump, t)->l);
}

/* Run the loop for ms milliseconds. */
static inline void pump(struct loop *l, unsigned int ms)
{
	struct pump p = { .l = l };

	timer_init(&p.t, pump_stop);
	timerq_set(loop_timers(l), &p.t, loop_now_ms() + ms);
	loop_run(l);
	timerq_del(loop_timers(l), &p.t);
}

#endif
