/* flows.c - benchmark control plane: N TURN allocations with one channel each, kept alive. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/random.h>

#include "addr.h"
#include "auth.h"
#include "log.h"
#include "stun.h"

#define FLOWS_MAX 65536
#define CHAN_FIRST 0x4000
#define CHAN_COUNT 0x1000	/* RFC 8656 range 0x4000-0x4FFF */
#define RTO_MS 500
#define TRIES 4
#define MSG_MAX 1500

/* One allocation of the benchmark: its socket and what the relay answered. */
struct flow {
	int fd;
	uint16_t client_port;
	uint16_t channel;
	uint16_t relay_port;
};

/* What every request needs: server, peer, credentials and the current nonce. */
struct sess {
	sockaddr_u server;
	sockaddr_u peer;
	const char *user;
	const char *password;
	char realm[256];
	char nonce[256];
	uint8_t key[AUTH_KEY_LEN];
	uint32_t lifetime;
	int have_auth;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A request's attributes, by method: peer address, channel, lifetime. */
struct req {
	uint16_t method;
	uint16_t channel;	/* ChannelBind only */
	uint32_t lifetime;	/* Allocate, Refresh */
};

/* Encode req (with credentials when known) into buf. Returns the length or -errno. */
static int encode(const struct sess *s, const struct req *r, uint8_t *buf, size_t cap,
		  uint8_t tid[STUN_TID_LEN])
{
	struct stun_writer w;

	if (getrandom(tid, STUN_TID_LEN, 0) != STUN_TID_LEN)
		return -EIO;
	stun_begin(&w, buf, cap, r->method, STUN_REQUEST, tid);
	if (r->method == TURN_ALLOCATE)
		stun_put_u32(&w, STUN_A_REQUESTED_TRANSPORT, 17u << 24);
	if (r->method == TURN_ALLOCATE || r->method == TURN_REFRESH)
		stun_put_u32(&w, STUN_A_LIFETIME, r->lifetime);
	if (r->method == TURN_CHANNEL_BIND)
		stun_put_u32(&w, STUN_A_CHANNEL_NUMBER, (uint32_t)r->channel << 16);
	if (r->method == TURN_CHANNEL_BIND || r->method == TURN_CREATE_PERMISSION)
		stun_put_xaddr(&w, STUN_A_XOR_PEER_ADDRESS, &s->peer);
	if (s->have_auth) {
		stun_put_str(&w, STUN_A_USERNAME, s->user);
		stun_put_str(&w, STUN_A_REALM, s->realm);
		stun_put_str(&w, STUN_A_NONCE, s->nonce);
		stun_put_integrity(&w, s->key, AUTH_KEY_LEN);
	}
	return stun_end(&w);
}

/* Copy a string attribute into out (NUL-terminated). 0 or -EBADMSG. */
static int get_str(const struct stun_msg *m, uint16_t type, char *out, size_t cap)
{
	const struct stun_attr *a = stun_find(m, type);

	if (!a || a->len >= cap)
		return -EBADMSG;
	memcpy(out, a->val, a->len);
	out[a->len] = '\0';
	return 0;
}

/* Wait for the response to tid on fd (bounded by RTO_MS). 0 and m, -ETIMEDOUT, -errno. */
static int await(int fd, const uint8_t tid[STUN_TID_LEN], uint8_t *buf, struct stun_msg *m)
{
	uint64_t deadline = now_ms() + RTO_MS;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int left;

	while ((left = (int)(deadline - now_ms())) > 0 && !stop) {
		if (poll(&pfd, 1, left) <= 0)
			continue;
		n = recv(fd, buf, MSG_MAX, 0);
		if (n < 0)
			return -errno;
		if (stun_decode(buf, (size_t)n, m) == 0 && !memcmp(m->tid, tid, STUN_TID_LEN))
			return 0;
	}
	return -ETIMEDOUT;
}

/*
 * One transaction with retransmissions; handles 401 (first contact: learn realm and nonce)
 * and 438 (stale nonce) by retrying with fresh credentials. Returns 0 on a success response
 * (in m, buf), the error code (> 0) of an error response, or -errno.
 */
static int transact(int fd, struct sess *s, const struct req *r, uint8_t *buf,
		    struct stun_msg *m)
{
	uint8_t out[MSG_MAX], tid[STUN_TID_LEN];
	int len, try, code, rounds;
	const struct stun_attr *a;
	const char *reason;
	size_t rlen;

	for (rounds = 0; rounds < 3; rounds++) {
		len = encode(s, r, out, sizeof(out), tid);
		if (len < 0)
			return len;
		for (try = 0; try < TRIES; try++) {
			if (send(fd, out, (size_t)len, 0) < 0)
				return -errno;
			if (await(fd, tid, buf, m) == 0)
				break;
			if (stop)
				return -EINTR;
		}
		if (try == TRIES)
			return -ETIMEDOUT;
		if (m->cls == STUN_SUCCESS)
			return 0;
		a = stun_find(m, STUN_A_ERROR_CODE);
		if (!a || stun_get_error(a, &code, &reason, &rlen))
			return -EBADMSG;
		if (code != 401 && code != 438)
			return code;
		if (get_str(m, STUN_A_NONCE, s->nonce, sizeof(s->nonce)))
			return code;
		if (!get_str(m, STUN_A_REALM, s->realm, sizeof(s->realm)))
			auth_derive_key(s->user, s->realm, s->password, s->key);
		if (code == 401 && s->have_auth && rounds > 0)
			return code;
		s->have_auth = 1;
	}
	return -EPROTO;
}

/* A UDP socket bound to local (any port) and connected to the server. fd or -errno. */
static int flow_socket(const sockaddr_u *local, const sockaddr_u *server)
{
	int fd = socket(server->sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return -errno;
	if (bind(fd, &local->sa, addr_len(local)) || connect(fd, &server->sa, addr_len(server))) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Allocate, CreatePermission, ChannelBind for flow f. 0, a STUN error code, or -errno. */
static int flow_setup(struct sess *s, struct flow *f, const sockaddr_u *local, int i)
{
	struct req r = { .method = TURN_ALLOCATE, .lifetime = s->lifetime };
	uint8_t buf[MSG_MAX];
	struct stun_msg m;
	sockaddr_u a;
	socklen_t alen = sizeof(a);
	int err;

	f->fd = flow_socket(local, &s->server);
	if (f->fd < 0)
		return f->fd;
	if (getsockname(f->fd, &a.sa, &alen))
		return -errno;
	f->client_port = addr_port(&a);
	f->channel = CHAN_FIRST + i % CHAN_COUNT;
	err = transact(f->fd, s, &r, buf, &m);
	if (err)
		return err;
	if (!stun_find(&m, STUN_A_XOR_RELAYED_ADDRESS) ||
	    stun_get_xaddr(&m, stun_find(&m, STUN_A_XOR_RELAYED_ADDRESS), &a))
		return -EBADMSG;
	f->relay_port = addr_port(&a);
	r.method = TURN_CREATE_PERMISSION;
	err = transact(f->fd, s, &r, buf, &m);
	if (err)
		return err;
	r.method = TURN_CHANNEL_BIND;
	r.channel = f->channel;
	return transact(f->fd, s, &r, buf, &m);
}

/* Refresh the allocation and the channel (which also refreshes the permission). */
static int flow_refresh(struct sess *s, struct flow *f)
{
	struct req r = { .method = TURN_REFRESH, .lifetime = s->lifetime };
	uint8_t buf[MSG_MAX];
	struct stun_msg m;
	int err;

	err = transact(f->fd, s, &r, buf, &m);
	if (err)
		return err;
	r.method = TURN_CHANNEL_BIND;
	r.channel = f->channel;
	return transact(f->fd, s, &r, buf, &m);
}

/* Release: Refresh with lifetime 0, sent once without waiting. */
static void flow_release(struct sess *s, struct flow *f)
{
	struct req r = { .method = TURN_REFRESH, .lifetime = 0 };
	uint8_t out[MSG_MAX], tid[STUN_TID_LEN];
	int len = encode(s, &r, out, sizeof(out), tid);

	if (len > 0 && send(f->fd, out, (size_t)len, 0) < 0)
		pr_debug("msg=\"release send failed\" port=%u err=%s", f->client_port,
			 strerror(errno));
}

static int write_flows(const char *path, const struct flow *flows, int n)
{
	FILE *fp = fopen(path, "w");
	int i;

	if (!fp) {
		pr_err("msg=\"cannot create the flow file\" path=%s err=%s", path, strerror(errno));
		return -errno;
	}
	fprintf(fp, "# client_port channel relay_port\n");
	for (i = 0; i < n; i++)
		fprintf(fp, "%u %u %u\n", flows[i].client_port, flows[i].channel,
			flows[i].relay_port);
	if (fclose(fp)) {
		pr_err("msg=\"cannot write the flow file\" path=%s err=%s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

/* Keep every flow alive until hold_s has passed or a signal came; refresh every refresh_s. */
static void hold(struct sess *s, struct flow *flows, int n, unsigned hold_s, unsigned refresh_s)
{
	uint64_t end = now_ms() + (uint64_t)hold_s * 1000, next = now_ms() + refresh_s * 1000ull;
	int i, err;

	while (!stop && now_ms() < end) {
		usleep(100 * 1000);
		if (now_ms() < next)
			continue;
		for (i = 0; i < n && !stop; i++) {
			err = flow_refresh(s, &flows[i]);
			if (err)
				pr_warn("msg=\"refresh failed\" flow=%d err=%d", i, err);
		}
		next = now_ms() + refresh_s * 1000ull;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: turnbench-flows -s SERVER:PORT -p PEER:PORT -l LOCAL_IP -n N -o FILE\n"
		"       [-u USER] [-w PASSWORD] [-t HOLD_S] [-r REFRESH_S] [-L LIFETIME_S]\n"
		"Creates N allocations with one channel each to PEER, writes \"client_port channel\n"
		"relay_port\" lines to FILE, then keeps them refreshed for HOLD_S seconds (default\n"
		"60) or until SIGTERM/SIGINT, and releases them.\n");
}

struct opts {
	const char *out;
	int n;
	unsigned hold_s, refresh_s;
	sockaddr_u local;
};

static int parse_opts(int argc, char **argv, struct sess *s, struct opts *o)
{
	int c;

	while ((c = getopt(argc, argv, "s:p:l:n:o:u:w:t:r:L:h")) != -1) {
		switch (c) {
		case 's': if (addr_parse(optarg, 3478, &s->server)) return -EINVAL; break;
		case 'p': if (addr_parse(optarg, 0, &s->peer)) return -EINVAL; break;
		case 'l': if (addr_parse(optarg, 0, &o->local)) return -EINVAL; break;
		case 'n': o->n = atoi(optarg); break;
		case 'o': o->out = optarg; break;
		case 'u': s->user = optarg; break;
		case 'w': s->password = optarg; break;
		case 't': o->hold_s = (unsigned)atoi(optarg); break;
		case 'r': o->refresh_s = (unsigned)atoi(optarg); break;
		case 'L': s->lifetime = (uint32_t)atoi(optarg); break;
		default: return -EINVAL;
		}
	}
	if (!o->out || o->n < 1 || o->n > FLOWS_MAX || !s->server.sa.sa_family ||
	    !s->peer.sa.sa_family || !o->local.sa.sa_family || o->hold_s > 86400 ||
	    o->refresh_s < 1 || s->lifetime < 60)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct sess s = { .user = "alice", .password = "s3cret", .lifetime = 600 };
	struct opts o = { .hold_s = 60, .refresh_s = 240 };
	struct flow *flows;
	int i, err, rc = 1;

	if (parse_opts(argc, argv, &s, &o)) {
		usage();
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	flows = calloc((size_t)o.n, sizeof(*flows));
	if (!flows)
		return 1;
	for (i = 0; i < o.n; i++)
		flows[i].fd = -1;
	for (i = 0; i < o.n && !stop; i++) {
		err = flow_setup(&s, &flows[i], &o.local, i);
		if (err) {
			pr_err("msg=\"flow setup failed\" flow=%d err=%d (%s)", i, err,
			       err < 0 ? strerror(-err) : stun_reason(err));
			goto out;
		}
	}
	if (stop || write_flows(o.out, flows, o.n))
		goto out;
	pr_info("msg=\"flows ready\" n=%d file=%s hold_s=%u", o.n, o.out, o.hold_s);
	hold(&s, flows, o.n, o.hold_s, o.refresh_s);
	rc = 0;
out:
	for (i = 0; i < o.n; i++) {
		if (flows[i].fd < 0)
			continue;
		if (flows[i].relay_port)
			flow_release(&s, &flows[i]);
		close(flows[i].fd);
	}
	free(flows);
	return rc;
}
