/* setup.c - turn a loaded configuration into live objects: credentials, relay addresses. */
#include "setup.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "netlink.h"

struct auth *setup_auth(const struct turnd_config *c)
{
	struct auth *a = auth_new(c->realm, c->auth.nonce_lifetime);
	int err, line = 0;

	if (!a) {
		pr_err("auth store: cannot allocate: %s", strerror(errno));
		return NULL;
	}
	for (size_t i = 0; i < c->auth.nusers; i++) {
		err = auth_add_user(a, c->auth.users[i].name, c->auth.users[i].password);
		if (err) {
			pr_err("auth user \"%s\": cannot add: %s", c->auth.users[i].name, strerror(-err));
			goto fail;
		}
	}
	if (c->auth.users_file) {
		err = auth_load_users_file(a, c->auth.users_file, &line);
		if (err < 0) {
			pr_err("%s:%d: users file rejected: %s", c->auth.users_file, line,
			       strerror(-err));
			goto fail;
		}
		pr_info("users file loaded path=%s users=%d", c->auth.users_file, err);
	}
	if (c->auth.secret && (err = auth_add_secret(a, c->auth.secret))) {
		pr_err("auth secret: cannot add: %s", strerror(-err));
		goto fail;
	}
	return a;
fail:
	auth_free(a);
	return NULL;
}

int setup_relay_addrs(struct relay_cfg *r)
{
	sockaddr_u v4, v6;
	bool has4 = false, has6 = false;
	char as[ADDR_STRLEN];
	int err;

	if (!r->autodetect)
		return 0;
	err = nl_default_addrs(&v4, &has4, &v6, &has6);
	if (err) {
		pr_err("relay.address auto: no default route address found: %s; set relay.address",
		       strerror(-err));
		return err;
	}
	r->naddr = 0;
	if (has4)
		r->addr[r->naddr++] = v4;
	if (has6)
		r->addr[r->naddr++] = v6;
	for (int i = 0; i < r->naddr; i++)
		pr_info("relay address auto addr=%s", addr_format_ip(&r->addr[i], as, sizeof(as)));
	return 0;
}

void setup_turn_params(const struct turnd_config *c, struct turn_params *p)
{
	memset(p, 0, sizeof(*p));	/* fields the config does not set keep their defaults */
	p->software = c->software;
	p->default_lifetime = c->alloc.default_lifetime;
	p->max_lifetime = c->alloc.max_lifetime;
	p->perm_lifetime = c->alloc.permission_lifetime;
	p->chan_lifetime = c->alloc.channel_lifetime;
	p->max_per_user = c->alloc.max_per_user;
	p->max_total = c->alloc.max_total;
	p->legacy_channels = c->alloc.legacy_channels;
	p->max_perms = c->alloc.max_permissions;
	p->max_chans = c->alloc.max_channels;
	p->max_bps = c->alloc.max_bps;
	p->bps_burst = c->alloc.bps_burst;
	p->unauth_rate = c->auth.unauth_rate;
	p->unauth_burst = c->auth.unauth_burst;
	/* ids from the wall clock (ms << 12): a restarted turnd never reuses one whose
	 * bindings a previous run may still have in the kernel */
	p->first_id = ((uint64_t)time(NULL) * 1000) << 12;
}
