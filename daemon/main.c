/* main.c - turnd: command line, start-up, signals (SIGTERM stops, SIGHUP reloads), shutdown. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "control.h"
#include "fastpath.h"
#include "ifwatch.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "setup.h"
#include "state.h"
#include "turn.h"
#include "udp.h"
#include "version.h"
#include "web.h"

/* Everything a running daemon holds; lives on main's stack. */
struct turnd {
	struct turnd_config cfg;
	struct auth *auth;
	struct loop *loop;
	struct udp *udp;
	struct turn_server *turn;
	struct fastpath *fp;
	struct control *ctl;
	struct metrics *metrics;
	struct web *web;	/* signaling = { ... }: the call page and /ws */
	char web_secret[65];	/* no auth.secret: the one signaling's credentials use */
	struct latency_hist lat;	/* request handling time, fed by udp */
	struct timer gc;	/* drops expired map entries a previous run left */
	struct timer save;	/* writes the state file when allocations changed */
	struct ifwatch *ifw;	/* link and address changes */
	struct timer ifs;	/* re-picks the XDP interfaces shortly after a change */
	uint64_t saved_gen;
	int sigfd;
};

#define GC_INTERVAL_MS 60000
#define SAVE_INTERVAL_MS 1000
#define IFS_SETTLE_MS 200

static void usage(FILE *f)
{
	fprintf(f, "usage: turnd [-c FILE] [--check-config] [--detach-xdp] [-h] [-V]\n"
		   "  -c, --config FILE   configuration file (default /etc/turnd/turnd.conf)\n"
		   "  --check-config      validate the configuration and exit (0 ok, 2 bad)\n"
		   "  --detach-xdp        detach the XDP program and remove the pins under\n"
		   "                      xdp.pin_path, then exit (kernel forwarding stops)\n"
		   "  -V, --version       print the version\n");
}

/*
 * The secret signaling's TURN credentials are made with: auth.secret, or (unset) a random one
 * made once per run and added to the credential store a; NULL when signaling is off.
 */
static const char *web_secret(struct turnd *d, const struct turnd_config *c, struct auth *a)
{
	uint8_t r[32];

	if (!c->sig.on)
		return NULL;
	if (c->auth.secret)
		return c->auth.secret;
	if (!d->web_secret[0]) {
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			for (size_t i = 0; i < sizeof(r); i++)
				r[i] = (uint8_t)random();
		for (size_t i = 0; i < sizeof(r); i++)
			snprintf(d->web_secret + 2 * i, 3, "%02x", r[i]);
	}
	return auth_add_secret(a, d->web_secret) ? NULL : d->web_secret;
}

/* SIGHUP: re-read the file; swap users, secret and peer policy; keep every allocation. */
static void reload(struct turnd *d)
{
	struct turnd_config nc;
	struct auth *na;
	char err[512];

	if (config_load(d->cfg.path, &nc, err, sizeof(err))) {
		pr_err("reload failed, keeping the running configuration: %s", err);
		return;
	}
	na = setup_auth(&nc);
	if (!na) {
		pr_err("reload failed, keeping the running configuration: auth setup failed");
		config_free(&nc);
		return;
	}
	if (nc.sig.on != d->cfg.sig.on || nc.sig.nlisten != d->cfg.sig.nlisten ||
	    memcmp(nc.sig.listen, d->cfg.sig.listen, sizeof(nc.sig.listen)) ||
	    !nc.sig.tls_cert != !d->cfg.sig.tls_cert ||
	    (nc.sig.tls_cert && (strcmp(nc.sig.tls_cert, d->cfg.sig.tls_cert) ||
				 strcmp(nc.sig.tls_key, d->cfg.sig.tls_key))))
		pr_warn("reload: signaling listeners and TLS files need a restart; kept as they were");
	if (d->web && web_reload(d->web, &nc.sig, web_secret(d, &nc, na))) {
		auth_free(na);
		config_free(&nc);
		return;
	}
	turn_set_auth(d->turn, na);
	auth_free(d->auth);
	d->auth = na;
	log_set_level(nc.log_level);
	log_set_target(nc.log_target);
	log_set_rate(nc.log_rate);
	/* listeners and relay addresses need a restart; the rest of nc replaces cfg */
	nc.nlisten = d->cfg.nlisten;
	memcpy(nc.listen, d->cfg.listen, sizeof(nc.listen));
	nc.relay = d->cfg.relay;
	turn_set_policy(d->turn, &nc.peers);	/* old lists stay valid until freed below */
	config_free(&d->cfg);
	d->cfg = nc;
	turn_set_policy(d->turn, &d->cfg.peers);	/* nc was a copy on this stack */
	pr_info("reloaded config=%s users=%zu", d->cfg.path, auth_user_count(d->auth));
}

static void on_signal(void *arg, int fd, uint32_t events)
{
	struct turnd *d = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			reload(d);
		} else {
			pr_info("stopping signal=%s", strsignal((int)si.ssi_signo));
			loop_stop(d->loop);
		}
	}
}

static void on_gc(struct timer *t, uint64_t now_ms)
{
	struct turnd *d = container_of(t, struct turnd, gc);
	int n = fastpath_gc(d->fp);

	if (n > 0)
		pr_info("xdp gc removed=%d reason=expired", n);
	timerq_set(loop_timers(d->loop), &d->gc, now_ms + GC_INTERVAL_MS);
}

static void on_save(struct timer *t, uint64_t now_ms)
{
	struct turnd *d = container_of(t, struct turnd, save);
	uint64_t gen = turn_generation(d->turn);

	if (gen != d->saved_gen && !state_save(d->cfg.state_file, d->turn))
		d->saved_gen = gen;
	timerq_set(loop_timers(d->loop), &d->save, now_ms + SAVE_INTERVAL_MS);
}

static void on_ifs(struct timer *t, uint64_t now_ms)
{
	struct turnd *d = container_of(t, struct turnd, ifs);

	(void)now_ms;
	fastpath_refresh_ifaces(d->fp);	/* logs each attach and detach */
}

/*
 * Routing changes reach the fast path at once (its cached routes are dropped); a burst of
 * link and address changes is settled for IFS_SETTLE_MS, then acted on once.
 */
static void on_if_change(void *arg, unsigned int kinds)
{
	struct turnd *d = arg;

	if (kinds & IFWATCH_ROUTES)
		fastpath_routes_changed(d->fp);
	if ((kinds & IFWATCH_LINKS) && d->fp && d->ifs.idx == TIMERQ_IDLE)
		timerq_set(loop_timers(d->loop), &d->ifs, loop_now_ms() + IFS_SETTLE_MS);
}

static void on_ifwatch(void *arg, int fd, uint32_t events)
{
	struct turnd *d = arg;

	(void)fd;
	(void)events;
	ifwatch_read(d->ifw);
}

/* Follow interfaces and routing for the fast path. */
static void start_ifwatch(struct turnd *d)
{
	timer_init(&d->ifs, on_ifs);
	d->ifw = ifwatch_new(on_if_change, d);
	if (!d->ifw || loop_add(d->loop, ifwatch_fd(d->ifw), EPOLLIN, on_ifwatch, d)) {
		pr_warn("xdp: not following interface and routing changes (netlink watch failed), "
			"route cache off");
		ifwatch_free(d->ifw);
		d->ifw = NULL;
		d->cfg.xdp.route_cache_ms = 0;	/* nothing would tell the program of a change */
	}
}

/* Rebuild what a previous turnd left, then keep the file current. */
static int start_state(struct turnd *d)
{
	int n = state_load(d->cfg.state_file, d->udp, d->turn, loop_now_ms());

	if (n < 0)
		pr_warn("state file %s ignored: starting with no allocations", d->cfg.state_file);
	n = fastpath_reconcile(d->fp);	/* the kernel forwards for restored calls only */
	if (n > 0)
		pr_info("xdp reconcile removed=%d reason=not-restored", n);
	d->saved_gen = turn_generation(d->turn);
	timer_init(&d->save, on_save);
	return timerq_set(loop_timers(d->loop), &d->save, loop_now_ms() + SAVE_INTERVAL_MS);
}

static int setup_signals(struct turnd *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0) {
		pr_err("signalfd failed: %s", strerror(errno));
		return -errno;
	}
	return loop_add(d->loop, d->sigfd, EPOLLIN, on_signal, d);
}

static int start(struct turnd *d)
{
	struct turn_params tp = { 0 };
	struct turn_ops ops = { 0 };

	d->auth = setup_auth(&d->cfg);
	if (!d->auth || setup_relay_addrs(&d->cfg.relay))
		return -EINVAL;
	d->loop = loop_new();
	if (!d->loop || setup_signals(d))
		return -ENOMEM;
	d->udp = udp_new(d->loop, d->cfg.listen, d->cfg.nlisten, &d->cfg.relay);
	if (!d->udp)
		return -EADDRNOTAVAIL;
	if (d->cfg.xdp.mode != XDP_MODE_OFF)
		start_ifwatch(d);	/* before the choice, so no change slips between */
	d->fp = fastpath_new(&d->cfg.xdp, &d->cfg.relay, d->cfg.listen, d->cfg.nlisten);
	if (d->fp) {
		timer_init(&d->gc, on_gc);
		timerq_set(loop_timers(d->loop), &d->gc, loop_now_ms() + GC_INTERVAL_MS);
	}
	udp_set_fastpath(d->udp, d->fp);
	udp_ops(d->udp, &ops);
	setup_turn_params(&d->cfg, &tp);
	d->turn = turn_new(&tp, d->auth, &d->cfg.peers, loop_timers(d->loop), &ops);
	if (!d->turn) {
		pr_err("turn core: cannot allocate: %s", strerror(errno));
		return -ENOMEM;
	}
	udp_attach(d->udp, d->turn);
	if (start_state(d))
		return -ENOMEM;
	d->ctl = control_new(d->loop, d->cfg.control_socket, d->turn, d->fp);
	if (!d->ctl)
		return -EIO;
	control_set_listeners(d->ctl, d->cfg.listen, d->cfg.nlisten);
	udp_set_latency(d->udp, &d->lat);
	if (d->cfg.metrics_on) {
		d->metrics = metrics_new(d->loop, &d->cfg.metrics_listen, d->turn, d->fp);
		if (!d->metrics)
			return -EADDRNOTAVAIL;
		metrics_set_latency(d->metrics, &d->lat);
	}
	if (d->cfg.sig.on) {
		d->web = web_new(d->loop, &d->cfg.sig, web_secret(d, &d->cfg, d->auth),
				 addr_port(&d->cfg.listen[0]));
		if (!d->web)
			return -EADDRNOTAVAIL;
		control_set_web(d->ctl, d->web);
		if (d->metrics)
			metrics_set_web(d->metrics, d->web);
	}
	pr_info("started version=%s realm=%s users=%zu", TURND_VERSION, d->cfg.realm,
		auth_user_count(d->auth));
	return 0;
}

static void stop(struct turnd *d)
{
	control_free(d->ctl);
	metrics_free(d->metrics);
	web_free(d->web);
	/* the kernel keeps forwarding through the pinned maps while turnd is away (unless
	 * xdp.detach_on_exit): releasing allocations must not empty them */
	if (d->turn && d->fp && !d->cfg.xdp.detach_on_exit)
		state_save(d->cfg.state_file, d->turn);	/* the next turnd takes over */
	else if (d->turn)
		state_remove(d->cfg.state_file);
	if (d->udp)
		udp_set_fastpath(d->udp, NULL);
	turn_free(d->turn);	/* releases allocations and their relay sockets */
	if (d->ifw) {
		loop_del(d->loop, ifwatch_fd(d->ifw));
		ifwatch_free(d->ifw);
	}
	fastpath_free(d->fp);
	udp_free(d->udp);
	if (d->sigfd >= 0)
		close(d->sigfd);
	loop_free(d->loop);
	auth_free(d->auth);
	config_free(&d->cfg);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "detach-xdp", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *path = "/etc/turnd/turnd.conf";
	struct turnd d = { .sigfd = -1 };
	bool check = false, detach = false;
	char err[512];
	int o, rc;

	while ((o = getopt_long(argc, argv, "c:hV", opts, NULL)) != -1) {
		switch (o) {
		case 'c': path = optarg; break;
		case 'C': check = true; break;
		case 'D': detach = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("turnd %s\n", TURND_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (config_load(path, &d.cfg, err, sizeof(err))) {
		fprintf(stderr, "turnd: %s\n", err);
		return 2;
	}
	log_set_level(d.cfg.log_level);
	if (detach) {
		rc = fastpath_detach_all(d.cfg.xdp.pin_path);
		if (rc >= 0)
			printf("%s: detached %d XDP link(s), pins removed\n", d.cfg.xdp.pin_path, rc);
		config_free(&d.cfg);
		return rc < 0 ? 1 : 0;
	}
	if (check) {
		struct auth *a = setup_auth(&d.cfg);

		rc = a ? 0 : 2;
		auth_free(a);
		config_free(&d.cfg);
		if (!rc)
			printf("%s: configuration ok\n", path);
		return rc;
	}
	log_set_target(d.cfg.log_target);	/* the daemon's own; checks above print to stderr */
	log_set_rate(d.cfg.log_rate);
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	rc = start(&d);
	if (!rc)
		rc = loop_run(d.loop);
	stop(&d);
	pr_info("stopped status=%s", rc ? "error" : "ok");
	return rc ? 1 : 0;
}
