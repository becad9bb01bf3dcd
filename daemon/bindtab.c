/* bindtab.c - the c2p and p2c tables: open-addressed arrays the daemon writes through mmap. */
#include "bindtab.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

_Static_assert(sizeof(struct turn_c2p_key) == TURN_BIND_KEY_WORDS * 8 &&
	       sizeof(struct turn_p2c_key) == TURN_BIND_KEY_WORDS * 8, "keys are five words");
_Static_assert(offsetof(struct turn_c2p_ent, k) == TURN_ENT_HDR &&
	       offsetof(struct turn_p2c_ent, k) == TURN_ENT_HDR &&
	       offsetof(struct turn_c2p_ent, v) == TURN_ENT_HDR + sizeof(struct turn_c2p_key) &&
	       offsetof(struct turn_p2c_ent, v) == TURN_ENT_HDR + sizeof(struct turn_p2c_key),
	       "an entry is seq, key, value");
_Static_assert(TURN_BIND_SLOTS >= TURN_BIND_PROBES && !(TURN_BIND_SLOTS & (TURN_BIND_SLOTS - 1)),
	       "a power of two of slots");

static const struct bindtab kinds[] = {
	[BINDTAB_C2P] = { .ksz = sizeof(struct turn_c2p_key), .vsz = sizeof(struct turn_c2p_val),
			  .rt_off = offsetof(struct turn_c2p_val, rt),
			  .fam_off = offsetof(struct turn_c2p_key, family) },
	[BINDTAB_P2C] = { .ksz = sizeof(struct turn_p2c_key), .vsz = sizeof(struct turn_p2c_val),
			  .rt_off = offsetof(struct turn_p2c_val, rt),
			  .fam_off = offsetof(struct turn_p2c_key, family) },
};

int bindtab_open(struct bindtab *t, int fd, enum bindtab_kind kind)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	void *p;

	if ((unsigned)kind >= sizeof(kinds) / sizeof(kinds[0]))
		return -EINVAL;
	*t = kinds[kind];
	t->base = NULL;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_ARRAY || !(info.map_flags & BPF_F_MMAPABLE) ||
	    info.key_size != 4 || info.value_size != TURN_ENT_HDR + t->ksz + t->vsz ||
	    info.max_entries < TURN_BIND_PROBES || (info.max_entries & (info.max_entries - 1)))
		return -EINVAL;
	t->stride = (info.value_size + 7) & ~(size_t)7;
	t->mask = info.max_entries - 1;
	t->len = (t->stride * info.max_entries + (size_t)page - 1) & ~((size_t)page - 1);
	p = mmap(NULL, t->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	t->base = p;
	return 0;
}

void bindtab_close(struct bindtab *t)
{
	if (t->base)
		munmap(t->base, t->len);
	t->base = NULL;
}

/* FNV-1a over n bytes, on from h. */
static uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

uint32_t bindtab_tag(const void *key, size_t klen, const void *val, size_t vlen)
{
	return fnv1a(fnv1a(2166136261u, key, klen), val, vlen);
}

void bindtab_buckets(const struct bindtab *t, const void *key, uint32_t b[2])
{
	__u64 w[TURN_BIND_KEY_WORDS];
	__u32 b1, b2;

	memcpy(w, key, sizeof(w));
	turn_bind_buckets(w, t->mask / TURN_BIND_WAYS, &b1, &b2);
	b[0] = b1;
	b[1] = b2;
}

static uint8_t *slot(const struct bindtab *t, uint32_t i)
{
	return t->base + (size_t)(i & t->mask) * t->stride;
}

/* Slot j (0 to TURN_BIND_WAYS - 1) of bucket b. */
static uint8_t *way(const struct bindtab *t, uint32_t b, uint32_t j)
{
	return slot(t, b * TURN_BIND_WAYS + j);
}

static bool slot_free(const struct bindtab *t, const uint8_t *e)
{
	return !e[TURN_ENT_HDR + t->fam_off];
}

/* The slot holding key, or NULL. */
static uint8_t *find(const struct bindtab *t, const void *key)
{
	uint32_t b[2];

	bindtab_buckets(t, key, b);
	for (uint32_t i = 0; i < TURN_BIND_PROBES; i++) {
		uint8_t *e = way(t, b[i / TURN_BIND_WAYS], i % TURN_BIND_WAYS);

		if (!slot_free(t, e) && !memcmp(e + TURN_ENT_HDR, key, t->ksz))
			return e;
	}
	return NULL;
}

/* A free slot of bucket b, or NULL; *used: how many are taken. */
static uint8_t *bucket_free(const struct bindtab *t, uint32_t b, int *used)
{
	uint8_t *free_slot = NULL;

	*used = 0;
	for (uint32_t j = 0; j < TURN_BIND_WAYS; j++) {
		uint8_t *e = way(t, b, j);

		if (!slot_free(t, e))
			(*used)++;
		else if (!free_slot)
			free_slot = e;
	}
	return free_slot;
}

/*
 * The seqlock write of slot e: seq odd, key and value, seq even again. An odd seq a crashed
 * writer left is made even first. The value's route cache is the program's, guarded by its
 * own seqlock: it is never written here (turn_shared.h, struct turn_route).
 */
static void slot_write(const struct bindtab *t, uint8_t *e, const void *key, const void *val)
{
	uint32_t *seq = (uint32_t *)(void *)e;
	uint32_t s = __atomic_load_n(seq, __ATOMIC_RELAXED) & ~1u;
	uint8_t *v = e + TURN_ENT_HDR + t->ksz;
	size_t rt_end = t->rt_off + sizeof(struct turn_route);

	__atomic_store_n(seq, s + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	memcpy(e + TURN_ENT_HDR, key, t->ksz);
	memcpy(v, val, t->rt_off);
	memcpy(v + rt_end, (const uint8_t *)val + rt_end, t->vsz - rt_end);
	__atomic_store_n(seq, s + 2, __ATOMIC_RELEASE);
}

/*
 * Both buckets full: move an entry of one of them to a free slot of its other bucket (the
 * copy first, so that it is never missing, only twice there for a moment) and return the
 * slot it left, or NULL when none can move.
 */
static uint8_t *make_room(const struct bindtab *t, const uint32_t b[2])
{
	for (uint32_t i = 0; i < TURN_BIND_PROBES; i++) {
		uint8_t *e = way(t, b[i / TURN_BIND_WAYS], i % TURN_BIND_WAYS), *to;
		uint32_t eb[2];
		int used;

		bindtab_buckets(t, e + TURN_ENT_HDR, eb);
		to = bucket_free(t, eb[0] == b[i / TURN_BIND_WAYS] ? eb[1] : eb[0], &used);
		if (to) {
			slot_write(t, to, e + TURN_ENT_HDR, e + TURN_ENT_HDR + t->ksz);
			return e;
		}
	}
	return NULL;
}

int bindtab_put(struct bindtab *t, const void *key, const void *val)
{
	uint8_t *e, *f0, *f1;
	uint32_t b[2];
	int u0, u1;

	if (!((const uint8_t *)key)[t->fam_off])
		return -EINVAL;
	e = find(t, key);
	if (e) {
		slot_write(t, e, key, val);
		return 0;
	}
	/* The emptier bucket, so that both fill evenly. */
	bindtab_buckets(t, key, b);
	f0 = bucket_free(t, b[0], &u0);
	f1 = bucket_free(t, b[1], &u1);
	e = f0 && (!f1 || u0 <= u1) ? f0 : f1;
	if (!e)
		e = make_room(t, b);
	if (!e)
		return -ENOSPC;
	slot_write(t, e, key, val);
	return 0;
}

int bindtab_get(const struct bindtab *t, const void *key, void *val)
{
	const uint8_t *e = find(t, key);

	if (!e)
		return -ENOENT;
	if (val)
		memcpy(val, e + TURN_ENT_HDR + t->ksz, t->vsz);
	return 0;
}

int bindtab_del(struct bindtab *t, const void *key)
{
	uint8_t zero[TURN_ENT_HDR + sizeof(struct turn_c2p_key) + sizeof(struct turn_c2p_val)];
	uint8_t *e = find(t, key);

	_Static_assert(sizeof(struct turn_p2c_key) + sizeof(struct turn_p2c_val) <=
		       sizeof(zero) - TURN_ENT_HDR, "zero holds either entry");
	if (!e)
		return -ENOENT;
	memset(zero, 0, sizeof(zero));
	slot_write(t, e, zero, zero);
	return 0;
}

int bindtab_at(const struct bindtab *t, uint32_t i, void *key, void *val)
{
	const uint8_t *e;

	if (i > t->mask)
		return -ENOENT;
	e = slot(t, i);
	if (slot_free(t, e))
		return -ENOENT;
	memcpy(key, e + TURN_ENT_HDR, t->ksz);
	memcpy(val, e + TURN_ENT_HDR + t->ksz, t->vsz);
	return 0;
}
