/* ifwatch.h - rtnetlink notifications of link and address changes, for the fast path. */
#ifndef TURND_IFWATCH_H
#define TURND_IFWATCH_H

#include <stdbool.h>
#include <stddef.h>

struct ifwatch;

/*
 * A non-blocking NETLINK_ROUTE socket (libmnl) subscribed to RTMGRP_LINK,
 * RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR of the current network namespace. changed(arg)
 * is called from ifwatch_read(). NULL on failure (logged, errno set). Create it before
 * choosing the interfaces, so that no change between the choice and the subscription is lost.
 */
struct ifwatch *ifwatch_new(void (*changed)(void *arg), void *arg);

/* The socket to watch for EPOLLIN (loop_add(l, ifwatch_fd(w), EPOLLIN, ...)). */
int ifwatch_fd(const struct ifwatch *w);

/*
 * Read what is queued on the socket (at most IFWATCH_READ_MAX datagrams a call: more stay
 * for the next EPOLLIN) and call changed() once if any RTM_NEWLINK, RTM_DELLINK,
 * RTM_NEWADDR or RTM_DELADDR arrived, or if notifications were lost (ENOBUFS: the socket
 * overran, or a datagram did not fit): the caller then re-reads the whole state, so a lost
 * notification costs nothing but a refresh. Never blocks.
 */
void ifwatch_read(struct ifwatch *w);

#define IFWATCH_READ_MAX 256

/* Close the socket; NULL is fine. */
void ifwatch_free(struct ifwatch *w);

/*
 * Whether one datagram (len bytes, as read from the socket) holds a link or address change.
 * Messages are walked with their length fields checked; a malformed one ends the walk.
 * ifwatch_read()'s parser, exposed for tests.
 */
bool ifwatch_relevant(const void *buf, size_t len);

#endif
