/* xdp_load.c - the XDP program's life: load with pinned maps, attach via pinned links, detach. */
#include "xdp_load.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "turn_shared.h"
#include "turn_xdp.skel.h"
#include "xdp_clock.h"

#define BPFFS_DEFAULT "/sys/fs/bpf"
#define LINK_PREFIX "link_"

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)level;
	if (log_get_level() < LOG_LVL_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	pr_debug("libbpf: %s", line);
	return 0;
}

void xdp_log_setup(void)
{
	libbpf_set_print(libbpf_print);
}

/* The nearest existing ancestor of path (path itself if it exists) into buf. */
static void existing_ancestor(const char *path, char *buf, size_t len)
{
	struct stat st;

	snprintf(buf, len, "%s", path);
	while (stat(buf, &st)) {
		char *slash = strrchr(buf, '/');

		if (!slash || slash == buf) {
			snprintf(buf, len, "/");
			return;
		}
		*slash = '\0';
	}
}

/* 1 when path's nearest existing ancestor is on a bpffs, 0 when not, or -errno. */
static int on_bpffs(const char *path)
{
	char anc[PATH_MAX];
	struct statfs st;

	existing_ancestor(path, anc, sizeof(anc));
	if (statfs(anc, &st))
		return -errno;
	return st.f_type == BPF_FS_MAGIC;
}

/* mkdir -p */
static int mkdirs(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool under_default_bpffs(const char *path)
{
	size_t n = strlen(BPFFS_DEFAULT);

	return !strncmp(path, BPFFS_DEFAULT, n) && (path[n] == '/' || !path[n]);
}

int xdp_bpffs_prepare(const char *pin_path, char *why, size_t whylen)
{
	int rc;

	if (pin_path[0] != '/' || strlen(pin_path) >= XDP_PIN_PATH_MAX) {
		snprintf(why, whylen, "xdp.pin_path \"%s\" is not an absolute path shorter than %d",
			 pin_path, XDP_PIN_PATH_MAX);
		return -EINVAL;
	}
	rc = on_bpffs(pin_path);
	if (rc == 0 && under_default_bpffs(pin_path)) {
		if (mount("bpf", BPFFS_DEFAULT, "bpf", 0, "mode=0700")) {
			rc = -errno;
			snprintf(why, whylen, "mounting bpffs at %s failed: %s", BPFFS_DEFAULT,
				 strerror(errno));
			return rc;
		}
		pr_info("mounted bpffs path=%s", BPFFS_DEFAULT);
		rc = on_bpffs(pin_path);
	}
	if (rc <= 0) {
		snprintf(why, whylen, "xdp.pin_path %s is not on a bpffs (%s)", pin_path,
			 rc ? strerror(-rc) : "mount -t bpf bpf DIR");
		return rc ? rc : -ENOTDIR;
	}
	rc = mkdirs(pin_path, 0700);
	if (rc)
		snprintf(why, whylen, "mkdir %s failed: %s", pin_path, strerror(-rc));
	return rc;
}

static void set_rodata(struct turn_xdp_bpf *skel, const struct xdp_settings *s)
{
	int slot = 0;

	skel->rodata->ttl = s->ttl;
	skel->rodata->relay_port_min = s->port_min;
	skel->rodata->relay_port_max = s->port_max;
	/* In units of 2^TURN_ROUTE_SHIFT ns, at least one. */
	skel->rodata->route_ttl = s->route_cache_ms ?
		(uint32_t)(((uint64_t)s->route_cache_ms * 1000000 >> TURN_ROUTE_SHIFT) + 1) : 0;
	for (int i = 0; i < s->nrelay; i++) {
		sockaddr_u a = s->relay[i];

		addr_unmap_v4(&a);
		if (addr_is_any(&a)) {
			skel->rodata->relay_any_addr = true;
			continue;
		}
		if (slot >= TURN_RELAY_ADDRS)
			continue;
		memset(skel->rodata->relay_addr[slot], 0, 16);
		if (a.sa.sa_family == AF_INET) {
			memcpy(skel->rodata->relay_addr[slot], &a.v4.sin_addr, 4);
			skel->rodata->relay_family[slot++] = TURN_AF_INET;
		} else if (a.sa.sa_family == AF_INET6) {
			memcpy(skel->rodata->relay_addr[slot], &a.v6.sin6_addr, 16);
			skel->rodata->relay_family[slot++] = TURN_AF_INET6;
		}
	}
}

/*
 * Point map at its pin. A map pinned there already is reused by the load when it has the
 * same type, key and value sizes, size and flags (libbpf checks that again); one that
 * differs (an older turnd's layout) is unpinned first, so the load creates a new one.
 */
static int pin_prepare(struct bpf_map *map, const char *dir, int *reused)
{
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	char path[PATH_MAX];
	bool compat;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
	fd = bpf_obj_get(path);
	if (fd < 0 && errno != ENOENT)
		return -errno;
	if (fd >= 0) {
		memset(&info, 0, sizeof(info));
		compat = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
			 info.type == (uint32_t)bpf_map__type(map) &&
			 info.key_size == bpf_map__key_size(map) &&
			 info.value_size == bpf_map__value_size(map) &&
			 info.max_entries == bpf_map__max_entries(map) &&
			 info.map_flags == bpf_map__map_flags(map);
		close(fd);
		if (compat) {
			(*reused)++;
		} else {
			pr_warn("pinned map differs from this turnd's, replacing it path=%s", path);
			if (unlink(path))
				return -errno;
		}
	}
	return bpf_map__set_pin_path(map, path);
}

static int pin_prepare_all(struct xdp_obj *o, char *why, size_t whylen)
{
	struct bpf_map *maps[] = { o->skel->maps.turn_c2p, o->skel->maps.turn_p2c,
				   o->skel->maps.turn_perm, o->skel->maps.turn_stats,
				   o->skel->maps.turn_drops, o->skel->maps.turn_rate };

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		int err = pin_prepare(maps[i], o->pin_path, &o->nreused);

		if (err) {
			snprintf(why, whylen, "pinned map %s/%s: %s", o->pin_path,
				 bpf_map__name(maps[i]), strerror(-err));
			return err;
		}
	}
	return 0;
}

/*
 * Where route_gen starts: anywhere but 0, so that caches a previous run's program left in
 * reused bindings are unlikely to match before the daemon rewrites those bindings.
 */
static uint32_t route_gen_first(void)
{
	uint32_t g = 0;

	if (getrandom(&g, sizeof(g), GRND_NONBLOCK) != sizeof(g))
		g = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 16;
	return g ? g : 1;
}

uint64_t xdp_clock_tick_ns(const struct xdp_obj *o)
{
	return o->skel ? o->skel->bss->clock_tick_ns : 0;
}

void xdp_routes_changed(struct xdp_obj *o)
{
	volatile uint32_t *g = &o->skel->bss->route_gen;
	uint32_t next = *g + 1;

	*g = next ? next : 1;
}

int xdp_obj_load(struct xdp_obj *o, const char *pin_path, const struct xdp_settings *s,
		 char *why, size_t whylen)
{
	struct turn_xdp_bpf *skel;
	uint64_t tick;
	int err;

	memset(o, 0, sizeof(*o));
	snprintf(o->pin_path, sizeof(o->pin_path), "%s", pin_path);
	skel = turn_xdp_bpf__open();
	if (!skel) {
		err = -errno;
		snprintf(why, whylen, "opening the XDP object failed: %s", strerror(errno));
		return err;
	}
	o->skel = skel;
	set_rodata(skel, s);
	/* Tables and preallocated hash maps sized to the limits (maps.h says why not LRU). */
	bpf_map__set_max_entries(skel->maps.turn_c2p, TURN_BIND_SLOTS);
	bpf_map__set_max_entries(skel->maps.turn_p2c, TURN_BIND_SLOTS);
	skel->rodata->bind_mask = TURN_BIND_SLOTS - 1;
	bpf_map__set_max_entries(skel->maps.turn_perm, TURN_MAX_PERMS);
	bpf_map__set_max_entries(skel->maps.turn_stats, TURN_MAX_ALLOCS);
	bpf_map__set_max_entries(skel->maps.turn_rate, TURN_MAX_ALLOCS);
	err = pin_prepare_all(o, why, whylen);
	if (err)
		goto fail;
	err = turn_xdp_bpf__load(skel);
	if (err) {
		snprintf(why, whylen, "loading the XDP program failed: %s%s", strerror(-err),
			 err == -EPERM ? " (needs CAP_BPF and CAP_NET_ADMIN)" : "");
		goto fail;
	}
	o->prog_fd = bpf_program__fd(skel->progs.turn_xdp);
	o->fd_c2p = bpf_map__fd(skel->maps.turn_c2p);
	o->fd_p2c = bpf_map__fd(skel->maps.turn_p2c);
	o->fd_perm = bpf_map__fd(skel->maps.turn_perm);
	o->fd_stats = bpf_map__fd(skel->maps.turn_stats);
	o->fd_drops = bpf_map__fd(skel->maps.turn_drops);
	o->fd_rate = bpf_map__fd(skel->maps.turn_rate);
	o->skel->bss->route_gen = route_gen_first();
	err = xdp_clock_calibrate(skel, bpf_program__fd(skel->progs.turn_clock), &tick);
	if (err)
		pr_warn("xdp clock: measuring the jiffies tick failed, the program reads "
			"bpf_ktime_get_ns() (slower) err=\"%s\"", strerror(-err));
	else
		pr_debug("xdp clock: jiffies tick_ns=%llu", (unsigned long long)tick);
	return 0;
fail:
	turn_xdp_bpf__destroy(skel);
	o->skel = NULL;
	return err;
}

void xdp_obj_close(struct xdp_obj *o)
{
	turn_xdp_bpf__destroy(o->skel);
	o->skel = NULL;
	o->prog_fd = -1;
}

int xdp_query(int ifindex, uint32_t *prog_id, uint8_t *attach_mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int err = bpf_xdp_query(ifindex, 0, &q);

	if (err)
		return err;
	*prog_id = q.prog_id;
	*attach_mode = q.attach_mode;
	return 0;
}

static int link_create(int prog_fd, int ifindex, int mode)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts,
		    .flags = mode == XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

/* Why a link could not be created on ifindex: busy with someone else's program, or err. */
static void attach_failure(int ifindex, int err, char *buf, size_t len)
{
	uint32_t id = 0;
	uint8_t am;

	if ((err == -EBUSY || err == -EEXIST) && !xdp_query(ifindex, &id, &am) && id)
		snprintf(buf, len, "another XDP program is attached (id %u)", id);
	else
		snprintf(buf, len, "%s", strerror(-err));
}

/*
 * A new bpf_link in mode; AUTO tries native (XDP_FLAGS_DRV_MODE) and then generic
 * (XDP_FLAGS_SKB_MODE). Links through BPF_LINK_CREATE (kernel 5.9+) rather than the
 * netlink attach: a link can be pinned, updated in place and is ours alone.
 */
static int attach_new(const struct xdp_obj *o, int mode, struct xdp_iface *ifc)
{
	char native_err[96] = "", generic_err[96];
	int fd;

	if (mode == XDP_MODE_AUTO || mode == XDP_MODE_NATIVE) {
		fd = link_create(o->prog_fd, ifc->ifindex, XDP_MODE_NATIVE);
		if (fd >= 0) {
			ifc->mode = XDP_MODE_NATIVE;
			snprintf(ifc->why, sizeof(ifc->why), "attached");
			return fd;
		}
		attach_failure(ifc->ifindex, fd, native_err, sizeof(native_err));
		if (mode == XDP_MODE_NATIVE) {
			snprintf(ifc->why, sizeof(ifc->why), "native attach refused: %s",
				 native_err);
			return fd;
		}
	}
	fd = link_create(o->prog_fd, ifc->ifindex, XDP_MODE_GENERIC);
	if (fd >= 0) {
		ifc->mode = XDP_MODE_GENERIC;
		if (*native_err)
			snprintf(ifc->why, sizeof(ifc->why), "attached; native refused: %s",
				 native_err);
		else
			snprintf(ifc->why, sizeof(ifc->why), "attached");
		return fd;
	}
	attach_failure(ifc->ifindex, fd, generic_err, sizeof(generic_err));
	if (*native_err)
		snprintf(ifc->why, sizeof(ifc->why), "native refused: %s; generic refused: %s",
			 native_err, generic_err);
	else
		snprintf(ifc->why, sizeof(ifc->why), "generic attach refused: %s", generic_err);
	return fd;
}

/*
 * A pinned link (fd) from an earlier run: when it is still an XDP link on ifc in a mode
 * that suits, swap our program in (BPF_LINK_UPDATE: no packet sees no program). 0, or
 * -ESTALE (defunct, moved), -EMEDIUMTYPE (other mode) or -errno: then it is replaced.
 */
static int link_reuse(const struct xdp_obj *o, int fd, int mode, struct xdp_iface *ifc)
{
	struct bpf_link_info info;
	uint32_t len = sizeof(info), id;
	uint8_t am;
	int cur;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_LINK_TYPE_XDP || info.xdp.ifindex != (uint32_t)ifc->ifindex)
		return -ESTALE;
	if (xdp_query(ifc->ifindex, &id, &am) || id != info.prog_id)
		return -ESTALE;
	cur = am == XDP_ATTACHED_DRV ? XDP_MODE_NATIVE :
	      am == XDP_ATTACHED_SKB ? XDP_MODE_GENERIC : -1;
	if (cur < 0 || (mode != XDP_MODE_AUTO && mode != cur))
		return -EMEDIUMTYPE;
	if (bpf_link_update(fd, o->prog_fd, NULL))
		return -errno;
	ifc->mode = cur;
	snprintf(ifc->why, sizeof(ifc->why), "pinned link updated");
	return 0;
}

int xdp_attach(const struct xdp_obj *o, int mode, struct xdp_iface *ifc)
{
	char path[PATH_MAX];
	int fd, err;

	ifc->mode = XDP_MODE_OFF;
	ifc->link_fd = -1;
	snprintf(path, sizeof(path), "%s/" LINK_PREFIX "%s", o->pin_path, ifc->name);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		err = link_reuse(o, fd, mode, ifc);
		if (!err) {
			ifc->link_fd = fd;
			return 0;
		}
		pr_info("replacing pinned xdp link iface=%s pin=%s reason=\"%s\"", ifc->name, path,
			err == -EMEDIUMTYPE ? "other mode" : strerror(-err));
		bpf_link_detach(fd);
		close(fd);
		unlink(path);
	}
	fd = attach_new(o, mode, ifc);
	if (fd < 0)
		return fd;
	/* Pinned, the link outlives this process: forwarding goes on across a restart. */
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		snprintf(ifc->why, sizeof(ifc->why), "pinning the link failed: %s",
			 strerror(errno));
		close(fd);	/* the last fd of an unpinned link: this detaches it */
		ifc->mode = XDP_MODE_OFF;
		return err;
	}
	ifc->link_fd = fd;
	return 0;
}

bool xdp_link_alive(const struct xdp_obj *o, const struct xdp_iface *ifc)
{
	struct bpf_prog_info pinfo;
	struct bpf_link_info info;
	uint32_t len = sizeof(info), plen = sizeof(pinfo), id;
	uint8_t am;

	if (ifc->link_fd < 0 || ifc->ifindex <= 0)
		return false;
	memset(&info, 0, sizeof(info));
	memset(&pinfo, 0, sizeof(pinfo));
	if (bpf_obj_get_info_by_fd(ifc->link_fd, &info, &len) ||
	    bpf_obj_get_info_by_fd(o->prog_fd, &pinfo, &plen))
		return false;
	/* A defunct link (its interface unregistered) reports ifindex 0. */
	if (info.type != BPF_LINK_TYPE_XDP || info.xdp.ifindex != (uint32_t)ifc->ifindex ||
	    info.prog_id != pinfo.id)
		return false;
	return !xdp_query(ifc->ifindex, &id, &am) && id == info.prog_id;
}

int xdp_detach(const struct xdp_obj *o, struct xdp_iface *ifc)
{
	char path[PATH_MAX];
	int err = 0;

	if (ifc->link_fd >= 0) {
		/* Fails harmlessly on a link whose interface is gone already. */
		bpf_link_detach(ifc->link_fd);
		close(ifc->link_fd);
	}
	ifc->link_fd = -1;
	ifc->mode = XDP_MODE_OFF;
	snprintf(path, sizeof(path), "%s/" LINK_PREFIX "%s", o->pin_path, ifc->name);
	if (ifc->name[0] && unlink(path) && errno != ENOENT)
		err = -errno;
	return err;
}

static bool kept(const char *name, const struct xdp_iface *keep, int nkeep)
{
	for (int i = 0; i < nkeep; i++)
		if (!strcmp(keep[i].name, name))
			return true;
	return false;
}

int xdp_detach_links(const char *pin_path, const struct xdp_iface *keep, int nkeep)
{
	struct dirent *de;
	char path[PATH_MAX];
	int n = 0, fd;
	DIR *d;

	d = opendir(pin_path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		const char *name = de->d_name + strlen(LINK_PREFIX);

		if (strncmp(de->d_name, LINK_PREFIX, strlen(LINK_PREFIX)))
			continue;
		if (keep && kept(name, keep, nkeep))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_path, de->d_name);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			if (bpf_link_detach(fd))
				pr_warn("xdp link detach failed pin=%s err=\"%s\"", path,
					strerror(errno));
			close(fd);
		}
		if (unlink(path)) {
			pr_warn("unpin failed pin=%s err=\"%s\"", path, strerror(errno));
			continue;
		}
		pr_info("xdp link detached iface=%s pin=%s", name, path);
		n++;
	}
	closedir(d);
	return n;
}

int xdp_detach_all(const char *pin_path)
{
	static const char *const maps[] = { TURN_MAP_C2P, TURN_MAP_P2C, TURN_MAP_PERM,
					    TURN_MAP_STATS, TURN_MAP_DROPS, TURN_MAP_RATE };
	char path[PATH_MAX];
	int n = xdp_detach_links(pin_path, NULL, 0);

	if (n < 0)
		return n;
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_path, maps[i]);
		if (unlink(path) && errno != ENOENT)
			pr_warn("unpin failed pin=%s err=\"%s\"", path, strerror(errno));
	}
	if (rmdir(pin_path) && errno != ENOENT)
		pr_warn("rmdir failed path=%s err=\"%s\"", pin_path, strerror(errno));
	return n;
}
