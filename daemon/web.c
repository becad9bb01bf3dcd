/* web.c - the signaling server: listeners, the connection table, per-address limits, reload. */
#include "web.h"
#include "web_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

#define ADDR_BUCKETS 1024
#define ACCEPT_BURST 64		/* accepts per listener event */

struct addr_count {
	sockaddr_u ip;
	uint32_t n;
	struct addr_count *next;
};

static struct addr_count **addr_slot(struct web *w, const sockaddr_u *ip)
{
	sockaddr_u key = *ip;
	struct addr_count **p;

	addr_set_port(&key, 0);		/* the hash covers the port: one bucket per IP */
	p = &w->per_addr[addr_hash(&key, 0x5167) % ADDR_BUCKETS];

	while (*p && !addr_equal_ip(&(*p)->ip, ip))
		p = &(*p)->next;
	return p;
}

/* One more connection from ip: 0, -EMFILE over the limit, -ENOMEM. */
static int addr_take(struct web *w, const sockaddr_u *ip)
{
	struct addr_count **p = addr_slot(w, ip);

	if (*p) {
		if ((*p)->n >= w->max_per_addr)
			return -EMFILE;
		(*p)->n++;
		return 0;
	}
	*p = calloc(1, sizeof(**p));
	if (!*p)
		return -ENOMEM;
	(*p)->ip = *ip;
	(*p)->n = 1;
	return 0;
}

static void addr_put(struct web *w, const sockaddr_u *ip)
{
	struct addr_count **p = addr_slot(w, ip), *e = *p;

	if (e && !--e->n) {
		*p = e->next;
		free(e);
	}
}

struct wconn *web_conn_get(struct web *w, uint64_t id)
{
	uint32_t slot = (uint32_t)id;

	if (slot >= w->nslots || !w->slots[slot] || w->slots[slot]->id != id ||
	    w->slots[slot]->doomed)
		return NULL;
	return w->slots[slot];
}

/* A free slot number (growing the table): 0 or -ENOMEM. */
static int slot_take(struct web *w, uint32_t *slot)
{
	uint32_t n, i;
	void *p;

	if (!w->nfree) {
		n = w->nslots ? w->nslots * 2 : 64;
		p = realloc(w->slots, n * sizeof(*w->slots));
		if (!p)
			return -ENOMEM;
		w->slots = p;
		p = realloc(w->free_slots, n * sizeof(*w->free_slots));
		if (!p)
			return -ENOMEM;
		w->free_slots = p;
		for (i = n; i > w->nslots; i--) {
			w->slots[i - 1] = NULL;
			w->free_slots[w->nfree++] = i - 1;
		}
		w->nslots = n;
	}
	*slot = w->free_slots[--w->nfree];
	return 0;
}

void web_conn_watch(struct wconn *c)
{
	uint32_t ev = EPOLLIN | EPOLLRDHUP;

	if (web_io_pending(&c->io) || c->io.want_write)
		ev |= EPOLLOUT;
	if (ev != c->epoll_events && !loop_mod(c->w->loop, c->io.fd, ev))
		c->epoll_events = ev;
}

void web_conn_timer(struct wconn *c, uint64_t deadline_ms)
{
	timerq_set(loop_timers(c->w->loop), &c->timer, deadline_ms);
}

static void conn_free(struct wconn *c)
{
	struct web *w = c->w;

	if (c->in_room)
		sig_gone(w->sig, c->id);
	if (c->upgraded)
		w->st.ws_now--;
	timerq_del(loop_timers(w->loop), &c->timer);
	loop_del(w->loop, c->io.fd);
	web_io_close(&c->io);
	ws_rx_free(&c->rx);
	addr_put(w, &c->peer);
	w->slots[(uint32_t)c->id] = NULL;
	w->free_slots[w->nfree++] = (uint32_t)c->id;
	w->st.conns_now--;
	free(c->in);
	free(c);
}

static void on_reaper(struct timer *t, uint64_t now_ms)
{
	struct web *w = container_of(t, struct web, reaper);
	struct wconn *c;

	(void)now_ms;
	while ((c = w->doomed)) {
		w->doomed = c->next_doomed;
		conn_free(c);
	}
}

void web_conn_close(struct wconn *c)
{
	struct web *w = c->w;

	if (c->doomed)
		return;
	c->doomed = true;	/* freed on the next loop turn: sig may be iterating over it */
	c->next_doomed = w->doomed;
	w->doomed = c;
	timerq_set(loop_timers(w->loop), &w->reaper, 0);
}

/* Set up an accepted socket: a connection, or -errno (the socket is then closed). */
static int conn_new(struct web *w, int fd, const sockaddr_u *peer)
{
	struct wconn *c;
	socklen_t len = sizeof(sockaddr_u);
	uint32_t slot;
	int one = 1, err;

	if (w->st.conns_now >= w->max_conns) {
		w->st.refused_total++;
		err = -ENFILE;
		goto fail_fd;
	}
	err = addr_take(w, peer);
	if (err) {
		w->st.refused_per_address += err == -EMFILE;
		goto fail_fd;
	}
	c = calloc(1, sizeof(*c));
	if (!c || (err = slot_take(w, &slot))) {
		err = -ENOMEM;
		goto fail_addr;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->w = w;
	c->io.fd = fd;
	c->io.max_out = w->max_message * 4 > WEB_MAX_OUT_MIN ? w->max_message * 4 : WEB_MAX_OUT_MIN;
	c->id = ((uint64_t)++w->next_gen << 32) | slot;
	c->peer = *peer;
	getsockname(fd, (struct sockaddr *)&c->local, &len);
	c->st = w->tls ? WST_SNIFF : WST_HTTP;
	timer_init(&c->timer, web_conn_on_timer);
	c->epoll_events = EPOLLIN | EPOLLRDHUP;
	err = loop_add(w->loop, fd, c->epoll_events, web_conn_event, c);
	if (err) {
		w->free_slots[w->nfree++] = slot;
		goto fail_addr;
	}
	w->slots[slot] = c;
	w->st.conns_now++;
	w->st.conns_total++;
	web_conn_timer(c, loop_now_ms() + (w->idle_ms < WEB_HEAD_TIMEOUT_MS ? w->idle_ms :
					    WEB_HEAD_TIMEOUT_MS));
	return 0;
fail_addr:
	free(c);
	addr_put(w, peer);
fail_fd:
	close(fd);
	return err;
}

static void on_listen(void *arg, int fd, uint32_t events)
{
	struct web *w = arg;
	char buf[ADDR_STRLEN];
	sockaddr_u peer;
	socklen_t len;
	int i, cfd, err;

	(void)events;
	for (i = 0; i < ACCEPT_BURST; i++) {
		len = sizeof(peer);
		cfd = accept4(fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				pr_warn("signaling accept failed: %s", strerror(errno));
			return;
		}
		addr_unmap_v4(&peer);
		err = conn_new(w, cfd, &peer);
		if (err)
			pr_debug("signaling connection refused client=%s: %s",
				 addr_format(&peer, buf, sizeof(buf)),
				 err == -EMFILE ? "max_per_address reached" :
				 err == -ENFILE ? "max_connections reached" : strerror(-err));
	}
}

static int listen_one(struct web *w, const sockaddr_u *a)
{
	char buf[ADDR_STRLEN];
	int fd, one = 1, err;

	fd = socket(a->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (a->sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, &a->sa, addr_len(a)) || listen(fd, 128))
		goto fail;
	err = loop_add(w->loop, fd, EPOLLIN, on_listen, w);
	if (err) {
		close(fd);
		return err;
	}
	w->lfd[w->nl++] = fd;
	pr_info("signaling listening on %s (tcp%s)", addr_format(a, buf, sizeof(buf)),
		w->tls ? ", tls and plain" : "");
	return 0;
fail:
	err = -errno;
	pr_err("signaling: cannot listen on %s: %s", addr_format(a, buf, sizeof(buf)),
	       strerror(errno));
	if (fd >= 0)
		close(fd);
	return err;
}

static void free_strs(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static char **dup_strs(char *const *v, size_t n)
{
	char **o = calloc(n + 1, sizeof(*o));

	for (size_t i = 0; o && i < n; i++) {
		o[i] = strdup(v[i]);
		if (!o[i]) {
			free_strs(o, i);
			return NULL;
		}
	}
	return o;
}

static void sig_limits_of(const struct signaling_cfg *cfg, struct sig_limits *lim)
{
	lim->max_rooms = cfg->max_rooms;
	lim->max_members = cfg->max_members;
	lim->max_message = cfg->max_message;
}

/* Copy the reloadable settings into w: 0 or -ENOMEM (w unchanged). */
static int take_settings(struct web *w, const struct signaling_cfg *cfg, const char *secret)
{
	char **org = dup_strs(cfg->origins, cfg->norigins);
	char **urls = dup_strs(cfg->ice_urls, cfg->nice_urls);
	char *host = cfg->ice_host ? strdup(cfg->ice_host) : NULL;
	char *sec = secret ? strdup(secret) : NULL;

	if (!org || !urls || (cfg->ice_host && !host) || (secret && !sec)) {
		free_strs(org, cfg->norigins);
		free_strs(urls, cfg->nice_urls);
		free(host);
		free(sec);
		return -ENOMEM;
	}
	free_strs(w->origins, w->norigins);
	free_strs(w->ice_urls, w->nice_urls);
	free(w->ice_host);
	free(w->secret);
	w->origins = org;
	w->norigins = cfg->norigins;
	w->ice_urls = urls;
	w->nice_urls = cfg->nice_urls;
	w->ice_host = host;
	w->secret = sec;
	w->lifetime_s = cfg->credential_lifetime;
	w->max_conns = cfg->max_connections;
	w->max_per_addr = cfg->max_per_address;
	w->idle_ms = cfg->idle_timeout * 1000;
	w->max_message = cfg->max_message;
	return 0;
}

static void random_bytes(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	if (getrandom(buf, n, 0) != (ssize_t)n)
		for (size_t i = 0; i < n; i++)
			((uint8_t *)buf)[i] = (uint8_t)random();
}

struct web *web_new(struct loop *l, const struct signaling_cfg *cfg, const char *secret,
		    uint16_t turn_port)
{
	struct sig_ops ops = { .send = web_sig_send, .ice_servers = web_sig_ice,
			       .random = random_bytes };
	struct sig_limits lim;
	struct web *w = calloc(1, sizeof(*w));
	int i;

	if (!w || !(w->per_addr = calloc(ADDR_BUCKETS, sizeof(*w->per_addr))))
		goto oom;
	w->loop = l;
	w->turn_port = turn_port;
	timer_init(&w->reaper, on_reaper);
	if (take_settings(w, cfg, secret))
		goto oom;
	ops.ctx = w;
	sig_limits_of(cfg, &lim);
	w->sig = sig_new(&lim, &ops);
	if (!w->sig)
		goto oom;
	if (cfg->tls_cert && !(w->tls = web_tls_ctx(cfg->tls_cert, cfg->tls_key)))
		goto fail;
	for (i = 0; i < cfg->nlisten; i++)
		if (listen_one(w, &cfg->listen[i]))
			goto fail;
	if (!secret)
		pr_warn("signaling: no TURN secret: iceServers carry STUN only");
	return w;
oom:
	pr_err("signaling: cannot allocate: %s", strerror(ENOMEM));
fail:
	web_free(w);
	return NULL;
}

int web_reload(struct web *w, const struct signaling_cfg *cfg, const char *secret)
{
	struct sig_limits lim;

	if (take_settings(w, cfg, secret)) {
		pr_err("signaling reload failed, keeping the running settings: %s",
		       strerror(ENOMEM));
		return -ENOMEM;
	}
	sig_limits_of(cfg, &lim);
	sig_set_limits(w->sig, &lim);
	return 0;
}

void web_get_stats(const struct web *w, struct web_stats *st)
{
	*st = w->st;
	sig_get_stats(w->sig, &st->sig);
}

uint16_t web_port(const struct web *w, int i)
{
	sockaddr_u a;
	socklen_t len = sizeof(a);

	if (i < 0 || i >= w->nl || getsockname(w->lfd[i], &a.sa, &len))
		return 0;
	return addr_port(&a);
}

void web_free(struct web *w)
{
	uint32_t i;
	int k;

	if (!w)
		return;
	for (i = 0; i < w->nslots; i++)
		if (w->slots[i] && !w->slots[i]->doomed)
			conn_free(w->slots[i]);
	on_reaper(&w->reaper, 0);
	timerq_del(loop_timers(w->loop), &w->reaper);
	for (k = 0; k < w->nl; k++) {
		loop_del(w->loop, w->lfd[k]);
		close(w->lfd[k]);
	}
	sig_free(w->sig);
	web_tls_ctx_free(w->tls);
	free_strs(w->origins, w->norigins);
	free_strs(w->ice_urls, w->nice_urls);
	free(w->ice_host);
	free(w->secret);
	free(w->slots);
	free(w->free_slots);
	free(w->per_addr);
	free(w);
}
