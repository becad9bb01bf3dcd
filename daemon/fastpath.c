/* fastpath.c - turnd's XDP fast path: load and attach the program, mirror allocations into it. */
#include "fastpath.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fwd_maps.h"
#include "log.h"
#include "xdp_ifaces.h"
#include "xdp_load.h"

#define FP_MAX_IFACES 32
#define WHY_LEN 512

struct fastpath {
	struct xdp_obj obj;
	struct fwd_maps *maps;
	struct xdp_iface ifs[FP_MAX_IFACES];
	int nifs;
	int ncpus;
	bool detach_on_exit;
	int mode;				/* enum xdp_mode asked for */
	/* What the interfaces are chosen from, again on every refresh: */
	char conf[FP_MAX_IFACES][IF_NAMESIZE];	/* xdp.interfaces ("": a name too long) */
	int nconf;
	sockaddr_u addrs[CONFIG_MAX_LISTEN + 2];	/* else those holding these */
	int naddrs;
	struct turn_alloc_stats retired;	/* what released allocations relayed */
	uint32_t route_cache_ms;
	uint64_t route_changes;			/* fastpath_routes_changed() calls */
};

static const char *mode_name(int mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_GENERIC:
		return "generic";
	case XDP_MODE_AUTO:
		return "auto";
	default:
		return "off";
	}
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t append(char *buf, size_t cap, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* snprintf at buf + len, truncating; returns the new length (< cap). */
static size_t append(char *buf, size_t cap, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (len + 1 >= cap)
		return len;
	va_start(ap, fmt);
	n = vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return len;
	return (size_t)n < cap - len ? len + (size_t)n : cap - 1;
}

static int find_name(char (*names)[IF_NAMESIZE], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return i;
	return -1;
}

/* Remember what the interfaces are chosen from, for fastpath_refresh_ifaces(). */
static void keep_choice(struct fastpath *fp, const struct xdp_cfg *x, const struct relay_cfg *r,
			const sockaddr_u *listen, int nlisten)
{
	fp->mode = x->mode;
	/* A name too long becomes "": truncated, it could name another interface. */
	for (size_t i = 0; i < x->nifaces && fp->nconf < FP_MAX_IFACES; i++) {
		const char *name = strlen(x->ifaces[i]) < IF_NAMESIZE ? x->ifaces[i] : "";

		if (find_name(fp->conf, fp->nconf, name) < 0)
			strcpy(fp->conf[fp->nconf++], name);
	}
	for (int i = 0; i < nlisten && fp->naddrs < CONFIG_MAX_LISTEN; i++)
		fp->addrs[fp->naddrs++] = listen[i];
	for (int i = 0; i < r->naddr && i < 2; i++)
		fp->addrs[fp->naddrs++] = r->addr[i];
}

/*
 * The configured interfaces (x->ifaces), or else those holding a listen or relay address
 * now: how many (0 is an answer), or -errno when they could not be listed.
 */
static int choose_names(const struct fastpath *fp, char (*names)[IF_NAMESIZE])
{
	if (fp->nconf) {
		memcpy(names, fp->conf, (size_t)fp->nconf * sizeof(fp->conf[0]));
		return fp->nconf;
	}
	return ifaces_holding(fp->addrs, fp->naddrs, names, FP_MAX_IFACES);
}

/* ifc for interface name, not attached, its ifindex looked up (0 and why: none). */
static void iface_init(struct xdp_iface *ifc, const char *name)
{
	char copy[IF_NAMESIZE];

	snprintf(copy, sizeof(copy), "%s", name);	/* name may be ifc->name */
	memset(ifc, 0, sizeof(*ifc));
	memcpy(ifc->name, copy, sizeof(copy));
	ifc->link_fd = -1;
	ifc->mode = XDP_MODE_OFF;
	ifc->ifindex = ifc->name[0] ? (int)if_nametoindex(ifc->name) : 0;
	if (!ifc->ifindex)
		snprintf(ifc->why, sizeof(ifc->why), "%s",
			 ifc->name[0] ? "no such interface" : "name empty or too long");
}

/* fp->ifs from the names; -ENODEV + why when none of them exists. */
static int pick_ifaces(struct fastpath *fp, char *why)
{
	char names[FP_MAX_IFACES][IF_NAMESIZE];
	size_t len = 0;
	int n, usable = 0;

	n = choose_names(fp, names);
	if (n < 0) {
		snprintf(why, WHY_LEN, "listing interfaces failed: %s", strerror(-n));
		return n;
	}
	if (!n) {
		snprintf(why, WHY_LEN, "no interface holds a listen or relay address "
			 "(loopback is never used); set xdp.interfaces");
		return -ENODEV;
	}
	fp->nifs = n;
	for (int i = 0; i < n; i++) {
		iface_init(&fp->ifs[i], names[i]);
		if (fp->ifs[i].ifindex)
			usable++;
	}
	if (usable)
		return 0;
	len = append(why, WHY_LEN, 0, "no such interface:");
	for (int i = 0; i < n; i++)
		len = append(why, WHY_LEN, len, " %s",
			     fp->ifs[i].name[0] ? fp->ifs[i].name : "(name too long)");
	return -ENODEV;
}

/* The TTL a local socket would use (net.ipv4.ip_default_ttl), else 64. */
static uint8_t default_ttl(void)
{
	int ttl;

	if (sysctl_read_int("/proc/sys/net/ipv4/ip_default_ttl", &ttl) || ttl < 1 || ttl > 255)
		return 64;
	return (uint8_t)ttl;
}

static int load(struct fastpath *fp, const struct xdp_cfg *x, const struct relay_cfg *r,
		char *why)
{
	struct xdp_settings s = {
		.ttl = default_ttl(),
		.port_min = r->port_min,
		.port_max = r->port_max,
		.relay = r->addr,
		.nrelay = r->naddr < 2 ? r->naddr : 2,
		.route_cache_ms = x->route_cache_ms,
	};
	int err;

	err = xdp_bpffs_prepare(x->pin_path, why, WHY_LEN);
	if (err)
		return err;
	err = xdp_obj_load(&fp->obj, x->pin_path, &s, why, WHY_LEN);
	if (err)
		return err;
	if (fp->obj.nreused)
		pr_info("xdp maps reused from a previous run count=%d path=%s", fp->obj.nreused,
			x->pin_path);
	return 0;
}

/* Attach to every existing interface; -ENODEV + why when none took the program. */
static int attach_all(struct fastpath *fp, int mode, char *why)
{
	int attached = 0, n;
	size_t len;

	for (int i = 0; i < fp->nifs; i++)
		if (fp->ifs[i].ifindex && !xdp_attach(&fp->obj, mode, &fp->ifs[i]))
			attached++;
	/* Links of interfaces no longer configured would go on running beside us. */
	n = xdp_detach_links(fp->obj.pin_path, fp->ifs, fp->nifs);
	if (n < 0)
		pr_warn("xdp: cleaning up old links failed path=%s err=\"%s\"", fp->obj.pin_path,
			strerror(-n));
	if (attached)
		return 0;
	len = append(why, WHY_LEN, 0, "every interface refused:");
	for (int i = 0; i < fp->nifs; i++)
		len = append(why, WHY_LEN, len, "%s %s: %s", i ? ";" : "", fp->ifs[i].name,
			     fp->ifs[i].why);
	return -ENODEV;
}

/* Forwarding on, and one line per interface. */
static void report(struct fastpath *fp)
{
	for (int i = 0; i < fp->nifs; i++) {
		struct xdp_iface *ifc = &fp->ifs[i];

		if (ifc->link_fd < 0) {
			pr_warn("xdp not attached iface=%s reason=\"%s\"", ifc->name, ifc->why);
			continue;
		}
		iface_enable_forwarding(ifc->name);
		pr_info("xdp attached iface=%s mode=%s how=\"%s\"", ifc->name,
			mode_name(ifc->mode), ifc->why);
	}
}

/* Why ifc's link must go now (NULL: it stays): not chosen any more, gone, or detached. */
static const char *drop_reason(const struct fastpath *fp, const struct xdp_iface *ifc,
			       char (*names)[IF_NAMESIZE], int n)
{
	int now = (int)if_nametoindex(ifc->name);

	if (!now)
		return "interface gone";
	if (now != ifc->ifindex)
		return "interface replaced by another of the same name";
	if (find_name(names, n, ifc->name) < 0)
		return "holds no listen or relay address, or is down";
	if (!xdp_link_alive(&fp->obj, ifc))
		return "link no longer attached";
	return NULL;
}

/* Detach the links that must go; returns how many. */
static int drop_links(struct fastpath *fp, char (*names)[IF_NAMESIZE], int n)
{
	int dropped = 0, err;

	for (int i = 0; i < fp->nifs; i++) {
		struct xdp_iface *ifc = &fp->ifs[i];
		const char *reason;

		if (ifc->link_fd < 0)
			continue;
		reason = drop_reason(fp, ifc, names, n);
		if (!reason)
			continue;
		err = xdp_detach(&fp->obj, ifc);
		if (err)
			pr_warn("xdp unpin failed iface=%s path=%s err=\"%s\"", ifc->name,
				fp->obj.pin_path, strerror(-err));
		pr_info("xdp detached iface=%s reason=\"%s\"", ifc->name, reason);
		snprintf(ifc->why, sizeof(ifc->why), "detached: %s", reason);
		dropped++;
	}
	return dropped;
}

/*
 * Attach ifc unless it is attached: 1 when it got attached, else 0. A refusal is logged when
 * it is news: for a new entry (prev NULL) or one refused before for another reason (prev).
 * A missing interface is not: its going was logged when it was detached (or at start).
 */
static int attach_one(struct fastpath *fp, struct xdp_iface *ifc, const char *prev)
{
	if (ifc->link_fd >= 0)
		return 0;
	iface_init(ifc, ifc->name);
	if (ifc->ifindex && !xdp_attach(&fp->obj, fp->mode, ifc)) {
		iface_enable_forwarding(ifc->name);
		pr_info("xdp attached iface=%s mode=%s how=\"%s\"", ifc->name,
			mode_name(ifc->mode), ifc->why);
		return 1;
	}
	if (ifc->ifindex && (!prev || strcmp(prev, ifc->why)))
		pr_warn("xdp not attached iface=%s reason=\"%s\"", ifc->name, ifc->why);
	return 0;
}

/*
 * Detach first: the link of an interface renamed, or gone and back under the same name, must
 * be off before the program goes on again. Entries no longer chosen hold no link after
 * drop_links(), so they are simply left out of the new list.
 */
int fastpath_refresh_ifaces(struct fastpath *fp)
{
	char names[FP_MAX_IFACES][IF_NAMESIZE];
	struct xdp_iface next[FP_MAX_IFACES];
	int n, changes;

	if (!fp)
		return 0;
	n = choose_names(fp, names);
	if (n < 0) {
		pr_warn("xdp interfaces not refreshed: listing them failed err=\"%s\"",
			strerror(-n));
		return n;
	}
	changes = drop_links(fp, names, n);
	for (int i = 0; i < n; i++) {
		const struct xdp_iface *was = NULL;

		for (int j = 0; j < fp->nifs && !was; j++)
			if (!strcmp(fp->ifs[j].name, names[i]))
				was = &fp->ifs[j];
		if (was)
			next[i] = *was;
		else
			iface_init(&next[i], names[i]);
		changes += attach_one(fp, &next[i], was ? was->why : NULL);
	}
	memcpy(fp->ifs, next, (size_t)n * sizeof(next[0]));
	fp->nifs = n;
	return changes;
}

static void fp_close(struct fastpath *fp)
{
	fwd_maps_free(fp->maps);
	for (int i = 0; i < fp->nifs; i++)
		if (fp->ifs[i].link_fd >= 0)
			close(fp->ifs[i].link_fd);
	if (fp->obj.skel)
		xdp_obj_close(&fp->obj);
	free(fp);
}

/*
 * Whenever the fast path ends up off, a program an earlier run left attached is detached and
 * its maps unpinned: nobody would write its permissions, so it would drop what peers send
 * to new allocations, and its stale channels would forward beside the daemon.
 */
struct fastpath *fastpath_new(const struct xdp_cfg *x, const struct relay_cfg *r,
			      const sockaddr_u *listen, int nlisten)
{
	struct fwd_maps_fds fds;
	char why[WHY_LEN] = "";
	struct fastpath *fp;

	if (x->mode == XDP_MODE_OFF) {
		pr_info("xdp fast path off reason=\"xdp.mode = off\"%s",
			x->pin_path && xdp_detach_all(x->pin_path) > 0 ?
			" (detached the links left pinned by a previous run)" : "");
		return NULL;
	}
	fp = calloc(1, sizeof(*fp));
	if (!fp) {
		snprintf(why, sizeof(why), "out of memory");
		goto off;
	}
	fp->detach_on_exit = x->detach_on_exit;
	fp->route_cache_ms = x->route_cache_ms;
	fp->ncpus = libbpf_num_possible_cpus();
	if (fp->ncpus <= 0) {
		snprintf(why, sizeof(why), "counting CPUs failed: %s", strerror(-fp->ncpus));
		goto off;
	}
	keep_choice(fp, x, r, listen, nlisten);
	if (pick_ifaces(fp, why))
		goto off;
	xdp_log_setup();
	if (!x->pin_path) {
		snprintf(why, sizeof(why), "no xdp.pin_path");
		goto off;
	}
	if (load(fp, x, r, why) || attach_all(fp, x->mode, why))
		goto off;
	fds = (struct fwd_maps_fds){ fp->obj.fd_c2p, fp->obj.fd_p2c, fp->obj.fd_perm,
				     fp->obj.fd_stats, fp->obj.fd_rate };
	fp->maps = fwd_maps_new(&fds, fp->ncpus);
	if (!fp->maps) {
		snprintf(why, sizeof(why), "out of memory");
		goto off;
	}
	report(fp);
	return fp;
off:
	if (fp)
		fp_close(fp);
	pr_warn("xdp fast path off, relaying in userspace reason=\"%s\"%s", why,
		x->pin_path && xdp_detach_all(x->pin_path) > 0 ?
		" (detached the links left pinned by a previous run)" : "");
	return NULL;
}

int fastpath_sync(struct fastpath *fp, const struct turn_fwd *f)
{
	if (!fp)
		return 0;
	return fwd_maps_sync(fp->maps, f, mono_ns() / 1000000);
}

static void stats_add(struct turn_alloc_stats *to, const struct turn_alloc_stats *s)
{
	to->pkts_c2p += s->pkts_c2p;
	to->bytes_c2p += s->bytes_c2p;
	to->pkts_p2c += s->pkts_p2c;
	to->bytes_p2c += s->bytes_p2c;
}

void fastpath_release(struct fastpath *fp, uint64_t id)
{
	struct turn_alloc_stats s;

	if (!fp)
		return;
	/* its counters leave the kernel with it: keep them so that totals never go down */
	if (!fastpath_alloc_stats(fp, id, &s))
		stats_add(&fp->retired, &s);
	fwd_maps_release(fp->maps, id);
}

int fastpath_totals(struct fastpath *fp, struct turn_alloc_stats *sum)
{
	struct turn_alloc_stats live;
	int err;

	memset(sum, 0, sizeof(*sum));
	if (!fp)
		return -ENODEV;
	err = fwd_maps_live_stats(fp->maps, &live);
	*sum = fp->retired;
	stats_add(sum, &live);
	return err;
}

int fastpath_alloc_stats(struct fastpath *fp, uint64_t id, struct turn_alloc_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	if (!fp)
		return -ENODEV;
	return fwd_maps_alloc_stats(fp->maps, id, sum);
}

int fastpath_counters(struct fastpath *fp, uint64_t out[TURN_XDP_NR])
{
	uint64_t *v;
	int err = 0;

	memset(out, 0, TURN_XDP_NR * sizeof(out[0]));
	if (!fp)
		return -ENODEV;
	v = calloc((size_t)fp->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t k = 0; !err && k < TURN_XDP_NR; k++) {
		if (bpf_map_lookup_elem(fp->obj.fd_drops, &k, v)) {
			err = -errno;
			break;
		}
		for (int c = 0; c < fp->ncpus; c++)
			out[k] += v[c];
	}
	free(v);
	return err;
}

int fastpath_reconcile(struct fastpath *fp)
{
	return fp ? fwd_maps_gc(fp->maps, UINT64_MAX) : 0;	/* every foreign entry counts as expired */
}

int fastpath_gc(struct fastpath *fp)
{
	return fp ? fwd_maps_gc(fp->maps, mono_ns()) : 0;
}

size_t fastpath_describe(struct fastpath *fp, char *buf, size_t cap)
{
	struct fwd_maps_stats st;
	size_t len = 0;

	if (cap)
		buf[0] = '\0';
	if (!fp)
		return 0;
	for (int i = 0; i < fp->nifs; i++) {
		const struct xdp_iface *ifc = &fp->ifs[i];

		len = append(buf, cap, len, "iface=%s mode=%s why=\"%s\"\n", ifc->name,
			     mode_name(ifc->link_fd >= 0 ? ifc->mode : XDP_MODE_OFF), ifc->why);
	}
	fwd_maps_get_stats(fp->maps, &st);
	len = append(buf, cap, len,
		     "sync allocs=%llu bindings=%llu permissions=%llu full=%llu errors=%llu\n",
		     (unsigned long long)st.allocs, (unsigned long long)st.bindings,
		     (unsigned long long)st.perms, (unsigned long long)st.full,
		     (unsigned long long)st.errors);
	len = append(buf, cap, len, "routes cache_ms=%u changes=%llu\n", fp->route_cache_ms,
		     (unsigned long long)fp->route_changes);
	return append(buf, cap, len, "clock tick_ns=%llu\n",
		      (unsigned long long)xdp_clock_tick_ns(&fp->obj));
}

uint64_t fastpath_route_changes(const struct fastpath *fp)
{
	return fp ? fp->route_changes : 0;
}

uint64_t fastpath_clock_tick_ns(const struct fastpath *fp)
{
	return fp ? xdp_clock_tick_ns(&fp->obj) : 0;
}

void fastpath_routes_changed(struct fastpath *fp)
{
	if (!fp)
		return;
	xdp_routes_changed(&fp->obj);
	fp->route_changes++;
}

void fastpath_free(struct fastpath *fp)
{
	char pin_path[XDP_PIN_PATH_MAX];
	bool detach;
	int n;

	if (!fp)
		return;
	detach = fp->detach_on_exit;
	snprintf(pin_path, sizeof(pin_path), "%s", fp->obj.pin_path);
	fp_close(fp);
	if (!detach)
		return;
	n = xdp_detach_all(pin_path);
	if (n < 0)
		pr_warn("xdp detach on exit failed path=%s err=\"%s\"", pin_path, strerror(-n));
	else
		pr_info("xdp fast path detached on exit links=%d path=%s", n, pin_path);
}

int fastpath_detach_all(const char *pin_path)
{
	return xdp_detach_all(pin_path);
}
