/* ifwatch.c - rtnetlink notifications of link and address changes, for the fast path. */
#include "ifwatch.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

/* Larger than any notification the kernel sends about a link or an address. */
#define IFWATCH_BUFSIZE 32768

struct ifwatch {
	struct mnl_socket *nl;
	void (*changed)(void *arg);
	void *arg;
	char buf[IFWATCH_BUFSIZE];
};

struct ifwatch *ifwatch_new(void (*changed)(void *arg), void *arg)
{
	const unsigned int groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
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
	return w;
fail:
	err = errno ? errno : EIO;
	pr_err("ifwatch: %s failed, link and address changes go unnoticed: %s", call,
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

static bool is_change(uint16_t type)
{
	return type == RTM_NEWLINK || type == RTM_DELLINK || type == RTM_NEWADDR ||
	       type == RTM_DELADDR;
}

/*
 * Walked by hand rather than with mnl_nlmsg_ok(), which casts nlmsg_len to int: a length of
 * 0xffffffff passes it as -1, and then mnl_nlmsg_next() steps by NLMSG_ALIGN() of it, 0.
 * Headers are copied out, so buf needs no alignment.
 */
bool ifwatch_relevant(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	struct nlmsghdr h;
	size_t step;

	while (len >= sizeof(h)) {
		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len)
			return false;	/* malformed: the rest cannot be trusted */
		if (is_change(h.nlmsg_type))
			return true;
		step = NLMSG_ALIGN((size_t)h.nlmsg_len);
		if (step >= len)
			break;
		p += step;
		len -= step;
	}
	return false;
}

/*
 * One datagram: 1 when it tells of a change (or that some were lost), 0 when not, -EAGAIN
 * when nothing is queued, or another -errno (logged).
 */
static int read_one(struct ifwatch *w)
{
	ssize_t n = mnl_socket_recvfrom(w->nl, w->buf, sizeof(w->buf));
	int err = errno;

	if (n >= 0)
		return ifwatch_relevant(w->buf, (size_t)n);
	switch (err) {
	case EAGAIN:
	case EINTR:
		return -err;
	case ENOBUFS:	/* the socket overran: notifications were dropped */
	case ENOSPC:	/* a datagram larger than the buffer (libmnl: MSG_TRUNC) */
		pr_debug("ifwatch: notifications lost, refreshing err=\"%s\"", strerror(err));
		return 1;
	default:
		pr_warn("ifwatch: mnl_socket_recvfrom failed: %s", strerror(err));
		return -err;
	}
}

void ifwatch_read(struct ifwatch *w)
{
	bool changed = false;

	for (int i = 0; i < IFWATCH_READ_MAX; i++) {
		int rc = read_one(w);

		if (rc < 0 && rc != -EINTR)
			break;
		if (rc > 0)
			changed = true;
	}
	if (changed)
		w->changed(w->arg);
}

void ifwatch_free(struct ifwatch *w)
{
	if (!w)
		return;
	mnl_socket_close(w->nl);
	free(w);
}
