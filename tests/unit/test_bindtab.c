/* test_bindtab.c - the c2p and p2c binding tables (daemon/bindtab.c) on real mmapable arrays. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "bindtab.h"
#include "tap.h"
#include "turn_shared.h"

#define ENT_SZ sizeof(struct turn_c2p_ent)
#define MAX_SLOTS 64
#define HOSTILE_KEYS 2000
#define MODEL_KEYS 100
#define MODEL_OPS 20000
#define WAYS TURN_BIND_WAYS
#define PLACE_MAX 16		/* entries a displacement case lays out */
#define GUARD_SLOTS 256		/* the copy-first case's table (the largest): pages apart */

_Static_assert(sizeof(struct turn_c2p_ent) == sizeof(struct turn_p2c_ent) &&
	       sizeof(struct turn_c2p_key) == sizeof(struct turn_p2c_key) &&
	       sizeof(struct turn_c2p_val) == sizeof(struct turn_p2c_val),
	       "the test keeps either kind in c2p structs");

/* One table: the array map and its mapping. */
struct tab {
	int fd;
	uint32_t n;
	enum bindtab_kind kind;
	struct bindtab t;
};

/* A fixed-seed xorshift64, so that a failure can be replayed. */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void rng_fill(void *p, size_t n)
{
	uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)rng();
}

static int new_map(enum bpf_map_type type, uint32_t flags, uint32_t vsz, uint32_t n)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
	int fd = bpf_map_create(type, "t_bindtab", 4, vsz, n, &opts);

	return fd < 0 ? -errno : fd;
}

/* A table of n slots of kind, opened; fails the test point and returns -1 when it cannot. */
static int tab_open(struct tab *tb, uint32_t n, enum bindtab_kind kind)
{
	int err;

	tb->n = n;
	tb->kind = kind;
	tb->fd = new_map(BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, ENT_SZ, n);
	if (tb->fd < 0) {
		ok(0, "create an mmapable array of %u slots: %s", n, strerror(-tb->fd));
		return -1;
	}
	err = bindtab_open(&tb->t, tb->fd, kind);
	if (err) {
		ok(0, "bindtab_open on %u slots: %s", n, strerror(-err));
		close(tb->fd);
		return -1;
	}
	return 0;
}

static void tab_close(struct tab *tb)
{
	bindtab_close(&tb->t);
	close(tb->fd);
}

/* Slot i as the XDP program sees it: through the map, not through our mapping. */
static struct turn_c2p_ent ent_read(const struct tab *tb, uint32_t i)
{
	struct turn_c2p_ent e;

	memset(&e, 0xa5, sizeof(e));
	if (bpf_map_lookup_elem(tb->fd, &i, &e))
		diag("lookup of slot %u: %s", i, strerror(errno));
	return e;
}

static int ent_write(const struct tab *tb, uint32_t i, const void *e)
{
	return bpf_map_update_elem(tb->fd, &i, e, BPF_ANY) ? -errno : 0;
}

/* The route cache's offset in kind's value. */
static size_t rt_off(enum bindtab_kind kind)
{
	return kind == BINDTAB_C2P ? offsetof(struct turn_c2p_val, rt) :
				     offsetof(struct turn_p2c_val, rt);
}

/*
 * A route as the program caches it, but every byte set and each unlike its neighbours (so
 * that a write of any byte of it shows); seed tells one from another.
 */
static struct turn_route route_bytes(uint32_t seed)
{
	struct turn_route rt;
	uint8_t *b = (uint8_t *)&rt;

	for (size_t i = 0; i < sizeof(rt); i++)
		b[i] = (uint8_t)(0x80 | ((seed * 41 + i) & 0x7f));
	rt.ver &= ~1u;		/* even: no CPU is writing it */
	return rt;
}

/* val (of tb's kind) with its route cache rt instead of its own, into out. */
static void with_route(const struct tab *tb, void *out, const void *val,
		       const struct turn_route *rt)
{
	memmove(out, val, sizeof(struct turn_c2p_val));
	memcpy((uint8_t *)out + rt_off(tb->kind), rt, sizeof(*rt));
}

/* The route cache of slot i, as the program sees it. */
static struct turn_route route_at(const struct tab *tb, uint32_t i)
{
	struct turn_c2p_ent e = ent_read(tb, i);
	struct turn_route rt;

	memcpy(&rt, (const uint8_t *)&e.v + rt_off(tb->kind), sizeof(rt));
	return rt;
}

/* The program caches rt in slot i (free or not): a write through the map, seq as it is. */
static int route_write(const struct tab *tb, uint32_t i, const struct turn_route *rt)
{
	struct turn_c2p_ent e = ent_read(tb, i);

	memcpy((uint8_t *)&e.v + rt_off(tb->kind), rt, sizeof(*rt));
	return ent_write(tb, i, &e);
}

static uint32_t count_entries(const struct tab *tb)
{
	uint8_t k[sizeof(struct turn_c2p_key)], v[sizeof(struct turn_c2p_val)];
	uint32_t c = 0;

	for (uint32_t i = 0; i < tb->n; i++)
		c += !bindtab_at(&tb->t, i, k, v);
	return c;
}

/* The slot that holds key in our mapping, or -1. */
static int slot_of(const struct tab *tb, const void *key)
{
	uint8_t k[sizeof(struct turn_c2p_key)], v[sizeof(struct turn_c2p_val)];

	for (uint32_t i = 0; i < tb->n; i++)
		if (!bindtab_at(&tb->t, i, k, v) && !memcmp(k, key, sizeof(k)))
			return (int)i;
	return -1;
}

/* The whole table as the program sees it, into snap (n entries). */
static void snapshot(const struct tab *tb, struct turn_c2p_ent *snap)
{
	for (uint32_t i = 0; i < tb->n; i++)
		snap[i] = ent_read(tb, i);
}

static bool slot_changed(const struct tab *tb, const struct turn_c2p_ent *snap, uint32_t i)
{
	struct turn_c2p_ent e = ent_read(tb, i);

	return memcmp(&e, &snap[i], sizeof(e)) != 0;
}

static bool table_unchanged(const struct tab *tb, const struct turn_c2p_ent *snap)
{
	for (uint32_t i = 0; i < tb->n; i++)
		if (slot_changed(tb, snap, i))
			return false;
	return true;
}

/* The key's two buckets in a table of n slots, as the program computes them. */
static void prog_buckets(const void *key, uint32_t n, uint32_t b[2])
{
	__u64 w[TURN_BIND_KEY_WORDS];
	__u32 b1, b2;

	memcpy(w, key, sizeof(w));
	turn_bind_buckets(w, n / WAYS - 1, &b1, &b2);
	b[0] = b1;
	b[1] = b2;
}

/* The i-th (0 to TURN_BIND_PROBES - 1) of a key's slots: its first bucket's, then its second's. */
static uint32_t probe_slot(const uint32_t b[2], uint32_t i)
{
	return b[i / WAYS] * WAYS + i % WAYS;
}

/* The other bucket of an entry with buckets b that lies in slot s. */
static uint32_t other_bucket(const uint32_t b[2], uint32_t s)
{
	return b[0] == s / WAYS ? b[1] : b[0];
}

static struct turn_c2p_key c2p_key(int fam, uint32_t i)
{
	struct turn_c2p_key k;

	memset(&k, 0, sizeof(k));
	if (fam == TURN_AF_INET) {
		inet_pton(AF_INET, "198.18.0.2", k.client);
		inet_pton(AF_INET, "198.18.0.1", k.listener);
	} else {
		inet_pton(AF_INET6, "2001:db8:a::2", k.client);
		inet_pton(AF_INET6, "2001:db8:a::1", k.listener);
	}
	k.client[fam == TURN_AF_INET ? 3 : 15] += (uint8_t)(i >> 16);
	k.client_port = htons((uint16_t)(1024 + i));
	k.listener_port = htons(3478);
	k.channel = htons((uint16_t)(0x4000 + i % 0x4000));
	k.family = (uint8_t)fam;
	return k;
}

static struct turn_c2p_val c2p_val(int fam, uint32_t i)
{
	struct turn_c2p_val v;

	memset(&v, 0, sizeof(v));
	if (fam == TURN_AF_INET) {
		inet_pton(AF_INET, "198.18.1.1", v.relay);
		inet_pton(AF_INET, "198.18.1.2", v.peer);
	} else {
		inet_pton(AF_INET6, "2001:db8:b::1", v.relay);
		inet_pton(AF_INET6, "2001:db8:b::2", v.peer);
	}
	v.relay_port = htons((uint16_t)(40000 + i));
	v.peer_port = htons((uint16_t)(5000 + i));
	v.family = (uint8_t)fam;
	v.flags = i & 1 ? TURN_F_RATE : 0;
	v.slot = i + 1;
	v.rt_tag = 0x9e3779b1u * (i + 1);
	v.alloc_id = 0x1000000000ull + i;
	v.expires_ns = 1000000000ull * (i + 60);
	return v;
}

static struct turn_p2c_key p2c_key(int fam, uint32_t i)
{
	struct turn_p2c_key k;

	memset(&k, 0, sizeof(k));
	if (fam == TURN_AF_INET) {
		inet_pton(AF_INET, "198.18.1.1", k.relay);
		inet_pton(AF_INET, "198.18.1.2", k.peer);
	} else {
		inet_pton(AF_INET6, "2001:db8:b::1", k.relay);
		inet_pton(AF_INET6, "2001:db8:b::2", k.peer);
	}
	k.relay_port = htons((uint16_t)(40000 + i));
	k.peer_port = htons((uint16_t)(5000 + i));
	k.family = (uint8_t)fam;
	return k;
}

static struct turn_p2c_val p2c_val(int fam, uint32_t i)
{
	struct turn_p2c_val v;

	memset(&v, 0, sizeof(v));
	if (fam == TURN_AF_INET) {
		inet_pton(AF_INET, "198.18.0.1", v.listener);
		inet_pton(AF_INET, "198.18.0.2", v.client);
	} else {
		inet_pton(AF_INET6, "2001:db8:a::1", v.listener);
		inet_pton(AF_INET6, "2001:db8:a::2", v.client);
	}
	v.listener_port = htons(3478);
	v.client_port = htons((uint16_t)(1024 + i));
	v.channel = htons((uint16_t)(0x4000 + i));
	v.family = (uint8_t)fam;
	v.slot = i + 1;
	v.rt_tag = ~(0x9e3779b1u * (i + 1));
	v.alloc_id = 0x2000000000ull + i;
	v.expires_ns = 1000000000ull * (i + 90);
	return v;
}

static void open_refuses(const char *what, enum bpf_map_type type, uint32_t flags,
			 uint32_t vsz, uint32_t n)
{
	struct bindtab t;
	int fd = new_map(type, flags, vsz, n);

	if (fd < 0) {
		ok(0, "create the map for '%s': %s", what, strerror(-fd));
		return;
	}
	memset(&t, 0xa5, sizeof(t));
	is_int(bindtab_open(&t, fd, BINDTAB_C2P), -EINVAL, "bindtab_open refuses %s", what);
	ok(t.base == NULL, "and leaves nothing mapped (%s)", what);
	bindtab_close(&t);
	close(fd);
}

static void test_open(void)
{
	static const uint32_t sizes[] = { TURN_BIND_PROBES, 16, 64 };
	struct bindtab t;
	int fd, devnull, err;

	diag("bindtab_open");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (int kind = BINDTAB_C2P; kind <= BINDTAB_P2C; kind++) {
			struct tab tb;

			if (tab_open(&tb, sizes[i], (enum bindtab_kind)kind))
				continue;
			ok(tb.t.base != NULL, "%s table of %u slots opens and is mapped",
			   kind == BINDTAB_C2P ? "c2p" : "p2c", sizes[i]);
			is_int(bindtab_slots(&tb.t), sizes[i], "bindtab_slots() is %u", sizes[i]);
			tab_close(&tb);
		}
	}
	open_refuses("a HASH map", BPF_MAP_TYPE_HASH, 0, ENT_SZ, 16);
	open_refuses("an ARRAY without BPF_F_MMAPABLE", BPF_MAP_TYPE_ARRAY, 0, ENT_SZ, 16);
	open_refuses("a value 8 bytes too large", BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE,
		     ENT_SZ + 8, 16);
	open_refuses("a value 8 bytes too small", BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE,
		     ENT_SZ - 8, 16);
	open_refuses("24 slots (not a power of two)", BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE,
		     ENT_SZ, 24);
	open_refuses("4 slots (fewer than TURN_BIND_PROBES)", BPF_MAP_TYPE_ARRAY,
		     BPF_F_MMAPABLE, ENT_SZ, 4);
	open_refuses("1 slot", BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, ENT_SZ, 1);

	fd = new_map(BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, ENT_SZ, 16);
	close(fd);
	memset(&t, 0xa5, sizeof(t));
	/* The kernel's bpf(BPF_OBJ_GET_INFO_BY_FD) says EBADFD for a bad fd, so far. */
	err = bindtab_open(&t, fd, BINDTAB_C2P);
	ok(err == -EBADF || err == -EBADFD, "a closed fd: -EBADF or -EBADFD (%d)", err);
	ok(t.base == NULL, "and nothing mapped");
	err = bindtab_open(&t, -1, BINDTAB_P2C);
	ok(err == -EBADF || err == -EBADFD, "fd -1: -EBADF or -EBADFD (%d)", err);
	devnull = open("/dev/null", O_RDWR);
	ok(bindtab_open(&t, devnull, BINDTAB_C2P) < 0, "/dev/null: a negative errno");
	ok(t.base == NULL, "and nothing mapped");
	close(devnull);
}

/* key lies in one of the eight slots of its two buckets, as the program reads them, with val. */
static void check_prog_view(const struct tab *tb, const void *key, const void *val,
			    size_t vsz, const char *what)
{
	uint32_t b[2] = { UINT32_MAX, UINT32_MAX }, pb[2];
	int found = -1;
	struct turn_c2p_ent e;

	bindtab_buckets(&tb->t, key, b);
	prog_buckets(key, tb->n, pb);
	ok(b[0] == pb[0] && b[1] == pb[1] && pb[0] != pb[1] && pb[0] < tb->n / WAYS &&
	   pb[1] < tb->n / WAYS,
	   "%s: bindtab_buckets gives the program's two buckets (%u and %u of %u)", what, b[0],
	   b[1], tb->n / WAYS);
	for (uint32_t i = 0; i < TURN_BIND_PROBES && found < 0; i++) {
		e = ent_read(tb, probe_slot(pb, i));
		if (!memcmp(&e.k, key, sizeof(e.k)))
			found = (int)i;
	}
	if (!ok(found >= 0, "%s: the program finds the key in bucket %u or %u", what, pb[0],
		pb[1]))
		return;
	ok(e.seq && !(e.seq & 1), "%s: its seq is even and not zero (%u)", what, e.seq);
	is_mem(&e.v, val, vsz, "%s: the program reads the value written", what);
}

static void test_roundtrip_c2p(void)
{
	struct turn_c2p_key k[4] = {
		c2p_key(TURN_AF_INET, 1), c2p_key(TURN_AF_INET, 2),
		c2p_key(TURN_AF_INET6, 1), c2p_key(TURN_AF_INET6, 700),
	};
	struct turn_c2p_val v[4] = {
		c2p_val(TURN_AF_INET, 1), c2p_val(TURN_AF_INET6, 2),
		c2p_val(TURN_AF_INET6, 3), c2p_val(TURN_AF_INET, 700),
	};
	struct turn_c2p_key absent = c2p_key(TURN_AF_INET, 3);
	struct turn_c2p_val got;
	struct tab tb;
	char what[64];
	int s;

	diag("c2p: put, get, del");
	if (tab_open(&tb, 16, BINDTAB_C2P))
		return;
	for (int i = 0; i < 4; i++)
		is_int(bindtab_put(&tb.t, &k[i], &v[i]), 0, "put c2p key %d (family %u)", i,
		       k[i].family);
	for (int i = 0; i < 4; i++) {
		memset(&got, 0xa5, sizeof(got));
		is_int(bindtab_get(&tb.t, &k[i], &got), 0, "get c2p key %d", i);
		is_mem(&got, &v[i], sizeof(got), "c2p key %d: the value byte for byte", i);
		snprintf(what, sizeof(what), "c2p key %d", i);
		check_prog_view(&tb, &k[i], &v[i], sizeof(v[i]), what);
	}
	is_int(bindtab_get(&tb.t, &k[0], NULL), 0, "get with a NULL value: 0");
	is_int(bindtab_get(&tb.t, &absent, &got), -ENOENT, "get of an absent key: -ENOENT");
	is_int(bindtab_del(&tb.t, &absent), -ENOENT, "del of an absent key: -ENOENT");
	is_int(count_entries(&tb), 4, "4 entries");

	s = slot_of(&tb, &k[2]);
	is_int(bindtab_del(&tb.t, &k[2]), 0, "del c2p key 2");
	is_int(bindtab_get(&tb.t, &k[2], &got), -ENOENT, "after del, get is -ENOENT");
	is_int(bindtab_del(&tb.t, &k[2]), -ENOENT, "and del again is -ENOENT");
	ok(s >= 0 && bindtab_at(&tb.t, (uint32_t)s, &absent, &got) == -ENOENT,
	   "its slot %d is free", s);
	is_int(count_entries(&tb), 3, "3 entries left");
	for (int i = 0; i < 4; i++)
		if (i != 2)
			is_int(bindtab_get(&tb.t, &k[i], NULL), 0, "c2p key %d is still there", i);
	tab_close(&tb);
}

static void test_roundtrip_p2c(void)
{
	struct turn_p2c_key k[3] = {
		p2c_key(TURN_AF_INET, 5), p2c_key(TURN_AF_INET6, 5), p2c_key(TURN_AF_INET6, 6),
	};
	struct turn_p2c_val v[3] = {
		p2c_val(TURN_AF_INET, 5), p2c_val(TURN_AF_INET6, 5), p2c_val(TURN_AF_INET, 6),
	};
	struct turn_p2c_key kk;
	struct turn_p2c_val got;
	struct tab tb;
	char what[64];
	int s;

	diag("p2c: put, get, del");
	if (tab_open(&tb, 16, BINDTAB_P2C))
		return;
	for (int i = 0; i < 3; i++)
		is_int(bindtab_put(&tb.t, &k[i], &v[i]), 0, "put p2c key %d (family %u)", i,
		       k[i].family);
	for (int i = 0; i < 3; i++) {
		memset(&got, 0xa5, sizeof(got));
		is_int(bindtab_get(&tb.t, &k[i], &got), 0, "get p2c key %d", i);
		is_mem(&got, &v[i], sizeof(got), "p2c key %d: the value byte for byte", i);
		snprintf(what, sizeof(what), "p2c key %d", i);
		check_prog_view(&tb, &k[i], &v[i], sizeof(v[i]), what);
		s = slot_of(&tb, &k[i]);
		ok(s >= 0 && !bindtab_at(&tb.t, (uint32_t)s, &kk, &got) &&
		   !memcmp(&kk, &k[i], sizeof(kk)) && !memcmp(&got, &v[i], sizeof(got)),
		   "bindtab_at(%d) gives p2c key %d and its value", s, i);
	}
	s = slot_of(&tb, &k[0]);
	is_int(bindtab_del(&tb.t, &k[0]), 0, "del p2c key 0");
	is_int(bindtab_get(&tb.t, &k[0], &got), -ENOENT, "after del, get is -ENOENT");
	ok(s >= 0 && bindtab_at(&tb.t, (uint32_t)s, &kk, &got) == -ENOENT, "its slot %d is free",
	   s);
	is_int(count_entries(&tb), 2, "2 entries left");
	tab_close(&tb);
}

/*
 * seq moves on by 2 with every write, delete included, and a delete zeroes the entry but for
 * its route cache, which stays as the program left it.
 */
static void test_seq(void)
{
	const struct turn_route rt = route_bytes(42);
	struct turn_c2p_key k = c2p_key(TURN_AF_INET6, 42);
	struct turn_c2p_val v = c2p_val(TURN_AF_INET6, 42);
	struct turn_c2p_ent e, zero;
	struct tab tb;
	uint32_t s0, slot, b[2];

	diag("seqlock");
	if (tab_open(&tb, 16, BINDTAB_C2P))
		return;
	prog_buckets(&k, tb.n, b);
	slot = b[0] * WAYS;
	is_int(ent_read(&tb, slot).seq, 0, "a new table's seq is 0");
	is_int(bindtab_put(&tb.t, &k, &v), 0, "put");
	e = ent_read(&tb, slot);
	is_int(e.seq, 2, "in an empty table the key is in its first bucket's first slot (%u), "
	       "seq 2 after one write", slot);
	s0 = e.seq;
	is_int(bindtab_put(&tb.t, &k, &v), 0, "put the same again");
	is_int(ent_read(&tb, slot).seq, s0 + 2, "seq moved on by 2");
	v.expires_ns += 5;
	is_int(bindtab_put(&tb.t, &k, &v), 0, "put with a new expiry");
	is_int(ent_read(&tb, slot).seq, s0 + 4, "seq moved on by 2 again");
	is_int(route_write(&tb, slot, &rt), 0, "the program caches a route in slot %u", slot);
	is_int(bindtab_del(&tb.t, &k), 0, "del");
	e = ent_read(&tb, slot);
	is_int(e.seq, s0 + 6, "a delete is a write too: seq moved on by 2");
	memset(&zero, 0, sizeof(zero));
	zero.v.rt = rt;
	is_mem(&e.k, &zero.k, sizeof(e.k) + sizeof(e.v),
	       "a deleted entry is all zero but its route cache, byte for byte as it was");
	is_int(bindtab_put(&tb.t, &k, &v), 0, "put again after the delete");
	e = ent_read(&tb, slot);
	is_int(e.seq, s0 + 8, "into the same slot, seq on by 2");
	is_mem(&e.v.rt, &rt, sizeof(rt), "and the route cache there is still the program's");
	tab_close(&tb);
}

/* A crashed writer left seq odd: the next write leaves it even (and ahead). */
static void test_odd_seq(void)
{
	struct turn_c2p_key k = c2p_key(TURN_AF_INET, 77), k2 = c2p_key(TURN_AF_INET, 78);
	struct turn_c2p_val v = c2p_val(TURN_AF_INET, 77), got;
	struct turn_c2p_ent e;
	struct tab tb;
	uint32_t slot, b[2];

	diag("odd seq left by a crashed writer");
	if (tab_open(&tb, 16, BINDTAB_C2P))
		return;
	is_int(bindtab_put(&tb.t, &k, &v), 0, "put");
	slot = (uint32_t)slot_of(&tb, &k);
	e = ent_read(&tb, slot);
	e.seq = 7;
	e.v.expires_ns = 1;
	is_int(ent_write(&tb, slot, &e), 0, "leave the slot half written: seq 7");
	v.expires_ns = 12345;
	is_int(bindtab_put(&tb.t, &k, &v), 0, "put the key again");
	e = ent_read(&tb, slot);
	ok(!(e.seq & 1) && e.seq > 7, "seq is even again and ahead of 7 (%u)", e.seq);
	is_mem(&e.v, &v, sizeof(v), "and the value is the one written");

	/* A free slot with an odd seq: a crashed writer in the middle of a delete. */
	is_int(bindtab_del(&tb.t, &k), 0, "del");
	memset(&e, 0, sizeof(e));
	e.seq = 0x7fffffff;
	prog_buckets(&k2, tb.n, b);
	slot = b[0] * WAYS;
	is_int(ent_write(&tb, slot, &e), 0, "a free slot with seq 0x7fffffff");
	is_int(bindtab_get(&tb.t, &k2, &got), -ENOENT, "is free to bindtab");
	is_int(bindtab_put(&tb.t, &k2, &v), 0,
	       "put a key whose first bucket starts there, into the empty table");
	e = ent_read(&tb, slot);
	ok(!(e.seq & 1) && e.seq > 0x7fffffff, "its seq is even and ahead (%#x)", e.seq);
	is_mem(&e.k, &k2, sizeof(k2), "the key landed there");
	tab_close(&tb);
}

static void test_family0(void)
{
	struct turn_c2p_ent snap[16];
	struct turn_c2p_key k = c2p_key(TURN_AF_INET, 9);
	struct turn_c2p_val v = c2p_val(TURN_AF_INET, 9);
	struct turn_p2c_key pk = p2c_key(TURN_AF_INET6, 9);
	struct turn_p2c_val pv = p2c_val(TURN_AF_INET6, 9);
	struct tab tb, tp;

	diag("family 0 marks a free slot: refused");
	if (tab_open(&tb, 16, BINDTAB_C2P))
		return;
	is_int(bindtab_put(&tb.t, &k, &v), 0, "put a good key first");
	snapshot(&tb, snap);
	k.client_port = htons(9999);
	k.family = 0;
	is_int(bindtab_put(&tb.t, &k, &v), -EINVAL, "c2p key with family 0: -EINVAL");
	memset(&k, 0, sizeof(k));
	is_int(bindtab_put(&tb.t, &k, &v), -EINVAL, "all-zero c2p key: -EINVAL");
	ok(table_unchanged(&tb, snap), "and nothing was written (seq included)");
	is_int(bindtab_get(&tb.t, &k, NULL), -ENOENT, "get of the zero key: -ENOENT");
	is_int(bindtab_del(&tb.t, &k), -ENOENT, "del of the zero key: -ENOENT");
	ok(table_unchanged(&tb, snap), "the table is as it was");
	is_int(count_entries(&tb), 1, "1 entry");
	tab_close(&tb);

	if (tab_open(&tp, 16, BINDTAB_P2C))
		return;
	snapshot(&tp, snap);
	pk.family = 0;
	is_int(bindtab_put(&tp.t, &pk, &pv), -EINVAL, "p2c key with family 0: -EINVAL");
	ok(table_unchanged(&tp, snap), "and nothing was written");
	tab_close(&tp);
}

/* n c2p keys whose two buckets are c0 and c1 (either first) in a table of slots: 0, or -1. */
static int same_buckets(struct turn_c2p_key *k, int n, uint32_t c0, uint32_t c1, uint32_t slots,
			uint32_t seed)
{
	uint32_t b[2];
	int got = 0;

	for (uint32_t i = 0; i < 200000 && got < n; i++) {
		struct turn_c2p_key c = c2p_key(i & 1 ? TURN_AF_INET6 : TURN_AF_INET, seed + i);

		prog_buckets(&c, slots, b);
		if ((b[0] == c0 && b[1] == c1) || (b[0] == c1 && b[1] == c0))
			k[got++] = c;
	}
	return got == n ? 0 : -1;
}

/*
 * Put TURN_BIND_PROBES keys of buckets c0 and c1: each goes into the first free slot of the
 * emptier of its buckets (on a tie its first), and together they fill both.
 */
static void fill_buckets(struct tab *tb, struct turn_c2p_key *k, struct turn_c2p_val *v,
			 uint32_t c0, uint32_t c1)
{
	uint32_t taken[2] = { 0, 0 }, b[2];
	int placed = 0;

	for (int i = 0; i < TURN_BIND_PROBES; i++) {
		int first, other, j;

		v[i] = c2p_val(TURN_AF_INET, (uint32_t)i);
		is_int(bindtab_put(&tb->t, &k[i], &v[i]), 0, "put key %d of buckets %u and %u", i,
		       c0, c1);
		prog_buckets(&k[i], tb->n, b);
		first = b[0] == c0 ? 0 : 1;
		other = !first;
		j = taken[first] <= taken[other] ? first : other;
		placed += slot_of(tb, &k[i]) == (int)((j ? c1 : c0) * WAYS + taken[j]++);
	}
	is_int(placed, TURN_BIND_PROBES,
	       "each went to the first free slot of its emptier bucket (a tie: its first one)");
	is_int(count_entries(tb), TURN_BIND_PROBES, "buckets %u and %u are full", c0, c1);
}

/* Keys that all have buckets c0 and c1 in 16 slots: eight fit, the ninth cannot (no move). */
static void test_capacity(uint32_t c0, uint32_t c1)
{
	struct turn_c2p_key k[TURN_BIND_PROBES + 1];
	struct turn_c2p_val v[TURN_BIND_PROBES + 1], got;
	struct turn_c2p_ent snap[16];
	struct tab tb;
	int s2, s3, s5;

	diag("capacity: %d + 1 keys of buckets %u and %u in 16 slots", TURN_BIND_PROBES, c0, c1);
	if (!ok(!same_buckets(k, TURN_BIND_PROBES + 1, c0, c1, 16, c0 * 1000 + c1),
		"found %d keys of buckets %u and %u", TURN_BIND_PROBES + 1, c0, c1))
		return;
	if (tab_open(&tb, 16, BINDTAB_C2P))
		return;
	fill_buckets(&tb, k, v, c0, c1);
	v[TURN_BIND_PROBES] = c2p_val(TURN_AF_INET6, 99);
	snapshot(&tb, snap);
	is_int(bindtab_put(&tb.t, &k[TURN_BIND_PROBES], &v[TURN_BIND_PROBES]), -ENOSPC,
	       "one more: -ENOSPC (every entry's other bucket is full too)");
	ok(table_unchanged(&tb, snap), "and nothing was written");
	is_int(bindtab_get(&tb.t, &k[TURN_BIND_PROBES], &got), -ENOENT, "it is not there");

	s3 = slot_of(&tb, &k[3]);
	v[3].expires_ns += 777;
	v[3].rt_tag ^= 1;
	is_int(bindtab_put(&tb.t, &k[3], &v[3]), 0, "rewrite key 3 in the full buckets");
	is_int(slot_of(&tb, &k[3]), s3, "in its own slot");
	ok(!bindtab_get(&tb.t, &k[3], &got) && !memcmp(&got, &v[3], sizeof(got)),
	   "with the new value");
	is_int(count_entries(&tb), TURN_BIND_PROBES, "still %d entries", TURN_BIND_PROBES);

	s2 = slot_of(&tb, &k[2]);
	is_int(bindtab_del(&tb.t, &k[2]), 0, "delete key 2");
	s5 = slot_of(&tb, &k[5]);
	v[5].expires_ns += 1;
	is_int(bindtab_put(&tb.t, &k[5], &v[5]), 0, "rewrite key 5 while key 2's slot is free");
	is_int(slot_of(&tb, &k[5]), s5, "it stays in its slot (no duplicate in the hole)");
	is_int(count_entries(&tb), TURN_BIND_PROBES - 1, "%d entries", TURN_BIND_PROBES - 1);
	is_int(bindtab_put(&tb.t, &k[TURN_BIND_PROBES], &v[TURN_BIND_PROBES]), 0,
	       "now the ninth key fits");
	is_int(slot_of(&tb, &k[TURN_BIND_PROBES]), s2, "in the slot key 2 left");
	check_prog_view(&tb, &k[TURN_BIND_PROBES], &v[TURN_BIND_PROBES], sizeof(v[0]),
			"the ninth key");
	for (int i = 0; i < TURN_BIND_PROBES; i++) {
		int want = i == 2 ? -ENOENT : 0;

		is_int(bindtab_get(&tb.t, &k[i], &got), want, "key %d: %s", i,
		       want ? "gone" : "there");
		if (!want)
			is_mem(&got, &v[i], sizeof(got), "key %d: its value", i);
	}
	tab_close(&tb);
}

/* An entry a displacement case writes straight into the table: a key of buckets b0, b1. */
struct place {
	uint32_t b0, b1, slot;
};

/*
 * A displacement case: n slots laid out as at[] says, then a new key of buckets k0, k1 put.
 * Both its buckets are full: entry at[moved] must go to slot to, and the new key into the slot
 * it left, ks; moved -1: no entry can move, -ENOSPC. guard: check that the moved entry is in
 * slot to before its old slot is written.
 */
struct displace {
	const char *name;
	uint32_t n, k0, k1;
	int moved;
	uint32_t to, ks;
	bool guard;
	int nat;
	struct place at[PLACE_MAX];
};

static const struct displace displace_cases[] = {
	{ "the first movable entry of the first bucket moves, to the first free slot", 32, 2, 5,
	  2, 1, 10, false, 13, {
		{ 2, 5, 8 }, { 7, 2, 9 }, { 0, 2, 10 }, { 2, 3, 11 },	/* the new key's 2 */
		{ 5, 2, 20 }, { 5, 6, 21 }, { 2, 5, 22 }, { 1, 5, 23 },	/* and 5 */
		{ 7, 4, 28 }, { 4, 7, 29 }, { 7, 1, 30 }, { 6, 7, 31 },	/* 7 full */
		{ 0, 4, 0 },						/* 0: 1 to 3 free */
	} },
	{ "nothing in the first bucket can move: an entry of the second does", 32, 6, 1,
	  6, 0, 6, false, 16, {
		{ 6, 1, 24 }, { 1, 6, 25 }, { 6, 3, 26 }, { 4, 6, 27 },	/* the new key's 6 */
		{ 1, 6, 4 }, { 3, 1, 5 }, { 1, 0, 6 }, { 7, 1, 7 },	/* and 1 */
		{ 3, 2, 12 }, { 2, 3, 13 }, { 3, 5, 14 }, { 5, 3, 15 },	/* 3 full */
		{ 4, 2, 16 }, { 2, 4, 17 }, { 4, 5, 18 }, { 5, 4, 19 },	/* 4 full */
	} },
	{ "every entry's other bucket is full, not only the new key's two", 32, 3, 4,
	  -1, 0, 0, false, 13, {
		{ 3, 4, 12 }, { 4, 3, 13 }, { 3, 5, 14 }, { 5, 3, 15 },	/* the new key's 3 */
		{ 4, 3, 16 }, { 3, 4, 17 }, { 4, 5, 18 }, { 5, 4, 19 },	/* and 4 */
		{ 5, 3, 20 }, { 3, 5, 21 }, { 5, 4, 22 }, { 4, 5, 23 },	/* 5 full */
		{ 0, 1, 0 },
	} },
	{ "the copy comes first: the moved entry is never missing", GUARD_SLOTS, 10, 50,
	  0, 160, 40, true, 8, {
		{ 10, 40, 40 }, { 10, 50, 41 }, { 50, 10, 42 }, { 10, 50, 43 },
		{ 50, 10, 200 }, { 10, 50, 201 }, { 50, 10, 202 }, { 10, 50, 203 },
	} },
};

/* The next c2p key from *next on whose buckets in n slots are b0 then b1: 0, or -1. */
static int key_of(struct turn_c2p_key *k, uint32_t b0, uint32_t b1, uint32_t n, uint32_t *next)
{
	uint32_t b[2];

	for (uint32_t end = *next + (1u << 20); *next != end; (*next)++) {
		*k = c2p_key(*next & 1 ? TURN_AF_INET6 : TURN_AF_INET, *next);
		prog_buckets(k, n, b);
		if (b[0] == b0 && b[1] == b1) {
			(*next)++;
			return 0;
		}
	}
	return -1;
}

/*
 * Write d's entries into their slots (keys into k, values into v, each with a route the
 * program cached) and a route the program left in every other slot (slot s: route_bytes(64 +
 * s), unlike the entries' 1 to PLACE_MAX), and find the new key, k[d->nat]: 0, or -1.
 */
static int lay_out(struct tab *tb, const struct displace *d, struct turn_c2p_key *k,
		   struct turn_c2p_val *v)
{
	uint64_t used[GUARD_SLOTS / 64] = { 0 };
	uint32_t next = 1;

	for (int i = 0; i < d->nat; i++) {
		const struct place *p = &d->at[i];
		struct turn_c2p_ent e;

		if ((p->slot / WAYS != p->b0 && p->slot / WAYS != p->b1) || p->slot >= d->n ||
		    (used[p->slot / 64] & 1ull << p->slot % 64) ||
		    key_of(&k[i], p->b0, p->b1, d->n, &next))
			return -1;
		used[p->slot / 64] |= 1ull << p->slot % 64;
		v[i] = c2p_val(TURN_AF_INET, (uint32_t)i);
		v[i].rt = route_bytes((uint32_t)i + 1);
		v[i].rt.tag = v[i].rt_tag;
		memset(&e, 0, sizeof(e));
		e.seq = 2 * ((uint32_t)i + 1);
		e.k = k[i];
		e.v = v[i];
		if (ent_write(tb, p->slot, &e))
			return -1;
	}
	for (uint32_t i = 0; i < d->n; i++) {
		struct turn_route rt = route_bytes(64 + i);

		if (!(used[i / 64] & 1ull << i % 64) && route_write(tb, i, &rt))
			return -1;
	}
	return key_of(&k[d->nat], d->k0, d->k1, d->n, &next);
}

/*
 * The copy-first check: the pages of the slot the moved entry leaves are read-only until the
 * first write to them, which finds out whether the entry is in its new slot already, and
 * whether that write is the slot's seq (the seqlock write's first store).
 */
static struct {
	uint8_t *lo, *hi, *seq;
	const struct turn_c2p_ent *to;
	struct turn_c2p_key key;
	struct turn_c2p_val val;
	volatile sig_atomic_t faults, copied, at_seq;
} guard;

static void guard_segv(int sig, siginfo_t *si, void *uc)
{
	const uint8_t *a = si->si_addr;
	const struct turn_c2p_ent *to = guard.to;

	(void)uc;
	if (a < guard.lo || a >= guard.hi) {
		signal(sig, SIG_DFL);	/* not ours: fault again, and die of it */
		return;
	}
	guard.faults++;
	guard.at_seq = a == guard.seq;
	guard.copied = !(to->seq & 1) && !memcmp(&to->k, &guard.key, sizeof(guard.key)) &&
		       !memcmp(&to->v, &guard.val, sizeof(guard.val));
	mprotect(guard.lo, (size_t)(guard.hi - guard.lo), PROT_READ | PROT_WRITE);
}

/* Arm the guard for slot ks, key and val expected in slot to: 0, or -1 (pages shared). */
static int guard_arm(const struct tab *tb, uint32_t ks, uint32_t to, const void *key,
		     const void *val, struct sigaction *old)
{
	struct sigaction sa;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), base = (uintptr_t)tb->t.base;
	uintptr_t lo = (base + ks * tb->t.stride) & ~(page - 1);
	uintptr_t hi = (base + (ks + 1) * tb->t.stride + page - 1) & ~(page - 1);
	uintptr_t dst = base + to * tb->t.stride;

	if (dst + tb->t.stride > lo && dst < hi)
		return -1;
	guard.lo = (uint8_t *)lo;
	guard.hi = (uint8_t *)hi;
	guard.seq = (uint8_t *)(base + ks * tb->t.stride);
	guard.to = (const void *)dst;
	memcpy(&guard.key, key, sizeof(guard.key));
	memcpy(&guard.val, val, sizeof(guard.val));
	guard.faults = 0;
	guard.copied = 0;
	guard.at_seq = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, old))
		return -1;
	if (mprotect(guard.lo, hi - lo, PROT_READ)) {
		sigaction(SIGSEGV, old, NULL);
		return -1;
	}
	return 0;
}

static void guard_disarm(const struct sigaction *old)
{
	mprotect(guard.lo, (size_t)(guard.hi - guard.lo), PROT_READ | PROT_WRITE);
	sigaction(SIGSEGV, old, NULL);
}

/*
 * After the put: the new key and the moved entry where the rule says, each with the route
 * cache its slot had (want: their values so), nothing else touched.
 */
static void displace_moved(const struct tab *tb, const struct displace *d,
			   const struct turn_c2p_ent *snap, const struct turn_c2p_key *k,
			   const struct turn_c2p_val *want)
{
	struct turn_route to_rt = route_at(tb, d->to), ks_rt = route_at(tb, d->ks);
	uint32_t others = 0;

	is_int(slot_of(tb, &k[d->nat]), d->ks, "the new key took slot %u", d->ks);
	is_int(slot_of(tb, &k[d->moved]), d->to,
	       "entry %d (the first whose other bucket has room) moved to that bucket's first "
	       "free slot", d->moved);
	is_mem(&to_rt, &snap[d->to].v.rt, sizeof(to_rt),
	       "slot %u keeps the route cache it had, not the moved entry's", d->to);
	is_mem(&ks_rt, &snap[d->ks].v.rt, sizeof(ks_rt),
	       "slot %u keeps the moved entry's, not the new key's given rt", d->ks);
	check_prog_view(tb, &k[d->nat], &want[d->nat], sizeof(want[0]), "the new key");
	check_prog_view(tb, &k[d->moved], &want[d->moved], sizeof(want[0]), "the moved entry");
	for (uint32_t i = 0; i < tb->n; i++)
		others += i != d->ks && i != d->to && slot_changed(tb, snap, i);
	is_int(others, 0, "no other slot was written");
}

static void test_displace(const struct displace *d)
{
	struct turn_c2p_key k[PLACE_MAX + 1];
	struct turn_c2p_val v[PLACE_MAX + 1], want[PLACE_MAX + 1], got;
	struct turn_c2p_ent *snap = calloc(d->n, sizeof(*snap));
	int nk = d->nat, r, bad = 0;
	struct sigaction old;
	struct tab tb;

	diag("displacement: %s", d->name);
	if (!ok(snap != NULL, "memory") || tab_open(&tb, d->n, BINDTAB_C2P))
		goto out;
	if (!ok(!lay_out(&tb, d, k, v), "lay out %d entries in %u slots; a key of buckets %u, %u",
		nk, d->n, d->k0, d->k1))
		goto close;
	v[nk] = c2p_val(TURN_AF_INET6, 500);
	memset(&v[nk].rt, 0xee, sizeof(v[nk].rt));	/* junk: never written */
	snapshot(&tb, snap);
	/* What each key must read back: the slot it ends in keeps its route cache. */
	memcpy(want, v, sizeof(want));
	if (d->moved >= 0) {
		want[d->moved].rt = snap[d->to].v.rt;
		want[nk].rt = snap[d->ks].v.rt;
	}
	if (d->guard && !ok(!guard_arm(&tb, d->ks, d->to, &k[d->moved], &want[d->moved], &old),
			    "slot %u made read-only, slot %u on other pages", d->ks, d->to))
		goto close;
	r = bindtab_put(&tb.t, &k[nk], &v[nk]);
	if (d->guard) {
		guard_disarm(&old);
		is_int(guard.faults, 1, "the slot the entry left was written to");
		ok(guard.copied, "only once the entry was whole in slot %u", d->to);
		ok(guard.at_seq, "and the first store to it was its seq (a seqlock write)");
	}
	if (d->moved >= 0) {
		is_int(r, 0, "put a key whose buckets are full");
		displace_moved(&tb, d, snap, k, want);
	} else {
		is_int(r, -ENOSPC, "put a key whose buckets are full: -ENOSPC, nothing can move");
		ok(table_unchanged(&tb, snap), "and nothing was written");
		is_int(bindtab_get(&tb.t, &k[nk], &got), -ENOENT, "the new key is not there");
	}
	for (int i = 0; i < nk + (d->moved >= 0); i++)
		bad += bindtab_get(&tb.t, &k[i], &got) || memcmp(&got, &want[i], sizeof(got));
	is_int(bad, 0, "every key reads back its value, with its slot's route cache");
	is_int(count_entries(&tb), nk + (d->moved >= 0), "as many entries as keys: none lost, "
	       "none twice");
close:
	tab_close(&tb);
out:
	free(snap);
}

/*
 * Slot s holds key and val as given but for the route cache, which is rt byte for byte (what
 * the program left there), to the program (through the map) and to bindtab_get alike.
 */
static void check_kept(const struct tab *tb, uint32_t s, const void *key, const void *val,
		       const struct turn_route *rt, const char *what)
{
	struct turn_c2p_ent e = ent_read(tb, s);
	struct turn_c2p_val want, got;

	with_route(tb, &want, val, rt);
	memset(&got, 0xa5, sizeof(got));
	is_mem((const uint8_t *)&e.v + rt_off(tb->kind), rt, sizeof(*rt),
	       "%s: slot %u's route cache is byte for byte as the program left it", what, s);
	ok(!(e.seq & 1) && !memcmp(&e.k, key, sizeof(e.k)) && !memcmp(&e.v, &want, sizeof(want)),
	   "%s: the program reads the key and the rest of the value as given (seq %u)", what,
	   e.seq);
	ok(!bindtab_get(&tb->t, key, &got) && !memcmp(&got, &want, sizeof(got)),
	   "%s: bindtab_get reads the same", what);
}

/* Slot s was deleted from seq: seq on by 2, key and value zero but the route cache, rt. */
static void check_deleted(const struct tab *tb, uint32_t s, uint32_t seq,
			  const struct turn_route *rt, const char *what)
{
	struct turn_c2p_ent e = ent_read(tb, s), zero;

	memset(&zero, 0, sizeof(zero));
	with_route(tb, &zero.v, &zero.v, rt);
	is_int(e.seq, seq + 2, "%s: the delete moved seq on by 2", what);
	is_mem(&e.k, &zero.k, sizeof(e.k) + sizeof(e.v),
	       "%s: key and value zero but the route cache, byte for byte as it was", what);
}

/* A c2p key other than k whose first bucket in n slots is b0: 0, or -1. */
static int key_in_bucket(struct turn_c2p_key *k2, const struct turn_c2p_key *k, uint32_t b0,
			 uint32_t n)
{
	uint32_t b[2];

	for (uint32_t i = 1; i < 100000; i++) {
		*k2 = c2p_key(i & 1 ? TURN_AF_INET6 : TURN_AF_INET, 3000 + i);
		prog_buckets(k2, n, b);
		if (b[0] == b0 && memcmp(k2, k, sizeof(*k)))
			return 0;
	}
	return -1;
}

/*
 * The route cache is the program's: a put of a new key, a rewrite (whatever its rt_tag), a
 * delete leave its bytes as they were; whatever the given value's rt holds is not written.
 */
static void test_route_cache(void)
{
	const struct turn_route rt = route_bytes(1), rt2 = route_bytes(2);
	struct turn_c2p_key k = c2p_key(TURN_AF_INET, 11), k2;
	struct turn_c2p_val v = c2p_val(TURN_AF_INET, 11), v2 = c2p_val(TURN_AF_INET6, 12);
	uint32_t s, b[2], seq;
	struct tab tb;

	diag("the program's route cache");
	if (tab_open(&tb, 16, BINDTAB_C2P))
		return;
	prog_buckets(&k, tb.n, b);
	s = b[0] * WAYS;
	is_int(route_write(&tb, s, &rt), 0, "the program left a route in free slot %u", s);
	v.rt_tag = 0x1234;
	memset(&v.rt, 0xee, sizeof(v.rt));
	is_int(bindtab_put(&tb.t, &k, &v), 0, "put a binding, junk in the given rt");
	is_int(slot_of(&tb, &k), s, "into that slot (its first bucket's first)");
	check_kept(&tb, s, &k, &v, &rt, "a new binding");

	is_int(route_write(&tb, s, &rt2), 0, "the program caches the binding's route");
	ok(!bindtab_get(&tb.t, &k, &v2) && !memcmp(&v2.rt, &rt2, sizeof(rt2)),
	   "the mapping sees the program's write");
	v.expires_ns += 1000000000;
	v.alloc_id ^= 0x5a5a5a5a5a5a5a5aull;
	v.peer_port = htons(6001);
	v.rt = route_bytes(3);
	is_int(bindtab_put(&tb.t, &k, &v), 0,
	       "rewrite, same rt_tag: new expiry, alloc_id and peer port, another rt given");
	check_kept(&tb, s, &k, &v, &rt2, "a rewrite, same rt_tag");

	v.rt_tag = 0x5678;
	v.slot ^= 0xff;
	memset(&v.rt, 0, sizeof(v.rt));
	is_int(bindtab_put(&tb.t, &k, &v), 0, "rewrite with another rt_tag, a zero rt given");
	check_kept(&tb, s, &k, &v, &rt2, "a rewrite, another rt_tag");
	is_int(slot_of(&tb, &k), s, "in the same slot");

	seq = ent_read(&tb, s).seq;
	is_int(bindtab_del(&tb.t, &k), 0, "del the binding");
	check_deleted(&tb, s, seq, &rt2, "the deleted binding");
	is_int(bindtab_get(&tb.t, &k, NULL), -ENOENT, "and it is gone");

	if (!ok(!key_in_bucket(&k2, &k, b[0], tb.n), "another key whose first bucket is %u", b[0]))
		goto out;
	v2 = c2p_val(TURN_AF_INET6, 12);
	v2.rt = route_bytes(4);
	is_int(bindtab_put(&tb.t, &k2, &v2), 0, "put it, into the empty table");
	is_int(slot_of(&tb, &k2), s, "it took slot %u", s);
	check_kept(&tb, s, &k2, &v2, &rt2, "another binding in the slot");
	seq = ent_read(&tb, s).seq;
	is_int(bindtab_del(&tb.t, &k2), 0, "del it");
	check_deleted(&tb, s, seq, &rt2, "the other binding");
	is_int(bindtab_put(&tb.t, &k, &v), 0, "put the first binding again");
	check_kept(&tb, s, &k, &v, &rt2, "the first binding put again");
out:
	tab_close(&tb);
}

static void test_route_cache_p2c(void)
{
	const struct turn_route rt = route_bytes(5), none = { 0 };
	struct turn_p2c_key k = p2c_key(TURN_AF_INET6, 12);
	struct turn_p2c_val v = p2c_val(TURN_AF_INET6, 12);
	struct tab tb;
	uint32_t s, seq;

	diag("the route cache in p2c");
	if (tab_open(&tb, 16, BINDTAB_P2C))
		return;
	v.rt = route_bytes(6);
	is_int(bindtab_put(&tb.t, &k, &v), 0, "put a p2c binding, junk in the given rt");
	s = (uint32_t)slot_of(&tb, &k);
	check_kept(&tb, s, &k, &v, &none, "a new p2c binding in a slot never used");
	is_int(route_write(&tb, s, &rt), 0, "the program caches a route in slot %u", s);
	v.expires_ns += 1;
	v.alloc_id += 1;
	is_int(bindtab_put(&tb.t, &k, &v), 0, "rewrite, same rt_tag");
	check_kept(&tb, s, &k, &v, &rt, "p2c, same rt_tag");
	v.rt_tag++;
	v.channel = htons(0x4fff);
	memset(&v.rt, 0, sizeof(v.rt));
	is_int(bindtab_put(&tb.t, &k, &v), 0, "rewrite, another rt_tag, a zero rt given");
	check_kept(&tb, s, &k, &v, &rt, "p2c, another rt_tag");
	seq = ent_read(&tb, s).seq;
	is_int(bindtab_del(&tb.t, &k), 0, "del it");
	check_deleted(&tb, s, seq, &rt, "p2c");
	is_int(bindtab_put(&tb.t, &k, &v), 0, "put it again");
	is_int(slot_of(&tb, &k), s, "into the same slot");
	check_kept(&tb, s, &k, &v, &rt, "p2c, put again");
	tab_close(&tb);
}

static void test_at(void)
{
	struct turn_c2p_key k, kk;
	struct turn_c2p_val v, vv;
	uint32_t firsts = 0, pairs = 0, live = 0, seen = 0, bad = 0, b[2];
	uint64_t first_bits = 0, pair_bits[16 * 16 / 64] = { 0 };
	struct tab tb;

	diag("bindtab_at");
	if (tab_open(&tb, 64, BINDTAB_C2P))
		return;
	for (uint32_t i = 0; i < 40; i++) {
		k = c2p_key(i % 3 ? TURN_AF_INET : TURN_AF_INET6, i * 7);
		v = c2p_val(TURN_AF_INET, i);
		bindtab_buckets(&tb.t, &k, b);
		first_bits |= 1ull << b[0];
		pair_bits[(b[0] * 16 + b[1]) / 64] |= 1ull << (b[0] * 16 + b[1]) % 64;
		live += !bindtab_put(&tb.t, &k, &v);
	}
	firsts = (uint32_t)__builtin_popcountll(first_bits);
	for (size_t i = 0; i < sizeof(pair_bits) / sizeof(pair_bits[0]); i++)
		pairs += (uint32_t)__builtin_popcountll(pair_bits[i]);
	ok(firsts >= 10 && pairs >= 30,
	   "40 keys have %u different first buckets of 16, %u different pairs (the hash spreads)",
	   firsts, pairs);
	is_int(live, 40, "all 40 keys put into 64 slots");
	for (uint32_t i = 0; i < tb.n; i++) {
		if (bindtab_at(&tb.t, i, &kk, &vv))
			continue;
		seen++;
		bindtab_buckets(&tb.t, &kk, b);
		bad += bindtab_get(&tb.t, &kk, &v) || memcmp(&v, &vv, sizeof(v)) ||
		       (i / WAYS != b[0] && i / WAYS != b[1]);
	}
	is_int(seen, live, "bindtab_at sees as many entries as were put");
	is_int(bad, 0, "each one gets back alike, in one of its two buckets");
	is_int(bindtab_at(&tb.t, tb.n, &kk, &vv), -ENOENT, "slot N: -ENOENT");
	is_int(bindtab_at(&tb.t, tb.n + 1, &kk, &vv), -ENOENT, "slot N + 1: -ENOENT");
	is_int(bindtab_at(&tb.t, UINT32_MAX, &kk, &vv), -ENOENT, "slot 2^32 - 1: -ENOENT");
	tab_close(&tb);
}

/* The family byte of kind's keys. */
static size_t fam_off(enum bindtab_kind kind)
{
	return kind == BINDTAB_C2P ? offsetof(struct turn_c2p_key, family) :
				     offsetof(struct turn_p2c_key, family);
}

/* Random bytes, padding included; the family byte is forced to nonzero or zero. */
static void hostile_key(void *k, enum bindtab_kind kind, bool fam)
{
	uint8_t *b = k;

	rng_fill(k, sizeof(struct turn_c2p_key));
	if (!fam)
		b[fam_off(kind)] = 0;
	else if (!b[fam_off(kind)])
		b[fam_off(kind)] = 1;
}

/*
 * Every successful key reads back its value (v[i]: as put, with the route cache of the slot
 * it is in); every other one is absent.
 */
static uint32_t hostile_check(const struct tab *tb, const struct turn_c2p_key *k,
			      const struct turn_c2p_val *v, const int *res)
{
	struct turn_c2p_val got;
	uint32_t bad = 0;

	for (int i = 0; i < HOSTILE_KEYS; i++) {
		int r = bindtab_get(&tb->t, &k[i], &got);

		if (res[i] ? r != -ENOENT : r || memcmp(&got, &v[i], sizeof(got))) {
			if (!bad)
				diag("key %d: put %d, get %d", i, res[i], r);
			bad++;
		}
	}
	return bad;
}

static uint32_t seq_odd_slots(const struct tab *tb)
{
	uint32_t odd = 0;

	for (uint32_t i = 0; i < tb->n; i++)
		odd += ent_read(tb, i).seq & 1;
	return odd;
}

/* Each entry bindtab_at gives lies in one of its two buckets, as the program reads them. */
static uint32_t misplaced(const struct tab *tb)
{
	uint32_t bad = 0, b[2];

	for (uint32_t i = 0; i < tb->n; i++) {
		struct turn_c2p_ent e = ent_read(tb, i);
		struct turn_c2p_key k;
		struct turn_c2p_val v;

		if (bindtab_at(&tb->t, i, &k, &v))
			continue;
		prog_buckets(&k, tb->n, b);
		bad += memcmp(&e.k, &k, sizeof(k)) || memcmp(&e.v, &v, sizeof(v)) ||
		       (i / WAYS != b[0] && i / WAYS != b[1]);
	}
	return bad;
}

/*
 * -ENOSPC is right when the eight slots of key's buckets are taken and no entry in them has
 * a free slot in its other bucket (read from the table).
 */
static bool neighbourhood_full(const struct tab *tb, const void *key)
{
	struct turn_c2p_key kk;
	struct turn_c2p_val vv;
	uint32_t b[2], eb[2];

	prog_buckets(key, tb->n, b);
	for (uint32_t i = 0; i < TURN_BIND_PROBES; i++) {
		uint32_t s = probe_slot(b, i), other;

		if (bindtab_at(&tb->t, s, &kk, &vv))
			return false;
		prog_buckets(&kk, tb->n, eb);
		other = other_bucket(eb, s);
		for (uint32_t j = 0; j < WAYS; j++)
			if (bindtab_at(&tb->t, other * WAYS + j, &kk, &vv))
				return false;
	}
	return true;
}

/*
 * The reference: what each slot must hold by the placement rule, kept beside the table. A
 * slot's value includes the route cache the program left there (free slots too), which
 * nothing bindtab does changes.
 */
struct ref {
	uint32_t n, moves;
	size_t rt_off;			/* of the route cache in kind's value */
	bool used[MAX_SLOTS];
	struct turn_c2p_key key[MAX_SLOTS];
	struct turn_c2p_val val[MAX_SLOTS];
};

/* An empty reference for a table of n slots of kind (its route caches all zero). */
static void ref_init(struct ref *r, uint32_t n, enum bindtab_kind kind)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	r->rt_off = rt_off(kind);
}

/* Slot s's route cache in the reference. */
static struct turn_route ref_route(const struct ref *r, uint32_t s)
{
	struct turn_route rt;

	memcpy(&rt, (const uint8_t *)&r->val[s] + r->rt_off, sizeof(rt));
	return rt;
}

/* The program caches rt in slot s (free or not), of the table and of the reference. */
static int ref_cache(const struct tab *tb, struct ref *r, uint32_t s, const struct turn_route *rt)
{
	memcpy((uint8_t *)&r->val[s] + r->rt_off, rt, sizeof(*rt));
	return route_write(tb, s, rt);
}

/* Key and val into slot s as bindtab writes them: all but the slot's route cache. */
static void ref_write(struct ref *r, uint32_t s, const void *key, const void *val)
{
	struct turn_route rt = ref_route(r, s);

	memmove(&r->key[s], key, sizeof(r->key[s]));
	memmove(&r->val[s], val, sizeof(r->val[s]));
	memcpy((uint8_t *)&r->val[s] + r->rt_off, &rt, sizeof(rt));
}

/* The slot of key in the reference, or -1. */
static int ref_find(const struct ref *r, const void *key)
{
	uint32_t b[2];

	prog_buckets(key, r->n, b);
	for (uint32_t i = 0; i < TURN_BIND_PROBES; i++) {
		uint32_t s = probe_slot(b, i);

		if (r->used[s] && !memcmp(&r->key[s], key, sizeof(r->key[s])))
			return (int)s;
	}
	return -1;
}

/* How many slots of bucket b are taken. */
static uint32_t ref_taken(const struct ref *r, uint32_t b)
{
	uint32_t n = 0;

	for (uint32_t j = 0; j < WAYS; j++)
		n += r->used[b * WAYS + j];
	return n;
}

/* The first free slot of bucket b (there is one). */
static uint32_t ref_first_free(const struct ref *r, uint32_t b)
{
	uint32_t j = 0;

	while (r->used[b * WAYS + j])
		j++;
	return b * WAYS + j;
}

/*
 * Both of a new key's buckets b are full: the first of their entries (b[0]'s slots 0 to 3,
 * then b[1]'s) whose other bucket is not full moves to that bucket's first free slot. The slot
 * it left, or -1: none can move.
 */
static int ref_make_room(struct ref *r, const uint32_t b[2])
{
	for (uint32_t i = 0; i < TURN_BIND_PROBES; i++) {
		uint32_t s = probe_slot(b, i), eb[2], other, to;

		prog_buckets(&r->key[s], r->n, eb);
		other = other_bucket(eb, s);
		if (ref_taken(r, other) == WAYS)
			continue;
		to = ref_first_free(r, other);
		r->used[to] = true;
		ref_write(r, to, &r->key[s], &r->val[s]);
		r->moves++;
		return (int)s;
	}
	return -1;
}

/*
 * Put key and val by the rule: a rewrite in place; else the first free slot of the emptier
 * bucket, b[0] on a tie; else the slot an entry moved out of. Whichever, the slot keeps its
 * route cache. The slot, or -ENOSPC.
 */
static int ref_put(struct ref *r, const void *key, const void *val)
{
	uint32_t b[2], t0, t1;
	int s = ref_find(r, key);

	if (s >= 0) {
		ref_write(r, (uint32_t)s, key, val);
		return s;
	}
	prog_buckets(key, r->n, b);
	t0 = ref_taken(r, b[0]);
	t1 = ref_taken(r, b[1]);
	if (t0 < WAYS && t0 <= t1)
		s = (int)ref_first_free(r, b[0]);
	else if (t1 < WAYS)
		s = (int)ref_first_free(r, b[1]);
	else
		s = ref_make_room(r, b);
	if (s < 0)
		return -ENOSPC;
	r->used[s] = true;
	ref_write(r, (uint32_t)s, key, val);
	return s;
}

/* A delete: key and value zero, all but the route cache. */
static void ref_del(struct ref *r, int s)
{
	static const struct turn_c2p_ent zero;

	r->used[s] = false;
	ref_write(r, (uint32_t)s, &zero.k, &zero.v);
}

/*
 * How many slots of the table differ from the reference: taken or not, key and value (the
 * route cache included) to bindtab_at, and every byte of key and value to the program, a free
 * slot's too.
 */
static uint32_t ref_diff(const struct tab *tb, const struct ref *r)
{
	struct turn_c2p_key k;
	struct turn_c2p_val v;
	uint32_t bad = 0;

	for (uint32_t i = 0; i < tb->n; i++) {
		struct turn_c2p_ent e = ent_read(tb, i);
		int got = bindtab_at(&tb->t, i, &k, &v);
		bool at_ok = r->used[i] ? !got && !memcmp(&k, &r->key[i], sizeof(k)) &&
					  !memcmp(&v, &r->val[i], sizeof(v)) : got == -ENOENT;

		bad += !at_ok || memcmp(&e.k, &r->key[i], sizeof(e.k)) ||
		       memcmp(&e.v, &r->val[i], sizeof(e.v));
	}
	return bad;
}

static void hostile_fill(struct tab *tb, enum bindtab_kind kind, struct turn_c2p_key *k,
			 struct turn_c2p_val *v, int *res, struct ref *r)
{
	uint32_t put = 0, bad = 0, nospc_wrong = 0, cached = 0;

	ref_init(r, tb->n, kind);
	for (uint32_t i = 0; i < tb->n; i++) {
		struct turn_route rt;

		rng_fill(&rt, sizeof(rt));
		cached += !ref_cache(tb, r, i, &rt);
	}
	is_int(cached, tb->n, "the program left random bytes in every slot's route cache");
	for (int i = 0; i < HOSTILE_KEYS; i++) {
		int want;

		hostile_key(&k[i], kind, true);
		rng_fill(&v[i], sizeof(v[i]));
		want = ref_put(r, &k[i], &v[i]);
		res[i] = bindtab_put(&tb->t, &k[i], &v[i]);
		put += !res[i];
		if (res[i] != (want < 0 ? -ENOSPC : 0) && !bad++)
			diag("key %d: put %d, by the rule %d", i, res[i], want);
		nospc_wrong += res[i] == -ENOSPC && !neighbourhood_full(tb, &k[i]);
	}
	is_int(bad, 0, "every put is 0 or -ENOSPC, as the placement rule has it");
	is_int(nospc_wrong, 0, "each -ENOSPC with both buckets full and no entry free to move");
	ok(put >= MAX_SLOTS - MAX_SLOTS / 8 && put <= MAX_SLOTS && r->moves > 0,
	   "%u keys went in, %u entries moved for them", put, r->moves);
	is_int(ref_diff(tb, r), 0, "the table is slot for slot as the rule places the keys, "
	       "every route cache as the program left it");
	for (int i = 0; i < HOSTILE_KEYS; i++) {
		int s = res[i] ? -1 : ref_find(r, &k[i]);
		struct turn_route rt;

		if (s >= 0) {
			rt = ref_route(r, (uint32_t)s);
			with_route(tb, &v[i], &v[i], &rt);
		}
	}
	is_int(hostile_check(tb, k, v, res), 0,
	       "each key put reads back its value, with its slot's route cache; no other key does");
	is_int(count_entries(tb), put, "bindtab_at sees as many entries");
	is_int(misplaced(tb), 0, "the program finds each where bindtab put it");
	is_int(seq_odd_slots(tb), 0, "no seq is left odd");
}

static void hostile_empty(struct tab *tb, const struct turn_c2p_key *k, const int *res,
			  struct ref *r)
{
	uint32_t bad = 0;

	for (int i = 0; i < HOSTILE_KEYS; i++) {
		int s = ref_find(r, &k[i]);

		bad += bindtab_del(&tb->t, &k[i]) != (res[i] ? -ENOENT : 0);
		if (s >= 0)
			ref_del(r, s);
	}
	is_int(bad, 0, "del: 0 for each key put, -ENOENT for the rest");
	is_int(count_entries(tb), 0, "the table is empty");
	is_int(ref_diff(tb, r), 0,
	       "every slot's key and value are zero but its route cache, as the program left it");
}

static void test_hostile(enum bindtab_kind kind)
{
	struct turn_c2p_key *k = calloc(HOSTILE_KEYS, sizeof(*k));
	struct turn_c2p_val *v = calloc(HOSTILE_KEYS, sizeof(*v));
	int *res = calloc(HOSTILE_KEYS, sizeof(*res));
	struct ref *r = calloc(1, sizeof(*r));
	struct tab tb;

	diag("hostile bytes: %d random %s keys and values into %d slots", HOSTILE_KEYS,
	     kind == BINDTAB_C2P ? "c2p" : "p2c", MAX_SLOTS);
	if (!ok(k && v && res && r, "memory") || tab_open(&tb, MAX_SLOTS, kind))
		goto out;
	hostile_fill(&tb, kind, k, v, res, r);
	hostile_empty(&tb, k, res, r);
	tab_close(&tb);
out:
	free(k);
	free(v);
	free(res);
	free(r);
}

/* Random keys with family 0 (the other bytes anything) into a half-full table: all refused. */
static void test_hostile_family0(enum bindtab_kind kind)
{
	struct turn_c2p_ent snap[16];
	struct turn_c2p_key k;
	struct turn_c2p_val v;
	uint32_t bad = 0;
	struct tab tb;

	if (tab_open(&tb, 16, kind))
		return;
	for (int i = 0; i < 8; i++) {
		hostile_key(&k, kind, true);
		rng_fill(&v, sizeof(v));
		bindtab_put(&tb.t, &k, &v);
	}
	snapshot(&tb, snap);
	for (int i = 0; i < HOSTILE_KEYS; i++) {
		hostile_key(&k, kind, false);
		rng_fill(&v, sizeof(v));
		bad += bindtab_put(&tb.t, &k, &v) != -EINVAL;
		bad += bindtab_get(&tb.t, &k, &v) != -ENOENT;
		bad += bindtab_del(&tb.t, &k) != -ENOENT;
	}
	is_int(bad, 0, "%s: %d random keys with family 0: put -EINVAL, get and del -ENOENT",
	       kind == BINDTAB_C2P ? "c2p" : "p2c", HOSTILE_KEYS);
	ok(table_unchanged(&tb, snap), "and the table is as it was");
	tab_close(&tb);
}

/* The model: its keys, the reference table, how many entries it holds, what happened. */
struct model {
	struct turn_c2p_key key[MODEL_KEYS];
	struct ref r;
	uint32_t n, nospc, cached;
	char why[96];
};

/*
 * Put key i with a random value (its rt random too, which must not be written; its rt_tag
 * one of a few, so that a rewrite has the tag of the entry it rewrites as often as not):
 * NULL, or what went wrong (in m->why).
 */
static const char *model_put(struct tab *tb, struct model *m, uint32_t i)
{
	bool had = ref_find(&m->r, &m->key[i]) >= 0;
	struct turn_c2p_val v;
	int want, r;

	rng_fill(&v, sizeof(v));
	v.rt_tag = (uint32_t)rng() % 2;
	want = ref_put(&m->r, &m->key[i], &v);
	r = bindtab_put(&tb->t, &m->key[i], &v);
	if (r != (want < 0 ? -ENOSPC : 0)) {
		snprintf(m->why, sizeof(m->why), "put of key %u: %d, by the rule %d", i, r, want);
		return m->why;
	}
	if (r == -ENOSPC) {
		m->nospc++;
		return neighbourhood_full(tb, &m->key[i]) ? NULL : "-ENOSPC with room to move";
	}
	m->n += !had;
	return NULL;
}

/*
 * The program caches random bytes as a route in a random slot, a free one too (a deleted
 * entry's cache stays): NULL, or what went wrong.
 */
static const char *model_cache(struct tab *tb, struct model *m)
{
	uint32_t slot = (uint32_t)(rng() % m->r.n);
	struct turn_route rt;

	rng_fill(&rt, sizeof(rt));
	m->cached++;
	return ref_cache(tb, &m->r, slot, &rt) ? "the program's write failed" : NULL;
}

static const char *model_op(struct tab *tb, struct model *m)
{
	uint32_t i = (uint32_t)(rng() % MODEL_KEYS);
	int s = ref_find(&m->r, &m->key[i]), r;
	struct turn_c2p_val got;

	switch (rng() % 4) {
	case 0:
		return model_put(tb, m, i);
	case 1:
		r = bindtab_del(&tb->t, &m->key[i]);
		if (r != (s >= 0 ? 0 : -ENOENT))
			return s >= 0 ? "del of a key there failed" : "del of a key not there";
		if (s >= 0) {
			ref_del(&m->r, s);
			m->n--;
		}
		return NULL;
	case 2:
		return model_cache(tb, m);
	default:
		r = bindtab_get(&tb->t, &m->key[i], &got);
		if (s < 0)
			return r == -ENOENT ? NULL : "get of a key not there";
		return r ? "get of a key there failed" :
		       memcmp(&got, &m->r.val[s], sizeof(got)) ? "get: another value" : NULL;
	}
}

/*
 * Random puts, gets and dels of 100 keys in 64 slots against a reference model, and routes
 * the program caches in random slots meanwhile, which no put, delete or move may touch.
 */
static void test_model(void)
{
	struct model *m = calloc(1, sizeof(*m));
	uint32_t bad = 0, mismatch = 0, layout = 0;
	struct tab tb;

	diag("model: %d random operations on %d keys in %d slots, routes cached meanwhile",
	     MODEL_OPS, MODEL_KEYS, MAX_SLOTS);
	if (!ok(m != NULL, "memory") || tab_open(&tb, MAX_SLOTS, BINDTAB_C2P))
		goto out;
	ref_init(&m->r, tb.n, BINDTAB_C2P);
	for (int i = 0; i < MODEL_KEYS; i++)
		hostile_key(&m->key[i], BINDTAB_C2P, true);
	for (int op = 0; op < MODEL_OPS; op++) {
		const char *why = model_op(&tb, m);

		if (why && !bad++)
			diag("operation %d: %s", op, why);
		mismatch += count_entries(&tb) != m->n;
		if (ref_diff(&tb, &m->r) && !layout++)
			diag("operation %d: the table is not as the rule places the keys", op);
	}
	is_int(bad, 0, "every put, get and del agrees with the model");
	is_int(mismatch, 0, "the number of entries always agrees");
	is_int(layout, 0, "every slot holds what the placement rule puts there, its route cache "
	       "as the program left it, all along");
	ok(m->n > MAX_SLOTS / 4 && m->r.moves > 0 && m->nospc > 0 && m->cached > 0,
	   "the table held %u entries at the end; %u entries moved, %u puts -ENOSPC, %u routes "
	   "cached", m->n, m->r.moves, m->nospc, m->cached);
	is_int(seq_odd_slots(&tb), 0, "no seq is left odd");
	tab_close(&tb);
out:
	free(m);
}

static void test_close_twice(void)
{
	struct tab tb;

	diag("bindtab_close");
	if (tab_open(&tb, 16, BINDTAB_P2C))
		return;
	bindtab_close(&tb.t);
	ok(tb.t.base == NULL, "base is NULL after close");
	bindtab_close(&tb.t);
	ok(tb.t.base == NULL, "a second close is harmless");
	close(tb.fd);
}

int main(void)
{
	int probe;

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs CAP_BPF to create maps\n");
		return 0;
	}
	probe = new_map(BPF_MAP_TYPE_ARRAY, BPF_F_MMAPABLE, ENT_SZ, 16);
	if (probe == -EPERM) {
		printf("1..0 # SKIP needs CAP_BPF to create maps (%s)\n", strerror(-probe));
		return 0;
	}
	if (probe >= 0)
		close(probe);
	test_open();
	test_roundtrip_c2p();
	test_roundtrip_p2c();
	test_seq();
	test_odd_seq();
	test_family0();
	test_capacity(0, 1);
	test_capacity(3, 1);
	for (size_t i = 0; i < sizeof(displace_cases) / sizeof(displace_cases[0]); i++)
		test_displace(&displace_cases[i]);
	test_route_cache();
	test_route_cache_p2c();
	test_at();
	test_hostile(BINDTAB_C2P);
	test_hostile(BINDTAB_P2C);
	test_hostile_family0(BINDTAB_C2P);
	test_hostile_family0(BINDTAB_P2C);
	test_model();
	test_close_twice();
	return done_testing();
}
