/* policy.h - which peer addresses a client may relay to (the CVE-2020-26262 class). No I/O. */
#ifndef TURND_POLICY_H
#define TURND_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

/*
 * Decision order: an address in `allow` is permitted; else one in `deny` is refused;
 * else one in the built-in refused ranges (loopback, RFC 1918, link-local, multicast,
 * unspecified, 0.0.0.0/8, 100.64.0.0/10 shared, 240.0.0.0/4 reserved incl. broadcast
 * 255.255.255.255, and IPv6 ::1, ::, fc00::/7, fe80::/10, ff00::/8, IPv4-mapped forms of
 * the IPv4 ranges) is refused; else permitted. An IPv4-mapped peer matches allow and deny
 * entries in either form (::ffff:10.0.0.1 matches 10.0.0.0/8 and ::ffff:0:0/96).
 */
struct peer_policy {
	struct cidr *allow;
	size_t nallow;
	struct cidr *deny;
	size_t ndeny;
};

bool peer_allowed(const struct peer_policy *p, const sockaddr_u *peer);
/* Add one CIDR string to allow (is_allow) or deny. 0, -EINVAL, -ENOMEM. */
int peer_policy_add(struct peer_policy *p, bool is_allow, const char *cidr);
void peer_policy_free(struct peer_policy *p);

#endif
