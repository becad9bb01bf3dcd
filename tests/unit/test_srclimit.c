/* test_srclimit.c - srclimit.c: exact bucket arithmetic, sources (IPv4, IPv6 /64), eviction. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "srclimit.h"
#include "tap.h"

#define SEED 0x5eed5eed12345678ull

static sockaddr_u v4(uint32_t ip)
{
	sockaddr_u a;

	memset(&a, 0, sizeof(a));
	a.v4.sin_family = AF_INET;
	a.v4.sin_addr.s_addr = htonl(ip);
	a.v4.sin_port = htons(5000);
	return a;
}

static sockaddr_u parse(const char *s)
{
	sockaddr_u a;

	if (addr_parse(s, 1, &a))
		memset(&a, 0, sizeof(a));
	return a;
}

/* How many of n requests from a at now_ms get through. */
static int takes(struct srclimit *l, const sockaddr_u *a, int n, uint64_t now_ms)
{
	int got = 0;

	for (int i = 0; i < n; i++)
		got += srclimit_take(l, a, now_ms);
	return got;
}

static void test_args(void)
{
	errno = 0;
	ok(!srclimit_new(0, 10, SEED) && errno == EINVAL, "rate 0: EINVAL");
	errno = 0;
	ok(!srclimit_new(10, 0, SEED) && errno == EINVAL, "burst 0: EINVAL");
	errno = 0;
	ok(!srclimit_new(SRCLIMIT_MAX_RATE + 1, 10, SEED) && errno == EINVAL,
	   "rate above SRCLIMIT_MAX_RATE: EINVAL");
	srclimit_free(NULL);
	ok(1, "srclimit_free(NULL) is a no-op");
}

static void test_bucket(void)
{
	struct srclimit *l = srclimit_new(10, 3, SEED);
	sockaddr_u a = v4(0xc0000201), b = v4(0xc0000202);
	uint64_t t = 1000000;
	int got = 0;

	if (!ok(l != NULL, "rate 10, burst 3: created"))
		return;
	is_int(takes(l, &a, 10, t), 3, "10 at once: the burst of 3");
	is_int(takes(l, &b, 10, t), 3, "another address has its own bucket");
	is_int(takes(l, &a, 1, t + 99), 0, "99 ms later: nothing (one request per 100 ms)");
	is_int(takes(l, &a, 5, t + 100), 1, "100 ms later: one");
	is_int(takes(l, &a, 5, t + 350), 2, "250 ms more: two");
	is_int(takes(l, &a, 5, t + 10000), 3, "after a long pause: a full burst again, no more");
	for (uint64_t ms = 0; ms < 10000; ms++)
		got += srclimit_take(l, &a, t + 20000 + ms);
	ok(got >= 100 && got <= 103, "10 s of 1000 requests a second: %d through (10/s + burst)",
	   got);
	is_int(takes(l, &a, 3, t + 40000), 3, "a full burst");
	srclimit_refund(l, &a);
	srclimit_refund(l, &a);
	is_int(takes(l, &a, 3, t + 40000), 2, "two refunded: two more");
	for (int i = 0; i < 10; i++)
		srclimit_refund(l, &a);
	is_int(takes(l, &a, 10, t + 40000), 3, "refunds never fill past the burst");
	srclimit_refund(l, &b);
	srclimit_free(l);

	l = srclimit_new(1000, 1, SEED);
	if (!ok(l != NULL, "rate 1000, burst 1: created"))
		return;
	is_int(takes(l, &a, 3, t), 1, "3 in one ms: one");
	is_int(takes(l, &a, 3, t + 1), 1, "next ms: one");
	srclimit_free(l);
}

static void test_sources(void)
{
	struct srclimit *l = srclimit_new(1, 2, SEED);
	sockaddr_u a1 = parse("[2001:db8:1:2::1]:1"), a2 = parse("[2001:db8:1:2:abcd::7]:2");
	sockaddr_u b = parse("[2001:db8:1:3::1]:1"), m4 = parse("[::ffff:192.0.2.1]:1");
	sockaddr_u p4 = parse("192.0.2.1:1"), p4b = parse("192.0.2.1:9999");
	uint64_t t = 5000;

	if (!ok(l != NULL, "rate 1, burst 2: created"))
		return;
	is_int(takes(l, &a1, 1, t) + takes(l, &a2, 5, t), 2, "two addresses of one /64 share "
	       "one bucket");
	is_int(takes(l, &b, 5, t), 2, "the next /64 has its own");
	is_int(takes(l, &p4, 1, t) + takes(l, &p4b, 5, t), 2, "IPv4: the port does not matter");
	is_int(takes(l, &m4, 5, t), 2, "an IPv6 address is never the IPv4 one");
	srclimit_free(l);
}

/*
 * The table is fixed: a flood of fresh sources takes the slots of the fullest buckets, so a
 * source being limited stays limited, and sources pushed out come back with a full bucket.
 */
static void test_eviction(void)
{
	struct srclimit *l = srclimit_new(1, 5, SEED);
	sockaddr_u victim = v4(0xc6336401);
	int back = 0, last_back = 0;
	uint64_t t = 1000;

	if (!ok(l != NULL, "rate 1, burst 5: created"))
		return;
	is_int(takes(l, &victim, 10, t), 5, "the victim's burst");
	for (uint32_t i = 0; i < 1000000; i++) {
		sockaddr_u a = v4(0x0a000000u + i);

		srclimit_take(l, &a, t);
	}
	is_int(takes(l, &victim, 1, t), 0, "after 1,000,000 other sources: still limited");
	for (uint32_t i = 0; i < 200000; i++) {
		sockaddr_u a = v4(0x0b000000u + i);

		takes(l, &a, 10, t);
	}
	for (uint32_t i = 0; i < 1000; i++) {
		sockaddr_u a = v4(0x0b000000u + 199000 + i), b = v4(0x0b000000u + i);

		last_back += srclimit_take(l, &a, t);
		back += srclimit_take(l, &b, t);
	}
	ok(last_back < 100, "200,000 sources limited at once, 16384 slots: the last 1000 are "
	   "remembered (%d of them start again)", last_back);
	ok(back > 990, "... the first 1000 were pushed out and start again with a full bucket "
	   "(%d)", back);
	srclimit_free(l);
}

int main(void)
{
	test_args();
	test_bucket();
	test_sources();
	test_eviction();
	return done_testing();
}
