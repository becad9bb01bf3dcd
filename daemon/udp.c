/* udp.c - the UDP transport: client listeners and relayed sockets, the core's turn_ops. */
#include "udp.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fastpath.h"
#include "log.h"
#include "metrics.h"

#define UDP_BATCH 64		/* datagrams read per wake-up and socket */
#define UDP_BUF 65536

struct udp;

struct listener {
	struct udp *u;
	int fd;
	sockaddr_u addr;
	bool wildcard;
	uint32_t ovfl;		/* the kernel's drop count for this socket, last seen */
};

struct udp {
	struct loop *loop;
	struct turn_server *turn;
	struct fastpath *fp;
	struct latency_hist *lat;
	struct listener ls[CONFIG_MAX_LISTEN];
	int nls;
	struct relay_cfg relay;
	uint8_t *used[2];	/* port bitmaps, [0] IPv4, [1] IPv6 */
	uint8_t *df;		/* per relay fd: DONT-FRAGMENT set */
	uint32_t *ovfl;		/* per relay fd: the kernel's drop count, last seen */
	size_t ndf;
	uint8_t buf[UDP_BUF];
};

static struct turn_clock clock_now(void)
{
	struct turn_clock c = { .ms = loop_now_ms(), .wall_s = (uint64_t)time(NULL) };

	return c;
}

static int fam_idx(int af)
{
	return af == AF_INET6;
}

static int set_pktinfo(int fd, int af)
{
	int one = 1;

	if (af == AF_INET)
		return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
}

/* A non-blocking UDP socket bound to a; IPv6 sockets are v6-only. -errno on failure. */
static int udp_socket(const sockaddr_u *a, bool quiet)
{
	int one = 1, fd, err;

	fd = socket(a->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (a->sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* each datagram then carries the count of those the full receive buffer cost */
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (bind(fd, &a->sa, addr_len(a))) {
		err = -errno;
		if (!quiet) {
			char as[ADDR_STRLEN];

			pr_err("bind %s failed: %s", addr_format(a, as, sizeof(as)), strerror(errno));
		}
		close(fd);
		return err;
	}
	return fd;
}

/* SO_RXQ_OVFL's cumulative count v for a socket whose last seen count is *last: the new drops. */
static void count_ovfl(struct udp *u, uint32_t *last, const struct cmsghdr *c)
{
	uint32_t v;

	memcpy(&v, CMSG_DATA(c), sizeof(v));
	if (v != *last && u->turn)
		turn_count_drops(u->turn, DROP_RCVBUF, (uint32_t)(v - *last));
	*last = v;
}

static void got_client(struct udp *u, struct listener *ls, struct msghdr *mh, size_t len)
{
	struct turn_tuple t = { .proto = IPPROTO_UDP, .lid = (int)(ls - u->ls) };
	struct turn_clock now = clock_now();

	memcpy(&t.client, mh->msg_name, sizeof(t.client));
	t.server = ls->addr;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			count_ovfl(u, &ls->ovfl, c);
		} else if (!ls->wildcard) {
			continue;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			t.server.v4.sin_addr = pi.ipi_addr;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			t.server.v6.sin6_addr = pi.ipi6_addr;
		}
	}
	if (u->lat && len >= 20 && !(u->buf[0] & 0xC1) && !(u->buf[1] & 0x10)) {
		/* a STUN request: time the core's handling of it */
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		turn_on_client(u->turn, &t, u->buf, len, &now);
		clock_gettime(CLOCK_MONOTONIC, &b);
		metrics_observe_request(u->lat, (double)(b.tv_sec - a.tv_sec) +
						(double)(b.tv_nsec - a.tv_nsec) / 1e9);
		return;
	}
	turn_on_client(u->turn, &t, u->buf, len, &now);
}

/* Control space: a packet-info cmsg (listeners) and SO_RXQ_OVFL's count. */
union udp_ctl {
	struct cmsghdr align;
	uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint32_t))];
};

/* One datagram of fd into u->buf, its source into *from: its length or -errno. */
static ssize_t recv_one(struct udp *u, int fd, sockaddr_u *from, union udp_ctl *ctl,
			struct msghdr *mh)
{
	struct iovec iov = { .iov_base = u->buf, .iov_len = sizeof(u->buf) };
	ssize_t n;

	memset(mh, 0, sizeof(*mh));
	mh->msg_name = from;
	mh->msg_namelen = sizeof(*from);
	mh->msg_iov = &iov;
	mh->msg_iovlen = 1;
	mh->msg_control = ctl->b;
	mh->msg_controllen = sizeof(ctl->b);
	n = recvmsg(fd, mh, 0);
	mh->msg_iov = NULL;	/* iov goes with this frame; the callers read name and control */
	mh->msg_iovlen = 0;
	return n < 0 ? -errno : n;
}

static void on_listener(void *arg, int fd, uint32_t events)
{
	struct listener *ls = arg;
	struct udp *u = ls->u;
	union udp_ctl ctl;
	sockaddr_u from;
	struct msghdr mh;

	(void)events;
	for (int i = 0; i < UDP_BATCH; i++) {
		ssize_t n = recv_one(u, fd, &from, &ctl, &mh);

		if (n < 0) {
			if (n != -EAGAIN && n != -EINTR)
				pr_warn("recvmsg on listener failed: %s", strerror((int)-n));
			return;
		}
		addr_unmap_v4(&from);
		got_client(u, ls, &mh, (size_t)n);
	}
}

/* The drop count last seen on relay socket fd (a slot of u->ovfl), or NULL. */
static uint32_t *relay_ovfl(struct udp *u, int fd);

static void on_relay(void *arg, int fd, uint32_t events)
{
	struct udp *u = arg;
	union udp_ctl ctl;
	sockaddr_u from;
	struct msghdr mh;
	uint32_t *last = relay_ovfl(u, fd);

	(void)events;
	for (int i = 0; i < UDP_BATCH; i++) {
		struct turn_clock now;
		ssize_t n = recv_one(u, fd, &from, &ctl, &mh);

		if (n < 0) {
			if (n != -EAGAIN && n != -EINTR && n != -ECONNREFUSED)
				pr_warn("recvmsg on relay fd=%d failed: %s", fd, strerror((int)-n));
			return;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c && last; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
				count_ovfl(u, last, c);
		now = clock_now();
		turn_on_peer(u->turn, fd, &from, u->buf, (size_t)n, &now);
	}
}

static void send_client(void *ctx, const struct turn_tuple *t, const uint8_t *buf, size_t len)
{
	struct udp *u = ctx;
	struct listener *ls = &u->ls[t->lid];
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_name = (void *)&t->client, .msg_namelen = addr_len(&t->client),
			     .msg_iov = &iov, .msg_iovlen = 1 };

	if (ls->wildcard) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		c = (struct cmsghdr *)ctl.b;
		if (t->server.sa.sa_family == AF_INET) {
			struct in_pktinfo pi = { .ipi_spec_dst = t->server.v4.sin_addr };

			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		} else {
			struct in6_pktinfo pi = { .ipi6_addr = t->server.v6.sin6_addr };

			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		}
	}
	if (sendmsg(ls->fd, &mh, 0) < 0 && errno != EAGAIN)
		pr_debug("sendmsg to client failed: %s", strerror(errno));
}

/* Room for relay fd in the per-fd arrays: 0 or -ENOMEM. */
static int fd_grow(struct udp *u, int fd)
{
	size_t n = (size_t)fd * 2 + 64;
	uint8_t *nd;
	uint32_t *no;

	if ((size_t)fd < u->ndf)
		return 0;
	nd = realloc(u->df, n);
	if (!nd)
		return -ENOMEM;
	u->df = nd;
	no = realloc(u->ovfl, n * sizeof(*no));
	if (!no)
		return -ENOMEM;
	u->ovfl = no;
	memset(nd + u->ndf, 0, n - u->ndf);
	memset(no + u->ndf, 0, (n - u->ndf) * sizeof(*no));
	u->ndf = n;
	return 0;
}

static uint32_t *relay_ovfl(struct udp *u, int fd)
{
	return fd >= 0 && !fd_grow(u, fd) ? &u->ovfl[fd] : NULL;
}

/* Track and set IP_MTU_DISCOVER per relay socket: DO for DONT-FRAGMENT, else DONT. */
static void set_df(struct udp *u, int fd, int af, bool df)
{
	int v = df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;

	if (fd_grow(u, fd))
		return;
	if (u->df[fd] == (uint8_t)(df + 1))
		return;
	u->df[fd] = (uint8_t)(df + 1);
	if (af == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v));
}

static void send_peer(void *ctx, int fd, const sockaddr_u *peer, const uint8_t *buf, size_t len,
		      bool dont_fragment)
{
	struct udp *u = ctx;

	set_df(u, fd, peer->sa.sa_family, dont_fragment);
	if (sendto(fd, buf, len, 0, &peer->sa, addr_len(peer)) < 0 && errno != EAGAIN)
		pr_debug("sendto peer failed: %s", strerror(errno));
}

static const sockaddr_u *relay_addr(const struct udp *u, int af, const sockaddr_u **adv)
{
	for (int i = 0; i < u->relay.naddr; i++) {
		if (u->relay.addr[i].sa.sa_family != af)
			continue;
		*adv = &u->relay.addr[i];
		for (int j = 0; j < u->relay.nexternal; j++)
			if (u->relay.external[j].sa.sa_family == af)
				*adv = &u->relay.external[j];
		return &u->relay.addr[i];
	}
	return NULL;
}

static bool port_used(const struct udp *u, int af, unsigned p)
{
	return u->used[fam_idx(af)][p / 8] & (1u << (p % 8));
}

static void port_mark(struct udp *u, int af, unsigned p, bool used)
{
	if (used)
		u->used[fam_idx(af)][p / 8] |= (uint8_t)(1u << (p % 8));
	else
		u->used[fam_idx(af)][p / 8] &= (uint8_t)~(1u << (p % 8));
}

/* Bind a relay socket on port p of base; registers it with the loop. fd or -errno. */
static int relay_bind(struct udp *u, const sockaddr_u *base, unsigned p)
{
	sockaddr_u a = *base;
	int fd, err;

	addr_set_port(&a, (uint16_t)p);
	fd = udp_socket(&a, true);
	if (fd < 0)
		return fd;
	err = loop_add(u->loop, fd, EPOLLIN, on_relay, u);
	if (err) {
		close(fd);
		return err;
	}
	port_mark(u, base->sa.sa_family, p, true);
	return fd;
}

static void relay_close(void *ctx, int fd)
{
	struct udp *u = ctx;
	sockaddr_u a;
	socklen_t al = sizeof(a);

	if (!getsockname(fd, &a.sa, &al))
		port_mark(u, a.sa.sa_family, addr_port(&a), false);
	if ((size_t)fd < u->ndf) {
		u->df[fd] = 0;
		u->ovfl[fd] = 0;
	}
	loop_del(u->loop, fd);
	close(fd);
}

/* Try port p (and p + 1 when reserving). fd or -errno. */
static int relay_try(struct udp *u, const sockaddr_u *base, unsigned p, unsigned flags, int *next)
{
	int af = base->sa.sa_family, fd;

	if (port_used(u, af, p))
		return -EADDRINUSE;
	if (flags & TURN_RELAY_RESERVE_NEXT) {
		if (p + 1 > u->relay.port_max || port_used(u, af, p + 1))
			return -EADDRINUSE;
	}
	fd = relay_bind(u, base, p);
	if (fd < 0 || !(flags & TURN_RELAY_RESERVE_NEXT))
		return fd;
	*next = relay_bind(u, base, p + 1);
	if (*next < 0) {
		relay_close(u, fd);
		return -EADDRINUSE;
	}
	return fd;
}

static int relay_open(void *ctx, int af, unsigned flags, sockaddr_u *addr, int *next_handle,
		      sockaddr_u *next_addr)
{
	struct udp *u = ctx;
	const sockaddr_u *adv = NULL, *base = relay_addr(u, af, &adv);
	unsigned lo = u->relay.port_min, span = u->relay.port_max - lo + 1u;
	unsigned start = (unsigned)random() % span;

	*next_handle = -1;
	if (!base)
		return -EAFNOSUPPORT;
	for (unsigned i = 0; i < span; i++) {
		unsigned p = lo + (start + i) % span;
		int fd;

		if ((flags & TURN_RELAY_EVEN) && (p & 1))
			continue;
		fd = relay_try(u, base, p, flags, next_handle);
		if (fd == -EADDRINUSE)
			continue;
		if (fd < 0)
			return fd;
		*addr = *adv;
		addr_set_port(addr, (uint16_t)p);
		if (*next_handle >= 0) {
			*next_addr = *adv;
			addr_set_port(next_addr, (uint16_t)(p + 1));
		}
		return fd;
	}
	pr_warn("relay ports exhausted family=%s range=%u-%u", af == AF_INET ? "ipv4" : "ipv6",
		u->relay.port_min, u->relay.port_max);
	return -EADDRINUSE;
}

static void fwd_sync(void *ctx, const struct turn_fwd *f)
{
	struct udp *u = ctx;

	fastpath_sync(u->fp, f);	/* failures are logged; the slow path still relays */
}

static void fwd_release(void *ctx, uint64_t id)
{
	struct udp *u = ctx;

	fastpath_release(u->fp, id);
}

int udp_relay_adopt(struct udp *u, const sockaddr_u *local)
{
	unsigned p = addr_port(local);
	const sockaddr_u *adv = NULL, *base = relay_addr(u, local->sa.sa_family, &adv);

	if (!base || !addr_equal_ip(base, local) || p < u->relay.port_min ||
	    p > u->relay.port_max)
		return -EADDRNOTAVAIL;	/* the relay configuration changed */
	if (port_used(u, local->sa.sa_family, p))
		return -EADDRINUSE;
	return relay_bind(u, base, p);
}

void udp_relay_drop(struct udp *u, int handle)
{
	relay_close(u, handle);
}

int udp_listener_id(const struct udp *u, const sockaddr_u *server)
{
	for (int i = 0; i < u->nls; i++) {
		const struct listener *ls = &u->ls[i];

		if (ls->addr.sa.sa_family != server->sa.sa_family ||
		    addr_port(&ls->addr) != addr_port(server))
			continue;
		if (ls->wildcard || addr_equal_ip(&ls->addr, server))
			return i;
	}
	return -ENOENT;
}

void udp_set_latency(struct udp *u, struct latency_hist *h)
{
	u->lat = h;
}

void udp_set_fastpath(struct udp *u, struct fastpath *fp)
{
	u->fp = fp;
}

void udp_ops(struct udp *u, struct turn_ops *ops)
{
	memset(ops, 0, sizeof(*ops));
	ops->ctx = u;
	ops->relay_open = relay_open;
	ops->relay_close = relay_close;
	ops->send_client = send_client;
	ops->send_peer = send_peer;
	if (u->fp) {
		ops->fwd_sync = fwd_sync;
		ops->fwd_release = fwd_release;
	}
}

void udp_attach(struct udp *u, struct turn_server *turn)
{
	u->turn = turn;
}

static int listen_one(struct udp *u, struct listener *ls, const sockaddr_u *a)
{
	int rcvbuf = 4 << 20, err;

	ls->u = u;
	ls->addr = *a;
	ls->wildcard = addr_is_any(a);
	ls->fd = udp_socket(a, false);
	if (ls->fd < 0)
		return ls->fd;
	setsockopt(ls->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (ls->wildcard && set_pktinfo(ls->fd, a->sa.sa_family)) {
		err = -errno;
		pr_err("setsockopt pktinfo failed: %s", strerror(errno));
		return err;
	}
	return loop_add(u->loop, ls->fd, EPOLLIN, on_listener, ls);
}

struct udp *udp_new(struct loop *l, const sockaddr_u *listen, int nlisten,
		    const struct relay_cfg *relay)
{
	struct udp *u = calloc(1, sizeof(*u));
	char as[ADDR_STRLEN];

	if (!u)
		return NULL;
	u->loop = l;
	u->relay = *relay;
	u->used[0] = calloc(8192, 1);
	u->used[1] = calloc(8192, 1);
	if (!u->used[0] || !u->used[1])
		goto fail;
	for (int i = 0; i < nlisten; i++) {
		u->nls = i + 1;
		if (listen_one(u, &u->ls[i], &listen[i]))
			goto fail;
		pr_info("listening proto=udp addr=%s", addr_format(&listen[i], as, sizeof(as)));
	}
	return u;
fail:
	udp_free(u);
	return NULL;
}

void udp_free(struct udp *u)
{
	if (!u)
		return;
	for (int i = 0; i < u->nls; i++) {
		if (u->ls[i].fd < 0)
			continue;
		loop_del(u->loop, u->ls[i].fd);
		close(u->ls[i].fd);
	}
	free(u->used[0]);
	free(u->used[1]);
	free(u->df);
	free(u->ovfl);
	free(u);
}
