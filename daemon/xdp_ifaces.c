/* xdp_ifaces.c - the interfaces the fast path attaches to, and the sysctls it needs on them. */
#include "xdp_ifaces.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Does interface address ifa match a (same IP; a wildcard matches any IP of its family)? */
static bool ifa_matches(const struct ifaddrs *ifa, const sockaddr_u *a)
{
	sockaddr_u ia;

	if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != a->sa.sa_family)
		return false;
	if (ifa->ifa_flags & IFF_LOOPBACK || !(ifa->ifa_flags & IFF_UP))
		return false;
	if (addr_is_any(a))
		return true;
	memset(&ia, 0, sizeof(ia));
	memcpy(&ia, ifa->ifa_addr, a->sa.sa_family == AF_INET6 ? sizeof(ia.v6) : sizeof(ia.v4));
	return addr_equal_ip(&ia, a);
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
	struct ifaddrs *list;
	int n = 0;

	if (getifaddrs(&list))
		return -errno;
	for (int i = 0; i < naddr; i++) {
		sockaddr_u a = addrs[i];

		addr_unmap_v4(&a);
		for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next)
			if (ifa_matches(ifa, &a))
				n = name_add(names, n, max, ifa->ifa_name);
	}
	freeifaddrs(list);
	return n;
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
