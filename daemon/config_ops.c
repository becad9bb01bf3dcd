/* config_ops.c - the operator's sections: control socket, log, xdp fast path, metrics listener. */
#include "config_int.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "log.h"

#define DEFAULT_METRICS_PORT	9641

int cfg_load_control(struct loader *l, const config_setting_t *g)
{
	static const char *const keys[] = { "socket", NULL };
	const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path) - 1;
	const config_setting_t *s;
	const char *v;
	int err;

	if ((err = cfg_want_group(l, g)) || (err = cfg_check_keys(l, g, keys)))
		return err;
	err = cfg_get_string(l, g, "socket", &v, &s);
	if (err <= 0)
		return err;
	if (!*v)
		return cfg_bad(l, s, NULL, "must not be empty");
	if (strlen(v) > max)
		return cfg_bad(l, s, NULL, "path of %zu bytes, at most %zu", strlen(v), max);
	return cfg_dup_string(l, v, &l->c->control_socket);
}

/* log = { level = "info"; target = "stderr" | "syslog"; rate = 200; } */
int cfg_load_log(struct loader *l, const config_setting_t *g)
{
	static const char *const keys[] = { "level", "target", "rate", NULL };
	const config_setting_t *s;
	const char *v;
	int err, n;

	if ((err = cfg_want_group(l, g)) || (err = cfg_check_keys(l, g, keys)))
		return err;
	err = cfg_get_string(l, g, "level", &v, &s);
	if (err < 0)
		return err;
	if (err > 0) {
		n = log_level_parse(v);
		if (n < 0)
			return cfg_bad(l, s, NULL, "\"%s\" is not one of error, warn, info, debug", v);
		l->c->log_level = n;
	}
	err = cfg_get_string(l, g, "target", &v, &s);
	if (err < 0)
		return err;
	if (err > 0) {
		n = log_target_parse(v);
		if (n < 0)
			return cfg_bad(l, s, NULL, "\"%s\" is not one of stderr, syslog", v);
		l->c->log_target = n;
	}
	return cfg_get_uint(l, g, "rate", 0, 1000000, &l->c->log_rate);
}

static int xdp_mode_parse(const char *v)
{
	static const char *const names[] = { "auto", "native", "generic", "off" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(v, names[i]))
			return i;
	return -EINVAL;
}

static int load_xdp_ifaces(struct loader *l, const config_setting_t *s, struct xdp_cfg *x)
{
	int n = cfg_str_count(l, s), err;

	if (n < 0)
		return n;
	x->ifaces = calloc((size_t)n + 1, sizeof(*x->ifaces));
	if (!x->ifaces)
		return cfg_oom(l);
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = cfg_str_at(s, i);
		const char *v = config_setting_get_string(e);

		if (!*v || strlen(v) >= IF_NAMESIZE || strchr(v, '/'))
			return cfg_bad(l, e, NULL, "\"%s\" is not an interface name", v);
		if ((err = cfg_dup_string(l, v, &x->ifaces[i])))
			return err;
		x->nifaces++;
	}
	return 0;
}

int cfg_load_xdp(struct loader *l, const config_setting_t *g)
{
	static const char *const keys[] = { "mode", "interfaces", "pin_path", "detach_on_exit",
					    "route_cache_ms", NULL };
	struct xdp_cfg *x = &l->c->xdp;
	const config_setting_t *s;
	const char *v;
	int err;

	if ((err = cfg_want_group(l, g)) || (err = cfg_check_keys(l, g, keys)))
		return err;
	if ((err = cfg_get_string(l, g, "mode", &v, &s)) < 0)
		return err;
	if (err && (x->mode = xdp_mode_parse(v)) < 0)
		return cfg_bad(l, s, NULL, "\"%s\" is not one of auto, native, generic, off", v);
	if ((err = cfg_get_string(l, g, "pin_path", &v, &s)) < 0)
		return err;
	if (err && (!*v || *v != '/'))
		return cfg_bad(l, s, NULL, "must be an absolute path");
	if (err && (err = cfg_dup_string(l, v, &x->pin_path)))
		return err;
	if ((err = cfg_get_bool(l, g, "detach_on_exit", &x->detach_on_exit)))
		return err;
	if ((err = cfg_get_uint(l, g, "route_cache_ms", 0, 3600000, &x->route_cache_ms)))
		return err;
	s = config_setting_get_member(g, "interfaces");
	return s ? load_xdp_ifaces(l, s, x) : 0;
}

int cfg_load_metrics(struct loader *l, const config_setting_t *g)
{
	static const char *const keys[] = { "listen", NULL };
	const config_setting_t *s;
	sockaddr_u *a = &l->c->metrics_listen;
	const char *v;
	int err;

	if ((err = cfg_want_group(l, g)) || (err = cfg_check_keys(l, g, keys)))
		return err;
	err = cfg_get_string(l, g, "listen", &v, &s);
	if (err <= 0)
		return err;
	if (addr_parse(v, DEFAULT_METRICS_PORT, a))
		return cfg_bad(l, s, NULL, "\"%s\" is not \"IPv4:port\" or \"[IPv6]:port\"", v);
	if (!addr_port(a))
		return cfg_bad(l, s, NULL, "\"%s\": port 0 is not allowed", v);
	l->c->metrics_on = true;
	return 0;
}
