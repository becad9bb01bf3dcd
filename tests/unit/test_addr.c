/* test_addr.c - addr.c: parse, format, compare, hash, unmap and CIDR, with hostile strings. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

/* The input made printable for a TAP line (control and high bytes as \xNN). */
static const char *esc(const char *s)
{
	static char buf[256];
	size_t o = 0;

	for (; *s && o + 5 < sizeof(buf); s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c >= 0x7f || c == '#')
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o] = 0;
	return buf;
}

struct parse_case {
	const char *in;
	int ret;
	const char *formatted;	/* addr_format() of the result when ret == 0 */
};

static const struct parse_case parse_cases[] = {
	{ "1.2.3.4:5", 0, "1.2.3.4:5" },
	{ "1.2.3.4", 0, "1.2.3.4:3478" },
	{ "0.0.0.0:0", 0, "0.0.0.0:0" },
	{ "255.255.255.255:65535", 0, "255.255.255.255:65535" },
	{ "[::1]:5", 0, "[::1]:5" },
	{ "::1", 0, "[::1]:3478" },
	{ "[::]:0", 0, "[::]:0" },
	{ "[2001:db8::1]:443", 0, "[2001:db8::1]:443" },
	{ "2001:DB8:0:0:0:0:0:1", 0, "[2001:db8::1]:3478" },
	{ "[::ffff:1.2.3.4]:9", 0, "[::ffff:1.2.3.4]:9" },
	{ "1.2.3.4:0005", 0, "1.2.3.4:5" },
	{ "1.2.3.4:", -EINVAL, NULL },
	{ "1.2.3.4:65536", -EINVAL, NULL },
	{ "1.2.3.4:99999999999999999999999", -EINVAL, NULL },
	{ "1.2.3.4:-1", -EINVAL, NULL },
	{ "1.2.3.4:+5", -EINVAL, NULL },
	{ "1.2.3.4: 5", -EINVAL, NULL },
	{ "1.2.3.4:\t5", -EINVAL, NULL },
	{ "1.2.3.4:5 ", -EINVAL, NULL },
	{ "1.2.3.4:5\n", -EINVAL, NULL },
	{ "1.2.3.4:0x10", -EINVAL, NULL },
	{ "1.2.3.4:5:6", -EINVAL, NULL },
	{ " 1.2.3.4:5", -EINVAL, NULL },
	{ "1.2.3.4 :5", -EINVAL, NULL },
	{ "1.2.3:5", -EINVAL, NULL },
	{ "1.2.3.256:5", -EINVAL, NULL },
	{ "01.2.3.4:5", -EINVAL, NULL },
	{ "1.2.3.4.5", -EINVAL, NULL },
	{ "[1.2.3.4]:5", -EINVAL, NULL },
	{ "[::1", -EINVAL, NULL },
	{ "[::1]x", -EINVAL, NULL },
	{ "[::1]:", -EINVAL, NULL },
	{ "[::1]:65536", -EINVAL, NULL },
	{ "[::1]]:5", -EINVAL, NULL },
	{ "[[::1]]:5", -EINVAL, NULL },
	{ "[]:5", -EINVAL, NULL },
	{ "[]", -EINVAL, NULL },
	{ "[", -EINVAL, NULL },
	{ "]", -EINVAL, NULL },
	{ "::1]:3", -EINVAL, NULL },
	{ "[fe80::1%eth0]:5", -EINVAL, NULL },
	{ ":5", -EINVAL, NULL },
	{ ":", -EINVAL, NULL },
	{ "", -EINVAL, NULL },
	{ "localhost:5", -EINVAL, NULL },
	{ "1.2.3.4\xff:5", -EINVAL, NULL },
	{ "\xff\xfe", -EINVAL, NULL },
	{ ":::", -EINVAL, NULL },
	{ "1::2::3", -EINVAL, NULL },
};

static void test_parse_table(void)
{
	char buf[ADDR_STRLEN];
	sockaddr_u a;

	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		int r = addr_parse(c->in, 3478, &a);

		is_int(r, c->ret, "addr_parse(\"%s\") returns %d", esc(c->in), c->ret);
		if (c->ret == 0 && r == 0)
			ok(!strcmp(addr_format(&a, buf, sizeof(buf)), c->formatted),
			   "\"%s\" formats as %s (got %s)", esc(c->in), c->formatted, buf);
	}
	is_int(addr_parse(NULL, 1, &a), -EINVAL, "addr_parse(NULL) refused");
}

/* Strings far longer than any address, with and without brackets and ports. */
static void test_parse_long(void)
{
	size_t n = 100000;
	char *s = malloc(n + 1);
	sockaddr_u a;
	struct cidr c;

	memset(s, '1', n);
	s[n] = 0;
	is_int(addr_parse(s, 1, &a), -EINVAL, "100000 digits refused");
	is_int(addr_parse_ip(s, &a), -EINVAL, "100000 digits refused as IP");
	is_int(cidr_parse(s, &c), -EINVAL, "100000 digits refused as CIDR");
	memcpy(s, "1.2.3.4:", 8);
	is_int(addr_parse(s, 1, &a), -EINVAL, "v4 with a 99992-digit port refused");
	memcpy(s, "10.0.0.0/", 9);
	is_int(cidr_parse(s, &c), -EINVAL, "v4 with a 99991-digit prefix refused");
	memset(s, ':', n);
	is_int(addr_parse(s, 1, &a), -EINVAL, "100000 colons refused");
	s[0] = '[';
	s[n - 1] = ']';
	is_int(addr_parse(s, 1, &a), -EINVAL, "bracketed 99998 colons refused");
	/* 45 chars: the longest IPv6 text form, exactly what the host buffer is sized for. */
	ok(addr_parse("[0000:0000:0000:0000:0000:ffff:255.255.255.255]:1", 2, &a) == 0 &&
		   addr_port(&a) == 1,
	   "longest IPv6 form in brackets parses");
	is_int(addr_parse("[00000:0000:0000:0000:0000:ffff:255.255.255.255]:1", 2, &a), -EINVAL,
	       "one char longer refused");
	free(s);
}

static void test_parse_ip(void)
{
	sockaddr_u a;
	char buf[ADDR_STRLEN];

	ok(addr_parse_ip("10.1.2.3", &a) == 0 && a.sa.sa_family == AF_INET &&
		   a.v4.sin_addr.s_addr == htonl(0x0a010203) && addr_port(&a) == 0,
	   "addr_parse_ip v4 gives the right bytes and port 0");
	ok(addr_parse_ip("fe80::1", &a) == 0 && a.sa.sa_family == AF_INET6 &&
		   a.v6.sin6_addr.s6_addr[0] == 0xfe && a.v6.sin6_addr.s6_addr[15] == 1,
	   "addr_parse_ip v6 gives the right bytes");
	is_int(addr_parse_ip("1.2.3.4:5", &a), -EINVAL, "addr_parse_ip refuses a port");
	is_int(addr_parse_ip("[::1]", &a), -EINVAL, "addr_parse_ip refuses brackets");
	is_int(addr_parse_ip("", &a), -EINVAL, "addr_parse_ip refuses empty");
	ok(!strcmp(addr_format_ip(&(sockaddr_u){ .sa.sa_family = AF_UNIX }, buf, sizeof(buf)), "?"),
	   "unknown family formats as ?");
	addr_parse("[2001:db8::1]:7", 0, &a);
	ok(!strcmp(addr_format_ip(&a, buf, sizeof(buf)), "2001:db8::1"), "format_ip v6");
	addr_format(&a, buf, 8);
	ok(strlen(buf) == 7, "addr_format truncates to the buffer (got \"%s\")", buf);
}

static void test_ports_len(void)
{
	sockaddr_u a;

	addr_parse("1.2.3.4:5", 0, &a);
	is_int(addr_len(&a), sizeof(struct sockaddr_in), "v4 addr_len");
	is_int(ntohs(a.v4.sin_port), 5, "port stored in network order");
	addr_set_port(&a, 65535);
	is_int(addr_port(&a), 65535, "set_port/port v4");
	addr_parse("[::1]:5", 0, &a);
	is_int(addr_len(&a), sizeof(struct sockaddr_in6), "v6 addr_len");
	addr_set_port(&a, 4242);
	is_int(ntohs(a.v6.sin6_port), 4242, "set_port v6 in network order");
}

static void test_equal_hash(void)
{
	sockaddr_u a, b, c, d;

	addr_parse("1.2.3.4:5", 0, &a);
	addr_parse("1.2.3.4:5", 0, &b);
	addr_parse("1.2.3.4:6", 0, &c);
	addr_parse("[::ffff:1.2.3.4]:5", 0, &d);
	ok(addr_equal(&a, &b), "same address and port equal");
	ok(!addr_equal(&a, &c), "different port not equal");
	ok(addr_equal_ip(&a, &c), "different port, same IP");
	ok(!addr_equal_ip(&a, &d), "v4 and its mapped v6 are different families");
	is_int(addr_hash(&a, 7), addr_hash(&b, 7), "equal addresses hash equal");
	ok(addr_hash(&a, 7) != addr_hash(&c, 7), "port changes the hash");
	ok(addr_hash(&a, 7) != addr_hash(&a, 8), "seed changes the hash");
	ok(addr_hash(&a, 7) != addr_hash(&d, 7), "family changes the hash");
	addr_parse("[2001:db8::1]:5", 0, &a);
	addr_parse("[2001:db8::1]:5", 0, &b);
	addr_parse("[2001:db8::2]:5", 0, &c);
	ok(addr_equal(&a, &b) && addr_hash(&a, 1) == addr_hash(&b, 1), "v6 equal, equal hash");
	ok(!addr_equal(&a, &c) && addr_hash(&a, 1) != addr_hash(&c, 1), "v6 last byte differs");
}

static void test_unmap_any(void)
{
	sockaddr_u a, b;

	addr_parse("[::ffff:10.1.2.3]:77", 0, &a);
	addr_unmap_v4(&a);
	addr_parse("10.1.2.3:77", 0, &b);
	ok(a.sa.sa_family == AF_INET && addr_equal(&a, &b), "mapped v6 unmapped to v4 with port");
	addr_parse("[::10.1.2.3]:77", 0, &a);
	addr_unmap_v4(&a);
	is_int(a.sa.sa_family, AF_INET6, "v4-compatible (not mapped) form left alone");
	addr_unmap_v4(&b);
	ok(b.sa.sa_family == AF_INET && b.v4.sin_addr.s_addr == htonl(0x0a010203) &&
		   addr_port(&b) == 77,
	   "v4 left alone");
	addr_parse("0.0.0.0", 0, &a);
	ok(addr_is_any(&a), "0.0.0.0 is any");
	addr_parse("::", 0, &a);
	ok(addr_is_any(&a), ":: is any");
	addr_parse("0.0.0.1", 0, &a);
	ok(!addr_is_any(&a), "0.0.0.1 is not any");
	addr_parse("::1", 0, &a);
	ok(!addr_is_any(&a), "::1 is not any");
}

struct cidr_case {
	const char *in;
	int ret;
	int family, prefix;
};

static const struct cidr_case cidr_cases[] = {
	{ "10.0.0.0/8", 0, AF_INET, 8 },
	{ "0.0.0.0/0", 0, AF_INET, 0 },
	{ "1.2.3.4", 0, AF_INET, 32 },
	{ "1.2.3.4/32", 0, AF_INET, 32 },
	{ "fe80::/10", 0, AF_INET6, 10 },
	{ "::/0", 0, AF_INET6, 0 },
	{ "::1", 0, AF_INET6, 128 },
	{ "::1/128", 0, AF_INET6, 128 },
	{ "1.2.3.4/33", -EINVAL, 0, 0 },
	{ "::/129", -EINVAL, 0, 0 },
	{ "1.2.3.4/", -EINVAL, 0, 0 },
	{ "1.2.3.4/-1", -EINVAL, 0, 0 },
	{ "1.2.3.4/+8", -EINVAL, 0, 0 },
	{ "1.2.3.4/ 8", -EINVAL, 0, 0 },
	{ "1.2.3.4/8 ", -EINVAL, 0, 0 },
	{ "1.2.3.4/8x", -EINVAL, 0, 0 },
	{ "1.2.3.4/8/8", -EINVAL, 0, 0 },
	{ "1.2.3.4//8", -EINVAL, 0, 0 },
	{ "1.2.3.4/0x8", -EINVAL, 0, 0 },
	{ "1.2.3.4/99999999999999999999999", -EINVAL, 0, 0 },
	{ "/8", -EINVAL, 0, 0 },
	{ "/", -EINVAL, 0, 0 },
	{ "", -EINVAL, 0, 0 },
	{ "1.2.3/24", -EINVAL, 0, 0 },
	{ "[::1]/128", -EINVAL, 0, 0 },
	{ "1.2.3.4:5/32", -EINVAL, 0, 0 },
	{ "\xff.2.3.4/8", -EINVAL, 0, 0 },
};

static void test_cidr_parse(void)
{
	struct cidr c;

	for (size_t i = 0; i < sizeof(cidr_cases) / sizeof(cidr_cases[0]); i++) {
		const struct cidr_case *t = &cidr_cases[i];
		int r = cidr_parse(t->in, &c);

		is_int(r, t->ret, "cidr_parse(\"%s\") returns %d", esc(t->in), t->ret);
		if (!r && !t->ret)
			ok(c.family == t->family && c.prefix == t->prefix,
			   "\"%s\": family %d prefix %d", t->in, c.family, c.prefix);
	}
	cidr_parse("192.168.1.0/24", &c);
	is_mem(c.bytes, "\xc0\xa8\x01\x00", 4, "cidr bytes in network order");
}

struct match_case {
	const char *cidr, *addr;
	bool match;
};

static const struct match_case match_cases[] = {
	{ "10.0.0.0/8", "10.0.0.0", true },
	{ "10.0.0.0/8", "10.255.255.255", true },
	{ "10.0.0.0/8", "11.0.0.0", false },
	{ "10.0.0.0/8", "9.255.255.255", false },
	{ "172.16.0.0/12", "172.31.255.255", true },
	{ "172.16.0.0/12", "172.32.0.0", false },
	{ "172.16.0.0/12", "172.15.255.255", false },
	{ "100.64.0.0/10", "100.127.255.255", true },
	{ "100.64.0.0/10", "100.128.0.0", false },
	{ "10.1.2.3/8", "10.200.0.1", true },	/* host bits in the prefix do not matter */
	{ "0.0.0.0/0", "255.255.255.255", true },
	{ "0.0.0.0/0", "::", false },		/* family must match */
	{ "1.2.3.4", "1.2.3.4", true },
	{ "1.2.3.4", "1.2.3.5", false },
	{ "1.2.3.4/31", "1.2.3.5", true },
	{ "1.2.3.4/31", "1.2.3.6", false },
	{ "fe80::/10", "febf:ffff::1", true },
	{ "fe80::/10", "fec0::1", false },
	{ "fc00::/7", "fdff::1", true },
	{ "fc00::/7", "fe00::1", false },
	{ "::/0", "2001:db8::1", true },
	{ "::/0", "1.2.3.4", false },
	{ "::1/128", "::1", true },
	{ "::1/128", "::2", false },
	{ "::ffff:0:0/96", "::ffff:10.0.0.1", true },
	{ "10.0.0.0/8", "::ffff:10.0.0.1", false },	/* no unmapping here: policy does that */
	{ "2001:db8::/127", "2001:db8::1", true },
	{ "2001:db8::/127", "2001:db8::2", false },
};

static void test_cidr_match(void)
{
	for (size_t i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		const struct match_case *t = &match_cases[i];
		struct cidr c;
		sockaddr_u a;

		if (cidr_parse(t->cidr, &c) || addr_parse_ip(t->addr, &a)) {
			ok(0, "parse %s / %s", t->cidr, t->addr);
			continue;
		}
		is_int(cidr_match(&c, &a), t->match, "%s %s %s", t->addr,
		       t->match ? "in" : "not in", t->cidr);
	}
}

int main(void)
{
	test_parse_table();
	test_parse_long();
	test_parse_ip();
	test_ports_len();
	test_equal_hash();
	test_unmap_any();
	test_cidr_parse();
	test_cidr_match();
	return done_testing();
}
