/* soak_run.c - `soak-client run`: N allocations refreshed on time, traffic, vanishing clients. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "log.h"
#include "soak.h"
#include "soak_int.h"

#define TICK_MS 5		/* pacing of the traffic */
#define SCAN_MS 20		/* retransmissions and refresh cycles are looked at this often */
#define EVENTS 256
#define RECV_BURST 8		/* datagrams read per readable socket per turn */
#define RETRY_MS 1000		/* a failed refresh cycle is tried again after this */
#define RELEASE_S 30		/* the release phase ends after this, done or not */
#define FD_SPARE 64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *const phase_names[] = {
	[PH_SETUP] = "setup", [PH_RUN] = "run", [PH_DRAIN] = "drain", [PH_RELEASE] = "release",
	[PH_DONE] = "done", [PH_ABORTED] = "aborted",
};

static uint64_t errors(const struct soak_counters *c)
{
	return c->send_err + c->bad_echo + c->err_timeout + c->err_response + c->err_integrity +
	       c->err_malformed + c->err_other + c->release_err;
}

/* A monotonic time as wall-clock ms (0 stays 0), for the driver. */
static uint64_t to_epoch(uint64_t mono, uint64_t now)
{
	return mono ? soak_epoch_ms() - now + mono : 0;
}

static uint32_t live_flows(const struct soak *s)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < s->o.n; i++)
		n += s->flows[i].ready && !s->flows[i].gone && !s->flows[i].dead &&
		     !s->flows[i].released;
	return n;
}

/* The stats file: one line of key=value, replaced atomically. */
static void write_stats(struct soak *s, uint64_t now)
{
	const struct soak_counters *c = &s->c;
	char line[2048];

	snprintf(line, sizeof(line),
		 "phase=%s flows=%u setup_done=%u setup_failed=%u live=%u vanished=%u "
		 "ready_epoch_ms=%llu vanish_epoch_ms=%llu vanish_deadline_epoch_ms=%llu "
		 "granted_s=%u sent=%llu echoed=%llu lost=%llu late=%llu dup=%llu bad_echo=%llu "
		 "send_err=%llu txn_ok=%llu cycles=%llu retrans=%llu stale_nonce=%llu stray=%llu "
		 "err_timeout=%llu err_response=%llu err_integrity=%llu err_malformed=%llu "
		 "err_other=%llu released=%llu release_err=%llu errors=%llu\n",
		 phase_names[s->phase], s->o.n, s->setup_done, s->setup_failed, live_flows(s),
		 s->nvanish, (unsigned long long)to_epoch(s->t_ready, now),
		 (unsigned long long)to_epoch(s->t_vanish, now),
		 (unsigned long long)to_epoch(s->vanish_deadline, now), s->granted_s,
		 (unsigned long long)c->sent, (unsigned long long)c->echoed,
		 (unsigned long long)c->lost, (unsigned long long)c->late,
		 (unsigned long long)c->dup, (unsigned long long)c->bad_echo,
		 (unsigned long long)c->send_err, (unsigned long long)c->txn_ok,
		 (unsigned long long)c->cycles, (unsigned long long)c->retrans,
		 (unsigned long long)c->stale_nonce, (unsigned long long)c->stray,
		 (unsigned long long)c->err_timeout, (unsigned long long)c->err_response,
		 (unsigned long long)c->err_integrity, (unsigned long long)c->err_malformed,
		 (unsigned long long)c->err_other, (unsigned long long)c->released,
		 (unsigned long long)c->release_err, (unsigned long long)errors(c));
	if (soak_write_file(s->o.stats_path, line))
		pr_warn("msg=\"cannot write the stats file\" path=%s", s->o.stats_path);
}

/* "idx client_port relay_port vanishes" per flow, for the map check. */
static int write_ports(const struct soak *s)
{
	size_t cap = (size_t)s->o.n * 32 + 64, len = 0;
	char *text = malloc(cap);
	int err;

	if (!text)
		return -ENOMEM;
	len += (size_t)snprintf(text, cap, "# idx client_port relay_port vanishes\n");
	for (uint32_t i = 0; i < s->o.n && len < cap; i++)
		len += (size_t)snprintf(text + len, cap - len, "%u %u %u %d\n", i,
					s->flows[i].client_port, s->flows[i].relay_port,
					s->flows[i].vanish);
	err = soak_write_file(s->o.ports_path, text);
	free(text);
	return err;
}

void flow_cycle_done(struct soak *s, struct soak_flow *f, uint64_t now)
{
	uint64_t half = s->o.refresh_ms / 2;

	if (!f->ready) {
		/* spread the first refreshes over half a period, so that the cycles do not bunch */
		f->ready = true;
		s->setup_done++;
		f->due_ms = now + half + half * f->idx / s->o.n;
		return;
	}
	s->c.cycles++;
	f->due_ms = f->cycle_ms + s->o.refresh_ms;
}

void flow_cycle_failed(struct soak *s, struct soak_flow *f, int err, uint64_t now)
{
	if (!f->ready || err == 437) {	/* no allocation (any more): nothing to refresh */
		f->dead = true;
		s->setup_failed += !f->ready;
		return;
	}
	f->due_ms = now + RETRY_MS;
}

/* One UDP socket per client, bound to the local address and connected to the server. */
static int open_flow(struct soak *s, struct soak_flow *f)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = f->idx };
	sockaddr_u me;
	socklen_t len = sizeof(me);

	f->fd = socket(s->o.server.sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0)
		return -errno;
	if (bind(f->fd, &s->o.local.sa, addr_len(&s->o.local)) ||
	    connect(f->fd, &s->o.server.sa, addr_len(&s->o.server)) ||
	    getsockname(f->fd, &me.sa, &len) || epoll_ctl(s->epfd, EPOLL_CTL_ADD, f->fd, &ev))
		return -errno;
	f->client_port = addr_port(&me);
	return 0;
}

static int open_flows(struct soak *s)
{
	uint32_t pct = s->o.vanish_pct;
	int err;

	for (uint32_t i = 0; i < s->o.n; i++) {
		struct soak_flow *f = &s->flows[i];

		f->idx = i;
		f->channel = (uint16_t)(SOAK_CHAN_FIRST + i % SOAK_CHAN_COUNT);
		/* exactly n * pct / 100 clients vanish, spread evenly */
		f->vanish = (uint64_t)i * pct / 100 != ((uint64_t)i + 1) * pct / 100;
		s->nvanish += f->vanish;
		err = open_flow(s, f);
		if (err) {
			pr_err("msg=\"cannot open a client socket\" flow=%u err=\"%s\"", i,
			       strerror(-err));
			return err;
		}
	}
	return 0;
}

/* Setup: Allocate (then CreatePermission, ChannelBind) for as many flows as the window takes. */
static void start_setups(struct soak *s, uint64_t now)
{
	while (s->next_setup < s->o.n && s->inflight < s->o.window) {
		if (s->next_setup > 0 && !s->have_auth)
			return;		/* the first flow learns realm and nonce */
		txn_start(s, &s->flows[s->next_setup++], ST_ALLOCATE, now);
		if (!s->have_auth)
			return;
	}
}

/* Start the refresh cycles that are due (window permitting); retransmit what is due. */
static void scan_flows(struct soak *s, uint64_t now)
{
	for (uint32_t i = 0; i < s->o.n; i++) {
		struct soak_flow *f = &s->flows[i];

		if (f->gone || f->dead)
			continue;
		if (f->step != ST_IDLE) {
			txn_tick(s, f, now);
			continue;
		}
		if (f->ready && !f->released && s->phase <= PH_DRAIN && now >= f->due_ms &&
		    s->inflight < s->o.window) {
			f->cycle_ms = now;
			txn_start(s, f, ST_REFRESH, now);
		}
	}
}

/* "idx client_port relay_port deadline_epoch_ms" per vanished client: its state's deadline. */
static int write_vanished(const struct soak *s, uint64_t now)
{
	size_t cap = (size_t)s->nvanish * 48 + 64, len = 0;
	char *text = malloc(cap);
	int err;

	if (!text)
		return -ENOMEM;
	len += (size_t)snprintf(text, cap, "# idx client_port relay_port deadline_epoch_ms\n");
	for (uint32_t i = 0; i < s->o.n && len < cap; i++) {
		const struct soak_flow *f = &s->flows[i];

		if (f->gone)
			len += (size_t)snprintf(text + len, cap - len, "%u %u %u %llu\n", i,
						f->client_port, f->relay_port,
						(unsigned long long)to_epoch(f->expires_ms, now));
	}
	err = soak_write_file(s->o.vanished_path, text);
	free(text);
	return err;
}

/* Minute 1 (vanish_s): the picked clients go silent, mid-transaction or not. */
static void vanish(struct soak *s, uint64_t now)
{
	uint64_t deadline = 0;

	for (uint32_t i = 0; i < s->o.n; i++) {
		struct soak_flow *f = &s->flows[i];

		if (!f->vanish || f->gone)
			continue;
		txn_abandon(s, f);
		f->gone = true;
		if (f->expires_ms > deadline)
			deadline = f->expires_ms;
	}
	s->t_vanish = now;
	s->vanish_deadline = deadline;
	if (write_vanished(s, now))
		pr_err("msg=\"cannot write the vanished file\" path=%s", s->o.vanished_path);
	pr_info("msg=\"clients vanished\" count=%u last_expiry_in_ms=%llu", s->nvanish,
		(unsigned long long)(deadline > now ? deadline - now : 0));
}

/* Release every live allocation (Refresh, LIFETIME 0), window permitting. 1 when all done. */
static int release_all(struct soak *s, uint64_t now)
{
	int busy = 0;

	for (uint32_t i = 0; i < s->o.n; i++) {
		struct soak_flow *f = &s->flows[i];

		if (!f->ready || f->gone || f->dead || f->released)
			continue;
		busy = 1;
		if (f->step == ST_IDLE && s->inflight < s->o.window)
			txn_start(s, f, ST_RELEASE, now);
	}
	return !busy;
}

static void set_phase(struct soak *s, enum soak_phase ph, uint64_t now)
{
	s->phase = ph;
	s->t_phase = now;
	pr_info("msg=\"phase\" phase=%s", phase_names[ph]);
	write_stats(s, now);
}

/* The phase clock: setup -> run -> drain -> release -> done. */
static void advance(struct soak *s, uint64_t now)
{
	switch (s->phase) {
	case PH_SETUP:
		if (s->setup_done + s->setup_failed < s->o.n)
			break;
		s->t_ready = now;
		if (write_ports(s))
			pr_err("msg=\"cannot write the ports file\" path=%s", s->o.ports_path);
		set_phase(s, PH_RUN, now);
		break;
	case PH_RUN:
		if (!s->t_vanish && now >= s->t_ready + s->o.vanish_s * 1000ull)
			vanish(s, now);
		if (now >= s->t_ready + s->o.duration_s * 1000ull)
			set_phase(s, PH_DRAIN, now);
		break;
	case PH_DRAIN:
		if (now < s->t_phase + SOAK_LOSS_MS + 500)
			break;
		traffic_judge(s, now, true);
		set_phase(s, PH_RELEASE, now);
		break;
	case PH_RELEASE:
		if (release_all(s, now) || now >= s->t_phase + RELEASE_S * 1000ull)
			set_phase(s, PH_DONE, now);
		break;
	default:
		break;
	}
}

static void input(struct soak *s, struct soak_flow *f, uint64_t now)
{
	uint8_t buf[2048];
	ssize_t n;

	for (int k = 0; k < RECV_BURST; k++) {
		n = recv(f->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED)
				pr_warn("msg=\"recv failed\" flow=%u err=\"%s\"", f->idx,
					strerror(errno));
			return;
		}
		if (n >= 4 && (buf[0] & 0xc0) == 0x40)
			traffic_echo(s, f, buf, (size_t)n);
		else if (!f->gone)
			txn_input(s, f, buf, (size_t)n, now);
	}
}

/* One turn: wait for input (TICK_MS at most), then the clocks. */
static int turn(struct soak *s, uint64_t *last_stats)
{
	struct epoll_event ev[EVENTS];
	uint64_t now;
	int n = epoll_wait(s->epfd, ev, EVENTS, TICK_MS);

	if (n < 0 && errno != EINTR) {
		pr_err("msg=\"epoll_wait failed\" err=\"%s\"", strerror(errno));
		return -errno;
	}
	now = soak_now_ms();
	for (int i = 0; i < n; i++)
		input(s, &s->flows[ev[i].data.u32], now);
	if (s->phase == PH_SETUP)
		start_setups(s, now);
	if (now >= s->t_scan + SCAN_MS) {
		scan_flows(s, now);
		s->t_scan = now;
	}
	if (s->phase == PH_RUN)
		traffic_send(s, now);
	traffic_judge(s, now, false);
	advance(s, now);
	if (now >= *last_stats + 1000) {
		write_stats(s, now);
		*last_stats = now;
	}
	return 0;
}

/* The whole run, bounded: setup_s for the setup, then the duration and the tail phases. */
static int loop(struct soak *s)
{
	uint64_t last_stats = 0, now = soak_now_ms();
	uint64_t setup_end = now + s->o.setup_s * 1000ull;
	uint64_t hard_end = setup_end + (s->o.duration_s + RELEASE_S + 30) * 1000ull;

	while (s->phase != PH_DONE && !stop && now < hard_end) {
		if (turn(s, &last_stats))
			return -EIO;
		now = soak_now_ms();
		if (s->phase == PH_SETUP && now >= setup_end) {
			pr_err("msg=\"setup did not finish\" done=%u failed=%u of=%u setup_s=%u",
			       s->setup_done, s->setup_failed, s->o.n, s->o.setup_s);
			return -ETIMEDOUT;
		}
	}
	return s->phase == PH_DONE ? 0 : -EINTR;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: soak-client run -s SERVER:PORT -p PEER:PORT -l LOCAL_IP -n N -S STATS -P PORTS\n"
		"       -X VANISHED [-u USER] [-w PASSWORD] [-L LIFETIME_S] [-R REFRESH_S] [-d DURATION_S]\n"
		"       [-r PPS] [-v VANISH_PCT] [-V VANISH_S] [-W WINDOW] [-T SETUP_S]\n"
		"N clients, each an allocation with one permission and one channel to PEER, refreshed\n"
		"every REFRESH_S (default LIFETIME_S/2) for DURATION_S after the setup, with PPS\n"
		"ChannelData a second over all of them (echoed by the peer and checked). VANISH_PCT\n"
		"of the clients stop everything VANISH_S after the setup. Then every allocation left\n"
		"is released. STATS: one key=value line, rewritten every second; PORTS: the clients'\n"
		"ports once set up; VANISHED: the vanished clients' ports and the deadline (epoch ms)\n"
		"of their state, the expiry their last answered Refresh granted.\n");
}

static int parse_num(const char *opt, const char *v, long long lo, long long hi, uint32_t *out)
{
	long long x = soak_num(opt, v, lo, hi);

	if (x < 0)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

static int parse_opt(struct soak_opts *o, int c, const char *v)
{
	switch (c) {
	case 's': return addr_parse(v, 3478, &o->server);
	case 'p': return addr_parse(v, 0, &o->peer);
	case 'l': return addr_parse(v, 0, &o->local);
	case 'S': o->stats_path = v; return 0;
	case 'P': o->ports_path = v; return 0;
	case 'X': o->vanished_path = v; return 0;
	case 'u': o->user = v; return 0;
	case 'w': o->password = v; return 0;
	case 'n': return parse_num("-n", v, 1, SOAK_MAX_FLOWS, &o->n);
	case 'L': return parse_num("-L", v, 10, 86400, &o->lifetime_s);
	case 'R': return parse_num("-R", v, 1, 86400, &o->refresh_ms);
	case 'd': return parse_num("-d", v, 1, SOAK_MAX_S, &o->duration_s);
	case 'r': return parse_num("-r", v, 0, SOAK_MAX_PPS, &o->pps);
	case 'v': return parse_num("-v", v, 0, 100, &o->vanish_pct);
	case 'V': return parse_num("-V", v, 0, SOAK_MAX_S, &o->vanish_s);
	case 'W': return parse_num("-W", v, 1, 4096, &o->window);
	case 'T': return parse_num("-T", v, 1, 3600, &o->setup_s);
	default: return -EINVAL;
	}
}

static int parse_opts(int argc, char **argv, struct soak_opts *o)
{
	int c;

	*o = (struct soak_opts){ .user = "soak", .password = "soak-pw", .lifetime_s = 120,
				 .duration_s = 600, .pps = 2000, .vanish_pct = 5, .vanish_s = 60,
				 .window = 256, .setup_s = 300 };
	while ((c = getopt(argc, argv, "s:p:l:S:P:X:u:w:n:L:R:d:r:v:V:W:T:h")) != -1)
		if (parse_opt(o, c, optarg))
			return -EINVAL;
	if (optind != argc || !o->n || !o->stats_path || !o->ports_path || !o->vanished_path ||
	    !o->server.sa.sa_family || !o->peer.sa.sa_family || !o->local.sa.sa_family)
		return -EINVAL;
	/* -R is in seconds on the command line; 0 (unset): half the lifetime */
	o->refresh_ms = o->refresh_ms ? o->refresh_ms * 1000 : o->lifetime_s * 500;
	return 0;
}

/* Room for one socket per client: the soft limit raised to the hard one. */
static int fd_room(uint32_t need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)need + FD_SPARE) {
		pr_err("msg=\"too many clients for the open-file limit\" clients=%u limit=%llu",
		       need, (unsigned long long)rl.rlim_cur);
		return -EMFILE;
	}
	return 0;
}

static void cleanup(struct soak *s)
{
	for (uint32_t i = 0; s->flows && i < s->o.n; i++)
		if (s->flows[i].fd >= 0)
			close(s->flows[i].fd);
	free(s->flows);
	traffic_free(&s->tr);
	if (s->epfd >= 0)
		close(s->epfd);
}

int soak_run(int argc, char **argv)
{
	struct soak s = { .epfd = -1 };
	int err;

	if (parse_opts(argc, argv, &s.o)) {
		usage();
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (fd_room(s.o.n) || traffic_init(&s.tr))
		return 1;
	s.epfd = epoll_create1(EPOLL_CLOEXEC);
	s.flows = calloc(s.o.n, sizeof(*s.flows));
	for (uint32_t i = 0; s.flows && i < s.o.n; i++)
		s.flows[i].fd = -1;
	s.t0 = soak_now_ms();
	err = s.epfd < 0 || !s.flows ? -ENOMEM : open_flows(&s);
	if (!err)
		err = loop(&s);
	if (err) {
		s.phase = PH_ABORTED;
		pr_err("msg=\"soak run aborted\" err=\"%s\"", strerror(-err));
	}
	write_stats(&s, soak_now_ms());
	cleanup(&s);
	return err ? 1 : 0;
}
