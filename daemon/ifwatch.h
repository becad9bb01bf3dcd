/* ifwatch.h - rtnetlink notifications of link, address and routing changes, for the fast path. */
#ifndef TURND_IFWATCH_H
#define TURND_IFWATCH_H

#include <stdbool.h>
#include <stddef.h>

struct ifwatch;

/* What a batch of notifications was about (the kinds passed to changed()). */
#define IFWATCH_LINKS 0x1	/* a link or an address: the interfaces may need choosing again */
#define IFWATCH_ROUTES 0x2	/* anything routing depends on: links and addresses too, and
				   routes, neighbours, rules, nexthops, netconf (forwarding) */

/*
 * A non-blocking NETLINK_ROUTE socket (libmnl) subscribed, in the current network namespace,
 * to links, IPv4 and IPv6 addresses, routes, rules and netconf, neighbours and nexthops.
 * changed(arg, kinds) is called from ifwatch_read(). NULL on failure (logged, errno set).
 * Create it before choosing the interfaces, so that no change between the choice and the
 * subscription is lost.
 */
struct ifwatch *ifwatch_new(void (*changed)(void *arg, unsigned int kinds), void *arg);

/* The socket to watch for EPOLLIN (loop_add(l, ifwatch_fd(w), EPOLLIN, ...)). */
int ifwatch_fd(const struct ifwatch *w);

/*
 * Read what is queued on the socket (at most IFWATCH_READ_MAX datagrams a call: more stay
 * for the next EPOLLIN) and call changed() once with the kinds of what arrived, if anything
 * did (see ifwatch_kinds()). Notifications lost (ENOBUFS: the socket overran, or a datagram
 * did not fit) count as both kinds: the caller then re-reads the whole state, so a lost
 * notification costs nothing but a refresh. Never blocks.
 */
void ifwatch_read(struct ifwatch *w);

#define IFWATCH_READ_MAX 256

/* Close the socket; NULL is fine. */
void ifwatch_free(struct ifwatch *w);

/*
 * The kinds of the changes one datagram (len bytes, as read from the socket) tells of:
 * RTM_{NEW,DEL}{LINK,ADDR} are IFWATCH_LINKS | IFWATCH_ROUTES; RTM_{NEW,DEL}{ROUTE,NEIGH,
 * RULE,NEXTHOP,NETCONF} are IFWATCH_ROUTES; anything else nothing. Messages are walked with
 * their length fields checked; a malformed one ends the walk (what came before it counts).
 * ifwatch_read()'s parser, exposed for tests.
 */
unsigned int ifwatch_kinds(const void *buf, size_t len);

#endif
