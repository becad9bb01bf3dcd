/* addr.c - transport addresses: parse, format, compare, CIDR match (no I/O). */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	/* strtoul() would also take leading blanks and a sign: require a digit first. */
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int addr_parse_ip(const char *s, sockaddr_u *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &out->v4.sin_addr) == 1) {
		out->v4.sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &out->v6.sin6_addr) == 1) {
		out->v6.sin6_family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

int addr_parse(const char *s, uint16_t default_port, sockaddr_u *out)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port_s = NULL;
	uint16_t port = default_port;
	size_t hlen;

	if (!s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (!rb)
			return -EINVAL;
		hlen = (size_t)(rb - s - 1);
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hlen);
		host[hlen] = 0;
		if (rb[1] == ':')
			port_s = rb + 2;
		else if (rb[1])
			return -EINVAL;
		if (addr_parse_ip(host, out) || out->sa.sa_family != AF_INET6)
			return -EINVAL;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* bare IPv6 */
		hlen = colon ? (size_t)(colon - s) : strlen(s);
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hlen);
		host[hlen] = 0;
		if (colon)
			port_s = colon + 1;
		if (addr_parse_ip(host, out))
			return -EINVAL;
	}
	if (port_s && parse_port(port_s, &port))
		return -EINVAL;
	addr_set_port(out, port);
	return 0;
}

const char *addr_format_ip(const sockaddr_u *a, char *buf, size_t len)
{
	const void *src = a->sa.sa_family == AF_INET6 ? (const void *)&a->v6.sin6_addr
						      : (const void *)&a->v4.sin_addr;

	if ((a->sa.sa_family != AF_INET && a->sa.sa_family != AF_INET6) ||
	    !inet_ntop(a->sa.sa_family, src, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *addr_format(const sockaddr_u *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	addr_format_ip(a, ip, sizeof(ip));
	if (a->sa.sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, addr_port(a));
	else
		snprintf(buf, len, "%s:%u", ip, addr_port(a));
	return buf;
}

socklen_t addr_len(const sockaddr_u *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->v6) : sizeof(a->v4);
}

uint16_t addr_port(const sockaddr_u *a)
{
	return ntohs(a->sa.sa_family == AF_INET6 ? a->v6.sin6_port : a->v4.sin_port);
}

void addr_set_port(sockaddr_u *a, uint16_t port)
{
	if (a->sa.sa_family == AF_INET6)
		a->v6.sin6_port = htons(port);
	else
		a->v4.sin_port = htons(port);
}

bool addr_equal_ip(const sockaddr_u *a, const sockaddr_u *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET6)
		return !memcmp(&a->v6.sin6_addr, &b->v6.sin6_addr, 16);
	return a->v4.sin_addr.s_addr == b->v4.sin_addr.s_addr;
}

bool addr_equal(const sockaddr_u *a, const sockaddr_u *b)
{
	return addr_equal_ip(a, b) && addr_port(a) == addr_port(b);
}

uint32_t addr_hash(const sockaddr_u *a, uint32_t seed)
{
	const uint8_t *p;
	size_t n, i;
	uint32_t h = 2166136261u ^ seed;

	if (a->sa.sa_family == AF_INET6) {
		p = a->v6.sin6_addr.s6_addr;
		n = 16;
	} else {
		p = (const uint8_t *)&a->v4.sin_addr;
		n = 4;
	}
	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	h = (h ^ (addr_port(a) & 0xff)) * 16777619u;
	h = (h ^ (addr_port(a) >> 8)) * 16777619u;
	return h ^ (h >> 15);
}

void addr_unmap_v4(sockaddr_u *a)
{
	struct in_addr in;
	uint16_t port;

	if (a->sa.sa_family != AF_INET6 || !IN6_IS_ADDR_V4MAPPED(&a->v6.sin6_addr))
		return;
	memcpy(&in, &a->v6.sin6_addr.s6_addr[12], 4);
	port = a->v6.sin6_port;
	memset(a, 0, sizeof(*a));
	a->v4.sin_family = AF_INET;
	a->v4.sin_addr = in;
	a->v4.sin_port = port;
}

bool addr_is_any(const sockaddr_u *a)
{
	if (a->sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->v6.sin6_addr);
	return a->v4.sin_addr.s_addr == htonl(INADDR_ANY);
}

int cidr_parse(const char *s, struct cidr *out)
{
	char ip[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	sockaddr_u a;
	int max;

	if (n >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, n);
	ip[n] = 0;
	if (addr_parse_ip(ip, &a))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->family = a.sa.sa_family;
	max = out->family == AF_INET6 ? 128 : 32;
	if (out->family == AF_INET6)
		memcpy(out->bytes, &a.v6.sin6_addr, 16);
	else
		memcpy(out->bytes, &a.v4.sin_addr, 4);
	out->prefix = max;
	if (slash) {
		char *end;
		long p;

		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		p = strtol(slash + 1, &end, 10);
		if (*end || p < 0 || p > max)
			return -EINVAL;
		out->prefix = (int)p;
	}
	return 0;
}

bool cidr_match(const struct cidr *c, const sockaddr_u *a)
{
	const uint8_t *p;
	int full, rem;

	if (c->family != a->sa.sa_family)
		return false;
	p = c->family == AF_INET6 ? a->v6.sin6_addr.s6_addr : (const uint8_t *)&a->v4.sin_addr;
	full = c->prefix / 8;
	rem = c->prefix % 8;
	if (memcmp(p, c->bytes, (size_t)full))
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));

		if ((p[full] & mask) != (c->bytes[full] & mask))
			return false;
	}
	return true;
}
