/* config_sig.c - the `signaling` section: WebSocket listeners, TLS, origins, ICE URLs and limits. */
#include "config_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define DEFAULT_SIG_PORT	8080
#define MAX_SIG_STRINGS		32	/* origins, ice_urls */
#define MAX_SIG_STRING		255

void cfg_signaling_defaults(struct signaling_cfg *s)
{
	memset(s, 0, sizeof(*s));
	s->credential_lifetime = 3600;
	s->max_connections = 1024;
	s->max_per_address = 16;
	s->idle_timeout = 60;
	s->max_message = 65536;
	s->max_rooms = 1000;
	s->max_members = 8;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void cfg_signaling_free(struct signaling_cfg *s)
{
	free(s->tls_cert);
	free(s->tls_key);
	free(s->ice_host);
	free_list(s->origins, s->norigins);
	free_list(s->ice_urls, s->nice_urls);
	cfg_signaling_defaults(s);
}

static int load_sig_listen(struct loader *l, const config_setting_t *s, struct signaling_cfg *c)
{
	int i, j, n = cfg_str_count(l, s);

	if (n < 0)
		return n;
	if (n == 0 || n > SIG_MAX_LISTEN)
		return cfg_bad(l, s, NULL, "%d addresses, give 1 to %d", n, SIG_MAX_LISTEN);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = cfg_str_at(s, i);
		const char *v = config_setting_get_string(e);

		if (addr_parse(v, DEFAULT_SIG_PORT, &c->listen[i]))
			return cfg_bad(l, e, NULL, "\"%s\" is not \"IPv4:port\" or \"[IPv6]:port\"", v);
		if (!addr_port(&c->listen[i]))
			return cfg_bad(l, e, NULL, "\"%s\": port 0 is not allowed", v);
		for (j = 0; j < i; j++)
			if (addr_equal(&c->listen[j], &c->listen[i]))
				return cfg_bad(l, e, NULL, "\"%s\" is listed twice", v);
	}
	c->nlisten = n;
	return 0;
}

/* A printable ASCII string without spaces, quotes or backslashes, 1..MAX_SIG_STRING bytes. */
static const char *token_problem(const char *v)
{
	size_t n = strlen(v);

	if (!n)
		return "is empty";
	if (n > MAX_SIG_STRING)
		return "is longer than 255 bytes";
	for (; *v; v++)
		if (*v <= 0x20 || *v >= 0x7f || *v == '"' || *v == '\\')
			return "contains a space, a quote, a backslash or a non-ASCII byte";
	return NULL;
}

static bool is_ice_url(const char *v)
{
	return !strncasecmp(v, "stun:", 5) || !strncasecmp(v, "stuns:", 6) ||
	       !strncasecmp(v, "turn:", 5) || !strncasecmp(v, "turns:", 6);
}

/* origins or ice_urls: a string or a list of strings, each a token; ice_urls also a scheme. */
static int load_strings(struct loader *l, const config_setting_t *s, bool urls, char ***out,
			size_t *nout)
{
	int i, n = cfg_str_count(l, s), err;

	if (n < 0)
		return n;
	if (n > MAX_SIG_STRINGS)
		return cfg_bad(l, s, NULL, "%d entries, at most %d", n, MAX_SIG_STRINGS);
	*out = calloc((size_t)n + 1, sizeof(**out));
	if (!*out)
		return cfg_oom(l);
	for (i = 0; i < n; i++) {
		const config_setting_t *e = cfg_str_at(s, i);
		const char *v = config_setting_get_string(e), *why = token_problem(v);

		if (why)
			return cfg_bad(l, e, NULL, "\"%s\" %s", v, why);
		if (urls && !is_ice_url(v))
			return cfg_bad(l, e, NULL, "\"%s\" is not a stun:, stuns:, turn: or turns: URL",
				       v);
		if ((err = cfg_dup_string(l, v, &(*out)[i])))
			return err;
		(*nout)++;
	}
	return 0;
}

/* tls_cert and tls_key: both or neither, each a readable file. */
static int load_tls(struct loader *l, const config_setting_t *g, struct signaling_cfg *c)
{
	const config_setting_t *sc = NULL, *sk = NULL;
	const char *cert = NULL, *key = NULL;
	int rc, rk, err;

	if ((rc = cfg_get_string(l, g, "tls_cert", &cert, &sc)) < 0)
		return rc;
	if ((rk = cfg_get_string(l, g, "tls_key", &key, &sk)) < 0)
		return rk;
	if (rc != rk)
		return cfg_bad(l, g, rc ? "tls_key" : "tls_cert",
			       "missing: tls_cert and tls_key go together");
	if (!rc)
		return 0;
	if (access(cert, R_OK))
		return cfg_bad(l, sc, NULL, "\"%s\": cannot read: %s", cert, strerror(errno));
	if (access(key, R_OK))
		return cfg_bad(l, sk, NULL, "\"%s\": cannot read: %s", key, strerror(errno));
	if ((err = cfg_dup_string(l, cert, &c->tls_cert)) ||
	    (err = cfg_dup_string(l, key, &c->tls_key)))
		return err;
	return 0;
}

static int load_sig_limits(struct loader *l, const config_setting_t *g, struct signaling_cfg *c)
{
	int err;

	if ((err = cfg_get_uint(l, g, "credential_lifetime", 60, 7 * 86400,
				&c->credential_lifetime)) ||
	    (err = cfg_get_uint(l, g, "max_connections", 1, 100000, &c->max_connections)) ||
	    (err = cfg_get_uint(l, g, "max_per_address", 1, 100000, &c->max_per_address)) ||
	    (err = cfg_get_uint(l, g, "idle_timeout", 5, 3600, &c->idle_timeout)) ||
	    (err = cfg_get_uint(l, g, "max_message", 1024, 1 << 20, &c->max_message)) ||
	    (err = cfg_get_uint(l, g, "max_rooms", 1, 1000000, &c->max_rooms)) ||
	    (err = cfg_get_uint(l, g, "max_members", 2, 1000, &c->max_members)))
		return err;
	return 0;
}

int cfg_load_signaling(struct loader *l, const config_setting_t *g)
{
	static const char *const keys[] = {
		"listen", "tls_cert", "tls_key", "origins", "ice_urls", "ice_host",
		"credential_lifetime", "max_connections", "max_per_address", "idle_timeout",
		"max_message", "max_rooms", "max_members", NULL,
	};
	struct signaling_cfg *c = &l->c->sig;
	const config_setting_t *s;
	const char *v, *why;
	int err;

	if ((err = cfg_want_group(l, g)) || (err = cfg_check_keys(l, g, keys)))
		return err;
	s = config_setting_get_member(g, "listen");
	if (!s)
		return cfg_bad(l, g, "listen", "missing (e.g. listen = \"0.0.0.0:8080\";)");
	if ((err = load_sig_listen(l, s, c)) || (err = load_tls(l, g, c)))
		return err;
	if ((s = config_setting_get_member(g, "origins")) &&
	    (err = load_strings(l, s, false, &c->origins, &c->norigins)))
		return err;
	if ((s = config_setting_get_member(g, "ice_urls")) &&
	    (err = load_strings(l, s, true, &c->ice_urls, &c->nice_urls)))
		return err;
	if ((err = cfg_get_string(l, g, "ice_host", &v, &s)) < 0)
		return err;
	if (err) {
		if ((why = token_problem(v)))
			return cfg_bad(l, s, NULL, "\"%s\" %s", v, why);
		if ((err = cfg_dup_string(l, v, &c->ice_host)))
			return err;
	}
	if ((err = load_sig_limits(l, g, c)))
		return err;
	c->on = true;
	return 0;
}
