/* loop_pump.h - for tests: run the event loop for a while, then get control back; loopback TCP. */
#ifndef TURND_TEST_LOOP_PUMP_H
#define TURND_TEST_LOOP_PUMP_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "loop.h"
#include "tap.h"
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

/* A blocking TCP connection to 127.0.0.1:port, or -1 (with a diagnostic). */
static inline int connect_local(uint16_t port)
{
	sockaddr_u a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	addr_parse("127.0.0.1", port, &a);
	if (fd < 0 || connect(fd, &a.sa, addr_len(&a))) {
		diag("connect to 127.0.0.1:%u: %s", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

#endif
