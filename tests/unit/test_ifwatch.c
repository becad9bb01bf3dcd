/* test_ifwatch.c - link and address changes: ifwatch notices them, the fast path follows them. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fastpath.h"
#include "ifwatch.h"
#include "log.h"
#include "netns_rig.h"
#include "tap.h"
#include "xdp_load.h"

/*
 * All in a network namespace and a mount namespace of our own, with a private bpffs on a
 * temporary directory. IPv6 is off in the namespace so that no link-local address or DAD
 * completion arrives on its own while the test expects quiet. Veth A (iwa0, the listen
 * address 198.18.7.1) exists from the start; the others come and go during the test.
 */
static const char *const net_cmds[] = {
	"sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null || true",
	"sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null || true",
	"ip link set lo up",
	"ip link add iwa0 type veth peer name iwa1",
	"ip addr add 198.18.7.1/24 dev iwa0",
	"ip link set iwa0 up",
	"ip link set iwa1 up",
};

#define LISTENER "198.18.7.1"
#define RELAY4 "198.18.8.1"
#define QUIET_MS 300		/* no notification for this long: the burst is over */
#define SETTLE_MAX_MS 5000	/* and never wait longer than this for one */

static struct netns_rig g_ns;
static int nchanged;		/* calls of changed() with IFWATCH_LINKS */
static int nroutes;		/* calls of changed() with IFWATCH_ROUTES only */
static int stirred, unsettled;	/* refreshes that caused notifications; did not settle */

static void changed(void *arg, unsigned int kinds)
{
	if (kinds & IFWATCH_LINKS)
		(*(int *)arg)++;
	else if (kinds & IFWATCH_ROUTES)
		nroutes++;
}

/*
 * Read notifications as the daemon's loop would, until none came for quiet_ms (at most
 * SETTLE_MAX_MS in all). Returns how many times changed() was called meanwhile.
 */
static int settle(struct ifwatch *w, int quiet_ms)
{
	struct pollfd p = { .fd = ifwatch_fd(w), .events = POLLIN };
	uint64_t end = mono_ms() + SETTLE_MAX_MS;
	int before = nchanged;

	while (mono_ms() < end) {
		int rc = poll(&p, 1, quiet_ms);

		if (rc < 0 && errno != EINTR)
			break;
		if (rc == 0)
			break;
		if (rc > 0)
			ifwatch_read(w);
	}
	return nchanged - before;
}

static char logbuf[16384];	/* the last capture_log_end() */

/* The captured lines into logbuf, echoed as diagnostics. */
static const char *capture_log_end(void)
{
	return capture_end(logbuf, sizeof(logbuf));
}

/* How many lines of the last capture contain s. */
static int log_count(const char *s)
{
	int n = 0;

	for (const char *p = logbuf; (p = strstr(p, s)); p += strlen(s))
		n++;
	return n;
}

/* The id of the XDP program on ifname, 0 when none (or no such interface). */
static uint32_t prog_on(const char *ifname)
{
	int ifindex = (int)if_nametoindex(ifname);
	uint32_t id = 0;
	uint8_t mode;

	if (ifindex)
		xdp_query(ifindex, &id, &mode);
	return id;
}

static bool link_pinned(const char *ifname)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/link_%s", g_ns.pin_path, ifname);
	return !stat(path, &st);
}

/* Attached with our program (the one on iwa0 at the start) and pinned. */
static bool ours(const char *ifname, uint32_t prog)
{
	return prog && prog_on(ifname) == prog && link_pinned(ifname);
}

static bool bare(const char *ifname)
{
	return !prog_on(ifname) && !link_pinned(ifname);
}

/*
 * Run cmd, let the notifications settle (*seen: how many batches reported a change), then
 * refresh the fast path with its log captured into logbuf. Returns what the refresh did.
 */
static int change(struct ifwatch *w, struct fastpath *fp, const char *cmd, int *seen)
{
	int n;

	if (cmd)
		sh(cmd);
	*seen = settle(w, QUIET_MS);
	capture_start();
	n = fastpath_refresh_ifaces(fp);
	capture_log_end();
	/*
	 * What the refresh itself stirred up (a native attach changes features: RTM_NEWLINK)
	 * must die down: one more refresh changes nothing and stirs nothing.
	 */
	if (settle(w, QUIET_MS)) {
		char first[sizeof(logbuf)];

		memcpy(first, logbuf, sizeof(first));
		capture_start();
		if (fastpath_refresh_ifaces(fp) || settle(w, QUIET_MS))
			unsettled++;
		if (capture_log_end()[0])
			unsettled++;	/* it logged something: it changed something */
		memcpy(logbuf, first, sizeof(logbuf));
		stirred++;
	}
	return n;
}

#define BOTH (IFWATCH_LINKS | IFWATCH_ROUTES)

/* The kinds of one message type, written out again. */
static unsigned int ref_kind(uint16_t t)
{
	if (t == RTM_NEWLINK || t == RTM_DELLINK || t == RTM_NEWADDR || t == RTM_DELADDR)
		return BOTH;
	if (t == RTM_NEWROUTE || t == RTM_DELROUTE || t == RTM_NEWNEIGH || t == RTM_DELNEIGH ||
	    t == RTM_NEWRULE || t == RTM_DELRULE || t == RTM_NEWNEXTHOP || t == RTM_DELNEXTHOP ||
	    t == RTM_NEWNETCONF || t == RTM_DELNETCONF)
		return IFWATCH_ROUTES;
	return 0;
}

/* The expected answer: messages at 4-byte aligned offsets, each length within what is left. */
static unsigned int ref_kinds(const uint8_t *b, size_t len)
{
	unsigned int kinds = 0;
	size_t off = 0;

	while (off + 16 <= len) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(b + off);

		if (h->nlmsg_len < 16 || h->nlmsg_len > len - off)
			break;
		kinds |= ref_kind(h->nlmsg_type);
		off += (h->nlmsg_len + 3) & ~3u;
	}
	return kinds;
}

/* ifwatch_kinds() on well-formed, truncated and hostile datagrams. */
static void test_parse(void)
{
	union {
		struct nlmsghdr h;
		uint8_t b[256];
	} u;
	struct nlmsghdr *h2;
	static const uint16_t quiet[] = { RTM_NEWQDISC, RTM_NEWTFILTER, RTM_NEWNSID, NLMSG_DONE,
					  NLMSG_ERROR, NLMSG_NOOP, 0xffff };
	static const uint16_t routes[] = { RTM_NEWROUTE, RTM_DELROUTE, RTM_NEWNEIGH, RTM_DELNEIGH,
					   RTM_NEWRULE, RTM_DELRULE, RTM_NEWNEXTHOP,
					   RTM_DELNEXTHOP, RTM_NEWNETCONF, RTM_DELNETCONF };
	static const uint16_t links[] = { RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR };
	uint32_t seed = 12345;
	int mismatches = 0;

	memset(&u, 0, sizeof(u));
	is_int(ifwatch_kinds(u.b, 0), 0, "parse: empty datagram: nothing");
	u.h.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	u.h.nlmsg_type = RTM_NEWADDR;
	is_int(ifwatch_kinds(u.b, u.h.nlmsg_len), BOTH, "parse: RTM_NEWADDR: links and routes");
	is_int(ifwatch_kinds(u.b, sizeof(u.h) - 1), 0, "parse: header cut short: nothing");
	is_int(ifwatch_kinds(u.b, u.h.nlmsg_len - 1), 0,
	       "parse: message longer than the datagram");
	u.h.nlmsg_len = 0;
	is_int(ifwatch_kinds(u.b, sizeof(u.b)), 0, "parse: nlmsg_len 0 ends the walk (no loop)");
	u.h.nlmsg_len = sizeof(u.h) - 1;
	is_int(ifwatch_kinds(u.b, sizeof(u.b)), 0, "parse: nlmsg_len below the header size");
	u.h.nlmsg_len = UINT32_MAX;
	is_int(ifwatch_kinds(u.b, sizeof(u.b)), 0, "parse: nlmsg_len 0xffffffff, RTM_NEWADDR");
	u.h.nlmsg_type = RTM_NEWROUTE;
	is_int(ifwatch_kinds(u.b, sizeof(u.b)), 0,
	       "parse: nlmsg_len 0xffffffff (no endless walk)");
	u.h.nlmsg_len = 0xfffffffd;
	is_int(ifwatch_kinds(u.b, sizeof(u.b)), 0, "parse: nlmsg_len 0xfffffffd (aligns to 0)");
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		u.h.nlmsg_len = NLMSG_LENGTH(16);
		u.h.nlmsg_type = quiet[i];
		is_int(ifwatch_kinds(u.b, u.h.nlmsg_len), 0, "parse: type %u is no change",
		       quiet[i]);
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		u.h.nlmsg_len = NLMSG_LENGTH(16);
		u.h.nlmsg_type = routes[i];
		is_int(ifwatch_kinds(u.b, u.h.nlmsg_len), IFWATCH_ROUTES,
		       "parse: type %u is a routing change only", routes[i]);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		u.h.nlmsg_len = NLMSG_LENGTH(16);
		u.h.nlmsg_type = links[i];
		is_int(ifwatch_kinds(u.b, u.h.nlmsg_len), BOTH,
		       "parse: type %u is a link and a routing change", links[i]);
	}
	/* A route, then a link: both kinds; the link cut into: the route only. */
	u.h.nlmsg_len = NLMSG_LENGTH(20);	/* 36: the next header at NLMSG_ALIGN = 36 */
	u.h.nlmsg_type = RTM_NEWROUTE;
	h2 = (struct nlmsghdr *)(u.b + NLMSG_ALIGN(u.h.nlmsg_len));
	h2->nlmsg_len = NLMSG_LENGTH(16);
	h2->nlmsg_type = RTM_DELLINK;
	is_int(ifwatch_kinds(u.b, NLMSG_ALIGN(u.h.nlmsg_len) + h2->nlmsg_len), BOTH,
	       "parse: a route then a link: both kinds");
	is_int(ifwatch_kinds(u.b, NLMSG_ALIGN(u.h.nlmsg_len) + h2->nlmsg_len - 1),
	       IFWATCH_ROUTES, "parse: the second message cut short: the first one's kind");
	/* Random bytes: the answer of a plain reference walk, read within bounds (ASan). */
	for (int i = 0; i < 20000; i++) {
		size_t len;

		for (size_t j = 0; j < sizeof(u.b); j++) {
			seed = seed * 1103515245 + 12345;
			u.b[j] = (uint8_t)(seed >> 16);
		}
		for (size_t off = 0; i & 1 && off + sizeof(u.h) <= sizeof(u.b); off += 16) {
			/* Often plausible: short lengths, change types in a few places. */
			struct nlmsghdr *h = (struct nlmsghdr *)(u.b + off);

			h->nlmsg_len &= 0x3f;
			if (h->nlmsg_type & 0x100)
				h->nlmsg_type = RTM_NEWLINK;
			else
				h->nlmsg_type = RTM_NEWROUTE;
		}
		len = (seed >> 8) % (sizeof(u.b) + 1);
		if (ifwatch_kinds(u.b, len) != ref_kinds(u.b, len))
			mismatches++;
	}
	ok(!mismatches, "parse: 20000 random datagrams answered as the reference walk does");
}

/* Quiet when nothing changes; the fast path picks interfaces from the addresses. */
static struct fastpath *start(struct ifwatch *w, const struct relay_cfg *r,
			      const sockaddr_u *listen, uint32_t *prog)
{
	struct xdp_cfg x = { .mode = XDP_MODE_AUTO, .pin_path = g_ns.pin_path };
	struct fastpath *fp;

	is_int(settle(w, QUIET_MS), 0, "nothing changes: the poll times out, no change reported");
	fp = fastpath_new(&x, r, listen, 1);
	*prog = prog_on("iwa0");
	ok(fp && ours("iwa0", *prog), "fastpath_new: attached to iwa0 (prog %u), link pinned",
	   *prog);
	ok(bare("iwa1"), "iwa1 (no listen or relay address): nothing attached");
	settle(w, QUIET_MS);
	is_int(fastpath_refresh_ifaces(fp), 0, "refresh with nothing changed: no change");
	is_int(settle(w, QUIET_MS), 0, "and no notification after it (no refresh loop)");
	is_int(fastpath_refresh_ifaces(NULL), 0, "refresh without a fast path: 0");
	return fp;
}

/* Routing changes: reported as such, not as link changes; the fast path counts them. */
static void test_routes(struct ifwatch *w, struct fastpath *fp)
{
	static const struct {
		const char *cmd, *what;
	} cmds[] = {
		{ "ip route add 198.18.9.0/24 via 198.18.7.2 dev iwa0", "route added" },
		{ "ip neigh replace 198.18.7.2 lladdr 02:00:00:00:07:02 nud permanent dev iwa0",
		  "neighbour replaced" },
		{ "ip rule add to 198.18.10.0/24 table 100 pref 1000", "rule added" },
		/* The fast path turned it on; off and on again. */
		{ "sysctl -qw net.ipv4.conf.iwa0.forwarding=0", "forwarding off (netconf)" },
		{ "sysctl -qw net.ipv4.conf.iwa0.forwarding=1", "forwarding on (netconf)" },
		{ "ip route del 198.18.9.0/24", "route deleted" },
		{ "ip neigh del 198.18.7.2 dev iwa0", "neighbour deleted" },
		{ "ip rule del pref 1000", "rule deleted" },
	};
	char desc[1024];

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int links = nchanged, routes = nroutes;

		sh(cmds[i].cmd);
		settle(w, QUIET_MS);
		ok(nroutes > routes && nchanged == links,
		   "%s: a routing change (%d batches), no link change (%d)", cmds[i].what,
		   nroutes - routes, nchanged - links);
	}
	fastpath_routes_changed(fp);
	fastpath_routes_changed(fp);
	fastpath_routes_changed(NULL);
	fastpath_describe(fp, desc, sizeof(desc));
	ok(strstr(desc, "\nroutes cache_ms=0 changes=2\n") != NULL,
	   "describe: two routing changes passed on to the program");
}

/* Veth B comes, gets the relay address, loses it, goes down and up. */
static void test_relay_iface(struct ifwatch *w, struct fastpath *fp, uint32_t prog)
{
	char desc[1024];
	int seen, n;

	n = change(w, fp, "ip link add iwb0 type veth peer name iwb1 && ip link set iwb0 up && "
		   "ip link set iwb1 up", &seen);
	ok(seen >= 1, "veth B created: change reported (%d batches)", seen);
	ok(n == 0 && bare("iwb0"), "B without a listen or relay address: not attached (%d)", n);

	n = change(w, fp, "ip addr add " RELAY4 "/24 dev iwb0", &seen);
	ok(seen >= 1, "relay address added to B: change reported");
	is_int(n, 1, "refresh: one change");
	ok(ours("iwb0", prog), "B: our program attached (prog %u), link pinned", prog_on("iwb0"));
	is_int(log_count("xdp attached iface=iwb0 mode="), 1, "one line: xdp attached iface=iwb0");
	ok(ours("iwa0", prog), "A untouched");
	fastpath_describe(fp, desc, sizeof(desc));
	ok(strstr(desc, "iface=iwa0 mode=") && strstr(desc, "iface=iwb0 mode=") &&
	   !strstr(desc, "mode=off"), "describe lists A and B attached");

	n = change(w, fp, "ip addr del " RELAY4 "/24 dev iwb0", &seen);
	ok(seen >= 1, "relay address deleted from B: change reported");
	is_int(n, 1, "refresh: one change");
	ok(bare("iwb0"), "B: detached, pin removed");
	is_int(log_count("xdp detached iface=iwb0 reason="), 1,
	       "one line: xdp detached iface=iwb0");
	ok(ours("iwa0", prog), "A untouched");

	n = change(w, fp, "ip addr add " RELAY4 "/24 dev iwb0", &seen);
	ok(n == 1 && ours("iwb0", prog), "address back: B attached again");
	n = change(w, fp, "ip link set iwb0 down", &seen);
	ok(seen >= 1 && n == 1 && bare("iwb0"), "B down: change reported, detached");
	n = change(w, fp, "ip link set iwb0 up", &seen);
	ok(seen >= 1 && n == 1 && ours("iwb0", prog), "B up again: gets its program back");
	n = change(w, fp, "ip link set iwb0 down && ip link set iwb0 name iwd0 && "
		   "ip link set iwd0 up", &seen);
	ok(n == 2 && bare("iwb0") && ours("iwd0", prog) && !link_pinned("iwb0"),
	   "B renamed iwd0: old name detached and unpinned, new name attached (%d)", n);
	n = change(w, fp, "ip link set iwd0 down && ip link set iwd0 name iwb0 && "
		   "ip link set iwb0 up", &seen);
	ok(n == 2 && ours("iwb0", prog) && !link_pinned("iwd0"), "and renamed back (%d)", n);
}

/* Someone detaches B's link behind our back: the refresh puts the program back. */
static void test_defunct(struct fastpath *fp, uint32_t prog)
{
	char path[256];
	int fd, n;

	snprintf(path, sizeof(path), "%s/link_iwb0", g_ns.pin_path);
	fd = bpf_obj_get(path);
	ok(fd >= 0 && !bpf_link_detach(fd) && !prog_on("iwb0"), "B's link detached from outside");
	if (fd >= 0)
		close(fd);
	capture_start();
	n = fastpath_refresh_ifaces(fp);
	capture_log_end();
	is_int(n, 2, "refresh: detached (defunct link) and attached again");
	ok(ours("iwb0", prog), "B has our program again, pinned");
	ok(log_count("xdp detached iface=iwb0 reason=\"link no longer attached\"") == 1 &&
	   log_count("xdp attached iface=iwb0") == 1, "one line for each");
}

/*
 * 200 address changes while nobody reads, into a receive buffer shrunk to its minimum:
 * the socket overruns (ENOBUFS), which counts as a change; the watch works on afterwards.
 */
static void test_burst(struct ifwatch *w, struct fastpath *fp, uint32_t prog)
{
	char batch[] = "/tmp/test_ifwatch_batch.XXXXXX";
	struct pollfd p = { .fd = ifwatch_fd(w), .events = POLLIN };
	char cmd[128];
	int fd, tiny = 1, seen, n, reads = 0;
	uint64_t t0;
	FILE *f;

	fd = mkstemp(batch);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!ok(f != NULL, "burst: batch file"))
		return;
	/* Ends as it began: the relay address on B. */
	for (int i = 0; i < 100; i++)
		fprintf(f, "addr del %s/24 dev iwb0\naddr add %s/24 dev iwb0\n", RELAY4, RELAY4);
	fclose(f);
	ok(!setsockopt(ifwatch_fd(w), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof(tiny)),
	   "burst: receive buffer shrunk");
	snprintf(cmd, sizeof(cmd), "ip -batch %s", batch);
	ok(!sh(cmd), "burst: 200 address changes applied");
	unlink(batch);

	log_set_level(LOG_LVL_DEBUG);
	capture_start();
	t0 = mono_ms();
	seen = nchanged;
	while (reads < 1000 && poll(&p, 1, QUIET_MS) > 0) {
		ifwatch_read(w);
		reads++;
	}
	seen = nchanged - seen;
	capture_log_end();
	log_set_level(LOG_LVL_INFO);
	ok(reads < 1000 && mono_ms() - t0 < SETTLE_MAX_MS, "burst: drained in %d reads, %llu ms",
	   reads, (unsigned long long)(mono_ms() - t0));
	ok(seen >= 1 && seen <= reads, "burst: reported as %d change(s), at most one per read",
	   seen);
	ok(log_count("notifications lost") >= 1, "burst: the overrun was seen and counted");

	capture_start();
	n = fastpath_refresh_ifaces(fp);
	capture_log_end();
	ok(n == 0 && ours("iwb0", prog) && ours("iwa0", prog),
	   "burst: refresh finds the end state (A and B attached): no change (%d)", n);
	n = change(w, fp, "ip addr add 198.18.8.9/32 dev iwb1", &seen);
	ok(seen >= 1 && n == 0, "after the burst a single change is still reported");
	is_int(settle(w, QUIET_MS), 0, "and then quiet again");
}

/* Veth A deleted: its link is dropped without an error. */
static void test_delete_a(struct ifwatch *w, struct fastpath *fp, uint32_t prog)
{
	int seen, n;

	n = change(w, fp, "ip link del iwa0", &seen);
	ok(seen >= 1, "veth A deleted: change reported");
	is_int(n, 1, "refresh: A dropped, no error");
	ok(!link_pinned("iwa0"), "A's link unpinned");
	is_int(log_count("xdp detached iface=iwa0 reason=\"interface gone\""), 1,
	       "one line: xdp detached iface=iwa0 reason=\"interface gone\"");
	ok(ours("iwb0", prog), "B untouched");
	is_int(fastpath_refresh_ifaces(fp), 0, "refresh again: no change");
}

/*
 * Configured names: iwc0 missing at start, then created, replaced by another iwc0 (a new
 * ifindex: the old link is defunct), then deleted.
 */
static void test_configured(struct ifwatch *w, const struct relay_cfg *r,
			    const sockaddr_u *listen, uint32_t *prog)
{
	char *names[] = { "iwb0", "iwc0", "iwb0" };
	struct xdp_cfg x = { .mode = XDP_MODE_GENERIC, .ifaces = names, .nifaces = 3,
			     .pin_path = g_ns.pin_path };
	struct fastpath *fp;
	int seen, n;

	capture_start();
	fp = fastpath_new(&x, r, listen, 1);
	capture_log_end();
	*prog = prog_on("iwb0");
	ok(fp && ours("iwb0", *prog) && !link_pinned("iwc0"),
	   "configured iwb0, iwc0 (missing): iwb0 attached");
	if (!fp)
		return;
	settle(w, QUIET_MS);
	n = change(w, fp, "ip link add iwc0 type veth peer name iwc1 && ip link set iwc0 up",
		   &seen);
	ok(seen >= 1 && n == 1 && ours("iwc0", *prog), "iwc0 created: attached (%d)", n);
	n = change(w, fp, "ip link del iwc0 && ip link add iwc0 type veth peer name iwc1 && "
		   "ip link set iwc0 up",
		   &seen);
	is_int(n, 2, "iwc0 replaced by another iwc0: detached and attached");
	ok(ours("iwc0", *prog), "the new iwc0 has our program");
	ok(log_count("reason=\"interface replaced by another of the same name\"") == 1,
	   "logged as replaced");
	n = change(w, fp, "ip link set iwc0 down", &seen);
	ok(seen >= 1 && n == 0 && ours("iwc0", *prog),
	   "configured and down: keeps its program (XDP outlives down)");
	n = change(w, fp, "ip link del iwc0", &seen);
	ok(n == 1 && bare("iwc0") && log_count("reason=\"interface gone\"") == 1,
	   "iwc0 deleted: detached, unpinned, logged as gone");
	is_int(log_count("\n"), 1, "in one line");
	capture_start();
	n = fastpath_refresh_ifaces(fp);
	capture_log_end();
	ok(n == 0 && !logbuf[0], "refresh again: no change, nothing logged (%d)", n);
	ok(ours("iwb0", *prog), "iwb0 untouched throughout");
	fastpath_free(fp);
}

int main(void)
{
	struct relay_cfg r = { .naddr = 1, .port_min = 49152, .port_max = 65535 };
	struct ifwatch *w;
	struct fastpath *fp;
	sockaddr_u listen;
	uint32_t prog = 0;
	int err, probe;

	test_parse();
	ifwatch_free(NULL);
	if (geteuid() != 0) {
		printf("# SKIP the namespace tests: need root (CAP_BPF, CAP_SYS_ADMIN)\n");
		return done_testing();
	}
	err = netns_setup(&g_ns, "test_ifwatch", net_cmds, sizeof(net_cmds) / sizeof(net_cmds[0]));
	probe = bpf_map_create(BPF_MAP_TYPE_ARRAY, "probe", 4, 4, 1, NULL);
	if (err == -EPERM || probe == -EPERM) {
		printf("# SKIP the namespace tests: need CAP_BPF and CAP_SYS_ADMIN "
		       "(namespaces: %s, bpf: %s)\n", strerror(-err),
		       probe < 0 ? strerror(-probe) : "ok");
		netns_teardown(&g_ns);
		return done_testing();
	}
	close(probe);
	if (!ok(!err, "network and mount namespaces, veth A, private bpffs (%s)",
		strerror(-err))) {
		netns_teardown(&g_ns);
		return done_testing();
	}
	log_set_level(LOG_LVL_INFO);
	r.addr[0] = sa(RELAY4, 0);
	listen = sa(LISTENER, 3478);
	w = ifwatch_new(changed, &nchanged);
	ok(w && ifwatch_fd(w) >= 0, "ifwatch_new: a socket to poll");
	if (!w)
		goto out;
	fp = start(w, &r, &listen, &prog);
	if (fp) {
		test_relay_iface(w, fp, prog);
		test_routes(w, fp);
		test_defunct(fp, prog);
		test_burst(w, fp, prog);
		test_delete_a(w, fp, prog);
		is_int(unsettled, 0, "a refresh's own notifications always die down (%d stirred)",
		       stirred);
		fastpath_free(fp);
	}
	test_configured(w, &r, &listen, &prog);
	ifwatch_free(w);
out:
	fastpath_detach_all(g_ns.pin_path);
	netns_teardown(&g_ns);
	return done_testing();
}
