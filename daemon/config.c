/* config.c - turnd's configuration file (libconfig): load, validate, free. */
#include "config.h"
#include "config_int.h"
#include "config_text.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "srclimit.h"
#include "turn.h"

#define DEFAULT_PORT		3478
#define DEFAULT_SOFTWARE	"turnd"
#define DEFAULT_SOCKET		"/run/turnd/turnd.sock"
#define MAX_FILE_SIZE		(16u << 20)
#define MAX_LIFETIME		86400	/* one day, for every *_lifetime */
#define MAX_TEXT_CHARS		127	/* REALM and SOFTWARE: fewer than 128 characters */
#define MAX_REALM_BYTES		763
#define MAX_USER_BYTES		512	/* USERNAME: fewer than 513 bytes */

static int load_realm(struct loader *l, const config_setting_t *s)
{
	const char *v, *why;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_bad(l, s, NULL, "expected a string, got %s", cfg_type_name(s));
	v = config_setting_get_string(s);
	if (!*v)
		return cfg_bad(l, s, NULL, "must not be empty (e.g. realm = \"example.org\";)");
	why = cfg_text_problem(v, MAX_TEXT_CHARS, MAX_REALM_BYTES);
	if (why)
		return cfg_bad(l, s, NULL, "%s (at most %d characters of UTF-8 text)", why,
			   MAX_TEXT_CHARS);
	return cfg_dup_string(l, v, &l->c->realm);
}

static int load_state_file(struct loader *l, const config_setting_t *s)
{
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_bad(l, s, NULL, "expected a string, got %s", cfg_type_name(s));
	v = config_setting_get_string(s);
	if (*v != '/')
		return cfg_bad(l, s, NULL, "must be an absolute path");
	if (strlen(v) > 4000)
		return cfg_bad(l, s, NULL, "path too long");
	return cfg_dup_string(l, v, &l->c->state_file);
}

static int load_software(struct loader *l, const config_setting_t *s)
{
	const char *v, *why;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_bad(l, s, NULL, "expected a string, got %s", cfg_type_name(s));
	v = config_setting_get_string(s);
	why = cfg_text_problem(v, MAX_TEXT_CHARS, MAX_REALM_BYTES);
	if (why)
		return cfg_bad(l, s, NULL, "%s (at most %d characters of UTF-8 text)", why,
			   MAX_TEXT_CHARS);
	return cfg_dup_string(l, v, &l->c->software);
}

static int load_listen(struct loader *l, const config_setting_t *s)
{
	struct turnd_config *c = l->c;
	int i, j, n = cfg_str_count(l, s);

	if (n < 0)
		return n;
	if (n == 0)
		return cfg_bad(l, s, NULL, "empty: give at least one address");
	if (n > CONFIG_MAX_LISTEN)
		return cfg_bad(l, s, NULL, "%d addresses, at most %d", n, CONFIG_MAX_LISTEN);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = cfg_str_at(s, i);
		const char *v = config_setting_get_string(e);
		sockaddr_u *a = &c->listen[i];

		if (addr_parse(v, DEFAULT_PORT, a))
			return cfg_bad(l, e, NULL, "\"%s\" is not \"IPv4:port\" or \"[IPv6]:port\"", v);
		if (!addr_port(a))
			return cfg_bad(l, e, NULL, "\"%s\": port 0 is not allowed", v);
		for (j = 0; j < i; j++)
			if (addr_equal(&c->listen[j], a))
				return cfg_bad(l, e, NULL, "\"%s\" is listed twice", v);
	}
	c->nlisten = n;
	return 0;
}

/*
 * relay.address (is_external false) or relay.external: "auto" (address only), one IP,
 * or a list of at most one IPv4 and one IPv6.
 */
static int relay_addrs(struct loader *l, const config_setting_t *s, bool is_external,
		       sockaddr_u *out, int *nout, bool *autodetect)
{
	int i, j, n = cfg_str_count(l, s);

	if (n < 0)
		return n;
	if (n == 0)
		return cfg_bad(l, s, NULL, "empty: give an IP address%s",
			   is_external ? "" : " or \"auto\"");
	for (i = 0; i < n; i++) {
		const config_setting_t *e = cfg_str_at(s, i);
		const char *v = config_setting_get_string(e);

		if (!strcmp(v, "auto")) {
			if (is_external)
				return cfg_bad(l, e, NULL, "\"auto\" is not allowed here: give the "
					   "public address clients reach");
			if (n > 1)
				return cfg_bad(l, e, NULL, "\"auto\" must stand alone, not in a list");
			*autodetect = true;
			return 0;
		}
		if (n > 2)
			return cfg_bad(l, s, NULL, "%d addresses, at most one IPv4 and one IPv6", n);
		if (addr_parse_ip(v, &out[i]))
			return cfg_bad(l, e, NULL, "\"%s\" is not an IP address", v);
		addr_unmap_v4(&out[i]);
		if (addr_is_any(&out[i]))
			return cfg_bad(l, e, NULL, "\"%s\" is a wildcard: give a specific address%s", v,
				   is_external ? "" : " or \"auto\"");
		for (j = 0; j < i; j++)
			if (out[j].sa.sa_family == out[i].sa.sa_family)
				return cfg_bad(l, e, NULL, "a second %s address: give at most one "
					   "IPv4 and one IPv6",
					   out[i].sa.sa_family == AF_INET ? "IPv4" : "IPv6");
	}
	*autodetect = false;
	*nout = n;
	return 0;
}

static int parse_port_num(const char **p, unsigned long *v)
{
	int digits = 0;

	*v = 0;
	while (**p >= '0' && **p <= '9' && digits < 6) {
		*v = *v * 10 + (unsigned long)(**p - '0');
		(*p)++;
		digits++;
	}
	return digits && digits < 6 ? 0 : -EINVAL;
}

static int load_ports(struct loader *l, const config_setting_t *s, struct relay_cfg *r)
{
	const char *v, *p;
	unsigned long lo, hi;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return cfg_bad(l, s, NULL, "expected a string \"lo-hi\", got %s", cfg_type_name(s));
	v = p = config_setting_get_string(s);
	if (parse_port_num(&p, &lo) || *p++ != '-' || parse_port_num(&p, &hi) || *p)
		return cfg_bad(l, s, NULL, "\"%s\" is not a range \"lo-hi\" like \"49152-65535\"", v);
	if (lo < 1024 || lo > hi || hi > 65535)
		return cfg_bad(l, s, NULL, "\"%s\": need 1024 <= lo <= hi <= 65535", v);
	r->port_min = (uint16_t)lo;
	r->port_max = (uint16_t)hi;
	return 0;
}

static bool has_family(const sockaddr_u *v, int n, int family)
{
	for (int i = 0; i < n; i++)
		if (v[i].sa.sa_family == family)
			return true;
	return false;
}

/* external (when set next to fixed addresses) must cover exactly address's families. */
static int check_external(struct loader *l, const config_setting_t *s, const struct relay_cfg *r)
{
	static const int families[] = { AF_INET, AF_INET6 };

	for (int i = 0; i < 2; i++) {
		int f = families[i];
		bool in_addr = has_family(r->addr, r->naddr, f);

		if (in_addr == has_family(r->external, r->nexternal, f))
			continue;
		return cfg_bad(l, s, NULL, "families must match relay.address: %s has an %s address, "
			   "%s has none", in_addr ? "relay.address" : "external",
			   f == AF_INET ? "IPv4" : "IPv6", in_addr ? "external" : "relay.address");
	}
	return 0;
}

static int load_relay(struct loader *l, const config_setting_t *g)
{
	static const char *const keys[] = { "address", "external", "ports", NULL };
	struct relay_cfg *r = &l->c->relay;
	const config_setting_t *s, *ext;
	bool dummy;
	int err;

	if ((err = cfg_want_group(l, g)) || (err = cfg_check_keys(l, g, keys)))
		return err;
	s = config_setting_get_member(g, "address");
	if (s && (err = relay_addrs(l, s, false, r->addr, &r->naddr, &r->autodetect)))
		return err;
	ext = config_setting_get_member(g, "external");
	if (ext && (err = relay_addrs(l, ext, true, r->external, &r->nexternal, &dummy)))
		return err;
	s = config_setting_get_member(g, "ports");
	if (s && (err = load_ports(l, s, r)))
		return err;
	if (ext && !r->autodetect)
		return check_external(l, ext, r);
	return 0;
}

/* A setting that means nothing without another one is refused rather than ignored. */
static int needs(struct loader *l, const config_setting_t *g, const char *name, uint32_t v,
		 const char *other, uint32_t other_v)
{
	if (!v || other_v)
		return 0;
	return cfg_bad(l, config_setting_get_member(g, name), NULL, "has no effect while %s is 0",
		       other);
}

/* allocation.max_permissions, max_channels, max_bps, bps_burst. */
static int load_alloc_limits(struct loader *l, const config_setting_t *g, struct alloc_cfg *a)
{
	int err;

	if ((err = cfg_get_uint(l, g, "max_permissions", 1, TURN_PERMS_MAX,
				&a->max_permissions)) ||
	    (err = cfg_get_uint(l, g, "max_channels", 1, TURN_CHANS_MAX, &a->max_channels)) ||
	    (err = cfg_get_uint(l, g, "max_bps", 0, UINT32_MAX, &a->max_bps)) ||
	    (err = cfg_get_uint(l, g, "bps_burst", 0, UINT32_MAX, &a->bps_burst)))
		return err;
	return needs(l, g, "bps_burst", a->bps_burst, "max_bps", a->max_bps);
}

static int load_alloc(struct loader *l, const config_setting_t *g)
{
	static const char *const keys[] = { "default_lifetime", "max_lifetime",
		"permission_lifetime", "channel_lifetime", "max_per_user", "max_total",
		"legacy_channels", "max_permissions", "max_channels", "max_bps", "bps_burst", NULL };
	struct alloc_cfg *a = &l->c->alloc;
	const config_setting_t *s;
	int err;

	if ((err = cfg_want_group(l, g)) || (err = cfg_check_keys(l, g, keys)) ||
	    (err = load_alloc_limits(l, g, a)) ||
	    (err = cfg_get_uint(l, g, "default_lifetime", 1, MAX_LIFETIME, &a->default_lifetime)) ||
	    (err = cfg_get_uint(l, g, "max_lifetime", 1, MAX_LIFETIME, &a->max_lifetime)) ||
	    (err = cfg_get_uint(l, g, "permission_lifetime", 1, MAX_LIFETIME,
			    &a->permission_lifetime)) ||
	    (err = cfg_get_uint(l, g, "channel_lifetime", 1, MAX_LIFETIME, &a->channel_lifetime)) ||
	    (err = cfg_get_uint(l, g, "max_per_user", 0, UINT32_MAX, &a->max_per_user)) ||
	    (err = cfg_get_uint(l, g, "max_total", 0, UINT32_MAX, &a->max_total)) ||
	    (err = cfg_get_bool(l, g, "legacy_channels", &a->legacy_channels)))
		return err;
	if (a->default_lifetime <= a->max_lifetime)
		return 0;
	s = config_setting_get_member(g, "max_lifetime");
	if (!s)
		s = config_setting_get_member(g, "default_lifetime");
	return cfg_bad(l, s, NULL, "default_lifetime %u is above max_lifetime %u",
		   a->default_lifetime, a->max_lifetime);
}

/* "123:..." is the form of a time-limited username checked against auth.secret. */
static bool looks_ephemeral(const char *name)
{
	const char *p = name;

	while (*p >= '0' && *p <= '9')
		p++;
	return p != name && *p == ':';
}

/* Member `key` (name or password) of one auth.users entry. */
static int user_field(struct loader *l, const config_setting_t *u, const char *key, char **out)
{
	const config_setting_t *s = NULL;
	const char *v = NULL, *why;
	int err = cfg_get_string(l, u, key, &v, &s);

	if (err < 0)
		return err;
	if (!err)
		return cfg_bad(l, u, key, "missing: each user needs a name and a password");
	if (!*v)
		return cfg_bad(l, s, NULL, "must not be empty");
	why = cfg_text_problem(v, MAX_USER_BYTES, MAX_USER_BYTES);
	if (why)
		return cfg_bad(l, s, NULL, "%s (UTF-8 text of at most %d bytes)", why, MAX_USER_BYTES);
	return cfg_dup_string(l, v, out);
}

static int load_users(struct loader *l, const config_setting_t *s)
{
	static const char *const keys[] = { "name", "password", NULL };
	struct auth_cfg *a = &l->c->auth;
	int i, n, err;

	if (!config_setting_is_list(s))
		return cfg_bad(l, s, NULL, "expected a list ( { name = \"...\"; password = "
			   "\"...\"; } ), got %s", cfg_type_name(s));
	n = config_setting_length(s);
	a->users = calloc((size_t)n + 1, sizeof(*a->users));
	if (!a->users)
		return cfg_oom(l);
	for (i = 0; i < n; i++) {
		const config_setting_t *u = config_setting_get_elem(s, (unsigned int)i);
		struct user_cfg *uc = &a->users[i];

		if ((err = cfg_want_group(l, u)) || (err = cfg_check_keys(l, u, keys)))
			return err;
		a->nusers++;
		if ((err = user_field(l, u, "name", &uc->name)) ||
		    (err = user_field(l, u, "password", &uc->password)))
			return err;
		for (int j = 0; j < i; j++)
			if (!strcmp(a->users[j].name, uc->name))
				return cfg_bad(l, config_setting_get_member(u, "name"), NULL,
					   "user \"%s\" is defined twice", uc->name);
		if (a->secret && looks_ephemeral(uc->name))
			return cfg_bad(l, config_setting_get_member(u, "name"), NULL,
				   "\"%s\" has the form of a time-limited username, which is "
				   "checked against auth.secret instead", uc->name);
	}
	return 0;
}

static int load_auth(struct loader *l, const config_setting_t *g)
{
	static const char *const keys[] = { "users", "users_file", "secret", "nonce_lifetime",
					    "unauth_rate", "unauth_burst", NULL };
	struct auth_cfg *a = &l->c->auth;
	const config_setting_t *s;
	const char *v;
	int err;

	if ((err = cfg_want_group(l, g)) || (err = cfg_check_keys(l, g, keys)))
		return err;
	if ((err = cfg_get_string(l, g, "secret", &v, &s)) < 0)
		return err;
	if (err && *v && (err = cfg_dup_string(l, v, &a->secret)))
		return err;
	if ((err = cfg_get_string(l, g, "users_file", &v, &s)) < 0)
		return err;
	if (err && *v && (err = cfg_dup_string(l, v, &a->users_file)))
		return err;
	if ((err = cfg_get_uint(l, g, "nonce_lifetime", 1, MAX_LIFETIME, &a->nonce_lifetime)) ||
	    (err = cfg_get_uint(l, g, "unauth_rate", 0, SRCLIMIT_MAX_RATE, &a->unauth_rate)) ||
	    (err = cfg_get_uint(l, g, "unauth_burst", 0, 10 * SRCLIMIT_MAX_RATE,
				&a->unauth_burst)) ||
	    (err = needs(l, g, "unauth_burst", a->unauth_burst, "unauth_rate", a->unauth_rate)))
		return err;
	s = config_setting_get_member(g, "users");
	return s ? load_users(l, s) : 0;
}

static int load_cidrs(struct loader *l, const config_setting_t *g, const char *key,
		      bool is_allow)
{
	const config_setting_t *s = config_setting_get_member(g, key);
	int i, n, err;

	if (!s)
		return 0;
	n = cfg_str_count(l, s);
	if (n < 0)
		return n;
	for (i = 0; i < n; i++) {
		const config_setting_t *e = cfg_str_at(s, i);
		const char *v = config_setting_get_string(e);

		err = peer_policy_add(&l->c->peers, is_allow, v);
		if (err == -ENOMEM)
			return cfg_oom(l);
		if (err)
			return cfg_bad(l, e, NULL, "\"%s\" is not a CIDR like \"203.0.113.0/24\" or "
				   "\"2001:db8::/32\"", v);
	}
	return 0;
}

static int load_peers(struct loader *l, const config_setting_t *g)
{
	static const char *const keys[] = { "allow", "deny", NULL };
	int err;

	if ((err = cfg_want_group(l, g)) || (err = cfg_check_keys(l, g, keys)) ||
	    (err = load_cidrs(l, g, "allow", true)))
		return err;
	return load_cidrs(l, g, "deny", false);
}

static const struct section {
	const char *name;
	int (*load)(struct loader *l, const config_setting_t *s);
} sections[] = {
	{ "realm", load_realm },
	{ "software", load_software },
	{ "state_file", load_state_file },
	{ "listen", load_listen },
	{ "relay", load_relay },
	{ "allocation", load_alloc },
	{ "auth", load_auth },
	{ "peers", load_peers },
	{ "control", cfg_load_control },
	{ "log", cfg_load_log },
	{ "xdp", cfg_load_xdp },
	{ "signaling", cfg_load_signaling },
	{ "metrics", cfg_load_metrics },
};

#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static int load_root(struct loader *l, const config_setting_t *root)
{
	const char *known = "realm, software, state_file, listen, relay, allocation, auth, peers, "
			    "control, log, xdp, signaling, metrics";
	int i, n = config_setting_length(root), err;
	size_t k;

	for (i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned int)i);

		for (k = 0; k < NSECTIONS; k++)
			if (!strcmp(config_setting_name(s), sections[k].name))
				break;
		if (k == NSECTIONS)
			return cfg_bad(l, s, NULL, "unknown setting (known: %s)", known);
		err = sections[k].load(l, s);
		if (err)
			return err;
	}
	if (!l->c->realm)
		return cfg_fail(l, 0, "setting realm: missing (required, e.g. "
			    "realm = \"example.org\";)");
	return 0;
}

static void set_defaults(struct turnd_config *c)
{
	memset(c, 0, sizeof(*c));
	c->relay.autodetect = true;
	c->relay.port_min = 49152;
	c->relay.port_max = 65535;
	c->alloc.default_lifetime = 600;
	c->alloc.max_lifetime = 3600;
	c->alloc.permission_lifetime = 300;
	c->alloc.channel_lifetime = 600;
	c->alloc.legacy_channels = true;
	c->alloc.max_permissions = TURN_PERMS_DEFAULT;
	c->alloc.max_channels = TURN_CHANS_DEFAULT;
	c->auth.nonce_lifetime = 600;
	c->xdp.route_cache_ms = 1000;
	c->auth.unauth_rate = 50;
	c->log_level = LOG_LVL_INFO;
	c->log_target = LOG_TARGET_STDERR;
	c->log_rate = LOG_RATE_DEFAULT;
	cfg_signaling_defaults(&c->sig);
}

/* Defaults that need memory or depend on nothing having been set. */
static int fill_defaults(struct loader *l)
{
	struct turnd_config *c = l->c;
	int err;

	if (!c->software && (err = cfg_dup_string(l, DEFAULT_SOFTWARE, &c->software)))
		return err;
	if (!c->control_socket && (err = cfg_dup_string(l, DEFAULT_SOCKET, &c->control_socket)))
		return err;
	if (!c->xdp.pin_path && (err = cfg_dup_string(l, "/sys/fs/bpf/turnd", &c->xdp.pin_path)))
		return err;
	if (!c->state_file && (err = cfg_dup_string(l, "/run/turnd/turnd.state", &c->state_file)))
		return err;
	if (!c->nlisten) {
		addr_parse("0.0.0.0", DEFAULT_PORT, &c->listen[0]);
		c->nlisten = 1;
	}
	return 0;
}

/* Widen big literals, refuse NUL and @include (config_text.c); errors as "FILE:LINE: ...". */
static int prepare_text(struct loader *l, const char *buf, size_t len, char **out)
{
	unsigned int line = 0;
	const char *why = NULL;
	int err = config_prepare_text(buf, len, out, &line, &why);

	if (err == -ENOMEM)
		return cfg_oom(l);
	if (err)
		return cfg_fail(l, line, "%s", why);
	return 0;
}

int config_load_buf(const char *buf, size_t len, const char *name, struct turnd_config *c,
		    char *err, size_t errlen)
{
	struct loader l = { .name = name, .err = err, .errlen = errlen, .c = c };
	char *text = NULL;
	config_t cfg;
	int ret;

	set_defaults(c);
	if (err && errlen)
		err[0] = 0;
	config_init(&cfg);
	ret = prepare_text(&l, buf, len, &text);
	if (ret)
		goto out;
	if (!config_read_string(&cfg, text)) {
		ret = cfg_fail(&l, (unsigned int)config_error_line(&cfg), "%s",
			   config_error_text(&cfg) ? config_error_text(&cfg) : "parse error");
		goto out;
	}
	c->path = strdup(name);
	if (!c->path) {
		ret = cfg_oom(&l);
		goto out;
	}
	ret = load_root(&l, config_root_setting(&cfg));
	if (!ret)
		ret = fill_defaults(&l);
out:
	config_destroy(&cfg);
	free(text);
	if (ret)
		config_free(c);
	return ret;
}

/* Read all of path (at most MAX_FILE_SIZE bytes) into a malloc'd *buf. */
static int read_file(struct loader *l, const char *path, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b, *nb;
	ssize_t r;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		cfg_fail(l, 0, "cannot open: %s", strerror(-err));
		return err;
	}
	b = malloc(cap);
	if (!b) {
		err = cfg_oom(l);
		goto fail;
	}
	for (;;) {
		if (n == cap) {
			nb = realloc(b, cap * 2);
			if (!nb) {
				err = cfg_oom(l);
				goto fail;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			cfg_fail(l, 0, "cannot read: %s", strerror(-err));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > MAX_FILE_SIZE) {
			cfg_fail(l, 0, "larger than %u MiB", MAX_FILE_SIZE >> 20);
			err = -EFBIG;
			goto fail;
		}
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
fail:
	free(b);
	close(fd);
	return err;
}

int config_load(const char *path, struct turnd_config *c, char *err, size_t errlen)
{
	struct loader l = { .name = path, .err = err, .errlen = errlen, .c = c };
	char *buf = NULL;
	size_t len = 0;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = read_file(&l, path, &buf, &len);
	if (ret)
		return ret;
	ret = config_load_buf(buf, len, path, c, err, errlen);
	free(buf);
	return ret;
}

void config_free(struct turnd_config *c)
{
	size_t i;

	free(c->path);
	free(c->realm);
	free(c->software);
	free(c->control_socket);
	free(c->state_file);
	for (i = 0; i < c->auth.nusers; i++) {
		free(c->auth.users[i].name);
		free(c->auth.users[i].password);
	}
	free(c->auth.users);
	free(c->auth.users_file);
	free(c->auth.secret);
	for (i = 0; i < c->xdp.nifaces; i++)
		free(c->xdp.ifaces[i]);
	free(c->xdp.ifaces);
	free(c->xdp.pin_path);
	peer_policy_free(&c->peers);
	cfg_signaling_free(&c->sig);
	memset(c, 0, sizeof(*c));
}
