/* hostile.c - bounded hostile traffic at turnd: junk, bad STUN, forged ChannelData, bad frames. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * hostile MODE [-s SEED] [-n COUNT] [-t SECONDS] [-r RATE] [-d ADDR:PORT]... [-f IP]...
 *              [-F IP:PORT]... [-C CHAN,...] [-M MAX_MESSAGE]
 *
 *   random   -d LISTENER: random datagrams; the first byte picks an RFC 7983 class (STUN
 *            0-3, ChannelData 64-79, RFC 5766 channels 80-127, DTLS 20-63, RTP 128-191,
 *            other), plus empty datagrams. Sources: one socket per -f (default 127.0.0.1).
 *   stun     -d LISTENER: half-valid STUN (a valid header and cookie, then each kind of
 *            damage), methods Binding, Allocate, Refresh, CreatePermission, ChannelBind, Send;
 *            from the first -f. First a bare Allocate whose 401 gives a real NONCE, used for
 *            requests with a bogus MESSAGE-INTEGRITY (counted as auth failures by turnd).
 *   mutated  -d LISTENER: well-formed requests with 1-3 random bytes changed (outcome unknown).
 *   spoof    -d LISTENER -C CHANS: ChannelData on the given (someone else's) channels, from a
 *            socket per -f and, forged through a raw socket, from each -F IP:PORT.
 *   stale    -d LISTENER -C CHANS -F CLIENT: ChannelData on channels NOT in CHANS, forged
 *            (raw socket, root) from the client's own address and port.
 *   relay    -d RELAYED...: datagrams at relayed addresses from a socket per -f.
 *   ws       -d SIGNALING: every bad WebSocket frame on its own upgraded connection, reading
 *            the close code back; a good ping and close; then bad HTTP upgrades.
 *
 * Bounded: at most COUNT datagrams (default 1000) and SECONDS (default 10), paced at RATE a
 * second (default 20000). Deterministic: the bytes depend on SEED (default 1) and, in the
 * stun mode, on the NONCE turnd hands out; ws sends the same cases whatever the seed.
 * Output, one line each, key=value (the test reads these):
 *   sent class=C n=N KIND=N...     what went out, by kind
 *   expect class=C COUNTER=N...    what turnd must count for it (requests = answered or
 *                                  dropped by the unauth_rate limit; any = some counter)
 *   recv class=C n=N ...           answers that came back (stun, mutated)
 *   ws case=NAME close=CODE want=CODE eof=0|1     http case=NAME status=CODE want=CODE
 * Exit status: 0, 1 on a send or connect failure, 2 on usage.
 */

#define MAX_ADDRS 16
#define MAX_CHANS 64
#define PKT_MAX 1400
#define BURST 32		/* datagrams between pacing checks and answer reads */
#define STUN_COOKIE 0x2112A442u

enum { M_BINDING = 0x001, M_ALLOCATE = 0x003, M_REFRESH = 0x004, M_SEND = 0x006, M_DATA = 0x007,
       M_CREATE_PERM = 0x008, M_CHANNEL_BIND = 0x009 };
enum { C_REQUEST = 0x000, C_INDICATION = 0x010, C_SUCCESS = 0x100, C_ERROR = 0x110 };
enum { A_USERNAME = 0x0006, A_MI = 0x0008, A_ERROR_CODE = 0x0009, A_CHANNEL = 0x000C,
       A_LIFETIME = 0x000D, A_PEER = 0x0012, A_DATA = 0x0013, A_REALM = 0x0014, A_NONCE = 0x0015,
       A_TRANSPORT = 0x0019, A_XMAPPED = 0x0020, A_SOFTWARE = 0x8022, A_FINGERPRINT = 0x8028,
       A_OPTIONAL = 0x8050 /* unassigned, comprehension-optional */ };

struct opts {
	const char *mode;
	uint64_t seed;
	unsigned long count;
	double secs, rate;
	struct sockaddr_in dst[MAX_ADDRS];
	int ndst;
	struct in_addr from[MAX_ADDRS];
	int nfrom;
	struct sockaddr_in forge[MAX_ADDRS];
	int nforge;
	uint16_t chans[MAX_CHANS];
	int nchans;
	unsigned long max_message;
};

/* One run of a datagram mode. */
struct run {
	const struct opts *o;
	uint64_t rng;
	int fd[MAX_ADDRS];
	int nfd;
	int raw;
	struct timespec t0;
	unsigned long sent, failed;
};

static uint64_t rnd(uint64_t *s)	/* splitmix64 */
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint32_t below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rnd(s) % n);
}

static void rnd_fill(uint64_t *s, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd(s);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static double elapsed(const struct run *r)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - r->t0.tv_sec) + (double)(t.tv_nsec - r->t0.tv_nsec) / 1e9;
}

static void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s };

	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);

	nanosleep(&ts, NULL);
}

/* Before each datagram: keep to the rate; false once the count or the time is used up. */
static bool pace(struct run *r)
{
	double el = elapsed(r), want;

	if (r->sent + r->failed >= r->o->count || el > r->o->secs)
		return false;
	if ((r->sent + r->failed) % BURST == 0) {
		want = (double)(r->sent + r->failed) / r->o->rate;
		if (want > el)
			sleep_s(want - el);
	}
	return true;
}

/* A UDP socket bound to ip, port chosen by the kernel. -1 (reported) on failure. */
static int udp_socket(struct in_addr ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr = ip };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), sz = 1 << 20;

	if (fd < 0) {
		fprintf(stderr, "hostile: socket: %s\n", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		fprintf(stderr, "hostile: bind %s: %s\n", inet_ntoa(ip), strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static void run_close(struct run *r)
{
	for (int i = 0; i < r->nfd; i++)
		close(r->fd[i]);
	if (r->raw >= 0)
		close(r->raw);
}

/* Sockets on every -f address (127.0.0.1 when none); a raw socket when raw is set. */
static int run_open(struct run *r, const struct opts *o, bool raw)
{
	struct in_addr lo = { .s_addr = htonl(INADDR_LOOPBACK) };
	int n = o->nfrom ? o->nfrom : 1;

	memset(r, 0, sizeof(*r));
	r->o = o;
	r->rng = o->seed;
	r->raw = -1;
	for (int i = 0; i < n; i++) {
		r->fd[i] = udp_socket(o->nfrom ? o->from[i] : lo);
		if (r->fd[i] < 0)
			goto fail;
		r->nfd++;
	}
	if (raw) {
		r->raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);	/* IP_HDRINCL implied */
		if (r->raw < 0) {
			fprintf(stderr, "hostile: raw socket (needs root): %s\n", strerror(errno));
			goto fail;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	return 0;
fail:
	run_close(r);
	return -1;
}

static void count_send(struct run *r, ssize_t rc, size_t len)
{
	if (rc == (ssize_t)len) {
		r->sent++;
		return;
	}
	if (!r->failed)
		fprintf(stderr, "hostile: send: %s\n", rc < 0 ? strerror(errno) : "short");
	r->failed++;
}

static void send_udp(struct run *r, int fd, const struct sockaddr_in *to, const void *b,
		     size_t len)
{
	count_send(r, sendto(fd, b, len, 0, (const struct sockaddr *)to, sizeof(*to)), len);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += get16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

/* One UDP datagram from a forged source, IPv4 and UDP headers written here. */
static void send_forged(struct run *r, const struct sockaddr_in *from, const struct sockaddr_in *to,
			const uint8_t *b, size_t len)
{
	uint8_t pkt[20 + 8 + PKT_MAX], ph[12];
	size_t ulen = 8 + len;
	uint16_t sum;

	memset(pkt, 0, 28);
	pkt[0] = 0x45;
	put16(pkt + 2, (uint16_t)(20 + ulen));
	pkt[8] = 64;
	pkt[9] = IPPROTO_UDP;		/* id and header checksum: filled in by the kernel */
	memcpy(pkt + 12, &from->sin_addr, 4);
	memcpy(pkt + 16, &to->sin_addr, 4);
	memcpy(pkt + 20, &from->sin_port, 2);
	memcpy(pkt + 22, &to->sin_port, 2);
	put16(pkt + 24, (uint16_t)ulen);
	memcpy(pkt + 28, b, len);
	memcpy(ph, pkt + 12, 8);	/* pseudo-header: addresses, zero, protocol, length */
	ph[8] = 0;
	ph[9] = IPPROTO_UDP;
	put16(ph + 10, (uint16_t)ulen);
	sum = csum_fold(csum_add(csum_add(0, ph, 12), pkt + 20, ulen));
	put16(pkt + 26, sum ? sum : 0xFFFF);
	count_send(r, sendto(r->raw, pkt, 20 + ulen, 0, (const struct sockaddr *)to, sizeof(*to)),
		   20 + ulen);
}

static int report_end(struct run *r)
{
	if (r->failed)
		printf("failed class=%s n=%lu\n", r->o->mode, r->failed);
	printf("time class=%s ms=%.0f\n", r->o->mode, elapsed(r) * 1000);
	run_close(r);
	return r->failed ? 1 : 0;
}

/* random: first-byte classes (RFC 7983 ranges) and what turnd makes of each from a stranger. */
enum { R_STUN, R_CHAN, R_LEGACY, R_DTLS, R_RTP, R_OTHER, R_EMPTY, R_NR };
static const char *const r_names[R_NR] = { "stun", "chandata", "chandata_legacy", "dtls", "rtp",
					   "other", "empty" };

static uint8_t first_byte(uint64_t *s, int k)
{
	switch (k) {
	case R_STUN:
		return (uint8_t)below(s, 4);
	case R_CHAN:
		return (uint8_t)(64 + below(s, 16));
	case R_LEGACY:
		return (uint8_t)(80 + below(s, 48));
	case R_DTLS:
		return (uint8_t)(20 + below(s, 44));
	case R_RTP:
		return (uint8_t)(128 + below(s, 64));
	default:	/* 4-19 or 192-255 */
		return (uint8_t)(below(s, 2) ? 4 + below(s, 16) : 192 + below(s, 64));
	}
}

static int mode_random(const struct opts *o)
{
	unsigned long by[R_NR] = { 0 };
	uint8_t b[PKT_MAX];
	struct run r;

	if (run_open(&r, o, false))
		return 1;
	while (pace(&r)) {
		int k = (int)below(&r.rng, R_NR);
		size_t len = k == R_EMPTY ? 0 : 1 + below(&r.rng, 600);
		unsigned long before = r.sent;

		rnd_fill(&r.rng, b, len);
		if (len)
			b[0] = first_byte(&r.rng, k);
		if (k == R_STUN && len >= 8 && get16(b + 4) == 0x2112 && get16(b + 6) == 0xA442)
			b[7] ^= 1;	/* never a real STUN header by chance */
		send_udp(&r, r.fd[r.sent % (unsigned long)r.nfd], &o->dst[0], b, len);
		by[k] += r.sent - before;
	}
	printf("sent class=random n=%lu", r.sent);
	for (int k = 0; k < R_NR; k++)
		printf(" %s=%lu", r_names[k], by[k]);
	printf("\nexpect class=random malformed=%lu no_allocation=%lu\n",
	       r.sent - by[R_CHAN] - by[R_LEGACY], by[R_CHAN] + by[R_LEGACY]);
	return report_end(&r);
}

/* A STUN message under construction. */
struct msg {
	uint8_t b[PKT_MAX];
	size_t len;
};

static uint16_t stun_type(uint16_t method, uint16_t cls)
{
	return (uint16_t)((method & 0x000F) | (method & 0x0070) << 1 | (method & 0x0F80) << 2 |
			  cls);
}

static void m_begin(struct msg *m, uint16_t method, uint16_t cls, const uint8_t tid[12])
{
	put16(m->b, stun_type(method, cls));
	put16(m->b + 2, 0);
	put32(m->b + 4, STUN_COOKIE);
	memcpy(m->b + 8, tid, 12);
	m->len = 20;
}

/* Append an attribute (zero padding) and set the header's length to match. */
static void m_attr(struct msg *m, uint16_t type, const void *val, uint16_t len)
{
	size_t pad = (4 - (len & 3)) & 3;

	if (m->len + 4 + len + pad > sizeof(m->b))
		return;
	put16(m->b + m->len, type);
	put16(m->b + m->len + 2, len);
	if (len)
		memcpy(m->b + m->len + 4, val, len);
	memset(m->b + m->len + 4 + len, 0, pad);
	m->len += 4 + len + pad;
	put16(m->b + 2, (uint16_t)(m->len - 20));
}

static uint32_t crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xFFFFFFFFu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c >> 1 ^ (0xEDB88320u & -(c & 1));
	}
	return ~c;
}

/* FINGERPRINT (RFC 8489 14.7), or a wrong one. */
static void m_fingerprint(struct msg *m, bool good)
{
	uint8_t v[4];

	put16(m->b + 2, (uint16_t)(m->len + 8 - 20));
	put32(v, crc32(m->b, m->len) ^ 0x5354554Eu ^ (good ? 0 : 1));
	m_attr(m, A_FINGERPRINT, v, 4);
}

static void m_peer(struct msg *m, uint64_t *s)
{
	uint8_t v[8] = { 0, 1 };

	put16(v + 2, (uint16_t)((20000 + below(s, 40000)) ^ 0x2112));
	put32(v + 4, 0x7F000001u ^ STUN_COOKIE);
	m_attr(m, A_PEER, v, 8);
}

/* The attributes a real client puts in a request of this method. */
static void m_plain(struct msg *m, uint16_t method, uint64_t *s)
{
	uint8_t v[128];

	switch (method) {
	case M_ALLOCATE:
		put32(v, 17u << 24);
		m_attr(m, A_TRANSPORT, v, 4);
		break;
	case M_REFRESH:
		put32(v, 600);
		m_attr(m, A_LIFETIME, v, 4);
		break;
	case M_CREATE_PERM:
		m_peer(m, s);
		break;
	case M_CHANNEL_BIND:
		put32(v, (0x4000u + below(s, 0x1000)) << 16);
		m_attr(m, A_CHANNEL, v, 4);
		m_peer(m, s);
		break;
	case M_SEND:
		m_peer(m, s);
		rnd_fill(s, v, sizeof(v));
		m_attr(m, A_DATA, v, (uint16_t)(1 + below(s, sizeof(v))));
		break;
	default:
		break;
	}
}

/* Values of the right attribute types but of the wrong shape. */
static void m_bad_values(struct msg *m, uint16_t method, uint64_t *s)
{
	uint8_t v[8] = { 0, 7 };

	switch (method) {
	case M_ALLOCATE:
		m_attr(m, A_TRANSPORT, v, 1);
		break;
	case M_REFRESH:
		m_attr(m, A_LIFETIME, v, 2);
		break;
	case M_CHANNEL_BIND:
		put32(v, 0x00010000u);
		m_attr(m, A_CHANNEL, v, 4);
		m_attr(m, A_PEER, v, 3);
		break;
	case M_BINDING:
		rnd_fill(s, v, sizeof(v));
		m_attr(m, A_XMAPPED, v, 5);
		break;
	default:	/* CreatePermission, Send: a peer address of family 7 */
		m_attr(m, A_PEER, v, 8);
		break;
	}
}

/* The NONCE and REALM of a 401, for requests that get as far as the password check. */
struct nonce {
	uint8_t nonce[128], realm[128];
	uint16_t nlen, rlen;
};

/*
 * Half-valid kinds. Those up to K_INDICATION decode (their outcome follows from the class:
 * a request is answered or dropped by the unauth_rate limit, a Send indication from a
 * stranger is no_allocation, anything else unexpected); the rest are malformed.
 */
enum { K_PLAIN, K_FP, K_UNKNOWN_ATTR, K_BOGUS_MI, K_REAL_NONCE, K_MI_NO_USER, K_BAD_VALUES,
       K_RESPONSE, K_INDICATION, K_TRUNCATED, K_BAD_LENGTH, K_ATTR_OVERRUN, K_BAD_FP,
       K_FP_NOT_LAST, K_MI_BAD_LENGTH, K_TOO_MANY_ATTRS, K_NO_COOKIE, K_NR };
static const char *const k_names[K_NR] = {
	"plain", "fingerprint", "unknown_attr", "bogus_mi", "real_nonce", "mi_no_user",
	"bad_values", "response", "indication", "truncated", "bad_length", "attr_overrun",
	"bad_fingerprint", "fingerprint_not_last", "mi_bad_length", "too_many_attrs", "no_cookie",
};

enum outcome { O_REQUEST, O_NO_ALLOCATION, O_UNEXPECTED, O_MALFORMED, O_NR };
static const char *const o_names[O_NR] = { "requests", "no_allocation", "unexpected", "malformed" };

/* Slots of the method rotation: Send twice, as the indication it should be and as a request. */
static const uint16_t methods[] = { M_BINDING, M_ALLOCATE, M_REFRESH, M_CREATE_PERM,
				    M_CHANNEL_BIND, M_SEND, M_SEND };
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))
#define TID_AUTH 0x01	/* tid[3]: this request reaches the password check (an auth failure) */

static void m_auth(struct msg *m, const struct nonce *nc, bool real, uint64_t *s, uint32_t i)
{
	uint8_t v[32];
	static const char *const users[] = { "alice", "mallory" };
	const char *u = users[i % 2];

	m_attr(m, A_USERNAME, u, (uint16_t)strlen(u));
	if (real) {
		m_attr(m, A_REALM, nc->realm, nc->rlen);
		m_attr(m, A_NONCE, nc->nonce, nc->nlen);
	} else {
		m_attr(m, A_REALM, "example.org", 11);
		rnd_fill(s, v, sizeof(v));
		for (size_t k = 0; k < sizeof(v); k++)
			v[k] = (uint8_t)"0123456789abcdef"[v[k] & 15];
		m_attr(m, A_NONCE, v, sizeof(v));
	}
	rnd_fill(s, v, 20);
	m_attr(m, A_MI, v, 20);
}

/* The damage that makes a decoder refuse the message (kinds from K_TRUNCATED on). */
static void m_break(struct msg *m, int kind, uint64_t *s)
{
	uint8_t v[24] = { 0 };

	switch (kind) {
	case K_TRUNCATED:
		m->len = below(s, (uint32_t)m->len);
		break;
	case K_BAD_LENGTH:
		put16(m->b + 2, (uint16_t)(m->len - 20 + (below(s, 2) ? 1 + below(s, 3) : 4)));
		break;
	case K_ATTR_OVERRUN:
		m_attr(m, A_SOFTWARE, "turn", 4);
		put16(m->b + m->len - 6, (uint16_t)(5 + below(s, 400)));
		break;
	case K_BAD_FP:
		m_fingerprint(m, false);
		break;
	case K_FP_NOT_LAST:
		m_fingerprint(m, true);
		m_attr(m, A_SOFTWARE, "turn", 4);
		break;
	case K_MI_BAD_LENGTH:
		m_attr(m, A_MI, v, (uint16_t)(below(s, 2) ? 16 : 24));
		break;
	case K_TOO_MANY_ATTRS:
		for (int k = 0; k < 65; k++)
			m_attr(m, A_OPTIONAL, NULL, 0);
		break;
	default:	/* K_NO_COOKIE: an RFC 3489 header */
		put32(m->b + 4, (uint32_t)rnd(s) | 1);
		break;
	}
}

/* Build half-valid message i of kind k in slot `slot`; returns what turnd makes of it. */
static enum outcome build_stun(struct msg *m, int k, unsigned slot, uint64_t *s,
			       const struct nonce *nc, uint32_t i)
{
	uint16_t method = methods[slot], cls = slot == 5 ? C_INDICATION : C_REQUEST;
	uint8_t tid[12] = { 'h', 's', (uint8_t)k, 0 }, v[20];

	put32(tid + 4, i);
	rnd_fill(s, tid + 8, 4);
	if (k == K_RESPONSE)
		cls = below(s, 2) ? C_SUCCESS : C_ERROR;
	if (k == K_INDICATION) {
		cls = C_INDICATION;
		if (method == M_SEND)
			method = M_DATA;
	}
	if (k == K_REAL_NONCE && cls == C_REQUEST && method != M_BINDING && method != M_SEND)
		tid[3] = TID_AUTH;
	m_begin(m, method, cls, tid);
	if (k == K_BAD_VALUES)
		m_bad_values(m, method, s);
	else
		m_plain(m, method, s);
	if (k == K_RESPONSE && cls == C_ERROR) {
		put32(v, 4u << 8 | 1);
		m_attr(m, A_ERROR_CODE, v, 4);
	}
	if (k == K_UNKNOWN_ATTR) {
		rnd_fill(s, v, sizeof(v));
		m_attr(m, (uint16_t)(0x0030 + below(s, 0x8000 - 0x0030)), v,
		       (uint16_t)below(s, sizeof(v)));
	}
	if (k == K_BOGUS_MI || k == K_REAL_NONCE)
		m_auth(m, nc, k == K_REAL_NONCE, s, i);
	if (k == K_MI_NO_USER) {
		rnd_fill(s, v, sizeof(v));
		m_attr(m, A_MI, v, 20);
	}
	if (k >= K_TRUNCATED) {
		m_break(m, k, s);
		return O_MALFORMED;
	}
	if (k == K_FP || below(s, 4) == 0)
		m_fingerprint(m, true);
	if (cls == C_REQUEST)
		return O_REQUEST;
	return cls == C_INDICATION && method == M_SEND ? O_NO_ALLOCATION : O_UNEXPECTED;
}

/* Answers that came back, by code (200 = success). */
struct answers {
	unsigned long n, auth, c200, c400, c401, c420, c438, cother;
	struct nonce nc;
	bool have_nonce;
};

static void note_nonce(struct answers *a, const uint8_t *b, size_t len)
{
	for (size_t off = 20; off + 4 <= len;) {
		uint16_t t = get16(b + off), l = get16(b + off + 2);

		if (off + 4 + l > len)
			break;
		if (t == A_NONCE && l <= sizeof(a->nc.nonce)) {
			memcpy(a->nc.nonce, b + off + 4, l);
			a->nc.nlen = l;
			a->have_nonce = true;
		} else if (t == A_REALM && l <= sizeof(a->nc.realm)) {
			memcpy(a->nc.realm, b + off + 4, l);
			a->nc.rlen = l;
		}
		off += 4 + ((l + 3u) & ~3u);
	}
}

static int error_code(const uint8_t *b, size_t len)
{
	for (size_t off = 20; off + 8 <= len;) {
		uint16_t t = get16(b + off), l = get16(b + off + 2);

		if (t == A_ERROR_CODE && l >= 4 && off + 8 <= len)
			return (b[off + 6] & 7) * 100 + b[off + 7];
		off += 4 + ((l + 3u) & ~3u);
	}
	return 0;
}

static void note_answer(struct answers *a, const uint8_t *b, size_t len)
{
	int code;

	a->n++;
	if (len < 20 || get16(b + 4) != 0x2112) {
		a->cother++;
		return;
	}
	if (b[8] == 'h' && b[9] == 's' && b[11] == TID_AUTH)
		a->auth++;
	code = (get16(b) & 0x0110) == C_SUCCESS ? 200 : error_code(b, len);
	if (code == 401 || code == 438)
		note_nonce(a, b, len);
	a->c200 += code == 200;
	a->c400 += code == 400;
	a->c401 += code == 401;
	a->c420 += code == 420;
	a->c438 += code == 438;
	a->cother += code != 200 && code != 400 && code != 401 && code != 420 && code != 438;
}

/* Read the answers waiting on fd; with wait_ms, until nothing came for wait_ms. */
static void drain(int fd, struct answers *a, int wait_ms)
{
	uint8_t b[2048];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	for (;;) {
		while ((n = recv(fd, b, sizeof(b), MSG_DONTWAIT)) >= 0)
			note_answer(a, b, (size_t)n);
		if (!wait_ms || poll(&p, 1, wait_ms) <= 0)
			return;
	}
}

static void print_answers(const char *cls, const struct answers *a)
{
	printf("recv class=%s n=%lu auth=%lu c200=%lu c400=%lu c401=%lu c420=%lu c438=%lu "
	       "cother=%lu\n", cls, a->n, a->auth, a->c200, a->c400, a->c401, a->c420, a->c438,
	       a->cother);
}

/* A bare Allocate: its 401 carries the NONCE (bound to this address) and the REALM. */
static void probe_nonce(struct run *r, struct answers *a)
{
	uint8_t tid[12] = { 'h', 's', 'P', 0 };
	struct msg m;

	rnd_fill(&r->rng, tid + 4, 8);
	m_begin(&m, M_ALLOCATE, C_REQUEST, tid);
	send_udp(r, r->fd[0], &r->o->dst[0], m.b, m.len);
	for (int i = 0; i < 10 && !a->have_nonce; i++)
		drain(r->fd[0], a, 100);
}

static int mode_stun(const struct opts *o)
{
	unsigned long by[K_NR] = { 0 }, out[O_NR] = { 0 };
	struct answers a = { 0 };
	struct msg m;
	struct run r;

	if (run_open(&r, o, false))
		return 1;
	probe_nonce(&r, &a);
	out[O_REQUEST] = r.sent;
	while (pace(&r)) {
		int k = (int)below(&r.rng, K_NR);
		unsigned long before = r.sent;
		enum outcome oc;

		if (k == K_REAL_NONCE && !a.have_nonce)
			k = K_BOGUS_MI;
		oc = build_stun(&m, k, (unsigned)(r.sent % NMETHODS), &r.rng, &a.nc,
				(uint32_t)r.sent);
		send_udp(&r, r.fd[0], &o->dst[0], m.b, m.len);
		by[k] += r.sent - before;
		out[oc] += r.sent - before;
		if (r.sent % BURST == 0)
			drain(r.fd[0], &a, 0);
	}
	drain(r.fd[0], &a, 300);
	printf("sent class=stun n=%lu probe=1", r.sent);
	for (int k = 0; k < K_NR; k++)
		printf(" %s=%lu", k_names[k], by[k]);
	printf("\nexpect class=stun");
	for (int k = 0; k < O_NR; k++)
		printf(" %s=%lu", o_names[k], out[k]);
	printf("\nnonce class=stun real=%d\n", a.have_nonce);
	print_answers("stun", &a);
	return report_end(&r);
}

static int mode_mutated(const struct opts *o)
{
	static const int kinds[] = { K_PLAIN, K_FP, K_UNKNOWN_ATTR, K_BOGUS_MI };
	struct answers a = { 0 };
	struct msg m;
	struct run r;

	if (run_open(&r, o, false))
		return 1;
	while (pace(&r)) {
		int nflip = 1 + (int)below(&r.rng, 3);

		build_stun(&m, kinds[below(&r.rng, 4)], (unsigned)(r.sent % NMETHODS), &r.rng,
			   &a.nc, (uint32_t)r.sent);
		for (int f = 0; f < nflip && m.len; f++)
			m.b[below(&r.rng, (uint32_t)m.len)] ^= (uint8_t)(1 + below(&r.rng, 255));
		send_udp(&r, r.fd[0], &o->dst[0], m.b, m.len);
		if (r.sent % BURST == 0)
			drain(r.fd[0], &a, 0);
	}
	drain(r.fd[0], &a, 300);
	printf("sent class=mutated n=%lu\nexpect class=mutated any=%lu\n", r.sent, r.sent);
	print_answers("mutated", &a);
	return report_end(&r);
}

/* ChannelData on channel ch with dlen random bytes, sometimes padded to 4 (RFC 8656 12.5). */
static size_t chandata(uint8_t *b, uint16_t ch, uint64_t *s)
{
	size_t dlen = 1 + below(s, 300), len = 4 + dlen;

	put16(b, ch);
	put16(b + 2, (uint16_t)dlen);
	rnd_fill(s, b + 4, dlen);
	if (below(s, 2))
		while (len & 3)
			b[len++] = 0;
	return len;
}

static int mode_spoof(const struct opts *o)
{
	unsigned long nsock = 0, nforged = 0;
	uint8_t b[PKT_MAX];
	struct run r;

	if (!o->nchans) {
		fprintf(stderr, "hostile: spoof needs -C CHANNELS\n");
		return 2;
	}
	if (run_open(&r, o, o->nforge > 0))
		return 1;
	while (pace(&r)) {
		unsigned long slot = (r.sent + r.failed) % (unsigned long)(r.nfd + o->nforge);
		size_t len = chandata(b, o->chans[below(&r.rng, (uint32_t)o->nchans)], &r.rng);
		unsigned long before = r.sent;

		if (slot < (unsigned long)r.nfd) {
			send_udp(&r, r.fd[slot], &o->dst[0], b, len);
			nsock += r.sent - before;
		} else {
			send_forged(&r, &o->forge[slot - (unsigned long)r.nfd], &o->dst[0], b, len);
			nforged += r.sent - before;
		}
	}
	printf("sent class=spoof n=%lu socket=%lu forged=%lu\n", r.sent, nsock, nforged);
	printf("expect class=spoof no_allocation=%lu\n", r.sent);
	return report_end(&r);
}

static bool chan_listed(const struct opts *o, uint16_t ch)
{
	for (int i = 0; i < o->nchans; i++)
		if (o->chans[i] == ch)
			return true;
	return false;
}

static int mode_stale(const struct opts *o)
{
	uint8_t b[PKT_MAX];
	struct run r;

	if (!o->nforge) {
		fprintf(stderr, "hostile: stale needs -F CLIENT_IP:PORT\n");
		return 2;
	}
	if (run_open(&r, o, true))
		return 1;
	while (pace(&r)) {
		uint16_t ch;
		size_t len;

		do	/* any number ChannelData may carry (0x4000-0x7FFE) but a bound one */
			ch = (uint16_t)(0x4000 + below(&r.rng, 0x7FFF - 0x4000));
		while (chan_listed(o, ch));
		len = chandata(b, ch, &r.rng);
		send_forged(&r, &o->forge[(r.sent + r.failed) % (unsigned long)o->nforge],
			    &o->dst[0], b, len);
	}
	printf("sent class=stale n=%lu\nexpect class=stale no_channel=%lu\n", r.sent, r.sent);
	return report_end(&r);
}

static int mode_relay(const struct opts *o)
{
	uint8_t b[PKT_MAX];
	struct run r;

	if (run_open(&r, o, false))
		return 1;
	while (pace(&r)) {
		unsigned long i = r.sent + r.failed;
		size_t len = below(&r.rng, 300);

		rnd_fill(&r.rng, b, len);
		send_udp(&r, r.fd[i % (unsigned long)r.nfd], &o->dst[i % (unsigned long)o->ndst], b,
			 len);
	}
	printf("sent class=relay n=%lu targets=%d sources=%d\n", r.sent, o->ndst, r.nfd);
	printf("expect class=relay no_permission=%lu\n", r.sent);
	return report_end(&r);
}

/* TCP: connect to the signaling port with a 2 s bound on every read. -1 on failure. */
static int tcp_connect(const struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to))) {
		fprintf(stderr, "hostile: connect: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Read into b[*have..cap) until stop(b) holds, EOF or ms pass. True on EOF. */
static bool read_until(int fd, uint8_t *b, size_t cap, size_t *have, int ms,
		       bool (*stop)(const uint8_t *b, size_t n))
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;

	while (!stop(b, *have)) {
		if (poll(&p, 1, ms) <= 0)
			return false;
		n = recv(fd, b + *have, cap - *have, 0);
		if (n <= 0)
			return true;
		*have += (size_t)n;
		if (*have == cap)
			return false;
	}
	return false;
}

static bool head_done(const uint8_t *b, size_t n)
{
	return memmem(b, n, "\r\n\r\n", 4) != NULL;
}

static bool never(const uint8_t *b, size_t n)
{
	(void)b;
	(void)n;
	return false;
}

#define UPGRADE_HEAD(method, ver, extra)                                                    \
	method " /ws " ver "\r\nHost: 127.0.0.1\r\n" extra "\r\n"
#define WS_HEADERS "Upgrade: websocket\r\nConnection: Upgrade\r\n"
#define WS_KEY "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define WS_V13 "Sec-WebSocket-Version: 13\r\n"
#define GOOD_UPGRADE UPGRADE_HEAD("GET", "HTTP/1.1", WS_HEADERS WS_KEY WS_V13)

/* A masked client frame (b0 = FIN/RSV/opcode byte) into out; its length. */
static size_t ws_frame(uint8_t *out, uint8_t b0, const void *payload, size_t len)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t h = 0;

	out[h++] = b0;
	if (len < 126) {
		out[h++] = (uint8_t)(0x80 | len);
	} else {
		out[h++] = 0x80 | 126;
		put16(out + h, (uint16_t)len);
		h += 2;
	}
	memcpy(out + h, key, 4);
	h += 4;
	for (size_t i = 0; i < len; i++)
		out[h + i] = ((const uint8_t *)payload)[i] ^ key[i & 3];
	return h + len;
}

/* A masked frame header announcing len bytes (shortest length form), without the payload. */
static size_t ws_head(uint8_t *out, uint8_t b0, uint64_t len)
{
	size_t ext = len < 126 ? 0 : len <= 0xFFFF ? 2 : 8;

	out[0] = b0;
	out[1] = (uint8_t)(0x80 | (ext == 0 ? len : ext == 2 ? 126 : 127));
	for (size_t i = 0; i < ext; i++)
		out[2 + i] = (uint8_t)(len >> (8 * (ext - 1 - i)));
	memcpy(out + 2 + ext, "\1\2\3\4", 4);
	return 2 + ext + 4;
}

enum { WS_BAD_NR = 24 };
static const struct {
	const char *name;
	int want;
} ws_cases[WS_BAD_NR] = {
	{ "unmasked", 1002 }, { "rsv1", 1002 }, { "rsv2", 1002 }, { "rsv3", 1002 },
	{ "opcode_3", 1002 }, { "opcode_11", 1002 }, { "fragmented_ping", 1002 },
	{ "ping_126_bytes", 1002 }, { "length_2^63", 1002 }, { "non_minimal_length", 1002 },
	{ "over_max_message", 1009 }, { "fragments_over_max_message", 1009 },
	{ "invalid_utf8", 1007 }, { "overlong_utf8", 1007 }, { "surrogate_utf8", 1007 },
	{ "utf8_cut_at_end", 1007 }, { "binary", 1003 }, { "close_code_999", 1002 },
	{ "close_code_1005", 1002 }, { "close_code_5000", 1002 }, { "close_1_byte", 1002 },
	{ "close_reason_bad_utf8", 1007 }, { "continuation_first", 1002 },
	{ "data_inside_fragmented", 1002 },
};

/* The bytes of bad case i into out (room for max_message is not needed: headers only). */
static size_t ws_case(int i, uint8_t *out, unsigned long max_message)
{
	static const uint8_t big[126];
	size_t n;

	switch (i) {
	case 0:
		memcpy(out, "\x81\x02hi", 4);
		return 4;
	case 1: return ws_frame(out, 0xC1, "hi", 2);
	case 2: return ws_frame(out, 0xA1, "hi", 2);
	case 3: return ws_frame(out, 0x91, "hi", 2);
	case 4: return ws_frame(out, 0x83, "hi", 2);
	case 5: return ws_frame(out, 0x8B, "hi", 2);
	case 6: return ws_frame(out, 0x09, "hi", 2);
	case 7: return ws_frame(out, 0x89, big, sizeof(big));
	case 8: return ws_head(out, 0x81, 1ull << 63);
	case 9:
		memcpy(out, "\x81\xfe\x00\x02\1\2\3\4hi", 10);
		return 10;
	case 10: return ws_head(out, 0x81, (uint64_t)max_message + 1);
	case 11:
		n = ws_frame(out, 0x01, big, 100);
		return n + ws_head(out + n, 0x80, (uint64_t)max_message - 50);
	case 12: return ws_frame(out, 0x81, "\xc3\x28", 2);
	case 13: return ws_frame(out, 0x81, "\xc0\xaf", 2);
	case 14: return ws_frame(out, 0x81, "\xed\xa0\x80", 3);
	case 15:
		n = ws_frame(out, 0x01, "a\xe2\x82", 3);
		return n + ws_frame(out + n, 0x80, "", 0);
	case 16: return ws_frame(out, 0x82, "hi", 2);
	case 17: return ws_frame(out, 0x88, "\x03\xe7", 2);
	case 18: return ws_frame(out, 0x88, "\x03\xed", 2);
	case 19: return ws_frame(out, 0x88, "\x13\x88", 2);
	case 20: return ws_frame(out, 0x88, "\x03", 1);
	case 21: return ws_frame(out, 0x88, "\x03\xe8\xff", 3);
	case 22: return ws_frame(out, 0x80, "hi", 2);
	default:
		n = ws_frame(out, 0x01, "a", 1);
		return n + ws_frame(out + n, 0x81, "b", 1);
	}
}

/* One server frame at b[0..n): its opcode, payload and size; 0 when incomplete. */
static size_t server_frame(const uint8_t *b, size_t n, int *op, const uint8_t **p, size_t *plen)
{
	size_t h = 2, len;

	if (n < 2)
		return 0;
	len = b[1] & 0x7F;
	if (len == 126) {
		if (n < 4)
			return 0;
		len = get16(b + 2);
		h = 4;
	} else if (len == 127) {
		return 0;	/* the server never sends one here */
	}
	if (n < h + len)
		return 0;
	*op = b[0] & 0x0F;
	*p = b + h;
	*plen = len;
	return h + len;
}

static bool has_close(const uint8_t *b, size_t n)
{
	const uint8_t *p;
	size_t plen, used;
	int op;

	while ((used = server_frame(b, n, &op, &p, &plen))) {
		if (op == 0x8)
			return true;
		b += used;
		n -= used;
	}
	return false;
}

/*
 * Upgrade, send the bytes, read frames until the server's close: its code (1005 when it
 * has none, -1 when none came), *pong when a pong carried "hello", *eof when the server
 * then closed the connection.
 */
static int ws_exchange(const struct sockaddr_in *to, const uint8_t *bytes, size_t len,
		       bool *pong, bool *eof)
{
	uint8_t b[8192];
	const uint8_t *p, *e;
	size_t have = 0, plen, used;
	int fd = tcp_connect(to), op, code = -1;

	*pong = *eof = false;
	if (fd < 0)
		return -1;
	if (send(fd, GOOD_UPGRADE, strlen(GOOD_UPGRADE), MSG_NOSIGNAL) < 0)
		goto out;
	read_until(fd, b, sizeof(b), &have, 2000, head_done);
	e = memmem(b, have, "\r\n\r\n", 4);
	if (!e || memcmp(b, "HTTP/1.1 101 ", 13))
		goto out;
	have -= (size_t)(e + 4 - b);
	memmove(b, e + 4, have);
	if (send(fd, bytes, len, MSG_NOSIGNAL) < 0)
		goto out;
	*eof = read_until(fd, b, sizeof(b), &have, 2000, has_close);
	for (p = b; (used = server_frame(p, have - (size_t)(p - b), &op, &e, &plen)); p += used) {
		if (op == 0xA && plen == 5 && !memcmp(e, "hello", 5))
			*pong = true;
		if (op == 0x8) {
			code = plen >= 2 ? get16(e) : 1005;
			break;
		}
	}
	if (!*eof) {
		have = 0;
		*eof = read_until(fd, b, sizeof(b), &have, 2000, never);
	}
out:
	close(fd);
	return code;
}

/* Bad HTTP upgrades: each answered with its status, then the connection closed. */
static const struct {
	const char *name, *head;
	int want;
} http_cases[] = {
	{ "post", UPGRADE_HEAD("POST", "HTTP/1.1", WS_HEADERS WS_KEY WS_V13), 405 },
	{ "http_1_0", UPGRADE_HEAD("GET", "HTTP/1.0", WS_HEADERS WS_KEY WS_V13), 400 },
	{ "no_upgrade", UPGRADE_HEAD("GET", "HTTP/1.1", "Connection: Upgrade\r\n" WS_KEY WS_V13),
	  400 },
	{ "no_key", UPGRADE_HEAD("GET", "HTTP/1.1", WS_HEADERS WS_V13), 400 },
	{ "short_key", UPGRADE_HEAD("GET", "HTTP/1.1", WS_HEADERS "Sec-WebSocket-Key: c2hvcnQ=\r\n"
				    WS_V13), 400 },
	{ "version_12", UPGRADE_HEAD("GET", "HTTP/1.1", WS_HEADERS WS_KEY
				     "Sec-WebSocket-Version: 12\r\n"), 426 },
	{ "no_host", "GET /ws HTTP/1.1\r\n" WS_HEADERS WS_KEY WS_V13 "\r\n", 400 },
	{ "binary_junk", "\x16\x03\x01\x02\xff\x01\r\n\r\n", 400 },
	{ "head_over_8k", NULL, 431 },
};

static int http_exchange(const struct sockaddr_in *to, const char *head)
{
	uint8_t b[4096];
	char big[9000];
	size_t have = 0;
	int fd = tcp_connect(to), status = -1;

	if (fd < 0)
		return -1;
	if (!head) {	/* a head that never ends: 9000 bytes without the blank line */
		memset(big, 'a', sizeof(big));
		memcpy(big, "GET /ws HTTP/1.1\r\nX-Pad: ", 25);
		send(fd, big, sizeof(big), MSG_NOSIGNAL);
	} else {
		send(fd, head, strlen(head), MSG_NOSIGNAL);
	}
	read_until(fd, b, sizeof(b) - 1, &have, 2000, head_done);
	b[have] = 0;
	if (have > 12 && !memcmp(b, "HTTP/1.1 ", 9))
		status = atoi((const char *)b + 9);
	close(fd);
	return status;
}

static int mode_ws(const struct opts *o)
{
	static uint8_t frame[256];
	uint8_t good[64];
	unsigned long nhttp = sizeof(http_cases) / sizeof(http_cases[0]);
	int code, fails = 0;
	size_t n;
	bool pong, eof;

	for (int i = 0; i < WS_BAD_NR; i++) {
		n = ws_case(i, frame, o->max_message);
		code = ws_exchange(&o->dst[0], frame, n, &pong, &eof);
		fails += code < 0;
		printf("ws case=%s close=%d want=%d eof=%d\n", ws_cases[i].name, code,
		       ws_cases[i].want, eof);
	}
	n = ws_frame(good, 0x89, "hello", 5);	/* a ping, then a proper close: no error */
	n += ws_frame(good + n, 0x88, "\x03\xe8" "bye", 5);
	code = ws_exchange(&o->dst[0], good, n, &pong, &eof);
	printf("ws case=ping_then_close close=%d want=1000 eof=%d pong=%d\n", code, eof, pong);
	for (size_t i = 0; i < nhttp; i++) {
		code = http_exchange(&o->dst[0], http_cases[i].head);
		fails += code < 0;
		printf("http case=%s status=%d want=%d\n", http_cases[i].name, code,
		       http_cases[i].want);
	}
	printf("sent class=ws n=%d bad=%d good=1\nexpect class=ws protocol_errors=%d upgrades=%d\n",
	       WS_BAD_NR + 1, WS_BAD_NR, WS_BAD_NR, WS_BAD_NR + 1);
	printf("sent class=http n=%lu\nexpect class=http http_errors=%lu\n", nhttp, nhttp);
	return fails ? 1 : 0;
}

static int parse_addr(const char *s, struct sockaddr_in *a)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	char *end;
	unsigned long port;

	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = 0;
	port = strtoul(colon + 1, &end, 10);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	if (*end || !port || port > 65535)
		return -1;
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

/* "N,N,..." (decimal or 0x hex) into o->chans. */
static int parse_chans(const char *s, struct opts *o)
{
	char *end;

	while (*s && o->nchans < MAX_CHANS) {
		unsigned long v = strtoul(s, &end, 0);

		if (end == s || v < 0x4000 || v > 0x7FFE)
			return -1;
		o->chans[o->nchans++] = (uint16_t)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return 0;
}

/* "A,B" or repeated options: each comma-separated address of an -d or -F argument. */
static int parse_addrs(char *s, struct sockaddr_in *v, int *n)
{
	for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
		if (*n >= MAX_ADDRS || parse_addr(tok, &v[*n]))
			return -1;
		(*n)++;
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: hostile random|stun|mutated|spoof|stale|relay|ws [-s SEED] "
			"[-n COUNT] [-t SECONDS] [-r RATE]\n"
			"       [-d ADDR:PORT[,...]]... [-f IP]... [-F IP:PORT]... [-C CHAN,...] "
			"[-M MAX_MESSAGE]\n");
	return 2;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){ .seed = 1, .count = 1000, .secs = 10, .rate = 20000,
			    .max_message = 65536 };
	if (argc < 2)
		return -1;
	o->mode = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "s:n:t:r:d:f:F:C:M:")) != -1) {
		switch (c) {
		case 's': o->seed = strtoull(optarg, NULL, 0); break;
		case 'n': o->count = strtoul(optarg, NULL, 0); break;
		case 't': o->secs = atof(optarg); break;
		case 'r': o->rate = atof(optarg); break;
		case 'M': o->max_message = strtoul(optarg, NULL, 0); break;
		case 'd':
			if (parse_addrs(optarg, o->dst, &o->ndst))
				return -1;
			break;
		case 'F':
			if (parse_addrs(optarg, o->forge, &o->nforge))
				return -1;
			break;
		case 'f':
			if (o->nfrom >= MAX_ADDRS ||
			    inet_pton(AF_INET, optarg, &o->from[o->nfrom]) != 1)
				return -1;
			o->nfrom++;
			break;
		case 'C':
			if (parse_chans(optarg, o))
				return -1;
			break;
		default:
			return -1;
		}
	}
	return optind == argc && o->ndst && o->rate > 0 && o->max_message > 100 ? 0 : -1;
}

static const struct {
	const char *name;
	int (*fn)(const struct opts *o);
} modes[] = {
	{ "random", mode_random }, { "stun", mode_stun }, { "mutated", mode_mutated },
	{ "spoof", mode_spoof }, { "stale", mode_stale }, { "relay", mode_relay },
	{ "ws", mode_ws },
};

int main(int argc, char **argv)
{
	struct opts o;
	int rc = 2;

	if (parse_opts(argc, argv, &o))
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(o.mode, modes[i].name))
			rc = modes[i].fn(&o);
	return rc == 2 ? usage() : rc;
}
