/* netlink.c - rtnetlink queries through libmnl: the addresses the default routes leave from. */
#include "netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* Large enough for any dump message the kernel sends (it sizes them to 32 KiB at most). */
#define NL_BUFSIZE 32768

/* The best default route of one family seen so far in a dump. */
struct route_pick {
	int family;
	bool found;
	uint32_t priority;	/* RTA_PRIORITY (metric): lowest wins */
	uint32_t oif;		/* RTA_OIF, or the first nexthop's interface */
	bool has_src;
	uint8_t src[16];	/* RTA_PREFSRC */
};

/* The first usable global address of one interface. */
struct addr_pick {
	int family;
	uint32_t ifindex;
	bool found;
	uint8_t addr[16];
};

/* Attribute table being filled by attr_cb(). */
struct attrs {
	const struct nlattr **tb;
	int max;
};

static const char *family_name(int family)
{
	return family == AF_INET ? "inet" : "inet6";
}

static size_t family_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct attrs *a = data;

	/* Attributes newer than our headers are skipped, not an error. */
	if (mnl_attr_type_valid(attr, (uint16_t)a->max) < 0)
		return MNL_CB_OK;
	a->tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static bool attr_u32(const struct nlattr *attr, uint32_t *v)
{
	if (!attr || mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return false;
	*v = mnl_attr_get_u32(attr);
	return true;
}

/* An address attribute of the family's exact size, copied into out. */
static bool attr_addr(const struct nlattr *attr, int family, uint8_t *out)
{
	if (!attr || mnl_attr_get_payload_len(attr) != family_len(family))
		return false;
	memcpy(out, mnl_attr_get_payload(attr), family_len(family));
	return true;
}

/* The interface of the first nexthop of an RTA_MULTIPATH (ECMP) route, or 0. */
static uint32_t first_nexthop_oif(const struct nlattr *mp)
{
	const struct rtnexthop *nh;

	if (!mp || mnl_attr_get_payload_len(mp) < sizeof(*nh))
		return 0;
	nh = mnl_attr_get_payload(mp);
	if (nh->rtnh_len < sizeof(*nh) || nh->rtnh_ifindex <= 0)
		return 0;
	return (uint32_t)nh->rtnh_ifindex;
}

/* One RTM_NEWROUTE of the dump: keep it if it is a better default route of the main table. */
static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	struct route_pick *best = data, cand = { .family = best->family };
	const struct nlattr *tb[RTA_MAX + 1] = { NULL };
	struct attrs a = { tb, RTA_MAX };
	const struct rtmsg *rtm;
	uint32_t table;

	if (nlh->nlmsg_type != RTM_NEWROUTE || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != best->family || rtm->rtm_dst_len != 0 ||
	    rtm->rtm_type != RTN_UNICAST)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, &a) < 0)
		return MNL_CB_OK;
	if (!attr_u32(tb[RTA_TABLE], &table))
		table = rtm->rtm_table;
	if (table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	if (!attr_u32(tb[RTA_PRIORITY], &cand.priority))
		cand.priority = 0;
	if (!attr_u32(tb[RTA_OIF], &cand.oif))
		cand.oif = first_nexthop_oif(tb[RTA_MULTIPATH]);
	cand.has_src = attr_addr(tb[RTA_PREFSRC], best->family, cand.src);
	if (!cand.oif && !cand.has_src)
		return MNL_CB_OK;	/* e.g. a nexthop object: nothing to go on */
	if (best->found && cand.priority >= best->priority)
		return MNL_CB_OK;
	cand.found = true;
	*best = cand;
	return MNL_CB_OK;
}

/* One RTM_NEWADDR of the dump: the first global, settled address of the interface wins. */
static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const uint32_t unusable = IFA_F_TENTATIVE | IFA_F_DEPRECATED | IFA_F_DADFAILED;
	struct addr_pick *p = data;
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	struct attrs a = { tb, IFA_MAX };
	const struct ifaddrmsg *ifa;
	const struct nlattr *at;
	uint32_t flags;

	if (p->found || nlh->nlmsg_type != RTM_NEWADDR ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != p->family || ifa->ifa_index != p->ifindex ||
	    ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, &a) < 0)
		return MNL_CB_OK;
	if (!attr_u32(tb[IFA_FLAGS], &flags))
		flags = ifa->ifa_flags;
	if (flags & unusable)
		return MNL_CB_OK;
	/* IFA_LOCAL is our end of a point-to-point link; IFA_ADDRESS is then the peer. */
	at = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	p->found = attr_addr(at, p->family, p->addr);
	return MNL_CB_OK;
}

/*
 * Send one dump request (RTM_GETROUTE or RTM_GETADDR of a family) and run cb on every
 * reply until NLMSG_DONE. Returns 0 or -errno (logged).
 */
static int nl_dump(struct mnl_socket *nl, char *buf, uint16_t type, int family, mnl_cb_t cb,
		   void *data)
{
	const char *what = type == RTM_GETROUTE ? "RTM_GETROUTE" : "RTM_GETADDR";
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	uint32_t seq = (uint32_t)time(NULL) + type, portid = mnl_socket_get_portid(nl);
	const char *call = "mnl_socket_sendto";
	ssize_t n;
	int ret;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (type == RTM_GETROUTE) {
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

		rtm->rtm_family = (uint8_t)family;
	} else {
		struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

		ifa->ifa_family = (uint8_t)family;
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto fail;
	for (;;) {
		call = "mnl_socket_recvfrom";
		n = mnl_socket_recvfrom(nl, buf, NL_BUFSIZE);
		if (n < 0)
			goto fail;
		call = "mnl_cb_run";
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
		if (ret < 0)
			goto fail;
		if (ret == MNL_CB_STOP)
			return 0;
	}
fail:
	ret = errno ? -errno : -EIO;
	pr_err("netlink: %s failed request=%s family=%s: %s", call, what, family_name(family),
	       strerror(-ret));
	return ret;
}

/*
 * The preferred source address of the family's default route: RTA_PREFSRC, else the
 * first global address of its output interface. 0 and *out set; -ENOENT when there is
 * no usable default route; -errno on a netlink failure.
 */
static int default_addr(struct mnl_socket *nl, char *buf, int family, sockaddr_u *out)
{
	struct route_pick route = { .family = family };
	struct addr_pick addr = { .family = family };
	const uint8_t *src = route.src;
	int err;

	err = nl_dump(nl, buf, RTM_GETROUTE, family, route_cb, &route);
	if (err)
		return err;
	if (!route.found)
		return -ENOENT;
	if (!route.has_src) {
		addr.ifindex = route.oif;
		err = nl_dump(nl, buf, RTM_GETADDR, family, addr_cb, &addr);
		if (err)
			return err;
		if (!addr.found) {
			pr_warn("netlink: default route has no global address family=%s ifindex=%u",
				family_name(family), route.oif);
			return -ENOENT;
		}
		src = addr.addr;
	}
	memset(out, 0, sizeof(*out));
	out->sa.sa_family = (sa_family_t)family;
	if (family == AF_INET)
		memcpy(&out->v4.sin_addr, src, 4);
	else
		memcpy(&out->v6.sin6_addr, src, 16);
	return 0;
}

int nl_default_addrs(sockaddr_u *v4, bool *has_v4, sockaddr_u *v6, bool *has_v6)
{
	struct mnl_socket *nl;
	char *buf;
	int err;

	*has_v4 = *has_v6 = false;
	buf = malloc(NL_BUFSIZE);
	if (!buf) {
		pr_err("netlink: out of memory for the receive buffer");
		return -ENOMEM;
	}
	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl) {
		err = -errno;
		pr_err("netlink: mnl_socket_open failed: %s", strerror(-err));
		goto out_buf;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		pr_err("netlink: mnl_socket_bind failed: %s", strerror(-err));
		goto out_sock;
	}
	err = default_addr(nl, buf, AF_INET, v4);
	if (err && err != -ENOENT)
		goto out_sock;
	*has_v4 = !err;
	err = default_addr(nl, buf, AF_INET6, v6);
	if (err && err != -ENOENT)
		goto out_sock;
	*has_v6 = !err;
	err = *has_v4 || *has_v6 ? 0 : -ENOENT;
out_sock:
	mnl_socket_close(nl);
out_buf:
	free(buf);
	return err;
}
