/* loop.c - the event loop: epoll for file descriptors, one timer queue for every deadline. */
#include "loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct handler {
	loop_fn fn;
	void *arg;
};

struct loop {
	int epfd;
	bool stop;
	struct handler *h;	/* indexed by fd */
	size_t nh;
	struct timerq tq;
};

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0) {
		pr_err("epoll_create1 failed: %s", strerror(errno));
		free(l);
		return NULL;
	}
	timerq_init(&l->tq);
	return l;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	close(l->epfd);
	timerq_free(&l->tq);
	free(l->h);
	free(l);
}

int loop_add(struct loop *l, int fd, uint32_t events, loop_fn fn, void *arg)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (fd < 0)
		return -EBADF;
	if ((size_t)fd >= l->nh) {
		size_t n = (size_t)fd * 2 + 16;
		struct handler *nh = realloc(l->h, n * sizeof(*nh));

		if (!nh)
			return -ENOMEM;
		memset(nh + l->nh, 0, (n - l->nh) * sizeof(*nh));
		l->h = nh;
		l->nh = n;
	}
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int err = -errno;

		pr_err("epoll_ctl add fd=%d failed: %s", fd, strerror(errno));
		return err;
	}
	l->h[fd].fn = fn;
	l->h[fd].arg = arg;
	return 0;
}

int loop_mod(struct loop *l, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (fd < 0 || (size_t)fd >= l->nh || !l->h[fd].fn)
		return -ENOENT;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev)) {
		int err = -errno;

		pr_err("epoll_ctl mod fd=%d failed: %s", fd, strerror(errno));
		return err;
	}
	return 0;
}

void loop_del(struct loop *l, int fd)
{
	if (fd < 0 || (size_t)fd >= l->nh || !l->h[fd].fn)
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	l->h[fd].fn = NULL;
	l->h[fd].arg = NULL;
}

struct timerq *loop_timers(struct loop *l)
{
	return &l->tq;
}

uint64_t loop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int timeout_ms(struct loop *l)
{
	uint64_t next = timerq_next(&l->tq), now;

	if (next == TIMERQ_NONE)
		return 1000;
	now = loop_now_ms();
	if (next <= now)
		return 0;
	return next - now > 1000 ? 1000 : (int)(next - now);
}

int loop_run(struct loop *l)
{
	struct epoll_event evs[64];

	l->stop = false;
	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, 64, timeout_ms(l));

		if (n < 0 && errno != EINTR) {
			pr_err("epoll_wait failed: %s", strerror(errno));
			return -errno;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			int fd = evs[i].data.fd;

			/* a handler may have closed a later fd in this batch */
			if ((size_t)fd < l->nh && l->h[fd].fn)
				l->h[fd].fn(l->h[fd].arg, fd, evs[i].events);
		}
		timerq_run(&l->tq, loop_now_ms());
	}
	return 0;
}

void loop_stop(struct loop *l)
{
	l->stop = true;
}
