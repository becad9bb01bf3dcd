/* prog.c - per-packet cost of turnd's XDP program, a trivial forwarder and XDP_TX (test_run). */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "prog.h"

/*
 * turnbench-prog [-f FLOWS,...] [-r ROUNDS] [-k RUNS] (root): the XDP programs alone, timed
 * per packet with BPF_PROG_TEST_RUN, repeat 1 (they rewrite the frame: a repeat would run
 * them again on their own output), in a network namespace of its own where turnd's program
 * forwards (XDP_REDIRECT) rather than passes to the daemon (prog_setup.c sets it up).
 *
 * For each number of flows N, turnd's tables hold N channels. Frames of 100 bytes of data
 * (turnbench's default size), c2p (ChannelData from the client) and p2c (from the peer), go
 * through turnd's program, the trivial forwarder (tools/bench/fwd.bpf.c, no lookup at all)
 * and a bare XDP_TX, interleaved: every round runs each program RUNS times over the same
 * flows, in a scattered order (flow (i * 7919) % N), which every program sees alike. Before a
 * point is timed, every flow goes once through turnd's program either way, so that its route
 * caches are warm, as in a relay at work. The process stays on the CPU it started on
 * (migrations between runs would only add noise). The header says which clock turnd's
 * program ran.
 *
 * Two figures per program: the median (and quartiles) of test_run's duration, which the
 * kernel measures around each single run (its clock steps, printed at the end, are coarse:
 * 10 ns here), and the kernel's own run_time_ns / run_cnt over the same runs
 * (bpf_enable_stats). With those stats on, every run also reads the clock twice more, and
 * test_run's duration includes that; run_time_ns does not.
 */

#define NS_PER_S 1000000000ull
#define MAX_ROUNDS 100
#define MAX_RUNS 10000
#define MAX_POINTS 16
#define POINT_CAP_NS (20 * NS_PER_S)	/* a point (flows, direction) stops after this long */
#define DUR_HIST 4096			/* durations noted below this, to see the clock step */
#define ORDER_STEP 7919			/* a prime: flow (i * step) % N visits all N... */
#define ORDER_STEP_ALT 7927		/* ...unless N is a multiple of it; then this one */

static const char *const prog_names[NPROGS] = { "turnd-xdp", "xdp-fwd", "xdp-tx" };
static const char *const verdict_names[] = { "aborted", "drop", "pass", "tx", "redirect",
					     "other" };
#define VERDICT_NR 6

/* What the command line asked for. */
struct opts {
	unsigned int rounds, runs;
	unsigned int flows[MAX_POINTS];
	int npoints;
};

/* One program's runs at one point. */
struct timing {
	const char *name;
	uint32_t *ns;			/* test_run durations */
	uint32_t n;
	uint32_t verdicts[VERDICT_NR];
	uint64_t rt0, rc0;		/* run_time_ns and run_cnt before */
};

/* One run of the tool: what was asked, where the programs run, what their runs took. */
struct bench {
	struct opts o;
	struct world w;
	struct timing prog[NPROGS];	/* by P_*, as w.fd */
	int cpu;			/* the one this process runs on; -1: not pinned */
	bool run_stats;			/* run_time_ns is counted */
	bool unforwarded;
	uint8_t seen[DUR_HIST];		/* durations seen */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: turnbench-prog [-f FLOWS[,FLOWS...]] [-r ROUNDS] [-k RUNS]   (root)\n"
		"Times turnd's XDP program, a trivial XDP forwarder and a bare XDP_TX per packet\n"
		"with BPF_PROG_TEST_RUN (repeat 1), in a network namespace of its own, with FLOWS\n"
		"channels bound (each 1-%d, up to %d numbers; default 1,1000,100000), in ROUNDS\n"
		"rounds (1-%d, default 20) of RUNS runs of each program (1-%d, default 500); a\n"
		"point stops after %llu s. Prints a table of ns per packet.\n",
		MAX_FLOWS, MAX_POINTS, MAX_ROUNDS, MAX_RUNS, POINT_CAP_NS / NS_PER_S);
}

/* A whole decimal number in [min, max] (no sign, no spaces, nothing after): 0 or -EINVAL. */
static int parse_count(const char *s, unsigned long min, unsigned long max, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* "N,N,...": each 1 to MAX_FLOWS, at most MAX_POINTS of them. 0 or -EINVAL (reported). */
static int parse_flows(const char *arg, struct opts *o)
{
	char buf[256], *s, *save = NULL;

	/* strtok_r() would skip empty items: refuse them first. */
	if (strlen(arg) >= sizeof(buf) || !*arg || *arg == ',' || arg[strlen(arg) - 1] == ',' ||
	    strstr(arg, ",,"))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", arg);
	o->npoints = 0;
	for (s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (o->npoints == MAX_POINTS ||
		    parse_count(s, 1, MAX_FLOWS, &o->flows[o->npoints]))
			goto bad;
		o->npoints++;
	}
	if (o->npoints)
		return 0;
bad:
	fprintf(stderr, "turnbench-prog: -f wants up to %d numbers of flows, each 1 to %d, "
		"separated by commas: \"%s\"\n", MAX_POINTS, MAX_FLOWS, arg);
	return -EINVAL;
}

/* 0, 1 (-h), or -EINVAL (reported). */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "f:r:k:h")) != -1) {
		switch (c) {
		case 'f':
			if (parse_flows(optarg, o))
				return -EINVAL;
			break;
		case 'r':
			if (parse_count(optarg, 1, MAX_ROUNDS, &o->rounds)) {
				fprintf(stderr, "turnbench-prog: -r wants a whole number of "
					"rounds, 1 to %d: \"%s\"\n", MAX_ROUNDS, optarg);
				return -EINVAL;
			}
			break;
		case 'k':
			if (parse_count(optarg, 1, MAX_RUNS, &o->runs)) {
				fprintf(stderr, "turnbench-prog: -k wants a whole number of runs, "
					"1 to %d: \"%s\"\n", MAX_RUNS, optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "turnbench-prog: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}

/* One run of program fd on a copy of the frame: 0 with its duration and verdict, or -errno. */
static int run_one(int fd, int ifindex, const uint8_t *frame, size_t len, uint32_t *ns,
		   uint32_t *verdict)
{
	struct xdp_md ctx = { .data_end = (uint32_t)len, .ingress_ifindex = (uint32_t)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = frame, .data_size_in = (uint32_t)len,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	if (bpf_prog_test_run_opts(fd, &o))
		return -errno;
	*ns = o.duration;
	*verdict = o.retval;
	return 0;
}

/* Every flow once through turnd's program, either way: its route caches filled. */
static int warm(const struct world *w, uint32_t n)
{
	uint32_t ns, verdict;
	int err;

	for (int dir = 0; dir < 2; dir++) {
		for (uint32_t i = 0; i < n; i++) {
			err = run_one(w->fd[P_TURND][dir], w->ifindex[dir], world_frame(w, dir, i),
				      w->flen[dir], &ns, &verdict);
			if (err) {
				fprintf(stderr, "turnbench-prog: BPF_PROG_TEST_RUN of turnd-xdp "
					"failed: %s\n", strerror(-err));
				return err;
			}
		}
	}
	return 0;
}

/* The kernel's run_time_ns and run_cnt of program fd (0 when it cannot say). */
static void run_stats(int fd, uint64_t *t, uint64_t *c)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	*t = *c = 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		*t = info.run_time_ns;
		*c = info.run_cnt;
	}
}

/*
 * The step of the clock test_run reads, as the durations show it: values within 2 ns of each
 * other are one (the conversion to ns rounds either way), and the commonest gap between the
 * first values of neighbouring clusters is the step. 1 when the values run together.
 */
static uint32_t clock_step(const uint8_t *seen)
{
	uint32_t gaps[64] = { 0 }, start = 0, prev = 0, best = 1;

	for (uint32_t v = 1; v < DUR_HIST; v++) {
		if (!seen[v])
			continue;
		if (prev && v - prev > 2) {
			if (v - start < sizeof(gaps) / sizeof(gaps[0]))
				gaps[v - start]++;
			start = v;
		} else if (!prev) {
			start = v;
		}
		prev = v;
	}
	for (uint32_t g = 3; g < sizeof(gaps) / sizeof(gaps[0]); g++)
		if (gaps[g] > gaps[best])
			best = g;
	return best;
}

/* One round at n flows: each program in turn, runs frames from flow index first on. */
static int round_run(struct bench *b, uint32_t n, int dir, uint64_t first)
{
	uint32_t step = n % ORDER_STEP ? ORDER_STEP : ORDER_STEP_ALT, ns, verdict;
	const struct world *w = &b->w;
	int err;

	for (int p = 0; p < NPROGS; p++) {
		struct timing *t = &b->prog[p];

		for (uint32_t k = 0; k < b->o.runs; k++) {
			uint64_t f = (first + k) * step % n;

			err = run_one(w->fd[p][dir], w->ifindex[dir], world_frame(w, dir, f),
				      w->flen[dir], &ns, &verdict);
			if (err) {
				fprintf(stderr, "turnbench-prog: BPF_PROG_TEST_RUN of %s (%s) "
					"failed: %s\n", t->name, dir_name(dir), strerror(-err));
				return err;
			}
			t->ns[t->n++] = ns;
			t->verdicts[verdict < VERDICT_NR - 1 ? verdict : VERDICT_NR - 1]++;
			if (ns < DUR_HIST)
				b->seen[ns] = 1;
		}
	}
	return 0;
}

/* Time one point (n flows, one direction): the rounds done, or -errno. */
static int measure(struct bench *b, uint32_t n, int dir)
{
	uint64_t start = now_ns();
	uint32_t r;
	int err;

	for (int p = 0; p < NPROGS; p++) {
		struct timing *t = &b->prog[p];

		t->n = 0;
		memset(t->verdicts, 0, sizeof(t->verdicts));
		run_stats(b->w.fd[p][dir], &t->rt0, &t->rc0);
	}
	for (r = 0; r < b->o.rounds; r++) {
		if (now_ns() - start > POINT_CAP_NS)
			break;
		err = round_run(b, n, dir, (uint64_t)r * b->o.runs);
		if (err)
			return err;
	}
	return (int)r;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The verdicts seen: "redirect", or the counts of each when they differ. */
static void verdict_text(const struct timing *t, char *buf, size_t len)
{
	size_t off = 0;
	int kinds = 0;

	buf[0] = 0;
	for (int v = 0; v < VERDICT_NR; v++)
		kinds += t->verdicts[v] != 0;
	for (int v = 0; v < VERDICT_NR && off < len; v++) {
		if (!t->verdicts[v])
			continue;
		if (kinds == 1)
			off += (size_t)snprintf(buf + off, len - off, "%s", verdict_names[v]);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%s %u", off ? ", " : "",
						verdict_names[v], t->verdicts[v]);
	}
}

/*
 * The row of one program at one point (its samples sorted in place), its run_time_ns figure
 * taken from the kernel's counters of fd. false when a run neither redirected nor sent back.
 */
static bool print_row(struct timing *t, int fd, uint32_t n, int dir, bool run_stats_on)
{
	uint32_t *a = t->ns, fwd = t->verdicts[XDP_TX] + t->verdicts[XDP_REDIRECT];
	uint64_t rt, rc;
	char verdicts[128], run_time[32] = "-";

	if (!t->n)
		return true;
	qsort(a, t->n, sizeof(*a), cmp_u32);
	run_stats(fd, &rt, &rc);
	if (run_stats_on && rc > t->rc0)
		snprintf(run_time, sizeof(run_time), "%.1f",
			 (double)(rt - t->rt0) / (double)(rc - t->rc0));
	verdict_text(t, verdicts, sizeof(verdicts));
	printf("%-10s  %-3s  %6u  %9u  %4u  %4u  %11s  %s%s\n", t->name, dir_name(dir), n,
	       a[t->n / 2], a[t->n / 4], a[t->n * 3 / 4], run_time, verdicts,
	       fwd < t->n ? "  NOT FORWARDED" : "");
	return fwd >= t->n;
}

/* One number of flows: bind them, warm, and time either direction. 0 or -errno. */
static int point(struct bench *b, uint32_t n)
{
	int err = world_bind(&b->w, n);

	if (!err)
		err = warm(&b->w, n);
	for (int dir = 0; !err && dir < 2; dir++) {
		int rounds = measure(b, n, dir);

		if (rounds < 0)
			return rounds;
		for (int p = 0; p < NPROGS; p++)
			if (!print_row(&b->prog[p], b->w.fd[p][dir], n, dir, b->run_stats))
				b->unforwarded = true;
		if ((unsigned int)rounds < b->o.rounds)
			printf("# %u flows %s: stopped after %d of %u rounds (%llu s cap)\n", n,
			       dir_name(dir), rounds, b->o.rounds, POINT_CAP_NS / NS_PER_S);
		fflush(stdout);
	}
	return err;
}

/* What ran how, and the table's column names; clock: which clock turnd's program reads. */
static void print_header(const struct opts *o, int cpu, const char *clock)
{
	printf("# turnbench-prog: BPF_PROG_TEST_RUN, repeat 1, programs interleaved, %u rounds x "
	       "%u runs; kernel run_time means\n", o->rounds, o->runs);
	printf("# flows in scattered order, flow (i * %d) %% N (%d when N is a multiple of %d); "
	       "each sent once through turnd-xdp first (route caches warm); %d-byte payloads\n",
	       ORDER_STEP, ORDER_STEP_ALT, ORDER_STEP, DATA_LEN);
	if (cpu >= 0)
		printf("# pinned to CPU %d; turnd-xdp's clock: %s\n", cpu, clock);
	else
		printf("# not pinned to a CPU; turnd-xdp's clock: %s\n", clock);
	printf("%-10s  %-3s  %6s  %9s  %4s  %4s  %11s  %s\n", "program", "dir", "flows",
	       "median_ns", "p25", "p75", "run_time_ns", "verdict");
}

/*
 * What the figures mean, with the clock step the durations seen show, and turnd's program's
 * size: the verifier's count from its log, the kernel's sizes of program fd.
 */
static void print_footer(const uint8_t *seen, bool run_stats_on, const char *log, int fd)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);
	const char *p = strstr(log, "processed ");
	unsigned long insns = 0;

	printf("# median_ns, p25, p75: of test_run's duration per run, whose clock moves in steps "
	       "of about %u ns here; run_time_ns: %s\n", clock_step(seen), run_stats_on ?
	       "the kernel's run_time_ns / run_cnt (bpf_enable_stats)" : "not available");
	memset(&info, 0, sizeof(info));
	if (!p || sscanf(p, "processed %lu insns", &insns) != 1 ||
	    bpf_obj_get_info_by_fd(fd, &info, &len)) {
		printf("# turnd-xdp: no verifier statistics\n");
		return;
	}
	printf("# turnd-xdp: verifier processed %lu insns, %u xlated, %u bytes jited\n", insns,
	       info.xlated_prog_len / 8, info.jited_prog_len);
}

/* Stay on the CPU we are on: migrations between runs only add noise. -1 when that fails. */
static int pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "turnbench-prog: pinning to CPU %d failed: %s (timing unpinned)\n",
			cpu, strerror(errno));
		return -1;
	}
	return cpu;
}

/* Every point of the run. 0 or -errno. */
static int bench_run(struct bench *b)
{
	uint32_t maxn = 0;
	int stats_fd, err = 0;

	for (int i = 0; i < b->o.npoints; i++)
		maxn = b->o.flows[i] > maxn ? b->o.flows[i] : maxn;
	err = world_frames(&b->w, maxn);
	if (err) {
		fprintf(stderr, "turnbench-prog: building the frames failed: %s\n", strerror(-err));
		return err;
	}
	b->cpu = pin_cpu();
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	b->run_stats = stats_fd >= 0;
	if (!b->run_stats)
		fprintf(stderr, "turnbench-prog: bpf_enable_stats failed: %s (no run_time_ns)\n",
			strerror(errno));
	print_header(&b->o, b->cpu, b->w.t.clock);
	for (int i = 0; !err && i < b->o.npoints; i++)
		err = point(b, b->o.flows[i]);
	if (!err)
		print_footer(b->seen, b->run_stats, b->w.t.log, b->w.fd[P_TURND][0]);
	if (stats_fd >= 0)
		close(stats_fd);
	return err;
}

/* Each program named, with room for all its samples of a point: rounds x runs. 0 or -ENOMEM. */
static int timings_init(struct timing prog[NPROGS], const struct opts *o)
{
	size_t max = (size_t)o->rounds * o->runs;

	for (int p = 0; p < NPROGS; p++) {
		memset(&prog[p], 0, sizeof(prog[p]));
		prog[p].name = prog_names[p];
		prog[p].ns = calloc(max, sizeof(uint32_t));
		if (!prog[p].ns)
			return -ENOMEM;
	}
	return 0;
}

static void timings_free(struct timing prog[NPROGS])
{
	for (int p = 0; p < NPROGS; p++)
		free(prog[p].ns);
}

int main(int argc, char **argv)
{
	static struct bench b = { .o = { .rounds = 20, .runs = 500, .npoints = 3,
					 .flows = { 1, 1000, 100000 } } };
	int rc = parse_opts(argc, argv, &b.o), err;

	if (rc) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? 0 : 2;
	}
	err = world_net(&b.w);
	if (!err)
		err = world_load(&b.w);
	if (!err)
		err = timings_init(b.prog, &b.o);
	if (err == -ENOMEM)
		fprintf(stderr, "turnbench-prog: out of memory\n");
	if (!err)
		err = bench_run(&b);
	timings_free(b.prog);
	world_close(&b.w);
	if (!err && b.unforwarded)
		fprintf(stderr, "turnbench-prog: a program passed or dropped instead of "
			"forwarding (rows marked NOT FORWARDED): their figures are not of the "
			"forwarding path\n");
	return err || b.unforwarded ? 1 : 0;
}
