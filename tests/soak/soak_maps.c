/* soak_maps.c - `soak-client maps`: count turnd's pinned map entries, match them to clients. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bindtab.h"
#include "log.h"
#include "soak.h"
#include "turn_shared.h"

#define CHUNK 4096

enum { K_NONE, K_SURVIVOR, K_VANISHED };
enum { M_C2P, M_P2C, M_PERM, M_NR };

/* The clients' ports (from the ports file) and what the maps hold for them. */
struct owners {
	uint8_t by_client[65536];	/* enum K_* of a client port */
	uint8_t by_relay[65536];	/* enum K_* of a relay port */
	uint8_t seen[M_NR][65536];	/* a survivor's port seen in map M_* */
	uint64_t due_client[65536];	/* a vanished client's deadline + grace (epoch ms) */
	uint64_t due_relay[65536];	/* the same, by its relay port */
	uint64_t now;			/* epoch ms */
	unsigned long vanished_left, overdue, strays;
};

struct map_walk {
	int fd;
	uint32_t key_size, value_size, max_entries;
	uint8_t *keys, *values;
};

static int walk_open(struct map_walk *w, const char *dir, const char *name)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info), vs;
	char path[512];
	int ncpu = libbpf_num_possible_cpus();

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	w->fd = bpf_obj_get(path);
	if (w->fd < 0 || bpf_obj_get_info_by_fd(w->fd, &info, &len)) {
		pr_err("msg=\"cannot open a pinned map\" path=%s err=\"%s\"", path, strerror(errno));
		return -errno;
	}
	vs = info.value_size;
	if (info.type == BPF_MAP_TYPE_PERCPU_HASH)
		vs = ((vs + 7) & ~7u) * (uint32_t)(ncpu > 0 ? ncpu : 1);
	w->key_size = info.key_size;
	w->value_size = vs;
	w->max_entries = info.max_entries;
	w->keys = malloc((size_t)CHUNK * w->key_size);
	w->values = malloc((size_t)CHUNK * w->value_size);
	return w->keys && w->values ? 0 : -ENOMEM;
}

static void walk_close(struct map_walk *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->keys);
	free(w->values);
}

/* Note what one key of map m says about whose entry it is. */
static void classify(struct owners *o, int m, const uint8_t *key)
{
	uint64_t due;
	uint16_t port;
	uint8_t kind;

	if (m == M_C2P) {
		memcpy(&port, key + offsetof(struct turn_c2p_key, client_port), 2);
		kind = o->by_client[ntohs(port)];
		due = o->due_client[ntohs(port)];
	} else {
		memcpy(&port, key + (m == M_P2C ? offsetof(struct turn_p2c_key, relay_port)
					      : offsetof(struct turn_perm_key, relay_port)), 2);
		kind = o->by_relay[ntohs(port)];
		due = o->due_relay[ntohs(port)];
	}
	if (kind == K_VANISHED) {
		o->vanished_left++;
		o->overdue += due && o->now > due;
	} else if (kind == K_SURVIVOR)
		o->seen[m][ntohs(port)] = 1;
	else
		o->strays++;
}

/* turn_stats slots the c2p entries refer to (the stats map is an array: it is always full). */
static uint8_t slot_seen[TURN_MAX_ALLOCS];
static long nslots;

static void note_slot(const uint8_t *value)
{
	uint32_t slot;

	memcpy(&slot, value + offsetof(struct turn_c2p_val, slot), sizeof(slot));
	if (slot && slot < TURN_MAX_ALLOCS && !slot_seen[slot]) {
		slot_seen[slot] = 1;
		nslots++;
	}
}

/* Every entry of the map, batch by batch (bounded by max_entries); the count or -errno. */
static long walk_count(struct map_walk *w, struct owners *o, int m)
{
	uint64_t in = 0, out = 0;
	long total = 0;
	uint32_t n;
	int err;

	for (uint32_t round = 0; round <= w->max_entries; round++) {
		n = CHUNK;
		err = bpf_map_lookup_batch(w->fd, round ? &in : NULL, &out, w->keys, w->values, &n,
					   NULL);
		if (err && errno != ENOENT)
			return -errno;
		for (uint32_t i = 0; o && m < M_NR && i < n; i++)
			classify(o, m, w->keys + (size_t)i * w->key_size);
		total += n;
		if (err)
			return total;
		in = out;
	}
	return -E2BIG;
}

/* The c2p or p2c table (an array of slots, mapped): its entries, or -errno. */
static long tab_walk(const char *dir, const char *name, struct owners *o, int m)
{
	uint8_t key[sizeof(struct turn_c2p_key)], val[sizeof(struct turn_c2p_val)];
	struct bindtab t;
	char path[512];
	long n = 0;
	int fd, err;

	_Static_assert(sizeof(struct turn_p2c_key) <= sizeof(key) &&
		       sizeof(struct turn_p2c_val) <= sizeof(val), "room for either entry");
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		pr_err("msg=\"cannot open a pinned map\" path=%s err=\"%s\"", path, strerror(errno));
		return -errno;
	}
	err = bindtab_open(&t, fd, m == M_C2P ? BINDTAB_C2P : BINDTAB_P2C);
	close(fd);
	if (err)
		return err;
	for (uint32_t i = 0; i < bindtab_slots(&t); i++) {
		if (bindtab_at(&t, i, key, val))
			continue;
		if (o)
			classify(o, m, key);
		if (m == M_C2P)
			note_slot(val);
		n++;
	}
	bindtab_close(&t);
	return n;
}

static long count_map(const char *dir, const char *name, struct owners *o, int m)
{
	struct map_walk w = { .fd = -1 };
	long n;

	if (m == M_NR)		/* stats: the slots of the c2p entries walked before */
		return nslots;
	if (m == M_C2P || m == M_P2C) {
		n = tab_walk(dir, name, o, m);
		if (n < 0)
			pr_err("msg=\"cannot walk a pinned table\" map=%s err=\"%s\"", name,
			       strerror((int)-n));
		return n;
	}
	n = walk_open(&w, dir, name);

	if (!n)
		n = walk_count(&w, o, m);
	if (n < 0)
		pr_err("msg=\"cannot walk a pinned map\" map=%s err=\"%s\"", name, strerror((int)-n));
	walk_close(&w);
	return n;
}

static int read_ports(const char *path, struct owners *o)
{
	unsigned idx, cport, rport;
	int vanishes, n = 0;
	char line[128];
	FILE *fp = fopen(path, "r");

	if (!fp) {
		pr_err("msg=\"cannot open the ports file\" path=%s err=\"%s\"", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), fp) && n < 65536) {
		if (sscanf(line, "%u %u %u %d", &idx, &cport, &rport, &vanishes) != 4 ||
		    cport > 65535 || rport > 65535)
			continue;
		o->by_client[cport] = vanishes ? K_VANISHED : K_SURVIVOR;
		o->by_relay[rport] = vanishes ? K_VANISHED : K_SURVIVOR;
		n++;
	}
	fclose(fp);
	return n;
}

/* Deadlines of the vanished clients' state (the file of `run -X`), plus grace_ms. */
static int read_vanished(const char *path, uint64_t grace_ms, struct owners *o)
{
	unsigned idx, cport, rport;
	unsigned long long dl;
	char line[128];
	int n = 0;
	FILE *fp = fopen(path, "r");

	if (!fp) {
		pr_err("msg=\"cannot open the vanished file\" path=%s err=\"%s\"", path,
		       strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), fp) && n < 65536) {
		if (sscanf(line, "%u %u %u %llu", &idx, &cport, &rport, &dl) != 4 ||
		    cport > 65535 || rport > 65535)
			continue;
		o->due_client[cport] = dl + grace_ms;
		o->due_relay[rport] = dl + grace_ms;
		n++;
	}
	fclose(fp);
	return n;
}

/* Survivors (by client port) not present in every one of c2p, p2c and perm. */
static unsigned long missing(const struct owners *o, const char *path)
{
	unsigned idx, cport, rport;
	unsigned long miss = 0;
	char line[128];
	int vanishes;
	FILE *fp = fopen(path, "r");

	while (fp && fgets(line, sizeof(line), fp))
		if (sscanf(line, "%u %u %u %d", &idx, &cport, &rport, &vanishes) == 4 &&
		    !vanishes && cport <= 65535 && rport <= 65535 &&
		    (!o->seen[M_C2P][cport] || !o->seen[M_P2C][rport] || !o->seen[M_PERM][rport]))
			miss++;
	if (fp)
		fclose(fp);
	return miss;
}

/* The ports file, and the vanished file with its grace when given. 0 or -errno. */
static int read_owners(int argc, char **argv, struct owners *o)
{
	long long grace;

	if (read_ports(argv[2], o) < 0)
		return -EINVAL;
	if (argc < 5)
		return 0;
	grace = soak_num("GRACE_S", argv[4], 0, 3600);
	if (grace < 0 || read_vanished(argv[3], (uint64_t)grace * 1000, o) < 0)
		return -EINVAL;
	o->now = soak_epoch_ms();
	return 0;
}

int soak_maps(int argc, char **argv)
{
	static const char *const names[] = { TURN_MAP_C2P, TURN_MAP_P2C, TURN_MAP_PERM,
					      TURN_MAP_STATS };
	struct owners *o = NULL;
	long n[4];

	if (argc < 2 || argc == 4 || argc > 5) {
		fprintf(stderr, "usage: soak-client maps PIN_DIR [PORTS [VANISHED GRACE_S]]\n"
			"Prints \"c2p=N p2c=N perm=N stats=N\" (entries of turnd's pinned maps; stats:\n"
			"the allocations' counter slots the c2p entries use); with\n"
			"the ports file of `soak-client run`, also \"vanished_left=N survivors_missing=N\n"
			"strays=N\": entries of vanished clients, survivors without their three entries,\n"
			"and entries of nobody's; with its vanished file, \"overdue=N\": entries of\n"
			"vanished clients still there GRACE_S after their deadline.\n");
		return 2;
	}
	if (argc >= 3 && (!(o = calloc(1, sizeof(*o))) || read_owners(argc, argv, o))) {
		free(o);
		return 1;
	}
	for (int m = 0; m < 4; m++) {
		n[m] = count_map(argv[1], names[m], o, m);
		if (n[m] < 0) {
			free(o);
			return 1;
		}
	}
	printf("c2p=%ld p2c=%ld perm=%ld stats=%ld", n[0], n[1], n[2], n[3]);
	if (o)
		printf(" vanished_left=%lu survivors_missing=%lu strays=%lu", o->vanished_left,
		       missing(o, argv[2]), o->strays);
	if (o && argc == 5)
		printf(" overdue=%lu", o->overdue);
	printf("\n");
	free(o);
	return 0;
}
