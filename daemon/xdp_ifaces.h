/* xdp_ifaces.h - the interfaces the fast path attaches to, and the sysctls it needs on them. */
#ifndef TURND_XDP_IFACES_H
#define TURND_XDP_IFACES_H

#include <net/if.h>

#include "addr.h"

/*
 * The interfaces holding any of addrs (ports ignored). A wildcard address stands for every
 * interface that is up and holds an address of its family. Loopback interfaces are never
 * picked: nothing on them is forwarded, nor are interfaces that are down. Read from
 * rtnetlink (libmnl). Writes up to max unique names into names; returns how many, or -errno
 * (the netlink dump failed).
 */
int ifaces_holding(const sockaddr_u *addrs, int naddr, char (*names)[IF_NAMESIZE], int max);

/*
 * Let bpf_fib_lookup() forward from ifname: net.ipv4.conf.<if>.forwarding = 1 and, when the
 * interface has IPv6, net.ipv6.conf.<if>.forwarding = 1 (keeping router advertisements
 * accepted). Logs what it changed. 0 or -errno of the IPv4 write (IPv6 is best effort).
 */
int iface_enable_forwarding(const char *ifname);

/* Read a small decimal value from a /proc/sys file: 0 or -errno (-EINVAL if not a number). */
int sysctl_read_int(const char *path, int *val);

#endif
