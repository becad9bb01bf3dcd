/* test_policy.c - policy.c: built-in refused ranges at their edges, allow/deny, hostile CIDRs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "tap.h"

struct peer_case {
	const char *addr;
	bool allowed;
};

/* The default policy (no allow, no deny). */
static const struct peer_case default_cases[] = {
	{ "0.0.0.0", false },
	{ "0.255.255.255", false },
	{ "1.0.0.0", true },
	{ "9.255.255.255", true },
	{ "10.0.0.0", false },
	{ "10.255.255.255", false },
	{ "11.0.0.0", true },
	{ "100.63.255.255", true },
	{ "100.64.0.0", false },
	{ "100.127.255.255", false },
	{ "100.128.0.0", true },
	{ "126.255.255.255", true },
	{ "127.0.0.0", false },
	{ "127.0.0.1", false },
	{ "127.255.255.255", false },
	{ "128.0.0.0", true },
	{ "169.253.255.255", true },
	{ "169.254.0.0", false },
	{ "169.254.169.254", false },
	{ "169.254.255.255", false },
	{ "169.255.0.0", true },
	{ "172.15.255.255", true },
	{ "172.16.0.0", false },
	{ "172.31.255.255", false },
	{ "172.32.0.0", true },
	{ "192.167.255.255", true },
	{ "192.168.0.0", false },
	{ "192.168.1.1", false },
	{ "192.168.255.255", false },
	{ "192.169.0.0", true },
	{ "198.18.0.1", true },
	{ "8.8.8.8", true },
	{ "223.255.255.255", true },
	{ "224.0.0.0", false },
	{ "224.0.0.1", false },
	{ "239.255.255.255", false },
	{ "240.0.0.0", false },
	{ "255.255.255.254", false },
	{ "255.255.255.255", false },
	{ "::", false },
	{ "::1", false },
	{ "::2", true },
	{ "fbff:ffff::1", true },
	{ "fc00::", false },
	{ "fc00::1", false },
	{ "fd00::1", false },
	{ "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false },
	{ "fe00::1", true },
	{ "fe7f:ffff::1", true },
	{ "fe80::", false },
	{ "fe80::1", false },
	{ "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false },
	{ "fec0::1", true },
	{ "feff::1", true },
	{ "ff00::", false },
	{ "ff02::1", false },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false },
	{ "2001:db8::1", true },
	{ "2a00:1450::1", true },
	{ "::ffff:10.1.1.1", false },
	{ "::ffff:127.0.0.1", false },
	{ "::ffff:0.0.0.0", false },
	{ "::ffff:169.254.169.254", false },
	{ "::ffff:172.16.0.1", false },
	{ "::ffff:192.168.0.1", false },
	{ "::ffff:100.64.0.1", false },
	{ "::ffff:224.0.0.1", false },
	{ "::ffff:255.255.255.255", false },
	{ "::ffff:8.8.8.8", true },
	{ "::ffff:198.18.0.1", true },
};

static bool judge(const struct peer_policy *p, const char *s, int *err)
{
	sockaddr_u a;

	*err = addr_parse(s, 3478, &a);
	return !*err && peer_allowed(p, &a);
}

static void run_table(const struct peer_policy *p, const char *label, const struct peer_case *c,
		      size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int err;
		bool got = judge(p, c[i].addr, &err);

		if (err) {
			ok(0, "%s: %s parses", label, c[i].addr);
			continue;
		}
		is_int(got, c[i].allowed, "%s: %s %s", label, c[i].addr,
		       c[i].allowed ? "allowed" : "refused");
	}
}

static void test_default(void)
{
	struct peer_policy p = { 0 };
	sockaddr_u a;

	run_table(&p, "default", default_cases, sizeof(default_cases) / sizeof(default_cases[0]));
	run_table(NULL, "NULL policy", default_cases, 3);
	memset(&a, 0, sizeof(a));
	a.sa.sa_family = AF_UNIX;
	ok(!peer_allowed(&p, &a), "unknown address family refused");
}

static const struct peer_case override_cases[] = {
	{ "127.0.0.1", true },		/* allow 127.0.0.0/8 beats the built-in */
	{ "::ffff:127.0.0.1", true },	/* and covers the mapped form */
	{ "127.255.255.255", true },
	{ "198.18.0.1", false },	/* deny 198.18.0.0/15 */
	{ "198.19.255.255", false },
	{ "198.20.0.0", true },
	{ "::ffff:198.18.0.1", false },	/* deny covers the mapped form */
	{ "198.18.7.7", true },		/* allow 198.18.7.0/24 beats deny 198.18.0.0/15 */
	{ "10.0.0.1", false },		/* other built-ins unchanged */
	{ "2001:db8::1", false },	/* deny 2001:db8::/32 */
	{ "2001:db9::1", true },
	{ "fd00::5", true },		/* allow fd00::5 (a single v6 address) */
	{ "fd00::6", false },
	{ "8.8.8.8", true },
};

static void test_overrides(void)
{
	struct peer_policy p = { 0 };

	is_int(peer_policy_add(&p, true, "127.0.0.0/8"), 0, "allow 127.0.0.0/8");
	is_int(peer_policy_add(&p, false, "198.18.0.0/15"), 0, "deny 198.18.0.0/15");
	is_int(peer_policy_add(&p, false, "198.18.7.0/24"), 0, "deny 198.18.7.0/24 too");
	is_int(peer_policy_add(&p, true, "198.18.7.0/24"), 0, "allow 198.18.7.0/24");
	is_int(peer_policy_add(&p, false, "2001:db8::/32"), 0, "deny 2001:db8::/32");
	is_int(peer_policy_add(&p, true, "fd00::5"), 0, "allow fd00::5");
	ok(p.nallow == 3 && p.ndeny == 3, "3 allow, 3 deny entries");
	run_table(&p, "overrides", override_cases,
		  sizeof(override_cases) / sizeof(override_cases[0]));
	peer_policy_free(&p);
	ok(!p.allow && !p.deny && !p.nallow && !p.ndeny, "free empties the policy");

	/* A deny written in IPv6 mapped form refuses every mapped peer, but not plain IPv4. */
	is_int(peer_policy_add(&p, false, "::ffff:0:0/96"), 0, "deny ::ffff:0:0/96");
	is_int(judge(&p, "::ffff:8.8.8.8", &(int){ 0 }), false, "mapped 8.8.8.8 refused");
	is_int(judge(&p, "8.8.8.8", &(int){ 0 }), true, "plain 8.8.8.8 allowed");
	peer_policy_free(&p);

	/* allow 0.0.0.0/0 opens all of IPv4 (an operator's explicit choice), not IPv6. */
	is_int(peer_policy_add(&p, true, "0.0.0.0/0"), 0, "allow 0.0.0.0/0");
	is_int(judge(&p, "10.0.0.1", &(int){ 0 }), true, "10.0.0.1 allowed");
	is_int(judge(&p, "::ffff:127.0.0.1", &(int){ 0 }), true, "mapped loopback allowed");
	is_int(judge(&p, "::1", &(int){ 0 }), false, "::1 still refused");
	peer_policy_free(&p);
	peer_policy_free(&p);
	ok(1, "double free of an empty policy is harmless");
}

static const char *const hostile[] = {
	"", "/", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/+8",
	"10.0.0.0/ 8", "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0.0/8\n", "10.0.0.0/8x",
	"10.0.0.0//8", "10.0.0.0/8/8", "10.0.0/8", "10.0.0.0.0/8", "256.0.0.0/8",
	"[::1]/128", "::1]/128", "10.0.0.0:5/8", "10.0.0.0/0x8", "10.0.0.0/4294967304",
	"10.0.0.0/99999999999999999999999999", "localhost", "fe80::1%eth0/64",
	"\xff\xfe/8", "10.0.0.0\t/8",
};

static void test_hostile(void)
{
	struct peer_policy p = { 0 };
	size_t n = sizeof(hostile) / sizeof(hostile[0]);
	int refused = 0;
	char *big;

	for (size_t i = 0; i < n; i++) {
		int r1 = peer_policy_add(&p, true, hostile[i]);
		int r2 = peer_policy_add(&p, false, hostile[i]);

		if (r1 == -EINVAL && r2 == -EINVAL)
			refused++;
		else
			diag("hostile CIDR #%zu accepted (%d, %d)", i, r1, r2);
	}
	is_int(refused, n, "all %zu hostile CIDR strings refused with -EINVAL", n);
	is_int(peer_policy_add(&p, true, NULL), -EINVAL, "NULL CIDR refused");
	big = malloc(65537);
	memset(big, '1', 65536);
	big[65536] = 0;
	is_int(peer_policy_add(&p, false, big), -EINVAL, "64 KiB of digits refused");
	memcpy(big, "10.0.0.0/", 9);
	is_int(peer_policy_add(&p, false, big), -EINVAL, "64 KiB prefix length refused");
	free(big);
	ok(!p.nallow && !p.ndeny && !p.allow && !p.deny, "nothing was added");
	is_int(judge(&p, "127.0.0.1", &(int){ 0 }), false, "policy still refuses 127.0.0.1");
	peer_policy_free(&p);
}

int main(void)
{
	test_default();
	test_overrides();
	test_hostile();
	return done_testing();
}
