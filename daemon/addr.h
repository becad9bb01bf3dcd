/* addr.h - transport addresses: parse, format, compare, CIDR match (no I/O). */
#ifndef TURND_ADDR_H
#define TURND_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* One IPv4 or IPv6 transport address; `sa.sa_family` says which. */
typedef union {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
} sockaddr_u;

/* Longest output of addr_format(): "[v6%scope]:port" plus NUL. */
#define ADDR_STRLEN 64

/* A CIDR prefix: family AF_INET or AF_INET6, address bytes, prefix length. */
struct cidr {
	int family;
	uint8_t bytes[16];
	int prefix;
};

/*
 * Parse "1.2.3.4:5", "[::1]:5", "1.2.3.4" or "::1" (the last two take
 * default_port). Returns 0, or -EINVAL for anything else.
 */
int addr_parse(const char *s, uint16_t default_port, sockaddr_u *out);
/* Parse a bare IP (no port). Returns 0 or -EINVAL. */
int addr_parse_ip(const char *s, sockaddr_u *out);
/* Format as "1.2.3.4:5" or "[::1]:5" into buf (ADDR_STRLEN bytes); returns buf. */
const char *addr_format(const sockaddr_u *a, char *buf, size_t len);
/* Format the IP only. */
const char *addr_format_ip(const sockaddr_u *a, char *buf, size_t len);
socklen_t addr_len(const sockaddr_u *a);
uint16_t addr_port(const sockaddr_u *a);
void addr_set_port(sockaddr_u *a, uint16_t port);
/* Same family, IP and port. */
bool addr_equal(const sockaddr_u *a, const sockaddr_u *b);
/* Same family and IP, any port. */
bool addr_equal_ip(const sockaddr_u *a, const sockaddr_u *b);
/* A hash of family, IP and port, for hash tables. */
uint32_t addr_hash(const sockaddr_u *a, uint32_t seed);
/* An IPv4-mapped IPv6 address is turned into plain IPv4 in place. */
void addr_unmap_v4(sockaddr_u *a);
/* Wildcard address (0.0.0.0 or ::)? */
bool addr_is_any(const sockaddr_u *a);

/* Parse "10.0.0.0/8", "fe80::/10" or a bare address (full prefix). 0 or -EINVAL. */
int cidr_parse(const char *s, struct cidr *out);
bool cidr_match(const struct cidr *c, const sockaddr_u *a);

#endif
