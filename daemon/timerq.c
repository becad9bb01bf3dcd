/* timerq.c - the one timer facility: a binary min-heap of embedded timers. */
#include "timerq.h"

#include <errno.h>
#include <stdlib.h>

void timer_init(struct timer *t, timer_fn fn)
{
	t->deadline = TIMERQ_NONE;
	t->idx = TIMERQ_IDLE;
	t->fn = fn;
}

void timerq_init(struct timerq *q)
{
	q->heap = NULL;
	q->n = q->cap = 0;
}

void timerq_free(struct timerq *q)
{
	for (size_t i = 0; i < q->n; i++)
		q->heap[i]->idx = TIMERQ_IDLE;
	free(q->heap);
	timerq_init(q);
}

static void place(struct timerq *q, size_t i, struct timer *t)
{
	q->heap[i] = t;
	t->idx = i;
}

static void sift_up(struct timerq *q, size_t i)
{
	struct timer *t = q->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (q->heap[parent]->deadline <= t->deadline)
			break;
		place(q, i, q->heap[parent]);
		i = parent;
	}
	place(q, i, t);
}

static void sift_down(struct timerq *q, size_t i)
{
	struct timer *t = q->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= q->n)
			break;
		if (c + 1 < q->n && q->heap[c + 1]->deadline < q->heap[c]->deadline)
			c++;
		if (t->deadline <= q->heap[c]->deadline)
			break;
		place(q, i, q->heap[c]);
		i = c;
	}
	place(q, i, t);
}

int timerq_set(struct timerq *q, struct timer *t, uint64_t deadline)
{
	if (t->idx != TIMERQ_IDLE) {
		uint64_t old = t->deadline;

		t->deadline = deadline;
		if (deadline < old)
			sift_up(q, t->idx);
		else
			sift_down(q, t->idx);
		return 0;
	}
	if (q->n == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 64;
		struct timer **nh = realloc(q->heap, ncap * sizeof(*nh));

		if (!nh)
			return -ENOMEM;
		q->heap = nh;
		q->cap = ncap;
	}
	t->deadline = deadline;
	q->heap[q->n] = t;
	t->idx = q->n++;
	sift_up(q, t->idx);
	return 0;
}

void timerq_del(struct timerq *q, struct timer *t)
{
	size_t i = t->idx;
	struct timer *last;

	if (i == TIMERQ_IDLE)
		return;
	t->idx = TIMERQ_IDLE;
	last = q->heap[--q->n];
	if (i == q->n)
		return;
	place(q, i, last);
	if (i > 0 && q->heap[(i - 1) / 2]->deadline > last->deadline)
		sift_up(q, i);
	else
		sift_down(q, i);
}

uint64_t timerq_next(const struct timerq *q)
{
	return q->n ? q->heap[0]->deadline : TIMERQ_NONE;
}

size_t timerq_run(struct timerq *q, uint64_t now)
{
	size_t fired = 0;

	while (q->n && q->heap[0]->deadline <= now) {
		struct timer *t = q->heap[0];

		timerq_del(q, t);
		fired++;
		t->fn(t, now);
	}
	return fired;
}
