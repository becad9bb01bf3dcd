/* policy.c - which peer addresses a client may relay to: allow, deny, built-in refused ranges. */
#include "policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define V4(a, b, c, d, len) { AF_INET, { a, b, c, d }, len }
#define V6(len, ...) { AF_INET6, { __VA_ARGS__ }, len }

/* Refused unless allowed: ranges that reach the relay host or its private networks. */
static const struct cidr builtin_refused[] = {
	V4(0, 0, 0, 0, 8),		/* "this network", incl. 0.0.0.0 */
	V4(10, 0, 0, 0, 8),		/* RFC 1918 */
	V4(100, 64, 0, 0, 10),		/* RFC 6598 shared address space (CGN) */
	V4(127, 0, 0, 0, 8),		/* loopback */
	V4(169, 254, 0, 0, 16),		/* link-local */
	V4(172, 16, 0, 0, 12),		/* RFC 1918 */
	V4(192, 168, 0, 0, 16),		/* RFC 1918 */
	V4(224, 0, 0, 0, 4),		/* multicast */
	V4(240, 0, 0, 0, 4),		/* reserved, incl. broadcast 255.255.255.255 */
	V6(128, 0),			/* :: unspecified */
	V6(128, [15] = 1),		/* ::1 loopback */
	V6(7, 0xfc),			/* fc00::/7 unique local */
	V6(10, 0xfe, 0x80),		/* fe80::/10 link-local */
	V6(8, 0xff),			/* ff00::/8 multicast */
};

static bool match_any(const struct cidr *v, size_t n, const sockaddr_u *a, const sockaddr_u *u)
{
	for (size_t i = 0; i < n; i++)
		if (cidr_match(&v[i], a) || cidr_match(&v[i], u))
			return true;
	return false;
}

/*
 * An IPv4-mapped IPv6 peer (::ffff:a.b.c.d) is judged as a.b.c.d as well as in its own
 * form, so that neither the built-in ranges nor an operator's IPv4 rules can be dodged.
 */
bool peer_allowed(const struct peer_policy *p, const sockaddr_u *peer)
{
	sockaddr_u u = *peer;

	if (peer->sa.sa_family != AF_INET && peer->sa.sa_family != AF_INET6)
		return false;
	addr_unmap_v4(&u);
	if (p && match_any(p->allow, p->nallow, peer, &u))
		return true;
	if (p && match_any(p->deny, p->ndeny, peer, &u))
		return false;
	return !match_any(builtin_refused,
			  sizeof(builtin_refused) / sizeof(builtin_refused[0]), peer, &u);
}

int peer_policy_add(struct peer_policy *p, bool is_allow, const char *cidr)
{
	struct cidr c, **v = is_allow ? &p->allow : &p->deny;
	size_t *n = is_allow ? &p->nallow : &p->ndeny;
	struct cidr *grown;

	if (!cidr || cidr_parse(cidr, &c))
		return -EINVAL;
	grown = realloc(*v, (*n + 1) * sizeof(**v));
	if (!grown)
		return -ENOMEM;
	grown[*n] = c;
	*v = grown;
	(*n)++;
	return 0;
}

void peer_policy_free(struct peer_policy *p)
{
	free(p->allow);
	free(p->deny);
	memset(p, 0, sizeof(*p));
}
