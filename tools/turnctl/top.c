/* top.c - `turnctl top`: the allocations by packet rate, from answers a second apart. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "turnctl.h"

#define TOP_INTERVAL_NS 1000000000L

/* One allocation in one answer, with its rates against the answer before. */
struct top_row {
	unsigned long long id, c2p, p2c, bytes;
	double rate_c2p, rate_p2c, rate_bytes;
	bool fresh;		/* not in the answer before: no rate yet */
	size_t i;		/* its index in the answer */
};

struct top_snap {
	struct top_row *v;
	size_t n;
	struct jdoc d;
	double t;		/* CLOCK_MONOTONIC seconds */
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long long field(const struct jdoc *d, size_t i, const char *key)
{
	char path[96];

	snprintf(path, sizeof(path), "allocations.%zu.%s", i, key);
	return jdoc_num(d, path);
}

/* Ask turnd for the allocations into s. CTL_OK or the failure's exit status. */
static int take_snap(const struct ctl_opts *o, struct top_snap *s)
{
	int st = ctl_call(o, "{\"cmd\":\"allocations\"}", &s->d);

	if (st)
		return st;
	s->t = mono_now();
	s->n = jdoc_count(&s->d, "allocations");
	s->v = calloc(s->n ? s->n : 1, sizeof(*s->v));
	if (!s->v) {
		jdoc_free(&s->d);
		fprintf(stderr, "turnctl: out of memory\n");
		return CTL_ERR;
	}
	for (size_t i = 0; i < s->n; i++)
		s->v[i] = (struct top_row){ .id = field(&s->d, i, "id"),
			.c2p = field(&s->d, i, "pkts_c2p"), .p2c = field(&s->d, i, "pkts_p2c"),
			.bytes = field(&s->d, i, "bytes_c2p") + field(&s->d, i, "bytes_p2c"),
			.fresh = true, .i = i };
	return CTL_OK;
}

static void free_snap(struct top_snap *s)
{
	if (s->v)
		jdoc_free(&s->d);
	free(s->v);
	s->v = NULL;
}

/* A counter's rate; one that went backwards (a new allocation under an old id) counts 0. */
static double rate(unsigned long long now, unsigned long long before, double dt)
{
	return now >= before && dt > 0 ? (double)(now - before) / dt : 0;
}

/* Rates of cur against prev, matched by id. */
static void compute_rates(struct top_snap *cur, const struct top_snap *prev)
{
	double dt = cur->t - prev->t;

	for (size_t i = 0; i < cur->n; i++) {
		struct top_row *r = &cur->v[i];

		for (size_t j = 0; j < prev->n; j++) {
			const struct top_row *p = &prev->v[j];

			if (p->id != r->id)
				continue;
			r->rate_c2p = rate(r->c2p, p->c2p, dt);
			r->rate_p2c = rate(r->p2c, p->p2c, dt);
			r->rate_bytes = rate(r->bytes, p->bytes, dt);
			r->fresh = false;
			break;
		}
	}
}

/* Busiest first; fresh ones (no rate yet) last; then by id. */
static int cmp_rate(const void *a, const void *b)
{
	const struct top_row *x = a, *y = b;
	double rx = x->rate_c2p + x->rate_p2c, ry = y->rate_c2p + y->rate_p2c;

	if (x->fresh != y->fresh)
		return x->fresh ? 1 : -1;
	if (rx != ry)
		return rx < ry ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* How many rows fit: the terminal's height less the header, or all when not a terminal. */
static size_t max_rows(size_t n)
{
	struct winsize ws;

	if (!isatty(STDOUT_FILENO) || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_row < 4)
		return n;
	return n < (size_t)ws.ws_row - 3 ? n : (size_t)ws.ws_row - 3;
}

static void print_screen(struct top_snap *s)
{
	double in = 0, out = 0;
	size_t rows = max_rows(s->n);

	qsort(s->v, s->n, sizeof(*s->v), cmp_rate);
	for (size_t i = 0; i < s->n; i++) {
		in += s->v[i].rate_c2p;
		out += s->v[i].rate_p2c;
	}
	if (isatty(STDOUT_FILENO))
		fputs("\033[H\033[2J", stdout);
	printf("%zu allocations, %.0f pkt/s client->peer, %.0f pkt/s peer->client\n", s->n, in,
	       out);
	printf("%-18s %-12s %-22s %-22s %9s %9s %9s %9s\n", "ID", "USER", "CLIENT", "RELAYED",
	       "PKT/S", "C2P_PKT/S", "P2C_PKT/S", "KBYTE/S");
	for (size_t i = 0; i < rows; i++) {
		const struct top_row *r = &s->v[i];
		const struct jdoc *d = &s->d;

		printf("%-18llu %-12s %-22s %-22s ", r->id,
		       jdoc_get(d, "allocations.%zu.user", r->i) ?: "?",
		       jdoc_get(d, "allocations.%zu.client", r->i) ?: "?",
		       jdoc_get(d, "allocations.%zu.relayed.0", r->i) ?: "-");
		if (r->fresh)
			printf("%9s %9s %9s %9s\n", "new", "-", "-", "-");
		else
			printf("%9.0f %9.0f %9.0f %9.1f\n", r->rate_c2p + r->rate_p2c, r->rate_c2p,
			       r->rate_p2c, r->rate_bytes / 1000);
	}
	if (rows < s->n)
		printf("(%zu more)\n", s->n - rows);
	else if (!isatty(STDOUT_FILENO))
		printf("\n");
	fflush(stdout);
}

/* Sleep until *next (CLOCK_MONOTONIC), then move it one interval on. */
static void wait_tick(struct timespec *next)
{
	next->tv_nsec += TOP_INTERVAL_NS;
	if (next->tv_nsec >= 1000000000L) {
		next->tv_sec++;
		next->tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, next, NULL) == EINTR)
		;
}

static int parse_count(int argc, char **argv, unsigned long *count)
{
	char *end;

	*count = 0;	/* until interrupted */
	if (argc == 1)
		return CTL_OK;
	if (argc != 3 || strcmp(argv[1], "--count"))
		return CTL_ERR;
	errno = 0;
	*count = strtoul(argv[2], &end, 10);
	if (errno || *end || !*count || argv[2][0] == '-' || *count > 1000000000UL)
		return CTL_ERR;
	return CTL_OK;
}

int cmd_top(const struct ctl_opts *o, int argc, char **argv)
{
	struct top_snap prev = { 0 }, cur = { 0 };
	struct timespec next;
	unsigned long count;
	int st;

	if (parse_count(argc, argv, &count) || o->json)
		return ctl_usage(argv[0]);
	clock_gettime(CLOCK_MONOTONIC, &next);
	if ((st = take_snap(o, &prev)))
		return st;
	for (unsigned long k = 0; !count || k < count; k++) {
		wait_tick(&next);
		if ((st = take_snap(o, &cur)))
			break;
		compute_rates(&cur, &prev);
		free_snap(&prev);
		print_screen(&cur);
		prev = cur;
		cur = (struct top_snap){ 0 };
	}
	free_snap(&prev);
	return st;
}
