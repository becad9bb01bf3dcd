/* turn_relay.c - permissions, channels and the userspace data path (Send/Data, ChannelData). */
#include "turn_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "chandata.h"
#include "log.h"

static struct turn_perm *perm_find(struct allocation *a, const sockaddr_u *ip, uint64_t now_ms)
{
	for (int i = 0; i < a->nperms; i++)
		if (a->perms[i].expires > now_ms && addr_equal_ip(&a->perms[i].ip, ip))
			return &a->perms[i];
	return NULL;
}

/* Make *v (of *cap items of sz bytes) hold at least want items. 0 or -ENOMEM. */
static int grow(void **v, int *cap, int want, size_t sz)
{
	int n = *cap ? *cap : 4;
	void *nv;

	if (want <= *cap)
		return 0;
	while (n < want)
		n *= 2;
	nv = realloc(*v, (size_t)n * sz);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	*cap = n;
	return 0;
}

/* Room for nperms permissions and nchans channels in all. 0 or -ENOMEM. */
int turn_reserve(struct allocation *a, int nperms, int nchans)
{
	if (grow((void **)&a->perms, &a->cap_perms, nperms, sizeof(*a->perms)) ||
	    grow((void **)&a->chans, &a->cap_chans, nchans, sizeof(*a->chans)))
		return -ENOMEM;
	return 0;
}

/*
 * Bandwidth (RFC 8656 leaves it to the server; coturn's max-bps): a bucket of bps_burst bytes
 * per direction (0 c2p, 1 p2c), refilled at max_bps, kept as the time it is full again
 * (tat_ns, GCRA's theoretical arrival time). A datagram goes through while the bucket is not
 * empty, then takes its bytes out (which may leave it owing): so any size passes at the
 * rate, and the XDP program does exactly the same in the kernel. True: send it.
 */
bool turn_bw_admit(struct allocation *a, int dir, size_t len, uint64_t now_ms)
{
	struct turn_server *s = a->srv;
	uint64_t now = now_ms * 1000000ull, t;

	if (!s->p.max_bps)
		return true;
	t = a->tat_ns[dir] > now ? a->tat_ns[dir] : now;
	if (t >= now + s->bps_tau_ns) {
		s->st.limit_hits[LIMIT_BANDWIDTH]++;
		return false;
	}
	a->tat_ns[dir] = t + (uint64_t)len * 1000000000ull / s->p.max_bps;
	return true;
}

/* Install or refresh a permission for ip. Caller has reserved the room. */
static void perm_install(struct allocation *a, const sockaddr_u *ip, uint64_t now_ms)
{
	uint64_t until = now_ms + a->srv->p.perm_lifetime * 1000ull;
	struct turn_perm *p = NULL;

	for (int i = 0; i < a->nperms && !p; i++)
		if (addr_equal_ip(&a->perms[i].ip, ip))
			p = &a->perms[i];
	if (!p) {
		p = &a->perms[a->nperms++];
		p->ip = *ip;
		addr_set_port(&p->ip, 0);
		a->srv->st.permissions++;
	}
	p->expires = until;
}

static bool perm_exists(const struct allocation *a, const sockaddr_u *ip)
{
	for (int i = 0; i < a->nperms; i++)
		if (addr_equal_ip(&a->perms[i].ip, ip))
			return true;
	return false;
}

static struct turn_chan *chan_by_num(struct allocation *a, uint16_t num)
{
	for (int i = 0; i < a->nchans; i++)
		if (a->chans[i].num == num)
			return &a->chans[i];
	return NULL;
}

static struct turn_chan *chan_by_peer(struct allocation *a, const sockaddr_u *peer)
{
	for (int i = 0; i < a->nchans; i++)
		if (addr_equal(&a->chans[i].peer, peer))
			return &a->chans[i];
	return NULL;
}

static int relay_for(const struct allocation *a, int af)
{
	for (int i = 0; i < a->nrelay; i++)
		if (a->relayed[i].sa.sa_family == af)
			return a->relay[i];
	return -1;
}

/* Expire permissions and channels whose time has come. True if anything changed. */
bool turn_alloc_sweep(struct allocation *a, uint64_t now_ms)
{
	struct turn_server *s = a->srv;
	bool changed = false;
	int i = 0;

	while (i < a->nperms) {
		if (a->perms[i].expires > now_ms) {
			i++;
			continue;
		}
		a->perms[i] = a->perms[--a->nperms];
		s->st.permissions--;
		changed = true;
	}
	i = 0;
	while (i < a->nchans) {
		struct turn_chan *c = &a->chans[i];

		if (c->live && c->expires <= now_ms) {
			c->live = false;
			s->st.channels--;
			changed = true;
		}
		if (!c->live && c->expires + TURN_CHAN_QUARANTINE_S * 1000ull <= now_ms) {
			*c = a->chans[--a->nchans];
			continue;
		}
		i++;
	}
	return changed;
}

static void log_refused(const struct req *r, const sockaddr_u *peer)
{
	char pa[ADDR_STRLEN], ca[ADDR_STRLEN];

	pr_info("peer refused peer=%s client=%s user=\"%s\" reason=policy code=403",
		addr_format_ip(peer, pa, sizeof(pa)), addr_format(&r->t->client, ca, sizeof(ca)),
		r->user);
}

/*
 * Read an XOR-PEER-ADDRESS and judge it: 0 ok, else the error code (400 malformed,
 * 443 family without a relayed address, 403 refused by the peer policy).
 */
static int check_peer(struct req *r, const struct stun_attr *pa, sockaddr_u *peer)
{
	if (stun_get_xaddr(r->m, pa, peer))
		return 400;
	addr_unmap_v4(peer);
	if (relay_for(r->a, peer->sa.sa_family) < 0)
		return 443;
	if (!peer_allowed(r->s->policy, peer)) {
		log_refused(r, peer);
		return 403;
	}
	return 0;
}

/* Is peers[n] the same IP as one of peers[0..n-1]? */
static bool seen_before(const sockaddr_u *peers, int n)
{
	for (int i = 0; i < n; i++)
		if (addr_equal_ip(&peers[i], &peers[n]))
			return true;
	return false;
}

static void reply_ok(struct req *r)
{
	struct stun_writer w;

	turn_reply_begin(r, &w, STUN_SUCCESS);
	turn_reply_send(r, &w);
}

/* Over max_perms (or out of memory): 508, counted and logged. */
static void perm_limit(struct req *r, int want)
{
	char ca[ADDR_STRLEN];

	if (want > (int)r->s->p.max_perms) {
		r->s->st.limit_hits[LIMIT_PERMISSIONS]++;
		pr_info("permission refused id=%llu client=%s reason=max_permissions limit=%u "
			"code=508", (unsigned long long)r->a->id,
			addr_format(&r->t->client, ca, sizeof(ca)), r->s->p.max_perms);
	}
	turn_reply_error(r, 508);
}

void turn_create_permission(struct req *r)
{
	struct allocation *a = r->a;
	sockaddr_u peers[STUN_MAX_ATTRS];
	int n = 0, fresh = 0, code;

	turn_alloc_sweep(a, r->now->ms);
	for (size_t i = 0; i < r->m->nattrs && n < STUN_MAX_ATTRS; i++) {
		const struct stun_attr *at = &r->m->attrs[i];

		if (at->type != STUN_A_XOR_PEER_ADDRESS)
			continue;
		code = check_peer(r, at, &peers[n]);
		if (code) {
			turn_reply_error(r, code);
			return;
		}
		if (!perm_exists(a, &peers[n]) && !seen_before(peers, n))
			fresh++;
		n++;
	}
	if (!n) {
		turn_reply_error(r, 400);
		return;
	}
	if (a->nperms + fresh > (int)r->s->p.max_perms ||
	    turn_reserve(a, a->nperms + fresh, a->nchans)) {
		perm_limit(r, a->nperms + fresh);
		return;
	}
	for (int i = 0; i < n; i++)
		perm_install(a, &peers[i], r->now->ms);
	turn_alloc_rearm(a, r->now->ms);
	turn_fwd_notify(a);
	reply_ok(r);
}

/*
 * RFC 8656 11.2: a number bound to another peer, or a peer bound to another number: 400.
 * A new channel over the allocation's limit: 508 (counted, logged); a new permission over
 * it: answered here, -1. 0: go ahead, the room is reserved.
 */
static int bind_conflict(struct req *r, uint16_t num, const sockaddr_u *peer)
{
	struct allocation *a = r->a;
	struct turn_chan *by_num = chan_by_num(a, num), *by_peer = chan_by_peer(a, peer);
	bool new_perm = !perm_exists(a, peer);
	char ca[ADDR_STRLEN];

	if (by_num && !addr_equal(&by_num->peer, peer))
		return 400;
	if (by_peer && by_peer->num != num)
		return 400;
	if (!by_num && a->nchans >= (int)r->s->p.max_chans) {
		r->s->st.limit_hits[LIMIT_CHANNELS]++;
		pr_info("channel refused id=%llu client=%s reason=max_channels limit=%u code=508",
			(unsigned long long)a->id, addr_format(&r->t->client, ca, sizeof(ca)),
			r->s->p.max_chans);
		return 508;
	}
	if (new_perm && a->nperms >= (int)r->s->p.max_perms) {
		perm_limit(r, a->nperms + 1);
		return -1;	/* answered */
	}
	if (turn_reserve(a, a->nperms + new_perm, a->nchans + !by_num))
		return 508;
	return 0;
}

void turn_channel_bind(struct req *r)
{
	const struct stun_attr *ca = stun_find(r->m, STUN_A_CHANNEL_NUMBER);
	const struct stun_attr *pa = stun_find(r->m, STUN_A_XOR_PEER_ADDRESS);
	struct allocation *a = r->a;
	sockaddr_u peer;
	struct turn_chan *c;
	uint16_t num;
	int code;

	turn_alloc_sweep(a, r->now->ms);
	if (!ca || !pa || stun_get_channel(ca, &num) ||
	    !(r->s->p.legacy_channels ? chan_valid(num) : chan_valid_strict(num))) {
		pr_debug("channel bind malformed chan_attr=%d peer_attr=%d chan=0x%04x", !!ca,
			 !!pa, ca && ca->len >= 2 ? ca->val[0] << 8 | ca->val[1] : 0);
		turn_reply_error(r, 400);
		return;
	}
	code = check_peer(r, pa, &peer);
	if (!code)
		code = bind_conflict(r, num, &peer);
	if (code) {
		if (code > 0)
			turn_reply_error(r, code);
		return;
	}
	c = chan_by_num(a, num);
	if (!c) {
		c = &a->chans[a->nchans++];
		c->num = num;
		c->peer = peer;
		c->live = false;
	}
	if (!c->live) {
		c->live = true;
		r->s->st.channels++;
	}
	c->expires = r->now->ms + r->s->p.chan_lifetime * 1000ull;
	perm_install(a, &peer, r->now->ms);
	turn_alloc_rearm(a, r->now->ms);
	turn_fwd_notify(a);
	reply_ok(r);
}

static void relay_to_peer(struct turn_server *s, struct allocation *a, const sockaddr_u *peer,
			  const uint8_t *data, size_t len, bool df, uint64_t now_ms)
{
	int h = relay_for(a, peer->sa.sa_family);

	if (!turn_bw_admit(a, 0, len, now_ms))
		return;
	s->ops.send_peer(s->ops.ctx, h, peer, data, len, df);
	a->pkts_c2p++;
	a->bytes_c2p += len;
	s->st.pkts_c2p++;
	s->st.bytes_c2p += len;
}

void turn_send_indication(struct turn_server *s, const struct turn_tuple *t,
			  const struct stun_msg *m, const struct turn_clock *now)
{
	const struct stun_attr *pa = stun_find(m, STUN_A_XOR_PEER_ADDRESS);
	const struct stun_attr *da = stun_find(m, STUN_A_DATA);
	struct allocation *a = turn_find(s, t);
	sockaddr_u peer;

	if (!a) {
		s->st.drops[DROP_NO_ALLOCATION]++;
		return;
	}
	if (!pa || !da || stun_get_xaddr(m, pa, &peer)) {
		s->st.drops[DROP_MALFORMED]++;
		return;
	}
	addr_unmap_v4(&peer);
	if (relay_for(a, peer.sa.sa_family) < 0 || !perm_find(a, &peer, now->ms)) {
		s->st.drops[DROP_NO_PERMISSION]++;
		return;
	}
	if (!peer_allowed(s->policy, &peer)) {
		s->st.drops[DROP_POLICY]++;
		return;
	}
	relay_to_peer(s, a, &peer, da->val, da->len, stun_find(m, STUN_A_DONT_FRAGMENT) != NULL,
		      now->ms);
}

void turn_client_chandata(struct turn_server *s, const struct turn_tuple *t, const uint8_t *buf,
			  size_t len, const struct turn_clock *now)
{
	struct allocation *a = turn_find(s, t);
	const uint8_t *data;
	uint16_t num, dlen;
	size_t used;
	struct turn_chan *c;

	if (!a) {
		s->st.drops[DROP_NO_ALLOCATION]++;
		return;
	}
	if (chandata_parse(buf, len, t->proto != IPPROTO_UDP, &num, &data, &dlen, &used)) {
		s->st.drops[DROP_MALFORMED]++;
		return;
	}
	c = chan_by_num(a, num);
	if (!c || !c->live || c->expires <= now->ms) {
		s->st.drops[DROP_NO_CHANNEL]++;
		return;
	}
	if (!perm_find(a, &c->peer, now->ms)) {
		s->st.drops[DROP_NO_PERMISSION]++;
		return;
	}
	relay_to_peer(s, a, &c->peer, data, dlen, false, now->ms);
}

/* Send peer data as a Data indication; -EMSGSIZE (counted) when it cannot fit one. */
static int data_indication(struct turn_server *s, struct allocation *a, const sockaddr_u *peer,
			   const uint8_t *buf, size_t len)
{
	struct stun_writer w;
	uint8_t tid[STUN_TID_LEN];
	uint64_t ctr = ++s->ind_seq ^ 0x5bd1e995a5a5a5a5ull;
	int n;

	memcpy(tid, &ctr, sizeof(ctr));
	memcpy(tid + 8, &a->id, 4);
	stun_begin(&w, s->out, sizeof(s->out), TURN_DATA, STUN_INDICATION, tid);
	stun_put_xaddr(&w, STUN_A_XOR_PEER_ADDRESS, peer);
	stun_put(&w, STUN_A_DATA, buf, len);
	n = stun_end(&w);
	if (n < 0) {
		s->st.drops[DROP_MALFORMED]++;
		return -EMSGSIZE;
	}
	s->ops.send_client(s->ops.ctx, &a->tuple, s->out, (size_t)n);
	return 0;
}

void turn_on_peer(struct turn_server *s, int handle, const sockaddr_u *from, const uint8_t *buf,
		  size_t len, const struct turn_clock *now)
{
	struct allocation *a = handle >= 0 && (size_t)handle < s->nhandles ? s->by_handle[handle]
									    : NULL;
	sockaddr_u peer = *from;
	struct turn_chan *c;
	int n;

	if (!a) {
		s->st.drops[DROP_NO_ALLOCATION]++;
		return;
	}
	addr_unmap_v4(&peer);
	if (!perm_find(a, &peer, now->ms)) {
		s->st.drops[DROP_NO_PERMISSION]++;
		return;
	}
	if (!turn_bw_admit(a, 1, len, now->ms))
		return;
	c = chan_by_peer(a, &peer);
	if (c && c->live && c->expires > now->ms) {
		n = chandata_build(s->out, sizeof(s->out), c->num, buf, len,
				   a->tuple.proto != IPPROTO_UDP);
		if (n < 0) {
			s->st.drops[DROP_MALFORMED]++;
			return;
		}
		s->ops.send_client(s->ops.ctx, &a->tuple, s->out, (size_t)n);
	} else if (data_indication(s, a, &peer, buf, len)) {
		return;
	}
	a->pkts_p2c++;
	a->bytes_p2c += len;
	s->st.pkts_p2c++;
	s->st.bytes_p2c += len;
}
