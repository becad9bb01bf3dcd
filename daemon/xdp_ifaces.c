/* xdp_ifaces.c - the interfaces the fast path attaches to, and the sysctls it needs on them. */
#include "xdp_ifaces.h"

#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Large enough for any dump message the kernel sends (it sizes them to 32 KiB at most). */
#define NL_BUFSIZE 32768
/* A dump that changes while the kernel sends it (NLM_F_DUMP_INTR) is taken again. */
#define DUMP_TRIES 3

/* Every link and every address of the namespace, from two rtnetlink dumps. */
struct nl_link {
	int ifindex;
	unsigned int flags;	/* IFF_* */
	char name[IF_NAMESIZE];
};

struct nl_addr {
	int ifindex;
	sockaddr_u ip;
};

struct ifdump {
	struct nl_link *links;
	int nlinks, caplinks;
	struct nl_addr *addrs;
	int naddrs, capaddrs;
	bool intr;		/* a reply came with NLM_F_DUMP_INTR: inconsistent */
	bool nomem;
};

/* p (n of *cap elements of size bytes used) with room for one more: p, a new array, or NULL. */
static void *grow(void *p, int n, int *cap, size_t size)
{
	int ncap = *cap ? *cap * 2 : 16;

	if (n < *cap)
		return p;
	p = reallocarray(p, (size_t)ncap, size);
	if (p)
		*cap = ncap;
	return p;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ifdump *d = data;
	const struct ifinfomsg *ifi;
	const struct nlattr *attr;
	struct nl_link *l;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->intr = true;
	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return MNL_CB_OK;
	ifi = mnl_nlmsg_get_payload(nlh);
	mnl_attr_for_each(attr, nlh, sizeof(*ifi)) {
		if (mnl_attr_get_type(attr) != IFLA_IFNAME ||
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 ||
		    strlen(mnl_attr_get_str(attr)) >= IF_NAMESIZE)
			continue;
		l = grow(d->links, d->nlinks, &d->caplinks, sizeof(*l));
		if (!l) {
			d->nomem = true;
			return MNL_CB_ERROR;
		}
		d->links = l;
		l = &d->links[d->nlinks++];
		l->ifindex = ifi->ifi_index;
		l->flags = ifi->ifi_flags;
		strcpy(l->name, mnl_attr_get_str(attr));
		break;
	}
	return MNL_CB_OK;
}

/* The address of an RTM_NEWADDR: IFA_LOCAL (ours on a point-to-point link), else IFA_ADDRESS. */
static bool ifa_ip(const struct nlmsghdr *nlh, const struct ifaddrmsg *ifa, sockaddr_u *ip)
{
	size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;
	const struct nlattr *attr, *local = NULL, *addr = NULL;

	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_payload_len(attr) != alen)
			continue;
		if (mnl_attr_get_type(attr) == IFA_LOCAL)
			local = attr;
		else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
			addr = attr;
	}
	if (local)
		addr = local;
	if (!addr)
		return false;
	memset(ip, 0, sizeof(*ip));
	ip->sa.sa_family = ifa->ifa_family;
	memcpy(ifa->ifa_family == AF_INET ? (void *)&ip->v4.sin_addr : (void *)&ip->v6.sin6_addr,
	       mnl_attr_get_payload(addr), alen);
	return true;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ifdump *d = data;
	const struct ifaddrmsg *ifa;
	struct nl_addr *a;
	sockaddr_u ip;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->intr = true;
	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if ((ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) ||
	    !ifa_ip(nlh, ifa, &ip))
		return MNL_CB_OK;
	a = grow(d->addrs, d->naddrs, &d->capaddrs, sizeof(*a));
	if (!a) {
		d->nomem = true;
		return MNL_CB_ERROR;
	}
	d->addrs = a;
	a = &d->addrs[d->naddrs++];
	a->ifindex = (int)ifa->ifa_index;
	a->ip = ip;
	return MNL_CB_OK;
}

/* One dump (RTM_GETLINK or RTM_GETADDR, every family) through cb. 0 or -errno. */
static int nl_dump(struct mnl_socket *nl, char *buf, uint16_t type, mnl_cb_t cb,
		   struct ifdump *d)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	uint32_t portid = mnl_socket_get_portid(nl);
	struct rtgenmsg *g;
	ssize_t n;
	int ret;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (uint32_t)type;
	/* An ifinfomsg or ifaddrmsg: only the family, its first byte, matters here. */
	g = mnl_nlmsg_put_extra_header(nlh, type == RTM_GETLINK ? sizeof(struct ifinfomsg) :
								 sizeof(struct ifaddrmsg));
	g->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, NL_BUFSIZE);
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, type, portid, cb, d);
	} while (ret > MNL_CB_STOP);
	if (d->nomem)
		return -ENOMEM;
	return ret < 0 ? (errno ? -errno : -EIO) : 0;
}

/* Both dumps into *d, again while one was inconsistent (at most DUMP_TRIES). 0 or -errno. */
static int if_dump(struct ifdump *d)
{
	struct mnl_socket *nl;
	char *buf;
	int err = -ENOMEM;

	buf = malloc(NL_BUFSIZE);
	nl = buf ? mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC) : NULL;
	if (!nl) {
		err = buf ? -errno : err;
		goto out;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	for (int try = 0; try < DUMP_TRIES; try++) {
		d->nlinks = d->naddrs = 0;
		d->intr = false;
		err = nl_dump(nl, buf, RTM_GETLINK, link_cb, d);
		if (!err)
			err = nl_dump(nl, buf, RTM_GETADDR, addr_cb, d);
		if (err || !d->intr)
			break;
	}
out:
	if (nl)
		mnl_socket_close(nl);
	free(buf);
	return err;
}

static const struct nl_link *link_of(const struct ifdump *d, int ifindex)
{
	for (int i = 0; i < d->nlinks; i++)
		if (d->links[i].ifindex == ifindex)
			return &d->links[i];
	return NULL;
}

/* Does address da match a (same IP; a wildcard matches any IP of its family)? */
static bool addr_matches(const struct nl_addr *da, const sockaddr_u *a)
{
	if (da->ip.sa.sa_family != a->sa.sa_family)
		return false;
	return addr_is_any(a) || addr_equal_ip(&da->ip, a);
}

static int name_add(char (*names)[IF_NAMESIZE], int n, int max, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return n;
	if (n >= max || strlen(name) >= IF_NAMESIZE)
		return n;
	strcpy(names[n], name);
	return n + 1;
}

int ifaces_holding(const sockaddr_u *addrs, int naddr, char (*names)[IF_NAMESIZE], int max)
{
	struct ifdump d = { 0 };
	int n = 0, err;

	err = if_dump(&d);
	for (int i = 0; !err && i < naddr; i++) {
		sockaddr_u a = addrs[i];

		addr_unmap_v4(&a);
		for (int j = 0; j < d.naddrs; j++) {
			const struct nl_link *l = link_of(&d, d.addrs[j].ifindex);

			if (l && !(l->flags & IFF_LOOPBACK) && l->flags & IFF_UP &&
			    addr_matches(&d.addrs[j], &a))
				n = name_add(names, n, max, l->name);
		}
	}
	free(d.links);
	free(d.addrs);
	return err ? err : n;
}

int sysctl_read_int(const char *path, int *val)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || errno || v < INT_MIN || v > INT_MAX || (*end && strcmp(end, "\n")))
		return -EINVAL;
	*val = (int)v;
	return 0;
}

static int sysctl_write_int(const char *path, int val)
{
	char buf[16];
	int fd, len, err = 0;

	len = snprintf(buf, sizeof(buf), "%d\n", val);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)len) != len)
		err = errno ? -errno : -EIO;
	close(fd);
	return err;
}

/* Set an interface sysctl to val unless it already is; logs a change. 0 or -errno. */
static int if_sysctl_set(const char *proto, const char *ifname, const char *key, int val)
{
	char path[128];
	int cur = -1, err;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", proto, ifname, key);
	err = sysctl_read_int(path, &cur);
	if (err)
		return err;
	if (cur == val)
		return 0;
	err = sysctl_write_int(path, val);
	if (err) {
		pr_warn("sysctl write failed key=net.%s.conf.%s.%s value=%d err=\"%s\"", proto,
			ifname, key, val, strerror(-err));
		return err;
	}
	pr_info("sysctl set for the xdp fast path key=net.%s.conf.%s.%s old=%d new=%d", proto,
		ifname, key, cur, val);
	return 0;
}

/*
 * bpf_fib_lookup() answers BPF_FIB_LKUP_RET_FWD_DISABLED unless forwarding is on for the
 * ingress device (IPv4: the device's conf.forwarding, IPv6: its idev forwarding), and the
 * XDP program then passes every packet to the daemon: the fast path would do nothing. So we
 * turn it on for the interfaces we attach to, and only for them. This makes the host route
 * packets that arrive there for other hosts, as any relay box does, and disables LRO on the
 * device. IPv6 forwarding also stops router advertisements being accepted when accept_ra is
 * 1, which would lose SLAAC addresses and the default route: accept_ra 1 becomes 2, which
 * accepts them with forwarding on.
 */
int iface_enable_forwarding(const char *ifname)
{
	int err, ra;
	char path[128];

	if (!*ifname || strchr(ifname, '/') || strlen(ifname) >= IF_NAMESIZE || ifname[0] == '.')
		return -EINVAL;
	err = if_sysctl_set("ipv4", ifname, "forwarding", 1);
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_ra", ifname);
	/* No IPv6 on this interface (or none in the kernel): nothing more to do. */
	if (sysctl_read_int(path, &ra))
		return err;
	if (ra == 1)
		if_sysctl_set("ipv6", ifname, "accept_ra", 2);
	if_sysctl_set("ipv6", ifname, "forwarding", 1);
	return err;
}
