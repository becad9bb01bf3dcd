/* test_state.c - the state file: real loopback relays saved and rebuilt, hostile files refused. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "loop.h"
#include "policy.h"
#include "state.h"
#include "stun.h"
#include "tap.h"
#include "turn.h"
#include "turn_client.h"
#include "udp.h"
#include "udp_rig.h"

#define REALM "example.org"
#define USER "alice"
#define PASS "s3cret"
#define FIRST_ID 1000
#define MAX_SNAP 8
#define MAX_ENT 8
#define DOC_PEER "198.51.100.7:6000"	/* documentation peers, allowed by the default policy */
#define DOC_PEER2 "203.0.113.9:7000"
#define BIG "99999999999999999999999"	/* overflows uint64_t */
#define ANY_REJECT (-1000)		/* want: 0 (ignored) or -EINVAL, nothing restored */

/* An allocation's forwarding state, copied out of turn_foreach_fwd. */
struct fwd_snap {
	uint64_t id, expires;
	char user[AUTH_MAX_NAME + 1];
	uint8_t key[AUTH_KEY_LEN];
	struct turn_tuple tuple;
	sockaddr_u relayed[2], local[2];
	int nrelay, nperms, nchans;
	struct turn_perm perms[MAX_ENT];
	struct turn_chan chans[MAX_ENT];
};

struct snap {
	int n;
	struct fwd_snap f[MAX_SNAP];
	struct turn_alloc_info ai[MAX_SNAP];
};

static struct auth *g_auth;
static struct peer_policy g_pol;
static char g_dir[64];
static char g_path[128];
static char g_boot[64];

/* --- sockets and files --- */

/* Can a fresh socket bind 127.0.0.1:port (the port is free)? */
static bool port_free(uint16_t port)
{
	char s[32];
	int fd;

	snprintf(s, sizeof(s), "127.0.0.1:%u", port);
	fd = udp_bound(s);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		die("opendir /proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "w");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		die("write state file");
}

/* The whole file, NUL-terminated (*len without the NUL); NULL when it cannot be read. */
static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n) {
			buf[n] = 0;
			*len = (size_t)n;
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

/* --- the daemon under test --- */

static void rig_must(struct rig *r, const sockaddr_u *listen)
{
	if (rig_up(r, listen, g_auth, &g_pol, FIRST_ID))
		die("rig_up");
}

/* --- snapshots of the core --- */

static void snap_fwd(const struct turn_fwd *f, void *arg)
{
	struct snap *s = arg;
	struct fwd_snap *x;

	if (s->n == MAX_SNAP)
		return;
	x = &s->f[s->n++];
	memset(x, 0, sizeof(*x));
	x->id = f->id;
	x->expires = f->expires;
	snprintf(x->user, sizeof(x->user), "%s", f->user);
	memcpy(x->key, f->key, AUTH_KEY_LEN);
	x->tuple = *f->tuple;
	x->nrelay = f->nrelay;
	for (int i = 0; i < f->nrelay && i < 2; i++) {
		x->relayed[i] = f->relayed[i];
		x->local[i] = sock_name(f->relay[i]);
	}
	x->nperms = f->nperms;
	for (int i = 0; i < f->nperms && i < MAX_ENT; i++)
		x->perms[i] = f->perms[i];
	x->nchans = f->nchans;
	for (int i = 0; i < f->nchans && i < MAX_ENT; i++)
		x->chans[i] = f->chans[i];
}

static int snap_info(const struct turn_alloc_info *ai, void *arg)
{
	struct snap *s = arg;

	for (int i = 0; i < s->n; i++)
		if (s->f[i].id == ai->id)
			s->ai[i] = *ai;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct fwd_snap *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Every allocation of r, sorted by id, as turn_foreach_fwd and turn_foreach_alloc see it. */
static void snapshot(const struct rig *r, uint64_t now_ms, struct snap *s)
{
	memset(s, 0, sizeof(*s));
	turn_foreach_fwd(r->turn, snap_fwd, s);
	qsort(s->f, (size_t)s->n, sizeof(s->f[0]), by_id);
	turn_foreach_alloc(r->turn, now_ms, snap_info, s);
}

static int alloc_count(const struct rig *r)
{
	struct snap s;

	snapshot(r, loop_now_ms(), &s);
	return s.n;
}

static const struct fwd_snap *snap_find(const struct snap *s, uint64_t id)
{
	for (int i = 0; i < s->n; i++)
		if (s->f[i].id == id)
			return &s->f[i];
	return NULL;
}

static void diag_allocs(const struct rig *r)
{
	struct snap s;
	char cs[ADDR_STRLEN];

	snapshot(r, loop_now_ms(), &s);
	for (int i = 0; i < s.n; i++)
		diag("restored id=%llu client=%s user_len=%zu permissions=%d channels=%d",
		     (unsigned long long)s.f[i].id,
		     addr_format(&s.f[i].tuple.client, cs, sizeof(cs)), strlen(s.f[i].user),
		     s.f[i].nperms, s.f[i].nchans);
}

/* Release everything r holds (relays closed), so the next case starts empty. */
static void kill_all(struct rig *r)
{
	struct snap s;

	snapshot(r, loop_now_ms(), &s);
	for (int i = 0; i < s.n; i++)
		turn_kill_alloc(r->turn, s.f[i].id);
}

static bool tuple_same(const struct turn_tuple *a, const struct turn_tuple *b)
{
	return a->proto == b->proto && a->lid == b->lid && addr_equal(&a->client, &b->client) &&
	       addr_equal(&a->server, &b->server);
}

static bool perms_same(const struct fwd_snap *a, const struct fwd_snap *b)
{
	if (a->nperms != b->nperms)
		return false;
	for (int i = 0; i < a->nperms && i < MAX_ENT; i++)
		if (!addr_equal(&a->perms[i].ip, &b->perms[i].ip) ||
		    a->perms[i].expires != b->perms[i].expires)
			return false;
	return true;
}

static bool chans_same(const struct fwd_snap *a, const struct fwd_snap *b)
{
	if (a->nchans != b->nchans)
		return false;
	for (int i = 0; i < a->nchans && i < MAX_ENT; i++)
		if (a->chans[i].num != b->chans[i].num || a->chans[i].live != b->chans[i].live ||
		    !addr_equal(&a->chans[i].peer, &b->chans[i].peer) ||
		    a->chans[i].expires != b->chans[i].expires)
			return false;
	return true;
}

/* Compare one restored allocation field by field with the one that was saved. */
static void check_same(const struct snap *was, const struct snap *now, int i)
{
	const struct fwd_snap *a = &was->f[i], *b = &now->f[i];
	const struct turn_alloc_info *x = &was->ai[i], *y = &now->ai[i];

	is_int(b->id, a->id, "alloc %d: same id", i);
	ok(!strcmp(b->user, a->user) && !strcmp(y->user, x->user), "alloc %d: same user", i);
	is_mem(b->key, a->key, AUTH_KEY_LEN, "alloc %d: same key", i);
	ok(tuple_same(&b->tuple, &a->tuple) && tuple_same(&y->tuple, &x->tuple),
	   "alloc %d: same client 5-tuple", i);
	is_int(b->nrelay, a->nrelay, "alloc %d: same relay count", i);
	ok(addr_equal(&b->relayed[0], &a->relayed[0]) && addr_equal(&y->relayed[0],
								   &x->relayed[0]),
	   "alloc %d: same relayed address", i);
	ok(addr_equal(&b->local[0], &a->local[0]), "alloc %d: relay socket bound on the same port",
	   i);
	is_int(b->expires, a->expires, "alloc %d: same expiry", i);
	is_int(y->npermissions, x->npermissions, "alloc %d: same permission count", i);
	is_int(y->nchannels, x->nchannels, "alloc %d: same channel count", i);
	ok(perms_same(a, b), "alloc %d: permissions identical (peers, expiries)", i);
	ok(chans_same(a, b), "alloc %d: channels identical (numbers, peers, expiries)", i);
}

/* --- (1) round trip --- */

/* Three allocations: c[0] with 2 permissions and 2 channels, c[1] with one permission. */
static void make_three(struct rig *r, struct client c[3], const sockaddr_u *peer)
{
	char ps[ADDR_STRLEN];

	addr_format(peer, ps, sizeof(ps));
	for (int i = 0; i < 3; i++) {
		client_open(&c[i], r, USER, PASS);
		is_int(do_allocate(r, &c[i]), 0, "allocate %d", i);
	}
	is_int(do_perm(r, &c[0], ps), 0, "c0: CreatePermission 127.0.0.1 (the local peer)");
	is_int(do_perm(r, &c[0], DOC_PEER), 0, "c0: CreatePermission " DOC_PEER);
	is_int(do_chan(r, &c[0], 0x4000, ps), 0, "c0: ChannelBind 0x4000 to the local peer");
	is_int(do_chan(r, &c[0], 0x4001, DOC_PEER), 0, "c0: ChannelBind 0x4001 to " DOC_PEER);
	is_int(do_perm(r, &c[1], DOC_PEER2), 0, "c1: CreatePermission " DOC_PEER2);
}

static void close_clients(struct client *c, int n)
{
	for (int i = 0; i < n; i++)
		close(c[i].fd);
}

/* The A line the file must hold for c, up to the expiry. */
static void expect_a_prefix(const struct fwd_snap *f, char *out, size_t len)
{
	char key[2 * AUTH_KEY_LEN + 1], cs[ADDR_STRLEN], ss[ADDR_STRLEN];

	for (int i = 0; i < AUTH_KEY_LEN; i++)
		sprintf(key + 2 * i, "%02x", f->key[i]);
	snprintf(out, len, "\nA %llu 616c696365 %s 17 %s %s %llu ", (unsigned long long)f->id, key,
		 addr_format(&f->tuple.client, cs, sizeof(cs)),
		 addr_format(&f->tuple.server, ss, sizeof(ss)), (unsigned long long)f->expires);
}

static void check_file_text(const char *text, const struct snap *s)
{
	char want[512];
	int nA = 0, nP = 0, nC = 0, nE = 0;

	ok(!strncmp(text, "turnd-state 1 ", 14) && strstr(text, g_boot),
	   "file: header names the format and this boot");
	for (const char *p = strchr(text, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
		nA += p[1] == 'A';
		nP += p[1] == 'P';
		nC += p[1] == 'C';
		nE += p[1] == 'E' && p[2] == '\n';
	}
	is_int(nA, 3, "file: 3 A lines");
	is_int(nP, 3, "file: 3 P lines");
	is_int(nC, 2, "file: 2 C lines");
	is_int(nE, 3, "file: 3 E lines");
	ok(strlen(text) > 4 && !strcmp(text + strlen(text) - 4, "END\n"), "file: ends with END");
	expect_a_prefix(&s->f[0], want, sizeof(want));
	ok(strstr(text, want) != NULL, "file: c0's A line (id, hex user, key, tuple, expiry)");
	if (!strstr(text, want))
		diag("missing %s", want + 1);
}

/* Peer data to the restored relays: c0 (channel 0x4000) gets ChannelData, c2 drops it. */
static void check_relays_live(struct rig *r, struct client c[3], int peer)
{
	static const uint8_t want[] = { 0x40, 0x00, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o' };
	const struct turn_stats *st = turn_get_stats(r->turn);
	uint64_t p2c = st->pkts_p2c, nop = st->drops[DROP_NO_PERMISSION];
	uint8_t buf[256];
	sockaddr_u from;
	ssize_t n;

	sendto(peer, "hello", 5, 0, &c[0].relayed.sa, addr_len(&c[0].relayed));
	sendto(peer, "hello", 5, 0, &c[2].relayed.sa, addr_len(&c[2].relayed));
	rig_pump(r, 200);
	is_int(st->pkts_p2c - p2c, 1, "peer -> restored relay of c0: relayed to the client");
	is_int(st->drops[DROP_NO_PERMISSION] - nop, 1,
	       "peer -> restored relay of c2 (no permission): dropped by the core");
	n = recv_wait(c[0].fd, buf, sizeof(buf), 1000, &from);
	ok(n >= (ssize_t)sizeof(want) && !memcmp(buf, want, sizeof(want)),
	   "c0 receives ChannelData 0x4000 \"hello\" from the restored channel");
	ok(n > 0 && addr_equal(&from, &r->listen), "... sent from the listen address");
}

/* c0 sends ChannelData 0x4000: it leaves from c0's restored relayed port to the peer. */
static void check_relay_sends(struct rig *r, struct client *c0, int peer)
{
	struct turn_clock now = now_clock();
	uint8_t buf[64];
	sockaddr_u from;
	size_t len = tc_chandata(buf, 0x4000, "world", 5, 3);
	ssize_t n;

	turn_on_client(r->turn, &c0->t, buf, len, &now);
	n = recv_wait(peer, buf, sizeof(buf), 1000, &from);
	ok(n == 5 && !memcmp(buf, "world", 5), "c0's ChannelData reaches the peer");
	ok(n > 0 && addr_equal(&from, &c0->relayed), "... from c0's (restored) relayed address");
}

static void check_ports_bound(const struct client *c, int nc, bool bound, const char *what)
{
	int n = 0;

	for (int i = 0; i < nc; i++)
		n += port_free(addr_port(&c[i].relayed)) != bound;
	is_int(n, nc, "%s", what);
}

static void test_round_trip(void)
{
	struct client c[3], c3;
	struct snap was, now;
	struct rig r;
	sockaddr_u listen = free_addr(), pa;
	int peer = udp_bound("127.0.0.1:0"), fds, n;
	char *text1, *text2, tmp[160];
	size_t len1 = 0, len2 = 0;

	diag("round trip: 3 allocations saved, turnd torn down, a fresh one loads them");
	rig_must(&r, &listen);
	pa = sock_name(peer);
	make_three(&r, c, &pa);
	snapshot(&r, loop_now_ms(), &was);
	is_int(was.n, 3, "3 allocations before saving");
	is_int(state_save(g_path, r.turn), 0, "state_save");
	snprintf(tmp, sizeof(tmp), "%s.tmp", g_path);
	ok(access(tmp, F_OK) && errno == ENOENT, "no temporary file left behind");
	text1 = read_all(g_path, &len1);
	ok(text1 != NULL, "state file written");
	if (text1)
		check_file_text(text1, &was);
	rig_down(&r);
	check_ports_bound(c, 3, false, "turn_free closed every relay port");

	rig_must(&r, &listen);
	fds = fd_count();
	n = state_load(g_path, r.u, r.turn, loop_now_ms());
	is_int(n, 3, "state_load restores 3");
	is_int(fd_count() - fds, 3, "one relay socket per restored allocation");
	snapshot(&r, loop_now_ms(), &now);
	is_int(now.n, 3, "3 allocations after loading");
	for (int i = 0; i < 3 && i < now.n; i++)
		check_same(&was, &now, i);
	is_int(turn_get_stats(r.turn)->allocations, 3, "stats: 3 live allocations");
	is_int(turn_get_stats(r.turn)->permissions, 3, "stats: 3 permissions");
	is_int(turn_get_stats(r.turn)->channels, 2, "stats: 2 channels");
	check_ports_bound(c, 3, true, "the relayed ports are bound again");
	check_relays_live(&r, c, peer);
	check_relay_sends(&r, &c[0], peer);

	is_int(state_save(g_path, r.turn), 0, "state_save again after the load");
	text2 = read_all(g_path, &len2);
	ok(text1 && text2 && len1 == len2 && !memcmp(text1, text2, len1),
	   "save, load, save: byte-identical file (%zu bytes)", len1);
	if (text2 && (!text1 || strcmp(text1, text2)))
		diag("first:\n%s# second:\n%s", text1 ? text1 : "", text2);

	is_int(do_refresh(&r, &c[1], 600), 0, "restored c1 refreshes with its restored key");
	client_open(&c3, &r, USER, PASS);
	is_int(do_allocate(&r, &c3), 0, "a new allocation after the restore");
	snapshot(&r, loop_now_ms(), &now);
	is_int(now.n, 4, "4 allocations");
	ok(now.n == 4 && now.f[3].id > was.f[2].id, "the new id follows the restored ones");
	close(c3.fd);
	free(text1);
	free(text2);
	rig_down(&r);
	close_clients(c, 3);
	close(peer);
}

/* --- (2) expiry --- */

static void test_expired(void)
{
	struct client c[2];
	struct snap was, now;
	struct rig r;
	sockaddr_u listen = free_addr();
	uint64_t t;

	diag("expired allocations are skipped");
	rig_must(&r, &listen);
	for (int i = 0; i < 2; i++) {
		client_open(&c[i], &r, USER, PASS);
		is_int(do_allocate(&r, &c[i]), 0, "allocate %d", i);
	}
	is_int(do_refresh(&r, &c[1], 3600), 0, "c1 refreshed to 3600 s");
	is_int(do_chan(&r, &c[1], 0x4002, DOC_PEER), 0, "c1: channel (600 s, permission 300 s)");
	t = loop_now_ms();
	snapshot(&r, t, &was);
	is_int(state_save(g_path, r.turn), 0, "state_save");
	rig_down(&r);

	rig_must(&r, &listen);
	is_int(state_load(g_path, r.u, r.turn, t + 3601 * 1000ull), 0,
	       "load after every expiry: 0 restored");
	is_int(alloc_count(&r), 0, "no allocation");
	check_ports_bound(c, 2, false, "no relay port bound");
	rig_down(&r);

	rig_must(&r, &listen);
	is_int(state_load(g_path, r.u, r.turn, t + 601 * 1000ull), 1,
	       "load after c0's expiry (600 s), before c1's (3600 s): 1 restored");
	snapshot(&r, t + 601 * 1000ull, &now);
	ok(now.n == 1 && was.n == 2 && now.f[0].id == was.f[1].id, "the one restored is c1");
	ok(now.n == 1 && now.f[0].nperms == 0, "its permission (expired at 300 s) is dropped");
	ok(now.n == 1 && now.f[0].nchans == 1 && !now.f[0].chans[0].live,
	   "its channel (expired at 600 s) is kept idle, in quarantine");
	ok(port_free(addr_port(&c[0].relayed)), "c0's relay port not bound");
	ok(!port_free(addr_port(&c[1].relayed)), "c1's relay port bound");
	rig_down(&r);
	close_clients(c, 2);
}

/* --- (3) missing file --- */

static void test_missing(void)
{
	struct rig r;
	sockaddr_u listen = free_addr();
	char path[160];

	rig_must(&r, &listen);
	snprintf(path, sizeof(path), "%s/no-such-file", g_dir);
	is_int(state_load(path, r.u, r.turn, loop_now_ms()), 0, "missing file: 0, not an error");
	is_int(alloc_count(&r), 0, "missing file: nothing restored");
	rig_down(&r);
}

/* --- (4) hostile files --- */

/* The fields of a valid A line; hostile cases replace one. */
enum { F_TAG, F_ID, F_USER, F_KEY, F_PROTO, F_CLIENT, F_SERVER, F_EXP, F_LOCAL, F_RELAYED, F_NR };

struct tmpl {
	char f[F_NR][80];
	char exp[24];		/* expiry of entries, decimal */
	char key_hex[2 * AUTH_KEY_LEN + 1];
};

static struct tmpl g_t;
static int g_p1, g_p2;		/* relay ports for hostile files: free when the test starts */

static void pick_ports(void)
{
	for (g_p1 = RIG_PORT_MAX - 99; g_p1 < RIG_PORT_MAX; g_p1++)
		if (port_free((uint16_t)g_p1) && port_free((uint16_t)(g_p1 + 1)))
			break;
	g_p2 = g_p1 + 1;
}

static void tmpl_init(const struct rig *r, uint64_t now_ms)
{
	uint8_t key[AUTH_KEY_LEN];
	char ls[ADDR_STRLEN];

	auth_derive_key(USER, REALM, PASS, key);
	for (int i = 0; i < AUTH_KEY_LEN; i++)
		sprintf(g_t.key_hex + 2 * i, "%02x", key[i]);
	snprintf(g_t.exp, sizeof(g_t.exp), "%llu", (unsigned long long)(now_ms + 600000));
	snprintf(g_t.f[F_TAG], 80, "A");
	snprintf(g_t.f[F_ID], 80, "7");
	snprintf(g_t.f[F_USER], 80, "616c696365");
	snprintf(g_t.f[F_KEY], 80, "%s", g_t.key_hex);
	snprintf(g_t.f[F_PROTO], 80, "17");
	snprintf(g_t.f[F_CLIENT], 80, "127.0.0.1:40001");
	snprintf(g_t.f[F_SERVER], 80, "%s", addr_format(&r->listen, ls, sizeof(ls)));
	snprintf(g_t.f[F_EXP], 80, "%s", g_t.exp);
	/* F_LOCAL and F_RELAYED: the port each block is given (t_aline) */
}

/* A growing file text. */
struct text {
	char *s;
	size_t len, cap;
};

static void t_add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		t->s = realloc(t->s, t->cap);
		if (!t->s)
			die("realloc");
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = 0;
}

static void t_puts(struct text *t, const char *s)
{
	t_add(t, s, strlen(s));
}

static void t_header(struct text *t)
{
	t->len = 0;
	t_puts(t, "turnd-state 1 ");
	t_puts(t, g_boot);
	t_puts(t, "\n");
}

/*
 * An A line from the template with field `field` set to val (NULL: left out) and extra
 * appended; id, client and port make it distinct from other blocks.
 */
static void t_aline(struct text *t, int id, int port, int field, const char *val,
		    const char *extra)
{
	char ids[24], cl[32], lo[32];

	snprintf(ids, sizeof(ids), "%d", id);
	snprintf(cl, sizeof(cl), "127.0.0.1:%d", 40000 + id);
	snprintf(lo, sizeof(lo), "127.0.0.1:%d", port);
	for (int i = 0; i < F_NR; i++) {
		const char *v = g_t.f[i];

		if (i == F_ID)
			v = ids;
		else if (i == F_CLIENT)
			v = cl;
		else if (i == F_LOCAL || i == F_RELAYED)
			v = lo;
		if (i == field)
			v = val;
		if (!v)
			continue;
		if (i)
			t_puts(t, " ");
		t_puts(t, v);
	}
	if (extra)
		t_puts(t, extra);
	t_puts(t, "\n");
}

/* "P ip exp" and "C num peer exp" with the template expiry. */
static void t_entries(struct text *t)
{
	char line[128];

	snprintf(line, sizeof(line), "P 198.51.100.7:0 %s\nC 16384 " DOC_PEER " %s\n", g_t.exp,
		 g_t.exp);
	t_puts(t, line);
}

/* A whole valid allocation block: A, a permission, a channel, E. */
static void t_block(struct text *t, int id, int port)
{
	t_aline(t, id, port, -1, NULL, NULL);
	t_entries(t);
	t_puts(t, "E\n");
}

/*
 * Write t, load it into the empty rig r and check: the return value (want, or ANY_REJECT
 * for 0/-EINVAL), how many allocations were restored, and that no socket leaked once they
 * are released again.
 */
static void check_load(struct rig *r, const char *what, const struct text *t, int want,
		       int want_allocs)
{
	int fds = fd_count(), n, allocs;

	write_file(g_path, t->s, t->len);
	n = state_load(g_path, r->u, r->turn, loop_now_ms());
	if (want == ANY_REJECT)
		ok(n == 0 || n == -EINVAL, "%s: rejected (got %d)", what, n);
	else
		is_int(n, want, "%s: state_load returns %d", what, want);
	allocs = alloc_count(r);
	if (!is_int(allocs, want_allocs, "%s: %d allocation(s) restored", what, want_allocs))
		diag_allocs(r);
	kill_all(r);
	is_int(fd_count(), fds, "%s: no socket left open", what);
}

/* A valid block (id 1, would be restored) followed by bad text, then END. */
static void check_bad_after_valid(struct rig *r, const char *what, const char *bad)
{
	struct text t = { 0 };

	t_header(&t);
	t_block(&t, 1, g_p1);
	t_puts(&t, bad);
	t_puts(&t, "END\n");
	check_load(r, what, &t, -EINVAL, 0);
	free(t.s);
}

/* Block 1 valid, block 2 with one A field replaced (NULL: dropped). */
static void check_bad_field(struct rig *r, const char *what, int field, const char *val,
			    const char *extra)
{
	struct text t = { 0 };

	t_header(&t);
	t_block(&t, 1, g_p1);
	t_aline(&t, 2, g_p2, field, val, extra);
	t_entries(&t);
	t_puts(&t, "E\nEND\n");
	check_load(r, what, &t, -EINVAL, 0);
	free(t.s);
}

/* Block 1 valid, block 2 with the entry lines replaced by `entries`. */
static void check_bad_entries(struct rig *r, const char *what, const char *entries)
{
	struct text t = { 0 };

	t_header(&t);
	t_block(&t, 1, g_p1);
	t_aline(&t, 2, g_p2, -1, NULL, NULL);
	t_puts(&t, entries);
	t_puts(&t, "E\nEND\n");
	check_load(r, what, &t, -EINVAL, 0);
	free(t.s);
}

struct field_case {
	const char *what;
	int field;
	const char *val;
	const char *extra;
};

static const struct field_case field_cases[] = {
	{ "A: 9 fields", F_RELAYED, NULL, NULL },
	{ "A: 8 fields", F_LOCAL, NULL, NULL },
	{ "A: 11 fields", -1, NULL, " 127.0.0.1:58903" },
	{ "A: 13 fields", -1, NULL, " 127.0.0.1:58903 127.0.0.1:58903 127.0.0.1:58904" },
	{ "A: 14 fields", -1, NULL, " 127.0.0.1:58903 127.0.0.1:58903 127.0.0.1:58904 x" },
	{ "A: tag AA", F_TAG, "AA", NULL },
	{ "A: id not a number", F_ID, "seven", NULL },
	{ "A: id negative", F_ID, "-7", NULL },
	{ "A: id overflowing", F_ID, BIG, NULL },
	{ "A: user not hex", F_USER, "zz", NULL },
	{ "A: user odd-length hex", F_USER, "616", NULL },
	{ "A: user with a NUL byte", F_USER, "6100", NULL },
	{ "A: user a single NUL", F_USER, "00", NULL },
	{ "A: user hex with a sign (\"-1\")", F_USER, "-1", NULL },
	{ "A: user hex with a sign (\"+1\")", F_USER, "+1", NULL },
	{ "A: user longer than AUTH_MAX_NAME", F_USER, NULL, NULL },	/* made at run time */
	{ "A: key 15 bytes", F_KEY, "000102030405060708090a0b0c0d0e", NULL },
	{ "A: key 17 bytes", F_KEY, "000102030405060708090a0b0c0d0e0f10", NULL },
	{ "A: key not hex", F_KEY, "zz0102030405060708090a0b0c0d0e0f", NULL },
	{ "A: key with \"0x\"", F_KEY, "0x0102030405060708090a0b0c0d0e0f", NULL },
	{ "A: proto 256", F_PROTO, "256", NULL },
	{ "A: proto not a number", F_PROTO, "udp", NULL },
	{ "A: client without port (\"1.2.3.4\")", F_CLIENT, "1.2.3.4", NULL },
	{ "A: client \"[::1\"", F_CLIENT, "[::1", NULL },
	{ "A: client \"999.1.1.1:5\"", F_CLIENT, "999.1.1.1:5", NULL },
	{ "A: client port 65536", F_CLIENT, "127.0.0.1:65536", NULL },
	{ "A: server \"[::1\"", F_SERVER, "[::1", NULL },
	{ "A: server port 99999", F_SERVER, "127.0.0.1:99999", NULL },
	{ "A: local \"999.1.1.1:5\"", F_LOCAL, "999.1.1.1:5", NULL },
	{ "A: relayed port 70000", F_RELAYED, "127.0.0.1:70000", NULL },
	{ "A: relayed \"hostname:5\"", F_RELAYED, "relay.example:5", NULL },
	{ "A: expires not a number", F_EXP, "soon", NULL },
	{ "A: expires negative", F_EXP, "-5", NULL },
	{ "A: expires overflowing", F_EXP, BIG, NULL },
	{ "A: expires with junk", F_EXP, "12abc", NULL },
};

static void hostile_fields(struct rig *r)
{
	static char longuser[2 * (AUTH_MAX_NAME + 1) + 1];

	memset(longuser, '6', sizeof(longuser) - 1);
	for (size_t i = 0; i < sizeof(field_cases) / sizeof(field_cases[0]); i++) {
		const struct field_case *c = &field_cases[i];
		const char *val = c->val;

		if (c->field == F_USER && !val)
			val = longuser;
		check_bad_field(r, c->what, c->field, val, c->extra);
	}
}

static void hostile_entries(struct rig *r)
{
	char b[512];
	const char *e = g_t.exp;

	check_bad_entries(r, "P: no expiry", "P 198.51.100.7:0\n");
	snprintf(b, sizeof(b), "P 198.51.100.7:0 soon\n");
	check_bad_entries(r, "P: expiry not a number", b);
	snprintf(b, sizeof(b), "P 198.51.100.7:0 -5\n");
	check_bad_entries(r, "P: expiry negative", b);
	snprintf(b, sizeof(b), "P 198.51.100.7:0 " BIG "\n");
	check_bad_entries(r, "P: expiry overflowing", b);
	snprintf(b, sizeof(b), "P 198.51.100.7:0 %s junk\n", e);
	check_bad_entries(r, "P: too many fields", b);
	snprintf(b, sizeof(b), "P 999.1.1.1:0 %s\n", e);
	check_bad_entries(r, "P: bad address", b);
	snprintf(b, sizeof(b), "P [::1 %s\n", e);
	check_bad_entries(r, "P: \"[::1\"", b);
	snprintf(b, sizeof(b), "C 70000 " DOC_PEER " %s\n", e);
	check_bad_entries(r, "C: channel 70000", b);
	snprintf(b, sizeof(b), "C 4294983680 " DOC_PEER " %s\n", e);
	check_bad_entries(r, "C: channel 2^32 + 0x4000 (wraps in %%u)", b);
	snprintf(b, sizeof(b), "C -1 " DOC_PEER " %s\n", e);
	check_bad_entries(r, "C: channel -1", b);
	snprintf(b, sizeof(b), "C x " DOC_PEER " %s\n", e);
	check_bad_entries(r, "C: channel not a number", b);
	snprintf(b, sizeof(b), "C 16384 " DOC_PEER " -1\n");
	check_bad_entries(r, "C: expiry negative", b);
	snprintf(b, sizeof(b), "C 16384 " DOC_PEER " " BIG "\n");
	check_bad_entries(r, "C: expiry overflowing", b);
	snprintf(b, sizeof(b), "C 16384 198.51.100.7 %s\n", e);
	check_bad_entries(r, "C: peer without port", b);
	snprintf(b, sizeof(b), "C 16384 " DOC_PEER "\n");
	check_bad_entries(r, "C: no expiry", b);
	check_bad_entries(r, "unknown line Q in an allocation", "Q 1 2\n");
	check_bad_entries(r, "empty line in an allocation", "\n");
	check_bad_entries(r, "END inside an allocation", "END\n");
	snprintf(b, sizeof(b), "A 3 616c696365 %s 17 127.0.0.1:40003 %s %s 127.0.0.1:58903 "
		 "127.0.0.1:58903\n", g_t.key_hex, g_t.f[F_SERVER], e);
	check_bad_entries(r, "A inside an allocation (E missing)", b);
}

static void hostile_outside(struct rig *r)
{
	char b[256];
	struct text t = { 0 };

	snprintf(b, sizeof(b), "P 198.51.100.7:0 %s\n", g_t.exp);
	check_bad_after_valid(r, "P after E (outside an allocation)", b);
	snprintf(b, sizeof(b), "C 16384 " DOC_PEER " %s\n", g_t.exp);
	check_bad_after_valid(r, "C after E (outside an allocation)", b);
	check_bad_after_valid(r, "E outside an allocation", "E\n");
	check_bad_after_valid(r, "empty line between allocations", "\n");
	check_bad_after_valid(r, "lowercase end", "end\n");
	t_header(&t);
	snprintf(b, sizeof(b), "P 198.51.100.7:0 %s\n", g_t.exp);
	t_puts(&t, b);
	t_block(&t, 1, g_p1);
	t_puts(&t, "END\n");
	check_load(r, "P before any A", &t, -EINVAL, 0);
	free(t.s);
}

static void hostile_headers(struct rig *r)
{
	struct text t = { 0 };

	t_add(&t, "", 0);
	check_load(r, "empty file", &t, ANY_REJECT, 0);
	t.len = 0;
	t_puts(&t, "turnd-state 2 ");
	t_puts(&t, g_boot);
	t_puts(&t, "\n");
	t_block(&t, 1, g_p1);
	t_puts(&t, "END\n");
	check_load(r, "format version 2", &t, 0, 0);
	t.len = 0;
	t_puts(&t, "turnd-state 1 00000000-1111-2222-3333-444444444444\n");
	t_block(&t, 1, g_p1);
	t_puts(&t, "END\n");
	check_load(r, "another boot_id", &t, 0, 0);
	t.len = 0;
	t_puts(&t, "turnd-state 1 ");
	t_puts(&t, g_boot);
	check_load(r, "header without newline, nothing else", &t, ANY_REJECT, 0);
	t_header(&t);
	check_load(r, "header only, no END", &t, -EINVAL, 0);
	t_header(&t);
	t_puts(&t, "END\n");
	check_load(r, "header and END: a valid empty file", &t, 0, 0);
	t_header(&t);
	t_block(&t, 1, g_p1);
	check_load(r, "END missing after an allocation", &t, -EINVAL, 0);
	t_header(&t);
	t_block(&t, 1, g_p1);
	t_puts(&t, "END\n");
	check_load(r, "the template itself (control): one allocation", &t, 1, 1);
	free(t.s);
}

/* Every strict prefix of a valid two-allocation file: nothing from it is restored. */
static void hostile_truncated(struct rig *r)
{
	struct text t = { 0 };
	int bad = 0, total = 0, fds = fd_count();

	t_header(&t);
	t_block(&t, 1, g_p1);
	t_block(&t, 2, g_p2);
	t_puts(&t, "END\n");
	for (size_t cut = 0; cut + 1 < t.len; cut++) {
		int n;

		write_file(g_path, t.s, cut);
		n = state_load(g_path, r->u, r->turn, loop_now_ms());
		total++;
		if ((n != 0 && n != -EINVAL) || alloc_count(r)) {
			if (bad++ < 3)
				diag("prefix of %zu bytes: returned %d, %d restored", cut, n,
				     alloc_count(r));
			kill_all(r);
		}
	}
	is_int(bad, 0, "truncated anywhere (%d prefixes): rejected, nothing restored", total);
	is_int(fd_count(), fds, "truncated: no socket left open");
	write_file(g_path, t.s, t.len - 1);
	is_int(state_load(g_path, r->u, r->turn, loop_now_ms()), 2,
	       "only the final newline missing: still complete (END read)");
	kill_all(r);
	free(t.s);
}

/* n P lines in block 2. */
static void check_many_perms(struct rig *r, const char *what, int n, int want, int want_allocs)
{
	struct text t = { 0 };
	char line[64];

	t_header(&t);
	t_block(&t, 1, g_p1);
	t_aline(&t, 2, g_p2, -1, NULL, NULL);
	for (int i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "P 198.51.%d.%d:0 %s\n", 100 + i / 250, 1 + i % 250,
			 g_t.exp);
		t_puts(&t, line);
	}
	t_puts(&t, "E\nEND\n");
	check_load(r, what, &t, want, want_allocs);
	free(t.s);
}

/* Lines longer than the reader's buffer. */
static void hostile_long_lines(struct rig *r)
{
	struct text t = { 0 };
	char seg[1024], *x = malloc(5001);

	if (!x)
		die("malloc");
	memset(x, 'x', 5000);
	x[5000] = 0;
	t_header(&t);
	t_block(&t, 1, g_p1);
	t_puts(&t, x);
	t_puts(&t, "\nEND\n");
	check_load(r, "a line of 5000 'x'", &t, -EINVAL, 0);

	/*
	 * One 5000-byte line: five copies of a P line, space-padded so that each starts where
	 * a 1024-byte fgets() would resume (4 x 1023 bytes, then 908 with the newline).
	 */
	snprintf(seg, sizeof(seg), "P 198.51.100.9:0 %s", g_t.exp);
	memset(seg + strlen(seg), ' ', sizeof(seg) - 1 - strlen(seg));
	seg[sizeof(seg) - 1] = 0;
	t_header(&t);
	t_aline(&t, 1, g_p1, -1, NULL, NULL);
	for (int i = 0; i < 4; i++)
		t_puts(&t, seg);
	t_add(&t, seg, 5000 - 4 * 1023 - 1);
	t_puts(&t, "\nE\nEND\n");
	check_load(r, "one 5000-byte P line (read as five valid-looking lines)", &t, -EINVAL, 0);
	free(t.s);
	free(x);
}

/* NUL bytes: strlen() must not be taken for the length of what fgets() read. */
static void hostile_nul(struct rig *r, struct text *t)
{
	char p[64];
	size_t n;

	t_header(t);
	t_block(t, 1, g_p1);
	t_add(t, "\0\n", 2);
	t_puts(t, "END\n");
	check_load(r, "a line that is one NUL byte", t, -EINVAL, 0);
	t_header(t);
	t_aline(t, 1, g_p1, -1, NULL, NULL);
	n = (size_t)snprintf(p, sizeof(p), "P 198.51.100.7:0 %s", g_t.exp);
	t_add(t, p, n);
	t_add(t, "\0junk\n", 6);
	t_puts(t, "E\nEND\n");
	check_load(r, "a P line with a NUL byte and junk after it", t, -EINVAL, 0);
	/* one physical line of 4095 + 28 bytes: a P line, NUL, padding, another P line */
	t_header(t);
	t_aline(t, 1, g_p1, -1, NULL, NULL);
	t_add(t, p, n + 1);
	for (size_t i = n + 1; i < 4095; i++)
		t_add(t, "x", 1);
	snprintf(p, sizeof(p), "P 198.51.100.9:0 %s\n", g_t.exp);
	t_puts(t, p);
	t_puts(t, "E\nEND\n");
	check_load(r, "an over-long line hidden behind a NUL byte", t, -EINVAL, 0);
}

static void hostile_garbage(struct rig *r)
{
	struct text t = { 0 };
	uint8_t g[4096];
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < sizeof(g); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		g[i] = (uint8_t)x;
	}
	t_add(&t, (const char *)g, sizeof(g));
	check_load(r, "4 KiB of binary garbage", &t, ANY_REJECT, 0);
	t_header(&t);
	t_block(&t, 1, g_p1);
	t_add(&t, (const char *)g, sizeof(g));
	t_puts(&t, "\nEND\n");
	check_load(r, "valid block then binary garbage", &t, -EINVAL, 0);
	t_header(&t);
	t_block(&t, 1, g_p1);
	t_add(&t, "A\0\0\0\n", 5);
	t_puts(&t, "END\n");
	check_load(r, "an A line of NUL bytes", &t, -EINVAL, 0);
	hostile_nul(r, &t);
	free(t.s);
}

static void hostile_directory(struct rig *r)
{
	char dir[160];
	int fds = fd_count(), n;

	snprintf(dir, sizeof(dir), "%s/adir", g_dir);
	if (mkdir(dir, 0700))
		die("mkdir");
	n = state_load(dir, r->u, r->turn, loop_now_ms());
	ok(n == 0 || n == -EISDIR || n == -EINVAL, "a directory: ignored or an error (got %d)", n);
	is_int(alloc_count(r), 0, "a directory: nothing restored");
	is_int(fd_count(), fds, "a directory: no descriptor left open");
	rmdir(dir);
}

/* Files that are well formed but whose allocations cannot all come back: those are skipped. */
static void skipped_entries(struct rig *r)
{
	struct text t = { 0 };
	char b[256];

	t_header(&t);
	t_block(&t, 1, g_p1);
	t_aline(&t, 1, g_p2, F_CLIENT, "127.0.0.1:40099", NULL);
	t_puts(&t, "E\nEND\n");
	check_load(r, "two allocations with one id: the second skipped", &t, 1, 1);
	t_header(&t);
	t_block(&t, 1, g_p1);
	t_block(&t, 2, g_p1);
	t_puts(&t, "END\n");
	check_load(r, "two allocations on one relay port: the second skipped", &t, 1, 1);
	t_header(&t);
	t_block(&t, 1, g_p1);
	t_block(&t, 2, 59001);
	t_puts(&t, "END\n");
	check_load(r, "relay port outside the configured range: skipped", &t, 1, 1);
	t_header(&t);
	t_block(&t, 1, g_p1);
	snprintf(b, sizeof(b), "127.0.0.2:%d", g_p2);
	t_aline(&t, 2, g_p2, F_LOCAL, b, NULL);
	t_puts(&t, "E\nEND\n");
	check_load(r, "relay bound to another address than the relay address: skipped", &t, 1,
		   1);
	t_header(&t);
	t_block(&t, 1, g_p1);
	snprintf(b, sizeof(b), "[::1]:%d", g_p2);
	t_aline(&t, 2, g_p2, F_LOCAL, b, NULL);
	t_puts(&t, "E\nEND\n");
	check_load(r, "IPv6 relay, no IPv6 relay address configured: skipped", &t, 1, 1);
	t_header(&t);
	t_block(&t, 1, g_p1);
	t_aline(&t, 2, g_p2, F_EXP, "1", NULL);
	t_puts(&t, "E\nEND\n");
	check_load(r, "one allocation long expired: skipped", &t, 1, 1);
	t_header(&t);
	t_block(&t, 1, g_p1);
	snprintf(b, sizeof(b), "127.0.0.1:%u", addr_port(&r->listen) ^ 1);
	t_aline(&t, 2, g_p2, F_SERVER, b, NULL);
	t_puts(&t, "E\nEND\n");
	check_load(r, "server address no listener has: skipped", &t, 1, 1);
	free(t.s);
	check_many_perms(r, "65 permissions (over the default max_permissions): restored all the "
			 "same", 65, 2, 2);
	check_many_perms(r, "300 permissions: malformed", 300, -EINVAL, 0);
}

static void test_hostile(void)
{
	struct rig r;
	sockaddr_u listen = free_addr();

	diag("hostile files: rejected whole, nothing restored, nothing leaked");
	rig_must(&r, &listen);
	tmpl_init(&r, loop_now_ms());
	pick_ports();
	hostile_headers(&r);
	hostile_fields(&r);
	hostile_entries(&r);
	hostile_outside(&r);
	hostile_truncated(&r);
	hostile_long_lines(&r);
	hostile_garbage(&r);
	hostile_directory(&r);
	skipped_entries(&r);
	rig_down(&r);
}

/* A restored id of UINT64_MAX must not make the core hand out id 0 (or reuse one) next. */
static void test_id_wrap(void)
{
	struct text t = { 0 };
	struct client c;
	struct snap s;
	struct rig r;
	sockaddr_u listen = free_addr();

	rig_must(&r, &listen);
	tmpl_init(&r, loop_now_ms());
	pick_ports();
	t_header(&t);
	t_aline(&t, 1, g_p1, F_ID, "18446744073709551615", NULL);
	t_puts(&t, "E\nEND\n");
	write_file(g_path, t.s, t.len);
	is_int(state_load(g_path, r.u, r.turn, loop_now_ms()), 1, "id UINT64_MAX: loaded");
	client_open(&c, &r, USER, PASS);
	is_int(do_allocate(&r, &c), 0, "then a new allocation");
	snapshot(&r, loop_now_ms(), &s);
	ok(s.n == 2 && s.f[0].id != 0 && s.f[0].id != s.f[1].id,
	   "the new allocation's id is neither 0 nor a restored one (got %llu)",
	   s.n ? (unsigned long long)s.f[0].id : 0ull);
	close(c.fd);
	free(t.s);
	rig_down(&r);
}

/* --- (5) relay port taken, (6) listener gone --- */

/* Make three allocations on a rig at listen, save them, tear the rig down. */
static void save_three(const sockaddr_u *listen, struct client c[3], struct snap *was)
{
	sockaddr_u peer = tc_addr("127.0.0.1:9");
	struct rig r;

	rig_must(&r, listen);
	make_three(&r, c, &peer);
	snapshot(&r, loop_now_ms(), was);
	is_int(state_save(g_path, r.turn), 0, "state_save");
	rig_down(&r);
}

static void test_port_taken(void)
{
	struct client c[3];
	struct snap was, now;
	struct rig r;
	sockaddr_u listen = free_addr(), held = { 0 };
	char ps[32];
	int blocker, fds;

	diag("a relay port someone else took meanwhile: that allocation is skipped");
	save_three(&listen, c, &was);
	snprintf(ps, sizeof(ps), "127.0.0.1:%u", addr_port(&c[1].relayed));
	blocker = udp_bound(ps);
	ok(blocker >= 0, "another socket binds c1's relayed port %s", ps);
	rig_must(&r, &listen);
	fds = fd_count();
	is_int(state_load(g_path, r.u, r.turn, loop_now_ms()), 2, "state_load restores 2");
	is_int(fd_count() - fds, 2, "two relay sockets opened, none leaked for the skipped one");
	snapshot(&r, loop_now_ms(), &now);
	ok(now.n == 2 && snap_find(&now, was.f[0].id) && snap_find(&now, was.f[2].id) &&
	   !snap_find(&now, was.f[1].id), "c0 and c2 are back, c1 is not");
	if (blocker >= 0)
		held = sock_name(blocker);
	ok(blocker >= 0 && addr_port(&held) == addr_port(&c[1].relayed),
	   "the other socket still has its port");
	rig_down(&r);
	if (blocker >= 0)
		close(blocker);
	close_clients(c, 3);
}

static void test_listener_gone(void)
{
	struct client c[3];
	struct snap was;
	struct rig r;
	sockaddr_u listen = free_addr(), other = free_addr();
	int fds;

	diag("the listener the clients used is gone: their allocations are skipped");
	save_three(&listen, c, &was);
	if (addr_equal(&listen, &other))
		addr_set_port(&other, addr_port(&other) + 1);
	rig_must(&r, &other);
	fds = fd_count();
	is_int(state_load(g_path, r.u, r.turn, loop_now_ms()), 0,
	       "listening on another port: 0 restored");
	is_int(alloc_count(&r), 0, "no allocation");
	is_int(fd_count(), fds, "no relay socket opened");
	check_ports_bound(c, 3, false, "no relay port bound");
	rig_down(&r);
	close_clients(c, 3);
}

/* --- a long username --- */

/* A username of AUTH_MAX_NAME bytes: the core accepts it, so the file must bring it back. */
static void test_long_user(void)
{
	static char name[AUTH_MAX_NAME + 1];
	struct snap was, now;
	struct client c;
	struct rig r;
	sockaddr_u listen = free_addr();
	size_t len = 0;
	char *text;

	memset(name, 'u', AUTH_MAX_NAME);
	if (auth_add_user(g_auth, name, "longpw"))
		die("auth_add_user");
	rig_must(&r, &listen);
	client_open(&c, &r, name, "longpw");
	is_int(do_allocate(&r, &c), 0, "allocate as a %d-byte user", AUTH_MAX_NAME);
	snapshot(&r, loop_now_ms(), &was);
	is_int(state_save(g_path, r.turn), 0, "state_save");
	text = read_all(g_path, &len);
	ok(text && strchr(text, '\n') && strlen(strchr(text, '\n') + 1) > 1024,
	   "its A line is longer than 1024 bytes");
	free(text);
	rig_down(&r);
	rig_must(&r, &listen);
	is_int(state_load(g_path, r.u, r.turn, loop_now_ms()), 1,
	       "state_load brings the long user's allocation back");
	snapshot(&r, loop_now_ms(), &now);
	ok(now.n == 1 && was.n == 1 && !strcmp(now.f[0].user, name) &&
	   tuple_same(&now.f[0].tuple, &was.f[0].tuple), "same user and tuple");
	is_int(do_refresh(&r, &c, 600), 0, "the long user refreshes the restored allocation");
	rig_down(&r);
	close(c.fd);
}

/* --- main --- */

static void read_boot_id(void)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	if (!f || !fgets(g_boot, sizeof(g_boot), f))
		snprintf(g_boot, sizeof(g_boot), "unknown");
	if (f)
		fclose(f);
	g_boot[strcspn(g_boot, "\n")] = 0;
}

static void setup(void)
{
	snprintf(g_dir, sizeof(g_dir), "/tmp/test_state.XXXXXX");
	if (!mkdtemp(g_dir))
		die("mkdtemp");
	snprintf(g_path, sizeof(g_path), "%s/state", g_dir);
	read_boot_id();
	g_auth = auth_new(REALM, 600);
	if (!g_auth || auth_add_user(g_auth, USER, PASS) ||
	    peer_policy_add(&g_pol, true, "127.0.0.0/8"))
		die("auth/policy");
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
}

static void cleanup(void)
{
	char p[160];

	unlink(g_path);
	snprintf(p, sizeof(p), "%s.tmp", g_path);
	unlink(p);
	rmdir(g_dir);
	auth_free(g_auth);
	peer_policy_free(&g_pol);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);	/* a sanitizer abort shows which case it was */
	log_set_level(LOG_LVL_ERR);
	setup();
	test_round_trip();
	test_expired();
	test_missing();
	test_hostile();
	test_id_wrap();
	test_port_taken();
	test_listener_gone();
	test_long_user();
	cleanup();
	return done_testing();
}
