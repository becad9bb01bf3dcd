/* ifwatch.c - rtnetlink notifications of link, address and routing changes, for the fast path. */
#include "ifwatch.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

/* Larger than any notification the kernel sends about a link, an address or a route. */
#define IFWATCH_BUFSIZE 32768

struct ifwatch {
	struct mnl_socket *nl;
	void (*changed)(void *arg, unsigned int kinds);
	void *arg;
	char buf[IFWATCH_BUFSIZE];
};

/* The groups beyond the 32-bit mask of bind(), and those without an RTMGRP_ bit. */
static const unsigned int extra_groups[] = {
	RTNLGRP_IPV6_RULE, RTNLGRP_IPV4_NETCONF, RTNLGRP_IPV6_NETCONF, RTNLGRP_NEXTHOP,
};

static int join_extra(struct mnl_socket *nl)
{
	for (size_t i = 0; i < sizeof(extra_groups) / sizeof(extra_groups[0]); i++) {
		unsigned int g = extra_groups[i];

		if (!mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)))
			continue;
		/* Nexthop objects are younger than the rest (5.3): not having them is fine. */
		if (g == RTNLGRP_NEXTHOP)
			continue;
		return -1;
	}
	return 0;
}

struct ifwatch *ifwatch_new(void (*changed)(void *arg, unsigned int kinds), void *arg)
{
	const unsigned int groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
				    RTMGRP_NEIGH | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE |
				    RTMGRP_IPV4_RULE;
	const char *call = "mnl_socket_open2";
	struct ifwatch *w;
	int err;

	w = calloc(1, sizeof(*w));
	if (!w) {
		pr_err("ifwatch: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	w->changed = changed;
	w->arg = arg;
	w->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!w->nl)
		goto fail;
	call = "mnl_socket_bind";
	if (mnl_socket_bind(w->nl, groups, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	call = "NETLINK_ADD_MEMBERSHIP";
	if (join_extra(w->nl))
		goto fail;
	return w;
fail:
	err = errno ? errno : EIO;
	pr_err("ifwatch: %s failed, link, address and routing changes go unnoticed: %s", call,
	       strerror(err));
	if (w->nl)
		mnl_socket_close(w->nl);
	free(w);
	errno = err;
	return NULL;
}

int ifwatch_fd(const struct ifwatch *w)
{
	return mnl_socket_get_fd(w->nl);
}

static unsigned int kinds_of(uint16_t type)
{
	switch (type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
	case RTM_NEWADDR:
	case RTM_DELADDR:
		return IFWATCH_LINKS | IFWATCH_ROUTES;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
	case RTM_NEWRULE:
	case RTM_DELRULE:
	case RTM_NEWNEXTHOP:
	case RTM_DELNEXTHOP:
	case RTM_NEWNETCONF:
	case RTM_DELNETCONF:
		return IFWATCH_ROUTES;
	default:
		return 0;
	}
}

/*
 * Walked by hand rather than with mnl_nlmsg_ok(), which casts nlmsg_len to int: a length of
 * 0xffffffff passes it as -1, and then mnl_nlmsg_next() steps by NLMSG_ALIGN() of it, 0.
 * Headers are copied out, so buf needs no alignment.
 */
unsigned int ifwatch_kinds(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	unsigned int kinds = 0;
	struct nlmsghdr h;
	size_t step;

	while (len >= sizeof(h)) {
		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len)
			break;	/* malformed: the rest cannot be trusted */
		kinds |= kinds_of(h.nlmsg_type);
		step = NLMSG_ALIGN((size_t)h.nlmsg_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return kinds;
}

/*
 * One datagram: the kinds of change it tells of (both when some were lost), 0 when none,
 * -EAGAIN when nothing is queued, or another -errno (logged).
 */
static int read_one(struct ifwatch *w)
{
	ssize_t n = mnl_socket_recvfrom(w->nl, w->buf, sizeof(w->buf));
	int err = errno;

	if (n >= 0)
		return (int)ifwatch_kinds(w->buf, (size_t)n);
	switch (err) {
	case EAGAIN:
	case EINTR:
		return -err;
	case ENOBUFS:	/* the socket overran: notifications were dropped */
	case ENOSPC:	/* a datagram larger than the buffer (libmnl: MSG_TRUNC) */
		pr_debug("ifwatch: notifications lost, refreshing err=\"%s\"", strerror(err));
		return IFWATCH_LINKS | IFWATCH_ROUTES;
	default:
		pr_warn("ifwatch: mnl_socket_recvfrom failed: %s", strerror(err));
		return -err;
	}
}

void ifwatch_read(struct ifwatch *w)
{
	unsigned int kinds = 0;

	for (int i = 0; i < IFWATCH_READ_MAX; i++) {
		int rc = read_one(w);

		if (rc < 0 && rc != -EINTR)
			break;
		if (rc > 0)
			kinds |= (unsigned int)rc;
	}
	if (kinds)
		w->changed(w->arg, kinds);
}

void ifwatch_free(struct ifwatch *w)
{
	if (!w)
		return;
	mnl_socket_close(w->nl);
	free(w);
}
