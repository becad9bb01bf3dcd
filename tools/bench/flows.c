/* flows.c - benchmark control plane: N channels over N/K TURN allocations, kept alive. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "bench.h"
#include "log.h"
#include "turnc.h"

#define CHAN_FIRST 0x4000
#define CHAN_COUNT 0x1000	/* RFC 8656 range 0x4000-0x4FFF */
#define FD_SPARE 32		/* descriptors besides the allocations' sockets */

/*
 * A flow is one channel: a (client port, channel) pair towards one peer address, relayed
 * both ways. Allocation a holds K of them, flows a*K .. a*K+K-1, bound to the peer IP at
 * ports PEER_PORT .. PEER_PORT+K-1 (a channel needs its own peer address in its allocation).
 * K > 1 lets N exceed what one process may hold in sockets, or the relay in relayed ports.
 */
struct opts {
	const char *out;
	int n, k;
	unsigned hold_s, refresh_s;
	sockaddr_u local, peer;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int nallocs(const struct opts *o)
{
	return (o->n + o->k - 1) / o->k;
}

/* Channels of allocation a (the last one may hold fewer). */
static int nchans(const struct opts *o, int a)
{
	return o->n - a * o->k < o->k ? o->n - a * o->k : o->k;
}

static uint16_t channel_of(const struct opts *o, int a, int j)
{
	return (uint16_t)(CHAN_FIRST + (a * o->k + j) % CHAN_COUNT);
}

static sockaddr_u peer_of(const struct opts *o, int j)
{
	sockaddr_u p = o->peer;

	addr_set_port(&p, (uint16_t)(addr_port(&o->peer) + j));
	return p;
}

/* Bind (or refresh) every channel of allocation a. 0, a STUN error code, or -errno. */
static int bind_all(struct turnc_sess *s, const struct opts *o, struct turnc_alloc *al, int a)
{
	sockaddr_u p;
	int j, err;

	for (j = 0; j < nchans(o, a); j++) {
		p = peer_of(o, j);
		err = turnc_bind(s, al, &p, channel_of(o, a, j));
		if (err)
			return err;
	}
	return 0;
}

/* Allocate, CreatePermission, ChannelBind x K for allocation a. */
static int setup_one(struct turnc_sess *s, const struct opts *o, struct turnc_alloc *al, int a)
{
	int err = turnc_open(s, al, &o->local);

	if (!err)
		err = turnc_allocate(s, al);
	if (!err)
		err = turnc_permit(s, al, &o->peer);
	if (!err)
		err = bind_all(s, o, al, a);
	if (err)
		pr_err("msg=\"flow setup failed\" allocation=%d err=%d (%s)", a, err,
		       turnc_strerror(err));
	return err;
}

/* Every allocation, with "setup DONE/N" progress lines on stdout. 0 or the first error. */
static int setup_all(struct turnc_sess *s, const struct opts *o, struct turnc_alloc *al)
{
	uint64_t next = now_ms() + 500;
	int a, err;

	for (a = 0; a < nallocs(o); a++) {
		if (stop)
			return -EINTR;
		err = setup_one(s, o, &al[a], a);
		if (err)
			return err;
		if (now_ms() >= next) {
			printf("setup %d/%d\n", a * o->k, o->n);
			fflush(stdout);
			next = now_ms() + 500;
		}
	}
	return 0;
}

static int write_flows(const struct opts *o, const struct turnc_alloc *al)
{
	FILE *fp = fopen(o->out, "w");
	int a, j, err;

	if (!fp) {
		err = -errno;
		pr_err("msg=\"cannot create the flow file\" path=%s err=%s", o->out,
		       strerror(errno));
		return err;
	}
	fprintf(fp, "# client_port channel relay_port peer_port\n");
	for (a = 0; a < nallocs(o); a++)
		for (j = 0; j < nchans(o, a); j++)
			fprintf(fp, "%u %u %u %u\n", al[a].client_port, channel_of(o, a, j),
				al[a].relay_port, addr_port(&o->peer) + j);
	if (fclose(fp)) {
		pr_err("msg=\"cannot write the flow file\" path=%s err=%s", o->out,
		       strerror(errno));
		return -EIO;
	}
	return 0;
}

/* Keep every flow alive until hold_s has passed or a signal came; refresh every refresh_s. */
static void hold(struct turnc_sess *s, const struct opts *o, struct turnc_alloc *al)
{
	uint64_t end = now_ms() + (uint64_t)o->hold_s * 1000;
	uint64_t next = now_ms() + o->refresh_s * 1000ull;
	int a, err;

	while (!stop && now_ms() < end) {
		usleep(100 * 1000);
		if (now_ms() < next)
			continue;
		for (a = 0; a < nallocs(o) && !stop; a++) {
			err = turnc_refresh(s, &al[a]);
			if (!err)
				err = bind_all(s, o, &al[a], a);
			if (err)
				pr_warn("msg=\"refresh failed\" allocation=%d err=%d (%s)", a, err,
					turnc_strerror(err));
		}
		next = now_ms() + o->refresh_s * 1000ull;
	}
}

/* Room for one socket per allocation: raise the soft limit to the hard one. 0 or -EMFILE. */
static int fd_room(int need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t)need + FD_SPARE) {
		pr_err("msg=\"too many allocations for the open-file limit\" allocations=%d "
		       "limit=%llu hint=\"more channels per allocation (-k)\"", need,
		       (unsigned long long)rl.rlim_cur);
		return -EMFILE;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: turnbench-flows -s SERVER:PORT -p PEER:PORT -l LOCAL_IP -n N -o FILE\n"
		"       [-k K] [-u USER] [-w PASSWORD] [-t HOLD_S] [-r REFRESH_S] [-L LIFETIME_S]\n"
		"Creates N channels, K per allocation (default 1), to PEER at ports\n"
		"PORT..PORT+K-1; writes \"client_port channel relay_port peer_port\" lines to\n"
		"FILE, then keeps them refreshed for HOLD_S seconds (default 60) or until\n"
		"SIGTERM/SIGINT, and releases them. Progress lines \"setup DONE/N\" go to\n"
		"stdout.\n");
}

static int parse_opts(int argc, char **argv, struct turnc_sess *s, struct opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "s:p:l:n:k:o:u:w:t:r:L:h")) != -1) {
		switch (c) {
		case 's': if (addr_parse(optarg, 3478, &s->server)) return -EINVAL; break;
		case 'p': if (addr_parse(optarg, 0, &o->peer)) return -EINVAL; break;
		case 'l': if (addr_parse(optarg, 0, &o->local)) return -EINVAL; break;
		case 'n': o->n = atoi(optarg); break;
		case 'k': o->k = atoi(optarg); break;
		case 'o': o->out = optarg; break;
		case 'u': s->user = optarg; break;
		case 'w': s->password = optarg; break;
		case 't': o->hold_s = (unsigned)atoi(optarg); break;
		case 'r': o->refresh_s = (unsigned)atoi(optarg); break;
		case 'L': s->lifetime = (uint32_t)atoi(optarg); break;
		default: return -EINVAL;
		}
	}
	if (!o->out || o->n < 1 || o->n > GEN_MAX_FLOWS || o->k < 1 || o->k > CHAN_COUNT ||
	    !s->server.sa.sa_family || !o->peer.sa.sa_family || !o->local.sa.sa_family ||
	    addr_port(&o->peer) + o->k - 1 > 65535 || o->hold_s > 86400 || o->refresh_s < 1 ||
	    s->lifetime < 60)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct turnc_sess s = { .user = "alice", .password = "s3cret", .lifetime = 600,
				.stop = &stop };
	struct opts o = { .k = 1, .hold_s = 60, .refresh_s = 240 };
	struct turnc_alloc *al;
	int a, rc = 1;

	if (parse_opts(argc, argv, &s, &o)) {
		usage();
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (fd_room(nallocs(&o)))
		return 1;
	al = calloc((size_t)nallocs(&o), sizeof(*al));
	if (!al)
		return 1;
	for (a = 0; a < nallocs(&o); a++)
		al[a].fd = -1;
	if (setup_all(&s, &o, al) || write_flows(&o, al))
		goto out;
	pr_info("msg=\"flows ready\" n=%d allocations=%d file=%s hold_s=%u", o.n, nallocs(&o),
		o.out, o.hold_s);
	hold(&s, &o, al);
	rc = 0;
out:
	for (a = 0; a < nallocs(&o); a++)
		turnc_release(&s, &al[a]);
	free(al);
	return rc;
}
