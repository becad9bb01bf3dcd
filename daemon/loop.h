/* loop.h - the event loop: epoll for file descriptors, the timer queue for deadlines. */
#ifndef TURND_LOOP_H
#define TURND_LOOP_H

#include <stdint.h>

#include "timerq.h"

struct loop;
/* Called with the epoll events (EPOLLIN, ...) that are ready on the fd. */
typedef void (*loop_fn)(void *arg, int fd, uint32_t events);

struct loop *loop_new(void);
void loop_free(struct loop *l);
/* Watch fd for events; 0 or -errno. An fd has one handler. */
int loop_add(struct loop *l, int fd, uint32_t events, loop_fn fn, void *arg);
/* Change the events watched on an fd already added; 0 or -errno. */
int loop_mod(struct loop *l, int fd, uint32_t events);
void loop_del(struct loop *l, int fd);
/* The loop's timer queue: deadlines in loop_now_ms() time. */
struct timerq *loop_timers(struct loop *l);
/* CLOCK_MONOTONIC in milliseconds. */
uint64_t loop_now_ms(void);
/* Dispatch events and timers until loop_stop(); returns 0 or -errno of a failed epoll_wait. */
int loop_run(struct loop *l);
void loop_stop(struct loop *l);

#endif
