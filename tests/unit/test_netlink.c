/* test_netlink.c - netlink.c: default-route source addresses, in throwaway network namespaces. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "netlink.h"
#include "tap.h"

/*
 * An interface that only holds addresses: a veth whose peer is up. (A dummy interface
 * would do, but not every kernel has the dummy driver; this one does not.)
 */
#define LINK(n) "ip link add " n " type veth peer name " n "p && ip link set " n "p up && " \
		"ip link set " n " up"

struct nl_case {
	const char *name;
	const char *cmds[12];	/* run in order in a fresh namespace; NULL ends */
	int ret;
	const char *v4, *v6;	/* expected addresses; NULL: none of that family */
};

static const struct nl_case cases[] = {
	{ "gateways, no src: the interface's first address",
	  { LINK("d0"), "ip addr add 198.18.5.2/24 dev d0", "ip addr add 198.18.5.3/24 dev d0",
	    /* IPv6 lists the newest address first */
	    "ip -6 addr add 2001:db8:5::3/64 dev d0 nodad",
	    "ip -6 addr add 2001:db8:5::2/64 dev d0 nodad",
	    "ip route add default via 198.18.5.1", "ip -6 route add default via 2001:db8:5::1" },
	  0, "198.18.5.2", "2001:db8:5::2" },
	{ "src on the default route wins over the interface's first address",
	  { LINK("d0"), "ip addr add 198.18.5.2/24 dev d0", "ip addr add 198.18.5.9/24 dev d0",
	    /* IPv6 lists the newest address first: ::2 would be the fallback's pick */
	    "ip -6 addr add 2001:db8:5::9/64 dev d0 nodad",
	    "ip -6 addr add 2001:db8:5::2/64 dev d0 nodad",
	    "ip route add default via 198.18.5.1 src 198.18.5.9",
	    "ip -6 route add default via 2001:db8:5::1 src 2001:db8:5::9" },
	  0, "198.18.5.9", "2001:db8:5::9" },
	{ "no default route: -ENOENT",
	  { LINK("d0"), "ip addr add 198.18.5.2/24 dev d0",
	    "ip -6 addr add 2001:db8:5::2/64 dev d0 nodad" },
	  -ENOENT, NULL, NULL },
	{ "nothing but loopback: -ENOENT", { NULL }, -ENOENT, NULL, NULL },
	{ "IPv4 only",
	  { LINK("d0"), "ip addr add 198.18.5.2/24 dev d0", "ip route add default via 198.18.5.1" },
	  0, "198.18.5.2", NULL },
	{ "IPv6 only",
	  { LINK("d0"), "ip -6 addr add 2001:db8:5::2/64 dev d0 nodad",
	    "ip -6 route add default via 2001:db8:5::1" },
	  0, NULL, "2001:db8:5::2" },
	{ "several default routes: lowest metric wins",
	  { LINK("d0"), LINK("d1"), "ip addr add 198.18.5.2/24 dev d0",
	    "ip addr add 198.18.6.2/24 dev d1", "ip -6 addr add 2001:db8:5::2/64 dev d0 nodad",
	    "ip -6 addr add 2001:db8:6::2/64 dev d1 nodad",
	    "ip route add default via 198.18.5.1 metric 200",
	    "ip route add default via 198.18.6.1 metric 100",
	    "ip -6 route add default via 2001:db8:5::1 metric 50",
	    "ip -6 route add default via 2001:db8:6::1 metric 300" },
	  0, "198.18.6.2", "2001:db8:5::2" },
	{ "skips scope-link, deprecated and tentative addresses",
	  { LINK("d0"), "echo 100000 > /proc/sys/net/ipv6/neigh/d0/retrans_time_ms",
	    "ip addr add 198.18.7.7/24 dev d0 scope link", "ip addr add 198.18.5.2/24 dev d0",
	    "ip -6 addr add 2001:db8:5::2/64 dev d0 nodad",
	    "ip -6 addr add 2001:db8:5::3/64 dev d0 nodad preferred_lft 0",
	    "ip -6 addr add 2001:db8:5::4/64 dev d0",	/* DAD for 100 s: tentative */
	    "ip route add default via 198.18.5.1", "ip -6 route add default via 2001:db8:5::1" },
	  0, "198.18.5.2", "2001:db8:5::2" },
	{ "ignores other tables and unreachable defaults",
	  { LINK("d0"), LINK("d1"), "ip addr add 198.18.5.2/24 dev d0",
	    "ip addr add 198.18.6.2/24 dev d1", "ip -6 addr add 2001:db8:5::2/64 dev d0 nodad",
	    "ip -6 addr add 2001:db8:6::2/64 dev d1 nodad",
	    "ip route add default via 198.18.5.1 metric 100 && "
	    "ip route add unreachable default metric 10 && "
	    "ip route add default via 198.18.6.1 table 100",
	    "ip -6 route add default via 2001:db8:5::1 metric 100 && "
	    "ip -6 route add unreachable default metric 10 && "
	    "ip -6 route add default via 2001:db8:6::1 table 100 metric 1" },
	  0, "198.18.5.2", "2001:db8:5::2" },
	{ "multipath (ECMP) default: the first nexthop's interface",
	  { LINK("d0"), LINK("d1"), "ip addr add 198.18.5.2/24 dev d0",
	    "ip addr add 198.18.6.2/24 dev d1", "ip -6 addr add 2001:db8:5::2/64 dev d0 nodad",
	    "ip -6 addr add 2001:db8:6::2/64 dev d1 nodad",
	    "ip route add default nexthop via 198.18.5.1 dev d0 nexthop via 198.18.6.1 dev d1",
	    "ip -6 route add default nexthop via 2001:db8:5::1 dev d0 "
	    "nexthop via 2001:db8:6::1 dev d1" },
	  0, "198.18.5.2", "2001:db8:5::2" },
	{ "default route with no global address on its interface: -ENOENT",
	  { LINK("d0"), "ip addr add 198.18.5.2/24 dev d0 scope link",
	    "ip route add default via 198.18.5.1 dev d0 onlink" },
	  -ENOENT, NULL, NULL },
};

static int run(const char *cmd)
{
	char line[512];
	int st;

	snprintf(line, sizeof(line), "(%s) >&2", cmd);
	fflush(stdout);
	st = system(line);
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		diag("setup command failed: %s", cmd);
		return -1;
	}
	return 0;
}

static bool addr_is(bool has, const sockaddr_u *a, const char *want)
{
	char buf[ADDR_STRLEN];
	sockaddr_u w;

	if (!want) {
		if (has)
			diag("got %s, want none", addr_format_ip(a, buf, sizeof(buf)));
		return !has;
	}
	if (!has) {
		diag("got none, want %s", want);
		return false;
	}
	if (addr_parse_ip(want, &w) || !addr_equal(a, &w)) {
		diag("got %s port %u, want %s port 0", addr_format_ip(a, buf, sizeof(buf)),
		     addr_port(a), want);
		return false;
	}
	return true;
}

static void run_case(const struct nl_case *t)
{
	sockaddr_u v4, v6;
	bool has4 = true, has6 = true;
	int i, ret;

	if (unshare(CLONE_NEWNET)) {
		ok(0, "%s: unshare(CLONE_NEWNET): %s", t->name, strerror(errno));
		return;
	}
	if (run("ip link set lo up")) {
		ok(0, "%s: setup", t->name);
		return;
	}
	for (i = 0; t->cmds[i]; i++)
		if (run(t->cmds[i])) {
			ok(0, "%s: setup", t->name);
			return;
		}
	memset(&v4, 0xa5, sizeof(v4));
	memset(&v6, 0xa5, sizeof(v6));
	ret = nl_default_addrs(&v4, &has4, &v6, &has6);
	is_int(ret, t->ret, "%s: returns %d", t->name, t->ret);
	ok(addr_is(has4, &v4, t->v4), "%s: IPv4 %s", t->name, t->v4 ? t->v4 : "none");
	ok(addr_is(has6, &v6, t->v6), "%s: IPv6 %s", t->name, t->v6 ? t->v6 : "none");
}

/* In the child: every case in a namespace of its own, which dies with the child. */
static int child(void)
{
	const char *path = getenv("PATH");
	char newpath[1024];

	snprintf(newpath, sizeof(newpath), "/usr/sbin:/sbin:/usr/bin:/bin%s%s", path ? ":" : "",
		 path ? path : "");
	setenv("PATH", newpath, 1);
	if (unshare(CLONE_NEWNET)) {
		printf("1..0 # SKIP cannot create a network namespace: %s\n", strerror(errno));
		return 0;
	}
	if (system("ip -V >/dev/null 2>&1")) {
		printf("1..0 # SKIP needs the ip command (iproute2)\n");
		return 0;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	return done_testing();
}

int main(void)
{
	int st;
	pid_t pid;

	if (geteuid()) {
		printf("1..0 # SKIP needs root for a network namespace\n");
		return 0;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		st = child();
		fflush(stdout);
		_exit(st);
	}
	if (waitpid(pid, &st, 0) < 0) {
		perror("waitpid");
		return 1;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
