/* netlink.h - rtnetlink queries through libmnl: the addresses the default routes leave from. */
#ifndef TURND_NETLINK_H
#define TURND_NETLINK_H

#include <stdbool.h>

#include "addr.h"

/*
 * Find the preferred source address of the default IPv4 route and of the default IPv6
 * route (RTA_PREFSRC, else the first global address of the route's output interface).
 * Each found one is written (port 0) and its flag set. Returns 0 when at least one was
 * found, -ENOENT when neither, or -errno on a netlink failure.
 */
int nl_default_addrs(sockaddr_u *v4, bool *has_v4, sockaddr_u *v6, bool *has_v6);

#endif
